r"""Customers split into bands by size, so that each band is calibrated as a segment of its own.

Where small accounts leave more often (:mod:`cssim.data.leaver_size`), one segment carries that only as
the leavers' MRR ratio in its churn (``churn.leaver_mrr``); segments by size let each band keep its own
churn, expansion and acquisition. A customer's band is fixed by its **first** month's MRR (the size it
joined at, so a new customer is placed the moment it arrives and an account that expands stays where
it started): with :math:`K` bands the edges are the first MRRs' quantiles

.. math:: e_j = Q_{j/K}(\text{first MRR}), \qquad j = 1, \dots, K - 1,

rounded to two significant figures, and band :math:`k` holds the customers with
:math:`e_k \le \text{first MRR} < e_{k+1}` (:math:`e_0 = 0`, :math:`e_K = \infty`).

Unless told how many (:func:`auto_bands`), a file is split into :data:`AUTO_BANDS` bands when its
leavers' MRR differs from their cohort's average (:attr:`LeaverSize.differs
<cssim.data.leaver_size.LeaverSize.differs>`) and at least :data:`AUTO_FROM` customers are active in
its last month (about 100 a band, enough for each band's own fits); otherwise it stays one segment.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from ..model.errors import Problem
from ..words import formatting as fmt
from ..words.i18n import Translator
from .leaver_size import LeaverSize
from .reading import CalibrationError

__all__ = [
    "AUTO_BANDS",
    "AUTO_FROM",
    "MAX_BANDS",
    "MIN_BAND_CUSTOMERS",
    "auto_bands",
    "band_names",
    "size_bands",
]

#: at most this many size bands
MAX_BANDS = 5
#: every band needs at least this many customers in all, and some still active at the end
MIN_BAND_CUSTOMERS = 30
#: bands chosen unasked, and the customers active in the last month a file needs for them
AUTO_BANDS = 3
AUTO_FROM = 300


def _round2(x: float) -> float:
    """``x`` to two significant figures (an edge a reader can say: 12,000 rather than 11,873.4)."""
    if x <= 0:
        return 0.0
    digits = 1 - math.floor(math.log10(x))
    return float(round(x, digits))


def size_bands(
    table: pd.DataFrame, bands: int, source: str
) -> tuple[list[float], list[pd.DataFrame]]:
    """The interior edges and each band's rows of a clean MRR table (``customer, month, mrr``).

    Raises :class:`CalibrationError` when ``bands`` is not 2 to :data:`MAX_BANDS`, when the first MRRs
    do not split into that many distinct bands, or when a band has fewer than
    :data:`MIN_BAND_CUSTOMERS` customers or none active in the last month.
    """
    if not 2 <= bands <= MAX_BANDS:
        raise CalibrationError(
            source,
            [Problem("size_bands", f"{bands} size bands: give 2 to {MAX_BANDS}", value=bands)],
        )
    paying = table[table["mrr"] > 0].sort_values(["customer", "month"])
    first = paying.groupby("customer", sort=False)["mrr"].first()
    edges = sorted({_round2(q) for q in np.quantile(first, np.arange(1, bands) / bands)} - {0.0})
    band = pd.Series(np.searchsorted(edges, first.to_numpy(float), side="right"), index=first.index)
    if len(edges) != bands - 1 or band.nunique() != bands:
        raise CalibrationError(
            source,
            [
                Problem(
                    "size_bands",
                    f"the customers' first MRRs do not split into {bands} bands (too few distinct "
                    "amounts): give fewer bands",
                    value=bands,
                )
            ],
        )
    last = table["month"].max()
    parts, problems = [], []
    for k in range(bands):
        who = band.index[band.to_numpy() == k]
        rows = table[table["customer"].isin(who)]
        active = rows.loc[(rows["month"] == last) & (rows["mrr"] > 0), "customer"].nunique()
        if len(who) < MIN_BAND_CUSTOMERS or active == 0:
            problems.append(
                Problem(
                    "size_bands",
                    f"size band {k + 1} of {bands} has {len(who)} customers ({active} active in the "
                    f"last month); each band needs at least {MIN_BAND_CUSTOMERS} and some active "
                    "at the end: give fewer bands",
                    value=bands,
                )
            )
        parts.append(rows)
    if problems:
        raise CalibrationError(source, problems)
    return edges, parts


def auto_bands(table: pd.DataFrame, leavers: LeaverSize | None) -> int:
    """:data:`AUTO_BANDS` for a clean MRR table whose ``leavers`` differ from their cohort's average
    and that has :data:`AUTO_FROM` customers active in its last month and splits into the bands;
    else 1 (one segment)."""
    if leavers is None or not leavers.differs:
        return 1
    last = table["month"].max()
    active = table.loc[(table["month"] == last) & (table["mrr"] > 0), "customer"].nunique()
    if active < AUTO_FROM:
        return 1
    try:
        size_bands(table, AUTO_BANDS, "")
    except CalibrationError:
        return 1
    return AUTO_BANDS


def band_names(edges: list[float], currency: str, lang: str | None = None) -> list[str]:
    """Each band's name in the reader's language: ``MRR under ¥12,000``, ``¥12,000 to ¥40,000``,
    ``¥40,000 and over`` (``MRR 1.2万円未満`` ...)."""
    _ = Translator(lang)

    def money(x: float) -> str:
        return fmt.money(x, currency, lang)

    names = [_("MRR under {high}", high=money(edges[0]))]
    names += [
        _("MRR {low} to {high}", low=money(lo), high=money(hi))
        for lo, hi in itertools.pairwise(edges)
    ]
    names.append(_("MRR {low} and over", low=money(edges[-1])))
    return names
