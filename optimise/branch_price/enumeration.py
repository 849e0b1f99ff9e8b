r"""Closing the gap by reduced costs: global reduced-cost fixing of practice-hub pairs, and
reduced-cost enumeration at a node (every column that can still be in a cheaper plan, then the
set-partitioning IP over them), with CBC's "nothing cheaper" re-checked by HiGHS.

**Enumeration.** Fix duals :math:`(\pi, \mu)` and *r* and a target *T* (the incumbent *UB*, or
:math:`UB(1-\text{gap})`); every plan better than *T* is built only from columns with
:math:`\bar c_c < \Delta` (``bounds.enumeration_window``). The knapsack search lists ALL of them
per hub (aborting beyond ``NodeParams.enum_limit``); a member set listed under several hubs keeps
only its cheapest hub (swapping a column for the same set with a cheaper hub never hurts). The
set-partitioning IP over exactly those columns, solved to optimality by the MIP solver, then finds
the best plan cheaper than *T* if one exists; so the node's optimum is :math:`\min(\text{IP
optimum}, UB)` — proven. If the IP is infeasible, no plan of the node is cheaper than *T*. If
enumeration or the IP runs out of time or space, the node stays open. On Devon-sized instances
the LP gap is too wide for enumeration at the root (hundreds of thousands of columns), so the tree
branches first and enumerates at nodes whose gap has become small.

**Global reduced-cost fixing.** With the root duals, a pair (i, h) that cannot belong to any
column of reduced cost below :math:`\Delta` at :math:`T` cannot appear in a plan cheaper than *T*
and is forbidden everywhere (the knapsack relaxation decides, ``Pricer.fixable``; it ignores cut
penalties, an upper bound on profit, so the test stays valid); repeated whenever the incumbent
improves. The pairs fixed out belong only to plans costing at least *T*, which the run's bound
then counts (``TreeState.settled``).
"""
from __future__ import annotations

import numpy as np

from ..bounds import enumeration_window
from ..result import PROOF_TOLERANCE
from ..solvers.highs import available as highspy_available
from .columns import partition_ip
from .state import TreeState


class Enumeration:
    """Reduced-cost fixing (``fix_globally``) and enumeration (``close``) for one tree."""

    def __init__(self, tree: TreeState):
        self.tree = tree

    def fix_globally(self, force: bool = False) -> None:
        """Reduced-cost fixing from the root duals against the current incumbent."""
        tree, s = self.tree, self.tree.search
        if tree.root_duals is None or not np.isfinite(s.ub) or (tree.fixed_at_ub == s.ub and not force):
            return
        pi, mu, r, sigma_sum = tree.root_duals
        T = s.target()
        ks = (s.k_lo, s.k_cap())
        # the relaxation ignores cut penalties (an upper bound on profit), so the test stays valid
        delta = enumeration_window(T, float(pi.sum()), sigma_sum, mu, r, ks)
        keep = tree.pricer.fixable(pi, mu, delta)
        if (tree.base_allowed & ~keep).any():
            # the pairs fixed out belong only to plans costing at least T
            tree.settled(tree.target_floor(T))
        tree.base_allowed = tree.base_allowed & keep
        tree.pricer.allowed = tree.base_allowed
        tree.fixed_at_ub = s.ub
        tree.stats.fixed_pairs = int(tree.problem.allowed.sum() - tree.base_allowed.sum())

    def close(self, node, pi, mu, r, sigma_sum, cuts, ok, forced, ks) -> float | None:
        """Every column that can appear in a plan of this node cheaper than the target, then the
        IP over them. Returns a lower bound on every plan of the node when it is settled (its best
        plan found, or none cheaper than the target), else None.

        A plan of k columns costs sum(pi) + sigma + k mu + the sum of its columns' reduced costs,
        each at least r (``rc_min`` at these duals), so one of its columns can be in a plan
        cheaper than T only if its reduced cost is below delta = T - sum(pi) - sigma - min_k
        (k mu + (k - 1) r); no column has a reduced cost below r, so delta <= r settles the node."""
        tree, s = self.tree, self.tree.search
        if not np.isfinite(s.ub):
            return None
        with s.phase("enumeration"):
            T = s.target()
            delta = enumeration_window(T, float(pi.sum()), sigma_sum, mu, r, ks)
            if delta <= r:
                tree.stats.closed_by_enumeration += 1
                return tree.target_floor(T)
            found = tree.pricer.enumerate(pi, mu, delta, tree.params.node.enum_limit, s.clock, allowed=ok,
                                          forced=forced, cuts=cuts)
            if found is None:
                return None
            cols = [(S, h, c) for S, (h, c) in found.items()]
            if not cols:
                tree.stats.closed_by_enumeration += 1
                return tree.target_floor(T)
            # plans at or above the target need not be found: with the objective capped there, most
            # node IPs end as "infeasible" (nothing cheaper) in a fraction of the time
            cutoff = T + 1e-7 * max(1.0, abs(T))
            state, plan, _, out = partition_ip(tree.problem, cols, ks[0], ks[1], max(1.0, s.left()),
                                               s.mip_solver, s.seed, s.threads, clock=s.clock, cutoff=cutoff)
            s.version = out.version or s.version
            if state == "infeasible" and s.mip_solver == "cbc" and plan is None:
                state = self.recheck_infeasible(cols, ks, cutoff, node.depth)
            settled = state in ("optimal", "infeasible")
            # CP-SAT proves the optimum of the pence-rounded costs; its bound, less the rounding
            # error, holds for the true costs, and settles the node when it reaches the target (or
            # the plan just found) within the proof tolerance
            rounded = state == "optimal_rounded" and out.bound is not None
            cost = tree.problem.cost(*plan) if plan is not None else np.inf
            if plan is not None:
                s.offer(plan, f"enumerated IP at depth {node.depth} "
                              + (f"({len(cols)} columns)" if settled or rounded else "(not proven)"))
            if settled:
                tree.stats.closed_by_enumeration += 1
                return min(tree.target_floor(T), cost)
            if rounded and out.bound >= min(T, s.ub) - PROOF_TOLERANCE:
                tree.stats.closed_by_enumeration += 1
                return min(tree.target_floor(T), cost, float(out.bound))
            return None

    def recheck_infeasible(self, cols, ks, cutoff: float, depth: int) -> str:
        """CBC's "no plan below the cutoff" checked by HiGHS before it closes a node: CBC 2.10 has
        reported infeasibility falsely (its preprocessing, on large models), and a node closed on
        a false claim would lose plans and make the bound wrong. HiGHS gets the cutoff as a row.
        Returns "infeasible" when HiGHS agrees, else what HiGHS found ("optimal" with its plan
        offered, or "feasible" / "no_solution", which leave the node open)."""
        tree, s = self.tree, self.tree.search
        if not highspy_available():
            return "infeasible"          # no second solver here: CBC's word, as before
        tree.stats.infeasible_rechecks += 1
        state, plan, _, out = partition_ip(tree.problem, cols, ks[0], ks[1], max(1.0, s.left()), "highs", s.seed,
                                           s.threads, clock=s.clock, cutoff=cutoff)
        if plan is not None:
            s.offer(plan, f"HiGHS re-check of CBC's 'infeasible' at depth {depth}")
            s.log(f"CBC reported no plan below the cutoff at depth {depth}; HiGHS found one: node kept")
            return state if state == "optimal" else "feasible"
        if state != "infeasible":
            s.log(f"CBC's 'infeasible' at depth {depth} could not be re-checked ({state}): node kept open")
        return state
