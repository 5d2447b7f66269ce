"""Sign-in, sign-out and the first-admin link: plain server-rendered forms with CSRF tokens."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, session

from dashapp import access_tokens, auth, users
from dashapp.access_tokens import Kind
from dashapp.auth import public, requires
from dashapp.services import services_of
from dashapp.users import Role, UserError

views = Blueprint("feedbackwall_auth", __name__)
LOGIN_ENDPOINT = "feedbackwall_auth.login"


def safe_next(target: str | None) -> str:
    """*target* if it is a path on this site, else "/" (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_page(status: int = 200, **values: object) -> tuple[str, int]:
    with services_of().sessions() as db:
        no_users = users.count(db) == 0
    nxt = safe_next(str(values.pop("next", None) or request.args.get("next")))
    page = render_template(
        "login.html",
        next=nxt,
        no_users=no_users,
        screen=nxt.startswith("/kiosk"),
        name=values.pop("name", ""),
        error=values.pop("error", None),
    )
    return page, status


@views.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | tuple[str, int]:
    """The sign-in form; a good name and password start a session and go to ``next``."""
    if request.method == "GET":
        return _login_page()
    name = request.form.get("name", "")[:200]
    password = request.form.get("password", "")
    nxt = safe_next(request.form.get("next"))
    with services_of().sessions.begin() as db:
        user = users.authenticate(db, name, password)
        if user is not None:
            auth.sign_in(user)
    if user is None:
        return _login_page(401, next=nxt, name=name, error="Wrong name or password.")
    return redirect(nxt)  # type: ignore[return-value]


def login_breached(_limit: object) -> Response:
    """The answer to too many sign-in attempts: the form again, with why, as 429."""
    page, _ = _login_page(
        429,
        next=request.form.get("next"),
        name=request.form.get("name", "")[:200],
        error="Too many sign-in attempts. Wait a minute, then try again.",
    )
    return Response(page, 429)


@views.post("/logout")
@public
def logout() -> Response:
    """End the session (the form carries a CSRF token, so no other site can sign you out)."""
    session.clear()
    return redirect("/login")  # type: ignore[return-value]


@views.route("/setup", methods=["GET", "POST"])
@public
def setup() -> tuple[str, int] | Response:
    """Create the first admin with the one-time link printed at first start."""
    token = (request.values.get("token") or "")[:200]
    svc = services_of()
    with svc.sessions() as db:
        usable = users.count(db) == 0 and access_tokens.lookup(db, Kind.setup, token).token
    if not usable:
        return render_template("setup.html", invalid=True), 403
    form = {"token": token, "min_password": users.MIN_PASSWORD, "name": ""}
    if request.method == "GET":
        return render_template("setup.html", **form), 200
    name = request.form.get("name", "")[:200]
    password = request.form.get("password", "")
    form["name"] = name
    if password != request.form.get("again", ""):
        return render_template("setup.html", error="The passwords differ.", **form), 400
    try:
        with svc.sessions.begin() as db:
            if users.count(db) or not access_tokens.consume_setup(db, token):
                return render_template("setup.html", invalid=True), 403
            user = users.create(db, name, password, Role.admin)
            auth.sign_in(user)
    except UserError as exc:
        return render_template("setup.html", error=str(exc).capitalize() + ".", **form), 400
    return redirect("/")  # type: ignore[return-value]


@views.route("/account", methods=["GET", "POST"])
@requires(Role.viewer)
def account() -> tuple[str, int]:
    """Change your own password (the current one first); your other sessions end."""
    person = auth.current_person()
    assert person is not None
    if person.via != "session" or person.user_id is None:
        return render_template("forbidden.html", person=person, needed="signed-in user"), 403
    form = {"person": person, "min_password": users.MIN_PASSWORD}
    if request.method == "GET":
        return render_template("account.html", **form), 200
    password = request.form.get("password", "")
    if password != request.form.get("again", ""):
        return render_template("account.html", error="The new passwords differ.", **form), 400
    try:
        with services_of().sessions.begin() as db:
            user = users.authenticate(db, person.name, request.form.get("current", ""))
            if user is None or user.id != person.user_id:
                raise UserError("current password: wrong")
            users.reset_password(db, user.name, password)
            auth.sign_in(user)  # this session goes on, under the new epoch
    except UserError as exc:
        return render_template("account.html", error=str(exc).capitalize() + ".", **form), 400
    return render_template("account.html", done=True, **form), 200
