"""fedplan: optimal GP federations and make-or-buy plans with proven bounds.

Library use::

    import fedplan
    result = fedplan.plan()                      # Devon ICB, default rules
    result = fedplan.plan("my_scenario.toml")    # or a Scenario object
    print(result.status, result.objective, result.bound, result.gap)

| subpackage / module  | job |
|---|---|
| ``fedplan.inputs``   | read and validate files into immutable, typed problem data |
| ``fedplan.geo``      | EPSG:27700 projection, distances, adjacency, catchments, boundaries |
| ``fedplan.optimise`` | formulations, algorithms and solver adapters; one ``Result``; ``verify`` |
| ``fedplan.reports``  | HTML report, comparison, GeoPackage (never solves) |
| ``fedplan.api``      | the library API: ``plan``, ``run``, ``PlanRun`` (re-exports the parts below) |
| ``fedplan.problem``  | a scenario's files and rules -> the engine's ``FederationProblem`` |
| ``fedplan.baseline`` | today's PCNs costed by the same model; the engine's warm start |
| ``fedplan.summary``  | ``summary.json`` of a run, and the rows of ``make_or_buy.csv`` |
| ``fedplan.size``     | why this size: cost per patient by term against population, the rule that binds |
| ``fedplan.rules``    | the price of each binding rule: a re-solve with the rule widened a tenth |
| ``fedplan.explain``  | why no plan exists: each rule dropped in turn |
| ``fedplan.output``   | write a run directory atomically (staging, recovery after a kill, manifest) |
| ``fedplan.rundir``   | read a run directory back, without solving |
| ``fedplan.report``   | ``fedplan report`` and ``fedplan compare``: HTML from existing run directories |
| ``fedplan.execute``  | where many plans run: a Dask cluster, each plan into its own run directory |
| ``fedplan.sweep``    | ``fedplan sweep``: a grid of scenarios, resumable |
| ``fedplan.sensitivity`` | ``fedplan sensitivity``: tornado, Monte Carlo draws, stability, robust plan |
| ``fedplan.sensitivity_draws`` | what a sensitivity run varies, its seeded draws, one variant's solve |
| ``fedplan.national`` | England and regions: part by part on Dask, merged into one run directory |
| ``fedplan.serve``    | ``fedplan serve``: the planner's workbench in the browser (a subpackage) |
| ``fedplan.cli``      | the ``fedplan`` command |
| ``fedplan.__main__`` | ``python -m fedplan`` |

Every name below is imported on first use (PEP 562): importing ``fedplan.inputs`` (as every lower
layer does) must not pull in the optimiser, the maps or the CLI, and ``fedplan bench`` starts quickly.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_WHERE = {
    "InputError": "fedplan.inputs.errors", "Scenario": "fedplan.inputs.model",
    "load_scenario": "fedplan.inputs.scenario",
    "FederationProblem": "fedplan.optimise.problem", "ProblemInfeasible": "fedplan.optimise.result",
    "Result": "fedplan.optimise.result", "Status": "fedplan.optimise.result", "verify": "fedplan.optimise.verify",
    "PlanRun": "fedplan.api", "plan": "fedplan.api", "run": "fedplan.api",
}


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_WHERE) + ["__version__"]
