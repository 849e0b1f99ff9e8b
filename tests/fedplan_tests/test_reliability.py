"""Reliability: the same job gives the same bytes, a killed run leaves nothing half-written, the
default job needs no network, and an unwritable output place is refused in words."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fedplan.cli import main

DATA = Path(__file__).parents[1] / "data"


def _scenario(tmp: Path, practices: Path, extra: str = "") -> Path:
    sc = tmp / "scenario.toml"
    sc.write_text(f'[area]\nengland = true\n[inputs]\npractices = "{practices.as_posix()}"\n{extra}', encoding="utf-8")
    return sc


def _first_rows(tmp: Path, n: int) -> Path:
    lines = (DATA / "practices_small.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp / f"practices_{n}.csv"
    path.write_text("".join(lines[:n + 1]), encoding="utf-8")
    return path


@pytest.mark.parametrize("rows, extra", [
    (30, "[makebuy]\njoint = false\n[risk]\nenabled = false\n"),   # access + fixed cost, 30 practices
    (12, ""),                                                        # the full joint model, 12 practices
])
def test_same_inputs_seed_and_one_thread_give_identical_bytes(tmp_path, capsys, rows, extra):
    # rule pricing off: its re-solves are test_size_rules.py's; the bytes compared are the plan's
    sc = _scenario(tmp_path, _first_rows(tmp_path, rows), extra + "[solve]\nprice_rules = false\n")
    outs = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        assert main(["plan", str(sc), "--out", str(out), "--seed", "3", "--threads", "1",
                     "--time-limit", "60", "--quiet"]) == 0
        outs.append(out)
    capsys.readouterr()
    import json

    # both runs finish before the time limit (proven optimal), so nothing depends on the clock
    assert json.loads((outs[0] / "summary.json").read_text())["status"] == "optimal"
    for name in ("assignment.csv", "make_or_buy.csv"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


def test_a_killed_run_leaves_nothing_half_written(tmp_path):
    """SIGKILL mid-solve: no run directory appears; the next run cleans the dead run's staging."""
    sc = _scenario(tmp_path, DATA / "practices_small.csv")   # the joint model: not proven for a while
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "fedplan", "plan", str(sc), "--out", str(out),
                             "--time-limit", "120", "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    staging = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            staging = list(tmp_path.glob(".run.partial-*"))
            if staging and (staging[0] / "solver.log").exists():
                break
            time.sleep(0.2)
        assert proc.poll() is None and staging, "the run should be solving, with its staging folder, by now"
        time.sleep(1.0)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists(), "a killed run must not leave a run directory"
    assert all(p.name.startswith(".run.partial-") for p in tmp_path.iterdir() if p.name.startswith(".")), \
        "only the hidden staging folder of the dead process may remain"
    # the same command again succeeds and removes what the killed run left behind
    # rule prices are re-solves of their own, not what this checks
    extra = "[makebuy]\njoint = false\n[risk]\nenabled = false\n[solve]\nprice_rules = false\n"
    sc2 = _scenario(tmp_path, DATA / "practices_small.csv", extra)
    assert main(["plan", str(sc2), "--out", str(out), "--time-limit", "20", "--quiet"]) == 0
    assert (out / "summary.json").is_file() and (out / "manifest.json").is_file()
    assert not list(tmp_path.glob(".run.*")), "stale staging folders are removed"


def test_default_job_runs_with_the_network_blocked(devon_run):
    """conftest's devon_run replaces socket connect / getaddrinfo with a function that fails the
    test: the default Devon job, report included, ran without touching the network."""
    rc, out = devon_run
    assert rc == 0 and (out / "report.html").is_file()


def test_an_unwritable_output_place_is_refused_in_words(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code = main(["plan", "--out", str(blocker / "run"), "--time-limit", "5", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot create the output folder" in err and "Traceback" not in err, err
    assert blocker.read_text() == "x"


# The script first takes Ctrl-C as a terminal would deliver it: a child inherits an ignored or
# blocked SIGINT from its parent, and earlier tests in the same pytest process (Dask clusters)
# can leave the test runner that way, which made this test hang in full runs only.
_CBC_SCRIPT = """
import signal
signal.signal(signal.SIGINT, signal.default_int_handler)
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
import sys
from pathlib import Path
import numpy as np
from fedplan.optimise.cpmp import cpmp_problem
from fedplan.optimise.formulations import build_assignment_model
from fedplan.optimise.solvers.base import SolveOptions, scratch_in
from fedplan.optimise.solvers.pulp_cbc import solve_cbc

rng = np.random.default_rng(5)
n = 120
xy = rng.uniform(0, 100, size=(n, 2))
d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
demand = rng.integers(1, 20, size=n)
problem = cpmp_problem(list(range(1, n + 1)), demand, np.full(n, 130), d, 10)
with scratch_in(Path(sys.argv[1])):
    solve_cbc(build_assignment_model(problem).model, SolveOptions(time_limit_s=120))
"""


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; parent-death signal is Linux's")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_cbc_does_not_outlive_a_killed_or_interrupted_solve(tmp_path, how):
    """pulp leaves CBC running (and its files behind) when the Python side dies mid-solve: a killed
    120 s solve kept a core busy for the rest of its 120 s. Our CBC dies with its parent, and its
    files stay under the scratch folder (the run's staging folder under the CLI); interrupted, they
    are removed."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", _CBC_SCRIPT, str(scratch)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, cwd=tmp_path)
    cbc = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and not cbc:
            cbc = [c for c in _children(proc.pid) if "cbc" in (Path("/proc") / str(c) / "comm").read_text().lower()]
            time.sleep(0.1)
        assert cbc and proc.poll() is None, "CBC should be solving by now"
        time.sleep(0.5)
        os.kill(proc.pid, how)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(cbc[0]):
        time.sleep(0.1)
    assert not _alive(cbc[0]), "CBC outlived the process that started it"
    left = list(scratch.iterdir())
    if how == signal.SIGINT:
        assert proc.returncode != 0 and b"KeyboardInterrupt" in proc.stderr.read()
        assert left == [], f"an interrupted solve removes its CBC files, left {left}"
    else:
        assert all(p.name.startswith(".cbc-") for p in left), left
