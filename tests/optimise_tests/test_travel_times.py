"""A travel-time matrix (``[inputs] travel_times``) prices access per minute, forbids hubs with no
route, and enforces ``max_travel_minutes``; every plan is re-checked by verify() from the file."""
from __future__ import annotations

import numpy as np
import pytest
from input_helpers import write_csv

from fedplan import api
from fedplan.cli import main

N = 10


@pytest.fixture
def area(tmp_path, devon_rows):
    """Ten Devon practices of one sub-ICB, with a synthetic matrix: 1.5 minutes per straight-line km."""
    rows = sorted(devon_rows, key=lambda r: (r["sub_icb_code"], r["practice_code"]))[:N]
    write_csv(tmp_path / "practices.csv", rows)
    xy = np.array([[float(r["easting"]), float(r["northing"])] for r in rows]) / 1000
    minutes = np.round(1.5 * np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)), 3)   # as written to the file
    codes = [r["practice_code"] for r in rows]
    return tmp_path, codes, minutes, sum(int(r["registered_patients"]) for r in rows)


def write_times(folder, codes, minutes, skip=()):
    rows = [{"origin": a, "destination": b, "minutes": f"{minutes[i, j]:.3f}"}
            for i, a in enumerate(codes) for j, b in enumerate(codes) if i != j and (a, b) not in skip]
    write_csv(folder / "times.csv", rows, ["origin", "destination", "minutes"])


def scenario(folder, total: int, extra: str = "") -> str:
    text = (f'[area]\nengland = true\n[inputs]\npractices = "practices.csv"\ntravel_times = "times.csv"\n'
            f"[bounds]\nmin_population = {total // 4}\nmax_population = {total // 2 + 1}\n"
            f'[makebuy]\njoint = false\n[risk]\nenabled = false\n[solve]\ntime_limit_s = 60\n{extra}')
    path = folder / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_access_is_priced_per_minute_and_verified(area):
    folder, codes, minutes, total = area
    write_times(folder, codes, minutes)
    run = api.run(scenario(folder, total, "[costs]\ntravel_gbp_per_minute = 0.2\n"))
    res = run.result
    assert res.status == "optimal" and run.verification.ok, run.verification.problems
    # a trip: the patient's minutes at £0.20 and the car's straight-line km at the mileage rate
    sizes, e, n = run.practices.list_size, run.practices.easting, run.practices.northing
    def km(i, h):
        return ((e[i] - e[h]) ** 2 + (n[i] - n[h]) ** 2) ** 0.5 / 1000
    access = sum(0.5 * 2 * sizes[i] * (0.2 * minutes[i, h] + 0.348 * km(i, h))
                 for i, h in ((i, res.hubs[res.assignment[i]]) for i in range(N)))
    assert run.verification.cost_breakdown["access"] == pytest.approx(access, rel=1e-9)
    assert run.summary()["parameters"]["access_priced_by"].startswith("travel time")


def test_no_route_and_max_travel_minutes_bite(area):
    folder, codes, minutes, total = area
    write_times(folder, codes, minutes)
    free = api.run(scenario(folder, total)).result
    # the farthest trip the free plan makes becomes a no-route pair
    far = max(range(N), key=lambda i: minutes[i, free.hubs[free.assignment[i]]])
    hub = free.hubs[free.assignment[far]]
    blocked = minutes.copy()
    blocked[far, hub] = 9999
    write_times(folder, codes, blocked)
    run = api.run(scenario(folder, total))
    assert run.verification.ok, run.verification.problems
    assert run.result.hubs[run.result.assignment[far]] != hub
    assert run.result.objective >= free.objective - 1e-6
    # a travel-time limit just under the free plan's longest trip
    write_times(folder, codes, minutes)
    longest = minutes[far, hub]
    run = api.run(scenario(folder, total, f"[constraints]\nmax_travel_minutes = {longest - 0.01:.3f}\n"))
    res = run.result
    assert run.verification.ok, run.verification.problems
    assert max(minutes[i, res.hubs[res.assignment[i]]] for i in range(N)) <= longest - 0.01 + 1e-9
    assert res.objective >= free.objective - 1e-6


def test_missing_pair_and_limit_without_matrix_are_refused(area, capsys):
    folder, codes, minutes, total = area
    write_times(folder, codes, minutes, skip={(codes[3], codes[7])})
    rc = main(["plan", scenario(folder, total), "--out", str(folder / "run"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and codes[3] in err and codes[7] in err and "times.csv" in err and "Fix" in err
    assert not (folder / "run").exists()
    path = folder / "nomatrix.toml"
    path.write_text('[area]\nengland = true\n[inputs]\npractices = "practices.csv"\n'
                    "[costs]\naccess = \"km\"\n[constraints]\nmax_travel_minutes = 30\n", encoding="utf-8")
    rc = main(["plan", str(path), "--out", str(folder / "run2"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "max_travel_minutes" in err and "travel_times" in err
    assert not (folder / "run2").exists()
