"""Languages: one mechanism for every text a person reads (reports, pages, widgets, CLI).

Messages are English source strings marked with :func:`_` (or ``N_`` where the text is only declared);
Japanese translations live in gettext catalogs under ``cssim/words/locale/ja/LC_MESSAGES/*.po``, one
catalog file per part of the program (``cli.po``, ``report.po``, ``pages.po``, ``widgets.po``, ...). All
catalogs of a language are merged into one :class:`babel.support.Translations` at first use; the ``.po``
files are read directly (no compiled ``.mo`` in the tree).

The language is chosen, strongest first, by an explicit ``lang=`` (the CLI's ``--lang``), the scenario's
``language:`` field, then English.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

__all__ = ["DEFAULT", "LANGS", "N_", "Translator", "catalog_files", "resolve_lang", "translator"]

LANGS = ("en", "ja")
DEFAULT = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
#: Babel locale for each language (numbers, dates).
BABEL_LOCALE = {"en": "en_US", "ja": "ja_JP"}


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now (translate where it is shown)."""
    return message


def resolve_lang(flag: str | None = None, scenario_language: str | None = None) -> str:
    """The language to use: the flag wins, then the scenario's ``language:``, then English."""
    for choice in (flag, scenario_language):
        if choice:
            if choice not in LANGS:
                raise ValueError(f"language {choice!r} is not one of {', '.join(LANGS)}")
            return choice
    return DEFAULT


def catalog_files(lang: str) -> Iterator[Path]:
    """The ``.po`` files of ``lang``, sorted."""
    yield from sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po"))


@functools.cache
def _translations(lang: str):
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import NullTranslations, Translations

    if lang == DEFAULT:
        return NullTranslations()
    merged = None
    for path in catalog_files(lang):
        with path.open("rb") as f:
            catalog = read_po(f, locale=BABEL_LOCALE[lang])
        buf = BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        t = Translations(fp=buf)
        if merged is None:
            merged = t
        else:
            merged.merge(t)
    return merged or NullTranslations()


class Translator:
    """``t = translator("ja"); t("Churn")`` gives the Japanese; ``t.n(one, many, n)`` for plurals.

    ``t.lang`` is the language and ``t.locale`` the Babel locale that :mod:`cssim.words.formatting`
    takes. Missing translations fall back to the English text (a test fails when one is missing).
    """

    def __init__(self, lang: str = DEFAULT):
        self.lang = resolve_lang(lang)
        self.locale = BABEL_LOCALE[self.lang]
        self._t = _translations(self.lang)

    def __call__(self, message: str, /, **kwargs) -> str:
        text = self._t.gettext(message)
        return text.format(**kwargs) if kwargs else text

    def n(self, singular: str, plural: str, count: int, /, **kwargs) -> str:
        text = self._t.ngettext(singular, plural, count)
        return text.format(count=count, **kwargs)

    @property
    def translations(self):
        """The Babel/gettext translations (for Jinja2's ``install_gettext_translations``)."""
        return self._t

    def __repr__(self) -> str:
        return f"Translator({self.lang!r})"


def translator(lang: str | None = None) -> Translator:
    """A :class:`Translator` for ``lang`` (English when None)."""
    return Translator(lang or DEFAULT)
