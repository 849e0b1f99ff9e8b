"""The summary of a run: ``summary.json`` (make_summary), its cost breakdown and practices moved,
and the rows of ``make_or_buy.csv``.

Every function takes a ``fedplan.api.PlanRun`` (``r``); this module does not import ``fedplan.api``,
which imports it (``PlanRun.summary``).
"""
from __future__ import annotations

from dataclasses import fields

import numpy as np

from fedplan.optimise.makebuy import make_or_buy
from fedplan.optimise.risk import mean_practice_list, min_viable_population, risk_choice

from .problem import coordination_gbp, federation_terms
from .size import size_analysis


def make_summary(r) -> dict:
    """``summary.json`` of a run (a ``fedplan.api.PlanRun``): status, cost, bound, gap, the federations,
    the cost breakdown, the baseline, verification, parameters and timings."""
    res, p, prob = r.result, r.practices, r.problem
    feds = []
    mean_list = mean_practice_list(p.list_size)
    per_member = coordination_gbp(r.scenario)
    if res.has_plan:
        for f, hub in enumerate(res.hubs):
            ms = res.members(f)
            # assign_cost carries each member's coordination cost (the same at every hub): not access
            access = float(prob.assign_cost[ms, hub].sum()) - per_member * len(ms)
            pop = int(p.list_size[ms].sum())
            terms = federation_terms(pop, r.scenario, r.catalogue, n_practices=len(ms), mean_list=mean_list)
            feds.append({
                "id": f + 1, "population": pop, "n_practices": int(len(ms)),
                "hub": p.code[hub], "hub_name": p.name[hub],
                "cost_gbp": round(access + prob.hub_cost + sum(terms.values()), 2),
                "services_gbp": round(terms["services"], 2), "risk_gbp": round(terms["risk"], 2),
                "engagement_gbp": round(terms["engagement"], 2), "access_gbp": round(access, 2),
                **({"penalty_gbp": round(terms["penalty"], 2)} if "penalty" in terms else {}),
                "risk_mode": risk_choice(r.scenario.risk, pop, mean_list).mode,
                "max_distance_km": round(float(r.distance_km[ms, hub].max()), 3),
            } | hub_minutes(r, ms, hub))
    b = r.baseline
    # the planners' range; under soft bounds the model's own window (prob) is wider
    L, U = r.scenario.bounds.min_population, r.scenario.bounds.max_population
    bounds = {"min_population": L, "max_population": U}
    if r.scenario.bounds.soft:
        bounds |= {"soft": True, "penalty_gbp_per_patient": r.scenario.bounds.penalty_gbp_per_patient,
                   "allowed_min_population": prob.min_population, "allowed_max_population": prob.max_population}
    # a plan that failed the independent check is never published as a result: status "error"
    unverified = res.has_plan and not r.verification.ok
    via = viability(r, mean_list)
    summary = {
        "status": "error" if unverified else str(res.status),
        "objective_gbp": _round(res.objective),
        "bound_gbp": _round(res.bound),
        "gap": None if res.gap is None else round(float(res.gap), 8),
        # the gap the run was asked for ([solve] gap), and whether the plan is proven within it;
        # "optimal" means proven to PROOF_TOLERANCE (a penny), never "within the requested gap"
        "requested_gap": float(r.scenario.solve.gap),
        "within_requested_gap": bool(res.within_requested_gap) and str(res.status) != "error",
        "runtime_s": round(res.runtime_s, 3),
        # the work the engine did: a count of operations, independent of the clock (optimise/clock.py)
        "work_units": None if res.work_units is None else round(float(res.work_units), 3),
        # false when a time limit, not a work limit or the proof, ended the run
        "repeatable": res.repeatable,
        "solver": res.solver,
        "method": r.scenario.solve.method,
        "solver_version": res.solver_version,
        "seed": res.seed,
        "area": r.scenario.area.describe(),
        "n_practices": len(p),
        "population": p.population,
        "n_federations": res.n_federations,
        "bounds": bounds,
        "federations": feds,
        "cost_breakdown": breakdown(r) if res.has_plan else {},
        # the smallest federation whose 1-in-20 shortfall stays within viability_share of its
        # budget under these risk settings (None: risk off, or not reached by 20 million)
        "min_viable_population": via["population"],
        "min_viable_population_detail": via,
        # the cost of each binding rule, from re-solves with it widened (fedplan/rules.py)
        "rule_prices": dict(getattr(r, "rule_prices", {}) or {}),
        "size_analysis": (size_analysis(r.scenario, r.catalogue, feds, mean_list=mean_list, n_practices=len(p),
                                        population=p.population, median_list=float(np.median(p.list_size)))
                          if res.has_plan else None),
        "baseline": {
            "description": "today's Primary Care Networks (practices' pcn_code), costed by the same model",
            "objective_gbp": round(b.cost_gbp, 2),
            "n_federations": len(b.federations),
            "in_range_share": round(b.in_range_share, 4),
            "federations": list(b.federations),
            "cost_breakdown": {k: round(v, 2) for k, v in b.cost_breakdown.items()},
        },
        # the services term of plan and baseline, service by service (the saving explained, not asserted)
        "by_service": by_service(r, feds) if res.has_plan else None,
        "practices_moved": practices_moved(r) if res.has_plan else None,
        "verified": r.verification.ok,
        "verification_problems": list(r.verification.problems),
        "message": ("the plan failed independent verification: " + "; ".join(r.verification.problems)
                    if unverified else res.message),
        "run_stats": res.stats.as_dict() if res.stats else None,
        "parameters": {
            "federation_fixed_gbp": r.scenario.costs.federation_fixed_gbp,
            "hub_visits_per_patient": r.scenario.costs.hub_visits_per_patient,
            "travel_gbp_per_km": r.scenario.costs.travel_gbp_per_km,
            "distance": "straight line in EPSG:27700 (British National Grid)",
            "access_priced_by": ("travel time (minutes from the travel_times file)"
                                 if r.scenario.inputs.travel_times is not None else
                                 "travel time (minutes by car from the shipped road-time model)"
                                 if r.scenario.costs.access == "minutes" else "straight-line distance"),
            "access": r.scenario.costs.access,
            "travel_gbp_per_minute": r.scenario.costs.travel_gbp_per_minute,
            "time_limit_s": r.scenario.solve.time_limit_s,
            "work_limit": r.scenario.solve.work_limit,
            "threads": r.scenario.solve.threads,
            "catalogue": r.catalogue.source,
            "make_or_buy_in_objective": r.scenario.makebuy.joint,
            "shared_hub_gbp": r.scenario.makebuy.shared_hub_gbp,
            "max_inhouse": r.scenario.makebuy.max_inhouse,
            "risk": {f.name: getattr(r.scenario.risk, f.name) for f in fields(r.scenario.risk)},
            "engagement": {f.name: getattr(r.scenario.engagement, f.name) for f in fields(r.scenario.engagement)},
            "mean_practice_list": round(mean_list, 1),
        },
        "timings_s": {k: round(v, 3) for k, v in r.timings.items()},
        "travel": travel_summary(r),
    }
    return summary


def hub_minutes(r, members, hub: int) -> dict:
    """A federation's trips to its hub in minutes (longest, list-weighted mean, the model's typical
    error on the longest, whether any goes by sea); {} when access is in km."""
    a = getattr(r, "access", None)
    if a is None:
        return {}
    ms = np.asarray(members, dtype=np.int64)
    m = a.minutes[ms, hub]
    w = r.practices.list_size[ms].astype(float)
    longest = int(np.argmax(m))
    out = {"minutes_to_hub_max": round(float(m[longest]), 1),
           "minutes_to_hub_mean": round(float((m * w).sum() / max(w.sum(), 1.0)), 1)}
    if a.typical_error is not None:
        out["minutes_to_hub_typical_error"] = round(float(a.typical_error[ms[longest], hub]), 1)
    out["hub_trip_by_sea"] = bool(a.by_sea is not None and a.by_sea[ms, hub].any())
    return out


def practice_hub_minutes(r) -> list[float | None]:
    """Minutes from each practice to its federation's hub (None without minutes or a plan)."""
    a, res = getattr(r, "access", None), r.result
    if a is None or not res.has_plan:
        return [None] * len(r.practices)
    hubs = np.asarray(res.hubs, dtype=np.int64)[np.asarray(res.assignment, dtype=np.int64)]
    return [round(float(v), 1) for v in a.minutes[np.arange(len(hubs)), hubs]]


def travel_summary(r) -> dict:
    """summary.json's ``travel``: how access was measured, the road-time model's recorded error and
    what it says about islands and sea links."""
    a = getattr(r, "access", None)
    if a is None:
        return {"measure": "km", "source": "straight line (EPSG:27700)", "model": None, "notes": [], "sea_links": []}
    if a.source == "file":
        return {"measure": "minutes", "source": "file", "file": str(r.scenario.inputs.travel_times), "model": None,
                "notes": [], "sea_links": []}
    from fedplan.geo import travel_model

    p = r.practices
    # only the sea links of islands this area's practices are on
    islands = set(travel_model.road_component(p.easting, p.northing)) - {travel_model.MAINLAND}
    err = travel_model.load_model()["error"]
    held, devon = err["held_out"], err["devon"]
    short = [b for b in held["by_band"] if (b.get("to_km") or 1e9) <= 40]

    def band(rows):
        return [{k: b.get(k) for k in ("band", "from_km", "to_km", "pairs", "median_abs_min", "p90_abs_min",
                                       "median_signed_min")} for b in rows]

    return {"measure": "minutes", "source": "model",
            "model": {"file": "inputs/data/travel_model.json",
                      # practice-to-hub trips are short: the error under 40 km is the one that matters
                      "held_out_median_abs_min": round(float(np.median([b["median_abs_min"] for b in short])), 1),
                      "held_out_p90_abs_min": round(float(max(b["p90_abs_min"] for b in short)), 1),
                      "devon_median_abs_min": round(float(np.median(
                          [b["median_abs_min"] for b in devon["by_band"] if (b.get("to_km") or 1e9) <= 40])), 1),
                      "held_out_by_band": band(held["by_band"]), "devon_by_band": band(devon["by_band"]),
                      "note": ("errors are for trips under 40 km, the practice-to-hub range; Devon's independent "
                               "OpenStreetMap times run 18-36 % slower than the routed source on longer trips")},
            "notes": list(a.notes), "sea_links": [lk.as_dict() for lk in travel_model.SEA_LINKS if lk.island in islands]}


def viability(r, mean_list: float) -> dict:
    """The minimum viable population under the run's risk settings (``mean_list``: the area's
    list-weighted mean practice list), and how the risk share moves
    it (the sources: "the actual size will depend on ... the extent of risk-sharing")."""
    from dataclasses import replace

    spec = r.scenario.risk
    if not spec.enabled:
        return {"population": None, "risk_share": None, "by_risk_share": {}, "reason": "risk is off"}
    by_share = {f"{s:g}": min_viable_population(replace(spec, risk_share=s), mean_list)
                for s in sorted({0.25, 0.5, 0.75, 1.0, spec.risk_share})}
    return {"population": min_viable_population(spec, mean_list), "risk_share": spec.risk_share,
            "viability_share": spec.viability_share, "confidence": spec.confidence,
            "mean_practice_list": round(mean_list, 1), "by_risk_share": by_share,
            "test": (f"smallest N whose 1-in-{round(1 / (1 - spec.confidence))} shortfall is at most "
                     f"{spec.viability_share:.0%} of its budget")}


def _round(v: float | None) -> float | None:
    return None if v is None else round(float(v), 2)


def breakdown(r) -> dict[str, float]:
    """The plan's cost terms (£/yr, rounded) as the independent verification recomputed them."""
    v = r.verification
    if v.cost_breakdown:
        return {k: round(float(x), 2) for k, x in v.cost_breakdown.items()}
    return {}


def practices_moved(r) -> int:
    """Practices not in the federation that holds most of their current PCN's patients."""
    res, p = r.result, r.practices
    moved = 0
    by_group: dict[str, list[int]] = {}
    for i, g in enumerate(r.baseline.groups):
        by_group.setdefault(g, []).append(i)
    for g, ms in by_group.items():
        weight: dict[int, int] = {}
        for i in ms:
            weight[int(res.assignment[i])] = weight.get(int(res.assignment[i]), 0) + int(p.list_size[i])
        home = max(sorted(weight), key=lambda f: weight[f])
        moved += sum(1 for i in ms if res.assignment[i] != home)
    return moved


def by_service(r, feds: list[dict]) -> dict | None:
    """Each service's £/yr summed over the plan's federations and over today's groups, with how many
    of each run it in-house: the services term of ``cost_breakdown`` split by service (None when
    make-or-buy is not in the objective: the services term is then 0 for both)."""
    mb = r.scenario.makebuy
    if not mb.joint:
        return None

    def total(populations) -> tuple[dict, float]:
        rows: dict[str, dict] = {}
        hub = 0.0
        for pop in populations:
            plan = make_or_buy(r.catalogue, int(pop), shared_hub_cost=mb.shared_hub_gbp, max_inhouse=mb.max_inhouse)
            hub += plan.shared_hub_gbp
            for c in plan.services:
                row = rows.setdefault(c.service, {"category": c.category, "gbp": 0.0, "inhouse": 0})
                row["gbp"] += c.cost_gbp
                row["inhouse"] += c.mode == "inhouse"
        return rows, hub

    plan, plan_hub = total(f["population"] for f in feds)
    base, base_hub = total(f["population"] for f in r.baseline.federations)
    services = []
    for name in plan:
        a, b = plan[name], base[name]
        services.append({"service": name, "category": a["category"], "plan_gbp": round(a["gbp"], 2),
                         "baseline_gbp": round(b["gbp"], 2), "difference_gbp": round(a["gbp"] - b["gbp"], 2),
                         "plan_inhouse": a["inhouse"], "baseline_inhouse": b["inhouse"]})
    services.sort(key=lambda x: x["difference_gbp"])
    return {"services": services, "shared_hub": {"plan_gbp": round(plan_hub, 2), "baseline_gbp": round(base_hub, 2)},
            "plan_groups": len(feds), "baseline_groups": len(r.baseline.federations)}


def make_or_buy_rows(r) -> list[tuple]:
    """``make_or_buy.csv`` rows: every federation x service with its mode, £/yr and break-even size.
    Written even when make-or-buy is not in the objective ([makebuy] joint = false): it is then the
    sequential answer for the plan's boundaries."""
    res = r.result
    if not res.has_plan:
        return []
    mb = r.scenario.makebuy
    rows = []
    for f in range(res.n_federations):
        pop = int(r.practices.list_size[res.members(f)].sum())
        plan = make_or_buy(r.catalogue, pop, shared_hub_cost=mb.shared_hub_gbp, max_inhouse=mb.max_inhouse)
        for c in plan.services:
            rows.append((f + 1, c.service, c.mode, f"{c.cost_gbp:.2f}",
                         "" if c.break_even_population is None else c.break_even_population))
    return rows
