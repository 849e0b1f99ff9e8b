"""Compact practice → hub assignment formulation (a capacitated facility-location model)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..problem import FederationProblem
from ..result import PROOF_TOLERANCE
from ..sizecost import SizeCost
from .linear import LinearModel


@dataclass(frozen=True)
class AssignmentModel:
    model: LinearModel
    pairs: np.ndarray          # (m, 2) array of allowed (practice i, hub j); x var index = row
    hub_var: np.ndarray        # var index of y_j (== x_jj) per practice j
    # size cost: per hub j, (segment lo, segment hi, z var, N var) for each segment of g
    seg_vars: tuple[tuple[tuple[int, int, int, int], ...], ...] = ()
    weights: np.ndarray | None = None

    def encode(self, assignment: np.ndarray, hubs) -> np.ndarray:
        """Variable values for a plan (for warm starts)."""
        x = np.zeros(self.model.n_vars)
        hub_of = np.asarray(hubs)[np.asarray(assignment)]
        lookup = {(int(i), int(j)): v for v, (i, j) in enumerate(self.pairs)}
        for i, j in enumerate(hub_of):
            x[lookup[(i, int(j))]] = 1.0
        if self.seg_vars:
            pops = np.bincount(hub_of, weights=self.weights, minlength=len(self.hub_var))
            for j in set(int(h) for h in hubs):
                for a, b, z, nv in self.seg_vars[j]:
                    if a <= round(pops[j]) <= b:
                        x[z], x[nv] = 1.0, pops[j]
                        break
        return x

    def decode(self, x: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
        """Assignment and hubs from variable values (rounded; ties cannot occur in a feasible x)."""
        x = np.asarray(x)
        n = len(self.hub_var)
        hubs = tuple(int(j) for j in range(n) if x[self.hub_var[j]] > 0.5)
        position = {j: f for f, j in enumerate(hubs)}
        assignment = np.full(n, -1, dtype=np.int64)
        best = np.full(n, -1.0)
        for v, (i, j) in enumerate(self.pairs):
            if x[v] > best[i] and j in position:
                best[i] = x[v]
                assignment[i] = position[j]
        return assignment, hubs


# the segments of the compact model may be at most this many times as many as the size cost's own
# (cut to ``sizecost.SEGMENT_TOLERANCE``): one binary per hub and segment ...
FINE_SEGMENTS_FACTOR = 4
# ... unless the fine pieces need at most this many hub-segment binaries in all: a curved risk
# term needs many more fine pieces, and a small model can afford them (50 binaries per practice
# on a 7-practice test cost CBC under a second; Devon's 116 hubs never take this path)
FINE_SEGMENT_BINARIES = 5_000


def _segments(problem: FederationProblem):
    """g's affine pieces, each under g by at most a share of the proof tolerance over the
    federations a plan can have (so a proof to the penny is possible), unless that takes more than
    ``FINE_SEGMENTS_FACTOR`` times the usual pieces; then the usual ones (£0.25 each at most:
    the plan is then reported with the gap that leaves)."""
    g = problem.size_cost
    fine = SizeCost(g.lo, g.values, tol=PROOF_TOLERANCE / (2 * max(1, problem.federation_count_range()[1])))
    hubs = int(np.count_nonzero(np.diag(problem.allowed)))
    small = hubs * len(fine.segments) <= FINE_SEGMENT_BINARIES
    return fine.segments if small or len(fine.segments) <= FINE_SEGMENTS_FACTOR * len(g.segments) + 8 else g.segments


def build_assignment_model(problem: FederationProblem) -> AssignmentModel:
    r"""Build the compact assignment MIP.

    Variables: :math:`x_{ij} \in \{0,1\}` practice *i* belongs to the federation hosted at *j*;
    :math:`y_j = x_{jj}` practice *j* is a hub (a hub belongs to its own federation).

    .. math::

        \min \; \sum_{i,j} a_{ij} x_{ij} + F \sum_j y_j

        \text{s.t.}\quad \sum_j x_{ij} = 1 \quad \forall i

        x_{ij} \le y_j \quad \forall i \ne j

        L\,y_j \le \sum_i w_i x_{ij} \le U\,y_j \quad \forall j

        \sum_j y_j = k \quad \text{(only when the number of federations is fixed)}

        \lceil P/U \rceil \le \sum_j y_j \le \lfloor P/L \rfloor \quad \text{(valid, tightens the LP)}

    with :math:`a_{ij}` the access cost, *F* the fixed cost per federation, :math:`w_i` list
    sizes, *P* their total, *L*/*U* the population bounds. Pairs with ``allowed[i, j]`` False are
    left out. The disaggregated :math:`x_{ij} \le y_j` rows make the LP much stronger than the
    aggregated form.

    Like-minded practices: :math:`x_{ih} = x_{kh}\;\forall h` for a together pair (i, k), and
    :math:`x_{ih} + x_{kh} \le y_h\;\forall h` for an apart pair.

    Size cost g(N) (make-or-buy and risk; ``sizecost``), on its segments
    :math:`[a_k, b_k]` with affine minorants :math:`\alpha_k + \beta_k N`: per hub, a binary
    :math:`z_{jk}` (the federation's population lies in segment *k*) and its population
    :math:`N_{jk}`, with :math:`\sum_k z_{jk} = y_j`, :math:`\sum_k N_{jk} = \sum_i w_i x_{ij}`,
    :math:`a_k z_{jk} \le N_{jk} \le b_k z_{jk}`, and cost
    :math:`\sum_k \alpha_k z_{jk} + \beta_k N_{jk}`. Exact where g is affine on a segment;
    elsewhere the model under-estimates g by at most the segment tolerance, so the solver's bound
    stays valid and the engine reports each plan at its true cost. The segments are cut finer than
    the column generation's (``_segments``) so that the bound can prove a plan to the penny.

    The member cost (``FederationProblem.member_cost``) is not in this model: ``compact`` refuses
    such a problem, and the heuristics that build this model for a hub set (``heuristics``)
    judge its plans at their true cost.
    """
    n = problem.n
    w = problem.list_size.astype(float)
    L, U = float(problem.min_population), float(problem.max_population)
    m = LinearModel(name="federations_assignment")
    # allowed[j, j] False means j may not host (hub candidates); it never blocks anything else
    allowed = problem.allowed.copy()
    # A practice larger than U can never be a member; one whose allowed partners cannot reach L
    # can never be a hub. Dropping those columns is exact and shrinks the model.
    reach = allowed.T.astype(float) @ w       # population that could join hub j
    can_host = (reach >= L) & (w <= U)
    pairs = np.argwhere(allowed & can_host[None, :])
    pair_var = np.empty(len(pairs), dtype=np.int64)
    hub_var = np.full(n, -1, dtype=np.int64)
    for v, (i, j) in enumerate(pairs):
        pair_var[v] = m.add_var(f"x_{i}_{j}", obj=float(problem.assign_cost[i, j]))
        if i == j:
            hub_var[j] = pair_var[v]
            m.obj[pair_var[v]] += problem.hub_cost
    # practices that can never host keep a fixed-to-zero hub variable so decode stays uniform
    for j in np.flatnonzero(hub_var < 0):
        hub_var[j] = m.add_var(f"x_{j}_{j}", ub=0.0)
    by_practice: list[list[int]] = [[] for _ in range(n)]
    by_hub: list[list[int]] = [[] for _ in range(n)]
    for v, (i, j) in enumerate(pairs):
        by_practice[i].append(v)
        by_hub[j].append(v)
    for i in range(n):
        m.add_row(by_practice[i], np.ones(len(by_practice[i])), 1.0, 1.0, name=f"assign_{i}")
    for j in range(n):
        members = by_hub[j]
        if not members:
            continue
        y = hub_var[j]
        for v in members:
            if pairs[v][0] != j:
                m.add_row([v, y], [1.0, -1.0], hi=0.0, name=f"open_{pairs[v][0]}_{j}")
        idx = list(members)
        coef = [w[pairs[v][0]] for v in members]
        # load - L*y >= 0 and load - U*y <= 0; y's own coefficient merges with x_jj (the same var)
        lo_coef = [c - (L if v == y else 0.0) for v, c in zip(idx, coef)]
        hi_coef = [c - (U if v == y else 0.0) for v, c in zip(idx, coef)]
        m.add_row(idx, lo_coef, lo=0.0, name=f"min_pop_{j}")
        m.add_row(idx, hi_coef, hi=0.0, name=f"max_pop_{j}")
    seg_vars: list[tuple] = [() for _ in range(n)]
    if problem.size_cost is not None:
        top = min(problem.max_population, problem.population)
        segs = [(a, min(b, top), al, be) for a, b, al, be in _segments(problem) if a <= top]
        for j in range(n):
            members = by_hub[j]
            if not members:
                continue
            zs, ns, mine = [], [], []
            for k, (a, b, al, be) in enumerate(segs):
                z = m.add_var(f"z_{j}_{k}", obj=float(al))
                nv = m.add_var(f"N_{j}_{k}", ub=float(b), obj=float(be))   # integer: CP-SAT takes it
                m.add_row([nv, z], [1.0, -float(a)], lo=0.0, name=f"seg_lo_{j}_{k}")
                m.add_row([nv, z], [1.0, -float(b)], hi=0.0, name=f"seg_hi_{j}_{k}")
                zs.append(z)
                ns.append(nv)
                mine.append((int(a), int(b), z, nv))
            m.add_row(zs + [hub_var[j]], [1.0] * len(zs) + [-1.0], 0.0, 0.0, name=f"seg_one_{j}")
            load = [w[pairs[v][0]] for v in members]
            m.add_row(ns + list(members), [1.0] * len(ns) + [-c for c in load], 0.0, 0.0, name=f"seg_pop_{j}")
            seg_vars[j] = tuple(mine)
    k_lo, k_hi = problem.federation_count_range()
    m.add_row(hub_var, np.ones(n), k_lo, k_hi, name="n_federations")
    if problem.together or problem.apart:
        var_of = {(int(i), int(j)): v for v, (i, j) in enumerate(pairs)}
        for i, k in problem.together:
            # same hub for both: x_ih = x_kh for every hub h (absent variables are zero)
            for h in range(n):
                vi, vk = var_of.get((i, h)), var_of.get((k, h))
                if vi is None and vk is None:
                    continue
                idx = [v for v in (vi, vk) if v is not None]
                coef = [1.0 if v == vi else -1.0 for v in idx]
                m.add_row(idx, coef, 0.0, 0.0, name=f"together_{i}_{k}_{h}")
        for i, k in problem.apart:
            # never both with the same hub: x_ih + x_kh <= y_h
            for h in range(n):
                vi, vk = var_of.get((i, h)), var_of.get((k, h))
                if vi is None or vk is None:
                    continue
                y = hub_var[h]
                if y in (vi, vk):
                    m.add_row([vi, vk], [1.0, 1.0], hi=1.0, name=f"apart_{i}_{k}_{h}")
                else:
                    m.add_row([vi, vk, y], [1.0, 1.0, -1.0], hi=0.0, name=f"apart_{i}_{k}_{h}")
    return AssignmentModel(model=m, pairs=pairs, hub_var=hub_var,
                           seg_vars=tuple(seg_vars) if problem.size_cost is not None else (),
                           weights=w)
