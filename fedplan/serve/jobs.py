"""Background solves ("re-optimise around my edits", "repair today's PCNs"): the exact engine in a
child process, with progress, cancellation and the answer handed back to the browser's session.

A child process, not a thread: a solve holds the GIL for long stretches, which would stall every
re-score, and a process can be stopped at once. Cancelling terminates the child (its CBC, a child
that dies with its parent, goes with it); the session's plan is left as it was. Each job belongs
to the browser session that started it; another session's job id is "not found".
"""
from __future__ import annotations

import multiprocessing as mp
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import ApiError

MAX_RUNNING = 2              # the machine's cores; a third solve would only slow the others down


@dataclass
class Job:
    id: str
    session: str
    plan_id: str
    kind: str                      # "optimise" | "repair"
    time_limit_s: float
    state: str = "running"         # running | done | failed
    progress: float = 0.0
    message: str = ""
    cancelled: bool = False
    started: float = field(default_factory=time.time)
    finished: float | None = None
    result: dict | None = None     # the engine's answer (status, objective, bound, gap, plan)
    plan: dict | None = None       # the scored plan once applied to the session
    extra: dict = field(default_factory=dict)
    proc: object = None

    def as_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "plan_id": self.plan_id, "state": self.state,
                "progress": round(self.progress, 3), "message": self.message, "cancelled": self.cancelled,
                "time_limit_s": self.time_limit_s, "elapsed_s": round((self.finished or time.time()) - self.started, 1),
                "result": None if self.result is None else {k: v for k, v in self.result.items()
                                                            if k not in ("assignment", "hubs")},
                "plan": self.plan, **self.extra}


def _child(payload: dict, out) -> None:
    """In the child: solve, reporting the engine clock's progress every half second."""
    import threading as th

    from fedplan.optimise import ProblemInfeasible, solve_federations
    from fedplan.optimise.clock import latest

    stop = th.Event()

    def tick() -> None:
        while not stop.wait(0.5):
            clock = latest()
            if clock is not None and clock.limit > 0:
                out.put(("progress", min(0.99, clock.used() / clock.limit)))

    th.Thread(target=tick, daemon=True).start()
    try:
        res = solve_federations(payload["problem"], payload["solver"], time_limit_s=payload["time_limit_s"],
                                gap=payload["gap"], seed=payload["seed"], threads=1,
                                warm_start=payload["warm_start"], names=payload["names"], method=payload["method"])
        out.put(("done", {"status": str(res.status), "objective": res.objective, "bound": res.bound,
                          "gap": res.gap, "message": res.message, "runtime_s": res.runtime_s,
                          "has_plan": res.has_plan, "assignment": [int(a) for a in res.assignment],
                          "hubs": [int(h) for h in res.hubs]}))
    except ProblemInfeasible as exc:
        out.put(("failed", "no plan can meet the rules with these pins: " + "; ".join(exc.reasons)))
    except Exception as exc:  # noqa: BLE001 - reported to the browser in words, the server goes on
        out.put(("failed", f"the solve failed: {type(exc).__name__}: {exc}"))
    finally:
        stop.set()


class Jobs:
    """The running and finished jobs of every session."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        # spawn: the server has threads (the ASGI loop, the thread pool), which fork does not copy safely
        self._ctx = mp.get_context("spawn")

    def start(self, session: str, plan_id: str, kind: str, payload: dict,
              on_done: Callable[[Job], dict | None]) -> Job:
        with self._lock:
            running = [j for j in self._jobs.values() if j.state == "running"]
            if any(j.session == session for j in running):
                raise ApiError(409, "this session already has a solve running; wait for it or cancel it "
                                    "(POST /api/jobs/{job}/cancel).")
            if len(running) >= MAX_RUNNING:
                raise ApiError(429, f"{len(running)} solves are running on this machine; try again when one ends.")
            job = Job(secrets.token_hex(8), session, plan_id, kind, float(payload["time_limit_s"]))
            self._jobs[job.id] = job
        out = self._ctx.Queue()
        proc = self._ctx.Process(target=_child, args=(payload, out), daemon=True, name=f"fedplan-{kind}-{job.id}")
        proc.start()
        job.proc = proc
        threading.Thread(target=self._watch, args=(job, proc, out, on_done), daemon=True).start()
        return job

    def _watch(self, job: Job, proc, out, on_done) -> None:
        while True:
            try:
                kind, value = out.get(timeout=0.5)
            except queue.Empty:
                if job.cancelled:
                    return
                if not proc.is_alive():
                    try:                        # the last message may land just after the exit
                        kind, value = out.get(timeout=1.0)
                    except queue.Empty:
                        self._finish(job, "failed", f"the solver process ended without an answer "
                                                    f"(exit code {proc.exitcode}).")
                        return
                else:
                    continue
            if job.cancelled:
                return
            if kind == "progress":
                job.progress = max(job.progress, float(value))
                continue
            if kind == "failed":
                self._finish(job, "failed", str(value))
            else:
                job.result = value
                try:
                    job.plan = on_done(job)
                    self._finish(job, "done", job.message or "solved")
                except ApiError as exc:
                    self._finish(job, "failed", exc.message)
                except Exception as exc:  # noqa: BLE001
                    self._finish(job, "failed", f"could not apply the answer: {type(exc).__name__}: {exc}")
            proc.join(timeout=5)
            return

    def _finish(self, job: Job, state: str, message: str) -> None:
        job.message, job.finished = message, time.time()
        if state == "done":
            job.progress = 1.0
        job.state = state

    def get(self, job_id: str, session: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.session != session:
            raise ApiError(404, f"'job': there is no job {job_id!r} in this session; POST "
                                "/api/plans/{id}/optimise returns one.")
        return job

    def cancel(self, job_id: str, session: str) -> Job:
        job = self.get(job_id, session)
        if job.state != "running":
            raise ApiError(409, f"'job': job {job_id} has already {job.state == 'done' and 'finished' or 'failed'}.")
        job.cancelled = True
        if job.proc is not None and job.proc.is_alive():
            job.proc.terminate()
            job.proc.join(timeout=5)
        self._finish(job, "failed", "cancelled by the planner; the plan was left as it was")
        return job

    def shutdown(self) -> None:
        """Stop every child (server exit)."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            if job.proc is not None and job.proc.is_alive():
                job.cancelled = True
                job.proc.terminate()
                job.proc.join(timeout=5)
