"""The map's data: practice sites and catchment cells as SVG paths (drawn by the page, no tiles),
and a colouring of federations in which neighbours differ.

Coordinates are EPSG:27700 kilometres from the area's south-west corner with y pointing down (SVG),
rounded to 10 m: enough for a map, and small enough to send a 400-practice area in one response.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from fedplan import geo
from fedplan.inputs.model import Practices, Scenario

from ..problem import load_outline

SIMPLIFY_M = 40.0        # cells are drawn at city scale at most; 40 m is below a pixel there
N_COLOURS = 8            # the page's palette; a planar map needs at most 4, greedy rarely over 6


def _path(geom, x0: float, y1: float) -> str:
    """SVG path data of a (multi)polygon, km, y down."""
    if geom is None or geom.is_empty:
        return ""
    polys = getattr(geom, "geoms", [geom])
    parts = []
    for poly in polys:
        if poly.geom_type != "Polygon":
            continue
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)
            if len(xy) < 3:
                continue
            pts = " ".join(f"{(x - x0) / 1000:.2f},{(y1 - y) / 1000:.2f}" for x, y in xy[:-1])
            parts.append(f"M{pts}Z")
    return "".join(parts)


def map_geometry(practices: Practices, scenario: Scenario) -> dict:
    """Sites, cells, outline and adjacency of the run's practices (computed once per run)."""
    outline = load_outline(practices, scenario)
    cells = geo.practice_catchments(practices, outline)
    minx, miny, maxx, maxy = outline.bounds
    pad = 0.02 * max(maxx - minx, maxy - miny, 1000.0)
    x0, y1 = minx - pad, maxy + pad
    sites = []
    for geom, members in zip(cells.geometry, cells["practices"]):
        g = geom.simplify(SIMPLIFY_M, preserve_topology=True) if geom is not None else None
        sites.append({"path": _path(g, x0, y1), "practices": [int(i) for i in members]})
    p = practices
    rows = [{"code": p.code[i], "name": p.name[i], "list_size": int(p.list_size[i]),
             "pcn": p.pcn_code[i], "pcn_name": p.pcn_name[i],
             "x": round((float(p.easting[i]) - x0) / 1000, 3), "y": round((y1 - float(p.northing[i])) / 1000, 3)}
            for i in range(len(p))]
    adjacency = [[int(a), int(b)] for a, b in geo.practice_adjacency(p)]
    width, height = (maxx - minx + 2 * pad) / 1000, (maxy - miny + 2 * pad) / 1000
    return {"viewbox": [0, 0, round(width, 2), round(height, 2)],
            "outline": _path(outline.simplify(SIMPLIFY_M, preserve_topology=True), x0, y1),
            "sites": sites, "practices": rows, "adjacency": adjacency}


def colour_federations(assignment: Mapping[str, int], codes: tuple[str, ...],
                       adjacency: list[list[int]]) -> dict[int, int]:
    """A colour index (0..N_COLOURS-1) per federation, different across every border of the
    practice adjacency graph where the palette allows (largest-degree-first greedy; deterministic
    so a re-score does not repaint the whole map)."""
    near: dict[int, set[int]] = {f: set() for f in set(assignment.values())}
    for a, b in adjacency:
        fa, fb = assignment.get(codes[a]), assignment.get(codes[b])
        if fa is not None and fb is not None and fa != fb:
            near[fa].add(fb)
            near[fb].add(fa)
    colour: dict[int, int] = {}
    for f in sorted(near, key=lambda f: (-len(near[f]), f)):
        used = {colour[g] for g in near[f] if g in colour}
        free = [c for c in range(N_COLOURS) if c not in used]
        colour[f] = free[0] if free else f % N_COLOURS
    return colour
