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

from .breakeven import breakeven_churn, breakeven_expansion, goal_seek
from .calibrate import calibrate
from .engine import simulate
from .errors import ScenarioError
from .expected import expected
from .levers import levers, marginal_value
from .result import SimulationResult
from .retention import fit_sbg
from .scenario import Scenario, load_scenario
from .sensitivity import global_sensitivity, tornado

__all__ = [
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "__version__",
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
