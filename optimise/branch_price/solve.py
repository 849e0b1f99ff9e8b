r"""Branch and price from start to finish: ``solve_federations_cg`` (the ``branch_price`` method of
``engine.solve_federations``), and the same engine as the sub-solver of region re-solves
(``region_solver``).

It has the semantics of ``engine.solve_federations``: a plan, a VALID lower bound, and status
``optimal`` only when proven. The run: ``diagnose`` first (raises ``ProblemInfeasible`` with
reasons); heuristic plans (``heuristics.construct`` with three seeds, two of them with the
federation count the size cost favours held fixed, ``heuristics.favoured_counts``; ``improve`` of a
warm start), or, with none, the exact search for a first plan or a proof that there is none
(``optimise.feasibility``); the trivial bound; the root LP by column generation (``root``; phase 1
first when there is no plan); then either the plans of a root that will not converge in time
(``primal.plans_from_the_root``) or the tree (``tree``), until the plan is proven or the budget is
spent; the result judged (``result.judge``) with its run statistics (``result.RunStats``).

Every bound along the way is valid (``bounds``), so whatever stops the run, the bound reported is.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..bounds import trivial_bound
from ..clock import Clock
from ..diagnose import diagnose
from ..feasibility import find_plan, relaxations
from ..heuristics import construct, favoured_counts, improve
from ..problem import FederationProblem
from ..result import ProblemInfeasible, Result, Status, canonical, judge
from .columns import column_ok, nearest_columns, plan_columns
from .lns import RegionSolver
from .master import Master, covering_suffices
from .params import Params
from .primal import plans_from_the_root
from .root import RootLP
from .segments import make_pricer
from .state import Log, SearchState
from .tree import BranchAndPrice


def solve_federations_cg(
    problem: FederationProblem,
    *,
    time_limit_s: float = 300.0,
    gap: float = 0.0,
    seed: int = 0,
    threads: int = 1,
    warm_start: tuple[np.ndarray, tuple[int, ...]] | None = None,
    log_path: Path | None = None,
    mip_solver: str = "cbc",
    names: tuple[str, ...] | None = None,
    work_limit: float | None = None,
    params: Params | None = None,
) -> Result:
    """Best plan within the time limit with a valid lower bound; ``optimal`` only when proven.

    Same contract as ``engine.solve_federations``; raises ``ProblemInfeasible`` when ``diagnose``
    finds reasons. See the module docstrings of this package for the method and its proof.
    ``work_limit`` (work units, ``optimise.clock``) stops the run after a fixed amount of work
    instead, so that a run which does not finish repeats exactly; ``time_limit_s`` is then a
    safety cap. ``params``: the tunables (``params.Params``; default, the measured values).
    """
    params = Params() if params is None else params
    clock = Clock(time_limit_s, work_limit)
    reasons = diagnose(problem, names)
    if reasons:
        raise ProblemInfeasible(reasons)
    log = Log(clock.t0, Path(log_path) if log_path is not None else None)
    search = SearchState(problem, clock, log, params, gap=gap, seed=seed, threads=threads, mip_solver=mip_solver)
    with clock.active():
        res = run(search, warm_start, region_solver(params))
    log(clock.summary())
    return res.replace(practice_codes=problem.codes, log=log.text(), work_units=clock.work,
                       repeatable=res.repeatable and not clock.wall_stopped)


def region_solver(params: Params) -> RegionSolver:
    """This engine as the sub-solver of ``lns.improve_by_regions``: a region's problem solved on
    its own clock, warm-started from the incumbent's federations there, with ``params``; no exact
    search for a first plan (the warm start is one)."""
    def solve(sub: FederationProblem, clock: Clock, seed: int, warm_start, mip_solver: str) -> Result:
        search = SearchState(sub, clock, Log(clock.t0, None), params, gap=0.0, seed=seed, threads=1,
                             mip_solver=mip_solver)
        return run(search, warm_start, solve, find_any=False)
    return solve


def run(search: SearchState, warm_start, solve_region: RegionSolver, find_any: bool = True) -> Result:
    """The run on ``search`` (whose clock is active): first plans, the root LP, then the tree."""
    s, p = search, search.problem
    with s.phase("construct"):
        _first_plans(s, warm_start, find_any)
    s.lb = trivial_bound(p)

    master = Master(s.n, s.k_lo, s.k_cap(), cover=s.params.master.cover_first and covering_suffices(p))
    s.master = master
    pricer = make_pricer(p, params=s.params.pricing)
    if s.plan is not None:
        for col in plan_columns(p, s.plan):
            master.add(*col)
    for col in nearest_columns(p):
        if column_ok(p, col[0]) and p.connected(col[0]):   # seeds ignore links and contiguity
            master.add(*col)
    s.log(f"master seeded with {len(master.vars)} columns; k in [{s.k_lo}, {s.k_cap()}]")

    root = RootLP(s, master, pricer)
    with s.phase("root"):
        if s.plan is None:
            state = root.phase1()
            if state == "infeasible":
                return _result(s, Status.INFEASIBLE, "column generation proved that no plan meets "
                                                     "the rules (phase-1 master LP value > 0)")
            if state != "feasible":
                return _finish(s)
        converged, duals = root.phase2()
    if s.proven():
        return _finish(s)
    if root.plans_instead:
        with s.phase("plans_instead"):
            plans_from_the_root(s, master, root.support, solve_region)
        return _finish(s)
    if converged and not s.proven() and duals is not None and s.left() > 0:
        tree = BranchAndPrice(s, pricer, duals, solve_region)
        with s.phase("tree"):
            tree.run(s.lb)
        st = s.stats
        s.notes.append(f"branch and price: {st.nodes} nodes, {st.closed_by_enumeration} closed by "
                       f"enumeration, {st.fixed_pairs} practice-hub pairs fixed by reduced cost, "
                       f"{st.strong} branches chosen by strong branching")
        s.log(s.notes[-1])
    return _finish(s)


def _first_plans(s: SearchState, warm_start, find_any: bool) -> None:
    """Construction, the warm start improved, and with no plan the exact search for one."""
    p, params = s.problem, s.params.root
    # construct and improve ignore contiguity (offer() repairs what it can, rarely enough):
    # under contiguity they get a small share of the time
    budget = (params.construct_share_contiguous if p.adjacency is not None else params.construct_share) * s.clock.limit
    if params.construct:
        for seed, variant in enumerate(construct_variants(p)):
            if seed > 0 and s.clock.used() > budget:
                break
            k = variant.n_federations if variant is not p else None
            s.offer(construct(variant, seed=s.seed + seed, starts=6, time_budget_s=max(0.05, budget / 3),
                              clock=s.clock),
                    f"construct seed {s.seed + seed}" + (f", {k} federations" if k is not None else ""))
    if warm_start is not None:
        s.offer(improve(p, warm_start[0], warm_start[1], seed=s.seed), "warm start")
    if s.plan is None and find_any:
        find_any_plan(s)


def construct_variants(p: FederationProblem) -> list[FederationProblem]:
    """The problems the three construction runs start from: the count the size cost favours
    most held fixed, the free problem, the next favoured count held fixed (why: see
    ``heuristics.favoured_counts``; local search only ever closes federations, so free runs
    do not reach the favoured count by themselves)."""
    if p.n_federations is not None or p.size_cost is None:
        return [p, p, p]
    counts = favoured_counts(p)
    fixed = [p.replace(n_federations=k) for k in counts]
    return [fixed[0], p, fixed[1] if len(fixed) > 1 else p]


def find_any_plan(s: SearchState) -> None:
    """A first plan from the exact feasibility search, or a proof that there is none
    (``ProblemInfeasible``, raised with ``searched``), within ``RootParams.feasibility_share`` of
    the limit and up to ``feasibility_max_practices`` practices."""
    params = s.params.root
    if s.problem.n > params.feasibility_max_practices:
        return
    budget = min(s.left(), params.feasibility_share * s.clock.limit)
    if budget <= 0:
        return
    got = find_plan(s.problem, budget, clock=s.clock, seed=s.seed, threads=s.threads)
    s.log(f"feasibility search: {got.state} in {got.runtime_s:.1f} s")
    if got.state == "none":
        raise ProblemInfeasible(["no plan meets all these rules together (proven by an exact search over "
                                 "every possible plan)"], searched=True)
    s.offer(got.plan, "feasibility search")


def no_plan_message(problem: FederationProblem, clock: Clock) -> str:
    """What to tell a planner when the budget ran out with no plan and no proof that none exists."""
    unit = "work units" if clock.deterministic else "seconds"
    rules = list(relaxations(problem))
    return (f"no plan found within the limit of {clock.limit:g} {unit}, and the rules were not proven impossible "
            f"either: allow more time (e.g. --time-limit {max(600, int(4 * clock.limit))})"
            + (", or relax one of: " + "; ".join(rules) if rules else "") + ".")


def _stats(s: SearchState):
    st = s.stats
    st.columns = len(s.master.vars) if s.master is not None else 0
    st.work_units = s.clock.work
    return st


def _result(s: SearchState, status: Status, message: str) -> Result:
    return Result(status, None, None, None, s.clock.elapsed(), s.mip_solver, s.version, s.seed, message=message,
                  stats=_stats(s))


def _finish(s: SearchState) -> Result:
    runtime = s.clock.elapsed()
    # a run that stopped before its proof ended on its budget: repeatable only on a work budget
    repeatable = s.proven() or s.clock.deterministic
    if s.plan is None:
        return Result(Status.ERROR, None, s.lb if np.isfinite(s.lb) else None, None, runtime,
                      s.mip_solver, s.version, s.seed, message=no_plan_message(s.problem, s.clock),
                      repeatable=repeatable, stats=_stats(s))
    objective = s.problem.cost(*s.plan)
    status, bound, g, wrong = judge(objective, s.bound() if np.isfinite(s.lb) else None)
    assignment, hubs = canonical(s.plan[0], s.plan[1], s.problem.codes)
    stats = _stats(s)
    msg = "; ".join([wrong] * bool(wrong) + [f"column generation ({stats.rounds} rounds, "
                    f"{stats.columns} columns)"] + s.notes)
    return Result(status, objective, bound, g, runtime, s.mip_solver, s.version, s.seed,
                  assignment=assignment, hubs=hubs, message=msg, repeatable=repeatable,
                  requested_gap=s.gap, stats=stats)
