r"""Exact engine by column generation over candidate federations, closed by reduced-cost enumeration.

``solve_federations_cg`` has the semantics of ``engine.solve_federations``: a plan, a VALID lower
bound, and status ``optimal`` only when proven. The maths, and why every step is sound:

**Master.** A column *c* is a federation: a member set :math:`S_c` and a hub :math:`h_c \in S_c` with
:math:`L \le w(S_c) \le U` and ``allowed[i, h_c]`` for every member; cost
:math:`c_c = F + \sum_{i \in S_c} a_{i h_c}`. The problem is exactly the set-partitioning IP

.. math::

    \min \sum_c c_c \lambda_c \;\text{s.t.}\; \sum_{c \ni i} \lambda_c = 1 \;(\pi_i),\quad
    k_{lo} \le \sum_c \lambda_c \le k_{cap} \;(\mu),\quad \lambda \in \{0, 1\}.

:math:`[k_{lo}, k_{hi}]` is ``federation_count_range()`` (a single *k* when fixed). When every
allowed access cost is >= 0 and *F* > 0, a plan with *k* federations costs at least *kF*, so plans
no dearer than the incumbent *UB* have :math:`k \le k_{cap} = \lfloor UB/F \rfloor` (capped to
:math:`[k_{lo}, k_{hi}]`); the optimum is such a plan, so the cap loses nothing that matters.

**Reduced costs and the bound (valid at every round).** For any duals :math:`(\pi, \mu)`, define
:math:`\bar c_c = c_c - \sum_{i \in S_c}\pi_i - \mu`. For every integer plan *x* with *k* federations
(columns :math:`c \in x`), summing the definition over its columns gives the identity

.. math::  \text{cost}(x) = \sum_i \pi_i + \mu k + \sum_{c \in x} \bar c_c
           \;\ge\; \sum_i \pi_i + k\,(\mu + r),\qquad r = \min(0, \min_c \bar c_c),

because a plan has exactly *k* columns. The right side is linear in *k*, so its minimum over
:math:`k \in [k_{lo}, k_{cap}]` is at an end point: that is the lower bound *LB(π, μ)* — valid for
ANY duals (LP-optimal or smoothed), as long as *r* is a true lower bound on the reduced cost of
every column, generated or not. Pricing provides it exactly (below). At LP convergence *r* = 0 and
the bound equals the LP optimum of the master over all columns.

The columns of a plan also cover the population *P* exactly once, so
:math:`\sum_{c \in x} \bar c_c \ge P \rho` with :math:`\rho \le \min(0, \min_c \bar c_c / N_c)`;
every column of a pricing window :math:`[L_s, U_s]` has :math:`N_c \ge L_s`, so
:math:`\rho = \min_s r_s / L_s` (``_PricingOutcome.rho``). ``lagrangian_bound`` takes the larger of
the two bounds; the second is the tighter one while the most negative columns are large (North
West London at 80 s: 1.6 % instead of 3.6 %).

A third bound uses the hubs: every column holds its own hub, so the *k* columns of a plan have
*k* different hubs, and with :math:`r_h` a lower bound on the reduced cost of every hub-*h* column
(the exact pricing value for a hub priced this round, its knapsack relaxation otherwise)

.. math::  \sum_{c \in x} \bar c_c \;\ge\; R_k = \text{sum of the } k \text{ least } r_h ,

so :math:`LB \ge \sum_i \pi_i + \min_k (\mu k + R_k)` (``_PricingOutcome.hub_rc``). Away from
the LP optimum most hubs price far above the least one, and this bound is far the tightest: at
duals from a restricted compact LP of a 402-point CPMP it read 19,424 where *k r* read 9,397. The
best-bound stabilisation centre is then chosen by a bound that means something from the first
rounds; the root's round count hardly changes (108 instead of 107 on that CPMP), but nodes can
be pruned before their LP converges.

**Pricing (exact).** :math:`\min_c \bar c_c` splits by hub: with profits
:math:`p_i = \pi_i - a_{ih}`, :math:`\bar c = F - \mu - p_h - \max \sum_{i \ne h} p_i z_i` subject to
:math:`L - w_h \le \sum w_i z_i \le U - w_h`, :math:`z_i = 0` where ``allowed[i, h]`` is False — a 0-1
knapsack with a lower bound on the weight. Its LP relaxation (greedy by ratio :math:`p_i/w_i`: the
value as a function of the total weight *W* is concave piecewise linear, so the relaxation is that
curve at *W* clamped into the window) is an upper bound on the profit. It prunes whole hubs and
individual items (an item is dropped when *its* profit plus the relaxation of the rest cannot reach
a negative reduced cost). The surviving knapsack is solved exactly by depth-first branch and bound
with the same relaxation as bound (list sizes are integers; a node limit hands over to an exact
dynamic programme over the integer weight). So *r* is exact, and pruned hubs contribute >= 0.
The search is compiled with numba (``_knapsack_jit``: same nodes in the same order, so the same
answers) when numba is importable, and runs in Python otherwise. So is each hub's set-up (the item
filter, the ratio sort with prefix sums, the cut lists): at about 100 hubs a pricing round it had
cost three times the search itself (on a 200-point CPMP a round took 13.8 ms, now 5.6). Problems
under 150 practices start in Python and switch after 500,000 search nodes (``PY_NODE_BUDGET``), so
a quick 100-point CPMP never pays the compiled module's load time while Devon-size runs get the
compiled speed.

**Stabilisation.** Wentges smoothing: pricing at :math:`\alpha\,\text{centre} + (1-\alpha)\,\text{LP duals}`,
centre = the duals with the best bound so far (starting from "economic" duals of the incumbent:
each practice pays its own access cost plus its list-size share of its federation's fixed cost);
when a smoothed round finds no column that improves the LP (a mis-price), it falls back to the LP
duals. Validity does not depend on it: every bound is *LB(π, μ)* at the duals actually priced.
Column generation stops as soon as the best bound meets the master LP value (the LP is then proven
optimal over all columns), which skips the degenerate rounds that only re-confirm it.

**Upper bound.** Heuristic plans (``heuristics.construct`` with three seeds, two of them with the
federation count the size cost favours held fixed, ``heuristics.favoured_counts``; ``improve``);
in the tree, integral node LPs, LP rounding repaired by local search, the enumerated IPs, the
hub-set search and region re-solves (``branch_price``). A root that has not converged by
``PLANS_AFTER`` of the limit while the plan is more than ``PLANS_GAP`` above the restricted LP
(3,038-point CPMPs) hands the rest to the IP over the LP's columns and region re-solves; the bound
is then the best Lagrangian bound of the rounds run.

**Closing the gap: reduced-cost enumeration.** Fix duals :math:`(\pi, \mu)` and *r* as above and a
target *T* (the incumbent *UB*, or :math:`UB(1-\text{gap})`). A plan *x* with cost < *T* that uses a
column *c* satisfies, from the identity, :math:`\bar c_c \le \text{cost}(x) - \sum\pi_i - \mu k -
(k-1) r < T - \sum\pi_i - \min_k(\mu k + (k-1) r) =: \Delta`. So every plan better than *T* is built
only from columns with :math:`\bar c_c < \Delta`. The same branch and bound (pruning by the
relaxation) lists ALL of them per hub (aborting if there are too many); a member set listed under
several hubs keeps only its cheapest hub (swapping a column for the same set with a cheaper hub
never hurts). The set-partitioning IP over exactly those columns, solved to optimality by the MIP
solver, then finds the best plan cheaper than *T* if one exists; so
:math:`\text{opt} = \min(\text{IP optimum}, UB)` — proven. If the IP is infeasible, no plan is
cheaper than *T*, and the incumbent is optimal (within the gap asked for). If enumeration or the
IP runs out of time or space, the result is ``feasible`` with the best *LB*. On Devon-sized
instances the LP gap is too wide for enumeration at the root (hundreds of thousands of columns), so
``branch_price`` branches first and enumerates at nodes whose gap has become small.

**Infeasibility.** ``diagnose`` first (raises ``ProblemInfeasible`` with reasons). If no heuristic
plan exists, a phase-1 master (cost 1 per artificial singleton, 0 per real column) is run with
the same exact pricing: a converged phase-1 value > 0 proves that no plan exists, even
fractionally. Otherwise the artificial columns are switched off and phase 2 runs as usual.
"""
from __future__ import annotations

import bisect
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .clock import Clock, charge, expired, limits
from .diagnose import diagnose
from .master_lp import INF, make_lp
from .problem import FederationProblem
from .result import ProblemInfeasible, Result, Status, judge, relative_gap, within_proof_tolerance


def round_up_to_step(bound: float, step: float, slack: float = 0.01) -> float:
    """``bound`` up to the next multiple of ``step`` (unchanged when ``step`` is 0 or the bound is
    not finite). Every plan costs a multiple of ``step``, so none costs less than that multiple; a
    bound within ``slack`` steps above a multiple is taken as float noise and stays at it."""
    if step <= 0 or not np.isfinite(bound):
        return bound
    return float(np.ceil((bound - slack * step) / step) * step)


# --------------------------------------------------------------------------------------------------
# Knapsack with a two-sided weight window: LP relaxation, exact branch and bound, DP fallback
# --------------------------------------------------------------------------------------------------

JIT_MIN_PRACTICES = 150   # from this size the compiled search is used from the start
# smaller problems start in Python (loading the compiled search costs ~0.6 s, more than a 100-point
# CPMP spends pricing) and switch once the Python search has visited this many nodes, about a
# second of work: on Devon (116 practices) Python pricing had been half of every run, and a
# branch-and-price node of the joint model took 4-8 s instead of 0.4 s
PY_NODE_BUDGET = 500_000


class _SearchMode:
    """Which knapsack search the pricers of one run use, shared by all of them: compiled from the
    start on big problems, or Python until ``PY_NODE_BUDGET`` nodes. Nodes are counted, not
    seconds, so a work-limited run switches at the same point every time."""

    __slots__ = ("compiled", "py_nodes")

    def __init__(self, n: int):
        self.compiled = n >= JIT_MIN_PRACTICES and _compiled() is not None
        self.py_nodes = 0

    def count(self, nodes: int) -> None:
        self.py_nodes += nodes
        if not self.compiled and self.py_nodes > PY_NODE_BUDGET and _compiled() is not None:
            self.compiled = True


def _compiled():
    """The compiled search module, imported on first need (numba's import and cache load take
    about 0.6 s, more than small instances spend pricing); None without numba."""
    global _JIT
    if _JIT is None:
        try:
            from . import _knapsack_jit as module
            _JIT = module if module.AVAILABLE else False
        except ImportError:  # pragma: no cover
            _JIT = False
    return _JIT or None


_JIT = None


class _Knapsack:
    """Items sorted by profit/weight ratio, with the prefix sums the relaxation needs.

    Profit of a subset is maximised subject to lo <= weight <= hi. Items of zero weight and
    non-positive profit never help the maximum; they are kept last (for enumeration) and left out
    of the relaxation curve (which stays an upper bound without them).
    """

    __slots__ = ("p", "w", "idx", "ratio", "cumW", "cumP", "m", "m_curve", "npos", "lo", "hi", "tol",
                 "icuts", "pen", "base", "conf", "_order", "_arrays", "_sorted", "_cut_csr", "accept", "rule",
                 "mode")

    def __init__(self, p: np.ndarray, w: np.ndarray, idx: np.ndarray, lo: int, hi: int, cuts=None,
                 conflicts=None, compiled: bool = True, accept=None, rule=None,
                 mode: "_SearchMode | None" = None):
        """``cuts`` = (cut ids per item, penalty per cut, count per cut already in the column):
        a column pays a cut's penalty once it holds two of the cut's three practices (subset-row
        cuts). The cut ids per item are a list of lists, or (owner per item, pointer, ids) arrays:
        item k's cut ids are ids[ptr[o]:ptr[o + 1]], o = owner[k] (the pricer passes each item's
        practice and the per-practice lists). Penalties only lower a subset's profit, so the relaxation
        without them stays an upper bound and the search stays exact. ``conflicts[k]`` lists the
        items (input positions) that may not be taken together with item k (apart pairs); the
        relaxation ignores them too.

        The search data stay arrays; the Python search's lists are made only when it runs
        (``_lists``): a pricing round builds a knapsack per hub, and their set-up had cost three
        times the compiled search itself."""
        p = np.asarray(p, np.float64)
        w = np.asarray(w, np.int64)
        if cuts is None:
            owner, cut_ptr, cut_ids = np.zeros(len(p), np.int64), np.zeros(1, np.int64), np.zeros(0, np.int64)
        else:
            item_cuts, pen, base = cuts
            if isinstance(item_cuts, tuple):
                owner, cut_ptr, cut_ids = item_cuts
            else:
                owner, (cut_ptr, cut_ids) = np.arange(len(p), dtype=np.int64), _csr(item_cuts)
        jit = _compiled() if compiled else None
        if jit is not None:
            order, rs, cumW, cumP, m_curve, npos, sptr, sids = jit.prepare(p, w, np.asarray(owner, np.int64),
                                                                          np.asarray(cut_ptr, np.int64),
                                                                          np.asarray(cut_ids, np.int64))
        else:
            order, rs, cumW, cumP, m_curve, npos, sptr, sids = _prepare_numpy(p, w, owner, cut_ptr, cut_ids)
        self._order = order
        # ``accept(items)`` (input positions) rejects subsets that break a rule the relaxation
        # ignores (contiguity): such subsets are never recorded, so the search stays exact for
        # the accepted ones; the compiled kernel has no such hook, so the search runs in Python
        self.accept = accept
        self.rule = rule            # the same kind of predicate, kept for callers to switch on
        self.mode = mode            # told how many nodes the Python search visits
        ps, ws = p[order], w[order]
        self._arrays = (ps, ws, rs) if jit is not None else None    # None: the Python search
        self.m = len(ps)
        self.m_curve = int(m_curve)
        self._sorted = (ps, ws, rs, np.asarray(idx)[order], cumW, cumP)
        self.p = None               # lists for the Python search, made by ``_lists``
        self.npos = int(npos)
        self.lo, self.hi = int(lo), int(hi)
        # float slack in comparisons; a maximum may be missed by at most this much, so ``price``
        # subtracts it from every reduced cost it reports as a bound. Far below the proof
        # tolerance: about £0.0001 on Devon's profits (sum ~ £1e8), where 1e-10 had been a penny
        # per column, and a 14-column plan's bound would have lost 14 of them
        self.tol = 1e-12 * (1.0 + float(np.abs(p).sum()))
        if conflicts is None:
            self.conf = None
        else:
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            self.conf = [[int(rank[c]) for c in conflicts[j]] or None for j in order.tolist()]
        self.icuts = None
        self._cut_csr = None
        if cuts is not None:
            self._cut_csr = (sptr, sids)
            self.pen = np.asarray(pen, np.float64)
            self.base = np.asarray(base, np.int64)

    def _lists(self) -> None:
        """The Python search's lists (items in ratio order)."""
        if self.p is not None:
            return
        ps, ws, rs, idx, cumW, cumP = self._sorted
        self.p, self.w, self.ratio = ps.tolist(), ws.tolist(), rs.tolist()
        self.idx, self.cumW, self.cumP = idx.tolist(), cumW.tolist(), cumP.tolist()
        if self._cut_csr is not None:
            ptr, ids = self._cut_csr
            self.icuts = [ids[ptr[k]:ptr[k + 1]].tolist() or None for k in range(self.m)]

    def _take(self, k: int, cnt: list[int]) -> float:
        """Count item k into the cuts; the penalty this costs."""
        loss = 0.0
        for c in self.icuts[k]:
            cnt[c] += 1
            if cnt[c] == 2:
                loss += self.pen[c]
        return loss

    def _drop(self, k: int, cnt: list[int]) -> None:
        for c in self.icuts[k]:
            cnt[c] -= 1

    def bound(self, k: int, cw: int) -> float:
        """Upper bound on the profit addable from items k.. when the current weight is cw."""
        mc = self.m_curve
        if k >= mc:
            return 0.0 if cw >= self.lo else -np.inf
        cumW = self.cumW
        Wk = cumW[k]
        lo_r = self.lo - cw
        if lo_r > cumW[mc] - Wk:
            return -np.inf
        x = cumW[max(self.npos, k)] - Wk
        if x < lo_r:
            x = lo_r
        cap = self.hi - cw
        if cap < 0 or lo_r > cap:
            return -np.inf
        if x > cap:
            x = cap
        X = Wk + x
        j = bisect.bisect_right(cumW, X, k, mc + 1) - 1
        if j >= mc:
            return self.cumP[mc] - self.cumP[k]
        return self.cumP[j] - self.cumP[k] + (X - cumW[j]) * self.ratio[j]

    def _jit_search(self, mode: int, floor: float, node_limit: int, keep: int, limit: int):
        _jit = _compiled()
        p, w, ratio, idx, cumW, cumP = self._sorted
        m = self.m
        if self._cut_csr is not None:
            cut_ptr, cut_idx = self._cut_csr
            pen, cnt0 = self.pen, self.base
        else:
            cut_ptr, cut_idx = np.zeros(m + 1, np.int64), np.zeros(0, np.int64)
            pen, cnt0 = np.zeros(0), np.zeros(0, np.int64)
        if self.conf is not None:
            conf_ptr, conf_idx = _csr(self.conf)
        else:
            conf_ptr, conf_idx = np.zeros(m + 1, np.int64), np.zeros(0, np.int64)
        status, prof, flat, off, nodes = _jit._search(
            mode, p, w, ratio, cumW, cumP, self.m_curve, self.npos, self.lo, self.hi, self.tol, float(floor),
            int(node_limit), int(keep), int(limit), self._cut_csr is not None, cut_ptr, cut_idx, pen, cnt0,
            self.conf is not None, conf_ptr, conf_idx)
        charge("knapsack_node", nodes)
        items = idx[flat].tolist()
        found = [(float(prof[r]), items[off[r]:off[r + 1]]) for r in range(len(prof))]
        return bool(status), found

    # nodes before the exact search hands over to the dynamic programme. The compiled search
    # visits a node in about 30 ns, so it gets 50 times the Python allowance: on Greater
    # Manchester the DP (400 items x 100,000 patients a time) had taken half the root's time, and
    # with 1,000,000 nodes no hub needed it; the root ran 68 rounds in 60 s instead of 37
    # (gap 2.5 % instead of 10.8 %)
    NODE_LIMIT = 20_000
    NODE_LIMIT_COMPILED = 1_000_000

    @property
    def runs_compiled(self) -> bool:
        return self._arrays is not None and self.accept is None

    def best(self, floor: float, node_limit: int | None = None, keep: int = 3):
        """Subsets with profit > floor: the best one (exact) and up to ``keep`` incumbents found on
        the way, best last. Returns (best profit or None, [(profit, items)...], exact flag)."""
        if self.runs_compiled:
            node_limit = self.NODE_LIMIT_COMPILED if node_limit is None else node_limit
            exact, found = self._jit_search(0, floor, node_limit, keep, 0)
            if not found:
                return None, [], exact
            return found[-1][0], found[-keep:], exact
        node_limit = self.NODE_LIMIT if node_limit is None else node_limit
        self._lists()
        p, w, hi, lo = self.p, self.w, self.hi, self.lo
        m = self.m
        accept = self.accept
        state = {"best": floor, "nodes": 0}
        found: list[tuple[float, list[int]]] = []
        stack: list[int] = []
        tol = self.tol
        cuts = self.icuts is not None
        cnt = list(self.base) if cuts else None
        conf = self.conf
        blocked = [0] * m if conf is not None else None

        def dfs(k: int, cw: int, cp: float) -> bool:
            state["nodes"] += 1
            if state["nodes"] > node_limit:
                return False
            if k >= m or cp + self.bound(k, cw) <= state["best"] + tol:
                return True
            wk = w[k]
            ck = conf[k] if conf is not None and not blocked[k] else None
            if cw + wk <= hi and (conf is None or not blocked[k]):
                if ck:
                    for c in ck:
                        blocked[c] += 1
                stack.append(k)
                ic = cuts and self.icuts[k]
                ncp, ncw = cp + p[k] - (self._take(k, cnt) if ic else 0.0), cw + wk
                if ncw >= lo and ncp > state["best"] + tol and (accept is None or accept([self.idx[j] for j in stack])):
                    state["best"] = ncp
                    found.append((ncp, [self.idx[j] for j in stack]))
                ok = dfs(k + 1, ncw, ncp)
                stack.pop()
                if ic:
                    self._drop(k, cnt)
                if ck:
                    for c in ck:
                        blocked[c] -= 1
                if not ok:
                    return False
            return dfs(k + 1, cw, cp)

        if lo <= 0 <= hi and 0.0 > floor + tol and (accept is None or accept([])):
            state["best"] = 0.0
            found.append((0.0, []))
        limit = sys.getrecursionlimit()
        if m + 50 > limit:
            sys.setrecursionlimit(m + 100)
        exact = dfs(0, 0, 0.0)
        charge("knapsack_node_py", state["nodes"])
        if self.mode is not None:
            self.mode.count(state["nodes"])
        if not found:
            return None, [], exact
        # when not exact the value is only the best found, not the maximum
        return found[-1][0], found[-keep:], exact

    def enumerate(self, floor: float, limit: int):
        """Every subset with profit >= floor (and the weight window); None if more than limit."""
        if self.runs_compiled:
            complete, found = self._jit_search(1, floor, 0, 0, limit)
            return found if complete else None
        self._lists()
        p, w, hi, lo = self.p, self.w, self.hi, self.lo
        m = self.m
        accept = self.accept
        out: list[tuple[float, list[int]]] = []
        stack: list[int] = []
        tol = self.tol
        cuts = self.icuts is not None
        cnt = list(self.base) if cuts else None
        conf = self.conf
        blocked = [0] * m if conf is not None else None

        nodes = [0]

        def dfs(k: int, cw: int, cp: float) -> bool:
            nodes[0] += 1
            if k >= m or cp + self.bound(k, cw) < floor - tol:
                return True
            wk = w[k]
            ck = conf[k] if conf is not None and not blocked[k] else None
            if cw + wk <= hi and (conf is None or not blocked[k]):
                if ck:
                    for c in ck:
                        blocked[c] += 1
                stack.append(k)
                ic = cuts and self.icuts[k]
                ncp, ncw = cp + p[k] - (self._take(k, cnt) if ic else 0.0), cw + wk
                if ncw >= lo and ncp >= floor - tol and (accept is None or accept([self.idx[j] for j in stack])):
                    out.append((ncp, [self.idx[j] for j in stack]))
                    if len(out) > limit:
                        return False
                ok = dfs(k + 1, ncw, ncp)
                stack.pop()
                if ic:
                    self._drop(k, cnt)
                if ck:
                    for c in ck:
                        blocked[c] -= 1
                if not ok:
                    return False
            return dfs(k + 1, cw, cp)

        if lo <= 0 <= hi and 0.0 >= floor - tol and (accept is None or accept([])):
            out.append((0.0, []))
        if m + 50 > sys.getrecursionlimit():
            sys.setrecursionlimit(m + 100)
        complete = dfs(0, 0, 0.0)
        charge("knapsack_node_py", nodes[0])
        if self.mode is not None:
            self.mode.count(nodes[0])
        return out if complete else None


def _prepare_numpy(p, w, owner, cut_ptr, cut_ids):
    """``_knapsack_jit.prepare`` without numba (same order: a stable sort by ratio)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(w > 0, p / np.where(w > 0, w, 1), np.where(p > 0, np.inf, -np.inf))
    order = np.argsort(-ratio, kind="stable")
    m_curve = len(p) - int(np.sum((w == 0) & (p <= 0)))
    cumW = np.concatenate([[0], np.cumsum(w[order][:m_curve])]).astype(np.int64)
    cumP = np.concatenate([[0.0], np.cumsum(p[order][:m_curve])])
    own = np.asarray(owner, np.int64)[order]
    inside = (own >= 0) & (own < len(cut_ptr) - 1)
    o = np.where(inside, own, 0)
    ptr = np.concatenate([cut_ptr, cut_ptr[-1:]]).astype(np.int64)     # o + 1 stays in range
    lens = np.where(inside, ptr[o + 1] - ptr[o], 0)
    sptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    sids = np.asarray(cut_ids, np.int64)[np.repeat(ptr[o] - sptr[:-1], lens) + np.arange(int(sptr[-1]))]
    return order, ratio[order], cumW, cumP, m_curve, int(np.sum(ratio > 0)), sptr, sids


def _csr(lists) -> tuple[np.ndarray, np.ndarray]:
    """(pointer, ids) of per-item lists of ints (None or empty for none)."""
    lens = np.fromiter((len(x) if x else 0 for x in lists), dtype=np.int64, count=len(lists))
    ptr = np.zeros(len(lists) + 1, np.int64)
    np.cumsum(lens, out=ptr[1:])
    ids = np.fromiter((c for x in lists if x for c in x), dtype=np.int64, count=int(ptr[-1]))
    return ptr, ids


def _knapsack_dp(p: np.ndarray, w: np.ndarray, idx: np.ndarray, lo: int, hi: int):
    """Exact max profit subset with lo <= weight <= hi by DP over integer weight (fallback)."""
    keep = (w > 0) | (p > 0)
    p, w, idx = p[keep], w[keep], idx[keep]
    base = float(p[w == 0].sum())
    chosen0 = idx[w == 0].tolist()
    p, w, idx = p[w > 0], w[w > 0], idx[w > 0]
    cap = int(min(hi, w.sum()))
    lo = max(0, int(lo))
    if cap < lo:
        return None
    best = np.full(cap + 1, -np.inf)
    best[0] = 0.0
    take = np.zeros((len(p), cap + 1), dtype=bool)
    charge("dp_cell", len(p) * (cap + 1))
    for k in range(len(p)):
        wk = int(w[k])
        if wk > cap:
            continue
        cand = best[: cap + 1 - wk] + p[k]
        better = cand > best[wk:]
        best[wk:][better] = cand[better]
        take[k, wk:] = better
    window = best[lo:]
    if not np.isfinite(window).any():
        return None
    wt = lo + int(np.argmax(window))
    value = float(best[wt])
    chosen = list(chosen0)
    for k in range(len(p) - 1, -1, -1):
        if take[k, wt]:
            chosen.append(int(idx[k]))
            wt -= int(w[k])
    return value + base, chosen


# --------------------------------------------------------------------------------------------------
# Pricing over all hubs
# --------------------------------------------------------------------------------------------------

def _relaxation_all_hubs(P: np.ndarray, w: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                         compiled: bool = False) -> np.ndarray:
    """For every hub h (column h of P; -inf marks a non-item), the LP-relaxation bound of
    max sum_i P[i,h] z_i  s.t.  lo_h <= sum_i w_i z_i <= hi_h, 0 <= z <= 1 (vectorised).

    The relaxation's value as a function of the total weight W is the greedy-by-ratio curve,
    concave, rising while ratios are positive; its maximum over the window is at W* (the weight
    of the positive-ratio items) clamped into the window. -inf when the window is unreachable."""
    charge("relaxation", P.size)
    if compiled and _compiled():
        # one segment with no shift; the kernel reads each hub's items from a row
        return _compiled().relaxation_segments(np.ascontiguousarray(P.T), w.astype(np.float64), np.zeros(1),
                                               np.asarray(lo, np.float64)[None, :],
                                               np.asarray(hi, np.float64)[None, :])[0]
    return _relaxation_numpy(P, w, lo, hi)


def _relaxation_numpy(P: np.ndarray, w: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    n = P.shape[0]
    ok = np.isfinite(P)
    wf = np.where(ok, w[:, None], 0).astype(float)
    pf = np.where(ok, P, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(wf > 0, pf / np.where(wf > 0, wf, 1.0), np.where(pf > 0, np.inf, -np.inf))
    # non-items and zero-weight items of non-positive profit go last with zero weight and profit
    useless = ~ok | ((wf == 0) & (pf <= 0))
    order = np.argsort(np.where(useless, np.inf, -ratio), axis=0, kind="stable")
    ws = np.take_along_axis(np.where(useless, 0.0, wf), order, 0)
    ps = np.take_along_axis(np.where(useless, 0.0, pf), order, 0)
    rs = np.take_along_axis(np.where(useless, 0.0, ratio), order, 0)
    cumW = np.vstack([np.zeros(n), np.cumsum(ws, 0)])
    cumP = np.vstack([np.zeros(n), np.cumsum(ps, 0)])
    total = cumW[-1]
    wstar = np.where(rs > 0, ws, 0.0).sum(0)
    feasible = (lo <= total) & (hi >= 0)
    X = np.minimum(np.minimum(np.maximum(wstar, np.maximum(lo, 0)), hi), total)
    j = (cumW <= X[None, :]).sum(0) - 1          # last prefix that fits under X
    cols = np.arange(n)
    val = cumP[j, cols]
    inner = j < n
    jj = np.where(inner, j, 0)
    with np.errstate(invalid="ignore"):
        frac = np.where(inner, (X - cumW[j, cols]) * np.where(inner, rs[jj, cols], 0.0), 0.0)
    return np.where(feasible, val + frac, -np.inf)


class _Singles:
    """Members per knapsack item when every item is one practice: ``ids[k]`` as a 1-tuple, made
    on demand (a pricing round asks for a handful of the items of each of ~100 hubs)."""

    __slots__ = ("ids",)

    def __init__(self, ids: np.ndarray):
        self.ids = np.asarray(ids, np.int64)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, k: int) -> tuple[int]:
        return (int(self.ids[k]),)

    def __iter__(self):
        return ((int(i),) for i in self.ids)


@dataclass
class _PricingOutcome:
    rc_min: float                       # exact min reduced cost over all columns, capped at 0
    columns: list[tuple[tuple[int, ...], int, float]]  # (members, hub, reduced cost), rc < -tol
    exact_hubs: int = 0
    dp_fallbacks: int = 0
    # a lower bound on min over columns of (reduced cost / population), capped at 0: every column
    # of a pricer has population >= its window's floor L, so rc_min / L bounds it (the segmented
    # pricer takes the least over segments, each with its own L)
    rho: float = 0.0
    # per hub, a lower bound on the reduced cost of every column with that hub (inf: no column);
    # None when pricing was heuristic
    hub_rc: np.ndarray | None = None


def lagrangian_bound(constant: float, mu: float, priced: _PricingOutcome, k_lo: int, k_hi: int,
                     population: int) -> float:
    """A lower bound on every plan's cost from duals (pi, mu) and the pricing outcome at them.

    A plan of k columns costs sum(pi) + k mu + sum of its columns' reduced costs (``constant`` is
    sum(pi) plus any cut terms), with k in [k_lo, k_hi]. The reduced costs sum to at least
    k rc_min, and also to at least population x rho, because the columns' populations add up to
    the whole population; the second is tighter when the most negative columns are large."""
    by_count = min(k * (mu + priced.rc_min) for k in (k_lo, k_hi))
    by_patient = (min(k * mu for k in (k_lo, k_hi)) + population * priced.rho if np.isfinite(priced.rho)
                  else -np.inf)
    return constant + max(by_count, by_patient, _by_hub(mu, priced.hub_rc, k_lo, k_hi))


def _by_hub(mu: float, hub_rc: np.ndarray | None, k_lo: int, k_hi: int) -> float:
    """min over k in [k_lo, k_hi] of k mu + (sum of the k least per-hub bounds): a plan's k
    columns have k different hubs. +inf when no k in range has that many hubs with a column."""
    if hub_rc is None:
        return -np.inf
    r = np.sort(hub_rc[np.isfinite(hub_rc)])
    k_hi = min(k_hi, len(r))
    if k_hi < max(k_lo, 1):
        return 0.0 if k_lo <= 0 else np.inf
    R = np.concatenate([[0.0], np.cumsum(r[:k_hi])])
    k = np.arange(max(k_lo, 0), k_hi + 1)
    return float((k * mu + R[k]).min())


def _per_patient(rc_min: float, floor: int) -> float:
    """Lower bound on rc / population for columns of population >= floor whose rc >= rc_min."""
    if rc_min >= 0.0:
        return 0.0
    return rc_min / floor if floor > 0 else -np.inf


class _Pricer:
    def __init__(self, problem: FederationProblem, a: np.ndarray, F: float, L: int | None = None,
                 U: int | None = None, mode: _SearchMode | None = None):
        """Columns cost ``F + sum a[S, h]`` with population in [L, U] (default: the problem's);
        ``_SegmentedPricer`` runs one such pricer per affine segment of the size cost, all
        sharing one ``mode``."""
        self.n = problem.n
        self.mode = _SearchMode(problem.n) if mode is None else mode
        self.problem = problem
        self.w = problem.list_size.astype(np.int64)
        self.a = a
        self.F = float(F)
        self.allowed = problem.allowed
        self.L = int(problem.min_population if L is None else L)
        self.U = int(problem.max_population if U is None else U)
        self.lo = self.L - self.w            # window for the non-hub members, per hub
        self.hi = self.U - self.w
        # like-minded practices: together-groups become single knapsack items, apart pairs conflicts
        self.links = bool(problem.together or problem.apart)
        self.group = problem.groups()
        self.apart_of: dict[int, set[int]] = {}
        for i, j in problem.apart:
            self.apart_of.setdefault(i, set()).add(j)
            self.apart_of.setdefault(j, set()).add(i)

    def _setup(self, pi: np.ndarray, mu: float, allowed: np.ndarray | None, forced: np.ndarray | None):
        """Profits, per-hub weight windows and profit thresholds, under optional branching rules.

        ``allowed`` (n x n, default the problem's) may forbid more pairs; ``forced[i, h]`` True
        means practice i must belong to every column whose hub is h. Forced practices are folded
        into the hub (their weight shifts the window, their profit lowers the threshold), so the
        knapsack over the remaining items stays the same problem."""
        n = self.n
        allowed = self.allowed if allowed is None else allowed
        P = pi[:, None] - self.a
        P = np.where(allowed, P, -np.inf)
        P[np.arange(n), np.arange(n)] = -np.inf   # the hub is forced in, not an item
        if forced is not None and forced.any():
            P = np.where(forced, -np.inf, P)
        return (P,) + self._window(pi, mu, allowed, forced)

    def _window(self, pi: np.ndarray, mu: float, allowed: np.ndarray, forced: np.ndarray | None):
        """(lo, hi, need, hub_ok) of ``_setup`` without the profit matrix."""
        w = self.w
        diag = pi - np.diag(self.a)
        lo, hi = self.lo, self.hi
        fp = 0.0
        if forced is not None and forced.any():
            fw = (forced * w[:, None]).sum(axis=0)
            fp = np.where(forced, pi[:, None] - self.a, 0.0).sum(axis=0)
            lo, hi = lo - fw, hi - fw
        need = self.F - mu - diag - fp             # others must bring profit > need for rc < 0
        hub_ok = np.diag(allowed) & (hi >= 0)
        return lo, hi, need, hub_ok

    def relaxation_bounds(self, pi: np.ndarray, mu: float, allowed: np.ndarray | None = None,
                          forced: np.ndarray | None = None, relax: np.ndarray | None = None) -> np.ndarray:
        """Per hub, a lower bound on the reduced cost of every column of this pricer with that hub
        (inf: none), from the knapsack relaxation alone (no exact search). ``relax``: the
        relaxation values per hub, when the caller computed them (``_SegmentedPricer`` does so
        for all segments at once)."""
        if relax is None:
            P, lo, hi, need, hub_ok = self._setup(pi, mu, allowed, forced)
            relax = _relaxation_all_hubs(P, self.w, lo, hi, self.mode.compiled)
        else:
            lo, hi, need, hub_ok = self._window(pi, mu, self.allowed if allowed is None else allowed, forced)
        return np.where(hub_ok, need - relax, np.inf)

    def _hub_view(self, h: int, Ph: np.ndarray, items: np.ndarray, lo_h: int, hi_h: int, need_h: float,
                  forced: np.ndarray | None, cuts):
        """The knapsack of hub h: (item profits, item weights, members per item, fixed members,
        lo, hi, threshold, cut data, conflicts), or None when hub h can take no column.

        Fixed members are the hub, its forced members and everyone in their together-groups; the
        forced ones are already folded into the window and threshold by ``_setup``, the group
        partners are folded here. Other together-groups become one item each (all members must be
        candidate items, else the group cannot join), and apart pairs become conflicts."""
        base = [int(h)] + ([] if forced is None else np.flatnonzero(forced[:, h]).tolist())
        if not self.links:
            item_members = _Singles(items)
            p_items, w_items, conflicts = Ph[items], self.w[items], None
        else:
            g = self.group
            base_groups = {int(g[i]) for i in base}
            in_base = set(base)
            extra = [i for i in np.flatnonzero(np.isin(g, list(base_groups))).tolist() if i not in in_base]
            for i in extra:
                if not np.isfinite(Ph[i]):
                    return None                      # a partner of the hub may not join it
                need_h -= float(Ph[i])
                lo_h -= int(self.w[i])
                hi_h -= int(self.w[i])
            base = base + extra
            if hi_h < 0:
                return None
            banned = set()
            for i in base:
                banned |= self.apart_of.get(i, set())
            if banned & set(base):
                return None                          # the fixed part already breaks an apart pair
            candidates = set(int(i) for i in items)
            by_group: dict[int, list[int]] = {}
            for i in items:
                by_group.setdefault(int(g[i]), []).append(int(i))
            item_members = []
            for gid, ms in by_group.items():
                if gid in base_groups:
                    continue
                full = np.flatnonzero(g == gid).tolist()
                if any(m not in candidates for m in full) or banned.intersection(full):
                    continue
                item_members.append(tuple(full))
            p_items = np.array([Ph[list(ms)].sum() for ms in item_members], dtype=float)
            w_items = np.array([self.w[list(ms)].sum() for ms in item_members], dtype=np.int64)
            pos = {m: k for k, ms in enumerate(item_members) for m in ms}
            conflicts = [sorted({pos[j] for m in ms for j in self.apart_of.get(m, ()) if j in pos})
                         for ms in item_members]
            if not any(conflicts):
                conflicts = None
        kcuts = None
        if cuts is not None:
            R, pen, (of_ptr, of_ids) = cuts
            counts = (R == base[0]).sum(axis=1) if len(base) == 1 else np.isin(R, base).sum(axis=1)
            need_h += float(pen[counts >= 2].sum())
            if isinstance(item_members, _Singles):
                # each item one practice: the knapsack reads its cuts from the practice's list
                item_cuts = (item_members.ids, of_ptr, of_ids)
            else:
                item_cuts = [[int(c) for m in ms if m < len(of_ptr) - 1 for c in of_ids[of_ptr[m]:of_ptr[m + 1]]]
                             for ms in item_members]
            kcuts = (item_cuts, pen, counts)
        return (np.asarray(p_items, float), np.asarray(w_items, np.int64), item_members, base,
                int(lo_h), int(hi_h), float(need_h), kcuts, conflicts)

    def _hub_knapsack(self, h: int, P, lo, hi, need, forced, cuts):
        """(knapsack, view) for hub h, or None when hub h can take no column under the threshold."""
        charge("hub_setup", self.n)
        items = self._filter(P[:, h], h, need[h], lo, hi)
        if items is None:
            return None
        view = self._hub_view(h, P[:, h], items, lo[h], hi[h], need[h], forced, cuts)
        if view is None:
            return None
        ip, iw, members_of, base, lo_h, hi_h, _, kcuts, conflicts = view
        rule = None
        if self.problem.adjacency is not None:
            connected = self.problem.connected
            rule = lambda chosen: connected(self._column(base, members_of, chosen))  # noqa: E731
        return _Knapsack(ip, iw, np.arange(len(ip)), lo_h, hi_h, cuts=kcuts, conflicts=conflicts,
                         compiled=self.mode.compiled, rule=rule, mode=self.mode), view

    CONNECTED_NODES = 300   # search nodes per hub for connected columns when the best set is not
    # True: under contiguity, search connected sets exhaustively (node limit 400,000 per hub) and
    # bound by that value when the search completes (phase 1 uses it to prove infeasibility)
    exact_connected = False

    def _connected_only(self, ks: "_Knapsack", view, need_h: float, sols, keep: int, node_limit: int):
        """The connected sets among ``sols``; when there are none, connected columns from greedy
        growth out of the hub and a short search that records connected sets only. Neither is
        exhaustive: they supply columns, the bound comes from the unconstrained value."""
        good = [(prof, chosen) for prof, chosen in sols if ks.rule(chosen)]
        if good:
            return good
        ip, iw, members_of, base, lo_h, hi_h, _, kcuts, conflicts = view
        if kcuts is None and conflicts is None:
            grown = self._grow_connected(ip, iw, members_of, base, lo_h, hi_h, need_h)
            if grown:
                return grown
        ks.accept = ks.rule
        try:
            _, found, _ = ks.best(need_h, node_limit=node_limit, keep=keep)
        finally:
            ks.accept = None
        return found

    def _grow_connected(self, ip, iw, members_of, base, lo_h, hi_h, need_h):
        """Greedy: from the hub (and its forced members) add the neighbouring item with the best
        profit per patient while it fits; the most profitable connected set seen in the window.
        The growth starts from every fixed member at once, so a set is kept only once it joins
        them all (a node's rule can force a member that is not next to the hub)."""
        nbrs = self.problem.neighbours
        connected = self.problem.connected
        item_of = {m: k for k, ms in enumerate(members_of) for m in ms}
        frontier = {item_of[j] for i in base for j in nbrs[i] if j in item_of}
        chosen: list[int] = []
        taken = set()
        cw, cp, best = 0, 0.0, None
        if lo_h <= 0 and need_h < 0 and connected(tuple(base)):
            best = (0.0, [])
        while frontier:
            fits = [k for k in frontier if cw + iw[k] <= hi_h]
            if not fits:
                break
            k = max(fits, key=lambda k: ip[k] / iw[k] if iw[k] > 0 else (np.inf if ip[k] > 0 else -np.inf))
            if ip[k] <= 0 and cw >= lo_h:
                break
            chosen.append(k)
            taken.add(k)
            frontier.discard(k)
            cw += int(iw[k])
            cp += float(ip[k])
            frontier |= {item_of[j] for m in members_of[k] for j in nbrs[m] if j in item_of} - taken
            if cw >= lo_h and cp > need_h + 1e-9 * max(1.0, abs(need_h)) and (best is None or cp > best[0]):
                # checked each time: a together-group item need not touch the set where it joins
                if connected(self._column(base, members_of, chosen)):
                    best = (cp, list(chosen))
        return [best] if best is not None else []

    def _valid(self, S) -> bool:
        """No apart pair inside S (together-groups are whole by construction), and S connected
        when the problem asks for contiguity."""
        inside = set(S)
        return not any(self.apart_of.get(i, set()) & inside for i in S) and self.problem.connected(S)

    @staticmethod
    def _column(base: list[int], item_members, chosen) -> tuple[int, ...]:
        return tuple(sorted(base + [m for k in chosen for m in item_members[k]]))

    @staticmethod
    def cut_data(cut_sets: np.ndarray, sigma: np.ndarray):
        """(cut sets, penalty per cut (-dual, >= 0), the penalised cuts of each practice as
        (pointer, cut ids) over practices 0..max id: practice i's are ids[ptr[i]:ptr[i + 1]])."""
        if len(cut_sets) == 0 or not np.any(sigma < 0):
            return None
        pen = np.maximum(0.0, -np.asarray(sigma, float))
        cut_sets = np.asarray(cut_sets, np.int64)
        live = np.flatnonzero(pen > 0)
        practice = cut_sets[live].ravel()
        cut = np.repeat(live, cut_sets.shape[1])
        order = np.argsort(practice, kind="stable")          # each practice's cuts in cut order
        ptr = np.zeros(int(cut_sets.max()) + 2, np.int64)
        np.cumsum(np.bincount(practice, minlength=len(ptr) - 1), out=ptr[1:])
        return cut_sets, pen, (ptr, cut[order])

    def column_rc(self, S, h: int, pi: np.ndarray, mu: float, cuts) -> float:
        return self.F + float(self.a[list(S), h].sum()) - float(pi[list(S)].sum()) - mu + _cut_penalty(S, cuts, self.n)

    def price(self, pi: np.ndarray, mu: float, tol: float, deadline: Clock | float,
              keep: int = 2, allowed: np.ndarray | None = None,
              forced: np.ndarray | None = None, enough: int | None = None,
              cuts=None, heuristic: bool = False, relax: np.ndarray | None = None,
              slack: float = 0.0) -> _PricingOutcome | None:
        """Minimum reduced cost (capped at 0) and negative columns; None when ``deadline`` (the
        run's ``Clock``, or a ``time.perf_counter()`` deadline) has passed. ``relax``: as for
        ``relaxation_bounds``.

        ``cuts`` (from ``cut_data``) adds the subset-row penalties to the reduced costs.
        ``heuristic``: a short search per hub; columns only, ``rc_min`` is then -inf (no bound).

        Hubs are priced exactly in order of their relaxation bound. With ``enough``, pricing
        stops once that many hubs gave negative columns; ``rc_min`` is then the least of the
        exact values found and the relaxation bounds of the hubs left unpriced, which is still a
        valid lower bound on every column's reduced cost (so the Lagrangian bound stays valid).
        Hubs whose relaxation bound is at least ``-slack`` are not searched either (no column of
        theirs is below -slack): their bound enters ``rc_min`` as it is."""
        P, lo, hi, need, hub_ok = self._setup(pi, mu, allowed, forced)
        if relax is None:
            relax = _relaxation_all_hubs(P, self.w, lo, hi, self.mode.compiled)
        rc_lb = np.where(hub_ok, need - relax, np.inf)
        rc_min = 0.0
        cols: list[tuple[tuple[int, ...], int, float]] = []
        out = _PricingOutcome(0.0, cols)
        hub_rc = rc_lb.copy()
        order = np.argsort(rc_lb)
        productive = 0
        for pos, h in enumerate(order):
            if rc_lb[h] >= -slack:
                rc_min = min(rc_min, float(rc_lb[h]))      # sorted: h bounds every hub left
                break
            if enough is not None and productive >= enough:
                rc_min = min(rc_min, float(rc_lb[h]))      # the rest are sorted: h bounds them all
                break
            if expired(deadline):
                return None
            made = self._hub_knapsack(h, P, lo, hi, need, forced, cuts)
            if made is None:
                continue
            ks, (ip, iw, members_of, base, lo_h, hi_h, need_h, kcuts, conflicts) = made
            out.exact_hubs += 1
            if heuristic:
                _, sols, _ = ks.best(need_h, node_limit=1500, keep=keep)
                if ks.rule is not None:
                    sols = self._connected_only(ks, made[1], need_h, sols, keep, self.CONNECTED_NODES)
                before = len(cols)
                for prof, chosen in sols:
                    rc = float(need_h - prof)
                    if rc < -tol:
                        cols.append((self._column(base, members_of, chosen), int(h), rc))
                productive += len(cols) > before
                continue
            value, sols, exact = ks.best(need_h, keep=keep)
            if not exact and (kcuts is not None or conflicts is not None) and not ks.runs_compiled:
                # the DP below cannot see penalties or conflicts; a longer exact search usually settles it
                value, sols, exact = ks.best(need_h, node_limit=400_000, keep=keep)
            if not exact:
                # the DP ignores penalties and conflicts: its value bounds the true profit from above;
                # its set becomes a column only if it is valid, with its true reduced cost
                out.dp_fallbacks += 1
                got = _knapsack_dp(ip, iw, np.arange(len(ip)), lo_h, hi_h)
                sols, value = [], None
                if got is not None and got[0] > need_h:
                    value = got[0]
                    S = self._column(base, members_of, got[1])
                    if self._valid(S):
                        rc_true = self.column_rc(S, h, pi, mu, cuts)
                        if rc_true < -tol:
                            cols.append((S, int(h), rc_true))
            if value is None:
                # no column beats the threshold by more than the search's slack: every reduced
                # cost of this hub is at least -ks.tol (and at least the relaxation's bound)
                rc_min = min(rc_min, max(float(rc_lb[h]), -ks.tol))
                hub_rc[h] = max(hub_rc[h], -ks.tol)
                continue
            # contiguity: the value above ignores it, so it bounds every connected column too
            # (rc_min stays valid); columns come from the connected sets only
            if ks.rule is not None and self.exact_connected:
                ks.accept = ks.rule
                try:
                    c_value, c_sols, c_exact = ks.best(need_h, node_limit=400_000, keep=keep)
                finally:
                    ks.accept = None
                if c_exact:                  # exact over connected sets: the tighter valid value
                    value = need_h if c_value is None else c_value
                sols = c_sols
            # the search may miss the maximum by up to ks.tol: the bound takes that off
            rc_min = min(rc_min, float(need_h - value) - ks.tol)
            hub_rc[h] = max(hub_rc[h], float(need_h - value) - ks.tol)
            if ks.rule is not None and not self.exact_connected:
                sols = self._connected_only(ks, made[1], need_h, sols, keep, self.CONNECTED_NODES)
            before = len(cols)
            for prof, chosen in sols:
                rc = float(need_h - prof)
                if rc < -tol:
                    cols.append((self._column(base, members_of, chosen), int(h), rc))
            productive += len(cols) > before
        out.rc_min = -np.inf if heuristic else rc_min
        out.rho = -np.inf if heuristic else _per_patient(rc_min, self.L)
        out.hub_rc = None if heuristic else hub_rc
        return out

    def _filter(self, ph, h, need, lo_all, hi_all):
        """Items that can belong to a column of hub h with profit > need (relaxation test);
        None when no column of hub h can reach it."""
        lo_h, hi_h = float(lo_all[h]), float(hi_all[h])
        if self.mode.compiled and _compiled():
            items, count = _compiled().filter_items(ph, self.w, lo_h, hi_h, float(need))
            if count == 0:
                return items if lo_h <= 0 <= hi_h and need < 0 else None
            return items
        cand = np.flatnonzero(np.isfinite(ph))
        if len(cand) == 0:
            return cand if lo_h <= 0 <= hi_h and need < 0 else None
        w = self.w
        # bound with item i forced in: p_i + relaxation over all candidates in window shifted by w_i
        # (including i itself among the candidates only loosens it, so it stays an upper bound)
        p, ww = ph[cand], w[cand].astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(ww > 0, p / np.where(ww > 0, ww, 1.0), np.where(p > 0, np.inf, -np.inf))
        useful = ~((ww == 0) & (p <= 0))
        order = np.argsort(-ratio, kind="stable")
        order = order[useful[order]]
        cw = np.concatenate([[0.0], np.cumsum(ww[order])])
        cp = np.concatenate([[0.0], np.cumsum(p[order])])
        wstar = float(ww[order][ratio[order] > 0].sum())
        lo_i = lo_h - ww
        hi_i = hi_h - ww
        X = np.minimum(np.maximum(wstar, np.maximum(lo_i, 0.0)), hi_i)
        X = np.minimum(X, cw[-1])
        zero_pos = cp[np.searchsorted(cw, 0.0, side="right") - 1] if len(cw) else 0.0
        val = np.interp(X, cw, cp)
        val = np.where(X <= 0, np.maximum(val, zero_pos), val)
        ok = (lo_i <= cw[-1]) & (hi_i >= 0) & (p + val > need - 1e-9 * (1 + abs(need)))
        return cand[ok]

    def fixable(self, pi: np.ndarray, mu: float, delta: float) -> np.ndarray:
        """Pairs (i, h) that can belong to a column with reduced cost < delta (relaxation test).
        Every other pair can be forbidden for plans whose columns all price below delta."""
        n = self.n
        P, lo, hi, need, hub_ok = self._setup(pi, mu, None, None)
        need = need - delta
        relax = _relaxation_all_hubs(P, self.w, lo, hi, self.mode.compiled)
        keep = np.zeros((n, n), bool)
        for h in range(n):
            if not hub_ok[h] or relax[h] < need[h] - 1e-9 * (1 + abs(need[h])):
                continue
            items = self._filter(P[:, h], h, need[h], lo, hi)
            if items is None:
                continue
            keep[items, h] = True
            keep[h, h] = True
        return keep

    def enumerate(self, pi: np.ndarray, mu: float, delta: float, limit: int, deadline: Clock | float,
                  allowed: np.ndarray | None = None, forced: np.ndarray | None = None, cuts=None):
        """Every column with reduced cost < delta (per hub, cheapest hub per member set kept).
        Returns {members: (hub, cost)} or None when over the limit or out of time."""
        n, w = self.n, self.w
        P, lo, hi, need, hub_ok = self._setup(pi, mu, allowed, forced)
        need = need - delta                        # profit of others must be > need
        relax = _relaxation_all_hubs(P, w, lo, hi, self.mode.compiled)
        found: dict[tuple[int, ...], tuple[int, float]] = {}
        total = 0
        for h in range(n):
            if not hub_ok[h] or relax[h] < need[h] - 1e-9 * (1 + abs(need[h])):
                continue
            if expired(deadline):
                return None
            made = self._hub_knapsack(h, P, lo, hi, need, forced, cuts)
            if made is None:
                continue
            ks, (ip, iw, members_of, base, lo_h, hi_h, need_h, kcuts, conflicts) = made
            ks.accept = ks.rule             # only connected columns can be in a plan: exact filter
            sols = ks.enumerate(need_h, limit - total)
            if sols is None:
                return None
            total += len(sols)
            for _, chosen in sols:
                S = self._column(base, members_of, chosen)
                cost = self.F + float(self.a[list(S), h].sum())
                old = found.get(S)
                if old is None or cost < old[1]:
                    found[S] = (h, cost)
        return found


def _cut_penalty(S, cuts, n: int) -> float:
    if cuts is None:
        return 0.0
    R, pen = cuts[0], cuts[1]
    inside = np.zeros(n, bool)
    inside[list(S)] = True
    return float(pen[inside[R].sum(axis=1) >= 2].sum())


class _SegmentedPricer:
    """Pricing when a federation's cost includes g(N) (``sizecost``): one ``_Pricer`` per affine
    segment [a_k, b_k] of g, with access costs a_ih + beta_k w_i, fixed cost F + alpha_k and that
    population window. Every column lies in exactly one segment, and its segment reduced cost is a
    lower bound on its true one (equal where g is affine), so the least segment value is a valid
    ``rc_min``; columns are returned with their TRUE reduced cost, and only when it is negative.
    Segments are priced in order of their relaxation bound and skipped when it is >= 0."""

    def __init__(self, problem: FederationProblem):
        self.p = problem
        self.n = problem.n
        top = min(problem.max_population, problem.population)
        self.mode = _SearchMode(problem.n)
        self._allowed = problem.allowed
        self.segs = [(a, min(b, top), al, be) for a, b, al, be in problem.size_cost.segments if a <= top]
        self.parts: list[_Pricer] = [self._part(seg) for seg in self.segs]
        self.betas = np.array([seg[3] for seg in self.segs], np.float64)
        # per part, the exact least reduced cost at the last pricing (parts priced only)
        self.part_rc: dict[int, float] = {}

    def _part(self, seg) -> _Pricer:
        a_k, b_k, alpha, beta = seg
        p = self.p
        q = _Pricer(p, p.assign_cost + beta * p.list_size.astype(float)[:, None], p.hub_cost + alpha,
                    L=a_k, U=b_k, mode=self.mode)
        q.allowed = self._allowed
        return q

    @property
    def allowed(self) -> np.ndarray:
        return self._allowed

    @allowed.setter
    def allowed(self, value: np.ndarray) -> None:
        self._allowed = value
        for q in self.parts:
            q.allowed = value

    cut_data = staticmethod(_Pricer.cut_data)

    @property
    def exact_connected(self) -> bool:
        return all(q.exact_connected for q in self.parts)

    @exact_connected.setter
    def exact_connected(self, value: bool) -> None:
        for q in self.parts:
            q.exact_connected = value

    def column_rc(self, S, h: int, pi: np.ndarray, mu: float, cuts) -> float:
        return (self.p.column_cost(S, h) - float(pi[list(S)].sum()) - mu + _cut_penalty(S, cuts, self.n))

    def price(self, pi: np.ndarray, mu: float, tol: float, deadline: Clock | float, keep: int = 2,
              allowed: np.ndarray | None = None, forced: np.ndarray | None = None, enough: int | None = None,
              cuts=None, heuristic: bool = False, slack: float = 0.0) -> _PricingOutcome | None:
        relax = self._relaxations(pi, allowed, forced)
        hub_lb = [q.relaxation_bounds(pi, mu, allowed, forced, relax=None if relax is None else relax[k])
                  for k, q in enumerate(self.parts)]
        # a segment's floor: a lower bound, capped at 0, on every one of its columns' reduced cost
        floors = [float(min(0.0, b.min())) if len(b) else 0.0 for b in hub_lb]
        out = _PricingOutcome(0.0, [])
        rc_min, rho, productive, seen = 0.0, 0.0, 0, set()
        self.part_rc = {}
        order = np.argsort(floors, kind="stable")
        for pos, k in enumerate(order):
            if floors[k] >= -slack:
                # sorted: this floor bounds every segment left (a lower bound, capped at 0)
                rc_min = min(rc_min, floors[k])
                for j in order[pos:]:
                    rho = min(rho, _per_patient(floors[j], self.parts[j].L))
                break
            if enough is not None and productive >= enough:
                rc_min = min(rc_min, floors[k])          # sorted: this floor bounds every segment left
                for j in order[pos:]:
                    rho = min(rho, _per_patient(floors[j], self.parts[j].L))
                break
            if expired(deadline):
                return None
            got = self.parts[k].price(pi, mu, tol, deadline, keep=keep, allowed=allowed, forced=forced,
                                      enough=None if enough is None else enough - productive, cuts=cuts,
                                      heuristic=heuristic, relax=None if relax is None else relax[k],
                                      slack=slack)
            if got is None:
                return None
            out.exact_hubs += got.exact_hubs
            out.dp_fallbacks += got.dp_fallbacks
            self.part_rc[int(k)] = got.rc_min
            rc_min = min(rc_min, got.rc_min)
            rho = min(rho, got.rho)
            if got.hub_rc is not None:
                hub_lb[k] = got.hub_rc
            hubs = set()
            for S, h, _ in got.columns:
                rc = self.column_rc(S, h, pi, mu, cuts)
                if rc < -tol and (S, h) not in seen:
                    seen.add((S, h))
                    out.columns.append((S, h, rc))
                    hubs.add(h)
            productive += len(hubs)
        out.rc_min = -np.inf if heuristic else rc_min
        out.rho = -np.inf if heuristic else rho
        # a hub's columns may fall in any segment: its bound is the least over segments (each
        # segment's exact values where it was priced)
        out.hub_rc = None if heuristic or not hub_lb else np.min(hub_lb, axis=0)
        return out

    def _relaxations(self, pi: np.ndarray, allowed: np.ndarray | None, forced: np.ndarray | None):
        """Every segment's relaxation values (segments x hubs) in one compiled pass, or None on
        small problems (which run without the compiled module)."""
        n = self.n
        if not self.mode.compiled or not self.parts:
            return None
        allowed = self._allowed if allowed is None else allowed
        B = np.where(allowed, pi[:, None] - self.p.assign_cost, -np.inf)
        B[np.arange(n), np.arange(n)] = -np.inf
        fw = 0
        if forced is not None and forced.any():
            B = np.where(forced, -np.inf, B)
            fw = (forced * self.parts[0].w[:, None]).sum(axis=0)
        w = self.p.list_size.astype(np.float64)
        LO = np.array([q.lo - fw for q in self.parts], np.float64)
        HI = np.array([q.hi - fw for q in self.parts], np.float64)
        charge("relaxation", B.size)
        return _compiled().relaxation_segments(np.ascontiguousarray(B.T), w, self.betas, LO, HI)

    def fixable(self, pi: np.ndarray, mu: float, delta: float) -> np.ndarray:
        keep = np.zeros((self.n, self.n), bool)
        for q in self.parts:
            keep |= q.fixable(pi, mu, delta)
        return keep

    def enumerate(self, pi: np.ndarray, mu: float, delta: float, limit: int, deadline: Clock | float,
                  allowed: np.ndarray | None = None, forced: np.ndarray | None = None, cuts=None):
        found: dict[tuple[int, ...], tuple[int, float]] = {}
        for q in self.parts:
            got = q.enumerate(pi, mu, delta, limit - len(found), deadline, allowed=allowed, forced=forced,
                              cuts=cuts)
            if got is None:
                return None
            for S, (h, _) in got.items():
                found[S] = (h, self.p.column_cost(S, h))   # a member set has one population: one segment
            if len(found) > limit:
                return None
        return found


class _RefiningPricer(_SegmentedPricer):
    """A segmented pricer whose pieces of g are cut finer where it matters for a proof: after each
    pricing, every piece whose least reduced cost is below ``-slack`` and which lies more than
    ``fine`` under g somewhere is replaced by pieces at most ``fine`` under g, and pricing runs
    again. The bound then loses at most ``fine`` a column to the pieces, without pricing the
    hundreds of fine pieces a curved g would need everywhere (a 5-practice problem with a concave
    g: 1,236 pieces at a twentieth of a penny, against 82)."""

    def __init__(self, problem: FederationProblem, fine: float):
        super().__init__(problem)
        self.fine = float(fine)
        g = problem.size_cost
        self.coarse = [g.error(*seg) > self.fine for seg in self.segs]

    def price(self, pi, mu, tol, deadline, keep: int = 2, allowed=None, forced=None, enough=None,
              cuts=None, heuristic: bool = False, slack: float = 0.0):
        while True:
            out = super().price(pi, mu, tol, deadline, keep=keep, allowed=allowed, forced=forced, enough=enough,
                                cuts=cuts, heuristic=heuristic, slack=slack)
            if out is None or heuristic:
                return out
            split = [k for k, rc in self.part_rc.items() if rc < -slack and self.coarse[k]]
            if not split:
                return out
            for k in sorted(split, reverse=True):
                a, b, _, _ = self.segs[k]
                finer = self.p.size_cost.pieces(a, b, self.fine)
                self.segs[k:k + 1] = finer
                self.parts[k:k + 1] = [self._part(seg) for seg in finer]
                self.coarse[k:k + 1] = [False] * len(finer)
            self.betas = np.array([seg[3] for seg in self.segs], np.float64)


def make_pricer(problem: FederationProblem, fine: float | None = None):
    """The exact pricer for this problem (segmented when federations carry a size cost; with
    ``fine``, refining its pieces of g to that tolerance where a proof needs it)."""
    if problem.size_cost is None:
        return _Pricer(problem, problem.assign_cost, problem.hub_cost)
    if fine is not None:
        return _RefiningPricer(problem, fine)
    return _SegmentedPricer(problem)


# --------------------------------------------------------------------------------------------------
# Restricted master LP (optimise.master_lp: HiGHS, or GLOP without highspy)
# --------------------------------------------------------------------------------------------------

def covering_suffices(problem: FederationProblem) -> bool:
    """Whether the root may first cover practices (rows >= 1) instead of partitioning them (= 1).

    True when every column stays a column, no dearer, after dropping any member but its hub: no
    population floor, no size cost, no contiguity, no must-link pairs, no negative access cost
    (the capacitated p-median problem). Then the covering LP is the partitioning LP with the dual
    constraints "every practice's dual >= 0" added, which cut off few optimal dual solutions: only
    an over-covered practice that is the hub of every column holding it cannot leave one of them
    (dual-optimal inequalities, Ben Amor, Desrosiers and Valério de Carvalho, Operations Research
    54(3), 2006). Why: those masters are very degenerate, and with free duals the root LP of a
    402-point CPMP (sjc402_02) sat at the start plan's value for 23 rounds and converged in 108
    rounds and 27 s; covering first, in 66 rounds and 6 s. The root then sets the rows back to
    = 1 and prices on from the covering LP's basis (``_Solver._phase2``), so the bound is the
    partitioning LP's."""
    p = problem
    return (p.min_population <= 0 and p.size_cost is None and p.adjacency is None and not p.together
            and bool((p.assign_cost[p.allowed] >= 0).all()))


class _Master:
    """Set-partitioning LP over the column pool, with artificial singletons for phase 1.

    ``cover``: practice rows >= 1 until ``partition`` (``covering_suffices``). ``vars[j]`` is the LP
    column of pool column ``j`` (``master_lp``: HiGHS when importable)."""

    def __init__(self, n: int, k_lo: int, k_cap: int, backend: str | None = None, cover: bool = False):
        self.lp = make_lp(backend)
        self.n = n
        self.cover = cover
        for _ in range(n):
            self.lp.add_row(1.0, INF if cover else 1.0)
        self.count_row = self.lp.add_row(float(k_lo), float(k_cap))
        self.vars: list[int] = []
        self.members: list[tuple[int, ...]] = []
        self.hubs: list[int] = []
        self.costs: list[float] = []
        self.index: dict[tuple[tuple[int, ...], int], int] = {}
        self.art: list[int] = []
        self.phase1 = False
        self.cut_rows: list[int] = []
        self.cut_sets: list[tuple[int, int, int]] = []
        self.retired: set[int] = set()
        self.sigma = np.zeros(0)
        self._values = np.zeros(0)       # every LP column's value at the last solve

    def add(self, members, hub: int, cost: float) -> bool:
        """Add a column; False when it is already there (a retired one is switched back on)."""
        key = (tuple(sorted(int(i) for i in members)), int(hub))
        if key in self.index:
            j = self.index[key]
            if j in self.retired:
                self.retired.discard(j)
                self.lp.set_upper([self.vars[j]], INF)
                self._switched_on(j)
                return True
            return False
        rows = list(key[0])
        rows.append(self.count_row)
        if self.cut_rows:
            S = set(key[0])
            for row, R in zip(self.cut_rows, self.cut_sets):
                if (R[0] in S) + (R[1] in S) + (R[2] in S) >= 2:
                    rows.append(row)
        self.index[key] = len(self.vars)
        self.vars.append(self.lp.add_cols([0.0 if self.phase1 else float(cost)], [rows]))
        self.members.append(key[0])
        self.hubs.append(key[1])
        self.costs.append(float(cost))
        return True

    def _switched_on(self, j: int) -> None:
        """Hook: retired column ``j`` was priced again and is back on."""

    def start_phase1(self) -> None:
        """Artificial singleton per practice (cost 1, outside the count row) and an artificial
        surplus and slack on the count row (cost 1 each); real columns cost 0.

        The count row keeps its bounds [k_lo, k_cap]: a zero phase-1 value then means a fractional
        cover by real columns whose number is in range. (Relaxing the row to [0, k_cap] instead,
        as an earlier version did, let phase 1 end on a cover of too few columns, and phase 2's
        master was then infeasible: a fixed number of federations failed with "master LP failed".)
        """
        self.phase1 = True
        self.lp.set_costs(self.vars, np.zeros(len(self.vars)))
        first = self.lp.add_cols(np.ones(self.n), [[i] for i in range(self.n)])
        self.art.extend(range(first, first + self.n))
        first = self.lp.add_cols([1.0, 1.0], [[self.count_row], [self.count_row]], [[1.0], [-1.0]])
        self.art.extend([first, first + 1])

    def end_phase1(self) -> None:
        self.phase1 = False
        self.lp.set_upper(self.art, 0.0)
        self.lp.set_costs(self.art, np.zeros(len(self.art)))
        self.lp.set_costs(self.vars, self.costs)

    def partition(self) -> None:
        """Practice rows back to = 1 after covering (``covering_suffices``)."""
        if self.cover:
            for i in range(self.n):
                self.lp.set_row_bounds(i, 1.0, 1.0)
            self.cover = False

    def set_count(self, k_lo: int, k_cap: int) -> None:
        self.lp.set_row_bounds(self.count_row, float(k_lo), float(k_cap))

    def live(self) -> int:
        return len(self.vars) - len(self.retired)

    def retire(self, pi: np.ndarray, mu: float, x: np.ndarray, keep: int) -> int:
        """Switch off (upper bound 0, so the warm start survives) the columns at zero in the LP
        beyond the ``keep`` of least reduced cost; returns how many. Pricing brings back any that
        the LP needs again (``add`` switches them on), so the LP's value is unaffected; a simplex
        works on every column that is not fixed, and on a 509-practice ICB the master had grown
        to 20,000 columns taking 2/3 of the root's time."""
        # columns added since the solve that gave x are not candidates: they price out negative
        cand = np.array([j for j in range(len(x)) if j not in self.retired and x[j] <= 1e-9], np.int64)
        if len(cand) <= keep:
            return 0
        rc = np.array([self.costs[j] - pi[list(self.members[j])].sum() for j in cand]) - mu
        drop = cand[np.argsort(rc, kind="stable")[keep:]]
        self.lp.set_upper([self.vars[j] for j in drop.tolist()], 0.0)
        self.retired.update(drop.tolist())
        return len(drop)

    def add_cut(self, R: tuple[int, int, int]) -> None:
        """Subset-row cut on practices R: sum over columns holding two or more of them <= 1."""
        Rs = set(R)
        cols = [v for v, S in zip(self.vars, self.members) if len(Rs.intersection(S)) >= 2]
        self.cut_rows.append(self.lp.add_row(-INF, 1.0, cols))
        self.cut_sets.append(tuple(int(i) for i in R))

    def solve(self):
        """(status ok, objective, pi, mu, primal values); cut duals (<= 0) in ``self.sigma``."""
        ok, z, duals, values = self.lp.solve()
        if not ok:
            return False, None, None, None, None
        self._values = values
        x = values[np.asarray(self.vars, dtype=np.int64)] if self.vars else np.zeros(0)
        self.sigma = np.minimum(0.0, duals[np.asarray(self.cut_rows, dtype=np.int64)]) if self.cut_rows \
            else np.zeros(0)
        return True, z, duals[:self.n].copy(), float(duals[self.count_row]), x


# --------------------------------------------------------------------------------------------------
# Set-partitioning IP over a column list, through the project's solver adapters
# --------------------------------------------------------------------------------------------------

def _partition_ip(problem: FederationProblem, columns: list[tuple[tuple[int, ...], int, float]],
                  k_lo: int, k_cap: int, time_limit_s: float, solver: str, seed: int, threads: int,
                  start_plan=None, gap: float = 0.0, clock: Clock | None = None, cutoff: float | None = None):
    """Solve min sum c x over the columns as an IP. Returns (state, plan or None, solver bound).
    With a ``clock``, ``time_limit_s`` is a budget in its units. With a ``cutoff``, only plans
    costing at most that count (a row on the objective): "infeasible" then means none does."""
    from .formulations.linear import LinearModel
    from .solvers import SolveOptions, run_solver

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


# --------------------------------------------------------------------------------------------------
# The solver
# --------------------------------------------------------------------------------------------------

def _plan_columns(problem: FederationProblem, plan):
    labels, hubs = plan
    out = []
    for f, h in enumerate(hubs):
        S = tuple(int(i) for i in np.flatnonzero(np.asarray(labels) == f))
        out.append((S, int(h), problem.column_cost(S, h)))
    return out


def _column_ok(problem: FederationProblem, S) -> bool:
    """A member set obeys the together / apart pairs (population and hub rules are the caller's)."""
    if not problem.together and not problem.apart:
        return True
    inside = set(int(i) for i in S)
    return (all((i in inside) == (j in inside) for i, j in problem.together)
            and not any(i in inside and j in inside for i, j in problem.apart))


def _nearest_columns(problem: FederationProblem, per_hub: int = 6):
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


@dataclass
class _Log:
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


def no_plan_message(problem: FederationProblem, clock: Clock) -> str:
    """What to tell a planner when the budget ran out with no plan and no proof that none exists."""
    from .feasibility import relaxations

    unit = "work units" if clock.deterministic else "seconds"
    rules = list(relaxations(problem))
    return (f"no plan found within the limit of {clock.limit:g} {unit}, and the rules were not proven impossible "
            f"either: allow more time (e.g. --time-limit {max(600, int(4 * clock.limit))})"
            + (", or relax one of: " + "; ".join(rules) if rules else "") + ".")


def solve_federations_cg(
    problem: FederationProblem,
    *,
    time_limit_s: float = 300.0,
    gap: float = 0.0,
    seed: int = 0,
    threads: int = 1,
    warm_start: tuple[np.ndarray, tuple[int, ...]] | None = None,
    log_path: Path | None = None,
    mip_solver: str = "cbc",
    names: tuple[str, ...] | None = None,
    work_limit: float | None = None,
) -> Result:
    """Best plan within the time limit with a valid lower bound; ``optimal`` only when proven.

    Same contract as ``engine.solve_federations``; raises ``ProblemInfeasible`` when ``diagnose``
    finds reasons. See the module docstring for the method and its proof. ``work_limit`` (work
    units, ``optimise.clock``) stops the run after a fixed amount of work instead, so that a run
    which does not finish repeats exactly; ``time_limit_s`` is then a safety cap.
    """
    clock = Clock(time_limit_s, work_limit)
    reasons = diagnose(problem, names)
    if reasons:
        raise ProblemInfeasible(reasons)
    log = _Log(clock.t0, Path(log_path) if log_path is not None else None)
    with clock.active():
        res = _Solver(problem, clock, gap, seed, threads, warm_start, mip_solver, log).run()
    log(clock.summary())
    return res.replace(practice_codes=problem.codes, log=log.text(), work_units=clock.work,
                       repeatable=res.repeatable and not clock.wall_stopped)


class _Solver:
    # Wentges smoothing: price at alpha * (best-bound duals) + (1 - alpha) * (LP duals). The big
    # masters are very degenerate (the LP sat at the incumbent's value for 40 rounds on QOP);
    # 0.8 rather than 0.5 halved the 60 s gap on QOP, QHM and QMF and left Devon unchanged
    # (benchmarks/RESULTS.md)
    SMOOTHING = 0.8
    # the root master keeps this many columns at zero (or 4 per practice, if more) when it retires
    # the rest, which it does once it holds three times as many
    RETIRE_KEEP = 1500
    RETIRE_AT = 3
    # a root that has not converged by this share of the limit, with the plan more than
    # PLANS_GAP above the restricted LP value, hands the rest of the time to finding plans
    # (not in the small region problems of ``optimise.lns``, which run this solver themselves)
    PLANS_AFTER = 0.5
    PLANS_GAP = 0.05
    PLANS_MIN_PRACTICES = 80
    # the root LP covers before it partitions where that changes nothing but the duals
    # (``covering_suffices``)
    COVER_FIRST = True

    def __init__(self, problem, clock: Clock, gap, seed, threads, warm_start, mip_solver, log, find_any: bool = True):
        self.p = problem
        self.clock = clock
        self.t0 = clock.t0
        self.gap = max(0.0, float(gap))
        self.seed = seed
        self.threads = threads
        self.warm_start = warm_start
        self.mip_solver = mip_solver
        self.SOLVER_NAME = mip_solver
        # partial pricing: enough hubs with new columns per round (full scans only to converge)
        self.enough = max(25, problem.n // 4)
        self.log = log
        self.n = problem.n
        self.k_lo, self.k_hi = problem.federation_count_range()
        # every column costs at least F + min g when access costs are >= 0 (k_cap below)
        self.min_column = float(problem.hub_cost + problem.size_cost_floor())
        self.nonneg = bool(self.min_column > 0 and np.all(problem.assign_cost[problem.allowed] >= 0))
        self.plan = None
        self.ub = np.inf
        self.lb = -np.inf
        # every plan costs a multiple of this (0: no such step); see FederationProblem.cost_step
        self.step = problem.cost_step()
        self.notes: list[str] = []
        self.version = ""
        self.plans_instead = False
        self.support: list[int] = []
        # the exact search for a first plan when the heuristics find none (not in the region
        # re-solves of ``optimise.lns``, which start from the incumbent's own plan)
        self.find_any = find_any

    # -- helpers -----------------------------------------------------------------------------
    def left(self) -> float:
        """What is left of the budget, in its unit (seconds, or work units in work mode)."""
        return self.clock.left()

    def offer(self, plan, source: str) -> bool:
        if plan is None:
            return False
        labels, hubs = np.asarray(plan[0], dtype=np.int64), tuple(int(h) for h in plan[1])
        if not self.p.is_feasible(labels, hubs):
            if self.p.adjacency is None:
                return False
            # heuristics do not know contiguity: keep each hub's connected piece, re-attach the rest
            from .heuristics import repair_contiguous

            fixed = repair_contiguous(self.p, labels, hubs)
            if fixed is None or not self.p.is_feasible(*fixed):
                return False
            labels, hubs = fixed
            source += " (made contiguous)"
        c = self.p.cost(labels, hubs)
        if c < self.ub - 1e-9 * max(1.0, abs(self.ub) if np.isfinite(self.ub) else 1.0):
            self.ub, self.plan = c, (labels, hubs)
            self.log(f"incumbent £{c:,.2f} ({source})")
            if hasattr(self, "master"):
                self.master.set_count(self.k_lo, self.k_cap())
            return True
        return False

    def k_cap(self) -> int:
        if self.nonneg and np.isfinite(self.ub):
            return int(max(self.k_lo, min(self.k_hi, np.floor(self.ub / self.min_column + 1e-9))))
        return self.k_hi

    # a node bound within this share of a cost step above a whole multiple still holds that
    # multiple: LP bounds carry float noise of about 1e-7 of the objective
    STEP_SLACK = 0.01

    def target(self) -> float:
        """Plans at or above this cost need not be found (the incumbent is within the gap, or,
        with whole costs, a plan must cost at least one step less than the incumbent to improve it)."""
        t = self.ub * (1 - self.gap) if self.ub >= 0 else self.ub * (1 + self.gap)
        if self.step > 0 and np.isfinite(self.ub):
            t = min(t, self.ub - (1 - self.STEP_SLACK) * self.step)
        return t

    def bound(self) -> float:
        """The lower bound, rounded up to the next multiple of the cost step when there is one."""
        return round_up_to_step(self.lb, self.step, self.STEP_SLACK)

    def lagrangian(self, pi: np.ndarray, mu: float, priced: "_PricingOutcome") -> float:
        return lagrangian_bound(float(pi.sum()), mu, priced, self.k_lo, self.k_cap(), self.p.population)

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

    # -- phases ------------------------------------------------------------------------------
    def run(self) -> Result:
        from .heuristics import construct, improve

        p = self.p
        # construct and improve ignore contiguity (offer() repairs what it can, rarely enough):
        # under contiguity they get a small share of the time
        budget = (0.03 if p.adjacency is not None else 0.12) * self.clock.limit
        for s, variant in enumerate(self._construct_variants()):
            if s > 0 and self.clock.used() > budget:
                break
            k = variant.n_federations if variant is not p else None
            self.offer(construct(variant, seed=self.seed + s, starts=6, time_budget_s=max(0.05, budget / 3),
                                 clock=self.clock),
                       f"construct seed {self.seed + s}" + (f", {k} federations" if k is not None else ""))
        if self.warm_start is not None:
            self.offer(improve(p, self.warm_start[0], self.warm_start[1], seed=self.seed), "warm start")
        if self.plan is None and self.find_any:
            self._find_any_plan()
        self.lb = self._trivial_bound()

        self.master = _Master(self.n, self.k_lo, self.k_cap(), cover=self.COVER_FIRST and covering_suffices(p))
        self.pricer = make_pricer(p)
        if self.plan is not None:
            for col in _plan_columns(p, self.plan):
                self.master.add(*col)
        for col in _nearest_columns(p):
            if _column_ok(p, col[0]) and p.connected(col[0]):   # seeds ignore links and contiguity
                self.master.add(*col)
        self.log(f"master seeded with {len(self.master.vars)} columns; k in [{self.k_lo}, {self.k_cap()}]")

        if self.plan is None:
            state = self._phase1()
            if state == "infeasible":
                return self._result(Status.INFEASIBLE, "column generation proved that no plan meets "
                                                       "the rules (phase-1 master LP value > 0)")
            if state != "feasible":
                return self._finish()
        converged, duals = self._phase2()
        if self.proven():
            return self._finish()
        if self.plans_instead:
            self._plans_instead()
            return self._finish()
        if converged and not self.proven() and duals is not None and self.left() > 0:
            from .branch_price import BranchAndPrice

            tree = BranchAndPrice(self, duals)
            tree.run(self.lb)
            st = tree.stats
            self.notes.append(f"branch and price: {st.nodes} nodes, {st.closed_by_enumeration} closed by "
                              f"enumeration, {st.fixed_pairs} practice-hub pairs fixed by reduced cost, "
                              f"{st.strong} branches chosen by strong branching")
            self.log(self.notes[-1])
        return self._finish()

    # the exact yes/no search for a first plan (``optimise.feasibility``) when the heuristics find
    # none: at most this share of the limit, and only up to this many practices (its model has
    # n^2 assignment and, with contiguity, n x arcs flow variables). On sub-ICB 00T (49
    # practices, contiguity, 5 federations, one lock) it found the plan none of the heuristics
    # did in 39 s on one core
    FEASIBILITY_SHARE = 0.4
    FEASIBILITY_MAX_PRACTICES = 120

    def _find_any_plan(self) -> None:
        """A first plan from the exact feasibility search, or a proof that there is none
        (``ProblemInfeasible``, raised with ``searched``)."""
        from .feasibility import find_plan

        if self.p.n > self.FEASIBILITY_MAX_PRACTICES:
            return
        budget = min(self.left(), self.FEASIBILITY_SHARE * self.clock.limit)
        if budget <= 0:
            return
        got = find_plan(self.p, budget, clock=self.clock, seed=self.seed, threads=self.threads)
        self.log(f"feasibility search: {got.state} in {got.runtime_s:.1f} s")
        if got.state == "none":
            raise ProblemInfeasible(["no plan meets all these rules together (proven by an exact search over "
                                     "every possible plan)"], searched=True)
        self.offer(got.plan, "feasibility search")

    def _construct_variants(self) -> list[FederationProblem]:
        """The problems the three construction runs start from: the count the size cost favours
        most held fixed, the free problem, the next favoured count held fixed (why: see
        ``heuristics.favoured_counts``; local search only ever closes federations, so free runs
        do not reach the favoured count by themselves)."""
        from .heuristics import favoured_counts

        p = self.p
        if p.n_federations is not None or p.size_cost is None:
            return [p, p, p]
        counts = favoured_counts(p)
        fixed = [p.replace(n_federations=k) for k in counts]
        return [fixed[0], p, fixed[1] if len(fixed) > 1 else p]

    def _plans_instead(self) -> None:
        """When the root stops short (``PLANS_AFTER``): the IP over the LP's columns and the
        incumbent's, then region re-solves (``optimise.lns``) for the rest of the time. The bound
        stays the best Lagrangian bound of the rounds run."""
        from .branch_price import BranchAndPrice
        from .lns import improve_by_regions

        m = self.master
        cols = [(m.members[j], m.hubs[j], m.costs[j]) for j in self.support]
        have = {(S, h) for S, h, _ in cols}
        cols += [c for c in _plan_columns(self.p, self.plan) if (c[0], c[1]) not in have]
        start = self.clock.used()
        _, plan, _, _ = _partition_ip(self.p, cols, self.k_lo, self.k_cap(), 0.25 * self.left(), self.mip_solver,
                                      self.seed, self.threads, start_plan=self.plan, clock=self.clock)
        if not self.offer(plan, f"IP over the LP's columns ({len(cols)})"):
            self.log(f"IP over the LP's columns ({len(cols)}): nothing cheaper in {self.clock.used() - start:.1f}")
        if self.left() > BranchAndPrice.REGION_BUDGET:
            improve_by_regions(self.p, self.plan, self.clock, self.left(), seed=self.seed,
                               mip_solver=self.mip_solver, max_practices=BranchAndPrice.REGION_PRACTICES,
                               region_budget=BranchAndPrice.REGION_BUDGET, offer=self.offer, log=self.log)

    def _trivial_bound(self) -> float:
        from .engine import trivial_bound

        return trivial_bound(self.p)

    def _phase1(self) -> str:
        """Find a fractional cover (or prove there is none); then a plan from the IP over columns."""
        m = self.master
        m.start_phase1()
        zero_pricer = _Pricer(self.p, np.zeros_like(self.p.assign_cost), 0.0, mode=self.pricer.mode)
        rounds = 0
        while self.left() > 0:
            rounds += 1
            ok, z, pi, mu, _ = m.solve()
            if not ok:
                self.log("phase 1: master LP failed")
                return "error"
            tol = 1e-9
            if z <= 1e-9:
                break
            priced = zero_pricer.price(pi, mu, tol, self.clock)
            if priced is None:
                return "timeout"
            # Lagrangian bound on the phase-1 value: any cover by k real columns, k in [k_lo, k_hi],
            # has sum(pi) <= -k(mu + r), so sum(pi) + min_k k(mu + r) > 0 proves there is none
            step = mu + priced.rc_min
            bound = float(pi.sum()) + min(self.k_lo * step, self.k_hi * step)
            if bound > 1e-7:
                self.log(f"phase 1: infeasibility value >= {bound:.6f} > 0")
                return "infeasible"
            added = sum(m.add(S, h, self.p.column_cost(S, h))
                        for S, h, _ in priced.columns)
            self.log(f"phase 1 round {rounds}: artificial mass {z:.6f}, +{added} columns")
            if added == 0:
                if z > 1e-7:
                    # with contiguity the column search is not exhaustive: no new column is not a
                    # proof (only the Lagrangian bound above is). Retry with the exhaustive
                    # connected search, whose value then gives the bound.
                    if self.p.adjacency is not None and not zero_pricer.exact_connected:
                        zero_pricer.exact_connected = True
                        continue
                    return "infeasible" if self.p.adjacency is None else "stalled"
                break
        else:
            return "timeout"
        m.end_phase1()
        state, plan, _, _ = _partition_ip(self.p, list(zip(m.members, m.hubs, m.costs)), self.k_lo,
                                          self.k_hi, min(self.left(), 0.2 * self.clock.limit),
                                          self.mip_solver, self.seed, self.threads, clock=self.clock)
        self.offer(plan, "phase-1 columns IP")
        return "feasible"

    def _phase2(self):
        """Stabilised column generation. Returns (converged, (pi, mu, r) with the best bound)."""
        m = self.master
        pr = self.pricer
        p = self.p
        alpha = self.SMOOTHING
        centre = None
        best = None          # (lb, pi, mu, r)
        if self.plan is not None:
            labels, hubs = self.plan
            w = p.list_size.astype(float)
            pops = np.bincount(labels, weights=w, minlength=len(hubs))
            share = np.where(pops[labels] > 0, w / np.where(pops[labels] > 0, pops[labels], 1.0), 0.0)
            fixed = p.hub_cost + np.asarray(p.size_term(pops.astype(np.int64)), float)
            pi0 = p.assign_cost[np.arange(self.n), np.asarray(hubs)[labels]] + fixed[labels] * share
            centre = (pi0, 0.0)
        scale = max(1.0, abs(self.ub) if np.isfinite(self.ub) else p.hub_cost)
        tol = 1e-7 * scale
        keep = max(self.RETIRE_KEEP, 4 * self.n)
        rounds = 0
        converged = False
        while self.left() > 0:
            rounds += 1
            ok, z, pi_lp, mu_lp, x = m.solve()
            if not ok:
                self.log(f"round {rounds}: master LP failed; stopping")
                break
            smoothed = centre is not None
            while True:
                if smoothed:
                    pi = alpha * centre[0] + (1 - alpha) * pi_lp
                    mu = alpha * centre[1] + (1 - alpha) * mu_lp
                else:
                    pi, mu = pi_lp, mu_lp
                priced = pr.price(pi, mu, tol, self.clock, enough=self.enough)
                if priced is None:
                    break
                r = priced.rc_min
                lb = self.lagrangian(pi, mu, priced)
                if best is None or lb > best[0]:
                    best = (lb, pi, mu, r)
                    centre = (pi, mu)
                    if lb > self.lb:
                        self.lb = lb
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
                self.log(f"round {rounds}: budget spent during pricing")
                break
            retired = m.retire(pi_lp, mu_lp, x, keep) if m.live() > self.RETIRE_AT * keep else 0
            self.log(f"round {rounds}: LP £{z:,.2f}  LB £{self.lb:,.2f}  UB £{self.ub:,.2f}  "
                     f"+{added} cols ({m.live()} live)  priced {priced.exact_hubs} hubs"
                     + (f", {priced.dp_fallbacks} DP" if priced.dp_fallbacks else "")
                     + (f"; {retired} columns at zero with the highest reduced costs retired" if retired else ""))
            if self.proven():
                break
            if added == 0:
                lb = self.lagrangian(pi_lp, mu_lp, priced)
                self.lb = max(self.lb, lb)
                best = (lb, pi_lp, mu_lp, priced.rc_min) if best is None or lb >= best[0] else best
                if self._partition_now(rounds, z):
                    continue
                converged = True
                self.log(f"LP converged after {rounds} rounds: £{z:,.2f}")
                break
            if best is not None and best[0] >= z - 1e-6 * scale:
                # the Lagrangian bound (valid over ALL columns) meets the restricted LP value: the
                # LP is solved even though degenerate pricing still offers columns (on a 300-point
                # CPMP this stopped 40 s of rounds that could not move the LP)
                if self._partition_now(rounds, z):
                    continue
                converged = True
                self.log(f"LP converged after {rounds} rounds: £{z:,.2f} (the bound meets the LP)")
                break
            if (self.plan is not None and self.n >= self.PLANS_MIN_PRACTICES
                    and self.clock.used() > self.PLANS_AFTER * self.clock.limit
                    and self.ub - z > self.PLANS_GAP * abs(self.ub)):
                # the root will not converge in time, so the tree will never run, and a plan this
                # far above the LP is worth more work than the LP (3,038 points: 27 % above it)
                self.plans_instead = True
                self.support = np.flatnonzero(x > 1e-9).tolist()
                self.log(f"root LP not converged at {self.clock.used():.0f} of {self.clock.limit:.0f} and the "
                         f"plan is {100 * (self.ub - z) / abs(self.ub):.1f} % above it: the rest goes to plans")
                break
        self.rounds = rounds
        return converged, (best[1:] if best is not None else None)

    def _partition_now(self, rounds: int, z: float) -> bool:
        """At the covering LP's optimum: rows back to = 1, pricing goes on (True); False when
        the master already partitions. (Retiring the columns at zero here, down to the usual
        keep, made the root's first cut round on sjc402_02 re-price for 44 s instead of 2 s.)"""
        m = self.master
        if not m.cover:
            return False
        m.partition()
        self.log(f"covering LP converged after {rounds} rounds: £{z:,.2f}; practices now in exactly one column")
        return True

    # -- result ------------------------------------------------------------------------------
    def _result(self, status: Status, message: str) -> Result:
        return Result(status, None, None, None, self.clock.elapsed(), self.SOLVER_NAME,
                      self.version, self.seed, message=message)

    def _finish(self) -> Result:
        from .engine import canonical

        runtime = self.clock.elapsed()
        # a run that stopped before its proof ended on its budget: repeatable only on a work budget
        repeatable = self.proven() or self.clock.deterministic
        if self.plan is None:
            return Result(Status.ERROR, None, self.lb if np.isfinite(self.lb) else None, None, runtime,
                          self.SOLVER_NAME, self.version, self.seed,
                          message=no_plan_message(self.p, self.clock),
                          repeatable=repeatable)
        objective = self.p.cost(*self.plan)
        status, bound, g, wrong = judge(objective, self.bound() if np.isfinite(self.lb) else None)
        assignment, hubs = canonical(self.plan[0], self.plan[1], self.p.codes)
        msg = "; ".join([wrong] * bool(wrong) + [f"column generation ({getattr(self, 'rounds', 0)} rounds, "
                        f"{len(self.master.vars) if hasattr(self, 'master') else 0} columns)"] + self.notes)
        return Result(status, objective, bound, g, runtime, self.SOLVER_NAME, self.version, self.seed,
                      assignment=assignment, hubs=hubs, message=msg, repeatable=repeatable,
                      requested_gap=self.gap)
