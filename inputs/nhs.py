"""The NHS England "Patients Registered at a GP Practice" files exactly as published
(gp-reg-pat-prac-map, gp-reg-pat-prac-all), joined to a postcode -> coordinates table.

The map file is the practice frame (code, name, postcode, PCN, sub-ICB, ICB, region); the all
file holds list sizes (its totals rows: TYPE=GP, SEX=ALL, AGE=ALL) with each practice's postcode
and sub-ICB. Neither has coordinates, hence the postcode table. Files from before July 2022 say
CCG / STP where later ones say sub-ICB location / ICB; both spellings are read.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from .table import first_bad, listing, more, parse_numbers, read_csv_strings, read_text, require_columns
from .errors import InputError
from .model import Practices
from .practices import check_coordinates, check_halves, validate_codes, validate_list_sizes

# Practices field -> the map file's column, with the pre-2022 spelling as a fallback
MAP_FIELDS = {
    "name": ("PRACTICE_NAME",), "pcn_code": ("PCN_CODE",), "pcn_name": ("PCN_NAME",),
    "sub_icb_code": ("SUB_ICB_LOCATION_CODE", "CCG_CODE"), "sub_icb_name": ("SUB_ICB_LOCATION_NAME", "CCG_NAME"),
    "icb_code": ("ICB_CODE", "STP_CODE"), "icb_name": ("ICB_NAME", "STP_NAME"),
    "region_code": ("COMM_REGION_CODE",), "region_name": ("COMM_REGION_NAME",),
}
MAP_REQUIRED = ("PRACTICE_CODE", "PRACTICE_POSTCODE")
ALL_REQUIRED = ("CODE", "POSTCODE", "NUMBER_OF_PATIENTS")
ALL_SUB_ICB = ("SUB_ICB_LOCATION_CODE", "CCG_CODE")

POSTCODE_NAMES = ("postcode", "pcds", "pcd", "pcd7", "pcd8", "pcd2", "post_code", "postcode_unit")
COORD_NAMES = {"lat": ("lat", "latitude"), "lon": ("lon", "long", "longitude", "lng"),
               "easting": ("easting", "oseast1m", "east"), "northing": ("northing", "osnrth1m", "north")}
# ONSPD / NSPL give postcodes without a grid reference latitude 99.999999 and longitude 0
ONSPD_NO_LOCATION_LAT = 99.999999


def _header(path: Path | str, what: str) -> list[str]:
    text = read_text(path, what)
    first = next((line for line in text.splitlines() if line.strip()), "")
    return [h.strip().lstrip("\ufeff").strip().upper() for h in next(csv.reader(io.StringIO(first)), [])]


def detect_format(path: Path | str) -> str:
    """'nhs-map', 'nhs-all' or 'fedplan', from the header line.

    Anything that is not recognisably an NHS file is called 'fedplan', so that the fedplan
    reader gives its precise error about the columns it needs.
    """
    header = set(_header(path, "practices"))
    if "NUMBER_OF_PATIENTS" in header and "CODE" in header:
        return "nhs-all"
    if "CODE" in header and {"PUBLICATION", "EXTRACT_DATE"} & header and "PRACTICE_CODE" not in header:
        # the NHS list-size file with a column lost: let its reader name the missing column
        return "nhs-all"
    if set(MAP_REQUIRED) <= header:
        return "nhs-map"
    return "fedplan"


def normalise_postcode(s: pd.Series) -> pd.Series:
    """'ex1 1aa ' -> 'EX11AA', so pcd7, pcd8 and pcds spellings of one postcode match."""
    return s.astype(str).str.upper().str.replace(r"\s+", "", regex=True)


def read_postcodes(path: Path | str) -> pd.DataFrame:
    """A postcode -> coordinates table: Code-Point Open, ONSPD/NSPL, or any CSV with a postcode column.

    Header names are matched case-insensitively: postcode / pcd / pcds / pcd7 / pcd8, with
    lat / latitude and lon / long / longitude (WGS84), and/or easting / northing / oseast1m /
    osnrth1m (British National Grid). Returns columns ``postcode`` (upper case, no spaces), ``lat``,
    ``lon``, ``easting``, ``northing`` (NaN where unknown) and ``row`` (spreadsheet row, for
    errors); the frame's ``attrs["columns"]`` holds the file's own coordinate column names.
    Whether a practice's postcode lies in England is checked when it is used, so a UK-wide
    table (with Scottish or Welsh postcodes) can be given as it is.
    """
    wanted = set(POSTCODE_NAMES).union(*COORD_NAMES.values())
    df = read_csv_strings(path, "postcode", case="lower", keep=lambda name: name in wanted)
    pc = next((n for n in POSTCODE_NAMES if n in df.columns), None)
    if pc is None:
        raise InputError("the postcode table has no postcode column.", file=str(path),
                         row=df.attrs.get("header_row", 1), column="postcode",
                         fix="name the column 'postcode' (pcd, pcds, pcd7 and pcd8 also work).")
    cols = {}
    for target, names in COORD_NAMES.items():
        col = next((n for n in names if n in df.columns), None)
        if col is not None:
            cols[target] = col
    if not ({"lat", "lon"} <= cols.keys() or {"easting", "northing"} <= cols.keys()):
        raise InputError("the postcode table has no coordinate columns.", file=str(path),
                         row=df.attrs.get("header_row", 1), column="lat",
                         fix="add lat and lon (WGS84 degrees) or easting and northing (British National Grid "
                             "metres) columns.")
    df = df[df[pc] != ""]                 # an empty postcode can match no practice
    if df.empty:
        raise InputError("every postcode in the table is empty.", file=str(path), column=pc,
                         fix="fill in the postcode column.")
    nan = np.full(len(df), np.nan)
    got = {}
    for target, what in (("lat", "latitude"), ("lon", "longitude"), ("easting", "easting"), ("northing", "northing")):
        got[target] = parse_numbers(df, cols[target], path, what, allow_empty=True) if target in cols else nan
    if "lat" in cols:
        # ONSPD writes latitude 99.999999 for a postcode with no location; anything else beyond
        # the poles (or longitude beyond ±180) is a broken value, not "no location"
        nowhere = np.abs(got["lat"] - ONSPD_NO_LOCATION_LAT) < 1.0
        impossible = ~nowhere & ((np.abs(got["lat"]) > 90) | (np.abs(got["lon"]) > 180))
        if impossible.any():
            i, row, n = first_bad(df, impossible)
            col = cols["lat"] if abs(got["lat"][i]) > 90 else cols["lon"]
            raise InputError(f"postcode {df[pc].iloc[i]} has latitude {got['lat'][i]:g}, longitude {got['lon'][i]:g}: "
                             f"not a place on Earth{more(n)}.", file=str(path), row=row, column=col,
                             fix="latitude is -90 to 90 and longitude -180 to 180 (WGS84 degrees); "
                                 "leave both empty if the postcode has no location.")
        got["lat"] = np.where(nowhere, np.nan, got["lat"])
        got["lon"] = np.where(nowhere, np.nan, got["lon"])
    keys = normalise_postcode(df[pc])
    check_halves(df.index, path, list(df[pc]), "postcode", cols, got["lat"], got["lon"],
                 got["easting"], got["northing"])
    out = pd.DataFrame({"postcode": keys.to_numpy(), **got, "row": df.index.to_numpy()})
    # the same postcode twice is harmless if it says the same thing, and an error if not
    dup = out["postcode"].duplicated(keep=False).to_numpy()
    if dup.any():
        d = out[dup].fillna(-1.0)
        coords = ["lat", "lon", "easting", "northing"]
        first = d.groupby("postcode")[coords].transform("first")
        differs = (np.abs(d[coords].to_numpy() - first.to_numpy()) > 1e-6).any(axis=1)
        if differs.any():
            k = int(np.flatnonzero(differs)[0])
            code, row = d["postcode"].iloc[k], int(d["row"].iloc[k])
            row0 = int(d.loc[d["postcode"] == code, "row"].iloc[0])
            raise InputError(f"postcode {df[pc].loc[row]} appears twice (rows {row0} and {row}) with different "
                             f"coordinates.", file=str(path), row=row, column=pc,
                             fix="keep one row per postcode.")
        out = out.drop_duplicates("postcode", keep="first")
    out = out.reset_index(drop=True)
    out.attrs["columns"] = cols
    return out


def _column(df: pd.DataFrame, names: tuple[str, ...]) -> pd.Series | None:
    return next((df[n] for n in names if n in df.columns), None)


def _read_all(all_path: Path | str) -> pd.DataFrame:
    """Totals rows of a gp-reg-pat-prac-all file: practice_code, list_size, postcode, sub_icb_code."""
    lists = read_csv_strings(all_path, "gp-reg-pat-prac-all", case="upper")
    require_columns(lists, all_path, ALL_REQUIRED, "gp-reg-pat-prac-all")
    keep = np.ones(len(lists), bool)
    for col, value in (("SEX", "ALL"), ("AGE", "ALL"), ("TYPE", "GP"), ("ORG_TYPE", "GP")):
        if col in lists.columns:
            keep &= (lists[col].str.upper() == value).to_numpy()
    lists = lists[keep]                    # the index keeps each row's spreadsheet number
    if lists.empty:
        raise InputError("the file has no practice totals (rows with TYPE=GP, SEX=ALL, AGE=ALL).",
                         file=str(all_path),
                         fix="give the gp-reg-pat-prac-all file (all persons), not a single-age or sex file.")
    codes = validate_codes(lists["CODE"], lists, all_path, "CODE")
    sizes = validate_list_sizes(parse_numbers(lists, "NUMBER_OF_PATIENTS", all_path, "list size", integer=True,
                                              thousands=True), lists, "NUMBER_OF_PATIENTS", all_path)
    sub_icb = _column(lists, ALL_SUB_ICB)
    return pd.DataFrame({"practice_code": codes, "list_size": sizes, "postcode": lists["POSTCODE"].to_numpy(),
                         "sub_icb_code": (sub_icb.str.upper().to_numpy() if sub_icb is not None else ""),
                         "row": lists.index.to_numpy()})


def _read_map(map_path: Path | str) -> pd.DataFrame:
    m = read_csv_strings(map_path, "gp-reg-pat-prac-map", case="upper")
    # PCN_CODE is what the baseline is built from: without it every practice would stand alone
    require_columns(m, map_path, (*MAP_REQUIRED, "PCN_CODE"), "gp-reg-pat-prac-map")
    codes = validate_codes(m["PRACTICE_CODE"], m, map_path, "PRACTICE_CODE")
    out = pd.DataFrame({"practice_code": codes, "postcode": m["PRACTICE_POSTCODE"].to_numpy(),
                        "row": m.index.to_numpy()})
    for field, names in MAP_FIELDS.items():
        col = _column(m, names)
        values = col.to_numpy() if col is not None else np.full(len(m), "", dtype=object)
        if field.endswith("_code"):
            values = np.array([v.upper() for v in values], dtype=object)
        out[field] = values
    unallocated = out["pcn_code"] == "U"   # NHS code for "not in a PCN"; the model says that with ""
    out.loc[unallocated, ["pcn_code", "pcn_name"]] = ""
    return out


def read_nhs_practices(map_path: Path | str | None = None, all_path: Path | str | None = None,
                       postcodes_path: Path | str | None = None) -> Practices:
    """Practices from the NHS files as published, located through a postcode table.

    ``map_path`` (gp-reg-pat-prac-map) gives the frame and its PCN / sub-ICB / ICB / region;
    ``all_path`` (gp-reg-pat-prac-all) gives list sizes, and is enough on its own (with postcode
    and sub-ICB, but no names, PCNs, ICBs or regions). With both, practices of the all file that
    the map does not list are left out, and a practice whose map postcode is missing from the
    postcode table falls back to its all-file postcode. Every problem is an InputError: a map
    practice with no list size, postcodes missing from the table (up to 5 listed, and the count),
    coordinates outside England.
    """
    if map_path is None and all_path is None:
        raise InputError("no NHS practice file was given.",
                         fix="give the gp-reg-pat-prac-all file (list sizes), and optionally the "
                             "gp-reg-pat-prac-map file (PCNs, ICBs, regions).")
    if all_path is None:
        raise InputError("the gp-reg-pat-prac-map file has no list sizes.", file=str(map_path),
                         column="NUMBER_OF_PATIENTS",
                         fix="also give the gp-reg-pat-prac-all file of the same publication as "
                             "[inputs] list_sizes = \"gp-reg-pat-prac-all.csv\".")
    if postcodes_path is None:
        raise InputError("the NHS files give postcodes but no coordinates.", file=str(map_path or all_path),
                         fix="give a postcode table (postcode, lat, lon), e.g. from ONSPD or Code-Point Open, "
                             "as [inputs] postcodes.")
    lists = _read_all(all_path)
    if map_path is None:
        frame, file = lists, all_path
        frame["fallback"] = ""
    else:
        frame, file = _read_map(map_path), map_path
        sizes = lists.set_index("practice_code")
        found = frame["practice_code"].isin(sizes.index).to_numpy()
        if not found.all():
            codes = frame.loc[~found, "practice_code"].tolist()
            i, row, _ = first_bad(frame["row"].to_numpy(), ~found)
            raise InputError(f"{len(codes)} practice(s) of the map file have no list size in the all file: "
                             f"{listing(codes)}.", file=str(all_path),
                             column="CODE", fix=f"use the gp-reg-pat-prac-all file of the same month as the map "
                                                f"(the first is in {Path(map_path).name} row {row}), or remove "
                                                f"those practices from the map file.")
        frame["list_size"] = sizes.loc[frame["practice_code"], "list_size"].to_numpy()
        frame["fallback"] = sizes.loc[frame["practice_code"], "postcode"].to_numpy()
        no_sub = frame["sub_icb_code"] == ""
        frame.loc[no_sub, "sub_icb_code"] = sizes.loc[frame.loc[no_sub, "practice_code"], "sub_icb_code"].to_numpy()

    table = read_postcodes(postcodes_path)
    lookup = pd.Series(np.arange(len(table)), index=table["postcode"])
    primary = normalise_postcode(frame["postcode"]).map(lookup)
    second = normalise_postcode(frame["fallback"]).map(lookup)
    where = primary.fillna(second)
    lost = where.isna().to_numpy()
    if lost.any():
        rows = frame.loc[lost, ["practice_code", "postcode"]].itertuples(index=False)
        listed = listing([f"{c} ({p or 'no postcode'})" for c, p in rows])
        raise InputError(f"{int(lost.sum())} practice postcode(s) are not in the postcode table: {listed}.",
                         file=str(postcodes_path), column="postcode",
                         fix="add those postcodes with their coordinates to the postcode table (or give a fuller "
                             "table, such as ONSPD).")
    at = table.iloc[where.astype(int).to_numpy()]
    coords = {c: at[c].to_numpy(float) for c in ("lat", "lon", "easting", "northing")}
    used = at["postcode"].to_numpy()
    check_coordinates(at["row"].to_numpy(), postcodes_path, list(used), "postcode", table.attrs["columns"],
                      coords["lat"], coords["lon"], coords["easting"], coords["northing"])
    text = {f: tuple(frame[f]) for f in MAP_FIELDS if f in frame.columns}
    return Practices(source=str(file), code=tuple(frame["practice_code"]),
                     list_size=frame["list_size"].to_numpy(np.int64), postcode=tuple(frame["postcode"]),
                     sub_icb_code=tuple(frame["sub_icb_code"]), **{k: v for k, v in text.items() if k != "sub_icb_code"},
                     **coords)
