"""The cache FEEDBACKWALL_CACHE_URL names (Flask-Caching's backends); a Redis one degrades.

With Redis configured but unreachable (down, hung, a wrong port), every cache
call raised and every poll, sign-in and push answered 500. The Redis cache here
is :class:`FallbackRedisCache`: while Redis does not answer, each process keeps
its cache to itself (figures are keyed by the store's data version, so nothing
stale is served; processes merely stop sharing work), logs a warning once, asks
Redis again every RETRY_AFTER seconds, and says so through :func:`health`
(``/readyz``: degraded).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlparse

import redis
from flask_caching.backends import (
    BaseCache,
    FileSystemCache,
    NullCache,
    RedisCache,
    SimpleCache,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Entries of an in-process cache (each a panel or a query result).
LOCAL_ENTRIES = 2000
#: Seconds Redis may take to connect or answer before it counts as unreachable (it
#: answers in well under a millisecond when well).
REDIS_TIMEOUT = 1.0
#: Seconds between attempts to reach Redis again while it is unreachable.
RETRY_AFTER = 10.0


def make_cache(url: str) -> BaseCache:
    """The cache a cache URL names (Flask-Caching's backends; no Flask app needed).

    ``simple`` (default) is per process; ``redis://`` is shared by every worker
    and host (this process's own while Redis is unreachable); ``filesystem:///dir``
    is shared by the workers of one host; ``null`` keeps nothing.
    """
    if url in ("", "simple"):
        return SimpleCache(threshold=LOCAL_ENTRIES)
    if url == "null":
        return NullCache()
    if url.startswith(("redis://", "rediss://")):
        client = redis.Redis.from_url(url, **redis_timeouts())
        return FallbackRedisCache(
            RedisCache(host=client, key_prefix="fw:"), SimpleCache(threshold=LOCAL_ENTRIES)
        )
    if url.startswith("filesystem://"):
        return FileSystemCache(urlparse(url).path)
    raise ValueError(f"unsupported cache URL {url!r}")


def redis_timeouts() -> dict[str, Any]:
    """Options of a Redis client that never waits long (the cache and the rate limits)."""
    return {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT}


class FallbackRedisCache(BaseCache):
    """Redis, or this process's own SimpleCache while Redis does not answer."""

    def __init__(self, shared: RedisCache, local: SimpleCache) -> None:
        super().__init__(default_timeout=local.default_timeout)
        self.shared, self.local = shared, local
        self._lock = threading.Lock()
        #: Why Redis was last unreachable and when to try it again (None: it answers).
        self._down: tuple[str, float] | None = None

    def problem(self) -> str | None:
        """Why Redis is not in use now, or None when it is."""
        down = self._down
        return down[0] if down else None

    def check(self) -> str | None:
        """Ask Redis now unless it failed within RETRY_AFTER; why it is not in use, or None."""
        self._use(lambda cache: cache.has("readyz"))
        return self.problem()

    def _use(self, call: Callable[[BaseCache], T]) -> T:
        down = self._down
        if down is not None and time.monotonic() < down[1]:
            return call(self.local)
        try:
            result = call(self.shared)
        except redis.RedisError as exc:
            reason = f"{type(exc).__name__}: {exc}"
            with self._lock:
                if self._down is None:
                    log.warning(
                        "cache: Redis unreachable (%s); each process caches on its own "
                        "and tries Redis again every %g s",
                        reason,
                        RETRY_AFTER,
                    )
                self._down = (reason, time.monotonic() + RETRY_AFTER)
            return call(self.local)
        if down is not None:
            with self._lock:
                if self._down is not None:
                    log.info("cache: Redis answers again; the cache is shared again")
                self._down = None
        return result

    def get(self, key: str) -> Any:
        """The value under *key*, or None."""
        return self._use(lambda cache: cache.get(key))

    def get_many(self, *keys: str) -> list[Any]:
        """The values under *keys*, None where missing."""
        return self._use(lambda cache: cache.get_many(*keys))

    def has(self, key: str) -> bool:
        """Whether *key* holds a value."""
        return self._use(lambda cache: cache.has(key))

    def set(self, key: str, value: Any, timeout: int | dt.timedelta | None = None) -> Any:
        """Keep *value* under *key*."""
        return self._use(lambda cache: cache.set(key, value, timeout))

    def add(self, key: str, value: Any, timeout: int | dt.timedelta | None = None) -> bool:
        """Keep *value* under *key* unless it holds one; whether it was kept."""
        return self._use(lambda cache: cache.add(key, value, timeout))

    def set_many(self, mapping: dict[str, Any], timeout: int | dt.timedelta | None = None) -> Any:
        """Keep every value of *mapping* under its key."""
        return self._use(lambda cache: cache.set_many(mapping, timeout))

    def delete(self, key: str) -> bool:
        """Forget *key*."""
        return self._use(lambda cache: cache.delete(key))

    def delete_many(self, *keys: str) -> Any:
        """Forget *keys*."""
        return self._use(lambda cache: cache.delete_many(*keys))

    def clear(self) -> bool:
        """Forget everything."""
        return self._use(lambda cache: cache.clear())

    def inc(self, key: str, delta: int = 1) -> Any:
        """Add *delta* to the number under *key*."""
        return self._use(lambda cache: cache.inc(key, delta))

    def dec(self, key: str, delta: int = 1) -> Any:
        """Take *delta* from the number under *key*."""
        return self._use(lambda cache: cache.dec(key, delta))


def health(cache: BaseCache) -> tuple[bool, str | None]:
    """Whether *cache* works as configured, and if not why (asks Redis if it may be back)."""
    if isinstance(cache, FallbackRedisCache):
        problem = cache.check()
        return problem is None, problem
    return True, None
