"""What ``fedplan sensitivity`` varies and how it solves one variant: the figures that apply to a
scenario (and why the others are skipped), the seeded Monte Carlo draws, the solve of one variant
(run in a Dask worker) and the re-costing of fixed plans under a draw.

Draws are **triangular(low, central, high)**, each figure independently. The ranges file gives
three numbers per figure and no more: a most likely value (the sourced central figure) and two
plausible ends. The triangular distribution uses exactly those, puts most weight near the sourced
figure, and never leaves the documented range; a uniform draw would give the ends (often
assumptions) as much weight as the sourced value. Independence understates joint swings of figures
that share a source (every Agenda for Change team cost moves with one pay award), but the sources
give no correlation to use instead.

Each figure of each draw comes from its own generator, seeded by (seed, draw, figure name), so a
draw's value of one figure does not depend on which other figures are varied or on the number of
draws: ``--draws 60`` after ``--draws 40`` reuses the first 40 draws, and ``--figures`` narrows
the draws without changing them.
"""
from __future__ import annotations

import hashlib
import time
import zlib
from dataclasses import dataclass, replace

import numpy as np

from fedplan import geo
from fedplan.inputs.errors import InputError, nearest
from fedplan.inputs.model import Catalogue, Practices, Scenario
from fedplan.inputs.ranges import FigureRange, figure_value, with_figure
from fedplan.optimise import FederationProblem, ProblemInfeasible, solve_federations
from fedplan.optimise.result import canonical

from .baseline import baseline_start, cost_baseline
from .problem import build_problem, load_catalogue, load_practices, travel_minutes

# catalogue columns that only matter when the service may be run in-house / may be bought
INHOUSE_ONLY = ("inhouse_fixed_cost_gbp_per_team_per_year", "team_capacity_activities_per_year",
                "inhouse_variable_cost_gbp_per_activity")
BUY_ONLY = ("buy_price_gbp_per_activity", "contract_management_gbp_per_year")
PLAN_STATUSES = ("optimal", "feasible")


@dataclass(frozen=True, eq=False)
class Context:
    """Everything a worker needs to build any variant's problem, read once by the client (so no
    worker re-reads the practice table or the travel-time file)."""

    scenario: Scenario
    practices: Practices
    distance_km: np.ndarray
    minutes: np.ndarray | None
    catalogue: Catalogue


def load_context(scenario: Scenario, practices: Practices | None = None) -> Context:
    """Read the scenario's practices (unless given), distances, travel times and catalogue
    (InputError on bad input)."""
    practices = load_practices(scenario) if practices is None else practices
    return Context(scenario, practices, geo.distance_km(practices), travel_minutes(practices, scenario),
                   load_catalogue(scenario))


def skip_reason(scenario: Scenario, catalogue: Catalogue, r: FigureRange) -> str | None:
    """Why a figure is not varied for this scenario, or None when it is."""
    if r.low == r.high:
        return f"no range: low, central and high are all {r.central:g}"
    section, _, rest = r.figure.partition(".")
    if section == "risk" and not scenario.risk.enabled:
        return "[risk] enabled = false: the model has no risk term"
    if section == "engagement" and not scenario.engagement.enabled:
        return "[engagement] enabled = false: the model has no engagement term"
    if (r.figure.startswith(("engagement.incentive_", "engagement.member_success"))
            and not scenario.engagement.pooled_incentive):
        return "[engagement] pooled_incentive = false: the model has no pooled-incentive term"
    by_minutes = scenario.inputs.travel_times is not None or scenario.costs.access == "minutes"
    if r.figure == "costs.travel_gbp_per_minute" and not by_minutes:
        return "access is priced per straight-line km ([costs] access = \"km\", no travel_times file)"
    if section == "catalogue":
        if not scenario.makebuy.joint:
            return "[makebuy] joint = false: services are not part of the plan's cost"
        service, _, column = rest.rpartition(".")
        if service not in catalogue.names():
            return f"the scenario's catalogue has no service {service!r}"
        modes = catalogue.get(service).allowed_modes
        if column in INHOUSE_ONLY and "inhouse" not in modes:
            return f"{service} cannot be run in-house (allowed_modes), so this in-house figure never counts"
        if column in BUY_ONLY and "buy" not in modes:
            return f"{service} cannot be bought (allowed_modes), so this purchase figure never counts"
    return None


def select_figures(scenario: Scenario, catalogue: Catalogue, ranges: tuple[FigureRange, ...],
                   wanted: tuple[str, ...] | None = None) -> tuple[list[FigureRange], list[dict]]:
    """(the figures to vary, [{"parameter", "reason"}] of those skipped). ``wanted`` narrows the
    list to those keys; a key the ranges do not have is an InputError naming the nearest."""
    by_key = {r.figure: r for r in ranges}
    if wanted is not None:
        for key in wanted:
            if key not in by_key:
                hint = nearest(key, tuple(by_key))
                raise InputError(f"--figures names {key!r}, which the figure ranges do not have.",
                                 fix=(f"did you mean {hint}? " if hint else "")
                                 + "give comma-separated keys from the figure column of the ranges file, "
                                   "e.g. risk.risk_share,costs.federation_fixed_gbp.")
        ranges = tuple(by_key[k] for k in dict.fromkeys(wanted))
    varied, skipped = [], []
    for r in ranges:
        why = skip_reason(scenario, catalogue, r)
        if why is None:
            varied.append(r)
        else:
            skipped.append({"parameter": r.figure, "reason": why})
    return varied, skipped


def current_value(ctx: Context, figure: str) -> float:
    """The figure's value in the base scenario (which may differ from the range's central)."""
    return figure_value(ctx.scenario, ctx.catalogue, figure)


def draw_values(figures: list[FigureRange], seed: int, index: int) -> dict[str, float]:
    """Draw ``index``'s value of every figure (see the module docstring for the distribution)."""
    out = {}
    for r in figures:
        rng = np.random.default_rng([int(seed), int(index), zlib.crc32(r.figure.encode("utf-8"))])
        out[r.figure] = float(rng.triangular(r.low, r.central, r.high))
    return out


def apply(ctx: Context, changes) -> tuple[Scenario, Catalogue]:
    """The base scenario and catalogue with each (figure, value) of ``changes`` set."""
    sc, cat = ctx.scenario, ctx.catalogue
    for figure, value in changes:
        sc, cat = with_figure(sc, cat, figure, float(value))
    return sc, cat


def fingerprint(problem: FederationProblem) -> str:
    """A hash of everything that prices or limits a plan: two problems with the same fingerprint
    have the same plans at the same costs, so a figure that leaves it unchanged needs no solve."""
    h = hashlib.sha256()
    for a in (problem.assign_cost, problem.allowed, problem.list_size):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(repr((float(problem.hub_cost), problem.min_population, problem.max_population, problem.n_federations,
                   problem.together, problem.apart, problem.adjacency)).encode())
    if problem.size_cost is not None:
        h.update(repr(problem.size_cost.lo).encode())
        h.update(problem.size_cost.values.tobytes())
    if problem.member_cost is not None:
        h.update(b"member")
        h.update(problem.member_cost.rate.tobytes())
    return h.hexdigest()


def plan_positions(practices: Practices, plan: dict) -> tuple[np.ndarray, tuple[int, ...]]:
    """A recorded plan ({"assignment": {code: federation}, "hubs": {federation: code}}) as the
    engine's arrays: a 0-based federation per practice position, and each federation's hub position."""
    feds = sorted(int(f) for f in plan["hubs"])      # JSON keys are text
    number = {f: k for k, f in enumerate(feds)}
    assignment = np.array([number[int(plan["assignment"][c])] for c in practices.code], dtype=np.int64)
    return assignment, tuple(practices.index(plan["hubs"][str(f)]) for f in feds)


def _plan_record(practices: Practices, assignment, hubs) -> dict:
    """A plan as JSON: federations numbered 1.. in the order of their hub's code (``canonical``),
    each practice's federation, each federation's hub and population."""
    a, h = canonical(np.asarray(assignment), hubs, practices.code)
    sizes = np.bincount(a, weights=practices.list_size, minlength=len(h)).astype(np.int64)
    return {"assignment": {c: int(f) + 1 for c, f in zip(practices.code, a)},
            "hubs": {str(f + 1): practices.code[j] for f, j in enumerate(h)},
            "sizes": [int(s) for s in sizes]}


def _finite(x) -> float | None:
    """A float for JSON (which has no NaN or infinity), or None."""
    return None if x is None or not np.isfinite(float(x)) else float(x)


def _outcome(res_fields: dict, baseline_gbp: float) -> dict:
    obj = res_fields.get("objective_gbp")
    n = res_fields.get("n_federations")
    out = dict(res_fields)
    # the saving from the rounded figures, so that the record adds up as written
    baseline_gbp = round(float(baseline_gbp), 2)
    out["baseline_gbp"] = baseline_gbp
    has = obj is not None and res_fields.get("status") in PLAN_STATUSES
    out["saving_gbp"] = round(baseline_gbp - obj, 2) if has else None
    out["saving_share"] = (baseline_gbp - obj) / baseline_gbp if has and baseline_gbp else None
    sizes = res_fields.get("sizes") or []
    out["mean_size"] = float(np.mean(sizes)) if has and n else None
    return out


def solve_variant(ctx: Context, changes, base: dict | None = None) -> dict:
    """Solve the base scenario with ``changes`` ((figure, value) pairs) under its work limit.

    Without ``base`` this is the base plan, warm-started from today's PCNs (as ``fedplan plan``
    does). With ``base`` (the base task's record) the solve starts from the base plan, which every
    variant allows (figures change costs, never rules); a variant whose problem has the base's
    fingerprint is not solved again: it has the base's plans at the base's costs, so the base
    result is its result ("no_effect"), only today's PCNs are re-costed (a PCN outside the
    planners' range may price a figure the plans never meet). Never raises for a variant without
    a plan: the record says so."""
    started = time.perf_counter()
    sc, cat = apply(ctx, changes)
    p = ctx.practices
    problem = build_problem(p, sc, ctx.distance_km, cat, ctx.minutes)
    baseline = cost_baseline(p, problem, sc, cat)
    fp = fingerprint(problem)
    if base is not None and fp == base.get("fingerprint"):
        keep = ("status", "objective_gbp", "bound_gbp", "gap", "n_federations", "assignment", "hubs", "sizes",
                "work_units", "repeatable", "message")
        out = _outcome({k: base.get(k) for k in keep}, baseline.cost_gbp)
        return out | {"no_effect": True, "fingerprint": fp, "seconds": round(time.perf_counter() - started, 3)}
    s = sc.solve
    warm = plan_positions(p, base) if base is not None else baseline_start(p, baseline)
    try:
        res = solve_federations(problem, s.solver, time_limit_s=s.time_limit_s, gap=s.gap, seed=s.seed,
                                threads=s.threads, warm_start=warm, names=p.name, method=s.method,
                                work_limit=s.work_limit)
    except ProblemInfeasible as exc:
        fields = {"status": "infeasible", "objective_gbp": None, "bound_gbp": None, "gap": None,
                  "n_federations": None, "message": " ".join(exc.reasons), "reasons": list(exc.reasons)}
        return _outcome(fields, baseline.cost_gbp) | {"no_effect": False, "fingerprint": fp,
                                                      "seconds": round(time.perf_counter() - started, 3)}
    fields = {"status": str(res.status), "objective_gbp": None if res.objective is None else round(res.objective, 2),
              "bound_gbp": None if res.bound is None else round(res.bound, 2),
              "gap": _finite(res.gap), "n_federations": res.n_federations,
              "work_units": None if res.work_units is None else round(float(res.work_units), 3),
              "repeatable": bool(res.repeatable), "message": res.message}
    if res.has_plan:
        fields |= _plan_record(p, res.assignment, res.hubs)
    return _outcome(fields, baseline.cost_gbp) | {"no_effect": False, "fingerprint": fp,
                                                  "seconds": round(time.perf_counter() - started, 3)}


def recost(ctx: Context, changes, plans: list[tuple[np.ndarray, tuple[int, ...]]]) -> dict:
    """Today's PCNs and each fixed plan costed under one draw's figures: {"baseline_gbp", "costs"},
    a cost of None for a plan that breaks the draw's rules (or costs a non-finite amount there)."""
    sc, cat = apply(ctx, changes)
    problem = build_problem(ctx.practices, sc, ctx.distance_km, cat, ctx.minutes)
    baseline = cost_baseline(ctx.practices, problem, sc, cat)
    costs: list[float | None] = []
    for assignment, hubs in plans:
        ok = problem.is_feasible(assignment, hubs)
        cost = problem.cost(assignment, hubs) if ok else float("nan")
        costs.append(float(cost) if np.isfinite(cost) else None)
    return {"baseline_gbp": float(baseline.cost_gbp), "costs": costs}


def for_solve(scenario: Scenario, work_limit: float) -> Scenario:
    """The scenario as every task solves it: under the work limit, without pricing rules."""
    return replace(scenario, solve=replace(scenario.solve, work_limit=float(work_limit), price_rules=False))
