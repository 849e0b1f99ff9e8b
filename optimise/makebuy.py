r"""Make-or-buy for one federation of N registered patients (DESIGN.md §3, term 1).

For service *s* with demand :math:`D_s = r_s N / 1000` activities a year:

.. math::

    \text{inhouse}_s(N) = \lceil D_s / Q_s \rceil F_s + D_s v_s
        \quad (\text{allowed only if } N \ge N^{\min}_s)

    \text{buy}_s(N) = D_s p_s + m_s

with team capacity *Q*, team fixed cost *F*, variable cost *v*, buy price *p* and contract
management cost *m*. Each service takes its cheaper allowed mode (ties go to ``buy``: no team to
manage). If any clinical service is in-house the federation also pays ``shared_hub_cost`` once;
``max_inhouse`` caps how many services it can run itself. With both, the choice is still exact:
for each of "no clinical service in-house" and "hub paid", the best set is the ``max_inhouse``
services with the largest savings, and the cheaper of the two cases wins.

The step term makes in-house cost non-linear and the in-house-minus-buy difference
non-monotone in N: a service can be cheaper in-house at 45,000 patients, dearer at 46,000 (a
second team is needed) and cheaper again later. ``break_even_population`` reports the smallest N
from which in-house is cheaper, and whether it stays cheaper for every larger N.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fedplan.inputs.model import Catalogue, Service

BREAK_EVEN_SEARCH_MAX = 1_000_000  # patients; beyond any federation anyone plans


@dataclass(frozen=True)
class ServiceChoice:
    service: str
    category: str
    mode: str
    cost_gbp: float
    inhouse_gbp: float | None
    buy_gbp: float | None
    teams: int
    demand: float
    break_even_population: int | None
    break_even_monotone: bool


@dataclass(frozen=True)
class MakeBuyPlan:
    population: int
    services: tuple[ServiceChoice, ...]
    shared_hub_gbp: float
    total_gbp: float

    def as_dict(self) -> dict:
        return {
            "population": self.population,
            "services": [{"service": s.service, "mode": s.mode, "cost_gbp": round(s.cost_gbp, 2),
                          "break_even_population": s.break_even_population,
                          "break_even_monotone": s.break_even_monotone,
                          "inhouse_gbp": None if s.inhouse_gbp is None else round(s.inhouse_gbp, 2),
                          "buy_gbp": None if s.buy_gbp is None else round(s.buy_gbp, 2),
                          "teams": s.teams} for s in self.services],
            "shared_hub_gbp": round(self.shared_hub_gbp, 2),
            "total_gbp": round(self.total_gbp, 2),
        }


def _demand(s: Service, population: float) -> float:
    return s.demand_per_1000_per_year * population / 1000.0


def inhouse_cost(s: Service, population: int) -> tuple[float | None, int]:
    """(annual £, teams) in-house, or (None, 0) when the mode is not allowed at this size."""
    if "inhouse" not in s.allowed_modes:
        return None, 0
    if s.min_population_inhouse is not None and population < s.min_population_inhouse:
        return None, 0
    d = _demand(s, population)
    teams = math.ceil(d / s.team_capacity_activities_per_year - 1e-12) if d > 0 else 0
    return teams * s.inhouse_fixed_cost_gbp_per_team_per_year + d * s.inhouse_variable_cost_gbp_per_activity, teams


def buy_cost(s: Service, population: int) -> float | None:
    if "buy" not in s.allowed_modes:
        return None
    return _demand(s, population) * s.buy_price_gbp_per_activity + s.contract_management_gbp_per_year


def break_even_population(s: Service, search_max: int = BREAK_EVEN_SEARCH_MAX) -> tuple[int | None, bool]:
    """Smallest N at which in-house is strictly cheaper than buying, and whether it stays so.

    Exact and fast: within the population range served by k teams the difference
    in-house − buy is linear in N, so each range is solved in closed form.
    Returns (None, True) when in-house never wins up to ``search_max`` or a mode is not allowed.
    """
    if "inhouse" not in s.allowed_modes or "buy" not in s.allowed_modes or s.demand_per_1000_per_year <= 0:
        return None, True
    r, Q = s.demand_per_1000_per_year / 1000.0, s.team_capacity_activities_per_year
    F, v, p, m = (s.inhouse_fixed_cost_gbp_per_team_per_year, s.inhouse_variable_cost_gbp_per_activity,
                  s.buy_price_gbp_per_activity, s.contract_management_gbp_per_year)
    n_min = max(1, int(math.ceil(s.min_population_inhouse or 1)))
    slope = r * (v - p)                       # d(inhouse - buy)/dN inside one team range

    def diff(n: int) -> float:
        return inhouse_cost(s, n)[0] - buy_cost(s, n)  # type: ignore[operator]

    first = None
    k_max = int(math.ceil(r * search_max / Q)) + 1
    for k in range(1, k_max + 1):
        lo = max(n_min, int(math.floor((k - 1) * Q / r)) + 1)   # first N needing k teams
        hi = min(search_max, int(math.floor(k * Q / r + 1e-9)))  # last N served by k teams
        if lo > hi:
            continue
        const = k * F - m                   # diff(N) = const + slope * N on [lo, hi]
        if slope < 0:
            n_star = max(lo, int(math.floor((const) / (-slope))) + 1) if const > 0 else lo
        elif const + slope * lo < 0:
            n_star = lo
        else:
            n_star = None
        if n_star is not None and n_star <= hi:
            # guard the closed form against float edge effects
            while n_star > lo and diff(n_star - 1) < 0:
                n_star -= 1
            while n_star <= hi and diff(n_star) >= 0:
                n_star += 1
            if n_star <= hi:
                first = n_star
                break
    if first is None:
        return None, True
    # after the break-even, in-house can lose again right where another team is needed
    monotone = True
    k_first = int(math.ceil(r * first / Q - 1e-12))
    for k in range(k_first, k_max + 1):
        hi = min(search_max, int(math.floor(k * Q / r + 1e-9)))
        nxt = hi + 1
        if nxt > search_max:
            break
        if diff(nxt) >= 0 or (slope > 0 and diff(hi) >= 0):
            monotone = False
            break
    return first, monotone


def make_or_buy(catalogue: Catalogue, population: int, *, shared_hub_cost: float = 0.0,
                max_inhouse: int | None = None) -> MakeBuyPlan:
    """The cheapest mode per service for one federation of ``population`` patients."""
    population = int(population)
    rows = []
    for s in catalogue.services:
        ih, teams = inhouse_cost(s, population)
        by = buy_cost(s, population)
        rows.append((s, ih, teams, by))

    def choose(allow_clinical: bool, cap: int | None) -> tuple[float, set[str]]:
        saving = {}
        for s, ih, _, by in rows:
            if ih is None or (s.category == "clinical" and not allow_clinical):
                continue
            if by is None:
                saving[s.service] = math.inf          # in-house only: must be made
            elif ih < by:
                saving[s.service] = by - ih
        forced = [n for n, v in saving.items() if v == math.inf]
        optional = sorted((n for n in saving if saving[n] != math.inf), key=lambda n: (-saving[n], n))
        if cap is not None:
            optional = optional[:max(0, cap - len(forced))]
        chosen = set(forced) | set(optional)
        total = 0.0
        for s, ih, _, by in rows:
            total += ih if s.service in chosen else (by if by is not None else math.inf)
        return total, chosen

    no_hub, chosen_a = choose(False, max_inhouse)
    with_hub, chosen_b = choose(True, max_inhouse)
    uses_clinical = any(s.category == "clinical" and s.service in chosen_b for s, *_ in rows)
    with_hub += shared_hub_cost if uses_clinical else 0.0
    if with_hub < no_hub - 1e-9:
        chosen, hub = chosen_b, (shared_hub_cost if uses_clinical else 0.0)
    else:
        chosen, hub = chosen_a, 0.0
    out = []
    for s, ih, teams, by in rows:
        mode = "inhouse" if s.service in chosen else "buy"
        be, mono = break_even_population(s)
        cost = ih if mode == "inhouse" else by
        if cost is None or not np.isfinite(cost):
            raise ValueError(f"service {s.service} has no allowed mode at {population:,} patients")
        out.append(ServiceChoice(s.service, s.category, mode, float(cost), ih, by,
                                 teams if mode == "inhouse" else 0, _demand(s, population), be, mono))
    total = sum(c.cost_gbp for c in out) + hub
    return MakeBuyPlan(population, tuple(out), hub, total)


def make_or_buy_totals(catalogue: Catalogue, populations, *, shared_hub_cost: float = 0.0,
                       max_inhouse: int | None = None) -> np.ndarray:
    """``make_or_buy(...).total_gbp`` for many populations at once (the boundary engine needs the
    federation cost at every population in the bounds). Same rules, ties and cap; ``inf`` where a
    service has no allowed mode at that size. Checked against the scalar version in the tests."""
    N = np.asarray(populations, dtype=np.int64)
    services = sorted(catalogue.services, key=lambda s: s.service)   # ties break by name, as above
    S, M = len(services), len(N)
    ih = np.full((S, M), np.nan)
    by = np.full((S, M), np.nan)
    clinical = np.array([s.category == "clinical" for s in services], bool)
    for k, s in enumerate(services):
        d = s.demand_per_1000_per_year * N / 1000.0
        if "inhouse" in s.allowed_modes:
            teams = np.where(d > 0, np.ceil(d / s.team_capacity_activities_per_year - 1e-12), 0.0)
            cost = teams * s.inhouse_fixed_cost_gbp_per_team_per_year + d * s.inhouse_variable_cost_gbp_per_activity
            if s.min_population_inhouse is not None:
                cost = np.where(N < s.min_population_inhouse, np.nan, cost)
            ih[k] = cost
        if "buy" in s.allowed_modes:
            by[k] = d * s.buy_price_gbp_per_activity + s.contract_management_gbp_per_year

    def choose(allow_clinical: bool) -> tuple[np.ndarray, np.ndarray]:
        usable = ~np.isnan(ih) & (allow_clinical | ~clinical)[:, None]
        forced = usable & np.isnan(by)
        saving = np.where(usable & ~np.isnan(by) & (ih < by), by - ih, -np.inf)
        saving = np.where(forced, np.inf, saving)
        chosen = np.isfinite(saving) | forced
        if max_inhouse is not None:
            n_forced = forced.sum(axis=0)
            order = np.argsort(-saving, axis=0, kind="stable")
            rank = np.empty_like(order)
            np.put_along_axis(rank, order, np.arange(S)[:, None].repeat(M, axis=1), axis=0)
            # forced services rank first (saving inf); optional ones keep the top (cap - forced)
            keep_optional = rank - n_forced[None, :] < np.maximum(0, max_inhouse - n_forced)[None, :]
            chosen = forced | (chosen & ~forced & keep_optional)
        cost = np.where(chosen, ih, by)
        total = np.where(np.isnan(cost), np.inf, cost).sum(axis=0)
        return total, (chosen & clinical[:, None]).any(axis=0)

    no_hub, _ = choose(False)
    with_hub, uses_clinical = choose(True)
    with_hub = with_hub + np.where(uses_clinical, shared_hub_cost, 0.0)
    return np.where(with_hub < no_hub - 1e-9, with_hub, no_hub)
