"""Personal data never reaches a wall screen; ordinary text is left alone."""

from __future__ import annotations

import re
from collections.abc import Callable

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

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
        # What customers write around their words, which a phone detector could mistake:
        "Arrived after 2 days, order #4711 was complete",
        "Bestellung 12345 kam nach 2 Tagen",
        "Preis 49,90 € statt 59,90 €, Versand 4,90 €",
        "Das Sofa kostete 1.299,00 € und 12.499,00 € die Küche",
        "Lieferung am 12.03.2026 statt am 5.3.2026 angekündigt",
        "Bestellt 2026-03-12, geliefert 2026-03-19",
        "Zugestellt 12/03/2026 um 14:30, Zeitfenster 10:00–18:00",
        "PLZ 10115 Berlin, Hauptstraße 12, 3. OG",
        "75008 Paris, 3 colis sur 4",
        "Größe 40 x 60 x 80 cm, 2 x 3 Stück",
        "Paket 1 von 3, Note 10/10, 5 Sterne, 100 % zufrieden",
        "I looked at it again and it's fine",
        "We met at 5.30 pm at the shop",
        "Bought it at Amazon.de, arrived at home.Then it broke",
    ],
)
def test_mask002_ordinary_text_unchanged(text: str) -> None:
    """Dates, prices, postcodes, short order numbers and times are not personal data."""
    assert mask(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Tel: +49 (0) 176 / 123 45 67",
        "Ruf an: 0176 / 123 45 67 danke",
        "0176 – 123 45 67",
        "Mobil 070-12-3456 abends",
        "call +44 (0)20 7946 0958 or 020 7946 0958",
        "appelez le 06 12 34 56 78 svp",
        "bel 06-12345678",
        "ring 40 61 23 45",
    ],
)
def test_mask004_phone_formats_leave_no_digit(text: str) -> None:
    """Phone numbers in the formats people type on every wall screen leave no digit behind."""
    masked = mask(text)
    assert not any(ch.isdigit() for ch in masked), masked
    assert MARK in masked


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("o'brien@example.com", MARK),
        ("mail o\u2019brien@example.com!", f"mail {MARK}!"),
        ("jo (at) example.com", MARK),
        ("schreib an jo [at] example [dot] com bitte", f"schreib an {MARK} bitte"),
        ("jo(at)example(dot)co(dot)uk", MARK),
        ("JO (AT) EXAMPLE (DOT) COM", MARK),
        ("jo at example dot com", MARK),
        ("jo at example.com", MARK),
        ("jo {at} example.com", MARK),
        ("jo @ example.com", MARK),
        ("'jo@example.com'", f"'{MARK}'"),
    ],
)
def test_mask005_email_forms(text: str, expected: str) -> None:
    """E-mail addresses are masked whole, with apostrophes and in spelled-out forms."""
    assert mask(text) == expected


#: The countries the shops sell in; phone numbers from each must be masked in every form.
SHOP_REGIONS = (
    "DE", "AT", "CH", "NL", "BE", "FR", "IT", "ES", "PL", "SE", "DK", "NO", "FI", "GB", "IE",
    "PT", "CZ", "LU",
)  # fmt: skip


def _regroup(text: str, sep: str) -> str:
    return sep.join(text.split(" "))


#: How people write a formatted number: as the library formats it, or with other separators.
VARIANTS: dict[str, Callable[[str], str]] = {
    "as formatted": lambda t: t,
    "slashes": lambda t: _regroup(t, "/"),
    "dashes": lambda t: _regroup(t, "-"),
    "en dashes": lambda t: _regroup(t, " – "),
    "dots": lambda t: _regroup(t, "."),
    "glued": lambda t: _regroup(t, ""),
    "slash after the first group": lambda t: t.replace(" ", " / ", 1),
    "first group in brackets": lambda t: re.sub(r"^(\+\d+ )?(\d+)", r"\1(\2)", t, count=1),
    "trunk zero in brackets": lambda t: re.sub(r"^(\+\d+) ", r"\1 (0) ", t, count=1),
}


@st.composite
def written_numbers(draw: st.DrawFn) -> str:
    """A number of a shop country, its last digits drawn, written as a customer might."""
    region = draw(st.sampled_from(SHOP_REGIONS))
    kind = draw(st.sampled_from([PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE]))
    example = phonenumbers.example_number_for_type(region, kind)
    e164 = phonenumbers.format_number(example, PhoneNumberFormat.E164)
    tail = draw(st.text("0123456789", min_size=4, max_size=4))
    number = phonenumbers.parse(e164[:-4] + tail)
    fmt = draw(
        st.sampled_from(
            [PhoneNumberFormat.NATIONAL, PhoneNumberFormat.INTERNATIONAL, PhoneNumberFormat.E164]
        )
    )
    variants = sorted(VARIANTS)
    if phonenumbers.PhoneMetadata.metadata_for_region(region).national_prefix != "0":
        variants.remove("trunk zero in brackets")  # "+45 (0) ..." is no one's way of writing
    variant = draw(st.sampled_from(variants))
    return VARIANTS[variant](phonenumbers.format_number(number, fmt))


@settings(max_examples=500, deadline=None)
@given(
    written_numbers(),
    st.sampled_from(["", "Tel: ", "Ruf mich an ", "call me on ", "Mobil:", "(", "Nummer "]),
    st.sampled_from(["", ".", "!", " danke", ")", ", bitte zurückrufen"]),
)
def test_mask006_phone_numbers_of_every_shop_country(number: str, before: str, after: str) -> None:
    """No digit of a shop country's phone number survives, however it is written."""
    masked = mask(before + number + after)
    assert not any(ch.isdigit() for ch in masked), (number, masked)


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
