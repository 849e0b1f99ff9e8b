"""Data shipped with the package (built by scripts/build_package_data.py; see ATTRIBUTION.md).

Files are found through ``importlib.resources`` so they resolve wherever the package is installed
(site-packages, an editable checkout), never relative to the current directory.
"""
from __future__ import annotations

import gzip
import io
from importlib import resources
from pathlib import Path


def data_path(name: str) -> Path:
    """Path of a shipped data file (e.g. ``england_practices.csv.gz``).

    Raises FileNotFoundError naming the file and the fix, so a broken install or a typo is obvious.
    """
    path = Path(str(resources.files(__name__).joinpath(name)))
    if not path.is_file():
        raise FileNotFoundError(
            f"shipped data file {name!r} not found in {path.parent}; "
            "rebuild it with scripts/build_package_data.py or reinstall fedplan"
        )
    return path


def open_text(name: str) -> io.TextIOBase:
    """Open a shipped file as UTF-8 text, un-gzipping when the name ends in .gz."""
    path = data_path(name)
    if name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")
