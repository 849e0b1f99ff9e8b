"""Geography: EPSG:27700 projection, distances, adjacency, boundaries, catchments, compactness."""
from .adjacency import practice_adjacency, sites
from .boundaries import area_outline, load_boundary
from .catchments import federation_polygons, practice_catchments
from .compactness import convex_hull_ratio, polsby_popper, reock
from .distance import distance_km
from .projection import BNG, project_practices, to_bng, to_wgs84

__all__ = ["BNG", "area_outline", "convex_hull_ratio", "distance_km", "federation_polygons", "load_boundary",
           "polsby_popper", "practice_adjacency", "practice_catchments", "project_practices", "reock", "sites",
           "to_bng", "to_wgs84"]
