"""The expected path of a segment with usage states, by its own recursion (not the engine's code).

Each cohort (a starting tenure, or the customers who joined at the end of month s) carries a row vector
of expected customers by state ``x`` and of their MRR ``y``. Within month t, with ``h(tau)`` the
segment's hazard at the cohort's tenure and ``r`` the states' churn multipliers (docs/MODEL.md):

.. math::

    x_{t} = \\bigl(x_{t-1} \\circ (1 - \\min(1, r\\,h(\\tau)))\\bigr) P_t, \\qquad
    y_{t} = \\bigl(y_{t-1} \\circ (1 - \\min(1, r\\,h(\\tau))) \\circ (1 + e\\,u - \\delta)\\bigr) P_t,

``u`` the expansion multipliers, ``delta_s = p_d min(d v_s / p_d, 1)`` the expected contraction of state
``s`` (``v`` the contraction multipliers), ``P_t`` the transition matrix at the month's coverage; new
customers ``m C_{t-1}`` (rate acquisition) or a count's ``lambda_t`` (:mod:`cssim.model.count_trend`)
join as ``new x n_shares``. With constant hazard ``c`` and rate acquisition ``m`` this is MODEL.md's ``x_{t+1} = x_t (diag(1 - r c) P +
m 1 n)`` summed over cohorts.

It is exact wherever the coverage does not depend on the random customer count (no CS, accounts per
CSM, CSMs per account). With a fixed headcount the coverage ``CSMs x hours / customers`` is evaluated
at the expected customers: a first-order (plug-in) approximation of the engine's mean, said in
:func:`cssim.expected`'s documentation.
"""

from __future__ import annotations

import numpy as np

from .arrays import col
from .count_trend import CountTrend
from .coverage import HealthArrays
from .leaver_mrr import leaver_power, mrr_kept
from .segment import Segment
from .stored import STATE_STORED, STORED, state_key

__all__ = ["health_segment"]


def health_segment(seg: Segment, p: dict, H: int, q: int, hazard) -> tuple[dict, np.ndarray]:
    """Expected stored metrics of a health segment at ``q`` grid points: ``({key: (q, H + 1)},
    year_mrr (H + 1, years))``; ``hazard(tau)`` gives the segment's hazard ``(q, len(tau))``."""
    ha = HealthArrays.of(seg, p, q)
    S = ha.states
    lo, hi = seg.tenure_range
    n0c = hi - lo + 1
    C = n0c + H  # starting tenures, then the cohorts joined at the end of months 1..H
    x = np.zeros((q, C, S))
    y = np.zeros((q, C, S))
    start = np.rint(np.broadcast_to(np.asarray(p["customers"], float), (q,)))
    split = seg.starting_split(start)  # (tenures, q), whole customers as the engine splits them
    cum = np.rint(np.cumsum(ha.start, axis=0)[:, None, :] * split[None])  # (S, tenures, q)
    cum[-1] = split
    by_state = np.diff(cum, axis=0, prepend=0.0)
    x[:, :n0c] = by_state.transpose(2, 1, 0)
    arpa, new_arpa = col(p["arpa"], q), col(p["new_arpa"], q)
    factor = seg.starting_arpa_factors()
    y[:, :n0c] = x[:, :n0c] * (arpa[:, None] * factor[None, :])[:, :, None]
    rho = leaver_power(p, lambda v: col(v, q)[:, None, None])  # (q, cohorts, states)
    e = col(p.get("expansion.rate", 0.0), q)[:, None, None]
    d = col(p.get("contraction.rate", 0.0), q)
    pd_ = col(p.get("contraction.probability", 1.0), q)
    grow = 1.0 + e * ha.expansion.T[:, None, :]  # (q, 1, S)
    shrink = (pd_[:, None] * np.minimum(d[:, None] * ha.contraction.T / pd_[:, None], 1.0))[
        :, None, :
    ]
    ring = np.zeros((12, q, C, S))  # carried MRR of the last 12 months' snapshots
    ring[0] = y
    out = {k: np.zeros((q, H + 1)) for k in STORED}
    for name in ha.names:
        for k in STATE_STORED:
            out[state_key(k, name)] = np.zeros((q, H + 1))
    out["retained_mrr_12"][:, :12] = np.nan
    out["gross_retained_mrr_12"][:, :12] = np.nan
    _record(out, ha.names, 0, x, y, np.zeros((q, S)))
    years = (H + 11) // 12 + 1
    year = np.zeros((H + 1, years))
    year[0, 0] = y.sum()
    cohort_year = np.concatenate([np.zeros(n0c, int), (np.arange(1, H + 1) - 1) // 12 + 1])
    acq = seg.acquisition
    monthly = None if acq.rate is None else (1.0 + col(p["acquisition.rate"], q)) ** (1 / 12) - 1
    trend = (
        None
        if acq.rate is not None
        else CountTrend(
            col(p["acquisition.count"], q),
            col(p["acquisition.growth"], q),
            col(p["acquisition.endurance"], q),
            H,
        )
    )
    for t in range(1, H + 1):
        active = n0c + t - 1  # cohorts that have joined by the start of month t
        tau = np.concatenate([lo + np.arange(n0c) + t, t - np.arange(1, t)]).astype(float)
        start_customers = x[:, :active].sum((1, 2))
        keep = 1.0 - np.minimum(1.0, hazard(tau)[:, :, None] * ha.churn.T[:, None, :])
        churned = x[:, :active] * (1.0 - keep)
        x[:, :active] *= keep
        keep_mrr = keep if rho is None else mrr_kept(keep, rho)
        churned_mrr = y[:, :active] * (1.0 - keep_mrr)
        y[:, :active] *= keep_mrr
        ring[:, :, :active] *= keep_mrr[None]
        stayed_mrr = y[:, :active].copy()
        y[:, :active] *= grow - shrink
        ring[:, :, :active] *= (1.0 - shrink)[None]
        P = ha.matrix(ha.coverage(t, start_customers)).transpose(2, 0, 1)  # (q, S, S)
        x[:, :active] = np.einsum("qcs,qst->qct", x[:, :active], P)
        y[:, :active] = np.einsum("qcs,qst->qct", y[:, :active], P)
        ring[:, :, :active] = np.einsum("kqcs,qst->kqct", ring[:, :, :active], P)
        if monthly is not None:
            new = monthly * start_customers
        else:
            new = trend(t)
        x[:, active] = new[:, None] * ha.new.T
        y[:, active] = x[:, active] * new_arpa[:, None]
        ring[:, :, active] = 0.0
        out["new_customers"][:, t] = new
        out["churned_customers"][:, t] = churned.sum((1, 2))
        out["churned_mrr"][:, t] = churned_mrr.sum((1, 2))
        out["expansion_mrr"][:, t] = (stayed_mrr * e * ha.expansion.T[:, None, :]).sum((1, 2))
        out["contraction_mrr"][:, t] = (stayed_mrr * shrink).sum((1, 2))
        _record(out, ha.names, t, x, y, churned.sum(1))
        if t >= 12:
            old = n0c + t - 12  # cohorts active at month t - 12
            out["retained_mrr_12"][:, t] = y[:, :old].sum((1, 2))
            out["gross_retained_mrr_12"][:, t] = ring[t % 12][:, :old].sum((1, 2))
        ring[t % 12] = y
        year[t] = np.bincount(cohort_year, weights=y.sum((0, 2)), minlength=years)
    return out, year


def _record(out: dict, names: list[str], t: int, x, y, churned) -> None:
    out["customers"][:, t] = x.sum((1, 2))
    out["mrr"][:, t] = y.sum((1, 2))
    for s, name in enumerate(names):
        out[state_key("customers", name)][:, t] = x[:, :, s].sum(1)
        out[state_key("mrr", name)][:, t] = y[:, :, s].sum(1)
        out[state_key("churned_customers", name)][:, t] = churned[:, s]
