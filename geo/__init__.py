"""Geography: EPSG:27700 projection, distances, travel times, adjacency, boundaries, catchments, compactness.

| module | job |
|---|---|
| ``projection``  | WGS84 longitude/latitude <-> British National Grid; practices projected |
| ``distance``    | straight-line distances between practices (the default travel measure) |
| ``adjacency``   | which practices neighbour which: Delaunay graph of the distinct sites |
| ``boundaries``  | the shipped NHS / ONS boundaries and a user's boundary file; an area's outline |
| ``catchments``  | practice catchments (Voronoi cells clipped to the area) and federation polygons |
| ``compactness`` | shape measures of federation polygons (Polsby-Popper, Reock, convex-hull ratio) |
| ``travel_model`` | car minutes between practices (shipped fitted model); islands, and their sea links |

Everything metric is in British National Grid metres (EPSG:27700). This package must not import
the optimiser, the reports or the CLI: they depend on it, not the other way round.
"""
from .adjacency import practice_adjacency, practice_graph, site_edges, sites
from .boundaries import LEVELS, area_outline, load_boundary, practices_outside, read_boundary
from .catchments import federation_polygons, practice_catchments
from .compactness import convex_hull_ratio, polsby_popper, reock
from .distance import distance_km
from .projection import BNG, WGS84, project_practices, to_bng, to_wgs84
from .travel_model import practice_road_minutes, practice_travel_minutes

__all__ = ["BNG", "LEVELS", "WGS84", "area_outline", "convex_hull_ratio", "distance_km", "federation_polygons",
           "load_boundary", "polsby_popper", "practice_adjacency", "practice_catchments", "practice_graph",
           "practice_road_minutes", "practice_travel_minutes", "practices_outside", "project_practices",
           "read_boundary", "reock", "site_edges", "sites", "to_bng", "to_wgs84"]
