"""The report's tables as data frames of text: key figures, unit economics, assumptions in plain
words and the precision of the Monte Carlo figures (what the sections show and the tests read)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...model.distributions import _Dist
from ...model.metrics import METRICS
from ...model.result import TOTAL, SimulationResult
from ...model.scenario import Scenario
from ...words import formatting as fm
from ...words import labels
from ...words.i18n import N_, Translator

__all__ = [
    "assumptions_table",
    "describe_value",
    "kpi_table",
    "parameter_label",
    "precision_table",
    "unit_economics_table",
]

#: KPI names as the tables show them (the unit follows the value: ``¥352M``, ``3.0%``).
_KPI_LABELS = {
    "arr": N_("ARR"),
    "mrr": N_("MRR (a month)"),
    "customers": N_("Customers"),
    "nrr": N_("NRR (12 months)"),
    "grr": N_("GRR (12 months)"),
    "logo_churn_rate": N_("Churn (customers, a month)"),
    "net_new_mrr": N_("Net new MRR (a month)"),
    "arpa": N_("ARPA (a month)"),
    "ltv": N_("LTV"),
    "ltv_model": N_("LTV, model-consistent"),
    "lifetime_model": N_("Expected lifetime, discounted"),
    "ltv_cac": N_("LTV:CAC"),
    "cac_payback": N_("CAC payback"),
    "crc": N_("CRC (a month)"),
    "arr_crc": N_("ARR:CRC"),
    "p_arr_grows": N_("Chance ARR grows"),
    "p_arr_target": N_("Chance ARR reaches the target"),
}
_PERCENT = {"nrr", "grr", "logo_churn_rate", "gross_mrr_churn_rate", "net_mrr_churn_rate"}
_TIMES = {"ltv_cac", "arr_crc", "quick_ratio"}
#: how a KPI's unit (:data:`cssim.model.metrics.METRICS`) is written
_UNIT_KINDS = {"currency": "money", "customers": "count", "count": "count", "months": "months"}


def fmt(x: float, kpi: str, currency: str = "JPY", lang: str = "en") -> str:
    """A KPI value as a reader expects it: money compact (``¥352M`` / ``3.52億円``), percentages,
    ratios as ``3.3:1`` / ``3.3倍``, months; ``–`` where it is not defined."""
    if kpi.startswith("p_") or kpi in _PERCENT:
        kind = "percent"
    elif kpi in _TIMES:
        kind = "ratio"
    else:
        kind = _UNIT_KINDS.get(METRICS[kpi].unit, "number")
    return fm.format_value(x, kind, lang, currency, digits=1, missing="–")


def _no_cs_cost(scenario: Scenario, segment: str = TOTAL) -> bool:
    """The scenario gives no customer-success cost for ``segment`` (every segment for the total)."""
    segs = scenario.segments if segment == TOTAL else [scenario.segment(segment)]
    return all(s.cs is None for s in segs)


def _spread(row, currency: str, lang: str, no_cs: bool = False) -> str:
    k = row["kpi"]
    if k == "crc" and no_cs:
        return fm.not_set(lang)  # no CS cost is given: not 0円
    if k.startswith("p_"):
        return fmt(row["mean"], k, currency, lang)
    mid = fmt(row["median"], k, currency, lang)
    if not np.isfinite(row["median"]) or np.isclose(row["p10"], row["p90"]):
        return mid
    low, high = fmt(row["p10"], k, currency, lang), fmt(row["p90"], k, currency, lang)
    return fm.with_range(mid, low, high, lang)


def _kpi_label(kpi: str, label: str, t: Translator) -> str:
    return t(_KPI_LABELS[kpi]) if kpi in _KPI_LABELS else label


def kpi_table(
    result: SimulationResult,
    months: Sequence[int] | None = None,
    target_arr: float | None = None,
    lang: str | None = None,
) -> pd.DataFrame:
    """KPIs (rows) at 12, 24, 36 months or the horizon (columns): ``"median (P10 – P90)"`` strings.

    Probabilities show the share of paths.
    """
    t = Translator(lang or "en")
    s = result.summary(months=months, target_arr=target_arr)
    cur = result.scenario.currency
    s["KPI"] = [_kpi_label(k, lab, t) for k, lab in zip(s["kpi"], s["label"], strict=True)]
    s["text"] = s.apply(_spread, axis=1, args=(cur, t.lang, _no_cs_cost(result.scenario)))
    s["column"] = [t("Month {month}", month=m) for m in s["month"]]
    table = s.pivot_table(index="KPI", columns="column", values="text", aggfunc="first", sort=False)
    table.columns.name = None
    table.index.name = t("KPI")
    return table[[t("Month {month}", month=m) for m in result.kpi_months(months)]]


def unit_economics_table(
    result: SimulationResult, month: int | None = None, lang: str | None = None
) -> pd.DataFrame:
    """ARPA, LTV, LTV:CAC, CAC payback, CRC and ARR:CRC per segment at one month (horizon by default)."""
    t = Translator(lang or "en")
    ue = result.unit_economics(month=month)
    cur = result.scenario.currency
    ue["KPI"] = [_kpi_label(k, lab, t) for k, lab in zip(ue["kpi"], ue["label"], strict=True)]
    # the model-consistent LTV and lifetime read like the quoted LTV and CAC payback (money, months)
    like = ue["kpi"].replace({"ltv_model": "ltv", "lifetime_model": "cac_payback"})
    ue["text"] = [
        _spread(row, cur, t.lang, _no_cs_cost(result.scenario, row["segment"]))
        for _, row in ue.assign(kpi=like).iterrows()
    ]
    total = t("Total")
    ue["column"] = [total if s == TOTAL else s for s in ue["segment"]]
    table = ue.pivot_table(
        index="KPI", columns="column", values="text", aggfunc="first", sort=False
    )
    table.columns.name = None
    table.index.name = t("KPI")
    order = [total if s == TOTAL else s for s in dict.fromkeys(ue["segment"])]
    return table[order]


def parameter_label(path: str, scenario: Scenario, lang: str | None = None) -> str:
    """A parameter's human name from its field path: ``"SMB.churn.monthly"`` -> ``"SMB: Churn"``
    (the segment only when the scenario has several), ``解約率`` in Japanese
    (:func:`cssim.words.labels.parameter_label`)."""
    return labels.parameter_label(path, scenario, lang)


def _pct(x: float, lang: str) -> str:
    """A rate with one decimal, or two where one would hide a digit (``3.0%``, ``0.81%``)."""
    return fm.format_value(x, "percent", lang, digits="fit")


def describe_value(
    name: str,
    value: Any,
    t: Translator,
    currency: str = "JPY",
    scenario: Scenario | None = None,
    segment: str | None = None,
) -> str:
    """A parameter's value in plain words: ``3.0% a month``, or for a distribution ``3.0% a month at
    the median, 90% between 2.0% and 4.0%`` (its 5th and 95th percentiles).

    ``name`` is the field inside a segment (``churn.monthly``); its kind of value and period come
    from :data:`cssim.words.labels.PARAMETERS`.
    """
    found = labels.parameter_spec(name, scenario, segment)  # patterned fields too (usage states)
    p = found[0] if found else labels.Parameter(name, "number")

    def show(x: float, per: str | None = None) -> str:
        return fm.format_value(x, p.kind, t.lang, currency, digits="fit", per=per)

    if not isinstance(value, _Dist):
        return show(float(value), p.per)
    low, high = (float(value.ppf(q)) for q in (0.05, 0.95))
    return t(
        "{median} at the median, 90% between {low} and {high}",
        median=show(value.median(), p.per),
        low=show(low),
        high=show(high),
    )


def assumptions_table(scenario: Scenario, lang: str | None = None) -> pd.DataFrame:
    """Every parameter of every segment in plain words: a human name and its value or range."""
    t = Translator(lang or "en")
    rows = []
    uncertain = scenario.uncertain()  # jointly drawn parameters with their marginal ranges
    for path, v in scenario.parameters():
        v = uncertain.get(path, v)
        seg, name = labels.split_path(path, scenario)
        acq = scenario.segment(seg).acquisition
        if name in ("acquisition.growth", "acquisition.endurance") and acq.rate is not None:
            continue  # growth applies to count acquisition only
        if name == "acquisition.endurance" and (acq.endurance == 1.0 or acq.growth == 0.0):
            continue  # a growth that never fades, or no growth to fade: nothing to say
        if name == "churn.leaver_mrr" and scenario.segment(seg).churn.leaver_mrr == 1.0:
            continue  # churn blind to an account's size, the default: nothing to say
        # the full path, so a usage state or a CS response is named by its states, not its position
        label = labels.parameter_label(path, scenario, lang=t.lang, with_segment=False)
        rows.append((seg, label, describe_value(name, v, t, scenario.currency, scenario, seg)))
    return pd.DataFrame(rows, columns=[t("Segment"), t("Assumption"), t("Value")])


def precision_table(result: SimulationResult, lang: str | None = None) -> pd.DataFrame:
    """Headline figures at the horizon with their Monte Carlo standard errors."""
    t = Translator(lang or "en")
    lang = t.lang
    tm = result.horizon
    s = result.summary(months=[tm]).set_index("kpi")
    cur = result.scenario.currency
    rows = [
        (t("Median ARR, month {month}", month=tm), "arr", "median", "median_se"),
        (t("Mean ARR, month {month}", month=tm), "arr", "mean", "mc_se"),
        (t("Median customers, month {month}", month=tm), "customers", "median", "median_se"),
        (t("Chance ARR grows, month {month}", month=tm), "p_arr_grows", "mean", "mc_se"),
    ]
    cols = [t("Figure"), t("Estimate"), t("Standard error"), t("95% interval")]
    out = []
    for label, k, stat, se_col in rows:
        value, se = s.loc[k, stat], s.loc[k, se_col]
        if k.startswith("p_") and value in (0.0, 1.0):
            # no spread to estimate a standard error from: the rule of three bounds it instead
            bound = 3 / result.paths
            out.append(
                (
                    label,
                    fm.percent(value, lang, 0),
                    t("n/a"),
                    t("below {p} (rule of three)", p=fm.percent(bound, lang, 2))
                    if value == 0
                    else t("above {p} (rule of three)", p=fm.percent(1 - bound, lang, 2)),
                )
            )
            continue
        if k.startswith("p_"):
            show = functools.partial(fm.percent, lang=lang, digits=2)
        else:
            show = functools.partial(fmt, kpi=k, currency=cur, lang=lang)
        out.append((label, show(value), show(se), f"\u00b1{show(1.96 * se)}"))
    return pd.DataFrame(out, columns=cols)
