"""New customers per month: three forms (a count, a count with growth, a rate relative to the base)
fitted by Poisson maximum likelihood, and the one chosen on held-out months (:func:`_acquisition`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from dataclasses import replace as _replace

import numpy as np
from scipy import optimize, stats

from .form_choice import forecast_origins, mix_normals, score_weights

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

#: a form with at least this weight is used alone; below it the forms are averaged (:func:`_averaged`)
SURE = 0.95


def _recent_churn(n: np.ndarray, base: np.ndarray, following: np.ndarray) -> tuple[float, float]:
    """The monthly logo churn of the last 12 of these months and the customer-months it rests on:
    churned in month k is ``base_k + n_k - following_k`` (``following_k`` the base a month later)."""
    w = slice(max(0, len(n) - 12), len(n))
    at_risk = float(base[w].sum())
    if at_risk <= 0:
        return 0.0, 0.0
    churned = float((base[w] + n[w] - following[w]).sum())
    return float(np.clip(churned / at_risk, 0.0, 1.0)), at_risk


def _projected_base(
    fit: AcquisitionFit, n_before: np.ndarray, base: np.ndarray, c: int, T: int
) -> np.ndarray:
    r"""The customers at the start of months ``c .. T - 1`` as a rate form would forecast them at origin
    ``c``: only what was known then,

    .. math:: \hat b_{c+k} = b_c\,(1 - \hat c + m)^k,

    with :math:`\hat c` the monthly logo churn of the 12 months before the origin
    (:func:`_recent_churn`). Scoring a rate on the base that actually came would let it see the
    future: its forecast compounds its own errors, and the holdout must too.
    """
    churn, _ = _recent_churn(n_before, base[:c], base[1 : c + 1])
    return base[c] * (1.0 - churn + fit.monthly_rate) ** np.arange(T - c)


def _acquisition(
    new: np.ndarray, customers: np.ndarray, holdout: int | None = None, only: str | None = None
) -> AcquisitionFit | None:
    """Fit every acquisition form; choose by the Poisson log-likelihood of held-out months.

    At each forecast origin c (rolling, :func:`~cssim.data.form_choice.forecast_origins`; or the one origin ``T - holdout``), each form is
    fitted to the months before c and scored by ``sum_t log Poisson(n_t | lambda_t)`` over every later
    month, where ``lambda_t`` is the form's forecast made at c (a rate on the base it would have
    forecast then, :func:`_projected_base`, not the base that came); scores are summed over origins. The chosen form is then refitted to all months; when the
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
            ahead = base[c:] if f != "rate" else _projected_base(part, n[:c], base, c, T)
            lam = np.maximum(expected_new(part, ahead), 1e-12)
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
    if weights and max(weights.values()) < SURE:
        averaged = _averaged(full, weights, n, base, customers[-1])
        if averaged is not None:
            fit = averaged
            chosen_by += (
                "; no form has "
                + f"{SURE:.0%} of the weight: the forms are averaged by weight as one growing count"
            )
    return _replace(fit, aic=dict(aic), holdout_ll=scores, weights=weights, chosen_by=chosen_by)


def _as_growing_count(
    fit: AcquisitionFit, n: np.ndarray, base: np.ndarray, last: float
) -> tuple[np.ndarray, np.ndarray] | None:
    r"""A form as (mean, covariance) of :math:`(\log n_T, \log(1 + g))`, the count in the first month
    after the data and the monthly growth.

    count: :math:`(\log \bar n, 0)`, growth exactly 0; growing count: its own fit; rate: the count it
    implies next month, :math:`m N_T`, growing as the base it forecasts grows, :math:`g = m - \hat c`
    (:math:`\hat c` the last year's monthly logo churn, as in :func:`_projected_base`), with the
    delta-method covariance from the standard errors of :math:`m` and :math:`\hat c`.
    """
    if fit.model == "count":
        if not fit.count > 0:
            return None
        return np.array([math.log(fit.count), 0.0]), np.diag([(fit.count_se / fit.count) ** 2, 0.0])
    if fit.model == "count_growth":
        if fit.covariance is None:
            return None
        return np.array([math.log(fit.count), math.log1p(fit.growth)]), np.asarray(fit.covariance)
    m, m_se = fit.monthly_rate, fit.monthly_rate_se
    c, at_risk = _recent_churn(n, base, np.r_[base[1:], last])
    if not (m > 0 and last > 0 and at_risk > 0):
        return None
    c_se = math.sqrt(c * (1 - c) / at_risk)
    k = 1.0 + m - c
    if not 0.5 < k < 2.0:  # outside the scenario's allowed growth
        return None
    cov = np.array(
        [[(m_se / m) ** 2, m_se**2 / (m * k)], [m_se**2 / (m * k), (m_se**2 + c_se**2) / k**2]]
    )
    return np.array([math.log(m * last), math.log(k)]), cov


def _averaged(
    full: dict, weights: dict, n: np.ndarray, base: np.ndarray, last: float
) -> AcquisitionFit | None:
    r"""The forms averaged by weight as one growing count: each form as :func:`_as_growing_count`, then
    the normal with the mixture's mean and covariance (:func:`~cssim.data.form_choice.mix_normals`),

    .. math:: \mu = \sum_k w_k \mu_k, \qquad
              \Sigma = \sum_k w_k \left(S_k + (\mu_k - \mu)(\mu_k - \mu)^T\right),

    so the forms' disagreement becomes spread. None when a form cannot be put this way."""
    parts = []
    for form, w in weights.items():
        if w <= 0 or form not in full:
            continue
        as_count = _as_growing_count(full[form], n, base, last)
        if as_count is None:
            return None
        parts.append((w, *as_count))
    if not parts:
        return None
    mu, cov = mix_normals(parts)
    cov = (cov + cov.T) / 2
    growth = math.expm1(mu[1])
    if not -0.5 < growth < 1.0:
        return None
    T = len(n)
    return AcquisitionFit(
        "count_growth",
        count=math.exp(mu[0]),
        count_se=math.exp(mu[0]) * math.sqrt(cov[0, 0]),
        growth=growth,
        growth_se=math.exp(mu[1]) * math.sqrt(cov[1, 1]),
        months=T,
        covariance=cov,
    )
