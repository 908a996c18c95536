"""How uncertain parameters are drawn: plain (the default), Latin hypercube or scrambled Sobol.

The contracts (docs/MODEL.md, "Sampling"): the default draws are unchanged; a stratified design is made
per block from each parameter's own stream, so the first 1,000 paths equal a 1,000-path run and jobs give
the same numbers; LHS puts one draw in each of the block's 1,000 strata; Sobol's first 2^k points of a
dimension fill its 2^k strata; adding a parameter leaves the others' draws alone (LHS: anywhere; Sobol:
at the end); the flag wins over the file; process noise stays plain Monte Carlo.
"""

from __future__ import annotations

import numpy as np
import pytest

import cssim
from cssim.model.design import ParameterDraws, with_sampling
from cssim.model.randomness import Streams
from tests.helpers import assert_mc_close

SEG = {
    "name": "All",
    "customers": 1000,
    "arpa": {"kind": "lognormal", "mean": 50_000, "sd": 10_000},
    "acquisition": {"rate": [0.1, 0.3]},
    "churn": {"monthly": {"kind": "beta", "mean": 0.03, "sd": 0.008}},
}


def scenario(sampling=None, extra_segment=None, horizon=3, **seg) -> cssim.Scenario:
    segments = [{**SEG, **seg}] + ([extra_segment] if extra_segment else [])
    data = {"name": "s", "horizon_months": horizon, "segments": segments}
    if sampling:
        data["sampling"] = sampling
    return cssim.Scenario.from_dict(data)


def uniforms(s: cssim.Scenario, block: int = 0, size: int = 1000, seed: int = 7) -> dict:
    d = ParameterDraws(s, [Streams(seed, block)], [size])
    out = {}
    for i, seg in enumerate(s.segments):
        u = d.for_segment(i, seg)
        out.update({p: u(p) for p in s.uncertain() if p.startswith(seg.name + ".")})
    return out


def test_the_default_is_random_and_its_draws_are_what_they_were():
    s = scenario()
    assert s.sampling is None and "sampling" not in s.to_dict()
    u = uniforms(s)["All.churn.monthly"]
    want = Streams(7, 0).generator("#0", "parameter", "churn.monthly").random(1000)
    np.testing.assert_array_equal(u, want)
    np.testing.assert_array_equal(uniforms(scenario("random"))["All.churn.monthly"], want)


def test_lhs_puts_one_draw_in_each_stratum_of_a_block():
    for block in (0, 3):
        for p, u in uniforms(scenario("lhs"), block).items():
            np.testing.assert_array_equal(np.sort(np.floor(u * 1000)), np.arange(1000), err_msg=p)
            assert abs(u.mean() - 0.5) <= 0.5 / 1000  # (n - 1) / 2n + mean jitter / n


def test_sobol_fills_the_dyadic_strata_of_each_dimension():
    u = uniforms(scenario("sobol"))
    for p, col in u.items():
        for k in (4, 9):  # the first 2^k points of each dimension: one in each of 2^k strata
            n = 2**k
            np.testing.assert_array_equal(np.sort(np.floor(col[:n] * n)), np.arange(n), err_msg=p)
    cols = np.stack(list(u.values()), axis=1)[:512]
    # two dimensions together: each of the 16 x 16 squares of the first 256 points holds one point
    # (a (0, 8, 2)-net: Sobol's first two dimensions, any scramble)
    first = cols[:256, :2]
    cells = np.floor(first[:, 0] * 16) * 16 + np.floor(first[:, 1] * 16)
    assert len(np.unique(cells)) == 256


def test_adding_a_parameter_leaves_the_others_draws_alone():
    other = {
        "name": "B",
        "customers": 50,
        "arpa": 100_000,
        "acquisition": {"rate": 0.1},
        "churn": {"monthly": [0.01, 0.02]},
    }
    for sampling in ("lhs", "sobol"):
        a = uniforms(scenario(sampling))
        b = uniforms(scenario(sampling, extra_segment=other))  # a new last dimension
        assert set(b) - set(a) == {"B.churn.monthly"}
        for p in a:
            np.testing.assert_array_equal(a[p], b[p], err_msg=(sampling, p))
    # LHS: a parameter's stream is its own wherever it stands (an expansion rate added in the middle)
    a = uniforms(scenario("lhs"))
    b = uniforms(scenario("lhs", expansion={"rate": [0.0, 0.01]}))
    for p in a:
        np.testing.assert_array_equal(a[p], b[p])


@pytest.mark.parametrize("sampling", ["lhs", "sobol"])
def test_prefixes_jobs_and_shorter_blocks_give_the_same_numbers(sampling):
    s = scenario(sampling)
    full = cssim.simulate(s, paths=2500, seed=3)
    short = cssim.simulate(s, paths=1000, seed=3)
    np.testing.assert_array_equal(short["arr"], full["arr"][:1000])
    # a shorter last block's parameters are the first rows of its block's design
    np.testing.assert_array_equal(
        cssim.simulate(s, paths=2300, seed=3).parameters().to_numpy(),
        full.parameters().to_numpy()[:2300],
    )
    np.testing.assert_array_equal(cssim.simulate(s, paths=2500, seed=3, jobs=2)["arr"], full["arr"])


def test_the_flag_wins_over_the_file_and_is_recorded():
    s = scenario("lhs")
    assert with_sampling(s, None) is s
    r = cssim.simulate(s, paths=1000, seed=1, sampling="sobol")
    assert r.scenario.sampling == "sobol"
    np.testing.assert_array_equal(
        r["arr"], cssim.simulate(scenario("sobol"), paths=1000, seed=1)["arr"]
    )
    with pytest.raises(ValueError, match="sampling must be one of random, lhs, sobol"):
        cssim.simulate(s, paths=10, sampling="halton")


def test_process_noise_is_not_stratified():
    """Without uncertain parameters every method draws the very same numbers."""
    fixed = {"arpa": 50_000, "acquisition": {"rate": 0.2}, "churn": {"monthly": 0.03}}
    plain = cssim.simulate(scenario(**fixed), paths=1200, seed=2)["customers"]
    for sampling in ("lhs", "sobol"):
        other = cssim.simulate(scenario(sampling, **fixed), paths=1200, seed=2)["customers"]
        np.testing.assert_array_equal(plain, other)


@pytest.mark.parametrize("sampling", ["lhs", "sobol"])
def test_stratified_draws_are_unbiased(sampling):
    """The mean of customers at the horizon agrees with the expected path within 4 standard errors
    (the plain-Monte-Carlo error: an upper bound for LHS)."""
    s = scenario(sampling, horizon=24)
    mc = cssim.simulate(s, paths=4000, seed=9)["customers"][:, -1]
    assert_mc_close(mc, cssim.expected(s)["customers"].iloc[-1])
