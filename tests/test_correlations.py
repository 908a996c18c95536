"""Rank correlations between uncertain parameters (``correlations:``): checked, imposed, reproducible.

The contracts (docs/MODEL.md, "Correlated parameters"): at 10,000 paths the draws' Spearman matrix is
within 0.02 of the asked one, between any of the seven distribution kinds and across segments; each
parameter's draws in a block are a permutation of its uncorrelated draws; the numbers do not depend on
how the work is split; common random numbers hold; bad or inconsistent correlations are refused with
the pair that breaks them and the closest consistent matrix, in English and Japanese.
"""

from __future__ import annotations

import numpy as np
import pytest

import cssim
from cssim.analysis.levers import levers
from cssim.analysis.sensitivity import fix_inputs, tornado
from cssim.model.correlation import (
    asked_matrix,
    correlation_plan,
    nearest_correlation,
    repaired,
    spearman,
)
from cssim.model.engine import simulate_blocks
from cssim.model.expected import expected
from cssim.words.errors_text import scenario_error_text
from tests.helpers import assert_mc_close

#: Seven uncertain parameters, one of each distribution kind, in two segments.
SEGMENTS = [
    {
        "name": "SMB",
        "customers": 1000,
        "arpa": {"kind": "lognormal", "mean": 30_000, "sd": 5_000},
        "acquisition": {"rate": {"kind": "uniform", "low": 0.1, "high": 0.3}},
        "churn": {"monthly": {"kind": "beta", "mean": 0.025, "sd": 0.006}},
        "expansion": {"rate": {"kind": "triangular", "low": 0.0, "mode": 0.005, "high": 0.015}},
    },
    {
        "name": "Enterprise",
        "customers": 100,
        "arpa": {"kind": "normal", "mean": 300_000, "sd": 30_000},
        "acquisition": {"rate": 0.1},
        "churn": {"monthly": {"kind": "pert", "low": 0.005, "mode": 0.01, "high": 0.02}},
        "expansion": {"rate": [0.005, 0.02]},
    },
]
PAIRS = [
    {"a": "SMB.churn.monthly", "b": "SMB.expansion.rate", "rho": -0.5},
    {"a": "SMB.churn.monthly", "b": "Enterprise.churn.monthly", "rho": 0.6},
    {"a": "SMB.acquisition.rate", "b": "SMB.arpa", "rho": -0.3},
    {"a": "Enterprise.arpa", "b": "Enterprise.expansion.rate", "rho": 0.4},
    {"a": "SMB.expansion.rate", "b": "Enterprise.expansion.rate", "rho": 0.3},
    {"a": "SMB.arpa", "b": "Enterprise.arpa", "rho": 0.2},
]


def scenario(pairs=PAIRS, horizon: int = 3, **extra) -> cssim.Scenario:
    data = {"name": "correlated", "horizon_months": horizon, "segments": SEGMENTS, **extra}
    if pairs is not None:
        data["correlations"] = pairs
    return cssim.Scenario.from_dict(data, source="corr.yaml")


def draws(result) -> np.ndarray:
    return result.parameters()[list(result.scenario.uncertain())].to_numpy()


@pytest.fixture(scope="module")
def runs():
    """10,000 paths with and without the correlations (same seed)."""
    return {
        "with": cssim.simulate(scenario(), paths=10_000, seed=11),
        "without": cssim.simulate(scenario(None), paths=10_000, seed=11),
    }


def test_seven_kinds_across_segments_reach_the_asked_matrix_within_0_02(runs):
    s = runs["with"].scenario
    names, asked = asked_matrix(s)
    assert names == list(s.uncertain())  # every parameter is named: the whole matrix is asked
    got = spearman(draws(runs["with"]))
    assert np.abs(got - asked).max() <= 0.02, np.round(got - asked, 3)
    # without correlations the same draws are near independent (the check can fail)
    free = spearman(draws(runs["without"]))
    assert np.abs(free - asked).max() > 0.25


def test_each_parameter_keeps_its_own_draws_block_by_block(runs):
    a, b = draws(runs["with"]), draws(runs["without"])
    for block in range(10):
        rows = slice(1000 * block, 1000 * (block + 1))
        np.testing.assert_array_equal(np.sort(a[rows], axis=0), np.sort(b[rows], axis=0))
    assert not np.array_equal(a, b)


def test_first_paths_equal_a_shorter_run_and_splitting_changes_nothing(runs):
    s = runs["with"].scenario
    full = draws(runs["with"])
    np.testing.assert_array_equal(draws(cssim.simulate(s, paths=1000, seed=11)), full[:1000])
    # a shorter last block takes the first rows of its whole block's design
    np.testing.assert_array_equal(draws(cssim.simulate(s, paths=2400, seed=11)), full[:2400])
    together = simulate_blocks(s, 11, [(0, 1000), (1, 400)])
    alone = simulate_blocks(s, 11, [(1, 400)])
    for seg in s.segment_names:
        for k, v in alone[0][seg]["params"].items():
            np.testing.assert_array_equal(together[1][seg]["params"][k], v)
    parallel = cssim.simulate(s, paths=2400, seed=11, jobs=2)
    np.testing.assert_array_equal(draws(parallel), full[:2400])
    np.testing.assert_array_equal(parallel["arr"], cssim.simulate(s, paths=2400, seed=11)["arr"])


def test_common_random_numbers_hold_between_scenarios():
    """A changed parameter value keeps every draw's place: the other parameters draw the same
    numbers and the changed one the same ranks."""
    base = scenario()
    moved = base.replace({"segments[0].churn.monthly": {"kind": "beta", "mean": 0.02, "sd": 0.006}})
    a, b = cssim.simulate(base, paths=2000, seed=4), cssim.simulate(moved, paths=2000, seed=4)
    pa, pb = a.parameters(), b.parameters()
    for col in pa.columns:
        if col == "SMB.churn.monthly":
            np.testing.assert_array_equal(np.argsort(pa[col]), np.argsort(pb[col]))
            assert (pb[col] < pa[col]).mean() > 0.95
        else:
            np.testing.assert_array_equal(pa[col], pb[col])


def test_expected_path_honours_the_correlations():
    """The expected path integrates over a normal copula with the asked rank correlations: the Monte
    Carlo mean is within 4 standard errors of it, and of the independent expected path it is not."""
    s = scenario([{"a": "SMB.churn.monthly", "b": "SMB.acquisition.rate", "rho": -0.9}], horizon=36)
    mc = cssim.simulate(s, paths=6000, seed=2)["customers"][:, -1]
    assert_mc_close(mc, expected(s)["customers"].iloc[-1])
    free = expected(scenario(None, horizon=36))["customers"].iloc[-1]
    assert abs(free - mc.mean()) > 4 * mc.std() / np.sqrt(mc.size)


def test_fixing_a_parameter_drops_its_correlations_and_the_tornado_runs():
    s = scenario()
    fixed = fix_inputs(s, {"SMB.churn.monthly": 0.02})
    assert all("SMB.churn.monthly" not in (c.a, c.b) for c in fixed.correlations)
    assert len(fixed.correlations) == len(PAIRS) - 2
    medians = fix_inputs(s, {p: d.median() for p, d in s.uncertain().items()})
    assert medians.correlations is None
    assert len(tornado(s).frame) == 7


def test_a_lever_on_one_segment_sees_the_same_worlds():
    """With correlations a segment's lever runs the whole scenario, so its effect is exactly the
    difference of two whole runs on common random numbers."""
    s = scenario(horizon=12)
    lr = levers(s, paths=1000, seed=3, names=["price_rel"], per_segment=True)
    base = cssim.simulate(s, paths=1000, seed=3)
    price = cssim.simulate(
        s.replace({"segments[1].arpa": {"kind": "normal", "mean": 330_000, "sd": 33_000}}),
        paths=1000,
        seed=3,
    )
    got = lr.effects[("price_rel", "Enterprise")]["arr"]
    want = price.get("arr", "Enterprise")[:, -1] - base.get("arr", "Enterprise")[:, -1]
    np.testing.assert_allclose(got, want, rtol=1e-6)


# -- checks ------------------------------------------------------------------------------------------


def _error(pairs, **extra) -> tuple[str, str]:
    with pytest.raises(cssim.ScenarioError) as e:
        scenario(pairs, **extra)
    return str(e.value), scenario_error_text(e.value, "ja")


def test_names_must_be_uncertain_parameters():
    en, ja = _error([{"a": "SMB.churn.monthly", "b": "SMB.customers", "rho": 0.3}])
    assert (
        "correlations[0].b: 'SMB.customers' is not allowed: SMB.customers is a fixed number" in en
    )
    assert "固定の数値" in ja
    en, ja = _error([{"a": "SMB.churn.montly", "b": "SMB.arpa", "rho": 0.3}])
    assert "correlations[0].a" in en and "not an uncertain parameter of this scenario" in en
    assert "SMB.churn.monthly, SMB.expansion.rate" in en  # what is allowed
    assert "不確実なパラメータではありません" in ja
    en, ja = _error([{"a": "SMB.arpa", "b": "SMB.arpa", "rho": 0.3}])
    assert "two different parameters" in en and "異なる2つのパラメータ" in ja


def test_rho_is_between_minus_one_and_one_and_each_pair_is_given_once():
    en, ja = _error([{"a": "SMB.arpa", "b": "Enterprise.arpa", "rho": 1.2}])
    assert "correlations[0].rho: 1.2 is not allowed: must be at most 1" in en
    assert "1 以下" in ja
    en, ja = _error(
        [
            {"a": "SMB.arpa", "b": "Enterprise.arpa", "rho": 0.2},
            {"a": "Enterprise.arpa", "b": "SMB.arpa", "rho": 0.3},
        ]
    )
    assert "correlations[1]: the pair Enterprise.arpa and SMB.arpa is already given in" in en
    assert "すでに指定" in ja


INCONSISTENT = [
    {"a": "SMB.churn.monthly", "b": "SMB.expansion.rate", "rho": 0.9},
    {"a": "SMB.churn.monthly", "b": "SMB.arpa", "rho": 0.9},
    {"a": "SMB.expansion.rate", "b": "SMB.arpa", "rho": -0.9},
]


def test_an_inconsistent_matrix_names_the_pair_and_prints_the_closest_one():
    en, ja = _error(INCONSISTENT)
    # with the first pair at 0.9 and the third not yet given (0), the second can reach
    # sqrt(1 - 0.9^2) = 0.436 at most: it is the pair that breaks the matrix
    assert "correlations[1].rho: 0.9 is not allowed" in en
    assert "SMB.churn.monthly and SMB.arpa can have a rho of at most 0.436" in en
    assert "0.436 以下" in ja
    down, down_ja = _error([INCONSISTENT[0], {**INCONSISTENT[1], "rho": -0.9}])
    assert "can have a rho of at least -0.436" in down and "-0.436 以上" in down_ja
    assert "correlations_repair: true" in en and "半正定値" in ja
    closest = en.split("closest consistent correlations are ")[1].split(": write")[0]
    values = [float(p.rsplit(" ", 1)[1]) for p in closest.split(", ")]
    assert len(values) == 3
    names = ["SMB.churn.monthly", "SMB.expansion.rate", "SMB.arpa"]
    assert all(n in closest for n in names)


def test_repair_uses_the_closest_matrix_and_reaches_it():
    s = scenario(INCONSISTENT, correlations_repair=True)
    plan = correlation_plan(s)
    assert plan.repaired
    assert np.linalg.eigvalsh(plan.spearman)[0] >= -1e-9
    # the closest matrix moves every pair towards consistency, no further than needed
    names, asked = asked_matrix(s)
    assert np.linalg.norm(plan.spearman - asked) < np.linalg.norm(np.eye(3) - asked)
    got = spearman(cssim.simulate(s, paths=10_000, seed=5).parameters()[names].to_numpy())
    assert np.abs(got - plan.spearman).max() <= 0.02


def test_higham_nearest_correlation_matrix():
    a = np.array([[1, 1, 0], [1, 1, 1], [0, 1, 1]], dtype=float)  # Higham's (2002) example
    x = nearest_correlation(a)
    want = np.array([[1, 0.7607, 0.1573], [0.7607, 1, 0.7607], [0.1573, 0.7607, 1]])
    np.testing.assert_allclose(x, want, atol=2e-4)
    np.testing.assert_allclose(np.diag(repaired(a)), 1.0)
    assert np.linalg.eigvalsh(repaired(a))[0] >= -1e-9


def test_a_joint_parameter_may_not_be_correlated_and_says_why():
    segs = [dict(SEGMENTS[0]), SEGMENTS[1]]
    segs[0]["churn"] = {"monthly": 0.025}
    segs[0]["joint"] = {
        "parameters": ["churn.monthly"],
        "scales": ["logit"],
        "covariance": [[0.04]],
    }
    data = {"name": "j", "segments": segs}
    data["correlations"] = [{"a": "SMB.churn.monthly", "b": "Enterprise.arpa", "rho": 0.5}]
    with pytest.raises(cssim.ScenarioError) as e:
        cssim.Scenario.from_dict(data)
    assert "is drawn by its segment's joint, whose covariance already sets" in str(e.value)
    assert "共分散" in scenario_error_text(e.value, "ja")
    # other parameters of the same scenario correlate beside the joint
    data["correlations"] = [{"a": "SMB.arpa", "b": "Enterprise.arpa", "rho": 0.5}]
    r = cssim.simulate(cssim.Scenario.from_dict(data), paths=3000, seed=1)
    got = spearman(r.parameters()[["SMB.arpa", "Enterprise.arpa"]].to_numpy())[0, 1]
    assert abs(got - 0.5) <= 0.03


@pytest.mark.slow
def test_a_dask_cluster_draws_the_same_correlated_stratified_numbers():
    distributed = pytest.importorskip("distributed")
    s = cssim.Scenario.from_dict({**scenario().to_dict(), "sampling": "sobol"})
    local = cssim.simulate(s, paths=2500, seed=6)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        remote = cssim.simulate(s, paths=2500, seed=6, scheduler=cluster.scheduler_address)
    np.testing.assert_array_equal(draws(local), draws(remote))
    np.testing.assert_array_equal(local["arr"], remote["arr"])


def test_a_sweep_over_a_correlated_parameter_drops_its_correlations():
    from cssim.analysis.sweep import sweep

    s = scenario(horizon=2)
    out = sweep(s, {"churn.monthly": [0.02, 0.03]}, paths=200, seed=1)
    assert len(out.table) == 2
