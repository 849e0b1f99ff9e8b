"""Columns outside pricing: a plan's own columns, cheap seed columns, and the set-partitioning IP
over a list of columns, solved by the run's MIP solver (``optimise.solvers``).

The IP ``partition_ip`` is how branch and price turns columns into plans: over the phase-1
columns, the columns of the LP (``primal``), the pool of least reduced cost (``primal``), and
every column that can be in a cheaper plan (``enumeration``, where its "infeasible" under a cutoff
proves that no plan is cheaper).
"""
from __future__ import annotations

import numpy as np

from ..clock import Clock, limits
from ..formulations.linear import LinearModel
from ..problem import FederationProblem
from ..solvers import SolveOptions, run_solver


def plan_columns(problem: FederationProblem, plan):
    """The columns (members, hub, cost) of a plan (labels, hubs)."""
    labels, hubs = plan
    out = []
    for f, h in enumerate(hubs):
        S = tuple(int(i) for i in np.flatnonzero(np.asarray(labels) == f))
        out.append((S, int(h), problem.column_cost(S, h)))
    return out


def column_ok(problem: FederationProblem, S) -> bool:
    """A member set obeys the together / apart pairs (population and hub rules are the caller's)."""
    if not problem.together and not problem.apart:
        return True
    inside = set(int(i) for i in S)
    return (all((i in inside) == (j in inside) for i, j in problem.together)
            and not any(i in inside and j in inside for i, j in problem.apart))


def nearest_columns(problem: FederationProblem, per_hub: int = 6):
    """Cheap seed columns: each hub with its nearest allowed practices (by access cost per patient),
    every prefix whose population lies in the window, at most ``per_hub`` of them per hub."""
    n = problem.n
    w = problem.list_size
    a = problem.assign_cost
    L, U = problem.min_population, problem.max_population
    per_patient = a / np.maximum(w, 1)[:, None]
    out = []
    for h in range(n):
        if not problem.allowed[h, h]:
            continue
        cand = np.flatnonzero(problem.allowed[:, h] & (np.arange(n) != h))
        cand = cand[np.argsort(per_patient[cand, h], kind="stable")]
        pops = w[h] + np.concatenate([[0], np.cumsum(w[cand])])
        good = np.flatnonzero((pops >= L) & (pops <= U))
        if len(good) > per_hub:
            good = good[np.linspace(0, len(good) - 1, per_hub).round().astype(int)]
        for t in good:
            S = tuple(sorted([h] + [int(i) for i in cand[:t]]))
            out.append((S, h, problem.column_cost(S, h)))
    return out



def partition_ip(problem: FederationProblem, columns: list[tuple[tuple[int, ...], int, float]],
                  k_lo: int, k_cap: int, time_limit_s: float, solver: str, seed: int, threads: int,
                  start_plan=None, gap: float = 0.0, clock: Clock | None = None, cutoff: float | None = None):
    """Solve min sum c x over the columns as an IP. Returns (state, plan or None, solver bound,
    the solver's whole output).
    With a ``clock``, ``time_limit_s`` is a budget in its units. With a ``cutoff``, only plans
    costing at most that count (a row on the objective): "infeasible" then means none does."""
    n = problem.n
    model = LinearModel(name="set_partition")
    by_row: list[list[int]] = [[] for _ in range(n)]
    for j, (members, hub, cost) in enumerate(columns):
        model.add_var(f"c{j}", obj=cost)
        for i in members:
            by_row[i].append(j)
    for i in range(n):
        model.add_row(by_row[i], np.ones(len(by_row[i])), 1.0, 1.0, f"p{i}")
    model.add_row(np.arange(len(columns)), np.ones(len(columns)), float(k_lo), float(k_cap), "count")
    if cutoff is not None and solver not in ("cbc", "cpsat"):
        # a node closed by enumeration needs only "nothing below the target". CBC takes the
        # cutoff as an option: its preprocessing fixes columns by reduced cost against it, which
        # settled joint Devon node IPs in 0.1-2 s where the same bound as a row took 1.3-4.4 s
        # (and 7.6 s with neither). The OR-Tools MIP solvers get the row; CP-SAT takes integer
        # rows only, so it goes without.
        model.add_row(np.arange(len(columns)), np.array([c for _, _, c in columns], float), -np.inf,
                      float(cutoff), "cutoff")
    x0 = None
    if start_plan is not None:
        labels, hubs = start_plan
        pos = {(m, h): j for j, (m, h, _) in enumerate(columns)}
        x0 = np.zeros(len(columns))
        for f, h in enumerate(hubs):
            j = pos.get((tuple(int(i) for i in np.flatnonzero(labels == f)), int(h)))
            if j is None:
                x0 = None
                break
            x0[j] = 1.0
    out = run_solver(solver, model, SolveOptions(**limits(clock, time_limit_s), gap=gap, seed=seed, threads=threads,
                                                 set_partitioning=True,
                                                 cutoff=cutoff if solver == "cbc" else None), start=x0)
    plan = None
    if out.x is not None:
        chosen = np.flatnonzero(out.x > 0.5)
        labels = np.full(n, -1, dtype=np.int64)
        hubs = []
        for f, j in enumerate(chosen):
            labels[list(columns[j][0])] = f
            hubs.append(columns[j][1])
        if (labels >= 0).all() and problem.is_feasible(labels, tuple(hubs)):
            plan = (labels, tuple(int(h) for h in hubs))
    return out.state, plan, out.bound, out
