"""What one branch-and-price run holds, typed: the problem, its budget, log and parameters, the
incumbent and the lower bound (``SearchState``); and what the parts of the tree share: the node
master and pricer, the pairs still allowed, the root duals and what left the tree
(``TreeState``).

Every part reads and writes the run through these two objects only: the incumbent changes only
through ``SearchState.offer`` (which also keeps the master's count row at the cap the incumbent
allows), the bound only through ``SearchState.lb``.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..bounds import count_cap, crude_upper, lagrangian_bound, min_column_cost, round_up_to_step, target_floor
from ..clock import Clock
from ..heuristics import repair_contiguous
from ..problem import FederationProblem
from ..result import PROOF_TOLERANCE, RunStats, relative_gap, within_proof_tolerance
from .master import Master, NodeMaster
from .params import Params


@dataclass
class Log:
    """The run's log: timed lines, kept and (with a ``path``) appended to a file as they come."""

    t0: float
    path: Path | None
    lines: list[str] = field(default_factory=list)

    def __call__(self, msg: str) -> None:
        line = f"[{time.perf_counter() - self.t0:7.2f}s] {msg}"
        self.lines.append(line)
        if self.path is not None:
            with open(self.path, "a") as f:
                f.write(line + "\n")

    def text(self) -> str:
        return "\n".join(self.lines) + ("\n" if self.lines else "")


class SearchState:
    """One run: the problem, its clock, log and parameters, the incumbent (``plan``, ``ub``), the
    lower bound ``lb``, the notes and statistics of the result, and the master LP in use (the
    root's, then the tree's), whose count row follows the incumbent."""

    def __init__(self, problem: FederationProblem, clock: Clock, log, params: Params, *, gap: float = 0.0,
                 seed: int = 0, threads: int = 1, mip_solver: str = "cbc"):
        self.problem = problem
        self.clock = clock
        self.log = log
        self.params = params
        self.gap = max(0.0, float(gap))
        self.seed = seed
        self.threads = threads
        self.mip_solver = mip_solver
        self.n = problem.n
        self.k_lo, self.k_hi = problem.federation_count_range()
        # partial pricing: enough hubs with new columns per round (full scans only to converge)
        self.enough = max(params.pricing.partial_min_hubs, problem.n // params.pricing.partial_hub_share)
        # every column costs at least F + min g (+ the least member cost) when access costs are
        # >= 0 (``k_cap``)
        self.min_column = min_column_cost(problem)
        self.nonneg = bool(self.min_column > 0 and np.all(problem.assign_cost[problem.allowed] >= 0))
        self.plan: tuple[np.ndarray, tuple[int, ...]] | None = None
        self.ub = np.inf
        self.lb = -np.inf
        # every plan costs a multiple of this (0: no such step); see FederationProblem.cost_step
        self.step = problem.cost_step()
        self.notes: list[str] = []
        self.version = ""
        self.master: Master | None = None
        self.stats = RunStats()

    def left(self) -> float:
        """What is left of the budget, in its unit (seconds, or work units in work mode)."""
        return self.clock.left()

    def offer(self, plan, source: str) -> bool:
        """Take ``plan`` as the incumbent if it is feasible (made contiguous if need be) and
        cheaper; True when it was."""
        if plan is None:
            return False
        labels, hubs = np.asarray(plan[0], dtype=np.int64), tuple(int(h) for h in plan[1])
        if not self.problem.is_feasible(labels, hubs):
            if self.problem.adjacency is None:
                return False
            # heuristics do not know contiguity: keep each hub's connected piece, re-attach the rest
            fixed = repair_contiguous(self.problem, labels, hubs)
            if fixed is None or not self.problem.is_feasible(*fixed):
                return False
            labels, hubs = fixed
            source += " (made contiguous)"
        c = self.problem.cost(labels, hubs)
        if c < self.ub - 1e-9 * max(1.0, abs(self.ub) if np.isfinite(self.ub) else 1.0):
            self.ub, self.plan = c, (labels, hubs)
            self.stats.incumbents += 1
            self.log(f"incumbent £{c:,.2f} ({source})")
            if self.master is not None:
                self.master.set_count(self.k_lo, self.k_cap())
            return True
        return False

    def k_cap(self) -> int:
        """The most federations a plan cheaper than the incumbent can have (``bounds.count_cap``)."""
        return count_cap(self.ub, self.min_column, self.nonneg, self.k_lo, self.k_hi)

    def target(self) -> float:
        """Plans at or above this cost need not be found (the incumbent is within the gap, or,
        with whole costs, a plan must cost at least one step less than the incumbent to improve it)."""
        t = self.ub * (1 - self.gap) if self.ub >= 0 else self.ub * (1 + self.gap)
        if self.step > 0 and np.isfinite(self.ub):
            t = min(t, self.ub - (1 - self.params.step_slack) * self.step)
        return t

    def bound(self) -> float:
        """The lower bound, rounded up to the next multiple of the cost step when there is one."""
        return round_up_to_step(self.lb, self.step, self.params.step_slack)

    def lagrangian(self, pi: np.ndarray, mu: float, priced) -> float:
        """``bounds.lagrangian_bound`` at root duals (no cuts) and the pricing outcome there."""
        return lagrangian_bound(float(pi.sum()), mu, priced, self.k_lo, self.k_cap(), self.problem.population)

    def proven(self) -> bool:
        """The search may stop: the plan is optimal (within ``PROOF_TOLERANCE``) or within the
        requested gap of the bound."""
        if self.plan is None or not np.isfinite(self.lb):
            return False
        bound = self.bound()
        if within_proof_tolerance(self.ub, bound):
            return True
        g = relative_gap(self.ub, bound)
        return self.gap > 0 and g is not None and g <= self.gap + 1e-12

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Count the wall seconds and work units spent inside into ``stats`` under ``name``."""
        t, work = time.perf_counter(), self.clock.work
        try:
            yield
        finally:
            self.stats.add_phase(name, time.perf_counter() - t, self.clock.work - work)


class TreeState:
    """What the parts of the tree share: the node master (built from the root's live columns, and
    from then on the run's master), the pricer and the pairs it may still use, the root duals,
    the tolerances, and ``discard_floor``: no plan cheaper than it lies in what left the tree."""

    def __init__(self, search: SearchState, pricer, root_duals):
        self.search = search
        self.problem = search.problem
        self.params = search.params
        self.stats = search.stats
        self.pricer = pricer
        # (pi, mu, r, sum of the cut duals) of the root: reduced-cost fixing works from them
        self.root_duals = None if root_duals is None else (*root_duals, 0.0)
        # no plan cheaper than this lies in what left the tree: the least valid bound of every
        # node pruned, settled by enumeration or found integral, and every target that fixed
        # pairs. The run's bound is the least of it and the open nodes' bounds (with a gap > 0,
        # nodes are pruned at the gap's target and their own bounds, not the incumbent, count)
        self.discard_floor = np.inf
        self.base_allowed = self.problem.allowed.copy()
        self.fixed_at_ub: float | None = None
        self.stop_at = np.inf          # clock units: a node past it stops as at the time limit (the dive's budget)
        # every plan costs at most this: a node whose bound exceeds it holds no plan (before the
        # first incumbent, this is what prunes nodes that only the artificial columns cover)
        self.crude_upper = crude_upper(self.problem)
        ub = search.ub if np.isfinite(search.ub) else self.crude_upper
        self.big_m = float(max(ub, 1.0)) * 2.0
        self.master = NodeMaster(self.problem.n, search.k_lo, search.k_cap(), self.big_m)
        # the root's retired columns stay out (pricing brings back any a node needs): on a
        # 400-practice ICB they were 9 in 10 of the columns, and every node LP priced them all
        root = search.master
        for j, (S, h, c) in enumerate(zip(root.members, root.hubs, root.costs)):
            if j not in root.retired:
                self.master.add(S, h, c)
        search.master = self.master            # new incumbents update this master's count row
        self.tol = 1e-7 * max(1.0, ub)
        self.conv_tol = 1e-6 * max(1.0, abs(ub))
        # a node re-solved to the proof tolerance (``node.NodeSolver.settle_integral``): pricing
        # then adds every column below -tight_tol and searches connected sets exhaustively
        self.tight = False
        self.tight_tol = 0.05 * PROOF_TOLERANCE / max(1, search.k_hi)
        # the best duals of the last node processed (its children's stabilisation centre) and its
        # LP solution (over every column of the master)
        self.node_duals: tuple | None = None
        self.last_x: np.ndarray | None = None

    def threshold(self) -> float:
        """Nodes whose bound reaches this cannot hold a plan better than the incumbent (within the
        requested gap, and by more than ``PROOF_TOLERANCE``). A node pruned here leaves its own
        bound in ``discard_floor``, so the run's bound stays valid: with gap 0 every pruned node's
        bound is within half the proof tolerance of the incumbent; with whole costs (cost step 1)
        within 0.98 of it, which ``round_up_to_step`` lifts to the incumbent (no plan costs less
        than the incumbent and more than the incumbent less one)."""
        s = self.search
        if not np.isfinite(s.ub):
            return self.crude_upper + 1e-9 * max(1.0, abs(self.crude_upper))
        t = s.ub * (1 - s.gap) if s.ub >= 0 else s.ub * (1 + s.gap)
        if s.step > 0:
            return min(t, s.ub - (1 - 2 * self.params.step_slack) * s.step)
        return min(t, s.ub - 0.5 * PROOF_TOLERANCE)

    def settled(self, floor: float) -> None:
        """Part of the search space left the tree holding no plan cheaper than ``floor``."""
        self.discard_floor = min(self.discard_floor, float(floor))

    def target_floor(self, target: float) -> float:
        """What "no plan cheaper than ``target``" proves (``bounds.target_floor``)."""
        return target_floor(target, self.search.step)

    def far_above(self, value: float) -> bool:
        """Whether the incumbent is more than ``CutParams.max_gap`` above ``value`` (an LP or bound)."""
        ub = self.search.ub
        return bool(np.isfinite(ub) and ub - value > self.params.cuts.max_gap * abs(ub))
