"""HTTP API on a real app and store: health, readiness, push ingest, NPS figures."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from dashapp import create_app
from dashapp.access import ingest_tokens as tokens
from dashapp.access import tokens as access_tokens
from dashapp.access import users
from dashapp.access.users import Role
from dashapp.config import Settings
from dashapp.ingest.pipeline import ingest
from dashapp.services import services_of
from dashapp.store.models import IngestToken, Response, SourceState
from tests.access import PASSWORD, client_as
from tests.factories import located, random_records, record


@pytest.fixture
def client(settings: Settings) -> Iterator[FlaskClient]:
    app = create_app(settings)
    yield client_as(app)
    services_of(app.server).engine.dispose()


@pytest.fixture
def token(client: FlaskClient) -> str:
    svc = services_of(client.application)
    with svc.sessions.begin() as session:
        return tokens.issue(session, "webshop")


def _stored(client: FlaskClient) -> int:
    with services_of(client.application).sessions() as s:
        return s.scalar(select(func.count()).select_from(Response)) or 0


def test_api001_health_and_ready(client: FlaskClient) -> None:
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["store"] == {"ok": True}


def test_api002_push_one_and_batch(client: FlaskClient, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    one = client.post("/api/v1/responses", json=record(1), headers=auth)
    assert one.status_code == 200
    assert one.json["accepted"] == 1 and one.json["source"] == "webshop"
    batch = client.post(
        "/api/v1/responses", json={"responses": [record(1), record(2), record(3)]}, headers=auth
    )
    assert batch.status_code == 200
    assert (batch.json["accepted"], batch.json["duplicates"]) == (2, 1)
    assert _stored(client) == 3


def test_api003_rejects_name_index_and_field(client: FlaskClient, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    body = [record(1), record(2, score=11), record(3, country="XX", submitted_at="noon")]
    resp = client.post("/api/v1/responses", json=body, headers=auth)
    assert resp.status_code == 422
    assert resp.json["accepted"] == 1
    rejected = {
        r["location"]: sorted(e["field"] for e in r["errors"]) for r in resp.json["rejected"]
    }
    assert rejected == {"index 1": ["score"], "index 2": ["country", "submitted_at"]}
    strict = client.post(
        "/api/v1/responses?strict=true", json=[record(9), record(10, score=-1)], headers=auth
    )
    assert strict.status_code == 422
    assert strict.json["accepted"] == 0
    assert _stored(client) == 1


def test_api004_auth(client: FlaskClient, token: str) -> None:
    assert client.post("/api/v1/responses", json=record(1)).status_code == 401
    wrong = client.post(
        "/api/v1/responses", json=record(1), headers={"Authorization": "Bearer fwi_nope"}
    )
    assert wrong.status_code == 401
    svc = services_of(client.application)
    with svc.sessions.begin() as s:
        s.execute(update(IngestToken).values(revoked_at=dt.datetime.now(dt.UTC)))
    revoked = client.post(
        "/api/v1/responses", json=record(1), headers={"Authorization": f"Bearer {token}"}
    )
    assert revoked.status_code == 401
    assert _stored(client) == 0


def test_api005_malformed_and_oversized(client: FlaskClient, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bad = client.post("/api/v1/responses", data="{oops", headers=auth)
    assert bad.status_code == 400
    assert "body must be JSON" in bad.json["error"]
    items = client.post("/api/v1/responses", json=[1, "x", record(1)], headers=auth)
    assert items.status_code == 422
    assert [r["location"] for r in items.json["rejected"]] == ["index 0", "index 1"]
    huge = client.post("/api/v1/responses", json=[record(i) for i in range(5001)], headers=auth)
    assert huge.status_code == 413
    assert _stored(client) == 1


def test_api006_nps_json(client: FlaskClient) -> None:
    end = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
    svc = services_of(client.application)
    ingest(svc.sessions, "s", located(list(random_records(500, end=end, days=20))))
    resp = client.get(
        f"/api/v1/nps?by=brand,country&window=30d&as_of={end.isoformat().replace('+', '%2B')}"
    )
    assert resp.status_code == 200
    rows = resp.json["rows"]
    assert sum(r["n"] for r in rows) == 500
    assert list(rows[0])[:2] == ["brand", "country"]
    bad = client.get("/api/v1/nps?window=forever")
    assert bad.status_code == 400
    assert bad.json["parameter"] == "window"


def test_api007_readyz_reports_failing_source(client: FlaskClient) -> None:
    svc = services_of(client.application)
    now = dt.datetime.now(dt.UTC)
    with svc.sessions.begin() as s:
        s.add(
            SourceState(
                name="crm",
                consecutive_failures=3,
                last_error="connection refused",
                last_error_at=now,
                accepted_total=0,
                rejected_total=0,
            )
        )
    body = client.get("/readyz").json
    assert body["status"] == "degraded"
    assert body["sources"]["crm"]["failing"] is True
    # The error's text (it may name hosts) is for admins; health checkers see the state.
    assert "last_error" not in body["sources"]["crm"]
    anonymous = client.application.test_client().get("/readyz").json
    assert "last_error" not in anonymous["sources"]["crm"]
    with svc.sessions.begin() as session:
        root = users.create(session, "root", PASSWORD, Role.admin)
        token = access_tokens.issue_api(session, root, "ops")
    admin = client.get("/readyz", headers={"Authorization": f"Bearer {token}"}).json
    assert admin["sources"]["crm"]["last_error"] == "connection refused"


def test_api008_security_headers(client: FlaskClient) -> None:
    for path in ("/", "/healthz", "/api/v1/nps"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "frame-ancestors 'self'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "Strict-Transport-Security" not in headers  # plain HTTP here
    assert (
        "Strict-Transport-Security"
        in client.get("/healthz", base_url="https://wall.example").headers
    )


def test_api009_push_is_rate_limited_per_token(store_url: str) -> None:
    from dashapp import create_app

    app = create_app(
        Settings.load(
            database_url=store_url, cache_url="simple", config=None, push_rate_limit="3/minute"
        )
    )
    client = app.server.test_client()
    svc = services_of(app.server)
    with svc.sessions.begin() as session:
        first, second = tokens.issue(session, "a"), tokens.issue(session, "b")
    answers = [
        client.post(
            "/api/v1/responses", json=record(i), headers={"Authorization": f"Bearer {first}"}
        )
        for i in range(4)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "rate limit of 3 per 1 minute" in answers[-1].json["error"]
    assert int(answers[-1].headers["Retry-After"]) > 0
    # Another source has its own allowance; what was accepted stays stored.
    other = client.post(
        "/api/v1/responses", json=record(9), headers={"Authorization": f"Bearer {second}"}
    )
    assert other.status_code == 200
    assert _stored(client) == 4
    svc.engine.dispose()


def test_api010_poison_records_are_named_not_a_500(client: FlaskClient, token: str) -> None:
    """A lone surrogate or NUL (PostgreSQL refuses it) in a record: 422 naming it, rest stored."""
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    surrogate = (
        # Written by hand: JSON's \ud800 escape is how a lone surrogate arrives.
        '{"id": "r2", "submitted_at": "2026-11-20T10:00:00Z", "brand": "Velora",'
        ' "country": "DE", "touchpoint": "delivery", "score": 3, "comment": "a\\ud800b"}'
    )
    others = [
        record(3, comment="nul\x00"),
        record(4, brand="V\x1bora"),
        record(5, properties={"k": "\x00"}),
        record(6),
    ]
    body = "[" + ", ".join([json.dumps(record(1)), surrogate, *map(json.dumps, others)]) + "]"
    resp = client.post("/api/v1/responses", data=body, headers=auth)
    assert resp.status_code == 422, resp.data[:300]
    assert resp.json["accepted"] == 2
    rejected = {r["location"]: [e["field"] for e in r["errors"]] for r in resp.json["rejected"]}
    assert rejected == {
        "index 1": ["comment"],
        "index 2": ["comment"],
        "index 3": ["brand"],
        "index 4": ["properties.k"],
    }
    assert "U+D800" in resp.json["rejected"][0]["errors"][0]["reason"]
    assert _stored(client) == 2


def test_api011_submitted_at_bounds_follow_the_settings(store_url: str) -> None:
    """More than FEEDBACKWALL_FUTURE_SKEW_HOURS ahead, or before the earliest day: 422 naming it."""
    app = create_app(
        Settings.load(
            database_url=store_url, future_skew_hours=1, earliest_submitted_at="2026-01-01"
        )
    )
    client = app.server.test_client()
    svc = services_of(app.server)
    with svc.sessions.begin() as session:
        auth = {"Authorization": f"Bearer {tokens.issue(session, 'webshop')}"}
    now = dt.datetime.now(dt.UTC)
    body = [
        record(1, submitted_at=(now + dt.timedelta(minutes=30)).isoformat()),
        record(2, submitted_at=(now + dt.timedelta(hours=2)).isoformat()),
        record(3, submitted_at="9999-12-31T23:59:59Z"),
        record(4, submitted_at="2025-12-31T23:59:59Z"),
        record(5),
    ]
    resp = client.post("/api/v1/responses", json=body, headers=auth)
    assert resp.status_code == 422
    rejected = {r["location"]: [e["field"] for e in r["errors"]] for r in resp.json["rejected"]}
    assert rejected == {f"index {i}": ["submitted_at"] for i in (1, 2, 3)}
    assert "1 hour" in resp.json["rejected"][0]["errors"][0]["reason"]
    assert "2026-01-01" in resp.json["rejected"][2]["errors"][0]["reason"]
    assert resp.json["accepted"] == 2
    svc.engine.dispose()


def test_api012_one_token_one_allowance_however_the_header_is_spelt(store_url: str) -> None:
    """Extra spaces or another case in ``Authorization: Bearer`` name the same token and count
    against its one limit; a header that is not exactly a scheme and a token is refused."""
    app = create_app(
        Settings.load(
            database_url=store_url, cache_url="simple", config=None, push_rate_limit="3/minute"
        )
    )
    client = app.server.test_client()
    svc = services_of(app.server)
    with svc.sessions.begin() as session:
        token = tokens.issue(session, "a")
    spellings = [f"Bearer {token}", f"Bearer  {token}", f"Bearer {token}", f"Bearer   {token}"]
    answers = [
        client.post("/api/v1/responses", json=record(i), headers={"Authorization": header})
        for i, header in enumerate(spellings)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    for header in (f"bearer {token}", f"BEARER {token}", f"Bearer\t{token} "):  # the same token
        again = client.post("/api/v1/responses", json=record(5), headers={"Authorization": header})
        assert again.status_code == 429, header
    assert _stored(client) == 3
    refused = client.post(
        "/api/v1/responses",
        json=record(9),
        headers={"Authorization": f"Bearer {token} {token}"},
    )
    assert refused.status_code == 401
    svc.engine.dispose()


def test_api030_filter_values_match_the_stores_spelling_and_unknown_ones_are_named() -> None:
    """One resolver: any case finds the stored value; a value naming nothing stays (selecting
    nothing, never everything) and is named with what is known."""
    from dashapp.metrics.params import resolve_filters
    from dashapp.metrics.queries import Filters

    known = {"brand": ["Kvist", "Nordhem", "Velora"], "country": ["DE", "FR"], "touchpoint": []}
    found, notes = resolve_filters(Filters(("velora", "KVIST"), ("de",)), known)
    assert found == Filters(("Kvist", "Velora"), ("DE",)) and notes == ()
    found, notes = resolve_filters(Filters(("Velorra",), (), ("app",)), known)
    assert found == Filters(("Velorra",), (), ("app",))
    assert notes == (
        "No brand 'Velorra' — known: Kvist, Nordhem, Velora",
        "No touchpoint 'app' — none known yet",
    )
    many = {"brand": [f"B{i:02}" for i in range(30)]}
    [note] = resolve_filters(Filters(("x",)), many)[1]
    assert note.startswith("No brand 'x' — known: B00, B01") and note.endswith("and 18 more")


def test_api031_figures_and_exports_resolve_filters_as_pages_do(client: FlaskClient) -> None:
    """brand=velora&country=de asks for Velora in DE; brand=Velorra says no such brand exists."""
    svc = services_of(client.application)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ingest(svc.sessions, "s", located(list(random_records(300, end=now, days=20))))
    spelled = client.get("/api/v1/nps?by=touchpoint&brand=Velora&country=DE").json
    typed = client.get("/api/v1/nps?by=touchpoint&brand=velora&country=de").json
    assert typed["rows"] == spelled["rows"] and sum(r["n"] for r in typed["rows"]) > 0
    assert typed["notes"] == []
    wrong = client.get("/api/v1/nps?brand=Velorra").json
    assert wrong["rows"] == []
    assert wrong["notes"] == ["No brand 'Velorra' — known: Kvist, Nordhem, Velora"]
    labels = client.get("/api/v1/labels?brand=Velorra").json
    assert labels["notes"] == wrong["notes"]
    table = client.get("/export/data/nps.csv?by=brand&brand=velora").get_data(as_text=True)
    assert table.splitlines()[1].startswith("Velora,")
    rows = client.get("/export/data/responses.csv?brand=VELORA&from=2000-01-01").get_data(
        as_text=True
    )
    assert len(rows.splitlines()) > 1 and all(",Velora," in r for r in rows.splitlines()[1:])
    compared = client.get("/export/data/compare.csv?by=brand&a=velora&b=KVIST").get_data(
        as_text=True
    )
    a_side, b_side = list(csv.reader(io.StringIO(compared)))[1:3]
    assert "Velora" in a_side[1] and "Kvist" in b_side[1]
    assert int(a_side[2]) > 0 and int(b_side[2]) > 0
