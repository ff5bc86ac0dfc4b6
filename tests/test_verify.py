"""The plan check that runs before solve() returns: it names the worst row a plan breaks.

Plans solved right pass; plans with one number changed, or solved from an LP missing a row,
fail at the row that breaks, by the amount it breaks.
"""

import importlib
from collections.abc import Callable
from typing import Any

import pandas as pd
import pulp
import pytest

import optiree
from optiree import Problem, Status
from optiree.columns import from_records
from optiree.model import LpModel, Statement, _Builder
from optiree.prepare import prepare
from optiree.solve import SolverName
from optiree.verify import TOLERANCE, verify
from tests.samples import JAPAN, two_country
from tests.test_integer import qualified
from tests.test_supply import contract_problem, feed_problem, ramp_problem, tier_problem

Tables = dict[str, pd.DataFrame]
solve_module = importlib.import_module("optiree.solve")  # optiree.solve is also the function
verify_module = importlib.import_module("optiree.verify")


def capped() -> dict[str, object]:
    """two_country with China capped at 25 t and 0.1 x demand = 5 t of Dy to keep in stock:
    China 25, Lynas 30 (55 t bought, 5 t kept)."""
    document = two_country()
    document["caps"] = [{"id": "quota", "country": "CN", "max_tonnes": 25}]
    document["security"]["min_stock_cover"] = {"Dy": 0.1}
    return document


SAMPLES = {
    "two_country": two_country,
    "capped": capped,
    "feed": feed_problem,
    "tiers": tier_problem,
    "contract": lambda: contract_problem(min_tonnes=80, sum_over=["periods"], take_or_pay=100),
    "ramp": lambda: ramp_problem({"max_increase": 5}, share=0.9),
}


@pytest.mark.parametrize("name", SAMPLES)
def test_solved_plans_pass(name: str, solver: SolverName) -> None:
    problem = Problem.model_validate(SAMPLES[name]())
    result = optiree.solve(problem, solver)
    assert result.is_optimal
    worst = verify(prepare(problem), result.tables())
    assert worst.relative <= TOLERANCE, str(worst)


def test_the_japan_plan_passes() -> None:
    problem = optiree.load_problem(JAPAN)
    result = optiree.solve(problem)
    assert verify(prepare(problem), result.tables()).relative <= TOLERANCE


def _changed(
    tables: Tables,
    table: str,
    where: Callable[[pd.DataFrame], pd.Series],
    column: str,
    value: float,
) -> Tables:
    copy = {name: frame.copy() for name, frame in tables.items()}
    frame = copy[table]
    frame.loc[where(frame), column] = value
    return copy


def test_a_purchase_above_capacity_is_named() -> None:
    """China's 30 t raised to 130 t in the purchases table: 30 t above its 100 t capacity."""
    problem = Problem.model_validate(two_country())
    tables = optiree.solve(problem).tables()
    bad = _changed(tables, "purchases", lambda f: f["source"] == "china", "tonnes", 130.0)
    worst = verify(prepare(problem), bad)
    assert worst.row == "buy(china,Dy,P1,1)"
    assert worst.amount == pytest.approx(30)
    assert worst.relative == pytest.approx(30 / 230)


def test_stock_below_its_cover_is_named() -> None:
    """The capped plan keeps 5 t; a closing stock of 4 t breaks the stock-cover row by 1 t."""
    problem = Problem.model_validate(capped())
    tables = optiree.solve(problem).tables()
    assert tables["inventory"]["closing"].tolist() == [pytest.approx(5)]
    bad = _changed(tables, "inventory", lambda f: f["material"] == "Dy", "closing", 4.0)
    worst = verify(prepare(problem), bad)
    assert worst.row == "stock_cover(Dy,P1)"
    assert worst.amount == pytest.approx(1)


@pytest.mark.parametrize(
    ("rule", "sample", "row"),
    [
        ("caps", capped, "cap(quota,Dy,P1)"),
        (
            "contracts",
            lambda: contract_problem(min_tonnes=80, sum_over=["periods"]),
            "contract(offtake,NdPr,P1..P2)",
        ),
        ("ramp", lambda: ramp_problem({"max_increase": 5}), "ramp(ferrite,P1)"),
        ("max_share", two_country, "max_share(CN,Dy,P1)"),
    ],
)
def test_a_plan_from_an_lp_missing_a_rule_is_refused(
    rule: str, sample: Callable[[], dict[str, object]], row: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Build the LP without one kind of row: the solver's plan breaks that rule, the check
    names it, and solve() returns status "error" with no plan instead of a wrong one."""
    problem = Problem.model_validate(sample())
    assert optiree.solve(problem).is_optimal
    monkeypatch.setattr(_Builder, rule, lambda self: None)
    result = optiree.solve(problem)
    assert result.status == "error"
    assert row in result.message
    assert result.total_cost is None
    assert result.purchases.empty


def test_a_run_stopped_at_its_time_limit_returns_its_checked_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run the time limit stopped with a feasible point: status "time_limit", the plan and
    its cost, no shadow prices. The point is simulated by the finished solve, reported as
    stopped (a real stop depends on the machine's speed)."""
    problem = Problem.model_validate(capped())
    original = solve_module.made_and_run

    def stopped(statement: Statement, solver: pulp.LpSolver) -> tuple[LpModel, Status, str]:
        model, _, _ = original(statement, solver)
        return model, Status.TIME_LIMIT, "stopped at the time limit of 1 s"

    monkeypatch.setattr(solve_module, "made_and_run", stopped)
    result = optiree.solve(problem, time_limit=1.0)
    assert result.status == "time_limit"
    assert "best plan found" in result.message
    assert result.total_cost == pytest.approx(25 * 100 + 30 * 150)
    assert result.max_violation <= TOLERANCE
    assert result.constraints["shadow_price"].isna().all()
    assert result.purchases["reduced_cost"].isna().all()
    assert not result.is_optimal


def test_a_run_stopped_without_a_point_returns_no_plan() -> None:
    """HiGHS stopped before its first iteration has no plan to give."""
    result = optiree.solve(Problem.model_validate(capped()), time_limit=1e-9)
    assert result.status == "time_limit"
    assert result.total_cost is None
    assert result.purchases.empty


def test_negative_stock_and_unpriced_sales_are_named() -> None:
    """A closing stock of -2 t breaks its bound; so does a sale where nothing may be sold."""
    problem = Problem.model_validate(capped())
    tables = optiree.solve(problem).tables()
    bad = _changed(tables, "inventory", lambda f: f["material"] == "Dy", "closing", -2.0)
    worst = verify(prepare(problem), bad)
    assert worst.row in {"stock(Dy,P1)", "stock_cover(Dy,P1)"}
    assert worst.relative > TOLERANCE
    sold = _changed(tables, "inventory", lambda f: f["material"] == "Dy", "sold", 3.0)
    worst = verify(prepare(problem), sold)
    assert worst.relative > TOLERANCE


def _separated() -> dict[str, Any]:
    """two_country with Lynas separating at most 40 t: China 30 t, Lynas 20 t."""
    document = two_country()
    document["sources"][1]["separation_capacity"] = 40
    return document


def _covered() -> dict[str, Any]:
    """two_country with 30% of the Dy demand covered without China: Lynas' 20 t of 50."""
    document = two_country()
    document["security"]["min_cover_without"] = [{"country": "CN", "share": 0.3}]
    return document


def _set(*path: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The document with the value at ``path[:-1]`` set to ``path[-1]``."""

    def change(document: dict[str, Any]) -> dict[str, Any]:
        inner = document
        for key in path[:-2]:
            inner = inner[key]
        inner[path[-2]] = path[-1]
        return document

    return change


@pytest.mark.parametrize(
    ("sample", "tighter", "row", "amount"),
    [
        # 10,000 t of Mount Weld feed, 5,000 t allowed
        (feed_problem, _set("sources", 1, "feeds", 0, "capacity", 5000), "feed(mtweld,P1)", 5000),
        # 300 t of NdPr sold, 100 t allowed
        (feed_problem, _set("surplus", "NdPr", "max_sold", 100), "sell(NdPr,P1)", 200),
        # 20 ferrite units a period, 10 allowed (every period alike: the first is named)
        (ramp_problem, _set("substitutes", 0, "capacity", 10), "sub(ferrite,P1)", 10),
        # Lynas delivers 20 t, separates 10
        (_separated, _set("sources", 1, "separation_capacity", 10), "separation(lynas,P1)", 10),
        # 20 t without China, 25 t needed
        (
            _covered,
            _set("security", "min_cover_without", 0, "share", 0.5),
            "cover_without(CN,Dy,P1)",
            5,
        ),
        # c qualified for 300, the check's problem charges 600: half of its 20 t unpaid
        (lambda: qualified(300.0), lambda _: qualified(600.0), "qualification(c)", 10),
    ],
)
def test_a_plan_checked_against_a_tighter_problem_names_the_row(
    sample: Callable[[], dict[str, Any]],
    tighter: Callable[[dict[str, Any]], dict[str, Any]],
    row: str,
    amount: float,
) -> None:
    """A plan solved right, checked against the problem with one limit tightened: the row of
    that limit is the worst, by what the plan exceeds it."""
    tables = optiree.solve(Problem.model_validate(sample())).tables()
    assert verify(prepare(Problem.model_validate(sample())), tables).relative <= TOLERANCE
    worst = verify(prepare(Problem.model_validate(tighter(sample()))), tables)
    assert worst.row == row
    assert worst.amount == pytest.approx(amount)


@pytest.mark.parametrize("columns", [False, True], ids=["DataFrames", "columns"])
@pytest.mark.parametrize("twice", [False, True])
def test_large_and_small_supply_tables_are_read_alike(
    twice: bool, columns: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """verify groups a large supply table by (material, period) with pandas, a small one in a
    loop: the same worst row and amounts either way, also for a table that holds a cell twice
    (its last row counts: 50 t more, which breaks the balance); the tables as DataFrames, or
    as the columns a solve checks before any DataFrame is made."""
    problem = optiree.load_problem(JAPAN)
    tables: dict[str, Any] = optiree.solve(problem).tables()
    if twice:
        supply = tables["supply"]
        again = supply.iloc[[0]].assign(tonnes=supply["tonnes"].iloc[0] + 50.0)
        tables = tables | {"supply": pd.concat([supply, again], ignore_index=True)}
    if columns:
        tables = {
            name: from_records(list(table.itertuples(index=False)), list(table.columns))
            for name, table in tables.items()
        }
    data = prepare(problem)
    looped = verify(data, tables)
    assert (looped.relative > TOLERANCE) == twice
    monkeypatch.setattr(verify_module, "GROUPED", 0)
    assert verify(data, tables) == looped
