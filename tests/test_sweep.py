"""Sweeps over one or two fields on common random numbers, and their reports."""

from __future__ import annotations

import numpy as np
import pytest

import cssim
from cssim.analysis.sweep import parse_vary, sweep
from cssim.reporting.sweep_report import write_sweep_report


def test_parse_vary():
    assert parse_vary("churn.monthly=0.01:0.03:3") == ("churn.monthly", [0.01, 0.02, 0.03])
    assert parse_vary("acquisition.rate=0.1,0.2") == ("acquisition.rate", [0.1, 0.2])
    for bad in ("churn.monthly", "churn.monthly=a:b:3", "x=0:1:1", "x=1:2"):
        with pytest.raises(ValueError, match="--vary"):
            parse_vary(bad)


def test_two_field_sweep_finds_the_closed_form_break_even(tmp_path):
    base = cssim.load_scenario("scenarios/growth-vs-churn.yaml").replace({"horizon_months": 24})
    churn = [0.010, 0.0153, 0.020]
    res = sweep(base, {"churn.monthly": churn, "acquisition.rate": [0.2]}, paths=2000, seed=4)
    t = res.table.set_index("churn.monthly")
    # 20%/year acquisition is m = 1.531%/month: below it ARR grows, above it shrinks
    assert t.loc[0.010, "p_arr_grows"] > 0.99 and t.loc[0.020, "p_arr_grows"] < 0.01
    # at the break-even churn the expected customer base is flat (closed form), ARR within 4 se
    m = 1.2 ** (1 / 12) - 1
    exact = 600e6 * (1 + m - 0.0153) ** 24
    assert abs(t.loc[0.0153, "arr_mean"] - exact) < 4 * t.loc[0.0153, "arr_mean_se"]
    path = write_sweep_report(res, tmp_path / "sweep.html")
    html = path.read_text()
    assert html.count("data:image/png;base64,") == 2 and "https://" not in html


def test_sweep_points_share_random_numbers():
    base = cssim.load_scenario("scenarios/growth-vs-churn.yaml").replace({"horizon_months": 12})
    res = sweep(base, {"churn.monthly": [0.03, 0.03]}, paths=500, seed=2)
    assert res.table["arr_median"].nunique() == 1  # same parameters, same seed: same numbers
    one = sweep(base, {"acquisition.rate": list(np.linspace(0.1, 0.5, 5))}, paths=500, seed=2)
    assert one.table["arr_median"].is_monotonic_increasing


def test_invalid_sweep_values_are_scenario_errors():
    base = cssim.load_scenario("scenarios/growth-vs-churn.yaml")
    with pytest.raises(cssim.ScenarioError, match=r"churn\.monthly"):
        sweep(base, {"churn.monthly": [0.02, 1.5]}, paths=100)
