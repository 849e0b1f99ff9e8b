"""Plan every ICB with the default rules through the real CLI and print a table.

    python benchmarks/all_icbs.py --time-limit 60 [--solver cbc] [--icb QJK ...] [--keep DIR]

Each ICB runs as `fedplan plan --icb CODE` in a subprocess (so a crash in one cannot hide in
another); the table shows the exit code, status, cost, bound, gap, federations and wall time.
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


def icb_codes() -> list[tuple[str, str, int, int]]:
    out = subprocess.run([sys.executable, "-m", "fedplan", "data", "--level", "icb", "--json"],
                         check=True, capture_output=True, text=True).stdout
    return [(r["code"], r["name"], r["n_practices"], r["population"]) for r in json.loads(out)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=60)
    ap.add_argument("--solver", default="cbc")
    ap.add_argument("--method", default="branch_price", choices=["branch_price", "compact"])
    ap.add_argument("--icb", nargs="*")
    ap.add_argument("--keep", help="keep run directories under this folder")
    args = ap.parse_args()
    rows = icb_codes()
    if args.icb:
        rows = [r for r in rows if r[0] in set(args.icb)]
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="fedplan_icbs_"))
    base.mkdir(parents=True, exist_ok=True)
    print(f"# fedplan all-ICB run: method {args.method}, solver {args.solver}, time limit {args.time_limit:g}s, "
          f"{platform.node()} ({os.cpu_count()} cores), {time.strftime('%Y-%m-%d %H:%M')}")
    print("| ICB | practices | patients | exit | status | plan £/yr | bound £/yr | gap | federations | PCNs £/yr | wall s |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for code, name, n, pop in rows:
        out = base / code
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "fedplan", "plan", "--icb", code, "--out", str(out),
                               "--solver", args.solver, "--method", args.method, "--time-limit", str(args.time_limit), "--quiet",
                               "--overwrite"], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode == 0:
            s = json.loads((out / "summary.json").read_text())
            print(f"| {code} | {n} | {pop:,} | 0 | {s['status']} | {s['objective_gbp']:,.0f} | "
                  f"{s['bound_gbp']:,.0f} | {s['gap']:.2%} | {s['n_federations']} | "
                  f"{s['baseline']['objective_gbp']:,.0f} | {wall:.0f} |", flush=True)
        else:
            why = " ".join(proc.stderr.strip().splitlines()[-2:])[:160].replace("|", "/")
            print(f"| {code} | {n} | {pop:,} | {proc.returncode} | {why} | | | | | | {wall:.0f} |", flush=True)


if __name__ == "__main__":
    main()
