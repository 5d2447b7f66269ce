"""Smart labels as pure functions: keyword syntax, the shipped taxonomy, sentiment, errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashapp.labels.labelling import Labeller
from dashapp.labels.stats import impact, label_stats
from dashapp.labels.taxonomy import TaxonomyError, default_text, dump_taxonomy, parse_taxonomy
from dashapp.labels.text import SNOWBALL, clauses

REQUIRED = ("de", "en", "fr", "nl", "sv", "da", "it", "es", "pl")
SHIPPED = parse_taxonomy(default_text())
LABELLER = Labeller(SHIPPED)


def labels(comment: str, language: str | None) -> dict[str, str]:
    names = {1: "positive", 0: "neutral", -1: "negative"}
    return {label: names[s] for label, s in LABELLER.label(comment, language)}


def top(comment: str, language: str | None) -> dict[str, str]:
    return {k: v for k, v in labels(comment, language).items() if "/" not in k}


def test_lab001_shipped_taxonomy_covers_every_listed_language() -> None:
    tops = SHIPPED.top_level()
    assert [t.id for t in tops] == [
        "delivery",
        "packaging",
        "price",
        "service",
        "product",
        "returns",
        "website",
        "payment",
    ]
    for label in tops:
        assert set(REQUIRED) <= set(label.keywords), label.id
    assert max(label.depth for label in SHIPPED.labels.values()) == 3
    assert SHIPPED.path_name("delivery/courier/pickup") == (
        "Delivery > Courier & drop-off > Parcel shop & pickup point"
    )


@pytest.mark.parametrize(
    ("comment", "language", "expected"),
    [
        (
            "Fast delivery but the box was crushed",
            "en",
            {"delivery": "positive", "packaging": "negative"},
        ),
        (
            "Die Lieferung kam zu spät, aber der Kundenservice war sehr freundlich.",
            "de",
            {"delivery": "negative", "service": "positive"},
        ),
        ("Pas de problème avec la livraison", "fr", {"delivery": "positive"}),
        ("De klantenservice reageert niet op mijn mail", "nl", {"service": "negative"}),
        ("Returen var smidig, fick pengarna tillbaka snabbt", "sv", {"returns": "positive"}),
        ("Pakken kom en uge for sent", "da", {"delivery": "negative"}),
        ("Il pagamento con PayPal è stato velocissimo", "it", {"payment": "positive"}),
        ("La web se colgaba al pagar", "es", {"website": "negative", "payment": "negative"}),
        ("Wcale nie drogo", "pl", {"price": "positive"}),
    ],
)
def test_lab002_labels_and_sentiment_in_every_language(
    comment: str, language: str, expected: dict[str, str]
) -> None:
    assert top(comment, language) == expected


def test_lab003_children_carry_their_parents_once() -> None:
    found = labels("late delivery, the parcel was late again and the delay annoyed me", "en")
    assert found["delivery/time"] == "negative"
    assert found["delivery"] == "negative"
    assert list(LABELLER.label("late late late", "en")).count(("delivery/time", -1)) == 1


def test_lab004_sentiment_is_from_the_clause_not_the_score() -> None:
    # Negation flips a sentiment word; the contrast word splits the clauses.
    assert top("Not expensive at all, great value", "en") == {"price": "positive"}
    assert top("Der Artikel ist nicht kaputt", "de")["product"] == "positive"
    assert top("The price is fine but the packaging is awful", "en") == {
        "price": "positive",
        "packaging": "negative",
    }
    # A neutral mention stays neutral.
    assert top("Paid by invoice", "en") == {"payment": "neutral"}
    # A short verdict after a comma lends its sentiment: "came in 48h, great!"
    assert top("Colis reçu en 48h, nickel", "fr") == {"delivery": "positive"}


def test_lab005_exclusions_reach_only_nearby_words() -> None:
    # "friendly" near "courier" praises the delivery, not customer service.
    assert "service" not in top("The courier was friendly", "en")
    assert top(
        "Bezorger heeft het pakket bij de verkeerde buren afgegeven en de klantenservice "
        "reageert niet",
        "nl",
    ) == {"delivery": "negative", "service": "negative"}
    # A damaged box is packaging, not a defective product.
    assert "product" not in top("the box was damaged when it arrived", "en")


def test_lab006_keyword_syntax() -> None:
    taxonomy = parse_taxonomy(
        """
        [labels.a]
        name = "Stem"
        en = ["deliver"]
        [labels.b]
        name = "Prefix"
        de = ["liefer*"]
        [labels.c]
        name = "Suffix"
        de = ["*verpackung"]
        [labels.d]
        name = "Infix"
        de = ["*paket*"]
        [labels.e]
        name = "Phrase"
        en = ["took too long"]
        [labels.e.exclude]
        en = ["refund"]
        """
    )
    labeller = Labeller(taxonomy)

    def ids(text: str, lang: str) -> set[str]:
        return {label for label, _ in labeller.label(text, lang)}

    assert ids("It was delivered and the deliveries were fine", "en") == {"a"}
    assert ids("Lieferzeit zu lang", "de") == {"b"}
    assert ids("Die Kartonverpackung war nass", "de") == {"c"}
    assert ids("Das Postpaketchen kam", "de") == {"d"}
    assert ids("shipping took too long", "en") == {"e"}
    assert ids("shipping took long", "en") == set()
    assert ids("the refund took too long", "en") == set()
    # Case and accents do not matter; a comment without a language is tried in all.
    assert ids("LIEFERZEIT", "de") == {"b"}
    assert ids("lieferzeit", None) == {"b"}
    # A language the taxonomy does not have finds nothing rather than guessing.
    assert ids("lieferzeit", "fi") == set()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not toml = [", "not valid TOML"),
        ("[other]\nx = 1", "no labels"),
        ('[labels."Bad Id"]\nname = "x"', 'labels."Bad Id": ids are lower-case slugs'),
        ('[labels."a/b/c/d"]\nname = "x"', "3 levels at most"),
        ('[labels."a/b"]\nname = "x"', 'labels."a/b": its parent "a" is not defined'),
        ('[labels.a]\nname = "x"\nxx = ["w"]', 'labels."a".xx: unknown key'),
        ('[labels.a]\nname = "x"\nen = ["ok", "*"]', "labels.\"a\".en[1] '*': must be"),
        ('[labels.a]\nname = "x"\nen = ["a-b"]', "labels.\"a\".en[0] 'a-b': must be letters"),
        ('[labels.a]\nen = ["ok"]', 'labels."a".name: a label needs a name'),
    ],
)
def test_lab007_invalid_taxonomies_name_the_place(text: str, problem: str) -> None:
    with pytest.raises(TaxonomyError) as err:
        parse_taxonomy(text)
    assert problem in str(err.value)


def test_lab008_export_reads_back_unchanged() -> None:
    again = parse_taxonomy(dump_taxonomy(SHIPPED))
    assert again.labels == SHIPPED.labels
    assert dump_taxonomy(again) == dump_taxonomy(SHIPPED)


def test_lab009_clauses_split_at_punctuation_and_contrast() -> None:
    assert clauses("Fast, cheap; but late! And (really) slow", frozenset({"but"})) == [
        ["fast"],
        ["cheap"],
        ["late"],
        ["and"],
        ["really"],
        ["slow"],
    ]


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=300),
    language=st.sampled_from([None, "xx", *sorted(SNOWBALL)]),
)
def test_lab010_any_text_in_any_language_labels_without_error(
    text: str, language: str | None
) -> None:
    found = LABELLER.label(text, language)
    ids = [label for label, _ in found]
    assert ids == sorted(set(ids))
    assert set(ids) <= set(SHIPPED.labels)
    assert all(s in (-1, 0, 1) for _, s in found)
    for label in ids:
        assert set(SHIPPED.ancestors(label)) <= set(ids)


def test_lab011_impact_and_problematic_arithmetic() -> None:
    # All: 50 promoters, 30 passives, 20 detractors: NPS +30.
    # Without the 10 detractors carrying the label: (50 - 10) / 90 = +44.4.
    assert impact((50, 30, 20), (0, 0, 10)) == pytest.approx(30 - 400 / 9)
    assert impact((5, 0, 0), (5, 0, 0)) is None
    current = {"*": (40, 20, 20, 0, 0, 0), "price": (0, 0, 10, 0, 2, 8)}
    previous = {"*": (40, 20, 20, 0, 0, 0), "price": (5, 0, 5, 3, 0, 2)}
    [stat] = label_stats(SHIPPED, current, previous, (50, 30, 20), min_n=5)
    assert stat.label == "price"
    assert stat.volume == 10
    assert stat.share == pytest.approx(10 / 80)
    assert stat.nps.nps == -100
    assert stat.problematic == pytest.approx(10 / 20)
    assert (stat.positive, stat.neutral, stat.negative) == (0, 2, 8)
    assert stat.previous.nps == 0
    assert stat.change.delta == -100


def test_lab012_weak_keywords_yield_to_other_labels() -> None:
    # A product named in passing is not a product comment ...
    assert top("The jacket arrived two weeks late", "en") == {"delivery": "negative"}
    assert top("Die Jacke kam zwei Wochen zu spät", "de").keys() == {"delivery"}
    # ... but it is when nothing else is talked about, or with a product word.
    assert top("The jacket is lovely and warm", "en") == {"product": "positive"}
    assert top("Die Jacke ist kaputt", "de") == {"product": "negative"}
    assert "product" in top("The jacket arrived late and the zipper was broken", "en")
