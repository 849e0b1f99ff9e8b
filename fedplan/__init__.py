"""fedplan: optimal GP federations and make-or-buy plans with proven bounds.

Library use::

    import fedplan
    result = fedplan.plan()                      # Devon ICB, default rules
    result = fedplan.plan("my_scenario.toml")    # or a Scenario object
    print(result.status, result.objective, result.bound, result.gap)
"""
from inputs import load_scenario
from inputs.errors import InputError
from inputs.model import Scenario
from optimise import FederationProblem, ProblemInfeasible, Result, Status, verify

from .api import PlanRun, plan, run

__version__ = "0.1.0"

__all__ = ["FederationProblem", "InputError", "PlanRun", "ProblemInfeasible", "Result", "Scenario",
           "Status", "load_scenario", "plan", "run", "verify", "__version__"]
