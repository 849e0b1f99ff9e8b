"""The one Result every formulation and solver adapter returns."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

import numpy as np


class Status(str, Enum):
    OPTIMAL = "optimal"        # proven: bound == objective within the requested gap tolerance
    FEASIBLE = "feasible"      # a plan that meets every rule, not proven optimal; see gap
    INFEASIBLE = "infeasible"  # proven that no plan meets the rules
    ERROR = "error"            # no plan: solver failure, or a time limit hit with no incumbent

    def __str__(self) -> str:
        return self.value


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """(objective - bound) / |objective|; 0 when both are 0; None when either is unknown."""
    if objective is None or bound is None or not np.isfinite(objective) or not np.isfinite(bound):
        return None
    if abs(objective) < 1e-9:
        return 0.0 if abs(bound) < 1e-9 else float("inf")
    return max(0.0, (objective - bound) / abs(objective))


@dataclass(frozen=True, eq=False)
class Result:
    """Outcome of one solve.

    ``assignment[i]`` is the federation index (0..k-1) of practice position ``i`` in the problem,
    and ``hubs[f]`` the practice position hosting federation ``f``. ``objective`` is recomputed
    from the assignment by the cost model, never copied from the solver; ``bound`` is a valid
    lower bound on the optimum (from the solver's dual bound or a proof), ``gap`` their relative
    difference.
    """

    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    runtime_s: float
    solver: str
    solver_version: str = ""
    seed: int = 0
    assignment: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    hubs: tuple[int, ...] = ()
    message: str = ""
    log: str = ""
    practice_codes: tuple[str, ...] = ()
    # deterministic work counted by the engine (``optimise.clock``); None where it is not counted
    work_units: float | None = None
    # False when the run's outcome depends on the clock: a time limit stopped it (a work limit,
    # or finishing before any limit, repeats exactly with the same inputs, seed and one thread)
    repeatable: bool = True

    def assignment_by_code(self) -> dict[str, int]:
        """practice code -> federation number (1-based, as written to assignment.csv)."""
        return {c: int(f) + 1 for c, f in zip(self.practice_codes, self.assignment)}

    def hubs_by_federation(self) -> dict[int, str]:
        return {f + 1: self.practice_codes[h] for f, h in enumerate(self.hubs)}

    @property
    def has_plan(self) -> bool:
        return self.status in (Status.OPTIMAL, Status.FEASIBLE) and len(self.hubs) > 0

    @property
    def n_federations(self) -> int:
        return len(self.hubs)

    def members(self, federation: int) -> np.ndarray:
        return np.flatnonzero(self.assignment == federation)

    def replace(self, **changes) -> "Result":
        return replace(self, **changes)
