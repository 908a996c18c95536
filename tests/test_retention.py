"""The shifted-beta-geometric fit: published figures, pooled cohorts, standard errors, identities, DERL."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from scipy import special

from cssim.data.retention import SBGFit, cohort_counts, fit_geometric, fit_sbg, likelihood_ratio

#: Fader & Hardie (2007), Table 1: customers still active at the start of years 0..7 (1000 each at year 0).
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


def test_fader_hardie_2007_published_estimates():
    """Fader, P. S. & Hardie, B. G. S. (2007), "How to project customer retention", Journal of Interactive
    Marketing 21(1), 76-90: sBG maximum-likelihood fits to the first 7 years of each cohort.

    Published: high end alpha = 0.668, beta = 3.806, LL = -1611.2; regular alpha = 0.704, beta = 1.182,
    LL = -1680.3. NB: the issue text swapped the two cohorts; the data settle it, since the first-year churn
    alpha / (alpha + beta) must be about 1 - 631/1000 = 0.37 for the regular cohort (0.704 / 1.886 = 0.373)
    and 1 - 869/1000 = 0.13 for the high-end one (0.668 / 4.474 = 0.149).

    Checked with the search tool against public replications of the paper: an R replication ("Projecting
    Customer Retention in R", optim on the high-end data -> alpha 0.6677, beta 3.8025, -LL 1611.158, quoting
    the paper's 0.668 / 3.806 / -1611.2); a PyMC-Marketing cohort notebook ("Shifted Beta-Geometric Modeling
    with Cohorts", reference values highend [0.668, 3.806], regular [0.704, 1.182]); a Fader-Hardie model
    script whose notes read "BG LL = -1611.16, alpha = 0.668, beta = 3.806" and "geom LL = -1637.09,
    theta = 0.103" for the same data.
    """
    high = fit_sbg(HIGH_END)
    assert (round(high.alpha, 3), round(high.beta, 3)) == (0.668, 3.806)
    assert round(high.log_likelihood, 1) == -1611.2
    regular = fit_sbg(REGULAR)
    assert (round(regular.alpha, 3), round(regular.beta, 3)) == (0.704, 1.182)
    assert round(regular.log_likelihood, 1) == -1680.3
    assert high.converged and regular.converged


def test_geometric_published_figure_and_likelihood_ratio():
    """Constant churn on the high-end cohort: theta = 0.103, LL = -1637.09 (same sources as above)."""
    geo = fit_geometric(HIGH_END)
    assert round(geo.churn, 3) == 0.103
    assert round(geo.log_likelihood, 2) == -1637.09
    lr, p = likelihood_ratio(fit_sbg(HIGH_END), geo)
    assert lr == pytest.approx(2 * (1637.09 - 1611.16), abs=0.02)
    assert p < 1e-10


def test_pooled_fit_with_unequal_cohort_lengths():
    rng = np.random.default_rng(7)
    alpha, beta = 1.2, 5.0
    cohorts = []
    for length in range(3, 15):  # cohorts observed 2..13 periods, as in a real triangle
        n = 800
        theta = rng.beta(alpha, beta, size=n)
        life = rng.geometric(theta)  # periods until churn, 1 = churned in the first period
        active = [(life > t).sum() for t in range(length)]
        cohorts.append(np.array(active, dtype=float))
    fit = fit_sbg(cohorts)
    assert abs(fit.alpha - alpha) < 4 * fit.alpha_se
    assert abs(fit.beta - beta) < 4 * fit.beta_se
    # the same data as a 2-D table with NaN for periods not observed give the same fit
    table = np.full((len(cohorts), 14), np.nan)
    for i, a in enumerate(cohorts):
        table[i, : len(a)] = a
    same = fit_sbg(table)
    assert same.alpha == pytest.approx(fit.alpha, rel=1e-8)
    assert same.log_likelihood == pytest.approx(fit.log_likelihood, rel=1e-12)
    # each cohort contributes its churners per period and its survivors censored at its last period
    d, c = cohort_counts(cohorts)
    assert d.sum() == sum(a[0] - a[-1] for a in cohorts)
    assert c.sum() == sum(a[-1] for a in cohorts)


def test_pooling_adds_log_likelihoods():
    a, b = fit_sbg([HIGH_END, HIGH_END]), fit_sbg(HIGH_END)
    assert a.alpha == pytest.approx(b.alpha, rel=1e-6)
    assert a.log_likelihood == pytest.approx(2 * b.log_likelihood, rel=1e-10)
    # halving the standard errors by sqrt(2) with twice the data
    assert a.alpha_se == pytest.approx(b.alpha_se / math.sqrt(2), rel=1e-4)


def _loglik(alpha, beta, data):
    t = np.arange(1, len(data))
    churn = -np.diff(np.asarray(data, float))
    lp = special.betaln(alpha + 1, beta + t - 1) - special.betaln(alpha, beta)
    ls = special.betaln(alpha, beta + t[-1]) - special.betaln(alpha, beta)
    return churn @ lp + data[-1] * ls


def test_standard_errors_match_numerical_hessian():
    fit = fit_sbg(HIGH_END)
    x = np.log([fit.alpha, fit.beta])
    h = 1e-4
    H = np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            ei, ej = np.eye(2)[i] * h, np.eye(2)[j] * h

            def f(v):
                return _loglik(*np.exp(v), HIGH_END)

            H[i, j] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (
                4 * h * h
            )
    cov = np.linalg.inv(-H) * np.outer(np.exp(x), np.exp(x))
    assert fit.alpha_se == pytest.approx(math.sqrt(cov[0, 0]), rel=1e-3)
    assert fit.beta_se == pytest.approx(math.sqrt(cov[1, 1]), rel=1e-3)
    assert fit.covariance[0, 1] == pytest.approx(cov[0, 1], rel=1e-3)


def test_standard_errors_agree_with_parametric_bootstrap():
    """Refit 60 cohorts simulated from the high-end fit: the spread of log(alpha), log(beta) matches the
    reported relative SEs (delta method) within 30% (the bootstrap SD itself has ~9% sampling error)."""
    fit = fit_sbg(HIGH_END)
    rng = np.random.default_rng(2024)
    est = []
    for _ in range(60):
        theta = rng.beta(fit.alpha, fit.beta, size=1000)
        life = rng.geometric(theta)
        est.append(
            np.log([(lambda f: (f.alpha, f.beta))(fit_sbg([(life > t).sum() for t in range(8)]))])
        )
    est = np.array(est)[:, 0, :]
    sd = est.std(axis=0, ddof=1)
    assert sd[0] == pytest.approx(fit.alpha_se / fit.alpha, rel=0.30)
    assert sd[1] == pytest.approx(fit.beta_se / fit.beta, rel=0.30)


def test_survival_retention_churn_identities():
    f = fit_sbg(REGULAR)
    t = np.arange(1, 30)
    S = f.survival(np.arange(0, 30))
    assert S[0] == 1.0
    assert np.all(np.diff(S) < 0)
    np.testing.assert_allclose(S[1:] / S[:-1], f.retention_rate(t), rtol=1e-12)
    np.testing.assert_allclose(f.churn_probability(t), 1 - f.retention_rate(t), rtol=1e-12)
    np.testing.assert_allclose(
        f.churn_probability(t), f.alpha / (f.alpha + f.beta + t - 1), rtol=1e-14
    )
    # P(T = t) = S(t - 1) - S(t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)
    p = np.exp(special.betaln(f.alpha + 1, f.beta + t - 1) - special.betaln(f.alpha, f.beta))
    np.testing.assert_allclose(S[:-1] - S[1:], p, rtol=1e-10)
    # retention rises with tenure (the sorting effect)
    assert np.all(np.diff(f.retention_rate(t)) > 0)
    assert f.mean_churn == pytest.approx(f.churn_probability(1))


@pytest.mark.parametrize("discount", [0.05, 0.1, 0.25])
@pytest.mark.parametrize("renewals", [0, 1, 4, 10])
def test_derl_matches_direct_sum(discount, renewals):
    """DERL (Fader & Hardie 2010, eq. 6) for a customer who has made ``renewals`` = n - 1 renewals:
    sum over t >= n of S(t) / S(n - 1) / (1 + d)^(t - n), the next renewal undiscounted."""
    for f in (fit_sbg(REGULAR), fit_sbg(HIGH_END)):
        n = renewals + 1
        t = np.arange(n, n + 20_000)
        direct = np.sum(f.survival(t) / f.survival(n - 1) * np.exp(-(t - n) * math.log1p(discount)))
        assert f.derl(discount, renewals=renewals) == pytest.approx(direct, abs=1e-8)


def test_derl_conventions_and_limits():
    f = fit_sbg(HIGH_END)
    # a customer further into the relationship is worth more (they are more likely a low-churn type)
    values = [f.derl(0.1, renewals=r) for r in range(6)]
    assert np.all(np.diff(values) > 0)
    # homogeneous limit: huge alpha and beta with mean churn c -> (1 - c)(1 + d) / (d + c)
    c, d = 0.2, 0.1
    k = 1e6
    homo = SBGFit(
        alpha=c * k,
        beta=(1 - c) * k,
        alpha_se=0,
        beta_se=0,
        log_likelihood=0,
        covariance=np.zeros((2, 2)),
    )
    assert homo.derl(d) == pytest.approx((1 - c) * (1 + d) / (d + c), rel=1e-5)
    with pytest.raises(ValueError):
        f.derl(0.0)
    with pytest.raises(ValueError):
        f.derl(0.1, renewals=-1)


def test_result_object_renders():
    f = fit_sbg(HIGH_END)
    assert "alpha=0.6681" in repr(f)
    assert "<table>" in f._repr_html_()
    s = f.summary()
    assert list(s.index) == ["alpha", "beta"]
    assert (s["lower_95"] < s["estimate"]).all() and (s["estimate"] < s["upper_95"]).all()
    ax = f.plot(horizon=12)
    assert ax.get_xlabel() == "tenure (periods)"
    table = f.fitted_vs_observed()
    np.testing.assert_allclose(table["observed"], np.array(HIGH_END) / 1000)


def test_bad_input():
    with pytest.raises(ValueError, match="never increase"):
        fit_sbg([100, 90, 95])
    with pytest.raises(ValueError, match="NaN inside"):
        fit_sbg([100, np.nan, 80])
    with pytest.raises(ValueError):
        fit_sbg([100])
