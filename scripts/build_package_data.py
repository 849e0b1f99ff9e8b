"""Build the data shipped inside the package (inputs/data/) from the project's shared data folder.

    python scripts/build_package_data.py [--shared ../shared/data] [--out inputs/data]

Output is deterministic (gzip with mtime 0 and no file name, fixed key order, "\n" line ends), so
a rebuild from the same sources gives identical bytes and the lead can see real changes in a diff.
MANIFEST.json records every shipped file's sha256 and size and the sources (with their sha256) it
came from. Only the standard library is used, so the script runs before the package is installed.
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

# The demand points need codes, names, a point and the population; the age bands, rural-urban
# class, postcode counts and 2024 lookup codes are left out to keep the wheel small.
LSOA_COLUMNS = ["lsoa21_code", "lsoa21_name", "lad_code", "lad_name", "lat", "lon", "pop21_total",
                "sub_icb_code", "sub_icb_ons_code", "icb_code", "icb_ons_code", "region_code"]
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
    """gzip with a fixed header (mtime 0, no file name) so equal input gives equal bytes."""
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
    """The named columns of a CSV, in that order (a missing column is an error, not a blank)."""
    with open(src, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise SystemExit(f"{src}: missing columns {missing}")
        rows = list(reader)
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
        # columns 0 and 1 are lsoa21_code and lsoa21_name; every further column is a site
        if header[:2] != ["lsoa21_code", "lsoa21_name"]:
            raise SystemExit(f"{src}: expected lsoa21_code,lsoa21_name,<sites...>, got {header[:3]}")
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["origin", "destination", "minutes"])
        for row in reader:
            for site, value in zip(header[2:], row[2:]):
                w.writerow([row[0], site, value])
    return buf.getvalue().encode("utf-8")


def build(shared: Path, out: Path = OUT) -> dict:
    """Write every shipped file to ``out`` and return the manifest (also written as MANIFEST.json)."""
    if not (shared / "README.md").is_file():
        raise SystemExit(f"{shared} does not look like the shared data folder (no README.md); use --shared")
    out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, dict] = {}

    def put(name: str, data: bytes, sources: list[str]) -> None:
        (out / name).write_bytes(data)
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
    (out / "MANIFEST.json").write_bytes((json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode("utf-8"))
    return manifest


ATTRIBUTION = """# Data shipped with fedplan: sources, licences, caveats

fedplan's code is MIT-licensed; the data files in this folder keep their own licences, listed
below. They were built by `scripts/build_package_data.py` from the project's shared data folder
(real published public-sector data; nothing made up). `MANIFEST.json` gives every file's sha256
and the source files it was built from.

## Reference dates

- Practice frame and PCN membership: **1 August 2026** (NHS England Digital practice mapping).
- Practice list sizes: **1 April 2025**, the newest practice-level totals available (caveat C1).
- PCN and sub-ICB list sizes: 1 August 2026.
- Postcode coordinates: OS Code-Point Open **2025.4.0 (October 2025)**.
- LSOA populations: **Census 2021**; LSOA boundaries December 2021; LAD boundaries May 2024.
- Devon travel times: 2026 case study; LSOA populations ONS mid-2022.

## Which shipped file comes from which source

| shipped file | from (source keys below) | licence |
|---|---|---|
| england_practices.csv.gz | practice mapping Aug 2026 (S1), list sizes Apr 2025 (S3), PCN totals (S2), ODS status (S4), Code-Point Open coordinates (S5), LSOA by point-in-polygon (S6) | L1, L2, L3, L4 |
| england_pcns.csv.gz, england_sub_icbs.csv.gz | S1, S2, S3; sub-ICB Census 2021 population (S8) | L1, L3, L4 |
| england_lsoa21.csv.gz | ONS LSOA 2021 (S6), Census 2021 (S8), ONS lookups (S7); points derived from Code-Point Open (S5). Columns reduced to codes, names, point, population | L2, L3, L4 |
| lsoa21_<region>.geojson.gz (7 files) | ONS LSOA (Dec 2021) BSC boundaries (S6), simplified | L3, L4 |
| sub_icb_2026.geojson.gz, icb_2026.geojson.gz, nhs_region_2026.geojson.gz | **derived**: unions of the LSOA polygons grouped by the 2026 NHS codes (S1, S6, S7) | L3, L4 |
| lad_2024.geojson.gz | ONS local authority districts May 2024, ultra-generalised (S7) | L3 |
| devon_sites.csv, devon_lsoa21_to_sites_car_minutes.csv.gz, devon_lsoa21_to_sites_public_transport_minutes.csv.gz, devon_lsoa21_population_mid2022.csv.gz | HSMA Devon diagnostic-centre case study (S9): car times (valhalla), public transport times (r5py), ONS mid-2022 populations. The matrices are reshaped to `origin,destination,minutes` | L5 |
| service_catalogue_defaults.csv, service_catalogue_sources.md | NHS National Cost Collection, PSSRU Unit Costs of Health and Social Care and other cited figures, with stated assumptions (sources and derivations in service_catalogue_sources.md) | L6 |

GeoJSON coordinates are WGS84 longitude/latitude rounded to 5 decimals (about 1 m).

## Sources

| key | data | repository @ commit |
|---|---|---|
| S1 | NHS England Digital, Patients Registered at a GP Practice: practice mapping, 1 Aug 2026 | robg-test/icb-map @ e3b3d923c14e123fd01263fec87300be7dbb8844 |
| S2 | same publication: single year of age by region / ICB / sub-ICB / PCN, 1 Aug 2026 | robg-test/icb-map @ e3b3d923c14e123fd01263fec87300be7dbb8844 |
| S3 | same publication: totals per GP practice, 1 Apr 2025 | Lyra-cb/NHS_Data_Explorer @ 3d6705ba896da8ec0f3624ae58d50b2195f313e3 |
| S4 | NHS ODS GP practice file (epraccur, amended to 1 Jul 2026) | Lyra-cb/NHS_Data_Explorer @ 3d6705ba896da8ec0f3624ae58d50b2195f313e3 |
| S5 | Ordnance Survey (OS) Code-Point Open 2025.4.0 | A-makarim/UCL-CSRI @ c356a23737e8e33008ddf3b3d9e5536da4d50384 |
| S6 | ONS LSOA (Dec 2021) Boundaries EW BSC V4 | humaniverse/geographr @ c026be5cc76cb576358082b53f1f13d69ab577ae |
| S7 | ONS LSOA21 to SICBL24 to ICB24 lookup (Apr 2024), 2021 rural-urban classification, LAD May 2024 BUC | humaniverse/geographr @ c026be5cc76cb576358082b53f1f13d69ab577ae |
| S8 | ONS Census 2021 usual residents by LSOA 2021 and age group | cwthom/hack25usefuldata @ ac00fc579549da8d5c48a4736b5b4162fcaebb32 |
| S9 | HSMA Devon diagnostic-centre travel times and populations | Bergam0t/geographic_or_ds_playground @ d2c0a749962cc8683db8504d9a23233824a4884c |

## Licences and attribution lines (keep them with any reuse)

- **L1** NHS England Digital / NHS ODS data: Open Government Licence v3.0. *Contains public
  sector information licensed under the Open Government Licence v3.0.* Source: NHS England.
- **L2** Ordnance Survey Code-Point Open: Open Government Licence v3.0. *Contains OS data © Crown
  copyright and database right 2025. Contains Royal Mail data © Royal Mail copyright and database
  right 2025. Contains National Statistics data © Crown copyright and database right 2025.*
- **L3** ONS geography and Census 2021: Open Government Licence v3.0. *Source: Office for
  National Statistics (ONS) licensed under the Open Government Licence v3.0. Contains OS data ©
  Crown copyright and database right.* (Boundary years 2021-2024.)
- **L4** Derived columns and files are adaptations of the data above and carry the same
  attributions.
- **L5** Devon travel-time matrices: computed from OpenStreetMap data (© OpenStreetMap
  contributors, Open Database Licence, ODbL) and Bus Open Data Service timetables (OGL v3);
  published in a repository under the MIT licence; LSOA populations are ONS data (OGL v3). Keep
  the OpenStreetMap attribution with any use, and treat these files as ODbL-derived, not OGL.
- **L6** Service catalogue: NHS National Cost Collection unit costs (NHS England, OGL v3), Unit
  Costs of Health and Social Care (PSSRU, University of Kent & CHE, University of York, CC
  BY-NC-SA 4.0) and other cited public figures with stated assumptions. Keep the PSSRU
  attribution and its non-commercial, share-alike terms with any reuse.

## Caveats that matter when reading a plan

- **C1 List-size dates.** Practice list sizes are from 1 April 2025 while practices and PCNs are
  from 1 August 2026: practices that absorbed a merged practice in between are understated (in
  about 10 PCNs the Aug 2026 PCN total is over 1.5 times the sum of its members' Apr 2025 lists).
  `est_registered_patients_2026_08` spreads the PCN total pro rata: a model, not a published figure.
- **C2 Special practices.** 37 practices have under 1,000 patients (special allocation, homeless
  health, care homes, new or closing practices; one has a single patient). One digital-first
  practice (E85124, GP at Hand) has over 100,000 patients, more than a federation's default
  maximum on its own. Exclude them if the plan should cover ordinary practices only.
- **C3 Shared sites.** 935 practices share a postcode with another practice, so their coordinates
  are identical; fedplan's geography groups them into one site.
- **C4 Boundary vintages.** Sub-ICB, ICB and region polygons are derived from LSOAs with the 2024
  ONS lookup plus a rule for the three sub-ICBs re-formed in April 2026; they are not the official
  April 2026 ONS boundaries. About 1% of practices lie outside their own sub-ICB polygon (their
  commissioner differs from where their premises are).
- **C5 Generalisation.** All polygons are generalised (ONS BSC/BUC, then simplified): fine for
  maps and approximate point-in-polygon tests, not for exact area statistics.
- **C7 Devon travel times.** Public-transport minutes use 9999 for "unreachable" (109 cells); the
  matrices cover Devon LSOAs to 18 sites only (no England-wide matrix is shipped).
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"),
                    help="the shared data folder (default: ../shared/data next to the repository)")
    ap.add_argument("--out", default=str(OUT), help="where to write (default: inputs/data)")
    args = ap.parse_args()
    out = Path(args.out)
    manifest = build(Path(args.shared), out)
    total = sum(v["bytes"] for v in manifest.values())
    print(f"wrote {len(manifest)} files + MANIFEST.json, {total / 1e6:.2f} MB, to {out}")


if __name__ == "__main__":
    main()
