"""The inputs package as a whole: the shipped national table, the public API, and its import
boundary. Per-reader tests live in tests/test_inputs_*.py."""
from __future__ import annotations

import subprocess
import sys

import numpy as np

from fedplan import inputs
from fedplan.inputs.model import AreaSpec


def test_national_table_is_complete_and_cached():
    national = inputs.load_national_practices()
    assert national is inputs.load_national_practices()
    assert len(national) == 6129 and national.population == 63_181_848
    assert np.isfinite(national.easting).all() and np.isfinite(national.lat).all()
    assert (national.list_size > 0).all() and len(set(national.code)) == 6129
    devon = inputs.select_area(national, AreaSpec())
    assert len(devon) == 116 and set(devon.icb_code) == {"QJK"}
    areas = inputs.list_areas(national)
    assert (areas["level"] == "icb").sum() == 36 and (areas["level"] == "sub_icb").sum() == 106
    assert areas[areas["level"] == "icb"]["population"].sum() == 63_181_848


def test_public_api_is_exported():
    for name in ("read_practices", "load_national_practices", "read_nhs_practices", "read_postcodes",
                 "detect_format", "read_catalogue", "apply_overrides", "read_travel_times", "TravelTimes",
                 "load_scenario", "parse_scenario", "scenario_to_dict", "select_area", "list_areas", "InputError"):
        assert name in inputs.__all__ and hasattr(inputs, name)


def test_inputs_imports_nothing_above_it():
    """inputs sits at the bottom: no geo, solver, report or GIS libraries get loaded with it."""
    code = ("import sys, fedplan.inputs, fedplan.inputs.model, fedplan.inputs.scenario; "
            "bad = {'fedplan.geo', 'fedplan.optimise', 'fedplan.reports', 'fedplan.api', 'fedplan.cli', 'pulp', "
            "'ortools', 'geopandas', 'shapely', 'pyproj'}; "
            "print(sorted(bad & {'.'.join(m.split('.')[:2 if m.startswith('fedplan.') else 1]) for m in sys.modules}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
