"""`fedplan bench` on capacitated p-median instances it has never seen; prints a table.

    python benchmarks/cpmp_unseen.py [--time-limit 60]
        [--families pmedcap50,pmedcap100,sjc200,sjc300,sjc402,sjc300b,sjc402b]
                                     [--check-scip 0] [--files DIR]

By default this script *generates* instances with the published recipes and sizes (many per size,
and sizes whose real files are not shipped: SJC4a/4b's 402 points, p3038), writes them in the two
file formats, and runs the bench command on each file exactly as a user would (the file is read
back; the first-line optimum of the pmedcap format is a wrong value on purpose). ``--files DIR``
runs every ``*.txt`` in DIR instead (pmedcap if its first line has two numbers and its second
three; lorena-senne otherwise) — for the real held-out files:
``--files benchmarks/instances`` runs the published pmedcap1 and SJC files shipped there
(``benchmarks/instances/README.md``) and compares each objective with its published optimum (a
pmedcap file's first line; ``PUBLISHED`` for the SJC files).

Recipes (Osman & Christofides 1994; Lorena & Senne 2004):

* ``pmedcap50``: n = 50, p = 5, Q = 120; integer coordinates uniform on 1..100, demand 1..20.
* ``pmedcap100``: n = 100, p = 10, Q = 120; same distributions (as OR-Library's pmedcap1 11-20;
  before 2026-12-06 this family used Q = 200, a looser capacity than the real files).
* ``sjcN``: n = 200 / 300 / 402, p = 15 / 25 / 30, Q = 840 / 740 / 840 (the SJC2, 3a, 4a sizes);
  points and demands resampled (with jitter) from the shipped SJC1 city, demands scaled so that
  total demand / (p Q) matches SJC1's 0.81 (tighter than the real SJC2, SJC3a and SJC3b: 0.74,
  0.61 and 0.51; so these files are harder than the published ones of their size).
* ``sjc300b`` / ``sjc402b``: the SJC3b and SJC4b sizes. Those files hold the points and demands of
  SJC3a / SJC4a with more medians (p = 30 and 40), so the demands here are scaled as for
  ``sjc300`` / ``sjc402`` (p = 25 / 30) and the file asks for p = 30 / 40: 67 % and 61 % fill.
* ``uniform318`` (not in the default families): n = 318 and p = 5 / 15 / 40 (the size of the
  ``lin318`` files of Stefanello, de Araújo and Müller 2015, whose coordinates are not shipped
  here), points uniform on a 4,000 square, demand 1..100, capacity for 90 % fill
  (``uniform_text``). Few medians make large federations: a different pricing regime from SJC.
* ``p3038`` (not in the default families: minutes per instance, never proven): n = 3,038 and
  p = 600 / 1,000 / 800 (the sizes of the Lorena-Senne p3038 family) on a synthetic drilling-board
  grid, demand 1..100, capacity for 90 % fill (``p3038_text``). It checks that the largest files
  of the format end within the limit with a plan and a bound.

Every objective is recomputed from the printed assignment, loads are checked against Q, and with
``--check-scip S`` the compact model is also run with SCIP for S seconds as an independent check:
a proven SCIP optimum must equal ours.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from fedplan.cli import main as cli_main
from fedplan.inputs.cpmp import read_cpmp
from fedplan.optimise.cpmp import cpmp_problem, solve_cpmp

SJC1 = Path(__file__).resolve().parents[1] / "tests" / "data" / "cpmp" / "SJC1.txt"
# optima reported for the Lorena-Senne files in the literature (benchmarks/instances/README.md)
PUBLISHED = {"SJC1": 17288.99, "SJC2": 33270.94, "SJC3a": 45335.16, "SJC3b": 40635.90}
# n, p, Q and the p whose capacity the total demand fills to SJC1's 0.81 (the "b" files add medians)
SJC_SIZES = {"sjc200": (200, 15, 840, 15), "sjc300": (300, 25, 740, 25), "sjc402": (402, 30, 840, 30),
             "sjc300b": (300, 30, 740, 25), "sjc402b": (402, 40, 840, 30)}


def pmedcap_text(rng: np.random.Generator, number: int, n: int, p: int, Q: int) -> str:
    xy = rng.integers(1, 101, size=(n, 2))
    demand = rng.integers(1, 21, size=n)
    lines = [f" {number} 999999", f" {n} {p} {Q}"]
    lines += [f" {i + 1} {x} {y} {d}" for i, ((x, y), d) in enumerate(zip(xy, demand))]
    return "\n".join(lines) + "\n"


def sjc_text(rng: np.random.Generator, n: int, p: int, Q: int, p_fill: int) -> str:
    base = np.loadtxt(SJC1, skiprows=1)
    pick = rng.integers(0, len(base), size=n)
    xy = base[pick, :2] + rng.normal(0.0, 60.0, size=(n, 2))
    demand = base[pick, 3].astype(float)
    fill = base[:, 3].sum() / (10 * 720)
    demand = np.maximum(1, np.round(demand * fill * p_fill * Q / demand.sum())).astype(int)
    demand = np.minimum(demand, Q)
    lines = [f"{n} {p}"] + [f"{x:.2f} {y:.2f} {Q} {d}" for (x, y), d in zip(xy, demand)]
    return "\n".join(lines) + "\n"


def filled_text(rng: np.random.Generator, xy: np.ndarray, p: int, decimals: int) -> str:
    """A lorena-senne file over the points ``xy``: demand 1..100, one capacity for all, so that
    the demand fills 90 % of p medians."""
    demand = rng.integers(1, 101, len(xy))
    Q = int(np.ceil(demand.sum() / (0.9 * p)))
    return f"{len(xy)} {p}\n" + "".join(f"{x:.{decimals}f} {y:.{decimals}f} {Q} {d}\n"
                                         for (x, y), d in zip(xy, demand))


def uniform_text(rng: np.random.Generator, n: int, p: int) -> str:
    return filled_text(rng, rng.uniform(0.0, 4000.0, size=(n, 2)), p, 1)


def p3038_text(rng: np.random.Generator, p: int) -> str:
    """3,038 points on a drilling-board-like grid (rows of holes 100 apart with small offsets),
    demand 1..100, capacity so that demand fills 90 % of p medians. The size of the Lorena-Senne
    p3038 family; the real files use the pcb3038 board's coordinates, not shipped here."""
    n = 3038
    xy = np.c_[rng.integers(0, 60, n) * 100 + rng.integers(0, 3, n) * 10,
               rng.integers(0, 40, n) * 100].astype(float) + rng.normal(0.0, 5.0, (n, 2))
    return filled_text(rng, xy, p, 2)


def generated(families: list[str], seed: int, count: int, folder: Path) -> list[tuple[str, Path, str]]:
    rng = np.random.default_rng(seed)
    out = []
    for fam in families:
        for j in range(count):
            if fam in ("pmedcap50", "pmedcap100"):
                n, p, Q = (50, 5, 120) if fam == "pmedcap50" else (100, 10, 120)
                text, fmt = pmedcap_text(rng, j + 1, n, p, Q), "orlib-pmedcap"
            elif fam == "uniform318":
                text, fmt = uniform_text(rng, 318, (5, 15, 40)[j % 3]), "lorena-senne"
            elif fam == "p3038":
                text, fmt = p3038_text(rng, (600, 1000, 800)[j % 3]), "lorena-senne"
            else:
                text, fmt = sjc_text(rng, *SJC_SIZES[fam]), "lorena-senne"
            f = folder / f"{fam}_{j + 1:02d}.txt"
            f.write_text(text)
            out.append((f.stem, f, fmt))
    return out


def file_format(f: Path) -> tuple[str, Path, str]:
    """(name, path, format): pmedcap if the first line has two numbers and the second three."""
    head = f.read_text().splitlines()[:2]
    fmt = "orlib-pmedcap" if len(head) == 2 and len(head[0].split()) == 2 and len(head[1].split()) == 3 \
        else "lorena-senne"
    return f.stem, f, fmt


def from_folder(folder: Path) -> list[tuple[str, Path, str]]:
    return [file_format(f) for f in sorted(folder.glob("*.txt"))]


def published(name: str, path: Path, fmt: str) -> float | None:
    """The optimum published for this file: a pmedcap file's first line (the generated files
    write 999999 there, no optimum), ``PUBLISHED`` for the SJC files."""
    if fmt == "orlib-pmedcap":
        value = float(path.read_text().split("\n", 1)[0].split()[1])
        return None if value == 999999 else value
    return PUBLISHED.get(name)


def recompute(path: Path, fmt: str, res: dict) -> float:
    inst = read_cpmp(path, fmt)
    d = inst.distances()
    load: dict[int, float] = {}
    total = 0.0
    for node, median in res["assignment"].items():
        total += d[int(node) - 1, median - 1]
        load[median] = load.get(median, 0) + float(inst.demand[int(node) - 1])
    assert len(res["medians"]) == inst.p and len(res["assignment"]) == len(inst.ids)
    assert max(load.values()) <= inst.capacity[0] + 1e-9, "capacity exceeded"
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=60)
    ap.add_argument("--families", default="pmedcap50,pmedcap100,sjc200,sjc300,sjc402,sjc300b,sjc402b")
    ap.add_argument("--count", type=int, default=3, help="instances per family")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--check-scip", type=float, default=0.0, help="seconds for an independent compact SCIP run")
    ap.add_argument("--files", help="run the *.txt files of this folder instead of generated ones")
    args = ap.parse_args()
    print(f"# fedplan bench on unseen instances, time limit {args.time_limit:g}s, {platform.node()} "
          f"({os.cpu_count()} cores), {time.strftime('%Y-%m-%d %H:%M')}, 1 thread")
    print("| instance | n | p | status | objective (recomputed) | bound | gap | wall s | published | SCIP compact |")
    print("|---|---:|---:|---|---:|---:|---:|---:|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        runs = from_folder(Path(args.files)) if args.files else \
            generated(args.families.split(","), args.seed, args.count, Path(tmp))
        for name, f, fmt in runs:
            inst = read_cpmp(f, fmt)
            buf = io.StringIO()
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(buf):
                code = cli_main(["bench", str(f), "--format", fmt, "--time-limit", str(args.time_limit)])
            wall = time.perf_counter() - t0
            if code != 0:
                print(f"| {name} | {len(inst.ids)} | {inst.p} | exit {code} | | | | {wall:.1f} | | |", flush=True)
                continue
            res = json.loads(buf.getvalue())
            obj = recompute(f, fmt, res)
            assert abs(obj - res["objective"]) <= 1e-6 * max(1.0, obj), "printed objective differs"
            check = ""
            if args.check_scip > 0:
                prob = cpmp_problem(inst.ids, inst.demand, inst.capacity, inst.distances(), inst.p)
                ref = solve_cpmp(prob, "scip", method="compact", time_limit_s=args.check_scip)
                check = f"{ref.status} {ref.objective:.2f}"
                if str(ref.status) == "optimal" and res["status"] == "optimal":
                    assert abs(ref.objective - obj) <= 1e-6 * max(1.0, obj), "SCIP disagrees"
                    check += " (agrees)"
            gap = "–" if res["gap"] is None else f"{res['gap']:.3%}"
            known = published(name, f, fmt)
            # the SJC optima are published to the cent
            same = known is not None and abs(obj - known) <= (0.0 if fmt == "orlib-pmedcap" else 0.005) + 1e-9
            pub = "" if known is None else f"{known:,.2f}" + (" (the same)" if same else
                                                             " (DIFFERS)" if res["status"] == "optimal" else "")
            print(f"| {name} | {len(inst.ids)} | {inst.p} | {res['status']} | {obj:,.2f} | {res['bound']:,.2f} | "
                  f"{gap} | {wall:.1f} | {pub} | {check} |", flush=True)


if __name__ == "__main__":
    main()
