"""The HTML report: self-contained, every section present, every input string escaped, robust to
missing summary keys, and maps drawn without network or global matplotlib state."""
from __future__ import annotations

import re

import numpy as np
import pytest
from factories import ASSIGNMENT, EVIL, EVIL_ESCAPED, MAKE_OR_BUY, OUTLINE, polygons, practices, summary

from fedplan.reports import draw_map, figure_png, figure_svg, render_report, write_report
from fedplan.reports.maps import greedy_colours

SECTIONS = ("headline", "map", "federations", "size", "travel", "makebuy", "baseline", "costs", "solver", "assumptions")


def section(html: str, sid: str) -> str:
    m = re.search(rf"<section id=[\"']{sid}[\"']>(.*?)</section>", html, re.S)
    assert m, sid
    return m.group(1)


def check_offline_and_escaped(html: str, evil_expected: bool = True) -> None:
    assert EVIL not in html
    if evil_expected:
        assert EVIL_ESCAPED in html
    assert not re.search(r"""\b(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"https?://", html, re.I)  # not even namespace URLs in the inline SVG
    low = html.lower()
    assert "<link" not in low and "<script" not in low and "@import" not in low and "<iframe" not in low
    assert "url(http" not in low and "<img" not in low
    for sid in SECTIONS:
        assert re.search(rf"<section id=[\"']{sid}[\"']>", html), sid
    assert html.count("<section") == len(SECTIONS)


@pytest.fixture(scope="module")
def full_html() -> str:
    return render_report(summary(), practices(), ASSIGNMENT, polygons=polygons(), outline=OUTLINE,
                         baseline_polygons=polygons(), log_excerpt="line 1\n" + EVIL, attributions=EVIL,
                         make_or_buy=MAKE_OR_BUY)


def test_full_report_is_offline_escaped_and_complete(full_html):
    check_offline_and_escaped(full_html)
    assert full_html.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in full_html and "default-src 'none'" in full_html
    assert full_html.count("<svg") == 3  # plan, today's PCNs and each practice's distance to its hub
    assert len(full_html) < 5_000_000


def test_headline_wording_and_money(full_html):
    head = section(full_html, "headline")
    assert "not proven optimal" in head
    # gap 10% of the plan cost: the plan is at most (1000 - 900) / 900 = 11.11% above the optimum
    assert "up to 11.11% above the optimum" in head and "10.00%" in head
    assert "−£200" in head and "−16.7%" in head  # saving vs today's PCNs, with a real minus sign
    assert "50% within 25,000–60,000" in head  # federation 2 is above the maximum
    assert "£1,000" in head and "£1,200" in head


def test_federations_table_and_members(full_html):
    fed = section(full_html, "federations")
    assert "3,600 above" in fed  # 63,600 against a maximum of 60,000
    assert "46,000" in fed and "3.0" in fed
    assert f"{EVIL_ESCAPED} (P03)" in fed  # hub name and code
    for code in practices().code:
        assert code in fed
    assert "Federation 2: 7 practices" in fed


def test_federation_shape_measures_come_from_the_polygons(full_html):
    fed = section(full_html, "federations")
    assert "Polsby–Popper" in fed and "Reock" in fed and "Convex hull" in fed
    # each federation is a 25 km x 50 km box: Polsby-Popper = 4π·1250 / 150² = 0.70, Reock = 1250 /
    # (π·27.95²) = 0.51, hull ratio 1
    first = fed[fed.index("<tbody>"):fed.index("</tr>", fed.index("<tbody>"))]
    cells = re.findall(r"<td class='n'>([^<]*)</td>", first)
    assert cells[-3:] == ["0.70", "0.51", "1.00"]


def test_points_only_report_has_no_shape_columns():
    html = render_report(summary(), practices(), ASSIGNMENT)
    assert "Polsby" not in section(html, "federations")


def test_make_or_buy_matrix(full_html):
    mb = section(full_html, "makebuy")
    body = mb[mb.index("<tbody>"):mb.index("</tbody>")]
    rows = re.findall(r"<tr><th>(.*?)</th>(.*?)</tr>", body, re.S)
    by_service = {name: body for name, body in rows}
    assert set(by_service) == {"legal", EVIL_ESCAPED}
    legal = by_service["legal"]
    assert "256,238" in legal and "1 of 2" in legal
    assert re.findall(r"<td class='(n|n make)'[^>]*>(buy|in-house)<br>", legal) == [("n", "buy"), ("n make", "in-house")]
    assert "£49k" in legal and "£52k" in legal
    assert "£1.5k" in by_service[EVIL_ESCAPED] and "£0.9k" in by_service[EVIL_ESCAPED]
    assert "never" in by_service[EVIL_ESCAPED]  # no break-even recorded
    assert "<td class='n'>£50k</td><td class='n'>£53k</td>" in mb  # per-federation totals
    assert "optimised together" not in mb  # the summary does not say whether make-or-buy was joint


def test_make_or_buy_rows_as_dicts_and_joint_wording():
    rows = [{"federation_id": "1", "service": "estates", "mode": "inhouse", "cost_gbp": "94010.00",
             "break_even_population": "67356"}, {"service": ""}, "junk", (1,)]
    s = summary()
    s["parameters"] = {"make_or_buy_in_objective": True, "shared_hub_gbp": 25000.0}
    mb = section(render_report(s, practices(), ASSIGNMENT, make_or_buy=rows), "makebuy")
    assert "estates" in mb and "67,356" in mb and "£94k" in mb and "1 of 2" in mb
    assert "optimised together with the boundaries" in mb and "£25,000" in mb
    none = section(render_report(summary(), practices(), ASSIGNMENT), "makebuy")
    assert "No make-or-buy table" in none


def test_baseline_lists_practices_split_from_their_pcn(full_html):
    base = section(full_html, "baseline")
    assert "U1" in base and "Two PCN" in base
    # U1 (P00-P05) is split 5 / 1; U2 (P06-P10) is whole; P11 has no PCN
    assert "1 of 2 PCNs with two or more practices stay whole" in base
    assert "<b>6</b> practices are in a federation that does not contain all" in base
    assert "<b>1</b> practices would leave" in base
    table = base[base.index("<table", base.index("stay whole")):]
    assert sorted(re.findall(r"\((P\d\d)\)", table)) == [f"P{i:02d}" for i in range(6)]
    assert "(most of the PCN's patients)" in table and f"{EVIL_ESCAPED} (U1)" in table


def test_costs_side_by_side(full_html):
    costs = section(full_html, "costs")
    assert "£300" in costs and "£150" in costs and "+£150" in costs  # access: plan, today, difference
    assert "£700" in costs and "£1,050" in costs and "−£350" in costs
    assert "£1,000" in costs and "£1,200" in costs and "−£200" in costs  # totals


def test_solver_and_assumptions(full_html):
    solver = section(full_html, "solver")
    assert "cbc CBC 2.10" in solver and "1.5 s" in solver and "10.0000%" in solver
    assert "branch and price" in solver
    assert "<pre>line 1\n" + EVIL_ESCAPED + "</pre>" in solver
    ass = section(full_html, "assumptions")
    assert "£252,530" in ass and "0.348" in ass and "25,000" in ass
    assert f"<pre>{EVIL_ESCAPED}</pre>" in ass


def test_optimal_is_worded_as_proven():
    s = summary() | {"status": "optimal", "gap": 0.0, "bound_gbp": 1000.0}
    html = render_report(s, practices(), ASSIGNMENT)
    assert "proven optimal" in html.lower() and "not proven" not in html
    # the status card says it once, and its detail says what the proof is
    card = html[html.index("<span class='l'>Status</span>"):]
    card = card[:card.index("</div>")]
    assert card.lower().count("proven optimal") == 1 and "lower bound equals" in card
    check_offline_and_escaped(html)


@pytest.mark.parametrize("s", [
    {}, {"status": "error"}, {"status": "infeasible", "message": EVIL},
    {"status": "feasible", "objective_gbp": None, "bound_gbp": None, "gap": None, "baseline": None,
     "federations": None, "cost_breakdown": None, "bounds": None, "parameters": None, "warnings": None},
    {"status": "feasible", "gap": float("inf"), "objective_gbp": "n/a", "federations": [{"id": 1}, "junk"],
     "baseline": {"federations": [{}]}, "bounds": {"min_population": 25000}},
])
def test_report_renders_with_minimal_or_odd_summaries(s):
    plan = s.get("status") == "feasible"
    html = render_report(s, practices(), ASSIGNMENT if plan else np.zeros(12, int))
    # with a plan the practice named EVIL is listed; without one, no input text may be shown raw
    check_offline_and_escaped(html, evil_expected=plan or "message" in s)


def test_error_status_has_no_plan_and_says_so():
    html = render_report({"status": "error", "message": "time limit reached before any plan"}, practices(),
                         [0] * 12, outline=OUTLINE, baseline_polygons=polygons())
    head = section(html, "headline")
    assert "No plan" in head and "time limit reached before any plan" in head
    assert "No federations" in section(html, "federations")
    assert "No baseline was recorded" in section(html, "baseline")
    assert html.count("<svg") == 2


def test_points_map_without_polygons_and_wrong_length_assignment():
    html = render_report(summary(), practices(), [1, 2, 3])
    check_offline_and_escaped(html)
    assert "The assignment has 3 entries for 12 practices" in html
    html = render_report(summary(), practices(), ASSIGNMENT)
    # the federation map and the travel section's map of each practice's distance to its hub
    assert html.count("<svg") == 2 and "coloured by its federation" in html


def test_svg_ids_are_unique_across_maps(full_html):
    ids = re.findall(r'\bid="([^"]+)"', full_html)
    assert len(ids) == len(set(ids))
    for ref in re.findall(r'href="#([^"]+)"', full_html):
        assert ref in ids or ref in SECTIONS


def test_same_inputs_same_file():
    a = render_report(summary(), practices(), ASSIGNMENT, polygons=polygons(), outline=OUTLINE)
    b = render_report(summary(), practices(), ASSIGNMENT, polygons=polygons(), outline=OUTLINE)
    assert a == b


def test_map_helpers_and_matplotlib_state(tmp_path):
    import matplotlib

    backend, rc = matplotlib.get_backend(), dict(matplotlib.rcParams)
    fig = draw_map(practices(), ASSIGNMENT, polygons=polygons().to_crs(4326), outline=OUTLINE, hubs=[0, 3])
    svg = figure_svg(fig, "t", label=EVIL)
    assert svg.startswith("<svg") and EVIL not in svg and "http" not in svg
    png = figure_png(fig, tmp_path / "m.png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and (tmp_path / "m.png").stat().st_size == len(png)
    assert matplotlib.get_backend() == backend
    assert {k: v for k, v in matplotlib.rcParams.items() if k != "backend"} == \
        {k: v for k, v in rc.items() if k != "backend"}


def test_greedy_colouring_separates_neighbours():
    # a wheel: centre touches all five rim cells, rim cells touch their two neighbours
    nb = [{1, 2, 3, 4, 5}, {0, 2, 5}, {0, 1, 3}, {0, 2, 4}, {0, 3, 5}, {0, 4, 1}]
    colours = greedy_colours(nb)
    assert all(colours[a] != colours[b] for a in range(6) for b in nb[a])
    assert greedy_colours([{1}, {0}], n_colours=1) == [0, 0]  # degrades, never fails


def test_write_report(tmp_path):
    path = write_report(tmp_path / "report.html", "<!DOCTYPE html><p>£ – ★</p>")
    assert path.read_text(encoding="utf-8") == "<!DOCTYPE html><p>£ – ★</p>"
