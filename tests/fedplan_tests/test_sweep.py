"""`fedplan sweep`: every combination planned on a real Dask cluster (local, or a scheduler and
worker started on loopback), scores written, and a sweep killed halfway resumes without redoing
or losing finished scenarios."""
from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fedplan.cli import main
from fedplan.sweep import load_sweep, run_sweep

DATA = Path(__file__).parents[1] / "data"
PLAIN = "[makebuy]\njoint = false\n[risk]\nenabled = false\n"


def _files(tmp: Path, grid: str, base_extra: str = PLAIN, time_limit: int = 20) -> Path:
    (tmp / "base.toml").write_text(
        f'[area]\nengland = true\n[inputs]\npractices = "{(DATA / "practices_small.csv").as_posix()}"\n'
        # rule pricing off: its re-solves (test_size_rules.py's) only lengthened every scenario
        f"{base_extra}[solve]\ntime_limit_s = {time_limit}\nprice_rules = false\n", encoding="utf-8")
    path = tmp / "sweep.toml"
    path.write_text(f'base = "base.toml"\n[grid]\n{grid}', encoding="utf-8")
    return path


def _scores(out: Path) -> list[dict]:
    with open(out / "plan_scores.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_sweep_plans_every_combination_then_skips_them(tmp_path):
    sweep = _files(tmp_path, '"bounds.min_population" = [25000, 30000]\n'
                             '"bounds.max_population" = [70000, 100000]\n')
    out = tmp_path / "out"
    r = run_sweep(sweep, out, workers=1, progress=False, maps=False)
    assert len(r["done"]) == 4 and not r["skipped"] and not r["failed"]
    rows = _scores(out)
    assert len(rows) == 4
    for s, row in zip(load_sweep(sweep), rows):
        summary = json.loads((out / s.name / "summary.json").read_text())
        settings = dict(s.settings)
        assert summary["bounds"] == {"min_population": settings["bounds.min_population"],
                                     "max_population": settings["bounds.max_population"]}
        assert row["scenario"] == s.name and float(row["objective_gbp"]) == pytest.approx(summary["objective_gbp"])
    stamps = {p.name: (p / "summary.json").stat().st_mtime_ns for p in out.iterdir() if p.is_dir()}
    again = run_sweep(sweep, out, workers=1, progress=False, maps=False)
    assert not again["done"] and len(again["skipped"]) == 4
    assert {p.name: (p / "summary.json").stat().st_mtime_ns for p in out.iterdir() if p.is_dir()} == stamps
    assert "comparison.html" in os.listdir(out)


def test_a_killed_sweep_resumes_without_redoing_or_losing_anything(tmp_path):
    # the joint model on 30 practices runs to its time limit: a few seconds per scenario
    sweep = _files(tmp_path, '"bounds.min_population" = [25000, 27000, 29000]\n', base_extra="", time_limit=4)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "fedplan", "sweep", str(sweep), "--out", str(out),
                             "--workers", "1", "--quiet", "--no-maps"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    names = [s.name for s in load_sweep(sweep)]
    first = None
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            done = [n for n in names if (out / n / "manifest.json").is_file()]
            if done:
                first = done[0]
                break
            time.sleep(0.2)
        assert first is not None and proc.poll() is None, "the sweep should have finished one scenario by now"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)   # the CLI and its Dask worker processes, all at once
        proc.wait(timeout=30)
    kept = {f.name: f.read_bytes() for f in (out / first).iterdir()}
    assert not (out / "plan_scores.csv").exists(), "killed before the scores were written"
    r = run_sweep(sweep, out, workers=1, progress=False, maps=False)
    assert first in r["skipped"] and first not in r["done"]
    assert sorted(r["done"] + r["skipped"]) == sorted(names) and not r["failed"]
    assert {f.name: f.read_bytes() for f in (out / first).iterdir()} == kept, "finished work is not redone"
    assert len(_scores(out)) == 3
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "stale staging folders are removed"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_existing_scheduler_on_loopback_gives_the_same_plans(tmp_path):
    sweep = _files(tmp_path, '"bounds.max_population" = [70000, 100000]\n')
    local = run_sweep(sweep, tmp_path / "local", workers=1, progress=False, maps=False)
    assert len(local["done"]) == 2
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, DASK_DISTRIBUTED__WORKER__DAEMON="False")
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--no-dashboard"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True, env=env)]
    try:
        time.sleep(2.0)
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads",
                                       "1", "--nworkers", "1", "--no-dashboard"], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True, env=env))
        remote = run_sweep(sweep, tmp_path / "remote", scheduler=address, progress=False, maps=False)
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=30)
    assert len(remote["done"]) == 2
    for a, b in zip(_scores(tmp_path / "local"), _scores(tmp_path / "remote")):
        assert a["scenario"] == b["scenario"] and a["objective_gbp"] == b["objective_gbp"] and a["status"] == b["status"]


@pytest.mark.parametrize("text, says", [
    ('[grid]\n"bounds.min_populaton" = [1]\n', "did you mean bounds.min_population"),
    ('[grid]\n"bound.min_population" = [1]\n', "did you mean bounds"),
    ('[grid]\n"bounds.min_population" = []\n', "non-empty list"),
    ('[grid]\n"bounds.min_population" = 25000\n', "non-empty list"),
    ('[grid]\n"bounds.min_population" = [90000]\n"bounds.max_population" = [30000]\n', "greater than max_population"),
    ('[grid]\n"solve.seed" = [' + ", ".join(str(i) for i in range(40)) + ']\n"solve.threads" = ['
     + ", ".join(str(i + 1) for i in range(30)) + "]\n", "1,200 scenarios"),
    ('base = "nowhere.toml"\n[grid]\n"solve.seed" = [1]\n', "scenario file not found"),
    ("[grid]\n", "no [grid]"),
    ('colour = "blue"\n[grid]\n"solve.seed" = [1]\n', "unknown key 'colour'"),
    ('[grid]\n"services.legal.price" = [1.0]\n', "services.<service>.<field>"),
])
def test_a_bad_sweep_file_is_refused_in_words(tmp_path, capsys, text, says):
    path = tmp_path / "sweep.toml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    code = main(["sweep", str(path), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and says in err and "Traceback" not in err, err
    assert not out.exists()
