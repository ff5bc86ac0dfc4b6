"""The Japan companion file with investment options: its figures are the Japan file's, and
what docs/japan.md says the model picks against the 2026 controls is what it picks."""

import re
from functools import cache
from pathlib import Path

import pytest
import yaml

import optiree
from optiree import Problem, Result
from optiree.disruption.scenarios import disrupted
from optiree.schema import Budget

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
JAPAN = EXAMPLES / "japan_2026.yaml"
INVEST = EXAMPLES / "japan_2026_invest.yaml"
OWN = {"name", "description", "investments", "budgets"}
"""The companion's own keys; its other keys are the Japan file's."""
NEW_SOURCES = {"lynas_expansion", "hre_line"}
DEMAND = {"NdPr": 1250, "Dy": 100, "Tb": 20}
"""Japan's demand per quarter, as in the file."""


def test_the_companion_keeps_the_japan_figures() -> None:
    japan, invest = (yaml.safe_load(path.read_text()) for path in (JAPAN, INVEST))
    assert set(invest) - set(japan) == OWN - {"name", "description"}
    for key in set(japan) - OWN - {"sources"}:
        assert invest[key] == japan[key], key
    kept = [s for s in invest["sources"] if s["id"] not in NEW_SOURCES]
    assert kept == japan["sources"]
    assert {s["id"] for s in invest["sources"]} - {s["id"] for s in kept} == NEW_SOURCES


@cache
def _controls(budget: float | None = None) -> Result:
    """The companion under controls_2026, with its budgets or one total for every option."""
    problem = disrupted(optiree.load_problem(INVEST), "controls_2026")
    if budget is not None:
        problem = problem.derive(budgets=[Budget(total=budget)])
    return optiree.solve(problem)


def _built(result: Result) -> dict[str, float]:
    """t/yr (units/yr) built by option, all decided in 2026Q1."""
    builds = result.investments[result.investments["size"] > 1e-6]
    assert set(builds["period"]) <= {"2026Q1"}
    return dict(zip(builds["investment"], builds["size"], strict=True))


def _short(result: Result, year: str = "") -> dict[str, float]:
    rows = result.shortage[result.shortage["period"].str.startswith(year)]
    return rows.groupby("material")["tonnes"].sum().to_dict()


def test_the_portfolio_against_the_controls() -> None:
    """docs/japan.md, "Build, buy or hold": what the plan builds under controls_2026."""
    plan = _controls()
    assert plan.total_cost == pytest.approx(4_538_853_629, rel=1e-8)
    without = optiree.solve(disrupted(optiree.load_problem(JAPAN), "controls_2026"))
    assert without.total_cost - plan.total_cost == pytest.approx(850.6e6, rel=1e-4)
    assert _built(plan) == pytest.approx(
        {"hre_line_dy": 222.8, "hre_line_tb": 72.5, "recycling_tb": 3.7}, abs=0.05
    )
    spent = plan.investments.groupby("investor")["capital_cost"].sum()
    assert spent.sum() == pytest.approx(137.07e6, rel=1e-4)
    assert spent["state"] == pytest.approx(115.6e6, rel=1e-3)  # of 250 M: no budget binds
    assert spent["industry"] == pytest.approx(21.42e6, rel=1e-3)  # of 120 M
    assert _short(plan) == pytest.approx({"NdPr": 0, "Dy": 189.8, "Tb": 37.6}, abs=0.05)
    assert _short(plan, "2027") == pytest.approx({"NdPr": 0, "Dy": 0, "Tb": 0}, abs=1e-6)
    # Without options the plan keeps 10 t of Dy and 1.7 t of Tb through 2026 for 2027, short
    # 199.8 t of Dy in 2026; with the line coming in 2027 it draws them in 2026Q4 instead.
    assert _short(without, "2026")["Dy"] == pytest.approx(199.8, abs=0.05)
    closing = plan.inventory.set_index(["material", "period"])["closing"]
    assert closing["Dy", "2026Q4"] == pytest.approx(0, abs=1e-6)
    assert closing["Tb", "2026Q4"] == pytest.approx(0, abs=1e-6)
    assert closing["Dy", "2027Q3"] == pytest.approx(65.75, abs=0.01)  # back at 60 days
    assert closing["Tb", "2027Q1"] == pytest.approx(13.15, abs=0.01)
    before = without.inventory.set_index(["material", "period"])["closing"]
    assert before["Dy", "2026Q4"] == pytest.approx(10.0, abs=0.05)
    assert before["Tb", "2026Q4"] == pytest.approx(1.7, abs=0.05)
    assert before["Dy", "2027Q4"] == pytest.approx(12.0, abs=0.05)
    assert before["Tb", "2027Q4"] == pytest.approx(0, abs=1e-6)


def test_no_disruption_builds_nothing() -> None:
    plan = optiree.solve(optiree.load_problem(INVEST))
    assert plan.total_cost == pytest.approx(1_345_119_637, rel=1e-8)
    assert _built(plan) == {}


@pytest.mark.parametrize(
    ("budget", "built"),
    [
        (10e6, {"hre_line_tb": 25.5}),
        (20e6, {"hre_line_dy": 20.8, "hre_line_tb": 30.3}),
        (52e6, {"hre_line_dy": 101.1, "hre_line_tb": 31.7}),
        (60e6, {"hre_line_dy": 101.1, "hre_line_tb": 49.7, "recycling_tb": 0.2}),
    ],
)
def test_what_a_budget_buys(budget: float, built: dict[str, float]) -> None:
    """The build mix along the budget frontier, as docs/japan.md words it."""
    assert _built(_controls(budget)) == pytest.approx(built, abs=0.05)
    if budget >= 52e6:  # the Dy line is large enough for 2027
        assert _short(_controls(budget), "2027")["Dy"] == pytest.approx(0, abs=1e-6)


def _days(problem: Problem, days: float) -> Problem:
    """Initial stock and stock target at ``days`` of demand, for every material."""
    stock = problem.stock.derive(initial={m: days / 91.25 * q for m, q in DEMAND.items()})
    security = problem.security.derive(min_stock_days=dict.fromkeys(DEMAND, days))
    return problem.derive(stock=stock, security=security)


def test_stock_and_investment_do_not_replace_each_other() -> None:
    """180 days of stock instead of 60 save more with the options than without; the options
    save more, and build more, with 180 days than with 60."""
    cost, capital = {}, {}
    for path in (JAPAN, INVEST):
        for days in (60, 180):
            plan = optiree.solve(
                disrupted(_days(optiree.load_problem(path), days), "controls_2026")
            )
            cost[path.stem, days] = plan.total_cost
            capital[path.stem, days] = float(plan.investments["capital_cost"].sum())
    stock_saves = {name: cost[name, 60] - cost[name, 180] for name in (JAPAN.stem, INVEST.stem)}
    assert stock_saves[JAPAN.stem] == pytest.approx(1_155e6, rel=1e-3)
    assert stock_saves[INVEST.stem] == pytest.approx(1_255e6, rel=1e-3)
    options_save = {d: cost[JAPAN.stem, d] - cost[INVEST.stem, d] for d in (60, 180)}
    assert options_save == pytest.approx({60: 851e6, 180: 950e6}, rel=1e-3)
    assert capital[INVEST.stem, 60] == pytest.approx(137e6, rel=1e-2)
    assert capital[INVEST.stem, 180] == pytest.approx(216e6, rel=1e-2)


def test_the_page_lists_the_options_of_the_file() -> None:
    """docs/japan.md's table of options: capital, lead time, largest size and investor."""
    page = (EXAMPLES.parent / "docs" / "japan.md").read_text()
    rows = re.findall(
        r"^\| `(\w+)` \| [^|]+ \| ([\d,.]+) \| (\d+) \| ([\d,.]+) \| (\w+) \|$", page, re.M
    )
    shown = {
        ident: (float(capital.replace(",", "")), int(lead), float(size.replace(",", "")), who)
        for ident, capital, lead, size, who in rows
    }
    options = optiree.load_problem(INVEST).investments
    assert shown == {o.id: (o.capital_cost, o.lead_time, o.max_size, o.investor) for o in options}
    assert all(o.operating_cost == pytest.approx(0.05 * o.capital_cost) for o in options)
    budgets = {b.investor: b.total for b in optiree.load_problem(INVEST).budgets}
    assert budgets == {"state": 250e6, "industry": 120e6}
