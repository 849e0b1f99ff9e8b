"""EPSG:27700 (British National Grid) for every distance and area in England."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from inputs.model import Practices

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"


@lru_cache(maxsize=2)
def _transformer(src: str, dst: str):
    from pyproj import Transformer

    return Transformer.from_crs(src, dst, always_xy=True)


def to_bng(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    e, n = _transformer(WGS84, BNG).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(e, float), np.asarray(n, float)


def to_wgs84(easting, northing) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _transformer(BNG, WGS84).transform(np.asarray(easting, float), np.asarray(northing, float))
    return np.asarray(lon, float), np.asarray(lat, float)


def project_practices(p: Practices) -> Practices:
    """Fill whichever coordinate pair is missing; coordinates a file gave are kept as they are."""
    east, north, lat, lon = (np.array(a, float) for a in (p.easting, p.northing, p.lat, p.lon))
    need_en = np.isnan(east) | np.isnan(north)
    if need_en.any():
        e, n = to_bng(lon[need_en], lat[need_en])
        east[need_en], north[need_en] = e, n
    need_ll = np.isnan(lat) | np.isnan(lon)
    if need_ll.any():
        lo, la = to_wgs84(east[need_ll], north[need_ll])
        lon[need_ll], lat[need_ll] = lo, la
    if not (need_en.any() or need_ll.any()):
        return p
    return p.replace(easting=east, northing=north, lat=lat, lon=lon)
