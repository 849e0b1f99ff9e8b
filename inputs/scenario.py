"""Scenario TOML: strict keys (unknown ones get a 'did you mean'), typed values, files resolved
relative to the scenario file. The key names are the contract of DESIGN.md §4."""
from __future__ import annotations

import math
import re
import tomllib
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from .catalogue import OVERRIDABLE, override_value
from .errors import InputError, nearest
from .model import (ACCESS_MEASURES, METHODS, NEST_LEVELS, SOLVERS, STAFFING, AreaSpec, BoundsSpec, ConstraintsSpec, CostsSpec, InputsSpec,
                    EngagementSpec, MakeBuySpec, RiskSpec, Scenario, SolveSpec)

SECTIONS = {"area": AreaSpec, "inputs": InputsSpec, "bounds": BoundsSpec, "constraints": ConstraintsSpec,
            "costs": CostsSpec, "makebuy": MakeBuySpec, "risk": RiskSpec, "engagement": EngagementSpec,
            "solve": SolveSpec}
# keys of earlier versions: the error says what replaced them
RENAMED = {"risk.cv_systematic": "systematic_error (a share of the budget per practice, e.g. 0.065) and "
                                 "systematic_correlation",
           "risk.stoploss_attachment": "stoploss_attachments, a list (e.g. [1.05, 1.10, 1.25])"}
SERVICE_FIELDS = OVERRIDABLE
AREA_SELECTORS = ("icb", "sub_icb", "region", "practices", "england")
# above England's population, so never a real limit; keeps every count inside 64-bit solver arithmetic
MAX_BOUND = 1_000_000_000
_EXAMPLES = {
    "min_population": "25000", "max_population": "100000", "penalty_gbp_per_patient": "100",
    "n_federations": "12", "max_distance_km": "30", "federation_fixed_gbp": "252530",
    "hub_visits_per_patient": "0.5", "travel_gbp_per_km": "0.348", "travel_gbp_per_minute": "0.10",
    "max_travel_minutes": "45", "time_limit_s": "240", "work_limit": "60", "gap": "0.01",
    "seed": "0", "threads": "1", "shared_hub_gbp": "50000", "max_inhouse": "5",
    "budget_gbp_per_patient": "952.10", "cv_individual": "3.0", "skew_individual": "10", "confidence": "0.95",
    "systematic_error": "0.065", "systematic_correlation": "0.1", "risk_share": "1.0",
    "cost_of_capital": "0.06", "stoploss_attachments": "[1.05, 1.10, 1.25]", "stoploss_loading": "0.43",
    "stoploss_min_rate_on_line": "0.01", "stoploss_min_premium_gbp": "10000", "stoploss_layer": "0.15",
    "viability_share": "0.05", "coordination_gbp_per_member": "10932", "incentive_gbp_per_patient": "12",
    "incentive_held_back": "0.3", "member_success_probability": "0.9",
}


def load_scenario(path: Path | str) -> Scenario:
    """Read a scenario TOML file; every problem is an InputError naming the file and the key."""
    path = Path(path)
    if not path.exists():
        raise InputError("scenario file not found.", file=str(path),
                         fix="check the path, or run `fedplan plan` with no scenario for the Devon default.")
    if path.is_dir():
        raise InputError("this is a folder, not a scenario file.", file=str(path), fix="give the .toml file.")
    raw = path.read_bytes()
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError("this scenario is UTF-16 text (Notepad's 'Unicode'); TOML files must be UTF-8.",
                         file=str(path), fix="save it again as UTF-8 (in Notepad: Save As, Encoding: UTF-8).")
    if b"\x00" in raw or raw.startswith((b"PK\x03\x04", b"\x89PNG", b"%PDF", b"\x1f\x8b")):
        raise InputError("this is a binary file, not a TOML scenario.", file=str(path),
                         fix="give a plain-text .toml file.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(f"the scenario is not UTF-8 text (line {line}, byte {exc.start}).", file=str(path),
                         fix="save it as UTF-8 (most editors offer 'UTF-8' in Save As).") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        what = re.sub(r"\s*\(at [^)]*\)\s*$", "", msg)
        where = f"line {m.group(1)}, column {m.group(2)}" if m else "the end of the file"
        raise InputError(f"TOML syntax error at {where}: {what}.", file=str(path),
                         fix="correct that line (TOML is key = value, text in double quotes, "
                             "[section] headers on their own line).") from None
    return parse_scenario(data, source=str(path), base_dir=path.parent)


def _err(source: str, key: str, message: str, fix: str) -> InputError:
    return InputError(message, file=source, column=key, fix=fix)


def _short(key: str) -> str:
    return key.rsplit(".", 1)[-1]


# Plausibility ceilings for [costs]: far above real figures, low enough that plan costs stay
# ordinary numbers (£1e300 per federation was once accepted)
COST_CEILINGS = {"federation_fixed_gbp": 1e9, "hub_visits_per_patient": 1000.0, "travel_gbp_per_km": 1000.0,
                 "travel_gbp_per_minute": 1000.0, "disruption_gbp_per_patient": 1e6}


def _number(v: Any, key: str, source: str, *, integer: bool = False, positive: bool = False,
            minimum: float | None = None, maximum: float | None = None) -> float | int:
    """A TOML number (never a bool: ``true`` is an int in Python), range-checked."""
    example = _EXAMPLES.get(_short(key), "1")
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _err(source, key, f"{key} must be a number, not {v!r}.",
                   f"write {_short(key)} = {example} (a plain number, no quotes).")
    if isinstance(v, float) and not math.isfinite(v):
        raise _err(source, key, f"{key} must be a finite number, not {v!r}.", f"e.g. {_short(key)} = {example}.")
    if integer and isinstance(v, float) and not v.is_integer():
        raise _err(source, key, f"{key} must be a whole number, not {v!r}.", f"e.g. {_short(key)} = {example}.")
    if positive and v <= 0:
        raise _err(source, key, f"{key} must be positive, not {v!r}.", f"give a number above zero, e.g. {example}.")
    if minimum is not None and v < minimum:
        raise _err(source, key, f"{key} must be at least {minimum:g}, not {v!r}.", f"give a value >= {minimum:g}.")
    if maximum is not None and v > maximum:
        raise _err(source, key, f"{key} = {v!r} is too large (at most {maximum:,.0f}).", f"e.g. {_short(key)} = {example}.")
    return int(v) if integer else float(v)


def _bool(v: Any, key: str, source: str) -> bool:
    if not isinstance(v, bool):
        raise _err(source, key, f"{key} must be true or false, not {v!r}.",
                   f"write {_short(key)} = true or {_short(key)} = false (no quotes).")
    return v


def _str(v: Any, key: str, source: str) -> str:
    if not isinstance(v, str) or not v.strip():
        raise _err(source, key, f"{key} must be a non-empty text in double quotes, not {v!r}.",
                   f'write {_short(key)} = "..."')
    return v.strip()


def _choice(v: Any, key: str, source: str, choices: tuple[str, ...], what: str) -> str:
    text = _str(v, key, source).lower()
    if text not in choices:
        hint = nearest(text, choices)
        raise _err(source, key, f"unknown {what} {text!r} in {key}.",
                   (f"did you mean '{hint}'? " if hint else "") + f"choose one of {', '.join(choices)}.")
    return text


def _pairs(v: Any, key: str, source: str) -> tuple[tuple[str, str], ...]:
    ok = isinstance(v, list) and all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(c, str) and c.strip() for c in p) for p in v)
    if not ok:
        raise _err(source, key, f"{key} must be a list of pairs of practice codes.",
                   f'write {_short(key)} = [["L83001", "L83002"], ["L83003", "L83004"]]')
    out = []
    for n, (a, b) in enumerate(v, start=1):
        a, b = a.strip().upper(), b.strip().upper()
        if a == b:
            raise _err(source, key, f"pair {n} of {key} names {a} twice.", "give two different practices.")
        out.append(tuple(sorted((a, b))))
    return tuple(dict.fromkeys(out))


def _locks(v: Any, key: str, source: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(v, dict) or not all(isinstance(h, str) and h.strip() for h in v.values()):
        raise _err(source, key, f"{key} must be a table of practice code = hub practice code.",
                   f'write {_short(key)} = {{ L83001 = "L83005" }}')
    return tuple(sorted((str(p).strip().upper(), h.strip().upper()) for p, h in v.items()))


def _codes(v: Any, key: str, source: str) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(c, str) and c.strip() for c in v):
        raise _err(source, key, f"{key} must be a list of practice codes in quotes.",
                   f'write {_short(key)} = ["L83001", "L83002"]')
    return tuple(dict.fromkeys(c.strip().upper() for c in v))


def _check_keys(table: dict, valid: list[str] | tuple[str, ...], section: str, source: str) -> None:
    for key in table:
        if f"{section}.{key}" in RENAMED:
            raise _err(source, f"{section}.{key}", f"[{section}] {key} is no longer a key (the risk model now "
                       "carries a tail, a systematic part and cover as it is sold).",
                       f"use {RENAMED[f'{section}.{key}']}.")
        if key not in valid:
            hint = nearest(key, valid)
            fix = f"did you mean '{hint}'?" if hint else f"valid keys in [{section}]: {', '.join(valid)}."
            raise _err(source, f"{section}.{key}", f"unknown key '{key}' in [{section}].", fix)


def _area(a: dict, source: str) -> AreaSpec:
    text = {k: _str(a[k], f"area.{k}", source).upper() if k in a else None for k in ("icb", "sub_icb", "region")}
    area = AreaSpec(
        **text,
        practices=_codes(a["practices"], "area.practices", source) if "practices" in a else None,
        england=_bool(a["england"], "area.england", source) if "england" in a else False,
        exclude=_codes(a["exclude"], "area.exclude", source) if "exclude" in a else (),
    )
    chosen = [k for k in AREA_SELECTORS[:4] if k in a] + (["england"] if area.england else [])
    if len(chosen) > 1:
        raise _err(source, f"area.{chosen[1]}", f"[area] selects by more than one of {', '.join(chosen)}.",
                   "keep just one of icb, sub_icb, region, practices, england = true.")
    if area.practices is not None and not area.practices:
        raise _err(source, "area.practices", "area.practices is an empty list: no practices selected.",
                   "list at least one practice code, or remove the key.")
    return area


def _inputs(i: dict, source: str, base_dir: Path) -> InputsSpec:
    paths = {}
    for f in fields(InputsSpec):
        key = f.name
        if key not in i:
            continue
        rel = _str(i[key], f"inputs.{key}", source)
        p = (base_dir / Path(rel).expanduser()).resolve()
        if p.is_dir():
            raise _err(source, f"inputs.{key}", f"inputs.{key} = {rel!r} is a folder ({p}), not a file.",
                       "give the path of the file itself.")
        if not p.is_file():
            raise _err(source, f"inputs.{key}", f"inputs.{key} = {rel!r}: no such file ({p}).",
                       "check the path; relative paths start from the scenario file's folder.")
        paths[key] = p
    for key in ("postcodes", "list_sizes"):
        if key in paths and "practices" not in paths:
            raise _err(source, f"inputs.{key}", f"inputs.{key} is only used with an NHS practices file, "
                       "but [inputs] has no practices.",
                       'add practices = "gp-reg-pat-prac-map.csv" (or -all.csv), or remove ' + key + ".")
    return InputsSpec(**paths)


def _bounds(b: dict, source: str) -> BoundsSpec:
    d = BoundsSpec()
    bounds = BoundsSpec(
        min_population=_number(b.get("min_population", d.min_population), "bounds.min_population", source,
                               integer=True, positive=True, maximum=MAX_BOUND),
        max_population=_number(b.get("max_population", d.max_population), "bounds.max_population", source,
                               integer=True, positive=True, maximum=MAX_BOUND),
        soft=_bool(b.get("soft", d.soft), "bounds.soft", source),
        penalty_gbp_per_patient=_number(b.get("penalty_gbp_per_patient", d.penalty_gbp_per_patient),
                                        "bounds.penalty_gbp_per_patient", source, minimum=0, maximum=1e6),
    )
    if bounds.min_population > bounds.max_population:
        key = "bounds.min_population" if "min_population" in b else "bounds.max_population"
        raise _err(source, key,
                   f"min_population ({bounds.min_population:,}) is greater than max_population "
                   f"({bounds.max_population:,}).", "swap them, or lower min_population below max_population.")
    return bounds


def _constraints(c: dict, source: str) -> ConstraintsSpec:
    return ConstraintsSpec(
        contiguity=_bool(c.get("contiguity", False), "constraints.contiguity", source),
        nest_within=_choice(c.get("nest_within", "none"), "constraints.nest_within", source, NEST_LEVELS,
                            "nest level"),
        n_federations=(_number(c["n_federations"], "constraints.n_federations", source, integer=True, positive=True,
                               maximum=100_000) if "n_federations" in c else None),
        max_distance_km=(_number(c["max_distance_km"], "constraints.max_distance_km", source, positive=True,
                                 maximum=1000)
                         if "max_distance_km" in c else None),
        max_travel_minutes=(_number(c["max_travel_minutes"], "constraints.max_travel_minutes", source,
                                    positive=True, maximum=1440)
                            if "max_travel_minutes" in c else None),
        hub_candidates=(_codes(c["hub_candidates"], "constraints.hub_candidates", source)
                        if "hub_candidates" in c else ()),
        together=_pairs(c["together"], "constraints.together", source) if "together" in c else (),
        apart=_pairs(c["apart"], "constraints.apart", source) if "apart" in c else (),
        locks=_locks(c["locks"], "constraints.locks", source) if "locks" in c else (),
    )


def _solve(s: dict, source: str) -> SolveSpec:
    d = SolveSpec()
    gap = _number(s.get("gap", d.gap), "solve.gap", source, minimum=0)
    if gap >= 1:
        raise _err(source, "solve.gap", f"solve.gap = {gap:g} must be a fraction below 1 (0.01 means 1%).",
                   "e.g. gap = 0.01.")
    solver = _choice(s.get("solver", d.solver), "solve.solver", source, SOLVERS, "solver")
    work_limit = None
    if s.get("work_limit") is not None:
        work_limit = _number(s["work_limit"], "solve.work_limit", source, positive=True, maximum=1e9)
        check_work_limit(solver, source)
    return SolveSpec(
        solver=solver,
        time_limit_s=_number(s.get("time_limit_s", d.time_limit_s), "solve.time_limit_s", source, positive=True),
        work_limit=work_limit,
        gap=gap,
        seed=_number(s.get("seed", d.seed), "solve.seed", source, integer=True, minimum=0, maximum=2**31 - 1),
        threads=_number(s.get("threads", d.threads), "solve.threads", source, integer=True, minimum=1, maximum=1024),
        method=_choice(s.get("method", d.method), "solve.method", source, METHODS, "method"),
        scheduler=(check_scheduler(s["scheduler"], source) if s.get("scheduler") is not None else None),
        price_rules=_bool(s.get("price_rules", d.price_rules), "solve.price_rules", source),
    )


def check_work_limit(solver: str, source: str = "") -> None:
    """HiGHS cannot stop on work: a work unit's worth of nodes is calibrated on CBC and HiGHS's
    nodes are far slower on the joint model (README, "What you can rely on")."""
    if solver == "highs":
        raise _err(source, "solve.work_limit",
                   "solve.work_limit cannot be used with solver = \"highs\": a work unit's worth of MIP "
                   "nodes is calibrated on CBC, and HiGHS's nodes are far slower on this model, so a "
                   "node limit would not track the work limit.",
                   'use solver = "cbc" (the default), "cpsat" or "scip" with a work limit, or drop '
                   "work_limit and keep time_limit_s.")


def check_scheduler(value, source: str) -> str:
    """A Dask scheduler address (``tcp://HOST:PORT``), checked; ``[solve] scheduler`` and ``--scheduler``."""
    text = _str(value, "solve.scheduler", source).strip()
    if not re.fullmatch(r"(tcp|tls|inproc|ucx)://[^\s/]+(:\d+)?/?", text):
        raise _err(source, "solve.scheduler", f"solve.scheduler = {text!r} is not a Dask scheduler address.",
                   'give it as scheduler = "tcp://HOST:PORT" (e.g. "tcp://10.0.0.5:8786"), or remove it '
                   "to use a local cluster.")
    return text


def _codes_plain(v: Any, key: str, source: str) -> tuple[str, ...]:
    """A list of names kept as written (service names are lower case, unlike practice codes)."""
    if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
        raise _err(source, key, f"{key} must be a list of service names.",
                   'e.g. whole_team_services = ["out_of_hours", "urgent_care"].')
    return tuple(dict.fromkeys(x.strip() for x in v))


def _makebuy(m: dict, source: str) -> MakeBuySpec:
    d = MakeBuySpec()
    return MakeBuySpec(
        joint=_bool(m.get("joint", d.joint), "makebuy.joint", source),
        shared_hub_gbp=_number(m.get("shared_hub_gbp", d.shared_hub_gbp), "makebuy.shared_hub_gbp", source,
                               maximum=1e9,
                               minimum=0),
        max_inhouse=(_number(m["max_inhouse"], "makebuy.max_inhouse", source, integer=True, minimum=0,
                             maximum=10_000) if "max_inhouse" in m else None),
        staffing=_choice(m.get("staffing", d.staffing), "makebuy.staffing", source, STAFFING, "staffing"),
        session_wte=_number(m.get("session_wte", d.session_wte), "makebuy.session_wte", source, positive=True,
                            maximum=1),
        min_post_wte=_number(m.get("min_post_wte", d.min_post_wte), "makebuy.min_post_wte", source, minimum=0,
                             maximum=1),
        whole_team_services=(_codes_plain(m["whole_team_services"], "makebuy.whole_team_services", source)
                             if "whole_team_services" in m else d.whole_team_services),
    )


def _risk(r: dict, source: str) -> RiskSpec:
    d = RiskSpec()

    def num(key, **kw):
        return _number(r.get(key, getattr(d, key)), f"risk.{key}", source, **kw)

    def share(key, *, low=0.0, open_low=False):
        v = num(key, minimum=low, maximum=1)
        if open_low and v <= low:
            raise _err(source, f"risk.{key}", f"risk.{key} = {v:g} must be above {low:g}.",
                       f"e.g. {key} = {_EXAMPLES.get(key, '0.5')}.")
        return v

    confidence = num("confidence", minimum=0.5)
    if confidence >= 1:
        raise _err(source, "risk.confidence", f"risk.confidence = {confidence:g} must be below 1 (0.95 means 95%).",
                   "e.g. confidence = 0.95.")
    raw = r.get("stoploss_attachments", list(d.stoploss_attachments))
    if not isinstance(raw, list) or not raw:
        raise _err(source, "risk.stoploss_attachments",
                   f"risk.stoploss_attachments = {raw!r} must be a non-empty list of numbers.",
                   "e.g. stoploss_attachments = [1.05, 1.10, 1.25] (× expected cost).")
    attachments = tuple(_number(v, f"risk.stoploss_attachments[{k}]", source, minimum=1, maximum=10)
                        for k, v in enumerate(raw))
    return RiskSpec(
        enabled=_bool(r.get("enabled", d.enabled), "risk.enabled", source),
        budget_gbp_per_patient=num("budget_gbp_per_patient", minimum=0, maximum=1e6),
        cv_individual=num("cv_individual", minimum=0, maximum=100),
        skew_individual=num("skew_individual", minimum=0, maximum=10_000),
        systematic_error=num("systematic_error", minimum=0, maximum=10),
        systematic_correlation=share("systematic_correlation"),
        risk_share=share("risk_share", open_low=True),
        confidence=confidence,
        cost_of_capital=num("cost_of_capital", minimum=0, maximum=1),
        stoploss_attachments=tuple(sorted(set(attachments))),
        stoploss_loading=num("stoploss_loading", minimum=0, maximum=100),
        stoploss_min_rate_on_line=share("stoploss_min_rate_on_line"),
        stoploss_min_premium_gbp=num("stoploss_min_premium_gbp", minimum=0, maximum=1e9),
        stoploss_layer=num("stoploss_layer", minimum=0, maximum=10),
        viability_share=share("viability_share", open_low=True),
    )


def _engagement(e: dict, source: str) -> EngagementSpec:
    d = EngagementSpec()

    def num(key, **kw):
        return _number(e.get(key, getattr(d, key)), f"engagement.{key}", source, **kw)

    return EngagementSpec(
        enabled=_bool(e.get("enabled", d.enabled), "engagement.enabled", source),
        pooled_incentive=_bool(e.get("pooled_incentive", d.pooled_incentive), "engagement.pooled_incentive", source),
        coordination_gbp_per_member=num("coordination_gbp_per_member", minimum=0, maximum=1e8),
        incentive_gbp_per_patient=num("incentive_gbp_per_patient", minimum=0, maximum=1e5),
        incentive_held_back=num("incentive_held_back", minimum=0, maximum=1),
        member_success_probability=num("member_success_probability", minimum=0, maximum=1),
    )


def _services(services: dict, source: str) -> tuple[tuple[str, tuple[tuple[str, object], ...]], ...]:
    out = []
    for name, table in sorted(services.items()):
        if not isinstance(table, dict):
            raise _err(source, f"services.{name}", f"services.{name} must be a [services.{name}] table of fields.",
                       f"write [services.{name}] on its own line, then e.g. buy_price_gbp_per_activity = 40.")
        _check_keys(table, SERVICE_FIELDS, f"services.{name}", source)
        # values are checked now; service names need the catalogue, so apply_overrides checks those
        items = tuple((key, override_value(key, value, f"services.{name}.{key}", source))
                      for key, value in sorted(table.items()))
        if items:
            out.append((name, items))
    return tuple(out)


def parse_scenario(data: dict, source: str = "scenario", base_dir: Path | str = ".") -> Scenario:
    """A Scenario from already-parsed TOML data; paths are resolved against ``base_dir``.

    Missing sections and keys take the defaults of the model dataclasses. ``source`` is used as
    the file in every error (and stored on the Scenario).
    """
    base_dir = Path(base_dir)
    valid_sections = [*SECTIONS, "services"]
    for sec, table in data.items():
        if sec not in valid_sections:
            # a key written above every [section] header belongs to one: say which
            owners = [s for s, cls in SECTIONS.items() if sec in [f.name for f in fields(cls)]]
            hint = nearest(sec, valid_sections)
            if owners:
                fix = f"put {sec} under a " + " or ".join(f"[{o}]" for o in owners) + " header."
            elif hint:
                fix = f"did you mean [{hint}]?"
            else:
                fix = f"valid sections: {', '.join(valid_sections)}."
            raise _err(source, sec, f"unknown section or key '{sec}'.", fix)
        if not isinstance(table, dict):
            raise _err(source, sec, f"'{sec}' must be a [section] table.",
                       f"write [{sec}] on its own line, then its keys.")
    for sec, cls in SECTIONS.items():
        _check_keys(data.get(sec, {}), [f.name for f in fields(cls)], sec, source)
    return Scenario(
        area=_area(data.get("area", {}), source),
        inputs=_inputs(data.get("inputs", {}), source, base_dir),
        bounds=_bounds(data.get("bounds", {}), source),
        constraints=_constraints(data.get("constraints", {}), source),
        costs=CostsSpec(**{f.name: _number(data.get("costs", {}).get(f.name, getattr(CostsSpec(), f.name)),
                                           f"costs.{f.name}", source, minimum=0, maximum=COST_CEILINGS[f.name])
                           for f in fields(CostsSpec) if f.name != "access"},
                        access=_choice(data.get("costs", {}).get("access", CostsSpec().access), "costs.access", source,
                                       ACCESS_MEASURES, "access measure")),
        makebuy=_makebuy(data.get("makebuy", {}), source),
        risk=_risk(data.get("risk", {}), source),
        engagement=_engagement(data.get("engagement", {}), source),
        solve=_solve(data.get("solve", {}), source),
        service_overrides=_services(data.get("services", {}), source),
        source=source,
    )


def _plain(v: Any) -> Any:
    if isinstance(v, Path):
        return str(v)
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    return v


def scenario_to_dict(sc: Scenario) -> dict:
    """Plain JSON-ready data (paths as strings, tuples as lists) for manifest.json."""
    out: dict[str, Any] = {}
    for sec in SECTIONS:
        obj = getattr(sc, sec)
        out[sec] = {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)}
    out["services"] = {name: {k: _plain(v) for k, v in items} for name, items in sc.service_overrides}
    out["source"] = sc.source
    return out


def scenario_from_dict(data: dict, source: str = "manifest.json") -> Scenario:
    """The inverse of :func:`scenario_to_dict`: the scenario a run directory's manifest recorded.

    The manifest holds resolved absolute paths, so no base directory is needed. Every value goes
    through the same validation as a TOML file, so a hand-edited manifest is refused clearly.
    """
    if not isinstance(data, dict):
        raise InputError("the recorded scenario is not a table.", file=source,
                         fix="re-run `fedplan plan` to write a fresh run directory.")
    toml_like: dict[str, Any] = {}
    for sec, table in data.items():
        if sec == "source":
            continue
        if not isinstance(table, dict):
            raise InputError(f"scenario section [{sec}] is not a table.", file=source,
                             fix="re-run `fedplan plan` to write a fresh run directory.")
        clean = {k: v for k, v in table.items() if v is not None}
        if sec == "constraints" and isinstance(clean.get("locks"), list):
            try:
                clean["locks"] = {str(a): str(b) for a, b in clean["locks"]}
            except (TypeError, ValueError):
                raise _err(source, "constraints.locks", "constraints.locks must be pairs of practice codes.",
                           "re-run `fedplan plan` to write a fresh run directory.") from None
        toml_like[sec] = clean
    sc = parse_scenario(toml_like, source)
    recorded = data.get("source")
    return replace(sc, source=recorded if isinstance(recorded, str) else None)
