"""The front door: ``solve_federations`` checks the request and hands it to a method, branch and
price (``branch_price.solve``) or the compact assignment MIP (``compact``). Nothing else here."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .branch_price.params import Params
from .branch_price.solve import solve_federations_cg
from .compact import solve_compact
from .problem import FederationProblem
from .result import Result
from .solvers import SOLVERS
from .solvers.base import scratch_in


def solve_federations(
    problem: FederationProblem,
    solver: str = "cbc",
    *,
    time_limit_s: float = 300.0,
    gap: float = 0.0,
    seed: int = 0,
    threads: int = 1,
    warm_start: tuple[np.ndarray, tuple[int, ...]] | None = None,
    log_path: Path | None = None,
    names: tuple[str, ...] | None = None,
    method: str = "branch_price",
    work_limit: float | None = None,
    params: Params | None = None,
) -> Result:
    """Best plan found within the time limit, with a valid lower bound.

    ``method`` "branch_price" (``branch_price``: set partitioning over whole federations; ``solver``
    settles its integer programmes) or "compact" (the assignment MIP of ``formulations``, solved by
    ``solver``; it refuses contiguity and the member cost with a ValueError). Status is ``optimal`` only when proven and the recomputed gap agrees. Raises
    ``ProblemInfeasible`` when a necessary condition fails (explained in words).

    ``work_limit`` (work units, ``optimise.clock``) replaces the time limit as the stopping rule,
    so that a run which does not finish gives the same plan every time (same inputs, seed, one
    thread); ``time_limit_s`` then only caps the wall time, and a run it stops is marked
    ``repeatable=False``.

    ``params``: branch and price's tunables (``branch_price.params.Params``; the default is the
    measured values); the compact model has none.
    """
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; choose one of {', '.join(SOLVERS)}")
    # solver scratch files beside the log: under the CLI that is the run's staging folder
    with scratch_in(Path(log_path).parent if log_path is not None else None):
        if method == "branch_price":
            return solve_federations_cg(problem, time_limit_s=time_limit_s, gap=gap, seed=seed, threads=threads,
                                        warm_start=warm_start, log_path=log_path, mip_solver=solver, names=names,
                                        work_limit=work_limit, params=params)
        if method != "compact":
            raise ValueError(f"unknown method {method!r}; choose branch_price or compact")
        return solve_compact(problem, solver, time_limit_s=time_limit_s, gap=gap, seed=seed, threads=threads,
                             warm_start=warm_start, log_path=log_path, names=names, work_limit=work_limit)
