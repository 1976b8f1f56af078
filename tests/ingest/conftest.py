"""Fixtures for ingest tests: separate throw-away indexes that share the session's model."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from eval.servers import ChromaServer
from eval.servers import running_chroma as chroma_under
from radslag.components import Components
from tests.conftest import make_settings

__all__ = ["ChromaServer", "components_for", "copy_docs", "running_chroma"]


def components_for(data_dir: Path, embedder, **overrides: object) -> Components:  # type: ignore[no-untyped-def]
    """A new index in ``data_dir`` (or on a Chroma server via ``chroma_url``) with the loaded model."""
    comps = Components(make_settings(data_dir, **overrides))
    comps.__dict__["embedder"] = embedder
    return comps


@pytest.fixture
def fresh_components(tmp_path: Path, embedder) -> Callable[..., Components]:  # type: ignore[no-untyped-def]
    """Factory for empty embedded indexes under this test's tmp dir."""
    made = 0

    def make(**overrides: object) -> Components:
        nonlocal made
        made += 1
        return components_for(tmp_path / f"index{made}", embedder, **overrides)

    return make


def copy_docs(corpus_dir: Path, dest: Path, *prefixes: str) -> list[Path]:
    """Writable copies of the corpus files whose names start with ``prefixes``."""
    dest.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    for prefix in prefixes:
        src = next(corpus_dir.glob(f"{prefix}*"))
        target = dest / src.name
        target.write_bytes(src.read_bytes())
        out.append(target)
    return out


def running_chroma(root: Path) -> Iterator[ChromaServer]:
    """A started `chroma run` under ``root`` on a free port; stopped when the generator ends."""
    with chroma_under(root) as server:
        yield server


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """A Chroma server for the session; always stopped at teardown."""
    yield from running_chroma(tmp_path_factory.mktemp("chroma_server"))
