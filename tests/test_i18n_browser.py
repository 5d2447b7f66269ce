"""In the browser, a German page is German where Dash and plotly.js draw the words too:
the date pickers' months and screen-reader labels, the dropdowns' own words and the
charts' month names, whatever the browser's own language (headless Chromium's is
English)."""

from __future__ import annotations

import pytest
from dash.testing.composite import DashComposite

from dashapp.web.locale import ARIA_LABELS
from layouts.ids import Explore
from tests.servers import wait_for
from tests.test_wall import seed, start, store  # noqa: F401  (store: a fixture)

pytestmark = pytest.mark.browser


def _picker_months(dash_duo: DashComposite, language: str) -> list[str]:
    """Open /explore in *language* and its first date picker; the calendar's month names."""
    dash_duo.driver.get(f"{dash_duo.server_url}/explore?lang={language}")
    dash_duo.wait_for_contains_text(f"#{Explore.SUMMARY}", "n = ", timeout=10)
    wait_for(lambda: dash_duo.find_elements(".dash-datepicker-input"), 10)[0].click()
    wait_for(lambda: dash_duo.find_elements(".dash-datepicker-month-sizer"), 10)
    months: list[str] = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('.dash-datepicker-month-sizer'))"
        ".map(e => e.textContent);"
    )
    return months


def _weekdays(dash_duo: DashComposite) -> str:
    """The open picker's words but its day numbers, as shown, one space apart."""
    shown: str = dash_duo.driver.execute_script(
        "return document.querySelector('.dash-datepicker-calendar').innerText;"
    )
    return " ".join(word for word in shown.split() if not word.isdigit())


def _tick_labels(dash_duo: DashComposite, language: str) -> str:
    """Open the overview in *language*; the x-axis labels of its charts, joined."""
    dash_duo.driver.get(f"{dash_duo.server_url}/?lang={language}")
    labels: str = wait_for(
        lambda: dash_duo.driver.execute_script(
            "return Array.from(document.querySelectorAll('.xtick text'))"
            ".map(e => e.textContent).join(' ');"
        ),
        15,
    )
    return labels


def test_i18n_br001_pickers_and_chart_months_follow_the_page(
    dash_duo: DashComposite,
    store: str,  # noqa: F811
) -> None:
    seed(store, 300)
    start(dash_duo, store, "/explore?lang=de")
    german = _picker_months(dash_duo, "de")
    assert german[:3] == ["Januar", "Februar", "März"] and "Dezember" in german
    # Weekdays too, from Monday (the picker's date-fns locale is built from CLDR).
    assert "Mo. Di. Mi. Do. Fr. Sa. So." in _weekdays(dash_duo)
    labels = set(
        dash_duo.driver.execute_script(
            "return Array.from(document.querySelectorAll('[aria-label]'))"
            ".map(e => e.getAttribute('aria-label'));"
        )
    )
    assert {"Vorheriger Monat", "Nächster Monat"} <= labels and not labels & set(ARIA_LABELS)
    # The dropdowns' own words: the count of what is picked, select all.
    dash_duo.driver.get(f"{dash_duo.server_url}/explore?lang=de&brand=Velora,Kvist")
    dash_duo.wait_for_contains_text(".dash-dropdown", "2 ausgewählt", timeout=10)
    dash_duo.find_element(".dash-dropdown").click()
    dash_duo.wait_for_contains_text("body", "Alle auswählen", timeout=5)
    english = _picker_months(dash_duo, "en")
    assert english[:3] == ["January", "February", "March"] and "December" in english
    assert "Mo Tu We Th Fr Sa Su" in _weekdays(dash_duo)
    # The seeded 55 days reach back into October: "Okt" on a German axis, "Oct" on an English.
    german_ticks = _tick_labels(dash_duo, "de")
    assert "Okt" in german_ticks and "Oct" not in german_ticks, german_ticks
    english_ticks = _tick_labels(dash_duo, "en")
    assert "Oct" in english_ticks and "Okt" not in english_ticks, english_ticks
    assert dash_duo.get_logs() == []
