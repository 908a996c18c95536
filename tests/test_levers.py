"""Levers on common random numbers: the rules for changing parameters, exactness of the per-segment
shortcut, closed forms from MODEL.md, ROI, and the churn floor (DOMAIN.md point 4)."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import cssim
from cssim.analysis.levers import (
    LEVERS,
    LeverResult,
    apply_lever,
    levers,
    marginal_value,
)
from cssim.reporting.outputs import write_levers_outputs
from cssim.words.labels import lever_label
from tests.helpers import assert_mc_close, one_segment, three_segments

ROOT = Path(__file__).resolve().parents[1]

M = 1.2 ** (1 / 12) - 1  # MODEL.md: 20% a year of new customers is 1.531% a month


def arr_closed_form(
    c: float, e: float, H: int = 36, n0: float = 1000, arpa: float = 50_000, m: float = M
) -> float:
    """E[ARR_H] for one segment, rate acquisition, constant churn c and expansion e (MODEL.md).

    The starting MRR grows by r = (1 - c)(1 + e) a month; the cohort joining in month s brings
    m E[C_{s-1}] = m N0 q^(s-1) customers (q = 1 + m - c) and grows by r from then on:
    E[MRR_H] = ARPA N0 [r^H + m (q^H - r^H) / (q - r)].
    """
    r, q = (1 - c) * (1 + e), 1 + m - c
    return 12 * arpa * n0 * (r**H + m * (q**H - r**H) / (q - r))


# -- how a lever changes a parameter ------------------------------------------------------------------


@pytest.mark.parametrize(
    "dist",
    [
        {"kind": "beta", "mean": 0.03, "sd": 0.008},
        {"kind": "beta", "alpha": 3.0, "beta": 97.0},
        {"kind": "normal", "mean": 0.03, "sd": 0.005},
        {"kind": "lognormal", "mean": 0.03, "sd": 0.01},
        {"kind": "triangular", "low": 0.01, "mode": 0.025, "high": 0.05},
        {"kind": "pert", "low": 0.01, "mode": 0.025, "high": 0.05},
        {"kind": "uniform", "low": 0.01, "high": 0.05},
        {"kind": "interval90", "low": 0.015, "high": 0.045},
    ],
)
def test_relative_change_scales_every_draw_of_a_distribution(dist):
    s = one_segment(churn={"monthly": dist})
    after = apply_lever(s, "churn_rel", 0.1)
    u = np.linspace(0.001, 0.999, 199)
    old, new = s.segments[0].churn.monthly, after.segments[0].churn.monthly
    np.testing.assert_allclose(new.ppf(u), 0.9 * old.ppf(u), rtol=1e-6, atol=1e-12)


def test_change_in_points_moves_the_median_and_keeps_the_shape():
    s = one_segment(churn={"monthly": {"kind": "lognormal", "mean": 0.03, "sd": 0.01}})
    after = apply_lever(s, "churn_pt", 0.005)
    old, new = s.segments[0].churn.monthly, after.segments[0].churn.monthly
    assert new.median() == pytest.approx(old.median() - 0.005, rel=1e-9)
    k = new.median() / old.median()
    np.testing.assert_allclose(new.ppf([0.1, 0.9]), k * old.ppf([0.1, 0.9]), rtol=1e-9)


def test_the_change_applies_to_each_paths_draw_on_common_random_numbers():
    s = one_segment(
        horizon=12,
        churn={"monthly": {"kind": "beta", "mean": 0.03, "sd": 0.01}},
        arpa=[40_000, 60_000],
    )
    base = cssim.simulate(s, paths=500, seed=3).parameters()
    after = cssim.simulate(
        apply_lever(apply_lever(s, "churn_rel", 0.2), "price_rel", 0.1), paths=500, seed=3
    ).parameters()
    np.testing.assert_allclose(
        after["All.churn.monthly"], 0.8 * base["All.churn.monthly"], rtol=1e-6
    )
    np.testing.assert_allclose(after["All.arpa"], 1.1 * base["All.arpa"], rtol=1e-9)


def test_sbg_churn_moves_first_month_churn_through_beta():
    s = one_segment(churn={"heterogeneity": {"alpha": 0.8, "beta": 12.0}})
    a = 0.8
    p1 = a / (a + 12.0)
    rel = apply_lever(s, "churn_rel", 0.1).segments[0].churn.heterogeneity
    assert rel.alpha == a
    assert a / (a + rel.beta) == pytest.approx(0.9 * p1, rel=1e-12)
    pt = apply_lever(s, "churn_pt", 0.005).segments[0].churn.heterogeneity
    assert a / (a + pt.beta) == pytest.approx(p1 - 0.005, rel=1e-12)


def test_annual_renewal_churn_in_points_uses_the_monthly_equivalent():
    s = one_segment(churn={"annual_renewal": 0.2})
    r = apply_lever(s, "churn_pt", 0.005).segments[0].churn.annual_renewal
    monthly = 1 - 0.8 ** (1 / 12)
    assert r == pytest.approx(1 - (1 - (monthly - 0.005)) ** 12, rel=1e-12)
    assert apply_lever(s, "churn_rel", 0.1).segments[0].churn.annual_renewal == pytest.approx(0.18)


def test_levers_that_do_not_apply_are_refused_or_left_out():
    s = one_segment()
    with pytest.raises(ValueError, match="does not apply"):
        apply_lever(s, "onboarding_rel")
    added = apply_lever(s, "expansion_pt", 0.002).segments[0].expansion
    assert added.rate == 0.002
    with pytest.raises(KeyError, match="unknown lever"):
        apply_lever(s, "magic")


# -- effects on common random numbers ---------------------------------------------------------------------


def test_per_segment_shortcut_gives_exactly_the_whole_scenario_difference():
    s = three_segments(horizon=24)
    res = levers(s, paths=300, seed=9, names=["churn_rel", "expansion_pt"])
    base = cssim.simulate(s, paths=300, seed=9)
    H = 24
    for name in ("churn_rel", "expansion_pt"):
        whole = cssim.simulate(apply_lever(s, name), paths=300, seed=9)
        eff = res.effects[(name, "all")]
        np.testing.assert_allclose(
            eff["arr"], whole["arr"][:, H] - base["arr"][:, H], rtol=1e-9, atol=1e-3
        )
        np.testing.assert_allclose(eff["nrr"], whole["nrr"][:, H] - base["nrr"][:, H], atol=1e-9)
        gp = whole["gross_profit"][:, 1:].sum(1) - base["gross_profit"][:, 1:].sum(1)
        np.testing.assert_allclose(eff["gross_profit_cum"], gp, rtol=1e-9, atol=1e-2)
    one = cssim.simulate(apply_lever(s, "churn_rel", segment="Mid"), paths=300, seed=9)
    np.testing.assert_allclose(
        res.effects[("churn_rel", "Mid")]["arr"],
        one["arr"][:, H] - base["arr"][:, H],
        rtol=1e-9,
        atol=1e-3,
    )


@pytest.fixture(scope="module")
def growth_vs_churn():
    s = cssim.load_scenario("scenarios/growth-vs-churn.yaml")
    return s, levers(s, paths=2000, seed=21, costs={"churn_rel": 1_500_000})


def test_churn_and_price_levers_match_the_closed_forms(growth_vs_churn):
    _, res = growth_vs_churn
    base = arr_closed_form(0.03, 0.0)
    assert_mc_close(res.effects[("churn_pt", "all")]["arr"], arr_closed_form(0.025, 0.0) - base)
    assert_mc_close(res.effects[("churn_rel", "all")]["arr"], arr_closed_form(0.027, 0.0) - base)
    assert_mc_close(res.effects[("churn_pt", "all")]["nrr"], 0.975**12 - 0.97**12)
    assert_mc_close(
        res.effects[("expansion_pt", "all")]["arr"], arr_closed_form(0.03, 0.001) - base
    )
    # a price rise with no churn response multiplies every path's revenue by exactly 1.1
    np.testing.assert_allclose(
        res.effects[("price_rel", "all")]["arr"], 0.1 * res.base["arr"], rtol=1e-6
    )
    # 10% more new customers: m -> 1.1 m
    assert_mc_close(
        res.effects[("acquisition_rel", "all")]["arr"], arr_closed_form(0.03, 0.0, m=1.1 * M) - base
    )


def test_table_roi_plot_and_display(growth_vs_churn):
    _, res = growth_vs_churn
    df = res.to_frame()
    assert list(df.columns) == [
        "lever",
        "label",
        "segment",
        "size",
        "metric",
        "base",
        "mean",
        "median",
        "p10",
        "p90",
        "mc_se",
    ]
    assert set(df.metric) == {"arr", "nrr", "gross_profit", "gross_profit_cum", "customers"}
    assert not {"onboarding_pt", "onboarding_rel", "expansion_rel"} & set(
        df.lever
    )  # nothing to move
    row = df[(df.lever == "churn_rel") & (df.metric == "arr")].iloc[0]
    assert row["p10"] < row["median"] < row["p90"]
    se = res.effects[("churn_rel", "all")]["arr"].std(ddof=1) / np.sqrt(2000)
    assert row["mc_se"] == pytest.approx(se)
    roi = res.roi()
    assert list(roi.lever) == ["churn_rel"]
    cost = 1_500_000 * 36
    per_path = (res.effects[("churn_rel", "all")]["gross_profit_cum"] - cost) / cost
    assert roi.roi_mean[0] == pytest.approx(per_path.mean())
    p = np.mean(per_path > 0)
    assert roi.p_positive[0] == p
    assert roi.p_positive_se[0] == pytest.approx(np.sqrt(p * (1 - p) / 2000))
    ax = res.plot()
    assert len(ax.patches) == df[(df.metric == "arr")].shape[0]
    assert "Churn \u221210%" in repr(res) and "Churn \u221210%" in res._repr_html_()


def test_size_sets_relative_levers_and_mappings_set_any():
    s = one_segment(horizon=12)
    res = levers(s, paths=100, seed=1, size=0.2, names=["churn_rel", "churn_pt"])
    assert res.sizes == {"churn_rel": 0.2, "churn_pt": LEVERS["churn_pt"].default}
    res = levers(s, paths=100, seed=1, size={"churn_pt": 0.01}, names=["churn_pt"])
    # the lever is named at the size asked for, by the one lever naming (cssim.words.labels)
    assert res.labels["churn_pt"] == lever_label("churn_pt", 0.01, "points")
    assert res.labels["churn_pt"] != lever_label("churn_pt", LEVERS["churn_pt"].default, "points")
    assert res.names("ja")["churn_pt"] == lever_label("churn_pt", 0.01, "points", "ja")


# -- the churn floor -------------------------------------------------------------------------------------

LEVELS = (0.03, 0.02, 0.01, 0.005)


def test_churn_floor_marginal_value_matches_the_closed_form():
    """Cutting churn by 10% buys less and less as churn falls; 10% more expansion buys more and more."""
    e = 0.01
    s = one_segment(expansion={"rate": e, "probability": 0.2})
    mv = marginal_value(s, levels=LEVELS).to_frame()
    churn = mv[mv.lever == "churn_rel"].set_index("churn")["gain"]
    expansion = mv[mv.lever == "expansion_rel"].set_index("churn")["gain"]
    for c in LEVELS:
        base = arr_closed_form(c, e)
        assert churn[c] == pytest.approx(arr_closed_form(0.9 * c, e) - base, rel=1e-9)
        assert expansion[c] == pytest.approx(arr_closed_form(c, 1.1 * e) - base, rel=1e-9)
    assert np.all(np.diff(churn.loc[list(LEVELS)].to_numpy()) < 0)  # shrinks as churn falls
    assert np.all(np.diff(expansion.loc[list(LEVELS)].to_numpy()) > 0)  # grows with the base
    assert churn[0.03] > expansion[0.03] and churn[0.005] < expansion[0.005]
    # the framing matters: per point of churn moved, a cut is worth *more* at low churn (the base it
    # protects is bigger); what shrinks is what the same relative effort buys, because 10% of 0.5% is
    # only 0.05 pt. That is DOMAIN.md's churn floor.
    per_point = churn / (0.1 * churn.index.to_series())
    assert np.all(np.diff(per_point.loc[list(LEVELS)].to_numpy()) > 0)


def test_churn_floor_on_common_random_numbers_within_four_standard_errors():
    e = 0.01
    s = one_segment(horizon=36, expansion={"rate": e, "probability": 0.2})
    mv = marginal_value(s, levels=(0.03, 0.005), method="simulate", paths=1000, seed=4).to_frame()
    for r in mv.itertuples():
        c = r.churn
        want = (
            arr_closed_form(0.9 * c, e) if r.lever == "churn_rel" else arr_closed_form(c, 1.1 * e)
        ) - arr_closed_form(c, e)
        assert abs(r.gain - want) <= 4 * r.mc_se, (r.lever, c, r.gain, want, r.mc_se)


def test_write_levers_outputs_writes_the_tables_and_charts(tmp_path):
    s = three_segments(horizon=12)
    out = write_levers_outputs(
        s, tmp_path / "strategy", paths=200, seed=1, costs={"churn_rel": 1e6}
    )
    names = sorted(p.name for p in out["files"])
    assert names == [
        "breakeven.csv",
        "levers.csv",
        "levers.html",
        "levers.png",
        "per_cost.csv",
        "roi.csv",
        "tornado.csv",
        "tornado.png",
    ]  # no marginal_value.csv: not every segment has monthly churn
    assert all(p.stat().st_size > 0 for p in out["files"])
    assert isinstance(out["result"], LeverResult)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_levers_outputs_rank_the_scenarios_lever_costs_at_equal_cost(tmp_path, lang):
    """``cssim levers`` on a scenario with lever_costs: the priced levers run at the equal-effort sizes
    their costs describe, per_cost.csv ranks them as the report does, and the page shows that table."""
    from cssim.analysis.levers import EQUAL_EFFORT
    from cssim.words import formatting as fm
    from cssim.words.i18n import Translator

    s = cssim.load_scenario(ROOT / "scenarios" / "cs-team-costs.yaml")
    out = write_levers_outputs(s, tmp_path, paths=300, seed=7, lang=lang)
    res = out["result"]
    assert {n: res.sizes[n] for n in s.lever_costs} == {n: EQUAL_EFFORT[n] for n in s.lever_costs}
    want = levers(
        s, paths=300, seed=7, size=EQUAL_EFFORT, names=list(EQUAL_EFFORT), costs=s.lever_costs
    ).per_cost()
    got = pd.read_csv(tmp_path / "per_cost.csv")
    assert list(got["lever"]) == list(want["lever"])
    np.testing.assert_allclose(got["per_cost"], want["per_cost"], rtol=1e-12)
    page = re.sub(r"<[^>]+>", "", (tmp_path / "levers.html").read_text(encoding="utf-8"))
    t = Translator(lang)
    assert t("At equal cost") in page
    # the whole-scenario break-even rows read in words, not as the analysis names them
    assert "every segment)" not in page
    assert t("Expansion added to every segment, a month") in page
    for v in want["per_cost"]:
        assert fm.format_value(v, "times", lang) in page


def test_a_cost_can_sit_on_one_segment():
    s = three_segments(horizon=12)
    res = levers(s, paths=200, seed=2, names=["churn_rel"], costs={("churn_rel", "SMB"): 500_000})
    roi = res.roi()
    assert list(roi.segment) == ["SMB"]
    gain = res.effects[("churn_rel", "SMB")]["gross_profit_cum"]
    assert roi.roi_mean[0] == pytest.approx(np.mean((gain - 6e6) / 6e6))


def test_seed_none_still_shares_one_seed_between_base_and_levers():
    s = one_segment(horizon=12)
    res = levers(s, paths=200, seed=None, names=["price_rel"])
    np.testing.assert_allclose(
        res.effects[("price_rel", "all")]["arr"], 0.1 * res.base["arr"], rtol=1e-6
    )
    assert res.seed >= 0
