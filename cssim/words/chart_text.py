"""The words and tick labels of the analysis charts (``plot()`` methods), in the reader's language.

Each ``plot(..., lang=None)`` of :mod:`cssim.analysis` and :mod:`cssim.data` asks :func:`chart_text` for
its translator and :func:`money_ticks` for its money axis; the messages live in the ``charts.po``
catalog. English stays the default, and the English text is the msgid.
"""

from __future__ import annotations

from collections.abc import Callable

from matplotlib.ticker import Formatter

from . import formatting as fmt
from .i18n import Translator, resolve_lang

__all__ = ["SpacedMoneyFormatter", "chart_text", "money_ticks"]


class SpacedMoneyFormatter(Formatter):
    """Money ticks whose precision follows the tick spacing (:func:`formatting.tick_labels`).

    matplotlib hands the formatter every tick at once (:meth:`format_ticks`), so adjacent ticks always
    differ: ``2億, 2.05億, 2.1億`` on a narrow range, ``1億, 2億, 3億`` on a wide one.
    """

    def __init__(self, lang: str | None = None, suffix: str = ""):
        self.lang, self.suffix = resolve_lang(lang), suffix

    def format_ticks(self, values) -> list[str]:
        self.set_locs(values)
        return fmt.tick_labels(values, self.lang, self.suffix)

    def __call__(self, x, pos=None) -> str:
        locs = list(getattr(self, "locs", []) or [])
        if x in locs:
            return fmt.tick_labels(locs, self.lang, self.suffix)[locs.index(x)]
        return fmt.tick_labels([x], self.lang, self.suffix)[0]


def chart_text(lang: str | None = None) -> Translator:
    """The translator of chart words for ``lang`` (English when None)."""
    return Translator(lang or "en")


def money_ticks(currency: str = "JPY", lang: str | None = None, money: Callable | None = None):
    """A matplotlib tick formatter for money: ``3.52億円`` in Japanese, the compact English form else.

    ``money`` (a function of the value) wins when given; without it, English reads the compact ``352M``
    form and Japanese yen ``3.52億円``, with as many decimals as the tick spacing needs so adjacent
    ticks differ (:func:`formatting.tick_labels`).
    """
    from matplotlib.ticker import FuncFormatter

    english = (lang or "en") == "en"
    if money is None and (english or currency == "JPY"):
        return SpacedMoneyFormatter(lang, "" if english else "円")
    if money is None:

        def money(v: float) -> str:
            return fmt.money(v, currency, lang)

    return FuncFormatter(lambda v, _: money(v) if v else "0")
