"""INSERT ... ON CONFLICT for the two dialects the store runs on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import FromClause, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def upsert(
    session: Session,
    table: FromClause,
    rows: Sequence[dict[str, Any]],
    *,
    keys: Sequence[str],
    add: Sequence[str] = (),
    replace: Sequence[str] = (),
) -> None:
    """Insert *rows*; where a row with the same *keys* exists, add to or replace columns.

    ``add`` columns become ``existing + new``; ``replace`` columns take the new
    value. Runs as one executemany statement.
    """
    if not rows:
        return
    # A mapped class's __table__ (typed as any FromClause) is always a Table.
    table = cast(Table, table)
    dialect = session.get_bind().dialect.name
    module = {"sqlite": sqlite, "postgresql": postgresql}[dialect]
    stmt = module.insert(table)
    changes = {c: table.c[c] + stmt.excluded[c] for c in add}
    changes.update({c: stmt.excluded[c] for c in replace})
    if changes:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=changes)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    session.execute(stmt, list(rows))
