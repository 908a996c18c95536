"""Usage states and the CS response (docs/MODEL.md, "Customer health and the CS response"): the
expected path against the contract's matrix recursion, the Monte Carlo mean against the expected path,
and the reproducibility contracts with states."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import cssim
from cssim.model.engine import simulate_block
from cssim.model.expected import expected_result
from cssim.model.health import response_probability

HEALTH = {
    "states": [
        {
            "name": "healthy",
            "start": 0.6,
            "new": 0.5,
            "churn_multiplier": 0.5,
            "expansion_multiplier": 1.5,
        },
        {"name": "at_risk", "start": 0.3, "new": 0.4, "churn_multiplier": 1.5},
        {
            "name": "dormant",
            "start": 0.1,
            "new": 0.1,
            "churn_multiplier": 4,
            "expansion_multiplier": 0,
        },
    ],
    "transitions": {
        "healthy": {"healthy": 0.9, "at_risk": 0.08, "dormant": 0.02},
        "at_risk": {"healthy": 0.15, "at_risk": 0.7, "dormant": 0.15},
        "dormant": {"at_risk": 0.1, "dormant": 0.9},
    },
}


def scenario(horizon: int = 24, **segment) -> cssim.Scenario:
    seg = {
        "name": "SMB",
        "customers": 1000,
        "arpa": 50_000,
        "acquisition": {"rate": 0.2},
        "churn": {"monthly": 0.02},
        "expansion": {"rate": 0.01, "probability": 0.1},
        "health": copy.deepcopy(HEALTH),
    }
    for k, v in segment.items():
        if v is None:
            seg.pop(k, None)
        else:
            seg[k] = v
    return cssim.Scenario.from_dict(
        {"name": "health", "horizon_months": horizon, "segments": [seg]}
    )


def with_response(cs: dict | None = None, **segment) -> cssim.Scenario:
    health = copy.deepcopy(HEALTH)
    health["transitions"]["at_risk"] = {"at_risk": 0.7, "dormant": 0.15}  # weights for the rest
    cs = cs or {
        "accounts_per_csm": 80,
        "csm_cost": 700_000,
        "response": [
            {"from": "at_risk", "to": "healthy", "none": 0.05, "max": 0.35, "half_effect_hours": 1}
        ],
    }
    return scenario(health=health, cs=cs, **segment)


# -- the expected path against MODEL.md's recursion -----------------------------------------------------


def test_expected_path_is_the_contracts_matrix_recursion():
    """Constant hazard c, rate acquisition m, no uncertainty: x_{t+1} = x_t (diag(1 - r c) P + m 1 n)."""
    s = scenario(horizon=36, expansion=None)
    c, m = 0.02, 1.2 ** (1 / 12) - 1
    r = np.array([0.5, 1.5, 4.0])
    P = np.array([[0.9, 0.08, 0.02], [0.15, 0.7, 0.15], [0.0, 0.1, 0.9]])
    new = np.array([0.5, 0.4, 0.1])
    A = np.diag(1 - r * c) @ P + m * np.outer(np.ones(3), new)
    x = np.array([600.0, 300.0, 100.0])
    ex = expected_result(s)
    for t in range(37):
        got = [ex.get(f"customers@{k}")[0, t] for k in ("healthy", "at_risk", "dormant")]
        np.testing.assert_allclose(got, x, rtol=1e-12)
        x = x @ A


def test_coverage_moves_the_response_along_its_curve():
    s = with_response()
    p = response_probability(np.array([0.0, 1.0, 1.5, np.inf]), 0.05, 0.35, 1.0)
    np.testing.assert_allclose(p, [0.05, 0.2, 0.35 - 0.3 * 2**-1.5, 0.35])
    res = cssim.simulate(s, paths=50, seed=1)
    np.testing.assert_allclose(res["cs_coverage"][:, 1:], 120 / 80)  # hours per account a month


# -- the Monte Carlo mean against the expected path, within 4 standard errors ---------------------------

CASES = {
    "monthly": lambda: scenario(),
    "response": lambda: with_response(),
    "onboarding": lambda: scenario(
        churn={"monthly": 0.02, "onboarding": {"months": 3, "monthly": 0.08}},
        starting_tenure={"min": 0, "max": 11},
    ),
    "sbg": lambda: scenario(churn={"heterogeneity": {"alpha": 0.8, "beta": 20}}),
    "annual": lambda: scenario(
        churn={"annual_renewal": 0.15}, starting_tenure={"min": 0, "max": 11}
    ),
    "seats-contraction": lambda: with_response(
        arpa=None,
        seats={"per_account": 20, "price": 2500},
        contraction={"rate": 0.005, "probability": 0.05},
    ),
    "count": lambda: scenario(acquisition={"count": 30, "growth": 0.01}),
    "count-fading": lambda: scenario(
        acquisition={
            "count": 30,
            "growth": 0.03,
            "endurance": {"kind": "pert", "low": 0.4, "mode": 0.7, "high": 1.0},
        }
    ),
    "uncertain": lambda: scenario(
        health={
            **HEALTH,
            "states": [
                {
                    **HEALTH["states"][0],
                    "churn_multiplier": {"kind": "lognormal", "mean": 0.5, "sd": 0.1},
                },
                *HEALTH["states"][1:],
            ],
        }
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_monte_carlo_mean_agrees_with_the_expected_path(case):
    s = CASES[case]()
    res = cssim.simulate(s, paths=6000, seed=11)
    ex = expected_result(s)
    metrics = [
        "customers",
        "mrr",
        "churned_customers",
        "expansion_mrr",
        "retained_mrr_12",
        "gross_retained_mrr_12",
    ]
    metrics += [f"customers@{k}" for k in res.states()] + [f"mrr@{k}" for k in res.states()]
    for metric in metrics:
        first = 12 if "retained" in metric else 1  # NaN before month 12
        mc, se = res.mean(metric)[first:], res.mc_se(metric)[first:]
        want = ex.get(metric).mean(axis=0)[first:]
        ok = np.isfinite(want)
        z = np.abs(mc[ok] - want[ok]) / np.maximum(se[ok], 1e-9 * np.abs(want[ok]))
        assert z.max() < 4.0, (metric, int(np.argmax(z)) + first, float(z.max()))


# -- the contracts of randomness hold with states -------------------------------------------------------


def test_blocks_jobs_and_summary_mode_give_the_same_numbers():
    s = with_response(horizon=18)
    whole = cssim.simulate(s, paths=2500, seed=4)
    first = cssim.simulate(s, paths=1000, seed=4)
    for key in ("customers", "mrr", "customers@dormant", "mrr@healthy", "gross_retained_mrr_12"):
        np.testing.assert_array_equal(whole._stored["SMB"][key][:1000], first._stored["SMB"][key])
    block = simulate_block(s, 4, 2, 500)["SMB"]["metrics"]
    np.testing.assert_array_equal(
        whole._stored["SMB"]["customers@at_risk"][2000:], block["customers@at_risk"]
    )
    jobs = cssim.simulate(s, paths=2500, seed=4, jobs=2)
    np.testing.assert_array_equal(whole["mrr@dormant"], jobs["mrr@dormant"])
    summary = cssim.simulate(s, paths=2500, seed=4, summary=True)
    np.testing.assert_allclose(summary.mean("customers"), whole.mean("customers"), rtol=1e-12)


def test_common_random_numbers_between_cs_levels():
    """More coverage moves more at-risk customers to healthy on the same random numbers: the paired
    difference is far tighter than two independent runs'."""
    low = with_response()
    data = low.to_dict()
    data["segments"][0]["cs"]["accounts_per_csm"] = 40
    high = cssim.Scenario.from_dict(data)
    a, b = cssim.simulate(low, paths=2000, seed=5), cssim.simulate(high, paths=2000, seed=5)
    other = cssim.simulate(high, paths=2000, seed=6)
    paired = b["customers@healthy"][:, 24] - a["customers@healthy"][:, 24]
    independent = other["customers@healthy"][:, 24] - a["customers@healthy"][:, 24]
    assert paired.mean() > 0
    assert paired.std() < 0.5 * independent.std()


def test_a_segment_without_health_is_unchanged_by_the_states_engine():
    plain = scenario(health=None)
    res = cssim.simulate(plain, paths=200, seed=3)
    assert res.states() == []
    assert np.isnan(res["arr_at_risk"]).all()
    assert "customers@healthy" not in res._stored["SMB"]


# -- results -------------------------------------------------------------------------------------------


def test_at_risk_metrics_sum_the_states_other_than_the_healthiest():
    res = cssim.simulate(scenario(), paths=300, seed=2)
    total = res["customers@at_risk"] + res["customers@dormant"]
    np.testing.assert_array_equal(res["customers_at_risk"], total)
    np.testing.assert_allclose(res["arr_at_risk"], 12 * (res["mrr@at_risk"] + res["mrr@dormant"]))
    states = sum(res[f"customers@{k}"] for k in res.states())
    np.testing.assert_array_equal(states, res["customers"])
    assert np.nanmedian(res["logo_churn_rate@dormant"][:, 1:]) > 3 * np.nanmedian(
        res["logo_churn_rate@healthy"][:, 1:]
    )
    with pytest.raises(KeyError, match="states: healthy, at_risk, dormant"):
        res.get("customers@sleeping")


def test_a_fixed_headcount_with_hires_costs_and_covers_by_the_month():
    s = with_response(
        cs={
            "csms": 4,
            "hires": [{"month": 6, "csms": 2}],
            "csm_cost": 700_000,
            "response": [
                {
                    "from": "at_risk",
                    "to": "healthy",
                    "none": 0.05,
                    "max": 0.35,
                    "half_effect_hours": 1,
                }
            ],
        }
    )
    res = cssim.simulate(s, paths=100, seed=1)
    np.testing.assert_array_equal(res["csms"][:, 5], 4)
    np.testing.assert_array_equal(res["csms"][:, 6], 6)
    np.testing.assert_allclose(res["crc"][:, 6], 6 * 700_000)
    start = res["customers"][:, 5]
    np.testing.assert_allclose(res["cs_coverage"][:, 6], 6 * 120 / start)


# -- what people read ----------------------------------------------------------------------------------


def test_the_explorer_moves_the_healthy_share_of_new_customers_and_the_headcount():
    from cssim.widgets.slider_specs import new_shares, segment_specs

    s = with_response(
        cs={
            "csms": 4,
            "csm_cost": 700_000,
            "response": [
                {
                    "from": "at_risk",
                    "to": "healthy",
                    "none": 0.05,
                    "max": 0.35,
                    "half_effect_hours": 1,
                }
            ],
        }
    )
    specs, _ = segment_specs(s.segments[0])
    names = [sp.name for sp in specs]
    assert "new_healthy" in names and "csms" in names and "accounts_per_csm" not in names
    shares = new_shares(s.segments[0], 0.8)
    assert shares[0] == 0.8 and sum(shares) == pytest.approx(1.0)
    assert shares[1] / shares[2] == pytest.approx(0.4 / 0.1)  # the others keep their proportion
    edited = s.replace({f"segments.0.health.states.{j}.new": v for j, v in enumerate(shares)})
    assert [st.new for st in edited.segments[0].health.states] == shares


def test_the_report_section_says_what_the_cs_team_is_worth(tmp_path):
    from cssim.reporting.report import health, health_lead, prepare, summary

    path = tmp_path / "h.yaml"
    path.write_text(with_response().to_yaml(), encoding="utf-8")
    for lang, words in (("en", "at-risk and dormant"), ("ja", "要注意・休眠")):
        ctx = prepare(path, paths=300, seed=1, lang=lang)
        lead = health_lead(ctx)
        assert words in lead[0].lower() and len(lead) >= 2
        html = health(ctx)._repr_html_()
        assert html.count("data:image/png;base64") == 2  # the state mix and churn, the CS curve
        first = summary(ctx)._repr_html_()  # the decision is on the first screen, said once
        assert all(line in first for line in lead) and lead[0] not in html
    plain = tmp_path / "plain.yaml"
    plain.write_text(scenario(health=None).to_yaml(), encoding="utf-8")
    ctx = prepare(plain, paths=50, seed=1)
    assert health_lead(ctx) == [] and health(ctx)._repr_html_() == ""
