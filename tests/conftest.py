"""Shared fixtures: the default Devon job, run once per test session."""
from __future__ import annotations

import csv
import gzip

import pytest

from fedplan.cli import main

DEVON_TIME_LIMIT = "20"


@pytest.fixture(scope="session")
def devon_run(tmp_path_factory):
    """The default job, run with every network connection refused: it must need none."""
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    saved = socket.socket.connect, socket.getaddrinfo, socket.create_connection
    socket.socket.connect, socket.getaddrinfo, socket.create_connection = refuse, refuse, refuse
    try:
        out = tmp_path_factory.mktemp("devon") / "run"
        rc = main(["plan", "--out", str(out), "--time-limit", DEVON_TIME_LIMIT, "--quiet"])
    finally:
        socket.socket.connect, socket.getaddrinfo, socket.create_connection = saved
    return rc, out


@pytest.fixture(scope="session")
def devon_run_dir(devon_run):
    rc, out = devon_run
    assert rc == 0
    return out


@pytest.fixture(scope="session")
def devon_rows() -> list[dict]:
    """The shipped practice rows of Devon ICB (QJK), as the CSV reader sees them."""
    from fedplan.inputs.data import data_path

    with gzip.open(data_path("england_practices.csv.gz"), "rt", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["icb_code"] == "QJK"]
