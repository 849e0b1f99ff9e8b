"""inputs.read_catalogue / apply_overrides and inputs.read_travel_times."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fedplan import inputs
from input_helpers import refused, write

DATA = Path(__file__).parents[1] / "data"
CATALOGUE = DATA / "service_catalogue.csv"    # a copy of the shipped, sourced default




# ------------------------------------------------------------------ catalogue


def test_catalogue_fixture_and_shipped_default():
    cat = inputs.read_catalogue(CATALOGUE)
    assert len(cat.services) == 21 and "business_planning" in cat.names()
    assert cat.get("business_planning").min_population_inhouse == 50_000
    assert cat.get("legal").min_population_inhouse is None
    assert {s.category for s in cat.services} == {"clinical", "corporate"}
    s = cat.get("back_office_finance")
    assert s.allowed_modes == ("inhouse", "buy") and s.activity_unit.startswith("1,000") and s.source_ids
    shipped = inputs.read_catalogue()
    assert shipped.services == cat.services


CAT_HEADER = ("service,category,demand_per_1000_per_year,activity_unit,inhouse_fixed_cost_gbp_per_team_per_year,"
              "team_capacity_activities_per_year,inhouse_variable_cost_gbp_per_activity,buy_price_gbp_per_activity,"
              "contract_management_gbp_per_year,min_population_inhouse,allowed_modes\n")
OK_ROW = "legal,corporate,2,h,100,10,0,10,10,,inhouse;buy"


@pytest.mark.parametrize("row, says", [
    ("legal,corporate,2,h,100,-5,0,10,10,,inhouse;buy", ["row 2", "team_capacity", "negative"]),
    ("legal,corporate,2,h,100,0,0,10,10,,inhouse;buy", ["row 2", "team_capacity", "above zero"]),
    ("legal,corporate,2,h,-100,10,0,10,10,,inhouse;buy", ["row 2", "inhouse_fixed_cost", "negative"]),
    ("legal,corporate,2,h,100,10,0,-10,10,,inhouse;buy", ["row 2", "buy_price", "negative"]),
    ("legal,corporate,-2,h,100,10,0,10,10,,inhouse;buy", ["row 2", "demand_per_1000_per_year", "negative"]),
    ("legal,corporate,two,h,100,10,0,10,10,,buy", ["row 2", "demand_per_1000_per_year", "'two'"]),
    ("legal,corporate,2,h,100,10,0,10,10,,inhouse;bye", ["row 2", "allowed_modes", "did you mean 'buy'"]),
    ("legal,corporate,2,h,100,10,0,10,10,,", ["row 2", "allowed_modes", "empty", "inhouse;buy"]),
    ("legal,corporate,2,h,100,10,0,10,10,-5,buy", ["row 2", "min_population_inhouse", "negative"]),
    ("legal,clinicial,2,h,100,10,0,10,10,,buy", ["row 2", "category", "did you mean 'clinical'"]),
    (",corporate,2,h,100,10,0,10,10,,buy", ["row 2", "column 'service'", "empty"]),
])
def test_bad_catalogue_rows(tmp_path, row, says):
    refused(inputs.read_catalogue, write(tmp_path, "cat.csv", CAT_HEADER + row + "\n"), says=["cat.csv", *says])


def test_catalogue_duplicates_missing_columns_and_lenient_cells(tmp_path):
    refused(inputs.read_catalogue, write(tmp_path, "c.csv", CAT_HEADER + OK_ROW + "\n" + OK_ROW + "\n"),
            says=["row 3", "'legal' appears twice", "rows 2 and 3"])
    refused(inputs.read_catalogue, write(tmp_path, "c.csv", CAT_HEADER.replace("allowed_modes", "modes") + OK_ROW),
            says=["row 1", "column 'allowed_modes'", "rename column 'modes'"])
    cat = inputs.read_catalogue(write(tmp_path, "c.csv", CAT_HEADER + OK_ROW.replace("inhouse;buy", " BUY ; buy;")
                                      .replace(",2,", ',"1,200",') + "\n"))
    s = cat.get("legal")
    assert s.allowed_modes == ("buy",) and s.demand_per_1000_per_year == 1200 and s.min_population_inhouse is None
    assert s.source_ids == () and s.notes == ""


def test_overrides_as_scenario_tuples_and_as_a_dict():
    cat = inputs.read_catalogue(CATALOGUE)
    changed = inputs.apply_overrides(cat, (("legal", (("buy_price_gbp_per_activity", 1.0),
                                                      ("allowed_modes", ("buy",)))),), "s.toml")
    assert changed.get("legal").buy_price_gbp_per_activity == 1.0 and changed.get("legal").allowed_modes == ("buy",)
    assert changed.get("hr_payroll") == cat.get("hr_payroll") and changed.names() == cat.names()
    d = inputs.apply_overrides(cat, {"legal": {"min_population_inhouse": 40000, "allowed_modes": "inhouse;buy"}})
    assert d.get("legal").min_population_inhouse == 40000
    assert inputs.apply_overrides(cat, {}) == cat


@pytest.mark.parametrize("overrides, says", [
    ({"legl": {}}, ["s.toml", "services.legl", "did you mean 'legal'"]),
    ({"legal": {"buy_price": 1.0}}, ["services.legal.buy_price", "did you mean 'buy_price_gbp_per_activity'"]),
    ({"legal": {"notes": "x"}}, ["unknown service field 'notes'"]),
    ({"legal": {"buy_price_gbp_per_activity": -1}}, ["negative"]),
    ({"legal": {"buy_price_gbp_per_activity": "10"}}, ["must be a number"]),
    ({"legal": {"buy_price_gbp_per_activity": True}}, ["must be a number"]),
    ({"legal": {"team_capacity_activities_per_year": 0}}, ["above zero"]),
    ({"legal": {"allowed_modes": ["bye"]}}, ["did you mean 'buy'"]),
    ({"legal": {"allowed_modes": []}}, ["empty"]),
])
def test_bad_overrides(overrides, says):
    refused(inputs.apply_overrides, inputs.read_catalogue(CATALOGUE), overrides, "s.toml", says=says)


# ------------------------------------------------------------------ travel times


def test_travel_times_read_and_matrix(tmp_path):
    f = write(tmp_path, "t.csv", "Origin,Destination,Minutes\nA,B,10\nB,A,12\nA,C,9999\nB,C,inf\nA,B,10\n")
    t = inputs.read_travel_times(f)
    assert len(t) == 4 and not t.minutes.flags.writeable
    m = t.matrix(["A", "B", "Z"], ["A", "B", "C"])
    assert m.shape == (3, 3) and m[0, 1] == 10 and m[1, 0] == 12
    assert np.isinf(m[0, 2]) and np.isinf(m[1, 2]) and np.isnan(m[0, 0]) and np.isnan(m[2]).all()


@pytest.mark.parametrize("text, says", [
    ("origin,destination,minutes\nA,B,-1\n", ["row 2", "column 'minutes'", "negative", "9999 = unreachable"]),
    ("origin,destination,minutes\nA,B,soon\n", ["row 2", "column 'minutes'", "'soon'"]),
    ("origin,destination,minutes\nA,B,\n", ["row 2", "minutes", "empty"]),
    ("origin,destination,minutes\nA,B,1\nA,B,2\n", ["row 3", "rows 2 and 3", "different times"]),
    ("origin,destination,minutes\n,B,1\n", ["row 2", "column 'origin'", "empty"]),
    ("from,destination,minutes\nA,B,1\n", ["row 1", "column 'origin'"]),
    ("origin,destination\nA,B\n", ["column 'minutes'"]),
])
def test_bad_travel_times(tmp_path, text, says):
    refused(inputs.read_travel_times, write(tmp_path, "t.csv", text), says=["t.csv", *says])


def test_shipped_devon_matrix_reads():
    from fedplan.inputs.data import data_path

    car = inputs.read_travel_times(data_path("devon_lsoa21_to_sites_car_minutes.csv.gz"))
    assert len(car) == 729 * 18 and np.nanmax(car.minutes[np.isfinite(car.minutes)]) < 400
