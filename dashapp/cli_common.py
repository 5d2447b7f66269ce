"""What the ``feedbackwall`` commands share: settings, the store, the options of figure commands."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
from sqlalchemy.orm import Session, sessionmaker

from dashapp import db
from dashapp.config import ConfigError, Settings
from dashapp.params import BadParameter, parse_as_of, parse_filters, parse_window
from dashapp.queries import Filters


def load_settings() -> Settings:
    """The settings, or a one-line error naming the bad key (never a traceback)."""
    try:
        return Settings.load()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def open_store(settings: Settings) -> sessionmaker[Session]:
    """Sessions on the configured store, migrated first."""
    db.upgrade(settings.database_url)
    return db.make_sessionmaker(db.make_engine(settings.database_url))


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
