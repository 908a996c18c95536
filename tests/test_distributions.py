"""Uncertain parameters: inverse-CDF draws truncated to the field's range, checked against scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError
from scipy import stats

import cssim
from cssim.model.distributions import Beta, Interval90, LogNormal, Normal, Pert, Triangular, Uniform
from tests.helpers import assert_mc_close, one_segment

U = np.linspace(0.0, 1.0, 1001)
INNER = np.linspace(0.001, 0.999, 999)

EXAMPLES = {
    "normal": (Normal(kind="normal", mean=0.03, sd=0.01), stats.norm(0.03, 0.01)),
    "lognormal": (
        LogNormal(kind="lognormal", mean=50_000, sd=10_000),
        stats.lognorm(
            s=math.sqrt(math.log1p(0.04)), scale=math.exp(math.log(50_000) - math.log1p(0.04) / 2)
        ),
    ),
    "beta": (Beta(kind="beta", alpha=2, beta=60), stats.beta(2, 60)),
    "triangular": (
        Triangular(kind="triangular", low=0.01, mode=0.02, high=0.05),
        stats.triang(0.25, loc=0.01, scale=0.04),
    ),
    "pert": (
        Pert(kind="pert", low=0.01, mode=0.02, high=0.05),
        stats.beta(1 + 4 * 0.25, 1 + 4 * 0.75, loc=0.01, scale=0.04),
    ),
    "uniform": (Uniform(kind="uniform", low=0.01, high=0.05), stats.uniform(0.01, 0.04)),
    "interval90": (
        Interval90(kind="interval90", low=0.01, high=0.04),
        stats.lognorm(s=math.log(4) / (2 * stats.norm.ppf(0.95)), scale=math.sqrt(0.01 * 0.04)),
    ),
}


@pytest.mark.parametrize("kind", list(EXAMPLES))
def test_unbounded_ppf_matches_scipy(kind):
    dist, ref = EXAMPLES[kind]
    np.testing.assert_allclose(dist.ppf(INNER), ref.ppf(INNER), rtol=1e-9)
    assert dist.median() == pytest.approx(ref.median(), rel=1e-9)
    assert dist.mass_inside(-math.inf, math.inf) == pytest.approx(1.0)


@pytest.mark.parametrize("kind", list(EXAMPLES))
@pytest.mark.parametrize(("lo", "hi"), [(0.0, 1.0), (0.015, 0.03), (0.0, math.inf)])
def test_truncated_ppf_matches_scipy(kind, lo, hi):
    dist, ref = EXAMPLES[kind]
    bounded = dist.with_bounds(lo, hi)
    assert bounded.bounds == (lo, hi)
    assert dist.bounds == (-math.inf, math.inf)  # with_bounds returns a copy
    flo, fhi = ref.cdf(lo), ref.cdf(hi)
    expected = np.clip(ref.ppf(flo + INNER * (fhi - flo)), lo, hi)
    np.testing.assert_allclose(bounded.ppf(INNER), expected, rtol=1e-9)
    assert bounded.mass_inside(lo, hi) == pytest.approx(fhi - flo)


def _random_families(rng, count):
    """(cssim distribution, the scipy.stats frozen distribution it must equal) at random parameters."""
    for _ in range(count):
        lo = float(rng.uniform(-1, 1))
        hi = lo + float(rng.uniform(0.01, 3))
        width = hi - lo  # as the distributions compute it
        mode = float(rng.choice([lo, hi, lo + width * rng.uniform()]))
        a, b = (float(x) for x in rng.uniform(0.2, 300, 2))
        mean, sd = float(rng.uniform(0.1, 1e5)), float(rng.uniform(0.01, 1e5))
        s2 = math.log1p((sd / mean) ** 2)
        c = (mode - lo) / width
        yield Normal(kind="normal", mean=lo, sd=width), stats.norm(lo, width)
        yield (
            LogNormal(kind="lognormal", mean=mean, sd=sd),
            stats.lognorm(s=math.sqrt(s2), scale=math.exp(math.log(mean) - s2 / 2)),
        )
        yield (
            Beta(kind="beta", alpha=a, beta=b, low=lo, high=hi),
            stats.beta(a, b, loc=lo, scale=width),
        )
        yield (
            Triangular(kind="triangular", low=lo, mode=mode, high=hi),
            stats.triang(c, loc=lo, scale=width),
        )
        yield (
            Uniform(kind="uniform", low=lo, high=hi),
            stats.uniform(lo, width),
        )


def test_cdf_and_quantiles_are_bit_for_bit_scipy_stats():
    """The distributions compute F and F^-1 with scipy.special alone (so that validation need not import
    scipy.stats); every drawn parameter depends on them, so they must equal scipy.stats exactly,
    including at the support's ends, outside [0, 1], at infinities and at NaN."""
    rng = np.random.default_rng(20261202)
    # From 2**-53 (the smallest uniform a run draws but 0) up; below about 1e-16 the two beta root
    # finders part (scipy.stats' gives up with NaN), which no run reaches.
    q = np.concatenate([rng.random(200), [0.0, 1.0, 2**-53, 1 - 2**-53, -0.5, 1.5, np.nan]])
    for dist, ref in _random_families(rng, 40):
        frozen = dist.frozen()
        np.testing.assert_array_equal(frozen.ppf(q), ref.ppf(q), err_msg=dist.describe())
        a, b = ref.support()
        span = b - a if math.isfinite(b - a) else 10.0 * ref.std()
        start = a if math.isfinite(a) else ref.mean() - span / 2
        x = np.concatenate(
            [
                start + span * rng.uniform(-0.2, 1.2, 200),
                [a, b, -math.inf, math.inf, np.nan, ref.median()],
            ]
        )
        np.testing.assert_array_equal(frozen.cdf(x), ref.cdf(x), err_msg=dist.describe())
        for v in (0.3, 0.0, 1.0):  # scalars come back as scalars, as from scipy
            assert np.ndim(frozen.ppf(v)) == 0
            assert float(frozen.ppf(v)) == float(ref.ppf(v)) or math.isnan(float(ref.ppf(v)))


@pytest.mark.parametrize("kind", list(EXAMPLES))
def test_draws_stay_inside_the_bounds_and_are_monotone_in_u(kind):
    dist, ref = EXAMPLES[kind]
    lo, hi = ref.ppf(0.2), ref.ppf(0.7)
    x = dist.with_bounds(lo, hi).ppf(U)  # includes u = 0 and u = 1
    assert np.all(np.isfinite(x))
    assert np.all((x >= lo) & (x <= hi))
    assert np.all(np.diff(x) >= 0)
    assert x[0] == pytest.approx(lo) and x[-1] == pytest.approx(hi)
    rng = np.random.default_rng(5)
    u = np.sort(rng.random(2000))
    assert np.all(np.diff(dist.ppf(u)) >= 0)


@pytest.mark.parametrize(("low", "high"), [(0.01, 0.04), (20_000, 60_000), (-0.1, 0.3), (0.0, 0.2)])
def test_interval90_puts_5_percent_beyond_each_end(low, high):
    d = Interval90(kind="interval90", low=low, high=high)
    assert float(d.ppf(0.05)) == pytest.approx(low, rel=1e-9, abs=1e-12)
    assert float(d.ppf(0.95)) == pytest.approx(high, rel=1e-9)
    if low > 0:  # lognormal: the median is the geometric mean
        assert d.median() == pytest.approx(math.sqrt(low * high))
    else:
        assert d.median() == pytest.approx((low + high) / 2)


def _same_as(dist, ref):
    """``ref`` (a scipy.stats distribution) after checking that ``dist`` has its quantiles exactly, so
    that ``ref``'s closed-form moments are ``dist``'s."""
    np.testing.assert_array_equal(dist.ppf(INNER), ref.ppf(INNER))
    return ref


@pytest.mark.parametrize(
    ("mean", "sd", "low", "high"),
    [
        (0.03, 0.01, 0.0, 1.0),
        (0.5, 0.2, 0.0, 1.0),
        (0.012, 0.004, 0.0, 1.0),
        (25.0, 5.0, 10.0, 50.0),
    ],
)
def test_beta_mean_sd_parametrisation(mean, sd, low, high):
    d = Beta(kind="beta", mean=mean, sd=sd, low=low, high=high)
    f = _same_as(d, stats.beta(*d.shape(), loc=low, scale=high - low))
    assert f.mean() == pytest.approx(mean, rel=1e-9)
    assert f.std() == pytest.approx(sd, rel=1e-9)
    assert (float(d.ppf(0.0)), float(d.ppf(1.0))) == (pytest.approx(low), pytest.approx(high))


def test_beta_shape_parametrisation():
    d = Beta(kind="beta", alpha=3, beta=7)
    assert d.shape() == (3, 7)
    assert _same_as(d, stats.beta(3, 7)).mean() == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("low", "mode", "high"), [(0.0, 0.02, 0.1), (100, 400, 500), (1, 1, 2), (1, 2, 2)]
)
def test_pert_mean(low, mode, high):
    d = Pert(kind="pert", low=low, mode=mode, high=high)
    w = high - low
    a, b = 1 + 4 * (mode - low) / w, 1 + 4 * (high - mode) / w
    f = _same_as(d, stats.beta(a, b, loc=low, scale=w))
    assert f.mean() == pytest.approx((low + 4 * mode + high) / 6)


@pytest.mark.parametrize(("low", "mode", "high"), [(0.0, 0.02, 0.1), (1, 1, 2), (1, 2, 2)])
def test_triangular_mean_and_mode(low, mode, high):
    d = Triangular(kind="triangular", low=low, mode=mode, high=high)
    w = high - low
    f = _same_as(d, stats.triang((mode - low) / w, loc=low, scale=w))
    assert f.mean() == pytest.approx((low + mode + high) / 3)
    assert float(d.ppf(0.0)) == pytest.approx(low) and float(d.ppf(1.0)) == pytest.approx(high)


def test_lognormal_arithmetic_mean_and_sd():
    s2 = math.log1p((10_000 / 50_000) ** 2)
    ref = stats.lognorm(s=math.sqrt(s2), scale=math.exp(math.log(50_000) - s2 / 2))
    f = _same_as(LogNormal(kind="lognormal", mean=50_000, sd=10_000), ref)
    assert f.mean() == pytest.approx(50_000)
    assert f.std() == pytest.approx(10_000)


@pytest.mark.parametrize(
    ("cls", "kwargs", "says"),
    [
        (Uniform, {"low": 2, "high": 1}, "high (1) must be above low (2)"),
        (Interval90, {"low": 2, "high": 2}, "high (2) must be above low (2)"),
        (Triangular, {"low": 0, "mode": 3, "high": 2}, "need low <= mode <= high"),
        (Pert, {"low": 1, "mode": 1, "high": 1}, "low < high"),
        (Beta, {"mean": 0.5, "sd": 0.6}, "too large"),
        (Beta, {"mean": 1.5, "sd": 0.1}, "strictly between low and high"),
        (
            Beta,
            {"alpha": 1, "beta": 1, "mean": 0.5, "sd": 0.1},
            "either alpha and beta, or mean and sd",
        ),
        (Beta, {"mean": 0.5}, "give both mean and sd"),
        (Normal, {"mean": 0, "sd": 0}, "greater than 0"),
    ],
)
def test_impossible_distributions_are_refused(cls, kwargs, says):
    with pytest.raises(ValidationError, match=says.replace("(", r"\(").replace(")", r"\)")):
        cls(kind=cls.model_fields["kind"].annotation.__args__[0], **kwargs)


def test_describe():
    assert (
        Beta(kind="beta", mean=0.03, sd=0.01).describe()
        == "beta(mean=0.03, sd=0.01, low=0, high=1)"
    )
    assert (
        Interval90(kind="interval90", low=0.01, high=0.04).describe()
        == "interval90(low=0.01, high=0.04)"
    )


def test_field_range_truncates_the_drawn_parameters():
    # A normal churn of mean 0.02 and sd 0.015 puts about 9% of its mass below 0: validation allows it
    # (at least 90% is inside [0, 1]), and the draws follow the normal truncated to [0, 1].
    s = one_segment(
        horizon=3,
        churn={"monthly": {"kind": "normal", "mean": 0.02, "sd": 0.015}},
        expansion={
            "rate": [0.001, 0.02],
            "probability": {"kind": "uniform", "low": 0.05, "high": 1.05},
        },
    )
    r = cssim.simulate(s, paths=4000, seed=7)
    draws = r.parameters()
    churn = draws["All.churn.monthly"].to_numpy()
    assert churn.min() >= 0 and churn.max() <= 1
    truncated = stats.truncnorm((0 - 0.02) / 0.015, (1 - 0.02) / 0.015, loc=0.02, scale=0.015)
    assert_mc_close(churn, truncated.mean())
    assert np.median(churn) == pytest.approx(truncated.median(), rel=0.05)
    prob = draws["All.expansion.probability"].to_numpy()
    assert prob.min() >= 0.05 and prob.max() <= 1
    assert (prob == 1).mean() < 0.001  # truncated by inverse CDF, not piled up at the bound
    assert np.all(draws["All.expansion.rate"].to_numpy() >= 0)


def test_a_distribution_mostly_outside_the_range_is_refused():
    with pytest.raises(cssim.ScenarioError, match="puts only 2% of its probability inside"):
        one_segment(churn={"monthly": {"kind": "normal", "mean": -0.02, "sd": 0.01}})
