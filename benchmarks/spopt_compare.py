"""fedplan bench against spopt's capacitated ``PMedian``, side by side in one run; prints a table.

    python benchmarks/spopt_compare.py [--time-limit 60] [--spopt-python PATH | --make-venv DIR]
                                       [--generated pmedcap100,sjc200] [--count 1]
                                       [--files FILE ...]

spopt (the open Python peer: https://pysal.org/spopt) is not a dependency of fedplan and pins its
own stack, so it runs in a separate virtual environment: ``--spopt-python`` is that environment's
interpreter; ``--make-venv DIR`` creates it (``python -m venv DIR`` and ``pip install spopt``) if
it does not exist yet. Each tool runs in its own subprocess on the same file, one thread, the same
time limit; "wall" is the whole process (start-up and imports included, as a user would wait),
"solve" what each reports for reading/building/solving.

spopt's ``PMedian`` minimises :math:`\\sum_{ij} w_i d_{ij} z_{ij}` (demand-weighted) with
single-sourcing binaries and capacity rows :math:`\\sum_i w_i z_{ij} \\le Q_j y_j`; the CPMP
objective is unweighted, so it is given :math:`d_{ij} / w_i` as its cost matrix (same optimum,
same feasible set). Its CBC run is judged by pulp's ``sol_status`` (pulp reports "Optimal" at a
time limit): proven only when the solution status is optimal *and* CBC stopped before the limit.
Both objectives are recomputed here from the returned assignment.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpmp_unseen import file_format, generated  # noqa: E402  (the same instance generator)

from fedplan.inputs.cpmp import read_cpmp  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = [(ROOT / "tests" / "data" / "cpmp" / "pmedcap1_01.txt", "orlib-pmedcap"),
           (ROOT / "tests" / "data" / "cpmp" / "SJC1.txt", "lorena-senne")]

# Runs inside the spopt environment: reads the .npz written below, prints one JSON line.
DRIVER = r'''
import json, sys, time
t0 = time.perf_counter()
import numpy as np, pulp
from spopt.locate import PMedian
data = np.load(sys.argv[1]); limit = float(sys.argv[2])
d, w, cap, p = data["d"], data["w"].astype(float), data["cap"].astype(float), int(data["p"])
t1 = time.perf_counter()
model = PMedian.from_cost_matrix(d / w[:, None], w, p_facilities=p, facility_capacities=cap)
t2 = time.perf_counter()
solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=limit, threads=1)
try:
    model.solve(solver)
    error = ""
except Exception as exc:  # spopt raises when pulp reports no solution
    error = f"{type(exc).__name__}: {exc}"
t3 = time.perf_counter()
prob = model.problem
assign = {}
if not error:
    z = model.cli_assgn_vars
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            if (z[i, j].value() or 0) > 0.5:
                assign[i] = j
print(json.dumps({"status": pulp.LpStatus[prob.status], "sol_status": prob.sol_status,
                  "error": error, "assignment": assign, "import_s": t1 - t0,
                  "build_s": t2 - t1, "solve_s": t3 - t2}))
'''


def spopt_python(args) -> Path:
    if args.spopt_python:
        return Path(args.spopt_python)
    venv = Path(args.make_venv)
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "spopt"], check=True)
    return py


def recompute(inst, assignment: dict[int, int]) -> tuple[float, bool]:
    """Objective of a 0-based node -> median assignment, and whether it is a CPMP plan."""
    d = inst.distances()
    n = len(inst.ids)
    if len(assignment) != n:
        return float("nan"), False
    medians = set(assignment.values())
    load = np.zeros(n)
    for i, j in assignment.items():
        load[j] += inst.demand[i]
    ok = len(medians) == inst.p and all(assignment[j] == j for j in medians) \
        and bool(np.all(load <= inst.capacity + 1e-9))
    return float(sum(d[i, j] for i, j in assignment.items())), ok


def run_fedplan(path: Path, fmt: str, limit: float) -> dict:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "fedplan.cli", "bench", str(path), "--format", fmt,
                          "--time-limit", str(limit)], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        return {"status": f"exit {out.returncode}", "wall": wall}
    res = json.loads(out.stdout)
    inst = read_cpmp(path, fmt)
    index = {node_id: k for k, node_id in enumerate(inst.ids)}
    assign = {index[int(a)]: index[int(b)] for a, b in res["assignment"].items()}
    obj, ok = recompute(inst, assign)
    return {"status": res["status"], "objective": obj, "valid": ok, "wall": wall,
            "solve": res["runtime_s"], "gap": res["gap"]}


def run_spopt(py: Path, path: Path, fmt: str, limit: float, tmp: Path) -> dict:
    inst = read_cpmp(path, fmt)
    npz = tmp / (path.stem + ".npz")
    np.savez(npz, d=inst.distances(), w=inst.demand, cap=inst.capacity, p=inst.p)
    drv = tmp / "spopt_driver.py"
    drv.write_text(DRIVER)
    t0 = time.perf_counter()
    out = subprocess.run([str(py), str(drv), str(npz), str(limit)], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        return {"status": f"exit {out.returncode}: {out.stderr.strip().splitlines()[-1:]}", "wall": wall}
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assign = {int(i): int(j) for i, j in res["assignment"].items()}
    obj, ok = recompute(inst, assign) if assign else (float("nan"), False)
    # pulp's sol_status 1 is "optimal solution found"; at a time limit CBC's best is reported with
    # the same code, so a run that used the whole limit is not counted as proven.
    proven = res["sol_status"] == 1 and res["build_s"] + res["solve_s"] < limit
    status = "optimal" if proven else ("feasible" if ok else (res["error"] or res["status"]))
    return {"status": status, "objective": obj, "valid": ok, "wall": wall,
            "solve": res["build_s"] + res["solve_s"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=60)
    who = ap.add_mutually_exclusive_group(required=True)
    who.add_argument("--spopt-python", help="interpreter of an environment with spopt installed")
    who.add_argument("--make-venv", help="create (if missing) a venv with spopt here and use it")
    ap.add_argument("--generated", default="pmedcap100,sjc200",
                    help="families of cpmp_unseen.py to add to the two samples ('' for none)")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--files", nargs="+", help="these CPMP files instead of the samples and generated ones "
                    "(e.g. benchmarks/instances/SJC2.txt); the format is told by the first lines")
    args = ap.parse_args()
    py = spopt_python(args)
    version = subprocess.run([str(py), "-c", "import spopt, pulp; print(spopt.__version__, pulp.__version__)"],
                             capture_output=True, text=True, check=True).stdout.split()
    print(f"# fedplan bench vs spopt {version[0]} PMedian (pulp {version[1]}, CBC), time limit "
          f"{args.time_limit:g}s, {platform.node()} ({os.cpu_count()} cores), "
          f"{time.strftime('%Y-%m-%d %H:%M')}, 1 thread each, run one after the other")
    print("| instance | n | p | fedplan status | fedplan objective | fedplan wall s | spopt status | "
          "spopt objective | spopt wall s | wall ratio fedplan/spopt |")
    print("|---|---:|---:|---|---:|---:|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmpname:
        tmp = Path(tmpname)
        if args.files:
            runs = [(f, fmt) for _, f, fmt in (file_format(Path(f)) for f in args.files)]
        else:
            runs = list(SAMPLES)
            if args.generated:
                runs += [(f, fmt) for _, f, fmt in generated(args.generated.split(","), args.seed, args.count, tmp)]
        for path, fmt in runs:
            inst = read_cpmp(path, fmt)
            fp = run_fedplan(path, fmt, args.time_limit)
            sp = run_spopt(py, path, fmt, args.time_limit, tmp)
            ratio = fp["wall"] / sp["wall"]
            for r in (fp, sp):  # a plan that breaks the CPMP rules is flagged, not silently compared
                if "objective" in r and not r["valid"]:
                    r["status"] += " (INVALID plan)"
            # spopt stopped by the limit: its true time is longer, so the ratio is an upper bound
            ratio_text = f"≤ {ratio:.2f}" if sp["status"] != "optimal" else f"{ratio:.2f}"
            print(f"| {path.stem} | {len(inst.ids)} | {inst.p} | {fp['status']} | {fp.get('objective', float('nan')):,.2f} | "
                  f"{fp['wall']:.1f} | {sp['status']} | {sp.get('objective', float('nan')):,.2f} | "
                  f"{sp['wall']:.1f} | {ratio_text} |", flush=True)


if __name__ == "__main__":
    main()
