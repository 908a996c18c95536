"""Charts: each takes and returns an axes, shows the numbers it claims, labels units and currency."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_hex

import cssim
from cssim.reporting import charts

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def gvc():
    """Growth against churn: one segment, no expansion, no CS costs."""
    return cssim.simulate(
        cssim.load_scenario(ROOT / "scenarios" / "growth-vs-churn.yaml"), paths=300, seed=7
    )


@pytest.fixture(scope="module")
def rich():
    """Two segments in USD with expansion, contraction, CS costs, uncertainty and a '$' in a name."""
    return cssim.simulate(
        cssim.Scenario.from_dict(
            {
                "name": "rich",
                "horizon_months": 30,
                "currency": "USD",
                "segments": [
                    {
                        "name": "Self-serve $",
                        "customers": 500,
                        "arpa": 400,
                        "acquisition": {"rate": 0.5},
                        "churn": {"monthly": [0.015, 0.03]},
                        "expansion": {"rate": 0.01},
                        "contraction": {"rate": 0.002, "probability": 0.05},
                        "cac": 2_000,
                        "cs": {"accounts_per_csm": 250, "csm_cost": 9_000, "tools": 1_000},
                    },
                    {
                        "name": "Enterprise",
                        "customers": 30,
                        "arpa": 12_000,
                        "acquisition": {"count": 1},
                        "churn": {"annual_renewal": 0.1},
                        "expansion": {"rate": 0.02, "probability": 0.2},
                        "cac": 60_000,
                        "cs": {"csm_per_account": 0.05, "csm_cost": 12_000},
                    },
                ],
            }
        ),
        paths=300,
        seed=7,
    )


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _texts(labels) -> list[str]:
    return [t.get_text() for t in labels]


def test_every_chart_takes_and_returns_an_axes(gvc):
    for draw in (
        charts.fan_chart,
        charts.mrr_waterfall,
        charts.retention_chart,
        charts.cohort_layers,
        charts.unit_economics_chart,
    ):
        _, ax = plt.subplots()
        assert draw(gvc, ax=ax) is ax
        created = draw(gvc)  # ax=None makes one
        assert created is not ax and created.figure is not None


def test_fan_chart_median_band_and_labels(gvc):
    ax = charts.fan_chart(gvc, "arr", bands=((0.1, 0.9), (0.05, 0.95)))
    median = next(line for line in ax.get_lines() if line.get_label() == "Median")
    np.testing.assert_allclose(median.get_ydata(), np.median(gvc["arr"], axis=0))
    assert to_hex(median.get_color()) == charts.COLORS["arr"]
    assert ax.get_ylabel() == "ARR"  # the ticks carry the currency
    assert [c.get_label() for c in ax.collections] == ["P5–P95", "80% range (P10–P90)"]
    # the P10-P90 band spans the quantiles at the horizon
    band = ax.collections[1].get_paths()[0].vertices[:, 1]
    lo, hi = np.quantile(gvc["arr"][:, -1], [0.1, 0.9])
    assert band.min() <= lo + 1e-6 and np.isclose(band, hi).any()
    ax.figure.canvas.draw()
    ticks = [t for t in _texts(ax.get_yticklabels()) if t]
    assert ticks and all(t.startswith("¥") and t.endswith("M") for t in ticks), ticks  # ¥600M


def test_fan_chart_of_customers_and_a_segment(rich):
    ax = charts.fan_chart(rich, "customers", segment="Enterprise")
    assert ax.get_ylabel() == "Customers"
    assert ax.get_title(loc="left") == "Customers: Enterprise"
    ax = charts.fan_chart(rich, "mrr")
    ax.figure.canvas.draw()
    assert ax.get_ylabel() == "MRR"
    assert all(t.startswith("$") for t in _texts(ax.get_yticklabels()) if t not in ("", "0"))


def test_waterfall_bars_are_median_flows_and_zero_flows_are_left_out(gvc, rich):
    ax = charts.mrr_waterfall(gvc)
    labels = ax.get_legend_handles_labels()[1]
    assert "New MRR" in labels and "Churned MRR" in labels
    assert "Expansion MRR" not in labels and "Contraction MRR" not in labels
    assert ax.get_ylabel() == "MRR a month"
    new = next(c for c in ax.containers if c.get_label() == "New MRR")
    np.testing.assert_allclose(
        [b.get_height() for b in new], np.median(gvc["new_mrr"][:, 1:], axis=0)
    )
    churned = next(c for c in ax.containers if c.get_label() == "Churned MRR")
    assert all(b.get_height() <= 0 for b in churned)
    assert to_hex(churned[0].get_facecolor()) == charts.COLORS["churned_mrr"]
    net = next(line for line in ax.get_lines() if line.get_label() == "Net new MRR (median)")
    np.testing.assert_allclose(net.get_ydata(), np.median(gvc["net_new_mrr"][:, 1:], axis=0))

    labels = charts.mrr_waterfall(rich).get_legend_handles_labels()[1]
    for flow in ("New MRR", "Expansion MRR", "Contraction MRR", "Churned MRR"):
        assert flow in labels
    assert "Net new MRR, 80% range" in labels


def test_retention_chart(gvc, rich):
    ax = charts.retention_chart(gvc)
    labels = ax.get_legend_handles_labels()[1]
    assert "NRR (= GRR: no expansion)" in labels
    nrr = next(line for line in ax.get_lines() if line.get_label().startswith("NRR"))
    np.testing.assert_allclose(nrr.get_ydata()[12:], np.median(gvc["nrr"][:, 12:], axis=0))
    assert ax.get_xlim() == (12, 36)
    ax.figure.canvas.draw()  # the percentages are on the ticks
    assert all(t.endswith("%") for t in _texts(ax.get_yticklabels()) if t), ax.get_yticklabels()
    labels = charts.retention_chart(rich).get_legend_handles_labels()[1]
    assert labels == ["GRR", "NRR"]


def test_cohort_layers_stack_mrr_by_joining_year(gvc):
    ax = charts.cohort_layers(gvc)
    labels = ax.get_legend_handles_labels()[1]
    assert labels == [
        "Starting customers",
        "Joined in year 1",
        "Joined in year 2",
        "Joined in year 3",
    ]
    # the layers add up to mean MRR
    top = ax.collections[-1].get_paths()[0].vertices[:, 1].max()
    assert np.isclose(top, gvc.mean("mrr").max())
    assert ax.get_ylabel() == "MRR (mean over futures)"


def test_unit_economics_chart_marks_guidelines(gvc, rich):
    ax = charts.unit_economics_chart(gvc)
    assert _texts(ax.get_yticklabels()) == ["LTV:CAC", "ARR:CRC"]
    notes = [t.get_text() for t in ax.texts]
    assert "not defined (no CS costs)" in notes
    ltv_cac = np.median(gvc.get("ltv_cac")[:, -1])
    assert f"{ltv_cac:.1f}:1" in notes
    xs = {
        line.get_xdata()[0]
        for line in ax.get_lines()
        if to_hex(line.get_color()) == charts.COLORS["guideline"]
    }
    assert xs == {3.0, 10.0}

    ax = charts.unit_economics_chart(rich, month=24)
    assert _texts(ax.get_yticklabels()) == [
        "LTV:CAC (Self-serve \\$)",
        "LTV:CAC (Enterprise)",
        "LTV:CAC",
        "ARR:CRC (Self-serve \\$)",
        "ARR:CRC (Enterprise)",
        "ARR:CRC",
    ]
    assert "month 24" in ax.get_title(loc="left")
    ax.figure.canvas.draw()  # a '$' in a segment name does not break mathtext


def test_all_charts_draw_for_a_rich_scenario(rich):
    fig, axes = plt.subplots(1, 5, figsize=(20, 4))
    charts.fan_chart(rich, ax=axes[0])
    charts.mrr_waterfall(rich, ax=axes[1])
    charts.retention_chart(rich, ax=axes[2])
    charts.cohort_layers(rich, ax=axes[3])
    charts.unit_economics_chart(rich, ax=axes[4])
    fig.canvas.draw()
    assert axes[0].get_ylabel() == "ARR"


def test_unit_economics_chart_gives_an_undefined_ratio_one_row():
    sc = cssim.Scenario.from_dict(
        {
            "name": "no cs",
            "segments": [
                {
                    "name": n,
                    "customers": 100,
                    "arpa": 1000,
                    "acquisition": {"count": 2},
                    "churn": {"monthly": 0.02},
                    "cac": 5000,
                }
                for n in ("A", "B")
            ],
        }
    )
    ax = charts.unit_economics_chart(cssim.simulate(sc, paths=50, seed=1))
    assert _texts(ax.get_yticklabels()) == ["LTV:CAC (A)", "LTV:CAC (B)", "LTV:CAC", "ARR:CRC"]
