"""What the ``feedbackwall`` commands share: settings, the store, the options of figure commands.

Every command that touches the store says which one on stderr (``store: URL``,
password hidden) before anything else, so a command run in the wrong folder or
with the wrong settings says so at once.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from dashapp.config import Settings
    from dashapp.metrics.queries import Filters
    from dashapp.services import Services

# The store, settings and query modules are imported by the functions that use them,
# so that defining the commands (and `feedbackwall --help`) loads none of them.


def load_settings() -> Settings:
    """The settings, or a one-line error naming the bad key (never a traceback)."""
    from dashapp.config import ConfigError, Settings

    try:
        return Settings.load()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


UPGRADE_HINT = (
    "create or migrate it with `feedbackwall db upgrade`, or point"
    " FEEDBACKWALL_DATABASE_URL at the store"
)


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite store; None for another database or an in-memory one."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))


def store_name(url: str) -> str:
    """The store's URL as people are told it: password hidden, a SQLite file's full path added."""
    from sqlalchemy.engine import make_url

    shown = make_url(url).render_as_string(hide_password=True)
    path = _sqlite_file(url)
    if path is not None and not path.is_absolute():
        shown += f" ({path.resolve()})"
    return shown


def _hidden(url: str, text: str) -> str:
    """*text* with the URL's password (should a driver's message quote it) hidden."""
    from sqlalchemy.engine import make_url

    password = make_url(url).password
    return text.replace(str(password), "***") if password else text


def checked_engine(settings: Settings) -> Engine:
    """An engine on the configured store, which is named on stderr and must be migrated.

    Never creates or migrates anything: a missing, unreachable, unmigrated or
    older store is a one-line error saying so (exit code 1), not a traceback and
    not an empty store file made as a side effect. Only the commands that make
    the store (:func:`migrate_store`) create or migrate it.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from dashapp.store import db

    url = settings.database_url
    name = store_name(url)
    click.echo(f"store: {name}", err=True)
    path = _sqlite_file(url)
    # Checked before any connection: SQLite would create the file (and make_engine
    # its folder) on the first connect.
    if path is not None and not path.is_file():
        raise click.ClickException(f"no store at {name}: {UPGRADE_HINT}")
    engine = db.make_engine(url)
    try:
        problem = db.schema_problem(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise click.ClickException(
            f"cannot use the store at {name}: {_hidden(url, reason)}"
        ) from None
    if problem is not None:
        engine.dispose()
        raise click.ClickException(f"store at {name}: {problem}: {UPGRADE_HINT}")
    return engine


def open_store(settings: Settings) -> sessionmaker[Session]:
    """Sessions on the configured store, checked by :func:`checked_engine`."""
    from dashapp.store import db

    return db.make_sessionmaker(checked_engine(settings))


def open_services(settings: Settings) -> Services:
    """The app's services (NPS engine, cache) on the store, checked by :func:`checked_engine`."""
    from dashapp.services import build_services

    checked_engine(settings).dispose()
    return build_services(settings)


def migrate_store(settings: Settings, revision: str = "head") -> None:
    """Create the store if missing and migrate it to *revision*, saying so on stderr."""
    from dashapp.store import db

    to = "the newest schema" if revision == "head" else f"schema {revision}"
    click.echo(
        f"store: {store_name(settings.database_url)}: migrating to {to} (created if missing)",
        err=True,
    )
    db.upgrade(settings.database_url, revision)


@dataclass(frozen=True, slots=True)
class FigureQuery:
    """The window, end and filters a figure command was asked for."""

    window: int
    as_of: dt.datetime | None
    filters: Filters


def figure_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add --window, --as-of, --brand, --country, --touchpoint and --format to *command*.

    The command receives them parsed, as ``query`` (a :class:`FigureQuery`) and ``fmt``;
    a value that cannot be used is a usage error naming the option.
    """

    @click.option("--window", "window_text", default="30d", show_default=True)
    @click.option(
        "--as-of", "as_of_text", default=None, help="End of the window, ISO 8601 with zone."
    )
    @click.option("--brand", default=None)
    @click.option("--country", default=None)
    @click.option("--touchpoint", default=None)
    @click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
    @functools.wraps(command)
    def parsed(
        window_text: str,
        as_of_text: str | None,
        brand: str | None,
        country: str | None,
        touchpoint: str | None,
        **kwargs: Any,
    ) -> Any:
        from dashapp.metrics.params import (
            BadParameter,
            parse_as_of,
            parse_filters,
            parse_window,
        )

        try:
            query = FigureQuery(
                parse_window(window_text),
                parse_as_of(as_of_text),
                parse_filters(
                    {"brand": brand or "", "country": country or "", "touchpoint": touchpoint or ""}
                ),
            )
        except BadParameter as exc:
            raise click.BadParameter(str(exc)) from None
        return command(query=query, **kwargs)

    return parsed
