r"""The part of a federation's cost that depends on how many practices it has: :math:`h(m, N)`.

The pooled network incentive (DESIGN.md §3.2; issue "the size trade-off"): a share *h* of an
incentive worth *Q* £ per patient is paid only if *every* member practice meets the target; each
meets it with probability *p*, independently. A federation of *m* members and *N* patients
therefore loses, in expectation,

.. math::  h(m, N) = h\,Q\,(1 - p^m)\,N = e_m N

a year: a rate :math:`e_m` per patient that rises with the member count (concave, saturating at
:math:`hQ`). ``MemberCost`` holds :math:`e_m` for every *m* from 0 to the number of practices, so
the engine, the heuristics and the report all read one table.

A cost linear in *m* (coordination per member practice) is not here: summed over a plan it is the
same for every plan of the same practices, so it is added per practice (``assign_cost``) and only
reported as a term.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class MemberCost:
    """``rate[m]``: £ per patient a federation of ``m`` member practices pays (read-only;
    ``rate[0] = 0``, nondecreasing in ``m``)."""

    rate: np.ndarray

    def __post_init__(self) -> None:
        r = np.array(self.rate, dtype=float, copy=True)
        if r.ndim != 1 or len(r) < 2:
            raise ValueError("MemberCost needs a rate for 0 and at least one member")
        if not np.all(np.isfinite(r)) or np.any(r < 0):
            raise ValueError("MemberCost rates must be finite and non-negative")
        if np.any(np.diff(r) < 0):
            raise ValueError("MemberCost rates must not fall as members are added")
        r.setflags(write=False)
        object.__setattr__(self, "rate", r)

    @property
    def max_members(self) -> int:
        return len(self.rate) - 1

    def __call__(self, members, population):
        """£ a year for federation(s) of ``members`` practices and ``population`` patients."""
        m = np.clip(np.asarray(members, dtype=np.int64), 0, len(self.rate) - 1)
        out = self.rate[m] * np.asarray(population, dtype=float)
        return float(out) if np.ndim(out) == 0 else out

    def is_zero(self) -> bool:
        return not bool(np.any(self.rate > 0))


def pooled_incentive_rates(incentive_gbp_per_patient: float, held_back: float, success_probability: float,
                           max_members: int) -> MemberCost:
    """e_m = held_back · incentive · (1 − p^m) for m = 0 .. max_members."""
    m = np.arange(int(max_members) + 1, dtype=float)
    rate = float(held_back) * float(incentive_gbp_per_patient) * (1.0 - float(success_probability) ** m)
    rate[0] = 0.0
    return MemberCost(np.maximum.accumulate(rate))
