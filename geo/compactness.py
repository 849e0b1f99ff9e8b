"""Shape measures of federation polygons (EPSG:27700 metres)."""
from __future__ import annotations

import math


def polsby_popper(geom) -> float:
    """4πA / P²: 1 for a circle, near 0 for a sprawling shape."""
    return 4 * math.pi * geom.area / geom.length ** 2 if geom.length else 0.0


def reock(geom) -> float:
    """Area / area of the smallest enclosing circle."""
    import shapely

    r = shapely.minimum_bounding_radius(geom)
    return geom.area / (math.pi * r * r) if r else 0.0


def convex_hull_ratio(geom) -> float:
    hull = geom.convex_hull.area
    return geom.area / hull if hull else 0.0
