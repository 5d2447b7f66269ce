"""Dash's own controls with their built-in words in the reader's language.

dcc.Dropdown draws words of its own ("Select All", "3 selected", "Search", "No
options found"); its ``labels`` prop takes them, so every dropdown is made here.
The date pickers' screen-reader labels have no such prop: assets/locale.js
translates them (:data:`dashapp.web.locale.ARIA_LABELS`). Every chart is made
here too, naming the plotly.js locale of the page's language.
"""

from __future__ import annotations

from typing import Any

from dash import dcc

from dashapp.i18n.core import current
from dashapp.i18n.core import gettext as _


def dropdown_labels() -> dict[str, str]:
    """dcc.Dropdown's own words in the reader's language."""
    return {
        "select_all": _("Select all"),
        "deselect_all": _("Deselect all"),
        # TRANSLATORS: keep {num_selected}: the dropdown puts the number there.
        "selected_count": _("{num_selected} selected"),
        "search": _("Search"),
        "clear_search": _("Clear search"),
        "clear_selection": _("Clear selection"),
        "no_options_found": _("No options found"),
    }


def dropdown(**props: Any) -> dcc.Dropdown:
    """A dcc.Dropdown speaking the reader's language."""
    return dcc.Dropdown(labels=dropdown_labels(), **props)


def graph(graph_id: str, config: dict[str, Any], **props: Any) -> dcc.Graph:
    """A dcc.Graph whose month and day names are the page's language.

    assets/locale.js registers that language's plotly.js locale (CLDR names) before
    plotly.js draws anything; naming it in each graph's config, rather than making
    it the default once plotly.js has loaded, leaves no first chart drawn in English.
    """
    return dcc.Graph(id=graph_id, config={**config, "locale": current()}, **props)
