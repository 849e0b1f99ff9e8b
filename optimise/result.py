"""The one Result every formulation and solver adapter returns."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

import numpy as np


class Status(str, Enum):
    OPTIMAL = "optimal"        # proven: bound == objective within PROOF_TOLERANCE
    FEASIBLE = "feasible"      # a plan that meets every rule, not proven optimal; see gap
    INFEASIBLE = "infeasible"  # proven that no plan meets the rules
    ERROR = "error"            # no plan (solver failure, time limit with no incumbent), or a plan
                               # whose proof or independent check failed

    def __str__(self) -> str:
        return self.value


# The one proof tolerance, in objective units: a penny on the £ models, 0.01 of a distance unit on
# p-median files (whose published optima are given to two decimals). A plan is "optimal" only when
# its cost exceeds its lower bound by at most this; every "nothing cheaper" test of the engine
# (pruning, fixing, enumeration) uses the same figure, so a proof never rests on a larger slack.
PROOF_TOLERANCE = 0.01


def within_proof_tolerance(objective: float | None, bound: float | None) -> bool:
    """True when ``bound`` proves ``objective`` optimal (up to ``PROOF_TOLERANCE``)."""
    if objective is None or bound is None or not np.isfinite(objective) or not np.isfinite(bound):
        return False
    return objective - bound <= PROOF_TOLERANCE


class ProblemInfeasible(Exception):
    """No plan can meet the rules; ``reasons`` say why in words. ``searched``: proven by an exact
    search over every plan (``optimise.feasibility``) rather than by a quick necessary condition
    (``optimise.diagnose``), so a caller who knows the scenario may name the rules at fault."""

    def __init__(self, reasons: list[str], searched: bool = False):
        self.reasons = reasons
        self.searched = searched
        super().__init__("; ".join(reasons))


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """(objective - bound) / |objective|; 0 when both are 0; None when either is unknown."""
    if objective is None or bound is None or not np.isfinite(objective) or not np.isfinite(bound):
        return None
    if abs(objective) < 1e-9:
        return 0.0 if abs(bound) < 1e-9 else float("inf")
    return max(0.0, (objective - bound) / abs(objective))


def judge(objective: float, bound: float | None) -> tuple[Status, float | None, float | None, str]:
    """Status, bound and gap of a plan costing ``objective`` with lower ``bound``.

    ``optimal`` only when the bound is within ``PROOF_TOLERANCE`` of the cost: a requested gap
    that was met leaves the plan ``feasible`` (``Result.within_requested_gap`` says so). A bound
    above the cost by more than the tolerance means the engine's proof is wrong somewhere: the
    status is ``error`` with a message, never a proof; within the tolerance it is float noise and
    the bound is reported at the cost."""
    if bound is None or not np.isfinite(bound):
        return Status.FEASIBLE, None, None, ""
    if bound > objective + PROOF_TOLERANCE:
        return (Status.ERROR, float(bound), relative_gap(objective, bound),
                f"the lower bound {bound:,.2f} exceeds the plan's cost {objective:,.2f}: the engine's bound is "
                "wrong, so nothing is proven (please report this with the run directory)")
    bound = min(float(bound), float(objective))
    status = Status.OPTIMAL if within_proof_tolerance(objective, bound) else Status.FEASIBLE
    return status, bound, relative_gap(objective, bound), ""


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
    # the gap the caller asked for (``gap`` option): a run may stop once the plan is within it
    requested_gap: float = 0.0

    @property
    def within_requested_gap(self) -> bool:
        """The plan is proven within the requested gap (always true of an optimal plan)."""
        if self.status is Status.OPTIMAL:
            return True
        return (self.status is Status.FEASIBLE and self.gap is not None
                and self.gap <= max(0.0, self.requested_gap) + 1e-12)

    def assignment_by_code(self) -> dict[str, int]:
        """practice code -> federation number (1-based, as written to assignment.csv)."""
        return {c: int(f) + 1 for c, f in zip(self.practice_codes, self.assignment)}

    def hubs_by_federation(self) -> dict[int, str]:
        return {f + 1: self.practice_codes[h] for f, h in enumerate(self.hubs)}

    @property
    def has_plan(self) -> bool:
        """A plan is attached. With status ``error`` it is one whose proof or check failed: it is
        written for inspection, never as a result."""
        return self.status is not Status.INFEASIBLE and len(self.hubs) > 0

    @property
    def n_federations(self) -> int:
        return len(self.hubs)

    def members(self, federation: int) -> np.ndarray:
        return np.flatnonzero(self.assignment == federation)

    def replace(self, **changes) -> "Result":
        return replace(self, **changes)
