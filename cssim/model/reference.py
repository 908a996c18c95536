"""The per-cohort reference engine: every joining month its own column, nothing merged.

Kept as the reference the bucketed engine (:mod:`cssim.model.buckets`) is tested against:
``simulate_block(..., bucketed=False)``. Within month t: churn ``Binomial(n_c, h_c(tau))``, expansion and
contraction of the stayers, then Poisson acquisition at the end of the month (docs/MODEL.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import sampling
from .arrays import col, divide, pcol
from .count_trend import CountTrend
from .leaver_mrr import leaver_power, split_mrr
from .randomness import Streams
from .segment import Segment
from .stored import STORED

__all__ = ["Cohorts", "Draws"]


class Draws:
    """Random draws by inverse CDF (one uniform per variate), streams keyed per purpose."""

    expected = False

    def __init__(self, streams: Streams, segment: str):
        self._rng = {
            p: streams.generator(segment, p)
            for p in ("acquisition", "churn", "expansion", "contraction")
        }

    def binomial(self, n, p, purpose, plan=None):
        return sampling.binomial(n, p, self._rng[purpose].random(n.shape))

    def poisson(self, lam, purpose):
        return sampling.poisson(lam, self._rng[purpose].random(lam.shape))


@dataclass
class Cohorts:
    """One segment's state for a set of paths (rows) and cohorts (columns)."""

    segment: Segment
    params: dict
    horizon: int
    paths: int
    draws: Draws
    n0c: int = 0
    tenure0: np.ndarray = field(default=None)
    out: dict = field(default_factory=dict)
    year_mrr: np.ndarray = field(default=None)

    def __post_init__(self):
        lo, hi = self.segment.tenure_range
        self.n0c = hi - lo + 1
        self.tenure0 = np.arange(lo, hi + 1)
        cols = self.n0c + self.horizon
        dtype = np.float64 if self.draws.expected else np.int64
        p = self.params
        self.n = np.zeros((self.paths, cols), dtype=dtype)
        self.m = np.zeros((self.paths, cols))
        self.g = np.ones((self.paths, cols))  # cumulative gross-retention factor per cohort
        start = col(p["customers"], self.paths)
        if not self.draws.expected:
            start = np.rint(start).astype(np.int64)
        self.n[:, : self.n0c] = self.segment.starting_split(start, self.draws.expected).T
        self.m[:, : self.n0c] = (
            self.n[:, : self.n0c]
            * col(p["arpa"], self.paths)[:, None]
            * self.segment.starting_arpa_factors()[None, :]
        )
        self.ring = np.zeros((12, self.paths, cols))  # m / g snapshots for trailing GRR
        self.ring[0] = self.m
        shape = (self.paths, self.horizon + 1)
        self.out = {k: np.zeros(shape) for k in STORED}
        self.out["retained_mrr_12"][:, :12] = np.nan
        self.out["gross_retained_mrr_12"][:, :12] = np.nan
        self.out["customers"][:, 0] = self.n.sum(1)
        self.out["mrr"][:, 0] = self.m.sum(1)
        self.years = (self.horizon + 11) // 12 + 1
        self.year_mrr = np.zeros((self.horizon + 1, self.years))
        self.year_mrr[0, 0] = self.out["mrr"][:, 0].sum()
        self.year_bounds = np.concatenate([[0], self.n0c + 12 * np.arange(self.years - 1)])
        # constants of the churn model
        ch = self.segment.churn
        self.kind = (
            "monthly"
            if ch.monthly is not None
            else "sbg"
            if ch.heterogeneity is not None
            else "annual"
        )
        self.exp_rate = pcol(p.get("expansion.rate", 0.0))
        self.exp_prob = pcol(p.get("expansion.probability", 1.0))
        self.con_rate = pcol(p.get("contraction.rate", 0.0))
        self.con_prob = pcol(p.get("contraction.probability", 1.0))
        self.exp_uplift = self.exp_rate / self.exp_prob
        self.con_uplift = np.minimum(self.con_rate / self.con_prob, 1.0)
        self.has_exp = np.any(self.exp_rate > 0)
        self.has_con = np.any(self.con_rate > 0)
        self.rho = leaver_power(p, pcol)
        acq = self.segment.acquisition
        if acq.rate is not None:
            self.monthly_rate = (1.0 + col(p["acquisition.rate"], self.paths)) ** (1.0 / 12.0) - 1.0
            self.trend = None
        else:  # a count's expected new customers, month by month (count_trend)
            self.monthly_rate = None
            self.trend = CountTrend(
                col(p["acquisition.count"], self.paths),
                col(p["acquisition.growth"], self.paths),
                col(p["acquisition.endurance"], self.paths),
                self.horizon,
            )
        self.new_arpa = col(p["new_arpa"], self.paths)

    def hazard(self, t: int, k: int):
        """Churn probability for each active cohort in month t (shape broadcastable to (paths, k))."""
        tau = np.empty(k)
        tau[: self.n0c] = self.tenure0 + t  # completed tenure at start + this month
        tau[self.n0c :] = t - np.arange(1, k - self.n0c + 1)  # joined at the end of month 1, 2, ...
        p = self.params
        ch = self.segment.churn
        if self.kind == "monthly":
            h = (
                np.broadcast_to(pcol(p["churn.monthly"]), (1, k))
                if np.ndim(p["churn.monthly"]) == 0
                else np.broadcast_to(pcol(p["churn.monthly"]), (self.paths, k))
            )
        elif self.kind == "sbg":
            a = pcol(p["churn.heterogeneity.alpha"])
            b = pcol(p["churn.heterogeneity.beta"])
            h = a / (a + b + tau[None, :] - 1.0)
        else:
            h = np.where(tau[None, :] % 12 == 0, pcol(p["churn.annual_renewal"]), 0.0)
        if ch.onboarding is not None:
            h = np.where(
                tau[None, :] <= ch.onboarding.months, pcol(p["churn.onboarding.monthly"]), h
            )
        return h

    def step(self, t: int) -> None:
        k = self.n0c + t - 1
        n, m = self.n[:, :k], self.m[:, :k]  # views: updated in place to the end-of-month state
        d = self.draws
        # integer counts: the start of this month is the end of the last, without another pass
        start_customers = (
            n.sum(1) if d.expected else self.out["customers"][:, t - 1].astype(np.int64)
        )
        h = self.hazard(t, k)
        churned = d.binomial(n, h, "churn")
        frac = divide(churned, n)
        # the churned MRR, and this month's gross-retention factor per cohort
        churned_mrr, g = split_mrr(m, frac, h, n - churned, self.rho)
        churned_total = churned.sum(1)
        n -= churned  # the customers who stayed
        stay = n
        m -= churned_mrr  # the stayers' MRR
        m_stay = m.copy() if self.has_con else m
        avg = divide(m, stay) if self.has_exp or self.has_con else None  # average MRR of a stayer
        exp_mrr = con_mrr = 0.0
        if self.has_exp:
            movers = d.binomial(stay, self.exp_prob, "expansion")
            exp_c = movers * avg * self.exp_uplift
            m += exp_c
            exp_mrr = exp_c.sum(1)
        if self.has_con:
            movers = d.binomial(stay, self.con_prob, "contraction")
            con_c = movers * avg * self.con_uplift
            m -= con_c
            con_mrr = con_c.sum(1)
            g *= 1.0 - divide(con_c, m_stay)
        self.g[:, :k] *= g
        # acquisition at the end of the month
        if self.monthly_rate is not None:
            lam = self.monthly_rate * start_customers
        else:
            lam = self.trend(t)
        new = d.poisson(lam, "acquisition")
        self.n[:, k] = new
        self.m[:, k] = new * self.new_arpa
        o = self.out
        o["new_customers"][:, t] = new
        o["churned_customers"][:, t] = churned_total
        o["churned_mrr"][:, t] = churned_mrr.sum(1)
        o["expansion_mrr"][:, t] = exp_mrr
        o["contraction_mrr"][:, t] = con_mrr
        if d.expected:
            o["customers"][:, t] = self.n[:, : k + 1].sum(1)
        else:  # integer counts: the same sum, without another pass over the cohorts
            o["customers"][:, t] = start_customers - churned_total + new
        mrr = self.m[:, : k + 1]
        mrr_total = mrr.sum(1)
        o["mrr"][:, t] = mrr_total
        ring = self.ring[t % 12]
        g_all = self.g[:, : k + 1]
        if t >= 12:
            upto = self.n0c + t - 12  # cohorts active at month t - 12
            o["retained_mrr_12"][:, t] = mrr[:, :upto].sum(1)
            o["gross_retained_mrr_12"][:, t] = (ring[:, :upto] * g_all[:, :upto]).sum(1)
        # this month's m / g snapshot (0 where a cohort's gross factor is 0), for GRR in 12 months
        divide(mrr, g_all, out=ring[:, : k + 1])
        # MRR by joining year (0 = the starting customers), summed over paths
        by_year = np.add.reduceat(mrr.sum(0), self.year_bounds[self.year_bounds < k + 1])
        self.year_mrr[t, : len(by_year)] = by_year
