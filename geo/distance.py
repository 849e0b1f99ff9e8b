"""Straight-line distances between practices in EPSG:27700."""
from __future__ import annotations

import numpy as np

from inputs.model import Practices


def distance_km(p: Practices) -> np.ndarray:
    """n × n straight-line km (symmetric, zero diagonal). Needs projected practices."""
    xy = np.c_[p.easting, p.northing]
    if np.isnan(xy).any():
        raise ValueError("practices need easting/northing: call geo.project_practices first")
    diff = xy[:, None, :] - xy[None, :, :]
    return np.sqrt((diff ** 2).sum(-1)) / 1000.0
