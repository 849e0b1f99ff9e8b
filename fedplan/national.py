"""England and regions: planned part by part on a Dask cluster, merged into one run directory.

A national problem (6,129 practices) is far beyond one exact model, and planners nest federations
inside their ICB anyway, so ``fedplan plan --england`` / ``--region`` cut the area into its ICBs
(or sub-ICBs with ``[constraints] nest_within = "sub_icb"``): federations never cross those
borders. Each part is an ordinary run (written to ``parts/<code>/`` of the national run directory),
solved in parallel; the national plan is their union. Its cost is the sum of the parts' costs
and its bound the sum of their bounds, which is a valid bound for the nested problem; the status
is ``optimal`` only if every part is proven, and the summary lists the parts that are not.
"""
from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from inputs.model import AreaSpec, Scenario

from .rundir import read_run_dir


def split_level(sc: Scenario) -> str:
    return "sub_icb" if sc.constraints.nest_within == "sub_icb" else "icb"


def national_parts(practices, sc: Scenario) -> list[tuple[str, Scenario]]:
    """(part code, scenario) per ICB (or sub-ICB) of the selected practices, largest first (so the
    slowest parts start first)."""
    level = split_level(sc)
    codes = np.array(getattr(practices, f"{level}_code"), dtype=object)
    sizes = np.asarray(practices.list_size)
    parts = []
    for code in sorted(set(codes)):
        members = tuple(c for c, k in zip(practices.code, codes) if k == code)
        if code:
            area = AreaSpec(icb=code, exclude=sc.area.exclude) if level == "icb" else \
                AreaSpec(sub_icb=code, exclude=sc.area.exclude)
        else:
            area = AreaSpec(practices=members)
        parts.append((code or "no-code", replace(sc, area=area), int(sizes[codes == code].sum())))
    parts.sort(key=lambda t: -t[2])
    return [(code, part) for code, part, _ in parts]


def is_national(sc: Scenario, practices) -> bool:
    """England or a region whose practices span more than one part."""
    if not (sc.area.england or sc.area.region):
        return False
    return len(set(getattr(practices, f"{split_level(sc)}_code"))) > 1


def plan_national(sc: Scenario, out: Path, argv: list[str], *, scheduler: str | None = None,
                  workers: int | None = None, progress: bool = True, say=lambda m: None) -> dict:
    """Plan every part into ``out/parts/`` and merge; the whole national run directory appears
    atomically. Raises ProblemInfeasible (with every part's reasons) if a part cannot be planned."""
    from optimise import ProblemInfeasible

    from . import api
    from .execute import dask_client, plan_into
    from .output import staging, write_csv, write_text_atomic

    started = time.time()
    practices = api.load_practices(sc)
    parts = national_parts(practices, sc)
    say(f"{sc.area.describe()}: {len(practices):,} practices in {len(parts)} parts "
        f"({split_level(sc).replace('_', '-').upper()}s), solved in parallel")
    with staging(out, overwrite=False) as tmp:
        (tmp / "parts").mkdir()
        results = _run_parts(parts, tmp / "parts", argv, scheduler or sc.solve.scheduler, workers, progress,
                             dask_client, plan_into)
        failed = [(code, r) for code, r in results.items() if r["status"] not in ("optimal", "feasible")]
        if failed:
            reasons = [f"part {code}: {r['status']}: {r['message']}" for code, r in failed]
            raise ProblemInfeasible(reasons)
        summary, assignment, mob, log = merge_parts(tmp / "parts", [c for c, _ in parts], sc, practices)
        summary["runtime_s"] = round(time.time() - started, 3)
        write_csv(tmp / "assignment.csv", ["practice_code", "federation_id"], sorted(assignment.items()))
        write_csv(tmp / "make_or_buy.csv", ["federation_id", "service", "mode", "cost_gbp", "break_even_population"],
                  mob)
        (tmp / "solver.log").write_text(log, encoding="utf-8")
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        say("drawing the national report")
        _national_report(tmp, summary, practices, assignment, mob, log, sc)
        write_text_atomic(tmp / "manifest.json", json.dumps(_manifest(sc, tmp, argv, started), indent=2) + "\n")
    return summary


def _run_parts(parts, folder: Path, argv, scheduler, workers, progress, dask_client, plan_into) -> dict:
    from distributed import as_completed
    from tqdm import tqdm

    results = {}
    with dask_client(scheduler, workers) as client:
        futures = {client.submit(plan_into, part, str(folder / code), argv, pure=False, key=f"part-{code}"): code
                   for code, part in parts}
        bar = tqdm(total=len(parts), desc="parts", unit="part", disable=not progress, file=sys.stderr)
        for fut in as_completed(futures):
            code = futures[fut]
            try:
                r = fut.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker is a failed part, said as such
                r = {"status": "error", "message": f"the task failed: {exc}"}
            results[code] = r
            bar.update(1)
            if r["status"] in ("infeasible", "bad input"):
                # the national plan cannot exist: stop the others rather than solve them for nothing
                for f in futures:
                    f.cancel()
                break
        bar.close()
    return results


def _distance_stats(practices, hub_of: dict[str, str]) -> dict:
    pos = {c: i for i, c in enumerate(practices.code)}
    e, n = np.asarray(practices.easting, float), np.asarray(practices.northing, float)
    d = np.array([math.hypot(e[pos[c]] - e[pos[h]], n[pos[c]] - n[pos[h]]) / 1000 for c, h in hub_of.items()
                  if c in pos and h in pos])
    if not len(d):
        return {"mean_km": None, "p95_km": None}
    return {"mean_km": round(float(d.mean()), 3), "p95_km": round(float(np.percentile(d, 95)), 3)}


def merge_parts(folder: Path, codes: list[str], sc: Scenario, practices) -> tuple[dict, dict, list, str]:
    """The national summary, assignment (code -> national federation id), make-or-buy rows and log
    from the parts' run directories."""
    assignment: dict[str, int] = {}
    mob: list[list] = []
    feds: list[dict] = []
    base_feds: list[dict] = []
    parts_info: list[dict] = []
    breakdown: dict[str, float] = {}
    base_breakdown: dict[str, float] = {}
    logs: list[str] = []
    objective = bound = base_cost = 0.0
    bound_known = True
    moved = 0
    verified = True
    base_in_range = base_groups = 0.0
    offset = 0
    plan_hub: dict[str, str] = {}
    group_hub: dict[str, str] = {}
    for code in codes:
        rd = read_run_dir(folder / code, need_scenario=False)
        s = rd.summary
        fid_map = {f["id"]: offset + k for k, f in enumerate(s["federations"], start=1)}
        for c, f in rd.assignment.items():
            assignment[c] = fid_map[f]
        hub_by_fid = {f["id"]: f["hub"] for f in s["federations"]}
        plan_hub.update({c: hub_by_fid[f] for c, f in rd.assignment.items()})
        for f in s["federations"]:
            feds.append({**f, "id": fid_map[f["id"]], "part": code})
        for r in rd.make_or_buy:
            mob.append([fid_map[int(r["federation_id"])], r["service"], r["mode"], r["cost_gbp"],
                        r.get("break_even_population", "")])
        b = s["baseline"]
        base_feds += [{**f, "part": code} for f in b["federations"]]
        group_hub.update({f["id"]: f["hub"] for f in b["federations"]})
        objective += s["objective_gbp"]
        if s.get("bound_gbp") is None:
            bound_known = False
        else:
            bound += s["bound_gbp"]
        base_cost += b["objective_gbp"]
        base_in_range += b["in_range_share"] * b["n_federations"]
        base_groups += b["n_federations"]
        for k, v in (s.get("cost_breakdown") or {}).items():
            breakdown[k] = breakdown.get(k, 0.0) + v
        for k, v in (b.get("cost_breakdown") or {}).items():
            base_breakdown[k] = base_breakdown.get(k, 0.0) + v
        moved += s.get("practices_moved") or 0
        verified &= bool(s.get("verified"))
        parts_info.append({"part": code, "area": s["area"], "status": s["status"], "objective_gbp": s["objective_gbp"],
                           "bound_gbp": s.get("bound_gbp"), "gap": s.get("gap"), "n_practices": s["n_practices"],
                           "n_federations": s["n_federations"], "runtime_s": s["runtime_s"],
                           "work_units": s.get("work_units"), "repeatable": s.get("repeatable", True)})
        logs.append(f"===== part {code} ({s['area']}): {s['status']} =====\n{rd.log}")
        offset += len(s["federations"])
    from .api import baseline_groups

    base_hub = {c: group_hub[g] for c, g in zip(practices.code, baseline_groups(practices)) if g in group_hub}
    first = read_run_dir(folder / codes[0], need_scenario=False).summary
    L, U = first["bounds"]["min_population"], first["bounds"]["max_population"]
    bound_v = bound if bound_known else None
    gap = None if bound_v is None else max(0.0, (objective - bound_v) / objective) if objective else 0.0
    unproven = [p["part"] for p in parts_info if p["status"] != "optimal"]
    status = "optimal" if not unproven else "feasible"
    level = split_level(sc).replace("_", "-").upper()
    in_range = sum(L <= f["population"] <= U for f in feds) / len(feds) if feds else None
    summary = {
        "status": status,
        "objective_gbp": round(objective, 2),
        "bound_gbp": None if bound_v is None else round(bound_v, 2),
        "gap": None if gap is None else round(gap, 8),
        "runtime_s": None,
        "work_units": round(sum(p["work_units"] or 0.0 for p in parts_info), 3),
        # the national plan repeats exactly only when every part does (a work limit, or proofs)
        "repeatable": all(p["repeatable"] for p in parts_info),
        "solver": first["solver"], "method": first["method"], "solver_version": first.get("solver_version"),
        "seed": first.get("seed"),
        "area": sc.area.describe(),
        "n_practices": len(assignment),
        "population": int(sum(p["population"] for p in feds)),
        "n_federations": len(feds),
        "bounds": {"min_population": L, "max_population": U},
        "federations": feds,
        "cost_breakdown": {k: round(v, 2) for k, v in breakdown.items()},
        "baseline": {
            "description": "today's Primary Care Networks (practices' pcn_code), costed by the same model, part by part",
            "objective_gbp": round(base_cost, 2),
            "n_federations": len(base_feds),
            "in_range_share": round(base_in_range / base_groups, 4) if base_groups else None,
            "federations": base_feds,
            "cost_breakdown": {k: round(v, 2) for k, v in base_breakdown.items()},
            "distance_to_hub": _distance_stats(practices, base_hub),
        },
        "practices_moved": moved,
        "verified": verified,
        "verification_problems": [] if verified else ["a part failed independent verification (see parts/)"],
        "message": (f"planned {level} by {level} ({len(codes)} parts; federations do not cross {level} borders); "
                    + ("every part proven optimal" if not unproven else
                       f"{len(codes) - len(unproven)} of {len(codes)} parts proven optimal; not proven: "
                       + ", ".join(unproven))),
        "national": {"parts": parts_info, "split_by": split_level(sc), "in_range_share": in_range,
                     "distance_to_hub": _distance_stats(practices, plan_hub)},
        "parameters": first.get("parameters", {}),
        "timings_s": {},
    }
    return summary, assignment, mob, "\n".join(logs)


def _national_report(tmp: Path, summary: dict, practices, assignment: dict, mob: list, log: str, sc: Scenario) -> None:
    import reports

    from . import api
    from .output import render_run_report

    fed_ids = [assignment[c] for c in practices.code]
    outline = api.load_outline(practices, sc)
    html, polygons = render_run_report(summary, practices, fed_ids, mob, log, outline=outline)
    reports.write_federations_gpkg(tmp / "federations.gpkg", polygons, summary["federations"])
    reports.write_report(tmp / "report.html", html)


def _manifest(sc: Scenario, tmp: Path, argv, started: float) -> dict:
    import inputs

    from .output import _sha256, _versions

    return {
        "fedplan_manifest": 1, "command": argv,
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seed": sc.solve.seed, "scenario": inputs.scenario_to_dict(sc),
        "inputs": json.loads((tmp / "parts" / next(iter(sorted(p.name for p in (tmp / "parts").iterdir())))
                              / "manifest.json").read_text()).get("inputs", {}),
        "outputs": {f.name: _sha256(f) for f in sorted(tmp.iterdir()) if f.is_file() and f.name != "manifest.json"},
        "versions": _versions(),
    }

