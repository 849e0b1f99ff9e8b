"""Readers and validators: user files in, immutable typed problem data out (no solver, no maps).

The names below are imported on first use (PEP 562): ``fedplan bench`` and other light commands do
not pay for pandas and the area tables they never touch.
"""
from __future__ import annotations

import importlib

_WHERE = {
    "list_areas": "area", "select_area": "area",
    "apply_overrides": "catalogue", "read_catalogue": "catalogue",
    "InputError": "errors",
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
