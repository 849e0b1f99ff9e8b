"""--overwrite never loses the previous run: whatever moment a run replacing DIR is killed at, the
previous run stays whole (in DIR or in its hidden ``.DIR.old-PID`` sibling) until the new one is in
place, and the next run puts it back rather than deleting it.

The kill points are simulated by the folder states a kill leaves (with the PID of a finished
process), and one is made by a real SIGKILL between the two renames."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fedplan.output import remove_stale, staging
from fedplan.inputs.errors import InputError


@pytest.fixture(scope="module")
def dead_pid() -> int:
    """The PID of a process that has finished (and been reaped)."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    return int(proc.stdout)


def _run_dir(path: Path, tag: str, complete: bool = True) -> Path:
    """A run directory as write_run leaves it: summary.json first, manifest.json last."""
    path.mkdir()
    (path / "summary.json").write_text(json.dumps({"tag": tag}))
    (path / "assignment.csv").write_text("practice_code,federation_id\n")
    if complete:
        (path / "manifest.json").write_text(json.dumps({"tag": tag}))
    return path


def _tag(path: Path) -> str:
    return json.loads((path / "summary.json").read_text())["tag"]


def _hidden(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith("."))


def _write_new(out: Path, overwrite: bool, tag: str = "new") -> None:
    with staging(out, overwrite) as tmp:
        (tmp / "summary.json").write_text(json.dumps({"tag": tag}))
        (tmp / "manifest.json").write_text(json.dumps({"tag": tag}))


# The states a run replacing run/ (holding the "old" run) leaves when killed ...
def _killed_while_writing(tmp, pid):                 # ... before any rename
    _run_dir(tmp / "run", "old")
    _run_dir(tmp / f".run.partial-{pid}", "new", complete=False)


def _killed_between_the_renames(tmp, pid):           # ... after run -> .old, before .partial -> run
    _run_dir(tmp / f".run.old-{pid}", "old")
    _run_dir(tmp / f".run.partial-{pid}", "new")


def _killed_after_the_renames(tmp, pid):             # ... new run in place, .old not yet discarded
    _run_dir(tmp / "run", "new")
    _run_dir(tmp / f".run.old-{pid}", "old")


def _killed_while_deleting_the_old_run(tmp, pid):    # ... .old renamed to .trash and half deleted
    _run_dir(tmp / "run", "new")
    _run_dir(tmp / f".run.trash-{pid}", "old", complete=False)


@pytest.mark.parametrize("kill, expected", [
    (_killed_while_writing, "old"),
    (_killed_between_the_renames, "old"),
    (_killed_after_the_renames, "new"),
    (_killed_while_deleting_the_old_run, "new"),
])
def test_the_clean_up_after_any_kill_point_keeps_a_whole_run(tmp_path, dead_pid, kill, expected):
    kill(tmp_path, dead_pid)
    remove_stale((tmp_path / "run").resolve())
    out = tmp_path / "run"
    assert _tag(out) == expected and (out / "manifest.json").is_file()
    assert _hidden(tmp_path) == [], "the dead run's folders are gone once a whole run is in place"


@pytest.mark.parametrize("kill", [_killed_while_writing, _killed_between_the_renames, _killed_after_the_renames,
                                  _killed_while_deleting_the_old_run])
def test_the_next_overwrite_replaces_whatever_was_in_place(tmp_path, dead_pid, kill):
    kill(tmp_path, dead_pid)
    _write_new(tmp_path / "run", overwrite=True, tag="next")
    assert _tag(tmp_path / "run") == "next" and _hidden(tmp_path) == []


def test_a_run_without_overwrite_does_not_replace_a_restored_run(tmp_path, dead_pid):
    _killed_between_the_renames(tmp_path, dead_pid)
    with pytest.raises(InputError, match="put back in place"):
        _write_new(tmp_path / "run", overwrite=False)
    assert _tag(tmp_path / "run") == "old" and _hidden(tmp_path) == []


def test_the_cli_refuses_to_write_over_a_restored_run(tmp_path, dead_pid, capsys):
    """`fedplan plan --out run` (no --overwrite) after a kill between the renames: exit 2, and the
    previous run is back in place, untouched (nothing is solved)."""
    from fedplan.cli import main

    _killed_between_the_renames(tmp_path, dead_pid)
    code = main(["plan", "--out", str(tmp_path / "run"), "--time-limit", "5", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "put back in place" in err and "--overwrite" in err, err
    assert _tag(tmp_path / "run") == "old" and _hidden(tmp_path) == []


def test_an_old_run_is_put_back_over_an_empty_folder(tmp_path, dead_pid):
    (tmp_path / "run").mkdir()
    _run_dir(tmp_path / f".run.old-{dead_pid}", "old")
    remove_stale((tmp_path / "run").resolve())
    assert _tag(tmp_path / "run") == "old" and _hidden(tmp_path) == []


def test_an_old_run_is_kept_while_the_folder_in_place_is_not_a_finished_run(tmp_path, dead_pid):
    """Someone put files in run/ (no manifest): the previous run is the only whole copy; keep it."""
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    _run_dir(tmp_path / f".run.old-{dead_pid}", "old")
    remove_stale((tmp_path / "run").resolve())
    assert _hidden(tmp_path) == [f".run.old-{dead_pid}"]
    assert _tag(tmp_path / f".run.old-{dead_pid}") == "old"


def test_the_folders_of_a_live_run_are_left_alone(tmp_path):
    live = os.getppid()          # the process that started pytest: alive for the whole test
    _run_dir(tmp_path / f".run.old-{live}", "old")
    _run_dir(tmp_path / f".run.partial-{live}", "new", complete=False)
    remove_stale((tmp_path / "run").resolve())
    assert _hidden(tmp_path) == [f".run.old-{live}", f".run.partial-{live}"]
    assert not (tmp_path / "run").exists()


# A real SIGKILL at each rename of an overwrite: a child replaces run/ and stops just after the
# chosen rename (it prints where it is and sleeps); it is killed there.
_REPLACE = """
import json, sys, time
from pathlib import Path
from fedplan import output

out, stop_after = Path(sys.argv[1]), sys.argv[2]
real = Path.rename

def rename(self, target):
    result = real(self, target)
    kind = Path(target).name.split(".")[-1].split("-")[0] if Path(target).name.startswith(".") else "out"
    if kind == stop_after:
        print("stopped", flush=True)
        time.sleep(120)
    return result

Path.rename = rename
with output.staging(out, overwrite=True) as tmp:
    (tmp / "summary.json").write_text(json.dumps({"tag": "new"}))
    (tmp / "manifest.json").write_text(json.dumps({"tag": "new"}))
"""


@pytest.mark.parametrize("stop_after, left, expected", [
    ("old", "old", "old"),       # run -> .old done, .partial -> run not yet: the old run comes back
    ("out", "new", "new"),       # .partial -> run done, .old not yet discarded: the new run stays
])
def test_a_run_killed_with_sigkill_during_the_replacement_loses_nothing(tmp_path, stop_after, left, expected):
    _run_dir(tmp_path / "run", "old")
    proc = subprocess.Popen([sys.executable, "-c", _REPLACE, str(tmp_path / "run"), stop_after],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "stopped", proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    old = tmp_path / f".run.old-{proc.pid}"
    assert old.is_dir() and _tag(old) == "old", "the previous run is whole in its hidden sibling"
    if left == "old":
        assert not (tmp_path / "run").exists()
    else:
        assert _tag(tmp_path / "run") == "new"
    deadline = time.monotonic() + 10           # the killed child is reaped by proc.wait()
    while time.monotonic() < deadline and Path(f"/proc/{proc.pid}").exists():
        time.sleep(0.05)
    remove_stale((tmp_path / "run").resolve())
    assert _tag(tmp_path / "run") == expected and _hidden(tmp_path) == []
