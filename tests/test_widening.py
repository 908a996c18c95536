"""Band widening from the company's own rolling-origin backtest (cssim.data.widening, issue 20)."""

from __future__ import annotations

import re
from html import unescape

import numpy as np
import pandas as pd
import pytest

import cssim
from cssim.data.fit_table import read
from cssim.data.synthetic import synthetic_mrr
from cssim.data.widening import backtest_widening, widen_scenario
from cssim.model.scenario import load_scenario
from cssim.reporting.calibration_report import render_report
from cssim.reporting.widening_report import small_company_section, widening_section

FAST = {"paths": 300, "seed": 0, "origins_back": (12, 6)}


def _widening(frame: pd.DataFrame):
    r = read(frame, "test.csv", None, {})
    return backtest_widening(r.table, r.kind, r.source, r.provenance, **FAST)


def _shifted(seed: int = 0, n: int = 150, months: int = 30) -> pd.DataFrame:
    """Misspecified on purpose: churn 1% a month for 18 months, then 10% (no form of cssim's has a
    break), so forecasts from before the break miss low churn's future."""
    rng = np.random.default_rng(seed)
    alive = np.ones(n, bool)
    per = pd.period_range("2022-01", periods=months + 1, freq="M")
    rows = []
    for t in range(months + 1):
        if t:
            alive &= rng.random(len(alive)) >= (0.01 if t <= 18 else 0.10)
            alive = np.concatenate([alive, np.ones(rng.poisson(4), bool)])
        rows += [(f"C{i:04d}", str(per[t]), 1000.0) for i in np.flatnonzero(alive)]
    return pd.DataFrame(rows, columns=["customer", "month", "mrr"])


@pytest.fixture(scope="module")
def shifted():
    frame = _shifted()
    return frame, _widening(frame)


def test_in_family_data_the_bands_already_cover_are_not_widened():
    w = _widening(synthetic_mrr(30, customers=300, churn=0.03, new_per_month=12, seed=1))
    assert w.coverage_before >= 0.8
    assert w.factor == 1.0 and w.reached
    assert w.table["covered_before"].equals(w.table["covered_after"])
    # origins 12 and 6 months back: horizons 3, 6, 12 and 3, 6; two metrics
    assert len(w.table) == 10
    assert set(w.table["metric"]) == {"customers", "mrr"}


def test_a_misspecified_company_is_widened_and_says_when_the_grid_is_not_enough(shifted):
    _, w = shifted
    assert w.factor > 1.0
    assert w.coverage_before < 0.8
    assert w.reached == (w.coverage_after >= 0.8)
    assert list(w.coverage) == sorted(w.coverage)  # factors tried smallest first


def test_widened_scenario_validates_simulates_and_is_wider(tmp_path):
    cal = cssim.calibrate(
        synthetic_mrr(30, customers=300, churn=0.03, new_per_month=12, seed=1),
        source="test.csv",
        horizon_months=24,
    )
    assert cal.widening is not None  # the default: checked against its own past, and said
    assert f"{cal.widening.factor:g}" in cal.scenario.description or cal.widening.factor == 1
    base, wide = cal.scenario, widen_scenario(cal.scenario, 4.0)
    assert widen_scenario(base, 1.0) is base
    path = tmp_path / "wide.yaml"
    path.write_text(wide.to_yaml(), encoding="utf-8")
    again = load_scenario(path)  # the scenario format, read back as any scenario file
    assert "widened" in again.description
    spread = []
    for s in (base, again):
        mrr = np.asarray(cssim.simulate(s, paths=400, seed=3)["mrr"], float)[:, 24]
        spread.append(np.subtract(*np.quantile(mrr, [0.9, 0.1])))
    assert spread[1] > spread[0]
    b, w = base.to_dict()["segments"][0], wide.to_dict()["segments"][0]
    assert w["expansion"]["rate"]["sd"] == pytest.approx(4 * b["expansion"]["rate"]["sd"])
    if "joint" in b:
        np.testing.assert_allclose(
            np.diag(w["joint"]["covariance"]), 16 * np.diag(b["joint"]["covariance"]), rtol=1e-4
        )


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page)))


def test_report_shows_the_widening_and_a_small_company_in_both_languages(shifted):
    frame, _ = shifted
    cal = cssim.calibrate(frame, source="test.csv", widen_paths=300)  # as a user gets it
    w = cal.widening
    assert w is not None and w.factor > 1
    assert cal.fits.start.customers <= 150
    # the sections in both languages, and the English page that carries them (a whole Japanese
    # page adds its webfont: slow, and tested by the report's own tests)
    ja = _text(str([widening_section(cal, "ja"), small_company_section(cal, "ja")]))
    en = _text(render_report(cal, "en"))
    assert "Band widening and form weights" in en
    assert "予測の幅の拡大と形の重み" in ja
    assert "company's own past forecasts" in en and "この会社自身の過去の予測" in ja
    assert "Weights of the forms" in en and "形の重み" in ja
    assert "inside before" in en and "拡大前に帯の中" in ja
    assert "Few customers" in en and "顧客が少ない会社です" in ja
    assert "80%区間" in ja
    factor = f"{w.factor:.2f}"
    assert factor in en and factor in ja


def test_report_says_when_bands_were_not_widened():
    cal = cssim.calibrate(
        synthetic_mrr(14, customers=400, new_per_month=15, seed=2), source="test.csv", widen=False
    )
    assert cal.widening is None
    assert "Bands not widened" in _text(str(widening_section(cal, "en")))
    assert "予測の幅は広げていません" in _text(str(widening_section(cal, "ja")))
    assert small_company_section(cal, "en") is None


def test_the_grid_stops_where_a_wider_spread_would_pass_a_scenarios_limits(shifted):
    """A factor whose widened scenario would be refused (its spread past what a scenario may hold:
    customers it could reach, or joint draws its fields do not allow) is not tried, and the widest
    factor is the last one a scenario can hold: before, the refusal ended the calibration, and a
    widened spread the limits did not see could hang the engine (test_joint)."""
    frame, _ = shifted
    r = read(frame, "test.csv", None, {})
    with pytest.raises(cssim.ScenarioError):
        cal = cssim.calibrate(frame, widen=False)
        widen_scenario(cal.scenario, 10_000)
    w = backtest_widening(r.table, r.kind, r.source, r.provenance, grid=(1.0, 1.5, 10_000), **FAST)
    assert list(w.coverage) == [1.0, 1.5]
    assert w.factor == 1.5 and not w.reached
