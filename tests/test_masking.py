"""Personal data never reaches a wall screen; ordinary text is left alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashapp.masking import MARK, mask


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Contact me: anna.berg@example.com please", "anna.berg@example.com"),
        ("mail j.dupont+shop@mail.example.org", "j.dupont+shop@mail.example.org"),
        ("Call me back on +46 70 123 45 67", "123 45 67"),
        ("Ruf mich an: 0171/2345678", "2345678"),
        ("tel. (030) 123-4567", "123-4567"),
        ("Order number 4711882931", "4711882931"),
        ("Karte 4111 1111 1111 1111 doppelt belastet", "4111 1111 1111 1111"),
        ("IBAN DE89 3704 0044 0532 0130 00 bitte", "3704 0044"),
        ("IBAN NL91ABNA0417164300", "NL91ABNA0417164300"),
    ],
)
def test_mask001_personal_data(text: str, secret: str) -> None:
    masked = mask(text)
    assert secret not in masked
    assert MARK in masked


@pytest.mark.parametrize(
    "text",
    [
        "Delivery took 3 days, box was 40 cm wide",
        "Lieferung kam am 20.11.2026, 2 Tage zu spät",
        "Great value for 49.99 €, 10/10",
        "Ich habe 2 Pakete bekommen",
    ],
)
def test_mask002_ordinary_text_unchanged(text: str) -> None:
    assert mask(text) == text


@given(st.text(max_size=200))
def test_mask003_no_long_digit_runs_survive(text: str) -> None:
    masked = mask(text)
    digits = 0
    for ch in masked:
        digits = digits + 1 if ch.isascii() and ch.isdigit() else 0
        assert digits < 6


def test_mask_configured_words_and_patterns() -> None:
    from dashapp.masking import Masker

    masker = Masker(words=("Mist", "scheiß*"), patterns=(r"KD-\d{3}",))
    assert masker("So ein Mist, scheißegal, Kunde KD-123") == "So ein •••, •••, Kunde •••"
    # Whole words only; personal data is still masked.
    assert masker("Mistral kam pünktlich, mail jo@example.com") == (
        "Mistral kam pünktlich, mail •••"
    )
    assert Masker()("nothing to hide") == "nothing to hide"


def test_mask_patterns_are_checked_at_start() -> None:
    import pytest

    from dashapp.config import ConfigError, Settings

    with pytest.raises(ConfigError) as err:
        Settings.load(mask_patterns=["ok", "(unclosed"])
    assert "FEEDBACKWALL_MASK_PATTERNS" in str(err.value)
    assert "(unclosed" in str(err.value)
