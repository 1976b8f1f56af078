"""The application database on a real SQLite file: migrations, conversations per owner, feedback, export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect

from radslag import db
from radslag.conversations import ConversationStore
from radslag.db import Database
from radslag.feedback import FeedbackStore, gold_candidate
from radslag.feedback_cli import export_candidates
from tests.conftest import ROOT, make_settings

ANSWER = {
    "question": "Vilka nämnder vill samordna facilitatorer centralt?",
    "answer": "Farsta vill det [1].",
    "language": "sv",
    "citations": [
        {"n": 1, "chunk_id": "c1", "doc_id": "004_x", "source": "004_x.txt", "title": "", "committee": "Farsta",
         "section_path": "Stadsdelsförvaltningar > Farsta", "page": 3, "text": "Farsta anser att " + "facilitatorer " * 40},
        {"n": 2, "chunk_id": "c2", "doc_id": "001_y", "source": "001_y.txt", "title": "", "committee": "",
         "section_path": "Bakgrund > Förslag", "page": None, "text": "Kort stycke om förslaget och dess bakgrund."},
    ],
}


@pytest.fixture
def database(tmp_path: Path) -> Database:
    return Database(make_settings(tmp_path).database)


def test_migrations_build_the_declared_schema_once(tmp_path: Path) -> None:
    url = make_settings(tmp_path).database
    first = Database(url)
    assert first.version() == db.SCHEMA_VERSION >= 1
    live = inspect(first.engine)
    for table in db.metadata.sorted_tables:
        assert {c["name"] for c in live.get_columns(table.name)} == {c.name for c in table.columns}, table.name
    FeedbackStore(first).add("anna", "helpful", ANSWER)
    first.dispose()
    again = Database(url)  # a restart: nothing re-created, nothing lost
    assert again.version() == db.SCHEMA_VERSION and FeedbackStore(again).count() == 1


def test_a_newer_schema_is_refused(database: Database) -> None:
    with database.engine.begin() as conn:
        conn.execute(db.schema_version.update().values(version=db.SCHEMA_VERSION + 1))
    with pytest.raises(RuntimeError, match="newer"):
        database.migrate()


def test_conversations_belong_to_their_owner(database: Database) -> None:
    store = ConversationStore(database)
    cid = store.append("anna", None, ANSWER["question"], ANSWER)
    assert store.append("anna", cid, "Och Farsta?", ANSWER) == cid
    assert [t.question for t in store.turns("anna", cid) or []] == [ANSWER["question"], "Och Farsta?"]
    assert store.turns("bo", cid) is None and store.list("bo") == []
    assert store.append("bo", cid, "Kapning?", ANSWER) != cid  # another's id starts a new conversation of one's own
    assert not store.delete("bo", cid)
    (info,) = store.list("anna")
    assert info.id == cid and info.turns == 2 and info.title == ANSWER["question"]
    assert store.delete("anna", cid) and store.list("anna") == [] and store.turns("anna", cid) is None


def test_feedback_verdicts_and_comments(database: Database) -> None:
    store = FeedbackStore(database)
    fid = store.add("anna", "wrong", ANSWER, conversation_id="abc", turn=0)
    assert store.update(fid, "anna", comment="Farsta sa nej.")
    assert not store.update(fid, "bo", comment="inte min")
    with pytest.raises(ValueError):
        store.add("anna", "maybe", ANSWER)  # type: ignore[arg-type]
    (rec,) = store.list()
    assert (rec.verdict, rec.comment, rec.question, rec.turn) == ("wrong", "Farsta sa nej.", ANSWER["question"], 0)
    assert [c["doc_id"] for c in rec.citations] == ["004_x", "001_y"]
    assert store.list("helpful") == [] and store.count("wrong") == 1


def test_a_conversations_verdicts_by_turn(database: Database) -> None:
    """What a reopened conversation shows: each turn's newest verdict by its owner."""
    store = FeedbackStore(database)
    store.add("anna", "helpful", ANSWER, conversation_id="abc", turn=0)
    newer = store.add("anna", "wrong", ANSWER, conversation_id="abc", turn=0)
    store.add("anna", "helpful", ANSWER, conversation_id="abc", turn=2)
    store.add("anna", "wrong", ANSWER, conversation_id="other", turn=1)
    store.add("bo", "wrong", ANSWER, conversation_id="abc", turn=1)
    store.add("anna", "helpful", ANSWER)  # given outside a saved conversation
    verdicts = store.of_conversation("anna", "abc")
    assert {turn: r.verdict for turn, r in verdicts.items()} == {0: "wrong", 2: "helpful"}
    assert verdicts[0].id == newer
    assert store.of_conversation("bo", "abc")[1].verdict == "wrong" and store.of_conversation("bo", "other") == {}


def test_gold_candidate_follows_the_gold_format(database: Database) -> None:
    store = FeedbackStore(database)
    store.add("anna", "helpful", ANSWER)
    store.add("anna", "wrong", ANSWER, comment="fel nämnd")
    wrong, helpful = (gold_candidate(r) for r in store.list())
    assert helpful["must_mention"] == ["Farsta"] and wrong["must_mention"] == []  # a wrong answer's names are not trusted
    assert wrong["verdict"] == "wrong" and wrong["comment"] == "fel nämnd" and wrong["lang"] == "sv"
    first, second = wrong["evidence"]
    assert first["doc"] == "004_x.txt" and first["section"] == "Farsta"  # 004_*: the committee
    assert second["section"] == "Förslag"  # otherwise the nearest heading
    for ev in wrong["evidence"]:
        assert len(ev["quote"]) <= 300 and any(ev["quote"] in " ".join(c["text"].split()) for c in ANSWER["citations"])


def test_cli_export_writes_candidates(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    database = Database(settings.database)
    FeedbackStore(database).add("anna", "wrong", ANSWER, comment="saknar Skarpnäck")
    FeedbackStore(database).add("anna", "helpful", ANSWER)
    out = tmp_path / "out" / "candidates.jsonl"
    env = {**os.environ, "RADSLAG_DATA_DIR": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-m", "radslag.cli", "feedback", "export", "--out", str(out), "--verdict", "wrong"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    (item,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert item["comment"] == "saknar Skarpnäck" and item["question"] == ANSWER["question"] and item["evidence"]
    assert export_candidates(settings, tmp_path / "all.jsonl") == 2
