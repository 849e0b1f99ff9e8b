"""Branch and price's tunables (``Params``: frozen, validated, passed explicitly) and its run
statistics (``Result.stats``: a record, never prose to parse)."""
from __future__ import annotations

import dataclasses
import json

import pytest

from fedplan.optimise import Params, RunStats, Status, solve_federations
from fedplan.optimise.branch_price.params import (BranchingParams, CutParams, MasterParams, NodeParams, PricingParams,
                                                  PrimalParams, RegionParams, RootParams)
from engine_instances import small_cpmp, tight_instances


def test_the_defaults_are_the_measured_values():
    p = Params()
    assert (p.root.smoothing, p.node.smoothing, p.master.retire_keep, p.master.retire_at_root,
            p.master.retire_at_node) == (0.8, 0.8, 1500, 3, 2)
    assert (p.cuts.min_cuts, p.cuts.max_cuts, p.cuts.per_unit, p.cuts.share, p.cuts.max_gap) == (120, 300, 2.0, 0.2, 0.10)
    assert (p.branching.strong, p.branching.strong_pairs, p.branching.strong_iterations) == (8, 4, 100)
    assert (p.node.enum_limit, p.primal.pool_ip_columns, p.primal.pool_ip_every, p.regions.practices) == (4000, 2000, 10, 40)
    assert (p.pricing.jit_min_practices, p.pricing.py_node_budget, p.pricing.node_limit_compiled) == (150, 500_000, 10**6)
    assert p.step_slack == 0.01


def test_params_are_frozen_and_replaced_by_section():
    p = Params()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.cuts.share = 0.5
    q = dataclasses.replace(p, node=NodeParams(enum_limit=0))
    assert q.node.enum_limit == 0 and p.node.enum_limit == 4000 and q.cuts == p.cuts


@pytest.mark.parametrize("bad", [
    lambda: CutParams(share=1.5), lambda: CutParams(per_round=-1), lambda: CutParams(min_cuts=2.5),
    lambda: RootParams(smoothing=float("nan")), lambda: BranchingParams(rule="widest"),
    lambda: PrimalParams(pool_ip_every=0), lambda: RegionParams(practices=1), lambda: PricingParams(partial_hub_share=0),
    lambda: MasterParams(retire_keep=-5), lambda: Params(cuts=NodeParams()), lambda: Params(step_slack=0.7),
])
def test_values_out_of_range_are_refused(bad):
    with pytest.raises((ValueError, TypeError)):
        bad()


def test_the_run_statistics_are_a_record():
    """Counts of a run read from ``Result.stats`` (and JSON as summary.json writes them)."""
    seed, sc, p, opt = next(tight_instances())
    res = solve_federations(p, "cbc", time_limit_s=60, params=Params(node=NodeParams(enum_limit=0)))
    st = res.stats
    assert res.status is Status.OPTIMAL and isinstance(st, RunStats)
    assert st.rounds > 0 and st.columns > 0 and st.nodes >= 1 and st.incumbents >= 1
    assert st.nodes >= st.pruned + st.integral and st.work_units == pytest.approx(res.work_units)
    assert {"construct", "root", "tree"} <= set(st.seconds) and set(st.seconds) == set(st.work)
    assert json.loads(json.dumps(st.as_dict()))["nodes"] == st.nodes
    assert solve_federations(p, "cbc", time_limit_s=60, method="compact").stats is None


def test_a_work_limited_run_repeats_its_statistics():
    p = small_cpmp(5, 40, 5, 0.95)
    a, b = (solve_federations(p, "cbc", time_limit_s=300, work_limit=3).stats for _ in range(2))
    same = {k: v for k, v in a.as_dict().items() if k != "seconds"}
    assert same == {k: v for k, v in b.as_dict().items() if k != "seconds"}
