"""Why each federation has its size: the cost per patient by term against population (the curve
every federation sits on), where each federation sits on it, and which population rule binds.

Computed from the model's own cost functions when the summary is written, so the report only
draws what summary.json holds (reports never model or solve).
"""
from __future__ import annotations

import numpy as np

from fedplan.inputs.model import Catalogue, Scenario

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
                     "binding_rule": binding_rule(n, lo, hi, median_list)})
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
    }
