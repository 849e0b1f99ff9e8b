"""Geography: projection, distances, adjacency with co-located practices, catchments."""
from __future__ import annotations

import numpy as np
import pytest

import geo
import inputs
from inputs.model import AreaSpec, Practices


@pytest.fixture(scope="module")
def devon():
    return geo.project_practices(inputs.select_area(inputs.load_national_practices(), AreaSpec()))


def points(xy_m) -> Practices:
    xy = np.asarray(xy_m, float)
    n = len(xy)
    return Practices(source="t", code=tuple(f"P{i}" for i in range(n)), list_size=np.full(n, 1000),
                     lat=np.full(n, np.nan), lon=np.full(n, np.nan), easting=xy[:, 0], northing=xy[:, 1])


def test_projection_round_trip_matches_published_grid(devon):
    nat = inputs.load_national_practices()
    latlon_only = nat.subset(np.arange(50)).replace(easting=np.full(50, np.nan), northing=np.full(50, np.nan))
    projected = geo.project_practices(latlon_only)
    err = np.hypot(projected.easting - nat.easting[:50], projected.northing - nat.northing[:50])
    assert err.max() < 10  # metres: the shipped lat/lon were made from these grid references
    lon, lat = geo.to_wgs84(*geo.to_bng(nat.lon[:5], nat.lat[:5]))
    assert np.allclose(lat, nat.lat[:5], atol=1e-7) and np.allclose(lon, nat.lon[:5], atol=1e-7)


def test_distances(devon):
    d = geo.distance_km(devon)
    assert d.shape == (116, 116) and np.allclose(d, d.T) and np.all(np.diag(d) == 0)
    assert 90 < d.max() < 200  # the two furthest Devon practices are about 110 km apart


def test_adjacency_copes_with_shared_sites_and_lines():
    p = points([(0, 0), (1000, 0), (0, 1000), (0, 1000), (1000, 1000)])  # P2 and P3 share a site
    edges = set(geo.practice_adjacency(p))
    assert (2, 3) in edges
    assert {(0, 2), (0, 3)} <= edges or {(1, 2), (1, 3)} <= edges  # P3 inherits P2's neighbours
    line = set(geo.practice_adjacency(points([(0, 0), (2000, 0), (1000, 0)])))
    assert line == {(0, 2), (1, 2)}
    assert geo.practice_adjacency(points([(0, 0)])) == []
    assert geo.practice_adjacency(points([(0, 0), (0, 0)])) == [(0, 1)]


def test_devon_graph_is_connected(devon):
    import networkx as nx

    g = nx.Graph(geo.practice_adjacency(devon))
    g.add_nodes_from(range(len(devon)))
    assert nx.is_connected(g)


def test_catchments_cover_the_area_and_dissolve_per_federation(devon):
    outline = geo.area_outline(devon)
    cells = geo.practice_catchments(devon, outline)
    assert len(cells) == len(geo.sites(devon)[0])
    assert cells.area.sum() == pytest.approx(outline.area, rel=0.01)
    fed = np.arange(len(devon)) % 9
    polys = geo.federation_polygons(devon, fed, outline)
    assert sorted(polys["federation_id"]) == list(range(9))
    assert polys.area.sum() == pytest.approx(outline.area, rel=0.01)
    assert polys.crs.to_epsg() == 27700


def test_boundaries_and_compactness(devon):
    icb = geo.load_boundary("icb", ["QJK"])
    assert len(icb) == 1 and icb.crs.to_epsg() == 27700
    import shapely

    square = shapely.box(0, 0, 1000, 1000)
    assert geo.polsby_popper(square) == pytest.approx(np.pi / 4)
    assert geo.convex_hull_ratio(square) == pytest.approx(1.0)
    assert geo.reock(square) == pytest.approx(2 / np.pi, rel=1e-6)
