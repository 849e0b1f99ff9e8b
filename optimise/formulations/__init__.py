"""Pure model builders: problem data in, a solver-neutral LinearModel out.

=================  ==============================================================================
``linear``         ``LinearModel``: a mixed-integer linear model as arrays, for every adapter
``assignment``     the compact practice -> hub assignment model (the ``compact`` method)
=================  ==============================================================================
"""
from .linear import LinearModel
from .assignment import build_assignment_model

__all__ = ["LinearModel", "build_assignment_model"]
