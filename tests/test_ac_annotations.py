"""Annotations: marked through the API, on every trend chart, compared in explore (#20 part 3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import plotly.graph_objects as go
import pytest
from dash import Dash
from dash.testing.composite import DashComposite

from callbacks.explore import annotation_lines
from callbacks.wall import overview_panel
from dashapp import create_app
from dashapp.access.users import Role
from dashapp.config import Settings
from dashapp.figures import charts
from dashapp.ingest.pipeline import ingest
from dashapp.metrics import annotations as marks
from dashapp.metrics.annotations import Mark
from dashapp.metrics.queries import Filters
from dashapp.services import services_of
from dashapp.store import db
from layouts.ids import Panels
from tests.access import client_as
from tests.factories import located, record
from tests.test_report import pdf_text

TODAY = dt.datetime.now(dt.UTC).date()
#: The event: a day 20 days ago, after which detractors took over.
EVENT = TODAY - dt.timedelta(days=20)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Dash]:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    db.upgrade(url)
    sessions = db.make_sessionmaker(db.make_engine(url))
    noon = dt.datetime.combine(TODAY, dt.time(12), dt.UTC)
    rows = []
    for i in range(400):
        day = noon - dt.timedelta(days=1 + i % 40, hours=i % 5)
        after = day.date() > EVENT
        score = (3 if i % 4 else 9) if after else (10 if i % 4 else 6)
        rows.append(
            record(i, score=score, brand=("Velora", "Kvist")[i % 2], submitted_at=day.isoformat())
        )
    ingest(sessions, "s", located(rows))
    app = create_app(Settings.load(database_url=url, cache_url="simple"))
    yield app
    services_of(app.server).engine.dispose()


def test_ac301_api_marks_lists_scopes_and_deletes(app: Dash) -> None:
    analyst = client_as(app, Role.analyst)
    made = analyst.post(
        "/api/v1/annotations",
        json={"starts_on": EVENT.isoformat(), "text": "Carrier switched to <b>FastPost</b>"},
    )
    assert made.status_code == 201, made.json
    assert made.json["scope"] == "everything" and made.json["ends_on"] == EVENT.isoformat()
    ranged = analyst.post(
        "/api/v1/annotations",
        json={
            "starts_on": (EVENT - dt.timedelta(days=5)).isoformat(),
            "ends_on": (EVENT - dt.timedelta(days=3)).isoformat(),
            "text": "Kvist sale",
            "brand": "Kvist",
            "country": "de",
        },
    )
    assert ranged.status_code == 201 and ranged.json["country"] == "DE"
    for body, field in (
        ({"starts_on": "2026-11-20", "ends_on": "2026-11-19", "text": "x"}, "ends_on"),
        ({"starts_on": "2026-11-20", "text": ""}, "text"),
        ({"starts_on": "2026-11-20", "text": "a\x1bb"}, "text"),
        ({"starts_on": "2026-13-40", "text": "x"}, "starts_on"),
        ({"starts_on": "2026-11-20", "text": "x", "country": "Deutschland"}, "country"),
        ({"starts_on": "2026-11-20", "text": "x", "colour": "red"}, "colour"),
    ):
        bad = analyst.post("/api/v1/annotations", json=body)
        assert bad.status_code == 422 and field in bad.json["error"], (body, bad.json)
    assert analyst.post("/api/v1/annotations", data="x").status_code == 400
    everything = analyst.get("/api/v1/annotations").json["annotations"]
    assert [a["text"] for a in everything] == ["Kvist sale", "Carrier switched to <b>FastPost</b>"]
    velora = analyst.get("/api/v1/annotations?brand=Velora").json["annotations"]
    assert [a["text"] for a in velora] == ["Carrier switched to <b>FastPost</b>"]
    assert analyst.get("/api/v1/annotations?days=0").status_code == 400
    viewer = client_as(app, Role.viewer)
    assert (
        viewer.post(
            "/api/v1/annotations", json={"starts_on": "2026-11-20", "text": "x"}
        ).status_code
        == 403
    )
    assert analyst.delete(f"/api/v1/annotations/{ranged.json['id']}").status_code == 200
    assert analyst.delete(f"/api/v1/annotations/{ranged.json['id']}").status_code == 404
    assert analyst.delete("/api/v1/annotations/9223372036854775808").status_code == 404  # not a 500
    assert len(analyst.get("/api/v1/annotations").json["annotations"]) == 1


def test_ac302_the_wall_trend_chart_shows_it_with_its_text_on_hover(app: Dash) -> None:
    svc = services_of(app.server)
    with app.server.test_request_context():
        before = overview_panel(svc, Filters(), 1.0)[4]
    assert not before["layout"].get("shapes")
    analyst = client_as(app, Role.analyst)
    analyst.post(
        "/api/v1/annotations", json={"starts_on": EVENT.isoformat(), "text": "Carrier switched"}
    )
    analyst.post(
        "/api/v1/annotations",
        json={
            "starts_on": (EVENT - dt.timedelta(days=9)).isoformat(),
            "ends_on": (EVENT - dt.timedelta(days=7)).isoformat(),
            "text": "Sale",
        },
    )
    with app.server.test_request_context():
        trend = overview_panel(svc, Filters(), 1.0)[4]  # the same builder the wall's callback uses
    shapes = trend["layout"]["shapes"]
    kinds = sorted(s["type"] for s in shapes)
    assert kinds == ["line", "rect"]
    [line] = [s for s in shapes if s["type"] == "line"]
    assert str(line["x0"])[:10] == EVENT.isoformat() and line["yref"] == "paper"
    [hover] = [t for t in trend["data"] if t.get("name") == "annotations"]
    assert any("Carrier switched" in h for h in hover["hovertext"])
    assert {a["text"] for a in trend["layout"]["annotations"]} >= {"Carrier switched", "Sale"}


def test_ac303_exported_svg_carries_the_annotation_text(app: Dash) -> None:
    analyst = client_as(app, Role.analyst)
    analyst.post(
        "/api/v1/annotations", json={"starts_on": EVENT.isoformat(), "text": "Carrier <switched>"}
    )
    svg = analyst.get("/export/chart/trends.svg")
    assert svg.status_code == 200, svg.text[:300]
    text = svg.data.decode()
    words = {"".join(node.itertext()) for node in ElementTree.fromstring(text).iter()}
    assert "Carrier <switched>" in words  # as text in the SVG, not markup
    assert "<switched>" not in text


def test_ac307_the_dashboard_pdf_marks_it_on_its_trend(app: Dash) -> None:
    """The one-page dashboard (the monthly slide) draws a mark as the wall does: its
    line and its text on the trend panel, not a stray hover marker on the zero line."""
    analyst = client_as(app, Role.analyst)
    analyst.post("/api/v1/annotations", json={"starts_on": EVENT.isoformat(), "text": "Carrier X"})
    pdf = analyst.get("/export/dashboard.pdf")
    assert pdf.status_code == 200, pdf.text[:300]
    assert "Carrier X" in pdf_text(pdf.data)
    trend = go.Figure(go.Scatter(x=[EVENT - dt.timedelta(days=5), TODAY], y=[10, 20]))
    charts.annotate(trend, [Mark(1, EVENT, EVENT, "Carrier X")])
    built = charts.dashboard(
        ("NPS", "+15", "n = 9"), [("h", go.Figure()), ("t", trend), ("v", go.Figure())], ""
    )
    [line] = [shape for shape in built.layout.shapes if shape.type == "line"]
    assert (line.xref, line.yref) == ("x3", "y3 domain")  # the trend panel's axes
    [label] = [a for a in built.layout.annotations if a.text == "Carrier X"]
    assert (label.xref, label.yref) == ("x3", "y3 domain")
    assert all(t.name != "annotations" for t in built.data)  # hover markers: screens only


def test_ac304_explore_compares_before_and_after(app: Dash) -> None:
    svc = services_of(app.server)
    client_as(app, Role.analyst).post(
        "/api/v1/annotations", json={"starts_on": EVENT.isoformat(), "text": "Carrier switched"}
    )
    lines = annotation_lines(svc, TODAY - dt.timedelta(days=30), TODAY, Filters())
    text = str(lines)
    assert "Carrier switched" in text and "significant" in text and "within noise" not in text
    # Out of the days shown: nothing.
    assert annotation_lines(svc, TODAY - dt.timedelta(days=10), TODAY, Filters()) == []
    [mark] = svc.nps.annotations(days=40)
    before, after, change = svc.nps.around(mark, days=14)
    assert (before.nps or 0) > 25 > 0 > -25 > (after.nps or 0)
    assert change.significant and (change.delta or 0) < 0


def test_ac305_explore_marks_an_event_from_its_chart_scoped_to_the_selection(app: Dash) -> None:
    from callbacks.explore import mark_from_form, trend_figure

    svc = services_of(app.server)
    params = {
        "brand": "Velora",
        "country": "DE",
        "from": (TODAY - dt.timedelta(days=40)).isoformat(),
    }
    # Said in the form's words: its labels, not the API's field names.
    with pytest.raises(ValueError, match="^What happened: required$"):
        mark_from_form(svc, params, {"starts_on": EVENT.isoformat(), "text": ""}, "ana")
    with pytest.raises(ValueError, match="^Event from: not a date$"):
        mark_from_form(svc, params, {"starts_on": "not a day", "text": "x"}, "ana")
    with pytest.raises(ValueError, match="^Event from: required$"):
        mark_from_form(svc, params, {"text": "x"}, "ana")
    before = (EVENT - dt.timedelta(days=1)).isoformat()
    with pytest.raises(ValueError, match=r"^Event to \(optional\): before the day it starts$"):
        mark_from_form(
            svc, params, {"starts_on": EVENT.isoformat(), "ends_on": before, "text": "x"}, "ana"
        )
    with pytest.raises(ValueError, match="^What happened: at most 500 characters$"):
        mark_from_form(svc, params, {"starts_on": EVENT.isoformat(), "text": "x" * 501}, "ana")
    made = mark_from_form(
        svc, params, {"starts_on": EVENT.isoformat(), "text": "New packaging"}, "ana"
    )
    assert (made.brand, made.country, made.touchpoint, made.created_by) == (
        "Velora",
        "DE",
        None,
        "ana",
    )
    figure = trend_figure(svc, params)
    assert [s.type for s in figure.layout.shapes] == ["line"]
    assert "New packaging" in str(figure.data[-1].hovertext)
    assert not trend_figure(svc, {"brand": "Kvist"}).layout.shapes  # scoped to Velora


@pytest.mark.browser
def test_ac306_browser_the_wall_trend_chart_draws_the_annotation(
    dash_duo: DashComposite, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'wall.db'}"
    db.upgrade(url)
    sessions = db.make_sessionmaker(db.make_engine(url))
    noon = dt.datetime.combine(TODAY, dt.time(12), dt.UTC)
    rows = [
        record(i, score=i % 11, submitted_at=(noon - dt.timedelta(days=1 + i % 60)).isoformat())
        for i in range(300)
    ]
    ingest(sessions, "s", located(rows))
    marks.create(sessions, Mark(0, EVENT, EVENT, "Carrier switched to FastPost"))
    app = create_app(
        Settings.load(database_url=url, cache_url="simple", poll_interval=1), local_demo=True
    )
    dash_duo.start_server(app)
    chart = f"#{Panels.TRENDS}"
    dash_duo.wait_for_contains_text(
        chart, "Carrier switched", timeout=20
    )  # the label beside the line
    assert dash_duo.find_elements(f"{chart} .shapelayer path")  # the line itself
    assert dash_duo.get_logs() == []


def test_ac308_labels_of_near_marks_do_not_overlap_and_read_on_each_theme() -> None:
    """Marks a few days apart get their labels on separate lines; far apart, one line.
    Label text reaches 4.5:1 on each screen theme's card and on paper."""
    start = dt.date(2026, 9, 1)
    trend = go.Figure(go.Scatter(x=[start, start + dt.timedelta(days=89)], y=[0, 1]))
    near = [
        Mark(1, start + dt.timedelta(days=40), start + dt.timedelta(days=40), "Carrier switched"),
        Mark(2, start + dt.timedelta(days=42), start + dt.timedelta(days=46), "Black week promo"),
        Mark(3, start + dt.timedelta(days=44), start + dt.timedelta(days=44), "Returns portal"),
        Mark(4, start + dt.timedelta(days=85), start + dt.timedelta(days=85), "Price list"),
    ]
    charts.annotate(trend, near, span=(start, start + dt.timedelta(days=89)))
    shift = {a.text: a.yshift or 0 for a in trend.layout.annotations}
    assert len({shift["Carrier switched"], shift["Black week promo"], shift["Returns portal"]}) == 3
    assert shift["Price list"] == shift["Carrier switched"]  # far from the others: first line
    for name, theme in charts.THEMES.items():
        themed = charts.annotate(go.Figure(), near[:1], theme=name)
        [label] = themed.layout.annotations
        assert charts.contrast(label.font.color, theme.card) >= 4.5, name
    printed = charts.for_print(charts.annotate(go.Figure(), near[:1]), "t", "s")
    [label] = [a for a in printed.layout.annotations if a.text == "Carrier switched"]
    assert charts.contrast(label.font.color, "#ffffff") >= 4.5


def test_ac310_on_a_wall_labels_are_the_charts_size_and_still_apart() -> None:
    """A wall draws labels as large as the rest of its text (42 px at 1080p): two marks a
    month apart on a 90-day axis no longer fit on one line there, though they do on a desk."""
    start = dt.date(2026, 9, 1)
    span = (start, start + dt.timedelta(days=89))
    marks = [
        Mark(
            1,
            start + dt.timedelta(days=20),
            span[0] + dt.timedelta(days=20),
            "Price increase in Germany",
        ),
        Mark(
            2,
            start + dt.timedelta(days=50),
            span[0] + dt.timedelta(days=50),
            "New courier in Sweden",
        ),
    ]
    desk = charts.annotate(go.Figure(), marks, span=span)
    wall = charts.annotate(go.Figure(), marks, 3.0, span=span, wall=True)
    assert len({a.yshift or 0 for a in desk.layout.annotations}) == 1
    labels = wall.layout.annotations
    assert len({a.yshift or 0 for a in labels}) == 2
    assert all(a.font.size == 42 for a in labels)
    assert all(len(a.text) <= charts.WALL_MARK_LABEL for a in labels)


def test_ac309_explores_trend_spans_exactly_the_selected_days(app: Dash) -> None:
    """The trend under the pickers starts on `from` and ends on `to` (local days), no day
    late or early."""
    from callbacks.explore import trend_figure

    first, last = TODAY - dt.timedelta(days=20), TODAY - dt.timedelta(days=11)
    fig = trend_figure(services_of(app.server), {"from": first.isoformat(), "to": last.isoformat()})
    days = sorted(
        {str(x)[:10] for trace in fig.data if trace.name != "annotations" for x in trace.x}
    )
    assert (days[0], days[-1]) == (first.isoformat(), last.isoformat())
