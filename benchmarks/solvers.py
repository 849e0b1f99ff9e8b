"""Each solver adapter on Devon (default rules) and on the CPMP sample instances; prints a table.

    python benchmarks/solvers.py [--time-limit 60] [--solvers cbc,scip,highs,cpsat]
"""
from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import fedplan
from fedplan.inputs.cpmp import read_cpmp
from fedplan.inputs.model import Scenario, SolveSpec
from fedplan.optimise.cpmp import bench_json, cpmp_problem, solve_cpmp

INSTANCES = Path(__file__).resolve().parents[1] / "tests" / "data" / "cpmp"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=60)
    ap.add_argument("--solvers", default="cbc,scip,highs,cpsat")
    ap.add_argument("--methods", default="branch_price,compact")
    args = ap.parse_args()
    methods = args.methods.split(",")
    solvers = args.solvers.split(",")
    print(f"# solvers benchmark, time limit {args.time_limit:g}s, {platform.node()} ({os.cpu_count()} cores), "
          f"{time.strftime('%Y-%m-%d %H:%M')}, 1 thread")
    print("| instance | method | solver | status | objective | bound | gap | wall s |")
    print("|---|---|---|---|---:|---:|---:|---:|")
    runs = [(m, s) for m in methods for s in solvers]
    for m, s in runs:
        t0 = time.perf_counter()
        res = fedplan.plan(Scenario(solve=SolveSpec(solver=s, time_limit_s=args.time_limit, method=m)))
        print(f"| Devon (116 practices) | {m} | {s} | {res.status} | {res.objective:,.0f} | {res.bound:,.0f} | "
              f"{res.gap:.3%} | {time.perf_counter() - t0:.1f} |", flush=True)
    for name, fmt, published in (("pmedcap1_01.txt", "orlib-pmedcap", 713), ("SJC1.txt", "lorena-senne", 17288.99)):
        inst = read_cpmp(INSTANCES / name, fmt)
        prob = cpmp_problem(inst.ids, inst.demand, inst.capacity, inst.distances(), inst.p)
        for m, s in runs:
            t0 = time.perf_counter()
            out = bench_json(prob, solve_cpmp(prob, s, time_limit_s=args.time_limit, method=m))
            gap = "–" if out["gap"] is None else f"{out['gap']:.3%}"
            print(f"| {name} (published {published}) | {m} | {s} | {out['status']} | {out['objective']} | "
                  f"{out['bound']:.2f} | {gap} | {time.perf_counter() - t0:.1f} |", flush=True)


if __name__ == "__main__":
    main()
