"""Drill-down: selections from URLs, keyset pages, data exports; and three clicks in a browser."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import replace

import openpyxl
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dashapp import create_app
from dashapp.config import Settings
from dashapp.followups.service import FIGURE_COLUMNS as FOLLOWUP_COLUMNS
from dashapp.ingest.pipeline import ingest
from dashapp.ingest.validation import safe_text
from dashapp.metrics import queries
from dashapp.metrics.params import BadParameter, format_before, parse_before, parse_selection
from dashapp.services import services_of
from dashapp.store.models import Response
from tests.access import client_as
from tests.factories import located, random_records, record
from tests.poison import COMMENT, brand_for, poison

END = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


def test_exp001_selection_from_url() -> None:
    sel = parse_selection(
        {
            "from": "2026-11-01",
            "to": "2026-11-02",
            "brand": "Velora",
            "class": "detractor",
            "q": "late",
        }
    )
    assert sel.start is not None and sel.end is not None
    assert sel.start < dt.datetime(2026, 11, 1, tzinfo=dt.UTC) < sel.start + dt.timedelta(seconds=1)
    assert (
        dt.datetime(2026, 11, 2, 23, 59, 59, tzinfo=dt.UTC)
        <= sel.end
        < dt.datetime(2026, 11, 3, tzinfo=dt.UTC)
    )
    assert sel.filters.brand == ("Velora",)
    with pytest.raises(BadParameter, match="class"):
        parse_selection({"class": "fans"})
    with pytest.raises(BadParameter, match="from"):
        parse_selection({"from": "2026-11-05", "to": "2026-11-01"})
    position = (END, 42)
    assert parse_before(format_before(position)) == position
    assert parse_before(format_before((3, END, 42)), "low") == (3, END, 42)
    # Edited page positions are refused, not passed on to the query.
    for text, sort in [("2026-11-01T00:00:00~5", "new"), ("42~2026-11-01T00:00:00Z~5", "low")]:
        with pytest.raises(BadParameter, match="before"):
            parse_before(text, sort)


def test_exp006_a_score_position_outside_the_class_pages_on(
    sessions: sessionmaker[Session],
) -> None:
    ingest(sessions, "s", located(list(random_records(200, end=END, days=5))))
    with sessions() as session:
        detractors = queries.Selection(score_class="detractor", sort="high")
        everything = queries.responses_page(session, detractors, limit=500)
        # A promoter's position (score 9) lies before every detractor when highest come first,
        # after every one when lowest come first.
        assert queries.responses_page(session, detractors, limit=500, before=(9, END, 1)) == (
            everything
        )
        assert everything and all(r.score <= 6 for r in everything)
        lowest = replace(detractors, sort="low")
        assert queries.responses_page(session, lowest, limit=500, before=(9, END, 1)) == []


def test_exp002_keyset_pages_cover_everything_once(sessions: sessionmaker[Session]) -> None:
    rows = list(random_records(700, end=END, days=10))
    # Several responses at the very same instant must not be lost between pages,
    # also where that instant is a window's (inclusive) end.
    window_end = END - dt.timedelta(days=1)
    rows += [record(10_000 + i, submitted_at=END.isoformat()) for i in range(30)]
    rows += [record(20_000 + i, submitted_at=window_end.isoformat()) for i in range(30)]
    ingest(sessions, "s", located(rows))
    window = queries.Selection(start=END - dt.timedelta(days=6), end=window_end)
    with sessions() as session:
        stored = session.execute(select(Response.id, Response.submitted_at)).all()
        in_window = {i for i, at in stored if window.start < at <= window_end}
        for selection, expected in [
            (queries.Selection(), {i for i, _ in stored}),
            *((replace(window, sort=sort), in_window) for sort in queries.SORTS),
        ]:
            seen: list[int] = []
            before = None
            while True:
                page = queries.responses_page(session, selection, limit=64, before=before)
                seen += [r.id for r in page]
                if len(page) < 64:
                    break
                before = queries.position(page[-1], selection.sort)
            assert len(seen) == len(set(seen)) == len(expected), selection
            assert set(seen) == expected
    assert len(stored) == 760 and 30 < len(in_window) < 760


def test_exp003_text_and_class_filters(sessions: sessionmaker[Session]) -> None:
    ingest(
        sessions,
        "s",
        located(
            [
                record(1, score=2, comment="Paket kam 100% zu spät"),
                record(2, score=2, comment="Alles gut"),
                record(3, score=10, comment="Zu spät, aber nett"),
                record(4, score=3, comment="1000 Dank, zu spät"),
            ]
        ),
    )
    with sessions() as session:
        found = queries.responses_page(
            session, queries.Selection(score_class="detractor", text="ZU SPÄT")
        )
        assert sorted(r.external_id for r in found) == ["r1", "r4"]
        # "%" typed by a person is a character, not a wildcard.
        assert [
            r.external_id for r in queries.responses_page(session, queries.Selection(text="100%"))
        ] == ["r1"]


@pytest.fixture
def client(settings: Settings) -> Iterator[FlaskClient]:
    app = create_app(settings)
    yield client_as(app)
    services_of(app.server).engine.dispose()


def test_exp004_csv_and_xlsx_exports(client: FlaskClient) -> None:
    svc = services_of(client.application)
    hostile = '=HYPERLINK("http://evil.example","click")'
    ingest(
        svc.sessions,
        "s",
        located(
            [
                record(1, comment=hostile, submitted_at="2026-11-19T10:00:00Z"),
                record(2, country="FR", submitted_at="2026-11-19T11:00:00Z"),
                record(3, submitted_at="2026-10-01T11:00:00Z"),
            ]
        ),
    )
    query = "from=2026-11-01&to=2026-11-20&country=DE"
    resp = client.get(f"/export/data/responses.csv?{query}")
    assert resp.status_code == 200
    assert 'filename="feedbackwall-responses-' in resp.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [r["id"] for r in rows] == ["r1"]
    assert rows[0]["comment"] == "'" + hostile  # inert in a spreadsheet
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/export/data/responses.xlsx?{query}").data)
    )
    sheet = book.active
    assert [c.value for c in sheet[1]][:3] == ["source", "id", "submitted_at"]
    comment = sheet.cell(row=2, column=8)
    assert comment.value == hostile
    assert comment.data_type == "s"  # text, not a formula
    nps = client.get("/export/data/nps.csv?by=country&window=3660d&as_of=2026-11-21T00:00:00Z")
    assert nps.get_data(as_text=True).splitlines()[
        0
    ] == "country,n,promoters,passives,detractors,nps,ci_low,ci_high,too_small," + ",".join(
        FOLLOWUP_COLUMNS
    )
    # Two promoters in DE, one in FR: both below the minimum n, and the rows say so; FR's
    # single response (NPS 100) lies inside its own interval.
    assert nps.get_data(as_text=True).splitlines()[1:] == [
        # No follow-ups here: zero open, no answer times.
        "DE,2,2,0,0,100.0,-24.4,100.0,True,0,0,0,,,0,,",
        "FR,1,1,0,0,100.0,-48.5,100.0,True,0,0,0,,,0,,",
    ]
    book = openpyxl.load_workbook(
        io.BytesIO(
            client.get(
                "/export/data/nps.xlsx?by=country&window=3660d&as_of=2026-11-21T00:00:00Z"
            ).data
        )
    )
    last = -1 - len(FOLLOWUP_COLUMNS)
    assert [c.value for c in book.active[1]][last] == "too_small"
    assert all(row[last].value is True for row in book.active.iter_rows(min_row=2))
    assert client.get("/export/data/responses.pdf").status_code == 400
    assert client.get("/export/data/responses.csv?from=soon").json["parameter"] == "from"
    assert client.get("/export/data/everything.csv").status_code == 404


def test_exp005_tables_behind_the_charts(client: FlaskClient) -> None:
    svc = services_of(client.application)
    ingest(svc.sessions, "s", located(list(random_records(300, end=END, days=20))))
    as_of = "as_of=2026-11-20T12:00:00Z"
    volume = list(
        csv.reader(
            io.StringIO(client.get(f"/export/data/volume.csv?{as_of}").get_data(as_text=True))
        )
    )
    assert volume[0] == ["day", "n", "promoters", "passives", "detractors"]
    assert len(volume) == 31
    assert sum(int(r[1]) for r in volume[1:]) == 300  # all lie in the last 20 days
    trends = list(
        csv.DictReader(
            io.StringIO(client.get(f"/export/data/trends.csv?{as_of}").get_data(as_text=True))
        )
    )
    assert {r["window_days"] for r in trends} == {"7", "30"}
    # Every NPS row says whether its n is below the minimum (10 by default).
    assert all(r["too_small"] == str(int(r["n"]) < 10) for r in trends)
    assert {r["too_small"] for r in trends} == {"True", "False"}
    assert client.get("/export/data/trends.xlsx").status_code == 200


def test_exp011_exports_carry_control_characters_stored_before_the_rule(
    client: FlaskClient,
) -> None:
    """NUL, ESC, a vertical tab in stored text: XLSX and CSV still download, the text shown."""
    svc = services_of(client.application)
    ingest(
        svc.sessions,
        "s",
        located(
            [
                record(1, submitted_at="2026-11-19T10:00:00Z"),
                # Tabs and line breaks pass ingest and stay what they are.
                record(2, submitted_at="2026-11-19T11:00:00Z", comment="one\ttwo\r\nthree"),
            ]
        ),
    )
    brand = brand_for(svc.sessions)
    poison(svc.sessions, brand, comment=COMMENT)
    query = "from=2026-11-01&to=2026-11-20"
    for name in ("responses", "nps", "labels"):
        extra = "&by=brand&window=60d&as_of=2026-11-20T00:00:00Z" if name == "nps" else ""
        resp = client.get(f"/export/data/{name}.xlsx?{query}{extra}")
        assert resp.status_code == 200, (name, resp.data[:200])
        openpyxl.load_workbook(io.BytesIO(resp.data))
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/export/data/responses.xlsx?{query}").data)
    ).active
    rows = {r[1]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    shown = safe_text(brand)
    assert rows["r1"][3] == shown and "\ufffd[31mra\ufffd" in shown
    assert rows["r1"][7] == safe_text(COMMENT) and rows["r2"][7] == safe_text(COMMENT)
    nps = openpyxl.load_workbook(
        io.BytesIO(
            client.get("/export/data/nps.xlsx?by=brand&window=60d&as_of=2026-11-20T00:00:00Z").data
        )
    ).active
    assert [r[0] for r in nps.iter_rows(min_row=2, values_only=True)] == [shown]
    text = client.get(f"/export/data/responses.csv?{query}").get_data(as_text=True)
    assert shown in text and "\x1b" not in text and "\x00" not in text


def test_exp012_tabs_and_line_breaks_survive_the_exports(client: FlaskClient) -> None:
    """What ingest accepts, the exports keep exactly (one rule for both)."""
    svc = services_of(client.application)
    comment = "one\ttwo\nthree"
    ingest(
        svc.sessions,
        "s",
        located([record(1, submitted_at="2026-11-19T10:00:00Z", comment=comment)]),
    )
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get("/export/data/responses.xlsx?from=2026-11-01&to=2026-11-20").data)
    ).active
    assert sheet.cell(row=2, column=8).value == comment
    text = client.get("/export/data/responses.csv?from=2026-11-01&to=2026-11-20").get_data(
        as_text=True
    )
    assert next(csv.DictReader(io.StringIO(text)))["comment"] == comment


def test_exp007_one_default_window_for_pickers_list_summary_exports_and_links() -> None:
    """Without from/to the selection is the last 30 UTC days: what the pickers show, what the
    list, summary and exports select, and what the labels page's links name."""
    from callbacks.labels import label_rows
    from dashapp.labels.stats import LabelStat
    from dashapp.metrics.nps import compare, compute
    from dashapp.metrics.params import selection_days
    from layouts import explore

    today = dt.datetime.now(dt.UTC).date()
    first = today - dt.timedelta(days=29)
    assert selection_days({}) == (first, today)
    # The selection without dates is the selection of exactly those days.
    spelled = parse_selection({"from": first.isoformat(), "to": today.isoformat()})
    assert parse_selection({}) == spelled
    assert spelled.start is not None and spelled.end is not None
    # One end named: the other is today, or 30 days back from it.
    assert selection_days({"from": "2026-11-01"}) == (dt.date(2026, 11, 1), today)
    assert selection_days({"to": "2026-11-20"}) == (dt.date(2026, 10, 22), dt.date(2026, 11, 20))
    # The date pickers show the same window.
    pickers = explore.layout().children[2].children[0].children
    assert (pickers.start_date, pickers.end_date) == (first.isoformat(), today.isoformat())
    typed = explore.layout(**{"from": "2026-10-01", "to": "2026-10-05"}).children[2].children[0]
    assert (typed.children.start_date, typed.children.end_date) == ("2026-10-01", "2026-10-05")
    # The labels page's links open the drill-down with that window named.
    figures = compute(10, 5, 5)
    stat = LabelStat(
        "delivery", "Delivery", "Delivery", 1, 20, 0.5, figures, 5, 5, 10, figures,
        compare(figures, figures), 0.0, 0.5,
    )  # fmt: skip
    [link] = [a.href for a in _walk(label_rows([stat], 10)) if getattr(a, "href", None) is not None]
    assert link == f"/explore?from={first}&to={today}&label=delivery"


def _walk(component: object) -> Iterator[object]:
    """*component* and everything inside it."""
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            yield from _walk(child)


def test_exp008_export_without_dates_is_the_default_window(client: FlaskClient) -> None:
    """A responses export whose link names no dates holds the last 30 days, as the page lists."""
    svc = services_of(client.application)
    now = dt.datetime.now(dt.UTC)
    ingest(
        svc.sessions,
        "s",
        located(
            [
                record(1, submitted_at=(now - dt.timedelta(days=3)).isoformat()),
                record(2, submitted_at=(now - dt.timedelta(days=45)).isoformat()),
                record(3, submitted_at=(now - dt.timedelta(days=200)).isoformat()),
            ]
        ),
    )
    rows = list(
        csv.DictReader(io.StringIO(client.get("/export/data/responses.csv").get_data(as_text=True)))
    )
    assert [r["id"] for r in rows] == ["r1"]
    every = client.get("/export/data/responses.csv?from=2000-01-01").get_data(as_text=True)
    assert len(list(csv.DictReader(io.StringIO(every)))) == 3
