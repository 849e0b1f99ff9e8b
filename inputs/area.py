"""Which practices take part: an ICB, sub-ICB, region, an explicit list, or all of England."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InputError, nearest
from .model import AreaSpec, Practices

DEFAULT_ICB = "QJK"  # NHS Devon ICB


def _pick(practices: Practices, attr: str, code: str, label: str) -> np.ndarray:
    values = np.array(getattr(practices, attr))
    mask = np.char.upper(values.astype(str)) == code.upper()
    if not mask.any():
        known = sorted(set(values) - {""})
        if not known:
            raise InputError(f"the practices file has no {attr} column, so it cannot select {label} {code}.",
                             file=practices.source, column=attr,
                             fix=f"add {attr} to the file, or select practices with [area] practices = [...].")
        hint = nearest(code.upper(), known)
        raise InputError(f"no practice belongs to {label} {code!r}.", file=practices.source, column=attr,
                         fix=(f"did you mean {hint!r}? " if hint else "") + "`fedplan data` lists the valid codes.")
    return mask


def select_area(practices: Practices, area: AreaSpec) -> Practices:
    """The participating practices, in the order of the input table, minus ``area.exclude``."""
    if area.practices:
        missing = [c for c in area.practices if c not in practices]
        if missing:
            raise InputError(f"{len(missing)} listed practice code(s) are not in the practices table: "
                             f"{', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}.",
                             file=practices.source, column="practice_code",
                             fix="check the codes in [area] practices (ODS codes such as L83001).")
        mask = np.isin(np.array(practices.code), list(area.practices))
    elif area.icb:
        mask = _pick(practices, "icb_code", area.icb, "ICB")
    elif area.sub_icb:
        mask = _pick(practices, "sub_icb_code", area.sub_icb, "sub-ICB")
    elif area.region:
        mask = _pick(practices, "region_code", area.region, "NHS region")
    elif area.england or not any(practices.icb_code):
        mask = np.ones(len(practices), bool)   # a user file without ICB codes: take all of it
    else:
        mask = _pick(practices, "icb_code", DEFAULT_ICB, "ICB")
    if area.exclude:
        unknown = [c for c in area.exclude if c not in practices]
        if unknown:
            raise InputError(f"excluded practice code(s) not found: {', '.join(unknown[:8])}.",
                             file=practices.source, column="practice_code", fix="check [area] exclude.")
        mask &= ~np.isin(np.array(practices.code), list(area.exclude))
    if not mask.any():
        raise InputError(f"the selection ({area.describe()}) leaves no practices to plan.", file=practices.source,
                         fix="select a larger area or exclude fewer practices.")
    return practices.subset(mask)


def list_areas(practices: Practices) -> pd.DataFrame:
    """Per ICB and per sub-ICB: level, code, name, n_practices, population (for `fedplan data`)."""
    df = practices.to_frame()
    out = []
    for level, code, name in (("icb", "icb_code", "icb_name"), ("sub_icb", "sub_icb_code", "sub_icb_name")):
        g = df.groupby(code, sort=True).agg(name=(name, "first"), n_practices=("practice_code", "size"),
                                            population=("list_size", "sum")).reset_index()
        g = g.rename(columns={code: "code"})
        g.insert(0, "level", level)
        out.append(g)
    res = pd.concat(out, ignore_index=True)
    res["n_practices"] = res["n_practices"].astype(int)
    res["population"] = res["population"].astype(int)
    return res[["level", "code", "name", "n_practices", "population"]]
