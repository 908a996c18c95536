"""History: monthly metrics from a clean billing table (MRR movements, logo churn, NRR, GRR, cohorts).

:func:`build_history` turns the output of :func:`~cssim.data.reading.read_data` into a
:class:`BillingHistory`: the monthly movements table and the cohorts the retention fits use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..words.i18n import N_
from .reading import parse_month

#: The definition each history column uses, where billing tools differ (the history names its choice and
#: carries the alternatives beside it).
METRIC_DEFINITIONS = {
    "logo_churn": N_("churned customers in the month / customers at the end of the month before"),
    "logo_churn_12m": N_(
        "churned customers over 12 months / sum of the 12 monthly starting customer counts "
        "(the trailing average monthly churn CS teams report)"
    ),
    "logo_churn_12m_cohort": N_(
        "share of the customers active 12 months ago who are not active now "
        "(annual logo churn of a trailing cohort; reactivated customers count as retained)"
    ),
    "nrr_12m": N_(
        "MRR now of the customers active 12 months ago / their MRR then (trailing cohort)"
    ),
    "grr_12m": N_(
        "the same cohort's MRR then x the product of its monthly gross factors min(1, MRR / MRR "
        "the month before): every contraction counts, as the engine computes GRR (used by cssim)"
    ),
    "grr_12m_capped": N_(
        "sum over the customers active 12 months ago of min(MRR now, MRR then) / their MRR "
        "then: capped per account, so a dip that recovers within the year does not count"
    ),
}

__all__ = ["METRIC_DEFINITIONS", "BillingHistory", "build_history", "cohort_table", "movements"]


@dataclass
class BillingHistory:
    """The common view of either kind of input."""

    months: list  # calendar labels, month 0 first
    customers: np.ndarray  # active customers at the end of each month
    new: np.ndarray  # new customers per month (NaN at month 0)
    cohorts: list  # (label, start index, active counts) for the retention fits
    M: np.ndarray | None = None  # MRR matrix customers x months (MRR input only)


def _wide(clean: pd.DataFrame) -> tuple[np.ndarray, list, list]:
    first, last = clean["month"].min(), clean["month"].max()
    months = list(pd.period_range(first, last, freq="M"))
    index = {m: i for i, m in enumerate(months)}
    ids = sorted(clean["customer"].unique())
    row = {c: i for i, c in enumerate(ids)}
    M = np.zeros((len(ids), len(months)))
    M[clean["customer"].map(row).to_numpy(), clean["month"].map(index).to_numpy()] = clean[
        "mrr"
    ].to_numpy()
    return M, months, ids


def movements(M: np.ndarray, months: list) -> pd.DataFrame:
    """Monthly MRR movements (ChartMogul's definitions) and retention KPIs from an MRR matrix.

    For a customer with MRR ``prev`` last month and ``cur`` this month: new (0 -> >0, never active before),
    reactivation (0 -> >0, active before), churn (>0 -> 0, the churned MRR is ``prev``), expansion
    (``cur > prev > 0``) and contraction (``prev > cur > 0``). Month 0 is the opening balance (no
    movements). ``mrr[t] = mrr[t-1] + new + reactivation + expansion - contraction - churned``.

    NRR at month t: MRR now of the customers active at t - 12 over their MRR then. GRR: the same customers'
    MRR at t - 12 times the product of their monthly gross factors ``min(1, cur / prev)`` (churn and
    contraction only, 0 once churned), as the engine computes it.
    """
    T = M.shape[1]
    prev, cur = M[:, :-1], M[:, 1:]
    seen = np.maximum.accumulate(M > 0, axis=1)[:, :-1]  # active at or before t-1
    new = (prev == 0) & (cur > 0) & ~seen
    react = (prev == 0) & (cur > 0) & seen
    churn = (prev > 0) & (cur == 0)
    stay = (prev > 0) & (cur > 0)
    exp = stay & (cur > prev)
    con = stay & (cur < prev)
    nan = np.array([np.nan])

    def col(x):
        return np.concatenate([nan, x])

    out = pd.DataFrame(
        {
            "month": [str(m) for m in months],
            "customers": (M > 0).sum(0),
            "mrr": M.sum(0),
            "new_customers": col(new.sum(0)),
            "reactivated_customers": col(react.sum(0)),
            "churned_customers": col(churn.sum(0)),
            "expanding_customers": col(exp.sum(0)),
            "contracting_customers": col(con.sum(0)),
            "staying_customers": col(stay.sum(0)),
            "new_mrr": col(np.where(new, cur, 0).sum(0)),
            "reactivation_mrr": col(np.where(react, cur, 0).sum(0)),
            "expansion_mrr": col(np.where(exp, cur - prev, 0).sum(0)),
            "contraction_mrr": col(np.where(con, prev - cur, 0).sum(0)),
            "churned_mrr": col(np.where(churn, prev, 0).sum(0)),
            "staying_start_mrr": col(np.where(stay, prev, 0).sum(0)),
        }
    )
    out["net_new_mrr"] = (
        out["new_mrr"]
        + out["reactivation_mrr"]
        + out["expansion_mrr"]
        - out["contraction_mrr"]
        - out["churned_mrr"]
    )
    start = out["customers"].shift(1)
    out["logo_churn"] = out["churned_customers"] / start.where(start > 0)
    churned12 = out["churned_customers"].rolling(12, min_periods=12).sum()
    out["logo_churn_12m"] = churned12 / start.rolling(12, min_periods=12).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        gross = np.where(prev > 0, np.minimum(cur / np.where(prev > 0, prev, 1), 1.0), 0.0)
    nrr = np.full(T, np.nan)
    grr = np.full(T, np.nan)
    for t in range(12, T):
        base = M[:, t - 12] > 0
        denom = M[base, t - 12].sum()
        if denom > 0:
            nrr[t] = M[base, t].sum() / denom
            grr[t] = (M[base, t - 12] * gross[base, t - 12 : t].prod(axis=1)).sum() / denom
    capped = np.full(T, np.nan)
    logo12 = np.full(T, np.nan)
    for t in range(12, T):
        base = M[:, t - 12] > 0
        denom = M[base, t - 12].sum()
        if denom > 0:
            capped[t] = np.minimum(M[base, t], M[base, t - 12]).sum() / denom
            logo12[t] = 1.0 - (M[base, t] > 0).sum() / base.sum()
    out["nrr_12m"] = nrr
    out["grr_12m"] = grr
    out["grr_12m_capped"] = capped
    out["logo_churn_12m_cohort"] = logo12
    return out.set_index("month")


def _first_spells(M: np.ndarray) -> list:
    """Cohorts by first active month (the opening base, active in month 0, excluded: tenure unknown).

    Each customer's first spell runs until the first month with no MRR; later reactivations are not part
    of it (the retention models have no return).
    """
    T = M.shape[1]
    active = M > 0
    first = np.where(active.any(1), active.argmax(1), -1)
    out = []
    for s in range(1, T):
        who = np.flatnonzero(first == s)
        if len(who) == 0:
            continue
        run = np.cumprod(active[who, s:], axis=1)  # still active continuously since joining
        out.append((s, run.sum(0).astype(float)))
    return out


def cohort_table(cohorts: list, months: list) -> pd.DataFrame:
    width = max((len(a) for _, _, a in cohorts), default=1)
    table = pd.DataFrame(np.nan, index=[lab for lab, _, _ in cohorts], columns=range(width))
    for lab, _, a in cohorts:
        table.loc[lab, : len(a) - 1] = a / a[0] if a[0] > 0 else np.nan
    table.index.name = "cohort"
    table.columns.name = "tenure"
    table.insert(0, "size", [a[0] for _, _, a in cohorts])
    return table


def _from_mrr(clean: pd.DataFrame) -> tuple[BillingHistory, pd.DataFrame]:
    M, months, _ = _wide(clean)
    history = movements(M, months)
    cohorts = [(str(months[s]), s, a) for s, a in _first_spells(M)]
    data = BillingHistory(
        months=months,
        customers=history["customers"].to_numpy(float),
        new=history["new_customers"].to_numpy(float),
        cohorts=cohorts,
        M=M,
    )
    return data, history


def _from_cohorts(clean: pd.DataFrame) -> tuple[BillingHistory, pd.DataFrame]:
    labels = list(dict.fromkeys(clean["cohort"]))
    parsed = [parse_month(x) for x in labels]
    if all(p is not None for p in parsed):
        order = sorted(range(len(labels)), key=lambda i: parsed[i])
        first = min(parsed)
        starts = {labels[i]: (parsed[i] - first).n for i in order}
        months = list(
            pd.period_range(
                first,
                max(parsed[i] + int(clean[clean.cohort == labels[i]].period.max()) for i in order),
                freq="M",
            )
        )
        names = [str(m) for m in months]
    else:
        order = list(range(len(labels)))
        starts = {labels[i]: k for k, i in enumerate(order)}
        width = max(starts[c] + int(g.period.max()) for c, g in clean.groupby("cohort"))
        names = [f"period {k}" for k in range(width + 1)]
        months = names
    cohorts = []
    for i in order:
        g = clean[clean.cohort == labels[i]].sort_values("period")
        cohorts.append((labels[i], starts[labels[i]], g["active"].to_numpy(float)))
    T = len(months)
    customers = np.zeros(T)
    new = np.full(T, np.nan)
    new[1:] = 0.0
    churned = np.full(T, np.nan)
    churned[1:] = 0.0
    for _, s, a in cohorts:
        customers[s : s + len(a)] += a
        if s >= 1:
            new[s] += a[0]
        for k in range(1, len(a)):
            churned[s + k] += a[k - 1] - a[k]
    history = pd.DataFrame(
        {"month": names, "customers": customers, "new_customers": new, "churned_customers": churned}
    ).set_index("month")
    start = history["customers"].shift(1)
    history["logo_churn"] = history["churned_customers"] / start.where(start > 0)
    # a cohort table gives every cohort's start, so all cohorts are usable for the retention fits
    return BillingHistory(months=months, customers=customers, new=new, cohorts=cohorts), history


def build_history(clean: pd.DataFrame, kind: str) -> tuple[BillingHistory, pd.DataFrame]:
    """The common view of a clean table (``kind`` ``"mrr"`` or ``"cohort"``) and its monthly history."""
    return _from_mrr(clean) if kind == "mrr" else _from_cohorts(clean)
