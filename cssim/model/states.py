"""A health segment's customers in cohort buckets and usage states, month by month, vectorised over paths.

The columns are the segment's :mod:`~cssim.model.layout` (tenure buckets), each split over the usage
states: customers ``n``, MRR ``m`` have shape ``(states, columns, paths)``. Within month t
(docs/MODEL.md, "Customer health and the CS response"):

1. churn, by each customer's state at the start of the month: in a group of ``n`` customers of state
   ``s`` and tenure ``tau``, ``Binomial(n, min(1, r_s h(tau)))`` churn, taking their share of the group's
   MRR;
2. expansion and contraction among those who stayed, at the segment's rates times the state's
   multipliers: ``Binomial(stayed, probability)`` accounts move by ``rate x multiplier / probability`` of
   the group's average MRR (a contraction at most the whole MRR);
3. the stayers move between states with the month's matrix ``P_t`` (``P`` with the CS responses at
   coverage ``h_t``), drawn as successive binomials ``X_ij ~ Binomial(n_i - sum_{l<j} X_il, P_ij / (1 -
   sum_{l<j} P_il))``, each mover taking the average MRR of the group it leaves;
4. new customers join, ``Poisson(lambda_t)`` in all, split over the states by successive binomials of the
   ``new`` shares.

Every variate inverts one uniform, and the uniforms a month draws depend on the scenario's structure
only (states, layout, horizon): churn draws state by state from the ``churn`` stream, transitions from
``transition``, the split of new customers from ``state``. Today's customers are split over the states
deterministically, ``rint(N W_s) - rint(N W_{s-1})`` with ``W`` the cumulative ``start`` shares, in each
starting tenure.

GRR needs the MRR of last year's customers carried by churn and contraction alone: a ring of 12 such
carried snapshots per state and column, moved between states with the customers (a mover carries its
group's carried MRR in proportion).
"""

from __future__ import annotations

import numpy as np

from .arrays import col, divide, prow
from .count_trend import CountTrend
from .coverage import HealthArrays
from .layout import _width, layout
from .leaver_mrr import leaver_power, split_mrr
from .stored import STATE_STORED, STORED, state_key

__all__ = ["StateBuckets"]


class StateBuckets:
    """One health segment's state for a set of paths: ``(states, columns, paths)`` arrays."""

    #: the random streams this engine draws from besides the plain engine's
    PURPOSES = ("transition", "state")

    def __init__(self, segment, params, horizon, paths, draws, row_starts=None):
        self.segment, self.params, self.horizon, self.paths, self.draws = (
            segment,
            params,
            horizon,
            paths,
            draws,
        )
        self.layout = L = layout(segment, horizon)
        self.row_starts = np.asarray([0] if row_starts is None else row_starts, dtype=np.intp)
        self.health = H = HealthArrays.of(segment, params, paths)
        S, U = H.states, L.width
        self.S = S
        expected = draws.expected
        dtype = np.float64 if expected else np.int64
        p = params
        self.n = np.zeros((S, U, paths), dtype=dtype)
        self.m = np.zeros((S, U, paths))
        s0 = slice(L.start(0), L.start(0) + L.n0c)
        start = col(p["customers"], paths)
        if not expected:
            start = np.rint(start).astype(np.int64)
        by_tenure = segment.starting_split(start, expected)  # (tenures, paths)
        self.n[:, s0] = _split(by_tenure, H.start, expected)
        arpa = col(p["arpa"], paths)[None, None, :]
        self.m[:, s0] = self.n[:, s0] * arpa * segment.starting_arpa_factors()[None, :, None]
        self.gross = bool(np.any(prow(p.get("expansion.rate", 0.0)) > 0)) or bool(
            np.any(prow(p.get("contraction.rate", 0.0)) > 0)
        )
        # carried MRR of the snapshots of the last 12 months (by churn and contraction alone)
        self.ring = np.zeros((12, S, U, paths)) if self.gross else None
        if self.gross:
            self.ring[0] = self.m
        shape = (horizon + 1, paths)
        self.out = {k: np.zeros(shape) for k in STORED}
        for name in H.names:
            for k in STATE_STORED:
                self.out[state_key(k, name)] = np.zeros(shape)
        self.out["retained_mrr_12"][:12] = np.nan
        self.out["gross_retained_mrr_12"][:12] = np.nan
        self.customers = self.n.sum((0, 1))
        self._record_states(0, np.zeros((S, paths)))
        self.out["customers"][0] = self.customers
        self.out["mrr"][0] = self.m.sum((0, 1))
        self.year_mrr = np.zeros((len(self.row_starts), horizon + 1, L.years))
        self.year_mrr[:, 0, 0] = np.add.reduceat(self.out["mrr"][0], self.row_starts)
        self.exp_rate = col(p.get("expansion.rate", 0.0), paths)
        self.exp_prob = prow(p.get("expansion.probability", 1.0))
        self.con_rate = col(p.get("contraction.rate", 0.0), paths)
        self.con_prob = col(p.get("contraction.probability", 1.0), paths)
        # per state: the uplift of a moving account, rate x multiplier / probability (contraction <= 1)
        self.exp_uplift = (self.exp_rate[None, :] * H.expansion / self.exp_prob)[:, None, :]
        self.con_uplift = np.minimum(self.con_rate[None, :] * H.contraction / self.con_prob, 1.0)[
            :, None, :
        ]
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

    # -- pieces of a month --------------------------------------------------------------------------
    def hazard(self, tau: np.ndarray) -> np.ndarray:
        """The segment's churn probability of the drawn columns (tenure ``tau``), ``(columns, paths)``
        or broadcastable to it; each state multiplies it by its ``churn_multiplier``."""
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
        return np.broadcast_to(h, (tau.size, self.paths))

    def merge(self, src: int, dst: int) -> None:
        """Add column ``src`` into bucket ``dst`` (state by state) and empty it."""
        n, m = self.n, self.m
        n[:, dst] += n[:, src]
        m[:, dst] += m[:, src]
        n[:, src] = 0
        m[:, src] = 0.0
        if self.gross:
            self.ring[:, :, dst] += self.ring[:, :, src]
            self.ring[:, :, src] = 0.0

    def _binomial(self, n, p, purpose, plan):
        """``Binomial(n, p)`` state by state (``n`` and ``p`` of shape (S, columns, paths)), each state
        drawing its rows from ``purpose``'s stream in turn."""
        d = self.draws
        p = np.broadcast_to(p, n.shape)
        return np.stack([d.binomial(n[s], p[s], purpose, plan) for s in range(n.shape[0])])

    def _record_states(self, t: int, churned: np.ndarray) -> None:
        o = self.out
        n_s, m_s = self.n.sum(1), self.m.sum(1)
        for s, name in enumerate(self.health.names):
            o[state_key("customers", name)][t] = n_s[s]
            o[state_key("mrr", name)][t] = m_s[s]
            o[state_key("churned_customers", name)][t] = churned[s]

    def metrics(self, rows: slice) -> dict[str, np.ndarray]:
        """The stored metrics of paths ``rows``, each (paths, months + 1)."""
        return {k: np.ascontiguousarray(v[:, rows].T) for k, v in self.out.items()}

    # -- one month ----------------------------------------------------------------------------------
    def step(self, t: int) -> None:
        mo = self.layout.months[t]
        for src, dst in mo.merges:
            self.merge(src, dst)
        n, m, ring, S = self.n, self.m, self.ring, self.S
        d = self.draws
        o = self.out
        start_customers = self.customers
        P = self.health.matrix(self.health.coverage(t, start_customers))  # (S, S, paths)
        # 1. churn, by state, on the columns that can churn this month
        r = mo.risk
        if _width(r):
            n_r = n[:, r]
            hazard = np.minimum(1.0, self.health.churn[:, None, :] * self.hazard(mo.tau)[None])
            churned = self._binomial(n_r, hazard, "churn", mo.risk_plan)
            frac = divide(churned, n_r)
            m_r = m[:, r]
            churned_mrr, kept = split_mrr(m_r, frac, hazard, n_r - churned, self.rho)
            n[:, r] = n_r - churned
            m[:, r] = m_r - churned_mrr
            if self.gross:
                ring[:, :, r] *= kept[None]
            churned_by_state = churned.sum(1)
            churned_mrr_total = churned_mrr.sum((0, 1))
        else:
            churned_by_state = np.zeros((S, self.paths), dtype=n.dtype)
            churned_mrr_total = 0.0
        churned_total = churned_by_state.sum(0)
        v = mo.live
        # 2. expansion and contraction of the customers who stayed, at their state's rates
        exp_mrr = con_mrr = 0.0
        if self.has_exp or self.has_con:
            stay = n[:, v]
            m_v = m[:, v]
            avg = divide(m_v, stay)
            m_stay = m_v.copy() if self.has_con else m_v
            if self.has_exp:
                movers = self._binomial(stay, self.exp_prob[None], "expansion", mo.live_plan)
                exp_c = movers * avg * self.exp_uplift
                m_v = m_v + exp_c
                exp_mrr = exp_c.sum((0, 1))
            if self.has_con:
                prob = self.con_prob[None, None, :]
                movers = self._binomial(stay, prob, "contraction", mo.live_plan)
                con_c = movers * avg * self.con_uplift
                m_v = m_v - con_c
                con_mrr = con_c.sum((0, 1))
                if self.gross:
                    ring[:, :, v] *= (1.0 - divide(con_c, m_stay))[None]
            m[:, v] = m_v
        # 3. the stayers move between states, each taking its group's average MRR
        self._move(v, mo.live_plan, P)
        # 4. acquisition at the end of the month, split over the states by the ``new`` shares
        if self.monthly_rate is not None:
            lam = self.monthly_rate * start_customers
        else:
            lam = self.trend(t)
        new = d.poisson(lam, "acquisition")
        split = _successive(new[None], self.health.new[:, None, :], self._state_draw)[:, 0]
        c = mo.new_slot
        n[:, c] = split
        m[:, c] = split * self.new_arpa[None, :]
        if self.gross:
            ring[:, :, c] = 0.0
        self.customers = start_customers - churned_total + new
        o["new_customers"][t] = new
        o["churned_customers"][t] = churned_total
        o["churned_mrr"][t] = churned_mrr_total
        o["expansion_mrr"][t] = exp_mrr
        o["contraction_mrr"][t] = con_mrr
        o["customers"][t] = self.customers
        o["mrr"][t] = m.sum((0, 1))
        self._record_states(t, churned_by_state)
        if t >= 12:
            old = mo.old
            o["retained_mrr_12"][t] = m[:, old].sum((0, 1))
            if self.gross:
                o["gross_retained_mrr_12"][t] = ring[t % 12][:, old].sum((0, 1))
            else:
                o["gross_retained_mrr_12"][t] = o["retained_mrr_12"][t]
        if self.gross:  # this month's snapshot, carried from now on
            ring[t % 12] = m
        cols = np.add.reduceat(m.sum(0), self.row_starts, axis=1)  # (columns, blocks)
        year = mo.year
        keep = year >= 0
        for b in range(len(self.row_starts)):
            self.year_mrr[b, t] = np.bincount(
                year[keep], weights=cols[keep, b], minlength=self.layout.years
            )

    def _state_draw(self, n, p):
        return self.draws.binomial(n, p, "state")

    def _move(self, v, plan, P: np.ndarray) -> None:
        """Step 3: the customers of the live columns ``v`` move between states with ``P``."""
        n, m, ring, S = self.n, self.m, self.ring, self.S
        stay = n[:, v]
        if not stay.size:
            return
        avg = divide(m[:, v], stay)

        def draw(count, prob):
            return self.draws.binomial(count, prob, "transition", plan)

        # X[i, j] customers move from i to j (successive binomials along each row)
        X = np.stack([_successive(stay[i], P[i][:, None, :], draw) for i in range(S)])
        if self.gross:  # (before n changes: ``stay`` is a view of it)
            share = divide(X, np.broadcast_to(stay[:, None], X.shape))  # moving share of group i
            ring[:, :, v] = np.einsum("kicp,ijcp->kjcp", ring[:, :, v], share)
        n[:, v] = X.sum(0)
        m[:, v] = np.einsum("ijcp,icp->jcp", X, avg)


def _successive(count, probs, draw):
    """Multinomial(count, probs) as successive binomials: ``(len(probs), *count.shape)``.

    ``X_j ~ Binomial(count - sum_{l<j} X_l, probs_j / (1 - sum_{l<j} probs_l))``; the last category takes
    the rest. ``probs`` has one row per category and broadcasts against ``count``; ``draw(n, p)`` draws
    one binomial array (one uniform per element).
    """
    k = probs.shape[0]
    out = np.zeros((k, *count.shape), dtype=count.dtype)
    left = count
    mass = np.ones(np.broadcast_shapes(probs.shape[1:], count.shape))
    for j in range(k - 1):
        with np.errstate(invalid="ignore", divide="ignore"):
            cond = np.where(
                mass > 1e-15, np.clip(probs[j] / np.where(mass > 0, mass, 1.0), 0, 1), 0
            )
        out[j] = draw(left, cond)
        left = left - out[j]
        mass = mass - probs[j]
    out[k - 1] = left
    return out


def _split(counts: np.ndarray, shares: np.ndarray, expected: bool) -> np.ndarray:
    """``counts`` (tenures, paths) over the states by ``shares`` (S, paths): ``(S, tenures, paths)``.

    Whole customers: ``rint(N W_s) - rint(N W_{s-1})`` with ``W`` the cumulative shares, so the parts
    sum to ``N``; ``expected``: ``N x share``.
    """
    if expected:
        return shares[:, None, :] * counts[None]
    cum = np.rint(np.cumsum(shares, axis=0)[:, None, :] * counts[None]).astype(counts.dtype)
    cum[-1] = counts
    return np.diff(cum, axis=0, prepend=np.zeros((1, *counts.shape), dtype=counts.dtype))
