"""SQL for label figures: counts per label over a time window, and a label's responses.

Windows are read as in :func:`dashapp.metrics.queries.counts`: whole days and hours
from label rollups, raw responses at the two partial hours, so a query costs
buckets, not comments.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from dashapp.labels.store import ALL_COMMENTS
from dashapp.metrics.queries import GROUP_COLUMNS, Filters, class_sums, window_parts
from dashapp.store.models import LabelRollup, Response, ResponseLabel

#: (promoters, passives, detractors, positive, neutral, negative)
LabelCounts = tuple[int, int, int, int, int, int]


def _rollup_sums(by: Sequence[str]) -> Select[Any]:
    keys = [LabelRollup.label, *(getattr(LabelRollup, c) for c in by)]
    return select(
        *keys,
        func.sum(LabelRollup.promoters),
        func.sum(LabelRollup.passives),
        func.sum(LabelRollup.detractors),
        func.sum(LabelRollup.positive),
        func.sum(LabelRollup.neutral),
        func.sum(LabelRollup.negative),
    ).group_by(*keys)


def _class_sums() -> list[Any]:
    return class_sums(Response.score)


def label_counts(
    session: Session,
    start: dt.datetime,
    end: dt.datetime,
    filters: Filters = Filters(),
    *,
    by: Sequence[str] = (),
    label: str | None = None,
) -> dict[tuple[str, ...], LabelCounts]:
    """Counts per (label, *by groups) with start < submitted_at <= end.

    The label ``*`` counts all commented responses; *label* keeps just one label.
    """
    if any(c not in GROUP_COLUMNS for c in by):
        raise ValueError(f"cannot group by {by}; choose from {GROUP_COLUMNS}")
    parts = window_parts(start, end)
    only = [LabelRollup.label == label] if label is not None else []
    statements: list[Select[Any]] = []
    if parts.days:
        lo, hi = parts.days
        statements.append(
            _rollup_sums(by).where(
                LabelRollup.grain == "d",
                LabelRollup.bucket >= lo,
                LabelRollup.bucket < hi,
                *only,
                *filters.clauses(LabelRollup),
            )
        )
    if parts.hours:
        statements.append(
            _rollup_sums(by).where(
                LabelRollup.grain == "h",
                or_(
                    *(
                        and_(LabelRollup.bucket >= lo, LabelRollup.bucket < hi)
                        for lo, hi in parts.hours
                    )
                ),
                *only,
                *filters.clauses(LabelRollup),
            )
        )
    if parts.raw:
        edges = or_(*(r.clause(Response.submitted_at) for r in parts.raw))
        groups = [getattr(Response, c) for c in by]
        statements.append(
            select(
                ResponseLabel.label,
                *groups,
                *_class_sums(),
                func.sum(case((ResponseLabel.sentiment == 1, 1), else_=0)),
                func.sum(case((ResponseLabel.sentiment == 0, 1), else_=0)),
                func.sum(case((ResponseLabel.sentiment == -1, 1), else_=0)),
            )
            .join(Response, Response.id == ResponseLabel.response_id)
            .where(
                edges,
                *filters.clauses(Response),
                *([ResponseLabel.label == label] if label is not None else []),
            )
            .group_by(ResponseLabel.label, *groups)
        )
        if label in (None, ALL_COMMENTS):
            statements.append(
                select(literal(ALL_COMMENTS), *groups, *_class_sums(), *[literal(0)] * 3)
                .where(edges, Response.comment.is_not(None), *filters.clauses(Response))
                .group_by(*groups)
            )
    width = 1 + len(by)
    totals: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0] * 6)
    for stmt in statements:
        for row in session.execute(stmt):
            acc = totals[tuple(row[:width])]
            for i in range(6):
                acc[i] += int(row[width + i] or 0)
    return {
        key: (c[0], c[1], c[2], c[3], c[4], c[5])
        for key, c in totals.items()
        if c[0] + c[1] + c[2] > 0
    }
