"""Where many plans run: a Dask cluster (a local one by default, or an existing scheduler).

Each task plans one scenario into its own run directory, written atomically by the worker, so a
task that dies leaves nothing and a finished one is complete on disk whoever ran it. The same
function runs whatever the engine, so the plans do not depend on it.
"""
from __future__ import annotations

import contextlib
import logging
import os
import time
from pathlib import Path
from typing import Iterator

from fedplan.inputs.errors import InputError
from fedplan.inputs.model import Scenario


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator:
    """A ``distributed.Client``: connected to ``scheduler`` (tcp://host:port), or to a new local
    cluster of ``workers`` processes (default: one per core), one thread each (the solvers are
    single-threaded and must not share a process's memory)."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({exc}).", column="solve.scheduler",
                             fix="start it (dask scheduler; dask worker ADDRESS) or leave --scheduler out "
                                 "to use a local cluster.") from None
        try:
            yield client
        finally:
            client.close()
        return
    n = max(1, int(workers or os.cpu_count() or 1))
    # loopback only, and an ephemeral port for the scheduler's web server, so that two sweeps on
    # one machine never collide
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def plan_into(scenario: Scenario, out: str, argv: list[str]) -> dict:
    """Plan one scenario into run directory ``out`` (in a worker). Never raises for bad input or
    an impossible plan: returns {"status", "message", "out"} so one bad scenario cannot stop a sweep.
    ``status`` is the plan's ("optimal" / "feasible"), or "bad input" (InputError), "infeasible"
    (the rules cannot be met) or "no plan" (the solver produced none; "solver_status" says its own).
    "written" is true when the run directory was written (a plan, even one that failed its checks)."""
    from fedplan.optimise import ProblemInfeasible

    from . import api
    from .output import staging, write_run

    started = time.time()
    try:
        with staging(Path(out), overwrite=False) as tmp:
            run = api.run(scenario, log_path=tmp / "solver.log")
            if not run.result.has_plan:
                raise _NoPlan(f"{run.result.status}: {run.result.message}", str(run.result.status))
            summary = write_run(run, tmp, argv, started)
    except InputError as exc:
        return {"status": "bad input", "message": str(exc), "out": out}
    except ProblemInfeasible as exc:
        return {"status": "infeasible", "message": " ".join(exc.reasons), "out": out}
    except _NoPlan as exc:
        # solver_status "infeasible": the solver proved that no plan meets the rules (exit 3 in a
        # national run, as for a single run); otherwise it simply found none (exit 1)
        return {"status": "no plan", "message": exc.args[0], "solver_status": exc.args[1], "out": out}
    return {"status": summary["status"], "message": "", "out": out, "objective_gbp": summary["objective_gbp"],
            "gap": summary["gap"], "written": True, "verified": summary.get("verified")}


class _NoPlan(Exception):
    pass
