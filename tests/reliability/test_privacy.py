"""Question logging: redaction, off by default, day files, retention (real files in tmp), and every
answering endpoint — JSON and streamed — logging through it, checked over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.auth import COOKIE
from api.privacy import EMAIL, PHONE, PNR, QuestionLog, log_answer, question_log, redact
from radslag.components import Components
from radslag.settings import ApiSettings, Settings
from radslag.users import UserStore, users_path
from rag.types import Answer, Citation
from tests.api.live import LiveServer, api_settings
from tests.api.sse import iter_events
from tests.conftest import make_settings


@pytest.mark.parametrize(
    ("text", "placeholder", "secret"),
    [
        ("Mitt personnummer är 850709-9805.", PNR, "850709-9805"),
        ("pnr 19850709-9805 tack", PNR, "19850709-9805"),
        ("pnr 198507099805", PNR, "198507099805"),
        ("född 850709+9805 (över 100)", PNR, "850709+9805"),
        ("utan streck 8507099805", PNR, "8507099805"),
        ("samordningsnummer 850769-9805", PNR, "850769-9805"),
        ("Mejla anna.svensson@stockholm.se om detta", EMAIL, "anna.svensson@stockholm.se"),
        ("skriv till a_b+tag@sub.example.com.", EMAIL, "a_b+tag@sub.example.com"),
        ("Ring 08-123 456 78 i morgon", PHONE, "08-123 456 78"),
        ("mobil 070-123 45 67", PHONE, "070-123 45 67"),
        ("mobil +46 70 123 45 67", PHONE, "+46 70 123 45 67"),
        ("växel 0046 8 508 290 00", PHONE, "0046 8 508 290 00"),
        ("tel 08-12 34 56", PHONE, "08-12 34 56"),
        ("tel 0701234567", PNR, "0701234567"),  # also a valid personnummer shape: redacted either way
    ],
)
def test_redacts_personal_data(text: str, placeholder: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out
    assert placeholder in out


def test_redacts_several_and_keeps_the_rest() -> None:
    text = "Jag (850709-9805, anna@example.se, 070-123 45 67) undrar om Järvalyftet 2016."
    assert redact(text) == f"Jag ({PNR}, {EMAIL}, {PHONE}) undrar om Järvalyftet 2016."


def test_phone_followed_by_a_year_keeps_the_year() -> None:
    assert redact("ring 08-123 456 78 2016") == f"ring {PHONE} 2016"


@pytest.mark.parametrize(
    "text",
    [
        "Se avsnitt 4.3.2 i remissen.",
        "Beslutet fattades 2016.",
        "Målet är 24 500 bostäder till 2030.",
        "Datum 2016-05-12 och 2016-05-12 14:00",
        "Dnr KS 2016/1234 och 1.5.1-123/2016",
        "Stockholms stads organisationsnummer 212000-0142",
        "Kostnaden är 10 000 000 kr, 3,5 procent.",
        "Paragraf 12 § 3, sidan 45-47",
        "Vilka nämnder vill att facilitatorer samordnas centralt?",
    ],
)
def test_leaves_ordinary_text_alone(text: str) -> None:
    assert redact(text) == text


def _answer(question: str) -> Answer:
    cite = Citation(n=1, chunk_id="c1", doc_id="003_cee42084136e04fd", source="003.txt", committee="Kulturnämnden",
                    section_path="Synpunkter", page=None, text="Ett stycke.")
    return Answer(question=question, answer="Svaret med källa [1].", refused=False, language="sv",
                  strategy="direct", citations=[cite], latency_s=0.1234)


def test_logging_is_off_by_default(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    assert ApiSettings().log_questions is False
    assert settings.api.question_log_retention_days == 30
    log_answer(settings, _answer("Vad gäller för 850709-9805?"), "/api/ask")
    assert QuestionLog(tmp_path / "logs").record("q", strategy="direct", refused=False, latency_s=0.1) is None
    assert not (tmp_path / "logs").exists()


def test_enabled_log_writes_redacted_jsonl(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, api=ApiSettings(log_questions=True))
    log_answer(settings, _answer("Jag heter Anna, 850709-9805, anna@example.se. Vad är Järvalyftet?"), "/api/ask")
    log_answer(settings, _answer("Och 070-123 45 67?"), "/v1/chat/completions")
    files = list((tmp_path / "logs").glob("questions-*.jsonl"))
    assert [f.name for f in files] == [f"questions-{datetime.now(UTC).date().isoformat()}.jsonl"]
    raw = files[0].read_text(encoding="utf-8")
    assert "850709-9805" not in raw and "anna@example.se" not in raw and "070-123" not in raw
    assert "Svaret med källa" not in raw  # the answer text is never logged
    first, second = (json.loads(line) for line in raw.splitlines())
    assert first["question"] == f"Jag heter Anna, {PNR}, {EMAIL}. Vad är Järvalyftet?"
    assert first["strategy"] == "direct" and first["refused"] is False and first["latency_s"] == 0.123
    assert first["doc_ids"] == ["003_cee42084136e04fd"] and first["endpoint"] == "/api/ask"
    assert datetime.fromisoformat(first["ts"]).tzinfo is not None
    assert second["endpoint"] == "/v1/chat/completions" and PHONE in second["question"]
    assert question_log(settings) is question_log(settings)


def test_retention_deletes_old_day_files(tmp_path: Path) -> None:
    now = datetime(2025, 3, 31, 12, tzinfo=UTC)
    logs = tmp_path / "logs"
    logs.mkdir()
    old = [logs / f"questions-{(now - timedelta(days=d)).date()}.jsonl" for d in (31, 45, 400)]
    kept = [logs / f"questions-{(now - timedelta(days=d)).date()}.jsonl" for d in (1, 30)]
    other = logs / "notes.txt"
    for p in (*old, *kept, other):
        p.write_text("{}\n")
    qlog = QuestionLog(logs, enabled=True, retention_days=30, clock=lambda: now)
    written = qlog.record("Vad är Järvalyftet?", strategy="direct", refused=False, latency_s=0.2)
    assert written == logs / "questions-2025-03-31.jsonl"
    assert sorted(p.name for p in logs.iterdir()) == sorted(
        [p.name for p in kept] + [other.name, written.name]
    )
    assert qlog.prune() == []


def test_day_rollover_starts_a_new_file(tmp_path: Path) -> None:
    clock = [datetime(2025, 1, 1, 23, 59, tzinfo=UTC)]
    qlog = QuestionLog(tmp_path, enabled=True, retention_days=1, clock=lambda: clock[0])
    a = qlog.record("a", strategy="direct", refused=False, latency_s=0)
    clock[0] = datetime(2025, 1, 3, 0, 1, tzinfo=UTC)
    b = qlog.record("b", strategy="refuse", refused=True, latency_s=0)
    assert a != b and b is not None and b.exists()
    assert a is not None and not a.exists()  # two days old with a one-day retention


# -- every answering endpoint, over real HTTP ----------------------------------------------------

PERSONAL = "Jag heter Anna, 850709-9805, anna.svensson@example.se, 070-123 45 67."
SECRETS = ("850709-9805", "anna.svensson@example.se", "070-123 45 67", "070-123")
QUESTION = "Hur använder Hässelby-Vällingby musik i integrationsarbetet?"  # answerable, with the details after it


@pytest.fixture(scope="module")
def log_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("qlog")


OFFICIAL = ("anna", "Anna-lösen-1234")


@pytest.fixture(scope="module")
def logging_server(settings: Settings, components: Components, log_data_dir: Path) -> Iterator[LiveServer]:
    """The real app over the session's index with question logging on, logging to its own folder
    (where its users live too: one official, for the workspace)."""
    app_settings = api_settings(settings, log_questions=True).model_copy(update={"data_dir": log_data_dir})
    UserStore(users_path(app_settings)).add(*OFFICIAL, role="official", rounds=4)
    server = LiveServer(create_app(app_settings, components)).start()
    yield server
    server.stop()


def _ask_everywhere(url: str, question: str) -> dict[str, list[str]]:
    """The question to each answering endpoint (JSON and streamed); the doc ids each one cited."""
    cited: dict[str, list[str]] = {}
    chat = {"model": "radslag", "messages": [{"role": "user", "content": question}]}
    with httpx.Client(base_url=url, timeout=120) as c:
        r = c.post("/api/ask", json={"question": question})
        assert r.status_code == 200, r.text
        cited["/api/ask"] = [x["doc_id"] for x in r.json()["citations"]]

        with c.stream("POST", "/api/ask/stream", json={"question": question}) as r:
            assert r.status_code == 200
            events = list(iter_events(r))
        final = json.loads(next(data for name, data in events if name == "final"))
        cited["/api/ask/stream"] = [x["doc_id"] for x in final["citations"]]

        r = c.post("/v1/chat/completions", json=chat)
        assert r.status_code == 200, r.text
        cited["/v1/chat/completions"] = [x["doc_id"] for x in r.json()["citations"]]

        with c.stream("POST", "/v1/chat/completions", json={**chat, "stream": True}) as r:
            assert r.status_code == 200
            data = [d for _, d in iter_events(r)]
        assert data[-1] == "[DONE]"
        last = json.loads(data[-2])
        cited["/v1/chat/completions (stream)"] = [x["doc_id"] for x in last["citations"]]
    return cited


def _ask_in_workspace(url: str, question: str) -> None:
    """The question through the officials' Gradio workspace, signed in, as the browser would send it."""
    from gradio_client import Client

    token = httpx.post(f"{url}/api/auth/login", json=dict(zip(("username", "password"), OFFICIAL, strict=True))).json()
    ui = Client(f"{url}/ui/", headers={"Cookie": f"{COOKIE}={token['token']}"}, verbose=False, analytics_enabled=False)
    messages, *_ = ui.predict(question, [], [], [], "sv", api_name="/respond")
    assert messages[-1]["role"] == "assistant" and messages[-1]["content"], messages


def _entries(data_dir: Path) -> list[dict[str, Any]]:
    files = sorted((data_dir / "logs").glob("questions-*.jsonl"))
    raw = "".join(f.read_text(encoding="utf-8") for f in files)
    for secret in SECRETS:
        assert secret not in raw, secret
    return [json.loads(line) for line in raw.splitlines()]


def test_every_answering_endpoint_logs_redacted(logging_server: LiveServer, log_data_dir: Path) -> None:
    assert not (log_data_dir / "logs").exists()  # nothing is logged before a question is answered
    cited = _ask_everywhere(logging_server.url, f"{QUESTION} {PERSONAL}")
    _ask_in_workspace(logging_server.url, f"{QUESTION} {PERSONAL}")
    new = _entries(log_data_dir)
    # One entry per answered question; the two /v1 calls (plain and streamed) share the endpoint name.
    assert sorted(e["endpoint"] for e in new) == sorted(
        ["/api/ask", "/api/ask/stream", "/v1/chat/completions", "/v1/chat/completions", "/ui"]
    )
    by_endpoint = {e["endpoint"]: e for e in new}
    for entry in new:
        assert entry["question"] == f"{QUESTION} Jag heter Anna, {PNR}, {EMAIL}, {PHONE}."
        assert entry["strategy"] and entry["refused"] is False and entry["latency_s"] > 0
        assert entry["doc_ids"]  # the question is answerable: every endpoint cited something
    for endpoint in ("/api/ask", "/api/ask/stream"):
        assert by_endpoint[endpoint]["doc_ids"] == sorted(set(cited[endpoint]))
    v1 = [sorted(set(cited[k])) for k in ("/v1/chat/completions", "/v1/chat/completions (stream)")]
    assert sorted(e["doc_ids"] for e in new if e["endpoint"] == "/v1/chat/completions") == sorted(v1)


def test_no_log_when_logging_is_off(live: LiveServer, settings: Settings) -> None:
    """The default app (logging off) answers on every endpoint and writes nothing."""
    assert live is not None and settings.api.log_questions is False
    _ask_everywhere(live.url, f"{QUESTION} {PERSONAL}")
    assert not (settings.data_dir / "logs").exists()
