"""Shared fixtures: one real index (embedded Chroma + the bundled e5 model) per session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from radslag.components import Components  # noqa: E402
from radslag.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "data" / "corpus"
GOLD = ROOT / "eval" / "data" / "gold-dev.jsonl"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def gold_path() -> Path:
    return GOLD


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test: its own data dir, the shipped corpus, no .env file."""
    return Settings(_env_file=None, data_dir=data_dir, corpus_dir=CORPUS, **overrides)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    """The real bundled model, loaded once."""
    from ingest.embed import load_e5_embedder

    return load_e5_embedder()


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("index")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(index_dir: Path) -> Settings:
    return make_settings(index_dir)


@pytest.fixture(scope="session")
def components(settings: Settings, embedder) -> Components:  # type: ignore[no-untyped-def]
    """The sample corpus indexed once per session into an embedded Chroma."""
    comps = Components(settings)
    comps.__dict__["embedder"] = embedder  # share the one loaded model
    report = comps.ingestor.ingest([CORPUS])
    assert not [f for f in report.files if f.status == "skipped"], report.as_dict()
    return comps


@pytest.fixture(scope="session")
def pipeline(components: Components):  # type: ignore[no-untyped-def]
    return components.pipeline
