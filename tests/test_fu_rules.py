"""Follow-ups as pure rules: what opens one, how its status moves, answer-time percentiles."""

from __future__ import annotations

import datetime as dt

import pytest

from dashapp.config import ConfigError, FollowupConfig, Settings
from dashapp.followups.rules import (
    Candidate,
    ChangeError,
    Status,
    check_move,
    needs_followup,
    parse_status,
    stamps,
)
from dashapp.followups.timing import Item, Timing, answer_times, percentile, timing

T0 = dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC)


def _c(score: int = 3, comment: bool = True, **kw: object) -> Candidate:
    base: dict[str, object] = {
        "brand": "Velora",
        "country": "DE",
        "touchpoint": "delivery",
        "labels": (),
    }
    base.update(kw)
    return Candidate(score, has_comment=comment, **base)  # type: ignore[arg-type]


def test_fu_rule001_default_is_detractors_with_a_comment() -> None:
    rule = FollowupConfig()
    assert [s for s in range(11) if needs_followup(rule, _c(s))] == list(range(7))
    assert not needs_followup(rule, _c(3, comment=False))
    assert not needs_followup(FollowupConfig(enabled=False), _c(3))


def test_fu_rule002_narrowed_by_brand_country_touchpoint_and_label() -> None:
    rule = FollowupConfig(
        min_score=0,
        max_score=8,
        with_comment=False,
        brand=["Velora"],
        country=["DE", "AT"],
        touchpoint=["delivery"],
        labels=["delivery"],
    )
    hit = _c(8, comment=False, labels=("delivery/time",))
    assert needs_followup(rule, hit)
    assert not needs_followup(rule, _c(8, labels=("deliveryman",)))  # a prefix is not a parent
    assert not needs_followup(rule, _c(8, labels=("delivery",), brand="Kvist"))
    assert not needs_followup(rule, _c(8, labels=("delivery",), country="FR"))
    assert not needs_followup(rule, _c(8, labels=("delivery",), touchpoint="service"))
    assert not needs_followup(rule, _c(9, labels=("delivery",)))


def test_fu_rule003_configuration_is_checked_and_names_the_key() -> None:
    with pytest.raises(ConfigError, match="FOLLOWUPS"):
        Settings.load(config=None, followups={"min_score": 7, "max_score": 3})
    with pytest.raises(ConfigError, match="FOLLOWUPS"):
        Settings.load(config=None, followups={"webhook": "https://crm.example/hook"})
    with pytest.raises(ConfigError, match="sla_hours_by_brand"):
        Settings.load(config=None, followups={"sla_hours_by_brand": {"Velora": -1}})
    rule = FollowupConfig(sla_hours=48, sla_hours_by_brand={"Velora": 4})
    assert rule.sla("Velora") == dt.timedelta(hours=4)
    assert rule.sla("Kvist") == dt.timedelta(hours=48)


def test_fu_rule004_status_moves_forward_closes_with_a_reason_and_reopens() -> None:
    check_move(Status.new, Status.in_progress, None)
    check_move(Status.new, Status.contacted, None)
    check_move(Status.contacted, Status.resolved, None)
    check_move(Status.in_progress, Status.closed, "duplicate of #4")
    check_move(Status.resolved, Status.in_progress, None)
    with pytest.raises(ChangeError, match="reason"):
        check_move(Status.new, Status.closed, "  ")
    with pytest.raises(
        ChangeError, match="can become in_progress, contacted, closed, not resolved"
    ):
        check_move(Status.new, Status.resolved, None)
    with pytest.raises(ChangeError, match="status"):
        check_move(Status.contacted, Status.new, None)
    assert parse_status("In progress") is Status.in_progress
    with pytest.raises(ChangeError, match="unknown status 'done'"):
        parse_status("done")


def test_fu_rule005_first_contact_is_set_once_and_done_only_while_done() -> None:
    later = T0 + dt.timedelta(hours=5)
    s = stamps(Status.contacted, None, T0)
    assert (s.first_contact_at, s.done_at) == (T0, None)
    s = stamps(Status.resolved, T0, later)
    assert (s.first_contact_at, s.done_at) == (T0, later)
    s = stamps(Status.in_progress, T0, later)  # reopened: the contact stays, done goes
    assert (s.first_contact_at, s.done_at) == (T0, None)
    s = stamps(Status.closed, None, later)
    assert (s.first_contact_at, s.done_at) == (None, later)


def test_fu_rule006_percentiles_interpolate_between_ranks() -> None:
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([1, 2, 3, 4], 0.9) == pytest.approx(3.7)
    assert percentile([5], 0.9) == 5
    assert timing([]) == Timing(0, None, None)


def _h(hours: float) -> dt.timedelta:
    return dt.timedelta(hours=hours)


def test_fu_rule007_answer_times_match_a_hand_computed_fixture() -> None:
    """Ties, items still open, items closed without contact, a reopened one.

    Contacted after 2, 2, 2, 6, 10, 30 hours (three tied) -> n 6.
      sorted: 2 2 2 6 10 30; median: rank (6-1)*0.5 = 2.5 -> 2 + 0.5*(6-2) = 4
      p90: rank 5*0.9 = 4.5 -> 10 + 0.5*(30-10) = 20
    Resolved after 3, 12, 12, 40 hours -> n 4 (a resolved one is a contacted one too).
      median: rank 1.5 -> 12; p90: rank 2.7 -> 12 + 0.7*(40-12) = 31.6
    Not counted: still open without contact (new / in progress), closed without
    contact (in neither n), closed after a contact (in contact n only), reopened
    after resolution (in contact n only).
    """
    items = [
        # contact 2 h, resolved 3 h
        Item(T0, T0 + _h(2), T0 + _h(3), resolved=True),
        # contact 2 h, resolved 12 h
        Item(T0, T0 + _h(2), T0 + _h(12), resolved=True),
        # contact 2 h, still contacted (open)
        Item(T0, T0 + _h(2), None, resolved=False),
        # contact 6 h, resolved 12 h
        Item(T0, T0 + _h(6), T0 + _h(12), resolved=True),
        # contact 10 h, resolved 40 h
        Item(T0, T0 + _h(10), T0 + _h(40), resolved=True),
        # contact 30 h, then closed without action: contact counts, resolution does not
        Item(T0, T0 + _h(30), T0 + _h(31), resolved=False),
        # still open, no contact
        Item(T0, None, None, resolved=False),
        # closed without contact
        Item(T0, None, T0 + _h(1), resolved=False),
    ]
    contact, resolution = answer_times(items)
    assert contact == Timing(6, 4.0, 20.0)
    assert resolution.n == 4
    assert resolution.median_hours == pytest.approx(12.0)
    assert resolution.p90_hours == pytest.approx(31.6)
