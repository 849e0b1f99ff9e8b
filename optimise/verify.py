"""Independent check of a plan, from the raw practice data and the scenario's rules alone.

It shares no code with the model builders or the solvers: populations, distances and costs are
recomputed here from list sizes and coordinates, so a bug in a formulation cannot hide itself.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import numpy as np

from inputs.model import Catalogue, Practices, Scenario

from .sizecost import bound_penalty, population_window


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


def _connected(members: list[str], edges: set[frozenset[str]]) -> bool:
    if len(members) <= 1:
        return True
    todo, seen = [members[0]], {members[0]}
    inside = set(members)
    while todo:
        a = todo.pop()
        for b in inside - seen:
            if frozenset((a, b)) in edges:
                seen.add(b)
                todo.append(b)
    return seen == inside


def verify(
    practices: Practices,
    assignment: Mapping[str, object],
    hubs: Mapping[object, str],
    scenario: Scenario,
    *,
    adjacency: Iterable[tuple[str, str]] | None = None,
    expected_cost: float | None = None,
    hard_bounds: bool = True,
    catalogue: Catalogue | None = None,
    travel_minutes: np.ndarray | None = None,
) -> Verification:
    """Check a plan given as ``practice_code -> federation_id`` and ``federation_id -> hub code``.

    Checks: every participating practice exactly once and nothing else; each hub a member of its
    federation; population bounds (when hard); fixed number of federations; maximum distance to
    the hub; nesting; contiguity over ``adjacency`` when the scenario asks for it; and the annual
    cost recomputed from coordinates (straight-line km in EPSG:27700) and list sizes, plus each
    federation's make-or-buy (``makebuy.make_or_buy``, one federation at a time, not the engine's
    tabulated size cost) and risk when the scenario puts them in the model, compared with
    ``expected_cost`` if given. ``catalogue`` defaults to the scenario's (file + overrides).
    With a travel-time file in the scenario, access is priced per minute from it instead
    (``travel_minutes``, practices x practices in ``practices.code`` order, read from the file
    when not given), unreachable hubs are errors and ``max_travel_minutes`` is checked.
    """
    problems: list[str] = []
    codes = list(practices.code)
    known = set(codes)
    for code in assignment:
        if code not in known:
            problems.append(f"practice {code} is in the plan but not among the participating practices")
    missing = [c for c in codes if c not in assignment]
    if missing:
        problems.append(f"{len(missing)} practice(s) have no federation, e.g. {', '.join(missing[:5])}")
    members: dict[object, list[str]] = defaultdict(list)
    for code, fid in assignment.items():
        members[fid].append(code)
    pos = {c: i for i, c in enumerate(codes)}
    size = {c: int(practices.list_size[i]) for i, c in enumerate(codes)}
    e = {c: float(practices.easting[i]) for i, c in enumerate(codes)}
    n_ = {c: float(practices.northing[i]) for i, c in enumerate(codes)}
    populations = {fid: sum(size.get(c, 0) for c in ms) for fid, ms in members.items()}
    b = scenario.bounds
    soft = bool(getattr(b, "soft", False))
    # soft bounds: the range may be left at a price, but not the outer window (population_window)
    lo, hi = population_window(b, practices.list_size) if soft else (b.min_population, b.max_population)
    for fid, pop in populations.items():
        if hard_bounds and not (lo <= pop <= hi):
            problems.append(f"federation {fid} has {pop:,} patients, outside {lo:,}-{hi:,}")
    for fid in members:
        if fid not in hubs:
            problems.append(f"federation {fid} has no hub")
    candidates = set(getattr(scenario.constraints, "hub_candidates", ()) or ())
    for fid, hub in hubs.items():
        if candidates and hub not in candidates:
            problems.append(f"hub {hub} of federation {fid} is not among the hub candidates")
        if fid not in members:
            problems.append(f"hub {hub} is given for federation {fid}, which has no members")
        elif hub not in members[fid]:
            problems.append(f"hub {hub} of federation {fid} is not one of its members")
    c = scenario.constraints
    fed_of = dict(assignment)
    for code, hub in getattr(c, "locks", ()):
        if code in fed_of and hubs.get(fed_of[code]) != hub:
            problems.append(f"practice {code} is locked to hub {hub} but its federation is hosted by "
                            f"{hubs.get(fed_of[code])}")
    for a, b in getattr(c, "together", ()):
        if a in fed_of and b in fed_of and fed_of[a] != fed_of[b]:
            problems.append(f"practices {a} and {b} must share a federation but are in {fed_of[a]} and {fed_of[b]}")
    for a, b in getattr(c, "apart", ()):
        if a in fed_of and b in fed_of and fed_of[a] == fed_of[b]:
            problems.append(f"practices {a} and {b} must not share a federation but are both in {fed_of[a]}")
    if c.n_federations is not None and len(members) != c.n_federations:
        problems.append(f"{len(members)} federations, but the scenario fixes {c.n_federations}")
    costs = scenario.costs
    per_km = costs.hub_visits_per_patient * 2.0 * costs.travel_gbp_per_km
    per_minute = costs.hub_visits_per_patient * 2.0 * getattr(costs, "travel_gbp_per_minute", 0.0)
    if travel_minutes is None and getattr(scenario.inputs, "travel_times", None) is not None:
        from inputs.travel import read_travel_times

        travel_minutes = read_travel_times(scenario.inputs.travel_times).matrix(codes, codes)
        np.fill_diagonal(travel_minutes, 0.0)
    max_minutes = getattr(c, "max_travel_minutes", None)
    access = 0.0
    for fid, ms in members.items():
        hub = hubs.get(fid)
        if hub not in pos:
            continue
        for code in ms:
            if code not in pos:
                continue
            km = float(np.hypot(e[code] - e[hub], n_[code] - n_[hub])) / 1000.0
            if travel_minutes is None:
                access += size[code] * per_km * km
            else:
                minutes = float(travel_minutes[pos[code], pos[hub]])
                if not np.isfinite(minutes):
                    problems.append(f"practice {code} has no route to its hub {hub} in the travel-time file")
                    continue
                access += size[code] * per_minute * minutes
                if max_minutes is not None and minutes > max_minutes + 1e-9:
                    problems.append(f"practice {code} is {minutes:.1f} minutes from hub {hub}, over the limit "
                                    f"of {max_minutes:g}")
            if c.max_distance_km is not None and km > c.max_distance_km + 1e-9:
                problems.append(f"practice {code} is {km:.1f} km from hub {hub}, over the limit of {c.max_distance_km} km")
    if c.nest_within != "none":
        attr = {"sub_icb": practices.sub_icb_code, "icb": practices.icb_code, "lad": practices.lad_code}[c.nest_within]
        for fid, ms in members.items():
            areas = {attr[pos[m]] for m in ms if m in pos}
            if len(areas) > 1:
                problems.append(f"federation {fid} crosses {c.nest_within} boundaries: {', '.join(sorted(areas))}")
    if c.contiguity and adjacency is not None:
        edges = {frozenset(p) for p in adjacency}
        for fid, ms in members.items():
            if not _connected(ms, edges):
                problems.append(f"federation {fid} is not contiguous on the practice adjacency graph")
    fixed = costs.federation_fixed_gbp * len(members)
    disruption = 0.0
    rate = getattr(costs, "disruption_gbp_per_patient", 0.0)
    if rate > 0 and practices.pcn_code:
        pcn = {code: practices.pcn_code[i] for i, code in enumerate(codes)}
        for fid, ms in members.items():
            hub = hubs.get(fid)
            for code in ms:
                if pcn.get(code) and pcn.get(code) != pcn.get(hub):
                    disruption += rate * size.get(code, 0)
    services = risk = 0.0
    mb = getattr(scenario, "makebuy", None)
    if mb is not None and mb.joint:
        from inputs import apply_overrides, read_catalogue

        from .makebuy import make_or_buy

        if catalogue is None:
            catalogue = apply_overrides(read_catalogue(scenario.inputs.catalogue), scenario.service_overrides,
                                        scenario.source or "scenario")
        for pop in populations.values():
            services += make_or_buy(catalogue, pop, shared_hub_cost=mb.shared_hub_gbp,
                                    max_inhouse=mb.max_inhouse).total_gbp
    rk = getattr(scenario, "risk", None)
    if rk is not None and rk.enabled:
        from .risk import risk_choice

        risk = sum(risk_choice(rk, pop).cost_gbp for pop in populations.values())
    penalty = sum(bound_penalty(b, pop) for pop in populations.values()) if soft else 0.0
    total = access + fixed + disruption + services + risk + penalty
    if expected_cost is not None and abs(total - expected_cost) > 1e-6 * max(1.0, abs(total)):
        problems.append(f"reported cost £{expected_cost:,.2f} differs from the recomputed £{total:,.2f}")
    return Verification(ok=not problems, problems=tuple(problems), populations=populations,
                        cost_gbp=total, cost_breakdown={"services": services, "risk": risk, "access": access,
                                                        "federation_fixed": fixed, "disruption": disruption}
                        | ({"penalty": penalty} if soft else {}))
