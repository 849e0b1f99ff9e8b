"""How well do work units track seconds? Times each kind of engine work and sets it beside the
units ``fedplan.optimise.clock`` charged for it.

    python benchmarks/clock_calibration.py [--time-limit 60] [--icb QJK QOP] [--cpmp FILE ...]

For each run the table shows, per group (master LP, pricing, local search, MIP solver), the wall
seconds spent in it (exclusive of nested groups), the work units charged for it and seconds per
unit (1.0 is the target on the reference machine); "uncounted" is the engine's own glue, which is
not charged. The WEIGHTS in optimise/clock.py are set from these ratios. Each run is timed (not
work-limited), so it does the same mix of work as a planner's run.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GROUPS = {
    "master LP": ("lp", "lp_highs"),
    "pricing: relaxation bounds": ("relaxation",),
    "pricing: hub set-up": ("hub_setup",),
    "pricing: knapsack search": ("knapsack_node", "knapsack_node_py"),
    "pricing: DP fallback": ("dp_cell",),
    "pricing: rest": (),
    "local search": ("local_search",),
    "MIP solver": ("mip_lp", "mip_node", "cpsat"),
}


class Profiler:
    """Exclusive wall time per group: a nested timed call's time belongs to its own group only."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.stack: list[list] = []

    def wrap(self, group: str, fn):
        def timed(*a, **kw):
            frame = [time.perf_counter(), 0.0]
            self.stack.append(frame)
            try:
                return fn(*a, **kw)
            finally:
                self.stack.pop()
                elapsed = time.perf_counter() - frame[0]
                self.seconds[group] = self.seconds.get(group, 0.0) + elapsed - frame[1]
                if self.stack:
                    self.stack[-1][1] += elapsed
        return timed


def instrument(prof: Profiler, clocks: list) -> None:
    from fedplan.optimise import clock, compact, heuristics, solvers
    from fedplan.optimise.branch_price import columns, knapsack, master, pricing, segments

    master.Master.solve = prof.wrap("master LP", master.Master.solve)
    for cls in (pricing.Pricer, segments.SegmentedPricer):
        for name in ("price", "enumerate", "fixable"):
            setattr(cls, name, prof.wrap("pricing: rest", getattr(cls, name)))
    # module functions are wrapped where the pricers look them up
    pricing.relaxation_all_hubs = prof.wrap("pricing: relaxation bounds", pricing.relaxation_all_hubs)
    pricing.Pricer._hub_knapsack = prof.wrap("pricing: hub set-up", pricing.Pricer._hub_knapsack)
    pricing.knapsack_dp = prof.wrap("pricing: DP fallback", pricing.knapsack_dp)
    for name in ("best", "enumerate"):
        setattr(knapsack.Knapsack, name, prof.wrap("pricing: knapsack search", getattr(knapsack.Knapsack, name)))
    heuristics._State.descend = prof.wrap("local search", heuristics._State.descend)
    # the adapters: looked up at call time by the heuristics (``from .solvers import run_solver``),
    # bound at import by the column IPs and the compact route
    solvers.run_solver = columns.run_solver = compact.run_solver = prof.wrap("MIP solver", solvers.run_solver)
    init = clock.Clock.__init__

    def record(self, *a, **kw):
        init(self, *a, **kw)
        clocks.append(self)
    clock.Clock.__init__ = record


def problems(args):
    if args.icb:
        from fedplan import api
        from fedplan.inputs.model import AreaSpec, Scenario

        from fedplan import geo
        for code in args.icb:
            sc = Scenario(area=AreaSpec(icb=code))
            practices = api.load_practices(sc)
            dist = geo.distance_km(practices)
            yield f"ICB {code} (default joint model)", api.build_problem(practices, sc, dist, api.load_catalogue(sc))
    for f in args.cpmp or ():
        from fedplan.inputs.cpmp import read_cpmp
        from fedplan.optimise.cpmp import cpmp_problem

        inst = read_cpmp(Path(f), "orlib-pmedcap" if "pmedcap" in Path(f).name else "lorena-senne")
        yield Path(f).name, cpmp_problem(inst.ids, inst.demand, inst.capacity, inst.distances(), inst.p)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=60)
    ap.add_argument("--icb", nargs="*", default=["QJK"])
    ap.add_argument("--cpmp", nargs="*")
    args = ap.parse_args()
    from fedplan.optimise import solve_federations
    from fedplan.optimise.clock import WEIGHTS

    print(f"# work units against seconds: time limit {args.time_limit:g}s, {platform.node()} "
          f"({os.cpu_count()} cores), {time.strftime('%Y-%m-%d %H:%M')}")
    print("| run | group | seconds | units | s/unit | operations counted |")
    print("|---|---|---:|---:|---:|---|")
    for name, problem in problems(args):
        prof, clocks = Profiler(), []
        instrument(prof, clocks)
        t0 = time.perf_counter()
        res = solve_federations(problem, "cbc", time_limit_s=args.time_limit)
        wall = time.perf_counter() - t0
        by_kind = clocks[-1].by_kind
        counted = 0.0
        for group, kinds in GROUPS.items():
            sec = prof.seconds.get(group, 0.0)
            units = sum(by_kind.get(k, 0.0) for k in kinds)
            counted += sec
            ratio = f"{sec / units:.2f}" if units > 0 else "-"
            counts = ", ".join(f"{k} {by_kind[k] / WEIGHTS[k]:.3g}" for k in kinds if k in by_kind)
            print(f"| {name} | {group} | {sec:.1f} | {units:.1f} | {ratio} | {counts} |")
        print(f"| {name} | uncounted | {wall - counted:.1f} | 0 | - | |")
        print(f"| {name} | **total** ({res.status}, gap {res.gap:.2%}) | {wall:.1f} | {res.work_units:.1f} | "
              f"{wall / res.work_units:.2f} | |", flush=True)
        # undo the wrappers before the next run (fresh imports would re-wrap the wrapped)
        for mod in [m for m in list(sys.modules) if m.startswith("optimise")]:
            del sys.modules[mod]


if __name__ == "__main__":
    main()
