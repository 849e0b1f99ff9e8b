"""Travel-time matrices in the long format ``origin,destination,minutes``."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ._table import bad_rows, more, parse_numbers, read_csv_strings, require_columns
from .errors import InputError

UNREACHABLE = 9999.0  # the convention of the published Devon matrices; read as "no route" (inf)


@dataclass(frozen=True, eq=False)
class TravelTimes:
    source: str
    origins: tuple[str, ...]
    destinations: tuple[str, ...]
    minutes: np.ndarray

    def matrix(self, origin_codes: Sequence[str], destination_codes: Sequence[str]) -> np.ndarray:
        """Minutes for every (origin, destination) pair asked for; NaN where the file has none,
        inf where it says unreachable."""
        o = {c: i for i, c in enumerate(origin_codes)}
        d = {c: j for j, c in enumerate(destination_codes)}
        out = np.full((len(o), len(d)), np.nan)
        for a, b, m in zip(self.origins, self.destinations, self.minutes):
            if a in o and b in d:
                out[o[a], d[b]] = m
        return out


def read_travel_times(path: Path | str) -> TravelTimes:
    df = read_csv_strings(path, "travel-time")
    require_columns(df, path, ["origin", "destination", "minutes"], "travel-time")
    minutes = parse_numbers(df, "minutes", path, "minutes")
    neg = minutes < 0
    if neg.any():
        row, n = bad_rows(neg)
        raise InputError(f"minutes cannot be negative{more(n)}.", file=str(path), row=row, column="minutes",
                         fix="give travel times in minutes (9999 = unreachable).")
    key = df["origin"] + "\x00" + df["destination"]
    dup = key.duplicated().to_numpy()
    if dup.any():
        row, n = bad_rows(dup)
        raise InputError(f"the pair {df['origin'].iloc[row - 2]} → {df['destination'].iloc[row - 2]} appears twice{more(n)}.",
                         file=str(path), row=row, column="origin", fix="keep one row per origin-destination pair.")
    minutes = np.where(minutes >= UNREACHABLE, np.inf, minutes)
    minutes.setflags(write=False)
    return TravelTimes(str(path), tuple(df["origin"]), tuple(df["destination"]), minutes)
