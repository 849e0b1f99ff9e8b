"""Make-or-buy for one federation, on the shipped default catalogue."""
from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fedplan.inputs import read_catalogue
from fedplan.inputs.model import Catalogue
from fedplan.optimise.makebuy import break_even_population, buy_cost, inhouse_cost, make_or_buy


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return read_catalogue()


def modes(plan) -> dict[str, str]:
    return {s.service: s.mode for s in plan.services}


def test_policy_case_is_reproduced_from_shipped_defaults(catalogue):
    at50 = modes(make_or_buy(catalogue, 50_000))
    assert at50["business_planning"] == "inhouse"
    assert at50["organisational_development"] == "inhouse"
    assert at50["legal"] == "buy" and at50["estates"] == "buy"
    assert modes(make_or_buy(catalogue, 20_000))["business_planning"] == "buy"


def test_sweep_agrees_with_every_break_even(catalogue):
    for s in catalogue.services:
        be, monotone = break_even_population(s)
        cheaper = [n for n in range(20_000, 120_001, 50)
                   if inhouse_cost(s, n)[0] is not None and buy_cost(s, n) is not None
                   and inhouse_cost(s, n)[0] < buy_cost(s, n)]
        if be is None or be > 120_000:
            assert not cheaper, s.service  # break-even is the FIRST cheaper population
            continue
        if be > 20_000:
            assert cheaper and cheaper[0] - 50 < be <= cheaper[0], s.service
            assert inhouse_cost(s, be)[0] < buy_cost(s, be)
            assert inhouse_cost(s, be - 1)[0] is None or inhouse_cost(s, be - 1)[0] >= buy_cost(s, be - 1)
        if monotone:
            assert all(inhouse_cost(s, n)[0] < buy_cost(s, n) for n in range(max(be, 20_000), 120_001, 50))


def test_step_costs_make_some_break_evens_non_monotone(catalogue):
    flags = {s.service: break_even_population(s)[1] for s in catalogue.services}
    assert not all(flags.values()), "the step cost should make at least one service non-monotone"


def test_total_is_the_sum_of_choices_and_each_choice_is_the_cheaper(catalogue):
    for n in (25_000, 60_000, 100_000):
        plan = make_or_buy(catalogue, n)
        assert plan.total_gbp == pytest.approx(sum(s.cost_gbp for s in plan.services) + plan.shared_hub_gbp)
        for s in plan.services:
            options = [c for c in (s.inhouse_gbp, s.buy_gbp) if c is not None]
            assert s.cost_gbp == pytest.approx(min(options))


def test_cap_and_hub_cost(catalogue):
    free = make_or_buy(catalogue, 80_000)
    capped = make_or_buy(catalogue, 80_000, max_inhouse=2)
    assert sum(s.mode == "inhouse" for s in capped.services) <= 2
    assert capped.total_gbp >= free.total_gbp
    pricey_hub = make_or_buy(catalogue, 80_000, shared_hub_cost=1e9)
    assert all(s.mode == "buy" for s in pricey_hub.services if s.category == "clinical")
    assert pricey_hub.shared_hub_gbp == 0


def test_buy_only_service_is_never_made(catalogue):
    s = catalogue.services[0]
    buy_only = dataclasses.replace(s, allowed_modes=("buy",))
    cat = Catalogue("test", (buy_only,))
    assert modes(make_or_buy(cat, 500_000))[s.service] == "buy"
    assert break_even_population(buy_only) == (None, True)


@settings(max_examples=40, deadline=None)
@given(st.integers(1_000, 300_000))
def test_more_services_in_house_never_costs_more_than_buying_all(n):
    cat = read_catalogue()
    plan = make_or_buy(cat, n)
    all_buy = sum(buy_cost(s, n) for s in cat.services)
    assert plan.total_gbp <= all_buy + 1e-6
