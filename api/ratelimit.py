"""Per-client sliding-window rate limit for the public endpoints (in-process).

One process keeps its own counters: behind several replicas the effective limit is the
per-replica limit times the replica count (use the load balancer's limiter there).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_payload


class SlidingWindowLimiter:
    """At most ``limit`` hits per ``window_s`` seconds for each key."""

    def __init__(self, limit: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        """Record a hit; return 0 when allowed, else the seconds until one is allowed."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(hits[0] + self.window_s - now, 0.001)
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients so memory stays bounded
                for k in [k for k, v in self._hits.items() if not v]:
                    del self._hits[k]
            return 0.0


class RateLimitMiddleware:
    """Answers 429 with ``Retry-After`` when a client exceeds the limit on given path prefixes.

    Only the prefixes count: a path outside them (e.g. ``/v1/models``) never spends a
    client's budget."""

    def __init__(self, app: ASGIApp, limit_per_minute: int, prefixes: Sequence[str]) -> None:
        self.app = app
        self.prefixes = tuple(prefixes)
        self.limiter = SlidingWindowLimiter(limit_per_minute) if limit_per_minute > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.limiter is None
            or scope["type"] != "http"
            or scope.get("method") == "OPTIONS"
            or not scope["path"].startswith(self.prefixes)
        ):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.limiter.hit(client[0] if client else "unknown")
        if not wait:
            await self.app(scope, receive, send)
            return
        retry = str(math.ceil(wait))
        # On /v1 OpenAI's error object, so that OpenAI clients raise their RateLimitError.
        body = json.dumps(error_payload(scope["path"], 429, f"Too many requests: try again in {retry} s.")).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"retry-after", retry.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
