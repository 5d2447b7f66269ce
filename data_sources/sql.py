"""Poll any database SQLAlchemy can reach, incrementally from a persisted high-water mark.

Rows are read in (cursor column, id column) order with the keyset predicate
``(cursor, id) > (last cursor, last id)``, so rows that share a timestamp are
neither skipped nor read twice across pages, and a restart resumes exactly
after the last committed row. The table or query is the operator's own
configuration; every value we compare with is a bound parameter.

Time zones: timestamps the source stores without a zone are taken as UTC;
records carry ISO 8601 text ending in ``Z``. The cursor keeps the column's
value in its own form (naive stays naive), so the next poll compares like with
like in the source database.

Limits: rows whose cursor or id column is NULL have no place in the order and
are not read; a row committed later with an older cursor value than one
already read is not seen (give the source a cursor column set at commit, such
as an ``updated_at`` maintained by a trigger, if writers run long transactions).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, column, create_engine, literal_column, or_, select, table, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.sql import Select
from sqlalchemy.sql.expression import ColumnClause, FromClause, TextClause

from data_sources.base import CANONICAL_FIELDS, Batch, Cursor, Located, SourceError

#: What SQLAlchemy's text() takes for a bind parameter (its own pattern); the
#: operator's query has none of ours, so such colons are escaped to stay literal.
_BIND_LIKE = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")
#: Seconds to wait for a PostgreSQL connection, so a vanished host cannot hold
#: the scheduler's thread for the operating system's TCP timeout.
PG_CONNECT_TIMEOUT = 10


def _literal_colons(query: str) -> str:
    return _BIND_LIKE.sub(r"\\:\1", query)


def utc_text(value: dt.datetime | dt.date) -> str:
    """ISO 8601 in UTC ending in ``Z``; a naive datetime is UTC, a date is its UTC midnight."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def json_value(value: Any) -> Any:
    """A database value as a raw-record value: JSON-safe, datetimes as UTC ISO text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime):
        return utc_text(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return str(value)
        # NUMERIC scores arrive as Decimal('9'); validation wants the integer.
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    return str(value)  # UUID, intervals, driver-specific types


def _timestamp_field(value: Any) -> Any:
    """submitted_at as UTC ISO text; SQLite hands back text, which is read the same way."""
    if isinstance(value, str):
        try:
            return utc_text(dt.datetime.fromisoformat(value.strip()))
        except ValueError:
            return value  # validation names the bad value
    return json_value(value)


def dump_key(value: Any) -> dict[str, Any]:
    """A cursor or id column value as JSON, typed so :func:`load_key` gives it back exactly."""
    if isinstance(value, dt.datetime):
        return {"type": "datetime", "value": value.isoformat()}
    if isinstance(value, dt.date):
        return {"type": "date", "value": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"type": "decimal", "value": str(value)}
    if isinstance(value, uuid.UUID):
        return {"type": "uuid", "value": str(value)}
    if value is None or isinstance(value, bool | int | float | str):
        return {"type": "plain", "value": value}
    raise SourceError(
        f"cannot keep a {type(value).__name__} value in the cursor; "
        "use a timestamp, number, text or UUID column"
    )


def load_key(saved: Mapping[str, Any]) -> Any:
    """The value :func:`dump_key` saved, in the Python type the driver compares correctly."""
    kind, value = saved["type"], saved["value"]
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "decimal":
        return decimal.Decimal(value)
    if kind == "uuid":
        return uuid.UUID(value)
    if kind == "plain":
        return value
    raise ValueError(f"unknown key type {kind!r}")


class SqlSource:
    """A table or a query in another database, read ``page_size`` rows a poll after a keyset cursor.

    ``columns`` maps canonical fields (id, submitted_at, brand, ...) to source
    columns; unmapped fields read the column of the same name, and any other
    column except the cursor and id columns becomes a property. Timestamps the
    source stores without a zone are taken as UTC; records carry them as ISO
    8601 text ending in ``Z``. ``id_column`` defaults to the column mapped to id.
    """

    def __init__(
        self,
        name: str,
        *,
        url: str,
        table: str | None = None,
        query: str | None = None,
        columns: dict[str, str] | None = None,
        cursor_column: str = "updated_at",
        id_column: str | None = None,
        page_size: int = 1000,
    ) -> None:
        prefix = f"source {name!r}"
        if not isinstance(url, str) or not url.strip():
            raise SourceError(f"{prefix}: option 'url' must be a SQLAlchemy database URL")
        try:
            parsed = make_url(url)
        except (ArgumentError, ValueError):
            # Not echoed: an unparseable URL cannot have its password hidden.
            raise SourceError(f"{prefix}: option 'url' is not a valid SQLAlchemy URL") from None
        if bool(table) == bool(query):
            raise SourceError(f"{prefix}: give exactly one of the options 'table' and 'query'")
        for option, value in (("table", table), ("query", query)):
            if value is not None and not isinstance(value, str):
                raise SourceError(f"{prefix}: option {option!r} must be text")
        if columns is not None and not (
            isinstance(columns, Mapping) and all(isinstance(v, str) and v for v in columns.values())
        ):
            raise SourceError(f"{prefix}: option 'columns' must map fields to column names")
        unknown = sorted(set(columns or {}) - set(CANONICAL_FIELDS))
        if unknown:
            raise SourceError(
                f"{prefix}: option 'columns' maps unknown field(s) {', '.join(unknown)}; "
                f"the fields are {', '.join(CANONICAL_FIELDS)}"
            )
        for option, value in (("cursor_column", cursor_column), ("id_column", id_column)):
            if value is not None and (not isinstance(value, str) or not value):
                raise SourceError(f"{prefix}: option {option!r} must be a column name")
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise SourceError(f"{prefix}: option 'page_size' must be a whole number >= 1")
        self.name = name
        self.url = url
        self.table = table or None
        # A trailing ';' is harmless alone but a syntax error inside a subquery.
        self.query = query.strip().rstrip(";").strip() if query else None
        #: Only what the operator mapped explicitly must exist; identity fields may be absent.
        self.mapped = dict(columns or {})
        #: canonical field -> source column
        self.columns = {field: self.mapped.get(field, field) for field in CANONICAL_FIELDS}
        self.cursor_column = cursor_column
        self.id_column = id_column or self.columns["id"]
        self.page_size = page_size
        self._where = parsed.render_as_string(hide_password=True)
        self._password = parsed.password if isinstance(parsed.password, str) else None
        self._parsed = parsed
        self._engine: Engine | None = None
        self._checked = False

    def poll(self, cursor: Cursor | None) -> Batch:
        """The next page (at most ``page_size`` rows) after *cursor*; None reads from the start."""
        after = self._position(cursor)
        database = self._parsed.database
        if (
            self._parsed.get_backend_name() == "sqlite"
            and database
            and database != ":memory:"
            and not database.startswith("file:")
            and not Path(database).is_file()
        ):
            # SQLite would quietly create an empty file at a mistyped path.
            raise SourceError(f"{self._where}: the SQLite file {database} does not exist")
        try:
            engine = self._get_engine()
            with engine.connect() as conn:
                if not self._checked:
                    probe: Select[Any] = (
                        select(literal_column("*")).select_from(self._from()).limit(0)
                    )
                    self._check_columns(list(conn.execute(probe).keys()))
                    self._checked = True
                rows = conn.execute(self._statement(after)).mappings().all()
        except SQLAlchemyError as exc:
            raise SourceError(self._describe(exc)) from None
        except ImportError as exc:  # the URL names a driver that is not installed
            raise SourceError(f"{self._where}: driver not installed ({exc})") from None
        if not rows:
            return Batch([], cursor)
        records: list[Located] = [
            (f"{self.name} row {json_value(row[self.id_column])}", self._raw(row)) for row in rows
        ]
        last = rows[-1]
        try:
            next_cursor = {
                "mark": dump_key(last[self.cursor_column]),
                "id": dump_key(last[self.id_column]),
            }
        except SourceError as exc:
            raise SourceError(
                f"{self._where}: options 'cursor_column'/'id_column': {exc}"
            ) from None
        return Batch(records, next_cursor, more=len(rows) == self.page_size)

    def close(self) -> None:
        """Close the pooled connections; a later poll opens new ones."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _get_engine(self) -> Engine:
        if self._engine is None:
            connect_args: dict[str, Any] = {}
            if (
                self._parsed.get_backend_name() == "postgresql"
                and self._parsed.get_driver_name() in ("psycopg", "psycopg2")
                and "connect_timeout" not in self._parsed.query
            ):
                connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT
            self._engine = create_engine(
                self._parsed, pool_pre_ping=True, connect_args=connect_args
            )
        return self._engine

    def _position(self, cursor: Cursor | None) -> tuple[Any, Any] | None:
        """The (cursor value, id) to read after, from a cursor this source saved."""
        if cursor is None:
            return None
        try:
            return load_key(cursor["mark"]), load_key(cursor["id"])
        except (KeyError, TypeError, ValueError):
            raise SourceError(
                f"{self._where}: the saved cursor {cursor!r} is not one this source wrote; "
                "reset the source's cursor to read from the start"
            ) from None

    def _from(self) -> FromClause | TextClause:
        if self.table is not None:
            schema, _, name = self.table.rpartition(".")
            return table(name, schema=schema or None)
        return text(f"({_literal_colons(self.query or '')}) AS src")

    def _statement(self, after: tuple[Any, Any] | None) -> Select[Any]:
        mark: ColumnClause[Any] = column(self.cursor_column)
        key: ColumnClause[Any] = column(self.id_column)
        stmt: Select[Any] = (
            select(literal_column("*"))
            .select_from(self._from())
            .where(mark.is_not(None), key.is_not(None))
        )
        if after is not None:
            value, last_id = after
            # (mark, key) > (value, last_id), spelled out because not every
            # database compares row values; the leading `mark >= value` lets
            # an index on the cursor column bound the scan.
            stmt = stmt.where(mark >= value, or_(mark > value, and_(mark == value, key > last_id)))
        return stmt.order_by(mark, key).limit(self.page_size)

    def _check_columns(self, available: list[str]) -> None:
        """Name the option whose column the source does not have."""
        have = set(available)
        listing = ", ".join(available) or "none"
        for option, name in (("cursor_column", self.cursor_column), ("id_column", self.id_column)):
            if name not in have:
                raise SourceError(
                    f"{self._where}: option {option!r}: no column {name!r} "
                    f"in the source (it has: {listing})"
                )
        missing = [f"{f}={c!r}" for f, c in self.mapped.items() if c not in have]
        if missing:
            raise SourceError(
                f"{self._where}: option 'columns': no column(s) {', '.join(missing)} "
                f"in the source (it has: {listing})"
            )

    def _raw(self, row: Mapping[Any, Any]) -> dict[str, Any]:
        raw = {field: json_value(row[col]) for field, col in self.columns.items() if col in row}
        if self.columns["submitted_at"] in row:
            raw["submitted_at"] = _timestamp_field(row[self.columns["submitted_at"]])
        # The cursor and id columns are how we read, not what the customer said.
        used = {*self.columns.values(), self.cursor_column, self.id_column}
        raw.update({k: json_value(v) for k, v in row.items() if k not in used and v is not None})
        return raw

    def _describe(self, exc: SQLAlchemyError) -> str:
        """One line for people: where, what kind of failure, the driver's first line."""
        cause = getattr(exc, "orig", None) or exc
        lines = str(cause).strip().splitlines()
        message = f"{self._where}: {type(cause).__name__}: {lines[0] if lines else 'failed'}"
        if self._password:
            message = message.replace(self._password, "***")
        return message
