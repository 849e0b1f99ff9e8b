"""Shipped NHS / ONS boundaries (inputs/data/*.geojson.gz), read into EPSG:27700.

The sub-ICB, ICB and region polygons are derived from generalised LSOAs (see ATTRIBUTION.md,
caveats C4/C5): good for maps and outlines, not for exact areas.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable

import numpy as np

from inputs.data import data_path
from inputs.model import Practices

from .projection import BNG

# level → (shipped file, the property holding the code)
FILES = {
    "icb": ("icb_2026.geojson.gz", "icb_code"),
    "sub_icb": ("sub_icb_2026.geojson.gz", "sub_icb_code"),
    "region": ("nhs_region_2026.geojson.gz", "region_code"),
    "lad": ("lad_2024.geojson.gz", "lad24_code"),
}
LEVELS = tuple(FILES)

# A practice can sit just outside its own sub-ICB polygon (about 1% do: their commissioner differs
# from where the premises are, or the generalised coastline cuts them off). A disc of this radius
# around every practice is added to the outline so each practice still gets a catchment cell.
PRACTICE_MARGIN_M = 1_500.0
# Without sub-ICB codes the area is the practices' convex hull grown by this much, roughly the
# distance a catchment reaches beyond the outermost practice in rural England.
HULL_BUFFER_M = 5_000.0


@lru_cache(maxsize=8)
def _layer(level: str):
    """The whole layer, projected once per process (the files are read-only package data)."""
    import geopandas as gpd

    name, _ = FILES[level]
    # GDAL reads the gzip directly through its /vsigzip/ virtual file system
    return gpd.read_file(f"/vsigzip/{data_path(name)}").to_crs(BNG)


def load_boundary(level: str, codes: Iterable[str]):
    """Polygons of the given codes at one level (icb, sub_icb, region, lad), in EPSG:27700.

    Returns a GeoDataFrame (a copy; the cached layer is never handed out) in file order, with the
    file's properties as columns. Codes not in the file are simply absent from the result.
    """
    if level not in FILES:
        raise ValueError(f"unknown boundary level {level!r}; use one of {', '.join(LEVELS)}")
    if isinstance(codes, str):  # a bare "QJK" would otherwise be read as the codes "Q", "J", "K"
        codes = [codes]
    gdf = _layer(level)
    key = FILES[level][1]
    return gdf[gdf[key].isin(set(codes))].reset_index(drop=True).copy()


def area_outline(p: Practices):
    """The planning area as one shapely geometry in EPSG:27700.

    The union of the sub-ICB polygons of the practices' ``sub_icb_code`` values, plus a
    ``PRACTICE_MARGIN_M`` disc round every practice (so a practice outside its own polygon is
    still inside the area). When no code is known (e.g. a user CSV without sub-ICB codes, or codes
    not in the shipped 2026 file), a convex hull of the practices buffered by ``HULL_BUFFER_M``.
    """
    import shapely

    xy = np.c_[np.asarray(p.easting, float), np.asarray(p.northing, float)]
    if len(xy) == 0 or np.isnan(xy).any():
        raise ValueError("area_outline needs at least one practice with easting/northing "
                         "(call geo.project_practices first)")
    points = shapely.points(xy)
    codes = {c for c in p.sub_icb_code if c}
    outline = None
    if codes:
        polys = load_boundary("sub_icb", codes)
        if len(polys):
            # make_valid: the shipped polygons are valid today, but a rebuilt file with a bad ring
            # must not crash the union
            outline = shapely.union_all(shapely.make_valid(polys.geometry.values))
    if outline is None or outline.is_empty:
        return shapely.convex_hull(shapely.multipoints(points)).buffer(HULL_BUFFER_M)
    return shapely.union_all([outline, *shapely.buffer(points, PRACTICE_MARGIN_M)])
