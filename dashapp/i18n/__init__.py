"""German and English: the reader's locale, gettext over the catalogs, CLDR formats, local days.

Below every layer that shows text (figures, jobs, access, web, layouts): it knows
nothing of Flask or Dash. The web layer sets the locale per request
(:mod:`dashapp.web.locale`), mail sets the recipient's (:func:`use_locale`).
"""

from dashapp.i18n.core import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    N_,
    current,
    gettext,
    lazy_gettext,
    ngettext,
    pick,
    use_locale,
)

_ = gettext

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "N_",
    "_",
    "current",
    "gettext",
    "lazy_gettext",
    "ngettext",
    "pick",
    "use_locale",
]
