"""What a background solve is asked and what its answer becomes.

"Re-optimise around my edits": the engine's problem of the plan's participant set, with the pins as
constraints: a pinned practice is locked to the hub of its federation (``[constraints] locks``,
``fedplan.problem.lock_mask``), so pinned practices of one federation stay together; pinned pairs
are ``together`` pairs. The answer comes with its own bound and gap, and the price of the edits:
the pinned optimum's cost against the unpinned optimum (the run's).

"Repair today's PCNs to the bounds with the fewest practices moved": the same engine on a problem
whose cost counts practices hosted outside their PCN (the model's own disruption test), plus the
plan's real cost scaled below one practice as the tie-break; the answer is then scored by the
ordinary cost model.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from fedplan.inputs.errors import InputError
from fedplan.optimise.sizecost import SizeCost

from ..baseline import baseline_start
from ..problem import lock_mask
from .edits import PlanState
from .errors import ApiError, bad
from .workspace import LoadedPlan, Model

DEFAULT_TIME_LIMIT_S = 60.0
MAX_TIME_LIMIT_S = 3600.0


def time_limit(body: dict) -> float:
    raw = body.get("time_limit_s", DEFAULT_TIME_LIMIT_S)
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not 1 <= raw <= MAX_TIME_LIMIT_S:
        raise bad(f"'time_limit_s' must be a number of seconds from 1 to {MAX_TIME_LIMIT_S:g}, not {raw!r}.")
    return float(raw)


def pinned_problem(model: Model, state: PlanState):
    """The engine's problem with the state's pins as locks and together pairs."""
    sc = model.scenario
    locks = dict(sc.constraints.locks)
    for code in sorted(state.pins):
        hub = state.hubs[state.assignment[code]]
        if locks.get(code, hub) != hub:
            raise ApiError(409, f"'practices': the pin of {code} (to hub {hub}) contradicts the scenario's lock "
                                f"{code} = {locks[code]}; unpin it or move it to that hub's federation.")
        locks[code] = hub
    together = tuple(dict.fromkeys(tuple(sc.constraints.together) + tuple(state.pairs)))
    pinned_sc = replace(sc, constraints=replace(sc.constraints, locks=tuple(sorted(locks.items())),
                                                together=together))
    try:
        mask = lock_mask(model.practices, pinned_sc)
    except InputError as exc:
        raise ApiError(409, f"'practices': the pins contradict each other or the scenario: {exc}") from None
    idx = model.index
    pairs = tuple((idx[a], idx[b]) for a, b in state.pairs)
    clash = set(tuple(sorted(p)) for p in pairs) & set(model.problem.apart)
    if clash:
        i, j = sorted(clash)[0]
        raise ApiError(409, f"'pairs': {model.practices.code[i]} and {model.practices.code[j]} are pinned together "
                            "but the scenario keeps them apart; unpin the pair.")
    prob = model.problem
    return prob.replace(allowed=prob.allowed & mask, together=tuple(prob.together) + pairs)


def warm_start(model: Model, state: PlanState) -> tuple[np.ndarray, tuple[int, ...]]:
    fids = sorted(state.hubs)
    pos = {f: k for k, f in enumerate(fids)}
    labels = np.array([pos[state.assignment[c]] for c in model.practices.code], dtype=np.int64)
    return labels, tuple(model.index[state.hubs[f]] for f in fids)


def payload(model: Model, problem, start, limit: float) -> dict:
    s = model.scenario.solve
    return {"problem": problem, "solver": s.solver, "time_limit_s": limit, "gap": s.gap, "seed": s.seed,
            "warm_start": start, "names": model.practices.name, "method": s.method}


def optimise_payload(plan: LoadedPlan, state: PlanState, limit: float) -> dict:
    model = plan.model(state.excluded)
    return payload(model, pinned_problem(model, state), warm_start(model, state), limit)


def moved_indicator(model: Model) -> np.ndarray:
    """1 where practice i (row) hosted by j (column) is outside its current PCN."""
    pcn = np.array(model.practices.pcn_code, dtype=object)
    return ((pcn[:, None] != pcn[None, :]) & (pcn[:, None] != "")).astype(float)


def repair_payload(plan: LoadedPlan, state: PlanState, limit: float) -> dict:
    """Fewest practices moved from today's PCNs (then least cost), within the bounds and the pins."""
    model = plan.model(state.excluded)
    prob = pinned_problem(model, state)
    scale = 0.5 / max(1.0, model.baseline.cost_gbp)      # the whole real cost stays under one move
    g = prob.size_cost
    repair = prob.replace(assign_cost=moved_indicator(model) + scale * prob.assign_cost,
                          hub_cost=scale * prob.hub_cost,
                          size_cost=None if g is None else SizeCost(g.lo, scale * np.asarray(g.values)),
                          member_cost=None)
    return payload(model, repair, baseline_start(model.practices, model.baseline), limit)


def answer_state(plan: LoadedPlan, state: PlanState, job_id: str, kind: str, result: dict) -> PlanState:
    """The engine's answer as the session's next plan (pins kept)."""
    if not result.get("has_plan"):
        raise ApiError(409, f"the solver found no plan ({result.get('status')}: {result.get('message')}).")
    model = plan.model(state.excluded)
    codes = model.practices.code
    assignment = {c: int(f) + 1 for c, f in zip(codes, result["assignment"])}
    hubs = {f + 1: codes[h] for f, h in enumerate(result["hubs"])}
    claim = None
    if kind == "optimise":
        claim = {"status": result["status"], "bound_gbp": result["bound"], "gap": result["gap"],
                 "scope": "the pins" if state.pins or state.pairs else "the scenario"}
    return replace(state, assignment=assignment, hubs=hubs, claim=claim,
                   source="optimised" if kind == "optimise" else "repaired",
                   edit={"op": kind, "job": job_id, "engine_status": result["status"]})


def price_of_edits(plan: LoadedPlan, state: PlanState, result: dict) -> dict | None:
    """The pinned optimum against the unpinned one (the run's), with what the bounds prove."""
    if state.excluded or result.get("objective") is None or plan.optimum.get("objective_gbp") is None:
        return None
    free_cost, free_bound = plan.optimum["objective_gbp"], plan.optimum.get("bound_gbp")
    pinned_cost, pinned_bound = float(result["objective"]), result.get("bound")
    return {"gbp": round(pinned_cost - free_cost, 2),
            "at_least_gbp": None if pinned_bound is None else round(float(pinned_bound) - free_cost, 2),
            "at_most_gbp": None if free_bound is None else round(pinned_cost - float(free_bound), 2),
            "pinned_cost_gbp": round(pinned_cost, 2), "unpinned_cost_gbp": round(float(free_cost), 2)}


def moved_count(model: Model, state: PlanState) -> int:
    """Practices hosted outside their current PCN (what the repair minimises)."""
    ind = moved_indicator(model)
    return int(sum(ind[model.index[c], model.index[state.hubs[f]]] for c, f in state.assignment.items()))
