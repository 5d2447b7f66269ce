"""The follow-up API round trip: a CRM reads a follow-up, sets it back with If-Match, and
loses nothing to a change made meanwhile."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from dash import Dash
from flask.testing import FlaskClient

from dashapp import create_app
from dashapp.access import tokens as access_tokens
from dashapp.access.users import Role
from dashapp.config import Settings
from dashapp.ingest.pipeline import ingest
from dashapp.services import services_of
from tests.access import api_token, make_user
from tests.factories import located, record


@pytest.fixture
def app(store_url: str) -> Iterator[Dash]:
    app = create_app(Settings.load(database_url=store_url, cache_url="simple", config=None))
    svc = services_of(app.server)
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    ingest(
        svc.sessions,
        "shop",
        located(
            [
                record(1, score=2, submitted_at=at, comment="Ruft mich an: jo@example.com"),
                record(2, score=5, submitted_at=at, brand="Kvist"),
                record(3, score=10, submitted_at=at),
            ]
        ),
        followups=svc.settings.followups,
    )
    yield app
    svc.engine.dispose()


def _client(app: Dash, token: str) -> FlaskClient:
    client = app.server.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def test_fu_api001_round_trip_with_if_match(app: Dash) -> None:
    crm = _client(app, api_token(app, Role.analyst))
    other = _client(app, api_token(app, Role.analyst))
    make_user(app, Role.analyst, "ana")
    listing = crm.get("/api/v1/followups")
    assert listing.status_code == 200
    assert [f["brand"] for f in listing.json["followups"]] == ["Velora", "Kvist"]
    assert listing.json["next"] is None
    fid = listing.json["followups"][0]["id"]
    one = crm.get(f"/api/v1/followups/{fid}")
    assert one.status_code == 200 and one.headers["ETag"] == '"1"'
    assert one.json["response"]["comment"] == "Ruft mich an: jo@example.com"  # analysts: unmasked
    assert [h["field"] for h in one.json["history"]] == ["opened"]

    # Without If-Match: 428; a malformed one: 400.
    assert crm.patch(f"/api/v1/followups/{fid}", json={"note": "x"}).status_code == 428
    bad = crm.patch(f"/api/v1/followups/{fid}", json={"note": "x"}, headers={"If-Match": "abc"})
    assert bad.status_code == 400

    # Another writer changes it first (owner ana); the CRM's change on version 1 is refused.
    first = other.patch(
        f"/api/v1/followups/{fid}", json={"owner": "ana"}, headers={"If-Match": '"1"'}
    )
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    late = crm.patch(
        f"/api/v1/followups/{fid}",
        json={"status": "contacted", "note": "called back"},
        headers={"If-Match": '"1"'},
    )
    assert late.status_code == 412
    assert "changed meanwhile by" in late.json["error"] and late.json["version"] == 2
    assert late.headers["ETag"] == '"2"'
    # The CRM reads again and repeats its change on the new version.
    again = crm.patch(
        f"/api/v1/followups/{fid}",
        json={"status": "contacted", "note": "called back"},
        headers={"If-Match": late.headers["ETag"]},
    )
    assert again.status_code == 200, again.json
    assert (again.json["status"], again.json["owner"], again.json["version"]) == (
        "contacted",
        "ana",
        3,
    )
    assert again.json["first_contact_at"] is not None
    done = crm.patch(
        f"/api/v1/followups/{fid}", json={"status": "resolved"}, headers={"If-Match": 'W/"3"'}
    )
    assert done.status_code == 200 and done.json["status"] == "resolved"
    history = [(h["field"], h["from"], h["to"], h["note"]) for h in done.json["history"]]
    assert history == [
        ("opened", None, "new", None),
        ("owner", None, "ana", None),
        ("status", "new", "contacted", "called back"),
        ("status", "contacted", "resolved", None),
    ]
    # Resolved ones leave the open queue; status=all shows them.
    assert [f["id"] for f in crm.get("/api/v1/followups").json["followups"]] != [fid]
    assert fid in [f["id"] for f in crm.get("/api/v1/followups?status=all").json["followups"]]


def test_fu_api002_bad_changes_name_their_field(app: Dash) -> None:
    crm = _client(app, api_token(app, Role.analyst))
    fid = crm.get("/api/v1/followups").json["followups"][0]["id"]
    match = {"If-Match": '"1"'}
    cases = {
        "status": {"status": "resolved"},  # no contact yet
        "reason": {"status": "closed"},  # closing needs a reason
        "owner": {"owner": "nobody-here"},
        "colour": {"colour": "red"},
        "note": {"note": 5},
    }
    for field, body in cases.items():
        answer = crm.patch(f"/api/v1/followups/{fid}", json=body, headers=match)
        assert answer.status_code == 422, (field, answer.json)
        assert answer.json["field"] == field
    assert crm.patch(f"/api/v1/followups/{fid}", json=[1], headers=match).status_code == 400
    assert (
        crm.patch("/api/v1/followups/999999", json={"note": "x"}, headers=match).status_code == 404
    )
    assert crm.get("/api/v1/followups/999999").status_code == 404
    assert crm.get("/api/v1/followups?status=done").json["parameter"] == "status"
    assert crm.get("/api/v1/followups?age=soon").json["parameter"] == "age"
    assert crm.get("/api/v1/followups?owner=ghost").json["parameter"] == "owner"
    assert crm.get("/api/v1/followups?limit=0").json["parameter"] == "limit"
    assert crm.get("/api/v1/followups?after=x").json["parameter"] == "after"
    # Nothing of it was written.
    assert crm.get(f"/api/v1/followups/{fid}").headers["ETag"] == '"1"'


def test_fu_api003_viewers_read_masked_screens_and_strangers_do_not(app: Dash) -> None:
    viewer = _client(app, api_token(app, Role.viewer))
    listing = viewer.get("/api/v1/followups")
    assert listing.status_code == 200
    comment = listing.json["followups"][0]["response"]["comment"]
    assert "jo@example.com" not in comment
    fid = listing.json["followups"][0]["id"]
    refused = viewer.patch(
        f"/api/v1/followups/{fid}", json={"note": "x"}, headers={"If-Match": '"1"'}
    )
    assert refused.status_code == 403
    with services_of(app.server).sessions.begin() as session:
        screen = access_tokens.issue_display(session, "lobby")
    display = app.server.test_client()
    display.set_cookie("fw_display", screen)
    assert display.get("/api/v1/followups").status_code == 403
    assert display.get(f"/api/v1/followups/{fid}").status_code == 403
    assert app.server.test_client().get("/api/v1/followups").status_code == 401


def test_fu_api004_pages_by_cursor(app: Dash) -> None:
    crm = _client(app, api_token(app, Role.analyst))
    first = crm.get("/api/v1/followups?limit=1")
    assert len(first.json["followups"]) == 1 and first.json["next"]
    second = crm.get(f"/api/v1/followups?limit=1&after={first.json['next']}")
    assert second.status_code == 200
    ids = [first.json["followups"][0]["id"], second.json["followups"][0]["id"]]
    assert len(set(ids)) == 2
