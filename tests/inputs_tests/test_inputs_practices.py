"""inputs.read_practices: the fedplan CSV read correctly, every bad file refused with a message
naming the file, the spreadsheet row, the column and a fix."""
from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedplan import inputs
from fedplan.inputs import InputError
from input_helpers import refused, write

DATA = Path(__file__).parents[1] / "data"
SMALL = DATA / "practices_small.csv"          # 30 real Devon practices, every column of the shipped table
H = "practice_code,registered_patients,lat,lon\n"
GOOD = "practice_code,practice_name,registered_patients,lat,lon\nL83001,A,5000,50.7,-3.5\nL83002,B,6000,50.8,-3.4\n"




# ------------------------------------------------------------------ happy paths


def test_real_devon_rows_are_read_with_every_field():
    p = inputs.read_practices(SMALL)
    assert len(p) == 30 and p.code[0] == "L83002" and p.list_size[0] == 17907
    assert set(p.icb_code) == {"QJK"} and set(p.sub_icb_code) == {"15N"} and set(p.region_code) == {"Y58"}
    assert p.name[0] == "HONITON SURGERY" and p.postcode[0] == "EX14 2NY" and p.pcn_code[0] == "U79574"
    # both coordinate pairs are kept as given (projection is geo's job)
    assert p.lat[0] == pytest.approx(50.794578) and p.easting[0] == 316363
    assert all(p.lad_code) and all(p.lsoa21_code) and p.source == str(SMALL)
    assert not p.list_size.flags.writeable


def test_minimal_file_with_list_size_and_easting_northing(tmp_path):
    f = write(tmp_path, "p.csv", 'practice_code,list_size,easting,northing\n x1 ,"12,345",292000,92000\n')
    p = inputs.read_practices(f)
    assert p.code == ("X1",) and p.list_size.tolist() == [12345]
    assert np.isnan(p.lat[0]) and p.easting[0] == 292000 and p.icb_code == ("",)


def test_encodings_bom_latin1_cp1252_utf16_and_gzip(tmp_path):
    assert inputs.read_practices(write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + GOOD.encode())).code[0] == "L83001"
    latin = GOOD.replace(",A,", ",Caf\xe9 Surgery,").encode("latin-1")
    assert inputs.read_practices(write(tmp_path, "latin.csv", latin)).name[0] == "Café Surgery"
    cp = GOOD.replace(",A,", ",\u2018Quoted\u2019 Surgery,").encode("cp1252")   # curly quotes: bytes 0x91/0x92
    assert inputs.read_practices(write(tmp_path, "cp.csv", cp)).name[0] == "\u2018Quoted\u2019 Surgery"
    assert inputs.read_practices(write(tmp_path, "u16.csv", GOOD.encode("utf-16"))).code[1] == "L83002"
    assert len(inputs.read_practices(write(tmp_path, "p.csv.gz", gzip.compress(GOOD.encode())))) == 2


def test_layout_tolerance_case_blank_lines_crlf_and_spaces(tmp_path):
    text = ("\nPractice_Code , REGISTERED_PATIENTS,Lat,LON\r\n l83001 , 5000 ,50.7,-3.5\r\n\r\n"
            "L83002,6000,50.8,-3.4\r\n,,,\r\n,,,\r\n")
    p = inputs.read_practices(write(tmp_path, "p.csv", text))
    assert p.code == ("L83001", "L83002") and p.list_size.tolist() == [5000, 6000]


# ------------------------------------------------------------------ bad files


@pytest.mark.parametrize("text, says", [
    # structure
    ("", ["p.csv", "empty"]),
    ("practice_code,registered_patients,lat,lon\n", ["p.csv", "no data rows"]),
    ("practice_code,patients,lat,lon\nA1,10,50.7,-3.5\n",
     ["p.csv", "row 1", "column 'registered_patients'", "it has practice_code, patients", "rename column 'patients'"]),
    ("code,registered_patients,lat,lon\nA1,10,50.7,-3.5\n", ["row 1", "'practice_code'", "rename column 'code'"]),
    ("practice_code,registered_patients\nA1,10\n", ["no coordinate columns", "lat+lon or easting+northing"]),
    ("practice_code,registered_patients,latitude,longitude\nA1,10,50.7,-3.5\n", ["rename 'latitude' to 'lat'"]),
    ("practice_code,registered_patients,lat\nA1,10,50.7\n", ["no 'lon' column"]),
    ("practice_code,practice_code,registered_patients,lat,lon\nA,B,10,50.7,-3.5\n", ["row 1", "twice in the header"]),
    ("practice_code;registered_patients;lat;lon\nA1;10;50,7;-3,5\n", ["row 1", "semicolons"]),
    (H + "A1,10,50.7,-3.5,9\n", ["row 2", "5 cells", "4 columns"]),
    (H + "A1,10,50.7\n", ["row 2", "3 cells"]),
    (H + 'A1,10,50.7,-3.5\n"A2,10,50.7,-3.5\n', ["row 3", "never to be closed"]),
    # practice codes
    (H + "A1,10,50.7,-3.5\nA1,20,50.7,-3.5\n", ["row 3", "A1", "rows 2 and 3", "practice_code", "one row per practice"]),
    (H + "a1,10,50.7,-3.5\nA1,20,50.7,-3.5\n", ["rows 2 and 3"]),
    (H + ",10,50.7,-3.5\n", ["row 2", "practice_code", "empty", "ODS code"]),
    # list sizes
    (H + "A1,ten,50.7,-3.5\n", ["row 2", "registered_patients", "'ten'", "not a number", "e.g. 8123"]),
    (H + "A1,,50.7,-3.5\n", ["row 2", "registered_patients", "empty"]),
    (H + "A1,0,50.7,-3.5\n", ["row 2", "positive"]),
    (H + "A1,-5,50.7,-3.5\n", ["row 2", "positive"]),
    (H + "A1,10.5,50.7,-3.5\n", ["row 2", "whole number"]),
    (H + "A1,inf,50.7,-3.5\n", ["row 2", "infinite"]),
    (H + "A1,nan,50.7,-3.5\n", ["row 2", "registered_patients", "not a number"]),
    (H + "A1,1e400,50.7,-3.5\n", ["row 2", "too large"]),
    (H + "A1,99999999999,50.7,-3.5\n", ["row 2", "implausibly large", "extra digits"]),
    (H + 'A1,"1,23",50.7,-3.5\n', ["row 2", "'1,23'"]),
    # coordinates
    (H + "A1,10,,-3.5\n", ["row 2", "column 'lat'", "has lon but no lat", "fill in both"]),
    (H + "A1,10,,\n", ["row 2", "has no coordinates"]),
    (H + "A1,10,50.7,north\n", ["row 2", "lon", "'north'", "not a number"]),
    (H + "A1,10,48.85,2.35\n", ["row 2", "outside England", "column 'lat'"]),
    (H + "A1,10,-3.5,50.7\n", ["row 2", "swapped"]),
    (H + "A1,10,292000,92000\n", ["row 2", "British National Grid metres", "easting and northing"]),
    ("practice_code,registered_patients,easting,northing\nA1,10,900000,92000\n",
     ["row 2", "column 'easting'", "outside the British National Grid", "England"]),
    ("practice_code,registered_patients,easting,northing\nA1,10,30000,92000\n", ["row 2", "outside England"]),
    ("practice_code,registered_patients,easting,northing\nA1,10,50.7,-3.5\n", ["row 2", "look like degrees"]),
    ("practice_code,registered_patients,lat,lon,easting,northing\nA1,10,50.7,-3.5,292000,\n",
     ["row 2", "column 'northing'", "has easting but no northing"]),
])
def test_bad_practice_files(tmp_path, text, says):
    refused(inputs.read_practices, write(tmp_path, "p.csv", text), says=says)


def test_missing_file_folder_and_binaries(tmp_path):
    refused(inputs.read_practices, tmp_path / "absent.csv", says=["absent.csv", "not found", "check the path"])
    refused(inputs.read_practices, tmp_path, says=["folder"])
    refused(inputs.read_practices, write(tmp_path, "p.xlsx", b"PK\x03\x04" + bytes(200)),
            says=["p.xlsx", "Excel", "CSV UTF-8"])
    refused(inputs.read_practices, write(tmp_path, "p.png", b"\x89PNG\r\n\x1a\n" + bytes(50)), says=["binary"])
    refused(inputs.read_practices, write(tmp_path, "p.csv", H.encode() + b"A1,1\x000,50.7,-3.5\n"), says=["binary"])
    refused(inputs.read_practices, write(tmp_path, "p.csv", "<!DOCTYPE html><html>404</html>"), says=["web page"])
    refused(inputs.read_practices, write(tmp_path, "p.csv.gz", b"\x1f\x8b\x08\x00broken"), says=["damaged"])
    refused(inputs.read_practices, write(tmp_path, "p.csv", " \n\n "), says=["empty"])


def test_rows_are_spreadsheet_rows_and_others_are_counted(tmp_path):
    # a blank line and a quoted two-line cell each take one row, as a spreadsheet shows them
    text = ("practice_code,practice_name,registered_patients,lat,lon\n"
            "A0,x,10,50.7,-3.5\n\nA1,\"two\nlines\",10,50.7,-3.5\nA2,y,0,50.7,-3.5\n")
    err = refused(inputs.read_practices, write(tmp_path, "p.csv", text), says=["row 5"])
    assert err.row == 5 and err.column == "registered_patients" and err.file.endswith("p.csv")
    text = H + "".join(f"A{i},0,50.7,-3.5\n" for i in range(5))
    refused(inputs.read_practices, write(tmp_path, "p.csv", text), says=["row 2", "4 more rows have the same problem"])


# ------------------------------------------------------------------ robustness (property tests)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_random_bytes_only_ever_raise_input_error(tmp_path, blob):
    f = write(tmp_path, "fuzz.csv", blob)
    try:
        inputs.read_practices(f)
    except InputError:
        pass


CELLS = ["A1", "b2", "10", "-1", "", " ", "50.7", "-3.5", "292000", "x", "1e9", '"', ",", "nan", "1,000", "\n"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.sampled_from(CELLS), min_size=3, max_size=5), min_size=1, max_size=6),
       st.sampled_from(["lat,lon", "easting,northing"]))
def test_random_csv_cells_give_valid_practices_or_input_error(tmp_path, rows, pair):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["practice_code", "registered_patients", *pair.split(",")])
    w.writerows(rows)
    f = write(tmp_path, "fuzz.csv", buf.getvalue())
    try:
        p = inputs.read_practices(f)
    except InputError as err:
        assert err.file and err.fix
    else:   # whatever was accepted is a valid table
        assert (p.list_size > 0).all() and len(set(p.code)) == len(p) and all(p.code)
        ok_ll = np.isfinite(p.lat) & np.isfinite(p.lon)
        ok_en = np.isfinite(p.easting) & np.isfinite(p.northing)
        assert (ok_ll | ok_en).all()
