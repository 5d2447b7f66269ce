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
from dashapp.ingest.pipeline import ingest
from dashapp.services import services_of
from tests.access import client_as
from tests.factories import located, random_records
from tests.poison import brand_for, poison

AS_OF = "2026-11-20T12:00:00Z"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[FlaskClient]:
    from dashapp.store import db

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
        assert "20 Nov 2026, 12:00 UTC" in text  # the reader's CLDR date, display zone


def test_chart002_bad_requests(client: FlaskClient) -> None:
    assert client.get("/export/chart/pie.png").status_code == 404
    assert client.get("/export/chart/trends.gif").json["parameter"] == "format"
    assert client.get("/export/chart/trends.png?as_of=noon").json["parameter"] == "as_of"


def test_chart003_no_browser_is_a_clear_message(tmp_path: Path) -> None:
    """BROWSER_PATH pointing nowhere, no Chromium on PATH: a quick 503 that says why."""
    code = (
        "from dashapp import create_app; from dashapp.store import db;"
        "from dashapp.config import Settings;"
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
    from dashapp.figures.comparison import Ask, build

    query = f"by=brand&a=Velora&b=Kvist&window=30&as_of={AS_OF}"
    svg = client.get(f"/export/chart/compare.svg?{query}")
    assert svg.status_code == 200, svg.data[:200]
    text = svg.get_data(as_text=True)
    assert "A: Velora, last 30 days vs B: Kvist, last 30 days" in text
    assert "A − B =" in text and "20 Nov 2026, 12:00 UTC" in text
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
        "too_small",
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
    assert (a_row[9], b_row[9]) == (str(expected.first.too_small), str(expected.second.too_small))
    assert table[3][0] == "A − B" and "points" in table[3][1]
    assert client.get(f"/export/data/compare.xlsx?{query}").data[:2] == b"PK"
    bad = client.get("/export/data/compare.csv?by=colour&a=x")
    assert bad.status_code == 400 and bad.json["parameter"] == "by"
    missing = client.get("/export/chart/compare.png?by=brand")
    assert missing.status_code == 400 and missing.json["parameter"] == "a"


@pytest.fixture
def poisoned(settings: Settings) -> Iterator[tuple[FlaskClient, str]]:
    """A client on a store (both kinds) whose brand Velora holds control characters."""
    app = create_app(settings)
    svc = services_of(app.server)
    end = dt.datetime(2026, 11, 20, 11, tzinfo=dt.UTC)
    ingest(svc.sessions, "s", located(list(random_records(300, end=end))))
    brand = brand_for(svc.sessions)
    poison(svc.sessions, brand)
    yield client_as(app), brand
    svc.engine.dispose()


def test_chart006_control_characters_in_stored_text_still_render(
    poisoned: tuple[FlaskClient, str],
) -> None:
    """A brand with NUL, ESC or a vertical tab (stored before the rule): every chart renders."""
    client, brand = poisoned
    for path in (
        f"/export/chart/heatmap.png?as_of={AS_OF}",
        f"/export/chart/trends.pdf?as_of={AS_OF}",
        f"/export/chart/labels.png?as_of={AS_OF}",
        f"/export/dashboard.pdf?as_of={AS_OF}",
    ):
        resp = client.get(path)
        assert resp.status_code == 200, (path, resp.data[:200])
        assert resp.data[:4] in (b"\x89PNG", b"%PDF")
    asked = client.get(f"/export/chart/heatmap.png?brand={brand}&as_of={AS_OF}")
    if "\x00" in brand:  # SQLite's poisoned brand: refused at the edge, no store compares a NUL
        assert asked.status_code == 400 and asked.json["parameter"] == "brand"
    else:  # PostgreSQL cannot hold a NUL, so its poisoned brand has none and is found
        assert asked.status_code == 200 and asked.data[:4] == b"\x89PNG"
    svg = client.get(f"/export/chart/heatmap.svg?as_of={AS_OF}").get_data(as_text=True)
    assert "\ufffd[31mra\ufffd" in svg  # shown, with each control as the replacement character


def test_chart007_a_failed_render_is_not_called_a_missing_browser(client: FlaskClient) -> None:
    """Only a missing browser says "needs Chromium"; any other failure says what failed."""
    import plotly.graph_objects as go

    from dashapp.web.chart_export import ExportFailed, ExportUnavailable, render

    assert client.get("/export/chart/volume.png").status_code == 200  # the browser is there
    with pytest.raises(ExportFailed) as caught:
        render(go.Figure(go.Bar(x=["a"], y=[1])), "gif")  # kaleido refuses the format
    assert not isinstance(caught.value, ExportUnavailable)
    assert "Chromium" not in str(caught.value) and "gif" in str(caught.value)


def test_chart008_a_browser_that_will_not_start_says_so_quickly(tmp_path: Path) -> None:
    """BROWSER_PATH at a program that is no browser: a quick 503 naming it, not a hang."""
    code = (
        "from dashapp import create_app; from dashapp.store import db;"
        "from dashapp.config import Settings;"
        f"url='sqlite:///{tmp_path / 'badbrowser.db'}'; db.upgrade(url);"
        "from tests.access import client_as;"
        "c = client_as(create_app(Settings.load(database_url=url)));"
        "r = c.get('/export/chart/volume.png'); print(r.status_code, r.json['error'])"
    )
    env = {**os.environ, "BROWSER_PATH": "/bin/false"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=90
    )
    assert out.stdout.startswith("503 chart export: the browser /bin/false did not start"), (
        out.stdout + out.stderr[-2000:]
    )
    assert "needs Chromium" not in out.stdout


CRASH = """
import os, signal, time
import plotly.graph_objects as go
from dashapp.web.chart_export import render
fig = go.Figure(go.Bar(x=["a"], y=[1]))
render(fig, "png")
for pid in filter(str.isdigit, os.listdir("/proc")):
    stat = open(f"/proc/{pid}/stat").read()
    parent = int(stat.rsplit(")", 1)[1].split()[1])
    if parent == os.getpid() and "chromium" in open(f"/proc/{pid}/cmdline").read():
        os.kill(int(pid), signal.SIGKILL)  # our own browser, and only it
time.sleep(1)
for attempt in (1, 2):
    try:
        print(attempt, len(render(fig, "png")) > 0)
    except Exception as exc:
        print(attempt, type(exc).__name__, exc)
"""


def test_chart009_a_browser_that_dies_is_said_so_and_replaced() -> None:
    """Chromium killed under the server: one answer says so (not "needs Chromium"), next works."""
    out = subprocess.run([sys.executable, "-c", CRASH], capture_output=True, text=True, timeout=120)
    lines = out.stdout.splitlines()
    assert len(lines) == 2, out.stdout + out.stderr[-2000:]
    assert lines[0].startswith("1 ExportUnavailable chart export: the browser stopped"), lines[0]
    assert lines[1] == "2 True"


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
