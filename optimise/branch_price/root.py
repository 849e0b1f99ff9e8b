r"""The root LP of branch and price by column generation: a first cover when there is no plan
(phase 1), then the LP itself, stabilised, with a valid Lagrangian bound at every round (phase 2).

**Stabilisation.** Wentges smoothing: pricing at :math:`\alpha\,\text{centre} + (1-\alpha)\,\text{LP duals}`
(``RootParams.smoothing``), centre = the duals with the best bound so far (starting from
"economic" duals of the incumbent: each practice pays its own access cost plus its list-size share
of its federation's fixed, size and member cost); when a smoothed round finds no column that improves the LP (a
mis-price), it falls back to the LP duals. Validity does not depend on it: every bound is
*LB(π, μ)* (``bounds.lagrangian_bound``) at the duals actually priced. Column generation stops as
soon as the best bound meets the master LP value (the LP is then proven optimal over all
columns), which skips the degenerate rounds that only re-confirm it.

A root that has not converged by ``RootParams.plans_after`` of the limit while the plan is more
than ``plans_gap`` above the restricted LP (3,038-point CPMPs) hands the rest to plans
(``primal.plans_from_the_root``); the bound is then the best Lagrangian bound of the rounds run.

**Infeasibility.** If no heuristic plan exists, a phase-1 master (cost 1 per artificial singleton,
0 per real column) is run with the same exact pricing: a converged phase-1 value > 0 proves that no
plan exists, even fractionally (``bounds.phase1_bound`` proves it before convergence). Otherwise
the artificial columns are switched off and phase 2 runs as usual.
"""
from __future__ import annotations

import numpy as np

from ..bounds import phase1_bound
from .columns import partition_ip
from .master import Master
from .pricing import Pricer
from .state import SearchState


class RootLP:
    """Column generation at the root over ``master`` with ``pricer``: the ``rounds`` run, and
    whether the rest of the time goes to plans (``plans_instead``, with the LP's ``support``)."""

    def __init__(self, search: SearchState, master: Master, pricer):
        self.search = search
        self.master = master
        self.pricer = pricer
        self.rounds = 0
        self.plans_instead = False
        self.support: list[int] = []

    def phase1(self) -> str:
        """Find a fractional cover (or prove there is none); then a plan from the IP over columns."""
        s, m = self.search, self.master
        m.start_phase1()
        zero_pricer = Pricer(s.problem, np.zeros_like(s.problem.assign_cost), 0.0, mode=self.pricer.mode)
        rounds = 0
        while s.left() > 0:
            rounds += 1
            ok, z, pi, mu, _ = m.solve()
            if not ok:
                s.log("phase 1: master LP failed")
                return "error"
            tol = 1e-9
            if z <= 1e-9:
                break
            priced = zero_pricer.price(pi, mu, tol, s.clock)
            if priced is None:
                return "timeout"
            # Lagrangian bound on the phase-1 value: any cover by k real columns, k in [k_lo, k_hi],
            # has sum(pi) <= -k(mu + r), so sum(pi) + min_k k(mu + r) > 0 proves there is none
            bound = phase1_bound(float(pi.sum()), mu, priced.rc_min, s.k_lo, s.k_hi)
            if bound > 1e-7:
                s.log(f"phase 1: infeasibility value >= {bound:.6f} > 0")
                return "infeasible"
            added = sum(m.add(S, h, s.problem.column_cost(S, h))
                        for S, h, _ in priced.columns)
            s.log(f"phase 1 round {rounds}: artificial mass {z:.6f}, +{added} columns")
            if added == 0:
                if z > 1e-7:
                    # with contiguity the column search is not exhaustive: no new column is not a
                    # proof (only the Lagrangian bound above is). Retry with the exhaustive
                    # connected search, whose value then gives the bound.
                    if s.problem.adjacency is not None and not zero_pricer.exact_connected:
                        zero_pricer.exact_connected = True
                        continue
                    return "infeasible" if s.problem.adjacency is None else "stalled"
                break
        else:
            return "timeout"
        m.end_phase1()
        state, plan, _, _ = partition_ip(s.problem, list(zip(m.members, m.hubs, m.costs)), s.k_lo,
                                         s.k_hi, min(s.left(), 0.2 * s.clock.limit),
                                         s.mip_solver, s.seed, s.threads, clock=s.clock)
        s.offer(plan, "phase-1 columns IP")
        return "feasible"

    def phase2(self):
        """Stabilised column generation. Returns (converged, (pi, mu, r) with the best bound)."""
        s, m, pr, p = self.search, self.master, self.pricer, self.search.problem
        alpha = s.params.root.smoothing
        centre = None
        best = None          # (lb, pi, mu, r)
        if s.plan is not None:
            labels, hubs = s.plan
            w = p.list_size.astype(float)
            pops = np.bincount(labels, weights=w, minlength=len(hubs))
            share = np.where(pops[labels] > 0, w / np.where(pops[labels] > 0, pops[labels], 1.0), 0.0)
            fixed = p.hub_cost + np.asarray(p.size_term(pops.astype(np.int64)), float)
            if p.member_cost is not None:
                fixed = fixed + p.member_term(np.bincount(labels, minlength=len(hubs)), pops)
            pi0 = p.assign_cost[np.arange(s.n), np.asarray(hubs)[labels]] + fixed[labels] * share
            centre = (pi0, 0.0)
        scale = max(1.0, abs(s.ub) if np.isfinite(s.ub) else p.hub_cost)
        tol = 1e-7 * scale
        keep = max(s.params.master.retire_keep, 4 * s.n)
        rounds = 0
        converged = False
        while s.left() > 0:
            rounds += 1
            ok, z, pi_lp, mu_lp, x = m.solve()
            if not ok:
                s.log(f"round {rounds}: master LP failed; stopping")
                break
            smoothed = centre is not None
            while True:
                if smoothed:
                    pi = alpha * centre[0] + (1 - alpha) * pi_lp
                    mu = alpha * centre[1] + (1 - alpha) * mu_lp
                else:
                    pi, mu = pi_lp, mu_lp
                priced = pr.price(pi, mu, tol, s.clock, enough=s.enough)
                if priced is None:
                    break
                r = priced.rc_min
                lb = s.lagrangian(pi, mu, priced)
                if best is None or lb > best[0]:
                    best = (lb, pi, mu, r)
                    centre = (pi, mu)
                    if lb > s.lb:
                        s.lb = lb
                # columns that improve the LP (negative at the LP duals)
                added = 0
                for S, h, _ in priced.columns:
                    cost = p.column_cost(S, h)
                    rc_lp = cost - float(pi_lp[list(S)].sum()) - mu_lp
                    if rc_lp < -tol or not smoothed:
                        added += m.add(S, h, cost)
                if added or not smoothed:
                    break
                smoothed = False      # mis-price: the smoothed point gave nothing for the LP
            if priced is None:
                s.log(f"round {rounds}: budget spent during pricing")
                break
            retired = m.retire(pi_lp, mu_lp, x, keep) if m.live() > s.params.master.retire_at_root * keep else 0
            s.log(f"round {rounds}: LP £{z:,.2f}  LB £{s.lb:,.2f}  UB £{s.ub:,.2f}  "
                  f"+{added} cols ({m.live()} live)  priced {priced.exact_hubs} hubs"
                  + (f", {priced.dp_fallbacks} DP" if priced.dp_fallbacks else "")
                  + (f"; {retired} columns at zero with the highest reduced costs retired" if retired else ""))
            if s.proven():
                break
            if added == 0:
                lb = s.lagrangian(pi_lp, mu_lp, priced)
                s.lb = max(s.lb, lb)
                best = (lb, pi_lp, mu_lp, priced.rc_min) if best is None or lb >= best[0] else best
                if self.partition_now(rounds, z):
                    continue
                converged = True
                s.log(f"LP converged after {rounds} rounds: £{z:,.2f}")
                break
            if best is not None and best[0] >= z - 1e-6 * scale:
                # the Lagrangian bound (valid over ALL columns) meets the restricted LP value: the
                # LP is solved even though degenerate pricing still offers columns (on a 300-point
                # CPMP this stopped 40 s of rounds that could not move the LP)
                if self.partition_now(rounds, z):
                    continue
                converged = True
                s.log(f"LP converged after {rounds} rounds: £{z:,.2f} (the bound meets the LP)")
                break
            if (s.plan is not None and s.n >= s.params.root.plans_min_practices
                    and s.clock.used() > s.params.root.plans_after * s.clock.limit
                    and s.ub - z > s.params.root.plans_gap * abs(s.ub)):
                # the root will not converge in time, so the tree will never run, and a plan this
                # far above the LP is worth more work than the LP (3,038 points: 27 % above it)
                self.plans_instead = True
                self.support = np.flatnonzero(x > 1e-9).tolist()
                s.stats.plans_instead = True
                s.log(f"root LP not converged at {s.clock.used():.0f} of {s.clock.limit:.0f} and the "
                      f"plan is {100 * (s.ub - z) / abs(s.ub):.1f} % above it: the rest goes to plans")
                break
        self.rounds = rounds
        s.stats.rounds = rounds
        return converged, (best[1:] if best is not None else None)

    def partition_now(self, rounds: int, z: float) -> bool:
        """At the covering LP's optimum: rows back to = 1, pricing goes on (True); False when
        the master already partitions. (Retiring the columns at zero here, down to the usual
        keep, made the root's first cut round on sjc402_02 re-price for 44 s instead of 2 s.)"""
        m = self.master
        if not m.cover:
            return False
        m.partition()
        self.search.stats.covered_first = True
        self.search.log(f"covering LP converged after {rounds} rounds: £{z:,.2f}; practices now in exactly one "
                        "column")
        return True
