"""Geography: projection, distances, adjacency with co-located practices, catchments, boundaries.

Self-contained: practices are built by hand from the shipped inputs/data/england_practices.csv.gz
(not through the readers), so these tests only depend on geo and the package data.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from fedplan import geo
from fedplan import inputs
from fedplan.inputs.data import data_path
from fedplan.inputs.model import Practices

DATA = Path(__file__).parents[1] / "data"


def practices_from_frame(df: pd.DataFrame) -> Practices:
    return Practices(
        source="england_practices.csv.gz", code=tuple(df["practice_code"]),
        list_size=df["registered_patients"].astype(int).to_numpy(),
        lat=df["lat"].astype(float).to_numpy(), lon=df["lon"].astype(float).to_numpy(),
        easting=df["easting"].astype(float).to_numpy(), northing=df["northing"].astype(float).to_numpy(),
        pcn_code=tuple(df["pcn_code"]), sub_icb_code=tuple(df["sub_icb_code"]), icb_code=tuple(df["icb_code"]),
        region_code=tuple(df["region_code"]), lad_code=tuple(df["lad_code"]),
    )


@pytest.fixture(scope="module")
def england() -> Practices:
    df = pd.read_csv(data_path("england_practices.csv.gz"), dtype=str, keep_default_na=False)
    return practices_from_frame(df)


@pytest.fixture(scope="module")
def devon(england) -> Practices:
    return england.subset(np.array([c == "QJK" for c in england.icb_code]))


@pytest.fixture(scope="module")
def devon_outline(devon):
    return geo.area_outline(devon)


def points(xy_m, sizes=None) -> Practices:
    """Practices at given BNG metres (no lat/lon), 1,000 patients each unless told."""
    xy = np.asarray(xy_m, float).reshape(-1, 2)
    n = len(xy)
    return Practices(source="t", code=tuple(f"P{i}" for i in range(n)),
                     list_size=np.full(n, 1000) if sizes is None else np.asarray(sizes),
                     lat=np.full(n, np.nan), lon=np.full(n, np.nan), easting=xy[:, 0], northing=xy[:, 1])


def connected(n: int, edges) -> bool:
    g = nx.Graph(list(edges))
    g.add_nodes_from(range(n))
    return nx.is_connected(g)


# ------------------------------------------------------------------ projection


def test_projection_matches_published_grid_references(england):
    """lat/lon → easting/northing agrees with Code-Point Open's own grid references to ~5 m."""
    idx = np.r_[np.arange(40), np.flatnonzero([c == "QJK" for c in england.icb_code])[:20]]
    sample = england.subset(idx)
    nan = np.full(len(sample), np.nan)
    projected = geo.project_practices(sample.replace(easting=nan, northing=nan))
    err = np.hypot(projected.easting - sample.easting, projected.northing - sample.northing)
    assert err.max() < 5.0
    # the reverse direction, too
    back = geo.project_practices(sample.replace(lat=nan, lon=nan))
    assert np.allclose(back.lat, sample.lat, atol=5e-5) and np.allclose(back.lon, sample.lon, atol=5e-5)


def test_projection_helpers_round_trip_and_keep_given_values(england):
    lon, lat = geo.to_wgs84(*geo.to_bng(england.lon[:5], england.lat[:5]))
    assert np.allclose(lat, england.lat[:5], atol=1e-7) and np.allclose(lon, england.lon[:5], atol=1e-7)
    assert geo.project_practices(england) is england  # nothing missing: nothing recomputed
    # a practice with only lat/lon gets easting/northing; the others keep theirs untouched
    p = england.subset(np.arange(3))
    e = p.easting.copy()
    e[1] = np.nan
    q = geo.project_practices(p.replace(easting=e))
    assert q.easting[0] == p.easting[0] and q.easting[2] == p.easting[2]
    # a half-missing pair is recomputed as a whole from lat/lon
    assert abs(q.easting[1] - p.easting[1]) < 5.0 and abs(q.northing[1] - p.northing[1]) < 5.0


# ------------------------------------------------------------------ distances


def test_distances(devon):
    d = geo.distance_km(devon)
    assert d.shape == (116, 116) and d.dtype == np.float64
    assert np.array_equal(d, d.T) and np.all(np.diag(d) == 0)
    i, j = 3, 70
    assert d[i, j] == pytest.approx(np.hypot(devon.easting[i] - devon.easting[j],
                                             devon.northing[i] - devon.northing[j]) / 1000)
    assert 90 < d.max() < 200  # Devon's furthest practices are about 110 km apart


def test_distance_needs_projected_practices():
    p = points([(0, 0), (3000, 4000)])
    assert geo.distance_km(p)[0, 1] == pytest.approx(5.0)
    with pytest.raises(ValueError, match="project_practices"):
        geo.distance_km(p.replace(easting=np.array([np.nan, 1.0])))


# ------------------------------------------------------------------ adjacency


def test_adjacency_copes_with_a_shared_site():
    p = points([(0, 0), (1000, 0), (0, 1000), (0, 1000), (1000, 1000)])  # P2 and P3 share a site
    edges = set(geo.practice_adjacency(p))
    assert (2, 3) in edges
    for i in (0, 1, 4):  # P3 has exactly P2's neighbours
        assert ((min(i, 2), 2) in edges) == ((min(i, 3), 3) in edges)
    assert {(0, 2), (0, 3), (2, 4), (3, 4)} <= edges
    assert connected(5, edges)
    assert all(i < j for i, j in edges) and geo.practice_adjacency(p) == sorted(edges)


def test_adjacency_small_and_collinear_cases():
    assert geo.practice_adjacency(points(np.empty((0, 2)))) == []
    assert geo.practice_adjacency(points([(0, 0)])) == []
    assert geo.practice_adjacency(points([(0, 0), (0, 0)])) == [(0, 1)]
    assert geo.practice_adjacency(points([(0, 0), (5, 5)])) == [(0, 1)]
    assert geo.practice_adjacency(points([(7, 7)] * 3)) == [(0, 1), (0, 2), (1, 2)]
    # collinear sites become a chain along the line, whatever its direction
    assert set(geo.practice_adjacency(points([(0, 0), (2000, 0), (1000, 0)]))) == {(0, 2), (1, 2)}
    assert set(geo.practice_adjacency(points([(0, 3000), (0, 1000), (0, 2000)]))) == {(1, 2), (0, 2)}
    diag = points([(0, 0), (3000, 3000), (1000, 1000), (2000, 2000), (2000, 2000)])
    assert set(geo.practice_adjacency(diag)) == {(0, 2), (2, 3), (2, 4), (3, 4), (1, 3), (1, 4)}
    # nearly collinear (a millimetre off the line) still gives a connected graph
    nearly = points([(0, 0), (1000, 0.001), (2000, 0), (3000, 0)])
    assert connected(4, geo.practice_adjacency(nearly))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=2, max_size=25))
def test_adjacency_is_connected_and_joins_co_located_practices(coords):
    """Random small grids: many duplicates and collinear runs, the worst case for Delaunay."""
    p = points(np.asarray(coords) * 500)
    edges = set(geo.practice_adjacency(p))
    assert connected(len(p), edges)
    for i in range(len(coords)):
        for j in range(i + 1, len(coords)):
            if coords[i] == coords[j]:
                assert (i, j) in edges


def test_devon_graph_is_connected(devon):
    assert len(devon) == 116
    g = geo.practice_graph(devon)
    assert g.number_of_nodes() == 116 and nx.is_connected(g)
    assert g.nodes[0]["code"] == devon.code[0]


def test_england_graph_is_connected_and_shared_sites_are_cliques(england):
    edges = set(geo.practice_adjacency(england))
    assert connected(len(england), edges)
    _, site_of = geo.sites(england)
    assert len(set(site_of)) < len(england)  # 935 practices share a site
    for s in np.flatnonzero(np.bincount(site_of) > 1)[:50]:
        ms = np.flatnonzero(site_of == s)
        assert all((int(a), int(b)) in edges for k, a in enumerate(ms) for b in ms[k + 1:])


# ------------------------------------------------------------------ catchments


def test_catchments_cover_the_outline(devon, devon_outline):
    cells = geo.practice_catchments(devon, devon_outline)
    xy, site_of = geo.sites(devon)
    assert len(cells) == len(xy) and cells.crs.to_epsg() == 27700
    assert sorted(i for ms in cells["practices"] for i in ms) == list(range(116))
    union = shapely.union_all(cells.geometry.values)
    assert union.area == pytest.approx(devon_outline.area, rel=0.01)
    assert cells.area.sum() == pytest.approx(union.area, rel=1e-6)  # cells do not overlap
    # each site lies in its own cell (every Devon practice is inside the outline)
    assert all(shapely.covers(cells.geometry.values, shapely.points(xy)))
    assert int(cells["list_size"].sum()) == devon.population


def test_federation_polygons_one_per_federation(devon, devon_outline):
    fed = np.arange(len(devon)) % 9
    _, site_of = geo.sites(devon)
    # keep co-located practices together, as a real plan would
    fed = fed[np.unique(site_of, return_index=True)[1]][site_of]
    polys = geo.federation_polygons(devon, fed, devon_outline)
    assert list(polys["federation_id"]) == sorted(set(fed.tolist()))
    assert len(polys) == len(set(fed.tolist())) and polys.crs.to_epsg() == 27700
    assert polys.area.sum() == pytest.approx(devon_outline.area, rel=0.01)
    with pytest.raises(ValueError, match="shape"):
        geo.federation_polygons(devon, fed[:-1], devon_outline)


def test_split_site_goes_to_the_federation_with_most_patients():
    area = shapely.box(-5000, -5000, 6000, 5000)
    # P0 (1,000 patients, federation 7) shares a site with P1 (3,000, federation 3)
    p = points([(0, 0), (0, 0), (2000, 0)], sizes=[1000, 3000, 500])
    polys = geo.federation_polygons(p, [7, 3, 3], area)
    assert list(polys["federation_id"]) == [3, 7]
    f3, f7 = polys.geometry.values
    assert f3.area == pytest.approx(area.area)  # federation 3 owns both sites
    assert f7.area < 300 ** 2 * 3.2  # federation 7 is only a marker disc round its practice
    tie = geo.federation_polygons(points([(0, 0), (0, 0)]), [5, 2], area)
    assert tie.geometry.values[0].area == pytest.approx(area.area)  # a tie goes to the lowest id


@pytest.mark.parametrize("xy", [[(0, 0)], [(0, 0), (1000, 0)], [(0, 0), (3000, 0), (1000, 0), (2000, 0)],
                                [(0, 0), (0, 0), (1000, 1000)]])
def test_catchments_of_one_two_and_collinear_sites(xy):
    area = shapely.box(-5000, -5000, 8000, 5000)
    cells = geo.practice_catchments(points(xy), area)
    assert len(cells) == len({tuple(c) for c in xy})
    assert cells.area.sum() == pytest.approx(area.area)
    assert shapely.union_all(cells.geometry.values).area == pytest.approx(area.area)


# ------------------------------------------------------------------ boundaries and shape


def test_boundaries_load_in_bng():
    icb = geo.load_boundary("icb", "QJK")  # a bare string is one code
    assert len(icb) == 1 and icb.crs.to_epsg() == 27700
    assert 6.0e9 < icb.area.iloc[0] < 7.5e9  # Devon is about 6,700 km²
    assert len(geo.load_boundary("sub_icb", ["15N", "11N", "nonsense"])) == 2
    assert len(geo.load_boundary("region", ["Y58"])) == 1
    assert len(geo.load_boundary("lad", ["E07000040"])) == 1  # East Devon
    with pytest.raises(ValueError, match="sub_icb"):
        geo.load_boundary("county", ["X"])


def test_area_outline_contains_the_practices(devon, devon_outline):
    pts = shapely.points(np.c_[devon.easting, devon.northing])
    assert all(shapely.covers(devon_outline, pts))
    assert devon_outline.area == pytest.approx(geo.load_boundary("icb", ["QJK"]).area.iloc[0], rel=0.02)
    # a user file without sub-ICB codes: a buffered convex hull
    bare = points(np.c_[devon.easting, devon.northing][:10])
    hull = geo.area_outline(bare)
    assert all(shapely.covers(hull, shapely.points(np.c_[bare.easting, bare.northing])))


def test_compactness():
    square = shapely.box(0, 0, 1000, 1000)
    assert geo.polsby_popper(square) == pytest.approx(np.pi / 4)
    assert geo.convex_hull_ratio(square) == pytest.approx(1.0)
    assert geo.reock(square) == pytest.approx(2 / np.pi, rel=1e-6)
    disc = shapely.Point(0, 0).buffer(1000, quad_segs=256)
    assert geo.polsby_popper(disc) == pytest.approx(1.0, abs=1e-3)
    assert geo.reock(disc) == pytest.approx(1.0, abs=1e-3)
    thin = shapely.box(0, 0, 10_000, 100)
    assert geo.polsby_popper(thin) < 0.05 and geo.reock(thin) < 0.02
    l_shape = shapely.union(shapely.box(0, 0, 2, 1), shapely.box(0, 0, 1, 2))
    assert geo.convex_hull_ratio(l_shape) == pytest.approx(3 / 3.5)
    assert geo.polsby_popper(shapely.Polygon()) == 0.0 and geo.reock(shapely.Polygon()) == 0.0


def test_geo_does_not_import_the_optimiser_or_the_cli():
    code = ("import sys, fedplan.geo; bad = [m for m in ('fedplan.optimise', 'fedplan.reports', 'fedplan.api', "
            "'fedplan.cli', 'pulp', 'ortools') if m in sys.modules]; print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_a_planners_own_boundary_is_read_in_either_crs(tmp_path):
    import json

    import geopandas as gpd

    box = shapely.box(-4.8, 50.1, -2.8, 51.3)
    (tmp_path / "b.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(box)}]}))
    in_degrees = geo.read_boundary(tmp_path / "b.geojson")
    gpd.GeoDataFrame(geometry=[box], crs=4326).to_crs(27700).to_file(tmp_path / "b.gpkg", driver="GPKG")
    in_metres = geo.read_boundary(tmp_path / "b.gpkg")
    assert in_degrees.area == pytest.approx(in_metres.area, rel=1e-6)
    assert 130e3 * 130e3 < in_degrees.area < 145e3 * 135e3  # 2° x 1.2° at 50.7°N
    # the outline for maps is the boundary plus a margin round every practice, never smaller
    p = geo.project_practices(inputs.read_practices(DATA / "practices_small.csv"))
    assert geo.practices_outside(in_degrees, p) == []
    outline = geo.area_outline(p, in_degrees)
    assert outline.area >= in_degrees.area and outline.contains(in_degrees.buffer(-1))
    london = shapely.box(520_000, 170_000, 540_000, 190_000)
    assert len(geo.practices_outside(london, p)) == len(p)
