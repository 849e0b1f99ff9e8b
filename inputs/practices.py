"""GP practices in the fedplan CSV format (the columns of the shipped england_practices table)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .table import first_bad, more, parse_numbers, read_csv_strings, require_columns
from .data import data_path
from .errors import InputError
from .model import Practices

MAX_LIST_SIZE = 1_000_000  # the largest real practice has ~100k patients: above this is a typo
# Generous boxes around England (Isles of Scilly, Berwick, the Welsh and Scottish borders).
LAT_RANGE, LON_RANGE = (49.8, 55.9), (-6.5, 2.0)
# British National Grid is defined on 0-700 km both ways; England sits inside the looser box.
BNG_RANGE = (0.0, 700_000.0)
EAST_RANGE, NORTH_RANGE = (60_000.0, 660_000.0), (0.0, 660_000.0)

# Practices field -> fedplan CSV column; all optional ("" when the column is absent)
TEXT_COLUMNS = {
    "name": "practice_name", "postcode": "postcode", "pcn_code": "pcn_code", "pcn_name": "pcn_name",
    "sub_icb_code": "sub_icb_code", "sub_icb_name": "sub_icb_name", "icb_code": "icb_code",
    "icb_name": "icb_name", "region_code": "region_code", "region_name": "region_name",
    "lad_code": "lad_code", "lad_name": "lad_name", "lsoa21_code": "lsoa21_code",
}
# Codes are matched against scenario selectors, which are upper-cased; names are left as written.
_UPPER_FIELDS = ("pcn_code", "sub_icb_code", "icb_code", "region_code", "lad_code", "lsoa21_code")
# Coordinate headers people use that the fedplan format spells differently (for 'rename' fixes)
_ALIASES = {"lat": ("latitude", "y"), "lon": ("longitude", "long", "lng", "x"),
            "easting": ("oseast1m", "east", "x_coord"), "northing": ("osnrth1m", "north", "y_coord")}


def validate_list_sizes(values: np.ndarray, df: pd.DataFrame, column: str, path) -> np.ndarray:
    """Positive whole numbers of patients, at most MAX_LIST_SIZE (values already parsed)."""
    bad = values <= 0
    if bad.any():
        i, row, n = first_bad(df, bad)
        raise InputError(f"list size {df[column].iloc[i]!r} must be a positive number of patients{more(n)}.",
                         file=str(path), row=row, column=column,
                         fix="correct the figure, or remove the practice (or list it in [area] exclude).")
    huge = values > MAX_LIST_SIZE
    if huge.any():
        i, row, n = first_bad(df, huge)
        raise InputError(f"list size {df[column].iloc[i]!r} is implausibly large (over {MAX_LIST_SIZE:,} "
                         f"patients){more(n)}.", file=str(path), row=row, column=column,
                         fix="check the figure for extra digits; the largest English practice has about 100,000.")
    return values.astype(np.int64)


def validate_codes(codes: pd.Series, df: pd.DataFrame, path, column: str = "practice_code") -> tuple[str, ...]:
    """Upper-cased, non-empty, unique practice codes; a duplicate names both rows."""
    codes = codes.str.upper()
    empty = (codes == "").to_numpy()
    if empty.any():
        i, row, n = first_bad(df, empty)
        raise InputError(f"practice code is empty{more(n)}.", file=str(path), row=row, column=column,
                         fix="give every practice its ODS code (e.g. L83001), or delete the row.")
    # ODS codes are letters and digits; allow '-', '_' and '.' for local site codes, nothing that
    # could be markup, a path or a formula once it reaches a report, a file name or a spreadsheet
    odd = ~codes.str.fullmatch(r"[A-Z0-9][A-Z0-9._-]{0,19}").to_numpy(dtype=bool)
    if odd.any():
        i, row, n = first_bad(df, odd)
        raise InputError(f"practice code {codes.iloc[i][:40]!r} is not a code{more(n)}: codes are up to 20 letters "
                         "and digits (with - _ .), starting with a letter or digit.", file=str(path), row=row,
                         column=column, fix="give the practice's ODS code (e.g. L83001).")
    dup = codes.duplicated(keep="first").to_numpy()
    if dup.any():
        i, row, n = first_bad(df, dup)
        first = int(df.index[np.flatnonzero((codes == codes.iloc[i]).to_numpy())[0]])
        raise InputError(f"practice code {codes.iloc[i]} appears twice (rows {first} and {row}){more(n)}.",
                         file=str(path), row=row, column=column, fix="keep one row per practice.")
    return tuple(codes)


def _missing_pair_error(df: pd.DataFrame, path, what: str) -> InputError:
    have = {c: a for c, names in _ALIASES.items() for a in names if a in df.columns}
    if {"lat", "lon"} <= have.keys() or {"easting", "northing"} <= have.keys():
        pairs = [(c, have[c]) for c in ("lat", "lon", "easting", "northing") if c in have]
        fix = "rename " + ", ".join(f"{a!r} to {c!r}" for c, a in pairs) + "."
    else:
        fix = ("add lat and lon (WGS84 degrees) or easting and northing (British National Grid metres) columns; "
               "if you only have postcodes, give a postcode table as [inputs] postcodes with an NHS file.")
    return InputError(f"the {what} file has no coordinate columns (it needs lat+lon or easting+northing; "
                      f"it has {', '.join(df.columns[:15])}).", file=str(path), row=df.attrs.get("header_row", 1),
                      column="lat", fix=fix)


def parse_coordinates(df: pd.DataFrame, path, *, columns: dict[str, str] | None = None,
                      what: str = "practices") -> tuple[dict[str, str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The file's coordinate columns as numbers (NaN where empty): (columns, lat, lon, easting, northing).

    ``columns`` maps lat/lon/easting/northing to the file's own column names (default: the same
    names), so errors name the column the user sees. At least one complete pair of columns must
    exist; cells must be numbers or empty. Whether each row is complete and in England is
    ``check_coordinates``'s job.
    """
    cols = columns or {c: c for c in ("lat", "lon", "easting", "northing") if c in df.columns}
    has_ll = "lat" in cols and "lon" in cols
    has_en = "easting" in cols and "northing" in cols
    hdr = df.attrs.get("header_row", 1)
    if not has_ll and not has_en:
        for a, b in (("lat", "lon"), ("easting", "northing")):
            if a in cols or b in cols:
                present, absent = (a, b) if a in cols else (b, a)
                raise InputError(f"the file has a {cols[present]!r} column but no {absent!r} column.",
                                 file=str(path), row=hdr, column=absent,
                                 fix=f"add the {absent!r} column next to {cols[present]!r}.")
        raise _missing_pair_error(df, path, what)
    nan = np.full(len(df), np.nan)
    lat = parse_numbers(df, cols["lat"], path, "latitude", allow_empty=True) if has_ll else nan
    lon = parse_numbers(df, cols["lon"], path, "longitude", allow_empty=True) if has_ll else nan
    east = parse_numbers(df, cols["easting"], path, "easting", allow_empty=True) if has_en else nan
    north = parse_numbers(df, cols["northing"], path, "northing", allow_empty=True) if has_en else nan
    return cols, lat, lon, east, north


def check_halves(rows, path, ids, label: str, cols: dict[str, str], lat, lon, east, north) -> None:
    """A pair with one half filled in is an error naming the empty half."""
    for a, b, va, vb in (("lat", "lon", lat, lon), ("easting", "northing", east, north)):
        half = np.isnan(va) != np.isnan(vb)
        if half.any():
            i, row, m = first_bad(rows, half)
            gone, there = (a, b) if np.isnan(va[i]) else (b, a)
            raise InputError(f"{label} {ids[i]} has {cols[there]} but no {cols[gone]}{more(m)}.", file=str(path),
                             row=row, column=cols[gone],
                             fix=f"fill in both {cols[a]} and {cols[b]}, e.g. from the postcode.")


def check_coordinates(rows, path, ids, label: str, cols: dict[str, str], lat, lon, east, north) -> None:
    """Every row has a complete pair, and every pair lies in England; else an InputError naming
    the first bad row (``rows`` = the spreadsheet row of each entry) with a fix that says what
    the numbers look like (swapped, metres in the degree columns, degrees in the metre columns)."""
    check_halves(rows, path, ids, label, cols, lat, lon, east, north)
    ll_ok = ~np.isnan(lat) & ~np.isnan(lon)
    en_ok = ~np.isnan(east) & ~np.isnan(north)
    none = ~(ll_ok | en_ok)
    if none.any():
        i, row, m = first_bad(rows, none)
        col = cols.get("lat") or cols["easting"]
        pairs = " or ".join(f"{cols[a]} and {cols[b]}" for a, b in (("lat", "lon"), ("easting", "northing"))
                            if a in cols and b in cols)
        raise InputError(f"{label} {ids[i]} has no coordinates{more(m)}.", file=str(path), row=row, column=col,
                         fix=f"fill in {pairs}, e.g. from the postcode.")
    if "lat" in cols and "lon" in cols:
        inside = (lat >= LAT_RANGE[0]) & (lat <= LAT_RANGE[1]) & (lon >= LON_RANGE[0]) & (lon <= LON_RANGE[1])
        outside = ll_ok & ~inside
        if outside.any():
            i, row, m = first_bad(rows, outside)
            y, x = lat[i], lon[i]
            if LAT_RANGE[0] <= x <= LAT_RANGE[1] and LON_RANGE[0] <= y <= LON_RANGE[1]:
                fix = (f"{cols['lat']} and {cols['lon']} look swapped: put the latitude (about 50 to 56) in "
                       f"{cols['lat']} and the longitude (about -6 to 2) in {cols['lon']}.")
            elif abs(y) > 1000 and abs(x) > 1000:
                fix = "these look like British National Grid metres, not degrees: name the columns easting and northing."
            else:
                fix = "check the coordinates: WGS84 degrees, latitude about 50 to 56, longitude about -6 to 2."
            raise InputError(f"{label} {ids[i]} is at {cols['lat']} {y:g}, {cols['lon']} {x:g}, "
                             f"outside England{more(m)}.", file=str(path), row=row, column=cols["lat"], fix=fix)
    if "easting" in cols and "northing" in cols:
        degrees = en_ok & (np.abs(east) <= 180) & (np.abs(north) <= 180)
        if degrees.any():
            i, row, m = first_bad(rows, degrees)
            raise InputError(f"{label} {ids[i]} has {cols['easting']} {east[i]:g}, {cols['northing']} "
                             f"{north[i]:g}: these look like degrees, not metres{more(m)}.", file=str(path), row=row,
                             column=cols["easting"],
                             fix="put latitude and longitude in columns named lat and lon; easting and northing "
                                 "are British National Grid metres (e.g. 292100, 92500).")
        valid = (east >= BNG_RANGE[0]) & (east <= BNG_RANGE[1]) & (north >= BNG_RANGE[0]) & (north <= BNG_RANGE[1])
        bad = en_ok & ~valid
        if bad.any():
            i, row, m = first_bad(rows, bad)
            raise InputError(f"{label} {ids[i]} has {cols['easting']} {east[i]:,.0f}, {cols['northing']} "
                             f"{north[i]:,.0f}, outside the British National Grid (0 to 700,000 m), so not in England"
                             f"{more(m)}.", file=str(path), row=row, column=cols["easting"],
                             fix="give EPSG:27700 metres, or put WGS84 degrees in lat and lon columns instead.")
        inside = (east >= EAST_RANGE[0]) & (east <= EAST_RANGE[1]) & (north >= NORTH_RANGE[0]) & (north <= NORTH_RANGE[1])
        outside = en_ok & ~inside
        if outside.any():
            i, row, m = first_bad(rows, outside)
            raise InputError(f"{label} {ids[i]} is at {cols['easting']} {east[i]:,.0f}, {cols['northing']} "
                             f"{north[i]:,.0f}, outside England{more(m)}.", file=str(path), row=row,
                             column=cols["easting"],
                             fix="check the coordinates: in England easting is about 60,000-660,000 and northing "
                                 "0-660,000 metres.")


def validate_coordinates(df: pd.DataFrame, path, *, ids, label: str = "practice",
                         columns: dict[str, str] | None = None, what: str = "practices",
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """lat, lon, easting, northing (NaN where the file has none), parsed and checked to lie in England."""
    cols, lat, lon, east, north = parse_coordinates(df, path, columns=columns, what=what)
    check_coordinates(df.index, path, list(ids), label, cols, lat, lon, east, north)
    return lat, lon, east, north


def frame_to_practices(df: pd.DataFrame, path, source: str | None = None) -> Practices:
    """Validate a table of strings in the fedplan format (index = spreadsheet rows) into Practices."""
    needed = ["practice_code", "registered_patients"]
    if "registered_patients" not in df.columns and "list_size" in df.columns:
        needed[1] = "list_size"
    require_columns(df, path, needed, "practices",
                    alternatives=" (or 'list_size')" if "registered_patients" not in df.columns else "")
    size_col = needed[1]
    codes = validate_codes(df["practice_code"], df, path)
    sizes = validate_list_sizes(
        parse_numbers(df, size_col, path, "list size", integer=True, thousands=True), df, size_col, path)
    lat, lon, east, north = validate_coordinates(df, path, ids=df["practice_code"].str.upper())
    text = {}
    for field, col in TEXT_COLUMNS.items():
        if col in df.columns:
            values = df[col].str.upper() if field in _UPPER_FIELDS else df[col]
            text[field] = tuple(values)
    if "pcn_code" in text:
        # NHS files write "U" for a practice outside any PCN; the model says that with ""
        text["pcn_code"] = tuple("" if c == "U" else c for c in text["pcn_code"])
    return Practices(source=source or str(path), code=codes, list_size=sizes, lat=lat, lon=lon, easting=east,
                     northing=north, **text)


def read_practices(path: Path | str) -> Practices:
    """Read and validate a practices CSV in the fedplan format.

    Needs ``practice_code``, ``registered_patients`` (or ``list_size``; "12,345" is read as 12345)
    and ``lat``+``lon`` (WGS84) or ``easting``+``northing`` (EPSG:27700 metres); when both pairs
    are given both are kept (no projection here: ``geo`` completes the missing pair). Other known
    columns (practice_name, postcode, pcn_code, sub_icb_code, icb_code, region_code, lad_code, ...)
    are kept when present. Header names match case-insensitively; cells are stripped and practice
    codes upper-cased. Every problem is an InputError naming the file, the first bad spreadsheet
    row (header = row 1), the column, and how many other rows share it.
    """
    return frame_to_practices(read_csv_strings(path, "practices"), path)


@lru_cache(maxsize=1)
def load_national_practices() -> Practices:
    """All English practices shipped with the package (Aug 2026 frame, Apr 2025 list sizes).

    Read once per process: Practices is immutable, so every caller can share it.
    """
    path = data_path("england_practices.csv.gz")
    return frame_to_practices(read_csv_strings(path, "practices"), path,
                              source="shipped inputs/data/england_practices.csv.gz")
