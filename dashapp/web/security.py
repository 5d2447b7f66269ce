"""Security headers on every answer: a Content-Security-Policy that Dash works with, and friends.

Dash's renderer starts from one inline script and Plotly compiles some code at
run time, so scripts need 'unsafe-inline' and 'unsafe-eval'; everything is
still limited to this origin (no CDN, no third party), the wall cannot be
framed by another site, and nothing is sniffed. HSTS is sent only over HTTPS
(behind a TLS proxy that sets X-Forwarded-Proto: ``proxy_hops`` = 1).

Request bodies are read as JSON through :class:`RequestJSON` (every ``get_json``
of the app: the gate, the push API, Dash's callbacks), which refuses nesting
deeper than MAX_JSON_DEPTH as malformed JSON (400), instead of a RecursionError
in the parser or in whatever walks the document later (500).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

from dashapp.config import Settings

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    )
)


#: Nesting levels a JSON request body may have; callbacks and records need a handful.
MAX_JSON_DEPTH = 64


class RequestJSON(DefaultJSONProvider):
    """Flask's JSON, refusing documents nested deeper than MAX_JSON_DEPTH (a ValueError)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse *s*; ValueError (Flask: 400) when it is not JSON or is nested too deeply."""
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
        if too_deep(value, MAX_JSON_DEPTH):
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        return value


def too_deep(value: Any, limit: int) -> bool:
    """Whether parsed JSON *value* nests lists and objects more than *limit* deep (no recursion)."""
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def add_headers(response: Response) -> Response:
    """Set the security headers on *response*."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def install(server: Flask, settings: Settings) -> None:
    """Add the headers to every answer of *server*; trust *proxy_hops* reverse proxies."""
    if settings.proxy_hops:
        hops = settings.proxy_hops
        server.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )
    server.after_request(add_headers)
