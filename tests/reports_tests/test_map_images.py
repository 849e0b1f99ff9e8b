"""Image comparison of the static maps against reference PNGs kept in tests/data/reference/.

Tolerant of anti-aliasing and font-hinting differences between matplotlib builds (mean absolute
difference and share of strongly changed pixels), strict enough that a different grouping,
colouring or a lost layer fails (checked below). To accept a deliberate change of the drawing:
``FEDPLAN_UPDATE_REFERENCE=1 pytest tests/reports_tests/test_map_images.py`` and review the new PNGs.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from factories import ASSIGNMENT, OUTLINE, polygons, practices

from fedplan.reports import draw_map, figure_png

REFERENCE = Path(__file__).parents[1] / "data" / "reference"
DPI = 60
MEAN_TOLERANCE = 0.01      # mean |difference| per channel, on a 0-1 scale
CHANGED_TOLERANCE = 0.002  # share of pixels whose largest channel difference exceeds 0.25


def png_array(data: bytes) -> np.ndarray:
    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(data), format="png")[..., :3]


def difference(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    if a.shape != b.shape:
        return 1.0, 1.0
    d = np.abs(a.astype(float) - b.astype(float))
    return float(d.mean()), float((d.max(axis=2) > 0.25).mean())


def close_enough(a: np.ndarray, b: np.ndarray) -> bool:
    mean, changed = difference(a, b)
    return mean <= MEAN_TOLERANCE and changed <= CHANGED_TOLERANCE


def north_south():
    """The same area split the other way: federation 1 south, 2 north."""
    import geopandas as gpd
    import shapely

    return gpd.GeoDataFrame({"federation_id": [1, 2]},
                            geometry=[shapely.box(250_000, 60_000, 300_000, 85_000),
                                      shapely.box(250_000, 85_000, 300_000, 110_000)], crs=27700)


def plan_map(assignment=ASSIGNMENT, with_polygons: bool = True, hubs=(0, 3), polys=None) -> bytes:
    polys = polys if polys is not None else (polygons() if with_polygons else None)
    fig = draw_map(practices(), assignment, polygons=polys, outline=OUTLINE, hubs=list(hubs))
    return figure_png(fig, dpi=DPI)


CASES = {
    "map_two_federations.png": lambda: plan_map(),
    "map_points_only.png": lambda: plan_map(with_polygons=False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_static_map_matches_reference(name):
    got = CASES[name]()
    ref_path = REFERENCE / name
    if os.environ.get("FEDPLAN_UPDATE_REFERENCE"):
        REFERENCE.mkdir(parents=True, exist_ok=True)
        ref_path.write_bytes(got)
        pytest.skip(f"reference {name} rewritten; review it and commit")
    assert ref_path.is_file(), f"missing reference {ref_path}; create it with FEDPLAN_UPDATE_REFERENCE=1"
    mean, changed = difference(png_array(got), png_array(ref_path.read_bytes()))
    assert mean <= MEAN_TOLERANCE and changed <= CHANGED_TOLERANCE, (
        f"{name} differs from the reference: mean {mean:.4f}, changed pixels {changed:.2%}")


def test_the_comparison_catches_a_different_map():
    """The tolerance must not swallow a real change: other groups, no polygons, no hubs."""
    ref = png_array((REFERENCE / "map_two_federations.png").read_bytes())
    by_latitude = np.where(np.asarray(practices().northing) < 85_000, 1, 2)
    assert not close_enough(png_array(plan_map(assignment=by_latitude, polys=north_south())), ref)
    assert not close_enough(png_array(plan_map(with_polygons=False)), ref)
    assert not close_enough(png_array(plan_map(hubs=())), ref)
    assert close_enough(png_array(plan_map()), ref)
