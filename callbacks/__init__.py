"""Callbacks, one module per feature; each exposes ``register(app, ...)``."""

from __future__ import annotations

from dash import Dash

from callbacks import browser, compare, explore, labels, wall
from dashapp.services import Services


def register(app: Dash, services: Services) -> None:
    """Register every feature's callbacks on *app*."""
    wall.register(app, services)
    explore.register(app, services)
    compare.register(app, services)
    labels.register(app, services)
    browser.register(app)
