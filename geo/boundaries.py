"""Shipped NHS / ONS boundaries (inputs/data/*.geojson.gz), read into EPSG:27700.

The sub-ICB, ICB and region polygons are derived from generalised LSOAs (see ATTRIBUTION.md,
caveats C4/C5): good for maps and outlines, not for exact areas.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable

import numpy as np

from fedplan.inputs.data import data_path
from fedplan.inputs.model import Practices

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


def area_outline(p: Practices, boundary=None):
    """The planning area as one shapely geometry in EPSG:27700.

    The union of the sub-ICB polygons of the practices' ``sub_icb_code`` values, plus a
    ``PRACTICE_MARGIN_M`` disc round every practice (so a practice outside its own polygon is
    still inside the area). ``boundary`` (from :func:`read_boundary`) replaces the sub-ICB
    polygons when the planner gives their own outline. When no code is known (e.g. a user CSV without sub-ICB codes, or codes
    not in the shipped 2026 file), a convex hull of the practices buffered by ``HULL_BUFFER_M``.
    """
    import shapely

    xy = np.c_[np.asarray(p.easting, float), np.asarray(p.northing, float)]
    if len(xy) == 0 or np.isnan(xy).any():
        raise ValueError("area_outline needs at least one practice with easting/northing "
                         "(call geo.project_practices first)")
    points = shapely.points(xy)
    if boundary is not None:
        # the planner's own outline (read_boundary), with the same margin round every practice
        return shapely.union_all([boundary, *shapely.buffer(points, PRACTICE_MARGIN_M)])
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


# England in EPSG:27700, with a margin: a boundary outside this box is in the wrong CRS or the
# wrong country
_ENGLAND_BOX = (60_000.0, 0.0, 680_000.0, 680_000.0)


def read_boundary(path):
    """A planner's own area outline (GeoJSON, GeoPackage, shapefile...) as one shapely geometry in
    EPSG:27700, for the maps and the catchment polygons.

    Refused with an InputError naming the file (and the feature's row, the header being row 1 as
    in the CSV readers): a file GDAL cannot read, no features, empty or missing geometries, points
    or lines instead of areas, invalid polygons (with shapely's reason), no CRS, or coordinates
    that, once in EPSG:27700, are not in England (the usual sign of a wrong CRS).
    """
    from pathlib import Path

    import shapely

    from fedplan.inputs.errors import InputError

    path = Path(path)
    fix_gis = "fix it in a GIS (QGIS: Vector > Geometry Tools > Fix Geometries) and save it again."
    if not path.is_file():
        raise InputError("boundary file not found.", file=str(path), fix="check the path.")
    head = path.read_bytes()[:512]
    if head.lstrip()[:1] in (b"<",) or head[:4] in (b"%PDF", b"\x89PNG", b"PK\x03\x04"):
        raise InputError("this is not a geographic file (it looks like a web page, PDF, image or zip).",
                         file=str(path), fix="give a GeoJSON, GeoPackage or shapefile of the area.")
    try:
        import warnings

        import pyogrio

        with warnings.catch_warnings():
            # GDAL's warnings (e.g. a NULL geometry for an unknown type) become our own errors below
            warnings.simplefilter("ignore", RuntimeWarning)
            gdf = pyogrio.read_dataframe(path)
    except Exception as exc:  # noqa: BLE001 - GDAL's many error types all mean "cannot read this"
        reason = str(exc).splitlines()[0].split(";")[0].strip(" .")[:200] if str(exc) else type(exc).__name__
        raise InputError(f"cannot read this as a geographic file ({reason}).", file=str(path),
                         fix="give a GeoJSON, GeoPackage or shapefile of the area.") from None
    if len(gdf) == 0:
        raise InputError("the boundary file has no features.", file=str(path), fix="give a file with the area's polygon.")
    if gdf.crs is None:
        raise InputError("the boundary file says nothing about its coordinate reference system (CRS).",
                         file=str(path), fix="save it with its CRS (EPSG:27700 British National Grid, or "
                                             "EPSG:4326 longitude/latitude).")
    geoms = gdf.geometry.values
    for k, g in enumerate(geoms):
        row = k + 2
        if g is None or g.is_empty:
            raise InputError("this feature has no geometry.", file=str(path), row=row, column="geometry",
                             fix="delete the feature or draw its area.")
        if g.geom_type not in ("Polygon", "MultiPolygon"):
            raise InputError(f"this feature is a {g.geom_type}, not an area.", file=str(path), row=row,
                             column="geometry", fix="give the area's polygon(s), not points or lines.")
        if not g.is_valid:
            raise InputError(f"this polygon is invalid ({shapely.is_valid_reason(g)}).", file=str(path), row=row,
                             column="geometry", fix=fix_gis)
    try:
        bng = gdf.to_crs(BNG)
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"cannot convert the boundary from {gdf.crs} to EPSG:27700 ({exc}).", file=str(path),
                         fix="save it in EPSG:27700 or EPSG:4326.") from None
    x0, y0, x1, y1 = bng.total_bounds
    bx0, by0, bx1, by1 = _ENGLAND_BOX
    if not (np.isfinite([x0, y0, x1, y1]).all() and x0 >= bx0 and y0 >= by0 and x1 <= bx1 and y1 <= by1):
        r = gdf.total_bounds
        raise InputError(f"the boundary is not in England in the CRS the file declares ({gdf.crs.to_string()}): its "
                         f"coordinates run from {r[0]:,.6g}, {r[1]:,.6g} to {r[2]:,.6g}, {r[3]:,.6g}, so the "
                         "file's CRS is probably wrong.", file=str(path),
                         fix="set the CRS the coordinates are really in (metres like 300000, 100000 are "
                             "EPSG:27700; degrees like -3.5, 50.7 are EPSG:4326).")
    outline = shapely.union_all(shapely.make_valid(bng.geometry.values))
    if outline.is_empty or outline.area <= 0:
        raise InputError("the boundary has no area.", file=str(path), fix="give the area's polygon(s).")
    return outline


def practices_outside(outline, p: Practices, tolerance_m: float = PRACTICE_MARGIN_M) -> list[str]:
    """Codes of practices more than ``tolerance_m`` outside ``outline`` (EPSG:27700)."""
    import shapely

    pts = shapely.points(np.c_[np.asarray(p.easting, float), np.asarray(p.northing, float)])
    far = shapely.distance(outline, pts) > tolerance_m
    return [c for c, f in zip(p.code, far) if f]
