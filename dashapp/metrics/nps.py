"""NPS arithmetic: classes, the adjusted-Wald interval and the difference test.

Pure functions; figures are on the -100..100 scale. The interval follows Rocks
(2016), "Interval estimation for the net promoter score" (The American
Statistician): add 3 to n and 0.75 to promoters and to detractors; the interval
is widened where needed to hold the published NPS itself (only n = 1 at ±100).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

Z95 = 1.959963984540054


class ScoreClass(StrEnum):
    PROMOTER = "promoter"
    PASSIVE = "passive"
    DETRACTOR = "detractor"


#: The scores of each class, inclusive, in the order counts are kept (promoters,
#: passives, detractors): the one statement of the classes, for Python and SQL alike.
BOUNDS: dict[ScoreClass, tuple[int, int]] = {
    ScoreClass.PROMOTER: (9, 10),
    ScoreClass.PASSIVE: (7, 8),
    ScoreClass.DETRACTOR: (0, 6),
}
#: The highest score of a detractor ("detractors only" in feeds, reports and alerts).
DETRACTOR_MAX = BOUNDS[ScoreClass.DETRACTOR][1]
#: The lowest score of a promoter.
PROMOTER_MIN = BOUNDS[ScoreClass.PROMOTER][0]


def classify(score: int) -> ScoreClass:
    """Promoters score 9-10, passives 7-8, detractors 0-6 (:data:`BOUNDS`)."""
    for score_class, (low, high) in BOUNDS.items():
        if low <= score <= high:
            return score_class
    raise ValueError(f"score {score} is outside 0..10")


@dataclass(frozen=True, slots=True)
class Nps:
    """An NPS figure with its sample and 95% adjusted-Wald interval (always holding ``nps``).

    ``nps``, ``ci_low`` and ``ci_high`` are None when n is 0; ``too_small``
    marks cells whose n is below the configured minimum: they are shown with
    their n, never hidden.
    """

    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    ci_low: float | None
    ci_high: float | None
    se: float | None
    too_small: bool

    @property
    def margin(self) -> float | None:
        """Half the interval's width, in NPS points."""
        if self.ci_low is None or self.ci_high is None:
            return None
        return (self.ci_high - self.ci_low) / 2


def adjusted_wald_se(promoters: int, detractors: int, n: int) -> float:
    """Standard error of the adjusted proportion difference p' - d' (0..1 scale)."""
    n_adj = n + 3
    p = (promoters + 0.75) / n_adj
    d = (detractors + 0.75) / n_adj
    return math.sqrt((p + d - (p - d) ** 2) / n_adj)


def compute(promoters: int, passives: int, detractors: int, *, min_n: int = 10) -> Nps:
    """The NPS of these counts with its 95% adjusted-Wald interval (holding the NPS, in ±100)."""
    if min(promoters, passives, detractors) < 0:
        raise ValueError("counts must not be negative")
    n = promoters + passives + detractors
    if n == 0:
        return Nps(0, 0, 0, 0, None, None, None, None, too_small=True)
    n_adj = n + 3
    centre = (promoters + 0.75) / n_adj - (detractors + 0.75) / n_adj
    se = adjusted_wald_se(promoters, detractors, n)
    point = 100 * (promoters - detractors) / n
    # The adjusted interval is centred on the shrunken estimate, not on the published
    # NPS; for a single extreme response (n = 1, -100 or 100) it stops short of the
    # point (-98.5..48.5 around -100). An interval that excludes its own figure reads
    # as a contradiction, so it is widened to the point: only ever wider, so its
    # coverage is at least the adjusted-Wald's. Then clipped to the scale.
    low = max(-100.0, min(point, 100 * (centre - Z95 * se)))
    high = min(100.0, max(point, 100 * (centre + Z95 * se)))
    return Nps(
        n=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        nps=point,
        ci_low=low,
        ci_high=high,
        se=100 * se,
        too_small=n < min_n,
    )


@dataclass(frozen=True, slots=True)
class Change:
    """The move from a previous NPS to a current one, and whether it is more than noise."""

    delta: float | None
    z: float | None
    significant: bool


def compare(current: Nps, previous: Nps) -> Change:
    """Two-sample z-test on the adjusted-Wald standard errors, two-sided at 95%.

    A change involving a too-small cell is never called significant.
    """
    if current.nps is None or previous.nps is None:
        return Change(None, None, significant=False)
    delta = current.nps - previous.nps
    assert current.se is not None
    assert previous.se is not None
    z = delta / math.hypot(current.se, previous.se)
    significant = abs(z) >= Z95 and not (current.too_small or previous.too_small)
    return Change(delta, z, significant)
