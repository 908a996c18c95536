"""What the notebooks show, in Japanese: tables, results, the fitted figures, goal seek, backtest summary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import cssim
from cssim import cli
from cssim.analysis.breakeven import breakeven_table
from cssim.words.tables import column_label, result_html, table

from .helpers import english_left

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "churn-floor-expansion.yaml"
SAMPLE = ROOT / "data" / "sample-mrr.csv"
SCIENTIFIC = re.compile(r"\d\.\d+e[+-]\d\d")


def _cells(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", html)
    ]


@pytest.fixture(scope="module")
def scenario():
    return cssim.load_scenario(SCENARIO)


@pytest.fixture(scope="module")
def calibration():
    return cssim.calibrate(SAMPLE)


def test_column_labels():
    assert column_label("p10", "ja") == "P10"
    assert column_label("churn_breakeven", "ja") == "顧客数を維持できる解約率"
    assert column_label("churn_breakeven", "en") == "churn at break-even"
    assert column_label("no_such_column", "ja") == "no such column"


def test_the_notebook_tables_read_japanese(scenario):
    frames = {
        "floor": cssim.marginal_value(scenario, seed=1).to_frame(),
        "breakeven": breakeven_table(scenario),
        "sensitivity": cssim.global_sensitivity(scenario, paths=200, seed=1).to_frame(),
        "levers": cssim.levers(scenario, paths=200, seed=1).to_frame(),
    }
    names = [scenario.name, *scenario.segment_names, "sBG", "brentq"]
    for name, df in frames.items():
        cells = _cells(table(df, "ja", scenario=scenario).to_html())
        assert cells, name
        for c in cells:
            assert not SCIENTIFIC.search(c), (name, c)
            assert not english_left(c, names), (name, c)
            assert not re.search(r"\w\.\w+\.\w", c), (name, c)  # no field path
    floor = _cells(table(frames["floor"], "ja", scenario=scenario).to_html())
    assert "解約率 −10%" in floor and any(c.endswith("億円") for c in floor)
    sens = _cells(table(frames["sensitivity"], "ja", scenario=scenario).to_html())
    assert "解約率" in sens and "順位相関" in sens


def test_the_frame_itself_keeps_its_numbers(scenario):
    df = cssim.marginal_value(scenario, seed=1).to_frame()
    styled = table(df, "ja", scenario=scenario)
    assert list(styled.data["gain"]) == list(df["gain"])


def test_result_display_in_japanese(scenario):
    r = cssim.simulate(scenario, paths=300, seed=2)
    html = result_html(r, "ja")
    h = r.headline()
    assert "36か月目のARR（中央値）" in html and "ARRが増える確率" in html
    assert cssim.words.formatting.money(h["arr_median"], "JPY", "ja") in html
    assert "300パス × 36か月、シード 2" in html
    assert "Paths" not in html and "median" not in html
    assert "36" in result_html(r) and "ARR at month 36 (median)" in result_html(r)


def test_calibration_summary_and_display_in_japanese(calibration):
    s = calibration.summary("ja")
    assert "月次解約率（全顧客）" in s.index and "月次拡張率" in s.index
    assert list(s["estimate"]) == list(calibration.summary()["estimate"])
    html = calibration.to_html("ja")
    assert "推定値" in html and "標準誤差" in html and "シナリオに使用" in html
    assert "<table>" in calibration._repr_html_() and "estimate" in calibration._repr_html_()
    for c in _cells(html):
        assert not english_left(c, [str(SAMPLE), "sBG", "sbg"]), c


def test_calibration_page_names_the_parameters_in_japanese(calibration, tmp_path):
    from cssim.reporting.calibration_report import render_report

    page = re.sub(r"<[^>]+>", "", render_report(calibration, "ja"))
    assert "月次解約率（全顧客）" in page and "monthly churn (all customers)" not in page


def test_goal_seek_reads_japanese(scenario):
    seek = cssim.goal_seek(scenario, "churn.monthly", 0.8, paths=200, seed=1)
    text = seek.text("ja")
    assert text.startswith("解約率 = ") and "ARRが増える確率 " in text
    assert "パス数 200、シード 1" in text
    assert "<p>" in seek.to_html("ja") and "chance ARR grows" in seek.text("en")


def test_backtest_console_summary_in_japanese(capsys):
    assert (
        cli.main(["backtest", str(SAMPLE), "--holdout", "6", "--paths", "200", "--lang", "ja"]) == 0
    )
    out = capsys.readouterr().out
    assert "のバックテスト:" in out and "か月を検証用に残しました" in out
    assert "P10〜P90 に入った月" in out and "偏り" in out
    assert "of months" not in out and "bias" not in out
    assert "顧客数" in out and "解約MRR" in out


def test_backtest_display_in_japanese():
    bt = cssim.backtest(SAMPLE, holdout=6, paths=200, seed=1)
    cells = _cells(bt.to_html("ja"))
    assert "P10〜P90 に入った割合" in cells and "解約MRR" in cells and "顧客数" in cells
    assert all(not english_left(c, ["MRR"]) for c in cells), cells
    assert "inside P10-P90" in bt._repr_html_()


def test_comparison_table_reads_japanese_at_certainty():
    from cssim.analysis.compare import compare

    a = cssim.load_scenario(ROOT / "scenarios" / "growth-vs-churn.yaml")
    b = a.replace({"segments.0.churn.monthly": 0.025, "name": "B"})
    c = compare([a, b], paths=300, seed=1)
    cells = _cells(c.to_html("ja"))
    assert any("300パスすべて" in x for x in cells), cells  # B beats A on every path here
    assert not any("paths" in x for x in cells), cells
    assert not any("± +" in x for x in cells), cells  # a standard error carries no sign
    assert any("100% of 300 paths" in x for x in _cells(c.to_html()))
