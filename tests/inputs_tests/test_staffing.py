"""Staffing granularity ([makebuy] staffing): whole teams, or sessions for person-only services."""
from __future__ import annotations

import math
from dataclasses import replace

import pytest

from fedplan.inputs import parse_scenario, read_catalogue, staffed
from fedplan.inputs.errors import InputError
from fedplan.inputs.model import MakeBuySpec


def _by_hand(service, population, step, post, whole):
    """£/yr in-house by sessions, written out: steps of `step` of a team, none under `post`."""
    if "inhouse" not in service.allowed_modes:
        return None
    demand = service.demand_per_1000_per_year * population / 1000
    if service.service in whole:
        units = math.ceil(demand / service.team_capacity_activities_per_year - 1e-12) if demand > 0 else 0
        team = units * service.inhouse_fixed_cost_gbp_per_team_per_year
    else:
        if demand < post * service.team_capacity_activities_per_year * (1 - 1e-12):
            return None                                   # below the smallest post: bought
        steps = math.ceil(demand / (step * service.team_capacity_activities_per_year) - 1e-9)
        team = steps * step * service.inhouse_fixed_cost_gbp_per_team_per_year
    if service.min_population_inhouse is not None and population < service.min_population_inhouse:
        return None
    return team + demand * service.inhouse_variable_cost_gbp_per_activity


@pytest.mark.parametrize("population", [7_000, 25_000, 48_000, 100_000, 250_000])
def test_sessions_cost_what_the_rule_says(population):
    from fedplan.optimise.makebuy import inhouse_cost

    cat = read_catalogue()
    mb = replace(MakeBuySpec(), staffing="sessions")
    out = {s.service: s for s in staffed(cat, mb).services}
    for s in cat.services:
        want = _by_hand(s, population, mb.session_wte, mb.min_post_wte, set(mb.whole_team_services))
        got = inhouse_cost(out[s.service], population)[0]
        if want is None:
            assert got is None, s.service
        else:
            assert got == pytest.approx(want, rel=1e-9), s.service


def test_teams_leave_the_catalogue_as_read_and_sessions_are_never_dearer():
    from fedplan.optimise.makebuy import make_or_buy

    cat = read_catalogue()
    assert MakeBuySpec().staffing == "teams" and staffed(cat, MakeBuySpec()) is cat
    sessions = staffed(cat, replace(MakeBuySpec(), staffing="sessions"))
    for n in (10_000, 25_000, 50_000, 100_000):
        assert make_or_buy(sessions, n).total_gbp <= make_or_buy(cat, n).total_gbp + 1e-6


def test_verify_states_the_same_rule_on_its_own():
    from fedplan.optimise.makebuy import make_or_buy
    from fedplan.optimise.verify_costs import by_sessions, services_cost

    cat = read_catalogue()
    mb = replace(MakeBuySpec(), staffing="sessions")
    for n in (9_000, 31_000, 77_000, 140_000):
        assert services_cost(by_sessions(cat, mb), n) == pytest.approx(make_or_buy(staffed(cat, mb), n).total_gbp,
                                                                       rel=1e-9)


def test_staffing_keys_are_checked(tmp_path):
    sc = parse_scenario({"makebuy": {"staffing": "sessions", "session_wte": 0.25}}, "s.toml", tmp_path)
    assert sc.makebuy.staffing == "sessions" and sc.makebuy.session_wte == 0.25
    for bad, where in [({"makebuy": {"staffing": "shifts"}}, "makebuy.staffing"),
                       ({"makebuy": {"session_wte": 0}}, "makebuy.session_wte"),
                       ({"makebuy": {"min_post_wte": 2}}, "makebuy.min_post_wte"),
                       ({"makebuy": {"whole_team_services": "legal"}}, "makebuy.whole_team_services")]:
        with pytest.raises(InputError) as e:
            parse_scenario(bad, "s.toml", tmp_path)
        assert where in str(e.value)
    odd = replace(MakeBuySpec(), staffing="sessions", whole_team_services=("legall",))
    with pytest.raises(InputError) as e:
        staffed(read_catalogue(), odd, "s.toml")
    assert "legal" in str(e.value) and "makebuy.whole_team_services" in str(e.value)
