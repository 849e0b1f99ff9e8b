r"""Subset-row cuts at the root: separating violated ones (``separate_subset_rows``) and the
policy of when to add a round of them (``CutRounds``).

For three practices *R*, at most one federation of a plan can hold two of them (each practice is
in exactly one federation), so

.. math::  \sum_c [\,|S_c \cap R| \ge 2\,]\, \lambda_c \le 1

holds for every plan; the fractional master violates many of them (federations packed to the
100,000 ceiling overlap in odd cycles). Their duals :math:`\sigma_R \le 0` become penalties in
pricing: a column pays :math:`-\sigma_R` once it holds two practices of *R*. The knapsack search
tracks the counts; its relaxation ignores penalties (they only lower profit), so it stays an upper
bound and pricing stays exact. For every plan :math:`\sum_R \sigma_R\,\mathrm{lhs}_R \ge \sum_R
\sigma_R`, so the Lagrangian bound becomes :math:`\sum_i\pi_i + \sum_R\sigma_R + \min_k k(\mu + r)`
and the enumeration window shrinks by the same term. Cuts are separated at the root until two
rounds raise the LP by under ``CutParams.min_gain`` of its value, ``CutParams.budget`` cuts are in
(120 for a limit up to 60 s, rising to 300 from 150 s: a long run's many nodes profit from the
higher bound, a short run's few pay for the slower pricing), or the rounds have had
``CutParams.share`` of the limit, and kept (they are valid everywhere) in the tree. Because
penalties slow the exact search, each round first tries a short search per hub and runs the exact
one only when that finds nothing (``node``).
"""
from __future__ import annotations

import numpy as np

from .columns import plan_columns
from .state import TreeState


class CutRounds:
    """The root's cut rounds: how many so far (``rounds``), the LP values they saw, and whether
    another is due (``add``)."""

    def __init__(self, tree: TreeState):
        self.tree = tree
        self.params = tree.params.cuts
        self.rounds = 0
        self.history: list[float] = []
        self.started: float | None = None

    def add(self, x: np.ndarray, z: float) -> bool:
        """Separate violated subset-row cuts on three practices at the root; False when done
        (none violated, the cut budget spent, or the LP no longer rising)."""
        tree, s, params = self.tree, self.tree.search, self.params
        m = tree.master
        if tree.problem.adjacency is not None:
            # under contiguity the connected column search cannot use its greedy growth with cut
            # penalties, and exact searches with both slow every node to minutes (measured on
            # Devon): no cuts there
            return False
        self.history.append(z)
        gain = self.history[-1] - self.history[-3] if len(self.history) >= 3 else np.inf
        # cuts slow every later pricing round: stop when two rounds raised the LP by under
        # ``min_gain`` of its value
        if self.started is None:
            self.started = s.clock.used()
        # and when they have had their share of the limit
        late = self.rounds > 0 and s.clock.used() - self.started > params.share * s.clock.limit
        # and not while the plan is far above the LP: a cut moves the bound by tenths of a
        # percent, and on 3,038 points (plan 31 % above the LP) two rounds took 50 s the region
        # re-solves then lacked (Devon, Greater Manchester and the CPMPs cut at gaps of 1-4 %)
        far = tree.far_above(z)
        if (self.rounds >= params.max_rounds or len(m.cut_sets) >= params.budget(s.clock.limit)
                or s.left() <= 0
                or gain < params.min_gain * abs(z) or late or far):
            return False
        found = separate_subset_rows(m.members, x, tree.problem.n, set(m.cut_sets), params.per_round)
        if not found:
            return False
        if s.plan is not None:
            # the incumbent's columns meet every cut, so the LP with cuts stays feasible on real
            # columns. Without them the first cut round of u_sjc402_02 (root covered first: fewer
            # spare columns) left only the big-M artificials, LP £107,168 against £35,988, and
            # re-priced for 44 s
            for S, h, c in plan_columns(tree.problem, s.plan):
                m.add(S, h, c)
        for R in found:
            m.add_cut(R)
        self.rounds += 1
        tree.stats.cut_rounds, tree.stats.cuts = self.rounds, len(m.cut_sets)
        s.log(f"root: LP £{z:,.2f}; +{len(found)} subset-row cuts ({len(m.cut_sets)})")
        return True


def separate_subset_rows(members: list[tuple[int, ...]], x: np.ndarray, n: int, existing: set,
                         limit: int, eps: float = 1e-3) -> list[tuple[int, int, int]]:
    """Most violated subset-row cuts on three practices R: sum of the LP weights of the columns
    holding two or more of R exceeds 1. Valid for every plan: at most one federation can hold two
    practices of R, since a practice is in exactly one federation."""
    sup = np.flatnonzero((x > 1e-6) & (x < 1 - 1e-6))
    if len(sup) < 2:
        return []
    A = np.zeros((n, len(sup)))
    for c, j in enumerate(sup):
        A[list(members[j]), c] = 1.0
    lam = x[sup]
    # [a + b + c >= 2] = ab + ac + bc - 2abc for 0/1 entries, so a triple's weight is
    # C_ij + C_ik + C_jk - 2 T_ijk with C the weighted co-occurrence. A violated triple needs two
    # columns, each holding a pair of it: only co-occurring pairs (i, j) need a scan over k (on a
    # 400-practice ICB, 5 s over all pairs before)
    C = (A * lam) @ A.T
    np.fill_diagonal(C, 0.0)
    seen: dict[tuple[int, int, int], float] = {}
    for i, j in zip(*np.nonzero(np.triu(C) > 1e-9)):
        v = C[i, j] + C[i] + C[j] - 2.0 * (A @ (A[i] * A[j] * lam))
        v[[i, j]] = 0.0
        for k in np.flatnonzero(v > 1 + eps):
            R = tuple(sorted((int(i), int(j), int(k))))
            if R not in existing:
                seen[R] = float(v[k])
    out = [(v, R) for R, v in seen.items()]
    out.sort(key=lambda t: (-t[0], t[1]))
    chosen, used = [], {}
    for v, R in out:
        # spread the cuts: at most a few per practice in one round
        if any(used.get(i, 0) >= 3 for i in R):
            continue
        chosen.append(R)
        for i in R:
            used[i] = used.get(i, 0) + 1
        if len(chosen) >= limit:
            break
    return chosen
