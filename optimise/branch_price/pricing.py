r"""Exact pricing: the least reduced cost over every column of one population window, and the
negative columns, hub by hub.

**Pricing (exact).** :math:`\min_c \bar c_c` splits by hub: with profits
:math:`p_i = \pi_i - a_{ih}`, :math:`\bar c = F - \mu - p_h - \max \sum_{i \ne h} p_i z_i` subject to
:math:`L - w_h \le \sum w_i z_i \le U - w_h`, :math:`z_i = 0` where ``allowed[i, h]`` is False — a 0-1
knapsack with a lower bound on the weight (``knapsack``). Its LP relaxation is an upper bound on
the profit. It prunes whole hubs and individual items (an item is dropped when *its* profit plus
the relaxation of the rest cannot reach a negative reduced cost). The surviving knapsack is solved
exactly, so *r* is exact, and pruned hubs contribute >= 0; the search's own float slack is taken
off every reduced cost reported as a bound.

**A count window** (the member cost, ``segments``): a pricer made with ``members=(m1, m2)`` prices
only the columns of m1 to m2 member practices. The fixed members (hub, forced members, their
together-partners) count first; each item counts its practices, and the knapsack keeps the count of
the items it takes in :math:`[m_1 - |\text{fixed}|, m_2 - |\text{fixed}|]` (``knapsack``). The
relaxations (hub and item pruning, ``fixable``) ignore the counts: upper bounds still.

Branching rules arrive as an ``allowed`` mask and ``forced`` members per hub (folded into the hub:
their weight shifts the window, their profit lowers the threshold); together-groups become single
items and apart pairs conflicts; subset-row cut duals become penalties (``cut_data``); contiguity
filters the columns (the bound comes from the unconstrained value, so it stays valid).
``Pricer.enumerate`` lists every column below a reduced-cost window (``bounds.enumeration_window``)
and ``Pricer.fixable`` the practice-hub pairs that can still be in one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..bounds import per_patient_bound
from ..clock import Clock, charge, expired
from ..problem import FederationProblem
from .knapsack import Knapsack, SearchMode, compiled_kernels, knapsack_dp, relaxation_all_hubs
from .params import PricingParams


class Singles:
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
class PricingOutcome:
    """What one pricing round found: the bound data (``bounds.lagrangian_bound`` reads ``rc_min``,
    ``rho`` and ``hub_rc``) and the negative columns."""

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


class Pricer:
    """Exact pricing of the columns of one population window (see the module docstring)."""

    def __init__(self, problem: FederationProblem, a: np.ndarray, F: float, L: int | None = None,
                 U: int | None = None, mode: SearchMode | None = None, params: PricingParams | None = None,
                 members: tuple[int, int] | None = None):
        """Columns cost ``F + sum a[S, h]`` with population in [L, U] (default: the problem's) and,
        with ``members``, between members[0] and members[1] member practices (default: any);
        ``segments.SegmentedPricer`` runs one such pricer per affine segment of the size cost and
        count window of the member cost, all sharing one ``mode`` (which carries the run's
        ``params``)."""
        self.members = None if members is None else (int(members[0]), int(members[1]))
        self.n = problem.n
        self.mode = SearchMode(problem.n, params) if mode is None else mode
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
        relaxation values per hub, when the caller computed them (``SegmentedPricer`` does so
        for all segments at once)."""
        if relax is None:
            P, lo, hi, need, hub_ok = self._setup(pi, mu, allowed, forced)
            relax = relaxation_all_hubs(P, self.w, lo, hi, self.mode.compiled)
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
            item_members = Singles(items)
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
            if isinstance(item_members, Singles):
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
        items = self.candidate_items(P[:, h], h, need[h], lo, hi)
        if items is None:
            return None
        view = self._hub_view(h, P[:, h], items, lo[h], hi[h], need[h], forced, cuts)
        if view is None:
            return None
        ip, iw, members_of, base, lo_h, hi_h, _, kcuts, conflicts = view
        counts = self.item_counts(members_of, base)
        if counts is not None and counts[1] < max(counts[0], 0):
            return None                  # the fixed members alone leave the window, or nothing can fill it
        rule = None
        if self.problem.adjacency is not None:
            connected = self.problem.connected
            rule = lambda chosen: connected(self._column(base, members_of, chosen))  # noqa: E731
        kw = {} if counts is None else {"counts": counts[2], "count_lo": counts[0], "count_hi": counts[1]}
        return Knapsack(ip, iw, np.arange(len(ip)), lo_h, hi_h, cuts=kcuts, conflicts=conflicts,
                         compiled=self.mode.compiled, rule=rule, mode=self.mode, **kw), view

    def item_counts(self, members_of, base):
        """(least, most, per item) practices the items must add to the fixed members ``base`` to
        land in the count window (the most capped at what the items hold); None without one."""
        if self.members is None:
            return None
        if isinstance(members_of, Singles):
            per_item = np.ones(len(members_of), np.int64)
        else:
            per_item = np.array([len(ms) for ms in members_of], np.int64)
        most = min(self.members[1] - len(base), int(per_item.sum()))
        return self.members[0] - len(base), most, per_item

    # True: under contiguity, search connected sets exhaustively (``long_search_nodes`` per hub) and
    # bound by that value when the search completes (phase 1 uses it to prove infeasibility)
    exact_connected = False

    def _connected_only(self, ks: "Knapsack", view, need_h: float, sols, keep: int, node_limit: int):
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
        return self.F + float(self.a[list(S), h].sum()) - float(pi[list(S)].sum()) - mu + cut_penalty(S, cuts, self.n)

    def price(self, pi: np.ndarray, mu: float, tol: float, deadline: Clock | float,
              keep: int = 2, allowed: np.ndarray | None = None,
              forced: np.ndarray | None = None, enough: int | None = None,
              cuts=None, heuristic: bool = False, relax: np.ndarray | None = None,
              slack: float = 0.0) -> PricingOutcome | None:
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
            relax = relaxation_all_hubs(P, self.w, lo, hi, self.mode.compiled)
        rc_lb = np.where(hub_ok, need - relax, np.inf)
        rc_min = 0.0
        cols: list[tuple[tuple[int, ...], int, float]] = []
        out = PricingOutcome(0.0, cols)
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
                _, sols, _ = ks.best(need_h, node_limit=self.mode.params.quick_nodes, keep=keep)
                if ks.rule is not None:
                    sols = self._connected_only(ks, made[1], need_h, sols, keep, self.mode.params.connected_nodes)
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
                value, sols, exact = ks.best(need_h, node_limit=self.mode.params.long_search_nodes, keep=keep)
            if not exact:
                # the DP ignores penalties and conflicts (and a count window too big for its table):
                # its value bounds the true profit from above; its set becomes a column only if it
                # is valid, with its true reduced cost
                out.dp_fallbacks += 1
                counts = self.item_counts(members_of, base)
                got = (knapsack_dp(ip, iw, np.arange(len(ip)), lo_h, hi_h) if counts is None else
                       knapsack_dp(ip, iw, np.arange(len(ip)), lo_h, hi_h, counts[2], counts[0], counts[1]))
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
                    c_value, c_sols, c_exact = ks.best(need_h, node_limit=self.mode.params.long_search_nodes, keep=keep)
                finally:
                    ks.accept = None
                if c_exact:                  # exact over connected sets: the tighter valid value
                    value = need_h if c_value is None else c_value
                sols = c_sols
            # the search may miss the maximum by up to ks.tol: the bound takes that off
            rc_min = min(rc_min, float(need_h - value) - ks.tol)
            hub_rc[h] = max(hub_rc[h], float(need_h - value) - ks.tol)
            if ks.rule is not None and not self.exact_connected:
                sols = self._connected_only(ks, made[1], need_h, sols, keep, self.mode.params.connected_nodes)
            before = len(cols)
            for prof, chosen in sols:
                rc = float(need_h - prof)
                if rc < -tol:
                    cols.append((self._column(base, members_of, chosen), int(h), rc))
            productive += len(cols) > before
        out.rc_min = -np.inf if heuristic else rc_min
        out.rho = -np.inf if heuristic else per_patient_bound(rc_min, self.L)
        out.hub_rc = None if heuristic else hub_rc
        return out

    def candidate_items(self, ph, h, need, lo_all, hi_all):
        """Items that can belong to a column of hub h with profit > need (relaxation test);
        None when no column of hub h can reach it."""
        lo_h, hi_h = float(lo_all[h]), float(hi_all[h])
        if self.mode.compiled and compiled_kernels():
            items, count = compiled_kernels().filter_items(ph, self.w, lo_h, hi_h, float(need))
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
        relax = relaxation_all_hubs(P, self.w, lo, hi, self.mode.compiled)
        keep = np.zeros((n, n), bool)
        for h in range(n):
            if not hub_ok[h] or relax[h] < need[h] - 1e-9 * (1 + abs(need[h])):
                continue
            items = self.candidate_items(P[:, h], h, need[h], lo, hi)
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
        relax = relaxation_all_hubs(P, w, lo, hi, self.mode.compiled)
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


def cut_penalty(S, cuts, n: int) -> float:
    """The subset-row penalty member set ``S`` pays under ``cuts`` (``Pricer.cut_data``)."""
    if cuts is None:
        return 0.0
    R, pen = cuts[0], cuts[1]
    inside = np.zeros(n, bool)
    inside[list(S)] = True
    return float(pen[inside[R].sum(axis=1) >= 2].sum())
