"""A planner's edits of a plan, as pure functions from one ``PlanState`` to the next.

A state is a whole plan (practice -> federation, federation -> hub, practices left out) with the
pins the planner set; it is never changed in place, so undo and redo are a list of states. Every
edit checks what the browser sent and refuses it with an ``ApiError`` that names the key and the
fix. Which member hosts a federation after an edit takes it apart is the caller's choice
(``pick_hub``: the cheapest host under the cost model, ``fedplan.serve.score``).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from .errors import ApiError, bad

PickHub = Callable[[list[str]], str]


@dataclass(frozen=True)
class PlanState:
    """One plan. ``claim``: what an optimisation proved about exactly this plan (status, bound,
    gap and the pins they hold under); any edit drops it, the run's own bound then applies."""

    assignment: Mapping[str, int]
    hubs: Mapping[int, str]
    excluded: tuple[str, ...] = ()
    pins: frozenset[str] = frozenset()
    pairs: tuple[tuple[str, str], ...] = ()
    claim: Mapping | None = None
    source: str = "run"
    edit: Mapping = field(default_factory=dict)   # the edit that made this state (manifest, undo labels)

    def members(self, federation: int) -> list[str]:
        return sorted(c for c, f in self.assignment.items() if f == federation)

    def federations(self) -> list[int]:
        return sorted(self.hubs)


def _practice(state: PlanState, code, key: str = "practice") -> str:
    if not isinstance(code, str) or not code.strip():
        raise bad(f"'{key}' must be a practice code (a string such as \"L83002\"), not {code!r}.")
    code = code.strip().upper()
    if code not in state.assignment:
        if code in state.excluded:
            raise ApiError(409, f"'{key}': practice {code} is left out of this plan; bring it back first "
                                "(POST .../include with {\"practice\", \"federation\"}).")
        raise ApiError(404, f"'{key}': practice {code} is not in this plan; use a code from GET /api/plans/{{id}}.")
    return code


def _federation(state: PlanState, fid, key: str = "federation", new_ok: bool = False) -> int:
    if isinstance(fid, bool) or not isinstance(fid, int):
        if isinstance(fid, str) and fid.strip().isdigit():
            fid = int(fid)
        else:
            raise bad(f"'{key}' must be a federation id (a whole number such as 3), not {fid!r}.")
    if fid < 1 or fid > 1_000_000:
        raise bad(f"'{key}' must be between 1 and 1,000,000, not {fid}.")
    if fid not in state.hubs and not new_ok:
        raise ApiError(404, f"'{key}': there is no federation {fid}; the plan has "
                            f"{', '.join(map(str, state.federations()[:12]))}"
                            f"{' ...' if len(state.hubs) > 12 else ''}.")
    return fid


def _next(state: PlanState, assignment: dict, hubs: dict, edit: dict, **changes) -> PlanState:
    return replace(state, assignment=assignment, hubs=hubs, claim=None, source="edited", edit=edit, **changes)


def _take_out(assignment: dict, hubs: dict, code: str, pick_hub: PickHub) -> None:
    """Remove ``code`` from its federation, re-hosting or dissolving the federation it leaves."""
    old = assignment.pop(code)
    rest = sorted(c for c, f in assignment.items() if f == old)
    if not rest:
        del hubs[old]
    elif hubs[old] == code:
        hubs[old] = pick_hub(rest)


def move(state: PlanState, practice, federation, pick_hub: PickHub) -> PlanState:
    """Move a practice to a federation; an unused id starts a new federation hosted by it."""
    code = _practice(state, practice)
    fid = _federation(state, federation, new_ok=True)
    if state.assignment[code] == fid:
        raise ApiError(409, f"'federation': practice {code} is already in federation {fid}; choose another.")
    assignment, hubs = dict(state.assignment), dict(state.hubs)
    _take_out(assignment, hubs, code, pick_hub)
    assignment[code] = fid
    if fid not in hubs:
        hubs[fid] = code
    return _next(state, assignment, hubs, {"op": "move", "practice": code, "federation": fid})


def set_hub(state: PlanState, federation, practice) -> PlanState:
    fid = _federation(state, federation)
    code = _practice(state, practice)
    if state.assignment[code] != fid:
        raise ApiError(409, f"'practice': {code} is in federation {state.assignment[code]}, not {fid}; "
                            "a hub must be a member (move it first).")
    hubs = dict(state.hubs)
    hubs[fid] = code
    return _next(state, dict(state.assignment), hubs, {"op": "hub", "federation": fid, "practice": code})


def merge(state: PlanState, federations, pick_hub: PickHub) -> PlanState:
    """Merge two federations into the first (hosted by the cheapest member)."""
    if not isinstance(federations, list) or len(federations) != 2:
        raise bad("'federations' must be a list of two federation ids, e.g. [3, 7].")
    a, b = (_federation(state, f, "federations") for f in federations)
    if a == b:
        raise bad("'federations' names the same federation twice; give two different ids.")
    assignment = {c: (a if f == b else f) for c, f in state.assignment.items()}
    hubs = {f: h for f, h in state.hubs.items() if f != b}
    hubs[a] = pick_hub(sorted(c for c, f in assignment.items() if f == a))
    return _next(state, assignment, hubs, {"op": "merge", "federations": [a, b]})


def split(state: PlanState, federation, practices, pick_hub: PickHub,
          halves: Callable[[list[str]], list[str]]) -> PlanState:
    """Split a federation: ``practices`` (or, when omitted, the half ``halves`` chooses) form a new one."""
    fid = _federation(state, federation)
    members = state.members(fid)
    if len(members) < 2:
        raise ApiError(409, f"'federation': federation {fid} has one practice; there is nothing to split.")
    if practices is None:
        chosen = halves(members)
    else:
        if not isinstance(practices, list) or not practices:
            raise bad("'practices' must be a non-empty list of member practice codes (or leave it out to split "
                      "in two by distance).")
        chosen = [_practice(state, c, "practices") for c in practices]
        outside = [c for c in chosen if state.assignment[c] != fid]
        if outside:
            raise ApiError(409, f"'practices': {', '.join(outside)} are not in federation {fid}.")
        if len(set(chosen)) == len(members):
            raise ApiError(409, "'practices' names every member; leave at least one in the federation.")
    new = max(state.hubs) + 1
    assignment = dict(state.assignment)
    for c in chosen:
        assignment[c] = new
    hubs = dict(state.hubs)
    hubs[new] = pick_hub(sorted(set(chosen)))
    hubs[fid] = pick_hub(sorted(c for c, f in assignment.items() if f == fid))
    return _next(state, assignment, hubs, {"op": "split", "federation": fid, "new": new,
                                           "practices": sorted(set(chosen))})


def leave_out(state: PlanState, practice, pick_hub: PickHub) -> PlanState:
    """Leave a practice out of every federation (as ``[area] exclude`` does)."""
    code = _practice(state, practice)
    if len(state.assignment) <= 1:
        raise ApiError(409, "'practice': it is the last practice of the plan.")
    assignment, hubs = dict(state.assignment), dict(state.hubs)
    _take_out(assignment, hubs, code, pick_hub)
    pins = state.pins - {code}
    pairs = tuple(p for p in state.pairs if code not in p)
    return _next(state, assignment, hubs, {"op": "exclude", "practice": code},
                 excluded=tuple(sorted(set(state.excluded) | {code})), pins=pins, pairs=pairs)


def include(state: PlanState, practice, federation) -> PlanState:
    """Bring a left-out practice back, into ``federation`` (an unused id: a new federation)."""
    if not isinstance(practice, str) or practice.strip().upper() not in state.excluded:
        raise ApiError(404, f"'practice': {practice!r} is not among the practices left out "
                            f"({', '.join(state.excluded) or 'none'}).")
    code = practice.strip().upper()
    fid = _federation(state, federation, new_ok=True)
    assignment, hubs = dict(state.assignment), dict(state.hubs)
    assignment[code] = fid
    hubs.setdefault(fid, code)
    return _next(state, assignment, hubs, {"op": "include", "practice": code, "federation": fid},
                 excluded=tuple(c for c in state.excluded if c != code))


def pin(state: PlanState, body: Mapping, on: bool) -> PlanState:
    """Pin (or unpin) practices, pairs or whole federations. A pinned practice keeps its
    federation's hub when the plan is re-optimised, so practices pinned in one federation stay
    together; a pinned pair stays in one federation, wherever."""
    known = {"practices", "federation", "pairs", "all"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise bad(f"unknown key '{unknown[0]}'; a pin takes 'practices' (codes), 'federation' (id) or "
                  "'pairs' (lists of two codes)" + (", or 'all': true to unpin everything" if not on else "") + ".")
    if not any(k in body for k in known):
        raise bad("give 'practices' (a list of codes), 'federation' (an id) or 'pairs' (a list of [code, code]).")
    codes: set[str] = set()
    if "practices" in body:
        if not isinstance(body["practices"], list) or not body["practices"]:
            raise bad("'practices' must be a non-empty list of practice codes, e.g. [\"L83002\"].")
        codes |= {_practice(state, c, "practices") for c in body["practices"]}
    if "federation" in body:
        codes |= set(state.members(_federation(state, body["federation"])))
    pairs = set(state.pairs)
    if "pairs" in body:
        if not isinstance(body["pairs"], list) or not all(isinstance(p, list) and len(p) == 2 for p in body["pairs"]):
            raise bad("'pairs' must be a list of two-code lists, e.g. [[\"L83002\", \"L83004\"]].")
        for a, b in body["pairs"]:
            a, b = _practice(state, a, "pairs"), _practice(state, b, "pairs")
            if a == b:
                raise bad(f"'pairs': {a} is paired with itself; give two different practices.")
            pair = tuple(sorted((a, b)))
            pairs = (pairs | {pair}) if on else (pairs - {pair})
    if not on and body.get("all") is True:
        pins, pairs = frozenset(), set()
    else:
        pins = (state.pins | codes) if on else (state.pins - codes)
    return replace(state, pins=frozenset(pins), pairs=tuple(sorted(pairs)), source=state.source,
                   edit={"op": "pin" if on else "unpin", **{k: body[k] for k in body if k in known}})
