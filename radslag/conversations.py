"""Officials' saved conversations: each a list of turns (question + the full answer), per owner.

Every read and write names the owner, so one official never sees or deletes another's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from radslag.db import Database, conversations, turns

TITLE_CHARS = 80


@dataclass(frozen=True)
class ConversationInfo:
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    turns: int


@dataclass(frozen=True)
class Turn:
    position: int
    question: str
    answer: dict[str, Any]


def _title(question: str) -> str:
    flat = " ".join(question.split())
    return flat if len(flat) <= TITLE_CHARS else flat[: TITLE_CHARS - 1] + "…"


class ConversationStore:
    def __init__(self, db: Database) -> None:
        self.engine = db.engine

    def append(self, owner: str, conversation_id: str | None, question: str, answer: dict[str, Any]) -> str:
        """Add a turn; a new conversation (titled by its first question) when ``conversation_id`` is None
        or not the owner's. Returns the conversation's id."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            known = conversation_id is not None and conn.execute(
                select(conversations.c.id).where(conversations.c.id == conversation_id, conversations.c.owner == owner)
            ).first()
            if not known:
                conversation_id = uuid.uuid4().hex
                conn.execute(
                    conversations.insert().values(
                        id=conversation_id, owner=owner, title=_title(question), created_at=now, updated_at=now
                    )
                )
            position = conn.execute(
                select(func.count()).select_from(turns).where(turns.c.conversation_id == conversation_id)
            ).scalar_one()
            conn.execute(
                turns.insert().values(
                    conversation_id=conversation_id, position=position, question=question, answer=answer, created_at=now
                )
            )
            conn.execute(conversations.update().where(conversations.c.id == conversation_id).values(updated_at=now))
        assert conversation_id is not None
        return conversation_id

    def list(self, owner: str) -> list[ConversationInfo]:
        """The owner's conversations, most recently used first."""
        n = select(func.count()).where(turns.c.conversation_id == conversations.c.id).scalar_subquery()
        stmt = (
            select(conversations.c.id, conversations.c.title, conversations.c.created_at, conversations.c.updated_at, n)
            .where(conversations.c.owner == owner)
            .order_by(conversations.c.updated_at.desc())
        )
        with self.engine.connect() as conn:
            return [ConversationInfo(*row) for row in conn.execute(stmt)]

    def turns(self, owner: str, conversation_id: str) -> list[Turn] | None:
        """The conversation's turns in order; None when the owner has no such conversation."""
        with self.engine.connect() as conn:
            owned = conn.execute(
                select(conversations.c.id).where(conversations.c.id == conversation_id, conversations.c.owner == owner)
            ).first()
            if not owned:
                return None
            rows = conn.execute(
                select(turns.c.position, turns.c.question, turns.c.answer)
                .where(turns.c.conversation_id == conversation_id)
                .order_by(turns.c.position)
            )
            return [Turn(*row) for row in rows]

    def delete(self, owner: str, conversation_id: str) -> bool:
        with self.engine.begin() as conn:
            conn.execute(
                turns.delete().where(
                    turns.c.conversation_id == conversation_id,
                    turns.c.conversation_id.in_(select(conversations.c.id).where(conversations.c.owner == owner)),
                )
            )
            stmt = conversations.delete().where(conversations.c.id == conversation_id, conversations.c.owner == owner)
            return conn.execute(stmt).rowcount == 1
