"""Practice catchments (Voronoi cells of practice sites, clipped to the area) and federation
polygons (cells dissolved per federation), in EPSG:27700."""
from __future__ import annotations

import numpy as np

from inputs.model import Practices

from .adjacency import sites
from .projection import BNG


def practice_catchments(p: Practices, outline):
    """One row per site: geometry, and the practice positions at that site."""
    import geopandas as gpd
    import shapely

    xy, site_of = sites(p)
    if len(xy) == 1:
        cells = [outline]
    else:
        pts = shapely.multipoints(xy)
        vor = shapely.voronoi_polygons(pts, extend_to=outline.envelope.buffer(10_000))
        polys = list(shapely.get_parts(vor))
        # voronoi_polygons does not keep the input order: match each cell to the site inside it
        centres = shapely.points(xy)
        cells = [None] * len(xy)
        tree = shapely.STRtree(polys)
        for s, pt in enumerate(centres):
            hit = tree.query(pt, predicate="intersects")
            cells[s] = polys[int(hit[0])] if len(hit) else pt.buffer(500)
        cells = [shapely.intersection(c, outline) for c in cells]
    members = [[] for _ in range(len(xy))]
    for i, s in enumerate(site_of):
        members[int(s)].append(i)
    return gpd.GeoDataFrame({"site": np.arange(len(xy)), "practices": members}, geometry=cells, crs=BNG)


def federation_polygons(p: Practices, assignment, outline):
    """Cells dissolved per federation id. A site shared by practices of different federations
    goes to the federation holding most of its patients (its polygon cannot be split)."""
    import geopandas as gpd
    import shapely

    assignment = np.asarray(assignment)
    cells = practice_catchments(p, outline)
    owner = []
    for ms in cells["practices"]:
        weight: dict[int, int] = {}
        for i in ms:
            weight[int(assignment[i])] = weight.get(int(assignment[i]), 0) + int(p.list_size[i])
        owner.append(max(sorted(weight), key=lambda f: weight[f]))
    cells = cells.assign(federation_id=owner)
    rows, geoms = [], []
    for fid in sorted(set(int(a) for a in assignment)):
        parts = cells.geometry[cells["federation_id"] == fid].values
        geom = shapely.union_all(parts) if len(parts) else shapely.Point(
            p.easting[assignment == fid][0], p.northing[assignment == fid][0]).buffer(300)
        rows.append(fid)
        geoms.append(geom)
    return gpd.GeoDataFrame({"federation_id": rows}, geometry=geoms, crs=BNG)
