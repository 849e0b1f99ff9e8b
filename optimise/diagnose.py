"""Explain, in words, why no plan can meet the rules, before any solver runs."""
from __future__ import annotations

import numpy as np

from .problem import FederationProblem


def _fmt(n: float) -> str:
    return f"{int(round(n)):,}"


def _names(problem: FederationProblem, idx, names: tuple[str, ...] | None, limit: int = 8) -> str:
    idx = list(idx)
    label = [f"{problem.codes[i]}" + (f" ({names[i]})" if names and names[i] else "") for i in idx[:limit]]
    more = f" and {len(idx) - limit} more" if len(idx) > limit else ""
    return ", ".join(label) + more


def diagnose(problem: FederationProblem, names: tuple[str, ...] | None = None,
             group_label: str = "the selected area") -> list[str]:
    """Reasons the problem is certainly infeasible (empty list: no obvious reason).

    Checks the necessary conditions a planner can act on: the total population against the
    bounds, a practice too large for any federation, the number of federations, and practices
    whose allowed partners (distance limits, nesting) cannot reach the minimum.
    """
    L, U = problem.min_population, problem.max_population
    w = problem.list_size
    P = int(w.sum())
    out: list[str] = []
    big = np.flatnonzero(w > U)
    if len(big):
        out.append(
            f"{_names(problem, big, names)} alone {'has' if len(big) == 1 else 'have'} more patients "
            f"({', '.join(_fmt(w[i]) for i in big[:8])}) than the maximum federation size {_fmt(U)}; "
            "raise [bounds] max_population, or leave the practice out ([area] exclude, or --exclude CODE).")
    if P < L:
        out.append(
            f"{group_label} has {len(w)} practice(s) totalling {_fmt(P)} patients, below the minimum "
            f"federation size {_fmt(L)}: {_names(problem, range(len(w)), names)}. No federation can be "
            "formed; lower [bounds] min_population, use soft bounds, or plan a larger area.")
        return out
    k_lo, k_hi = problem.replace(n_federations=None).federation_count_range()
    if problem.n_federations is not None:
        k = problem.n_federations
        if k > len(w):
            out.append(f"{group_label} has {len(w)} practices, too few for exactly {k} federations; "
                       "lower n_federations or leave it free.")
        elif not (k * L <= P <= k * U):
            out.append(
                f"{group_label} totals {_fmt(P)} patients, which cannot be split into exactly {k} "
                f"federations of {_fmt(L)}-{_fmt(U)} (that needs {_fmt(k * L)}-{_fmt(k * U)}); "
                f"choose n_federations between {k_lo} and {k_hi}, or leave it free.")
    elif k_lo > k_hi:
        out.append(
            f"{group_label} totals {_fmt(P)} patients: one federation would exceed {_fmt(U)} but two "
            f"would each fall below {_fmt(L)} on average. Widen the bounds or use soft bounds.")
    allowed = problem.allowed
    # a practice's federation lives inside the set of hubs it may join and their allowed members
    # reach[j]: every practice hub j may take; a practice's best is the largest reach among its
    # hubs (vectorised: the per-practice loop was cubic, 127 s on 3,038 points)
    reach = w.astype(np.float64) @ allowed
    best = np.where(allowed, reach[None, :], 0.0).max(axis=1, initial=0.0)
    stuck = np.flatnonzero(best < L).tolist()
    if stuck:
        out.append(
            f"{_names(problem, stuck, names)} cannot reach a federation of {_fmt(L)} patients with the "
            "practices they are allowed to join (distance limit, nesting or hub candidates); relax "
            "max_distance_km or nest_within, add hub candidates near them, or use soft bounds.")
    if not stuck and problem.adjacency is not None:
        out.extend(_contiguity_reasons(problem, names))
    out.extend(_link_reasons(problem, names))
    return out


def _contiguity_reasons(problem: FederationProblem, names) -> list[str]:
    """Under contiguity a federation with hub j lies in the piece of the adjacency graph, among
    the practices allowed to join j, that contains j: a practice whose every such piece is below
    the minimum cannot be placed."""
    L, w, n = problem.min_population, problem.list_size, problem.n
    nbrs: list[list[int]] = [[] for _ in range(n)]
    for i, j in problem.adjacency:
        nbrs[i].append(j)
        nbrs[j].append(i)
    best = np.zeros(n, dtype=np.int64)
    for h in range(n):
        if not problem.allowed[h, h]:
            continue
        ok = problem.allowed[:, h]
        seen, todo = {h}, [h]
        while todo:
            for j in nbrs[todo.pop()]:
                if ok[j] and j not in seen:
                    seen.add(j)
                    todo.append(j)
        piece = list(seen)
        pop = int(w[piece].sum())
        best[piece] = np.maximum(best[piece], pop)
    stuck = np.flatnonzero(best < L)
    if not len(stuck):
        return []
    return [f"under contiguity, {_names(problem, stuck, names)} can only join connected groups of at most "
            f"{_fmt(best[stuck].max())} patients (the practices they may share a hub with, linked through "
            f"neighbouring practices); no federation of {_fmt(L)} can include them. Allow soft bounds, "
            "nest at a wider level, or relax max_distance_km."]


def _link_reasons(problem: FederationProblem, names) -> list[str]:
    """Together-groups too large, or asked to be apart from themselves."""
    if not problem.together and not problem.apart:
        return []
    out = []
    g = problem.groups()
    w = problem.list_size
    for root in np.unique(g):
        members = np.flatnonzero(g == root)
        if len(members) > 1 and w[members].sum() > problem.max_population:
            out.append(f"{_names(problem, members, names)} must share a federation (together pairs) but total "
                       f"{_fmt(w[members].sum())} patients, above the maximum {_fmt(problem.max_population)}; "
                       "remove a together pair or raise max_population.")
        if len(members) > 1:
            hubs = [h for h in range(problem.n) if problem.allowed[members, h].all()]
            if not hubs:
                out.append(f"{_names(problem, members, names)} must share a federation (together pairs) but no "
                           "practice may host all of them (distance limit, nesting or hub candidates).")
    for i, j in problem.apart:
        if g[i] == g[j]:
            out.append(f"{_names(problem, [i, j], names)} are asked to be apart, but together pairs put them in "
                       "the same federation; drop one of the pairs.")
    return out
