"""Runs bigger than memory: one simulation on a real Dask cluster, summary mode and its quantile sketch."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cssim
from cssim import cli
from cssim.model.metrics import METRICS
from cssim.model.sketch import X_MIN, LogHistogram
from cssim.model.stored import STORED
from cssim.model.summary import SummaryResult
from cssim.runs import single
from cssim.runs.distributed import dask_executor

distributed = pytest.importorskip("distributed")
ROOT = Path(__file__).resolve().parents[1]
QS = (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as c:
        yield c.scheduler_address


@pytest.fixture(scope="module")
def two_segments() -> cssim.Scenario:
    """Two segments with uncertain churn and expansion, an ARR target, 24 months."""
    s = cssim.load_scenario(ROOT / "scenarios" / "smb-enterprise-seats.yaml")
    return s.replace({"horizon_months": 24, "target_arr": 1.1 * 12 * (900 * 30000 + 80 * 375000)})


@pytest.fixture(scope="module")
def full_and_summary(two_segments):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN months of NRR before month 12
        full = cssim.simulate(two_segments, paths=3000, seed=11)
        summ = cssim.simulate(two_segments, paths=3000, seed=11, summary=True)
    return full, summ


def _exact_quantiles(col: np.ndarray, q) -> tuple[np.ndarray, np.ndarray]:
    """numpy's linear quantiles of the finite values and the bound's scale max(|x_(i)|, |x_(i+1)|)."""
    col = np.sort(col[np.isfinite(col)])
    h = np.asarray(q) * (col.size - 1)
    i = np.floor(h).astype(int)
    j = np.minimum(i + 1, col.size - 1)
    return np.quantile(col, q), np.maximum(np.abs(col[i]), np.abs(col[j]))


# -- one run over a Dask cluster --------------------------------------------------------------------


def test_scheduler_run_is_bit_identical_to_local(cluster, two_segments):
    remote = cssim.simulate(two_segments, paths=2500, seed=8, scheduler=cluster)
    local = cssim.simulate(two_segments, paths=2500, seed=8)
    assert (remote.paths, remote.seed) == (local.paths, local.seed)
    for seg in two_segments.segment_names:
        for m in STORED:
            np.testing.assert_array_equal(remote._stored[seg][m], local._stored[seg][m])
    pd.testing.assert_frame_equal(remote.parameters(), local.parameters())


def test_summary_on_dask_equals_local_bit_for_bit(cluster, two_segments, full_and_summary):
    _, local = full_and_summary
    remote = cssim.simulate(two_segments, paths=3000, seed=11, summary=True, scheduler=cluster)
    pd.testing.assert_frame_equal(remote.summary(), local.summary(), check_exact=True)
    pd.testing.assert_frame_equal(
        remote.quantiles(list(METRICS), segment=["total", "SMB"]),
        local.quantiles(list(METRICS), segment=["total", "SMB"]),
        check_exact=True,
    )
    for m in METRICS:
        np.testing.assert_array_equal(remote.mean(m), local.mean(m))
        np.testing.assert_array_equal(remote.mc_se(m, "Enterprise"), local.mc_se(m, "Enterprise"))


def test_simulate_refuses_an_executor_and_a_scheduler(cluster, two_segments):
    with (
        distributed.Client(cluster) as client,
        pytest.raises(
            ValueError,
            match="one of an executor, a scheduler or jobs, not an executor and a scheduler",
        ),
    ):
        cssim.simulate(two_segments, paths=10, executor=client.get_executor(), scheduler=cluster)


def test_an_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(
        RuntimeError, match=r"cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"
    ):
        with dask_executor("tcp://127.0.0.1:9", timeout="1s"):
            pass


# -- summary mode against a full run ------------------------------------------------------------------


def test_summary_means_se_and_probabilities_match_the_full_run(full_and_summary):
    full, summ = full_and_summary
    assert isinstance(summ, SummaryResult) and summ.paths == full.paths == 3000
    for seg in ("total", "SMB", "Enterprise"):
        for m in METRICS:
            a = full.get(m, seg)
            np.testing.assert_array_equal(summ.count(m, seg), np.isfinite(a).sum(0))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mean, se = full.mean(m, seg), full.mc_se(m, seg)
            np.testing.assert_allclose(summ.mean(m, seg), mean, rtol=1e-12, equal_nan=True)
            # where every path holds the same value the SE is rounding noise in both, ~1e-16 of the mean
            scale = np.nanmax(np.abs(mean), initial=0.0)
            np.testing.assert_allclose(
                summ.mc_se(m, seg), se, rtol=1e-9, atol=1e-12 * scale, equal_nan=True
            )
        np.testing.assert_allclose(
            summ.cohort_mrr(seg).to_numpy(), full.cohort_mrr(seg).to_numpy(), rtol=1e-12
        )
    fs, ss = full.summary(months=[12, 24]), summ.summary(months=[12, 24])
    assert list(ss.columns) == list(fs.columns)
    assert list(ss["kpi"]) == list(fs["kpi"])
    probs = fs["unit"] == "probability"
    assert set(fs.loc[probs, "kpi"]) == {"p_arr_grows", "p_arr_target"}
    # probabilities are counts: exactly the full run's, standard errors too
    pd.testing.assert_frame_equal(ss[probs], fs[probs], check_exact=True)
    assert (fs.loc[probs, "mean"] > 0).any() and (fs.loc[probs, "mean"] < 1).any()


def test_summary_quantiles_are_within_the_stated_bound_of_exact_ones(full_and_summary):
    full, summ = full_and_summary
    worst = 0.0
    for seg in ("total", "SMB", "Enterprise"):
        for m in METRICS:
            a = full.get(m, seg)
            est = summ.sketch(m, seg).quantile(QS)
            for t in range(a.shape[1]):
                if not np.isfinite(a[:, t]).any():
                    assert np.isnan(est[:, t]).all()
                    continue
                exact, scale = _exact_quantiles(a[:, t], QS)
                bound = summ.alpha * scale + X_MIN
                err = np.abs(est[:, t] - exact)
                assert np.all(err <= bound * (1 + 1e-9)), (m, seg, t, err / bound)
                worst = max(worst, float(np.max(err / bound)))
    # the bound is tight, not slack: somewhere the sketch comes close to it
    assert worst > 0.5


def test_summary_tables_read_like_the_full_runs(full_and_summary):
    full, summ = full_and_summary
    q_full = full.quantiles(["arr", "nrr"], wide=True)
    q_summ = summ.quantiles(["arr", "nrr"], wide=True)
    assert list(q_summ.columns) == list(q_full.columns)
    np.testing.assert_allclose(
        q_summ[["p10", "p50", "p90"]], q_full[["p10", "p50", "p90"]], rtol=summ.alpha
    )
    ue_full, ue_summ = full.unit_economics(), summ.unit_economics()
    assert list(ue_summ.columns) == list(ue_full.columns)
    assert list(ue_summ["segment"]) == list(ue_full["segment"])
    assert list(ue_summ["kpi"]) == list(ue_full["kpi"])
    np.testing.assert_array_equal(ue_summ["undefined_paths"], ue_full["undefined_paths"])
    assert "SummaryResult" in repr(summ) and "0.5%" in repr(summ)
    assert "<table>" in summ._repr_html_()
    with pytest.raises(ValueError, match="target_arr"):
        summ.summary(target_arr=1.0)


# -- the sketch alone -----------------------------------------------------------------------------


def test_sketch_merges_exactly_in_any_order_and_keeps_its_bound():
    rng = np.random.default_rng(3)
    x = np.concatenate(
        [
            rng.lognormal(10, 2, (4000, 3)),
            -rng.lognormal(1, 1, (1000, 3)),
            np.zeros((50, 3)),
            np.full((20, 3), np.nan),
        ]
    )
    x = rng.permuted(x, axis=0)
    parts = [LogHistogram.of(x[i : i + 700]) for i in range(0, len(x), 700)]
    forward, backward = LogHistogram.of(x[:0]), LogHistogram.of(x[:0])
    for p in parts:
        forward.merge(p)
    for p in reversed(parts):
        backward.merge(p)
    whole = LogHistogram.of(x)
    for sk in (forward, backward):
        np.testing.assert_array_equal(sk.quantile(QS), whole.quantile(QS))
        np.testing.assert_array_equal(sk.count, [5050] * 3)
    for t in range(3):
        exact, scale = _exact_quantiles(x[:, t], QS)
        err = np.abs(whole.quantile(QS)[:, t] - exact)
        assert np.all(err <= (whole.alpha * scale + X_MIN) * (1 + 1e-9))
    with pytest.raises(ValueError, match="alpha"):
        LogHistogram(3, alpha=1.5)


# -- the command ----------------------------------------------------------------------------------


def test_cssim_run_in_summary_mode_locally_and_on_dask(
    cluster, small_scenario_path, tmp_path, capsys
):
    base = [str(small_scenario_path), "--paths", "2500", "--seed", "4"]
    assert cli.main(["run", *base, "--summary", "--out", str(tmp_path / "local")]) == 0
    out = capsys.readouterr().out
    assert "summary mode" in out and "0.5%" in out
    assert (
        cli.main(
            ["run", *base, "--summary", "--scheduler", cluster, "--out", str(tmp_path / "dask")]
        )
        == 0
    )
    for name in ("summary.csv", "quantiles.csv", "unit_economics.csv", "expected.csv"):
        local = (tmp_path / "local" / "small" / name).read_bytes()
        assert local == (tmp_path / "dask" / "small" / name).read_bytes(), name


def test_cssim_run_chooses_summary_mode_past_the_memory_threshold(
    small_scenario_path, tmp_path, capsys, monkeypatch
):
    args = ["run", str(small_scenario_path), "--paths", "1500", "--out", str(tmp_path)]
    assert cli.main(args) == 0
    assert "summary mode" not in capsys.readouterr().out
    full = single.full_run_bytes(cssim.load_scenario(small_scenario_path), 1499)
    monkeypatch.setattr(single, "FULL_RUN_BYTES", full)
    assert cli.main(args) == 0
    assert "summary mode" in capsys.readouterr().out
    assert cli.main([*args, "--no-summary"]) == 0
    assert "summary mode" not in capsys.readouterr().out


def test_a_scheduler_lost_after_the_address_check_fails_the_run_with_exit_1(
    small_scenario_path, tmp_path, capsys, monkeypatch
):
    """An address nothing answers at is refused up front as bad input (exit 2, test_hostile_runs);
    a scheduler that answered the check and is gone when the run connects is a failed run (exit 1)."""
    import cssim.runs.distributed as dist

    monkeypatch.setattr(dist, "unreachable", lambda address: None)
    real = dist.dask_executor
    monkeypatch.setattr(dist, "dask_executor", lambda address: real(address, timeout="1s"))
    args = ["run", str(small_scenario_path), "--paths", "10", "--scheduler", "tcp://127.0.0.1:9"]
    assert cli.main([*args, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler" in err and "Traceback" not in err


def test_summary_mode_is_not_refused_for_memory_it_never_takes(two_segments):
    from cssim.model.limits import SUMMARY_PATHS_KEPT, bytes_per_path, paths_problem

    memory = 20 * SUMMARY_PATHS_KEPT * bytes_per_path(two_segments)  # a pass fits, a million do not
    full = paths_problem(two_segments, 1_000_000, memory)
    assert full is not None and "fit in the memory" in full.message
    assert paths_problem(two_segments, 1_000_000, memory, summary=True) is None
    tiny = SUMMARY_PATHS_KEPT * bytes_per_path(two_segments)  # not even one pass fits in half of it
    assert paths_problem(two_segments, 1_000_000, tiny, summary=True) is not None
    over = paths_problem(two_segments, 1_000_001, memory, summary=True)
    assert over is not None and "at most 1,000,000" in over.message
