"""CBC through pulp: the default solver, bundled with pulp < 4 so it needs no install."""
from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from ..formulations.linear import LinearModel
from .base import SolveOptions, SolverOutput, check_start, scratch_dir

_NUM = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"


def parse_cbc_bound(log: str) -> float | None:
    """CBC's best bound: pulp does not expose it, so read it from CBC's own log."""
    found = None
    for pat in (r"Lower bound:\s*" + _NUM, r"best possible\s*" + _NUM):
        for m in re.finditer(pat, log):
            found = float(m.group(1))
        if found is not None:
            return found
    return None


def _cbc_work(log: str, model: LinearModel) -> None:
    """Charge CBC's own count of its work (nodes and simplex iterations) to the active clock."""
    from ..clock import charge

    nodes = re.search(r"Enumerated nodes:\s*(\d+)", log)
    iters = re.search(r"Total iterations:\s*(\d+)", log)
    charge("mip_lp", (int(iters.group(1)) if iters else 0) * (len(model.rows) + model.n_vars))
    charge("mip_node", int(nodes.group(1)) if nodes else 0)


def solve_cbc(model: LinearModel, opts: SolveOptions, start: np.ndarray | None = None) -> SolverOutput:
    # pulp 3.x warns about its 4.0 API on every variable; we pin pulp < 4 on purpose (bundled CBC).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return _solve_cbc(model, opts, start)


def _solve_cbc(model: LinearModel, opts: SolveOptions, start: np.ndarray | None) -> SolverOutput:
    import pulp

    t0 = time.perf_counter()
    prob = pulp.LpProblem(model.name, pulp.LpMinimize)
    xs = []
    for j, name in enumerate(model.var_names):
        cat = pulp.LpBinary if model.integer[j] and model.lb[j] == 0 and model.ub[j] == 1 else (
            pulp.LpInteger if model.integer[j] else pulp.LpContinuous)
        lb = None if not np.isfinite(model.lb[j]) else model.lb[j]
        ub = None if not np.isfinite(model.ub[j]) else model.ub[j]
        xs.append(pulp.LpVariable(f"v{j}", lowBound=lb, upBound=ub, cat=cat))
    prob += pulp.LpAffineExpression([(xs[j], c) for j, c in enumerate(model.obj) if c]) + model.offset
    for r, (idx, coef, lo, hi) in enumerate(model.rows):
        expr = pulp.LpAffineExpression([(xs[int(j)], float(c)) for j, c in zip(idx, coef)])
        if lo == hi:
            prob += (expr == lo), f"c{r}"
        else:
            if np.isfinite(lo):
                prob += (expr >= lo), f"c{r}l"
            if np.isfinite(hi):
                prob += (expr <= hi), f"c{r}u"
    start = check_start(model, start)
    if start is not None:
        for v, val in zip(xs, start):
            v.setInitialValue(float(round(val)))
    cmd = pulp.PULP_CBC_CMD(
        msg=False, timeLimit=max(1, int(opts.time_limit_s - (time.perf_counter() - t0))), gapRel=opts.gap,
        threads=opts.threads, maxNodes=opts.node_limit(),
        options=[f"randomSeed {opts.seed + 1}", f"randomCbcSeed {opts.seed + 1}"]
        + (["cuts off"] if opts.set_partitioning or not opts.cuts else [])
        + ([f"cutoff {float(opts.cutoff)!r}"] if opts.cutoff is not None else []),
    )
    try:
        log = _run_cbc(prob, cmd, opts.log_path, start is not None)
    except Exception as exc:  # noqa: BLE001 - any solver crash becomes an honest "error"
        return SolverOutput("error", None, None, None, time.perf_counter() - t0, "cbc",
                            _version(), message=f"CBC failed: {exc}")
    runtime = time.perf_counter() - t0
    _cbc_work(log, model)
    if opts.work_limit is not None and re.search(r"Stopped on time", log):
        from ..clock import wall_stop

        wall_stop()
    # pulp's LpStatus says "Optimal" at a time limit; sol_status tells the truth.
    sol = prob.sol_status
    x = None
    values = [v.varValue for v in xs]
    if all(val is not None for val in values):
        x = np.array(values, dtype=float)
    objective = model.objective_value(x) if x is not None else None
    bound = parse_cbc_bound(log)
    stopped_early = bool(re.search(r"Stopped on (time|iterations|nodes|solutions)", log))
    if sol == pulp.LpSolutionOptimal and not stopped_early and x is not None:
        state = "optimal"
        # CBC prints no final bound when it proves optimality, and the last "best possible" in
        # its log is a stale mid-search value; the proof itself says bound >= objective*(1-gap).
        bound = objective * (1 - opts.gap) if objective >= 0 else objective * (1 + opts.gap)
    elif sol in (pulp.LpSolutionIntegerFeasible, pulp.LpSolutionOptimal) and x is not None:
        state = "feasible"
    elif sol == pulp.LpSolutionInfeasible or prob.status == pulp.LpStatusInfeasible:
        state, x, objective = "infeasible", None, None
    elif sol == pulp.LpSolutionNoSolutionFound:
        state, x, objective = "no_solution", None, None
    else:
        state, x, objective = "error", None, None
    return SolverOutput(state, x, objective, bound, runtime, "cbc", _version(), log=log,
                        message=f"pulp sol_status={sol}")


def _run_cbc(prob, cmd, log_path: Path | None, warm: bool) -> str:
    """Run pulp's CBC on ``prob`` as pulp's ``solve`` would, as a child that cannot outlive us;
    returns CBC's log (also left at ``log_path`` when one is given).

    pulp starts CBC and waits. If this process is killed (SIGKILL from a scheduler or the OOM
    killer, or SIGTERM) or an exception reaches the wait (Ctrl-C's KeyboardInterrupt), CBC goes on
    alone until its own time limit, using a core, and its MPS and solution files stay behind (a
    1.3 GB MPS was left by one killed 3,038-point run). Here CBC gets SIGKILL when its parent dies
    (Linux), is killed on any exception while we wait, and its files live in a private folder
    under ``scratch_dir()`` (a run's staging folder under the CLI) that is deleted in any case."""
    import pulp

    if not cmd.available():
        raise pulp.PulpSolverError(f"the CBC bundled with pulp cannot be run ({cmd.path}): reinstall pulp 3.x")
    work = Path(tempfile.mkdtemp(prefix=".cbc-", dir=scratch_dir()))
    log_file = Path(log_path) if log_path is not None else work / "cbc.log"
    wasNone, dummy = prob.fixObjective()
    try:
        mps, sol, mst = work / "model.mps", work / "model.sol", work / "start.mst"
        vs, var_names, con_names, _ = prob.writeMPS(str(mps), rename=1)
        args = [cmd.path, str(mps)]
        if warm:
            cmd.writesol(str(mst), prob, vs, var_names, con_names)
            args += ["-mips", str(mst)]
        if cmd.timeLimit is not None:
            args += ["-sec", str(cmd.timeLimit)]
        for option in cmd.options + cmd.getOptions():
            args += ["-" + option.split()[0], *option.split()[1:]]
        args += ["-solve", "-printingOptions", "all", "-solution", str(sol)]
        with open(log_file, "w") as out:
            linux = sys.platform == "linux" and prctl() is not None
            child = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     preexec_fn=die_with_parent(os.getpid()) if linux else None)
            try:
                code = child.wait()
            except BaseException:
                child.kill()
                child.wait()
                raise
        log = log_file.read_text(errors="replace")
        if code != 0 or not sol.exists():
            how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
            raise pulp.PulpSolverError(f"CBC {how} and wrote no solution; its log ends: {log[-300:]!r}")
        status, values, _, _, _, sol_status = cmd.readsol_MPS(str(sol), prob, vs, var_names, con_names)
        prob.assignVarsVals(values)
        prob.assignStatus(status, sol_status)
        return log
    finally:
        prob.restoreObjective(wasNone, dummy)
        shutil.rmtree(work, ignore_errors=True)


@functools.cache
def prctl():
    """libc's prctl, or None without one. Looked up in the parent (cached): between fork and exec
    the child should only call it, not load a library (that could wait on a lock another thread of
    the parent held at the fork)."""
    import ctypes

    try:
        return ctypes.CDLL(None).prctl
    except (OSError, AttributeError):     # no prctl in this libc: CBC just lacks the safeguard
        return None


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int):
    """The hook for the forked child before exec: ask Linux to SIGKILL it when the parent thread
    exits. A parent that died between the fork and this call sends no signal any more (the child
    was already handed to init), so the child then checks that its parent is still ``parent``
    and, if not, ends itself at once instead of running CBC for nobody."""
    def hook() -> None:
        prctl()(_PR_SET_PDEATHSIG, int(signal.SIGKILL))
        if os.getppid() != parent:
            os._exit(70)
    return hook


def _version() -> str:
    import pulp

    return f"CBC (pulp {pulp.__version__})"
