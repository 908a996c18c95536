"""Every chart kind draws a Japanese scenario with Japanese segment names without a missing glyph.

Matplotlib warns once per glyph its font lacks (``Glyph ... missing from font(s) DejaVu Sans``); with
warnings turned into errors, a chart that would show boxes fails here.
"""

from __future__ import annotations

import io
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

import cssim
from cssim.analysis.compare import compare
from cssim.analysis.levers import levers, marginal_value
from cssim.analysis.sensitivity import global_sensitivity, tornado
from cssim.reporting import charts
from cssim.words import fonts

JA = {
    "name": "成長と解約",
    "horizon_months": 24,
    "segments": [
        {
            "name": "中小企業",
            "customers": 300,
            "arpa": 30000,
            "acquisition": {"rate": 0.2},
            "churn": {"monthly": [0.02, 0.04]},
            "expansion": {"rate": 0.005},
            "contraction": {"rate": 0.001, "probability": 0.02},
            "cac": 300000,
            "cs": {"accounts_per_csm": 100, "csm_cost": 600000},
        },
        {
            "name": "エンタープライズ",
            "customers": 40,
            "seats": {"per_account": 50, "price": 3000},
            "acquisition": {"count": 1},
            "churn": {"monthly": 0.005},
            "expansion": {"rate": [0.005, 0.015]},
            "cac": 2000000,
        },
    ],
}


@pytest.fixture(scope="module")
def scenario():
    return cssim.Scenario.from_dict(JA)


@pytest.fixture(scope="module")
def result(scenario):
    return cssim.simulate(scenario, paths=200, seed=3)


def _render(fig) -> None:
    """Draw the whole figure: missing glyphs are reported when text is laid out."""
    fig.savefig(io.BytesIO(), format="png", dpi=40)


def _strict(draw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = draw()
        fig = ax[0].figure if hasattr(ax, "__len__") else ax.figure
        _render(fig)
    plt.close("all")


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize(
    "chart",
    ["fan_chart", "mrr_waterfall", "retention_chart", "cohort_layers", "unit_economics_chart"],
)
def test_result_charts_write_japanese(result, chart, lang):
    draw = getattr(charts, chart)
    _strict(lambda: draw(result, lang=lang))
    if chart == "fan_chart":
        _strict(lambda: draw(result, "customers", segment="エンタープライズ", lang=lang))


def test_analysis_charts_write_japanese(scenario, result):
    _strict(lambda: tornado(scenario).plot())
    _strict(lambda: global_sensitivity(scenario, paths=200, seed=1).plot())
    _strict(lambda: levers(scenario, paths=100, seed=1).plot())
    _strict(lambda: marginal_value(scenario, paths=100, seed=1, levels=(0.02, 0.01)).plot())
    other = scenario.replace({"segments.中小企業.churn.monthly": 0.02})
    _strict(lambda: compare([scenario, other], paths=100, seed=1).plot())


def test_fonts_put_latin_first_and_japanese_after():
    fonts.use_fonts()
    family = list(matplotlib.rcParams["font.family"])
    assert family == [fonts.LATIN_FONT, "IPAexGothic"]
    from matplotlib import font_manager

    path = font_manager.findfont(font_manager.FontProperties(family="IPAexGothic"))
    assert path.endswith("ipaexg.ttf")


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_tornado_names_inputs_for_people_never_by_field_path(scenario, lang):
    t = tornado(scenario)
    ax = t.plot(lang=lang)
    labels = [x.get_text() for x in ax.get_yticklabels()]
    assert labels and not any("churn.monthly" in x or "expansion.rate" in x for x in labels)
    want = "中小企業：解約率" if lang == "ja" else "中小企業: Churn"
    assert any(x.startswith(want) for x in labels), labels
    row = t.frame.set_index("input").loc["中小企業.churn.monthly"]
    p10, p90 = f"{100 * row.p10:.2f}%", f"{100 * row.p90:.2f}%"
    assert any(x.startswith(want) and p10 in x and p90 in x for x in labels), (labels, p10, p90)
    plt.close("all")
