"""The frontier of cost against the capital budget, on a hand-solved problem."""

import importlib
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

import optiree
from optiree import ArgumentError, Problem
from optiree.cli import main
from optiree.frontier import frontier
from optiree.solve import SolverName
from tests.strategies import investment_problems

JAPAN = Path(__file__).resolve().parents[1] / "examples" / "japan_2026.yaml"


def _two_options(**extra: Any) -> Problem:
    """Dy for two years, 10 t a year; spot sells 10 t a year at 400, nothing else is there yet.

    Two options, no lead time, bought in Y1 to serve both years (decided in Y2 they would serve
    one, worth less per dollar than either in Y1):

    - recycling (industry): 50 per t/yr, at most 4 t/yr, sells at 200: a t/yr saves
      2 x (400 - 200) = 400 for 50 of capital, a net 350: 7 per dollar;
    - a Lynas mine (state): 100 per t/yr, at most 4 t/yr, sells at 150: saves 2 x 250 = 500
      for 100, a net 400: 4 per dollar.

    With a budget B for both: recycling first (B <= 200, cost 8,000 - 7 B), then the mine
    (200 <= B <= 600, cost 6,600 - 4 (B - 200)); without a budget both are built to their
    largest size for 600 of capital (cost 5,000). The breakpoint is at B = 200, where the
    build mix changes.
    """
    document: dict[str, Any] = {
        "name": "two options",
        "periods": ["Y1", "Y2"],
        "period_days": 365,
        "materials": [{"id": "Dy"}],
        "reference_prices": {"Dy": 100},
        "sources": [
            {"id": "spot", "country": "XX", "capacity": {"Dy": 10}, "price_multiplier": 4},
            {"id": "lynas", "country": "AU", "capacity": {"Dy": 0}, "price_multiplier": 1.5},
            {"id": "recycling", "country": "JP", "capacity": {"Dy": 0}, "price_multiplier": 2},
        ],
        "demand": {"Dy": 10},
        "investments": [
            {
                "id": "recycling_plant",
                "source": "recycling",
                "material": "Dy",
                "capital_cost": 50,
                "max_size": 4,
                "investor": "industry",
            },
            {
                "id": "lynas_mine",
                "source": "lynas",
                "material": "Dy",
                "capital_cost": 100,
                "max_size": 4,
                "investor": "state",
            },
        ],
    }
    return Problem.model_validate(document | extra)


def _by_hand(budget: float) -> float:
    """The least cost with a total budget for both options, by hand (see _two_options)."""
    return 8_000 - 7 * min(budget, 200) - 4 * min(max(budget - 200, 0), 400)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_budget_frontier_by_hand(solver: SolverName) -> None:
    curve = frontier(_two_options(), rule="budget", points=4, solver=solver)
    table = curve.table
    assert curve.subject == "all"
    assert table["level"].iloc[0] == pytest.approx(600)  # the capital the free plan spends
    assert table["level"].iloc[-1] == pytest.approx(0, abs=1e-9)
    assert table["total_cost"].iloc[0] == pytest.approx(5_000)
    assert table["total_cost"].iloc[-1] == pytest.approx(8_000)
    for row in table.itertuples():
        assert row.total_cost == pytest.approx(_by_hand(row.level))
    (knee,) = table.loc[table["breakpoint"], "level"]
    assert knee == pytest.approx(200, abs=1e-5)
    assert _by_hand(knee) == pytest.approx(6_600)
    per = table["marginal_cost_per_point"]
    above = table["level"] > knee + 1e-6
    assert per[above].tolist() == pytest.approx([4] * int(above.sum()))  # dollars per dollar
    below = (table["level"] <= knee + 1e-6) & per.notna()
    assert per[below].tolist() == pytest.approx([7] * int(below.sum()))


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_one_investors_budget(solver: SolverName) -> None:
    """The state's budget swept with industry's held at 100 (2 t/yr of recycling, saving 700):
    the mine alone, 4 per dollar up to 400 (cost 7,300 - 4 B), no breakpoint."""
    problem = _two_options(budgets=[{"investor": "industry", "total": 100}])
    table = frontier(problem, rule="budget", investor="state", points=3, solver=solver).table
    assert table["level"].iloc[0] == pytest.approx(400)
    assert table["level"].iloc[-1] == pytest.approx(0, abs=1e-9)
    for row in table.itertuples():
        assert row.total_cost == pytest.approx(7_300 - 4 * row.level)
    assert not table["breakpoint"].any()


def test_summary_words_money() -> None:
    text = frontier(_two_options(), rule="budget", points=1).summary()
    assert text.startswith("Frontier of budget all (level: capital budget of all)")
    assert "cost_per_unit" in text
    assert "USD less budget" in text
    assert "\n  600 " in text  # the level in money, not in %


def test_budget_frontier_refusals() -> None:
    with pytest.raises(ArgumentError, match=r"unknown investor 'navy'.*industry, state"):
        frontier(_two_options(), rule="budget", investor="navy")
    plain = optiree.load_problem(JAPAN)
    with pytest.raises(ArgumentError, match="needs investment options"):
        frontier(plain, rule="budget")


def test_cli_budget_frontier(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "two.json"
    path.write_text(_two_options().model_dump_json(exclude_defaults=True))
    code = main(["frontier", str(path), "--rule", "budget", "--investor", "state", "--points", "2"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Frontier of budget state" in out
    code = main(["frontier", str(path), "--rule", "budget", "--investor", "navy"])
    assert code == 2
    assert "--investor" in capsys.readouterr().err


@settings(max_examples=15, deadline=None)
@given(investment_problems())
def test_cost_never_rises_as_the_budget_grows(problem: Problem) -> None:
    table = frontier(problem, rule="budget", points=3).table  # loosest (largest budget) first
    costs = table["total_cost"].to_numpy()
    assert (costs[:-1] <= costs[1:] + 1e-6 * (1 + abs(costs[1:]))).all()
    assert (table["level"].diff().dropna() <= 1e-9).all()


def test_slope_from_the_budget_dual_is_the_finite_difference() -> None:
    """d cost / d budget from the budget row's shadow price equals the central difference of
    the solved costs, on every stretch of the hand-solved curve."""
    problem = _two_options()
    table = frontier(problem, rule="budget", points=4).table
    frontier_module = importlib.import_module("optiree.frontier")
    tracer = frontier_module._Tracer(
        problem, frontier_module._rule(problem, "budget", "CN", None), "highs", False
    )
    for low, high in itertools.pairwise(table["level"].tolist()):
        middle, step = (low + high) / 2, abs(high - low) / 1000
        difference = (tracer.cost(middle + step) - tracer.cost(middle - step)) / (2 * step)
        assert tracer.slope(middle) == pytest.approx(difference, rel=1e-6)
        assert difference == pytest.approx(-7 if middle < 200 else -4)


@pytest.mark.parametrize(
    ("extra", "flag"),
    [
        (["--rule", "max_share", "--investor", "state"], "--investor"),
        (["--rule", "budget", "--scenario", "nope"], "--scenario nope"),
    ],
)
def test_cli_usage_errors_name_the_flag(
    extra: list[str], flag: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "two.json"
    path.write_text(_two_options().model_dump_json(exclude_defaults=True))
    assert main(["frontier", str(path), *extra]) == 2
    assert f"error: {flag}" in capsys.readouterr().err


def test_cli_budget_frontier_without_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frontier", str(JAPAN), "--rule", "budget"]) == 2
    assert "error: --rule budget: a budget frontier needs investment options" in (
        capsys.readouterr().err
    )


def test_the_plot_labels_dollars_per_dollar() -> None:
    pytest.importorskip("matplotlib")
    from optiree.plots import frontier_curve  # noqa: PLC0415  # matplotlib is optional

    curve = frontier(_two_options(), rule="budget", points=4)
    figure = frontier_curve(curve.table, curve.currency)
    texts = {text.get_text() for ax in figure.axes for text in ax.texts}
    assert {"4.00 USD/USD", "7.00 USD/USD"} <= texts
