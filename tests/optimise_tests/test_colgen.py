"""Column generation and branch and price: exact pricing, valid bounds, proven optima."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedplan.optimise import Params, ProblemInfeasible, solve_federations
from fedplan.optimise.bounds import hub_bound, lagrangian_bound, round_up_to_step
from fedplan.optimise.branch_price import columns, enumeration, node, primal, solve, tree
from fedplan.optimise.branch_price.branching import Node
from fedplan.optimise.branch_price.columns import partition_ip, plan_columns
from fedplan.optimise.branch_price.cuts import CutRounds, separate_subset_rows
from fedplan.optimise.branch_price.master import NodeMaster, covering_suffices
from fedplan.optimise.branch_price.params import (BranchingParams, CutParams, MasterParams, NodeParams, PrimalParams,
                                                  RootParams)
from fedplan.optimise.branch_price.pricing import Pricer, cut_penalty
from fedplan.optimise.branch_price.solve import solve_federations_cg
from fedplan.optimise.problem import FederationProblem
from fedplan.optimise.result import Status
from engine_instances import (brute_force, check_with_verify, compiled_search, every_column, instance, practices,
                              problem_from, scenario, small_cpmp, tight_instances)


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("rules", ["none", "branching"])
@pytest.mark.parametrize("seed", range(6))
def test_pricing_finds_the_exact_minimum_reduced_cost(seed, rules, compiled):
    p = instance(seed, 7)
    rng = np.random.default_rng(100 + seed)
    pi = rng.normal(40000, 30000, p.n)
    mu = float(rng.normal(0, 20000))
    allowed, forced = p.allowed.copy(), None
    if rules == "branching":
        node = Node().child_one(1, 2, 0.0).child_zero(3, 3, 0.0).child_zero(4, 5, 0.0)
        allowed, forced = node.masks(p.allowed)
    best = min((p.hub_cost + p.assign_cost[list(S), h].sum() - pi[list(S)].sum() - mu
                for S, h in every_column(p, allowed, forced)), default=np.inf)
    pricer = Pricer(p, p.assign_cost, p.hub_cost)
    pricer.mode.compiled = compiled_search(compiled)
    out = pricer.price(pi, mu, 1e-9, np.inf, allowed=allowed, forced=forced)
    assert out.rc_min == pytest.approx(min(0.0, best), abs=1e-6)
    for S, h, rc in out.columns:
        assert (S, h) in set(every_column(p, allowed, forced))
        assert rc == pytest.approx(p.hub_cost + p.assign_cost[list(S), h].sum() - pi[list(S)].sum() - mu)


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_pricing_with_subset_row_penalties_is_exact(seed, compiled):
    p = instance(seed, 7)
    rng = np.random.default_rng(300 + seed)
    pi, mu = rng.normal(40000, 30000, p.n), float(rng.normal(0, 10000))
    cut_sets = np.array([(0, 1, 2), (1, 3, 5), (2, 4, 6), (0, 5, 6)])
    sigma = -rng.uniform(0, 30000, len(cut_sets))
    pricer = Pricer(p, p.assign_cost, p.hub_cost)
    pricer.mode.compiled = compiled_search(compiled)
    cuts = Pricer.cut_data(cut_sets, sigma)

    def rc(S, h):
        pen = sum(-sg for R, sg in zip(cut_sets, sigma) if len(set(R) & set(S)) >= 2)
        return p.hub_cost + p.assign_cost[list(S), h].sum() - pi[list(S)].sum() - mu + pen

    best = min(rc(S, h) for S, h in every_column(p, p.allowed, None))
    out = pricer.price(pi, mu, 1e-9, np.inf, cuts=cuts)
    assert out.rc_min == pytest.approx(min(0.0, best), abs=1e-6)
    for S, h, r in out.columns:
        assert r == pytest.approx(rc(S, h))
    delta = 20000.0
    want = {S for S, h in every_column(p, p.allowed, None) if rc(S, h) < delta}
    got = pricer.enumerate(pi, mu, delta, 10**6, np.inf, cuts=cuts)
    assert set(got) == want


def test_root_cut_budget_grows_with_the_limit_and_caps_the_rounds():
    """120 cuts up to a 60 s limit, 2 per second of limit above that, 300 at most; a run never
    starts a cut round once the budget is reached."""
    assert [CutParams().budget(t) for t in (4, 60, 100, 150, 300, 3600)] == [120, 120, 200, 300, 300, 300]
    p = small_cpmp(7, 60, 8, 0.9)
    params = Params(cuts=CutParams(per_round=2, min_cuts=3, per_unit=0.0))
    res = solve_federations(p, "cbc", time_limit_s=30, params=params)
    assert res.stats.cut_rounds >= 1 and res.stats.cuts <= 3 + 1   # the round that crossed 3 was the last


def test_subset_row_separation_finds_the_odd_cycle():
    members = [(0, 1), (1, 2), (0, 2), (3,)]
    x = np.array([0.5, 0.5, 0.5, 1.0])
    assert separate_subset_rows(members, x, 4, set(), 10) == [(0, 1, 2)]
    assert separate_subset_rows(members, x, 4, {(0, 1, 2)}, 10) == []
    # an integral solution violates no cut
    assert separate_subset_rows([(0, 1), (2, 3)], np.array([1.0, 1.0]), 4, set(), 10) == []


@pytest.mark.parametrize("seed", range(4))
def test_partial_pricing_still_bounds_every_reduced_cost(seed):
    """Stopping after one productive hub must report rc_min <= the exact minimum (a valid bound)."""
    p = instance(seed, 8)
    rng = np.random.default_rng(200 + seed)
    pi, mu = rng.normal(60000, 30000, p.n), float(rng.normal(0, 10000))
    pricer = Pricer(p, p.assign_cost, p.hub_cost)
    exact = pricer.price(pi, mu, 1e-9, np.inf)
    partial = pricer.price(pi, mu, 1e-9, np.inf, enough=1)
    assert partial.rc_min <= exact.rc_min + 1e-6
    if exact.rc_min < -1e-6:        # a negative column exists: partial pricing must find one
        assert partial.columns and min(rc for _, _, rc in partial.columns) < 0



@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("enough", [None, 1])
def test_per_hub_bounds_hold_for_every_column_and_are_exact_where_priced(seed, enough):
    p = instance(seed, 7)
    rng = np.random.default_rng(500 + seed)
    pi, mu = rng.normal(40000, 30000, p.n), float(rng.normal(0, 20000))
    node = Node().child_zero(3, 3, 0.0).child_one(1, 2, 0.0)
    allowed, forced = node.masks(p.allowed)
    per_hub = np.full(p.n, np.inf)
    for S, h in every_column(p, allowed, forced):
        per_hub[h] = min(per_hub[h], p.hub_cost + p.assign_cost[list(S), h].sum() - pi[list(S)].sum() - mu)
    out = Pricer(p, p.assign_cost, p.hub_cost).price(pi, mu, 1e-9, np.inf, allowed=allowed, forced=forced,
                                                       enough=enough)
    assert (out.hub_rc <= per_hub + 1e-6).all()
    assert np.isinf(out.hub_rc[3])                       # hub 3 closed by the rule
    if enough is None:
        # every hub with a negative column was priced exactly
        neg = per_hub < -1e-6
        assert out.hub_rc[neg] == pytest.approx(per_hub[neg], abs=1e-6)


@pytest.mark.parametrize("seed", range(8))
def test_the_hub_bound_never_exceeds_the_optimum_and_beats_k_times_the_least(seed):
    """A plan's k columns have k different hubs: sum(pi) + min_k (k mu + the k least per-hub
    bounds) is a lower bound on every plan, at any duals; checked against the brute-force
    optimum, with the count free and fixed."""
    for k in (None, 3):
        p = instance(seed, 7, L=8000, U=30000, F=20000.0, k=k)
        opt = brute_force(p)
        rng = np.random.default_rng(600 + seed)
        k_lo, k_hi = p.federation_count_range()
        for _ in range(5):
            pi, mu = rng.normal(15000, 15000, p.n), float(rng.normal(0, 20000))
            out = Pricer(p, p.assign_cost, p.hub_cost).price(pi, mu, 1e-9, np.inf)
            bound = lagrangian_bound(float(pi.sum()), mu, out, k_lo, k_hi, p.population)
            assert bound <= opt + 1e-6 * abs(opt)
            by_count = float(pi.sum()) + min(kk * (mu + out.rc_min) for kk in (k_lo, k_hi))
            assert bound >= by_count - 1e-9


def test_the_hub_bound_takes_the_k_least_hubs_and_the_best_count():
    r = np.array([-5.0, -1.0, 3.0, np.inf])
    assert hub_bound(0.0, r, 2, 2) == pytest.approx(-6.0)
    # k = 1: 2 - 5; k = 2: 4 - 6; k = 3: 6 - 3
    assert hub_bound(2.0, r, 1, 3) == pytest.approx(-3.0)
    assert hub_bound(0.0, r, 4, 4) == np.inf              # only three hubs can take a column
    assert hub_bound(0.0, None, 1, 3) == -np.inf

@pytest.mark.parametrize("seed", range(6))
def test_pricing_respects_together_and_apart_pairs(seed):
    p = instance(seed, 7).replace(together=((1, 2), (2, 5)), apart=((0, 3), (4, 5)))
    rng = np.random.default_rng(400 + seed)
    pi, mu = rng.normal(40000, 30000, p.n), float(rng.normal(0, 10000))

    def ok(S):
        S = set(S)
        return all((i in S) == (j in S) for i, j in p.together) and not any(i in S and j in S for i, j in p.apart)

    cols = [(S, h) for S, h in every_column(p, p.allowed, None) if ok(S)]
    rc = {(S, h): p.hub_cost + p.assign_cost[list(S), h].sum() - pi[list(S)].sum() - mu for S, h in cols}
    pricer = Pricer(p, p.assign_cost, p.hub_cost)
    out = pricer.price(pi, mu, 1e-9, np.inf)
    assert out.rc_min == pytest.approx(min(0.0, min(rc.values(), default=np.inf)), abs=1e-6)
    for S, h, r in out.columns:
        assert (S, h) in rc and r == pytest.approx(rc[(S, h)])
    got = pricer.enumerate(pi, mu, 25000.0, 10**6, np.inf)
    assert set(got) == {S for (S, h), r in rc.items() if r < 25000.0}


def test_enumeration_lists_every_column_below_the_threshold():
    p = instance(3, 7)
    rng = np.random.default_rng(7)
    pi, mu, delta = rng.normal(40000, 20000, p.n), 1000.0, 30000.0
    cols = {}
    for S, h in every_column(p, p.allowed, None):
        c = p.hub_cost + p.assign_cost[list(S), h].sum()
        if c - pi[list(S)].sum() - mu < delta and (S not in cols or c < cols[S][1]):
            cols[S] = (h, c)
    got = Pricer(p, p.assign_cost, p.hub_cost).enumerate(pi, mu, delta, 10**6, np.inf)
    assert set(got) == set(cols)
    for S in cols:
        assert got[S][1] == pytest.approx(cols[S][1])


def test_node_rules_forbid_and_force_pairs():
    p = instance(0, 6)
    node = Node().child_one(1, 2, 0.0).child_zero(3, 4, 0.0)
    ok, forced = node.masks(p.allowed)
    assert ok[1, 2] and not ok[1, [0, 1, 3, 4, 5]].any()     # practice 1 only with hub 2
    assert ok[2, 2] and not ok[2, [0, 1, 3, 4, 5]].any()     # hub 2 is its own hub
    assert not ok[3, 4] and ok[3, 3]
    assert forced[1, 2] and forced.sum() == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(4, 8), fixed_k=st.booleans())
def test_branch_and_price_proves_the_brute_force_optimum(seed, n, fixed_k):
    k = None
    if fixed_k:
        lo, hi = instance(seed, n).federation_count_range()
        k = int(np.random.default_rng(seed).integers(lo, max(lo, hi) + 1))
    sc = scenario(k=k)
    p = problem_from(practices(seed, n), sc)
    opt = brute_force(p)
    if not np.isfinite(opt):
        return                      # infeasible instances are diagnosed elsewhere
    try:
        res = solve_federations_cg(p, time_limit_s=60)
    except ProblemInfeasible:
        pytest.fail("a feasible instance was called infeasible")
    assert res.status is Status.OPTIMAL
    assert res.objective == pytest.approx(opt, rel=1e-9)
    assert res.bound <= opt + 1e-6
    check_with_verify(seed, n, sc, res)


def proven_tight_instances(params: Params | None = None):
    """``tight_instances`` solved by branch and price (with ``params``), each checked to prove the
    brute-force optimum and to pass ``verify``: (seed, problem, optimum, result)."""
    for seed, sc, p, opt in tight_instances():
        res = solve_federations_cg(p, time_limit_s=60, params=params)
        assert res.status is Status.OPTIMAL and res.objective == pytest.approx(opt, rel=1e-9)
        check_with_verify(seed, 9, sc, res)
        yield seed, p, opt, res


def test_the_tree_alone_proves_the_optimum():
    """Reduced-cost enumeration switched off: branching on practice-hub pairs must close the gap."""
    branched = 0
    for seed, p, opt, res in proven_tight_instances(Params(node=NodeParams(enum_limit=0))):
        branched += res.stats.nodes > 1
    assert branched >= 1


@pytest.mark.parametrize("iterations", [0, 100])
def test_strong_branching_ranks_on_the_columns_priced_and_leaves_the_node_as_it_was(monkeypatch, iterations):
    """Enumeration off, so the tree must branch: every strong-branching call picks one of its
    candidates, leaves the node's columns switched on and off exactly as before (the HiGHS
    basis back too, with probes), and the runs still prove the brute-force optimum."""
    calls = []
    real = node.strong_branch

    def strong(tree, at, cands, z):
        before = tree.master.off.copy()
        held = getattr(tree.master.lp, "_held", None)
        pick = real(tree, at, cands, z)
        calls.append((pick in cands, np.array_equal(before, tree.master.off),
                      getattr(tree.master.lp, "_held", None) is held))
        return pick

    monkeypatch.setattr(node, "strong_branch", strong)
    params = Params(node=NodeParams(enum_limit=0), branching=BranchingParams(strong_iterations=iterations))
    for _ in proven_tight_instances(params):
        pass
    assert calls and all(all(c) for c in calls)


def test_the_dive_after_the_root_offers_only_valid_plans_and_keeps_the_proof(monkeypatch):
    """The column-fixing dive with construction, rounding, enumeration and the hub and column IPs
    switched off: whatever it offers is a feasible plan no dearer than the incumbent it started
    from, it does find plans, and the run still proves the brute-force optimum."""
    params = Params(root=RootParams(construct=False), node=NodeParams(enum_limit=0),   # the root must branch
                    primal=PrimalParams(rounding=False, hub_search=False, pool_ips=False))
    dives = []
    real_dive = primal.Primal.dive

    def dive(self, root, budget, process):
        before = self.search.ub
        real_dive(self, root, budget, process)
        dives.append((before, self.search.ub, self.search.plan))

    monkeypatch.setattr(primal.Primal, "dive", dive)
    found = 0
    for seed, p, opt, res in proven_tight_instances(params):
        for before, after, plan in dives:
            assert after <= before
            if np.isfinite(after):
                found += 1
                assert p.is_feasible(*plan) and p.cost(*plan) == pytest.approx(after)
                assert after >= opt - 1e-6 * opt
        dives.clear()
    assert found >= 1


def test_node_master_switches_off_exactly_the_columns_a_nodes_rules_forbid():
    """``restrict`` against the rules read column by column: a column is off when a member may not
    join its hub, when its hub has a forced member it lacks, or when it is retired; retiring,
    re-pricing a retired column and adding columns between calls keep that true."""
    rng = np.random.default_rng(11)
    n = 9
    m = NodeMaster(n, 1, n, 1e6)

    def grow(count):
        for _ in range(count):
            h = int(rng.integers(n))
            others = rng.choice([i for i in range(n) if i != h], int(rng.integers(0, 4)), replace=False)
            m.add(tuple(sorted([h, *others.tolist()])), h, float(rng.uniform(10, 50)))

    grow(40)
    allowed = rng.uniform(size=(n, n)) > 0.15
    np.fill_diagonal(allowed, True)
    checked = 0
    for step in range(60):
        at = Node()
        for _ in range(int(rng.integers(0, 3))):
            i, h = (int(v) for v in rng.integers(n, size=2))
            at = at.child_one(i, h, 0.0) if rng.uniform() < 0.5 else at.child_zero(i, h, 0.0)
        ok, forced = at.masks(allowed)
        m.restrict(ok, forced)
        for j, (S, h) in enumerate(zip(m.members, m.hubs)):
            bad = not all(ok[i, h] for i in S) or j in m.retired
            if forced is not None:
                bad |= any(forced[i, h] and i not in S for i in range(n))
            assert bool(m.off[j]) == bad, (step, j)
            checked += 1
        if step % 7 == 3:
            x = np.zeros(len(m.vars))
            m.retire_at(rng.uniform(0, 5, n), 0.0, np.zeros(0), x, keep=10)
        if step % 7 == 5 and m.retired:
            j = sorted(m.retired)[0]
            m.add(m.members[j], m.hubs[j], m.costs[j])        # priced again: back on
            assert j not in m.retired
        if step % 10 == 9:
            grow(5)
    assert checked > 1000 and m.retired


def test_lp_rounding_at_nodes_thins_out_after_misses_and_resumes_after_a_plan():
    """Rounding runs at every node until it has missed ``round_tries`` times in a row, then at
    every ``round_every``-th node; a cheaper plan from it starts the count again."""
    params = PrimalParams()
    tries, every = params.round_tries, params.round_every
    schedule = primal.RoundingSchedule(tries, every)
    tried, pays = [], {tries + 2 * every}
    for at in range(1, 80):
        if schedule.due(at):
            tried.append(at)
            schedule.record(at in pays)
    first = tried[:tries]
    assert first == list(range(1, tries + 1))
    paid = max(pays)
    thin = [t for t in tried if tries < t <= paid]
    assert thin and all(t % every == 0 for t in thin)
    # after the plan: every node again for round_tries nodes
    assert [t for t in tried if t > paid][:tries] == list(range(paid + 1, paid + 1 + tries))


def test_node_master_reduced_costs_include_the_cut_penalties():
    """The reduced costs that pick the columns of the pool IPs: c - sum(pi) - mu, plus -sigma_R
    for each cut R holding two or more members, checked column by column."""
    rng = np.random.default_rng(3)
    n = 8
    m = NodeMaster(n, 1, n, 1e6)
    for _ in range(30):
        S = tuple(sorted(rng.choice(n, int(rng.integers(1, 5)), replace=False).tolist()))
        m.add(S, int(S[0]), float(rng.uniform(10, 50)))
    cuts = [(0, 1, 2), (3, 4, 5), (1, 5, 7)]
    for R in cuts:
        m.add_cut(R)
    pi, mu, sigma = rng.uniform(0, 10, n), -1.5, np.array([-2.0, 0.0, -0.7])
    rc = m.reduced_costs(pi, mu, sigma)
    data = Pricer.cut_data(np.array(cuts), sigma)
    for j, (S, c) in enumerate(zip(m.members, m.costs)):
        assert rc[j] == pytest.approx(c - pi[list(S)].sum() - mu + cut_penalty(S, data, n))


def test_the_pool_ips_offer_only_valid_plans_and_keep_the_proof(monkeypatch):
    """The IPs over the columns of least reduced cost (at the root after the cuts, and at every
    node here) with construction, rounding, the dive, enumeration and the hub search switched off:
    every plan they offer is feasible and costed right, none beats the brute-force optimum, they
    do find plans, and the run still proves the optimum. The incumbent's own columns stay in the
    IP even when they are not among the few picked."""
    params = Params(root=RootParams(construct=False), node=NodeParams(enum_limit=0),
                    primal=PrimalParams(pool_ip_columns=6, pool_ip_every=1, rounding=False, hub_search=False,
                                        dive=False))
    calls = []
    real = primal.partition_ip

    def spy(problem, cols, *a, **k):
        out = real(problem, cols, *a, **k)
        calls.append((cols, k.get("start_plan"), out[1]))
        return out

    monkeypatch.setattr(primal, "partition_ip", spy)
    found = picked = 0
    for seed, p, opt, res in proven_tight_instances(params):
        for cols, start, plan in calls:
            if start is not None:
                have = {(S, h) for S, h, _ in cols}
                labels, hubs = start
                assert all((tuple(np.flatnonzero(labels == f).tolist()), h) in have for f, h in enumerate(hubs))
            picked += len(cols) <= 6 + 9
            if plan is not None:
                found += 1
                assert p.is_feasible(*plan) and p.cost(*plan) >= opt - 1e-6 * opt
        calls.clear()
    assert picked >= 1 and found >= 1


def test_the_hub_search_runs_in_the_tree_only_once_it_has_paid(monkeypatch):
    """A hub-set search that finds nothing at the root is not repeated at the nodes (on the
    joint Devon model each repeat took a tenth of the limit and never found a plan)."""
    calls = []
    monkeypatch.setattr(primal, "hub_set_search", lambda *a, **k: calls.append(1))
    params = Params(node=NodeParams(enum_limit=0), primal=PrimalParams(hub_search_every=1))
    for seed, p, opt, res in proven_tight_instances(params):
        assert len(calls) <= 1
        calls.clear()


def test_cut_rounds_stop_at_their_share_of_the_limit():
    """With no time for cuts (``CutParams.share`` 0) the root adds one round and stops; the optimum
    is still proven (seeds 7 and 8 take four rounds otherwise)."""
    rounds = []
    for seed, sc, p, opt in tight_instances():
        res = solve_federations_cg(p, time_limit_s=60, params=Params(cuts=CutParams(share=0.0)))
        assert res.status is Status.OPTIMAL and res.objective == pytest.approx(opt, rel=1e-9)
        rounds.append(res.stats.cut_rounds)
    assert max(rounds) == 1


def test_cbc_solves_set_partitioning_without_its_cuts_and_still_proves_the_optimum(monkeypatch):
    """The IPs over columns ask CBC to leave its cut generators off (3-7x faster on the joint Devon
    node IPs); over every column of a small area the IP still proves the brute-force optimum."""
    import pulp

    seen = []
    real = pulp.PULP_CBC_CMD

    def cmd(*a, **k):
        seen.append(list(k.get("options", [])))
        return real(*a, **k)

    monkeypatch.setattr(pulp, "PULP_CBC_CMD", cmd)
    seed, sc, p, opt = next(tight_instances())
    cols = [(S, h, p.column_cost(S, h)) for S, h in every_column(p, p.allowed, None)]
    state, plan, _, _ = partition_ip(p, cols, *p.federation_count_range(), 60, "cbc", 0, 1)
    assert state == "optimal" and p.cost(*plan) == pytest.approx(opt, rel=1e-9)
    assert seen and all("cuts off" in o for o in seen)
    # a cutoff goes to CBC as its own option (its preprocessing fixes columns by reduced cost
    # against it), not as a row: the model keeps one row per practice and the count row
    rows = []
    real_run = columns.run_solver
    monkeypatch.setattr(columns, "run_solver", lambda name, model, *a, **k: (
        rows.append(len(model.rows)), real_run(name, model, *a, **k))[1])
    seen.clear()
    out = partition_ip(p, cols, *p.federation_count_range(), 60, "cbc", 0, 1, cutoff=opt + 1.0)[3]
    assert rows == [p.n + 1]
    assert out.state == "optimal" and seen and any(o.startswith("cutoff ") for o in seen[0])
    assert float(next(o for o in seen[0] if o.startswith("cutoff ")).split()[1]) == opt + 1.0


@pytest.mark.parametrize("solver", ["cbc", "highs", "scip", "cpsat"])
def test_the_column_ip_cutoff_keeps_only_cheaper_plans(solver):
    """With a cutoff under the optimum the IP over every column has no plan ("infeasible": nothing
    cheaper, which is all a node closed by enumeration needs); just above it the optimum is found.
    CP-SAT takes no fractional row, so it solves without the cutoff and still returns the optimum."""
    seed, sc, p, opt = next(tight_instances())
    cols = [(S, h, p.column_cost(S, h)) for S, h in every_column(p, p.allowed, None)]
    ks = p.federation_count_range()
    state, plan, _, _ = partition_ip(p, cols, *ks, 60, solver, 0, 1, cutoff=opt - 1.0)
    if solver == "cpsat":
        # (CP-SAT proves the optimum of the pence-rounded costs)
        assert state == "optimal_rounded" and p.cost(*plan) == pytest.approx(opt, rel=1e-6)
    else:
        assert state == "infeasible" and plan is None
    state, plan, _, _ = partition_ip(p, cols, *ks, 60, solver, 0, 1, cutoff=opt + 1.0)
    assert state in ("optimal", "optimal_rounded") and p.cost(*plan) == pytest.approx(opt, rel=1e-6)


def test_the_tree_finds_a_plan_when_no_heuristic_does(devon_rows):
    """Regression: with no heuristic plan the tree once branched forever on a pair it had already
    forced, because artificial columns still covered that practice (a 10-practice area with tight
    bounds ran to its time limit with no plan). Now M grows until artificials leave the node LP
    or the node is pruned as holding no plan."""
    rows = sorted(devon_rows, key=lambda r: (r["sub_icb_code"], r["practice_code"]))[:10]
    sizes = np.array([int(r["registered_patients"]) for r in rows])
    xy = np.array([[float(r["easting"]), float(r["northing"])] for r in rows]) / 1000
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    total = int(sizes.sum())
    p = FederationProblem(tuple(r["practice_code"] for r in rows), sizes, 0.15 * sizes[:, None] * d,
                          252530.0, total // 4, total // 2 + 1, None)
    res = solve_federations_cg(p, time_limit_s=60, params=Params(root=RootParams(construct=False)))
    ref = solve_federations(p, "cbc", time_limit_s=60, method="compact")
    assert ref.status is Status.OPTIMAL
    assert res.status is Status.OPTIMAL and res.objective == pytest.approx(ref.objective, rel=1e-9)
    assert res.runtime_s < 30      # it used to spin until the limit


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(5, 8))
def test_branch_and_price_with_linked_practices_matches_brute_force(seed, n):
    rng = np.random.default_rng(seed)
    i, j, k, l = (int(v) for v in rng.choice(n, 4, replace=False))
    p = instance(seed, n).replace(together=((i, j),), apart=((k, l),))
    opt = brute_force(p)
    if not np.isfinite(opt):
        return
    res = solve_federations_cg(p, time_limit_s=60)
    assert res.status is Status.OPTIMAL and res.objective == pytest.approx(opt, rel=1e-9)
    a = res.assignment
    assert a[i] == a[j] and a[k] != a[l]


def test_phase_one_keeps_the_federation_count():
    """Found by the property test above (seed 3593, n 7, k 3): phase 1 once relaxed the count row
    to [0, k], ended on a cover of two columns, and phase 2's master was then infeasible ("master
    LP failed", status error). Phase 1 now keeps the row and pays for its artificial slack."""
    p = problem_from(practices(3593, 7), scenario(k=3))
    res = solve_federations_cg(p, time_limit_s=60)
    assert res.status is Status.OPTIMAL
    assert res.objective == pytest.approx(brute_force(p), rel=1e-9)
    assert res.n_federations == 3


def test_cpsat_settles_nodes_on_its_rounded_proof(monkeypatch):
    """CP-SAT proves the optimum of pence-rounded costs ("optimal_rounded"), with a bound corrected
    by the rounding error. That bound settles a node whose enumerated IP it solved, and caps the
    run's lower bound; the runs still prove the brute-force optimum with a valid bound."""
    settled = []
    last = []
    real_ip, real_close = enumeration.partition_ip, enumeration.Enumeration.close

    def ip(*a, **k):
        out = real_ip(*a, **k)
        last.append(out[0])
        return out

    def close(self, *a, **k):
        last.clear()
        done = real_close(self, *a, **k)
        settled.append((tuple(last), done))
        return done

    monkeypatch.setattr(enumeration, "partition_ip", ip)
    monkeypatch.setattr(enumeration.Enumeration, "close", close)
    for seed, sc, p, opt in tight_instances():
        res = solve_federations_cg(p, time_limit_s=60, mip_solver="cpsat")
        assert res.status is Status.OPTIMAL and res.objective == pytest.approx(opt, rel=1e-9)
        assert res.bound <= opt + 1e-6
        check_with_verify(seed, 9, sc, res)
    assert any(states == ("optimal_rounded",) and done for states, done in settled)


def test_a_root_that_cannot_converge_hands_its_time_to_plans(monkeypatch):
    """On a problem too big for the root LP to converge in time (3,038 points), the second half of
    the limit goes to plans: the IP over the LP's columns, then region re-solves. Forced here on
    the 100-point SJC1 sample after the first round: the plan is feasible and no worse than the
    construction's, the bound is the Lagrangian bound of the rounds run (below the published
    optimum 17,288.99), and nothing is called optimal that was not proven."""
    from pathlib import Path

    from fedplan.inputs.cpmp import read_cpmp
    from fedplan.optimise.cpmp import cpmp_problem

    inst = read_cpmp(Path(__file__).parents[1] / "data" / "cpmp" / "SJC1.txt", "lorena-senne")
    p = cpmp_problem(inst.ids, inst.demand, inst.capacity, inst.distances(), inst.p)
    seen = []
    real = solve.plans_from_the_root
    monkeypatch.setattr(solve, "plans_from_the_root", lambda search, *a: (seen.append(search.ub), real(search, *a))[1])
    res = solve_federations_cg(p, time_limit_s=20, params=Params(root=RootParams(plans_after=0.0, plans_gap=-1.0)))
    assert len(seen) == 1 and res.stats.plans_instead and res.stats.nodes == 0
    assert res.status is Status.FEASIBLE and p.is_feasible(res.assignment, res.hubs)
    assert 17288.99 - 0.01 <= res.objective <= seen[0] + 1e-6
    assert res.bound <= 17288.99 + 1e-6 and res.stats.regions_solved > 0


def test_covering_first_only_where_dropping_a_member_is_free():
    """Covering rows leave the root LP's optimum alone only when every column minus a member is
    still a column and no dearer: a floor, a size cost, contiguity, must-link pairs or a negative
    access cost each rule it out."""
    from dataclasses import replace

    p = small_cpmp(0, 8, 2, 0.8)
    assert covering_suffices(p)
    assert not covering_suffices(replace(p, min_population=5))
    assert not covering_suffices(replace(p, together=((0, 1),)))
    assert not covering_suffices(replace(p, adjacency=tuple((i, i + 1) for i in range(7))))
    cost = p.assign_cost.copy()
    cost[0, 1] = -1.0
    assert not covering_suffices(replace(p, assign_cost=cost))
    assert covering_suffices(replace(p, apart=((0, 1),)))        # cannot-link: a subset keeps it
    # the federation problems of the default scenario have a floor: they always partition
    assert not covering_suffices(instance(0, 8))


def test_covering_first_gives_the_partitioning_root_bound(monkeypatch):
    """The root with covering rows first (then = 1) ends on the same LP bound as the root that
    partitions from the start: only the duals on the way differ. The tree is switched off, so
    the bound is the root's (a root proven while it still covers has the optimum as its bound)."""
    monkeypatch.setattr(tree.BranchAndPrice, "run", lambda self, root_bound: None)
    switched = 0
    for seed in range(10):
        rng = np.random.default_rng(seed)
        p = small_cpmp(seed, int(rng.integers(25, 41)), int(rng.integers(3, 7)), float(rng.uniform(0.85, 0.97)))
        bounds = {}
        for cover in (True, False):
            res = solve_federations_cg(p, time_limit_s=60, params=Params(master=MasterParams(cover_first=cover)))
            if cover:
                switched += res.stats.covered_first
                assert res.stats.covered_first or res.status is Status.OPTIMAL
            else:
                assert not res.stats.covered_first
            assert p.is_feasible(res.assignment, res.hubs)
            bounds[cover] = res.bound
        assert bounds[True] == pytest.approx(bounds[False], rel=1e-6)
    assert switched >= 3


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(4, 8), fill=st.floats(0.6, 0.98))
def test_branch_and_price_proves_the_brute_force_cpmp_optimum(seed, n, fill):
    """Capacitated p-median instances (the root covers first): the proven optimum is the brute
    force's, and the plan meets every capacity; an instance no packing fits is called infeasible."""
    p = small_cpmp(seed, n, max(2, n // 3), fill)
    opt = brute_force(p)
    if not np.isfinite(opt):
        # no packing fits the capacities: said so, never a plan
        try:
            res = solve_federations_cg(p, time_limit_s=60)
        except ProblemInfeasible:
            return
        assert res.status is Status.INFEASIBLE and not res.has_plan
        return
    res = solve_federations_cg(p, time_limit_s=60)
    assert res.status is Status.OPTIMAL
    assert res.objective == pytest.approx(opt, rel=1e-9)
    assert res.bound <= opt + 1e-6 and p.is_feasible(res.assignment, res.hubs)
    assert p.cost(res.assignment, res.hubs) == pytest.approx(res.objective, rel=1e-12)


def test_every_cut_round_has_the_incumbents_columns_in_the_master(monkeypatch):
    """The incumbent meets every subset-row cut, so its columns go into the master before cuts
    are added: the LP with cuts always has a solution on real columns."""
    seen = []
    real = CutRounds.add

    def spy(self, x, z):
        added = real(self, x, z)
        if added:
            m = self.tree.master
            where = [m.index.get((S, h)) for S, h, _ in plan_columns(self.tree.problem, self.tree.search.plan)]
            seen.append(all(j is not None and j not in m.retired and not m.off[j] for j in where))
        return added

    monkeypatch.setattr(CutRounds, "add", spy)
    for seed, sc, p, opt in tight_instances(6):
        res = solve_federations_cg(p, time_limit_s=60)
        assert res.status is Status.OPTIMAL and res.objective == pytest.approx(opt, rel=1e-9)
    assert seen and all(seen)


def test_whole_costs_have_a_step_of_one():
    """Plans cost whole numbers only when every allowed access cost and the fixed cost are whole
    and there is no size cost (the OR-Library pmedcap files: truncated distances)."""
    from dataclasses import replace

    from fedplan.optimise.sizecost import SizeCost

    p = small_cpmp(3, 12, 3, 0.8)
    assert p.cost_step() == 0.0                                # Euclidean distances
    whole = replace(p, assign_cost=np.floor(p.assign_cost))
    assert whole.cost_step() == 1.0
    assert replace(whole, hub_cost=0.5).cost_step() == 0.0
    # a fractional cost on a forbidden pair does not count: no plan can use it
    cost = whole.assign_cost.copy()
    cost[0, 1] += 0.25
    allowed = whole.allowed.copy()
    allowed[0, 1] = False
    assert replace(whole, assign_cost=cost, allowed=allowed).cost_step() == 1.0
    assert replace(whole, assign_cost=cost).cost_step() == 0.0
    sized = replace(whole, size_cost=SizeCost(0, np.zeros(int(whole.max_population) + 1)))
    assert sized.cost_step() == 0.0


def test_round_up_to_step():
    assert round_up_to_step(1004.3, 1.0) == 1005.0
    assert round_up_to_step(1004.005, 1.0) == 1004.0           # float noise above a whole number
    assert round_up_to_step(1004.0, 1.0) == 1004.0
    assert round_up_to_step(-2.5, 1.0) == -2.0
    assert round_up_to_step(1004.3, 0.0) == 1004.3
    assert round_up_to_step(-np.inf, 1.0) == -np.inf


@pytest.mark.parametrize("seed", range(4))
def test_whole_cost_bound_is_whole_and_agrees_with_the_compact_model(seed):
    """With whole costs the reported bound is a whole number, never above the compact model's
    proven optimum, and branch and price proves that same optimum."""
    from dataclasses import replace

    p = small_cpmp(40 + seed, 18, 3, 0.9)
    p = replace(p, assign_cost=np.floor(p.assign_cost))
    res = solve_federations(p, "cbc", time_limit_s=60)
    ref = solve_federations(p, "cbc", time_limit_s=60, method="compact")
    assert ref.status == Status.OPTIMAL and res.status == Status.OPTIMAL
    assert res.bound == np.round(res.bound) and res.bound <= ref.objective + 1e-9
    assert res.objective == pytest.approx(ref.objective, abs=1e-9)


def test_whole_costs_prove_a_plan_one_above_a_fractional_bound():
    """With whole costs, a bound of 1004.3 under a plan of 1005 is a proof (no plan costs 1004.3,
    none between 1004 and 1005), and only plans of 1004 or less are worth searching for; with
    fractional costs neither holds."""
    from dataclasses import replace

    from fedplan.optimise.branch_price.state import SearchState
    from fedplan.optimise.clock import Clock

    p = small_cpmp(3, 12, 3, 0.8)
    for problem, step in ((replace(p, assign_cost=np.floor(p.assign_cost)), 1.0), (p, 0.0)):
        s = SearchState(problem, Clock(10.0), lambda msg: None, Params())
        s.plan, s.ub, s.lb = (np.zeros(problem.n, dtype=np.int64), (0,)), 1005.0, 1004.3
        assert s.step == step
        assert s.proven() == (step == 1.0)
        assert s.bound() == (1005.0 if step else 1004.3)
        assert s.target() == pytest.approx(1004.01 if step else 1005.0)
