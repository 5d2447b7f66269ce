"""The reader's language and gettext over the catalogs in ``dashapp/translations``.

Babel directly, not Flask-Babel: charts (``dashapp.figures``) and the report and
alert mails (``dashapp.jobs``) translate too, and may not import Flask. The locale
is a context variable: the web layer sets it per request, mail per recipient.

Catalogs: ``<lang>/LC_MESSAGES/messages.po`` in the repository; ``make translations``
(run by ``make run`` and ``make test``) compiles them to ``.mo``. A catalog whose
``.mo`` is missing or older than its ``.po`` (an installed wheel, a fresh clone)
is compiled in memory when first used, so no screen ever shows a stale catalog.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, NullTranslations, Translations

#: The language the code's texts are written in (it has no catalog).
SOURCE_LANGUAGE = "en"
DEFAULT_LANGUAGE = SOURCE_LANGUAGE
#: The cookie that remembers a ?lang= choice (set by the web layer, cleared by /account).
LANGUAGE_COOKIE = "fw_lang"
CATALOGS = Path(__file__).resolve().parent.parent / "translations"
DOMAIN = "messages"


def catalog_languages(catalogs: Path) -> tuple[str, ...]:
    """The source language, then every language with a catalog under *catalogs*, sorted.

    A catalog is ``<code>/LC_MESSAGES/messages.po`` with *code* a locale as gettext
    names it ("de", "pt_BR"): adding one adds a language. Other folders (a backup
    copy, an editor's cache) are not languages.
    """
    found = set()
    for po in catalogs.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
        code = po.parent.parent.name
        if code == SOURCE_LANGUAGE or not po.is_file():
            continue
        try:
            known = str(Locale.parse(code)) == code
        except (ValueError, UnknownLocaleError):
            known = False
        if known:
            found.add(code)
    return (SOURCE_LANGUAGE, *sorted(found))


def tag(language: str) -> str:
    """*language* as HTML and HTTP write it (BCP 47): "pt_BR" is "pt-BR"."""
    return language.replace("_", "-")


def native_name(language: str) -> str:
    """*language*'s name in itself, as CLDR writes it, capitalised for a menu: "Deutsch"."""
    name = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]


#: Languages a person can read the app in; the first is the source language of the code.
LANGUAGES = catalog_languages(CATALOGS)
#: Names of the languages in themselves (the language switch shows these).
NATIVE_NAMES = {code: native_name(code) for code in LANGUAGES}

_locale: ContextVar[str] = ContextVar("feedbackwall_locale", default=DEFAULT_LANGUAGE)


def pick(candidate: str | None, languages: tuple[str, ...] | None = None) -> str | None:
    """*candidate* ("de", "de-AT", "DE_ch", "pt-BR") as one of *languages* (default
    :data:`LANGUAGES`): the language itself if there is a catalog for it, else its
    base language; None when neither."""
    if not candidate:
        return None
    known = {code.lower(): code for code in (LANGUAGES if languages is None else languages)}
    code = candidate.strip().replace("-", "_").lower()
    return known.get(code) or known.get(code.split("_")[0])


def best_match(choices: Iterable[str | None], default: str = DEFAULT_LANGUAGE) -> str:
    """The first of *choices* that names a known language, else *default*."""
    for choice in choices:
        found = pick(choice)
        if found:
            return found
    return pick(default) or DEFAULT_LANGUAGE


def current() -> str:
    """The language text is produced in now (one of :data:`LANGUAGES`)."""
    return _locale.get()


def set_current(language: str) -> object:
    """Make *language* current in this context; returns a token for :func:`reset`."""
    return _locale.set(pick(language) or DEFAULT_LANGUAGE)


def reset(token: object) -> None:
    """Undo :func:`set_current`."""
    _locale.reset(token)  # type: ignore[arg-type]


@contextmanager
def use_locale(language: str | None) -> Iterator[str]:
    """Produce text in *language* inside the block (a mail to one recipient, a test)."""
    token = _locale.set(pick(language) or DEFAULT_LANGUAGE)
    try:
        yield _locale.get()
    finally:
        _locale.reset(token)


def _compiled(po: Path) -> Translations:
    """The catalog of *po*: its ``.mo`` when up to date, else compiled from the ``.po`` now."""
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as fh:
            return Translations(fh, domain=DOMAIN)
    with po.open("rb") as fh:
        catalog = read_po(fh)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


@functools.cache
def translations(language: str) -> NullTranslations:
    """The compiled catalog of *language* (English, the source language, has none)."""
    po = CATALOGS / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == SOURCE_LANGUAGE or not po.exists():
        return NullTranslations()
    return _compiled(po)


def gettext(message: str, **values: object) -> str:
    """*message* in the current language, with ``%(name)s`` placeholders filled from *values*."""
    text = translations(current()).ugettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    """The singular or plural form for *n* in the current language; ``%(num)s`` is *n*."""
    text = translations(current()).ungettext(singular, plural, n)
    return text % {"num": n, **values}


def lazy_gettext(message: str, **values: object) -> LazyProxy:
    """*message*, translated when it is read (for text defined at import time)."""
    return LazyProxy(gettext, message, enable_cache=False, **values)


def options(items: list[dict[str, str]]) -> list[dict[str, str]]:
    """Dropdown or radio options whose labels were marked with :func:`N_`, translated now."""
    return [{**item, "label": gettext(item["label"])} for item in items]


def N_(message: str) -> str:
    """Mark *message* for the catalog without translating it (translated where it is shown)."""
    return message
