"""Build the data shipped inside the package (inputs/data/) from the project's shared data folder.

    python scripts/build_package_data.py [--shared ../shared/data]

Output is deterministic (gzip with mtime 0, fixed key order), so a rebuild from the same sources
gives identical bytes; MANIFEST.json records every file's sha256 and the sources it came from.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "inputs" / "data"

LSOA_COLUMNS = ["lsoa21_code", "lsoa21_name", "lad_code", "lat", "lon", "pop21_total", "sub_icb_code",
                "icb_code", "region_code"]
BOUNDARIES = {
    "icb_2026.geojson.gz": "boundaries/icb_2026_derived.geojson",
    "sub_icb_2026.geojson.gz": "boundaries/sub_icb_2026_derived.geojson",
    "nhs_region_2026.geojson.gz": "boundaries/nhs_region_2026_derived.geojson",
    "lad_2024.geojson.gz": "boundaries/lad_2024_england_ons_buc.geojson",
}
REGIONS = ["east_of_england", "london", "midlands", "north_east_and_yorkshire", "north_west",
           "south_east", "south_west"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def gz(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9, filename="") as f:
        f.write(data)
    return buf.getvalue()


def round_coords(obj, places: int = 5):
    if isinstance(obj, list):
        return [round_coords(v, places) for v in obj]
    if isinstance(obj, float):
        return round(obj, places)
    return obj


def geojson_small(src: Path) -> bytes:
    """Coordinates rounded to 5 decimals (about 1 m), compact separators."""
    doc = json.loads(src.read_text(encoding="utf-8"))
    for feat in doc.get("features", []):
        geom = feat.get("geometry") or {}
        if "coordinates" in geom:
            geom["coordinates"] = round_coords(geom["coordinates"])
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode("utf-8")


def csv_columns(src: Path, columns: list[str]) -> bytes:
    with open(src, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def wide_to_long(src: Path) -> bytes:
    """LSOA x site matrix → origin,destination,minutes (the travel-time format fedplan reads)."""
    with open(src, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["origin", "destination", "minutes"])
        for row in reader:
            for site, value in zip(header[2:], row[2:]):
                w.writerow([row[0], site, value])
    return buf.getvalue().encode("utf-8")


def build(shared: Path) -> dict:
    OUT.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, dict] = {}

    def put(name: str, data: bytes, sources: list[str]) -> None:
        (OUT / name).write_bytes(data)
        manifest[name] = {"sha256": sha256(data), "bytes": len(data),
                          "sources": {s: sha256((shared / s).read_bytes()) for s in sources}}

    for name in ("england_practices.csv", "england_pcns.csv", "england_sub_icbs.csv"):
        put(name + ".gz", gz((shared / name).read_bytes()), [name])
    put("england_lsoa21.csv.gz", gz(csv_columns(shared / "england_lsoa21.csv", LSOA_COLUMNS)),
        ["england_lsoa21.csv"])
    for name, src in BOUNDARIES.items():
        put(name, gz(geojson_small(shared / src)), [src])
    for region in REGIONS:
        src = f"boundaries/lsoa21_{region}.geojson"
        put(f"lsoa21_{region}.geojson.gz", gz(geojson_small(shared / src)), [src])
    tt = "devon_travel_times"
    put("devon_sites.csv", (shared / tt / "devon_sites.csv").read_bytes(), [f"{tt}/devon_sites.csv"])
    for mode in ("car", "public_transport"):
        src = f"{tt}/devon_lsoa21_to_sites_{mode}_minutes.csv"
        put(f"devon_lsoa21_to_sites_{mode}_minutes.csv.gz", gz(wide_to_long(shared / src)), [src])
    src = f"{tt}/devon_lsoa21_population_mid2022.csv"
    put("devon_lsoa21_population_mid2022.csv.gz", gz((shared / src).read_bytes()), [src])
    for name in ("service_catalogue_defaults.csv", "service_catalogue_sources.md"):
        put(name, (shared / name).read_bytes(), [name])
    put("ATTRIBUTION.md", ATTRIBUTION.encode("utf-8"), ["README.md", "provenance.json"])
    (OUT / "MANIFEST.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


ATTRIBUTION = """# Data shipped with fedplan: sources, licences, caveats

Built by `scripts/build_package_data.py` from the project's shared data folder. Reference dates:
practice frame and PCN membership 1 August 2026; practice list sizes 1 April 2025; PCN and
sub-ICB list sizes 1 August 2026; postcode coordinates OS Code-Point Open 2025.4.0 (October 2025);
LSOA populations Census 2021.

| shipped file | from |
|---|---|
| england_practices.csv.gz | NHS England Digital practice mapping (Aug 2026) + list sizes (Apr 2025) + NHS ODS + OS Code-Point Open coordinates; LSOA by point-in-polygon (ONS) |
| england_pcns.csv.gz, england_sub_icbs.csv.gz | NHS England Digital (Aug 2026) |
| england_lsoa21.csv.gz | ONS LSOA 2021, Census 2021 populations, ONS lookups; centroids derived from Code-Point Open |
| lsoa21_<region>.geojson.gz | ONS LSOA (Dec 2021) boundaries, generalised |
| sub_icb_2026 / icb_2026 / nhs_region_2026 .geojson.gz | derived: unions of ONS LSOA polygons by the 2026 NHS codes |
| lad_2024.geojson.gz | ONS local authority districts (May 2024), ultra-generalised |
| devon_* | HSMA Devon diagnostic-centre case study: car (valhalla) and public transport (r5py) times; ONS mid-2022 LSOA populations |
| service_catalogue_defaults.csv, service_catalogue_sources.md | NHS National Cost Collection, PSSRU Unit Costs, and other cited public figures with stated assumptions |

## Licences and attribution lines

- NHS England Digital / NHS ODS data: Open Government Licence v3.0. Contains public sector
  information licensed under the Open Government Licence v3.0. Source: NHS England.
- OS Code-Point Open: Open Government Licence v3.0. Contains OS data © Crown copyright and database
  right 2025. Contains Royal Mail data © Royal Mail copyright and database right 2025. Contains
  National Statistics data © Crown copyright and database right 2025.
- ONS geography and Census 2021: Open Government Licence v3.0. Source: Office for National
  Statistics licensed under the Open Government Licence v3.0. Contains OS data © Crown copyright
  and database right.
- Derived columns and files are adaptations of the data above and carry the same attributions.
- Devon travel-time matrices: computed from OpenStreetMap data (© OpenStreetMap contributors, Open
  Database Licence) and Bus Open Data Service timetables (OGL v3); published under the MIT licence;
  LSOA populations ONS (OGL v3). Keep the OpenStreetMap attribution; treat as ODbL-derived.
- Service catalogue: NHS National Cost Collection unit costs (NHS England, OGL v3) and Unit Costs of
  Health and Social Care (PSSRU, University of Kent & CHE, University of York, CC BY-NC-SA 4.0) with
  stated assumptions. Keep the PSSRU attribution and its non-commercial, share-alike terms.

## Caveats that matter when reading a plan

- List sizes are from April 2025 while practices and PCNs are from August 2026: practices that
  absorbed a merged practice in between are understated.
- Some practices are special (37 under 1,000 patients: special allocation, homeless health, care
  homes); one digital-first practice (E85124) has over 100,000 patients, more than a federation's
  default maximum on its own.
- 935 practices share a postcode with another practice, so their coordinates are identical.
- All polygons are generalised: fine for maps and approximate point-in-polygon, not exact areas.
  Sub-ICB, ICB and region polygons are derived, not the official April 2026 ONS boundaries.
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    args = ap.parse_args()
    manifest = build(Path(args.shared))
    total = sum(v["bytes"] for v in manifest.values())
    print(f"wrote {len(manifest)} files, {total / 1e6:.1f} MB, to {OUT}")


if __name__ == "__main__":
    main()
