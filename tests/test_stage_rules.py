"""Rules per stage and per group of countries: stage shares (at most, at least, in tonnes or
value), origin content, hand-solved on every solver with their shadow prices checked by finite
difference, properties of tightening, and the validation errors at their fields."""

import copy
from typing import Any

import pytest
from pydantic import ValidationError

import optiree
from optiree import Problem, Result
from optiree.solve import SolverName
from tests.checker import check
from tests.unique import assert_unique

Document = dict[str, Any]
SOLVERS = ["highs", "cbc"]

SEPARATION: Document = {
    "name": "stage cap",
    "periods": ["P1"],
    "stages": ["ore", "oxide"],
    "materials": [{"id": "NdPr"}],
    "sources": [
        {
            "id": "mine_cn",
            "country": "CN",
            "stage": "ore",
            "capacity": {"NdPr": 50},
            "prices": {"NdPr": 10},
        },
        {
            "id": "mine_au",
            "country": "AU",
            "stage": "ore",
            "capacity": {"NdPr": 200},
            "prices": {"NdPr": 30},
        },
    ],
    "facilities": [
        {
            "id": "sep_cn",
            "stage": "oxide",
            "country": "CN",
            "capacity": 100,
            "processing_cost": 10,
            "takes_from": ["mine_cn", "mine_au"],
        },
        {
            "id": "sep_my",
            "stage": "oxide",
            "country": "MY",
            "capacity": 100,
            "processing_cost": 30,
            "takes_from": ["mine_au"],
        },
    ],
    "demand": {"NdPr": 100},
}


def _with(document: Document, **security: Any) -> Document:
    changed = copy.deepcopy(document)
    changed["security"] = security
    return changed


def _solve(document: Document, solver: SolverName = "highs") -> Result:
    problem = Problem.model_validate(document)
    result = optiree.solve(problem, solver)
    assert result.status == "optimal", result.message
    assert check(problem, result) == []
    return result


def _row(result: Result, name: str) -> Any:
    return result.constraints.set_index("constraint").loc[name]


@pytest.mark.parametrize("solver", SOLVERS)
def test_stage_cap_binds_at_separation_not_at_the_mine(solver: SolverName) -> None:
    # Free: sep_cn takes 50 t of mine_cn (20/t) and 50 t of mine_au (40/t): 3,000. At most
    # 65 % from CN at every stage: sep_cn takes 65 t, sep_my 35 t of mine_au ore (60/t):
    # 1,000 + 15 x 40 + 35 x 60 = 3,700; the mine stage is 50 % CN, under the cap.
    assert _solve(SEPARATION, solver).total_cost == pytest.approx(3000)
    document = _with(SEPARATION, stage_shares=[{"country": "CN", "max_share": 0.65}])
    result = _solve(document, solver)
    assert result.total_cost == pytest.approx(3700)
    oxide = _row(result, "stage_max_share(CN,oxide,NdPr,P1)")
    ore = _row(result, "stage_max_share(CN,ore,NdPr,P1)")
    assert (oxide["value"], oxide["limit"]) == (pytest.approx(65), pytest.approx(65))
    assert (ore["value"], ore["limit"]) == (pytest.approx(50), pytest.approx(65))
    assert abs(ore["shadow_price"]) == pytest.approx(0)
    # one point looser: one tonne more through sep_cn instead of sep_my saves 60 - 40 = 20
    looser = _with(SEPARATION, stage_shares=[{"country": "CN", "max_share": 0.66}])
    saved = result.total_cost - _solve(looser, solver).total_cost
    assert saved == pytest.approx(20)
    assert oxide["cost_per_point"] == pytest.approx(saved)
    assert oxide["shadow_price"] == pytest.approx(20)
    shares = result.stage_shares.set_index(["stage", "country"])["share"]
    assert shares["oxide", "CN"] == pytest.approx(0.65)
    assert shares["ore", "CN"] == pytest.approx(0.5)
    assert_unique(Problem.model_validate(document), ["stage_max_share(CN,oxide,NdPr,P1)"])


GROUP: Document = {
    "name": "allies in value",
    "periods": ["P1"],
    "stages": ["oxide"],
    "materials": [{"id": "NdPr"}],
    "country_groups": {"allies": ["AU", "JP"]},
    "sources": [
        {"id": "lynas", "country": "AU", "capacity": {"NdPr": 200}, "prices": {"NdPr": 150}},
        {"id": "china", "country": "CN", "capacity": {"NdPr": 200}, "prices": {"NdPr": 100}},
    ],
    "demand": {"NdPr": 100},
}


@pytest.mark.parametrize("solver", SOLVERS)
def test_group_least_share_in_value_and_in_tonnes(solver: SolverName) -> None:
    # tonnes: a >= 50 -> 50 x 150 + 50 x 100 = 12,500; value: 150 a >= 0.5 (150 a + 100 (100
    # - a)) -> a = 40 -> 40 x 150 + 60 x 100 = 12,000
    rule = {"group": "allies", "min_share": 0.5}
    by_tonnes = _solve(_with(GROUP, stage_shares=[rule]), solver)
    by_value = _solve(_with(GROUP, stage_shares=[{**rule, "measure": "value"}]), solver)
    assert by_tonnes.total_cost == pytest.approx(12500)
    assert by_value.total_cost == pytest.approx(12000)
    tonnes = by_value.supply.set_index("source")["tonnes"]
    assert tonnes["lynas"] == pytest.approx(40)
    row = _row(by_value, "stage_min_share(allies,oxide,NdPr,P1)")
    assert row["value"] == pytest.approx(6000)
    assert row["limit"] == pytest.approx(6000)
    # one point less (49 %): 150 a = 0.49 (50 a + 10,000) -> a = 4900 / 125.5; finite difference
    looser = _with(GROUP, stage_shares=[{**rule, "measure": "value", "min_share": 0.49}])
    saved = by_value.total_cost - _solve(looser, solver).total_cost
    assert abs(row["cost_per_point"]) == pytest.approx(saved, rel=0.03)
    assert_unique(
        Problem.model_validate(_with(GROUP, stage_shares=[{**rule, "measure": "value"}])), []
    )


ORIGIN: Document = {
    "name": "origin",
    "periods": ["P1"],
    "stages": ["ore", "oxide"],
    "materials": [{"id": "Dy"}],
    "sources": [
        {
            "id": "mine_cn",
            "country": "CN",
            "stage": "ore",
            "capacity": {"Dy": 200},
            "prices": {"Dy": 10},
        },
        {
            "id": "mine_au",
            "country": "AU",
            "stage": "ore",
            "capacity": {"Dy": 200},
            "prices": {"Dy": 30},
        },
    ],
    "facilities": [
        {
            "id": "sep_my",
            "stage": "oxide",
            "country": "MY",
            "capacity": 200,
            "processing_cost": 10,
            "takes_from": ["mine_cn", "mine_au"],
        },
    ],
    "demand": {"Dy": 100},
}


@pytest.mark.parametrize("solver", SOLVERS)
def test_origin_cap_at_zero_forces_a_path_without_china(solver: SolverName) -> None:
    assert _solve(ORIGIN, solver).total_cost == pytest.approx(2000)
    document = _with(ORIGIN, origin_shares=[{"country": "CN", "max_share": 0.0}])
    result = _solve(document, solver)
    assert result.total_cost == pytest.approx(4000)
    tonnes = result.supply.set_index("source")["tonnes"]
    assert tonnes["mine_au"] == pytest.approx(100)
    # At 0 the row and the flow's bound at 0 coincide (its shadow price is not unique); at
    # 10 % it is: a tonne more of Chinese content saves 40 - 20 = 20.
    tenth = _with(ORIGIN, origin_shares=[{"country": "CN", "max_share": 0.1}])
    result = _solve(tenth, solver)
    assert result.total_cost == pytest.approx(10 * 20 + 90 * 40)
    row = _row(result, "origin_share(CN,Dy,P1)")
    assert row["shadow_price"] == pytest.approx(20)
    looser = _with(ORIGIN, origin_shares=[{"country": "CN", "max_share": 0.11}])
    assert result.total_cost - _solve(looser, solver).total_cost == pytest.approx(20)
    assert row["cost_per_point"] == pytest.approx(20)
    assert_unique(Problem.model_validate(tenth), ["origin_share(CN,Dy,P1)"])


@pytest.mark.parametrize("share", [1.0])
def test_a_rule_at_its_loosest_changes_nothing(share: float) -> None:
    free = _solve(SEPARATION)
    for rule in ({"country": "CN", "max_share": share}, {"country": "CN", "min_share": 0.0}):
        result = _solve(_with(SEPARATION, stage_shares=[rule]))
        assert result.total_cost == pytest.approx(free.total_cost)
    result = _solve(_with(SEPARATION, origin_shares=[{"country": "CN", "max_share": share}]))
    assert result.total_cost == pytest.approx(free.total_cost)


def test_tightening_never_lowers_the_cost() -> None:
    costs = [
        _solve(_with(SEPARATION, stage_shares=[{"country": "CN", "max_share": s}])).total_cost
        for s in (0.9, 0.8, 0.7, 0.65, 0.5, 0.3)
    ]
    assert costs == sorted(costs)
    costs = [
        _solve(
            _with(GROUP, stage_shares=[{"group": "allies", "min_share": s, "measure": "value"}])
        ).total_cost
        for s in (0.1, 0.3, 0.5, 0.8)
    ]
    assert costs == sorted(costs)


def _errors(document: Document) -> list[tuple[Any, ...]]:
    with pytest.raises(ValidationError) as error:
        Problem.model_validate(document)
    return [tuple(e["loc"]) for e in error.value.errors()]


@pytest.mark.parametrize(
    ("rule", "loc"),
    [
        ({"country": "XX", "max_share": 0.5}, ("country",)),
        ({"group": "nope", "max_share": 0.5}, ("group",)),
        ({"country": "CN", "stage": "metal", "max_share": 0.5}, ("stage",)),
        ({"country": "CN", "max_share": 0.5, "materials": ["Dy"]}, ("materials", 0)),
        ({"country": "CN", "max_share": {"P9": 0.5}}, ("max_share", "by_period", "P9")),
    ],
)
def test_bad_stage_rules_name_their_field(rule: Document, loc: tuple[Any, ...]) -> None:
    document = _with(SEPARATION, stage_shares=[rule])
    assert ("security", "stage_shares", 0, *loc) in _errors(document)


def test_bad_rules_name_their_field() -> None:
    both = _with(SEPARATION, stage_shares=[{"country": "CN", "group": "g", "max_share": 0.5}])
    assert any(loc[:3] == ("security", "stage_shares", 0) for loc in _errors(both))
    twice = _with(SEPARATION, stage_shares=[{"country": "CN", "max_share": 0.5}] * 2)
    assert ("security", "stage_shares", 1, "id") in _errors(twice)
    plain = copy.deepcopy(GROUP)
    del plain["stages"]
    plain["security"] = {"origin_shares": [{"country": "CN", "max_share": 0.0}]}
    assert ("security", "origin_shares") in _errors(plain)
    named = copy.deepcopy(GROUP)
    named["country_groups"] = {"CN": ["AU"]}
    assert ("country_groups", "CN") in _errors(named)
