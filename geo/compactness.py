"""Shape measures of federation polygons (EPSG:27700 metres; all are scale-free ratios in [0, 1]).

Planners read a sprawling federation as a sign of a poor grouping; three standard measures are
given because each misses something (Polsby-Popper punishes wiggly coastlines, Reock elongation,
the convex-hull ratio indentations). Empty or zero-size geometry scores 0.
"""
from __future__ import annotations

import math


def polsby_popper(geom) -> float:
    """4πA / P²: 1 for a circle, near 0 for a thin or ragged shape."""
    if geom is None or geom.is_empty or not geom.length:
        return 0.0
    return 4 * math.pi * geom.area / geom.length ** 2


def reock(geom) -> float:
    """Area / area of the minimum bounding circle: 1 for a circle, small for elongated shapes."""
    import shapely

    if geom is None or geom.is_empty:
        return 0.0
    r = shapely.minimum_bounding_radius(geom)
    return geom.area / (math.pi * r * r) if r else 0.0


def convex_hull_ratio(geom) -> float:
    """Area / area of the convex hull: 1 for a convex shape, small for a deeply indented one."""
    if geom is None or geom.is_empty:
        return 0.0
    hull = geom.convex_hull.area
    return geom.area / hull if hull else 0.0
