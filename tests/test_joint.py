"""Correlated parameter draws (a segment's ``joint``) and the observed starting tenure mix.

The joint is a multivariate normal on a transformed scale around the segment's own numbers; these tests
check its validation, its YAML round trip, that the drawn parameters have the declared covariance
within Monte Carlo error, reproducibility and common random numbers, and that a starting tenure mix
with per-tenure ARPA keeps the closed forms of docs/MODEL.md.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import cssim
from cssim.model.engine import simulate_block
from cssim.model.errors import ScenarioError
from cssim.model.joint import _scale
from cssim.model.scenario import Scenario
from tests.helpers import assert_mc_close, english_left, one_segment, shown_parts

COV = [[0.04, 0.03, 0.0], [0.03, 0.05, -0.004], [0.0, -0.004, 0.0009]]
JOINT = {
    "parameters": ["churn.heterogeneity.alpha", "churn.heterogeneity.beta", "acquisition.growth"],
    "scales": ["log", "log", "log1p"],
    "covariance": COV,
}


def sbg_segment(**changes) -> dict:
    seg = {
        "name": "All",
        "customers": 1000,
        "arpa": 50_000.0,
        "acquisition": {"count": 40.0, "growth": 0.01},
        "churn": {"heterogeneity": {"alpha": 0.9, "beta": 12.0}},
        "joint": JOINT,
    }
    seg.update(changes)
    return seg


def scenario(horizon: int = 1, **changes) -> Scenario:
    return Scenario.from_dict(
        {"name": "joint", "horizon_months": horizon, "segments": [sbg_segment(**changes)]}
    )


def problems(data_segment: dict) -> str:
    with pytest.raises(ScenarioError) as e:
        Scenario.from_dict({"name": "x", "segments": [data_segment]}, source="s.yaml")
    return str(e.value)


# -- validation -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("joint", "said"),
    [
        (
            {**JOINT, "parameters": ["churn.monthly", *JOINT["parameters"][1:]]},
            "not a numeric field",
        ),
        ({**JOINT, "scales": ["log", "log"]}, "one scale per parameter"),
        ({**JOINT, "covariance": [[0.04, 0.03], [0.03, 0.05]]}, "3 rows of 3 numbers"),
        ({**JOINT, "covariance": [[0.04, 0.03, 0], [0.02, 0.05, 0], [0, 0, 0.01]]}, "symmetric"),
        (
            {**JOINT, "covariance": [[0.04, 0.09, 0], [0.09, 0.05, 0], [0, 0, 0.01]]},
            "semi-definite",
        ),
        (
            {**JOINT, "parameters": [*JOINT["parameters"][:2], "churn.heterogeneity.alpha"]},
            "unique",
        ),
        ({**JOINT, "scales": ["log", "logit", "log1p"]}, "strictly between 0 and 1"),
        ({**JOINT, "scales": ["log", "log", "cubic"]}, "scales"),
        # growth may not fall below -0.5: exp(0.00995 - 4 x 0.5) - 1 = -0.86 would
        ({**JOINT, "covariance": [[0.04, 0.03, 0], [0.03, 0.05, 0], [0, 0, 0.25]]}, "-0.5"),
    ],
)
def test_bad_joints_are_refused_with_the_field_and_the_reason(joint, said):
    text = problems(sbg_segment(joint=joint))
    assert "s.yaml" in text and "segments[0]" in text and said in text, text
    japanese_reads_whole(sbg_segment(joint=joint))


def japanese_reads_whole(data_segment: dict) -> None:
    """The same error in Japanese: still names the file and field, no English phrase left over."""
    from cssim.words.errors_text import scenario_error_text

    with pytest.raises(ScenarioError) as e:
        Scenario.from_dict({"name": "x", "segments": [data_segment]}, source="s.yaml")
    ja = scenario_error_text(e.value, "ja")
    assert "s.yaml" in ja and "segments[0]" in ja, ja
    assert not english_left(ja, shown_parts(e.value)), ja


@pytest.mark.parametrize(
    "tenure",
    [
        {"min": 0, "max": 3, "weights": [1, 2]},
        {"min": 0, "max": 2, "weights": [0, 0, 0]},
        {"min": 5, "max": 2},
        {"min": 0, "max": 1, "arpa_ratios": [1.0, 1.0, 1.0]},
    ],
)
def test_bad_tenure_mixes_read_whole_in_japanese(tenure):
    japanese_reads_whole(sbg_segment(joint=None, starting_tenure=tenure))


def test_a_joint_parameter_must_be_a_number_in_the_segment():
    churn = {
        "heterogeneity": {"alpha": {"kind": "lognormal", "mean": 0.9, "sd": 0.1}, "beta": 12.0}
    }
    text = problems(sbg_segment(churn=churn))
    assert "give it as a number" in text and "churn.heterogeneity.alpha" in text


def test_yaml_round_trip_keeps_the_joint_and_the_tenure_mix(tmp_path):
    s = scenario(
        starting_tenure={"min": 0, "max": 3, "weights": [5, 0, 2, 1], "arpa_ratios": [1, 1, 2, 3]}
    )
    path = tmp_path / "joint.yaml"
    path.write_text(s.to_yaml(), encoding="utf-8")
    back = cssim.load_scenario(path)
    assert back == s
    assert back.segments[0].joint.covariance == COV
    assert back.segments[0].starting_tenure.weights == [5.0, 0.0, 2.0, 1.0]


def test_bad_tenure_mixes_are_refused():
    assert "one number per tenure 0 to 3" in problems(
        sbg_segment(starting_tenure={"min": 0, "max": 3, "weights": [1, 2]})
    )
    assert "must not all be 0" in problems(
        sbg_segment(starting_tenure={"min": 0, "max": 1, "weights": [0, 0]})
    )
    assert "greater than 0" in problems(
        sbg_segment(starting_tenure={"min": 0, "max": 1, "arpa_ratios": [1, 0]})
    )


# -- the draws ----------------------------------------------------------------------------------------


def drawn(s: Scenario, paths: int, seed: int = 7) -> dict:
    return simulate_block(s, seed, 0, paths)["All"]["params"]


def test_drawn_parameters_have_the_declared_covariance_on_their_scales():
    n = 20_000
    s = scenario()
    p = drawn(s, n)
    seg = s.segments[0]
    y = np.column_stack(
        [_scale(k, p[name]) for name, k in zip(seg.joint.parameters, seg.joint.scales, strict=True)]
    )
    centre = [math.log(0.9), math.log(12.0), math.log1p(0.01)]
    S = np.asarray(COV)
    sd = np.sqrt(np.diag(S))
    # means: within 4 standard errors of the centre
    for i in range(3):
        assert abs(y[:, i].mean() - centre[i]) <= 4 * sd[i] / math.sqrt(n)
    # covariances: se of a sample covariance of normals is sqrt((s_ii s_jj + s_ij^2) / n)
    C = np.cov(y, rowvar=False)
    for i in range(3):
        for j in range(3):
            se = math.sqrt((S[i, i] * S[j, j] + S[i, j] ** 2) / n)
            assert abs(C[i, j] - S[i, j]) <= 4 * se, (i, j, C[i, j], S[i, j])
    # and the result shows them beside the other uncertain parameters
    r = cssim.simulate(s, paths=2000, seed=3)
    assert "All.churn.heterogeneity.alpha" in r.parameters().columns


def test_joint_draws_are_reproducible_and_independent_of_blocks():
    s = scenario(horizon=3)
    a = cssim.simulate(s, paths=2500, seed=11)
    b = cssim.simulate(s, paths=2500, seed=11)
    c = cssim.simulate(s, paths=2500, seed=12)
    pa, pb, pc = a.parameters(), b.parameters(), c.parameters()
    assert pa.equals(pb) and not pa.equals(pc)
    np.testing.assert_array_equal(a.get("customers"), b.get("customers"))
    # paths 1000..1999 are block 1's whatever the total
    small = cssim.simulate(s, paths=2000, seed=11).parameters()
    np.testing.assert_array_equal(small.to_numpy(), pa.to_numpy()[:2000])


def test_the_first_joint_parameter_uses_its_own_stream_like_an_independent_draw():
    """Common random numbers: alpha alone in a joint on the log scale (variance v) is the lognormal with
    median 0.9 and log-sd sqrt(v), drawn from the same uniforms: equal path by path."""
    v = 0.04
    joint = {"parameters": ["churn.heterogeneity.alpha"], "scales": ["log"], "covariance": [[v]]}
    a = drawn(scenario(joint=joint), 3000)["churn.heterogeneity.alpha"]
    mean = 0.9 * math.exp(v / 2)  # arithmetic mean of that lognormal
    sd = mean * math.sqrt(math.expm1(v))
    churn = {
        "heterogeneity": {"alpha": {"kind": "lognormal", "mean": mean, "sd": sd}, "beta": 12.0}
    }
    b = drawn(scenario(joint=None, churn=churn), 3000)["churn.heterogeneity.alpha"]
    keep = np.abs(np.log(a / 0.9)) < 4 * math.sqrt(v) - 1e-9  # the joint stops at 4 sd
    np.testing.assert_allclose(a[keep], b[keep], rtol=1e-9)


def test_expected_path_integrates_over_the_joint():
    """The expected first-month churn under sBG is E[alpha / (alpha + beta)] x customers; a Sobol grid
    over the joint matches the Monte Carlo mean of the per-path expectation within 4 standard errors."""
    s = scenario(horizon=1)
    e = cssim.expected(s)
    p = drawn(s, 20_000)
    h = p["churn.heterogeneity.alpha"] / (
        p["churn.heterogeneity.alpha"] + p["churn.heterogeneity.beta"]
    )
    assert_mc_close(1000 * h, float(e["churned_customers"].iloc[1]))


# -- as uncertain parameters: tables, tornado, report ---------------------------------------------------


def test_uncertain_lists_joint_parameters_with_the_marginal_the_engine_draws():
    """Each jointly drawn parameter is listed by Scenario.uncertain() with its marginal: the share of the
    engine's draws below its P10, P50 and P90 is 10%, 50% and 90% within 4 binomial standard errors."""
    s = scenario()
    unc = s.uncertain()
    assert set(unc) == {f"All.{p}" for p in JOINT["parameters"]}
    n = 20_000
    p = drawn(s, n)
    centres = dict(s.parameters())
    for path, d in unc.items():
        # the quantile function's median is the segment's own number, the centre
        assert float(d.ppf(0.5)) == pytest.approx(centres[path], rel=1e-12)
        x = p[path[len("All.") :]]
        for q in (0.1, 0.5, 0.9):
            share = float(np.mean(x <= d.ppf(q)))
            assert abs(share - q) <= 4 * math.sqrt(q * (1 - q) / n), (path, q, share)


def test_the_expected_path_gives_each_joint_parameter_one_grid_axis(monkeypatch):
    """Scenario.uncertain() lists joint parameters too; the expected path's Sobol grid must still have
    one axis per uncertain parameter (a repeated axis would change the expected numbers)."""
    import cssim.model.expected as expected_mod

    dims = []
    real = expected_mod.qmc.Sobol

    def sobol(d, **kw):
        dims.append(d)
        return real(d, **kw)

    monkeypatch.setattr(expected_mod.qmc, "Sobol", sobol)
    churn = {
        "heterogeneity": {"alpha": 0.9, "beta": 12.0},
        "onboarding": {"months": 2, "monthly": {"kind": "beta", "mean": 0.05, "sd": 0.01}},
    }
    cssim.expected(scenario(horizon=2, churn=churn))
    assert dims == [4]  # three joint parameters and one distribution


def test_fixing_joint_parameters_takes_them_out_of_the_joint():
    from cssim.analysis.sensitivity import fix_inputs

    s = scenario()
    one = fix_inputs(s, {"All.churn.heterogeneity.alpha": 1.1})
    j = one.segments[0].joint
    assert one.segments[0].churn.heterogeneity.alpha == 1.1
    assert j.parameters == ["churn.heterogeneity.beta", "acquisition.growth"]
    assert j.scales == ["log", "log1p"]
    assert j.covariance == [[0.05, -0.004], [-0.004, 0.0009]]  # the others' marginal normal
    assert set(one.uncertain()) == {"All.churn.heterogeneity.beta", "All.acquisition.growth"}
    every = fix_inputs(s, {k: d.median() for k, d in s.uncertain().items()})
    assert every.segments[0].joint is None and every.uncertain() == {}


def test_a_fitted_scenario_is_reported_as_uncertain_and_ranked_by_the_tornado():
    """A scenario whose only uncertainty is a fit's joint (what cssim calibrate writes) is not described
    as fixed numbers: the assumptions table gives its ranges and the tornado ranks its parameters."""
    from cssim.analysis.sensitivity import tornado
    from cssim.reporting import report

    s = scenario(horizon=24)
    t = tornado(s)
    assert set(t.frame["input"]) == set(s.uncertain())
    assert (t.frame["spread"] > 0).all()
    table = report.assumptions_table(s)
    assert table["Value"].str.contains("at the median, 90% between").sum() == 3


# -- the starting tenure mix --------------------------------------------------------------------------


def test_tenure_weights_split_the_start_exactly_and_keep_the_sbg_closed_form():
    from scipy import special

    w = [3.0, 0.0, 1.0, 4.0]
    s = one_segment(
        horizon=12,
        customers=1000,
        churn={"heterogeneity": {"alpha": 0.9, "beta": 12.0}},
        acquisition={"count": 0.0},
        starting_tenure={"min": 2, "max": 5, "weights": w},
    )
    split = s.segments[0].starting_split(np.array([1001, 7]))  # counts per path, any total
    assert split[:, 0].sum() == 1001 and split[:, 1].sum() == 7 and split[1].sum() == 0
    assert np.abs(split[:, 0] - 1001 * np.array(w) / 8).max() <= 1
    r = cssim.simulate(s, paths=4000, seed=5)
    n = s.segments[0].starting_split(np.array([1000]))[:, 0]
    a, b = 0.9, 12.0
    surv = [math.exp(special.betaln(a, b + t + 12) - special.betaln(a, b + t)) for t in range(2, 6)]
    truth = float(np.dot(n, surv))  # S(t + 12) / S(t) for each starting tenure t
    assert_mc_close(r.get("customers")[:, 12], truth)
    assert float(cssim.expected(s)["customers"].iloc[12]) == pytest.approx(truth, rel=1e-9)


def test_arpa_ratios_keep_the_starting_mrr_and_follow_each_tenures_survival():
    """Onboarding churn 30% for tenures 1..2, 1% after: the new accounts (tenure 0, at 1x) churn and the
    old ones (tenure 2, at 3x) mostly stay, so the MRR after a month weights each tenure's survival."""
    ratios = [1.0, 3.0]
    s = one_segment(
        horizon=1,
        customers=1000,
        arpa=100.0,
        churn={"monthly": 0.01, "onboarding": {"months": 2, "monthly": 0.3}},
        acquisition={"count": 0.0},
        starting_tenure={"min": 1, "max": 2, "weights": [1, 1], "arpa_ratios": ratios},
    )
    r = cssim.simulate(s, paths=4000, seed=9)
    assert r.get("mrr")[0, 0] == pytest.approx(1000 * 100.0)
    f = np.array(ratios) / np.mean(ratios)  # arpa x r_j / sum_i w_i r_i
    truth = 500 * 100.0 * (f[0] * 0.7 + f[1] * 0.99)
    assert_mc_close(r.get("mrr")[:, 1], truth)
    assert float(cssim.expected(s)["mrr"].iloc[1]) == pytest.approx(truth, rel=1e-9)


# -- calibrate emits it -------------------------------------------------------------------------------


def test_calibrate_emits_the_joint_of_its_fit_on_the_sample():
    from pathlib import Path

    sample = Path(__file__).resolve().parents[1] / "data" / "sample-mrr.csv"
    cal = cssim.calibrate(sample)
    seg = cal.scenario.segments[0]
    assert seg.joint is not None
    names = seg.joint.parameters
    cov = np.asarray(seg.joint.covariance)
    i = names.index("churn.heterogeneity.alpha")
    form = cal.fits.churn_form
    # the fit's covariance, times the square of the band widening (issue 20) the scenario carries
    k = cal.widening.factor
    np.testing.assert_allclose(cov[i : i + 2, i : i + 2], k * k * form.covariance, rtol=1e-5)
    assert cal.acquisition.model == "count_growth"  # the sample's truth: a count that grows
    j = names.index("acquisition.count")
    assert seg.joint.scales[j : j + 2] == ["log", "log1p"]
    np.testing.assert_allclose(
        cov[j : j + 2, j : j + 2], k * k * cal.acquisition.covariance, rtol=1e-5
    )
    assert cov[i, names.index("acquisition.count")] == 0.0  # churn and acquisition: separate data
    # the scenario it writes loads back equal and simulates
    assert Scenario.from_dict(cal.scenario.to_dict()) == cal.scenario


def test_narrowing_a_joint_keeps_its_correlations_and_its_draws_in_range():
    """A covariance whose growth draws would pass -0.5 is cut to the room the range leaves, and only there."""
    from cssim.model.joint import JOINT_SD_LIMIT, joint_room, narrow_to_ranges
    from cssim.model.segment import Segment

    S = np.array([[0.05, 0.02], [0.02, 0.0088]])
    joint = {
        "parameters": ["acquisition.count", "acquisition.growth"],
        "scales": ["log", "log1p"],
        "covariance": S.tolist(),
    }
    centres = {"acquisition.count": 30.0, "acquisition.growth": -0.288}
    out, narrowed = narrow_to_ranges(Segment, centres, joint)
    assert [n.name for n in narrowed] == ["acquisition.growth"]
    T = np.asarray(out["covariance"])
    assert T[0, 0] == S[0, 0]  # the count keeps its variance
    corr = lambda M: M[0, 1] / np.sqrt(M[0, 0] * M[1, 1])  # noqa: E731
    assert np.isclose(corr(T), corr(S))
    low = np.expm1(np.log1p(-0.288) - JOINT_SD_LIMIT * np.sqrt(T[1, 1]))
    assert -0.5 <= low < -0.49
    room = joint_room("log1p", -0.288, -0.5, 1.0)
    assert np.isclose(room, (np.log1p(-0.288) - np.log1p(-0.5)) / JOINT_SD_LIMIT)
    # nothing to narrow: the joint comes back as it was
    small = {**joint, "covariance": (S / 100).tolist()}
    assert narrow_to_ranges(Segment, centres, small) == (small, [])
    # scales that keep their bounds (log above 0, logit within (0, 1)) never narrow
    assert joint_room("log", 1e-9, 0.0, float("inf")) == float("inf")
    assert joint_room("logit", 0.5, 0.0, 1.0) == float("inf")


def test_a_joint_spread_counts_in_the_customer_limit():
    """The limit on the customers a segment could reach reads a joint parameter at its drawn spread,
    not at its centre: a growth of 1% a month with a log1p sd of 0.14 reaches 0.7 a month at the
    99.99th percentile and 1.4e9 customers in 36 months, while the same centre with an sd of 0.02
    stays far below. Before, only centres were read: a calibrated scenario widened x15 passed and
    a path reached 6.1e9 customers, where the exact binomial sampler did not finish in 150 s."""
    import cssim

    def segment(var_growth: float) -> dict:
        return {
            "name": "x",
            "horizon_months": 36,
            "segments": [
                {
                    "name": "a",
                    "customers": 60,
                    "arpa": 100,
                    "acquisition": {"count": 2.5, "growth": 0.01},
                    "churn": {"monthly": 0.03},
                    "joint": {
                        "parameters": ["acquisition.count", "acquisition.growth"],
                        "scales": ["log", "log1p"],
                        "covariance": [[0.09, 0.0], [0.0, var_growth]],
                    },
                }
            ],
        }

    with pytest.raises(cssim.ScenarioError, match=r"could reach 1\.44e\+09 customers"):
        cssim.Scenario.from_dict(segment(0.02))
    cssim.Scenario.from_dict(segment(0.0004))
