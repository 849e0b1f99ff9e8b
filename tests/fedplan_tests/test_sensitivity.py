"""`fedplan sensitivity` on six Plymouth practices (each solve about a second): the contract of
sensitivity.json, every number checked against an independent recomputation (a tornado end through
fedplan.api.run, the robust plan's re-costs from each draw's own problem, the stability shares from
the draws' plans), resuming without redoing work, bad options refused in words, and an offline page."""
from __future__ import annotations

import csv
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from fedplan import api, geo
from fedplan.cli import main
from fedplan.inputs import load_scenario
from fedplan.inputs.ranges import with_figure

CODES = ("L83015", "L83019", "L83039", "L83030", "L83048", "L83076")
FIGURES = ("risk.risk_share,costs.federation_fixed_gbp,costs.hub_visits_per_patient,"
           "catalogue.legal.buy_price_gbp_per_activity,risk.viability_share,costs.travel_gbp_per_minute")
WORK = 2.0
DRAWS = 3


def _scenario(folder: Path) -> Path:
    path = folder / "small.toml"
    path.write_text("[area]\npractices = [" + ", ".join(f'"{c}"' for c in CODES) + "]\n"
                    "[bounds]\nmin_population = 15000\nmax_population = 40000\n[costs]\naccess = \"km\"\n"
                    "[solve]\ntime_limit_s = 60\n",
                    encoding="utf-8")
    return path


def _args(sc: Path, out: Path, *extra) -> list[str]:
    return ["sensitivity", str(sc), "--out", str(out), "--draws", str(DRAWS), "--work-limit", str(WORK),
            "--figures", FIGURES, "--workers", "1", "--quiet", *extra]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sensitivity")
    sc = _scenario(folder)
    out = folder / "out"
    assert main(_args(sc, out)) == 0
    return sc, out, json.loads((out / "sensitivity.json").read_text(encoding="utf-8"))


def _context(sc_path: Path):
    sc = load_scenario(sc_path)
    practices = api.load_practices(sc)
    return sc, practices, geo.distance_km(practices), api.load_catalogue(sc)


def _arrays(practices, plan: dict) -> tuple[np.ndarray, tuple[int, ...]]:
    feds = sorted(int(f) for f in plan["hubs"])
    k = {f: i for i, f in enumerate(feds)}
    return (np.array([k[int(plan["assignment"][c])] for c in practices.code]),
            tuple(practices.index(plan["hubs"][str(f)]) for f in feds))


def test_the_contract_keys_and_types(run):
    _, out, d = run
    for key in ("tornado", "draws", "robust_plan", "stability", "base", "settings"):
        assert key in d
    assert d["settings"]["draws"] == DRAWS and d["settings"]["work_limit"] == WORK and d["settings"]["seed"] == 0
    assert d["settings"]["scenario"].endswith("small.toml")
    varied = {r["parameter"] for r in d["tornado"]}
    # access by km in this scenario, so the per-minute figure never counts and is skipped, with why
    assert varied == set(FIGURES.split(",")) - {"costs.travel_gbp_per_minute"}
    assert [s["parameter"] for s in d["skipped"]] == ["costs.travel_gbp_per_minute"]
    assert "straight-line km" in d["skipped"][0]["reason"]
    for r in d["tornado"]:
        assert {"parameter", "low", "high", "saving_low_gbp", "saving_high_gbp", "swing_gbp"} <= set(r)
        assert r["low"] <= r["central"] <= r["high"]
        assert isinstance(r["saving_low_gbp"], float) and isinstance(r["saving_high_gbp"], float)
        assert r["swing_gbp"] == pytest.approx(abs(r["saving_high_gbp"] - r["saving_low_gbp"]), abs=0.011)
    swings = [r["swing_gbp"] for r in d["tornado"]]
    assert swings == sorted(swings, reverse=True)
    by = {r["parameter"]: r for r in d["tornado"]}
    # viability_share never enters a cost: both ends reuse the base plan unsolved
    assert by["risk.viability_share"]["no_effect_low"] and by["risk.viability_share"]["swing_gbp"] == 0
    assert by["risk.risk_share"]["same_as_base_high"]          # high = central = the scenario's value
    assert by["costs.hub_visits_per_patient"]["swing_gbp"] > 0
    assert len(d["draws"]) == DRAWS
    for k, x in enumerate(d["draws"], start=1):
        assert x["draw"] == k and x["status"] in ("optimal", "feasible")
        assert isinstance(x["objective_gbp"], float) and isinstance(x["baseline_gbp"], float)
        assert isinstance(x["n_federations"], int) and x["n_federations"] >= 1
        assert x["saving_gbp"] == pytest.approx(x["baseline_gbp"] - x["objective_gbp"], abs=0.011)
        assert set(x["values"]) == varied and set(x["assignment"]) == set(CODES)
        for r in d["tornado"]:
            assert r["low"] <= x["values"][r["parameter"]] <= r["high"]
    base = d["base"]
    assert base["saving_gbp"] == pytest.approx(base["baseline_gbp"] - base["objective_gbp"], abs=0.011)
    for name, first in (("tornado.csv", "parameter"), ("draws.csv", "draw"), ("stability.csv", "practice_a"),
                        ("robust_plan.csv", "practice_code")):
        with open(out / name, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert rows and first in rows[0]
    assert len(list((out / "tasks").glob("*.json"))) == 1 + 9 + DRAWS   # base, 9 tornado ends, the draws


@pytest.mark.parametrize("parameter, side", [("costs.hub_visits_per_patient", "high"),
                                             ("catalogue.legal.buy_price_gbp_per_activity", "low")])
def test_a_tornado_end_equals_an_independent_run(run, parameter, side):
    sc_path, _, d = run
    row = next(r for r in d["tornado"] if r["parameter"] == parameter)
    sc, _, _, catalogue = _context(sc_path)
    variant, _ = with_figure(sc, catalogue, parameter, row[side])
    # a catalogue figure must reach the engine through the scenario alone (its service overrides)
    variant = replace(variant, solve=replace(variant.solve, price_rules=False, work_limit=WORK))
    r = api.run(variant)
    assert str(r.result.status) == row[f"status_{side}"] == "optimal"
    assert row[f"saving_{side}_gbp"] == pytest.approx(r.baseline.cost_gbp - r.result.objective, abs=0.05)
    assert row[f"baseline_{side}_gbp"] == pytest.approx(r.baseline.cost_gbp, abs=0.01)
    # the figure moved today's cost too, so api.run saw the changed figure, not the default
    assert abs(row[f"baseline_{side}_gbp"] - d["base"]["baseline_gbp"]) > 1.0


def test_the_robust_plan_is_the_least_mean_cost_under_the_draws(run):
    sc_path, out, d = run
    sc, practices, dist, catalogue = _context(sc_path)
    problems = []
    for x in d["draws"]:
        s, c = sc, catalogue
        for figure, value in x["values"].items():
            s, c = with_figure(s, c, figure, value)
        problems.append(api.build_problem(practices, s, dist, c))

    def mean_cost(plan):
        a, h = _arrays(practices, plan)
        return float(np.mean([p.cost(a, h) for p in problems]))

    robust = d["robust_plan"]
    assert robust["expected_cost_gbp"] == pytest.approx(mean_cost(robust), abs=0.01)
    assert robust["costs_gbp"] == pytest.approx([p.cost(*_arrays(practices, robust)) for p in problems], abs=0.01)
    for other in [d["base"], *d["draws"]]:
        assert mean_cost(other) >= robust["expected_cost_gbp"] - 0.01
    assert robust["run"] in robust["found_by"] and robust["n_federations"] == len(robust["hubs"])
    with open(out / "robust_plan.csv", newline="", encoding="utf-8") as f:
        rows = {r["practice_code"]: r for r in csv.DictReader(f)}
    assert {c: int(r["federation_id"]) for c, r in rows.items()} == robust["assignment"]


def test_the_robust_choice_excludes_a_plan_that_breaks_a_draw():
    from types import SimpleNamespace

    from fedplan.inputs.model import Practices
    from fedplan.sensitivity import robust_plan

    practices = Practices(source="test", code=("A", "B", "C"), list_size=np.array([10, 20, 30]),
                          lat=np.zeros(3), lon=np.zeros(3), easting=np.zeros(3), northing=np.zeros(3))
    plans = [{"assignment": {"A": 1, "B": 1, "C": 2}, "hubs": {"1": "A", "2": "C"}},
             {"assignment": {"A": 1, "B": 2, "C": 2}, "hubs": {"1": "A", "2": "B"}},
             {"assignment": {"A": 1, "B": 1, "C": 1}, "hubs": {"1": "C"}}]
    sources = [["base"], ["draw-0001", "draw-0002"], ["draw-0003"]]
    recosts = [{"baseline_gbp": 100.0, "costs": [90.0, 80.0, 10.0]},
               {"baseline_gbp": 120.0, "costs": [70.0, 75.0, None]}]   # plan 3 breaks draw 2's rules
    r = robust_plan(SimpleNamespace(practices=practices), plans, sources, recosts)
    assert r["run"] == "draw-0001" and r["found_by"] == ["draw-0001", "draw-0002"]
    assert r["expected_cost_gbp"] == 77.5 and r["costs_gbp"] == [80.0, 75.0] and r["n_excluded"] == 1
    assert r["expected_saving_gbp"] == 32.5 and r["expected_regret_gbp"] == 2.5   # against the best allowed plan
    assert r["base_plan"] == {"expected_cost_gbp": 80.0, "expected_regret_gbp": 5.0}
    assert r["federations"] == [{"id": 1, "hub": "A", "population": 10, "n_practices": 1},
                                {"id": 2, "hub": "B", "population": 50, "n_practices": 2}]


def test_stability_shares_are_a_recount_of_the_draws(run):
    sc_path, _, d = run
    _, practices, _, _ = _context(sc_path)
    plans = [x["assignment"] for x in d["draws"]]
    want = {(practices.code[i], practices.code[j]): sum(p[practices.code[i]] == p[practices.code[j]] for p in plans)
            / len(plans) for i, j in geo.practice_adjacency(practices)}
    got = {(r["practice_a"], r["practice_b"]): r["share_together"] for r in d["stability"]["pairs"]}
    assert got == pytest.approx(want)
    assert all(0.0 <= s <= 1.0 for s in got.values())
    s = d["stability"]
    assert s["n_draws"] == DRAWS and s["n_pairs"] == len(want)
    assert s["mean_share"] == pytest.approx(np.mean(list(want.values())))
    assert s["always_together_share"] + s["never_together_share"] + s["unsettled_share"] == pytest.approx(1.0)


def test_a_rerun_skips_finished_tasks_and_writes_the_same(run, tmp_path, capsys):
    sc, out, _ = run
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    before = (copy / "sensitivity.json").read_bytes()
    lost = [copy / "tasks" / "draw-0002.json", copy / "tasks" / "tornado-costs.hub_visits_per_patient-low.json"]
    for p in lost:
        p.unlink()                    # as if killed before these two finished
    stamps = {p.name: p.stat().st_mtime_ns for p in (copy / "tasks").iterdir()}
    capsys.readouterr()
    assert main(_args(sc, copy)) == 0
    assert "2 solved now" in capsys.readouterr().out
    assert all(p.exists() for p in lost)
    assert {p.name: p.stat().st_mtime_ns for p in (copy / "tasks").iterdir() if p.name in stamps} == stamps
    assert (copy / "sensitivity.json").read_bytes() == before
    assert not [p for p in copy.rglob(".*")], "no temporary file is left"


def test_other_settings_in_the_folder_are_refused(run, tmp_path, capsys):
    sc, out, _ = run
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    args = _args(sc, copy)
    args[args.index("--work-limit") + 1] = "3"
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "other settings" in err and "--overwrite" in err and "Traceback" not in err
    assert {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("extra, says", [
    (["--draws", "-1"], "--draws"),
    (["--work-limit", "0"], "--work-limit"),
    (["--work-limit", "-2"], "--work-limit"),
    (["--seed", "-1"], "--seed"),
    (["--workers", "0"], "--workers"),
    (["--figures", "risk.risk_shar"], "did you mean risk.risk_share"),
    (["--figures", " , "], "--figures"),
    (["--ranges", "nowhere.csv"], "nowhere.csv"),
])
def test_bad_options_are_refused_in_words(tmp_path, capsys, extra, says):
    sc = _scenario(tmp_path)
    out = tmp_path / "out"
    args = _args(sc, out)
    for k in range(0, len(extra), 2):      # the later option wins in argparse
        args += extra[k:k + 2]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert says in err and "Fix:" in err and "Traceback" not in err, err
    assert not out.exists()


def test_a_bad_scenario_and_an_unknown_option_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[bounds]\nmin_populaton = 20000\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sensitivity", str(bad), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "min_population" in err and "Traceback" not in err
    assert main(["sensitivity", str(tmp_path / "none.toml"), "--out", str(out), "--quiet"]) == 2
    assert "none.toml" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["sensitivity", "--out", str(out), "--bogus"])
    assert exc.value.code == 2 and "--bogus" in capsys.readouterr().err
    assert not out.exists()


def test_the_page_has_every_section_and_loads_nothing(run):
    _, out, d = run
    page = (out / "sensitivity.html").read_text(encoding="utf-8")
    for section in ("summary", "tornado", "drivers", "draws", "stability", "robust", "method"):
        assert f"id='{section}'" in page
    assert page.count("<svg") >= 5            # tornado, two histograms, the neighbour map, the robust plan
    assert "Content-Security-Policy" in page and "<script" not in page.lower()
    assert not re.findall(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, flags=re.I)
    assert d["tornado"][0]["parameter"] in page and d["robust_plan"]["run"] in page
