"""Plain oracles and instance factories shared by the tests (they share nothing with the engine but
the instance's arrays): every partition of a small instance into federations, every hub."""
from __future__ import annotations

import numpy as np

from fedplan.optimise import FederationProblem
from fedplan.optimise.sizecost import SizeCost


# -- the oracle ----------------------------------------------------------------------------------

def partitions(weights, cap: int, k_lo: int, k_hi: int):
    """Every partition of range(n) into between k_lo and k_hi blocks of weight at most ``cap``
    (restricted growth strings; a block over the cap can hold no plan, so it is not extended)."""
    n = len(weights)
    blocks: list[list[int]] = []
    loads: list[int] = []

    def rec(i: int):
        if i == n:
            if k_lo <= len(blocks) <= k_hi:
                yield [list(b) for b in blocks]
            return
        if len(blocks) + (n - i) < k_lo:
            return
        for b in range(len(blocks)):
            if loads[b] + weights[i] <= cap:
                blocks[b].append(i)
                loads[b] += weights[i]
                yield from rec(i + 1)
                blocks[b].pop()
                loads[b] -= weights[i]
        if len(blocks) < k_hi:
            blocks.append([i])
            loads.append(weights[i])
            yield from rec(i + 1)
            blocks.pop()
            loads.pop()

    yield from rec(0)


def connected(block, edges) -> bool:
    inside, seen, todo = set(block), {block[0]}, [block[0]]
    while todo:
        a = todo.pop()
        for b in inside - seen:
            if (min(a, b), max(a, b)) in edges:
                seen.add(b)
                todo.append(b)
    return seen == inside


def block_cost(p: FederationProblem, g: np.ndarray | None, g_lo: int, block) -> float:
    """Cheapest hub for one federation: fixed + access + g(population), inf if none is allowed."""
    pop = int(sum(int(p.list_size[i]) for i in block))
    if not p.min_population <= pop <= p.max_population:
        return np.inf
    size = 0.0 if g is None else float(g[pop - g_lo])
    best = np.inf
    for h in block:
        if all(p.allowed[i, h] for i in block):
            best = min(best, p.hub_cost + sum(float(p.assign_cost[i, h]) for i in block) + size)
    return best


def optimum(p: FederationProblem, g: np.ndarray | None = None, g_lo: int = 0) -> float:
    n = p.n
    k_lo, k_hi = (p.n_federations, p.n_federations) if p.n_federations is not None else (1, n)
    edges = None if p.adjacency is None else {(min(a, b), max(a, b)) for a, b in p.adjacency}
    cache: dict[tuple[int, ...], float] = {}
    best = np.inf
    for part in partitions([int(x) for x in p.list_size], p.max_population, k_lo, k_hi):
        label = {i: b for b, block in enumerate(part) for i in block}
        if any(label[i] != label[j] for i, j in p.together) or any(label[i] == label[j] for i, j in p.apart):
            continue
        total = 0.0
        for block in part:
            key = tuple(block)
            if key not in cache:
                ok = edges is None or connected(block, edges)
                cache[key] = block_cost(p, g, g_lo, block) if ok else np.inf
            total += cache[key]
            if total >= best:
                break
        best = min(best, total)
    return best


def plan_cost(p: FederationProblem, g, g_lo, assignment, hubs) -> float:
    """The plan's cost recomputed here, inf if it breaks a rule."""
    total = 0.0
    k = len(hubs)
    if p.n_federations is not None and k != p.n_federations:
        return np.inf
    edges = None if p.adjacency is None else {(min(a, b), max(a, b)) for a, b in p.adjacency}
    for f, h in enumerate(hubs):
        block = [i for i in range(p.n) if assignment[i] == f]
        if h not in block or (edges is not None and not connected(block, edges)):
            return np.inf
        pop = int(sum(int(p.list_size[i]) for i in block))
        if not p.min_population <= pop <= p.max_population or not all(p.allowed[i, h] for i in block):
            return np.inf
        total += p.hub_cost + sum(float(p.assign_cost[i, h]) for i in block)
        total += 0.0 if g is None else float(g[pop - g_lo])
    label = list(assignment)
    if any(label[i] != label[j] for i, j in p.together) or any(label[i] == label[j] for i, j in p.apart):
        return np.inf
    return total


# -- instances -----------------------------------------------------------------------------------

def cpmp(seed: int, n: int = 14, p: int = 3, fill: float = 1.03) -> FederationProblem:
    """Capacitated p-median: floor Euclidean distances, demands 1-19, capacity fill x total / p."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1000, (n, 2))
    d = np.floor(np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]))
    demand = rng.integers(1, 20, n)
    cap = int(fill * demand.sum() / p)
    return FederationProblem(tuple(str(i + 1) for i in range(n)), demand, d, 0.0, 0, cap, n_federations=p)


def federations(seed: int, n: int, rules: frozenset[str]):
    """A small federation problem in £ with the rules asked for; returns (problem, g table, g_lo)."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 30, (n, 2))
    w = rng.integers(2000, 12000, n)
    km = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    a = 0.348 * w[:, None] * km
    L = int(rng.integers(4000, 12000))
    U = int(L + rng.integers(8000, 25000))
    allowed = np.ones((n, n), bool)
    if "distance" in rules:
        allowed &= km <= np.quantile(km, 0.7)
    if "hubs" in rules:
        allowed[:, rng.random(n) < 0.4] = False
    k = None
    if "count" in rules:
        k = int(rng.integers(max(1, int(np.ceil(w.sum() / U))), max(2, int(w.sum() // L)) + 1))
    pairs = [tuple(rng.choice(n, 2, replace=False).tolist()) for _ in range(2)]
    together = (pairs[0],) if "together" in rules else ()
    apart = (pairs[1],) if "apart" in rules and set(pairs[1]) != set(pairs[0]) else ()
    adjacency = None
    if "contiguity" in rules:
        order = np.argsort(xy[:, 0])                # a path west to east, plus a few chords
        adjacency = tuple((int(order[i]), int(order[i + 1])) for i in range(n - 1))
        adjacency += tuple((int(order[i]), int(order[i + 2])) for i in range(0, n - 2, 3))
    g, g_lo = None, L
    size = None
    if "size" in rules:
        N = np.arange(L, U + 1)
        # steps (teams), a kink and a concave part, as make-or-buy and risk give
        g = 50_000.0 * np.ceil(N / 9000.0) + 3.1 * N + 400.0 * np.sqrt(N)
        size = SizeCost(L, g)
    problem = FederationProblem(tuple(f"P{i}" for i in range(n)), w, a, 120_000.0, L, U, n_federations=k,
                                allowed=allowed, together=together, apart=apart, adjacency=adjacency,
                                size_cost=size)
    return problem, g, g_lo
