"""NPS arithmetic: classes, published examples, interval properties, difference test."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dashapp.metrics.nps import Z95, ScoreClass, classify, compare, compute


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0, ScoreClass.DETRACTOR),
        (6, ScoreClass.DETRACTOR),
        (7, ScoreClass.PASSIVE),
        (8, ScoreClass.PASSIVE),
        (9, ScoreClass.PROMOTER),
        (10, ScoreClass.PROMOTER),
    ],
)
def test_nps001_classes(score: int, expected: ScoreClass) -> None:
    assert classify(score) is expected


@pytest.mark.parametrize("score", [-1, 11])
def test_nps002_out_of_range(score: int) -> None:
    with pytest.raises(ValueError, match="outside 0..10"):
        classify(score)


def test_nps003_adjusted_wald_by_hand() -> None:
    # 50 promoters, 30 passives, 20 detractors: NPS 30.
    r = compute(50, 30, 20)
    n_adj = 103
    p, d = 50.75 / n_adj, 20.75 / n_adj
    se = math.sqrt((p + d - (p - d) ** 2) / n_adj)
    assert r.nps == pytest.approx(30.0)
    assert r.ci_low == pytest.approx(100 * (p - d - Z95 * se))
    assert r.ci_high == pytest.approx(100 * (p - d + Z95 * se))
    # The research note's rule of thumb: about +-16 points at n = 100 with thirds.
    thirds = compute(33, 34, 33)
    assert thirds.margin == pytest.approx(16, abs=1.5)


def test_nps004_small_and_empty() -> None:
    assert compute(0, 0, 0).nps is None
    small = compute(3, 2, 1, min_n=10)
    assert small.too_small and small.nps == pytest.approx(100 * 2 / 6)
    assert not compute(5, 3, 2, min_n=10).too_small


def test_nps005_all_promoters_clipped() -> None:
    r = compute(5, 0, 0)
    assert r.nps == 100 and r.ci_high is not None and r.ci_high <= 100


@example(0, 0, 1)
@example(1, 0, 0)
@example(0, 1, 0)
@given(st.integers(0, 500), st.integers(0, 500), st.integers(0, 500))
def test_nps006_interval_is_sane(p: int, pa: int, d: int) -> None:
    """For every count with n >= 1 the interval lies within -100..100 and contains its point."""
    r = compute(p, pa, d)
    if p + pa + d == 0:
        assert r.nps is None
        return
    assert r.ci_low is not None and r.ci_high is not None and r.nps is not None
    assert -100 <= r.ci_low <= r.nps <= r.ci_high <= 100


def test_nps008_tiny_samples_contain_their_point() -> None:
    """Every count up to n = 40, exhaustively: the point is inside its own interval."""
    for n in range(1, 41):
        for p in range(n + 1):
            for d in range(n + 1 - p):
                r = compute(p, n - p - d, d)
                assert r.ci_low is not None and r.ci_high is not None and r.nps is not None
                assert -100 <= r.ci_low <= r.nps <= r.ci_high <= 100, (p, n - p - d, d)
    # One detractor: NPS -100, and the adjusted-Wald interval (-98.5..48.5) is widened to it.
    one = compute(0, 0, 1)
    assert one.nps == -100 and one.ci_low == -100
    assert one.ci_high == pytest.approx(48.5, abs=0.05)
    assert one.too_small


def test_nps007_significance() -> None:
    # 40 -> 20 at n = 1000 each is a real drop; at n = 30 each it is noise.
    drop = compare(compute(400, 400, 200), compute(500, 400, 100))
    assert (
        drop.delta == pytest.approx(-20) and drop.significant and drop.z is not None and drop.z < 0
    )
    noise = compare(compute(12, 12, 6), compute(15, 12, 3))
    assert noise.delta == pytest.approx(-20) and not noise.significant
    tiny = compare(compute(5, 0, 0, min_n=10), compute(0, 0, 5, min_n=10))
    assert not tiny.significant
