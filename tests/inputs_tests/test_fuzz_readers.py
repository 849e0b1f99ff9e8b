"""Fuzzing every reader: random bytes, and valid files with random damage (bytes cut, repeated,
replaced, lines swapped). A reader may accept the result or raise InputError; any other
exception is a crash a planner would see as a traceback, and fails here."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedplan import geo
from fedplan import inputs
from fedplan.inputs import InputError
from fedplan.inputs.cpmp import read_cpmp

DATA = Path(__file__).parents[1] / "data"
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

BOUNDARY = (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "Devon"}, '
            b'"geometry": {"type": "Polygon", "coordinates": [[[-4.8, 50.1], [-2.8, 50.1], [-2.8, 51.3], '
            b'[-4.8, 51.3], [-4.8, 50.1]]]}}]}')
TRAVEL = b"origin,destination,minutes\nE01000001,L83001,12.5\nE01000001,L83002,inf\nE01000002,L83001,9999\n"
SCENARIO = (b'[area]\nicb = "QJK"\nexclude = ["L83001"]\n[bounds]\nmin_population = 25000\n'
            b"max_population = 100000\n[constraints]\nlocks = { L83002 = \"L83003\" }\n"
            b"[solve]\ntime_limit_s = 30\n[services.legal]\nbuy_price_gbp_per_activity = 2.0\n")


def _sample(name: str, lines: int = 12) -> bytes:
    return b"".join((DATA / name).read_bytes().splitlines(keepends=True)[:lines])


def _run_dir_reader(path: Path):
    from fedplan.rundir import read_run_dir

    run = path.parent / "run"
    run.mkdir(exist_ok=True)
    (run / "summary.json").write_bytes(path.read_bytes())
    (run / "manifest.json").write_text(json.dumps({"scenario": {}}))
    return read_run_dir(run)


# reader, a valid file for it, and the name it is written under
READERS = {
    "practices": (inputs.read_practices, _sample("practices_small.csv"), "p.csv"),
    "nhs_all": (lambda p: inputs.read_nhs_practices(all_path=p, postcodes_path=DATA / "postcodes_sample.csv"),
                _sample("nhs_all_sample.csv"), "all.csv"),
    "nhs_map": (lambda p: inputs.read_nhs_practices(map_path=p, all_path=DATA / "nhs_all_sample.csv",
                                                    postcodes_path=DATA / "postcodes_sample.csv"),
                _sample("nhs_map_sample.csv"), "map.csv"),
    "postcodes": (inputs.read_postcodes, _sample("postcodes_sample.csv"), "pc.csv"),
    "catalogue": (inputs.read_catalogue, (DATA / "service_catalogue.csv").read_bytes(), "cat.csv"),
    "travel_times": (inputs.read_travel_times, TRAVEL, "tt.csv"),
    "scenario": (inputs.load_scenario, SCENARIO, "s.toml"),
    "orlib": (lambda p: read_cpmp(p, "orlib-pmedcap"), (DATA / "cpmp" / "pmedcap1_01.txt").read_bytes(), "pm.txt"),
    "lorena": (lambda p: read_cpmp(p, "lorena-senne"), (DATA / "cpmp" / "SJC1.txt").read_bytes(), "sjc.txt"),
    "run_summary": (_run_dir_reader, b'{"status": "error", "federations": []}', "summary.json"),
    "boundary": (geo.read_boundary, BOUNDARY, "area.geojson"),
}


@st.composite
def damaged(draw, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cut", "repeat", "replace", "insert", "swap_lines", "truncate"]))
        if not data:
            data += draw(st.binary(min_size=1, max_size=20))
            continue
        i = draw(st.integers(0, len(data) - 1))
        j = min(len(data), i + draw(st.integers(1, 30)))
        if kind == "cut":
            del data[i:j]
        elif kind == "repeat":
            data[i:i] = data[i:j]
        elif kind == "replace":
            data[i:j] = draw(st.binary(min_size=j - i, max_size=j - i))
        elif kind == "insert":
            data[i:i] = draw(st.sampled_from([b",", b"\n", b'"', b"\x00", b"nan", b"-1", b"1e999", b"\xff\xfe",
                                              b"\xef\xbb\xbf", b"<b>", b";", b"=", b"[", b"]", b"9" * 25]))
        elif kind == "swap_lines":
            lines = bytes(data).splitlines(keepends=True)
            if len(lines) > 2:
                a, b = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
                lines[a], lines[b] = lines[b], lines[a]
                data = bytearray(b"".join(lines))
        else:
            del data[i:]
    return bytes(data)


def _only_input_errors(reader, path: Path) -> None:
    try:
        reader(path)
    except InputError as exc:
        assert str(exc), "an InputError must say something"


@pytest.mark.parametrize("name", sorted(READERS))
def test_valid_sample_is_read(name, tmp_path):
    reader, original, fname = READERS[name]
    (tmp_path / fname).write_bytes(original)
    reader(tmp_path / fname)


@pytest.mark.parametrize("name", sorted(READERS))
def test_damaged_files_never_crash_a_reader(name, tmp_path):
    reader, original, fname = READERS[name]

    @SETTINGS
    @given(damaged(original))
    def check(blob):
        path = tmp_path / fname
        path.write_bytes(blob)
        _only_input_errors(reader, path)

    check()


@pytest.mark.parametrize("name", sorted(READERS))
def test_random_bytes_never_crash_a_reader(name, tmp_path):
    reader, _, fname = READERS[name]

    @SETTINGS
    @given(st.binary(max_size=300))
    def check(blob):
        path = tmp_path / fname
        path.write_bytes(blob)
        _only_input_errors(reader, path)

    check()
