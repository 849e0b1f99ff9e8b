"""The installed distribution must carry every package and the shipped data (tests run from the
source tree, so without this a missing subpackage would only show on a user's machine)."""
from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOP = ("inputs", "geo", "optimise", "reports", "fedplan")


def installed_files() -> set[str]:
    files = metadata.files("fedplan") or []
    return {str(f).replace("\\", "/") for f in files}


def test_every_package_and_data_file_is_installed():
    files = installed_files()
    if not any(f.startswith("fedplan/optimise/") for f in files):
        pytest.skip("fedplan is installed in editable mode here; CI installs it for real and runs this check")
    wanted = []
    # the top-level folders install under the fedplan namespace (pyproject's package-dir mapping)
    for top in TOP:
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.relative_to(ROOT).as_posix()
            wanted.append(rel if top == "fedplan" else f"fedplan/{rel}")
    for name in ("england_practices.csv.gz", "ATTRIBUTION.md", "service_catalogue_defaults.csv", "MANIFEST.json"):
        wanted.append(f"fedplan/inputs/data/{name}")
    missing = [w for w in wanted if w not in files]
    assert not missing, f"not in the installed package: {missing}"


def test_console_script_is_declared():
    eps = metadata.entry_points(group="console_scripts")
    assert any(ep.name == "fedplan" and ep.value == "fedplan.cli:main" for ep in eps)
