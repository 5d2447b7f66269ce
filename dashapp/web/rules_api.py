"""Alert rules through the HTTP API (admins): list, create, replace, pause, delete, test.

``/api/v1/alert-rules``. The same model validates these as the TOML rules, and
the same units of work (:mod:`dashapp.access.admin`) store them as /admin does.
Rules of the configuration file are listed read-only. Secrets are taken, never
given: a listing says ``has_secret`` and shows channel URLs by their host.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from dashapp.access import admin
from dashapp.access.gate import current_person, requires
from dashapp.access.users import Role
from dashapp.config import AlertRule
from dashapp.jobs import alerts
from dashapp.masking import Masker
from dashapp.services import Services, services_of
from dashapp.store.rules import RuleError, shown

rules_api = Blueprint("feedbackwall_rules_api", __name__)


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify(error=message), status


def _who() -> str | None:
    person = current_person()
    return person.name if person else None


def listing(svc: Services) -> list[dict[str, Any]]:
    """Every rule, the configuration's first (read-only), with its deliveries' state."""
    states = alerts.rule_states(svc.sessions)
    found = [
        {
            "name": rule.name,
            "source": "config",
            "read_only": True,
            "paused": False,
            "rule": shown(rule.model_dump(mode="json", exclude_defaults=True)),
        }
        for rule in svc.settings.alerts
    ]
    found += [
        {
            "name": row.name,
            "source": "admin",
            "read_only": False,
            "paused": row.paused,
            "rule": shown(row.definition),
            "updated_at": row.updated_at.isoformat(),
            "updated_by": row.updated_by,
        }
        for row in admin.alert_rules(svc.sessions)
    ]
    for item in found:
        state = states.get(str(item["name"]), alerts.RuleState())
        item["last_fired_at"] = state.last_fired.isoformat() if state.last_fired else None
        item["deliveries"] = {
            "delivered": state.delivered,
            "pending": state.pending,
            "failed": state.failed,
        }
    return found


def _body() -> dict[str, Any] | tuple[Response, int]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "body must be a JSON object: the rule's fields")
    return body


def _reserved(svc: Services) -> set[str]:
    return {rule.name for rule in svc.settings.alerts}


@rules_api.get("/api/v1/alert-rules")
@requires(Role.admin)
def list_rules() -> Response:
    """Every alert rule with when it last fired and its deliveries by state."""
    return jsonify(rules=listing(services_of()))


def _save(original: str | None) -> tuple[Response, int]:
    svc = services_of()
    body = _body()
    if isinstance(body, tuple):
        return body
    paused = body.pop("paused", None)
    if paused is not None and not isinstance(paused, bool):
        return _error(422, "paused: must be true or false")
    try:
        rule = admin.save_alert_rule(
            svc.sessions,
            body,
            original=original,
            reserved=_reserved(svc),
            who=_who(),
            paused=paused,
        )
    except RuleError as exc:
        status = 404 if original and str(exc).startswith("name: no rule") else 422
        return _error(status, str(exc))
    return jsonify(
        name=rule.name, rule=shown(rule.model_dump(mode="json", exclude_defaults=True))
    ), (201 if original is None else 200)


@rules_api.post("/api/v1/alert-rules")
@requires(Role.admin)
def create_rule() -> tuple[Response, int]:
    """Create a rule (201); 422 naming the field when it is not a valid rule."""
    return _save(None)


@rules_api.put("/api/v1/alert-rules/<name>")
@requires(Role.admin)
def replace_rule(name: str) -> tuple[Response, int]:
    """Replace stored rule *name*; a secret not given is kept."""
    if name in _reserved(services_of()):
        return _error(409, f"{name!r} is a rule of the configuration file (read-only)")
    return _save(name)


@rules_api.patch("/api/v1/alert-rules/<name>")
@requires(Role.admin)
def pause_rule(name: str) -> tuple[Response, int]:
    """Pause or resume stored rule *name*: ``{"paused": true}``."""
    body = _body()
    if isinstance(body, tuple):
        return body
    if not isinstance(body.get("paused"), bool) or set(body) != {"paused"}:
        return _error(422, 'paused: give exactly {"paused": true|false}')
    if not admin.pause_alert_rule(services_of().sessions, name, body["paused"]):
        return _error(404, f"no stored rule called {name!r}")
    return jsonify(name=name, paused=body["paused"]), 200


@rules_api.delete("/api/v1/alert-rules/<name>")
@requires(Role.admin)
def delete_rule(name: str) -> tuple[Response, int]:
    """Delete stored rule *name* (its deliveries stay in the log)."""
    if not admin.delete_alert_rule(services_of().sessions, name):
        return _error(404, f"no stored rule called {name!r}")
    return jsonify(name=name, deleted=True), 200


def find_rule(svc: Services, name: str) -> AlertRule | None:
    """Rule *name*, from the configuration or the store (paused ones too)."""
    configured = next((r for r in svc.settings.alerts if r.name == name), None)
    if configured is not None:
        return configured
    stored = admin.alert_rule(svc.sessions, name)
    return stored[0] if stored else None


def try_rule(svc: Services, rule: AlertRule) -> alerts.Answer:
    """Send *rule* a sample alert now (see :func:`dashapp.jobs.alerts.send_test`)."""
    settings = svc.settings
    return alerts.send_test(
        rule,
        mail=settings.mail_server(),
        mask=Masker(tuple(settings.mask_words), tuple(settings.mask_patterns)),
        base_url=settings.public_url,
    )


@rules_api.post("/api/v1/alert-rules/<name>/test")
@requires(Role.admin)
def send_test(name: str) -> tuple[Response, int]:
    """Deliver a sample alert through the rule's channel now; what the receiver answered."""
    svc = services_of()
    rule = find_rule(svc, name)
    if rule is None:
        return _error(404, f"no rule called {name!r}")
    answer = try_rule(svc, rule)
    return jsonify(
        name=name, ok=answer.ok, status=answer.status, answer=answer.text, error=answer.error
    ), 200
