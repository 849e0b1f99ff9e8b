"""Problem building: a scenario's practices, outline, catalogue, travel times and rules, turned
into the engine's ``FederationProblem`` (annual £ costs, allowed pairs, links, size cost g(N)).

Reads and checks every input file the scenario names (bad input raises ``InputError``); solves
nothing. ``fedplan.api.run`` calls these in order; ``fedplan validate`` calls them without solving.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fedplan import geo
from fedplan import inputs
from fedplan.inputs.errors import InputError, nearest
from fedplan.inputs.model import Catalogue, Practices, Scenario
from fedplan.optimise import FederationProblem
from fedplan.optimise.makebuy import make_or_buy
from fedplan.optimise.membercost import MemberCost, pooled_incentive_rates
from fedplan.optimise.risk import mean_practice_list, risk_choice, risk_costs
from fedplan.optimise.sizecost import SizeCost, bound_penalty, federation_size_cost, population_window

# [constraints] nest_within -> the practice attribute no federation may cross
NEST_ATTR = {"sub_icb": "sub_icb_code", "icb": "icb_code", "lad": "lad_code"}


def as_scenario(scenario: Scenario | str | Path | None) -> Scenario:
    """A Scenario from a Scenario, a TOML path, or None (Devon with the default rules)."""
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
    e = scenario.engagement
    if e.enabled and e.pooled_incentive and scenario.solve.method != "branch_price":
        raise InputError("the pooled network incentive costs a federation by its number of member practices; "
                         "only the branch_price method prices that (the compact MIP has no member-count terms).",
                         file=src, column="engagement.pooled_incentive",
                         fix="set [solve] method = \"branch_price\" (the default), or pooled_incentive = false.")
    if scenario.constraints.max_travel_minutes is not None and not uses_minutes(scenario):
        raise InputError("max_travel_minutes needs minutes to measure against, but this scenario prices access "
                         "by straight-line km ([costs] access = \"km\") and names no travel-time file.", file=src,
                         column="constraints.max_travel_minutes",
                         fix="set [costs] access = \"minutes\" (the shipped road-time model), add travel_times = "
                             "\"times.csv\" under [inputs], or use max_distance_km instead.")


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
    """The scenario's service catalogue (its file or the shipped default) with its overrides, as
    the scenario staffs it (``[makebuy] staffing``: whole teams or sessions)."""
    source = scenario.source or "scenario"
    cat = inputs.apply_overrides(inputs.read_catalogue(scenario.inputs.catalogue), scenario.service_overrides, source)
    return inputs.staffed(cat, scenario.makebuy, source)


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
    mean_list = mean_practice_list(practices.list_size)
    if mb.joint:
        try:
            g = federation_size_cost(catalogue, lo, hi, shared_hub_gbp=mb.shared_hub_gbp,
                                     max_inhouse=mb.max_inhouse, risk=rk if rk.enabled else None,
                                     mean_list=mean_list).values
        except ValueError as exc:
            raise InputError(f"{exc}.", file=str(scenario.inputs.catalogue or "shipped service catalogue"),
                             column="allowed_modes",
                             fix="allow 'buy' for that service, lower its min_population_inhouse, or raise "
                                 "[bounds] min_population.") from None
    elif rk.enabled:
        g = risk_costs(rk, N, mean_list)
    return SizeCost(lo, g + bound_penalty(b, N))


def hub_candidate_mask(practices: Practices, scenario: Scenario) -> np.ndarray:
    """True for practices allowed to host a federation; every listed code must be participating."""
    wanted = scenario.constraints.hub_candidates
    known = {c: i for i, c in enumerate(practices.code)}
    missing = [c for c in wanted if c not in known]
    if missing:
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


def uses_minutes(scenario: Scenario) -> bool:
    """Whether access is measured in minutes (a travel-time file, or [costs] access = "minutes")."""
    return scenario.inputs.travel_times is not None or scenario.costs.access == "minutes"


@dataclass(frozen=True, eq=False)
class AccessTimes:
    """Minutes from each practice (row) to each practice as a hub (column), where they come from
    (``"file"`` or ``"model"``), which pairs cross the sea by a stated ferry link, the model's
    typical error per pair (None for a planner's file) and sentences about islands."""

    minutes: np.ndarray
    source: str
    by_sea: np.ndarray | None = None
    typical_error: np.ndarray | None = None
    notes: tuple[str, ...] = ()


def access_times(practices: Practices, scenario: Scenario) -> AccessTimes | None:
    """The scenario's travel times: its file when it names one (``travel_minutes``), else the
    shipped road-time model when access is in minutes (``geo.travel_model``), else None (km)."""
    if scenario.inputs.travel_times is not None:
        return AccessTimes(travel_minutes(practices, scenario), "file")
    if scenario.costs.access != "minutes":
        return None
    from fedplan.geo.travel_model import practice_travel_minutes

    t = practice_travel_minutes(practices)
    return AccessTimes(np.asarray(t.minutes, float), "model", np.asarray(t.by_sea, bool),
                       np.asarray(t.typical_error, float), tuple(t.notes))


def travel_minutes(practices: Practices, scenario: Scenario) -> np.ndarray | None:
    """Minutes from each practice (row) to each practice as a hub (column): from the scenario's
    travel-time file (``origin,destination,minutes`` between practice codes; ``inf`` where the
    file says there is no route), else from the shipped road-time model when [costs] access is
    "minutes" (``inf`` across the sea where no ferry link is stated), else None. Every pair between
    two different participating practices must be in a file: a gap would silently become a free
    trip."""
    if scenario.inputs.travel_times is None:
        t = access_times(practices, scenario)
        return None if t is None else t.minutes
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
    §3): services and risk as the size cost g(N), the pooled-incentive loss as the member cost
    h(m, N), fixed overhead, access, coordination per member and disruption. With a
    travel-time file, access is priced per minute (``travel_gbp_per_minute``) instead of per km,
    unreachable pairs are forbidden and ``max_travel_minutes`` applies; ``minutes`` may be passed
    when already read (``travel_minutes``)."""
    c = scenario.costs
    w = practices.list_size.astype(float)
    allowed = np.ones((len(practices), len(practices)), bool)
    k = scenario.constraints
    if minutes is None and uses_minutes(scenario):
        minutes = travel_minutes(practices, scenario)
    if minutes is None:
        per_unit, travel = c.hub_visits_per_patient * 2.0 * c.travel_gbp_per_km, distance_km  # return trips
    else:
        allowed &= np.isfinite(minutes)
        if k.max_travel_minutes is not None:
            allowed &= minutes <= k.max_travel_minutes + 1e-9
        # a trip costs the patient's time and the car's running: minutes at the value of time plus
        # the same straight-line km at the mileage rate that "km" access prices alone
        per_unit = c.hub_visits_per_patient * 2.0
        travel = (c.travel_gbp_per_minute * np.where(np.isfinite(minutes), minutes, 0.0)
                  + c.travel_gbp_per_km * distance_km)
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
    # contiguity runs on the Delaunay graph of practice sites (fedplan.geo.adjacency), the graph verify uses
    adjacency = tuple(geo.practice_adjacency(practices)) if k.contiguity else None
    assign = per_unit * w[:, None] * travel + coordination_gbp(scenario)
    if c.disruption_gbp_per_patient > 0:
        pcn = np.array(practices.pcn_code, dtype=object) if practices.pcn_code else np.full(len(w), "", object)
        away = (pcn[:, None] != pcn[None, :]) & (pcn[:, None] != "")
        assign = assign + c.disruption_gbp_per_patient * w[:, None] * away
    return FederationProblem(
        codes=practices.code, list_size=practices.list_size,
        assign_cost=assign, hub_cost=c.federation_fixed_gbp,
        min_population=window[0], max_population=window[1],
        n_federations=k.n_federations, allowed=allowed, together=together, apart=apart, adjacency=adjacency,
        size_cost=size_cost(practices, scenario, catalogue if catalogue is not None else load_catalogue(scenario)),
        member_cost=member_cost(scenario, len(practices)))


def coordination_gbp(scenario: Scenario) -> float:
    """£/yr each member practice costs its federation to keep engaged (0 with engagement off).
    Summed over a plan it is the same for every plan of the same practices, so the engine carries
    it in ``assign_cost`` (each practice's row, whatever its hub); reports take it out of access."""
    e = scenario.engagement
    return float(e.coordination_gbp_per_member) if e.enabled else 0.0


def member_cost(scenario: Scenario, n_practices: int) -> MemberCost | None:
    """The pooled-incentive loss e_m·N per member count (``optimise.membercost``); None when off."""
    e = scenario.engagement
    if not e.enabled or not e.pooled_incentive or e.incentive_held_back * e.incentive_gbp_per_patient <= 0:
        return None
    mc = pooled_incentive_rates(e.incentive_gbp_per_patient, e.incentive_held_back,
                                e.member_success_probability, max(1, int(n_practices)))
    return None if mc.is_zero() else mc


def federation_terms(population: int, scenario: Scenario, catalogue: Catalogue, *, n_practices: int,
                     mean_list: float) -> dict[str, float]:
    """Services, risk and engagement £/yr of one federation of this size and member count, as the
    model counts them (``mean_list``: the area's ``mean_practice_list``)."""
    services = risk = 0.0
    if scenario.makebuy.joint:
        services = make_or_buy(catalogue, population, shared_hub_cost=scenario.makebuy.shared_hub_gbp,
                               max_inhouse=scenario.makebuy.max_inhouse).total_gbp
    if scenario.risk.enabled:
        risk = risk_choice(scenario.risk, population, mean_list).cost_gbp
    mc = member_cost(scenario, n_practices)
    engagement = coordination_gbp(scenario) * n_practices + (0.0 if mc is None else mc(n_practices, population))
    out = {"services": services, "risk": risk, "engagement": engagement}
    if scenario.bounds.soft:
        out["penalty"] = bound_penalty(scenario.bounds, population)
    return out
