"""The words and tick labels of the analysis charts (``plot()`` methods), in the reader's language.

Each ``plot(..., lang=None)`` of :mod:`cssim.analysis` and :mod:`cssim.data` asks :func:`chart_text` for
its translator and :func:`money_ticks` for its money axis; the messages live in the ``charts.po``
catalog. English stays the default, and the English text is the msgid.
"""

from __future__ import annotations

from collections.abc import Callable

from . import formatting as fmt
from .i18n import Translator

__all__ = ["chart_text", "money_ticks"]


def chart_text(lang: str | None = None) -> Translator:
    """The translator of chart words for ``lang`` (English when None)."""
    return Translator(lang or "en")


def money_ticks(currency: str = "JPY", lang: str | None = None, money: Callable | None = None):
    """A matplotlib tick formatter for money: ``3.52億円`` in Japanese, the compact English form else.

    ``money`` (a function of the value) wins when given; English without it keeps the model's compact
    ``352M`` form, so English charts read as before.
    """
    from matplotlib.ticker import FuncFormatter

    if money is None and (lang or "en") != "en":

        def money(v: float) -> str:
            return fmt.money(v, currency, lang)

    if money is None:
        from ..model.result import _money as money
    return FuncFormatter(lambda v, _: money(v) if v else "0")
