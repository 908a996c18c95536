"""Tier 1: the Monte Carlo against MODEL.md's closed forms, within about 4 standard errors.

Every stochastic check uses a fixed seed; with k = 4 a correct engine fails by chance about once in
16,000 checks, and a wrong one (a bias of a few standard errors) fails reliably.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

import cssim
from tests.helpers import assert_mc_close, one_segment

PATHS = 4000


def test_customers_follow_the_growth_against_churn_closed_form():
    s = cssim.load_scenario("scenarios/growth-vs-churn.yaml")
    r = cssim.simulate(s, paths=PATHS, seed=11)
    m = 1.2 ** (1 / 12) - 1
    assert m == pytest.approx(0.01531, abs=5e-6)  # MODEL.md's figure
    assert (1 + m - 0.03) ** 12 == pytest.approx(0.837, abs=5e-4)
    for t in (1, 6, 12, 24, 36):
        assert_mc_close(r["customers"][:, t], 1000 * (1 + m - 0.03) ** t)


@pytest.mark.parametrize("e,d", [(0.0, 0.0), (0.02, 0.0), (0.015, 0.01)])
def test_nrr_and_grr_closed_forms(e, d):
    extra = {}
    if e:
        extra["expansion"] = {"rate": e, "probability": 0.2}
    if d:
        extra["contraction"] = {"rate": d, "probability": 0.1}
    c = 0.02
    s = one_segment(horizon=24, churn={"monthly": c}, **extra)
    r = cssim.simulate(s, paths=PATHS, seed=5)
    for t in (12, 18, 24):
        assert_mc_close(r["nrr"][:, t], ((1 - c) * (1 + e - d)) ** 12)
        assert_mc_close(r["grr"][:, t], ((1 - c) * (1 - d)) ** 12)
    assert np.isnan(r["nrr"][:, :12]).all()


def test_cohort_mrr_grows_by_retention_times_expansion():
    """E[MRR at s + k of the customers active at s] = MRR_s ((1 - c)(1 + e - d))^k, here s = 0."""
    c, e, d = 0.025, 0.01, 0.004
    s = one_segment(
        horizon=30,
        churn={"monthly": c},
        acquisition={"count": 0},
        expansion={"rate": e, "probability": 0.05},
        contraction={"rate": d, "probability": 0.05},
    )
    r = cssim.simulate(s, paths=PATHS, seed=3)
    mrr0 = 1000 * 50_000
    for k in (1, 12, 30):
        assert_mc_close(r["mrr"][:, k], mrr0 * ((1 - c) * (1 + e - d)) ** k)


@pytest.mark.parametrize("alpha,beta", [(0.7, 3.8), (2.0, 10.0)])
def test_sbg_survival_curve(alpha, beta):
    """A single cohort under shifted-beta-geometric churn: S(t) = B(alpha, beta + t) / B(alpha, beta)."""
    s = one_segment(
        horizon=24,
        acquisition={"count": 0},
        churn={"heterogeneity": {"alpha": alpha, "beta": beta}},
    )
    r = cssim.simulate(s, paths=PATHS, seed=8)
    for t in (1, 2, 6, 12, 24):
        surv = special.beta(alpha, beta + t) / special.beta(alpha, beta)
        assert_mc_close(r["customers"][:, t], 1000 * surv)
    # the retention curve flattens: month-on-month retention rises with tenure
    mean = r.mean("customers")
    retention = mean[1:] / mean[:-1]
    assert np.all(np.diff(retention) > 0)


def test_annual_renewals_churn_only_at_renewal():
    r_churn = 0.07
    s = one_segment(horizon=36, acquisition={"count": 0}, churn={"annual_renewal": r_churn})
    r = cssim.simulate(s, paths=PATHS, seed=2)
    cust = r["customers"]
    churned = r["churned_customers"]
    # nobody leaves between renewals
    between = [t for t in range(1, 37) if t % 12]
    assert not churned[:, between].any()
    for t in (12, 24, 36):
        assert_mc_close(cust[:, t], 1000 * (1 - r_churn) ** (t // 12))
    assert_mc_close(r["logo_churn_rate"][:, 12], r_churn)


def test_annual_renewals_spread_over_starting_tenures():
    s = one_segment(
        horizon=24,
        acquisition={"count": 0},
        churn={"annual_renewal": 0.12},
        starting_tenure={"min": 0, "max": 11},
    )
    r = cssim.simulate(s, paths=PATHS, seed=4)
    # 1000 customers over 12 tenures: 84 x 4 + 83 x 8; each cohort renews once in months 1..12
    churned = r["churned_customers"][:, 1:13]
    assert (churned.sum(0) > 0).all()
    assert_mc_close(r["customers"][:, 12], 1000 * 0.88)
    assert_mc_close(r["customers"][:, 24], 1000 * 0.88**2)


def test_onboarding_churn_then_steady_churn():
    c_onb, k, c = 0.10, 3, 0.02
    s = one_segment(
        horizon=12,
        acquisition={"count": 0},
        churn={"monthly": c, "onboarding": {"months": k, "monthly": c_onb}},
    )
    r = cssim.simulate(s, paths=PATHS, seed=6)
    for t in (1, 3, 4, 12):
        assert_mc_close(
            r["customers"][:, t], 1000 * (1 - c_onb) ** min(t, k) * (1 - c) ** max(t - k, 0)
        )


def test_count_acquisition_with_growth():
    s = one_segment(horizon=24, acquisition={"count": 40, "growth": 0.02}, churn={"monthly": 0.0})
    r = cssim.simulate(s, paths=PATHS, seed=9)
    for t in (1, 12, 24):
        assert_mc_close(r["new_customers"][:, t], 40 * 1.02 ** (t - 1))
    # Poisson: variance equals the mean
    new = r["new_customers"][:, 1]
    assert new.var(ddof=1) == pytest.approx(40, rel=4 * np.sqrt(2 / (PATHS - 1)))


def test_a_fading_growth_keeps_its_endurance_each_year():
    """n prod_{k=1}^{t-1} (1 + g p^((k-1)/12)): growth g now, p g a year later, levelling off."""
    n, g, p = 40, 0.03, 0.5
    s = one_segment(
        horizon=48, acquisition={"count": n, "growth": g, "endurance": p}, churn={"monthly": 0.0}
    )
    r = cssim.simulate(s, paths=PATHS, seed=9)
    phi = p ** (1 / 12)
    for t in (1, 2, 13, 25, 48):
        assert_mc_close(r["new_customers"][:, t], n * np.prod(1 + g * phi ** np.arange(t - 1)))
    # the month-on-month growth a year on is p g (exactly, in expectation)
    ex = cssim.expected(s)["new_customers"].to_numpy()
    assert ex[14] / ex[13] - 1 == pytest.approx(p * g, rel=1e-12)
    assert ex[2] / ex[1] - 1 == pytest.approx(g, rel=1e-12)
    # levelling off below the undamped path
    assert ex[48] < n * (1 + g) ** 47 / 2
    assert ex[48] < n * np.prod(1 + g * phi ** np.arange(2000))
    # an endurance of 1 is the undamped growth, bit for bit
    flat = one_segment(horizon=24, acquisition={"count": n, "growth": g, "endurance": 1.0})
    plain = one_segment(horizon=24, acquisition={"count": n, "growth": g})
    a, b = cssim.simulate(flat, paths=1000, seed=3), cssim.simulate(plain, paths=1000, seed=3)
    np.testing.assert_array_equal(a["customers"], b["customers"])


def test_endurance_is_refused_with_a_rate():
    with pytest.raises(Exception, match="endurance"):
        one_segment(acquisition={"rate": 0.2, "endurance": 0.8})


def test_churned_mrr_is_the_churned_customers_share():
    s = one_segment(horizon=12, churn={"monthly": 0.05})
    r = cssim.simulate(s, paths=PATHS, seed=10)
    # with no expansion every customer pays ARPA, so churned MRR = churned x ARPA exactly
    np.testing.assert_allclose(r["churned_mrr"], r["churned_customers"] * 50_000, rtol=1e-6)
    assert_mc_close(r["logo_churn_rate"][:, 5], 0.05)


def test_uncertain_churn_is_drawn_once_per_path():
    s = one_segment(
        horizon=12,
        acquisition={"count": 0},
        churn={"monthly": {"kind": "uniform", "low": 0.01, "high": 0.05}},
    )
    r = cssim.simulate(s, paths=PATHS, seed=12)
    draws = r.parameters()["All.churn.monthly"].to_numpy()
    assert draws.min() >= 0.01 and draws.max() <= 0.05
    assert_mc_close(draws, 0.03)
    # E[C_12] = N0 E[(1 - c)^12] over c ~ U(0.01, 0.05)
    exact = 1000 * ((0.99**13 - 0.95**13) / 13) / 0.04
    assert_mc_close(r["customers"][:, 12], exact)
    # paths with higher churn lose more customers
    assert np.corrcoef(draws, r["customers"][:, 12])[0, 1] < -0.9


def test_new_annual_cohorts_renew_twelve_months_after_joining():
    """With new customers every month, nobody churns in months 1-11; month 12 is only the starting
    cohort's renewal (E = N0 r) and month t > 12 only the renewal of the cohort that joined at t - 12
    (E = count r)."""
    r_churn, count = 0.2, 50
    s = one_segment(horizon=30, acquisition={"count": count}, churn={"annual_renewal": r_churn})
    r = cssim.simulate(s, paths=PATHS, seed=13)
    churned = r["churned_customers"]
    assert not churned[:, 1:12].any()
    assert_mc_close(churned[:, 12], 1000 * r_churn)
    for t in (13, 20):
        assert_mc_close(churned[:, t], count * r_churn)
    # month 24: the cohort that joined at month 12, plus the starting cohort's second renewal
    assert_mc_close(churned[:, 24], count * r_churn + 1000 * (1 - r_churn) * r_churn)


def test_the_customer_bound_follows_a_fading_growth():
    """200 new customers a month growing 10% a month, keeping 60% of that growth a year: about 4e5
    new customers in 20 years, a scenario to accept; the same growth never fading would pass 1e9."""
    from cssim.model.count_trend import CountTrend
    from cssim.model.errors import ScenarioError

    acq = {"count": 200, "growth": 0.10}
    assert CountTrend(200, 0.10, 0.6, 240).path(240).sum() < 1e6
    one_segment(horizon=240, acquisition={**acq, "endurance": 0.6})
    with pytest.raises(ScenarioError, match="could reach"):
        one_segment(horizon=240, acquisition=acq)
