r"""Pricing when a federation's cost includes g(N) (``optimise.sizecost``) or the member cost
:math:`e_m N` (``optimise.membercost``): one exact pricer per part, and the choice of pricer for a
problem (``make_pricer``).

g(N), the services and risk cost of a federation of N patients, is cut into segments on which it
is affine (``SizeCost.segments``, under-estimating g by at most ``sizecost.SEGMENT_TOLERANCE``).
A column of population N lies in exactly one segment, where its cost is F + alpha_k + sum of
(a_ih + beta_k w_i): a ``pricing.Pricer`` over that segment's window prices it exactly up to that
under-estimate, so the least value over segments is a valid ``rc_min``. ``RefiningPricer`` cuts the
pieces finer where a proof needs it.

**The member cost.** A federation of *m* member practices and *N* patients also pays
:math:`e_m N`, with :math:`e` nondecreasing. The counts 1..n are cut into windows
:math:`[m_1, m_2]` (first :math:`[1,1], [2,2], [3,4], [5,8], \ldots`, the last open to *n*:
``PricingParams.member_windows``). A column whose count lies in the window pays
:math:`e_m N \ge e_{m_1} N = \sum_{i \in S} e_{m_1} w_i`, linear in the members, so it is priced by
the window knapsack with item costs :math:`a_{ih} + (\beta_k + e_{m_1}) w_i` (like a slope of g)
and the count held in :math:`[m_1, m_2]` (``pricing``, ``knapsack``). A part is one segment of g
and one count window; every column lies in exactly one part, whose value is a lower bound on its
true reduced cost, exact when :math:`e_{m_1} = e_{m_2}` (a single count, or a flat stretch of *e*).
So the least value over parts is a valid ``rc_min``, and every column is returned with its TRUE
reduced cost. **Refinement** (``SegmentedPricer.loose``): a priced part is split in two halves of
its window, and pricing runs again, when its value is below :math:`-\max(tol, slack)` while none of
its columns has a true reduced cost below :math:`-tol`, or (where its search is exact over its
columns) when its value lies below its best column's true reduced cost by more than that and g's
piece error. So at every full round each part's value is its least true reduced cost (up to g's
pieces and the tolerances) or the part is exact in its count: ``rc_min`` is the least true reduced
cost, and when no column prices out, column generation stops at the exact value. Windows only
ever split, at most n - 1 times per piece of g.
"""
from __future__ import annotations

import numpy as np

from ..bounds import per_patient_bound
from ..clock import Clock, charge, expired
from ..problem import FederationProblem
from .knapsack import SearchMode, compiled_kernels
from .params import PricingParams
from .pricing import Pricer, PricingOutcome, cut_penalty


class SegmentedPricer:
    """Pricing over parts (see the module docstring): one ``Pricer`` per segment [a_k, b_k] of g and
    count window [m1, m2] of the member cost, with access costs a_ih + (beta_k + e_m1) w_i, fixed
    cost F + alpha_k, that population window and that count window. Every column lies in exactly
    one part, and its part's reduced cost is a lower bound on its true one (equal where g is
    affine and e_m1 = e_m2), so the least part value is a valid ``rc_min``; columns are returned
    with their TRUE reduced cost, and only when it is negative. Parts are priced in order of their
    relaxation bound and skipped when it is >= 0. ``specs``: the parts to start from, each
    (segment, window) (window None without a member cost); default, g's segments times the first
    windows."""

    def __init__(self, problem: FederationProblem, params: PricingParams | None = None, specs=None):
        self.p = problem
        self.n = problem.n
        self.mode = SearchMode(problem.n, params)
        self._allowed = problem.allowed
        self.rate = None if problem.member_cost is None else problem.member_cost.rate
        self.coarse: list[bool] | None = None          # ``RefiningPricer``: pieces of g still coarse
        self.parts_connected = False                   # ``exact_connected`` as last set, for new parts
        self._errors: dict = {}                        # ``piece_error`` per piece of g
        if specs is None:
            specs = [(seg, win) for seg in self._segments() for win in self._windows(seg)]
        self.specs = list(specs)
        self.parts: list[Pricer] = [self._part(spec) for spec in self.specs]
        self.betas = np.array([self._slope(spec) for spec in self.specs], np.float64)
        # per part, the exact least reduced cost at the last pricing (parts priced only), and the
        # least TRUE reduced cost of the columns it gave (inf: none)
        self.part_rc: dict[int, float] = {}
        self.part_true: dict[int, float] = {}

    def _segments(self):
        p = self.p
        top = min(p.max_population, p.population)
        if p.size_cost is None:
            return [(p.min_population, top, 0.0, 0.0)]
        return [(a, min(b, top), al, be) for a, b, al, be in p.size_cost.segments if a <= top]

    def _windows(self, seg):
        """The first count windows of segment ``seg``: [1, 1], [2, 2], [3, 4], [5, 8], ...
        (``member_windows`` of them, the last open to n), each cut to the counts a column of the
        segment's populations can have (``count_range``; windows outside it hold no column and
        are left out); [None] without a member cost."""
        if self.rate is None:
            return [None]
        n = self.n
        least, most = self.count_range(seg[0], seg[1])
        starts = [1] + [2 ** (j - 1) + 1 for j in range(1, self.mode.params.member_windows)]
        starts = [m for m in starts if m <= n]
        wins = [(m, (starts[t + 1] - 1) if t + 1 < len(starts) else n) for t, m in enumerate(starts)]
        return [(max(m1, least), min(m2, most)) for m1, m2 in wins if max(m1, least) <= min(m2, most)]

    def count_range(self, a: int, b: int) -> tuple[int, int]:
        """The fewest and most members a federation of a..b patients can have: its m largest
        practices must reach a, its m smallest fit under b."""
        w = np.sort(self.p.list_size.astype(np.int64))
        most = int(np.searchsorted(np.cumsum(w), b, side="right"))
        least = int(np.searchsorted(np.cumsum(w[::-1]), a, side="left")) + 1
        return max(1, least), most

    def _slope(self, spec) -> float:
        (_, _, _, beta), win = spec
        return beta if win is None else beta + float(self.rate[win[0]])

    def _count_slope(self, win) -> float:
        """The largest s with e_m >= e_m1 + s (m - m1) for every count m of window [m1, m2] (the
        chord to m2 where e is concave, as the pooled incentive's is): 0 without a window."""
        if win is None or win[1] <= win[0]:
            return 0.0
        m1, m2 = win
        steps = np.arange(1, m2 - m1 + 1, dtype=float)
        return max(0.0, float(np.min((self.rate[m1 + 1:m2 + 1] - self.rate[m1]) / steps)))

    def _part(self, spec) -> Pricer:
        (a_k, b_k, alpha, _), win = spec
        p = self.p
        # e_m N >= e_m1 N + s (m - m1) N >= e_m1 N + s a_k (m - m1) on the part (m >= m1, N >= a_k):
        # s a_k on every member and -s a_k m1 on the fixed cost keep the part's value a lower bound
        # on its columns' true reduced cost, and close most of the gap of e_m1 alone
        per_member = self._count_slope(win) * max(0.0, float(a_k))
        fixed = p.hub_cost + alpha - (per_member * win[0] if win is not None else 0.0)
        q = Pricer(p, p.assign_cost + self._slope(spec) * p.list_size.astype(float)[:, None] + per_member, fixed,
                   L=a_k, U=b_k, mode=self.mode, members=win)
        q.allowed = self._allowed
        if self.parts_connected:
            # a part cut from one that searches connected sets exhaustively does so too (else its
            # bound would fall back to the value over disconnected sets)
            q.exact_connected = True
        return q

    def _replace(self, k: int, specs, coarse: list[bool] | None = None) -> None:
        """Part k replaced by parts ``specs`` (``coarse``: their flags; default, part k's)."""
        self.specs[k:k + 1] = specs
        self.parts[k:k + 1] = [self._part(spec) for spec in specs]
        if self.coarse is not None:
            self.coarse[k:k + 1] = coarse if coarse is not None else [self.coarse[k]] * len(specs)

    def loose(self, k: int, rc: float, tol: float, slack: float) -> bool:
        """Whether part k, priced at value ``rc``, is to be split: not exact in its count, and
        either negative beyond the tolerances with no column of negative TRUE reduced cost, or,
        where its search is exact over its columns (no contiguity, or the exhaustive connected
        search), below its best column's true reduced cost by more than g's piece can explain."""
        if self.exact_count(k):
            return False
        margin = max(tol, slack)
        best = self.part_true[k]
        if rc < -margin and best >= -tol:
            return True
        if self.p.adjacency is not None and not self.parts[k].exact_connected:
            return False
        return rc < min(best, 0.0) - margin - self.piece_error(k)

    def piece_error(self, k: int) -> float:
        """How far part k's piece of g lies under g at worst (0 without a size cost)."""
        if self.p.size_cost is None:
            return 0.0
        seg = self.specs[k][0]
        if seg not in self._errors:
            self._errors[seg] = self.p.size_cost.error(*seg)
        return self._errors[seg]

    def exact_count(self, k: int) -> bool:
        """Whether part k prices the member cost exactly (no window, or e flat across it)."""
        win = self.specs[k][1]
        return win is None or self.rate[win[1]] == self.rate[win[0]]

    @property
    def allowed(self) -> np.ndarray:
        return self._allowed

    @allowed.setter
    def allowed(self, value: np.ndarray) -> None:
        self._allowed = value
        for q in self.parts:
            q.allowed = value

    cut_data = staticmethod(Pricer.cut_data)

    @property
    def exact_connected(self) -> bool:
        return all(q.exact_connected for q in self.parts)

    @exact_connected.setter
    def exact_connected(self, value: bool) -> None:
        self.parts_connected = bool(value)
        for q in self.parts:
            q.exact_connected = value

    def column_rc(self, S, h: int, pi: np.ndarray, mu: float, cuts) -> float:
        return (self.p.column_cost(S, h) - float(pi[list(S)].sum()) - mu + cut_penalty(S, cuts, self.n))

    def price(self, pi: np.ndarray, mu: float, tol: float, deadline: Clock | float, keep: int = 2,
              allowed: np.ndarray | None = None, forced: np.ndarray | None = None, enough: int | None = None,
              cuts=None, heuristic: bool = False, slack: float = 0.0) -> PricingOutcome | None:
        """A pricing round over the parts; with a member cost, count windows are split and the
        round priced again until no part needs it (the module docstring)."""
        while True:
            out = self._price_parts(pi, mu, tol, deadline, keep, allowed, forced, enough, cuts, heuristic, slack)
            if out is None or heuristic or self.rate is None:
                return out
            split = [k for k, rc in self.part_rc.items() if self.loose(k, rc, tol, slack)]
            if not split:
                return out
            for k in sorted(split, reverse=True):
                seg, (m1, m2) = self.specs[k]
                mid = (m1 + m2) // 2
                self._replace(k, [(seg, (m1, mid)), (seg, (mid + 1, m2))])
            self.betas = np.array([self._slope(spec) for spec in self.specs], np.float64)

    def _price_parts(self, pi, mu, tol, deadline, keep, allowed, forced, enough, cuts, heuristic, slack):
        relax = self._relaxations(pi, allowed, forced)
        hub_lb = [q.relaxation_bounds(pi, mu, allowed, forced, relax=None if relax is None else relax[k])
                  for k, q in enumerate(self.parts)]
        # a part's floor: a lower bound, capped at 0, on every one of its columns' reduced cost
        floors = [float(min(0.0, b.min())) if len(b) else 0.0 for b in hub_lb]
        out = PricingOutcome(0.0, [])
        rc_min, rho, productive, seen = 0.0, 0.0, 0, set()
        self.part_rc = {}
        self.part_true = {}
        order = np.argsort(floors, kind="stable")
        for pos, k in enumerate(order):
            if floors[k] >= -slack:
                # sorted: this floor bounds every part left (a lower bound, capped at 0)
                rc_min = min(rc_min, floors[k])
                for j in order[pos:]:
                    rho = min(rho, per_patient_bound(floors[j], self.parts[j].L))
                break
            if enough is not None and productive >= enough:
                rc_min = min(rc_min, floors[k])          # sorted: this floor bounds every part left
                for j in order[pos:]:
                    rho = min(rho, per_patient_bound(floors[j], self.parts[j].L))
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
            least = np.inf
            for S, h, _ in got.columns:
                rc = self.column_rc(S, h, pi, mu, cuts)
                least = min(least, rc)
                if rc < -tol and (S, h) not in seen:
                    seen.add((S, h))
                    out.columns.append((S, h, rc))
                    hubs.add(h)
            self.part_true[int(k)] = least
            productive += len(hubs)
        out.rc_min = -np.inf if heuristic else rc_min
        out.rho = -np.inf if heuristic else rho
        # a hub's columns may fall in any part: its bound is the least over parts (each part's
        # exact values where it was priced)
        out.hub_rc = None if heuristic or not hub_lb else np.min(hub_lb, axis=0)
        return out

    def _relaxations(self, pi: np.ndarray, allowed: np.ndarray | None, forced: np.ndarray | None):
        """Every part's relaxation values (parts x hubs) in one compiled pass, or None on small
        problems (which run without the compiled module)."""
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
        return compiled_kernels().relaxation_segments(np.ascontiguousarray(B.T), w, self.betas, LO, HI)

    def fixable(self, pi: np.ndarray, mu: float, delta: float) -> np.ndarray:
        keep = np.zeros((self.n, self.n), bool)
        for q in self.parts:
            keep |= q.fixable(pi, mu, delta)
        return keep

    def enumerate(self, pi: np.ndarray, mu: float, delta: float, limit: int, deadline: Clock | float,
                  allowed: np.ndarray | None = None, forced: np.ndarray | None = None, cuts=None):
        """Every column whose reduced cost is below ``delta`` (``Pricer.enumerate``): each part
        lists those whose part reduced cost is, a superset, since that is a lower bound on the
        true one. With a member cost the part's value can lie far below, so the list is cut to the
        columns whose TRUE reduced cost is below ``delta``."""
        found: dict[tuple[int, ...], tuple[int, float]] = {}
        for q in self.parts:
            got = q.enumerate(pi, mu, delta, limit - len(found), deadline, allowed=allowed, forced=forced,
                              cuts=cuts)
            if got is None:
                return None
            for S, (h, _) in got.items():
                # a member set has one population and one count: one part
                cost = self.p.column_cost(S, h)
                if self.rate is not None and self.column_rc(S, h, pi, mu, cuts) >= delta:
                    continue
                found[S] = (h, cost)
            if len(found) > limit:
                return None
        return found


class RefiningPricer(SegmentedPricer):
    """A segmented pricer whose pieces of g are cut finer where it matters for a proof: after each
    pricing, every piece whose least reduced cost is below ``-slack`` and which lies more than
    ``fine`` under g somewhere is replaced by pieces at most ``fine`` under g, and pricing runs
    again. The bound then loses at most ``fine`` a column to the pieces, without pricing the
    hundreds of fine pieces a curved g would need everywhere (a 5-practice problem with a concave
    g: 1,236 pieces at a twentieth of a penny, against 82)."""

    def __init__(self, problem: FederationProblem, fine: float, params: PricingParams | None = None, specs=None):
        super().__init__(problem, params, specs)
        self.fine = float(fine)
        g = problem.size_cost
        self.coarse = [g.error(*seg) > self.fine for seg, _ in self.specs]

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
                (a, b, _, _), win = self.specs[k]
                finer = self.p.size_cost.pieces(a, b, self.fine)
                self._replace(k, [(seg, win) for seg in finer], [False] * len(finer))
            self.betas = np.array([self._slope(spec) for spec in self.specs], np.float64)


def make_pricer(problem: FederationProblem, fine: float | None = None, params: PricingParams | None = None,
                specs=None):
    """The exact pricer for this problem (over parts when federations carry a size cost or a member
    cost; with ``fine`` and a size cost, refining its pieces of g to that tolerance where a proof
    needs it). ``specs``: the parts to start from (another pricer's ``specs``, windows already
    refined)."""
    if problem.size_cost is None and problem.member_cost is None:
        return Pricer(problem, problem.assign_cost, problem.hub_cost, params=params)
    if fine is not None and problem.size_cost is not None:
        return RefiningPricer(problem, fine, params, specs)
    return SegmentedPricer(problem, params, specs)
