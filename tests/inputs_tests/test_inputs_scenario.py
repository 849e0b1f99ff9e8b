"""inputs.load_scenario / parse_scenario / scenario_to_dict: the TOML contract of DESIGN.md §4."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedplan import inputs
from fedplan.inputs import InputError
from fedplan.inputs.model import Scenario
from fedplan.inputs.scenario import SECTIONS, SERVICE_FIELDS
from input_helpers import refused, write




FULL = """
[area]
sub_icb = "15n"
exclude = ["l83001", "L83001"]
[inputs]
practices = "data/p.csv"
postcodes = "data/pc.csv"
[bounds]
min_population = 20000
max_population = 90000
soft = true
penalty_gbp_per_patient = 50
[constraints]
contiguity = false
nest_within = "LAD"
n_federations = 5
max_distance_km = 30
[costs]
federation_fixed_gbp = 100000
hub_visits_per_patient = 1
travel_gbp_per_km = 0.5
[solve]
solver = "SCIP"
time_limit_s = 12.5
gap = 0.01
seed = 3
threads = 2
[services.legal]
buy_price_gbp_per_activity = 100
allowed_modes = ["buy"]
"""


def test_full_scenario_round_trip(tmp_path):
    (tmp_path / "data").mkdir()
    write(tmp_path, "data/p.csv", "x")
    write(tmp_path, "data/pc.csv", "x")
    s = inputs.load_scenario(write(tmp_path, "s.toml", FULL))
    assert s.area.sub_icb == "15N" and s.area.exclude == ("L83001",) and s.area.describe() == "sub-ICB 15N"
    assert s.inputs.practices == (tmp_path / "data/p.csv").resolve() and s.inputs.catalogue is None
    assert (s.bounds.min_population, s.bounds.max_population, s.bounds.soft) == (20000, 90000, True)
    assert isinstance(s.bounds.min_population, int) and s.bounds.penalty_gbp_per_patient == 50.0
    assert (s.constraints.nest_within, s.constraints.n_federations, s.constraints.max_distance_km) == ("lad", 5, 30.0)
    assert s.costs.hub_visits_per_patient == 1.0 and isinstance(s.costs.hub_visits_per_patient, float)
    assert (s.solve.solver, s.solve.time_limit_s, s.solve.gap, s.solve.seed, s.solve.threads) == ("scip", 12.5, 0.01, 3, 2)
    assert s.service_overrides == (("legal", (("allowed_modes", ("buy",)), ("buy_price_gbp_per_activity", 100.0))),)
    assert s.source == str(tmp_path / "s.toml")
    hash(s)   # frozen all the way down
    d = inputs.scenario_to_dict(s)
    assert json.loads(json.dumps(d)) == d
    assert d["inputs"]["practices"].endswith("p.csv") and d["area"]["exclude"] == ["L83001"]
    assert d["services"] == {"legal": {"allowed_modes": ["buy"], "buy_price_gbp_per_activity": 100.0}}
    # overrides apply to the catalogue as stored
    cat = inputs.apply_overrides(inputs.read_catalogue(), s.service_overrides, s.source)
    assert cat.get("legal").allowed_modes == ("buy",)


def test_empty_scenario_is_the_default(tmp_path):
    s = inputs.load_scenario(write(tmp_path, "s.toml", "# nothing\n"))
    assert s.replace(source=None) == Scenario()
    assert inputs.parse_scenario({}, "x", tmp_path) == Scenario(source="x")
    d = inputs.scenario_to_dict(Scenario())
    assert d["solve"]["solver"] == "cbc" and d["inputs"]["practices"] is None and d["services"] == {}


@pytest.mark.parametrize("text, says", [
    # syntax and layout
    ("[bounds\nmin_population = 1\n", ["s.toml", "TOML syntax error", "line 1"]),
    ("[bounds]\nmin_population = = 3\n", ["line 2, column"]),
    ("[bounds]\nmin_pop = 1\n", ["unknown key 'min_pop' in [bounds]", "did you mean 'min_population'",
                                 "bounds.min_pop"]),
    ("[bound]\nmin_population = 1\n", ["unknown section", "did you mean [bounds]"]),
    ("solver = \"cbc\"\n", ["unknown section or key 'solver'", "under a [solve] header"]),
    ("area = 5\n", ["must be a [section] table"]),
    ("[services]\nlegal = 3\n", ["[services.legal] table"]),
    # types
    ("[bounds]\nmin_population = \"25000\"\n", ["bounds.min_population", "must be a number", "no quotes"]),
    ("[bounds]\nmin_population = true\n", ["bounds.min_population", "must be a number"]),
    ("[bounds]\nmin_population = 2.5\n", ["whole number"]),
    ("[bounds]\nsoft = 1\n", ["bounds.soft", "true or false"]),
    ("[constraints]\ncontiguity = \"yes\"\n", ["true or false"]),
    ("[constraints]\nn_federations = true\n", ["constraints.n_federations", "must be a number"]),
    ("[solve]\nseed = 1979-05-27\n", ["solve.seed", "must be a number"]),
    ("[solve]\ntime_limit_s = inf\n", ["finite"]),
    # values
    ("[bounds]\nmin_population = 90000\nmax_population = 50000\n", ["greater than max_population", "swap"]),
    ("[bounds]\nmax_population = 0\n", ["bounds.max_population", "positive"]),
    ("[bounds]\nmin_population = -5\n", ["bounds.min_population", "positive"]),
    ("[bounds]\nmax_population = 99999999999999\n", ["too large"]),
    ("[bounds]\npenalty_gbp_per_patient = -1\n", ["at least 0"]),
    ("[costs]\nfederation_fixed_gbp = -1\n", ["costs.federation_fixed_gbp", "at least 0"]),
    ("[solve]\nsolver = \"gurobi\"\n", ["solve.solver", "gurobi", "cbc, cpsat, highs, scip"]),
    ("[solve]\nsolver = \"cpsta\"\n", ["did you mean 'cpsat'"]),
    ("[solve]\nmethod = \"branch-price\"\n", ["solve.method", "did you mean 'branch_price'"]),
    ("[constraints]\nhub_candidates = \"L83001\"\n", ["constraints.hub_candidates", "list of practice codes"]),
    ("[constraints]\ntogether = [\"L83001\", \"L83002\"]\n", ["constraints.together", "pairs of practice codes"]),
    ("[constraints]\napart = [[\"L83001\", \"L83002\", \"L83003\"]]\n", ["constraints.apart", "pairs"]),
    ("[constraints]\napart = [[\"L83001\", \"l83001\"]]\n", ["names L83001 twice"]),
    ("[constraints]\nlocks = [\"L83001\"]\n", ["constraints.locks", "practice code = hub practice code"]),
    ("[costs]\ndisruption_gbp_per_patient = -2\n", ["costs.disruption_gbp_per_patient", "at least 0"]),
    ("[solve]\nmethod = \"lagrange\"\n", ["solve.method", "branch_price, compact"]),
    ("[solve]\ntime_limit_s = -1\n", ["solve.time_limit_s", "positive"]),
    ("[solve]\ntime_limit_s = 0\n", ["positive"]),
    ("[solve]\ngap = 1\n", ["solve.gap", "fraction below 1"]),
    ("[solve]\ngap = -0.1\n", ["at least 0"]),
    ("[solve]\nthreads = 0\n", ["solve.threads", "at least 1"]),
    ("[solve]\nseed = -1\n", ["at least 0"]),
    ("[constraints]\nnest_within = \"icbs\"\n", ["constraints.nest_within", "did you mean 'icb'"]),
    ("[constraints]\nnest_within = \"county\"\n", ["none, sub_icb, icb, lad"]),
    ("[constraints]\nmax_distance_km = 0\n", ["positive"]),
    ("[constraints]\nn_federations = 0\n", ["positive"]),
    # area
    ("[area]\nicb = \"QJK\"\nsub_icb = \"15N\"\n", ["more than one", "icb, sub_icb"]),
    ("[area]\nregion = \"Y58\"\nengland = true\n", ["more than one"]),
    ("[area]\npractices = []\n", ["empty list"]),
    ("[area]\npractices = [1, 2]\n", ["area.practices", "list of practice codes"]),
    ("[area]\nexclude = \"L83001\"\n", ["area.exclude", "list of practice codes"]),
    ("[area]\nicb = \"\"\n", ["area.icb", "non-empty"]),
    ("[area]\nicb = 5\n", ["area.icb"]),
    # inputs
    ("[inputs]\npractices = \"nowhere.csv\"\n", ["inputs.practices", "nowhere.csv", "no such file",
                                                   "scenario file's folder"]),
    ("[inputs]\ncatalogue = \".\"\n", ["inputs.catalogue", "folder"]),
    ("[inputs]\npractices = 5\n", ["inputs.practices"]),
    ("[inputs]\npractice = \"p.csv\"\n", ["did you mean 'practices'"]),
    ("[inputs]\npostcodes = \"s.toml\"\n", ["inputs.postcodes", "only used with an NHS practices file"]),
    # per-service overrides (values checked here, names once the catalogue is known)
    ("[services.legal]\nbuy_prize = 3\n", ["services.legal.buy_prize", "did you mean 'buy_price_gbp_per_activity'"]),
    ("[services.legal]\nbuy_price_gbp_per_activity = \"3\"\n", ["must be a number"]),
    ("[services.legal]\nallowed_modes = [\"bye\"]\n", ["did you mean 'buy'"]),
    ("[services.legal]\nteam_capacity_activities_per_year = 0\n", ["above zero"]),
])
def test_bad_scenarios(tmp_path, text, says):
    err = refused(inputs.load_scenario, write(tmp_path, "s.toml", text), says=says)
    assert err.file == str(tmp_path / "s.toml") and err.row is None


def test_error_column_is_the_dotted_key(tmp_path):
    err = refused(inputs.load_scenario, write(tmp_path, "s.toml", "[solve]\nthreads = 0\n"))
    assert err.column == "solve.threads"


def test_scenario_file_problems(tmp_path):
    refused(inputs.load_scenario, tmp_path / "none.toml", says=["none.toml", "not found"])
    refused(inputs.load_scenario, tmp_path, says=["folder"])
    refused(inputs.load_scenario, write(tmp_path, "b.toml", bytes(range(256))), says=["binary"])
    refused(inputs.load_scenario, write(tmp_path, "z.toml", b"PK\x03\x04rest"), says=["binary"])
    refused(inputs.load_scenario, write(tmp_path, "l.toml", "[bounds]\n# caf\xe9\n".encode("latin-1")),
            says=["not UTF-8", "line 2"])
    s = inputs.load_scenario(write(tmp_path, "bom.toml", b"\xef\xbb\xbf[solve]\nseed = 4\n"))
    assert s.solve.seed == 4


# ------------------------------------------------------------------ robustness (property test)

KEYS = sorted({f for cls in SECTIONS.values() for f in cls.__dataclass_fields__} | {"min_pop", "solvr"})
VALUES = st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                   st.sampled_from(["", "cbc", "icb", "QJK", "none", "nowhere.csv", "L83001"]),
                   st.lists(st.sampled_from(["L83001", "", "buy", "inhouse"]), max_size=3),
                   st.lists(st.integers(), max_size=2))
TABLES = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=4)
SCENARIOS = st.dictionaries(st.sampled_from([*SECTIONS, "bound"]), TABLES, max_size=4)
SERVICES = st.dictionaries(st.sampled_from(["legal", "hr_payroll"]),
                           st.dictionaries(st.sampled_from([*SERVICE_FIELDS, "notes"]), VALUES, max_size=3),
                           max_size=2)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(SCENARIOS, SERVICES)
def test_random_scenario_data_gives_a_scenario_or_input_error(tmp_path, data, services):
    if services:
        data = {**data, "services": services}
    try:
        s = inputs.parse_scenario(data, "fuzz.toml", tmp_path)
    except InputError as err:
        assert err.file == "fuzz.toml" and err.fix
    else:
        assert 0 < s.bounds.min_population <= s.bounds.max_population
        assert s.solve.solver in ("cbc", "cpsat", "highs", "scip") and 0 <= s.solve.gap < 1
        json.dumps(inputs.scenario_to_dict(s))
        hash(s)


def test_hub_candidates_are_read_as_upper_case_codes(tmp_path):
    p = write(tmp_path, "s.toml", '[constraints]\nhub_candidates = ["l83001", " L83002 "]\n')
    assert inputs.load_scenario(p).constraints.hub_candidates == ("L83001", "L83002")


def test_together_and_apart_pairs_are_read(tmp_path):
    p = write(tmp_path, "s.toml", '[constraints]\ntogether = [["l83002", "L83001"]]\napart = [["A1", "B2"], ["B2", "A1"]]\n')
    c = inputs.load_scenario(p).constraints
    assert c.together == (("L83001", "L83002"),) and c.apart == (("A1", "B2"),)


def test_locks_are_read(tmp_path):
    p = write(tmp_path, "s.toml", '[constraints]\nlocks = { l83005 = "l83001" }\n')
    assert inputs.load_scenario(p).constraints.locks == (("L83005", "L83001"),)


@pytest.mark.parametrize("text", [
    "",
    '[area]\nicb = "QJK"\nexclude = ["L83001"]\n[constraints]\nlocks = { L83002 = "L83003" }\n'
    'together = [["L83004", "L83005"]]\napart = [["L83006", "L83007"]]\nnest_within = "sub_icb"\n'
    "max_distance_km = 30\nn_federations = 12\n[makebuy]\nmax_inhouse = 3\nshared_hub_gbp = 5000\n"
    "[risk]\nenabled = false\n[bounds]\nsoft = true\n[solve]\nsolver = \"cpsat\"\nseed = 7\n"
    "[services.legal]\nbuy_price_gbp_per_activity = 2.0\n",
])
def test_scenario_survives_the_manifest_round_trip(tmp_path, text):
    sc = inputs.load_scenario(write(tmp_path, "s.toml", text))
    again = inputs.scenario_from_dict(json.loads(json.dumps(inputs.scenario_to_dict(sc))))
    assert again == sc


def test_a_hand_edited_manifest_scenario_is_refused_in_words():
    scenario_from_dict = inputs.scenario_from_dict
    refused(scenario_from_dict, {"constraints": {"locks": [["A"]]}}, says=("constraints.locks",))
    refused(scenario_from_dict, {"bounds": [1]}, says=("[bounds] is not a table",))
    refused(scenario_from_dict, {"solve": {"solver": "gurobi"}}, says=("solver",))


def test_scheduler_address_is_checked(tmp_path):
    ok = inputs.load_scenario(write(tmp_path, "s.toml", '[solve]\nscheduler = "tcp://10.0.0.5:8786"\n'))
    assert ok.solve.scheduler == "tcp://10.0.0.5:8786"
    refused(inputs.load_scenario, write(tmp_path, "b.toml", '[solve]\nscheduler = "http://dask:8787/status"\n'),
            says=("solve.scheduler", "not a Dask scheduler address"))
