"""The spec of keyword matching beyond whole words: compound heads, word forms, typos, yields."""

from __future__ import annotations

import pytest

from dashapp.labels import keywords
from dashapp.labels.keywords import Compounding, KeywordIndex, one_typo
from dashapp.labels.labelling import Labeller
from dashapp.labels.taxonomy import TaxonomyError, default_text, dump_taxonomy, parse_taxonomy

SHIPPED = parse_taxonomy(default_text())
LABELLER = Labeller(SHIPPED)


def index(language: str, compounding: Compounding | None = None, **keywords: str) -> KeywordIndex:
    built = KeywordIndex(language, compounding)
    for tag, keyword in keywords.items():
        built.add(keyword, tag)
    return built


def tags(built: KeywordIndex, text: str) -> set[str]:
    return {str(tag) for _, _, tag in built.find(text.casefold().split())}


def top(comment: str, language: str | None) -> set[str]:
    return {label for label, _ in LABELLER.label(comment, language) if "/" not in label}


GERMAN = Compounding(min_part=3, min_head=4, exceptions=("rücksendung", "angebot"))


# ---------------------------------------------------------------- compound heads


def test_lq001_a_keyword_matches_as_the_head_of_a_compound() -> None:
    built = index("de", GERMAN, quality="qualität", price="preis*", cost="kosten")
    assert tags(built, "Verarbeitungsqualität") == {"quality"}
    assert tags(built, "die Kaufpreise") == {"price"}
    # The head keeps its inflections: the compound's stem ends in the head's stem.
    assert tags(built, "Versandkosten") == {"cost"}
    assert tags(built, "Materialqualitäten") == {"quality"}


def test_lq002_only_the_head_counts_not_the_first_part() -> None:
    built = index("de", GERMAN, quality="qualität", delivery="lieferung")
    assert tags(built, "Qualitätsprüfung") == set()
    assert tags(built, "Lieferungsverzug") == set()
    assert tags(built, "Expresslieferung") == {"delivery"}


def test_lq003_the_part_before_the_head_has_a_minimum_length() -> None:
    built = index("de", GERMAN, quality="qualität", friendly="freundlich*")
    # "un", "ge", "be" are prefixes, not words: two letters are too few.
    assert tags(built, "unfreundlich") == set()
    assert tags(built, "Topqualität") == {"quality"}
    assert tags(built, "Bauqualität") == {"quality"}
    stricter = index("de", Compounding(min_part=4), quality="qualität")
    assert tags(stricter, "Bauqualität") == set()
    assert tags(stricter, "Druckqualität") == {"quality"}


def test_lq004_short_keywords_never_match_as_heads() -> None:
    built = index("da", Compounding(min_head=4), courier="bud", price="pris")
    # "tilbud" (an offer) is not a "bud" (a courier): three letters are too few.
    assert tags(built, "tilbud") == set()
    assert tags(built, "bud") == {"courier"}
    assert tags(built, "fragtprisen") == {"price"}


def test_lq005_exceptions_block_false_heads() -> None:
    built = index("de", GERMAN, delivery="sendung", courier="bote*")
    assert tags(built, "Warensendung") == {"delivery"}
    # A return is not a delivery, offers are not couriers ...
    assert tags(built, "Rücksendung") == set()
    assert tags(built, "Rücksendungen") == set()
    assert tags(built, "Sonderangebote") == set()
    # ... yet the keyword itself still matches.
    assert tags(built, "Sendung Bote") == {"delivery", "courier"}
    # Exceptions are matched without accents or case, as typed.
    assert tags(built, "RUECKSENDUNG") == {"delivery"}  # "ue" is not "ü": not the exception


def test_lq006_without_compounding_keywords_match_whole_words_only() -> None:
    built = index("en", None, quality="quality")
    assert tags(built, "quality") == {"quality"}
    assert tags(built, "printquality") == set()


def test_lq007_sentiment_words_are_never_split() -> None:
    # "unzufrieden" must not read as "zufrieden" (pleased): the lexicon matches whole words.
    assert LABELLER.label("Mit der Verarbeitungsqualität bin ich unzufrieden", "de") == (
        ("product", -1),
    )


def test_lq008_compounds_in_the_shipped_taxonomy() -> None:
    assert top("Die Versandkosten sind eine Frechheit", "de") == {"price"}
    assert top("Die Verarbeitungsqualität ist top", "de") == {"product"}
    assert top("Lieferzeiten von drei Wochen", "de") == {"delivery"}
    assert top("Kwaliteitsproblemen met de naden", "nl") == {"product"}
    assert top("Byggkvaliteten är toppen", "sv") == {"product"}
    assert top("Fragtprisen er for høj", "da") == {"price"}
    assert top("Leveringstidene er altfor lange", "nb") == {"delivery"}
    assert top("Toimituskulut ovat kohtuuttomat", "fi") == {"price"}
    # Exceptions in the shipped file: a return, a back side, a "since".
    assert top("Rücksendung problemlos", "de") == {"returns"}
    assert "website" not in top("Die Rückseite ist zerkratzt", "de")
    assert "service" not in top("Hurtig levering", "da")


# ---------------------------------------------------------------- word forms


@pytest.mark.parametrize(
    ("language", "keyword", "forms", "others"),
    [
        ("en", "delivery", ["deliveries", "Delivery"], ["delicate"]),
        ("de", "lieferung", ["Lieferungen", "LIEFERUNG"], ["Lieferant"]),
        ("fr", "livraison", ["livraisons"], ["livre"]),
        ("nl", "bezorging", ["bezorgingen"], ["bezorgd"]),
        ("sv", "leverans", ["leveransen", "leveranser", "leveranserna"], ["leverera"]),
        ("da", "levering", ["leveringen", "leveringer"], ["leverandør"]),
        ("nb", "levering", ["leveringen", "leveringa", "leveringene"], ["leverandør"]),
        ("fi", "toimitus", ["Toimitus"], ["toimisto"]),
        ("fi", "asiakaspalvelu", ["asiakaspalvelun", "asiakaspalvelua"], ["asiakas"]),
        # Participles too, where the stemmer takes them back to the verb.
        ("it", "consegna", ["consegne", "consegnato", "consegnata"], ["consenso"]),
        ("es", "entrega", ["entregas", "entregado"], ["entero"]),
        ("pl", "dostawa", ["dostawy", "dostawie"], ["dostawca"]),
    ],
)
def test_lq009_a_word_keyword_matches_its_inflected_forms(
    language: str, keyword: str, forms: list[str], others: list[str]
) -> None:
    built = index(language, None, hit=keyword)
    for form in forms:
        assert tags(built, form) == {"hit"}, form
    for other in others:
        assert tags(built, other) == set(), other


def test_lq010_accents_dropped_by_the_customer_or_the_keyword_still_match() -> None:
    built = index("it", None, quality="qualità")
    assert tags(built, "qualita") == {"quality"}
    assert tags(index("fr", None, delivered="livré"), "livre") == {"delivered"}


# ---------------------------------------------------------------- typos


def test_lq011_one_typo_in_a_long_keyword() -> None:
    assert one_typo("delivry", "delivery")  # a letter missing
    assert one_typo("livraision", "livraison")  # one extra
    assert one_typo("webiste", "website")  # two swapped
    assert one_typo("klantenservise", "klantenservice")  # a wrong letter, long word
    assert not one_typo("shopping", "shipping")  # a wrong letter, shorter word
    assert not one_typo("delivery", "delivery")
    assert not one_typo("dlivry", "delivery")
    built = index("en", None, delivery="delivery", checkout="checkout")
    assert tags(built, "delivry chekcout") == {"delivery", "checkout"}
    # Short keywords are left alone: too many real words are one letter away.
    assert tags(index("en", None, late="late"), "lane") == set()


# ---------------------------------------------------------------- labels that give way


def test_lq012_freight_costs_are_price_not_delivery() -> None:
    assert top("£6.95 for shipping on a small order is steep", "en") == {"price"}
    assert top("Postage cost more than the socks", "en") == {"price"}
    assert top("49 kr i fragt på en lille ordre er for meget", "da") == {"price"}
    # A delivery topic beside the cost keeps both; a comma makes two clauses.
    assert top("Free shipping and it arrived the next day", "en") == {"delivery", "price"}
    assert top("Shipping was fast, but £5 postage is daylight robbery", "en") == {
        "delivery",
        "price",
    }


def test_lq013_yields_are_checked_and_read_back() -> None:
    text = '[labels.a]\nname = "A"\nen = ["a"]\nyields = ["b"]\n'
    with pytest.raises(TaxonomyError, match='labels."a".yields: "b" is not a label'):
        parse_taxonomy(text)
    again = parse_taxonomy(dump_taxonomy(SHIPPED))
    assert again.labels["delivery"].yields == ("price", "returns")
    assert again.compounds == SHIPPED.compounds


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ("[compounds.xx]\nmin_part = 3", "compounds.xx: unknown language"),
        ("[compounds.de]\nmin_part = 0", "compounds.de.min_part: min_part and min_head"),
        ("[compounds.de]\nexceptions = [1]", "compounds.de.exceptions"),
        ("[compounds.de]\nheads = 3", "compounds.de: keys are min_part, min_head and exceptions"),
    ],
)
def test_lq014_bad_compound_tables_name_the_place(table: str, problem: str) -> None:
    with pytest.raises(TaxonomyError) as err:
        parse_taxonomy('[labels.a]\nname = "A"\nde = ["a"]\n\n' + table)
    assert problem in str(err.value)


# ---------------------------------------------------------------- Norwegian and Finnish


def test_lq015_norwegian_and_finnish_are_labelled() -> None:
    for label in SHIPPED.top_level():
        assert {"nb", "fi"} <= set(label.keywords), label.id
    assert LABELLER.label("Pakken kom for sent og kundeservice svarte aldri", "nb") == (
        ("delivery", -1),
        ("delivery/time", -1),
        ("service", -1),
        ("service/reachability", -1),
    )
    assert top("Glidelåsen løsnet etter en uke", "nb") == {"product"}
    # Records may say "no" (or "nn") for Norwegian: the same keywords apply.
    assert LABELLER.label("Rask levering, takk", "no") == LABELLER.label(
        "Rask levering, takk", "nb"
    )
    assert top("Toimitus oli nopea mutta laatu on surkea", "fi") == {"delivery", "product"}
    assert dict(LABELLER.label("Asiakaspalvelu ei vastaa", "fi"))["service"] == -1


@pytest.fixture
def worked_out(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The words the index works out from scratch (not answered from its memory), in order."""
    words: list[str] = []
    original = KeywordIndex._work_out

    def counting(self: KeywordIndex, word: str) -> keywords.WordInfo:
        words.append(word)
        return original(self, word)

    monkeypatch.setattr(KeywordIndex, "_work_out", counting)
    return words


def test_lq016_words_in_use_stay_remembered_past_a_flood_of_one_off_words(
    monkeypatch: pytest.MonkeyPatch, worked_out: list[str]
) -> None:
    """Unique tokens (order numbers, names) fill the memory of words; the words comments
    keep using are not worked out again when it turns over, and matches do not change."""
    monkeypatch.setattr(keywords, "_CACHE_LIMIT", 50)
    built = index("de", GERMAN, delivery="liefer*", price="preis")
    for number in range(500):
        # A name or a code in letters, new in every comment.
        name = "".join("abcdefghij"[int(d)] for d in f"{number:03d}")
        assert tags(built, f"lieferung zu teuer, kunde {name}") == {"delivery"}
        assert tags(built, f"der preis stimmt x{name}") == {"price"}
    # Each distinct word once, however often the memory turned over (1,000 one-off
    # words against 50 words a generation), and the words in use just once.
    assert worked_out.count("lieferung") == 1 and worked_out.count("preis") == 1
    assert len(worked_out) == len(set(worked_out))


def test_lq017_numbers_are_not_worked_out_unless_a_keyword_may_start_with_one(
    worked_out: list[str],
) -> None:
    """Order numbers match nothing and take no room in the memory of words, but a phrase
    with a number inside still matches, and so does one starting with a number."""
    english = index("en", fast="within 24 hours", late="late")
    assert tags(english, "came within 24 hours order 123456") == {"fast"}
    assert tags(english, "late again 98765") == {"late"}
    assert not {"24", "123456", "98765"} & set(worked_out)
    assert "123456" not in english._cache

    spanish = index("es", fast="24 horas", loose="1234567x8")
    assert tags(spanish, "llegó en 24 horas") == {"fast"}
    # One typo from a long keyword that is all digits but one letter.
    assert tags(spanish, "código 12345678") == {"loose"}
    assert {"24", "12345678"} <= set(worked_out)
