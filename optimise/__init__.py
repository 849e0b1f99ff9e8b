"""Formulations, algorithms and solver adapters. Takes arrays, returns a Result; no geometry.

=====================  ==========================================================================
``engine``             the front door: ``solve_federations`` hands a problem to a method
``problem``            ``FederationProblem``: the arrays of one planning problem, its costs and rules
``result``             ``Result``, statuses, the gap, the one proof tolerance, ``RunStats``
``bounds``             every bound formula (trivial, Lagrangian, phase 1, enumeration window, ...)
``branch_price``       the default method: column generation and branch and price (a package)
``compact``            the other method: the assignment MIP handed to a solver
``formulations``       pure model builders: the assignment MIP as a solver-neutral linear model
``solvers``            solver adapters: CBC (pulp), CP-SAT, HiGHS (highspy), SCIP and HiGHS (OR-Tools)
``master_lp``          the master LP of column generation: HiGHS through highspy, or GLOP
``heuristics``         construction, local search, the hub-set search, contiguity repair
``feasibility``        the exact yes/no search for a first plan, and which rules are at fault
``diagnose``           quick necessary conditions, explained in words
``clock``              the run's budget: seconds, or deterministic work units
``sizecost``           g(N), the services and risk cost of a federation of N patients, in pieces
``makebuy``            make-or-buy of each service at a federation's size
``risk``               the cost of holding or insuring a federation's risk; the minimum viable size
``membercost``         h(m, N): the pooled-incentive loss that grows with a federation's member count
``cpmp``               capacitated p-median instances as federation problems (``fedplan bench``)
``verify``             the independent check of a plan and of the claims made about it
``verify_costs``       verify's own cost rules (none of the model's code)
=====================  ==========================================================================
"""
from .bounds import trivial_bound
from .branch_price.params import Params
from .engine import solve_federations
from .problem import FederationProblem
from .result import ProblemInfeasible, Result, RunStats, Status, relative_gap
from .verify import Verification, verify

__all__ = ["FederationProblem", "Params", "ProblemInfeasible", "Result", "RunStats", "Status", "Verification",
           "relative_gap", "solve_federations", "trivial_bound", "verify"]
