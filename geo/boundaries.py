"""Shipped NHS / ONS boundaries, read into EPSG:27700."""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable

import numpy as np

from inputs.data import data_path
from inputs.model import Practices

from .projection import BNG

FILES = {"icb": ("icb_2026.geojson.gz", "icb_code"), "sub_icb": ("sub_icb_2026.geojson.gz", "sub_icb_code"),
         "region": ("nhs_region_2026.geojson.gz", "region_code"), "lad": ("lad_2024.geojson.gz", "lad24_code")}


@lru_cache(maxsize=8)
def _layer(level: str):
    import geopandas as gpd

    name, _ = FILES[level]
    # GDAL reads gzip through its /vsigzip/ virtual file system
    return gpd.read_file(f"/vsigzip/{data_path(name)}").to_crs(BNG)


def load_boundary(level: str, codes: Iterable[str]):
    """Polygons of the given codes at a level (icb, sub_icb, region, lad), EPSG:27700."""
    gdf = _layer(level)
    key = FILES[level][1]
    return gdf[gdf[key].isin(set(codes))].reset_index(drop=True)


def area_outline(p: Practices):
    """The planning area: union of the sub-ICB polygons the practices belong to; for a file with no
    sub-ICB codes, a buffered convex hull of the practices (5 km)."""
    import shapely

    codes = {c for c in p.sub_icb_code if c}
    outline = None
    if codes:
        polys = load_boundary("sub_icb", codes)
        if len(polys):
            outline = shapely.union_all(polys.geometry.values)
    points = shapely.points(np.c_[p.easting, p.northing])
    hull = shapely.convex_hull(shapely.multipoints(points)).buffer(5000)
    if outline is None or outline.is_empty:
        return hull
    # practices just outside their own sub-ICB polygon (about 1%) must still get a cell
    return shapely.union_all([outline, shapely.union_all(shapely.buffer(points, 1500))]).buffer(0)
