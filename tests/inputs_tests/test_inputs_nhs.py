"""fedplan.inputs.nhs: the NHS "Patients Registered at a GP Practice" files as published, and postcode tables.

Fixtures (tests/data): the header and 30 Devon practices of gp-reg-pat-prac-map_2026-08.csv, every
row of those practices in gp-reg-pat-prac-all_2025-04.csv, and their postcodes with coordinates.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from fedplan import inputs
from input_helpers import refused, write

DATA = Path(__file__).parents[1] / "data"
NHS_MAP, NHS_ALL = DATA / "nhs_map_sample.csv", DATA / "nhs_all_sample.csv"
POSTCODES, SMALL = DATA / "postcodes_sample.csv", DATA / "practices_small.csv"




def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_detect_format():
    assert inputs.detect_format(NHS_MAP) == "nhs-map"
    assert inputs.detect_format(NHS_ALL) == "nhs-all"
    assert inputs.detect_format(SMALL) == "fedplan"


def test_map_and_all_give_the_same_practices_as_the_fedplan_table():
    p = inputs.read_nhs_practices(NHS_MAP, NHS_ALL, POSTCODES)
    ref = inputs.read_practices(SMALL)
    assert p.code == ref.code and p.list_size.tolist() == ref.list_size.tolist()
    for field in ("name", "postcode", "pcn_code", "pcn_name", "sub_icb_code", "icb_code", "icb_name",
                  "region_code", "region_name"):
        assert getattr(p, field) == getattr(ref, field), field
    assert np.allclose(p.lat, ref.lat) and np.allclose(p.lon, ref.lon) and np.isnan(p.easting).all()
    assert p.source == str(NHS_MAP)


def test_all_file_alone_is_enough():
    p = inputs.read_nhs_practices(None, NHS_ALL, POSTCODES)
    ref = inputs.read_nhs_practices(NHS_MAP, NHS_ALL, POSTCODES)
    assert dict(zip(p.code, p.list_size)) == dict(zip(ref.code, ref.list_size))
    assert set(p.sub_icb_code) == {"15N"} and set(p.icb_code) == {""} and set(p.name) == {""}


def test_totals_rows_are_picked_from_a_file_with_breakdowns(tmp_path):
    rows = lines(NHS_ALL)
    extra = [r.replace(",ALL,ALL,", ",MALE,ALL,").rsplit(",", 1)[0] + ",1" for r in rows[1:]]
    f = write(tmp_path, "all.csv", "\n".join([rows[0], *extra, *rows[1:]]) + "\n")
    p = inputs.read_nhs_practices(None, f, POSTCODES)
    assert len(p) == 30 and (p.list_size > 1).all()


def test_postcode_table_header_spellings_and_normalisation(tmp_path):
    f = write(tmp_path, "pc.csv", "PCD7,Latitude,Long\nex1  1aa,50.72,-3.53\nEX2 5DW,50.71,-3.52\n")
    t = inputs.read_postcodes(f)
    assert t["postcode"].tolist() == ["EX11AA", "EX25DW"] and t["lat"].tolist() == [50.72, 50.71]
    f = write(tmp_path, "pc2.csv", "pcds,oseast1m,osnrth1m,lat,long\nEX1 1AA,292100,92500,99.999999,0\n")
    t = inputs.read_postcodes(f)   # ONSPD's 'no location' latitude is read as unknown
    assert np.isnan(t["lat"][0]) and t["easting"][0] == 292100
    # duplicates: identical ones are merged, conflicting ones refused naming both rows
    f = write(tmp_path, "pc3.csv", "postcode,lat,lon\nEX1 1AA,50.7,-3.5\nEX11AA,50.7,-3.5\n")
    assert len(inputs.read_postcodes(f)) == 1
    f = write(tmp_path, "pc4.csv", "postcode,lat,lon\nEX1 1AA,50.7,-3.5\nEX11AA,51.7,-3.5\n")
    refused(inputs.read_postcodes, f, says=["pc4.csv", "row 3", "rows 2 and 3", "different coordinates"])


def test_uk_wide_postcode_table_is_accepted_but_a_used_postcode_outside_england_is_not(tmp_path):
    rows = lines(POSTCODES)
    scottish = write(tmp_path, "pc.csv", "\n".join([*rows, "EH1 1AA,55.95,-3.19"]) + "\n")
    assert len(inputs.read_nhs_practices(NHS_MAP, NHS_ALL, scottish)) == 30
    moved = rows[:]
    moved[5] = moved[5].split(",")[0] + ",56.5,-3.5"
    f = write(tmp_path, "pc2.csv", "\n".join(moved) + "\n")
    refused(inputs.read_nhs_practices, NHS_MAP, NHS_ALL, f, says=["pc2.csv", "row 6", "column 'latitude'",
                                                                   "outside England"])


def test_missing_pieces_are_named():
    refused(inputs.read_nhs_practices, NHS_MAP, None, POSTCODES,
            says=["nhs_map_sample.csv", "no list sizes", "gp-reg-pat-prac-all", "list_sizes"])
    refused(inputs.read_nhs_practices, NHS_MAP, NHS_ALL, None, says=["no coordinates", "postcodes"])
    refused(inputs.read_nhs_practices, None, None, POSTCODES, says=["gp-reg-pat-prac-all"])


def test_postcodes_missing_from_the_table_are_listed(tmp_path):
    rows = lines(POSTCODES)
    f = write(tmp_path, "pc.csv", "\n".join(rows[:-7]) + "\n")
    err = refused(inputs.read_nhs_practices, NHS_MAP, NHS_ALL, f,
                  says=["pc.csv", "7 practice postcode(s)", "and 2 more", "add those postcodes"])
    missing = [r.split(",")[0] for r in rows[-7:-2]]
    assert all(pc in str(err) for pc in missing)


def test_map_practice_without_a_list_size(tmp_path):
    rows = lines(NHS_ALL)
    f = write(tmp_path, "all.csv", "\n".join(rows[:-2]) + "\n")
    refused(inputs.read_nhs_practices, NHS_MAP, f, POSTCODES,
            says=["all.csv", "2 practice(s) of the map file have no list size", "same month"])


def test_bad_cells_in_nhs_files_name_their_rows(tmp_path):
    rows = lines(NHS_ALL)
    bad = rows[:]
    bad[3] = bad[3].rsplit(",", 1)[0] + ",-4"
    refused(inputs.read_nhs_practices, None, write(tmp_path, "all.csv", "\n".join(bad) + "\n"), POSTCODES,
            says=["all.csv", "row 4", "NUMBER_OF_PATIENTS", "positive"])
    dup = rows + [rows[1]]
    refused(inputs.read_nhs_practices, None, write(tmp_path, "all2.csv", "\n".join(dup) + "\n"), POSTCODES,
            says=["row 32", "rows 2 and 32", "CODE"])
    no_col = [rows[0].replace("NUMBER_OF_PATIENTS", "PATIENTS"), *rows[1:]]
    refused(inputs.read_nhs_practices, None, write(tmp_path, "all3.csv", "\n".join(no_col) + "\n"), POSTCODES,
            says=["row 1", "NUMBER_OF_PATIENTS", "rename column 'PATIENTS'"])
    only_male = [rows[0]] + [r.replace(",ALL,ALL,", ",MALE,ALL,") for r in rows[1:]]
    refused(inputs.read_nhs_practices, None, write(tmp_path, "all4.csv", "\n".join(only_male) + "\n"), POSTCODES,
            says=["no practice totals"])


def test_bad_postcode_tables(tmp_path):
    refused(inputs.read_postcodes, write(tmp_path, "pc.csv", "pcds,latitude,longitude\nEX1 1AA,abc,-3.5\n"),
            says=["pc.csv", "row 2", "column 'latitude'", "not a number"])
    refused(inputs.read_postcodes, write(tmp_path, "pc.csv", "zip,lat,lon\nA,50,-3\n"),
            says=["postcode column", "pcds"])
    refused(inputs.read_postcodes, write(tmp_path, "pc.csv", "postcode,height\nEX1 1AA,3\n"),
            says=["no coordinate columns"])
    refused(inputs.read_postcodes, write(tmp_path, "pc.csv", "postcode,lat,lon\nEX1 1AA,50.7,\n"),
            says=["row 2", "column 'lon'", "no lon"])


def test_map_postcode_missing_from_the_table_falls_back_to_the_all_file_postcode(tmp_path):
    rows = lines(NHS_MAP)
    rows[1] = rows[1].replace(",EX14 2NY,", ",EX99 9ZZ,")     # L83002's map postcode, unknown to the table
    p = inputs.read_nhs_practices(write(tmp_path, "map.csv", "\n".join(rows) + "\n"), NHS_ALL, POSTCODES)
    ref = inputs.read_practices(SMALL)
    assert p.postcode[0] == "EX99 9ZZ" and p.lat[0] == ref.lat[0]
    refused(inputs.read_nhs_practices, write(tmp_path, "map.csv", "\n".join(rows) + "\n"), None, POSTCODES,
            says=["list_sizes"])
