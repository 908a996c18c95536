"""Cohort buckets: the bucketed engine against the per-cohort reference engine, and the layout itself.

Merging cohorts that share a hazard must not change the model: the bucketed engine and the reference
engine that keeps every joining-month cohort apart (``simulate_block(..., bucketed=False)``) are run on
independent seeds and must agree in distribution, month by month: means and variances within 4 Monte
Carlo standard errors, and a two-sample Kolmogorov-Smirnov test on customers.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from cssim.model.engine import simulate_block, simulate_blocks
from cssim.model.layout import layout
from tests.helpers import one_segment

PATHS = 3000  # per engine, in blocks of 1000
MONTHS = (3, 12, 13, 24, 36)

SCENARIOS = {
    "onboarding": dict(
        customers=300,
        starting_tenure={"min": 0, "max": 5},
        # a growth that fades, its endurance drawn per path: both engines read it alike
        acquisition={
            "count": 20,
            "growth": 0.03,
            "endurance": {"kind": "uniform", "low": 0.3, "high": 0.9},
        },
        churn={"monthly": 0.02, "onboarding": {"months": 3, "monthly": 0.10}},
        expansion={"rate": 0.01, "probability": 0.1},
        contraction={"rate": 0.004, "probability": 0.05},
    ),
    "sbg": dict(
        customers=300,
        acquisition={"rate": 0.3},
        churn={"heterogeneity": {"alpha": 1.0, "beta": 10.0}},
        contraction={"rate": 0.005, "probability": 0.1},
    ),
    "annual": dict(
        customers=240,
        starting_tenure={"min": 0, "max": 11},
        acquisition={"count": 10},
        churn={"annual_renewal": 0.15},
        expansion={"rate": 0.01, "probability": 0.2},
    ),
}


def _run(scenario, entropy: int, bucketed: bool) -> dict[str, np.ndarray]:
    parts = [
        simulate_block(scenario, entropy, b, 1000, bucketed=bucketed)["All"]["metrics"]
        for b in range(PATHS // 1000)
    ]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _var_se(x: np.ndarray) -> float:
    """Standard error of the sample variance: sqrt((m4 - s^4) / n)."""
    d = x - x.mean()
    return float(np.sqrt(max(np.mean(d**4) - np.mean(d**2) ** 2, 0.0) / x.size))


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def pair(request):
    scenario = one_segment(36, **SCENARIOS[request.param])
    return request.param, _run(scenario, 101, bucketed=False), _run(scenario, 202, bucketed=True)


@pytest.mark.parametrize("metric", ["customers", "mrr", "churned_customers", "retained_mrr_12"])
def test_bucketed_engine_agrees_with_the_per_cohort_engine(pair, metric):
    name, ref, new = pair
    for t in MONTHS:
        if metric == "retained_mrr_12" and t < 12:
            continue
        x, y = ref[metric][:, t], new[metric][:, t]
        se = np.sqrt(x.var(ddof=1) / x.size + y.var(ddof=1) / y.size)
        assert abs(x.mean() - y.mean()) <= 4 * se, (name, metric, t, x.mean(), y.mean(), se)
        vse = np.hypot(_var_se(x), _var_se(y))
        assert abs(x.var() - y.var()) <= 4 * vse, (name, metric, t, x.var(), y.var(), vse)


def test_customer_distributions_match(pair):
    name, ref, new = pair
    for t in (12, 36):
        p = stats.ks_2samp(ref["customers"][:, t], new["customers"][:, t]).pvalue
        assert p > 1e-4, (name, t, p)


def test_layout_monthly_merges_after_the_trailing_year_and_onboarding():
    plain = layout(one_segment(120).segments[0], 120)
    assert plain.merging and plain.age == 12 and plain.W == 12
    assert plain.B == plain.years == 11  # joining years 0 (the starting customers) .. 10
    assert plain.width == 12 + 1 + 11  # not 1 + 120 cohorts
    # the cohort that joined at the end of month 1 is merged into year 1's bucket at the start of month 13
    assert (plain.slot(1), plain.bucket(1)) in plain.months[13].merges
    assert plain.months[1].merges == [(plain.start(0), plain.bucket(0))]
    long = layout(
        one_segment(
            60, churn={"monthly": 0.02, "onboarding": {"months": 15, "monthly": 0.1}}
        ).segments[0],
        60,
    )
    assert long.age == 16 and long.W == 16  # out of onboarding only after 15 months of tenure
    # customers of month 1 are in the trailing-12 base from month 13 but still apart until month 17
    assert long.slot(1) in np.arange(long.width)[long.months[14].old]
    assert (long.slot(1), long.bucket(1)) in long.months[17].merges


def test_layout_sbg_keeps_every_tenure_and_annual_draws_only_renewals():
    sbg = layout(one_segment(48, **SCENARIOS["sbg"]).segments[0], 48)
    assert not sbg.merging and sbg.width == 48 + 1
    assert all(not sbg.months[t].merges for t in range(1, 49))
    annual = layout(one_segment(48, **SCENARIOS["annual"]).segments[0], 48)
    assert not annual.merging and annual.width == 48 + 12
    for t in (1, 12, 13, 30, 48):
        mo = annual.months[t]
        assert mo.tau.size and np.all(mo.tau % 12 == 0)  # nobody else can churn this month
        # starting tenures 0..11: exactly one starting cohort renews each month, plus the new cohorts
        # that joined 12, 24, ... months ago
        assert mo.tau.size == 1 + (t - 1) // 12


def test_several_blocks_in_one_pass_equal_one_block_at_a_time():
    scenario = one_segment(30, **SCENARIOS["onboarding"])
    together = simulate_blocks(scenario, 9, [(0, 1000), (1, 300)])
    for i, (block, size) in enumerate([(0, 1000), (1, 300)]):
        alone = simulate_block(scenario, 9, block, size)["All"]
        for k, v in alone["metrics"].items():
            np.testing.assert_array_equal(together[i]["All"]["metrics"][k], v, err_msg=k)
        np.testing.assert_array_equal(together[i]["All"]["year_mrr"], alone["year_mrr"])


def test_layer_cake_adds_up_to_mrr():
    scenario = one_segment(40, **SCENARIOS["onboarding"])
    part = simulate_block(scenario, 3, 0, 1000)["All"]
    np.testing.assert_allclose(part["year_mrr"].sum(1), part["metrics"]["mrr"].sum(0), rtol=1e-12)
    assert np.all(part["year_mrr"][:12, 1:] >= 0) and np.all(part["year_mrr"][:12, 2:] == 0)


def test_import_cssim_loads_no_heavy_library():
    code = (
        "import sys, cssim; heavy = [m for m in ('scipy', 'pandas', 'matplotlib', 'pyarrow') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
