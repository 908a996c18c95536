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

from .engine import simulate
from .errors import ScenarioError
from .expected import expected
from .result import SimulationResult
from .scenario import Scenario, load_scenario

__version__ = "0.1.0"

__all__ = [
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "__version__",
    "expected",
    "load_scenario",
    "simulate",
]
