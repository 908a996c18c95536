"""Tornado against closed forms; global sensitivity on cases with known answers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from cssim.analysis.sensitivity import fix_inputs, global_sensitivity, tornado
from tests.helpers import one_segment

H = 36


def arr(c: float, arpa: float, g: float, n0: float = 1000) -> float:
    """MODEL.md: E[customers_H] = N0 (1 + m - c)^H with no expansion, so E[ARR_H] = 12 ARPA of that."""
    m = (1 + g) ** (1 / 12) - 1
    return 12 * arpa * n0 * (1 + m - c) ** H


@pytest.fixture(scope="module")
def three_inputs():
    return one_segment(
        horizon=H,
        churn={"monthly": {"kind": "beta", "mean": 0.025, "sd": 0.004}},
        arpa=[45_000, 55_000],
        acquisition={"rate": {"kind": "uniform", "low": 0.1, "high": 0.3}},
        cac={"kind": "uniform", "low": 100_000, "high": 500_000},
    )


def test_tornado_matches_the_closed_form_and_sorts_by_spread(three_inputs):
    s = three_inputs
    unc = s.uncertain()
    med = {p: d.median() for p, d in unc.items()}
    t = tornado(s)
    assert t.base == pytest.approx(
        arr(med["All.churn.monthly"], med["All.arpa"], med["All.acquisition.rate"]), rel=1e-9
    )
    want = {}
    for path, d in unc.items():
        lo, hi = d.ppf(0.1), d.ppf(0.9)
        vals = []
        for v in (lo, hi):
            x = {**med, path: v}
            vals.append(arr(x["All.churn.monthly"], x["All.arpa"], x["All.acquisition.rate"]))
        want[path] = vals
        row = t.frame.set_index("input").loc[path]
        assert row.at_p10 == pytest.approx(vals[0], rel=1e-9)
        assert row.at_p90 == pytest.approx(vals[1], rel=1e-9)
    order = sorted(want, key=lambda p: -abs(want[p][1] - want[p][0]))
    assert list(t.frame.input) == order
    assert order[-1] == "All.cac" and t.frame.spread.iloc[-1] == 0.0  # CAC does not move ARR
    assert t.frame.spread.iloc[0] > t.frame.spread.iloc[1] > 0
    ax = t.plot()
    assert len(ax.patches) == 2 * len(unc)
    assert "All.churn.monthly" in repr(t) and "<table" in t._repr_html_()


def test_tornado_by_simulation_agrees_with_the_expected_path(three_inputs):
    t = tornado(three_inputs, method="simulate", paths=400, seed=2)
    e = tornado(three_inputs)
    # the mean of 400 paths is within a few per cent of the expected path (process noise only)
    np.testing.assert_allclose(
        t.frame.set_index("input").at_p90, e.frame.set_index("input").at_p90, rtol=0.02
    )


def test_fix_inputs_sets_numbers_and_rounds_customers():
    s = one_segment(customers=[800, 1200], churn={"monthly": [0.02, 0.04]})
    fixed = fix_inputs(s, {"All.customers": 1000.4, "All.churn.monthly": 0.03})
    assert fixed.segments[0].customers == 1000
    assert fixed.segments[0].churn.monthly == 0.03
    assert fixed.uncertain() == {}


def test_one_uncertain_input_explains_almost_everything_and_a_dummy_nothing():
    s = one_segment(
        horizon=H,
        churn={"monthly": {"kind": "beta", "mean": 0.025, "sd": 0.006}},
        cac={"kind": "uniform", "low": 100_000, "high": 500_000},
    )
    g = global_sensitivity(s, paths=2000, seed=5, bootstrap=100)
    f = g.frame.set_index("input")
    churn, cac = f.loc["All.churn.monthly"], f.loc["All.cac"]
    assert churn.spearman < -0.95  # more churn, less ARR, almost one-to-one in rank
    assert churn.first_order > 0.85
    assert abs(cac.spearman) <= 4 * cac.spearman_se
    assert abs(cac.first_order) <= 4 * cac.first_order_se
    assert list(g.frame.input) == ["All.churn.monthly", "All.cac"]
    ax = g.plot()
    assert ax.get_xlim() == (-1.05, 1.05)
    assert "rho" in repr(g)


def first_order_index(x: np.ndarray, y: np.ndarray, bins: int = 20) -> float:
    """The hand-made cross-check: ``Var(E[Y | X]) / Var(Y)`` by equal-count bins of ``x``,
    bias-corrected, ``S = (SSB - (B - 1) MSW) / SST`` (the epsilon-squared of a one-way ANOVA)."""
    n = y.size
    groups = np.array_split(y[np.argsort(x, kind="stable")], bins)
    mean = y.mean()
    sst = float(((y - mean) ** 2).sum())
    ssb = sum(g.size * (g.mean() - mean) ** 2 for g in groups)
    msw = sum(((g - g.mean()) ** 2).sum() for g in groups) / (n - bins)
    return float((ssb - (bins - 1) * msw) / sst)


def test_first_order_index_recovers_a_known_share_of_variance():
    rng = np.random.default_rng(0)
    n = 20_000
    x1, x2 = rng.random(n), rng.random(n)
    y = x1 + 0.5 * x2  # Var = 1/12 + 0.25/12: S1 = 0.8, S2 = 0.2
    assert first_order_index(x1, y) == pytest.approx(0.8, abs=0.02)
    assert first_order_index(x2, y) == pytest.approx(0.2, abs=0.02)
    assert first_order_index(rng.random(n), y) == pytest.approx(0.0, abs=0.01)


def test_salib_first_order_agrees_with_the_binned_cross_check(three_inputs):
    """The library's RBD-FAST index (SALib) and the binned estimate agree within their errors."""
    g = global_sensitivity(three_inputs, paths=3000, seed=2, bootstrap=100)
    from cssim import simulate

    r = simulate(three_inputs, paths=3000, seed=2)
    y, x = r["arr"][:, -1], r.parameters()
    for row in g.frame.itertuples():
        binned = first_order_index(x[row.input].to_numpy(), y)
        assert abs(row.first_order - binned) <= 4 * row.first_order_se + 0.02, row.input
