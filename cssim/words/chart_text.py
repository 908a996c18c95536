"""The words and money ticks of every chart, in the reader's language.

Each chart (:mod:`cssim.reporting.charts`, the report's figures, the ``plot()`` methods of
:mod:`cssim.analysis` and :mod:`cssim.data`) asks :func:`chart_text` for its translator and
:func:`money_ticks` for its money axis: the one money-tick formatter. The messages live in the
``charts.po`` catalog; English stays the default, and the English text is the msgid.
"""

from __future__ import annotations

from collections.abc import Callable

from matplotlib.ticker import Formatter

from . import formatting as fmt
from .i18n import BABEL_LOCALE, Translator, resolve_lang

__all__ = ["SpacedMoneyFormatter", "chart_text", "count_ticks", "money_ticks"]


class SpacedMoneyFormatter(Formatter):
    """Money ticks whose precision follows the tick spacing (:func:`formatting.tick_labels`).

    matplotlib hands the formatter every tick at once (:meth:`format_ticks`), so adjacent ticks always
    differ: ``2億円, 2.05億円, 2.1億円`` on a narrow range, ``1億円, 2億円, 3億円`` on a wide one.
    """

    def __init__(self, lang: str | None = None, suffix: str = "", prefix: str = ""):
        self.lang, self.suffix, self.prefix = resolve_lang(lang), suffix, prefix

    def _labels(self, values) -> list[str]:
        return fmt.tick_labels(values, self.lang, self.suffix, self.prefix)

    def format_ticks(self, values) -> list[str]:
        self.set_locs(values)
        return self._labels(values)

    def __call__(self, x, pos=None) -> str:
        locs = list(getattr(self, "locs", []) or [])
        if x in locs:
            return self._labels(locs)[locs.index(x)]
        return self._labels([x])[0]


def chart_text(lang: str | None = None) -> Translator:
    """The translator of chart words for ``lang`` (English when None)."""
    return Translator(lang or "en")


def money_ticks(
    currency: str | None = "JPY", lang: str | None = None, money: Callable | None = None
):
    """The tick formatter of every money axis: ``3.5億円`` / ``5,000万円`` in Japanese, ``¥350M`` /
    ``¥500k`` in English.

    Japanese yen take 万/億/兆 and 円; any other currency or language its symbol before the number
    (``$350M``; ``$3.5億`` in Japanese, as :func:`formatting.money` writes it). Each tick has as many
    decimals as the tick spacing needs, so adjacent ticks differ (:func:`formatting.tick_labels`).
    ``money`` (a function of the value) wins when given; without a currency (``None``: several on one
    axis) the ticks are numbers in the language's units (``3.5億``, ``350M``).
    """
    from matplotlib.ticker import FuncFormatter

    if money is not None:
        return FuncFormatter(lambda v, _: money(v) if v else "0")
    lang = resolve_lang(lang)
    if not currency:
        return SpacedMoneyFormatter(lang)
    if lang == "ja" and currency == "JPY":
        return SpacedMoneyFormatter(lang, suffix="円")
    from babel.numbers import get_currency_symbol

    return SpacedMoneyFormatter(lang, prefix=get_currency_symbol(currency, BABEL_LOCALE[lang]))


def count_ticks(lang: str | None = None):
    """The tick formatter of a count axis (customers): ``12,345`` in full below 100,000, compact above
    (``250k`` / ``25万``)."""
    from matplotlib.ticker import FuncFormatter

    lang = resolve_lang(lang)

    def label(x, _=None) -> str:
        return fmt.count(x, lang) if abs(x) < 1e5 else fmt.tick_labels([x], lang)[0]

    return FuncFormatter(label)
