"""Why no plan exists, in the planner's words: each rule of the scenario dropped in turn.

When the engine proves that no plan meets the rules (an exact search over every plan, or column
generation's phase 1), the proof alone says nothing a planner can act on. Here every switch the
scenario sets is relaxed on its own (each lock and pair by name when there are few), and the exact
feasibility search (``fedplan.optimise.feasibility``) says which relaxations let a plan exist.
"""
from __future__ import annotations

import time
from dataclasses import replace

from fedplan.inputs.model import Practices, Scenario
from fedplan.optimise.feasibility import find_plan

# locks and pairs are named one by one up to this many; beyond, each list is dropped as a whole
NAMED_RULES = 6


def _label(practices: Practices, code: str) -> str:
    i = practices.index(code)
    name = practices.name[i] if practices.name else ""
    return f"{code} ({name})" if name else code


def rule_relaxations(practices: Practices, scenario: Scenario) -> dict[str, Scenario]:
    """label -> the scenario without that one rule, for every rule the scenario sets."""
    c, b = scenario.constraints, scenario.bounds
    out: dict[str, Scenario] = {}

    def without(**changes) -> Scenario:
        return replace(scenario, constraints=replace(c, **changes))

    if c.contiguity:
        out["contiguity = true"] = without(contiguity=False)
    if c.n_federations is not None:
        out[f"n_federations = {c.n_federations}"] = without(n_federations=None)
    if c.locks:
        if len(c.locks) <= NAMED_RULES:
            for lock in c.locks:
                out[f"the lock of {_label(practices, lock[0])} to hub {_label(practices, lock[1])}"] = \
                    without(locks=tuple(x for x in c.locks if x != lock))
        else:
            out[f"the {len(c.locks)} locks"] = without(locks=())
    for key, words in (("together", "must share a federation"), ("apart", "must not share a federation")):
        pairs = getattr(c, key)
        if not pairs:
            continue
        if len(pairs) <= NAMED_RULES:
            for pair in pairs:
                out[f"{_label(practices, pair[0])} and {_label(practices, pair[1])} {words} ({key})"] = \
                    without(**{key: tuple(x for x in pairs if x != pair)})
        else:
            out[f"the {len(pairs)} {key} pairs"] = without(**{key: ()})
    if c.hub_candidates:
        out[f"hub_candidates ({len(c.hub_candidates)} practices)"] = without(hub_candidates=())
    if c.max_distance_km is not None:
        out[f"max_distance_km = {c.max_distance_km:g}"] = without(max_distance_km=None)
    if c.max_travel_minutes is not None:
        out[f"max_travel_minutes = {c.max_travel_minutes:g}"] = without(max_travel_minutes=None)
    if c.nest_within != "none":
        out[f'nest_within = "{c.nest_within}"'] = without(nest_within="none")
    if not b.soft:
        out[f"the population bounds {b.min_population:,}-{b.max_population:,} (soft = true lets them be "
            "left at a price)"] = replace(scenario, bounds=replace(b, soft=True))
    return out


def explain_infeasible(practices: Practices, scenario: Scenario, build, budget_s: float, seed: int = 0) -> list[str]:
    """Reasons in words. ``build(scenario)`` makes the FederationProblem of a scenario variant (the
    caller's model builder, so every rule is built exactly as in the run); ``budget_s`` is shared
    by the relaxations, each given at least a second."""
    variants = rule_relaxations(practices, scenario)
    out = ["no plan meets all these rules together (proven by an exact search over every possible plan)"]
    if not variants:
        return out
    deadline = time.perf_counter() + budget_s
    freed, still, unknown = [], [], []
    for k, (label, variant) in enumerate(variants.items()):
        left = deadline - time.perf_counter()
        each = max(1.0, left / (len(variants) - k))
        try:
            problem = build(variant)
        except Exception:                # noqa: BLE001 - a variant that cannot be built says nothing
            unknown.append(label)
            continue
        got = find_plan(problem, each, seed=seed)
        (freed if got.state == "plan" else unknown if got.state == "unknown" else still).append(label)
    if freed:
        out.append("a plan exists once any one of these is dropped: " + "; ".join(freed))
    if still:
        out.append("dropping any one of these alone still leaves no plan: " + "; ".join(still))
    if unknown:
        out.append("not settled in the time given (try them by hand): " + "; ".join(unknown))
    return out


__all__ = ["explain_infeasible", "rule_relaxations"]
