"""Callbacks, one module per feature; each exposes ``register(app, ...)``.

Each feature's callbacks need one role, checked on the server for every call
(:func:`dashapp.access.gate.register_callbacks`): the wall's panels are for viewers
(screens), drill-down, comparison and the labels page for analysts, actions
that change the store for admins.
"""

from __future__ import annotations

from dash import Dash

from callbacks import admin, browser, compare, explore, followups, labels, wall
from dashapp.access.gate import register_callbacks
from dashapp.access.users import Role
from dashapp.services import Services
from dashapp.web import answer_cache
from layouts.ids import Panels
from layouts.panels import PANELS


def register(app: Dash, services: Services) -> None:
    """Register every feature's callbacks on *app*, each under the role it needs."""
    # The wall's panels: every screen asks the same, so their answers are shared.
    panels = register_callbacks(app, Role.viewer, lambda: wall.register(app, services))
    polls = [Panels.poll(panel.name) for panel in PANELS if panel.gated]
    answer_cache.share(app.server, panels, triggers=polls)
    features = (
        (Role.viewer, lambda: browser.register(app)),
        (Role.viewer, lambda: explore.register_heatmap_link(app)),
        (Role.analyst, lambda: explore.register(app, services)),
        (Role.analyst, lambda: explore.register_marks(app, services)),
        # Viewers read the queue (screens are refused inside); analysts change it.
        (Role.viewer, lambda: followups.register(app, services)),
        (Role.analyst, lambda: followups.register_actions(app, services)),
        (Role.analyst, lambda: compare.register(app, services)),
        (Role.analyst, lambda: labels.register(app, services)),
        (Role.admin, lambda: labels.register_admin(app, services)),
        (Role.admin, lambda: admin.register(app, services)),
    )
    for role, register_feature in features:
        register_callbacks(app, role, register_feature)
