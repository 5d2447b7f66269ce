"""Rate limits: the push API per ingest token, sign-in per address and name (Flask-Limiter).

A sender over its limit gets 429 with Retry-After and a JSON error, so it slows
down and retries; nothing it sent before is affected. With a Redis cache URL
the counts are shared by every worker and host; otherwise each process counts
alone (the embedded single-process default).

Sign-in takes its slot of each limit before the password is checked (one
atomic increment in the limits' storage), so however many attempts arrive at
once, no more passwords are checked than the limit allows; a successful
sign-in gives its slots back, so only failures count.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

from flask import Flask, Response, current_app, jsonify, make_response, request
from flask_limiter import Limiter, RequestLimit
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage
from limits.strategies import FixedWindowRateLimiter

from dashapp.access.gate import bearer_token
from dashapp.access.ingest_tokens import digest
from dashapp.access.users import normal_name
from dashapp.cache import redis_timeouts
from dashapp.config import Settings

log = logging.getLogger(__name__)
PUSH_ENDPOINT = "feedbackwall_api.push_responses"
KEY_PREFIX = "fw-limit"
#: Failed sign-ins per name, from any address: slows guessing one account's password.
LOGIN_NAME_LIMIT = "30/hour"
SIGN_IN_EXTENSION = "feedbackwall.sign_in_limits"


def _sender() -> str:
    """The push limit's key: the token's digest (as stored), else the address; never the raw
    header, so another spelling of the same token is the same sender."""
    token = bearer_token(request)
    return f"token:{digest(token)}" if token else f"address:{request.remote_addr or ''}"


def _breached(limit: RequestLimit) -> Response:
    response = make_response(
        jsonify(error=f"rate limit of {limit.limit} per source exceeded; retry later"), 429
    )
    return response


def install(server: Flask, settings: Settings) -> Limiter:
    """Limit ``POST /api/v1/responses`` on *server* to ``settings.push_rate_limit`` per token,
    and sign-in to ``settings.login_rate_limit`` per address and LOGIN_NAME_LIMIT per name."""
    shared = settings.cache_url.startswith(("redis://", "rediss://"))
    limiter = Limiter(
        key_func=_sender,
        app=server,
        storage_uri=settings.cache_url if shared else "memory://",
        # While Redis is unreachable each process counts alone (and checks Redis again
        # now and then) rather than answering 500; a limit is never worth an outage.
        storage_options=redis_timeouts() if shared else {},
        in_memory_fallback_enabled=shared,
        swallow_errors=True,
        headers_enabled=True,
        key_prefix=KEY_PREFIX,
        on_breach=_breached,
    )
    view = server.view_functions[PUSH_ENDPOINT]
    # Flask-Limiter's decorator is typed for async views too; this one stays synchronous.
    server.view_functions[PUSH_ENDPOINT] = limiter.limit(settings.push_rate_limit)(view)  # type: ignore[assignment]
    server.extensions[SIGN_IN_EXTENSION] = SignInLimits(
        limiter.storage, parse_many(settings.login_rate_limit), parse_many(LOGIN_NAME_LIMIT)
    )
    return limiter


Taken = tuple[RateLimitItem, tuple[str, ...]]


@dataclass(slots=True)
class Slot:
    """The slots one sign-in attempt holds; kept if it fails, given back if it succeeds."""

    limiter: FixedWindowRateLimiter
    taken: list[Taken]

    def release(self) -> None:
        """Give the slots back (a successful sign-in does not count against anyone)."""
        try:
            for item, keys in self.taken:
                _give_back(self.limiter, item, keys)
        except self.limiter.storage.base_exceptions:
            log.warning("sign-in limits: could not give a slot back", exc_info=True)
        self.taken = []


@dataclass(slots=True)
class SignInLimits:
    """Failed sign-ins per client address and per (normalised) name."""

    storage: Storage
    per_address: list[RateLimitItem]
    per_name: list[RateLimitItem]
    #: A fixed window, whatever Flask-Limiter uses elsewhere: its count can be given back.
    limiter: FixedWindowRateLimiter = field(init=False)
    #: Counts in this process while the shared storage (Redis) does not answer.
    fallback: FixedWindowRateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.limiter = FixedWindowRateLimiter(self.storage)
        self.fallback = FixedWindowRateLimiter(MemoryStorage())

    def reserve(self, address: str, name: str) -> Slot | int:
        """Take a slot of every limit for one attempt, or the seconds to wait when one is full."""
        wanted: list[Taken] = [
            (i, (KEY_PREFIX, "login-address", address)) for i in self.per_address
        ]
        by_name = (KEY_PREFIX, "login-name", digest(normal_name(name)))
        wanted += [(item, by_name) for item in self.per_name]
        try:
            return _take(self.limiter, wanted)
        except self.storage.base_exceptions:
            log.warning(
                "sign-in limits: storage unavailable, counting in this process", exc_info=True
            )
            return _take(self.fallback, wanted)


def _take(limiter: FixedWindowRateLimiter, wanted: list[Taken]) -> Slot | int:
    taken: list[Taken] = []
    for item, keys in wanted:
        # hit() is one atomic increment: of N attempts at once, exactly the first
        # `amount` get a slot, whatever the interleaving.
        fits = limiter.hit(item, *keys)
        taken.append((item, keys))
        if not fits:
            reset = limiter.get_window_stats(item, *keys).reset_time
            for item_taken, keys_taken in taken:
                _give_back(limiter, item_taken, keys_taken)  # a refused attempt checks nothing
            return max(1, math.ceil(reset - time.time()))
    return Slot(limiter, taken)


def _give_back(limiter: FixedWindowRateLimiter, item: RateLimitItem, keys: tuple[str, ...]) -> None:
    key = item.key_for(*keys)
    storage = limiter.storage
    # Not below zero: a window that ended meanwhile starts counting afresh.
    if storage.get(key) > 0:
        storage.incr(key, item.get_expiry(), amount=-1)


def reserve_sign_in(name: str) -> Slot | int:
    """A slot of each sign-in limit for this request's address and *name*, or seconds to wait."""
    limits: SignInLimits = current_app.extensions[SIGN_IN_EXTENSION]
    return limits.reserve(request.remote_addr or "", name)
