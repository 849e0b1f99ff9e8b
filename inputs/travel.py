"""Travel-time matrices in the long format ``origin,destination,minutes``."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .table import first_bad, more, parse_numbers, read_csv_strings, require_columns
from .errors import InputError

UNREACHABLE = 9999.0  # the convention of the published Devon matrices: "no route"


@dataclass(frozen=True, eq=False)
class TravelTimes:
    """Travel times, one entry per (origin, destination) pair; ``minutes`` is read-only and holds
    ``inf`` for pairs the file marks unreachable."""

    source: str
    origins: tuple[str, ...]
    destinations: tuple[str, ...]
    minutes: np.ndarray

    def __len__(self) -> int:
        return len(self.minutes)

    def matrix(self, origin_codes: Sequence[str], destination_codes: Sequence[str]) -> np.ndarray:
        """Minutes for every (origin, destination) asked for, shape (len(origins), len(destinations)):
        NaN where the file has no such pair, inf where it says unreachable."""
        o = pd.Index(list(origin_codes)).get_indexer(list(self.origins))
        d = pd.Index(list(destination_codes)).get_indexer(list(self.destinations))
        out = np.full((len(origin_codes), len(destination_codes)), np.nan)
        ok = (o >= 0) & (d >= 0)
        out[o[ok], d[ok]] = self.minutes[ok]
        return out


def read_travel_times(path: Path | str) -> TravelTimes:
    """Read a long travel-time table with columns ``origin``, ``destination``, ``minutes``.

    Minutes must be numbers >= 0. **9999 or more (and "inf") means unreachable and is stored as
    ``inf``**, the convention of the published Devon matrices. Origins and destinations are kept
    as written (stripped); empty ones are refused. A pair given twice with the same minutes is
    read once; with different minutes it is an error naming both rows.
    """
    df = read_csv_strings(path, "travel-time")
    require_columns(df, path, ["origin", "destination", "minutes"], "travel-time")
    for col in ("origin", "destination"):
        empty = (df[col] == "").to_numpy()
        if empty.any():
            i, row, n = first_bad(df, empty)
            raise InputError(f"{col} is empty{more(n)}.", file=str(path), row=row, column=col,
                             fix=f"fill in the {col} code (e.g. an LSOA or practice code), or delete the row.")
    minutes = parse_numbers(df, "minutes", path, "minutes", allow_inf=True)
    neg = minutes < 0
    if neg.any():
        i, row, n = first_bad(df, neg)
        raise InputError(f"minutes cannot be negative ({df['minutes'].iloc[i]}){more(n)}.", file=str(path),
                         row=row, column="minutes", fix=f"give travel times in minutes ({UNREACHABLE:g} = unreachable).")
    minutes = np.where(minutes >= UNREACHABLE, np.inf, minutes)
    key = df["origin"] + "\x00" + df["destination"]
    dup = key.duplicated(keep="first").to_numpy()
    if dup.any():
        first = pd.Series(np.arange(len(df)), index=key.to_numpy()).groupby(level=0).transform("first").to_numpy()
        clash = dup & (minutes != minutes[first])
        if clash.any():
            i, row, n = first_bad(df, clash)
            j = int(first[i])
            raise InputError(f"the pair {df['origin'].iloc[i]} -> {df['destination'].iloc[i]} appears twice with "
                             f"different times (rows {df.index[j]} and {row}: {df['minutes'].iloc[j]} and "
                             f"{df['minutes'].iloc[i]} minutes){more(n)}.", file=str(path), row=row, column="minutes",
                             fix="keep one row per origin-destination pair.")
        keep = ~dup
        df, minutes = df[keep], minutes[keep]
    minutes = np.array(minutes, dtype=float)
    minutes.setflags(write=False)
    return TravelTimes(str(path), tuple(df["origin"]), tuple(df["destination"]), minutes)
