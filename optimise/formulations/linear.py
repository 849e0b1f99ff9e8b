"""A small solver-neutral container for a mixed-integer linear model.

Builders fill it; adapters in ``optimise.solvers`` translate it into pulp, pywraplp or CP-SAT.
Keeping the model as arrays means every adapter sees exactly the same maths.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class LinearModel:
    """min c·x + offset  s.t.  lo_r <= a_r·x <= hi_r,  lb <= x <= ub,  x_j integer where flagged."""

    name: str = "model"
    var_names: list[str] = field(default_factory=list)
    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    obj: list[float] = field(default_factory=list)
    offset: float = 0.0
    # each row: (variable indices, coefficients, lo, hi); use -inf / inf for one-sided rows
    rows: list[tuple[np.ndarray, np.ndarray, float, float]] = field(default_factory=list)
    row_names: list[str] = field(default_factory=list)

    def add_var(self, name: str, lb: float = 0.0, ub: float = 1.0, integer: bool = True,
                obj: float = 0.0) -> int:
        self.var_names.append(name)
        self.lb.append(lb)
        self.ub.append(ub)
        self.integer.append(integer)
        self.obj.append(obj)
        return len(self.var_names) - 1

    def add_row(self, idx, coef, lo: float = -np.inf, hi: float = np.inf, name: str = "") -> None:
        self.rows.append((np.asarray(idx, dtype=np.int64), np.asarray(coef, dtype=float),
                          float(lo), float(hi)))
        self.row_names.append(name or f"r{len(self.rows) - 1}")

    @property
    def n_vars(self) -> int:
        return len(self.var_names)

    def objective_value(self, x: np.ndarray) -> float:
        return float(np.dot(self.obj, x) + self.offset)

    def violation(self, x: np.ndarray, tol: float = 1e-6) -> str | None:
        """Name of the first row or bound that ``x`` breaks, or None (used to vet warm starts)."""
        x = np.asarray(x, float)
        if np.any(x < np.asarray(self.lb) - tol) or np.any(x > np.asarray(self.ub) + tol):
            return "variable bounds"
        for (idx, coef, lo, hi), name in zip(self.rows, self.row_names):
            v = float(np.dot(coef, x[idx]))
            if v < lo - tol or v > hi + tol:
                return name
        return None
