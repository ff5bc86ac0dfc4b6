"""Investment options, hand-solved, on every solver (docs/investment.md).

The worked example (``mine``): Dy for three years, 10 t a year; China sells 10 t a year at 100
but at most half of what is bought; a spot market 10 t a year at 400; a new mine at Lynas
(capacity 0 today, price 1.5 x 100 = 150) may be built, 100 per t of yearly capacity, lead
time one year, at most 10 t/yr, operating cost 5 per t/yr per year.

- Built in Y1, a tonne a year serves Y2 and Y3: it saves 2 x (400 - 150) = 500 for 100 of
  capital and 2 x 5 of operating, a net 390; built in Y2 it serves Y3 only (net 145). Without a
  budget the plan builds 5 t/yr in Y1 (what China's share leaves): cost 5,550.
- With a budget of 300 over the horizon it builds 3 t/yr in Y1; 2 t a year come from spot in
  Y2 and Y3: 2,500 + 2 x (500 + 450 + 800) + 300 + 30 = 6,330. One more dollar of budget builds
  0.01 t/yr: it saves 5 of spot less 1.5 at Lynas... net 3.9 per dollar (5 - 1 - 0.1), the
  budget row's shadow price.
"""

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import optiree
from optiree import Problem, Result
from optiree.html import render_report
from optiree.prepare import prepare
from optiree.solve import SolverName
from optiree.verify import verify
from tests.checker import check
from tests.strategies import investment_problems, plant_investment_problems
from tests.test_known_optima import _solve
from tests.unique import assert_unique, slopes

Document = dict[str, Any]


def mine(**changes: Any) -> Document:
    """The worked example, with ``changes`` to the option (``budget`` sets the total)."""
    budget = changes.pop("budget", None)
    option = {
        "id": "lynas_mine",
        "source": "lynas",
        "material": "Dy",
        "capital_cost": 100.0,
        "lead_time": 1,
        "max_size": 10.0,
        "operating_cost": 5.0,
        "investor": "JOGMEC",
    } | changes
    return {
        "name": "mine",
        "periods": ["Y1", "Y2", "Y3"],
        "period_days": 365.0,
        "materials": [{"id": "Dy"}],
        "reference_prices": {"Dy": 100.0},
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"Dy": 10.0}},
            {"id": "spot", "country": "XX", "capacity": {"Dy": 10.0}, "price_multiplier": 4.0},
            {"id": "lynas", "country": "AU", "capacity": {"Dy": 0.0}, "price_multiplier": 1.5},
        ],
        "demand": {"Dy": 10.0},
        "stock": {"holding_cost": {"Dy": 1.0}},  # no stock at the optimum: a unique plan
        "security": {"max_country_share": {"CN": 0.5}},
        "investments": [option],
        "budgets": [] if budget is None else [{"investor": "JOGMEC", "total": budget}],
    }


def line() -> Document:
    """A substitute's line, quarterly: Dy 10 t a quarter, China 6 t at 100, spot 10 t at 400; a
    ferrite motor saves 0.01 t of Dy per unit at 1 a unit, with no line yet. A line costs 1 per
    unit of yearly capacity and 0.4 per unit/yr a year to run, lead time 0. Built in Q1, a unit
    a year makes 0.25 units a quarter in Q1 and Q2: it saves 2 x 0.25 x 0.01 x 400 = 2 of spot
    for 1 + 2 x 0.25 x 1 + 2 x 0.1 = 1.7; built in Q2 it serves Q2 only (saves 1 for 1.375).
    So 1,600 units/yr in Q1 (400 units, 4 t, a quarter): 1,200 + 800 + 1,600 + 320 = 3,920."""
    return {
        "name": "line",
        "periods": ["Q1", "Q2"],
        "period_days": 91.25,
        "materials": [{"id": "Dy"}],
        "reference_prices": {"Dy": 100.0},
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"Dy": 6.0}},
            {"id": "spot", "country": "XX", "capacity": {"Dy": 10.0}, "price_multiplier": 4.0},
        ],
        "substitutes": [{"id": "ferrite", "saves": {"Dy": 0.01}, "cost": 1.0, "capacity": 0.0}],
        "demand": {"Dy": 10.0},
        "stock": {"holding_cost": {"Dy": 1.0}},
        "investments": [
            {
                "id": "ferrite_line",
                "substitute": "ferrite",
                "capital_cost": 1.0,
                "max_size": 10000.0,
                "operating_cost": 0.4,
            }
        ],
    }


def _built(result: Result) -> dict[tuple[str, str], float]:
    table = result.investments
    chosen = table[table["size"] > 1e-9]
    keys = zip(chosen["investment"], chosen["period"], strict=True)
    return dict(zip(keys, chosen["size"], strict=True))


def _components(result: Result) -> dict[str, float]:
    totals = result.costs.groupby("component")["cost"].sum()
    return {str(component): float(cost) for component, cost in totals.items()}


def test_mine_without_budget(solver: SolverName) -> None:
    problem, result = _solve(mine(), solver)
    assert result.total_cost == pytest.approx(5550.0)
    assert _built(result) == pytest.approx({("lynas_mine", "Y1"): 5.0})
    parts = _components(result)
    assert parts["capital"] == pytest.approx(500.0)
    assert parts["operating"] == pytest.approx(50.0)
    assert result.total_cost == pytest.approx(result.costs["cost"].sum())
    row = result.investments.set_index("period").loc["Y1"]
    assert row["available_from"] == "Y2"
    assert_unique(problem, [])


def test_mine_with_budget(solver: SolverName) -> None:
    problem, result = _solve(mine(budget=300.0), solver)
    assert result.total_cost == pytest.approx(6330.0)
    assert _built(result) == pytest.approx({("lynas_mine", "Y1"): 3.0})
    budget = result.constraints.set_index("constraint").loc["budget(JOGMEC,Y1..Y3)"]
    assert budget["rule"] == "budget"
    assert budget["binding"]
    assert budget["shadow_price"] == pytest.approx(3.9)
    assert_unique(problem, ["budget(JOGMEC,Y1..Y3)"])
    below, above = slopes(problem, "budget(JOGMEC,Y1..Y3)")
    # the cost falls by 3.9 per dollar the budget rises, on either side: the shadow price
    # (what tightening the budget by a dollar costs) is what one more dollar saves
    assert below == pytest.approx(-3.9, rel=1e-4)
    assert above == pytest.approx(-3.9, rel=1e-4)
    more = optiree.solve(Problem.model_validate(mine(budget=301.0)), solver)
    assert (result.total_cost or 0.0) - (more.total_cost or 0.0) == pytest.approx(3.9)


def test_budget_per_period(solver: SolverName) -> None:
    # 200 to spend in Y1 only (for every option): 2 t/yr in Y1 (serving Y2, Y3), then 3 t/yr
    # in Y2 to fill Y3. Purchases 2,500 + (500 + 300 + 1,200) + (500 + 750) = 5,750, capital
    # 500, operating 2 x 5 x 2 + 3 x 5 = 35: 6,285. A dollar more in Y1 builds 0.01 t/yr in Y1
    # and 0.01 less in Y2: 2.5 of spot saved in Y2, 0.1 - 0.05 more to run: 2.45.
    document = mine()
    document["budgets"] = [{"per_period": {"Y1": 200.0}}]
    problem, result = _solve(document, solver)
    assert result.total_cost == pytest.approx(6285.0)
    built = _built(result)
    assert built == pytest.approx({("lynas_mine", "Y1"): 2.0, ("lynas_mine", "Y2"): 3.0})
    row = result.constraints.set_index("constraint").loc["budget(all,Y1)"]
    assert row["shadow_price"] == pytest.approx(2.45)
    assert_unique(problem, ["budget(all,Y1)"])
    limit = result.constraints.set_index("constraint").loc["build_limit(lynas_mine,Y1..Y2)"]
    assert limit["value"] == pytest.approx(5.0)
    assert limit["limit"] == pytest.approx(10.0)


def test_verify_catches_a_build_beyond_the_budget() -> None:
    problem = Problem.model_validate(mine(budget=300.0))
    result = optiree.solve(problem)
    tables = result.tables()
    bigger = tables["investments"].copy()
    bigger["size"] = bigger["size"] * 2  # 6 t/yr in Y1: 600 of capital against 300
    worst = verify(prepare(problem), tables | {"investments": bigger})
    # the purchases table says Lynas has 3 t: the 6 the builds would give do not match
    assert worst.row == "band width(lynas,Dy,Y2,1)"
    bands = tables["purchases"].copy()
    bands.loc[bands["source"] == "lynas", "capacity"] = 6.0
    worst = verify(prepare(problem), tables | {"investments": bigger, "purchases": bands})
    assert worst.row == "budget(JOGMEC,Y1..Y3)"
    assert worst.amount == pytest.approx(300.0)
    late = tables["investments"].assign(available_from="Y1")  # no lead time
    assert verify(prepare(problem), tables | {"investments": late}).row.endswith("lead time")


def test_lead_time_and_no_option(solver: SolverName) -> None:
    # decided in Y1 with a lead of two years, a tonne a year serves Y3 only: 3 t/yr built,
    # 2,500 + 2,500 + 1,750 + 300 + 15 = 7,065; without the option 2,500 x 3 = 7,500
    assert _solve(mine(budget=300.0, lead_time=2), solver)[1].total_cost == pytest.approx(7065.0)
    without = mine()
    without["investments"] = []
    assert _solve(without, solver)[1].total_cost == pytest.approx(7500.0)


def test_substitute_line_quarterly(solver: SolverName) -> None:
    problem, result = _solve(line(), solver)
    assert result.total_cost == pytest.approx(3920.0)
    assert _built(result) == pytest.approx({("ferrite_line", "Q1"): 1600.0})
    units = result.substitution.set_index("period")["units"]
    assert units.to_dict() == pytest.approx({"Q1": 400.0, "Q2": 400.0})
    parts = _components(result)
    assert parts["capital"] == pytest.approx(1600.0)
    assert parts["operating"] == pytest.approx(320.0)
    assert_unique(problem, [])


def test_summary_words_investments() -> None:
    result = optiree.solve(Problem.model_validate(mine(budget=300.0)))
    text = result.summary()
    assert "Investments (size in t/yr" in text
    assert "lynas_mine" in text
    assert "budget(JOGMEC,Y1..Y3)" in text
    assert "investments" in result.tables()


def test_report_and_files_show_the_builds(tmp_path: Path) -> None:
    problem = Problem.model_validate(mine(budget=300.0))
    result = optiree.solve(problem)
    page = render_report(problem, result)
    assert 'id="investments"' in page
    assert "lynas_mine" in page
    written = result.write(tmp_path / "out")
    table = pd.read_csv(written / "investments.csv")
    assert table["size"].tolist() == pytest.approx([3.0, 0.0])
    summary = json.loads((written / "summary.json").read_text())
    assert summary["cost_by_component"]["capital"] == pytest.approx(300.0)
    assert "investments.csv" in summary["tables"]


def test_kilograms_give_the_same_plan(solver: SolverName) -> None:
    # quantities in kg REO: capacities and sizes x 1,000, costs per kg of yearly capacity
    document = mine(budget=300.0, max_size=10000.0, capital_cost=0.1, operating_cost=0.005)
    document["units"] = {"quantities": "kg REO"}
    for source in document["sources"]:
        source["capacity"] = {"Dy": source["capacity"]["Dy"] * 1000}
    problem, result = _solve(document, solver)
    assert result.total_cost == pytest.approx(6330.0)
    assert _built(result) == pytest.approx({("lynas_mine", "Y1"): 3.0})  # t/yr in the tables
    assert "1 investment option" in repr(problem)


def test_problem_without_investments_has_no_table() -> None:
    document = mine()
    document["investments"] = []
    result = optiree.solve(Problem.model_validate(document))
    assert "investments" not in result.tables()
    assert "capital" not in set(result.costs["component"])


# -- validation ---------------------------------------------------------------------------------


def _errors(document: Document) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        Problem.model_validate(document)
    return [(tuple(e["loc"]), e["msg"]) for e in caught.value.errors()]


def _with(document: Document, **option: Any) -> Document:
    document["investments"] = [document["investments"][0] | option]
    return document


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        ({"source": "nowhere"}, ("investments", 0, "source"), "unknown source 'nowhere'"),
        ({"material": "Tb"}, ("investments", 0, "material"), "does not list 'Tb'"),
        ({"lead_time": -1}, ("investments", 0, "lead_time"), "greater than or equal to 0"),
        ({"max_size": -1.0}, ("investments", 0, "max_size"), "greater than or equal to 0"),
        ({"capital_cost": 1e13}, ("investments", 0, "capital_cost"), "less than or equal"),
        ({"operating_cost": float("nan")}, ("investments", 0, "operating_cost"), "finite"),
        ({"earliest": "Y9"}, ("investments", 0, "earliest"), "unknown period 'Y9'"),
        ({"substitute": "motor"}, ("investments", 0), "exactly one of"),
        ({"feed": "clay"}, ("investments", 0), "expands exactly one of"),
        ({"separation": True}, ("investments", 0), "expands exactly one of"),
    ],
)
def test_invalid_option_names_its_field(
    change: dict[str, Any], where: tuple[Any, ...], words: str
) -> None:
    errors = _errors(_with(mine(), **change))
    assert any(loc == where and words in message for loc, message in errors), errors


def test_budget_of_unknown_investor_and_missing_period_days() -> None:
    document = mine()
    document["budgets"] = [{"investor": "METI", "total": 10.0}]
    errors = _errors(document)
    assert any(
        loc == ("budgets", 0, "investor") and "unknown investor 'METI'" in m for loc, m in errors
    )
    document = mine()
    del document["period_days"]
    errors = _errors(document)
    assert any(loc == ("period_days",) and "investments need period_days" in m for loc, m in errors)
    document = mine()
    document["budgets"] = [{"investor": "JOGMEC"}]
    assert any("per_period" in m for _, m in _errors(document))


def test_new_capacity_needs_a_price_where_it_serves() -> None:
    document = mine()
    document["reference_prices"] = {"Dy": {"Y1": 100.0}}
    document["sources"][0]["capacity"] = {"Dy": {"Y1": 10.0}}
    document["sources"][1]["capacity"] = {"Dy": {"Y1": 10.0}}
    errors = _errors(document)
    assert any(
        loc == ("investments", 0, "material") and "no price is given there" in m
        for loc, m in errors
    ), errors


# -- the analyses on a problem with investments ----------------------------------------------


def _uncertain() -> Problem:
    """The worked example with a budget of 300, shortage allowed and two scenarios: calm, or
    China's embargo in Y2 and Y3."""
    document = mine(budget=300.0)
    document["shortage_penalty"] = {"Dy": 5000.0}
    embargo = {"country": "CN", "start": "Y2", "length": 2, "cut": 1.0}
    document["scenarios"] = [
        {"name": "embargo", "probability": 0.3, "disruptions": [embargo]},
        {"name": "calm", "probability": 0.7},
    ]
    return Problem.model_validate(document)


def test_sensitivity_reads_the_budget() -> None:
    result = optiree.solve(_uncertain())
    analysis = optiree.sensitivity(result)
    rules = analysis.rules
    assert "budget" in set(rules["rule"])
    assert "budget JOGMEC: 3.90 per USD of budget" in analysis.summary()


def test_frontier_with_investments() -> None:
    found = optiree.frontier(_uncertain(), "CN", points=3)
    costs = found.table["total_cost"].to_numpy()
    assert (costs[:-1] <= costs[1:] + 1e-6).all()  # tighter shares never cost less


def test_stress_test_keeps_the_committed_build() -> None:
    problem = _uncertain()
    plan = optiree.solve(problem)
    stressed = optiree.stress_test(problem, plan, "embargo", 1)
    # Y1 is committed: 2,500 of purchases and the 3 t/yr build (300 + 30 operating)
    assert stressed.committed_cost == pytest.approx(2830.0)


def test_stochastic_builds_in_the_first_stage() -> None:
    result = optiree.solve_stochastic(_uncertain(), commit_periods=1)
    first = result.first_stage
    builds = first[first["decision"] == "build"]
    assert list(builds["item"]) == ["lynas_mine"]
    assert float(builds["value"].iloc[0]) == pytest.approx(3.0)


def test_sweep_with_investments() -> None:
    problem = _uncertain()
    swept = optiree.sweep(problem, problem.scenarios, progress=False)
    costs = dict(zip(swept.table["scenario"], swept.table["total_cost"], strict=True))
    assert costs["calm"] == pytest.approx(6330.0)
    assert costs["embargo"] >= costs["calm"]


def test_diagnose_raises_the_budget() -> None:
    document = mine(budget=300.0)
    document["sources"] = [s for s in document["sources"] if s["id"] == "lynas"]
    document["security"] = {}
    document["demand"] = {"Dy": {"Y1": 0.0, "Y2": 4.0, "Y3": 4.0}}
    problem = Problem.model_validate(document)
    assert optiree.solve(problem).status == "infeasible"
    diagnosis = optiree.diagnose(problem)
    rules = diagnosis.rules.set_index("field")
    assert rules.loc["budgets.0.total", "sufficient"] == pytest.approx(400.0, rel=1e-4)
    assert rules.loc["budgets.0.total", "unit"] == "USD"  # money, not tonnes
    assert "What has to give: 100.0 USD in 1 row" in diagnosis.summary()
    fixed = diagnosis.apply(problem)
    assert optiree.solve(fixed).status == "optimal"


# -- properties on random problems with investments ------------------------------------------

OPTIONS = st.one_of(investment_problems(), plant_investment_problems())
"""Random problems with options on sources' materials and substitutes' lines, or on feeds
and separation plants (tests/test_invest_plants.py solves those by hand)."""


def _total(problem: Problem) -> float:
    result = optiree.solve(problem)
    assert result.status == "optimal", result.message
    assert result.total_cost is not None
    return result.total_cost


def _close_or_below(a: float, b: float) -> bool:
    return a <= b + 1e-6 * max(1.0, abs(a), abs(b))


@settings(max_examples=25)
@given(OPTIONS)
def test_random_plans_pass_the_checker(problem: Problem) -> None:
    result = optiree.solve(problem)
    assert result.status == "optimal", result.message
    assert check(problem, result) == []
    assert result.total_cost == pytest.approx(result.costs["cost"].sum())


@settings(max_examples=25)
@given(OPTIONS)
def test_a_larger_budget_never_costs_more(problem: Problem) -> None:
    looser = [
        budget.derive(
            per_period=None if budget.per_period is None else _doubled(budget.per_period),
            total=None if budget.total is None else 2 * budget.total,
        )
        for budget in problem.budgets
    ]
    assert _close_or_below(_total(problem.derive(budgets=looser)), _total(problem))
    assert _close_or_below(_total(problem.derive(budgets=[])), _total(problem))


def _doubled(value: float | dict[str, float]) -> float | dict[str, float]:
    return {t: 2 * v for t, v in value.items()} if isinstance(value, dict) else 2 * value


@settings(max_examples=25)
@given(OPTIONS)
def test_a_longer_lead_time_never_costs_less(problem: Problem) -> None:
    slower = [o.derive(lead_time=o.lead_time + 1) for o in problem.investments]
    assert _close_or_below(_total(problem), _total(problem.derive(investments=slower)))


@settings(max_examples=25)
@given(OPTIONS)
def test_allowing_an_investment_never_costs_more(problem: Problem) -> None:
    without = problem.derive(investments=[], budgets=[])
    assert _close_or_below(_total(problem), _total(without))
