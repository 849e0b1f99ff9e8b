"""The NHS England Digital "Patients Registered at a GP Practice" files exactly as published
(gp-reg-pat-prac-map, gp-reg-pat-prac-all), joined to a postcode → coordinates table."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._table import parse_numbers, read_csv_strings, read_text, require_columns
from .errors import InputError
from .model import Practices
from .practices import coordinates, validate_codes, validate_list_sizes

MAP_COLUMNS = ("PRACTICE_CODE", "PRACTICE_NAME", "PRACTICE_POSTCODE", "PCN_CODE", "PCN_NAME",
               "SUB_ICB_LOCATION_CODE", "ICB_CODE", "COMM_REGION_CODE")
ALL_COLUMNS = ("CODE", "POSTCODE", "NUMBER_OF_PATIENTS")
POSTCODE_NAMES = ("postcode", "pcd", "pcds", "pcd7", "pcd8", "pcd2")
LAT_NAMES, LON_NAMES = ("lat", "latitude"), ("lon", "long", "longitude", "lng")
EAST_NAMES, NORTH_NAMES = ("easting", "oseast1m", "east"), ("northing", "osnrth1m", "north")


def detect_format(path: Path | str) -> str:
    """'fedplan', 'nhs-map' or 'nhs-all' from the header line."""
    text = read_text(path, "practices")
    header = {h.strip().strip('"').upper() for h in text.splitlines()[0].split(",")}
    if {"PRACTICE_CODE", "PCN_CODE", "SUB_ICB_LOCATION_CODE"} <= header and "NUMBER_OF_PATIENTS" not in header:
        return "nhs-map"
    if {"CODE", "NUMBER_OF_PATIENTS", "SEX", "AGE"} <= header:
        return "nhs-all"
    return "fedplan"


def normalise_postcode(s: pd.Series) -> pd.Series:
    return s.str.upper().str.replace(r"\s+", "", regex=True)


def read_postcodes(path: Path | str) -> pd.DataFrame:
    """postcode (normalised), lat, lon, easting, northing (NaN where the table has none)."""
    df = read_csv_strings(path, "postcode")
    lower = {c.lower(): c for c in df.columns}
    pc = next((lower[n] for n in POSTCODE_NAMES if n in lower), None)
    if pc is None:
        raise InputError("the postcode table has no postcode column.", file=str(path), row=1, column="postcode",
                         fix="name the column 'postcode' (pcd/pcds also work).")
    out = pd.DataFrame({"practice_code": normalise_postcode(df[pc])})
    for target, names in (("lat", LAT_NAMES), ("lon", LON_NAMES), ("easting", EAST_NAMES), ("northing", NORTH_NAMES)):
        col = next((lower[n] for n in names if n in lower), None)
        if col is not None:
            out[target] = df[col]
    # reuse the practice coordinate validation (errors name this file and the row)
    lat, lon, east, north = coordinates(out, path)
    return pd.DataFrame({"postcode": out["practice_code"], "lat": lat, "lon": lon, "easting": east, "northing": north}) \
        .drop_duplicates("postcode", keep="first")


def read_nhs_practices(map_path: Path | str | None = None, all_path: Path | str | None = None,
                       postcodes_path: Path | str | None = None) -> Practices:
    """Practices from the published NHS files. The map file gives PCN / sub-ICB / ICB / region;
    the all file gives list sizes (rows TYPE=GP, SEX=ALL, AGE=ALL). Coordinates come from the
    postcode table; a practice whose postcode is missing there is an error naming it."""
    if all_path is None:
        raise InputError("the gp-reg-pat-prac-map file has no list sizes.", file=str(map_path),
                         column="NUMBER_OF_PATIENTS",
                         fix="also give the gp-reg-pat-prac-all file of the same publication as [inputs] list_sizes.")
    if postcodes_path is None:
        raise InputError("the NHS files have postcodes but no coordinates.", file=str(all_path or map_path),
                         fix="give a postcode table (postcode, lat, lon) as [inputs] postcodes.")
    lists = read_csv_strings(all_path, "gp-reg-pat-prac-all")
    lists.columns = [c.upper() for c in lists.columns]
    require_columns(lists, all_path, list(ALL_COLUMNS), "gp-reg-pat-prac-all")
    keep = np.ones(len(lists), bool)
    for col in ("SEX", "AGE"):
        if col in lists.columns:
            keep &= (lists[col].str.upper() == "ALL").to_numpy()
    if "TYPE" in lists.columns:
        keep &= (lists["TYPE"].str.upper() == "GP").to_numpy()
    lists = lists[keep].reset_index(drop=True)
    if lists.empty:
        raise InputError("no practice totals (TYPE=GP, SEX=ALL, AGE=ALL) in the file.", file=str(all_path),
                         fix="give the 'totals' gp-reg-pat-prac-all file.")
    validate_codes(lists["CODE"], all_path, "CODE")
    sizes = validate_list_sizes(parse_numbers(lists, "NUMBER_OF_PATIENTS", all_path, "list size", integer=True,
                                              thousands=True), lists, "NUMBER_OF_PATIENTS", all_path)
    frame = pd.DataFrame({"practice_code": lists["CODE"].str.upper(), "list_size": sizes,
                          "postcode": lists["POSTCODE"], "sub_icb_code": lists.get("SUB_ICB_LOCATION_CODE", "")})
    source = str(all_path)
    if map_path is not None:
        m = read_csv_strings(map_path, "gp-reg-pat-prac-map")
        m.columns = [c.upper() for c in m.columns]
        require_columns(m, map_path, list(MAP_COLUMNS), "gp-reg-pat-prac-map")
        validate_codes(m["PRACTICE_CODE"], map_path, "PRACTICE_CODE")
        m = m.assign(practice_code=m["PRACTICE_CODE"].str.upper())
        merged = m.merge(frame[["practice_code", "list_size"]], on="practice_code", how="left")
        missing = merged["list_size"].isna().to_numpy()
        if missing.any():
            codes = merged.loc[missing, "practice_code"].tolist()
            raise InputError(f"{len(codes)} practice(s) of the map file have no list size in the all file: "
                             f"{', '.join(codes[:5])}{' ...' if len(codes) > 5 else ''}.", file=str(all_path),
                             column="CODE", fix="use the gp-reg-pat-prac-all file of the same month, or exclude them.")
        frame = pd.DataFrame({
            "practice_code": merged["practice_code"], "list_size": merged["list_size"].astype(np.int64),
            "postcode": merged["PRACTICE_POSTCODE"], "practice_name": merged["PRACTICE_NAME"],
            "pcn_code": merged["PCN_CODE"].where(merged["PCN_CODE"].str.upper() != "U", ""),
            "pcn_name": merged["PCN_NAME"].where(merged["PCN_CODE"].str.upper() != "U", ""),
            "sub_icb_code": merged["SUB_ICB_LOCATION_CODE"], "sub_icb_name": merged.get("SUB_ICB_LOCATION_NAME", ""),
            "icb_code": merged["ICB_CODE"], "icb_name": merged.get("ICB_NAME", ""),
            "region_code": merged["COMM_REGION_CODE"], "region_name": merged.get("COMM_REGION_NAME", ""),
        })
        source = str(map_path)
    pcs = read_postcodes(postcodes_path)
    frame["_pc"] = normalise_postcode(frame["postcode"])
    joined = frame.merge(pcs, left_on="_pc", right_on="postcode", how="left", suffixes=("", "_table"))
    lost = (joined["lat"].isna() & joined["easting"].isna()).to_numpy()
    if lost.any():
        rows = joined.loc[lost, ["practice_code", "postcode"]].head(5).itertuples(index=False)
        listed = ", ".join(f"{c} ({p})" for c, p in rows)
        raise InputError(f"{int(lost.sum())} practice postcode(s) are not in the postcode table, e.g. {listed}.",
                         file=str(postcodes_path), column="postcode",
                         fix="add those postcodes with their coordinates to the postcode table.")
    text = lambda col: tuple(joined[col].fillna("")) if col in joined else ()  # noqa: E731
    return Practices(source=source, code=tuple(joined["practice_code"]), list_size=joined["list_size"].to_numpy(),
                     lat=joined["lat"].to_numpy(float), lon=joined["lon"].to_numpy(float),
                     easting=joined["easting"].to_numpy(float), northing=joined["northing"].to_numpy(float),
                     name=text("practice_name"), postcode=text("postcode"), pcn_code=text("pcn_code"),
                     pcn_name=text("pcn_name"), sub_icb_code=text("sub_icb_code"), sub_icb_name=text("sub_icb_name"),
                     icb_code=text("icb_code"), icb_name=text("icb_name"), region_code=text("region_code"),
                     region_name=text("region_name"))
