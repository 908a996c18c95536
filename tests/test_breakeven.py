"""Break-even churn and expansion against MODEL.md's closed forms; goal seeking checked by Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

import cssim
from cssim.analysis.breakeven import (
    breakeven_churn,
    breakeven_expansion,
    breakeven_table,
    goal_seek,
)
from cssim.analysis.levers import apply_lever
from cssim.analysis.sensitivity import fix_inputs
from tests.helpers import assert_mc_close, one_segment, three_segments

M = 1.2 ** (1 / 12) - 1


def test_growth_against_churn_breaks_even_at_1_531_percent():
    s = cssim.load_scenario("scenarios/growth-vs-churn.yaml")
    b = breakeven_churn(s)
    assert b.method.startswith("closed form")
    assert float(b) == pytest.approx(0.01531, abs=5e-6)
    assert b.value == M and b.current == 0.03
    row = breakeven_table(s).iloc[0]
    assert row.avg_monthly_churn_now == pytest.approx(0.03, rel=1e-9)  # constant churn: exactly c
    assert row.avg_monthly_churn_breakeven == pytest.approx(M, rel=1e-9)
    # the Monte Carlo at that churn keeps the base flat (within 4 standard errors), at every month
    r = cssim.simulate(s.replace({"segments.0.churn.monthly": b.value}), paths=2000, seed=12)
    for t in (12, 36):
        assert_mc_close(r["customers"][:, t], 1000.0)


def test_numeric_route_agrees_with_the_closed_form_and_the_monte_carlo():
    # onboarding churn equal to the steady churn changes nothing but forces the numeric route
    s = one_segment(churn={"monthly": 0.03, "onboarding": {"months": 2, "monthly": 0.03}})
    e = breakeven_expansion(s)
    assert e.method.startswith("numeric")
    assert e.value == pytest.approx(1 / 0.97 - 1, abs=1e-8)
    b = breakeven_churn(s)
    assert b.method.startswith("numeric")
    # only the steady churn moves (onboarding stays at 3%), so it must sit below m
    assert b.value < M
    r = cssim.simulate(s.replace({"segments.0.churn.monthly": b.value}), paths=2000, seed=13)
    assert_mc_close(r["customers"][:, 36], 1000.0)


def test_count_acquisition_breaks_even_where_the_geometric_sum_is_flat():
    n0, n, H = 1000, 20, 36
    s = one_segment(horizon=H, acquisition={"count": n})

    def flat(c):  # E[C_H] = N0 (1 - c)^H + n sum_{k<H} (1 - c)^k
        return n0 * (1 - c) ** H + n * sum((1 - c) ** k for k in range(H)) - n0

    assert breakeven_churn(s).value == pytest.approx(brentq(flat, 1e-6, 0.5, xtol=1e-14), abs=1e-9)
    assert breakeven_churn(s).value == pytest.approx(0.02, abs=1e-9)  # n = c N0 keeps it flat


def test_annual_renewals_have_an_exact_answer():
    """40 customers at tenures 0..11 and 1 new a month: 40 = 40 x^3 + 12 (1 + x + x^2), x = 0.7."""
    s = one_segment(
        customers=40,
        starting_tenure={"min": 0, "max": 11},
        acquisition={"count": 1},
        churn={"annual_renewal": 0.07},
    )
    b = breakeven_churn(s)
    assert b.parameter == "churn.annual_renewal"
    assert b.value == pytest.approx(0.3, abs=1e-9)
    table = breakeven_table(s)
    # 7% at each renewal: about 0.6% a month on average; 30% at renewal about 2.7%
    assert table.avg_monthly_churn_now[0] < 0.01 < table.avg_monthly_churn_breakeven[0] < 0.04


def test_sbg_break_even_is_a_first_month_churn_that_keeps_the_base_flat():
    s = one_segment(churn={"heterogeneity": {"alpha": 0.8, "beta": 12.0}})
    b = breakeven_churn(s)
    beta = 0.8 * (1 - b.value) / b.value
    flat = cssim.expected(s.replace({"segments.0.churn.heterogeneity.beta": beta}))["customers"]
    assert flat.iloc[-1] == pytest.approx(1000.0, rel=1e-8)


@pytest.mark.parametrize("c,d", [(0.03, 0.0), (0.01, 0.005)])
def test_expansion_for_nrr_of_100_percent(c, d):
    extra = {"contraction": {"rate": d, "probability": 0.1}} if d else {}
    s = one_segment(horizon=24, churn={"monthly": c}, **extra)
    b = breakeven_expansion(s)
    assert b.value == pytest.approx(1 / (1 - c) - 1 + d, rel=1e-12)
    assert ((1 - c) * (1 + b.value - d)) ** 12 == pytest.approx(1.0, rel=1e-12)
    at = s.replace({"segments.0.expansion": {"rate": b.value, "probability": 0.2}})
    assert cssim.expected(at)["nrr"].iloc[24] == pytest.approx(1.0, rel=1e-9)


def test_several_segments_share_one_factor_and_the_table_lists_them():
    s = three_segments(horizon=24)
    # break-even figures are for the central case: uncertain inputs at their medians
    central = fix_inputs(s, {p: d.median() for p, d in s.uncertain().items()})
    b = breakeven_churn(s)
    assert b.segment == "total" and set(b.levels) == set(s.segment_names)
    flat = cssim.expected(apply_lever(central, "churn_rel", 1 - b.value))["customers"]
    assert flat.iloc[-1] == pytest.approx(flat.iloc[0], rel=1e-8)
    e = breakeven_expansion(s)
    rates = {"SMB": 0.0, "Mid": central.segment("Mid").expansion.rate, "Enterprise": 0.015}
    assert e.levels == pytest.approx({k: v + e.value for k, v in rates.items()})
    changed = central.replace(
        {f"segments.{k}.expansion": {"rate": v, "probability": 0.3} for k, v in e.levels.items()}
    )
    assert cssim.expected(changed)["nrr"].iloc[24] == pytest.approx(1.0, abs=1e-8)
    table = breakeven_table(s)
    assert list(table.segment) == ["SMB", "Mid", "Enterprise", "total"]
    assert {"churn_breakeven", "expansion_breakeven", "churn_method"} <= set(table.columns)


def test_goal_seek_churn_for_80_percent_chance_of_growth():
    s = one_segment(horizon=24, acquisition={"rate": {"kind": "uniform", "low": 0.1, "high": 0.3}})
    g = goal_seek(s, "churn.monthly", 0.8, paths=1000, seed=7)
    assert g.probability >= 0.8 and g.limit > g.value
    assert g.se == pytest.approx(np.sqrt(g.probability * (1 - g.probability) / 1000))
    ev = g.evaluations.sort_values("value")
    assert np.all(np.diff(ev.probability.to_numpy()) <= 0)  # monotone on common random numbers
    # without process noise, P(grow) >= 80% means m(g) > c for 80% of acquisition rates:
    # c ~ m at the 20th percentile of g; process noise moves it only a little
    g20 = 0.1 + 0.2 * 0.2
    assert g.value == pytest.approx((1 + g20) ** (1 / 12) - 1, abs=0.0008)
    # an independent Monte Carlo at the answer: P(ARR grows) within 4 standard errors of 80%
    n = 4000
    r = cssim.simulate(s.replace({"segments.0.churn.monthly": g.value}), paths=n, seed=99)
    p = np.mean(r["arr"][:, 24] > r["arr"][:, 0])
    se = np.sqrt(0.8 * 0.2 / n + g.se**2)  # the answer itself carries the search run's error
    assert abs(p - 0.8) <= 4 * se


def test_goal_seek_on_an_uncertain_field_scales_its_distribution_and_reports_failures():
    s = one_segment(horizon=12, churn={"monthly": {"kind": "beta", "mean": 0.02, "sd": 0.005}})
    g = goal_seek(s, "All.churn.monthly", 0.5, paths=300, seed=1, bracket=(0.001, 0.05))
    assert 0.001 < g.value < 0.05 and g.probability >= 0.5
    none = goal_seek(s, "churn.monthly", 0.5, paths=300, seed=1, bracket=(0.04, 0.05))
    assert np.isnan(none.value) and "no value" in none.note
    grow = goal_seek(s, "acquisition_rel", 0.5, paths=300, seed=1, bracket=(0.0, 3.0))
    assert grow.value > 0 and grow.probability >= 0.5  # a lever's size works as the field
    with pytest.raises(KeyError, match="unknown goal"):
        goal_seek(s, "churn.monthly", 0.5, metric="happiness")
