"""National and regional runs: parts planned on a Dask cluster and merged honestly (sum of costs,
sum of bounds, optimal only if every part is), and a part that cannot be planned stops the run
in words with nothing written."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from input_helpers import write_csv

from fedplan.cli import main

DATA = Path(__file__).parents[1] / "data"
PLAIN = "[makebuy]\njoint = false\n[risk]\nenabled = false\n"


def _two_icbs(tmp: Path, small_second: bool = False) -> Path:
    """practices_small.csv with its second half moved to a made-up ICB 'QZZ'."""
    rows = list(csv.DictReader((DATA / "practices_small.csv").open(newline="", encoding="utf-8")))
    cut = len(rows) - 1 if small_second else len(rows) // 2
    for r in rows[cut:]:
        r["icb_code"] = "QZZ"
    write_csv(tmp / "practices.csv", rows)
    sc = tmp / "scenario.toml"
    sc.write_text(f'[area]\nengland = true\n[inputs]\npractices = "{(tmp / "practices.csv").as_posix()}"\n'
                  f"{PLAIN}[solve]\ntime_limit_s = 20\n", encoding="utf-8")
    return sc


@pytest.fixture(scope="module")
def national_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("national")
    out = tmp / "run"
    assert main(["plan", str(_two_icbs(tmp)), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    return tmp, out


def test_parts_are_merged_honestly(national_run):
    tmp, out = national_run
    s = json.loads((out / "summary.json").read_text())
    parts = {p: json.loads((out / "parts" / p / "summary.json").read_text()) for p in ("QJK", "QZZ")}
    assert s["objective_gbp"] == pytest.approx(sum(p["objective_gbp"] for p in parts.values()), abs=0.02)
    assert s["bound_gbp"] == pytest.approx(sum(p["bound_gbp"] for p in parts.values()), abs=0.02)
    assert s["bound_gbp"] <= s["objective_gbp"] + 1e-6
    assert s["status"] == ("optimal" if all(p["status"] == "optimal" for p in parts.values()) else "feasible")
    assert s["n_federations"] == sum(p["n_federations"] for p in parts.values()) == len(s["federations"])
    assert s["baseline"]["objective_gbp"] == pytest.approx(sum(p["baseline"]["objective_gbp"] for p in parts.values()),
                                                           abs=0.02)
    assert s["verified"] is True and "ICB by ICB" in s["message"]
    # every practice once; no federation crosses the part border
    rows = list(csv.DictReader((out / "assignment.csv").open()))
    practices = list(csv.DictReader((tmp / "practices.csv").open()))
    icb = {r["practice_code"]: r["icb_code"] for r in practices}
    assert sorted(r["practice_code"] for r in rows) == sorted(icb)
    by_fed: dict[str, set] = {}
    for r in rows:
        by_fed.setdefault(r["federation_id"], set()).add(icb[r["practice_code"]])
    assert all(len(v) == 1 for v in by_fed.values())
    assert sorted(int(f) for f in by_fed) == list(range(1, s["n_federations"] + 1))
    mob = {r["federation_id"] for r in csv.DictReader((out / "make_or_buy.csv").open())}
    assert mob == set(by_fed)
    nat = s["national"]
    assert [p["part"] for p in nat["parts"]] and nat["distance_to_hub"]["p95_km"] >= nat["distance_to_hub"]["mean_km"]


def test_national_report_has_the_parts_and_can_be_redrawn(national_run, capsys):
    _, out = national_run
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Parts (2, solved separately" in html and "95th percentile" in html
    assert main(["report", str(out)]) == 0
    assert "Parts (2" in (out / "report.html").read_text(encoding="utf-8")
    capsys.readouterr()


def test_a_part_that_cannot_be_planned_stops_the_national_run(tmp_path, capsys):
    sc = _two_icbs(tmp_path, small_second=True)     # QZZ: one practice, under 25,000 patients
    out = tmp_path / "run"
    code = main(["plan", str(sc), "--out", str(out), "--workers", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 3 and "part QZZ: infeasible" in err and "25,000" in err, err
    assert not out.exists() and not list(tmp_path.glob(".run*"))
