"""fedplan: optimal GP federations and make-or-buy plans with proven bounds.

Library use::

    import fedplan
    result = fedplan.plan()                      # Devon ICB, default rules
    result = fedplan.plan("my_scenario.toml")    # or a Scenario object
    print(result.status, result.objective, result.bound, result.gap)
"""
from __future__ import annotations

import importlib

from inputs.errors import InputError
from inputs.model import Scenario
from inputs.scenario import load_scenario
from optimise import FederationProblem, ProblemInfeasible, Result, Status, verify

__version__ = "0.1.0"


def __getattr__(name: str):
    # the planning API pulls in geo (geopandas) and the national tables: loaded on first use, so
    # `fedplan bench` and `fedplan makebuy` start quickly
    if name in ("PlanRun", "plan", "run"):
        value = getattr(importlib.import_module(".api", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["FederationProblem", "InputError", "PlanRun", "ProblemInfeasible", "Result", "Scenario",
           "Status", "load_scenario", "plan", "run", "verify", "__version__"]
