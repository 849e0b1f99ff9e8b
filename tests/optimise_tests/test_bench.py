"""`fedplan bench`: the engine reproduces published capacitated p-median optima."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fedplan.cli import main
from fedplan.inputs.cpmp import read_cpmp

DATA = Path(__file__).parents[1] / "data" / "cpmp"


def bench(capsys, *args) -> tuple[int, dict | str]:
    code = main(["bench", *map(str, args)])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if code == 0 else out.err)


def recompute(path: Path, fmt: str, result: dict) -> float:
    inst = read_cpmp(path, fmt)
    d = inst.distances()
    demand = dict(zip(inst.ids, inst.demand))
    load: dict[int, int] = {}
    total = 0.0
    assert sorted(int(k) for k in result["assignment"]) == list(inst.ids)
    for node, median in result["assignment"].items():
        assert median in result["medians"]
        total += d[int(node) - 1, median - 1]
        load[median] = load.get(median, 0) + int(demand[int(node)])
    assert len(result["medians"]) == inst.p
    assert all(v <= inst.capacity[0] for v in load.values())
    return total


@pytest.mark.parametrize("solver", ["cbc", "scip", "cpsat"])
def test_pmedcap_published_optimum_ignoring_the_first_line(tmp_path, capsys, solver):
    text = (DATA / "pmedcap1_01.txt").read_text().splitlines()
    text[0] = " 1 1"  # a wrong "optimal value" in the header must not matter
    f = tmp_path / "pmedcap.txt"
    f.write_text("\n".join(text) + "\n")
    code, res = bench(capsys, f, "--format", "orlib-pmedcap", "--solver", solver, "--time-limit", "60")
    assert code == 0
    assert res["status"] == "optimal"
    assert res["objective"] == pytest.approx(713)
    assert recompute(f, "orlib-pmedcap", res) == pytest.approx(713)
    assert res["bound"] <= res["objective"] + 1e-6


def test_lorena_senne_sjc1_proven(capsys):
    f = DATA / "SJC1.txt"
    code, res = bench(capsys, f, "--format", "lorena-senne", "--time-limit", "120")
    assert code == 0
    assert res["status"] == "optimal"
    assert res["objective"] == pytest.approx(17288.99, abs=0.01)
    assert recompute(f, "lorena-senne", res) == pytest.approx(res["objective"], rel=1e-9)


PUBLISHED = Path(__file__).parents[2] / "benchmarks" / "instances"


@pytest.mark.parametrize("name, fmt, optimum", [
    ("pmedcap1_04.txt", "orlib-pmedcap", 651.0),
    ("pmedcap1_13.txt", "orlib-pmedcap", 1026.0),
    ("SJC3b.txt", "lorena-senne", 40635.90),
])
def test_published_instances_reach_their_published_optimum(capsys, name, fmt, optimum):
    """Real files of both formats from benchmarks/instances (OR-Library pmedcap1, Lorena and
    Senne's SJC3b): proven at the optimum the literature reports, recomputed from the assignment,
    with a bound that, for pmedcap's whole distances, is a whole number."""
    f = PUBLISHED / name
    code, res = bench(capsys, f, "--format", fmt, "--time-limit", "120")
    assert code == 0 and res["status"] == "optimal"
    assert recompute(f, fmt, res) == pytest.approx(optimum, abs=0.005)
    if fmt == "orlib-pmedcap":
        assert res["bound"] == optimum
        assert float((f.read_text().split()[1])) == optimum     # the file's own first line


def test_pmedcap_distances_are_truncated():
    inst = read_cpmp(DATA / "pmedcap1_01.txt", "orlib-pmedcap")
    d = inst.distances()
    assert np.all(d == np.floor(d))


@pytest.mark.parametrize("content, words", [
    ("", "empty"),
    (" 1 713\n 50 5\n", "3 numbers"),
    (" 1 713\n 3 5 120\n1 2 3 4\n2 2 3 4\n3 2 3 4\n", "p = 5"),
    (" 1 713\n 3 1 120\n1 2 3 4\n2 2 x 4\n3 2 3 4\n", "row 4"),
    (" 1 713\n 4 1 120\n1 2 3 4\n2 2 3 4\n", "only 2 data lines"),
])
def test_bad_instance_files(tmp_path, capsys, content, words):
    f = tmp_path / "bad.txt"
    f.write_text(content)
    code, err = bench(capsys, f, "--format", "orlib-pmedcap")
    assert code == 2
    assert words in err and "bad.txt" in err and "Traceback" not in err
