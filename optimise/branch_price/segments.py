"""Pricing when a federation's cost includes g(N) (``optimise.sizecost``): one exact pricer per
affine piece of g, and the choice of pricer for a problem (``make_pricer``).

g(N), the services and risk cost of a federation of N patients, is cut into segments on which it
is affine (``SizeCost.segments``, under-estimating g by at most ``sizecost.SEGMENT_TOLERANCE``).
A column of population N lies in exactly one segment, where its cost is F + alpha_k + sum of
(a_ih + beta_k w_i): a ``pricing.Pricer`` over that segment's window prices it exactly up to that
under-estimate, so the least value over segments is a valid ``rc_min``. ``RefiningPricer`` cuts the
pieces finer where a proof needs it.
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
    """Pricing when a federation's cost includes g(N) (``sizecost``): one ``Pricer`` per affine
    segment [a_k, b_k] of g, with access costs a_ih + beta_k w_i, fixed cost F + alpha_k and that
    population window. Every column lies in exactly one segment, and its segment reduced cost is a
    lower bound on its true one (equal where g is affine), so the least segment value is a valid
    ``rc_min``; columns are returned with their TRUE reduced cost, and only when it is negative.
    Segments are priced in order of their relaxation bound and skipped when it is >= 0."""

    def __init__(self, problem: FederationProblem, params: PricingParams | None = None):
        self.p = problem
        self.n = problem.n
        top = min(problem.max_population, problem.population)
        self.mode = SearchMode(problem.n, params)
        self._allowed = problem.allowed
        self.segs = [(a, min(b, top), al, be) for a, b, al, be in problem.size_cost.segments if a <= top]
        self.parts: list[Pricer] = [self._part(seg) for seg in self.segs]
        self.betas = np.array([seg[3] for seg in self.segs], np.float64)
        # per part, the exact least reduced cost at the last pricing (parts priced only)
        self.part_rc: dict[int, float] = {}

    def _part(self, seg) -> Pricer:
        a_k, b_k, alpha, beta = seg
        p = self.p
        q = Pricer(p, p.assign_cost + beta * p.list_size.astype(float)[:, None], p.hub_cost + alpha,
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

    cut_data = staticmethod(Pricer.cut_data)

    @property
    def exact_connected(self) -> bool:
        return all(q.exact_connected for q in self.parts)

    @exact_connected.setter
    def exact_connected(self, value: bool) -> None:
        for q in self.parts:
            q.exact_connected = value

    def column_rc(self, S, h: int, pi: np.ndarray, mu: float, cuts) -> float:
        return (self.p.column_cost(S, h) - float(pi[list(S)].sum()) - mu + cut_penalty(S, cuts, self.n))

    def price(self, pi: np.ndarray, mu: float, tol: float, deadline: Clock | float, keep: int = 2,
              allowed: np.ndarray | None = None, forced: np.ndarray | None = None, enough: int | None = None,
              cuts=None, heuristic: bool = False, slack: float = 0.0) -> PricingOutcome | None:
        relax = self._relaxations(pi, allowed, forced)
        hub_lb = [q.relaxation_bounds(pi, mu, allowed, forced, relax=None if relax is None else relax[k])
                  for k, q in enumerate(self.parts)]
        # a segment's floor: a lower bound, capped at 0, on every one of its columns' reduced cost
        floors = [float(min(0.0, b.min())) if len(b) else 0.0 for b in hub_lb]
        out = PricingOutcome(0.0, [])
        rc_min, rho, productive, seen = 0.0, 0.0, 0, set()
        self.part_rc = {}
        order = np.argsort(floors, kind="stable")
        for pos, k in enumerate(order):
            if floors[k] >= -slack:
                # sorted: this floor bounds every segment left (a lower bound, capped at 0)
                rc_min = min(rc_min, floors[k])
                for j in order[pos:]:
                    rho = min(rho, per_patient_bound(floors[j], self.parts[j].L))
                break
            if enough is not None and productive >= enough:
                rc_min = min(rc_min, floors[k])          # sorted: this floor bounds every segment left
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
        return compiled_kernels().relaxation_segments(np.ascontiguousarray(B.T), w, self.betas, LO, HI)

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


class RefiningPricer(SegmentedPricer):
    """A segmented pricer whose pieces of g are cut finer where it matters for a proof: after each
    pricing, every piece whose least reduced cost is below ``-slack`` and which lies more than
    ``fine`` under g somewhere is replaced by pieces at most ``fine`` under g, and pricing runs
    again. The bound then loses at most ``fine`` a column to the pieces, without pricing the
    hundreds of fine pieces a curved g would need everywhere (a 5-practice problem with a concave
    g: 1,236 pieces at a twentieth of a penny, against 82)."""

    def __init__(self, problem: FederationProblem, fine: float, params: PricingParams | None = None):
        super().__init__(problem, params)
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


def make_pricer(problem: FederationProblem, fine: float | None = None, params: PricingParams | None = None):
    """The exact pricer for this problem (segmented when federations carry a size cost; with
    ``fine``, refining its pieces of g to that tolerance where a proof needs it)."""
    if problem.size_cost is None:
        return Pricer(problem, problem.assign_cost, problem.hub_cost, params=params)
    if fine is not None:
        return RefiningPricer(problem, fine, params)
    return SegmentedPricer(problem, params)
