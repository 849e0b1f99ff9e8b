"""The broken-input corpus (tests/data/bad/CASES.csv): every file is refused through the CLI, as a
planner would meet it, with exit code 2, a message that names the file (or, column ``where``, the
scenario key at fault) and says what to fix, no traceback, and nothing written. ``expect`` is a
phrase the message must carry; ``what`` says what is wrong with the file."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from fedplan.cli import main

DATA = Path(__file__).parents[1] / "data"
BAD = DATA / "bad"
ROLES = ("practices", "nhs_all", "nhs_map", "postcodes", "catalogue", "boundary", "scenario", "orlib-pmedcap",
         "lorena-senne")


def cases() -> list[dict]:
    with open(BAD / "CASES.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _scenario(tmp: Path, inputs: dict[str, Path], area: str = "[area]\nengland = true\n") -> Path:
    lines = [area, "[inputs]"] + [f'{k} = "{v.as_posix()}"' for k, v in inputs.items()]
    path = tmp / "scenario.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def command(case: dict, tmp: Path) -> tuple[list[str], Path]:
    """The CLI arguments that feed this file to its reader, and the output folder they name."""
    bad = tmp / case["file"]
    shutil.copy(BAD / case["file"], bad)
    out = tmp / "run"
    role = case["role"]
    if role in ("orlib-pmedcap", "lorena-senne"):
        return ["bench", str(bad), "--format", role, "--time-limit", "5"], out
    if role == "scenario":
        sc = bad
    elif role == "practices":
        sc = _scenario(tmp, {"practices": bad})
    elif role == "nhs_all":
        sc = _scenario(tmp, {"practices": bad, "postcodes": DATA / "postcodes_sample.csv"})
    elif role == "nhs_map":
        sc = _scenario(tmp, {"practices": bad, "list_sizes": DATA / "nhs_all_sample.csv",
                             "postcodes": DATA / "postcodes_sample.csv"})
    elif role == "postcodes":
        sc = _scenario(tmp, {"practices": DATA / "nhs_all_sample.csv", "postcodes": bad})
    elif role == "catalogue":
        sc = _scenario(tmp, {"practices": DATA / "practices_small.csv", "catalogue": bad})
    elif role == "boundary":
        sc = _scenario(tmp, {"practices": DATA / "practices_small.csv", "boundary": bad})
    else:
        raise AssertionError(f"CASES.csv: unknown role {role!r}")
    return ["plan", str(sc), "--out", str(out), "--time-limit", "5", "--quiet"], out


def test_the_corpus_is_large_and_complete():
    cs = cases()
    assert len(cs) >= 40
    assert {c["role"] for c in cs} == set(ROLES)
    listed = {c["file"] for c in cs}
    on_disk = {p.name for p in BAD.iterdir()} - {"CASES.csv"}
    assert listed == on_disk, "every file in tests/data/bad is a case, and every case has its file"
    assert all(c["what"] for c in cs)


@pytest.mark.parametrize("case", cases(), ids=lambda c: c["file"])
def test_broken_input_is_refused_in_words(case, tmp_path, capsys):
    args, out = command(case, tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main(args)
    captured = capsys.readouterr()
    err = captured.err
    assert code == 2, f"exit {code}: {err or captured.out}"
    assert "Traceback" not in err and err.startswith("fedplan: error: "), err
    assert case["expect"].lower() in err.lower(), f"{case['expect']!r} not in: {err}"
    assert "Fix:" in err, err
    where = case["where"] or case["file"]
    assert where in err or (not case["where"] and "scenario.toml" in err), f"the message must name {where}: {err}"
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == before, "nothing may be written"
