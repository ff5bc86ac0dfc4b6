"""Scenarios: validation and optiree.apply, checked by hand."""

from typing import Any

import pytest
from pydantic import ValidationError

import optiree
from optiree import Problem
from optiree.disruption.scenarios import (
    apply,
    for_disruption,
    scenario_probabilities,
    shortage_penalties,
)
from optiree.schema import Scenario


def _problem(**extra: Any) -> Problem:
    """Dy over A, B, C: China 100/t (100 t), Lynas 150/t (60 t); demand 50 t a period."""
    document: dict[str, Any] = {
        "name": "three periods",
        "periods": ["A", "B", "C"],
        "materials": [{"id": "Dy"}],
        "reference_prices": {"Dy": 100},
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"Dy": 100}},
            {"id": "lynas", "country": "AU", "price_multiplier": 1.5, "capacity": {"Dy": 60}},
        ],
        "demand": {"Dy": 50},
    }
    return Problem.model_validate(document | extra)


def _scenario(**fields: Any) -> Scenario:
    return Scenario.model_validate({"name": "s"} | fields)


def test_an_embargo_for_one_period_is_bought_around() -> None:
    """China embargoed in B only. By hand: A buys China's 100 t (50 for A, 50 held for B, no
    holding cost), B buys nothing, C buys 50 t from China: 10,000 + 5,000 = 15,000, the same
    as without the embargo, and Lynas is not needed."""
    embargo = _scenario(disruptions=[{"country": "CN", "start": "B", "length": 1}])
    problem = apply(_problem(), embargo)
    (cap,) = problem.caps
    assert (cap.id, cap.periods, cap.max_share_of_capacity) == ("s.d1", ["B"], 0.0)
    assert problem.name == "three periods [s]"
    assert problem.scenarios == []
    result = optiree.solve(problem)
    assert result.total_cost == pytest.approx(15_000)
    assert result.purchases.query("period == 'B'")["tonnes"].sum() == pytest.approx(0)


def test_a_cut_is_a_share_of_capacity_and_runs_to_the_end() -> None:
    cut = _scenario(disruptions=[{"country": "CN", "start": "B", "cut": 0.8, "materials": ["Dy"]}])
    (cap,) = apply(_problem(), cut).caps
    assert cap.periods == ["B", "C"]
    assert cap.max_share_of_capacity == pytest.approx(0.2)
    assert cap.materials == ["Dy"]


def test_source_and_demand_changes_scale_their_periods() -> None:
    change = _scenario(
        sources=[{"source": "lynas", "price_factor": 2, "capacity_factor": 0.5, "periods": ["C"]}],
        demand=[{"material": "Dy", "factor": 1.2, "periods": ["A"]}],
    )
    problem = apply(_problem(), change)
    lynas = problem.sources[1]
    assert lynas.prices == {"Dy": {"A": 150.0, "B": 150.0, "C": 300.0}}
    assert lynas.capacity == {"Dy": {"A": 60.0, "B": 60.0, "C": 30.0}}
    assert problem.demand == {"Dy": {"A": 60.0, "B": 50.0, "C": 50.0}}


def test_nothing_changes_before_from_period() -> None:
    embargo = _scenario(
        disruptions=[{"country": "CN", "start": "A", "length": 2}],
        demand=[{"material": "Dy", "factor": 2}],
    )
    problem = apply(_problem(), embargo, from_period="B")
    assert [cap.periods for cap in problem.caps] == [["B"]]
    assert problem.demand == {"Dy": {"A": 50.0, "B": 100.0, "C": 100.0}}


def test_an_outage_is_a_zero_capacity() -> None:
    outage = _scenario(sources=[{"source": "china", "capacity_factor": 0}])
    result = optiree.solve(apply(_problem(), outage))
    assert result.status == "optimal"
    assert result.total_cost == pytest.approx(3 * 50 * 150)  # all from Lynas


@pytest.mark.parametrize(
    ("scenarios", "path", "words"),
    [
        ([{"name": "x", "sources": [{"source": "nope"}]}], "scenarios.0.sources.0.source", "nope"),
        (
            [{"name": "x", "disruptions": [{"country": "RU", "start": "A"}]}],
            "scenarios.0.disruptions.0.country",
            "unknown country 'RU'",
        ),
        (
            [{"name": "x", "disruptions": [{"country": "CN", "start": "Q"}]}],
            "scenarios.0.disruptions.0.start",
            "unknown period 'Q'",
        ),
        (
            [{"name": "x", "disruptions": [{"start": "A"}]}],
            "scenarios.0.disruptions.0",
            "exactly one of 'country', 'source' or 'facility'",
        ),
        (
            [{"name": "x", "demand": [{"material": "Dy", "factor": -1}]}],
            "scenarios.0.demand.0.factor",
            "greater than or equal to 0",
        ),
        (
            [{"name": "a", "probability": 0.5}, {"name": "b", "probability": 0.2}],
            "scenarios",
            "sum to 0.7, not 1",
        ),
        ([{"name": "a", "probability": 0.5}, {"name": "b"}], "scenarios", "for every scenario"),
        ([{"name": "a"}, {"name": "a"}], "scenarios.1.name", "duplicate scenario 'a'"),
        (
            [{"name": "x", "disruptions": [{"country": "CN", "start": "A", "cut": 1.5}]}],
            "scenarios.0.disruptions.0.cut",
            "less than or equal to 1",
        ),
    ],
)
def test_bad_scenarios_name_the_field(
    scenarios: list[dict[str, Any]], path: str, words: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        _problem(scenarios=scenarios)
    errors = [(".".join(map(str, e["loc"])), e["msg"]) for e in caught.value.errors()]
    assert any(loc == path and words in msg for loc, msg in errors), errors


def test_apply_takes_a_weighted_scenario() -> None:
    weighted = _scenario(probability=0.3, demand=[{"material": "Dy", "factor": 2}])
    assert apply(_problem(), weighted).demand == {"Dy": dict.fromkeys("ABC", 100.0)}


def test_apply_checks_a_scenario_from_elsewhere() -> None:
    with pytest.raises(ValidationError, match=r"scenarios\.0\.sources\.0\.source"):
        apply(_problem(), _scenario(sources=[{"source": "nope"}]))


def test_probabilities() -> None:
    given = _problem(
        scenarios=[{"name": "a", "probability": 0.25}, {"name": "b", "probability": 0.75}]
    )
    assert scenario_probabilities(given) == {"a": 0.25, "b": 0.75}
    equal = _problem(scenarios=[{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d"}])
    assert scenario_probabilities(equal) == dict.fromkeys("abcd", 0.25)


def test_solving_ignores_the_scenarios() -> None:
    plain = optiree.solve(_problem())
    with_scenarios = optiree.solve(
        _problem(scenarios=[{"name": "x", "disruptions": [{"country": "CN", "start": "A"}]}])
    )
    assert plain.total_cost == with_scenarios.total_cost == pytest.approx(15_000)


def test_for_disruption_lets_every_material_go_short() -> None:
    """Dy has no penalty: 10 x its dearest price (Lynas, 150) = 1,500 per tonne. The stock
    rule stays and becomes a strategic stock: a tonne below target costs 1,500 / (2 x 3
    periods) = 250 a period, and one left at the end China's 100 (the cheapest price in C)."""
    problem = _problem(security={"min_stock_cover": {"Dy": 1.0}})
    faced = for_disruption(problem)
    assert faced.shortage_penalty == {"Dy": 1500.0}
    assert faced.security.min_stock_cover == {"Dy": 1.0}
    assert faced.stock.below_target_cost == {"Dy": 250.0}
    assert faced.stock.terminal_price == {"Dy": 100.0}
    own = _problem(
        security={"min_stock_cover": {"Dy": 1.0}},
        stock={"below_target_cost": {"Dy": 40.0}, "terminal_price": {"Dy": 7.0}},
    )
    assert for_disruption(own).stock.below_target_cost == {"Dy": 40.0}
    assert for_disruption(own).stock.terminal_price == {"Dy": 7.0}
    assert for_disruption(problem, penalty=99.0).shortage_penalty == {"Dy": 99.0}
    own = _problem(shortage_penalty={"Dy": 7.0})
    assert for_disruption(own, penalty=99.0).shortage_penalty == {"Dy": 7.0}


def test_a_price_spike_does_not_move_the_default_penalty() -> None:
    """The default penalty is worked out on the base problem: 10 x Lynas' 150 = 1,500 per
    tonne, whether or not the scenario triples Lynas' price."""
    spike = _scenario(sources=[{"source": "lynas", "price_factor": 3}])
    base = shortage_penalties(_problem())
    assert base == {"Dy": 1500.0}
    assert for_disruption(apply(_problem(), spike)).shortage_penalty == {"Dy": 4500.0}
    faced = for_disruption(apply(_problem(), spike), penalty=base)
    assert faced.shortage_penalty == base
    plan = optiree.solve(_problem())
    stressed = optiree.stress_test(_problem(), plan, spike, 1)
    assert stressed.result.shortage["penalty"].unique().tolist() == [1500.0]
