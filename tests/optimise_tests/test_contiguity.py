"""Contiguity: every federation must be connected on the practice adjacency graph. Branch and
price keeps each priced column connected; the switch must bite, match a brute-force oracle, be
explained in words when impossible, and be re-checked by verify()."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fedplan.inputs.model import BoundsSpec, ConstraintsSpec, MakeBuySpec, RiskSpec, Scenario
from fedplan.optimise import FederationProblem, ProblemInfeasible, Status, solve_federations, verify
from engine_instances import brute_force, every_partition, make_practices

PLAIN = dict(makebuy=MakeBuySpec(joint=False), risk=RiskSpec(enabled=False))


def brute_force_connected(p: FederationProblem) -> float:
    """The oracle of engine_instances, with every federation required to be connected."""
    best = np.inf
    for part in every_partition(list(range(p.n))):
        if p.n_federations is not None and len(part) != p.n_federations:
            continue
        if not all(p.connected(block) for block in part):
            continue
        total = p.hub_cost * len(part)
        for block in part:
            pop = p.list_size[block].sum()
            costs = [p.assign_cost[block, j].sum() for j in block if p.allowed[block, j].all()]
            if not (p.min_population <= pop <= p.max_population) or not costs:
                total = np.inf
                break
            total += min(costs) + p.size_term(int(pop))
        best = min(best, total)
    return best


def ring_problem(adjacency=None) -> FederationProblem:
    """Six practices on a path 0-1-2-3-4-5 whose access costs make {0, 2, 4} / {1, 3, 5} the
    cheapest pair of federations: neither is connected on the path."""
    n = 6
    a = np.full((n, n), 50_000.0)
    for group in ((0, 2, 4), (1, 3, 5)):
        for i in group:
            for j in group:
                a[i, j] = 0.0 if i == j else 1_000.0
    return FederationProblem(tuple(f"P{i}" for i in range(n)), np.full(n, 10_000), a, 100_000.0, 25_000, 35_000,
                             None, adjacency=adjacency)


PATH = tuple((i, i + 1) for i in range(5))


def test_contiguity_bites_and_matches_the_oracle():
    free = solve_federations(ring_problem(), "cbc", time_limit_s=30)
    assert free.status is Status.OPTIMAL
    labels = free.assignment
    assert labels[0] == labels[2] == labels[4] != labels[1]           # the interleaved plan
    p = ring_problem(PATH)
    assert not p.is_feasible(free.assignment, free.hubs)
    res = solve_federations(p, "cbc", time_limit_s=30)
    assert res.status is Status.OPTIMAL
    assert res.objective == pytest.approx(brute_force_connected(p), rel=1e-9)
    assert res.objective > free.objective + 1.0
    for f in range(res.n_federations):
        assert p.connected(np.flatnonzero(res.assignment == f))


def test_verify_flags_a_federation_that_is_not_connected():
    pr = make_practices([(i, 0) for i in range(6)], [10_000] * 6)
    sc = Scenario(bounds=BoundsSpec(min_population=25_000, max_population=35_000),
                  constraints=ConstraintsSpec(contiguity=True), **PLAIN)
    # practices on one line: verify builds the path P00-P01-...-P05 as their adjacency graph
    interleaved = {f"P{i:02d}": "A" if i % 2 == 0 else "B" for i in range(6)}
    v = verify(sc, interleaved, {"A": "P00", "B": "P01"}, practices=pr)
    assert not v.ok and any("not contiguous" in m for m in v.problems)
    halves = {f"P{i:02d}": "A" if i < 3 else "B" for i in range(6)}
    assert verify(sc, halves, {"A": "P01", "B": "P04"}, practices=pr).ok


def test_an_unreachable_floor_under_contiguity_is_explained_in_words():
    # a practice may only share a hub with practices of its own parity (30,000 patients each way,
    # enough without contiguity), but on the path 0-1-2-3-4-5 those are never neighbours
    idx = np.arange(6)
    allowed = (idx[:, None] % 2) == (idx[None, :] % 2)
    p = FederationProblem(tuple(f"P{i}" for i in range(6)), np.full(6, 10_000), np.zeros((6, 6)), 1.0, 25_000,
                          100_000, None, allowed=allowed, adjacency=PATH)
    solve_federations(p.replace(adjacency=None), "cbc", time_limit_s=10)        # fine without contiguity
    with pytest.raises(ProblemInfeasible) as err:
        solve_federations(p, "cbc", time_limit_s=10)
    text = str(err.value)
    assert "contiguity" in text and "10,000" in text and "25,000" in text and "P0" in text


def test_compact_method_refuses_contiguity():
    with pytest.raises(ValueError, match="branch_price"):
        solve_federations(ring_problem(PATH), "cbc", time_limit_s=5, method="compact")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(4, 8))
# a node whose rules leave only artificial columns: it needs the exhaustive connected search (the
# tree used to stop there, at 0.3 s of 60, with the trivial bound)
@example(seed=422, n=6)
# a node forcing a member that is not next to the hub: the greedy connected growth returned hub +
# forced member as a column (disconnected), the integral node was refused and the run ended, at
# 0.2 s, with no plan
@example(seed=770, n=8)
def test_branch_and_price_with_contiguity_matches_brute_force(seed, n):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 30, (n, 2))
    sizes = rng.integers(3_000, 15_000, n)
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    # a sparse random tree plus a few chords: many partitions are disconnected
    edges = {(int(i), int(rng.integers(0, i))) for i in range(1, n)}
    edges |= {tuple(sorted(map(int, rng.choice(n, 2, replace=False)))) for _ in range(n // 3)}
    a = rng.uniform(0.2, 1.5) * sizes[:, None] * d
    p = FederationProblem(tuple(f"P{i}" for i in range(n)), sizes, a, 20_000.0, 10_000, 30_000, None,
                          adjacency=tuple(edges))
    opt = brute_force_connected(p)
    if not np.isfinite(opt):
        # no connected plan: refused in words up front, or proven by phase 1 of column generation
        try:
            res = solve_federations(p, "cbc", time_limit_s=30)
        except ProblemInfeasible:
            return
        assert res.status is Status.INFEASIBLE and not res.has_plan
        return
    res = solve_federations(p, "cbc", time_limit_s=60)
    assert res.status is Status.OPTIMAL, res.message
    assert res.objective == pytest.approx(opt, rel=1e-9)
    assert p.is_feasible(res.assignment, res.hubs)
    assert brute_force(p) <= opt + 1e-6          # contiguity never makes the optimum cheaper


def test_a_contiguous_plan_end_to_end(tmp_path, devon_rows):
    """Through the planning API on real practices (one Devon sub-ICB's first 14 practices): every
    federation is connected on the Delaunay graph of practice sites, verify() agrees, and the
    compact method is refused with a fix."""
    from fedplan import api
    from fedplan.inputs.errors import InputError
    from input_helpers import write_csv

    rows = sorted(devon_rows, key=lambda r: (r["sub_icb_code"], r["practice_code"]))[:14]
    write_csv(tmp_path / "practices.csv", rows)
    text = ('[area]\nengland = true\n[inputs]\npractices = "practices.csv"\n[bounds]\nmin_population = 25000\n'
            "max_population = 60000\n[constraints]\ncontiguity = true\n[solve]\ntime_limit_s = 120\n"
            "price_rules = false\n")        # the rules' prices are test_size_rules.py's; here: the plan
    (tmp_path / "c.toml").write_text(text, encoding="utf-8")
    run = api.run(tmp_path / "c.toml")
    res = run.result
    assert res.has_plan and run.verification.ok, run.verification.problems
    assert run.problem.adjacency is not None
    for f in range(res.n_federations):
        assert run.problem.connected(np.flatnonzero(res.assignment == f))
    (tmp_path / "m.toml").write_text(text + 'method = "compact"\n', encoding="utf-8")
    with pytest.raises(InputError, match="branch_price"):
        api.run(tmp_path / "m.toml")
