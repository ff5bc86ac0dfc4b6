"""Bad input gets a ValidationError whose path names the field (one per error, all at once)."""

import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import optiree
from optiree import Problem, Status
from optiree.schema import LARGEST
from tests.conftest import SOLVERS
from tests.samples import full, two_country

Edit = Callable[[dict[str, Any]], object]

BAD_INPUT: dict[str, tuple[Edit, str, str]] = {
    # case: (edit of the valid document, expected path, words expected in the message)
    "unknown material in capacity": (
        lambda d: d["sources"][0]["capacity"].update(Xx=1),
        "sources.0.capacity.Xx",
        "unknown material 'Xx'",
    ),
    "unknown material in demand": (
        lambda d: d["demand"].update(Xx=1),
        "demand.Xx",
        "unknown material",
    ),
    "unknown material in saves": (
        lambda d: d["substitutes"][0]["saves"].update(Nd=1),
        "substitutes.0.saves.Nd",
        "unknown material",
    ),
    "unknown material in stock": (
        lambda d: d["stock"]["initial"].update(Nd=1),
        "stock.initial.Nd",
        "unknown material",
    ),
    "unknown material in penalty": (
        lambda d: d["shortage_penalty"].update(Nd=1),
        "shortage_penalty.Nd",
        "unknown material",
    ),
    "unknown material in cap": (
        lambda d: d["caps"][0].update(materials=["Dy", "Nd"]),
        "caps.0.materials.1",
        "unknown material",
    ),
    "unknown material in stock cover": (
        lambda d: d["security"]["min_stock_cover"].update(Nd=1),
        "security.min_stock_cover.Nd",
        "unknown material",
    ),
    "unknown period in demand": (
        lambda d: d["demand"].update(Dy={"Z": 3}),
        "demand.Dy.by_period.Z",
        "unknown period 'Z'",
    ),
    "unknown period in a price": (
        lambda d: d["reference_prices"].update(Tb={"A": 1, "Q": 2}),
        "reference_prices.Tb.by_period.Q",
        "unknown period",
    ),
    "unknown period in a stock cover": (
        lambda d: d["security"]["min_stock_cover"].update(Dy={"B": 1, "Q": 2}),
        "security.min_stock_cover.Dy.by_period.Q",
        "unknown period 'Q'",
    ),
    "unknown period in a cap": (
        lambda d: d["caps"][0].update(periods=["B", "C"]),
        "caps.0.periods.1",
        "unknown period",
    ),
    "available_from not a period": (
        lambda d: d["sources"][1].update(available_from="C"),
        "sources.1.available_from",
        "unknown period 'C'",
    ),
    "duplicate source": (
        lambda d: d["sources"].append(dict(d["sources"][0])),
        "sources.2.id",
        "duplicate source 'china'",
    ),
    "duplicate material": (
        lambda d: d["materials"].append({"id": "Dy"}),
        "materials.2.id",
        "duplicate material",
    ),
    "duplicate period": (lambda d: d.update(periods=["A", "B", "A"]), "periods.2", "duplicate"),
    "negative capacity": (
        lambda d: d["sources"][0]["capacity"].update(Dy=-1),
        "sources.0.capacity.Dy.value",
        "greater than or equal to 0",
    ),
    "NaN price": (
        lambda d: d["reference_prices"].update(Dy=math.nan),
        "reference_prices.Dy.value",
        "finite number",
    ),
    "infinite demand": (
        lambda d: d["demand"].update(Tb={"A": math.inf}),
        "demand.Tb.by_period.A",
        "finite number",
    ),
    "negative substitute cost": (
        lambda d: d["substitutes"][0].update(cost=-5),
        "substitutes.0.cost.value",
        "greater than or equal to 0",
    ),
    "negative holding cost": (
        lambda d: d["stock"]["holding_cost"].update(Dy=-1),
        "stock.holding_cost.Dy",
        "greater than or equal to 0",
    ),
    "share above 1": (
        lambda d: d["security"]["max_country_share"].update(CN=1.5),
        "security.max_country_share.CN",
        "less than or equal to 1",
    ),
    "negative cover share": (
        lambda d: d["security"]["min_cover_without"][0].update(share=-0.1),
        "security.min_cover_without.0.share",
        "greater than or equal to 0",
    ),
    "cap listing no material": (
        lambda d: d["caps"][0].update(materials=[]),
        "caps.0.materials",
        "at least 1 item",
    ),
    "cap listing no period": (
        lambda d: d["caps"][0].update(periods=[]),
        "caps.0.periods",
        "at least 1 item",
    ),
    "cover rule listing no material": (
        lambda d: d["security"]["min_cover_without"][0].update(materials=[]),
        "security.min_cover_without.0.materials",
        "at least 1 item",
    ),
    "cap listing a material twice": (
        lambda d: d["caps"][0].update(materials=["Dy", "Tb", "Dy"]),
        "caps.0.materials.2",
        "duplicate material 'Dy'",
    ),
    "cap listing a period twice": (
        lambda d: d["caps"][0].update(periods=["A", "A"]),
        "caps.0.periods.1",
        "duplicate period 'A'",
    ),
    "cover rule listing a material twice": (
        lambda d: d["security"]["min_cover_without"][0].update(materials=["Dy", "Dy"]),
        "security.min_cover_without.0.materials.1",
        "duplicate material 'Dy'",
    ),
    "cap with both limits": (
        lambda d: d["caps"][0].update(max_share_of_capacity=0.5),
        "caps.0",
        "exactly one of 'max_tonnes' or 'max_share_of_capacity'",
    ),
    "cap with no limit": (
        lambda d: d["caps"][0].pop("max_tonnes"),
        "caps.0",
        "exactly one of 'max_tonnes' or 'max_share_of_capacity'",
    ),
    "cap with no target": (
        lambda d: d["caps"][0].pop("country"),
        "caps.0",
        "exactly one of 'country', 'source' or 'facility'",
    ),
    "cap with both targets": (
        lambda d: d["caps"][0].update(source="china"),
        "caps.0",
        "exactly one of 'country', 'source' or 'facility'",
    ),
    "cap naming an unknown source": (
        lambda d: d["caps"].append({"source": "nope", "max_tonnes": 1}),
        "caps.1.source",
        "unknown source 'nope'; known: 'china', 'lynas'",
    ),
    "cap share above 1": (
        lambda d: d["caps"].append({"country": "CN", "max_share_of_capacity": 2}),
        "caps.1.max_share_of_capacity",
        "less than or equal to 1",
    ),
    "unknown country in a rule": (
        lambda d: d["security"]["max_country_share"].update(RU=0.5),
        "security.max_country_share.RU",
        "unknown country or group 'RU'; countries: 'CN', 'AU'",
    ),
    "no price where a source can sell": (
        lambda d: d["reference_prices"].pop("Tb"),
        "sources.0.capacity.Tb",
        "no price is given",
    ),
    "no cost where a substitute can be used": (
        lambda d: d["substitutes"][0].update(cost={"A": 5}),
        "substitutes.0.cost",
        "has no cost there",
    ),
    "a price for a material without capacity": (
        lambda d: d["sources"][1]["prices"].update(Tb=5),
        "sources.1.prices.Tb",
        "no capacity",
    ),
    "material without demand": (lambda d: d["demand"].pop("Tb"), "demand", "'Tb'"),
    "unknown key": (lambda d: d.update(sauces=[]), "sauces", "Extra inputs are not permitted"),
    "text where a number goes": (
        lambda d: d["demand"].update(Dy="12"),
        "demand.Dy.value",
        "valid number",
    ),
    "true where a number goes": (
        lambda d: d["sources"][0]["capacity"].update(Dy=True),
        "sources.0.capacity.Dy.value",
        "valid number",
    ),
    "id with a hyphen": (
        lambda d: d["materials"].append({"id": "Nd-Pr"}),
        "materials.2.id",
        "ASCII letters, digits",
    ),
    "no materials": (lambda d: d.update(materials=[]), "materials", "at least 1 item"),
    "missing name": (lambda d: d.pop("name"), "name", "Field required"),
}


def _errors(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        Problem.model_validate(document)
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in caught.value.errors()]


def test_the_sample_is_valid() -> None:
    assert Problem.model_validate(full()).name == "full"


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_names_the_field(case: str) -> None:
    edit, path, words = BAD_INPUT[case]
    document = full()
    edit(document)
    errors = _errors(document)
    assert any(loc == path and words in msg for loc, msg in errors), errors


def test_every_error_is_reported_at_once() -> None:
    document = full()
    document["sources"][0]["capacity"].update(Xx=1, Yy=2)
    document["demand"]["Dy"] = {"Z": 1}
    locs = [loc for loc, _ in _errors(document)]
    assert locs == ["sources.0.capacity.Xx", "sources.0.capacity.Yy", "demand.Dy.by_period.Z"]


def test_year_labels_may_be_numbers() -> None:
    document = full()
    document.update(periods=[2026, 2027])
    document["reference_prices"]["Tb"] = {2026: 200, 2027: 210}
    document["sources"][1].update(capacity={"Dy": {2027: 5}}, available_from=2027)
    document["demand"]["Tb"] = {2026: 1}
    problem = Problem.model_validate(document)
    assert problem.periods == ["2026", "2027"]
    assert problem.sources[1].available_from == "2027"


def test_problems_are_frozen() -> None:
    problem = Problem.model_validate(full())
    with pytest.raises(ValidationError, match="frozen"):
        problem.name = "changed"  # type: ignore[misc]


def test_default_is_one_period() -> None:
    document = full()
    del document["periods"]
    document["reference_prices"]["Tb"] = 200
    document["sources"][1] = {"id": "lynas", "country": "AU", "capacity": {"Dy": 5}}
    document["demand"]["Tb"] = 1
    assert Problem.model_validate(document).periods == ["P1"]


def _issue_15(multiplier: float) -> dict[str, Any]:
    """Issue 15's case: a reference price of 1e12 and a source at ``multiplier`` times it."""
    document = two_country()
    document["reference_prices"] = {"Dy": 1e12}
    document["sources"][1]["price_multiplier"] = multiplier
    return document


def test_a_price_multiplied_past_the_largest_is_refused() -> None:
    """1e12 x 1e12 validated, then HiGHS ended in "PuLP status 'Not Solved'" with no cause."""
    ((loc, message),) = _errors(_issue_15(1e12))
    assert loc == "sources.1.price_multiplier"
    assert "reference_prices.Dy (1e+12) x price_multiplier (1e+12) is a price of 1e+24" in message
    assert "give sources.1.prices.Dy" in message
    assert Problem.model_validate(_issue_15(1.0)).sources[1].price_multiplier == 1.0


def test_tier_and_floor_multipliers_past_the_largest_are_refused() -> None:
    document = two_country()
    lynas = document["sources"][1]
    lynas["tiers"] = {"Dy": [{"up_to": 10, "price_multiplier": 1}, {"price_multiplier": 1e11}]}
    lynas["price_floor_multiplier"] = 1e11
    errors = dict(_errors(document))
    assert list(errors) == [
        "sources.1.tiers.Dy.1.price_multiplier",
        "sources.1.price_floor_multiplier",
    ]
    assert (
        "the list price of 'Dy' (150) x this tier's price_multiplier (1e+11)"
        in errors["sources.1.tiers.Dy.1.price_multiplier"]
    )
    assert (
        "x reference_prices.Dy (100) is a price of 1e+13"
        in errors["sources.1.price_floor_multiplier"]
    )


POWERS = st.integers(-3, 12).map(lambda power: 10.0**power)


@settings(deadline=None, max_examples=40)
@given(reference=POWERS, multiplier=POWERS, tier=POWERS, floor=POWERS)
def test_prices_that_validate_solve(
    reference: float, multiplier: float, tier: float, floor: float
) -> None:
    """Products of allowed numbers either are refused, each at a field whose price is over
    LARGEST, or solve to the optimum with every solver (no 'Not Solved', no false
    'infeasible': the plan exists whatever the prices)."""
    document = _issue_15(multiplier)
    document["reference_prices"] = {"Dy": reference}
    document["sources"][1]["tiers"] = {
        "Dy": [{"up_to": 10, "price_multiplier": 1}, {"price_multiplier": max(tier, 1)}]
    }
    document["sources"][0]["price_floor_multiplier"] = floor
    if max(reference * multiplier * max(tier, 1), reference * floor) > LARGEST:
        with pytest.raises(ValidationError) as caught:
            Problem.model_validate(document)
        assert {e["type"] for e in caught.value.errors()} == {"price_too_large"}
        assert all(e["input"] > LARGEST for e in caught.value.errors())
        return
    problem = Problem.model_validate(document)
    for solver in SOLVERS:
        assert optiree.solve(problem, solver=solver).status == Status.OPTIMAL, solver


def _scaled(demand: float, capacity: float, price: float) -> dict[str, Any]:
    """Two countries with Lynas's capacity and price, the demand and a scenario scaling each."""
    document = two_country()
    document["demand"] = {"Dy": 50}
    document["shortage_penalty"] = {"Dy": 1e3}
    document["scenarios"] = [
        {
            "name": "s",
            "demand": [{"material": "Dy", "factor": demand}],
            "sources": [{"source": "lynas", "capacity_factor": capacity, "price_factor": price}],
        }
    ]
    return document


def test_scenario_factors_past_the_largest_are_refused_at_the_factor() -> None:
    """Before, each was refused only when the scenario was applied, at the changed problem's
    field (demand.Dy.by_period.P1), with no word of the scenario or its factor."""
    errors = dict(_errors(_scaled(1e11, 1e11, 1e11)))
    assert list(errors) == [
        "scenarios.0.sources.0.capacity_factor",
        "scenarios.0.sources.0.price_factor",
        "scenarios.0.demand.0.factor",
    ]
    assert errors["scenarios.0.demand.0.factor"].startswith(
        "demand.Dy (50) x factor (1e+11) is a demand of 5e+12, over 1e+12"
    )
    assert errors["scenarios.0.sources.0.capacity_factor"].startswith(
        "the largest capacity of 'lynas' it scales (100) x capacity_factor (1e+11) is a "
        "capacity of 1e+13"
    )
    assert errors["scenarios.0.sources.0.price_factor"].startswith(
        "the largest price of 'lynas' it scales (150) x price_factor (1e+11) is a price of 1.5e+13"
    )
    assert Problem.model_validate(_scaled(1e10, 1e10, 1e9)).scenarios[0].name == "s"


def test_stock_targets_past_the_largest_are_refused() -> None:
    """The target is checked in the period it is largest (B, where days are fewer but demand
    more); before, 2e12 t of target validated and the plan was simply infeasible."""
    document = two_country()
    document["periods"] = ["A", "B"]
    document["demand"] = {"Dy": {"A": 50, "B": 1e6}}
    document["period_days"] = 0.001
    document["security"]["min_stock_days"] = {"Dy": {"A": 1e6, "B": 2e3}}
    ((loc, message),) = _errors(document)
    assert loc == "security.min_stock_days.Dy"
    assert message.startswith(
        "security.min_stock_days.Dy in B (2000) / period_days (0.001) x demand.Dy (1e+06) is a "
        "stock target of 2e+12, over 1e+12"
    )
    document["security"]["min_stock_days"] = {"Dy": {"A": 1e6, "B": 1e3}}
    assert Problem.model_validate(document).period_days == 0.001
    del document["security"]["min_stock_days"]
    document["security"]["min_stock_cover"] = {"Dy": 1e7}
    ((loc, message),) = _errors(document)
    assert loc == "security.min_stock_cover.Dy"
    assert message.startswith(
        "security.min_stock_cover.Dy in B (1e+07) x demand.Dy (1e+06) is a stock target of 1e+13"
    )


def test_changes_that_pass_the_largest_together_are_refused_naming_the_scenario() -> None:
    """Each change is within the limit with the problem as written; applied, the demand factor
    lifts the stock target past it."""
    document = _scaled(1e6, 1, 1)
    document["security"]["min_stock_cover"] = {"Dy": 1e5}
    problem = Problem.model_validate(document)
    with pytest.raises(ValidationError) as caught:
        optiree.apply(problem, problem.scenarios[0])
    ((error),) = caught.value.errors()
    assert (error["loc"], error["type"]) == (
        ("security", "min_stock_cover", "Dy"),
        "scenario_result",
    )
    assert error["msg"].startswith(
        "under scenario 's': security.min_stock_cover.Dy in P1 (100000) x demand.Dy (5e+07) is a "
        "stock target of 5e+12"
    )


@settings(deadline=None, max_examples=30)
@given(demand=POWERS, capacity=POWERS, price=POWERS, cover=POWERS)
def test_scenarios_that_validate_solve(
    demand: float, capacity: float, price: float, cover: float
) -> None:
    """Scenario factors and stock targets either are refused, each at a field whose product is
    over LARGEST, or the scenario solves to the optimum with every solver (no 'Not Solved', no
    false 'infeasible': a plan exists, short of demand and target as need be)."""
    document = _scaled(demand, capacity, price)
    document["security"]["min_stock_cover"] = {"Dy": cover}
    document["stock"] = {"below_target_cost": {"Dy": 500}}  # a plan exists, however short
    products = {
        "factor": 50 * demand,
        "capacity_factor": 100 * capacity,
        "price_factor": 150 * price,
        "Dy": 50 * cover,
    }
    over = {field for field, product in products.items() if product > LARGEST}
    if over:
        with pytest.raises(ValidationError) as caught:
            Problem.model_validate(document)
        assert {e["loc"][-1] for e in caught.value.errors()} == over
        return
    problem = Problem.model_validate(document)
    if 50 * demand * cover > LARGEST:
        # Only the target under the scaled demand can pass the limit together.
        with pytest.raises(ValidationError) as caught:
            optiree.apply(problem, problem.scenarios[0])
        assert {e["type"] for e in caught.value.errors()} == {"scenario_result"}
        return
    applied = optiree.apply(problem, problem.scenarios[0])
    for solver in SOLVERS:
        assert optiree.solve(applied, solver=solver).status == Status.OPTIMAL, solver
