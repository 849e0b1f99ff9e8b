"""HiGHS through ``highspy`` (1.12, the build the master LP already loads).

Preferred over OR-Tools' bundled HiGHS when highspy is importable, for three reasons measured on
the hub search's assignment MIPs (402-point CPMPs, 30 hubs, 12,000 pairs): the same optima in
0.7-3.3 s instead of 1.1-5.8 s; a plan at the time limit (pywraplp reports an abnormal end and
gives none); and a warm start (pywraplp's HiGHS crashes the process on a hint). Like OR-Tools'
HiGHS it takes no work limit.
"""
from __future__ import annotations

import time

import numpy as np

from ..formulations.linear import LinearModel
from .base import SolveOptions, SolverOutput, capture_native_output, check_start, read_log


def available() -> bool:
    from ..master_lp import highs_available

    return highs_available()


def _highs_lp(highspy, model: LinearModel):
    inf = highspy.kHighsInf
    n, m = model.n_vars, len(model.rows)
    lengths = np.fromiter((len(r[0]) for r in model.rows), dtype=np.int64, count=m)
    rows = np.repeat(np.arange(m, dtype=np.int64), lengths)
    cols = np.concatenate([r[0] for r in model.rows]) if m else np.zeros(0, np.int64)
    vals = np.concatenate([r[1] for r in model.rows]) if m else np.zeros(0)
    # column-wise, as HiGHS stores it: sort the entries by column
    order = np.lexsort((rows, cols))
    start = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(cols, minlength=n), out=start[1:])
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_ = np.asarray(model.obj, dtype=float)
    lp.offset_ = float(model.offset)
    lp.col_lower_ = np.maximum(np.asarray(model.lb, dtype=float), -inf)
    lp.col_upper_ = np.minimum(np.asarray(model.ub, dtype=float), inf)
    lp.row_lower_ = np.array([max(r[2], -inf) for r in model.rows], dtype=float)
    lp.row_upper_ = np.array([min(r[3], inf) for r in model.rows], dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start
    lp.a_matrix_.index_ = rows[order].astype(np.int32)
    lp.a_matrix_.value_ = vals[order].astype(float)
    lp.integrality_ = [highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
                       for flag in model.integer]
    return lp


def solve_highspy(model: LinearModel, opts: SolveOptions, start: np.ndarray | None = None) -> SolverOutput:
    import highspy

    from ..clock import charge

    t0 = time.perf_counter()
    h = highspy.Highs()
    version = f"HiGHS {h.version()} (highspy)"
    if opts.work_limit is not None:
        # nodes per work unit are calibrated on CBC; HiGHS's are far slower on the joint model
        # (the 150 nodes of a 1.5-unit limit took 46 s on 40 practices), so a node limit would not
        # track the unit. Work-limited runs with HiGHS are refused (``inputs.scenario``)
        return SolverOutput("error", None, None, None, 0.0, "highs", version,
                            message="HiGHS takes no work limit (its nodes are not calibrated); "
                                    "use cbc, cpsat or scip, or a time limit")
    settings = {"output_flag": True, "log_to_console": True, "threads": int(opts.threads),
                "random_seed": int(opts.seed), "mip_rel_gap": max(float(opts.gap), 0.0)}
    h.setOptionValue("output_flag", False)      # no banner on the terminal before the capture
    h.passModel(_highs_lp(highspy, model))
    start = check_start(model, start)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = [float(v) for v in start]
        sol.value_valid = True
        h.setSolution(sol)
    own = opts.log_path is None
    try:
        with capture_native_output(opts.log_path) as log_file:
            settings["time_limit"] = max(0.1, float(opts.time_limit_s) - (time.perf_counter() - t0))
            for key, value in settings.items():
                h.setOptionValue(key, value)
            h.run()
    except Exception as exc:  # noqa: BLE001 - a solver crash is reported, not raised
        return SolverOutput("error", None, None, None, time.perf_counter() - t0, "highs", version,
                            message=f"HiGHS failed: {exc}")
    log = read_log(log_file, own)
    runtime = time.perf_counter() - t0
    info = h.getInfo()
    charge("mip_lp", max(0, int(info.simplex_iteration_count)) * (len(model.rows) + model.n_vars))
    charge("mip_node", max(0, int(info.mip_node_count)))
    status = h.getModelStatus()
    S = highspy.HighsModelStatus
    x = None
    if status == S.kModelEmpty:
        return SolverOutput("optimal", np.zeros(0), model.offset, model.offset, runtime, "highs", version, log=log)
    if info.primal_solution_status == 2:      # kSolutionStatusFeasible
        x = np.asarray(h.getSolution().col_value, dtype=float)
        if model.violation(x, tol=1e-5) is not None:
            x = None
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    if status == S.kOptimal and x is not None:
        state = "optimal"
    elif status == S.kInfeasible:
        state = "infeasible"
    elif x is not None:
        state = "feasible"
    elif status in (S.kTimeLimit, S.kSolutionLimit, S.kIterationLimit, S.kInterrupt):
        state = "no_solution"
    else:
        state = "error"
    if x is None and state != "no_solution":
        bound = None
    return SolverOutput(state, x, model.objective_value(x) if x is not None else None, bound,
                        runtime, "highs", version, log=log, message=f"HiGHS model status {h.modelStatusToString(status)}")
