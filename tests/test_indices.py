"""Global sensitivity on SALib (``cssim.sensitivity``, ``cssim sensitivity``): first-order indices from a
run's own draws (RBD-FAST) and Sobol first and total indices from a Saltelli design, with intervals,
agreeing with each other and with known answers; a CSV and a chart in the reader's language."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import cssim
from cssim.analysis.indices import COLUMNS, saltelli_budget
from cssim.cli import main
from cssim.runs.analyses import run_sensitivity

SEGMENT = {
    "name": "All",
    "customers": 1000,
    "arpa": 50_000,
    "acquisition": {"rate": {"kind": "uniform", "low": 0.1, "high": 0.3}},
    "churn": {"monthly": {"kind": "beta", "mean": 0.025, "sd": 0.006}},
    "cac": {"kind": "uniform", "low": 100_000, "high": 500_000},  # moves no ARR: a dummy
}


def scenario(correlations=None, **extra) -> cssim.Scenario:
    data = {"name": "s", "horizon_months": 24, "segments": [{**SEGMENT, **extra}]}
    if correlations:
        data["correlations"] = correlations
    return cssim.Scenario.from_dict(data)


@pytest.fixture(scope="module")
def both():
    s = scenario()
    return s, cssim.sensitivity(s, paths=4000, seed=3), cssim.sensitivity(s, "sobol", seed=3)


def test_given_and_sobol_agree_within_their_intervals(both):
    _s, given, sobol = both
    g, b = given.frame.set_index("parameter"), sobol.frame.set_index("parameter")
    for p in g.index:
        gap = abs(g.loc[p, "S1"] - b.loc[p, "S1"])
        assert gap <= g.loc[p, "S1_conf"] + b.loc[p, "S1_conf"], (p, gap)
    # additive enough: the first-order indices of the inputs that matter almost sum to 1
    assert 0.9 <= b["S1"].sum() <= 1.05 and b["ST"].sum() >= b["S1"].sum() - 0.05


def test_a_dummy_input_gets_nothing_and_the_ranking_is_right(both):
    _s, given, sobol = both
    for found in (given, sobol):
        f = found.frame.set_index("parameter")
        assert abs(f.loc["All.cac", "S1"]) <= f.loc["All.cac", "S1_conf"] + 0.01
        assert list(found.frame["parameter"][:2]) == ["All.churn.monthly", "All.acquisition.rate"]
    st = sobol.frame.set_index("parameter").loc["All.cac"]
    assert abs(st["ST"]) <= st["ST_conf"] + 0.005
    assert given.frame["ST"].isna().all() and sobol.frame["spearman"].isna().all()


def test_the_budget_is_n_times_2d_plus_2(both):
    s, given, sobol = both
    assert sobol.evaluations == saltelli_budget(s, 1024) == 1024 * (2 * 3 + 2)
    assert given.evaluations == 4000
    assert 0.5 < given.explained <= 1.05  # the assumptions drive most of ARR's variance here


def test_correlated_inputs_given_keeps_them_sobol_leaves_them_out():
    """CAC moves no ARR, but correlated with churn it carries churn's information: the given-data
    index (valid with correlations) sees it, the Sobol index (inputs independent) does not."""
    s = scenario([{"a": "All.churn.monthly", "b": "All.cac", "rho": 0.9}])
    given = cssim.sensitivity(s, paths=4000, seed=1).frame.set_index("parameter")
    sobol = cssim.sensitivity(s, "sobol", seed=1)
    assert given.loc["All.cac", "S1"] > 0.3
    f = sobol.frame.set_index("parameter")
    assert abs(f.loc["All.cac", "S1"]) <= f.loc["All.cac", "S1_conf"] + 0.01
    assert sobol.correlated and "inputs treated as independent" in repr(sobol)


def test_the_csv_and_the_chart_speak_the_readers_language(tmp_path):
    s = scenario(name="=HYPERLINK(1)")  # a segment name a spreadsheet would run
    src = tmp_path / "s.yaml"
    done = run_sensitivity(s, src, tmp_path, method="sobol", n=256, lang="ja")
    csv, png = done.files
    assert (csv.name, png.name) == ("sensitivity.csv", "sensitivity.png") and png.stat().st_size
    table = pd.read_csv(csv)
    assert list(table.columns) == COLUMNS
    assert table["label"].str.contains("解約率").any()
    assert table["parameter"].str.startswith("'=HYPERLINK(1)").all()  # formula-safe
    assert np.allclose(table["S1"], done.result.frame["S1"])


def test_cli_prints_the_budget_first_and_refuses_what_it_cannot_do(tmp_path, capsys):
    src = tmp_path / "s.yaml"
    src.write_text(scenario().to_yaml(), encoding="utf-8")
    code = main(
        ["sensitivity", str(src), "--method", "sobol", "--n", "256", "--out", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("Saltelli design: N = 256, 3 assumptions: 2,048 expected paths")
    assert "S1" in out and "ST" in out and (tmp_path / "s" / "sensitivity.csv").is_file()
    assert main(["sensitivity", str(src), "--method", "sobol", "--n", "1000"]) == 2
    assert "not a power of 2" in capsys.readouterr().err
    fixed = tmp_path / "fixed.yaml"
    fixed.write_text(
        cssim.Scenario.from_dict(
            {
                "name": "f",
                "segments": [
                    {
                        "name": "A",
                        "customers": 10,
                        "arpa": 1,
                        "acquisition": {"rate": 0.1},
                        "churn": {"monthly": 0.02},
                    }
                ],
            }
        ).to_yaml(),
        encoding="utf-8",
    )
    assert main(["sensitivity", str(fixed), "--lang", "ja"]) == 2
    assert "不確実な前提がありません" in capsys.readouterr().err


def test_the_report_section_uses_the_runs_own_indices(tmp_path):
    from cssim.reporting.report import prepare
    from cssim.reporting.report.levers import sensitivity

    src = tmp_path / "s.yaml"
    src.write_text(scenario().to_yaml(), encoding="utf-8")
    ctx = prepare(src, paths=2000, seed=1)
    html = sensitivity(ctx).markup
    assert "Share of the spread of expected ARR it explains on its own" in html
    assert "RBD-FAST" in html and "(± " in html


def test_the_given_method_evaluates_the_runs_own_draws():
    """The uniforms regenerated from a run's streams give exactly its drawn parameters (with its
    sampling and correlations), so ``f`` is evaluated where the run's paths are."""
    from cssim.analysis.indices import run_uniforms
    from cssim.model.expected import expected_at

    s = cssim.Scenario.from_dict(
        {
            **scenario([{"a": "All.churn.monthly", "b": "All.cac", "rho": 0.5}]).to_dict(),
            "sampling": "lhs",
        }
    )
    r = cssim.simulate(s, paths=2300, seed=4)
    e = expected_at(r.scenario, run_uniforms(r), r.paths)
    for path, drawn in r.parameters().items():
        np.testing.assert_array_equal(e._params["All"][path[len("All.") :]], drawn.to_numpy())
