"""The index's one writer place, held across the processes that share ``data_dir``."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from radslag import library
from radslag.settings import Settings

ROOT = Path(__file__).resolve().parents[2]

# Another replica (or a `radslag ingest` beside the server): it takes the writer place, says
# so, and keeps it until told to let go.
HOLDER = """
import sys
from radslag import library
from radslag.settings import Settings

with open(sys.argv[2], "a", buffering=1) as log, library.writing(Settings(data_dir=sys.argv[1])):
    log.write("held\\n")
    sys.stdin.readline()
    log.write("released\\n")
"""


def _wait_for(path: Path, word: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while word not in (path.read_text() if path.exists() else ""):
        assert time.monotonic() < deadline, f"the other process never wrote {word!r}"
        time.sleep(0.05)


def test_a_writer_in_another_process_holds_this_one_back(tmp_path: Path) -> None:
    events = tmp_path / "events"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path), str(events)], stdin=subprocess.PIPE, text=True, cwd=ROOT,
    )
    try:
        _wait_for(events, "held")
        wrote = threading.Event()

        def write() -> None:
            with library.writing(Settings(data_dir=tmp_path)), events.open("a") as log:
                log.write("acquired\n")
            wrote.set()

        thread = threading.Thread(target=write, daemon=True)
        thread.start()
        # Without a lock across processes this writer would be in by now.
        assert not wrote.wait(1.0)
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.wait(60) == 0
        thread.join(60)
        assert events.read_text().split() == ["held", "released", "acquired"]
    finally:
        holder.kill()


def test_writers_in_one_process_take_turns(tmp_path: Path) -> None:
    order: list[str] = []
    inside = threading.Event()
    release = threading.Event()

    def first() -> None:
        with library.writing(Settings(data_dir=tmp_path)):
            order.append("first in")
            inside.set()
            release.wait(30)
            order.append("first out")

    def second() -> None:
        with library.writing(Settings(data_dir=tmp_path)):
            order.append("second in")

    a = threading.Thread(target=first, daemon=True)
    a.start()
    assert inside.wait(30)
    b = threading.Thread(target=second, daemon=True)
    b.start()
    b.join(0.5)
    assert b.is_alive()  # waiting for the first writer
    release.set()
    a.join(30)
    b.join(30)
    assert order == ["first in", "first out", "second in"]
