"""Soft population bounds: a federation may leave [min, max] and pays a penalty per patient
outside it. The switch must bite (an island that cannot reach the floor is planned instead of
refused), price exactly (brute force), and be re-checked by verify()."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from fedplan import api
from fedplan.optimise.risk import mean_practice_list
from fedplan.inputs.model import BoundsSpec, ConstraintsSpec, MakeBuySpec, RiskSpec, Scenario
from fedplan.optimise import ProblemInfeasible, Status, solve_federations, verify
from fedplan.optimise.sizecost import bound_penalty, population_window
from fedplan.optimise.verify import Claim
from engine_instances import brute_force, make_practices

# two towns of 29,000 and 28,000 patients, and an island of 8,000 patients 150 km out to sea
XY = [(0, 0), (1, 0), (0, 2), (40, 0), (41, 1), (40, 3), (20, 150)]
SIZES = [12000, 9000, 8000, 15000, 7000, 6000, 8000]
PLAIN = dict(makebuy=MakeBuySpec(joint=False), risk=RiskSpec(enabled=False))


def scenario(soft: bool, penalty: float = 100.0, **constraints) -> Scenario:
    return Scenario(bounds=BoundsSpec(min_population=20000, max_population=40000, soft=soft,
                                      penalty_gbp_per_patient=penalty),
                    constraints=ConstraintsSpec(**constraints), **PLAIN)


def build(sc: Scenario, xy=XY, sizes=SIZES):
    pr = make_practices(xy, sizes)
    xy_km = np.c_[pr.easting, pr.northing] / 1000
    d = np.sqrt(((xy_km[:, None] - xy_km[None]) ** 2).sum(-1))
    return pr, api.build_problem(pr, sc, d, api.load_catalogue(sc))


def test_penalty_and_window():
    b = BoundsSpec(min_population=25000, max_population=100000, soft=True, penalty_gbp_per_patient=10.0)
    assert bound_penalty(b, 20000) == pytest.approx(50000.0)
    assert bound_penalty(b, 60000) == 0.0
    assert bound_penalty(b, 100500) == pytest.approx(5000.0)
    assert population_window(b, [3000, 9000]) == (3000, 200000)
    assert population_window(b, [3000, 250000]) == (3000, 250000)     # a giant practice still fits
    hard = replace(b, soft=False)
    assert bound_penalty(hard, 1000) == 0.0 and population_window(hard, [3000]) == (25000, 100000)


@pytest.mark.parametrize("method", ["branch_price", "compact"])
def test_island_refused_with_hard_bounds_and_planned_with_soft(method):
    # within 30 km of its hub, the island cannot join either town: hard bounds have no plan
    pr, hard = build(scenario(False, max_distance_km=30))
    with pytest.raises(ProblemInfeasible, match="P06"):
        solve_federations(hard, "cbc", time_limit_s=20, method=method)
    sc = scenario(True, max_distance_km=30)
    pr, soft = build(sc)
    res = solve_federations(soft, "cbc", time_limit_s=30, method=method)
    assert res.status == Status.OPTIMAL
    assert res.objective == pytest.approx(brute_force(soft), rel=1e-9)
    island = res.assignment[6]
    assert (res.assignment == island).sum() == 1          # the island is a federation of its own
    check = verify(sc, res.assignment_by_code(), res.hubs_by_federation(),
                   practices=pr, claimed=Claim(objective=res.objective))
    assert check.ok, check.problems
    # its penalty is 100 £/patient x 12,000 patients short of the floor
    assert check.cost_breakdown["penalty"] == pytest.approx(100.0 * 12000)


@pytest.mark.parametrize("method", ["branch_price", "compact"])
def test_soft_bounds_trade_penalty_against_cost(method):
    # without a distance limit the hard plan sends the island 150 km to a town; a small penalty
    # makes keeping it alone cheaper, a large one reproduces the hard optimum
    _, hard = build(scenario(False))
    hard_opt = solve_federations(hard, "cbc", time_limit_s=30, method=method)
    _, cheap = build(scenario(True, penalty=0.5))
    cheap_opt = solve_federations(cheap, "cbc", time_limit_s=30, method=method)
    _, dear = build(scenario(True, penalty=1e5))
    dear_opt = solve_federations(dear, "cbc", time_limit_s=30, method=method)
    for r, p in ((hard_opt, hard), (cheap_opt, cheap), (dear_opt, dear)):
        assert r.status == Status.OPTIMAL
        assert r.objective == pytest.approx(brute_force(p), rel=1e-9)
    assert cheap_opt.objective < hard_opt.objective - 1.0
    assert (cheap_opt.assignment == cheap_opt.assignment[6]).sum() == 1
    assert dear_opt.objective == pytest.approx(hard_opt.objective, rel=1e-9)


def test_verify_rejects_a_plan_beyond_the_soft_window_and_counts_the_penalty():
    sc = scenario(True)
    pr, p = build(sc)
    one = {c: "A" for c in pr.code}                 # 65,000 patients: inside the window (to 80,000)
    v = verify(sc, one, {"A": "P00"}, practices=pr)
    assert v.ok, v.problems
    assert v.cost_breakdown["penalty"] == pytest.approx(100.0 * 25000)
    tight = replace(sc, bounds=replace(sc.bounds, max_population=30000))   # window to 60,000
    v = verify(tight, one, {"A": "P00"}, practices=pr)
    assert not v.ok and "outside" in v.problems[0]


def test_joint_make_or_buy_with_soft_bounds_prices_every_population():
    sc = Scenario(bounds=BoundsSpec(min_population=20000, max_population=40000, soft=True),
                  constraints=ConstraintsSpec(max_distance_km=30))
    pr, p = build(sc)
    g = p.size_cost
    assert g is not None and g.lo == 6000 and g.hi >= 65000
    cat = api.load_catalogue(sc)
    for pop in (8000, 29000, 57000):
        terms = api.federation_terms(pop, sc, cat, n_practices=3, mean_list=mean_practice_list(pr.list_size))
        assert g(pop) == pytest.approx(terms["services"] + terms["risk"] + terms["penalty"])
    res = solve_federations(p, "cbc", time_limit_s=60)
    assert res.has_plan
    check = verify(sc, res.assignment_by_code(), res.hubs_by_federation(),
                   practices=pr, claimed=Claim(objective=res.objective))
    assert check.ok, check.problems


def test_a_soft_run_reports_the_planners_range_and_the_penalty_line_by_line(tmp_path, devon_rows):
    from input_helpers import write_csv

    rows = sorted(devon_rows, key=lambda r: (r["sub_icb_code"], r["practice_code"]))[:12]
    write_csv(tmp_path / "practices.csv", rows)
    path = tmp_path / "soft.toml"
    path.write_text('[area]\nengland = true\n[inputs]\npractices = "practices.csv"\n'
                    "[bounds]\nmin_population = 60000\nmax_population = 70000\nsoft = true\n"
                    "penalty_gbp_per_patient = 2\n[solve]\ntime_limit_s = 60\n", encoding="utf-8")
    run = api.run(path)
    s = run.summary()
    assert s["bounds"]["min_population"] == 60000 and s["bounds"]["soft"] is True
    assert s["bounds"]["allowed_min_population"] < 60000
    assert run.verification.ok, run.verification.problems
    plan_penalty = sum(f["penalty_gbp"] for f in s["federations"])
    assert s["cost_breakdown"]["penalty"] == pytest.approx(plan_penalty, abs=0.05)
    assert plan_penalty == pytest.approx(sum(bound_penalty(run.scenario.bounds, f["population"])
                                             for f in s["federations"]), abs=0.05)
    base = s["baseline"]
    assert base["cost_breakdown"]["penalty"] > 0       # today's small PCNs pay it too
    assert sum(base["cost_breakdown"].values()) == pytest.approx(base["objective_gbp"], abs=1.0)
