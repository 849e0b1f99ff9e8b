"""England and regions: planned part by part on a Dask cluster, merged into one run directory.

A national problem (6,129 practices) is far beyond one exact model, and planners nest federations
inside their ICB anyway, so ``fedplan plan --england`` / ``--region`` cut the area into its ICBs
(or sub-ICBs with ``[constraints] nest_within = "sub_icb"``): federations never cross those
borders. Each part is an ordinary run (written to ``parts/<code>/`` of the national run directory),
solved in parallel; the national plan is their union. Its cost is the sum of the parts' costs
and its bound the sum of their bounds, which is a valid bound for the nested problem; the status
is ``optimal`` only if every part is proven, and the summary lists the parts that are not.

The scenario's code lists (hub candidates, locks, together / apart pairs, opted-out practices) are
split by part, each part getting its own entries. What a part-by-part run cannot honour is refused
before anything is solved (InputError): ``n_federations``, a lock or ``together`` pair across two
parts, a part left without hub candidates, a code in no part. A failed part keeps its own kind of
failure (bad input, rules that cannot be met, no plan) and nothing is written; the merged plan is
checked as a whole (``verify_merged``) before it is called verified.
"""
from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from fedplan.inputs.errors import InputError
from fedplan.inputs.model import AreaSpec, Scenario

from .rundir import read_run_dir


def split_level(sc: Scenario) -> str:
    return "sub_icb" if sc.constraints.nest_within == "sub_icb" else "icb"


class PartsFailed(Exception):
    """Parts for which the solver produced no plan (the CLI's exit code 1); ``reasons`` in words."""

    def __init__(self, reasons: list[str]):
        self.reasons = list(reasons)
        super().__init__("; ".join(self.reasons))


def _level_word(sc: Scenario) -> str:
    return "sub-ICB" if split_level(sc) == "sub_icb" else "ICB"


def refuse_unsplittable(sc: Scenario) -> None:
    """Rules about the whole area that a part-by-part run cannot honour: refused (InputError, exit 2)
    before anything is solved. ``n_federations`` counts the federations of the whole run; each
    part would otherwise get the whole count."""
    k = sc.constraints
    if k.n_federations is not None:
        level = _level_word(sc)
        raise InputError(f"n_federations = {k.n_federations} fixes the number of federations of the whole area, "
                         f"but {sc.area.describe()} is planned {level} by {level}, each part on its own, and "
                         "that count cannot be split between the parts.",
                         file=sc.source or "scenario", column="constraints.n_federations",
                         fix=f"plan one {level} at a time with --{level.lower()} CODE "
                             "(with n_federations for that one), or remove n_federations.")


def _not_selected(code: str, key: str, what: str, sc: Scenario, practices, excluded: set[str]) -> InputError:
    """The error for a rule naming a practice that is in no part (unknown, excluded or outside the area)."""
    from fedplan.inputs.errors import nearest

    if code in excluded:
        why = " (it is excluded: [area] exclude / --exclude)"
    else:
        hint = nearest(code, tuple(practices.code))
        why = f" (did you mean {hint}?)" if hint else ""
    return InputError(f"{what} names {code}, which is not among the {len(practices):,} participating practices of "
                      f"{sc.area.describe()}{why}.", file=sc.source or "scenario", column=key,
                      fix="use practice codes from the selected area; drop rules about opted-out practices.")


def _split_rules(practices, sc: Scenario, part_of: dict[str, str]) -> dict[str, dict]:
    """The code lists of the scenario, split by part: {part: {"hub_candidates": ..., "locks": ...,
    "together": ..., "apart": ...}}. Codes in no part, locks and ``together`` pairs across two parts
    and a part left without hub candidates are InputErrors. An ``apart`` pair across two parts
    holds by construction (federations never cross a part border), so it goes to neither part."""
    k = sc.constraints
    src = sc.source or "scenario"
    level = _level_word(sc)
    an = "an" if level == "ICB" else "a"
    excluded = {c.strip().upper() for c in sc.area.exclude}
    out: dict[str, dict] = {p: {"hub_candidates": [], "locks": [], "together": [], "apart": []}
                            for p in dict.fromkeys(part_of.values())}

    def where(code: str, key: str, what: str) -> str:
        if code not in part_of:
            raise _not_selected(code, key, what, sc, practices, excluded)
        return part_of[code]

    for code in k.hub_candidates:
        out[where(code, "constraints.hub_candidates", "hub_candidates")]["hub_candidates"].append(code)
    for code, hub in k.locks:
        pa = where(code, "constraints.locks", f"lock {code} = {hub}")
        pb = where(hub, "constraints.locks", f"lock {code} = {hub}")
        if pa != pb:
            raise InputError(f"lock {code} = {hub} crosses two {level}s: {code} is in {level} {pa}, {hub} in "
                             f"{level} {pb}. {sc.area.describe()} is planned {level} by {level} and no federation "
                             f"crosses {an} {level} border, so {code} cannot be hosted by {hub}.",
                             file=src, column="constraints.locks",
                             fix=f"lock {code} to a practice of {level} {pa}, remove the lock, or plan these "
                                 "practices in one run ([area] practices = [...]).")
        out[pa]["locks"].append((code, hub))
    for key in ("together", "apart"):
        for n, (a, b) in enumerate(getattr(k, key), start=1):
            what = f"pair {n} of {key} ({a}, {b})"
            pa, pb = where(a, f"constraints.{key}", what), where(b, f"constraints.{key}", what)
            if pa == pb:
                out[pa][key].append((a, b))
            elif key == "together":
                raise InputError(f"{what} crosses two {level}s: {a} is in {level} {pa}, {b} in {level} {pb}. "
                                 f"{sc.area.describe()} is planned {level} by {level} and no federation crosses {an} "
                                 f"{level} border, so the two cannot share a federation.",
                                 file=src, column="constraints.together",
                                 fix="remove the pair, or plan these practices in one run "
                                     "([area] practices = [...]).")
    if k.hub_candidates:
        empty = [p for p, rules in out.items() if not rules["hub_candidates"]]
        if empty:
            named = ", ".join(empty[:10]) + (f" and {len(empty) - 10} more" if len(empty) > 10 else "")
            raise InputError(f"hub_candidates names no practice of {level}{'s' if len(empty) > 1 else ''} {named} "
                             f"({len(empty)} of the {len(out)} parts): hubs are allowed only "
                             "among the listed practices, so no federation of "
                             + ("that part" if len(empty) == 1 else "those parts") + " could have a hub.",
                             file=src, column="constraints.hub_candidates",
                             fix=f"list at least one hub candidate in every {level} of the run, plan the {level}s "
                                 f"that have candidates one at a time (--{level.lower()} CODE), "
                                 "or remove hub_candidates.")
    return out


def national_parts(practices, sc: Scenario) -> list[tuple[str, Scenario]]:
    """(part code, scenario) per ICB (or sub-ICB) of the selected practices, largest first (so the
    slowest parts start first). Each part's scenario carries only its own share of the code lists
    (hub candidates, locks, together / apart pairs, excluded practices); rules that cannot be
    split are refused here, before anything is solved (InputError)."""
    refuse_unsplittable(sc)
    level = split_level(sc)
    codes = np.array(getattr(practices, f"{level}_code"), dtype=object)
    sizes = np.asarray(practices.list_size)
    part_of = {c: (k or "no-code") for c, k in zip(practices.code, codes)}
    rules = _split_rules(practices, sc, part_of)
    # the excluded practices' parts: read from the area before exclusion (the shipped table is cached)
    excluded_in: dict[str, list[str]] = {}
    if sc.area.exclude:
        from .problem import load_practices

        whole = load_practices(replace(sc, area=replace(sc.area, exclude=())))
        level_of = {c: (k or "no-code") for c, k in zip(whole.code, getattr(whole, f"{level}_code"))}
        for c in dict.fromkeys(x.strip().upper() for x in sc.area.exclude):
            if c in level_of:          # an excluded practice outside the area concerns no part
                excluded_in.setdefault(level_of[c], []).append(c)
    parts = []
    for code in sorted(set(codes)):
        label = code or "no-code"
        members = tuple(c for c, k in zip(practices.code, codes) if k == code)
        exclude = tuple(excluded_in.get(label, ()))
        if code:
            area = AreaSpec(icb=code, exclude=exclude) if level == "icb" else AreaSpec(sub_icb=code, exclude=exclude)
        else:
            area = AreaSpec(practices=members, exclude=exclude)
        r = rules[label]
        constraints = replace(sc.constraints, hub_candidates=tuple(r["hub_candidates"]), locks=tuple(r["locks"]),
                              together=tuple(r["together"]), apart=tuple(r["apart"]))
        # a part's rules are not priced: the national plan is the product, and pricing would
        # re-solve every part twice more
        solve = replace(sc.solve, price_rules=False)
        parts.append((label, replace(sc, area=area, constraints=constraints, solve=solve),
                      int(sizes[codes == code].sum())))
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
    atomically. A part that fails keeps its own kind of failure, and nothing is written: InputError
    (bad input, with the part's message), ProblemInfeasible (the rules cannot be met, with every
    failed part's reasons) or PartsFailed (the solver produced no plan). The merged plan is checked
    as a whole (``verify_merged``); if that fails, the run directory is written with status
    "error" and ``verified: false``."""
    from .execute import dask_client, plan_into
    from .output import staging, write_csv, write_text_atomic
    from .problem import load_practices

    started = time.time()
    practices = load_practices(sc)
    parts = national_parts(practices, sc)
    say(f"{sc.area.describe()}: {len(practices):,} practices in {len(parts)} parts "
        f"({split_level(sc).replace('_', '-').upper()}s), solved in parallel")
    with staging(out, overwrite=False) as tmp:
        (tmp / "parts").mkdir()
        results = run_parts(parts, tmp / "parts", argv, scheduler or sc.solve.scheduler, workers, progress,
                             dask_client, plan_into)
        raise_part_failures(results, [c for c, _ in parts])
        codes = [c for c, _ in parts]
        summary, assignment, mob, log = merge_parts(tmp / "parts", codes, sc, practices)
        problems = verify_merged(tmp / "parts", codes, summary, assignment, practices, sc)
        summary["verified"] = not problems
        summary["verification_problems"] = problems
        if problems:
            summary["status"] = "error"
            summary["message"] = ("the merged plan failed verification: " + "; ".join(problems) + ". "
                                  + summary["message"])
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


def raise_part_failures(results: dict, codes: list[str]) -> None:
    """Each failed part keeps its own kind of failure, the most basic first: bad input (InputError,
    exit 2), rules that cannot be met (ProblemInfeasible, exit 3: a part refused by diagnosis, or
    whose solver proved it infeasible), no plan from the solver or a lost task (PartsFailed, exit 1)."""
    from fedplan.optimise import ProblemInfeasible

    bad, infeasible, failed = [], [], []
    for code in codes:
        r = results.get(code)
        if r is None:
            continue
        status = r["status"]
        if _has_plan(r):
            continue          # a written plan: verify_merged judges it (its status, its own checks)
        if status == "bad input":
            bad.append(f"part {code}: {r['message']}")
        elif status == "infeasible":
            infeasible.append(f"part {code}: infeasible: {r['message']}")
        elif status == "no plan" and r.get("solver_status") == "infeasible":
            infeasible.append(f"part {code}: {r['message']}")
        else:
            failed.append(f"part {code}: {status}: {r['message']}")
    if bad:
        raise InputError(" ".join(bad))
    if infeasible:
        raise ProblemInfeasible(infeasible)
    if failed:
        raise PartsFailed(failed)
    missing = [c for c in codes if c not in results]
    if missing:
        raise PartsFailed([f"part {c}: no result came back from the cluster" for c in missing])


def _has_plan(r: dict) -> bool:
    """A part's result with a run directory written (a plan, even one that failed its own checks)."""
    return bool(r.get("written")) or r["status"] in ("optimal", "feasible")


def run_parts(parts, folder: Path, argv, scheduler, workers, progress, dask_client, plan_into) -> dict:
    """Plan every part into ``folder/<code>`` on Dask (``plan_into`` on each); {code: what it returned}.
    The one place national runs solve: tests replace it to check the merge without solving."""
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
            if not _has_plan(r):
                # the national plan cannot exist: stop the others rather than solve them for nothing
                for f in futures:
                    f.cancel()
                break
        bar.close()
    return results


def verify_merged(folder: Path, codes: list[str], summary: dict, assignment: dict[str, int], practices,
                  sc: Scenario) -> list[str]:
    """Check the merged plan as a whole against the parts as they were written (re-read from
    ``folder``), with plain code: every selected practice in exactly one part and once in the
    merged assignment; the federation count, cost and bound the sums of the parts'; every part
    verified; no federation across a part border; and the scenario's hub candidates, locks and
    together / apart pairs (including apart pairs across parts) hold in the merged plan. Returns
    the problems in words (empty: verified)."""
    problems: list[str] = []
    selected = list(practices.code)
    wanted = set(selected)
    seen: dict[str, list[str]] = {}
    n_feds = 0
    objective = bound = 0.0
    bound_known = True
    for code in codes:
        try:
            rd = read_run_dir(folder / code, need_scenario=False)
        except InputError as exc:
            problems.append(f"part {code} cannot be read back: {exc}")
            continue
        s = rd.summary
        if not s.get("verified"):
            why = "; ".join(s.get("verification_problems") or []) or "no reason recorded"
            problems.append(f"part {code} failed its own verification ({why})")
        if s.get("status") not in ("optimal", "feasible"):
            problems.append(f"part {code} has status {s.get('status')!r}, not a plan")
        for c in rd.assignment:
            seen.setdefault(c, []).append(code)
        n_feds += int(s.get("n_federations") or 0)
        objective += float(s.get("objective_gbp") or 0.0)
        if s.get("bound_gbp") is None:
            bound_known = False
        else:
            bound += float(s["bound_gbp"])

    def some(items) -> str:
        items = sorted(items)
        return ", ".join(items[:5]) + (f" and {len(items) - 5} more" if len(items) > 5 else "")

    twice = [c for c, ps in seen.items() if len(ps) > 1]
    if twice:
        problems.append(f"{len(twice)} practices are in more than one part: {some(twice)}")
    missing = wanted - set(seen)
    if missing:
        problems.append(f"{len(missing)} selected practices are in no part's plan: {some(missing)}")
    stray = set(seen) - wanted
    if stray:
        problems.append(f"{len(stray)} practices in the parts' plans were not selected: {some(stray)}")
    if set(assignment) != wanted or len(assignment) != len(selected):
        gone, extra = wanted - set(assignment), set(assignment) - wanted
        problems.append("the merged assignment does not hold every selected practice exactly once"
                        + (f" (missing: {some(gone)})" if gone else "") + (f" (not selected: {some(extra)})" if extra else ""))
    feds = summary.get("federations") or []
    used = set(assignment.values())
    if not (summary.get("n_federations") == n_feds == len(feds) == len(used)):
        problems.append(f"the merged plan has {summary.get('n_federations')} federations ({len(feds)} listed, "
                        f"{len(used)} used in the assignment) but the parts have {n_feds} together")
    tol = 0.01 * (len(codes) + 1)
    if not math.isclose(float(summary.get("objective_gbp") or 0.0), objective, rel_tol=1e-9, abs_tol=tol):
        problems.append(f"the merged cost £{summary.get('objective_gbp'):,.2f} is not the sum of the parts' "
                        f"costs (£{objective:,.2f})")
    merged_bound = summary.get("bound_gbp")
    if not bound_known:
        if merged_bound is not None:
            problems.append("the merged plan has a bound but some part has none")
    elif merged_bound is None or not math.isclose(float(merged_bound), bound, rel_tol=1e-9, abs_tol=tol):
        problems.append(f"the merged bound {merged_bound} is not the sum of the parts' bounds (£{bound:,.2f})")
    # no federation across a part border, and the whole area's rules on the merged plan
    part_of = {c: ps[0] for c, ps in seen.items()}
    fed_parts: dict[int, set] = {}
    for c, f in assignment.items():
        fed_parts.setdefault(f, set()).add(part_of.get(c))
    across = sorted(f for f, ps in fed_parts.items() if len(ps) > 1)
    if across:
        problems.append(f"federations {', '.join(map(str, across[:5]))} cross a part border")
    hub_of_fed = {f.get("id"): f.get("hub") for f in feds}
    k = sc.constraints
    if k.hub_candidates:
        allowed = set(k.hub_candidates)
        off = sorted(str(f) for f, h in hub_of_fed.items() if h not in allowed)
        if off:
            problems.append(f"federations {', '.join(off[:5])} have a hub that is not a hub candidate")
    for code, hub in k.locks:
        if code in assignment and hub_of_fed.get(assignment[code]) != hub:
            problems.append(f"lock {code} = {hub} does not hold (hub {hub_of_fed.get(assignment[code])})")
    for a, b in k.together:
        if a in assignment and b in assignment and assignment[a] != assignment[b]:
            problems.append(f"together pair {a}, {b} is split")
    for a, b in k.apart:
        if a in assignment and b in assignment and assignment[a] == assignment[b]:
            problems.append(f"apart pair {a}, {b} shares federation {assignment[a]}")
    return problems


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
                           "work_units": s.get("work_units"), "repeatable": s.get("repeatable", True),
                           "within_requested_gap": s.get("within_requested_gap", s["status"] == "optimal")})
        logs.append(f"===== part {code} ({s['area']}): {s['status']} =====\n{rd.log}")
        offset += len(s["federations"])
    from .baseline import baseline_groups

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
        "requested_gap": float(sc.solve.gap),
        # every part proven optimal or within the requested gap (the merged gap is at most the
        # largest of the parts')
        "within_requested_gap": all(p.get("within_requested_gap", p["status"] == "optimal") for p in parts_info),
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
    from fedplan import reports
    from .output import render_run_report
    from .problem import load_outline

    # a merged plan that failed verification (status "error") is reported without its maps of
    # federations: its assignment may not even cover every practice
    has_plan = summary["status"] in ("optimal", "feasible")
    fed_ids = [assignment.get(c, 0) for c in practices.code]
    outline = load_outline(practices, sc)
    html, polygons = render_run_report(summary, practices, fed_ids, mob, log, has_plan=has_plan, outline=outline)
    if polygons is not None:
        reports.write_federations_gpkg(tmp / "federations.gpkg", polygons, summary["federations"])
    reports.write_report(tmp / "report.html", html)


def _manifest(sc: Scenario, tmp: Path, argv, started: float) -> dict:
    from fedplan import inputs
    from .output import file_sha256, package_versions

    return {
        "fedplan_manifest": 1, "command": argv,
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seed": sc.solve.seed, "scenario": inputs.scenario_to_dict(sc),
        "inputs": json.loads((tmp / "parts" / next(iter(sorted(p.name for p in (tmp / "parts").iterdir())))
                              / "manifest.json").read_text()).get("inputs", {}),
        "outputs": {f.name: file_sha256(f) for f in sorted(tmp.iterdir()) if f.is_file() and f.name != "manifest.json"},
        "versions": package_versions(),
    }

