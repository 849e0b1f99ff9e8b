"""The tests exercise the installed package, not the source tree next to them.

`python -m pytest` puts the current directory first on sys.path, so run from the checkout it
imports ./fedplan, ./inputs ... and a file missing from the wheel, or a module that only works
from the checkout, goes unnoticed. `.ci/run` and the README therefore run the tests from an empty
temporary directory against a normal (non-editable) install:

    cd "$(mktemp -d)" && python -m pytest -q -p no:cacheprovider /path/to/checkout/tests

and this test fails if the modules still come from the checkout. Developers with an editable
install (`pip install -e ".[test]"`, whose modules *are* the checkout) run the suite from the
checkout with FEDPLAN_ALLOW_SOURCE_TREE=1, which skips this check:

    FEDPLAN_ALLOW_SOURCE_TREE=1 python -m pytest -q tests
"""
from __future__ import annotations

import importlib
import json
import os
import site
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest

# The importable top-level names of the distribution (dotted names work too, e.g. "fedplan.inputs"
# once everything lives under the fedplan namespace).
TOP_LEVEL_MODULES = ("fedplan", "fedplan.inputs", "fedplan.geo", "fedplan.optimise", "fedplan.reports")
# the names the distribution must NOT install at the top level (three belong to other projects on PyPI)
NOT_INSTALLED = ("inputs", "geo", "optimise", "reports")
DISTRIBUTION = "fedplan"
CHECKOUT = Path(__file__).resolve().parents[1]
ALLOW = "FEDPLAN_ALLOW_SOURCE_TREE"


def _site_dirs() -> list[Path]:
    dirs = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    dirs.update(getattr(site, "getsitepackages", lambda: [])())
    dirs.add(site.getusersitepackages())
    return [Path(d).resolve() for d in dirs if d]


def _origin(name: str) -> Path:
    module = importlib.import_module(name)
    return Path(module.__file__).resolve()


def _in_checkout(name: str, origin: Path) -> bool:
    """The module is the checkout's own file (flat or src layout), not an installed copy (which may
    also lie under the checkout, e.g. in .ci/run's .venv-ci)."""
    parts = name.split(".")
    return any(origin.parent == base.joinpath(*parts).resolve() for base in (CHECKOUT, CHECKOUT / "src"))


def _installed() -> list:
    """The distribution's metadata as installed in site-packages (not the checkout's *.egg-info,
    which ``importlib.metadata`` also finds when the checkout is on sys.path)."""
    sites = _site_dirs()
    return [d for d in metadata.distributions(name=DISTRIBUTION)
            if any(Path(d.locate_file("")).resolve() == s for s in sites)]


def _editable() -> bool:
    for dist in _installed():
        try:
            if json.loads(dist.read_text("direct_url.json") or "{}").get("dir_info", {}).get("editable"):
                return True
        except ValueError:
            continue
    return False


def test_the_modules_under_test_are_the_installed_package():
    origins = {name: _origin(name) for name in TOP_LEVEL_MODULES}
    from_checkout = {n: o for n, o in origins.items() if _in_checkout(n, o)}
    if from_checkout and os.environ.get(ALLOW) == "1":
        pytest.skip(f"{ALLOW}=1: testing the source tree ({', '.join(sorted(from_checkout))} from {CHECKOUT}), "
                    "e.g. through an editable install; CI tests a normal install")
    why = ("fedplan is installed in editable mode, so its modules are the checkout's files: install it "
           "with `pip install '.[test]'`, or set FEDPLAN_ALLOW_SOURCE_TREE=1 to test the source tree on purpose"
           if _editable() else
           f"the checkout is on sys.path (current directory {os.getcwd()}; sys.path[:3] = {sys.path[:3]}): run "
           "the tests from another directory, e.g. cd \"$(mktemp -d)\" && python -m pytest -q -p no:cacheprovider "
           f"{CHECKOUT / 'tests'}")
    assert not from_checkout, f"modules imported from the source tree: {from_checkout}; {why}"
    sites = _site_dirs()
    outside = {n: str(o) for n, o in origins.items() if not any(s in o.parents for s in sites)}
    assert not outside, f"modules not imported from site-packages ({[str(s) for s in sites]}): {outside}"
    # and they are this distribution's files, all from one installation
    dists = _installed()
    assert dists, f"the {DISTRIBUTION} distribution is not installed in site-packages"
    files = {str(f).replace("\\", "/") for f in dists[0].files or []}
    for name, origin in origins.items():
        rel = Path(*name.split("."), origin.name).as_posix()
        assert rel in files, f"{rel} is not a file of the installed {DISTRIBUTION} distribution"
    roots = {o.parents[len(n.split("."))] for n, o in origins.items()}
    assert len(roots) == 1, f"the modules come from more than one place: {roots}"


def test_only_the_fedplan_namespace_is_installed():
    """`import fedplan.inputs` works and the bare names do not, in a fresh interpreter that sees only
    site-packages (-I: no current directory, no PYTHONPATH), whatever the test run's own sys.path."""
    import subprocess

    ok = subprocess.run([sys.executable, "-I", "-c", "import fedplan.inputs, fedplan.geo, fedplan.optimise, "
                         "fedplan.reports, fedplan.cli"], capture_output=True, text=True, cwd="/")
    assert ok.returncode == 0, ok.stderr
    for name in NOT_INSTALLED:
        run = subprocess.run([sys.executable, "-I", "-c", f"import {name}"], capture_output=True, text=True, cwd="/")
        if run.returncode == 0 and os.environ.get(ALLOW) == "1":
            continue                # an editable install may expose the checkout; CI installs for real
        assert run.returncode != 0 and "ModuleNotFoundError" in run.stderr, f"`import {name}` worked"
