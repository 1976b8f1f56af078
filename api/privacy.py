"""Question logging that respects privacy: off by default, redacted, and deleted after a while.

``redact`` replaces Swedish personal identity numbers (personnummer and samordningsnummer),
e-mail addresses and phone numbers with placeholders. :class:`QuestionLog` appends one JSON
line per answered question to ``data_dir/logs/questions-YYYY-MM-DD.jsonl`` — only when
``api.log_questions`` is true — and deletes day files older than
``api.question_log_retention_days``. The answer text is never logged; only the cited doc ids.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from radslag.settings import Settings
from rag.pii import EMAIL, PHONE, PNR, redact
from rag.types import Answer

__all__ = ["EMAIL", "PHONE", "PNR", "QuestionLog", "log_answer", "question_log", "redact"]

log = logging.getLogger(__name__)

class QuestionLog:
    """Append-only JSON Lines, one file per UTC day, pruned after ``retention_days``."""

    def __init__(
        self,
        directory: Path,
        enabled: bool = False,
        retention_days: int = 30,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.directory = directory
        self.enabled = enabled
        self.retention_days = retention_days
        self._clock = clock
        self._lock = threading.Lock()
        self._pruned_on: date | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> QuestionLog:
        return cls(settings.data_dir / "logs", settings.api.log_questions, settings.api.question_log_retention_days)

    def path_for(self, day: date) -> Path:
        return self.directory / f"questions-{day.isoformat()}.jsonl"

    def record(
        self,
        question: str,
        *,
        strategy: str,
        refused: bool,
        latency_s: float,
        doc_ids: Iterable[str] = (),
        endpoint: str = "",
    ) -> Path | None:
        """Append one redacted entry; a no-op (None) when logging is disabled. Never raises."""
        if not self.enabled:
            return None
        now = self._clock()
        entry = {
            "ts": now.isoformat(timespec="seconds"),
            "endpoint": endpoint,
            "question": redact(question),
            "strategy": strategy,
            "refused": refused,
            "latency_s": round(latency_s, 3),
            "doc_ids": sorted(set(doc_ids)),
        }
        path = self.path_for(now.date())
        try:
            with self._lock:
                self.directory.mkdir(parents=True, exist_ok=True)
                with path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
                if self._pruned_on != now.date():
                    self._pruned_on = now.date()
                    self._prune(now.date())
        except OSError:
            log.warning("could not write the question log in %s", self.directory)
            return None
        return path

    def prune(self) -> list[Path]:
        """Delete day files older than the retention; returns the deleted paths."""
        with self._lock:
            return self._prune(self._clock().date())

    def _prune(self, today: date) -> list[Path]:
        cutoff = today - timedelta(days=self.retention_days)
        deleted: list[Path] = []
        for path in self.directory.glob("questions-*.jsonl"):
            try:
                day = date.fromisoformat(path.stem.removeprefix("questions-"))
            except ValueError:
                continue
            if day < cutoff:
                path.unlink(missing_ok=True)
                deleted.append(path)
        return deleted


_logs: dict[tuple[Path, bool, int], QuestionLog] = {}
_logs_lock = threading.Lock()


def question_log(settings: Settings) -> QuestionLog:
    """The process's log for these settings (one per log folder/flags, so appends share a lock)."""
    key = (settings.data_dir / "logs", settings.api.log_questions, settings.api.question_log_retention_days)
    with _logs_lock:
        if key not in _logs:
            _logs[key] = QuestionLog(*key)
        return _logs[key]


def log_answer(settings: Settings, answer: Answer, endpoint: str) -> None:
    """The one call the ask routes make after answering; does nothing unless logging is enabled."""
    if settings.api.log_questions:
        question_log(settings).record(
            answer.question, strategy=answer.strategy, refused=answer.refused, latency_s=answer.latency_s,
            doc_ids=(c.doc_id for c in answer.citations), endpoint=endpoint,
        )
