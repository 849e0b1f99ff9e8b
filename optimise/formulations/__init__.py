"""Pure model builders: problem data in, a solver-neutral LinearModel out."""
from .linear import LinearModel
from .assignment import build_assignment_model

__all__ = ["LinearModel", "build_assignment_model"]
