"""Instance factories and the brute-force oracle shared by the engine tests (test files import
these, never one another): practices and scenarios built in plain code, the problem the test
builds from them, every partition and every column of a small instance.

(``oracles`` holds the exhaustive oracle of the bound-validity tests, which knows plain access
costs, contiguity and a tabulated g(N); this one is the older oracle over a FederationProblem.
``factories`` holds the report tests' fixtures.)
"""
from __future__ import annotations

from dataclasses import replace

import functools
import itertools

import numpy as np
import pytest

from fedplan.inputs.model import BoundsSpec, ConstraintsSpec, CostsSpec, EngagementSpec, Practices, RiskSpec
from fedplan.inputs.model import Scenario as ProductScenario
from fedplan.optimise import FederationProblem
from fedplan.optimise.membercost import MemberCost
from fedplan.optimise.verify import Claim, verify

# Two towns 40 km apart; a federation cannot span both cheaply, and each town alone is in range.
TOWNS_XY = [(0, 0), (1, 0), (0, 2), (40, 0), (41, 1), (40, 3)]
TOWNS_SIZES = [12000, 9000, 8000, 15000, 7000, 6000]


# -- the brute-force oracle -----------------------------------------------------------------------


def Scenario(**parts) -> ProductScenario:  # noqa: N802 - stands in for the product's Scenario in engine tests
    """The product's Scenario with access priced by straight-line km: the engine tests' practices
    sit in a made-up square off any map, and ``problem_from`` (like verify with km) prices trips
    per km. Minutes by road are tested on real practices (tests/fedplan_tests/test_access_minutes.py)."""
    costs = parts.pop("costs", CostsSpec())
    return ProductScenario(costs=replace(costs, access="km"), **parts)

def every_partition(items):
    """Every partition of the list ``items`` into blocks."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in every_partition(rest):
        for i in range(len(part)):
            yield part[:i] + [[first] + part[i]] + part[i + 1:]
        yield [[first]] + part


def brute_force(p: FederationProblem) -> float:
    """The exact optimum by enumerating every partition and every hub choice."""
    best = np.inf
    for part in every_partition(list(range(p.n))):
        if p.n_federations is not None and len(part) != p.n_federations:
            continue
        block_of = {i: b for b, block in enumerate(part) for i in block}
        if any(block_of[i] != block_of[j] for i, j in p.together) or \
                any(block_of[i] == block_of[j] for i, j in p.apart):
            continue
        total = p.hub_cost * len(part)
        for block in part:
            pop = p.list_size[block].sum()
            if not (p.min_population <= pop <= p.max_population):
                total = np.inf
                break
            costs = [p.assign_cost[block, j].sum() for j in block if p.allowed[block, j].all()]
            if not costs:
                total = np.inf
                break
            total += min(costs) + p.size_term(int(pop))
            if p.member_cost is not None:
                # the pooled-incentive loss, from the rate table: e_m per patient for m members
                total += float(p.member_cost.rate[len(block)]) * int(pop)
        best = min(best, total)
    return best


def every_column(p: FederationProblem, allowed, forced):
    """(members, hub) of every column obeying the population window and the rules."""
    n = p.n
    for h in range(n):
        if not allowed[h, h]:
            continue
        for r in range(n):
            for S in itertools.combinations(range(n), r + 1):
                if h not in S or not allowed[list(S), h].all():
                    continue
                if forced is not None and not set(np.flatnonzero(forced[:, h])) <= set(S):
                    continue
                if p.min_population <= p.list_size[list(S)].sum() <= p.max_population:
                    yield S, h


# -- practices, scenarios and problems -----------------------------------------------------------

def make_practices(xy_km, sizes, pcn=None) -> Practices:
    n = len(sizes)
    xy = np.asarray(xy_km, float) * 1000 + np.array([280000.0, 90000.0])
    return Practices(source="test", code=tuple(f"P{i:02d}" for i in range(n)), list_size=np.asarray(sizes),
                     lat=np.full(n, np.nan), lon=np.full(n, np.nan), easting=xy[:, 0], northing=xy[:, 1],
                     name=tuple(f"Practice {i}" for i in range(n)),
                     pcn_code=tuple(pcn) if pcn else ())


@functools.lru_cache(maxsize=64)
def size_cost(lo: int, hi: int, makebuy, risk):
    from fedplan import api

    sc = Scenario(bounds=BoundsSpec(min_population=lo, max_population=hi), makebuy=makebuy, risk=risk)
    return api.size_cost(make_practices([(0, 0)], [hi]), sc, api.load_catalogue(sc))


def problem_from(pr: Practices, sc: Scenario) -> FederationProblem:
    """The test's own model builder (access, fixed cost, the size cost g(N) of make-or-buy and
    risk, and engagement, when the scenario has them)."""
    from fedplan import api

    xy = np.c_[pr.easting, pr.northing] / 1000
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    c = sc.costs
    per_km = c.hub_visits_per_patient * 2 * c.travel_gbp_per_km
    g = api.size_cost(pr, sc, api.load_catalogue(sc))
    e = sc.engagement
    per_member = e.coordination_gbp_per_member if e.enabled else 0.0
    members = None
    if e.enabled and e.pooled_incentive and e.incentive_held_back * e.incentive_gbp_per_patient > 0:
        m = np.arange(pr.list_size.size + 1)
        members = MemberCost(e.incentive_held_back * e.incentive_gbp_per_patient
                             * (1 - e.member_success_probability ** m))
    return FederationProblem(pr.code, pr.list_size, per_km * pr.list_size[:, None] * d + per_member,
                             c.federation_fixed_gbp, sc.bounds.min_population, sc.bounds.max_population,
                             sc.constraints.n_federations, size_cost=g, member_cost=members)


def scenario(L=15000, U=45000, F=50000.0, k=None) -> Scenario:
    """The engine tests' classic instances: access, fixed cost and the default make-or-buy; risk
    and engagement off (tests/optimise_tests/test_joint.py and test_member_cost.py cover those).
    These instances test the engine's mechanics, and were built when the risk term was £0: the
    real risk term curves g(N) and multiplies its pieces, which only slows these tests down.
    Access by straight-line km: the practices sit in a made-up 30 km square, not in England."""
    return Scenario(bounds=BoundsSpec(min_population=L, max_population=U),
                    constraints=ConstraintsSpec(n_federations=k), costs=CostsSpec(federation_fixed_gbp=F),
                    risk=RiskSpec(enabled=False), engagement=EngagementSpec(enabled=False))


def practices(seed: int, n: int):
    rng = np.random.default_rng(seed)
    return make_practices(rng.uniform(0, 30, (n, 2)), rng.integers(3000, 15000, n))


def instance(seed: int, n: int, **rules) -> FederationProblem:
    return problem_from(practices(seed, n), scenario(**rules))


def check_with_verify(seed, n, sc, res):
    pr = practices(seed, n)
    out = verify(sc, res.assignment_by_code(), res.hubs_by_federation(),
                 practices=pr, claimed=Claim(objective=res.objective))
    assert out.ok, out.problems


@functools.lru_cache(maxsize=None)
def _tight_optimum(seed: int) -> float:
    """The brute-force optimum of tight instance ``seed`` (about a second each in plain Python):
    computed once per session, as many tests walk the same instances. The problem is rebuilt
    from the seed each time, so the cache holds only the oracle's number."""
    return brute_force(problem_from(practices(seed, 9), scenario(L=20000, U=32000, F=80000.0)))


def tight_instances(count: int = 12):
    """(seed, scenario, problem, brute-force optimum) for 9-practice areas whose tight bounds make
    the root LP fractional; infeasible seeds are skipped."""
    for seed in range(count):
        sc = scenario(L=20000, U=32000, F=80000.0)
        p = problem_from(practices(seed, 9), sc)
        opt = _tight_optimum(seed)
        if np.isfinite(opt):
            yield seed, sc, p, opt


def small_cpmp(seed: int, n: int, p_med: int, fill: float) -> FederationProblem:
    """A random capacitated p-median instance whose demand fills ``fill`` of the p capacities."""
    from fedplan.optimise.cpmp import cpmp_problem

    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, (n, 2))
    demand = rng.integers(1, 20, n)
    cap = max(int(demand.max()), int(np.ceil(demand.sum() / (p_med * fill))))
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    return cpmp_problem(np.arange(1, n + 1), demand, np.full(n, cap), d, p_med)


def compiled_search(want: bool) -> bool:
    """Whether a test's pricer runs the compiled kernels (skipped when numba is missing)."""
    from fedplan.optimise.branch_price.knapsack import compiled_kernels

    if want and compiled_kernels() is None:
        pytest.skip("numba not installed")
    return want
