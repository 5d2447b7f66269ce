"""One answer for bad input anywhere on the web: 400 naming the parameter, never a 500."""

from __future__ import annotations

from flask import Flask, Response, jsonify

from dashapp.metrics.params import BadParameter


def bad_parameter(exc: BadParameter) -> tuple[Response, int]:
    """The answer to a request with a bad parameter: 400 naming it (never a 500)."""
    return jsonify(error=str(exc), parameter=exc.name), 400


def install(server: Flask) -> None:
    """Answer a BadParameter raised by any view of *server* with :func:`bad_parameter`."""
    server.register_error_handler(BadParameter, bad_parameter)
