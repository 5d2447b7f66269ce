"""The follow-up API: a CRM reads the queue and sets a follow-up's status back.

``GET /api/v1/followups`` (the queue, filtered as the page's URL), ``GET
/api/v1/followups/<id>`` (one, with its history; its version as the ETag) and
``PATCH /api/v1/followups/<id>`` with ``If-Match: "<version>"``: a change made
meanwhile answers 412 naming who made it, nothing is written. Reading needs a
viewer (a wall screen's display token gets 403: screens see figures only);
changing needs an analyst.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from dashapp.access import users
from dashapp.access.gate import person_now, requires
from dashapp.access.users import Person, Role
from dashapp.followups import service
from dashapp.followups.params import format_after, parse_after, parse_queue
from dashapp.followups.rules import MAX_NOTE, MAX_REASON
from dashapp.followups.service import UNSET, Change, ChangeError, Conflict, NotFound, Row
from dashapp.followups.store import state
from dashapp.metrics.params import BadParameter
from dashapp.services import services_of

followups_api = Blueprint("feedbackwall_followups", __name__)
MAX_LIMIT = 200
#: Fields a PATCH body may carry.
FIELDS = ("status", "owner", "reason", "note")


def _error(status: int, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify(error=message, **extra), status


def _reader() -> Person | tuple[Response, int]:
    person = person_now()
    if person is None:  # the gate let nobody through; kept for the type
        return _error(401, "sign in, or send an API token")
    if person.via == "display":
        return _error(403, "wall screens see follow-up figures only, never the queue or notes")
    return person


def _owner_id(name: str) -> int | None:
    with services_of().sessions() as session:
        user = users.by_name(session, name)
        return user.id if user is not None else None


def _json(row: Row, person: Person) -> dict[str, Any]:
    svc = services_of()
    comment = row.comment
    # Viewers read follow-ups with comments masked, as on the wall.
    if comment is not None and person.role < Role.analyst:
        comment = svc.mask(comment)
    return {
        **state(row, row.owner),
        "overdue": row.overdue(dt.datetime.now(dt.UTC)),
        "response": {
            "source": row.source,
            "id": row.external_id,
            "submitted_at": row.submitted_at.isoformat(),
            "comment": comment,
            "labels": [label for label, _ in row.labels],
        },
    }


def _etag(version: int) -> str:
    return f'"{version}"'


@followups_api.get("/api/v1/followups")
@requires(Role.viewer)
def list_followups() -> ResponseReturnValue:
    """The queue, oldest due first; ``next`` is the cursor of the following page."""
    person = _reader()
    if not isinstance(person, Person):
        return person
    filters = parse_queue(request.args.get, person.user_id, _owner_id)
    limit_text = request.args.get("limit") or "50"
    if not re.fullmatch("[0-9]{1,4}", limit_text) or not 1 <= int(limit_text) <= MAX_LIMIT:
        raise BadParameter("limit", f"a whole number from 1 to {MAX_LIMIT}")
    limit = int(limit_text)
    after = parse_after(request.args.get("after"))
    rows = service.queue(services_of().sessions, filters, limit=limit, after=after)
    cursor = format_after(rows[-1].due_at, rows[-1].id) if len(rows) == limit else None
    return jsonify(followups=[_json(r, person) for r in rows], next=cursor), 200


def _history(detail: service.Detail) -> list[dict[str, Any]]:
    return [
        {
            "at": e.at.isoformat(),
            "by": e.actor,
            "field": e.field,
            "from": e.from_value,
            "to": e.to_value,
            "note": e.note,
            "version": e.version,
        }
        for e in detail.events
    ]


@followups_api.get("/api/v1/followups/<int(signed=True):followup_id>")
@requires(Role.viewer)
def get_followup(followup_id: int) -> ResponseReturnValue:
    """One follow-up with its history; ``ETag`` is its version, for ``If-Match``."""
    person = _reader()
    if not isinstance(person, Person):
        return person
    try:
        detail = service.detail(services_of().sessions, followup_id)
    except NotFound as exc:
        return _error(404, str(exc))
    response = jsonify({**_json(detail.row, person), "history": _history(detail)})
    response.headers["ETag"] = _etag(detail.row.version)
    return response, 200


def _expected_version() -> int | tuple[Response, int]:
    header = request.headers.get("If-Match")
    if not header:
        return _error(428, 'If-Match: "<version>" is required (the ETag of your GET)')
    text = header.strip().removeprefix("W/").strip('"')
    if not re.fullmatch("[0-9]{1,9}", text):
        return _error(
            400, 'If-Match: expected "<version>" as the ETag gave it', parameter="If-Match"
        )
    return int(text)


def _change_of(body: Any) -> Change | tuple[Response, int]:
    if not isinstance(body, dict):
        return _error(400, "body must be a JSON object with status, owner, reason or note")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        return _error(
            422, f"{unknown[0]}: unknown field; send {', '.join(FIELDS)}", field=unknown[0]
        )
    if not body:
        return _error(422, "nothing to change: send status, owner, reason or note")
    for name, limit in (("status", 32), ("reason", MAX_REASON), ("note", MAX_NOTE), ("owner", 64)):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            return _error(422, f"{name}: must be a string or null", field=name)
        if isinstance(value, str) and (len(value) > limit or "\x00" in value):
            return _error(422, f"{name}: at most {limit} characters, no NUL", field=name)
    change = Change(reason=body.get("reason"), note=body.get("note"))
    if body.get("status") is not None:
        change.status = service.parse_status(body["status"])
    if "owner" in body:
        owner = body["owner"]
        if owner is None or not owner.strip():
            change.owner_id = None
        else:
            found = _owner_id(owner)
            if found is None:
                return _error(422, f"owner: no user called {owner!r}", field="owner")
            change.owner_id = found
    else:
        change.owner_id = UNSET
    return change


@followups_api.patch("/api/v1/followups/<int(signed=True):followup_id>")
@requires(Role.analyst)
def patch_followup(followup_id: int) -> ResponseReturnValue:
    """Change status, owner, reason or add a note, if the follow-up is still at If-Match."""
    person = person_now()
    assert person is not None  # the gate admits analysts only
    expected = _expected_version()
    if not isinstance(expected, int):
        return expected
    try:
        change = _change_of(request.get_json(silent=True))
    except ChangeError as exc:
        return _error(422, str(exc), field=exc.field)
    if not isinstance(change, Change):
        return change
    svc = services_of()
    try:
        row = service.update(
            svc.sessions, svc.settings.followups, followup_id, expected, person.name, change
        )
    except NotFound as exc:
        return _error(404, str(exc))
    except Conflict as exc:
        response = jsonify(error=str(exc), by=exc.by, version=exc.version)
        response.headers["ETag"] = _etag(exc.version)
        return response, 412
    except ChangeError as exc:
        return _error(422, str(exc), field=exc.field)
    detail = service.detail(svc.sessions, followup_id)
    response = jsonify({**_json(row, person), "history": _history(detail)})
    response.headers["ETag"] = _etag(row.version)
    return response, 200
