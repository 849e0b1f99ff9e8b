"""The service catalogue for make-or-buy (format of the shipped service_catalogue_defaults.csv)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ._table import bad_rows, more, parse_numbers, read_csv_strings, require_columns
from .data import data_path
from .errors import InputError, nearest
from .model import MODES, Catalogue, Service

NUMERIC = ("demand_per_1000_per_year", "inhouse_fixed_cost_gbp_per_team_per_year", "team_capacity_activities_per_year",
           "inhouse_variable_cost_gbp_per_activity", "buy_price_gbp_per_activity", "contract_management_gbp_per_year")
REQUIRED = ("service", "category", *NUMERIC, "min_population_inhouse", "allowed_modes")


def read_catalogue(path: Path | str | None = None) -> Catalogue:
    """Read and validate a catalogue; ``None`` reads the shipped, sourced default."""
    path = data_path("service_catalogue_defaults.csv") if path is None else Path(path)
    df = read_csv_strings(path, "service catalogue")
    require_columns(df, path, list(REQUIRED), "service catalogue")
    names = df["service"]
    empty = (names == "").to_numpy()
    if empty.any():
        row, n = bad_rows(empty)
        raise InputError(f"service name is empty{more(n)}.", file=str(path), row=row, column="service",
                         fix="name every service.")
    dup = names.duplicated().to_numpy()
    if dup.any():
        row, _ = bad_rows(dup)
        raise InputError(f"service {names.iloc[row - 2]!r} appears twice.", file=str(path), row=row, column="service",
                         fix="keep one row per service.")
    values = {c: parse_numbers(df, c, path, c.replace("_", " ")) for c in NUMERIC}
    for c in NUMERIC:
        neg = values[c] < 0
        if neg.any():
            row, n = bad_rows(neg)
            raise InputError(f"{c} is negative ({df[c].iloc[row - 2]}){more(n)}.", file=str(path), row=row, column=c,
                             fix="costs, prices and demand cannot be negative.")
    zero = values["team_capacity_activities_per_year"] <= 0
    if zero.any():
        row, _ = bad_rows(zero)
        raise InputError("team capacity must be above zero.", file=str(path), row=row,
                         column="team_capacity_activities_per_year", fix="give the activities one team handles per year.")
    min_pop = parse_numbers(df, "min_population_inhouse", path, "min population in-house", allow_empty=True)
    if np.any(min_pop[~np.isnan(min_pop)] < 0):
        row, _ = bad_rows(~np.isnan(min_pop) & (min_pop < 0))
        raise InputError("min_population_inhouse cannot be negative.", file=str(path), row=row,
                         column="min_population_inhouse", fix="leave it empty for no threshold.")
    services = []
    for k in range(len(df)):
        modes = tuple(m.strip().lower() for m in df["allowed_modes"].iloc[k].split(";") if m.strip())
        if not modes:
            raise InputError("allowed_modes is empty.", file=str(path), row=k + 2, column="allowed_modes",
                             fix="write inhouse;buy, inhouse or buy.")
        for m in modes:
            if m not in MODES:
                hint = nearest(m, MODES)
                raise InputError(f"unknown mode {m!r}.", file=str(path), row=k + 2, column="allowed_modes",
                                 fix=(f"did you mean {hint!r}? " if hint else "") + "modes are inhouse and buy, separated by ';'.")
        services.append(Service(
            service=names.iloc[k], category=df["category"].iloc[k].lower() or "corporate",
            **{c: float(values[c][k]) for c in NUMERIC},
            activity_unit=df["activity_unit"].iloc[k] if "activity_unit" in df.columns else "",
            min_population_inhouse=None if np.isnan(min_pop[k]) else float(min_pop[k]),
            allowed_modes=modes,
            source_ids=tuple(x for x in df["source_ids"].iloc[k].split(";") if x) if "source_ids" in df.columns else (),
            notes=df["notes"].iloc[k] if "notes" in df.columns else ""))
    return Catalogue(source=str(path), services=tuple(services))


def apply_overrides(catalogue: Catalogue, overrides, source: str = "scenario") -> Catalogue:
    """Per-service overrides from a scenario's [services.<name>] tables."""
    by_name = {s.service: s for s in catalogue.services}
    valid = [f.name for f in dataclasses.fields(Service) if f.name not in ("service", "category", "activity_unit", "source_ids", "notes")]
    for name, items in overrides:
        if name not in by_name:
            hint = nearest(name, by_name)
            raise InputError(f"[services.{name}] names a service the catalogue does not have.", file=source,
                             column=f"services.{name}", fix=(f"did you mean {hint!r}? " if hint else "") +
                             f"services: {', '.join(by_name)}.")
        changes = {}
        for key, value in items:
            if key not in valid:
                hint = nearest(key, valid)
                raise InputError(f"unknown service field {key!r}.", file=source, column=f"services.{name}.{key}",
                                 fix=f"did you mean {hint!r}?" if hint else f"fields: {', '.join(valid)}.")
            if key == "allowed_modes":
                bad = [m for m in value if m not in MODES]
                if bad or not value:
                    raise InputError(f"allowed_modes {list(value)} must be some of {list(MODES)}.", file=source,
                                     column=f"services.{name}.allowed_modes", fix='e.g. allowed_modes = ["buy"].')
            if key == "team_capacity_activities_per_year" and value <= 0:
                raise InputError("team capacity must be above zero.", file=source, column=f"services.{name}.{key}",
                                 fix="give a positive capacity.")
            changes[key] = value
        by_name[name] = dataclasses.replace(by_name[name], **changes)
    return Catalogue(source=catalogue.source + (" + overrides" if overrides else ""),
                     services=tuple(by_name[s.service] for s in catalogue.services))
