"""The loaded runs: each run directory named on the command line, read once, with the cost model
rebuilt from its recorded scenario (practices, distances, travel minutes, catalogue, problem,
today's PCNs). Nothing here changes with a browser's edits; the per-browser state is in
``fedplan.serve.session``.

A model is built per set of left-out practices (``Model``): leaving a practice out changes the
area's mean practice list, hence the risk term of every federation, so the engine's arrays are
rebuilt rather than patched.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from fedplan import geo
from fedplan.inputs.errors import InputError
from fedplan.inputs.model import Catalogue, Practices, Scenario
from fedplan.optimise import FederationProblem
from fedplan.optimise.makebuy import make_or_buy
from fedplan.optimise.risk import mean_practice_list

from ..api import prepare
from ..baseline import Baseline
from ..problem import coordination_gbp, federation_terms, load_practices
from ..rundir import read_run_dir


@dataclass(eq=False)
class Model:
    """The cost model of one participant set: the engine's problem and what prices it."""

    scenario: Scenario
    practices: Practices
    problem: FederationProblem
    distance_km: np.ndarray
    catalogue: Catalogue
    minutes: np.ndarray | None
    access: object
    baseline: Baseline
    index: dict[str, int]
    mean_list: float
    _terms: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def uses_minutes(self) -> bool:
        return self.minutes is not None

    def terms(self, population: int, n_practices: int) -> dict[str, float]:
        """Services, risk, engagement (and penalty) £/yr of one federation, by the model's own
        ``federation_terms``; memoised because a move only changes two populations."""
        key = (int(population), int(n_practices))
        with self._lock:
            hit = self._terms.get(key)
        if hit is None:
            hit = federation_terms(int(population), self.scenario, self.catalogue, n_practices=int(n_practices),
                                   mean_list=self.mean_list)
            with self._lock:
                self._terms[key] = hit
        return hit

    def disruption(self, members: np.ndarray, hub: int) -> float:
        """£/yr of members hosted outside their current PCN (as ``build_problem`` prices it)."""
        rate = self.scenario.costs.disruption_gbp_per_patient
        if rate <= 0:
            return 0.0
        pcn = self.practices.pcn_code
        return float(sum(rate * int(self.practices.list_size[i]) for i in members
                         if pcn[i] and pcn[i] != pcn[hub]))

    def make_or_buy(self, population: int):
        """The model's make-or-buy of one federation (memoised by population)."""
        key = ("mob", int(population))
        with self._lock:
            hit = self._terms.get(key)
        if hit is None:
            mb = self.scenario.makebuy
            hit = make_or_buy(self.catalogue, int(population), shared_hub_cost=mb.shared_hub_gbp,
                              max_inhouse=mb.max_inhouse)
            with self._lock:
                self._terms[key] = hit
        return hit

    def to_hub(self, i: int, hub: int) -> float:
        """Minutes (access in minutes) or km from practice ``i`` to ``hub``."""
        if self.minutes is not None:
            v = float(self.minutes[i, hub])
        else:
            v = float(self.distance_km[i, hub])
        return v if np.isfinite(v) else None


def build_model(scenario: Scenario) -> Model:
    """The same steps as ``fedplan.api.run`` up to the solve (InputError on bad input)."""
    practices = load_practices(scenario)
    dist, access, catalogue, problem, baseline = prepare(practices, scenario)
    minutes = None if access is None else access.minutes
    return Model(scenario, practices, problem, dist, catalogue, minutes, access, baseline,
                 {c: i for i, c in enumerate(practices.code)}, mean_practice_list(practices.list_size))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "run"


class LoadedPlan:
    """One run directory, read once: its plan, its claims (status, cost, bound, gap) and models."""

    def __init__(self, plan_id: str, name: str, path: Path | None, scenario: Scenario, optimum: dict,
                 assignment: dict[str, int], hubs: dict[int, str]):
        self.id, self.name, self.path, self.scenario, self.optimum = plan_id, name, path, scenario, optimum
        self.start_assignment, self.start_hubs = dict(assignment), dict(hubs)
        self._models: dict[tuple[str, ...], Model] = {}
        self._lock = threading.Lock()
        self._geometry: dict | None = None
        self._adjacency: list[list[int]] | None = None

    @classmethod
    def from_run_dir(cls, path: Path, plan_id: str) -> "LoadedPlan":
        """A run directory's plan and claims; refused when its practices no longer match."""
        run = read_run_dir(path)
        if not run.has_plan:
            raise InputError(f"the run's status is {run.summary.get('status')!r}: there is no plan to edit.",
                             file=str(path), fix="give a run directory with status optimal or feasible.")
        s = run.summary
        optimum = {"status": s.get("status"), "objective_gbp": s.get("objective_gbp"),
                   "bound_gbp": s.get("bound_gbp"), "gap": s.get("gap")}
        hubs = {int(f["id"]): str(f["hub"]) for f in s.get("federations", [])}
        plan = cls(plan_id, run.name, Path(path).resolve(), run.scenario, optimum, run.assignment, hubs)
        base = plan.model(())
        missing = sorted(set(base.practices.code) ^ set(run.assignment))
        if missing:
            raise InputError(f"the run's assignment.csv does not match the practices its scenario selects now "
                             f"({len(missing)} differ, e.g. {', '.join(missing[:3])}).", file=str(path),
                             fix="re-run `fedplan plan` on the current inputs, then serve that run.")
        if set(hubs) != set(run.assignment.values()):
            raise InputError("summary.json's federations do not match assignment.csv.", file=str(path),
                             fix="re-run `fedplan plan`.")
        return plan

    @classmethod
    def from_pcns(cls, scenario: Scenario, plan_id: str, path: Path | None = None) -> "LoadedPlan":
        """Today's PCNs of a scenario's area as the plan to edit (no optimum known: no bound)."""
        model = build_model(scenario)
        groups = sorted(set(model.baseline.groups))
        fid = {g: k + 1 for k, g in enumerate(groups)}
        assignment = {c: fid[g] for c, g in zip(model.practices.code, model.baseline.groups)}
        optimum = {"status": None, "objective_gbp": None, "bound_gbp": None, "gap": None}
        plan = cls(plan_id, f"today's PCNs of {scenario.area.describe()}", path, scenario, optimum, assignment,
                   {fid[g]: model.baseline.hubs[g] for g in groups})
        plan._models[()] = model
        return plan

    def scenario_for(self, excluded: tuple[str, ...]) -> Scenario:
        """The run's scenario with more practices left out ([area] exclude)."""
        if not excluded:
            return self.scenario
        sc = self.scenario
        return replace(sc, area=replace(sc.area, exclude=tuple(dict.fromkeys(sc.area.exclude + tuple(excluded)))))

    def model(self, excluded: tuple[str, ...]) -> Model:
        key = tuple(sorted(excluded))
        with self._lock:
            m = self._models.get(key)
            if m is None:
                m = build_model(self.scenario_for(key))
                if len(self._models) > 8:          # a planner rarely juggles many; keep memory bounded
                    self._models.pop(next(k for k in self._models if k))
                self._models[key] = m
            return m

    def adjacency(self) -> list[list[int]]:
        """Neighbouring practices (positions in the run's own practice order), for colouring."""
        with self._lock:
            if self._adjacency is None:
                self._adjacency = [[int(a), int(b)] for a, b in geo.practice_adjacency(self._models[()].practices)]
            return self._adjacency

    def geometry(self) -> dict:
        """What the map draws that never changes with edits: practice sites, catchment cells
        (Voronoi cells clipped to the area, EPSG:27700 metres, y flipped for SVG) and the
        practice adjacency the federation colouring uses."""
        with self._lock:
            if self._geometry is not None:
                return self._geometry
        m = self.model(())
        from .mapdata import map_geometry

        g = map_geometry(m.practices, self.scenario)
        with self._lock:
            self._geometry = g
        return g


def load_plans(paths: list[Path]) -> dict[str, LoadedPlan]:
    """The runs to serve, by id (their folder name, made unique)."""
    out: dict[str, LoadedPlan] = {}
    for p in paths:
        pid = base = _slug(Path(p).resolve().name)
        n = 2
        while pid in out:
            pid, n = f"{base}-{n}", n + 1
        out[pid] = LoadedPlan.from_run_dir(Path(p), pid)
    return out


def per_member(model: Model) -> float:
    """The coordination £ each member carries in ``assign_cost`` (not access)."""
    return coordination_gbp(model.scenario)
