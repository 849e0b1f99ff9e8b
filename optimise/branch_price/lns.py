"""Re-solving small regions of a plan exactly: a large-neighbourhood search over whole federations.

The cost of a plan is the sum of its federations' costs, and every rule is either per federation
(population bounds, hub permissions, contiguity) or a pair of practices. Take a few neighbouring
federations of the incumbent, the practices R they hold, and the restricted problem over R
(``FederationProblem.restrict``): pairs reaching outside R are already kept by the plan (a
"together" pair is inside one federation; an "apart" pair across R's border cannot meet). So any
plan of R, spliced back in place of those federations, keeps every rule, and changes the cost by
exactly (its cost - their cost). The region is solved by the sub-solver the caller passes
(``solve``: the same branch-and-price engine, ``solve.region_solver``), warm-started from the
incumbent's own federations there, with a short budget: a region of about 40 practices is one the
engine settles or nearly settles in seconds.

This moves practices between several federations at once and re-chooses hubs and the number of
federations in the region, which the one-practice moves of ``heuristics.improve`` cannot; on
Greater Manchester it took £0.14M a year off a plan that construction, local search and the
hub-set search had left. It only finds plans: the bound of the whole problem is not touched.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..clock import Clock
from ..problem import FederationProblem
from ..result import Result, RunStats, Status
from .params import RegionParams

# the sub-solver: (region's problem, its clock, seed, warm start (labels, hubs), MIP solver) -> Result
RegionSolver = Callable[[FederationProblem, Clock, int, tuple, str], Result]


def region_of(problem: FederationProblem, labels: np.ndarray, hubs, start: int, max_practices: int) -> list[int]:
    """Federation ``start`` and its nearest federations (by the per-patient access cost between
    their hubs) while the practices they hold stay within ``max_practices`` (at least two)."""
    H = np.asarray(hubs)
    sizes = np.bincount(labels, minlength=len(H))
    per_patient = problem.assign_cost[H[start], H] / max(1, int(problem.list_size[H[start]]))
    per_patient = np.where(problem.allowed[H[start], H] | problem.allowed[H, H[start]], per_patient, np.inf)
    per_patient[start] = -np.inf
    chosen, held = [], 0
    for f in np.argsort(per_patient, kind="stable"):
        if not np.isfinite(per_patient[f]) and f != start:
            break
        if held + sizes[f] > max_practices and len(chosen) >= 2:
            break
        chosen.append(int(f))
        held += int(sizes[f])
    return chosen


def splice(labels: np.ndarray, hubs, region: list[int], members: np.ndarray, sub_labels, sub_hubs):
    """The plan with the region's federations replaced by a plan of its practices ``members``."""
    out = set(region)
    kept = [f for f in range(len(hubs)) if f not in out]
    renumber = np.full(len(hubs), -1, dtype=np.int64)
    renumber[kept] = np.arange(len(kept))
    new_labels = renumber[labels]
    new_labels[members] = len(kept) + np.asarray(sub_labels, dtype=np.int64)
    new_hubs = [int(hubs[f]) for f in kept] + [int(members[h]) for h in sub_hubs]
    return new_labels, tuple(new_hubs)


def improve_by_regions(problem: FederationProblem, plan, clock: Clock, budget: float, *, solve: RegionSolver,
                       seed: int = 0, mip_solver: str = "cbc", max_practices: int = RegionParams.practices,
                       region_budget: float = RegionParams.budget, offer=None, log=None,
                       stats: RunStats | None = None):
    """Re-solve regions of ``plan`` for ``budget`` of ``clock`` (its unit) with the sub-solver
    ``solve``; the best plan found.

    Regions start from every federation in a seeded random order (then again, from the improved
    plan) until the budget is spent, or until every region of the plan is settled: a region's
    sub-problem depends only on its practices, so once one is proven to have nothing cheaper it is
    not solved again (on Devon's access + fixed cost model a pass of 195 s had re-solved the same
    14 regions 18 times). ``offer(plan, source)`` is told of each improvement, ``log`` of a
    summary, ``stats`` of the regions solved and improved. Each region's work is charged to
    ``clock``."""
    labels, hubs = np.asarray(plan[0], dtype=np.int64), tuple(int(h) for h in plan[1])
    rng = np.random.default_rng(seed)
    start_used = clock.used()
    before = problem.cost(labels, hubs)
    tried = improved = 0
    queue: list[int] = []
    settled: set[tuple[int, ...]] = set()    # (federations, practices) of regions proven settled
    solved_in_pass = True
    while True:
        left = min(budget - (clock.used() - start_used), clock.left())
        if left < 0.5:
            break
        if not queue:
            if not solved_in_pass:
                break                             # a whole pass found every region settled
            queue = rng.permutation(len(hubs)).tolist()
            solved_in_pass = False
        start = queue.pop()
        region = region_of(problem, labels, hubs, start, max_practices)
        if len(region) < 2:
            continue
        members = np.flatnonzero(np.isin(labels, region))
        key = (len(region), *members.tolist())
        if key in settled:
            continue
        solved_in_pass = True
        renumber = {f: k for k, f in enumerate(region)}
        sub_labels = np.array([renumber[int(labels[i])] for i in members], dtype=np.int64)
        where = {int(i): k for k, i in enumerate(members)}
        sub_hubs = tuple(where[hubs[f]] for f in region)
        fixed = len(region) if problem.n_federations is not None else None
        sub = problem.restrict(members, n_federations=fixed)
        current = sub.cost(sub_labels, sub_hubs)
        share = min(region_budget, left)
        sub_clock = (Clock(clock.wall_left(), share) if clock.deterministic
                     else Clock(min(share, clock.wall_left())))
        with sub_clock.active():
            res = solve(sub, sub_clock, seed, (sub_labels, sub_hubs), mip_solver)
        clock.absorb(sub_clock)
        tried += 1
        if res.objective is None or res.objective >= current - 1e-9 * max(1.0, abs(current)):
            if res.status is Status.OPTIMAL:
                settled.add(key)
            continue
        labels, hubs = splice(labels, hubs, region, members, res.assignment, res.hubs)
        improved += 1
        queue = [f for f in queue if f < len(hubs)]
        if offer is not None:
            offer((labels, hubs), f"region of {len(members)} practices re-solved")
    after = problem.cost(labels, hubs)
    if stats is not None:
        stats.regions_solved += tried
        stats.regions_improved += improved
    if log is not None:
        log(f"regions re-solved: {tried}, improved {improved}; plan £{before:,.2f} -> £{after:,.2f}")
    return labels, hubs
