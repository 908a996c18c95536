"""The analysis charts speak the reader's language: titles, axis labels, legends and money ticks.

Each ``plot(lang="ja")`` is drawn, then its texts are read back from the matplotlib Axes: they are the
Japanese of ``charts.po`` (no English sentence left beside the names the chart shows), money ticks read
in 億円/万円, and the English default is unchanged.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

import cssim
from cssim.analysis.compare import compare
from cssim.analysis.levers import levers, marginal_value
from cssim.analysis.sensitivity import global_sensitivity, tornado
from cssim.reporting import calibration_report
from cssim.words.labels import metric_label

from .helpers import english_left
from .test_chart_fonts import JA

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample-mrr.csv"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
MONEY_JA = re.compile(r"(億|万)円$|^0$|^[−-]?\d[\d,.]*円$")


@pytest.fixture(scope="module")
def scenario():
    return cssim.Scenario.from_dict(JA)


@pytest.fixture(scope="module")
def calibration():
    return cssim.calibrate(SAMPLE, backtest_months=0)


def _texts(ax) -> dict[str, list[str]]:
    """What a reader sees on ``ax`` once drawn: title, axis labels, legend entries, tick labels."""
    ax.figure.savefig(io.BytesIO(), format="png", dpi=30)  # lays out the ticks
    legend = ax.get_legend()
    return {
        "title": [ax.get_title()]
        + ([ax.figure._suptitle.get_text()] if ax.figure._suptitle else []),
        "labels": [ax.get_xlabel(), ax.get_ylabel()],
        "legend": [t.get_text() for t in legend.get_texts()] if legend else [],
        "xticks": [t.get_text() for t in ax.get_xticklabels() if t.get_text()],
        "yticks": [t.get_text() for t in ax.get_yticklabels() if t.get_text()],
    }


def _japanese(texts: dict[str, list[str]], names: list[str]) -> None:
    """Titles, labels and legend hold Japanese and no run of English words besides ``names``."""
    words = [x for k in ("title", "labels", "legend") for x in texts[k] if x]
    assert words and any(JAPANESE.search(x) for x in texts["title"] + texts["labels"]), texts
    for x in words:
        assert not english_left(x, names), (x, english_left(x, names))


def _draw(plot):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no missing glyph
        return plot()


def test_compare_chart_in_japanese(scenario):
    other = scenario.replace({"segments.中小企業.churn.monthly": 0.02})
    c = compare([scenario, other], paths=100, seed=1)
    ax_fan, ax_hist = _draw(lambda: c.plot(lang="ja"))
    fan, hist = _texts(ax_fan), _texts(ax_hist)
    arr = metric_label("arr", "ja")
    assert fan["title"][0] == f"{arr}: 中央値とP10〜P90" and fan["labels"][0] == "月"
    assert hist["labels"] == [f"{arr}の差", "パス数"]
    assert hist["title"][0].startswith(f"{c.month}か月目の{arr}の差")
    assert all(MONEY_JA.search(x) for x in fan["yticks"]), fan["yticks"]
    assert any("億円" in x or "万円" in x for x in fan["yticks"] + hist["xticks"])
    box = [t.get_text() for t in ax_hist.texts]
    assert box and "B が A を上回る確率" in box[0]
    _japanese(fan, [scenario.name, other.name, "ARR", "P10", "P90"])
    english = c.plot()[0]
    assert english.get_title() == "ARR: median and P10-P90" and english.get_xlabel() == "month"
    plt.close("all")


def test_levers_chart_in_japanese(scenario):
    lr = levers(scenario, paths=100, seed=1)
    ax = _draw(lambda: lr.plot(lang="ja"))
    texts = _texts(ax)
    assert texts["title"][0] == f"{scenario.name}：{lr.horizon}か月目の打ち手の効果"
    assert texts["labels"][0].startswith(f"{lr.horizon}か月目の{metric_label('arr', 'ja')}の変化")
    assert any(x.startswith("解約率") for x in texts["yticks"]), texts["yticks"]
    assert all(MONEY_JA.search(x) for x in texts["xticks"]), texts["xticks"]
    _japanese(texts, [scenario.name, "ARR", "P10", "P90"])
    assert lr.plot().get_title() == f"{scenario.name}: levers at month {lr.horizon}"
    plt.close("all")


def test_churn_floor_chart_in_japanese(scenario):
    mv = marginal_value(scenario, paths=100, seed=1, levels=(0.02, 0.01))
    texts = _texts(_draw(lambda: mv.plot(lang="ja")))
    assert texts["labels"][0] == "打ち手の前の月次解約率（%）"
    assert texts["labels"][1] == f"{scenario.horizon_months}か月目のARR増分"
    assert all(JAPANESE.search(x) for x in texts["legend"]), texts["legend"]
    assert all(MONEY_JA.search(x) for x in texts["yticks"]), texts["yticks"]
    _japanese(texts, ["ARR"])
    plt.close("all")


def test_sensitivity_charts_in_japanese(scenario):
    texts = _texts(_draw(lambda: tornado(scenario).plot(lang="ja")))
    assert texts["title"][0] == f"{scenario.name}: {metric_label('arr', 'ja')}を動かす要因"
    assert texts["legend"] == ["入力が P10 のとき", "入力が P90 のとき"]
    assert all(MONEY_JA.search(x) for x in texts["xticks"]), texts["xticks"]
    _japanese(texts, [scenario.name, "ARR", "P10", "P90"])
    gs = global_sensitivity(scenario, paths=200, seed=1)
    texts = _texts(_draw(lambda: gs.plot(lang="ja")))
    assert texts["title"][0] == f"{scenario.name}: 大域的な感度分析(200パス)"
    assert any(x.startswith("中小企業：解約率") for x in texts["yticks"]), texts["yticks"]
    assert not any("churn.monthly" in x for x in texts["yticks"])
    _japanese(texts, [scenario.name, "ARR", "Var(E[Y|X])/Var(Y)"])
    plt.close("all")


def test_calibration_and_backtest_charts_in_japanese(calibration):
    ax = _draw(lambda: calibration.sbg.plot(lang="ja"))
    texts = _texts(ax)
    assert texts["labels"] == ["契約期間(期)", "継続している割合"]
    assert texts["legend"][0] == "実績"
    plt.close("all")
    figures = [calibration_report._retention_figure(calibration, "ja")]
    figures.append(calibration_report._movement_figure(calibration, "ja"))
    if calibration.holdout is not None:
        figures.append(calibration_report._holdout_figure(calibration, "ja"))
    for fig in figures:
        for ax in fig.axes:
            _japanese(_texts(ax), ["sBG", "MAPE", "NRR", "GRR", "alpha", "beta"])
    bt = cssim.backtest(SAMPLE, holdout=6, paths=100, seed=3)
    fig = _draw(lambda: bt.plot(lang="ja"))
    first = _texts(fig.axes[0])
    assert (
        first["title"][1].startswith("バックテスト: ") and "か月を検証に除外" in first["title"][1]
    )
    assert "P10〜P90に入った月" in first["title"][0] and first["legend"][2] == "予測の中央値"
    plt.close("all")
