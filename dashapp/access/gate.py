"""Who is asking, and may they: one server-side gate in front of every route and callback.

Every request passes :func:`_gate` before any view runs. It finds the person
(API token, signed session, a screen's display cookie, or the local demo) and
the role the request needs:

- a view marked with :func:`public` or :func:`requires`, else its blueprint's
  role (:func:`protect`);
- ``/_dash-update-component``: the role of the feature module that registered
  the callback (:func:`register_callbacks`), and for Dash Pages' router the
  role of the page asked for;
- any other GET: a page, with the role it was registered with (``role=``);
- anything else: admin, so what nobody thought of stays closed.

Hiding a link is never the check; this is. Pages answer a missing sign-in
with the login page and a missing role with a 403 page; everything else with
401/403 JSON and no data.

A signed-in browser's cookie names a server-side session (an ``access_tokens``
row of kind "session", digest only): signing out deletes that row, so a copy
of the cookie is worthless from then on, on every worker within a second.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import secrets
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import dash
from dash import Dash
from flask import (
    Flask,
    Request,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
)
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from dashapp.access import tokens as access_tokens
from dashapp.access.ingest_tokens import digest
from dashapp.access.tokens import Kind
from dashapp.access.users import Person, Role
from dashapp.config import Settings
from dashapp.store.counters import Watch
from dashapp.store.db import StoreUnavailable, is_unavailable
from dashapp.store.models import AppSecret, User

log = logging.getLogger(__name__)
EXTENSION = "feedbackwall.auth"
DISPLAY_COOKIE = "fw_display"
SESSION_COOKIE = "fw_session"
#: The longest lifetime browsers grant a cookie; renewed on every page load, so
#: a screen that reloads now and then never loses it.
DISPLAY_COOKIE_MAX_AGE = int(dt.timedelta(days=400).total_seconds())
#: Names of this machine a browser on it may use (with loopback IP literals).
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
#: A part of the output of Dash Pages' own router callback (it renders a page's layout).
ROUTER_OUTPUT = "_pages_content.children"
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/")
PUBLIC_PATHS = frozenset({"/_favicon.ico", "/_reload-hash", "/favicon.ico"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Identities remembered per credential (one per screen or person: plenty).
REMEMBERED = 10_000
STORE_DOWN = "store down"
_ROLE_ATTR = "feedbackwall_role"
_PUBLIC = "public"

V = TypeVar("V", bound=Callable[..., Any])


def public(view: V) -> V:
    """Mark a view as open to everyone (health checks, sign-in, token-checked ingest)."""
    setattr(view, _ROLE_ATTR, _PUBLIC)
    return view


def requires(role: Role) -> Callable[[V], V]:
    """Mark a view as needing at least *role*."""

    def mark(view: V) -> V:
        setattr(view, _ROLE_ATTR, role)
        return view

    return mark


@dataclass(frozen=True, slots=True)
class Identity:
    """What one credential stood for when the store was last asked."""

    person: Person | None
    #: A screen whose display token was revoked (it is told so, never sent to sign in).
    revoked: bool = False
    #: A session cookie from an ended session (cleared from the browser).
    ended: bool = False
    #: The access token used, and when it was last recorded as used.
    token_id: int | None = None
    last_used_at: dt.datetime | None = None


@dataclass(slots=True)
class Gate:
    """The access rules of one app: blueprint roles and callback roles."""

    sessions: sessionmaker[Session]
    watch: Watch
    #: Sign in this machine's own browser as an admin: set only by
    #: :func:`allow_local_demo` once every serving socket is bound to loopback
    #: (``feedbackwall run --demo``); never an environment setting.
    local_demo: bool = False
    blueprints: dict[str, Role] = field(default_factory=dict)
    #: The last identity seen per credential digest, with the access version it was
    #: seen at: reused while that version stands, and through store outages (LRU).
    remembered: OrderedDict[str, tuple[int, Identity]] = field(default_factory=OrderedDict)
    #: When this process last wrote each token's "last used" time.
    touched: dict[int, dt.datetime] = field(default_factory=dict)
    callbacks: dict[str, Role] = field(default_factory=dict)


def gate_of(server: Flask | None = None) -> Gate:
    """The Gate installed on *server* (default: the current app)."""
    return (server or current_app).extensions[EXTENSION]


def protect(server: Flask, blueprint: str, role: Role) -> None:
    """Views of *blueprint* need *role* unless marked otherwise."""
    gate_of(server).blueprints[blueprint] = role


def register_callbacks(app: Dash, role: Role, register: Callable[[], None]) -> set[str]:
    """Run *register* (which adds callbacks to *app*) and require *role* for what it added.

    Returns the outputs it added (keys of ``app.callback_map``).
    """
    before = set(app.callback_map)
    register()
    gate = gate_of(app.server)
    added = set(app.callback_map) - before
    for output in added:
        gate.callbacks[output] = role
    return added


def page_role(path: str) -> Role:
    """The role the page at *path* was registered with; unknown paths are the (viewer) 404."""
    path = "/" + path.strip("/")
    for page in dash.page_registry.values():
        if page.get("path") == path:
            role = page.get("role", Role.admin)
            return role if isinstance(role, Role) else Role.admin
    return Role.viewer


# --- who is asking -----------------------------------------------------------------


def bearer_token(req: Request) -> str | None:
    """The token of ``Authorization: Bearer <token>``, else None: the one reading of that header.

    The scheme's case and the spaces around are free (RFC 9110); anything but
    exactly a scheme and one token is no token. Rate limits key on what this
    returns, so no spelling of the header earns another allowance.
    """
    parts = req.headers.get("Authorization", "").split()
    return parts[1] if len(parts) == 2 and parts[0].lower() == "bearer" else None


def is_loopback(address: str | None) -> bool:
    """Whether *address* (an IP literal, maybe IPv4-mapped IPv6) is this machine's loopback."""
    try:
        ip = ipaddress.ip_address((address or "").strip("[]"))
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool((mapped or ip).is_loopback)


def allow_local_demo(server: Flask, bound: Iterable[str]) -> bool:
    """Sign in loopback peers as the local demo admin if every address in *bound* is loopback.

    *bound* are the addresses the serving sockets were actually bound to (the
    server says, not the command line): a wildcard or any other interface
    would let other machines in, so the demo then signs in nobody. Returns
    whether it is on.
    """
    addresses = list(bound)
    gate = gate_of(server)
    gate.local_demo = bool(addresses) and all(is_loopback(a) for a in addresses)
    gate.remembered.clear()
    return gate.local_demo


def _peer(req: Request) -> str | None:
    # The socket's own peer, even where ProxyFix has put the forwarded client in its place.
    original = req.environ.get("werkzeug.proxy_fix.orig") or {}
    return original.get("REMOTE_ADDR") or req.environ.get("REMOTE_ADDR")


def _is_local_demo(gate: Gate, req: Request) -> bool:
    # Admitted on the sockets alone: served only on loopback (gate.local_demo) and
    # the peer is loopback, so the connection comes from this machine. Headers
    # never admit (a client writes them); they can only refuse: a proxy that says
    # it forwards someone, or a Host this machine does not go by, which is how a
    # DNS-rebound page of another site would reach this server from the browser.
    # What sockets cannot tell: a relay or bare proxy on this machine makes its
    # own clients' connections local too (README, Access).
    if not gate.local_demo or not is_loopback(_peer(req)):
        return False
    if "X-Forwarded-For" in req.headers or "Forwarded" in req.headers:
        return False
    host = (urlsplit("//" + req.host).hostname or "").lower()
    return host in LOOPBACK_NAMES or is_loopback(host)


def identify(gate: Gate, req: Request, db: Session) -> Identity:
    """Who is behind *req*'s credentials, as the store says now."""
    token = bearer_token(req)
    if token and token.startswith(access_tokens.PREFIXES[Kind.api]):
        found = access_tokens.lookup(db, Kind.api, token).token
        owner = db.get(User, found.user_id) if found and found.user_id else None
        if found is None or owner is None or owner.disabled_at is not None:
            return Identity(None)
        person = Person(owner.name, Role[owner.role], "api", owner.id, owner.language)
        return Identity(person, token_id=found.id, last_used_at=found.last_used_at)
    ended = False
    if "sid" in session or "uid" in session:
        sid = session.get("sid")
        row = access_tokens.lookup(db, Kind.session, sid).token if isinstance(sid, str) else None
        user = db.get(User, row.user_id) if row and row.user_id else None
        if row and user and user.disabled_at is None:
            person = Person(user.name, Role[user.role], "session", user.id, user.language)
            return Identity(person, token_id=row.id, last_used_at=row.last_used_at)
        # Signed out, ended by a change to the user, or a cookie from before sessions
        # were kept on the server: cleared from the browser.
        ended = True
    screen = req.cookies.get(DISPLAY_COOKIE)
    if screen:
        found = access_tokens.lookup(db, Kind.display, screen).token
        if found is None:
            return Identity(None, revoked=True, ended=ended)
        person = Person(found.name, Role.viewer, "display")
        return Identity(person, ended=ended, token_id=found.id, last_used_at=found.last_used_at)
    if _is_local_demo(gate, req):
        return Identity(Person("local demo", Role.admin, "demo"), ended=ended)
    return Identity(None, ended=ended)


def _note_use(identity: Identity) -> None:
    """Remember that a token was used, if its "last used" time is old enough to write."""
    now = dt.datetime.now(dt.UTC)
    last = identity.last_used_at
    if identity.token_id is not None and (last is None or now - last > access_tokens.TOUCH_EVERY):
        g.touch = identity.token_id


def _record_use(gate: Gate) -> None:
    """Write a token's "last used" time after the answer is decided, at most every few minutes.

    Apart from the request's own reading, so a store that is busy or locked for
    writing delays this (once per token and interval in this process), never refuses.
    """
    token_id = g.pop("touch", None)
    now = dt.datetime.now(dt.UTC)
    tried = gate.touched.get(token_id) if token_id is not None else None
    if token_id is None or (tried is not None and now - tried < access_tokens.TOUCH_EVERY):
        return
    gate.touched[token_id] = now
    g.renew_cookie = True
    try:
        with gate.sessions.begin() as db:
            access_tokens.touch(db, token_id, now)
    except SQLAlchemyError:
        log.warning("could not record the use of token %s", token_id, exc_info=True)


def _credential(gate: Gate, req: Request) -> str:
    """Everything :func:`identify` reads from *req*, as one key to remember its answer under."""
    parts = (
        bearer_token(req) or "",
        str(session.get("sid", "")),
        req.cookies.get(DISPLAY_COOKIE, ""),
        # All identify reads of the address, host and proxy headers.
        str(_is_local_demo(gate, req)),
    )
    return digest("|".join(parts))


def _person(gate: Gate) -> Person | str | None:
    """Who is asking: remembered per credential until the store's access version moves.

    A screen polling every few seconds is not looked up every time: its
    identity stands until something about access changes anywhere (a token
    revoked, a user disabled, a role or password changed), which every
    process notices within a second (:mod:`dashapp.store.counters`). While the store
    is unreachable, whoever these credentials were last time, so screens keep
    showing their cached wall; someone never seen before gets STORE_DOWN (503).
    """
    key = _credential(gate, request)
    kept = gate.remembered.get(key)
    try:
        access = gate.watch.current().access
        if kept is not None and kept[0] == access:
            identity = kept[1]
        else:
            with gate.sessions() as db:
                identity = identify(gate, request, db)
            kept = (access, identity)
    except SQLAlchemyError as exc:
        if not is_unavailable(exc):
            raise  # a defect, not the store's state: a 500 with its trace
        if kept is None:
            return STORE_DOWN
        identity = kept[1]
    else:
        _note_use(identity)
        _record_use(gate)
        gate.remembered[key] = kept
        gate.remembered.move_to_end(key)
        while len(gate.remembered) > REMEMBERED:
            gate.remembered.popitem(last=False)
    if identity.ended:
        session.clear()
    g.revoked = identity.revoked
    return identity.person


def person_now() -> Person | None:
    """Who is asking, for a public route that shows more to some (looked up on demand)."""
    if "person" not in g:
        found = _person(gate_of())
        g.person = None if isinstance(found, str) else found
    return g.person


def current_person() -> Person | None:
    """The person the gate found for this request (None outside a request or when anonymous)."""
    return g.get("person")


def sign_in(db: Session, user: User) -> None:
    """Start a session for *user*: a new server-side session (no fixation) named by the cookie."""
    now = dt.datetime.now(dt.UTC)
    # Housekeeping: sessions whose cookies have expired unused can never come back.
    idle = now - current_app.permanent_session_lifetime - access_tokens.TOUCH_EVERY
    access_tokens.forget_idle_sessions(db, idle)
    sid = access_tokens.issue_session(db, user)
    session.clear()
    session.permanent = True
    session["sid"] = sid


def end_session(db: Session) -> None:
    """End this request's session on the server (on every worker within a second).

    The caller clears the cookie once *db* has committed: a browser must not
    forget a session that lives on.
    """
    sid = session.get("sid")
    if isinstance(sid, str):
        access_tokens.end_session(db, sid)


# --- what the request needs --------------------------------------------------------


def _needed(gate: Gate, req: Request) -> Role | str | None:
    """The role *req* needs, "public", or None for a page (decided by path)."""
    view = current_app.view_functions.get(req.endpoint or "")
    marked = getattr(view, _ROLE_ATTR, None)
    if marked is not None:
        return marked
    if req.blueprint in gate.blueprints:
        return gate.blueprints[req.blueprint]
    path = req.path
    if path.startswith(PUBLIC_PREFIXES) or path in PUBLIC_PATHS:
        return _PUBLIC
    if path == "/_dash-update-component":
        return _callback_role(gate, req)
    if path in ("/_dash-layout", "/_dash-dependencies"):
        return Role.viewer
    if req.method == "GET":
        return None
    return Role.admin


def _callback_role(gate: Gate, req: Request) -> Role:
    body = req.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return Role.admin
    output = body["output"]
    if ROUTER_OUTPUT in output:
        # Dash passes inputs by position: the page rendered is the first input's
        # value, whatever the request names it, so that is the one checked.
        inputs = body.get("inputs")
        first = inputs[0] if isinstance(inputs, list) and inputs else None
        if not isinstance(first, dict) or first.get("property") != "pathname":
            return Role.admin
        pathname = first.get("value")
        return page_role(pathname) if isinstance(pathname, str) else Role.admin
    return gate.callbacks.get(output, Role.admin)


# --- answers -----------------------------------------------------------------------


def _wants_page(req: Request) -> bool:
    return req.method == "GET" and "text/html" in req.headers.get("Accept", "")


def _denied(person: Person | None, needed: Role, page: bool) -> Response:
    if g.get("revoked"):
        if page:
            # The cookie stays: the screen keeps saying "revoked", never "sign in".
            return Response(render_template("revoked.html"), 403)
        return _json(403, "access revoked: this screen's display token is no longer valid")
    if person is None:
        if page:
            target = request.full_path.rstrip("?")
            return redirect("/login?" + urlencode({"next": target}))  # type: ignore[return-value]
        response = _json(401, "sign in, or send an API token as 'Authorization: Bearer fwa_...'")
        response.headers["WWW-Authenticate"] = 'Bearer realm="feedbackwall"'
        return response
    if page:
        body = render_template("forbidden.html", person=person, needed=needed.name)
        return Response(body, 403)
    return _json(403, f"needs the {needed.name} role; {person.name} is {person.role.name}")


def _json(status: int, message: str) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    return response


def _foreign_origin(req: Request) -> bool:
    # A browser names the page that sent a POST; another site's page must not
    # act with this site's cookies (with SameSite=Lax cookies as the second line).
    origin = req.headers.get("Origin")
    if origin is None:
        return False  # not sent by a browser's cross-site form or script
    return origin == "null" or urlsplit(origin).netloc.lower() != req.host.lower()


def _display_link(gate: Gate) -> Response | None:
    """``/kiosk?token=fwd_...``: remember the screen in a cookie and drop the token from the URL."""
    token = request.args.get("token", "")
    if not token.startswith(access_tokens.PREFIXES[Kind.display]):
        return None
    with gate.sessions() as db:
        found = access_tokens.lookup(db, Kind.display, token)
    if found.token is None:
        return Response(render_template("revoked.html"), 403)
    rest = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]
    response = redirect(request.path + ("?" + urlencode(rest) if rest else ""))
    _set_display_cookie(response, token)  # type: ignore[arg-type]
    session.clear()
    return response  # type: ignore[return-value]


def _set_display_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        DISPLAY_COOKIE,
        token,
        max_age=DISPLAY_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )


def _gate() -> Response | None:
    gate = gate_of()
    needed = _needed(gate, request)
    if needed == _PUBLIC:
        return None
    if request.method in UNSAFE_METHODS and _foreign_origin(request):
        return _json(403, "cross-site request refused")
    if needed is None and request.method == "GET":
        link = _display_link(gate)
        if link is not None:
            return link
    person = _person(gate)
    if person is STORE_DOWN:
        # Answered as every busy store is (dashapp.web.errors): 503, Retry-After.
        raise StoreUnavailable("the store is unavailable")
    assert not isinstance(person, str)
    g.person = person
    role = page_role(request.path) if needed is None else needed
    assert isinstance(role, Role)
    if person is not None and person.role >= role:
        return None
    return _denied(person, role, page=needed is None and _wants_page(request))


def _renew_display_cookie(response: Response) -> Response:
    person = g.get("person")
    screen = request.cookies.get(DISPLAY_COOKIE)
    # Renewed with every page load, and every few minutes of polling: a screen
    # that never reloads keeps its cookie too.
    renew = _wants_page(request) or g.get("renew_cookie", False)
    if person is not None and person.via == "display" and screen and renew:
        _set_display_cookie(response, screen)
    return response


class _SessionInterface(SecureCookieSessionInterface):
    """Signed session cookies: Secure whenever the request came over HTTPS (behind TLS too),
    signed with the configured key or else the store's shared one, read at first use so
    that a worker starts even while the store is down."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(request.is_secure) or super().get_cookie_secure(app)

    def get_signing_serializer(self, app: Flask) -> Any:
        if not app.secret_key:
            try:
                app.secret_key = session_key(gate_of(app).sessions)
            except SQLAlchemyError:
                return None  # no sessions until the store is back; screens still work
        return super().get_signing_serializer(app)


def session_key(sessions: sessionmaker[Session]) -> str:
    """The session signing key shared by every worker and host: made once, kept in the store."""
    with sessions.begin() as db:
        stored = db.get(AppSecret, "session")
        if stored is not None:
            return stored.value
    try:
        with sessions.begin() as db:
            db.add(AppSecret(name="session", value=secrets.token_urlsafe(48)))
    except IntegrityError:
        pass  # another worker made it first; read theirs
    with sessions() as db:
        return db.scalars(select(AppSecret.value).where(AppSecret.name == "session")).one()


def install(
    server: Flask,
    settings: Settings,
    sessions: sessionmaker[Session],
    watch: Watch,
) -> Gate:
    """Put the gate in front of every request of *server* and configure its sessions."""
    gate = Gate(sessions, watch)
    server.extensions[EXTENSION] = gate
    server.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.session_hours),
    )
    server.session_interface = _SessionInterface()
    server.before_request(_gate)
    server.after_request(_renew_display_cookie)
    return gate


def unchecked_callbacks(app: Dash) -> list[str]:
    """Server callbacks of *app* registered without a role (a test keeps this empty).

    Dash Pages' router is not among them: it is checked by the page it renders.
    """
    gate = gate_of(app.server)
    return sorted(
        output
        for output, spec in app.callback_map.items()
        if output not in gate.callbacks and ROUTER_OUTPUT not in output and "callback" in spec
    )
