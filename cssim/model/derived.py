"""Metrics derived from a result's stored arrays, by name (definitions in docs/MODEL.md and
:data:`~cssim.model.metrics.METRICS`): what :meth:`SimulationResult.get` computes and caches.

``derive(result, metric, segment)`` reads the result's stored per-path arrays (``result._base``) and
drawn parameters (``result._param``); the total of a flow or a stock is the sum over segments, of a ratio
the ratio of the sums. With usage states (``health:``) a segment also has per-state metrics
(``customers@dormant``: :data:`~cssim.model.metrics.STATE_METRICS`) and the at-risk metrics (customers,
MRR and ARR in every state but the healthiest, the lowest churn multiplier), and any segment with a
``cs:`` block its CS coverage in hours per account a month.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .coverage import csms_at
from .health import HOURS_PER_CSM
from .metrics import (
    HEALTH_METRICS,
    METRICS,
    STATE_METRICS,
    _shift,
    ratio,
    trailing_churn,
    trailing_sum,
)
from .stored import STORED, state_key

if TYPE_CHECKING:  # pragma: no cover
    from .result import SimulationResult

__all__ = ["check_metric", "derive"]

TOTAL = "total"


def check_metric(metric: str, states: list[str]) -> None:
    """Raise ``KeyError`` naming what is allowed unless ``metric`` is a metric (or a state's metric)."""
    if "@" in metric:
        base, _, state = metric.partition("@")
        if base not in STATE_METRICS:
            raise KeyError(
                f"unknown metric {metric!r}; by state: {', '.join(STATE_METRICS)} (e.g. customers@{state})"
            )
        if state not in states:
            raise KeyError(
                f"no usage state {state!r} here; states: {', '.join(states) or 'none (no health:)'}"
            )
    elif metric not in METRICS and metric not in STORED:
        raise KeyError(f"unknown metric {metric!r}; metrics: {', '.join(METRICS)}")


def derive(r: SimulationResult, metric: str, seg: str) -> np.ndarray:
    """``metric`` of segment ``seg`` (or ``"total"``) over paths and months, ``(paths, months + 1)``."""
    g = r.get
    if metric in STORED:
        return r._base(metric, seg)
    if "@" in metric:
        return _by_state(r, metric, seg)
    if metric in HEALTH_METRICS:
        return _at_risk(r, metric, seg)
    if metric == "arr":
        return 12.0 * g("mrr", seg)
    if metric == "arpa":
        return ratio(g("mrr", seg), g("customers", seg))
    if metric == "new_mrr":
        if seg == TOTAL:
            return _per_segment_sum(r, lambda s: g("new_mrr", s))
        return r._base("new_customers", seg) * r._param(seg, "new_arpa")
    if metric == "net_new_mrr":
        return (
            g("new_mrr", seg)
            + g("expansion_mrr", seg)
            - g("contraction_mrr", seg)
            - g("churned_mrr", seg)
        )
    if metric == "logo_churn_rate":
        return ratio(g("churned_customers", seg), _shift(g("customers", seg), 1))
    if metric == "gross_mrr_churn_rate":
        return ratio(g("churned_mrr", seg) + g("contraction_mrr", seg), _shift(g("mrr", seg), 1))
    if metric == "net_mrr_churn_rate":
        return ratio(
            g("churned_mrr", seg) + g("contraction_mrr", seg) - g("expansion_mrr", seg),
            _shift(g("mrr", seg), 1),
        )
    if metric == "nrr":
        return ratio(r._base("retained_mrr_12", seg), _shift(g("mrr", seg), 12))
    if metric == "grr":
        return ratio(r._base("gross_retained_mrr_12", seg), _shift(g("mrr", seg), 12))
    if metric == "quick_ratio":
        return ratio(
            g("new_mrr", seg) + g("expansion_mrr", seg),
            g("churned_mrr", seg) + g("contraction_mrr", seg),
        )
    if seg == TOTAL and metric in ("gross_profit", "cac_spend", "csms", "crc"):
        return _per_segment_sum(r, lambda s: g(metric, s))
    if metric == "gross_profit":
        return g("mrr", seg) * r._param(seg, "gross_margin", 0.8)
    if metric == "cac_spend":
        return g("new_customers", seg) * r._param(seg, "cac")
    if metric == "csms":
        return _csms(r, seg)
    if metric == "cs_coverage":
        return _coverage(r, seg)
    if metric == "crc":
        if r.scenario.segment(seg).cs is None:
            return np.zeros((r.paths, r.horizon + 1))
        return (
            g("csms", seg) * r._param(seg, "cs.csm_cost")
            + r._param(seg, "cs.tools")
            + g("customers", seg) * r._param(seg, "cs.tools_per_account")
        )
    if metric == "arr_crc":
        return ratio(g("arr", seg), 12.0 * g("crc", seg))
    margin = ratio(g("gross_profit", seg), g("mrr", seg))
    if metric == "ltv":
        churn = trailing_churn(g("churned_customers", seg), g("customers", seg))
        return ratio(g("arpa", seg) * margin, churn)
    cac = _blended_cac(r, seg)
    if metric == "cac_payback":  # undefined without a CAC: there is nothing to pay back
        return np.where(cac > 0, ratio(cac, g("arpa", seg) * margin), np.nan)
    if metric == "ltv_cac":
        return ratio(g("ltv", seg), cac)
    raise KeyError(metric)  # pragma: no cover - METRICS and this method list the same names


def _per_segment_sum(r: SimulationResult, fn) -> np.ndarray:
    return sum(fn(s) for s in r.segments)


def _blended_cac(r, seg: str) -> np.ndarray:
    """CAC per new customer over the trailing 12 months (the scenario's CAC if none joined)."""
    spend = trailing_sum(r.get("cac_spend", seg))
    new = trailing_sum(r.get("new_customers", seg))
    cac = ratio(spend, new)
    if seg != TOTAL:
        cac = np.where(np.isnan(cac), r._param(seg, "cac"), cac)
    return cac


def _by_state(r: SimulationResult, metric: str, seg: str) -> np.ndarray:
    """One state's customers, MRR, ARR, churned customers or logo churn (stored per state)."""
    base, _, state = metric.partition("@")
    g = r.get
    if base == "arr":
        return 12.0 * g(state_key("mrr", state), seg)
    if base == "logo_churn_rate":
        return ratio(
            g(state_key("churned_customers", state), seg),
            _shift(g(state_key("customers", state), seg), 1),
        )
    return r._base(metric, seg)


def _at_risk(r: SimulationResult, metric: str, seg: str) -> np.ndarray:
    """Customers, MRR or ARR in the at-risk states, or ARR's share there; NaN without usage states."""
    g = r.get
    if metric == "arr_at_risk":
        return 12.0 * g("mrr_at_risk", seg)
    if metric == "arr_at_risk_share":
        return ratio(g("arr_at_risk", seg), g("arr", seg))
    base = metric.removesuffix("_at_risk")
    segs = r.scenario.segments if seg == TOTAL else [r.scenario.segment(seg)]
    out = None
    for s in segs:
        if s.health is None:
            continue
        for state in s.health.at_risk_states():
            part = r._base(state_key(base, state), s.name)
            out = part if out is None else out + part
    return np.full((r.paths, r.horizon + 1), np.nan) if out is None else out


def _csms(r: SimulationResult, seg: str) -> np.ndarray:
    """CSMs a month: customers / accounts per CSM, customers x CSMs per account, or the headcount."""
    cs = r.scenario.segment(seg).cs
    customers = r.get("customers", seg)
    if cs is None:
        return np.zeros_like(customers)
    if cs.accounts_per_csm is not None:
        return customers / r._param(seg, "cs.accounts_per_csm", 1.0)
    if cs.csm_per_account is not None:
        return customers * r._param(seg, "cs.csm_per_account")
    if cs.csms is not None:
        params = {k: v for k, v in r._params[seg].items() if k.startswith("cs.")}
        return np.stack(
            [csms_at(r.scenario.segment(seg), params, t, r.paths) for t in r.months], axis=1
        )
    return np.zeros_like(customers)


def _coverage(r: SimulationResult, seg: str) -> np.ndarray:
    """CS hours per account in month t: ``CSMs_t x hours_per_csm / customers at its start`` (month 0:
    today's customers); the total is all segments' CS hours over all their customers."""
    segs = r.segments if seg == TOTAL else [seg]
    hours = np.zeros((r.paths, r.horizon + 1))
    for s in segs:
        if r.scenario.segment(s).cs is None:
            continue
        csm_hours = r._param(s, "cs.hours_per_csm", HOURS_PER_CSM)
        if r.scenario.segment(s).cs.accounts_per_csm is not None or (
            r.scenario.segment(s).cs.csm_per_account is not None
        ):
            # the team follows the customers at the start of each month
            per = (
                1.0 / r._param(s, "cs.accounts_per_csm", 1.0)
                if r.scenario.segment(s).cs.accounts_per_csm is not None
                else r._param(s, "cs.csm_per_account")
            )
            hours = hours + csm_hours * per * _start(r.get("customers", s))
        else:
            hours = hours + csm_hours * r.get("csms", s)
    start = _start(r.get("customers", seg))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(start > 0, hours / np.where(start > 0, start, 1.0), np.nan)


def _start(customers: np.ndarray) -> np.ndarray:
    """Customers at the start of each month (month 0: today's)."""
    out = customers.copy()
    out[:, 1:] = customers[:, :-1]
    return out
