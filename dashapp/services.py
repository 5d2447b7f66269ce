"""The long-lived objects one process shares: store, cache, NPS engine."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Flask, current_app, has_app_context
from flask_caching.backends import BaseCache
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dashapp.cache import make_cache
from dashapp.config import Settings
from dashapp.figures.nps_engine import NpsEngine
from dashapp.masking import Masker
from dashapp.store.counters import Watch
from dashapp.store.db import Deadlines, make_engine, make_sessionmaker

EXTENSION = "feedbackwall"


@dataclass(slots=True)
class Services:
    """Everything a request, a job or a CLI command needs to reach the data."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    cache: BaseCache
    nps: NpsEngine
    #: This process's view of the store's change counters (shared by the engine and the gate).
    versions: Watch
    #: Masks comments for wall screens (personal data, configured words and patterns).
    mask: Masker


def build_services(settings: Settings, *, deadlines: Deadlines | None = None) -> Services:
    """Create the store engine, the cache and the NPS engine (no Flask app needed: the CLI
    and the jobs use them as they are; the web app attaches them with :func:`attach`).

    *deadlines* bound every wait for the store (the web app's requests); commands
    and jobs go without (see :func:`dashapp.store.db.make_engine`).
    """
    engine = make_engine(settings.database_url, deadlines=deadlines)
    sessions = make_sessionmaker(engine)
    cache = make_cache(settings.cache_url)
    watch = Watch(sessions)
    services = Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        cache=cache,
        nps=NpsEngine(sessions, cache, min_n=settings.min_n, watch=watch, zone=settings.timezone),
        versions=watch,
        mask=Masker(tuple(settings.mask_words), tuple(settings.mask_patterns)),
    )
    return services


def attach(server: Flask, services: Services) -> Services:
    """Make *services* the ones :func:`services_of` finds for *server*."""
    server.extensions[EXTENSION] = services
    return services


def services_of(server: Flask | None = None) -> Services:
    """The Services attached to *server* (default: the current Flask app)."""
    app = server or current_app
    return app.extensions[EXTENSION]


def display_zone() -> dt.tzinfo:
    """The configured display time zone of the current app (UTC outside one: a unit test)."""
    if not has_app_context():
        return dt.UTC
    return services_of().settings.zone()
