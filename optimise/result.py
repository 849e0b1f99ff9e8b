"""The one Result every formulation and solver adapter returns: its status, the gap and the one
proof tolerance that decide it (``judge``), the run statistics of branch and price (``RunStats``),
and the numbering of a plan's federations (``canonical``)."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
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


@dataclass
class RunStats:
    """What a branch-and-price run did, counted as it ran (``Result.stats``; ``summary.json``
    writes it as ``run_stats``). Read these, never ``Result.message``, which says the same for
    people."""

    rounds: int = 0                  # column-generation rounds of the root LP
    columns: int = 0                 # columns in the master LP at the end (the tree's, once it ran)
    covered_first: bool = False      # the root LP covered the practices before partitioning them
    plans_instead: bool = False      # the root LP did not converge in time; its time went to plans
    cuts: int = 0                    # subset-row cuts added at the root
    cut_rounds: int = 0
    nodes: int = 0                   # nodes the tree processed (the dive's steps are ``dive_steps``)
    pruned: int = 0
    integral: int = 0
    closed_by_enumeration: int = 0
    strong: int = 0                  # branches chosen by strong branching
    fixed_pairs: int = 0             # practice-hub pairs fixed out by reduced cost
    infeasible_rechecks: int = 0     # CBC "infeasible" node IPs re-checked by HiGHS
    dive_steps: int = 0
    region_passes: int = 0           # passes of region re-solves (``lns``)
    regions_solved: int = 0
    regions_improved: int = 0
    incumbents: int = 0              # plans that improved on the incumbent
    work_units: float = 0.0          # the run's counted work (``optimise.clock``)
    # per phase: wall seconds and work units. "construct" (the heuristics and the exact search for
    # a first plan), "root" (the root LP), "plans_instead", "tree" (everything after the root LP,
    # the parts below included), "dive", "regions", "hub_search", "pool_ips", "enumeration"
    seconds: dict[str, float] = field(default_factory=dict)
    work: dict[str, float] = field(default_factory=dict)

    def add_phase(self, name: str, seconds: float, work: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds
        self.work[name] = self.work.get(name, 0.0) + work

    def as_dict(self) -> dict:
        """Plain JSON values (floats rounded to 6 places)."""
        def plain(x):
            if isinstance(x, dict):
                return {k: plain(v) for k, v in x.items()}
            if isinstance(x, float):
                return round(x, 6) if math.isfinite(x) else None
            return x
        return plain(asdict(self))


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
    # what branch and price did (None from the compact model, whose solver keeps its own count)
    stats: RunStats | None = None

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


def canonical(assignment: np.ndarray, hubs, codes: tuple[str, ...]) -> tuple[np.ndarray, tuple[int, ...]]:
    """Number federations by their hub's practice code, so equal plans print identically."""
    order = sorted(range(len(hubs)), key=lambda f: codes[hubs[f]])
    new_id = np.empty(len(hubs), dtype=np.int64)
    new_id[order] = np.arange(len(hubs))
    return new_id[np.asarray(assignment)], tuple(int(hubs[f]) for f in order)
