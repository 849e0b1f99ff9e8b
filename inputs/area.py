"""Which practices take part: an ICB, sub-ICB, region, an explicit list, or all of England."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .table import listing
from .errors import InputError, nearest
from .model import AreaSpec, Practices

DEFAULT_ICB = "QJK"  # NHS Devon ICB


def _pick(practices: Practices, attr: str, code: str, label: str, key: str) -> np.ndarray:
    values = np.array(getattr(practices, attr), dtype=object)
    upper = np.array([v.upper() for v in values], dtype=object)
    mask = upper == code.strip().upper()
    if not mask.any():
        known = sorted(set(upper) - {""})
        if not known:
            raise InputError(f"the practices table has no {attr} values, so it cannot select {label} {code}.",
                             file=practices.source, column=attr,
                             fix=f"add a {attr} column to the file, or select practices with "
                                 f"[area] practices = [...].")
        hint = nearest(code.upper(), known)
        raise InputError(f"no practice belongs to {label} {code!r} ([area] {key}).", file=practices.source,
                         column=attr, fix=(f"did you mean {hint!r}? " if hint else "") +
                         f"`fedplan data` lists the valid {label} codes.")
    return mask


def _unknown_codes(practices: Practices, codes: tuple[str, ...], key: str) -> InputError:
    hint = nearest(codes[0], practices.code)
    return InputError(f"{len(codes)} practice code(s) in [area] {key} are not in the practices table: "
                      f"{listing(codes, 8)}.", file=practices.source, column="practice_code",
                      fix=(f"did you mean {hint!r} for {codes[0]!r}? " if hint else "") +
                      "check the codes (ODS codes such as L83001).")


def select_area(practices: Practices, area: AreaSpec) -> Practices:
    """The participating practices, in the order of the input table, minus ``area.exclude``.

    Selectors (at most one is set; the scenario reader enforces that): ``icb``, ``sub_icb``,
    ``region`` (codes, any case), ``practices`` (ODS codes), ``england`` (all). With none, the
    default is Devon ICB QJK when the table has it (the shipped national table), else every
    practice of the table (a user's own file of one area). Unknown codes are InputErrors with
    the nearest valid code; an empty selection is an InputError too.
    """
    codes = np.array(practices.code, dtype=object)
    if area.practices:
        wanted = tuple(dict.fromkeys(c.strip().upper() for c in area.practices))
        missing = tuple(c for c in wanted if c not in practices)
        if missing:
            raise _unknown_codes(practices, missing, "practices")
        mask = np.isin(codes, list(wanted))
    elif area.icb:
        mask = _pick(practices, "icb_code", area.icb, "ICB", "icb")
    elif area.sub_icb:
        mask = _pick(practices, "sub_icb_code", area.sub_icb, "sub-ICB", "sub_icb")
    elif area.region:
        mask = _pick(practices, "region_code", area.region, "NHS region", "region")
    elif area.england:
        mask = np.ones(len(practices), bool)
    else:
        in_default = np.array([c.upper() == DEFAULT_ICB for c in practices.icb_code], dtype=bool)
        mask = in_default if in_default.any() else np.ones(len(practices), bool)
    if area.exclude:
        excluded = tuple(dict.fromkeys(c.strip().upper() for c in area.exclude))
        unknown = tuple(c for c in excluded if c not in practices)
        if unknown:
            raise _unknown_codes(practices, unknown, "exclude")
        mask = mask & ~np.isin(codes, list(excluded))
    if not mask.any():
        raise InputError(f"the selection ({area.describe()}"
                         f"{f', minus {len(area.exclude)} excluded' if area.exclude else ''}) leaves no practices "
                         f"to plan.", file=practices.source,
                         fix="select a larger area or exclude fewer practices.")
    return practices.subset(mask)


def list_areas(practices: Practices) -> pd.DataFrame:
    """One row per ICB and per sub-ICB: level ('icb' / 'sub_icb'), code, name, n_practices,
    population (sum of list sizes), sorted by level then code. Used by `fedplan data`."""
    df = practices.to_frame()
    out = []
    for level, code, name in (("icb", "icb_code", "icb_name"), ("sub_icb", "sub_icb_code", "sub_icb_name")):
        part = df[df[code] != ""]
        g = part.groupby(code, sort=True).agg(name=(name, "first"), n_practices=("practice_code", "size"),
                                              population=("list_size", "sum")).reset_index()
        g = g.rename(columns={code: "code"})
        g.insert(0, "level", level)
        out.append(g)
    res = pd.concat(out, ignore_index=True)
    res["n_practices"] = res["n_practices"].astype(int)
    res["population"] = res["population"].astype(np.int64)
    return res[["level", "code", "name", "n_practices", "population"]]
