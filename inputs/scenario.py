"""Scenario TOML: strict keys (unknown ones get a 'did you mean'), typed values, files resolved
relative to the scenario file."""
from __future__ import annotations

import math
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from .errors import InputError, nearest
from .model import (NEST_LEVELS, SOLVERS, AreaSpec, BoundsSpec, ConstraintsSpec, CostsSpec, InputsSpec,
                    Scenario, SolveSpec)

SECTIONS = {"area": AreaSpec, "inputs": InputsSpec, "bounds": BoundsSpec, "constraints": ConstraintsSpec,
            "costs": CostsSpec, "solve": SolveSpec}
SERVICE_FIELDS = ("demand_per_1000_per_year", "inhouse_fixed_cost_gbp_per_team_per_year",
                  "team_capacity_activities_per_year", "inhouse_variable_cost_gbp_per_activity",
                  "buy_price_gbp_per_activity", "contract_management_gbp_per_year", "min_population_inhouse",
                  "allowed_modes")


def load_scenario(path: Path | str) -> Scenario:
    path = Path(path)
    if not path.exists():
        raise InputError("scenario file not found.", file=str(path), fix="check the path, or run `fedplan plan` with no scenario for Devon.")
    if path.is_dir():
        raise InputError("this is a folder, not a scenario file.", file=str(path), fix="give the .toml file.")
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise InputError("this is a binary file, not a TOML scenario.", file=str(path), fix="give a plain-text .toml file.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"the scenario is not UTF-8 text (byte {exc.start}).", file=str(path),
                         fix="save it as UTF-8.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"TOML syntax error: {exc}.", file=str(path),
                         fix="correct the line shown (TOML: key = value; strings in double quotes; [section] headers).") from None
    return parse_scenario(data, source=str(path), base_dir=path.parent)


def _err(source, key, message, fix) -> InputError:
    return InputError(message, file=source, column=key, fix=fix)


def _number(v: Any, key: str, source: str, *, integer: bool = False, positive: bool = False,
            minimum: float | None = None) -> float | int:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _err(source, key, f"{key} must be a number, not {v!r}.", f"write e.g. {key.split('.')[-1]} = 25000 (no quotes).")
    if isinstance(v, float) and not math.isfinite(v):
        raise _err(source, key, f"{key} must be finite, not {v!r}.", "give a finite number.")
    if integer and (isinstance(v, float) and not v.is_integer()):
        raise _err(source, key, f"{key} must be a whole number, not {v!r}.", "drop the decimals.")
    if positive and v <= 0:
        raise _err(source, key, f"{key} must be positive, not {v!r}.", "give a number above zero.")
    if minimum is not None and v < minimum:
        raise _err(source, key, f"{key} must be at least {minimum}, not {v!r}.", f"give a value >= {minimum}.")
    return int(v) if integer else float(v)


def _bool(v, key, source) -> bool:
    if not isinstance(v, bool):
        raise _err(source, key, f"{key} must be true or false, not {v!r}.", f"write {key.split('.')[-1]} = true or false (no quotes).")
    return v


def _str(v, key, source) -> str:
    if not isinstance(v, str) or not v.strip():
        raise _err(source, key, f"{key} must be a non-empty text in double quotes, not {v!r}.", f'write {key.split(".")[-1]} = "..."')
    return v.strip()


def _codes(v, key, source) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(c, str) and c.strip() for c in v):
        raise _err(source, key, f"{key} must be a list of practice codes in quotes.", f'write {key.split(".")[-1]} = ["L83001", "L83002"]')
    return tuple(c.strip().upper() for c in v)


def _check_keys(table: dict, valid, section: str, source: str) -> None:
    for key in table:
        if key not in valid:
            hint = nearest(key, valid)
            fix = f"did you mean '{hint}'?" if hint else f"valid keys in [{section}]: {', '.join(valid)}."
            raise _err(source, f"{section}.{key}", f"unknown key '{key}' in [{section}].", fix)


def parse_scenario(data: dict, source: str = "scenario", base_dir: Path | str = ".") -> Scenario:
    base_dir = Path(base_dir)
    valid_sections = list(SECTIONS) + ["services"]
    for sec, table in data.items():
        if sec not in valid_sections:
            hint = nearest(sec, valid_sections)
            raise _err(source, sec, f"unknown section or key '{sec}'.",
                       f"did you mean [{hint}]?" if hint else f"valid sections: {', '.join(valid_sections)}.")
        if not isinstance(table, dict):
            raise _err(source, sec, f"'{sec}' must be a [section] table.", f"write [{sec}] on its own line, then its keys.")
    for sec, cls in SECTIONS.items():
        _check_keys(data.get(sec, {}), [f.name for f in fields(cls)], sec, source)

    a = data.get("area", {})
    area = AreaSpec(
        icb=_str(a["icb"], "area.icb", source).upper() if "icb" in a else None,
        sub_icb=_str(a["sub_icb"], "area.sub_icb", source).upper() if "sub_icb" in a else None,
        region=_str(a["region"], "area.region", source).upper() if "region" in a else None,
        practices=_codes(a["practices"], "area.practices", source) if "practices" in a else None,
        england=_bool(a["england"], "area.england", source) if "england" in a else False,
        exclude=_codes(a["exclude"], "area.exclude", source) if "exclude" in a else (),
    )
    chosen = [k for k in ("icb", "sub_icb", "region", "practices") if k in a] + (["england"] if area.england else [])
    if len(chosen) > 1:
        raise _err(source, "area", f"[area] selects by more than one of {', '.join(chosen)}.", "keep just one selector.")
    if area.practices is not None and not area.practices:
        raise _err(source, "area.practices", "area.practices is an empty list: no practices selected.",
                   "list at least one practice code, or remove the key.")

    i = data.get("inputs", {})
    paths = {}
    for key in ("practices", "postcodes", "list_sizes", "catalogue", "travel_times"):
        if key in i:
            rel = _str(i[key], f"inputs.{key}", source)
            p = (base_dir / rel).resolve()
            if not p.is_file():
                raise _err(source, f"inputs.{key}", f"inputs.{key} = {rel!r}: no such file ({p}).",
                           "check the path; relative paths start from the scenario file's folder.")
            paths[key] = p
    inputs = InputsSpec(**paths)

    b = data.get("bounds", {})
    d = BoundsSpec()
    bounds = BoundsSpec(
        min_population=_number(b.get("min_population", d.min_population), "bounds.min_population", source, integer=True, minimum=0),
        max_population=_number(b.get("max_population", d.max_population), "bounds.max_population", source, integer=True, positive=True),
        soft=_bool(b.get("soft", d.soft), "bounds.soft", source),
        penalty_gbp_per_patient=_number(b.get("penalty_gbp_per_patient", d.penalty_gbp_per_patient),
                                        "bounds.penalty_gbp_per_patient", source, minimum=0),
    )
    if bounds.min_population > bounds.max_population:
        raise _err(source, "bounds.min_population",
                   f"min_population ({bounds.min_population:,}) is greater than max_population ({bounds.max_population:,}).",
                   "swap them, or lower min_population below max_population.")

    c = data.get("constraints", {})
    nest = _str(c.get("nest_within", "none"), "constraints.nest_within", source)
    if nest not in NEST_LEVELS:
        hint = nearest(nest, NEST_LEVELS)
        raise _err(source, "constraints.nest_within", f"nest_within = {nest!r} is not a known level.",
                   (f"did you mean '{hint}'? " if hint else "") + f"choose one of {', '.join(NEST_LEVELS)}.")
    constraints = ConstraintsSpec(
        contiguity=_bool(c.get("contiguity", False), "constraints.contiguity", source),
        nest_within=nest,
        n_federations=_number(c["n_federations"], "constraints.n_federations", source, integer=True, positive=True)
        if "n_federations" in c else None,
        max_distance_km=_number(c["max_distance_km"], "constraints.max_distance_km", source, positive=True)
        if "max_distance_km" in c else None,
    )

    k = data.get("costs", {})
    dc = CostsSpec()
    costs = CostsSpec(**{f.name: _number(k.get(f.name, getattr(dc, f.name)), f"costs.{f.name}", source, minimum=0)
                         for f in fields(CostsSpec)})

    s = data.get("solve", {})
    ds = SolveSpec()
    solver = _str(s.get("solver", ds.solver), "solve.solver", source).lower()
    if solver not in SOLVERS:
        hint = nearest(solver, SOLVERS)
        raise _err(source, "solve.solver", f"unknown solver {solver!r}.",
                   (f"did you mean '{hint}'? " if hint else "") + f"choose one of {', '.join(SOLVERS)}.")
    gap = _number(s.get("gap", ds.gap), "solve.gap", source, minimum=0)
    if gap >= 1:
        raise _err(source, "solve.gap", f"gap = {gap} must be a fraction below 1 (0.01 means 1%).", "e.g. gap = 0.01.")
    solve = SolveSpec(
        solver=solver,
        time_limit_s=_number(s.get("time_limit_s", ds.time_limit_s), "solve.time_limit_s", source, positive=True),
        gap=gap,
        seed=_number(s.get("seed", ds.seed), "solve.seed", source, integer=True, minimum=0),
        threads=_number(s.get("threads", ds.threads), "solve.threads", source, integer=True, minimum=1),
    )

    overrides = []
    for name, table in sorted(data.get("services", {}).items()):
        if not isinstance(table, dict):
            raise _err(source, f"services.{name}", f"[services.{name}] must be a table of fields.",
                       f"write [services.{name}] then e.g. buy_price_gbp_per_activity = 40.")
        _check_keys(table, SERVICE_FIELDS, f"services.{name}", source)
        items = []
        for key, value in sorted(table.items()):
            if key == "allowed_modes":
                modes = _codes(value, f"services.{name}.{key}", source)
                items.append((key, tuple(m.lower() for m in modes)))
            else:
                items.append((key, _number(value, f"services.{name}.{key}", source, minimum=0)))
        overrides.append((name, tuple(items)))
    return Scenario(area=area, inputs=inputs, bounds=bounds, constraints=constraints, costs=costs, solve=solve,
                    service_overrides=tuple(overrides), source=source)


def scenario_to_dict(sc: Scenario) -> dict:
    """Plain-data form (paths as strings) for manifest.json."""
    out: dict[str, Any] = {}
    for sec in SECTIONS:
        obj = getattr(sc, sec)
        out[sec] = {f.name: (str(v) if isinstance(v, Path) else (list(v) if isinstance(v, tuple) else v))
                    for f in fields(obj) for v in [getattr(obj, f.name)]}
    out["services"] = {name: dict(items) for name, items in sc.service_overrides}
    out["source"] = sc.source
    return out
