"""Engine tests: every solver adapter against a brute-force oracle, verify() on every output,
honest statuses, and infeasibility explained in words."""
from __future__ import annotations


import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fedplan.inputs.model import BoundsSpec, CostsSpec, MakeBuySpec, RiskSpec
from engine_instances import Scenario  # the product's Scenario, access by km (engine_instances.Scenario)
from fedplan.optimise import FederationProblem, ProblemInfeasible, Status, solve_federations, trivial_bound, verify
from fedplan.optimise.formulations import build_assignment_model
from fedplan.optimise.solvers.pulp_cbc import parse_cbc_bound
from fedplan.optimise.verify import Claim
from engine_instances import TOWNS_SIZES, TOWNS_XY, brute_force, make_practices, problem_from, size_cost

SOLVERS = ["cbc", "cpsat", "highs", "scip"]


@pytest.mark.parametrize("method", ["branch_price", "compact"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_every_solver_proves_the_brute_force_optimum_and_passes_verify(solver, method):
    sc = Scenario(bounds=BoundsSpec(min_population=20000, max_population=40000))
    if method == "compact":
        # the compact model proves to the penny only where g is affine between steps (README:
        # with the curved risk term its pieces may leave the solvers' own gap tolerances short)
        sc = Scenario(bounds=sc.bounds, risk=RiskSpec(enabled=False))
    pr = make_practices(TOWNS_XY, TOWNS_SIZES)
    p = problem_from(pr, sc)
    res = solve_federations(p, solver, time_limit_s=30, method=method)
    assert res.status == Status.OPTIMAL
    assert res.objective == pytest.approx(brute_force(p), rel=1e-9)
    assert res.bound <= res.objective + 1e-6 and res.gap <= 1e-6
    # the two towns become the two federations
    assert res.assignment[0] == res.assignment[1] == res.assignment[2] != res.assignment[3]
    check = verify(sc, res.assignment_by_code(), res.hubs_by_federation(),
                   practices=pr, claimed=Claim(objective=res.objective))
    assert check.ok, check.problems
    assert sorted(check.populations.values()) == [28000, 29000]


def test_fixed_number_of_federations_bites():
    sc = Scenario(bounds=BoundsSpec(min_population=5000, max_population=60000))
    pr = make_practices(TOWNS_XY, TOWNS_SIZES)
    free = solve_federations(problem_from(pr, sc), "cbc", time_limit_s=30)
    one = problem_from(pr, sc).replace(n_federations=3)
    fixed = solve_federations(one, "cbc", time_limit_s=30)
    assert fixed.n_federations == 3 and fixed.status == Status.OPTIMAL
    assert fixed.objective == pytest.approx(brute_force(one))
    assert free.n_federations != 3 or free.objective == fixed.objective


def test_max_distance_forbids_far_hubs():
    sc = Scenario(bounds=BoundsSpec(min_population=10000, max_population=100000),
                  costs=CostsSpec(federation_fixed_gbp=10_000_000))  # huge fixed cost: merge everything
    pr = make_practices(TOWNS_XY, TOWNS_SIZES)
    p = problem_from(pr, sc)
    merged = solve_federations(p, "highs", time_limit_s=30)
    assert merged.n_federations == 1
    xy = np.c_[pr.easting, pr.northing] / 1000
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    near = p.replace(allowed=d <= 10)
    split = solve_federations(near, "highs", time_limit_s=30)
    assert split.n_federations == 2
    assert split.objective == pytest.approx(brute_force(near))


@pytest.mark.parametrize("method", ["branch_price", "compact"])
def test_hub_candidates_bite(method):
    """Only the listed practices may host: the optimum moves, costs more, and passes verify."""
    from dataclasses import replace as dc_replace

    from fedplan.api import build_problem
    from fedplan.inputs.model import ConstraintsSpec

    # risk off: the rule is what bites here; the curved risk term only slowed the compact
    # MIP (about 40 s a solve) and is covered by test_joint.py
    sc = Scenario(bounds=BoundsSpec(min_population=20000, max_population=40000), risk=RiskSpec(enabled=False))
    pr = make_practices(TOWNS_XY, TOWNS_SIZES)
    xy = np.c_[pr.easting, pr.northing] / 1000
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    free = solve_federations(build_problem(pr, sc, d), "cbc", time_limit_s=30, method=method)
    # the free optimum hosts at the central practices; allow only the outlying P02 and P05
    assert {free.practice_codes[h] for h in free.hubs} != {"P02", "P05"}
    limited_sc = dc_replace(sc, constraints=ConstraintsSpec(hub_candidates=("P02", "P05")))
    p = build_problem(pr, limited_sc, d)
    res = solve_federations(p, "cbc", time_limit_s=30, method=method)
    assert res.status == Status.OPTIMAL
    assert {res.practice_codes[h] for h in res.hubs} == {"P02", "P05"}
    assert res.objective == pytest.approx(brute_force(p)) and res.objective > free.objective
    check = verify(limited_sc, res.assignment_by_code(), res.hubs_by_federation(),
                   practices=pr, claimed=Claim(objective=res.objective))
    assert check.ok, check.problems
    bad = verify(limited_sc, free.assignment_by_code(), free.hubs_by_federation(), practices=pr)
    assert not bad.ok and any("hub candidates" in m for m in bad.problems)


@pytest.mark.parametrize("method", ["branch_price", "compact"])
def test_together_and_apart_pairs_bite(method):
    """Like-minded practices: a together pair across the towns and an apart pair inside one."""
    from dataclasses import replace as dc_replace

    from fedplan.api import build_problem
    from fedplan.inputs.model import ConstraintsSpec

    # risk off: the rule is what bites here; the curved risk term only slowed the compact
    # MIP (about 40 s a solve) and is covered by test_joint.py
    sc = Scenario(bounds=BoundsSpec(min_population=20000, max_population=40000), risk=RiskSpec(enabled=False))
    pr = make_practices(TOWNS_XY, TOWNS_SIZES)
    xy = np.c_[pr.easting, pr.northing] / 1000
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    free = solve_federations(build_problem(pr, sc, d), "cbc", time_limit_s=30, method=method)
    lab = free.assignment
    assert lab[0] != lab[3] and lab[0] == lab[1]          # the towns split; P00 and P01 together
    for rules in ({"together": (("P00", "P03"),)}, {"apart": (("P00", "P01"),)}):
        linked = dc_replace(sc, constraints=ConstraintsSpec(**rules))
        p = build_problem(pr, linked, d)
        res = solve_federations(p, "cbc", time_limit_s=30, method=method)
        assert res.status == Status.OPTIMAL, res.message
        assert res.objective == pytest.approx(brute_force(p)) and res.objective > free.objective
        a = res.assignment
        assert (a[0] == a[3]) if "together" in rules else (a[0] != a[1])
        check = verify(linked, res.assignment_by_code(), res.hubs_by_federation(),
                       practices=pr, claimed=Claim(objective=res.objective))
        assert check.ok, check.problems
        assert not verify(linked, free.assignment_by_code(), free.hubs_by_federation(), practices=pr).ok


@pytest.mark.parametrize("method", ["branch_price", "compact"])
def test_locks_and_disruption_bite(method):
    from dataclasses import replace as dc_replace

    from fedplan.api import build_problem
    from fedplan.inputs.model import ConstraintsSpec

    # risk off: the rule is what bites here, as in test_hub_candidates_bite
    sc = Scenario(bounds=BoundsSpec(min_population=20000, max_population=40000), risk=RiskSpec(enabled=False))
    pcn = ["A", "A", "B", "B", "C", "C"]         # today's PCNs cut across the two towns
    pr = make_practices(TOWNS_XY, TOWNS_SIZES, pcn=pcn)
    xy = np.c_[pr.easting, pr.northing] / 1000
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    free = solve_federations(build_problem(pr, sc, d), "cbc", time_limit_s=30, method=method)
    # lock P01 to be hosted by P04, in the other town
    locked_sc = dc_replace(sc, constraints=ConstraintsSpec(locks=(("P01", "P04"),)))
    p = build_problem(pr, locked_sc, d)
    res = solve_federations(p, "cbc", time_limit_s=30, method=method)
    assert res.status == Status.OPTIMAL and res.objective == pytest.approx(brute_force(p))
    assert res.practice_codes[res.hubs[res.assignment[1]]] == "P04" and res.objective > free.objective
    assert verify(locked_sc, res.assignment_by_code(), res.hubs_by_federation(),
                  practices=pr, claimed=Claim(objective=res.objective)).ok
    assert not verify(locked_sc, free.assignment_by_code(), free.hubs_by_federation(), practices=pr).ok
    # a large disruption charge: practices keep hubs inside their own PCN where they can
    costly = dc_replace(sc, costs=CostsSpec(disruption_gbp_per_patient=50.0))
    p = build_problem(pr, costly, d)
    res = solve_federations(p, "cbc", time_limit_s=30, method=method)
    assert res.status == Status.OPTIMAL and res.objective == pytest.approx(brute_force(p))
    check = verify(costly, res.assignment_by_code(), res.hubs_by_federation(),
                   practices=pr, claimed=Claim(objective=res.objective))
    assert check.ok, check.problems
    away = sum(TOWNS_SIZES[i] for i in range(6) if pcn[res.hubs[res.assignment[i]]] != pcn[i])
    assert check.cost_breakdown["disruption"] == pytest.approx(50.0 * away)
    free_away = sum(TOWNS_SIZES[i] for i in range(6) if pcn[free.hubs[free.assignment[i]]] != pcn[i])
    assert away < free_away             # the charge moved a hub back inside its PCN


def test_contradictory_pairs_are_explained():
    from dataclasses import replace as dc_replace

    from fedplan.api import build_problem
    from fedplan.inputs import InputError
    from fedplan.inputs.model import ConstraintsSpec

    sc = Scenario(bounds=BoundsSpec(min_population=20000, max_population=40000))
    pr = make_practices(TOWNS_XY, TOWNS_SIZES)
    d = np.zeros((6, 6))
    with pytest.raises(InputError) as err:
        build_problem(pr, dc_replace(sc, constraints=ConstraintsSpec(together=(("P00", "P01"),),
                                                                     apart=(("P00", "P01"),))), d)
    assert "both in together and in apart" in str(err.value)
    with pytest.raises(InputError) as err:
        build_problem(pr, dc_replace(sc, constraints=ConstraintsSpec(apart=(("P00", "P9"),))), d)
    assert "P9" in str(err.value) and "constraints.apart" in str(err.value)
    # a chain of together pairs above the maximum, and an apart pair inside a together-group
    chain = ConstraintsSpec(together=(("P00", "P03"), ("P03", "P01"), ("P01", "P04")),
                            apart=(("P00", "P04"),))
    p = build_problem(pr, dc_replace(sc, constraints=chain), d)
    with pytest.raises(ProblemInfeasible) as err:
        solve_federations(p, "cbc", time_limit_s=5)
    text = str(err.value)
    assert "43,000 patients, above the maximum 40,000" in text and "asked to be apart" in text


def test_unknown_hub_candidate_is_refused_with_a_suggestion():
    from dataclasses import replace as dc_replace

    from fedplan.api import build_problem
    from fedplan.inputs import InputError
    from fedplan.inputs.model import ConstraintsSpec

    pr = make_practices(TOWNS_XY, TOWNS_SIZES)
    sc = dc_replace(Scenario(), constraints=ConstraintsSpec(hub_candidates=("P0X",)))
    with pytest.raises(InputError) as err:
        build_problem(pr, sc, np.zeros((6, 6)))
    assert "P0X" in str(err.value) and "constraints.hub_candidates" in str(err.value)


def test_area_too_small_is_explained_in_words():
    sc = Scenario()
    pr = make_practices([(0, 0), (1, 1)], [3000, 4500])
    with pytest.raises(ProblemInfeasible) as err:
        solve_federations(problem_from(pr, sc), "cbc", time_limit_s=5, names=pr.name)
    text = str(err.value)
    assert "7,500" in text and "25,000" in text and "P00" in text and "P01" in text


def test_practice_too_big_and_impossible_count_are_explained():
    sc = Scenario()
    pr = make_practices([(0, 0), (1, 1)], [120000, 30000])
    with pytest.raises(ProblemInfeasible, match="P00.*120,000.*100,000"):
        solve_federations(problem_from(pr, sc), "cbc", time_limit_s=5)
    pr = make_practices([(0, 0), (1, 1), (2, 2)], [40000, 40000, 25000])  # 105k: 1 too big, 2 fine
    p = problem_from(pr, sc).replace(n_federations=1)
    with pytest.raises(ProblemInfeasible, match="exactly 1"):
        solve_federations(p, "cbc", time_limit_s=5)


def test_cbc_bound_is_read_from_its_log_not_from_pulp_status():
    log = "Cbc0010I After 100 nodes, 3 on tree, 5883097.8 best solution, best possible 5763573.5 (10.2 seconds)\n"
    assert parse_cbc_bound(log) == pytest.approx(5763573.5)
    log += "Result - Stopped on time limit\n\nObjective value:   5883097.82\nLower bound:   5763573.563\n"
    assert parse_cbc_bound(log) == pytest.approx(5763573.563)


def test_time_limited_solve_is_not_called_optimal():
    rng = np.random.default_rng(3)
    n = 45
    xy = rng.uniform(0, 60, size=(n, 2))
    sizes = rng.integers(2000, 15000, size=n)
    sc = Scenario()
    pr = make_practices(xy, sizes)
    res = solve_federations(problem_from(pr, sc), "cbc", time_limit_s=1)
    assert res.has_plan
    if res.status == Status.OPTIMAL:
        assert res.gap <= 1e-6
    else:
        assert res.status == Status.FEASIBLE and res.bound < res.objective and res.gap > 0
    assert verify(sc, res.assignment_by_code(), res.hubs_by_federation(),
                  practices=pr, claimed=Claim(objective=res.objective)).ok


def test_verify_catches_broken_plans():
    sc = Scenario(bounds=BoundsSpec(min_population=20000, max_population=40000))
    pr = make_practices(TOWNS_XY, TOWNS_SIZES)
    good = {"P00": 1, "P01": 1, "P02": 1, "P03": 2, "P04": 2, "P05": 2}
    hubs = {1: "P00", 2: "P03"}
    assert verify(sc, good, hubs, practices=pr).ok
    missing = dict(good)
    del missing["P05"]
    assert "no federation" in " ".join(verify(sc, missing, hubs, practices=pr).problems)
    lopsided = dict(good, P01=2, P02=2)
    assert "outside 20,000-40,000" in " ".join(verify(sc, lopsided, hubs, practices=pr).problems)
    assert "not one of its members" in " ".join(verify(sc, good, {1: "P03", 2: "P00"}, practices=pr).problems)
    c = verify(sc, good, hubs, practices=pr).cost_gbp
    assert "differs" in " ".join(verify(sc, good, hubs, practices=pr, claimed=Claim(objective=c + 10)).problems)


def test_model_encode_decode_round_trip():
    sc = Scenario(bounds=BoundsSpec(min_population=20000, max_population=40000))
    p = problem_from(make_practices(TOWNS_XY, TOWNS_SIZES), sc)
    m = build_assignment_model(p)
    a, h = np.array([0, 0, 0, 1, 1, 1]), (1, 3)
    x = m.encode(a, h)
    assert m.model.violation(x) is None
    assert m.model.objective_value(x) == pytest.approx(p.cost(a, h))
    a2, h2 = m.decode(x)
    assert p.cost(a2, h2) == pytest.approx(p.cost(a, h))


tiny = st.integers(min_value=3, max_value=6).flatmap(lambda n: st.tuples(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=n, max_size=n),
    st.lists(st.integers(3000, 20000), min_size=n, max_size=n)))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny, st.integers(0, 1000))
def test_properties_relabelling_bounds_and_verify(instance, seed):
    xy, sizes = instance
    pr = make_practices(xy, sizes)
    sc = Scenario(bounds=BoundsSpec(min_population=15000, max_population=45000))
    p = problem_from(pr, sc)
    try:
        res = solve_federations(p, "highs", time_limit_s=20, seed=seed % 7)
    except ProblemInfeasible:
        assert brute_force(p) == np.inf
        return
    if not res.has_plan:
        assert res.status == Status.INFEASIBLE and brute_force(p) == np.inf
        return
    # exact on tiny instances, and every returned plan passes verify()
    assert res.objective == pytest.approx(brute_force(p), rel=1e-9)
    assert verify(sc, res.assignment_by_code(), res.hubs_by_federation(),
                  practices=pr, claimed=Claim(objective=res.objective)).ok
    # relabelling federations leaves the cost unchanged
    k = res.n_federations
    perm = np.random.default_rng(seed).permutation(k)
    inv = np.argsort(perm)
    assert p.cost(perm[res.assignment], tuple(res.hubs[inv[f]] for f in range(k))) == pytest.approx(res.objective)
    # tightening a bound never lowers the optimum
    tighter = p.replace(min_population=p.min_population + 3000)
    assert brute_force(tighter) >= res.objective - 1e-6


def test_cbc_proof_is_not_undone_by_a_stale_bound_in_its_log():
    """Cornwall (QT6): CBC proves optimality in about a second, after printing mid-search
    'best possible' lines; the plan must come back optimal, not feasible with a stale gap."""
    from fedplan import geo
    from fedplan import inputs
    from fedplan.api import build_problem
    from fedplan.inputs.model import AreaSpec

    # the plain model (access + fixed cost): the regression is about CBC's log, not make-or-buy
    sc = Scenario(area=AreaSpec(icb="QT6"), makebuy=MakeBuySpec(joint=False), risk=RiskSpec(enabled=False))
    pr = geo.project_practices(inputs.select_area(inputs.load_national_practices(), sc.area))
    p = build_problem(pr, sc, geo.distance_km(pr))
    res = solve_federations(p, "cbc", time_limit_s=60, method="compact")
    assert "Optimal solution found" in res.log
    assert res.status == Status.OPTIMAL and res.gap <= 1e-6
    assert verify(sc, res.assignment_by_code(), res.hubs_by_federation(),
                  practices=pr, claimed=Claim(objective=res.objective)).ok


def _towns_with_a_dear_plan():
    """The two-town instance and a feasible plan that is not optimal (right towns, worst hubs)."""
    pr = make_practices(TOWNS_XY, TOWNS_SIZES)
    # risk off: g affine between team steps, so the compact model can prove to the penny
    sc = Scenario(bounds=BoundsSpec(min_population=20000, max_population=40000), risk=RiskSpec(enabled=False))
    p = problem_from(pr, sc)
    a, hubs = np.array([0, 0, 0, 1, 1, 1]), (2, 5)
    return pr, sc, p, build_assignment_model(p).encode(a, hubs), p.cost(a, hubs)


def test_a_cbc_proof_of_the_compact_model_is_rechecked_without_cuts(monkeypatch):
    """CBC's cuts once removed the optimum of a compact model and CBC called a dearer plan optimal
    (seed 1584 of the property test below). Its proof is re-checked by a search without cuts for
    a cheaper plan, which here finds the optimum the lying first run hid."""
    import fedplan.optimise.compact as compact
    from fedplan.optimise.solvers.base import SolverOutput

    pr, sc, p, dear, dear_cost = _towns_with_a_dear_plan()
    honest = solve_federations(p, "cbc", time_limit_s=20, method="compact")
    assert honest.status == Status.OPTIMAL and "no cheaper plan" in honest.message
    real, cuts = compact.run_solver, []

    def first_proof_wrong(name, model, opts, start=None):
        cuts.append(opts.cuts)
        if opts.cuts:
            return SolverOutput("optimal", dear, dear_cost, dear_cost, 0.1, name, "test")
        return real(name, model, opts, start)

    monkeypatch.setattr(compact, "run_solver", first_proof_wrong)
    res = solve_federations(p, "cbc", time_limit_s=20, method="compact")
    assert cuts == [True, False]
    assert "first proof was wrong" in res.message
    assert res.status == Status.OPTIMAL and res.objective == pytest.approx(brute_force(p))
    assert res.objective < dear_cost - 1
    assert verify(sc, res.assignment_by_code(), res.hubs_by_federation(),
                  practices=pr, claimed=Claim(objective=res.objective)).ok


def test_a_cbc_proof_that_cannot_be_rechecked_is_not_called_optimal(monkeypatch):
    import fedplan.optimise.compact as compact
    from fedplan.optimise.solvers.base import SolverOutput

    pr, sc, p, dear, dear_cost = _towns_with_a_dear_plan()
    opt = brute_force(p)

    def unchecked(name, model, opts, start=None):
        if opts.cuts:
            return SolverOutput("optimal", dear, dear_cost, dear_cost, 0.1, name, "test")
        return SolverOutput("no_solution", None, None, opt - 500.0, 0.1, name, "test", message="time limit")

    monkeypatch.setattr(compact, "run_solver", unchecked)
    res = solve_federations(p, "cbc", time_limit_s=20, method="compact")
    assert res.status == Status.FEASIBLE and "could not be re-checked" in res.message
    assert res.bound == pytest.approx(opt - 500.0) and res.bound <= res.objective


def test_a_false_infeasible_from_the_solver_keeps_the_verified_plan(monkeypatch):
    """CBC 2.10.3's preprocessing can claim 'infeasible' on large models (seen on ICB QWO)."""
    import fedplan.optimise.compact as compact
    from fedplan.optimise.solvers.base import SolverOutput

    def lying_solver(name, model, opts, start=None):
        return SolverOutput("infeasible", None, None, None, 0.1, name, "test")

    monkeypatch.setattr(compact, "run_solver", lying_solver)
    sc = Scenario(bounds=BoundsSpec(min_population=20000, max_population=40000))
    pr = make_practices(TOWNS_XY, TOWNS_SIZES)
    p = problem_from(pr, sc)
    res = solve_federations(p, "cbc", time_limit_s=5, method="compact")
    assert res.status == Status.FEASIBLE and "wrongly reported" in res.message
    assert res.bound == pytest.approx(trivial_bound(p)) and res.bound <= res.objective
    assert verify(sc, res.assignment_by_code(), res.hubs_by_federation(),
                  practices=pr, claimed=Claim(objective=res.objective)).ok


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.sampled_from(["branch_price", "compact"]))
@example(1584, "compact")   # CBC's cuts cut off this optimum: its proof must be re-checked
def test_properties_warm_start_and_tighter_bounds(seed, method):
    """A warm start never ends worse than the start; tightening a bound never lowers the optimum
    (both solved by the engine, within the time limit, so compared through their bounds)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(7, 12))
    pr = make_practices(rng.uniform(0, 30, (n, 2)), rng.integers(3000, 15000, n))
    # With the default joint model (make-or-buy and the curved risk term in g(N)) every compact
    # example ran to both 6 s limits unproven: its optimum comparison below never ran, and the
    # example of seed 1584 never reached the CBC proof it is kept for. The compact examples use
    # access + fixed cost, which CBC proves (and re-checks) in under a second; branch and price
    # keeps make-or-buy's stepped g(N) with risk off, which it proves in a few seconds.
    sc = Scenario(bounds=BoundsSpec(min_population=15000, max_population=45000), risk=RiskSpec(enabled=False),
                  makebuy=MakeBuySpec(joint=method == "branch_price"))
    p = problem_from(pr, sc)
    from fedplan.optimise.heuristics import construct

    start = construct(p, seed=seed, starts=1)
    if start is None:
        return
    res = solve_federations(p, "cbc", time_limit_s=6, method=method, warm_start=start)
    assert res.has_plan and res.objective <= p.cost(*start) + 1e-6
    tighter = p.replace(max_population=p.max_population - 5000)
    try:
        tight = solve_federations(tighter, "cbc", time_limit_s=6, method=method)
    except ProblemInfeasible:
        return
    if tight.has_plan and tight.status == Status.OPTIMAL and res.status == Status.OPTIMAL:
        assert tight.objective >= res.objective - 1e-6
    if tight.has_plan:
        assert tight.objective >= res.bound - 1e-6       # no tighter plan beats the looser bound


@pytest.mark.parametrize("seed", range(3))
def test_cpmp_methods_agree_on_random_instances(seed):
    """Capacitated p-median (no floor, no fixed cost, fixed p): both methods prove the same optimum."""
    from fedplan.optimise.cpmp import cpmp_problem

    rng = np.random.default_rng(seed)
    n, p_med = 24, 4
    xy = rng.uniform(0, 100, (n, 2))
    demand = rng.integers(1, 20, n)
    cap = int(np.ceil(demand.sum() / p_med * 1.15))
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    prob = cpmp_problem(np.arange(1, n + 1), demand, np.full(n, cap), d, p_med)
    a = solve_federations(prob, "cbc", time_limit_s=60, method="branch_price")
    b = solve_federations(prob, "highs", time_limit_s=60, method="compact")
    assert a.status == Status.OPTIMAL and b.status == Status.OPTIMAL
    assert a.objective == pytest.approx(b.objective, rel=1e-9)


@pytest.mark.parametrize("method", ["compact", "branch_price"])
def test_a_solver_crash_is_reported_not_raised(monkeypatch, tmp_path, method):
    """CBC dying mid-solve (here: a stand-in CBC that kills itself with SIGSEGV) never escapes as an
    exception: with the heuristic's plan the result is `feasible` and says what failed; with no
    plan at all it is `error`."""
    import pulp

    import fedplan.optimise.compact as compact
    fake = tmp_path / "cbc"
    fake.write_text("#!/bin/sh\nkill -SEGV $$\n")
    fake.chmod(0o755)
    monkeypatch.setattr(pulp.PULP_CBC_CMD, "pulp_cbc_path", str(fake))
    rng = np.random.default_rng(3)  # big enough that branch and price needs the IP solver
    sc = Scenario(makebuy=MakeBuySpec(joint=False), risk=RiskSpec(enabled=False))
    pr = make_practices(rng.uniform(0, 60, size=(45, 2)), rng.integers(2000, 15000, size=45))
    p = problem_from(pr, sc)
    res = solve_federations(p, "cbc", time_limit_s=5, method=method)
    assert verify(sc, res.assignment_by_code(), res.hubs_by_federation(),
                  practices=pr, claimed=Claim(objective=res.objective)).ok
    if method == "branch_price":
        # column generation (GLOP) and the branching tree prove this one without CBC: a proof
        # that did not need the crashed solver is still a proof
        assert res.status == Status.OPTIMAL and res.objective - res.bound <= 0.01
    else:
        assert res.status == Status.FEASIBLE and "signal 11" in res.message and res.bound < res.objective
        monkeypatch.setattr(compact, "construct", lambda *a, **k: None)
        res = solve_federations(p, "cbc", time_limit_s=5, method=method)
        assert res.status == Status.ERROR and not res.has_plan and "signal 11" in res.message


def test_trivial_bound_counts_the_points_that_must_travel():
    """Four points on a line at 0, 1, 3, 7 km, two medians, no fixed cost: two points are medians
    (cost 0), the other two pay at least their distance to the nearest other point; the two
    cheapest such distances are 1 and 1 (points 0 and 1), so the bound is 2 — the old bound
    (each point at its cheapest hub, itself) said 0. The optimum is {0, 1, 3} around 1 and {7}:
    1 + 2 = 3."""
    x = np.array([0.0, 1.0, 3.0, 7.0])
    d = np.abs(x[:, None] - x[None, :])
    p = FederationProblem(codes=("a", "b", "c", "d"), list_size=np.ones(4), assign_cost=d, hub_cost=0.0,
                          min_population=0, max_population=4, n_federations=2)
    assert trivial_bound(p) == pytest.approx(2.0)
    assert brute_force(p) == pytest.approx(3.0)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 7), st.booleans(), st.floats(0.0, 0.6))
def test_trivial_bound_never_exceeds_the_optimum(seed, n, fixed_k, forbid):
    """Random costs (some negative), random forbidden pairs, fixed or free count, a fixed cost."""
    rng = np.random.default_rng(seed)
    w = rng.integers(1, 10, n)
    a = rng.uniform(-2.0, 10.0, (n, n))
    allowed = rng.random((n, n)) >= forbid
    P = int(w.sum())
    k = int(rng.integers(1, n + 1)) if fixed_k else None
    p = FederationProblem(codes=tuple(str(i) for i in range(n)), list_size=w, assign_cost=a,
                          hub_cost=float(rng.uniform(0, 5)), min_population=int(rng.integers(0, 4)),
                          max_population=max(int(w.max()), int(rng.integers(P // 3 + 1, P + 1))),
                          n_federations=k, allowed=allowed)
    opt = brute_force(p)
    bound = trivial_bound(p)
    if np.isfinite(opt):
        assert bound <= opt + 1e-9
    simple = np.where(allowed, a, np.inf).min(axis=1).sum() + p.hub_cost * p.federation_count_range()[0]
    assert bound >= simple - 1e-9 or not np.isfinite(simple)


def test_assignment_to_many_hubs_keeps_each_practice_to_its_cheapest(monkeypatch):
    """Beyond ASSIGN_MAX_PAIRS practice-hub pairs the assignment MIP lets each practice join only
    its cheapest hubs of the set (3,038 points x 1,000 hubs had taken 8 GB in the modelling layer):
    the plan is feasible, uses only the given hubs, and every practice sits at one of its cheapest."""
    from fedplan.optimise import heuristics

    rng = np.random.default_rng(3)
    n = 40
    xy = rng.uniform(0, 100, (n, 2))
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    w = rng.integers(1, 10, n)
    hubs = list(range(0, n, 3))                      # 14 hubs: 560 pairs
    p = FederationProblem(codes=tuple(map(str, range(n))), list_size=w, assign_cost=d, hub_cost=0.0,
                          min_population=0, max_population=int(np.ceil(w.sum() / 13)), n_federations=len(hubs))

    def far(plan):
        labels, chosen = plan
        return [i for i in range(n) if chosen[labels[i]] not in sorted(hubs, key=lambda h: d[i, h])[:3]]

    # the capacities are tight: the best assignment sends some practices beyond their 3 cheapest
    free = heuristics.assign_to_hubs(p, hubs, time_limit_s=20)
    assert free is not None and p.is_feasible(*free) and far(free)
    monkeypatch.setattr(heuristics, "ASSIGN_MAX_PAIRS", 100)
    monkeypatch.setattr(heuristics, "ASSIGN_MIN_HUBS", 3)
    plan = heuristics.assign_to_hubs(p, hubs, time_limit_s=20)
    assert plan is not None and p.is_feasible(*plan) and sorted(plan[1]) == hubs and not far(plan)
    assert p.cost(*plan) >= p.cost(*free) - 1e-9


def test_the_hub_assignment_goes_to_highs_under_cbc_except_to_a_work_limit(monkeypatch):
    """The hub search's assignment MIP (a tightly capacitated generalised assignment problem) is
    solved by HiGHS when the run's solver is CBC, which fell far behind on it; a work-limited run
    and a problem with a size cost keep CBC, whose node limit makes it stop at the same place every time. Both prove the same
    optimum on a small instance."""
    import fedplan.optimise.solvers as solvers
    from fedplan.optimise import heuristics
    from fedplan.optimise.clock import Clock

    seen = []
    original = solvers.run_solver

    def spy(name, *a, **k):
        seen.append(name)
        return original(name, *a, **k)

    monkeypatch.setattr(solvers, "run_solver", spy)
    rng = np.random.default_rng(4)
    n = 30
    xy = rng.uniform(0, 100, (n, 2))
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    w = rng.integers(1, 10, n)
    hubs = [0, 7, 14, 21, 28]
    p = FederationProblem(codes=tuple(map(str, range(n))), list_size=w, assign_cost=d, hub_cost=0.0,
                          min_population=0, max_population=int(np.ceil(1.08 * w.sum() / 5)), n_federations=5)
    by_highs = heuristics.assign_to_hubs(p, hubs, solver="cbc", time_limit_s=20)
    assert seen == ["highs"] and by_highs is not None and p.is_feasible(*by_highs)
    seen.clear()
    clock = Clock(60, work_limit=1e6)
    with clock.active():
        by_cbc = heuristics.assign_to_hubs(p, hubs, solver="cbc", time_limit_s=1e6, clock=clock)
    assert seen == ["cbc"] and by_cbc is not None and p.is_feasible(*by_cbc)
    assert p.cost(*by_highs) == pytest.approx(p.cost(*by_cbc), rel=1e-9)
    seen.clear()
    heuristics.assign_to_hubs(p, hubs, solver="scip", time_limit_s=20)
    assert seen == ["scip"], "another chosen solver is kept"
    seen.clear()
    sized = p.replace(size_cost=size_cost(0, int(w.sum()), MakeBuySpec(), RiskSpec()))
    heuristics.assign_to_hubs(sized, hubs, solver="cbc", time_limit_s=20)
    assert seen == ["cbc"], "with a size cost CBC keeps the MIP (it gets the warm start)"
