"""Follow-ups in the reader's language: status names, durations, the queue's cells."""

from __future__ import annotations

import datetime as dt

from callbacks.followups import _due, _queue_row
from dashapp.followups.rules import ChangeError, Status, check_move
from dashapp.followups.service import Row
from dashapp.followups.timing import Timing, hours_text, timing_text
from dashapp.i18n.core import use_locale
from layouts.followups import age_options, status_options

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def _row(status: Status, due_in: dt.timedelta) -> Row:
    return Row(
        id=7,
        response_id=70,
        status=status,
        owner_id=None,
        owner=None,
        reason=None,
        version=1,
        opened_at=NOW - dt.timedelta(hours=1),
        due_at=NOW + due_in,
        first_contact_at=None,
        done_at=None,
        updated_at=NOW,
        updated_by="rule",
        brand="Velora",
        country="DE",
        touchpoint="delivery",
        score=3,
        submitted_at=NOW - dt.timedelta(hours=2),
        source="demo",
        external_id="d-1",
        comment="Zu spät.",
    )


def test_fui18n_status_names_translated_values_stay_machine() -> None:
    with use_locale("de"):
        options = status_options()
        assert Status.in_progress.words == "in Bearbeitung"
    assert {o["value"] for o in options} == {s.value for s in Status}
    # The first letter only: str.capitalize would give "In bearbeitung".
    assert {"label": "In Bearbeitung", "value": "in_progress"} in options
    assert {"label": "Ohne Maßnahme geschlossen", "value": "closed"} in options
    with use_locale("en"):
        assert {"label": "In progress", "value": "in_progress"} in status_options()


def test_fui18n_durations_and_timing_in_german() -> None:
    with use_locale("de"):
        assert hours_text(3.5) == "3,5 Std."
        assert hours_text(0.5) == "30 Min."
        assert hours_text(50) == "2,1 Tg."
        assert timing_text(Timing(6, 3.5, 20.0)) == "Median 3,5 Std. · p90 20,0 Std. · n 6"
        assert age_options()[0] == {"label": "Beliebiges Alter", "value": ""}
    with use_locale("en"):
        assert hours_text(3.5) == "3.5 h"
        assert timing_text(Timing(6, 3.5, 20.0)) == "median 3.5 h · p90 20.0 h · n 6"


def test_fui18n_due_and_change_errors_in_german() -> None:
    with use_locale("de"):
        assert _due(_row(Status.new, dt.timedelta(hours=-3)), NOW) == (
            "3 Stunden überfällig",
            "fw-overdue",
        )
        assert _due(_row(Status.new, dt.timedelta(hours=5)), NOW)[0] == "fällig in 5 Std."
        try:
            check_move(Status.new, Status.closed, "")
        except ChangeError as exc:
            assert str(exc) == "reason: Schließen ohne Maßnahme braucht einen Grund"
        else:
            raise AssertionError("closing without a reason passed")


def test_fui18n_queue_row_has_a_cell_per_header() -> None:
    # Header: (select), Score, Comment, Where, Status, Owner, Due.
    with use_locale("de"):
        row = _queue_row(_row(Status.in_progress, dt.timedelta(hours=5)), "x", "", True, {}, NOW)
    cells = [td.children for td in row.children]
    assert len(cells) == 7
    assert cells[4:] == ["in Bearbeitung", "niemand", "fällig in 5 Std."]
