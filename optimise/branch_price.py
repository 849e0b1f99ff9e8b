r"""Branch and price on the set-partitioning master: closes the gap column generation leaves.

The root of ``colgen`` gives the master LP bound (about 1 % under the best plans on Devon). This
module branches on the practice-to-hub assignment implied by the master solution,

.. math::  x_{ih} = \sum_{c:\, i \in S_c,\; h_c = h} \lambda_c ,

which is complete: if every :math:`x_{ih}` is 0 or 1, each hub *h* with :math:`x_{hh} = 1` has a
fixed member set :math:`S_h = \{i : x_{ih} = 1\}`, every hub-*h* column in the support contains
all of :math:`S_h` (its weight on row *i* must equal the total weight of hub-*h* columns), so the
support is exactly one column per hub and :math:`\lambda` is integral.

Branches, both kept by the knapsack pricing as item rules:

* :math:`x_{ih} = 0`: pair (i, h) forbidden (for i = h, hub h closed).
* :math:`x_{ih} = 1`: practice i may only join hub h, and h must be its own hub; i is then a
  forced member of every hub-h column (folded into the hub: its weight shifts the population
  window, its profit lowers the threshold).

Each node solves its master LP by exact pricing under its rules. The master carries an
artificial column per practice and a slack on the count row, cost *M*, so every node LP is
feasible; an infeasible node shows up as an LP value of at least *M* > incumbent and is pruned.
The Lagrangian bound of ``colgen`` holds at every node and every round (for plans obeying the
node's rules), so a node is pruned as soon as it reaches the incumbent, before convergence.

A node whose gap is small is closed by reduced-cost enumeration under its rules (every column that
can appear in a plan cheaper than the incumbent, then the set-partitioning IP over them); the
IP's answer, or its proof that nothing is cheaper, settles the node.

Subset-row cuts (root). For three practices *R*, at most one federation of a plan can hold two of
them (each practice is in exactly one federation), so

.. math::  \sum_c [\,|S_c \cap R| \ge 2\,]\, \lambda_c \le 1

holds for every plan; the fractional master violates many of them (federations packed to the
100,000 ceiling overlap in odd cycles). Their duals :math:`\sigma_R \le 0` become penalties in
pricing: a column pays :math:`-\sigma_R` once it holds two practices of *R*. The knapsack search
tracks the counts; its relaxation ignores penalties (they only lower profit), so it stays an upper
bound and pricing stays exact. For every plan :math:`\sum_R \sigma_R\,\mathrm{lhs}_R \ge \sum_R
\sigma_R`, so the Lagrangian bound becomes :math:`\sum_i\pi_i + \sum_R\sigma_R + \min_k k(\mu + r)`
and the enumeration window shrinks by the same term. Cuts are separated at the root until two
rounds raise the LP by under ``CUT_MIN_GAIN`` of its value, ``max_cuts()`` are in (120 for a limit
up to 60 s, rising to 300 from 150 s: a long run's many nodes profit from the higher bound, a short
run's few pay for the slower pricing), or the rounds have had ``CUT_SHARE`` of the limit, and kept
(they are valid everywhere) in the tree. Because
penalties slow the exact search, each round first tries a short search per hub and runs the exact
one only when that finds nothing.

Global reduced-cost fixing: with the root duals, a pair (i, h) that cannot belong to any column of
reduced cost below :math:`UB - LB_{root}` cannot appear in a cheaper plan and is forbidden
everywhere; repeated whenever the incumbent improves.

Node LPs are stabilised like the root (Wentges smoothing, ``SMOOTHING``): pricing runs at a
convex combination of the node's LP duals and the best dual point seen so far (the parent's, on
entry), falling back to the LP duals when a smoothed round prices out nothing (a mis-price);
without a size cost the short searches tried before exact pricing (when cuts are in) are smoothed
the same way (``QUICK_SMOOTHED``). A node
stops column generation as soon as its best Lagrangian bound meets its LP value and no artificial
column is in use (the LP is then proven converged), without the degenerate closing rounds.
Between nodes, once more than ``RETIRE_AT`` times ``max(RETIRE_KEEP, 4n)`` columns are switched
on, those at zero beyond that many of least reduced cost are switched off (pricing brings back any
a node needs). On the joint Devon model the tree then proved the plan in 108 s (not within 120 s
without it); on the plain model it ran 13 nodes in 60 s instead of 43 (unproven either way).

Primal side, besides enumeration and LP rounding (greedy by LP weight, then local search; at
every node until it has missed ``ROUND_TRIES`` times in a row, then every ``ROUND_EVERY``-th):

* a hub-set search at the root takes the hubs the LP weights most, assigns practices to them by a
  small MIP restricted to those hubs, moves each hub to the member that serves its federation
  cheapest, and repeats (``heuristics.hub_set_search``); on the plain Devon model it finds the
  best known plan within seconds. It is repeated every ``HUB_SEARCH_EVERY`` nodes only once it
  has found a plan. With a size cost (the joint model) it and the IP over the root columns get
  ``HEURISTIC_SHARE_SIZED`` of the limit instead of ``HEURISTIC_SHARE``: there they never paid.
* pool IPs: the set-partitioning IP over the ``POOL_IP_COLUMNS`` columns of least reduced cost
  (cut penalties included) plus the incumbent's, once after the root's cut rounds and every
  ``POOL_IP_EVERY`` nodes over the columns the node's rules allow. On a 300-point CPMP the
  optimum was among the 2,000 after the cuts (an IP of 0.6 s) while every other heuristic ended
  2 % above it; on the joint Devon model the node IPs found the optimum by the 50th second.
* right after the root, a column-fixing dive (``_dive``): fix every column the node LP holds
  above ``DIVE_FIX`` (disjoint, since each row sums to 1) or else the heaviest, re-solve the node
  LP by column generation under those rules, repeat until integral or no cheaper plan remains.
  A step that fixed several columns and left no cheaper plan is retried with the heaviest alone
  (tight capacities: the LP's columns at 1/2 fixed together leave the rest uncoverable). It gets
  at most a fifth of the time left, checked inside each step too, and gives up when its pace says
  the remaining federations will not fit.

Then regions of the incumbent are re-planned (``optimise.lns``) with a third of the time left when
the gap is above 0.25 % (and all of it, pass after pass while they pay, when the plan is more than
``CUT_MAX_GAP`` above the bound, as on 3,038-point CPMPs; the cut rounds are skipped there too);
whenever the tree then stalls (neither bound nor incumbent moving for a
tenth of the limit) and the last region pass paid, another pass gets half the time left. On a
large ICB the tree rarely moves the bound within minutes, while region passes keep taking money
off the plan.

Which branch: strong branching on the columns already priced (``_strong``). The candidates are
the ``STRONG`` most fractional hubs :math:`x_{hh}` and the ``STRONG_PAIRS`` most fractional
practice-hub pairs (``STRONG`` pairs once every hub is settled).
For each, both children's rules switch columns off in the node's master, and the LP is re-solved
without pricing by at most ``STRONG_ITERATIONS`` dual simplex iterations from the node's optimal
basis (still dual feasible when columns are only switched off, so the dual objective where it
stops is at most that child's restricted LP value). The candidate whose two children rise most
(product of the rises, each capped at the incumbent) is branched on. These values only rank the
candidates; no bound comes from them (pricing can lower a child's LP). On the joint Devon model
the 60 s proof took 21 nodes and 28 s instead of 49 nodes and 46 s; a 200-point CPMP's proof 69 s
instead of 190-210 s.

Node order: best bound first, plunging into the :math:`x = 1` child after each branch (it finds
plans early). The global bound is the least bound over open nodes, so a stop at the time limit
still reports a valid bound.
"""
from __future__ import annotations

import heapq
import itertools
import time
from dataclasses import dataclass, field, replace

import numpy as np

from .colgen import _cut_penalty, _Master, _partition_ip, _plan_columns, _Pricer, lagrangian_bound, make_pricer
from .master_lp import INF
from .problem import FederationProblem
from .result import PROOF_TOLERANCE, relative_gap


@dataclass(frozen=True)
class Node:
    """Branching rules: ``ones`` practice -> hub it must join; ``zeros`` forbidden (practice, hub);
    ``k_lo``/``k_hi`` limits on the number of federations (None: the problem's own)."""

    ones: tuple[tuple[int, int], ...] = ()
    zeros: tuple[tuple[int, int], ...] = ()
    bound: float = -np.inf
    depth: int = 0
    k_lo: int | None = None
    k_hi: int | None = None
    # the parent's best duals (pi, mu, sigma): the stabilisation centre to start from
    centre: tuple | None = field(default=None, compare=False, repr=False)

    def child_one(self, i: int, h: int, bound: float) -> "Node":
        ones = dict(self.ones)
        ones[i] = h
        ones[h] = h
        return replace(self, ones=tuple(sorted(ones.items())), bound=bound, depth=self.depth + 1)

    def child_zero(self, i: int, h: int, bound: float) -> "Node":
        return replace(self, zeros=tuple(sorted(set(self.zeros) | {(i, h)})), bound=bound,
                       depth=self.depth + 1)

    def child_count(self, lo: int | None, hi: int | None, bound: float) -> "Node":
        return replace(self, k_lo=lo if lo is not None else self.k_lo,
                       k_hi=hi if hi is not None else self.k_hi, bound=bound, depth=self.depth + 1)

    def count_range(self, k_lo: int, k_hi: int) -> tuple[int, int]:
        return (max(k_lo, self.k_lo) if self.k_lo is not None else k_lo,
                min(k_hi, self.k_hi) if self.k_hi is not None else k_hi)

    def masks(self, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(allowed pairs, forced members per hub) under this node's rules."""
        n = allowed.shape[0]
        ok = allowed.copy()
        forced = None
        if self.zeros:
            z = np.array(self.zeros)
            ok[z[:, 0], z[:, 1]] = False
        if self.ones:
            forced = np.zeros((n, n), bool)
            for i, h in self.ones:
                keep = ok[i, h]
                ok[i, :] = False
                ok[i, h] = keep
                if i != h:
                    forced[i, h] = True
        return ok, forced


class _NodeMaster(_Master):
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


@dataclass
class BranchStats:
    nodes: int = 0
    pruned: int = 0
    closed_by_enumeration: int = 0
    integral: int = 0
    open_bound: float = np.inf
    fixed_pairs: int = 0
    strong: int = 0
    infeasible_rechecks: int = 0      # CBC "infeasible" node IPs re-checked by HiGHS
    notes: list[str] = field(default_factory=list)


class BranchAndPrice:
    """Drive the tree. ``solver`` is the colgen ``_Solver`` (incumbent, bound, clock, log)."""

    ENUM_LIMIT = 4000
    SMOOTHING = 0.8
    SMOOTH_WITH_CUTS = False
    QUICK_SMOOTHED = True      # for problems without a size cost (see _process)
    RULE = "hub"

    def __init__(self, solver, root_duals):
        self.s = solver
        self.p: FederationProblem = solver.p
        self.pricer: _Pricer = solver.pricer
        self.quick_smoothed = self.QUICK_SMOOTHED and self.p.size_cost is None
        self.root_duals = None if root_duals is None else (*root_duals, 0.0)
        self.cut_rounds = 0
        self._hub_searches = 0
        self._round_misses = 0
        self._region_passes = 0
        self._hub_paid = False
        self._regions_paid = False
        self.cut_history: list[float] = []
        self.cut_started: float | None = None
        self.stats = BranchStats()
        # no plan cheaper than this lies in what left the tree: the least valid bound of every
        # node pruned, settled by enumeration or found integral, and every target that fixed
        # pairs. The run's bound is the least of it and the open nodes' bounds (with a gap > 0,
        # nodes are pruned at the gap's target and their own bounds, not the incumbent, count)
        self.discard_floor = np.inf
        self.base_allowed = self.p.allowed.copy()
        self._fixed_at_ub = None
        self.stop_at = np.inf          # clock units: a node past it stops as at the time limit (the dive's budget)
        # every plan costs at most this: a node whose bound exceeds it holds no plan (before the
        # first incumbent, this is what prunes nodes that only the artificial columns cover)
        self.crude_upper = self._crude_upper()
        ub = solver.ub if np.isfinite(solver.ub) else self.crude_upper
        self.big_m = float(max(ub, 1.0)) * 2.0
        self.master = _NodeMaster(self.p.n, solver.k_lo, solver.k_cap(), self.big_m)
        # the root's retired columns stay out (pricing brings back any a node needs): on a
        # 400-practice ICB they were 9 in 10 of the columns, and every node LP priced them all
        root = solver.master
        for j, (S, h, c) in enumerate(zip(root.members, root.hubs, root.costs)):
            if j not in root.retired:
                self.master.add(S, h, c)
        solver.master = self.master            # new incumbents update this master's count row
        self.tol = 1e-7 * max(1.0, ub)
        self.conv_tol = 1e-6 * max(1.0, abs(ub))
        # a node re-solved to the proof tolerance (``_settle_integral``): pricing then adds every
        # column below -tight_tol and searches connected sets exhaustively
        self._tight = False
        self.tight_tol = 0.05 * PROOF_TOLERANCE / max(1, solver.k_hi)
        self._fine = None

    def _crude_upper(self) -> float:
        """No plan costs more: each practice at its dearest allowed hub, each of at most
        min(k_hi, n) federations at its dearest fixed + size cost."""
        p = self.p
        a = np.where(p.allowed, p.assign_cost, -np.inf).max(axis=1)
        g = 0.0 if p.size_cost is None else float(p.size_cost.values.max())
        k_max = min(p.federation_count_range()[1], p.n)
        return float(np.maximum(a[np.isfinite(a)], 0.0).sum() + k_max * max(0.0, p.hub_cost + g) + 1.0)

    # -- thresholds ----------------------------------------------------------------------------
    def threshold(self) -> float:
        """Nodes whose bound reaches this cannot hold a plan better than the incumbent (within the
        requested gap, and by more than ``PROOF_TOLERANCE``). A node pruned here leaves its own
        bound in ``discard_floor``, so the run's bound stays valid: with gap 0 every pruned node's
        bound is within half the proof tolerance of the incumbent; with whole costs (cost step 1)
        within 0.98 of it, which ``round_up_to_step`` lifts to the incumbent (no plan costs less
        than the incumbent and more than the incumbent less one)."""
        s = self.s
        if not np.isfinite(s.ub):
            return self.crude_upper + 1e-9 * max(1.0, abs(self.crude_upper))
        t = s.ub * (1 - s.gap) if s.ub >= 0 else s.ub * (1 + s.gap)
        if s.step > 0:
            return min(t, s.ub - (1 - 2 * s.STEP_SLACK) * s.step)
        return min(t, s.ub - 0.5 * PROOF_TOLERANCE)

    def _settled(self, floor: float) -> None:
        """Part of the search space left the tree holding no plan cheaper than ``floor``."""
        self.discard_floor = min(self.discard_floor, float(floor))

    def _target_floor(self, target: float) -> float:
        """What "no plan cheaper than ``target``" proves: with whole costs, no plan below the next
        whole multiple (the target itself is exact, not an LP value with float noise)."""
        step = self.s.step
        return float(np.ceil(target / step - 1e-12) * step) if step > 0 else float(target)

    def fix_globally(self, force: bool = False) -> None:
        """Reduced-cost fixing from the root duals against the current incumbent."""
        if self.root_duals is None or not np.isfinite(self.s.ub) or (self._fixed_at_ub == self.s.ub and not force):
            return
        pi, mu, r, sigma_sum = self.root_duals
        T = self.s.target()
        ks = (self.s.k_lo, self.s.k_cap())
        # the relaxation ignores cut penalties (an upper bound on profit), so the test stays valid
        delta = T - float(pi.sum()) - sigma_sum - min(mu * k + (k - 1) * r for k in ks)
        delta += 1e-7 * max(1.0, abs(T))
        keep = self.pricer.fixable(pi, mu, delta)
        if (self.base_allowed & ~keep).any():
            # the pairs fixed out belong only to plans costing at least T
            self._settled(self._target_floor(T))
        self.base_allowed = self.base_allowed & keep
        self.pricer.allowed = self.base_allowed
        self._fixed_at_ub = self.s.ub
        self.stats.fixed_pairs = int(self.p.allowed.sum() - self.base_allowed.sum())

    # -- one node ------------------------------------------------------------------------------
    def process(self, node: Node):
        """Returns ('pruned', bound) | ('integral', bound) | ('branch', bound, (i, h), x_ih)."""
        exact = self.pricer.exact_connected
        try:
            return self._process(node)
        finally:
            self.pricer.exact_connected = exact      # a node's exhaustive search stays its own

    def _process(self, node: Node):
        s, p, m = self.s, self.p, self.master
        ok, forced = node.masks(self.base_allowed)
        k_lo, k_hi = node.count_range(s.k_lo, s.k_cap())
        if k_lo > k_hi:
            return ("pruned", np.inf)
        m.restrict(ok, forced)
        m.set_count(k_lo, k_hi)
        bound = node.bound
        alpha = self.SMOOTHING
        tol, conv_tol = (self.tight_tol, self.tight_tol) if self._tight else (self.tol, self.conv_tol)
        pricer = self._proof_pricer() if self._tight else self.pricer
        centre = node.centre if node.centre is not None and len(node.centre[2]) == len(m.cut_sets) else None
        best = None          # (Lagrangian bound, pi, mu, sigma, cut data, rc_min) at the best duals
        while True:
            if s.left() <= 0 or s.clock.used() > self.stop_at:
                return ("timeout", bound)
            good, z, pi_lp, mu_lp, x = m.solve()
            if not good:
                s.log(f"node LP failed at depth {node.depth}; kept open")
                return ("timeout", bound)
            sig_lp = m.sigma.copy()
            artificial = m.artificial_mass()     # read now: adding columns invalidates the solution
            cut_sets = np.asarray(m.cut_sets, dtype=np.int64).reshape(-1, 3)
            cuts_lp = _Pricer.cut_data(cut_sets, sig_lp)
            if cuts_lp is not None and self.quick_smoothed and centre is not None:
                # Wentges smoothing for the short searches too. Without it, 402-point CPMP nodes
                # took 100-150 rounds of ~230 new columns each (the master grew to 30,000 columns,
                # each re-solve to 0.4-0.6 s); with it sjc402_01 ran 40 nodes in 170 s instead of
                # 19 and ended at 0.93 % instead of 1.63 %. Not with a size cost: the joint Devon
                # model then lost its proof within 60 s (benchmarks/RESULTS.md). At the root's cut
                # rounds too: with the root LP covered first (fewer spare columns) the first cut
                # round of u_sjc402_02 priced for 40 s at the LP duals, 1.6 s smoothed
                pi_q, mu_q, sig_q = _smoothed(alpha, centre, pi_lp, mu_lp, sig_lp)
                quick = self.pricer.price(pi_q, mu_q, tol, s.clock, keep=3, allowed=ok, forced=forced,
                                          enough=s.enough, cuts=_Pricer.cut_data(cut_sets, sig_q), heuristic=True)
                if quick is None:
                    return ("timeout", bound)
                if self._add_improving(quick.columns, pi_lp, mu_lp, cuts_lp):
                    continue
            if cuts_lp is not None:
                # cut penalties make exact pricing slow: try a short search first, exact only when
                # it finds nothing (the bound needs the exact value)
                quick = self.pricer.price(pi_lp, mu_lp, tol, s.clock, keep=3, allowed=ok, forced=forced,
                                          enough=s.enough, cuts=cuts_lp, heuristic=True)
                if quick is None:
                    return ("timeout", bound)
                if sum(m.add(S, h, p.column_cost(S, h))
                       for S, h, _ in quick.columns):
                    continue
            # Wentges smoothing towards the node's best duals (as in colgen's root); a mis-price
            # (nothing that improves the LP) falls back to the LP duals
            smoothed = centre is not None and (cuts_lp is None or self.SMOOTH_WITH_CUTS)
            while True:
                if smoothed:
                    pi, mu, sig = _smoothed(alpha, centre, pi_lp, mu_lp, sig_lp)
                    cuts = _Pricer.cut_data(cut_sets, sig)
                else:
                    pi, mu, sig, cuts = pi_lp, mu_lp, sig_lp, cuts_lp
                priced = pricer.price(pi, mu, tol, s.clock, keep=3, allowed=ok, forced=forced,
                                      enough=s.enough, cuts=cuts, slack=tol if self._tight else 0.0)
                if priced is None:
                    return ("timeout", bound)
                # cut rows are <= 1 in every plan and their duals are <= 0: they add sum(sigma)
                sigma_sum = float(sig.sum())
                lagrangian = lagrangian_bound(float(pi.sum()) + sigma_sum, mu, priced, k_lo, k_hi, p.population)
                if best is None or lagrangian > best[0]:
                    best = (lagrangian, pi, mu, sig, cuts, priced.rc_min)
                    centre = (pi, mu, sig)
                bound = max(bound, lagrangian)
                if bound >= self.threshold():
                    return ("pruned", bound)
                if smoothed:
                    added = self._add_improving(priced.columns, pi_lp, mu_lp, cuts_lp)
                else:
                    added = sum(m.add(S, h, p.column_cost(S, h)) for S, h, _ in priced.columns)
                if added or not smoothed:
                    break
                smoothed = False
            # a degenerate master keeps taking columns that cannot move it: once the bound over all
            # columns meets the LP value (and no artificial is in use) the LP is solved
            solved = bound >= z - conv_tol and artificial <= 1e-9
            if node.depth == 0:
                s.log(f"root: LP £{z:,.2f}  bound £{bound:,.2f}  +{added} cols ({len(m.vars)})"
                      + (" smoothed" if smoothed else ""))
            if added and not solved:
                continue
            if not added and artificial > 1e-9 and bound < self.threshold():
                if self.p.adjacency is not None and not self.pricer.exact_connected:
                    # under contiguity the column search is not exhaustive and its bound counts
                    # disconnected sets, so neither "no column" nor the bound settles the node:
                    # search connected sets exhaustively for the rest of this node
                    self.pricer.exact_connected = True
                    continue
                # converged on artificial columns: either no plan of this node exists (the LP value
                # then grows with M past the threshold and the node is pruned) or M was too small
                # to price them out. Raise M and re-solve; never branch on an artificial solution.
                if self.big_m > 1e6 * self.crude_upper:
                    s.log(f"node at depth {node.depth}: artificial columns stay in use; kept open")
                    return ("timeout", bound)
                self.big_m *= 10.0
                m.set_big_m(self.big_m)
                continue
            if node.depth == 0 and not self._tight:
                self._round(x)
                if not self._hub_searches:
                    # fix by reduced cost now (any converged duals will do): the heuristics below
                    # then only look at pairs that can still be in a cheaper plan
                    _, b_pi, b_mu, b_sig, _, b_r = best
                    self.root_duals = (b_pi, b_mu, b_r, float(b_sig.sum()))
                    self.fix_globally(force=True)
                    self._hub_search(x, "root LP")
                    self._master_ip("root columns")
            if node.depth == 0 and not self._tight and self._add_cuts(x, z):
                _, b_pi, b_mu, b_sig, _, b_r = best
                self.root_duals = (b_pi, b_mu, b_r, float(b_sig.sum()))
                # new cuts start with dual 0 in the centre (still valid duals); best is re-priced
                grow = np.zeros(len(m.cut_sets) - len(b_sig))
                centre = (b_pi, b_mu, np.concatenate([b_sig, grow]))
                best = None
                continue
            break
        self.node_duals = centre
        # columns added in the last round are not in x: their LP weight is 0
        x = np.concatenate([x, np.zeros(len(m.vars) - len(x))])
        self.last_x = x
        keep = max(s.RETIRE_KEEP, 4 * p.n)
        if int((~m.off).sum()) > self.RETIRE_AT * keep:
            m.retire_at(pi_lp, mu_lp, sig_lp, x, keep)
        _, pi, mu, sig, cuts, r_last = best
        sigma_sum = float(sig.sum())
        if node.depth == 0 and not self._tight:
            self.root_duals = (pi, mu, r_last, sigma_sum)
            if self.cut_rounds and self._hub_paid:
                # only when the search on the LP without cuts paid: on Greater Manchester both
                # took 30 s of a 300 s run and found nothing (the region passes did)
                self._hub_search(x, "root LP with cuts")
            settled = (self._close_by_enumeration(node, pi, mu, r_last, sigma_sum, cuts, ok, forced, (k_lo, k_hi))
                       if self.cut_rounds and np.isfinite(s.ub) else None)
            if settled is not None:
                # every column of a cheaper plan, and the IP over them, before the pool IP below
                # (whose columns are a subset): on OR-Library pmedcap 20 the pool IP took 6.4 s
                # to find nothing, then the enumeration settled the root in 3.9 s
                return ("pruned", max(bound, settled))
            if self.cut_rounds:
                # the cut rounds price many new columns; on a 300-point CPMP the optimum was among
                # the 2,000 of least reduced cost (an IP of 0.6 s) while the IP over the root's
                # columns before the cuts and every other heuristic ended 2 % above it
                self._master_ip("root columns with cuts", best=self.POOL_IP_COLUMNS, duals=(pi, mu, sig))
            self.fix_globally(force=True)
        elif self.stats.nodes % self.POOL_IP_EVERY == 0:
            # the node's restricted master as an IP: on the joint Devon model the plunge from the
            # root went 49 deep without a plan while the node IPs found the optimum
            self._master_ip(f"columns of the node at depth {node.depth}", best=self.POOL_IP_COLUMNS,
                            duals=(pi, mu, sig), node_only=True, quiet=True)
        if node.depth > 0 and self._hub_paid and self.stats.nodes % self.HUB_SEARCH_EVERY == 0:
            # only while it pays: on the joint Devon model each search took its whole budget (a
            # tenth of the limit) every 25 nodes and never found a plan
            self._hub_search(x, f"node LP at depth {node.depth}")
        # converged: the last Lagrangian bound is the node's LP value (up to the pricing tolerance,
        # which it accounts for exactly through rc_min)
        if bound >= self.threshold():
            return ("pruned", bound)
        X = m.assignment_weights(x)
        frac = np.minimum(X, 1.0 - X)
        kx = float(x.sum())
        if abs(kx - round(kx)) > 1e-6:
            # the number of federations first: cheap, and it moves the bound most
            self._round_node(x)
            return ("branch_count", bound, int(np.floor(kx)), kx)
        if frac.max() <= 1e-6:
            plan = self._plan_from(x)
            if plan is not None and not self.p.is_feasible(*plan):
                # a column that breaks a rule reached the master: never let it close a node
                s.log(f"node at depth {node.depth}: integral LP is not a valid plan; search stopped")
                return ("timeout", bound)
            if plan is None:
                # integral but partly artificial: z >= M would have pruned it; keep it safe anyway
                s.log(f"node at depth {node.depth}: integral LP not covered by real columns")
                return ("timeout", bound)
            s.offer(plan, f"integral node at depth {node.depth}")
            if bound < min(z, self.threshold()) - 0.5 * PROOF_TOLERANCE and not self._tight:
                return self._settle_integral(node, bound)
            return ("integral", bound)
        self._round_node(x)
        settled = self._close_by_enumeration(node, pi, mu, r_last, sigma_sum, cuts, ok, forced, (k_lo, k_hi))
        if settled is not None:
            return ("pruned", max(bound, settled))
        if self.STRONG > 1:
            cands = self._candidates(frac)
            if len(cands) > 1:
                i, h = self._strong(node, cands, z)
                return ("branch", bound, (i, h), X[i, h])
        # hubs first: opening decisions move the bound most; then assignments
        hub_frac = np.diag(frac)
        if self.RULE != "pair" and hub_frac.max() > 1e-6:
            if self.RULE == "hub_max":
                score = np.where(hub_frac > 1e-6, np.diag(X), -1.0)
                h = int(np.argmax(score))
            else:
                h = int(np.argmax(hub_frac))
            return ("branch", bound, (h, h), X[h, h])
        i, h = np.unravel_index(int(np.argmax(frac)), frac.shape)
        return ("branch", bound, (int(i), int(h)), X[i, h])

    def _proof_pricer(self):
        """The pricer of ``_settle_integral``: exhaustive over connected sets, and with a size cost
        whose affine pieces are refined, where a column prices below zero, to under-estimate g(N)
        by at most half the proof tolerance over k (the usual pieces may under-estimate it by
        ``sizecost.SEGMENT_TOLERANCE``, £0.25 a column, which the bound then loses; fine pieces
        everywhere would price many more segments: 42 become 211 on a curved risk term)."""
        if self._fine is None:
            p = self.p
            if p.size_cost is None:
                self._fine = self.pricer
            else:
                # half the proof tolerance over the k columns of a plan: with the pricing's own
                # tight_tol the bound then lags an integral node by under 0.55 of the tolerance
                self._fine = make_pricer(p, fine=0.5 * PROOF_TOLERANCE / max(1, self.s.k_hi))
                self._fine.mode = self.pricer.mode
                for q in self._fine.parts:
                    q.mode = self.pricer.mode
        self._fine.allowed = self.base_allowed
        self._fine.exact_connected = True
        return self._fine

    def _settle_integral(self, node: Node, bound: float):
        """An integral node LP whose bound lags its value: pricing stopped at its tolerance (or,
        under contiguity, at a search that is not exhaustive), so the LP value is not yet proven
        and the node cannot leave the tree on it. Re-solve the node with columns priced to a
        twentieth of the proof tolerance over all k columns, g(N) cut finer (``_proof_pricer``)
        and connected sets searched exhaustively; the node then leaves the tree on that bound (or
        branches on what it finds)."""
        self._tight = True
        try:
            kind, *rest = self._process(replace(node, bound=max(node.bound, bound)))
        finally:
            self._tight = False
        return (kind, *rest)

    # strong branching (``_strong``) over this many candidates: the most fractional hubs, or the
    # most fractional practice-hub pairs once every hub is settled. On a 200-point CPMP the proof
    # took 190-210 s and 320-375 nodes choosing the most fractional hub, 119 s and 151 nodes with
    # 8 candidates, 187 s and 282 nodes with 4
    STRONG = 8
    # the most fractional pairs added to the hub candidates: with 100-iteration probes the same
    # proof took 88 s (172 nodes) with none, 69 s (107) with 4, 86 s (130) with 8; a 300-point
    # CPMP's 73, 67 and 68 s
    STRONG_PAIRS = 4
    # dual simplex iterations per child from the node's basis (0: full re-solves, no basis kept).
    # Same 200-point CPMP: full re-solves from the last child's basis 119 s (278 ms a choice),
    # from the node's basis 93 s (198 ms), 100 iterations 88 s (129 ms, 172 nodes), 30
    # iterations 130 s (277 nodes: the ranking goes)
    STRONG_ITERATIONS = 100

    def _candidates(self, frac: np.ndarray) -> list[tuple[int, int]]:
        """Strong-branching candidates, most fractional first."""
        hub_frac = np.diag(frac)
        hubs = [int(h) for h in np.argsort(-hub_frac, kind="stable")[:self.STRONG] if hub_frac[h] > 1e-6]
        cands = [(h, h) for h in hubs]
        want = self.STRONG_PAIRS if hubs else self.STRONG
        if want:
            f = frac.copy()
            np.fill_diagonal(f, 0.0)
            flat = np.argsort(-f, axis=None, kind="stable")[:want]
            cands += [(int(a), int(b)) for a, b in zip(*np.unravel_index(flat, f.shape)) if f[a, b] > 1e-6]
        return cands

    def _strong(self, node: Node, cands, z: float) -> tuple[int, int]:
        """The candidate (practice, hub) whose two children raise the restricted master LP most
        (product of the two rises, each capped at the incumbent): each child's rules applied to
        the columns already priced, the LP re-solved, no pricing. Those values only rank the
        candidates (with pricing a child's LP can be lower), so no bound comes from them. The
        master is left with the node's own columns switched on."""
        m = self.master
        cap = max(self.threshold() - z, 1e-9)
        best, pick = -1.0, cands[0]
        probe = getattr(m.lp, "probe", None) if self.STRONG_ITERATIONS else None
        if probe is not None:
            m.lp.hold()
        try:
            for i, h in cands:
                if self.s.left() <= 0:
                    break           # the best candidate so far: a branch is still a valid choice
                gain = []
                for child in (node.child_one(i, h, z), node.child_zero(i, h, z)):
                    m.restrict(*child.masks(self.base_allowed))
                    if probe is not None:
                        zc = probe(self.STRONG_ITERATIONS)
                        good = zc > -INF
                    else:
                        good, zc, _, _, _ = m.solve()
                    # a failed re-solve tells nothing: it must not make the candidate look best
                    gain.append(min(cap, max(1e-6 * cap, zc - z)) if good else 1e-6 * cap)
                if gain[0] * gain[1] > best:
                    best, pick = gain[0] * gain[1], (i, h)
        finally:
            m.restrict(*node.masks(self.base_allowed))
            if probe is not None:
                m.lp.release()
        self.stats.strong += 1
        return pick

    def _add_improving(self, columns, pi_lp: np.ndarray, mu_lp: float, cuts_lp) -> int:
        """Add the columns (priced at smoothed duals) whose reduced cost at the LP duals is
        negative; how many were added."""
        p, m = self.p, self.master
        added = 0
        for S, h, _ in columns:
            cost = p.column_cost(S, h)
            if cost - float(pi_lp[list(S)].sum()) - mu_lp + _cut_penalty(S, cuts_lp, p.n) < -self.tol:
                added += m.add(S, h, cost)
        return added

    MAX_CUT_ROUNDS = 40
    CUTS_PER_ROUND = 30
    # how many cuts: MIN_CUTS, and CUTS_PER_UNIT per unit of the limit, up to MAX_CUTS. Every cut
    # slows every later pricing round; a long run gets that back in the bound at each of its many
    # nodes, a short one pays for it in nodes. At 300 s, 300 cuts instead of 120 took sjc402_02
    # from 0.42 % to 0.06 % and sjc402_01 from 0.18 % to 0.08 %, and QR1, QT1 and Greater
    # Manchester ended the same or better; at 60 s they cost QR1 its 0.68 % (1.77 %) and QT1 and
    # QOQ a little, and 120 stays there (benchmarks/RESULTS.md)
    MIN_CUTS = 120
    MAX_CUTS = 300
    CUTS_PER_UNIT = 2.0
    CUT_MIN_GAIN = 2e-5
    CUT_SHARE = 0.2
    # a plan this far above the LP gets no cut rounds and, after the root, all the time for
    # region re-solves while they pay
    CUT_MAX_GAP = 0.10

    def _far_above(self, value: float) -> bool:
        """Whether the incumbent is more than ``CUT_MAX_GAP`` above ``value`` (an LP or bound)."""
        ub = self.s.ub
        return bool(np.isfinite(ub) and ub - value > self.CUT_MAX_GAP * abs(ub))

    @classmethod
    def max_cuts(cls, limit: float) -> int:
        """The most subset-row cuts the root takes in a run of this limit (seconds or work units)."""
        return int(min(cls.MAX_CUTS, max(cls.MIN_CUTS, cls.CUTS_PER_UNIT * limit)))

    def _add_cuts(self, x: np.ndarray, z: float) -> bool:
        """Separate violated subset-row cuts on three practices at the root; False when done
        (none violated, the cut budget spent, or the LP no longer rising)."""
        m = self.master
        if self.p.adjacency is not None:
            # under contiguity the connected column search cannot use its greedy growth with cut
            # penalties, and exact searches with both slow every node to minutes (measured on
            # Devon): no cuts there
            return False
        self.cut_history.append(z)
        gain = self.cut_history[-1] - self.cut_history[-3] if len(self.cut_history) >= 3 else np.inf
        # cuts slow every later pricing round: stop when two rounds raised the LP by under
        # ``CUT_MIN_GAIN`` of its value. (An earlier rule, under 5 % of the gap to the incumbent,
        # stopped at 60 cuts on the joint Devon model because the incumbent at the root is still
        # the construction plan; 120 cuts raised the root bound by another £11,000, and with them
        # the tree proved the plan.)
        if self.cut_started is None:
            self.cut_started = self.s.clock.used()
        # and when they have had their share of the limit (a round took 8-16 s on 402-point CPMPs)
        late = self.cut_rounds > 0 and self.s.clock.used() - self.cut_started > self.CUT_SHARE * self.s.clock.limit
        # and not while the plan is far above the LP: a cut moves the bound by tenths of a
        # percent, and on 3,038 points (plan 31 % above the LP) two rounds took 50 s the region
        # re-solves then lacked (Devon, Greater Manchester and the CPMPs cut at gaps of 1-4 %)
        far = self._far_above(z)
        if (self.cut_rounds >= self.MAX_CUT_ROUNDS or len(m.cut_sets) >= self.max_cuts(self.s.clock.limit)
                or self.s.left() <= 0
                or gain < self.CUT_MIN_GAIN * abs(z) or late or far):
            return False
        found = separate_subset_rows(m.members, x, self.p.n, set(m.cut_sets), self.CUTS_PER_ROUND)
        if not found:
            return False
        if self.s.plan is not None:
            # the incumbent's columns meet every cut, so the LP with cuts stays feasible on real
            # columns. Without them the first cut round of u_sjc402_02 (root covered first: fewer
            # spare columns) left only the big-M artificials, LP £107,168 against £35,988, and
            # re-priced for 44 s
            for S, h, c in _plan_columns(self.p, self.s.plan):
                m.add(S, h, c)
        for R in found:
            m.add_cut(R)
        self.cut_rounds += 1
        self.s.log(f"root: LP £{z:,.2f}; +{len(found)} subset-row cuts ({len(m.cut_sets)})")
        return True

    def _plan_from(self, x: np.ndarray):
        m, n = self.master, self.p.n
        labels = np.full(n, -1, dtype=np.int64)
        hubs = []
        for j in np.flatnonzero(x > 0.5):
            labels[list(m.members[j])] = len(hubs)
            hubs.append(m.hubs[j])
        if (labels < 0).any():
            return None
        return labels, tuple(hubs)

    # LP rounding at tree nodes: at every node until it has missed ROUND_TRIES times in a row,
    # then at every ROUND_EVERY-th. Its local search took 7 % of a 150 s run on a 402-point CPMP
    # and never found a plan there (the node IPs did); on Devon it finds one in the dive
    ROUND_TRIES = 20
    ROUND_EVERY = 5

    def _round_node(self, x: np.ndarray) -> None:
        if self._round_misses >= self.ROUND_TRIES and self.stats.nodes % self.ROUND_EVERY:
            return
        self._round_misses = 0 if self._round(x) else self._round_misses + 1

    def _round(self, x: np.ndarray) -> bool:
        """Greedy rounding of the LP: take columns by weight while they stay disjoint; finish with
        local search when some practices are left over. True when it found a cheaper plan."""
        m, n = self.master, self.p.n
        labels = np.full(n, -1, dtype=np.int64)
        hubs = []
        for j in np.argsort(-x):
            if x[j] <= 1e-6:
                break
            S = list(m.members[j])
            if (labels[S] < 0).all():
                labels[S] = len(hubs)
                hubs.append(m.hubs[j])
        if not hubs:
            return False
        left = np.flatnonzero(labels < 0)
        if len(left):
            # leftovers join the federation whose hub is cheapest for them; local search repairs
            a = np.where(self.p.allowed[np.ix_(left, hubs)], self.p.assign_cost[np.ix_(left, hubs)], np.inf)
            labels[left] = np.argmin(a, axis=1)
        if len(left) == 0 and self.s.offer((labels, tuple(hubs)), "LP rounding"):
            return True
        from .heuristics import improve

        plan = improve(self.p, labels, tuple(hubs), seed=self.s.seed)
        return plan is not None and bool(self.s.offer(plan, "LP rounding + local search"))

    HUB_SEARCH_EVERY = 25      # nodes between two runs of the hub-set heuristic
    # region re-solves (optimise.lns) after the root: a third of the time left, when the root's
    # gap exceeds 0.25 % and the problem holds at least two regions of 40 practices
    REGION_SHARE = 1 / 3
    REGION_MIN_GAP = 0.0025
    REGION_PRACTICES = 40
    REGION_BUDGET = 4.0
    # the tree has stalled when neither bound nor incumbent moved for this share of the limit;
    # if the last region pass paid, another gets half the time left (on Greater Manchester the
    # tree moved nothing in 90 s while each region pass took £0.1-0.2M a year off the plan)
    STALL_SHARE = 0.1
    STALL_REGION_SHARE = 0.5
    DIVE_SHARE = 0.2           # of the time left after the root, at most, for the column-fixing dive
    # with a size cost, the dive gives up when its pace forecasts this many times the budget left
    DIVE_PACE_SLACK = 2.0
    # columns the dive fixes at once: those above this, not those at 1/2 (the LP of a 300-point
    # CPMP held 24 columns at 1/2; fixing one of each pair left the rest uncoverable)
    DIVE_FIX = 0.6

    # share of the limit for each of the hub-set search and the IP over the root columns; a
    # federation cost with a size term (the joint model: make-or-buy and risk) makes the hub
    # assignment MIP hard, and on Devon and Greater Manchester neither ever found a plan there
    # while each took its whole 10 % (the dive and the tree did); on the plain model and the CPMP
    # instances they find the early plans in 1-6 s
    HEURISTIC_SHARE = 0.1
    HEURISTIC_SHARE_SIZED = 0.03
    POOL_IP_COLUMNS = 2000     # columns of least reduced cost in each pool IP
    POOL_IP_EVERY = 10         # nodes between two pool IPs in the tree
    RETIRE_AT = 2              # the node master retires columns once it holds this many times its keep

    def _heuristic_budget(self) -> float:
        share = self.HEURISTIC_SHARE if self.p.size_cost is None else self.HEURISTIC_SHARE_SIZED
        return min(0.25 * self.s.left(), max(2.0, share * self.s.clock.limit))

    def _hub_search(self, x: np.ndarray, where: str) -> None:
        """The k hubs the LP leans on, an optimal assignment to them (a small MIP), hubs moved to
        each federation's cheapest member, repeated (``heuristics.hub_set_search``)."""
        from .heuristics import hub_set_search

        s, m = self.s, self.master
        budget = self._heuristic_budget()
        if budget < 1.0 or not len(x):
            return
        self._hub_searches += 1
        k = int(np.clip(round(float(x.sum())), s.k_lo, s.k_cap()))
        hubs = lp_hubs(m.members, m.hubs, x, k, self.p.n)
        # pairs fixed by reduced cost cannot be in a plan cheaper than the incumbent: leave them out
        problem = self.p if self.stats.fixed_pairs == 0 else replace(self.p, allowed=self.base_allowed)
        start = s.clock.used()
        plan = hub_set_search(problem, hubs, solver=s.mip_solver, time_limit_s=budget, seed=s.seed,
                              threads=s.threads, clock=s.clock)
        self._hub_paid = bool(s.offer(plan, f"LP hubs + assignment MIP ({where})"))
        if not self._hub_paid:
            s.log(f"LP hubs + assignment MIP ({where}): nothing cheaper in {s.clock.used() - start:.1f}")

    def _dive(self, root: Node, budget: float) -> None:
        """Column-fixing dive from the root LP: fix every column the node LP holds above
        ``DIVE_FIX`` (they are disjoint: each row sums to 1), or the heaviest one when none is,
        re-solve the node LP by column generation under the fixings, repeat until the LP is
        integral, reaches the incumbent, or ``budget`` (clock units) is spent (``stop_at`` ends a
        step at the budget too). A step that fixed several columns and left no cheaper plan is
        retried with the heaviest alone. A column (S, h) is fixed as branching rules: every member
        of S must join hub h and no other practice may. On the joint Devon model one dive of about
        10 steps found plans the region re-solves did not reach."""
        s, m = self.s, self.master
        start, before, steps = s.clock.used(), s.ub, 0
        node = root
        why = "budget spent"
        while s.clock.used() - start < budget and s.left() > 0:
            x = self.last_x
            fixed = {h for _, h in node.ones}
            free = [j for j in np.flatnonzero(x > 1e-6) if m.hubs[j] not in fixed]
            if not free:
                break
            if steps:
                # a dive that cannot reach the bottom finds nothing: give up when the steps so far
                # say the federations left will not fit in the budget (Greater Manchester, 36
                # federations at 5 s a step, would spend its whole share). With a size cost, with
                # slack: later steps fix several columns at once and re-solve smaller LPs (QT1's
                # dive gave up after a first step of 0.6 s, forecast 7.8 s for 7.4 s left; a dive
                # of 10 steps in 4.9 s had found its best plan). Not without one: there the hub
                # search and the column IPs find the plans, and on the CPMP files the longer dives
                # only took time from the tree (sjc200_03 at 60 s: 0.27 % -> 0.43 %)
                spent = s.clock.used() - start
                left_k = max(1.0, float(x.sum()) - len(fixed))
                slack = self.DIVE_PACE_SLACK if self.p.size_cost is not None else 1.0
                if spent * left_k / max(1, len(fixed)) > slack * (budget - spent):
                    why = "would not finish"
                    break
            heaviest = max(free, key=lambda j: x[j])
            take = [j for j in free if x[j] > self.DIVE_FIX] or [heaviest]
            members, hubs = list(m.members), list(m.hubs)    # the step may add columns
            while True:
                child = self._fixing(node, [(members[j], hubs[j]) for j in take])
                steps += 1
                # the first step may have half the budget: one that needs more leaves no time for
                # the rest (on Greater Manchester it took 33 s, and the region passes lost them)
                self.stop_at = start + (budget if steps > 1 else budget / 2)
                try:
                    kind = self.process(child)[0]
                finally:
                    self.stop_at = np.inf
                if kind == "pruned" and len(take) > 1 and s.clock.used() - start < budget:
                    # fixing many columns at once can leave the rest uncoverable (tight capacities,
                    # a fixed number of medians): step back and fix only the heaviest
                    take = [heaviest]
                    continue
                break
            node = child
            if kind not in ("branch", "branch_count"):
                why = {"integral": "integral", "pruned": "no cheaper plan under its fixings"}.get(kind, "out of time")
                break
        s.log(f"dive: {steps} steps in {s.clock.used() - start:.1f} ({why}); plan £{before:,.2f} -> £{s.ub:,.2f}")

    def _fixing(self, node: Node, columns) -> Node:
        """``node`` with each column (S, h) fixed: every member of S joins hub h, no other may."""
        ones, zeros = dict(node.ones), set(node.zeros)
        for S, h in columns:
            ones.update((i, h) for i in S)
            zeros.update((i, h) for i in np.flatnonzero(self.base_allowed[:, h]).tolist() if i not in S)
        return replace(node, ones=tuple(sorted(ones.items())), zeros=tuple(sorted(zeros)),
                       depth=node.depth + 1, centre=self.node_duals)

    def _regions(self, bound: float, share: float) -> None:
        """Re-solve regions of the incumbent (``optimise.lns``) with ``share`` of the time left,
        when the gap is one the tree is unlikely to close by branching alone. Each pass draws its
        own order of regions; ``_regions_paid`` records whether the last pass found a cheaper plan."""
        from .lns import improve_by_regions

        s = self.s
        if s.plan is None or self.p.n < 2 * self.REGION_PRACTICES:
            return
        gap = relative_gap(s.ub, min(bound, s.ub))
        if gap is None or gap <= self.REGION_MIN_GAP or share * s.left() < self.REGION_BUDGET:
            return
        before = s.ub
        improve_by_regions(self.p, s.plan, s.clock, share * s.left(), seed=s.seed + self._region_passes,
                           mip_solver=s.mip_solver, max_practices=self.REGION_PRACTICES,
                           region_budget=self.REGION_BUDGET, offer=s.offer, log=s.log)
        self._region_passes += 1
        self._regions_paid = s.ub < before

    def _master_ip(self, where: str, best: int | None = None, duals=None, node_only: bool = False,
                   quiet: bool = False) -> None:
        """Price and branch: the set-partitioning IP over the columns generated so far (the
        incumbent's own columns included, as the warm start), with a short time limit. Not a
        proof of anything — only a plan; it is strongest where the LP gap is small and assignment
        heuristics struggle (tight capacities)."""
        s, m = self.s, self.master
        budget = self._heuristic_budget()
        if budget < 1.0 or not m.vars:
            return
        start = s.clock.used()
        cols = list(zip(m.members, m.hubs, m.costs))
        if best is not None:
            # the columns a cheaper plan most likely uses: least reduced cost at the given duals
            # (at a node, among the columns its rules allow)
            rc = m.reduced_costs(*duals)
            pick = np.flatnonzero(~m.off) if node_only else np.arange(len(cols))
            cols = [cols[j] for j in pick[np.argsort(rc[pick], kind="stable")[:best]]]
        if s.plan is not None:
            have = {(S, h) for S, h, _ in cols}
            cols += [c for c in _plan_columns(self.p, s.plan) if (c[0], c[1]) not in have]
        # only a cheaper plan is of use (the incumbent's columns keep the start feasible)
        cutoff = s.ub + 1e-7 * max(1.0, abs(s.ub)) if np.isfinite(s.ub) else None
        _, plan, _, out = _partition_ip(self.p, cols, s.k_lo, s.k_cap(), budget, s.mip_solver, s.seed,
                                        s.threads, start_plan=s.plan, clock=s.clock, cutoff=cutoff)
        s.version = out.version or s.version
        if not s.offer(plan, f"IP over the {where} ({len(cols)} columns)") and not quiet:
            s.log(f"IP over the {where} ({len(cols)} columns): nothing cheaper in {s.clock.used() - start:.1f}")

    def _close_by_enumeration(self, node, pi, mu, r, sigma_sum, cuts, ok, forced, ks) -> float | None:
        """Every column that can appear in a plan of this node cheaper than the target, then the
        IP over them. Returns a lower bound on every plan of the node when it is settled (its best
        plan found, or none cheaper than the target), else None.

        A plan of k columns costs sum(pi) + sigma + k mu + the sum of its columns' reduced costs,
        each at least r (``rc_min`` at these duals), so one of its columns can be in a plan
        cheaper than T only if its reduced cost is below delta = T - sum(pi) - sigma - min_k
        (k mu + (k - 1) r); no column has a reduced cost below r, so delta <= r settles the node."""
        s = self.s
        if not np.isfinite(s.ub):
            return None
        T = s.target()
        delta = T - float(pi.sum()) - sigma_sum - min(mu * k + (k - 1) * r for k in ks)
        delta += 1e-7 * max(1.0, abs(T))
        if delta <= r:
            self.stats.closed_by_enumeration += 1
            return self._target_floor(T)
        found = self.pricer.enumerate(pi, mu, delta, self.ENUM_LIMIT, s.clock, allowed=ok, forced=forced,
                                      cuts=cuts)
        if found is None:
            return None
        cols = [(S, h, c) for S, (h, c) in found.items()]
        if not cols:
            self.stats.closed_by_enumeration += 1
            return self._target_floor(T)
        # plans at or above the target need not be found: with the objective capped there, most
        # node IPs end as "infeasible" (nothing cheaper) in a fraction of the time
        cutoff = T + 1e-7 * max(1.0, abs(T))
        state, plan, _, out = _partition_ip(self.p, cols, ks[0], ks[1], max(1.0, s.left()),
                                            s.mip_solver, s.seed, s.threads, clock=s.clock, cutoff=cutoff)
        s.version = out.version or s.version
        if state == "infeasible" and s.mip_solver == "cbc" and plan is None:
            state = self._recheck_infeasible(cols, ks, cutoff, node.depth)
        settled = state in ("optimal", "infeasible")
        # CP-SAT proves the optimum of the pence-rounded costs; its bound, less the rounding error,
        # holds for the true costs, and settles the node when it reaches the target (or the plan
        # just found) within the proof tolerance
        rounded = state == "optimal_rounded" and out.bound is not None
        cost = self.p.cost(*plan) if plan is not None else np.inf
        if plan is not None:
            s.offer(plan, f"enumerated IP at depth {node.depth} "
                          + (f"({len(cols)} columns)" if settled or rounded else "(not proven)"))
        if settled:
            self.stats.closed_by_enumeration += 1
            return min(self._target_floor(T), cost)
        if rounded and out.bound >= min(T, s.ub) - PROOF_TOLERANCE:
            self.stats.closed_by_enumeration += 1
            return min(self._target_floor(T), cost, float(out.bound))
        return None

    def _recheck_infeasible(self, cols, ks, cutoff: float, depth: int) -> str:
        """CBC's "no plan below the cutoff" checked by HiGHS before it closes a node: CBC 2.10 has
        reported infeasibility falsely (its preprocessing, on large models), and a node closed on
        a false claim would lose plans and make the bound wrong. HiGHS gets the cutoff as a row.
        Returns "infeasible" when HiGHS agrees, else what HiGHS found ("optimal" with its plan
        offered, or "feasible" / "no_solution", which leave the node open)."""
        from .solvers.highs import available as highspy_available

        s = self.s
        if not highspy_available():
            return "infeasible"          # no second solver here: CBC's word, as before
        self.stats.infeasible_rechecks += 1
        state, plan, _, out = _partition_ip(self.p, cols, ks[0], ks[1], max(1.0, s.left()), "highs", s.seed,
                                            s.threads, clock=s.clock, cutoff=cutoff)
        if plan is not None:
            s.offer(plan, f"HiGHS re-check of CBC's 'infeasible' at depth {depth}")
            s.log(f"CBC reported no plan below the cutoff at depth {depth}; HiGHS found one: node kept")
            return state if state == "optimal" else "feasible"
        if state != "infeasible":
            s.log(f"CBC's 'infeasible' at depth {depth} could not be re-checked ({state}): node kept open")
        return state

    # -- the tree ------------------------------------------------------------------------------
    def run(self, root_bound: float) -> None:
        s = self.s
        self.fix_globally()
        counter = itertools.count()
        centre = None if self.root_duals is None else (self.root_duals[0], self.root_duals[1], np.zeros(0))
        heap: list[tuple[float, int, Node]] = [(root_bound, next(counter), Node(bound=root_bound, centre=centre))]
        current: Node | None = None
        last_report = time.perf_counter()
        progress = (s.lb, s.ub, s.clock.used())      # (bound, incumbent) and when they last moved
        while heap or current is not None:
            if current is None:
                b, _, current = heapq.heappop(heap)
                if b >= self.threshold():
                    # every open node's bound is at least b: none holds a cheaper plan
                    self._settled(b)
                    current = None
                    heap.clear()
                    break
            if s.left() <= 0:
                heapq.heappush(heap, (current.bound, next(counter), current))
                current = None
                break
            self.stats.nodes += 1
            out = self.process(current)
            kind, bound = out[0], out[1]
            if kind == "timeout":
                heapq.heappush(heap, (max(bound, current.bound), next(counter), current))
                current = None
                break
            if kind in ("pruned", "integral"):
                # the node's own bound stays in the run's bound (a node pruned at a gap's
                # target may hold plans cheaper than the incumbent)
                self._settled(bound)
                self.stats.pruned += kind == "pruned"
                self.stats.integral += kind == "integral"
                current = None
            elif kind == "branch_count":
                fl, kx = out[2], out[3]
                down, up = current.child_count(None, fl, bound), current.child_count(fl + 1, None, bound)
                down, up = replace(down, centre=self.node_duals), replace(up, centre=self.node_duals)
                first, other = (up, down) if kx - fl >= 0.5 else (down, up)
                heapq.heappush(heap, (bound, next(counter), other))
                current = first
            else:
                (i, h), xih = out[2], out[3]
                one, zero = current.child_one(i, h, bound), current.child_zero(i, h, bound)
                one, zero = replace(one, centre=self.node_duals), replace(zero, centre=self.node_duals)
                # plunge the way the LP leans; the other child waits in the queue
                first, other = (one, zero) if xih >= 0.5 else (zero, one)
                heapq.heappush(heap, (bound, next(counter), other))
                current = first
            if self.stats.nodes == 1 and kind not in ("pruned", "integral"):
                # after the root: a dive, then region re-solves from whatever plan it leaves
                self._dive(Node(bound=bound), self.DIVE_SHARE * s.left())
                self._regions(bound, self.REGION_SHARE)
                while self._regions_paid and self._far_above(bound) and s.left() > self.REGION_BUDGET:
                    # a plan this far above the bound is not the tree's work: on 3,038 points (17 %
                    # above it after a pass) the tree ran 2 nodes in 40 s, a region pass took 6 %
                    # off the plan in 20 s
                    self._regions(bound, 1.0)
            self.fix_globally()
            open_bound = min([b for b, _, _ in heap] + ([current.bound] if current is not None else []),
                             default=np.inf)
            self.stats.open_bound = open_bound
            s.lb = max(s.lb, min(open_bound, s.ub, self.discard_floor))
            if (s.lb, s.ub) != progress[:2]:
                progress = (s.lb, s.ub, s.clock.used())
            elif self._regions_paid and s.clock.used() - progress[2] > self.STALL_SHARE * s.clock.limit:
                self._regions(s.lb, self.STALL_REGION_SHARE)
                progress = (s.lb, s.ub, s.clock.used())
            if time.perf_counter() - last_report > 5.0:
                last_report = time.perf_counter()
                s.log(f"branch and price: {self.stats.nodes} nodes, {len(heap)} open, "
                      f"bound £{s.lb:,.2f}, incumbent £{s.ub:,.2f}, {len(self.master.vars)} columns, "
                      f"{self.stats.fixed_pairs} pairs fixed")
            if s.proven():
                break
        open_bound = min([b for b, _, _ in heap], default=np.inf)
        self.stats.open_bound = open_bound
        s.lb = max(s.lb, min(open_bound, s.ub, self.discard_floor))


def _smoothed(alpha: float, centre, pi_lp: np.ndarray, mu_lp: float, sig_lp: np.ndarray):
    """Wentges smoothing: alpha * centre + (1 - alpha) * LP duals, for (pi, mu, sigma)."""
    return (alpha * centre[0] + (1 - alpha) * pi_lp, alpha * centre[1] + (1 - alpha) * mu_lp,
            alpha * centre[2] + (1 - alpha) * sig_lp)


def lp_hubs(members, hubs, x: np.ndarray, k: int, n: int) -> list[int]:
    """k hubs read off a master LP solution ``x`` (over the first len(x) columns): the hubs of
    disjoint columns taken by LP weight (they are spread out; the k heaviest hubs alone often crowd
    one area), topped up by LP weight among practices still uncovered."""
    weight = np.bincount(np.asarray(hubs[:len(x)]), weights=x, minlength=n)
    covered = np.zeros(n, bool)
    out: list[int] = []
    for j in np.argsort(-x, kind="stable"):
        S = list(members[j])
        if x[j] <= 1e-6 or len(out) >= k:
            break
        if not covered[S].any():
            covered[S] = True
            out.append(int(hubs[j]))
    for h in np.argsort(-weight, kind="stable"):
        if len(out) >= k:
            break
        if not covered[h]:
            covered[h] = True
            out.append(int(h))
    return out


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
