"""The member cost e_m N (``optimise.membercost``) in the exact engine, against oracles written here.

The oracles share nothing with the engine but the instance's arrays: every partition of a small
instance into federations (``oracles.partitions``), every hub, and every column, each costed by
hand as fixed + access + g(N) + e_m N. Against them:

- branch and price ends ``optimal`` at the brute-force optimum, with a bound no higher (with and
  without g(N), contiguity, pairs, the compiled search), and under a gap its bound stays valid;
- pricing is exact: its ``rc_min`` is the least true reduced cost (count windows refined), never
  above it, and it returns a column exactly when one prices out; enumeration lists every column
  whose true reduced cost is below the window, and fixing keeps every pair of such a column;
- the counted knapsack (Python, compiled, and the DP) is exact against every subset;
- the bounds and the local search count the term; the compact method refuses it;
- a problem whose rates are all zero is the problem without a member cost (same plan, same nodes).
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedplan.optimise import FederationProblem, Params, Status, solve_federations
from fedplan.optimise.bounds import crude_upper, trivial_bound
from fedplan.optimise.branch_price.knapsack import Knapsack, compiled_kernels, knapsack_dp
from fedplan.optimise.branch_price.params import PricingParams
from fedplan.optimise.branch_price.segments import SegmentedPricer, make_pricer
from fedplan.optimise.heuristics import improve
from fedplan.optimise.membercost import MemberCost
from fedplan.optimise.sizecost import SizeCost
from engine_instances import small_cpmp, tight_instances
from oracles import connected, partitions

TOL = 0.01
RULES = ["size", "distance", "count", "together", "apart", "contiguity"]
JIT = compiled_kernels() is not None


# -- instances and the oracle -----------------------------------------------------------------------

def instance(seed: int, n: int, rules=frozenset()):
    """A small area whose federations can hold many practices (list sizes 1,000-9,000 under a
    ceiling of up to 40,000), with a saturating member rate e_m = H (1 - q^m) large enough to
    matter: returns (problem, rates, g table or None, g's first population)."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 30, (n, 2))
    w = rng.integers(1000, 9000, n)
    km = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    a = 0.348 * w[:, None] * km
    L = int(rng.integers(1000, 9000))
    U = L + int(rng.integers(8000, 30000))
    F = float(rng.uniform(20_000, 150_000))
    m = np.arange(n + 1)
    rate = float(rng.uniform(0.5, 8.0)) * (1.0 - float(rng.uniform(0.5, 0.95)) ** m)
    allowed = np.ones((n, n), bool)
    if "distance" in rules:
        allowed &= km <= np.quantile(km, 0.75)
    k = None
    if "count" in rules:
        k = int(rng.integers(max(1, int(np.ceil(w.sum() / U))), max(2, int(w.sum() // L)) + 1))
    pairs = [tuple(rng.choice(n, 2, replace=False).tolist()) for _ in range(2)]
    together = (pairs[0],) if "together" in rules else ()
    apart = (pairs[1],) if "apart" in rules and set(pairs[1]) != set(pairs[0]) else ()
    adjacency = None
    if "contiguity" in rules:
        order = np.argsort(xy[:, 0])
        adjacency = tuple((int(order[i]), int(order[i + 1])) for i in range(n - 1))
        adjacency += tuple((int(order[i]), int(order[i + 2])) for i in range(0, n - 2, 3))
    g, size = None, None
    if "size" in rules:
        N = np.arange(L, min(U, int(w.sum())) + 1)
        g = 40_000.0 * np.ceil(N / 9000.0) + 2.1 * N + 300.0 * np.sqrt(N)
        size = SizeCost(L, g)
    p = FederationProblem(tuple(f"P{i}" for i in range(n)), w, a, F, L, U, n_federations=k, allowed=allowed,
                          together=together, apart=apart, adjacency=adjacency, size_cost=size,
                          member_cost=MemberCost(rate))
    return p, rate, g, L


def edges_of(p):
    return None if p.adjacency is None else {(min(a, b), max(a, b)) for a, b in p.adjacency}


def block_cost(p, rate, g, g_lo, block, hub) -> float:
    """One federation by hand: fixed + access to the hub + g(N) + e_m N (inf if it breaks a rule)."""
    pop = int(sum(int(p.list_size[i]) for i in block))
    if not p.min_population <= pop <= p.max_population or not all(p.allowed[i, hub] for i in block):
        return np.inf
    edges = edges_of(p)
    if edges is not None and not connected(list(block), edges):
        return np.inf
    cost = p.hub_cost + sum(float(p.assign_cost[i, hub]) for i in block) + float(rate[len(block)]) * pop
    return cost + (0.0 if g is None else float(g[pop - g_lo]))


def optimum(p, rate, g, g_lo) -> float:
    k_lo, k_hi = (p.n_federations, p.n_federations) if p.n_federations is not None else (1, p.n)
    best, cache = np.inf, {}
    for part in partitions([int(x) for x in p.list_size], p.max_population, k_lo, k_hi):
        label = {i: b for b, block in enumerate(part) for i in block}
        if any(label[i] != label[j] for i, j in p.together) or any(label[i] == label[j] for i, j in p.apart):
            continue
        total = 0.0
        for block in part:
            key = tuple(block)
            if key not in cache:
                cache[key] = min(block_cost(p, rate, g, g_lo, block, h) for h in block)
            total += cache[key]
            if total >= best:
                break
        best = min(best, total)
    return best


def plan_cost(p, rate, g, g_lo, assignment, hubs) -> float:
    if p.n_federations is not None and len(hubs) != p.n_federations:
        return np.inf
    label = list(assignment)
    if any(label[i] != label[j] for i, j in p.together) or any(label[i] == label[j] for i, j in p.apart):
        return np.inf
    total = 0.0
    for f, h in enumerate(hubs):
        block = [i for i in range(p.n) if assignment[i] == f]
        if h not in block:
            return np.inf
        total += block_cost(p, rate, g, g_lo, block, h)
    return total


def every_column(p, allowed=None, forced=None):
    """(members, hub) of every column obeying every rule of a column (and a node's masks)."""
    allowed = p.allowed if allowed is None else allowed
    edges = edges_of(p)
    for h in range(p.n):
        if not allowed[h, h]:
            continue
        others = [i for i in range(p.n) if i != h and allowed[i, h]]
        for r in range(len(others) + 1):
            for rest in itertools.combinations(others, r):
                S = tuple(sorted((h,) + rest))
                inside = set(S)
                if forced is not None and not set(np.flatnonzero(forced[:, h]).tolist()) <= inside:
                    continue
                if not p.min_population <= int(p.list_size[list(S)].sum()) <= p.max_population:
                    continue
                if any((i in inside) != (j in inside) for i, j in p.together):
                    continue
                if any(i in inside and j in inside for i, j in p.apart):
                    continue
                if edges is not None and not connected(list(S), edges):
                    continue
                yield S, h


def true_rc(p, rate, g, g_lo, S, h, pi, mu) -> float:
    return block_cost(p, rate, g, g_lo, S, h) - float(sum(pi[i] for i in S)) - mu


def solve(p, compiled: bool, **kw):
    params = Params(pricing=PricingParams(jit_min_practices=1)) if compiled else None
    return solve_federations(p, "cbc", time_limit_s=60, params=params, **kw)


# -- the engine against brute force ------------------------------------------------------------------

@settings(max_examples=14, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), n=st.integers(5, 8), rules=st.frozensets(st.sampled_from(RULES), max_size=3),
       compiled=st.booleans() if JIT else st.just(False))
def test_branch_and_price_proves_the_brute_force_optimum(seed, n, rules, compiled):
    p, rate, g, g_lo = instance(seed, n, rules)
    opt = optimum(p, rate, g, g_lo)
    if not np.isfinite(opt):
        return
    res = solve(p, compiled)
    assert res.status is Status.OPTIMAL, res.message
    assert abs(res.objective - opt) <= TOL, (res.objective, opt)
    assert res.bound <= opt + TOL
    assert plan_cost(p, rate, g, g_lo, res.assignment, res.hubs) == pytest.approx(res.objective, abs=1e-6)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), n=st.integers(6, 8), rules=st.frozensets(st.sampled_from(RULES), max_size=2))
def test_a_gap_keeps_the_bound_below_the_optimum(seed, n, rules):
    p, rate, g, g_lo = instance(seed, n, rules)
    opt = optimum(p, rate, g, g_lo)
    if not np.isfinite(opt):
        return
    res = solve(p, False, gap=0.05)
    assert res.bound <= opt + TOL, (res.bound, opt)
    assert res.objective >= opt - TOL
    assert plan_cost(p, rate, g, g_lo, res.assignment, res.hubs) == pytest.approx(res.objective, abs=1e-6)
    if res.within_requested_gap:
        assert res.objective - opt <= 0.05 * res.objective + TOL


@pytest.mark.parametrize("seed, sized", [(3, True), (11, False)])
def test_many_members_a_size_cost_and_contiguity(seed, sized):
    """Nine practices and no ceiling, so federations of up to nine: the wide count windows
    ([5, 8], [9, 9]) must refine for the proof."""
    p, rate, _, _ = instance(seed, 9, frozenset({"contiguity"}))
    P = int(p.list_size.sum())
    p = p.replace(max_population=P)
    g = g_lo = None
    if sized:
        g_lo = p.min_population
        N = np.arange(g_lo, P + 1)
        g = 40_000.0 * np.ceil(N / 9000.0) + 2.1 * N + 300.0 * np.sqrt(N)
        p = p.replace(size_cost=SizeCost(g_lo, g))
    opt = optimum(p, rate, g, g_lo)
    res = solve(p, JIT)
    assert res.status is Status.OPTIMAL and abs(res.objective - opt) <= TOL and res.bound <= opt + TOL


# -- pricing, enumeration and fixing against every column -----------------------------------------

def random_duals(p, rng):
    """Duals around what a federation costs per practice, so that some columns price out."""
    share = p.hub_cost / max(1, p.n // 2) + p.assign_cost.mean(axis=1) + 4.0 * p.list_size
    return share * rng.uniform(0.6, 1.6, p.n), float(rng.uniform(-0.2, 0.2) * p.hub_cost)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), n=st.integers(4, 8), rules=st.frozensets(st.sampled_from(RULES), max_size=3),
       masks=st.booleans(), compiled=st.booleans() if JIT else st.just(False))
def test_pricing_is_exact(seed, n, rules, masks, compiled):
    p, rate, g, g_lo = instance(seed, n, rules)
    rng = np.random.default_rng(seed + 1)
    pricer = make_pricer(p)
    assert isinstance(pricer, SegmentedPricer)
    pricer.mode.compiled = compiled
    if p.adjacency is not None:
        pricer.exact_connected = True
    allowed = forced = None
    if masks:
        allowed = p.allowed & (rng.random((n, n)) < 0.85)
        np.fill_diagonal(allowed, np.diag(p.allowed))
        h, i = rng.choice(n, 2, replace=False)
        if allowed[i, h]:
            forced = np.zeros((n, n), bool)
            forced[i, h] = True
    pi, mu = random_duals(p, rng)
    tol = 1e-6
    cols = list(every_column(p, allowed, forced))
    least = min((true_rc(p, rate, g, g_lo, S, h, pi, mu) for S, h in cols), default=np.inf)
    out = pricer.price(pi, mu, tol, np.inf, allowed=allowed, forced=forced)
    assert out.rc_min <= min(0.0, least) + 1e-6
    for S, h, rc in out.columns:
        assert (S, h) in set(cols)
        assert rc == pytest.approx(true_rc(p, rate, g, g_lo, S, h, pi, mu), abs=1e-6) and rc < -tol
    if g is None:
        # the value is the least reduced cost itself, whether or not columns price out (windows refined)
        assert out.rc_min >= min(0.0, least) - tol - 1e-6
        assert bool(out.columns) == (least < -tol)
    if out.hub_rc is not None:
        for S, h in cols:
            assert out.hub_rc[h] <= true_rc(p, rate, g, g_lo, S, h, pi, mu) + 1e-6
    if not np.isfinite(least) or g is not None:
        return
    # at duals where the least true reduced cost is just above zero nothing may price out, and the
    # value must be tight (the windows refine); just below zero, a column must be found
    for shift, gives in ((1e-3, False), (-1.0, True)):
        fresh = make_pricer(p)
        fresh.mode.compiled = compiled
        if p.adjacency is not None:
            fresh.exact_connected = True
        out = fresh.price(pi, mu + least - shift, tol, np.inf, allowed=allowed, forced=forced)
        assert bool(out.columns) == gives
        assert out.rc_min <= min(0.0, shift) + 1e-6
        if not gives:
            assert out.rc_min >= -tol - 1e-6


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), n=st.integers(4, 8), rules=st.frozensets(st.sampled_from(RULES), max_size=3),
       compiled=st.booleans() if JIT else st.just(False))
def test_enumeration_and_fixing_keep_every_column_under_the_window(seed, n, rules, compiled):
    p, rate, g, g_lo = instance(seed, n, rules)
    rng = np.random.default_rng(seed + 2)
    pricer = make_pricer(p)
    pricer.mode.compiled = compiled
    pi, mu = random_duals(p, rng)
    cols = list(every_column(p))
    rcs = {(S, h): true_rc(p, rate, g, g_lo, S, h, pi, mu) for S, h in cols}
    if not rcs:
        return
    delta = float(np.quantile(list(rcs.values()), 0.3))
    found = pricer.enumerate(pi, mu, delta, 10**6, np.inf)
    keep = pricer.fixable(pi, mu, delta)
    for (S, h), rc in rcs.items():
        if rc < delta:
            assert S in found, (S, h, rc, delta)
            assert found[S][1] <= block_cost(p, rate, g, g_lo, S, h) + 1e-6
            assert keep[list(S), h].all()
    for S, (h, cost) in found.items():
        assert cost == pytest.approx(block_cost(p, rate, g, g_lo, S, h), abs=1e-6)
        assert rcs[(S, h)] < delta + 1e-6


# -- the counted knapsack ----------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 10**6), m=st.integers(1, 10), with_cuts=st.booleans(), with_conf=st.booleans(),
       floor=st.floats(-5, 10))
def test_the_counted_knapsack_is_exact(seed, m, with_cuts, with_conf, floor):
    rng = np.random.default_rng(seed)
    p = np.round(rng.normal(2.0, 4.0, m), 3)
    w = rng.integers(0, 30, m)
    counts = rng.integers(1, 3, m)
    lo = int(rng.integers(0, 60))
    hi = lo + int(rng.integers(0, 80))
    c_lo = int(rng.integers(-1, 4))
    c_hi = c_lo + int(rng.integers(0, 4))
    cuts = conflicts = None
    if with_cuts:
        n_cuts = int(rng.integers(1, 5))
        item_cuts = [sorted(set(rng.integers(0, n_cuts, int(rng.integers(0, 3))).tolist())) for _ in range(m)]
        cuts = (item_cuts, rng.uniform(0, 3, n_cuts).tolist(), rng.integers(0, 2, n_cuts).tolist())
    if with_conf and m >= 2:
        conflicts = [[] for _ in range(m)]
        a, b = rng.choice(m, 2, replace=False)
        conflicts[a].append(int(b))
        conflicts[b].append(int(a))
    subsets = []
    for r in range(m + 1):
        for S in itertools.combinations(range(m), r):
            S = list(S)
            if not (lo <= w[S].sum() <= hi and c_lo <= counts[S].sum() <= c_hi):
                continue
            if conflicts and any(j in S for i in S for j in conflicts[i]):
                continue
            value = float(p[S].sum())
            if cuts:
                held = np.array(cuts[2], float)
                for k in S:
                    for c in cuts[0][k]:
                        held[c] += 1
                value -= sum(pen for c, pen in enumerate(cuts[1]) if held[c] >= 2 and cuts[2][c] < 2)
            subsets.append((value, sorted(S)))
    best = max((v for v, _ in subsets), default=None)
    want = best if best is not None and best > floor + 1e-9 else None
    kinds = [False, True] if JIT else [False]
    got = []
    for compiled in kinds:
        ks = Knapsack(p, w, np.arange(m), lo, hi, cuts=cuts, conflicts=conflicts, compiled=compiled, counts=counts,
                      count_lo=c_lo, count_hi=c_hi)
        value, sols, exact = ks.best(floor, keep=3)
        assert exact and (value is None) == (want is None)
        if want is not None:
            assert value == pytest.approx(want, abs=1e-9)
        listed = ks.enumerate(floor, 10**6)
        assert sorted(sorted(s) for _, s in listed) == sorted(s for v, s in subsets if v >= floor - 1e-9)
        got.append((value, [sorted(s) for _, s in sols]))
    assert all(x == got[0] for x in got)          # the compiled search visits the same subsets
    if not cuts and not conflicts:
        dp = knapsack_dp(p, w, np.arange(m), lo, hi, counts, c_lo, c_hi)
        assert (dp is None) == (best is None)
        if dp is not None:
            assert dp[0] == pytest.approx(best, abs=1e-9)
            S = dp[1]
            assert lo <= w[S].sum() <= hi and c_lo <= counts[S].sum() <= c_hi


# -- bounds, heuristics, the compact method, and no member cost ------------------------------------

@pytest.mark.parametrize("seed", range(6))
def test_the_solver_free_bounds_count_the_member_cost(seed):
    p, rate, g, g_lo = instance(seed, 7, frozenset({"distance"}))
    opt = optimum(p, rate, g, g_lo)
    if not np.isfinite(opt):
        return
    assert trivial_bound(p) <= opt + 1e-6
    assert trivial_bound(p) > trivial_bound(p.replace(member_cost=None))
    worst = 0.0
    k_lo, k_hi = 1, p.n
    for part in partitions([int(x) for x in p.list_size], p.max_population, k_lo, k_hi):
        costs = [max((c for c in (block_cost(p, rate, g, g_lo, b, h) for h in b) if np.isfinite(c)), default=np.inf)
                 for b in part]
        worst = max([worst] + ([sum(costs)] if np.isfinite(sum(costs)) else []))
    assert crude_upper(p) >= worst


@pytest.mark.parametrize("seed", range(8))
def test_local_search_never_raises_the_true_cost(seed):
    """From a feasible plan with a penalty no move can pay, every move the local search makes must
    lower the true cost, so its incremental member-cost changes must be right."""
    p, rate, g, g_lo = instance(seed, 8, frozenset({"size"}) if seed % 2 else frozenset())
    rng = np.random.default_rng(seed)
    plans = []
    for part in partitions([int(x) for x in p.list_size], p.max_population, 1, p.n):
        if all(p.min_population <= int(p.list_size[b].sum()) for b in part):
            plans.append(part)
        if len(plans) > 200:
            break
    if not plans:
        return
    part = plans[int(rng.integers(len(plans)))]
    labels = np.zeros(p.n, np.int64)
    for f, b in enumerate(part):
        labels[b] = f
    hubs = tuple(int(b[0]) for b in part)
    start = plan_cost(p, rate, g, g_lo, labels, hubs)
    got = improve(p, labels, hubs, seed=seed, penalty=1e12)
    assert got is not None
    assert plan_cost(p, rate, g, g_lo, *got) <= start + 1e-6


def test_the_compact_method_refuses_a_member_cost():
    p, *_ = instance(0, 5)
    with pytest.raises(ValueError, match="branch_price"):
        solve_federations(p, "cbc", method="compact", time_limit_s=10)


def test_all_zero_rates_are_no_member_cost():
    """Rates all zero leave the problem as it was: the same plan, bound, nodes and columns."""
    problems = [p for _, _, p, _ in itertools.islice(tight_instances(), 2)] + [small_cpmp(5, 30, 4, 0.95)]
    for p in problems:
        zero = p.replace(member_cost=MemberCost(np.zeros(p.n + 1)))
        assert zero.member_cost is None and zero.cost_step() == p.cost_step()
        a = solve_federations(p, "cbc", time_limit_s=120, work_limit=3.0)
        b = solve_federations(zero, "cbc", time_limit_s=120, work_limit=3.0)
        assert (a.status, a.objective, a.bound) == (b.status, b.objective, b.bound)
        assert (a.stats.nodes, a.stats.columns, a.stats.rounds) == (b.stats.nodes, b.stats.columns, b.stats.rounds)
        assert list(a.assignment) == list(b.assignment) and tuple(a.hubs) == tuple(b.hubs)
