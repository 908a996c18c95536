"""The executive summary: plain-text paragraphs written from a result's numbers.

Nothing here is a hard-coded figure: every number is computed from the scenario or the simulated paths. The
growth arithmetic follows MODEL.md: with an annual new-customer rate g (monthly ``m = (1 + g)^(1/12) - 1``)
and monthly churn c, the base changes by ``(1 + m - c)^12 - 1`` a year, against the back-of-envelope
``g - 12 c``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.distributions import _Dist
from ..model.result import TOTAL, SimulationResult
from ..model.scenario import Segment
from .charts import compact

__all__ = ["GrowthArithmetic", "executive_summary", "growth_arithmetic", "pct"]


def pct(x: float, digits: int = 3) -> str:
    """``0.03 -> "3%"``, ``0.01531 -> "1.53%"``, ``-0.1627 -> "-16.3%"`` (significant digits, no trailing 0)."""
    if not np.isfinite(x):
        return "n/a"
    v = x * 100
    if v == 0:
        return "0%"
    text = f"{v:.{digits}g}"
    if "e" in text:
        text = f"{v:.2f}"
    return f"{text}%".replace("-", "\u2212")


def _value(p) -> tuple[float, bool]:
    """A parameter's number, or its median if it is a distribution (and whether it was)."""
    if isinstance(p, _Dist):
        return p.median(), True
    return float(p), False


@dataclass(frozen=True)
class GrowthArithmetic:
    """Growth against churn for one segment with ``rate`` acquisition and constant monthly churn.

    Attributes
    ----------
    g, c : float
        Annual new-customer rate and monthly churn (medians when they are uncertain).
    m : float
        Monthly acquisition rate, ``(1 + g)^(1/12) - 1``.
    simple : float
        The back-of-envelope annual change, ``g - 12 c``.
    modelled : float
        The modelled annual change of the customer base, ``(1 + m - c)^12 - 1``.
    churn_year : float
        Share of a starting base lost in a year with compounding, ``1 - (1 - c)^12`` (against ``12 c``).
    breakeven_g : float
        The annual new-customer rate that holds the base steady at this churn, ``(1 + c)^12 - 1``.
    uncertain : bool
        g or c is a distribution (the figures use its median).
    """

    segment: str
    g: float
    c: float
    m: float
    simple: float
    modelled: float
    churn_year: float
    breakeven_g: float
    uncertain: bool


def growth_arithmetic(segment: Segment) -> GrowthArithmetic | None:
    """The arithmetic for a segment, or ``None`` if it has no ``rate`` or no constant monthly churn."""
    acq, ch = segment.acquisition, segment.churn
    if acq.rate is None or ch.monthly is None or ch.onboarding is not None:
        return None
    g, ug = _value(acq.rate)
    c, uc = _value(ch.monthly)
    m = (1.0 + g) ** (1.0 / 12.0) - 1.0
    return GrowthArithmetic(
        segment=segment.name,
        g=g,
        c=c,
        m=m,
        simple=g - 12.0 * c,
        modelled=(1.0 + m - c) ** 12 - 1.0,
        churn_year=1.0 - (1.0 - c) ** 12,
        breakeven_g=(1.0 + c) ** 12 - 1.0,
        uncertain=ug or uc,
    )


def _share(p: float, paths: int) -> str:
    """A probability in words that does not claim more than the paths show."""
    if p == 0:
        return f"in none of the {paths:,} simulated paths"
    if p == 1:
        return f"in all {paths:,} simulated paths"
    if p < 0.01:
        return f"in fewer than 1% of the {paths:,} simulated paths"
    if p > 0.99:
        return f"in more than 99% of the {paths:,} simulated paths"
    return f"in {p:.0%} of the {paths:,} simulated paths"


def _money(x: float, currency: str) -> str:
    return f"{compact(x)} {currency}"


def _arithmetic_paragraphs(a: GrowthArithmetic, named: bool) -> list[str]:
    who = f"{a.segment}: " if named else ""
    if a.m < a.c:
        lead = (
            f"{who}{pct(a.c)} a month of churn outruns {pct(a.g)} a year of new customers, so "
            f"the customer base shrinks."
        )
    elif a.m > a.c:
        lead = (
            f"{who}{pct(a.g)} a year of new customers outruns {pct(a.c)} a month of churn, so "
            f"the customer base grows."
        )
    else:
        lead = f"{who}new customers exactly replace churned ones."
    simple = (
        f"The back-of-envelope sum is {pct(a.g)} \u2212 12 \u00d7 {pct(a.c)} = {pct(a.simple)} "
        f"a year."
    )
    modelled = (
        f"The model compounds: {pct(a.g)} a year is m = (1 + {pct(a.g)})^(1/12) \u2212 1 = "
        f"{pct(a.m)} of the base a month, against {pct(a.c)} churn, so the base changes by "
        f"(1 + {pct(a.m)} \u2212 {pct(a.c)})^12 \u2212 1 = {pct(a.modelled)} a year."
    )
    gap = a.modelled - a.simple
    why = (
        "The sum ignores compounding on both sides: acquisition at "
        f"{pct(a.g)} a year adds only {pct(a.m)} a month, not {pct(a.g / 12)}, and churn of "
        f"{pct(a.c)} a month removes {pct(a.churn_year)} of a year's starting customers, not "
        f"{pct(12 * a.c)}, because each month's churn falls on a smaller base."
    )
    if abs(gap) < 0.01:
        why += (
            " The two corrections pull in opposite directions, which is why the figures land close."
        )
    else:
        why += f" Here they differ by {abs(gap) * 100:.1f} percentage points."
    hold = (
        f"To hold the base steady at {pct(a.c)} monthly churn, new customers would have to arrive "
        f"at {pct(a.breakeven_g)} of the base a year, or churn fall to {pct(a.m)} a month."
    )
    note = " (Figures use the median of the uncertain rates.)" if a.uncertain else ""
    return [" ".join([lead, simple, modelled]) + note, " ".join([why, hold])]


def executive_summary(result: SimulationResult, target_arr: float | None = None) -> list[str]:
    """Paragraphs of plain text summarising a result at its horizon.

    Covers median ARR with P10-P90 and the chance ARR grows, customers, the growth arithmetic of every
    segment with ``rate`` acquisition and constant monthly churn (back-of-envelope against modelled),
    retention, unit economics against the 3:1 and 10:1 guidelines, and where the spread comes from.
    """
    sc = result.scenario
    cur = sc.currency
    h = result.headline()
    t = h["month"]
    out = []

    change = h["arr_median"] / h["arr_start"] - 1.0 if h["arr_start"] else np.nan
    direction = "a fall of" if change < 0 else "a rise of"
    arr = (
        f"ARR at month {t}: median {_money(h['arr_median'], cur)} (P10 "
        f"{_money(h['arr_p10'], cur)}, P90 {_money(h['arr_p90'], cur)}), from "
        f"{_money(h['arr_start'], cur)} at month 0"
    )
    if np.isfinite(change):
        arr += f": {direction} {pct(abs(change))} at the median"
    arr += f". ARR grows {_share(h['p_arr_grows'], result.paths)}."
    target = target_arr if target_arr is not None else sc.target_arr
    if target is not None:
        hit = float(np.mean(result.get("arr")[:, t] >= target))
        arr += f" It reaches the target of {_money(target, cur)} {_share(hit, result.paths)}."
    out.append(arr)

    out.append(
        f"Customers: {h['customers_start']:,.0f} at month 0, median "
        f"{h['customers_median']:,.0f} at month {t}."
    )

    sums = [a for a in (growth_arithmetic(s) for s in sc.segments) if a is not None]
    for a in sums:
        out += _arithmetic_paragraphs(a, named=len(sc.segments) > 1)

    if t >= 12:
        nrr = np.nanmedian(result.get("nrr")[:, t])
        grr = np.nanmedian(result.get("grr")[:, t])
        ret = (
            f"Revenue retention over the 12 months to month {t}: median NRR {pct(nrr)}, "
            f"GRR {pct(grr)}."
        )
        if np.isclose(nrr, grr):
            ret += " They are equal because no customer expands."
        elif nrr > 1:
            ret += " Expansion more than replaces the revenue lost to churn and contraction."
        out.append(ret)

    ue = result.unit_economics(month=t, segment=TOTAL).set_index("kpi")["median"]
    parts = []
    if np.isfinite(ue["ltv_cac"]):
        verdict = "above" if ue["ltv_cac"] >= 3 else "below"
        parts.append(
            f"LTV:CAC is {ue['ltv_cac']:.1f}:1 at the median, {verdict} the 3:1 guideline "
            f"(LTV {_money(ue['ltv'], cur)})"
        )
    if np.isfinite(ue["cac_payback"]):
        parts.append(f"CAC pays back in {ue['cac_payback']:.1f} months")
    if np.isfinite(ue["arr_crc"]):
        verdict = "above" if ue["arr_crc"] >= 10 else "below"
        parts.append(f"ARR:CRC is {ue['arr_crc']:.1f}:1, {verdict} the 10:1 guideline")
    else:
        parts.append("ARR:CRC is not defined because the scenario has no customer-success costs")
    out.append(f"Unit economics at month {t}: " + "; ".join(parts) + ".")
    from .ltv_note import ltv_sentence

    out.append(ltv_sentence(result, t, money=lambda x: _money(x, cur)))

    if sc.uncertain():
        out.append(
            f"{len(sc.uncertain())} parameters are uncertain and drawn once per path, so the "
            "spread combines what we do not know about the business with month-to-month chance."
        )
    else:
        out.append(
            "Every parameter is a fixed number, so the spread between paths is chance alone "
            "(which customers churn, how many join): it is narrower than real uncertainty."
        )
    return out
