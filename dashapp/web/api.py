"""HTTP endpoints beside the Dash pages: health, readiness, push ingest and NPS figures.

Figures need the analyst role (a session or an API token, see :mod:`dashapp.access.gate`);
health checks and the OpenAPI document are open; the push endpoint checks its
own per-source ingest token.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from dashapp.access import ingest_tokens as tokens
from dashapp.access.gate import bearer_token, person_now, public, requires
from dashapp.access.users import Role
from dashapp.cache import health as cache_health
from dashapp.figures.table import to_records
from dashapp.ingest.pipeline import Retention, ingest
from dashapp.labels.stats import to_records as label_records
from dashapp.metrics.params import parse_as_of, parse_by, parse_filters, parse_window
from dashapp.services import services_of
from dashapp.store.models import SourceState
from dashapp.web.build import build_of
from dashapp.web.openapi import spec

MAX_BATCH = 5_000
#: Request bodies above this are refused with 413 before they are parsed.
MAX_BODY_BYTES = 10 * 1024 * 1024

api = Blueprint("feedbackwall_api", __name__)


def _error(status: int, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify(error=message, **extra), status


@api.get("/healthz")
@public
def healthz() -> Response:
    """200 as soon as the process serves; says nothing of the store."""
    return jsonify(status="ok")


@api.get("/api/v1/version")
@requires(Role.viewer)
def build_version() -> Response:
    """The running build; wall screens reload once when it changes."""
    return jsonify(version=build_of())


@api.get("/readyz")
@public
def readyz() -> tuple[Response, int]:
    """The store's and the cache's reachability and each source's poll state.

    503 when the store is down; "degraded" when a source fails or a configured
    Redis cache is unreachable (each process then caches on its own). Open to
    health checkers; the text of an error only for admins.
    """
    svc = services_of()
    now = dt.datetime.now(dt.UTC)
    cache_ok, cache_problem = cache_health(svc.cache)
    body: dict[str, Any] = {
        "status": "ok" if cache_ok else "degraded",
        "store": {"ok": True},
        "cache": {"ok": cache_ok},
        "sources": {},
    }
    try:
        with svc.sessions() as session:
            session.execute(text("SELECT 1"))
            states = {s.name: s for s in session.scalars(select(SourceState))}
    except SQLAlchemyError as exc:
        body.update(status="unavailable", store={"ok": False, "error": type(exc).__name__})
        return jsonify(body), 503
    configured = {s.name: s for s in svc.settings.sources}
    # Health checkers need no sign-in; error texts may name hosts and paths, so
    # only admins get them (everyone sees whether a source fails).
    person = person_now()
    errors = person is not None and person.role >= Role.admin
    if errors and cache_problem:
        body["cache"]["error"] = cache_problem
    for name in sorted(set(configured) | set(states)):
        state = states.get(name)
        body["sources"][name] = source_status(state, now)
        if not errors:
            body["sources"][name].pop("last_error", None)
        if body["sources"][name]["failing"]:
            body["status"] = "degraded"
    return jsonify(body), 200


def source_status(state: SourceState | None, now: dt.datetime) -> dict[str, Any]:
    """A source's health as /readyz and the CLI report it; lag is in seconds."""
    if state is None:
        return {"failing": False, "last_success_at": None, "never_polled": True}

    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "failing": state.consecutive_failures > 0,
        "last_poll_at": iso(state.last_poll_at),
        "last_success_at": iso(state.last_success_at),
        "last_error_at": iso(state.last_error_at),
        "last_error": state.last_error,
        "consecutive_failures": state.consecutive_failures,
        "newest_record_at": iso(state.newest_record_at),
        "lag_seconds": round((now - state.newest_record_at).total_seconds(), 1)
        if state.newest_record_at
        else None,
        "accepted_total": state.accepted_total,
        "rejected_total": state.rejected_total,
    }


@api.post("/api/v1/responses")
@public
def push_responses() -> tuple[Response, int]:
    """Store one response or a batch, authenticated by the source's bearer token.

    200 when every record was stored, a duplicate, erased or past retention
    (counted as ``erased`` / ``expired``, never stored); 422 when some were
    rejected (each rejection names its index and field; the valid ones are
    stored unless ``?strict=true``); 503 when the store is unreachable, so the
    sender retries.
    """
    svc = services_of()
    token = bearer_token(request)
    if not token:
        return _error(401, "missing bearer token (Authorization: Bearer fwi_...)")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return _error(413, f"request body over {MAX_BODY_BYTES} bytes")
    # The store down, hung or busy: 503 and Retry-After (dashapp.web.errors), the sender retries.
    with svc.sessions() as session:
        source = tokens.source_for(session, token)
    if source is None:
        return _error(401, "invalid or revoked token")

    payload = request.get_json(silent=True)
    if payload is None:
        return _error(400, "body must be JSON: one response object, a list, or {responses: [...]}")
    if isinstance(payload, dict) and isinstance(payload.get("responses"), list):
        payload = payload["responses"]
    records = payload if isinstance(payload, list) else [payload]
    if len(records) > MAX_BATCH:
        return _error(413, f"at most {MAX_BATCH} responses per request, got {len(records)}")
    strict = request.args.get("strict", "").lower() in ("1", "true", "yes")
    located = [(f"index {i}", raw) for i, raw in enumerate(records)]
    # One attempt: the sender retries on 503, and should hear it within the busy timeout.
    report = ingest(
        svc.sessions,
        source,
        located,
        strict=strict,
        attempts=1,
        retention=Retention.of(svc.settings),
        bounds=svc.settings.time_bounds(),
        followups=svc.settings.followups,
    )
    status = 422 if report.rejected else 200
    return jsonify(source=source, strict=strict, **report.as_dict()), status


@api.get("/api/v1/nps")
def nps_figures() -> tuple[Response, int]:
    """NPS per group, as ``feedbackwall nps --format json`` prints it."""
    svc = services_of()
    by = parse_by(request.args.get("by"))
    window = parse_window(request.args.get("window"))
    as_of = parse_as_of(request.args.get("as_of"))
    filters, notes = svc.nps.resolve(parse_filters(request.args.get))
    rows = svc.nps.nps_by(by, window=window, as_of=as_of, filters=filters)
    return jsonify(
        by=list(by),
        window_days=window,
        as_of=as_of.isoformat() if as_of else None,
        min_n=svc.settings.min_n,
        rows=to_records(rows, by),
        notes=list(notes),
    ), 200


@api.get("/api/v1/labels")
def label_figures() -> tuple[Response, int]:
    """Figures per label, as ``feedbackwall labels stats --format json`` prints them."""
    svc = services_of()
    window = parse_window(request.args.get("window"))
    as_of = parse_as_of(request.args.get("as_of"))
    filters, notes = svc.nps.resolve(parse_filters(request.args.get))
    stats = svc.nps.labels(window=window, as_of=as_of, filters=filters)
    return jsonify(
        window_days=window,
        as_of=as_of.isoformat() if as_of else None,
        min_n=svc.settings.min_n,
        labels=label_records(stats),
        notes=list(notes),
    ), 200


@api.get("/api/v1/openapi.json")
@public
def openapi_document() -> Response:
    """This API as an OpenAPI 3.0 document."""
    return jsonify(spec())
