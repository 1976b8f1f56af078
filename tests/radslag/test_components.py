"""The composition root's process-wide settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from threadpoolctl import threadpool_info
from radslag.components import Components
from radslag.settings import Settings

def blas():
    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

before = blas()
Components(Settings(data_dir=sys.argv[1])).embedder
print(json.dumps({"before": before, "after": blas()}))
"""


def _blas_threads(tmp_path: Path, setting: str | None) -> dict[str, list[int]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENBLAS_", "OMP_"))}
    if setting is not None:
        env["RADSLAG_EMBEDDING__BLAS_THREADS"] = setting
    out = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_numpy_runs_one_blas_thread_beside_the_e5_engine(tmp_path: Path) -> None:
    # OpenBLAS's threads spin after each product and starve the engine's next forward.
    threads = _blas_threads(tmp_path, None)
    assert threads["before"] and set(threads["after"]) == {1}
    # 0 leaves numpy's BLAS as it was.
    threads = _blas_threads(tmp_path, "0")
    assert threads["after"][: len(threads["before"])] == threads["before"]
