"""Backtests and the data layout: held-out months scored against the forecast fan; forms chosen on holdout."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import cssim
from cssim.cli import main
from cssim.data.backtest import BACKTEST_METRICS
from cssim.data.calibrate import backtest
from cssim.data.fitting import _acquisition
from cssim.data.history import _wide, movements
from cssim.data.reading import CalibrationError
from cssim.data.synthetic import synthetic_mrr

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample-mrr.csv"


@pytest.fixture(scope="module")
def sample_backtest():
    return cssim.backtest(SAMPLE, holdout=12, paths=400, seed=3)


def test_backtest_scores_every_metric_against_the_actual_held_out_months(sample_backtest):
    bt = sample_backtest
    assert bt.cutoff == "2025-01" and bt.holdout == 12
    assert list(bt.summary.index) == list(BACKTEST_METRICS)
    frame = pd.read_csv(SAMPLE)
    frame["month"] = pd.PeriodIndex(frame["month"], freq="M")
    M, months, _ = _wide(frame)
    actual = movements(M, months).iloc[-12:]
    for metric in BACKTEST_METRICS:
        t = bt.table.loc[metric]
        np.testing.assert_allclose(t["actual"].to_numpy(), actual[metric].to_numpy(float))
        assert (t["p5"] <= t["p10"]).all() and (t["p10"] <= t["p50"]).all()
        assert (t["p50"] <= t["p90"]).all() and (t["p90"] <= t["p95"]).all()
        inside = ((t["p10"] <= t["actual"]) & (t["actual"] <= t["p90"])).mean()
        assert bt.summary.loc[metric, "inside_80"] == pytest.approx(inside)
        bias = ((t["p50"] - t["actual"]) / t["actual"]).mean()
        assert bt.summary.loc[metric, "bias"] == pytest.approx(bias)
    # the fit saw nothing after the cutoff
    assert bt.calibration.months[-1] == "2025-01"
    assert bt.calibration.scenario.horizon_months == 12


def test_backtest_is_reproducible_and_says_what_is_wrong(sample_backtest):
    again = cssim.backtest(SAMPLE, holdout=12, paths=400, seed=3)
    pd.testing.assert_frame_equal(again.table, sample_backtest.table)
    with pytest.raises(CalibrationError, match="at most 30"):
        backtest(SAMPLE, holdout=31)
    with pytest.raises(CalibrationError, match="holdout"):
        backtest(SAMPLE, holdout=0)


def test_backtest_cli_writes_the_page_and_the_chart(tmp_path, capsys):
    assert (
        main(["backtest", str(SAMPLE), "--holdout", "6", "--paths", "200", "--out", str(tmp_path)])
        == 0
    )
    out = capsys.readouterr().out
    assert "of months in P10-P90" in out and "churned MRR" in out
    html = (tmp_path / "backtest.html").read_text()
    assert "data:image/png;base64," in html and "http://" not in html and "https://" not in html
    assert (tmp_path / "backtest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["backtest", str(SAMPLE), "--holdout", "36"]) == 2
    err = capsys.readouterr().err
    assert "sample-mrr.csv" in err and "Traceback" not in err


def test_calibration_report_includes_the_backtest(tmp_path, capsys):
    code = main(
        [
            "calibrate",
            str(SAMPLE),
            "--out",
            str(tmp_path / "s.yaml"),
            "--report",
            str(tmp_path),
            "--backtest",
            "12",
        ]
    )
    assert code == 0
    html = (tmp_path / "calibration.html").read_text()
    assert "<h2>Backtest</h2>" in html and "inside P10-P90" in html


def test_acquisition_form_is_chosen_on_held_out_months():
    """Counts growing 2% a month on a shrinking base: a rate on the base cannot follow them."""
    rng = np.random.default_rng(5)
    T = 37
    new = np.r_[np.nan, rng.poisson(30 * 1.02 ** np.arange(T - 1))].astype(float)
    customers = 2000 * 0.97 ** np.arange(T)
    fit = _acquisition(new, customers)
    assert fit.model == "count_growth" and "held-out" in fit.chosen_by
    assert set(fit.holdout_ll) == {"count", "count_growth", "rate"}
    assert fit.holdout_ll["count_growth"] == max(fit.holdout_ll.values())
    # growth recovered within 4 standard errors
    assert abs(fit.growth - 0.02) <= 4 * fit.growth_se


def test_sample_forecast_starts_from_observed_tenures_and_new_customer_arpa():
    cal = cssim.calibrate(SAMPLE)
    seg = cal.scenario.segments[0]
    # the generator's true form (a growing count) and a rate on its growing base forecast the held-out
    # months about equally well: neither is ruled out, a constant count is
    w = cal.acquisition.weights
    assert w["count_growth"] >= 0.4 and w["rate"] >= 0.4 and w["count"] < 0.01
    assert "averaged by weight" in cal.acquisition.chosen_by  # so the scenario carries both
    assert seg.new_arpa == 50_000.0  # every new customer of the sample pays 50,000 (SE 0)
    t = cal.fits.start
    assert t.tenures.max() == 36 and len(t.tenures) == t.customers
    # sBG churn: the forecast starts from today's customers by observed tenure, with their ARPA
    spread = seg.starting_tenure
    assert seg.tenure_range == (
        t.tenures.min(),
        t.tenures.max() + round(cal.fits.churn_form.base_age),
    )
    assert sum(spread.weights) == t.customers
    counts = np.bincount(t.tenures - t.tenures.min())
    assert spread.weights[: len(counts) - 1] == counts[:-1].tolist()
    mrr = cal.scenario.segments[0].arpa * seg.starting_arpa_factors()
    assert float(np.dot(spread.weights, mrr)) == pytest.approx(t.mrr, rel=1e-5)


def test_synthetic_rate_and_onboarding_truths():
    """rate: new customers ~ m x base; onboarding: churn p in the first k months of tenure."""
    f = synthetic_mrr(
        24,
        3000,
        churn=0.01,
        onboarding=(3, 0.2),
        rate=0.5,
        seed=2,
        expansion=(0.0, 0.1),
        contraction=(0.0, 0.05),
    )
    f["month"] = pd.PeriodIndex(f["month"], freq="M")
    M, months, _ = _wide(f)
    h = movements(M, months)
    # month 1: the opening base (tenure 1) churns at 0.2
    p = h["churned_customers"].iloc[1] / 3000
    assert abs(p - 0.2) <= 4 * np.sqrt(0.2 * 0.8 / 3000)
    m = 1.5 ** (1 / 12) - 1
    n, base = h["new_customers"].iloc[1:].sum(), h["customers"].iloc[:-1].sum()
    assert abs(n / base - m) <= 4 * np.sqrt(m / base)


def test_grr_definitions_differ_where_billing_tools_do():
    """A dips 100 -> 50 for a month and recovers; B churns after 6 months. Over 12 months the engine's GRR
    (product of monthly gross factors) counts A's dip, the per-account capped GRR does not."""
    from cssim.data.history import METRIC_DEFINITIONS

    T = 13
    M = np.zeros((2, T))
    M[0] = 100.0
    M[0, 3] = 50.0
    M[1, :7] = 100.0
    h = movements(M, [f"m{t}" for t in range(T)])
    assert h["grr_12m"].iloc[12] == pytest.approx(0.5 * 100 / 200)
    assert h["grr_12m_capped"].iloc[12] == pytest.approx(100 / 200)
    assert h["logo_churn_12m_cohort"].iloc[12] == pytest.approx(0.5)
    M[0, 12] = 100.0
    M[0, 3] = 100.0
    M[0, 5] = 60.0  # a dip that recovers within the year
    h = movements(M, [f"m{t}" for t in range(T)])
    assert h["grr_12m"].iloc[12] == pytest.approx(60 / 200)
    assert h["grr_12m_capped"].iloc[12] == pytest.approx(100 / 200)
    assert {"grr_12m", "grr_12m_capped", "logo_churn_12m", "nrr_12m"} <= set(METRIC_DEFINITIONS)
