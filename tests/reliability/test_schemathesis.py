"""`schemathesis run` against the live app's own OpenAPI document.

Generated requests — schema examples, boundary and invalid values (coverage), random ones
(fuzzing) and linked sequences (stateful) — go over real HTTP to every documented operation.
No response may be a 5xx, and every status code, content type, header and body (each
Server-Sent Event too) must be the one the document declares.

The app serves a throw-away index of two small corpus documents: the admin operations upload,
delete, re-publish and reindex, so the session's shared index is left alone. Everything runs
once as the public (the admin operations must then answer the documented 401) and the admin
operations once more with the admin token. The rate limit is high so that it does not decide
the outcome; 429 is documented (``test_load.py`` exercises it).

The schemathesis CLI is used rather than its pytest plugin: the plugin's lazy loader (needed
to take the schema from a live-server fixture) does not work with pytest 9.2.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from radslag.components import Components
from tests.api.live import ADMIN_TOKEN, LiveServer, api_settings
from tests.conftest import CORPUS, make_settings
from tests.ingest.conftest import copy_docs

pytestmark = pytest.mark.slow

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
ADMIN_OPERATIONS = {
    "POST /api/documents",
    "DELETE /api/documents/{doc_id}",
    "PATCH /api/documents/{doc_id}",
    "POST /api/reindex",
    "GET /api/feedback",
}
ANSWERING = ("POST /api/ask", "POST /api/ask/stream", "POST /v1/chat/completions")


def _schemathesis() -> str:
    beside = Path(sys.executable).with_name("schemathesis")
    found = str(beside) if beside.exists() else shutil.which("schemathesis")
    assert found, "schemathesis is not installed (pip install -e '.[test]')"
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("schemathesis")
    corpus = root / "corpus"
    copy_docs(CORPUS, corpus, "000_", "002_")  # small, so that POST /api/reindex stays quick
    settings = api_settings(make_settings(root / "data").model_copy(update={"corpus_dir": corpus}))
    comps = Components(settings)
    comps.__dict__["embedder"] = embedder  # share the session's loaded model
    assert comps.ingestor.ingest([corpus]).as_dict()["indexed"] == 2
    live = LiveServer(create_app(settings, comps)).start()
    yield live
    live.stop()


def run_schemathesis(url: str, report: Path, *args: str) -> dict[str, Any]:
    """One bounded ``schemathesis run`` (fixed seed: the same cases every time); its JSON report."""
    cmd = [
        _schemathesis(), "run", f"{url}/openapi.json",
        "--checks", ",".join(CHECKS),
        "--max-examples", "25",
        "--seed", "20240601",
        "--workers", "1",  # two shared cores: parallel requests would only measure contention
        "--request-timeout", "300",
        "--report", "json", "--report-json-path", str(report),
        *args,
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=report.parent)
    print(done.stdout[-4000:])
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    result: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    assert result["complete"] and result["stop_reason"] == "completed", result
    assert result["failures"] == [] and result["errors"] == [], done.stdout[-12000:]
    assert result["exit_code"] == 0 and done.returncode == 0, done.stdout[-6000:]
    ops = result["operations"]
    assert ops["tested"] == ops["selected"] > 0 and ops["errored"] == 0, ops
    return result


def _accepted(result: dict[str, Any], operation: str) -> int:
    return sum(phase.get("accepted", 0) for phase in result["valid_rates"].get(operation, {}).values())


def test_every_operation_as_the_public(server: LiveServer, tmp_path: Path) -> None:
    result = run_schemathesis(server.url, tmp_path / "public.json")
    assert result["operations"]["selected"] >= 19  # every documented operation, admin ones included
    assert result["test_cases"]["generated"] >= 200
    # Without credentials the admin operations answer 401 only; nothing else did.
    assert set(result["warnings"]["missing_auth"]) == ADMIN_OPERATIONS
    for operation in ANSWERING:  # real answers were produced, not just rejections
        assert _accepted(result, operation) > 0, (operation, result["valid_rates"].get(operation))


def test_admin_operations_with_the_token(server: LiveServer, tmp_path: Path) -> None:
    result = run_schemathesis(
        server.url, tmp_path / "admin.json", "--include-tag", "admin", "--header", f"Authorization: Bearer {ADMIN_TOKEN}"
    )
    assert result["operations"]["selected"] == len(ADMIN_OPERATIONS)
    assert result["warnings"]["missing_auth"] == []  # the token was accepted


def test_server_healthy_and_limits_documented(server: LiveServer) -> None:
    """After the generated traffic the server is still ready, and the limits it enforces outside
    the routes (body size, rate limit, store outage) are in the document."""
    assert httpx.get(f"{server.url}/readyz", timeout=30).status_code == 200
    spec = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    for path in ("/api/ask", "/api/ask/stream", "/v1/chat/completions"):
        responses = spec["paths"][path]["post"]["responses"]
        # /v1 answers invalid bodies with OpenAI's 400, never 422.
        expected = {"400", "413", "429"} | ({"404"} if path.startswith("/v1/") else {"422"})
        assert expected <= set(responses) and (path.startswith("/api/") or "422" not in responses), (path, sorted(responses))
        assert "Retry-After" in responses["429"]["headers"]
    for path in ("/api/ask", "/v1/chat/completions", "/api/documents"):
        method = "get" if path == "/api/documents" else "post"
        assert "Retry-After" in spec["paths"][path][method]["responses"]["503"]["headers"], path
    events = spec["paths"]["/api/ask/stream"]["post"]["responses"]["200"]["content"]["text/event-stream"]["schema"]
    assert {e["properties"]["event"]["const"] for e in events["oneOf"]} == {"part", "final", "error"}
    assert {"StreamPart", "StreamError", "ChatCompletionChunk", "ErrorDetail", "OpenAIError"} <= set(spec["components"]["schemas"])
    assert "429" not in spec["paths"]["/v1/models"]["get"]["responses"]  # outside the question budget
