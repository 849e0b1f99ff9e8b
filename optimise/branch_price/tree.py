"""The branch-and-price tree: closes the gap the root LP leaves (about 1 % under the best plans on
Devon), best bound first, plunging.

Node order: best bound first, plunging into the child the LP leans to after each branch (it finds
plans early), the other child queued. After the root node: the column-fixing dive, then region
re-solves (``primal``); later, another region pass whenever the tree stalls and the last one
paid. Reduced-cost fixing is repeated whenever the incumbent improves (``enumeration``). The
global bound is the least bound over open nodes and what left the tree (``TreeState.discard_floor``),
so a stop at the time limit still reports a valid bound.
"""
from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from .branching import Kind, Node
from .cuts import CutRounds
from .enumeration import Enumeration
from .node import NodeSolver
from .primal import Primal
from .state import SearchState, TreeState


class BranchAndPrice:
    """One tree over the run ``search`` (its incumbent, bound, clock and log), from the root
    master's columns and duals, with ``solve_region`` for region re-solves (``lns``)."""

    def __init__(self, search: SearchState, pricer, root_duals, solve_region: Callable):
        self.search = search
        self.tree = TreeState(search, pricer, root_duals)
        self.cuts = CutRounds(self.tree)
        self.primal = Primal(self.tree, solve_region)
        self.fixing = Enumeration(self.tree)
        self.nodes = NodeSolver(self.tree, self.cuts, self.primal, self.fixing)

    def run(self, root_bound: float) -> None:
        s, tree, stats = self.search, self.tree, self.search.stats
        regions = tree.params.regions
        self.fixing.fix_globally()
        counter = itertools.count()
        centre = None if tree.root_duals is None else (tree.root_duals[0], tree.root_duals[1], np.zeros(0))
        heap: list[tuple[float, int, Node]] = [(root_bound, next(counter), Node(bound=root_bound, centre=centre))]
        current: Node | None = None
        last_report = time.perf_counter()
        progress = (s.lb, s.ub, s.clock.used())      # (bound, incumbent) and when they last moved
        while heap or current is not None:
            if current is None:
                b, _, current = heapq.heappop(heap)
                if b >= tree.threshold():
                    # every open node's bound is at least b: none holds a cheaper plan
                    tree.settled(b)
                    current = None
                    heap.clear()
                    break
            if s.left() <= 0:
                heapq.heappush(heap, (current.bound, next(counter), current))
                current = None
                break
            stats.nodes += 1
            out = self.nodes.process(current)
            if out.kind is Kind.TIMEOUT:
                heapq.heappush(heap, (max(out.bound, current.bound), next(counter), current))
                current = None
                break
            if out.closed:
                # the node's own bound stays in the run's bound (a node pruned at a gap's
                # target may hold plans cheaper than the incumbent)
                tree.settled(out.bound)
                stats.pruned += out.kind is Kind.PRUNED
                stats.integral += out.kind is Kind.INTEGRAL
                current = None
            elif out.kind is Kind.BRANCH_COUNT:
                fl, kx = out.floor, out.weight
                down, up = current.child_count(None, fl, out.bound), current.child_count(fl + 1, None, out.bound)
                down, up = replace(down, centre=tree.node_duals), replace(up, centre=tree.node_duals)
                first, other = (up, down) if kx - fl >= 0.5 else (down, up)
                heapq.heappush(heap, (out.bound, next(counter), other))
                current = first
            else:
                (i, h), xih = out.pair, out.weight
                one, zero = current.child_one(i, h, out.bound), current.child_zero(i, h, out.bound)
                one, zero = replace(one, centre=tree.node_duals), replace(zero, centre=tree.node_duals)
                # plunge the way the LP leans; the other child waits in the queue
                first, other = (one, zero) if xih >= 0.5 else (zero, one)
                heapq.heappush(heap, (out.bound, next(counter), other))
                current = first
            if stats.nodes == 1 and not out.closed:
                # after the root: a dive, then region re-solves from whatever plan it leaves
                self.primal.dive(Node(bound=out.bound), tree.params.primal.dive_share * s.left(), self.nodes.process)
                self.primal.regions(out.bound, regions.share)
                while self.primal.regions_paid and tree.far_above(out.bound) and s.left() > regions.budget:
                    # a plan this far above the bound is not the tree's work: on 3,038 points (17 %
                    # above it after a pass) the tree ran 2 nodes in 40 s, a region pass took 6 %
                    # off the plan in 20 s
                    self.primal.regions(out.bound, 1.0)
            self.fixing.fix_globally()
            open_bound = min([b for b, _, _ in heap] + ([current.bound] if current is not None else []),
                             default=np.inf)
            s.lb = max(s.lb, min(open_bound, s.ub, tree.discard_floor))
            if (s.lb, s.ub) != progress[:2]:
                progress = (s.lb, s.ub, s.clock.used())
            elif self.primal.regions_paid and s.clock.used() - progress[2] > regions.stall_share * s.clock.limit:
                self.primal.regions(s.lb, regions.stall_region_share)
                progress = (s.lb, s.ub, s.clock.used())
            if time.perf_counter() - last_report > 5.0:
                last_report = time.perf_counter()
                s.log(f"branch and price: {stats.nodes} nodes, {len(heap)} open, "
                      f"bound £{s.lb:,.2f}, incumbent £{s.ub:,.2f}, {len(tree.master.vars)} columns, "
                      f"{stats.fixed_pairs} pairs fixed")
            if s.proven():
                break
        open_bound = min([b for b, _, _ in heap], default=np.inf)
        s.lb = max(s.lb, min(open_bound, s.ub, tree.discard_floor))
