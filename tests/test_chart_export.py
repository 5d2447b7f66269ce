"""Chart exports rendered by kaleido with the system Chromium: real PNG, SVG and PDF files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from dashapp import create_app
from dashapp.config import Settings
from dashapp.ingest import ingest
from dashapp.services import services_of
from tests.access import client_as
from tests.factories import located, random_records

AS_OF = "2026-11-20T12:00:00Z"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[FlaskClient]:
    from dashapp import db

    url = f"sqlite:///{tmp_path / 'store.db'}"
    db.upgrade(url)
    app = create_app(Settings.load(database_url=url))
    svc = services_of(app.server)
    ingest(
        svc.sessions,
        "s",
        located(list(random_records(800, end=dt.datetime(2026, 11, 20, 11, tzinfo=dt.UTC)))),
    )
    yield client_as(app)
    svc.engine.dispose()


@pytest.mark.parametrize(
    ("fmt", "magic"), [("png", b"\x89PNG"), ("svg", b"<svg"), ("pdf", b"%PDF")]
)
def test_chart001_formats(client: FlaskClient, fmt: str, magic: bytes) -> None:
    resp = client.get(f"/export/chart/heatmap.{fmt}?brand=Velora,Kvist&as_of={AS_OF}")
    assert resp.status_code == 200, resp.data[:200]
    assert resp.data.startswith(magic) or magic in resp.data[:200]
    assert "feedbackwall-heatmap-" in resp.headers["Content-Disposition"]
    if fmt == "svg":
        text = resp.get_data(as_text=True)
        # Title, filters and date are in the file.
        assert "NPS by brand and country" in text
        assert "Kvist, Velora" in text
        assert "2026-11-20 12:00 UTC" in text


def test_chart002_bad_requests(client: FlaskClient) -> None:
    assert client.get("/export/chart/pie.png").status_code == 404
    assert client.get("/export/chart/trends.gif").json["parameter"] == "format"
    assert client.get("/export/chart/trends.png?as_of=noon").json["parameter"] == "as_of"


def test_chart003_no_browser_is_a_clear_message(tmp_path: Path) -> None:
    """BROWSER_PATH pointing nowhere, no Chromium on PATH: a quick 503 that says why."""
    code = (
        "from dashapp import create_app, db; from dashapp.config import Settings;"
        f"url='sqlite:///{tmp_path / 'nobrowser.db'}'; db.upgrade(url);"
        "from tests.access import client_as;"
        "c = client_as(create_app(Settings.load(database_url=url)));"
        "r = c.get('/export/chart/volume.png'); print(r.status_code, r.json['error'])"
    )
    env = {**os.environ, "BROWSER_PATH": str(tmp_path / "no-such-browser"), "PATH": "/nonexistent"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.startswith("503 chart export needs Chromium"), out.stdout + out.stderr[-2000:]
    assert "Traceback" not in out.stdout


def test_chart004_dashboard_on_one_pdf_page(client: FlaskClient) -> None:
    resp = client.get(f"/export/dashboard.pdf?country=DE&as_of={AS_OF}")
    assert resp.status_code == 200
    assert resp.data.startswith(b"%PDF")
    assert resp.data.count(b"/Type /Page\n") + resp.data.count(b"/Type/Page\n") <= 1
    assert "feedbackwall-dashboard-" in resp.headers["Content-Disposition"]


def test_chart005_comparison_as_chart_and_table(client: FlaskClient) -> None:
    """The compare page's chart and figures download with both sides and the verdict."""
    from dashapp.comparison import Ask, build

    query = f"by=brand&a=Velora&b=Kvist&window=30&as_of={AS_OF}"
    svg = client.get(f"/export/chart/compare.svg?{query}")
    assert svg.status_code == 200, svg.data[:200]
    text = svg.get_data(as_text=True)
    assert "A: Velora, last 30 days vs B: Kvist, last 30 days" in text
    assert "A − B =" in text and "2026-11-20 12:00 UTC" in text
    text = client.get(f"/export/data/compare.csv?{query}").get_data(as_text=True)
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == [
        "side",
        "what",
        "n",
        "promoters",
        "passives",
        "detractors",
        "nps",
        "ci_low",
        "ci_high",
    ]
    expected = build(
        services_of(client.application).nps,
        Ask("brand", "Velora", "Kvist", 30),
        dt.datetime.fromisoformat(AS_OF),
    )
    a_row, b_row = table[1], table[2]
    assert (a_row[0], int(a_row[2])) == ("A", expected.first.n)
    assert (b_row[0], int(b_row[2])) == ("B", expected.second.n)
    assert expected.first.n > 0 and expected.second.n > 0
    assert table[3][0] == "A − B" and "points" in table[3][1]
    assert client.get(f"/export/data/compare.xlsx?{query}").data[:2] == b"PK"
    bad = client.get("/export/data/compare.csv?by=colour&a=x")
    assert bad.status_code == 400 and bad.json["parameter"] == "by"
    missing = client.get("/export/chart/compare.png?by=brand")
    assert missing.status_code == 400 and missing.json["parameter"] == "a"


def test_chart010_heatmap_exports_show_each_cells_n(client: FlaskClient) -> None:
    """Every NPS in the heatmap's chart and table export comes with its n."""
    svc = services_of(client.application)
    as_of = dt.datetime.fromisoformat(AS_OF)
    cells = svc.nps.nps_by(("brand", "country"), window=30, as_of=as_of)
    assert len(cells) >= 6
    svg = client.get(f"/export/chart/heatmap.svg?as_of={AS_OF}").get_data(as_text=True)
    for cell in cells:
        assert f">n={cell.nps.n:,}<" in svg, cell.group
    text = client.get(f"/export/data/nps.csv?by=brand,country&as_of={AS_OF}").get_data(as_text=True)
    table = {(r["brand"], r["country"]): r for r in csv.DictReader(io.StringIO(text))}
    for cell in cells:
        assert int(table[(cell.group["brand"], cell.group["country"])]["n"]) == cell.nps.n
