"""The calibration page's section for a calibration by size band (:mod:`cssim.data.size_bands`): what
each band's own fit says, side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..words import formatting as fmt
from ..words.i18n import Translator

if TYPE_CHECKING:  # pragma: no cover
    from ..data.calibration import Calibration

__all__ = ["size_band_section"]


def size_band_section(cal: Calibration, lang: str = "en") -> dict | None:
    """One row per size band: customers at the end, ARPA, churn, new customers, expansion, the widening
    and the leavers' MRR over the band's average (:mod:`cssim.data.leaver_size`); None when the
    calibration has one segment."""
    if not cal.bands:
        return None
    _ = Translator(lang)
    money = cal.scenario.currency
    rows = []
    for name, b in cal.bands:
        f, a = b.fits, b.acquisition
        if a is None:
            new = ""
        elif a.model == "rate":
            new = _("{rate} a year of the base", rate=fmt.percent(a.rate, lang, 1))
        else:
            new = fmt.number(a.count, lang, 1)
        rows.append(
            [
                name,
                fmt.count(f.start.customers, lang),
                fmt.money(f.start.arpa, money, lang),
                fmt.percent(f.churn.churn, lang, 2),
                new,
                fmt.percent(b.expansion.rate, lang, 2) if b.expansion is not None else "",
                fmt.number(b.widening.factor, lang, 2) if b.widening is not None else "1",
                fmt.percent(f.leavers.ratio, lang, 0) if f.leavers is not None else "",
            ]
        )
    first, last = cal.bands[0][1].fits.churn.churn, cal.bands[-1][1].fits.churn.churn
    text = _(
        "The scenario has {n} segments, one per size band of each customer's first MRR, each "
        "fitted on its own customers: {small} of the smallest band's customers leave a month "
        "against {large} of the largest's. The sections below describe the fit to all customers "
        "together, for reference; the scenario uses the bands.",
        n=len(cal.bands),
        small=fmt.percent(first, lang, 2),
        large=fmt.percent(last, lang, 2),
    )
    paragraphs = [text]
    if cal.bands_auto:
        lv = cal.fits.leavers
        ratio = fmt.percent(lv.ratio, lang, 0)
        paragraphs.insert(
            0,
            _(
                "cssim chose the size bands itself: the customers who left paid on average {ratio} "
                "of their cohort's average MRR, so each band is fitted on its own customers, with "
                "its own churn, expansion and new customers (one segment would carry only that "
                "ratio, as churn.leaver_mrr). Calibrate with --size-bands 1 for one segment.",
                ratio=ratio,
            ),
        )
    return {
        "heading": _("Size bands"),
        "paragraphs": paragraphs,
        "columns": [
            _("size band"),
            _("customers"),
            "ARPA",
            _("churn a month"),
            _("new a month"),
            _("expansion a month"),
            _("widened x"),
            _("leavers' MRR"),
        ],
        "rows": rows,
    }
