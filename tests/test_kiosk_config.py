"""A kiosk URL always yields a rotation a screen can start with; its scripts find what they read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dash
import pytest

from dashapp import create_app
from dashapp.config import Playlist, Settings
from dashapp.services import services_of
from dashapp.store import db
from dashapp.web.factory import ASSETS
from layouts.kiosk import kiosk_config


def test_kcfg001_url_parameters() -> None:
    cfg = kiosk_config(
        {"pages": "feed,overview,nope,feed", "interval": "12", "brand": "Velora", "night": "22-6"},
        {},
    )
    assert cfg["pages"] == ["feed", "overview"]
    assert cfg["interval"] == 12
    assert cfg["brand"] == "Velora"
    assert cfg["night"] == [22, 6]
    assert cfg["theme"] == "dark"


def test_kcfg002_bad_values_fall_back() -> None:
    cfg = kiosk_config({"pages": "nope", "interval": "soon", "night": "late", "theme": "neon"}, {})
    assert cfg["pages"] == ["overview", "feed", "labels", "followups"]
    assert cfg["interval"] == 30
    assert cfg["night"] is None
    assert cfg["theme"] == "dark"
    assert kiosk_config({"interval": "1"}, {})["interval"] == 5


def test_kcfg003_playlist_with_url_overrides() -> None:
    lobby = Playlist(pages=["feed"], interval=20, country=["DE", "AT"], theme="light")
    cfg = kiosk_config({"playlist": "lobby", "interval": "45"}, {"lobby": lobby})
    assert cfg["pages"] == ["feed"]
    assert cfg["interval"] == 45
    assert cfg["country"] == "DE,AT"
    assert cfg["theme"] == "light"


def script_reads() -> tuple[set[str], set[str]]:
    """Element ids and ``data-*`` attributes that assets/*.js read (ids they make left out)."""
    ids: set[str] = set()
    attributes: set[str] = set()
    made: set[str] = set()
    for script in sorted(ASSETS.glob("*.js")):
        text = script.read_text(encoding="utf-8")
        ids |= set(re.findall(r"getElementById\(\s*[\"']([\w-]+)[\"']", text))
        ids |= set(re.findall(r"querySelector(?:All)?\(\s*[\"']#([\w-]+)", text))
        made |= set(re.findall(r"\.id\s*=\s*[\"']([\w-]+)[\"']", text))
        attributes |= set(re.findall(r"getAttribute\(\s*[\"'](data-[\w-]+)[\"']", text))
        # el.dataset.pollMs reads data-poll-ms; selectors name attributes as [data-page=...].
        attributes |= {
            "data-" + re.sub(r"[A-Z]", lambda m: "-" + m[0].lower(), name)
            for name in re.findall(r"\.dataset\.(\w+)", text)
        }
        attributes |= set(re.findall(r"\[(data-[\w-]+)", text))
    return ids - made, attributes


def _rendered(component: Any) -> Iterator[dict[str, Any]]:
    """The props of *component* and of everything inside it."""
    if isinstance(component, list | tuple):
        for child in component:
            yield from _rendered(child)
        return
    if not hasattr(component, "to_plotly_json"):
        return
    props = component.to_plotly_json()["props"]
    yield props
    yield from _rendered(props.get("children"))


def test_kcfg004_every_id_and_data_attribute_the_scripts_read_is_rendered(
    tmp_path: Path,
) -> None:
    """A script reading an attribute no layout renders fails silently in the browser
    (the version-change reload did, for want of data-version): every one is rendered."""
    from callbacks.components import comment_card

    ids, attributes = script_reads()
    # The scan finds what the scripts are known to read (it cannot pass by finding nothing).
    assert {"fw-settings"} <= ids and "fw-banner" not in ids
    assert {"data-poll-ms", "data-version", "data-poll", "data-page", "data-id"} <= attributes
    url = f"sqlite:///{tmp_path / 'store.db'}"
    db.upgrade(url)
    app = create_app(Settings.load(database_url=url, cache_url="simple"))
    with app.server.test_request_context("/"):
        shown: list[Any] = [app.layout() if callable(app.layout) else app.layout]
        for page in dash.page_registry.values():
            query = {"pages": "overview,feed,labels"} if page["path"] == "/kiosk" else {}
            shown.append(page["layout"](**query))
        # What the feed and explore callbacks draw into those layouts.
        shown.append(comment_card(1, 9, "Quick", ("Velora",), "just now"))
        # The index page itself carries some (the chart locale, dashapp/web/locale.py).
        index = app.index()
    services_of(app.server).engine.dispose()
    props = list(_rendered(shown))
    rendered_ids = {p["id"] for p in props if isinstance(p.get("id"), str)}
    rendered_ids |= set(re.findall(r'\bid="([^"]+)"', index))
    rendered_attributes = {k for p in props for k, v in p.items() if k.startswith("data-") and v}
    assert ids <= rendered_ids, ids - rendered_ids
    assert attributes <= rendered_attributes, attributes - rendered_attributes


def test_kcfg005_every_kiosk_page_is_documented() -> None:
    """README's kiosk table names every page a rotation may hold, in the default order."""
    from layouts.panels import DEFAULT_ROTATION

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"| `pages` | `{','.join(DEFAULT_ROTATION)}` |" in readme


def test_kcfg006_every_declared_panel_is_filled_and_every_fill_declared() -> None:
    """A wall panel is declared once (layouts.panels.PANELS) and filled once (callbacks.wall)."""
    from callbacks.wall import FILLS
    from layouts.panels import PANELS

    names = [panel.name for panel in PANELS]
    assert len(names) == len(set(names))
    assert set(FILLS) == set(names)


def test_kcfg007_a_playlist_naming_no_panel_stops_the_app_with_its_name(tmp_path: Path) -> None:
    """A typo in a playlist is said when the app starts, naming the playlist and the page."""
    from dashapp.config import ConfigError

    store = f"sqlite:///{tmp_path / 'kiosk.db'}"
    db.upgrade(store)
    bad = {"lobby": Playlist(pages=["overview", "feeds"])}
    with pytest.raises(ConfigError) as raised:
        create_app(Settings(database_url=store, playlists=bad))
    message = str(raised.value)
    assert "playlists.lobby.pages" in message
    assert "'feeds'" in message
    assert "overview, feed, labels" in message


def test_kcfg008_a_playlist_without_pages_rotates_the_default_panels() -> None:
    from layouts.panels import DEFAULT_ROTATION

    cfg = kiosk_config({"playlist": "hall"}, {"hall": Playlist(interval=10)})
    assert cfg["pages"] == list(DEFAULT_ROTATION)
    assert cfg["interval"] == 10
    # The alert waits off the rotation until a cell drops (assets/kiosk.js).
    assert cfg["standby"] == ["alert"]
