"""A lifetime value that fits the churn model: the new customer's expected discounted gross margin.

The LTV CS teams quote, ``ARPA x gross margin / monthly churn``, is right for one case only: constant
monthly churn, no expansion, no discounting. This module computes, from the segment's own parameters, the
expected discounted gross margin of one customer who joins at the end of a month, under the segment's tenure
hazards (onboarding, shifted-beta-geometric heterogeneity, annual renewals) and expected expansion and
contraction.

Timing follows MODEL.md's order of events (churn, then expansion and contraction, then acquisition). A customer
acquired at the end of month t is in the end-of-month state of month t at the new-customer ARPA ``a``, and is
first at risk in month t + 1 (tenure tau = 1). Its gross margin in month t + k (k >= 0, the end-of-month
state, as the result's ``gross_profit`` counts it) is paid when it survived k months, at MRR
``a (1 + r)^k`` in expectation, with ``r = e - E[contraction]`` the net monthly expansion of stayers. With
leavers smaller or larger than the average (``churn.leaver_mrr`` rho, :mod:`cssim.model.leaver_mrr`) a cohort
keeps ``S(k)^rho`` of its MRR, so the LTV sums ``S(k)^rho`` in place of ``S(k)`` (the lifetime in months
still sums ``S(k)``); the formulas below are for rho = 1. Discounted to the moment of acquisition with the monthly factor
``d = (1 + i)^(-1/12)`` for an annual rate i::

    LTV = a m sum_{k >= 0} S(k) ((1 + r) d)^k,      S(k) = prod_{tau=1..k} (1 - h(tau))

equivalently ``a m sum_{tau >= 1} S(tau - 1) ((1 + r) d)^(tau - 1)``: month tau of tenure is paid at its
start. With constant churn c this is ``a m / (1 - (1 - c)(1 + r) d)``, which is the quoted
``a m / c`` when r = 0 and d = 1. The discounted expected lifetime ``sum_k S(k) d^k`` (months paid) is the
same sum without expansion. For sBG, ``S(k) = B(alpha, beta + k) / B(alpha, beta)`` and
``sum_k S(k) z^k = 2F1(1, beta; alpha + beta; z)``; undiscounted (z = 1) it is
``(alpha + beta - 1) / (alpha - 1)`` for alpha > 1 and infinite for alpha <= 1.

The sum runs until its remainder is provably below ``tol`` of the total (the term ratio
``(1 - h(tau)) (1 + r) d`` never exceeds its limit once onboarding is over, because sBG hazards fall and
monthly ones are constant), to a finite ``horizon`` of months if one is given, and is infinite where the
series diverges (for example sBG with alpha <= 1 and no discounting, or expansion outpacing discount and
churn) and no horizon is given; a sum that has not converged after 2,000 years (expansion times discount
within a hair of 1 under sBG) is reported as infinite too.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .segment import Segment

__all__ = ["DEFAULT_DISCOUNT_RATE", "lifetime_value", "monthly_discount"]

#: Annual discount rate used when neither the call nor the scenario gives one.
DEFAULT_DISCOUNT_RATE = 0.10
_BLOCK = 240
_MAX_MONTHS = 24_000


def monthly_discount(annual_rate: float) -> float:
    """The monthly discount factor ``d = (1 + i)^(-1/12)`` for an annual rate ``i``."""
    if not 0 <= annual_rate <= 1:
        raise ValueError(f"discount rate must be between 0 and 1 a year, got {annual_rate!r}")
    return (1.0 + annual_rate) ** (-1.0 / 12.0)


def _arr(value, paths: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (paths,)).astype(np.float64)


def lifetime_value(
    segment: Segment,
    params: Mapping[str, float | np.ndarray],
    discount_rate: float = DEFAULT_DISCOUNT_RATE,
    horizon: int | None = None,
    tol: float = 1e-12,
) -> dict[str, np.ndarray]:
    """Model-consistent LTV of one new customer of ``segment``, per path (vectorised).

    Parameters
    ----------
    segment : Segment
        Its churn form (monthly, sBG or annual renewal, with or without onboarding) decides the hazards.
    params : mapping
        The segment's parameter values, floats or arrays over paths, named as the engine names them
        (``churn.monthly``, ``churn.heterogeneity.alpha``, ``expansion.rate``, ``new_arpa``, ...):
        :func:`cssim.model.engine.segment_parameters` or a result's per-path draws.
    discount_rate : float
        Annual discount rate i; the monthly factor is ``(1 + i)^(-1/12)``. 0 means no discounting.
    horizon : int, optional
        Count only the first ``horizon`` months of the customer's life (k = 0 .. horizon - 1).
    tol : float
        Relative bound on the remainder of the infinite sum.

    Returns
    -------
    dict
        ``ltv`` (money), ``lifetime`` (discounted expected months paid, without expansion) and
        ``margin_per_month`` (``a m``), each an array over paths; ``inf`` where the sum diverges.
    """
    sizes = [np.size(v) for v in params.values() if np.ndim(v) > 0]
    paths = max(sizes, default=1)
    p = {k: _arr(v, paths) for k, v in params.items()}
    zero, one = np.zeros(paths), np.ones(paths)
    a = p.get("new_arpa", p.get("arpa"))
    m = p.get("gross_margin", np.full(paths, 0.8))
    e = p.get("expansion.rate", zero) if segment.expansion is not None else zero
    if segment.contraction is not None:
        cp = p.get("contraction.probability", one)
        con = cp * np.minimum(p.get("contraction.rate", zero) / cp, 1.0)  # as the engine caps it
    else:
        con = zero
    d = monthly_discount(discount_rate)
    q_value = (1.0 + e - con) * d  # per-month growth x discount of a surviving customer's margin
    q_life = np.full(paths, d)

    ch = segment.churn
    onboarding = ch.onboarding.months if ch.onboarding is not None else 0
    onb = p.get("churn.onboarding.monthly")
    if ch.monthly is not None:
        kind, c = "monthly", p["churn.monthly"]
    elif ch.heterogeneity is not None:
        kind, al, be = "sbg", p["churn.heterogeneity.alpha"], p["churn.heterogeneity.beta"]
    else:
        kind, ren = "annual", p["churn.annual_renewal"]

    def hazard(tau: np.ndarray) -> np.ndarray:
        t = tau[None, :]
        if kind == "monthly":
            h = np.broadcast_to(c[:, None], (paths, tau.size))
        elif kind == "sbg":
            h = al[:, None] / (al[:, None] + be[:, None] + t - 1.0)
        else:
            h = np.where(t % 12 == 0, ren[:, None], 0.0)
        if onboarding:
            h = np.where(t <= onboarding, onb[:, None], h)
        return h

    # MRR survives as the customers' survival to the power leaver_mrr; months paid as the survival
    leaver = p.get("churn.leaver_mrr", one)

    out = {}
    for name, q, power in (("ltv", q_value, leaver), ("lifetime", q_life, one)):
        # limit of the term ratio after onboarding, and the factor bounding the tail of annual steps
        if kind == "monthly":
            limit_keep, step_factor = (1.0 - c) ** power, one
        elif kind == "sbg":
            limit_keep, step_factor = one, one
        else:
            limit_keep = (1.0 - ren) ** (power / 12.0)
            with np.errstate(divide="ignore"):
                step_factor = np.where(ren < 1, (1.0 - ren) ** -power, np.inf)
        total, last = np.zeros(paths), np.ones(paths)  # last: the term of the previous month
        rho = q * limit_keep
        # sBG without discounting or growth (rho == 1) converges when alpha > 1: exact Gauss tail
        # (for the customers' own survival; S^leaver has none, and is summed as far as it goes)
        gauss = (kind == "sbg") & (rho == 1.0) & (power == 1.0)
        divergent = (rho >= 1.0) & ~gauss
        done = np.zeros(paths, dtype=bool)
        if horizon is None:
            done |= divergent
        k0 = 0
        limit = horizon if horizon is not None else _MAX_MONTHS
        while k0 < limit and not done.all():
            k = np.arange(k0, min(k0 + _BLOCK, limit))
            tau = np.maximum(k, 1).astype(np.float64)
            step = q[:, None] * (1.0 - hazard(tau)) ** power[:, None]
            if k0 == 0:
                step[:, 0] = 1.0  # k = 0: the month of acquisition, nobody at risk yet
            terms = last[:, None] * np.cumprod(step, axis=1)
            terms[done] = 0.0
            total += terms.sum(axis=1)
            last = np.where(done, last, terms[:, -1])
            k0 = int(k[-1]) + 1
            if horizon is None and k0 > onboarding:
                with np.errstate(divide="ignore", invalid="ignore"):
                    bound = np.where(
                        last > 0, last * step_factor * rho / np.maximum(1.0 - rho, 1e-300), 0.0
                    )
                converged = (bound <= tol * total) & ~gauss
                if gauss.any():
                    # sum_{k >= K} S(k) = S(K) (alpha + beta + K - 1) / (alpha - 1), S(K) = next term
                    nxt = last * (1.0 - al / (al + be + k0 - 1.0))
                    with np.errstate(divide="ignore", invalid="ignore"):
                        tail = np.where(al > 1, nxt * (al + be + k0 - 1.0) / (al - 1.0), np.inf)
                    total = np.where(gauss & ~done, total + tail, total)
                    converged |= gauss
                done |= converged
        if horizon is None:
            # diverging, or (growth x discount within a hair of 1) still growing after 2,000 years
            total = np.where(divergent | ~done, np.inf, total)
        out[name] = total
    out["ltv"] = out["ltv"] * a * m
    out["margin_per_month"] = a * m
    return out
