"""Plain re-statements of the cost rules, for ``optimise.verify`` only.

Each function here prices one federation from the scenario's parameters, written out one
service / one formula at a time. None of them calls the model builders (``sizecost``,
``makebuy``, ``risk``): they re-derive the same rules from their definitions in the README and
the scenario, so that a mistake in the engine's vectorised tables shows up as a disagreement.
"""
from __future__ import annotations

import math
from fractions import Fraction
from statistics import NormalDist


def allowed_population_range(bounds, practice_sizes) -> tuple[int, int]:
    """The smallest and largest population a federation may have.

    Hard bounds: exactly ``min_population .. max_population``. Soft bounds: the range may be
    left at a price, but only within an outer window from the smallest practice of the area (or
    ``min_population`` if that is smaller; never below 1) up to twice ``max_population`` (or the
    largest practice, if it is bigger still).
    """
    if not bounds.soft:
        return int(bounds.min_population), int(bounds.max_population)
    sizes = [int(s) for s in practice_sizes]
    smallest = min(sizes) if sizes else 1
    largest = max(sizes) if sizes else 0
    low = max(1, min(int(bounds.min_population), smallest))
    high = max(2 * int(bounds.max_population), largest)
    return low, high


def soft_bound_penalty(bounds, population: int) -> float:
    """£/yr for the patients below ``min_population`` or above ``max_population`` (soft bounds only)."""
    if not bounds.soft:
        return 0.0
    short = max(0, bounds.min_population - population)
    over = max(0, population - bounds.max_population)
    return float(bounds.penalty_gbp_per_patient) * (short + over)


def _exact(x: float) -> Fraction:
    """The decimal the number was written as (catalogue values are read from decimal text)."""
    return Fraction(repr(float(x)))


def teams_needed(service, population: int) -> int:
    """Whole teams for the service's demand, counted in exact decimal arithmetic (a demand of
    exactly two teams' capacity needs two teams, whatever the float rounding)."""
    demand = _exact(service.demand_per_1000_per_year) * population / 1000
    if demand <= 0:
        return 0
    return math.ceil(demand / _exact(service.team_capacity_activities_per_year))


def make_cost(service, population: int) -> float | None:
    """£/yr to run the service in-house, or None when that is not allowed at this size."""
    if "inhouse" not in service.allowed_modes:
        return None
    if service.min_population_inhouse is not None and population < service.min_population_inhouse:
        return None
    demand = service.demand_per_1000_per_year * population / 1000.0
    return (teams_needed(service, population) * service.inhouse_fixed_cost_gbp_per_team_per_year
            + demand * service.inhouse_variable_cost_gbp_per_activity)


def buy_cost(service, population: int) -> float | None:
    """£/yr to buy the service in, or None when buying is not allowed."""
    if "buy" not in service.allowed_modes:
        return None
    demand = service.demand_per_1000_per_year * population / 1000.0
    return demand * service.buy_price_gbp_per_activity + service.contract_management_gbp_per_year


def services_cost(catalogue, population: int, *, shared_hub_gbp: float = 0.0,
                  max_inhouse: int | None = None) -> float:
    """The cheapest way for one federation to provide every service of the catalogue (£/yr).

    Rules: a service may be made only where in-house is allowed and the federation has at least
    ``min_population_inhouse`` patients; a service that cannot be bought must be made; making a
    service is chosen only when strictly cheaper than buying (a tie is bought); the federation
    pays ``shared_hub_gbp`` once when it makes any clinical service; at most ``max_inhouse``
    services are made, the must-make services counting first (they are made even beyond the cap,
    as they have no alternative). ``inf`` when some service has no way to be provided.

    Two cases cover every choice. Either no clinical service is made, and no hub is paid; or the
    hub is paid and any service may be made. In each case every service starts bought (or made,
    if it must be), and the free places under the cap go to the services whose making saves the
    most: saving on one service never changes another's, so the largest savings are the best
    set. Counting the hub in the second case even when its best set happens to hold no clinical
    service only over-states that case, and then the first case, which has the same set, is
    cheaper or equal: the cheaper of the two cases is the optimum.
    """
    best = math.inf
    for hub_paid in (False, True):
        total = shared_hub_gbp if hub_paid else 0.0
        must_make = 0
        savings = []
        possible = True
        for s in catalogue.services:
            make = make_cost(s, population)
            if s.category == "clinical" and not hub_paid:
                make = None
            buy = buy_cost(s, population)
            if make is None and buy is None:
                possible = False
                break
            if buy is None:
                total += make
                must_make += 1
            elif make is None:
                total += buy
            else:
                total += buy
                if make < buy:
                    savings.append(buy - make)
        if not possible:
            continue
        savings.sort(reverse=True)
        places = len(savings) if max_inhouse is None else max(0, max_inhouse - must_make)
        total -= sum(savings[:places])
        best = min(best, total)
    return best


def risk_cost(risk, population: int, mean_list: float) -> float:
    """£/yr of carrying the financial risk of ``population`` patients (0 when risk is off).

    Written from the README's definition, one federation at a time and with other tools than the
    engine: the deviation L the federation keeps (share s) has variance
    s²·[N·(c·B)² + (σ·B·N)²·(ρ + (1 − ρ)·min(1, n̄/N))] (n̄ = ``mean_list``) and third cumulant
    s³·N·γ·(c·B)³; it is a gamma distribution moved to mean 0 with those moments (a Normal when
    its shape is beyond 1e7). The reserve is its confidence quantile V; cover attaching at a
    pays the expected claim on the layer [R, R + U], here the integral of P(L > x) over the layer
    (the engine uses the closed form), × (1 + loading), at least the minimum rate on line × U and
    the minimum premium, plus the cost of the reserve still held for what the cover leaves.
    """
    from scipy import integrate, stats

    if not risk.enabled or population <= 0:
        return 0.0
    N = float(population)
    B, c, s = risk.budget_gbp_per_patient, risk.cv_individual, risk.risk_share
    herfindahl = min(1.0, mean_list / N)
    variance = s * s * (N * (c * B) ** 2 + (risk.systematic_error * B * N) ** 2
                        * (risk.systematic_correlation + (1.0 - risk.systematic_correlation) * herfindahl))
    if variance <= 0:
        return 0.0
    sd = math.sqrt(variance)
    third = s ** 3 * N * risk.skew_individual * (c * B) ** 3
    skew = third / sd ** 3
    shape = 4.0 / skew ** 2 if skew > 0 else math.inf
    if shape < 1e7:
        scale = sd * skew / 2.0
        dist = stats.gamma(shape, loc=-shape * scale, scale=scale)
    else:
        dist = stats.norm(0.0, sd)
    shortfall = max(0.0, float(dist.ppf(risk.confidence)))
    reserve = risk.cost_of_capital * shortfall
    budget = B * N
    layer = risk.stoploss_layer * budget
    best = reserve
    for a in risk.stoploss_attachments:
        retention = (a - 1.0) * budget
        claim = 0.0
        if layer > 0:
            # ∫ P(L > x) dx over the layer, in pieces cut at quantiles so each piece is smooth and
            # short; beyond the 1 - 1e-16 quantile the survival function adds nothing a penny sees
            top = min(retention + layer, float(dist.isf(1e-16)))
            cuts = sorted({retention, top, *(float(dist.ppf(q)) for q in (0.5, 0.9, 0.99, 0.999, 0.9999, 1 - 1e-6,
                                                                          1 - 1e-8, 1 - 1e-10, 1 - 1e-12))})
            cuts = [x for x in cuts if retention <= x <= top]
            for a, b in zip(cuts, cuts[1:]):
                part, _ = integrate.quad(lambda x: float(dist.sf(x)), a, b, limit=200, epsabs=1e-9, epsrel=1e-12)
                claim += part
        premium = max((1.0 + risk.stoploss_loading) * claim, risk.stoploss_min_rate_on_line * layer,
                      float(risk.stoploss_min_premium_gbp))
        covered = min(max(shortfall - retention, 0.0), layer)
        best = min(best, premium + risk.cost_of_capital * (shortfall - covered))
    return best


def engagement_cost(engagement, members: int, population: int) -> float:
    """£/yr of keeping ``members`` practices engaged: coordination per member, plus the expected
    loss of the pooled incentive, held_back × incentive × population unless every member meets its
    target (each independently with probability p): × (1 − p^members), when the pooled incentive
    is switched on."""
    if not engagement.enabled or members <= 0:
        return 0.0
    coordination = engagement.coordination_gbp_per_member * members
    if not engagement.pooled_incentive:
        return coordination
    everyone = engagement.member_success_probability ** members
    return coordination + (engagement.incentive_held_back * engagement.incentive_gbp_per_patient * population
                           * (1.0 - everyone))


def by_sessions(catalogue, makebuy):
    """The catalogue staffed in sessions (README "staffing"): a service not kept to whole teams is
    staffed in steps of ``session_wte`` of its team — a step costs that share of the team and
    serves that share of its capacity — and is made only once its demand needs at least
    ``min_post_wte`` of a team. Whole teams: the catalogue as it is."""
    from dataclasses import replace

    if makebuy.staffing != "sessions":
        return catalogue
    step, post = makebuy.session_wte, makebuy.min_post_wte
    services = []
    for s in catalogue.services:
        if s.service in makebuy.whole_team_services or "inhouse" not in s.allowed_modes:
            services.append(s)
            continue
        threshold = s.min_population_inhouse
        if s.demand_per_1000_per_year > 0 and post > 0:
            # the population whose demand first fills the smallest post
            smallest = math.ceil(post * s.team_capacity_activities_per_year * 1000 / s.demand_per_1000_per_year)
            threshold = smallest if threshold is None else max(threshold, smallest)
        services.append(replace(s, team_capacity_activities_per_year=s.team_capacity_activities_per_year * step,
                                inhouse_fixed_cost_gbp_per_team_per_year=s.inhouse_fixed_cost_gbp_per_team_per_year * step,
                                min_population_inhouse=threshold))
    return replace(catalogue, services=tuple(services))
