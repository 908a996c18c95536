"""What a CS team is worth (``cssim.cs_plan`` and ``cssim cs-plan``): the best level against an exact
computation where coverage is constant, the payback and break-even figures, and the files written."""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest

import cssim
from cssim.analysis.cs_plan import _expected_profit, _level_scenario

SEGMENT = {
    "name": "SMB",
    "customers": 800,
    "arpa": 50_000,
    "acquisition": {"rate": 0.2},
    "churn": {"monthly": 0.02},
    "expansion": {"rate": 0.01, "probability": 0.1},
    "cs": {
        "accounts_per_csm": 150,
        "csm_cost": 600_000,
        "response": [
            {
                "from": "at_risk",
                "to": "healthy",
                "none": 0.03,
                "max": 0.4,
                "half_effect_hours": 1.5,
            },
            {"from": "healthy", "to": "at_risk", "none": 0.15, "max": 0.05, "half_effect_hours": 1},
        ],
    },
    "health": {
        "states": [
            {
                "name": "healthy",
                "start": 0.6,
                "new": 0.5,
                "churn_multiplier": 0.5,
                "expansion_multiplier": 1.5,
            },
            {"name": "at_risk", "start": 0.3, "new": 0.4, "churn_multiplier": 1.5},
            {
                "name": "dormant",
                "start": 0.1,
                "new": 0.1,
                "churn_multiplier": 4,
                "expansion_multiplier": 0,
            },
        ],
        "transitions": {
            "healthy": {"healthy": 0.95, "dormant": 0.05},
            "at_risk": {"at_risk": 0.8, "dormant": 0.2},
            "dormant": {"at_risk": 0.1, "dormant": 0.9},
        },
    },
}
LEVELS = [40, 100, 150, 400]


@pytest.fixture(scope="module")
def scenario():
    return cssim.Scenario.from_dict(
        {"name": "CS team", "horizon_months": 24, "segments": [SEGMENT]}
    )


@pytest.fixture(scope="module")
def plan(scenario):
    return cssim.cs_plan(scenario, accounts_per_csm=LEVELS, paths=3000, seed=3)


def test_best_level_is_the_exact_computations_on_a_linear_case(scenario, plan):
    """Accounts per CSM keep coverage constant, so the expected path is exact: the exact expected
    profit after CS picks the same best level, and each level's Monte Carlo mean is within 4 standard
    errors of it."""
    exact = {
        lv: _expected_profit(_level_scenario(scenario, 0, "accounts_per_csm", lv)) for lv in LEVELS
    }
    table = plan.table.set_index("level")
    assert plan.best["level"] == max(exact, key=exact.get)
    for lv, value in exact.items():
        row = table.loc[lv]
        assert abs(row["profit_mean"] - value) < 4 * row["profit_se"], (
            lv,
            row["profit_mean"],
            value,
        )
    # the levels are far enough apart for the choice to be clear against the noise
    ranked = sorted(exact.values())
    assert ranked[-1] - ranked[-2] > 6 * table["profit_se"].max()


def test_todays_level_is_one_row_and_the_table_says_what_each_level_gives(plan):
    t = plan.table
    assert t["current"].sum() == 1 and t.loc[t["current"], "level"].item() == 150
    assert t["best"].sum() == 1
    assert (t["profit_p10"] <= t["profit_median"]).all() and (
        t["profit_median"] <= t["profit_p90"]
    ).all()
    assert t["cs_cost"].is_monotonic_decreasing  # more accounts per CSM, less CS spend
    assert t["arr_median"].is_monotonic_decreasing  # less CS, fewer healthy customers, less ARR
    for col in ("p_payback_12", "p_payback_24"):
        v = t[col].dropna()
        assert ((0 <= v) & (v <= 1)).all()


def test_the_guideline_falls_between_the_levels_that_straddle_it(plan):
    t = plan.table.sort_values("level")
    g = plan.guideline_level()
    below = t[t["arr_crc_median"] < 10]["level"].max()
    above = t[t["arr_crc_median"] >= 10]["level"].min()
    assert below < g < above


def test_the_break_even_effect_ties_the_best_and_todays_level(scenario):
    """With a cheaper CS team, more CS is best; at the break-even effect the expected profits tie."""
    data = scenario.to_dict()
    data["segments"][0]["cs"]["csm_cost"] = 300_000
    cheap = cssim.Scenario.from_dict(data)
    plan = cssim.cs_plan(cheap, accounts_per_csm=[40, 100, 150], paths=600, seed=3)
    be = plan.breakeven
    assert not plan.best["current"] and be["more_cs"]
    s = be["scale"]
    assert 0 <= s <= 1
    central = cheap
    changes = {}
    for k, r in enumerate(central.segments[0].cs.response):
        changes[("segments", 0, "cs", "response", k, "max")] = r.none + s * (r.max - r.none)
    at = central.replace(changes)
    best = _expected_profit(_level_scenario(at, 0, "accounts_per_csm", plan.best["level"]))
    today = _expected_profit(at)
    assert abs(best - today) < 1e-6 * abs(today)


def test_levels_are_checked(scenario):
    with pytest.raises(ValueError, match="accounts_per_csm or as csms"):
        cssim.cs_plan(scenario, paths=10)
    with pytest.raises(ValueError, match="positive"):
        cssim.cs_plan(scenario, csms=[0, 2], paths=10)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_command_writes_the_plan_and_its_page(tmp_path, scenario, lang):
    source = tmp_path / "team.yaml"
    source.write_text(scenario.to_yaml(), encoding="utf-8")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "cssim.cli",
            "--lang",
            lang,
            "cs-plan",
            str(source),
            "--accounts-per-csm",
            "40,100,400",
            "--paths",
            "300",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    folder = tmp_path / "out" / "team"
    with (folder / "plan.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {
        "accounts_per_csm",
        "profit_mean",
        "profit_p10",
        "profit_p90",
        "arr_median",
        "nrr_median",
        "grr_median",
        "p_payback_12",
        "p_payback_24",
    } <= set(rows[0])
    assert len(rows) == 4  # today's level (150) and the three levels
    page = (folder / "plan.html").read_text(encoding="utf-8")
    assert "data:image/png;base64" in page
    said = "最善" if lang == "ja" else "best"
    assert (said in page and said in out.stdout) or lang == "en"
    if lang == "ja":
        assert "CS費用控除後の利益" in page and "ARR" in out.stdout


def test_segment_must_be_named_when_several_could_vary():
    two = {"name": "two", "horizon_months": 12, "segments": [SEGMENT, {**SEGMENT, "name": "Ent"}]}
    sc = cssim.Scenario.from_dict(two)
    with pytest.raises(ValueError, match="name the segment"):
        cssim.cs_plan(sc, accounts_per_csm=[50], paths=10)
    plan = cssim.cs_plan(sc, "Ent", accounts_per_csm=[50], paths=100, seed=1)
    assert plan.segment == "Ent"
    np.testing.assert_array_equal(plan.table["current"], [True, False])
