"""Read a run directory back (summary, manifest, assignment, make-or-buy, log) without solving.

`fedplan report` and `fedplan compare` work from what a run wrote, so a report can be re-rendered
on another machine or after the package is upgraded. Every problem with a run directory is an
InputError naming the file, row and column, like any other input.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from fedplan.inputs.errors import InputError
from fedplan.inputs.model import Scenario
from fedplan.reports.format import PLAN_STATUSES

_RERUN = "point at a folder written by `fedplan plan`, or re-run the plan."


@dataclass(frozen=True)
class RunDir:
    """What one run directory holds. ``assignment`` maps practice code -> federation id (1-based)."""

    path: Path
    summary: dict
    manifest: dict
    scenario: Scenario | None
    assignment: dict[str, int] = field(default_factory=dict)
    make_or_buy: tuple[dict, ...] = ()
    log: str = ""
    hub_minutes: dict[str, float] = field(default_factory=dict)   # assignment.csv minutes_to_hub, where written

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def has_plan(self) -> bool:
        return str(self.summary.get("status")) in PLAN_STATUSES and bool(self.assignment)


def _json(path: Path, required: bool) -> dict:
    if not path.is_file():
        if required:
            raise InputError(f"{path.name} is missing: this is not a fedplan run directory.", file=str(path.parent),
                             fix=_RERUN)
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text.", file=str(path), fix=_RERUN) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).", file=str(path),
                         fix=_RERUN) from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object at the top level.", file=str(path), fix=_RERUN)
    return data


def _csv_rows(path: Path, columns: tuple[str, ...]) -> list[dict]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text.", file=str(path), fix=_RERUN) from None
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    for col in columns:
        if col not in header:
            raise InputError(f"column '{col}' is missing (found: {', '.join(header) or 'nothing'}).",
                             file=str(path), row=1, column=col, fix=_RERUN)
    return list(reader)


def _hub_minutes(path: Path) -> dict[str, float]:
    """assignment.csv's optional ``minutes_to_hub`` column (runs that priced access in minutes)."""
    out: dict[str, float] = {}
    for row_no, row in enumerate(_csv_rows(path, ("practice_code", "federation_id")), start=2):
        raw = (row.get("minutes_to_hub") or "").strip()
        if not raw:
            continue
        try:
            value = float(raw)
        except ValueError:
            raise InputError(f"minutes_to_hub '{raw}' is not a number.", file=str(path), row=row_no,
                             column="minutes_to_hub", fix=_RERUN) from None
        if not value >= 0:
            raise InputError(f"minutes_to_hub {raw} must be 0 or more.", file=str(path), row=row_no,
                             column="minutes_to_hub", fix=_RERUN)
        out[(row.get("practice_code") or "").strip()] = value
    return out


def _assignment(path: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    for row_no, row in enumerate(_csv_rows(path, ("practice_code", "federation_id")), start=2):
        code = (row.get("practice_code") or "").strip()
        if not code:
            raise InputError("practice_code is empty.", file=str(path), row=row_no, column="practice_code",
                             fix=_RERUN)
        raw = (row.get("federation_id") or "").strip()
        try:
            fid = int(raw)
        except ValueError:
            raise InputError(f"federation_id '{raw}' is not a whole number.", file=str(path), row=row_no,
                             column="federation_id", fix=_RERUN) from None
        if fid < 1:
            raise InputError(f"federation_id {fid} must be 1 or more.", file=str(path), row=row_no,
                             column="federation_id", fix=_RERUN)
        if code in out:
            raise InputError(f"practice {code} is listed twice.", file=str(path), row=row_no,
                             column="practice_code", fix=_RERUN)
        out[code] = fid
    return out


def read_run_dir(path: Path | str, *, need_scenario: bool = True) -> RunDir:
    """Read the files of a run directory; nothing is written or solved."""
    from fedplan.inputs import scenario_from_dict

    path = Path(path)
    if not path.exists():
        raise InputError("run directory not found.", file=str(path), fix="check the path.")
    if not path.is_dir():
        raise InputError("this is a file, not a run directory.", file=str(path),
                         fix="give the folder that `fedplan plan --out` wrote.")
    summary = _json(path / "summary.json", required=True)
    manifest = _json(path / "manifest.json", required=need_scenario)
    scenario = None
    if "scenario" in manifest:
        scenario = scenario_from_dict(manifest["scenario"], source=str(path / "manifest.json"))
    elif need_scenario:
        raise InputError("manifest.json has no 'scenario': the run's inputs cannot be found again.",
                         file=str(path / "manifest.json"), column="scenario", fix=_RERUN)
    status = str(summary.get("status"))
    assignment: dict[str, int] = {}
    minutes: dict[str, float] = {}
    if (path / "assignment.csv").is_file():
        assignment = _assignment(path / "assignment.csv")
        minutes = _hub_minutes(path / "assignment.csv")
    elif status in PLAN_STATUSES:
        raise InputError(f"assignment.csv is missing but the run's status is {status}.", file=str(path),
                         fix=_RERUN)
    mob: list[dict] = []
    if (path / "make_or_buy.csv").is_file():
        mob = _csv_rows(path / "make_or_buy.csv", ("federation_id", "service", "mode", "cost_gbp"))
    log = ""
    if (path / "solver.log").is_file():
        log = (path / "solver.log").read_text(encoding="utf-8", errors="replace")
    return RunDir(path, summary, manifest, scenario, assignment, tuple(mob), log, minutes)
