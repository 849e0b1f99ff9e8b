"""`fedplan report` and `fedplan compare`: HTML from run directories that already exist.

Neither solves. The report is re-drawn from what the run recorded (summary.json, assignment.csv,
make_or_buy.csv, solver.log) and the practice data named in its manifest; if that data has
changed since the run, the report says so, and if the practices no longer match the assignment
it refuses rather than draw a wrong map.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from fedplan.inputs.errors import InputError

from .output import file_sha256, render_run_report, staging, write_csv, write_text_atomic
from .rundir import RunDir, read_run_dir

PLAN_SCORE_COLUMNS = ["scenario", "run_dir", "area", "status", "objective_gbp", "bound_gbp", "gap",
                      "n_federations", "in_range_share", "practices_moved", "baseline_gbp", "saving_gbp",
                      "saving_share", "n_practices", "population", "min_population", "max_population",
                      "method", "solver", "runtime_s", "verified"]


def input_changes(rd: RunDir) -> list[str]:
    """Words for every input file whose content differs from what the run recorded."""
    out = []
    for key, rec in (rd.manifest.get("inputs") or {}).items():
        if not isinstance(rec, dict) or not rec.get("sha256"):
            continue
        raw = str(rec.get("path") or "")
        if raw.startswith("shipped: "):
            from fedplan.inputs.data import data_path

            path = data_path(Path(raw.removeprefix("shipped: ")).name)
        else:
            path = Path(raw)
        if not path.is_file():
            out.append(f"the {key} file of this run ({raw}) is no longer there")
        elif file_sha256(path) != rec["sha256"]:
            out.append(f"the {key} file of this run ({raw}) has changed since the run")
    return out


def _fed_ids(rd: RunDir, practices) -> list[int]:
    codes = list(practices.code)
    if not rd.has_plan:
        return [0] * len(codes)
    missing = [c for c in codes if c not in rd.assignment]
    known = set(codes)
    extra = [c for c in rd.assignment if c not in known]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"{len(missing)} practices of the area are not in assignment.csv "
                         f"(e.g. {', '.join(missing[:5])})")
        if extra:
            parts.append(f"{len(extra)} practices in assignment.csv are not in the run's practice data "
                         f"(e.g. {', '.join(extra[:5])})")
        raise InputError("the practice data no longer matches this run: " + "; ".join(parts) + ".",
                         file=str(rd.path / "assignment.csv"),
                         fix="restore the input files the run used (manifest.json lists them with their "
                             "sha256), or re-run `fedplan plan`.")
    return [rd.assignment[c] for c in codes]


def rerender(run_dir: Path | str, out: Path | str | None = None) -> tuple[Path, list[str]]:
    """Re-draw a run's report.html (in place, or to ``out``); returns the path and any warnings."""
    from .problem import load_outline, load_practices

    rd = read_run_dir(run_dir)
    practices = load_practices(rd.scenario)
    fed_ids = _fed_ids(rd, practices)
    warnings = [f"Re-drawn by `fedplan report` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} from "
                "the run directory; nothing was solved again."]
    changed = input_changes(rd)
    if changed:
        warnings.append("Caution: " + "; ".join(changed) + ". The maps and names come from the files as they "
                        "are now; the costs and the plan are those the run recorded.")
    summary = dict(rd.summary)
    summary["warnings"] = [*[w for w in summary.get("warnings") or [] if isinstance(w, str)], *warnings]
    outline = load_outline(practices, rd.scenario)
    hub_minutes = [rd.hub_minutes.get(c) for c in practices.code] if rd.hub_minutes else None
    html, _ = render_run_report(summary, practices, fed_ids, list(rd.make_or_buy), rd.log, has_plan=rd.has_plan,
                                outline=outline, hub_minutes=hub_minutes)
    target = Path(out) if out else rd.path / "report.html"
    if target.is_dir():
        raise InputError("the report path is a folder.", file=str(target), fix="give a file name, e.g. report.html.")
    if not target.parent.is_dir():
        raise InputError("the folder for the report does not exist.", file=str(target.parent),
                         fix="create it first, or choose another --out.")
    write_text_atomic(target, html)
    if out is None and rd.manifest:
        manifest = dict(rd.manifest)
        manifest["outputs"] = {**(manifest.get("outputs") or {}), "report.html": file_sha256(target)}
        manifest["report_redrawn_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        write_text_atomic(rd.path / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return target, changed


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flat(v, key + "."))
        else:
            out[key] = v
    return out


def scenario_differences(runs: list[RunDir]) -> list[tuple[str, list]]:
    """The scenario keys whose values differ between runs, with each run's value."""
    flats = [_flat((r.manifest.get("scenario") or {})) for r in runs]
    keys = sorted({k for f in flats for k in f} - {"source"})
    return [(k, [f.get(k) for f in flats]) for k in keys if len({json.dumps(f.get(k), sort_keys=True)
                                                                  for f in flats}) > 1]


def comparison(run_dirs: list[Path | str], maps: bool = True, extra_rows: list[dict] = ()) -> tuple[str, list]:
    """The comparison page and the plan_scores.csv rows for run directories (``extra_rows``:
    scores of scenarios that produced no run directory, e.g. a sweep's failures)."""
    from fedplan import reports
    runs = [read_run_dir(p, need_scenario=maps) for p in run_dirs]
    names = _unique_names([r.name for r in runs])
    scores = [reports.plan_scores(name, str(r.path), r.summary) for name, r in zip(names, runs)]
    figures = [_map_svg(r, i) if maps else "" for i, r in enumerate(runs)]
    html = reports.render_comparison(names, [r.summary for r in runs], scores, scenario_differences(runs), figures)
    rows = [[_csv_value(s.get(c)) for c in PLAN_SCORE_COLUMNS] for s in [*scores, *extra_rows]]
    return html, rows


def compare(run_dirs: list[Path | str], out: Path | str, overwrite: bool = False, maps: bool = True) -> Path:
    """Write ``out/comparison.html`` and ``out/plan_scores.csv`` for the given run directories."""
    if not run_dirs:
        raise InputError("no run directories given.", fix="e.g. fedplan compare runA runB --out cmp.")
    html, rows = comparison(run_dirs, maps)
    with staging(Path(out), overwrite) as tmp:
        write_csv(tmp / "plan_scores.csv", PLAN_SCORE_COLUMNS, rows)
        (tmp / "comparison.html").write_text(html, encoding="utf-8")
    return Path(out)


def _csv_value(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return v


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out


def _map_svg(rd: RunDir, i: int) -> str:
    """A small map of one run's federations (empty when it has no plan or its data changed)."""
    import numpy as np

    from fedplan import geo
    from fedplan import reports
    from .problem import load_outline, load_practices

    if not rd.has_plan:
        return ""
    practices = load_practices(rd.scenario)
    try:
        fed_ids = _fed_ids(rd, practices)
    except InputError:
        return ""
    outline = load_outline(practices, rd.scenario)
    polygons = geo.federation_polygons(practices, np.asarray(fed_ids), outline)
    hubs = [practices.index(f["hub"]) for f in rd.summary.get("federations") or []
            if isinstance(f, dict) and f.get("hub") in practices]
    return reports.federation_map_svg(practices, fed_ids, polygons, outline, hubs, title=f"Run {i + 1}",
                                      prefix=f"cmp{i}")
