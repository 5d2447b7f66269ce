"""Rate limits: the push API per ingest token, sign-in per address and name (Flask-Limiter).

A sender over its limit gets 429 with Retry-After and a JSON error, so it slows
down and retries; nothing it sent before is affected. With a Redis cache URL
the counts are shared by every worker and host (each process counts alone
while Redis is unreachable); otherwise each process counts alone (the embedded
single-process default).
"""

from __future__ import annotations

import hashlib

from flask import Flask, Response, jsonify, make_response, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address

from dashapp.cache import redis_timeouts
from dashapp.config import Settings

PUSH_ENDPOINT = "feedbackwall_api.push_responses"


def _sender() -> str:
    """The limit's key: a digest of the bearer token (the token itself is never stored)."""
    token = request.headers.get("Authorization", "")
    return hashlib.sha256(token.encode()).hexdigest()[:32] if token else request.remote_addr or ""


def _breached(limit: RequestLimit) -> Response:
    response = make_response(
        jsonify(error=f"rate limit of {limit.limit} per source exceeded; retry later"), 429
    )
    return response


def install(server: Flask, settings: Settings) -> Limiter:
    """Limit ``POST /api/v1/responses`` on *server* to ``settings.push_rate_limit`` per token."""
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
        key_prefix="fw-limit",
        on_breach=_breached,
    )
    view = server.view_functions[PUSH_ENDPOINT]
    server.view_functions[PUSH_ENDPOINT] = limiter.limit(settings.push_rate_limit)(view)
    _limit_login(server, limiter, settings)
    return limiter


def _login_name() -> str:
    return "name:" + hashlib.sha256(request.form.get("name", "").lower().encode()).hexdigest()[:32]


def _login_failed(response: Response) -> bool:
    return response.status_code != 302


def _limit_login(server: Flask, limiter: Limiter, settings: Settings) -> None:
    """Failed sign-ins: *login_rate_limit* per client address, and 30 an hour per name.

    Only failures count, so a team behind one office address is not locked out
    by its own successful sign-ins; the per-name limit slows guessing one
    account's password from many addresses.
    """
    from dashapp.auth_views import LOGIN_ENDPOINT, login_breached

    view = server.view_functions[LOGIN_ENDPOINT]
    for limit, key in ((settings.login_rate_limit, get_remote_address), ("30/hour", _login_name)):
        view = limiter.limit(
            limit,
            key_func=key,
            methods=["POST"],
            deduct_when=_login_failed,
            on_breach=login_breached,
            scope=f"login-{key.__name__}",
        )(view)
    server.view_functions[LOGIN_ENDPOINT] = view
