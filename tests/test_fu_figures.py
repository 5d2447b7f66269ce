"""Follow-up figures in the daily report and in the overview's CSV/XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

import openpyxl
import pytest
from dash import Dash

from dashapp import create_app
from dashapp.access.users import Role
from dashapp.config import Settings
from dashapp.followups import service
from dashapp.followups.service import FIGURE_COLUMNS, Change, QueueFilter, Status
from dashapp.ingest.pipeline import ingest
from dashapp.jobs import report
from dashapp.metrics.queries import Filters
from dashapp.services import services_of
from tests.access import client_as
from tests.factories import located, record


@pytest.fixture
def app(store_url: str) -> Iterator[Dash]:
    app = create_app(Settings.load(database_url=store_url, cache_url="simple", config=None))
    svc = services_of(app.server)
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)).isoformat()
    ingest(
        svc.sessions,
        "shop",
        located(
            [
                record(1, score=1, submitted_at=at, comment="kaputt"),
                record(2, score=2, submitted_at=at, comment="spät"),
                record(3, score=3, submitted_at=at, brand="Kvist", country="SE", comment="teuer"),
                record(4, score=10, submitted_at=at),
            ]
        ),
        followups=svc.settings.followups,
    )
    rows = {r.external_id: r for r in service.queue(svc.sessions, QueueFilter())}
    rule = svc.settings.followups
    service.update(svc.sessions, rule, rows["r1"].id, 1, "ana", Change(status=Status.contacted))
    service.update(svc.sessions, rule, rows["r1"].id, 2, "ana", Change(status=Status.resolved))
    yield app
    svc.engine.dispose()


def test_fu_fig001_the_daily_report_has_a_follow_up_section(app: Dash) -> None:
    engine = services_of(app.server).nps
    today = dt.datetime.now(dt.UTC).date()
    built = report.build(engine, today)
    cells = {tuple(f.group.values()): f for f in built.followups}
    velora, total = cells[("Velora", "DE")], cells[()]
    assert (velora.open, velora.contact.n, velora.resolution.n) == (1, 1, 1)
    assert (total.open, total.overdue, total.contact.n) == (2, 0, 1)
    text = report.html(built)
    assert "Follow-ups," in text and "Kvist · SE" in text
    assert "median" in text and "n 1" in text
    # The plain-text part carries the same section (a text-only reader misses nothing).
    plain = report.text(built)
    assert "Follow-ups," in plain and "  Kvist · SE: open 1, overdue 0" in plain
    assert "  All: open 2, overdue 0, first contact median" in plain
    # Narrowed to a brand, the section is too.
    narrowed = report.build(engine, today, Filters(brand=("Kvist",)), "Kvist")
    assert {tuple(f.group.values()) for f in narrowed.followups} == {("Kvist", "SE"), ()}


def test_fu_fig002_the_overview_csv_and_xlsx_carry_follow_up_columns(app: Dash) -> None:
    client = client_as(app, Role.analyst)
    answer = client.get("/export/data/nps.csv?by=brand,country&window=30d")
    assert answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert set(FIGURE_COLUMNS) <= set(rows[0])
    by_cell = {(r["brand"], r["country"]): r for r in rows}
    velora = by_cell[("Velora", "DE")]
    assert (velora["followups_open"], velora["first_contact_n"], velora["resolution_n"]) == (
        "1",
        "1",
        "1",
    )
    assert velora["first_contact_median_h"] != ""
    assert by_cell[("Kvist", "SE")]["followups_open"] == "1"
    book = client.get("/export/data/nps.xlsx?by=brand")
    sheet = openpyxl.load_workbook(io.BytesIO(book.data)).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header[-len(FIGURE_COLUMNS) :] == list(FIGURE_COLUMNS)
