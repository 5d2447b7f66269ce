"""What the access gate costs a request: each way of being signed in against no look-up at all.

One app, one store, in this process. Each round sends ``--requests`` requests
of two kinds to the Flask app (no network): ``GET /api/v1/version`` (nothing
but the gate) and a wall screen's live-feed callback (the most frequent real
request, cached as on a wall). Callers: the local demo (known without the
store: the baseline), a screen's display cookie, a person's session cookie and
an API token (one indexed read of the store each). Rounds interleave the
callers, so drift in this noisy machine hits all alike; medians are reported,
and the ratio of each caller to the baseline.

    python -m benchmarks.access_overhead [--url postgresql+psycopg://...] [--requests 500]
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.common import require, save
from dashapp import create_app
from dashapp.access import tokens as access_tokens
from dashapp.access import users
from dashapp.access.gate import DISPLAY_COOKIE
from dashapp.access.users import Role
from dashapp.config import Settings
from dashapp.ingest.pipeline import ingest
from dashapp.services import services_of
from dashapp.store import db
from tests.access import callback_call
from tests.factories import located, random_records

PASSWORD = "benchmark password"
SCHEMA = "fw_access_bench"


def feed_call(app: Any) -> dict[str, Any]:
    """The live-feed callback request a wall screen sends at each poll."""
    return callback_call(app, next(o for o in app.callback_map if "panels-feed.children" in o))


def clients(url: str) -> tuple[Any, dict[str, FlaskClient]]:
    """The app and one signed-in client per way of being signed in."""
    settings = Settings.load(database_url=url, cache_url="simple")
    app = create_app(settings, local_demo=True)
    svc = services_of(app.server)
    with svc.sessions.begin() as session:
        person = users.create(session, "bench", PASSWORD, Role.analyst)
        display = access_tokens.issue_display(session, "bench-screen")
        api = access_tokens.issue_api(session, person, "bench")
    made: dict[str, FlaskClient] = {}
    made["local demo (baseline)"] = app.server.test_client()
    # Not from 127.0.0.1: a failed look-up must not pass as the local demo.
    screen = app.server.test_client()
    screen.environ_base["REMOTE_ADDR"] = "192.0.2.3"
    screen.set_cookie(DISPLAY_COOKIE, display)
    made["display cookie"] = screen
    signed = app.server.test_client()
    signed.environ_base["REMOTE_ADDR"] = "192.0.2.1"
    form = signed.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    require(csrf, "login form")
    assert csrf is not None
    answer = signed.post(
        "/login", data={"name": "bench", "password": PASSWORD, "csrf_token": csrf[1]}
    )
    require(answer.status_code == 302, "sign-in")
    made["session cookie"] = signed
    token = app.server.test_client()
    token.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api}"
    token.environ_base["REMOTE_ADDR"] = "192.0.2.2"
    made["API token"] = token
    return app, made


def run(url: str, requests: int, rounds: int) -> dict[str, Any]:
    """Median microseconds per request, per caller and request kind, and ratios."""
    app, made = clients(url)
    body = feed_call(app)
    kinds = {
        "GET /api/v1/version": lambda c: c.get("/api/v1/version"),
        "feed callback": lambda c: c.post("/_dash-update-component", json=body),
    }
    samples: dict[str, dict[str, list[float]]] = {k: {c: [] for c in made} for k in kinds}
    for kind, send in kinds.items():
        for name, client in made.items():
            require(send(client).status_code == 200, f"{name}: {kind}")
    for _ in range(rounds):
        for kind, send in kinds.items():
            for name, client in made.items():
                start = time.perf_counter()
                for _ in range(requests):
                    send(client)
                samples[kind][name].append((time.perf_counter() - start) / requests * 1e6)
    result: dict[str, Any] = {"url": url.split("@")[-1], "requests": requests, "rounds": rounds}
    for kind, by_caller in samples.items():
        base = statistics.median(by_caller["local demo (baseline)"])
        result[kind] = {
            name: {
                "median_us": round(statistics.median(s)),
                "ratio": round(statistics.median(s) / base, 2),
            }
            for name, s in by_caller.items()
        }
    services_of(app.server).engine.dispose()
    return result


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="a store URL (default: a new SQLite file)")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'access.db'}"
        if url.startswith("postgresql"):
            url = own_schema(url)
        try:
            db.upgrade(url)
            sessions = db.make_sessionmaker(db.make_engine(url))
            end = dt.datetime.now(dt.UTC)
            ingest(sessions, "bench", located(list(random_records(5000, end=end))))
            result = run(url, args.requests, args.rounds)
        finally:
            if url.startswith("postgresql"):
                drop_schema(args.url)
    print(result)
    save("access_overhead_pg" if args.url else "access_overhead", result)


def own_schema(url: str) -> str:
    """*url* in a fresh schema of its own (the database's other schemas are not touched)."""
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    admin.dispose()
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={SCHEMA}"})
    return scoped.render_as_string(hide_password=False)


def drop_schema(url: str) -> None:
    """Remove the benchmark's schema again."""
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    admin.dispose()


if __name__ == "__main__":
    main()
