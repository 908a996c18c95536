"""Why the quoted LTV and the model-consistent LTV differ, in one sentence written from the numbers.

:func:`ltv_sentence` is the one place that decides the wording, so the report's unit-economics section, its
narrative and any other page say the same thing.
"""

from __future__ import annotations

import numpy as np

from ..model.result import TOTAL, SimulationResult
from ..words import formatting as fmt
from ..words.i18n import Translator

__all__ = [
    "FINITE_LIFE_MONTHS",
    "LTV_CAC_GUIDELINE",
    "ltv_cac_sentence",
    "ltv_reasons",
    "ltv_sentence",
]

#: The common LTV:CAC guideline (3:1, 3倍).
LTV_CAC_GUIDELINE = 3.0

#: Where the model-consistent LTV has no limit, the sentence also gives it over this many months.
FINITE_LIFE_MONTHS = 120


def ltv_reasons(
    result: SimulationResult, segment: str = TOTAL, lang: str | None = None
) -> list[str]:
    """The reasons, in order of how often they matter, why the two LTVs part for this scenario."""
    t = Translator(lang or "en")
    segs = result.segments if segment == TOTAL else [segment]
    sc = result.scenario
    reasons = []
    kinds = [sc.segment(s).churn for s in segs]
    if any(c.annual_renewal is not None for c in kinds):
        reasons.append(
            t(
                "annual contracts churn only at renewal, while first-year customers sit in the "
                "trailing churn's denominator without being able to leave"
            )
        )
    if any(c.heterogeneity is not None for c in kinds):
        reasons.append(
            t(
                "customers differ in loyalty (sBG), so a new customer's churn falls with tenure "
                "instead of staying at today's blended rate"
            )
        )
    if any(c.onboarding is not None for c in kinds):
        reasons.append(t("new customers face the higher onboarding churn first"))
    if any(
        sc.segment(s).expansion is not None or sc.segment(s).contraction is not None for s in segs
    ):
        reasons.append(t("the model-consistent LTV counts expected expansion and contraction"))
    if any(sc.segment(s).new_arpa is not None for s in segs):
        reasons.append(t("new customers join at the new-customer ARPA, not today's average ARPA"))
    horizon = sc.ltv_horizon_months
    if horizon:
        reasons.append(
            t(
                "it counts only the first {months} of a customer's life",
                months=fmt.months(horizon, t.lang),
            )
        )
    reasons.append(
        t(
            "it discounts future margin at {rate} a year",
            rate=fmt.percent(result.discount_rate, t.lang, 0),
        )
        if result.discount_rate > 0
        else t("it does not discount")
    )
    return reasons


def ltv_sentence(
    result: SimulationResult,
    month: int | None = None,
    segment: str = TOTAL,
    money=None,
    lang: str | None = None,
) -> str:
    """One or two sentences: both LTVs (medians), why they differ, and paths where the quoted one is undefined.

    ``money(x)`` formats an amount (:func:`cssim.words.formatting.money` in ``lang`` by default).
    """
    t = Translator(lang or "en")
    month = result.horizon if month is None else month
    ue = result.unit_economics(month=month, segment=segment).set_index("kpi")
    if money is None:

        def money(x):
            return fmt.money(x, result.scenario.currency, t.lang)

    quoted, model = ue.loc["ltv", "median"], ue.loc["ltv_model", "median"]
    bad = int(ue.loc["ltv", "undefined_paths"])
    diverge = int(ue.loc["ltv_model", "undefined_paths"])
    q = money(quoted) if np.isfinite(quoted) else t("undefined")
    mdl = money(model) if np.isfinite(model) else t("infinite")
    reasons = ltv_reasons(result, segment, t.lang)
    sep = "、" if t.lang == "ja" else "; "
    text = t(
        "The quoted LTV (ARPA × margin / trailing 12-month churn) is {quoted} at the median at "
        "month {month}; the model-consistent LTV of a new customer is {model}. They differ because "
        "{reasons}.",
        quoted=q,
        month=month,
        model=mdl,
        reasons=sep.join(reasons),
    )
    if bad:
        text += t(
            " The quoted LTV is undefined on {bad} of {paths} paths (no churn in the trailing 12 "
            "months); its median is over the other paths.",
            bad=fmt.count(bad, t.lang),
            paths=fmt.count(result.paths, t.lang),
        )
    if diverge:
        text += t(
            " The model-consistent LTV is not finite on {n} of {paths} paths: there, expected "
            "expansion grows a staying customer's margin faster than churn and the discount take "
            "it away, so the sum over a customer's life has no limit.",
            n=fmt.count(diverge, t.lang),
            paths=fmt.count(result.paths, t.lang),
        )
        if hasattr(result, "lifetime_value"):  # a full result keeps every path's parameters
            capped = result.lifetime_value(segment, month=month, horizon=FINITE_LIFE_MONTHS)
            text += t(
                " Over the first {years} years of a customer's life it is {value} at the median.",
                years=FINITE_LIFE_MONTHS // 12,
                value=money(float(np.nanmedian(capped))),
            )
        text += t(
            " The scenario's ltv_horizon_months sets how many months of a customer's life to count."
        )
    return text


def model_ltv_cac(
    result: SimulationResult, month: int | None = None, segment: str = TOTAL
) -> float:
    """The median over paths of the model-consistent LTV over CAC (NaN where it cannot be computed).

    Per path, ``CAC = LTV / (LTV:CAC)`` of the quoted figures, so ``model LTV / CAC = model LTV x
    (LTV:CAC) / LTV``.
    """
    if not hasattr(result, "lifetime_value"):
        return float("nan")
    t = result.horizon if month is None else month
    model = result.lifetime_value(segment, month=t)
    quoted = result.get("ltv", segment)[:, t]
    ratio = result.get("ltv_cac", segment)[:, t]
    with np.errstate(invalid="ignore", divide="ignore"):
        per_path = model * ratio / quoted
    per_path = per_path[np.isfinite(per_path)]
    return float(np.median(per_path)) if per_path.size else float("nan")


def ltv_cac_sentence(
    result: SimulationResult,
    month: int | None = None,
    segment: str = TOTAL,
    lang: str | None = None,
) -> str:
    """The model-consistent LTV's LTV:CAC judged against the 3:1 guideline, as the quoted one is
    (empty where it cannot be computed)."""
    t = Translator(lang or "en")
    x = model_ltv_cac(result, month, segment)
    if not np.isfinite(x):
        return ""
    value = fmt.ratio(x, t.lang, 2)
    guide = fmt.ratio(LTV_CAC_GUIDELINE, t.lang)
    if x >= LTV_CAC_GUIDELINE:
        return t(
            "With the model-consistent LTV, LTV:CAC is {x} at the median, above the {guide} "
            "guideline.",
            x=value,
            guide=guide,
        )
    t_ = result.horizon if month is None else month
    quoted = float(np.nanmedian(result.get("ltv_cac", segment)[:, t_]))
    if quoted >= LTV_CAC_GUIDELINE:
        return t(
            "With the model-consistent LTV, LTV:CAC is {x} at the median, below the {guide} "
            "guideline that the quoted LTV clears.",
            x=value,
            guide=guide,
        )
    return t(
        "With the model-consistent LTV, LTV:CAC is {x} at the median, below the {guide} guideline.",
        x=value,
        guide=guide,
    )
