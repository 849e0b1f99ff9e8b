"""Save an edited plan as a new run directory, written as `fedplan plan` writes one (atomically,
through ``fedplan.output.staging`` and ``write_run``: the same files and report), so that
`fedplan report` and `fedplan compare` read it. The manifest records the scenario the plan keeps
(the run's, with the practices left out added to ``[area] exclude``), and under ``workbench`` the
run it came from, the edits in order and the pins.

The bound saved is one valid for every plan of that scenario: the run's own (when no practice was
left out), never a pinned optimisation's, which holds only under the pins. The plan is verified
independently from the files, as any run is; a plan that breaks a rule is saved with status
"error" and the reasons, as `fedplan plan` would write it.
"""
from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import numpy as np

from fedplan.optimise import Result, verify
from fedplan.optimise.result import canonical, judge
from fedplan.optimise.verify import Claim

from ..api import PlanRun
from ..output import staging, write_run, write_text_atomic
from ..problem import load_outline
from .edits import PlanState
from .errors import ApiError, bad
from .score import federation_rows
from .workspace import LoadedPlan

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


def check_name(name) -> str:
    """A bare folder name: the browser names the run, never where it goes."""
    if not isinstance(name, str) or not NAME.match(name) or ".." in name:
        raise bad("'name' must be a folder name of letters, digits, '.', '_' or '-' (at most 80, starting with a "
                  f"letter or digit, no '..'), e.g. \"devon-edited\"; not {name!r}.")
    return name


def edited_run(plan: LoadedPlan, state: PlanState) -> PlanRun:
    """The edited plan as a ``PlanRun`` (what `fedplan plan` writes), verified from the files."""
    model = plan.model(state.excluded)
    sc, p = model.scenario, model.practices
    _, _, total = federation_rows(model, state)
    fids = sorted(state.hubs)
    pos = {f: k for k, f in enumerate(fids)}
    labels = np.array([pos[state.assignment[c]] for c in p.code], dtype=np.int64)
    labels, hubs = canonical(labels, [model.index[state.hubs[f]] for f in fids], p.code)
    bound = plan.optimum.get("bound_gbp") if not state.excluded else None
    status, bound, gap, message = judge(total, bound)
    result = Result(status=status, objective=total, bound=bound, gap=gap, runtime_s=0.0, solver=sc.solve.solver,
                    solver_version="edited in fedplan serve", seed=sc.solve.seed, assignment=labels, hubs=hubs,
                    message=message or "edited in fedplan serve; the bound is the source run's",
                    log="", practice_codes=p.code, requested_gap=sc.solve.gap)
    check = verify(sc, result.assignment_by_code(), result.hubs_by_federation(),
                   claimed=Claim.from_result(result, requested_gap=sc.solve.gap))
    outline = load_outline(p, sc)
    return PlanRun(sc, p, model.problem, model.distance_km, model.catalogue, result, model.baseline, check,
                   {}, outline, {}, model.access)


def save_plan(plan: LoadedPlan, state: PlanState, edits: list[dict], name, out_parent: Path) -> Path:
    """Write the run directory ``out_parent/name`` (refused when it exists); returns its path."""
    name = check_name(name)
    out = (Path(out_parent) / name).resolve()
    if out.parent != Path(out_parent).resolve():
        raise bad("'name' must be a plain folder name.")
    if out.exists():
        raise ApiError(409, f"'name': a folder called {name} already exists beside the run; choose another name.")
    started = time.time()
    run = edited_run(plan, state)
    log = ("Edited in `fedplan serve` from run " + str(plan.path) + "; no solver ran for this file.\n"
           + "".join(f"edit {k + 1}: {json.dumps(e, sort_keys=True)}\n" for k, e in enumerate(edits)))
    argv = ["fedplan", "serve", str(plan.path)]
    with staging(out, overwrite=False) as tmp:
        (tmp / "solver.log").write_text(log, encoding="utf-8")
        write_run(run, tmp, argv, started)
        manifest = json.loads((tmp / "manifest.json").read_text(encoding="utf-8"))
        manifest["workbench"] = {
            "source_run": str(plan.path), "source_objective_gbp": plan.optimum.get("objective_gbp"),
            "edits": edits, "pins": sorted(state.pins), "pinned_pairs": [list(p) for p in state.pairs],
            "left_out": list(state.excluded), "claim": None if state.claim is None else dict(state.claim),
            "python": sys.version.split()[0]}
        write_text_atomic(tmp / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return out
