"""Hostile and malformed requests to every route: a 4xx naming what is wrong, never a 5xx."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from dash import Dash
from dash._utils import stringify_id
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from dashapp import create_app
from dashapp.access import gate as auth
from dashapp.access import ingest_tokens as tokens
from dashapp.access.users import Role
from dashapp.config import Settings
from dashapp.ingest.pipeline import ingest
from dashapp.services import services_of
from tests.access import callback_call, client_as
from tests.factories import located, random_records

FILTERS = ("brand", "country", "touchpoint")
#: Every route reading query parameters (the test checks none is missing): a valid rest of
#: the query, and the parameters it reads. Charts are drawn by Chromium: only fixed cases.
ROUTES: dict[str, tuple[str, set[str]]] = {
    "/api/v1/nps": ("", {"by", "window", "as_of", *FILTERS}),
    "/api/v1/labels": ("", {"window", "as_of", *FILTERS}),
    "/export/data/responses.csv": (
        "",
        {"from", "to", "class", "q", "label", "sort", *FILTERS},
    ),
    "/export/data/nps.csv": ("by=brand", {"by", "window", "as_of", *FILTERS}),
    "/export/data/trends.csv": ("", {"as_of", *FILTERS}),
    "/export/data/volume.csv": ("", {"as_of", *FILTERS}),
    "/export/data/labels.csv": ("", {"window", "as_of", *FILTERS}),
    "/export/data/compare.csv": ("a=Velora", {"by", "a", "b", "window", "as_of"}),
}
CHARTS: dict[str, tuple[str, set[str]]] = {
    "/export/chart/heatmap.svg": ("", {"as_of", *FILTERS}),
    "/export/chart/compare.svg": ("a=Velora", {"by", "a", "b", "window", "as_of"}),
    "/export/dashboard.pdf": ("", {"as_of", *FILTERS}),
}
#: Every query parameter any route reads.
PARAMETERS = tuple(sorted(set().union(*(reads for _, reads in ROUTES.values()))))
#: The issue's cases: out-of-range instants, days and page positions.
OUT_OF_RANGE = {
    "as_of": [
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59+00:00",
        "0001-01-01T00:00:00+01:00",
    ],
    "from": ["0001-01-01", "9999-12-31"],
    "to": ["9999-12-31", "0001-01-01"],
    "window": ["9" * 5000],
}
BEFORE = "2026-11-20T10:00:00+00:00~99999999999999999999999"

offsets = st.builds(
    dt.timezone, st.timedeltas(min_value=dt.timedelta(hours=-23), max_value=dt.timedelta(hours=23))
)
instants = st.datetimes(timezones=offsets).map(dt.datetime.isoformat)
days = st.dates().map(dt.date.isoformat)
positions = st.builds(
    lambda score, at, row: "~".join(str(p) for p in (score, at, row) if p is not None),
    st.none() | st.integers(-5, 20),
    instants,
    st.integers(-(2**70), 2**70),
)
#: Values a person or a probe may put in any parameter.
hostile = st.one_of(
    instants,
    days,
    positions,
    st.integers(-(2**70), 2**70).map(str),
    st.text(max_size=40),
    st.sampled_from(["nan", "inf", "-1", "0", "1e999", "30d", "3661d", "brand,brand", "\x00"]),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)
FUZZ = examples(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def app(settings: Settings) -> Iterator[Dash]:
    app = create_app(settings)
    now = dt.datetime.now(dt.UTC)
    ingest(services_of(app.server).sessions, "seed", located(list(random_records(60, end=now))))
    app.server.test_client().get("/")  # Dash registers its page router on the first page
    yield app
    services_of(app.server).engine.dispose()


def _get(client: FlaskClient, path: str, query: str, **more: str) -> Any:
    answer = client.get(f"{path}?{'&'.join(p for p in (query, urlencode(more)) if p)}")
    answer.get_data()  # a streamed export fails while it is read, if it fails
    answer.close()
    return answer


def _assert_named(answer: Any, parameter: str, where: str) -> None:
    """A 4xx naming *parameter*, or an answer that used the value (2xx); never a 5xx."""
    assert answer.status_code < 500, (where, answer.status_code)
    if 400 <= answer.status_code < 500:
        assert answer.json["parameter"] == parameter, (where, answer.json)
        assert parameter in answer.json["error"]


def test_bad001_every_route_names_a_bad_parameter(app: Dash) -> None:
    """Out-of-range dates, huge numbers and junk in any parameter of any route: 400 naming it."""
    blueprints = {"feedbackwall_api", "feedbackwall_exports", "feedbackwall_charts"}
    unread = {"healthz", "readyz", "build_version", "openapi_document", "push_responses"}
    reading = {
        rule.endpoint
        for rule in app.server.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in blueprints and rule.endpoint.split(".")[1] not in unread
    }
    urls = app.server.url_map.bind("localhost")
    assert {urls.match(path)[0] for path in [*ROUTES, *CHARTS]} == reading
    client = client_as(app, Role.admin)
    for path, (query, reads) in {**ROUTES, **CHARTS}.items():
        for name, values in OUT_OF_RANGE.items():
            for value in values:
                if path in CHARTS and name not in reads:
                    continue  # a chart drawn for nothing (Chromium is slow)
                answer = _get(client, path, query, **{name: value})
                _assert_named(answer, name, f"{path}?{name}={value[:40]}")
                assert answer.status_code == (400 if name in reads else 200), (path, name, value)

    @given(path=st.sampled_from(list(ROUTES)), name=st.sampled_from(PARAMETERS), value=hostile)
    @FUZZ
    def anything(path: str, name: str, value: str) -> None:
        answer = _get(client, path, ROUTES[path][0], **{name: value})
        _assert_named(answer, name, f"{path}?{name}={value!r}")

    anything()


def _page(client: FlaskClient, app: Dash, path: str, search: str) -> Any:
    """What Dash Pages' router answers for *path* with *search*."""
    router = next(o for o in app.callback_map if auth.ROUTER_OUTPUT in o)
    body = callback_call(app, router)
    body["inputs"] = [
        {"id": "_pages_location", "property": "pathname", "value": path},
        {"id": "_pages_location", "property": "search", "value": search},
    ]
    return client.post("/_dash-update-component", json=body)


def _callback(client: FlaskClient, app: Dash, prefix: str, *values: Any) -> Any:
    """The callback whose output starts with *prefix*, called with *values* as its inputs."""
    output = next(o for o in app.callback_map if o.startswith(prefix))
    body = callback_call(app, output)
    for item, value in zip(body["inputs"], values, strict=False):
        item["value"] = value
    return client.post("/_dash-update-component", json=body)


def test_bad002_pages_say_which_parameter_is_bad(app: Dash) -> None:
    """Explore, compare and kiosk URLs with bad parameters: the page says which, never a 500."""
    client = client_as(app, Role.admin)
    shown = _callback(client, app, "..explore-summary.children", f"?before={BEFORE}")
    assert shown.status_code == 200
    assert "before:" in shown.text and "is not a page position" in shown.text
    shown = _callback(client, app, "..explore-summary.children", "?to=9999-12-31")
    assert shown.status_code == 200 and "to:" in shown.text
    shown = _callback(client, app, "..compare-result.children", "?a=Velora&window=99999")
    assert shown.status_code == 200 and "window:" in shown.text
    for path in ("/explore", "/compare", "/kiosk", "/", "/feed", "/labels"):
        for name, values in OUT_OF_RANGE.items():
            assert _page(client, app, path, "?" + urlencode({name: values[0]})).status_code == 200
    kiosk = _page(client, app, "/kiosk", "?interval=1e999").json
    config = json.dumps(kiosk)
    assert '"interval": 3600' in config  # a screen must start: the longest interval instead

    @given(
        page=st.sampled_from(["/explore", "/compare", "/kiosk", "/", "/feed", "/labels"]),
        name=st.sampled_from([*PARAMETERS, "pages", "interval", "theme", "night", "playlist"]),
        value=hostile,
    )
    @FUZZ
    def anything(page: str, name: str, value: str) -> None:
        search = "?" + urlencode({name: value})
        assert _page(client, app, page, search).status_code == 200
        for prefix in ("..explore-summary.children", "..compare-result.children"):
            answer = _callback(client, app, prefix, search)
            assert answer.status_code == 200, (prefix, search)

    anything()


def test_bad003_deeply_nested_json_is_a_400(app: Dash) -> None:
    """JSON nested 100,000 deep (a RecursionError) or 65 deep: 400 from push API and callbacks."""
    with services_of(app.server).sessions.begin() as session:
        token = tokens.issue(session, "shop")
    client = client_as(app, Role.admin)
    for depth in (100_000, 65):
        deep = "[" * depth + "]" * depth
        headers = {"Content-Type": "application/json"}
        push = client.post(
            "/api/v1/responses", data=deep, headers={**headers, "Authorization": f"Bearer {token}"}
        )
        assert push.status_code == 400, depth
        record = '{"responses": [{"id": "r1", "properties": ' + deep + "}]}"
        push = client.post(
            "/api/v1/responses",
            data=record,
            headers={**headers, "Authorization": f"Bearer {token}"},
        )
        assert push.status_code == 400, depth
        for body in (deep, '{"output": ' + deep + "}"):
            answer = client.post("/_dash-update-component", data=body, headers=headers)
            assert answer.status_code == 400, depth
    # Nesting a real callback needs (a component tree as a value) still passes.
    nested: Any = "x"
    for _ in range(15):
        nested = {"props": {"children": [nested]}}
    answer = _callback(client, app, "..labels-themes.children", "all", 0, nested)
    assert answer.status_code == 200


def test_bad004_hand_made_callback_requests_are_4xx(app: Dash) -> None:
    """Callback requests of the wrong shape or with values of the wrong type: 400, never 500."""
    client = client_as(app, Role.admin)
    output = next(o for o in app.callback_map if o.startswith("..explore-summary.children"))
    good = callback_call(app, output)
    # The explore list's second input: "an annotation was just marked".
    marked = good["inputs"][1]
    broken: list[Any] = [
        [],
        "x",
        {"output": 1},
        {"output": "made-up.children"},
        {"output": "shell-updated.children"},  # a clientside callback
        {**good, "inputs": "x"},
        {**good, "inputs": []},
        {**good, "inputs": [1]},
        {**good, "inputs": [{"id": "explore-url"}]},
        {**good, "state": {"a": 1}},
        {**good, "outputs": 3},
        {**good, "outputs": [1, 2]},
        # Dependencies, but not the ones the callback writes (Dash raised: a 500).
        {**good, "outputs": []},
        {**good, "outputs": good["outputs"][:1]},
        {**good, "outputs": good["outputs"][0]},
        {**good, "outputs": [*good["outputs"][:-1], {"id": "made-up", "property": "children"}]},
        {**good, "outputs": [[o] for o in good["outputs"]]},
        {**good, "changedPropIds": "explore-url.search"},
        {
            **good,
            "inputs": [{"id": "explore-url", "property": "search", "value": {"a": [1]}}, marked],
        },
        {**good, "inputs": [{"id": "explore-url", "property": "search", "value": 7}, marked]},
    ]
    for body in broken:
        answer = client.post("/_dash-update-component", json=body)
        assert answer.status_code == 400, (body, answer.status_code)
        assert "error" in answer.json
    wrong = client.post("/_dash-update-component", json=broken[-1])
    assert wrong.json["parameter"] == "explore-url.search"
    # A revoke button the page never drew: its token id is no row id.
    act = callback_call(
        app, next(o for o in app.callback_map if o.startswith("admin-changed.data@"))
    )
    for token in ("abc", 10**30, 1.5, True):
        button = {"type": "admin-revoke", "kind": "api", "token": token}
        act["inputs"] = [[{"id": button, "property": "n_clicks", "value": 1}], []]
        act["state"] = [{"id": "admin-changed", "property": "data", "value": 0}]
        act["changedPropIds"] = [stringify_id(button) + ".n_clicks"]
        assert client.post("/_dash-update-component", json=act).status_code == 204, token
    outputs = [o for o, spec in app.callback_map.items() if "callback" in spec]

    @given(
        output=st.sampled_from(outputs),
        values=st.lists(json_values, min_size=6, max_size=6),
        ids=st.lists(json_values, min_size=6, max_size=6),
        changed=st.lists(st.integers(0, 5), max_size=2),
    )
    @FUZZ
    def anything(output: str, values: list[Any], ids: list[Any], changed: list[int]) -> None:
        body = callback_call(app, output)
        sent = [*body["inputs"], *body["state"]]
        for i, (item, value, wild) in enumerate(zip(sent, values, ids, strict=False)):
            item["value"] = value
            if item["id"].startswith("{"):
                # A pattern-matching input: some of its kind, with made-up ids.
                pattern = json.loads(item["id"])
                made = {k: wild if isinstance(v, list) else v for k, v in pattern.items()}
                sent[i] = [{**item, "id": made}] if '["ALL' in item["id"] else {**item, "id": made}
        inputs = sent[: len(body["inputs"])]
        body["inputs"], body["state"] = inputs, sent[len(inputs) :]
        flat = [i for item in inputs for i in (item if isinstance(item, list) else [item])]
        body["changedPropIds"] = [
            f"{stringify_id(flat[c]['id'])}.{flat[c]['property']}" for c in changed if c < len(flat)
        ]
        answer = client.post("/_dash-update-component", json=body)
        assert answer.status_code < 500, (output, values, answer.status_code)

    anything()


def test_bad005_unknown_script_paths_are_404(app: Dash) -> None:
    """Paths under /_dash-component-suites/ that Dash does not serve: 404, never a 500."""
    client = app.server.test_client()
    for path in (
        "nope/x.js",
        "dash/x.exe",
        "dash/../../etc/passwd",
        "dash/dcc/nothere.js",
        "dash/deps/polyfill@7.v9_9_9m1.js",
        "dash/%00.js",
    ):
        answer = client.get(f"/_dash-component-suites/{path}")
        assert answer.status_code == 404, (path, answer.status_code)
