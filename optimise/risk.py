r"""Financial risk of carrying a capitated budget: the force that sets a federation's lower size.

A federation of *N* patients holds a budget *B* per patient. What it carries (README "Risk"):

- **random** cost: each patient's annual cost has mean *B*, coefficient of variation *c* and
  skewness :math:`\gamma` (the sourced figures — top 5 % of patients £9,789 a year, the rest £487
  — fix the mean and put *c* between 2.13 and 3.98); summed over *N* patients the deviation has
  variance :math:`N (cB)^2` and third cumulant :math:`N\gamma (cB)^3`: it pools away as
  :math:`1/\sqrt N` per patient;
- **systematic** cost: the allocation formula misjudges each member practice's need by a share
  :math:`e_j \sim (0, \sigma_p^2)`, correlated :math:`\rho` between practices (PBRA evidence: about
  a third of practices off by 10 % or more). Over the members its variance is
  :math:`(\sigma_p B)^2(\rho N^2 + (1-\rho)\sum_j n_j^2)`; it does not pool away with size.
  The engine needs a cost of *N* alone, so :math:`\sum_j n_j^2` is taken as :math:`\bar n N`
  with :math:`\bar n = \sum n^2 / \sum n` over the area's practices (the list-weighted mean list:
  the value expected for members drawn from the area), capped at :math:`N^2`;
- a **risk share** *s*: the federation keeps *s* of every deviation, the commissioner the rest.

The federation's net deviation *L* has variance
:math:`k_2 = s^2[N(cB)^2 + (\sigma_p B)^2 N^2(\rho + (1-\rho)\min(1, \bar n/N))]` and third
cumulant :math:`k_3 = s^3 N \gamma (cB)^3`; it is taken as a **translated gamma** with those
moments (the Normal is its limit as the skewness :math:`k_3/k_2^{3/2}` goes to 0, used when the
shape exceeds ``NORMAL_SHAPE``). Its 1-in-*q* shortfall :math:`V = \mathrm{VaR}_q(L)`.

Carrying it costs the cheaper of

- a **reserve** of *V* at cost of capital *r*: :math:`rV`;
- **aggregate stop-loss** attaching at *a* × expected cost (each *a* in ``stoploss_attachments``)
  for a layer of :math:`\ell BN`, priced as cover is sold: the expected claim × (1 + loading), but
  never below a minimum rate on line (× the layer) or a minimum premium, plus the reserve still
  held for the retained part: :math:`P(a) + r(V - \min((V - R)^+, U))` with
  :math:`R = (a - 1)BN`, :math:`U = \ell BN`.

Per patient both fall as *N* grows. The **minimum viable population** is the smallest *N* whose
shortfall *V* is at most ``viability_share`` of its budget *BN* (the sources' argument for the
25,000 lower bound, made explicit); with the risk share it moves as the sources say
("the extent of risk-sharing").
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from scipy import special

from fedplan.inputs.model import RiskSpec

# Above this gamma shape (skewness below 2/sqrt(1e7) ≈ 0.0006) the translated gamma and the
# Normal agree to far below a penny per federation, and scipy's inverse gamma loses precision.
NORMAL_SHAPE = 1e7
# The minimum viable population is searched up to this population; beyond it "none".
MVP_SEARCH_MAX = 20_000_000


@dataclass(frozen=True)
class RiskChoice:
    """The risk decision of one federation, for reports."""

    population: int
    mode: str                 # "reserve" | "stoploss" | "none"
    cost_gbp: float
    reserve_gbp: float        # annual cost of holding the whole reserve
    shortfall_gbp: float      # the 1-in-q shortfall V (the reserve held)
    stoploss_gbp: float       # annual cost of the cheapest cover (premium + retained reserve)
    attachment: float | None  # its attachment (× expected cost)
    premium_gbp: float


def _moments(spec: RiskSpec, N: np.ndarray, mean_list: float) -> tuple[np.ndarray, np.ndarray]:
    B, c, s = spec.budget_gbp_per_patient, spec.cv_individual, spec.risk_share
    with np.errstate(divide="ignore", invalid="ignore"):
        herf = np.where(N > 0, np.minimum(1.0, float(mean_list) / np.maximum(N, 1.0)), 1.0)
    rho, sp = spec.systematic_correlation, spec.systematic_error
    k2 = s * s * (N * (c * B) ** 2 + (sp * B * N) ** 2 * (rho + (1.0 - rho) * herf))
    k3 = s ** 3 * N * spec.skew_individual * (c * B) ** 3
    return k2, k3


class _Deviation:
    """The net deviation L: translated gamma (or Normal) with mean 0 and the given cumulants."""

    def __init__(self, k2: np.ndarray, k3: np.ndarray):
        self.sd = np.sqrt(np.maximum(k2, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            skew = np.where(self.sd > 0, k3 / np.maximum(self.sd, 1e-300) ** 3, 0.0)
            shape = np.where(skew > 0, 4.0 / np.maximum(skew, 1e-300) ** 2, np.inf)
        self.gamma = (shape < NORMAL_SHAPE) & (self.sd > 0)
        self.shape = np.where(self.gamma, shape, 1.0)
        self.scale = np.where(self.gamma, self.sd * skew / 2.0, 1.0)
        self.shift = -self.shape * self.scale

    def quantile(self, q: float) -> np.ndarray:
        normal = self.sd * NormalDist().inv_cdf(q)
        tg = self.shift + self.scale * special.gammaincinv(self.shape, q)
        return np.where(self.gamma, tg, normal)

    def excess(self, A: np.ndarray) -> np.ndarray:
        """E[(L − A)^+], never negative (a tiny difference far in the tail)."""
        A = np.asarray(A, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            d = np.where(self.sd > 0, A / np.where(self.sd > 0, self.sd, 1.0), np.inf)
            tail = 0.5 * special.erfc(d / math.sqrt(2.0))
            pdf = np.exp(-0.5 * np.minimum(d, 1e3) ** 2) / math.sqrt(2 * math.pi)
            normal = np.where(self.sd > 0, self.sd * (pdf - d * tail), 0.0)
            g = np.maximum((A - self.shift) / self.scale, 0.0)
            tg = self.scale * (self.shape * special.gammaincc(self.shape + 1.0, g)
                               - g * special.gammaincc(self.shape, g))
        return np.maximum(0.0, np.where(self.gamma, tg, normal))


def _costs(spec: RiskSpec, populations, mean_list: float):
    """(reserve cost, shortfall V, best cover cost, its attachment, its premium) per population."""
    N = np.asarray(populations, dtype=float)
    L = _Deviation(*_moments(spec, N, mean_list))
    V = np.maximum(0.0, L.quantile(spec.confidence))
    r = spec.cost_of_capital
    reserve = r * V
    budget = spec.budget_gbp_per_patient * N
    best = np.full(N.shape, np.inf)
    best_a = np.full(N.shape, np.nan)
    best_p = np.zeros(N.shape)
    U = spec.stoploss_layer * budget
    for a in spec.stoploss_attachments:
        R = (a - 1.0) * budget
        claim = np.maximum(0.0, L.excess(R) - L.excess(R + U))
        premium = np.maximum.reduce([(1.0 + spec.stoploss_loading) * claim,
                                     spec.stoploss_min_rate_on_line * U,
                                     np.full(N.shape, float(spec.stoploss_min_premium_gbp))])
        covered = np.minimum(np.maximum(V - R, 0.0), U)
        cost = premium + r * (V - covered)
        better = cost < best
        best = np.where(better, cost, best)
        best_a = np.where(better, a, best_a)
        best_p = np.where(better, premium, best_p)
    return reserve, V, best, best_a, best_p


def risk_costs(spec: RiskSpec, populations, mean_list: float) -> np.ndarray:
    """Annual £ risk cost (the cheaper of reserve and stop-loss) for each population; 0 if
    disabled. ``mean_list``: the area's list-weighted mean practice list (``mean_practice_list``)."""
    N = np.asarray(populations, dtype=float)
    if not spec.enabled:
        return np.zeros_like(N)
    reserve, _, cover, _, _ = _costs(spec, N, mean_list)
    return np.where(N > 0, np.minimum(reserve, cover), 0.0)


def risk_choice(spec: RiskSpec, population: int, mean_list: float) -> RiskChoice:
    """The risk decision for one federation, for reports."""
    reserve, V, cover, a, premium = (np.atleast_1d(x)[0] for x in _costs(spec, [population], mean_list))
    if not spec.enabled:
        return RiskChoice(int(population), "none", 0.0, float(reserve), float(V), float(cover), None, 0.0)
    if cover < reserve:
        return RiskChoice(int(population), "stoploss", float(cover), float(reserve), float(V), float(cover),
                          float(a), float(premium))
    return RiskChoice(int(population), "reserve", float(reserve), float(reserve), float(V), float(cover),
                      None if np.isnan(a) else float(a), float(premium))


def shortfall_share(spec: RiskSpec, populations, mean_list: float) -> np.ndarray:
    """The 1-in-q shortfall V as a share of the federation's budget B·N."""
    N = np.maximum(np.asarray(populations, dtype=float), 1.0)
    V = np.maximum(0.0, _Deviation(*_moments(spec, N, mean_list)).quantile(spec.confidence))
    return V / (spec.budget_gbp_per_patient * N)


def min_viable_population(spec: RiskSpec, mean_list: float) -> int | None:
    """The smallest population whose 1-in-q shortfall is at most ``viability_share`` of its budget
    (None: not reached by ``MVP_SEARCH_MAX``). The share falls as N grows (every part of the
    variance per patient² falls, and so does the skewness), so a bisection finds it."""
    def ok(n: int) -> bool:
        return float(shortfall_share(spec, [n], mean_list)[0]) <= spec.viability_share

    if ok(1):
        return 1
    if not ok(MVP_SEARCH_MAX):
        return None
    lo, hi = 1, MVP_SEARCH_MAX
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def mean_practice_list(list_size) -> float:
    """Σn² / Σn over the practices: the list of the practice an average patient belongs to, and so
    the expected Σ n_j² / N of a federation drawn from them."""
    n = np.asarray(list_size, dtype=float)
    total = float(n.sum())
    return float((n * n).sum() / total) if total > 0 else 0.0
