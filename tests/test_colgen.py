"""The experimental column-generation bound is valid: never above the true optimum."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimise.colgen import _price_hub, column_generation
from optimise.heuristics import construct
from optimise.problem import FederationProblem
from test_optimise import brute_force


def instance(xy, sizes, L=15000, U=45000, F=50000.0):
    xy = np.asarray(xy, float)
    w = np.asarray(sizes)
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    return FederationProblem(tuple(f"P{i}" for i in range(len(w))), w, 0.348 * w[:, None] * d, F, L, U)


def test_pricing_is_exact_against_enumeration():
    rng = np.random.default_rng(4)
    p = instance(rng.uniform(0, 30, (7, 2)), rng.integers(3000, 15000, 7))
    profit = rng.normal(0, 20000, 7)
    for h in range(7):
        best = -np.inf
        for mask in range(1 << 7):
            s = [i for i in range(7) if mask >> i & 1]
            if h in s and p.min_population <= p.list_size[s].sum() <= p.max_population:
                best = max(best, profit[s].sum())
        got = _price_hub(p, h, profit, p.list_size)
        if not np.isfinite(best):
            assert got is None
        else:
            assert got[0] == pytest.approx(best)
            assert profit[got[1]].sum() == pytest.approx(best)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_bound_never_exceeds_the_optimum(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 7))
    p = instance(rng.uniform(0, 30, (n, 2)), rng.integers(3000, 15000, n))
    opt = brute_force(p)
    start = construct(p, seed=0)
    if start is None:
        return
    out = column_generation(p, time_limit_s=20, start=start)
    assert out.lower_bound <= opt + 1e-6
    if out.plan is not None:
        assert p.is_feasible(*out.plan) and out.plan_cost >= opt - 1e-6
