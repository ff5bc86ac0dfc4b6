"""The frontier of a MILP: a step curve, hand-solved (docs/frontier.md, "The frontier of a MILP").

``examples/lumpy_mine.yaml``: Dy for two years, 10 t a year, from spot at 400 per tonne; two
options with no lead time, best decided in Y1 (serving both years):

- a recycling plant of any size: 50 per t/yr, at most 4 t/yr, selling at 200: a t/yr saves
  2 x (400 - 200) = 400 for 50 of capital, a net 350 (7 per dollar);
- a Lynas mine built whole or not at all: one unit of 4 t/yr for 400, selling at 150: saves
  2 x 4 x 250 = 2,000 for 400, a net 1,600 (decided in Y2 it saves 1,000, a net 600).

Without options: 20 t at 400 = 8,000. With a total budget B:

- B < 400: the mine cannot be paid; recycling takes min(B, 200): 8,000 - 7 min(B, 200);
- B >= 400: the mine (net 1,600) and recycling with what is left, up to 200:
  6,400 - 7 min(B - 400, 200), below the 6,600 of recycling alone (at B = 400: 6,400).

So the cost jumps by 200 at B = 400, where the mine can first be paid; the free plan spends
600 (cost 5,000); at 0 nothing is built (8,000).
"""

import dataclasses
import importlib
import itertools
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings

import optiree
from optiree import ArgumentError, Problem
from optiree.cli import main
from optiree.frontier import COLUMNS, STEP_COLUMNS, frontier
from optiree.prepare import prepare
from optiree.results import Status
from optiree.schema import Budget
from optiree.solve import SolverName, solve
from tests.strategies import integer_problems
from tests.test_budget_frontier import _two_options
from tests.test_discounts import discounted

ROOT = Path(__file__).resolve().parents[1]
LUMPY = ROOT / "examples" / "lumpy_mine.yaml"
MINE = "lynas_mine: 1 unit in Y1"


def _by_hand(budget: float) -> float:
    """The least cost with a total budget (see the module's docstring)."""
    if budget >= 400:
        return 6_400 - 7 * min(budget - 400, 200)
    return 8_000 - 7 * min(budget, 200)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_one_lumpy_build_jumps_where_its_capital_is_reached(solver: SolverName) -> None:
    curve = frontier(optiree.load_problem(LUMPY), rule="budget", points=4, solver=solver)
    table = curve.table
    tolerance = 1e-6 * 600  # of the range, for a budget
    assert curve.tolerance == pytest.approx(tolerance)
    assert list(table.columns) == STEP_COLUMNS
    assert table["level"].iloc[0] == pytest.approx(600)
    assert table["level"].iloc[-1] == pytest.approx(0, abs=1e-9)
    for row in table.itertuples():
        assert row.total_cost == pytest.approx(_by_hand(row.level), rel=1e-8)
        assert row.status == "optimal"
        assert row.decisions == (MINE if row.level >= 400 else "none")
    assert table["marginal_cost_per_point"].isna().all()  # no slope on a step curve
    (where,) = table.index[table["breakpoint"]]
    before, after = table.loc[where - 1], table.loc[where]
    assert after["level"] < 400 <= before["level"]  # the jump is bracketed...
    assert before["level"] - after["level"] <= tolerance  # ...to within the tolerance
    assert before["total_cost"] == pytest.approx(6_400, abs=0.01)  # the mine paid for
    assert after["total_cost"] == pytest.approx(6_600, abs=1e-6)  # recycling alone
    assert after["jump"] == pytest.approx(200, abs=0.01)
    assert table["jump"].drop(where).isna().all()
    if solver == "highs":  # PuLP reads no bound or gap back from CBC
        assert (table["mip_gap"] <= 1e-6).all()
        assert table["best_bound"].to_numpy() == pytest.approx(table["total_cost"].to_numpy())
    else:
        assert table["mip_gap"].isna().all()


def test_the_step_summary_says_what_a_row_is() -> None:
    text = frontier(optiree.load_problem(LUMPY), rule="budget", points=4).summary()
    assert text.startswith("Frontier of budget all (level: capital budget of all), a MILP")
    assert "400.0003 6,400" in text  # levels told apart to the tolerance
    assert "399.9998 6,600            200  *" in text
    assert "no cost is claimed between rows" in text
    assert "located by bisection to 0.0006 USD" in text


def test_the_cli_prints_the_step_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frontier", str(LUMPY), "--rule", "budget", "--points", "4"]) == 0
    out = capsys.readouterr().out
    assert "a MILP: a step curve" in out
    assert f"400.0003 6,400                            optimal {MINE}" in out
    assert "399.9998 6,600            200  *          optimal none" in out


def test_a_row_stopped_at_the_time_limit_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """A solve that stops at its time limit keeps its best plan: its row says ``time_limit``,
    and the limit reaches every solve."""
    limits = []

    def limited(problem: Problem, **options: Any) -> optiree.Result:
        limits.append(options["time_limit"])
        result = solve(problem, **options)
        budget = problem.budgets[0].total if problem.budgets else None
        if budget == 120:  # as if the solver had stopped there with this plan
            return dataclasses.replace(result, status=Status.TIME_LIMIT)
        return result

    monkeypatch.setattr(importlib.import_module("optiree.frontier"), "solve", limited)
    curve = frontier(optiree.load_problem(LUMPY), rule="budget", points=4, time_limit=5.0)
    statuses = dict(zip(curve.table["level"], curve.table["status"], strict=True))
    assert statuses[120] == "time_limit"
    assert [s for level, s in statuses.items() if level != 120] == ["optimal"] * 7
    assert set(limits) == {5.0}
    assert "\n120.0000 7,160                            time_limit none" in curve.summary()


def test_an_lp_frontier_is_unchanged_and_takes_no_time_limit() -> None:
    curve = frontier(_two_options(), rule="budget", points=2)
    assert list(curve.table.columns) == COLUMNS
    assert curve.tolerance is None
    with pytest.raises(ArgumentError, match="time_limit bounds the solves of a MILP"):
        frontier(_two_options(), rule="budget", time_limit=1.0)


def test_the_figure_draws_points_not_a_line() -> None:
    pytest.importorskip("matplotlib")
    from optiree.plots import frontier_curve  # noqa: PLC0415  # matplotlib is optional

    curve = frontier(optiree.load_problem(LUMPY), rule="budget", points=4)
    (ax,) = frontier_curve(curve.table, curve.currency).axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    points = lines["least total cost (solved levels only)"]
    assert points.get_linestyle() == "None"
    assert len(points.get_xdata()) == len(curve.table)
    jump = lines["jump (integer decisions change)"]
    assert list(jump.get_ydata()) == pytest.approx([6_400, 6_600], abs=0.01)
    assert not ax.texts  # no cost per point claimed on a step curve


@settings(max_examples=8, deadline=None)
@given(integer_problems())
def test_every_row_is_a_cold_milp_optimum_and_tightening_never_lowers_it(
    problem: Problem,
) -> None:
    """On random MILPs with options: each row's cost is that of the MILP solved alone at the
    row's budget, and the cost never falls as the budget tightens (row by row)."""
    assume(problem.investments and prepare(problem).integer_rules)
    assume(solve(problem.derive(budgets=[])).is_optimal)
    table = frontier(problem, rule="budget", points=2).table
    assert list(table.columns) == STEP_COLUMNS
    costs = table["total_cost"].tolist()
    for row in table.itertuples():
        cold = solve(problem.derive(budgets=[Budget(total=row.level)]))
        assert cold.is_optimal
        assert row.total_cost == pytest.approx(cold.total_cost, rel=1e-5, abs=1e-6)
    for looser, tighter in itertools.pairwise(costs):
        assert tighter >= looser - 1e-5 * (1 + abs(looser))
    jumps = table.loc[table["breakpoint"], "jump"]
    assert all(math.isfinite(jump) for jump in jumps)


def test_the_report_shows_the_step_table() -> None:
    pytest.importorskip("matplotlib")
    from optiree.html import render_report  # noqa: PLC0415  # matplotlib is optional

    problem = optiree.load_problem(LUMPY)
    curve = frontier(problem, rule="budget", points=4)
    page = render_report(problem, solve(problem), frontier=curve)
    assert "a MILP: a step curve, each row solved, no cost claimed between rows" in page
    assert f"<td>{MINE}</td>" in page
    assert "marginal cost per point" not in page  # no slope on a step curve
    assert '<td class="n">400.0003</td>' in page  # the bracket's ends told apart
    assert '<td class="n">399.9998</td>' in page


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_a_discount_band_switch_is_a_breakpoint(solver: SolverName) -> None:
    """tests.test_discounts' 95 t: a's 100 t in band 2 (55) costs 5,500 with nothing bought
    elsewhere. At most s bought from AU: band 2 needs b's 100 (1 - s) / s t at 58, so costs
    5,500 + 5,800 (1 - s) / s; band 1 buys b's 50 t and a's 45 (5,600) for every s down to
    45/95. The two meet at s = 58/59 (98.305%): band 2 above, band 1 below, each the unique
    optimum there."""
    problem = Problem.model_validate(discounted(95.0))
    curve = frontier(problem, "AU", points=4, solver=solver)
    table = curve.table
    levels = table["level"].tolist()
    assert table["decisions"].iloc[0] == "a:Nd band 2 in P1"
    assert table["decisions"].iloc[-1] == "a:Nd band 1 in P1"
    (at,) = table.index[table["breakpoint"]].tolist()
    assert levels[at] <= 58 / 59 <= levels[at - 1]
    assert table["total_cost"].iloc[at] == pytest.approx(5_600.0)
    assert table["total_cost"].iloc[-1] == pytest.approx(5_600.0)
