"""Follow-ups at scale: the queue page and the wall panel with 100,000 open follow-ups.

Builds a PostgreSQL schema of its own (``fw_followups`` by default, made anew)
holding ``--open`` open follow-ups (and a fifth as many done ones, for the
answer times) on as many detractor responses over the last 14 days, 30% of
them labelled; five owners. Then, in one process through the real app (the
gate, Dash's callback dispatch, JSON encoding, the in-process cache as
configured by default), it times ``--samples`` calls of each:

- the queue page: the callback that fills the queue and the detail, for the
  default queue and for filtered ones (country and nobody's, a label, an age);
- ``GET /api/v1/followups`` (50 rows);
- the wall panel's refresh (open, overdue and answer times per brand and country),
  each time after a data change, so it is built anew (the panel is cached per data
  version: between changes every screen shares one build);
- baselines, measured in the same run: the overview's wall panel rebuilt the same
  way, ``GET /api/v1/nps?by=brand,country`` (served from the engine's cache between
  data changes) and the floor, ``GET /api/v1/version``.

Reports p50 and p95 in milliseconds and each p95 against the baseline's.
Writes benchmarks/out/followups.json.

    python -m benchmarks.followups --open 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine, insert, text

from benchmarks.common import save
from benchmarks.load_test import PG
from dashapp import create_app
from dashapp.access import tokens as access_tokens
from dashapp.access import users
from dashapp.access.users import Role
from dashapp.config import Settings
from dashapp.services import services_of
from dashapp.store import counters as versions
from dashapp.store import db
from dashapp.store.models import Followup, Response, ResponseLabel
from layouts.ids import FollowUps, Panels

SCHEMA = "fw_followups"
BRANDS = ("Velora", "Nordhem", "Kvist")
COUNTRIES = ("DE", "FR", "SE", "NL")
TOUCHPOINTS = ("delivery", "service", "purchase")
CHUNK = 5_000


def schema_url(url: str, schema: str) -> str:
    """A fresh, migrated schema *schema* on *url*; its URL."""
    from sqlalchemy.engine import make_url

    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    found = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = found.render_as_string(hide_password=False)
    db.upgrade(rendered)
    return rendered


def reused_url(url: str, schema: str) -> str:
    """The URL of schema *schema* as a previous run left it."""
    from sqlalchemy.engine import make_url

    found = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return found.render_as_string(hide_password=False)


def seed(url: str, open_count: int, seed_value: int = 7) -> list[int]:
    """Responses, follow-ups (open and done) and labels; the owners' user ids."""
    rng = random.Random(seed_value)
    sessions = db.make_sessionmaker(db.make_engine(url))
    now = dt.datetime.now(dt.UTC)
    with sessions.begin() as session:
        owners = [
            users.create(session, f"agent{i}", "correct horse battery staple", Role.analyst).id
            for i in range(5)
        ]
    total = open_count + open_count // 5
    for start in range(0, total, CHUNK):
        ids = range(start + 1, min(total, start + CHUNK) + 1)
        responses, followups, labels = [], [], []
        for i in ids:
            at = now - dt.timedelta(seconds=rng.randrange(14 * 86400))
            brand, country = rng.choice(BRANDS), rng.choice(COUNTRIES)
            touchpoint, score = rng.choice(TOUCHPOINTS), rng.randrange(7)
            responses.append(
                {
                    "id": i,
                    "source": "bench",
                    "external_id": f"b{i}",
                    "submitted_at": at,
                    "brand": brand,
                    "country": country,
                    "touchpoint": touchpoint,
                    "score": score,
                    "comment": f"Lieferung {i} kam zu spät, niemand rief zurück",
                    "language": "de",
                    "properties": {},
                    "content_hash": f"{i:032x}",
                    "ingested_at": at,
                }
            )
            opened = at + dt.timedelta(minutes=rng.randrange(1, 60))
            done = i > open_count
            contact = opened + dt.timedelta(hours=rng.uniform(0.2, 60))
            status = (
                rng.choice(("resolved", "closed"))
                if done
                else rng.choice(("new", "new", "in_progress", "contacted"))
            )
            followups.append(
                {
                    "response_id": i,
                    "status": status,
                    "owner_id": rng.choice([None, *owners]),
                    "reason": "duplicate" if status == "closed" else None,
                    "version": 1,
                    "opened_at": opened,
                    "due_at": opened + dt.timedelta(hours=48),
                    "first_contact_at": contact if status in ("contacted", "resolved") else None,
                    "done_at": contact + dt.timedelta(hours=rng.uniform(1, 48)) if done else None,
                    "updated_at": opened,
                    "updated_by": "rule",
                    "brand": brand,
                    "country": country,
                    "touchpoint": touchpoint,
                    "score": score,
                    "submitted_at": at,
                }
            )
            if rng.random() < 0.3:
                labels.append(
                    {
                        "response_id": i,
                        "label": rng.choice(("delivery/time", "service", "payment")),
                        "sentiment": -1,
                        "submitted_at": at,
                        "brand": brand,
                        "country": country,
                        "touchpoint": touchpoint,
                        "score": score,
                    }
                )
        with sessions.begin() as session:
            session.execute(insert(Response), responses)
            session.execute(insert(Followup), followups)
            if labels:
                session.execute(insert(ResponseLabel), labels)
    with sessions.begin() as session:
        session.execute(text("ANALYZE"))
    return owners


def _callback_body(app: Any, output_part: str, values: dict[str, Any]) -> dict[str, Any]:
    """A Dash callback request for the callback whose outputs include *output_part*."""
    key = next(k for k in app.callback_map if output_part in k)
    spec = app.callback_map[key]
    outputs = [
        {"id": part.split(".")[0], "property": part.split(".")[1]}
        for part in key.strip(".").split("...")
    ]

    def described(deps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {"id": d["id"], "property": d["property"], "value": values.get(d["id"])} for d in deps
        ]

    return {
        "output": key,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": described(spec["inputs"]),
        "state": described(spec["state"]),
        "changedPropIds": [],
    }


def timings(
    call: Callable[[], int], samples: int, before: Callable[[], None] | None = None
) -> dict[str, float]:
    """p50 and p95 milliseconds of *call* (which returns an HTTP status) after 3 warm-ups;
    *before* runs ahead of each call, untimed."""
    for _ in range(3):
        status = call()
        if status != 200:
            raise SystemExit(f"warm-up answered {status}")
    times = []
    for _ in range(samples):
        if before is not None:
            before()
        start = time.perf_counter()
        status = call()
        times.append(1000 * (time.perf_counter() - start))
        if status != 200:
            raise SystemExit(f"answered {status}")
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], 1),
    }


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=PG)
    parser.add_argument("--schema", default=SCHEMA)
    parser.add_argument("--open", type=int, default=100_000, dest="open_count")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument(
        "--reuse", action="store_true", help="time the schema a previous run seeded"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    if args.reuse:
        url = reused_url(args.url, args.schema)
    else:
        url = schema_url(args.url, args.schema)
        seed(url, args.open_count)
    seeded = round(time.perf_counter() - started, 1)
    print(f"seeded {args.open_count} open follow-ups in {seeded} s", flush=True)

    # The app as it runs (an in-process cache); the wall panel is timed after a data
    # change each time, so it is rebuilt, never served from the cache.
    app = create_app(Settings.load(database_url=url, cache_url="simple", config=None))
    sessions = services_of(app.server).sessions

    def data_changed() -> None:
        with sessions.begin() as session:
            versions.bump(session, versions.DATA)

    with services_of(app.server).sessions.begin() as session:
        user = users.by_name(session, "agent0")
        assert user is not None
        token = access_tokens.issue_api(session, user, "benchmark")
    client = app.server.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"

    def dash_call(output_part: str, values: dict[str, Any]) -> Callable[[], int]:
        body = json.dumps(_callback_body(app, output_part, values))

        def call() -> int:
            return client.post(
                "/_dash-update-component", data=body, content_type="application/json"
            ).status_code

        return call

    cases: dict[str, Callable[[], int]] = {
        "baseline: GET /api/v1/nps?by=brand,country": lambda: (
            client.get("/api/v1/nps?by=brand,country").status_code
        ),
        "floor: GET /api/v1/version": lambda: client.get("/api/v1/version").status_code,
        # The wall's overview panel, rebuilt after a data change as the follow-up panel is.
        "wall panel: overview (baseline)": dash_call(
            Panels.NPS, {Panels.FILTERS: {}, Panels.poll("overview"): 1, Panels.THEME: "dark"}
        ),
    }
    for name, search in (
        ("queue page: default (every open one)", ""),
        ("queue page: country DE, nobody's", "?country=DE&owner=none"),
        ("queue page: label delivery", "?label=delivery"),
        ("queue page: Velora, opened 2+ days ago", "?brand=Velora&age=2d"),
        ("queue page: one follow-up shown", "?id=5"),
    ):
        cases[name] = dash_call(FollowUps.QUEUE, {FollowUps.URL: search, FollowUps.CHANGED: 0})
    cases["GET /api/v1/followups"] = lambda: client.get("/api/v1/followups").status_code
    # Between data changes every screen is served the one build (the engine's memo).
    cases["served panel: follow-ups (no data change)"] = dash_call(
        Panels.part("followups", "content"),
        {Panels.FILTERS: {}, Panels.poll("followups"): 1, Panels.THEME: "dark"},
    )
    cases["wall panel: follow-ups"] = dash_call(
        Panels.part("followups", "content"),
        {Panels.FILTERS: {}, Panels.poll("followups"): 1, Panels.THEME: "dark"},
    )
    measured = {
        name: timings(call, args.samples, data_changed if name.startswith("wall") else None)
        for name, call in cases.items()
    }
    base = measured["baseline: GET /api/v1/nps?by=brand,country"]["p95_ms"]
    for name, row in measured.items():
        row["p95_vs_baseline"] = round(row["p95_ms"] / max(base, 0.1), 2)
        print(f"{name}: {row}", flush=True)
    result = {
        "schema": args.schema,
        "open_followups": args.open_count,
        "done_followups": args.open_count // 5,
        "seconds_to_seed": seeded,
        "samples": args.samples,
        "cases": measured,
        "slowest_p95_ms": max(
            r["p95_ms"] for n, r in measured.items() if "baseline" not in n and "floor" not in n
        ),
    }
    services_of(app.server).engine.dispose()
    save("followups", result)


if __name__ == "__main__":
    main()
