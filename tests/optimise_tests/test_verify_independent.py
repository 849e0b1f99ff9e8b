"""verify() is independent of the engine, re-reads the scenario's files, catches every broken
rule and every false claim, and the CLI never publishes a failed plan as a result (exit code 4).

The oracles here are hand-worked numbers and the test's own arithmetic, never the code checked."""
from __future__ import annotations

import ast
import importlib
import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
from input_helpers import write_csv

from fedplan.cli import main
from fedplan.inputs.model import (AreaSpec, BoundsSpec, ConstraintsSpec, CostsSpec, EngagementSpec, InputsSpec,
                                  MakeBuySpec, RiskSpec, Scenario, SolveSpec)
from fedplan.optimise.verify import Claim, practice_neighbours, verify, verify_cpmp

CPMP = Path(__file__).parents[1] / "data" / "cpmp"
PER_KM = 0.5 * 2 * 0.348            # default hub visits x return trip x £/km
FIXED = 252_530.0                   # default federation fixed cost

# two towns 20 km apart and a village 40 km north of them (EPSG:27700 metres, inland Devon)
WORLD = {
    "W1": (280_000, 100_000, 10_000, "PCN_W", "15N"),
    "W2": (280_500, 100_300, 10_000, "PCN_W", "15N"),
    "W3": (281_000, 99_800, 10_000, "PCN_W", "15N"),
    "E1": (300_000, 100_000, 10_000, "PCN_E", "15N"),
    "E2": (300_400, 100_500, 10_000, "PCN_E", "15N"),
    "E3": (300_900, 99_700, 10_000, "PCN_E", "99Z"),
    "V1": (290_000, 140_000, 5_000, "PCN_V", "99Z"),
}
PLAIN = dict(makebuy=MakeBuySpec(joint=False), risk=RiskSpec(enabled=False), engagement=EngagementSpec(enabled=False))


def write_world(folder: Path, world=WORLD) -> Path:
    rows = [{"practice_code": c, "registered_patients": s, "easting": e, "northing": n, "pcn_code": p,
             "sub_icb_code": sub} for c, (e, n, s, p, sub) in world.items()]
    return write_csv(folder / "practices.csv", rows)


def world_scenario(folder: Path, world=WORLD, **parts) -> Scenario:
    # access by straight-line km: these oracles price trips per km (minutes: test_access_minutes)
    parts = {"costs": CostsSpec(access="km"), **PLAIN, **parts}
    return Scenario(area=AreaSpec(england=True), inputs=InputsSpec(practices=write_world(folder, world)), **parts)


def km(a: str, b: str, world=WORLD) -> float:
    return math.sqrt((world[a][0] - world[b][0]) ** 2 + (world[a][1] - world[b][1]) ** 2) / 1000


def plain_cost(plan: dict, hubs: dict, world=WORLD) -> float:
    """Fixed cost + straight-line access, the test's own arithmetic."""
    return FIXED * len(hubs) + sum(world[c][2] * PER_KM * km(c, hubs[f], world) for c, f in plan.items())


GOOD = {"W1": 1, "W2": 1, "W3": 1, "V1": 1, "E1": 2, "E2": 2, "E3": 2}
GOOD_HUBS = {1: "W1", 2: "E1"}


def problems_of(sc, plan=GOOD, hubs=GOOD_HUBS, **kw) -> str:
    v = verify(sc, plan, hubs, **kw)
    assert not v.ok
    return " | ".join(v.problems)


# ------------------------------------------------------------------ (a) soft bounds with pairs


def test_soft_bounds_with_together_and_apart_verify_a_good_plan(tmp_path):
    """Used to crash: the pair loops rebound the bounds variable before the soft-bound penalty."""
    sc = world_scenario(tmp_path, bounds=BoundsSpec(min_population=30_000, max_population=60_000, soft=True,
                                                    penalty_gbp_per_patient=10.0),
                        constraints=ConstraintsSpec(together=(("W1", "W2"),), apart=(("W1", "E1"),)))
    plan = {"W1": 1, "W2": 1, "W3": 1, "E1": 2, "E2": 2, "E3": 2, "V1": 3}
    hubs = {1: "W2", 2: "E2", 3: "V1"}
    # the village alone is 25,000 short of the floor: 10 £/patient; the towns are in range
    expected = plain_cost(plan, hubs) + 25_000 * 10.0
    v = verify(sc, plan, hubs, claimed=Claim(status="feasible", objective=expected, bound=expected - 100.0,
                                             gap=100.0 / expected))
    assert v.ok, v.problems
    assert v.cost_gbp == pytest.approx(expected, rel=1e-12)
    assert v.cost_breakdown["penalty"] == pytest.approx(250_000.0)
    assert dict(v.populations) == {1: 30_000, 2: 30_000, 3: 5_000}


def test_soft_bounds_with_pairs_end_to_end(tmp_path):
    from fedplan import api

    sc = world_scenario(tmp_path, bounds=BoundsSpec(min_population=30_000, max_population=60_000, soft=True,
                                                    penalty_gbp_per_patient=10.0),
                        constraints=ConstraintsSpec(together=(("W1", "V1"),), apart=(("W1", "E1"),)),
                        solve=SolveSpec(time_limit_s=20))
    run = api.run(sc)
    assert run.result.has_plan and run.verification.ok, run.verification.problems
    plan, hubs = run.result.assignment_by_code(), run.result.hubs_by_federation()
    assert plan["W1"] == plan["V1"] and plan["W1"] != plan["E1"]
    pops = {f: sum(WORLD[c][2] for c in plan if plan[c] == f) for f in hubs}
    penalty = sum(10.0 * (max(0, 30_000 - p) + max(0, p - 60_000)) for p in pops.values())
    assert run.result.objective == pytest.approx(plain_cost(plan, hubs) + penalty, rel=1e-9)


# ------------------------------------------------------------------ (b) every rule, broken on purpose


def test_a_good_plan_passes_and_its_cost_is_recomputed(tmp_path):
    sc = world_scenario(tmp_path)
    v = verify(sc, GOOD, GOOD_HUBS)
    assert v.ok, v.problems
    assert v.cost_gbp == pytest.approx(plain_cost(GOOD, GOOD_HUBS), rel=1e-12)
    assert v.cost_breakdown["federation_fixed"] == 2 * FIXED and v.cost_breakdown["services"] == 0.0


def test_membership_and_hubs(tmp_path):
    sc = world_scenario(tmp_path)
    assert "no federation" in problems_of(sc, {c: f for c, f in GOOD.items() if c != "E3"})
    assert "not among the participating practices" in problems_of(sc, {**GOOD, "X9": 1})
    assert "E1 of federation 1 is not one of its members" in problems_of(sc, hubs={1: "E1", 2: "W1"})
    assert "federation 2 has no hub" in problems_of(sc, hubs={1: "W1"})
    assert "which has no members" in problems_of(sc, hubs={**GOOD_HUBS, 3: "V1"})


def test_population_out_of_range(tmp_path):
    sc = world_scenario(tmp_path, bounds=BoundsSpec(min_population=25_000, max_population=34_000))
    assert "federation 1 has 35,000 patients, outside 25,000-34,000" in problems_of(sc)
    soft = world_scenario(tmp_path, bounds=BoundsSpec(min_population=10_000, max_population=16_000, soft=True))
    # soft: the outer window is the smallest practice (5,000) .. 2 x 16,000
    assert "outside 5,000-32,000" in problems_of(soft)


def test_locks_pairs_and_count(tmp_path):
    lock = world_scenario(tmp_path, constraints=ConstraintsSpec(locks=(("W3", "W2"),)))
    assert "W3 is locked to hub W2 but its federation is hosted by W1" in problems_of(lock)
    together = world_scenario(tmp_path, constraints=ConstraintsSpec(together=(("W1", "E1"),)))
    assert "W1 and E1 must share a federation" in problems_of(together)
    apart = world_scenario(tmp_path, constraints=ConstraintsSpec(apart=(("W1", "V1"),)))
    assert "W1 and V1 must not share a federation" in problems_of(apart)
    count = world_scenario(tmp_path, constraints=ConstraintsSpec(n_federations=3))
    assert "2 federations, but the scenario fixes 3" in problems_of(count)
    candidates = world_scenario(tmp_path, constraints=ConstraintsSpec(hub_candidates=("W2", "E1")))
    assert "hub W1 of federation 1 is not among the hub candidates" in problems_of(candidates)


def test_nesting_and_distance(tmp_path):
    nested = world_scenario(tmp_path, constraints=ConstraintsSpec(nest_within="sub_icb"))
    text = problems_of(nested)
    assert "federation 1 crosses sub_icb boundaries: 15N, 99Z" in text      # V1 in 99Z
    assert "federation 2 crosses sub_icb boundaries" in text                  # E3 in 99Z
    near = world_scenario(tmp_path, constraints=ConstraintsSpec(max_distance_km=30))
    over = km("V1", "W1")            # 41.2 km
    assert f"practice V1 is {over:.1f} km from hub W1, over the limit of 30 km" in problems_of(near)
    assert verify(world_scenario(tmp_path, constraints=ConstraintsSpec(max_distance_km=42)), GOOD, GOOD_HUBS).ok


# A row of four sites with one a little off the line, and one far north and one far south: the
# row's neighbours are next to each other (a nearest neighbour always shares a Delaunay edge) and
# A and D are not (B lies on the segment between them). P and Q share A's site.
ROW = {
    "A": (280_000, 100_000, 10_000, "X", "15N"), "B": (290_000, 100_000, 10_000, "X", "15N"),
    "C": (300_000, 100_300, 10_000, "X", "15N"), "D": (310_000, 100_000, 10_000, "X", "15N"),
    "N": (295_000, 140_000, 10_000, "X", "15N"), "S": (295_000, 60_000, 10_000, "X", "15N"),
    "P": (280_000, 100_000, 10_000, "X", "15N"), "Q": (280_000, 100_000, 10_000, "X", "15N"),
}


def test_contiguity_on_the_graph_verify_builds(tmp_path):
    sc = world_scenario(tmp_path, ROW, bounds=BoundsSpec(min_population=10_000, max_population=100_000),
                        constraints=ConstraintsSpec(contiguity=True))
    split = {"A": 1, "D": 1, "B": 2, "C": 2, "N": 2, "S": 2, "P": 2, "Q": 2}
    v = verify(sc, split, {1: "A", 2: "B"})
    assert not v.ok and v.problems == ("federation 1 is not contiguous on the practice adjacency graph",)
    # P and Q share A's site: with A they are all neighbours, and neighbours of B too
    fine = {"A": 1, "B": 1, "P": 3, "Q": 3, "C": 2, "D": 2, "N": 2, "S": 2}
    assert verify(sc, fine, {1: "A", 2: "C", 3: "P"}).ok
    graph = practice_neighbours({c: (e, n) for c, (e, n, *_rest) in ROW.items()})
    assert {"P", "Q", "B"} <= graph["A"] and "D" not in graph["A"] and "B" in graph["Q"]


def test_the_graph_agrees_with_the_engines_on_devon():
    """Two constructions written apart (fedplan.geo.adjacency for the engine, verify's own) give the same
    graph on Devon's 116 practices, co-located practices included."""
    from fedplan import geo
    from fedplan import inputs
    p = geo.project_practices(inputs.select_area(inputs.load_national_practices(), AreaSpec(icb="QJK")))
    engine = {(p.code[i], p.code[j]) for i, j in geo.practice_adjacency(p)}
    mine = practice_neighbours({c: (p.easting[i], p.northing[i]) for i, c in enumerate(p.code)})
    assert {tuple(sorted((a, b))) for a in mine for b in mine[a]} == {tuple(sorted(e)) for e in engine}


def test_a_collinear_row_is_a_path(tmp_path):
    row = {f"L{i}": (280_000 + 1000 * i, 100_000, 10_000, "X", "15N") for i in range(5)}
    graph = practice_neighbours({c: (e, n) for c, (e, n, *_rest) in row.items()})
    assert graph == {"L0": {"L1"}, "L1": {"L0", "L2"}, "L2": {"L1", "L3"}, "L3": {"L2", "L4"}, "L4": {"L3"}}


def test_travel_minutes_are_read_from_the_file(tmp_path):
    lines = ["origin,destination,minutes"]
    for a in WORLD:
        for b in WORLD:
            if a != b:
                lines.append(f"{a},{b},{9999 if 'V1' in (a, b) and 'E1' in (a, b) else 10 + km(a, b, WORLD):.3f}")
    (tmp_path / "times.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    sc = world_scenario(tmp_path, constraints=ConstraintsSpec(max_travel_minutes=45))
    sc = replace(sc, inputs=replace(sc.inputs, travel_times=tmp_path / "times.csv"))
    v = verify(sc, GOOD, GOOD_HUBS)
    assert "practice V1 is 51.2 minutes from hub W1, over the limit of 45" in " | ".join(v.problems)
    minutes = {c: 0.0 if c == GOOD_HUBS[f] else round(10 + km(c, GOOD_HUBS[f]), 3) for c, f in GOOD.items()}
    # a trip: the patient's minutes at £0.10 and the car's straight-line km at the mileage rate
    assert v.cost_breakdown["access"] == pytest.approx(
        sum(WORLD[c][2] * 0.5 * 2 * (0.10 * m + 0.348 * (0.0 if c == GOOD_HUBS[GOOD[c]] else km(c, GOOD_HUBS[GOOD[c]])))
            for c, m in minutes.items()), rel=1e-9)
    assert "V1 has no route to its hub E1" in problems_of(sc, {**GOOD, "V1": 2})


def test_disruption_counts_practices_hosted_outside_their_pcn(tmp_path):
    sc = world_scenario(tmp_path, costs=CostsSpec(disruption_gbp_per_patient=3.0, access="km"))
    v = verify(sc, GOOD, GOOD_HUBS)
    assert v.ok and v.cost_breakdown["disruption"] == pytest.approx(3.0 * 5_000)      # V1 hosted by PCN_W


# ------------------------------------------------------------------ make-or-buy and risk by hand

CATALOGUE_COLUMNS = ["service", "category", "demand_per_1000_per_year", "activity_unit",
                     "inhouse_fixed_cost_gbp_per_team_per_year", "team_capacity_activities_per_year",
                     "inhouse_variable_cost_gbp_per_activity", "buy_price_gbp_per_activity",
                     "contract_management_gbp_per_year", "min_population_inhouse", "allowed_modes"]


def write_catalogue(path: Path, rows: list[list]) -> Path:
    path.write_text("\n".join([",".join(CATALOGUE_COLUMNS)] + [",".join(map(str, r)) for r in rows]) + "\n",
                    encoding="utf-8")
    return path


def one_federation(tmp_path, population: int, catalogue: Path | None = None, **parts):
    """Verify one federation of ``population`` patients at one place (no access or fixed cost)."""
    world = {f"M{i}": (280_000, 100_000 + 10 * i, 10_000, "X", "15N") for i in range(population // 10_000)}
    sc = world_scenario(tmp_path, world, bounds=BoundsSpec(min_population=1, max_population=10 ** 6),
                        costs=CostsSpec(federation_fixed_gbp=0.0, hub_visits_per_patient=0.0, access="km"), **parts)
    sc = replace(sc, inputs=replace(sc.inputs, catalogue=catalogue))
    return verify(sc, {c: 1 for c in world}, {1: "M0"})


@pytest.mark.parametrize("hub, cap, population, expected", [
    # 40,000 patients. clinic: 800 visits = 2 teams: 208,000 made vs 245,000 bought (saves 37,000);
    # payroll: 1 team 50,000 vs 4,200 bought; hr: 200 -> 30,200 made vs 42,000 bought (saves 11,800)
    (0, None, 40_000, 208_000 + 4_200 + 30_200),
    (30_000, None, 40_000, 208_000 + 4_200 + 30_200 + 30_000),     # the hub is worth paying
    (40_000, None, 40_000, 245_000 + 4_200 + 30_200),              # it is not: no clinical service made
    (0, 1, 40_000, 208_000 + 4_200 + 42_000),                      # one service in-house: the clinic
    (30_000, 1, 40_000, 245_000 + 4_200 + 30_200),                 # with the hub, hr alone is cheaper
    # 10,000 patients: the clinic may not be made below 20,000 (200 x 300 + 5,000 bought); payroll:
    # 100 x 8 + 1,000 bought; hr: 50 -> 30,050 made vs 12,000 bought
    (0, None, 10_000, 65_000 + 1_800 + 12_000),
])
def test_make_or_buy_by_hand(tmp_path, hub, cap, population, expected):
    cat = write_catalogue(tmp_path / "services.csv", [
        ["clinic", "clinical", 20, "visit", 100_000, 500, 10, 300, 5_000, 20_000, "inhouse;buy"],
        ["payroll", "corporate", 10, "payslip", 50_000, 1_000, 0, 8, 1_000, "", "inhouse;buy"],
        ["hr", "corporate", 5, "hour", 30_000, 400, 1, 200, 2_000, "", "inhouse;buy"],
    ])
    v = one_federation(tmp_path, population, cat, risk=RiskSpec(enabled=False),
                       makebuy=MakeBuySpec(joint=True, shared_hub_gbp=hub, max_inhouse=cap))
    assert v.ok, v.problems
    assert v.cost_breakdown["services"] == pytest.approx(expected, abs=1e-6)


def test_team_counts_are_exact(tmp_path):
    # 1.1 per 1,000 x 50,000 = 55 activities, one per team: 55 teams (floats say 55.000000000000007)
    cat = write_catalogue(tmp_path / "services.csv", [["odd", "corporate", 1.1, "unit", 1_000, 1, 0, 2_000, 0, "",
                                                       "inhouse;buy"]])
    v = one_federation(tmp_path, 50_000, cat, makebuy=MakeBuySpec(joint=True), risk=RiskSpec(enabled=False))
    assert v.cost_breakdown["services"] == pytest.approx(55_000.0, abs=1e-6)


# A Normal deviation (no skew, no systematic part), budget £952, CV 2.5, 40,000 patients:
# sd = 952 x sqrt(6.25 x 40,000) = 476,000. Cover attaching at the mean (a = 1) over a layer wide
# enough to be unlimited pays sd x phi(0) = 476,000 x 0.3989422804014327, and leaves no reserve.
_NORMAL = dict(budget_gbp_per_patient=952.0, cv_individual=2.5, skew_individual=0.0, systematic_error=0.0,
               cost_of_capital=0.035, stoploss_attachments=(1.0,), stoploss_min_rate_on_line=0.0,
               stoploss_min_premium_gbp=0.0, stoploss_layer=50.0)


@pytest.mark.parametrize("risk, expected", [
    (RiskSpec(**_NORMAL), 0.035 * 1.6448536269514722 * 476_000),                     # the reserve is cheaper
    (RiskSpec(**_NORMAL | dict(cost_of_capital=1.0, stoploss_loading=0.0)),
     476_000 * 0.3989422804014327),                                                  # the cover is cheaper
    (RiskSpec(**_NORMAL | dict(risk_share=0.5)), 0.035 * 1.6448536269514722 * 238_000),   # half kept
    (RiskSpec(**_NORMAL | dict(cost_of_capital=1.0, stoploss_loading=0.0, stoploss_min_premium_gbp=250_000.0)),
     250_000.0),                                                                     # the minimum premium
])
def test_risk_by_hand(tmp_path, risk, expected):
    v = one_federation(tmp_path, 40_000, risk=risk)
    assert v.cost_breakdown["risk"] == pytest.approx(expected, rel=1e-12)


# ------------------------------------------------------------------ (c) claims


@pytest.fixture
def world_and_cost(tmp_path):
    return world_scenario(tmp_path), plain_cost(GOOD, GOOD_HUBS)


def test_true_claims_pass(world_and_cost):
    sc, cost = world_and_cost
    assert verify(sc, GOOD, GOOD_HUBS, claimed=Claim("optimal", cost, cost - 0.004, 0.004 / cost)).ok
    assert verify(sc, GOOD, GOOD_HUBS, claimed=Claim("feasible", cost + 0.005, cost * 0.99, 0.01)).ok
    assert verify(sc, GOOD, GOOD_HUBS, claimed=Claim("feasible", cost, None, None)).ok


def test_false_claims_are_reported(world_and_cost):
    sc, cost = world_and_cost
    said = problems_of(sc, claimed=Claim("feasible", cost, cost + 50.0, 0.0))
    assert "lower bound" in said and "is above the plan's cost" in said
    said = problems_of(sc, claimed=Claim("feasible", cost, cost * 0.98, 0.01))
    assert "the reported gap 1.000000% is not (cost - bound) / |cost| = 2.000000%" in said
    said = problems_of(sc, claimed=Claim("optimal", cost, cost * 0.99, 0.01, requested_gap=0.02))
    assert "called optimal" in said and "exceeds the lower bound" in said and "requested gap" in said
    said = problems_of(sc, claimed=Claim("feasible", cost + 1.0, cost - 10.0, 11.0 / (cost + 1.0)))
    assert "differs from the recomputed" in said
    assert "differs" not in " ".join(verify(sc, GOOD, GOOD_HUBS, claimed=Claim(objective=cost * (1 + 5e-10))).problems)
    said = problems_of(sc, claimed=Claim("optimal", cost, None, None))
    assert "optimal without a lower bound" in said


# ------------------------------------------------------------------ (d) no engine code inside


FORBIDDEN = {"fedplan.optimise.sizecost", "fedplan.optimise.makebuy", "fedplan.optimise.risk",
             "fedplan.optimise.problem", "fedplan.optimise.formulations",
             "fedplan.optimise.branch_price", "fedplan.optimise.bounds", "fedplan.optimise.compact",
             "fedplan.optimise.feasibility", "fedplan.optimise.engine",
             "fedplan.optimise.heuristics", "fedplan.api", "fedplan.cli", "fedplan.explain",
             "fedplan.geo.adjacency", "fedplan.geo.distance"}


@pytest.mark.parametrize("module", ["fedplan.optimise.verify", "fedplan.optimise.verify_costs"])
def test_verify_imports_no_model_code(module):
    """The source of the modules in use (installed or checked out) imports no model code."""
    tree = ast.parse(Path(importlib.import_module(module).__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = "fedplan.optimise" if node.level else ""
            where = f"{base}.{node.module}".strip(".") if node.module else base
            # "from fedplan import geo" imports fedplan.geo; "from .x import y" imports fedplan.optimise.x
            imported |= {f"{where}.{a.name}" for a in node.names} | {where}
    assert not {m for m in imported for f in FORBIDDEN if m == f or m.startswith(f + ".")}
    # of the optimiser, only the proof tolerance and verify's own cost rules
    optimiser = {m.rsplit(".", 1)[0] if m.count(".") > 2 else m for m in imported if m.startswith("fedplan.optimise.")}
    assert optimiser <= {"fedplan.optimise.result", "fedplan.optimise.verify_costs"}, optimiser
    # geo is used for the projection only
    used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
            and n.value.id == "geo"}
    assert used <= {"project_practices"}, used


# ------------------------------------------------------------------ (e) the CLI's exit code 4


def test_a_plan_that_fails_verification_is_written_as_an_error_with_exit_4(tmp_path, capsys, monkeypatch):
    from fedplan import api
    from fedplan.optimise import Status

    real = api.solve_federations

    def overclaiming(*args, **kw):
        res = real(*args, **kw)
        return res.replace(status=Status.OPTIMAL, bound=res.objective * 0.99, gap=0.01)

    monkeypatch.setattr(api, "solve_federations", overclaiming)
    out = tmp_path / "run"
    rc = main(["plan", "--sub-icb", "02Q", "--time-limit", "10", "--quiet", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 4, err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "error" and summary["verified"] is False
    assert any("called optimal" in p for p in summary["verification_problems"])
    assert "failed independent verification" in err and "called optimal" in err
    assert (out / "assignment.csv").is_file() and (out / "report.html").is_file()


def test_a_wrong_cost_is_exit_4(tmp_path, capsys, monkeypatch):
    from fedplan import api

    real = api.solve_federations

    def cheaper(*args, **kw):
        res = real(*args, **kw)
        return res.replace(objective=res.objective - 1000.0, bound=res.bound - 1000.0)

    monkeypatch.setattr(api, "solve_federations", cheaper)
    out = tmp_path / "run"
    assert main(["plan", "--sub-icb", "02Q", "--time-limit", "10", "--quiet", "--out", str(out)]) == 4
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "error"
    assert any("differs from the recomputed" in p for p in summary["verification_problems"])


def test_a_verified_run_says_so(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["plan", "--sub-icb", "02Q", "--time-limit", "10", "--quiet", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["verified"] is True and summary["verification_problems"] == []
    assert summary["status"] in ("optimal", "feasible")


# ------------------------------------------------------------------ (f) fedplan bench


def bench(capsys, *args):
    rc = main(["bench", *map(str, args)])
    out = capsys.readouterr()
    return rc, json.loads(out.out), out.err


def test_bench_verifies_its_answer(capsys):
    f = CPMP / "pmedcap1_01.txt"
    rc, res, _ = bench(capsys, f, "--format", "orlib-pmedcap", "--time-limit", "60")
    assert rc == 0 and res["verified"] is True and "verification_problems" not in res
    # broken answers, each caught against the file read again
    lines = f.read_text().split("\n")
    n, p, q = (int(x) for x in lines[1].split())
    ok = verify_cpmp(f, "orlib-pmedcap", res)
    assert ok.ok and ok.cost_gbp == pytest.approx(713.0)

    def said(answer) -> str:
        v = verify_cpmp(f, "orlib-pmedcap", answer)
        assert not v.ok
        return " | ".join(v.problems)

    assert f"{p - 1} medians, but the instance asks for exactly {p}" in said(dict(res, medians=res["medians"][1:]))
    # everything served by one median: over its capacity of q
    assert f"over its capacity of {q}" in said(dict(res, assignment={k: res["medians"][0] for k in res["assignment"]}))
    assert "1 point(s) are not assigned" in said(dict(res, assignment={k: v for k, v in res["assignment"].items()
                                                                       if k != "1"}))
    assert "differs from the recomputed" in said(dict(res, objective=res["objective"] + 1))
    assert "called optimal" in said(dict(res, bound=res["objective"] - 7, gap=7 / res["objective"]))
    assert n == len(res["assignment"])


def test_bench_exit_4_on_a_false_claim(capsys, monkeypatch):
    import fedplan.optimise.cpmp as cpmp
    real = cpmp.solve_federations

    def bound_too_high(*args, **kw):
        res = real(*args, **kw)
        return res.replace(bound=res.objective + 5)

    monkeypatch.setattr(cpmp, "solve_federations", bound_too_high)
    rc, res, err = bench(capsys, CPMP / "pmedcap1_01.txt", "--format", "orlib-pmedcap", "--time-limit", "60")
    assert rc == 4
    assert res["verified"] is False and res["status"] == "error"
    assert any("is above the plan's cost" in p for p in res["verification_problems"])
    assert "failed independent verification" in err
