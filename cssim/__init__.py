"""cssim: customer-success simulation workbench.

Model customer cohorts by segment (growth, churn by tenure, expansion, contraction, pricing and CS costs)
and run vectorised Monte Carlo simulations with parameter uncertainty. The meaning of every number is in
docs/MODEL.md.

>>> import cssim
>>> scenario = cssim.load_scenario("scenarios/growth-vs-churn.yaml")
>>> result = cssim.simulate(scenario, paths=10_000, seed=42)
>>> result["arr"].shape
(10000, 37)

The public names are imported on first use (PEP 562), so ``import cssim`` does not load scipy, pandas or
matplotlib until a function that needs them is called.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._version import __version__

#: Public name -> the module that defines it.
_WHERE = {
    "breakeven_churn": "cssim.analysis.breakeven",
    "breakeven_expansion": "cssim.analysis.breakeven",
    "goal_seek": "cssim.analysis.goal_seek",
    "cs_plan": "cssim.analysis.cs_plan",
    "levers": "cssim.analysis.levers",
    "marginal_value": "cssim.analysis.churn_floor",
    "global_sensitivity": "cssim.analysis.sensitivity",
    "tornado": "cssim.analysis.sensitivity",
    "sensitivity": "cssim.analysis.indices",
    "backtest": "cssim.data.backtest",
    "calibrate": "cssim.data.calibrate",
    "fit_sbg": "cssim.data.retention",
    "simulate": "cssim.runs.single",
    "ScenarioError": "cssim.model.errors",
    "expected": "cssim.model.expected",
    "SimulationResult": "cssim.model.result",
    "Scenario": "cssim.model.scenario",
    "load_scenario": "cssim.model.scenario",
}

__all__ = [
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "__version__",
    "backtest",
    "breakeven_churn",
    "breakeven_expansion",
    "calibrate",
    "cs_plan",
    "expected",
    "fit_sbg",
    "global_sensitivity",
    "goal_seek",
    "levers",
    "load_scenario",
    "marginal_value",
    "sensitivity",
    "simulate",
    "tornado",
]

if TYPE_CHECKING:  # what static tools see; at run time the names come from __getattr__
    from .analysis.breakeven import breakeven_churn, breakeven_expansion
    from .analysis.churn_floor import marginal_value
    from .analysis.goal_seek import goal_seek
    from .analysis.indices import sensitivity
    from .analysis.levers import levers
    from .analysis.sensitivity import global_sensitivity, tornado
    from .data.calibrate import calibrate
    from .data.retention import fit_sbg
    from .model.errors import ScenarioError
    from .model.expected import expected
    from .model.result import SimulationResult
    from .model.scenario import Scenario, load_scenario
    from .runs.single import simulate


def __getattr__(name: str):
    """Import a public name's module on first use and cache the name here."""
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'cssim' has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
