"""A kiosk URL always yields a rotation a screen can start with."""

from __future__ import annotations

from dashapp.config import Playlist
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
    assert cfg["pages"] == ["overview", "feed", "labels"]
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
