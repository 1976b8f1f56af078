"""The verdicts of ``radslag bench --load N --replicas R`` (eval/replicas.py) from given figures.

The bench itself starts Chroma, Redis and four ``radslag serve`` processes (minutes); the same
processes are exercised by tests/api/test_replicas.py. Here: when it passes and when it fails.
"""

from __future__ import annotations

from collections import Counter

from eval.load import LoadResult
from eval.replicas import ReplicaBench

URLS = ["http://127.0.0.1:1", "http://127.0.0.1:2"]


def _result(statuses: dict[str, int], latencies: list[float] | None = None) -> LoadResult:
    out = LoadResult(clients=4, seconds=10, statuses=Counter(statuses), latencies_s=latencies or [0.5] * statuses.get("200", 0))
    out.by_url = Counter({URLS[0]: sum(statuses.values()) // 2, URLS[1]: sum(statuses.values()) - sum(statuses.values()) // 2})
    return out


def _bench(load: dict[str, int], limited: dict[str, int], visible: float | None = 1.2) -> ReplicaBench:
    return ReplicaBench(2, _result(load), _result(limited), limit=10, upload_visible_s=visible, urls=URLS)


def test_a_shared_limit_and_a_visible_upload_pass() -> None:
    bench = _bench({"200": 40}, {"200": 10, "429": 55})
    assert bench.shared_limit_ok and not bench.failed
    figures = bench.as_dict()
    assert figures["requests_by_replica"] == [20, 20] and figures["rate_limited"] == 55 and figures["limited_ok"] == 10
    assert {"replicas", "requests", "statuses", "server_errors", "p50_s", "p95_s", "upload_visible_s",
            "rate_limited", "shared_limit_ok"} <= set(figures)


def test_per_process_counting_fails_the_shared_limit() -> None:
    bench = _bench({"200": 40}, {"200": 20, "429": 40})  # each of two replicas let its own 10 through
    assert not bench.shared_limit_ok and bench.failed


def test_a_limit_never_reached_proves_nothing() -> None:
    assert not _bench({"200": 40}, {"200": 8}).shared_limit_ok


def test_server_errors_transport_errors_and_an_invisible_upload_fail() -> None:
    assert _bench({"200": 39, "500": 1}, {"200": 10, "429": 5}).failed
    assert _bench({"200": 39}, {"200": 10, "429": 5, "error:ConnectError": 1}).failed
    assert _bench({"200": 40}, {"200": 10, "429": 5}, visible=None).failed
