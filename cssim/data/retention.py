"""Retention models for cohort data: the shifted-beta-geometric (sBG) and the constant-churn geometric.

The sBG (Fader & Hardie 2007, "How to project customer retention", Journal of Interactive Marketing 21(1))
gives each customer a constant churn probability theta per period, with theta ~ Beta(alpha, beta) across
customers. For a random customer, with tenure t = 1 the first period at risk:

.. math::

    P(T = t) = B(\\alpha + 1, \\beta + t - 1) / B(\\alpha, \\beta), \\qquad
    S(t) = B(\\alpha, \\beta + t) / B(\\alpha, \\beta),

    r(t) = S(t) / S(t - 1) = (\\beta + t - 1) / (\\alpha + \\beta + t - 1).

The churn probability at tenure t among customers still active, ``alpha / (alpha + beta + t - 1)``, is the
hazard cssim's engine uses for ``churn.heterogeneity`` (MODEL.md). Constant churn, the sBG's limit without
heterogeneity, is :mod:`cssim.data.constant_churn`; :func:`likelihood_ratio` tests one against the other.

Data are active counts per period of one cohort or several (:mod:`cssim.data.active_counts`). Each
cohort contributes its churners per period and its survivors, right-censored at its last observed period:

.. math:: LL = \\sum_t d_t \\ln P(T = t) + \\sum_c n_c \\ln S(T_c).

:func:`fit_sbg` maximises it over log-parameters; standard errors come from the inverse of the observed
information (the Hessian of the negative log-likelihood, analytic) mapped back by the delta method.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special

from .active_counts import cohort_counts, read_cohorts
from .constant_churn import GeometricFit, fit_geometric

__all__ = [
    "GeometricFit",
    "SBGFit",
    "cohort_counts",
    "fit_geometric",
    "fit_sbg",
    "likelihood_ratio",
]

#: log-parameter bounds: alpha and beta between e^-8 and e^12 (beyond that the fit is degenerate).
_LOG_BOUNDS = (-8.0, 12.0)


# -- the sBG likelihood ------------------------------------------------------------------------------------


def _terms(a: float, b: float, x: np.ndarray, y: np.ndarray):
    """f = ln B(a + x, b + y) - ln B(a, b) with its gradient and Hessian in (a, b), elementwise."""
    s = a + b
    f = special.betaln(a + x, b + y) - special.betaln(a, b)
    pab = special.digamma(s + x + y)
    ga = special.digamma(a + x) - pab - special.digamma(a) + special.digamma(s)
    gb = special.digamma(b + y) - pab - special.digamma(b) + special.digamma(s)
    tab = special.polygamma(1, s + x + y)
    ts = special.polygamma(1, s)
    haa = special.polygamma(1, a + x) - tab - special.polygamma(1, a) + ts
    hbb = special.polygamma(1, b + y) - tab - special.polygamma(1, b) + ts
    hab = -tab + ts
    return f, ga, gb, haa, hbb, hab


def _loglik(a: float, b: float, d: np.ndarray, c: np.ndarray, order: int = 0):
    """Log-likelihood (and gradient, Hessian in natural parameters when ``order`` is 1 or 2)."""
    t = np.arange(1, len(d) + 1, dtype=float)
    P = _terms(a, b, np.ones_like(t), t - 1.0)  # ln P(T = t)
    S = _terms(a, b, np.zeros_like(t), t)  # ln S(t)
    parts = [d @ P[k] + c @ S[k] for k in range(6)]
    ll = parts[0]
    if order == 0:
        return ll
    grad = np.array(parts[1:3])
    hess = np.array([[parts[3], parts[5]], [parts[5], parts[4]]])
    return ll, grad, hess


def _neg(logp, d, c):
    a, b = np.exp(logp)
    ll, grad, _ = _loglik(a, b, d, c, order=1)
    if not np.isfinite(ll):
        return 1e300, np.zeros(2)
    return -ll, -grad * np.array([a, b])


@dataclass(frozen=True, eq=False)
class SBGFit:
    """A fitted shifted-beta-geometric model (what :func:`fit_sbg` returns).

    Attributes
    ----------
    alpha, beta : float
        Maximum-likelihood estimates.
    alpha_se, beta_se : float
        Standard errors from the observed information (delta method from the log-parameters).
    log_likelihood : float
    covariance : ndarray (2, 2)
        Covariance of (alpha, beta).
    n_customers, n_churned : int
        Customers at period 0 over all cohorts, and how many churned while observed.
    observed : tuple of ndarray
        The active counts per cohort that were fitted (period 0 first).
    converged : bool
        False when the optimiser failed or an estimate sits at its bound (no heterogeneity in the data).
    """

    alpha: float
    beta: float
    alpha_se: float
    beta_se: float
    log_likelihood: float
    covariance: np.ndarray = field(repr=False)
    n_customers: int = 0
    n_churned: int = 0
    observed: tuple = field(default=(), repr=False)
    converged: bool = True

    # -- the model ---------------------------------------------------------------------------------
    def survival(self, t) -> np.ndarray | float:
        """S(t) = B(alpha, beta + t) / B(alpha, beta): share of a cohort still active after t periods."""
        t = np.asarray(t, dtype=float)
        out = np.exp(
            special.betaln(self.alpha, self.beta + t) - special.betaln(self.alpha, self.beta)
        )
        return float(out) if out.ndim == 0 else out

    def retention_rate(self, t) -> np.ndarray | float:
        """r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1), tenure t >= 1."""
        t = np.asarray(t, dtype=float)
        out = (self.beta + t - 1.0) / (self.alpha + self.beta + t - 1.0)
        return float(out) if out.ndim == 0 else out

    def churn_probability(self, t) -> np.ndarray | float:
        """Churn at tenure t among customers still active: alpha / (alpha + beta + t - 1) = 1 - r(t)."""
        t = np.asarray(t, dtype=float)
        out = self.alpha / (self.alpha + self.beta + t - 1.0)
        return float(out) if out.ndim == 0 else out

    def derl(self, discount: float, renewals: int = 0) -> float:
        """Discounted expected residual lifetime (Fader & Hardie 2010, Marketing Science 29(1), eq. 6).

        For a customer who has made ``renewals`` = n - 1 renewals (so is in period n; ``renewals=0`` is a
        customer in their first period), the expected discounted number of further renewal payments, the
        next one undiscounted:

        .. math::

            DERL(d \\mid \\alpha, \\beta, n) = \\sum_{t=n}^{\\infty} \\frac{S(t)}{S(n-1)}\\,(1+d)^{-(t-n)}
            = \\frac{\\beta + n - 1}{\\alpha + \\beta + n - 1}\\,
              {}_2F_1\\!\\left(1, \\beta + n; \\alpha + \\beta + n; \\tfrac{1}{1+d}\\right).

        Multiply by the margin per period for the expected residual lifetime value.
        """
        if not discount > 0:
            raise ValueError(f"discount must be positive, got {discount}")
        if renewals < 0 or int(renewals) != renewals:
            raise ValueError(f"renewals must be a whole number >= 0, got {renewals}")
        n = int(renewals) + 1
        a, b = self.alpha, self.beta
        value = float(
            (b + n - 1)
            / (a + b + n - 1)
            * special.hyp2f1(1.0, b + n, a + b + n, 1.0 / (1.0 + discount))
        )
        if math.isfinite(value):
            return value
        # hyp2f1 can fail for very large alpha, beta: sum the series, term_k = term_{k-1} r(n + k) / (1 + d)
        term = total = (b + n - 1) / (a + b + n - 1)
        k = 0
        while term > 1e-17 * total and k < 1_000_000:
            k += 1
            term *= (b + n + k - 1) / (a + b + n + k - 1) / (1.0 + discount)
            total += term
        return float(total)

    @property
    def mean_churn(self) -> float:
        """Mean churn probability of a new customer, alpha / (alpha + beta)."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def aic(self) -> float:
        return 2 * 2 - 2 * self.log_likelihood

    # -- presentation --------------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """Estimates, standard errors and 95% intervals (log-scale, so always positive)."""
        rows = []
        for name, value, se in (
            ("alpha", self.alpha, self.alpha_se),
            ("beta", self.beta, self.beta_se),
        ):
            half = 1.959963984540054 * se / value if value > 0 else math.nan
            rows.append(
                {
                    "parameter": name,
                    "estimate": value,
                    "se": se,
                    "lower_95": value * math.exp(-half),
                    "upper_95": value * math.exp(half),
                }
            )
        return pd.DataFrame(rows).set_index("parameter")

    def fitted_vs_observed(self) -> pd.DataFrame:
        """Observed share surviving (all cohorts pooled, by tenure) beside the fitted S(t)."""
        width = max(len(a) for a in self.observed) if self.observed else 1
        at_risk = np.zeros(width)
        alive = np.zeros(width)
        for a in self.observed:
            at_risk[: len(a)] += a[0]
            alive[: len(a)] += a
        t = np.arange(width)
        with np.errstate(invalid="ignore", divide="ignore"):
            # Kaplan-Meier style: product of pooled period retention over cohorts observed at t
            ret = np.ones(width)
            for k in range(1, width):
                prev = sum(a[k - 1] for a in self.observed if len(a) > k)
                now = sum(a[k] for a in self.observed if len(a) > k)
                ret[k] = now / prev if prev > 0 else np.nan
            km = np.cumprod(ret)
        return pd.DataFrame(
            {
                "tenure": t,
                "observed": km,
                "fitted": self.survival(t),
                "cohorts": [sum(len(a) > k for a in self.observed) for k in t],
            }
        ).set_index("tenure")

    def plot(self, ax=None, horizon: int | None = None, lang: str | None = None):
        """Observed (pooled over cohorts) against fitted survival; returns the axes (words in ``lang``)."""
        import matplotlib.pyplot as plt

        from ..words.chart_text import chart_text
        from ..words.fonts import use_fonts

        use_fonts()  # Japanese names render (IPAexGothic after the Latin font)
        _ = chart_text(lang)

        if ax is None:
            _fig, ax = plt.subplots(figsize=(6, 4))
        table = self.fitted_vs_observed()
        h = max(horizon or 0, len(table) - 1)
        t = np.arange(h + 1)
        ax.plot(table.index, table["observed"], "o", color="black", label=_("observed"))
        ax.plot(
            t,
            self.survival(t),
            "-",
            color="C0",
            label=_(
                "sBG alpha={alpha}, beta={beta}", alpha=f"{self.alpha:.3g}", beta=f"{self.beta:.3g}"
            ),
        )
        ax.set_xlabel(_("tenure (periods)"))
        ax.set_ylabel(_("share still active"))
        ax.set_ylim(0, 1.02)
        ax.legend()
        from ..words.plaintext import plain_figure

        return plain_figure(ax)

    def __repr__(self) -> str:
        return (
            f"<SBGFit alpha={self.alpha:.4g} (se {self.alpha_se:.2g}), beta={self.beta:.4g} "
            f"(se {self.beta_se:.2g}), log-likelihood {self.log_likelihood:.2f}, "
            f"{self.n_customers} customers in {len(self.observed)} cohort"
            f"{'s' if len(self.observed) != 1 else ''}{'' if self.converged else ', NOT CONVERGED'}>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_html(self, lang: str | None = None) -> str:
        """The estimates with their standard errors and 95% intervals as an HTML table in ``lang``
        (what a notebook shows)."""
        from ..words import formatting as fm
        from ..words.i18n import Translator
        from ..words.tables import html_table

        _ = Translator(lang or "en")
        names = {"alpha": _("sBG alpha"), "beta": _("sBG beta")}

        def n(x: float) -> str:
            return fm.format_value(x, "number", lang)

        rows = [
            (names[k], n(r.estimate), n(r.se), f"{n(r.lower_95)} – {n(r.upper_95)}")
            for k, r in self.summary().iterrows()
        ]
        cap = _(
            "Shifted-beta-geometric fit to {customers} customers (cohorts: {cohorts}), "
            "log-likelihood {loglik}",
            customers=fm.count(self.n_customers, lang),
            cohorts=fm.count(len(self.observed), lang),
            loglik=fm.number(self.log_likelihood, lang, 2),
        )
        columns = ("", _("estimate"), _("standard error"), _("95% interval"))
        return html_table(rows, columns, caption=cap)


def fit_sbg(active, *, start: tuple[float, float] | None = None) -> SBGFit:
    """Fit the shifted-beta-geometric model by maximum likelihood.

    Parameters
    ----------
    active : array-like
        Active customers per period, period 0 first, for one cohort (``[1000, 631, 468, ...]``); or a list of
        such arrays of different lengths (one per cohort); or a 2-D table, one row per cohort, NaN for
        periods not yet observed.
    start : (alpha, beta), optional
        Starting values (default: from the first-period churn).

    Returns
    -------
    SBGFit

    Examples
    --------
    >>> fit = fit_sbg([1000, 869, 743, 653, 593, 551, 517, 491])  # Fader & Hardie's high-end cohort
    >>> round(fit.alpha, 3), round(fit.beta, 3), round(fit.log_likelihood, 1)
    (0.668, 3.806, -1611.2)
    """
    cohorts = read_cohorts(active)
    d, c = cohort_counts(cohorts)
    if d.sum() + c.sum() == 0:
        raise ValueError("no cohort is observed beyond period 0: nothing to fit")
    if start is None:
        p1 = np.clip(d[0] / max(d[0] + c[0] + (d[1:].sum() + c[1:].sum()), 1), 0.01, 0.9)
        start = (p1, 1.0 - p1)
    x0 = np.log(np.asarray(start, dtype=float))
    best = None
    for guess in (x0, np.zeros(2), np.array([0.0, 2.0])):
        res = optimize.minimize(
            _neg,
            guess,
            args=(d, c),
            jac=True,
            method="L-BFGS-B",
            bounds=[_LOG_BOUNDS, _LOG_BOUNDS],
            options={"ftol": 1e-13, "gtol": 1e-8, "maxiter": 500},
        )
        if best is None or res.fun < best.fun:
            best = res
        if res.success:
            break
    # polish with Newton steps on the log scale (analytic Hessian)
    logp = best.x.copy()
    for _ in range(20):
        a, b = np.exp(logp)
        ll, g, H = _loglik(a, b, d, c, order=2)
        J = np.array([a, b])
        g_log = g * J
        H_log = H * np.outer(J, J) + np.diag(g_log)
        try:
            step = np.linalg.solve(H_log, -g_log)
        except np.linalg.LinAlgError:
            break
        new = np.clip(logp + step, *_LOG_BOUNDS)
        if _loglik(*np.exp(new), d, c) < ll - 1e-9:
            break
        logp = new
        if np.max(np.abs(step)) < 1e-12:
            break
    a, b = np.exp(logp)
    ll, g, H = _loglik(a, b, d, c, order=2)
    J = np.array([a, b])
    H_log = H * np.outer(J, J) + np.diag(g * J)
    at_bound = bool(np.any(np.isclose(logp, _LOG_BOUNDS[0]) | np.isclose(logp, _LOG_BOUNDS[1])))
    try:
        cov_log = np.linalg.inv(-H_log)
        ok = np.all(np.linalg.eigvalsh(-H_log) > 0)
    except np.linalg.LinAlgError:
        cov_log, ok = np.full((2, 2), np.nan), False
    cov = cov_log * np.outer(J, J)  # delta method: d(alpha)/d(log alpha) = alpha
    se = np.sqrt(np.clip(np.diag(cov), 0, None)) if ok else np.full(2, np.nan)
    return SBGFit(
        alpha=float(a),
        beta=float(b),
        alpha_se=float(se[0]),
        beta_se=float(se[1]),
        log_likelihood=float(ll),
        covariance=cov,
        n_customers=round(sum(x[0] for x in cohorts)),
        n_churned=round(d.sum()),
        observed=tuple(cohorts),
        converged=bool(best.success or np.max(np.abs(g * J)) < 1e-4) and ok and not at_bound,
    )


# -- the sBG against constant churn ---------------------------------------------------------------------


def likelihood_ratio(sbg: SBGFit, geometric: GeometricFit) -> tuple[float, float]:
    """LR statistic 2 (LL_sBG - LL_geo) and its p-value.

    The geometric is the sBG's limit alpha, beta -> infinity with alpha / (alpha + beta) fixed, a boundary
    of the parameter space, so the null distribution is the mixture 0.5 chi2(0) + 0.5 chi2(1).
    """
    from scipy import stats

    lr = max(0.0, 2.0 * (sbg.log_likelihood - geometric.log_likelihood))
    p = 0.5 * float(stats.chi2.sf(lr, 1)) if lr > 0 else 1.0
    return lr, p
