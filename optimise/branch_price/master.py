r"""The restricted master LPs of branch and price: the root's (``Master``) and the tree's
(``NodeMaster``), over a pool of columns, through ``optimise.master_lp`` (HiGHS, or GLOP).

**Master.** A column *c* is a federation: a member set :math:`S_c` and a hub :math:`h_c \in S_c` with
:math:`L \le w(S_c) \le U` and ``allowed[i, h_c]`` for every member; cost
:math:`c_c = F + \sum_{i \in S_c} a_{i h_c}` (plus g of its population with a size cost, and
:math:`e_m N` of its member count *m* and population *N* with a member cost). The
problem is exactly the set-partitioning IP

.. math::

    \min \sum_c c_c \lambda_c \;\text{s.t.}\; \sum_{c \ni i} \lambda_c = 1 \;(\pi_i),\quad
    k_{lo} \le \sum_c \lambda_c \le k_{cap} \;(\mu),\quad \lambda \in \{0, 1\}.

:math:`[k_{lo}, k_{hi}]` is ``federation_count_range()`` (a single *k* when fixed). When every
allowed access cost is >= 0 and *F* > 0, a plan with *k* federations costs at least *kF*, so plans
no dearer than the incumbent *UB* have :math:`k \le k_{cap} = \lfloor UB/F \rfloor` (capped to
:math:`[k_{lo}, k_{hi}]`, ``bounds.count_cap``); the optimum is such a plan, so the cap loses
nothing that matters. Subset-row cuts (``cuts``) are rows of this LP too.

The node master carries an artificial column per practice and a slack on the count row, cost *M*,
so every node LP is feasible; an infeasible node shows up as an LP value of at least *M* >
incumbent and is pruned. It switches columns off and on for each node's branching rules
(``NodeMaster.restrict``) and retires columns at zero that price far from the LP (pricing brings
back any a node needs).
"""
from __future__ import annotations

import numpy as np

from ..master_lp import INF, make_lp
from ..problem import FederationProblem


def covering_suffices(problem: FederationProblem) -> bool:
    """Whether the root may first cover practices (rows >= 1) instead of partitioning them (= 1).

    True when every column stays a column, no dearer, after dropping any member but its hub: no
    population floor, no size cost, no contiguity, no must-link pairs, no negative access cost
    (the capacitated p-median problem). A member cost is no obstacle: dropping a member lowers
    both the rate (nondecreasing in the count) and the population it applies to. Then the covering LP is the partitioning LP with the dual
    constraints "every practice's dual >= 0" added, which cut off few optimal dual solutions: only
    an over-covered practice that is the hub of every column holding it cannot leave one of them
    (dual-optimal inequalities, Ben Amor, Desrosiers and Valério de Carvalho, Operations Research
    54(3), 2006). Why: those masters are very degenerate, and with free duals the root LP of a
    402-point CPMP (sjc402_02) sat at the start plan's value for 23 rounds and converged in 108
    rounds and 27 s; covering first, in 66 rounds and 6 s. The root then sets the rows back to
    = 1 and prices on from the covering LP's basis (``root.RootLP.phase2``), so the bound is the
    partitioning LP's."""
    p = problem
    return (p.min_population <= 0 and p.size_cost is None and p.adjacency is None and not p.together
            and bool((p.assign_cost[p.allowed] >= 0).all()))


class Master:
    """Set-partitioning LP over the column pool, with artificial singletons for phase 1.

    ``cover``: practice rows >= 1 until ``partition`` (``covering_suffices``). ``vars[j]`` is the LP
    column of pool column ``j`` (``master_lp``: HiGHS when importable)."""

    def __init__(self, n: int, k_lo: int, k_cap: int, backend: str | None = None, cover: bool = False):
        self.lp = make_lp(backend)
        self.n = n
        self.cover = cover
        for _ in range(n):
            self.lp.add_row(1.0, INF if cover else 1.0)
        self.count_row = self.lp.add_row(float(k_lo), float(k_cap))
        self.vars: list[int] = []
        self.members: list[tuple[int, ...]] = []
        self.hubs: list[int] = []
        self.costs: list[float] = []
        self.index: dict[tuple[tuple[int, ...], int], int] = {}
        self.art: list[int] = []
        self.phase1 = False
        self.cut_rows: list[int] = []
        self.cut_sets: list[tuple[int, int, int]] = []
        self.retired: set[int] = set()
        self.sigma = np.zeros(0)
        self._values = np.zeros(0)       # every LP column's value at the last solve

    def add(self, members, hub: int, cost: float) -> bool:
        """Add a column; False when it is already there (a retired one is switched back on)."""
        key = (tuple(sorted(int(i) for i in members)), int(hub))
        if key in self.index:
            j = self.index[key]
            if j in self.retired:
                self.retired.discard(j)
                self.lp.set_upper([self.vars[j]], INF)
                self._switched_on(j)
                return True
            return False
        rows = list(key[0])
        rows.append(self.count_row)
        if self.cut_rows:
            S = set(key[0])
            for row, R in zip(self.cut_rows, self.cut_sets):
                if (R[0] in S) + (R[1] in S) + (R[2] in S) >= 2:
                    rows.append(row)
        self.index[key] = len(self.vars)
        self.vars.append(self.lp.add_cols([0.0 if self.phase1 else float(cost)], [rows]))
        self.members.append(key[0])
        self.hubs.append(key[1])
        self.costs.append(float(cost))
        return True

    def _switched_on(self, j: int) -> None:
        """Hook: retired column ``j`` was priced again and is back on."""

    def start_phase1(self) -> None:
        """Artificial singleton per practice (cost 1, outside the count row) and an artificial
        surplus and slack on the count row (cost 1 each); real columns cost 0.

        The count row keeps its bounds [k_lo, k_cap]: a zero phase-1 value then means a fractional
        cover by real columns whose number is in range. (Relaxing the row to [0, k_cap] instead,
        as an earlier version did, let phase 1 end on a cover of too few columns, and phase 2's
        master was then infeasible: a fixed number of federations failed with "master LP failed".)
        """
        self.phase1 = True
        self.lp.set_costs(self.vars, np.zeros(len(self.vars)))
        first = self.lp.add_cols(np.ones(self.n), [[i] for i in range(self.n)])
        self.art.extend(range(first, first + self.n))
        first = self.lp.add_cols([1.0, 1.0], [[self.count_row], [self.count_row]], [[1.0], [-1.0]])
        self.art.extend([first, first + 1])

    def end_phase1(self) -> None:
        self.phase1 = False
        self.lp.set_upper(self.art, 0.0)
        self.lp.set_costs(self.art, np.zeros(len(self.art)))
        self.lp.set_costs(self.vars, self.costs)

    def partition(self) -> None:
        """Practice rows back to = 1 after covering (``covering_suffices``)."""
        if self.cover:
            for i in range(self.n):
                self.lp.set_row_bounds(i, 1.0, 1.0)
            self.cover = False

    def set_count(self, k_lo: int, k_cap: int) -> None:
        self.lp.set_row_bounds(self.count_row, float(k_lo), float(k_cap))

    def live(self) -> int:
        return len(self.vars) - len(self.retired)

    def retire(self, pi: np.ndarray, mu: float, x: np.ndarray, keep: int) -> int:
        """Switch off (upper bound 0, so the warm start survives) the columns at zero in the LP
        beyond the ``keep`` of least reduced cost; returns how many. Pricing brings back any that
        the LP needs again (``add`` switches them on), so the LP's value is unaffected; a simplex
        works on every column that is not fixed, and on a 509-practice ICB the master had grown
        to 20,000 columns taking 2/3 of the root's time."""
        # columns added since the solve that gave x are not candidates: they price out negative
        cand = np.array([j for j in range(len(x)) if j not in self.retired and x[j] <= 1e-9], np.int64)
        if len(cand) <= keep:
            return 0
        rc = np.array([self.costs[j] - pi[list(self.members[j])].sum() for j in cand]) - mu
        drop = cand[np.argsort(rc, kind="stable")[keep:]]
        self.lp.set_upper([self.vars[j] for j in drop.tolist()], 0.0)
        self.retired.update(drop.tolist())
        return len(drop)

    def add_cut(self, R: tuple[int, int, int]) -> None:
        """Subset-row cut on practices R: sum over columns holding two or more of them <= 1."""
        Rs = set(R)
        cols = [v for v, S in zip(self.vars, self.members) if len(Rs.intersection(S)) >= 2]
        self.cut_rows.append(self.lp.add_row(-INF, 1.0, cols))
        self.cut_sets.append(tuple(int(i) for i in R))

    def solve(self):
        """(status ok, objective, pi, mu, primal values); cut duals (<= 0) in ``self.sigma``."""
        ok, z, duals, values = self.lp.solve()
        if not ok:
            return False, None, None, None, None
        self._values = values
        x = values[np.asarray(self.vars, dtype=np.int64)] if self.vars else np.zeros(0)
        self.sigma = np.minimum(0.0, duals[np.asarray(self.cut_rows, dtype=np.int64)]) if self.cut_rows \
            else np.zeros(0)
        return True, z, duals[:self.n].copy(), float(duals[self.count_row]), x


class NodeMaster(Master):
    """The set-partitioning LP with big-M artificials, and columns switched on and off per node."""

    def __init__(self, n: int, k_lo: int, k_cap: int, big_m: float):
        super().__init__(n, k_lo, k_cap)
        first = self.lp.add_cols(np.full(n + 1, big_m), [[i] for i in range(n)] + [[self.count_row]])
        self.art.extend(range(first, first + n))
        self.slack = first + n
        self.off = np.zeros(0, bool)
        # ``retired`` as a mask: this master retires only through ``retire_at`` and brings columns
        # back only through ``_switched_on`` (the root's ``retire`` runs before it exists)
        self._retired_mask = np.zeros(0, bool)
        self._entries: list[int] = []
        self._owner: list[int] = []
        self._csr: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def _switched_on(self, j: int) -> None:
        # priced again under some node's rules, so allowed by them
        self.off[j] = False
        self._retired_mask[j] = False

    def add(self, members, hub: int, cost: float) -> bool:
        before = len(self.vars)
        if not super().add(members, hub, cost):
            return False
        if len(self.vars) == before:       # a retired column switched back on
            return True
        j = before
        self._entries.extend(self.members[j])
        self._owner.extend([j] * len(self.members[j]))
        self.off = np.append(self.off, False)
        self._retired_mask = np.append(self._retired_mask, False)
        self._csr = None
        return True

    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(member practice, owning column, hub of that column) per membership entry."""
        if self._csr is None or len(self._csr[0]) != len(self._entries):
            owner = np.asarray(self._owner, dtype=np.int64)
            hubs = np.asarray(self.hubs, dtype=np.int64)
            entries = np.asarray(self._entries, dtype=np.int64)
            self._csr = (entries, owner, hubs[owner])
            # the entries' positions in a flattened n x n pair mask, the columns' hubs and LP ids:
            # restrict reads them some 25 times a node (strong branching), on 402-point CPMPs
            # over ~800,000 entries; rebuilt there each time they took 5 % of the run
            self._by_pair = (entries * self.n + hubs[owner], hubs, np.asarray(self.vars, dtype=np.int64))
        return self._csr

    def restrict(self, ok: np.ndarray, forced: np.ndarray | None) -> None:
        """Switch off every column that breaks the node's rules; switch the rest back on."""
        m = len(self.vars)
        if m == 0:
            return
        _, owner, _ = self.csr()
        flat, hubs, cols = self._by_pair
        bad = self._retired_mask.copy()
        bad[owner[~ok.ravel().take(flat)]] = True
        if forced is not None:
            need = forced.sum(axis=0)
            have = np.bincount(owner[forced.ravel().take(flat)], minlength=m)
            bad |= have < need[hubs]
        change = bad != self.off
        self.lp.set_upper(cols[change & bad], 0.0)
        self.lp.set_upper(cols[change & ~bad], INF)
        self.off = bad

    def reduced_costs(self, pi: np.ndarray, mu: float, sigma: np.ndarray) -> np.ndarray:
        """Every column's reduced cost at duals (pi, mu) and cut duals ``sigma`` (<= 0)."""
        entries, owner, _ = self.csr()
        m = len(self.vars)
        rc = np.asarray(self.costs) - np.bincount(owner, weights=pi[entries], minlength=m) - mu
        sigma = np.asarray(sigma, float)[:len(self.cut_sets)]
        if len(sigma) and np.any(sigma < 0):
            sets = np.asarray(self.cut_sets, dtype=np.int64)
            for c in np.flatnonzero(sigma < 0):
                inside = np.zeros(self.n)
                inside[sets[c]] = 1.0
                rc -= sigma[c] * (np.bincount(owner, weights=inside[entries], minlength=m) >= 2)
        return rc

    def retire_at(self, pi: np.ndarray, mu: float, sigma: np.ndarray, x: np.ndarray, keep: int) -> int:
        """Switch off the columns at zero in ``x`` beyond the ``keep`` of least reduced cost (cut
        penalties included), as the root master does: the simplex works on every column that is
        not fixed (GLOP's warm re-solve took 24 ms at 1,000 columns and 177 ms at 10,000 in a
        synthetic test). Pricing switches back on any a later node needs; returns how many.
        Called between nodes only: between pricing rounds the same columns came straight back
        (and on a 402-point CPMP node, retiring past 4 times the keep made it run 780 rounds
        instead of 123)."""
        on = np.flatnonzero(~self.off[:len(x)] & (x <= 1e-9))
        if len(on) <= keep:
            return 0
        rc = self.reduced_costs(pi, mu, sigma)
        drop = on[np.argsort(rc[on], kind="stable")[keep:]]
        self.lp.set_upper(np.asarray(self.vars, dtype=np.int64)[drop], 0.0)
        self.retired.update(drop.tolist())
        self.off[drop] = True
        self._retired_mask[drop] = True
        return len(drop)

    def set_big_m(self, big_m: float) -> None:
        self.lp.set_costs(self.art + [self.slack], np.full(len(self.art) + 1, big_m))

    def assignment_weights(self, x: np.ndarray) -> np.ndarray:
        """x[i, h]: the LP's weight of practice i on hub h."""
        entries, owner, hub = self.csr()
        X = np.zeros((self.n, self.n))
        np.add.at(X, (entries, hub), x[owner])
        return X

    def artificial_mass(self) -> float:
        return float(self._values[self.art].sum() + self._values[self.slack])
