"""Readers and validators: user files in, immutable typed problem data out (no solver, no maps).

| module | job |
|---|---|
| ``model``     | the immutable problem data: ``Practices``, ``Catalogue``, ``Scenario`` and its sections |
| ``errors``    | ``InputError`` (file, row, column, fix: exit 2) and ``nearest`` for "did you mean" |
| ``table``     | reading a user's CSV safely, rows numbered as in a spreadsheet (shared by the readers) |
| ``practices`` | practices in the fedplan CSV format; the shipped table of England |
| ``nhs``       | the NHS "Patients Registered at a GP Practice" files as published, with a postcode table |
| ``area``      | which practices take part: ICB, sub-ICB, region, a list or England; the list of areas |
| ``catalogue`` | the service catalogue for make-or-buy, and a scenario's overrides of it |
| ``ranges``    | low / central / high and source of every default figure; a scenario with one figure changed |
| ``travel``    | travel-time matrices (``origin,destination,minutes``) |
| ``scenario``  | scenario TOML: strict keys, typed values, files relative to the scenario |
| ``cpmp``      | the standard capacitated p-median instance formats (``fedplan bench``) |
| ``data``      | the shipped data files (``data_path``); built by scripts/build_package_data.py |

The names below are imported on first use (PEP 562): ``fedplan bench`` and other light commands do
not pay for pandas and the area tables they never touch.
"""
from __future__ import annotations

import importlib

_WHERE = {
    "list_areas": "area", "select_area": "area",
    "apply_overrides": "catalogue", "read_catalogue": "catalogue", "staffed": "catalogue",
    "InputError": "errors",
    "FigureRange": "ranges", "load_ranges": "ranges", "with_figure": "ranges",
    "Catalogue": "model", "Practices": "model", "Scenario": "model", "Service": "model",
    "detect_format": "nhs", "read_nhs_practices": "nhs", "read_postcodes": "nhs",
    "load_national_practices": "practices", "read_practices": "practices",
    "load_scenario": "scenario", "parse_scenario": "scenario", "scenario_from_dict": "scenario",
    "scenario_to_dict": "scenario",
    "TravelTimes": "travel", "read_travel_times": "travel",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
