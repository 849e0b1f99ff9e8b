"""federations.gpkg: one polygon per federation with its attributes and shape measures."""
from __future__ import annotations

from pathlib import Path

from fedplan.geo import convex_hull_ratio, polsby_popper, reock


def write_federations_gpkg(path: Path, polygons, federations: list[dict]) -> None:
    by_id = {f["id"]: f for f in federations}
    gdf = polygons.copy()
    for key in ("population", "n_practices", "hub", "hub_name", "cost_gbp", "services_gbp", "risk_gbp",
                "access_gbp", "engagement_gbp", "max_distance_km"):
        gdf[key] = [by_id.get(fid, {}).get(key) for fid in gdf["federation_id"]]
    # minutes to the hub where the run measured access in minutes (absent columns for km runs)
    for key in ("minutes_to_hub_max", "minutes_to_hub_mean", "minutes_to_hub_typical_error", "hub_trip_by_sea"):
        if any(key in f for f in federations):
            gdf[key] = [by_id.get(fid, {}).get(key) for fid in gdf["federation_id"]]
    for name, measure in (("polsby_popper", polsby_popper), ("reock", reock), ("convex_hull_ratio", convex_hull_ratio)):
        gdf[name] = [round(measure(g), 4) for g in gdf.geometry]
    gdf.to_file(path, driver="GPKG", layer="federations")
