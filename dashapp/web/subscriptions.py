"""Report subscriptions on the web: people manage their own, and a one-click unsubscribe.

``/subscriptions`` (signed in) lists your subscriptions and makes new ones.
``/unsubscribe?t=TOKEN`` needs no sign-in: GET asks, POST unsubscribes — the
POST is RFC 8058's one-click (a mail client posts ``List-Unsubscribe=One-Click``
to it), so it takes no CSRF token; the signed token is the authority.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from dashapp.access import subscriptions
from dashapp.access.gate import current_person, public, requires
from dashapp.access.users import Role
from dashapp.i18n.core import NATIVE_NAMES
from dashapp.i18n.core import gettext as _
from dashapp.metrics.queries import Filters
from dashapp.services import services_of

pages = Blueprint("feedbackwall_subscriptions", __name__)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@pages.route("/subscriptions", methods=["GET", "POST"])
@requires(Role.viewer)
def manage() -> tuple[str, int]:
    """Your own subscriptions: subscribe (daily or weekly, narrowed) and unsubscribe."""
    person = current_person()
    if person is None or person.user_id is None:
        # The local demo sign-in (an admin without a user of its own) or a display screen.
        reason = _(
            "Subscriptions belong to a user, and %(name)s is not one. Make yourself a user on"
            " the admin page and sign in as it to subscribe.",
            name=person.name if person else "?",
        )
        return render_template("forbidden.html", person=person, reason=reason), 403
    sessions = services_of().sessions
    form = {k: request.form.get(k, "") for k in ("email", "cadence", "brands", "countries")}
    done, error, status = None, None, 200
    if request.method == "POST" and request.form.get("action") == "remove":
        raw = request.form.get("id", "")
        if raw.isdigit() and subscriptions.remove(sessions, int(raw), person.user_id):
            done = _("Unsubscribed.")
        else:
            error, status = _("id: not one of your subscriptions."), 400
    elif request.method == "POST":
        # Spelled as the store spells them; a name it does not have is said, as on any page
        # (a store that knows no brand or country yet takes the names as typed).
        known = services_of().nps.dimensions()
        typed = {"brand": _split(form["brands"]), "country": _split(form["countries"])}
        checked = {name: tuple(v) if known.get(name) else () for name, v in typed.items()}
        resolved, unknown = services_of().nps.resolve(Filters(**checked))
        scope = Filters(
            brand=resolved.brand if known.get("brand") else tuple(typed["brand"]),
            country=resolved.country if known.get("country") else tuple(typed["country"]),
        )
        try:
            if unknown:
                raise subscriptions.SubscriptionError(" ".join(unknown).rstrip("."))
            made = subscriptions.subscribe(
                sessions,
                person.user_id,
                form["email"],
                form["cadence"],
                scope.brand,
                scope.country,
                request.form.get("language", "en"),
            )
            done = (
                _("Subscribed %(email)s to the weekly report.", email=made.email)
                if made.cadence == "weekly"
                else _("Subscribed %(email)s to the daily report.", email=made.email)
            )
            form = dict.fromkeys(form, "")
        except subscriptions.SubscriptionError as exc:
            error, status = f"{exc}.", 400
    return render_template(
        "subscriptions.html",
        person=person,
        mine=subscriptions.of_user(sessions, person.user_id),
        form=form,
        languages=[(code, NATIVE_NAMES[code]) for code in subscriptions.LANGUAGES],
        done=done,
        error=error,
    ), status


@pages.route("/unsubscribe", methods=["GET", "POST"])
@public
def unsubscribe() -> tuple[str, int]:
    """One-click unsubscribe by a signed token: GET asks, POST does it (no sign-in)."""
    svc = services_of()
    token = request.args.get("t", "")
    found = subscriptions.read_token(subscriptions.signing_key(svc.settings, svc.sessions), token)
    if found is None:
        return render_template("unsubscribe.html", invalid=True), 400
    sub = subscriptions.by_id(svc.sessions, found)
    if request.method == "POST":
        # Gone already is fine: mail clients may post twice.
        subscriptions.remove(svc.sessions, found)
        return render_template("unsubscribe.html", gone=True, cadence=sub and sub.cadence), 200
    if sub is None:
        return render_template("unsubscribe.html", gone=True), 200
    return render_template("unsubscribe.html", sub=sub, token=token), 200
