"""The shipped data (inputs/data): complete, matching its manifest, deterministic, attributed."""
from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

from fedplan.inputs.data import data_path, open_text

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "inputs" / "data"
SHARED = ROOT.parent / "shared" / "data"
NOT_DATA = {"__init__.py", "MANIFEST.json"}


def build_script():
    spec = importlib.util.spec_from_file_location("build_package_data", ROOT / "scripts" / "build_package_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(data_path("MANIFEST.json").read_text(encoding="utf-8"))


def test_manifest_matches_files(manifest):
    total = 0
    for name, meta in manifest.items():
        data = data_path(name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"], name
        assert len(data) == meta["bytes"], name
        assert meta["sources"] and all(len(h) == 64 for h in meta["sources"].values()), name
        total += len(data)
    assert total < 25_000_000


def test_every_shipped_file_is_in_the_manifest(manifest):
    on_disk = {f.name for f in DATA.iterdir() if f.is_file() and f.name not in NOT_DATA}
    assert on_disk == set(manifest)
    expected = {"england_practices.csv.gz", "england_pcns.csv.gz", "england_sub_icbs.csv.gz",
                "england_lsoa21.csv.gz", "icb_2026.geojson.gz", "sub_icb_2026.geojson.gz",
                "nhs_region_2026.geojson.gz", "lad_2024.geojson.gz", "devon_sites.csv",
                "devon_lsoa21_to_sites_car_minutes.csv.gz",
                "devon_lsoa21_to_sites_public_transport_minutes.csv.gz",
                "devon_lsoa21_population_mid2022.csv.gz", "service_catalogue_defaults.csv",
                "service_catalogue_sources.md", "ATTRIBUTION.md"}
    assert expected <= set(manifest)
    assert len([n for n in manifest if n.startswith("lsoa21_") and n.endswith(".geojson.gz")]) == 7


def test_gzip_output_is_deterministic(manifest):
    """Fixed gzip header (mtime 0, no file name) and the script's compressor reproduces each file."""
    gz = build_script().gz
    for name in manifest:
        if not name.endswith(".gz"):
            continue
        data = data_path(name).read_bytes()
        assert data[4:8] == b"\0\0\0\0", f"{name}: gzip mtime is set"
        assert not data[3] & 0x08, f"{name}: gzip header carries a file name"
        assert gz(gzip.decompress(data)) == data, name


@pytest.mark.skipif(not (SHARED / "README.md").is_file(), reason="the shared source data is not here")
def test_rebuild_from_sources_gives_identical_bytes(tmp_path, manifest):
    build_script().build(SHARED, tmp_path)
    assert json.loads((tmp_path / "MANIFEST.json").read_text()) == manifest
    for name in manifest:
        assert (tmp_path / name).read_bytes() == data_path(name).read_bytes(), name


def test_attribution_names_every_licence_and_file(manifest):
    text = " ".join(data_path("ATTRIBUTION.md").read_text(encoding="utf-8").split())
    for words in ("Open Government Licence", "OGL", "OpenStreetMap", "ODbL", "PSSRU", "CC BY-NC-SA",
                  "Ordnance Survey", "OS data", "Royal Mail", "Office for National Statistics", "ONS",
                  "1 August 2026", "1 April 2025", "Census 2021", "935 practices", "E85124"):
        assert words in text, words
    for name in manifest:
        if name != "ATTRIBUTION.md" and not name.startswith("lsoa21_"):
            assert name in text, name
    assert "lsoa21_<region>.geojson.gz" in text


def test_tables_open_and_have_the_documented_shape():
    with open_text("england_practices.csv.gz") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6129 and sum(r["icb_code"] == "QJK" for r in rows) == 116
    with open_text("england_lsoa21.csv.gz") as f:
        reader = csv.DictReader(f)
        for col in ("lsoa21_code", "lsoa21_name", "lat", "lon", "pop21_total", "sub_icb_code", "icb_code",
                    "region_code", "lad_code"):
            assert col in reader.fieldnames, col
        assert sum(1 for _ in reader) == 33_755
    with open_text("devon_lsoa21_to_sites_car_minutes.csv.gz") as f:
        reader = csv.reader(f)
        assert next(reader) == ["origin", "destination", "minutes"]
        assert sum(1 for _ in reader) == 729 * 18
    with open_text("service_catalogue_defaults.csv") as f:
        assert f.readline().startswith("service,")
    with pytest.raises(FileNotFoundError, match="build_package_data"):
        data_path("no_such_file.csv")
