"""Signing test clients in: a real user with a role, acting through a real API token."""

from __future__ import annotations

import uuid
from typing import Any

from dash import Dash
from flask.testing import FlaskClient

from dashapp.access import tokens as access_tokens
from dashapp.access import users
from dashapp.access.users import Role
from dashapp.services import services_of

PASSWORD = "correct horse battery staple"


def make_user(app: Dash, role: Role, name: str | None = None) -> str:
    """Add a user with *role* (password :data:`PASSWORD`) to the app's store; their name."""
    name = name or f"{role.name}-{uuid.uuid4().hex[:6]}"
    with services_of(app.server).sessions.begin() as session:
        users.create(session, name, PASSWORD, role)
    return name


def api_token(app: Dash, role: Role) -> str:
    """An API token of a new user with *role*."""
    name = make_user(app, role)
    with services_of(app.server).sessions.begin() as session:
        user = users.by_name(session, name)
        assert user is not None
        return access_tokens.issue_api(session, user, "tests")


def client_as(app: Dash, role: Role = Role.analyst) -> FlaskClient:
    """A test client whose every request carries the API token of a user with *role*."""
    client = app.server.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token(app, role)}"
    return client


def callback_call(app: Dash, output: str) -> dict[str, Any]:
    """A well-formed call of the callback writing *output*, with empty inputs."""
    spec = app.callback_map[output]

    def described(deps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"id": d["id"], "property": d["property"], "value": None} for d in deps]

    outputs = [
        {"id": part.split(".")[0], "property": part.split(".")[1]}
        for part in output.strip(".").split("...")
    ]
    return {
        "output": output,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": described(spec["inputs"]),
        "state": described(spec["state"]),
        "changedPropIds": [],
    }
