"""Every reported bound is a valid lower bound, whatever stopped the run.

The oracle is exhaustive: every partition of a small instance into federations, every hub, in
plain code written here (it shares nothing with the engine but the instance's arrays). Against
it, for every method and solver and under a requested gap, a time limit or a work limit:

- the bound never exceeds the optimum (so never a plan that exists);
- a plan meets every rule and costs what it says; an ``optimal`` plan is the optimum;
- ``within_requested_gap`` holds only when the plan is within that gap of the optimum;
- ``infeasible`` only when no plan exists, and "no plan" never when one is found quickly.

The capacitated p-median instances with a tight capacity are the ones that broke the promise: with
``gap`` > 0, nodes pruned at the gap's target were forgotten and the bound collapsed to the plan's
cost (seeds 9, 20, 23 and 53 below reported bounds above the optimum).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fedplan.optimise import ProblemInfeasible, Status, solve_federations
from oracles import cpmp, federations, optimum, plan_cost

TOL = 0.01          # the proof tolerance the README promises (a penny; here a distance unit / 100)


def check(problem, g, g_lo, res, gap: float) -> None:
    opt = optimum(problem, g, g_lo)
    if res.status is Status.INFEASIBLE:
        assert not np.isfinite(opt), f"called infeasible, but a plan of {opt} exists"
        return
    if res.bound is not None:
        assert res.bound <= opt + TOL, f"bound {res.bound} above the optimum {opt}"
    if not res.has_plan:
        return
    assert np.isfinite(opt)
    cost = plan_cost(problem, g, g_lo, res.assignment, res.hubs)
    assert np.isfinite(cost), "the plan breaks a rule"
    assert abs(cost - res.objective) <= 1e-6 * max(1.0, cost), (cost, res.objective)
    assert res.objective >= opt - TOL
    assert res.status is not Status.ERROR, res.message
    if res.status is Status.OPTIMAL:
        assert res.objective <= opt + TOL, f"'optimal' plan {res.objective} above the optimum {opt}"
        assert res.objective - res.bound <= TOL
    if res.within_requested_gap:
        assert (res.objective - opt) <= max(gap * abs(res.objective), TOL) + 1e-9


# -- the tests -----------------------------------------------------------------------------------

# 15 random seeds besides the four that broke it (was 25): every gap still drawn several times,
# and test_every_method_solver_and_stopping_rule_keeps_the_bound_valid below stops runs at a gap too
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), gap=st.sampled_from([0.01, 0.02, 0.03, 0.05]))
@example(seed=9, gap=0.01)
@example(seed=358, gap=0.01)
@example(seed=20, gap=0.03)
@example(seed=23, gap=0.05)
@example(seed=53, gap=0.01)
def test_branch_and_price_with_a_gap_never_bounds_above_the_optimum(seed, gap):
    p = cpmp(seed)
    try:
        res = solve_federations(p, "cbc", time_limit_s=30, gap=gap)
    except ProblemInfeasible:
        # a fill of 1.03 can leave no packing at all (seed 358): then none may exist
        assert not packs_into_three(p.list_size, p.max_population), "refused as impossible, but a packing exists"
        return
    check(p, None, 0, res, gap)
    if res.status is not Status.OPTIMAL:
        assert res.within_requested_gap, "the run ended before its limit without meeting its gap"


def packs_into_three(demand, cap: int) -> bool:
    """Whether the demands split into three groups of at most ``cap`` each (every group is then
    non-empty when 2 cap < total): the sums the first two groups can reach, item by item."""
    total = int(sum(demand))
    reach = {(0, 0)}
    for d in (int(x) for x in demand):
        reach = {(a + d, b) for a, b in reach if a + d <= cap} | {(a, b + d) for a, b in reach if b + d <= cap} | reach
    return any(total - a - b <= cap and a > 0 and b > 0 and total - a - b > 0 for a, b in reach)


RULES = ["distance", "hubs", "count", "together", "apart", "contiguity", "size"]
SOLVERS = ["cbc", "cpsat", "highs", "scip"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), n=st.integers(5, 8),
       rules=st.frozensets(st.sampled_from(RULES), max_size=4),
       method=st.sampled_from(["branch_price", "compact"]), solver=st.sampled_from(SOLVERS),
       stop=st.sampled_from(["none", "gap", "time", "work"]))
def test_every_method_solver_and_stopping_rule_keeps_the_bound_valid(seed, n, rules, method, solver, stop):
    if method == "compact" and "contiguity" in rules:
        rules = rules - {"contiguity"}           # modelled by branch and price only (refused otherwise)
    if stop == "work" and solver == "highs":
        stop = "time"                            # work limits are refused with HiGHS
    problem, g, g_lo = federations(seed, n, rules)
    gap = 0.03 if stop == "gap" else 0.0
    kw = {"time_limit_s": 0.4 if stop == "time" else 30.0, "gap": gap}
    if stop == "work":
        kw["work_limit"] = 0.02
    try:
        res = solve_federations(problem, solver, method=method, **kw)
    except ProblemInfeasible:
        assert not np.isfinite(optimum(problem, g, g_lo)), "refused as impossible, but a plan exists"
        return
    check(problem, g, g_lo, res, gap)
    if stop in ("none", "gap") and np.isfinite(optimum(problem, g, g_lo)):
        assert res.has_plan, f"no plan from a {n}-practice problem with a plan: {res.message}"


def test_a_bound_above_the_plan_is_an_error_not_a_proof():
    from fedplan.optimise.result import judge

    status, bound, gap, why = judge(1000.0, 1000.5)
    assert status is Status.ERROR and bound == 1000.5 and "exceeds" in why
    status, bound, gap, why = judge(1000.0, 1000.004)        # float noise within the tolerance
    assert status is Status.OPTIMAL and bound == 1000.0 and gap == 0.0 and not why
    status, _, gap, _ = judge(1000.0, 990.0)
    assert status is Status.FEASIBLE and gap == pytest.approx(0.01)


def test_optimal_means_within_a_penny_not_within_the_requested_gap():
    p = cpmp(20)
    res = solve_federations(p, "cbc", time_limit_s=30, gap=0.05)
    if res.status is Status.OPTIMAL:
        assert res.objective - res.bound <= TOL
    else:
        assert res.status is Status.FEASIBLE and res.within_requested_gap and res.gap <= 0.05 + 1e-12
