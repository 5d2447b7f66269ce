"""Which language a request is answered in (#18 item 2), and <html lang> on every page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from dash import Dash

from dashapp import create_app
from dashapp.access.users import Role
from dashapp.config import Settings
from dashapp.i18n import core
from dashapp.services import services_of
from tests.access import PASSWORD, make_user

HTML = {"Accept": "text/html"}


@pytest.fixture
def app(settings: Settings) -> Iterator[Dash]:
    app = create_app(settings, local_demo=True)
    yield app
    services_of(app.server).engine.dispose()


def _lang(page: str) -> str:
    found = re.search(r'<html[^>]*\blang="([a-z]+)"', page)
    assert found, page[:300]
    return found[1]


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found[1]


def test_i18n001_pick_and_order() -> None:
    assert core.pick("de-AT") == "de" and core.pick("EN_gb") == "en"
    assert core.pick("fr") is None and core.pick("") is None
    assert core.best_match([None, "fr", "de-CH", "en"]) == "de"
    assert core.best_match(["fr"], "de") == "de"


@pytest.mark.parametrize("path", ["/", "/explore", "/kiosk", "/login", "/no-such-page"])
def test_i18n002_html_lang_follows_query_then_cookie(app: Dash, path: str) -> None:
    client = app.server.test_client()
    assert _lang(client.get(path, headers=HTML).text) == "en"
    asked = client.get(f"{path}?lang=de", headers=HTML)
    assert _lang(asked.text) == "de"
    assert asked.headers["Content-Language"] == "de"
    assert "fw_lang=de" in asked.headers.get("Set-Cookie", "")
    # The next page without ?lang (in-page navigation, a kiosk's next page) keeps it.
    assert _lang(client.get(path, headers=HTML).text) == "de"
    assert _lang(client.get(f"{path}?lang=en", headers=HTML).text) == "en"
    assert _lang(client.get(path, headers=HTML).text) == "en"


def test_i18n003_accept_language_then_default(store_url: str) -> None:
    settings = Settings.load(database_url=store_url, cache_url="simple", language="de")
    app = create_app(settings)
    try:
        client = app.server.test_client()
        assert _lang(client.get("/login").text) == "de"  # the configured default
        english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"})
        assert _lang(english.text) == "en"
        assert "Sign in" in english.text
        swiss = client.get("/login", headers={"Accept-Language": "fr-CH, de-CH;q=0.9"})
        assert _lang(swiss.text) == "de" and "Anmelden" in swiss.text
        # An unknown ?lang is no error: the next choice in line answers.
        assert _lang(client.get("/login?lang=xx").text) == "de"
    finally:
        services_of(app.server).engine.dispose()


def test_i18n004_own_setting_on_account(settings: Settings) -> None:
    app = create_app(settings)
    try:
        name = make_user(app, Role.viewer)
        client = app.server.test_client()
        token = _csrf(client.get("/login").text)
        client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
        browser = {"Accept-Language": "en-US"}
        page = client.get("/account", headers=browser)
        assert _lang(page.text) == "en"
        bad = client.post(
            "/account/language", data={"language": "fr", "csrf_token": _csrf(page.text)}
        )
        assert bad.status_code == 400 and "Language" in bad.text
        saved = client.post(
            "/account/language", data={"language": "de", "csrf_token": _csrf(page.text)}
        )
        assert saved.status_code == 302
        page = client.get(saved.headers["Location"], headers=browser)
        assert _lang(page.text) == "de" and "Sprache gespeichert" in page.text
        # Over the browser's Accept-Language, under an explicit ?lang.
        assert _lang(client.get("/", headers={**HTML, **browser}).text) == "de"
        assert _lang(client.get("/?lang=en", headers={**HTML, **browser}).text) == "en"
    finally:
        services_of(app.server).engine.dispose()


def test_i18n005_use_locale_nests_and_restores() -> None:
    assert core.current() == "en"
    with core.use_locale("de"):
        assert core.gettext("Sign in") == "Anmelden"
        with core.use_locale("en"):
            assert core.gettext("Sign in") == "Sign in"
        assert core.current() == "de"
    assert core.current() == "en"
