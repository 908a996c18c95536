"""Sentences written from a result's numbers, in the reader's language.

Nothing here is a hard-coded figure: every number is computed from the scenario or the simulated paths.
Each function takes a :class:`~cssim.words.i18n.Translator` (``t``); the English text is the message
id and the Japanese lives in ``locale/ja/LC_MESSAGES/report.po``. Numbers go through
:mod:`cssim.words.formatting` (``3.52億円`` / ``¥352M``).

The growth arithmetic follows MODEL.md: with an annual new-customer rate g (monthly
``m = (1 + g)^(1/12) - 1``) and monthly churn c, the base changes by ``(1 + m - c)^12 - 1`` a year,
against the back-of-envelope ``g - 12 c``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.distributions import _Dist
from ..model.result import TOTAL, SimulationResult
from ..model.scenario import Segment
from ..words import formatting as fm
from ..words.i18n import Translator, translator

__all__ = [
    "GrowthArithmetic",
    "chance",
    "derivation",
    "executive_summary",
    "growth_arithmetic",
    "pct",
    "where_arr_goes",
]


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


def chance(p: float, paths: int, t: Translator) -> str:
    """A probability in words that does not claim more than the paths show (``in 8% of ...``)."""
    n = fm.count(paths, t.lang)
    if p == 0:
        return t("in none of the {n} simulated futures", n=n)
    if p == 1:
        return t("in all {n} simulated futures", n=n)
    if p < 0.01:
        return t("in fewer than 1% of the {n} simulated futures", n=n)
    if p > 0.99:
        return t("in more than 99% of the {n} simulated futures", n=n)
    return t("in {p} of the {n} simulated futures", p=fm.percent(p, t.lang, 0), n=n)


def where_arr_goes(
    result: SimulationResult, t: Translator, target_arr: float | None = None
) -> list[str]:
    """The first paragraph of a report: where ARR goes, the likely range, the chance it grows.

    "ARR is most likely to end month 36 near ¥X (median) ... 8 futures in 10 end between ¥P10 and
    ¥P90." The range is P10-P90 of ARR at the horizon over the simulated paths.
    """
    sc, h = result.scenario, result.headline()
    lang, cur = t.lang, result.scenario.currency

    def money(x: float) -> str:
        return fm.money(x, cur, lang)

    change = h["arr_median"] / h["arr_start"] - 1.0 if h["arr_start"] else np.nan
    first = t(
        "ARR is most likely to end month {month} near {median} (the median), from {start} today",
        month=h["month"],
        median=money(h["arr_median"]),
        start=money(h["arr_start"]),
    )
    if np.isfinite(change):
        if change < 0:
            first += t(": a fall of {p}", p=fm.percent(-change, lang))
        elif change > 0:
            first += t(": a rise of {p}", p=fm.percent(change, lang))
    first += t(". ")
    first += t(
        "The 80% range is {low} to {high}.",
        low=money(h["arr_p10"]),
        high=money(h["arr_p90"]),
    )
    second = t("ARR grows {where}.", where=chance(h["p_arr_grows"], result.paths, t))
    target = target_arr if target_arr is not None else sc.target_arr
    if target is not None:
        hit = float(np.mean(result.get("arr")[:, h["month"]] >= target))
        second += t(
            " It reaches the target of {target} {where}.",
            target=money(target),
            where=chance(hit, result.paths, t),
        )
    return [first, second]


def _arithmetic_paragraphs(a: GrowthArithmetic, named: bool, t: Translator) -> list[str]:
    lang = t.lang

    def p(x: float) -> str:
        return pct(x)

    who = t("{segment}: ", segment=a.segment) if named else ""
    if a.m < a.c:
        lead = t(
            "{c} a month of churn outruns {g} a year of new customers, so the customer base "
            "shrinks.",
            c=p(a.c),
            g=p(a.g),
        )
    elif a.m > a.c:
        lead = t(
            "{g} a year of new customers outruns {c} a month of churn, so the customer base grows.",
            c=p(a.c),
            g=p(a.g),
        )
    else:
        lead = t("New customers exactly replace churned ones.")
    simple = t(
        "The back-of-envelope sum is {g} \u2212 12 \u00d7 {c} = {simple} a year.",
        g=p(a.g),
        c=p(a.c),
        simple=p(a.simple),
    )
    modelled = t(
        "The model compounds: {g} a year is m = (1 + {g})^(1/12) \u2212 1 = {m} of the base a "
        "month, against {c} churn, so the base changes by (1 + {m} \u2212 {c})^12 \u2212 1 = "
        "{modelled} a year.",
        g=p(a.g),
        m=p(a.m),
        c=p(a.c),
        modelled=p(a.modelled),
    )
    why = t(
        "The sum ignores compounding on both sides: acquisition at {g} a year adds only {m} a "
        "month, not {g12}, and churn of {c} a month removes {year} of a year's starting "
        "customers, not {c12}, because each month's churn falls on a smaller base.",
        g=p(a.g),
        m=p(a.m),
        g12=p(a.g / 12),
        c=p(a.c),
        year=p(a.churn_year),
        c12=p(12 * a.c),
    )
    gap = a.modelled - a.simple
    if abs(gap) < 0.01:
        more = t(
            " The two corrections pull in opposite directions, which is why the figures land close."
        )
    else:
        more = t(" Here they differ by {gap}.", gap=fm.points(abs(gap), lang).lstrip("+"))
    why = fm.sentences([why, more.strip()], lang)
    hold = t(
        "To hold the base steady at {c} monthly churn, new customers would have to arrive at "
        "{g} of the base a year, or churn fall to {m} a month.",
        c=p(a.c),
        g=p(a.breakeven_g),
        m=p(a.m),
    )
    note = t(" (Figures use the median of the uncertain rates.)").strip() if a.uncertain else ""
    return [
        who + fm.sentences([lead, simple, modelled, note], lang),
        fm.sentences([why, hold], lang),
    ]


def derivation(result: SimulationResult, t: Translator) -> list[str]:
    """The back-of-envelope growth arithmetic against the model's, for every segment it applies to.

    Empty when no segment has ``rate`` acquisition and constant monthly churn.
    """
    sc = result.scenario
    out: list[str] = []
    for seg in sc.segments:
        a = growth_arithmetic(seg)
        if a is None:
            continue
        paras = _arithmetic_paragraphs(a, len(sc.segments) > 1, t)
        if seg.health is not None:  # the arithmetic knows one churn rate; the states move it
            paras[-1] = fm.sentences(
                [
                    paras[-1],
                    t(
                        "This arithmetic uses the churn the scenario gives before the usage "
                        "states' multipliers; the figures on the first screen include the states, "
                        "so they differ."
                    ),
                ],
                t.lang,
            )
        out += paras
    return out


def retention_and_economics(result: SimulationResult, t: Translator) -> list[str]:
    """NRR and GRR at the horizon, unit economics against the 3:1 and 10:1 guidelines, the spread."""
    sc, lang, cur = result.scenario, t.lang, result.scenario.currency
    tm = result.horizon
    out = []
    if tm >= 12:
        nrr = np.nanmedian(result.get("nrr")[:, tm])
        grr = np.nanmedian(result.get("grr")[:, tm])
        ret = t(
            "Revenue retention over the 12 months to month {month}: median NRR {nrr}, GRR {grr}.",
            month=tm,
            nrr=fm.percent(nrr, lang),
            grr=fm.percent(grr, lang),
        )
        if np.isclose(nrr, grr):
            ret += t(" They are equal because no customer expands.")
        elif nrr > 1:
            ret += t(" Expansion more than replaces the revenue lost to churn and contraction.")
        out.append(ret)
    ue = result.unit_economics(month=tm, segment=TOTAL).set_index("kpi")["median"]
    parts = []
    if np.isfinite(ue["ltv_cac"]):
        x, ltv = fm.number(ue["ltv_cac"], lang, 1), fm.money(ue["ltv"], cur, lang)
        if ue["ltv_cac"] >= 3:
            parts.append(
                t(
                    "LTV:CAC is {x}:1 at the median, above the 3:1 guideline (LTV {ltv})",
                    x=x,
                    ltv=ltv,
                )
            )
        else:
            parts.append(
                t(
                    "LTV:CAC is {x}:1 at the median, below the 3:1 guideline (LTV {ltv})",
                    x=x,
                    ltv=ltv,
                )
            )
    if np.isfinite(ue["cac_payback"]):
        parts.append(t("CAC pays back in {months}", months=fm.months(ue["cac_payback"], lang, 1)))
    if np.isfinite(ue["arr_crc"]):
        x = fm.number(ue["arr_crc"], lang, 1)
        if ue["arr_crc"] >= 10:
            parts.append(t("ARR:CRC is {x}:1, above the 10:1 guideline", x=x))
        else:
            parts.append(t("ARR:CRC is {x}:1, below the 10:1 guideline", x=x))
    else:
        parts.append(t("ARR:CRC is not defined because the scenario has no customer-success costs"))
    out.append(t("Unit economics at month {month}: ", month=tm) + t("; ").join(parts) + t(". "))
    if sc.uncertain():
        out.append(
            t(
                "{n} parameters are uncertain and drawn once per future, so the spread combines "
                "what we do not know about the business with month-to-month chance.",
                n=len(sc.uncertain()),
            )
        )
    else:
        out.append(
            t(
                "Every parameter is a fixed number, so the spread between futures is chance alone "
                "(which customers churn, how many join): it is narrower than real uncertainty."
            )
        )
    return out


def executive_summary(
    result: SimulationResult, target_arr: float | None = None, lang: str | None = None
) -> list[str]:
    """Paragraphs of plain text summarising a result at its horizon, in ``lang`` (English default).

    Where ARR goes (median, the P10-P90 range in words, the chance it grows or reaches the target), the
    customers, the growth arithmetic (back-of-envelope against modelled), retention, unit economics
    against the 3:1 and 10:1 guidelines, and where the spread comes from.
    """
    t = translator(lang)
    h = result.headline()
    out = where_arr_goes(result, t, target_arr)
    out.append(
        t(
            "Customers: {start} at month 0, median {median} at month {month}.",
            start=fm.count(h["customers_start"], t.lang),
            median=fm.count(h["customers_median"], t.lang),
            month=h["month"],
        )
    )
    out += derivation(result, t)
    out += retention_and_economics(result, t)
    return out
