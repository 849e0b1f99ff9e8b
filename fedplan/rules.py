"""The price of each binding rule: how much a plan would save if the rule were widened by a stated
step, from a re-solve with its own status and gap ("the 100,000 ceiling costs £X a year").

A population rule binds when one more (or one fewer) practice of the area's median list would
take a federation across it (``size.binding_rule``); a fixed number of federations always binds. Each re-solve starts from the plan itself (still allowed under the
wider rule), so its plan is never dearer, and its bound says how much more a proof could find:

    price = cost of the plan − cost under the wider rule       (at least this, when both are proven: exactly)
    price_at_most = cost of the plan − bound under the wider rule

Only the rule prices are computed here; ``fedplan.summary`` writes them as ``rule_prices``.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np

from fedplan.inputs.model import Scenario
from fedplan.optimise import FederationProblem, Result, solve_federations
from fedplan.optimise.result import ProblemInfeasible

from .size import binding_rule

# The stated steps (issue: "the ceiling to 110,000"): a tenth of the rule either way.
CEILING_STEP = 1.10
FLOOR_STEP = 0.90
# each re-solve may take this share of the run's time limit (and of its work limit, if any)
RESOLVE_SHARE = 0.5


def binding_rules(result: Result, scenario: Scenario, list_size: np.ndarray) -> list[tuple[str, str, Scenario]]:
    """(rule name, the step in words, the scenario with the rule widened) for each binding rule."""
    b = scenario.bounds
    pops = [int(np.asarray(list_size)[result.members(f)].sum()) for f in range(len(result.hubs))]
    step = float(np.median(np.asarray(list_size)))
    rules = [binding_rule(n, b.min_population, b.max_population, step) for n in pops]
    out = []
    if "ceiling" in rules:
        wider = int(round(b.max_population * CEILING_STEP))
        out.append(("max_population", f"ceiling {b.max_population:,} → {wider:,}",
                    replace(scenario, bounds=replace(b, max_population=wider))))
    if "floor" in rules:
        lower = int(round(b.min_population * FLOOR_STEP))
        out.append(("min_population", f"floor {b.min_population:,} → {lower:,}",
                    replace(scenario, bounds=replace(b, min_population=lower))))
    k = scenario.constraints
    if k.n_federations is not None:
        out.append(("n_federations", f"{k.n_federations} federations → any number",
                    replace(scenario, constraints=replace(k, n_federations=None))))
    return out


def price_rules(result: Result, scenario: Scenario, list_size: np.ndarray,
                build: Callable[[Scenario], FederationProblem], names=None,
                say: Callable[[str], None] = lambda m: None) -> dict:
    """``{rule: {"gbp", "gbp_at_most", "step", "status", "gap", "objective_gbp", "bound_gbp"}}`` for
    each binding rule of a plan (empty without a plan)."""
    if not result.has_plan or result.objective is None:
        return {}
    out = {}
    s = scenario.solve
    for name, step, wider in binding_rules(result, scenario, list_size):
        say(f"pricing the rule {name} ({step})")
        problem = build(wider)
        start = (np.asarray(result.assignment), tuple(int(h) for h in result.hubs))
        try:
            res = solve_federations(problem, s.solver, time_limit_s=max(5.0, RESOLVE_SHARE * s.time_limit_s),
                                    gap=s.gap, seed=s.seed, threads=s.threads, warm_start=start, names=names,
                                    method=s.method,
                                    work_limit=None if s.work_limit is None else RESOLVE_SHARE * s.work_limit)
        except ProblemInfeasible as exc:      # cannot happen (the plan itself is allowed), but say so
            out[name] = {"gbp": None, "step": step, "status": "error", "gap": None, "message": str(exc)}
            continue
        if not res.has_plan or res.objective is None:
            out[name] = {"gbp": None, "step": step, "status": str(res.status), "gap": None, "message": res.message}
            continue
        # the warm start is allowed under the wider rule, so the re-solve is never dearer (a float
        # hair aside); a bound from the re-solve limits what a proof could still add
        price = max(0.0, float(result.objective) - float(res.objective))
        at_most = None if res.bound is None else max(price, float(result.objective) - float(res.bound))
        out[name] = {"gbp": round(price, 2), "gbp_at_most": None if at_most is None else round(at_most, 2),
                     "step": step, "status": str(res.status), "gap": None if res.gap is None else float(res.gap),
                     "objective_gbp": round(float(res.objective), 2),
                     "bound_gbp": None if res.bound is None else round(float(res.bound), 2),
                     "n_federations": res.n_federations}
    return out
