"""Shared fixtures: a migrated store on SQLite (and PostgreSQL when configured), apps, files."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from dashapp.config import Settings
from dashapp.store import db

PG_URL = os.environ.get("FEEDBACKWALL_TEST_PG_URL")
STORES = ["sqlite", "postgresql"]


def pytest_setup_options():  # type: ignore[no-untyped-def]
    """Chromium flags for dash_duo: headless, offline, no first-run work."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = os.environ.get("DASH_TEST_CHROMEPATH", "/usr/bin/chromium")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1920,1080",
    ):
        options.add_argument(flag)
    return options


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty store; PostgreSQL runs in a schema of its own."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        db.upgrade(url)
        yield url
        return
    if not PG_URL:
        pytest.skip("FEEDBACKWALL_TEST_PG_URL not set (.ci/run sets it)")
    schema = f"fw_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    # Unreachable PostgreSQL must fail the run, not skip it: let the error through.
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    url_text = url.render_as_string(hide_password=False)
    try:
        db.upgrade(url_text)
        yield url_text
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sessions(store_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on the test store."""
    engine = db.make_engine(store_url)
    yield db.make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def settings(store_url: str) -> Settings:
    """Settings pointing at the test store with an in-process cache."""
    return Settings.load(database_url=store_url, cache_url="simple", config=None)


@pytest.fixture(autouse=True)
def _own_dash_port() -> None:
    """dash_duo servers on a free port: Dash counts ports up from 58050 in every process,
    so two test runs on one machine (a developer's and CI's) would otherwise collide."""
    from dash.testing.application_runners import BaseDashRunner

    from tests.servers import free_port

    BaseDashRunner._next_port = free_port()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's own FEEDBACKWALL_* settings."""
    for key in list(os.environ):
        if key.startswith("FEEDBACKWALL_") and not key.startswith("FEEDBACKWALL_TEST_"):
            monkeypatch.delenv(key)
