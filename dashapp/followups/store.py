"""Follow-ups in the store: opened at ingest, read as a queue, changed with a version check.

Every function works inside the caller's transaction (the caller commits):
ingest opens follow-ups in the batch's transaction, the units of work in
:mod:`dashapp.followups.service` wrap the rest. Each change appends its
events (who, when, from, to, note) and, when the CRM's webhook is
configured, a ``followup.updated`` row to the alert outbox in the same
transaction, so a change and its notice commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import (
    ARRAY,
    BindParameter,
    Float,
    Select,
    and_,
    bindparam,
    case,
    delete,
    exists,
    extract,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    tuple_,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from dashapp.config import FollowupConfig
from dashapp.followups.rules import (
    DONE,
    MAX_NOTE,
    MAX_REASON,
    OPEN,
    Candidate,
    ChangeError,
    Status,
    check_move,
    check_text,
    needs_followup,
    stamps,
)
from dashapp.followups.timing import Item, Timing, answer_times
from dashapp.i18n.core import gettext as _
from dashapp.labels import store as label_store
from dashapp.store import counters as versions
from dashapp.store.models import (
    RESPONSE_HEAD,
    AlertDelivery,
    Followup,
    FollowupEvent,
    Response,
    ResponseLabel,
    User,
)

#: The outbox rule name of follow-up events (and the event's name for the CRM).
HOOK = "followup.updated"
#: Who opens follow-ups at ingest and in the backfill, in the history.
RULE_ACTOR = "rule"
#: Ids are 32-bit integers: a larger one names nothing (and no store could compare it).
MAX_ID = 2**31 - 1
_CHUNK = 500
#: What :func:`_open` reads of a response to open its follow-up (ingest, backfill, by hand).
OPENING_COLUMNS = RESPONSE_HEAD


class Conflict(Exception):
    """The follow-up changed since the version the writer read; nothing was written."""

    def __init__(self, current: Followup) -> None:
        #: Who changed it last, when, and the version they left (plain values: the
        #: transaction that read them is rolled back).
        self.by, self.at, self.version = current.updated_by, current.updated_at, current.version
        super().__init__(
            _(
                "changed meanwhile by %(by)s at %(at)s UTC (now version %(version)s)",
                by=self.by,
                at=f"{self.at:%H:%M:%S}",
                version=self.version,
            )
        )


class NotFound(LookupError):
    """No follow-up (or no response) with that id."""


class Arriving(Protocol):
    """A record as ingest stores it (:class:`dashapp.ingest.validation.CleanRecord`)."""

    external_id: str
    submitted_at: dt.datetime
    brand: str
    country: str
    touchpoint: str
    score: int
    comment: str | None


# --- opening -------------------------------------------------------------------------


def open_for_batch(
    session: Session,
    rule: FollowupConfig | None,
    source: str,
    records: Sequence[Arriving],
    labelled: Mapping[str, Sequence[tuple[str, int]]],
    now: dt.datetime,
    updated: Collection[str] = (),
) -> int:
    """Open a follow-up for each stored record of *source* the rule picks; how many opened.

    *records* were just stored (new or changed; *updated* names the external ids
    of the changed ones), *labelled* holds their labels by external id. A
    response keeps the follow-up it has; a changed response's repeated facts
    (brand, score, ...) are brought up to date.
    """
    if not records:
        return 0
    for chunk in _chunks(list(updated)):
        # Changed responses: their follow-ups repeat the facts as now stored.
        session.execute(
            update(Followup)
            .where(
                Followup.response_id == Response.id,
                Response.source == source,
                Response.external_id.in_(chunk),
            )
            .values(
                brand=Response.brand,
                country=Response.country,
                touchpoint=Response.touchpoint,
                score=Response.score,
                submitted_at=Response.submitted_at,
            )
        )
    if rule is None or not rule.enabled:
        return 0
    oldest = now - dt.timedelta(days=rule.horizon_days)
    wanted = [
        r.external_id
        for r in records
        if r.submitted_at > oldest
        and needs_followup(
            rule,
            Candidate(
                r.score,
                r.brand,
                r.country,
                r.touchpoint,
                bool(r.comment),
                [label for label, _ in labelled.get(r.external_id, ())],
            ),
        )
    ]
    found: list[Any] = []
    for chunk in _chunks(wanted):
        found.extend(
            session.execute(
                select(*OPENING_COLUMNS).where(
                    Response.source == source,
                    Response.external_id.in_(chunk),
                    ~exists().where(Followup.response_id == Response.id),
                )
            )
        )
    return _open(session, rule, found, now)


def _open(session: Session, rule: FollowupConfig, rows: Sequence[Any], now: dt.datetime) -> int:
    """Insert follow-ups for response *rows* (id, submitted_at, brand, country, touchpoint,
    score)."""
    if not rows:
        return 0
    session.execute(
        insert(Followup),
        [
            {
                "response_id": row.id,
                "status": Status.new.value,
                "owner_id": None,
                "reason": None,
                "version": 1,
                "opened_at": now,
                "due_at": now + rule.sla(row.brand),
                "first_contact_at": None,
                "done_at": None,
                "updated_at": now,
                "updated_by": RULE_ACTOR,
                "brand": row.brand,
                "country": row.country,
                "touchpoint": row.touchpoint,
                "score": row.score,
                "submitted_at": row.submitted_at,
            }
            for row in rows
        ],
    )
    opened: list[Followup] = []
    for chunk in _chunks([row.id for row in rows]):
        opened.extend(session.scalars(select(Followup).where(Followup.response_id.in_(chunk))))
    session.execute(
        insert(FollowupEvent),
        [
            {
                "followup_id": f.id,
                "at": now,
                "actor": RULE_ACTOR,
                "field": "opened",
                "from_value": None,
                "to_value": Status.new.value,
                "note": None,
                "version": 1,
            }
            for f in opened
        ],
    )
    if rule.webhook:
        _notify(session, opened, RULE_ACTOR, [("opened", None, Status.new.value)], None, now)
    return len(rows)


def backfill(
    session: Session,
    rule: FollowupConfig,
    since: dt.datetime,
    now: dt.datetime,
    after_id: int = 0,
    limit: int = 2_000,
) -> tuple[int, int | None]:
    """Open follow-ups for up to *limit* stored responses submitted after *since* (by id).

    Returns (how many opened, the last response id looked at, or None when done):
    call again with ``after_id`` set to it. Responses that have a follow-up keep it.
    """
    stmt = (
        select(*OPENING_COLUMNS, Response.comment.is_not(None).label("has_comment"))
        .where(
            Response.id > after_id,
            Response.submitted_at > since,
            Response.score.between(rule.min_score, rule.max_score),
        )
        .order_by(Response.id)
        .limit(limit)
    )
    page = session.execute(stmt).all()
    if not page:
        return 0, None
    have: set[int] = set()
    for chunk in _chunks([row.id for row in page]):
        have.update(
            session.scalars(select(Followup.response_id).where(Followup.response_id.in_(chunk)))
        )
    labels = label_store.labels_of(session, [row.id for row in page]) if rule.labels else {}
    picked = [
        row
        for row in page
        if row.id not in have
        and needs_followup(
            rule,
            Candidate(
                row.score,
                row.brand,
                row.country,
                row.touchpoint,
                bool(row.has_comment),
                [label for label, _ in labels.get(row.id, ())],
            ),
        )
    ]
    opened = _open(session, rule, picked, now)
    if opened:
        versions.edited(session)
    return opened, page[-1].id


def open_one(
    session: Session, rule: FollowupConfig, response_id: int, actor: str, now: dt.datetime
) -> int:
    """Open a follow-up for response *response_id* by hand (whatever the rule says); its id."""
    existing = session.scalar(select(Followup.id).where(Followup.response_id == response_id))
    if existing is not None:
        return existing
    row = session.execute(select(*OPENING_COLUMNS).where(Response.id == response_id)).first()
    if row is None:
        raise NotFound(_("no response %(id)s", id=response_id))
    _open(session, rule, [row], now)
    followup = session.scalars(select(Followup).where(Followup.response_id == response_id)).one()
    if actor != RULE_ACTOR:
        session.execute(
            update(FollowupEvent)
            .where(FollowupEvent.followup_id == followup.id)
            .values(actor=actor)
        )
        followup.updated_by = actor
    versions.edited(session)
    return followup.id


# --- reading -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the queue shows. Empty tuples mean all; ``status`` empty means every open one.

    ``owner``: a user id, 0 for "nobody"; ``older_than``: opened at least this long ago.
    """

    brand: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    touchpoint: tuple[str, ...] = ()
    label: str | None = None
    status: tuple[Status, ...] = ()
    owner: int | None = None
    older_than: dt.timedelta | None = None


@dataclass(frozen=True, slots=True)
class Row:
    """A follow-up as the queue and the API show it, with its response."""

    id: int
    response_id: int
    status: Status
    owner_id: int | None
    owner: str | None
    reason: str | None
    version: int
    opened_at: dt.datetime
    due_at: dt.datetime
    first_contact_at: dt.datetime | None
    done_at: dt.datetime | None
    updated_at: dt.datetime
    updated_by: str
    brand: str
    country: str
    touchpoint: str
    score: int
    submitted_at: dt.datetime
    source: str
    external_id: str
    comment: str | None
    labels: tuple[tuple[str, int], ...] = ()

    def overdue(self, now: dt.datetime) -> bool:
        """Whether it is open and past due at *now*."""
        return self.status.open and self.due_at < now


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of a follow-up's history."""

    at: dt.datetime
    actor: str
    field: str
    from_value: str | None
    to_value: str | None
    note: str | None
    version: int


def _rows_query() -> Select[Followup, str, str, str, str | None]:
    return (
        select(Followup, User.name, Response.source, Response.external_id, Response.comment)
        .join(Response, Response.id == Followup.response_id)
        .outerjoin(User, User.id == Followup.owner_id)
    )


def _row(
    followup: Followup,
    owner: str | None,
    source: str,
    external_id: str,
    comment: str | None,
    labels: Sequence[tuple[str, int]] = (),
) -> Row:
    return Row(
        id=followup.id,
        response_id=followup.response_id,
        status=Status(followup.status),
        owner_id=followup.owner_id,
        owner=owner,
        reason=followup.reason,
        version=followup.version,
        opened_at=followup.opened_at,
        due_at=followup.due_at,
        first_contact_at=followup.first_contact_at,
        done_at=followup.done_at,
        updated_at=followup.updated_at,
        updated_by=followup.updated_by,
        brand=followup.brand,
        country=followup.country,
        touchpoint=followup.touchpoint,
        score=followup.score,
        submitted_at=followup.submitted_at,
        source=source,
        external_id=external_id,
        comment=comment,
        labels=tuple(labels),
    )


def queue(
    session: Session,
    filters: QueueFilter,
    now: dt.datetime,
    limit: int = 50,
    after: tuple[dt.datetime, int] | None = None,
) -> list[Row]:
    """Follow-ups matching *filters*, oldest due first (then by id), after the keyset *after*."""
    stmt = _rows_query()
    statuses = [s.value for s in (filters.status or OPEN)]
    # Literal values, so PostgreSQL sees that open statuses lie inside the partial index
    # ix_followups_open_due (a bound parameter would hide it from a generic plan).
    stmt = stmt.where(Followup.status.in_(_literal(statuses)))
    for column, values in (
        (Followup.brand, filters.brand),
        (Followup.country, filters.country),
        (Followup.touchpoint, filters.touchpoint),
    ):
        if values:
            stmt = stmt.where(column.in_(values))
    if filters.label:
        stmt = stmt.where(
            exists().where(
                ResponseLabel.response_id == Followup.response_id,
                or_(
                    ResponseLabel.label == filters.label,
                    ResponseLabel.label.startswith(filters.label + "/", autoescape=True),
                ),
            )
        )
    if filters.owner is not None:
        stmt = stmt.where(
            Followup.owner_id.is_(None)
            if filters.owner == 0
            else Followup.owner_id == filters.owner
        )
    if filters.older_than is not None:
        stmt = stmt.where(Followup.opened_at <= now - filters.older_than)
    if after is not None:
        due, ident = after
        stmt = stmt.where(
            or_(Followup.due_at > due, and_(Followup.due_at == due, Followup.id > ident))
        )
    found = session.execute(stmt.order_by(Followup.due_at, Followup.id).limit(limit)).all()
    labels = label_store.labels_of(session, [f.response_id for f, *_ in found])
    return [
        _row(f, owner, src, ext, comment, labels.get(f.response_id, ()))
        for f, owner, src, ext, comment in found
    ]


def _literal(values: Sequence[str]) -> BindParameter[Any]:
    return bindparam("statuses", list(values), expanding=True, literal_execute=True)


def get(session: Session, followup_id: int) -> Row:
    """Follow-up *followup_id* with its response and labels; NotFound if there is none."""
    if not 0 < followup_id <= MAX_ID:
        raise NotFound(_("no follow-up %(id)s", id=followup_id))
    found = session.execute(_rows_query().where(Followup.id == followup_id)).first()
    if found is None:
        raise NotFound(_("no follow-up %(id)s", id=followup_id))
    f, owner, src, ext, comment = found
    labels = label_store.labels_of(session, [f.response_id])
    return _row(f, owner, src, ext, comment, labels.get(f.response_id, ()))


def of_response(session: Session, response_id: int) -> int | None:
    """The id of response *response_id*'s follow-up, if it has one."""
    return session.scalar(select(Followup.id).where(Followup.response_id == response_id))


def history(session: Session, followup_id: int) -> list[Event]:
    """Every change of *followup_id*, oldest first."""
    return [
        Event(e.at, e.actor, e.field, e.from_value, e.to_value, e.note, e.version)
        for e in session.scalars(
            select(FollowupEvent)
            .where(FollowupEvent.followup_id == followup_id)
            .order_by(FollowupEvent.id)
        )
    ]


def people(session: Session) -> list[tuple[int, str]]:
    """Users who may own a follow-up (enabled ones), as (id, name), by name."""
    return [
        (row.id, row.name)
        for row in session.execute(
            select(User.id, User.name)
            .where(User.disabled_at.is_(None))
            .order_by(func.lower(User.name))
        )
    ]


# --- changing ------------------------------------------------------------------------


class _Unset:
    pass


#: "Leave the owner as it is" (None means "nobody").
UNSET: Any = _Unset()


@dataclass(slots=True)
class Change:
    """What a writer wants changed; anything left out stays."""

    status: Status | None = None
    owner_id: int | _Unset | None = field(default_factory=lambda: UNSET)
    reason: str | None = None
    note: str | None = None


def change(
    session: Session,
    followup_id: int,
    expected_version: int,
    actor: str,
    wanted: Change,
    rule: FollowupConfig,
    now: dt.datetime,
) -> Row:
    """Apply *wanted* to *followup_id* if it is still at *expected_version*; the row after.

    Raises NotFound, ChangeError (a move the status may not make, a missing reason,
    an owner who does not exist) or Conflict (someone else changed it first:
    nothing is written, the caller still holds what they typed).
    """
    if not 0 < followup_id <= MAX_ID:
        raise NotFound(_("no follow-up %(id)s", id=followup_id))
    current = session.get(Followup, followup_id)
    if current is None:
        raise NotFound(_("no follow-up %(id)s", id=followup_id))
    session.refresh(current)
    if current.version != expected_version:
        raise Conflict(current)
    note = check_text("note", wanted.note, MAX_NOTE)
    reason = check_text("reason", wanted.reason, MAX_REASON)
    status = Status(current.status)
    values: dict[str, Any] = {}
    events: list[tuple[str, str | None, str | None]] = []
    if wanted.status is not None and wanted.status != status:
        check_move(status, wanted.status, reason)
        stamp = stamps(wanted.status, current.first_contact_at, now)
        values.update(
            status=wanted.status.value,
            first_contact_at=stamp.first_contact_at,
            done_at=stamp.done_at,
            reason=reason if wanted.status == Status.closed else None,
        )
        events.append(("status", status.value, wanted.status.value))
    if not isinstance(wanted.owner_id, _Unset) and wanted.owner_id != current.owner_id:
        names = _names(session, [i for i in (current.owner_id, wanted.owner_id) if i is not None])
        if wanted.owner_id is not None and wanted.owner_id not in names:
            raise ChangeError("owner", _("no user with id %(id)s", id=wanted.owner_id))
        values["owner_id"] = wanted.owner_id
        events.append(
            ("owner", names.get(current.owner_id or -1), names.get(wanted.owner_id or -1))
        )
    if not events and note is None:
        return get(session, followup_id)
    if not events:
        events.append(("note", None, None))
    version = expected_version + 1
    # The version check and the write are one statement: of two writers who read the
    # same version, exactly one matches here.
    done = session.execute(
        update(Followup)
        .where(Followup.id == followup_id, Followup.version == expected_version)
        .values(version=version, updated_at=now, updated_by=actor, **values)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(current)
        raise Conflict(current)
    session.execute(
        insert(FollowupEvent),
        [
            {
                "followup_id": followup_id,
                "at": now,
                "actor": actor,
                "field": name,
                "from_value": old,
                "to_value": new,
                # The note goes with the last change it was written for.
                "note": note if i == len(events) - 1 else None,
                "version": version,
            }
            for i, (name, old, new) in enumerate(events)
        ],
    )
    session.refresh(current)
    if rule.webhook:
        _notify(session, [current], actor, events, note, now)
    versions.edited(session)
    return get(session, followup_id)


def _names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = list(ids)
    if not wanted:
        return {}
    return {
        row.id: row.name
        for row in session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    }


def _notify(
    session: Session,
    followups: Sequence[Followup],
    actor: str,
    events: Sequence[tuple[str, str | None, str | None]],
    note: str | None,
    now: dt.datetime,
) -> None:
    """Queue a followup.updated delivery per follow-up in the alert outbox (same transaction)."""
    if not followups:
        return
    owners = _names(session, [f.owner_id for f in followups if f.owner_id is not None])
    responses = {
        row.id: row
        for chunk in _chunks([f.response_id for f in followups])
        for row in session.execute(
            select(Response.id, Response.source, Response.external_id).where(Response.id.in_(chunk))
        )
    }
    session.execute(
        insert(AlertDelivery),
        [
            {
                "rule": HOOK,
                "response_id": None,
                "event": outbox_key(f.id, f.version),
                "payload": {
                    "event": HOOK,
                    "followup": state(f, owners.get(f.owner_id or -1)),
                    "response": {
                        "source": responses[f.response_id].source,
                        "id": responses[f.response_id].external_id,
                    },
                    "changes": [
                        {"field": name, "from": old, "to": new} for name, old, new in events
                    ],
                    "note": note,
                    "by": actor,
                    "at": now.isoformat(),
                },
                "created_at": now,
                "next_attempt_at": now,
                "attempts": 0,
            }
            for f in followups
        ],
    )


def outbox_key(followup_id: int, version: int) -> str:
    """The outbox ``event`` of a follow-up's change to *version* (unique per change)."""
    return f"followup|{followup_id}|{version}"


def state(f: Followup | Row, owner: str | None) -> dict[str, Any]:
    """A follow-up's state as the API and the CRM events carry it (JSON-ready)."""

    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": f.id,
        "response_id": f.response_id,
        "status": Status(f.status).value,
        "owner": owner,
        "owner_id": f.owner_id,
        "reason": f.reason,
        "version": f.version,
        "opened_at": iso(f.opened_at),
        "due_at": iso(f.due_at),
        "first_contact_at": iso(f.first_contact_at),
        "done_at": iso(f.done_at),
        "updated_at": iso(f.updated_at),
        "updated_by": f.updated_by,
        "brand": f.brand,
        "country": f.country,
        "touchpoint": f.touchpoint,
        "score": f.score,
    }


# --- erasure -------------------------------------------------------------------------


def forget(session: Session, response_ids: Sequence[int]) -> None:
    """Delete the follow-ups of *response_ids*, their history (notes) and queued notices."""
    for chunk in _chunks(list(response_ids)):
        found = session.execute(
            select(Followup.id, Followup.version).where(Followup.response_id.in_(chunk))
        ).all()
        if not found:
            continue
        ids = [row.id for row in found]
        keys = [outbox_key(row.id, v) for row in found for v in range(1, row.version + 1)]
        for part in _chunks(keys):
            session.execute(
                delete(AlertDelivery).where(
                    AlertDelivery.rule == HOOK, AlertDelivery.event.in_(part)
                )
            )
        session.execute(delete(FollowupEvent).where(FollowupEvent.followup_id.in_(ids)))
        session.execute(delete(Followup).where(Followup.id.in_(ids)))


# --- figures -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figures:
    """One group's follow-ups: open and overdue now, answer times over the window.

    ``group`` maps each dimension grouped by ("brand", "country") to its value;
    it is empty for the total.
    """

    group: dict[str, str]
    open: int
    overdue: int
    contact: Timing
    resolution: Timing


GROUPABLE = ("brand", "country", "touchpoint")
#: The follow-up columns of a figures table (the overview's CSV/XLSX), hours rounded to 0.1.
FIGURE_COLUMNS = (
    "followups_open",
    "followups_overdue",
    "first_contact_n",
    "first_contact_median_h",
    "first_contact_p90_h",
    "resolution_n",
    "resolution_median_h",
    "resolution_p90_h",
)


def figure_cells(f: Figures | None) -> list[Any]:
    """The :data:`FIGURE_COLUMNS` of *f* (zeros and blanks for a group without follow-ups)."""
    if f is None:
        return [0, 0, 0, None, None, 0, None, None]

    def r(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return [
        f.open,
        f.overdue,
        f.contact.n,
        r(f.contact.median_hours),
        r(f.contact.p90_hours),
        f.resolution.n,
        r(f.resolution.median_hours),
        r(f.resolution.p90_hours),
    ]


def figures(
    session: Session,
    now: dt.datetime,
    start: dt.datetime,
    end: dt.datetime,
    by: Sequence[str] = ("brand", "country"),
    brand: Collection[str] = (),
    country: Collection[str] = (),
    touchpoint: Collection[str] = (),
    with_total: bool = False,
) -> list[Figures]:
    """Per group of *by*: open and overdue at *now*; answer times of those opened in (start, end].

    Open counts have no window (a backlog does not age out of view); answer
    times follow :mod:`dashapp.followups.timing`. Sorted by the group's values;
    with ``by=()`` one row, the total (also when there are no follow-ups); with
    *with_total*, the groups and then the total, from one pass over the rows.
    """
    if any(name not in GROUPABLE for name in by):
        raise ValueError(f"group by {', '.join(GROUPABLE)} only")
    keys = [getattr(Followup, name) for name in by]
    if session.get_bind().dialect.name == "postgresql":
        # For this transaction only: starting parallel workers costs a small aggregate
        # more than it saves (245 against 72 ms measured on a busy 2-core host), and the
        # answer times' sort fits in memory instead of spilling to disk.
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        session.execute(text("SET LOCAL work_mem = '16MB'"))
    scope = []
    if brand:
        scope.append(Followup.brand.in_(list(brand)))
    if country:
        scope.append(Followup.country.in_(list(country)))
    if touchpoint:
        scope.append(Followup.touchpoint.in_(list(touchpoint)))
    backlog: dict[tuple[str, ...], tuple[int, int]] = {}
    stmt = select(
        *keys,
        func.count().label("open"),
        func.sum(case((Followup.due_at < now, 1), else_=0)).label("overdue"),
    ).where(Followup.status.in_(_literal([s.value for s in OPEN])), *scope)
    for row in session.execute(stmt.group_by(*keys) if keys else stmt):
        key = tuple(row[: len(keys)])
        if row.open:
            backlog[key] = (row.open, row.overdue or 0)
    total = with_total and bool(keys)
    if session.get_bind().dialect.name == "postgresql":
        timings = _timings_in_sql(session, keys, start, end, scope, total)
    else:
        timings = _timings_in_python(session, keys, start, end, scope, total)
    groups = sorted(k for k in set(backlog) | set(timings) if k) or ([()] if not keys else [])
    if total:
        # Counts add up; percentiles do not, so the total's came from the same pass.
        backlog[()] = (sum(o for o, _ in backlog.values()), sum(d for _, d in backlog.values()))
        groups.append(())
    empty = (Timing(0, None, None), Timing(0, None, None))
    result = []
    for key in groups:
        contact, resolution = timings.get(key, empty)
        open_, overdue = backlog.get(key, (0, 0))
        group = dict(zip(by, key, strict=True)) if key else {}
        result.append(Figures(group, open_, overdue, contact, resolution))
    return result


def _timings_in_sql(
    session: Session,
    keys: list[Any],
    start: dt.datetime,
    end: dt.datetime,
    scope: list[Any],
    total: bool = False,
) -> dict[tuple[str, ...], tuple[Timing, Timing]]:
    """Answer times per group, computed by PostgreSQL (``percentile_cont`` is type 7 too).

    The rows never leave the store: a busy month is many thousand follow-ups.
    """
    contact = extract("epoch", Followup.first_contact_at - Followup.opened_at) / 3600
    resolution = extract("epoch", Followup.done_at - Followup.opened_at) / 3600
    contacted = Followup.first_contact_at.is_not(None)
    resolved = Followup.status == Status.resolved.value

    def pct(value: Any, where: Any) -> Any:
        # Both fractions from one sort of the group's values.
        fractions = postgresql.array([0.5, 0.9], type_=Float)
        found = func.percentile_cont(fractions).within_group(value).filter(where)
        return type_coerce(found, ARRAY(Float))

    stmt = select(
        *keys,
        # 1 on the total's row of GROUPING SETS ((keys), ()).
        (func.grouping(*keys) if total else literal(0)).label("whole"),
        func.count().filter(contacted),
        pct(contact, contacted),
        func.count().filter(resolved),
        pct(resolution, resolved),
    ).where(
        Followup.opened_at > start,
        Followup.opened_at <= end,
        or_(contacted, Followup.status.in_([s.value for s in DONE])),
        *scope,
    )
    if total:
        stmt = stmt.group_by(func.grouping_sets(tuple_(*keys), text("()")))
    elif keys:
        stmt = stmt.group_by(*keys)
    found = {}
    for row in session.execute(stmt):
        key = () if row.whole else tuple(row[: len(keys)])
        c_n, c_q, r_n, r_q = row[len(keys) + 1 :]
        if c_n or r_n:
            found[key] = (_timing_of(c_n, c_q), _timing_of(r_n, r_q))
    return found


def _timing_of(n: int, quantiles: Sequence[Any] | None) -> Timing:
    if not n or not quantiles:
        return Timing(0, None, None)
    return Timing(n, float(quantiles[0]), float(quantiles[1]))


def _timings_in_python(
    session: Session,
    keys: list[Any],
    start: dt.datetime,
    end: dt.datetime,
    scope: list[Any],
    total: bool = False,
) -> dict[tuple[str, ...], tuple[Timing, Timing]]:
    """Answer times per group from the follow-ups' times (SQLite has no percentiles)."""
    items: dict[tuple[str, ...], list[Item]] = {}
    for row in session.execute(
        select(
            *keys,
            Followup.opened_at,
            Followup.first_contact_at,
            Followup.done_at,
            Followup.status,
        ).where(
            Followup.opened_at > start,
            Followup.opened_at <= end,
            or_(
                Followup.first_contact_at.is_not(None),
                Followup.status.in_([s.value for s in DONE]),
            ),
            *scope,
        )
    ):
        items.setdefault(tuple(row[: len(keys)]), []).append(
            Item(
                row.opened_at,
                row.first_contact_at,
                row.done_at,
                row.status == Status.resolved.value,
            )
        )
    if total and items:
        items[()] = [item for found in list(items.values()) for item in found]
    return {key: answer_times(found) for key, found in items.items()}


def _chunks(values: Sequence[Any]) -> Iterable[list[Any]]:
    for i in range(0, len(values), _CHUNK):
        yield list(values[i : i + _CHUNK])
