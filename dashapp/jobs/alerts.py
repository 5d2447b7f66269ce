"""Closing the loop: alerts for matching responses, delivered to webhooks at least once.

Two scheduled jobs. The scanner reads responses stored since its high-water
mark and writes one delivery row per (rule, response) into the outbox, in one
transaction with the new mark, so nothing is enqueued twice or missed across
restarts. Only responses submitted within the alert horizon (default 24 hours)
are for alerts: a demo seed, an import or a source catching up on months of
history passes the mark over its old responses without enqueueing anything.
The deliverer posts due rows newest first (signed with HMAC-SHA256, redirects
not followed), so a fresh alert never waits behind a backlog, and records each
attempt; a 2xx ends a delivery, anything else is retried with exponential
backoff (1, 2, 4, ... 32 minutes: seven tries over about an hour) and then
marked failed. Ingestion only ever writes rows: a slow or failing receiver
never delays it or the wall.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Sequence
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from dashapp.config import AlertRule, MailServer, Settings
from dashapp.figures.nps_engine import Drop, NpsEngine, rounded
from dashapp.followups.store import HOOK as FOLLOWUP_HOOK
from dashapp.jobs import mail as smtp
from dashapp.labels import store as label_store
from dashapp.labels.sentiment import NAMES as SENTIMENT_NAMES
from dashapp.labels.taxonomy import Taxonomy
from dashapp.metrics.nps import classify
from dashapp.metrics.queries import Filters
from dashapp.store.models import AlertDelivery, Response, StoreMeta
from dashapp.store.upsert import upsert

log = logging.getLogger(__name__)
MARK = "alerts_scanned_id"
MAX_ATTEMPTS = 7
FIRST_RETRY = dt.timedelta(minutes=1)
SCAN_BATCH = 5_000
DELIVER_BATCH = 100
#: Responses submitted longer ago than this never alert (Settings.alert_horizon_hours).
DEFAULT_HORIZON = dt.timedelta(hours=24)
SIGNATURE_HEADER = "X-FeedbackWall-Signature"
DELIVERY_HEADER = "X-FeedbackWall-Delivery"


def matches(rule: AlertRule, response: Response, labels: Sequence[tuple[str, int]] = ()) -> bool:
    """Whether *response*, carrying *labels* (id, sentiment), triggers *rule* (pure)."""
    return (
        rule.min_score <= response.score <= rule.max_score
        and (not rule.brand or response.brand in rule.brand)
        and (not rule.country or response.country in rule.country)
        and (not rule.touchpoint or response.touchpoint in rule.touchpoint)
        and (not rule.with_comment or bool(response.comment))
        and (not rule.labels or any(label in rule.labels for label, _ in labels))
    )


def payload(
    rule: AlertRule,
    response: Response,
    labels: Sequence[tuple[str, int]] = (),
    taxonomy: Taxonomy | None = None,
) -> dict[str, Any]:
    """The JSON a webhook receives: the rule, the response as stored (unmasked), its labels."""
    return {
        "rule": rule.name,
        "labels": [
            {
                "id": label,
                "name": taxonomy.path_name(label)
                if taxonomy is not None and label in taxonomy.labels
                else label,
                "sentiment": SENTIMENT_NAMES[sentiment],
            }
            for label, sentiment in labels
        ],
        "response": {
            "source": response.source,
            "id": response.external_id,
            "submitted_at": response.submitted_at.isoformat(),
            "brand": response.brand,
            "country": response.country,
            "touchpoint": response.touchpoint,
            "score": response.score,
            "score_class": classify(response.score).value,
            "comment": response.comment,
            "language": response.language,
            "properties": response.properties,
        },
    }


def delivery_rules(settings: Settings) -> list[AlertRule]:
    """The configured alert rules and, when the CRM's webhook is set, the followup.updated one.

    Follow-up changes queue their notices in the same outbox (rule ``followup.updated``),
    so they are signed, retried and logged as alerts are.
    """
    rules = list(settings.alerts)
    hook = settings.followups
    if hook.webhook and hook.secret:
        rules.append(AlertRule(name=FOLLOWUP_HOOK, webhook=hook.webhook, secret=hook.secret))
    return rules


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: ``sha256=<hex HMAC of the body>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def mail_message(rule: AlertRule, delivery: int, body: dict[str, Any]) -> EmailMessage:
    """The e-mail for an alert: what happened in the subject, the words in the body."""
    message = EmailMessage()
    message["To"] = ", ".join(rule.email)
    message[DELIVERY_HEADER] = str(delivery)
    if "drop" in body:
        d = body["drop"]
        cell = f"{d['brand']} {d['country']}"
        message["Subject"] = f"[Feedback Wall] NPS drop: {cell} {d['nps_before']} -> {d['nps_now']}"
        text = (
            f"NPS of {cell} over the last {d['window_days']} days: {d['nps_now']} (n {d['n_now']}),"
            f" against {d['nps_before']} (n {d['n_before']}) before; z = {d['z']}."
        )
    else:
        r = body["response"]
        where = f"{r['brand']} · {r['country']} · {r['touchpoint']}"
        message["Subject"] = f"[Feedback Wall] {r['score']}/10: {where}"
        about = ", ".join(f"{lbl['name']} ({lbl['sentiment']})" for lbl in body.get("labels", []))
        text = f"{r['comment'] or '(no comment)'}\n\n{where} · {r['submitted_at']}"
        if about:
            text += f"\nLabels: {about}"
    message.set_content(f"{text}\n\nAlert rule: {rule.name}")
    return message


def delivery_log(session: Session, limit: int = 50) -> list[AlertDelivery]:
    """The newest *limit* deliveries of the outbox, newest first (the delivery log)."""
    return list(
        session.scalars(select(AlertDelivery).order_by(AlertDelivery.id.desc()).limit(limit))
    )


def recent_deliveries(sessions: sessionmaker[Session], limit: int = 50) -> list[AlertDelivery]:
    """:func:`delivery_log` in a transaction of its own (for the admin page)."""
    with sessions() as session:
        return delivery_log(session, limit)


def delivery_state(row: AlertDelivery) -> str:
    """A delivery's fate in words: delivered, failed or pending (times in UTC)."""
    if row.delivered_at:
        return f"delivered {row.delivered_at:%Y-%m-%d %H:%M:%S} UTC"
    if row.failed_at:
        return f"FAILED {row.failed_at:%Y-%m-%d %H:%M:%S} UTC"
    return f"pending, next try {row.next_attempt_at:%H:%M:%S} UTC"


def last_problem(row: AlertDelivery) -> str:
    """What the last failed attempt got (HTTP status or error), or "" when none failed."""
    if not row.attempts or row.delivered_at:
        return ""
    return str(row.last_status or row.last_error or "")


def retry_delay(attempts: int) -> dt.timedelta:
    """Wait before the next try after *attempts* failed ones: 1, 2, 4 ... minutes."""
    return FIRST_RETRY * 2 ** max(0, attempts - 1)


def drop_payload(rule: AlertRule, drop: Drop) -> dict[str, Any]:
    """The JSON a webhook receives for a significant drop (pure)."""
    return {
        "rule": rule.name,
        "drop": {
            **drop.group,
            "window_days": rule.window,
            "nps_before": rounded(drop.previous.nps),
            "nps_now": rounded(drop.current.nps),
            "n_before": drop.previous.n,
            "n_now": drop.current.n,
            "z": rounded(drop.change.z),
        },
    }


def scan_drops(engine: NpsEngine, rules: Sequence[AlertRule], now: dt.datetime) -> int:
    """Enqueue one delivery per drop rule, cell and UTC day while the cell's drop lasts."""
    rows = []
    for rule in (r for r in rules if r.kind == "drop"):
        filters = Filters(tuple(rule.brand), tuple(rule.country), tuple(rule.touchpoint))
        for drop in engine.drops(
            ("brand", "country"), window=rule.window, as_of=now, filters=filters
        ):
            event = f"drop|{drop.group['brand']}|{drop.group['country']}|{now.date().isoformat()}"
            rows.append(
                {
                    "rule": rule.name,
                    "event": event,
                    "payload": drop_payload(rule, drop),
                    "created_at": now,
                    "next_attempt_at": now,
                    "attempts": 0,
                }
            )
    with engine.sessions.begin() as session:
        upsert(session, AlertDelivery.__table__, rows, keys=("rule", "event"))
    return len(rows)


def scan(
    sessions: sessionmaker[Session],
    rules: Sequence[AlertRule],
    now: dt.datetime,
    horizon: dt.timedelta = DEFAULT_HORIZON,
) -> int:
    """Enqueue deliveries for responses stored since the last scan; returns how many.

    Only responses submitted after ``now - horizon`` alert: history, backfills and
    the demo seed are passed over (the mark moves past them), never enqueued. The
    first scan of a store starts at its newest response.
    """
    rules = [r for r in rules if r.kind == "response"]
    cutoff = now - horizon
    with sessions.begin() as session:
        mark = session.get(StoreMeta, MARK)
        if mark is None:
            newest = session.scalar(select(Response.id).order_by(Response.id.desc()).limit(1)) or 0
            session.add(StoreMeta(key=MARK, value=newest))
            return 0
        top = session.scalar(select(func.max(Response.id)).where(Response.id > mark.value))
        if top is None:
            return 0
        # Old responses are filtered in the query: a backfill of a million rows costs
        # one pass over its ids, not two hundred scans that would delay fresh alerts.
        fresh = session.scalars(
            select(Response)
            .where(
                Response.id > mark.value,
                Response.id <= top,
                Response.submitted_at > cutoff,
            )
            .order_by(Response.id)
            .limit(SCAN_BATCH)
        ).all()
        labels = label_store.labels_of(session, [r.id for r in fresh])
        _, taxonomy = label_store.current(session)
        rows = [
            {
                "rule": rule.name,
                "response_id": response.id,
                "payload": payload(rule, response, labels.get(response.id, ()), taxonomy),
                "created_at": now,
                "next_attempt_at": now,
                "attempts": 0,
            }
            for response in fresh
            for rule in rules
            if matches(rule, response, labels.get(response.id, ()))
        ]
        upsert(session, AlertDelivery.__table__, rows, keys=("rule", "response_id"))
        # A full batch leaves the rest (up to *top*) for the next scan.
        mark.value = fresh[-1].id if len(fresh) == SCAN_BATCH else top
        return len(rows)


class Deliverer:
    """Posts due deliveries to their rules' webhooks."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        rules: Sequence[AlertRule],
        mail: MailServer | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.sessions = sessions
        self.rules = {rule.name: rule for rule in rules}
        self.mail = mail or MailServer()
        self.client = httpx.Client(timeout=timeout, follow_redirects=False)

    def deliver(self, now: dt.datetime | None = None) -> int:
        """Try up to DELIVER_BATCH due deliveries once, newest first; how many were acknowledged.

        Newest first: a backlog (a receiver down for hours, retries piling up) is
        worked off behind fresh alerts, never in front of them.
        """
        now = now or dt.datetime.now(dt.UTC)
        with self.sessions() as session:
            due = session.scalars(
                select(AlertDelivery)
                .where(
                    AlertDelivery.delivered_at.is_(None),
                    AlertDelivery.failed_at.is_(None),
                    AlertDelivery.next_attempt_at <= now,
                )
                .order_by(AlertDelivery.id.desc())
                .limit(DELIVER_BATCH)
            ).all()
        return sum(self._attempt(item, now) for item in due)

    def _attempt(self, item: AlertDelivery, now: dt.datetime) -> bool:
        rule = self.rules.get(item.rule)
        status, error = None, None
        if rule is None:
            error = "the rule is no longer configured"
        elif rule.email:
            try:
                smtp.send(self.mail, mail_message(rule, item.id, item.payload))
                status = 250  # SMTP's "accepted"
            except OSError as exc:  # smtplib's errors are OSErrors too
                error = f"{type(exc).__name__}: {exc}"
        else:
            assert rule.webhook is not None
            assert rule.secret is not None
            body = json.dumps({"delivery": item.id, **item.payload}, ensure_ascii=False).encode()
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(rule.secret, body),
                DELIVERY_HEADER: str(item.id),
            }
            try:
                status = self.client.post(rule.webhook, content=body, headers=headers).status_code
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
        ok = status is not None and 200 <= status < 300
        attempts = item.attempts + 1
        values: dict[str, Any] = {"attempts": attempts, "last_status": status, "last_error": error}
        if ok:
            values["delivered_at"] = now
        elif attempts >= MAX_ATTEMPTS or rule is None:
            values["failed_at"] = now
            log.warning("alert %s to %s failed for good: %s", item.id, item.rule, error or status)
        else:
            values["next_attempt_at"] = now + retry_delay(attempts)
        with self.sessions.begin() as session:
            session.execute(
                update(AlertDelivery).where(AlertDelivery.id == item.id).values(**values)
            )
        return ok
