"""Formulations, algorithms and solver adapters. Takes arrays, returns a Result; no geometry."""
from .engine import solve_federations, trivial_bound
from .result import ProblemInfeasible
from .problem import FederationProblem
from .result import Result, Status, relative_gap
from .verify import Verification, verify

__all__ = ["FederationProblem", "ProblemInfeasible", "Result", "Status", "Verification",
           "relative_gap", "solve_federations", "trivial_bound", "verify"]
