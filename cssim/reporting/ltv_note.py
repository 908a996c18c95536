"""Why the quoted LTV and the model-consistent LTV differ, in one sentence written from the numbers.

:func:`ltv_sentence` is the one place that decides the wording, so the report's unit-economics section, its
narrative and any other page say the same thing.
"""

from __future__ import annotations

import numpy as np

from ..model.result import TOTAL, SimulationResult

__all__ = ["ltv_reasons", "ltv_sentence"]


def ltv_reasons(result: SimulationResult, segment: str = TOTAL) -> list[str]:
    """The reasons, in order of how often they matter, why the two LTVs part for this scenario."""
    segs = result.segments if segment == TOTAL else [segment]
    sc = result.scenario
    reasons = []
    kinds = [sc.segment(s).churn for s in segs]
    if any(c.annual_renewal is not None for c in kinds):
        reasons.append(
            "annual contracts churn only at renewal, while first-year customers sit in the trailing "
            "churn's denominator without being able to leave"
        )
    if any(c.heterogeneity is not None for c in kinds):
        reasons.append(
            "customers differ in loyalty (sBG), so a new customer's churn falls with tenure instead of "
            "staying at today's blended rate"
        )
    if any(c.onboarding is not None for c in kinds):
        reasons.append("new customers face the higher onboarding churn first")
    if any(
        sc.segment(s).expansion is not None or sc.segment(s).contraction is not None for s in segs
    ):
        reasons.append("the model-consistent LTV counts expected expansion and contraction")
    if any(sc.segment(s).new_arpa is not None for s in segs):
        reasons.append("new customers join at the new-customer ARPA, not today's average ARPA")
    reasons.append(
        f"it discounts future margin at {result.discount_rate:.0%} a year"
        if result.discount_rate > 0
        else "it does not discount"
    )
    return reasons


def ltv_sentence(
    result: SimulationResult, month: int | None = None, segment: str = TOTAL, money=None
) -> str:
    """One or two sentences: both LTVs (medians), why they differ, and paths where the quoted one is undefined.

    ``money(x)`` formats an amount (a compact form in the scenario's currency by default).
    """
    t = result.horizon if month is None else month
    ue = result.unit_economics(month=t, segment=segment).set_index("kpi")
    if money is None:

        def money(x):
            from ..model.result import _money

            return f"{_money(x)} {result.scenario.currency}"

    quoted, model = ue.loc["ltv", "median"], ue.loc["ltv_model", "median"]
    bad = int(ue.loc["ltv", "undefined_paths"])
    diverge = int(ue.loc["ltv_model", "undefined_paths"])
    q = money(quoted) if np.isfinite(quoted) else "undefined"
    mdl = money(model) if np.isfinite(model) else "infinite"
    reasons = ltv_reasons(result, segment)
    text = (
        f"The quoted LTV (ARPA \u00d7 margin / trailing 12-month churn) is {q} at the median at month "
        f"{t}; the model-consistent LTV of a new customer is {mdl}. They differ because "
        + "; ".join(reasons)
        + "."
    )
    if bad:
        text += (
            f" The quoted LTV is undefined on {bad:,} of {result.paths:,} paths (no churn in the "
            "trailing 12 months); its median is over the other paths."
        )
    if diverge:
        text += f" The model-consistent LTV is not finite on {diverge:,} paths."
    return text
