"""Report subscriptions people manage themselves, with a signed one-click unsubscribe (#20.4)."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from dash import Dash
from flask.testing import FlaskClient

from dashapp import create_app
from dashapp.access import subscriptions
from dashapp.access.users import Role
from dashapp.config import MailServer, Settings
from dashapp.ingest.pipeline import ingest
from dashapp.jobs import report
from dashapp.services import services_of
from dashapp.store import db
from tests.ac_smtp import smtp_server
from tests.access import client_as, make_user
from tests.factories import located, record

MONDAY = dt.date(2026, 11, 23)
BASE = "https://wall.example"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Dash]:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    db.upgrade(url)
    sessions = db.make_sessionmaker(db.make_engine(url))
    end = dt.datetime.combine(MONDAY, dt.time(), dt.UTC)
    rows = [
        record(
            i,
            score=(10, 9, 3)[i % 3],
            brand=("Velora", "Kvist")[i % 2],
            country=("DE", "SE")[(i // 2) % 2],
            submitted_at=(end - dt.timedelta(hours=3 + i * 5)).isoformat(),
            comment="Gut" if i % 3 else "Zu spät",
        )
        for i in range(160)
    ]
    ingest(sessions, "s", located(rows))
    app = create_app(Settings.load(database_url=url, cache_url="simple", public_url=BASE))
    yield app
    services_of(app.server).engine.dispose()


def _csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text[:500]
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def test_ac401_a_person_subscribes_themselves_and_errors_name_the_field(app: Dash) -> None:
    client = client_as(app, Role.viewer)
    token = _csrf(client, "/subscriptions")
    form = {
        "csrf_token": token,
        "action": "add",
        "email": "ana@cx.example",
        "cadence": "weekly",
        "brands": "Velora",
        "countries": "de",
        "language": "en",
    }
    made = client.post("/subscriptions", data=form)
    assert made.status_code == 200 and "Subscribed ana@cx.example to the weekly report" in made.text
    again = client.post("/subscriptions", data=form)
    assert again.status_code == 400 and "gets the weekly report already" in again.text
    bad = client.post("/subscriptions", data={**form, "email": "not an address"})
    assert bad.status_code == 400 and "email: not an e-mail address" in bad.text
    bad = client.post("/subscriptions", data={**form, "cadence": "hourly"})
    assert bad.status_code == 400 and "cadence: one of daily, weekly" in bad.text
    bad = client.post(
        "/subscriptions", data={**form, "email": "b@cx.example", "brands": "<script>"}
    )
    assert "<script>" not in bad.text  # escaped wherever it shows
    # A brand or country the store does not have is refused, naming it and what is known;
    # one spelled otherwise is stored as the store spells it.
    typo = client.post(
        "/subscriptions", data={**form, "email": "c@cx.example", "brands": "Velorra"}
    )
    assert typo.status_code == 400 and "No brand &#39;Velorra&#39;" in typo.text
    assert "known: Kvist, Velora" in typo.text
    lower = client.post(
        "/subscriptions",
        data={**form, "email": "d@cx.example", "brands": "velora", "countries": "se, de"},
    )
    assert lower.status_code == 200
    # German reports are offered, by their name in their own language.
    assert '<option value="de" lang="de">Deutsch</option>' in client.get("/subscriptions").text
    [(sub, _owner)] = [
        s
        for s in subscriptions.listing(services_of(app.server).sessions)
        if s[0].email == "ana@cx.example"
    ]
    assert (sub.brands, sub.countries, sub.cadence) == (["Velora"], ["DE"], "weekly")
    [(spelled, _owner)] = [
        s
        for s in subscriptions.listing(services_of(app.server).sessions)
        if s[0].email == "d@cx.example"
    ]
    assert (spelled.brands, spelled.countries) == (["Velora"], ["DE", "SE"])  # in order
    # Someone else cannot remove it; its owner can.
    other = client_as(app, Role.viewer)
    stolen = other.post(
        "/subscriptions",
        data={"csrf_token": _csrf(other, "/subscriptions"), "action": "remove", "id": str(sub.id)},
    )
    assert stolen.status_code == 400
    gone = client.post(
        "/subscriptions", data={"csrf_token": token, "action": "remove", "id": str(sub.id)}
    )
    assert gone.status_code == 200 and "Unsubscribed." in gone.text
    # Without a CSRF token, nothing happens.
    assert client.post("/subscriptions", data={**form, "csrf_token": ""}).status_code == 400


def test_ac402_weekly_mail_carries_one_click_unsubscribe_that_works_without_sign_in(
    app: Dash, tmp_path: Path
) -> None:
    svc = services_of(app.server)
    owner = make_user(app, Role.viewer)
    with svc.sessions() as s:
        from dashapp.access import users

        user = users.by_name(s, owner)
        assert user is not None
    weekly = subscriptions.subscribe(
        svc.sessions, user.id, "ana@cx.example", "weekly", ["Velora"], ["DE"]
    )
    subscriptions.subscribe(svc.sessions, user.id, "ana@cx.example", "daily")
    key = subscriptions.signing_key(svc.settings, svc.sessions)
    with smtp_server(tmp_path, tls=False) as (box, port, _ca):
        server = MailServer(port=port, sender="wall@cx.example")
        # Not Monday: only the daily one.
        assert (
            report.send_subscriptions(
                svc.nps, svc.sessions, MONDAY + dt.timedelta(days=1), server, key, BASE
            )
            == 1
        )
        assert report.send_subscriptions(svc.nps, svc.sessions, MONDAY, server, key, BASE) == 2
        messages = [r.message for r in box.received]
    [mail] = [m for m in messages if "weekly report" in m["Subject"]]
    assert mail["Subject"] == "Feedback Wall weekly report 2026-11-22 · Velora · DE"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = mail["List-Unsubscribe"].strip().strip("<>")  # a long one is folded
    assert link.startswith(f"{BASE}/unsubscribe?t=")
    html_part = mail.get_body(("html",))
    plain = mail.get_body(("plain",))
    assert html_part is not None and plain is not None
    assert link.replace("&", "&amp;") in html_part.get_content() and link in plain.get_content()
    assert "16 – 22 Nov 2026" in html_part.get_content()  # the week to Sunday
    path = urlsplit(link)._replace(scheme="", netloc="").geturl()
    anonymous = app.server.test_client()
    asked = anonymous.get(path)
    assert asked.status_code == 200 and "Stop the weekly report to ana@cx.example?" in asked.text
    # Its language link keeps the token: the page in German is the same page.
    [german] = re.findall(r'href="([^"]*)"[^>]*hreflang="de"', asked.text)
    german = html.unescape(german)
    assert dict(parse_qsl(urlsplit(german).query)) == {
        "t": parse_qs(urlsplit(path).query)["t"][0],
        "lang": "de",
    }
    in_german = app.server.test_client().get(german)  # (it remembers the language)
    assert in_german.status_code == 200 and 'lang="de"' in in_german.text
    tampered = anonymous.post(path[:-2] + "xx", data={"List-Unsubscribe": "One-Click"})
    assert tampered.status_code == 400
    # RFC 8058: the mail client POSTs List-Unsubscribe=One-Click, no cookie, no CSRF token.
    done = anonymous.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert subscriptions.by_id(svc.sessions, weekly.id) is None
    assert anonymous.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    # The daily one is untouched, and admins see it.
    assert [s.cadence for s, _ in subscriptions.listing(svc.sessions)] == ["daily"]


def test_ac403_tokens_are_signed_per_key() -> None:
    made = subscriptions.token("key-one", 7)
    assert subscriptions.read_token("key-one", made) == 7
    assert subscriptions.read_token("key-two", made) is None
    assert subscriptions.read_token("key-one", "7") is None
    assert subscriptions.read_token("key-one", subscriptions.token("key-one", True)) is None  # type: ignore[arg-type]


def test_ac404_a_new_store_takes_names_as_typed_and_refusals_are_in_the_pages_language(
    app: Dash, tmp_path: Path
) -> None:
    """Before any response arrives, a brand cannot be checked: it is taken as typed. Once
    the store knows brands, a name it lacks is refused in the page's language."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    db.upgrade(url)
    empty = create_app(Settings.load(database_url=url, cache_url="simple", public_url=BASE))
    newcomer = client_as(empty, Role.viewer)
    form = {
        "csrf_token": _csrf(newcomer, "/subscriptions"),
        "email": "ana@cx.example",
        "cadence": "weekly",
        "brands": "Velora",
        "countries": "de",
        "language": "de",
    }
    assert newcomer.post("/subscriptions", data=form).status_code == 200
    [(made, _owner)] = subscriptions.listing(services_of(empty.server).sessions)
    assert (made.brands, made.countries, made.language) == (["Velora"], ["DE"], "de")
    services_of(empty.server).engine.dispose()
    german = client_as(app, Role.viewer)
    token = _csrf(german, "/subscriptions?lang=de")
    typo = german.post("/subscriptions", data={**form, "csrf_token": token, "brands": "Velorra"})
    assert typo.status_code == 400 and "Keine Marke &#39;Velorra&#39;" in typo.text
    assert "bekannt: Kvist, Velora" in typo.text
