"""Wall figures and texts from engine results, without a browser."""

from __future__ import annotations

import datetime as dt

from callbacks.wall import kpi_texts, relative_time
from dashapp.engine import GroupNps
from dashapp.figures import heatmap, signed
from dashapp.nps import compute


def test_fig001_signed_nps_never_shows_minus_zero() -> None:
    assert [signed(v) for v in (-0.4, 0.0, 0.4, 12.6, -12.5, -100.0)] == [
        "0",
        "0",
        "0",
        "+13",
        "-12",
        "-100",
    ]


def test_fig002_heatmap_marks_small_cells_with_their_n() -> None:
    rows = [
        GroupNps({"brand": "Velora", "country": "DE"}, compute(50, 30, 20)),
        GroupNps({"brand": "Velora", "country": "FR"}, compute(3, 2, 2)),
    ]
    fig = heatmap(rows)
    big, small = fig.data
    assert [list(row) for row in big.text] == [["+30", "n=7"]]
    assert big.z[0][1] is None and small.z[0][1] == 0 and small.z[0][0] is None


def test_fig003_kpi_says_whether_a_change_is_noise() -> None:
    big, detail, change = kpi_texts(compute(400, 400, 200), compute(500, 400, 100))
    assert big == "+20"
    assert "n = 1,000" in detail
    assert "significant" in str(change)
    _, _, noise = kpi_texts(compute(12, 12, 6), compute(15, 12, 3))
    assert "within noise" in str(noise)


def test_fig004_relative_time() -> None:
    now = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
    ago = [relative_time(now - dt.timedelta(seconds=s), now) for s in (5, 125, 7300, 200000)]
    assert ago == ["just now", "2 min ago", "2 h ago", "2 d ago"]


def test_fig005_comparison_verdicts() -> None:
    from dashapp.comparison import verdict

    assert "real difference" in verdict(compute(600, 300, 100), compute(400, 300, 300))
    assert "within noise" in verdict(compute(14, 10, 6), compute(12, 10, 8))
    assert "too few" in verdict(compute(5, 0, 0), compute(0, 0, 5))
    assert verdict(compute(0, 0, 0), compute(5, 0, 0)) == "Nothing to compare yet."
