"""Why this size: the size analysis, the binding rules and their prices, and the summary and report
contract for them. Oracles recompute from the instance's arrays (exhaustive search) or with
verify's own cost rules, never with the code they check."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from engine_instances import make_practices, problem_from, scenario
from fedplan.inputs.model import EngagementSpec
from engine_instances import Scenario  # the product's Scenario, access by km (engine_instances.Scenario)
from fedplan.optimise import Status, solve_federations
from fedplan.optimise.verify_costs import engagement_cost, risk_cost
from oracles import optimum


def test_binding_rule_is_one_median_practice_from_the_bound():
    from fedplan.size import binding_rule

    assert binding_rule(95_000, 25_000, 100_000, 8_000) == "ceiling"
    assert binding_rule(91_000, 25_000, 100_000, 8_000) == "none"
    assert binding_rule(30_000, 25_000, 100_000, 8_000) == "floor"
    assert binding_rule(60_000, 25_000, 100_000, 8_000) == "none"


@pytest.mark.parametrize("seed", [3, 11])
def test_the_price_of_the_ceiling_is_the_difference_of_two_exhaustive_optima(seed):
    """Six practices whose sizes make the ceiling bind: the rule's price from two re-solves equals
    the exhaustive optimum under the ceiling less the one under the ceiling widened a tenth."""
    from fedplan.rules import price_rules

    rng = np.random.default_rng(seed)
    pr = make_practices(rng.uniform(0, 12, (6, 2)), rng.integers(6_000, 14_000, 6))
    total = int(pr.list_size.sum())
    sc = scenario(L=8_000, U=int(total / 2.2), F=400_000.0)
    base = problem_from(pr, sc)
    res = solve_federations(base, "cbc", time_limit_s=60)
    assert res.status is Status.OPTIMAL
    prices = price_rules(res, sc, pr.list_size, lambda v: problem_from(pr, v))
    assert "max_population" in prices, "the ceiling should bind on this instance"
    wide = problem_from(pr, replace(sc, bounds=replace(sc.bounds, max_population=round(sc.bounds.max_population * 1.1))))
    want = optimum(base, *_g(base)) - optimum(wide, *_g(wide))
    got = prices["max_population"]
    assert got["status"] == "optimal"
    assert got["gbp"] == pytest.approx(want, abs=0.02)
    assert got["gbp_at_most"] == pytest.approx(want, abs=0.02)


def _g(p):
    g = p.size_cost
    return (None, 0) if g is None else (np.asarray(g.values), g.lo)


def test_a_fixed_count_is_priced_against_a_free_count():
    from fedplan.rules import price_rules

    rng = np.random.default_rng(5)
    pr = make_practices(rng.uniform(0, 12, (6, 2)), rng.integers(6_000, 14_000, 6))
    sc = scenario(L=6_000, U=60_000, F=100_000.0, k=3)
    res = solve_federations(problem_from(pr, sc), "cbc", time_limit_s=60)
    prices = price_rules(res, sc, pr.list_size, lambda v: problem_from(pr, v))
    free = problem_from(pr, replace(sc, constraints=replace(sc.constraints, n_federations=None)))
    want = optimum(problem_from(pr, sc), *_g(problem_from(pr, sc))) - optimum(free, *_g(free))
    assert prices["n_federations"]["gbp"] == pytest.approx(want, abs=0.02)


def test_the_cost_curve_adds_up_and_agrees_with_verify_rules():
    from fedplan import api
    from fedplan.size import cost_curve

    sc = Scenario()
    cat = api.load_catalogue(sc)
    curve = cost_curve(sc, cat, mean_list=12_000.0, patients_per_practice=9_000.0,
                       fixed_gbp=sc.costs.federation_fixed_gbp, top=150_000)
    assert curve[0]["population"] == 5_000 and curve[-1]["population"] == 150_000
    for row in curve[::7]:
        n, m = row["population"], row["members"]
        assert m == max(1, round(n / 9_000))
        assert row["risk"] == pytest.approx(risk_cost(sc.risk, n, 12_000.0) / n, abs=1e-3)
        assert row["engagement"] == pytest.approx(engagement_cost(sc.engagement, m, n) / n, abs=1e-3)
        assert row["federation_fixed"] == pytest.approx(sc.costs.federation_fixed_gbp / n, abs=1e-3)
        parts = row["services"] + row["risk"] + row["engagement"] + row["federation_fixed"]
        assert row["total"] == pytest.approx(parts, abs=2e-3)
    # risk per patient falls with size; coordination alone is about the same per patient at every
    # size; with the pooled incentive, engagement per patient rises with the members
    assert curve[0]["risk"] > curve[-1]["risk"]
    per_member = sc.engagement.coordination_gbp_per_member / 9_000.0
    assert all(abs(r["engagement"] - per_member) < 0.5 * per_member for r in curve[4:])
    pooled = replace(sc, engagement=replace(sc.engagement, pooled_incentive=True))
    rising = cost_curve(pooled, cat, mean_list=12_000.0, patients_per_practice=9_000.0,
                        fixed_gbp=sc.costs.federation_fixed_gbp, top=150_000)
    assert rising[4]["engagement"] < rising[-1]["engagement"]
    for row in rising[::9]:
        n, m = row["population"], row["members"]
        assert row["engagement"] == pytest.approx(engagement_cost(pooled.engagement, m, n) / n, abs=1e-3)


def test_engagement_off_costs_nothing_and_coordination_is_per_member():
    off = EngagementSpec(enabled=False)
    assert engagement_cost(off, 5, 50_000) == 0.0
    e = EngagementSpec(incentive_held_back=0.0)
    assert engagement_cost(e, 7, 50_000) == pytest.approx(7 * e.coordination_gbp_per_member)


def test_the_devon_summary_carries_the_size_contract(devon_run_dir):
    s = json.loads((devon_run_dir / "summary.json").read_text())
    plan, base = s["cost_breakdown"], s["baseline"]["cost_breakdown"]
    assert "engagement" in plan and "engagement" in base and plan["engagement"] > 0
    assert isinstance(s["min_viable_population"], int) and s["min_viable_population"] > 0
    by_share = s["min_viable_population_detail"]["by_risk_share"]
    assert by_share["0.5"] < by_share["0.75"] < by_share["1"]
    assert isinstance(s["rule_prices"], dict)
    for name, p in s["rule_prices"].items():
        assert name in ("max_population", "min_population", "n_federations")
        assert {"gbp", "status", "gap"} <= set(p)
        assert p["gbp"] is None or p["gbp"] >= 0
    a = s["size_analysis"]
    assert len(a["federations"]) == s["n_federations"]
    assert {f["binding_rule"] for f in a["federations"]} <= {"ceiling", "floor", "none"}
    if any(f["binding_rule"] == "ceiling" for f in a["federations"]):
        assert "max_population" in s["rule_prices"]
    html = (devon_run_dir / "report.html").read_text()
    assert 'id="size"' in html and "Minimum viable population" in html


def test_the_devon_saving_is_explained_service_by_service(devon_run_dir):
    """by_service splits the services term: its plan column adds up to the services cost verify
    recomputed for the plan, and its baseline column to verify's own services cost of every PCN."""
    from fedplan import inputs
    from fedplan.optimise.verify_costs import services_cost

    s = json.loads((devon_run_dir / "summary.json").read_text())
    bs = s["by_service"]
    rows = bs["services"]
    assert len({r["service"] for r in rows}) == len(rows) > 0
    plan_total = sum(r["plan_gbp"] for r in rows) + bs["shared_hub"]["plan_gbp"]
    assert plan_total == pytest.approx(s["cost_breakdown"]["services"], abs=1.0)
    manifest = json.loads((devon_run_dir / "manifest.json").read_text())
    mb = manifest["scenario"]["makebuy"]
    assert mb["staffing"] == "teams"           # the shipped catalogue as it stands
    catalogue = inputs.read_catalogue(None)
    oracle = sum(services_cost(catalogue, f["population"], shared_hub_gbp=mb.get("shared_hub_gbp", 0.0),
                               max_inhouse=mb.get("max_inhouse"))
                 for f in s["baseline"]["federations"])
    base_total = sum(r["baseline_gbp"] for r in rows) + bs["shared_hub"]["baseline_gbp"]
    assert base_total == pytest.approx(oracle, abs=1.0)
    assert all(r["difference_gbp"] == pytest.approx(r["plan_gbp"] - r["baseline_gbp"], abs=0.02) for r in rows)
    assert [r["difference_gbp"] for r in rows] == sorted(r["difference_gbp"] for r in rows)
    html = (devon_run_dir / "report.html").read_text()
    assert "Services, one by one" in html and "same capitated contract" in html


def test_next_steps_name_the_services_that_need_another_team():
    """One more practice's patients: the services listed are exactly those whose team count or mode
    changes, recomputed here from the catalogue with verify's own cost rules (teams_needed)."""
    from fedplan import inputs
    from fedplan.optimise.verify_costs import buy_cost, make_cost, teams_needed
    from fedplan.size import next_steps

    cat = inputs.read_catalogue(None)
    sc = Scenario()
    for n, step in ((90_000, 9_000), (236_964, 9_390), (40_000, 15_000)):
        got = {r["service"] for r in next_steps(sc, cat, n, step)}
        want = set()
        for s in cat.services:
            def mode(pop):
                mk, by = make_cost(s, pop), buy_cost(s, pop)
                made = mk is not None and (by is None or mk < by)
                return ("inhouse", teams_needed(s, pop)) if made else ("buy", 0)
            if mode(n) != mode(n + step):
                want.add(s.service)
        assert got == want, (n, got ^ want)


def test_the_report_names_the_service_step_federations_stop_below():
    from fedplan.reports.size import section_size

    step = [{"service": "urgent_care", "mode": "inhouse", "teams": 3, "extra_gbp": 981_912.8},
            {"service": "phlebotomy", "mode": "inhouse", "teams": 2, "extra_gbp": 3_316.0}]
    feds = [{"id": k, "population": 236_000, "n_practices": 20, "per_patient": {}, "binding_rule": "none",
             "next_step": step if k < 4 else step[1:]} for k in range(1, 5)]
    html = section_size({"size_analysis": {"federations": feds, "curve": []}})
    assert "3 of the 4 federations no rule holds stop just below a step in <strong>urgent_care</strong>" in html
    assert "£981,913" in html
