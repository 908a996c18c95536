"""Synthetic billing data simulated with cssim's model (MODEL.md): SYNTHETIC, for tests and studies."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["synthetic_mrr"]


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
