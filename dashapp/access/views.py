"""Sign-in, sign-out and the first-admin link: plain server-rendered forms with CSRF tokens."""

from __future__ import annotations

from urllib.parse import unquote

from flask import Blueprint, Response, redirect, render_template, request, session
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.urls import iri_to_uri

from dashapp.access import gate as auth
from dashapp.access import ratelimit, users
from dashapp.access import tokens as access_tokens
from dashapp.access.gate import public, requires
from dashapp.access.tokens import Kind
from dashapp.access.users import Role, UserError
from dashapp.i18n import core as i18n
from dashapp.i18n.core import gettext as _
from dashapp.services import services_of

views = Blueprint("feedbackwall_auth", __name__)
LOGIN_ENDPOINT = "feedbackwall_auth.login"
#: Percent-decoding rounds looked through before a target counts as too obscure.
DECODE_ROUNDS = 4


def _plain_path(text: str) -> bool:
    # One leading slash, then no second slash or backslash (both start another
    # host to a browser), no backslash anywhere, nothing a browser drops or
    # trims (tabs, newlines, controls, spaces), nothing a header cannot carry.
    return (
        text.startswith("/")
        and not text.startswith(("//", "/\\"))
        and "\\" not in text
        and all(c.isprintable() and not c.isspace() for c in text)
    )


def safe_next(target: str | None) -> str:
    """*target* if it is a path on this site, else "/": the one rule for every redirect to
    "next" (no open redirect, no header split).

    The target must be a plain path as given, and its path part also after
    percent-decoding (a proxy or a later hop might decode it); the query may
    hold encoded spaces and slashes. Non-ASCII is percent-encoded.
    """
    if not target or not _plain_path(target):
        return "/"
    path = target.split("?", 1)[0].split("#", 1)[0]
    for _round in range(DECODE_ROUNDS):
        decoded = unquote(path)
        if decoded == path:
            break
        if not _plain_path(decoded):
            return "/"
        path = decoded
    else:
        return "/"  # still decoding: nobody writes their links like that
    return iri_to_uri(target)


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
    # A slot of every sign-in limit is taken before the (deliberately slow)
    # password check, so parallel attempts cannot run more checks than allowed.
    slot = ratelimit.reserve_sign_in(name)
    if isinstance(slot, int):
        return login_breached(slot)
    with services_of().sessions.begin() as db:
        user = users.authenticate(db, name, password)
        if user is not None:
            auth.sign_in(db, user)
    if user is None:
        return _login_page(401, next=nxt, name=name, error=_("Wrong name or password."))
    slot.release()  # only failures count: a team behind one address signs in freely
    return redirect(nxt)  # type: ignore[return-value]


def login_breached(retry_after: int) -> Response:
    """The answer to too many sign-in attempts: the form again, with why, as 429."""
    page, _status = _login_page(
        429,
        next=request.form.get("next"),
        name=request.form.get("name", "")[:200],
        error=_("Too many sign-in attempts. Wait a minute, then try again."),
    )
    return Response(page, 429, headers={"Retry-After": str(retry_after)})


@views.post("/logout")
@public
def logout() -> Response | tuple[str, int]:
    """End the session, on the server too (the form carries a CSRF token, so no other site can
    sign you out); with the store down, nothing changes and the page says so."""
    try:
        with services_of().sessions.begin() as db:
            auth.end_session(db)
    except SQLAlchemyError:
        # The cookie stays, so signing out again works once the store is back; a
        # browser that forgot it while the session lives on would be a false promise.
        return _("Could not sign out: the store is unavailable. Try again shortly."), 503
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
        return render_template("setup.html", error=_("The passwords differ."), **form), 400
    try:
        with svc.sessions.begin() as db:
            if users.count(db) or not access_tokens.consume_setup(db, token):
                return render_template("setup.html", invalid=True), 403
            user = users.create(db, name, password, Role.admin)
            auth.sign_in(db, user)
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
        return render_template("forbidden.html", person=person, needed=_("signed-in user")), 403
    form = {"person": person, "min_password": users.MIN_PASSWORD, "languages": _languages()}
    if request.method == "GET":
        saved = request.args.get("saved") == "language"
        return render_template("account.html", language_done=saved, **form), 200
    password = request.form.get("password", "")
    if password != request.form.get("again", ""):
        return render_template("account.html", error=_("The new passwords differ."), **form), 400
    try:
        with services_of().sessions.begin() as db:
            user = users.authenticate(db, person.name, request.form.get("current", ""))
            if user is None or user.id != person.user_id:
                raise UserError("current password: wrong")
            users.reset_password(db, user.name, password)
            auth.sign_in(db, user)  # this browser goes on in a new session; the others ended
    except UserError as exc:
        return render_template("account.html", error=str(exc).capitalize() + ".", **form), 400
    return render_template("account.html", done=True, **form), 200


def _languages() -> list[tuple[str, str]]:
    return [(code, i18n.NATIVE_NAMES[code]) for code in i18n.LANGUAGES]


@views.post("/account/language")
@requires(Role.viewer)
def account_language() -> tuple[str, int] | Response:
    """Choose the language you read the app in ("" = as the browser asks); 400 for another."""
    person = auth.current_person()
    assert person is not None
    if person.via != "session" or person.user_id is None:
        return render_template("forbidden.html", person=person, needed=_("signed-in user")), 403
    chosen = request.form.get("language", "")[:16]
    if chosen and i18n.pick(chosen) != chosen:
        form = {"person": person, "min_password": users.MIN_PASSWORD, "languages": _languages()}
        error = _("Language: choose one of the list.")
        return render_template("account.html", error=error, **form), 400
    with services_of().sessions.begin() as db:
        users.set_language(db, person.user_id, chosen or None)
    # The chosen language wins over a ?lang remembered before: forget that one.
    response = redirect("/account?saved=language")
    response.delete_cookie(i18n.LANGUAGE_COOKIE)
    return response  # type: ignore[return-value]
