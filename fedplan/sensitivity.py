"""`fedplan sensitivity [SCENARIO] --out DIR`: which figures carry the saving against today's PCNs.

The base scenario is planned once. Then, on a Dask cluster (local, or ``--scheduler``):

* **tornado**: every figure of the ranges file that applies to the scenario is set to its low and
  to its high (one at a time, everything else as in the scenario) and re-planned;
* **Monte Carlo**: ``--draws`` draws of every such figure at once (``sensitivity_draws`` says
  how they are drawn, and why triangular), each re-planned;
* **robust plan**: every distinct plan found (base, tornado, draws) is re-costed under every
  draw's figures; the one of least mean cost is the robust plan. A plan that breaks a draw's
  rules is *excluded*, not penalised: a penalty would be an arbitrary number, and a plan that
  cannot be carried out in some draw is no answer to "which plan holds up". (Figures change
  costs, never rules, so with the shipped ranges no plan is excluded.)
* **stability**: for each pair of neighbouring practices (Delaunay neighbours), the share of draws
  in which they share a federation.

Every re-solve stops at the work limit (deterministic, so a rerun repeats exactly) and starts from
the base plan. ``DEFAULT_WORK_LIMIT`` and ``DEFAULT_DRAWS`` are sized so that the default command
on Devon finishes within 30 minutes on 2 cores (measurements beside them).

Resumable like sweeps: each task's result is written atomically to ``DIR/tasks/<name>.json`` as
it arrives, with the settings it was computed under (the scenario with its work limit, the figure
values, the warm start); a rerun with the same settings skips every finished task, and the outputs
are rewritten from the task files, so a resumed run gives the same sensitivity.json as an
uninterrupted one. The outputs (sensitivity.json, tornado.csv, draws.csv, stability.csv,
robust_plan.csv, sensitivity.html) are written at the end, each in one step.
"""
from __future__ import annotations

import json
import math
import re
import sys
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from fedplan.inputs.errors import InputError
from fedplan.inputs.model import Scenario
from fedplan.inputs.ranges import FigureRange, load_ranges
from fedplan.inputs.scenario import check_work_limit, scenario_to_dict
from fedplan.optimise import ProblemInfeasible

from .sensitivity_draws import (PLAN_STATUSES, Context, current_value, draw_values, for_solve, load_context,
                                plan_positions, recost, select_figures, solve_variant)

# Measured on Devon (116 practices, default rules) on the 2-core VM: one re-solve at 2 work units
# takes 7-8.5 s of CPU (and 1 s to build its problem), at 5 units 13-16 s, at 1 unit 4-6 s. At 2
# and 5 units the base and the variants tried ended on the same plans; at 1 unit the base plan cost
# £0.64m a year more. 147 of the 200 tornado ends change the problem (the other 53 reuse the base
# plan after a 1 s check), so the default run is the base, 147 + 40 solves and 53 checks: about
# 1,500 s of CPU, 13 minutes on 2 free cores. With the cores shared with two other jobs, a solve
# took 14-24 s of wall time per worker (a 16-solve sample), which puts the run at about 29 minutes:
# still inside the 30 it must fit. The whole default run, measured (2026-12-07, 235 solves, the
# cores shared with test jobs): 1,241 s, 20.7 minutes (benchmarks/RESULTS.md).
DEFAULT_WORK_LIMIT = 2.0
DEFAULT_DRAWS = 40
MAX_DRAWS = 10_000
TASKS = "tasks"
VERSION = 1         # of the task records: a change of their meaning makes old ones "other settings"
OUTPUTS = ("sensitivity.json", "tornado.csv", "draws.csv", "stability.csv", "robust_plan.csv", "sensitivity.html")


@dataclass(frozen=True)
class Task:
    """One solve: the base, one end of one figure (tornado), or one draw."""

    name: str
    kind: str                                   # base | tornado | draw
    changes: tuple[tuple[str, float], ...] = ()
    figure: str | None = None
    side: str | None = None                     # low | high
    index: int | None = None                    # draw number, from 1


def check_options(draws: int, work_limit: float, seed: int, workers: int | None = None) -> None:
    """Refuse option values that cannot run, naming the option and a value that would."""
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 0 or draws > MAX_DRAWS:
        raise InputError(f"--draws must be a whole number from 0 to {MAX_DRAWS:,}, not {draws}.",
                         fix=f"e.g. --draws {DEFAULT_DRAWS} (0 runs the tornado only).")
    if not isinstance(work_limit, (int, float)) or not math.isfinite(work_limit) or not 0 < work_limit <= 1e6:
        raise InputError(f"--work-limit must be a positive number of work units, not {work_limit}.",
                         fix=f"e.g. --work-limit {DEFAULT_WORK_LIMIT:g} (about {DEFAULT_WORK_LIMIT:g} s of work per "
                             "re-solve on the reference machine).")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"--seed must be a whole number of 0 or more, not {seed}.",
                         fix="e.g. --seed 0.")
    if workers is not None and workers < 1:
        raise InputError("--workers must be at least 1.", fix="e.g. --workers 2, or leave it out.")


def _slug(figure: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", figure)[:80]
    # a service name with other characters, or a long one, could meet another figure's slug
    return slug if slug == figure else f"{slug}-{zlib.crc32(figure.encode('utf-8')):08x}"


def plan_tasks(ctx: Context, figures: list[FigureRange], draws: int, seed: int) -> list[Task]:
    """The base, each tornado end that differs from the scenario's own value, and each draw."""
    tasks = [Task("base", "base")]
    for r in figures:
        here = current_value(ctx, r.figure)
        for side, value in (("low", r.low), ("high", r.high)):
            if value != here:
                tasks.append(Task(f"tornado-{_slug(r.figure)}-{side}", "tornado", ((r.figure, value),), r.figure, side))
    for k in range(1, draws + 1):
        values = draw_values(figures, seed, k)
        tasks.append(Task(f"draw-{k:04d}", "draw", tuple(values.items()), index=k))
    return tasks


def _plain(value):
    return json.loads(json.dumps(value))


def task_key(scenario: Scenario, task: Task) -> dict:
    """What a task's result depends on; a recorded result is reused only when all of it matches."""
    sc = scenario_to_dict(scenario)
    sc.pop("source", None)          # the scenario's content matters, not where the file was
    # sorted: the figures are applied independently, so the order --figures names them in is no setting
    return _plain({"version": VERSION, "scenario": sc, "changes": sorted(list(c) for c in task.changes),
                   "warm_start": "today's PCNs" if task.kind == "base" else "the base plan"})


def _read_task(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _check_out(out: Path, tasks: list[Task], keys: dict[str, dict], overwrite: bool) -> dict[str, dict]:
    """The finished tasks' records (by name); refuses a folder of other work or other settings."""
    if out.exists() and not out.is_dir():
        raise InputError("the output path exists and is a file, not a folder.", file=str(out),
                         fix="choose a folder for --out.")
    if not out.exists():
        return {}
    tdir = out / TASKS
    if not tdir.is_dir():
        if any(out.iterdir()) and not overwrite:
            raise InputError("the output folder exists and holds other files, not a sensitivity run.", file=str(out),
                             fix="choose a new --out, or pass --overwrite to write the sensitivity run into it.")
        return {}
    done, other = {}, []
    for t in tasks:
        path = tdir / f"{t.name}.json"
        if not path.exists():
            continue
        record = _read_task(path)
        if record is not None and record.get("key") == keys[t.name]:
            done[t.name] = record
        else:
            other.append(t.name)
    if other and not overwrite:
        raise InputError(f"{len(other)} finished task(s) in this folder were computed with other settings "
                         f"(e.g. {other[0]}: another scenario, work limit, seed or figure value).",
                         file=str(tdir), fix="use a new --out, or pass --overwrite to recompute them with these "
                                             "settings.")
    return done


def _write_task(out: Path, name: str, record: dict) -> None:
    from .output import write_text_atomic

    write_text_atomic(out / TASKS / f"{name}.json", json.dumps(record, indent=1, sort_keys=True) + "\n")


def run_sensitivity(scenario: Scenario | str | Path | None, out: Path | str, *, draws: int = DEFAULT_DRAWS,
                    work_limit: float = DEFAULT_WORK_LIMIT, seed: int = 0, figures: tuple[str, ...] | None = None,
                    ranges: Path | str | None = None, scheduler: str | None = None, workers: int | None = None,
                    progress: bool = True, overwrite: bool = False,
                    say: Callable[[str], None] = lambda m: None) -> dict:
    """Run (or finish) a sensitivity analysis into ``out``; returns {"data": the sensitivity.json
    dict, "done": names solved now, "skipped": names already finished, "failed": [(name, message)]}.

    Bad input raises InputError before anything is written; a base scenario whose rules cannot be
    met raises ProblemInfeasible, and one without a plan NoBasePlan, also before anything is written."""
    from .national import is_national
    from .problem import as_scenario, build_problem, check_supported, load_practices

    check_options(draws, work_limit, seed, workers)
    base_sc = as_scenario(scenario)
    check_supported(base_sc)
    check_work_limit(base_sc.solve.solver, "--work-limit")
    sc = for_solve(base_sc, work_limit)
    say(f"reading {sc.area.describe()}")
    practices = load_practices(sc)
    if is_national(sc, practices):
        raise InputError("a sensitivity analysis plans one area (an ICB, a sub-ICB or a list of practices); "
                         "England and regions are planned part by part.", file=base_sc.source or "scenario",
                         column="area", fix="give an ICB or sub-ICB in [area] (`fedplan data` lists them).")
    ctx = load_context(sc, practices)
    build_problem(ctx.practices, sc, ctx.distance_km, ctx.catalogue, ctx.minutes)   # bad rules or files: now
    all_ranges = load_ranges(ranges)
    varied, skipped = select_figures(sc, ctx.catalogue, all_ranges, figures)
    tasks = plan_tasks(ctx, varied, draws, seed)
    keys = {t.name: task_key(sc, t) for t in tasks}
    out = Path(out)
    done = _check_out(out, tasks, keys, overwrite)
    todo = [t for t in tasks if t.name not in done]
    skipped_names = [t.name for t in tasks if t.name in done]
    say(f"{len(varied)} figures varied, {len(skipped)} skipped; {len(todo)} of {len(tasks)} solves to do "
        f"(work limit {work_limit:g} units each)")
    failed: list[tuple[str, str]] = []
    recosts: list[dict] = []
    plans, sources = distinct_plans(tasks, done)
    if todo or any(t.kind == "draw" for t in tasks):
        from .execute import dask_client

        with dask_client(scheduler or sc.solve.scheduler, workers) as client:
            # read once by the client, sent once to each worker
            ctx_f = client.scatter(ctx, broadcast=True)
            failed = _solve_all(client, ctx_f, out, todo, keys, done, progress)
            plans, sources = distinct_plans(tasks, done)
            try:
                recosts = _recost_all(client, ctx_f, ctx.practices, tasks, plans, say)
            except Exception as exc:  # noqa: BLE001 - a worker lost: no robust plan this time, a rerun makes it
                failed.append(("re-costing", f"the re-costing of the plans failed: {exc}"))
    named = base_sc.source or (f"default: {base_sc.area.describe()}" if scenario is None else "a Scenario object")
    data = summarise(ctx, tasks, done, varied, skipped, plans, sources, recosts,
                     settings={"scenario": named, "draws": draws,
                               "work_limit": float(work_limit), "seed": seed,
                               "figures": None if figures is None else list(figures),
                               "ranges": str(ranges) if ranges is not None else "shipped figure_ranges.csv"})
    data["missing_tasks"] = sorted(n for n, _ in failed)
    write_outputs(out, data, ctx.practices)
    return {"data": data, "done": [t.name for t in todo if t.name in done], "skipped": skipped_names, "failed": failed}


class NoBasePlan(Exception):
    """The base scenario found no plan within the work limit (exit 1: nothing was written)."""


def _solve_all(client, ctx_f, out: Path, todo: list[Task], keys: dict[str, dict], done: dict[str, dict],
               progress: bool) -> list[tuple[str, str]]:
    """Solve ``todo`` on the cluster, the base first (the others start from its plan); each record
    is written to DIR/tasks as it arrives. Returns the tasks that failed (a worker lost)."""
    from distributed import as_completed
    from tqdm import tqdm

    failed: list[tuple[str, str]] = []
    if not todo:
        return failed
    token = uuid.uuid4().hex[:8]     # two runs on one scheduler must never share a task
    with tqdm(total=len(todo), desc="sensitivity", unit="solve", disable=not progress, file=sys.stderr) as bar:
        if "base" not in done:
            try:
                record = client.submit(solve_variant, ctx_f, (), None, pure=False,
                                       key=f"sensitivity-base-{token}").result()
            except (InputError, ProblemInfeasible):
                raise
            except Exception as exc:  # noqa: BLE001 - the engine refused the problem or the worker died
                raise NoBasePlan(f"the base solve failed: {exc}. Fix: check the scenario with `fedplan plan`.") from None
            bar.update(1)
            if record["status"] == "infeasible":
                raise ProblemInfeasible(record.get("reasons") or [record.get("message") or "no plan meets the rules"])
            if record["status"] not in PLAN_STATUSES:
                raise NoBasePlan(f"the base scenario has no plan within the work limit ({record['status']}: "
                                 f"{record.get('message', '')}). Fix: raise --work-limit.")
            # the folder appears only now: bad input and a base without a plan leave nothing behind
            (out / TASKS).mkdir(parents=True, exist_ok=True)
            done["base"] = record | {"key": keys["base"], "name": "base"}
            _write_task(out, "base", done["base"])
        base = done["base"]
        futures = {client.submit(solve_variant, ctx_f, t.changes, base, pure=False,
                                 key=f"sensitivity-{t.name}-{token}"): t for t in todo if t.kind != "base"}
        for fut in as_completed(futures):
            t = futures[fut]
            try:
                record = fut.result()
            except Exception as exc:  # noqa: BLE001 - a worker lost or killed: report it, keep the rest
                failed.append((t.name, f"the task failed: {exc}"))
            else:
                done[t.name] = record | {"key": keys[t.name], "name": t.name}
                _write_task(out, t.name, done[t.name])
            bar.update(1)
    return failed


def _recost_all(client, ctx_f, practices, tasks: list[Task], plans: list[dict], say) -> list[dict]:
    """Each distinct plan re-costed under each draw (cheap: one problem build per draw, no solve)."""
    draws = [t for t in tasks if t.kind == "draw"]
    if not draws or not plans:
        return []
    say(f"re-costing {len(plans)} distinct plans under {len(draws)} draws")
    # one object, not one future per plan (scatter splits a list)
    [plans_f] = client.scatter([[plan_positions(practices, p) for p in plans]], broadcast=True)
    token = uuid.uuid4().hex[:8]
    return client.gather([client.submit(recost, ctx_f, t.changes, plans_f, pure=False,
                                        key=f"sensitivity-recost-{t.name}-{token}") for t in draws])


# ---------------------------------------------------------------- summaries (no solving below)


def _plan_key(record: dict) -> tuple | None:
    if record.get("status") not in PLAN_STATUSES or not record.get("assignment"):
        return None
    members: dict[str, list[str]] = {}
    for code, f in record["assignment"].items():
        members.setdefault(str(f), []).append(code)
    return tuple(sorted((record["hubs"][f], tuple(sorted(ms))) for f, ms in members.items()))


def distinct_plans(tasks: list[Task], done: dict[str, dict]) -> tuple[list[dict], list[list[str]]]:
    """The distinct plans found, in task order (base, tornado, draws), each with the runs that found it."""
    plans, sources, seen = [], [], {}
    for t in tasks:
        record = done.get(t.name)
        key = None if record is None else _plan_key(record)
        if key is None:
            continue
        if key not in seen:
            seen[key] = len(plans)
            plans.append({"assignment": record["assignment"], "hubs": record["hubs"], "sizes": record.get("sizes")})
            sources.append([])
        sources[seen[key]].append(t.name)
    return plans, sources


def _outcome(record: dict | None) -> dict:
    keys = ("status", "gap", "objective_gbp", "baseline_gbp", "saving_gbp", "saving_share", "n_federations",
            "mean_size", "no_effect")
    return {k: (None if record is None else record.get(k)) for k in keys}


def tornado_rows(ctx: Context, figures: list[FigureRange], done: dict[str, dict]) -> list[dict]:
    """One row per figure, sorted by swing (|saving at high − saving at low|), largest first."""
    base = done["base"]
    rows = []
    for r in figures:
        here = current_value(ctx, r.figure)
        row = {"parameter": r.figure, "unit": r.unit, "low": r.low, "central": r.central, "high": r.high,
               "scenario_value": here, "raises_cost": r.raises_cost, "source": r.source}
        for side, value in (("low", r.low), ("high", r.high)):
            same = value == here
            rec = base if same else done.get(f"tornado-{_slug(r.figure)}-{side}")
            o = _outcome(rec)
            row |= {f"saving_{side}_gbp": o["saving_gbp"], f"saving_{side}_share": o["saving_share"],
                    f"objective_{side}_gbp": o["objective_gbp"], f"baseline_{side}_gbp": o["baseline_gbp"],
                    f"status_{side}": o["status"] if rec is not None else "missing", f"gap_{side}": o["gap"],
                    f"mean_size_{side}": o["mean_size"], f"n_federations_{side}": o["n_federations"],
                    f"same_as_base_{side}": same, f"no_effect_{side}": bool(o["no_effect"]) or same}
        lo, hi = row["saving_low_gbp"], row["saving_high_gbp"]
        row["swing_gbp"] = None if lo is None or hi is None else round(abs(hi - lo), 2)
        rows.append(row)
    rows.sort(key=lambda x: (x["swing_gbp"] is None, -(x["swing_gbp"] or 0.0), x["parameter"]))
    return rows


def draw_rows(tasks: list[Task], done: dict[str, dict]) -> list[dict]:
    out = []
    for t in tasks:
        if t.kind != "draw":
            continue
        rec = done.get(t.name)
        row = {"draw": t.index, "name": t.name} | _outcome(rec)
        row["status"] = row["status"] if rec is not None else "missing"
        row |= {"bound_gbp": None if rec is None else rec.get("bound_gbp"),
                "sizes": None if rec is None else rec.get("sizes"), "values": dict(t.changes),
                "assignment": None if rec is None else rec.get("assignment"),
                "hubs": None if rec is None else rec.get("hubs")}
        out.append(row)
    return out


def robust_plan(ctx: Context, plans: list[dict], sources: list[list[str]], recosts: list[dict]) -> dict | None:
    """The plan of least mean cost over the draws (see the module docstring); None without draws."""
    if not recosts or not plans:
        return None
    cost = np.array([[np.nan if c is None else c for c in r["costs"]] for r in recosts], dtype=float)
    baseline = np.array([r["baseline_gbp"] for r in recosts], dtype=float)
    ok = ~np.isnan(cost).any(axis=0)
    if not ok.any():
        return None
    mean = np.full(len(plans), np.inf)
    mean[ok] = cost[:, ok].mean(axis=0)
    best = int(np.argmin(mean))        # the first of equals: base before tornado before draws
    regret = cost - np.nanmin(np.where(ok[None, :], cost, np.nan), axis=1)[:, None]
    plan = plans[best]
    base = 0 if sources[0] and sources[0][0] == "base" else None
    p = ctx.practices
    members: dict[str, list[str]] = {}
    for code in p.code:
        members.setdefault(str(plan["assignment"][code]), []).append(code)
    size = {c: int(n) for c, n in zip(p.code, p.list_size)}
    feds = [{"id": int(f), "hub": plan["hubs"][f], "population": sum(size[c] for c in ms), "n_practices": len(ms)}
            for f, ms in sorted(members.items(), key=lambda kv: int(kv[0]))]
    c = cost[:, best]
    return {"run": sources[best][0], "found_by": sources[best],
            "rule": "least mean cost over the draws; a plan that breaks any draw's rules is excluded",
            "expected_cost_gbp": round(float(c.mean()), 2), "expected_baseline_gbp": round(float(baseline.mean()), 2),
            "expected_saving_gbp": round(float((baseline - c).mean()), 2),
            "expected_saving_share": float((baseline - c).mean() / baseline.mean()) if baseline.mean() else None,
            "worst_cost_gbp": round(float(c.max()), 2), "best_cost_gbp": round(float(c.min()), 2),
            "expected_regret_gbp": round(float(regret[:, best].mean()), 2),
            "costs_gbp": [round(float(x), 2) for x in c], "n_draws": len(recosts), "n_candidates": len(plans),
            "n_excluded": int((~ok).sum()),
            "base_plan": None if base is None or not ok[base] else {
                "expected_cost_gbp": round(float(cost[:, base].mean()), 2),
                "expected_regret_gbp": round(float(regret[:, base].mean()), 2)},
            "n_federations": len(feds), "mean_size": float(np.mean([f["population"] for f in feds])),
            "assignment": plan["assignment"], "hubs": plan["hubs"], "federations": feds}


def stability(ctx: Context, draws: list[dict], base: dict, robust: dict | None) -> dict:
    """For each pair of neighbouring practices, the share of draws (with a plan) that put them together."""
    from fedplan import geo

    p = ctx.practices
    pairs = geo.practice_adjacency(p)
    plans = [d["assignment"] for d in draws if d.get("status") in PLAN_STATUSES and d.get("assignment")]
    rows = []
    for i, j in pairs:
        a, b = p.code[i], p.code[j]
        n = sum(1 for x in plans if x[a] == x[b])
        rows.append({"practice_a": a, "practice_b": b, "share_together": n / len(plans) if plans else None,
                     "together_in_base": base["assignment"][a] == base["assignment"][b],
                     "together_in_robust": None if robust is None else robust["assignment"][a] == robust["assignment"][b]})
    shares = [r["share_together"] for r in rows if r["share_together"] is not None]
    return {"n_pairs": len(rows), "n_draws": len(plans),
            "mean_share": float(np.mean(shares)) if shares else None,
            "always_together_share": float(np.mean([s == 1.0 for s in shares])) if shares else None,
            "never_together_share": float(np.mean([s == 0.0 for s in shares])) if shares else None,
            "unsettled_share": float(np.mean([0.0 < s < 1.0 for s in shares])) if shares else None,
            "pairs": rows}


def drivers(tornado: list[dict], draws: list[dict]) -> list[dict]:
    """Which figures carry the saving: each figure's swing and share of all swings (tornado), and
    the rank correlation of its drawn value with the saving across draws."""
    from scipy.stats import spearmanr

    total = sum(r["swing_gbp"] or 0.0 for r in tornado)
    ok = [d for d in draws if d.get("saving_gbp") is not None]
    out = []
    for r in tornado:
        rho = None
        if len(ok) >= 3:
            x = [d["values"].get(r["parameter"]) for d in ok]
            y = [d["saving_gbp"] for d in ok]
            if None not in x and len(set(x)) > 1 and len(set(y)) > 1:
                value = float(spearmanr(x, y).statistic)
                rho = value if math.isfinite(value) else None
        lo, hi = r["saving_low_gbp"], r["saving_high_gbp"]
        out.append({"parameter": r["parameter"], "unit": r["unit"], "swing_gbp": r["swing_gbp"],
                    "share_of_swing": (r["swing_gbp"] or 0.0) / total if total else None,
                    "saving_low_gbp": lo, "saving_high_gbp": hi,
                    "saving_stays_positive": None if lo is None or hi is None else min(lo, hi) > 0,
                    "rank_correlation": rho})
    return out


def _quantiles(values: list[float]) -> dict | None:
    if not values:
        return None
    q = np.quantile(np.asarray(values, dtype=float), [0.0, 0.1, 0.5, 0.9, 1.0])
    return {"min": float(q[0]), "p10": float(q[1]), "median": float(q[2]), "p90": float(q[3]), "max": float(q[4]),
            "mean": float(np.mean(values)), "share_positive": float(np.mean([v > 0 for v in values]))}


def summarise(ctx: Context, tasks: list[Task], done: dict[str, dict], varied: list[FigureRange],
              skipped: list[dict], plans: list[dict], sources: list[list[str]], recosts: list[dict],
              settings: dict) -> dict:
    """The sensitivity.json dict, from the task records alone (so a resumed run writes the same)."""
    base = done["base"]
    sc = ctx.scenario
    tornado = tornado_rows(ctx, varied, done)
    draws = draw_rows(tasks, done)
    robust = robust_plan(ctx, plans, sources, recosts)
    savings = [d["saving_gbp"] for d in draws if d["saving_gbp"] is not None]
    base_out = {k: base.get(k) for k in ("status", "objective_gbp", "bound_gbp", "gap", "baseline_gbp", "saving_gbp",
                                         "saving_share", "n_federations", "mean_size", "sizes", "assignment", "hubs")}
    return {
        "settings": settings | {"area": sc.area.describe(), "n_practices": len(ctx.practices),
                                "population": ctx.practices.population, "distribution": "triangular(low, central, high)",
                                "solver": sc.solve.solver, "method": sc.solve.method,
                                "time_limit_s": sc.solve.time_limit_s,
                                "bounds": {"min_population": sc.bounds.min_population,
                                           "max_population": sc.bounds.max_population},
                                "figures_varied": [r.figure for r in varied], "n_solves": len(tasks)},
        "base": base_out,
        "tornado": tornado,
        "skipped": skipped,
        "draws": draws,
        "draws_summary": {"saving_gbp": _quantiles(savings),
                          "mean_size": _quantiles([d["mean_size"] for d in draws if d["mean_size"] is not None]),
                          "n_with_plan": len(savings), "n_draws": len(draws)},
        "robust_plan": robust,
        "stability": stability(ctx, draws, base, robust),
        "drivers": drivers(tornado, draws),
    }


# ---------------------------------------------------------------- files


TORNADO_COLUMNS = ["parameter", "unit", "low", "central", "high", "scenario_value", "saving_low_gbp", "saving_high_gbp",
                   "swing_gbp", "saving_low_share", "saving_high_share", "status_low", "status_high", "gap_low",
                   "gap_high", "mean_size_low", "mean_size_high", "n_federations_low", "n_federations_high",
                   "no_effect_low", "no_effect_high", "raises_cost", "source"]
DRAW_COLUMNS = ["draw", "status", "gap", "objective_gbp", "bound_gbp", "baseline_gbp", "saving_gbp", "saving_share",
                "n_federations", "mean_size"]


def _cell(v):
    return "" if v is None else v


def write_outputs(out: Path, data: dict, practices) -> None:
    """Every output file of the run, each replaced in one step (sensitivity.json last)."""
    from fedplan.reports.sensitivity import render_sensitivity

    from .output import write_csv, write_text_atomic

    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "tornado.csv", TORNADO_COLUMNS, [[_cell(r.get(c)) for c in TORNADO_COLUMNS] for r in data["tornado"]])
    figures = data["settings"]["figures_varied"]
    write_csv(out / "draws.csv", DRAW_COLUMNS + figures,
              [[_cell(d.get(c)) for c in DRAW_COLUMNS] + [_cell(d["values"].get(f)) for f in figures]
               for d in data["draws"]])
    write_csv(out / "stability.csv", ["practice_a", "practice_b", "share_together", "together_in_base",
                                      "together_in_robust"],
              [[r["practice_a"], r["practice_b"], _cell(r["share_together"]), r["together_in_base"],
                _cell(r["together_in_robust"])] for r in data["stability"]["pairs"]])
    robust = data["robust_plan"]
    names = dict(zip(practices.code, practices.name))
    rows = [] if robust is None else [
        [c, names.get(c, ""), robust["assignment"][c], robust["hubs"][str(robust["assignment"][c])],
         robust["hubs"][str(robust["assignment"][c])] == c] for c in sorted(robust["assignment"])]
    write_csv(out / "robust_plan.csv", ["practice_code", "practice_name", "federation_id", "hub_code", "is_hub"], rows)
    write_text_atomic(out / "sensitivity.html", render_sensitivity(data, practices))
    write_text_atomic(out / "sensitivity.json", json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n")
