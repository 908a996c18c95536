"""The expected path, computed without random draws.

Given the parameters, every cohort's expected survival depends only on its tenure,

.. math:: S(\\tau) = \\prod_{i=1}^{\\tau} (1 - h(i)),

and a staying customer's MRR grows by ``f = 1 + e - d`` a month, so a cohort of ``N`` customers joined at
month s has ``N S(t - s)`` customers and ``N ARPA S(t - s) f^(t - s)`` MRR at month t. Acquisition at an annual
rate ``g`` closes the loop (``new(t) = m C(t - 1)`` with ``m = (1 + g)^(1/12) - 1``), a renewal recursion
solved month by month. With constant churn and rate acquisition this reduces to MODEL.md's closed forms,
``E[C_t] = N_0 (1 + m - c)^t``, ``NRR = ((1 - c)(1 + e - d))^12`` and ``GRR = ((1 - c)(1 - d))^12``. With
leavers' MRR ``rho`` (``churn.leaver_mrr``) a cohort's MRR takes ``S^rho`` in place of ``S``.

Uncertain parameters are integrated over a deterministic quasi-random (Sobol) grid, their correlations
(``correlations:``) as a normal copula with those rank correlations; additive metrics are then exact
expectations, and ratios (NRR, ARPA, churn rates) are averages of the per-grid-point ratios.

This is a separate implementation from the Monte Carlo engine on purpose: the tests check each against
the other and both against the closed forms.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._lazy import LazyModule
from ._lazy import pandas as pd
from .correlation import correlation_plan, normal_copula
from .count_trend import CountTrend
from .engine import segment_parameters
from .leaver_mrr import leaver_power, mrr_kept
from .result import TOTAL, SimulationResult
from .scenario import Scenario
from .segment import Segment
from .stored import STORED

qmc = LazyModule("scipy.stats.qmc")

__all__ = ["expected", "expected_at"]

#: Grid points used to integrate over uncertain parameters.
NODES = 1024

DEFAULT_COLUMNS = (
    "customers",
    "new_customers",
    "churned_customers",
    "mrr",
    "arr",
    "arpa",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "net_new_mrr",
    "logo_churn_rate",
    "nrr",
    "grr",
    "gross_profit",
    "cac_spend",
    "crc",
    "arr_crc",
)


def expected(scenario: Scenario, segment: str = TOTAL, nodes: int = NODES) -> pd.DataFrame:
    """Expected path of a scenario: one row per month (0..horizon), one column per metric.

    Parameters
    ----------
    scenario : Scenario
    segment : str
        A segment's name, or ``"total"``.
    nodes : int
        Sobol grid points over the uncertain parameters (unused when nothing is uncertain).

    Returns
    -------
    pandas.DataFrame
        Indexed by month; columns as in :data:`DEFAULT_COLUMNS`.
    """
    result = expected_result(scenario, nodes)
    with warnings.catch_warnings():  # NRR and GRR are undefined (NaN) before month 12
        warnings.simplefilter("ignore", RuntimeWarning)
        data = {
            m: np.nanmean(result.get(m, segment), axis=0)
            if result.paths > 1
            else result.get(m, segment)[0]
            for m in DEFAULT_COLUMNS
        }
    return pd.DataFrame(data, index=pd.Index(result.months, name="month"))


def expected_result(scenario: Scenario, nodes: int = NODES) -> SimulationResult:
    """The expectation at every grid point, wrapped as a result whose 'paths' are grid points."""
    # one grid axis per uncertain parameter, those drawn jointly included (Scenario.uncertain lists them)
    uncertain = sorted(scenario.uncertain())
    q = len(uncertain)
    if q:
        grid = qmc.Sobol(q, scramble=False).random(nodes)
        grid = (grid + 0.5 / nodes) % 1.0  # centre the points: none at 0
        columns = {path: grid[:, i] for i, path in enumerate(uncertain)}
        plan = correlation_plan(scenario)
        if plan is not None:  # the rank correlations, as a normal copula on the grid
            columns = normal_copula(columns, plan)
    else:
        nodes, columns = 1, {}
    return expected_at(scenario, columns, nodes)


def expected_at(scenario: Scenario, columns: dict, nodes: int) -> SimulationResult:
    """The expected path at ``nodes`` points of the uncertain parameters, wrapped as a result whose
    'paths' are the points: ``columns[path]`` are the uniforms each parameter's quantile function
    takes (``Scenario.uncertain()`` paths; a joint's parameters through the joint's draw).

    :func:`expected_result` integrates over a grid of them; sensitivity analyses evaluate a run's own
    draws or a Saltelli design (``E[ARR | parameters]``, process noise averaged out exactly).
    """
    H = scenario.horizon_months
    stored, params, year = {}, {}, {}
    for seg in scenario.segments:
        p = segment_parameters(seg, lambda path: columns[path])
        stored[seg.name], year[seg.name] = _segment(seg, p, H, nodes)
        params[seg.name] = {
            k: np.broadcast_to(np.asarray(v, float), (nodes,)).copy() for k, v in p.items()
        }
    return SimulationResult(
        scenario, seed=-1, paths=nodes, stored=stored, params=params, year_mrr=year
    )


def _c(v, q):
    return np.broadcast_to(np.asarray(v, dtype=float), (q,))[:, None]


def _hazard(seg: Segment, p: dict, tau: np.ndarray, q: int) -> np.ndarray:
    ch = seg.churn
    if ch.monthly is not None:
        h = np.broadcast_to(_c(p["churn.monthly"], q), (q, tau.size))
    elif ch.heterogeneity is not None:
        a, b = _c(p["churn.heterogeneity.alpha"], q), _c(p["churn.heterogeneity.beta"], q)
        h = a / (a + b + tau[None, :] - 1.0)
    else:
        h = np.where(tau[None, :] % 12 == 0, _c(p["churn.annual_renewal"], q), 0.0)
    if ch.onboarding is not None:
        h = np.where(tau[None, :] <= ch.onboarding.months, _c(p["churn.onboarding.monthly"], q), h)
    return np.broadcast_to(h, (q, tau.size))


def _segment(seg: Segment, p: dict, H: int, q: int) -> tuple[dict, np.ndarray]:
    if seg.health is not None:
        from .health_expected import health_segment

        return health_segment(seg, p, H, q, lambda tau: _hazard(seg, p, tau, q))
    lo, hi = seg.tenure_range
    n0c = hi - lo + 1
    tau = np.arange(1, H + hi + 1)
    keep = 1.0 - _hazard(seg, p, tau, q)  # keep[:, i] = 1 - h(i + 1)
    e = _c(p.get("expansion.rate", 0.0), q)
    con_rate = _c(p.get("contraction.rate", 0.0), q)
    con_prob = _c(p.get("contraction.probability", 1.0), q)
    d = np.minimum(con_rate, con_prob)  # rate / probability capped at 1 per contracting account
    f = 1.0 + e - d
    steps = np.arange(H + 1)[None, :]
    fpow = f**steps  # (q, H + 1)
    gpow12 = (1.0 - d) ** 12
    arpa, new_arpa = _c(p["arpa"], q), _c(p["new_arpa"], q)

    # starting cohorts: n_j customers at tenure lo + j, integer split as the engine does
    start = np.rint(np.broadcast_to(np.asarray(p["customers"], float), (q,)))
    split = seg.starting_split(start)
    factor = seg.starting_arpa_factors()
    s0 = np.zeros((q, H + 1))  # expected starting customers still active at t
    s0m = np.zeros((q, H + 1))  # their MRR's survival, weighted by their tenure's ARPA factor
    # a cohort keeps (customers kept)^rho of its MRR (leaver_mrr), rho = 1 unless a scenario says so
    rho = leaver_power(p, lambda v: _c(v, q))
    for j in range(n0c):
        nj = split[j]
        surv = np.ones((q, H + 1))
        surv[:, 1:] = np.cumprod(keep[:, lo + j : lo + j + H], axis=1)
        s0 += nj[:, None] * surv
        s0m += factor[j] * nj[:, None] * mrr_kept(surv, rho)
    # new cohorts: survival by tenure S[0..H], and of their MRR SM
    S = np.ones((q, H + 1))
    S[:, 1:] = np.cumprod(keep[:, :H], axis=1)
    SM = mrr_kept(S, rho)
    dSM = SM[:, :-1] - SM[:, 1:]  # share of a new cohort's MRR churning at each lag

    new = np.zeros((q, H + 1))
    acq = seg.acquisition
    if acq.rate is None:
        new[:, 1:] = (
            CountTrend(
                _c(p["acquisition.count"], q)[:, 0],
                _c(p["acquisition.growth"], q)[:, 0],
                _c(p["acquisition.endurance"], q)[:, 0],
                H,
            )
            .path(H)
            .T
        )
    else:
        m = (1.0 + _c(p["acquisition.rate"], q)[:, 0]) ** (1.0 / 12.0) - 1.0
        for t in range(1, H + 1):
            # customers at the start of month t = starting cohorts + cohorts joined at 1..t-1
            joined = (
                np.einsum("qs,qs->q", new[:, 1:t], S[:, t - 2 :: -1][:, : t - 1]) if t > 1 else 0.0
            )
            new[:, t] = m * (s0[:, t - 1] + joined)

    cust = s0.copy()
    churned = np.zeros((q, H + 1))
    churned[:, 1:] = s0[:, :-1] - s0[:, 1:]
    mrr = arpa * s0m * fpow
    churned_mrr = np.zeros((q, H + 1))
    churned_mrr[:, 1:] = arpa * fpow[:, :-1] * (s0m[:, :-1] - s0m[:, 1:])
    stayed_mrr = np.zeros((q, H + 1))
    stayed_mrr[:, 1:] = arpa * fpow[:, :-1] * s0m[:, 1:]
    retained = mrr.copy()  # the starting cohorts were all active 12 months ago
    gross = np.full((q, H + 1), np.nan)
    gross[:, 12:] = arpa * fpow[:, : H - 11] * gpow12 * s0m[:, 12:]
    years = (H + 11) // 12 + 1
    year = np.zeros((H + 1, years))
    year[:, 0] = mrr.sum(0)
    # each new cohort joined at month s contributes at lags L = t - s
    dS = S[:, :-1] - S[:, 1:]  # share of a new cohort churning at each lag
    for s in range(1, H + 1):
        L = H - s
        ns = new[:, s : s + 1]
        c = ns * S[:, : L + 1]
        cm = new_arpa * (c if rho is None else ns * SM[:, : L + 1]) * fpow[:, : L + 1]
        cust[:, s:] += c
        mrr[:, s:] += cm
        churned[:, s + 1 :] += ns * dS[:, :L]
        start_mrr = new_arpa * ns * fpow[:, :L]  # MRR at lag L - 1 of the cohort as it joined
        churned_mrr[:, s + 1 :] += start_mrr * dSM[:, :L]
        stayed_mrr[:, s + 1 :] += start_mrr * SM[:, 1 : L + 1]
        if s + 12 <= H:
            retained[:, s + 12 :] += cm[:, 12:]
            gross[:, s + 12 :] += start_mrr[:, : L - 11] * gpow12 * SM[:, 12 : L + 1]
        year[s:, (s - 1) // 12 + 1] += cm.sum(0)
    retained[:, :12] = np.nan
    out = {
        "customers": cust,
        "new_customers": new,
        "churned_customers": churned,
        "mrr": mrr,
        "expansion_mrr": e * stayed_mrr,
        "contraction_mrr": d * stayed_mrr,
        "churned_mrr": churned_mrr,
        "retained_mrr_12": retained,
        "gross_retained_mrr_12": gross,
    }
    assert set(out) == set(STORED)
    return out, year
