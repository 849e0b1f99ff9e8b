"""Practice catchments and federation polygons, in EPSG:27700.

A catchment is the Voronoi cell of a practice *site* (co-located practices share one cell: a
point cannot be split), clipped to the planning area. Patients really register anywhere near
home, so these are a drawing aid and a contiguity proxy, not true catchments.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from fedplan.inputs.model import Practices

from .adjacency import sites
from .projection import BNG


def _voronoi_cells(xy: np.ndarray, outline):
    """One unclipped Voronoi cell per site (m ≥ 2), in the order of ``xy``."""
    import shapely

    # extend the diagram well past both the outline and the points, so every cell reaches the
    # outline edge before clipping (voronoi_polygons otherwise stops at the points' envelope)
    minx, miny, maxx, maxy = shapely.union(outline.envelope, shapely.multipoints(xy).envelope).bounds
    pad = max(maxx - minx, maxy - miny, 1_000.0)
    frame = shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
    polys = np.asarray(shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=frame)))
    # voronoi_polygons does not promise input order (before shapely 2.1's ordered=True): match
    # each site to the cell that contains it. A generator lies inside its own cell only.
    site_idx, cell_idx = shapely.STRtree(polys).query(shapely.points(xy), predicate="within")
    cells = np.empty(len(xy), dtype=object)
    cells[site_idx] = polys[cell_idx]
    for s in np.flatnonzero([c is None for c in cells]):
        # should not happen; a small disc keeps the site on the map rather than failing a report
        cells[s] = shapely.Point(xy[s]).buffer(500.0)
    return cells


def practice_catchments(p: Practices, outline=None):
    """Voronoi cells of the distinct practice sites, clipped to ``outline``.

    Returns a GeoDataFrame in EPSG:27700, one row per SITE (in ``geo.sites`` order) with columns
    ``site`` (int), ``practices`` (list of practice positions at the site), ``list_size`` (their
    total) and the geometry. ``outline`` defaults to ``geo.area_outline(p)``. One site gets the
    whole outline; two sites split it along their perpendicular bisector; collinear sites give
    parallel strips.
    """
    import geopandas as gpd
    import shapely

    if outline is None:
        from .boundaries import area_outline

        outline = area_outline(p)
    xy, site_of = sites(p)
    members: list[list[int]] = [[] for _ in range(len(xy))]
    for i, s in enumerate(site_of):
        members[int(s)].append(i)
    if len(xy) == 0:
        cells = np.empty(0, dtype=object)
    elif len(xy) == 1:
        cells = np.array([outline], dtype=object)
    else:
        cells = shapely.intersection(_voronoi_cells(xy, outline), outline)
    sizes = [int(np.asarray(p.list_size)[ms].sum()) if ms else 0 for ms in members]
    return gpd.GeoDataFrame({"site": np.arange(len(xy), dtype=int), "practices": members, "list_size": sizes},
                            geometry=list(cells), crs=BNG)


def federation_polygons(p: Practices, assignment: Sequence[int] | np.ndarray, outline=None):
    """Site catchments dissolved per federation: one row per federation id in ``assignment``.

    ``assignment[i]`` is the federation id (any integers) of practice ``i``. Returns a
    GeoDataFrame (EPSG:27700) with ``federation_id`` (int, ascending) and geometry.

    A site whose practices are split between federations cannot be split itself: it goes to the
    federation holding most of the site's patients (ties: the lowest id). A federation left with
    no site at all (every one of its practices shares a site with a larger partner) still gets a
    row, drawn as the union of 300 m discs round its practices clipped to the outline, which
    overlaps the neighbouring cell; it is a map marker, not an area.
    """
    import geopandas as gpd
    import shapely

    assignment = np.asarray(assignment)
    if assignment.shape != (len(p),):
        raise ValueError(f"assignment has shape {assignment.shape}, expected ({len(p)},)")
    assignment = assignment.astype(np.int64)
    if outline is None:
        from .boundaries import area_outline

        outline = area_outline(p)
    cells = practice_catchments(p, outline)
    sizes = np.asarray(p.list_size, dtype=np.int64)
    owner = []
    for ms in cells["practices"]:
        weight: dict[int, int] = {}
        for i in ms:
            weight[int(assignment[i])] = weight.get(int(assignment[i]), 0) + int(sizes[i])
        best = max(weight.values())
        owner.append(min(f for f, w in weight.items() if w == best))
    owner = np.asarray(owner, dtype=np.int64)
    geoms_by_site = np.asarray(cells.geometry.values, dtype=object)
    ids, geoms = [], []
    for fid in sorted({int(a) for a in assignment}):
        parts = geoms_by_site[owner == fid]
        if len(parts):
            geom = shapely.union_all(parts)
        else:
            mine = assignment == fid
            discs = shapely.buffer(shapely.points(np.c_[p.easting[mine], p.northing[mine]]), 300.0)
            geom = shapely.intersection(shapely.union_all(discs), outline)
        ids.append(fid)
        geoms.append(geom)
    return gpd.GeoDataFrame({"federation_id": np.asarray(ids, dtype=int)}, geometry=geoms, crs=BNG)
