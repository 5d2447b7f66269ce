"""The local demo sign-in (`make run`: an admin without a user of its own) meets the
features that belong to a user: it is told so, and nothing is claimed as done."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dashapp import create_app
from dashapp.config import Settings
from dashapp.ingest.pipeline import ingest
from dashapp.services import services_of
from dashapp.store import db
from layouts.ids import FollowUps
from tests.access import callback_call
from tests.factories import located, record


def test_fu_demo001_assign_to_me_and_subscriptions_say_why_not(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wall.db'}"
    db.upgrade(url)
    app = create_app(
        Settings.load(database_url=url, cache_url="simple", config=None), local_demo=True
    )
    svc = services_of(app.server)
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    ingest(
        svc.sessions,
        "shop",
        located([record(1, score=2, submitted_at=at)]),
        followups=svc.settings.followups,
    )
    demo = app.server.test_client()  # on the loopback: the local demo admin

    page = demo.get("/subscriptions", headers={"Accept": "text/html"})
    assert page.status_code == 403
    assert "Make yourself a user on the admin page" in page.text and 'href="/login"' in page.text
    assert "Ask an admin" not in page.text  # (it is one)

    act = next(o for o in app.callback_map if f"{FollowUps.MESSAGE}.children" in o)
    body = callback_call(app, act)
    body["inputs"] = [[] if p["id"].startswith("{") else p for p in body["inputs"]]
    [me] = [p for p in body["inputs"] if p and p["id"] == FollowUps.ASSIGN_ME]
    me["value"] = 1
    body["changedPropIds"] = [f"{FollowUps.ASSIGN_ME}.n_clicks"]
    {p["id"]: p for p in body["state"]}[FollowUps.SHOWN]["value"] = {"id": 1, "version": 1}
    answer = demo.post("/_dash-update-component", json=body)
    assert answer.status_code == 200, answer.text
    said = str(answer.json["response"][FollowUps.MESSAGE])
    assert "without a user of your own" in said and "Saved" not in said
    with svc.sessions() as session:
        from dashapp.store.models import Followup

        assert session.get(Followup, 1).version == 1  # nothing written
    svc.engine.dispose()
