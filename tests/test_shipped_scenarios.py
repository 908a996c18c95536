"""Every scenario shipped in scenarios/ and scenarios/ja/ validates, explains itself and simulates cleanly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import cssim

SCENARIO_DIR = Path(__file__).parent.parent / "scenarios"
SCENARIOS = sorted(SCENARIO_DIR.glob("*.yaml")) + sorted(SCENARIO_DIR.glob("ja/*.yaml"))
ENGLISH = sorted(SCENARIO_DIR.glob("*.yaml"))


def test_there_are_scenarios():
    names = {p.name for p in SCENARIOS}
    assert {
        "growth-vs-churn.yaml",
        "churn-floor-expansion.yaml",
        "smb-enterprise-seats.yaml",
        "annual-contracts.yaml",
        "cs-team-costs.yaml",
        "onboarding-heterogeneity.yaml",
        "usage-health.yaml",
        "onboarding-health.yaml",
        "high-vs-tech-touch.yaml",
        "cs-team-plan.yaml",
    } <= names


def _numbers(scenario: cssim.Scenario) -> dict:
    """The scenario's data without what a translation changes: its words and its language."""
    data = scenario.to_dict()
    for key in ("name", "description", "language"):
        data.pop(key, None)
    for segment in data["segments"]:
        segment.pop("name")
        health = segment.get("health")
        if health:  # usage states named in the reader's language: by position instead
            names = [s.pop("name") for s in health["states"]]
            health["transitions"] = {
                names.index(a): {names.index(b): p for b, p in row.items()}
                for a, row in health["transitions"].items()
            }
            for r in segment["cs"].get("response", []):
                r["from"], r["to"] = names.index(r["from"]), names.index(r["to"])
    return data


@pytest.mark.parametrize("english", ENGLISH, ids=lambda p: p.stem)
def test_japanese_twin_has_the_same_numbers(english):
    japanese = SCENARIO_DIR / "ja" / english.name
    assert japanese.is_file(), f"no Japanese version of {english.name} in scenarios/ja/"
    en, ja = cssim.load_scenario(english), cssim.load_scenario(japanese)
    assert _numbers(ja) == _numbers(en)
    assert ja.name != en.name and ja.description != en.description
    assert all(a != b for a, b in zip(ja.segment_names, en.segment_names, strict=True))


def test_every_japanese_scenario_has_an_english_twin():
    assert {p.name for p in SCENARIO_DIR.glob("ja/*.yaml")} == {p.name for p in ENGLISH}


@pytest.fixture(scope="module", params=SCENARIOS, ids=lambda p: f"{p.parent.name}/{p.stem}")
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
