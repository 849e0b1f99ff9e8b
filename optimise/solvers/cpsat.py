"""CP-SAT. It needs integer coefficients: costs are scaled (at least to pence, finer when the
model's magnitudes leave room in 64 bits) and rounded, and the bound it returns is corrected by
the largest total rounding error so that it stays valid."""
from __future__ import annotations

import time

import numpy as np

from ..formulations.linear import LinearModel
from .base import SolveOptions, SolverOutput, check_start

SCALE = 100.0          # £ → pence
_INT_LIMIT = 2**62     # CP-SAT works in int64; stay well clear of overflow


def solve_cpsat(model: LinearModel, opts: SolveOptions, start: np.ndarray | None = None) -> SolverOutput:
    from ortools.sat.python import cp_model
    import ortools

    t0 = time.perf_counter()
    version = f"CP-SAT (OR-Tools {ortools.__version__})"
    m = cp_model.CpModel()
    xs = []
    for j in range(model.n_vars):
        if not model.integer[j]:
            return SolverOutput("error", None, None, None, 0.0, "cpsat", version,
                                message="CP-SAT cannot take continuous variables; use cbc/highs/scip")
        xs.append(m.NewIntVar(int(np.ceil(model.lb[j])), int(np.floor(model.ub[j])), f"v{j}"))
    for idx, coef, lo, hi in model.rows:
        if not np.allclose(coef, np.round(coef)):
            return SolverOutput("error", None, None, None, 0.0, "cpsat", version,
                                message="a constraint has fractional coefficients; CP-SAT needs integers")
        ci = [int(round(c)) for c in coef]
        lo_i = int(np.ceil(lo - 1e-9)) if np.isfinite(lo) else cp_model.INT_MIN
        hi_i = int(np.floor(hi + 1e-9)) if np.isfinite(hi) else cp_model.INT_MAX
        m.AddLinearConstraint(sum(c * xs[int(j)] for j, c in zip(idx, ci)), lo_i, hi_i)
    ranges = np.abs(np.asarray(model.ub, float)) + np.abs(np.asarray(model.lb, float))
    raw = np.asarray(model.obj, float)
    # finer than pence when it fits: fractional £/patient slopes times populations of 1e5 would
    # otherwise leave a rounding error (and so a bound correction) of pounds per variable. Up to
    # 1e9: at 1e6 the population variables of a 6-practice compact model (range 40,000) still
    # left £0.024, more than the proof tolerance of a penny
    worst = float(np.abs(raw) @ ranges)
    scale = SCALE
    while scale < 1e9 and worst * scale * 10 < _INT_LIMIT / 16:
        scale *= 10
    obj = raw * scale
    obj_int = np.round(obj).astype(np.int64)
    if float(np.abs(obj_int).astype(float) @ ranges) > _INT_LIMIT:
        return SolverOutput("error", None, None, None, 0.0, "cpsat", version,
                            message="objective too large for CP-SAT's 64-bit integers after scaling")
    # Every solution's true cost differs from the scaled one by at most this much.
    max_round_err = float(np.abs(obj - obj_int) @ ranges) / scale
    m.Minimize(sum(int(c) * xs[j] for j, c in enumerate(obj_int) if c))
    start = check_start(model, start)
    if start is not None:
        for v, val in zip(xs, start):
            m.AddHint(v, int(round(val)))
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_time_in_seconds = float(max(1.0, opts.time_limit_s - (time.perf_counter() - t0)))
    if opts.work_limit is not None:
        from ..clock import WEIGHTS

        p.max_deterministic_time = max(0.01, float(opts.work_limit) / WEIGHTS["cpsat"])
    p.num_workers = int(opts.threads)
    p.random_seed = int(opts.seed)
    p.relative_gap_limit = float(opts.gap)
    p.log_search_progress = True
    p.log_to_stdout = False  # the log goes to the callback (and the run directory), not the terminal
    lines: list[str] = []
    solver.log_callback = lines.append
    try:
        code = solver.Solve(m)
    except Exception as exc:  # noqa: BLE001
        return SolverOutput("error", None, None, None, time.perf_counter() - t0, "cpsat", version,
                            message=f"CP-SAT failed: {exc}")
    runtime = time.perf_counter() - t0
    log = "\n".join(lines)
    from ..clock import charge, wall_stop

    charge("cpsat", float(solver.deterministic_time))
    if opts.work_limit is not None and runtime >= p.max_time_in_seconds:
        wall_stop()
    x = None
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        x = np.array([solver.Value(v) for v in xs], dtype=float)
    bound = None
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        bound = solver.BestObjectiveBound() / scale + model.offset - max_round_err
    state = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible",
             cp_model.INFEASIBLE: "infeasible", cp_model.UNKNOWN: "no_solution"}.get(code, "error")
    if state == "optimal" and max_round_err > 0:
        # Optimal for the pence-rounded costs; the true optimum may differ by the rounding error.
        state = "optimal_rounded"
    return SolverOutput(state, x, model.objective_value(x) if x is not None else None, bound,
                        runtime, "cpsat", version, log=log,
                        message=f"CP-SAT {solver.StatusName(code)}; rounding error <= £{max_round_err:.2f}")
