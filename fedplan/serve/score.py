"""Re-score a plan at once: its cost by term through the engine's own cost model (the
``FederationProblem`` arrays and ``federation_terms``), every rule it breaks with the practices
involved, the change against the run's optimum and against today's PCNs, and the independent
check (``fedplan.optimise.verify``), whose recomputed cost must equal the model's.

Verify is given the practices already read (its ``practices`` argument) and its own recomputations
are memoised (``verifycache``); it is never given the engine's costs.
"""
from __future__ import annotations

import math
import re

import numpy as np

from fedplan.optimise import verify
from fedplan.optimise.result import judge
from fedplan.optimise.verify import COST_ABSOLUTE_TOLERANCE, COST_RELATIVE_TOLERANCE

from . import verifycache
from .edits import PlanState
from .mapdata import colour_federations
from .workspace import LoadedPlan, Model, per_member

CODE = re.compile(r"\b[A-Z][0-9A-Z]{4,5}\b")


def pick_hub(model: Model, members: list[str]) -> str:
    """The member that hosts ``members`` most cheaply (access), among hosts every member may reach."""
    ms = np.array([model.index[c] for c in members])
    sub = model.problem.assign_cost[np.ix_(ms, ms)].sum(axis=0)
    ok = model.problem.allowed[np.ix_(ms, ms)].all(axis=0)
    best = np.where(ok, sub, np.inf)
    j = int(np.argmin(best)) if np.isfinite(best).any() else int(np.argmin(sub))
    return members[j]


def halves(model: Model, members: list[str]) -> list[str]:
    """Split ``members`` in two around its two furthest practices; returns the second half."""
    ms = np.array([model.index[c] for c in members])
    d = model.distance_km[np.ix_(ms, ms)]
    a, b = np.unravel_index(int(np.argmax(d)), d.shape)
    return [c for k, c in enumerate(members) if d[k, b] < d[k, a] or (d[k, b] == d[k, a] and k == b)]


def _rule_of(model: Model, i: int, hub: int) -> tuple[str, str]:
    """Which scenario rule forbids practice ``i`` joining ``hub``, in words."""
    sc, p = model.scenario, model.practices
    k = sc.constraints
    a, h = p.code[i], p.code[hub]
    if model.minutes is not None and not np.isfinite(model.minutes[i, hub]):
        return "no_route", f"{a} has no route to hub {h}"
    if k.max_travel_minutes is not None and model.minutes is not None \
            and model.minutes[i, hub] > k.max_travel_minutes + 1e-9:
        return ("max_travel_minutes", f"{a} is {model.minutes[i, hub]:.1f} minutes from hub {h}, over the limit "
                f"of {k.max_travel_minutes:g}")
    if k.max_distance_km is not None and model.distance_km[i, hub] > k.max_distance_km + 1e-9:
        return ("max_distance_km", f"{a} is {model.distance_km[i, hub]:.1f} km from hub {h}, over the limit of "
                f"{k.max_distance_km:g} km")
    if k.nest_within != "none":
        from ..problem import NEST_ATTR

        codes = getattr(p, NEST_ATTR[k.nest_within])
        if codes[i] != codes[hub]:
            return "nest_within", f"{a} ({codes[i]}) and hub {h} ({codes[hub]}) are in different {k.nest_within} areas"
    if k.hub_candidates and h not in k.hub_candidates:
        return "hub_candidates", f"hub {h} is not among the hub candidates"
    if k.locks:
        return "locks", f"the locks forbid {a} joining hub {h}"
    return "allowed", f"{a} may not join hub {h}"


def breaches(model: Model, state: PlanState, feds: list[dict]) -> list[dict]:
    """Every rule of the scenario the plan breaks, with the practices involved."""
    sc, prob = model.scenario, model.problem
    out: list[dict] = []
    L, U = sc.bounds.min_population, sc.bounds.max_population
    lo, hi = (prob.min_population, prob.max_population) if sc.bounds.soft else (L, U)
    for f in feds:
        if f["population"] < lo:
            out.append({"rule": "min_population", "practices": f["members"],
                        "message": f"federation {f['id']} has {f['population']:,} patients, under the minimum of "
                                   f"{lo:,}: merge it or move practices in."})
        elif f["population"] > hi:
            out.append({"rule": "max_population", "practices": f["members"],
                        "message": f"federation {f['id']} has {f['population']:,} patients, over the maximum of "
                                   f"{hi:,}: split it or move practices out."})
    idx = model.index
    for f in feds:
        hub = idx[f["hub"]]
        for c in f["members"]:
            i = idx[c]
            if not prob.allowed[i, hub]:
                rule, words = _rule_of(model, i, hub)
                out.append({"rule": rule, "practices": [c, f["hub"]], "message": f"federation {f['id']}: {words}."})
    code = model.practices.code
    for i, j in prob.together:
        if state.assignment[code[i]] != state.assignment[code[j]]:
            out.append({"rule": "together", "practices": [code[i], code[j]],
                        "message": f"{code[i]} and {code[j]} must share a federation but are in "
                                   f"{state.assignment[code[i]]} and {state.assignment[code[j]]}."})
    for i, j in prob.apart:
        if state.assignment[code[i]] == state.assignment[code[j]]:
            out.append({"rule": "apart", "practices": [code[i], code[j]],
                        "message": f"{code[i]} and {code[j]} must not share a federation but are both in "
                                   f"{state.assignment[code[i]]}."})
    if prob.n_federations is not None and len(feds) != prob.n_federations:
        out.append({"rule": "n_federations", "practices": [],
                    "message": f"{len(feds)} federations, but the scenario fixes {prob.n_federations}."})
    if prob.adjacency is not None:
        for f in feds:
            if not prob.connected([idx[c] for c in f["members"]]):
                out.append({"rule": "contiguity", "practices": f["members"],
                            "message": f"federation {f['id']} is not in one piece on the practice adjacency graph."})
    return out


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= max(COST_ABSOLUTE_TOLERANCE, COST_RELATIVE_TOLERANCE * max(abs(a), abs(b)))


def _change(cost: float, other) -> dict | None:
    if other is None or not math.isfinite(other):
        return None
    return {"gbp": round(cost - other, 2), "share": None if other == 0 else round((cost - other) / abs(other), 6),
            "of_gbp": round(float(other), 2)}


def federation_rows(model: Model, state: PlanState) -> tuple[list[dict], dict, float]:
    """Each federation's population, hub, members and cost by term, the plan's terms and total."""
    sc, prob, p = model.scenario, model.problem, model.practices
    coord = per_member(model)
    L, U = sc.bounds.min_population, sc.bounds.max_population
    g = prob.size_cost
    totals = {"services": 0.0, "risk": 0.0, "engagement": 0.0, "access": 0.0, "federation_fixed": 0.0,
              "disruption": 0.0} | ({"penalty": 0.0} if sc.bounds.soft else {})
    total, feds = 0.0, []
    by_fed: dict[int, list[str]] = {f: [] for f in state.hubs}
    for c, f in state.assignment.items():
        by_fed[f].append(c)
    for fid in sorted(state.hubs):
        members = sorted(by_fed[fid])
        ms = np.array([model.index[c] for c in members])
        hub = model.index[state.hubs[fid]]
        N = int(p.list_size[ms].sum())
        t = model.terms(N, len(ms))
        assign = float(prob.assign_cost[ms, hub].sum())
        disruption = model.disruption(ms, hub)
        access = assign - coord * len(ms) - disruption
        tabulated = g is None or g.lo <= N <= g.hi
        if tabulated:
            cost = prob.column_cost(ms, hub)       # the engine's own price of this federation
        else:
            # outside the engine's table (a plan the rules forbid): the model's terms at the real size
            cost = prob.hub_cost + assign + t["services"] + t["risk"] + t.get("penalty", 0.0) + t["engagement"] \
                - coord * len(ms)
        terms = {"services": t["services"], "risk": t["risk"], "engagement": t["engagement"], "access": access,
                 "federation_fixed": prob.hub_cost, "disruption": disruption} \
            | ({"penalty": t.get("penalty", 0.0)} if sc.bounds.soft else {})
        for k in totals:
            totals[k] += terms[k]
        total += cost
        mob = model.make_or_buy(N) if sc.makebuy.joint else None
        to_hub = [model.to_hub(i, hub) for i in ms]
        feds.append({"id": fid, "population": N, "hub": state.hubs[fid], "members": members,
                     "hub_name": p.name[hub], "n_practices": len(members),
                     "deviation": N - U if N > U else (N - L if N < L else 0),
                     "within_bounds": L <= N <= U, "cost_gbp": round(cost, 2),
                     "terms": {k: round(v, 2) for k, v in terms.items()},
                     "inhouse": [] if mob is None else [s.service for s in mob.services if s.mode == "inhouse"],
                     "n_services": 0 if mob is None else len(mob.services),
                     "to_hub_max": max((v for v in to_hub if v is not None), default=None),
                     "pinned": all(c in state.pins for c in members)})
    return feds, totals, total


def score(plan: LoadedPlan, state: PlanState) -> dict:
    """The plan as the API returns it (GET /api/plans/{id}), re-scored and independently checked."""
    verifycache.install()
    model = plan.model(state.excluded)
    feds, totals, total = federation_rows(model, state)
    broken = breaches(model, state, feds)
    check = verify(model.scenario, dict(state.assignment), dict(state.hubs), practices=model.practices)
    if not check.ok and not broken:
        for msg in check.problems:
            broken.append({"rule": "verify", "practices": sorted(set(CODE.findall(msg)) & set(state.assignment)),
                           "message": msg})
    same_set = not state.excluded
    bound = plan.optimum["bound_gbp"] if same_set else None
    claim = state.claim
    if broken:
        status, gap = "breaks_rules", None
    elif claim:
        status, bound, gap = claim["status"], claim["bound_gbp"], claim["gap"]
    else:
        st, bound, gap, _ = judge(total, bound)
        status = str(st)
    colours = colour_federations(state.assignment, plan.model(()).practices.code, plan.adjacency())
    for f in feds:
        f["colour"] = colours.get(f["id"], f["id"] % 8)
    unit = "minutes" if model.uses_minutes else "km"
    practices = []
    for f in feds:
        hub = model.index[f["hub"]]
        for c in f["members"]:
            v = model.to_hub(model.index[c], hub)
            practices.append({"code": c, "federation": f["id"], "to_hub": None if v is None else round(v, 1),
                              "pinned": c in state.pins})
    optimum = plan.optimum["objective_gbp"] if same_set else None
    return {
        "id": plan.id, "name": plan.name, "status": status, "objective_gbp": round(total, 2),
        "bound_gbp": None if bound is None else round(float(bound), 2),
        "gap": None if gap is None else round(float(gap), 8),
        "source": state.source, "claim": dict(claim) if claim else None,
        "federations": feds, "breaches": broken,
        "cost_breakdown": {k: round(v, 2) for k, v in totals.items()},
        "verify": {"ok": check.ok, "cost_gbp": round(check.cost_gbp, 2), "agrees": _same(check.cost_gbp, total),
                   "cost_breakdown": {k: round(v, 2) for k, v in check.cost_breakdown.items()},
                   "problems": list(check.problems)},
        "compare": {"optimum": _change(total, optimum),
                    "pcns": _change(total, model.baseline.cost_gbp),
                    "optimum_status": plan.optimum["status"] if same_set else None},
        "bounds": {"min_population": model.scenario.bounds.min_population,
                   "max_population": model.scenario.bounds.max_population, "soft": model.scenario.bounds.soft},
        "to_hub_unit": unit, "practices": practices, "excluded": list(state.excluded),
        "pins": sorted(state.pins), "pairs": [list(p) for p in state.pairs],
    }
