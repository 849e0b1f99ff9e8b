"""Helpers shared by the input-reader tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from inputs import InputError


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
