"""The calibration report's sections on how far to trust the bands: the band widening with the backtest
behind it and the forms' weights (:mod:`cssim.data.widening`), and, for a small company, how wide the
band is and why, in words."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..data.backtest import BACKTEST_METRICS
from ..data.growth_endurance import BASE_ENDURANCE
from ..words import formatting as fmt
from ..words.i18n import N_, Translator

if TYPE_CHECKING:  # pragma: no cover
    from ..data.calibration import Calibration

__all__ = [
    "SMALL_COMPANY",
    "leaver_section",
    "leaver_text",
    "small_company_section",
    "widening_section",
]

#: at most this many customers at the end, the report says in words how little the data say
SMALL_COMPANY = 150

#: the churn and acquisition forms' names as the calibration page shows them
FORM_NAMES = {
    "monthly": N_("constant churn"),
    "onboarding": N_("onboarding churn"),
    "sbg": "sBG",
    "count": N_("a steady number of new customers a month"),
    "count_growth": N_("a number of new customers a month that grows"),
    "rate": N_("new customers in proportion to the customer base"),
}


def _sep(lang: str) -> str:
    return "、" if lang == "ja" else ", "


def _weights(weights: dict, lang: str) -> str:
    _ = Translator(lang)
    if not weights:
        return _("not compared (given, or too few months)")
    return _sep(lang).join(
        f"{_(FORM_NAMES[f]) if f in FORM_NAMES else f} {fmt.percent(w, lang, 0)}"
        for f, w in sorted(weights.items(), key=lambda kv: -kv[1])
    )


def _fading(cal: Calibration, lang: str) -> str | None:
    """What the scenario assumes about its fitted growth of new customers lasting, if it has one."""
    kept = [
        (s.name, s.acquisition.endurance)
        for s in cal.scenario.segments
        if s.acquisition.endurance != 1.0
    ]
    if not kept:
        return None
    _ = Translator(lang)
    p = kept[0][1]
    if not hasattr(p, "median"):  # a number: set when calibrating (--growth-endurance)
        return _(
            "The fitted growth of new customers is let fade: the forecast keeps {share} of it each "
            "year (acquisition.endurance in the scenario, as set when calibrating).",
            share=fmt.percent(float(p), lang, 0),
        )
    shares = _sep(lang).join(
        fmt.percent(e.median(), lang, 0) + (f" ({name})" if len(kept) > 1 else "")
        for name, e in kept
    )
    return _(
        "The fitted growth of new customers is let fade: the forecast keeps about {share} of it "
        "each year (acquisition.endurance in the scenario). This is a prior, not a fit: a "
        "company's own months rarely show whether its growth will last. A SaaS business keeps "
        "about {base} of its growth rate a year (Bessemer's growth endurance); the growth of its "
        "new customers a month fades faster, by how fast the base grows and churns. Set it to 1 "
        "for a growth that never fades.",
        share=shares,
        base=fmt.percent(BASE_ENDURANCE["mode"], lang, 0),
    )


def widening_section(cal: Calibration, lang: str = "en") -> dict:
    """The band widening (its factor and the backtest behind it) and the forms' weights."""
    _ = Translator(lang)
    w = cal.widening
    fw = cal.form_weights
    weights = _(
        "Weights of the forms from their scores on held-out months (pseudo-Bayesian model "
        "averaging): churn: {churn}; acquisition: {acquisition}. The scenario uses the best form; "
        "constant and onboarding churn are averaged when close, and the acquisition forms are "
        "averaged as one growing count when none has 95% of the weight. The widening covers the "
        "rest.",
        churn=_weights(fw["churn"], lang),
        acquisition=_weights(fw["acquisition"], lang),
    )
    section: dict = {"heading": _("Band widening and form weights"), "paragraphs": [weights]}
    fading = _fading(cal, lang)
    if fading:
        section["paragraphs"].append(fading)
    if cal.bands:
        widened = any(b.widening is not None for _name, b in cal.bands)
        section["paragraphs"].insert(
            0,
            _(
                "Calibrated by size band: each band's spread was widened on its own past forecasts "
                "(its factor is in the size bands table). The weights below are the whole file's."
            )
            if widened
            else _(
                "Calibrated by size band, bands not widened (--no-widen, or too few months). The "
                "weights below are the whole file's."
            ),
        )
        return section
    if w is None:
        section["paragraphs"].insert(
            0,
            _(
                "Bands not widened: calibrated with --no-widen (widen=False), or the data leave "
                "no past forecast to check them against (that needs a per-customer MRR table of at "
                "least 10 months)."
            ),
        )
        return section
    origins = sorted(w.table["origin"].unique())
    horizons = sorted(w.table["horizon"].unique())
    said = [
        _(
            "The company's own past forecasts: the calibration fitted to the months up to {origins}, "
            "simulated ({paths} paths, seed {seed}) and set against the customers and MRR "
            "{horizons} months later. At the fitted spread {before} of these {n} truths fell inside "
            "P10-P90; the promise is {target}.",
            origins=_sep(lang).join(origins),
            paths=fmt.count(w.paths, lang),
            seed=w.seed,
            horizons=_sep(lang).join(str(h) for h in horizons),
            before=fmt.percent(w.coverage_before, lang, 0),
            n=len(w.table),
            target=fmt.percent(w.target, lang, 0),
        )
    ]
    if w.factor == 1:
        said.append(_("The bands kept their promise: they are not widened (factor 1)."))
    elif w.reached:
        said.append(
            _(
                "Every fitted parameter's spread in the scenario is multiplied by {factor}, the "
                "smallest factor tried that puts {after} inside.",
                factor=fmt.number(w.factor, lang, 2),
                after=fmt.percent(w.coverage_after, lang, 0),
            )
        )
    else:
        said.append(
            _(
                "Even the largest factor tried, {factor}, puts only {after} inside: the scenario "
                "carries it, and its bands are still narrower than this company's past says they "
                "should be.",
                factor=fmt.number(w.factor, lang, 2),
                after=fmt.percent(w.coverage_after, lang, 0),
            )
        )
    yes, no = _("yes"), _("no")
    section["paragraphs"] = said + section["paragraphs"]
    section["columns"] = [
        _("last month fitted"),
        _("months ahead"),
        _("metric"),
        _("actual"),
        "P10",
        "P50",
        "P90",
        _("inside before"),
        _("inside after"),
    ]
    section["rows"] = [
        [
            r.origin,
            str(r.horizon),
            _(BACKTEST_METRICS[r.metric]),
            *(_figure(v, r.metric, cal, lang) for v in (r.truth, r.p10, r.p50, r.p90)),
            yes if r.covered_before else no,
            yes if r.covered_after else no,
        ]
        for r in w.table.itertuples()
    ]
    return section


def leaver_section(cal: Calibration, lang: str = "en") -> dict | None:
    """The section on the leavers' size, when it differs from the average account's."""
    text = leaver_text(cal, lang) if not cal.bands else None  # by band: the band table says it
    if text is None:
        return None
    return {
        "heading": Translator(lang)("The size of the customers who leave"),
        "paragraphs": [text],
    }


def leaver_text(cal: Calibration, lang: str = "en") -> str | None:
    """What the leavers' size (:mod:`cssim.data.leaver_size`) means for the MRR forecast, when it
    differs from the average account's."""
    lv = cal.fits.leavers
    if lv is None or not lv.differs:
        return None
    _ = Translator(lang)
    said = _(
        "Customers who left paid on average {ratio} of the average account's MRR (standard error "
        "{se}; {n} departures):",
        ratio=fmt.percent(lv.ratio, lang, 0),
        se=fmt.percent(lv.se, lang, 0),
        n=fmt.count(lv.departures, lang),
    )
    way = (
        _(
            "smaller accounts leave more often, so this company loses MRR more slowly than "
            "customers. The scenario's churn takes that into account (churn.leaver_mrr): a month "
            "in which a cohort's customers leave with probability f loses on average "
            "1 - (1 - f)^{rho} of its MRR, not f.",
            rho=fmt.number(lv.ratio, lang, 2),
        )
        if lv.ratio < 1
        else _(
            "larger accounts leave more often, so this company loses MRR faster than customers. "
            "The scenario's churn takes that into account (churn.leaver_mrr): a month in which a "
            "cohort's customers leave with probability f loses on average 1 - (1 - f)^{rho} of its "
            "MRR, not f.",
            rho=fmt.number(lv.ratio, lang, 2),
        )
    )
    advice = _(
        "Calibrating by size band (cssim calibrate --size-bands 3: a segment per band of first "
        "MRR) also gives each band its own churn."
    )
    gap = "" if lang == "ja" else " "  # Japanese sentences follow each other without a space
    return gap.join([said, way, advice])


def _figure(x: float, metric: str, cal: Calibration, lang: str) -> str:
    if metric == "mrr":
        return fmt.format_value(x, "money", lang, cal.scenario.currency)
    return fmt.number(x, lang, 0)


def small_company_section(cal: Calibration, lang: str = "en", paths: int = 2000) -> dict | None:
    """For at most :data:`SMALL_COMPANY` customers: how wide the scenario's 80% band is, in words."""
    from ..model.engine import simulate

    customers = cal.fits.start.customers
    if customers > SMALL_COMPANY:
        return None
    _ = Translator(lang)
    H = cal.scenario.horizon_months
    res = simulate(cal.scenario, paths=paths, seed=0)
    h = min(12, H)
    c = np.quantile(np.asarray(res["customers"], float)[:, h], [0.1, 0.5, 0.9])
    m = np.quantile(np.asarray(res["mrr"], float)[:, h], [0.1, 0.5, 0.9])
    money = cal.scenario.currency
    gap = "" if lang == "ja" else " "  # Japanese sentences follow each other without a space
    text = _(
        "Few customers ({customers}): the data say little. In {months} months the 80% band of "
        "customers runs from {low} to {high} (median {median}) and of MRR from {mrr_low} to "
        "{mrr_high}: its top is {ratio} times its bottom.",
        customers=fmt.count(customers, lang),
        months=h,
        low=fmt.number(c[0], lang, 0),
        high=fmt.number(c[2], lang, 0),
        median=fmt.number(c[1], lang, 0),
        mrr_low=fmt.format_value(m[0], "money", lang, money),
        mrr_high=fmt.format_value(m[2], "money", lang, money),
        ratio=fmt.number(m[2] / m[0], lang, 1) if m[0] > 0 else "∞",
    )
    if H > h:  # the scenario's horizon, where the band is widest
        c = np.quantile(np.asarray(res["customers"], float)[:, H], [0.1, 0.9])
        m = np.quantile(np.asarray(res["mrr"], float)[:, H], [0.1, 0.9])
        text += gap + _(
            "In {months} months, the scenario's horizon, the band runs from {low} to {high} "
            "customers and from {mrr_low} to {mrr_high} of MRR.",
            months=H,
            low=fmt.number(c[0], lang, 0),
            high=fmt.number(c[1], lang, 0),
            mrr_low=fmt.format_value(m[0], "money", lang, money),
            mrr_high=fmt.format_value(m[1], "money", lang, money),
        )
    text += gap + _(
        "With this many accounts a few churned or expanding accounts move every figure, and the "
        "fits rest on few events, so their standard errors are wide. Read the median as the "
        "middle of a wide range, not as a precise forecast; plan for the whole band."
    )
    return {"heading": _("How much the data say"), "paragraphs": [text]}
