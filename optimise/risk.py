r"""Financial risk of carrying a capitated budget (DESIGN.md §3, term 3).

A federation of *N* patients with budget *B* per patient has annual cost with mean :math:`BN` and
standard deviation

.. math::  s(N) = B\sqrt{c_i^2 N + c_s^2 N^2}

(*c_i*: per-patient coefficient of variation, pooled away as :math:`1/\sqrt N`; *c_s*: a systematic
part that pooling cannot remove). It can

- hold a reserve :math:`z\,s(N)` (*z* for the confidence level) at cost of capital *r* a year:
  :math:`r z s(N)`; or
- buy aggregate stop-loss cover attaching at :math:`A = a B N`, priced as the expected excess
  over *A* × (1 + loading). With cost ~ Normal(BN, s²) and :math:`d = (A - BN)/s`,
  :math:`E[(X - A)^+] = s\,(\varphi(d) - d\,(1 - \Phi(d)))`.

It takes the cheaper. Per patient, both shrink as *N* grows: that is the lower-bound argument for
federation size made explicit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from fedplan.inputs.model import RiskSpec

_SQRT2PI = math.sqrt(2 * math.pi)


@dataclass(frozen=True)
class RiskChoice:
    population: int
    mode: str                 # "reserve" | "stoploss" | "none"
    cost_gbp: float
    reserve_gbp: float        # annual cost of holding the reserve
    reserve_held_gbp: float   # the reserve itself (z·sd)
    stoploss_gbp: float


def _parts(spec: RiskSpec, populations) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    N = np.asarray(populations, dtype=float)
    B = spec.budget_gbp_per_patient
    sd = B * np.sqrt(spec.cv_individual ** 2 * N + spec.cv_systematic ** 2 * N ** 2)
    z = NormalDist().inv_cdf(spec.confidence)
    held = z * sd
    reserve = spec.cost_of_capital * held
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(sd > 0, (spec.stoploss_attachment - 1.0) * B * N / np.where(sd > 0, sd, 1.0), np.inf)
    tail = 0.5 * np.vectorize(math.erfc, otypes=[float])(d / math.sqrt(2.0))
    pdf = np.exp(-0.5 * np.minimum(d, 1e3) ** 2) / _SQRT2PI
    # the bracket is a tiny difference of tiny numbers far in the tail: never let rounding make it negative
    # (an empty federation, N = 0, has d = inf and tail = 0: its NaN is discarded by the where)
    with np.errstate(invalid="ignore"):
        excess = np.where(sd > 0, sd * np.maximum(0.0, pdf - d * tail), 0.0)
    stoploss = (1.0 + spec.stoploss_loading) * excess
    return reserve, held, stoploss


def risk_costs(spec: RiskSpec, populations) -> np.ndarray:
    """Annual £ risk cost (the cheaper of reserve and stop-loss) for each population; 0 if disabled."""
    N = np.asarray(populations, dtype=float)
    if not spec.enabled:
        return np.zeros_like(N)
    reserve, _, stoploss = _parts(spec, N)
    return np.minimum(reserve, stoploss)


def risk_choice(spec: RiskSpec, population: int) -> RiskChoice:
    """The risk decision for one federation, for reports."""
    reserve, held, stoploss = (float(x[0]) for x in _parts(spec, [population]))
    if not spec.enabled:
        return RiskChoice(int(population), "none", 0.0, reserve, held, stoploss)
    mode = "stoploss" if stoploss < reserve else "reserve"
    return RiskChoice(int(population), mode, min(reserve, stoploss), reserve, held, stoploss)
