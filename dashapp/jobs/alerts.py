"""Closing the loop: alerts for matching responses, delivered to webhooks at least once.

Two scheduled jobs. The scanner reads responses stored since its high-water
mark and writes one delivery row per (rule, response) into the outbox, in one
transaction with the new mark, so nothing is enqueued twice or missed across
restarts. Only responses submitted within the alert horizon (default 24 hours)
are for alerts: a demo seed, an import or a source catching up on months of
history passes the mark over its old responses without enqueueing anything.
The deliverer posts due rows newest first (webhooks signed with HMAC-SHA256,
Slack as Block Kit, Teams as an Adaptive Card, or e-mail; redirects not
followed), so a fresh alert never waits behind a backlog, and records each
attempt; a 2xx ends a delivery, anything else is retried with exponential
backoff (1, 2, 4, ... 32 minutes: seven tries over about an hour) and then
marked failed. A 429 with Retry-After holds that receiver as long as it asks
(see :data:`MAX_HOLD`). Ingestion only ever writes rows: a slow or failing
receiver never delays it or the wall.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from dashapp.config import AlertRule, MailServer, Settings
from dashapp.figures.nps_engine import Drop, NpsEngine, rounded
from dashapp.followups.store import HOOK as FOLLOWUP_HOOK
from dashapp.i18n.core import N_, use_locale
from dashapp.i18n.core import current as current_language
from dashapp.i18n.core import gettext as _
from dashapp.jobs import channels
from dashapp.jobs import mail as smtp
from dashapp.labels import store as label_store
from dashapp.labels.sentiment import NAMES as SENTIMENT_NAMES
from dashapp.labels.taxonomy import Taxonomy
from dashapp.masking import mask as mask_text
from dashapp.metrics.nps import classify
from dashapp.metrics.queries import Filters
from dashapp.store import rules as rule_store
from dashapp.store.models import AlertDelivery, Response, StoreMeta
from dashapp.store.upsert import upsert

log = logging.getLogger(__name__)
# httpx logs every request's full URL at INFO (httpcore its parts at DEBUG); a Slack or
# Teams webhook URL is a credential, its path the secret. Deliveries log the host only.
for _noisy in ("httpx", "httpcore"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)
MARK = "alerts_scanned_id"
MAX_ATTEMPTS = 7
FIRST_RETRY = dt.timedelta(minutes=1)
SCAN_BATCH = 5_000
DELIVER_BATCH = 100
#: Rules as given to the jobs: fixed, or asked for each round (TOML plus /admin rules).
Rules = Sequence[AlertRule] | Callable[[], Sequence[AlertRule]]
#: Responses submitted longer ago than this never alert (Settings.alert_horizon_hours).
DEFAULT_HORIZON = dt.timedelta(hours=24)
SIGNATURE_HEADER = "X-FeedbackWall-Signature"
DELIVERY_HEADER = "X-FeedbackWall-Delivery"
#: The longest pause a receiver's Retry-After can ask for; a rate-limited alert is
#: retried at the receiver's pace for up to a day (24 such pauses).
MAX_HOLD = dt.timedelta(hours=1)


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
                # Machine-facing: English, whatever language the rule's mails are in.
                "name": taxonomy.path_name(label, "en")
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
    """The e-mail for an alert: what happened in the subject, the words in the body; in the
    rule's language (``language``; the settings fill in the app's default)."""
    with use_locale(rule.language):
        return _mail_message(rule, delivery, body)


def _mail_message(rule: AlertRule, delivery: int, body: dict[str, Any]) -> EmailMessage:
    message = EmailMessage()
    message["To"] = ", ".join(rule.email)
    message[DELIVERY_HEADER] = str(delivery)
    message["Content-Language"] = current_language()
    if "drop" in body:
        d = body["drop"]
        cell = f"{d['brand']} {d['country']}"
        drop = _(
            "NPS drop: %(cell)s %(before)s -> %(now)s",
            cell=cell,
            before=d["nps_before"],
            now=d["nps_now"],
        )
        message["Subject"] = f"[Feedback Wall] {drop}"
        text = _(
            "NPS of %(cell)s over the last %(days)s days: %(now)s (n %(n_now)s),"
            " against %(before)s (n %(n_before)s) before; z = %(z)s.",
            cell=cell,
            days=d["window_days"],
            now=d["nps_now"],
            n_now=d["n_now"],
            before=d["nps_before"],
            n_before=d["n_before"],
            z=d["z"],
        )
    else:
        r = body["response"]
        where = f"{r['brand']} · {r['country']} · {r['touchpoint']}"
        message["Subject"] = f"[Feedback Wall] {r['score']}/10: {where}"
        about = ", ".join(f"{lbl['name']} ({lbl['sentiment']})" for lbl in body.get("labels", []))
        text = f"{r['comment'] or _('(no comment)')}\n\n{where} · {r['submitted_at']}"
        if about:
            text += "\n" + _("Labels: %(labels)s", labels=about)
    message.set_content(f"{text}\n\n" + _("Alert rule: %(name)s", name=rule.name))
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
        return _("delivered %(when)s", when=f"{row.delivered_at:%Y-%m-%d %H:%M:%S} UTC")
    if row.failed_at:
        return _("FAILED %(when)s", when=f"{row.failed_at:%Y-%m-%d %H:%M:%S} UTC")
    return _("pending, next try %(when)s", when=f"{row.next_attempt_at:%H:%M:%S} UTC")


def last_problem(row: AlertDelivery) -> str:
    """What the last failed attempt got (HTTP status or error), or "" when none failed."""
    if not row.attempts or row.delivered_at:
        return ""
    if row.last_status:
        return str(row.last_status)
    # A sentence the app wrote is stored as its msgid and shown translated; a receiver's
    # or a library's text matches no msgid and stays as it came.
    return _(row.last_error) if row.last_error else ""


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


def scan_drops(engine: NpsEngine, rules: Rules, now: dt.datetime) -> int:
    """Enqueue one delivery per drop rule, cell and UTC day while the cell's drop lasts.

    A rule's ``min_n`` and ``drop_points`` narrow what counts; its cooldown keeps a
    cell quiet for that long after its last alert.
    """
    rows = []
    with engine.sessions() as session:
        last = _last_fired(session)
    for rule in (r for r in _rules_of(rules) if r.kind == "drop"):
        filters = Filters(tuple(rule.brand), tuple(rule.country), tuple(rule.touchpoint))
        for drop in engine.drops(
            ("brand", "country"), window=rule.window, as_of=now, filters=filters
        ):
            if min(drop.current.n, drop.previous.n) < rule.min_n:
                continue
            if -(drop.change.delta or 0.0) < rule.drop_points:
                continue
            cell = f"drop|{drop.group['brand']}|{drop.group['country']}"
            fired = last.get((rule.name, cell))
            if rule.cooldown_minutes and fired and now - fired < _cooldown(rule):
                continue
            rows.append(
                {
                    "rule": rule.name,
                    "event": f"{cell}|{now.date().isoformat()}",
                    "payload": drop_payload(rule, drop),
                    "created_at": now,
                    "next_attempt_at": now,
                    "attempts": 0,
                }
            )
    with engine.sessions.begin() as session:
        upsert(session, AlertDelivery.__table__, rows, keys=("rule", "event"))
    return len(rows)


def _cooldown(rule: AlertRule) -> dt.timedelta:
    return dt.timedelta(minutes=rule.cooldown_minutes)


def _last_fired(session: Session) -> dict[tuple[str, str], dt.datetime]:
    """When each (rule, drop cell) last alerted: ``("drops", "drop|Velora|DE")``."""
    found: dict[tuple[str, str], dt.datetime] = {}
    rows = session.execute(
        select(AlertDelivery.rule, AlertDelivery.event, func.max(AlertDelivery.created_at))
        .where(AlertDelivery.event.like("drop|%"))
        .group_by(AlertDelivery.rule, AlertDelivery.event)
    )
    for rule, event, created in rows:
        key = (rule, (event or "").rsplit("|", 1)[0])
        found[key] = max(found.get(key, created), created)
    return found


def _rules_of(rules: Rules) -> Sequence[AlertRule]:
    return rules() if callable(rules) else rules


def rules_in_force(
    sessions: sessionmaker[Session], configured: Sequence[AlertRule]
) -> list[AlertRule]:
    """The configuration's rules and the stored ones not paused (a rule per name)."""
    with sessions() as session:
        stored = rule_store.active(session)
    names = {rule.name for rule in configured}
    return [*configured, *(rule for rule in stored if rule.name not in names)]


@dataclass(frozen=True, slots=True)
class RuleState:
    """How a rule's alerts fare: when it last fired, its deliveries by state."""

    last_fired: dt.datetime | None = None
    delivered: int = 0
    pending: int = 0
    failed: int = 0


def rule_states(sessions: sessionmaker[Session]) -> dict[str, RuleState]:
    """:class:`RuleState` per rule name that ever fired."""
    delivered = func.count(AlertDelivery.delivered_at)
    failed = func.count(AlertDelivery.failed_at)
    with sessions() as session:
        rows = session.execute(
            select(
                AlertDelivery.rule,
                func.max(AlertDelivery.created_at),
                delivered,
                failed,
                func.count(),
            ).group_by(AlertDelivery.rule)
        ).all()
    return {rule: RuleState(last, ok, total - ok - bad, bad) for rule, last, ok, bad, total in rows}


def sample_payload(rule: AlertRule, now: dt.datetime) -> dict[str, Any]:
    """A made-up alert for *rule* ("Send a test"): a drop, or a response it would match."""
    if rule.kind == "drop":
        return {
            "rule": rule.name,
            "test": True,
            "drop": {
                "brand": (rule.brand or ["Example brand"])[0],
                "country": (rule.country or ["DE"])[0],
                "window_days": rule.window,
                "nps_before": 42.0,
                "nps_now": 18.5,
                "n_before": 120,
                "n_now": 96,
                "z": -2.4,
            },
        }
    score = rule.max_score
    return {
        "rule": rule.name,
        "test": True,
        "labels": [],
        "response": {
            "source": "test",
            "id": "test",
            "submitted_at": now.isoformat(),
            "brand": (rule.brand or ["Example brand"])[0],
            "country": (rule.country or ["DE"])[0],
            "touchpoint": (rule.touchpoint or ["delivery"])[0],
            "score": score,
            "score_class": classify(score).value,
            "comment": "A test from Feedback Wall: this is what an alert of this rule looks like.",
            "language": "en",
            "properties": {},
        },
    }


def send_test(
    rule: AlertRule,
    *,
    mail: MailServer,
    mask: Callable[[str], str] = mask_text,
    base_url: str = "http://127.0.0.1:8050",
    timeout: float = 10.0,
) -> Answer:
    """Deliver a sample alert through *rule*'s channel now, outside the outbox; the answer."""
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        return send(
            rule,
            0,
            sample_payload(rule, dt.datetime.now(dt.UTC)),
            client=client,
            mail=mail,
            mask=mask,
            base_url=base_url,
        )


def scan(
    sessions: sessionmaker[Session],
    rules: Rules,
    now: dt.datetime,
    horizon: dt.timedelta = DEFAULT_HORIZON,
) -> int:
    """Enqueue deliveries for responses stored since the last scan; returns how many.

    Only responses submitted after ``now - horizon`` alert: history, backfills and
    the demo seed are passed over (the mark moves past them), never enqueued. The
    first scan of a store starts at its newest response. A rule in its cooldown
    passes over what it matches.
    """
    rules = [r for r in _rules_of(rules) if r.kind == "response"]
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
        if not rules:  # nothing to match: pass over what came in
            mark.value = top
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
        _digest, taxonomy = label_store.current(session)
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
        rows = _cooled(session, rules, rows, now)
        upsert(session, AlertDelivery.__table__, rows, keys=("rule", "response_id"))
        # A full batch leaves the rest (up to *top*) for the next scan.
        mark.value = fresh[-1].id if len(fresh) == SCAN_BATCH else top
        return len(rows)


def _cooled(
    session: Session, rules: Sequence[AlertRule], rows: list[dict[str, Any]], now: dt.datetime
) -> list[dict[str, Any]]:
    """*rows* less those of rules still in their cooldown (one alert per cooldown)."""
    cooling = {r.name: _cooldown(r) for r in rules if r.cooldown_minutes}
    if not cooling:
        return rows
    last: dict[str, dt.datetime] = dict(
        session.execute(
            select(AlertDelivery.rule, func.max(AlertDelivery.created_at))
            .where(AlertDelivery.rule.in_(cooling))
            .group_by(AlertDelivery.rule)
        ).all()
    )
    kept = []
    for row in rows:
        pause = cooling.get(row["rule"])
        if pause is not None:
            fired = last.get(row["rule"])
            if fired is not None and now - fired < pause:
                continue
            last[row["rule"]] = now
        kept.append(row)
    return kept


@dataclass(frozen=True, slots=True)
class Answer:
    """What a receiver said to one attempt: HTTP status (250 for SMTP) or an error."""

    status: int | None = None
    error: str | None = None
    #: The start of the receiver's answer (Slack says "ok" or why not).
    text: str = ""
    #: Seconds the receiver asked us to wait (a 429's or 503's Retry-After).
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        """Whether the receiver took it (2xx; SMTP's 250 is one too)."""
        return self.status is not None and 200 <= self.status < 300


def retry_after(value: str | None) -> float | None:
    """A Retry-After header's seconds (delta-seconds or an HTTP date), at most MAX_HOLD."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - dt.datetime.now(dt.UTC)).total_seconds()
    return min(max(seconds, 1.0), MAX_HOLD.total_seconds())


def target(rule: AlertRule) -> str:
    """Where *rule* posts (a URL, or the mail recipients): rate limits are held per target."""
    return rule.webhook or rule.slack or rule.teams or ",".join(rule.email)


def send(
    rule: AlertRule,
    delivery: int,
    body: dict[str, Any],
    *,
    client: httpx.Client,
    mail: MailServer,
    mask: Callable[[str], str] = mask_text,
    base_url: str = "http://127.0.0.1:8050",
) -> Answer:
    """Post one alert *body* through *rule*'s channel once; what the receiver answered."""
    if rule.email:
        try:
            smtp.send(mail, mail_message(rule, delivery, body))
        except OSError as exc:  # smtplib's errors are OSErrors too
            return Answer(error=f"{type(exc).__name__}: {exc}")
        return Answer(status=250, text="accepted")
    headers = {"Content-Type": "application/json", DELIVERY_HEADER: str(delivery)}
    if rule.webhook:
        assert rule.secret is not None
        url = rule.webhook
        content = json.dumps({"delivery": delivery, **body}, ensure_ascii=False).encode()
        headers[SIGNATURE_HEADER] = sign(rule.secret, content)
    else:
        # Slack and Teams messages are read by people: in the rule's language, as its mails.
        with use_locale(rule.language):
            summary = channels.summarise(body, mask, base_url)
            if rule.slack:
                url, message = rule.slack, channels.slack_message(summary)
            else:
                assert rule.teams is not None
                url, message = rule.teams, channels.teams_message(summary)
        content = json.dumps(message, ensure_ascii=False).encode()
    try:
        reply = client.post(url, content=content, headers=headers)
    except httpx.HTTPError as exc:
        return Answer(error=f"{type(exc).__name__}: {exc}")
    wait = (
        retry_after(reply.headers.get("Retry-After")) if reply.status_code in (429, 503) else None
    )
    return Answer(status=reply.status_code, text=reply.text[:500], retry_after=wait)


class Deliverer:
    """Posts due deliveries through their rules' channels (webhook, mail, Slack, Teams)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        rules: Rules,
        mail: MailServer | None = None,
        timeout: float = 10.0,
        *,
        mask: Callable[[str], str] = mask_text,
        base_url: str = "http://127.0.0.1:8050",
    ) -> None:
        self.sessions = sessions
        # A callable is asked each round: rules made on /admin take effect without a restart.
        self._rules = rules
        self.mail = mail or MailServer()
        self.mask = mask
        self.base_url = base_url
        self.client = httpx.Client(timeout=timeout, follow_redirects=False)
        #: Targets that asked us to wait (429 with Retry-After), until when.
        self.hold: dict[str, dt.datetime] = {}

    @property
    def rules(self) -> dict[str, AlertRule]:
        """The rules in force, by name."""
        return {rule.name: rule for rule in _rules_of(self._rules)}

    def deliver(self, now: dt.datetime | None = None) -> int:
        """Try up to DELIVER_BATCH due deliveries once, newest first; how many were acknowledged.

        Newest first: a backlog (a receiver down for hours, retries piling up) is
        worked off behind fresh alerts, never in front of them. A target that
        answered 429 is not asked again before its Retry-After has passed.
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
        rules = self.rules
        return sum(self._attempt(item, rules.get(item.rule), now) for item in due)

    def _attempt(self, item: AlertDelivery, rule: AlertRule | None, now: dt.datetime) -> bool:
        if rule is not None and self.hold.get(target(rule), now) > now:
            return False  # that receiver asked for a pause: not an attempt
        if rule is None:
            # Stored as its msgid: the delivery log shows it in the reader's language.
            answer = Answer(error=N_("the rule is no longer configured"))
        else:
            answer = send(
                rule,
                item.id,
                item.payload,
                client=self.client,
                mail=self.mail,
                mask=self.mask,
                base_url=self.base_url,
            )
        attempts = item.attempts + 1
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_status": answer.status,
            "last_error": answer.error,
        }
        if answer.ok:
            values["delivered_at"] = now
        elif (
            rule is not None
            and answer.retry_after is not None
            and now - item.created_at < MAX_HOLD * 24
        ):
            # Rate limited: wait as asked (not the backoff); it is the receiver's pace, not a fault.
            until = now + dt.timedelta(seconds=answer.retry_after)
            self.hold[target(rule)] = until
            values["next_attempt_at"] = until
        elif attempts >= MAX_ATTEMPTS or rule is None:
            values["failed_at"] = now
            log.warning(
                "alert %s to %s failed for good: %s",
                item.id,
                item.rule,
                answer.error or answer.status,
            )
        else:
            values["next_attempt_at"] = now + retry_delay(attempts)
        with self.sessions.begin() as session:
            session.execute(
                update(AlertDelivery).where(AlertDelivery.id == item.id).values(**values)
            )
        return answer.ok
