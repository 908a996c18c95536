"""Every chart the report draws reads its money in the reader's language, drawn so the first time.

Each chart kind (fan chart, MRR waterfall, retention, cohort layers, unit economics, and the report's
own lever, churn-floor and tornado figures) is drawn in Japanese and in English, and its tick labels are
read back: in Japanese a money axis reads 億円/万円 and no tick anywhere carries an English ``M`` or ``k``;
in English a money axis reads ``¥350M`` / ``¥500k``.
"""

from __future__ import annotations

import io
import re
import warnings

import matplotlib

matplotlib.use("Agg")
import pytest
import yaml
from matplotlib.figure import Figure

import cssim
from cssim.reporting import charts, report
from cssim.reporting.report import levers as strategy

from .test_chart_fonts import JA

#: a Japanese money tick: ``3.5億円``, ``−50万円``, ``5,000円`` or ``0``
MONEY_JA = re.compile(r"^(0|−?[\d,]+(\.\d+)?(億|万)?円)$")
#: an English money tick: ``¥350M``, ``−¥500k``, ``¥9,800`` or ``0``
MONEY_EN = re.compile(r"^(0|−?¥[\d,]+(\.\d+)?[kMBT]?)$")
ENGLISH_UNIT = re.compile(r"\d[kKMBT]$")


@pytest.fixture(scope="module")
def contexts(tmp_path_factory):
    """The report's context of a two-segment Japanese scenario with uncertain assumptions (so there is
    a tornado and a churn floor), in each language."""
    path = tmp_path_factory.mktemp("ticks") / "ja.yaml"
    path.write_text(yaml.safe_dump(JA, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return {lang: report.prepare(path, paths=120, seed=5, lang=lang) for lang in ("en", "ja")}


def _ticks(draw) -> dict[str, list[str]]:
    """Draw on a new figure as the report does and read its tick labels back, per axis."""
    from cssim.reporting.report.markup import _rc

    with matplotlib.rc_context(_rc()), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fig = Figure(figsize=(10, 4), layout="constrained")
        ax = fig.subplots()
        draw(ax)
        fig.savefig(io.BytesIO(), format="png", dpi=40)
    return {
        "x": [t.get_text() for t in ax.get_xticklabels() if t.get_text()],
        "y": [t.get_text() for t in ax.get_yticklabels() if t.get_text()],
    }


def _money_charts(ctx):
    """(name, draw, money axis) of every chart with a money axis."""
    r, lang = ctx.result, ctx.lang
    return [
        ("fan chart", lambda ax: charts.fan_chart(r, "arr", ax=ax, lang=lang), "y"),
        ("waterfall", lambda ax: charts.mrr_waterfall(r, ax=ax, lang=lang), "y"),
        ("cohort layers", lambda ax: charts.cohort_layers(r, ax=ax, lang=lang), "y"),
        ("levers", lambda ax: strategy.draw_levers(ctx, ax), "x"),
        (
            "tornado",
            lambda ax: strategy.draw_tornado(ctx, _tornado(ctx), ax),
            "x",
        ),
        (
            "churn floor",
            lambda ax: strategy.draw_churn_floor(ctx, _marginal(ctx), ax),
            "y",
        ),
    ]


def _other_charts(ctx):
    r, lang = ctx.result, ctx.lang
    return [
        ("customers", lambda ax: charts.fan_chart(r, "customers", ax=ax, lang=lang)),
        ("retention", lambda ax: charts.retention_chart(r, ax=ax, lang=lang)),
        ("unit economics", lambda ax: charts.unit_economics_chart(r, ax=ax, lang=lang)),
    ]


def _tornado(ctx):
    from cssim.analysis.sensitivity import tornado

    return tornado(ctx.scenario)


def _marginal(ctx):
    from cssim.analysis.levers import marginal_value

    return marginal_value(ctx.scenario, paths=100, seed=1, levels=(0.03, 0.02, 0.01))


def test_japanese_money_axes_read_oku_and_man_en(contexts):
    ctx = contexts["ja"]
    for name, draw, axis in _money_charts(ctx):
        ticks = _ticks(draw)
        money = ticks[axis]
        assert len(money) >= 2, (name, ticks)
        assert all(MONEY_JA.match(t) for t in money), (name, money)
        assert any("億円" in t or "万円" in t for t in money), (name, money)
        for t in ticks["x"] + ticks["y"]:
            assert not ENGLISH_UNIT.search(t), (name, t)


def test_japanese_charts_without_money_carry_no_english_unit(contexts):
    for name, draw in _other_charts(contexts["ja"]):
        ticks = _ticks(draw)
        assert ticks["x"] and ticks["y"], name
        for t in ticks["x"] + ticks["y"]:
            assert not ENGLISH_UNIT.search(t), (name, t)


def test_english_money_axes_read_yen_with_m_and_k(contexts):
    ctx = contexts["en"]
    for name, draw, axis in _money_charts(ctx):
        money = _ticks(draw)[axis]
        assert len(money) >= 2, (name, money)
        assert all(MONEY_EN.match(t) for t in money), (name, money)
        assert any(re.search(r"¥[\d,.]+[kM]$", t) for t in money), (name, money)


def test_english_is_the_default_and_the_currency_follows_the_scenario():
    sc = cssim.Scenario.from_dict({**JA, "currency": "USD"})
    r = cssim.simulate(sc, paths=50, seed=1)
    ticks = _ticks(lambda ax: charts.fan_chart(r, "arr", ax=ax))["y"]
    assert all(t == "0" or re.match(r"^−?\$[\d.,]+[kMB]?$", t) for t in ticks), ticks
    ja = _ticks(lambda ax: charts.fan_chart(r, "arr", ax=ax, lang="ja"))["y"]
    assert all(t == "0" or re.match(r"^−?\$[\d.,]+(億|万)?$", t) for t in ja), ja
    yen = _ticks(lambda ax: charts.fan_chart(r, "arr", ax=ax, lang="ja", currency="JPY"))["y"]
    assert all(t == "0" or t.endswith("円") for t in yen), yen
