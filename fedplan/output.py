"""Write a run directory atomically: everything goes to a hidden sibling folder that is renamed
into place only when complete, so a failed or killed run never leaves a half-written DIR."""
from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import platform
import shutil
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Iterator

from fedplan.inputs.errors import InputError

from .api import PlanRun
from .baseline import baseline_groups
from .summary import make_or_buy_rows, practice_hub_minutes


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex), as manifest.json records inputs and outputs."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_out_dir(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise InputError("the output path exists and is a file, not a directory.", file=str(out),
                         fix="choose another --out.")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise InputError("the output directory already exists and is not empty; fedplan will not mix "
                         "or lose results.", file=str(out), fix="choose a new --out, or pass --overwrite.")


@contextlib.contextmanager
def staging(out: Path, overwrite: bool) -> Iterator[Path]:
    """Yield a temporary directory next to ``out``; on success it becomes ``out``.

    The hidden siblings say what a run killed at any moment left (``remove_stale`` reads them):
    ``.NAME.partial-PID`` is being written (never the only copy of anything), ``.NAME.old-PID`` is
    the previous ``out`` while it is being replaced (always whole: it is renamed to
    ``.NAME.trash-PID`` before it is deleted), ``.NAME.trash-PID`` is being deleted. Replacing an
    existing ``out`` renames ``out -> .old``, then ``.partial -> out``, then ``.old -> .trash`` and
    deletes it; killed between the first two, the next run puts ``.old`` back as ``out``."""
    out = out.resolve()
    restored = remove_stale(out)
    if restored and not overwrite and out.is_dir() and any(out.iterdir()):
        raise InputError("the output directory already exists: it is a previous run, put back in place "
                         "because the run that was replacing it was killed.", file=str(out),
                         fix="choose a new --out, or pass --overwrite to replace it.")
    check_out_dir(out, overwrite)
    created = []
    parent = out.parent
    while not parent.exists():
        created.append(parent)
        parent = parent.parent
    for d in reversed(created):
        d.mkdir()
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        tmp.mkdir()
    except OSError as exc:
        raise InputError(f"cannot create the output folder here: {exc.strerror or exc}.", file=str(out),
                         fix="choose an --out in a folder you may write to.") from None
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for d in created:
            with contextlib.suppress(OSError):
                d.rmdir()
        raise
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        out.rename(old)
        # killed here, the previous run is whole in .old (restored by the next run's clean-up)
        tmp.rename(out)
        # killed here, out is the new run and .old is deleted by the next run's clean-up
        _discard(old)
    else:
        tmp.rename(out)


# What a finished output folder holds: a run directory (write_run, the national merge) writes
# manifest.json last; a comparison (fedplan compare) writes comparison.html last.
_FINISHED_BY = ("manifest.json", "comparison.html")


def _complete(d: Path) -> bool:
    """``d`` is a finished output folder (see ``_FINISHED_BY``)."""
    return d.is_dir() and any((d / name).is_file() for name in _FINISHED_BY)


def _discard(d: Path) -> None:
    """Delete a folder so that no half-deleted copy ever keeps a name that could be restored:
    rename it to ``.NAME.trash-PID`` first (keeping its PID), then delete that."""
    stem, _, pid = d.name.rpartition("-")
    name = stem.rpartition(".")[0]
    trash = d.with_name(f"{name}.trash-{pid}")
    try:
        d.rename(trash)
    except OSError:
        trash = d
    shutil.rmtree(trash, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    # a killed process whose parent died too can linger as a zombie until init reaps it
    with contextlib.suppress(OSError, IndexError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    return True


def _dead(d: Path) -> bool:
    """A hidden staging sibling (``.NAME.KIND-PID``) whose process is gone."""
    pid = d.name.rsplit("-", 1)[-1]
    return d.is_dir() and pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid))


def remove_stale(out: Path) -> list[Path]:
    """Clean up after runs that were killed (SIGKILL, power cut) before they could: the hidden
    siblings of ``out`` whose process is gone. ``.partial`` and ``.trash`` folders are deleted. A
    ``.old`` folder is the previous run, whole: it is put back as ``out`` when ``out`` does not
    exist (or is an empty folder), and deleted only when ``out`` is a finished output folder;
    otherwise it is left alone. Returns the folders put back (at most one)."""
    parent = out.parent
    if not parent.is_dir():
        return []
    for kind in ("partial", "trash"):
        for d in parent.glob(f".{out.name}.{kind}-*"):
            if _dead(d):
                shutil.rmtree(d, ignore_errors=True)
    restored = []
    def newest_first(d: Path) -> float:
        try:
            return -d.stat().st_mtime
        except OSError:
            return 0.0

    olds = sorted((d for d in parent.glob(f".{out.name}.old-*") if _dead(d)), key=newest_first)
    for d in olds:
        if not out.exists() or (out.is_dir() and not any(out.iterdir())):
            try:
                d.rename(out)          # atomic; replaces an empty folder
            except OSError:
                continue
            restored.append(out)
        elif _complete(out):
            _discard(d)
    return restored


def write_csv(path: Path, header: list[str], rows) -> None:
    """Write a CSV in one step (write_text_atomic), so a reader never sees half of it."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    write_text_atomic(path, buf.getvalue())


def write_run(run: PlanRun, tmp: Path, argv: list[str] | None = None, started: float | None = None) -> dict:
    """Write every output file of DESIGN.md §5 into ``tmp``; returns the summary."""
    summary = run.summary()
    res = run.result
    minutes = practice_hub_minutes(run)
    (tmp / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if res.has_plan:
        if any(m is not None for m in minutes):
            by_code = dict(zip(run.practices.code, minutes))
            rows = [(c, f, "" if by_code.get(c) is None else f"{by_code[c]:.1f}")
                    for c, f in sorted(res.assignment_by_code().items())]
            write_csv(tmp / "assignment.csv", ["practice_code", "federation_id", "minutes_to_hub"], rows)
        else:
            rows = sorted(res.assignment_by_code().items())
            write_csv(tmp / "assignment.csv", ["practice_code", "federation_id"], rows)
        write_csv(tmp / "make_or_buy.csv", ["federation_id", "service", "mode", "cost_gbp", "break_even_population"],
                  make_or_buy_rows(run))
    if not (tmp / "solver.log").exists():
        (tmp / "solver.log").write_text(res.log or "", encoding="utf-8")
    _write_geo_and_report(run, summary, tmp, minutes)
    manifest = make_manifest(run, tmp, argv, started)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return summary


def _write_geo_and_report(run: PlanRun, summary: dict, tmp: Path, hub_minutes: list) -> None:
    from fedplan import reports
    res = run.result
    fed_ids = [int(f) + 1 for f in res.assignment] if res.has_plan else [0] * len(run.practices)
    log = (tmp / "solver.log").read_text(errors="replace") if (tmp / "solver.log").exists() else res.log
    html, polygons = render_run_report(summary, run.practices, fed_ids, make_or_buy_rows(run), log,
                                       has_plan=res.has_plan, outline=run.outline,
                                       hub_minutes=hub_minutes)
    if polygons is not None:
        reports.write_federations_gpkg(tmp / "federations.gpkg", polygons, summary["federations"])
    reports.write_report(tmp / "report.html", html)


def render_run_report(summary: dict, practices, fed_ids: list[int], make_or_buy, log: str,
                      has_plan: bool = True, outline=None, hub_minutes=None) -> tuple[str, object]:
    """The report of one run from what it recorded (shared by `fedplan plan` and `fedplan report`);
    returns the HTML and the federation polygons (None without a plan)."""
    import numpy as np

    from fedplan import geo
    from fedplan import reports
    p = practices
    outline = geo.area_outline(p) if outline is None else outline
    polygons = geo.federation_polygons(p, np.asarray(fed_ids), outline) if has_plan else None
    groups = baseline_groups(p)
    gid = {g: i + 1 for i, g in enumerate(sorted(set(groups)))}
    baseline_polygons = geo.federation_polygons(p, np.array([gid[g] for g in groups]), outline)
    html = reports.render_report(summary, p, fed_ids, polygons=polygons, outline=outline,
                                 baseline_polygons=baseline_polygons, log_excerpt=_excerpt(log),
                                 attributions=_attributions(), make_or_buy=make_or_buy, hub_minutes=hub_minutes)
    return html, polygons


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` in one step, so a reader (or a kill) never sees half a file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"cannot write this file: {exc.strerror or exc}.", file=str(path),
                         fix="choose a place you may write to, with free disk space.") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _excerpt(log: str, lines: int = 40) -> str:
    parts = (log or "").splitlines()
    return "\n".join(parts[-lines:])


def _attributions() -> str:
    from fedplan.inputs.data import data_path

    try:
        return data_path("ATTRIBUTION.md").read_text(encoding="utf-8")
    except OSError:
        return ""


def package_versions() -> dict[str, str]:
    """Python, the platform and the versions of fedplan and its main dependencies (manifest.json)."""
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for dist in ("fedplan", "pulp", "ortools", "numpy", "pandas", "geopandas", "shapely", "pyogrio",
                 "pyproj", "scipy", "matplotlib"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[dist] = metadata.version(dist)
    return out


def make_manifest(run: PlanRun, tmp: Path, argv: list[str] | None, started: float | None) -> dict:
    from fedplan import inputs
    sc = run.scenario
    files = {}
    for key in ("practices", "postcodes", "list_sizes", "catalogue", "travel_times", "boundary"):
        path = getattr(sc.inputs, key)
        if path is not None and Path(path).is_file():
            files[key] = {"path": str(path), "sha256": file_sha256(Path(path))}
    if sc.source and Path(sc.source).is_file():
        files["scenario"] = {"path": str(sc.source), "sha256": file_sha256(Path(sc.source))}
    if sc.inputs.practices is None:
        from fedplan.inputs.data import data_path

        shipped = data_path("england_practices.csv.gz")
        files["practices"] = {"path": "shipped: inputs/data/england_practices.csv.gz",
                              "sha256": file_sha256(shipped)}
    if sc.inputs.travel_times is None and sc.costs.access == "minutes":
        from fedplan.inputs.data import data_path

        files["travel_model"] = {"path": "shipped: inputs/data/travel_model.json",
                                 "sha256": file_sha256(data_path("travel_model.json"))}
    outputs = {f.name: file_sha256(f) for f in sorted(tmp.iterdir()) if f.is_file() and f.name != "manifest.json"}
    return {
        "fedplan_manifest": 1,
        "command": argv or [],
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started or time.time())),
        "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seed": sc.solve.seed,
        "scenario": inputs.scenario_to_dict(sc),
        "inputs": files,
        "outputs": outputs,
        "versions": package_versions(),
    }
