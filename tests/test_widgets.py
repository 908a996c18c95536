"""The explorer, headless: ipywidgets callbacks fire synchronously in plain pytest, without a kernel."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import cssim
from cssim.model.distributions import Beta, LogNormal, Normal, Pert, Triangular
from cssim.widgets.explorer import Explorer, parse_value, relocate
from tests.helpers import three_segments

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "growth-vs-churn.yaml"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def explorer():
    e = Explorer(SCENARIO, workers=1, preview_paths=1000, paths=2000, seed=7)
    yield e
    e.close()


def kpi(e: Explorer, name: str) -> float:
    return float(e.kpis.set_index("kpi").loc[name, "now"])


def test_opens_on_the_file_and_matches_simulate(explorer):
    direct = cssim.simulate(cssim.load_scenario(SCENARIO), paths=1000, seed=7)
    np.testing.assert_array_equal(explorer.result["arr"], direct["arr"])
    np.testing.assert_array_equal(explorer.baseline["arr"], direct["arr"])
    assert explorer.changes() == {}
    assert bytes(explorer.chart.value).startswith(PNG)
    assert "ARR, median" in explorer.kpi_table.value
    assert set(explorer.controls["All customers"]) >= {
        "growth",
        "churn",
        "onboarding",
        "onboarding_months",
        "expansion",
        "contraction",
        "arpa",
        "accounts_per_csm",
        "csm_cost",
    }
    assert (explorer.kpis["change"] == 0).all() or explorer.kpis["change"].isna().any()


def test_raising_churn_lowers_arr_and_moving_back_restores_it_exactly(explorer):
    churn = explorer.controls["All customers"]["churn"]
    before = explorer.result["arr"].copy()
    kpis_before = explorer.kpis.copy()
    png_before = explorer.chart.value
    churn.value = 0.04  # the callback recomputes synchronously
    assert explorer.changes() == {"segments.0.churn.monthly": 0.04}
    assert kpi(explorer, "ARR, median") < kpis_before.set_index("kpi").loc["ARR, median", "now"]
    assert (
        kpi(explorer, "Customers, median")
        < kpis_before.set_index("kpi").loc["Customers, median", "now"]
    )
    # common random numbers: every path is worse, not just the median
    assert (explorer.result["arr"][:, -1] <= before[:, -1]).all()
    assert explorer.kpis.set_index("kpi").loc["ARR, median", "change"] < 0
    assert explorer.chart.value != png_before
    churn.value = 0.03
    np.testing.assert_array_equal(explorer.result["arr"], before)
    assert explorer.kpis.equals(kpis_before)
    assert explorer.changes() == {}


@pytest.mark.parametrize(
    ("name", "value", "direction"),
    [
        ("growth", 0.4, +1),
        ("expansion", 0.01, +1),
        ("contraction", 0.01, -1),
        ("arpa", 60_000, +1),
        ("onboarding", 0.08, -1),
    ],
)
def test_sliders_move_arr_the_right_way(explorer, name, value, direction):
    before = kpi(explorer, "ARR, median")
    explorer.controls["All customers"][name].value = value
    assert np.sign(kpi(explorer, "ARR, median") - before) == direction
    assert explorer.scenario != explorer.base


def test_cs_cost_adds_a_cs_block_and_horizon_changes_the_run(explorer):
    explorer.controls["All customers"]["csm_cost"].value = 800_000
    assert explorer.scenario.segments[0].cs.csm_cost == 800_000
    assert np.isfinite(kpi(explorer, "ARR:CRC, median"))
    explorer.horizon.value = 24
    assert explorer.result.horizon == 24 and explorer.baseline.horizon == 24
    assert explorer.changes()["horizon_months"] == 24


def test_run_full_uses_the_paths_box_and_reset_returns_to_the_file(explorer):
    explorer.controls["All customers"]["churn"].value = 0.02
    explorer.run_button.click()
    assert explorer.result.paths == 2000
    assert "Full run" in explorer.status.value
    explorer.reset_button.click()
    assert explorer.changes() == {} and explorer.result.paths == 1000
    assert explorer.controls["All customers"]["churn"].value == 0.03


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_run_full_with_as_many_paths_as_the_preview_marks_the_full_run(lang):
    """Preview and full paths equal: **Run full** has the numbers already and says it is the full run."""
    e = Explorer(SCENARIO, workers=1, preview_paths=1000, paths=1000, seed=7, lang=lang)
    try:
        preview = e.result
        assert not e.full_run
        assert ("Preview:" if lang == "en" else "プレビュー:") in e.status.value
        e.run_button.click()
        assert e.full_run and e.result is preview and e.result.paths == 1000
        full = "Full run: 1,000 paths" if lang == "en" else "本計算: 1,000パス"
        assert full in e.status.value
        assert ("Preview" if lang == "en" else "プレビュー") not in e.status.value
        assert e.summary().splitlines()[1].startswith(full.split(":")[0])
        e.controls["All customers"]["churn"].value = 0.02  # a slider move is a preview again
        assert not e.full_run and e.result is not preview
        assert ("Preview:" if lang == "en" else "プレビュー:") in e.status.value
    finally:
        e.close()


def test_save_round_trips_and_never_overwrites_silently(tmp_path):
    source = tmp_path / "growth.yaml"
    shutil.copy(SCENARIO, source)
    e = Explorer(source, workers=1, preview_paths=500)
    try:
        e.controls["All customers"]["churn"].value = 0.025
        e.controls["All customers"]["expansion"].value = 0.004
        e.horizon.value = 48
        assert e.save_path.value == str(tmp_path / "growth-edited.yaml")
        out = e.save()
        assert out == tmp_path / "growth-edited.yaml"
        assert str(out.resolve()) in e.save_status.value
        loaded = cssim.load_scenario(out)
        assert loaded == e.scenario
        assert loaded.segments[0].churn.monthly == 0.025 and loaded.horizon_months == 48
        # an existing file, the source above all, needs the overwrite box
        original = source.read_text()
        assert e.save(source) is None and "opened" in e.save_status.value
        assert source.read_text() == original
        assert e.save(out) is None and "existing file" in e.save_status.value
        e.overwrite.value = True
        assert e.save(out) == out
        assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left nothing behind
    finally:
        e.close()


def test_several_segments_get_their_own_controls():
    scenario = three_segments(horizon=24)
    e = Explorer(scenario, workers=1, preview_paths=500)
    try:
        assert e.segment_tabs.titles == ("SMB", "Mid", "Enterprise")
        assert len(e.segment_tabs.children) == 3
        assert list(e.controls) == ["SMB", "Mid", "Enterprise"]
        # Mid acquires a monthly count, SMB at an annual rate
        assert "a month" in e.controls["Mid"]["growth"].description
        assert "a year" in e.controls["SMB"]["growth"].description
        before = e.result["arr", "SMB"].copy()
        e.controls["Mid"]["growth"].value = 12
        assert list(e.changes()) == ["segments.1.acquisition.count"]
        # the other segments' draws are keyed by their names: SMB is untouched
        np.testing.assert_array_equal(e.result["arr", "SMB"], before)
        assert (e.result["customers", "Mid"][:, -1] >= e.baseline["customers", "Mid"][:, -1]).all()
    finally:
        e.close()


def test_a_count_growth_and_its_fading_are_sliders_that_cut_new_customers():
    # Mid acquires 6 a month growing 1% a month: letting that growth fade (endurance 1 -> 0.5), or
    # stopping it, leaves fewer customers on every path (common random numbers)
    scenario = three_segments(horizon=36)
    e = Explorer(scenario, workers=1, preview_paths=500)
    try:
        mid = e.controls["Mid"]
        assert mid["count_growth"].value == pytest.approx(0.01) and mid["endurance"].value == 1
        assert "count_growth" not in e.controls["SMB"]  # an annual rate has no growth of its own
        before = e.result["customers", "Mid"][:, -1].copy()
        mid["endurance"].value = 0.5
        assert e.changes() == {"segments.1.acquisition.endurance": 0.5}
        faded = e.result["customers", "Mid"][:, -1].copy()
        assert (faded <= before).all() and faded.mean() < before.mean()
        mid["count_growth"].value = 0.0
        assert e.changes()["segments.1.acquisition.growth"] == 0.0
        assert (e.result["customers", "Mid"][:, -1] <= faded).all()
    finally:
        e.close()


def test_japanese_labels_for_the_growth_of_new_customers():
    e = Explorer(three_segments(horizon=12), workers=1, preview_paths=200, lang="ja")
    try:
        assert e.controls["Mid"]["count_growth"].description == "新規顧客数の月次の伸び率"
        assert e.controls["Mid"]["endurance"].description == "伸び率が 1 年ごとに残る割合"
        assert "新規顧客数の伸び率はそれより速く弱まり" in e.controls["Mid"]["endurance"].tooltip
    finally:
        e.close()


def test_an_uncertain_fading_stops_short_of_0_and_1_and_a_joint_growth_is_marked():
    # a calibrated count: the endurance a PERT prior, the count and its growth drawn jointly
    scenario = three_segments(horizon=24).replace(
        {
            "segments.1.acquisition.endurance": {
                "kind": "pert",
                "low": 0.5,
                "mode": 0.8,
                "high": 1,
            },
            "segments.1.joint": {
                "parameters": ["acquisition.count", "acquisition.growth"],
                "scales": ["log", "log1p"],
                "covariance": [[0.01, 0.0], [0.0, 0.0001]],
            },
        }
    )
    e = Explorer(scenario, workers=1, preview_paths=200)
    try:
        box, endurance = e.value_boxes["Mid"]["endurance"], e.controls["Mid"]["endurance"]
        box.text.value = "100%"  # no uncertain share has its median at 1: stopped at 99%
        assert endurance.value == pytest.approx(0.99, abs=endurance.step)
        assert "outside" in box.message.value and "Not a valid" not in e.status.value
        assert e.scenario.segment("Mid").acquisition.endurance.median() == pytest.approx(
            endurance.value, abs=1e-3
        )
        growth = e.controls["Mid"]["count_growth"]
        assert growth.description.endswith("~") and "joint(log1p" in growth.tooltip
        growth.value = -0.01  # the centre of the joint draws moves; the joint stays
        assert e.changes()["segments.1.acquisition.growth"] == -0.01
        assert "Not a valid" not in e.status.value
        draws = e.result.parameters()["Mid.acquisition.growth"]
        assert draws.median() == pytest.approx(-0.01, abs=0.002)
    finally:
        e.close()


def test_relocate_shifts_a_growth_that_may_turn_negative():
    # PERT(0.5%, 1%, 2%) scaled from zero to -1% would turn inside out; a growth is shifted instead
    dist = Pert(kind="pert", low=0.005, mode=0.01, high=0.02).with_bounds(-0.5, 1)
    data = relocate(dist, dist.median() - 0.02, signed=True)
    assert data["low"] == pytest.approx(-0.015) and data["high"] == pytest.approx(0.0)


def test_relocate_keeps_a_normal_share_as_likely_past_its_ceiling():
    dist = Normal(kind="normal", mean=0.8, sd=0.1).with_bounds(0, 1)
    data = relocate(dist, 0.95, ceiling=1.0)
    new = Normal(**data).with_bounds(0, 1)
    assert new.median() == pytest.approx(0.95)
    # 2 sd below the ceiling before and after: as likely to be refused past it
    assert (1 - data["mean"]) / data["sd"] == pytest.approx((1 - 0.8) / 0.1)


@pytest.mark.parametrize(
    "dist",
    [
        Pert(kind="pert", low=0.5, mode=0.8, high=1.0).with_bounds(0, 1),
        Beta(kind="beta", mean=0.8, sd=0.1).with_bounds(0, 1),
    ],
)
@pytest.mark.parametrize("target", [0.95, 0.4])
def test_relocate_keeps_a_share_within_its_ceiling(dist, target):
    # scaled from zero, PERT(0.5, 0.8, 1) moved to 0.95 would reach 1.19, past what a share can be
    data = relocate(dist, target, ceiling=1.0)
    new = type(dist)(**data).with_bounds(0, 1)
    assert new.median() == pytest.approx(target, rel=0.02)
    q = new.ppf(np.array([0.0005, 0.9995]))
    assert 0 <= q[0] and q[1] <= 1


def test_an_uncertain_parameter_moves_its_median_and_keeps_its_spread():
    scenario = three_segments(horizon=12)
    e = Explorer(scenario, workers=1, preview_paths=500)
    try:
        churn = e.controls["SMB"]["churn"]
        assert churn.description.endswith("~") and "beta" in churn.tooltip
        assert churn.value == pytest.approx(scenario.segment("SMB").churn.monthly.median())
        churn.value = 0.035
        moved = e.scenario.segment("SMB").churn.monthly
        assert isinstance(moved, Beta)
        assert moved.median() == pytest.approx(0.035, rel=0.02)
        draws = e.result.parameters()["SMB.churn.monthly"]
        assert draws.median() == pytest.approx(0.035, rel=0.05)
    finally:
        e.close()


@pytest.mark.parametrize(
    "dist",
    [
        Beta(kind="beta", mean=0.03, sd=0.01).with_bounds(0, 1),
        Beta(kind="beta", alpha=3.0, beta=97.0).with_bounds(0, 1),
        LogNormal(kind="lognormal", mean=50_000, sd=10_000).with_bounds(0, np.inf),
        Triangular(kind="triangular", low=0.01, mode=0.03, high=0.06).with_bounds(0, 1),
    ],
)
def test_relocate_scales_positive_quantities(dist):
    data = relocate(dist, 2 * dist.median())
    new = type(dist)(**data).with_bounds(*dist.bounds)
    assert new.median() == pytest.approx(2 * dist.median(), rel=0.02)
    old_cv = np.std(dist.ppf(np.linspace(0.01, 0.99, 99))) / dist.median()
    new_cv = np.std(new.ppf(np.linspace(0.01, 0.99, 99))) / new.median()
    assert new_cv == pytest.approx(old_cv, rel=0.1)


def test_relocate_shifts_a_normal():
    dist = Normal(kind="normal", mean=0.1, sd=0.05).with_bounds(-0.99, 100)
    assert relocate(dist, -0.05) == {"kind": "normal", "mean": pytest.approx(-0.05), "sd": 0.05}


def test_worker_processes_give_the_same_numbers():
    e = Explorer(SCENARIO, workers=2, preview_paths=2000, seed=3)
    try:
        direct = cssim.simulate(e.base, paths=2000, seed=3)
        np.testing.assert_array_equal(e.result["arr"], direct["arr"])
        assert e._pool is not None
    finally:
        e.close()
        assert e._pool is None


def test_onboarding_follows_churn_until_moved(explorer):
    """The file has no onboarding block, so onboarding churn is the monthly churn until set apart."""
    ctrl = explorer.controls["All customers"]
    ctrl["churn"].value = 0.025
    assert ctrl["onboarding"].value == 0.025
    assert explorer.changes() == {"segments.0.churn.monthly": 0.025}
    ctrl["onboarding"].value = 0.05
    assert explorer.changes()["segments.0.churn.onboarding"] == {"months": 3, "monthly": 0.05}
    ctrl["churn"].value = 0.03
    assert ctrl["onboarding"].value == 0.05
    explorer.reset()
    assert explorer.changes() == {} and ctrl["onboarding"].value == 0.03


def test_browser_float_noise_is_not_a_change(explorer):
    """The browser sends slider values back as min + k x step (0.19999999999999996 for 0.2)."""
    result = explorer.result
    ctrl = explorer.controls["All customers"]
    ctrl["growth"].value = 0.19999999999999996
    ctrl["onboarding"].value = 0.030000000000000006
    assert explorer.changes() == {}
    assert explorer.result is result  # no recompute either
    ctrl["churn"].value = 0.025000000000000001 + 1e-12
    assert explorer.changes() == {"segments.0.churn.monthly": 0.025}


@pytest.mark.parametrize(
    "typed,expected",
    [
        ("2%", 0.02),
        ("2", 0.02),
        ("0.02", 0.02),
        ("1", 0.01),
        ("100%", 1.0),
        ("12.5", 0.125),
        ("0.5", 0.5),
        ("２％", 0.02),
        (" 3 % ", 0.03),
    ],
)
def test_percentage_fields_read_the_units_people_type(typed, expected):
    assert parse_value(typed, percent=True) == pytest.approx(expected, rel=1e-12)


def test_other_fields_take_the_number_as_written():
    assert parse_value("40,000", percent=False) == 40_000
    assert parse_value("2", percent=False) == 2
    with pytest.raises(ValueError, match="'two' is not a number"):
        parse_value("two", percent=True)


def test_typing_2_percent_sets_churn_to_2_percent_and_says_so(explorer):
    box = explorer.value_boxes["All customers"]["churn"]
    churn = explorer.controls["All customers"]["churn"]
    for typed in ("2%", "2", "0.02"):
        box.text.value = typed
        assert churn.value == pytest.approx(0.02, abs=churn.step / 2)
        assert "set to 2%" in box.message.value and "outside" not in box.message.value
        box.text.value = ""


def test_a_value_beyond_the_slider_is_clamped_with_a_visible_message(explorer):
    box = explorer.value_boxes["All customers"]["churn"]
    churn = explorer.controls["All customers"]["churn"]
    box.text.value = "50%"
    assert churn.value == churn.max
    assert "outside" in box.message.value and f"set to {churn.max:.0%}" in box.message.value
    box.text.value = "nonsense"
    assert "not a number" in box.message.value and churn.value == churn.max


def test_japanese_labels_and_messages():
    e = Explorer(SCENARIO, workers=1, preview_paths=1000, paths=1000, seed=7, lang="ja")
    try:
        churn = e.controls["All customers"]["churn"]
        assert churn.description.startswith("月次解約率")
        box = e.value_boxes["All customers"]["churn"]
        box.text.value = "50%"
        assert "範囲" in box.message.value and churn.value == churn.max
        table = e.kpi_table.value
        assert "NRR（拡張を含む" in table and "ARR/CRC" in table and "中央値" in table
        assert "億円" in table or "万円" in table
        assert "ARR, median" not in table
    finally:
        e.close()
