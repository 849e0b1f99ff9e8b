r"""Is there any plan at all? A compact feasibility model that finds one or proves there is none.

Branch and price finds plans with heuristics that know little of contiguity, locks and pairs; on a
49-practice sub-ICB (00T) with contiguity, a fixed count of 5 and one lock, none of them found a
plan in 60 s and the run ended "no plan" although one exists (CP-SAT finds it in seconds). This
model answers the yes/no question exactly, with every rule:

.. math::

    \sum_h x_{ih} = 1 \;\forall i, \qquad x_{ih} \le y_h = x_{hh}, \qquad
    L\,y_h \le \sum_i w_i x_{ih} \le U\,y_h, \qquad k_{lo} \le \sum_h y_h \le k_{hi},

    x_{ih} = x_{jh} \;(\text{together } i, j), \qquad x_{ih} + x_{jh} \le 1 \;(\text{apart } i, j),

with :math:`x_{ih}` only where the pair is allowed (distance, minutes, nesting, hub candidates and
locks are all in ``allowed``). Contiguity is a single-commodity flow per hub over the practice
graph: hub *h* sends one unit to each of its members along arcs whose both ends are members,

.. math::  \sum_{(j,i)} f^h_{ji} - \sum_{(i,j)} f^h_{ij} = x_{ih} \;(i \ne h), \qquad
           0 \le f^h_{ij} \le (n-1)\,x_{ih},\; f^h_{ij} \le (n-1)\,x_{jh},

so every member is reached from its hub inside its federation: the members form a connected
subgraph. The objective is 0 (a yes/no question); CP-SAT, whose proofs of infeasibility on integer
models are exact, settles it. ``explain`` names the rules that make a problem impossible by
dropping them one at a time.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .clock import Clock, limits
from .formulations.linear import LinearModel
from .problem import FederationProblem


@dataclass(frozen=True)
class Feasibility:
    state: str                                  # "plan" | "none" (proven) | "unknown" (budget spent)
    plan: tuple[np.ndarray, tuple[int, ...]] | None = None
    runtime_s: float = 0.0


def build_feasibility_model(problem: FederationProblem) -> tuple[LinearModel, dict[tuple[int, int], int]]:
    """The model of the module docstring; returns it and the index of each x_ih."""
    p = problem
    n, w = p.n, p.list_size
    m = LinearModel(name="feasibility")
    x: dict[tuple[int, int], int] = {}
    for h in range(n):
        if not p.allowed[h, h]:
            continue
        for i in range(n):
            if p.allowed[i, h]:
                x[i, h] = m.add_var(f"x{i}_{h}")
    hubs = sorted({h for _, h in x})
    for i in range(n):
        idx = [x[i, h] for h in hubs if (i, h) in x]
        m.add_row(idx, np.ones(len(idx)), 1.0, 1.0, f"one{i}")
    for h in hubs:
        members = [i for i in range(n) if (i, h) in x]
        for i in members:
            if i != h:
                m.add_row([x[i, h], x[h, h]], [1.0, -1.0], -np.inf, 0.0, f"open{i}_{h}")
        idx = [x[i, h] for i in members]
        wts = [float(w[i]) for i in members]
        # a member other than the hub counts its population; the hub's own variable carries -L / -U
        lo_coef = [wts[k] - (p.min_population if members[k] == h else 0.0) for k in range(len(members))]
        hi_coef = [wts[k] - (p.max_population if members[k] == h else 0.0) for k in range(len(members))]
        m.add_row(idx, lo_coef, 0.0, np.inf, f"min{h}")
        m.add_row(idx, hi_coef, -np.inf, 0.0, f"max{h}")
    k_lo, k_hi = p.federation_count_range()
    m.add_row([x[h, h] for h in hubs], np.ones(len(hubs)), float(k_lo), float(k_hi), "count")
    for a, b in p.together:
        for h in hubs:
            va, vb = x.get((a, h)), x.get((b, h))
            if va is not None and vb is not None:
                m.add_row([va, vb], [1.0, -1.0], 0.0, 0.0, f"together{a}_{b}_{h}")
            elif va is not None or vb is not None:
                m.add_row([va if va is not None else vb], [1.0], 0.0, 0.0, f"together{a}_{b}_{h}")
    for a, b in p.apart:
        for h in hubs:
            if (a, h) in x and (b, h) in x:
                m.add_row([x[a, h], x[b, h]], [1.0, 1.0], -np.inf, 1.0, f"apart{a}_{b}_{h}")
    if p.adjacency is not None:
        arcs = [(i, j) for i, j in p.adjacency] + [(j, i) for i, j in p.adjacency]
        cap = float(max(1, n - 1))
        for h in hubs:
            flow: dict[tuple[int, int], int] = {}
            for i, j in arcs:
                if (i, h) in x and (j, h) in x and j != h:
                    f = m.add_var(f"f{h}_{i}_{j}", 0.0, cap, integer=True)
                    flow[i, j] = f
                    m.add_row([f, x[i, h]], [1.0, -cap], -np.inf, 0.0)
                    m.add_row([f, x[j, h]], [1.0, -cap], -np.inf, 0.0)
            into: dict[int, list[int]] = {}
            out: dict[int, list[int]] = {}
            for (i, j), f in flow.items():
                out.setdefault(i, []).append(f)
                into.setdefault(j, []).append(f)
            for i in range(n):
                if i == h or (i, h) not in x:
                    continue
                idx = into.get(i, []) + out.get(i, []) + [x[i, h]]
                coef = [1.0] * len(into.get(i, [])) + [-1.0] * len(out.get(i, [])) + [-1.0]
                m.add_row(idx, coef, 0.0, 0.0, f"reach{i}_{h}")
    return m, x


def find_plan(problem: FederationProblem, budget: float, *, clock: Clock | None = None, seed: int = 0,
              threads: int = 1) -> Feasibility:
    """Any plan that meets every rule, or a proof that none does, within ``budget`` (seconds, or
    units of ``clock``). CP-SAT is used whatever the run's solver: it is exact on this integer
    model and finds feasible points of such combinatorial models fastest of the four."""
    from .solvers import SolveOptions, run_solver

    model, x = build_feasibility_model(problem)
    out = run_solver("cpsat", model, SolveOptions(**limits(clock, budget), seed=seed, threads=threads))
    if out.state == "infeasible":
        return Feasibility("none", None, out.runtime_s)
    if out.x is None:
        return Feasibility("unknown", None, out.runtime_s)
    n = problem.n
    hub_of = np.full(n, -1, dtype=np.int64)
    for (i, h), j in x.items():
        if out.x[j] > 0.5:
            hub_of[i] = h
    hubs = tuple(int(h) for h in sorted(set(hub_of.tolist())))
    pos = {h: f for f, h in enumerate(hubs)}
    labels = np.array([pos[int(h)] for h in hub_of], dtype=np.int64)
    plan = (labels, hubs)
    if (hub_of < 0).any() or not problem.is_feasible(*plan):
        return Feasibility("unknown", None, out.runtime_s)
    return Feasibility("plan", plan, out.runtime_s)


def explain(problem: FederationProblem, budget: float, names: tuple[str, ...] | None = None, *,
            rules: dict[str, FederationProblem] | None = None, seed: int = 0) -> list[str]:
    """Why no plan exists, in words: the problem without each rule in turn (``rules``: label ->
    the problem with that rule dropped), and which of those relaxations has a plan. ``budget``
    (seconds) is shared among them."""
    rules = rules if rules is not None else relaxations(problem)
    if not rules:
        return ["no plan meets these rules (proven by an exact search over every possible plan)"]
    each = max(1.0, budget / len(rules))
    freed, unknown, still = [], [], []
    for label, relaxed in rules.items():
        got = find_plan(relaxed, each, seed=seed)
        (freed if got.state == "plan" else unknown if got.state == "unknown" else still).append(label)
    out = ["no plan meets all these rules together (proven by an exact search over every possible plan)"]
    if freed:
        out.append("a plan exists without any one of: " + "; ".join(freed) + " — relax one of them")
    if still:
        out.append("dropping any one of these alone does not help: " + "; ".join(still))
    if unknown:
        out.append("not settled in the time given: " + "; ".join(unknown))
    return out


def relaxations(problem: FederationProblem) -> dict[str, FederationProblem]:
    """The problem without each of its switchable rules, one at a time."""
    p = problem
    out: dict[str, FederationProblem] = {}
    if p.adjacency is not None:
        out["contiguity"] = p.replace(adjacency=None)
    if p.n_federations is not None:
        out[f"the fixed number of federations ({p.n_federations})"] = p.replace(n_federations=None)
    if p.together:
        out["the together pairs"] = p.replace(together=())
    if p.apart:
        out["the apart pairs"] = p.replace(apart=())
    if not p.allowed.all():
        out["the limits on which practice may join which hub (distance or travel time, nesting, hub "
            "candidates, locks)"] = p.replace(allowed=np.ones_like(p.allowed))
    return out
