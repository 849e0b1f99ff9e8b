"""The run's budget: seconds of wall time, or deterministic work units.

A run that its time limit stops depends on the machine and on what else the machine is doing: the
same inputs can end on a different plan. With a ``work_limit`` the engine stops instead after a
fixed amount of *work*, counted from operations whose number depends only on the inputs, the seed
and the code, never on the clock:

* simplex iterations of the master LP (HiGHS, or GLOP without highspy), weighted by the master's size;
* the pricing searches: knapsack nodes, and the items each priced hub sets up;
* local-search passes (practices x federations examined);
* the MIP solver's own work: CBC's nodes and simplex iterations (from its log), CP-SAT's
  deterministic time, SCIP's nodes and iterations. In work mode those solvers get a node (or
  deterministic-time) limit instead of a time limit. HiGHS through OR-Tools takes no node limit
  (its interface accepts no solver parameters), so work mode refuses it.

The weights make one unit roughly one second of this engine on the reference machine (the 2-core
VM of ``benchmarks/RESULTS.md``), so ``work_limit = 60`` is "about a minute there"; elsewhere the
wall time differs but the plan does not. Every run counts its work, timed or not, and reports it,
so a timed run's figure is a sensible size for the work limit of a repeatable re-run (which may
end on a different plan than the timed run did, but always on the same one).

The time limit still applies in work mode, as a safety cap; a run it stops is flagged
(``wall_stopped``) because that run is no longer repeatable.

The budget is checked between steps, so a run can end past its limit by one step. The longest are
MIP solves: a node limit does not bound the root (cuts and heuristics before the first node), and
CBC has no deterministic limit for it (its ``maxIterations`` is ignored in branch and cut). Devon
with ``work_limit = 20`` stopped at 39.5 units, 25 of them in one root. The charge is always the
work done, so the reported figure stays true.

Charging goes through a context variable (``charge``) so that the pricing searches, the local
search and the solver adapters can count their work without every call in between passing a
clock along; ``Clock.active()`` makes a clock the one charged.
"""
from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Callable, Iterator

# Units charged per operation of each kind: the seconds one operation takes on the reference
# machine (benchmarks/clock_calibration.py on Devon, Greater Manchester and SJC-size CPMP runs),
# rounded; a unit is then 0.9-1.3 s there.
WEIGHTS = {
    "lp": 4.5e-8,              # GLOP simplex iteration x (rows + columns) of the master
    # HiGHS simplex iteration x (rows + columns) of the master: 1.6-2.1e-8 s in a trace of a
    # 402-point CPMP's master (400-4,000 iterations per re-solve at 2,000-11,000 columns)
    "lp_highs": 2.0e-8,
    "relaxation": 6.0e-8,      # one practice x hub entry of the all-hubs relaxation bound
    "hub_setup": 8.0e-7,       # one practice considered when setting up one hub's knapsack
    "knapsack_node": 5.0e-8,   # one node of a compiled pricing search
    "knapsack_node_py": 8.0e-7,  # one node of the Python search (under 150 practices, contiguity)
    "dp_cell": 1.6e-9,         # one cell (item x weight) of the fallback dynamic programme
    "local_search": 7.0e-7,    # one practice x federation examined by a local-search pass
    "mip_lp": 6.5e-8,          # MIP solver (CBC, SCIP) simplex iteration x (rows + columns)
    "mip_node": 1.0e-3,        # MIP solver (CBC, SCIP) branch-and-bound node
    "cpsat": 1.0,              # CP-SAT deterministic second
}
# MIP nodes granted per unit of a sub-budget in work mode. Measured: CBC did about 200 nodes a
# second (simplex iterations included) on the set-partitioning IPs of a 300-point CPMP; 100 leaves
# room for the root's cuts and heuristics
NODES_PER_UNIT = 100

_current: contextvars.ContextVar["Clock | None"] = contextvars.ContextVar("fedplan_clock", default=None)
_latest: "Clock | None" = None


class Clock:
    """Wall-clock or work budget of one solve. ``left()`` is in the budget's own unit (seconds,
    or work units), so shares of it (``0.25 * left()``) mean the same thing in both modes."""

    def __init__(self, time_limit_s: float, work_limit: float | None = None):
        self.t0 = time.perf_counter()
        self.time_limit_s = float(time_limit_s)
        self.work_limit = None if work_limit is None else float(work_limit)
        self.work = 0.0
        self.by_kind: dict[str, float] = {}
        self.wall_stopped = False

    @property
    def deterministic(self) -> bool:
        return self.work_limit is not None

    @property
    def limit(self) -> float:
        """The budget in its own unit."""
        return self.work_limit if self.work_limit is not None else self.time_limit_s

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def wall_left(self) -> float:
        return self.time_limit_s - self.elapsed()

    def used(self) -> float:
        """Budget spent, in the budget's unit."""
        return self.work if self.deterministic else self.elapsed()

    def left(self) -> float:
        wall = self.wall_left()
        if not self.deterministic:
            return wall
        if wall <= 0:
            self.wall_stopped = True
            return 0.0
        return self.work_limit - self.work

    def expired(self) -> bool:
        return self.left() <= 0

    def limits(self, budget: float, floor: float = 1.0) -> dict:
        """Limits for a solver given ``budget`` of this clock: a time limit, or in work mode a
        work limit with the run's remaining wall time as the safety cap."""
        if not self.deterministic:
            return {"time_limit_s": max(floor, float(budget))}
        return {"time_limit_s": max(floor, self.wall_left()), "work_limit": max(0.01, float(budget))}

    def charge(self, kind: str, amount: float) -> None:
        units = WEIGHTS[kind] * float(amount)
        self.work += units
        self.by_kind[kind] = self.by_kind.get(kind, 0.0) + units

    def absorb(self, other: "Clock") -> None:
        """Count a nested solve's work (and its being stopped by the wall clock) as this one's."""
        self.work += other.work
        for kind, units in other.by_kind.items():
            self.by_kind[kind] = self.by_kind.get(kind, 0.0) + units
        self.wall_stopped |= other.wall_stopped

    @contextlib.contextmanager
    def active(self) -> Iterator["Clock"]:
        """Make this the clock that ``charge`` adds to (restores the previous one after)."""
        global _latest
        _latest = self
        token = _current.set(self)
        try:
            yield self
        finally:
            _current.reset(token)

    def summary(self) -> str:
        mode = (f"work limit {self.work_limit:g} units" if self.deterministic
                else f"time limit {self.time_limit_s:g} s")
        text = f"{self.work:,.1f} work units in {self.elapsed():.1f} s ({mode})"
        if self.wall_stopped:
            text += "; stopped by the time limit before the work limit, so this run is not repeatable"
        return text


def latest() -> Clock | None:
    """The clock most recently made active: for a progress bar in another thread, which cannot
    see this thread's context variable. Display only; nothing decides anything from it."""
    return _latest


def stopwatch(clock: Clock | None) -> Callable[[], float]:
    """Budget spent from now on: in the clock's unit, or wall seconds when there is no clock."""
    if clock is not None:
        start = clock.used()
        return lambda: clock.used() - start
    start = time.perf_counter()
    return lambda: time.perf_counter() - start


def limits(clock: Clock | None, budget: float, floor: float = 1.0) -> dict:
    """Solver limits for ``budget`` of ``clock`` (``Clock.limits``), or plain seconds without one."""
    return clock.limits(budget, floor) if clock is not None else {"time_limit_s": max(floor, float(budget))}


def charge(kind: str, amount: float) -> None:
    """Add work to the active clock (no-op outside a solve)."""
    clock = _current.get()
    if clock is not None:
        clock.charge(kind, amount)


def current() -> Clock | None:
    return _current.get()


def expired(deadline: "Clock | float") -> bool:
    """Budget check for loops that take either a Clock or a wall-clock deadline
    (``time.perf_counter()`` seconds; ``inf`` for none)."""
    if isinstance(deadline, Clock):
        return deadline.expired()
    return time.perf_counter() > deadline


def wall_stop() -> None:
    """A solver stopped on its (safety) time limit while the run is in work mode."""
    clock = _current.get()
    if clock is not None and clock.deterministic:
        clock.wall_stopped = True
