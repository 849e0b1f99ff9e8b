"""National and regional runs with area-wide rules: the code lists of a scenario are split by part
(each ICB gets only its own hub candidates, locks, pairs and opted-out practices), rules that a
part-by-part run cannot honour are refused before anything is solved (exit 2), a failed part keeps
its own exit code (2 bad input, 3 rules cannot be met, 1 no plan) with nothing written, and the
merged plan is checked as a whole (exit 4 and status "error" when that check fails)."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from input_helpers import write_csv

from fedplan import national
from fedplan.cli import main
from fedplan.rundir import read_run_dir

DATA = Path(__file__).parents[1] / "data"
PLAIN = "[makebuy]\njoint = false\n[risk]\nenabled = false\n"
# practices_small.csv: the first 15 rows stay in Devon (QJK), the last 15 move to a made-up ICB QZZ
QJK = ("L83002", "L83003", "L83004", "L83005", "L83006", "L83007", "L83008", "L83010", "L83011", "L83012",
       "L83013", "L83014", "L83015", "L83016", "L83019")
QZZ = ("L83020", "L83021", "L83023", "L83024", "L83025", "L83026", "L83027", "L83028", "L83029", "L83030",
       "L83031", "L83034", "L83035", "L83036", "L83038")
# rules over both ICBs, each entry inside one of them (apart: one pair across the border, which holds
# by construction)
RULES = """[area]
england = true
exclude = ["L83012", "L83026"]
[constraints]
hub_candidates = ["L83002", "L83006", "L83008", "L83013", "L83016", "L83020", "L83021", "L83028", "L83035"]
locks = { L83004 = "L83002", L83036 = "L83035" }
together = [["L83003", "L83005"], ["L83023", "L83024"]]
apart = [["L83006", "L83016"], ["L83002", "L83038"]]
"""


def _practices(tmp: Path) -> Path:
    rows = list(csv.DictReader((DATA / "practices_small.csv").open(newline="", encoding="utf-8")))
    assert tuple(r["practice_code"] for r in rows) == QJK + QZZ
    for r in rows[len(QJK):]:
        r["icb_code"] = "QZZ"
    return write_csv(tmp / "practices.csv", rows)


def _scenario(tmp: Path, body: str = "[area]\nengland = true\n", extra: str = "", time_limit: float = 20,
              inputs: str = "") -> Path:
    practices = _practices(tmp)
    sc = tmp / "scenario.toml"
    sc.write_text(f'{body}{extra}[inputs]\npractices = "{practices.as_posix()}"\n{inputs}{PLAIN}'
                  f"[solve]\ntime_limit_s = {time_limit}\n", encoding="utf-8")
    return sc


def _nothing_written(tmp: Path, out: Path) -> None:
    assert not out.exists(), "a failed national run must not leave a run directory"
    assert not list(tmp.glob(f".{out.name}*")), "nor a staging folder"


@pytest.fixture
def no_solving(monkeypatch):
    """Refusals must come before anything is solved: the parts' runner may not be called."""
    def refuse(*args, **kwargs):
        raise AssertionError("parts were sent to the cluster")

    monkeypatch.setattr(national, "run_parts", refuse)


# ----------------------------------------------------------------- refused before solving (exit 2)

def test_n_federations_is_refused_before_anything_is_solved(tmp_path, capsys, no_solving):
    sc = _scenario(tmp_path, extra="[constraints]\nn_federations = 2\n")
    out = tmp_path / "run"
    code = main(["plan", str(sc), "--out", str(out), "--workers", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert str(sc) in err and "constraints.n_federations" in err and "--icb" in err and "Fix:" in err, err
    _nothing_written(tmp_path, out)


def test_n_federations_is_refused_for_a_region_too(tmp_path, capsys, no_solving):
    sc = _scenario(tmp_path, extra="[constraints]\nn_federations = 2\n")
    out = tmp_path / "run"
    code = main(["plan", str(sc), "--region", "Y58", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "constraints.n_federations" in err, err
    _nothing_written(tmp_path, out)


@pytest.mark.parametrize("rule, key", [
    ('locks = { L83004 = "L83038" }', "constraints.locks"),
    ('together = [["L83004", "L83038"]]', "constraints.together"),
])
def test_a_lock_or_together_pair_across_two_parts_is_refused(tmp_path, capsys, no_solving, rule, key):
    sc = _scenario(tmp_path, extra=f"[constraints]\n{rule}\n")
    out = tmp_path / "run"
    code = main(["plan", str(sc), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert key in err and "L83004" in err and "L83038" in err and "QJK" in err and "QZZ" in err, err
    assert "Fix:" in err
    _nothing_written(tmp_path, out)


@pytest.mark.parametrize("rule, key", [
    ('hub_candidates = ["L83002", "L83038", "L83999"]', "constraints.hub_candidates"),
    ('locks = { L83999 = "L83002" }', "constraints.locks"),
    ('together = [["L83002", "L83999"]]', "constraints.together"),
    ('apart = [["L83999", "L83038"]]', "constraints.apart"),
])
def test_a_code_in_no_part_is_bad_input_naming_it(tmp_path, capsys, no_solving, rule, key):
    sc = _scenario(tmp_path, extra=f"[constraints]\n{rule}\n")
    out = tmp_path / "run"
    code = main(["plan", str(sc), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "L83999" in err and key in err and "not among" in err, err
    _nothing_written(tmp_path, out)


def test_an_excluded_practice_named_as_hub_candidate_is_bad_input(tmp_path, capsys, no_solving):
    sc = _scenario(tmp_path, body='[area]\nengland = true\nexclude = ["L83038"]\n',
                   extra='[constraints]\nhub_candidates = ["L83002", "L83020", "L83038"]\n')
    code = main(["plan", str(sc), "--out", str(tmp_path / "run"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "L83038" in err and "excluded" in err, err


def test_a_part_without_hub_candidates_is_refused_naming_it(tmp_path, capsys, no_solving):
    sc = _scenario(tmp_path, extra='[constraints]\nhub_candidates = ["L83002", "L83006"]\n')
    out = tmp_path / "run"
    code = main(["plan", str(sc), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "constraints.hub_candidates" in err and "QZZ" in err and "Fix:" in err, err
    assert "ICB QJK" not in err, "QJK has candidates and must not be named"
    _nothing_written(tmp_path, out)


def test_the_code_lists_are_split_by_part(tmp_path):
    """What each part's scenario gets, without solving."""
    from fedplan import api
    from fedplan.inputs import load_scenario

    sc = load_scenario(_scenario(tmp_path, body=RULES))
    parts = dict(national.national_parts(api.load_practices(sc), sc))
    assert set(parts) == {"QJK", "QZZ"}
    a, z = parts["QJK"], parts["QZZ"]
    assert a.area.icb == "QJK" and a.area.exclude == ("L83012",)
    assert z.area.icb == "QZZ" and z.area.exclude == ("L83026",)
    assert a.constraints.hub_candidates == ("L83002", "L83006", "L83008", "L83013", "L83016")
    assert z.constraints.hub_candidates == ("L83020", "L83021", "L83028", "L83035")
    assert a.constraints.locks == (("L83004", "L83002"),) and z.constraints.locks == (("L83036", "L83035"),)
    assert a.constraints.together == (("L83003", "L83005"),) and z.constraints.together == (("L83023", "L83024"),)
    # the pair across the border holds by construction: it goes to neither part
    assert a.constraints.apart == (("L83006", "L83016"),) and z.constraints.apart == ()


# ----------------------------------------------------------------- a real run with split rules

@pytest.fixture(scope="module")
def rules_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("national_rules")
    sc = _scenario(tmp, body=RULES)
    out = tmp / "run"
    assert main(["plan", str(sc), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    return tmp, sc, out


def test_a_national_run_with_split_rules_is_planned_and_verified(rules_run):
    tmp, _, out = rules_run
    s = json.loads((out / "summary.json").read_text())
    assert s["verified"] is True and s["verification_problems"] == [] and s["status"] in ("optimal", "feasible")
    rows = {r["practice_code"]: int(r["federation_id"]) for r in csv.DictReader((out / "assignment.csv").open())}
    assert set(rows) == set(QJK + QZZ) - {"L83012", "L83026"}
    hub = {f["id"]: f["hub"] for f in s["federations"]}
    assert set(hub.values()) <= {"L83002", "L83006", "L83008", "L83013", "L83016", "L83020", "L83021", "L83028",
                                 "L83035"}
    assert hub[rows["L83004"]] == "L83002" and hub[rows["L83036"]] == "L83035"
    assert rows["L83003"] == rows["L83005"] and rows["L83023"] == rows["L83024"]
    assert rows["L83006"] != rows["L83016"] and rows["L83002"] != rows["L83038"]
    # each part recorded only its own share of the rules
    for part, own in (("QJK", set(QJK)), ("QZZ", set(QZZ))):
        k = read_run_dir(out / "parts" / part).scenario.constraints
        named = set(k.hub_candidates) | {c for pair in k.locks + k.together + k.apart for c in pair}
        assert named and named <= own, (part, named - own)
        assert json.loads((out / "parts" / part / "summary.json").read_text())["verified"] is True


def _merged(out: Path):
    from fedplan import api

    sc = read_run_dir(out).scenario
    summary = json.loads((out / "summary.json").read_text())
    assignment = {r["practice_code"]: int(r["federation_id"]) for r in csv.DictReader((out / "assignment.csv").open())}
    return sc, summary, assignment, api.load_practices(sc)


def test_verify_merged_accepts_the_run_and_names_each_kind_of_fault(rules_run, tmp_path):
    _, _, out = rules_run
    parts = tmp_path / "parts"
    shutil.copytree(out / "parts", parts)
    sc, summary, assignment, practices = _merged(out)
    codes = ["QJK", "QZZ"]
    assert national.verify_merged(parts, codes, summary, assignment, practices, sc) == []

    def problems(**changes):
        return national.verify_merged(parts, codes, {**summary, **changes}, assignment, practices, sc)

    assert any("not the sum of the parts' costs" in p for p in problems(objective_gbp=summary["objective_gbp"] + 1))
    assert any("bound" in p for p in problems(bound_gbp=summary["bound_gbp"] - 1))
    assert any("federations" in p for p in problems(n_federations=summary["n_federations"] + 1))
    short = dict(assignment)
    short.pop("L83002")
    assert any("exactly once" in p for p in
               national.verify_merged(parts, codes, summary, short, practices, sc))
    joined = {**assignment, "L83038": assignment["L83002"]}         # an apart pair, across the border
    found = national.verify_merged(parts, codes, summary, joined, practices, sc)
    assert any("apart pair L83002, L83038" in p for p in found) and any("cross a part border" in p for p in found)
    # a part that failed its own verification, and a practice planned in two parts
    qzz = json.loads((parts / "QZZ" / "summary.json").read_text())
    (parts / "QZZ" / "summary.json").write_text(json.dumps({**qzz, "verified": False,
                                                             "verification_problems": ["cost differs"]}))
    with (parts / "QZZ" / "assignment.csv").open("a") as f:
        f.write(f"L83002,{qzz['federations'][0]['id']}\n")
    found = national.verify_merged(parts, codes, summary, assignment, practices, sc)
    assert any("part QZZ failed its own verification (cost differs)" in p for p in found), found
    assert any("more than one part: L83002" in p for p in found), found


def _fake_parts(source: Path | None, results: dict):
    """A stand-in for the cluster: copies already-planned parts (if any) and returns ``results``."""
    def run(parts, folder, *args):
        if source is not None:
            for code, _ in parts:
                shutil.copytree(source / code, folder / code)
        return results
    return run


def test_a_merged_plan_that_fails_verification_is_exit_4_with_status_error(rules_run, tmp_path, monkeypatch, capsys):
    _, sc, out = rules_run
    statuses = {p: json.loads((out / "parts" / p / "summary.json").read_text())["status"] for p in ("QJK", "QZZ")}
    monkeypatch.setattr(national, "run_parts", _fake_parts(out / "parts", {
        p: {"status": s, "message": "", "written": True, "verified": True} for p, s in statuses.items()}))
    real_merge = national.merge_parts

    def wrong_sum(*args, **kwargs):
        summary, assignment, mob, log = real_merge(*args, **kwargs)
        return {**summary, "objective_gbp": summary["objective_gbp"] + 5.0}, assignment, mob, log

    monkeypatch.setattr(national, "merge_parts", wrong_sum)
    run = tmp_path / "run"
    code = main(["plan", str(sc), "--out", str(run), "--quiet"])
    err = capsys.readouterr().err
    assert code == 4, err
    assert "failed verification" in err and "not the sum of the parts' costs" in err, err
    s = json.loads((run / "summary.json").read_text())
    assert s["status"] == "error" and s["verified"] is False and s["verification_problems"]
    assert (run / "report.html").is_file() and (run / "manifest.json").is_file()


# ----------------------------------------------------------------- failed parts keep their exit codes

@pytest.mark.parametrize("results, exit_code, says", [
    ({"QJK": {"status": "optimal", "message": "", "written": True},
      "QZZ": {"status": "bad input", "message": "travel.csv, column 'origin': no time. Fix: add it."}},
     2, "part QZZ: travel.csv, column 'origin': no time. Fix: add it."),
    ({"QJK": {"status": "infeasible", "message": "the 2 practices total 20,000 patients"}},
     3, "part QJK: infeasible: the 2 practices total 20,000 patients"),
    ({"QJK": {"status": "no plan", "message": "infeasible: proven", "solver_status": "infeasible"}},
     3, "part QJK: infeasible: proven"),
    ({"QJK": {"status": "no plan", "message": "error: time limit with no plan", "solver_status": "error"}},
     1, "part QJK: no plan: error: time limit with no plan"),
    ({"QJK": {"status": "error", "message": "the task failed: worker lost"}},
     1, "part QJK: error: the task failed: worker lost"),
    ({"QJK": {"status": "infeasible", "message": "too small"},
      "QZZ": {"status": "bad input", "message": "bad file"}},
     2, "part QZZ: bad file"),
])
def test_a_failed_part_keeps_its_exit_code_and_nothing_is_written(tmp_path, monkeypatch, capsys, results, exit_code,
                                                                    says):
    sc = _scenario(tmp_path)
    monkeypatch.setattr(national, "run_parts", _fake_parts(None, results))
    out = tmp_path / "run"
    code = main(["plan", str(sc), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == exit_code and says in err, err
    _nothing_written(tmp_path, out)


def test_a_part_with_bad_input_is_exit_2_end_to_end(tmp_path, capsys):
    """A travel-time file that covers only QJK: part QZZ is bad input (exit 2, not 3)."""
    import math

    rows = {r["practice_code"]: r for r in csv.DictReader((DATA / "practices_small.csv").open(encoding="utf-8"))}
    times = tmp_path / "times.csv"
    with times.open("w", encoding="utf-8") as f:
        f.write("origin,destination,minutes\n")
        for a in QJK:
            for b in QJK:
                if a != b:
                    d = math.hypot(float(rows[a]["easting"]) - float(rows[b]["easting"]),
                                   float(rows[a]["northing"]) - float(rows[b]["northing"])) / 1000
                    f.write(f"{a},{b},{d:.1f}\n")
    sc = _scenario(tmp_path, inputs=f'travel_times = "{times.as_posix()}"\n', time_limit=10)
    out = tmp_path / "run"
    code = main(["plan", str(sc), "--out", str(out), "--workers", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "part QZZ" in err and str(times) in err and "no time from" in err, err
    _nothing_written(tmp_path, out)
