"""The HiGHS adapter: highspy when installed, OR-Tools' HiGHS otherwise; both give the same
answers, keep their logs off the terminal, and report infeasible models as such."""
from __future__ import annotations

import numpy as np
import pytest

from fedplan.optimise.formulations import build_assignment_model
from fedplan.optimise.formulations.linear import LinearModel
from fedplan.optimise.problem import FederationProblem
from fedplan.optimise.solvers import SolveOptions, run_solver
import fedplan.optimise.solvers.highs as highs
def _cpmp(seed: int = 4, n: int = 30, p: int = 4) -> FederationProblem:
    """A small capacitated p-median: random points, demand 1-20, capacity for 85 % fill."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, size=(n, 2))
    demand = rng.integers(1, 21, size=n)
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    cap = int(np.ceil(demand.sum() / (0.85 * p)))
    return FederationProblem(codes=tuple(str(i) for i in range(n)), list_size=demand, assign_cost=d, hub_cost=0.0,
                             min_population=0, max_population=cap, n_federations=p)


def test_highspy_and_ortools_prove_the_same_optimum(monkeypatch, capfd):
    built = build_assignment_model(_cpmp())
    opts = SolveOptions(time_limit_s=60, gap=0.0)
    ours = run_solver("highs", built.model, opts)
    assert "highspy" in ours.version
    monkeypatch.setattr(highs, "available", lambda: False)
    theirs = run_solver("highs", built.model, opts)
    assert "OR-Tools" in theirs.version
    assert ours.state == theirs.state == "optimal"
    assert ours.objective == pytest.approx(theirs.objective, rel=1e-9)
    assert ours.bound <= ours.objective + 1e-6
    assert built.model.violation(ours.x) is None
    # the solver's own log went to the capture, none of it to the terminal
    out, err = capfd.readouterr()
    assert "HiGHS" not in out + err
    assert "HiGHS" in ours.log


def test_a_warm_start_is_accepted_and_the_optimum_kept():
    problem = _cpmp(seed=9)
    built = build_assignment_model(problem)
    # the proven optimum of a first run is the start of a second
    first = run_solver("highs", built.model, SolveOptions(time_limit_s=60))
    assert first.state == "optimal"
    again = run_solver("highs", built.model, SolveOptions(time_limit_s=60), start=first.x)
    assert again.state == "optimal" and again.objective == pytest.approx(first.objective, rel=1e-9)


def test_an_infeasible_model_is_reported_as_infeasible():
    m = LinearModel(name="none")
    a, b = m.add_var("a"), m.add_var("b")
    m.add_row([a, b], [1.0, 1.0], lo=3.0)        # two binaries cannot reach 3
    out = run_solver("highs", m, SolveOptions(time_limit_s=10))
    assert out.state == "infeasible" and out.x is None and out.bound is None


def test_the_log_is_written_where_asked(tmp_path):
    built = build_assignment_model(_cpmp(n=12, p=2))
    log = tmp_path / "solver.log"
    out = run_solver("highs", built.model, SolveOptions(time_limit_s=30, log_path=log))
    assert out.state == "optimal"
    assert "HiGHS" in log.read_text()


def test_a_work_limit_is_refused_in_words():
    built = build_assignment_model(_cpmp(n=12, p=2))
    out = run_solver("highs", built.model, SolveOptions(time_limit_s=30, work_limit=1.0))
    assert out.state == "error" and out.x is None and "work limit" in out.message
