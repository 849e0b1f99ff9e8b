"""Make-or-buy benchmarks (issue 4): one federation's answer, the size-cost table, and the Devon
joint plan by both exact methods. Prints a Markdown table.

    python benchmarks/makebuy.py [--time-limit 120] [--solver cbc]
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=120)
    ap.add_argument("--solver", default="cbc")
    ap.add_argument("--methods", default="branch_price,compact")
    args = ap.parse_args()

    from fedplan import inputs
    from fedplan import api
    from fedplan.inputs.model import Scenario, SolveSpec
    from fedplan.optimise.makebuy import make_or_buy
    from fedplan.optimise.sizecost import federation_size_cost

    cat = inputs.read_catalogue()
    rng = np.random.default_rng(0)
    sizes = rng.integers(20_000, 120_001, 2000)
    times = []
    for n in sizes:
        t = time.perf_counter()
        make_or_buy(cat, int(n))
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    g = federation_size_cost(cat, 25_000, 100_000, risk=Scenario().risk, mean_list=9_000.0)
    table_s = time.perf_counter() - t

    print(f"# fedplan make-or-buy benchmark, {platform.node()} ({os.cpu_count()} cores), "
          f"{datetime.datetime.now():%Y-%m-%d %H:%M}")
    print()
    print("| measure | value |")
    print("|---|---:|")
    print(f"| make_or_buy, one federation, median of {len(times)} (ms) | {1000 * statistics.median(times):.3f} |")
    print(f"| make_or_buy, one federation, 95th percentile (ms) | {1000 * np.percentile(times, 95):.3f} |")
    print(f"| size cost g(N) tabulated for 25,000-100,000 + segmented (s) | {table_s:.3f} |")
    print(f"| affine segments of g / worst under-estimate (£) | {len(g.segments)} / {g.max_error():.3f} |")
    print()
    print(f"Devon (QJK), joint make-or-buy + risk, solver {args.solver}, time limit {args.time_limit:g}s:")
    print()
    print("| method | status | plan £/yr | bound £/yr | gap | federations | wall s | PCNs £/yr |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for method in args.methods.split(","):
        sc = Scenario().replace(solve=SolveSpec(solver=args.solver, time_limit_s=args.time_limit, method=method))
        t = time.perf_counter()
        run = api.run(sc)
        wall = time.perf_counter() - t
        r = run.result
        assert run.verification.ok, run.verification.problems
        gap = "" if r.gap is None else f"{100 * r.gap:.2f}%"
        print(f"| {method} | {r.status} | {r.objective:,.0f} | {r.bound:,.0f} | {gap} | {r.n_federations} | "
              f"{wall:.0f} | {run.baseline.cost_gbp:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
