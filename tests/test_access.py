"""Who may see what: every route and callback against every role, sign-in, tokens, the first admin.

These run against the real gate with real users, hashed passwords, tokens and
signed cookies on both stores; nothing is stubbed.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dash
import pytest
from click.testing import CliRunner
from dash import Dash
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from sqlalchemy import select

from dashapp import create_app
from dashapp.access import gate as auth
from dashapp.access import ratelimit, users
from dashapp.access import tokens as access_tokens
from dashapp.access.tokens import Kind
from dashapp.access.users import Role
from dashapp.cli.main import main
from dashapp.config import Settings
from dashapp.ingest.pipeline import ingest
from dashapp.services import services_of
from dashapp.store import counters as versions
from dashapp.store.models import AccessToken, User
from tests.access import PASSWORD, callback_call, client_as, make_user
from tests.factories import located, record

HTML = {"Accept": "text/html"}
SESSION_COOKIE = "fw_session"
SECRET_COMMENT = "Call me on +49 170 1234567, anna@example.com"


@pytest.fixture
def app(settings: Settings) -> Iterator[Dash]:
    app = create_app(settings)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ingest(
        services_of(app.server).sessions,
        "s",
        located([record(1, score=2, comment=SECRET_COMMENT, submitted_at=now.isoformat())]),
    )
    yield app
    services_of(app.server).engine.dispose()


def screen_client(app: Dash, name: str = "lobby") -> tuple[FlaskClient, str]:
    """A client that opened a wall screen's display link once (its cookie set)."""
    with services_of(app.server).sessions.begin() as session:
        token = access_tokens.issue_display(session, name)
    client = app.server.test_client()
    opened = client.get(f"/kiosk?token={token}&pages=feed", headers=HTML)
    assert opened.status_code == 302
    return client, token


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found[1]


def sign_in(client: FlaskClient, name: str, password: str = PASSWORD, nxt: str = "/") -> Any:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login", data={"name": name, "password": password, "csrf_token": token, "next": nxt}
    )


# --- the matrix --------------------------------------------------------------------

PAGES = {
    "/": Role.viewer,
    "/feed": Role.viewer,
    "/kiosk": Role.viewer,
    "/labels": Role.analyst,
    "/explore": Role.analyst,
    "/compare": Role.analyst,
    "/admin": Role.admin,
}
ENDPOINTS = {
    "/api/v1/version": Role.viewer,
    "/_dash-layout": Role.viewer,
    "/_dash-dependencies": Role.viewer,
    "/api/v1/nps?window=30d": Role.analyst,
    "/api/v1/labels?window=30d": Role.analyst,
    "/export/data/responses.csv": Role.analyst,
    "/export/data/nps.xlsx": Role.analyst,
    "/export/data/labels.csv": Role.analyst,
}
OPEN = ["/healthz", "/readyz", "/api/v1/openapi.json", "/login", "/assets/wall.css"]


def callbacks_by_role(app: Dash) -> dict[Role, list[str]]:
    gate = auth.gate_of(app.server)
    found: dict[Role, list[str]] = {role: [] for role in Role}
    for output, role in gate.callbacks.items():
        if "callback" in app.callback_map[output] and "{" not in output:
            found[role].append(output)
    return found


def test_acc001_every_route_and_callback_has_a_role(app: Dash) -> None:
    """Default deny: each page and each server callback was given a role on purpose."""
    app.server.test_client().get("/login")  # Dash registers its page router on first request
    assert auth.unchecked_callbacks(app) == []
    for page in dash.page_registry.values():
        assert isinstance(page.get("role"), Role), page["path"]
    assert {p["path"] for p in dash.page_registry.values()} >= set(PAGES)
    by_role = callbacks_by_role(app)
    assert by_role[Role.viewer] and by_role[Role.analyst] and by_role[Role.admin]


@pytest.mark.parametrize("who", [None, *Role])
def test_acc002_route_by_role_matrix(app: Dash, who: Role | None) -> None:
    """Anonymous, viewer, analyst, admin against every page, endpoint and callback."""
    client = client_as(app, who) if who else app.server.test_client()
    rank = who or 0
    for path, needed in PAGES.items():
        answer = client.get(path, headers=HTML)
        if who is None:
            assert answer.status_code == 302, path
            assert answer.headers["Location"].startswith("/login?next=")
        elif rank >= needed:
            assert answer.status_code == 200, path
        else:
            assert answer.status_code == 403, path
            assert f"needs the <strong>{needed.name}</strong> role" in answer.text
    for path, needed in ENDPOINTS.items():
        answer = client.get(path)
        expected = 200 if rank >= needed else 401 if who is None else 403
        assert answer.status_code == expected, path
        if expected != 200:
            assert "error" in answer.json and "SECRET" not in answer.text
    for path in OPEN:
        assert app.server.test_client().get(path).status_code == 200, path
    for needed, outputs in callbacks_by_role(app).items():
        for output in outputs:
            answer = client.post("/_dash-update-component", json=callback_call(app, output))
            if rank >= needed:
                assert answer.status_code not in (401, 403), output
            else:
                assert answer.status_code == (401 if who is None else 403), output
                assert "anna@example.com" not in answer.text
    # Dash Pages' own router renders a page's layout: it checks the page's role too.
    router = next(o for o in app.callback_map if auth.ROUTER_OUTPUT in o)
    body = callback_call(app, router)
    body["inputs"] = [
        {"id": "_pages_location", "property": "pathname", "value": "/admin"},
        {"id": "_pages_location", "property": "search", "value": ""},
    ]
    answer = client.post("/_dash-update-component", json=body)
    assert answer.status_code == (200 if who == Role.admin else 401 if who is None else 403)


def test_acc003_unknown_callback_needs_admin(app: Dash) -> None:
    body = {"output": "made-up.children", "outputs": {}, "inputs": [], "changedPropIds": []}
    answer = client_as(app, Role.analyst).post("/_dash-update-component", json=body)
    assert answer.status_code == 403
    # The router renders the page named by its first input: reordering cannot smuggle one.
    viewer = client_as(app, Role.viewer)
    viewer.get("/")  # Dash registers its router on the first page request
    router = next(o for o in app.callback_map if auth.ROUTER_OUTPUT in o)
    smuggled = callback_call(app, router)
    smuggled["inputs"] = [
        {"id": "_pages_location", "property": "search", "value": "/admin"},
        {"id": "_pages_location", "property": "pathname", "value": "/"},
    ]
    assert viewer.post("/_dash-update-component", json=smuggled).status_code == 403


# --- signing in --------------------------------------------------------------------


def test_acc004_sign_in_and_out(app: Dash) -> None:
    name = make_user(app, Role.analyst, "ana")
    client = app.server.test_client()
    assert client.get("/explore", headers=HTML).headers["Location"] == "/login?next=%2Fexplore"
    wrong = sign_in(client, name, "not the password", "/explore")
    assert wrong.status_code == 401
    assert "Wrong name or password" in wrong.text
    unknown = sign_in(client, "nobody", PASSWORD)
    assert unknown.status_code == 401 and "Wrong name or password" in unknown.text
    signed = sign_in(client, "ANA", PASSWORD, "/explore")  # names are case-insensitive
    assert signed.status_code == 302 and signed.headers["Location"] == "/explore"
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/explore", headers=HTML).status_code == 200
    assert client.get("/admin", headers=HTML).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/login").text)})
    assert client.get("/explore", headers=HTML).status_code == 302


def test_acc005_forms_need_csrf_and_cross_site_posts_are_refused(app: Dash) -> None:
    make_user(app, Role.analyst, "ana")
    client = app.server.test_client()
    client.get("/login")
    no_token = client.post("/login", data={"name": "ana", "password": PASSWORD})
    assert no_token.status_code == 400
    assert client.get("/explore", headers=HTML).status_code == 302
    foreign = client_as(app, Role.admin).post(
        "/_dash-update-component",
        json={"output": "x.children"},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403 and "cross-site" in foreign.json["error"]


def test_acc006_next_never_leaves_the_site(app: Dash) -> None:
    make_user(app, Role.analyst, "ana")
    hostile = (
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:x",
        "/\t/evil.example/phish",  # browsers drop tabs and newlines: "//evil.example/phish"
        "/\n/evil.example",
        "/\r\nSet-Cookie: x=1",  # a header split (was a 500)
        "/%2F/evil.example",
        "/%5Cevil.example",
        "/%09/evil.example",
        "///evil.example",
        " //evil.example",
        "/\u3000/evil.example",
    )
    for target in hostile:
        client = app.server.test_client()
        assert sign_in(client, "ana", PASSWORD, target).headers["Location"] == "/", repr(target)
        # The login page carries it on in its form: never a 500, never unsafe.
        page = app.server.test_client().get("/login", query_string={"next": target})
        assert page.status_code == 200 and 'name="next" value="/"' in page.text, repr(target)
    kept = sign_in(app.server.test_client(), "ana", PASSWORD, "/explore?brand=Big%20Co&x=%2F")
    assert kept.headers["Location"] == "/explore?brand=Big%20Co&x=%2F"


def test_acc007_sign_in_is_rate_limited(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"login_rate_limit": "3/minute"}))
    make_user(app, Role.analyst, "ana")
    client = app.server.test_client()
    codes = [sign_in(client, "ana", "wrong password!").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    blocked = sign_in(client, "ana", PASSWORD)
    assert blocked.status_code == 429
    assert "Too many sign-in attempts" in blocked.text
    services_of(app.server).engine.dispose()


def test_acc008_passwords_are_argon2id_and_resets_end_sessions(app: Dash) -> None:
    make_user(app, Role.analyst, "ana")
    client = app.server.test_client()
    sign_in(client, "ana")
    assert client.get("/explore", headers=HTML).status_code == 200
    sessions = services_of(app.server).sessions
    with sessions() as session:
        stored = session.scalars(select(User.password_hash)).one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with sessions.begin() as session:
        users.reset_password(session, "ana", "a new long password")
    assert client.get("/explore", headers=HTML).status_code == 302
    assert sign_in(client, "ana", "a new long password").status_code == 302
    with sessions.begin() as session:
        users.set_role(session, "ana", Role.viewer)
    assert client.get("/explore", headers=HTML).status_code == 302  # signed out by the change
    sign_in(client, "ana", "a new long password")
    assert client.get("/explore", headers=HTML).status_code == 403


def test_acc009_disabled_users_and_their_tokens_stop_at_once(app: Dash) -> None:
    client = client_as(app, Role.analyst)
    assert client.get("/api/v1/nps").status_code == 200
    with services_of(app.server).sessions.begin() as session:
        name = session.scalars(select(User.name)).one()
        users.set_disabled(session, name, True)
    assert client.get("/api/v1/nps").status_code == 401


def test_acc010_weak_passwords_are_refused_with_the_field(app: Dash) -> None:
    with services_of(app.server).sessions.begin() as session:
        with pytest.raises(users.UserError, match="password: at least 10"):
            users.create(session, "bo", "short", Role.viewer)
        with pytest.raises(users.UserError, match="must not be the user name"):
            users.create(session, "bartholomew", "Bartholomew", Role.viewer)
        with pytest.raises(users.UserError, match="name: 1 to 64"):
            users.create(session, "two words", PASSWORD, Role.viewer)


# --- the first admin ---------------------------------------------------------------


def test_acc011_first_admin_link_works_once(app: Dash) -> None:
    client = app.server.test_client()
    assert "No one can sign in yet" in client.get("/login").text
    with services_of(app.server).sessions.begin() as session:
        token = access_tokens.issue_setup(session)
    form = client.get(f"/setup?token={token}")
    assert form.status_code == 200 and "Create the first admin" in form.text
    data = {"csrf_token": csrf_of(form.text), "token": token, "name": "root"}
    differ = client.post("/setup", data={**data, "password": PASSWORD, "again": "other"})
    assert differ.status_code == 400 and "passwords differ" in differ.text
    weak = client.post("/setup", data={**data, "password": "short", "again": "short"})
    assert weak.status_code == 400 and "at least 10 characters" in weak.text
    made = client.post("/setup", data={**data, "password": PASSWORD, "again": PASSWORD})
    assert made.status_code == 302
    assert client.get("/admin", headers=HTML).status_code == 200  # signed in as the admin
    again = app.server.test_client().get(f"/setup?token={token}")
    assert again.status_code == 403 and "not valid" in again.text
    with services_of(app.server).sessions.begin() as session:
        assert users.by_name(session, "root").role == "admin"  # type: ignore[union-attr]
        later = access_tokens.issue_setup(session)
    assert app.server.test_client().get(f"/setup?token={later}").status_code == 403


def test_acc012_setup_link_expires(app: Dash) -> None:
    with services_of(app.server).sessions.begin() as session:
        token = access_tokens.issue_setup(
            session, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
        )
    assert app.server.test_client().get(f"/setup?token={token}").status_code == 403


# --- wall screens ------------------------------------------------------------------


def test_acc013_display_link_admits_one_screen_to_viewer_pages(app: Dash) -> None:
    client, token = screen_client(app)
    opened = app.server.test_client().get(f"/kiosk?token={token}&pages=feed", headers=HTML)
    assert opened.headers["Location"] == "/kiosk?pages=feed"  # the token leaves the URL
    cookie = opened.headers["Set-Cookie"]
    assert "fw_display=fwd_" in cookie and "HttpOnly" in cookie
    assert int(re.search(r"Max-Age=(\d+)", cookie)[1]) >= 365 * 86400  # type: ignore[index]
    assert client.get("/kiosk?pages=feed", headers=HTML).status_code == 200
    assert client.get("/api/v1/version").status_code == 200
    # Polls renew the cookie only when the screen is recorded as seen (every few minutes),
    # so a screen that never reloads keeps it too.
    assert "fw_display" not in client.get("/api/v1/version").headers.get("Set-Cookie", "")
    with services_of(app.server).sessions.begin() as session:
        row = session.scalars(select(AccessToken)).one()
        row.last_used_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6)
    auth.gate_of(app.server).touched.clear()  # as if this worker had not written it either
    later = client.get("/api/v1/version")
    assert "fw_display=fwd_" in later.headers.get("Set-Cookie", "")
    assert client.get("/explore", headers=HTML).status_code == 403
    assert client.get("/api/v1/nps").status_code == 403
    assert client.get("/export/data/responses.csv").status_code == 403
    with services_of(app.server).sessions() as session:
        stored = session.scalars(select(AccessToken.token_hash)).one()
    assert token not in stored and len(stored) == 64


def test_acc014_a_new_app_on_the_same_store_keeps_screens_and_sessions(settings: Settings) -> None:
    """A restart (or another worker) honours the cookies the last one set: shared key, tokens."""
    first = create_app(settings)
    make_user(first, Role.analyst, "ana")
    screen, _ = screen_client(first)
    person = first.server.test_client()
    sign_in(person, "ana")
    second = create_app(settings)
    for client in (screen, person):
        client.application = second.server  # same browser, restarted server
    assert screen.get("/kiosk", headers=HTML).status_code == 200
    assert person.get("/explore", headers=HTML).status_code == 200


def test_acc015_revoked_screen_says_so_and_gets_no_data(app: Dash) -> None:
    client, _ = screen_client(app)
    with services_of(app.server).sessions.begin() as session:
        assert access_tokens.revoke_named(session, Kind.display, "lobby") == 1
    page = client.get("/kiosk?pages=feed", headers=HTML)
    assert page.status_code == 403 and "Access revoked" in page.text
    assert "login" not in page.headers.get("Location", "")
    again = client.get("/kiosk?pages=feed", headers=HTML)  # the cookie stays: still "revoked"
    assert "Access revoked" in again.text
    answer = client.get("/api/v1/version")
    assert answer.status_code == 403 and "revoked" in answer.json["error"]


def test_acc016_viewer_screens_get_masked_comments_analysts_the_original(app: Dash) -> None:
    screen, _ = screen_client(app)
    feed = next(o for o in app.callback_map if "panels-feed.children" in o)
    answer = screen.post("/_dash-update-component", json=callback_call(app, feed))
    assert answer.status_code == 200
    assert "Call me on" in answer.text
    assert "anna@example.com" not in answer.text and "1234567" not in answer.text
    export = client_as(app, Role.analyst).get("/export/data/responses.csv")
    assert "anna@example.com" in export.text


# --- only this machine's browser, only in the demo -----------------------------------

LOOPBACK = ["127.0.0.1"]


@pytest.mark.parametrize(
    ("bound", "environ", "headers", "signed_in"),
    [
        (LOOPBACK, {"REMOTE_ADDR": "127.0.0.1"}, {}, True),
        (["127.0.0.1", "::1"], {"REMOTE_ADDR": "::1"}, {}, True),
        (LOOPBACK, {"REMOTE_ADDR": "127.0.0.2"}, {}, True),  # all of 127/8 is this machine
        (LOOPBACK, {"REMOTE_ADDR": "::ffff:127.0.0.1"}, {}, True),
        (LOOPBACK, {"REMOTE_ADDR": "192.0.2.7"}, {"Host": "localhost"}, False),
        # Bound to every address or another one: nobody, not even this machine as "localhost".
        (["0.0.0.0"], {"REMOTE_ADDR": "127.0.0.1"}, {"Host": "localhost"}, False),
        (["::"], {"REMOTE_ADDR": "::1"}, {"Host": "localhost"}, False),
        (["192.0.2.1"], {"REMOTE_ADDR": "127.0.0.1"}, {"Host": "127.0.0.1"}, False),
        (["127.0.0.1", "0.0.0.0"], {"REMOTE_ADDR": "127.0.0.1"}, {}, False),
        (["localhost"], {"REMOTE_ADDR": "127.0.0.1"}, {}, False),  # a name is not an address
        ([], {"REMOTE_ADDR": "127.0.0.1"}, {}, False),
        # Headers never admit; they only refuse: a proxy that says so, a DNS-rebound name.
        (LOOPBACK, {"REMOTE_ADDR": "127.0.0.1"}, {"X-Forwarded-For": "192.0.2.7"}, False),
        (LOOPBACK, {"REMOTE_ADDR": "127.0.0.1"}, {"Forwarded": "for=192.0.2.7"}, False),
        (LOOPBACK, {"REMOTE_ADDR": "127.0.0.1"}, {"Host": "wall.example.com"}, False),
    ],
)
def test_acc017_local_demo_signs_in_only_this_machine(
    settings: Settings,
    bound: list[str],
    environ: dict[str, str],
    headers: dict[str, str],
    signed_in: bool,
) -> None:
    """The local demo admits on the sockets alone: served on loopback only, asked from loopback."""
    demo = create_app(settings)
    served_locally = auth.allow_local_demo(demo.server, bound)
    if served_locally:
        # This machine's browser first, so the gate remembers the local demo: what it
        # remembers must not stand for the same address behind a proxy or another name.
        assert demo.server.test_client().get("/explore", headers=HTML).status_code == 200
    client = demo.server.test_client()
    client.environ_base.update(environ)
    answer = client.get("/explore", headers={**HTML, **headers})
    assert answer.status_code == (200 if signed_in else 302)
    plain = create_app(settings)  # not the demo: nobody is signed in unasked
    assert plain.server.test_client().get("/explore", headers=HTML).status_code == 302


def test_acc028_a_trusted_proxy_cannot_make_a_client_local(settings: Settings) -> None:
    """With proxy headers trusted, the forwarded address is for limits and logs: the demo
    looks at the socket's own peer (and refuses whatever a proxy forwards)."""
    demo = create_app(settings.model_copy(update={"proxy_hops": 1}))
    assert auth.allow_local_demo(demo.server, LOOPBACK)
    client = demo.server.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert client.get("/explore", headers=HTML).status_code == 302
    forwarded = {**HTML, "X-Forwarded-For": "127.0.0.1"}
    assert client.get("/explore", headers=forwarded).status_code == 302


# --- the commands ------------------------------------------------------------------


def test_acc018_users_and_displays_commands(store_url: str) -> None:
    def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
        result = CliRunner().invoke(
            main, list(args), input=stdin, env={"FEEDBACKWALL_DATABASE_URL": store_url}
        )
        # What the command says: its answer on stdout, or its error (stderr also names the store).
        return result.exit_code, result.stdout if result.exit_code == 0 else result.stderr

    code, out = run("users", "first-admin-link", "--base-url", "https://wall.example")
    assert code == 0 and out.startswith("https://wall.example/setup?token=fws_")
    assert run("users", "add", "ana", "--role", "admin", "--password-stdin", stdin=PASSWORD)[0] == 0
    code, out = run("users", "add", "ana", "--password-stdin", stdin=PASSWORD)
    assert code == 1 and "exists already" in out
    code, out = run("users", "add", "bo", "--password-stdin", stdin="short")
    assert code == 1 and "password: at least 10 characters" in out
    assert "users exist already" in run("users", "first-admin-link")[1]
    code, out = run("users", "list")
    assert code == 0 and "ana\tadmin\tactive" in out
    assert run("users", "role", "ana", "analyst")[0] == 0
    assert run("users", "reset", "ana", "--password-stdin", stdin="another long one")[0] == 0
    code, token = run("users", "token", "ana")
    assert code == 0 and token.startswith("fwa_")
    assert run("users", "disable", "ana")[0] == 0
    assert "ana\tanalyst\tdisabled" in run("users", "list")[1]
    code, link = run("displays", "add", "lobby", "--query", "playlist=lobby")
    assert code == 0 and re.fullmatch(
        r"http://127\.0\.0\.1:8050/kiosk\?token=fwd_\S+&playlist=lobby\n", link
    )
    assert "lobby\tmade" in run("displays", "list")[1]
    assert run("displays", "revoke", "lobby")[0] == 0
    code, out = run("displays", "revoke", "lobby")
    assert code == 1 and "no live screen called 'lobby'" in out


@given(
    name=st.text(max_size=300),
    password=st.text(max_size=1100),
    nxt=st.text(max_size=100),
)
@examples(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_acc019_hostile_sign_in_forms_are_refused_cleanly(
    hostile_app: Dash, name: str, password: str, nxt: str
) -> None:
    """Any text in any sign-in field: a refusal (401, or 429 once limited), never a 500."""
    client = hostile_app.server.test_client()
    answer = sign_in(client, name, password, nxt)
    assert answer.status_code in (401, 429), answer.status_code
    assert "<script" not in answer.text  # escaped when echoed back
    setup = client.get("/setup", query_string={"token": name})
    assert setup.status_code == 403


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dash]:
    from dashapp.store import db

    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'store.db'}"
    db.upgrade(url)
    app = create_app(Settings.load(database_url=url, login_rate_limit="1000/minute"))
    make_user(app, Role.analyst, "ana")
    yield app
    services_of(app.server).engine.dispose()


def test_acc020_people_change_their_own_password(app: Dash) -> None:
    make_user(app, Role.analyst, "ana")
    here, elsewhere = app.server.test_client(), app.server.test_client()
    sign_in(here, "ana")
    sign_in(elsewhere, "ana")
    form = here.get("/account")
    assert form.status_code == 200 and "ana · analyst" in form.text
    data = {"csrf_token": csrf_of(form.text), "current": PASSWORD}
    wrong = here.post(
        "/account", data={**data, "current": "not it", "password": "x" * 12, "again": "x" * 12}
    )
    assert wrong.status_code == 400 and "Current password: wrong" in wrong.text
    differ = here.post("/account", data={**data, "password": "x" * 12, "again": "y" * 12})
    assert differ.status_code == 400 and "differ" in differ.text
    done = here.post(
        "/account", data={**data, "password": "a brand new one", "again": "a brand new one"}
    )
    assert done.status_code == 200 and "Password changed" in done.text
    assert here.get("/explore", headers=HTML).status_code == 200  # this session goes on
    assert elsewhere.get("/explore", headers=HTML).status_code == 302  # the other one ended
    assert sign_in(app.server.test_client(), "ana", "a brand new one").status_code == 302
    screen, _ = screen_client(app)
    assert screen.get("/account", headers=HTML).status_code == 403  # a screen has no password


def test_acc021_screens_share_one_encoded_answer_per_data_version(app: Dash) -> None:
    """Two screens with different poll ticks get the same bytes; new data changes them."""
    from dashapp.web import answer_cache

    first, _ = screen_client(app, "lobby")
    second, _ = screen_client(app, "hall")
    feed = next(o for o in app.callback_map if "panels-feed.children" in o)
    asked = callback_call(app, feed)
    other = callback_call(app, feed)
    # The browser sends its poll tick, or the time a kiosk asked before showing the page.
    asked["inputs"][0]["value"], other["inputs"][0]["value"] = 3, 1764400000000
    triggers = app.server.extensions[answer_cache.EXTENSION].triggers
    assert answer_cache.question(asked, triggers) == answer_cache.question(other, triggers)
    assert answer_cache.question(asked) != answer_cache.question(other)
    for _ in range(3):
        bucket = time.time() // answer_cache.BUCKET_SECONDS
        one = first.post("/_dash-update-component", json=asked)
        two = second.post("/_dash-update-component", json=other)
        # Answers are kept per 5-second bucket (relative times move): a pair that
        # straddles two buckets rightly differs, so ask again within one.
        if time.time() // answer_cache.BUCKET_SECONDS == bucket:
            break
    assert one.status_code == two.status_code == 200
    assert one.data == two.data and "Call me on" in one.text
    ingest(
        services_of(app.server).sessions,
        "s",
        located(
            [
                record(
                    2,
                    score=9,
                    comment="Brand new praise",
                    submitted_at=dt.datetime.now(dt.UTC).isoformat(),
                )
            ]
        ),
    )
    fresh = second.post("/_dash-update-component", json=other)
    assert "Brand new praise" in fresh.text  # a new data version: not the kept answer
    # A filtered view is another question; an analyst's answer is kept apart from a screen's.
    narrowed = callback_call(app, feed)
    narrowed["state"][0]["value"] = {"brand": "Kvist"}
    assert answer_cache.question(narrowed, triggers) != answer_cache.question(asked, triggers)
    assert (
        client_as(app, Role.analyst).post("/_dash-update-component", json=other).status_code == 200
    )


def test_acc022_screens_are_remembered_until_access_changes_anywhere(
    app: Dash, settings: Settings
) -> None:
    """Polls do not look the screen up again; a revocation in another process ends it within a
    second, a user disabled there ends their session the same way."""
    from sqlalchemy import event

    client, _ = screen_client(app)
    svc = services_of(app.server)
    name = make_user(app, Role.analyst)
    with svc.sessions.begin() as session:
        user = users.by_name(session, name)
        assert user is not None
        analyst = app.server.test_client()
        token = access_tokens.issue_api(session, user, "tests")
        analyst.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    assert client.get("/api/v1/version").status_code == 200
    assert analyst.get("/api/v1/version").status_code == 200
    statements: list[str] = []
    event.listen(svc.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for _ in range(20):
        assert client.get("/api/v1/version").status_code == 200
    assert statements == []  # twenty polls, no store reads (versions were read < 1 s ago)
    elsewhere = create_app(settings)  # another worker, with its own engine and sessions
    with services_of(elsewhere.server).sessions.begin() as session:
        assert access_tokens.revoke_named(session, Kind.display, "lobby") == 1
        users.set_disabled(session, name, True)
    deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=versions.MAX_AGE + 0.5)
    while client.get("/api/v1/version").status_code == 200:
        assert dt.datetime.now(dt.UTC) < deadline, "still served after the revocation"
    assert client.get("/api/v1/version").status_code == 403
    assert analyst.get("/api/v1/version").status_code == 401
    services_of(elsewhere.server).engine.dispose()


def test_acc023_an_answer_built_from_the_last_version_is_not_kept_as_the_new(app: Dash) -> None:
    """While another worker builds the feed for new data, a screen gets the last feed at once;
    once it is built, the very next poll has the new comment (the stale answer was not kept)."""
    from callbacks.components import filters_of
    from dashapp.metrics.windows import default_as_of

    screen, _ = screen_client(app)
    svc = services_of(app.server)
    feed = next(o for o in app.callback_map if "panels-feed.children" in o)
    asked = callback_call(app, feed)
    assert "Call me on" in screen.post("/_dash-update-component", json=asked).text
    praise = dt.datetime.now(dt.UTC).isoformat()
    ingest(svc.sessions, "s", located([record(2, comment="Fresh praise", submitted_at=praise)]))
    version = svc.versions.current().data
    now = dt.datetime.now(dt.UTC)
    # "Another worker" is building this version's feed (for this minute and the next).
    building = [
        svc.nps.memo_key("panel:feed", version, (filters_of(None), default_as_of(at))) + ":building"
        for at in (now, now + dt.timedelta(minutes=1))
    ]
    for key in building:
        assert svc.cache.add(key, 1, timeout=60)
    stale = screen.post("/_dash-update-component", json=asked)
    assert stale.status_code == 200
    assert "Call me on" in stale.text and "Fresh praise" not in stale.text
    for key in building:
        svc.cache.delete(key)
    assert "Fresh praise" in screen.post("/_dash-update-component", json=asked).text


# --- signing out, and sign-in limits that hold ---------------------------------------


def _with_cookie(app: Dash, value: str) -> FlaskClient:
    """A fresh client presenting a copied session cookie (a replay)."""
    client = app.server.test_client()
    client.set_cookie(SESSION_COOKIE, value)
    return client


def test_acc024_sign_out_ends_the_session_on_the_server(app: Dash, settings: Settings) -> None:
    """A copy of a signed-out cookie reads nothing, here at once and on another worker within a
    second, and is not renewed; the same person's other sessions go on."""
    make_user(app, Role.analyst, "ana")
    here, phone = app.server.test_client(), app.server.test_client()
    assert sign_in(here, "ana").status_code == sign_in(phone, "ana").status_code == 302
    copied = here.get_cookie(SESSION_COOKIE).value  # type: ignore[union-attr]
    on_phone = phone.get_cookie(SESSION_COOKIE).value  # type: ignore[union-attr]
    elsewhere = create_app(settings)  # another worker on the same store
    # That worker has seen (and remembers) the session before it is ended.
    assert _with_cookie(elsewhere, copied).get("/explore", headers=HTML).status_code == 200
    out = here.post("/logout", data={"csrf_token": csrf_of(here.get("/login").text)})
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    page = _with_cookie(app, copied).get("/explore", headers=HTML)
    assert page.status_code == 302 and page.headers["Location"].startswith("/login?next=")
    # Not renewed: the answer deletes the cookie instead.
    assert "Expires=Thu, 01 Jan 1970" in page.headers.get("Set-Cookie", "")
    export = _with_cookie(app, copied).get("/export/data/responses.csv")
    assert export.status_code == 401 and "anna@example.com" not in export.text
    deadline = time.monotonic() + versions.MAX_AGE + 0.5
    while _with_cookie(elsewhere, copied).get("/api/v1/nps").status_code == 200:
        assert time.monotonic() < deadline, "the other worker still serves the ended session"
    assert _with_cookie(elsewhere, copied).get("/explore", headers=HTML).status_code == 302
    # Signing out ends this session only: the phone goes on, on both workers.
    assert phone.get("/explore", headers=HTML).status_code == 200
    assert _with_cookie(elsewhere, on_phone).get("/explore", headers=HTML).status_code == 200
    services_of(elsewhere.server).engine.dispose()


def test_acc025_a_name_is_one_name_for_sign_in_and_for_its_limit(settings: Settings) -> None:
    """Spaces around it, case and Unicode compatibility forms name the same account, and count
    against the same per-name limit (no spelling gets a fresh allowance)."""
    from limits import parse

    app = create_app(settings.model_copy(update={"login_rate_limit": "1000/minute"}))
    make_user(app, Role.analyst, "ana")
    for spelt in (" ana", "ana ", "ANA", "\uff41\uff4e\uff41"):  # the last: fullwidth "ana"
        assert sign_in(app.server.test_client(), spelt).status_code == 302, spelt
    spellings = ["ana", " ana", "ana ", "\tANA ", "\uff41\uff4e\uff41", "Ana"]
    allowed = parse(ratelimit.LOGIN_NAME_LIMIT).amount
    client = app.server.test_client()
    failed = [
        sign_in(client, spellings[i % len(spellings)], "wrong password!").status_code
        for i in range(allowed)
    ]
    assert failed == [401] * allowed
    for spelt in spellings:
        assert sign_in(client, spelt).status_code == 429, repr(spelt)  # even the right password
    services_of(app.server).engine.dispose()


@pytest.mark.parametrize("limits_in", ["memory", "redis"])
def test_acc026_parallel_sign_ins_check_no_more_passwords_than_the_limit(
    settings: Settings, limits_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """40 sign-ins at once from one address against a real server: exactly the limit's 10
    password checks (each slot is taken before the Argon2 check), the other 30 answered 429."""
    import threading
    import uuid

    import httpx
    import waitress
    from argon2 import PasswordHasher

    from tests.servers import serving

    checks: list[int] = []

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            checks.append(1)
            return super().verify(hash, password)

    monkeypatch.setattr(users, "_hasher", Counting())
    cache = "simple"
    if limits_in == "redis":
        cache = os.environ.get("FEEDBACKWALL_TEST_REDIS_URL", "")
        if not cache:
            pytest.skip("FEEDBACKWALL_TEST_REDIS_URL not set (.ci/run sets it)")
    # Behind one trusted proxy, so this run's client address is its own (the Redis counts
    # are shared with anything else using that Redis).
    client_address = f"2001:db8::{uuid.uuid4().hex[:4]}"
    app = create_app(
        settings.model_copy(
            update={"login_rate_limit": "10/minute", "cache_url": cache, "proxy_hops": 1}
        )
    )
    name = make_user(app, Role.analyst)  # a name of its own too: its limit is shared likewise
    server = waitress.create_server(
        app.server, host="127.0.0.1", port=0, threads=40, clear_untrusted_proxy_headers=False
    )
    base = f"http://127.0.0.1:{server.effective_port}"
    headers = {"X-Forwarded-For": client_address}
    with serving(server):
        clients = [httpx.Client(base_url=base, headers=headers, timeout=60) for _ in range(40)]
        forms = [csrf_of(c.get("/login").text) for c in clients]
        start = threading.Barrier(len(clients))
        codes: list[int] = []

        def attempt(client: httpx.Client, token: str) -> None:
            data = {"name": name, "password": "wrong password!", "csrf_token": token}
            start.wait()
            codes.append(client.post("/login", data=data).status_code)

        threads = [
            threading.Thread(target=attempt, args=pair) for pair in zip(clients, forms, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        for client in clients:
            client.close()
    assert sorted(codes) == [401] * 10 + [429] * 30
    assert len(checks) == 10
    services_of(app.server).engine.dispose()


#: Pieces a hostile "next" is made of: what browsers drop or read as a slash, encodings of them.
HOSTILE_PIECES = (
    "/", "//", "///", "\\", "\t", "\n", "\r", " ", "\x00", "\x0b", "\x7f", "\u3000", "\u2028",
    "\uff0f", "%09", "%0a", "%0D", "%2f", "%2F", "%5c", "%5C", "%252f", "%00", "%20", "@", ":",
    "?", "#", ".", "..", "evil.example", "http:", "https:", "javascript:", "\u00e9", "\U0001f600",
)  # fmt: skip


def _leaves_the_site(location: str) -> bool:
    """Whether a browser following *location* from https://wall.example/login lands elsewhere."""
    from urllib.parse import urljoin, urlsplit

    # What the WHATWG URL parser does first: strip C0 controls and spaces at the ends, drop
    # tabs and newlines anywhere, and read backslashes as slashes (in http and https URLs).
    read = location.strip("".join(map(chr, range(33)))).replace("\\", "/")
    read = re.sub("[\t\n\r]", "", read)
    return urlsplit(urljoin("https://wall.example/login", read)).netloc != "wall.example"


@given(
    nxt=st.one_of(
        st.lists(st.sampled_from(HOSTILE_PIECES), max_size=8).map("".join),
        st.lists(st.sampled_from(HOSTILE_PIECES) | st.text(max_size=3), max_size=6).map("".join),
        st.text(max_size=40).map(lambda t: "/" + t),
    )
)
@examples(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_acc027_no_next_leads_off_the_site(hostile_app: Dash, nxt: str) -> None:
    """Any "next" on sign-in and on the login page: a same-site path of printable ASCII starting
    with one slash (or "/"), never another host, never a 500."""
    client = hostile_app.server.test_client()
    signed = sign_in(client, "ana", PASSWORD, nxt)
    assert signed.status_code == 302
    location = signed.headers["Location"]
    assert re.fullmatch(r"/([^/\\][\x21-\x5b\x5d-\x7e]*)?", location), repr(location)
    assert not _leaves_the_site(location)
    page = client.get("/login", query_string={"next": nxt})
    assert page.status_code == 200
    assert not _leaves_the_site(
        html.unescape(re.search(r'name="next" value="([^"]*)"', page.text)[1])
    )  # type: ignore[index]


def test_acc029_sign_out_while_the_store_refuses_writes_says_so(tmp_path: Path) -> None:
    """Another process holds the SQLite write lock: signing out answers 503 and keeps the cookie
    (a browser must not forget a session that lives on); once free, it ends the session."""
    import subprocess
    import sys

    from dashapp.store import db

    url = f"sqlite:///{tmp_path / 'wall.db'}"
    db.upgrade(url)
    app = create_app(Settings.load(database_url=url, cache_url="simple", config=None))
    make_user(app, Role.analyst, "ana")
    client = app.server.test_client()
    sign_in(client, "ana")
    copied = client.get_cookie(SESSION_COOKIE).value  # type: ignore[union-attr]
    form = {"csrf_token": csrf_of(client.get("/login").text)}
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(tmp_path / "wall.db")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        refused = client.post("/logout", data=form)
        assert refused.status_code == 503 and "Could not sign out" in refused.text
        assert "Expires=Thu, 01 Jan 1970" not in refused.headers.get("Set-Cookie", "")
    finally:
        assert locker.stdin is not None
        locker.stdin.write("\n")
        locker.stdin.close()
        locker.wait(timeout=10)
    assert client.get("/explore", headers=HTML).status_code == 200  # still signed in
    assert client.post("/logout", data=form).status_code == 302
    assert _with_cookie(app, copied).get("/explore", headers=HTML).status_code == 302
    services_of(app.server).engine.dispose()


#: Holds the SQLite write lock until a line arrives on stdin (as tests/test_faults_sqlite_locked).
LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


def test_acc040_unknown_paths_get_the_sites_not_found_page_with_404(app: Dash) -> None:
    """An address no page has answers 404 with the site's own not-found page (signed in);
    the sign-in comes first, so a stranger learns nothing about which paths exist."""
    viewer = client_as(app, Role.viewer)
    for path in ("/no/such/page", "/feeds", "/404", "/kiosk/extra"):
        answer = viewer.get(path, headers=HTML)
        assert answer.status_code == 404, path
        assert "_dash-renderer" in answer.text  # the page, drawn by the app's own router
    for path in ("/", "/feed", "/feed/", "/kiosk?pages=feed"):
        assert viewer.get(path, headers=HTML).status_code == 200, path
    icon = app.server.test_client().get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype.startswith("image/")
    stranger = app.server.test_client().get("/no/such/page", headers=HTML)
    assert stranger.status_code == 302 and stranger.headers["Location"].startswith("/login")
    # Dash Pages' router draws the site's page for an unknown path, not its bare heading.
    router = next(o for o in app.callback_map if auth.ROUTER_OUTPUT in o)
    body = callback_call(app, router)
    body["inputs"] = [
        {"id": "_pages_location", "property": "pathname", "value": "/no/such/page"},
        {"id": "_pages_location", "property": "search", "value": ""},
    ]
    drawn = viewer.post("/_dash-update-component", json=body)
    assert drawn.status_code == 200
    assert "Back to the overview" in drawn.text and "404 - Page not found" not in drawn.text
