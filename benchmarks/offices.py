"""The load store and the load as real offices make them: skewed cells, growth, many filters.

What the earlier load test flattered, and what this module makes instead:

- **Cells.** Six brands x fourteen countries x three touchpoints (252 cells),
  skewed as a real portfolio is: a brand sells mostly in its home markets,
  big countries answer more, a sixth brand launched ``LAUNCH_DAYS`` ago, so
  some cells are busy, most are small and a few are nearly empty.
- **Time.** ``DAYS`` days of history whose volume grows about threefold
  towards the end and follows the day and the week (the demo's rhythm), so
  hourly and daily rollups keep growing with the rows instead of stopping.
- **Comments.** Composed by the demo's own composer (openers, contrasts, two
  clauses, personal data now and then) in each country's languages, so the
  labeller meets many distinct comments, not one small phrase bank.
- **Screens.** ``FILTER_SETS``: about forty brand x country x playlist
  walls, as offices set them up (the HQ wall, each brand's wall, each
  brand's wall per big market, a few service desks), with screens spread
  over them by a Zipf-like skew rather than 200 copies of one wall.
- **Analysts.** :func:`drilldown_search`: a brand (by share), often a
  country, sometimes a touchpoint or label, a score order or a class, over
  varied date ranges (yesterday, last 7/30/90 days, a past month, a week).

Everything is deterministic from the seed.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

from data_sources import demo

#: brand: (share of all responses, home countries with their extra weight)
BRANDS: dict[str, tuple[float, dict[str, float]]] = {
    "Velora": (0.30, {"DE": 6, "AT": 3, "CH": 3, "NL": 2, "FR": 2}),
    "Nordhem": (0.22, {"SE": 8, "DK": 5, "NO": 5, "FI": 4}),
    "Casa Brio": (0.16, {"ES": 8, "IT": 8, "FR": 2}),
    "Lumen & Co": (0.14, {"GB": 8, "NL": 2, "BE": 2}),
    "Kvist": (0.11, {"SE": 3, "PL": 6, "DK": 2}),
    "Halden": (0.07, {"DE": 4, "PL": 3, "AT": 2}),
}
#: country: relative size of its market (answers per sale differ too; folded in here).
COUNTRIES: dict[str, float] = {
    "DE": 20, "GB": 12, "FR": 12, "IT": 8, "ES": 8, "NL": 7, "SE": 7,
    "PL": 6, "BE": 4, "AT": 4, "CH": 4, "DK": 3, "NO": 3, "FI": 2,
}  # fmt: skip
TOUCHPOINTS = {name: share for name, (share, _, _) in demo.TOUCHPOINTS.items()}
#: A brand outside its home markets still sells a little there.
ABROAD = 0.15
DAYS = 365
#: The sixth brand's first day, counted back from the end.
LAUNCH_DAYS = 120
LAUNCHED = "Halden"
#: How much busier the last day is than the first (linear growth in between).
GROWTH = 3.0
#: Share of responses with a comment (the demo's chances, scaled to about 40%).
COMMENT_SCALE = 0.68
#: (id, submitted_at, brand, country, touchpoint, score, comment, language)
Row = tuple[int, dt.datetime, str, str, str, int, str | None, str | None]
Cell = tuple[str, str, str]


def cells(launched: bool) -> tuple[list[Cell], list[float]]:
    """Every brand x country x touchpoint cell and its cumulative weight (for bisect)."""
    found: list[Cell] = []
    weights: list[float] = []
    for brand, (share, home) in BRANDS.items():
        if brand == LAUNCHED and not launched:
            continue
        mix = {c: size * home.get(c, ABROAD) for c, size in COUNTRIES.items()}
        total = sum(mix.values())
        for country, weight in mix.items():
            for touchpoint, tp_share in TOUCHPOINTS.items():
                found.append((brand, country, touchpoint))
                weights.append(share * weight / total * tp_share)
    return found, list(itertools.accumulate(weights))


def _baseline(cell: Cell) -> float:
    """A cell's own NPS: brand, country and touchpoint each move it, deterministically."""
    brand, country, touchpoint = cell
    key = sum(map(ord, brand)) * 31 + sum(map(ord, country)) * 7
    return 20 + (key % 41) - 10 + demo.TOUCHPOINTS[touchpoint][1]


def hourly_counts(rows: int, end: dt.datetime, days: int = DAYS) -> list[tuple[dt.datetime, int]]:
    """How many of *rows* fall in each hour of the *days* before *end*: growth x rhythm."""
    start = end - dt.timedelta(days=days)
    hours = [start + dt.timedelta(hours=h) for h in range(days * 24)]
    weights = [(1 + (GROWTH - 1) * i / len(hours)) * demo.rhythm(at) for i, at in enumerate(hours)]
    total = sum(weights)
    counts, carried = [], 0.0
    for at, w in zip(hours, weights, strict=True):
        carried += rows * w / total
        n = int(carried)
        carried -= n
        counts.append((at, n))
    counts[-1] = (counts[-1][0], counts[-1][1] + rows - sum(n for _, n in counts))
    return counts


def generate(rows: int, end: dt.datetime, days: int = DAYS, seed: int = 11) -> Iterator[Row]:
    """*rows* responses over the *days* before *end*, oldest hour first (see the module)."""
    rng = random.Random(seed)
    before, after = cells(False), cells(True)
    launch = end - dt.timedelta(days=LAUNCH_DAYS)
    i = 0
    for hour, n in hourly_counts(rows, end, days):
        found, cum = after if hour >= launch else before
        top = cum[-1]
        for _ in range(n):
            at = hour + dt.timedelta(seconds=rng.random() * 3600)
            cell = found[bisect.bisect(cum, rng.random() * top)]
            brand, country, touchpoint = cell
            nps = _baseline(cell) + demo._drift(brand, country, at)
            score = demo._score(rng, nps)
            comment = lang = None
            chance = 0.72 if score <= 6 else 0.5 if score <= 8 else 0.58
            if rng.random() < chance * COMMENT_SCALE:
                lang = demo._pick(rng, demo.LANGUAGES[country])
                themes = demo.TOUCHPOINTS[touchpoint][2]
                comment = demo._comment(rng, lang, score, demo._pick(rng, themes), themes)
            yield (i, at, brand, country, touchpoint, score, comment, lang)
            i += 1


# --- the screens -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FilterSet:
    """One wall as an office sets it up: its brand and country filters and its playlist."""

    brand: str
    country: str
    pages: tuple[str, ...]

    @property
    def name(self) -> str:
        """A short readable name."""
        return f"{self.brand or 'all brands'}/{self.country or 'all countries'}"


WALL = ("overview", "feed", "labels")
#: Service desks watch comments; management watches the numbers.
DESK = ("feed", "labels")
BOARD = ("overview",)


def filter_sets() -> list[FilterSet]:
    """About forty walls: HQ, each brand, each brand in its home markets, service desks."""
    found = [FilterSet("", "", WALL), FilterSet("", "", BOARD)]
    for brand, (_, home) in BRANDS.items():
        found.append(FilterSet(brand, "", WALL))
        for country in sorted(home, key=lambda c: -home[c] * COUNTRIES[c]):
            found.append(FilterSet(brand, country, WALL))
        # A country team watching every brand it sells, and a service desk per big brand.
        if BRANDS[brand][0] >= 0.14:
            found.append(FilterSet(brand, "", DESK))
    for country in ("DE", "GB", "FR", "SE"):
        found.append(FilterSet("", country, WALL))
    found.append(FilterSet("Velora,Halden", "DE", WALL))
    found.append(FilterSet("Nordhem,Kvist", "SE,DK", DESK))
    return found


def assign_screens(screens: int, sets: list[FilterSet], seed: int = 3) -> list[FilterSet]:
    """A wall for each of *screens*: every set has one, the rest by a Zipf-like skew."""
    rng = random.Random(seed)
    weights = [1 / (k + 1) ** 0.8 for k in range(len(sets))]
    chosen = list(sets[:screens])
    chosen += rng.choices(sets, weights=weights, k=max(0, screens - len(sets)))
    return chosen


# --- the analysts ------------------------------------------------------------------------

LABELS = (
    "delivery", "delivery/time", "packaging", "price", "service", "product", "returns",
    "checkout", "payment", "quality",
)  # fmt: skip


def date_range(rng: random.Random, end: dt.date) -> tuple[dt.date, dt.date]:
    """A period an analyst looks at, up to *end* (the store's last day)."""
    kind = rng.choices(
        ("yesterday", "7", "30", "90", "month", "week", "quarter"),
        weights=(1, 3, 4, 2, 2, 2, 1),
    )[0]
    if kind == "yesterday":
        return end - dt.timedelta(days=1), end - dt.timedelta(days=1)
    if kind in ("7", "30", "90"):
        return end - dt.timedelta(days=int(kind) - 1), end
    if kind == "month":
        first = (end.replace(day=1) - dt.timedelta(days=28 * rng.randint(1, 10))).replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        return first, last
    if kind == "week":
        last = end - dt.timedelta(days=rng.randint(0, 300))
        return last - dt.timedelta(days=6), last
    last = end - dt.timedelta(days=rng.randint(0, 200))
    return last - dt.timedelta(days=89), last


def drilldown_search(rng: random.Random, end: dt.date) -> str:
    """A drill-down view an analyst opens: a brand by share, often deeper, over some period."""
    brand = rng.choices(list(BRANDS), weights=[s for s, _ in BRANDS.values()])[0]
    home = BRANDS[brand][1]
    first, last = date_range(rng, end)
    params = {"brand": brand, "from": first.isoformat(), "to": last.isoformat()}
    if rng.random() < 0.6:
        # Mostly a home market, now and then a small one abroad.
        pool = list(home) if rng.random() < 0.8 else list(COUNTRIES)
        params["country"] = rng.choice(pool)
    if rng.random() < 0.2:
        params["touchpoint"] = rng.choice(list(TOUCHPOINTS))
    if rng.random() < 0.4:
        params["label"] = rng.choice(LABELS)
    if rng.random() < 0.25:
        params["sort"] = rng.choice(("low", "high"))
    if rng.random() < 0.25:
        params["class"] = "detractor"
    return "?" + urlencode(params)


def log_share(values: list[int]) -> float:
    """How unequal *values* are: the share of the largest tenth (1.0 = all in one)."""
    ordered = sorted(values, reverse=True)
    top = ordered[: max(1, math.ceil(len(ordered) / 10))]
    return sum(top) / max(1, sum(ordered))
