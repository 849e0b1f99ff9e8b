r"""The pricing knapsack: profit maximised over a two-sided weight window, exactly.

For one hub, pricing (``pricing``) asks for the subset of candidate practices (items, each with a
profit and a list size as weight) of greatest profit whose weight lies in [lo, hi]. Its LP
relaxation (greedy by ratio :math:`p_i/w_i`: the value as a function of the total weight *W* is
concave piecewise linear, so the relaxation is that curve at *W* clamped into the window) is an
upper bound on the profit; ``relaxation_all_hubs`` computes it for every hub at once. The
knapsack is solved exactly by depth-first branch and bound with the same relaxation as bound
(``Knapsack.best``; list sizes are integers; a node limit hands over to an exact dynamic programme
over the integer weight, ``knapsack_dp``), and ``Knapsack.enumerate`` lists every subset above a
floor. Subset-row penalties and apart-pair conflicts are followed by the search and ignored by the
relaxation (they only lower profit, so it stays an upper bound).

**Counted items** (the member cost, ``segments``): each item may carry a count (the practices it
adds) and the chosen counts must sum into a window :math:`[c_{lo}, c_{hi}]`. The search never takes
an item past :math:`c_{hi}`, records a subset only inside the window, and prunes a node whose
remaining counts cannot reach :math:`c_{lo}`, or whose :math:`r` free places, each worth at most the
largest profit left, :math:`r \max(0, \max_{j \ge k} p_j)`, cannot beat the incumbent (at most
*r* more items fit, each of count >= 1). The weight relaxation ignores the counts, so it stays an
upper bound. The dynamic programme then runs over (count, weight) when that table is small enough
(``DP_COUNT_CELLS``); otherwise it ignores the counts and its value is only an upper bound.

The search is compiled with numba (``knapsack_jit``: same nodes in the same order, so the same
answers) when numba is importable, and runs in Python otherwise. So is each hub's set-up (the item
filter, the ratio sort with prefix sums, the cut lists): at about 100 hubs a pricing round it had
cost three times the search itself (on a 200-point CPMP a round took 13.8 ms, now 5.6). Problems
under ``PricingParams.jit_min_practices`` practices start in Python and switch after
``PricingParams.py_node_budget`` search nodes (``SearchMode``), so a quick 100-point CPMP never
pays the compiled module's load time while Devon-size runs get the compiled speed.
"""
from __future__ import annotations

import bisect
import sys

import numpy as np

from ..clock import charge
from .params import PricingParams


class SearchMode:
    """Which knapsack search the pricers of one run use, shared by all of them: compiled from the
    start on big problems, or Python until ``params.py_node_budget`` nodes. Nodes are counted, not
    seconds, so a work-limited run switches at the same point every time. It carries the run's
    ``PricingParams`` to every pricer and knapsack that shares it."""

    __slots__ = ("compiled", "py_nodes", "params")

    def __init__(self, n: int, params: PricingParams | None = None):
        self.params = PricingParams() if params is None else params
        self.compiled = n >= self.params.jit_min_practices and compiled_kernels() is not None
        self.py_nodes = 0

    def count(self, nodes: int) -> None:
        self.py_nodes += nodes
        if not self.compiled and self.py_nodes > self.params.py_node_budget and compiled_kernels() is not None:
            self.compiled = True


def compiled_kernels():
    """The compiled search module, imported on first need (numba's import and cache load take
    about 0.6 s, more than small instances spend pricing); None without numba."""
    global _JIT
    if _JIT is None:
        try:
            from . import knapsack_jit as module
            _JIT = module if module.AVAILABLE else False
        except ImportError:  # pragma: no cover
            _JIT = False
    return _JIT or None


_JIT = None


class Knapsack:
    """Items sorted by profit/weight ratio, with the prefix sums the relaxation needs.

    Profit of a subset is maximised subject to lo <= weight <= hi. Items of zero weight and
    non-positive profit never help the maximum; they are kept last (for enumeration) and left out
    of the relaxation curve (which stays an upper bound without them).
    """

    __slots__ = ("p", "w", "idx", "ratio", "cumW", "cumP", "m", "m_curve", "npos", "lo", "hi", "tol",
                 "icuts", "pen", "base", "conf", "_order", "_arrays", "_sorted", "_cut_csr", "accept", "rule",
                 "mode", "counted", "clo", "chi", "_counts")

    def __init__(self, p: np.ndarray, w: np.ndarray, idx: np.ndarray, lo: int, hi: int, cuts=None,
                 conflicts=None, compiled: bool = True, accept=None, rule=None,
                 mode: "SearchMode | None" = None, counts=None, count_lo: int = 0, count_hi: int | None = None):
        """``cuts`` = (cut ids per item, penalty per cut, count per cut already in the column):
        a column pays a cut's penalty once it holds two of the cut's three practices (subset-row
        cuts). The cut ids per item are a list of lists, or (owner per item, pointer, ids) arrays:
        item k's cut ids are ids[ptr[o]:ptr[o + 1]], o = owner[k] (the pricer passes each item's
        practice and the per-practice lists). Penalties only lower a subset's profit, so the relaxation
        without them stays an upper bound and the search stays exact. ``conflicts[k]`` lists the
        items (input positions) that may not be taken together with item k (apart pairs); the
        relaxation ignores them too.

        ``counts`` (one int >= 1 per item, with ``count_lo``/``count_hi``): the chosen counts must
        sum into [count_lo, count_hi] (the module docstring); None: no such rule.

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
                owner, (cut_ptr, cut_ids) = np.arange(len(p), dtype=np.int64), csr(item_cuts)
        jit = compiled_kernels() if compiled else None
        if jit is not None:
            order, rs, cumW, cumP, m_curve, npos, sptr, sids = jit.prepare(p, w, np.asarray(owner, np.int64),
                                                                          np.asarray(cut_ptr, np.int64),
                                                                          np.asarray(cut_ids, np.int64))
        else:
            order, rs, cumW, cumP, m_curve, npos, sptr, sids = prepare_numpy(p, w, owner, cut_ptr, cut_ids)
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
        self.counted = counts is not None
        self.clo, self.chi, self._counts = 0, 0, None
        if self.counted:
            cs = np.asarray(counts, np.int64)[order]
            self.clo = int(count_lo)
            self.chi = int(cs.sum()) if count_hi is None else int(count_hi)
            # per position k: the counts left from k on, and the largest profit left (>= 0)
            suf = np.zeros(self.m + 1, np.int64)
            suf[:-1] = np.cumsum(cs[::-1])[::-1]
            top = np.zeros(self.m + 1, np.float64)
            if self.m:
                top[:-1] = np.maximum.accumulate(np.maximum(ps, 0.0)[::-1])[::-1]
            self._counts = (cs, suf, top)

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

    def _count_lists(self):
        """(counts, counts left, largest profit left) as lists, for the Python search."""
        if not self.counted:
            return None, None, None
        cs, suf, top = self._counts
        return cs.tolist(), suf.tolist(), top.tolist()

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
        _jit = compiled_kernels()
        p, w, ratio, idx, cumW, cumP = self._sorted
        m = self.m
        if self._cut_csr is not None:
            cut_ptr, cut_idx = self._cut_csr
            pen, cnt0 = self.pen, self.base
        else:
            cut_ptr, cut_idx = np.zeros(m + 1, np.int64), np.zeros(0, np.int64)
            pen, cnt0 = np.zeros(0), np.zeros(0, np.int64)
        if self.conf is not None:
            conf_ptr, conf_idx = csr(self.conf)
        else:
            conf_ptr, conf_idx = np.zeros(m + 1, np.int64), np.zeros(0, np.int64)
        if self.counted:
            cs, suf, top = self._counts
        else:
            cs, suf, top = _NO_COUNTS
        status, prof, flat, off, nodes = _jit._search(
            mode, p, w, ratio, cumW, cumP, self.m_curve, self.npos, self.lo, self.hi, self.tol, float(floor),
            int(node_limit), int(keep), int(limit), self._cut_csr is not None, cut_ptr, cut_idx, pen, cnt0,
            self.conf is not None, conf_ptr, conf_idx, self.counted, cs, suf, top, self.clo, self.chi)
        charge("knapsack_node", nodes)
        items = idx[flat].tolist()
        found = [(float(prof[r]), items[off[r]:off[r + 1]]) for r in range(len(prof))]
        return bool(status), found

    def _params(self) -> PricingParams:
        """The node limits: the run's (through ``mode``), or the defaults."""
        return self.mode.params if self.mode is not None else _DEFAULT

    @property
    def runs_compiled(self) -> bool:
        return self._arrays is not None and self.accept is None

    def best(self, floor: float, node_limit: int | None = None, keep: int = 3):
        """Subsets with profit > floor: the best one (exact) and up to ``keep`` incumbents found on
        the way, best last. Returns (best profit or None, [(profit, items)...], exact flag)."""
        if self.runs_compiled:
            node_limit = self._params().node_limit_compiled if node_limit is None else node_limit
            exact, found = self._jit_search(0, floor, node_limit, keep, 0)
            if not found:
                return None, [], exact
            return found[-1][0], found[-keep:], exact
        node_limit = self._params().node_limit if node_limit is None else node_limit
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
        counted, clo, chi = self.counted, self.clo, self.chi
        cs, suf, top = self._count_lists()

        def dfs(k: int, cw: int, cp: float, cc: int) -> bool:
            state["nodes"] += 1
            if state["nodes"] > node_limit:
                return False
            if k >= m or cp + self.bound(k, cw) <= state["best"] + tol:
                return True
            # no place left (the subset was judged when its last item was taken), too few counts
            # left, or the places left cannot pay for an improvement
            if counted and (cc >= chi or cc + suf[k] < clo or cp + (chi - cc) * top[k] <= state["best"] + tol):
                return True
            wk = w[k]
            ck = conf[k] if conf is not None and not blocked[k] else None
            if cw + wk <= hi and (conf is None or not blocked[k]) and (not counted or cc + cs[k] <= chi):
                if ck:
                    for c in ck:
                        blocked[c] += 1
                stack.append(k)
                ic = cuts and self.icuts[k]
                ncp, ncw = cp + p[k] - (self._take(k, cnt) if ic else 0.0), cw + wk
                ncc = cc + cs[k] if counted else 0
                if (ncw >= lo and ncp > state["best"] + tol and (not counted or ncc >= clo)
                        and (accept is None or accept([self.idx[j] for j in stack]))):
                    state["best"] = ncp
                    found.append((ncp, [self.idx[j] for j in stack]))
                ok = dfs(k + 1, ncw, ncp, ncc)
                stack.pop()
                if ic:
                    self._drop(k, cnt)
                if ck:
                    for c in ck:
                        blocked[c] -= 1
                if not ok:
                    return False
            return dfs(k + 1, cw, cp, cc)

        if lo <= 0 <= hi and clo <= 0 and 0.0 > floor + tol and (accept is None or accept([])):
            state["best"] = 0.0
            found.append((0.0, []))
        limit = sys.getrecursionlimit()
        if m + 50 > limit:
            sys.setrecursionlimit(m + 100)
        exact = dfs(0, 0, 0.0, 0)
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
        counted, clo, chi = self.counted, self.clo, self.chi
        cs, suf, top = self._count_lists()

        nodes = [0]

        def dfs(k: int, cw: int, cp: float, cc: int) -> bool:
            nodes[0] += 1
            if k >= m or cp + self.bound(k, cw) < floor - tol:
                return True
            if counted and (cc >= chi or cc + suf[k] < clo or cp + (chi - cc) * top[k] < floor - tol):
                return True
            wk = w[k]
            ck = conf[k] if conf is not None and not blocked[k] else None
            if cw + wk <= hi and (conf is None or not blocked[k]) and (not counted or cc + cs[k] <= chi):
                if ck:
                    for c in ck:
                        blocked[c] += 1
                stack.append(k)
                ic = cuts and self.icuts[k]
                ncp, ncw = cp + p[k] - (self._take(k, cnt) if ic else 0.0), cw + wk
                ncc = cc + cs[k] if counted else 0
                if (ncw >= lo and ncp >= floor - tol and (not counted or ncc >= clo)
                        and (accept is None or accept([self.idx[j] for j in stack]))):
                    out.append((ncp, [self.idx[j] for j in stack]))
                    if len(out) > limit:
                        return False
                ok = dfs(k + 1, ncw, ncp, ncc)
                stack.pop()
                if ic:
                    self._drop(k, cnt)
                if ck:
                    for c in ck:
                        blocked[c] -= 1
                if not ok:
                    return False
            return dfs(k + 1, cw, cp, cc)

        if lo <= 0 <= hi and clo <= 0 and 0.0 >= floor - tol and (accept is None or accept([])):
            out.append((0.0, []))
        if m + 50 > sys.getrecursionlimit():
            sys.setrecursionlimit(m + 100)
        complete = dfs(0, 0, 0.0, 0)
        charge("knapsack_node_py", nodes[0])
        if self.mode is not None:
            self.mode.count(nodes[0])
        return out if complete else None


def prepare_numpy(p, w, owner, cut_ptr, cut_ids):
    """``knapsack_jit.prepare`` without numba (same order: a stable sort by ratio)."""
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


def csr(lists) -> tuple[np.ndarray, np.ndarray]:
    """(pointer, ids) of per-item lists of ints (None or empty for none)."""
    lens = np.fromiter((len(x) if x else 0 for x in lists), dtype=np.int64, count=len(lists))
    ptr = np.zeros(len(lists) + 1, np.int64)
    np.cumsum(lens, out=ptr[1:])
    ids = np.fromiter((c for x in lists if x for c in x), dtype=np.int64, count=int(ptr[-1]))
    return ptr, ids


# the (item, count, weight) cells beyond which the dynamic programme ignores counts (its value is
# then only an upper bound): 3e7 booleans of choices, as much memory as a 30,000-patient window of
# a thousand items without counts
DP_COUNT_CELLS = 30_000_000


def knapsack_dp(p: np.ndarray, w: np.ndarray, idx: np.ndarray, lo: int, hi: int, counts=None,
                count_lo: int = 0, count_hi: int | None = None):
    """Max profit subset with lo <= weight <= hi by DP over integer weight (fallback): (value,
    chosen) or None. With ``counts`` (as ``Knapsack``) the counts must sum into [count_lo,
    count_hi] too: exact over (count, weight) when the table has at most ``DP_COUNT_CELLS`` cells,
    else the counts are ignored and the value is an upper bound (the set need not obey them)."""
    if counts is not None:
        counts = np.asarray(counts, np.int64)
        c_hi = int(counts.sum()) if count_hi is None else min(int(counts.sum()), int(count_hi))
        if c_hi < max(int(count_lo), 0):
            return None
        cap = int(min(hi, np.asarray(w).sum()))
        if len(p) * (c_hi + 1) * (max(cap, 0) + 1) <= DP_COUNT_CELLS:
            return _dp_counted(np.asarray(p, float), np.asarray(w, np.int64), np.asarray(idx), int(lo), cap,
                               counts, int(count_lo), c_hi)
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


def _dp_counted(p, w, idx, lo: int, cap: int, counts, c_lo: int, c_hi: int):
    """``knapsack_dp`` over (count, weight): best[c, W] the most profit of items of counts summing
    to c and weights to W (every item kept: a count floor may need items of no profit)."""
    lo = max(0, lo)
    if cap < lo or c_hi < max(c_lo, 0):
        return None
    best = np.full((c_hi + 1, cap + 1), -np.inf)
    best[0, 0] = 0.0
    take = np.zeros((len(p), c_hi + 1, cap + 1), dtype=bool)
    charge("dp_cell", len(p) * (c_hi + 1) * (cap + 1))
    for k in range(len(p)):
        ck, wk = int(counts[k]), int(w[k])
        if ck > c_hi or wk > cap:
            continue
        cand = best[:c_hi + 1 - ck, :cap + 1 - wk] + p[k]
        better = cand > best[ck:, wk:]
        best[ck:, wk:] = np.where(better, cand, best[ck:, wk:])
        take[k, ck:, wk:] = better
    window = best[max(c_lo, 0):, lo:]
    if not np.isfinite(window).any():
        return None
    c, W = np.unravel_index(int(np.argmax(window)), window.shape)
    c, W = int(c) + max(c_lo, 0), int(W) + lo
    value = float(best[c, W])
    chosen = []
    for k in range(len(p) - 1, -1, -1):
        if take[k, c, W]:
            chosen.append(int(idx[k]))
            c -= int(counts[k])
            W -= int(w[k])
    return value, chosen


# --------------------------------------------------------------------------------------------------
# The relaxation for every hub at once
# --------------------------------------------------------------------------------------------------

def relaxation_all_hubs(P: np.ndarray, w: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                         compiled: bool = False) -> np.ndarray:
    """For every hub h (column h of P; -inf marks a non-item), the LP-relaxation bound of
    max sum_i P[i,h] z_i  s.t.  lo_h <= sum_i w_i z_i <= hi_h, 0 <= z <= 1 (vectorised).

    The relaxation's value as a function of the total weight W is the greedy-by-ratio curve,
    concave, rising while ratios are positive; its maximum over the window is at W* (the weight
    of the positive-ratio items) clamped into the window. -inf when the window is unreachable."""
    charge("relaxation", P.size)
    if compiled and compiled_kernels():
        # one segment with no shift; the kernel reads each hub's items from a row
        return compiled_kernels().relaxation_segments(np.ascontiguousarray(P.T), w.astype(np.float64), np.zeros(1),
                                               np.asarray(lo, np.float64)[None, :],
                                               np.asarray(hi, np.float64)[None, :])[0]
    return relaxation_numpy(P, w, lo, hi)


def relaxation_numpy(P: np.ndarray, w: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
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


_DEFAULT = PricingParams()
# the kernel's count arguments when items are not counted (never read then)
_NO_COUNTS = (np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(1, np.float64))
