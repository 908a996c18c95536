"""Scenario comparison on common random numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import cssim
from cssim.analysis.compare import Comparison, compare

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def base():
    return cssim.load_scenario(ROOT / "scenarios" / "growth-vs-churn.yaml")


@pytest.fixture(scope="module")
def lower_churn(base):
    return compare([base, base.replace({"segments.0.churn.monthly": 0.025})], paths=2000, seed=11)


def test_identical_scenarios_differ_by_exactly_zero(base):
    c = compare([base, base], paths=1000, seed=5)
    assert np.all(c.differences["B"] == 0)
    s = c.summary().iloc[0]
    assert s.p_beats == 0 and s.p_tie == 1 and s.p_beats_se == 0
    assert c.quantiles().to_numpy().max() == 0


def test_lower_churn_beats_the_reference_almost_surely(lower_churn):
    s = lower_churn.summary().iloc[0]
    assert s.p_beats > 0.99
    p = s.p_beats
    assert s.p_beats_se == pytest.approx(np.sqrt(p * (1 - p) / 2000))
    assert s.p10_diff > 0 and s.mean_diff > 0
    assert lower_churn.p_beats()["B"] == p
    assert lower_churn.month == 36 and lower_churn.metric == "arr"


def test_common_random_numbers_are_far_tighter_than_independent_seeds(lower_churn):
    gain = lower_churn.crn_gain(seed=12345).iloc[0]
    # measured here: about 5x narrower (sd 4.4M vs 24.7M JPY at 2,000 paths)
    assert gain.ratio > 3, gain
    assert gain.independent_seed == 12345
    # the same check by hand: B on another seed against A
    b_ind = cssim.simulate(lower_churn.results[1].scenario, paths=2000, seed=12345)
    d_ind = b_ind["arr"][:, 36] - lower_churn.values["A"]
    assert np.std(d_ind, ddof=1) == pytest.approx(gain.sd_independent)
    assert np.std(lower_churn.differences["B"], ddof=1) == pytest.approx(gain.sd_crn)


def test_lower_is_better_metrics_flip_the_direction(base):
    c = compare(
        [base, base.replace({"segments.0.churn.monthly": 0.02})],
        paths=1000,
        seed=3,
        metric="churned_customers",
        month=12,
    )
    assert c.lower_is_better
    assert c.p_beats()["B"] > 0.95


def test_several_alternatives_shortest_horizon_and_labels(base):
    short = base.replace({"horizon_months": 24})
    c = compare(
        [base, short, base.replace({"segments.0.acquisition.rate": 0.3})],
        paths=1000,
        seed=1,
        labels=["now", "short", "growth"],
    )
    assert isinstance(c, Comparison)
    assert c.month == 24 and list(c.differences) == ["short", "growth"]
    assert c.p_beats()["short"] == 0  # same scenario up to month 24: all ties
    assert c.p_beats()["growth"] > 0.9
    assert "P(growth beats A)" in repr(c) and "<table>" in c._repr_html_()


def test_bad_arguments_are_explained(base):
    with pytest.raises(ValueError, match="at least two"):
        compare([base], paths=100)
    with pytest.raises(KeyError, match="unknown metric"):
        compare([base, base], paths=100, metric="profit")
    with pytest.raises(ValueError, match="outside"):
        compare([base, base], paths=100, month=99)


def test_plot_draws_fans_and_the_histogram(lower_churn):
    axes = lower_churn.plot()
    assert axes.shape == (2,)
    fan, hist = axes
    assert len(fan.get_lines()) >= 2 and len(hist.patches) > 0
    assert "same random numbers" in hist.get_title()


def test_compare_command_writes_a_self_contained_report(tmp_path):
    import subprocess
    import sys

    root = __import__("pathlib").Path(__file__).resolve().parents[1]
    a = root / "scenarios" / "growth-vs-churn.yaml"
    b = tmp_path / "lower-churn.yaml"
    b.write_text(
        a.read_text()
        .replace("monthly: 0.03", "monthly: 0.025")
        .replace("name: Growth against churn", "name: Churn cut to 2.5% <b>")
    )
    out = tmp_path / "cmp"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cssim.cli",
            "compare",
            str(a),
            str(b),
            "--out",
            str(out),
            "--paths",
            "1000",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    html = (out / "compare.html").read_text()
    assert "Churn cut to 2.5% &lt;b&gt;" in html and "<b>" not in html.replace(
        "<b>A</b>", ""
    ).replace("<b>B</b>", "")
    assert "data:image/png;base64," in html and "https://" not in html and "http://" not in html
    summary = __import__("pandas").read_csv(out / "compare.csv")
    assert summary.loc[0, "p_beats"] > 0.99  # lower churn wins on (almost) every shared path
    bad = subprocess.run(
        [sys.executable, "-m", "cssim.cli", "compare", str(a), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
