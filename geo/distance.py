"""Straight-line distances between practices in EPSG:27700 (the default travel measure)."""
from __future__ import annotations

import numpy as np

from fedplan.inputs.model import Practices


def distance_km(p: Practices) -> np.ndarray:
    """n × n straight-line distances in km (float64, symmetric, zero diagonal).

    Needs projected practices (``geo.project_practices``). scipy's cdist is used rather than
    numpy broadcasting because broadcasting builds n × n × 2 temporaries: for all of England
    (6,129 practices) that is over 1 GB, while cdist only allocates the 300 MB result.
    """
    from scipy.spatial.distance import cdist

    xy = np.c_[np.asarray(p.easting, float), np.asarray(p.northing, float)]
    if np.isnan(xy).any():
        raise ValueError("practices need easting/northing: call geo.project_practices first")
    d = cdist(xy, xy) / 1000.0
    # (a - b)² == (b - a)² exactly in floating point, so d is already symmetric; the diagonal is
    # set explicitly so callers can rely on exact zeros.
    np.fill_diagonal(d, 0.0)
    return d
