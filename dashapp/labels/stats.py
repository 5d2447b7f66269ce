"""Label measures from counts: volume, share, NPS, sentiment, trend, impact, most problematic.

Pure functions over the counts :mod:`dashapp.labels.queries` returns, so tests
check the arithmetic directly.

- *impact* = NPS(all responses) - NPS(all responses without those carrying the
  label): how many points the label's responses move the total, negative when
  they pull it down;
- *problematic* = the share of detractor comments that carry the label.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashapp.i18n.core import current as current_language
from dashapp.labels.queries import LabelCounts
from dashapp.labels.store import ALL_COMMENTS
from dashapp.labels.taxonomy import Taxonomy
from dashapp.metrics import nps
from dashapp.metrics.nps import Change, Nps
from dashapp.metrics.queries import Counts


@dataclass(frozen=True, slots=True)
class LabelStat:
    """One label's figures over a window, with the previous window for the trend."""

    label: str
    name: str
    path: str
    depth: int
    volume: int
    #: Share of commented responses carrying the label, 0..1.
    share: float
    nps: Nps
    positive: int
    neutral: int
    negative: int
    previous: Nps
    change: Change
    #: NPS points the label's responses move the total by (None without responses).
    impact: float | None
    #: Share of detractor comments carrying the label, 0..1 (None without any).
    problematic: float | None

    @property
    def new_in_window(self) -> bool:
        """Mentioned now and not at all in the previous window."""
        return self.volume > 0 and self.previous.n == 0


def impact(total: Counts, with_label: Counts) -> float | None:
    """NPS(all) - NPS(all without the responses in *with_label*), in points."""
    n = sum(total)
    rest = tuple(t - w for t, w in zip(total, with_label, strict=True))
    if n == 0 or sum(rest) == 0:
        return None
    everyone = 100 * (total[0] - total[2]) / n
    without = 100 * (rest[0] - rest[2]) / sum(rest)
    return everyone - without


def label_stats(
    taxonomy: Taxonomy,
    current: dict[str, LabelCounts],
    previous: dict[str, LabelCounts],
    total: Counts,
    *,
    min_n: int = 10,
) -> list[LabelStat]:
    """Figures for every label of *taxonomy* that has responses now or before, in file order.

    *total* is the (promoters, passives, detractors) of all responses in the
    window, commented or not, as the NPS engine counts them.
    """
    commented = current.get(ALL_COMMENTS, (0,) * 6)
    comments = sum(commented[:3])
    detractor_comments = commented[2]
    stats = []
    for label in taxonomy.labels.values():
        now = current.get(label.id)
        before = previous.get(label.id)
        if now is None and before is None:
            continue
        now = now or (0,) * 6
        before = before or (0,) * 6
        classes: Counts = (now[0], now[1], now[2])
        figure = nps.compute(*classes, min_n=min_n)
        earlier = nps.compute(before[0], before[1], before[2], min_n=min_n)
        volume = sum(classes)
        stats.append(
            LabelStat(
                label=label.id,
                # In the reader's language (the engine keys its cache by it).
                name=label.name_in(current_language()),
                path=taxonomy.path_name(label.id, current_language()),
                depth=label.depth,
                volume=volume,
                share=volume / comments if comments else 0.0,
                nps=figure,
                positive=now[3],
                neutral=now[4],
                negative=now[5],
                previous=earlier,
                change=nps.compare(figure, earlier),
                impact=impact(total, classes) if volume else None,
                problematic=now[2] / detractor_comments if detractor_comments else None,
            )
        )
    return stats


def to_records(stats: list[LabelStat]) -> list[dict[str, object]]:
    """JSON- and CSV-ready rows, as the CLI and ``GET /api/v1/labels`` give them."""

    def one(value: float | None) -> float | None:
        return None if value is None else round(value, 1) + 0.0

    return [
        {
            "label": s.label,
            "path": s.path,
            "depth": s.depth,
            "volume": s.volume,
            "share_pct": one(100 * s.share),
            "nps": one(s.nps.nps),
            "ci_low": one(s.nps.ci_low),
            "ci_high": one(s.nps.ci_high),
            "too_small": s.nps.too_small,
            "positive": s.positive,
            "neutral": s.neutral,
            "negative": s.negative,
            "previous_volume": s.previous.n,
            "previous_nps": one(s.previous.nps),
            "change": one(s.change.delta),
            "significant": s.change.significant,
            "impact": one(s.impact),
            "problematic_pct": one(None if s.problematic is None else 100 * s.problematic),
        }
        for s in stats
    ]
