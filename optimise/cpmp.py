"""The classic capacitated p-median problem (CPMP) as a special case of the federation engine:
exactly p federations, capacity Q as the population ceiling, no floor, no fixed cost, and
unweighted point-to-median distances as the assignment cost."""
from __future__ import annotations

import numpy as np

from .engine import solve_federations
from .problem import FederationProblem
from .result import Result


def cpmp_problem(ids, demand: np.ndarray, capacity: np.ndarray, distances: np.ndarray, p: int) -> FederationProblem:
    cap = np.unique(capacity)
    if len(cap) != 1:
        raise ValueError("medians with different capacities are not supported yet")
    return FederationProblem(codes=tuple(str(i) for i in ids), list_size=demand, assign_cost=distances,
                             hub_cost=0.0, min_population=0, max_population=int(np.floor(cap[0] + 1e-9)),
                             n_federations=int(p))


def solve_cpmp(problem: FederationProblem, solver: str = "cbc", **kw) -> Result:
    return solve_federations(problem, solver, **kw)


def bench_json(problem: FederationProblem, res: Result, instance: tuple | None = None) -> dict:
    """The JSON of DESIGN.md §5 with 1-based ids as in the file; objective recomputed.

    With ``instance`` = (path, format), the answer is also checked by ``verify.verify_cpmp``, which
    reads the file again: ``verified`` says whether it passed; if not, ``verification_problems``
    lists why and ``status`` is "error" (a plan that failed its check is never reported as optimal)."""
    out = {"status": str(res.status), "objective": None, "bound": res.bound, "gap": res.gap,
           "runtime_s": round(res.runtime_s, 3), "solver": res.solver, "medians": [], "assignment": {}}
    if res.has_plan:
        hub_of = np.asarray(res.hubs)[res.assignment]
        objective = float(problem.assign_cost[np.arange(problem.n), hub_of].sum())
        out["objective"] = round(objective, 6)
        out["medians"] = sorted(int(problem.codes[h]) for h in res.hubs)
        out["assignment"] = {problem.codes[i]: int(problem.codes[hub_of[i]]) for i in range(problem.n)}
    if instance is not None:
        from .verify import verify_cpmp

        check = verify_cpmp(instance[0], instance[1], out) if res.has_plan else None
        out["verified"] = check is not None and check.ok
        if check is not None and not check.ok:
            out["status"] = "error"
            out["verification_problems"] = list(check.problems)
    return out
