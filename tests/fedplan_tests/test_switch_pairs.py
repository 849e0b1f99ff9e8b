"""Every pair of scenario switches, planned on a small real area through the CLI, and every rule
of each plan re-checked here from ``assignment.csv``, ``summary.json`` and the shipped practice
table with this file's own plain code.

The area is sub-ICB 02M (NHS Lancashire and South Cumbria ICB - 02M, Fylde and Wyre): 18
practices, 187,463 patients, 7 PCNs, two local authorities (Wyre, 11 practices, and Fylde, 7),
four pairs of practices sharing a building. Bounds 15,000-60,000 give it four or more federations,
so that counts, nesting, pairs and hubs all have room to bite.

The rows are a covering design built below by a plain greedy algorithm (fixed seed): every pair
of values of two different switches appears in at least one row. Two pairs are invalid by
definition (contiguity with the compact method; a work limit with HiGHS): no planned row holds
them, and each has a row of its own that must be refused with exit 2 and a message naming the
switch. Every other row must end in exit 0 (a verified plan that meets every rule) or exit 3
(the rules cannot be met, said in words); exit 1 (no plan in the time limit) or 4 (failed
verification) fails the test.
"""
from __future__ import annotations

import csv
import gzip
import itertools
import json
import math
import random
import socket
import traceback
from collections import defaultdict
from pathlib import Path

import pytest

from fedplan.cli import main

AREA = "02M"
MIN_POP, MAX_POP = 15_000, 60_000
TIME_LIMIT_S = 20
SEED = 20261207          # the covering design's random tie-breaks
TRIES = 40               # candidate rows built per greedy step

# real practice codes of 02M for the pair, lock and candidate switches
TOGETHER = [["P81087", "P81089"]]       # Over-Wyre and Mount View: two PCNs, 2.3 km apart (Wyre)
APART = [["P81079", "P81133"]]          # Thornton and the Village Practice: one building, two PCNs (Wyre)
LOCKS = {"P81128": "P81129"}            # Kirkham hosted by Ash Tree House, 0.5 km away (Fylde)
HUB_CANDIDATES = ["P81006", "P81037", "P81089", "P81129", "P81191"]   # 3 in Wyre, 2 in Fylde
EXCLUDE = ["P81742"]                    # Beechwood Surgery, 2,598 patients, named by no other switch
N_FEDERATIONS = 5
MAX_DISTANCE_KM = 12.0
MAX_TRAVEL_MINUTES = 20.0               # minutes = 1.5 x km + 2: at most 12 km, like the distance limit
DISRUPTION = 50.0
GAP = 0.02
WORK_LIMIT = 3.0

# every switch and its values; the first value is "off" (the default)
SWITCHES: dict[str, tuple] = {
    "soft": (False, True),
    "together": (False, True),
    "apart": (False, True),
    "locks": (False, True),
    "hub_candidates": (False, True),
    "nest_within": ("none", "lad"),
    "contiguity": (False, True),
    "n_federations": (None, N_FEDERATIONS),
    "max_distance_km": (None, MAX_DISTANCE_KM),
    "max_travel_minutes": (None, MAX_TRAVEL_MINUTES),
    "disruption": (0.0, DISRUPTION),
    "exclude": (False, True),
    "gap": (0.0, GAP),
    "work_limit": (None, WORK_LIMIT),
    "method": ("branch_price", "compact"),
    "solver": ("cbc", "cpsat", "highs", "scip"),
}
NAMES = list(SWITCHES)
# pairs invalid by definition -> words the exit-2 message must hold
INVALID = {
    frozenset({("contiguity", True), ("method", "compact")}): ("contiguity", "branch_price"),
    frozenset({("work_limit", WORK_LIMIT), ("solver", "highs")}): ("work_limit", "highs"),
}
# the same pairs as (switch index, value index), the greedy's own terms
_INVALID_IDX = {frozenset((NAMES.index(n), SWITCHES[n].index(v)) for n, v in pair) for pair in INVALID}


# ------------------------------------------------------------------ the covering design


def _pairs(row: tuple[int, ...]) -> set:
    """The (switch, value) pairs a row of value indices covers."""
    return {((i, row[i]), (j, row[j])) for i, j in itertools.combinations(range(len(row)), 2)}


def _valid(pair) -> bool:
    return frozenset(pair) not in _INVALID_IDX


def covering_design(seed: int = SEED, tries: int = TRIES) -> list[tuple[int, ...]]:
    """Rows of value indices covering every valid pair of values of two switches, no row holding
    an invalid pair. Greedy: each step builds ``tries`` candidate rows (each starts from an
    uncovered pair, then gives every other switch, in a random order, the value that covers most
    uncovered pairs with the switches already set, ties broken at random) and keeps the one that
    covers most uncovered pairs. Every candidate covers its starting pair, so the loop ends."""
    rng = random.Random(seed)
    sizes = [len(SWITCHES[n]) for n in NAMES]
    uncovered = {((i, a), (j, b)) for i, j in itertools.combinations(range(len(sizes)), 2)
                 for a in range(sizes[i]) for b in range(sizes[j])}
    uncovered = {p for p in uncovered if _valid(p)}
    rows: list[tuple[int, ...]] = []
    while uncovered:
        pool = sorted(uncovered)
        best, best_gain = None, -1
        for _ in range(tries):
            (i, a), (j, b) = rng.choice(pool)
            row: dict[int, int] = {i: a, j: b}
            rest = [k for k in range(len(sizes)) if k not in row]
            rng.shuffle(rest)
            for k in rest:
                scored = []
                for v in range(sizes[k]):
                    links = [tuple(sorted(((k, v), (m, w)))) for m, w in row.items()]
                    if not all(_valid(p) for p in links):
                        continue
                    scored.append((sum(p in uncovered for p in links), rng.random(), v))
                row[k] = max(scored)[2]
            cand = tuple(row[k] for k in range(len(sizes)))
            gain = len(_pairs(cand) & uncovered)
            if gain > best_gain:
                best, best_gain = cand, gain
        rows.append(best)
        uncovered -= _pairs(best)
    return rows


def _as_values(row: tuple[int, ...]) -> dict:
    return {n: SWITCHES[n][v] for n, v in zip(NAMES, row)}


def _invalid_rows() -> list[dict]:
    """One row per invalid pair: everything off except that pair."""
    out = []
    for pair in INVALID:
        row = {n: SWITCHES[n][0] for n in NAMES}
        row.update(dict(pair))
        out.append(row)
    return out


def _invalid_pair_of(row: dict) -> frozenset:
    on = {(n, row[n]) for n in NAMES if row[n] != SWITCHES[n][0]} | {("method", row["method"]),
                                                                      ("solver", row["solver"])}
    (pair,) = [p for p in INVALID if p <= on]
    return pair


DESIGN = [_as_values(r) for r in covering_design()]


def _row_id(row: dict) -> str:
    on = [n if isinstance(row[n], bool) else f"{n}={row[n]}" for n in NAMES
          if row[n] != SWITCHES[n][0] and n not in ("method", "solver")]
    return f"{row['method']}-{row['solver']}-" + ("+".join(on) or "plain")


# ------------------------------------------------------------------ the area and its files


def _area_rows() -> dict[str, dict]:
    """The shipped practice rows of the area, read here with the csv module."""
    from fedplan.inputs.data import data_path

    with gzip.open(data_path("england_practices.csv.gz"), "rt", encoding="utf-8") as f:
        return {r["practice_code"]: r for r in csv.DictReader(f) if r["sub_icb_code"] == AREA}


AREA_ROWS = _area_rows()


def _km(a: str, b: str) -> float:
    ra, rb = AREA_ROWS[a], AREA_ROWS[b]
    return math.hypot(float(ra["easting"]) - float(rb["easting"]),
                      float(ra["northing"]) - float(rb["northing"])) / 1000.0


def _minutes_table() -> dict[tuple[str, str], float]:
    return {(a, b): round(1.5 * _km(a, b) + 2.0, 2) for a in AREA_ROWS for b in AREA_ROWS if a != b}


MINUTES = _minutes_table()


@pytest.fixture(scope="module")
def travel_times(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("travel") / "times.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["origin", "destination", "minutes"])
        for (a, b), m in sorted(MINUTES.items()):
            w.writerow([a, b, f"{m:.2f}"])
    return path


def _toml_list(codes) -> str:
    return "[" + ", ".join(f'"{c}"' for c in codes) + "]"


def scenario_text(row: dict, travel_times: Path) -> str:
    """The scenario TOML of a row."""
    area = [f'sub_icb = "{AREA}"']
    if row["exclude"]:
        area.append(f"exclude = {_toml_list(EXCLUDE)}")
    inputs = [f'travel_times = "{travel_times.as_posix()}"'] if row["max_travel_minutes"] is not None else []
    bounds = [f"min_population = {MIN_POP}", f"max_population = {MAX_POP}"]
    if row["soft"]:
        bounds.append("soft = true")
    cons = []
    if row["together"]:
        cons.append("together = [" + ", ".join(_toml_list(p) for p in TOGETHER) + "]")
    if row["apart"]:
        cons.append("apart = [" + ", ".join(_toml_list(p) for p in APART) + "]")
    if row["locks"]:
        cons.append("locks = { " + ", ".join(f'{p} = "{h}"' for p, h in LOCKS.items()) + " }")
    if row["hub_candidates"]:
        cons.append(f"hub_candidates = {_toml_list(HUB_CANDIDATES)}")
    if row["nest_within"] != "none":
        cons.append(f'nest_within = "{row["nest_within"]}"')
    if row["contiguity"]:
        cons.append("contiguity = true")
    if row["n_federations"] is not None:
        cons.append(f"n_federations = {row['n_federations']}")
    if row["max_distance_km"] is not None:
        cons.append(f"max_distance_km = {row['max_distance_km']}")
    if row["max_travel_minutes"] is not None:
        cons.append(f"max_travel_minutes = {row['max_travel_minutes']}")
    costs = [f"disruption_gbp_per_patient = {row['disruption']}"] if row["disruption"] else []
    # the rules' prices are re-solves of their own (tests/fedplan_tests/test_size_rules.py checks
    # them); here every row checks one plan against its rules
    solve = [f'method = "{row["method"]}"', f'solver = "{row["solver"]}"', f"time_limit_s = {TIME_LIMIT_S}",
             "threads = 1", "seed = 0", "price_rules = false"]
    if row["gap"]:
        solve.append(f"gap = {row['gap']}")
    if row["work_limit"] is not None:
        solve.append(f"work_limit = {row['work_limit']}")
    # the risk term off: it curves g(N), and with it nearly every row ran to its 20 s limit
    # unproven (about 20 s a row); the rows check the switches' rules, which do not depend on the
    # shape of g. Make-or-buy's stepped g(N) stays in (test_joint.py covers risk).
    risk = ["enabled = false"]
    parts = [("area", area), ("inputs", inputs), ("bounds", bounds), ("constraints", cons), ("costs", costs),
             ("risk", risk), ("solve", solve)]
    return "".join(f"[{name}]\n" + "".join(line + "\n" for line in lines) for name, lines in parts if lines)


# ------------------------------------------------------------------ driving the CLI


@pytest.fixture
def no_network(monkeypatch):
    """Planning must need no network: every connection attempt fails the run."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def run_row(row: dict, tmp_path: Path, travel_times: Path, capsys) -> tuple[int, str, Path, str]:
    text = scenario_text(row, travel_times)
    toml = tmp_path / "scenario.toml"
    toml.write_text(text, encoding="utf-8")
    out = tmp_path / "run"
    try:
        rc = main(["plan", str(toml), "--out", str(out), "--quiet"])
    except BaseException:   # noqa: BLE001 - SystemExit included: the CLI must return its code
        pytest.fail(f"the CLI raised instead of returning an exit code:\n{traceback.format_exc()}\n"
                    f"scenario:\n{text}")
    err = capsys.readouterr().err
    assert isinstance(rc, int), f"the CLI returned {rc!r}, not an exit code\nscenario:\n{text}"
    assert "Traceback" not in err, f"{err}\nscenario:\n{text}"
    return rc, err, out, text


# ------------------------------------------------------------------ the tests


def test_design_covers_every_valid_pair_and_no_invalid_one():
    rows = covering_design()
    assert rows == covering_design(), "the design must not change from run to run"
    covered = set().union(*(_pairs(r) for r in rows))
    sizes = [len(SWITCHES[n]) for n in NAMES]
    wanted = {((i, a), (j, b)) for i, j in itertools.combinations(range(len(sizes)), 2)
              for a in range(sizes[i]) for b in range(sizes[j])}
    assert {p for p in wanted if _valid(p)} <= covered
    assert not any(frozenset(p) in _INVALID_IDX for p in covered)
    # together with the refusal rows, every pair of values appears in some row
    refused = set().union(*(_pairs(tuple(SWITCHES[n].index(r[n]) for n in NAMES)) for r in _invalid_rows()))
    assert wanted <= covered | refused
    assert 8 <= len(rows) <= 40, len(rows)


def test_the_switch_values_fit_the_area():
    """The codes the switches name are practices of 02M, and the limits are real ones."""
    codes = set(AREA_ROWS)
    assert 10 <= len(codes) <= 20
    named = {c for p in TOGETHER + APART for c in p} | set(LOCKS) | set(LOCKS.values()) | set(HUB_CANDIDATES)
    assert named <= codes and set(EXCLUDE) <= codes and not (named & set(EXCLUDE))
    assert set(LOCKS.values()) <= set(HUB_CANDIDATES)
    assert len({r["lad_code"] for r in AREA_ROWS.values()}) == 2, "nest_within = lad must split the area"
    assert len({r["pcn_code"] for r in AREA_ROWS.values()}) >= 3
    assert max(_km(a, b) for a in codes for b in codes) > MAX_DISTANCE_KM


@pytest.mark.parametrize("row", _invalid_rows(), ids=_row_id)
def test_invalid_pair_is_refused(row, tmp_path, travel_times, capsys, no_network):
    rc, err, out, text = run_row(row, tmp_path, travel_times, capsys)
    words = INVALID[_invalid_pair_of(row)]
    assert rc == 2, f"exit {rc}, expected 2\n{err}\nscenario:\n{text}"
    for w in words:
        assert w in err, f"{w!r} not in the message: {err}"
    assert "scenario.toml" in err and "Fix:" in err, f"the message must name the file and a fix: {err}"
    assert not out.exists(), "nothing may be written on bad input"


@pytest.mark.parametrize("row", DESIGN, ids=_row_id)
def test_switch_pair_row(row, tmp_path, travel_times, capsys, no_network):
    rc, err, out, text = run_row(row, tmp_path, travel_times, capsys)
    if rc == 3:
        assert "no plan can meet these rules" in err and "  - " in err, f"exit 3 without reasons: {err}"
        assert not out.exists(), "nothing may be written when the rules cannot be met"
        return
    if rc == 4:
        summary = json.loads((out / "summary.json").read_text())
        pytest.fail(f"exit 4 (failed verification): {summary.get('verification_problems')}\n{err}\n"
                    f"scenario:\n{text}")
    assert rc == 0, f"exit {rc}\n{err}\nscenario:\n{text}"
    problems = check_run(row, out)
    assert not problems, "\n".join(problems) + f"\nscenario:\n{text}"


# ------------------------------------------------------------------ the re-check


def check_run(row: dict, out: Path) -> list[str]:
    """Every rule of the row, re-checked from the run directory and the shipped practice table."""
    summary = json.loads((out / "summary.json").read_text())
    with (out / "assignment.csv").open(newline="", encoding="utf-8") as f:
        lines = list(csv.DictReader(f))
    problems: list[str] = []

    def need(ok: bool, what: str) -> None:
        if not ok:
            problems.append(what)

    need(summary["verified"] is True, f"summary says verified = {summary['verified']!r}: "
                                      f"{summary.get('verification_problems')}")
    checked_before = len(problems)
    excluded = set(EXCLUDE) if row["exclude"] else set()
    participating = set(AREA_ROWS) - excluded
    codes = [r["practice_code"] for r in lines]
    need(len(codes) == len(set(codes)), "a practice is listed twice in assignment.csv")
    need(set(codes) == participating, f"assignment.csv lists {sorted(set(codes) ^ participating)} wrongly")
    need(not (set(codes) & excluded), f"excluded practices {sorted(set(codes) & excluded)} are in the plan")
    if len(problems) > checked_before:
        return problems     # the rules below are about the participating practices
    fed_of = {r["practice_code"]: int(r["federation_id"]) for r in lines}
    members: dict[int, list[str]] = defaultdict(list)
    for code, fid in fed_of.items():
        members[fid].append(code)
    size = {c: int(AREA_ROWS[c]["registered_patients"]) for c in participating}
    hub = {int(f["id"]): f["hub"] for f in summary["federations"]}
    need(set(hub) == set(members), f"federations in summary.json {sorted(hub)} and assignment.csv "
                                   f"{sorted(members)} differ")
    need(summary["n_federations"] == len(members), "summary n_federations differs from the plan")
    for f in summary["federations"]:
        ms = members.get(int(f["id"]), [])
        pop = sum(size.get(c, 0) for c in ms)
        need(f["population"] == pop, f"federation {f['id']}: population {f['population']} but members sum to {pop}")
        need(f["n_practices"] == len(ms), f"federation {f['id']}: n_practices {f['n_practices']} vs {len(ms)}")
        need(f["hub"] in ms, f"federation {f['id']}: hub {f['hub']} is not a member")

    # population bounds; soft: the outer window (smallest practice .. 2 x max)
    low, high = MIN_POP, MAX_POP
    if row["soft"]:
        low, high = min(MIN_POP, min(size.values())), max(2 * MAX_POP, max(size.values()))
    for fid, ms in members.items():
        pop = sum(size[c] for c in ms)
        need(low <= pop <= high, f"federation {fid} has {pop:,} patients, outside {low:,}-{high:,}")

    if row["locks"]:
        for p, h in LOCKS.items():
            need(hub.get(fed_of.get(p)) == h, f"{p} is locked to hub {h} but is hosted by {hub.get(fed_of.get(p))}")
    if row["together"]:
        for a, b in TOGETHER:
            need(fed_of[a] == fed_of[b], f"together pair {a}, {b} is split")
    if row["apart"]:
        for a, b in APART:
            need(fed_of[a] != fed_of[b], f"apart pair {a}, {b} shares federation {fed_of[a]}")
    if row["hub_candidates"]:
        need(set(hub.values()) <= set(HUB_CANDIDATES),
             f"hubs {sorted(set(hub.values()) - set(HUB_CANDIDATES))} are not hub candidates")
    if row["nest_within"] != "none":
        field = {"lad": "lad_code", "sub_icb": "sub_icb_code"}[row["nest_within"]]
        for fid, ms in members.items():
            areas = {AREA_ROWS[c][field] for c in ms}
            need(len(areas) == 1, f"federation {fid} crosses {row['nest_within']} boundaries: {sorted(areas)}")
    if row["n_federations"] is not None:
        need(len(members) == row["n_federations"], f"{len(members)} federations, not {row['n_federations']}")
    for fid, ms in members.items():
        h = hub[fid]
        for c in ms:
            if row["max_distance_km"] is not None:
                need(_km(c, h) <= row["max_distance_km"] + 1e-9,
                     f"{c} is {_km(c, h):.2f} km from its hub {h}, over {row['max_distance_km']}")
            if row["max_travel_minutes"] is not None and c != h:
                need(MINUTES[(c, h)] <= row["max_travel_minutes"] + 1e-9,
                     f"{c} is {MINUTES[(c, h)]} minutes from its hub {h}, over {row['max_travel_minutes']}")
    if row["contiguity"]:
        # The graph is the independent verify's own (Delaunay triangulation of the distinct
        # practice sites, practices sharing a building joined): contiguity is defined on that
        # graph, and verify imports none of the engine's adjacency code, so reusing it here
        # checks the engine against the definition rather than against itself. Only the graph is
        # taken; the connectedness test below is this file's own.
        from fedplan.optimise.verify import practice_neighbours

        near = practice_neighbours({c: (float(AREA_ROWS[c]["easting"]), float(AREA_ROWS[c]["northing"]))
                                    for c in sorted(participating)})
        for fid, ms in members.items():
            seen, todo = {ms[0]}, [ms[0]]
            while todo:
                for n in near[todo.pop()]:
                    if n in ms and n not in seen:
                        seen.add(n)
                        todo.append(n)
            need(seen == set(ms), f"federation {fid} is not connected: {sorted(set(ms) - seen)} cut off")

    # the claims: optimal only when proven; a gap run may stop at its gap
    status, obj, bound, gap = summary["status"], summary["objective_gbp"], summary["bound_gbp"], summary["gap"]
    need(status in ("optimal", "feasible"), f"status {status!r} with exit 0")
    # both figures are rounded to the penny in summary.json: a cent of slack for the two roundings
    if status == "optimal":
        need(bound is not None and obj - bound <= 0.01 + 0.01, f"optimal, but cost {obj} - bound {bound} > 0.01")
    if bound is not None:
        need(bound <= obj + 0.02, f"bound {bound} above cost {obj}")
        need(gap is not None and abs(gap - (obj - bound) / abs(obj)) <= 1e-6, f"gap {gap} does not match cost/bound")
    # a run that ended well before its time limit and had no work limit was stopped by nothing
    # but its own proof: it must be optimal or within the gap it was asked for (8 decimals shown)
    early = summary["runtime_s"] < 0.5 * TIME_LIMIT_S and row["work_limit"] is None
    if status == "feasible" and early:
        need(gap is not None and gap <= row["gap"] + 1e-7,
             f"feasible with gap {gap} after {summary['runtime_s']} s of {TIME_LIMIT_S} s: neither proven nor "
             f"within the requested gap {row['gap']}")
    if "within_requested_gap" in summary:
        need(summary["within_requested_gap"] == (gap is not None and gap <= row["gap"] + 1e-9),
             f"within_requested_gap {summary['within_requested_gap']} but gap {gap}, requested {row['gap']}")
    return problems
