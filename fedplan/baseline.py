"""The baseline: today's Primary Care Networks costed by the same model as a plan (every plan is
compared with it), and the same groups as the engine's warm start."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fedplan.inputs.model import Catalogue, Practices, Scenario
from fedplan.optimise import FederationProblem

from fedplan.optimise.risk import mean_practice_list

from .problem import coordination_gbp, federation_terms


@dataclass(frozen=True)
class Baseline:
    """Today's PCNs costed by the same model. Practices outside any PCN count as their own group."""

    groups: tuple[str, ...]            # group id per practice (PCN code, or "no PCN: <code>")
    names: dict[str, str]
    hubs: dict[str, str]               # group -> hub practice code (cheapest member to host)
    federations: tuple[dict, ...]
    cost_gbp: float
    cost_breakdown: dict[str, float]
    in_range_share: float


def baseline_groups(practices: Practices) -> tuple[str, ...]:
    """Today's groups: each practice's PCN code, or the practice alone when it has none."""
    return tuple(g if g else f"no PCN: {c}" for g, c in zip(practices.pcn_code, practices.code))


def cost_baseline(practices: Practices, problem: FederationProblem, scenario: Scenario | None = None,
                  catalogue: Catalogue | None = None) -> Baseline:
    """Today's PCNs under the same model: access to the cheapest member hub, fixed cost, and (with
    ``scenario``) each PCN's own make-or-buy and risk at its actual size, even outside the bounds."""
    groups = baseline_groups(practices)
    names = {}
    members: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
        names.setdefault(g, practices.pcn_name[i] or g)
    feds, access_total, hubs = [], 0.0, {}
    soft = scenario is not None and scenario.bounds.soft
    terms_total = {"services": 0.0, "risk": 0.0, "engagement": 0.0} | ({"penalty": 0.0} if soft else {})
    mean_list = mean_practice_list(practices.list_size)
    per_member = coordination_gbp(scenario) if scenario is not None else 0.0
    # the planners' range (under soft bounds the problem's own window is wider)
    L, U = ((scenario.bounds.min_population, scenario.bounds.max_population) if scenario is not None
            else (problem.min_population, problem.max_population))
    in_range = 0
    for g in sorted(members):
        ms = np.array(members[g])
        sub = problem.assign_cost[np.ix_(ms, ms)].sum(axis=0)
        hub = int(ms[int(np.argmin(sub))])
        # assign_cost carries each member's coordination cost (the same at every hub): not access
        access = float(sub.min()) - per_member * len(ms)
        access_total += access
        pop = int(problem.list_size[ms].sum())
        in_range += L <= pop <= U
        hubs[g] = practices.code[hub]
        terms = (federation_terms(pop, scenario, catalogue, n_practices=len(ms), mean_list=mean_list)
                 if scenario is not None else {"services": 0.0, "risk": 0.0, "engagement": 0.0})
        for k in terms_total:
            terms_total[k] += terms[k]
        feds.append({"id": g, "name": names[g], "population": pop, "n_practices": int(len(ms)),
                     "hub": practices.code[hub], "hub_name": practices.name[hub],
                     "cost_gbp": round(access + problem.hub_cost + sum(terms.values()), 2),
                     "services_gbp": round(terms["services"], 2), "risk_gbp": round(terms["risk"], 2),
                     "engagement_gbp": round(terms["engagement"], 2), "access_gbp": round(access, 2)}
                    | ({"penalty_gbp": round(terms["penalty"], 2)} if soft else {}))
    fixed = problem.hub_cost * len(members)
    return Baseline(groups, names, hubs, tuple(feds), access_total + fixed + sum(terms_total.values()),
                    {"services": terms_total["services"], "risk": terms_total["risk"],
                     "engagement": terms_total["engagement"], "access": access_total,
                     "federation_fixed": fixed, "disruption": 0.0}
                    | ({"penalty": terms_total["penalty"]} if soft else {}),
                    in_range / max(1, len(members)))


def baseline_start(practices: Practices, baseline: Baseline) -> tuple[np.ndarray, tuple[int, ...]]:
    """Today's PCNs as the engine's warm start: a federation label per practice and each group's hub."""
    order = sorted(set(baseline.groups))
    gid = {g: f for f, g in enumerate(order)}
    labels = np.array([gid[g] for g in baseline.groups], dtype=np.int64)
    return labels, tuple(practices.index(baseline.hubs[g]) for g in order)
