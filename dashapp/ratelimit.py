"""Rate limits for the push API, per ingest token (Flask-Limiter; shared in Redis when configured).

A sender over its limit gets 429 with Retry-After and a JSON error, so it slows
down and retries; nothing it sent before is affected. With a Redis cache URL
the counts are shared by every worker and host; otherwise each process counts
alone (the embedded single-process default).
"""

from __future__ import annotations

import hashlib

from flask import Flask, Response, jsonify, make_response, request
from flask_limiter import Limiter, RequestLimit

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
        headers_enabled=True,
        key_prefix="fw-limit",
        on_breach=_breached,
    )
    view = server.view_functions[PUSH_ENDPOINT]
    server.view_functions[PUSH_ENDPOINT] = limiter.limit(settings.push_rate_limit)(view)
    return limiter
