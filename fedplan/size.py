"""Why each federation has its size: the cost per patient by term against population (the curve
every federation sits on), where each federation sits on it, and which population rule binds.

Computed from the model's own cost functions when the summary is written, so the report only
draws what summary.json holds (reports never model or solve).
"""
from __future__ import annotations

import numpy as np

from fedplan.inputs.model import Catalogue, Scenario

from fedplan.optimise.makebuy import make_or_buy

from .problem import federation_terms


def cost_curve(scenario: Scenario, catalogue: Catalogue, *, mean_list: float, patients_per_practice: float,
               fixed_gbp: float, top: int) -> list[dict]:
    """£ per patient by term at populations from 5,000 to ``top`` (a member count of
    population / ``patients_per_practice``, the area's mean practice), access excluded: it
    depends on geography, not size."""
    grid = np.unique(np.r_[np.arange(5_000, top + 1, 2_500), [top]]).astype(int)
    out = []
    for n in grid:
        m = max(1, int(round(n / max(patients_per_practice, 1.0))))
        t = federation_terms(int(n), scenario, catalogue, n_practices=m, mean_list=mean_list)
        row = {"population": int(n), "members": m,
               "services": t["services"] / n, "risk": t["risk"] / n, "engagement": t["engagement"] / n,
               "federation_fixed": fixed_gbp / n}
        row["total"] = sum(v for k, v in row.items() if k not in ("population", "members"))
        out.append({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()})
    return out


def binding_rule(population: int, lo: int, hi: int, step: float) -> str:
    """'ceiling', 'floor' or 'none': the population rule holding a federation, if any. A rule
    holds a federation when one more (or one fewer) practice of the area's median list ``step``
    would cross it; whether holding it costs anything is what ``fedplan.rules`` prices."""
    if population > hi - step:
        return "ceiling"
    if population < lo + step:
        return "floor"
    return "none"


TERM_KEYS = ("services", "risk", "engagement", "federation_fixed")


def drivers(curve: list[dict], small: int, large: int) -> dict | None:
    """How each term's £ per patient changes on the curve from ``small`` to ``large`` patients (the
    nearest curve points): the terms that push a federation to grow (negative) or stay small
    (positive)."""
    if not curve or large <= small:
        return None
    a = min(curve, key=lambda r: abs(r["population"] - small))
    b = min(curve, key=lambda r: abs(r["population"] - large))
    if b["population"] <= a["population"]:
        return None
    change = {k: round(float(b[k] - a[k]), 4) for k in TERM_KEYS}
    return {"from_population": a["population"], "to_population": b["population"], "change_per_patient": change,
            "largest": max(change, key=lambda k: abs(change[k]))}


def next_steps(scenario: Scenario, catalogue: Catalogue, population: int, step: int) -> list[dict]:
    """The services whose cost jumps if one more practice of ``step`` patients joins (another team,
    or a change of mode): what stops a federation from growing one practice more."""
    if not scenario.makebuy.joint or step <= 0:
        return []
    mb = scenario.makebuy
    now = make_or_buy(catalogue, population, shared_hub_cost=mb.shared_hub_gbp, max_inhouse=mb.max_inhouse)
    more = make_or_buy(catalogue, population + step, shared_hub_cost=mb.shared_hub_gbp, max_inhouse=mb.max_inhouse)
    out = []
    for a, b in zip(now.services, more.services):
        if b.teams > a.teams or b.mode != a.mode:
            out.append({"service": a.service, "mode": b.mode, "teams": b.teams,
                        "extra_gbp": round(b.cost_gbp - a.cost_gbp, 2)})
    return sorted(out, key=lambda x: -x["extra_gbp"])


def size_analysis(scenario: Scenario, catalogue: Catalogue, federations: list[dict], *, mean_list: float,
                  n_practices: int, population: int, median_list: float) -> dict:
    """summary.json's ``size_analysis``: the curve, its lowest point, and per federation its cost
    per patient by term and the rule that binds."""
    lo, hi = scenario.bounds.min_population, scenario.bounds.max_population
    top = int(min(max(2 * hi, 250_000), max(population, 5_000)))
    curve = cost_curve(scenario, catalogue, mean_list=mean_list,
                       patients_per_practice=population / max(1, n_practices),
                       fixed_gbp=scenario.costs.federation_fixed_gbp, top=top)
    best = min(curve, key=lambda r: r["total"]) if curve else None
    feds = []
    for f in federations:
        n = max(1, int(f["population"]))
        feds.append({"id": f["id"], "population": n, "n_practices": f["n_practices"],
                     "per_patient": {k: round(float(f.get(f"{k}_gbp", 0.0)) / n, 4)
                                     for k in ("services", "risk", "engagement", "access")}
                     | {"federation_fixed": round(scenario.costs.federation_fixed_gbp / n, 4)},
                     "binding_rule": binding_rule(n, lo, hi, median_list),
                     "next_step": next_steps(scenario, catalogue, n, int(round(median_list)))})
    held = [f for f in feds if f["binding_rule"] != "none"]
    return {
        "curve": curve,
        "curve_lowest": None if best is None else {"population": best["population"], "total": best["total"]},
        "curve_note": ("£ per patient by term for a federation of the area's mean practices; access is left out "
                       "(it depends on where practices are, not on size)"),
        "federations": feds,
        "held_by_ceiling": sum(1 for f in held if f["binding_rule"] == "ceiling"),
        "held_by_floor": sum(1 for f in held if f["binding_rule"] == "floor"),
        "median_practice_list": round(float(median_list), 1),
        # from the smallest allowed federation to the plan's median one: which terms made it grow
        "drivers": drivers(curve, max(int(lo), 5_000),
                           int(np.median([f["population"] for f in feds])) if feds else 0),
    }
