"""The country rules by group: ``security.max_country_share`` and ``min_cover_without`` name a
group of ``country_groups`` as well as a country, hand-solved on every solver with their shadow
prices checked by finite difference, a group of one country against the country rule on random
problems, and the validation errors at their fields."""

from typing import Any

import pytest
from hypothesis import given, settings
from pydantic import ValidationError

import optiree
from optiree import Problem, Result
from optiree.prepare import prepare
from optiree.solve import SolverName
from optiree.verify import TOLERANCE, verify
from tests.checker import check
from tests.strategies import problems
from tests.test_stage_rules import _solve as _solved
from tests.test_stage_rules import _with as _with_rules
from tests.unique import assert_unique

Document = dict[str, Any]
SOLVERS = ["highs", "cbc"]

# Free: 50 t from A (10/t) and 50 t from B (12/t): 1,100; each country half of the supply.
THREE: Document = {
    "name": "a group of two",
    "periods": ["P1"],
    "materials": [{"id": "Nd"}],
    "country_groups": {"AB": ["A", "B"]},
    "sources": [
        {"id": "a", "country": "A", "capacity": {"Nd": 50}, "prices": {"Nd": 10}},
        {"id": "b", "country": "B", "capacity": {"Nd": 50}, "prices": {"Nd": 12}},
        {"id": "c", "country": "C", "capacity": {"Nd": 100}, "prices": {"Nd": 20}},
    ],
    "demand": {"Nd": 100},
}


def _with(**security: Any) -> Document:
    return _with_rules(THREE, **security)


def _solve(document: Document, solver: SolverName = "highs") -> Result:
    """The optimal plan, checked by tests/checker.py and by optiree's own verify."""
    result = _solved(document, solver)
    assert verify(prepare(Problem.model_validate(document)), result.tables()).relative <= TOLERANCE
    return result


def _row(result: Result, name: str) -> Any:
    return result.constraints.set_index("constraint").loc[name]


@pytest.mark.parametrize("solver", SOLVERS)
def test_group_cap_binds_where_each_member_alone_would_not(solver: SolverName) -> None:
    # At most 70 % from A and B together: A 50 t, B 20 t, C 30 t: 500 + 240 + 600 = 1,340.
    # Each alone at 70 % leaves the free plan (each has 50 %).
    assert _solve(THREE, solver).total_cost == pytest.approx(1100)
    alone = _solve(_with(max_country_share={"A": 0.7, "B": 0.7}), solver)
    assert alone.total_cost == pytest.approx(1100)
    document = _with(max_country_share={"AB": 0.7})
    result = _solve(document, solver)
    assert result.total_cost == pytest.approx(1340)
    tonnes = result.supply.set_index("source")["tonnes"]
    assert list(tonnes[["a", "b", "c"]]) == pytest.approx([50, 20, 30])
    # one point looser: a tonne from B (12) instead of C (20) saves 8
    looser = _solve(_with(max_country_share={"AB": 0.71}), solver)
    saved = result.total_cost - looser.total_cost
    assert saved == pytest.approx(8)
    row = _row(result, "max_share(AB,Nd,P1)")
    assert (row["value"], row["limit"]) == (pytest.approx(70), pytest.approx(70))
    assert row["cost_per_point"] == pytest.approx(saved)
    assert abs(row["shadow_price"]) == pytest.approx(8)
    assert_unique(Problem.model_validate(document), ["max_share(AB,Nd,P1)"])


@pytest.mark.parametrize("solver", SOLVERS)
def test_cover_without_a_group(solver: SolverName) -> None:
    # 40 % coverable without A and B at once: C sells 40 t, A 50 t, B 10 t: 500 + 120 + 800
    # = 1,420; without A alone (or B alone) the other's 50 t already cover 40 %.
    alone = [{"country": c, "share": 0.4} for c in ("A", "B")]
    assert _solve(_with(min_cover_without=alone), solver).total_cost == pytest.approx(1100)
    document = _with(min_cover_without=[{"group": "AB", "share": 0.4}])
    result = _solve(document, solver)
    assert result.total_cost == pytest.approx(1420)
    tonnes = result.supply.set_index("source")["tonnes"]
    assert list(tonnes[["a", "b", "c"]]) == pytest.approx([50, 10, 40])
    tighter = _solve(_with(min_cover_without=[{"group": "AB", "share": 0.41}]), solver)
    assert tighter.total_cost - result.total_cost == pytest.approx(8)
    row = _row(result, "cover_without(AB,Nd,P1)")
    assert row["cost_per_point"] == pytest.approx(8)
    assert abs(row["shadow_price"]) == pytest.approx(8)
    assert_unique(Problem.model_validate(document), ["cover_without(AB,Nd,P1)"])


def _as_groups(problem: Problem) -> Problem:
    """``problem`` with every country rule naming a group of that one country instead."""
    security = problem.security
    groups = {f"only_{c}": [c] for c in problem.countries}
    shares = {f"only_{c}": s for c, s in security.max_country_share.items()}
    covers = [
        rule.derive(country=None, group=f"only_{rule.country}")
        for rule in security.min_cover_without
    ]
    return Problem.model_validate(
        problem.model_dump()
        | {
            "country_groups": groups,
            "security": security.model_dump()
            | {
                "max_country_share": shares,
                "min_cover_without": [c.model_dump() for c in covers],
            },
        }
    )


@settings(deadline=None)
@given(problems())
def test_a_group_of_one_country_is_the_country_rule(problem: Problem) -> None:
    grouped = _as_groups(problem)
    plain, by_group = optiree.solve(problem), optiree.solve(grouped)
    assert by_group.status == plain.status
    if plain.status != "optimal":
        return
    assert by_group.total_cost == pytest.approx(plain.total_cost, rel=1e-7, abs=1e-6)
    assert check(grouped, by_group) == []
    assert verify(prepare(grouped), by_group.tables()).relative <= TOLERANCE
    # the same rows, under the group's name, with the same limits where they do not read the
    # plan (cover_without: the share of demand)
    renamed = plain.constraints["constraint"].str.replace(
        r"^(max_share|cover_without)\((\w+),", r"\1(only_\2,", regex=True
    )
    assert list(renamed) == list(by_group.constraints["constraint"])
    covers = renamed.str.startswith("cover_without(")
    assert list(by_group.constraints[covers.to_numpy()]["limit"]) == pytest.approx(
        list(plain.constraints[covers.to_numpy()]["limit"])
    )


def _errors(document: Document) -> list[ValidationError]:
    with pytest.raises(ValidationError) as error:
        Problem.model_validate(document)
    return error.value.errors()


@pytest.mark.parametrize(
    ("security", "loc"),
    [
        ({"max_country_share": {"XX": 0.5}}, ("max_country_share", "XX")),
        (
            {"min_cover_without": [{"country": "XX", "share": 0.4}]},
            ("min_cover_without", 0, "country"),
        ),
        ({"min_cover_without": [{"group": "XX", "share": 0.4}]}, ("min_cover_without", 0, "group")),
    ],
)
def test_an_unknown_name_names_the_countries_and_the_groups(
    security: Document, loc: tuple[Any, ...]
) -> None:
    errors = _errors(_with(**security))
    found = {tuple(e["loc"]): e["msg"] for e in errors}
    assert found[("security", *loc)] == (
        "unknown country or group 'XX'; countries: 'A', 'B', 'C'; groups: 'AB'"
    )


@pytest.mark.parametrize("target", [{}, {"country": "A", "group": "AB"}])
def test_a_cover_rule_names_a_country_or_a_group(target: Document) -> None:
    errors = _errors(_with(min_cover_without=[target | {"share": 0.4}]))
    assert [tuple(e["loc"]) for e in errors] == [("security", "min_cover_without", 0)]
    assert "exactly one of 'country' or 'group'" in errors[0]["msg"]


def test_one_cover_rule_per_group() -> None:
    rules = [{"group": "AB", "share": 0.4}, {"group": "AB", "share": 0.2}]
    locs = [tuple(e["loc"]) for e in _errors(_with(min_cover_without=rules))]
    assert ("security", "min_cover_without", 1, "country") in locs


@pytest.mark.parametrize("rule", ["max_share", "cover_without"])
def test_frontier_of_a_group(rule: str) -> None:
    """From the free plan (1,100) to none from A and B: all 100 t from C, 2,000."""
    problem = Problem.model_validate(THREE)
    curve = optiree.frontier(problem, rule=rule, group="AB", points=2)
    costs = curve.table.set_index("level")["total_cost"]
    assert costs.iloc[0] == pytest.approx(1100)
    assert costs.iloc[-1] == pytest.approx(2000)
    assert curve.subject == "AB"
    with pytest.raises(optiree.ArgumentError, match="unknown group 'nato'"):
        optiree.frontier(problem, rule=rule, group="nato")
