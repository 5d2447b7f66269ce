"""Drill-down pages on the load store: every kind of explore selection, page 1 and deep.

Runs on the schema ``benchmarks.load_test build`` made (10,000,000 responses
by default). For each selection an analyst can make -- one brand, with or
without a country, without a label or with a common or a rare one, newest,
lowest or highest score first, all scores or detractors only; and a brand
with no responses, whose first page finds nothing -- it times, as medians of
``--samples`` on a warm store:

- ``queries.responses_page``: page 1, and the page after 20 pages (keyset);
- the baseline: the same page as one query in the selection's order with the
  label as an EXISTS -- what the drill-down ran before score orders walked the
  scores and labels were found on their own index.

It first checks that both give the same rows, then reports each selection's
times, and the median and slowest page 1. Writes benchmarks/out/drilldown.json.

    python -m benchmarks.drilldown --schema fw_load
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import statistics
from typing import Any

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.orm import Session

from benchmarks.common import median_call_ms, require, save, store_url
from benchmarks.load_test import PG, SCHEMA
from dashapp.metrics import queries
from dashapp.store import db
from dashapp.store.models import Response

START = dt.datetime(2026, 10, 22, tzinfo=dt.UTC)
END = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
PAGE = 50
DEEP = 20


def selections() -> list[queries.Selection]:
    """Every kind of selection the explore view offers, over the load store's last 30 days."""
    # A brand nobody answered for: the list reads the whole window finding nothing.
    found = [queries.Selection(filters=queries.Filters(brand=("Nobody",)), start=START, end=END)]
    for country, label, sort, score_class in itertools.product(
        ((), ("DE",)), ("", "delivery", "returns"), queries.SORTS, ("", "detractor")
    ):
        filters = queries.Filters(brand=("Velora",), country=country)
        found.append(
            queries.Selection(
                filters=filters,
                start=START,
                end=END,
                label=label,
                sort=sort,
                score_class=score_class,
            )
        )
    return found


def baseline_page(
    session: Session, selection: queries.Selection, before: queries.Position | None
) -> list[queries.ResponseRow]:
    """The page as one query in the selection's order, the label as an EXISTS (the old way)."""
    order = {
        "new": [Response.submitted_at.desc(), Response.id.desc()],
        "low": [Response.score.asc(), Response.submitted_at.desc(), Response.id.desc()],
        "high": [Response.score.desc(), Response.submitted_at.desc(), Response.id.desc()],
    }[selection.sort]
    # On responses, a selection's label is an EXISTS: the old plan.
    clauses = selection.clauses(Response)
    stmt = (
        select(Response.id, Response.source, Response.external_id, *queries.FEED_COLUMNS[1:])
        .where(*clauses)
        .order_by(*order)
        .limit(PAGE)
    )
    if before is not None and selection.sort == "new":
        at, ident = before  # type: ignore[misc]
        stmt = stmt.where(
            Response.submitted_at <= at,
            or_(Response.submitted_at < at, and_(Response.submitted_at == at, Response.id < ident)),
        )
    elif before is not None:
        score, at, ident = before  # type: ignore[misc]
        past = Response.score > score if selection.sort == "low" else Response.score < score
        time_key = tuple_(Response.submitted_at, Response.id)
        stmt = stmt.where(or_(past, and_(Response.score == score, time_key < (at, ident))))
    return [queries.ResponseRow(*row) for row in session.execute(stmt)]


def deep_position(session: Session, selection: queries.Selection) -> queries.Position | None:
    """Where page ``DEEP + 1`` of *selection* starts (None if it has fewer pages)."""
    before = None
    for _ in range(DEEP):
        page = queries.responses_page(session, selection, limit=PAGE, before=before)
        if len(page) < PAGE:
            return None
        before = queries.position(page[-1], selection.sort)
    return before


def describe(selection: queries.Selection) -> str:
    """A short name for *selection*."""
    brand = selection.filters.brand[0]
    where = brand + ("·" + selection.filters.country[0] if selection.filters.country else "")
    label = f", label {selection.label}" if selection.label else ""
    only = ", detractors" if selection.score_class else ""
    return f"{where}{label}, {selection.sort}{only}"


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=PG)
    parser.add_argument("--schema", default=SCHEMA)
    parser.add_argument("--samples", type=int, default=7)
    args = parser.parse_args()
    engine = db.make_engine(store_url(args.url, args.schema))
    sessions = db.make_sessionmaker(engine)
    rows: list[dict[str, Any]] = []
    with sessions() as session:
        stored = session.scalar(select(Response.id).order_by(Response.id.desc()).limit(1))
        for selection in selections():
            deep = deep_position(session, selection)
            row: dict[str, Any] = {"selection": describe(selection)}
            for name, before in (("page 1", None), (f"page {DEEP + 1}", deep)):
                if name != "page 1" and before is None:
                    continue
                new = queries.responses_page(session, selection, limit=PAGE, before=before)
                old = baseline_page(session, selection, before)
                require(new == old, f"{describe(selection)} {name}: pages differ")
                row[f"{name} ms"] = median_call_ms(
                    lambda b=before, s=selection: queries.responses_page(
                        session, s, limit=PAGE, before=b
                    ),
                    args.samples,
                )
                row[f"{name} baseline ms"] = median_call_ms(
                    lambda b=before, s=selection: baseline_page(session, s, b), args.samples
                )
            rows.append(row)
            print(row, flush=True)
    engine.dispose()
    firsts = [r["page 1 ms"] for r in rows]
    result = {
        "schema": args.schema,
        "last_response_id": stored,
        "selections": rows,
        "page 1 median ms": statistics.median(firsts),
        "page 1 slowest ms": max(firsts),
        "page 1 baseline slowest ms": max(r["page 1 baseline ms"] for r in rows),
    }
    save("drilldown", result)
    print({k: v for k, v in result.items() if k != "selections"})


if __name__ == "__main__":
    main()
