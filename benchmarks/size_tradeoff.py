"""The size trade-off under the default model: Devon's default job, its variants, and where the
terms put federation size. Prints a markdown table (paste into RESULTS.md with machine and date).

    python benchmarks/size_tradeoff.py [--time-limit 240] [--rows default,teams,ceiling250,share50]
    python benchmarks/size_tradeoff.py --icb QOP --time-limit 300 --rows default   # Greater Manchester

Each row runs `fedplan plan` in a subprocess with a scenario written here and reads summary.json:
status, wall time of the solve, gap, the federations' sizes, the cost per patient by term, the
minimum viable population and the price of the ceiling.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS = {
    "default": "",
    "teams": "[makebuy]\nstaffing = \"teams\"\n",
    "no_engagement": "[engagement]\nenabled = false\n",
    "ceiling250": "[bounds]\nmax_population = 250000\n",
    "ceiling250_teams": "[bounds]\nmax_population = 250000\n[makebuy]\nstaffing = \"teams\"\n",
    "share50": "[risk]\nrisk_share = 0.5\n",
    "km": "[costs]\naccess = \"km\"\n",
    "ceiling250_km": "[bounds]\nmax_population = 250000\n[costs]\naccess = \"km\"\n",
    "pooled": "[engagement]\npooled_incentive = true\n",
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=240)
    ap.add_argument("--icb", default="QJK")
    ap.add_argument("--rows", default="default,teams,no_engagement,ceiling250,share50")
    ap.add_argument("--no-rule-prices", action="store_true", help="skip the re-solves that price binding rules")
    ap.add_argument("--keep", help="keep run directories under this folder")
    args = ap.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="fedplan_size_"))
    base.mkdir(parents=True, exist_ok=True)
    print(f"# fedplan size trade-off, ICB {args.icb}, time limit {args.time_limit:g}s, {platform.node()} "
          f"({os.cpu_count()} cores), {time.strftime('%Y-%m-%d %H:%M')}")
    print()
    print("| row | exit | status | solve s | gap | federations | sizes (min / median / max) | services £/pt | "
          "risk £/pt | engagement £/pt | access £/pt | total £/pt | vs PCNs | min viable pop | ceiling price |")
    print("|---|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for name in args.rows.split(","):
        extra = ROWS[name]
        if args.no_rule_prices:
            extra += "[solve]\nprice_rules = false\n" if "[solve]" not in extra else ""
        toml = f"[area]\nicb = \"{args.icb}\"\n" + extra
        folder = base / name
        folder.mkdir(exist_ok=True)
        (folder / "scenario.toml").write_text(toml)
        t = time.perf_counter()
        rc = subprocess.run([sys.executable, "-m", "fedplan", "plan", str(folder / "scenario.toml"), "--out",
                             str(folder / "run"), "--overwrite", "--quiet", "--time-limit", str(args.time_limit)],
                            capture_output=True, text=True).returncode
        wall = time.perf_counter() - t
        try:
            s = json.loads((folder / "run" / "summary.json").read_text())
        except OSError:
            print(f"| {name} | {rc} | no run directory | {wall:.0f} | | | | | | | | | | | |")
            continue
        pop = s["population"]
        sizes = sorted(f["population"] for f in s["federations"])
        cb, base_total = s["cost_breakdown"], s["baseline"]["objective_gbp"]
        per = {k: cb.get(k, 0.0) / pop for k in ("services", "risk", "engagement", "access")}
        price = s.get("rule_prices", {}).get("max_population")
        price_text = "–" if not price else f"£{price['gbp']:,.0f} ({price['status']})"
        gap = s.get("gap")
        print(f"| {name} | {rc} | {s['status']} | {s['timings_s'].get('solve_s', 0):.1f} | "
              f"{'–' if gap is None else f'{gap:.4%}'} | {s['n_federations']} | "
              f"{sizes[0]:,} / {statistics.median(sizes):,.0f} / {sizes[-1]:,} | {per['services']:.2f} | "
              f"{per['risk']:.2f} | {per['engagement']:.2f} | {per['access']:.2f} | {s['objective_gbp'] / pop:.2f} | "
              f"{(s['objective_gbp'] - base_total) / base_total:+.1%} | {s.get('min_viable_population') or '–'} | "
              f"{price_text} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
