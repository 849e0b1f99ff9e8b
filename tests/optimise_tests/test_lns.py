"""Region re-solves (optimise.branch_price.lns): a restricted problem keeps the rules, a spliced plan keeps
them too and costs exactly what the region's change says, and the search never ends worse."""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fedplan.optimise.clock import Clock
from fedplan.optimise.heuristics import construct
from fedplan.optimise import Params
from fedplan.optimise.branch_price.lns import improve_by_regions, region_of, splice
from fedplan.optimise.branch_price.solve import region_solver
from fedplan.optimise.problem import FederationProblem
from engine_instances import instance

SOLVE = region_solver(Params())        # the engine as the regions' sub-solver


def plan_of(p: FederationProblem, seed: int = 0, starts: int = 2):
    plan = construct(p, seed=seed, starts=starts)
    assert plan is not None and p.is_feasible(*plan)
    return np.asarray(plan[0]), tuple(plan[1])


def test_restrict_keeps_costs_pairs_and_adjacency_inside_only():
    p = instance(3, 12).replace(together=((0, 1), (2, 9)), apart=((1, 4), (4, 11)),
                                adjacency=((0, 1), (1, 4), (4, 11), (2, 3)))
    idx = np.array([4, 1, 0, 11])
    sub = p.restrict(idx)
    assert sub.codes == tuple(p.codes[i] for i in idx)
    np.testing.assert_array_equal(sub.assign_cost, p.assign_cost[np.ix_(idx, idx)])
    np.testing.assert_array_equal(sub.list_size, p.list_size[idx])
    assert sub.together == ((1, 2),)                 # (0, 1) inside; (2, 9) reaches outside
    assert sub.apart == ((0, 1), (0, 3))             # (1, 4) and (4, 11), renumbered
    assert set(sub.adjacency) == {(1, 2), (0, 1), (0, 3)}
    assert sub.n_federations is None
    assert p.restrict(idx, n_federations=2).n_federations == 2


def test_region_is_whole_neighbouring_federations_within_the_size():
    p = instance(5, 24)
    labels, hubs = plan_of(p)
    region = region_of(p, labels, hubs, 0, max_practices=10)
    assert region[0] == 0 and len(region) >= 2 and len(set(region)) == len(region)
    held = np.isin(labels, region).sum()
    assert held <= 10 or len(region) == 2


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), start=st.integers(0, 50))
def test_splice_keeps_every_rule_and_changes_the_cost_by_the_region_difference(seed, start):
    p = instance(seed % 7, 18)
    plan = construct(p, seed=seed, starts=2)
    assume(plan is not None and p.is_feasible(*plan))       # construction can miss on a seed
    labels, hubs = np.asarray(plan[0]), tuple(plan[1])
    f = start % len(hubs)
    region = region_of(p, labels, hubs, f, max_practices=12)
    members = np.flatnonzero(np.isin(labels, region))
    sub = p.restrict(members)
    other = construct(sub, seed=seed, starts=2)
    if other is None or not sub.is_feasible(*other):
        return
    new_labels, new_hubs = splice(labels, hubs, region, members, other[0], other[1])
    assert p.is_feasible(new_labels, new_hubs)
    renumber = {g: k for k, g in enumerate(region)}
    where = {int(i): k for k, i in enumerate(members)}
    old_sub = sub.cost(np.array([renumber[int(labels[i])] for i in members]), [where[hubs[g]] for g in region])
    expected = p.cost(labels, hubs) - old_sub + sub.cost(*other)
    assert abs(p.cost(new_labels, new_hubs) - expected) <= 1e-6 * abs(expected)


def test_region_search_never_ends_worse_and_reports_each_gain():
    p = instance(11, 30)
    labels, hubs = plan_of(p, seed=4, starts=1)
    start = p.cost(labels, hubs)
    offered = []
    clock = Clock(120.0, work_limit=6.0)           # work-limited: the same regions on any machine
    with clock.active():
        out = improve_by_regions(p, (labels, hubs), clock, budget=6.0, solve=SOLVE, max_practices=14, region_budget=1.5,
                                 offer=lambda plan, why: offered.append(p.cost(*plan)))
    assert p.is_feasible(*out)
    assert offered, "a one-start construction of this instance leaves regions to improve"
    assert offered == sorted(offered, reverse=True)          # each offer improves on the last
    assert offered[0] < start and abs(offered[-1] - p.cost(*out)) <= 1e-6
    assert clock.work > 0                                    # the regions' work is counted


def test_region_search_keeps_a_fixed_number_of_federations():
    p = instance(2, 24)
    labels, hubs = plan_of(p)
    fixed = p.replace(n_federations=len(hubs))
    clock = Clock(60.0)
    with clock.active():
        out = improve_by_regions(fixed, (labels, hubs), clock, budget=4.0, solve=SOLVE, max_practices=12,
                                 region_budget=1.0)
    assert fixed.is_feasible(*out) and len(out[1]) == len(hubs)


def test_region_search_stops_once_every_region_is_settled():
    """A region's sub-problem depends only on its practices: once proven to hold nothing cheaper it
    is not solved again, and when a whole pass finds every region settled the search ends, well
    inside its budget (it had re-solved the same regions until the budget was spent)."""
    p = instance(11, 30)
    labels, hubs = plan_of(p, seed=4, starts=1)
    solved = []

    def solve(sub, *args):
        solved.append(tuple(sub.codes))
        return SOLVE(sub, *args)

    clock = Clock(300.0)
    with clock.active():
        out = improve_by_regions(p, (labels, hubs), clock, budget=120.0, solve=solve, max_practices=14,
                                 region_budget=10.0)
    assert p.cost(*out) < p.cost(labels, hubs) and clock.used() < 60.0
    solved.clear()
    clock = Clock(300.0)
    with clock.active():
        again = improve_by_regions(p, out, clock, budget=120.0, solve=solve, max_practices=14, region_budget=10.0)
    assert p.cost(*again) == p.cost(*out)                    # settled: nothing cheaper anywhere
    assert solved and len(solved) == len(set(solved)) and clock.used() < 60.0
