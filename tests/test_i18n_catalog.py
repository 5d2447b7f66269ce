"""The catalogs (#18 item 1): every marked text extracted and translated, placeholders kept."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from dashapp.i18n import core

ROOT = Path(__file__).resolve().parents[1]
PO = core.CATALOGS / "de" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)s|%%")


def _ids(path: Path) -> dict[str, object]:
    with path.open("rb") as fh:
        return {m.id if isinstance(m.id, str) else m.id[0]: m for m in read_po(fh) if m.id}


def test_i18n010_catalog_holds_every_marked_text(tmp_path: Path) -> None:
    """A text marked in the code but missing from the catalog (make messages not run) fails."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            *(["-k", "_", "-k", "gettext", "-k", "ngettext:1,2", "-k", "lazy_gettext", "-k", "N_"]),
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    marked = set(_ids(pot))
    catalog = set(_ids(PO))
    assert marked - catalog == set(), "run `make messages` and translate the new texts"
    assert len(marked) > 50


def test_i18n011_every_text_translated_with_its_placeholders() -> None:
    with PO.open("rb") as fh:
        # A fuzzy header makes `pybabel compile` (make translations) skip the whole catalog.
        assert not read_po(fh).fuzzy
    untranslated, broken = [], []
    for msgid, message in _ids(PO).items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)  # type: ignore[attr-defined]
        if not all(strings) or "fuzzy" in message.flags:  # type: ignore[attr-defined]
            untranslated.append(msgid)
            continue
        for text in strings:
            if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(msgid)):
                broken.append((msgid, text))
    assert untranslated == []
    assert broken == []


def test_i18n012_a_missing_mo_is_compiled_from_the_po(tmp_path: Path) -> None:
    """A fresh clone or wheel without .mo files still reads German (compiled in memory)."""
    po = tmp_path / "de" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Sign in"\nmsgstr "Anmelden"\n',
        encoding="utf-8",
    )
    assert core._compiled(po).ugettext("Sign in") == "Anmelden"
    assert not po.with_suffix(".mo").exists()
