"""The wall's poll answers, encoded once and shared by every screen asking the same.

Two hundred screens polling the same panels ask the same question; the panels
themselves are cached (``NpsEngine.memo``), but Dash would still turn each
into JSON for every screen, and on a small host that is most of the cost
(docs/benchmarks.md, load). Here the finished answer of a shared callback is
kept as bytes under:

- the caller's role (what a role sees may differ, e.g. export links),
- the callback and its inputs and states, without the poll timer's tick count
  (every screen's timer differs; the answer does not depend on it),
- the store's data version (a new response changes it: nothing stale is served),
- a 5-second bucket of time, so relative times ("2 min ago") and the
  "updated" stamp move on while the data stands still.

Only callbacks registered as shared (the wall's panels) are kept; anything
else passes through untouched. Runs after the access gate, which decides who
may ask at all.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, current_app, g, request

from dashapp.access.gate import current_person
from dashapp.figures.nps_engine import watch_freshness
from dashapp.i18n import current as current_language
from dashapp.services import services_of

EXTENSION = "feedbackwall.answers"
BUCKET_SECONDS = 5
PATH = "/_dash-update-component"


def question(body: Any, triggers: Collection[str] = ()) -> str | None:
    """A digest of what a callback request asks; None if malformed (pure).

    The values of poll ticks (``n_intervals``) and of the *triggers* (ids of
    components whose value only says "ask again") are left out.
    """
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return None

    def values(items: Any) -> list[Any]:
        if not isinstance(items, list):
            return []
        return [
            [
                i.get("id"),
                i.get("property"),
                None
                if i.get("property") == "n_intervals" or i.get("id") in triggers
                else i.get("value"),
            ]
            for i in items
            if isinstance(i, dict)
        ]

    asked = [body["output"], values(body.get("inputs")), values(body.get("state"))]
    encoded = json.dumps(asked, sort_keys=True, default=str).encode()
    return hashlib.blake2b(encoded, digest_size=16).hexdigest()


@dataclass(slots=True)
class Shared:
    """Which callbacks' answers are kept, and which inputs only trigger them."""

    outputs: set[str] = field(default_factory=set)
    triggers: set[str] = field(default_factory=set)


def share(server: Flask, outputs: Iterable[str], triggers: Iterable[str] = ()) -> None:
    """Keep the answers of the callbacks writing *outputs* (keys of ``app.callback_map``).

    *triggers*: ids of components whose value only asks for a refresh (see :func:`question`).
    """
    shared = server.extensions.setdefault(EXTENSION, Shared())
    shared.outputs.update(outputs)
    shared.triggers.update(triggers)


def _serve() -> Response | None:
    if request.path != PATH or request.method != "POST":
        return None
    shared: Shared = current_app.extensions[EXTENSION]
    body = request.get_json(silent=True)
    person = current_person()
    if person is None or not isinstance(body, dict) or body.get("output") not in shared.outputs:
        return None
    asked = question(body, shared.triggers)
    if asked is None:
        return None
    svc = services_of()
    bucket = int(time.time() // BUCKET_SECONDS)
    # The language too: a German screen is never answered with an English panel.
    language = current_language()
    key = f"fw:answer:{svc.versions.current().data}:{bucket}:{person.role.name}:{language}:{asked}"
    kept = svc.cache.get(key)
    if kept is not None:
        return Response(kept, mimetype="application/json")
    g.answer_key = key
    g.answer_freshness = watch_freshness()
    return None


def _keep(response: Response) -> Response:
    key = g.pop("answer_key", None)
    freshness = g.pop("answer_freshness", None)
    # An answer built from an older version's panel must not stand for the new version.
    if (
        key
        and response.status_code == 200
        and not response.direct_passthrough
        and not (freshness is not None and freshness.stale)
    ):
        services_of().cache.set(key, response.get_data(), timeout=4 * BUCKET_SECONDS)
    return response


def install(server: Flask) -> None:
    """Serve kept answers before Dash runs a shared callback, and keep new ones after."""
    server.extensions.setdefault(EXTENSION, Shared())
    server.before_request(_serve)
    server.after_request(_keep)
