"""The federation problem as plain arrays, built once; no file I/O and no geometry here."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .membercost import MemberCost
from .sizecost import SizeCost


def _ro(a, dtype) -> np.ndarray:
    a = np.array(a, dtype=dtype, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class FederationProblem:
    """Partition practices into federations, one hub each, at least cost.

    ``assign_cost[i, j]`` is the annual £ cost of practice ``i`` belonging to the federation whose
    hub is practice ``j`` (the access term: patients travelling to the hub). ``allowed[i, j]``
    False forbids it (e.g. beyond the maximum distance to the hub). ``hub_cost`` is the fixed
    annual £ cost of running one federation. Population bounds apply to every federation.
    ``size_cost`` (optional) adds g(N), a cost depending on the federation's population alone
    (make-or-buy and risk); it must be tabulated from ``min_population`` to at least
    ``min(max_population, population)``. ``member_cost`` (optional) adds h(m, N) = e_m·N, a cost
    per patient that depends on the federation's number of member practices *m* (the pooled
    network incentive, ``optimise.membercost``).
    """

    codes: tuple[str, ...]
    list_size: np.ndarray
    assign_cost: np.ndarray
    hub_cost: float
    min_population: int
    max_population: int
    n_federations: int | None = None
    allowed: np.ndarray | None = None
    # like-minded practices: pairs that must share a federation / must not
    together: tuple[tuple[int, int], ...] = ()
    apart: tuple[tuple[int, int], ...] = ()
    # contiguity: when given, the members of every federation must form a connected subgraph of
    # this practice graph (pairs of practice indices, e.g. Delaunay neighbours)
    adjacency: tuple[tuple[int, int], ...] | None = None
    size_cost: SizeCost | None = None
    member_cost: MemberCost | None = None

    def __post_init__(self) -> None:
        n = len(self.codes)
        object.__setattr__(self, "list_size", _ro(self.list_size, np.int64))
        object.__setattr__(self, "assign_cost", _ro(self.assign_cost, float))
        allowed = np.ones((n, n), bool) if self.allowed is None else self.allowed
        object.__setattr__(self, "allowed", _ro(allowed, bool))
        if self.list_size.shape != (n,) or self.assign_cost.shape != (n, n):
            raise ValueError("FederationProblem arrays are not aligned with codes")
        if self.allowed.shape != (n, n):
            raise ValueError("FederationProblem.allowed must be n x n")
        if not np.all(np.isfinite(self.assign_cost[self.allowed])):
            raise ValueError("assign_cost must be finite wherever assignment is allowed")
        for name in ("together", "apart"):
            pairs = tuple(tuple(sorted((int(i), int(j)))) for i, j in getattr(self, name))
            if any(i == j or not 0 <= i < n or not 0 <= j < n for i, j in pairs):
                raise ValueError(f"FederationProblem.{name} holds a pair that is not two distinct practices")
            object.__setattr__(self, name, tuple(sorted(set(pairs))))
        if self.adjacency is not None:
            edges = tuple(sorted({tuple(sorted((int(i), int(j)))) for i, j in self.adjacency}))
            if any(i == j or not 0 <= i < n or not 0 <= j < n for i, j in edges):
                raise ValueError("FederationProblem.adjacency holds a pair that is not two distinct practices")
            object.__setattr__(self, "adjacency", edges)
            nbrs: list[set[int]] = [set() for _ in range(n)]
            for i, j in edges:
                nbrs[i].add(j)
                nbrs[j].add(i)
            object.__setattr__(self, "_neighbours", tuple(frozenset(x) for x in nbrs))
        g = self.size_cost
        if g is not None and (g.lo > self.min_population
                              or g.hi < min(self.max_population, int(self.list_size.sum()))):
            raise ValueError("FederationProblem.size_cost does not cover the population bounds")
        if self.member_cost is not None and self.member_cost.is_zero():
            object.__setattr__(self, "member_cost", None)
        if self.member_cost is not None and self.member_cost.max_members < n:
            raise ValueError("FederationProblem.member_cost needs a rate for every member count up to the practices")

    def size_term(self, populations):
        """g(N) per federation population (0 without a size cost)."""
        if self.size_cost is None:
            return np.zeros(np.shape(populations)) if np.ndim(populations) else 0.0
        return self.size_cost(populations)

    def member_term(self, members, populations):
        """h(m, N) per federation (0 without a member cost)."""
        if self.member_cost is None:
            return np.zeros(np.shape(populations)) if np.ndim(populations) else 0.0
        return self.member_cost(members, populations)

    def column_cost(self, members, hub: int) -> float:
        """Annual £ cost of one federation: fixed + access of its members to the hub + g(N) + h(m, N)."""
        ms = list(members)
        c = self.hub_cost + float(self.assign_cost[ms, hub].sum())
        N = int(self.list_size[ms].sum())
        if self.size_cost is not None:
            c += self.size_cost(N)
        if self.member_cost is not None:
            c += self.member_cost(len(ms), N)
        return c

    def cost_step(self) -> float:
        """1.0 when every plan costs a whole number (whole access and fixed costs, no size cost),
        else 0.0. With whole costs a lower bound rounds up to the next whole number, and a plan
        one below the incumbent is the best that can still improve it (the OR-Library pmedcap
        files truncate their distances to whole numbers; £ costs are not whole)."""
        if self.size_cost is not None or self.member_cost is not None or self.hub_cost != np.round(self.hub_cost):
            return 0.0
        a = self.assign_cost[self.allowed]
        return 1.0 if bool(np.all(a == np.round(a))) and float(np.abs(a).sum()) < 2.0 ** 52 else 0.0

    def size_cost_floor(self) -> float:
        """A lower bound on g over every federation size (0 without a size cost)."""
        return 0.0 if self.size_cost is None else self.size_cost.minimum()

    def groups(self) -> np.ndarray:
        """Group id per practice: practices linked by ``together`` pairs (transitively) share one."""
        parent = list(range(self.n))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i, j in self.together:
            parent[root(i)] = root(j)
        return np.array([root(i) for i in range(self.n)], dtype=np.int64)

    @property
    def n(self) -> int:
        return len(self.codes)

    @property
    def population(self) -> int:
        return int(self.list_size.sum())

    def federation_count_range(self) -> tuple[int, int]:
        """Fewest and most federations the population bounds allow (or the fixed count)."""
        if self.n_federations is not None:
            return self.n_federations, self.n_federations
        P = self.population
        lo = max(1, int(np.ceil(P / self.max_population - 1e-9)))
        hi = self.n if self.min_population <= 0 else min(self.n, int(np.floor(P / self.min_population + 1e-9)))
        return lo, hi

    def replace(self, **changes) -> "FederationProblem":
        return replace(self, **changes)

    def restrict(self, members, n_federations: int | None = None) -> "FederationProblem":
        """The same rules over some practices (positions ``members``, in that order): costs,
        permissions, pairs and adjacency inside them are kept, pairs reaching outside dropped.
        A plan of whole federations of this problem restricts to a plan of the subset, and any
        plan of the subset put back in their place keeps every rule (``optimise.branch_price.lns``)."""
        idx = np.asarray(members, dtype=np.int64)
        pos = {int(i): k for k, i in enumerate(idx)}

        def inside(pairs):
            return tuple((pos[i], pos[j]) for i, j in pairs if i in pos and j in pos)

        return replace(self, codes=tuple(self.codes[i] for i in idx), list_size=self.list_size[idx],
                       assign_cost=self.assign_cost[np.ix_(idx, idx)], allowed=self.allowed[np.ix_(idx, idx)],
                       together=inside(self.together), apart=inside(self.apart),
                       adjacency=None if self.adjacency is None else inside(self.adjacency),
                       n_federations=n_federations)

    def cost(self, assignment: np.ndarray, hubs: tuple[int, ...] | list[int]) -> float:
        """Objective of a plan under this model (the verifier recomputes it from raw data)."""
        assignment = np.asarray(assignment)
        hub_of = np.asarray(hubs)[assignment]
        total = float(self.assign_cost[np.arange(self.n), hub_of].sum() + self.hub_cost * len(hubs))
        if self.size_cost is not None:
            pops = np.bincount(assignment, weights=self.list_size, minlength=len(hubs)).astype(np.int64)
            total += float(np.sum(self.size_cost(pops)))
        if self.member_cost is not None:
            pops = np.bincount(assignment, weights=self.list_size, minlength=len(hubs)).astype(np.int64)
            counts = np.bincount(assignment, minlength=len(hubs))
            total += float(np.sum(self.member_cost(counts, pops)))
        return total

    @property
    def neighbours(self) -> tuple[frozenset[int], ...]:
        """Adjacent practices of each practice (only with ``adjacency``)."""
        return self._neighbours

    def connected(self, members) -> bool:
        """True when the members form one connected piece of ``adjacency`` (always without it)."""
        if self.adjacency is None:
            return True
        inside = set(int(i) for i in members)
        if len(inside) <= 1:
            return True
        start = next(iter(inside))
        seen, todo = {start}, [start]
        nbrs = self.neighbours
        while todo:
            for j in nbrs[todo.pop()]:
                if j in inside and j not in seen:
                    seen.add(j)
                    todo.append(j)
        return len(seen) == len(inside)

    def is_feasible(self, assignment: np.ndarray, hubs) -> bool:
        assignment = np.asarray(assignment)
        k = len(hubs)
        if assignment.shape != (self.n,) or k == 0 or assignment.min() < 0 or assignment.max() >= k:
            return False
        if self.n_federations is not None and k != self.n_federations:
            return False
        pops = np.bincount(assignment, weights=self.list_size, minlength=k)
        if np.any(pops < self.min_population) or np.any(pops > self.max_population):
            return False
        hubs = np.asarray(hubs)
        if np.any(assignment[hubs] != np.arange(k)):
            return False
        if any(assignment[i] != assignment[j] for i, j in self.together):
            return False
        if any(assignment[i] == assignment[j] for i, j in self.apart):
            return False
        if not np.all(self.allowed[np.arange(self.n), hubs[assignment]]):
            return False
        return self.adjacency is None or all(self.connected(np.flatnonzero(assignment == f)) for f in range(k))
