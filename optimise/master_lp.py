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
    """HiGHS with stable column ids and switched-off columns taken out of the solver.

    A column switched off (upper bound 0) stays in the LP until it is nonbasic after a solve; once
    more than half of the solver's columns are off (and at least ``COMPACT_MIN``), the nonbasic
    ones are deleted from HiGHS, which keeps the basis valid (deleting a basic column would not).
    The column's data stays here: switching it back on adds it again, with any cut rows added
    since. Why: the simplex prices every column it holds, fixed or not. On a 402-point CPMP's
    master, 10,000 columns at upper bound 0 made the same 33,000 iterations take 16 s instead of
    4.5 s, and the root master held 3 switched-off columns for every live one."""

    name = "highs"
    COMPACT_MIN = 3000
    DUAL_AFTER_CUT_OFF = True      # see ``solve``

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
        self._inf = highspy.kHighsInf
        # per column id: cost, rows, coefficients (None: all 1), upper bound; its HiGHS index or -1
        self._cost: list[float] = []
        self._rows: list[list[int]] = []
        self._vals: list[list[float] | None] = []
        self._upper: list[float] = []
        self._pos: list[int] = []
        self._ids: list[int] = []          # HiGHS index -> column id
        self._off_in = 0                   # columns in HiGHS with upper bound 0
        # column values (by id) at the last solve, row bounds as set, and whether a change since
        # has cut off that solution: the next solve then runs the dual simplex (see ``solve``)
        self._last = np.zeros(0)
        self._row_bounds: dict[int, tuple[float, float]] = {}
        self._cut_off = False
        self._held = None                  # (basis, columns in HiGHS then) kept by ``hold``
        self._no_limit = self.h.getOptionValue("simplex_iteration_limit")[1]

    @property
    def n_cols(self) -> int:
        return len(self._cost)

    @property
    def solver_cols(self) -> int:
        """Columns HiGHS holds now (switched-off ones not yet taken out included)."""
        return len(self._ids)

    def _b(self, x: float) -> float:
        return _solver_bound(x, self._inf)

    def add_row(self, lo: float, hi: float, cols: Sequence[int] = ()) -> int:
        row = self.n_rows
        self._row_bounds[row] = (lo, hi)
        inside = []
        for j in cols:
            self._rows[j].append(row)
            if self._vals[j] is not None:
                self._vals[j].append(1.0)
            if self._pos[j] >= 0:
                inside.append(self._pos[j])
        idx = np.asarray(inside, dtype=np.int32)
        self.h.addRow(self._b(lo), self._b(hi), len(idx), idx, np.ones(len(idx)))
        self.n_rows += 1
        return row

    def _to_solver(self, ids: Sequence[int]) -> None:
        """Add columns ``ids`` (stored here) to HiGHS, at the end."""
        k = len(ids)
        if k == 0:
            return
        lengths = np.fromiter((len(self._rows[j]) for j in ids), dtype=np.int64, count=k)
        starts = np.zeros(k, dtype=np.int32)
        starts[1:] = np.cumsum(lengths)[:-1]
        nnz = int(lengths.sum())
        index = (np.concatenate([np.asarray(self._rows[j], dtype=np.int32) for j in ids]) if nnz
                 else np.zeros(0, np.int32))
        coef = (np.concatenate([np.ones(len(self._rows[j])) if self._vals[j] is None
                                else np.asarray(self._vals[j], float) for j in ids]) if nnz else np.zeros(0))
        upper = np.array([self._b(self._upper[j]) for j in ids])
        self.h.addCols(k, np.array([self._cost[j] for j in ids], float), np.zeros(k), upper, nnz, starts,
                       index, coef)
        for j in ids:
            self._pos[j] = len(self._ids)
            self._ids.append(j)
            self._off_in += self._upper[j] == 0.0

    def add_cols(self, costs: Sequence[float], rows: Sequence[Sequence[int]],
                 values: Sequence[Sequence[float]] | None = None) -> int:
        """Columns with cost ``costs[j]``, bounds [0, inf) and coefficients ``values[j]`` (1s by
        default) in ``rows[j]``; returns the first one's id."""
        first = self.n_cols
        for j, (cost, rs) in enumerate(zip(costs, rows)):
            self._cost.append(float(cost))
            self._rows.append([int(r) for r in rs])
            self._vals.append(None if values is None else [float(v) for v in values[j]])
            self._upper.append(INF)
            self._pos.append(-1)
        self._to_solver(range(first, self.n_cols))
        return first

    def set_upper(self, cols: Sequence[int], upper: float) -> None:
        upper = float(upper)
        if upper == 0.0 and not self._cut_off and len(self._last):
            ids = np.asarray(cols, dtype=np.int64)
            ids = ids[ids < len(self._last)]
            self._cut_off = bool((self._last[ids] > 1e-9).any())
        inside, back = [], []
        for j in cols:
            j = int(j)
            if self._pos[j] >= 0:
                if (self._upper[j] == 0.0) != (upper == 0.0):
                    self._off_in += 1 if upper == 0.0 else -1
                inside.append(self._pos[j])
            elif upper != 0.0:
                back.append(j)
            self._upper[j] = upper
        if inside:
            idx = np.asarray(inside, dtype=np.int32)
            self.h.changeColsBounds(len(idx), idx, np.zeros(len(idx)), np.full(len(idx), self._b(upper)))
        self._to_solver(back)

    def set_costs(self, cols: Sequence[int], costs: Sequence[float]) -> None:
        inside, values = [], []
        for j, c in zip(cols, costs):
            self._cost[int(j)] = float(c)
            if self._pos[int(j)] >= 0:
                inside.append(self._pos[int(j)])
                values.append(float(c))
        if inside:
            self.h.changeColsCost(len(inside), np.asarray(inside, dtype=np.int32), np.asarray(values))

    def set_row_bounds(self, row: int, lo: float, hi: float) -> None:
        if self._row_bounds.get(int(row)) == (lo, hi):
            return
        self._row_bounds[int(row)] = (lo, hi)
        self._cut_off = True
        self.h.changeRowBounds(int(row), self._b(lo), self._b(hi))

    def hold(self) -> None:
        """Keep the current basis for ``probe`` (columns stay in HiGHS until ``release``)."""
        self._held = (self.h.getBasis(), len(self._ids))

    def release(self) -> None:
        """Back to the held basis; later solves compact again."""
        self._restore_held()
        self._held = None

    def _restore_held(self) -> None:
        basis, k = self._held
        if not basis.valid:
            return
        if len(self._ids) > k:
            # columns switched back on since were appended: nonbasic at their lower bound 0
            basis.col_status = list(basis.col_status) + [self._hs.HighsBasisStatus.kLower] * (len(self._ids) - k)
        self.h.setBasis(basis)

    def _run(self, dual: bool, iterations: int | None = None) -> None:
        """One HiGHS run, by the dual simplex and/or with an iteration limit when asked; the
        usual options (primal simplex, no limit) are back afterwards."""
        changed = []
        if dual:
            changed.append(("simplex_strategy", 1, 4))
        if iterations is not None:
            changed.append(("simplex_iteration_limit", int(iterations), self._no_limit))
        for key, value, _ in changed:
            self.h.setOptionValue(key, value)
        try:
            self.h.run()
        finally:
            for key, _, usual in changed:
                self.h.setOptionValue(key, usual)

    def probe(self, iterations: int) -> float:
        """A lower bound on the LP value under the present column bounds: dual simplex from the
        held basis (a node's optimal basis stays dual feasible when columns are only switched
        off), stopped after ``iterations``. The dual objective never falls as the dual simplex
        runs, so its value where it stops is at most the LP optimum (inf when infeasible)."""
        self._restore_held()
        self._run(dual=True, iterations=iterations)
        status = self.h.getModelStatus()
        self._cut_off = True
        charge("lp_highs", self.h.getInfo().simplex_iteration_count * (self.n_rows + len(self._ids)))
        if status == self._hs.HighsModelStatus.kInfeasible:
            return INF
        if status in (self._hs.HighsModelStatus.kOptimal, self._hs.HighsModelStatus.kIterationLimit):
            return float(self.h.getInfo().objective_function_value)
        return -INF

    def _compact(self) -> None:
        """Take switched-off nonbasic columns out of HiGHS (see the class docstring)."""
        if self._held is not None:
            return
        if self._off_in < max(self.COMPACT_MIN, len(self._ids) // 2):
            return
        basis = self.h.getBasis()
        if not basis.valid:
            return
        basic = self._hs.HighsBasisStatus.kBasic
        status = basis.col_status
        drop = [k for k, j in enumerate(self._ids) if self._upper[j] == 0.0 and status[k] != basic]
        if not drop:
            return
        idx = np.asarray(drop, dtype=np.int32)
        self.h.deleteCols(len(idx), idx)
        gone = set(drop)
        for k in drop:
            self._pos[self._ids[k]] = -1
        self._ids = [j for k, j in enumerate(self._ids) if k not in gone]
        for k, j in enumerate(self._ids):
            self._pos[j] = k
        self._off_in -= len(drop)

    def solve(self):
        """(ok, objective, row duals, column values by id).

        Primal simplex, except right after a change that cut off the last solution (a column it
        used switched off, a row bound moved: a branch-and-price node's rules): the old basis
        then stays dual feasible, and the dual simplex restores the primal side in far fewer
        iterations. On a 300-point CPMP the first solve of a node took 128 ms and 1,422
        iterations with the primal, 23.5 ms and 241 with the dual; the many re-solves after new
        columns (primal feasible) stay with the primal (see ``__init__``). Not after a new cut:
        the root's vertex then differed, and on Devon the root's rounding and dive found a
        £0.28M dearer plan, the region passes took 15 s to repair it, and the 60 s proof was lost."""
        self._compact()
        self._run(dual=self._cut_off and self.DUAL_AFTER_CUT_OFF)
        self._cut_off = False
        size = self.n_rows + len(self._ids)
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
        values = np.zeros(self.n_cols)
        if self._ids:
            values[np.asarray(self._ids, dtype=np.int64)] = np.asarray(sol.col_value, float)
        self._last = values
        return (True, float(self.h.getInfo().objective_function_value),
                np.asarray(sol.row_dual, float), values)


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
