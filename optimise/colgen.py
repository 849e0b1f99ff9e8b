r"""Column generation over candidate federations: a much stronger lower bound, and often a proof.

Set-partitioning master over columns *c* = (member set :math:`S_c`, hub :math:`h_c`):

.. math::

    \min \sum_c c_c \lambda_c \quad\text{s.t.}\quad \sum_{c \ni i} \lambda_c = 1 \;\forall i,\qquad
    k_{lo} \le \sum_c \lambda_c \le k_{hi},\qquad \lambda \ge 0

with :math:`c_c = F + \sum_{i \in S_c} a_{i h_c}`. Its LP bound is at least as strong as the
compact formulation's (Dantzig–Wolfe on the population rows), usually much stronger.

Pricing, for duals :math:`\pi` (partition rows) and :math:`\mu` (count row), per hub *h*: the most
negative reduced cost :math:`F + \sum_{i\in S}(a_{ih} - \pi_i) - \mu` over sets with
:math:`h \in S`, :math:`L \le w(S) \le U` and allowed pairs only — a 0-1 knapsack with a lower
bound on the weight, solved exactly by dynamic programming over integer list sizes. A hub is
skipped only when a relaxation (all positive profits taken, capacity ignored) proves it has no
negative column, so every pricing round is exact.

Lower bound (valid at every round, not only at convergence). For any integer plan with *k*
federations, :math:`\text{cost} = \sum_c \bar c_c \lambda_c + \sum_i \pi_i + \mu k \ge
\sum_i \pi_i + k(\mu + \min(0, \bar c_{\min}))`, minimised over :math:`k \in \{k_{lo}, k_{hi}\}`
(it is linear in *k*).

Upper bound: the master solved as an integer programme over the generated columns. When it
meets the lower bound the plan is proven optimal; otherwise the caller keeps the bound.

Status: EXPERIMENTAL, not used by ``solve_federations`` yet. Measured on Devon (116 practices):
pricing takes about 2.3 s a round and the degenerate master converges slowly even with Wentges
smoothing, economic starting duals and reduced-cost item pruning — after 90 s the LP stood at
£5.824M (not converged) against CBC's compact-model bound of about £5.76M-5.78M. Next steps for
the exact-engine issue: faster pricing (Pareto-frontier DP, heuristic pricing first), stronger
stabilisation, then branching or reduced-cost enumeration to close the gap.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .problem import FederationProblem


@dataclass
class ColumnGenerationOutcome:
    lower_bound: float
    lp_value: float | None
    converged: bool
    rounds: int
    columns: int
    plan: tuple[np.ndarray, tuple[int, ...]] | None
    plan_cost: float | None
    log: list[str] = field(default_factory=list)


def _price_hub(problem: FederationProblem, h: int, profit: np.ndarray, w: np.ndarray,
               allowed: np.ndarray | None = None) -> tuple[float, list[int]] | None:
    """Max of sum(profit) over S containing h with L <= w(S) <= U (allowed members only)."""
    L, U = problem.min_population, problem.max_population
    members = np.flatnonzero(problem.allowed[:, h] if allowed is None else allowed)
    members = members[members != h]
    cap = U - int(w[h])
    need = max(0, L - int(w[h]))
    if cap < 0:
        return None
    items = [(int(w[i]), float(profit[i]), int(i)) for i in members if w[i] <= cap]
    cap = min(cap, sum(wi for wi, _, _ in items))   # no weight beyond what the items can reach
    if cap < need:
        return None
    NEG = -np.inf
    best = np.full(cap + 1, NEG)
    best[0] = 0.0
    take = np.zeros((len(items), cap + 1), dtype=bool)
    for k, (wi, pi, _) in enumerate(items):
        if wi == 0:
            if pi > 0:
                best += pi
                take[k, :] = True
            continue
        cand = best[: cap + 1 - wi] + pi
        better = cand > best[wi:]
        best[wi:][better] = cand[better]
        take[k, wi:] = better
    window = best[need:]
    if not np.isfinite(window).any():
        return None
    wt = need + int(np.argmax(window))
    value = float(best[wt])
    chosen = [h]
    for k in range(len(items) - 1, -1, -1):
        if take[k, wt]:
            wi, _, i = items[k]
            chosen.append(i)
            wt -= wi
    return value + float(profit[h]), chosen


def column_generation(problem: FederationProblem, *, time_limit_s: float = 60.0,
                      start: tuple[np.ndarray, tuple[int, ...]] | None = None,
                      extra_plans: list[tuple[np.ndarray, tuple[int, ...]]] | None = None,
                      solve_ip: bool = True) -> ColumnGenerationOutcome:
    from ortools.linear_solver import pywraplp

    t0 = time.perf_counter()
    n = problem.n
    w = problem.list_size.astype(np.int64)
    a = problem.assign_cost
    F = problem.hub_cost
    k_lo, k_hi = problem.federation_count_range()
    log: list[str] = []

    lp = pywraplp.Solver.CreateSolver("GLOP")
    rows = [lp.Constraint(1.0, 1.0) for _ in range(n)]
    count = lp.Constraint(float(k_lo), float(k_hi))
    obj = lp.Objective()
    obj.SetMinimization()
    columns: list[tuple[frozenset, int, float]] = []
    seen: set[tuple[frozenset, int]] = set()
    lp_vars = []

    def add_column(members, hub) -> bool:
        key = (frozenset(int(i) for i in members), int(hub))
        if key in seen:
            return False
        seen.add(key)
        cost = F + float(a[list(key[0]), hub].sum())
        v = lp.NumVar(0.0, lp.infinity(), "")
        obj.SetCoefficient(v, cost)
        for i in key[0]:
            rows[i].SetCoefficient(v, 1.0)
        count.SetCoefficient(v, 1.0)
        columns.append((key[0], key[1], cost))
        lp_vars.append(v)
        return True

    def add_plan(plan):
        labels, hubs = plan
        for f, hub in enumerate(hubs):
            add_column(np.flatnonzero(np.asarray(labels) == f), hub)

    # Artificial columns keep the LP feasible whatever the starting columns; their cost is so high
    # that no optimal LP solution uses them once real columns can cover the practices.
    # With no starting plan they are needed; with one they only pollute the duals (a basic
    # artificial at zero level prices every practice at the big cost), so they are left out.
    if start is None:
        big = 10.0 * (F * max(1, k_hi) + float(np.abs(a).max()) * n + 1.0)
        for i in range(n):
            v = lp.NumVar(0.0, lp.infinity(), "")
            obj.SetCoefficient(v, big)
            rows[i].SetCoefficient(v, 1.0)
    if start is not None:
        add_plan(start)
    for plan in extra_plans or []:
        add_plan(plan)

    lower = -np.inf
    lp_value = None
    converged = False
    rounds = 0
    centre = None          # duals that gave the best Lagrangian bound (stabilisation centre)
    alpha = 0.8            # Wentges smoothing weight on the centre

    def price(pi, mu, deadline):
        """Exact pricing at (pi, mu): (best reduced cost, columns with negative reduced cost)."""
        best_rc, found = 0.0, []
        for h in range(n):
            if time.perf_counter() > deadline:
                return None, found
            profit = pi - a[:, h]
            allowed = problem.allowed[:, h].copy()
            others = allowed & (np.arange(n) != h)
            optimistic = profit[h] + profit[others & (profit > 0)].sum()
            if F - mu - optimistic >= -1e-9:
                continue   # even taking every profitable practice cannot give a negative column
            # a practice whose profit is so negative that no column holding it can have a
            # negative reduced cost is irrelevant to both the columns and the bound
            allowed &= ~(F - mu - (optimistic + np.minimum(profit, 0.0)) >= -1e-9)
            allowed[h] = True
            priced = _price_hub(problem, h, profit, w, allowed)
            if priced is None:
                continue
            value, members = priced
            rc = F - mu - value
            best_rc = min(best_rc, rc)
            if rc < -1e-6:
                found.append((members, h))
        return best_rc, found

    # A plan cheaper than the incumbent has at most UB / F federations (access costs are >= 0).
    k_cap = k_hi
    if start is not None and F > 0 and float(a.min()) >= 0:
        k_cap = max(k_lo, min(k_hi, int(np.floor(problem.cost(*start) / F + 1e-9))))

    def lagrangian(pi, mu, best_rc):
        """Valid for plans at least as good as the incumbent (others cannot matter)."""
        return float(pi.sum() + min(k * (mu + min(0.0, best_rc)) for k in (k_lo, k_cap)))

    if start is not None:
        # Economic duals as the first centre: each practice pays its own access cost plus a share
        # of its federation's fixed cost in proportion to its list size. LP duals of the first,
        # highly degenerate masters are far from this and make the bound climb slowly.
        labels, hubs = start
        pops = np.bincount(labels, weights=w, minlength=len(hubs))
        pi0 = a[np.arange(n), np.asarray(hubs)[labels]] + F * w / pops[labels]
        centre = (pi0, 0.0)

    deadline = t0 + time_limit_s
    while time.perf_counter() < deadline:
        rounds += 1
        status = lp.Solve()
        if status != pywraplp.Solver.OPTIMAL:
            log.append(f"round {rounds}: master LP status {status}; stopping")
            break
        lp_value = obj.Value()
        pi_lp = np.array([r.dual_value() for r in rows])
        mu_lp = count.dual_value()
        added = 0
        while True:   # mis-pricing loop: smoothed duals first, plain LP duals if they find nothing
            if centre is None:
                pi, mu = pi_lp, mu_lp
            else:
                pi = alpha * centre[0] + (1 - alpha) * pi_lp
                mu = alpha * centre[1] + (1 - alpha) * mu_lp
            best_rc, found = price(pi, mu, deadline)
            if best_rc is None:
                break
            bound = lagrangian(pi, mu, best_rc)
            if bound > lower:
                lower, centre = bound, (pi, mu)
            added = sum(add_column(m, h) for m, h in found)
            if added or centre is None or (pi is pi_lp):
                break
            centre = None   # smoothed duals priced out nothing: fall back to the LP duals
        if best_rc is None:
            log.append(f"round {rounds}: time limit during pricing (bound from earlier rounds kept)")
            break
        log.append(f"round {rounds}: LP {lp_value:,.2f}, best bound {lower:,.2f}, +{added} columns "
                   f"({len(columns)} total), {time.perf_counter() - t0:.1f}s")
        if added == 0:
            converged = True
            lower = max(lower, lp_value)
            break

    plan, plan_cost = None, None
    if solve_ip and columns and time.perf_counter() - t0 < time_limit_s:
        plan, plan_cost = _restricted_master_ip(problem, columns, k_lo, k_hi,
                                                max(1.0, time_limit_s - (time.perf_counter() - t0)), log)
    return ColumnGenerationOutcome(lower if np.isfinite(lower) else -np.inf, lp_value, converged, rounds,
                                   len(columns), plan, plan_cost, log)


def _restricted_master_ip(problem, columns, k_lo, k_hi, time_limit_s, log):
    from ortools.linear_solver import pywraplp

    s = pywraplp.Solver.CreateSolver("SCIP")
    if s is None:
        return None, None
    xs = [s.BoolVar("") for _ in columns]
    for i in range(problem.n):
        s.Add(sum(x for x, (m, _, _) in zip(xs, columns) if i in m) == 1)
    s.Add(sum(xs) >= k_lo)
    s.Add(sum(xs) <= k_hi)
    s.Minimize(sum(c * x for x, (_, _, c) in zip(xs, columns)))
    s.SetTimeLimit(int(time_limit_s * 1000))
    status = s.Solve()
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        log.append(f"restricted master IP: status {status}")
        return None, None
    labels = np.full(problem.n, -1, dtype=np.int64)
    hubs = []
    for x, (m, h, _) in zip(xs, columns):
        if x.solution_value() > 0.5:
            for i in m:
                labels[i] = len(hubs)
            hubs.append(h)
    if (labels < 0).any() or not problem.is_feasible(labels, tuple(hubs)):
        log.append("restricted master IP: solution failed the feasibility check; ignored")
        return None, None
    cost = problem.cost(labels, tuple(hubs))
    log.append(f"restricted master IP over {len(columns)} columns: £{cost:,.2f}")
    return (labels, tuple(hubs)), cost
