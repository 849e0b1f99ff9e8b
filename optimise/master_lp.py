"""The master LP of column generation, behind one small interface with two back ends.

Column generation re-solves the same LP hundreds of times after small changes (a few new columns,
a cut, columns switched off between nodes), so what matters is the warm re-solve. Both back ends
keep the previous basis (presolve off, which would otherwise discard it):

* ``HighsLP``: HiGHS through ``highspy`` (1.12; 1.13+ cannot share a process with OR-Tools 9.15).
  Measured on a synthetic 300-row master: a warm re-solve after adding columns took 10-16 ms at
  5,000-10,000 columns, against GLOP's 85-177 ms (GLOP prices every column at every iteration and
  rebuilds its model from the pywraplp objects on each solve). The default when importable.
* ``GlopLP``: GLOP through OR-Tools' pywraplp, the fallback without highspy.

Rows and columns are plain indices in the order added. Every column has lower bound 0; its upper
bound is 0 (switched off) or infinity. Row duals follow the usual sign convention of both solvers
(reduced cost = cost - A^T duals), so a <= row binding in a minimisation has a dual <= 0.
"""
from __future__ import annotations

import importlib
import os
from collections.abc import Sequence

import numpy as np

from .clock import charge

INF = float("inf")


def _solver_bound(x: float, inf: float) -> float:
    """A bound in the solver's own spelling of infinity."""
    return inf if x == INF else (-inf if x == -INF else float(x))


def highs_available() -> bool:
    try:
        importlib.import_module("highspy")
    except ImportError:
        return False
    return True


def make_lp(backend: str | None = None):
    """A master LP: ``"highs"``, ``"glop"``, or ``None`` for HiGHS when importable (the environment
    variable ``FEDPLAN_MASTER_LP`` overrides the default, for comparisons)."""
    backend = backend or os.environ.get("FEDPLAN_MASTER_LP") or ("highs" if highs_available() else "glop")
    if backend == "highs":
        return HighsLP()
    if backend == "glop":
        return GlopLP()
    raise ValueError(f"master LP back end {backend!r}: use 'highs' or 'glop'")


class HighsLP:
    name = "highs"

    def __init__(self):
        import highspy

        self._hs = highspy
        self.h = highspy.Highs()
        # primal simplex: the usual change is new columns, which leave the basis primal feasible.
        # HiGHS' default dual simplex took 42 s over 164 re-solves of a 402-point CPMP's master
        # where the primal took 25 s over 960
        for key, value in (("output_flag", False), ("presolve", "off"), ("threads", 1),
                           ("random_seed", 0), ("simplex_strategy", 4)):
            self.h.setOptionValue(key, value)
        self.n_rows = 0
        self.n_cols = 0
        self._inf = highspy.kHighsInf

    def _b(self, x: float) -> float:
        return _solver_bound(x, self._inf)

    def add_row(self, lo: float, hi: float, cols: Sequence[int] = ()) -> int:
        cols = np.asarray(cols, dtype=np.int32)
        self.h.addRow(self._b(lo), self._b(hi), len(cols), cols, np.ones(len(cols)))
        self.n_rows += 1
        return self.n_rows - 1

    def add_cols(self, costs: Sequence[float], rows: Sequence[Sequence[int]],
                 values: Sequence[Sequence[float]] | None = None) -> int:
        """Columns with cost ``costs[j]``, bounds [0, inf) and coefficients ``values[j]`` (1s by
        default) in ``rows[j]``; returns the first one's index."""
        k = len(costs)
        first = self.n_cols
        if k == 0:
            return first
        lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=k)
        starts = np.zeros(k, dtype=np.int32)
        starts[1:] = np.cumsum(lengths)[:-1]
        index = (np.concatenate([np.asarray(r, dtype=np.int32) for r in rows]) if lengths.sum()
                 else np.zeros(0, np.int32))
        coef = (np.concatenate([np.asarray(v, float) for v in values]) if values is not None and len(index)
                else np.ones(len(index)))
        self.h.addCols(k, np.asarray(costs, float), np.zeros(k), np.full(k, self._inf),
                       int(lengths.sum()), starts, index, coef)
        self.n_cols += k
        return first

    def set_upper(self, cols: Sequence[int], upper: float) -> None:
        cols = np.asarray(cols, dtype=np.int32)
        if len(cols):
            self.h.changeColsBounds(len(cols), cols, np.zeros(len(cols)), np.full(len(cols), self._b(upper)))

    def set_costs(self, cols: Sequence[int], costs: Sequence[float]) -> None:
        cols = np.asarray(cols, dtype=np.int32)
        if len(cols):
            self.h.changeColsCost(len(cols), cols, np.asarray(costs, float))

    def set_row_bounds(self, row: int, lo: float, hi: float) -> None:
        self.h.changeRowBounds(int(row), self._b(lo), self._b(hi))

    def solve(self):
        """(ok, objective, row duals, column values)."""
        self.h.run()
        size = self.n_rows + self.n_cols
        charge("lp_highs", self.h.getInfo().simplex_iteration_count * size)
        if self.h.getModelStatus() != self._hs.HighsModelStatus.kOptimal:
            # a fresh start (no basis) before giving up: the warm basis can go singular after many
            # column switches on badly scaled masters
            self.h.clearSolver()
            self.h.run()
            charge("lp_highs", self.h.getInfo().simplex_iteration_count * size)
            if self.h.getModelStatus() != self._hs.HighsModelStatus.kOptimal:
                return False, None, None, None
        sol = self.h.getSolution()
        return (True, float(self.h.getInfo().objective_function_value),
                np.asarray(sol.row_dual, float), np.asarray(sol.col_value, float))


class GlopLP:
    name = "glop"

    def __init__(self):
        from ortools.linear_solver import pywraplp

        self._pywraplp = pywraplp
        self.lp = pywraplp.Solver.CreateSolver("GLOP")
        # GLOP's presolve throws away the previous basis: without it every re-solve after a few new
        # columns or a cut is a warm start (measured: 3-5x faster LPs with subset-row cuts)
        self.lp.SetSolverSpecificParametersAsString("use_preprocessing: false")
        self.rows = []
        self.cols = []
        self.obj = self.lp.Objective()
        self.obj.SetMinimization()

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        return len(self.cols)

    def _b(self, x: float) -> float:
        return _solver_bound(x, self.lp.infinity())

    def add_row(self, lo: float, hi: float, cols: Sequence[int] = ()) -> int:
        row = self.lp.Constraint(self._b(lo), self._b(hi))
        for j in cols:
            row.SetCoefficient(self.cols[j], 1.0)
        self.rows.append(row)
        return len(self.rows) - 1

    def add_cols(self, costs: Sequence[float], rows: Sequence[Sequence[int]],
                 values: Sequence[Sequence[float]] | None = None) -> int:
        first = len(self.cols)
        for j, (cost, rs) in enumerate(zip(costs, rows)):
            v = self.lp.NumVar(0.0, self.lp.infinity(), "")
            self.obj.SetCoefficient(v, float(cost))
            for t, r in enumerate(rs):
                self.rows[r].SetCoefficient(v, 1.0 if values is None else float(values[j][t]))
            self.cols.append(v)
        return first

    def set_upper(self, cols: Sequence[int], upper: float) -> None:
        ub = self._b(upper)
        for j in cols:
            self.cols[j].SetUb(ub)

    def set_costs(self, cols: Sequence[int], costs: Sequence[float]) -> None:
        for j, c in zip(cols, costs):
            self.obj.SetCoefficient(self.cols[j], float(c))

    def set_row_bounds(self, row: int, lo: float, hi: float) -> None:
        self.rows[row].SetBounds(self._b(lo), self._b(hi))

    def solve(self):
        status = self.lp.Solve()
        size = len(self.rows) + len(self.cols)
        charge("lp", self.lp.iterations() * size)
        if status != self._pywraplp.Solver.OPTIMAL:
            # GLOP's primal simplex can end ABNORMAL on badly scaled masters (costs near 1e8 with
            # big-M artificials); its dual simplex settles them. Keep it for later solves.
            for params in ("use_dual_simplex: true, use_preprocessing: false", "use_dual_simplex: true"):
                self.lp.SetSolverSpecificParametersAsString(params)
                status = self.lp.Solve()
                charge("lp", self.lp.iterations() * size)
                if status == self._pywraplp.Solver.OPTIMAL:
                    break
        if status != self._pywraplp.Solver.OPTIMAL:
            return False, None, None, None
        duals = np.array([r.dual_value() for r in self.rows])
        x = np.array([v.solution_value() for v in self.cols])
        return True, float(self.obj.Value()), duals, x
