"""The demo simulator: believable multilingual NPS feedback, so a fresh install shows a living wall.

Five fictional brands sell in fifteen European countries; each brand x country
has its own baseline NPS and volume, touchpoints differ, NPS drifts slowly,
volume follows the day and the week, and two recurring incidents (a courier
problem, a broken checkout) give the wall real drops to show. Comments are
composed from native-language phrase banks (:mod:`data_sources.demo_phrases`)
and agree with the score.

Everything is deterministic: the responses of a given second (live) or minute
(history) depend only on the seed and that instant, so re-polling the same
cursor yields the same ids and dedupe makes it harmless.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from data_sources.base import Batch, Cursor, Located
from data_sources.demo_phrases import CONTRAST, OPENERS, PHRASES

UTC = dt.UTC
#: Most responses one poll returns; a longer gap is caught up over several polls.
MAX_PER_POLL = 500


@dataclass(frozen=True, slots=True)
class Market:
    """A brand in one country: its baseline NPS and share of the brand's volume."""

    country: str
    nps: float
    weight: float


BRANDS: dict[str, tuple[float, tuple[Market, ...]]] = {
    # brand: (share of all responses, markets)
    "Velora": (
        0.30,
        (
            Market("DE", 42, 5),
            Market("AT", 48, 1.5),
            Market("CH", 51, 1.5),
            Market("NL", 35, 2),
            Market("BE", 30, 1),
            Market("FR", 22, 2),
        ),
    ),
    "Nordhem": (
        0.22,
        (
            Market("SE", 55, 4),
            Market("DK", 47, 2),
            Market("NO", 50, 1.5),
            Market("FI", 38, 1.5),
            Market("DE", 12, 1.5),
        ),
    ),
    "Casa Brio": (
        0.18,
        (Market("ES", 28, 3), Market("IT", 18, 3), Market("FR", 8, 1.5), Market("CH", 33, 0.5)),
    ),
    "Lumen & Co": (
        0.18,
        (
            Market("GB", 31, 4),
            Market("IE", 37, 1),
            Market("NL", 26, 1.5),
            Market("BE", 21, 1),
            Market("DE", 15, 1.5),
        ),
    ),
    "Kvist": (
        0.12,
        (Market("SE", 24, 2), Market("DK", 19, 1.5), Market("PL", -6, 2.5), Market("FI", 10, 1)),
    ),
}

#: country -> [(language, share)]
LANGUAGES: dict[str, tuple[tuple[str, float], ...]] = {
    "DE": (("de", 0.97), ("en", 0.03)),
    "AT": (("de", 1.0),),
    "CH": (("de", 0.65), ("fr", 0.28), ("it", 0.07)),
    "FR": (("fr", 0.98), ("en", 0.02)),
    "BE": (("nl", 0.58), ("fr", 0.42)),
    "NL": (("nl", 0.95), ("en", 0.05)),
    "SE": (("sv", 0.96), ("en", 0.04)),
    "DK": (("da", 0.96), ("en", 0.04)),
    "NO": (("nb", 1.0),),
    "FI": (("fi", 0.88), ("sv", 0.12)),
    "IT": (("it", 1.0),),
    "ES": (("es", 1.0),),
    "PL": (("pl", 0.97), ("en", 0.03)),
    "GB": (("en", 1.0),),
    "IE": (("en", 1.0),),
}

#: touchpoint: (share, NPS offset, themes people write about there, with weights)
TOUCHPOINTS: dict[str, tuple[float, float, dict[str, float]]] = {
    "delivery": (0.45, -4, {"delivery": 6, "packaging": 3, "quality": 2, "returns": 1}),
    "service": (0.25, -10, {"service": 6, "returns": 3, "payment": 1, "delivery": 1}),
    "purchase": (0.30, 8, {"checkout": 4, "price": 4, "payment": 2, "quality": 3}),
}


@dataclass(frozen=True, slots=True)
class Incident:
    """A recurring problem: every *period* days, for *length* days, in one cell."""

    brand: str
    country: str
    touchpoint: str
    theme: str
    nps_drop: float
    period: int
    length: int
    phase: int

    def active(self, at: dt.datetime) -> bool:
        """Whether the incident is going on at *at*."""
        return (at.toordinal() + self.phase) % self.period < self.length


INCIDENTS = (
    Incident("Velora", "DE", "delivery", "delivery", 55, period=23, length=6, phase=3),
    Incident("Nordhem", "SE", "purchase", "checkout", 45, period=17, length=3, phase=11),
)

PERSONAL_DATA = (
    "Contact me: anna.berg@example.com",
    "Call me back on +46 70 123 45 67",
    "Order number 4711882931",
    "my email is j.dupont@example.org",
)

# Hourly volume shape in UTC (European evenings are busiest).
_HOURLY = (0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.45, 0.8, 1.0, 1.1, 1.15, 1.2,
           1.25, 1.2, 1.15, 1.15, 1.25, 1.45, 1.7, 1.8, 1.6, 1.2, 0.7, 0.35)  # fmt: skip
_HOURLY_MEAN = sum(_HOURLY) / 24


def rhythm(at: dt.datetime) -> float:
    """Relative volume at *at*: 1.0 on average, low at night, higher on Sundays."""
    weekly = 1.15 if at.weekday() == 6 else 0.9 if at.weekday() == 5 else 1.0
    return _HOURLY[at.hour] / _HOURLY_MEAN * weekly


def _pick(rng: random.Random, weighted: dict[str, float] | tuple[tuple[str, float], ...]) -> str:
    items = list(weighted.items()) if isinstance(weighted, dict) else list(weighted)
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


def _drift(brand: str, country: str, at: dt.datetime) -> float:
    # A slow wave per cell (period 5-9 weeks, +-7 points): NPS is never flat.
    key = sum(map(ord, brand + country))
    period = 35 + key % 28
    return 7 * math.sin(2 * math.pi * (at.toordinal() / period) + key)


def _score(rng: random.Random, nps: float) -> int:
    """A score whose expected NPS is *nps*, with a passive share of about a quarter."""
    net = max(-0.7, min(0.7, nps / 100))
    promoters, detractors = (0.75 + net) / 2, (0.75 - net) / 2
    roll = rng.random()
    if roll < promoters:
        return 10 if rng.random() < 0.55 else 9
    if roll < promoters + detractors:
        return rng.choices(range(7), weights=(4, 1, 1.5, 2.5, 3, 5, 6))[0]
    return 8 if rng.random() < 0.6 else 7


def _clause(rng: random.Random, lang: str, theme: str, positive: bool) -> str:
    good, bad = PHRASES[lang][theme]
    return rng.choice(good if positive else bad)


def _comment(
    rng: random.Random, lang: str, score: int, theme: str, themes: dict[str, float]
) -> str:
    if score >= 9:
        parts = [_clause(rng, lang, theme, True)]
        if rng.random() < 0.25:
            parts.append(_clause(rng, lang, _pick(rng, themes), True))
        text = ", ".join(parts)
    elif score <= 6:
        parts = [_clause(rng, lang, theme, False)]
        if rng.random() < 0.25:
            parts.append(_clause(rng, lang, _pick(rng, themes), False))
        text = ", ".join(parts)
        if score >= 5 and rng.random() < 0.3:  # mild detractors often concede something
            other = _pick(rng, themes)
            text = f"{_clause(rng, lang, other, True)}, {CONTRAST[lang]} {text}"
    else:
        other = _pick(rng, themes)
        first, second = (theme, other) if rng.random() < 0.5 else (other, theme)
        good, bad = _clause(rng, lang, first, True), _clause(rng, lang, second, False)
        text = f"{good}, {CONTRAST[lang]} {bad}"
    if rng.random() < 0.12:
        text = f"{rng.choice(OPENERS[lang])} {text}"
    text = text[0].upper() + text[1:]
    text += rng.choice((".", ".", "!", "")) if score >= 9 else rng.choice((".", ".", "", "!"))
    if rng.random() < 1 / 300:
        text += f" {rng.choice(PERSONAL_DATA)}"
    return text


def response(rng: random.Random, at: dt.datetime, external_id: str) -> dict[str, Any]:
    """One raw record at *at* (aware UTC), drawn from *rng*."""
    brand = rng.choices(list(BRANDS), weights=[share for share, _ in BRANDS.values()])[0]
    markets = BRANDS[brand][1]
    market = rng.choices(markets, weights=[m.weight for m in markets])[0]
    touchpoint = rng.choices(list(TOUCHPOINTS), weights=[t[0] for t in TOUCHPOINTS.values()])[0]
    _, offset, themes = TOUCHPOINTS[touchpoint]
    nps = market.nps + offset + _drift(brand, market.country, at)
    theme = _pick(rng, themes)
    for incident in INCIDENTS:
        if (incident.brand, incident.country, incident.touchpoint) == (
            brand,
            market.country,
            touchpoint,
        ) and incident.active(at):
            nps -= incident.nps_drop
            theme = incident.theme if rng.random() < 0.8 else theme
    score = _score(rng, nps)
    lang = _pick(rng, LANGUAGES[market.country])
    record: dict[str, Any] = {
        "id": external_id,
        "submitted_at": at.isoformat().replace("+00:00", "Z"),
        "brand": brand,
        "country": market.country,
        "touchpoint": touchpoint,
        "score": score,
        "channel": rng.choice(("web", "web", "app", "email")),
        "order_value": f"{rng.lognormvariate(4.1, 0.6):.2f}",
    }
    chance = 0.72 if score <= 6 else 0.5 if score <= 8 else 0.58
    if rng.random() < chance:
        record["comment"] = _comment(rng, lang, score, theme, themes)
        if rng.random() >= 0.15:  # some survey tools do not send the language
            record["language"] = lang
    return record


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: means here are small (a minute's worth of responses).
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def history(
    days: int, now: dt.datetime, *, seed: int = 7, per_day: int = 1500
) -> Iterator[Located]:
    """Responses for the *days* days before *now*, oldest first, streamed minute by minute.

    About *per_day* responses a day on average; ids are ``h-<epoch minute>-<k>``.
    """
    end = now.astimezone(UTC).replace(second=0, microsecond=0)
    return history_between(end - dt.timedelta(days=days), end, seed=seed, per_day=per_day)


def history_between(
    start: dt.datetime, end: dt.datetime, *, seed: int = 7, per_day: int = 1500
) -> Iterator[Located]:
    """The history's responses of the whole minutes from *start* up to *end*, oldest first.

    A minute's responses depend only on the seed and that minute, so history
    seeded in pieces (the last day first, then the rest) is the history seeded at once.
    """
    minute = start.astimezone(UTC).replace(second=0, microsecond=0)
    end = end.astimezone(UTC)
    step = dt.timedelta(minutes=1)
    while minute < end:
        stamp = int(minute.timestamp()) // 60
        rng = random.Random(seed * 1_000_003 + stamp)
        for k in range(_poisson(rng, per_day / 1440 * rhythm(minute))):
            at = minute + dt.timedelta(seconds=rng.randrange(60), microseconds=rng.randrange(10**6))
            yield f"demo history {minute:%Y-%m-%d %H:%M} #{k}", response(rng, at, f"h-{stamp}-{k}")
        minute += step


class DemoSource:
    """A live stream of demo responses, about *rate_per_minute* on average."""

    def __init__(self, name: str, *, seed: int = 7, rate_per_minute: float = 12.0) -> None:
        self.name = name
        self.seed = seed
        self.rate = rate_per_minute

    def poll(self, cursor: Cursor | None, now: dt.datetime | None = None) -> Batch:
        """The responses of the whole seconds after the cursor up to *now* (default: the clock).

        The cursor is ``{"until": epoch second}``; without one, the last ten
        seconds are produced so a first poll shows something at once.
        """
        current = int((now or dt.datetime.now(UTC)).timestamp())
        start = int(cursor["until"]) if cursor else current - 10
        records: list[Located] = []
        second = start
        while second < current and len(records) < MAX_PER_POLL:
            second += 1
            at = dt.datetime.fromtimestamp(second, UTC)
            rng = random.Random(self.seed * 1_000_003 + second)
            if rng.random() < min(1.0, self.rate / 60 * rhythm(at)):
                at += dt.timedelta(microseconds=rng.randrange(10**6))
                records.append((f"demo {at:%H:%M:%S}", response(rng, at, f"d-{second}")))
        return Batch(records, {"until": second}, more=second < current)
