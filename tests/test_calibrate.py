"""Calibration from billing data: round trips, ChartMogul movements, bad data, the scenario and the report."""

from __future__ import annotations

import math
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import cssim
from cssim.data.calibrate import (
    CalibrationError,
    calibrate,
    movements,
    parse_month,
    read_data,
    synthetic_mrr,
)
from cssim.runs.calibration import calibrate_cli

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample-mrr.csv"


def within(estimate: float, truth: float, se: float, k: float = 4.0) -> bool:
    return abs(estimate - truth) <= k * se


# -- round trips ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def constant():
    """48 months of 1,500+ customers with known constant churn, expansion, contraction and acquisition."""
    truth = dict(churn=0.03, expansion=(0.02, 0.1), contraction=(0.01, 0.05), new_per_month=50.0)
    frame = synthetic_mrr(48, 1500, seed=11, **truth)
    return truth, calibrate(frame, source="constant.csv")


def test_round_trip_recovers_constant_churn_movements_and_acquisition(constant):
    truth, cal = constant
    assert cal.churn_model == "monthly"
    assert within(cal.churn.churn, truth["churn"], cal.churn.se)
    e, d = cal.expansion, cal.contraction
    assert within(e.rate, 0.02, e.rate_se) and within(e.probability, 0.1, e.probability_se)
    assert within(d.rate, 0.01, d.rate_se) and within(d.probability, 0.05, d.probability_se)
    a = cal.acquisition
    if a.model == "rate":  # with a flat base, a count and a rate are nearly the same model
        last = cal.history["customers"].iloc[-1]
        assert within(a.monthly_rate * last, 50.0, a.monthly_rate_se * last)
    else:
        assert within(a.count, 50.0, a.count_se)
        if a.model == "count_growth":
            assert within(a.growth, 0.0, a.growth_se)
    # standard errors are sized like the data: about sqrt(c (1 - c) / customer-months)
    assert 0.0005 < cal.churn.se < 0.002
    # the MODEL.md identity for NRR holds on average: ((1 - c)(1 + e - d))^12
    nrr = cal.history["nrr_12m"].dropna().mean()
    assert nrr == pytest.approx(((1 - 0.03) * (1 + 0.02 - 0.01)) ** 12, abs=0.02)
    grr = cal.history["grr_12m"].dropna().mean()
    assert grr == pytest.approx(((1 - 0.03) * (1 - 0.01)) ** 12, abs=0.02)


def test_round_trip_recovers_sbg_parameters():
    frame = synthetic_mrr(24, 100, sbg=(0.8, 6.0), new_per_month=300.0, seed=1)
    cal = calibrate(frame, source="sbg.csv")
    f = cal.sbg
    assert cal.churn_model == "sbg"
    assert within(f.alpha, 0.8, f.alpha_se) and within(f.beta, 6.0, f.beta_se)
    assert cal.lr_test[1] < 1e-6
    # holdout: the sBG predicts the later months far better than constant churn; an onboarding
    # churn (higher for the first months) follows the falling hazard part of the way
    assert cal.holdout.mape["sbg"] < 0.03 < cal.holdout.mape["constant"]
    assert cal.holdout.mape["sbg"] < cal.holdout.mape["onboarding"] < cal.holdout.mape["constant"]
    assert cal.holdout.onboarding.form == "onboarding"
    # the scenario carries alpha and beta jointly: a normal on log alpha, log beta from the curvature
    seg = cal.scenario.segments[0]
    form = cal.fits.churn_form
    assert seg.churn.heterogeneity.alpha == pytest.approx(form.alpha)
    assert seg.joint.parameters[:2] == ["churn.heterogeneity.alpha", "churn.heterogeneity.beta"]
    assert seg.joint.scales[:2] == ["log", "log"]
    cov = np.asarray(seg.joint.covariance)[:2, :2]
    assert cov == pytest.approx(form.covariance, rel=1e-5)
    corr = cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])
    assert corr > 0.5  # alpha and beta move together: drawing them apart would overstate the spread
    sd = np.sqrt(np.diag(cov))
    assert within(np.log(form.alpha), np.log(0.8), sd[0]) and within(
        np.log(form.beta), np.log(6.0), sd[1]
    )


def test_sample_data_is_synthetic_small_and_recovers_its_truth(tmp_path):
    assert SAMPLE.stat().st_size < 2_000_000
    cal = calibrate(SAMPLE)
    f = cal.sbg
    assert cal.churn_model == "sbg"
    assert within(f.alpha, 0.9, f.alpha_se) and within(f.beta, 12.0, f.beta_se)
    assert within(cal.expansion.rate, 0.015, cal.expansion.rate_se)
    assert within(cal.contraction.rate, 0.006, cal.contraction.rate_se)
    # the generator script reproduces the file byte for byte
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_sample", ROOT / "data" / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    again = module.main(tmp_path / "again.csv")
    assert again.read_bytes() == SAMPLE.read_bytes()


# -- ChartMogul movements ---------------------------------------------------------------------------------

TINY = """customer,month,mrr
A,2024-01,100
B,2024-01,200
A,2024-02,150
B,2024-02,100
C,2024-02,50
A,2024-03,150
C,2024-03,50
D,2024-03,70
A,2024-04,0
B,2024-04,100
C,2024-04,80
D,2024-04,60
"""


def test_a_short_history_says_in_full_how_its_churn_form_was_chosen():
    """Eight months leave no forecast origin for a holdout: the choice falls back to AIC among the forms
    that pass the likelihood ratio, and the scenario's notes say so in a whole sentence."""
    frame = pd.read_csv(SAMPLE)
    months = sorted(frame["month"].unique())[:8]
    cal = cssim.calibrate(frame[frame["month"].isin(months)], source="short")
    said = cal.fits.churn_chosen_by
    assert said == (
        "AIC (too few months for a holdout) among the forms that pass the likelihood ratio "
        "against constant churn"
    )
    assert f"chosen by {said}." in cal.scenario.description + " ".join(cal.notes)


def test_movements_on_a_hand_made_table(tmp_path):
    """A: expands 100 -> 150, churns in April (150). B: contracts 200 -> 100, churns in March, reactivates
    in April at 100. C: new in February (50), expands to 80 in April. D: new in March (70), contracts to 60."""
    path = tmp_path / "tiny.csv"
    path.write_text(TINY)
    clean, kind, _ = read_data(path)
    assert kind == "mrr"
    M = np.zeros((4, 4))
    for _, r in clean.iterrows():
        M["ABCD".index(r.customer), (r.month - pd.Period("2024-01", "M")).n] = r.mrr
    h = movements(M, list(pd.period_range("2024-01", periods=4, freq="M")))
    expected = {
        "mrr": [300, 300, 270, 240],
        "customers": [2, 3, 3, 3],
        "new_mrr": [np.nan, 50, 70, 0],
        "expansion_mrr": [np.nan, 50, 0, 30],
        "contraction_mrr": [np.nan, 100, 0, 10],
        "churned_mrr": [np.nan, 0, 100, 150],
        "reactivation_mrr": [np.nan, 0, 0, 100],
        "new_customers": [np.nan, 1, 1, 0],
        "churned_customers": [np.nan, 0, 1, 1],
        "reactivated_customers": [np.nan, 0, 0, 1],
        "net_new_mrr": [np.nan, 0, -30, -30],
        "logo_churn": [np.nan, 0, 1 / 3, 1 / 3],
    }
    for col, values in expected.items():
        np.testing.assert_allclose(h[col].to_numpy(float), values, err_msg=col)
    # the MRR bridge: last month + movements = this month
    bridge = h["mrr"].shift(1) + h["net_new_mrr"]
    np.testing.assert_allclose(bridge.iloc[1:], h["mrr"].iloc[1:])


def test_nrr_and_grr_are_cohort_based_over_twelve_months():
    """X pays 100 for a year then expands to 150; Y pays 100, drops to 50 in month 3, churns in month 6."""
    months = list(pd.period_range("2023-01", periods=13, freq="M"))
    X = [100] * 12 + [150]
    Y = [100, 100, 100, 50, 50, 50, 0, 0, 0, 0, 0, 0, 0]
    Z = [0] * 12 + [500]  # joins at month 12: not in the base of month 0
    h = movements(np.array([X, Y, Z], dtype=float), months)
    assert h["nrr_12m"].iloc[12] == pytest.approx(150 / 200)
    assert h["grr_12m"].iloc[12] == pytest.approx(100 / 200)
    assert h["nrr_12m"].iloc[:12].isna().all()


# -- bad data ------------------------------------------------------------------------------------------


def _bad(tmp_path, text: str, name: str = "bad.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(CalibrationError) as info:
        calibrate(path)
    message = str(info.value)
    assert str(path) in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, cssim.ScenarioError)
    return message


def test_missing_columns(tmp_path):
    msg = _bad(tmp_path, "customer,mrr\nA,100\n")
    assert "missing column month" in msg and "columns found: customer, mrr" in msg


def test_negative_mrr_names_the_row(tmp_path):
    msg = _bad(tmp_path, "customer,month,mrr\nA,2024-01,100\nB,2024-01,-5\n")
    assert "negative" in msg and "row 3 ('-5')" in msg


def test_duplicate_rows_are_named(tmp_path):
    msg = _bad(tmp_path, "customer,month,mrr\nA,2024-01,100\nB,2024-01,5\nA,2024-01,100\n")
    assert "more than once" in msg and "rows 2 and 4" in msg


def test_months_that_are_not_months(tmp_path):
    msg = _bad(
        tmp_path, "customer,month,mrr\nA,2024-01,100\nA,2024-13,100\nB,abc,5\nC,2024-02-30,1\n"
    )
    assert "not a month" in msg
    assert "row 3 ('2024-13')" in msg and "row 4 ('abc')" in msg and "row 5 ('2024-02-30')" in msg


def test_non_numeric_mrr_and_blank_lines_keep_file_row_numbers(tmp_path):
    msg = _bad(tmp_path, "customer,month,mrr\nA,2024-01,100\n\nB,2024-01,ten\nC,2024-01,\n")
    assert "not a number in row 4 ('ten')" in msg
    assert "empty in row 5" in msg


def test_many_bad_rows_are_summarised(tmp_path):
    rows = "".join(f"C{i},2024-01,x\n" for i in range(25))
    msg = _bad(tmp_path, "customer,month,mrr\n" + rows)
    assert "row 11 ('x')" in msg and "row 12" not in msg and "and 15 more rows" in msg


def test_bad_cohort_table(tmp_path):
    msg = _bad(tmp_path, "cohort,period,active\n2024-01,0,100\n2024-01,1,120\n")
    assert "rise again" in msg and "row 3" in msg


def test_missing_file_and_month_parser(tmp_path):
    with pytest.raises(CalibrationError, match="no such file"):
        calibrate(tmp_path / "nope.csv")
    assert parse_month("2024-03-15") == pd.Period("2024-03", "M")
    assert parse_month("2024/3") == pd.Period("2024-03", "M")
    assert parse_month("2024-00") is None and parse_month("March") is None


def test_cli_entry_exit_codes(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("customer,month,mrr\nA,2024-13,100\n")
    assert calibrate_cli(bad, tmp_path / "out.yaml") == 2
    err = capsys.readouterr().err
    assert "row 2 ('2024-13')" in err and "Traceback" not in err
    assert not (tmp_path / "out.yaml").exists()


# -- outputs ----------------------------------------------------------------------------------------------


def test_written_scenario_loads_and_simulates_and_report_is_offline(tmp_path, capsys):
    odd = tmp_path / "<b>odd & data<i>.csv"
    synthetic_mrr(18, 200, sbg=(1.0, 8.0), new_per_month=40.0, seed=3).to_csv(odd, index=False)
    out = tmp_path / "scenario.yaml"
    assert calibrate_cli(odd, out, tmp_path / "report") == 0
    assert "wrote" in capsys.readouterr().out
    scenario = cssim.load_scenario(out)
    assert "calibrated by cssim from" in scenario.description.lower()
    assert "2022-01 to 2023-07" in scenario.description
    result = cssim.simulate(scenario, paths=100, seed=0)
    assert np.all(result["customers"] >= 0)
    page = (tmp_path / "report" / "calibration.html").read_text()
    assert not re.search(r"https?://", page)
    assert "<b>odd" not in page and "&lt;b&gt;odd &amp; data&lt;i&gt;" in page
    assert page.count("data:image/png;base64,") >= 3
    assert "Holdout" in page


def test_cohort_table_input(tmp_path):
    """Fader & Hardie's two cohorts as a cohort table: the pooled sBG fit, arpa noted as unknown."""
    rows = ["cohort,period,active"]
    for label, counts in (
        ("2020-01", [1000, 631, 468, 382, 326, 289, 262, 241]),
        ("2020-02", [1000, 869, 743, 653, 593, 551, 517]),
    ):
        rows += [f"{label},{k},{n}" for k, n in enumerate(counts)]
    path = tmp_path / "cohorts.csv"
    path.write_text("\n".join(rows) + "\n")
    cal = calibrate(path)
    assert cal.kind == "cohort" and cal.sbg is not None and len(cal.sbg.observed) == 2
    assert cal.churn_model == "sbg"
    assert cal.scenario.segments[0].arpa == 1.0
    assert any("ARPA" in n for n in cal.notes)
    assert list(cal.cohort_table.index) == ["2020-01", "2020-02"]
    assert math.isclose(cal.cohort_table.loc["2020-01", 1], 0.631)


def test_calibration_object_presents_itself(constant):
    _, cal = constant
    s = cal.summary()
    assert s.loc["monthly churn (all customers)", "in_scenario"]
    assert "Calibration from constant.csv" in repr(cal)
    assert "<table>" in cal._repr_html_()
    assert cal.to_yaml().startswith("name: Calibrated from constant.csv")


def test_movement_bridge_holds_for_any_table():
    """For any MRR matrix: last month + new + reactivation + expansion - contraction - churn = this month,
    and every customer active in two consecutive months is counted once as staying."""
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays

    values = st.sampled_from([0.0, 0.0, 10.0, 20.0, 35.5, 100.0])

    @settings(max_examples=60, deadline=None)
    @given(arrays(float, st.tuples(st.integers(1, 6), st.integers(2, 8)), elements=values))
    def check(M):
        months = list(pd.period_range("2024-01", periods=M.shape[1], freq="M"))
        h = movements(M, months)
        bridge = h["mrr"].shift(1) + h["net_new_mrr"]
        np.testing.assert_allclose(bridge.iloc[1:], h["mrr"].iloc[1:], atol=1e-9)
        moved = h["new_customers"] + h["reactivated_customers"] + h["staying_customers"]
        np.testing.assert_array_equal(moved.iloc[1:], h["customers"].iloc[1:])
        assert (h[["expansion_mrr", "contraction_mrr", "churned_mrr"]].iloc[1:] >= 0).all().all()

    check()


def test_scenario_is_written_atomically(constant, tmp_path):
    _, cal = constant
    out = cal.write_scenario(tmp_path / "deep" / "s.yaml")
    assert cssim.load_scenario(out) == cal.scenario
    assert [p.name for p in out.parent.iterdir()] == ["s.yaml"]


# -- a joint the scenario format allows, by construction (issue 21) ------------------------------------------

#: Cohorts of 100, 80, 60 and 40, each losing about 8% a month: new cohorts shrink fast, so the
#: acquisition growth is near -0.29 a month and its uncertainty reaches past the field's -0.5.
TRIANGLE = (
    "cohort,period,active\n2024-01,0,100\n2024-01,1,92\n2024-01,2,84\n2024-01,3,77\n2024-02,0,80\n"
    "2024-02,1,73\n2024-02,2,67\n2024-03,0,60\n2024-03,1,55\n2024-04,0,40\n"
)


def _joint_ends(segment):
    """Each jointly drawn field at the joint's clipping limit, low and high (the engine's extreme draws:
    the marginal's quantiles 0 and 1 are its centre -/+ JOINT_SD_LIMIT standard deviations)."""
    out = {}
    for name in segment.joint.parameters:
        node = segment
        for part in name.split("."):
            node = getattr(node, part)
        m = segment.joint.marginal(name, float(node))
        out[name] = (float(m.ppf(0.0)), float(m.ppf(1.0)))
    return out


def test_a_clean_cohort_triangle_calibrates_to_a_scenario_it_accepts(tmp_path, capsys):
    path = tmp_path / "t.csv"
    path.write_text(TRIANGLE)
    cal = calibrate(path)
    seg = cal.scenario.segments[0]
    assert seg.acquisition.growth < -0.2 and "acquisition.growth" in seg.joint.parameters
    lo, hi = _joint_ends(seg)["acquisition.growth"]
    assert -0.5 <= lo < seg.acquisition.growth < hi <= 1.0
    # the narrowing is said, with the standard error the fit gave and the one kept
    assert "acquisition.growth" in cal.scenario.description
    assert "narrowed" in cal.scenario.description
    # the written scenario reads back and simulates with every growth draw inside the range
    assert calibrate_cli(path, tmp_path / "t.yaml") == 0, capsys.readouterr().err
    again = cssim.load_scenario(tmp_path / "t.yaml")
    r = cssim.simulate(again, paths=400, seed=2)
    assert np.isfinite(r["arr"]).all()


def test_cohort_triangles_calibrate_or_say_what_is_wrong_with_the_data(tmp_path):
    """Any shrinking cohort triangle: a scenario whose joint draws stay in range, or an error about the
    data (never about a field the user did not write)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        sizes=st.lists(st.integers(1, 400), min_size=2, max_size=6),
        keep=st.floats(0.3, 0.999),
    )
    def check(sizes, keep):
        rows = ["cohort,period,active"]
        n = len(sizes)
        for i, size in enumerate(sizes):
            active = float(size)
            for k in range(n - i):
                rows.append(f"2024-{i + 1:02d},{k},{round(active)}")
                active *= keep
        path = tmp_path / "tri.csv"
        path.write_text("\n".join(rows) + "\n")
        try:
            cal = calibrate(path)
        except CalibrationError as e:
            assert "joint draws" not in str(e) and "scenario calibrated from" not in str(e), str(e)
            return
        seg = cal.scenario.segments[0]
        if seg.joint is not None:
            ends = _joint_ends(seg)
            if "acquisition.growth" in ends:
                assert -0.5 <= ends["acquisition.growth"][0] and ends["acquisition.growth"][1] <= 1
            if "acquisition.count" in ends:
                assert 0 <= ends["acquisition.count"][0] and ends["acquisition.count"][1] <= 1e7

    check()


@pytest.mark.parametrize(
    "rows",
    [
        [("a", "2021-01", "1000000000000001.0"), ("a", "2021-03", "0")],
        [("a", "2021-01", "10"), ("b", "2021-02", "5e15"), ("b", "2021-03", "5e15")],
    ],
)
def test_money_past_what_a_scenario_takes_is_said_in_terms_of_the_data(tmp_path, rows):
    """An MRR past the scenario's bound on money (1e15) is refused as data, naming the file and what
    to check, not as a scenario field (segments[0].arpa) the user never wrote."""
    from cssim.model.limits import MAX_AMOUNT
    from cssim.words.errors_text import scenario_error_text

    from .helpers import english_left

    path = tmp_path / "big.csv"
    path.write_text("customer,month,mrr\n" + "".join(f"{c},{m},{v}\n" for c, m, v in rows))
    with pytest.raises(CalibrationError) as info:
        calibrate(path)
    text = str(info.value)
    assert text.startswith(f"{path}: ") and "segments[0]" not in text, text
    assert f"{MAX_AMOUNT:g}" in text and "mrr" in text, text
    japanese = scenario_error_text(info.value, "ja")
    assert not english_left(japanese, [str(path)]), japanese


def test_a_wide_new_customer_arpa_near_the_bound_stays_a_valid_field():
    """New customers' ARPA close to the bound with a wide standard error: a lognormal only where it puts
    90% of its mass inside the field's range, else the number (as a normal rate is)."""
    from cssim.data.fit_table import _pos_dist

    from .helpers import one_segment

    for mean, se in ((9e14, 5e14), (9.9e14, 1e12), (5e4, 1e4), (1e15, 0.0)):
        one_segment(new_arpa=_pos_dist(mean, se))  # validates
    assert _pos_dist(5e4, 1e4) == {"kind": "lognormal", "mean": 5e4, "sd": 1e4}
    assert _pos_dist(9e14, 5e14) == 9e14


def test_a_fast_growing_triangle_keeps_its_growth_uncertainty_within_the_limits(tmp_path):
    """Six cohorts growing 50% a month (8 to 60 customers): the growth of new cohorts is so uncertain
    that its draws at the top of their range would compound past the 1e9 customers a scenario may
    hold, now that the limits read the joint's spread. Calibrate narrows the joint until they cannot,
    says so in the description, and its scenario reads back and simulates."""
    rows = ["cohort,period,active"]
    for i, size in enumerate((8, 12, 18, 27, 40, 60)):
        active = float(size)
        for k in range(6 - i):
            rows.append(f"2024-{i + 1:02d},{k},{round(active)}")
            active *= 0.9
    path = tmp_path / "tri.csv"
    path.write_text("\n".join(rows) + "\n")
    cal = calibrate(path)
    assert "narrowed to" in cal.scenario.description
    assert "customers or money a scenario may hold" in cal.scenario.description
    out = tmp_path / "t.yaml"
    out.write_text(cal.to_yaml(), encoding="utf-8")
    r = cssim.simulate(cssim.load_scenario(out), paths=400, seed=2)
    assert np.isfinite(r["customers"]).all() and r["customers"].max() <= 1e9


def test_a_japanese_calibration_writes_a_japanese_scenario(tmp_path):
    """``cssim calibrate --lang ja`` names the scenario and its segment in Japanese and writes
    ``language: ja``, so every later command speaks Japanese; in English none of it is written."""
    path = tmp_path / "売上.csv"
    synthetic_mrr(14, customers=120, churn=0.03, new_per_month=5, seed=2).to_csv(path, index=False)
    assert calibrate_cli(path, tmp_path / "ja.yaml", lang="ja", widen=False) == 0
    ja = cssim.load_scenario(tmp_path / "ja.yaml")
    assert (ja.language, ja.name, ja.segment_names) == ("ja", "売上.csv から推定", ["全顧客"])
    assert calibrate_cli(path, tmp_path / "en.yaml", widen=False) == 0
    assert "language:" not in (tmp_path / "en.yaml").read_text(encoding="utf-8")


def test_contraction_rarer_than_a_scenario_allows_keeps_its_expected_rate():
    """Accounts that contract less often than the 0.001 a month a scenario allows: the calibration writes
    0.001 with the fitted rate (smaller, more frequent moves) and says so, instead of refusing the data."""
    frame = synthetic_mrr(
        36, 3000, seed=4, churn=0.02, contraction=(0.00015, 0.0004), new_per_month=60.0
    )
    cal = calibrate(frame, source="rare.csv", widen=False)
    fit = cal.fits.contraction
    assert 0 < fit.probability < 0.001  # the data's own frequency, below the field's floor
    con = cal.scenario.segments[0].contraction
    assert con.probability == 0.001
    rate = con.rate if isinstance(con.rate, float) else con.rate.mean
    assert rate == pytest.approx(fit.rate, rel=1e-6)
    assert "fewer than the 0.001 a scenario allows" in cal.scenario.description
