"""The master LP's cost of switched-off columns; prints a table.

    python benchmarks/master_lp.py [--off 10000] [--seed 0]

Builds a set-partitioning master like a 402-point CPMP's: 402 rows and a count row of 30, on
points resampled from the shipped SJC1 city as in ``cpmp_unseen.py``; 5,030 columns (a plan's 30,
then 5,000 of a median and its 10-16 nearest points, costed by their distances). It adds them in
batches of 300 with a warm re-solve after each, as column generation does, and times that with
``--off`` further columns switched off (upper bound 0) from the start: kept in HiGHS, taken out
of it (``HighsLP``'s compaction), and on GLOP. The LP value is the same in every row.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from fedplan.optimise import master_lp

SJC1 = Path(__file__).resolve().parents[1] / "tests" / "data" / "cpmp" / "SJC1.txt"
N, K = 402, 30


def columns(rng: np.random.Generator, count: int) -> list[tuple[list[int], float]]:
    base = np.loadtxt(SJC1, skiprows=1)
    xy = base[rng.integers(0, len(base), size=N), :2] + rng.normal(0.0, 60.0, size=(N, 2))
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    near = np.argsort(d, axis=1)
    # a plan first (every point to the nearest of K random medians), so the LP has a real cover
    medians = rng.choice(N, K, replace=False)
    label = medians[np.argmin(d[:, medians], axis=1)]
    out = [(sorted(np.flatnonzero(label == h).tolist()), float(d[label == h, h].sum())) for h in medians]
    for _ in range(count):
        h = int(rng.integers(N))
        members = near[h, :int(rng.integers(10, 17))].tolist()
        out.append((sorted(members), float(d[members, h].sum())))
    return out


def run(backend: str, live, off, compact: bool) -> tuple[float, int, float]:
    if backend == "highs" and not compact:
        saved, master_lp.HighsLP.COMPACT_MIN = master_lp.HighsLP.COMPACT_MIN, 10**12
    lp = master_lp.make_lp(backend)
    try:
        for _ in range(N):
            lp.add_row(1.0, 1.0)
        count = lp.add_row(K, K)
        # dear artificials (a singleton per row, a surplus and a slack on the count row) keep
        # every re-solve feasible from the first batch
        lp.add_cols(np.full(N, 1e6), [[i] for i in range(N)])
        lp.add_cols([1e6, 1e6], [[count], [count]], [[1.0], [-1.0]])
        if off:
            first = lp.add_cols([c for _, c in off], [S + [count] for S, _ in off])
            lp.set_upper(range(first, first + len(off)), 0.0)
        t = time.perf_counter()
        iterations = 0
        z = None
        for b in range(0, len(live), 300):
            batch = live[b:b + 300]
            lp.add_cols([c for _, c in batch], [S + [count] for S, _ in batch])
            ok, z, _, _ = lp.solve()
            assert ok
            iterations += lp.h.getInfo().simplex_iteration_count if backend == "highs" else lp.lp.iterations()
        return time.perf_counter() - t, iterations, z
    finally:
        if backend == "highs" and not compact:
            master_lp.HighsLP.COMPACT_MIN = saved


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--off", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    live = columns(rng, 5000)
    off = columns(rng, args.off)
    print(f"# master LP: {N} rows + count row, 5,000 columns in batches of 300, {args.off:,} switched off")
    print("| back end | switched-off columns | re-solves s | iterations | LP value |")
    print("|---|---|---:|---:|---:|")
    for backend, with_off, compact, label in (("highs", False, True, "none"),
                                              ("highs", True, False, "kept in the solver"),
                                              ("highs", True, True, "taken out (compaction)"),
                                              ("glop", False, True, "none"),
                                              ("glop", True, True, "kept in the solver")):
        secs, its, z = run(backend, live, off if with_off else [], compact)
        print(f"| {backend} | {label} | {secs:.2f} | {its:,} | {z:,.2f} |", flush=True)


if __name__ == "__main__":
    main()
