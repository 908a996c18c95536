"""New customers per month: three forms (a count, a count with growth, a rate relative to the base)
fitted by Poisson maximum likelihood, and the one chosen on held-out months (:func:`_acquisition`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from dataclasses import replace as _replace

import numpy as np
from scipy import optimize, stats

from .form_choice import forecast_origins, score_weights

__all__ = ["ACQUISITION_FORMS", "AcquisitionFit", "expected_new"]


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
    #: pseudo-BMA weights of the forms from their held-out scores (:func:`score_weights`)
    weights: dict = field(default_factory=dict)
    chosen_by: str = "AIC"
    #: count with growth: covariance of (log count, log(1 + growth)), quasi-Poisson information
    covariance: np.ndarray | None = field(default=None, repr=False)


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
            covariance=np.array(
                [[float(v @ cov @ v), float(v @ cov[:, 1])], [float(v @ cov[:, 1]), cov[1, 1]]]
            ),
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
    new: np.ndarray, customers: np.ndarray, holdout: int | None = None, only: str | None = None
) -> AcquisitionFit | None:
    """Fit every acquisition form; choose by the Poisson log-likelihood of held-out months.

    At each forecast origin c (rolling, :func:`~cssim.data.form_choice.forecast_origins`; or the one origin ``T - holdout``), each form is
    fitted to the months before c and scored by ``sum_t log Poisson(n_t | lambda_t)`` over every later
    month, where ``lambda_t`` is the form's forecast (a rate uses the actual base at the start of each
    month); scores are summed over origins. The chosen form is then refitted to all months; when the
    count wins, the forecast uses the count with growth (a count is its case growth = 0), so it carries
    the growth the data allow and its uncertainty instead of assuming none. With too few months the
    choice falls back to AIC. ``aic``, ``holdout_ll`` and ``weights`` (:func:`score_weights`) keep every
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
    if only is not None and only in full:  # the form is given: no choice
        return _replace(full[only], aic=dict(aic), chosen_by="given")
    origins = (
        [T - holdout] if holdout is not None and T - holdout >= 6 else forecast_origins(T, 2 / 3)
    )
    scores: dict = {}
    for c in origins:
        for f in full:
            part = _fit_form(f, n[:c], base[:c], {})
            if part is None:
                scores[f] = -math.inf
                continue
            lam = np.maximum(expected_new(part, base[c:]), 1e-12)
            scores[f] = scores.get(f, 0.0) + _poisson_ll(n[c:], lam)
    scores = {f: v for f, v in scores.items() if np.isfinite(v)}
    weights: dict = {}
    if scores:
        best = max(scores, key=scores.get)
        chosen_by = (
            f"held-out log-likelihood from {len(origins)} forecast origins (months "
            f"{origins[0]} to {origins[-1]})"
        )
        weights = score_weights(scores, len(origins))
        if (
            best == "count"
            and "count_growth" in full
            and full["count_growth"].covariance is not None
        ):
            # a count is growth 0 exactly: the forecast keeps the growth the data allow, with its
            # uncertainty, rather than assuming none
            best = "count_growth"
            chosen_by += (
                "; the count form won, and its forecast carries the estimated growth with its "
                "uncertainty (a count is the case growth = 0)"
            )
    else:
        best = min(aic, key=aic.get)
        chosen_by = "AIC (too few months for a holdout)"
    fit = full[best]
    return _replace(fit, aic=dict(aic), holdout_ll=scores, weights=weights, chosen_by=chosen_by)
