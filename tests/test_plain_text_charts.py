"""Scenario text reaches every chart as plain text: ``$x$`` is drawn as "$x$", and ``$\\x$`` never crashes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.text import Text

import cssim
from cssim.analysis.compare import compare
from cssim.analysis.sweep import sweep
from cssim.reporting import charts as plots
from cssim.reporting.compare_report import write_compare_report
from cssim.reporting.sweep_report import write_sweep_report
from cssim.words.plaintext import plain, plain_figure

MATH, BROKEN = "$x$", "$\\x$"


@pytest.fixture(scope="module")
def scenario():
    seg = {
        "customers": 200,
        "arpa": 20_000,
        "acquisition": {"rate": 0.3},
        "churn": {"monthly": [0.01, 0.03]},
        "expansion": {"rate": 0.01, "probability": 0.2},
        "cs": {"accounts_per_csm": 100, "csm_cost": 400_000},
        "cac": 50_000,
    }
    return cssim.Scenario.from_dict(
        {
            "name": f"co {BROKEN}",
            "horizon_months": 24,
            "segments": [
                {**seg, "name": MATH},
                {**seg, "name": BROKEN},
                {**seg, "name": "Tier 1.5"},
            ],
        }
    )


def _drawn(fig) -> list[str]:
    """Every text of the drawn figure as matplotlib shows it; none may be mathtext."""
    fig.canvas.draw()
    out = []
    for t in fig.findobj(Text):
        shown, math = t._preprocess_math(t.get_text())
        assert math is False, f"{t.get_text()!r} is drawn as TeX"
        out.append(shown)
    plt.close(fig)
    return out


def _has(shown: list[str], literal: str) -> bool:
    return any(literal in s for s in shown)


def test_plain_round_trips_what_matplotlib_draws():
    for text in (MATH, BROKEN, "a\\$b", "$", "no dollars", "$$"):
        t = Text(0, 0, plain(text))
        assert t._preprocess_math(t.get_text()) == (text, False)


def test_result_charts(scenario):
    r = cssim.simulate(scenario, paths=60, seed=1)
    for draw in (plots.fan_chart, plots.mrr_waterfall, plots.retention_chart, plots.cohort_layers):
        for seg in (MATH, BROKEN):
            ax = draw(r, segment=seg)
            shown = _drawn(ax.figure)
            assert _has(shown, seg) or draw is not plots.fan_chart, (draw.__name__, shown)
    shown = _drawn(plots.unit_economics_chart(r).figure)
    assert _has(shown, MATH) and _has(shown, BROKEN)


def test_analysis_charts(scenario):
    shown = _drawn(cssim.levers(scenario, paths=60, seed=1).plot().figure)
    assert _has(shown, BROKEN)
    shown = _drawn(cssim.tornado(scenario, paths=60).plot().figure)
    assert _has(shown, MATH) and _has(shown, "Tier 1.5")
    shown = _drawn(cssim.global_sensitivity(scenario, paths=200, bootstrap=5).plot().figure)
    assert _has(shown, BROKEN)
    _drawn(cssim.marginal_value(scenario).plot().figure)
    c = compare([scenario, scenario.replace({'segments["Tier 1.5"].cac': 0})], paths=60, seed=1)
    fig, axes = plt.subplots(1, 2)
    c.plot(axes)
    assert _has(_drawn(plain_figure(fig)), BROKEN)


def test_reports_with_tex_names_render(scenario, tmp_path):
    c = compare([scenario, scenario.replace({"horizon_months": 12})], paths=60, seed=1)
    assert write_compare_report(c, tmp_path / "c.html").stat().st_size > 0
    s = sweep(scenario, {"churn.monthly": [0.01, 0.02]}, paths=40, seed=1)
    assert write_sweep_report(s, tmp_path / "s.html").stat().st_size > 0


def test_categorical_tick_labels_are_escaped():
    fig, ax = plt.subplots()
    ax.bar([MATH, BROKEN], [1, 2])
    shown = _drawn(plain_figure(fig))
    assert _has(shown, MATH) and _has(shown, BROKEN)


def test_a_tex_like_segment_name_draws_in_the_reports_sensitivity_and_lever_sections(tmp_path):
    """Issue 21, item 6: a segment named ``$\\frac$ tier`` beside one uncertain churn crashed the
    report's sensitivity cell (mathtext parse error); every label goes through one escaping path."""
    from cssim.reporting import report

    source = tmp_path / "tex.yaml"
    source.write_text(
        "name: TeX test\nhorizon_months: 12\nsegments:\n"
        "  - {name: SMB, customers: 500, arpa: 10000, acquisition: {rate: 0.2},\n"
        "     churn: {monthly: {kind: beta, mean: 0.03, sd: 0.01}}}\n"
        "  - {name: '$\\frac$ tier', customers: 100, arpa: 50000, acquisition: {rate: 0.1},\n"
        "     churn: {monthly: 0.01}}\n",
        encoding="utf-8",
    )
    ctx = report.prepare(source, paths=200, seed=1)
    for section in (report.sensitivity, report.strategy, report.growth, report.unit_economics):
        html = section(ctx)._repr_html_()
        assert "data:image/png;base64" in html
