"""The master LP's two back ends (HiGHS through highspy, GLOP through OR-Tools) answer alike."""
from __future__ import annotations

import numpy as np
import pytest

from fedplan.optimise import master_lp
from fedplan.optimise.branch_price import master
from fedplan.optimise.branch_price.master import Master
from fedplan.optimise.branch_price.solve import solve_federations_cg
from fedplan.optimise.result import Status

BACKENDS = ["highs", "glop"]


def test_highs_is_the_default_when_highspy_imports():
    assert master_lp.highs_available()
    assert master_lp.make_lp().name == "highs"


def test_an_unknown_backend_is_refused_by_name():
    with pytest.raises(ValueError, match="'highs' or 'glop'"):
        master_lp.make_lp("clp")


def small_master(backend: str) -> Master:
    """4 practices, federation count in [1, 3]; columns chosen so the LP optimum is fractional:
    the three pairs of {0,1,2} at 1/2 each plus {3}."""
    m = Master(4, 1, 3, backend=backend)
    for S, cost in (((0, 1), 4.0), ((1, 2), 4.0), ((0, 2), 4.0), ((3,), 1.0), ((0, 1, 2), 10.0),
                    ((0,), 5.0), ((1,), 5.0), ((2,), 5.0)):
        m.add(S, S[0], cost)
    return m


@pytest.mark.parametrize("backend", BACKENDS)
def test_both_backends_give_the_lp_optimum_with_consistent_duals(backend):
    m = small_master(backend)
    ok, z, pi, mu, x = m.solve()
    assert ok
    # the pairs at 1/2 cost 6 for {0,1,2}, against 10 for the triple and 15 for the singletons
    assert z == pytest.approx(7.0)
    assert x[:3] == pytest.approx([0.5, 0.5, 0.5]) and x[3] == pytest.approx(1.0)
    rc = np.array([c - pi[list(S)].sum() - mu for S, c in zip(m.members, m.costs)])
    assert (rc >= -1e-9).all()                        # optimal: nothing prices out
    assert rc[x > 1e-9] == pytest.approx(0.0, abs=1e-9)  # complementary slackness
    assert pi.sum() + mu * x.sum() == pytest.approx(z)   # the count row is not binding: mu = 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_cut_rows_switches_and_the_count_row_behave_alike(backend):
    m = small_master(backend)
    m.add_cut((0, 1, 2))                 # at most one of the pairs: the LP must pay for the triple
    ok, z, pi, mu, x = m.solve()
    assert ok and z == pytest.approx(4.0 + 5.0 + 1.0)
    assert m.sigma[0] < 0                # the cut binds, with a dual of the right sign
    m.lp.set_upper([m.vars[0], m.vars[1], m.vars[2]], 0.0)   # pairs off: triple or singletons
    ok, z, *_ = m.solve()
    assert ok and z == pytest.approx(10.0 + 1.0)
    m.set_count(3, 3)                    # exactly three federations: a singleton and a pair
    m.lp.set_upper([m.vars[0]], master_lp.INF)
    ok, z, pi, mu, x = m.solve()
    assert ok and z == pytest.approx(4.0 + 5.0 + 1.0) and x.sum() == pytest.approx(3.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_phase_one_prices_the_cover_and_keeps_the_count(backend):
    """Phase 1: real columns cost 0 and the artificials 1 (singletons, and a surplus and a slack
    of the count row with coefficients +1 and -1); with k fixed at 3 and only the pairs and the
    {3} column the best is the pairs at 1/2 and {3}, 2.5 columns, so the surplus pays 0.5. Once
    {0} is added, {0}, {1, 2}, {3} is the only cover with three columns."""
    m = Master(4, 3, 3, backend=backend)
    for S in ((0, 1), (1, 2), (0, 2), (3,)):
        m.add(S, S[0], 4.0)
    m.start_phase1()
    ok, z, *_ = m.solve()
    assert ok and z == pytest.approx(0.5)
    m.add((0,), 0, 5.0)                 # now {0}, {1, 2}, {3}: three columns cover
    ok, z, *_ = m.solve()
    assert ok and z == pytest.approx(0.0, abs=1e-9)
    m.end_phase1()
    ok, z, _, _, x = m.solve()
    assert ok and z == pytest.approx(5.0 + 4.0 + 4.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_branch_and_price_proves_the_optimum_on_either_backend(monkeypatch, backend):
    from engine_instances import check_with_verify, tight_instances

    used = []

    def make_lp(choice=None):
        lp = master_lp.make_lp(choice)
        used.append(lp.name)
        return lp

    monkeypatch.setenv("FEDPLAN_MASTER_LP", backend)
    monkeypatch.setattr(master, "make_lp", make_lp)
    for seed, sc, p, opt in tight_instances(count=6):
        res = solve_federations_cg(p, time_limit_s=60)
        assert res.status is Status.OPTIMAL and res.objective == pytest.approx(opt, rel=1e-9)
        check_with_verify(seed, 9, sc, res)
    assert used and set(used) == {backend}


def test_highs_retries_from_scratch_when_a_warm_solve_fails():
    """A warm basis that HiGHS cannot use (a non-optimal status) gets one fresh solve without a
    basis before the master reports failure; a second failure is reported, not hidden."""
    import highspy

    m = small_master("highs")
    m.solve()
    real = m.lp.h

    class Flaky:
        """The real solver, with the status of the first ``fail`` solves reported as failed."""

        def __init__(self, fail: int):
            self.fail, self.calls, self.cleared = fail, 0, 0

        def __getattr__(self, name):
            return getattr(real, name)

        def run(self):
            self.calls += 1
            return real.run()

        def clearSolver(self):
            self.cleared += 1
            return real.clearSolver()

        def getModelStatus(self):
            if self.calls <= self.fail:
                return highspy.HighsModelStatus.kSolveError
            return real.getModelStatus()

    m.lp.h = flaky = Flaky(fail=1)
    m.add((1, 3), 1, 2.0)
    ok, z, *_ = m.solve()
    assert ok and flaky.cleared == 1 and flaky.calls == 2
    same = small_master("glop")
    same.add((1, 3), 1, 2.0)
    assert z == pytest.approx(same.solve()[1]) and z == pytest.approx(4.0 + 2.0)   # {0, 2}, {1, 3}
    m.lp.h = flaky = Flaky(fail=2)
    m.add((0, 3), 0, 2.0)
    assert m.solve()[0] is False and flaky.cleared == 1


def test_switched_off_columns_leave_highs_and_come_back_with_later_cuts(monkeypatch):
    """HiGHS drops switched-off nonbasic columns once they are many (ids stay stable); a column
    switched back on returns with the cut rows added while it was out, and every answer matches
    GLOP's on the same sequence of changes."""
    monkeypatch.setattr(master_lp.HighsLP, "COMPACT_MIN", 1)
    answers = {}
    for backend in BACKENDS:
        m = small_master(backend)
        seen = []
        ok, z, *_ = m.solve()
        seen.append(z)
        m.lp.set_upper([m.vars[j] for j in (4, 5, 6, 7)], 0.0)   # triple and singletons off
        ok, z, _, _, x = m.solve()
        seen.append(z)
        ok, z, _, _, x = m.solve()               # HiGHS takes them out before this solve
        seen.append(z)
        if backend == "highs":
            assert m.lp.solver_cols == 4 and m.lp.n_cols == 8
            assert len(x) == 8 and x[4:] == pytest.approx(0.0)
        m.add_cut((0, 1, 2))                     # the pairs now exclude each other
        m.lp.set_upper([m.vars[j] for j in (4, 5, 6, 7)], master_lp.INF)
        ok, z, pi, mu, x = m.solve()
        seen.append(z)
        # the cut binds only if the singletons came back holding their (empty) cut row and the
        # triple holding it: LP = pair + singleton + {3}
        assert ok and z == pytest.approx(10.0)
        rc = np.array([c - pi[list(S)].sum() - mu for S, c in zip(m.members, m.costs)])
        rc[4] -= m.sigma[0]                      # the triple holds two or more of the cut's three
        rc[:3] -= m.sigma[0]
        assert (rc >= -1e-9).all()
        answers[backend] = seen
    assert answers["highs"] == pytest.approx(answers["glop"])


def test_a_basic_column_switched_off_stays_in_highs_until_it_leaves_the_basis(monkeypatch):
    monkeypatch.setattr(master_lp.HighsLP, "COMPACT_MIN", 1)
    m = small_master("highs")
    ok, z, _, _, x = m.solve()
    m.lp.set_upper([m.vars[0]], 0.0)             # a pair at 1/2: basic
    m.lp.set_upper([m.vars[j] for j in (5, 6, 7)], 0.0)
    m.lp._compact()
    assert m.lp._pos[m.vars[0]] >= 0             # still there: deleting it would void the basis
    ok, z, _, _, x = m.solve()
    assert ok and z == pytest.approx(10.0 + 1.0) and x[0] == 0.0


def test_highs_re_solves_with_the_dual_simplex_only_after_its_solution_is_cut_off(monkeypatch):
    """Switching off a column the last solution used, or moving a row bound, makes the next solve
    run the dual simplex (then back to the primal); switching off an unused column, setting a row
    to the bounds it has, or adding columns does not. The optimum is the same either way."""
    m = small_master("highs")
    lp = m.lp
    used = []
    real_run = lp.h.run

    def run():
        used.append(lp.h.getOptionValue("simplex_strategy")[1])
        return real_run()

    monkeypatch.setattr(lp.h, "run", run)
    assert m.solve()[0]
    lp.set_upper([m.vars[5]], 0.0)           # singleton {0}: unused at the optimum
    m.set_count(1, 3)                        # the bounds it already has
    m.add((1, 3), 1, 9.0)
    ok, z, *_ = m.solve()
    assert ok and z == pytest.approx(7.0)
    lp.set_upper([m.vars[0]], 0.0)           # pair {0,1}: at 1/2 in the optimum
    ok, z, *_ = m.solve()
    assert ok and z == pytest.approx(4.0 + 5.0 + 1.0)
    m.set_count(3, 3)
    ok, z, *_ = m.solve()
    assert ok and z == pytest.approx(4.0 + 5.0 + 1.0)
    assert used == [4, 4, 1, 1]
    assert lp.h.getOptionValue("simplex_strategy")[1] == 4
    fresh = small_master("highs")
    fresh.lp.set_upper([fresh.vars[0]], 0.0)
    fresh.set_count(3, 3)
    assert fresh.solve()[1] == pytest.approx(z)


def random_partition_lp(rng: np.random.Generator, n: int = 40, m: int = 400) -> tuple[master_lp.HighsLP, int]:
    """A set-partitioning LP over random member sets (cost rising with size) with an expensive
    singleton per row, so it stays feasible whatever columns are switched off."""
    lp = master_lp.HighsLP()
    for _ in range(n):
        lp.add_row(1.0, 1.0)
    cols = [sorted(rng.choice(n, int(rng.integers(2, 7)), replace=False).tolist()) for _ in range(m)]
    lp.add_cols(rng.uniform(5, 20, m) + 3.0 * np.array([len(c) for c in cols]), cols)
    lp.add_cols([1000.0] * n, [[i] for i in range(n)])
    return lp, m


@pytest.mark.parametrize("seed", range(4))
def test_a_probe_from_the_held_basis_bounds_the_lp_from_below(seed):
    """After ``hold``, switching off columns the optimum used and probing with an iteration limit
    gives values that never fall as the limit grows, never exceed the re-solved LP optimum, and
    reach it once the limit is large; ``release`` puts the held basis back, so the original
    bounds re-solve to the original optimum with no iterations."""
    rng = np.random.default_rng(seed)
    lp, m = random_partition_lp(rng)
    ok, z, _, x = lp.solve()
    used = np.flatnonzero(x[:m] > 1e-9)
    off = rng.choice(used, 3, replace=False)
    lp.hold()
    lp.set_upper(off, 0.0)
    values = [lp.probe(k) for k in range(60)]
    full = lp.probe(10**6)
    lp.set_upper(off, master_lp.INF)
    lp.release()
    ok_back, z_back, _, _ = lp.solve()
    assert ok_back and z_back == pytest.approx(z) and lp.h.getInfo().simplex_iteration_count == 0
    lp.set_upper(off, 0.0)
    ok2, z2, _, _ = lp.solve()
    assert ok and ok2 and z2 > z + 1e-9
    assert values[0] == pytest.approx(z)
    assert all(b >= a - 1e-9 for a, b in zip(values, values[1:]))
    assert max(values) <= z2 + 1e-9
    assert full == pytest.approx(z2)


def test_a_probe_of_an_infeasible_lp_is_infinite():
    lp = master_lp.HighsLP()
    lp.add_row(1.0, 1.0)
    a = lp.add_cols([1.0, 2.0], [[0], [0]])
    assert lp.solve()[0]
    lp.hold()
    lp.set_upper([a, a + 1], 0.0)
    assert lp.probe(100) == master_lp.INF
    lp.set_upper([a, a + 1], master_lp.INF)
    lp.release()
    assert lp.solve()[1] == pytest.approx(1.0)
