"""Poll any database SQLAlchemy can reach, incrementally from a persisted high-water mark.

Rows are read in (cursor column, id column) order with a keyset predicate, so
rows that share a timestamp are neither skipped nor read twice across pages,
and a restart resumes exactly after the last committed row. Timestamps the
source stores without a zone are taken as UTC. The table or query is the
operator's configuration; cursor values are always bound parameters.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, and_, column, create_engine, literal_column, or_, select, table, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import Select

from data_sources.base import CANONICAL_FIELDS, Batch, Cursor, Located, SourceError


def _utc_text(value: Any) -> Any:
    """A timestamp as ISO 8601 text with a zone; naive values (and naive text) are UTC."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value  # validation will name it
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return value


def _plain(value: Any) -> Any:
    """A database value in a JSON-safe form."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _cursor_value(value: Any) -> dict[str, Any]:
    if isinstance(value, dt.datetime):
        return {"type": "datetime", "value": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"type": "decimal", "value": str(value)}
    return {"type": "plain", "value": value}


def _bound(saved: Mapping[str, Any]) -> Any:
    """The saved cursor value as the driver should compare it with the column."""
    if saved["type"] == "datetime":
        return dt.datetime.fromisoformat(saved["value"])
    if saved["type"] == "decimal":
        return decimal.Decimal(saved["value"])
    return saved["value"]


class SqlSource:
    """A table or a query in another database, read page by page."""

    def __init__(
        self,
        name: str,
        *,
        url: str,
        table: str | None = None,
        query: str | None = None,
        columns: Mapping[str, str] | None = None,
        cursor_column: str = "updated_at",
        id_column: str | None = None,
        page_size: int = 1000,
    ) -> None:
        if (table is None) == (query is None):
            raise SourceError(
                f"source {name!r}: give exactly one of the options 'table' and 'query'"
            )
        unknown = sorted(set(columns or {}) - set(CANONICAL_FIELDS))
        if unknown:
            raise SourceError(f"source {name!r}: option 'columns' maps unknown field(s) {unknown}")
        if page_size < 1:
            raise SourceError(f"source {name!r}: option 'page_size' must be at least 1")
        self.name = name
        self.url = url
        self.table = table
        self.query = query
        #: canonical field -> source column
        self.columns = {field: dict(columns or {}).get(field, field) for field in CANONICAL_FIELDS}
        self.cursor_column = cursor_column
        self.id_column = id_column or self.columns["id"]
        self.page_size = page_size
        self._engine: Engine | None = None

    def _where(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def _statement(self, cursor: Cursor | None) -> Select[Any]:
        if self.table is not None:
            schema, _, name = self.table.rpartition(".")
            source: Any = table(name, schema=schema or None)
        else:
            source = text(f"({self.query}) AS src")
        mark, key = column(self.cursor_column), column(self.id_column)
        stmt = select(literal_column("*")).select_from(source)
        if cursor is not None:
            value = _bound(cursor["mark"])
            stmt = stmt.where(or_(mark > value, and_(mark == value, key > cursor["id"])))
        return stmt.order_by(mark, key).limit(self.page_size)

    def poll(self, cursor: Cursor | None) -> Batch:
        """The next page of rows after the cursor (None: from the first row)."""
        try:
            if self._engine is None:
                self._engine = create_engine(self.url, pool_pre_ping=True)
            with self._engine.connect() as conn:
                rows = conn.execute(self._statement(cursor)).mappings().all()
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise SourceError(f"{self._where()}: {type(exc).__name__}: {first_line}") from None
        if not rows:
            return Batch([], cursor)
        missing = [c for c in (self.cursor_column, self.id_column) if c not in rows[0]]
        if missing:
            raise SourceError(f"{self._where()}: the source has no column(s) {missing}")
        mapped = {*self.columns.values(), self.cursor_column}
        records: list[Located] = []
        for row in rows:
            raw = {field: _plain(row[name]) for field, name in self.columns.items() if name in row}
            if "submitted_at" in raw:
                raw["submitted_at"] = _utc_text(row[self.columns["submitted_at"]])
            raw.update({k: _plain(v) for k, v in row.items() if k not in mapped and v is not None})
            records.append((f"{self.name} row {row[self.id_column]}", raw))
        last = rows[-1]
        next_cursor = {
            "mark": _cursor_value(last[self.cursor_column]),
            "id": _plain(last[self.id_column]),
        }
        return Batch(records, next_cursor, more=len(rows) == self.page_size)
