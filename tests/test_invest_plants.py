"""Investment options on a source's feed and on its separation plant, hand-solved, on every
solver (docs/investment.md, "Feeds and separation plants").

The feed (``ore``): Nd 10 t and Dy 2 t a year for three years; spot sells Nd at 100 and Dy at
400; Lynas sells an ore yielding 0.5 t of Nd and 0.1 t of Dy per tonne, at 60 a tonne, with no
capacity today. A tonne of ore replaces 0.5 x 100 + 0.1 x 400 = 90 of spot for 60: it saves 30
a year, of which the Dy co-product brings 40 (Nd alone is worth 50, less than 60). An expansion
costs 40 per t of feed a year, 5 a year to run, one year from decision to first tonne: built
in Y1 it serves Y2 and Y3 (saves 60 for 40 + 2 x 5, a net 10 per t/yr); built in Y2 it serves
Y3 only (30 for 45: a loss). 20 t/yr meets both demands: 5,400 - 20 x 10 = 5,200. With 500
of budget, 12.5 t/yr: 5,275; a dollar more builds 1/40 t/yr, a net 10/40 = 0.25.

The plant (``plant``): Nd 10 t a year; Lynas sells 20 t a year at 100 but separates 4 t a
year; spot sells at 300. An expansion costs 50 per t/yr, 10 a year to run, lead time one year,
at most 5 t/yr: built in Y1 it saves 2 x 200 for 50 + 20. 5 t/yr in Y1: Y1 4 x 100 + 6 x 300
= 2,200, Y2 and Y3 9 x 100 + 300 = 1,200 each, capital 250, operating 100: 4,950; one more t
of separation in Y2 saves 200 (spot less Lynas).
"""

from typing import Any

import pandas as pd
import pytest

import optiree
from optiree import Problem, Result
from optiree.prepare import prepare
from optiree.solve import SolverName
from optiree.verify import verify
from tests.test_investment import _built, _components, _errors
from tests.test_known_optima import _solve
from tests.unique import assert_unique, slopes

Document = dict[str, Any]


def ore(**changes: Any) -> Document:
    """The feed example, with ``changes`` to the option (``budget`` sets the total)."""
    budget = changes.pop("budget", None)
    option = {
        "id": "ore_expansion",
        "source": "lynas",
        "feed": "ore",
        "capital_cost": 40.0,
        "lead_time": 1,
        "max_size": 30.0,
        "operating_cost": 5.0,
        "investor": "JOGMEC",
    } | changes
    return {
        "name": "ore",
        "periods": ["Y1", "Y2", "Y3"],
        "period_days": 365.0,
        "materials": [{"id": "Nd"}, {"id": "Dy"}],
        "reference_prices": {"Nd": 100.0, "Dy": 400.0},
        "sources": [
            {"id": "spot", "country": "XX", "capacity": {"Nd": 20.0, "Dy": 5.0}},
            {
                "id": "lynas",
                "country": "AU",
                "feeds": [
                    {
                        "id": "ore",
                        "yields": {"Nd": 0.5, "Dy": 0.1},
                        "price_per_tonne_feed": 60.0,
                        "capacity": 0.0,
                    }
                ],
            },
        ],
        "demand": {"Nd": 10.0, "Dy": 2.0},
        "stock": {"holding_cost": {"Nd": 1.0, "Dy": 1.0}},  # no stock at the optimum
        "investments": [option],
        "budgets": [] if budget is None else [{"investor": "JOGMEC", "total": budget}],
    }


def plant(**changes: Any) -> Document:
    """The separation example, with ``changes`` to the option."""
    option = {
        "id": "line",
        "source": "lynas",
        "separation": True,
        "capital_cost": 50.0,
        "lead_time": 1,
        "max_size": 5.0,
        "operating_cost": 10.0,
    } | changes
    return {
        "name": "plant",
        "periods": ["Y1", "Y2", "Y3"],
        "period_days": 365.0,
        "materials": [{"id": "Nd"}],
        "reference_prices": {"Nd": 100.0},
        "sources": [
            {"id": "lynas", "country": "AU", "capacity": {"Nd": 20.0}, "separation_capacity": 4.0},
            {"id": "spot", "country": "XX", "capacity": {"Nd": 20.0}, "price_multiplier": 3.0},
        ],
        "demand": {"Nd": 10.0},
        "stock": {"holding_cost": {"Nd": 1.0}},
        "investments": [option],
    }


def _row(result: Result, name: str) -> pd.Series:
    return result.constraints.set_index("constraint").loc[name]


# -- a feed ---------------------------------------------------------------------------------


def test_a_feed_worth_building_for_its_co_product(solver: SolverName) -> None:
    problem, result = _solve(ore(), solver)
    assert result.total_cost == pytest.approx(5200.0)
    assert _built(result) == pytest.approx({("ore_expansion", "Y1"): 20.0})
    parts = _components(result)
    assert parts["capital"] == pytest.approx(800.0)
    assert parts["operating"] == pytest.approx(200.0)
    assert parts["feeds"] == pytest.approx(2 * 20 * 60.0)
    feeds = result.feeds.set_index("period")
    assert feeds.loc["Y2", "tonnes"] == pytest.approx(20.0)
    assert feeds.loc["Y2", "capacity"] == pytest.approx(20.0)  # 0 there was, 20 new
    row = result.investments.set_index("period").loc["Y1"]
    assert row["target"] == "lynas:feed ore"
    assert row["available_from"] == "Y2"
    assert_unique(problem, [])
    # without its Dy, a tonne of ore (50 of Nd for 60) is not worth buying, let alone building
    nd_only = ore()
    nd_only["sources"][1]["feeds"][0]["yields"] = {"Nd": 0.5}
    alone = _solve(nd_only, solver)[1]
    assert alone.total_cost == pytest.approx(5400.0)
    assert _built(alone) == {}


def test_a_feed_under_a_budget(solver: SolverName) -> None:
    problem, result = _solve(ore(budget=500.0), solver)
    assert result.total_cost == pytest.approx(5275.0)
    assert _built(result) == pytest.approx({("ore_expansion", "Y1"): 12.5})
    budget = _row(result, "budget(JOGMEC,Y1..Y3)")
    assert budget["shadow_price"] == pytest.approx(0.25)
    capacity = _row(result, "capacity(lynas,ore,Y2)")  # tonnes of feed: 12.5 new
    assert (capacity["value"], capacity["limit"]) == pytest.approx((12.5, 12.5))
    assert capacity["shadow_price"] == pytest.approx(30.0)  # spot's 90 less the ore's 60
    assert_unique(problem, ["budget(JOGMEC,Y1..Y3)"])
    below, above = slopes(problem, "budget(JOGMEC,Y1..Y3)")
    assert below == pytest.approx(-0.25, rel=1e-4)
    assert above == pytest.approx(-0.25, rel=1e-4)
    more = optiree.solve(Problem.model_validate(ore(budget=510.0)), solver)
    assert (result.total_cost or 0.0) - (more.total_cost or 0.0) == pytest.approx(2.5)


def test_a_lumpy_feed(solver: SolverName) -> None:
    # units of 8 t/yr: two (16 t/yr) save 16 x 10; a third would add 4 t/yr of use for 8 x 50
    result = _solve(ore(unit_size=8.0), solver)[1]
    assert result.total_cost == pytest.approx(5240.0)
    assert _built(result) == pytest.approx({("ore_expansion", "Y1"): 16.0})


def test_a_feed_summary_names_its_unit() -> None:
    text = optiree.solve(Problem.model_validate(ore(budget=500.0))).summary()
    assert "Investments (size in t/yr, units/yr for a substitute, t of feed/yr for a feed;" in text
    assert "lynas:feed ore" in text
    assert "what one more t of capacity there saves (of feed, for a feed)" in text


# -- a separation plant ---------------------------------------------------------------------


def test_a_separation_plant_that_binds(solver: SolverName) -> None:
    problem, result = _solve(plant(), solver)
    assert result.total_cost == pytest.approx(4950.0)
    assert _built(result) == pytest.approx({("line", "Y1"): 5.0})
    parts = _components(result)
    assert parts["capital"] == pytest.approx(250.0)
    assert parts["operating"] == pytest.approx(100.0)
    row = _row(result, "separation(lynas,Y2)")  # 4 there was, 5 new
    assert (row["value"], row["limit"]) == pytest.approx((9.0, 9.0))
    assert row["shadow_price"] == pytest.approx(200.0)
    assert_unique(problem, ["separation(lynas,Y2)"])
    wider = plant()
    wider["sources"][0]["separation_capacity"] = {"Y1": 4.0, "Y2": 5.0, "Y3": 4.0}
    assert _solve(wider, solver)[1].total_cost == pytest.approx(4950.0 - 200.0)
    without = plant()
    without["investments"] = []
    assert _solve(without, solver)[1].total_cost == pytest.approx(3 * 2200.0)


def test_a_separation_plant_in_kilograms(solver: SolverName) -> None:
    # quantities in kg REO: the plant's size in kg/yr, its costs per kg of yearly capacity
    document = plant(max_size=5000.0, capital_cost=0.05, operating_cost=0.01)
    document["units"] = {"quantities": "kg REO"}
    for source in document["sources"]:
        source["capacity"] = {"Nd": 20000.0}
    document["sources"][0]["separation_capacity"] = 4000.0
    result = _solve(document, solver)[1]
    assert result.total_cost == pytest.approx(4950.0)
    assert _built(result) == pytest.approx({("line", "Y1"): 5.0})  # t REO/yr in the tables
    text = result.summary()
    assert "t REO/yr separated for a separation plant" in text


def test_a_plant_only_serves_where_it_has_a_limit() -> None:
    # a limit in Y1 and Y2 only: Y3 has none, so nothing to serve there
    document = plant()
    document["sources"][0]["separation_capacity"] = {"Y1": 4.0, "Y2": 4.0}
    result = _solve(document, "highs")[1]
    # built in Y1 for Y2 alone: 200 - 50 - 10 > 0, 5 t/yr; Y3 buys all from Lynas
    assert _built(result) == pytest.approx({("line", "Y1"): 5.0})
    assert result.total_cost == pytest.approx(2200.0 + 1200.0 + 1000.0 + 250.0 + 100.0)
    assert "separation(lynas,Y3)" not in set(result.constraints["constraint"])


def test_verify_catches_builds_too_small_for_the_plan() -> None:
    problem = Problem.model_validate(ore(budget=500.0))
    tables = optiree.solve(problem).tables()
    smaller = tables["investments"].assign(size=tables["investments"]["size"] / 2)
    worst = verify(prepare(problem), tables | {"investments": smaller})
    assert worst.row.startswith("feed")  # 12.5 t of feed against 6.25 new
    problem = Problem.model_validate(plant())
    tables = optiree.solve(problem).tables()
    smaller = tables["investments"].assign(size=tables["investments"]["size"] / 5)
    worst = verify(prepare(problem), tables | {"investments": smaller})
    assert worst.row == "separation(lynas,Y2)"
    assert worst.amount == pytest.approx(4.0)  # 9 t delivered against 4 + 1


# -- validation ---------------------------------------------------------------------------------


def _with(document: Document, **option: Any) -> Document:
    document["investments"] = [
        {k: v for k, v in (document["investments"][0] | option).items() if v is not None}
    ]
    return document


@pytest.mark.parametrize(
    ("document", "change", "where", "words"),
    [
        (ore, {"feed": "clay"}, ("investments", 0, "feed"), "unknown feed 'clay'; known: 'ore'"),
        (ore, {"source": "spot"}, ("investments", 0, "feed"), "unknown feed 'ore'"),
        (ore, {"source": "nowhere"}, ("investments", 0, "source"), "unknown source 'nowhere'"),
        (ore, {"source": None}, ("investments", 0), "names 'feed' without 'source'"),
        (ore, {"material": "Nd"}, ("investments", 0), "expands exactly one of"),
        (ore, {"separation": True}, ("investments", 0), "expands exactly one of"),
        (ore, {"substitute": "motor"}, ("investments", 0), "expands exactly one of"),
        (plant, {"material": "Nd"}, ("investments", 0), "expands exactly one of"),
        (plant, {"source": None}, ("investments", 0), "names 'separation: true' without"),
        (plant, {"source": "spot"}, ("investments", 0, "separation"), "separates without limit"),
    ],
)
def test_invalid_plant_option_names_its_field(
    document: Any, change: dict[str, Any], where: tuple[Any, ...], words: str
) -> None:
    errors = _errors(_with(document(), **change))
    assert any(loc == where and words in message for loc, message in errors), errors


def test_new_feed_capacity_needs_a_price_where_it_serves() -> None:
    document = ore()
    document["sources"][1]["feeds"][0]["price_per_tonne_feed"] = {"Y1": 60.0, "Y2": 60.0}
    errors = _errors(document)
    assert any(
        loc == ("investments", 0, "feed") and "can serve in 'Y3' but the feed has no price" in m
        for loc, m in errors
    ), errors


def test_stochastic_builds_a_new_pit_in_the_first_stage() -> None:
    # the expected-value problem prices the feed where only its new capacity serves (Y2, Y3):
    # it failed validation before
    document = ore(budget=500.0)
    document["shortage_penalty"] = {"Nd": 5000.0, "Dy": 5000.0}
    cut = {"country": "XX", "start": "Y2", "length": 2, "cut": 0.5}
    document["scenarios"] = [
        {"name": "cut", "probability": 0.3, "disruptions": [cut]},
        {"name": "calm", "probability": 0.7},
    ]
    result = optiree.solve_stochastic(Problem.model_validate(document), commit_periods=1)
    first = result.first_stage
    builds = first[first["decision"] == "build"]
    assert list(builds["item"]) == ["ore_expansion"]
    assert float(builds["value"].iloc[0]) == pytest.approx(12.5)
