"""Churn by tenure: the cells of exposure, three churn forms fitted to them (constant, onboarding,
shifted-beta-geometric) and the form chosen on held-out months (:func:`_choose_churn`).

Each form's ``covariance`` (the inverse observed information of its parameters, on the logit or log
scale) is what the calibrated scenario's ``joint`` carries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from dataclasses import replace as _replace

import numpy as np
from scipy import optimize, stats

from .form_choice import forecast_origins, mix_normals, score_weights
from .history import BillingHistory

__all__ = ["CHURN_FORMS", "LR_LEVEL", "ONBOARDING_MONTHS", "ChurnCells", "ChurnForm", "churn_cells"]


#: Onboarding periods tried (months of tenure with their own churn probability).
ONBOARDING_MONTHS = (1, 2, 3, 4, 5, 6)
CHURN_FORMS = ("monthly", "onboarding", "sbg")


@dataclass(frozen=True)
class ChurnCells:
    """Churn exposure by calendar month and tenure.

    ``cohort``: rows ``(month t, tenure tau, at risk n, churned d)`` of customers whose start is observed
    (first spells); ``base``: rows ``(month t, at risk n, churned d)`` of the opening base (customers active
    in month 0, whose tenure is only known to be at least ``t`` in month ``t``).
    """

    cohort: np.ndarray
    base: np.ndarray

    def upto(self, cut: int) -> ChurnCells:
        return ChurnCells(self.cohort[self.cohort[:, 0] <= cut], self.base[self.base[:, 0] <= cut])


def churn_cells(d: BillingHistory) -> ChurnCells:
    rows = []
    for _, s, a in d.cohorts:
        for j in range(1, len(a)):
            if a[j - 1] > 0:
                rows.append((s + j, j, a[j - 1], a[j - 1] - a[j]))
    base = []
    if d.M is not None:
        run = np.cumprod(d.M[d.M[:, 0] > 0] > 0, axis=1).sum(0).astype(float)
        base = [(t, run[t - 1], run[t - 1] - run[t]) for t in range(1, len(run)) if run[t - 1] > 0]
    return ChurnCells(np.array(rows, float).reshape(-1, 4), np.array(base, float).reshape(-1, 3))


def _binll(n, d, h) -> float:
    h = np.clip(np.asarray(h, float), 1e-12, 1 - 1e-12)
    return float((d * np.log(h) + (n - d) * np.log1p(-h)).sum())


@dataclass(frozen=True)
class ChurnForm:
    """One fitted churn form.

    ``form``: ``monthly`` (h = ``monthly``), ``onboarding`` (h = ``onboarding`` for tau <= ``months``,
    ``monthly`` after) or ``sbg`` (h = alpha / (alpha + beta + tau - 1)). ``log_likelihood`` is over the
    cells it was fitted to; ``covariance`` is the inverse observed information of its parameters on their
    scales (logit for probabilities, log for alpha and beta), in the order of ``names``.
    """

    form: str
    monthly: float = math.nan
    onboarding: float = math.nan
    months: int = 0
    alpha: float = math.nan
    beta: float = math.nan
    base_age: float = 0.0
    names: tuple = ()
    covariance: np.ndarray = field(default=None, repr=False)
    log_likelihood: float = math.nan
    converged: bool = True

    def hazard(self, tau) -> np.ndarray:
        tau = np.asarray(tau, float)
        if self.form == "sbg":
            return self.alpha / (self.alpha + self.beta + tau - 1.0)
        if self.form == "onboarding":
            return np.where(tau <= self.months, self.onboarding, self.monthly)
        return np.full(tau.shape, self.monthly)

    def base_hazard(self, t) -> np.ndarray:
        """Hazard of the opening base in month t (its tenure is ``base_age + t``; past onboarding when
        t > months)."""
        t = np.asarray(t, float)
        if self.form == "sbg":
            return self.alpha / (self.alpha + self.beta + self.base_age + t - 1.0)
        return self.hazard(t + 1000.0)

    @property
    def sd(self) -> np.ndarray:
        return np.sqrt(np.diag(self.covariance))


def _rate(n: float, d: float) -> tuple[float, float]:
    """A binomial MLE and the variance of its logit, ``1 / (n c (1 - c))`` (c kept off 0 and 1)."""
    c = min(max(d / n, 0.5 / n), 1 - 0.5 / n) if n > 0 else math.nan
    return c, 1.0 / (n * c * (1 - c)) if n > 0 else math.nan


def _fit_churn_form(form: str, cells: ChurnCells) -> ChurnForm | None:
    """Maximum likelihood of one churn form on ``cells`` (binomial churn per cell, hazard by tenure).

    monthly: every cell, the opening base included; onboarding: the base counts toward the later hazard
    only in months t > k (its tenure is then past onboarding whatever it was in month 0), ``k`` chosen
    by the likelihood of the observed-start cohorts; sBG: the observed-start cohorts only (its hazard
    needs the tenure). Variances: inverse observed information (binomial: ``1 / (n c (1 - c))`` on the
    logit; sBG: the Hessian of the log-likelihood in log alpha, log beta).
    """
    C, B = cells.cohort, cells.base
    tau, n, d = C[:, 1], C[:, 2], C[:, 3]
    if form == "monthly":
        N, D = n.sum() + B[:, 1].sum(), d.sum() + B[:, 2].sum()
        if N <= 0:
            return None
        c, v = _rate(N, D)
        ll = _binll(n, d, c) + _binll(B[:, 1], B[:, 2], c)
        return ChurnForm(
            "monthly",
            monthly=c,
            names=("churn.monthly",),
            covariance=np.array([[v]]),
            log_likelihood=ll,
        )
    if form == "onboarding":
        best = None
        for k in ONBOARDING_MONTHS:
            early = tau <= k
            late_b = B[:, 0] > k
            n1, d1 = n[early].sum(), d[early].sum()
            n2 = n[~early].sum() + B[late_b, 1].sum()
            d2 = d[~early].sum() + B[late_b, 2].sum()
            if n1 <= 0 or n2 <= 0:
                continue
            p, vp = _rate(n1, d1)
            c, vc = _rate(n2, d2)
            score = _binll(n, d, np.where(early, p, c))
            if best is None or score > best[0]:
                best = (score, k, p, vp, c, vc)
        if best is None:
            return None
        score, k, p, vp, c, vc = best
        late_b = B[:, 0] > k
        ll = score + _binll(B[late_b, 1], B[late_b, 2], c)
        return ChurnForm(
            "onboarding",
            monthly=c,
            onboarding=p,
            months=k,
            names=("churn.onboarding.monthly", "churn.monthly"),
            covariance=np.diag([vp, vc]),
            log_likelihood=ll,
        )
    if len(C) == 0 or d.sum() <= 0:
        return None
    bt, bn, bd = B[:, 0], B[:, 1], B[:, 2]
    with_base = len(B) > 0 and bn.sum() > 0

    def nll(x):
        a, b = np.exp(x[:2])
        out = -_binll(n, d, a / (a + b + tau - 1.0))
        if with_base:  # the opening base: tenure base_age + t, base_age = exp(x[2]) fitted too
            out -= _binll(bn, bd, a / (a + b + math.exp(x[2]) + bt - 1.0))
        return out

    q = 3 if with_base else 2
    bounds = [(-8, 12), (-8, 14), (-6, 8)][:q]
    best = None
    for x0 in ((0.0, 2.0, 0.0), (1.0, 4.0, 2.0), (-1.0, 1.0, 4.0)):
        r = optimize.minimize(nll, np.array(x0[:q]), method="L-BFGS-B", bounds=bounds)
        if best is None or r.fun < best.fun:
            best = r
    x = best.x
    lo, hi = np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])
    edge = np.isclose(x, lo, atol=1e-3) | np.isclose(x, hi, atol=1e-3)
    # observed information by central differences on the log scale; a base age at its bound is fixed
    free = [i for i in range(q) if i < 2 or not edge[i]]
    hstep = 1e-3
    H = np.empty((len(free), len(free)))
    for a_, i in enumerate(free):
        for b_, j in enumerate(free):
            ei, ej = np.eye(q)[i] * hstep, np.eye(q)[j] * hstep
            H[a_, b_] = (
                nll(x + ei + ej) - nll(x + ei - ej) - nll(x - ei + ej) + nll(x - ei - ej)
            ) / (4 * hstep * hstep)
    try:
        cov = np.linalg.inv(H)[:2, :2]
        ok = bool(np.all(np.isfinite(cov)) and np.all(np.linalg.eigvalsh(cov) > 0))
    except np.linalg.LinAlgError:
        cov, ok = np.full((2, 2), np.nan), False
    a, b = np.exp(x[:2])
    return ChurnForm(
        "sbg",
        alpha=float(a),
        beta=float(b),
        base_age=float(math.exp(x[2])) if with_base else 0.0,
        names=("churn.heterogeneity.alpha", "churn.heterogeneity.beta"),
        covariance=cov,
        log_likelihood=-float(best.fun),
        converged=bool(best.success) and ok and not bool(edge[:2].any()),
    )


def _churn_score(form: ChurnForm, cells: ChurnCells) -> float:
    C, B = cells.cohort, cells.base
    return _binll(C[:, 2], C[:, 3], form.hazard(C[:, 1])) + _binll(
        B[:, 1], B[:, 2], form.base_hazard(B[:, 0])
    )


def _choose_churn(
    cells: ChurnCells, T: int, fraction: float, only: str | None = None
) -> tuple[ChurnForm, dict, str]:
    """Fit every churn form; choose by the log-likelihood of the churn of held-out months.

    ``only`` fits that one form and skips the choice (a study that knows the true form).

    Rolling origins (:func:`~cssim.data.form_choice.forecast_origins`): at each origin c, each form is fitted to the months up to c and
    scored by ``sum log Binomial(d | n, h)`` over every later cell (the same cells for every form: the
    observed-start cohorts at their tenure, the opening base past onboarding); the scores are summed over
    origins and the best form is refitted to every month. With too few months for a holdout, AIC among
    the forms that pass the likelihood ratio against constant churn.
    """
    if only is not None:
        given = _fit_churn_form(only, cells)
        if given is not None and given.converged:
            return given, {}, "given"
    full = {f: _fit_churn_form(f, cells) for f in CHURN_FORMS}
    full = {f: v for f, v in full.items() if v is not None and v.converged}
    # a tenure-dependent form must also beat constant churn on the cells it was fitted to
    full = {f: v for f, v in full.items() if f == "monthly" or _lr_p(v, cells) < LR_LEVEL}
    scores: dict = {}
    origins = forecast_origins(T, fraction)
    for c in origins:
        later = ChurnCells(cells.cohort[cells.cohort[:, 0] > c], cells.base[cells.base[:, 0] > c])
        if not (later.cohort[:, 3].sum() + later.base[:, 2].sum() > 0):
            continue
        train = cells.upto(c)
        for f in full:
            part = _fit_churn_form(f, train)
            if part is None or not part.converged:
                scores[f] = -math.inf
                continue
            scores[f] = scores.get(f, 0.0) + _churn_score(part, later)
    scores = {f: v for f, v in scores.items() if np.isfinite(v)}
    if not scores:
        # too few months: AIC among the forms that pass the likelihood ratio (fitted to the same cells:
        # onboarding leaves out the opening base's first months, so it competes only without a base)
        same = {f: v for f, v in full.items() if f != "onboarding" or len(cells.base) == 0}
        aic = {f: 2 * len(v.names) - 2 * v.log_likelihood for f, v in same.items()}
        best = min(aic, key=aic.get)
        return (
            full[best],
            scores,
            "AIC (too few months for a holdout) among the forms that pass the "
            "likelihood ratio against constant churn",
        )
    best = max(scores, key=scores.get)
    how = (
        f"held-out log-likelihood of churn from {len(origins)} forecast origins "
        f"(months {origins[0]} to {origins[-1]})"
    )
    w = score_weights(scores, len(origins))
    if best in ("monthly", "onboarding") and {"monthly", "onboarding"} <= set(scores):
        w_o = w["onboarding"] / (w["monthly"] + w["onboarding"])
        if w_o >= 0.01:
            return (
                _average_onboarding(full["monthly"], full["onboarding"], w_o),
                scores,
                (
                    f"{how}; constant and onboarding churn averaged, weights {1 - w_o:.2f} and "
                    f"{w_o:.2f}"
                ),
            )
    return full[best], scores, how


#: Significance a tenure-dependent churn form needs against constant churn (likelihood ratio).
LR_LEVEL = 0.01


def _lr_p(form: ChurnForm, cells: ChurnCells) -> float:
    """p-value of the likelihood ratio of ``form`` against constant churn fitted to the same cells.

    Onboarding: chi-squared with 2 degrees of freedom (its probability and its months; the opening base
    counts only past month k); sBG: half chi-squared with 1 (constant churn is its boundary, beta ->
    infinity), the opening base's age not counted as a parameter.
    """
    C, B = cells.cohort, cells.base
    if form.form == "onboarding":
        B = B[B[:, 0] > form.months]
        df = 2
    n = np.r_[C[:, 2], B[:, 1]]
    d = np.r_[C[:, 3], B[:, 2]]
    c, _ = _rate(n.sum(), d.sum())
    lr = max(0.0, 2 * (form.log_likelihood - _binll(n, d, c)))
    if form.form == "onboarding":
        return float(stats.chi2.sf(lr, df))
    return 0.5 * float(stats.chi2.sf(lr, 1)) if lr > 0 else 1.0


def _logit(p: float) -> float:
    return math.log(p) - math.log1p(-p)


def _average_onboarding(m: ChurnForm, o: ChurnForm, w_o: float) -> ChurnForm:
    """Constant and onboarding churn averaged (constant churn is onboarding at the same probability):
    the moment-matched mixture (:func:`mix_normals`) of (logit onboarding, logit later) churn."""
    lm, v = _logit(m.monthly), float(m.covariance[0, 0])
    mu, cov = mix_normals(
        [
            (1 - w_o, np.array([lm, lm]), np.full((2, 2), v)),
            (w_o, np.array([_logit(o.onboarding), _logit(o.monthly)]), o.covariance),
        ]
    )
    expit = lambda y: 1.0 / (1.0 + math.exp(-y))  # noqa: E731
    return _replace(o, onboarding=expit(mu[0]), monthly=expit(mu[1]), covariance=cov)
