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


def mix_normals(
    parts: list[tuple[float, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    r"""The normal with the mean and covariance of a mixture ``sum_k w_k N(mu_k, S_k)`` (moment matched).

    .. math:: \mu = \sum_k w_k \mu_k, \qquad
              \Sigma = \sum_k w_k \left(S_k + (\mu_k - \mu)(\mu_k - \mu)^T\right)
    """
    w = np.array([p[0] for p in parts], float)
    w = w / w.sum()
    mu = sum(wk * np.asarray(p[1], float) for wk, p in zip(w, parts, strict=True))
    cov = sum(
        wk * (np.asarray(p[2], float) + np.outer(np.asarray(p[1]) - mu, np.asarray(p[1]) - mu))
        for wk, p in zip(w, parts, strict=True)
    )
    return mu, cov


def score_weights(scores: dict, origins: int) -> dict:
    """Pseudo-Bayesian-model-averaging weights from held-out log scores summed over ``origins``
    overlapping forecast origins: ``w_f ~ exp(S_f / origins)`` (the mean score per origin, so windows
    that overlap are not counted as independent evidence)."""
    if not scores:
        return {}
    top = max(scores.values())
    raw = {f: math.exp((v - top) / max(origins, 1)) for f, v in scores.items()}
    total = sum(raw.values())
    return {f: v / total for f, v in raw.items()}


def _acquisition(
    new: np.ndarray, customers: np.ndarray, holdout: int | None = None, only: str | None = None
) -> AcquisitionFit | None:
    """Fit every acquisition form; choose by the Poisson log-likelihood of held-out months.

    At each forecast origin c (rolling, :func:`_origins`; or the one origin ``T - holdout``), each form is
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
    origins = [T - holdout] if holdout is not None and T - holdout >= 6 else _origins(T, 2 / 3)
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


@dataclass(frozen=True)
class HoldoutCheck:
    """Fit on months up to ``cutoff``; predict the active customers of those cohorts afterwards.

    ``table`` has per held-out month the actual and predicted active customers under each churn form
    (``sbg``, ``onboarding``: a higher churn for the first months of tenure, ``constant``); ``mape`` the mean
    absolute percentage error of each (NaN for a form that could not be fitted).
    """

    cutoff: str
    table: pd.DataFrame
    mape: dict
    sbg: SBGFit | None
    geometric: GeometricFit | None
    onboarding: ChurnForm | None = None


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
    # the same cohorts' tenure cells up to the cutoff (the opening base, of unknown tenure, left out)
    cells = churn_cells(data).upto(cut)
    onb = _fit_churn_form("onboarding", ChurnCells(cells.cohort, cells.base[:0]))
    rows = []
    for t in range(cut + 1, T + 1):
        actual = pred_s = pred_g = pred_o = 0.0
        for s, a, k in keep:
            j = t - s
            if j >= len(a):
                continue
            actual += a[j]
            pred_g += a[k] * (1 - geo.churn) ** (j - k)
            if sbg is not None:
                pred_s += a[k] * sbg.survival(j) / sbg.survival(k)
            if onb is not None:
                pred_o += a[k] * float(np.prod(1.0 - onb.hazard(np.arange(k + 1, j + 1))))
        rows.append(
            {
                "month": str(data.months[t]),
                "actual": actual,
                "sbg": pred_s if sbg is not None else np.nan,
                "onboarding": pred_o if onb is not None else np.nan,
                "constant": pred_g,
            }
        )
    table = pd.DataFrame(rows).set_index("month")
    table = table[table["actual"] > 0]
    if table.empty:
        return None
    mape = {
        k: float((table[k] - table["actual"]).abs().div(table["actual"]).mean())
        for k in ("sbg", "onboarding", "constant")
    }
    return HoldoutCheck(
        cutoff=str(data.months[cut]),
        table=table,
        mape=mape,
        sbg=sbg,
        geometric=geo,
        onboarding=onb,
    )


# -- churn forms on tenure cells: constant, onboarding, sBG ------------------------------------------------


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


def _origins(T: int, fraction: float) -> list[int]:
    """Forecast origins of a rolling holdout: from ``round(T x fraction)`` months (at least 6) to 3
    months before the end, every 3 months. Each origin fits on the months before it and forecasts every
    later month, so the fits scored are close to the fit on all months that will forecast."""
    first = max(6, round(T * fraction))
    return list(range(first, T - 2, 3))


def _choose_churn(
    cells: ChurnCells, T: int, fraction: float, only: str | None = None
) -> tuple[ChurnForm, dict, str]:
    """Fit every churn form; choose by the log-likelihood of the churn of held-out months.

    ``only`` fits that one form and skips the choice (a study that knows the true form).

    Rolling origins (:func:`_origins`): at each origin c, each form is fitted to the months up to c and
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
    origins = _origins(T, fraction)
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

    ``tenure`` is what the scenario's ``starting_tenure`` gets: an int, or ``{min, max, weights}``, the
    observed tenure mix of today's customers (:func:`_tenure_mix`).
    """

    customers: int
    mrr: float
    arpa: float
    tenure: int | dict = 0
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


def _tenure_mix(
    tenures: np.ndarray | None,
    form: ChurnForm,
    months: int | None = None,
    mrr: np.ndarray | None = None,
) -> int | dict:
    """The scenario's ``starting_tenure``: today's customers by completed tenure, as observed.

    Constant churn: 0 (tenure does not matter). Onboarding over k months: tenures above k are pooled at
    k (past onboarding in the first forecast month). sBG: every observed tenure; customers active since
    the first of the ``months`` months get that tenure plus the opening base's fitted age (at most 600).
    With each active customer's ``mrr``, ``arpa_ratios`` give each tenure's mean MRR over the mean.
    """
    if tenures is None or len(tenures) == 0 or form.form == "monthly":
        return 0
    top = form.months if form.form == "onboarding" else 600
    t = np.asarray(tenures, int)
    if (
        form.form == "sbg" and months is not None
    ):  # the opening base: its fitted age in month 0 added
        t = np.where(t >= months - 1, t + round(form.base_age), t)
    t = np.minimum(t, top)
    lo, hi = int(t.min()), int(t.max())
    if lo == hi:
        return lo
    counts = np.bincount(t - lo, minlength=hi - lo + 1)
    out = {"min": lo, "max": hi, "weights": [float(c) for c in counts]}
    if mrr is not None and len(mrr) == len(t) and np.all(mrr > 0):
        sums = np.bincount(t - lo, weights=mrr, minlength=hi - lo + 1)
        mean = float(mrr.mean())
        ratios = np.where(counts > 0, sums / np.maximum(counts, 1) / mean, 1.0)
        out["arpa_ratios"] = [float(f"{r:.6g}") for r in ratios]
    return out


# -- all fits in one object ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Fits:
    """Every fitted piece of a calibration, passed around as one object.

    ``churn_model`` is the form the scenario uses, ``"monthly"``, ``"onboarding"`` or ``"sbg"``;
    ``churn_form`` its fit (:class:`ChurnForm`, with the covariance the scenario's joint carries),
    ``churn_scores`` every form's held-out log-likelihood and ``churn_chosen_by`` how it was chosen.
    ``sbg``, ``churn_cohorts``, ``lr_test`` (sBG against constant churn on the observed-start cohorts:
    statistic, p) and ``holdout`` (mean absolute errors of predicted active customers) are reported
    beside it.
    """

    churn: GeometricFit
    churn_cohorts: GeometricFit | None
    sbg: SBGFit | None
    churn_model: str
    churn_form: ChurnForm
    churn_scores: dict
    churn_chosen_by: str
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
    forms: dict | None = None,
) -> Fits:
    """Fit churn, movements, acquisition, new-customer ARPA and the starting state.

    Churn: constant, onboarding and sBG fitted to churn by tenure (:func:`_fit_churn_form`); a
    tenure-dependent form must beat constant churn by likelihood ratio (p < ``LR_LEVEL``), then the forms
    are compared on held-out months from rolling forecast origins (:func:`_choose_churn`; constant and
    onboarding averaged). Acquisition likewise (:func:`_acquisition`). The starting state is today's
    customers by observed tenure (:func:`_tenure_mix`). ``forms`` fixes either choice
    (``{"churn": ..., "acquisition": ...}``).
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
    forms = forms or {}
    form, scores, chosen_by = _choose_churn(
        churn_cells(d), len(d.months) - 1, holdout_fraction, forms.get("churn")
    )
    churn_model = form.form
    expansion = contraction = new_arpa = None
    if d.M is not None:
        expansion = _movement(history, "expansion")
        contraction = _movement(history, "contraction")
        new_arpa = _new_arpa(d.M)
    acquisition = _acquisition(d.new, d.customers, only=forms.get("acquisition"))
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
    if tenures is None:  # a cohort table: the cohorts still observed in the last month
        last = len(d.months) - 1
        pairs = [(len(arr) - 1, arr[-1]) for _, st, arr in d.cohorts if st + len(arr) - 1 == last]
        tenures = np.repeat([p[0] for p in pairs], [round(p[1]) for p in pairs]).astype(int)
    tenure = _tenure_mix(
        tenures,
        form,
        len(d.months) if d.M is not None else None,
        d.M[d.M[:, -1] > 0, -1] if d.M is not None else None,
    )
    start = StartingState(customers, mrr, a, tenure, tenures)
    return Fits(
        churn=churn,
        churn_cohorts=churn_c,
        sbg=sbg,
        churn_model=churn_model,
        churn_form=form,
        churn_scores=scores,
        churn_chosen_by=chosen_by,
        lr_test=lr,
        expansion=expansion,
        contraction=contraction,
        acquisition=acquisition,
        holdout=holdout,
        new_arpa=new_arpa,
        start=start,
        notes=tuple(notes),
    )
