"""Finding plans inside branch and price (never a bound): LP rounding, the hub-set search, the
IPs over pools of columns, the column-fixing dive, and region re-solves (``lns``).

Besides enumeration (``enumeration``) and integral node LPs:

* LP rounding (greedy by LP weight, then local search; at every node until it has missed
  ``PrimalParams.round_tries`` times in a row, then every ``round_every``-th: ``RoundingSchedule``);
* a hub-set search at the root takes the hubs the LP weights most (``lp_hubs``), assigns practices
  to them by a small MIP restricted to those hubs, moves each hub to the member that serves its
  federation cheapest, and repeats (``heuristics.hub_set_search``); on the plain Devon model it
  finds the best known plan within seconds. It is repeated every ``hub_search_every`` nodes only
  once it has found a plan. With a size cost (the joint model) it and the IP over the root columns
  get ``heuristic_share_sized`` of the limit instead of ``heuristic_share``: there they never paid.
* pool IPs: the set-partitioning IP over the ``pool_ip_columns`` columns of least reduced cost
  (cut penalties included) plus the incumbent's, once after the root's cut rounds and every
  ``pool_ip_every`` nodes over the columns the node's rules allow. On a 300-point CPMP the
  optimum was among the 2,000 after the cuts (an IP of 0.6 s) while every other heuristic ended
  2 % above it; on the joint Devon model the node IPs found the optimum by the 50th second.
* right after the root, a column-fixing dive (``Primal.dive``): fix every column the node LP holds
  above ``dive_fix`` (disjoint, since each row sums to 1) or else the heaviest, re-solve the node
  LP by column generation under those rules, repeat until integral or no cheaper plan remains.
  A step that fixed several columns and left no cheaper plan is retried with the heaviest alone
  (tight capacities: the LP's columns at 1/2 fixed together leave the rest uncoverable). It gets
  at most ``dive_share`` of the time left, checked inside each step too, and gives up when its
  pace says the remaining federations will not fit.

Then regions of the incumbent are re-planned (``lns``) with a third of the time left when the gap
is above 0.25 % (``RegionParams``; and all of it, pass after pass while they pay, when the plan is
more than ``CutParams.max_gap`` above the bound, as on 3,038-point CPMPs; the cut rounds are skipped
there too); whenever the tree then stalls (neither bound nor incumbent moving for a tenth of the
limit) and the last region pass paid, another pass gets half the time left (``tree``). On a large
ICB the tree rarely moves the bound within minutes, while region passes keep taking money off the
plan. A root that will not converge in time hands its time to plans (``plans_from_the_root``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from ..heuristics import hub_set_search, improve
from ..result import relative_gap
from .branching import Kind, Node, Outcome
from .columns import partition_ip, plan_columns
from .lns import improve_by_regions
from .master import Master
from .state import SearchState, TreeState


class RoundingSchedule:
    """When LP rounding runs at tree nodes: at every node until it has missed ``tries`` times in a
    row, then at every ``every``-th node; a plan from it starts the count again."""

    def __init__(self, tries: int, every: int):
        self.tries = tries
        self.every = every
        self.misses = 0

    def due(self, nodes: int) -> bool:
        """Whether rounding runs at the tree's ``nodes``-th node."""
        return not (self.misses >= self.tries and nodes % self.every)

    def record(self, paid: bool) -> None:
        self.misses = 0 if paid else self.misses + 1


class Primal:
    """The plan-finding parts of one tree, with what they remember: whether the hub search and the
    last region pass paid, and how rounding has fared."""

    def __init__(self, tree: TreeState, solve_region: Callable):
        self.tree = tree
        self.search = tree.search
        self.params = tree.params.primal
        self.solve_region = solve_region
        self.rounding = RoundingSchedule(self.params.round_tries, self.params.round_every)
        self.hub_searches = 0
        self.hub_paid = False
        self.region_passes = 0
        self.regions_paid = False

    def heuristic_budget(self) -> float:
        share = self.params.heuristic_share if self.tree.problem.size_cost is None else self.params.heuristic_share_sized
        return min(0.25 * self.search.left(), max(2.0, share * self.search.clock.limit))

    # -- LP rounding ---------------------------------------------------------------------------
    def round_node(self, x: np.ndarray) -> None:
        """LP rounding at a tree node, when ``RoundingSchedule`` says it is due."""
        if not self.rounding.due(self.tree.stats.nodes):
            return
        self.rounding.record(self.round(x))

    def round(self, x: np.ndarray) -> bool:
        """Greedy rounding of the LP: take columns by weight while they stay disjoint; finish with
        local search when some practices are left over. True when it found a cheaper plan."""
        if not self.params.rounding:
            return False
        m, p, s = self.tree.master, self.tree.problem, self.search
        n = p.n
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
            a = np.where(p.allowed[np.ix_(left, hubs)], p.assign_cost[np.ix_(left, hubs)], np.inf)
            labels[left] = np.argmin(a, axis=1)
        if len(left) == 0 and s.offer((labels, tuple(hubs)), "LP rounding"):
            return True
        plan = improve(p, labels, tuple(hubs), seed=s.seed)
        return plan is not None and bool(s.offer(plan, "LP rounding + local search"))

    # -- hub-set search and pool IPs -------------------------------------------------------------
    def hub_search(self, x: np.ndarray, where: str) -> None:
        """The k hubs the LP leans on, an optimal assignment to them (a small MIP), hubs moved to
        each federation's cheapest member, repeated (``heuristics.hub_set_search``)."""
        if not self.params.hub_search:
            return
        s, tree = self.search, self.tree
        m = tree.master
        budget = self.heuristic_budget()
        if budget < 1.0 or not len(x):
            return
        self.hub_searches += 1
        with s.phase("hub_search"):
            k = int(np.clip(round(float(x.sum())), s.k_lo, s.k_cap()))
            hubs = lp_hubs(m.members, m.hubs, x, k, tree.problem.n)
            # pairs fixed by reduced cost cannot be in a plan cheaper than the incumbent: leave them out
            problem = tree.problem if tree.stats.fixed_pairs == 0 else replace(tree.problem, allowed=tree.base_allowed)
            start = s.clock.used()
            plan = hub_set_search(problem, hubs, solver=s.mip_solver, time_limit_s=budget, seed=s.seed,
                                  threads=s.threads, clock=s.clock)
            self.hub_paid = bool(s.offer(plan, f"LP hubs + assignment MIP ({where})"))
            if not self.hub_paid:
                s.log(f"LP hubs + assignment MIP ({where}): nothing cheaper in {s.clock.used() - start:.1f}")

    def master_ip(self, where: str, best: int | None = None, duals=None, node_only: bool = False,
                  quiet: bool = False) -> None:
        """Price and branch: the set-partitioning IP over the columns generated so far (the
        incumbent's own columns included, as the warm start), with a short time limit; with
        ``best``, over that many columns of least reduced cost at ``duals`` (among the node's, with
        ``node_only``). Not a proof of anything — only a plan; it is strongest where the LP gap is
        small and assignment heuristics struggle (tight capacities)."""
        if not self.params.pool_ips:
            return
        s, tree = self.search, self.tree
        m = tree.master
        budget = self.heuristic_budget()
        if budget < 1.0 or not m.vars:
            return
        with s.phase("pool_ips"):
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
                cols += [c for c in plan_columns(tree.problem, s.plan) if (c[0], c[1]) not in have]
            # only a cheaper plan is of use (the incumbent's columns keep the start feasible)
            cutoff = s.ub + 1e-7 * max(1.0, abs(s.ub)) if np.isfinite(s.ub) else None
            _, plan, _, out = partition_ip(tree.problem, cols, s.k_lo, s.k_cap(), budget, s.mip_solver, s.seed,
                                           s.threads, start_plan=s.plan, clock=s.clock, cutoff=cutoff)
            s.version = out.version or s.version
            if not s.offer(plan, f"IP over the {where} ({len(cols)} columns)") and not quiet:
                s.log(f"IP over the {where} ({len(cols)} columns): nothing cheaper in {s.clock.used() - start:.1f}")

    # -- the dive ------------------------------------------------------------------------------
    def dive(self, root: Node, budget: float, process: Callable[[Node], Outcome]) -> None:
        """Column-fixing dive from the root LP: fix every column the node LP holds above
        ``dive_fix`` (they are disjoint: each row sums to 1), or the heaviest one when none is,
        re-solve the node LP by column generation under the fixings (``process``), repeat until
        the LP is integral, reaches the incumbent, or ``budget`` (clock units) is spent
        (``TreeState.stop_at`` ends a step at the budget too). A step that fixed several columns
        and left no cheaper plan is retried with the heaviest alone. A column (S, h) is fixed as
        branching rules: every member of S must join hub h and no other practice may. On the joint
        Devon model one dive of about 10 steps found plans the region re-solves did not reach."""
        if not self.params.dive:
            return
        s, tree = self.search, self.tree
        m = tree.master
        with s.phase("dive"):
            start, before, steps = s.clock.used(), s.ub, 0
            node = root
            why = "budget spent"
            while s.clock.used() - start < budget and s.left() > 0:
                x = tree.last_x
                fixed = {h for _, h in node.ones}
                free = [j for j in np.flatnonzero(x > 1e-6) if m.hubs[j] not in fixed]
                if not free:
                    break
                if steps:
                    # a dive that cannot reach the bottom finds nothing: give up when the steps so
                    # far say the federations left will not fit in the budget (Greater Manchester,
                    # 36 federations at 5 s a step, would spend its whole share). With a size cost,
                    # with slack: later steps fix several columns at once and re-solve smaller LPs
                    # (QT1's dive gave up after a first step of 0.6 s, forecast 7.8 s for 7.4 s left;
                    # a dive of 10 steps in 4.9 s had found its best plan). Not without one: there
                    # the hub search and the column IPs find the plans, and on the CPMP files the
                    # longer dives only took time from the tree (sjc200_03 at 60 s: 0.27 % -> 0.43 %)
                    spent = s.clock.used() - start
                    left_k = max(1.0, float(x.sum()) - len(fixed))
                    slack = self.params.dive_pace_slack if tree.problem.size_cost is not None else 1.0
                    if spent * left_k / max(1, len(fixed)) > slack * (budget - spent):
                        why = "would not finish"
                        break
                heaviest = max(free, key=lambda j: x[j])
                take = [j for j in free if x[j] > self.params.dive_fix] or [heaviest]
                members, hubs = list(m.members), list(m.hubs)    # the step may add columns
                while True:
                    child = self.fixing(node, [(members[j], hubs[j]) for j in take])
                    steps += 1
                    s.stats.dive_steps += 1
                    # the first step may have half the budget: one that needs more leaves no time
                    # for the rest (on Greater Manchester it took 33 s, and the region passes lost them)
                    tree.stop_at = start + (budget if steps > 1 else budget / 2)
                    try:
                        kind = process(child).kind
                    finally:
                        tree.stop_at = np.inf
                    if kind is Kind.PRUNED and len(take) > 1 and s.clock.used() - start < budget:
                        # fixing many columns at once can leave the rest uncoverable (tight
                        # capacities, a fixed number of medians): step back and fix only the heaviest
                        take = [heaviest]
                        continue
                    break
                node = child
                if kind not in (Kind.BRANCH, Kind.BRANCH_COUNT):
                    why = {Kind.INTEGRAL: "integral", Kind.PRUNED: "no cheaper plan under its fixings"}.get(
                        kind, "out of time")
                    break
            s.log(f"dive: {steps} steps in {s.clock.used() - start:.1f} ({why}); plan £{before:,.2f} -> £{s.ub:,.2f}")

    def fixing(self, node: Node, columns) -> Node:
        """``node`` with each column (S, h) fixed: every member of S joins hub h, no other may."""
        ones, zeros = dict(node.ones), set(node.zeros)
        for S, h in columns:
            ones.update((i, h) for i in S)
            zeros.update((i, h) for i in np.flatnonzero(self.tree.base_allowed[:, h]).tolist() if i not in S)
        return replace(node, ones=tuple(sorted(ones.items())), zeros=tuple(sorted(zeros)),
                       depth=node.depth + 1, centre=self.tree.node_duals)

    # -- regions -------------------------------------------------------------------------------
    def regions(self, bound: float, share: float) -> None:
        """Re-solve regions of the incumbent (``lns``) with ``share`` of the time left, when the
        gap is one the tree is unlikely to close by branching alone. Each pass draws its own order
        of regions; ``regions_paid`` records whether the last pass found a cheaper plan."""
        params = self.tree.params.regions
        if not params.enabled:
            return
        s = self.search
        if s.plan is None or self.tree.problem.n < 2 * params.practices:
            return
        gap = relative_gap(s.ub, min(bound, s.ub))
        if gap is None or gap <= params.min_gap or share * s.left() < params.budget:
            return
        before = s.ub
        with s.phase("regions"):
            improve_by_regions(self.tree.problem, s.plan, s.clock, share * s.left(), solve=self.solve_region,
                               seed=s.seed + self.region_passes, mip_solver=s.mip_solver,
                               max_practices=params.practices, region_budget=params.budget, offer=s.offer,
                               log=s.log, stats=s.stats)
        self.region_passes += 1
        s.stats.region_passes += 1
        self.regions_paid = s.ub < before


def plans_from_the_root(search: SearchState, master: Master, support: list[int], solve_region: Callable) -> None:
    """When the root stops short (``RootParams.plans_after``): the IP over the LP's columns and the
    incumbent's, then region re-solves (``lns``) for the rest of the time. The bound stays the best
    Lagrangian bound of the rounds run."""
    s, m = search, master
    regions = s.params.regions
    cols = [(m.members[j], m.hubs[j], m.costs[j]) for j in support]
    have = {(S, h) for S, h, _ in cols}
    cols += [c for c in plan_columns(s.problem, s.plan) if (c[0], c[1]) not in have]
    start = s.clock.used()
    _, plan, _, _ = partition_ip(s.problem, cols, s.k_lo, s.k_cap(), 0.25 * s.left(), s.mip_solver,
                                 s.seed, s.threads, start_plan=s.plan, clock=s.clock)
    if not s.offer(plan, f"IP over the LP's columns ({len(cols)})"):
        s.log(f"IP over the LP's columns ({len(cols)}): nothing cheaper in {s.clock.used() - start:.1f}")
    if s.left() > regions.budget:
        improve_by_regions(s.problem, s.plan, s.clock, s.left(), solve=solve_region, seed=s.seed,
                           mip_solver=s.mip_solver, max_practices=regions.practices,
                           region_budget=regions.budget, offer=s.offer, log=s.log, stats=s.stats)


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
