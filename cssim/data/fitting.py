"""Fitting: expansion and contraction, acquisition forms, churn forms and the new-customer ARPA.

Every fitted piece is collected in one :class:`Fits` object, which :mod:`cssim.data.calibrate` turns into a
scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from dataclasses import replace as _replace

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .history import BillingHistory
from .retention import GeometricFit, SBGFit, fit_geometric, fit_sbg


@dataclass(frozen=True)
class MovementFit:
    """Monthly expansion or contraction: ``rate`` = moved MRR / MRR of staying customers (mean over months,
    ``rate_se`` its standard error), ``probability`` = share of staying accounts that move (binomial SE)."""

    rate: float
    rate_se: float
    probability: float
    probability_se: float
    months: int


def _movement(history: pd.DataFrame, kind: str) -> MovementFit | None:
    h = history.iloc[1:]
    base = h["staying_start_mrr"].to_numpy(float)
    ok = base > 0
    if ok.sum() < 2:
        return None
    r = h[f"{kind}_mrr"].to_numpy(float)[ok] / base[ok]
    movers = h[f"{'expanding' if kind == 'expansion' else 'contracting'}_customers"].to_numpy(
        float
    )[ok]
    stayers = h["staying_customers"].to_numpy(float)[ok]
    p = movers.sum() / stayers.sum()
    return MovementFit(
        rate=float(r.mean()),
        rate_se=float(r.std(ddof=1) / math.sqrt(len(r))),
        probability=float(p),
        probability_se=float(math.sqrt(p * (1 - p) / stayers.sum())),
        months=int(ok.sum()),
    )


@dataclass(frozen=True)
class AcquisitionFit:
    """New customers per month. ``model`` is ``"count"`` (constant), ``"count_growth"`` or ``"rate"``.

    count: ``count`` per month (``count_se``), for the first month after the data; growth: monthly
    ``growth`` (``growth_se``); rate: the annual rate relative to the base ``rate`` (``rate_se``), with
    ``monthly_rate`` = (1 + rate)^(1/12) - 1. ``aic`` holds every candidate's AIC.
    """

    model: str
    count: float = math.nan
    count_se: float = math.nan
    growth: float = 0.0
    growth_se: float = math.nan
    rate: float = math.nan
    rate_se: float = math.nan
    monthly_rate: float = math.nan
    monthly_rate_se: float = math.nan
    months: int = 0
    aic: dict = field(default_factory=dict)
    holdout_ll: dict = field(default_factory=dict)
    chosen_by: str = "AIC"


def _poisson_ll(n: np.ndarray, lam: np.ndarray) -> float:
    return float(stats.poisson.logpmf(n, lam).sum())


def _dispersion(n: np.ndarray, lam: np.ndarray, p: int) -> float:
    """Quasi-Poisson dispersion ``max(1, sum (n - lam)^2 / lam / (T - p))``: standard errors are scaled
    by its square root, so months that scatter more than Poisson (or a form that misfits) widen them."""
    ok = lam > 0
    dof = int(ok.sum()) - p
    if dof < 1:
        return 1.0
    return max(1.0, float(((n[ok] - lam[ok]) ** 2 / lam[ok]).sum() / dof))


def _fit_form(form: str, n: np.ndarray, base: np.ndarray, aic: dict) -> AcquisitionFit | None:
    """One acquisition form fitted by Poisson maximum likelihood to new customers ``n`` per month."""
    T = len(n)
    lam0 = float(n.mean())
    if form == "count":
        aic["count"] = 2 - 2 * _poisson_ll(n, np.full(T, max(lam0, 1e-12)))
        return AcquisitionFit(
            "count",
            count=lam0,
            count_se=float(math.sqrt(max(lam0, 1e-12) / T * _dispersion(n, np.full(T, lam0), 1))),
            months=T,
            aic=aic,
        )
    if form == "count_growth":
        if n.sum() <= 0:
            return None
        X = np.column_stack([np.ones(T), np.arange(T, dtype=float)])

        def nll(b):
            eta = X @ b
            return float(np.exp(eta).sum() - n @ eta), X.T @ (np.exp(eta) - n)

        res = optimize.minimize(
            nll, np.array([math.log(max(lam0, 1e-3)), 0.0]), jac=True, method="BFGS"
        )
        b = res.x
        lam = np.exp(X @ b)
        cov = np.linalg.inv(X.T @ (lam[:, None] * X))
        if not (-0.5 < math.expm1(b[1]) < 1.0 and np.all(np.isfinite(cov))):
            return None  # outside the scenario's allowed growth
        aic["count_growth"] = 4 - 2 * _poisson_ll(n, lam)
        cov = cov * _dispersion(n, lam, 2)
        v = np.array([1.0, T])  # the first month after the data
        eta = float(v @ b)
        return AcquisitionFit(
            "count_growth",
            count=math.exp(eta),
            count_se=math.exp(eta) * math.sqrt(float(v @ cov @ v)),
            growth=math.expm1(b[1]),
            growth_se=math.exp(b[1]) * math.sqrt(cov[1, 1]),
            months=T,
            aic=aic,
        )
    R = base.sum()
    if R <= 0 or n.sum() <= 0:
        return None
    m = n.sum() / R
    aic["rate"] = 2 - 2 * _poisson_ll(n, m * base)
    m_se = math.sqrt(m / R * _dispersion(n, m * base, 1))
    return AcquisitionFit(
        "rate",
        rate=(1 + m) ** 12 - 1,
        rate_se=12 * (1 + m) ** 11 * m_se,
        monthly_rate=m,
        monthly_rate_se=m_se,
        months=T,
        aic=aic,
    )


def expected_new(fit: AcquisitionFit, base: np.ndarray) -> np.ndarray:
    """Expected new customers in the months after a fit, given the customers at the start of each month.

    count: ``count``; count with growth: ``count (1 + growth)^(k - 1)`` in the k-th month after the data;
    rate: ``m x base`` with ``m = (1 + rate)^(1/12) - 1``.
    """
    k = np.arange(len(base), dtype=float)
    if fit.model == "rate":
        return fit.monthly_rate * np.asarray(base, float)
    return fit.count * (1.0 + fit.growth) ** k


ACQUISITION_FORMS = ("count", "count_growth", "rate")


def _acquisition(
    new: np.ndarray, customers: np.ndarray, holdout: int | None = None
) -> AcquisitionFit | None:
    """Fit every acquisition form; choose by the Poisson log-likelihood of held-out months.

    Each form is fitted to all but the last ``holdout`` months (default: a third, at least 3) and scored by
    ``sum_t log Poisson(n_t | lambda_t)`` over the held-out months, where ``lambda_t`` is the form's forecast
    (a rate uses the actual base at the start of each month). The chosen form is then refitted to all
    months. With fewer than 9 months the choice falls back to AIC. ``aic`` and ``holdout_ll`` keep every
    candidate's score.
    """
    n = new[1:]
    base = customers[:-1]
    keep = ~np.isnan(n)
    n, base = n[keep], base[keep]
    T = len(n)
    if T < 2:
        return None
    aic: dict = {}
    full = {f: _fit_form(f, n, base, aic) for f in ACQUISITION_FORMS}
    full = {f: v for f, v in full.items() if v is not None}
    k = holdout if holdout is not None else max(3, T // 3)
    scores: dict = {}
    if T - k >= 6:
        for f in full:
            part = _fit_form(f, n[: T - k], base[: T - k], {})
            if part is None:
                continue
            lam = np.maximum(expected_new(part, base[T - k :]), 1e-12)
            scores[f] = _poisson_ll(n[T - k :], lam)
    if scores:
        best = max(scores, key=scores.get)
        chosen_by = f"holdout log-likelihood of the last {k} months"
    else:
        best = min(aic, key=aic.get)
        chosen_by = "AIC (too few months for a holdout)"
    fit = full[best]
    return _replace(fit, aic=dict(aic), holdout_ll=scores, chosen_by=chosen_by)


@dataclass(frozen=True)
class HoldoutCheck:
    """Fit on months up to ``cutoff``; predict the active customers of those cohorts afterwards.

    ``table`` has per held-out month the actual and predicted active customers (sBG and constant churn);
    ``mape`` the mean absolute percentage error of each.
    """

    cutoff: str
    table: pd.DataFrame
    mape: dict
    sbg: SBGFit | None
    geometric: GeometricFit | None


def _holdout(data: BillingHistory, fraction: float = 2 / 3) -> HoldoutCheck | None:
    T = len(data.months) - 1
    if T < 6:
        return None
    cut = max(2, round(T * fraction))
    train, keep = [], []
    for _, s, a in data.cohorts:
        k = cut - s  # last tenure observed by the cutoff
        if k >= 1 and s + len(a) - 1 > cut:
            train.append(a[: k + 1])
            keep.append((s, a, k))
        elif k >= 1:
            train.append(a[: k + 1])
    if not keep or not train:
        return None
    try:
        sbg = fit_sbg(train)
    except ValueError:
        sbg = None
    geo = fit_geometric(train)
    rows = []
    for t in range(cut + 1, T + 1):
        actual = pred_s = pred_g = 0.0
        for s, a, k in keep:
            j = t - s
            if j >= len(a):
                continue
            actual += a[j]
            pred_g += a[k] * (1 - geo.churn) ** (j - k)
            if sbg is not None:
                pred_s += a[k] * sbg.survival(j) / sbg.survival(k)
        rows.append(
            {
                "month": str(data.months[t]),
                "actual": actual,
                "sbg": pred_s if sbg is not None else np.nan,
                "constant": pred_g,
            }
        )
    table = pd.DataFrame(rows).set_index("month")
    table = table[table["actual"] > 0]
    if table.empty:
        return None
    mape = {
        k: float((table[k] - table["actual"]).abs().div(table["actual"]).mean())
        for k in ("sbg", "constant")
    }
    return HoldoutCheck(
        cutoff=str(data.months[cut]), table=table, mape=mape, sbg=sbg, geometric=geo
    )


# -- the new-customer ARPA and the starting state ----------------------------------------------------------


@dataclass(frozen=True)
class NewArpaFit:
    """MRR of new customers in their first month: ``mean`` (``se`` = sd / sqrt(n), its standard error),
    ``sd`` the spread between accounts, ``n`` the new customers seen."""

    mean: float
    se: float
    sd: float
    n: int


def _new_arpa(M: np.ndarray) -> NewArpaFit | None:
    firsts = M[:, 1:][(M[:, 1:] > 0) & (M[:, :-1] == 0) & ~np.maximum.accumulate(M > 0, 1)[:, :-1]]
    if len(firsts) == 0:
        return None
    sd = float(firsts.std(ddof=1)) if len(firsts) > 1 else 0.0
    return NewArpaFit(float(firsts.mean()), sd / math.sqrt(len(firsts)), sd, len(firsts))


@dataclass(frozen=True)
class StartingState:
    """The forecast's month 0: the last month of the data.

    ``tenure`` is what the scenario's ``starting_tenure`` gets: an int or ``(min, max)``. Under sBG churn the
    spread is chosen so that the engine's uniform spread of tenures loses the same expected share of
    today's customers, month by month over ``horizon``, as their observed tenures would (least squares);
    customers active since the first month are given the tenure they have at least (left-truncated).
    """

    customers: int
    mrr: float
    arpa: float
    tenure: int | tuple = 0
    tenures: np.ndarray = field(default=None, repr=False)


def _tenures(M: np.ndarray) -> np.ndarray:
    """Completed tenure at the last month of every active customer (continuous spell to the end)."""
    active = M > 0
    T = M.shape[1]
    now = active[:, -1]
    # months since the spell that is active now began (a reactivation starts a new spell)
    gap = np.where(~active, np.arange(T)[None, :], -1)
    last_gap = gap.max(1)
    return (T - 1 - (last_gap + 1))[now]


def _sbg_spread(tenures: np.ndarray, alpha: float, beta: float, horizon: int) -> int | tuple:
    from scipy import special

    values, counts = np.unique(tenures, return_counts=True)
    h = np.arange(1, max(horizon, 1) + 1)

    def surv(x):  # S(x + h) / S(x), shape (len(x), horizon)
        x = np.asarray(x, float)[:, None]
        return np.exp(special.betaln(alpha, beta + x + h) - special.betaln(alpha, beta + x))

    target = (counts[:, None] * surv(values)).sum(0) / counts.sum()
    top = int(min(values.max(), 600))
    grid = surv(np.arange(top + 1))
    cums = np.cumsum(np.vstack([np.zeros(len(h)), grid]), axis=0)
    best, arg = math.inf, (0, 0)
    for lo in range(top + 1):
        his = np.arange(lo, top + 1)
        mean = (cums[his + 1] - cums[lo]) / (his - lo + 1)[:, None]
        err = ((mean - target) ** 2).sum(1)
        i = int(np.argmin(err))
        if err[i] < best:
            best, arg = float(err[i]), (lo, int(his[i]))
    return arg[0] if arg[0] == arg[1] else arg


# -- all fits in one object ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Fits:
    """Every fitted piece of a calibration, passed around as one object.

    ``churn_model`` is ``"monthly"`` or ``"sbg"``; ``lr_test`` the likelihood ratio of sBG against constant
    churn on the cohorts (statistic, p); ``holdout`` the churn holdout check used in that choice.
    """

    churn: GeometricFit
    churn_cohorts: GeometricFit | None
    sbg: SBGFit | None
    churn_model: str
    lr_test: tuple
    expansion: MovementFit | None
    contraction: MovementFit | None
    acquisition: AcquisitionFit | None
    holdout: HoldoutCheck | None
    new_arpa: NewArpaFit | None
    start: StartingState
    notes: tuple = ()


def fit_all(
    d: BillingHistory,
    history: pd.DataFrame,
    *,
    holdout_fraction: float = 2 / 3,
    horizon: int = 36,
    arpa: float | None = None,
) -> Fits:
    """Fit churn (constant and sBG), movements, acquisition, new-customer ARPA and the starting state.

    Churn: sBG on the cohorts whose start is observed is used when it converges, has the lower AIC, the
    likelihood ratio against constant churn has p < 0.01 and (where a holdout check exists) it predicts the
    held-out months at least as well as constant churn; otherwise constant monthly churn over all customers.
    """
    from .retention import likelihood_ratio

    notes: list[str] = []
    D = float(np.nansum(history["churned_customers"].to_numpy(float)[1:]))
    R = float(d.customers[:-1].sum())
    churn = fit_geometric(churned=D, at_risk=R)
    cohort_arrays = [a for _, _, a in d.cohorts if len(a) >= 2 and a[0] > 0]
    sbg = churn_c = None
    lr = (math.nan, math.nan)
    if cohort_arrays:
        churn_c = fit_geometric(cohort_arrays)
        try:
            sbg = fit_sbg(cohort_arrays)
            lr = likelihood_ratio(sbg, churn_c)
        except ValueError as e:
            notes.append(f"sBG not fitted: {e}")
    holdout = _holdout(d, holdout_fraction)
    use_sbg = (
        sbg is not None
        and sbg.converged
        and sbg.aic < churn_c.aic
        and lr[1] < 0.01
        and np.isfinite(sbg.alpha_se)
        and np.isfinite(sbg.beta_se)
        and (holdout is None or holdout.mape["sbg"] <= holdout.mape["constant"])
    )
    churn_model = "sbg" if use_sbg else "monthly"
    expansion = contraction = new_arpa = None
    if d.M is not None:
        expansion = _movement(history, "expansion")
        contraction = _movement(history, "contraction")
        new_arpa = _new_arpa(d.M)
    acquisition = _acquisition(d.new, d.customers)
    customers = round(d.customers[-1])
    if d.M is not None:
        mrr = float(d.M[:, -1].sum())
        a = mrr / customers if customers > 0 else float(np.mean(d.M[d.M > 0]))
        tenures = _tenures(d.M)
    else:
        a = float(arpa) if arpa else 1.0
        mrr = a * customers
        if not arpa:
            notes.append("a cohort table has no MRR: ARPA is set to 1 per customer; edit it")
        tenures = None
    tenure: int | tuple = 0
    if use_sbg and tenures is not None and len(tenures):
        tenure = _sbg_spread(tenures, sbg.alpha, sbg.beta, horizon)
    start = StartingState(customers, mrr, a, tenure, tenures)
    return Fits(
        churn=churn,
        churn_cohorts=churn_c,
        sbg=sbg,
        churn_model=churn_model,
        lr_test=lr,
        expansion=expansion,
        contraction=contraction,
        acquisition=acquisition,
        holdout=holdout,
        new_arpa=new_arpa,
        start=start,
        notes=tuple(notes),
    )
