"""Benchmark instances built straight from the practice table (default rules, straight-line km).

    from _instances import icb_problem   # run from benchmarks/ or with it on sys.path
    devon = icb_problem("QJK")

Cost model as the default scenario: access = 0.348 £ per patient-km x list size x km to the hub,
£252,530 fixed per federation, 25,000-100,000 patients, number of federations free.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from fedplan.optimise.problem import FederationProblem

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (Path("/work/shared/data/england_practices.csv"), ROOT / "inputs" / "data" / "england_practices.csv.gz")

GBP_PER_PATIENT_KM = 0.348
FIXED_GBP = 252_530.0


def practice_table(path: Path | None = None):
    import pandas as pd

    for p in ([path] if path else SOURCES):
        if p is not None and Path(p).exists():
            return pd.read_csv(p)
    raise FileNotFoundError("no england_practices.csv(.gz) found in " + ", ".join(map(str, SOURCES)))


def icb_problem(icb_code: str, *, L: int = 25_000, U: int = 100_000, fixed: float = FIXED_GBP,
                n_federations: int | None = None, max_distance_km: float | None = None,
                table=None) -> FederationProblem:
    t = practice_table() if table is None else table
    t = t[t["icb_code"] == icb_code].sort_values("practice_code")
    if t.empty:
        raise KeyError(f"no practices with icb_code {icb_code!r}")
    xy = t[["easting", "northing"]].to_numpy(float) / 1000.0
    km = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    w = t["registered_patients"].to_numpy(np.int64)
    allowed = None if max_distance_km is None else km <= max_distance_km + 1e-9
    return FederationProblem(codes=tuple(t["practice_code"].astype(str)), list_size=w,
                             assign_cost=GBP_PER_PATIENT_KM * w[:, None] * km, hub_cost=fixed,
                             min_population=L, max_population=U, n_federations=n_federations,
                             allowed=allowed)
