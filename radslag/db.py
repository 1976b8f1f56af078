"""The application database (SQLAlchemy 2 Core): feedback and saved conversations.

SQLite in ``data_dir`` by default (``settings.database_url`` for another SQLAlchemy URL).
The schema is versioned in a one-row ``schema_version`` table; :data:`MIGRATIONS` holds one
step per version and :meth:`Database.migrate` applies the missing ones in one transaction on
start. A change to the tables adds a step (e.g. ``ALTER TABLE``) and updates the ``Table``
definitions below to match; the test ``tests/store`` checks that the migrated database and
these definitions agree, so a forgotten step fails there rather than in production.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    inspect,
    select,
)

log = logging.getLogger(__name__)
metadata = MetaData()

conversations = Table(
    "conversations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("owner", String(200), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One question and its answer; ``answer`` is the full answer contract (citations included).
turns = Table(
    "turns",
    metadata,
    Column("conversation_id", String(32), ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("question", Text, nullable=False),
    Column("answer", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("user", String(200), nullable=False),
    Column("verdict", String(16), nullable=False),  # helpful | wrong
    Column("comment", Text, nullable=False, default=""),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("citations", JSON, nullable=False),
    Column("conversation_id", String(32), nullable=True),
    Column("turn", Integer, nullable=True),
)

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))


def _v1(conn: Connection) -> None:
    """The first schema. (When a table changes later, freeze its v1 definition here first.)"""
    metadata.create_all(conn, tables=[conversations, turns, feedback])


MIGRATIONS: list[Callable[[Connection], None]] = [_v1]
SCHEMA_VERSION = len(MIGRATIONS)


class Database:
    """An engine with the schema brought up to date; the stores share it."""

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.migrate()

    def version(self) -> int:
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("schema_version"):
                return 0
            return int(conn.execute(select(schema_version.c.version)).scalar() or 0)

    def migrate(self) -> int:
        """Apply the missing steps; returns the version now in force."""
        with self.engine.begin() as conn:
            schema_version.create(conn, checkfirst=True)
            current = conn.execute(select(schema_version.c.version)).scalar()
            if current is None:
                conn.execute(schema_version.insert().values(version=0))
                current = 0
            if current > SCHEMA_VERSION:
                raise RuntimeError(f"database schema v{current} is newer than this program (v{SCHEMA_VERSION})")
            for n in range(current, SCHEMA_VERSION):
                log.info("database: migrating to schema v%d", n + 1)
                MIGRATIONS[n](conn)
            conn.execute(schema_version.update().values(version=SCHEMA_VERSION))
        return SCHEMA_VERSION

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # Foreign keys (so deleting a conversation deletes its turns) and WAL (readers do not
    # block the writer when several workers share the file).
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.close()


__all__ = ["Database", "MIGRATIONS", "SCHEMA_VERSION", "conversations", "feedback", "metadata", "turns"]
