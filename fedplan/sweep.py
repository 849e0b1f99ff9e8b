"""`fedplan sweep SWEEP.toml`: a grid of scenarios, one run directory each, scored side by side.

A sweep file names a base scenario and, under ``[grid]``, lists of values for scenario keys::

    base = "scenario.toml"              # optional (default: Devon with the default rules)
    [grid]
    "bounds.min_population" = [20000, 25000, 30000]
    "bounds.max_population" = [80000, 100000]
    "services.legal.buy_price_gbp_per_activity" = [1.5, 2.5]

Every combination becomes a scenario, validated like a TOML file, and is planned (on a Dask
cluster: local by default, or ``--scheduler``) into ``OUT/<NNN-name>/``. Each run directory is
written atomically, so after a crash or kill, running the same sweep again skips every scenario
whose run directory is complete (its manifest records the same scenario) and loses nothing.
``OUT/plan_scores.csv`` and ``OUT/comparison.html`` are rewritten (atomically) at the end.
"""
from __future__ import annotations

import itertools
import json
import re
import sys
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from fedplan.inputs import load_scenario, scenario_from_dict, scenario_to_dict
from fedplan.inputs.errors import InputError, nearest
from fedplan.inputs.model import Scenario
from fedplan.inputs.scenario import SECTIONS, SERVICE_FIELDS

MAX_SCENARIOS = 1000


@dataclass(frozen=True)
class SweepScenario:
    name: str
    scenario: Scenario
    settings: tuple[tuple[str, object], ...]


def _flatten(table: dict, prefix: str = "") -> list[tuple[str, object]]:
    out = []
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out += _flatten(v, key + ".")
        else:
            out.append((key, v))
    return out


def _check_key(key: str, source: str) -> None:
    parts = key.split(".")
    if parts[0] == "services":
        if len(parts) != 3 or parts[2] not in SERVICE_FIELDS:
            hint = nearest(parts[-1], SERVICE_FIELDS) if len(parts) == 3 else None
            raise InputError(f"grid key {key!r} is not services.<service>.<field>.", file=source, column=f"grid.{key}",
                             fix=(f"did you mean services.{parts[1]}.{hint}? " if hint else "")
                             + f"fields: {', '.join(SERVICE_FIELDS)}.")
        return
    if len(parts) != 2 or parts[0] not in SECTIONS:
        hint = nearest(parts[0], SECTIONS)
        raise InputError(f"grid key {key!r} is not section.key (e.g. bounds.min_population).", file=source,
                         column=f"grid.{key}", fix=f"sections: {', '.join(SECTIONS)}"
                         + (f"; did you mean {hint}?" if hint and hint != parts[0] else "."))
    names = [f.name for f in fields(SECTIONS[parts[0]])]
    if parts[1] not in names:
        hint = nearest(parts[1], names)
        raise InputError(f"grid key {key!r}: [{parts[0]}] has no key {parts[1]!r}.", file=source, column=f"grid.{key}",
                         fix=(f"did you mean {parts[0]}.{hint}? " if hint else "") + f"keys: {', '.join(names)}.")


def _slug(value: object) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return re.sub(r"[^A-Za-z0-9.+-]+", "", text.replace(" ", ""))[:20] or "x"


def load_sweep(path: Path | str) -> list[SweepScenario]:
    """The sweep's scenarios in a fixed order (so names are stable between runs); every problem
    is an InputError naming the sweep file and the key."""
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise InputError("sweep file not found." if not path.exists() else "this is a folder, not a sweep file.",
                         file=source, fix="give the sweep's .toml file.")
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError("the sweep file is not UTF-8 text.", file=source, fix="save it as UTF-8.") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"TOML syntax error: {exc}.", file=source, fix="correct that line.") from None
    unknown = [k for k in data if k not in ("base", "grid")]
    if unknown:
        raise InputError(f"unknown key {unknown[0]!r} in the sweep file.", file=source, column=unknown[0],
                         fix="a sweep file has base = \"scenario.toml\" (optional) and a [grid] table.")
    if "base" in data:
        if not isinstance(data["base"], str) or not data["base"].strip():
            raise InputError("base must be the path of a scenario file, in double quotes.", file=source,
                             column="base", fix='e.g. base = "scenario.toml".')
        base = load_scenario((path.parent / data["base"]).resolve())
    else:
        base = Scenario()
    grid = data.get("grid")
    if not isinstance(grid, dict) or not grid:
        raise InputError("the sweep has no [grid] of values to try.", file=source, column="grid",
                         fix='add e.g. [grid] then "bounds.min_population" = [20000, 25000].')
    axes = _flatten(grid)
    for key, values in axes:
        _check_key(key, source)
        if not isinstance(values, list) or not values:
            raise InputError(f"grid.{key} must be a non-empty list of values.", file=source, column=f"grid.{key}",
                             fix=f'e.g. "{key}" = [1, 2].')
    total = 1
    for _, values in axes:
        total *= len(values)
    if total > MAX_SCENARIOS:
        raise InputError(f"the grid makes {total:,} scenarios (at most {MAX_SCENARIOS:,}).", file=source,
                         column="grid", fix="use fewer values, or split the sweep.")
    base_dict = json.loads(json.dumps(scenario_to_dict(base)))
    out = []
    for k, combo in enumerate(itertools.product(*(v for _, v in axes)), start=1):
        d = json.loads(json.dumps(base_dict))
        settings = tuple((key, value) for (key, _), value in zip(axes, combo))
        for key, value in settings:
            parts = key.split(".")
            table = d
            for p in parts[:-1]:
                table = table.setdefault(p, {})
            table[parts[-1]] = value
        label = ", ".join(f"{key} = {json.dumps(value)}" for key, value in settings)
        try:
            sc = scenario_from_dict(d, source=f"{source} (scenario {k}: {label})")
        except InputError as exc:
            raise InputError(exc.message, file=exc.file, column=f"grid.{exc.column}" if exc.column else None,
                             fix=exc.fix) from None
        name = f"{k:03d}-" + "_".join(f"{key.rsplit('.', 1)[-1]}-{_slug(value)}" for key, value in settings)
        out.append(SweepScenario(name[:90], sc, settings))
    return out


def _finished(run: Path, sc: Scenario) -> bool:
    """True when ``run`` is a complete run directory of exactly this scenario."""
    try:
        manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not (run / "summary.json").is_file():
        return False
    recorded = manifest.get("scenario")
    return recorded == json.loads(json.dumps(scenario_to_dict(sc)))


def run_sweep(path: Path | str, out: Path | str, *, scheduler: str | None = None, workers: int | None = None,
              progress: bool = True, maps: bool = True) -> dict:
    """Plan every scenario not yet finished in ``out``; then write plan_scores.csv and
    comparison.html. Returns {"done": [...], "skipped": [...], "failed": [(name, status, message)]}."""
    from .execute import dask_client, plan_into
    from .output import write_csv, write_text_atomic
    from .report import PLAN_SCORE_COLUMNS, comparison

    scenarios = load_sweep(path)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError("the sweep's output path is a file.", file=str(out), fix="choose a folder for --out.")
    out.mkdir(parents=True, exist_ok=True)
    todo, skipped = [], []
    for s in scenarios:
        run = out / s.name
        if _finished(run, s.scenario):
            skipped.append(s.name)
        elif run.exists():
            raise InputError(f"{run.name} holds a run of other settings than this sweep's scenario.", file=str(run),
                             fix="sweep into a new --out folder, or move that folder away.")
        else:
            todo.append(s)
    scheduler = scheduler or (scenarios[0].scenario.solve.scheduler if scenarios else None)
    failed: list[tuple[str, str, str]] = []
    done: list[str] = []
    if todo:
        from distributed import as_completed
        from tqdm import tqdm

        with dask_client(scheduler, workers) as client:
            futures = {client.submit(plan_into, s.scenario, str(out / s.name), ["fedplan", "sweep", str(path)],
                                     pure=False, key=f"plan-{s.name}"): s for s in todo}
            bar = tqdm(total=len(todo), desc="scenarios", unit="scenario", disable=not progress, file=sys.stderr)
            for fut in as_completed(futures):
                s = futures[fut]
                try:
                    r = fut.result()
                except Exception as exc:  # noqa: BLE001 - a worker lost or killed: report, keep going
                    r = {"status": "error", "message": f"the task failed: {exc}"}
                if r["status"] in ("optimal", "feasible"):
                    done.append(s.name)
                else:
                    failed.append((s.name, r["status"], r["message"]))
                bar.update(1)
            bar.close()
    finished = [out / s.name for s in scenarios if s.name in done or s.name in skipped]
    extra = [{"scenario": name, "status": status, "run_dir": "", "area": None} for name, status, _ in failed]
    if finished or extra:
        html, rows = comparison(finished, maps=maps, extra_rows=extra)
        write_text_atomic(out / "comparison.html", html)
        write_csv(out / "plan_scores.csv", PLAN_SCORE_COLUMNS, rows)
    return {"done": done, "skipped": skipped, "failed": failed}
