"""The library API: plan a scenario end to end (``run``, ``plan``, ``PlanRun``).

``plan(scenario)`` returns the optimiser's ``Result``; ``run(scenario)`` returns a ``PlanRun``
holding everything the CLI writes to a run directory. The parts live in their own modules and
are re-exported here, so ``api.build_problem``, ``api.load_practices``, ``api.make_summary`` and
the rest keep working:

| module | job |
|---|---|
| ``fedplan.problem``  | inputs and rules -> ``FederationProblem`` (load_practices, build_problem, ...) |
| ``fedplan.baseline`` | today's PCNs costed by the same model (cost_baseline) |
| ``fedplan.summary``  | ``summary.json`` and ``make_or_buy.csv`` rows of a run (make_summary) |
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from fedplan import geo
from fedplan.inputs.model import Catalogue, Practices, Scenario
from fedplan.optimise import FederationProblem, ProblemInfeasible, Result, Status, solve_federations, verify
from fedplan.optimise.verify import Claim, Verification

from .baseline import Baseline, baseline_groups, baseline_start, cost_baseline
from .problem import (NEST_ATTR, as_scenario, build_problem, check_supported, federation_terms, hub_candidate_mask,
                      link_pairs, load_catalogue, load_outline, load_practices, lock_mask, size_cost, travel_minutes,
                      access_times, AccessTimes)
from .summary import breakdown, make_or_buy_rows, make_summary, practices_moved

__all__ = ["Baseline", "NEST_ATTR", "PlanRun", "as_scenario", "baseline_groups", "baseline_start", "breakdown",
           "build_problem", "check_supported", "cost_baseline", "federation_terms", "hub_candidate_mask",
           "link_pairs", "load_catalogue", "load_outline", "load_practices", "lock_mask", "make_or_buy_rows",
           "make_summary", "plan", "practices_moved", "prepare", "run", "size_cost", "travel_minutes"]


@dataclass(frozen=True, eq=False)
class PlanRun:
    """Everything one planning run produced; the CLI writes it, library callers inspect it."""

    scenario: Scenario
    practices: Practices
    problem: FederationProblem
    distance_km: np.ndarray
    catalogue: Catalogue
    result: Result
    baseline: Baseline
    verification: Verification
    timings: dict[str, float] = field(default_factory=dict)
    outline: object = None          # shapely geometry of the area, EPSG:27700 (for maps)
    rule_prices: dict = field(default_factory=dict)   # fedplan.rules.price_rules
    access: AccessTimes | None = None   # minutes to each hub (file or road-time model); None: km

    def summary(self) -> dict:
        return make_summary(self)


def prepare(practices: Practices, sc: Scenario):
    """The model of a scenario's practices up to the solve: (distances in km, access times or None,
    catalogue, FederationProblem, today's PCNs costed). Shared by ``run`` and ``fedplan serve``."""
    dist = geo.distance_km(practices)
    access = access_times(practices, sc)
    catalogue = load_catalogue(sc)
    problem = build_problem(practices, sc, dist, catalogue, None if access is None else access.minutes)
    return dist, access, catalogue, problem, cost_baseline(practices, problem, sc, catalogue)


def run(scenario: Scenario | str | Path | None = None, *, log_path: Path | None = None,
        on_stage: Callable[[str], None] | None = None) -> PlanRun:
    """Plan one scenario end to end (no files written). Raises InputError for bad input and
    optimise.ProblemInfeasible when the rules cannot be met."""
    say = on_stage or (lambda msg: None)
    sc = as_scenario(scenario)
    check_supported(sc)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    say(f"Reading practices for {sc.area.describe()}")
    practices = load_practices(sc)
    # read before solving: a bad boundary file must not cost the planner a whole solve
    outline = load_outline(practices, sc)
    timings["inputs_s"] = time.perf_counter() - t
    t = time.perf_counter()
    dist, access, catalogue, problem, baseline = prepare(practices, sc)
    minutes = None if access is None else access.minutes
    timings["model_s"] = time.perf_counter() - t
    limit = (f"work limit {sc.solve.work_limit:g} units, time cap {sc.solve.time_limit_s:g}s"
             if sc.solve.work_limit is not None else f"time limit {sc.solve.time_limit_s:g}s")
    say(f"{len(practices)} practices, {practices.population:,} patients; solving by "
        f"{sc.solve.method.replace('_', ' ')} with {sc.solve.solver} ({limit})")
    t = time.perf_counter()
    try:
        result = solve_federations(
            problem, sc.solve.solver, time_limit_s=sc.solve.time_limit_s, gap=sc.solve.gap,
            seed=sc.solve.seed, threads=sc.solve.threads, warm_start=baseline_start(practices, baseline),
            log_path=log_path, names=practices.name, method=sc.solve.method, work_limit=sc.solve.work_limit)
    except ProblemInfeasible as exc:
        if not exc.searched:
            raise
        result = None
    if result is None or result.status is Status.INFEASIBLE:
        # proven by a search, not by a quick check: name the rules at fault
        say("no plan exists; finding which rules are at fault")
        from .explain import explain_infeasible

        raise ProblemInfeasible(explain_infeasible(
            practices, sc, lambda variant: build_problem(practices, variant, dist, catalogue, minutes),
            budget_s=min(120.0, max(10.0, 0.25 * sc.solve.time_limit_s)), seed=sc.solve.seed), searched=True)
    timings["solve_s"] = time.perf_counter() - t
    check = _verify(sc, result)
    prices: dict = {}
    if sc.solve.price_rules and result.has_plan and check.ok:
        t = time.perf_counter()
        from .rules import price_rules

        prices = price_rules(result, sc, practices.list_size,
                             lambda variant: build_problem(practices, variant, dist, catalogue, minutes),
                             names=practices.name, say=say)
        timings["rule_prices_s"] = time.perf_counter() - t
    return PlanRun(sc, practices, problem, dist, catalogue, result, baseline, check, timings, outline, prices, access)


def _verify(sc: Scenario, result: Result) -> Verification:
    """The independent check of the result's plan and of its claims (status, cost, bound, gap);
    ``verify`` re-reads the scenario's files itself."""
    if not result.has_plan:
        return Verification(ok=False, problems=("no plan to verify",))
    return verify(sc, result.assignment_by_code(), result.hubs_by_federation(),
                  claimed=Claim.from_result(result, requested_gap=sc.solve.gap))


def plan(scenario: Scenario | str | Path | None = None) -> Result:
    """Plan a scenario (a Scenario, a TOML path, or None for Devon) and return the Result."""
    return run(scenario).result
