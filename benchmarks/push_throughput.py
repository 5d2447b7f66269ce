"""Push throughput: concurrent senders against `POST /api/v1/responses` under gunicorn.

Starts ``gunicorn app:server`` (``--workers`` x ``--threads``) on a fresh
PostgreSQL schema with the Redis cache, then for ``--seconds``:

- ``--senders`` senders (50), each with a push token of its own (one source
  each, as real integrations have), posting batches of ``--batch`` (100) new
  responses with unique comments back to back;
- ``--screens`` wall screens polling at the same time: every 5 s each asks the
  figures behind the wall (``GET /api/v1/nps`` by brand and country, last 30
  days) and the heartbeat (``GET /api/v1/version``), as an analyst token.

Afterwards the store is counted: every response a 200 answer accepted must be
stored once (0 lost, 0 doubled). Reported: responses/s, request p50/p95/p99,
errors (any non-200 or transport error), the wall's p95 while pushing, and
the same for a bare baseline in the same run: ``--batch``-row INSERTs by the same
number of concurrent psycopg connections straight into a plain table (no HTTP).

The push rate limit (600 requests/minute per token by default) is raised for
the run: at the target (5,000 responses/s in batches of 100 from 50 senders)
each sender makes one request a second, 60 a minute, within the default; the
limit is raised anyway so that a faster run is not cut short; a
deployment expecting such senders configures ``FEEDBACKWALL_PUSH_RATE_LIMIT``
the same way.

    python -m benchmarks.push_throughput --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import time
import uuid
from typing import Any

import httpx
import psycopg

from benchmarks.common import drop_schema, fresh_schema, require, save
from benchmarks.load_test import start_gunicorn, stop
from dashapp.access import ingest_tokens as tokens
from dashapp.access import tokens as access_tokens
from dashapp.access import users
from dashapp.access.roles import Role
from dashapp.store import db

PG = os.environ.get("FEEDBACKWALL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("FEEDBACKWALL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SCHEMA = f"bench_push_{os.getpid()}"
TARGET_PER_S = 5_000
TARGET_P95_MS = 250
WORDS = ("delivery", "parcel", "late", "quick", "friendly", "broken", "refund", "price", "app")


def batch(sender: int, start: int, size: int, now: dt.datetime) -> list[dict[str, Any]]:
    """*size* new responses of *sender*, numbered from *start*, each comment unique."""
    rows = []
    for n in range(start, start + size):
        words = " ".join(WORDS[(n * 7 + k * 3 + sender) % len(WORDS)] for k in range(6))
        rows.append(
            {
                "id": f"{sender}-{n}",
                "submitted_at": (now - dt.timedelta(seconds=n % 3600)).isoformat(),
                "brand": ("Velora", "Casa Brio", "Nordlys")[n % 3],
                "country": ("DE", "GB", "FR", "SE", "NL", "ES", "IT")[n % 7],
                "touchpoint": ("delivery", "purchase", "support")[n % 3],
                "score": n % 11,
                "comment": f"The {words} order {sender}-{n}",
                "language": "en",
            }
        )
    return rows


def percentile(values: list[float], q: float) -> float:
    """The *q* quantile (0..1) of *values* in milliseconds, rounded."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


async def sender(
    client: httpx.AsyncClient, index: int, token: str, size: int, end: float, out: dict[str, Any]
) -> None:
    """Post batches until *end*; note latencies, accepted counts and errors."""
    headers = {"Authorization": f"Bearer {token}"}
    now = dt.datetime.now(dt.UTC)
    n = 0
    while time.monotonic() < end:
        body = batch(index, n, size, now)
        start = time.monotonic()
        try:
            answer = await client.post("/api/v1/responses", json=body, headers=headers)
        except httpx.HTTPError as exc:
            out["errors"].append(type(exc).__name__)
            continue
        out["latency"].append(time.monotonic() - start)
        if answer.status_code == 200:
            out["accepted"] += answer.json()["accepted"]
        else:
            out["errors"].append(answer.status_code)
        n += size


async def screen(
    client: httpx.AsyncClient, token: str, end: float, out: dict[str, Any], delay: float
) -> None:
    """Poll the wall's figures and the heartbeat every 5 s until *end*."""
    headers = {"Authorization": f"Bearer {token}"}
    await asyncio.sleep(delay)
    while time.monotonic() < end:
        for path in ("/api/v1/nps?by=brand,country&window=30d", "/api/v1/version"):
            start = time.monotonic()
            try:
                answer = await client.get(path, headers=headers)
                out["wall_latency"].append(time.monotonic() - start)
                if answer.status_code != 200:
                    out["wall_errors"].append(answer.status_code)
            except httpx.HTTPError as exc:
                out["wall_errors"].append(type(exc).__name__)
        await asyncio.sleep(5)


async def push_load(
    base: str, push: list[str], analyst: str, args: argparse.Namespace
) -> dict[str, Any]:
    """Run the senders and screens for ``--seconds``; raw figures."""
    out: dict[str, Any] = {
        "latency": [],
        "accepted": 0,
        "errors": [],
        "wall_latency": [],
        "wall_errors": [],
    }
    limits = httpx.Limits(max_connections=args.senders + args.screens + 5, keepalive_expiry=1.5)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        start = time.monotonic()
        end = start + args.seconds
        tasks = [sender(client, i, push[i], args.batch, end, out) for i in range(args.senders)]
        tasks += [
            screen(client, analyst, end, out, 5 * i / args.screens) for i in range(args.screens)
        ]
        await asyncio.gather(*tasks)
        out["elapsed"] = time.monotonic() - start
    return out


def baseline(url: str, args: argparse.Namespace) -> float:
    """Rows/s of *senders* connections INSERTing *batch*-row batches into a plain table."""
    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1).split("?")[0]
    options = f"-csearch_path={SCHEMA}"
    with psycopg.connect(conninfo, options=options) as conn:
        conn.execute(
            "CREATE TABLE plain (id text PRIMARY KEY, submitted_at timestamptz, brand text,"
            " country text, touchpoint text, score smallint, comment text, language text)"
        )
        conn.commit()

    async def one(index: int, end: float, done: list[int]) -> None:
        now = dt.datetime.now(dt.UTC)
        async with await psycopg.AsyncConnection.connect(conninfo, options=options) as conn:
            n = 0
            while time.monotonic() < end:
                rows = [tuple(r.values()) for r in batch(index, n, args.batch, now)]
                async with conn.cursor() as cur:
                    await cur.executemany(
                        "INSERT INTO plain VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows
                    )
                await conn.commit()
                done[0] += len(rows)
                n += args.batch

    async def all_of() -> float:
        done = [0]
        start = time.monotonic()
        end = start + min(args.seconds, 20)
        await asyncio.gather(*(one(i, end, done) for i in range(args.senders)))
        return done[0] / (time.monotonic() - start)

    return asyncio.run(all_of())


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--screens", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--url", default=PG)
    args = parser.parse_args()
    url = fresh_schema(args.url, SCHEMA)
    try:
        db.upgrade(url)
        sessions = db.make_sessionmaker(db.make_engine(url))
        with sessions.begin() as session:
            push = [tokens.issue(session, f"push-{i}") for i in range(args.senders)]
            person = users.create(
                session, f"bench-{uuid.uuid4().hex[:6]}", "bench-password-1", Role.analyst
            )
            analyst = access_tokens.issue_api(session, person, "push benchmark")
        env = {
            "FEEDBACKWALL_DATABASE_URL": url,
            "FEEDBACKWALL_CACHE_URL": REDIS,
            "FEEDBACKWALL_PUSH_RATE_LIMIT": "1000000/minute",
        }
        port = 8795
        server = start_gunicorn("app:server", port, env, args.workers, args.threads, wait=300)
        try:
            raw = asyncio.run(push_load(f"http://127.0.0.1:{port}", push, analyst, args))
        finally:
            stop(server)
        with sessions() as session:
            from sqlalchemy import func, select

            from dashapp.store.models import Response

            stored = session.scalar(select(func.count()).select_from(Response)) or 0
            distinct = session.scalar(select(func.count(func.distinct(Response.external_id))))
        base = baseline(url, args)
    finally:
        drop_schema(args.url, SCHEMA)
    rate = raw["accepted"] / raw["elapsed"]
    result = {
        "seconds": round(raw["elapsed"], 1),
        "senders": args.senders,
        "batch": args.batch,
        "screens": args.screens,
        "gunicorn": f"-w {args.workers} --threads {args.threads}",
        "requests": len(raw["latency"]),
        "accepted": raw["accepted"],
        "stored": stored,
        "lost": raw["accepted"] - stored,
        "doubled": stored - (distinct or 0),
        "errors": len(raw["errors"]),
        "error_kinds": sorted({str(e) for e in raw["errors"]})[:10],
        "responses_per_s": round(rate),
        "p50_ms": percentile(raw["latency"], 0.5),
        "p95_ms": percentile(raw["latency"], 0.95),
        "p99_ms": percentile(raw["latency"], 0.99),
        "wall_requests": len(raw["wall_latency"]),
        "wall_p95_ms": percentile(raw["wall_latency"], 0.95),
        "wall_errors": len(raw["wall_errors"]),
        "baseline_insert_rows_per_s": round(base),
        "ratio_baseline_to_push": round(base / rate, 2) if rate else None,
        "targets": {"responses_per_s": TARGET_PER_S, "p95_ms": TARGET_P95_MS},
        "target_met": rate >= TARGET_PER_S
        and percentile(raw["latency"], 0.95) < TARGET_P95_MS
        and not raw["errors"]
        and raw["accepted"] == stored,
        "load_average": os.getloadavg(),
    }
    for key, value in result.items():
        print(f"{key}: {value}")
    require(result["lost"] == 0 and result["doubled"] == 0, "responses lost or doubled")
    print(save("push-throughput", result))


if __name__ == "__main__":
    main()
