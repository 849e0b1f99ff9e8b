"""Readers and validators: real formats read correctly; every bad input refused with a message
that names the file, the row, the column and a fix."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import inputs
from inputs import InputError
from inputs.model import AreaSpec

DATA = Path(__file__).parent / "data"
NHS_MAP, NHS_ALL, POSTCODES = DATA / "nhs_map_sample.csv", DATA / "nhs_all_sample.csv", DATA / "postcodes_sample.csv"


@pytest.fixture(scope="module")
def national():
    return inputs.load_national_practices()


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


GOOD = "practice_code,practice_name,registered_patients,lat,lon\nL83001,A,5000,50.7,-3.5\nL83002,B,6000,50.8,-3.4\n"


def refused(fn, *args, says=()):
    with pytest.raises(InputError) as err:
        fn(*args)
    text = str(err.value)
    for words in says:
        assert words in text, f"{words!r} not in {text!r}"
    assert "Fix:" in text
    return text


# ------------------------------------------------------------------ practices (fedplan CSV)


def test_national_table_is_complete(national):
    assert len(national) == 6129 and national.population == 63_181_848
    assert np.isfinite(national.easting).all() and np.isfinite(national.lat).all()
    devon = inputs.select_area(national, AreaSpec())
    assert len(devon) == 116 and set(devon.icb_code) == {"QJK"}


def test_minimal_file_with_list_size_and_easting_northing(tmp_path):
    f = write(tmp_path, "p.csv", "practice_code,list_size,easting,northing\nx1,\"12,345\",292000,92000\n")
    p = inputs.read_practices(f)
    assert p.code == ("X1",) and p.list_size.tolist() == [12345] and np.isnan(p.lat[0])


def test_bom_and_latin1_files_are_read(tmp_path):
    p = inputs.read_practices(write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + GOOD.encode()))
    assert p.code[0] == "L83001"
    latin = GOOD.replace(",A,", ",Caf\xe9 Surgery,").encode("latin-1")
    p = inputs.read_practices(write(tmp_path, "latin.csv", latin))
    assert p.name[0] == "Café Surgery"


@pytest.mark.parametrize("text, says", [
    ("", ["p.csv", "empty"]),
    ("practice_code,registered_patients,lat,lon\n", ["p.csv", "no data rows"]),
    ("practice_code,patients,lat,lon\nA1,10,50.7,-3.5\n", ["p.csv", "registered_patients", "row 1"]),
    ("code,registered_patients,lat,lon\nA1,10,50.7,-3.5\n", ["p.csv", "practice_code"]),
    ("practice_code,registered_patients\nA1,10\n", ["p.csv", "coordinates"]),
    ("practice_code,registered_patients,lat,lon\nA1,10,50.7,-3.5\nA1,20,50.7,-3.5\n", ["row 3", "A1", "rows 2 and 3"]),
    ("practice_code,registered_patients,lat,lon\n,10,50.7,-3.5\n", ["row 2", "practice_code"]),
    ("practice_code,registered_patients,lat,lon\nA1,ten,50.7,-3.5\n", ["row 2", "registered_patients", "'ten'"]),
    ("practice_code,registered_patients,lat,lon\nA1,0,50.7,-3.5\n", ["row 2", "positive"]),
    ("practice_code,registered_patients,lat,lon\nA1,-5,50.7,-3.5\n", ["row 2", "positive"]),
    ("practice_code,registered_patients,lat,lon\nA1,10.5,50.7,-3.5\n", ["row 2", "whole number"]),
    ("practice_code,registered_patients,lat,lon\nA1,inf,50.7,-3.5\n", ["row 2", "infinite"]),
    ("practice_code,registered_patients,lat,lon\nA1,nan,50.7,-3.5\n", ["row 2", "registered_patients"]),
    ("practice_code,registered_patients,lat,lon\nA1,99999999999,50.7,-3.5\n", ["row 2", "implausibly large"]),
    ("practice_code,registered_patients,lat,lon\nA1,10,,-3.5\n", ["row 2", "lat"]),
    ("practice_code,registered_patients,lat,lon\nA1,10,50.7,north\n", ["row 2", "lon", "not a number"]),
    ("practice_code,registered_patients,lat,lon\nA1,10,48.85,2.35\n", ["row 2", "outside England"]),
    ("practice_code,registered_patients,lat,lon\nA1,10,-3.5,50.7\n", ["row 2", "swapped"]),
    ("practice_code,registered_patients,easting,northing\nA1,10,900000,92000\n", ["row 2", "outside England", "easting"]),
    ("practice_code,registered_patients,lat\nA1,10,50.7\n", ["'lon'"]),
    ('practice_code,registered_patients,lat,lon\nA1,10,50.7,-3.5\n"A2,10,50.7\n', ["p.csv"]),
    ("practice_code,practice_code,registered_patients,lat,lon\nA,B,10,50.7,-3.5\n", ["twice in the header"]),
])
def test_bad_practice_files(tmp_path, text, says):
    refused(inputs.read_practices, write(tmp_path, "p.csv", text), says=says)


def test_binary_missing_and_folder(tmp_path):
    refused(inputs.read_practices, write(tmp_path, "p.csv", b"PK\x03\x04" + bytes(200)), says=["p.csv", "Excel"])
    refused(inputs.read_practices, write(tmp_path, "p.csv", bytes(range(256))), says=["binary"])
    refused(inputs.read_practices, tmp_path / "absent.csv", says=["absent.csv", "not found"])
    refused(inputs.read_practices, tmp_path, says=["folder"])


def test_many_bad_rows_are_counted(tmp_path):
    text = "practice_code,registered_patients,lat,lon\n" + "".join(f"A{i},0,50.7,-3.5\n" for i in range(5))
    refused(inputs.read_practices, write(tmp_path, "p.csv", text), says=["row 2", "4 more rows"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_reader(tmp_path, blob):
    f = write(tmp_path, "fuzz.csv", blob)
    try:
        inputs.read_practices(f)
    except InputError:
        pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.sampled_from(["A1", "B2", "10", "-1", "", "50.7", "-3.5", "x", "1e9", '"', ",", "nan"]),
                         min_size=4, max_size=4), min_size=1, max_size=6))
def test_random_csv_cells_never_crash_the_reader(tmp_path, rows):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["practice_code", "registered_patients", "lat", "lon"])
    w.writerows(rows)
    f = write(tmp_path, "fuzz.csv", buf.getvalue())
    try:
        p = inputs.read_practices(f)
        assert (p.list_size > 0).all()
    except InputError:
        pass


# ------------------------------------------------------------------ NHS files as published


def test_nhs_files_as_published(tmp_path):
    assert inputs.detect_format(NHS_MAP) == "nhs-map"
    assert inputs.detect_format(NHS_ALL) == "nhs-all"
    assert inputs.detect_format(write(tmp_path, "p.csv", GOOD)) == "fedplan"
    p = inputs.read_nhs_practices(NHS_MAP, NHS_ALL, POSTCODES)
    assert len(p) == 30 and set(p.icb_code) == {"QJK"} and all(p.pcn_code)
    assert np.isfinite(p.lat).all() and (p.list_size > 0).all()
    only_all = inputs.read_nhs_practices(None, NHS_ALL, POSTCODES)
    assert sorted(only_all.code) == sorted(p.code)
    assert dict(zip(only_all.code, only_all.list_size)) == dict(zip(p.code, p.list_size))


def test_nhs_files_missing_pieces(tmp_path):
    refused(inputs.read_nhs_practices, NHS_MAP, None, POSTCODES, says=["gp-reg-pat-prac-all"])
    refused(inputs.read_nhs_practices, NHS_MAP, NHS_ALL, None, says=["postcode"])
    lines = POSTCODES.read_text().splitlines()
    short = write(tmp_path, "pc.csv", "\n".join(lines[:-3]) + "\n")
    refused(inputs.read_nhs_practices, NHS_MAP, NHS_ALL, short, says=["pc.csv", "3 practice postcode(s)"])
    lines = NHS_ALL.read_text().splitlines()
    fewer = write(tmp_path, "all.csv", "\n".join(lines[:-2]) + "\n")
    refused(inputs.read_nhs_practices, NHS_MAP, fewer, POSTCODES, says=["2 practice(s)", "all.csv"])
    bad_pc = write(tmp_path, "pc2.csv", "pcds,latitude,longitude\nEX1 1AA,abc,-3.5\n")
    refused(inputs.read_postcodes, bad_pc, says=["pc2.csv", "row 2"])
    refused(inputs.read_postcodes, write(tmp_path, "pc3.csv", "zip,lat,lon\nA,50,-3\n"), says=["postcode column"])


# ------------------------------------------------------------------ catalogue


def test_shipped_catalogue():
    cat = inputs.read_catalogue()
    assert len(cat.services) == 21 and "business_planning" in cat.names()
    assert cat.get("business_planning").min_population_inhouse == 50_000
    assert cat.get("legal").min_population_inhouse is None


CAT_HEADER = ("service,category,demand_per_1000_per_year,activity_unit,inhouse_fixed_cost_gbp_per_team_per_year,"
              "team_capacity_activities_per_year,inhouse_variable_cost_gbp_per_activity,buy_price_gbp_per_activity,"
              "contract_management_gbp_per_year,min_population_inhouse,allowed_modes\n")


@pytest.mark.parametrize("row, says", [
    ("legal,corporate,2,h,100,-5,0,10,10,,inhouse;buy", ["row 2", "team_capacity"]),
    ("legal,corporate,2,h,100,0,0,10,10,,inhouse;buy", ["row 2", "above zero"]),
    ("legal,corporate,2,h,-100,10,0,10,10,,inhouse;buy", ["row 2", "negative"]),
    ("legal,corporate,2,h,100,10,0,10,10,,inhouse;bye", ["row 2", "allowed_modes", "'buy'"]),
    ("legal,corporate,2,h,100,10,0,10,10,,", ["row 2", "allowed_modes"]),
    ("legal,corporate,two,h,100,10,0,10,10,,buy", ["row 2", "demand_per_1000_per_year"]),
])
def test_bad_catalogue(tmp_path, row, says):
    refused(inputs.read_catalogue, write(tmp_path, "cat.csv", CAT_HEADER + row + "\n"), says=["cat.csv", *says])


def test_catalogue_duplicates_missing_column_and_overrides(tmp_path):
    row = "legal,corporate,2,h,100,10,0,10,10,,buy\n"
    refused(inputs.read_catalogue, write(tmp_path, "c.csv", CAT_HEADER + row + row), says=["row 3", "twice"])
    refused(inputs.read_catalogue, write(tmp_path, "c.csv", CAT_HEADER.replace("allowed_modes", "modes") + row),
            says=["allowed_modes"])
    cat = inputs.read_catalogue()
    changed = inputs.apply_overrides(cat, [("legal", (("buy_price_gbp_per_activity", 1.0),))])
    assert changed.get("legal").buy_price_gbp_per_activity == 1.0
    refused(inputs.apply_overrides, cat, [("legl", ())], says=["'legal'"])
    refused(inputs.apply_overrides, cat, [("legal", (("buy_price", 1.0),))], says=["buy_price_gbp_per_activity"])


# ------------------------------------------------------------------ scenario


def sc(tmp_path, text):
    return write(tmp_path, "s.toml", text)


def test_full_scenario_round_trip(tmp_path):
    write(tmp_path, "p.csv", GOOD)
    s = inputs.load_scenario(sc(tmp_path, """
[area]
sub_icb = "15n"
exclude = ["l83001"]
[inputs]
practices = "p.csv"
[bounds]
min_population = 20000
max_population = 90000
[constraints]
nest_within = "lad"
n_federations = 5
max_distance_km = 30
[costs]
federation_fixed_gbp = 100000
[solve]
solver = "scip"
time_limit_s = 12.5
seed = 3
[services.legal]
buy_price_gbp_per_activity = 100
allowed_modes = ["buy"]
"""))
    assert s.area.sub_icb == "15N" and s.area.exclude == ("L83001",)
    assert s.inputs.practices == (tmp_path / "p.csv").resolve()
    assert (s.bounds.min_population, s.constraints.n_federations, s.solve.solver, s.solve.seed) == (20000, 5, "scip", 3)
    assert s.service_overrides == (("legal", (("allowed_modes", ("buy",)), ("buy_price_gbp_per_activity", 100.0))),)
    d = inputs.scenario_to_dict(s)
    assert d["solve"]["time_limit_s"] == 12.5 and d["inputs"]["practices"].endswith("p.csv")


@pytest.mark.parametrize("text, says", [
    ("[bounds\nmin_population = 1\n", ["s.toml", "line 1"]),
    ("[bounds]\nmin_pop = 1\n", ["min_pop", "did you mean 'min_population'"]),
    ("[bound]\nmin_population = 1\n", ["[bounds]"]),
    ("[bounds]\nmin_population = 90000\nmax_population = 50000\n", ["greater than max_population"]),
    ("[bounds]\nmin_population = \"25000\"\n", ["bounds.min_population", "must be a number"]),
    ("[bounds]\nmin_population = true\n", ["must be a number"]),
    ("[bounds]\nmax_population = 0\n", ["positive"]),
    ("[bounds]\nmin_population = 2.5\n", ["whole number"]),
    ("[solve]\nsolver = \"gurobi\"\n", ["gurobi", "cbc"]),
    ("[solve]\nsolver = \"cpsta\"\n", ["did you mean 'cpsat'"]),
    ("[solve]\ntime_limit_s = -1\n", ["positive"]),
    ("[solve]\ngap = 5\n", ["fraction"]),
    ("[solve]\nthreads = 0\n", ["at least 1"]),
    ("[constraints]\nnest_within = \"icbs\"\n", ["did you mean 'icb'"]),
    ("[constraints]\ncontiguity = \"yes\"\n", ["true or false"]),
    ("[area]\nicb = \"QJK\"\nsub_icb = \"15N\"\n", ["more than one"]),
    ("[area]\npractices = []\n", ["empty list"]),
    ("[area]\npractices = [1, 2]\n", ["list of practice codes"]),
    ("[inputs]\npractices = \"nowhere.csv\"\n", ["inputs.practices", "nowhere.csv", "no such file"]),
    ("[services.legal]\nbuy_prize = 3\n", ["did you mean 'buy_price_gbp_per_activity'"]),
    ("solver = \"cbc\"\n", ["unknown section or key 'solver'"]),
])
def test_bad_scenarios(tmp_path, text, says):
    refused(inputs.load_scenario, sc(tmp_path, text), says=says)


def test_scenario_file_problems(tmp_path):
    refused(inputs.load_scenario, tmp_path / "none.toml", says=["none.toml", "not found"])
    refused(inputs.load_scenario, write(tmp_path, "b.toml", bytes(range(256))), says=["binary"])
    refused(inputs.load_scenario, write(tmp_path, "l.toml", "# caf\xe9\n".encode("latin-1")), says=["UTF-8"])


# ------------------------------------------------------------------ area selection


def test_area_selection(national):
    assert len(inputs.select_area(national, AreaSpec(icb="qjk"))) == 116
    assert set(inputs.select_area(national, AreaSpec(sub_icb="15N")).sub_icb_code) == {"15N"}
    assert len(inputs.select_area(national, AreaSpec(region="Y58"))) > 116
    assert len(inputs.select_area(national, AreaSpec(england=True))) == 6129
    devon = inputs.select_area(national, AreaSpec())
    a, b = devon.code[:2]
    two = inputs.select_area(national, AreaSpec(practices=(a, b)))
    assert set(two.code) == {a, b}
    fewer = inputs.select_area(national, AreaSpec(exclude=(a,)))
    assert len(fewer) == 115 and a not in fewer
    refused(inputs.select_area, national, AreaSpec(icb="QJX"), says=["QJX", "did you mean", "fedplan data"])
    refused(inputs.select_area, national, AreaSpec(sub_icb="99Z"), says=["99Z"])
    refused(inputs.select_area, national, AreaSpec(practices=("ZZZ999",)), says=["ZZZ999"])
    refused(inputs.select_area, national, AreaSpec(exclude=devon.code), says=["no practices"])


def test_list_areas(national):
    t = inputs.list_areas(national)
    assert (t["level"] == "icb").sum() == 36 and (t["level"] == "sub_icb").sum() == 106
    assert t[t["level"] == "icb"]["population"].sum() == 63_181_848


# ------------------------------------------------------------------ travel times


def test_travel_times(tmp_path):
    f = write(tmp_path, "t.csv", "origin,destination,minutes\nA,B,10\nB,A,12\nA,C,9999\n")
    t = inputs.read_travel_times(f)
    m = t.matrix(["A", "B"], ["A", "B", "C"])
    assert m[0, 1] == 10 and m[1, 0] == 12 and np.isinf(m[0, 2]) and np.isnan(m[0, 0])
    refused(inputs.read_travel_times, write(tmp_path, "t2.csv", "origin,destination,minutes\nA,B,-1\n"),
            says=["t2.csv", "row 2", "negative"])
    refused(inputs.read_travel_times, write(tmp_path, "t3.csv", "origin,destination,minutes\nA,B,1\nA,B,2\n"),
            says=["row 3", "twice"])
    refused(inputs.read_travel_times, write(tmp_path, "t4.csv", "from,to,minutes\nA,B,1\n"), says=["origin"])
    from inputs.data import data_path

    car = inputs.read_travel_times(data_path("devon_lsoa21_to_sites_car_minutes.csv.gz"))
    assert len(car.minutes) == 729 * 18 and np.nanmax(car.minutes[np.isfinite(car.minutes)]) < 400
