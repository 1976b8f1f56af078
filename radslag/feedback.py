"""Officials' verdicts on answers (helpful / wrong, with a comment), and their export as gold candidates.

A verdict is stored with what it judges: the question, the answer text and the answer's
citations as they were shown, so it stays meaningful after the index changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import func, select, update

from radslag.db import Database
from radslag.db import feedback as table

Verdict = Literal["helpful", "wrong"]
VERDICTS: tuple[str, ...] = ("helpful", "wrong")
MAX_COMMENT = 4000
QUOTE_MAX = 300  # eval/data/FORMAT.md: a quote is 40–300 characters


@dataclass(frozen=True)
class FeedbackRecord:
    id: int
    created_at: datetime
    user: str
    verdict: str
    comment: str
    question: str
    answer: str
    lang: str
    citations: list[dict[str, Any]]
    conversation_id: str | None
    turn: int | None


class FeedbackStore:
    def __init__(self, db: Database) -> None:
        self.engine = db.engine

    def add(
        self,
        user: str,
        verdict: Verdict,
        answer: dict[str, Any],
        comment: str = "",
        conversation_id: str | None = None,
        turn: int | None = None,
    ) -> int:
        """Store a verdict on ``answer`` (the answer contract: question, answer, language, citations)."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}")
        values = {
            "created_at": datetime.now(UTC),
            "user": user,
            "verdict": verdict,
            "comment": comment.strip()[:MAX_COMMENT],
            "question": str(answer.get("question", "")),
            "answer": str(answer.get("answer", "")),
            "lang": str(answer.get("language") or "sv"),
            "citations": list(answer.get("citations") or []),
            "conversation_id": conversation_id,
            "turn": turn,
        }
        with self.engine.begin() as conn:
            return int(conn.execute(table.insert().values(**values)).inserted_primary_key[0])

    def update(self, feedback_id: int, user: str, verdict: Verdict | None = None, comment: str | None = None) -> bool:
        """Change one's own verdict or comment; False when there is no such record of ``user``."""
        values: dict[str, Any] = {}
        if verdict is not None:
            if verdict not in VERDICTS:
                raise ValueError(f"verdict must be one of {VERDICTS}")
            values["verdict"] = verdict
        if comment is not None:
            values["comment"] = comment.strip()[:MAX_COMMENT]
        if not values:
            return True
        with self.engine.begin() as conn:
            stmt = update(table).where(table.c.id == feedback_id, table.c.user == user).values(**values)
            return conn.execute(stmt).rowcount == 1

    def delete(self, feedback_id: int, user: str) -> bool:
        with self.engine.begin() as conn:
            return conn.execute(table.delete().where(table.c.id == feedback_id, table.c.user == user)).rowcount == 1

    def of_conversation(self, user: str, conversation_id: str) -> dict[int, FeedbackRecord]:
        """``user``'s verdicts on a saved conversation's turns, by turn (the newest where a turn
        has several): what a reopened conversation shows, and what a thumb clicked on it changes."""
        stmt = (
            select(table)
            .where(table.c.user == user, table.c.conversation_id == conversation_id, table.c.turn.is_not(None))
            .order_by(table.c.id)
        )
        with self.engine.connect() as conn:
            return {int(row.turn): FeedbackRecord(**row._mapping) for row in conn.execute(stmt)}

    def list(self, verdict: str | None = None, limit: int | None = None, offset: int = 0) -> list[FeedbackRecord]:
        """Newest first."""
        stmt = select(table).order_by(table.c.id.desc()).offset(offset)
        if verdict:
            stmt = stmt.where(table.c.verdict == verdict)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.engine.connect() as conn:
            return [FeedbackRecord(**row._mapping) for row in conn.execute(stmt)]

    def count(self, verdict: str | None = None) -> int:
        stmt = select(func.count()).select_from(table)
        if verdict:
            stmt = stmt.where(table.c.verdict == verdict)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar() or 0)


def _quote(text: str) -> str:
    """A verbatim stretch of the passage of at most QUOTE_MAX characters, cut at a word boundary."""
    flat = " ".join(text.split())
    if len(flat) <= QUOTE_MAX:
        return flat
    cut = flat[:QUOTE_MAX]
    return cut[: cut.rfind(" ")] if " " in cut else cut


def _section(citation: dict[str, Any]) -> str | None:
    # FORMAT.md: the committee for the compilation of replies (004_*), else the nearest heading.
    if str(citation.get("source", "")).startswith("004_") and citation.get("committee"):
        return str(citation["committee"])
    path = str(citation.get("section_path") or "")
    return path.split(" > ")[-1].strip() or None


def gold_candidate(record: FeedbackRecord) -> dict[str, Any]:
    """A question-bank candidate in the gold format (eval/data/FORMAT.md), with the verdict and comment.

    ``must_mention`` is filled only for helpful answers (the committees they cite); a wrong
    answer's names may be the wrong ones, so an editor writes them. ``evidence`` is what the
    answer cited: the passages an editor checks first.
    """
    cites = record.citations
    evidence = [{"doc": str(c.get("source", "")), "section": _section(c), "quote": _quote(str(c.get("text", "")))} for c in cites]
    mentions: list[str] = []
    if record.verdict == "helpful":
        for c in cites:
            name = str(c.get("committee") or "").strip()
            if name and name not in mentions and len(re.findall(r"\S+", name)) <= 4:
                mentions.append(name)
    return {
        "id": f"fb{record.id:04d}",
        "question": record.question,
        "lang": record.lang if record.lang in ("sv", "en") else "sv",
        "answer": record.answer,
        "must_mention": mentions,
        "evidence": [e for e in evidence if e["doc"] and e["quote"]],
        "verdict": record.verdict,
        "comment": record.comment,
        "source": "feedback",
        "created_at": record.created_at.isoformat(),
    }
