"""Small, swappable solver adapters: each takes a LinearModel and returns a SolverOutput
(``run_solver`` picks one by name).

=================  ==============================================================================
``base``           ``SolveOptions``, ``SolverOutput``, scratch folders and helpers shared by all
``pulp_cbc``       CBC through pulp (the default; its bound read from its own log)
``cpsat``          CP-SAT, with costs scaled to integers and the bound corrected for the rounding
``highs``          HiGHS through highspy (warm starts, a plan at the time limit)
``ortools_mip``    SCIP, and HiGHS without highspy, through OR-Tools' pywraplp
=================  ==============================================================================
"""
from __future__ import annotations

import numpy as np

from ..formulations.linear import LinearModel
from .base import SolveOptions, SolverOutput

SOLVERS = ("cbc", "cpsat", "highs", "scip")


def run_solver(name: str, model: LinearModel, opts: SolveOptions,
               start: np.ndarray | None = None) -> SolverOutput:
    if name == "cbc":
        from .pulp_cbc import solve_cbc
        return solve_cbc(model, opts, start)
    if name == "cpsat":
        from .cpsat import solve_cpsat
        return solve_cpsat(model, opts, start)
    if name == "highs":
        from .highs import available, solve_highspy
        if available():
            return solve_highspy(model, opts, start)
    if name in ("highs", "scip"):
        from .ortools_mip import solve_pywraplp
        return solve_pywraplp(model, opts, name, start)
    raise ValueError(f"unknown solver {name!r}; choose one of {', '.join(SOLVERS)}")


__all__ = ["SOLVERS", "SolveOptions", "SolverOutput", "run_solver"]
