"""Every tunable of branch and price, in frozen, validated dataclasses, each with what chose it.

A run takes one ``Params`` (``solve_federations(..., params=...)``; the defaults are the values
below, the ones measured) and hands it to every part, including the region re-solves of
``lns``. To change one value, replace its section::

    Params(cuts=CutParams(per_round=2))
    dataclasses.replace(Params(), node=NodeParams(enum_limit=0))

The measurements quoted are on the 2-core VM of ``benchmarks/RESULTS.md``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields


def _check(section, **rules) -> None:
    """Refuse a value outside its range: ``rules`` maps a field to (low, high), either end None
    for open; every numeric field must be finite or an integer where its default is one."""
    for f in fields(section):
        value = getattr(section, f.name)
        if isinstance(value, bool) or isinstance(value, str):
            continue
        if not isinstance(value, (int, float)) or (isinstance(value, float) and not math.isfinite(value)):
            raise ValueError(f"{type(section).__name__}.{f.name} must be a finite number, not {value!r}")
        if isinstance(f.default, int) and not isinstance(f.default, bool) and not isinstance(value, int):
            raise ValueError(f"{type(section).__name__}.{f.name} must be a whole number, not {value!r}")
        lo, hi = rules.get(f.name, (0, None))
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError(f"{type(section).__name__}.{f.name} = {value!r} is outside "
                             f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]")


@dataclass(frozen=True)
class PricingParams:
    """The knapsack searches of pricing (``knapsack``, ``pricing``)."""

    # from this size the compiled search is used from the start
    jit_min_practices: int = 150
    # smaller problems start in Python (loading the compiled search costs ~0.6 s, more than a
    # 100-point CPMP spends pricing) and switch once the Python search has visited this many
    # nodes, about a second of work: on Devon (116 practices) Python pricing had been half of every
    # run, and a branch-and-price node of the joint model took 4-8 s instead of 0.4 s
    py_node_budget: int = 500_000
    # nodes before the exact search hands over to the dynamic programme. The compiled search
    # visits a node in about 30 ns, so it gets 50 times the Python allowance: on Greater
    # Manchester the DP (400 items x 100,000 patients a time) had taken half the root's time, and
    # with 1,000,000 nodes no hub needed it; the root ran 68 rounds in 60 s instead of 37
    # (gap 2.5 % instead of 10.8 %)
    node_limit: int = 20_000
    node_limit_compiled: int = 1_000_000
    # search nodes per hub of the short (heuristic) searches tried before exact pricing
    quick_nodes: int = 1500
    # the longer exact search per hub where the DP cannot see penalties or conflicts, and the
    # exhaustive search over connected sets under contiguity
    long_search_nodes: int = 400_000
    # search nodes per hub for connected columns when the best set is not connected
    connected_nodes: int = 300
    # partial pricing: a round stops once this many hubs, or n / ``partial_hub_share`` of them if
    # more, gave new columns (full scans only to converge)
    partial_min_hubs: int = 25
    partial_hub_share: int = 4
    # the member cost's first count windows (``segments``): [1, 1], [2, 2], [3, 4], [5, 8], ...,
    # doubling, the last one open to n; refined where a proof needs it. Exact single counts from the
    # start would price n pricers per piece of g where a few wide windows settle most of them
    member_windows: int = 6

    def __post_init__(self) -> None:
        _check(self, partial_hub_share=(1, None), member_windows=(1, None))


@dataclass(frozen=True)
class MasterParams:
    """The master LPs' column pools (``master``)."""

    # the root master keeps this many columns at zero (or 4 per practice, if more) when it retires
    # the rest, which it does once it holds ``retire_at_root`` times as many
    retire_keep: int = 1500
    retire_at_root: int = 3
    # the node master retires columns once it holds this many times its keep (on the joint Devon
    # model the tree then proved the plan in 108 s, not within 120 s without it; on the plain
    # model it ran 13 nodes in 60 s instead of 43)
    retire_at_node: int = 2
    # the root LP covers before it partitions where that changes nothing but the duals
    # (``master.covering_suffices``)
    cover_first: bool = True

    def __post_init__(self) -> None:
        _check(self)


@dataclass(frozen=True)
class RootParams:
    """The root: construction, the exact search for a first plan, column generation (``solve``,
    ``root``)."""

    # Wentges smoothing: price at alpha * (best-bound duals) + (1 - alpha) * (LP duals). The big
    # masters are very degenerate (the LP sat at the incumbent's value for 40 rounds on QOP);
    # 0.8 rather than 0.5 halved the 60 s gap on QOP, QHM and QMF and left Devon unchanged
    # (benchmarks/RESULTS.md)
    smoothing: float = 0.8
    # a root that has not converged by this share of the limit, with the plan more than
    # ``plans_gap`` above the restricted LP value, hands the rest of the time to finding plans
    # (from ``plans_min_practices`` practices: not in the small region problems of ``lns``, which
    # run this solver themselves). A negative ``plans_gap`` hands over whatever the gap.
    plans_after: float = 0.5
    plans_gap: float = 0.05
    plans_min_practices: int = 80
    # construction (``heuristics.construct``, three runs) gets this share of the limit; construct
    # and improve ignore contiguity (``SearchState.offer`` repairs what it can, rarely enough), so
    # under contiguity they get a smaller share. ``construct`` False skips them (tests use it to
    # exercise the rest of the engine without a first plan)
    construct: bool = True
    construct_share: float = 0.12
    construct_share_contiguous: float = 0.03
    # the exact yes/no search for a first plan (``optimise.feasibility``) when the heuristics find
    # none: at most this share of the limit, and only up to this many practices (its model has
    # n^2 assignment and, with contiguity, n x arcs flow variables). On sub-ICB 00T (49
    # practices, contiguity, 5 federations, one lock) it found the plan none of the heuristics
    # did in 39 s on one core
    feasibility_share: float = 0.4
    feasibility_max_practices: int = 120

    def __post_init__(self) -> None:
        _check(self, smoothing=(0, 1), plans_gap=(None, None), construct_share=(0, 1),
               construct_share_contiguous=(0, 1), feasibility_share=(0, 1))


@dataclass(frozen=True)
class CutParams:
    """Subset-row cuts at the root (``cuts``)."""

    max_rounds: int = 40
    per_round: int = 30
    # how many cuts: ``min_cuts``, and ``per_unit`` per unit of the limit, up to ``max_cuts``. Every
    # cut slows every later pricing round; a long run gets that back in the bound at each of its
    # many nodes, a short one pays for it in nodes. At 300 s, 300 cuts instead of 120 took
    # sjc402_02 from 0.42 % to 0.06 % and sjc402_01 from 0.18 % to 0.08 %, and QR1, QT1 and Greater
    # Manchester ended the same or better; at 60 s they cost QR1 its 0.68 % (1.77 %) and QT1 and
    # QOQ a little, and 120 stays there (benchmarks/RESULTS.md)
    min_cuts: int = 120
    max_cuts: int = 300
    per_unit: float = 2.0
    # cuts slow every later pricing round: stop when two rounds raised the LP by under this share
    # of its value. (An earlier rule, under 5 % of the gap to the incumbent, stopped at 60 cuts on
    # the joint Devon model because the incumbent at the root is still the construction plan; 120
    # cuts raised the root bound by another £11,000, and with them the tree proved the plan.)
    min_gain: float = 2e-5
    # and when they have had this share of the limit (a round took 8-16 s on 402-point CPMPs)
    share: float = 0.2
    # a plan this far above the LP gets no cut rounds and, after the root, all the time for
    # region re-solves while they pay
    max_gap: float = 0.10

    def __post_init__(self) -> None:
        _check(self, share=(0, 1))

    def budget(self, limit: float) -> int:
        """The most subset-row cuts the root takes in a run of this limit (seconds or work units)."""
        return int(min(self.max_cuts, max(self.min_cuts, self.per_unit * limit)))


@dataclass(frozen=True)
class NodeParams:
    """Processing one node of the tree (``node``, ``enumeration``)."""

    # Wentges smoothing of the node LPs, as at the root
    smoothing: float = 0.8
    # exact pricing smoothed while cuts are in (no: the short searches are, ``quick_smoothed``)
    smooth_with_cuts: bool = False
    # Wentges smoothing for the short searches tried before exact pricing when cuts are in, for
    # problems without a size cost. Without it, 402-point CPMP nodes took 100-150 rounds of ~230
    # new columns each (the master grew to 30,000 columns, each re-solve to 0.4-0.6 s); with it
    # sjc402_01 ran 40 nodes in 170 s instead of 19 and ended at 0.93 % instead of 1.63 %. Not
    # with a size cost: the joint Devon model then lost its proof within 60 s
    # (benchmarks/RESULTS.md). At the root's cut rounds too: with the root LP covered first (fewer
    # spare columns) the first cut round of u_sjc402_02 priced for 40 s at the LP duals, 1.6 s
    # smoothed
    quick_smoothed: bool = True
    # reduced-cost enumeration lists at most this many columns (0: never enumerates)
    enum_limit: int = 4000

    def __post_init__(self) -> None:
        _check(self, smoothing=(0, 1))


@dataclass(frozen=True)
class BranchingParams:
    """Which branch (``branching``)."""

    # without strong branching: "hub" (the most fractional hub first, then pairs), "hub_max"
    # (the heaviest fractional hub), "pair" (pairs only)
    rule: str = "hub"
    # strong branching over this many candidates: the most fractional hubs, or the most
    # fractional practice-hub pairs once every hub is settled. On a 200-point CPMP the proof took
    # 190-210 s and 320-375 nodes choosing the most fractional hub, 119 s and 151 nodes with 8
    # candidates, 187 s and 282 nodes with 4 (1 or less: no strong branching)
    strong: int = 8
    # the most fractional pairs added to the hub candidates: with 100-iteration probes the same
    # proof took 88 s (172 nodes) with none, 69 s (107) with 4, 86 s (130) with 8; a 300-point
    # CPMP's 73, 67 and 68 s
    strong_pairs: int = 4
    # dual simplex iterations per child from the node's basis (0: full re-solves, no basis kept).
    # Same 200-point CPMP: full re-solves from the last child's basis 119 s (278 ms a choice),
    # from the node's basis 93 s (198 ms), 100 iterations 88 s (129 ms, 172 nodes), 30
    # iterations 130 s (277 nodes: the ranking goes)
    strong_iterations: int = 100

    def __post_init__(self) -> None:
        _check(self)
        if self.rule not in ("hub", "hub_max", "pair"):
            raise ValueError(f"BranchingParams.rule must be 'hub', 'hub_max' or 'pair', not {self.rule!r}")


@dataclass(frozen=True)
class PrimalParams:
    """Finding plans in the tree (``primal``). The switches (``rounding``, ``hub_search``,
    ``pool_ips``, ``dive``) are all on in a real run; tests switch some off to exercise the rest."""

    # LP rounding at tree nodes: at every node until it has missed ``round_tries`` times in a row,
    # then at every ``round_every``-th. Its local search took 7 % of a 150 s run on a 402-point
    # CPMP and never found a plan there (the node IPs did); on Devon it finds one in the dive
    round_tries: int = 20
    round_every: int = 5
    # nodes between two runs of the hub-set heuristic (only once it has paid: on the joint Devon
    # model each search took its whole budget, a tenth of the limit, every 25 nodes and never
    # found a plan)
    hub_search_every: int = 25
    # share of the limit for each of the hub-set search and the IP over the root columns; a
    # federation cost with a size term (the joint model: make-or-buy and risk) makes the hub
    # assignment MIP hard, and on Devon and Greater Manchester neither ever found a plan there
    # while each took its whole 10 % (the dive and the tree did); on the plain model and the CPMP
    # instances they find the early plans in 1-6 s
    heuristic_share: float = 0.1
    heuristic_share_sized: float = 0.03
    # columns of least reduced cost in each pool IP, and nodes between two pool IPs in the tree
    pool_ip_columns: int = 2000
    pool_ip_every: int = 10
    # of the time left after the root, at most, for the column-fixing dive
    dive_share: float = 0.2
    # with a size cost, the dive gives up when its pace forecasts this many times the budget left
    dive_pace_slack: float = 2.0
    # columns the dive fixes at once: those above this, not those at 1/2 (the LP of a 300-point
    # CPMP held 24 columns at 1/2; fixing one of each pair left the rest uncoverable)
    dive_fix: float = 0.6
    rounding: bool = True
    hub_search: bool = True
    pool_ips: bool = True
    dive: bool = True

    def __post_init__(self) -> None:
        _check(self, round_every=(1, None), hub_search_every=(1, None), pool_ip_every=(1, None),
               heuristic_share=(0, 1), heuristic_share_sized=(0, 1), dive_share=(0, 1), dive_fix=(0, 1))


@dataclass(frozen=True)
class RegionParams:
    """Region re-solves (``lns``) after the root and when the tree stalls (``primal``, ``tree``)."""

    # a third of the time left after the root, when the root's gap exceeds 0.25 % and the problem
    # holds at least two regions of ``practices`` practices, each region with ``budget`` of its own
    share: float = 1 / 3
    min_gap: float = 0.0025
    practices: int = 40
    budget: float = 4.0
    # the tree has stalled when neither bound nor incumbent moved for this share of the limit;
    # if the last region pass paid, another gets ``stall_region_share`` of the time left (on
    # Greater Manchester the tree moved nothing in 90 s while each region pass took £0.1-0.2M a
    # year off the plan)
    stall_share: float = 0.1
    stall_region_share: float = 0.5
    enabled: bool = True

    def __post_init__(self) -> None:
        _check(self, share=(0, 1), practices=(2, None), stall_share=(0, 1), stall_region_share=(0, 1))


@dataclass(frozen=True)
class Params:
    """All of branch and price's tunables, by part."""

    pricing: PricingParams = field(default_factory=PricingParams)
    master: MasterParams = field(default_factory=MasterParams)
    root: RootParams = field(default_factory=RootParams)
    cuts: CutParams = field(default_factory=CutParams)
    node: NodeParams = field(default_factory=NodeParams)
    branching: BranchingParams = field(default_factory=BranchingParams)
    primal: PrimalParams = field(default_factory=PrimalParams)
    regions: RegionParams = field(default_factory=RegionParams)
    # a node bound within this share of a cost step above a whole multiple still holds that
    # multiple: LP bounds carry float noise of about 1e-7 of the objective
    step_slack: float = 0.01

    def __post_init__(self) -> None:
        kinds = {"pricing": PricingParams, "master": MasterParams, "root": RootParams, "cuts": CutParams,
                 "node": NodeParams, "branching": BranchingParams, "primal": PrimalParams,
                 "regions": RegionParams}
        for name, kind in kinds.items():
            if not isinstance(getattr(self, name), kind):
                raise TypeError(f"Params.{name} must be a {kind.__name__}")
        if not 0 <= self.step_slack < 0.5:
            raise ValueError(f"Params.step_slack = {self.step_slack!r} is outside [0, 0.5)")
