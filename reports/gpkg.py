"""federations.gpkg: one polygon per federation with its attributes."""
from __future__ import annotations

from pathlib import Path


def write_federations_gpkg(path: Path, polygons, federations: list[dict]) -> None:
    by_id = {f["id"]: f for f in federations}
    gdf = polygons.copy()
    for key in ("population", "n_practices", "hub", "hub_name", "cost_gbp", "max_distance_km"):
        gdf[key] = [by_id.get(fid, {}).get(key) for fid in gdf["federation_id"]]
    gdf.to_file(path, driver="GPKG", layer="federations")
