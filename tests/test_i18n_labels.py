"""Label names per language (#18 item 1): name_de in the taxonomy, English as the fallback."""

from __future__ import annotations

import pytest

from dashapp.labels.taxonomy import TaxonomyError, default_text, dump_taxonomy, parse_taxonomy

TEXT = """
[labels.delivery]
name = "Delivery"
name_de = "Lieferung"
en = ["deliver"]
de = ["liefer*"]

[labels."delivery/time"]
name = "Delivery time"
en = ["late"]
"""


def test_i18n030_names_per_language_with_english_fallback() -> None:
    taxonomy = parse_taxonomy(TEXT)
    delivery = taxonomy.labels["delivery"]
    assert delivery.name_in("de") == "Lieferung" and delivery.name_in("en") == "Delivery"
    assert delivery.name_in("fr") == "Delivery"
    # name_de is a name, not a keyword list of a language called "name_de".
    assert set(delivery.keywords) == {"en", "de"}
    assert taxonomy.path_name("delivery/time", "de") == "Lieferung > Delivery time"
    assert parse_taxonomy(dump_taxonomy(taxonomy)).labels == taxonomy.labels


def test_i18n031_every_default_label_has_a_german_name() -> None:
    taxonomy = parse_taxonomy(default_text())
    assert all(label.names.get("de") for label in taxonomy.labels.values())


def test_i18n032_an_empty_name_is_named_as_a_problem() -> None:
    with pytest.raises(TaxonomyError, match="name_de"):
        parse_taxonomy(TEXT.replace('"Lieferung"', '""'))
