"""The result object as an interface: access, quantiles, KPIs, unit economics, export, display."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cssim
from cssim.model.metrics import METRICS
from tests.helpers import one_segment, three_segments


@pytest.fixture(scope="module")
def result():
    return cssim.simulate(three_segments(horizon=36), paths=1200, seed=31)


def test_every_metric_has_the_documented_shape(result):
    for m in METRICS:
        for seg in [*result.segments, "total"]:
            assert result.get(m, seg).shape == (1200, 37), (m, seg)
    assert result["arr", "SMB"] is result.segment("SMB")["arr"]
    np.testing.assert_allclose(result["arr"], 12 * result["mrr"])


def test_unknown_names_are_clear(result):
    with pytest.raises(KeyError, match="unknown metric 'revenue'"):
        result["revenue"]
    with pytest.raises(KeyError, match="no segment 'Consumer'"):
        result.segment("Consumer")


def test_quantiles_are_tidy_and_ordered(result):
    q = result.quantiles(["arr", "customers"], q=(0.1, 0.5, 0.9), segment=["total", "SMB"])
    assert list(q.columns) == ["metric", "segment", "month", "quantile", "value"]
    assert len(q) == 2 * 2 * 3 * 37
    wide = result.quantiles("arr", wide=True)
    assert {"p10", "p50", "p90"} <= set(wide.columns)
    assert (wide["p10"] <= wide["p50"]).all() and (wide["p50"] <= wide["p90"]).all()
    np.testing.assert_allclose(wide["p50"], np.median(result["arr"], axis=0))


def test_summary_has_kpis_probabilities_and_standard_errors(result):
    s = result.summary()
    assert sorted(s["month"].unique()) == [12, 24, 36]
    assert {"arr", "nrr", "grr", "ltv", "arr_crc", "p_arr_grows", "p_arr_target"} <= set(s["kpi"])
    row = s[(s.kpi == "arr") & (s.month == 36)].iloc[0]
    a = result["arr"][:, 36]
    assert row["median"] == pytest.approx(np.median(a))
    assert row["mc_se"] == pytest.approx(a.std(ddof=1) / np.sqrt(a.size))
    assert row["p10"] <= row["median"] <= row["p90"]
    grows = s[(s.kpi == "p_arr_grows") & (s.month == 36)].iloc[0]
    p = np.mean(a > result["arr"][:, 0])
    assert grows["mean"] == pytest.approx(p)
    assert grows["mc_se"] == pytest.approx(np.sqrt(p * (1 - p) / a.size))
    target = s[(s.kpi == "p_arr_target") & (s.month == 36)].iloc[0]
    assert target["mean"] == pytest.approx(np.mean(a >= 2.0e9))
    assert result.summary(months=[6])["month"].unique().tolist() == [6]
    with pytest.raises(ValueError, match="outside"):
        result.summary(months=[99])


def test_unit_economics_follow_the_formulas(result):
    ue = result.unit_economics(month=24)
    assert set(ue["segment"]) == {"SMB", "Mid", "Enterprise", "total"}
    # LTV = ARPA x margin / trailing-12 churn, per path; check one segment by hand
    seg = "SMB"
    churned = result.get("churned_customers", seg)[:, 13:25].sum(1)
    start = result.get("customers", seg)[:, 12:24].sum(1)
    ltv = result.get("arpa", seg)[:, 24] * 0.8 / (churned / start)
    np.testing.assert_allclose(result.get("ltv", seg)[:, 24], ltv, rtol=1e-9)
    np.testing.assert_allclose(
        result.get("cac_payback", "Mid")[:, 24],
        1_500_000 / (result.get("arpa", "Mid")[:, 24] * 0.8),
        rtol=1e-6,
    )
    # ARR:CRC with CRC = customers / accounts_per_csm x CSM cost + tools
    crc = result.get("customers", seg) / 200 * 700_000 + 200_000
    np.testing.assert_allclose(result.get("crc", seg), crc, rtol=1e-9)
    np.testing.assert_allclose(result.get("arr_crc", seg), result.get("arr", seg) / (12 * crc))


def test_cac_payback_is_undefined_without_a_cac():
    """A scenario without CAC (what cssim calibrate writes from billing data) has nothing to pay back:
    CAC payback and LTV:CAC are undefined on every path, not 0 months."""
    sc = one_segment(horizon=24, customers=500, arpa=1000)  # no cac: field left out
    r = cssim.simulate(sc, paths=200, seed=1)
    for kpi in ("cac_payback", "ltv_cac"):
        assert np.isnan(r.get(kpi)).all() and np.isnan(r.get(kpi, "All")).all(), kpi
    ue = r.unit_economics().set_index("kpi")
    assert ue.loc["cac_payback", "undefined_paths"] == 200


def test_cohort_layers_add_up_to_mean_mrr(result):
    layers = result.cohort_mrr()
    assert list(layers.columns[:2]) == ["start", "year 1"]
    np.testing.assert_allclose(layers.sum(axis=1), result.mean("mrr"), rtol=1e-5)
    assert layers.loc[12, "year 2"] == 0  # nobody joined in year 2 yet at month 12


def test_parameters_table_holds_the_draws(result):
    p = result.parameters()
    assert set(p.columns) == {"SMB.churn.monthly", "Mid.expansion.rate"}
    assert len(p) == 1200 and p.notna().all().all()


def test_export_csv_and_parquet_round_trip(result, tmp_path):
    path = result.to_csv(tmp_path / "out" / "paths.csv")
    back = pd.read_csv(path)
    assert len(back) == 1200 * 37
    np.testing.assert_allclose(back["mrr"].to_numpy(), result["mrr"].ravel(), rtol=1e-6)
    pq = result.to_parquet(tmp_path / "paths.parquet", metrics=["customers", "arr"], segment="SMB")
    back = pd.read_parquet(pq)
    assert (back["segment"] == "SMB").all()
    np.testing.assert_array_equal(back["customers"].to_numpy(), result["customers", "SMB"].ravel())
    result.to_csv(tmp_path / "summary.csv", what="summary")
    assert not list(tmp_path.glob(".*.tmp")), "temporary files must not be left behind"


def test_reprs_are_readable(result):
    text = repr(result)
    assert "three segments" in text and "1,200 paths x 36 months" in text and "seed 31" in text
    html = result._repr_html_()
    assert "<table>" in html and "ARR" in html


def test_html_repr_escapes_scenario_text():
    s = three_segments(horizon=3).replace({"name": "<script>alert(1)</script>"})
    html = cssim.simulate(s, paths=10, seed=1)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_save_and_load_round_trip(result, tmp_path):
    path = result.save(tmp_path / "r.npz")
    back = cssim.SimulationResult.load(path)
    assert back.scenario == result.scenario and back.seed == 31 and back.paths == 1200
    for m in ("customers", "mrr", "nrr", "ltv", "arr_crc"):
        np.testing.assert_array_equal(back[m], result[m])
    pd.testing.assert_frame_equal(back.cohort_mrr(), result.cohort_mrr())
    pd.testing.assert_frame_equal(back.parameters(), result.parameters())


def test_growth_past_the_count_storage_is_refused_not_wrapped():
    from tests.helpers import one_segment

    # refused when validated, with the bound, before any simulation (cssim.model.limits)
    with pytest.raises(cssim.ScenarioError, match=r"could reach .* customers within 24 months"):
        one_segment(
            horizon=24, customers=100_000_000, acquisition={"rate": 100.0}, churn={"monthly": 0.0}
        )


def test_one_path_has_no_standard_error_anywhere():
    """With one path a standard error cannot be estimated (issue 21): NaN everywhere one is reported,
    never the 0.0 a binomial or order-statistic formula gives; two paths give finite ones."""
    import warnings

    from cssim.analysis.compare import compare
    from cssim.analysis.levers import levers
    from cssim.analysis.sweep import sweep

    s = three_segments(horizon=12).replace({"target_arr": 1.0})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no numpy warning on the way
        for summary in (
            cssim.simulate(s, paths=1, seed=3).summary(),
            cssim.simulate(s, paths=1, seed=3, summary=True).summary(),
        ):
            assert summary[["mc_se", "median_se"]].isna().all().all(), summary
        r = cssim.simulate(s, paths=1, seed=3)
        assert np.isnan(r.mc_se("arr")).all() and np.isnan(r.headline()["arr_mean_se"])
        assert r.unit_economics()[["mc_se", "median_se"]].isna().all().all()
        c = compare([s, s.replace({"segments[0].churn.monthly": 0.02})], paths=1, seed=3)
        assert c.summary()[["mean_diff_se", "p_beats_se"]].isna().all().all()
        lv = levers(s, paths=1, seed=3, costs={"churn_pt": 1000.0})
        assert lv.to_frame()["mc_se"].isna().all() and lv.roi()["p_positive_se"].isna().all()
        sw = sweep(s, {"segments[0].churn.monthly": [0.02, 0.03]}, paths=1, seed=3)
        assert sw.table[["arr_mean_se", "p_arr_grows_se"]].isna().all().all()
    two = cssim.simulate(s, paths=2, seed=3).summary()
    assert two[two.unit != "probability"]["mc_se"].notna().any()
