"""Immutable, validated problem data. Readers build these once; variants use ``replace()``."""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


_TEXT_FIELDS = (
    "code", "name", "postcode", "pcn_code", "pcn_name", "sub_icb_code", "sub_icb_name",
    "icb_code", "icb_name", "region_code", "region_name", "lad_code", "lad_name", "lsoa21_code",
)
_NUMBER_FIELDS = ("list_size", "lat", "lon", "easting", "northing")


@dataclass(frozen=True, eq=False)
class Practices:
    """GP practices, one entry per practice, all arrays aligned.

    ``list_size`` is registered patients (int). Coordinates: WGS84 ``lat``/``lon`` and British
    National Grid ``easting``/``northing`` (EPSG:27700, metres); a reader fills what its file has
    and leaves NaN elsewhere; ``geo.project_practices`` completes both. Text fields use "" for
    unknown (e.g. a practice outside any PCN has ``pcn_code == ""``).
    """

    source: str
    code: tuple[str, ...]
    list_size: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    easting: np.ndarray
    northing: np.ndarray
    name: tuple[str, ...] = ()
    postcode: tuple[str, ...] = ()
    pcn_code: tuple[str, ...] = ()
    pcn_name: tuple[str, ...] = ()
    sub_icb_code: tuple[str, ...] = ()
    sub_icb_name: tuple[str, ...] = ()
    icb_code: tuple[str, ...] = ()
    icb_name: tuple[str, ...] = ()
    region_code: tuple[str, ...] = ()
    region_name: tuple[str, ...] = ()
    lad_code: tuple[str, ...] = ()
    lad_name: tuple[str, ...] = ()
    lsoa21_code: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.code)
        for f in _TEXT_FIELDS:
            v = getattr(self, f)
            if len(v) == 0 and n:
                v = ("",) * n
            v = tuple(str(s) for s in v)
            if len(v) != n:
                raise ValueError(f"Practices.{f} has {len(v)} entries, expected {n}")
            object.__setattr__(self, f, v)
        object.__setattr__(self, "list_size", _frozen(np.asarray(self.list_size, dtype=np.int64)))
        for f in ("lat", "lon", "easting", "northing"):
            v = np.asarray(getattr(self, f), dtype=float)
            if v.shape != (n,):
                raise ValueError(f"Practices.{f} has shape {v.shape}, expected ({n},)")
            object.__setattr__(self, f, _frozen(v))
        if self.list_size.shape != (n,):
            raise ValueError("Practices.list_size is not aligned with code")
        object.__setattr__(self, "_index", {c: i for i, c in enumerate(self.code)})

    def __len__(self) -> int:
        return len(self.code)

    @property
    def population(self) -> int:
        return int(self.list_size.sum())

    def index(self, code: str) -> int:
        return self._index[code]  # type: ignore[attr-defined]

    def __contains__(self, code: object) -> bool:
        return code in self._index  # type: ignore[attr-defined]

    def subset(self, idx: Sequence[int] | np.ndarray) -> "Practices":
        """The practices at positions ``idx`` (integer positions or a boolean mask), in that order."""
        idx = np.asarray(idx)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        kw = {f: tuple(getattr(self, f)[i] for i in idx) for f in _TEXT_FIELDS}
        kw.update({f: getattr(self, f)[idx] for f in _NUMBER_FIELDS})
        return Practices(source=self.source, **kw)

    def replace(self, **changes) -> "Practices":
        return replace(self, **changes)

    def to_frame(self) -> "pd.DataFrame":
        import pandas as pd     # only here: the model itself must not cost a pandas import

        data = {"practice_code": list(self.code)}
        for f in _TEXT_FIELDS[1:]:
            data[f] = list(getattr(self, f))
        for f in _NUMBER_FIELDS:
            data[f] = getattr(self, f)
        return pd.DataFrame(data)


MODES = ("inhouse", "buy")


@dataclass(frozen=True)
class Service:
    """One row of the service catalogue (see shared/data/service_catalogue_defaults.csv)."""

    service: str
    category: str
    demand_per_1000_per_year: float
    activity_unit: str
    inhouse_fixed_cost_gbp_per_team_per_year: float
    team_capacity_activities_per_year: float
    inhouse_variable_cost_gbp_per_activity: float
    buy_price_gbp_per_activity: float
    contract_management_gbp_per_year: float
    min_population_inhouse: float | None
    allowed_modes: tuple[str, ...]
    source_ids: tuple[str, ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class Catalogue:
    source: str
    services: tuple[Service, ...]

    def names(self) -> tuple[str, ...]:
        return tuple(s.service for s in self.services)

    def get(self, name: str) -> Service:
        for s in self.services:
            if s.service == name:
                return s
        raise KeyError(name)


# ---------------------------------------------------------------- scenario


@dataclass(frozen=True)
class AreaSpec:
    """Which practices take part. At most one of icb / sub_icb / region / practices / england."""

    icb: str | None = None
    sub_icb: str | None = None
    region: str | None = None
    practices: tuple[str, ...] | None = None
    england: bool = False
    exclude: tuple[str, ...] = ()   # opted-out practices, left out of every federation

    def describe(self) -> str:
        if self.icb:
            return f"ICB {self.icb}"
        if self.sub_icb:
            return f"sub-ICB {self.sub_icb}"
        if self.region:
            return f"region {self.region}"
        if self.practices:
            return f"{len(self.practices)} listed practices"
        if self.england:
            return "England"
        return "ICB QJK (Devon, default)"


@dataclass(frozen=True)
class InputsSpec:
    practices: Path | None = None
    postcodes: Path | None = None
    list_sizes: Path | None = None  # gp-reg-pat-prac-all when practices is a gp-reg-pat-prac-map file
    catalogue: Path | None = None
    travel_times: Path | None = None
    boundary: Path | None = None    # the area's own outline (GeoJSON / GeoPackage / shapefile) for maps


@dataclass(frozen=True)
class BoundsSpec:
    min_population: int = 25_000
    max_population: int = 100_000
    soft: bool = False
    penalty_gbp_per_patient: float = 100.0  # soft mode only; assumption


@dataclass(frozen=True)
class ConstraintsSpec:
    contiguity: bool = False
    nest_within: str = "none"            # none | sub_icb | icb | lad
    n_federations: int | None = None     # None = free
    max_distance_km: float | None = None # hub → member, straight line
    max_travel_minutes: float | None = None  # member → hub, from [inputs] travel_times
    # practices allowed to host a federation (its hub); empty = every practice
    hub_candidates: tuple[str, ...] = ()
    # like-minded practices: pairs of codes that must share a federation / must not
    together: tuple[tuple[str, str], ...] = ()
    apart: tuple[tuple[str, str], ...] = ()
    # locks: practice code -> the practice that must host its federation (itself: it must host)
    locks: tuple[tuple[str, str], ...] = ()


ACCESS_MEASURES = ("minutes", "km")


@dataclass(frozen=True)
class CostsSpec:
    """Cost parameters of the first model (all £ per year). Sources in README / ATTRIBUTION."""

    # Derived lean federation core team (service_catalogue_sources.md §3d): £252,530 per year.
    federation_fixed_gbp: float = 252_530.0
    # assumption: each registered patient makes 0.5 return trips a year to a hub service.
    hub_visits_per_patient: float = 0.5
    # NHS mileage rate 56p/mile (service_catalogue_sources.md §1) = £0.348/km, paid both ways: the
    # car's running, in both access measures.
    travel_gbp_per_km: float = 0.348
    # with access in minutes: £ per minute of the patient's time, each way. Assumption: £6 an hour
    # (£0.10/min, range £3-10), of the order of published values of non-working time; set your own.
    travel_gbp_per_minute: float = 0.10
    # disruption: £ per registered patient of a practice whose federation is hosted outside its
    # current PCN (0 = off). A planner's lever for staying close to today's map.
    disruption_gbp_per_patient: float = 0.0
    # how access to the hub is measured and priced: "minutes" by car (the shipped travel-time
    # model, fitted to routed road times, geo.travel_model): the patient's time at
    # travel_gbp_per_minute plus the car's running, straight-line km at travel_gbp_per_km; or "km":
    # the car's running alone. A [inputs] travel_times file always takes precedence over the model.
    access: str = "minutes"

    def __post_init__(self) -> None:
        if self.access not in ACCESS_MEASURES:
            raise ValueError(f"access must be one of {ACCESS_MEASURES}, not {self.access!r}")


@dataclass(frozen=True)
class MakeBuySpec:
    """Make-or-buy inside the boundary model (DESIGN.md §3, term 1): each federation's cost includes
    its cheapest mode per service, so boundaries are chosen on full cost."""

    joint: bool = True
    # paid once by a federation that runs any clinical service in-house; assumption: 0 (the
    # catalogue's team costs already carry PSSRU non-staff and capital overheads)
    shared_hub_gbp: float = 0.0
    max_inhouse: int | None = None      # management capability: at most this many services in-house
    # staffing granularity: "teams" (every in-house service staffed by whole teams, as catalogued)
    # or "sessions" (person-only services staffed in steps of session_wte of a team, never a post
    # under min_post_wte: below that much demand the service is bought). Sessions: GP work is
    # contracted in 4 h 10 min sessions and paid pro rata (BMA model contract), ARRS reimburses
    # per WTE pro rata; a post of one day a week (0.2 WTE) is an assumption (range 0.1-0.5).
    # default "teams": Devon's default job is proven optimal in 50 s with whole teams; with
    # sessions its plan is 3.1% cheaper but was not proven within 120 s (gap 0.35%)
    # (benchmarks/RESULTS.md). Sessions remain the sourced finer unit, one switch away.
    staffing: str = "teams"
    session_wte: float = 0.1
    min_post_wte: float = 0.2
    # rota-bound (must cover opening hours), equipment-bound, or with a buy price calibrated on one
    # whole team: these stay whole teams under "sessions"
    whole_team_services: tuple[str, ...] = ("out_of_hours", "urgent_care", "extended_access", "diagnostics_xray",
                                            "diagnostics_ultrasound", "business_planning",
                                            "organisational_development")


@dataclass(frozen=True)
class RiskSpec:
    """Financial risk of a capitated budget: the lower-bound force on size (optimise/risk.py has
    the model; every figure's range and source is in inputs/data/figure_ranges.csv).

    Each patient's annual cost has mean ``budget_gbp_per_patient``, coefficient of variation
    ``cv_individual`` and skewness ``skew_individual``; each member practice's allocation is off by
    a share with standard deviation ``systematic_error``, correlated ``systematic_correlation``
    between practices; the federation keeps ``risk_share`` of every deviation. It holds a reserve
    for its 1-in-(1 − ``confidence``) shortfall at ``cost_of_capital`` a year, or buys aggregate
    stop-loss at one of ``stoploss_attachments`` (× expected cost) for a layer of
    ``stoploss_layer`` × budget, priced at the expected claim × (1 + ``stoploss_loading``) but at
    least ``stoploss_min_rate_on_line`` × the layer and ``stoploss_min_premium_gbp``; the cheaper
    is taken. The minimum viable population is the smallest whose shortfall is at most
    ``viability_share`` of its budget."""

    enabled: bool = True
    # [RISK] Health Foundation WP7 (2014/15): mean £9,789 for the top 5% of patients, £487 for the
    # rest (primary + secondary care + GP prescribing): 0.05 × 9,789 + 0.95 × 487 = £952.10
    budget_gbp_per_patient: float = 952.10
    # the same two groups fix the mean; within-group spread is an assumption: two-point fit 2.13
    # (a lower bound), two-lognormal mixture 3.0 (central), single lognormal 3.98 (high)
    cv_individual: float = 3.0
    # skewness of one patient's annual cost, from the same fits: 4.13 / 10.0 (central) / 74.9
    skew_individual: float = 10.0
    # PBRA (Dixon et al., BMJ 2011): a third of practices off by >= 10% → sigma 10.3% on hospital
    # cost; less its random part and scaled to the whole budget: 6.5% (range 3%-10.3%)
    systematic_error: float = 0.065
    # assumption: 0.1 (range 0-0.3); the PBRA area variables added little, so errors are weakly
    # shared between neighbouring practices
    systematic_correlation: float = 0.10
    # full capitation: the federation keeps every deviation (range 0.25-1; MSSP shared-loss
    # tracks 0.3-0.4; 0.5 is a 50/50 gain/loss share)
    risk_share: float = 1.0
    confidence: float = 0.95             # 1-in-20, z = 1.645 as in the sources (range 0.90-0.995)
    # Solvency II cost-of-capital rate (at least 6%) for partners' risk capital; range 3.5% (Green
    # Book) to 10% (assumption)
    cost_of_capital: float = 0.06
    # attachments on offer (× expected cost): 125% "usually" for aggregate cover, 110% the
    # sources' suggestion, 105% an assumption; the cheapest is taken
    stoploss_attachments: tuple[float, ...] = (1.05, 1.10, 1.25)
    # 1/loss ratio − 1 from a 65-75% target loss ratio of medical stop-loss: 0.43 (0.33-0.54)
    stoploss_loading: float = 0.43
    # assumption (no UK price found): cover is never sold for less than 1% of its limit (0.5-2.5%)
    stoploss_min_rate_on_line: float = 0.01
    stoploss_min_premium_gbp: float = 10_000.0   # assumption (5,000-25,000)
    stoploss_layer: float = 0.15                 # assumption: e.g. 110% to 125% of expected cost
    # assumption: a federation survives a 1-in-20 year losing at most 5% of its budget (3-10%)
    viability_share: float = 0.05


@dataclass(frozen=True)
class EngagementSpec:
    """Engagement: the upper-bound force on size (DESIGN.md §3.2). Each member practice costs
    ``coordination_gbp_per_member`` a year to keep engaged; ``incentive_held_back`` of a network
    incentive worth ``incentive_gbp_per_patient`` is paid only if every member meets its target,
    each with probability ``member_success_probability``: an expected loss of
    held_back × incentive × (1 − p^m) per patient for m members (with ``pooled_incentive``)."""

    enabled: bool = True
    # The pooled incentive is priced exactly (a cost of the member count), but off by default:
    # with it the exact engine did not prove Devon's default job within 60 s (gap 8.2% after
    # 120 s, benchmarks/RESULTS.md), and at the central figures it adds £0.93 (25,000) to £2.51
    # (100,000) a patient. Turn it on to include it; coordination is always in.
    pooled_incentive: bool = False
    # one GP session a month (PSSRU £128/h) + practice manager 1.5 h a week (£58.10/h); hours an
    # assumption anchored on Cogora 2019 (range £4,466-35,228)
    coordination_gbp_per_member: float = 10_932.0
    # QOF paid per patient: £12.03 (2017/18), £12.54 (2025/26 maximum); range 10-17.6
    incentive_gbp_per_patient: float = 12.0
    # King's Fund 2014 case study: 70%, later 60%, paid up front; 30% on network performance
    # (Nuffield/King's Fund 2013); range 0.30-0.40
    incentive_held_back: float = 0.30
    # QOF 2011/12: 6.3% of practices under 90% of points → 0.94; 2009/10 P25 → 0.75; assumption
    # 0.90 for "meets the network target" (range 0.75-0.95)
    member_success_probability: float = 0.90


@dataclass(frozen=True)
class SolveSpec:
    solver: str = "cbc"
    # 240 s keeps a whole default run (reading, solving, maps, report) under five minutes
    time_limit_s: float = 240.0
    # work units (about a second each on the reference machine; optimise/clock.py): stop after a
    # fixed amount of work instead of at the time limit, so that a run which is not proven
    # optimal still gives the same plan every time; time_limit_s then only caps the wall time
    work_limit: float | None = None
    gap: float = 0.0
    seed: int = 0
    threads: int = 1
    # branch_price: column generation over whole federations, branching and reduced-cost
    # enumeration (strong bounds); compact: the assignment MIP handed to the solver as it is
    method: str = "branch_price"
    # an existing Dask scheduler (tcp://host:port) for sweeps and national runs; None: a local
    # cluster with one worker process per core
    scheduler: str | None = None
    # price each binding rule (the ceiling, the floor, a fixed count) by a re-solve with the rule
    # widened a tenth (fedplan/rules.py); each re-solve gets half the time and work limits
    price_rules: bool = True


SOLVERS = ("cbc", "cpsat", "highs", "scip")
STAFFING = ("teams", "sessions")
METHODS = ("branch_price", "compact")
NEST_LEVELS = ("none", "sub_icb", "icb", "lad")


@dataclass(frozen=True)
class Scenario:
    """A planning scenario: one TOML file, or the defaults (Devon ICB)."""

    area: AreaSpec = field(default_factory=AreaSpec)
    inputs: InputsSpec = field(default_factory=InputsSpec)
    bounds: BoundsSpec = field(default_factory=BoundsSpec)
    constraints: ConstraintsSpec = field(default_factory=ConstraintsSpec)
    costs: CostsSpec = field(default_factory=CostsSpec)
    makebuy: MakeBuySpec = field(default_factory=MakeBuySpec)
    risk: RiskSpec = field(default_factory=RiskSpec)
    engagement: EngagementSpec = field(default_factory=EngagementSpec)
    solve: SolveSpec = field(default_factory=SolveSpec)
    # per-service catalogue overrides: ((service, ((field, value), ...)), ...)
    service_overrides: tuple[tuple[str, tuple[tuple[str, object], ...]], ...] = ()
    source: str | None = None   # the TOML file it came from, if any

    def replace(self, **changes) -> "Scenario":
        return replace(self, **changes)


def section_keys(cls) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))
