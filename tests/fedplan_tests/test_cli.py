"""The CLI as a planner meets it: exit codes, messages that say where and how to fix, and no
output directory left behind on bad input. Plus one real Devon run checked against the contract."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from input_helpers import write_csv

from fedplan.cli import main


def scenario(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "scenario.toml"
    p.write_text(text, encoding="utf-8")
    return p


def run_cli(args, capsys):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def plan_fails(tmp_path, capsys, args, *must_say, code=2):
    out = tmp_path / "run"
    rc, _, err = run_cli(["plan", *args, "--out", out, "--quiet"], capsys)
    assert rc == code, err
    for words in must_say:
        assert words.lower() in err.lower(), f"{words!r} not in: {err}"
    assert "Traceback" not in err
    assert not out.exists(), "nothing may be written on failure"
    assert not any(p.name.startswith(".run") for p in tmp_path.iterdir()), "no partial directory left"
    return err


# ------------------------------------------------------------------ bad scenarios


def test_missing_scenario_file(tmp_path, capsys):
    plan_fails(tmp_path, capsys, [tmp_path / "nope.toml"], "nope.toml")


def test_toml_syntax_error_names_the_line(tmp_path, capsys):
    sc = scenario(tmp_path, "[bounds]\nmin_population = = 3\n")
    plan_fails(tmp_path, capsys, [sc], "scenario.toml", "line 2")


def test_unknown_key_suggests_the_nearest(tmp_path, capsys):
    sc = scenario(tmp_path, "[bounds]\nmin_pop = 20000\n")
    plan_fails(tmp_path, capsys, [sc], "min_pop", "min_population")


def test_min_above_max(tmp_path, capsys):
    sc = scenario(tmp_path, "[bounds]\nmin_population = 90000\nmax_population = 50000\n")
    plan_fails(tmp_path, capsys, [sc], "min_population", "max_population")


def test_unknown_solver_in_scenario_and_on_command_line(tmp_path, capsys):
    sc = scenario(tmp_path, '[solve]\nsolver = "gurobi"\n')
    plan_fails(tmp_path, capsys, [sc], "gurobi", "cbc")
    with pytest.raises(SystemExit) as err:
        main(["plan", "--solver", "gurobi", "--out", str(tmp_path / "x")])
    assert err.value.code == 2
    assert not (tmp_path / "x").exists()


def test_unknown_icb_and_sub_icb(tmp_path, capsys):
    plan_fails(tmp_path, capsys, ["--icb", "QJX"], "QJX", "fedplan data")
    plan_fails(tmp_path, capsys, ["--sub-icb", "99Z"], "99Z")


def test_selection_with_no_practices(tmp_path, capsys, devon_rows):
    codes = ", ".join(f'"{r["practice_code"]}"' for r in devon_rows)
    sc = scenario(tmp_path, f"[area]\nexclude = [{codes}]\n")
    plan_fails(tmp_path, capsys, [sc], "no practices")


# ------------------------------------------------------------------ bad practice files


def practices_scenario(tmp_path, rows, columns=None, raw: bytes | None = None):
    path = tmp_path / "practices.csv"
    if raw is not None:
        path.write_bytes(raw)
    else:
        write_csv(path, rows, columns)
    return scenario(tmp_path, '[area]\nengland = true\n[inputs]\npractices = "practices.csv"\n')


def test_missing_required_column(tmp_path, capsys, devon_rows):
    cols = [c for c in devon_rows[0] if c not in ("registered_patients",)]
    sc = practices_scenario(tmp_path, devon_rows[:5], cols)
    plan_fails(tmp_path, capsys, [sc], "practices.csv", "registered_patients")


def test_duplicate_practice_code(tmp_path, capsys, devon_rows):
    rows = devon_rows[:5] + [devon_rows[2]]
    sc = practices_scenario(tmp_path, rows)
    plan_fails(tmp_path, capsys, [sc], "practices.csv", "row 7", devon_rows[2]["practice_code"])


@pytest.mark.parametrize("value", ["lots", "0", "-40", ""])
def test_bad_list_size(tmp_path, capsys, devon_rows, value):
    rows = [dict(r) for r in devon_rows[:5]]
    rows[3]["registered_patients"] = value
    sc = practices_scenario(tmp_path, rows)
    plan_fails(tmp_path, capsys, [sc], "practices.csv", "row 5", "registered_patients")


def test_missing_coordinates(tmp_path, capsys, devon_rows):
    rows = [dict(r) for r in devon_rows[:5]]
    cols = [c for c in rows[0] if c not in ("easting", "northing")]
    rows[1]["lat"] = ""
    sc = practices_scenario(tmp_path, rows, cols)
    plan_fails(tmp_path, capsys, [sc], "practices.csv", "row 3", "lat")


def test_coordinates_outside_england(tmp_path, capsys, devon_rows):
    rows = [dict(r) for r in devon_rows[:5]]
    cols = [c for c in rows[0] if c not in ("easting", "northing")]
    rows[4]["lat"], rows[4]["lon"] = "48.85", "2.35"  # Paris
    sc = practices_scenario(tmp_path, rows, cols)
    plan_fails(tmp_path, capsys, [sc], "practices.csv", "row 6", "England")


def test_header_only_and_binary_files(tmp_path, capsys, devon_rows):
    header = ",".join(devon_rows[0]) + "\n"
    sc = practices_scenario(tmp_path, [], raw=header.encode())
    plan_fails(tmp_path, capsys, [sc], "practices.csv")
    sc = practices_scenario(tmp_path, [], raw=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    plan_fails(tmp_path, capsys, [sc], "practices.csv")


def test_practice_too_big_is_explained_and_can_be_excluded(tmp_path, capsys):
    err = plan_fails(tmp_path, capsys, ["--icb", "Z9B2Z", "--time-limit", "5"], "E85124", "100,329", "--exclude", code=3)
    assert "max_population" in err


def test_area_too_small_is_explained_with_exit_3(tmp_path, capsys, devon_rows):
    small = sorted(devon_rows, key=lambda r: int(r["registered_patients"]))[:2]
    codes = ", ".join(f'"{r["practice_code"]}"' for r in small)
    total = sum(int(r["registered_patients"]) for r in small)
    sc = scenario(tmp_path, f"[area]\npractices = [{codes}]\n")
    err = plan_fails(tmp_path, capsys, [sc], small[0]["practice_code"], f"{total:,}", "25,000", code=3)
    assert "min_population" in err


# ------------------------------------------------------------------ working commands


def test_validate_and_data(tmp_path, capsys):
    sc = scenario(tmp_path, '[area]\nicb = "QJK"\n[solve]\ntime_limit_s = 30\n')
    rc, out, err = run_cli(["validate", sc], capsys)
    assert rc == 0, err
    assert "116 practices" in out
    rc, out, _ = run_cli(["data", "--json"], capsys)
    rows = json.loads(out)
    icbs = [r for r in rows if r["level"] == "icb"]
    assert len(icbs) == 36
    devon = next(r for r in icbs if r["code"] == "QJK")
    assert devon["n_practices"] == 116 and devon["population"] == 1291824


def test_devon_run_directory_meets_the_contract(devon_run, devon_rows):
    rc, out = devon_run
    assert rc == 0
    for name in ("summary.json", "assignment.csv", "manifest.json", "report.html", "federations.gpkg", "solver.log"):
        assert (out / name).is_file(), name
    s = json.loads((out / "summary.json").read_text())
    with open(out / "assignment.csv") as f:
        rows = list(csv.DictReader(f))
    # minutes by car to the hub: access is in minutes by default (test_access_minutes checks them)
    assert list(rows[0]) == ["practice_code", "federation_id", "minutes_to_hub"]
    codes = [r["practice_code"] for r in rows]
    assert sorted(codes) == sorted(r["practice_code"] for r in devon_rows)  # each exactly once
    size = {r["practice_code"]: int(r["registered_patients"]) for r in devon_rows}
    pops: dict[str, int] = {}
    for r in rows:
        pops[r["federation_id"]] = pops.get(r["federation_id"], 0) + size[r["practice_code"]]
    assert all(25_000 <= p <= 100_000 for p in pops.values())
    assert s["n_federations"] == len(pops) == len(s["federations"])
    assert sorted(f["population"] for f in s["federations"]) == sorted(pops.values())
    # status, bound and gap tell the truth about each other
    assert s["status"] in ("optimal", "feasible")
    assert s["bound_gbp"] <= s["objective_gbp"] + 1e-6
    assert s["gap"] == pytest.approx((s["objective_gbp"] - s["bound_gbp"]) / s["objective_gbp"], abs=1e-6)
    if s["status"] == "optimal":
        assert s["gap"] <= 1e-6
    assert s["verified"] is True
    assert s["baseline"]["n_federations"] >= 20
    assert s["objective_gbp"] == pytest.approx(sum(s["cost_breakdown"].values()), rel=1e-9)
    m = json.loads((out / "manifest.json").read_text())
    assert m["seed"] == 0 and "ortools" in m["versions"] and m["inputs"]["practices"]["sha256"]


def test_existing_output_directory_is_not_clobbered(devon_run, capsys):
    rc, out = devon_run
    before = (out / "summary.json").read_bytes()
    code, _, err = run_cli(["plan", "--out", out, "--time-limit", "5", "--quiet"], capsys)
    assert code == 2 and "--overwrite" in err
    assert (out / "summary.json").read_bytes() == before


def test_library_call_returns_the_result(devon_rows):
    import fedplan
    from fedplan.inputs.model import AreaSpec, Scenario, SolveSpec

    sc = Scenario(area=AreaSpec(sub_icb="15N"), solve=SolveSpec(time_limit_s=10))
    res = fedplan.plan(sc)
    assert res.status in (fedplan.Status.OPTIMAL, fedplan.Status.FEASIBLE)
    assert res.bound <= res.objective and res.gap is not None
    assert set(res.practice_codes) == {r["practice_code"] for r in devon_rows if r["sub_icb_code"] == "15N"}
