"""Readers and validators: user files in, immutable typed problem data out (no solver, no maps)."""
from .area import list_areas, select_area
from .catalogue import apply_overrides, read_catalogue
from .errors import InputError
from .model import Catalogue, Practices, Scenario, Service
from .nhs import detect_format, read_nhs_practices, read_postcodes
from .practices import load_national_practices, read_practices
from .scenario import load_scenario, parse_scenario, scenario_from_dict, scenario_to_dict
from .travel import TravelTimes, read_travel_times

__all__ = ["Catalogue", "InputError", "Practices", "Scenario", "Service", "TravelTimes",
           "apply_overrides", "detect_format", "list_areas", "load_national_practices", "load_scenario",
           "parse_scenario", "read_catalogue", "read_nhs_practices", "read_postcodes", "read_practices",
           "read_travel_times", "scenario_from_dict", "scenario_to_dict", "select_area"]
