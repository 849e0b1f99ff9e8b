"""CBC through pulp: the default solver, bundled with pulp < 4 so it needs no install."""
from __future__ import annotations

import re
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from ..formulations.linear import LinearModel
from .base import SolveOptions, SolverOutput, check_start

_NUM = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"


def _parse_cbc_bound(log: str) -> float | None:
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
    log_path = opts.log_path
    own = log_path is None
    if own:
        log_path = Path(tempfile.mkstemp(prefix="fedplan_cbc_", suffix=".log")[1])
    cmd = pulp.PULP_CBC_CMD(
        msg=False, timeLimit=max(1, int(opts.time_limit_s - (time.perf_counter() - t0))), gapRel=opts.gap,
        threads=opts.threads, warmStart=start is not None, logPath=str(log_path), maxNodes=opts.node_limit(),
        options=[f"randomSeed {opts.seed + 1}", f"randomCbcSeed {opts.seed + 1}"]
        + (["cuts off"] if opts.set_partitioning else [])
        + ([f"cutoff {float(opts.cutoff)!r}"] if opts.cutoff is not None else []),
    )
    try:
        prob.solve(cmd)
    except Exception as exc:  # noqa: BLE001 - any solver crash becomes an honest "error"
        return SolverOutput("error", None, None, None, time.perf_counter() - t0, "cbc",
                            _version(), message=f"CBC failed: {exc}")
    log = Path(log_path).read_text(errors="replace") if Path(log_path).exists() else ""
    if own:
        Path(log_path).unlink(missing_ok=True)
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
    bound = _parse_cbc_bound(log)
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


def _version() -> str:
    import pulp

    return f"CBC (pulp {pulp.__version__})"
