"""One segment's customers in cohort buckets, month by month, vectorised over paths (the engine's core).

Columns follow the segment's :mod:`~cssim.model.layout`; within month t (docs/MODEL.md):

1. churn: ``churned_c ~ Binomial(n_c, h_c(tau))`` with the hazard of the column's tenure ``tau``; a
   column's churned MRR is its MRR times ``churned_c / n_c``, times ``w(h)`` where leavers are smaller
   or larger than the average (:mod:`~cssim.model.leaver_mrr`);
2. expansion and contraction: ``K ~ Binomial(stayed_c, probability)`` accounts move by
   ``rate / probability`` of the column's average MRR, so the expected move is ``rate`` x stayed MRR;
3. acquisition: ``new ~ Poisson(lambda_t)`` join at the end of the month at the new-customer ARPA.

In "expected" mode (:class:`Expectation`) every draw is replaced by its expectation.
"""

from __future__ import annotations

import numpy as np

from .arrays import col, divide, prow
from .count_trend import CountTrend
from .layout import _width, layout
from .leaver_mrr import leaver_power, split_mrr
from .stored import STORED

__all__ = ["Buckets", "Expectation"]


class Expectation:
    """Every draw replaced by its expectation: the expected path, exactly."""

    expected = True

    def binomial(self, n, p, purpose, plan=None):
        return n * p

    def poisson(self, lam, purpose):
        return lam


class Buckets:
    """One segment's state for a set of paths and the columns of its :class:`_Layout`.

    Arrays are laid out columns by paths, ``(columns, paths)``, so that a column is contiguous. Per
    column: customers ``n``, MRR ``m``, the gross-retention factor ``G`` accumulated since the column was
    last (re)started, and a ring of 12 snapshots ``m / G`` (the MRR of month t - j carried to now by gross
    retention alone is ``ring[(t - j) % 12] G``). Merging a column into a bucket adds its customers, its
    MRR and its carried MRR at each of the 12 lags, and restarts the bucket's ``G`` at 1.
    """

    def __init__(self, segment, params, horizon, paths, draws, row_starts=None):
        self.segment, self.params, self.horizon, self.paths, self.draws = (
            segment,
            params,
            horizon,
            paths,
            draws,
        )
        self.layout = L = layout(segment, horizon)
        # first path of each randomness block, for the per-block layer cake
        self.row_starts = np.asarray([0] if row_starts is None else row_starts, dtype=np.intp)
        U = L.width
        dtype = np.float64 if draws.expected else np.int64
        p = params
        self.n = np.zeros((U, paths), dtype=dtype)
        self.m = np.zeros((U, paths))
        self.G = np.ones((U, paths))
        n0c = L.n0c
        s0 = slice(L.start(0), L.start(0) + n0c)  # the starting cohorts
        start = col(p["customers"], paths)
        if not draws.expected:
            start = np.rint(start).astype(np.int64)
        self.n[s0] = segment.starting_split(start, draws.expected)
        self.m[s0] = (
            self.n[s0] * col(p["arpa"], paths)[None, :] * segment.starting_arpa_factors()[:, None]
        )
        # Without expansion or contraction an account's MRR never changes, so the MRR of last year's
        # customers carried by gross retention is their MRR now: GRR's numerator is NRR's, no ring needed.
        self.gross = bool(np.any(prow(p.get("expansion.rate", 0.0)) > 0)) or bool(
            np.any(prow(p.get("contraction.rate", 0.0)) > 0)
        )
        self.ring = np.zeros((12, U, paths)) if self.gross else None
        if self.gross:
            self.ring[0] = self.m
        # outputs month by month, (months + 1, paths): each month's row is contiguous
        shape = (horizon + 1, paths)
        self.out = {k: np.zeros(shape) for k in STORED}
        self.out["retained_mrr_12"][:12] = np.nan
        self.out["gross_retained_mrr_12"][:12] = np.nan
        self.customers = self.n.sum(0)
        self.out["customers"][0] = self.customers
        self.out["mrr"][0] = self.m.sum(0)
        self.year_mrr = np.zeros((len(self.row_starts), horizon + 1, L.years))
        self.year_mrr[:, 0, 0] = np.add.reduceat(self.out["mrr"][0], self.row_starts)
        self.exp_rate = prow(p.get("expansion.rate", 0.0))
        self.exp_prob = prow(p.get("expansion.probability", 1.0))
        self.con_rate = prow(p.get("contraction.rate", 0.0))
        self.con_prob = prow(p.get("contraction.probability", 1.0))
        self.exp_uplift = self.exp_rate / self.exp_prob
        self.con_uplift = np.minimum(self.con_rate / self.con_prob, 1.0)
        self.has_exp = bool(np.any(self.exp_rate > 0))
        self.has_con = bool(np.any(self.con_rate > 0))
        acq = segment.acquisition
        if acq.rate is not None:
            self.monthly_rate = (1.0 + col(p["acquisition.rate"], paths)) ** (1.0 / 12.0) - 1.0
        else:
            self.monthly_rate = None
            self.trend = CountTrend(
                col(p["acquisition.count"], paths),
                col(p["acquisition.growth"], paths),
                col(p["acquisition.endurance"], paths),
                horizon,
            )
        self.new_arpa = col(p["new_arpa"], paths)
        self.rho = leaver_power(p)

    def hazard(self, tau: np.ndarray):
        """Churn probability of the drawn columns, of tenure ``tau`` this month (broadcasts to them)."""
        p = self.params
        kind = self.layout.kind
        if kind == "monthly":
            h = prow(p["churn.monthly"])
        elif kind == "sbg":
            a = prow(p["churn.heterogeneity.alpha"])
            b = prow(p["churn.heterogeneity.beta"])
            h = a / (a + b + tau[:, None] - 1.0)
        else:  # only columns at a renewal are drawn
            h = prow(p["churn.annual_renewal"])
        k = self.layout.onboarding
        if k and tau.size and tau.min() <= k:
            h = np.where(tau[:, None] <= k, prow(p["churn.onboarding.monthly"]), h)
        return h

    def merge(self, src: int, dst: int) -> None:
        """Add column ``src`` into bucket ``dst`` and empty it."""
        n, m, G, ring = self.n, self.m, self.G, self.ring
        if self.gross:
            ring[:, dst] *= G[dst]
            ring[:, dst] += ring[:, src] * G[src]
            G[dst] = 1.0
            G[src] = 1.0
            ring[:, src] = 0.0
        n[dst] += n[src]
        m[dst] += m[src]
        n[src] = 0
        m[src] = 0.0

    def metrics(self, rows: slice) -> dict[str, np.ndarray]:
        """The stored metrics of paths ``rows``, each (paths, months + 1)."""
        return {k: np.ascontiguousarray(v[:, rows].T) for k, v in self.out.items()}

    def step(self, t: int) -> None:
        mo = self.layout.months[t]
        for src, dst in mo.merges:
            self.merge(src, dst)
        n, m, G = self.n, self.m, self.G
        d = self.draws
        o = self.out
        start_customers = self.customers
        # 1. churn, on the columns that can churn this month
        r = mo.risk
        if _width(r):
            n_r = n[r]
            h = self.hazard(mo.tau)
            churned = d.binomial(n_r, h, "churn", mo.risk_plan)
            frac = divide(churned, n_r)
            m_r = m[r]
            n[r] = n_r - churned
            churned_mrr, kept = split_mrr(m_r, frac, h, n[r], self.rho)
            m[r] = m_r - churned_mrr
            if self.gross:
                G[r] *= kept
            churned_total = churned.sum(0)
            churned_mrr_total = churned_mrr.sum(0)
        else:
            churned_total = np.zeros(self.paths, dtype=n.dtype)
            churned_mrr_total = 0.0
        # 2. expansion and contraction of the customers who stayed
        exp_mrr = con_mrr = 0.0
        if self.has_exp or self.has_con:
            v = mo.live
            stay = n[v]
            m_v = m[v]
            avg = divide(m_v, stay)
            m_stay = m_v.copy() if self.has_con else m_v
            if self.has_exp:
                movers = d.binomial(stay, self.exp_prob, "expansion", mo.live_plan)
                exp_c = movers * avg * self.exp_uplift
                m_v = m_v + exp_c
                exp_mrr = exp_c.sum(0)
            if self.has_con:
                movers = d.binomial(stay, self.con_prob, "contraction", mo.live_plan)
                con_c = movers * avg * self.con_uplift
                m_v = m_v - con_c
                con_mrr = con_c.sum(0)
                G[v] *= 1.0 - divide(con_c, m_stay)
            m[v] = m_v
        # 3. acquisition at the end of the month
        if self.monthly_rate is not None:
            lam = self.monthly_rate * start_customers
        else:
            lam = self.trend(t)
        new = d.poisson(lam, "acquisition")
        c = mo.new_slot
        n[c] = new
        m[c] = new * self.new_arpa
        self.customers = start_customers - churned_total + new
        o["new_customers"][t] = new
        o["churned_customers"][t] = churned_total
        o["churned_mrr"][t] = churned_mrr_total
        o["expansion_mrr"][t] = exp_mrr
        o["contraction_mrr"][t] = con_mrr
        o["customers"][t] = self.customers
        o["mrr"][t] = m.sum(0)
        if t >= 12:
            old = mo.old
            o["retained_mrr_12"][t] = m[old].sum(0)
            if self.gross:
                o["gross_retained_mrr_12"][t] = (self.ring[t % 12][old] * G[old]).sum(0)
            else:
                o["gross_retained_mrr_12"][t] = o["retained_mrr_12"][t]
        if self.gross:  # this month's m / G snapshot, for GRR in 12 months
            divide(m, G, out=self.ring[t % 12])
        # MRR by joining year (0 = the starting customers), summed over each block's paths
        cols = np.add.reduceat(m, self.row_starts, axis=1)  # (columns, blocks)
        year = mo.year
        keep = year >= 0
        for b in range(len(self.row_starts)):
            self.year_mrr[b, t] = np.bincount(
                year[keep], weights=cols[keep, b], minlength=self.layout.years
            )
