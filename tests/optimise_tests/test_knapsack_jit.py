"""The compiled pricing search visits the same subsets as the Python one: same best profits,
same incumbents, same exact flag, same enumeration, with and without cuts and conflicts."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fedplan.optimise.branch_price import knapsack_jit as jit
from fedplan.optimise.branch_price.knapsack import Knapsack, csr, prepare_numpy, relaxation_numpy
from fedplan.optimise.branch_price.pricing import Pricer

pytestmark = pytest.mark.skipif(not jit.AVAILABLE, reason="numba not installed")


def knapsacks(seed: int, m: int, with_cuts: bool, with_conf: bool):
    rng = np.random.default_rng(seed)
    p = np.round(rng.normal(2.0, 4.0, m), 3)
    w = rng.integers(0, 30, m)
    lo = int(rng.integers(0, 60))
    hi = lo + int(rng.integers(0, 80))
    cuts = conflicts = None
    if with_cuts:
        n_cuts = int(rng.integers(1, 8))
        item_cuts = [sorted(set(rng.integers(0, n_cuts, int(rng.integers(0, 3))).tolist())) for _ in range(m)]
        cuts = (item_cuts, rng.uniform(0, 3, n_cuts).tolist(), rng.integers(0, 2, n_cuts).tolist())
    if with_conf and m >= 2:
        conflicts = [[] for _ in range(m)]
        for _ in range(int(rng.integers(1, 6))):
            a, b = rng.choice(m, 2, replace=False)
            conflicts[a].append(int(b))
            conflicts[b].append(int(a))
    compiled = Knapsack(p, w, np.arange(m), lo, hi, cuts=cuts, conflicts=conflicts)
    python = Knapsack(p, w, np.arange(m), lo, hi, cuts=cuts, conflicts=conflicts, compiled=False)
    assert compiled.runs_compiled and not python.runs_compiled   # the comparison is real: one runs the kernel
    return compiled, python


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 10**6), m=st.integers(1, 18), with_cuts=st.booleans(), with_conf=st.booleans(),
       floor=st.floats(-5, 10), node_limit=st.integers(1, 400))
def test_best_matches_python(seed, m, with_cuts, with_conf, floor, node_limit):
    compiled, python = knapsacks(seed, m, with_cuts, with_conf)
    a = compiled.best(floor, node_limit=node_limit, keep=3)
    b = python.best(floor, node_limit=node_limit, keep=3)
    assert a[2] == b[2]
    assert (a[0] is None) == (b[0] is None)
    if a[0] is not None:
        assert a[0] == pytest.approx(b[0], abs=1e-9)
        assert [sorted(s) for _, s in a[1]] == [sorted(s) for _, s in b[1]]


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 10**6), m=st.integers(1, 14), with_cuts=st.booleans(), with_conf=st.booleans(),
       floor=st.floats(-5, 10), limit=st.integers(1, 300))
def test_enumerate_matches_python(seed, m, with_cuts, with_conf, floor, limit):
    compiled, python = knapsacks(seed, m, with_cuts, with_conf)
    a = compiled.enumerate(floor, limit)
    b = python.enumerate(floor, limit)
    assert (a is None) == (b is None)
    if a is not None:
        assert sorted((round(v, 9), tuple(sorted(s))) for v, s in a) == \
            sorted((round(v, 9), tuple(sorted(s))) for v, s in b)


def test_many_incumbents_keep_the_last_ones():
    # a long sequence of improving subsets overflows the kernel's first buffer (64 entries)
    m = 120
    p = np.linspace(0.1, 5.0, m)[::-1].copy()
    w = np.ones(m, np.int64)
    compiled = Knapsack(p, w, np.arange(m), 0, m)
    python = Knapsack(p, w, np.arange(m), 0, m, compiled=False)
    a, b = compiled.best(-1.0, keep=3), python.best(-1.0, keep=3)
    assert a[0] == pytest.approx(b[0]) and a[2] == b[2]
    assert [sorted(s) for _, s in a[1]] == [sorted(s) for _, s in b[1]]


def relaxation_case(seed: int, n: int):
    rng = np.random.default_rng(seed)
    P = np.round(rng.normal(0.0, 5.0, (n, n)), 3)
    P[rng.random((n, n)) < 0.3] = -np.inf
    w = rng.integers(0, 10, n)
    w[rng.random(n) < 0.15] = 0
    lo = rng.integers(-20, 60, n)
    hi = lo + rng.integers(-5, 80, n)
    return P, w, lo, hi


def same_bounds(a, b):
    assert np.array_equal(np.isneginf(a), np.isneginf(b))
    f = np.isfinite(a)
    np.testing.assert_allclose(a[f], b[f], rtol=1e-9, atol=1e-9)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 40))
def test_relaxation_matches_numpy(seed, n):
    P, w, lo, hi = relaxation_case(seed, n)
    got = jit.relaxation_segments(np.ascontiguousarray(P.T), w.astype(float), np.zeros(1),
                                  lo.astype(float)[None, :], hi.astype(float)[None, :])[0]
    same_bounds(got, relaxation_numpy(P, w, lo, hi))


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 30), segments=st.integers(1, 6))
def test_relaxation_segments_match_one_segment_at_a_time(seed, n, segments):
    """One sort per hub for all segments gives each segment's own relaxation (profits shifted by
    -beta * w, its own window)."""
    rng = np.random.default_rng(seed + 1)
    B, w, _, _ = relaxation_case(seed, n)
    beta = np.round(rng.normal(0.0, 0.5, segments), 3)
    LO = rng.integers(-20, 60, (segments, n)).astype(float)
    HI = LO + rng.integers(-5, 80, (segments, n))
    got = jit.relaxation_segments(np.ascontiguousarray(B.T), w.astype(float), beta, LO, HI)
    for s in range(segments):
        same_bounds(got[s], relaxation_numpy(B - beta[s] * w[:, None], w, LO[s], HI[s]))


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 10), need=st.floats(-20, 40))
def test_the_compiled_item_filter_keeps_every_item_of_a_profitable_column(seed, n, need):
    """The per-hub item filter drops practice i only when no subset holding i within the weight
    window has profit above ``need`` (brute force), and keeps what the numpy version keeps."""
    import itertools
    from types import SimpleNamespace

    rng = np.random.default_rng(seed)
    ph = np.round(rng.normal(3.0, 6.0, n), 2)
    ph[rng.random(n) < 0.2] = -np.inf
    w = rng.integers(0, 12, n).astype(np.int64)
    lo, hi = float(rng.integers(-5, 20)), float(rng.integers(0, 40))
    items, count = jit.filter_items(ph, w, lo, hi, need)
    assert count == int(np.isfinite(ph).sum())
    kept = set(items.tolist())
    cand = np.flatnonzero(np.isfinite(ph)).tolist()
    for i in cand:
        if i in kept:
            continue
        for r in range(len(cand)):
            for rest in itertools.combinations([j for j in cand if j != i], r):
                S = [i, *rest]
                if lo <= w[S].sum() <= hi:
                    assert ph[S].sum() <= need + 1e-6
    pricer = Pricer.__new__(Pricer)            # just what the numpy filter reads
    pricer.w = w
    pricer.mode = SimpleNamespace(compiled=False)
    if count:
        numpy_kept = set(Pricer.candidate_items(pricer, ph, 0, need, np.array([lo]), np.array([hi])).tolist())
        assert numpy_kept <= kept


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 10**6), m=st.integers(0, 15), owners=st.integers(0, 8))
def test_the_compiled_set_up_matches_numpy(seed, m, owners):
    """Sorting, prefix sums and cut lists of a knapsack: the compiled set-up and the numpy one
    agree exactly (items whose owner has no list, or lies beyond the lists, get none)."""
    rng = np.random.default_rng(seed)
    p = np.round(rng.normal(1.0, 3.0, m), 2)
    w = rng.integers(0, 5, m).astype(np.int64)
    lists = [sorted(rng.choice(20, int(rng.integers(0, 4)), replace=False).tolist()) for _ in range(owners)]
    ptr, ids = csr(lists)
    owner = rng.integers(0, owners + 3, m).astype(np.int64)
    a = jit.prepare(p, w, owner, ptr, ids)
    b = prepare_numpy(p, w, owner, ptr, ids)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
