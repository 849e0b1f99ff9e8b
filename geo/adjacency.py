"""Which practices neighbour which: Delaunay triangulation of the distinct practice sites.

935 English practices share a postcode (identical coordinates), which makes a triangulation of
the raw points degenerate. Practices are grouped into sites first; practices at one site are
all adjacent to each other, and to every practice at a neighbouring site.
"""
from __future__ import annotations

import itertools

import numpy as np

from inputs.model import Practices


def sites(p: Practices) -> tuple[np.ndarray, np.ndarray]:
    """(site coordinates (m × 2), site index per practice); sites rounded to the metre."""
    xy = np.round(np.c_[p.easting, p.northing], 0)
    uniq, inverse = np.unique(xy, axis=0, return_inverse=True)
    return uniq, inverse.ravel()


def site_edges(xy: np.ndarray) -> set[tuple[int, int]]:
    m = len(xy)
    if m < 2:
        return set()
    if m == 2:
        return {(0, 1)}
    centred = xy - xy.mean(axis=0)
    if np.linalg.matrix_rank(centred, tol=1e-6) < 2:
        order = np.lexsort((xy[:, 1], xy[:, 0]))       # collinear: a chain along the line
        return {tuple(sorted((int(a), int(b)))) for a, b in zip(order[:-1], order[1:])}
    from scipy.spatial import Delaunay

    tri = Delaunay(xy)
    edges = set()
    for simplex in tri.simplices:
        for a, b in itertools.combinations(simplex, 2):
            edges.add((int(min(a, b)), int(max(a, b))))
    return edges


def practice_adjacency(p: Practices) -> list[tuple[int, int]]:
    """Edges (i, j), i < j, between practice positions."""
    xy, site_of = sites(p)
    members: dict[int, list[int]] = {}
    for i, s in enumerate(site_of):
        members.setdefault(int(s), []).append(i)
    edges = set()
    for ms in members.values():
        edges.update(itertools.combinations(sorted(ms), 2))
    for a, b in site_edges(xy):
        for i in members[a]:
            for j in members[b]:
                edges.add((min(i, j), max(i, j)))
    return sorted(edges)
