"""Fixtures shared by the report tests: a small world of practices, a plan, its summary, polygons."""
from __future__ import annotations

import numpy as np
import shapely

from fedplan.inputs.model import Practices

EVIL = "<script>alert(1)</script>"
EVIL_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def practices(n: int = 12) -> Practices:
    """Two clusters of six practices in Devon-ish British National Grid coordinates."""
    rng = np.random.default_rng(0)
    west = np.c_[rng.uniform(252_000, 272_000, 6), rng.uniform(62_000, 108_000, 6)]
    east = np.c_[rng.uniform(278_000, 298_000, 6), rng.uniform(62_000, 108_000, 6)]
    xy = np.r_[west, east][:n]
    names = [f"Surgery {i}" for i in range(n)]
    names[3] = EVIL
    return Practices(source="t", code=tuple(f"P{i:02d}" for i in range(n)),
                     list_size=np.array([9000 + 100 * i for i in range(n)]),
                     lat=np.full(n, np.nan), lon=np.full(n, np.nan), easting=xy[:, 0], northing=xy[:, 1],
                     name=tuple(names),
                     # PCN U1 is split by the plan below (P05 goes east), U2 stays whole, P11 has no PCN
                     pcn_code=tuple(["U1"] * 6 + ["U2"] * 5 + [""]),
                     pcn_name=tuple([EVIL] * 6 + ["Two PCN"] * 5 + [""]))


ASSIGNMENT = np.array([1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2])


def summary() -> dict:
    return {
        "status": "feasible", "objective_gbp": 1000.0, "bound_gbp": 900.0, "gap": 0.1, "runtime_s": 1.5,
        "solver": "cbc", "solver_version": "CBC 2.10", "method": "branch_price", "seed": 0, "area": EVIL,
        "n_practices": 12,
        "n_federations": 2, "bounds": {"min_population": 25000, "max_population": 60000},
        "federations": [
            {"id": 1, "population": 46000, "n_practices": 5, "hub": "P00", "hub_name": "Surgery 0",
             "cost_gbp": 400.0, "max_distance_km": 3.04},
            {"id": 2, "population": 63600, "n_practices": 7, "hub": "P03", "hub_name": EVIL,
             "cost_gbp": 600.0, "max_distance_km": 4.0}],
        "baseline": {"objective_gbp": 1200.0, "n_federations": 3, "in_range_share": 0.5, "note": EVIL,
                     "federations": [{"id": "U1", "name": EVIL, "population": 55500, "n_practices": 6,
                                      "hub": "P01", "hub_name": "Surgery 1", "cost_gbp": 700.0},
                                     {"id": "U2", "name": "Two PCN", "population": 48000, "n_practices": 5,
                                      "hub": "P07", "cost_gbp": 500.0}]},
        "cost_breakdown": {"access": 300.0, "federation_fixed": 700.0},
        "baseline_cost_breakdown": {"access": 150.0, "federation_fixed": 1050.0},
        "message": EVIL, "warnings": [EVIL], "verified": True,
        "parameters": {"federation_fixed_gbp": 252530.0, "travel_gbp_per_km": 0.348, "note": EVIL},
    }


def polygons():
    import geopandas as gpd

    return gpd.GeoDataFrame({"federation_id": [1, 2]},
                            geometry=[shapely.box(250_000, 60_000, 275_000, 110_000),
                                      shapely.box(275_000, 60_000, 300_000, 110_000)], crs=27700)


OUTLINE = shapely.box(250_000, 60_000, 300_000, 110_000)

# make_or_buy.csv rows as tuples in its column order (the writer's form)
MAKE_OR_BUY = [(1, "legal", "buy", "48579.22", 256238), (1, EVIL, "inhouse", "1500.50", ""),
               (2, "legal", "inhouse", "52000", 256238), (2, EVIL, "buy", "900", "")]
