"""Processing one node of the tree: its master LP solved by column generation under the node's
rules, step by step, until it ends in one ``branching.Outcome`` (pruned, integral, stopped, or a
branch).

Each node solves its master LP by exact pricing under its rules. The Lagrangian bound
(``bounds.lagrangian_bound``, with the cut duals' sum) holds at every node and every round (for
plans obeying the node's rules), so a node is pruned as soon as it reaches the incumbent, before
convergence. Node LPs are stabilised like the root (Wentges smoothing, ``NodeParams.smoothing``):
pricing runs at a convex combination of the node's LP duals and the best dual point seen so far
(the parent's, on entry), falling back to the LP duals when a smoothed round prices out nothing (a
mis-price); without a size cost the short searches tried before exact pricing (when cuts are in)
are smoothed the same way (``NodeParams.quick_smoothed``). A node stops column generation as soon
as its best Lagrangian bound meets its LP value and no artificial column is in use (the LP is then
proven converged), without the degenerate closing rounds. Between nodes, once more than
``MasterParams.retire_at_node`` times ``max(retire_keep, 4n)`` columns are switched on, those at
zero beyond that many of least reduced cost are switched off (pricing brings back any a node needs).

The steps of one round (``NodeSolver.solve``): solve the LP; the short searches (cuts in); exact
pricing with smoothing, pruning on the bound; the convergence test; artificial columns still in
use (contiguity's exhaustive search, or a larger *M*); at the root, rounding, the first hub search
and pool IP, and a round of cuts. Each step goes on, asks for the LP to be solved again, or ends
the node. Once converged: the root's enumeration and pool IP, a pool IP every
``PrimalParams.pool_ip_every`` nodes, then the branch (on the count first, then
``branching``) or the node's end (integral, or settled by enumeration). An integral node whose
bound lags its value is re-solved to the proof tolerance (``settle_integral``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

import numpy as np

from ..bounds import lagrangian_bound
from ..result import PROOF_TOLERANCE
from .branching import Kind, Node, Outcome, by_rule, candidates, strong_branch
from .cuts import CutRounds
from .enumeration import Enumeration
from .pricing import Pricer, cut_penalty
from .primal import Primal
from .segments import make_pricer
from .state import TreeState


class Step(Enum):
    """What a step of a node's round asks for, when it does not end the node."""

    AGAIN = "again"    # the LP changed (columns, cuts, M, the search): solve it again
    ON = "on"          # go on to the round's next step


@dataclass
class NodeLP:
    """One node's LP as it is being solved: its rules, tolerances and pricer, the best duals so
    far, and what the last LP solve and pricing round gave."""

    node: Node
    ok: np.ndarray                  # pairs allowed under the node's rules
    forced: np.ndarray | None       # forced members per hub
    k_lo: int
    k_hi: int
    bound: float
    tol: float
    conv_tol: float
    pricer: object
    centre: tuple | None            # the stabilisation centre (pi, mu, sigma)
    # (Lagrangian bound, pi, mu, sigma, cut data, rc_min) at the best duals
    best: tuple | None = None
    # the last LP solve: value, duals, primal values, cut duals, artificial mass, cuts
    z: float = 0.0
    pi_lp: np.ndarray | None = None
    mu_lp: float = 0.0
    x: np.ndarray | None = None
    sig_lp: np.ndarray | None = None
    artificial: float = 0.0
    cut_sets: np.ndarray | None = None
    cuts_lp: tuple | None = None
    # the last pricing round: columns added, and whether at smoothed duals
    added: int = 0
    smoothed: bool = False


class NodeSolver:
    """Processes the nodes of one tree (``process``)."""

    def __init__(self, tree: TreeState, cuts: CutRounds, primal: Primal, fixing: Enumeration):
        self.tree = tree
        self.search = tree.search
        self.params = tree.params
        self.cuts = cuts
        self.primal = primal
        self.fixing = fixing
        self.quick_smoothed = self.params.node.quick_smoothed and tree.problem.size_cost is None
        self.fine = None               # the pricer of ``settle_integral`` (``proof_pricer``)

    def process(self, node: Node) -> Outcome:
        """Solve ``node``'s LP and decide what it ends in."""
        exact = self.tree.pricer.exact_connected
        try:
            return self.solve(node)
        finally:
            self.tree.pricer.exact_connected = exact      # a node's exhaustive search stays its own

    def solve(self, node: Node) -> Outcome:
        lp = self._start(node)
        if isinstance(lp, Outcome):
            return lp
        steps = (self._solve_lp, self._quick_pricing, self._pricing, self._convergence, self._artificials,
                 self._root_rounds)
        while True:
            for step in steps:
                got = step(lp)
                if got is not Step.ON:
                    break
            else:
                return self._converged(lp)
            if got is not Step.AGAIN:
                return got

    # -- the steps of a round ------------------------------------------------------------------
    def _start(self, node: Node) -> NodeLP | Outcome:
        """The node's rules on the master and the count row; its tolerances, pricer and centre."""
        tree, s = self.tree, self.search
        m = tree.master
        ok, forced = node.masks(tree.base_allowed)
        k_lo, k_hi = node.count_range(s.k_lo, s.k_cap())
        if k_lo > k_hi:
            return Outcome(Kind.PRUNED, np.inf)
        m.restrict(ok, forced)
        m.set_count(k_lo, k_hi)
        tol, conv_tol = (tree.tight_tol, tree.tight_tol) if tree.tight else (tree.tol, tree.conv_tol)
        pricer = self.proof_pricer() if tree.tight else tree.pricer
        centre = node.centre if node.centre is not None and len(node.centre[2]) == len(m.cut_sets) else None
        return NodeLP(node, ok, forced, k_lo, k_hi, node.bound, tol, conv_tol, pricer, centre)

    def _solve_lp(self, lp: NodeLP) -> Step | Outcome:
        s, m = self.search, self.tree.master
        if s.left() <= 0 or s.clock.used() > self.tree.stop_at:
            return Outcome(Kind.TIMEOUT, lp.bound)
        good, lp.z, lp.pi_lp, lp.mu_lp, lp.x = m.solve()
        if not good:
            s.log(f"node LP failed at depth {lp.node.depth}; kept open")
            return Outcome(Kind.TIMEOUT, lp.bound)
        lp.sig_lp = m.sigma.copy()
        lp.artificial = m.artificial_mass()     # read now: adding columns invalidates the solution
        lp.cut_sets = np.asarray(m.cut_sets, dtype=np.int64).reshape(-1, 3)
        lp.cuts_lp = Pricer.cut_data(lp.cut_sets, lp.sig_lp)
        return Step.ON

    def _quick_pricing(self, lp: NodeLP) -> Step | Outcome:
        """With cuts in, short searches first (cut penalties make exact pricing slow)."""
        tree, s = self.tree, self.search
        m, p = tree.master, tree.problem
        if lp.cuts_lp is not None and self.quick_smoothed and lp.centre is not None:
            # Wentges smoothing for the short searches too (``NodeParams.quick_smoothed``)
            pi_q, mu_q, sig_q = smoothed_duals(self.params.node.smoothing, lp.centre, lp.pi_lp, lp.mu_lp, lp.sig_lp)
            quick = tree.pricer.price(pi_q, mu_q, lp.tol, s.clock, keep=3, allowed=lp.ok, forced=lp.forced,
                                      enough=s.enough, cuts=Pricer.cut_data(lp.cut_sets, sig_q), heuristic=True)
            if quick is None:
                return Outcome(Kind.TIMEOUT, lp.bound)
            if self._add_improving(quick.columns, lp.pi_lp, lp.mu_lp, lp.cuts_lp):
                return Step.AGAIN
        if lp.cuts_lp is not None:
            # cut penalties make exact pricing slow: try a short search first, exact only when
            # it finds nothing (the bound needs the exact value)
            quick = tree.pricer.price(lp.pi_lp, lp.mu_lp, lp.tol, s.clock, keep=3, allowed=lp.ok, forced=lp.forced,
                                      enough=s.enough, cuts=lp.cuts_lp, heuristic=True)
            if quick is None:
                return Outcome(Kind.TIMEOUT, lp.bound)
            if sum(m.add(S, h, p.column_cost(S, h))
                   for S, h, _ in quick.columns):
                return Step.AGAIN
        return Step.ON

    def _pricing(self, lp: NodeLP) -> Step | Outcome:
        """Exact pricing, smoothed towards the node's best duals (as at the root); a mis-price
        (nothing that improves the LP) falls back to the LP duals. Prunes on the bound."""
        tree, s = self.tree, self.search
        m, p = tree.master, tree.problem
        alpha = self.params.node.smoothing
        smoothed = lp.centre is not None and (lp.cuts_lp is None or self.params.node.smooth_with_cuts)
        while True:
            if smoothed:
                pi, mu, sig = smoothed_duals(alpha, lp.centre, lp.pi_lp, lp.mu_lp, lp.sig_lp)
                cuts = Pricer.cut_data(lp.cut_sets, sig)
            else:
                pi, mu, sig, cuts = lp.pi_lp, lp.mu_lp, lp.sig_lp, lp.cuts_lp
            priced = lp.pricer.price(pi, mu, lp.tol, s.clock, keep=3, allowed=lp.ok, forced=lp.forced,
                                     enough=s.enough, cuts=cuts, slack=lp.tol if tree.tight else 0.0)
            if priced is None:
                return Outcome(Kind.TIMEOUT, lp.bound)
            # cut rows are <= 1 in every plan and their duals are <= 0: they add sum(sigma)
            sigma_sum = float(sig.sum())
            lagrangian = lagrangian_bound(float(pi.sum()) + sigma_sum, mu, priced, lp.k_lo, lp.k_hi, p.population)
            if lp.best is None or lagrangian > lp.best[0]:
                lp.best = (lagrangian, pi, mu, sig, cuts, priced.rc_min)
                lp.centre = (pi, mu, sig)
            lp.bound = max(lp.bound, lagrangian)
            if lp.bound >= tree.threshold():
                return Outcome(Kind.PRUNED, lp.bound)
            if smoothed:
                added = self._add_improving(priced.columns, lp.pi_lp, lp.mu_lp, lp.cuts_lp)
            else:
                added = sum(m.add(S, h, p.column_cost(S, h)) for S, h, _ in priced.columns)
            if added or not smoothed:
                break
            smoothed = False
        lp.added, lp.smoothed = added, smoothed
        return Step.ON

    def _convergence(self, lp: NodeLP) -> Step:
        """A degenerate master keeps taking columns that cannot move it: once the bound over all
        columns meets the LP value (and no artificial is in use) the LP is solved."""
        m = self.tree.master
        solved = lp.bound >= lp.z - lp.conv_tol and lp.artificial <= 1e-9
        if lp.node.depth == 0:
            self.search.log(f"root: LP £{lp.z:,.2f}  bound £{lp.bound:,.2f}  +{lp.added} cols ({len(m.vars)})"
                            + (" smoothed" if lp.smoothed else ""))
        if lp.added and not solved:
            return Step.AGAIN
        return Step.ON

    def _artificials(self, lp: NodeLP) -> Step | Outcome:
        """Converged on artificial columns: either no plan of this node exists (the LP value then
        grows with M past the threshold and the node is pruned) or M was too small to price them
        out. Raise M and re-solve; never branch on an artificial solution."""
        tree, s = self.tree, self.search
        if not lp.added and lp.artificial > 1e-9 and lp.bound < tree.threshold():
            if tree.problem.adjacency is not None and not tree.pricer.exact_connected:
                # under contiguity the column search is not exhaustive and its bound counts
                # disconnected sets, so neither "no column" nor the bound settles the node:
                # search connected sets exhaustively for the rest of this node
                tree.pricer.exact_connected = True
                return Step.AGAIN
            if tree.big_m > 1e6 * tree.crude_upper:
                s.log(f"node at depth {lp.node.depth}: artificial columns stay in use; kept open")
                return Outcome(Kind.TIMEOUT, lp.bound)
            tree.big_m *= 10.0
            tree.master.set_big_m(tree.big_m)
            return Step.AGAIN
        return Step.ON

    def _root_rounds(self, lp: NodeLP) -> Step:
        """At the root: rounding, the first hub search and pool IP, and a round of cuts."""
        tree = self.tree
        if lp.node.depth != 0 or tree.tight:
            return Step.ON
        self.primal.round(lp.x)
        if not self.primal.hub_searches:
            # fix by reduced cost now (any converged duals will do): the heuristics below
            # then only look at pairs that can still be in a cheaper plan
            _, b_pi, b_mu, b_sig, _, b_r = lp.best
            tree.root_duals = (b_pi, b_mu, b_r, float(b_sig.sum()))
            self.fixing.fix_globally(force=True)
            self.primal.hub_search(lp.x, "root LP")
            self.primal.master_ip("root columns")
        if self.cuts.add(lp.x, lp.z):
            _, b_pi, b_mu, b_sig, _, b_r = lp.best
            tree.root_duals = (b_pi, b_mu, b_r, float(b_sig.sum()))
            # new cuts start with dual 0 in the centre (still valid duals); best is re-priced
            grow = np.zeros(len(tree.master.cut_sets) - len(b_sig))
            lp.centre = (b_pi, b_mu, np.concatenate([b_sig, grow]))
            lp.best = None
            return Step.AGAIN
        return Step.ON

    # -- once the LP has converged -------------------------------------------------------------
    def _converged(self, lp: NodeLP) -> Outcome:
        tree, s, params = self.tree, self.search, self.params
        m, p, node = tree.master, tree.problem, lp.node
        tree.node_duals = lp.centre
        # columns added in the last round are not in x: their LP weight is 0
        x = np.concatenate([lp.x, np.zeros(len(m.vars) - len(lp.x))])
        tree.last_x = x
        keep = max(params.master.retire_keep, 4 * p.n)
        if int((~m.off).sum()) > params.master.retire_at_node * keep:
            m.retire_at(lp.pi_lp, lp.mu_lp, lp.sig_lp, x, keep)
        _, pi, mu, sig, cuts, r_last = lp.best
        sigma_sum = float(sig.sum())
        if node.depth == 0 and not tree.tight:
            tree.root_duals = (pi, mu, r_last, sigma_sum)
            if self.cuts.rounds and self.primal.hub_paid:
                # only when the search on the LP without cuts paid: on Greater Manchester both
                # took 30 s of a 300 s run and found nothing (the region passes did)
                self.primal.hub_search(x, "root LP with cuts")
            settled = (self.fixing.close(node, pi, mu, r_last, sigma_sum, cuts, lp.ok, lp.forced, (lp.k_lo, lp.k_hi))
                       if self.cuts.rounds and np.isfinite(s.ub) else None)
            if settled is not None:
                # every column of a cheaper plan, and the IP over them, before the pool IP below
                # (whose columns are a subset): on OR-Library pmedcap 20 the pool IP took 6.4 s
                # to find nothing, then the enumeration settled the root in 3.9 s
                return Outcome(Kind.PRUNED, max(lp.bound, settled))
            if self.cuts.rounds:
                # the cut rounds price many new columns; on a 300-point CPMP the optimum was among
                # the 2,000 of least reduced cost (an IP of 0.6 s) while the IP over the root's
                # columns before the cuts and every other heuristic ended 2 % above it
                self.primal.master_ip("root columns with cuts", best=params.primal.pool_ip_columns,
                                      duals=(pi, mu, sig))
            self.fixing.fix_globally(force=True)
        elif tree.stats.nodes % params.primal.pool_ip_every == 0:
            # the node's restricted master as an IP: on the joint Devon model the plunge from the
            # root went 49 deep without a plan while the node IPs found the optimum
            self.primal.master_ip(f"columns of the node at depth {node.depth}", best=params.primal.pool_ip_columns,
                                  duals=(pi, mu, sig), node_only=True, quiet=True)
        if node.depth > 0 and self.primal.hub_paid and tree.stats.nodes % params.primal.hub_search_every == 0:
            # only while it pays: on the joint Devon model each search took its whole budget (a
            # tenth of the limit) every 25 nodes and never found a plan
            self.primal.hub_search(x, f"node LP at depth {node.depth}")
        # converged: the last Lagrangian bound is the node's LP value (up to the pricing tolerance,
        # which it accounts for exactly through rc_min)
        if lp.bound >= tree.threshold():
            return Outcome(Kind.PRUNED, lp.bound)
        return self._branch(lp, x, pi, mu, cuts, r_last, sigma_sum)

    def _branch(self, lp: NodeLP, x: np.ndarray, pi, mu, cuts, r_last, sigma_sum) -> Outcome:
        """The converged node's end: a branch on the count, integral, settled by enumeration, or a
        branch on a practice-hub pair."""
        tree, params = self.tree, self.params
        X = tree.master.assignment_weights(x)
        frac = np.minimum(X, 1.0 - X)
        kx = float(x.sum())
        if abs(kx - round(kx)) > 1e-6:
            # the number of federations first: cheap, and it moves the bound most
            self.primal.round_node(x)
            return Outcome(Kind.BRANCH_COUNT, lp.bound, weight=kx, floor=int(np.floor(kx)))
        if frac.max() <= 1e-6:
            return self._integral(lp, x)
        self.primal.round_node(x)
        settled = self.fixing.close(lp.node, pi, mu, r_last, sigma_sum, cuts, lp.ok, lp.forced, (lp.k_lo, lp.k_hi))
        if settled is not None:
            return Outcome(Kind.PRUNED, max(lp.bound, settled))
        if params.branching.strong > 1:
            cands = candidates(frac, params.branching)
            if len(cands) > 1:
                i, h = strong_branch(tree, lp.node, cands, lp.z)
                return Outcome(Kind.BRANCH, lp.bound, (i, h), X[i, h])
        i, h = by_rule(frac, X, params.branching.rule)
        return Outcome(Kind.BRANCH, lp.bound, (i, h), X[i, h])

    def _integral(self, lp: NodeLP, x: np.ndarray) -> Outcome:
        tree, s, depth = self.tree, self.search, lp.node.depth
        plan = self._plan_from(x)
        if plan is not None and not tree.problem.is_feasible(*plan):
            # a column that breaks a rule reached the master: never let it close a node
            s.log(f"node at depth {depth}: integral LP is not a valid plan; search stopped")
            return Outcome(Kind.TIMEOUT, lp.bound)
        if plan is None:
            # integral but partly artificial: z >= M would have pruned it; keep it safe anyway
            s.log(f"node at depth {depth}: integral LP not covered by real columns")
            return Outcome(Kind.TIMEOUT, lp.bound)
        s.offer(plan, f"integral node at depth {depth}")
        if lp.bound < min(lp.z, tree.threshold()) - 0.5 * PROOF_TOLERANCE and not tree.tight:
            return self.settle_integral(lp.node, lp.bound)
        return Outcome(Kind.INTEGRAL, lp.bound)

    def settle_integral(self, node: Node, bound: float) -> Outcome:
        """An integral node LP whose bound lags its value: pricing stopped at its tolerance (or,
        under contiguity, at a search that is not exhaustive), so the LP value is not yet proven
        and the node cannot leave the tree on it. Re-solve the node with columns priced to a
        twentieth of the proof tolerance over all k columns, g(N) cut finer (``proof_pricer``)
        and connected sets searched exhaustively; the node then leaves the tree on that bound (or
        branches on what it finds)."""
        self.tree.tight = True
        try:
            return self.solve(replace(node, bound=max(node.bound, bound)))
        finally:
            self.tree.tight = False

    def proof_pricer(self):
        """The pricer of ``settle_integral``: exhaustive over connected sets, and with a size cost
        whose affine pieces are refined, where a column prices below zero, to under-estimate g(N)
        by at most half the proof tolerance over k (the usual pieces may under-estimate it by
        ``sizecost.SEGMENT_TOLERANCE``, £0.25 a column, which the bound then loses; fine pieces
        everywhere would price many more segments: 42 become 211 on a curved risk term). The
        member cost's count windows need nothing more: every pricer refines them itself
        (``segments``); this one starts from the tree pricer's."""
        tree = self.tree
        if self.fine is None:
            p = tree.problem
            if p.size_cost is None:
                self.fine = tree.pricer
            else:
                # half the proof tolerance over the k columns of a plan: with the pricing's own
                # tight_tol the bound then lags an integral node by under 0.55 of the tolerance
                # with a member cost, from the count windows the tree's pricer has refined so far
                self.fine = make_pricer(p, fine=0.5 * PROOF_TOLERANCE / max(1, self.search.k_hi),
                                        params=self.params.pricing,
                                        specs=None if p.member_cost is None else list(tree.pricer.specs))
                self.fine.mode = tree.pricer.mode
                for q in self.fine.parts:
                    q.mode = tree.pricer.mode
        self.fine.allowed = tree.base_allowed
        self.fine.exact_connected = True
        return self.fine

    # -- helpers -------------------------------------------------------------------------------
    def _add_improving(self, columns, pi_lp: np.ndarray, mu_lp: float, cuts_lp) -> int:
        """Add the columns (priced at smoothed duals) whose reduced cost at the LP duals is
        negative; how many were added."""
        tree = self.tree
        p, m = tree.problem, tree.master
        added = 0
        for S, h, _ in columns:
            cost = p.column_cost(S, h)
            if cost - float(pi_lp[list(S)].sum()) - mu_lp + cut_penalty(S, cuts_lp, p.n) < -tree.tol:
                added += m.add(S, h, cost)
        return added

    def _plan_from(self, x: np.ndarray):
        m, n = self.tree.master, self.tree.problem.n
        labels = np.full(n, -1, dtype=np.int64)
        hubs = []
        for j in np.flatnonzero(x > 0.5):
            labels[list(m.members[j])] = len(hubs)
            hubs.append(m.hubs[j])
        if (labels < 0).any():
            return None
        return labels, tuple(hubs)


def smoothed_duals(alpha: float, centre, pi_lp: np.ndarray, mu_lp: float, sig_lp: np.ndarray):
    """Wentges smoothing: alpha * centre + (1 - alpha) * LP duals, for (pi, mu, sigma)."""
    return (alpha * centre[0] + (1 - alpha) * pi_lp, alpha * centre[1] + (1 - alpha) * mu_lp,
            alpha * centre[2] + (1 - alpha) * sig_lp)
