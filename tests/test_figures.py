"""Wall figures and texts from engine results, without a browser."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from callbacks.components import relative_time
from callbacks.wall import kpi_texts, label_tiles
from dashapp.figures.charts import heatmap, signed
from dashapp.figures.nps_engine import GroupNps
from dashapp.metrics.nps import compute


def test_fig001_signed_nps_never_shows_minus_zero() -> None:
    assert [signed(v) for v in (-0.4, 0.0, 0.4, 12.6, -12.5, -100.0)] == [
        "0",
        "0",
        "0",
        "+13",
        "\u221212",  # a real minus (#18), not a hyphen
        "\u2212100",
    ]


def test_fig002_heatmap_marks_small_cells_with_their_n() -> None:
    rows = [
        GroupNps({"brand": "Velora", "country": "DE"}, compute(50, 30, 20)),
        GroupNps({"brand": "Velora", "country": "FR"}, compute(3, 2, 2)),
    ]
    fig = heatmap(rows)
    dark_text, light_text, small = fig.data
    assert [list(row) for row in dark_text.text] == [["+30<br>n=100", ""]]
    assert [list(row) for row in small.text] == [["", "n=7"]]
    assert dark_text.z[0][1] is None and small.z[0][1] == 0 and small.z[0][0] is None
    assert [list(row) for row in light_text.z] == [[None, None]]


def test_fig003_kpi_says_whether_a_change_is_noise() -> None:
    big, detail, change = kpi_texts(compute(400, 400, 200), compute(500, 400, 100))
    assert big == "+20"
    assert "n\u00a0=\u00a01,000" in detail  # never broken across lines
    assert "significant" in str(change)
    _, _, noise = kpi_texts(compute(12, 12, 6), compute(15, 12, 3))
    assert "within noise" in str(noise)


def test_fig004_relative_time() -> None:
    now = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
    ago = [relative_time(now - dt.timedelta(seconds=s), now) for s in (5, 125, 7300, 200000)]
    assert ago == ["just now", "2 min ago", "2 hr ago", "2 days ago"]  # CLDR en_GB, short


def test_fig005_comparison_verdicts() -> None:
    from dashapp.figures.comparison import verdict

    assert "real difference" in verdict(compute(600, 300, 100), compute(400, 300, 300))
    assert "within noise" in verdict(compute(14, 10, 6), compute(12, 10, 8))
    assert "too few" in verdict(compute(5, 0, 0), compute(0, 0, 5))
    assert verdict(compute(0, 0, 0), compute(5, 0, 0)) == "Nothing to compare yet."


def test_fig006_heatmap_cells_and_hover_show_n_and_cell_labels_are_legible() -> None:
    """Every NPS shows its n (cell text and hover); each label reaches 4.5:1 on its own cell."""
    from plotly.colors import sample_colorscale

    from dashapp.figures.charts import NPS_RANGE, NPS_SCALE, contrast

    rows = [
        GroupNps({"brand": b, "country": c}, compute(p, 100 - p - d, d))
        for b, (p, d) in (("Kvist", (10, 70)), ("Nordhem", (30, 40)), ("Velora", (60, 10)))
        for c, shift in (("DE", 0), ("FR", 5), ("SE", 10))
        for p, d in [(p + shift, d)]
    ] + [GroupNps({"brand": "Velora", "country": "NL"}, compute(3, 2, 2))]
    for theme in ("dark", "light"):
        fig = heatmap(rows, theme=theme)
        shown = {}
        for trace in fig.data:
            for y, z_row, t_row, c_row in zip(
                trace.y, trace.z, trace.text, trace.customdata, strict=True
            ):
                for x, z, text, data in zip(trace.x, z_row, t_row, c_row, strict=True):
                    if z is None:
                        continue
                    shown[(y, x)] = (text, data, trace)
        assert len(shown) == len(rows)
        for row in rows:
            text, data, trace = shown[(row.group["brand"], row.group["country"])]
            figures = row.nps
            assert text.endswith(f"n={figures.n}")
            assert f"n = {figures.n}" in trace.hovertemplate.replace("%{customdata[0]}", data[0])
            if figures.too_small:
                background = trace.colorscale[0][1]
            else:
                low, high = NPS_RANGE
                where = min(1.0, max(0.0, (figures.nps - low) / (high - low)))
                background = sample_colorscale(NPS_SCALE, [where])[0]
                assert text.startswith(signed(figures.nps) + "<br>")
            assert contrast(trace.textfont.color, background) >= 4.5, (text, background)


def test_fig007_chart_text_takes_the_themes_colours() -> None:
    """Light screens get dark chart text, dark screens light text; both 4.5:1 on their cards."""
    from dashapp.figures.charts import THEMES, contrast, trends, volume

    day = dt.date(2026, 11, 20)
    assert THEMES["light"].text != THEMES["dark"].text
    for name, theme in THEMES.items():
        assert contrast(theme.text, theme.card) >= 4.5
        assert contrast(theme.muted, theme.card) >= 4.5
        for fig in (
            heatmap([GroupNps({"brand": "Velora", "country": "DE"}, compute(5, 3, 2))], theme=name),
            volume([(day, (3, 2, 1))], theme=name),
            trends([], [], theme=name),
        ):
            assert fig.layout.font.color == theme.text
            assert fig.layout.template.layout.xaxis.gridcolor == theme.grid


def test_fig010_the_walls_css_colours_are_the_charts_colour_blind_safe_ones() -> None:
    """Score circles, feed borders and label tiles' sentiment bars take the charts' class
    colours (blue, grey, orange; never red against green), each with legible text."""
    import re
    from pathlib import Path

    from dashapp.figures.charts import CLASS_COLOURS, contrast

    css = (Path(__file__).parents[1] / "dashapp" / "assets" / "wall.css").read_text()

    def declared(selector: str, prop: str) -> str | None:
        rule = re.search(rf"(?m)^{re.escape(selector)}\s*{{([^}}]*)}}", css)
        found = re.search(rf"(?:^|;|\s){prop}:\s*([^;]+)", rule.group(1)) if rule else None
        if found is None:
            return None
        value = found.group(1).strip().lower()
        return declared(":root", value[4:-1]) if value.startswith("var(") else value

    promoter, passive, detractor = (c.lower() for c in CLASS_COLOURS)
    assert declared(":root", "--fw-promoter") == promoter
    assert declared(":root", "--fw-passive") == passive
    assert declared(":root", "--fw-detractor") == detractor
    score_text = declared(".fw-score", "color") or "#ffffff"
    for cls, background in (
        (".fw-promoter", promoter),
        (".fw-passive", passive),
        (".fw-detractor", detractor),
    ):
        assert declared(cls, "background") == background
        text = declared(cls, "color") or score_text
        assert contrast(text, background) >= 4.5, (cls, text, background)
    assert declared(".fw-sent-positive", "background") == promoter
    assert declared(".fw-sent-negative", "background") == detractor
    # Label chips: blue and orange too, their words legible on each theme's card.
    for chip in ("positive", "negative"):
        assert contrast(declared(f".fw-chip-{chip}", "color") or "", "#2b2f33") >= 4.5
        light = declared(f".theme-light .fw-chip-{chip}", "color") or ""
        assert contrast(light, "#ffffff") >= 4.5
    assert "#1e9e58" not in css and "#c0392b" not in css  # the old red and green
    # The "significant" badge beside the change: the same blue and orange, legible.
    assert contrast(declared(".badge.fw-badge-up", "color") or "", promoter) >= 4.5
    assert contrast(declared(".badge.fw-badge-down", "color") or "", detractor) >= 4.5
    up = kpi_texts(compute(700, 200, 100), compute(500, 300, 200))[2][-1]
    down = kpi_texts(compute(500, 300, 200), compute(700, 200, 100))[2][-1]
    assert "fw-badge-up" in up.className and "fw-badge-down" in down.className


def test_fig011_label_tiles_say_their_sentiment_split_in_words(tmp_path: Path) -> None:
    """A label tile's sentiment bar is also said in words (the wall has no hover), and its
    border takes the NPS scale's colour."""
    from dashapp import create_app
    from dashapp.config import Settings
    from dashapp.figures.charts import cell_colour
    from dashapp.ingest.pipeline import ingest
    from dashapp.metrics.queries import Filters
    from dashapp.services import services_of
    from dashapp.store import db
    from tests.factories import located, record

    url = f"sqlite:///{tmp_path / 'wall.db'}"
    db.upgrade(url)
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat()
    words = ["The delivery was very late."] * 3 + ["Fast delivery, great."]
    rows = [
        record(i, score=(2 if i < 3 else 10), comment=text, language="en", submitted_at=at)
        for i, text in enumerate(words)
    ]
    ingest(db.make_sessionmaker(db.make_engine(url)), "s", located(rows))
    app = create_app(Settings.load(database_url=url, cache_url="simple", config=None))
    [tile, *_] = label_tiles(services_of(app.server), Filters())
    text = str(tile.children)
    assert "25% positive, 75% negative" in text, text
    assert tile.style["borderColor"] == cell_colour(-50)
