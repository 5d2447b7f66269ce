"""NPS rows as published: the same columns for the CLI's CSV/JSON and the HTTP API."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from dashapp.figures.nps_engine import GroupNps, rounded
from dashapp.ingest.validation import safe_text

#: Every NPS table ends with these; ``too_small`` is n below the configured minimum n.
FIGURE_COLUMNS = (
    "n",
    "promoters",
    "passives",
    "detractors",
    "nps",
    "ci_low",
    "ci_high",
    "too_small",
)


def to_records(rows: Sequence[GroupNps], by: Sequence[str]) -> list[dict[str, Any]]:
    """One dict per group: the group columns in *by* order, then the figures (one decimal)."""
    records = []
    for row in rows:
        n = row.nps
        record: dict[str, Any] = {col: row.group[col] for col in by}
        record.update(
            n=n.n,
            promoters=n.promoters,
            passives=n.passives,
            detractors=n.detractors,
            nps=rounded(n.nps),
            ci_low=rounded(n.ci_low),
            ci_high=rounded(n.ci_high),
            too_small=n.too_small,
        )
        records.append(record)
    return records


def to_csv(records: Sequence[dict[str, Any]], by: Sequence[str]) -> str:
    """CSV with the group columns, then the :data:`FIGURE_COLUMNS` (``too_small`` True/False)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*by, *FIGURE_COLUMNS])
    for rec in records:
        writer.writerow(
            # Group names pass the text rule: a terminal must not run an ESC stored before it.
            [safe_text(rec[c]) if isinstance(rec[c], str) else rec[c] for c in by]
            + [f"{rec[c]:.1f}" if isinstance(rec[c], float) else rec[c] for c in FIGURE_COLUMNS]
        )
    return out.getvalue()


def to_table(records: Sequence[dict[str, Any]], by: Sequence[str], min_n: int) -> str:
    """A fixed-width table for terminals; too-small rows say "yes" under a footnoted column."""
    headers = [*by, *FIGURE_COLUMNS[:-1], "too_small*"]
    body = []
    for rec in records:
        cells = [safe_text(str(rec[c])) for c in by]
        cells += [
            f"{rec[c]:.1f}" if isinstance(rec[c], float) else str(rec[c])
            for c in FIGURE_COLUMNS[:-1]
        ]
        cells.append("yes" if rec["too_small"] else "")
        body.append(cells)
    widths = [
        max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(headers)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in body]
    if any(rec["too_small"] for rec in records):
        lines.append(f"* too_small: n below {min_n}, too small to read much into")
    if not records:
        lines.append("(no responses in this window)")
    return "\n".join(lines)
