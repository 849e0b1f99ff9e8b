"""Which practices neighbour which: a Delaunay triangulation of the distinct practice sites.

The graph is what contiguity constraints run on, so it must be connected whenever there are two
or more sites. Plain Delaunay of sites, no pruning of long edges: pruning would need a scale
parameter per area and could disconnect rural areas, and the optimiser's cost terms already
discourage federations that span long edges.

935 English practices share a postcode with another practice (identical coordinates), which
makes a triangulation of the raw points degenerate. Practices are therefore grouped into *sites*
first; practices at one site are all adjacent to each other and to every practice at a
neighbouring site.
"""
from __future__ import annotations

import itertools

import numpy as np

from fedplan.inputs.model import Practices


def sites(p: Practices) -> tuple[np.ndarray, np.ndarray]:
    """Distinct practice locations.

    Returns (site coordinates, an m × 2 array of easting/northing; the site index of each
    practice, length n). Coordinates are rounded to the metre before grouping because Code-Point
    Open positions are whole metres; a float round trip through lat/lon must not split a site.
    """
    xy = np.round(np.c_[np.asarray(p.easting, float), np.asarray(p.northing, float)], 0).reshape(-1, 2)
    if np.isnan(xy).any():
        raise ValueError("practices need easting/northing: call geo.project_practices first")
    uniq, inverse = np.unique(xy, axis=0, return_inverse=True)
    return uniq, np.asarray(inverse).ravel()


def _chain(xy: np.ndarray, axis: np.ndarray) -> set[tuple[int, int]]:
    """Sites joined in order along ``axis``: the neighbour graph of points on a line."""
    along = (xy - xy.mean(axis=0)) @ axis
    order = np.lexsort((xy[:, 1], xy[:, 0], along))  # ties broken by coordinates: deterministic
    return {(int(min(a, b)), int(max(a, b))) for a, b in zip(order[:-1], order[1:])}


def _connect(edges: set[tuple[int, int]], xy: np.ndarray) -> set[tuple[int, int]]:
    """Add the shortest links needed to make the site graph connected.

    Delaunay is connected in theory; this is a safety net for sites Qhull drops as numerically
    coplanar. It does nothing in the normal case.
    """
    m = len(xy)
    parent = list(range(m))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in edges:
        parent[find(a)] = find(b)
    roots = {find(a) for a in range(m)}
    if len(roots) <= 1:
        return edges
    from scipy.spatial.distance import cdist

    edges = set(edges)
    while True:
        comp = np.array([find(a) for a in range(m)])
        inside = np.flatnonzero(comp == comp[0])
        outside = np.flatnonzero(comp != comp[0])
        if not len(outside):
            return edges
        d = cdist(xy[inside], xy[outside])
        i, j = np.unravel_index(int(np.argmin(d)), d.shape)
        a, b = int(inside[i]), int(outside[j])
        edges.add((min(a, b), max(a, b)))
        parent[find(a)] = find(b)


def site_edges(xy: np.ndarray) -> set[tuple[int, int]]:
    """Edges (a, b), a < b, of the Delaunay triangulation of distinct sites ``xy`` (m × 2).

    m = 1 gives no edge, m = 2 one edge. Collinear (or numerically collinear) sites have no
    triangulation, so they are chained in order along their line.
    """
    xy = np.asarray(xy, float)
    m = len(xy)
    if m < 2:
        return set()
    if m == 2:
        return {(0, 1)}
    _, s, vt = np.linalg.svd(xy - xy.mean(axis=0), full_matrices=False)
    # relative test: the spread across the best-fit line is negligible next to the spread along it
    if s[1] <= 1e-9 * s[0]:
        return _chain(xy, vt[0])
    from scipy.spatial import Delaunay, QhullError

    try:
        tri = Delaunay(xy)
    except QhullError:  # flat initial simplex: nearly collinear beyond the test above
        return _chain(xy, vt[0])
    edges = set()
    for simplex in tri.simplices:
        for a, b in itertools.combinations(simplex, 2):
            edges.add((int(min(a, b)), int(max(a, b))))
    # sites Qhull left out of every triangle (numerically coplanar) join their nearest vertex
    for point, _simplex, vertex in tri.coplanar:
        edges.add((int(min(point, vertex)), int(max(point, vertex))))
    return _connect(edges, xy)


def practice_adjacency(p: Practices) -> list[tuple[int, int]]:
    """Edges (i, j), i < j, between practice positions, sorted.

    Practices at one site are pairwise adjacent; every practice at a site is adjacent to every
    practice at each Delaunay-neighbouring site. The graph is connected for n ≥ 2.
    """
    xy, site_of = sites(p)
    members: dict[int, list[int]] = {}
    for i, s in enumerate(site_of):
        members.setdefault(int(s), []).append(i)
    edges: set[tuple[int, int]] = set()
    for ms in members.values():
        edges.update(itertools.combinations(sorted(ms), 2))
    for a, b in site_edges(xy):
        for i in members[a]:
            for j in members[b]:
                edges.add((min(i, j), max(i, j)))
    return sorted(edges)


def practice_graph(p: Practices):
    """``practice_adjacency`` as a networkx Graph on nodes 0..n-1 (node attribute ``code``)."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from((i, {"code": c}) for i, c in enumerate(p.code))
    g.add_edges_from(practice_adjacency(p))
    return g
