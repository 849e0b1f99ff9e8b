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


def risk_cost(risk, population: int) -> float:
    """£/yr of carrying the financial risk of ``population`` patients (0 when risk is off).

    Annual cost ~ Normal(mean B·N, sd B·sqrt(cv_i²·N + cv_s²·N²)). Either hold a reserve of
    z·sd (z the ``confidence`` quantile) at ``cost_of_capital`` a year, or buy stop-loss cover
    attaching at ``stoploss_attachment`` × the mean, priced as the expected excess over it ×
    (1 + loading); the expected excess of a normal variable over a point d standard deviations
    above its mean is sd·(φ(d) − d·(1 − Φ(d))). The cheaper of the two.
    """
    if not risk.enabled or population <= 0:
        return 0.0
    budget = risk.budget_gbp_per_patient
    sd = budget * math.sqrt(risk.cv_individual ** 2 * population + risk.cv_systematic ** 2 * population ** 2)
    if sd <= 0:
        return 0.0
    standard = NormalDist()
    reserve = risk.cost_of_capital * standard.inv_cdf(risk.confidence) * sd
    d = (risk.stoploss_attachment - 1.0) * budget * population / sd
    upper_tail = 0.5 * math.erfc(d / math.sqrt(2.0))      # 1 − Φ(d), without cancellation
    expected_excess = max(0.0, sd * (standard.pdf(d) - d * upper_tail))
    stoploss = (1.0 + risk.stoploss_loading) * expected_excess
    return min(reserve, stoploss)
