"""Access-control fixtures: a small separate index with one internal document, served live.

``deployment("embedded")`` / ``deployment("server")``: the same setup on an embedded Chroma
and on a real ``chroma run`` server (the session's ``chroma_server`` from tests/ingest).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from api.app import create_app
from radslag.components import Components
from radslag.settings import ChromaSettings
from radslag.users import UserStore, users_path
from tests.api.live import LiveServer, api_settings
from tests.conftest import CORPUS, make_settings
from tests.ingest.conftest import ChromaServer, chroma_server, copy_docs  # noqa: F401 - chroma_server is a fixture

SECRET_DOC = "blavingen_internt"
SECRET_MARKERS = ("7781", "hemlighåll", SECRET_DOC)
SECRET_TEXT = """Projekt Blåvingen

Tjänsteutlåtande till Stadsledningskontoret

Sammanfattning
Projekt Blåvingen 7781 ska hemlighållas tills vidare. Projekt Blåvingen gäller en ny
samordning av stadens krisberedskap i Stadsledningskontoret. Budgeten för Projekt Blåvingen
är 7781 tusen kronor och projektet leds av säkerhetsavdelningen.

Förvaltningens synpunkter
Stadsledningskontoret anser att Projekt Blåvingen 7781 ska hemlighållas och inte
publiceras förrän kommunstyrelsen har fattat beslut.
"""
OFFICIAL = ("anna", "Anna-lösen-123")
ADMIN = ("bo", "Bo-lösen-4567")


@dataclass
class Deployment:
    kind: str
    url: str
    components: Components
    server: LiveServer
    passwords: dict[str, str] = field(default_factory=dict)


def _deploy(kind: str, root: Path, embedder, chroma_url: str | None = None) -> Deployment:  # type: ignore[no-untyped-def]
    overrides: dict[str, object] = {}
    if chroma_url:
        overrides["chroma"] = ChromaSettings(url=chroma_url, collection=f"access_{uuid.uuid4().hex[:8]}")
    settings = make_settings(root / "data", **overrides)
    comps = Components(settings)
    comps.__dict__["embedder"] = embedder
    public = copy_docs(CORPUS, root / "public", "000_", "003_")
    secret = root / "internal" / f"{SECRET_DOC}.txt"
    secret.parent.mkdir(parents=True)
    secret.write_text(SECRET_TEXT, encoding="utf-8")
    assert comps.ingestor.ingest(public).as_dict()["indexed"] == 2
    assert comps.ingestor.ingest([secret], visibility="internal").as_dict()["indexed"] == 1
    store = UserStore(users_path(settings))
    store.add(OFFICIAL[0], OFFICIAL[1], "official", rounds=4)
    store.add(ADMIN[0], ADMIN[1], "admin", rounds=4)
    server = LiveServer(create_app(api_settings(settings), comps)).start()
    return Deployment(kind, server.url, comps, server, dict([OFFICIAL, ADMIN]))


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[Deployment]:  # type: ignore[no-untyped-def]
    dep = _deploy("embedded", tmp_path_factory.mktemp("access_embedded"), embedder)
    yield dep
    dep.server.stop()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, embedder, chroma_server: ChromaServer) -> Iterator[Deployment]:  # type: ignore[no-untyped-def]  # noqa: F811
    dep = _deploy("server", tmp_path_factory.mktemp("access_served"), embedder, chroma_server.url)
    yield dep
    dep.server.stop()

