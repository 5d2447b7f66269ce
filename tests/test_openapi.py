"""The push and figures API against its OpenAPI document, with schemathesis-generated input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.checks import positive_data_acceptance

from dashapp import create_app
from dashapp.access import ingest_tokens as tokens
from dashapp.access.users import Role
from dashapp.config import Settings
from dashapp.services import services_of
from dashapp.store import db
from tests.access import api_token


@pytest.fixture(scope="module")
def app_and_token(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[object, dict[str, str]]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'store.db'}"
    db.upgrade(url)
    # A limit the fuzzing does not reach, so its requests exercise validation, not the limiter.
    app = create_app(
        Settings.load(
            database_url=url, cache_url="simple", config=None, push_rate_limit="100000/minute"
        )
    )
    with services_of(app.server).sessions.begin() as session:
        token = tokens.issue(session, "fuzz")
    yield (
        app.server,
        {
            "push": token,
            "figures": api_token(app, Role.analyst),
            "admin": api_token(app, Role.admin),
        },
    )
    services_of(app.server).engine.dispose()


@pytest.fixture(scope="module")
def api_schema(app_and_token: tuple[object, dict[str, str]]) -> object:
    server, _ = app_and_token
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", server)


OPERATIONS = [
    "GET /healthz",
    "GET /readyz",
    "POST /api/v1/responses",
    "GET /api/v1/nps",
    "GET /api/v1/labels",
    "GET /api/v1/alert-rules",
    "POST /api/v1/alert-rules",
    "PUT /api/v1/alert-rules/{name}",
    "PATCH /api/v1/alert-rules/{name}",
    "DELETE /api/v1/alert-rules/{name}",
    "POST /api/v1/alert-rules/{name}/test",
    "GET /api/v1/annotations",
    "POST /api/v1/annotations",
    "DELETE /api/v1/annotations/{annotation_id}",
    "GET /api/v1/followups",
    "GET /api/v1/followups/{id}",
    "PATCH /api/v1/followups/{id}",
]


@pytest.mark.parametrize("name", OPERATIONS)
def test_api_keeps_its_contract(
    name: str, api_schema: schemathesis.BaseSchema, app_and_token: tuple[object, dict[str, str]]
) -> None:
    """No generated input makes the server fail or answer outside the document."""
    _, tokens_by_use = app_and_token
    if name.endswith("/test"):
        # Never as an admin: a generated rule would post its sample to a generated host.
        token = tokens_by_use["figures"]
    elif "alert-rules" in name:
        token = tokens_by_use["admin"]
    elif "annotations" in name:
        token = tokens_by_use["figures"]
    else:
        token = tokens_by_use["push" if name.startswith("POST") else "figures"]
    operations = {
        f"{op.method.upper()} {op.path}": op
        for op in (result.ok() for result in api_schema.get_all_operations())
    }
    assert set(operations) == set(OPERATIONS)
    tried: list[int] = []

    @given(case=operations[name].as_strategy())
    @settings(
        max_examples=80,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def exercise(case: Case) -> None:
        # A well-typed record can still be invalid (a country that does not exist, a date
        # in the year 556): the contract is a 422 naming the field, not acceptance.
        response = case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"},
            excluded_checks=[positive_data_acceptance],
        )
        tried.append(response.status_code)

    exercise()
    assert tried
    assert all(code < 500 for code in tried)
