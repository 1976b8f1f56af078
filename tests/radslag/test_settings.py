"""The settings object's derived values."""

from __future__ import annotations

from radslag.settings import EmbeddingSettings


def test_serving_workers_share_the_cores_between_their_engines() -> None:
    assert EmbeddingSettings().worker_environment(1, cpus=8) == {}  # one process: every core
    assert EmbeddingSettings().worker_environment(2, cpus=8) == {"RADSLAG_EMBEDDING__THREADS": "4", "OMP_NUM_THREADS": "4"}
    assert EmbeddingSettings().worker_environment(4, cpus=2)["OMP_NUM_THREADS"] == "1"  # at least one each
    # A number set by hand is kept.
    assert EmbeddingSettings(threads=3).worker_environment(2, cpus=8)["OMP_NUM_THREADS"] == "3"
