"""Annotations through the HTTP API (analysts): list, mark, delete.

``/api/v1/annotations``. An annotation is a UTC day or range of days, a text and
a scope (everything, or a brand, country and/or touchpoint); every trend chart
shows it. Bad input is a 422 naming the field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from dashapp.access.gate import current_person
from dashapp.ingest.validation import bad_character
from dashapp.metrics import annotations as marks
from dashapp.metrics.annotations import MAX_TEXT, Mark
from dashapp.metrics.params import parse_as_of, parse_filters
from dashapp.services import services_of

annotations_api = Blueprint("feedbackwall_annotations_api", __name__)
#: The longest range one annotation may cover.
MAX_DAYS = 366


class AnnotationIn(BaseModel):
    """An annotation as the API takes it."""

    model_config = ConfigDict(extra="forbid")

    starts_on: dt.date
    ends_on: dt.date | None = None
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    brand: str | None = Field(default=None, min_length=1, max_length=100)
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")
    touchpoint: str | None = Field(default=None, min_length=1, max_length=100)

    @field_validator("text", "brand", "touchpoint")
    @classmethod
    def _acceptable(cls, value: str | None) -> str | None:
        if value is not None and (problem := bad_character(value, breaks=False)):
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _range(self) -> AnnotationIn:
        # A check across fields has no location of its own: its message names the field.
        end = self.ends_on or self.starts_on
        if end < self.starts_on:
            raise PydanticCustomError("ends_before_start", "ends_on: before starts_on")
        if (end - self.starts_on).days >= MAX_DAYS:
            raise PydanticCustomError(
                "range_too_long",
                "ends_on: at most {days} days after starts_on",
                {"days": MAX_DAYS},
            )
        return self


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an annotation: its field ("" for the whole), kind and words."""

    field: str
    kind: str
    message: str
    context: dict[str, Any]


def problems_of(exc: ValidationError) -> list[Problem]:
    """What *exc* says is wrong, field by field (the API and the explore form word it)."""
    found = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        if not field and message.partition(": ")[0] in AnnotationIn.model_fields:
            field, _colon, message = message.partition(": ")
        found.append(Problem(field, err["type"], message, dict(err.get("ctx") or {})))
    return found


def as_dict(mark: Mark) -> dict[str, Any]:
    """An annotation as the API gives it."""
    return {
        "id": mark.id,
        "starts_on": mark.starts_on.isoformat(),
        "ends_on": mark.ends_on.isoformat(),
        "text": mark.text,
        "brand": mark.brand,
        "country": mark.country,
        "touchpoint": mark.touchpoint,
        "scope": mark.scope,
        "created_by": mark.created_by,
    }


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify(error=message), status


@annotations_api.get("/api/v1/annotations")
def list_annotations() -> tuple[Response, int]:
    """Annotations over ``days`` (default 90) to ``as_of`` that charts of the filters show."""
    svc = services_of()
    raw_days = request.args.get("days", "90")
    if not raw_days.isdigit() or not 1 <= int(raw_days) <= 3660:
        return _error(400, "days: a whole number from 1 to 3660")
    as_of = parse_as_of(request.args.get("as_of"))
    filters = parse_filters(request.args.get)
    found = svc.nps.annotations(days=int(raw_days), as_of=as_of, filters=filters)
    return jsonify(annotations=[as_dict(m) for m in found]), 200


@annotations_api.post("/api/v1/annotations")
def create_annotation() -> tuple[Response, int]:
    """Mark an event (201); 422 naming the field when it is not one."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "body must be a JSON object: starts_on, text and optionally more")
    try:
        given = AnnotationIn.model_validate(body)
    except ValidationError as exc:
        problems = [f"{p.field or 'annotation'}: {p.message}" for p in problems_of(exc)]
        return _error(422, "; ".join(problems))
    person = current_person()
    mark = marks.create(
        services_of().sessions,
        Mark(
            0,
            given.starts_on,
            given.ends_on or given.starts_on,
            given.text,
            given.brand,
            given.country.upper() if given.country else None,
            given.touchpoint,
            person.name if person else None,
        ),
    )
    return jsonify(as_dict(mark)), 201


@annotations_api.delete("/api/v1/annotations/<int:annotation_id>")
def delete_annotation(annotation_id: int) -> tuple[Response, int]:
    """Delete an annotation."""
    # Beyond a 64-bit row id no annotation exists (and the store could not even be asked).
    if not 0 < annotation_id < 2**63 or not marks.remove(services_of().sessions, annotation_id):
        return _error(404, f"no annotation {annotation_id}")
    return jsonify(id=annotation_id, deleted=True), 200
