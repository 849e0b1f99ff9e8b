"""SCIP (and CBC) through OR-Tools' pywraplp, and HiGHS when highspy is not installed (``highs``
is preferred: faster, with warm starts and a plan at the time limit). OR-Tools' bundled HiGHS needs no highspy,
whose releases from 1.13 on cannot share a process with OR-Tools 9.15 (their HiGHS symbols clash)."""
from __future__ import annotations

import time

import numpy as np

from ..formulations.linear import LinearModel
from .base import SolveOptions, SolverOutput, capture_native_output, check_start, read_log

_BACKEND = {"highs": "HIGHS", "scip": "SCIP", "cbc-ortools": "CBC"}


def solve_pywraplp(model: LinearModel, opts: SolveOptions, backend: str,
                   start: np.ndarray | None = None) -> SolverOutput:
    from ortools.linear_solver import pywraplp
    import ortools

    t0 = time.perf_counter()
    version = f"{_BACKEND[backend]} (OR-Tools {ortools.__version__})"
    s = pywraplp.Solver.CreateSolver(_BACKEND[backend])
    if s is None:
        return SolverOutput("error", None, None, None, 0.0, backend, version,
                            message=f"OR-Tools has no {_BACKEND[backend]} backend on this machine")
    inf = s.infinity()
    xs = []
    for j in range(model.n_vars):
        lb = model.lb[j] if np.isfinite(model.lb[j]) else -inf
        ub = model.ub[j] if np.isfinite(model.ub[j]) else inf
        xs.append(s.IntVar(lb, ub, f"v{j}") if model.integer[j] else s.NumVar(lb, ub, f"v{j}"))
    for idx, coef, lo, hi in model.rows:
        ct = s.RowConstraint(lo if np.isfinite(lo) else -inf, hi if np.isfinite(hi) else inf, "")
        for j, c in zip(idx, coef):
            ct.SetCoefficient(xs[int(j)], float(c))
    obj = s.Objective()
    for j, c in enumerate(model.obj):
        if c:
            obj.SetCoefficient(xs[j], float(c))
    obj.SetOffset(model.offset)
    obj.SetMinimization()
    start = check_start(model, start)
    # OR-Tools 9.15's HiGHS interface crashes the process (segfault) when given a hint, so HiGHS
    # gets none; the engine still keeps the heuristic incumbent if HiGHS finds nothing better.
    if start is not None and backend != "highs":
        s.SetHint(xs, [float(round(v)) for v in start])
    s.SetTimeLimit(int(max(1.0, opts.time_limit_s - (time.perf_counter() - t0)) * 1000))
    s.SetNumThreads(int(opts.threads))
    if backend == "scip":
        nodes = opts.node_limit()
        s.SetSolverSpecificParametersAsString(f"randomization/randomseedshift = {opts.seed}\n"
                                              + (f"limits/nodes = {nodes}\n" if nodes is not None else ""))
    elif opts.work_limit is not None:
        # OR-Tools' HiGHS interface accepts no solver-specific parameters (it returns False for
        # every one, the seed included), so it cannot be given a node limit
        return SolverOutput("error", None, None, None, 0.0, backend, version,
                            message="HiGHS through OR-Tools takes no node limit, so it cannot run to a "
                                    "work limit; use cbc, cpsat or scip, or a time limit")
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(pywraplp.MPSolverParameters.RELATIVE_MIP_GAP, max(opts.gap, 1e-9))
    s.EnableOutput()
    own = opts.log_path is None
    try:
        with capture_native_output(opts.log_path) as log_file:
            code = s.Solve(params)
    except Exception as exc:  # noqa: BLE001 - a solver crash is reported, not raised
        return SolverOutput("error", None, None, None, time.perf_counter() - t0, backend, version,
                            message=f"{_BACKEND[backend]} failed: {exc}")
    log = read_log(log_file, own)
    runtime = time.perf_counter() - t0
    from ..clock import charge, wall_stop

    charge("mip_lp", max(0, s.iterations()) * (len(model.rows) + model.n_vars))
    charge("mip_node", max(0, s.nodes()))
    if opts.work_limit is not None and runtime >= opts.time_limit_s:
        wall_stop()
    x = None
    if code in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        x = np.array([v.solution_value() for v in xs])
    bound = None
    if code in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        b = obj.BestBound()
        bound = float(b) if np.isfinite(b) else None
    if code == pywraplp.Solver.OPTIMAL:
        state = "optimal"
    elif code == pywraplp.Solver.FEASIBLE:
        state = "feasible"
    elif code == pywraplp.Solver.INFEASIBLE:
        state = "infeasible"
    elif code == pywraplp.Solver.NOT_SOLVED:
        state = "no_solution"
    else:
        state = "error"
    return SolverOutput(state, x, model.objective_value(x) if x is not None else None, bound,
                        runtime, backend, version, log=log, message=f"pywraplp status {code}")
