"""The HTTP API described as OpenAPI 3.0, served at ``GET /api/v1/openapi.json``.

Built from the same limits the validation uses, so the document cannot drift
from what the server accepts; the test suite runs schemathesis against it.
"""

from __future__ import annotations

from typing import Any

from dashapp.followups.params import AGES
from dashapp.followups.rules import MAX_NOTE, MAX_REASON, Status
from dashapp.ingest.validation import MAX_BRAND, MAX_COMMENT, MAX_ID, MAX_TOUCHPOINT

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "parameter": {"type": "string"},
    },
}
RESPONSE = {
    "type": "object",
    "description": "One survey answer. Unknown fields are kept as properties. Text holds"
    " no control character (tab and line breaks only in comment and property values),"
    " lone surrogate or noncharacter.",
    "required": ["id", "submitted_at", "brand", "country", "touchpoint", "score"],
    "properties": {
        "id": {"type": "string", "minLength": 1, "maxLength": MAX_ID},
        "submitted_at": {
            "type": "string",
            "format": "date-time",
            "description": "With a zone; at most FEEDBACKWALL_FUTURE_SKEW_HOURS (24) ahead of"
            " the server's clock, not before FEEDBACKWALL_EARLIEST_SUBMITTED_AT (2000-01-01)",
        },
        "brand": {"type": "string", "minLength": 1, "maxLength": MAX_BRAND},
        "country": {"type": "string", "pattern": "^[A-Za-z]{2}$", "description": "ISO 3166-1"},
        "touchpoint": {"type": "string", "minLength": 1, "maxLength": MAX_TOUCHPOINT},
        "score": {"type": "integer", "minimum": 0, "maximum": 10},
        "comment": {"type": "string", "nullable": True, "maxLength": MAX_COMMENT},
        "language": {
            "type": "string",
            "nullable": True,
            "pattern": "^[A-Za-z]{2}$",
            "description": "ISO 639-1",
        },
    },
}
REPORT = {
    "type": "object",
    "required": [
        "source",
        "strict",
        "accepted",
        "updated",
        "duplicates",
        "erased",
        "expired",
        "rejected",
    ],
    "properties": {
        "source": {"type": "string"},
        "strict": {"type": "boolean"},
        "accepted": {"type": "integer"},
        "updated": {"type": "integer"},
        "duplicates": {"type": "integer"},
        "erased": {
            "type": "integer",
            "description": "records not stored because they were erased (never an error)",
        },
        "expired": {
            "type": "integer",
            "description": "records not stored because they are older than the retention",
        },
        "rejected": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["location", "errors"],
                "properties": {
                    "location": {"type": "string"},
                    "errors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["field", "value", "reason"],
                            "properties": {
                                "field": {"type": "string"},
                                "value": {"type": "string"},
                                "reason": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
    },
}
FILTERS = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": f"comma-separated {name} values",
    }
    for name in ("brand", "country", "touchpoint")
]
WINDOW = {
    "name": "window",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "example": "30d"},
}
AS_OF = {
    "name": "as_of",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "format": "date-time"},
}


_NULLABLE_TIME = {"type": "string", "format": "date-time", "nullable": True}
FOLLOWUP = {
    "type": "object",
    "description": "A response that needs an answer: status, owner, due time, its response.",
    "required": ["id", "status", "version", "opened_at", "due_at", "overdue", "response"],
    "properties": {
        "id": {"type": "integer"},
        "response_id": {"type": "integer"},
        "status": {"type": "string", "enum": [s.value for s in Status]},
        "owner": {"type": "string", "nullable": True},
        "owner_id": {"type": "integer", "nullable": True},
        "reason": {"type": "string", "nullable": True},
        "version": {"type": "integer", "description": "also the ETag, for If-Match"},
        "opened_at": {"type": "string", "format": "date-time"},
        "due_at": {"type": "string", "format": "date-time"},
        "first_contact_at": _NULLABLE_TIME,
        "done_at": _NULLABLE_TIME,
        "updated_at": {"type": "string", "format": "date-time"},
        "updated_by": {"type": "string"},
        "brand": {"type": "string"},
        "country": {"type": "string"},
        "touchpoint": {"type": "string"},
        "score": {"type": "integer"},
        "overdue": {"type": "boolean"},
        "response": {"type": "object"},
        "history": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["at", "by", "field", "version"],
                "properties": {
                    "at": {"type": "string", "format": "date-time"},
                    "by": {"type": "string"},
                    "field": {"type": "string", "enum": ["opened", "status", "owner", "note"]},
                    "from": {"type": "string", "nullable": True},
                    "to": {"type": "string", "nullable": True},
                    "note": {"type": "string", "nullable": True},
                    "version": {"type": "integer"},
                },
            },
        },
    },
}
FOLLOWUP_CHANGE = {
    "type": "object",
    "description": "What to change; fields left out stay. Closing (status closed) needs a"
    " reason; resolved needs a contact first; owner null unassigns.",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "status": {"type": "string", "enum": [s.value for s in Status]},
        "owner": {"type": "string", "nullable": True, "description": "a user's name"},
        "reason": {"type": "string", "nullable": True, "maxLength": MAX_REASON},
        "note": {"type": "string", "nullable": True, "maxLength": MAX_NOTE},
    },
}
QUEUE_PARAMETERS = [
    *[
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
            "description": description,
        }
        for name, description in (
            ("brand", "comma-separated brands"),
            ("country", "comma-separated countries"),
            ("touchpoint", "comma-separated touchpoints"),
            ("label", "a label id; its children match too"),
            ("status", "comma-separated statuses, 'open' (default) or 'all'"),
            ("owner", "'me', 'none' or a user's name"),
            ("after", "the 'next' cursor of the previous page"),
        )
    ],
    {
        "name": "age",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "example": AGES[1]},
        "description": "opened at least this long ago: 12h, 3d",
    },
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": 200},
    },
]
FOLLOWUP_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _figures(extra: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return {
        "security": [{"token": []}, {"session": []}],
        "parameters": [*extra, WINDOW, AS_OF, *FILTERS],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": [key, "notes"],
                    "properties": {
                        key: {"type": "array"},
                        # Filter values naming nothing the store has ("No brand 'Velorra' — ...").
                        "notes": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "figures",
            ),
            "400": _json(ERROR, "a parameter that cannot be used, named in `parameter`"),
            "401": _json(ERROR, "not signed in and no valid API token"),
            "403": _json(ERROR, "the user's role is below analyst"),
            "503": _json(ERROR, "the store is unreachable: retry"),
        },
    }


ALERT_RULE = {
    "type": "object",
    "description": "An alert rule, as an [[alerts]] table of the TOML configuration takes it"
    " (README, Alerts); exactly one of webhook (with secret), email, slack, teams.",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$", "maxLength": 64},
        "kind": {"type": "string", "enum": ["response", "drop"]},
        "min_score": {"type": "integer", "minimum": 0, "maximum": 10},
        "max_score": {"type": "integer", "minimum": 0, "maximum": 10},
        "brand": {"type": "array", "items": {"type": "string"}},
        "country": {"type": "array", "items": {"type": "string"}},
        "touchpoint": {"type": "array", "items": {"type": "string"}},
        "labels": {"type": "array", "items": {"type": "string"}},
        "with_comment": {"type": "boolean"},
        "window": {"type": "integer", "minimum": 1, "maximum": 90},
        "drop_points": {"type": "number", "minimum": 0, "maximum": 200},
        "min_n": {"type": "integer", "minimum": 0},
        "cooldown_minutes": {"type": "integer", "minimum": 0, "maximum": 10080},
        "webhook": {"type": "string", "pattern": "^https?://"},
        "secret": {"type": "string", "minLength": 16, "writeOnly": True},
        "email": {"type": "array", "items": {"type": "string"}},
        "slack": {"type": "string", "pattern": "^https?://"},
        "teams": {"type": "string", "pattern": "^https?://"},
        "paused": {"type": "boolean"},
    },
}
_ADMIN: list[dict[str, list[str]]] = [{"token": []}, {"session": []}]
_RULE_ERRORS = {
    "401": _json(ERROR, "not signed in and no valid API token"),
    "403": _json(ERROR, "the user is not an admin"),
}
_NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}


def _rule_paths() -> dict[str, Any]:
    body = {"required": True, "content": {"application/json": {"schema": ALERT_RULE}}}
    invalid = _json(ERROR, "not a valid rule: `error` names the field")
    return {
        "/api/v1/alert-rules": {
            "get": {
                "security": _ADMIN,
                "responses": {
                    "200": _json({"type": "object"}, "every rule, secrets left out"),
                    **_RULE_ERRORS,
                },
            },
            "post": {
                "security": _ADMIN,
                "requestBody": body,
                "responses": {
                    "201": _json({"type": "object"}, "made"),
                    "400": _json(ERROR, "the body is not a JSON object"),
                    "422": invalid,
                    **_RULE_ERRORS,
                },
            },
        },
        "/api/v1/alert-rules/{name}": {
            "parameters": [_NAME],
            "put": {
                "security": _ADMIN,
                "requestBody": body,
                "responses": {
                    "200": _json({"type": "object"}, "replaced; a secret not given is kept"),
                    "400": _json(ERROR, "the body is not a JSON object"),
                    "404": _json(ERROR, "no such stored rule"),
                    "409": _json(ERROR, "a rule of the configuration file (read-only)"),
                    "422": invalid,
                    **_RULE_ERRORS,
                },
            },
            "patch": {
                "security": _ADMIN,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["paused"],
                                "properties": {"paused": {"type": "boolean"}},
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json({"type": "object"}, "paused or resumed"),
                    "400": _json(ERROR, "the body is not a JSON object"),
                    "404": _json(ERROR, "no such stored rule"),
                    "422": invalid,
                    **_RULE_ERRORS,
                },
            },
            "delete": {
                "security": _ADMIN,
                "responses": {
                    "200": _json({"type": "object"}, "deleted; its deliveries stay in the log"),
                    "404": _json(ERROR, "no such stored rule"),
                    **_RULE_ERRORS,
                },
            },
        },
        "/api/v1/alert-rules/{name}/test": {
            "parameters": [_NAME],
            "post": {
                "security": _ADMIN,
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "ok": {"type": "boolean"},
                                "status": {"type": "integer", "nullable": True},
                                "answer": {"type": "string"},
                                "error": {"type": "string", "nullable": True},
                            },
                        },
                        "a sample alert was sent now: what the receiver answered",
                    ),
                    "404": _json(ERROR, "no such rule"),
                    **_RULE_ERRORS,
                },
            },
        },
    }


ANNOTATION = {
    "type": "object",
    "description": "An event marked on the trend charts: a UTC day or range, a text, a scope.",
    "required": ["starts_on", "text"],
    "properties": {
        "starts_on": {"type": "string", "format": "date"},
        "ends_on": {"type": "string", "format": "date", "description": "default: starts_on"},
        "text": {"type": "string", "minLength": 1, "maxLength": 500},
        "brand": {"type": "string", "minLength": 1, "maxLength": 100},
        "country": {"type": "string", "pattern": "^[A-Za-z]{2}$"},
        "touchpoint": {"type": "string", "minLength": 1, "maxLength": 100},
    },
}


def _annotation_paths() -> dict[str, Any]:
    errors = {
        "401": _json(ERROR, "not signed in and no valid API token"),
        "403": _json(ERROR, "the user's role is below analyst"),
    }
    listed = {
        "type": "object",
        "required": ["annotations"],
        "properties": {"annotations": {"type": "array"}},
    }
    return {
        "/api/v1/annotations": {
            "get": {
                "security": [{"token": []}, {"session": []}],
                "parameters": [
                    {
                        "name": "days",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "example": "90"},
                    },
                    AS_OF,
                    *FILTERS,
                ],
                "responses": {
                    "200": _json(listed, "annotations a chart of these filters shows"),
                    "400": _json(ERROR, "a parameter that cannot be used"),
                    **errors,
                },
            },
            "post": {
                "security": [{"token": []}, {"session": []}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ANNOTATION}},
                },
                "responses": {
                    "201": _json({"type": "object"}, "marked"),
                    "400": _json(ERROR, "the body is not a JSON object"),
                    "422": _json(ERROR, "not an annotation: `error` names the field"),
                    **errors,
                },
            },
        },
        "/api/v1/annotations/{annotation_id}": {
            "parameters": [
                {
                    "name": "annotation_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0},
                }
            ],
            "delete": {
                "security": [{"token": []}, {"session": []}],
                "responses": {
                    "200": _json({"type": "object"}, "deleted"),
                    "404": _json(ERROR, "no such annotation"),
                    **errors,
                },
            },
        },
    }


def spec() -> dict[str, Any]:
    """The OpenAPI document of the HTTP API."""
    status = {"type": "object"}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Feedback Wall API", "version": "1"},
        "components": {
            "securitySchemes": {
                # Push: a source's ingest token (fwi_...); figures: a user's API token (fwa_...).
                "token": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "fw_session"},
            },
            "schemas": {
                "Response": RESPONSE,
                "Report": REPORT,
                "Error": ERROR,
                "AlertRule": ALERT_RULE,
                "Followup": FOLLOWUP,
                "FollowupChange": FOLLOWUP_CHANGE,
            },
        },
        "paths": {
            "/healthz": {"get": {"responses": {"200": _json(status, "the worker serves")}}},
            "/readyz": {
                "get": {
                    "responses": {
                        "200": _json(status, "ready"),
                        "503": _json(status, "the store is unreachable"),
                    }
                }
            },
            "/api/v1/responses": {
                "post": {
                    "security": [{"token": []}],
                    "parameters": [
                        {
                            "name": "strict",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": ["true", "false"]},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {"$ref": "#/components/schemas/Response"},
                                        {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/Response"},
                                        },
                                        {
                                            "type": "object",
                                            "required": ["responses"],
                                            "properties": {
                                                "responses": {
                                                    "type": "array",
                                                    "items": {
                                                        "$ref": "#/components/schemas/Response"
                                                    },
                                                }
                                            },
                                        },
                                    ]
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(REPORT, "every record stored, a duplicate, erased or expired"),
                        "400": _json(ERROR, "the body is not JSON"),
                        "401": _json(ERROR, "no or a revoked token"),
                        "413": _json(ERROR, "body or batch too large"),
                        "429": _json(ERROR, "over the token's rate limit: retry after Retry-After"),
                        "422": _json(REPORT, "some records rejected, each named with its field"),
                        "503": _json(ERROR, "the store is unreachable: retry"),
                    },
                }
            },
            "/api/v1/nps": {
                "get": _figures(
                    [
                        {
                            "name": "by",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "example": "brand,country"},
                        }
                    ],
                    "rows",
                )
            },
            "/api/v1/labels": {"get": _figures([], "labels")},
            **_rule_paths(),
            **_annotation_paths(),
            "/api/v1/followups": {
                "get": {
                    "security": [{"token": []}, {"session": []}],
                    "parameters": QUEUE_PARAMETERS,
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["followups", "next"],
                                "properties": {
                                    "followups": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Followup"},
                                    },
                                    "next": {"type": "string", "nullable": True},
                                },
                            },
                            "the queue, oldest due first",
                        ),
                        "400": _json(ERROR, "a parameter that cannot be used, named"),
                        "401": _json(ERROR, "not signed in and no valid API token"),
                        "403": _json(ERROR, "a wall screen (figures only)"),
                        "503": _json(ERROR, "the store is unreachable: retry"),
                    },
                }
            },
            "/api/v1/followups/{id}": {
                "get": {
                    "security": [{"token": []}, {"session": []}],
                    "parameters": [FOLLOWUP_ID],
                    "responses": {
                        "200": {
                            **_json({"$ref": "#/components/schemas/Followup"}, "with history"),
                            "headers": {"ETag": {"schema": {"type": "string"}}},
                        },
                        "401": _json(ERROR, "not signed in and no valid API token"),
                        "403": _json(ERROR, "a wall screen (figures only)"),
                        "404": _json(ERROR, "no such follow-up"),
                        "503": _json(ERROR, "the store is unreachable: retry"),
                    },
                },
                "patch": {
                    "security": [{"token": []}, {"session": []}],
                    "parameters": [
                        FOLLOWUP_ID,
                        {
                            "name": "If-Match",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string", "example": '"3"'},
                            "description": "the ETag (version) the change is based on",
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/FollowupChange"}
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            **_json({"$ref": "#/components/schemas/Followup"}, "changed"),
                            "headers": {"ETag": {"schema": {"type": "string"}}},
                        },
                        "400": _json(ERROR, "the body is not a JSON object, or If-Match unusable"),
                        "401": _json(ERROR, "not signed in and no valid API token"),
                        "403": _json(ERROR, "the user's role is below analyst"),
                        "404": _json(ERROR, "no such follow-up"),
                        "412": _json(ERROR, "changed meanwhile: `by` says who; nothing written"),
                        "422": _json(ERROR, "a change the follow-up cannot make, field named"),
                        "428": _json(ERROR, "If-Match is missing"),
                        "503": _json(ERROR, "the store is unreachable: retry"),
                    },
                },
            },
        },
    }
