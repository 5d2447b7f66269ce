"""The store's tables as typed SQLAlchemy 2.x models."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC.

    Naive UTC keeps SQLite's text timestamps sortable and identical to
    PostgreSQL's, so range predicates use the same index on both.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


JSONType = JSON().with_variant(JSON(none_as_null=True), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Response(Base):
    """One survey answer: an NPS score with an optional comment."""

    __tablename__ = "responses"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_responses_submitted_at_id", "submitted_at", "id"),
        # Covering index for the raw edges of a window (see queries.window_parts).
        Index("ix_responses_window", "submitted_at", "brand", "country", "touchpoint", "score"),
        # The drill-down's score orders: one score at a time, newest first.
        Index("ix_responses_score_time", "score", "submitted_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(128))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    brand: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2))
    touchpoint: Mapped[str] = mapped_column(String(32))
    score: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    properties: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: Digest of the record as received; same id + same digest = duplicate.
    content_hash: Mapped[str] = mapped_column(String(32))
    ingested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


#: What most readers take of a response: which one, when, its cell and its score
#: (follow-ups opened, labels' copies, the feed and drill-down select it, then their own).
RESPONSE_HEAD = (
    Response.id,
    Response.submitted_at,
    Response.brand,
    Response.country,
    Response.touchpoint,
    Response.score,
)


class Rollup(Base):
    """Counts per time bucket x brand x country x touchpoint, kept current on ingest.

    ``grain`` is ``"d"`` (UTC day), ``"h"`` (UTC hour) or ``"l"`` (a local day of
    the display zone the store keeps, :mod:`dashapp.store.local_zone`; none when
    that is UTC); ``bucket`` is the bucket's first instant, in UTC. Windows read
    whole days, then whole hours, then raw rows at the edges, and a local day is
    one bucket, so a query costs buckets, not responses.
    """

    __tablename__ = "rollups"
    __table_args__ = (
        # A brand's drill-down over months: only that brand's buckets, counts from the index
        # (on PostgreSQL), not every brand's rows of the range (issue #17, docs/benchmarks.md).
        Index(
            "ix_rollups_brand",
            "grain",
            "brand",
            "bucket",
            postgresql_include=[
                "country",
                "touchpoint",
                "n",
                "promoters",
                "passives",
                "detractors",
            ],
        ),
    )

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket: Mapped[dt.datetime] = mapped_column(UTCDateTime(), primary_key=True)
    brand: Mapped[str] = mapped_column(String(64), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    touchpoint: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    promoters: Mapped[int] = mapped_column(Integer, default=0)
    passives: Mapped[int] = mapped_column(Integer, default=0)
    detractors: Mapped[int] = mapped_column(Integer, default=0)


class ResponseLabel(Base):
    """A label a response's comment carries, with the sentiment of its clauses.

    The response's time, brand, country, touchpoint and score are repeated
    (they never change without its labels being rewritten), so a label's
    drill-down pages and filters on one index, as the response list does.
    """

    __tablename__ = "response_labels"
    __table_args__ = (
        Index(
            "ix_response_labels_label_time",
            "label",
            "submitted_at",
            "response_id",
            "brand",
            "country",
            "touchpoint",
            "score",
        ),
    )

    response_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    label: Mapped[str] = mapped_column(String(120), primary_key=True)
    #: 1 positive, 0 neutral, -1 negative.
    sentiment: Mapped[int] = mapped_column(SmallInteger)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    brand: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2))
    touchpoint: Mapped[str] = mapped_column(String(32))
    score: Mapped[int] = mapped_column(SmallInteger)


class LabelRollup(Base):
    """Counts per time bucket x brand x country x touchpoint x label, kept current on ingest.

    The label ``*`` counts every commented response (labelled or not): the
    denominator of a label's share and of "most problematic". Buckets as in
    :class:`Rollup`.
    """

    __tablename__ = "label_rollups"
    __table_args__ = (
        # As ix_rollups_brand: a brand's label figures read only its own label rollups.
        Index(
            "ix_label_rollups_brand",
            "grain",
            "brand",
            "bucket",
            postgresql_include=[
                "label",
                "country",
                "touchpoint",
                "promoters",
                "passives",
                "detractors",
                "positive",
                "neutral",
                "negative",
            ],
        ),
    )

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket: Mapped[dt.datetime] = mapped_column(UTCDateTime(), primary_key=True)
    label: Mapped[str] = mapped_column(String(120), primary_key=True)
    brand: Mapped[str] = mapped_column(String(64), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    touchpoint: Mapped[str] = mapped_column(String(32), primary_key=True)
    promoters: Mapped[int] = mapped_column(Integer, default=0)
    passives: Mapped[int] = mapped_column(Integer, default=0)
    detractors: Mapped[int] = mapped_column(Integer, default=0)
    positive: Mapped[int] = mapped_column(Integer, default=0)
    neutral: Mapped[int] = mapped_column(Integer, default=0)
    negative: Mapped[int] = mapped_column(Integer, default=0)


class TaxonomyVersion(Base):
    """A label taxonomy as imported (TOML text); the newest row is the one in force."""

    __tablename__ = "taxonomies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: Who or what imported it, e.g. "cli: taxonomy.toml" or "theme 12".
    origin: Mapped[str] = mapped_column(String(200), default="")


class Theme(Base):
    """A theme found by discovery: a cluster of recent comments, named by its terms."""

    __tablename__ = "themes"
    __table_args__ = (Index("ix_themes_run", "run_at", "scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: "unlabelled" (comments no label covers) or "all".
    scope: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    terms: Mapped[list[str]] = mapped_column(JSONType)
    size: Mapped[int] = mapped_column(Integer)
    #: Comments in the theme this week and the week before (for "new" and "growing").
    this_week: Mapped[int] = mapped_column(Integer, default=0)
    last_week: Mapped[int] = mapped_column(Integer, default=0)
    examples: Mapped[list[int]] = mapped_column(JSONType)
    #: The label created from this theme, if any.
    label: Mapped[str | None] = mapped_column(String(120))


class SourceState(Base):
    """A poller's persisted cursor and health."""

    __tablename__ = "source_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    last_poll_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    #: Newest submitted_at seen from this source, for the lag figure.
    newest_record_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    accepted_total: Mapped[int] = mapped_column(BigInteger, default=0)
    rejected_total: Mapped[int] = mapped_column(BigInteger, default=0)


class IngestToken(Base):
    """A bearer token that lets one source push responses; only its digest is kept."""

    __tablename__ = "ingest_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class User(Base):
    """A person who signs in: viewer, analyst or admin (see :mod:`dashapp.access.users`)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    #: No longer read: sessions are server-side rows (``access_tokens`` of kind
    #: "session") that a password reset, a role change or disabling deletes.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: The language this person reads the app in ("en", "de"); None: the browser's.
    language: Mapped[str | None] = mapped_column(String(8))


class AccessToken(Base):
    """A wall screen's display token, a user's API token or the first-admin link; digest only."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: "display" (a screen, viewer pages only), "api" (acts as *user_id*) or "setup".
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(Integer)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class AppSecret(Base):
    """Secrets every worker and host must share, made once per store (the session signing key)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class Tombstone(Base):
    """An erased response: a keyed digest of its source and id (:mod:`~dashapp.store.tombstones`).

    Ingest never stores a record whose digest is here. No plain id is kept.
    """

    __tablename__ = "erasure_tombstones"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    erased_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class CommentTranslation(Base):
    """A comment in a reader's language, made by the configured translator (#18 item 6).

    ``text`` None: the translator could not translate it (asked once, not again).
    ``source_language`` is the comment's language as the store or the translator
    knew it. Removed with the response, and when its comment changes or expires.
    """

    __tablename__ = "comment_translations"

    response_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    text: Mapped[str | None] = mapped_column(Text)
    source_language: Mapped[str | None] = mapped_column(String(8))
    translated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class StoreMeta(Base):
    """Key/value facts about the store; ``data_version`` changes whenever data does."""

    __tablename__ = "store_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    #: A fact that is a name, e.g. the zone of ``local_days_zone``.
    text: Mapped[str | None] = mapped_column(String(64))


class AlertDelivery(Base):
    """One alert to deliver: the outbox row, its attempts and its fate (the delivery log)."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        UniqueConstraint("rule", "response_id"),
        UniqueConstraint("rule", "event", name="uq_alert_deliveries_rule_event"),
        Index("ix_alert_deliveries_due", "delivered_at", "failed_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(64))
    response_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    #: What a non-response alert is about, e.g. "drop|Velora|DE|2026-11-24" (once per day).
    event: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    failed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)


class StoredAlertRule(Base):
    """An alert rule made on /admin or through the API (TOML rules are not stored).

    *definition* is the rule as :class:`dashapp.config.AlertRule` validates it,
    secret included (write-only: never shown back).
    """

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: Who made the last change (a user name; "api" for a token without one).
    updated_by: Mapped[str | None] = mapped_column(String(64))


class Subscription(Base):
    """A person's own subscription to the daily or weekly report, narrowed as they chose."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "cadence", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    email: Mapped[str] = mapped_column(String(254))
    #: "daily" or "weekly" (Mondays, the week to Sunday).
    cadence: Mapped[str] = mapped_column(String(16))
    brands: Mapped[list[str]] = mapped_column(JSONType)
    countries: Mapped[list[str]] = mapped_column(JSONType)
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Annotation(Base):
    """An event marked on the trend charts: a day or a range, a text, a scope."""

    __tablename__ = "annotations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: UTC days, inclusive; one day when they are equal.
    starts_on: Mapped[dt.date] = mapped_column(Date, index=True)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(String(500))
    #: The scope: None for each means everything.
    brand: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    touchpoint: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class SchedulerLease(Base):
    """Who runs the scheduled jobs, until when (see :mod:`dashapp.store.lease`)."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


#: The open statuses as SQL (dashapp.followups.rules.OPEN; the store sits below it).
OPEN_FOLLOWUP = "status IN ('new', 'in_progress', 'contacted')"


class Followup(Base):
    """A response someone has to answer: its status, owner and due time (one per response).

    The response's brand, country, touchpoint, score and time are repeated (they
    change only with the response, which updates them), so the queue filters
    and the figures group on this table alone. ``version`` grows with every
    change: a writer names the version it read, and loses to none silently.
    """

    __tablename__ = "followups"
    __table_args__ = (
        UniqueConstraint("response_id"),
        # The queue: open ones, oldest due first, walked in order (a partial index:
        # done ones, which pile up for ever, are not in it) ...
        Index(
            "ix_followups_open_due",
            "due_at",
            "id",
            postgresql_where=text(OPEN_FOLLOWUP),
            sqlite_where=text(OPEN_FOLLOWUP),
        ),
        # ... and any one status, in the same order.
        Index("ix_followups_status_due", "status", "due_at", "id"),
        # The figures: open ones per cell, and the answer times of a window, each read
        # from an index alone (no table rows).
        Index(
            "ix_followups_open_cells",
            "brand",
            "country",
            "touchpoint",
            "due_at",
            postgresql_where=text(OPEN_FOLLOWUP),
            sqlite_where=text(OPEN_FOLLOWUP),
        ),
        Index(
            "ix_followups_opened",
            "opened_at",
            "brand",
            "country",
            "touchpoint",
            "status",
            "first_contact_at",
            "done_at",
        ),
        Index("ix_followups_owner", "owner_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    #: new, in_progress, contacted, resolved or closed (see dashapp.followups.rules).
    status: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int | None] = mapped_column(Integer)
    #: Why it was closed without action.
    reason: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    first_contact_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: When it was resolved or closed; None while open.
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(64))
    brand: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2))
    touchpoint: Mapped[str] = mapped_column(String(32))
    score: Mapped[int] = mapped_column(SmallInteger)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class FollowupEvent(Base):
    """One change of a follow-up (who, when, what from, to what, a note): appended, never edited."""

    __tablename__ = "followup_events"
    __table_args__ = (Index("ix_followup_events_followup", "followup_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    followup_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    #: "opened", "status", "owner" or "note".
    field: Mapped[str] = mapped_column(String(16))
    from_value: Mapped[str | None] = mapped_column(String(200))
    to_value: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    #: The follow-up's version after this change.
    version: Mapped[int] = mapped_column(Integer)
