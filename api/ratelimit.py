"""Per-client moving-window rate limit on the question endpoints, shared by all replicas.

The counting is the ``limits`` library's (:mod:`api.limiter`): in Redis when
``RADSLAG_REDIS_URL`` is set, so every replica and worker pointed at that Redis spends one
budget per client; otherwise in this process's memory (a single process, or each replica
counting alone). Only the given path prefixes count, and CORS preflights (OPTIONS) never do.

When Redis is configured but does not answer, a request on a limited path gets 503 with a JSON
error saying the rate-limit store is unavailable (and ``Retry-After``). It fails closed rather
than open on purpose: the limit protects the expensive answer path, and letting everything
through would quietly multiply every client's budget by the replica count for as long as Redis
is down; a 503 is visible, and is what the API already answers when the document store is down.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import RETRY_AFTER_S, error_payload
from api.limiter import STORE_UNAVAILABLE, LimitStoreUnavailable, WindowLimit

log = logging.getLogger(__name__)


class RateLimitMiddleware:
    """Answers 429 with ``Retry-After`` when a client exceeds the limit on given path prefixes.

    Only the prefixes count: a path outside them (e.g. ``/v1/models``) never spends a
    client's budget. ``limit`` None means no limit."""

    def __init__(self, app: ASGIApp, limit: WindowLimit | None, prefixes: Sequence[str]) -> None:
        self.app = app
        self.prefixes = tuple(prefixes)
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.limit is None
            or scope["type"] != "http"
            or scope.get("method") == "OPTIONS"
            or not scope["path"].startswith(self.prefixes)
        ):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        key = client[0] if client else "unknown"
        try:
            # A Redis round trip is network I/O: off the event loop, so a slow Redis stalls no other request.
            wait = await run_in_threadpool(self.limit.hit, key) if self.limit.remote else self.limit.hit(key)
        except LimitStoreUnavailable as exc:
            log.warning("%s: rate-limit store unavailable (%s)", scope["path"], exc)
            await _send_json(send, scope["path"], 503, STORE_UNAVAILABLE, str(RETRY_AFTER_S), code="service_unavailable")
            return
        if not wait:
            await self.app(scope, receive, send)
            return
        retry = str(math.ceil(wait))
        # On /v1 OpenAI's error object, so that OpenAI clients raise their RateLimitError.
        await _send_json(send, scope["path"], 429, f"Too many requests: try again in {retry} s.", retry)


async def _send_json(send: Send, path: str, status: int, message: str, retry_after: str, **openai: str | None) -> None:
    body = json.dumps(error_payload(path, status, message, **openai)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"retry-after", retry_after.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
