"""Independent check of a plan and of what the engine claims about it.

``verify(scenario, assignment, hubs, claimed=...)`` takes a plan as practice code -> federation
and federation -> hub code, and the engine's claims (status, cost, lower bound, gap). It
re-reads the practices, the service catalogue and the travel-time file named by the scenario,
then recomputes, in its own plain code, everything the plan must satisfy and everything it costs:

- every participating practice in exactly one federation, each hub one of its members and (when
  listed) a hub candidate; population bounds (hard, or the outer window of soft bounds); locks,
  together / apart pairs, the fixed number of federations; nesting; the distance limit (straight
  line in EPSG:27700) and travel-time limit (from the file); contiguity on a practice graph it
  builds itself (Delaunay triangulation of the distinct practice sites, scipy.spatial.Delaunay);
- the annual cost: make-or-buy per service, risk, soft-bound penalty (``verify_costs``, written
  from the rules, one federation at a time), access, fixed cost and disruption;
- the claims: the recomputed cost equals the claimed one (to a penny per £1e8, or 0.01); the
  bound is not above the cost (beyond ``PROOF_TOLERANCE``); the gap is (cost − bound) / |cost|;
  "optimal" only when cost − bound <= ``PROOF_TOLERANCE``.

What is shared with the engine, on purpose: the input readers of ``inputs`` (files are read the
same way, with the same validation and the same area selection), ``geo.project_practices``
(lat/lon to EPSG:27700), the scenario dataclasses, and ``PROOF_TOLERANCE`` from
``optimise.result``. Nothing else: no model builder, size-cost table, make-or-buy or risk helper,
formulation, solver or adjacency code of the engine is imported, so a bug there cannot hide
itself here. ``verify_cpmp`` does the same for ``fedplan bench``'s capacitated p-median answers.
"""
from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from fedplan.inputs.model import Practices, Scenario

from .result import PROOF_TOLERANCE, within_proof_tolerance
from .verify_costs import (allowed_population_range, by_sessions, engagement_cost, risk_cost, services_cost, soft_bound_penalty)

# the recomputed cost must match the claimed one to 1e-9 of it (10p on £1e8) or 0.01, the larger
COST_RELATIVE_TOLERANCE = 1e-9
COST_ABSOLUTE_TOLERANCE = 0.01
GAP_TOLERANCE = 1e-6
LIMIT_SLACK = 1e-9               # km or minutes: a member exactly at a limit is within it
NEST_FIELD = {"sub_icb": "sub_icb_code", "icb": "icb_code", "lad": "lad_code"}


@dataclass(frozen=True)
class Claim:
    """What the engine says about its plan. ``None`` where it says nothing."""

    status: str | None = None          # "optimal" | "feasible" | ...
    objective: float | None = None     # £/yr (or distance units for a p-median file)
    bound: float | None = None         # a lower bound on every plan's cost
    gap: float | None = None           # (objective - bound) / |objective|
    requested_gap: float = 0.0         # the gap the run was asked to reach

    @classmethod
    def from_result(cls, result, requested_gap: float | None = None) -> "Claim":
        """The claims of an ``optimise.Result``."""
        asked = getattr(result, "requested_gap", 0.0) if requested_gap is None else requested_gap
        return cls(status=str(result.status), objective=_number(result.objective), bound=_number(result.bound),
                   gap=_number(result.gap), requested_gap=float(asked or 0.0))


@dataclass(frozen=True)
class Verification:
    ok: bool
    problems: tuple[str, ...]
    populations: Mapping[object, int] = field(default_factory=dict)
    cost_gbp: float = float("nan")
    cost_breakdown: Mapping[str, float] = field(default_factory=dict)

    def raise_if_failed(self) -> None:
        if not self.ok:
            raise AssertionError("plan failed verification: " + "; ".join(self.problems))


def _number(x) -> float | None:
    return None if x is None else float(x)


# ------------------------------------------------------------------ reading the inputs again


def read_practices(scenario: Scenario) -> Practices:
    """The scenario's participating practices, read from its files (or the shipped table),
    selected to its area and projected to EPSG:27700."""
    from fedplan import geo
    from fedplan import inputs
    from fedplan.inputs.errors import InputError

    spec = scenario.inputs
    fmt = None if spec.practices is None else inputs.detect_format(spec.practices)
    if fmt is None:
        table = inputs.load_national_practices()
    elif fmt == "fedplan":
        table = inputs.read_practices(spec.practices)
    else:
        if spec.postcodes is None:
            raise InputError(f"an NHS '{fmt}' practice file needs a postcode table for coordinates.",
                             file=str(spec.practices), column="inputs.postcodes", fix="add postcodes to [inputs].")
        table = inputs.read_nhs_practices(map_path=spec.practices if fmt == "nhs-map" else None,
                                          all_path=spec.practices if fmt == "nhs-all" else spec.list_sizes,
                                          postcodes_path=spec.postcodes)
    return geo.project_practices(inputs.select_area(table, scenario.area))


def read_catalogue(scenario: Scenario):
    """The catalogue re-read, with the scenario's overrides, staffed as ``[makebuy] staffing``
    says (``verify_costs.by_sessions``, verify's own statement of the rule)."""
    from fedplan import inputs
    cat = inputs.apply_overrides(inputs.read_catalogue(scenario.inputs.catalogue), scenario.service_overrides,
                                 scenario.source or "scenario")
    return by_sessions(cat, scenario.makebuy)


def read_minutes(path) -> dict[tuple[str, str], float]:
    """(origin, destination) -> minutes from a travel-time file; ``inf`` for no route."""
    from fedplan import inputs
    tt = inputs.read_travel_times(path)
    return {(o, d): float(m) for o, d, m in zip(tt.origins, tt.destinations, tt.minutes)}


def model_minutes(practices: Practices, pairs) -> dict[tuple[str, str], float]:
    """(origin, destination) -> minutes for ``pairs`` from the shipped road-time model (with its
    stated ferry links), for ``[costs] access = "minutes"`` without a file: the same input data
    the engine priced, recomputed here from the practices verify re-read."""
    from fedplan.geo.travel_model import practice_travel_minutes
    m = practice_travel_minutes(practices).minutes
    index = {c: i for i, c in enumerate(practices.code)}
    return {(a, b): float(m[index[a], index[b]]) for a, b in pairs if a in index and b in index}


# ------------------------------------------------------------------ the check


def verify(scenario: Scenario, assignment: Mapping[str, object], hubs: Mapping[object, str], *,
           claimed: Claim | None = None, practices: Practices | None = None) -> Verification:
    """Check a plan (``practice_code -> federation id``, ``federation id -> hub code``) against
    the scenario's rules, recompute its cost, and check ``claimed`` against it.

    The practices, catalogue and travel times are re-read from the files the scenario names;
    ``practices`` is only for library callers holding practices built in memory (then the rest
    is still recomputed here)."""
    problems: list[str] = []
    if practices is None:
        try:
            practices = read_practices(scenario)
        except Exception as exc:  # noqa: BLE001 - an unreadable input means "not verified", said in words
            return Verification(False, (f"cannot re-read the practices to verify the plan: {exc}",))
    codes = list(practices.code)
    size = {c: int(practices.list_size[i]) for i, c in enumerate(codes)}
    where = {c: (float(practices.easting[i]), float(practices.northing[i])) for i, c in enumerate(codes)}
    pcn = {c: practices.pcn_code[i] for i, c in enumerate(codes)}
    rules = scenario.constraints

    # every participating practice exactly once (a mapping cannot list one twice), nothing else
    for code in assignment:
        if code not in size:
            problems.append(f"practice {code} is in the plan but not among the participating practices")
    missing = [c for c in codes if c not in assignment]
    if missing:
        problems.append(f"{len(missing)} practice(s) have no federation, e.g. {', '.join(missing[:5])}")
    members: dict[object, list[str]] = defaultdict(list)
    for code, fid in assignment.items():
        members[fid].append(code)
    populations = {fid: sum(size.get(c, 0) for c in ms) for fid, ms in members.items()}
    for code, (e, n) in where.items():
        if not (math.isfinite(e) and math.isfinite(n)):
            problems.append(f"practice {code} has no easting/northing: distances cannot be checked")

    # population bounds (soft bounds: the outer window; the range itself is priced below)
    bounds = scenario.bounds
    low, high = allowed_population_range(bounds, size.values())
    for fid, pop in populations.items():
        if not low <= pop <= high:
            problems.append(f"federation {fid} has {pop:,} patients, outside {low:,}-{high:,}"
                            + (" (the widest range soft bounds allow)" if bounds.soft else ""))

    # hubs: one per federation, a member, a candidate when candidates are listed
    candidates = set(rules.hub_candidates)
    for code in sorted(candidates - set(size)):
        problems.append(f"hub candidate {code} is not among the participating practices")
    for fid in members:
        if fid not in hubs:
            problems.append(f"federation {fid} has no hub")
    for fid, hub in hubs.items():
        if fid not in members:
            problems.append(f"hub {hub} is given for federation {fid}, which has no members")
        elif hub not in members[fid]:
            problems.append(f"hub {hub} of federation {fid} is not one of its members")
        if candidates and hub not in candidates:
            problems.append(f"hub {hub} of federation {fid} is not among the hub candidates")

    # locks, pairs, count
    for code, hub in rules.locks:
        host = hubs.get(assignment.get(code)) if code in assignment else None
        if code not in size or hub not in size:
            problems.append(f"lock {code} = {hub} names a practice that is not participating")
        elif host != hub:
            problems.append(f"practice {code} is locked to hub {hub} but its federation is hosted by {host}")
    for first, second in rules.together:
        if first in assignment and second in assignment and assignment[first] != assignment[second]:
            problems.append(f"practices {first} and {second} must share a federation but are in "
                            f"{assignment[first]} and {assignment[second]}")
    for first, second in rules.apart:
        if first in assignment and second in assignment and assignment[first] == assignment[second]:
            problems.append(f"practices {first} and {second} must not share a federation but are both in "
                            f"{assignment[first]}")
    for key, pairs in (("together", rules.together), ("apart", rules.apart)):
        for pair in pairs:
            if any(c not in size for c in pair):
                problems.append(f"the {key} pair {pair[0]}, {pair[1]} names a practice that is not participating")
    if rules.n_federations is not None and len(members) != rules.n_federations:
        problems.append(f"{len(members)} federations, but the scenario fixes {rules.n_federations}")

    # nesting
    if rules.nest_within != "none":
        area_of = dict(zip(codes, getattr(practices, NEST_FIELD[rules.nest_within])))
        for fid, ms in members.items():
            areas = {area_of[c] for c in ms if c in area_of}
            if len(areas) > 1:
                problems.append(f"federation {fid} crosses {rules.nest_within} boundaries: {', '.join(sorted(areas))}")

    # contiguity on the practice graph built here
    if rules.contiguity:
        placed = [c for c in codes if all(math.isfinite(v) for v in where[c])]
        neighbours = practice_neighbours({c: where[c] for c in placed})
        for fid, ms in members.items():
            if not _connected([c for c in ms if c in neighbours], neighbours):
                problems.append(f"federation {fid} is not contiguous on the practice adjacency graph")

    # access (km or minutes), limits, disruption
    costs = scenario.costs
    minutes = None
    if scenario.inputs.travel_times is not None:
        try:
            minutes = read_minutes(scenario.inputs.travel_times)
        except Exception as exc:  # noqa: BLE001
            problems.append(f"cannot re-read the travel-time file: {exc}")
    elif costs.access == "minutes":
        try:
            minutes = model_minutes(practices, [(c, hubs.get(fid)) for fid, ms in members.items() for c in ms])
        except Exception as exc:  # noqa: BLE001
            problems.append(f"cannot recompute the road travel times: {exc}")
    elif rules.max_travel_minutes is not None:
        problems.append("max_travel_minutes is set but access is in km and the scenario names no travel_times file")
    by_minutes = scenario.inputs.travel_times is not None or costs.access == "minutes"
    access = disruption = 0.0
    for fid, ms in members.items():
        hub = hubs.get(fid)
        if hub not in where:
            continue
        for code in ms:
            if code not in where:
                continue
            km = math.hypot(where[code][0] - where[hub][0], where[code][1] - where[hub][1]) / 1000.0
            if rules.max_distance_km is not None and km > rules.max_distance_km + LIMIT_SLACK:
                problems.append(f"practice {code} is {km:.1f} km from hub {hub}, over the limit of "
                                f"{rules.max_distance_km:g} km")
            trips = size[code] * costs.hub_visits_per_patient * 2.0        # return trips a year
            if not by_minutes:
                access += trips * km * costs.travel_gbp_per_km
            elif minutes is not None:
                m = minutes.get((code, hub), 0.0 if code == hub else None)
                if m is None:
                    problems.append(f"the travel-time file has no time from {code} to its hub {hub}")
                elif math.isinf(m):
                    problems.append(f"practice {code} has no route to its hub {hub} "
                                    + ("in the travel-time file" if scenario.inputs.travel_times is not None else
                                       "by road or a stated ferry link (geo.travel_model)"))
                else:
                    # time at the value of time, and the car's running by straight-line km
                    access += trips * (m * costs.travel_gbp_per_minute + km * costs.travel_gbp_per_km)
                    if rules.max_travel_minutes is not None and m > rules.max_travel_minutes + LIMIT_SLACK:
                        problems.append(f"practice {code} is {m:.1f} minutes from hub {hub}, over the limit of "
                                        f"{rules.max_travel_minutes:g}")
            if costs.disruption_gbp_per_patient > 0 and pcn[code] and pcn[code] != pcn.get(hub):
                disruption += costs.disruption_gbp_per_patient * size[code]

    # the size-dependent terms, one federation at a time
    services = risk = penalty = engagement = 0.0
    if scenario.makebuy.joint:
        try:
            catalogue = read_catalogue(scenario)
        except Exception as exc:  # noqa: BLE001
            catalogue = None
            problems.append(f"cannot re-read the service catalogue: {exc}")
        for fid, pop in populations.items():
            if catalogue is None:
                break
            cost = services_cost(catalogue, pop, shared_hub_gbp=scenario.makebuy.shared_hub_gbp,
                                 max_inhouse=scenario.makebuy.max_inhouse)
            if not math.isfinite(cost):
                problems.append(f"federation {fid} ({pop:,} patients) has no allowed way to provide every service")
            services += cost
    # the area's list-weighted mean practice list, over every participating practice
    lists = [float(v) for v in size.values()]
    mean_list = sum(v * v for v in lists) / sum(lists) if sum(lists) > 0 else 0.0
    for fid, pop in populations.items():
        risk += risk_cost(scenario.risk, pop, mean_list)
        penalty += soft_bound_penalty(bounds, pop)
        engagement += engagement_cost(scenario.engagement, len(members[fid]), pop)
    fixed = costs.federation_fixed_gbp * len(members)
    total = services + risk + engagement + access + fixed + disruption + penalty
    breakdown = {"services": services, "risk": risk, "engagement": engagement, "access": access,
                 "federation_fixed": fixed, "disruption": disruption} | ({"penalty": penalty} if bounds.soft else {})

    if claimed is not None:
        problems += check_claim(claimed, total, unit="£")
    return Verification(ok=not problems, problems=tuple(problems), populations=populations, cost_gbp=total,
                        cost_breakdown=breakdown)


def _same_cost(a: float, b: float) -> bool:
    return abs(a - b) <= max(COST_ABSOLUTE_TOLERANCE, COST_RELATIVE_TOLERANCE * max(abs(a), abs(b)))


def _money(x: float, unit: str) -> str:
    return f"£{x:,.2f}" if unit == "£" else f"{x:,.4f}"


def check_claim(claim: Claim, recomputed: float, unit: str = "£") -> list[str]:
    """What is wrong with the engine's claims about a plan whose cost was recomputed as ``recomputed``."""
    out: list[str] = []
    status = None if claim.status is None else str(claim.status).lower()
    if status is not None and status not in ("optimal", "feasible"):
        out.append(f"the status '{status}' claims there is no plan, but a plan was given")
    obj, bound, gap = claim.objective, claim.bound, claim.gap
    if obj is None:
        if status in ("optimal", "feasible"):
            out.append(f"the status is {status} but no cost was reported")
        obj = recomputed
    elif not math.isfinite(recomputed) or not _same_cost(obj, recomputed):
        out.append(f"reported cost {_money(obj, unit)} differs from the recomputed {_money(recomputed, unit)}")
    if bound is None or not math.isfinite(bound):
        if gap is not None:
            out.append(f"a gap of {gap:.6g} is reported without a lower bound")
        if status == "optimal":
            out.append("the plan is called optimal without a lower bound to prove it")
        return out
    if bound > obj + PROOF_TOLERANCE:
        out.append(f"the lower bound {_money(bound, unit)} is above the plan's cost {_money(obj, unit)}: "
                   "the bound is not valid")
    if abs(obj) < 1e-9:
        expected = 0.0 if abs(bound) < 1e-9 else math.inf
    else:
        expected = (obj - bound) / abs(obj)
    if gap is None:
        out.append(f"no gap is reported with the bound {_money(bound, unit)}")
    elif not any(abs(gap - e) <= GAP_TOLERANCE or gap == e for e in (expected, max(0.0, expected))):
        out.append(f"the reported gap {gap:.6%} is not (cost - bound) / |cost| = {expected:.6%}")
    if status == "optimal" and not within_proof_tolerance(obj, bound):
        words = (f"the plan is called optimal but its cost exceeds the lower bound by {_money(obj - bound, unit)} "
                 f"(gap {expected:.4%}), more than the proof tolerance of {PROOF_TOLERANCE:g}")
        if claim.requested_gap > 0 and expected <= claim.requested_gap:
            words += f"; meeting the requested gap of {claim.requested_gap:.4%} is not a proof"
        out.append(words)
    return out


# ------------------------------------------------------------------ contiguity graph


def practice_neighbours(positions: Mapping[str, tuple[float, float]]) -> dict[str, set[str]]:
    """Which practices neighbour which, from their easting/northing (metres).

    Practices are grouped into sites by their position rounded to the metre (several practices
    often share a building). Practices at one site neighbour each other and every practice at a
    neighbouring site; sites neighbour when they share an edge of the Delaunay triangulation of
    the sites. Sites all on one line have no triangulation and neighbour along the line. Sites
    are handed to Qhull sorted by (easting, northing): where four or more sites lie on one circle
    the triangulation is not unique, and this order makes the choice a fixed part of the graph.
    """
    at_site: dict[tuple[int, int], list[str]] = defaultdict(list)
    for code, (e, n) in positions.items():
        at_site[(round(float(e)), round(float(n)))].append(code)
    sites = sorted(at_site)
    neighbours: dict[str, set[str]] = {c: set() for c in positions}

    def link(a: str, b: str) -> None:
        neighbours[a].add(b)
        neighbours[b].add(a)

    for group in at_site.values():
        for a, b in itertools.combinations(group, 2):
            link(a, b)
    for s, t in _site_pairs(sites):
        for a in at_site[sites[s]]:
            for b in at_site[sites[t]]:
                link(a, b)
    return neighbours


def _on_one_line(sites: list[tuple[int, int]]) -> bool:
    (x0, y0), (x1, y1) = sites[0], sites[-1]
    return all((x1 - x0) * (y - y0) - (y1 - y0) * (x - x0) == 0 for x, y in sites)


def _site_pairs(sites: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """Neighbouring site positions (indices into the sorted ``sites``)."""
    m = len(sites)
    along_the_line = {(i, i + 1) for i in range(m - 1)}     # sorted sites on a line are in line order
    if m < 3 or _on_one_line(sites):
        return along_the_line
    import numpy as np
    from scipy.spatial import Delaunay, QhullError

    try:
        tri = Delaunay(np.array(sites, dtype=float))
    except QhullError:          # numerically on a line
        return along_the_line
    pairs = set()
    for triangle in tri.simplices:
        for a, b in itertools.combinations(sorted(int(v) for v in triangle), 2):
            pairs.add((a, b))
    for point, _triangle, vertex in tri.coplanar:           # sites Qhull left out: to their nearest vertex
        pairs.add((min(int(point), int(vertex)), max(int(point), int(vertex))))
    return _joined(pairs, sites)


def _joined(pairs: set[tuple[int, int]], sites: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """Add the shortest links between pieces until the site graph is connected (a safety net:
    a Delaunay triangulation is connected)."""
    pairs = set(pairs)
    while True:
        near: dict[int, set[int]] = defaultdict(set)
        for a, b in pairs:
            near[a].add(b)
            near[b].add(a)
        piece = _reach(0, near)
        if len(piece) == len(sites):
            return pairs
        a, b = min(((i, j) for i in piece for j in range(len(sites)) if j not in piece),
                   key=lambda ij: math.dist(sites[ij[0]], sites[ij[1]]))
        pairs.add((min(a, b), max(a, b)))


def _reach(start, near: Mapping) -> set:
    seen, todo = {start}, [start]
    while todo:
        for b in near.get(todo.pop(), ()):
            if b not in seen:
                seen.add(b)
                todo.append(b)
    return seen


def _connected(members: list[str], neighbours: Mapping[str, set[str]]) -> bool:
    if len(members) <= 1:
        return True
    inside = set(members)
    within = {c: neighbours[c] & inside for c in members}
    return _reach(members[0], within) == inside


# ------------------------------------------------------------------ capacitated p-median (fedplan bench)


def cpmp_distance(fmt: str, a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance between two points of a p-median file: Euclidean; truncated to a whole number
    for OR-Library pmedcap files (exactly, by integer square root, when coordinates are whole)."""
    dx, dy = a[0] - b[0], a[1] - b[1]
    if fmt != "orlib-pmedcap":
        return math.hypot(dx, dy)
    if float(dx).is_integer() and float(dy).is_integer():
        return float(math.isqrt(int(dx) ** 2 + int(dy) ** 2))
    return float(math.floor(math.hypot(dx, dy) + 1e-9))


def verify_cpmp(path: Path | str, fmt: str, answer: Mapping) -> Verification:
    """Check ``fedplan bench``'s answer (``medians``, ``assignment`` point id -> median id, both
    the file's 1-based ids, and its claims ``status``, ``objective``, ``bound``, ``gap``) against
    the instance file, read again: exactly p distinct medians, every point assigned once to one
    of them, each median's load within its capacity, the objective re-summed from distances."""
    from fedplan.inputs.cpmp import read_cpmp

    inst = read_cpmp(Path(path), fmt)
    ids = [int(i) for i in inst.ids]
    pos = {i: k for k, i in enumerate(ids)}
    xy = {i: (float(inst.xy[pos[i]][0]), float(inst.xy[pos[i]][1])) for i in ids}
    demand = {i: float(inst.demand[pos[i]]) for i in ids}
    capacity = {i: float(inst.capacity[pos[i]]) for i in ids}
    problems: list[str] = []
    medians = [int(m) for m in answer.get("medians") or []]
    if len(medians) != inst.p:
        problems.append(f"{len(medians)} medians, but the instance asks for exactly {inst.p}")
    if len(set(medians)) != len(medians):
        problems.append("a median is listed twice")
    for m in medians:
        if m not in pos:
            problems.append(f"median {m} is not a point of the instance")
    load: dict[int, float] = defaultdict(float)
    total = 0.0
    seen = set()
    for key, median in (answer.get("assignment") or {}).items():
        point, median = int(key), int(median)
        if point not in pos:
            problems.append(f"point {point} is not in the instance")
            continue
        seen.add(point)
        if median not in medians or median not in pos:
            problems.append(f"point {point} is assigned to {median}, which is not a median")
            continue
        load[median] += demand[point]
        total += cpmp_distance(fmt, xy[point], xy[median])
    missing = [i for i in ids if i not in seen]
    if missing:
        problems.append(f"{len(missing)} point(s) are not assigned, e.g. {', '.join(map(str, missing[:5]))}")
    for m, used in sorted(load.items()):
        if used > capacity[m] + 1e-9:
            problems.append(f"median {m} serves a demand of {used:g}, over its capacity of {capacity[m]:g}")
    claim = Claim(status=answer.get("status"), objective=_number(answer.get("objective")),
                  bound=_number(answer.get("bound")), gap=_number(answer.get("gap")))
    problems += check_claim(claim, total, unit="")
    return Verification(ok=not problems, problems=tuple(problems), populations=dict(load), cost_gbp=total,
                        cost_breakdown={"distance": total})
