"""Helpers shared by the input-reader tests."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from fedplan.inputs import InputError


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


def refused(fn, *args, says=()) -> InputError:
    """Call fn, expect an InputError carrying every phrase in ``says`` and a fix."""
    with pytest.raises(InputError) as err:
        fn(*args)
    text = str(err.value)
    for words in says:
        assert words in text, f"{words!r} not in {text!r}"
    assert "Fix:" in text, text
    return err.value


def write_csv(path: Path, rows: list[dict], columns: list[str] | None = None) -> Path:
    """Practice-file rows (dicts) back to a CSV, optionally with only some columns."""
    columns = columns or list(rows[0])
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path
