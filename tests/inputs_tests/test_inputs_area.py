"""inputs.select_area and inputs.list_areas, on 30 real Devon practices plus three made-up ones
in another ICB, sub-ICB and region."""
from __future__ import annotations

from pathlib import Path

import pytest

from fedplan import inputs
from fedplan.inputs.model import AreaSpec
from input_helpers import refused

DATA = Path(__file__).parents[1] / "data"
SMALL = DATA / "practices_small.csv"
OTHER = [  # made-up practices in London: ICB QXX, sub-ICB 99A, region Y56
    "Z00001,ONE,N1 1AA,51.53,-0.10,,,,,10000,,,,,,,99A,,North Test,QXX,,NHS Test ICB,Y56,,London",
    "Z00002,TWO,N1 1AB,51.54,-0.11,,,,,20000,,,,,,,99A,,North Test,QXX,,NHS Test ICB,Y56,,London",
    "Z00003,THREE,N1 1AC,51.55,-0.12,,,,,30000,,,,,,,99B,,South Test,QXX,,NHS Test ICB,Y56,,London",
]


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> inputs.Practices:
    text = SMALL.read_text(encoding="utf-8")
    width = text.splitlines()[0].count(",") + 1
    rows = [r + "," * (width - 1 - r.count(",")) for r in OTHER]
    f = tmp_path_factory.mktemp("area") / "practices.csv"
    f.write_text(text + "\n".join(rows) + "\n", encoding="utf-8")
    return inputs.read_practices(f)



def test_selectors(table):
    assert len(table) == 33
    assert len(inputs.select_area(table, AreaSpec())) == 30                      # default: Devon ICB QJK
    assert len(inputs.select_area(table, AreaSpec(icb="qjk"))) == 30
    assert inputs.select_area(table, AreaSpec(icb="QXX")).code == ("Z00001", "Z00002", "Z00003")
    assert inputs.select_area(table, AreaSpec(sub_icb="99a")).code == ("Z00001", "Z00002")
    assert len(inputs.select_area(table, AreaSpec(region="Y56"))) == 3
    assert len(inputs.select_area(table, AreaSpec(england=True))) == 33
    two = inputs.select_area(table, AreaSpec(practices=("z00003", "L83002")))
    assert two.code == ("L83002", "Z00003")                                       # table order is kept
    fewer = inputs.select_area(table, AreaSpec(icb="QXX", exclude=("Z00002",)))
    assert fewer.code == ("Z00001", "Z00003") and fewer.population == 40000


def test_default_on_a_table_without_devon_takes_all_of_it(table):
    london = inputs.select_area(table, AreaSpec(icb="QXX"))
    assert len(inputs.select_area(london, AreaSpec())) == 3


def test_bad_selections(table):
    refused(inputs.select_area, table, AreaSpec(icb="QXY"), says=["'QXY'", "did you mean 'QXX'", "fedplan data"])
    refused(inputs.select_area, table, AreaSpec(sub_icb="99C"), says=["99C", "sub-ICB", "fedplan data"])
    refused(inputs.select_area, table, AreaSpec(region="Y99"), says=["Y99", "fedplan data"])
    refused(inputs.select_area, table, AreaSpec(practices=("ZZZ999", "Z00001", "YYY1")),
            says=["2 practice code(s)", "ZZZ999", "YYY1", "[area] practices"])
    refused(inputs.select_area, table, AreaSpec(exclude=("Q1",)), says=["Q1", "[area] exclude"])
    refused(inputs.select_area, table, AreaSpec(icb="QXX", exclude=("Z00001", "Z00002", "Z00003")),
            says=["ICB QXX", "no practices", "exclude fewer"])


def test_selecting_by_a_code_the_file_does_not_have(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("practice_code,registered_patients,lat,lon\nA1,10,50.7,-3.5\n", encoding="utf-8")
    p = inputs.read_practices(f)
    assert len(inputs.select_area(p, AreaSpec())) == 1
    refused(inputs.select_area, p, AreaSpec(icb="QJK"), says=["p.csv", "no icb_code values", "[area] practices"])


def test_list_areas(table):
    t = inputs.list_areas(table)
    assert list(t.columns) == ["level", "code", "name", "n_practices", "population"]
    icb = t[t["level"] == "icb"]
    assert icb["code"].tolist() == ["QJK", "QXX"] and icb["n_practices"].tolist() == [30, 3]
    assert icb["population"].sum() == table.population
    sub = t[t["level"] == "sub_icb"]
    assert sub["code"].tolist() == ["15N", "99A", "99B"] and sub["name"].tolist()[1] == "North Test"
    assert sub["population"].tolist()[1:] == [30000, 30000]
