"""The HTML report: self-contained, every section present, every input string escaped."""
from __future__ import annotations

import re

import numpy as np
import shapely

from inputs.model import Practices
from reports import render_report

EVIL = "<script>alert(1)</script>"


def practices() -> Practices:
    n = 12
    rng = np.random.default_rng(0)
    xy = np.c_[rng.uniform(250_000, 300_000, n), rng.uniform(60_000, 110_000, n)]
    names = [f"Surgery {i}" for i in range(n)]
    names[3] = EVIL
    return Practices(source="t", code=tuple(f"P{i:02d}" for i in range(n)), list_size=np.full(n, 9000),
                     lat=np.full(n, np.nan), lon=np.full(n, np.nan), easting=xy[:, 0], northing=xy[:, 1],
                     name=tuple(names), pcn_code=tuple(["U1"] * 6 + ["U2"] * 6),
                     pcn_name=tuple([EVIL] * 6 + ["Two PCN"] * 6))


def summary():
    return {"status": "feasible", "objective_gbp": 1000.0, "bound_gbp": 900.0, "gap": 0.1, "runtime_s": 1.0,
            "solver": "cbc", "area": EVIL, "n_practices": 12, "population": 108000, "n_federations": 2,
            "bounds": {"min_population": 25000, "max_population": 100000},
            "federations": [{"id": 1, "population": 54000, "n_practices": 6, "hub": "P00", "hub_name": "Surgery 0",
                             "cost_gbp": 500.0, "max_distance_km": 3.0},
                            {"id": 2, "population": 54000, "n_practices": 6, "hub": "P03", "hub_name": EVIL,
                             "cost_gbp": 500.0, "max_distance_km": 4.0}],
            "baseline": {"objective_gbp": 1200.0, "n_federations": 2, "in_range_share": 1.0,
                         "federations": [{"id": "U1", "name": EVIL, "population": 54000}],
                         "cost_breakdown": {"access": 200.0, "federation_fixed": 1000.0}},
            "cost_breakdown": {"access": 300.0, "federation_fixed": 700.0}, "message": EVIL, "verified": True}


SECTIONS = ("headline", "map", "federations", "baseline", "costs", "solver", "assumptions")


def check_offline_and_escaped(html: str) -> None:
    assert EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "<link" not in html.lower() and "<script" not in html.lower() and "@import" not in html
    for sec in SECTIONS:
        assert f"id='{sec}'" in html, sec


def test_report_with_polygons():
    import geopandas as gpd

    p = practices()
    assignment = np.array([1] * 6 + [2] * 6)
    polys = gpd.GeoDataFrame({"federation_id": [1, 2]},
                             geometry=[shapely.box(250_000, 60_000, 275_000, 110_000),
                                       shapely.box(275_000, 60_000, 300_000, 110_000)], crs=27700)
    html = render_report(summary(), p, assignment, polygons=polys, outline=shapely.box(250_000, 60_000, 300_000, 110_000),
                         baseline_polygons=polys, log_excerpt=EVIL, attributions=EVIL)
    check_offline_and_escaped(html)
    assert "not proven optimal" in html and "10.000%" in html
    assert "−£200" in html  # plan minus baseline, a saving, shown with a proper minus sign
    assert len(html) < 5_000_000


def test_report_renders_with_a_minimal_summary():
    p = practices()
    html = render_report({"status": "error"}, p, np.zeros(12, int))
    for sec in SECTIONS:
        assert f"id='{sec}'" in html
    assert "<script" not in html.lower()


def test_optimal_is_worded_as_proven():
    s = summary() | {"status": "optimal", "gap": 0.0, "bound_gbp": 1000.0}
    html = render_report(s, practices(), np.array([1] * 6 + [2] * 6))
    assert "proven optimal" in html and "not proven" not in html
