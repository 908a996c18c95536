"""Every scenario shipped in scenarios/ validates, explains itself and simulates cleanly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import cssim

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))


def test_there_are_scenarios():
    names = {p.name for p in SCENARIOS}
    assert {
        "growth-vs-churn.yaml",
        "churn-floor-expansion.yaml",
        "smb-enterprise-seats.yaml",
        "annual-contracts.yaml",
        "cs-team-costs.yaml",
        "onboarding-heterogeneity.yaml",
    } <= names


@pytest.fixture(scope="module", params=SCENARIOS, ids=lambda p: p.stem)
def shipped(request):
    scenario = cssim.load_scenario(request.param)
    return scenario, cssim.simulate(scenario, paths=1000, seed=20261122)


def test_description_explains_the_question(shipped):
    scenario, _ = shipped
    text = scenario.description.strip()
    assert text, "a shipped scenario needs a description"
    assert len(text) >= 200
    assert "<" not in text and ">" not in text  # plain text, no HTML
    assert scenario.currency == "JPY"


def test_simulates_without_nan_or_negative_counts(shipped):
    scenario, result = shipped
    assert result["arr"].shape == (1000, scenario.horizon_months + 1)
    for segment in [*result.segments, "total"]:
        for metric in ("customers", "new_customers", "churned_customers", "mrr"):
            values = result.get(metric, segment)
            assert not np.isnan(values).any(), (metric, segment)
            assert (values >= 0).all(), (metric, segment)
        customers = result.get("customers", segment)
        assert np.array_equal(customers, np.rint(customers)), segment


def test_retention_stays_between_0_and_1(shipped):
    _, result = shipped
    grr = result["grr"][:, 12:]
    assert np.nanmin(grr) >= 0 and np.nanmax(grr) <= 1 + 1e-9
    assert (result["nrr"][:, 12:] >= 0).all()


def test_headline_is_finite(shipped):
    _, result = shipped
    h = result.headline()
    assert all(np.isfinite(v) for v in h.values())
    assert 0 <= h["p_arr_grows"] <= 1
