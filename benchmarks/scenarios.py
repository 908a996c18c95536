"""Scenarios shared by the engine benchmark and the golden-output check."""

from __future__ import annotations

from pathlib import Path

import cssim

ROOT = Path(__file__).resolve().parent.parent

#: Three segments with tenure-dependent churn, movement on two of them and one uncertain parameter.
THREE_SEGMENTS = {
    "name": "Three segments, tenure-dependent churn",
    "horizon_months": 36,
    "segments": [
        {
            "name": "SMB",
            "customers": 4000,
            "arpa": 30000,
            "acquisition": {"rate": 0.30},
            "churn": {
                "monthly": {"kind": "beta", "mean": 0.03, "sd": 0.01},
                "onboarding": {"months": 3, "monthly": 0.08},
            },
            "expansion": {"rate": 0.01, "probability": 0.05},
            "contraction": {"rate": 0.005, "probability": 0.05},
        },
        {
            "name": "Mid-market",
            "customers": 800,
            "arpa": 200000,
            "acquisition": {"count": 25, "growth": 0.01},
            "churn": {"heterogeneity": {"alpha": 1.2, "beta": 40.0}},
            "expansion": {"rate": 0.015, "probability": 0.1},
            "contraction": {"rate": 0.004, "probability": 0.05},
        },
        {
            "name": "Enterprise",
            "customers": 120,
            "arpa": 2000000,
            "starting_tenure": {"min": 0, "max": 11},
            "acquisition": {"count": 2},
            "churn": {"annual_renewal": 0.10},
        },
    ],
}


def growth_vs_churn(horizon: int | None = None) -> cssim.Scenario:
    scenario = cssim.load_scenario(ROOT / "scenarios" / "growth-vs-churn.yaml")
    return scenario if horizon is None else scenario.replace({"horizon_months": horizon})


def three_segments(horizon: int | None = None) -> cssim.Scenario:
    scenario = cssim.Scenario.from_dict(THREE_SEGMENTS)
    return scenario if horizon is None else scenario.replace({"horizon_months": horizon})
