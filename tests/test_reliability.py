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

DATA = Path(__file__).parent / "data"


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
    sc = _scenario(tmp_path, _first_rows(tmp_path, rows), extra)
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
    extra = "[makebuy]\njoint = false\n[risk]\nenabled = false\n"
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
