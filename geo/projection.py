"""Coordinate conversion between WGS84 longitude/latitude and British National Grid.

Every distance and area in fedplan is computed in EPSG:27700 (British National Grid, metres):
it is the national grid the source data (OS Code-Point Open) is published in, and over England
its scale error is below 0.04%, so plain Euclidean metres are good enough for planning.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from fedplan.inputs.model import Practices

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"


@lru_cache(maxsize=2)
def _transformer(src: str, dst: str):
    # Building a Transformer costs milliseconds; reuse one per direction.
    # always_xy=True: (lon, lat) and (easting, northing) order, whatever the CRS axis order says.
    from pyproj import Transformer

    return Transformer.from_crs(src, dst, always_xy=True)


def to_bng(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 longitude/latitude (degrees) → BNG easting/northing (metres), vectorised."""
    e, n = _transformer(WGS84, BNG).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(e, float), np.asarray(n, float)


def to_wgs84(easting, northing) -> tuple[np.ndarray, np.ndarray]:
    """BNG easting/northing (metres) → WGS84 longitude/latitude (degrees), vectorised."""
    lon, lat = _transformer(BNG, WGS84).transform(np.asarray(easting, float), np.asarray(northing, float))
    return np.asarray(lon, float), np.asarray(lat, float)


def project_practices(p: Practices) -> Practices:
    """Fill whichever coordinate pair is missing (NaN) from the other, practice by practice.

    Coordinates the input gave are kept exactly as they are (the published grid references are
    the more accurate of the two). A pair with one half missing is recomputed as a whole. A practice with neither pair stays NaN: readers reject those,
    and ``distance_km`` refuses NaN. Returns ``p`` itself when nothing was missing.
    """
    east, north, lat, lon = (np.array(a, float) for a in (p.easting, p.northing, p.lat, p.lon))
    has_ll = ~(np.isnan(lat) | np.isnan(lon))
    has_en = ~(np.isnan(east) | np.isnan(north))
    need_en = ~has_en & has_ll
    need_ll = ~has_ll & has_en
    if not (need_en.any() or need_ll.any()):
        return p
    if need_en.any():
        east[need_en], north[need_en] = to_bng(lon[need_en], lat[need_en])
    if need_ll.any():
        lon[need_ll], lat[need_ll] = to_wgs84(east[need_ll], north[need_ll])
    return p.replace(easting=east, northing=north, lat=lat, lon=lon)
