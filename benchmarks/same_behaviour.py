"""Does a change of layout leave the engine's behaviour exactly as it was? Prints a table and writes JSON.

    python benchmarks/same_behaviour.py --out before.json [--parts devon,cpmp,published]
    python benchmarks/same_behaviour.py --out after.json
    python benchmarks/same_behaviour.py --compare before.json after.json

Every run is work-limited (``optimise/clock.py``): it stops after a fixed amount of counted work,
never on the clock, so the same code gives the same plan, bound, node count and status on any
machine and under any load, and a refactor that changes nothing must reproduce every figure.
(A time-limited run depends on the machine's speed that minute; it cannot tell a changed engine
from a slow one.)

- ``devon``: the default job (Devon ICB, default rules) with ``work_limit = 120``;
- ``cpmp``: the default generated CPMP set of ``cpmp_unseen.py`` (7 families x 3, seed 2026),
  ``work_limit = 30`` each;
- ``published``: the held-out published files of ``benchmarks/instances`` (OR-Library pmedcap1,
  Lorena & Senne SJC2/3a/3b), ``work_limit = 60`` each.

Each row records status, objective, bound, the node count of the branch-and-price tree, the
columns generated, the work units and a hash of the plan.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _stats(res) -> dict:
    """Nodes and columns of a Result: its structured run statistics when it has them, else the
    counts its message states (the engine before run statistics became a record)."""
    stats = getattr(res, "stats", None)
    if stats is not None:
        return {"nodes": stats.nodes, "columns": stats.columns}
    m = re.search(r"branch and price: (\d+) nodes", res.message or "")
    c = re.search(r"column generation \(\d+ rounds, (\d+) columns\)", res.message or "")
    return {"nodes": int(m.group(1)) if m else 0, "columns": int(c.group(1)) if c else None}


def _row(name: str, res, seconds: float) -> dict:
    plan = hashlib.sha256(repr((list(map(int, res.assignment)), list(map(int, res.hubs)))).encode()).hexdigest()[:12]
    return {"name": name, "status": str(res.status), "objective": res.objective, "bound": res.bound,
            "work_units": None if res.work_units is None else round(res.work_units, 6), "plan": plan,
            "seconds": round(seconds, 1), **_stats(res)}


def devon(work: float) -> list[dict]:
    from fedplan import api
    try:
        from fedplan.inputs.model import Scenario
    except ImportError:                          # the layout before one namespace (issue 34)
        from inputs.model import Scenario

    sc = Scenario()
    sc = replace(sc, solve=replace(sc.solve, work_limit=work, time_limit_s=3600))
    t = time.perf_counter()
    run = api.run(sc)
    return [_row("devon_default", run.result, time.perf_counter() - t)]


def _cpmp_rows(files, work: float) -> list[dict]:
    try:
        from fedplan.inputs.cpmp import read_cpmp
        from fedplan.optimise.cpmp import cpmp_problem, solve_cpmp
    except ImportError:                          # the layout before one namespace (issue 34)
        from inputs.cpmp import read_cpmp
        from optimise.cpmp import cpmp_problem, solve_cpmp

    rows = []
    for name, path, fmt in files:
        inst = read_cpmp(path, fmt)
        problem = cpmp_problem(inst.ids, inst.demand, inst.capacity, inst.distances(), inst.p)
        t = time.perf_counter()
        res = solve_cpmp(problem, "cbc", time_limit_s=3600, work_limit=work)
        rows.append(_row(name, res, time.perf_counter() - t))
        print(f"  {name}: {rows[-1]['status']} {rows[-1]['objective']} ({rows[-1]['seconds']} s)", flush=True)
    return rows


def cpmp(work: float) -> list[dict]:
    from cpmp_unseen import generated

    with tempfile.TemporaryDirectory() as tmp:
        files = generated("pmedcap50,pmedcap100,sjc200,sjc300,sjc402,sjc300b,sjc402b".split(","), 2026, 3,
                          Path(tmp))
        return _cpmp_rows(files, work)


def published(work: float) -> list[dict]:
    from cpmp_unseen import from_folder

    return _cpmp_rows(from_folder(HERE / "instances"), work)


PARTS = {"devon": (devon, 120.0), "cpmp": (cpmp, 30.0), "published": (published, 60.0)}


def compare(a: Path, b: Path) -> int:
    before = {r["name"]: r for r in json.loads(a.read_text())["rows"]}
    after = {r["name"]: r for r in json.loads(b.read_text())["rows"]}
    keys = ("status", "objective", "bound", "nodes", "columns", "work_units", "plan")
    differ = 0
    print(f"{'instance':18s} {'same':5s} what differs")
    for name in sorted(set(before) | set(after)):
        x, y = before.get(name), after.get(name)
        if x is None or y is None:
            print(f"{name:18s} {'no':5s} only in {'after' if x is None else 'before'}")
            differ += 1
            continue
        diff = [f"{k}: {x.get(k)} -> {y.get(k)}" for k in keys if x.get(k) != y.get(k)]
        differ += bool(diff)
        print(f"{name:18s} {'yes' if not diff else 'NO':5s} {'; '.join(diff)}")
    print(f"{len(set(before) | set(after)) - differ} of {len(set(before) | set(after))} the same")
    return 1 if differ else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path)
    ap.add_argument("--parts", default="devon,cpmp,published")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args()
    if args.compare:
        return compare(*args.compare)
    rows = []
    for part in args.parts.split(","):
        fn, work = PARTS[part]
        print(f"{part} (work limit {work:g} each)", flush=True)
        rows += fn(work)
    print(f"\n{'instance':18s} {'status':9s} {'objective':>16s} {'bound':>16s} {'nodes':>6s} {'work':>8s} plan")
    for r in rows:
        print(f"{r['name']:18s} {r['status']:9s} {r['objective'] or 0:16,.2f} {r['bound'] or 0:16,.2f} "
              f"{r['nodes']:6d} {r['work_units'] or 0:8.2f} {r['plan']}")
    if args.out:
        import platform

        args.out.write_text(json.dumps({"machine": platform.platform(), "python": sys.version.split()[0],
                                        "date": time.strftime("%Y-%m-%d %H:%M"), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
