"""The compact route (``method="compact"``): the assignment MIP of ``formulations`` handed to the
chosen solver, warm-started by the heuristics, and reported honestly.

The plan is the cheaper of the solver's and the heuristic's (its cost recomputed by the model,
never copied from the solver); the bound is the solver's, never below ``bounds.trivial_bound``;
the status is judged from them (``result.judge``), never taken from the solver's word. A proof from
CBC is re-checked by a second CBC search without cut generators (``_recheck_cbc_proof``); CBC's
"infeasible" is re-checked by the exact feasibility search (``optimise.feasibility``) before it is
reported. Contiguity and the member cost (``membercost``: a rate per patient that depends on the
member count, which this model would need a count-and-population split per hub for) are modelled by
branch and price only; a problem with either is refused.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .bounds import trivial_bound
from .clock import Clock
from .diagnose import diagnose
from .feasibility import find_plan
from .formulations import build_assignment_model
from .heuristics import construct, improve
from .problem import FederationProblem
from .result import ProblemInfeasible, Result, Status, canonical, judge
from .solvers import SOLVERS, SolveOptions, run_solver
from .solvers.base import SolverOutput


def solve_compact(problem: FederationProblem, solver: str = "cbc", *, time_limit_s: float = 300.0,
                  gap: float = 0.0, seed: int = 0, threads: int = 1,
                  warm_start: tuple[np.ndarray, tuple[int, ...]] | None = None, log_path: Path | None = None,
                  names: tuple[str, ...] | None = None, work_limit: float | None = None) -> Result:
    """Best plan of the assignment MIP within the limit, with a valid lower bound (the contract of
    ``engine.solve_federations``)."""
    if problem.adjacency is not None:
        raise ValueError("contiguity (problem.adjacency) is modelled by method='branch_price' only")
    if problem.member_cost is not None:
        raise ValueError("the member cost (problem.member_cost) is modelled by method='branch_price' only")
    clock = Clock(time_limit_s, work_limit)
    with clock.active():
        result = _solve(problem, solver, clock, gap, seed, threads, warm_start, log_path, names)
    return result.replace(practice_codes=problem.codes, work_units=clock.work,
                          repeatable=result.repeatable and not clock.wall_stopped)


def _solve(problem, solver, clock: Clock, gap, seed, threads, warm_start, log_path, names) -> Result:
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; choose one of {', '.join(SOLVERS)}")
    t0 = time.perf_counter()
    reasons = diagnose(problem, names)
    if reasons:
        raise ProblemInfeasible(reasons)

    incumbent = construct(problem, seed=seed, time_budget_s=0.15 * clock.limit, clock=clock)
    if warm_start is not None:
        start = improve(problem, warm_start[0], warm_start[1], seed=seed)
        if start is not None and (incumbent is None or problem.cost(*start) < problem.cost(*incumbent)):
            incumbent = start
    heuristic_s = time.perf_counter() - t0

    built = build_assignment_model(problem)
    x0 = built.encode(*incumbent) if incumbent is not None else None
    out = run_solver(solver, built.model,
                     SolveOptions(**clock.limits(clock.left()), gap=gap, seed=seed, threads=threads,
                                  log_path=log_path), start=x0)
    recheck = ""
    if solver == "cbc" and out.state in ("optimal", "optimal_rounded") and out.x is not None:
        out, recheck = _recheck_cbc_proof(built.model, out, clock, gap, seed, threads, log_path)

    candidates = []
    if out.x is not None:
        a, h = built.decode(out.x)
        if problem.is_feasible(a, h):
            candidates.append((problem.cost(a, h), a, h))
    if incumbent is not None:
        candidates.append((problem.cost(*incumbent), *incumbent))
    runtime = time.perf_counter() - t0
    notes = [f"heuristic warm start {heuristic_s:.1f}s", out.message, recheck]

    if out.state == "infeasible" and not candidates:
        # a second opinion before "no plan exists": CBC 2.10 has reported infeasibility falsely
        got = find_plan(problem, max(1.0, clock.left()), clock=clock, seed=seed, threads=threads)
        if got.state == "none":
            return Result(Status.INFEASIBLE, None, None, None, time.perf_counter() - t0, solver, out.version, seed,
                          message=f"{out.solver} proved that no plan meets the rules, and an exact search "
                                  "(CP-SAT) agrees", log=out.log)
        if got.plan is None:
            return Result(Status.ERROR, None, None, None, time.perf_counter() - t0, solver, out.version, seed,
                          message=f"{out.solver} reported that no plan meets the rules, but a second, exact "
                                  "search could neither confirm it nor find a plan in the time left; allow more "
                                  "time", log=out.log, repeatable=clock.deterministic)
        candidates.append((problem.cost(*got.plan), *got.plan))
    if not candidates:
        why = "time limit reached before any feasible plan was found" if out.state == "no_solution" else out.message
        return Result(Status.ERROR, None, out.bound, None, runtime, solver, out.version, seed,
                      message=why, log=out.log)
    if out.state == "infeasible":
        # A plan that passed the feasibility check disproves the solver's claim (seen with CBC
        # 2.10.3, whose preprocessing can wrongly report infeasibility on large models). Keep the
        # plan, drop the solver's bound, and say so.
        out.bound = None
        notes.append(f"{out.solver} wrongly reported the model infeasible; the plan is the heuristic's, "
                     "checked feasible, and the bound is the solver-free one")

    objective, assignment, hubs = min(candidates, key=lambda c: c[0])
    assignment, hubs = canonical(assignment, hubs, problem.codes)
    bound = trivial_bound(problem)
    if out.bound is not None and np.isfinite(out.bound):
        bound = max(bound, out.bound)
    # the solver's bound, never its word: "optimal" only when the bound is within the proof
    # tolerance of the plan's recomputed cost (a requested gap that was met leaves it feasible)
    status, bound, g, wrong = judge(objective, bound)
    if wrong:
        notes.insert(0, wrong)
    if status is not Status.OPTIMAL and out.state == "no_solution":
        notes.append("the solver found no plan of its own; the plan is the heuristic's")
    finished = status is Status.OPTIMAL or out.state in ("optimal", "optimal_rounded")
    return Result(status, objective, bound, g, runtime, solver, out.version, seed,
                  assignment=assignment, hubs=hubs, message="; ".join(n for n in notes if n), log=out.log,
                  repeatable=finished or clock.deterministic, requested_gap=max(0.0, gap))


def _recheck_cbc_proof(model, out, clock: Clock, gap, seed, threads, log_path) -> tuple[SolverOutput, str]:
    """CBC's proof on the compact model, checked by a second CBC search, without its cut
    generators, for any plan cheaper than the proven one by more than the allowed gap.

    Why: on a 10-practice compact model (``tests/optimise_tests/test_optimise.py``, seed 1584) CBC 2.10 reported
    optimal a plan 0.17 % dearer than the optimum that SCIP and branch and price prove: its cuts
    cut the optimum off (with cuts off it finds it). Scaling the population rows moved the error
    to other settings without removing it, so a proof from CBC's cuts is not taken on trust.

    The check's outcome decides: no cheaper plan, so the proof stands; a cheaper plan, which
    replaces CBC's and whose own search decides the status; stopped without either, so the plan is
    kept as feasible with the check's bound (or none).
    """
    z = float(out.objective)
    target = z - abs(z) * max(gap, 0.0)
    cutoff = target - 1e-7 * max(1.0, abs(target))
    check = run_solver("cbc", model, SolveOptions(**clock.limits(clock.left()), gap=gap, seed=seed,
                                                  threads=threads, cuts=False, cutoff=cutoff))
    log = f"{out.log}\n--- CBC's proof re-checked by a search without cut generators ---\n{check.log}"
    if log_path is not None:
        Path(log_path).write_text(log)
    if check.state == "infeasible":
        out.log = log
        return out, "proof re-checked by a CBC search without cuts (no cheaper plan)"
    if check.x is not None:
        check.log = log
        return check, (f"CBC's first proof was wrong (its cuts removed cheaper plans); the search without "
                       f"cuts found a plan cheaper by {z - float(check.objective):,.2f}")
    out.state, out.log = "feasible", log
    out.bound = min(check.bound, cutoff) if check.bound is not None and np.isfinite(check.bound) else None
    return out, (f"CBC's proof could not be re-checked without cuts ({check.state}: {check.message}); "
                 "the plan is reported as feasible, not optimal")
