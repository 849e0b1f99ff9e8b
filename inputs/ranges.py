"""Low / central / high for every default figure (the shipped figure_ranges.csv), and the scenario
and catalogue with one figure changed: what a sensitivity sweep or a low/high case is built from.

A figure is named by a key: ``risk.<field>``, ``engagement.<field>`` or ``costs.<field>`` (a
number in that section of the Scenario), or ``catalogue.<service>.<column>`` (a numeric column of
the service catalogue CSV). Derivations and sources: service_catalogue_sources.md, section
"Ranges of every figure".
"""
from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .catalogue import NUMERIC, override_value
from .data import data_path
from .errors import InputError, nearest
from .model import Catalogue, Scenario
from .scenario import parse_scenario
from .table import first_bad, listing, more, parse_numbers, read_csv_strings, require_columns

COLUMNS = ("figure", "unit", "low", "central", "high", "raises_cost", "source")
RAISES = ("low", "high", "either")
SECTIONS = ("risk", "engagement", "costs")
PREFIXES = tuple(f"{s}." for s in SECTIONS) + ("catalogue.",)
# catalogue CSV column -> the Service field it fills. The names agree today; this map is the one
# place a renamed field would be recorded, so figure keys keep the CSV's column names.
SERVICE_FIELDS = {c: c for c in NUMERIC}
_VALID = ("figures are risk.<field>, engagement.<field>, costs.<field> or catalogue.<service>.<column> "
          f"(columns: {', '.join(SERVICE_FIELDS)}).")


@dataclass(frozen=True)
class FigureRange:
    """One figure's plausible range. ``raises_cost`` says which end raises the plan's cost (low,
    high or either); ``source`` names source ids of service_catalogue_sources.md, an address, or
    starts with 'assumption'."""

    figure: str
    unit: str
    low: float
    central: float
    high: float
    raises_cost: str
    source: str


@functools.cache      # the dataclasses do not change while running; every row of a file asks
def section_fields(section: str) -> tuple[str, ...]:
    """The numeric fields of a Scenario section (``risk``, ``engagement``, ``costs``), read from the
    dataclass itself so a field added to inputs/model.py is a valid figure at once. A section the
    Scenario does not have gives ()."""
    spec = getattr(Scenario(), section, None)
    if spec is None or not dataclasses.is_dataclass(spec):
        return ()
    # booleans (``enabled``) and tuples (``stoploss_attachments``) are switches and lists, not figures
    return tuple(f.name for f in dataclasses.fields(spec)
                 if isinstance(getattr(spec, f.name), (int, float)) and not isinstance(getattr(spec, f.name), bool))


def _split(figure: str) -> tuple[str | None, str | None, str, str]:
    """(section, service or None, field, '') for a valid key, else (None, None, problem, fix)."""
    section, dot, rest = figure.partition(".")
    if section in SECTIONS and dot:
        valid = section_fields(section)
        if rest in valid:
            return section, None, rest, ""
        hint = nearest(rest, valid)
        return (None, None, f"{section} has no numeric field {rest!r}",
                (f"did you mean {section}.{hint}? " if hint else "") + f"{section} fields: {', '.join(valid)}.")
    if section == "catalogue" and dot:
        # service names may contain dots; column names never do, so split at the last one
        service, dot, column = rest.rpartition(".")
        if not service:
            return None, None, f"figure {figure!r} names no service", "write catalogue.<service>.<column>."
        if column not in SERVICE_FIELDS:
            hint = nearest(column, SERVICE_FIELDS)
            return (None, None, f"{column!r} is not a numeric column of the service catalogue",
                    (f"did you mean {hint!r}? " if hint else "") + f"columns: {', '.join(SERVICE_FIELDS)}.")
        return "catalogue", service, column, ""
    hint = nearest(section, [p.rstrip(".") for p in PREFIXES])
    return (None, None, f"unknown figure {figure!r}",
            (f"did you mean {hint}.<...>? " if hint else "") + _VALID)


def load_ranges(path: Path | str | None = None) -> tuple[FigureRange, ...]:
    """Read and validate a figure-ranges CSV; ``None`` reads the shipped file.

    Needs the columns figure, unit, low, central, high, raises_cost and source. Refuses an empty
    cell in figure / unit / source, a figure named twice or not known (see module docstring),
    numbers that are not plain numbers, low above central or central above high, and raises_cost
    other than low / high / either. Catalogue services are not checked against a catalogue here
    (a ranges file may go with a user's own catalogue); :func:`with_figure` checks them.
    """
    path = data_path("figure_ranges.csv") if path is None else Path(path)
    file = str(path)
    df = read_csv_strings(path, "figure ranges")
    require_columns(df, path, COLUMNS, "figure ranges")
    for c, what in (("figure", "a key such as risk.cv_individual"), ("unit", "the unit, e.g. GBP per patient per year"),
                    ("source", "source ids, an address, or 'assumption: ...' with the reasoning")):
        empty = (df[c] == "").to_numpy()
        if empty.any():
            i, row, n = first_bad(df, empty)
            raise InputError(f"{c} is empty{more(n)}.", file=file, row=row, column=c, fix=f"write {what}.")
    figures = df["figure"]
    dup = figures.duplicated().to_numpy()
    if dup.any():
        i, row, n = first_bad(df, dup)
        first = int(df.index[np.flatnonzero((figures == figures.iloc[i]).to_numpy())[0]])
        raise InputError(f"figure {figures.iloc[i]!r} appears twice (rows {first} and {row}){more(n)}.", file=file,
                         row=row, column="figure", fix="keep one row per figure.")
    problems = [_split(f) for f in figures]
    bad = np.array([p[0] is None for p in problems])
    if bad.any():
        i, row, n = first_bad(df, bad)
        raise InputError(f"{problems[i][2]}{more(n)}.", file=file, row=row, column="figure", fix=problems[i][3])
    low, central, high = (parse_numbers(df, c, path, c, thousands=True) for c in ("low", "central", "high"))
    for column, above, below, a, b in (("low", low, central, "low", "central"),
                                       ("high", central, high, "central", "high")):
        wrong = above > below
        if wrong.any():
            i, row, n = first_bad(df, wrong)
            raise InputError(f"{a} {df[a].iloc[i]} is above {b} {df[b].iloc[i]}{more(n)}.", file=file, row=row,
                             column=column, fix="order them low <= central <= high (low and high are the two ends "
                                                "of the range, whichever raises cost; raises_cost says which).")
    raises = df["raises_cost"].str.lower()
    wrong = ~raises.isin(RAISES).to_numpy()
    if wrong.any():
        i, row, n = first_bad(df, wrong)
        hint = nearest(raises.iloc[i], RAISES)
        raise InputError(f"raises_cost {df['raises_cost'].iloc[i]!r} is not known{more(n)}.", file=file, row=row,
                         column="raises_cost", fix=(f"did you mean {hint!r}? " if hint else "") +
                         "write low, high or either: the end of the range that raises the plan's cost.")
    return tuple(FigureRange(figure=figures.iloc[k], unit=df["unit"].iloc[k], low=float(low[k]),
                             central=float(central[k]), high=float(high[k]), raises_cost=raises.iloc[k],
                             source=df["source"].iloc[k]) for k in range(len(df)))


def _where(figure: str) -> tuple[str, str | None, str]:
    section, service, name, fix = _split(figure)
    if section is None:
        raise InputError(f"{name}.", column=figure, fix=fix)
    return section, service, name


def _service(catalogue: Catalogue, service: str, figure: str):
    try:
        return catalogue.get(service)
    except KeyError:
        hint = nearest(service, catalogue.names())
        raise InputError(f"figure {figure!r} names a service the catalogue does not have.", column=figure,
                         fix=(f"did you mean {hint!r}? " if hint else "") +
                         f"services: {listing(catalogue.names(), 25)}.") from None


def figure_value(scenario: Scenario, catalogue: Catalogue, figure: str) -> float:
    """The figure's current value in this scenario and catalogue."""
    section, service, name = _where(figure)
    if section == "catalogue":
        return float(getattr(_service(catalogue, service, figure), SERVICE_FIELDS[name]))
    return float(getattr(getattr(scenario, section), name))


def with_figure(scenario: Scenario, catalogue: Catalogue, figure: str, value: float) -> tuple[Scenario, Catalogue]:
    """Copies of ``scenario`` and ``catalogue`` with one figure set to ``value``; nothing else changes.

    The value is checked as the scenario file's reader would check it (e.g. confidence below 1, a
    team capacity above zero), so a sweep cannot build a model the reader would refuse. A
    catalogue figure changes the Service in the catalogue and is also recorded in the scenario's
    service overrides: code that re-reads the catalogue from the scenario (fedplan's problem
    loader, the independent verify) then sees the same value.
    """
    section, service, name = _where(figure)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"the value for {figure} must be a finite number, not {value!r}.", column=figure,
                         fix="give a plain number, e.g. the range's low or high.")
    if section != "catalogue":
        # the scenario reader owns each field's limits; parsing one key through it reuses them
        checked = getattr(getattr(parse_scenario({section: {name: float(value)}}, source=f"figure {figure}"),
                                  section), name)
        spec = dataclasses.replace(getattr(scenario, section), **{name: checked})
        return dataclasses.replace(scenario, **{section: spec}), catalogue
    old = _service(catalogue, service, figure)
    checked = override_value(name, float(value), figure, f"figure {figure}")
    new = dataclasses.replace(old, **{SERVICE_FIELDS[name]: checked})
    services = tuple(new if s.service == service else s for s in catalogue.services)
    overrides = {n: dict(items) for n, items in scenario.service_overrides}
    overrides.setdefault(service, {})[name] = checked
    # sorted as the scenario reader stores them, so equal scenarios compare equal
    recorded = tuple((n, tuple(sorted(overrides[n].items()))) for n in sorted(overrides))
    return (dataclasses.replace(scenario, service_overrides=recorded),
            dataclasses.replace(catalogue, services=services))
