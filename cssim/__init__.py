"""cssim: customer-success simulation workbench.

Model customer cohorts by segment (growth, churn by tenure, expansion, contraction, pricing and CS costs)
and run vectorised Monte Carlo simulations with parameter uncertainty. The meaning of every number is in
MODEL.md.

>>> import cssim
>>> scenario = cssim.load_scenario("scenarios/growth-vs-churn.yaml")
>>> result = cssim.simulate(scenario, paths=10_000, seed=42)
>>> result["arr"].shape
(10000, 37)
"""

__version__ = "0.1.0"

from .analysis.breakeven import breakeven_churn, breakeven_expansion, goal_seek
from .analysis.levers import levers, marginal_value
from .analysis.sensitivity import global_sensitivity, tornado
from .data.backtest import backtest
from .data.calibrate import calibrate
from .data.retention import fit_sbg
from .model.engine import simulate
from .model.errors import ScenarioError
from .model.expected import expected
from .model.result import SimulationResult
from .model.scenario import Scenario, load_scenario

__all__ = [
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "__version__",
    "backtest",
    "breakeven_churn",
    "breakeven_expansion",
    "calibrate",
    "expected",
    "fit_sbg",
    "global_sensitivity",
    "goal_seek",
    "levers",
    "load_scenario",
    "marginal_value",
    "simulate",
    "tornado",
]
