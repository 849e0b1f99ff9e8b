"""`fedplan report` and `fedplan compare` on real run directories: they never solve, they write
atomically, they refuse a broken or mismatched run directory in words, and the numbers they
show are the numbers the runs recorded."""
from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from input_helpers import write_csv

import fedplan.api
from fedplan import optimise
from fedplan.cli import main
from fedplan.report import PLAN_SCORE_COLUMNS

REPORT_SECTIONS = ("headline", "map", "federations", "size", "travel", "makebuy", "baseline", "costs", "solver", "assumptions")


def run_cli(args, capsys):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def no_solving(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("a report command tried to solve")

    monkeypatch.setattr(fedplan.api, "run", refuse)
    monkeypatch.setattr(fedplan.api, "solve_federations", refuse)
    monkeypatch.setattr(optimise, "solve_federations", refuse)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory, devon_rows):
    """A run on a practice file of our own (Devon's sub-ICB 15N), so tests can change that file."""
    d = tmp_path_factory.mktemp("small")
    write_csv(d / "practices.csv", [r for r in devon_rows if r["sub_icb_code"] == "15N"])
    (d / "scenario.toml").write_text('[area]\nengland = true\n[inputs]\npractices = "practices.csv"\n'
                                     "[solve]\ntime_limit_s = 10\n", encoding="utf-8")
    out = d / "run"
    assert main(["plan", str(d / "scenario.toml"), "--out", str(out), "--quiet"]) == 0
    return out


def movable_copy(run: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of ``small_run`` whose manifest points at its own copy of the practice file."""
    src_csv = Path(json.loads((run / "manifest.json").read_text())["scenario"]["inputs"]["practices"])
    csv_copy = tmp_path / "practices.csv"
    shutil.copy(src_csv, csv_copy)
    dst = tmp_path / "run"
    shutil.copytree(run, dst)
    m = json.loads((dst / "manifest.json").read_text())
    m["scenario"]["inputs"]["practices"] = str(csv_copy)
    m["inputs"]["practices"]["path"] = str(csv_copy)
    (dst / "manifest.json").write_text(json.dumps(m))
    return dst, csv_copy


def sections(html: str) -> list[str]:
    return re.findall(r"<section id=\"([a-z]+)\">", html)


# ------------------------------------------------------------------ fedplan report


def test_report_redraws_in_place_without_solving(devon_run_dir, tmp_path, capsys, no_solving):
    run = tmp_path / "run"
    shutil.copytree(devon_run_dir, run)
    kept = {n: (run / n).read_bytes() for n in ("summary.json", "assignment.csv", "make_or_buy.csv", "solver.log")}
    code, out, err = run_cli(["report", run], capsys)
    assert code == 0, err
    assert "nothing was solved" in out
    html = (run / "report.html").read_text(encoding="utf-8")
    assert sections(html) == list(REPORT_SECTIONS)
    assert "Re-drawn by `fedplan report`" in html and "Caution" not in html
    s = json.loads(kept["summary.json"])
    assert f"£{s['objective_gbp']:,.0f}" in html
    mb = html[html.index('<section id="makebuy">'):]
    with open(run / "make_or_buy.csv") as f:
        services = {r["service"] for r in csv.DictReader(f)}
    assert all(svc.replace("_", " ") in mb for svc in services)
    for name, data in kept.items():
        assert (run / name).read_bytes() == data, f"{name} must not change"
    m = json.loads((run / "manifest.json").read_text())
    assert m["outputs"]["report.html"] == sha(run / "report.html") and m["report_redrawn_utc"]
    assert not [p for p in run.iterdir() if p.name.startswith(".")], "no temporary file left behind"


def test_report_to_another_file_leaves_the_run_alone(devon_run_dir, tmp_path, capsys, no_solving):
    before = {p.name: p.read_bytes() for p in devon_run_dir.iterdir()}
    code, _, err = run_cli(["report", devon_run_dir, "--out", tmp_path / "copy.html"], capsys)
    assert code == 0, err
    assert sections((tmp_path / "copy.html").read_text(encoding="utf-8")) == list(REPORT_SECTIONS)
    assert {p.name: p.read_bytes() for p in devon_run_dir.iterdir()} == before


def broken(run: Path, name: str, text: str | None) -> None:
    if text is None:
        (run / name).unlink()
    else:
        (run / name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize("name, text, says", [
    ("summary.json", None, "summary.json is missing"),
    ("summary.json", '{"status": "feasible",', "not valid JSON (line 1"),
    ("summary.json", "[1, 2]", "JSON object"),
    ("manifest.json", None, "manifest.json is missing"),
    ("manifest.json", '{"scenario": {"bounds": {"min_population": -5}}}', "min_population"),
    ("assignment.csv", None, "assignment.csv is missing"),
    ("assignment.csv", "practice,federation\nL83001,1\n", "column 'practice_code' is missing"),
    ("assignment.csv", "practice_code,federation_id\nL83001,1\nL83002,two\n", "row 3, column 'federation_id'"),
    ("assignment.csv", "practice_code,federation_id\nL83001,1\nL83001,1\n", "listed twice"),
    ("assignment.csv", "practice_code,federation_id\nZZZ999,1\n", "no longer matches"),
])
def test_report_refuses_a_broken_run_directory(devon_run_dir, tmp_path, capsys, no_solving, name, text, says):
    run = tmp_path / "run"
    shutil.copytree(devon_run_dir, run)
    broken(run, name, text)
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    code, _, err = run_cli(["report", run], capsys)
    assert code == 2 and says in err and "Fix:" in err, err
    assert "Traceback" not in err
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before, "nothing may change"


def test_report_refuses_paths_that_are_not_run_directories(tmp_path, capsys):
    code, _, err = run_cli(["report", tmp_path / "nope"], capsys)
    assert code == 2 and "not found" in err
    (tmp_path / "file.txt").write_text("x")
    code, _, err = run_cli(["report", tmp_path / "file.txt"], capsys)
    assert code == 2 and "not a run directory" in err


def test_report_says_when_the_inputs_changed(small_run, tmp_path, capsys, no_solving):
    run, practices = movable_copy(small_run, tmp_path)
    rows = list(csv.DictReader(practices.open()))
    rows[0]["practice_name"] = "RENAMED SINCE THE RUN"
    write_csv(practices, rows)
    code, _, err = run_cli(["report", run], capsys)
    assert code == 0, err
    assert "practices file of this run" in err and "has changed since the run" in err
    html = (run / "report.html").read_text(encoding="utf-8")
    assert "Caution" in html and "RENAMED SINCE THE RUN" in html


def test_report_refuses_when_a_practice_has_gone(small_run, tmp_path, capsys, no_solving):
    run, practices = movable_copy(small_run, tmp_path)
    rows = list(csv.DictReader(practices.open()))
    write_csv(practices, rows[1:])
    before = (run / "report.html").read_bytes()
    code, _, err = run_cli(["report", run], capsys)
    assert code == 2 and "not in the run's practice data" in err and rows[0]["practice_code"] in err, err
    assert (run / "report.html").read_bytes() == before


# ------------------------------------------------------------------ fedplan compare


def test_compare_scores_what_the_runs_recorded(devon_run_dir, small_run, tmp_path, capsys, no_solving):
    out = tmp_path / "cmp"
    code, stdout, err = run_cli(["compare", devon_run_dir, small_run, "--out", out], capsys)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["comparison.html", "plan_scores.csv"]
    with open(out / "plan_scores.csv", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == PLAN_SCORE_COLUMNS
        rows = list(reader)
    assert [r["run_dir"] for r in rows] == [str(devon_run_dir), str(small_run)]
    for row, run in zip(rows, (devon_run_dir, small_run)):
        s = json.loads((run / "summary.json").read_text())
        assert float(row["objective_gbp"]) == pytest.approx(s["objective_gbp"])
        assert float(row["bound_gbp"]) == pytest.approx(s["bound_gbp"])
        assert float(row["gap"]) == pytest.approx(s["gap"])
        assert int(row["n_federations"]) == s["n_federations"] == len(s["federations"])
        assert int(row["practices_moved"]) == s["practices_moved"]
        assert float(row["saving_gbp"]) == pytest.approx(s["baseline"]["objective_gbp"] - s["objective_gbp"], abs=0.01)
        lo, hi = s["bounds"]["min_population"], s["bounds"]["max_population"]
        share = sum(lo <= f["population"] <= hi for f in s["federations"]) / len(s["federations"])
        assert float(row["in_range_share"]) == pytest.approx(share)
        assert row["status"] == s["status"] and row["verified"] == "true"
    html = (out / "comparison.html").read_text(encoding="utf-8")
    assert sections(html) == ["scores", "differences", "costs", "maps"]
    assert html.count("<svg") == 2
    differences = html[html.index('<section id="differences">'):html.index('<section id="costs">')]
    assert "inputs.practices" in differences and "solve.time_limit_s" in differences
    assert "<script" not in html.lower() and not re.search(r"https?://", html)


def test_compare_without_maps_and_with_the_same_run_twice(devon_run_dir, tmp_path, capsys, no_solving):
    out = tmp_path / "cmp"
    code, _, err = run_cli(["compare", devon_run_dir, devon_run_dir, "--out", out, "--no-maps"], capsys)
    assert code == 0, err
    rows = list(csv.DictReader((out / "plan_scores.csv").open()))
    assert [r["scenario"] for r in rows] == ["run", "run (2)"]
    html = (out / "comparison.html").read_text(encoding="utf-8")
    assert "<svg" not in html and "No recorded scenario setting differs" in html


def test_compare_refuses_without_losing_anything(devon_run_dir, tmp_path, capsys):
    out = tmp_path / "cmp"
    code, _, err = run_cli(["compare", devon_run_dir, tmp_path / "missing", "--out", out], capsys)
    assert code == 2 and "run directory not found" in err
    assert not out.exists() and not list(tmp_path.glob(".cmp*"))
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, _, err = run_cli(["compare", devon_run_dir, "--out", out], capsys)
    assert code == 2 and "--overwrite" in err
    assert (out / "keep.txt").read_text() == "mine"


def test_federations_gpkg_carries_costs_and_shape_measures(devon_run_dir):
    import geopandas as gpd

    g = gpd.read_file(devon_run_dir / "federations.gpkg")
    s = json.loads((devon_run_dir / "summary.json").read_text())
    assert len(g) == s["n_federations"]
    for col in ("polsby_popper", "reock", "convex_hull_ratio"):
        assert ((g[col] > 0) & (g[col] <= 1)).all(), col
    assert (g["reock"] <= g["convex_hull_ratio"] + 1e-9).all()  # a disc contains the hull
    by_id = {f["id"]: f for f in s["federations"]}
    for fid, services in zip(g["federation_id"], g["services_gbp"]):
        assert services == pytest.approx(by_id[fid]["services_gbp"])


def test_a_boundary_file_draws_the_maps_and_is_recorded(tmp_path, capsys):
    """[inputs] boundary: the planner's outline is used for the maps, hashed in the manifest, and
    used again by `fedplan report`."""
    box = {"type": "Polygon", "coordinates": [[[-4.8, 50.1], [-2.8, 50.1], [-2.8, 51.3], [-4.8, 51.3], [-4.8, 50.1]]]}
    (tmp_path / "area.geojson").write_text(json.dumps(
        {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": box}]}))
    data = Path(__file__).parents[1] / "data"
    (tmp_path / "s.toml").write_text(
        f'[area]\nengland = true\n[inputs]\npractices = "{(data / "practices_small.csv").as_posix()}"\n'
        'boundary = "area.geojson"\n[makebuy]\njoint = false\n[risk]\nenabled = false\n', encoding="utf-8")
    out = tmp_path / "run"
    code, _, err = run_cli(["plan", tmp_path / "s.toml", "--out", out, "--time-limit", "20", "--quiet"], capsys)
    assert code == 0, err
    m = json.loads((out / "manifest.json").read_text())
    assert m["inputs"]["boundary"]["sha256"] == sha(tmp_path / "area.geojson")
    first = (out / "report.html").read_text(encoding="utf-8")
    code, _, err = run_cli(["report", out], capsys)
    assert code == 0 and "caution" not in err.lower(), err
    again = (out / "report.html").read_text(encoding="utf-8")
    svg = re.compile(r"<svg.*?</svg>", re.S)
    assert svg.findall(first) == svg.findall(again), "the same outline, the same maps"
