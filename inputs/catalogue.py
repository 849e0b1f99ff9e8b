"""The service catalogue for make-or-buy (format of the shipped service_catalogue_defaults.csv)."""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .table import first_bad, more, parse_numbers, read_csv_strings, require_columns
from .data import data_path
from .errors import InputError, nearest
from .model import MODES, Catalogue, Service

NUMERIC = ("demand_per_1000_per_year", "inhouse_fixed_cost_gbp_per_team_per_year", "team_capacity_activities_per_year",
           "inhouse_variable_cost_gbp_per_activity", "buy_price_gbp_per_activity", "contract_management_gbp_per_year")
REQUIRED = ("service", "category", *NUMERIC, "min_population_inhouse", "allowed_modes")
# the make-or-buy model treats clinical services differently (they may be barred from in-house)
CATEGORIES = ("clinical", "corporate")
# Plausibility ceilings: far above any real figure, low enough that costs summed over services
# and federations stay ordinary floats (1e300 passed through once and printed a 300-digit plan)
CEILINGS = {"demand_per_1000_per_year": 1e6, "inhouse_fixed_cost_gbp_per_team_per_year": 1e9,
            "team_capacity_activities_per_year": 1e9, "inhouse_variable_cost_gbp_per_activity": 1e7,
            "buy_price_gbp_per_activity": 1e7, "contract_management_gbp_per_year": 1e9,
            "min_population_inhouse": 1e8}
# fields a scenario's [services.<name>] table may change; the rest describe the service, not its cost
OVERRIDABLE = (*NUMERIC, "min_population_inhouse", "allowed_modes")


def _modes(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m.strip().lower() for m in text.split(";") if m.strip()))


def read_catalogue(path: Path | str | None = None) -> Catalogue:
    """Read and validate a service catalogue; ``None`` reads the shipped, sourced default.

    Needs the columns of service_catalogue_defaults.csv (activity_unit, source_ids and notes are
    optional). Refuses empty or duplicate service names, categories other than clinical /
    corporate, negative costs or demand, a team capacity that is not above zero, and
    allowed_modes that are empty or not ``inhouse`` / ``buy`` (separated by ';'). An empty
    min_population_inhouse means no threshold (None).
    """
    path = data_path("service_catalogue_defaults.csv") if path is None else Path(path)
    df = read_csv_strings(path, "service catalogue")
    require_columns(df, path, REQUIRED, "service catalogue")
    names = df["service"]
    empty = (names == "").to_numpy()
    if empty.any():
        i, row, n = first_bad(df, empty)
        raise InputError(f"service name is empty{more(n)}.", file=str(path), row=row, column="service",
                         fix="name every service (e.g. back_office_finance), or delete the row.")
    # names become scenario keys ([services.<name>]), CSV cells and report text: words, not markup
    odd = ~names.str.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_ .,&/()'+-]{0,79}").to_numpy(dtype=bool)
    if odd.any():
        i, row, n = first_bad(df, odd)
        raise InputError(f"service name {names.iloc[i][:40]!r} has characters a service name cannot have{more(n)}.",
                         file=str(path), row=row, column="service",
                         fix="use letters, digits, spaces and _ - . , & / ( ) ' + (e.g. back_office_finance).")
    dup = names.duplicated().to_numpy()
    if dup.any():
        i, row, n = first_bad(df, dup)
        first = int(df.index[np.flatnonzero((names == names.iloc[i]).to_numpy())[0]])
        raise InputError(f"service {names.iloc[i]!r} appears twice (rows {first} and {row}){more(n)}.",
                         file=str(path), row=row, column="service", fix="keep one row per service.")
    category = df["category"].str.lower()
    wrong = ~category.isin(CATEGORIES).to_numpy()
    if wrong.any():
        i, row, n = first_bad(df, wrong)
        hint = nearest(category.iloc[i], CATEGORIES)
        raise InputError(f"category {df['category'].iloc[i]!r} is not known{more(n)}.", file=str(path), row=row,
                         column="category", fix=(f"did you mean {hint!r}? " if hint else "") +
                         "write clinical or corporate.")
    values = {c: parse_numbers(df, c, path, c, thousands=True) for c in NUMERIC}
    for c in NUMERIC:
        neg = values[c] < 0
        if neg.any():
            i, row, n = first_bad(df, neg)
            raise InputError(f"{c} is negative ({df[c].iloc[i]}){more(n)}.", file=str(path), row=row, column=c,
                             fix="costs, prices, capacity and demand cannot be negative.")
        big = values[c] > CEILINGS[c]
        if big.any():
            i, row, n = first_bad(df, big)
            raise InputError(f"{c} = {df[c].iloc[i]} is implausibly large (over {CEILINGS[c]:,.0f}){more(n)}.",
                             file=str(path), row=row, column=c, fix="check the figure for extra digits or its unit.")
    zero = values["team_capacity_activities_per_year"] <= 0
    if zero.any():
        i, row, n = first_bad(df, zero)
        raise InputError(f"team capacity must be above zero{more(n)}.", file=str(path), row=row,
                         column="team_capacity_activities_per_year",
                         fix="give the activities one in-house team handles per year.")
    min_pop = parse_numbers(df, "min_population_inhouse", path, "min_population_inhouse", allow_empty=True,
                            thousands=True)
    neg = ~np.isnan(min_pop) & (min_pop < 0)
    if neg.any():
        i, row, n = first_bad(df, neg)
        raise InputError(f"min_population_inhouse cannot be negative{more(n)}.", file=str(path), row=row,
                         column="min_population_inhouse", fix="give patients, or leave it empty for no threshold.")
    big = ~np.isnan(min_pop) & (min_pop > CEILINGS["min_population_inhouse"])
    if big.any():
        i, row, n = first_bad(df, big)
        raise InputError(f"min_population_inhouse = {df['min_population_inhouse'].iloc[i]} is implausibly large"
                         f"{more(n)}.", file=str(path), row=row, column="min_population_inhouse",
                         fix="give patients (England has 63 million), or leave it empty for no threshold.")
    modes = [_modes(text) for text in df["allowed_modes"]]
    no_modes = np.array([not m for m in modes])
    if no_modes.any():
        i, row, n = first_bad(df, no_modes)
        raise InputError(f"allowed_modes is empty{more(n)}.", file=str(path), row=row, column="allowed_modes",
                         fix="write inhouse;buy, inhouse or buy.")
    unknown = np.array([any(x not in MODES for x in m) for m in modes])
    if unknown.any():
        i, row, n = first_bad(df, unknown)
        bad = next(x for x in modes[i] if x not in MODES)
        hint = nearest(bad, MODES)
        raise InputError(f"unknown mode {bad!r}{more(n)}.", file=str(path), row=row, column="allowed_modes",
                         fix=(f"did you mean {hint!r}? " if hint else "") +
                         "modes are inhouse and buy, separated by ';' (e.g. inhouse;buy).")
    optional = {c: (df[c] if c in df.columns else None) for c in ("activity_unit", "source_ids", "notes")}
    services = []
    for k in range(len(df)):
        services.append(Service(
            service=names.iloc[k], category=category.iloc[k],
            **{c: float(values[c][k]) for c in NUMERIC},
            activity_unit=optional["activity_unit"].iloc[k] if optional["activity_unit"] is not None else "",
            min_population_inhouse=None if np.isnan(min_pop[k]) else float(min_pop[k]),
            allowed_modes=modes[k],
            source_ids=(tuple(x.strip() for x in optional["source_ids"].iloc[k].split(";") if x.strip())
                        if optional["source_ids"] is not None else ()),
            notes=optional["notes"].iloc[k] if optional["notes"] is not None else ""))
    return Catalogue(source=str(path), services=tuple(services))


def override_value(key: str, value: object, where: str, source: str) -> object:
    """One override value, checked like the catalogue's own cell would be."""
    if key == "allowed_modes":
        if isinstance(value, str):
            modes = _modes(value)
        elif isinstance(value, (list, tuple)) and all(isinstance(m, str) for m in value):
            modes = tuple(dict.fromkeys(m.strip().lower() for m in value if m.strip()))
        else:
            raise InputError(f"{where} must be a list of modes, not {value!r}.", file=source, column=where,
                             fix='e.g. allowed_modes = ["inhouse", "buy"].')
        if not modes:
            raise InputError(f"{where} is empty.", file=source, column=where,
                             fix='allow at least one mode, e.g. allowed_modes = ["buy"].')
        for m in modes:
            if m not in MODES:
                hint = nearest(m, MODES)
                raise InputError(f"unknown mode {m!r} in {where}.", file=source, column=where,
                                 fix=(f"did you mean {hint!r}? " if hint else "") + "modes are inhouse and buy.")
        return modes
    if key == "min_population_inhouse" and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{where} must be a number, not {value!r}.", file=source, column=where,
                         fix=f"write {key} = 1250 (a plain number, no quotes).")
    if value < 0:
        raise InputError(f"{where} cannot be negative ({value}).", file=source, column=where,
                         fix="costs, prices, capacity, demand and population thresholds are zero or more.")
    if key == "team_capacity_activities_per_year" and value <= 0:
        raise InputError(f"{where} must be above zero.", file=source, column=where,
                         fix="give the activities one in-house team handles per year.")
    if key in CEILINGS and value > CEILINGS[key]:
        raise InputError(f"{where} = {value:g} is implausibly large (over {CEILINGS[key]:,.0f}).", file=source,
                         column=where, fix="check the figure for extra digits or its unit.")
    return float(value)


def apply_overrides(catalogue: Catalogue,
                    overrides: Mapping[str, Mapping[str, object]] | tuple[tuple[str, tuple[tuple[str, object], ...]], ...],
                    source: str = "scenario") -> Catalogue:
    """The catalogue with per-service changes, e.g. from a scenario's ``[services.<name>]`` tables.

    ``overrides`` is ``{service: {field: value}}`` or the ``Scenario.service_overrides`` tuples.
    An unknown service or field, or a bad value, is an InputError (file = ``source``) with a
    'did you mean'. Only cost fields, min_population_inhouse and allowed_modes can be changed.
    """
    items = overrides.items() if isinstance(overrides, Mapping) else overrides
    by_name = {s.service: s for s in catalogue.services}
    changed = False
    for name, fields_ in items:
        if name not in by_name:
            hint = nearest(name, by_name)
            raise InputError(f"[services.{name}] names a service the catalogue does not have.", file=source,
                             column=f"services.{name}",
                             fix=(f"did you mean {hint!r}? " if hint else "") + f"services: {', '.join(by_name)}.")
        pairs = fields_.items() if isinstance(fields_, Mapping) else fields_
        changes = {}
        for key, value in pairs:
            where = f"services.{name}.{key}"
            if key not in OVERRIDABLE:
                hint = nearest(key, OVERRIDABLE)
                raise InputError(f"unknown service field {key!r} in [services.{name}].", file=source, column=where,
                                 fix=f"did you mean {hint!r}?" if hint else f"fields: {', '.join(OVERRIDABLE)}.")
            changes[key] = override_value(key, value, where, source)
        if changes:
            by_name[name] = dataclasses.replace(by_name[name], **changes)
            changed = True
    return Catalogue(source=catalogue.source + (" + overrides" if changed else ""),
                     services=tuple(by_name[s.service] for s in catalogue.services))


def staffed(catalogue: Catalogue, makebuy, source: str = "scenario") -> Catalogue:
    """The catalogue as the scenario staffs it (``[makebuy] staffing``). With "sessions", every
    service outside ``whole_team_services`` is staffed in steps of ``session_wte`` of a team: its
    team capacity and team cost are both scaled by ``session_wte`` (so ``ceil(demand / capacity)``
    counts sessions), and it may be made in-house only once its demand fills ``min_post_wte`` of a
    team (a smaller post cannot be filled: the service is bought). "teams" leaves it as read."""
    if makebuy.staffing == "teams":
        return catalogue
    known = set(catalogue.names())
    from .model import MakeBuySpec

    if tuple(makebuy.whole_team_services) != MakeBuySpec().whole_team_services:
        unknown = [n for n in makebuy.whole_team_services if n not in known]
        if unknown:
            hint = nearest(unknown[0], tuple(known))
            raise InputError(f"makebuy.whole_team_services names {unknown[0]!r}, which is not a service of the "
                             "catalogue" + (f" (did you mean {hint}?)" if hint else "") + ".", file=source,
                             column="makebuy.whole_team_services",
                             fix=f"list services of the catalogue: {', '.join(sorted(known))}.")
    whole = set(makebuy.whole_team_services)
    u, post = float(makebuy.session_wte), float(makebuy.min_post_wte)
    out = []
    for sv in catalogue.services:
        if sv.service in whole or "inhouse" not in sv.allowed_modes:
            out.append(sv)
            continue
        floor = sv.min_population_inhouse
        if sv.demand_per_1000_per_year > 0 and post > 0:
            fill = math.ceil(1000.0 * post * sv.team_capacity_activities_per_year / sv.demand_per_1000_per_year)
            floor = fill if floor is None else max(float(floor), float(fill))
        out.append(dataclasses.replace(
            sv, team_capacity_activities_per_year=sv.team_capacity_activities_per_year * u,
            inhouse_fixed_cost_gbp_per_team_per_year=sv.inhouse_fixed_cost_gbp_per_team_per_year * u,
            min_population_inhouse=floor))
    return dataclasses.replace(catalogue, services=tuple(out))
