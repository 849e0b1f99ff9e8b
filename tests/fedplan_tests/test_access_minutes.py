"""Access in minutes by road (the default): the scenario key, the engine's access costs, the
summary and assignment contract, and the Isles of Scilly reaching the mainland only by a stated sea
link. Oracles recompute access from the shipped travel times with plain arithmetic, never with the
problem builder, the summary or verify they check."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from fedplan.cli import main
from fedplan.inputs import load_scenario
from fedplan.inputs.errors import InputError

# St Mary's Health Centre (Isles of Scilly) and seven practices of Penwith (Penzance, St Ives, Hayle)
SCILLY = "L82017"
PENWITH = ["L82036", "L82038", "L82047", "L82070", "Y01050", "Y01051", "Y01922"]


def write(tmp_path, text: str):
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_access_is_minutes_by_default_and_km_on_request(tmp_path):
    assert load_scenario(write(tmp_path, "[area]\nicb = \"QJK\"\n")).costs.access == "minutes"
    assert load_scenario(write(tmp_path, "[costs]\naccess = \"km\"\n")).costs.access == "km"


def test_an_unknown_access_measure_names_the_key_and_the_choices(tmp_path):
    with pytest.raises(InputError) as e:
        load_scenario(write(tmp_path, "[costs]\naccess = \"miles\"\n"))
    msg = str(e.value)
    assert "costs.access" in msg and "minutes" in msg and "km" in msg


def test_max_travel_minutes_in_km_mode_without_a_file_is_refused(tmp_path):
    from fedplan.problem import check_supported

    sc = load_scenario(write(tmp_path, "[costs]\naccess = \"km\"\n[constraints]\nmax_travel_minutes = 30\n"))
    with pytest.raises(InputError) as e:
        check_supported(sc)
    assert "max_travel_minutes" in str(e.value) and "access" in str(e.value)


def _run(tmp_path, toml: str):
    out = tmp_path / "run"
    rc = main(["plan", str(write(tmp_path, toml)), "--out", str(out), "--quiet", "--time-limit", "30"])
    assert rc == 0
    return out, json.loads((out / "summary.json").read_text())


def _hub_minutes_oracle(codes):
    """Minutes between the named practices from the shipped model's own tables (the input data),
    as a matrix in the order of ``codes``."""
    from fedplan import geo, inputs

    table = inputs.select_area(inputs.load_national_practices(), load_scenario_area(codes))
    p = geo.project_practices(table)
    from fedplan.geo.travel_model import practice_travel_minutes

    t = practice_travel_minutes(p)
    order = [list(p.code).index(c) for c in codes]
    return t.minutes[np.ix_(order, order)], t.by_sea[np.ix_(order, order)], p


def load_scenario_area(codes):
    from fedplan.inputs.model import AreaSpec

    return AreaSpec(practices=tuple(codes))


def test_scilly_joins_the_mainland_only_by_its_sea_link(tmp_path):
    """Scilly's one practice cannot reach the floor alone: it joins a Penwith federation, its trip
    to the hub is priced by the stated ferry (road + boarding + crossing + road), said in words,
    and the access cost equals trips x minutes x £/min recomputed here."""
    codes = [SCILLY, *PENWITH]
    toml = ("[area]\npractices = [" + ", ".join(f'"{c}"' for c in codes) + "]\n"
            "[bounds]\nmin_population = 20000\nmax_population = 45000\n[solve]\nprice_rules = false\n")
    out, s = _run(tmp_path, toml)
    assert s["verified"] is True and s["travel"]["measure"] == "minutes" and s["travel"]["source"] == "model"
    assert any("Scilly" in n for n in s["travel"]["notes"])
    assert [lk["island"] for lk in s["travel"]["sea_links"]] == ["Isles of Scilly"]
    rows = {r["practice_code"]: r for r in csv.DictReader((out / "assignment.csv").open())}
    fed_of_scilly = int(rows[SCILLY]["federation_id"])
    fed = next(f for f in s["federations"] if f["id"] == fed_of_scilly)
    assert fed["hub_trip_by_sea"] is True
    m, by_sea, p = _hub_minutes_oracle(codes)
    hub = codes.index(fed["hub"])
    assert by_sea[0, hub]
    assert float(rows[SCILLY]["minutes_to_hub"]) == pytest.approx(m[0, hub], abs=0.06)
    assert m[0, hub] >= 165 + 30          # at least the crossing and the boarding allowance
    # the plan's access cost from the minutes in assignment.csv, priced as the scenario says
    size = dict(zip(p.code, p.list_size))
    where = dict(zip(p.code, zip(p.easting, p.northing)))
    hub_of = {f["id"]: f["hub"] for f in s["federations"]}

    def km(a, b):
        return ((where[a][0] - where[b][0]) ** 2 + (where[a][1] - where[b][1]) ** 2) ** 0.5 / 1000

    # a trip: the patient's minutes at £0.10 and the car's straight-line km at the mileage rate
    access = sum(size[c] * 0.5 * 2 * (0.10 * float(r["minutes_to_hub"]) + 0.348 * km(c, hub_of[int(r["federation_id"])]))
                 for c, r in rows.items())
    assert s["cost_breakdown"]["access"] == pytest.approx(access, rel=2e-3)
    for f in s["federations"]:
        ms = [c for c, r in rows.items() if int(r["federation_id"]) == f["id"]]
        mins = [float(rows[c]["minutes_to_hub"]) for c in ms]
        assert f["minutes_to_hub_max"] == pytest.approx(max(mins), abs=0.06)
        mean = sum(size[c] * float(rows[c]["minutes_to_hub"]) for c in ms) / sum(size[c] for c in ms)
        assert f["minutes_to_hub_mean"] == pytest.approx(mean, abs=0.06)
    html = (out / "report.html").read_text()
    assert 'id="travel"' in html and "Scilly" in html


def test_km_runs_keep_straight_lines(tmp_path):
    codes = PENWITH
    toml = ("[area]\npractices = [" + ", ".join(f'"{c}"' for c in codes) + "]\n"
            "[bounds]\nmin_population = 20000\nmax_population = 45000\n[costs]\naccess = \"km\"\n"
            "[solve]\nprice_rules = false\n")
    out, s = _run(tmp_path, toml)
    assert s["travel"]["measure"] == "km" and s["verified"] is True
    assert all("minutes_to_hub_max" not in f for f in s["federations"])
    header = (out / "assignment.csv").read_text().splitlines()[0]
    assert header == "practice_code,federation_id"
