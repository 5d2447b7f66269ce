"""A third language is a catalog and a taxonomy column, nothing else (#18; README, "Adding a
language").

A copy of the package gets a French catalog (one text translated, as a translator
would begin) and a ``name_fr`` in the taxonomy, and nothing else: a fresh Python on
that copy offers French in the language menu, answers ``?lang=fr`` pages in French
with ``<html lang="fr">``, writes CLDR's French numbers and dates and names the label
in French.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent

CHECK = textwrap.dedent(
    """
    import sys
    copy, root, url = sys.argv[1:4]
    # The copy, not the checkout's editable install.
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    sys.path[:0] = [copy, root]
    import datetime as dt
    import json
    import dashapp
    assert dashapp.__file__.startswith(copy), dashapp.__file__
    from dashapp import create_app
    from dashapp.config import Settings
    from dashapp.i18n import core, formats, use_locale
    from dashapp.labels.taxonomy import default_text, parse_taxonomy
    from dashapp.store import db

    def menu(app, lang):
        # The navigation bar as a page in this language gets it.
        from plotly.utils import PlotlyJSONEncoder

        from layouts.nav import navbar

        with app.server.test_request_context(f"/explore?lang={lang}"):
            app.server.preprocess_request()
            return json.dumps(navbar(), cls=PlotlyJSONEncoder, ensure_ascii=False)

    assert core.LANGUAGES == ("en", "de", "fr"), core.LANGUAGES
    assert core.NATIVE_NAMES["fr"] == "Français"
    db.upgrade(url)
    app = create_app(Settings.load(database_url=url, cache_url="simple"), local_demo=True)
    client = app.server.test_client()
    page = client.get("/explore?lang=fr", headers={"Accept": "text/html"}).text
    assert '<html lang="fr"' in page, page[:200]
    assert "cembre" in page  # the pickers' and charts' month names: décembre
    assert "Français" in menu(app, "en")  # the menu offers it
    assert "Vue d'ensemble" in menu(app, "fr") and "English" in menu(app, "fr")
    with use_locale("fr"):
        assert core.gettext("Overview") == "Vue d'ensemble"
        assert formats.number(1234567) == "1\\u202f234\\u202f567"
        assert formats.date(dt.date(2026, 12, 1)) == "1 déc. 2026"
    assert formats.d3_day_formats("fr")["day"] == "%-d %b"
    delivery = parse_taxonomy(default_text()).labels["delivery"]
    assert delivery.name_in("fr") == "Livraison", delivery.name_in("fr")
    assert delivery.name_in("de") == "Lieferung"
    print("french ok")
    """
)


def test_i18n030_a_catalog_and_a_taxonomy_column_add_a_language(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    package = copy / "dashapp"
    shutil.copytree(ROOT / "dashapp", package, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    # `pybabel init -l fr`, then one text translated.
    with (package / "translations" / "messages.pot").open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    catalog["Overview"].string = "Vue d'ensemble"
    po = package / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    with po.open("wb") as fh:
        write_po(fh, catalog)
    taxonomy = package / "data" / "taxonomy.toml"
    text = taxonomy.read_text("utf-8")
    assert 'name_de = "Lieferung"\n' in text
    taxonomy.write_text(
        text.replace(
            'name_de = "Lieferung"\n', 'name_de = "Lieferung"\nname_fr = "Livraison"\n', 1
        ),
        "utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CHECK,
            str(copy),
            str(ROOT),
            f"sqlite:///{tmp_path / 'store.db'}",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "french ok" in done.stdout


def test_i18n031_only_catalogs_named_as_locales_are_languages(tmp_path: Path) -> None:
    """A backup copy, an editor's cache or a folder named another way is not a language;
    a regional catalog is, and is asked for as people write it."""
    from dashapp.i18n.core import catalog_languages, native_name, pick, tag

    for name in ("de", "pt_BR", "de.bak", ".ipynb_checkpoints", "__pycache__", "zh-Hans", "xx"):
        folder = tmp_path / name / "LC_MESSAGES"
        folder.mkdir(parents=True)
        (folder / "messages.po").write_text("", "utf-8")
    (tmp_path / "fr" / "LC_MESSAGES" / "messages.po").mkdir(parents=True)  # not a file
    found = catalog_languages(tmp_path)
    assert found == ("en", "de", "pt_BR")
    assert native_name("pt_BR") == "Português (Brasil)"
    assert pick("pt-BR", found) == "pt_BR" and pick("PT_br", found) == "pt_BR"
    assert pick("de-AT", found) == "de" and pick("pt", found) is None
    assert pick("fr", found) is None and pick("", found) is None
    assert tag("pt_BR") == "pt-BR" and tag("de") == "de"
