"""Make-or-buy and risk inside the boundary model: the size cost g(N), its segments, segmented
pricing against brute force, the joint engine against brute force, risk, and the run outputs."""
from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedplan.inputs import InputError, parse_scenario, read_catalogue
from fedplan.inputs.model import BoundsSpec, MakeBuySpec, RiskSpec
from engine_instances import Scenario  # the product's Scenario, access by km (engine_instances.Scenario)
from fedplan.optimise import Status, solve_federations
from fedplan.optimise.branch_price import knapsack_jit
from fedplan.optimise.branch_price.params import PricingParams
from fedplan.optimise.branch_price.segments import SegmentedPricer, make_pricer
from fedplan.optimise.makebuy import make_or_buy, make_or_buy_totals
from fedplan.optimise.sizecost import SEGMENT_TOLERANCE_GBP
from fedplan.optimise.risk import min_viable_population, risk_choice, risk_costs
from fedplan.optimise.sizecost import SizeCost, federation_size_cost
from fedplan.optimise.verify import Claim, verify
from engine_instances import TOWNS_SIZES, TOWNS_XY, brute_force, every_column, make_practices, practices, problem_from


@pytest.fixture(scope="module")
def catalogue():
    return read_catalogue()


# -- g(N) -------------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(st.integers(0, 300_000), st.integers(0, 15), st.sampled_from([0.0, 50_000.0, 400_000.0]),
       st.sampled_from([None, 0, 2, 6]))
def test_tabulated_make_or_buy_equals_the_one_federation_answer(start, step, hub, cap):
    cat = read_catalogue()
    N = np.arange(start + 1, start + 1 + 40 * (step + 1), step + 1)
    got = make_or_buy_totals(cat, N, shared_hub_cost=hub, max_inhouse=cap)
    want = [make_or_buy(cat, int(n), shared_hub_cost=hub, max_inhouse=cap).total_gbp for n in N]
    assert got == pytest.approx(want, rel=1e-12, abs=1e-6)


@pytest.mark.parametrize("risk", [None, RiskSpec(), RiskSpec(systematic_error=0.03, cost_of_capital=0.1)])
def test_segments_are_lower_bounds_within_tolerance_and_cover_the_range(catalogue, risk):
    g = federation_size_cost(catalogue, 25_000, 100_000, risk=risk, mean_list=9_000.0)
    N = np.arange(g.lo, g.hi + 1)
    covered = np.zeros(len(N), bool)
    for a, b, alpha, beta in g.segments:
        part = slice(a - g.lo, b - g.lo + 1)
        gap = g.values[part] - (alpha + beta * N[part])
        assert gap.min() >= -1e-6 and gap.max() <= g.tol + 1e-6
        assert not covered[part].any()
        covered[part] = True
    assert covered.all()
    # the team steps of the catalogue appear as segment ends; without risk g is affine on each
    if risk is None:
        assert g.max_error() < 1e-6
    assert 10 < len(g.segments) < 200


def test_a_step_bigger_than_the_tolerance_always_ends_a_segment():
    v = np.r_[np.arange(100) * 2.0, 1000 + np.arange(100) * 2.0]
    g = SizeCost(10, v)
    assert [(a, b) for a, b, _, _ in g.segments] == [(10, 109), (110, 209)]
    assert g(5) == v[0] and g(10_000) == v[-1]          # clamped outside the table


def test_a_service_that_can_never_be_provided_is_named(catalogue):
    from fedplan.inputs import apply_overrides

    cat = apply_overrides(catalogue, {"legal": {"allowed_modes": "inhouse", "min_population_inhouse": 60000}})
    with pytest.raises(ValueError, match="legal.*60,000"):
        federation_size_cost(cat, 25_000, 100_000)


# -- risk -------------------------------------------------------------------------------------

def _deviation_by_hand(spec, n, mean_list):
    """(mean-0 gamma's shape, scale) of the federation's kept deviation, from the README's moments."""
    B, c, s = spec.budget_gbp_per_patient, spec.cv_individual, spec.risk_share
    h = min(1.0, mean_list / n)
    var = s * s * (n * (c * B) ** 2 + (spec.systematic_error * B * n) ** 2
                   * (spec.systematic_correlation + (1 - spec.systematic_correlation) * h))
    third = s ** 3 * n * spec.skew_individual * (c * B) ** 3
    skew = third / var ** 1.5
    return 4 / skew ** 2, math.sqrt(var) * skew / 2


def _gamma_density(x, shape, scale):
    """The density of (shift + scale·G), G ~ Gamma(shape), written out (no scipy)."""
    y = x / scale + shape
    logd = (shape - 1) * np.log(np.maximum(y, 1e-300)) - y - math.lgamma(shape) - math.log(scale)
    return np.where(y > 0, np.exp(logd), 0.0)


@pytest.mark.parametrize("spec", [RiskSpec(), RiskSpec(risk_share=0.5, skew_individual=30.0),
                                  RiskSpec(systematic_error=0.0, confidence=0.99)])
def test_risk_tail_shortfall_and_cover_match_a_plain_integration(spec):
    """The shortfall is the confidence quantile and the cover's claim is the expected excess on the
    layer, both recomputed by integrating the gamma density on a fine grid."""
    mean_list = 8_800.0
    for n in (10_000, 25_000, 60_000):
        shape, scale = _deviation_by_hand(spec, n, mean_list)
        shift = -shape * scale
        x = np.linspace(shift, shift + scale * (shape + 60 * math.sqrt(shape) + 400), 400_001)
        dens = _gamma_density(x, shape, scale)
        cdf = np.concatenate([[0.0], np.cumsum((dens[1:] + dens[:-1]) / 2 * np.diff(x))])
        var_q = float(np.interp(spec.confidence, cdf, x))
        c = risk_choice(spec, n, mean_list)
        assert c.shortfall_gbp == pytest.approx(var_q, rel=2e-3)
        B = spec.budget_gbp_per_patient * n
        U = spec.stoploss_layer * B
        cheapest = c.reserve_gbp
        for a in spec.stoploss_attachments:
            R = (a - 1) * B
            pay = np.clip(x - R, 0, U)
            claim = float(np.sum((pay[1:] * dens[1:] + pay[:-1] * dens[:-1]) / 2 * np.diff(x)))
            premium = max((1 + spec.stoploss_loading) * claim, spec.stoploss_min_rate_on_line * U,
                          spec.stoploss_min_premium_gbp)
            held = c.shortfall_gbp - min(max(c.shortfall_gbp - R, 0), U)
            cheapest = min(cheapest, premium + spec.cost_of_capital * held)
        assert c.cost_gbp == pytest.approx(cheapest, rel=1e-3, abs=1.0)
        assert c.reserve_gbp == pytest.approx(spec.cost_of_capital * c.shortfall_gbp)


def test_risk_per_patient_falls_with_size_and_cover_is_never_free():
    spec = RiskSpec()
    per_patient = [risk_choice(spec, n, 8_800.0).cost_gbp / n for n in (5_000, 25_000, 100_000, 250_000)]
    assert all(a > b for a, b in zip(per_patient, per_patient[1:]))
    # cover six standard deviations out still costs its minimum rate on line (the old Normal-tail
    # price was £0.00001 a year for 25,000 patients)
    far = RiskSpec(stoploss_attachments=(2.0,))
    c = risk_choice(far, 25_000, 8_800.0)
    assert c.stoploss_gbp >= far.stoploss_min_rate_on_line * far.stoploss_layer * far.budget_gbp_per_patient * 25_000
    assert risk_costs(RiskSpec(enabled=False), [25_000], 8_800.0)[0] == 0.0


def test_the_minimum_viable_population_is_the_first_size_that_passes_and_falls_with_the_risk_share():
    mean_list = 8_800.0
    found = {}
    for share in (1.0, 0.75, 0.5):
        spec = RiskSpec(risk_share=share)
        mvp = min_viable_population(spec, mean_list)
        # a scan by hand on a 100-patient grid, with a Normal shortfall plus the gamma's correction
        def passes(n):
            shape, scale = _deviation_by_hand(spec, n, mean_list)
            from scipy import stats
            q = stats.gamma.ppf(spec.confidence, shape, loc=-shape * scale, scale=scale)
            return q <= spec.viability_share * spec.budget_gbp_per_patient * n
        assert passes(mvp) and not passes(mvp - 1)
        first = next(n for n in range(100, 400_000, 100) if passes(n))
        assert first - 100 < mvp <= first
        found[share] = mvp
    assert found[1.0] > found[0.75] > found[0.5]
    # the sources' range: full risk needs a large federation, a 50/50 share a small one
    assert 60_000 < found[1.0] < 110_000 and found[0.5] < 25_000


def test_risk_and_makebuy_scenario_keys_are_checked(tmp_path):
    sc = parse_scenario({"makebuy": {"joint": False, "max_inhouse": 3, "shared_hub_gbp": 1e5},
                         "risk": {"systematic_error": 0.03, "confidence": 0.99, "risk_share": 0.5,
                                  "stoploss_attachments": [1.25, 1.1]},
                         "engagement": {"member_success_probability": 0.8}}, "s.toml", tmp_path)
    assert sc.makebuy == MakeBuySpec(joint=False, shared_hub_gbp=1e5, max_inhouse=3)
    assert sc.risk.confidence == 0.99 and sc.risk.systematic_error == 0.03 and sc.risk.risk_share == 0.5
    assert sc.risk.stoploss_attachments == (1.1, 1.25) and sc.engagement.member_success_probability == 0.8
    for bad, where in [({"risk": {"confidence": 1.5}}, "risk.confidence"),
                       ({"risk": {"stoploss_attachment": 1.1}}, "risk.stoploss_attachment"),
                       ({"risk": {"cv_systematic": 0.03}}, "risk.cv_systematic"),
                       ({"risk": {"stoploss_attachments": [0.9]}}, "risk.stoploss_attachments[0]"),
                       ({"risk": {"stoploss_attachments": []}}, "risk.stoploss_attachments"),
                       ({"risk": {"risk_share": 0}}, "risk.risk_share"),
                       ({"engagement": {"member_success_probability": 1.5}}, "engagement.member_success_probability"),
                       ({"risk": {"budget": 900}}, "risk.budget"),
                       ({"makebuy": {"joint": "yes"}}, "makebuy.joint"),
                       ({"makebuy": {"max_inhouse": -1}}, "makebuy.max_inhouse")]:
        with pytest.raises(InputError) as e:
            parse_scenario(bad, "s.toml", tmp_path)
        assert where in str(e.value)


# -- the engine ---------------------------------------------------------------------------------

def joint_instance(seed: int, n: int, L=15_000, U=45_000):
    sc = Scenario(bounds=BoundsSpec(min_population=L, max_population=U))
    pr = practices(seed, n)
    return pr, sc, problem_from(pr, sc)


@pytest.mark.parametrize("seed", range(5))
def test_segmented_pricing_is_exact_against_every_column(seed):
    pr, sc, p = joint_instance(seed, 7)
    assert isinstance(make_pricer(p), SegmentedPricer)
    rng = np.random.default_rng(seed)
    pi = rng.normal(p.column_cost(range(3), 0) / 3, 200_000, p.n)
    mu = float(rng.normal(0, 100_000))
    cols = list(every_column(p, p.allowed, None))
    rc = {(S, h): p.column_cost(S, h) - pi[list(S)].sum() - mu for S, h in cols}
    out = make_pricer(p).price(pi, mu, 1e-9, np.inf)
    # per hub, a bound over every segment's columns of that hub
    for h in range(p.n):
        assert out.hub_rc[h] <= min((r for (S, k), r in rc.items() if k == h), default=np.inf) + 1e-6
    # a valid bound, and exact up to the segments' tolerance (the risk term curves g between
    # team steps; each affine piece lies at most SEGMENT_TOLERANCE_GBP under it)
    true_min = min(0.0, min(rc.values()))
    assert out.rc_min <= true_min + 1e-9 * max(1.0, abs(true_min))
    assert out.rc_min == pytest.approx(true_min, abs=SEGMENT_TOLERANCE_GBP + 1e-3)
    for S, h, r in out.columns:
        assert r == pytest.approx(rc[(S, h)])
    delta = 50_000.0
    got = make_pricer(p).enumerate(pi, mu, delta, 10**6, np.inf)
    want = {S for (S, h), r in rc.items() if r < delta}
    assert set(got) == want
    for S, (h, cost) in got.items():
        assert cost == pytest.approx(min(p.column_cost(S, k) for (T, k) in rc if T == S))


@pytest.mark.skipif(not knapsack_jit.AVAILABLE, reason="numba not installed")
def test_small_problems_switch_to_the_compiled_search_after_the_node_budget():
    # one mode shared by every segment's pricer; Python first, compiled once the budget is spent;
    # the answer is the same either way
    _, _, p = joint_instance(3, 7)
    rng = np.random.default_rng(3)
    pi = rng.normal(p.column_cost(range(3), 0) / 3, 200_000, p.n)
    mu = float(rng.normal(0, 100_000))
    python = make_pricer(p)
    assert not python.mode.compiled and all(q.mode is python.mode for q in python.parts)
    a = python.price(pi, mu, 1e-9, np.inf)
    assert not python.mode.compiled and python.mode.py_nodes > 0
    switching = make_pricer(p, params=PricingParams(py_node_budget=python.mode.py_nodes // 2))
    switching.price(pi, mu, 1e-9, np.inf)
    assert switching.mode.compiled
    b = switching.price(pi, mu, 1e-9, np.inf)
    assert b.rc_min == pytest.approx(a.rc_min)
    assert {(S, h) for S, h, _ in b.columns} == {(S, h) for S, h, _ in a.columns}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(4, 7), st.sampled_from(["branch_price", "compact"]))
def test_joint_plan_is_the_brute_force_optimum_and_passes_verify(seed, n, method):
    pr, sc, p = joint_instance(seed, n)
    best = brute_force(p)
    if not np.isfinite(best):
        return
    res = solve_federations(p, "cbc", time_limit_s=30, method=method)
    assert res.objective == pytest.approx(best, rel=1e-7)
    if method == "branch_price":
        assert res.status == Status.OPTIMAL
    else:
        # the compact model's pieces of the curved risk term lie up to SEGMENT_TOLERANCE_GBP under
        # g a federation (README), so its proof may stop that far short: feasible, never wrong
        assert res.status in (Status.OPTIMAL, Status.FEASIBLE)
        assert res.bound <= best + 0.01                     # valid under every stopping rule
        if res.runtime_s < 30 - 1:
            # stopped on its own (not by the clock, as on a loaded machine): only the pieces short
            assert best - SEGMENT_TOLERANCE_GBP * res.n_federations - 0.01 <= res.bound
    out = verify(sc, res.assignment_by_code(), res.hubs_by_federation(),
                 practices=pr, claimed=Claim(objective=res.objective))
    assert out.ok, out.problems
    assert out.cost_breakdown["services"] > 0


def test_make_or_buy_changes_the_boundaries():
    """Access alone splits six practices into two towns; the economies of scale of make-or-buy
    make one large federation cheaper, and the engine finds it."""

    pr = make_practices(TOWNS_XY, TOWNS_SIZES)
    plain = Scenario(bounds=BoundsSpec(min_population=20_000, max_population=60_000),
                     makebuy=MakeBuySpec(joint=False), risk=RiskSpec(enabled=False))
    joint = Scenario(bounds=BoundsSpec(min_population=20_000, max_population=60_000))
    a = solve_federations(problem_from(pr, plain), "cbc", time_limit_s=30)
    b = solve_federations(problem_from(pr, joint), "cbc", time_limit_s=30)
    assert a.status == b.status == Status.OPTIMAL
    assert a.n_federations == 2 and b.n_federations == 1
    ok = verify(joint, b.assignment_by_code(), b.hubs_by_federation(),
                practices=pr, claimed=Claim(objective=b.objective))
    assert ok.ok, ok.problems
    # the plain plan costed jointly is dearer than the joint optimum
    plain_plan = verify(joint, a.assignment_by_code(), a.hubs_by_federation(), practices=pr)
    assert plain_plan.cost_gbp > b.objective


# -- run outputs ------------------------------------------------------------------------------

def test_devon_run_carries_make_or_buy_and_a_comparable_baseline(devon_run_dir):
    out = devon_run_dir
    s = json.loads((out / "summary.json").read_text())
    with open(out / "make_or_buy.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["federation_id", "service", "mode", "cost_gbp", "break_even_population"]
    cat = read_catalogue()
    assert len(rows) == s["n_federations"] * len(cat.services)
    assert {r["mode"] for r in rows} <= {"inhouse", "buy"}
    for f in s["federations"]:
        mine = [r for r in rows if int(r["federation_id"]) == f["id"]]
        assert sum(float(r["cost_gbp"]) for r in mine) == pytest.approx(f["services_gbp"], abs=0.01 * len(mine))
        assert f["cost_gbp"] == pytest.approx(f["services_gbp"] + f["risk_gbp"] + f["engagement_gbp"]
                                              + f["access_gbp"] + s["parameters"]["federation_fixed_gbp"], abs=0.05)
    plan, base = s["cost_breakdown"], s["baseline"]["cost_breakdown"]
    assert set(plan) == set(base) >= {"services", "risk", "engagement", "access", "federation_fixed", "disruption"}
    assert s["objective_gbp"] == pytest.approx(sum(plan.values()), rel=1e-9)
    assert s["baseline"]["objective_gbp"] == pytest.approx(sum(base.values()), rel=1e-9)
    # PCNs are small: they buy more and pay more for services than the federations
    assert base["services"] > plan["services"]
    assert s["parameters"]["make_or_buy_in_objective"] is True


def test_construction_starts_at_the_counts_the_size_cost_favours():
    """A team every 12,000 patients and £50,000 fixed: (F + g(N)) / N is least at 36,000 (three
    full teams), so 200,000 patients favour 200/36 = 5.6 -> 6 or 5 federations."""
    from fedplan.optimise.heuristics import construct, favoured_counts
    from fedplan.optimise.problem import FederationProblem

    rng = np.random.default_rng(3)
    n = 40
    w = np.full(n, 5_000)
    xy = rng.uniform(0, 30, (n, 2))
    km = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    N = np.arange(10_000, 40_001)
    g = SizeCost(10_000, 100_000.0 * np.ceil(N / 12_000))
    p = FederationProblem(codes=tuple(f"P{i}" for i in range(n)), list_size=w, assign_cost=0.5 * w[:, None] * km,
                          hub_cost=50_000.0, min_population=10_000, max_population=40_000, size_cost=g)
    assert favoured_counts(p) == [6, 5]
    plan = construct(p, seed=0, starts=1)
    assert plan is not None and p.is_feasible(*plan) and len(plan[1]) in (5, 6)
    # without a size cost the fixed cost alone favours full federations; a fixed count is kept
    plain = p.replace(size_cost=None)
    assert favoured_counts(plain) == [5]
    assert favoured_counts(p.replace(n_federations=7)) == [7]
