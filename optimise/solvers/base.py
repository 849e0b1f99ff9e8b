"""What every solver adapter returns, and shared helpers."""
from __future__ import annotations

import contextlib
import contextvars
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..formulations.linear import LinearModel


@dataclass
class SolverOutput:
    """Raw outcome of one adapter call, before the engine recomputes the objective.

    ``state`` is one of: "optimal" (the solver proved optimality within the requested gap),
    "feasible" (incumbent, not proven), "infeasible" (proven), "no_solution" (stopped with no
    incumbent), "error" (the solver failed). ``bound`` is a valid lower bound or None.
    """

    state: str
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    runtime_s: float
    solver: str
    version: str
    log: str = ""
    message: str = ""


@dataclass(frozen=True)
class SolveOptions:
    time_limit_s: float = 300.0
    gap: float = 0.0
    seed: int = 0
    threads: int = 1
    log_path: Path | None = None
    # work units (``optimise.clock``): when set, the solver stops on a node or deterministic-time
    # limit derived from it and ``time_limit_s`` is only a safety cap, so the outcome repeats
    work_limit: float | None = None
    # a pure set-partitioning model (the IPs over generated columns): CBC then runs without its
    # cut generators, 3-7x faster on those IPs (measured on the joint Devon model's node IPs)
    set_partitioning: bool = False
    # False: CBC runs without its cut generators (its proof of a compact model is re-checked that
    # way by ``engine``, because its cuts have cut off the optimum there)
    cuts: bool = True
    # only plans costing at most this count, "infeasible" then meaning "none does". Only CBC reads
    # it (its own ``cutoff`` option); ``branch_price.columns.partition_ip`` gives the OR-Tools MIP solvers a row
    # on the objective instead
    cutoff: float | None = None

    def node_limit(self) -> int | None:
        from ..clock import NODES_PER_UNIT

        return None if self.work_limit is None else max(1, int(self.work_limit * NODES_PER_UNIT))


_SCRATCH: contextvars.ContextVar[Path | None] = contextvars.ContextVar("fedplan_solver_scratch", default=None)


@contextlib.contextmanager
def scratch_in(folder: Path | None):
    """Solver scratch files (CBC's model, start and solution files, unnamed solver logs) go under
    ``folder`` while this is active. The CLI's runs pass their staging folder, so the files of a
    run killed mid-solve are removed with it by the next run rather than left in the temp folder."""
    token = _SCRATCH.set(Path(folder) if folder is not None else None)
    try:
        yield
    finally:
        _SCRATCH.reset(token)


def scratch_dir() -> str | None:
    """``scratch_in``'s folder if it exists, else None (the system temp folder)."""
    folder = _SCRATCH.get()
    return str(folder) if folder is not None and folder.is_dir() else None


@contextlib.contextmanager
def capture_native_output(path: Path | None):
    """Send C-level stdout/stderr (solver logs) to a file, so they neither clutter the terminal
    nor get lost; yields the path the log went to."""
    own = path is None
    if own:
        fd, name = tempfile.mkstemp(prefix="fedplan_solver_", suffix=".log", dir=scratch_dir())
        os.close(fd)
        path = Path(name)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "ab") as f:
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
        try:
            yield path
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def read_log(path: Path, own: bool) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    if own:
        with contextlib.suppress(OSError):
            os.unlink(path)
    return text


def check_start(model: LinearModel, start: np.ndarray | None) -> np.ndarray | None:
    """Only a start that satisfies every row is worth passing on."""
    if start is None:
        return None
    return start if model.violation(start) is None else None
