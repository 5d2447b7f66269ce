"""Callbacks, one module per feature; each exposes ``register(app, services)``."""

from __future__ import annotations

from dash import Dash

from callbacks import overview
from dashapp.services import Services


def register(app: Dash, services: Services) -> None:
    """Register every feature's callbacks on *app*."""
    overview.register(app, services)
