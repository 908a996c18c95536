"""SaaS metrics derived from the engine's stored arrays (definitions from MODEL.md).

Every function takes a mapping of stored arrays of shape (paths, months + 1) plus the per-path parameters
and returns an array of the same shape. Month 0 is the starting state; flows and rates there are 0 or NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._lazy import LazyModule

# numpy loads when a metric is first computed: the command line lists metric names without it
np = LazyModule("numpy")

__all__ = ["HEALTH_METRICS", "METRICS", "STATE_METRICS", "Metric"]


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    unit: str  # "currency", "customers", "ratio", "months", "count", "hours"
    description: str


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("customers", "Customers", "customers", "active customers at the end of the month"),
        Metric(
            "new_customers", "New customers", "customers", "customers who joined during the month"
        ),
        Metric(
            "churned_customers",
            "Churned customers",
            "customers",
            "customers who left during the month",
        ),
        Metric("mrr", "MRR", "currency", "monthly recurring revenue at the end of the month"),
        Metric("arr", "ARR", "currency", "annual recurring revenue, 12 x MRR"),
        Metric("arpa", "ARPA", "currency", "MRR per account, MRR / customers"),
        Metric("new_mrr", "New MRR", "currency", "MRR of customers who joined in the month"),
        Metric("expansion_mrr", "Expansion MRR", "currency", "MRR added by customers who stayed"),
        Metric(
            "contraction_mrr", "Contraction MRR", "currency", "MRR lost by customers who stayed"
        ),
        Metric("churned_mrr", "Churned MRR", "currency", "MRR of customers who left"),
        Metric(
            "net_new_mrr", "Net new MRR", "currency", "new + expansion - contraction - churned MRR"
        ),
        Metric(
            "logo_churn_rate",
            "Logo churn",
            "ratio",
            "churned / customers at the start of the month",
        ),
        Metric(
            "gross_mrr_churn_rate",
            "Gross MRR churn",
            "ratio",
            "(churned + contraction MRR) / MRR at the start of the month",
        ),
        Metric(
            "net_mrr_churn_rate",
            "Net MRR churn",
            "ratio",
            "(churned + contraction - expansion MRR) / MRR at the start of the month",
        ),
        Metric(
            "nrr",
            "NRR (12 months)",
            "ratio",
            "MRR now of the customers active 12 months ago / their MRR then",
        ),
        Metric(
            "grr",
            "GRR (12 months)",
            "ratio",
            "as NRR, without expansion: churn and contraction only",
        ),
        Metric(
            "quick_ratio",
            "SaaS quick ratio",
            "ratio",
            "(new + expansion MRR) / (churned + contraction MRR)",
        ),
        Metric("gross_profit", "Gross profit", "currency", "MRR x gross margin, per month"),
        Metric("cac_spend", "Acquisition spend", "currency", "new customers x CAC, per month"),
        Metric("csms", "CSMs", "count", "customer-success managers the book of accounts needs"),
        Metric("crc", "CRC", "currency", "customer-retention cost per month: CS people + CS tools"),
        Metric("arr_crc", "ARR:CRC", "ratio", "ARR / (12 x CRC); 10:1 is the guideline"),
        Metric(
            "ltv",
            "LTV",
            "currency",
            "ARPA x gross margin / monthly churn (trailing 12-month average logo churn)",
        ),
        Metric("cac_payback", "CAC payback", "months", "CAC / (ARPA x gross margin)"),
        Metric("ltv_cac", "LTV:CAC", "ratio", "LTV / CAC"),
        Metric(
            "cs_coverage",
            "CS coverage",
            "hours",
            "CS hours per account in the month: CSMs x hours per CSM / customers at its start",
        ),
        Metric(
            "customers_at_risk",
            "Customers at risk",
            "customers",
            "customers in the usage states other than the healthiest (usage states only)",
        ),
        Metric(
            "mrr_at_risk",
            "MRR at risk",
            "currency",
            "MRR of the customers in the at-risk usage states (usage states only)",
        ),
        Metric("arr_at_risk", "ARR at risk", "currency", "12 x MRR at risk (usage states only)"),
        Metric(
            "arr_at_risk_share",
            "Share of ARR at risk",
            "ratio",
            "ARR at risk / ARR (usage states only)",
        ),
    ]
}

#: Metrics a segment with usage states has per state, as ``metric@state`` (``customers@dormant``).
STATE_METRICS = ("customers", "mrr", "arr", "churned_customers", "logo_churn_rate")
#: Metrics defined only where a segment has usage states (NaN elsewhere).
HEALTH_METRICS = ("customers_at_risk", "mrr_at_risk", "arr_at_risk", "arr_at_risk_share")


def _shift(a: np.ndarray, k: int) -> np.ndarray:
    """a[:, t - k] aligned at t (NaN where t < k)."""
    out = np.full(a.shape, np.nan)
    out[:, k:] = a[:, :-k]
    return out


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)


def trailing_sum(a: np.ndarray, window: int = 12) -> np.ndarray:
    """Sum over months t - window + 1 .. t (fewer at the start), month 0 excluded."""
    c = np.cumsum(np.nan_to_num(a[:, 1:], nan=0.0), axis=1, dtype=np.float64)
    out = np.zeros(a.shape)
    out[:, 1:] = c
    out[:, window + 1 :] -= c[:, : c.shape[1] - window]
    return out


def trailing_churn(churned: np.ndarray, customers: np.ndarray, window: int = 12) -> np.ndarray:
    """Average monthly logo churn over the trailing window (the KPI CS teams report).

    ``sum(churned) / sum(customers at start)`` over months t - 11 .. t; NaN at month 0.
    """
    start = np.zeros(customers.shape)
    start[:, 1:] = customers[:, :-1]
    out = ratio(trailing_sum(churned, window), trailing_sum(start, window))
    out[:, 0] = np.nan
    return out
