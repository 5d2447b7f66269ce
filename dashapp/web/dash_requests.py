"""Dash's own routes answer malformed requests with a 4xx, never a 500.

Dash trusts its renderer: a hand-made callback request with a missing key, a
list where it expects an object, or an input value of the wrong type reached
Dash's internals or the callback and failed there (a 500). Here a callback
request is held to the callback it names before Dash runs it: its shape (the
inputs, state and outputs the callback was registered with) and each value
against the type hint of the callback's parameter for it. A script path Dash
does not serve is a 404.

Runs as the view itself (after the access gate): only those allowed to call a
callback learn what is wrong with their call.
"""

from __future__ import annotations

import functools
import inspect
import json
import typing
from collections.abc import Callable
from typing import Any

from dash import Dash
from dash._utils import (  # Dash's own readings of what a request names
    clean_property_name,
    inputs_to_dict,
    split_callback_id,
)
from dash.exceptions import DependencyException, UnsupportedRelativePath
from flask import Response, jsonify, request
from pydantic import TypeAdapter, ValidationError

from dashapp.access.gate import ROUTER_OUTPUT

CALLBACK_PATH = "_dash-update-component"
SUITES_PATH = "_dash-component-suites/<string:package_name>/<path:fingerprinted_path>"
#: What a parameter's values are checked against: its hint, or None (anything goes).
Checks = list[TypeAdapter[Any] | None]
#: Dash Pages' router has no hints of its own: it reads the location's pathname and search.
ROUTER_CHECKS: Checks = [TypeAdapter(str), TypeAdapter(str | None)]


def _malformed(message: str, parameter: str | None = None) -> tuple[Response, int]:
    return jsonify(error=f"malformed callback request: {message}", parameter=parameter), 400


def _wildcard(dep_id: str) -> bool:
    # A pattern-matching ALL or ALLSMALLER dependency is sent as a list of them.
    return '["ALL' in dep_id


def _fits(dep: dict[str, Any], item: Any) -> bool:
    """Whether *item* is the dependency *dep* as a renderer sends it: its id and property.

    A pattern-matching id has the pattern's keys, its fixed values, and any JSON
    scalar where the pattern has a wildcard.
    """
    if not isinstance(item, dict) or item.get("property") != dep["property"]:
        return False
    sent, wanted = item.get("id"), dep["id"]
    if not wanted.startswith("{"):
        return sent == wanted
    pattern = json.loads(wanted)
    if not isinstance(sent, dict) or set(sent) != set(pattern):
        return False
    return all(
        isinstance(sent[key], str | int | float | bool)
        if isinstance(value, list)
        else sent[key] == value
        for key, value in pattern.items()
    )


def _sent_as(dep: dict[str, Any], item: Any) -> bool:
    if _wildcard(dep["id"]):
        return isinstance(item, list) and all(_fits(dep, i) for i in item)
    return _fits(dep, item)


def _dependency(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("id"), str | dict)
        and isinstance(item.get("property"), str)
    )


def _writes(output: str, sent: Any) -> bool:
    """Whether *sent* are the outputs the callback named *output* writes, as Dash checks them.

    One output is sent as one dependency, several as a list of as many, in order;
    a property may carry ``allow_duplicate``'s suffix (``data@1a2b``) or not.
    """
    try:
        wanted = split_callback_id(output)
    except ValueError:
        return True  # a callback without outputs: nothing to hold the request to
    if isinstance(wanted, dict):
        wanted, sent = [wanted], [sent]
    elif not isinstance(sent, list) or len(sent) != len(wanted):
        return False
    for dep, item in zip(wanted, sent, strict=True):
        dep = {"id": dep["id"], "property": clean_property_name(dep["property"])}
        items = item if _wildcard(dep["id"]) and isinstance(item, list) else [item]
        for one in items:
            if not _dependency(one):
                return False
            one = {"id": one["id"], "property": clean_property_name(one["property"])}
            try:
                if not _sent_as(dep, [one] if _wildcard(dep["id"]) else one):
                    return False
            except ValueError:
                return True  # an id Dash escaped for its key (dots in values): Dash checks it
    return True


def _name(dep: dict[str, Any]) -> str:
    return f"{dep['id']}.{dep['property']}"


@functools.cache
def _checks(func: Callable[..., Any]) -> Checks | None:
    """A check per positional parameter of the callback *func* (None where none can be made)."""
    original = inspect.unwrap(func)
    try:
        hints = typing.get_type_hints(original)
        params = list(inspect.signature(original).parameters.values())
    except (NameError, TypeError, ValueError):
        return None
    if any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params):
        return None  # Dash would call it with *args or keywords: no one-to-one mapping
    checks: Checks = []
    for param in params:
        hint = hints.get(param.name, Any)
        checks.append(None if hint is Any else TypeAdapter(hint))
    return checks


def callback_problem(app: Dash, body: Any) -> tuple[str, str | None] | None:
    """What is wrong with callback request *body* for *app*, and the parameter it concerns.

    None when Dash can run it: the output names a server callback, inputs and
    state are the dependencies it was registered with, outputs are objects,
    and every value fits its parameter's type hint.
    """
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return "the body must be an object naming its 'output'", None
    spec = app.callback_map.get(body["output"])
    if spec is None or "callback" not in spec:
        return f"no server callback writes {body['output']!r}", "output"
    for key, deps in (("inputs", spec["inputs"]), ("state", spec["state"])):
        sent = body.get(key, [] if key == "state" else None)
        if not isinstance(sent, list) or len(sent) != len(deps):
            return f"'{key}' must be a list of {len(deps)} dependencies", key
        for dep, item in zip(deps, sent, strict=True):
            if not _sent_as(dep, item):
                return "not the id and property the callback reads", _name(dep)
    if not _writes(body["output"], body.get("outputs")):
        return "'outputs' must be the dependencies the callback writes", "outputs"
    changed = body.get("changedPropIds", [])
    # What changed can only be among the inputs sent (Dash tells the callback which).
    if not (
        isinstance(changed, list)
        and all(isinstance(c, str) for c in changed)
        and set(changed) <= set(inputs_to_dict(body["inputs"]))
    ):
        return "'changedPropIds' must name inputs sent", "changedPropIds"
    checks = ROUTER_CHECKS if ROUTER_OUTPUT in body["output"] else _checks(spec["callback"])
    deps = [*spec["inputs"], *spec["state"]]
    if checks is None or len(checks) != len(deps):
        return None
    sent_items = [*body["inputs"], *body.get("state", [])]
    for dep, item, check in zip(deps, sent_items, checks, strict=True):
        value = [i.get("value") for i in item] if isinstance(item, list) else item.get("value")
        if check is None:
            continue
        try:
            check.validate_python(value)
        except ValidationError as exc:
            first = exc.errors()[0]
            return f"{_name(dep)}: {first['msg']}", _name(dep)
    return None


def _guard_callbacks(app: Dash, view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)  # keeps Dash's name: CSRF exemptions key on it
    def guarded(*args: Any, **kwargs: Any) -> Any:
        problem = callback_problem(app, request.get_json())
        if problem is not None:
            return _malformed(*problem)
        return view(*args, **kwargs)

    return guarded


def _guard_suites(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except (DependencyException, OSError):
            # Not a file of a registered component package: nothing to serve.
            return jsonify(error="no such script or style file"), 404

    return guarded


def _relative_path(exc: UnsupportedRelativePath) -> tuple[Response, int]:
    # Dash Pages' router was asked for a path outside the app (not starting with "/").
    return _malformed(str(exc).splitlines()[0], "pathname")


def install(app: Dash) -> None:
    """Check callback requests and script paths of *app* before Dash acts on them."""
    app.server.register_error_handler(UnsupportedRelativePath, _relative_path)
    views = app.server.view_functions
    prefix = app.config.routes_pathname_prefix
    views[prefix + CALLBACK_PATH] = _guard_callbacks(app, views[prefix + CALLBACK_PATH])
    views[prefix + SUITES_PATH] = _guard_suites(views[prefix + SUITES_PATH])
