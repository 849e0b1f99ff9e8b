"""GP practices in the fedplan CSV format (the columns of the shipped england_practices table)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ._table import bad_rows, more, parse_numbers, read_csv_strings, require_columns
from .data import data_path
from .errors import InputError
from .model import Practices

MAX_LIST_SIZE = 1_000_000  # above any real practice (largest is ~100k): surely a data error
# Generous boxes around England (incl. Isles of Scilly and the Scottish/Welsh borders).
LAT_RANGE, LON_RANGE = (49.8, 55.9), (-6.5, 2.0)
EAST_RANGE, NORTH_RANGE = (60_000.0, 660_000.0), (0.0, 660_000.0)

TEXT_COLUMNS = {
    "name": "practice_name", "postcode": "postcode", "pcn_code": "pcn_code", "pcn_name": "pcn_name",
    "sub_icb_code": "sub_icb_code", "sub_icb_name": "sub_icb_name", "icb_code": "icb_code",
    "icb_name": "icb_name", "region_code": "region_code", "region_name": "region_name",
    "lad_code": "lad_code", "lad_name": "lad_name", "lsoa21_code": "lsoa21_code",
}


def validate_list_sizes(values: np.ndarray, df: pd.DataFrame, column: str, path) -> np.ndarray:
    bad = values <= 0
    if bad.any():
        row, n = bad_rows(bad)
        raise InputError(f"list size {df[column].iloc[row - 2]!r} must be a positive number of patients{more(n)}.",
                         file=str(path), row=row, column=column,
                         fix="correct the figure, or remove the practice (or list it in [area] exclude).")
    huge = values > MAX_LIST_SIZE
    if huge.any():
        row, n = bad_rows(huge)
        raise InputError(f"list size {df[column].iloc[row - 2]!r} is implausibly large (over {MAX_LIST_SIZE:,}){more(n)}.",
                         file=str(path), row=row, column=column, fix="check the figure for extra digits.")
    return values.astype(np.int64)


def validate_codes(codes: pd.Series, path, column: str = "practice_code") -> tuple[str, ...]:
    codes = codes.str.upper()
    empty = (codes == "").to_numpy()
    if empty.any():
        row, n = bad_rows(empty)
        raise InputError(f"practice code is empty{more(n)}.", file=str(path), row=row, column=column,
                         fix="give every practice its ODS code (e.g. L83001).")
    dup = codes.duplicated(keep="first").to_numpy()
    if dup.any():
        row, n = bad_rows(dup)
        first = int(np.flatnonzero((codes == codes.iloc[row - 2]).to_numpy())[0]) + 2
        raise InputError(f"practice code {codes.iloc[row - 2]} appears twice (rows {first} and {row}){more(n)}.",
                         file=str(path), row=row, column=column, fix="keep one row per practice.")
    return tuple(codes)


def coordinates(df: pd.DataFrame, path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """lat, lon, easting, northing (NaN where the file has none); at least one pair is required."""
    n = len(df)
    has_ll = "lat" in df.columns and "lon" in df.columns
    has_en = "easting" in df.columns and "northing" in df.columns
    if not has_ll and not has_en:
        for pair in (("lat", "lon"), ("easting", "northing")):
            if any(c in df.columns for c in pair):
                missing = [c for c in pair if c not in df.columns][0]
                raise InputError(f"the file has {' '.join(c for c in pair if c in df.columns)} but no {missing!r} column.",
                                 file=str(path), row=1, column=missing, fix=f"add the {missing!r} column.")
        raise InputError("the practices file has no coordinates.", file=str(path), row=1, column="lat",
                         fix="add lat and lon (WGS84 degrees) or easting and northing (British National Grid metres) columns.")
    lat = lon = east = north = np.full(n, np.nan)
    if has_ll:
        lat = parse_numbers(df, "lat", path, "latitude", allow_empty=has_en)
        lon = parse_numbers(df, "lon", path, "longitude", allow_empty=has_en)
    if has_en:
        east = parse_numbers(df, "easting", path, "easting", allow_empty=has_ll)
        north = parse_numbers(df, "northing", path, "northing", allow_empty=has_ll)
    ll_ok = ~np.isnan(lat) & ~np.isnan(lon)
    en_ok = ~np.isnan(east) & ~np.isnan(north)
    half = (np.isnan(lat) != np.isnan(lon)) | (np.isnan(east) != np.isnan(north))
    missing = ~(ll_ok | en_ok) | half
    if missing.any():
        row, m = bad_rows(missing)
        i = row - 2
        col = "lat" if has_ll and np.isnan(lat[i]) else ("lon" if has_ll and np.isnan(lon[i]) else "easting")
        raise InputError(f"practice {df['practice_code'].iloc[i]} has no complete coordinates{more(m)}.",
                         file=str(path), row=row, column=col,
                         fix="fill in both lat and lon (or both easting and northing), e.g. from its postcode.")
    if has_ll:
        outside = ll_ok & ~((lat >= LAT_RANGE[0]) & (lat <= LAT_RANGE[1]) & (lon >= LON_RANGE[0]) & (lon <= LON_RANGE[1]))
        if outside.any():
            row, m = bad_rows(outside)
            i = row - 2
            swapped = LAT_RANGE[0] <= lon[i] <= LAT_RANGE[1] and LON_RANGE[0] <= lat[i] <= LON_RANGE[1]
            raise InputError(
                f"practice {df['practice_code'].iloc[i]} is at lat {lat[i]}, lon {lon[i]}, outside England{more(m)}.",
                file=str(path), row=row, column="lat",
                fix=("lat and lon look swapped: put latitude (about 50-56) in lat and longitude (about -6 to 2) in lon."
                     if swapped else "check the coordinates (WGS84 degrees: lat about 50-56, lon about -6 to 2)."))
    if has_en:
        outside = en_ok & ~((east >= EAST_RANGE[0]) & (east <= EAST_RANGE[1]) & (north >= NORTH_RANGE[0]) & (north <= NORTH_RANGE[1]))
        if outside.any():
            row, m = bad_rows(outside)
            i = row - 2
            raise InputError(
                f"practice {df['practice_code'].iloc[i]} is at easting {east[i]:.0f}, northing {north[i]:.0f}, "
                f"outside England{more(m)}.", file=str(path), row=row, column="easting",
                fix="give British National Grid metres (easting about 60,000-660,000, northing 0-660,000), "
                    "or use lat/lon columns for degrees.")
    return lat, lon, east, north


def frame_to_practices(df: pd.DataFrame, path) -> Practices:
    """Validate a table of strings in the fedplan format and build Practices."""
    require_columns(df, path, ["practice_code"], "practices")
    size_col = "registered_patients" if "registered_patients" in df.columns else (
        "list_size" if "list_size" in df.columns else None)
    if size_col is None:
        require_columns(df, path, ["registered_patients"], "practices", alternatives=" (or 'list_size')")
    codes = validate_codes(df["practice_code"], path)
    sizes = validate_list_sizes(parse_numbers(df, size_col, path, "list size", integer=True, thousands=True),
                                df, size_col, path)
    lat, lon, east, north = coordinates(df, path)
    text = {field: tuple(df[col]) if col in df.columns else () for field, col in TEXT_COLUMNS.items()}
    return Practices(source=str(path), code=codes, list_size=sizes, lat=lat, lon=lon, easting=east,
                     northing=north, **text)


def read_practices(path: Path | str) -> Practices:
    """Read and validate a practices CSV in the fedplan format.

    Needs ``practice_code``, ``registered_patients`` (or ``list_size``; "12,345" is accepted) and
    ``lat``+``lon`` or ``easting``+``northing``. Other known columns (practice_name, pcn_code,
    sub_icb_code, icb_code, region_code, lad_code, ...) are kept when present.
    """
    return frame_to_practices(read_csv_strings(path, "practices"), path)


@lru_cache(maxsize=1)
def load_national_practices() -> Practices:
    """All 6,129 English practices shipped with the package (Aug 2026 frame, Apr 2025 lists)."""
    path = data_path("england_practices.csv.gz")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    p = frame_to_practices(df.apply(lambda c: c.str.strip()), "shipped england_practices.csv.gz")
    return p
