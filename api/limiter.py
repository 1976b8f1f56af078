"""Moving-window limits on the ``limits`` library, shared by every replica through Redis.

``limit_storage(settings)`` is Redis (``RADSLAG_REDIS_URL``) or, unset, ``limits``' in-memory
store: then each process counts alone. Each :class:`WindowLimit` is one budget (the question
budget, failed sign-ins) keyed by client; its keys live under ``settings.redis_key_prefix``
(``radslag:<name>/…``) so that other apps or deployments can share the Redis.

Entries are timestamped with each replica's clock (``limits`` passes ``time.time()``): replicas
on different machines need synchronised clocks (NTP) for the window to be exact.
"""

from __future__ import annotations

import logging
import time

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from radslag.settings import Settings

log = logging.getLogger(__name__)

# A request must not hang on a dead Redis: one second to connect or answer, then 503.
REDIS_TIMEOUT_S = 1.0
STORE_UNAVAILABLE = "The rate-limit store is temporarily unavailable; please try again shortly."


class LimitStoreUnavailable(RuntimeError):
    """The shared store (Redis) did not answer; the caller answers 503, never a 500."""


def limit_storage(settings: Settings) -> Storage:
    """Redis when ``settings.redis_url`` is set, else a per-process in-memory store.

    Nothing connects here: redis-py connects on first use, so an app starts while Redis is
    down and its requests get 503 until Redis is back."""
    if settings.redis_url:
        return RedisStorage(
            settings.redis_url,
            key_prefix=settings.redis_key_prefix,
            socket_connect_timeout=REDIS_TIMEOUT_S,
            socket_timeout=REDIS_TIMEOUT_S,
        )
    return MemoryStorage()


def is_shared(storage: Storage) -> bool:
    """Whether ``storage`` is a shared (network) store rather than this process's memory."""
    return not isinstance(storage, MemoryStorage)


class WindowLimit:
    """At most ``amount`` hits per ``window_s`` seconds for each key (a moving window)."""

    def __init__(self, storage: Storage, amount: int, window_s: int, name: str) -> None:
        self.storage = storage
        self.item = RateLimitItemPerSecond(amount, window_s, namespace=name)
        self.limiter = MovingWindowRateLimiter(storage)
        # Only a remote store does network I/O: the middleware moves those calls off the event loop.
        self.remote = is_shared(storage)
        # ``limits`` wraps only some storage methods in its StorageError: the moving-window ones
        # raise the client's own errors (redis.RedisError), so catch the storage's base exceptions.
        self._errors: tuple[type[BaseException], ...] = (
            _as_tuple(storage.base_exceptions) if self.remote else ()
        )

    def hit(self, key: str) -> float:
        """Spend one hit; 0 when allowed, else the seconds until a hit is allowed (nothing spent)."""
        try:
            if self.limiter.hit(self.item, key):
                return 0.0
            return self._wait(key)
        except self._errors as exc:
            raise LimitStoreUnavailable(str(exc)) from exc

    def blocked_for(self, key: str) -> float:
        """Seconds until ``key`` may hit again (0: now), without spending anything."""
        try:
            return 0.0 if self.limiter.test(self.item, key) else self._wait(key)
        except self._errors as exc:
            raise LimitStoreUnavailable(str(exc)) from exc

    def _wait(self, key: str) -> float:
        # The moving window's reset is when its oldest hit leaves the window: one hit is free then.
        reset = self.limiter.get_window_stats(self.item, key).reset_time
        return max(reset - time.time(), 0.001)

    def clear(self, key: str) -> None:
        self.limiter.clear(self.item, key)


def _as_tuple(exc: type[BaseException] | tuple[type[BaseException], ...]) -> tuple[type[BaseException], ...]:
    return exc if isinstance(exc, tuple) else (exc,)
