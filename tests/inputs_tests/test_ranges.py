"""figure_ranges.csv: a sourced low / central / high for every default figure, with the default as
its central; the reader's errors name the row and column; with_figure changes one figure only.

The expected values come from the model dataclasses and from the catalogue CSV read with the csv
module, never from the code under test."""
from __future__ import annotations

import csv
import dataclasses
import re

import pytest

from fedplan.inputs import InputError, Scenario, apply_overrides, read_catalogue
from fedplan.inputs import model
from fedplan.inputs.data import data_path
from fedplan.inputs.ranges import FigureRange, figure_value, load_ranges, with_figure

COLUMNS = ["figure", "unit", "low", "central", "high", "raises_cost", "source"]
# the figures the issue asks a range for, by section (field names of inputs/model.py)
DEFAULTS = {
    "risk": ("RiskSpec", ("budget_gbp_per_patient", "cv_individual", "skew_individual", "systematic_error",
                          "systematic_correlation", "risk_share", "confidence", "cost_of_capital", "stoploss_loading",
                          "stoploss_min_rate_on_line", "stoploss_min_premium_gbp", "stoploss_layer",
                          "viability_share")),
    "engagement": ("EngagementSpec", ("coordination_gbp_per_member", "incentive_gbp_per_patient",
                                      "incentive_held_back", "member_success_probability")),
    "costs": ("CostsSpec", ("federation_fixed_gbp", "hub_visits_per_patient", "travel_gbp_per_km",
                            "travel_gbp_per_minute")),
}
CATALOGUE_COLUMNS = ("buy_price_gbp_per_activity", "inhouse_fixed_cost_gbp_per_team_per_year",
                     "team_capacity_activities_per_year", "contract_management_gbp_per_year")
HAS_ENGAGEMENT = hasattr(Scenario(), "engagement")
needs_engagement = pytest.mark.skipif(not HAS_ENGAGEMENT, reason="Scenario has no engagement section yet")


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    with open(data_path("figure_ranges.csv"), newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == COLUMNS
        return list(reader)


@pytest.fixture(scope="module")
def by_figure(rows) -> dict[str, dict]:
    return {r["figure"]: r for r in rows}


@pytest.fixture(scope="module")
def catalogue_csv() -> list[dict]:
    with open(data_path("service_catalogue_defaults.csv"), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def registered_ids() -> set[str]:
    """The IDs of every source-register table (header '| ID | Title | ...') of the sources file."""
    ids, in_register = set(), False
    for line in data_path("service_catalogue_sources.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("| ID | Title |"):
            in_register = True
        elif not line.startswith("|"):
            in_register = False
        elif in_register and (m := re.match(r"\| ([A-Z][A-Z0-9]+) \|", line)):
            ids.add(m.group(1))
    return ids


def test_every_row_parses_with_low_central_high_in_order(rows):
    ranges = load_ranges()
    assert len(ranges) == len(rows) > 100
    assert all(isinstance(r, FigureRange) for r in ranges)
    assert len({r.figure for r in ranges}) == len(ranges)
    for r, raw in zip(ranges, rows):
        assert r.figure == raw["figure"] and r.unit
        assert r.low <= r.central <= r.high, r.figure
        assert (r.low, r.central, r.high) == (float(raw["low"]), float(raw["central"]), float(raw["high"]))
        assert r.raises_cost in ("low", "high", "either"), r.figure


def test_every_source_is_registered_an_address_or_an_assumption(rows, registered_ids):
    assert {"PSSRU24", "AFC2526", "RISK", "PC360", "QOF12"} <= registered_ids
    for r in rows:
        source = r["source"].strip()
        assert source, r["figure"]
        ids = re.findall(r"\[([A-Za-z0-9-]+)\]", source)
        unknown = [i for i in ids if i not in registered_ids]
        assert not unknown, f"{r['figure']}: {unknown} not in the source register"
        assert ids or "http" in source or source.lower().startswith("assumption"), r["figure"]


@pytest.mark.parametrize("section", sorted(DEFAULTS))
def test_every_default_figure_has_a_range_centred_on_the_default(section, by_figure):
    cls_name, names = DEFAULTS[section]
    cls = getattr(model, cls_name, None)
    if cls is None or (section == "engagement" and not HAS_ENGAGEMENT):
        pytest.skip(f"{cls_name} is not in inputs/model.py yet")
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    present = [n for n in names if n in defaults]       # fields still being added are skipped
    assert present
    for name in present:
        row = by_figure.get(f"{section}.{name}")
        assert row is not None, f"no range for {section}.{name}"
        assert float(row["central"]) == defaults[name], f"{section}.{name}: central is not the default"


def test_every_catalogue_service_has_ranges_centred_on_the_csv(by_figure, catalogue_csv):
    for service in catalogue_csv:
        for column in CATALOGUE_COLUMNS:
            row = by_figure.get(f"catalogue.{service['service']}.{column}")
            assert row is not None, f"no range for {service['service']}.{column}"
    for key, row in by_figure.items():
        if key.startswith("catalogue."):
            name, column = key[len("catalogue."):].rsplit(".", 1)
            csv_row = next(s for s in catalogue_csv if s["service"] == name)
            assert float(row["central"]) == float(csv_row[column]), key


# ---------------------------------------------------------------- bad files


def write(tmp_path, rows, columns=COLUMNS):
    path = tmp_path / "ranges.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


def test_a_small_valid_file_reads(tmp_path, rows):
    ranges = load_ranges(write(tmp_path, rows[:3]))
    assert [r.figure for r in ranges] == [r["figure"] for r in rows[:3]]


@pytest.mark.parametrize("column, value, row, words", [
    ("low", "abc", 3, "not a number"),
    ("high", "", 4, "empty"),
    ("low", "1e9", 2, "above central"),
    ("high", "-1", 3, "above high"),
    ("figure", "risk.nonsense", 4, "no numeric field"),
    ("figure", "foo.bar", 2, "unknown figure"),
    ("figure", "catalogue.legal.buy_prize", 3, "not a numeric column"),
    ("raises_cost", "higher", 3, "not known"),
    ("source", "", 2, "empty"),
])
def test_bad_cells_name_the_file_row_and_column(tmp_path, rows, column, value, row, words):
    bad = [dict(r) for r in rows[:3]]
    bad[row - 2][column] = value
    path = write(tmp_path, bad)
    with pytest.raises(InputError) as e:
        load_ranges(path)
    text = str(e.value)
    assert e.value.row == row and e.value.column == column, text
    assert str(path) in text and f"row {row}" in text and f"column '{column}'" in text and words in text
    assert e.value.fix


def test_a_missing_column_is_named(tmp_path, rows):
    path = write(tmp_path, rows[:3], [c for c in COLUMNS if c != "high"])
    with pytest.raises(InputError, match="no column 'high'") as e:
        load_ranges(path)
    assert e.value.column == "high" and e.value.row == 1 and str(path) in str(e.value)


def test_a_figure_twice_is_refused(tmp_path, rows):
    with pytest.raises(InputError, match="appears twice") as e:
        load_ranges(write(tmp_path, [rows[0], rows[1], rows[0]]))
    assert e.value.row == 4 and e.value.column == "figure"


# ---------------------------------------------------------------- with_figure


def flat(scenario, catalogue) -> dict:
    """Every value of the scenario and catalogue under one key each (overrides left out: see below)."""
    out = {}
    for f in dataclasses.fields(scenario):
        v = getattr(scenario, f.name)
        if dataclasses.is_dataclass(v):
            out.update({f"{f.name}.{g.name}": getattr(v, g.name) for g in dataclasses.fields(v)})
        elif f.name != "service_overrides":
            out[f.name] = v
    for s in catalogue.services:
        out.update({f"catalogue.{s.service}.{g.name}": getattr(s, g.name) for g in dataclasses.fields(s)})
    out["catalogue.source"] = catalogue.source
    return out


@pytest.fixture(scope="module")
def base():
    return Scenario(), read_catalogue()


def test_with_figure_changes_exactly_that_figure(rows, base):
    scenario, catalogue = base
    before = flat(scenario, catalogue)
    for r in rows:
        if r["figure"].startswith("engagement.") and not HAS_ENGAGEMENT:
            continue
        value = float(r["low"]) if float(r["low"]) != float(r["central"]) else float(r["high"])
        if value == float(r["central"]):
            continue                      # a range of one point: nothing to change
        sc, cat = with_figure(scenario, catalogue, r["figure"], value)
        after = flat(sc, cat)
        changed = {k for k in before if before[k] != after[k]}
        assert changed == {r["figure"]}, (r["figure"], changed)
        assert after[r["figure"]] == value
        assert figure_value(sc, cat, r["figure"]) == value
        if r["figure"].startswith("catalogue."):
            # recorded in the scenario too, so re-reading the catalogue from it gives the same services
            name, column = r["figure"][len("catalogue."):].rsplit(".", 1)
            assert sc.service_overrides == ((name, ((column, value),)),)
            assert apply_overrides(read_catalogue(), sc.service_overrides).services == cat.services
        else:
            assert sc.service_overrides == () and cat is catalogue
    assert flat(scenario, catalogue) == before          # the inputs are untouched


def test_with_figure_keeps_existing_overrides(base):
    scenario, catalogue = base
    scenario = dataclasses.replace(scenario, service_overrides=(("legal", (("demand_per_1000_per_year", 3.0),)),))
    sc, _ = with_figure(scenario, catalogue, "catalogue.legal.buy_price_gbp_per_activity", 200.0)
    assert sc.service_overrides == (("legal", (("buy_price_gbp_per_activity", 200.0),
                                               ("demand_per_1000_per_year", 3.0))),)


@needs_engagement
def test_with_figure_sets_an_engagement_figure(base):
    sc, cat = with_figure(*base, "engagement.member_success_probability", 0.75)
    assert sc.engagement.member_success_probability == 0.75
    assert sc.engagement == dataclasses.replace(base[0].engagement, member_success_probability=0.75)


@pytest.mark.parametrize("figure, value, words", [
    ("nonsense", 1.0, "unknown figure"),
    ("risk.cv_individul", 1.0, "risk.cv_individual"),
    ("risk.enabled", 1.0, "no numeric field"),
    ("catalogue.legl.buy_price_gbp_per_activity", 1.0, "'legal'"),
    ("catalogue.legal.buy_prize", 1.0, "buy_price_gbp_per_activity"),
    ("risk.confidence", 1.5, "below 1"),
    ("catalogue.legal.team_capacity_activities_per_year", 0.0, "above zero"),
    ("costs.travel_gbp_per_km", float("nan"), "finite number"),
])
def test_with_figure_refuses_unknown_figures_and_bad_values(base, figure, value, words):
    with pytest.raises(InputError) as e:
        with_figure(*base, figure, value)
    assert words in str(e.value) and e.value.fix


def test_an_unknown_figure_lists_the_valid_prefixes(base):
    with pytest.raises(InputError) as e:
        with_figure(*base, "cost.federation_fixed_gbp", 1.0)
    for prefix in ("risk.", "engagement.", "costs.", "catalogue."):
        assert prefix in str(e.value)
