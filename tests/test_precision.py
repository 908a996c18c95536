"""The precision stop (``simulate(..., precision=)``, ``cssim run --precision``): blocks are added until a
statistic of ARR at the horizon is known to the tolerance, the interval comes from the blocks as
replicates, the run says why it stopped, and its paths are those of a plain run.

The full coverage check (hundreds of seeds, 93-97% for 95%) is ``benchmarks/bench_precision.py``; here a
small scenario is checked over 100 seeds within 4 binomial standard errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import cssim
from cssim.cli import main
from cssim.model.precision import MIN_BLOCKS, check_precision

TINY = {
    "name": "tiny",
    "horizon_months": 3,
    "segments": [
        {
            "name": "All",
            "customers": 200,
            "arpa": {"kind": "lognormal", "mean": 50_000, "sd": 15_000},
            "acquisition": {"rate": 0.2},
            "churn": {"monthly": [0.02, 0.05]},
        }
    ],
}


@pytest.fixture(scope="module")
def tiny() -> cssim.Scenario:
    return cssim.Scenario.from_dict(TINY)


_Q = {"p10": 0.1, "p50": 0.5, "p90": 0.9}


def _blocks(values: np.ndarray, stat: str) -> np.ndarray:
    per = values.reshape(-1, 1000)
    if stat == "mean":
        return per.mean(axis=1)
    return np.quantile(per, _Q[stat], axis=1)


def test_it_stops_by_itself_when_known_and_at_the_cap_otherwise(tiny):
    r = cssim.simulate(tiny, seed=3, precision=0.01)
    stop = r.precision_stop
    assert stop.reason == "converged" and stop.converged
    assert stop.paths == r.paths == stop.blocks * 1000 and stop.blocks >= MIN_BLOCKS
    assert stop.relative <= 0.01 and "converged" in str(stop)
    capped = cssim.simulate(tiny, seed=3, precision=1e-5, max_paths=20_500).precision_stop
    assert capped.reason == "cap" and capped.paths == capped.max_paths == 20_000
    assert capped.relative > 1e-5 and "cap of 20,000 paths" in str(capped)


@pytest.mark.parametrize("stat", ["mean", "p10", "p90"])
def test_the_interval_is_the_blocks_t_interval_and_the_paths_a_plain_runs(tiny, stat):
    r = cssim.simulate(tiny, seed=5, precision=0.003, precision_stat=stat, sampling="lhs")
    stop = r.precision_stop
    plain = cssim.simulate(tiny, paths=r.paths, seed=5, sampling="lhs")
    np.testing.assert_array_equal(r["arr"], plain["arr"])
    at_horizon = plain["arr"][:, -1].astype(float)
    per = _blocks(at_horizon, stat)
    half = stats.t.ppf(0.975, per.size - 1) * per.std(ddof=1) / np.sqrt(per.size)
    pooled = at_horizon.mean() if stat == "mean" else np.quantile(at_horizon, _Q[stat])
    assert stop.estimate == pytest.approx(pooled, rel=1e-6)  # all the paths, the blocks' spread
    assert stop.half_width == pytest.approx(half, rel=1e-5)


def test_jobs_and_summary_mode_stop_at_the_same_place(tiny):
    a = cssim.simulate(tiny, seed=8, precision=0.003).precision_stop
    b = cssim.simulate(tiny, seed=8, precision=0.003, jobs=2).precision_stop
    c = cssim.simulate(tiny, seed=8, precision=0.003, summary=True).precision_stop
    assert a == b
    assert (c.paths, c.reason) == (a.paths, a.reason)
    assert c.estimate == pytest.approx(a.estimate, rel=1e-6)


def test_the_probability_that_arr_grows_can_be_the_statistic(tiny):
    r = cssim.simulate(tiny, seed=2, precision=0.05, precision_stat="p_grows")
    grows = r["arr"][:, -1] > r["arr"][:, 0]
    assert r.precision_stop.estimate == pytest.approx(grows.mean())


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"precision": 0}, "precision must be a number between 0 and 1"),
        ({"precision": 1.5}, "precision must be a number between 0 and 1"),
        ({"precision": 0.01, "confidence": 0.3}, "confidence must be a number between 0.5 and 1"),
        ({"precision": 0.01, "max_paths": 5000}, "max_paths must be a whole number of at least"),
        ({"precision": 0.01, "precision_stat": "p99"}, "the statistic must be one of mean"),
    ],
)
def test_bad_arguments_are_refused(tiny, kwargs, words):
    with pytest.raises(ValueError, match=words):
        cssim.simulate(tiny, seed=1, **kwargs)


def test_the_stated_intervals_cover_over_100_seeds(tiny):
    """Over 100 seeds under Latin hypercube sampling (where a formula that takes paths as independent
    is wrong), the 95% interval of a stopped run covers the expected ARR (exact given the parameters,
    integrated on a grid of 65,536 points); within 4 binomial standard errors of 95% (the benchmark
    checks 93-97% over more seeds, statistics and scenarios)."""
    truth = float(cssim.expected(tiny, nodes=2**16)["arr"].iloc[-1])
    covered, blocks = 0, []
    for seed in range(100):
        stop = cssim.simulate(tiny, seed=seed, precision=0.0005, sampling="lhs").precision_stop
        covered += abs(stop.estimate - truth) <= stop.half_width
        blocks.append(stop.blocks)
    assert np.mean(blocks) > MIN_BLOCKS + 2  # the stop is exercised, not only the minimum
    assert covered >= 100 * (0.95 - 4 * np.sqrt(0.95 * 0.05 / 100)), covered


def test_cli_run_prints_and_stores_why_it_stopped(tmp_path, capsys):
    src = tmp_path / "tiny.yaml"
    src.write_text(cssim.Scenario.from_dict(TINY).to_yaml(), encoding="utf-8")
    code = main(
        ["run", str(src), "--out", str(tmp_path), "--precision", "0.01", "--sampling", "lhs"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "sampling: lhs" in out and "stopped at 10,000 paths: mean ARR at month 3 is" in out
    row = pd.read_csv(tmp_path / "tiny" / "precision.csv").iloc[0]
    assert (row["reason"], row["paths"], row["sampling"]) == ("converged", 10_000, "lhs")
    assert row["relative"] <= 0.01
    assert (
        main(["run", str(src), "--out", str(tmp_path), "--precision", "0.01", "--lang", "ja"]) == 0
    )
    assert "パス" in capsys.readouterr().out
    for bad, words in (
        ("--precision=2", "a number between 0 and 1"),
        ("--max-paths=5000", "10000"),
    ):
        with pytest.raises(SystemExit) as e:
            main(["run", str(src), "--out", str(tmp_path), bad])
        assert e.value.code == 2 and words in capsys.readouterr().err


def test_check_precision_accepts_what_the_cli_gives():
    check_precision(0.01, 0.95, 200_000, "p_grows")


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_precision_appendix_states_the_method_and_the_stop(tmp_path, lang):
    from cssim.reporting.report import closing, prepare

    data = {
        **TINY,
        "segments": [{**TINY["segments"][0], "expansion": {"rate": [0.0, 0.01]}}],
        "correlations": [{"a": "All.churn.monthly", "b": "All.expansion.rate", "rho": -0.4}],
    }
    src = tmp_path / "tiny.yaml"
    src.write_text(cssim.Scenario.from_dict(data).to_yaml(), encoding="utf-8")
    ctx = prepare(src, seed=1, lang=lang, sampling="lhs", precision={"precision": 0.002})
    text = " ".join(closing.methods(ctx))
    stop = ctx.result.precision_stop
    assert stop.converged and ctx.result.scenario.sampling == "lhs"
    if lang == "en":
        assert "Latin hypercube sampling" in text
        assert "rank correlations: Churn ~ Expansion" in text and " \u22120.40)" in text
        assert f"stopped by itself at {stop.paths:,} simulated futures" in text
    else:
        assert "ラテン超方格法" in text and "順位相関" in text and "自ら止まりました" in text
    plain = prepare(src, paths=1000, seed=1, lang=lang)
    assert len(closing.methods(plain)) == 2  # plain Monte Carlo, the correlations; no stop
