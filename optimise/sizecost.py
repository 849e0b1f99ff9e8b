r"""The part of a federation's cost that depends only on its population: :math:`g(N)`.

With make-or-buy and risk inside the boundary model (DESIGN.md §3), a federation *S* with hub *h*
costs :math:`F + \sum_{i \in S} a_{ih} + g(w(S))`, where *g* = cheapest make-or-buy over the
service catalogue + risk. *g* has steps (a new team), kinks (a mode switch) and curvature
(:math:`\sqrt N` risk), so it is tabulated exactly at every integer population in the bounds.

**Affine minorants.** For the exact engine the domain :math:`[L, U]` is cut into segments
:math:`[a_k, b_k]` with affine :math:`\ell_k(N) = \alpha_k + \beta_k N \le g(N)` on every integer
of the segment and :math:`\max (g - \ell_k) \le \varepsilon` (``tol``). Where *g* is affine (between
team steps and mode switches) :math:`\ell_k = g` exactly. Pricing a column whose population lies
in segment *k* is then the usual window knapsack with item costs :math:`a_{ih} + \beta_k w_i`, fixed
cost :math:`F + \alpha_k` and window :math:`[a_k, b_k]`; its optimum is a lower bound on the true
reduced cost of every column in the segment (exact where :math:`\ell_k = g`), so the Lagrangian
bound stays valid, and every column enters the master at its true cost.

Segments are grown greedily: the chord through the end points, shifted down to lie under *g*;
a segment is extended (doubling, then bisection) while the spread of :math:`g - \text{chord}` stays
within ``tol``. A step of *g* larger than ``tol`` therefore always ends a segment.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# £ a column's pricing may under-estimate its true cost by; far below any proof tolerance
SEGMENT_TOLERANCE_GBP = 0.25
MAX_DOMAIN = 20_000_000   # patients between the bounds; beyond this tabulating g is refused


@dataclass(frozen=True, eq=False)
class SizeCost:
    """g(N) tabulated on the integers ``lo .. lo + len(values) - 1`` (read-only)."""

    lo: int
    values: np.ndarray
    tol: float = SEGMENT_TOLERANCE_GBP
    segments: tuple[tuple[int, int, float, float], ...] = field(init=False)

    def __post_init__(self) -> None:
        v = np.array(self.values, dtype=float, copy=True)
        if v.ndim != 1 or len(v) == 0:
            raise ValueError("SizeCost needs at least one population")
        if not np.all(np.isfinite(v)):
            raise ValueError("SizeCost values must be finite at every population in the bounds")
        v.setflags(write=False)
        object.__setattr__(self, "values", v)
        object.__setattr__(self, "segments", tuple(_segments(int(self.lo), v, float(self.tol))))

    @property
    def hi(self) -> int:
        return self.lo + len(self.values) - 1

    def __call__(self, population):
        """g at the given population(s), clamped into the tabulated range (heuristics probe
        populations outside the bounds; they are penalised there anyway)."""
        t = np.clip(np.asarray(population, dtype=np.int64) - self.lo, 0, len(self.values) - 1)
        out = self.values[t]
        return float(out) if np.ndim(out) == 0 else out

    def minimum(self) -> float:
        return float(self.values.min())

    def pieces(self, a: int, b: int, tol: float) -> list[tuple[int, int, float, float]]:
        """The affine minorants of g on [a, b] (inside the table), each at most ``tol`` under g:
        the same construction as ``segments``, finer (a pricer refines a segment with them)."""
        return _segments(int(a), self.values[int(a) - self.lo: int(b) - self.lo + 1], float(tol))

    def error(self, a: int, b: int, alpha: float, beta: float) -> float:
        """How far the affine piece alpha + beta N lies under g at worst on [a, b]."""
        N = np.arange(int(a), int(b) + 1)
        return float((self.values[int(a) - self.lo: int(b) - self.lo + 1] - (alpha + beta * N)).max())

    def max_error(self) -> float:
        N = np.arange(self.lo, self.hi + 1)
        worst = 0.0
        for a, b, alpha, beta in self.segments:
            part = self.values[a - self.lo: b - self.lo + 1] - (alpha + beta * N[a - self.lo: b - self.lo + 1])
            worst = max(worst, float(part.max()))
        return worst


def _segments(lo: int, v: np.ndarray, tol: float) -> list[tuple[int, int, float, float]]:
    m = len(v)
    out = []

    def fit(s: int, e: int) -> tuple[float, float, float]:
        """(spread, intercept at s, slope) of the chord of v[s..e] shifted under v."""
        if e == s:
            return 0.0, float(v[s]), 0.0
        slope = (v[e] - v[s]) / (e - s)
        d = v[s:e + 1] - (v[s] + slope * np.arange(e - s + 1))
        lowest = float(d.min())
        return float(d.max()) - lowest, float(v[s]) + lowest, float(slope)

    s = 0
    while s < m:
        good, step = s, 1
        while good + step < m and fit(s, good + step)[0] <= tol:
            good += step
            step *= 2
        bad = min(good + step, m)
        while bad - good > 1:
            mid = (good + bad) // 2
            if fit(s, mid)[0] <= tol:
                good = mid
            else:
                bad = mid
        _, c0, slope = fit(s, good)
        # ell(N) = c0 + slope * (N - (lo + s)); recheck against float rounding, then shift if needed
        N = np.arange(lo + s, lo + good + 1, dtype=float)
        alpha, beta = c0 - slope * (lo + s), slope
        excess = float((alpha + beta * N - v[s:good + 1]).max())
        if excess > 0:
            alpha -= excess
        out.append((lo + s, lo + good, alpha, beta))
        s = good + 1
    return out


def federation_size_cost(catalogue, lo: int, hi: int, *, shared_hub_gbp: float = 0.0,
                         max_inhouse: int | None = None, risk=None, mean_list: float | None = None) -> SizeCost:
    """g(N) = cheapest make-or-buy (``makebuy.make_or_buy_totals``) + risk (``risk.risk_costs``,
    which needs the area's ``mean_list``, ``risk.mean_practice_list``) for every population from
    ``lo`` to ``hi``. Raises ValueError when some population in range has no allowed mode for a
    service (the message names the service and the population)."""
    from .makebuy import inhouse_cost, make_or_buy_totals
    from .risk import risk_costs

    lo, hi = int(lo), int(hi)
    if hi < lo:
        raise ValueError(f"empty population range {lo:,}..{hi:,}")
    if hi - lo > MAX_DOMAIN:
        raise ValueError(f"population range {lo:,}..{hi:,} is too wide to tabulate (more than {MAX_DOMAIN:,})")
    N = np.arange(lo, hi + 1, dtype=np.int64)
    g = make_or_buy_totals(catalogue, N, shared_hub_cost=shared_hub_gbp, max_inhouse=max_inhouse)
    if not np.all(np.isfinite(g)):
        n_bad = int(N[np.flatnonzero(~np.isfinite(g))[0]])
        for s in catalogue.services:
            if "buy" not in s.allowed_modes and inhouse_cost(s, n_bad)[0] is None:
                raise ValueError(f"service {s.service} can only be made in-house, and only from "
                                 f"{s.min_population_inhouse:,.0f} patients, so a federation of {n_bad:,} "
                                 "cannot provide it")
        raise ValueError(f"no allowed mode for some service at {n_bad:,} patients")
    if risk is not None:
        if mean_list is None:
            raise ValueError("the risk term needs the area's mean practice list (mean_list)")
        g = g + risk_costs(risk, N, mean_list)
    return SizeCost(lo, g)


def population_window(bounds, list_size) -> tuple[int, int]:
    """The populations a federation may have. Hard bounds: ``[min_population, max_population]``.
    Soft bounds (``bounds.soft``, for areas where the hard range is impossible, e.g. an island):
    any population from the smallest practice's list up to twice ``max_population`` (or the
    largest practice, if bigger), with ``bound_penalty`` paid outside the range. The outer limit
    keeps the tabulated size cost finite; splitting a federation of more than twice the ceiling
    always removes its penalty."""
    if not bounds.soft:
        return int(bounds.min_population), int(bounds.max_population)
    sizes = np.asarray(list_size, dtype=np.int64)
    lo = max(1, min(int(bounds.min_population), int(sizes.min()) if sizes.size else 1))
    hi = max(2 * int(bounds.max_population), int(sizes.max()) if sizes.size else 0)
    return lo, hi


def bound_penalty(bounds, population):
    """£/yr a federation of this population pays under soft bounds: ``penalty_gbp_per_patient`` ×
    patients below ``min_population`` or above ``max_population``; 0 with hard bounds."""
    N = np.asarray(population, dtype=float)
    if not bounds.soft:
        out = np.zeros_like(N)
    else:
        outside = np.maximum(0.0, bounds.min_population - N) + np.maximum(0.0, N - bounds.max_population)
        out = bounds.penalty_gbp_per_patient * outside
    return float(out) if np.ndim(out) == 0 else out
