"""Synthetic billing data simulated with cssim's model (MODEL.md): SYNTHETIC, for tests and studies."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["synthetic_mrr", "synthetic_usage"]


def synthetic_mrr(
    months: int = 36,
    customers: int = 1000,
    *,
    churn: float = 0.03,
    sbg: tuple[float, float] | None = None,
    expansion: tuple[float, float] = (0.02, 0.1),
    contraction: tuple[float, float] = (0.01, 0.05),
    new_per_month: float = 40.0,
    growth: float = 0.0,
    rate: float | None = None,
    onboarding: tuple[int, float] | None = None,
    arpa: float = 50_000.0,
    start: str = "2022-01",
    seed: int = 0,
) -> pd.DataFrame:
    """Per-customer monthly MRR histories simulated with cssim's model (MODEL.md), SYNTHETIC.

    Month 0 has ``customers`` accounts at ``arpa``. In each later month, as the engine orders it: each active
    customer churns with its own probability (``churn``, or theta ~ Beta(alpha, beta) per customer when
    ``sbg`` is given, so the cohort hazard is alpha / (alpha + beta + tau - 1)); a staying account expands
    by ``rate / probability`` of its MRR with ``probability``, or else contracts likewise (the two moves are
    exclusive here, so a month's observed expansion and contraction have exactly the expected rates); then
    Poisson(``new_per_month`` x (1 + growth)^(t - 1)) new customers join at ``arpa``. Rows are written only
    for months with MRR (as billing exports do). ``seed`` makes it reproducible.

    ``rate`` (annual, relative to the base) replaces the count: Poisson(m x customers at the start of the
    month), m = (1 + rate)^(1/12) - 1. ``onboarding = (k, p)``: churn probability p at tenures 1..k (tenure
    t - j in month t for a customer who joined at the end of month j; the opening base joined at month 0).
    """
    rng = np.random.default_rng(seed)
    e_rate, e_p = expansion
    c_rate, c_p = contraction
    mrr = np.full(customers, float(arpa))
    theta = rng.beta(*sbg, size=customers) if sbg is not None else np.full(customers, churn)
    alive = np.ones(customers, dtype=bool)
    joined = np.zeros(customers, dtype=int)
    months_ = pd.period_range(start, periods=months + 1, freq="M")
    rows = [(np.flatnonzero(alive), 0, mrr[alive].copy())]
    for t in range(1, months + 1):
        idx = np.flatnonzero(alive)
        p = theta[idx]
        if onboarding is not None:
            p = np.where(t - joined[idx] <= onboarding[0], onboarding[1], p)
        go = rng.random(len(idx)) < p
        alive[idx[go]] = False
        stay = idx[~go]
        u = rng.random(len(stay))
        up = u < e_p
        down = (u >= e_p) & (u < e_p + c_p)
        mrr[stay[up]] *= 1 + e_rate / e_p
        mrr[stay[down]] *= 1 - c_rate / c_p
        if rate is None:
            k = rng.poisson(new_per_month * (1 + growth) ** (t - 1))
        else:
            k = rng.poisson(((1 + rate) ** (1 / 12) - 1) * len(idx))
        joined = np.concatenate([joined, np.full(k, t)])
        mrr = np.concatenate([mrr, np.full(k, float(arpa))])
        theta = np.concatenate(
            [theta, rng.beta(*sbg, size=k) if sbg is not None else np.full(k, churn)]
        )
        alive = np.concatenate([alive, np.ones(k, dtype=bool)])
        rows.append((np.flatnonzero(alive), t, mrr[alive].copy()))
    ids = np.concatenate([r[0] for r in rows])
    ts = np.concatenate([np.full(len(r[0]), r[1]) for r in rows])
    values = np.concatenate([r[2] for r in rows])
    width = len(str(len(mrr)))
    return pd.DataFrame(
        {
            "customer": [f"C{i + 1:0{width}d}" for i in ids],
            "month": [str(months_[t]) for t in ts],
            "mrr": np.round(values, 2),
        }
    )


def synthetic_usage(
    months: int = 24,
    customers: int = 2000,
    *,
    transitions=((0.90, 0.08, 0.02), (0.15, 0.75, 0.10), (0.05, 0.15, 0.80)),
    churn=(0.01, 0.03, 0.08),
    start=(0.6, 0.3, 0.1),
    new=(0.5, 0.4, 0.1),
    bands=(0.6, 0.2),
    new_per_month: float = 60.0,
    arpa: float = 50_000.0,
    first: str = "2023-01",
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Billing (customer, month, mrr) and usage (customer, month, usage) from a known state process,
    SYNTHETIC, for tests of :func:`cssim.data.health_fit.fit_health`.

    States are listed healthiest first (healthy, at risk, dormant). Month 0 has ``customers`` split by
    ``start``. In each later month, as the engine orders it: a customer in state ``s`` churns with
    ``churn[s]``; a stayer moves with ``transitions[s]``; then Poisson(``new_per_month``) customers join,
    their states drawn from ``new``. A month's usage share is uniform within its state's band: healthy
    from ``bands[0]`` to 1, at risk from ``bands[1]`` to ``bands[0]``, dormant below ``bands[1]`` (so the
    default thresholds of :mod:`cssim.data.usage` give the states back exactly).
    """
    rng = np.random.default_rng(seed)
    P = np.asarray(transitions, float)
    c = np.asarray(churn, float)
    k = len(c)
    edges = np.array([1.0, *bands, 0.0])  # upper, lower of state s: edges[s], edges[s + 1]
    state = rng.choice(k, size=customers, p=start)
    ids = np.arange(customers)
    next_id = customers
    period0 = pd.Period(first, freq="M")
    rows_c, rows_t, rows_s = [ids], [np.zeros(customers, int)], [state]
    for t in range(1, months):
        stay = rng.random(len(ids)) >= c[state]
        ids, state = ids[stay], state[stay]
        u = rng.random(len(ids))
        state = (u[:, None] > np.cumsum(P[state], axis=1)[:, :-1]).sum(axis=1)
        joined = rng.poisson(new_per_month)
        ids = np.concatenate([ids, np.arange(next_id, next_id + joined)])
        state = np.concatenate([state, rng.choice(k, size=joined, p=new)])
        next_id += joined
        rows_c.append(ids)
        rows_t.append(np.full(len(ids), t))
        rows_s.append(state)
    cust = np.concatenate(rows_c)
    t = np.concatenate(rows_t)
    s = np.concatenate(rows_s)
    month = [str(period0 + int(i)) for i in t]
    names = [f"C{i:05d}" for i in cust]
    share = edges[s + 1] + (edges[s] - edges[s + 1]) * rng.random(len(s))
    billing = pd.DataFrame({"customer": names, "month": month, "mrr": arpa})
    usage = pd.DataFrame({"customer": names, "month": month, "usage": np.round(share, 4)})
    return billing, usage
