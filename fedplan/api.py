"""The public library API: load a scenario, plan, cost the PCN baseline, summarise.

``plan(scenario)`` returns the optimiser's ``Result``; ``run(scenario)`` returns a ``PlanRun``
holding everything the CLI writes to a run directory.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Callable

import numpy as np

import geo
import inputs
from inputs.errors import InputError
from inputs.model import Catalogue, Practices, Scenario
from optimise import FederationProblem, ProblemInfeasible, Result, Status, solve_federations, verify
from optimise.makebuy import make_or_buy
from optimise.risk import risk_choice, risk_costs
from optimise.sizecost import SizeCost, bound_penalty, federation_size_cost, population_window
from optimise.verify import Claim, Verification

NEST_ATTR = {"sub_icb": "sub_icb_code", "icb": "icb_code", "lad": "lad_code"}


def as_scenario(scenario: Scenario | str | Path | None) -> Scenario:
    if scenario is None:
        return Scenario()
    if isinstance(scenario, Scenario):
        return scenario
    return inputs.load_scenario(Path(scenario))


def check_supported(scenario: Scenario) -> None:
    """Refuse switches this engine does not model yet, rather than silently ignoring them."""
    src = scenario.source or "scenario"
    if scenario.constraints.contiguity and scenario.solve.method != "branch_price":
        raise InputError("contiguity = true is modelled by the branch_price method only (its pricing keeps "
                         "each candidate federation connected); the compact MIP has no contiguity rows.",
                         file=src, column="constraints.contiguity",
                         fix="set [solve] method = \"branch_price\" (the default), or contiguity = false.")
    if scenario.constraints.max_travel_minutes is not None and scenario.inputs.travel_times is None:
        raise InputError("max_travel_minutes needs a travel-time matrix to measure minutes against.", file=src,
                         column="constraints.max_travel_minutes",
                         fix="add travel_times = \"times.csv\" under [inputs] (origin,destination,minutes between "
                             "practice codes), or use max_distance_km instead.")


def load_practices(scenario: Scenario) -> Practices:
    """The participating practices, projected to EPSG:27700."""
    spec = scenario.inputs
    if spec.practices is None:
        table = inputs.load_national_practices()
    else:
        fmt = inputs.detect_format(spec.practices)
        if fmt == "fedplan":
            table = inputs.read_practices(spec.practices)
        else:
            if spec.postcodes is None:
                raise InputError(f"this is an NHS '{fmt}' file, which has postcodes but no coordinates.",
                                 file=str(spec.practices), column="inputs.postcodes",
                                 fix="add postcodes = \"postcodes.csv\" (postcode, lat, lon) to [inputs].")
            map_path = spec.practices if fmt == "nhs-map" else None
            all_path = spec.practices if fmt == "nhs-all" else spec.list_sizes
            table = inputs.read_nhs_practices(map_path=map_path, all_path=all_path,
                                              postcodes_path=spec.postcodes)
    return geo.project_practices(inputs.select_area(table, scenario.area))


def load_outline(practices: Practices, scenario: Scenario):
    """The area outline for maps and catchments: the scenario's [inputs] boundary file when given
    (refused if practices lie outside it), else the shipped sub-ICB polygons."""
    path = scenario.inputs.boundary
    if path is None:
        return geo.area_outline(practices)
    boundary = geo.read_boundary(path)
    outside = geo.practices_outside(boundary, practices)
    if outside:
        raise InputError(f"{len(outside)} practices lie outside this boundary: {', '.join(outside[:5])}"
                         + (f" and {len(outside) - 5} more" if len(outside) > 5 else "") + ".", file=str(path),
                         fix="give the outline of the whole planning area, or leave those practices out "
                             "([area] exclude).")
    return geo.area_outline(practices, boundary)


def load_catalogue(scenario: Scenario) -> Catalogue:
    """The scenario's service catalogue (its file or the shipped default) with its overrides."""
    return inputs.apply_overrides(inputs.read_catalogue(scenario.inputs.catalogue), scenario.service_overrides,
                                  scenario.source or "scenario")


def size_cost(practices: Practices, scenario: Scenario, catalogue: Catalogue) -> SizeCost | None:
    """g(N): make-or-buy (when joint) + risk (when enabled) + the soft-bound penalty (soft mode)
    for every population a federation may have (``population_window``)."""
    mb, rk, b = scenario.makebuy, scenario.risk, scenario.bounds
    if not mb.joint and not rk.enabled and not b.soft:
        return None
    lo, hi = population_window(b, practices.list_size)
    hi = min(hi, practices.population)
    if hi < lo:
        return None              # no federation fits at all; diagnose says why in words
    N = np.arange(lo, hi + 1)
    g = np.zeros(len(N))
    if mb.joint:
        try:
            g = federation_size_cost(catalogue, lo, hi, shared_hub_gbp=mb.shared_hub_gbp,
                                     max_inhouse=mb.max_inhouse, risk=rk if rk.enabled else None).values
        except ValueError as exc:
            raise InputError(f"{exc}.", file=str(scenario.inputs.catalogue or "shipped service catalogue"),
                             column="allowed_modes",
                             fix="allow 'buy' for that service, lower its min_population_inhouse, or raise "
                                 "[bounds] min_population.") from None
    elif rk.enabled:
        g = risk_costs(rk, N)
    return SizeCost(lo, g + bound_penalty(b, N))


def hub_candidate_mask(practices: Practices, scenario: Scenario) -> np.ndarray:
    """True for practices allowed to host a federation; every listed code must be participating."""
    wanted = scenario.constraints.hub_candidates
    known = {c: i for i, c in enumerate(practices.code)}
    missing = [c for c in wanted if c not in known]
    if missing:
        from inputs.errors import nearest

        hint = nearest(missing[0], tuple(known))
        raise InputError(f"hub candidate {missing[0]} is not among the {len(known)} participating practices"
                         + (f" (did you mean {hint}?)" if hint else "") + ".",
                         file=scenario.source or "scenario", column="constraints.hub_candidates",
                         fix="list practice codes from the selected area, or remove them from hub_candidates "
                             "(an excluded practice cannot host).")
    mask = np.zeros(len(practices), bool)
    mask[[known[c] for c in wanted]] = True
    return mask


def lock_mask(practices: Practices, scenario: Scenario) -> np.ndarray:
    """Pairs still allowed under the locks: a locked practice may join only its hub, and that hub
    must host (it may join no other hub)."""
    known = {c: i for i, c in enumerate(practices.code)}
    src = scenario.source or "scenario"
    n = len(practices)
    ok = np.ones((n, n), bool)
    hub_of: dict[str, str] = {}
    for code, hub in scenario.constraints.locks:
        for c in (code, hub):
            if c not in known:
                from inputs.errors import nearest

                hint = nearest(c, tuple(known))
                raise InputError(f"lock {code} = {hub} names {c}, which is not among the {n} participating "
                                 "practices" + (f" (did you mean {hint}?)" if hint else "") + ".",
                                 file=src, column="constraints.locks",
                                 fix="use practice codes from the selected area.")
        hub_of[code] = hub
    for code, hub in hub_of.items():
        if hub_of.get(hub, hub) != hub:
            raise InputError(f"{code} is locked to hub {hub}, but {hub} is itself locked to {hub_of[hub]}.",
                             file=src, column="constraints.locks",
                             fix=f"lock {code} to {hub_of[hub]}, or remove one of the two locks.")
        for c in (code, hub):
            i, h = known[c], known[hub]
            keep = ok[i, h]
            ok[i, :] = False
            ok[i, h] = keep
    return ok


def link_pairs(practices: Practices, scenario: Scenario) -> tuple[tuple, tuple]:
    """The together / apart pairs as practice positions; unknown codes and contradictions refused."""
    known = {c: i for i, c in enumerate(practices.code)}
    src = scenario.source or "scenario"
    out = []
    for key in ("together", "apart"):
        pairs = getattr(scenario.constraints, key)
        for n, pair in enumerate(pairs, start=1):
            for code in pair:
                if code not in known:
                    from inputs.errors import nearest

                    hint = nearest(code, tuple(known))
                    raise InputError(f"pair {n} of {key} names {code}, which is not among the {len(known)} "
                                     "participating practices" + (f" (did you mean {hint}?)" if hint else "") + ".",
                                     file=src, column=f"constraints.{key}",
                                     fix="use practice codes from the selected area; drop pairs with opted-out practices.")
        out.append(tuple((known[a], known[b]) for a, b in pairs))
    both = set(scenario.constraints.together) & set(scenario.constraints.apart)
    if both:
        a, b = sorted(both)[0]
        raise InputError(f"practices {a} and {b} are listed both in together and in apart.", file=src,
                         column="constraints.apart", fix="keep the pair in one list only.")
    return out[0], out[1]


def travel_minutes(practices: Practices, scenario: Scenario) -> np.ndarray | None:
    """Minutes from each practice (row) to each practice as a hub (column), from the scenario's
    travel-time file (``origin,destination,minutes`` between practice codes); ``inf`` where the
    file says there is no route. None without a file. Every pair between two different
    participating practices must be in the file: a gap would silently become a free trip."""
    if scenario.inputs.travel_times is None:
        return None
    tt = inputs.read_travel_times(scenario.inputs.travel_times)
    codes = list(practices.code)
    m = tt.matrix(codes, codes)
    np.fill_diagonal(m, np.where(np.isnan(np.diag(m)), 0.0, np.diag(m)))
    missing = np.argwhere(np.isnan(m))
    if len(missing):
        i, j = missing[0]
        raise InputError(f"the travel-time file has no time from {codes[i]} to {codes[j]} "
                         f"({len(missing):,} of the {len(codes) * (len(codes) - 1):,} practice pairs of this area "
                         "are missing).", file=str(scenario.inputs.travel_times), column="origin, destination",
                         fix="add a row for every ordered pair of participating practices (minutes = 9999 for no "
                             "route), or narrow the area to the practices the file covers.")
    return m


def build_problem(practices: Practices, scenario: Scenario, distance_km: np.ndarray,
                  catalogue: Catalogue | None = None, minutes: np.ndarray | None = None) -> FederationProblem:
    """Annual £ costs from distances (or travel times) and the scenario's parameters (DESIGN.md
    §3): services and risk as the size cost g(N), fixed overhead, access and disruption. With a
    travel-time file, access is priced per minute (``travel_gbp_per_minute``) instead of per km,
    unreachable pairs are forbidden and ``max_travel_minutes`` applies; ``minutes`` may be passed
    when already read (``travel_minutes``)."""
    c = scenario.costs
    w = practices.list_size.astype(float)
    allowed = np.ones((len(practices), len(practices)), bool)
    k = scenario.constraints
    if minutes is None and scenario.inputs.travel_times is not None:
        minutes = travel_minutes(practices, scenario)
    if minutes is None:
        per_unit, travel = c.hub_visits_per_patient * 2.0 * c.travel_gbp_per_km, distance_km  # return trips
    else:
        allowed &= np.isfinite(minutes)
        if k.max_travel_minutes is not None:
            allowed &= minutes <= k.max_travel_minutes + 1e-9
        per_unit = c.hub_visits_per_patient * 2.0 * c.travel_gbp_per_minute
        travel = np.where(np.isfinite(minutes), minutes, 0.0)
    if k.max_distance_km is not None:
        allowed &= distance_km <= k.max_distance_km + 1e-9
    if k.nest_within != "none":
        codes = np.array(getattr(practices, NEST_ATTR[k.nest_within]))
        allowed &= codes[:, None] == codes[None, :]
    if k.hub_candidates:
        allowed &= hub_candidate_mask(practices, scenario)[None, :]
    if k.locks:
        allowed &= lock_mask(practices, scenario)
    together, apart = link_pairs(practices, scenario)
    window = population_window(scenario.bounds, practices.list_size)
    # contiguity runs on the Delaunay graph of practice sites (geo.adjacency), the graph verify uses
    adjacency = tuple(geo.practice_adjacency(practices)) if k.contiguity else None
    assign = per_unit * w[:, None] * travel
    if c.disruption_gbp_per_patient > 0:
        pcn = np.array(practices.pcn_code, dtype=object) if practices.pcn_code else np.full(len(w), "", object)
        away = (pcn[:, None] != pcn[None, :]) & (pcn[:, None] != "")
        assign = assign + c.disruption_gbp_per_patient * w[:, None] * away
    return FederationProblem(
        codes=practices.code, list_size=practices.list_size,
        assign_cost=assign, hub_cost=c.federation_fixed_gbp,
        min_population=window[0], max_population=window[1],
        n_federations=k.n_federations, allowed=allowed, together=together, apart=apart, adjacency=adjacency,
        size_cost=size_cost(practices, scenario, catalogue if catalogue is not None else load_catalogue(scenario)))


def federation_terms(population: int, scenario: Scenario, catalogue: Catalogue) -> dict[str, float]:
    """Services and risk £/yr of one federation of this size, as the model counts them."""
    services = risk = 0.0
    if scenario.makebuy.joint:
        services = make_or_buy(catalogue, population, shared_hub_cost=scenario.makebuy.shared_hub_gbp,
                               max_inhouse=scenario.makebuy.max_inhouse).total_gbp
    if scenario.risk.enabled:
        risk = risk_choice(scenario.risk, population).cost_gbp
    out = {"services": services, "risk": risk}
    if scenario.bounds.soft:
        out["penalty"] = bound_penalty(scenario.bounds, population)
    return out


@dataclass(frozen=True)
class Baseline:
    """Today's PCNs costed by the same model. Practices outside any PCN count as their own group."""

    groups: tuple[str, ...]            # group id per practice (PCN code, or "no PCN: <code>")
    names: dict[str, str]
    hubs: dict[str, str]               # group -> hub practice code (cheapest member to host)
    federations: tuple[dict, ...]
    cost_gbp: float
    cost_breakdown: dict[str, float]
    in_range_share: float


def baseline_groups(practices: Practices) -> tuple[str, ...]:
    """Today's groups: each practice's PCN code, or the practice alone when it has none."""
    return tuple(g if g else f"no PCN: {c}" for g, c in zip(practices.pcn_code, practices.code))


def cost_baseline(practices: Practices, problem: FederationProblem, scenario: Scenario | None = None,
                  catalogue: Catalogue | None = None) -> Baseline:
    """Today's PCNs under the same model: access to the cheapest member hub, fixed cost, and (with
    ``scenario``) each PCN's own make-or-buy and risk at its actual size, even outside the bounds."""
    groups = baseline_groups(practices)
    names = {}
    members: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
        names.setdefault(g, practices.pcn_name[i] or g)
    feds, access_total, hubs = [], 0.0, {}
    soft = scenario is not None and scenario.bounds.soft
    terms_total = {"services": 0.0, "risk": 0.0} | ({"penalty": 0.0} if soft else {})
    # the planners' range (under soft bounds the problem's own window is wider)
    L, U = ((scenario.bounds.min_population, scenario.bounds.max_population) if scenario is not None
            else (problem.min_population, problem.max_population))
    in_range = 0
    for g in sorted(members):
        ms = np.array(members[g])
        sub = problem.assign_cost[np.ix_(ms, ms)].sum(axis=0)
        hub = int(ms[int(np.argmin(sub))])
        access = float(sub.min())
        access_total += access
        pop = int(problem.list_size[ms].sum())
        in_range += L <= pop <= U
        hubs[g] = practices.code[hub]
        terms = federation_terms(pop, scenario, catalogue) if scenario is not None else {"services": 0.0, "risk": 0.0}
        for k in terms_total:
            terms_total[k] += terms[k]
        feds.append({"id": g, "name": names[g], "population": pop, "n_practices": int(len(ms)),
                     "hub": practices.code[hub], "hub_name": practices.name[hub],
                     "cost_gbp": round(access + problem.hub_cost + sum(terms.values()), 2),
                     "services_gbp": round(terms["services"], 2), "risk_gbp": round(terms["risk"], 2),
                     "access_gbp": round(access, 2)}
                    | ({"penalty_gbp": round(terms["penalty"], 2)} if soft else {}))
    fixed = problem.hub_cost * len(members)
    return Baseline(groups, names, hubs, tuple(feds), access_total + fixed + sum(terms_total.values()),
                    {"services": terms_total["services"], "risk": terms_total["risk"], "access": access_total,
                     "federation_fixed": fixed, "disruption": 0.0}
                    | ({"penalty": terms_total["penalty"]} if soft else {}),
                    in_range / max(1, len(members)))


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

    def summary(self) -> dict:
        return make_summary(self)


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
    dist = geo.distance_km(practices)
    minutes = travel_minutes(practices, sc)
    catalogue = load_catalogue(sc)
    problem = build_problem(practices, sc, dist, catalogue, minutes)
    baseline = cost_baseline(practices, problem, sc, catalogue)
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
    return PlanRun(sc, practices, problem, dist, catalogue, result, baseline, check, timings, outline)


def baseline_start(practices: Practices, baseline: Baseline) -> tuple[np.ndarray, tuple[int, ...]]:
    order = sorted(set(baseline.groups))
    gid = {g: f for f, g in enumerate(order)}
    labels = np.array([gid[g] for g in baseline.groups], dtype=np.int64)
    return labels, tuple(practices.index(baseline.hubs[g]) for g in order)


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


def make_summary(r: PlanRun) -> dict:
    res, p, prob = r.result, r.practices, r.problem
    feds = []
    if res.has_plan:
        for f, hub in enumerate(res.hubs):
            ms = res.members(f)
            access = float(prob.assign_cost[ms, hub].sum())
            pop = int(p.list_size[ms].sum())
            terms = federation_terms(pop, r.scenario, r.catalogue)
            feds.append({
                "id": f + 1, "population": pop, "n_practices": int(len(ms)),
                "hub": p.code[hub], "hub_name": p.name[hub],
                "cost_gbp": round(access + prob.hub_cost + sum(terms.values()), 2),
                "services_gbp": round(terms["services"], 2), "risk_gbp": round(terms["risk"], 2),
                "access_gbp": round(access, 2),
                **({"penalty_gbp": round(terms["penalty"], 2)} if "penalty" in terms else {}),
                "risk_mode": risk_choice(r.scenario.risk, pop).mode,
                "max_distance_km": round(float(r.distance_km[ms, hub].max()), 3),
            })
    b = r.baseline
    # the planners' range; under soft bounds the model's own window (prob) is wider
    L, U = r.scenario.bounds.min_population, r.scenario.bounds.max_population
    bounds = {"min_population": L, "max_population": U}
    if r.scenario.bounds.soft:
        bounds |= {"soft": True, "penalty_gbp_per_patient": r.scenario.bounds.penalty_gbp_per_patient,
                   "allowed_min_population": prob.min_population, "allowed_max_population": prob.max_population}
    # a plan that failed the independent check is never published as a result: status "error"
    unverified = res.has_plan and not r.verification.ok
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
        "cost_breakdown": _breakdown(r) if res.has_plan else {},
        "baseline": {
            "description": "today's Primary Care Networks (practices' pcn_code), costed by the same model",
            "objective_gbp": round(b.cost_gbp, 2),
            "n_federations": len(b.federations),
            "in_range_share": round(b.in_range_share, 4),
            "federations": list(b.federations),
            "cost_breakdown": {k: round(v, 2) for k, v in b.cost_breakdown.items()},
        },
        "practices_moved": practices_moved(r) if res.has_plan else None,
        "verified": r.verification.ok,
        "verification_problems": list(r.verification.problems),
        "message": ("the plan failed independent verification: " + "; ".join(r.verification.problems)
                    if unverified else res.message),
        "parameters": {
            "federation_fixed_gbp": r.scenario.costs.federation_fixed_gbp,
            "hub_visits_per_patient": r.scenario.costs.hub_visits_per_patient,
            "travel_gbp_per_km": r.scenario.costs.travel_gbp_per_km,
            "distance": "straight line in EPSG:27700 (British National Grid)",
            "access_priced_by": ("travel time (minutes from the travel_times file)"
                                 if r.scenario.inputs.travel_times is not None else "straight-line distance"),
            "travel_gbp_per_minute": r.scenario.costs.travel_gbp_per_minute,
            "time_limit_s": r.scenario.solve.time_limit_s,
            "work_limit": r.scenario.solve.work_limit,
            "threads": r.scenario.solve.threads,
            "catalogue": r.catalogue.source,
            "make_or_buy_in_objective": r.scenario.makebuy.joint,
            "shared_hub_gbp": r.scenario.makebuy.shared_hub_gbp,
            "max_inhouse": r.scenario.makebuy.max_inhouse,
            "risk": {f.name: getattr(r.scenario.risk, f.name) for f in fields(r.scenario.risk)},
        },
        "timings_s": {k: round(v, 3) for k, v in r.timings.items()},
    }
    return summary


def _round(v: float | None) -> float | None:
    return None if v is None else round(float(v), 2)


def _breakdown(r: PlanRun) -> dict[str, float]:
    v = r.verification
    if v.cost_breakdown:
        return {k: round(float(x), 2) for k, x in v.cost_breakdown.items()}
    return {}


def practices_moved(r: PlanRun) -> int:
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


def make_or_buy_rows(r: PlanRun) -> list[tuple]:
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
