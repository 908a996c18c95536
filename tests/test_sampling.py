"""cssim.model.sampling: exact inverse-CDF binomial and Poisson counts, one uniform per variate.

Three kinds of check: exactness against scipy's quantile functions (the same integers), goodness of fit at
a fixed seed, and the coupling common random numbers rely on (for a fixed uniform, counts are monotone in
p, n and lambda). Plus shapes: 2-D arrays and p broadcast over paths or cohorts.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cssim.model import sampling

SEED = 20240607


def uniforms(size, seed: int = SEED) -> np.ndarray:
    """Uniforms in (0, 1), with extremes a search must handle.

    Not closer to 0 or 1 than 1e-12 (p > 0.5 flips u to 1 - u): within a few ulps of 1 the CDF accumulated
    by the recurrence can round just past (or never reach) u, where scipy's exact CDF gives the next integer.
    """
    u = np.random.default_rng(seed).random(size)
    u[:3] = [1e-12, 0.5, 1.0 - 1e-12]
    return u


# -- exactness against scipy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "p"),
    [
        (1, 0.3),  # one trial
        (10, 0.1),  # small mean: the sequential search
        (80, 0.05),
        (600, 0.01),  # many trials, small p
        (100, 0.29),  # mean 29: just below the switch to the Cornish-Fisher start
        (100, 0.31),  # mean 31: just above it
        (1000, 0.3),  # large mean: the exact-CDF correction
        (100_000, 0.03),
        (50, 0.9),  # p > 0.5: the symmetry flip
        (5000, 0.8),  # flip and large mean
        (7, 0.5),  # the flip boundary itself
    ],
)
def test_binomial_matches_scipy_ppf(n, p):
    u = uniforms(20_000)
    got = sampling.binomial(np.full(u.size, n), p, u)
    want = stats.binom.ppf(u, n, p).astype(np.int64)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("lam", [0.01, 0.5, 3.0, 12.0, 29.5, 30.5, 45.0, 500.0, 20_000.0])
def test_poisson_matches_scipy_ppf(lam):
    u = uniforms(20_000)
    got = sampling.poisson(np.full(u.size, lam), u)
    want = stats.poisson.ppf(u, lam).astype(np.int64)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, want)


def test_mixed_parameters_in_one_call_match_scipy():
    """Small and large means, flips and edge cases side by side, element by element."""
    rng = np.random.default_rng(SEED)
    n = rng.integers(0, 3000, 30_000)
    p = rng.choice([0.0, 1e-4, 0.01, 0.03, 0.2, 0.5, 0.7, 0.99, 1.0], n.size)
    u = rng.random(n.size)
    got = sampling.binomial(n, p, u)
    want = stats.binom.ppf(u, n, p)
    inner = (p > 0) & (p < 1) & (n > 0)
    np.testing.assert_array_equal(got[inner], want[inner].astype(np.int64))
    np.testing.assert_array_equal(got[p == 0], 0)
    np.testing.assert_array_equal(got[p == 1], n[p == 1])
    np.testing.assert_array_equal(got[n == 0], 0)


def test_edge_cases():
    u = uniforms(1000)
    assert (sampling.binomial(np.zeros(u.size, dtype=int), 0.3, u) == 0).all()  # n = 0
    assert (sampling.binomial(np.full(u.size, 40), 0.0, u) == 0).all()  # p = 0
    assert (sampling.binomial(np.full(u.size, 40), 1.0, u) == 40).all()  # p = 1
    assert (sampling.binomial(np.full(u.size, 5000), 1.0, u) == 5000).all()  # p = 1, large n
    assert (sampling.poisson(np.zeros(u.size), u) == 0).all()  # lambda = 0
    assert (sampling.binomial(np.full(u.size, 40), 0.2, np.zeros(u.size)) == 0).all()  # u = 0


# -- goodness of fit --------------------------------------------------------------------------------------


def chi_square_p_value(draws: np.ndarray, pmf) -> float:
    """Chi-square test of integer draws against ``pmf(k)``, pooling bins expected to hold fewer than 5."""
    size = draws.size
    top = int(draws.max())
    k = np.arange(top + 1)
    expected = pmf(k) * size
    expected[-1] += size - expected.sum()  # the upper tail goes to the last bin
    observed = np.bincount(draws, minlength=top + 1).astype(float)
    obs, exp, acc_o, acc_e = [], [], 0.0, 0.0
    for o, e in zip(observed, expected, strict=True):
        acc_o, acc_e = acc_o + o, acc_e + e
        if acc_e >= 5:
            obs.append(acc_o)
            exp.append(acc_e)
            acc_o = acc_e = 0.0
    obs[-1] += acc_o
    exp[-1] += acc_e
    return float(stats.chisquare(obs, exp).pvalue)


@pytest.mark.parametrize(("n", "p"), [(20, 0.3), (200, 0.02), (400, 0.2), (60, 0.85)])
def test_binomial_goodness_of_fit(n, p):
    u = np.random.default_rng(SEED).random(50_000)
    draws = sampling.binomial(np.full(u.size, n), p, u)
    assert chi_square_p_value(draws, lambda k: stats.binom.pmf(k, n, p)) > 1e-3


@pytest.mark.parametrize("lam", [0.7, 4.0, 80.0])
def test_poisson_goodness_of_fit(lam):
    u = np.random.default_rng(SEED).random(50_000)
    draws = sampling.poisson(np.full(u.size, lam), u)
    assert chi_square_p_value(draws, lambda k: stats.poisson.pmf(k, lam)) > 1e-3


# -- the coupling: monotone in the parameters for a fixed uniform -------------------------------------------


def test_binomial_monotone_in_p():
    """Across the flip at 0.5 and the switch at mean 30 (p = 0.3 for n = 100)."""
    u = uniforms(3000)
    ps = np.linspace(0.0, 1.0, 201)
    x = sampling.binomial(
        np.full((ps.size, u.size), 100), ps[:, None], np.broadcast_to(u, (ps.size, u.size))
    )
    assert (np.diff(x, axis=0) >= 0).all()
    assert (x[0] == 0).all() and (x[-1] == 100).all()


def test_binomial_monotone_in_n():
    """Across the switch at mean 30 (n = 150 for p = 0.2)."""
    u = uniforms(3000)
    ns = np.arange(0, 301)
    x = sampling.binomial(
        np.broadcast_to(ns[:, None], (ns.size, u.size)), 0.2, np.broadcast_to(u, (ns.size, u.size))
    )
    assert (np.diff(x, axis=0) >= 0).all()
    assert (np.diff(x, axis=0) <= 1).all()  # one more trial adds at most one success


def test_poisson_monotone_in_lambda():
    """Across the switch at mean 30."""
    u = uniforms(3000)
    lams = np.linspace(0.0, 60.0, 241)
    x = sampling.poisson(
        np.broadcast_to(lams[:, None], (lams.size, u.size)), np.broadcast_to(u, (lams.size, u.size))
    )
    assert (np.diff(x, axis=0) >= 0).all()


# -- shapes ----------------------------------------------------------------------------------------------


def test_two_dimensional_with_p_per_path():
    """p of shape (paths, 1) broadcasts over cohorts: the same as element by element."""
    rng = np.random.default_rng(SEED)
    paths, cohorts = 300, 140  # more elements than one slice of the search
    n = rng.integers(0, 120, (paths, cohorts))
    n[:, 0] = 4000  # a large starting cohort, as the engine has
    p = rng.uniform(0.0, 0.1, (paths, 1))
    u = rng.random((paths, cohorts))
    got = sampling.binomial(n, p, u)
    assert got.shape == (paths, cohorts) and got.dtype == np.int64
    np.testing.assert_array_equal(got, sampling.binomial(n, np.broadcast_to(p, n.shape).copy(), u))
    np.testing.assert_array_equal(got, stats.binom.ppf(u, n, p).astype(np.int64))
    for i in (0, 17, paths - 1):  # row by row: splitting the work never changes a number
        np.testing.assert_array_equal(got[i], sampling.binomial(n[i], p[i, 0], u[i]))


def test_two_dimensional_with_p_per_cohort():
    """p of shape (1, cohorts), e.g. a hazard by tenure, and a strided view of n as the engine passes."""
    rng = np.random.default_rng(SEED)
    store = rng.integers(0, 60, (200, 150))
    n = store[:, :90]  # a non-contiguous view
    p = np.linspace(0.0, 0.6, 90)[None, :]
    u = rng.random(n.shape)
    got = sampling.binomial(n, p, u)
    np.testing.assert_array_equal(got, stats.binom.ppf(u, n, p).astype(np.int64))
    np.testing.assert_array_equal(got.T, sampling.binomial(n.T.copy(), p.T, u.T.copy()))


def test_scalar_and_one_dimensional_inputs():
    assert sampling.binomial(np.int64(30), 0.5, np.float64(0.5)).shape == ()
    assert int(sampling.binomial(np.int64(30), 0.5, np.float64(0.5))) == 15
    assert sampling.poisson(np.array([2.0, 40.0]), np.array([0.5, 0.5])).tolist() == [2, 40]
    x = sampling.poisson(np.full((3, 4), 5.0), np.full((3, 4), 0.3))
    assert x.shape == (3, 4) and (x == stats.poisson.ppf(0.3, 5.0)).all()
