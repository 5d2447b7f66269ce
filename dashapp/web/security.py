"""Security headers on every answer: a Content-Security-Policy that Dash works with, and friends.

Dash's renderer starts from one inline script and Plotly compiles some code at
run time, so scripts need 'unsafe-inline' and 'unsafe-eval'; everything is
still limited to this origin (no CDN, no third party), the wall cannot be
framed by another site, and nothing is sniffed. HSTS is sent only over HTTPS
(behind a TLS proxy that sets X-Forwarded-Proto: ``proxy_hops`` = 1).
"""

from __future__ import annotations

from flask import Flask, Response, request
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
