"""The model-consistent LTV against closed forms, a direct simulation, and the quoted formula."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import hyp2f1

import cssim
from cssim.model.engine import segment_parameters
from cssim.model.ltv import lifetime_value, monthly_discount
from cssim.model.scenario import Scenario
from cssim.model.sketch import DEFAULT_ALPHA
from cssim.reporting.ltv_note import ltv_sentence
from tests.helpers import three_segments


def _scenario(churn, expansion=None, contraction=None, customers=10, count=1, horizon=12, **extra):
    seg = {
        "name": "A",
        "customers": customers,
        "arpa": 1000,
        "acquisition": {"count": count},
        "churn": churn,
        "gross_margin": 0.7,
        **({"expansion": expansion} if expansion else {}),
        **({"contraction": contraction} if contraction else {}),
    }
    return Scenario.from_dict(
        {"name": "ltv", "horizon_months": horizon, "segments": [seg], **extra}
    )


def _ltv(churn, **kw):
    opts = {k: kw.pop(k) for k in ("discount_rate", "horizon") if k in kw}
    seg = _scenario(churn, **kw).segments[0]
    return lifetime_value(seg, segment_parameters(seg, None), **opts)


def test_constant_churn_matches_the_geometric_closed_form():
    c, e, con, a, m = 0.03, 0.012, 0.004, 1000.0, 0.7
    d = monthly_discount(0.10)
    out = _ltv(
        {"monthly": c},
        expansion={"rate": e, "probability": 0.2},
        contraction={"rate": con, "probability": 0.1},
    )
    # a m sum_{tau>=1} ((1-c)(1+r) d)^(tau-1), r = e - con
    expected = a * m / (1 - (1 - c) * (1 + e - con) * d)
    np.testing.assert_allclose(out["ltv"], expected, rtol=1e-10)
    np.testing.assert_allclose(out["lifetime"], 1 / (1 - (1 - c) * d), rtol=1e-10)


def test_undiscounted_constant_churn_is_the_quoted_formula():
    out = _ltv({"monthly": 0.025}, discount_rate=0.0)
    np.testing.assert_allclose(out["ltv"], 1000 * 0.7 / 0.025, rtol=1e-10)


def test_finite_horizon_is_the_partial_geometric_sum():
    c, d, n = 0.03, monthly_discount(0.05), 40
    x = (1 - c) * d
    out = _ltv({"monthly": c}, discount_rate=0.05, horizon=n)
    np.testing.assert_allclose(out["lifetime"], (1 - x**n) / (1 - x), rtol=1e-12)


@pytest.mark.parametrize("alpha,beta", [(0.7, 12.0), (1.5, 4.0), (3.0, 20.0)])
def test_sbg_discounted_expected_residual_lifetime(alpha, beta):
    d = monthly_discount(0.10)
    out = _ltv({"heterogeneity": {"alpha": alpha, "beta": beta}})
    # sum_k S(k) d^k = 2F1(1, beta; alpha + beta; d) (Fader & Hardie's DERL at tenure 0)
    np.testing.assert_allclose(out["lifetime"], hyp2f1(1, beta, alpha + beta, d), rtol=1e-9)
    # and against a direct sum of S(k) = prod (1 - alpha / (alpha + beta + tau - 1))
    tau = np.arange(1, 20_000)
    s = np.concatenate([[1.0], np.cumprod(1 - alpha / (alpha + beta + tau - 1))])
    np.testing.assert_allclose(out["lifetime"], np.sum(s * d ** np.arange(s.size)), rtol=1e-9)


def test_sbg_undiscounted_diverges_below_alpha_one_and_not_above():
    assert np.isinf(_ltv({"heterogeneity": {"alpha": 0.7, "beta": 12}}, discount_rate=0.0)["ltv"])
    out = _ltv({"heterogeneity": {"alpha": 2.5, "beta": 12}}, discount_rate=0.0)
    np.testing.assert_allclose(out["lifetime"], (2.5 + 12 - 1) / (2.5 - 1), rtol=1e-12)
    # a finite horizon makes the alpha < 1 case finite: the expected months paid in 36 months
    tau = np.arange(1, 36)
    s = np.concatenate([[1.0], np.cumprod(1 - 0.7 / (0.7 + 12 + tau - 1))])
    out = _ltv({"heterogeneity": {"alpha": 0.7, "beta": 12}}, discount_rate=0.0, horizon=36)
    np.testing.assert_allclose(out["lifetime"], s.sum(), rtol=1e-12)


def test_expansion_outpacing_discount_and_churn_diverges():
    out = _ltv({"monthly": 0.001}, expansion={"rate": 0.05, "probability": 0.5})
    assert np.isinf(out["ltv"]) and np.isfinite(out["lifetime"])


def test_onboarding_then_sbg_is_the_shifted_hypergeometric():
    o, k, alpha, beta = 0.08, 3, 0.7, 12.0
    d = monthly_discount(0.10)
    out = _ltv(
        {"onboarding": {"months": k, "monthly": o}, "heterogeneity": {"alpha": alpha, "beta": beta}}
    )
    # months 0..k at (1-o)^j, then sBG from tenure k+1: S(k+j) = (1-o)^k (beta+k)_j / (alpha+beta+k)_j
    head = sum(((1 - o) * d) ** j for j in range(k))
    tail = ((1 - o) * d) ** k * hyp2f1(1, beta + k, alpha + beta + k, d)
    np.testing.assert_allclose(out["lifetime"], head + tail, rtol=1e-9)


def test_annual_contracts_step_at_twelve_and_twenty_four():
    p = 0.2
    out12 = _ltv({"annual_renewal": p}, discount_rate=0.0, horizon=12)
    out13 = _ltv({"annual_renewal": p}, discount_rate=0.0, horizon=13)
    out25 = _ltv({"annual_renewal": p}, discount_rate=0.0, horizon=25)
    # S(k) = 1 for k < 12, 1 - p for 12 <= k < 24, (1 - p)^2 from 24
    np.testing.assert_allclose(out12["lifetime"], 12.0)
    np.testing.assert_allclose(out13["lifetime"], 12.0 + (1 - p))
    np.testing.assert_allclose(out25["lifetime"], 12.0 + 12 * (1 - p) + (1 - p) ** 2)
    d = monthly_discount(0.10)
    year = (1 - d**12) / (1 - d)
    full = _ltv({"annual_renewal": p})
    np.testing.assert_allclose(full["lifetime"], year / (1 - (1 - p) * d**12), rtol=1e-10)


@pytest.mark.parametrize(
    "churn",
    [
        {"monthly": 0.04},
        {"onboarding": {"months": 3, "monthly": 0.1}, "heterogeneity": {"alpha": 0.8, "beta": 6}},
        {"annual_renewal": 0.3},
    ],
)
def test_simulated_new_customers_realise_the_formula(churn):
    """A cohort of tenure-0 customers and no acquisition: its discounted margin over the horizon."""
    H, n0 = 48, 20
    sc = _scenario(
        churn,
        expansion={"rate": 0.01, "probability": 0.25},
        customers=n0,
        count=0,
        horizon=H,
    )
    r = cssim.simulate(sc, paths=4000, seed=7)
    d = monthly_discount(0.10)
    realised = (r["gross_profit"] * d ** np.arange(H + 1)).sum(axis=1) / n0
    formula = lifetime_value(sc.segments[0], segment_parameters(sc.segments[0], None), 0.10, H + 1)
    se = realised.std(ddof=1) / np.sqrt(realised.size)
    assert abs(realised.mean() - formula["ltv"][0]) < 4 * se


def test_result_exposes_both_ltvs_and_counts_undefined_paths():
    # a small enterprise base with rare churn: some paths see no churn in the trailing year
    sc = _scenario({"monthly": 0.004}, customers=15, count=0, horizon=24)
    r = cssim.simulate(sc, paths=500, seed=3)
    ue = r.unit_economics().set_index("kpi")
    quoted = r.get("ltv")[:, -1]
    assert ue.loc["ltv", "undefined_paths"] == np.sum(~np.isfinite(quoted)) > 0
    assert ue.attrs["discount_rate"] == 0.10
    assert "10% a year" in ue.loc["ltv_model", "label"]
    expected = 1000 * 0.7 / (1 - 0.996 * monthly_discount(0.10))
    np.testing.assert_allclose(ue.loc["ltv_model", "median"], expected, rtol=1e-10)
    text = ltv_sentence(r)
    assert f"undefined on {int(ue.loc['ltv', 'undefined_paths'])} of 500 paths" in text


def test_a_scenario_horizon_counts_that_many_months_in_full_and_summary_results():
    """``ltv_horizon_months: H`` makes the model LTV the partial geometric sum
    ``a m (1 - x^H) / (1 - x)``, ``x = (1 - c)(1 + r) d``, finite even where expansion outpaces churn
    and the discount; full and summary results and their labels agree."""
    c, e, h = 0.001, 0.05, 60
    sc = _scenario({"monthly": c}, expansion={"rate": e, "probability": 0.5}, ltv_horizon_months=h)
    x = (1 - c) * (1 + e) * monthly_discount(0.10)
    expected = 1000 * 0.7 * (1 - x**h) / (1 - x)
    for summary in (False, True):
        ue = cssim.simulate(sc, paths=300, seed=2, summary=summary).unit_economics()
        ue = ue.set_index("kpi")
        assert ue.attrs["ltv_horizon_months"] == h
        assert "first 60 months" in ue.loc["ltv_model", "label"]
        assert ue.loc["ltv_model", "undefined_paths"] == 0
        # summary quantiles come from the sketch; the mean is exact in both
        np.testing.assert_allclose(ue.loc["ltv_model", "mean"], expected, rtol=1e-10)
    assert "first 60 months" in ltv_sentence(cssim.simulate(sc, paths=50, seed=2))


def test_a_diverging_ltv_is_explained_and_given_over_ten_years():
    """Where expansion outpaces churn and the discount, the sentence says why the model LTV has no
    limit, on how many paths, and gives it over the first 10 years (the partial sum) in both languages."""
    c, e = 0.001, 0.05
    sc = _scenario({"monthly": c}, expansion={"rate": e, "probability": 0.5})
    r = cssim.simulate(sc, paths=40, seed=2)
    x = (1 - c) * (1 + e) * monthly_discount(0.10)
    ten_years = 1000 * 0.7 * (1 - x**120) / (1 - x)
    text = ltv_sentence(r, money=lambda v: f"{v:.0f}")
    assert "not finite on 40 of 40 paths" in text and "faster than churn and the discount" in text
    assert f"Over the first 10 years of a customer's life it is {ten_years:.0f}" in text
    assert "ltv_horizon_months" in text
    ja = ltv_sentence(r, lang="ja")
    assert "40パスのうち40パス" in ja and "最初の10年間" in ja and "ltv_horizon_months" in ja


def test_the_ltv_horizon_is_validated():
    with pytest.raises(cssim.ScenarioError, match=r"ltv_horizon_months.*at least 1"):
        _scenario({"monthly": 0.02}, ltv_horizon_months=0)


def test_per_path_draws_give_a_spread_and_the_scenario_rate_is_used():
    sc = _scenario({"monthly": [0.01, 0.03]}, discount_rate=0.05)
    r = cssim.simulate(sc, paths=300, seed=5)
    v = r.lifetime_value("A")
    churn = r.parameters()["A.churn.monthly"].to_numpy()
    np.testing.assert_allclose(v, 700 / (1 - (1 - churn) * monthly_discount(0.05)), rtol=1e-10)
    ue = r.unit_economics().set_index("kpi")
    assert ue.loc["ltv_model", "p10"] < ue.loc["ltv_model", "median"] < ue.loc["ltv_model", "p90"]
    assert "5% a year" in ue.loc["ltv_model", "label"]


def test_total_weights_segments_by_new_customers():
    sc = Scenario.from_dict(
        {
            "name": "two",
            "horizon_months": 12,
            "segments": [
                {
                    "name": n,
                    "customers": 100,
                    "arpa": 1000,
                    "acquisition": {"count": k},
                    "churn": {"monthly": c},
                }
                for n, k, c in (("A", 5, 0.02), ("B", 15, 0.05))
            ],
        }
    )
    r = cssim.simulate(sc, paths=50, seed=2)
    from cssim.model.metrics import trailing_sum

    wa = trailing_sum(r.get("new_customers", "A"))[:, -1]
    wb = trailing_sum(r.get("new_customers", "B"))[:, -1]
    blend = (wa * r.lifetime_value("A") + wb * r.lifetime_value("B")) / (wa + wb)
    np.testing.assert_allclose(r.lifetime_value(), blend, rtol=1e-12)


def test_summary_mode_reports_the_model_consistent_ltv_as_the_full_result_does():
    s = three_segments(horizon=24)
    full = cssim.simulate(s, paths=2500, seed=4).unit_economics()
    summ = cssim.simulate(s, paths=2500, seed=4, summary=True).unit_economics()
    assert summ.attrs["discount_rate"] == full.attrs["discount_rate"]
    pick = ["segment", "kpi"]
    a = full[full.kpi.isin(["ltv_model", "lifetime_model"])].set_index(pick)
    b = summ[summ.kpi.isin(["ltv_model", "lifetime_model"])].set_index(pick)
    assert len(a) == len(b) == 8 and a.index.equals(b.index)
    np.testing.assert_array_equal(a["undefined_paths"], b["undefined_paths"])
    np.testing.assert_allclose(b["mean"], a["mean"], rtol=1e-12)  # means are exact
    ok = np.isfinite(a["median"])
    # quantiles from the sketch: within its relative error
    np.testing.assert_allclose(b["median"][ok], a["median"][ok], rtol=2 * DEFAULT_ALPHA)
