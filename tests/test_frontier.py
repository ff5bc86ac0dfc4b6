"""The cost-vs-security frontier on hand-solved problems."""

import importlib
import itertools
import math
from pathlib import Path
from typing import Any

import pytest

import optiree
from optiree import Problem
from optiree.cli import main
from optiree.frontier import frontier


def _three_sources(**extra: Any) -> Problem:
    """Demand 100 t of Dy: China 100/t (100 t), Lynas 150/t (30 t), MP 200/t (100 t).

    Largest share from China, sigma: China 100 sigma t, the rest from Lynas while it lasts,
    then MP. For sigma >= 0.7: cost 10,000 sigma + 15,000 (1 - sigma) = 15,000 - 5,000 sigma,
    50 per point. Below 0.7 Lynas is full: 10,000 sigma + 4,500 + 200 (70 - 100 sigma)
    = 18,500 - 10,000 sigma, 100 per point. Lynas and MP hold 130 t, so sigma can reach 0.
    Cover without China, gamma: Lynas covers 100 gamma at +50/t up to 0.3, MP at +100/t to 1.
    """
    document: dict[str, Any] = {
        "name": "three sources",
        "materials": [{"id": "Dy"}],
        "reference_prices": {"Dy": 100},
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"Dy": 100}},
            {"id": "lynas", "country": "AU", "price_multiplier": 1.5, "capacity": {"Dy": 30}},
            {"id": "mp", "country": "US", "price_multiplier": 2.0, "capacity": {"Dy": 100}},
        ],
        "demand": {"Dy": 100},
    }
    return Problem.model_validate(document | extra)


def _cost(level: float, first: float, slope: float, knee: float, steeper: float) -> float:
    """Piecewise linear cost by hand: ``slope`` per unit of level up to ``knee``, then
    ``steeper``, from ``first`` at level 0 of tightening."""
    return first + slope * min(level, knee) + steeper * max(level - knee, 0)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_max_share_frontier(solver: str) -> None:
    curve = frontier(_three_sources(), "CN", points=4, solver=solver)  # type: ignore[arg-type]
    table = curve.table
    assert table["level"].iloc[0] == pytest.approx(1.0)  # the free plan buys all from China
    assert table["level"].iloc[-1] == pytest.approx(0.0, abs=1e-9)
    for row in table.itertuples():
        tightened = 1 - row.level
        assert row.total_cost == pytest.approx(_cost(tightened, 10_000, 5_000, 0.3, 10_000))
    (knee,) = table.loc[table["breakpoint"], "level"]
    # The crossing of two straight pieces: exact to the solver's precision (CBC's solution file
    # carries about 8 significant digits).
    assert knee == pytest.approx(0.7, abs=1e-7)
    knee_row = int(table.index[table["breakpoint"]][0])
    above = table["marginal_cost_per_point"].iloc[:knee_row]
    below = table["marginal_cost_per_point"].iloc[knee_row:].dropna()
    assert above.tolist() == pytest.approx([50] * len(above))
    assert below.tolist() == pytest.approx([100] * len(below))
    assert curve.currency == "USD"


def test_cover_without_frontier() -> None:
    table = frontier(_three_sources(), "CN", "cover_without", points=4).table
    assert table["level"].tolist()[0] == pytest.approx(0.0)
    assert table["level"].tolist()[-1] == pytest.approx(1.0)
    for row in table.itertuples():
        assert row.total_cost == pytest.approx(_cost(row.level, 10_000, 5_000, 0.3, 10_000))
    assert table.loc[table["breakpoint"], "level"].tolist() == [pytest.approx(0.3, abs=1e-9)]


def test_stock_cover_frontier() -> None:
    """Two periods, holding 5/t a period. A cover of k keeps 100 k t at the end of A and of B:
    A buys 100 k more (B's purchases stay at 100), held for two periods. Per point (k = 0.01):
    1 t from Lynas at 150 + 2 x 5 holding = 160 up to k = 0.3, then MP: 210. Most: A can
    buy 230 t, so k <= 1.3."""
    problem = _three_sources(periods=["A", "B"], stock={"holding_cost": {"Dy": 5}})
    table = frontier(problem, rule="stock_cover", material="Dy", points=3).table
    assert table["level"].iloc[-1] == pytest.approx(1.3)
    for row in table.itertuples():
        assert row.total_cost == pytest.approx(_cost(row.level, 20_000, 16_000, 0.3, 21_000))
    assert table.loc[table["breakpoint"], "level"].tolist() == [pytest.approx(0.3, abs=1e-9)]


def test_no_breakpoint_on_a_straight_line() -> None:
    """Without MP the share curve is one straight piece from 1 down to 0.7 (Lynas' 30 t)."""
    problem = _three_sources()
    document = problem.model_dump()
    document["sources"] = document["sources"][:2]
    table = frontier(Problem.model_validate(document), "CN", points=5).table
    assert table["level"].iloc[-1] == pytest.approx(0.7)
    assert not table["breakpoint"].any()


def test_the_problems_own_rule_is_replaced() -> None:
    """A 60% rule in the problem does not shorten the curve: it starts from the free plan."""
    problem = _three_sources(security={"max_country_share": {"CN": 0.6}})
    assert frontier(problem, "CN", points=2).table["level"].iloc[0] == pytest.approx(1.0)


def test_bad_arguments() -> None:
    with pytest.raises(optiree.OptireeError, match="unknown country 'RU'"):
        frontier(_three_sources(), "RU")
    with pytest.raises(optiree.OptireeError, match="needs material"):
        frontier(_three_sources(), rule="stock_cover")


def test_infeasible_without_the_rule() -> None:
    problem = _three_sources(demand={"Dy": 500})
    with pytest.raises(optiree.OptireeError, match="infeasible"):
        frontier(problem)


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "three.json"
    path.write_text(_three_sources().model_dump_json())
    out, plot = tmp_path / "frontier.csv", tmp_path / "frontier.png"
    assert (
        main(["frontier", str(path), "--points", "4", "--out", str(out), "--plot", str(plot)]) == 0
    )
    assert plot.read_bytes().startswith(b"\x89PNG")
    text = capsys.readouterr().out
    assert "Frontier of max_share CN (level: % bought from CN)" in text
    assert "70.0000" in text
    assert "11,500" in text
    assert out.read_text().splitlines()[0] == (
        "rule,subject,level,total_cost,marginal_cost_per_point,breakpoint,status"
    )
    assert main(["frontier", str(path), "--country", "RU"]) == 2  # usage: an unknown country
    assert "unknown country" in capsys.readouterr().err


def _four_sources() -> Problem:
    """Demand 100 t of Dy; China 100/t (100 t), then A 150/t (20 t), B 200/t (20 t),
    C 300/t (30 t), D 500/t (100 t). With China's share at most sigma the other 100 (1 - sigma)
    t come from A, B, C, D in turn: the slope changes where each fills, at sigma = 0.8, 0.6 and
    0.3 (and the cover without China at 0.2, 0.4, 0.7). Per point: 50, 100, 200, 400."""
    others = [("a", "AU", 1.5, 20), ("b", "US", 2.0, 20), ("c", "VN", 3.0, 30), ("d", "BR", 5, 100)]
    sources = [{"id": "china", "country": "CN", "capacity": {"Dy": 100}}] + [
        {"id": i, "country": c, "price_multiplier": m, "capacity": {"Dy": t}}
        for i, c, m, t in others
    ]
    return _three_sources(name="four sources", sources=sources)


def _four_cost(tightened: float) -> float:
    """Cost of the four sources with 100 x ``tightened`` t not from China, filled by price."""
    cost, left = 10_000 * (1 - tightened), 100 * tightened
    for price, capacity in ((150, 20), (200, 20), (300, 30), (500, 100)):
        cost += price * min(left, capacity)
        left = max(left - capacity, 0)
    return cost


@pytest.mark.parametrize("points", [11, 4])
@pytest.mark.parametrize(
    ("rule", "knees"), [("max_share", [0.8, 0.6, 0.3]), ("cover_without", [0.2, 0.4, 0.7])]
)
def test_several_breakpoints_exactly_and_in_few_solves(
    rule: str, knees: list[float], points: int
) -> None:
    """Three breakpoints, each where two straight pieces cross: found exactly, in at most three
    solves each (bisection to 1e-6 took 102 solves in all). With 4 points, 0.8 and 0.6 (0.2 and 0.4)
    are grid levels: the duals there give either side's slope, and bisection finds them."""
    curve = frontier(_four_sources(), "CN", rule, points=points)
    table = curve.table
    found = table.loc[table["breakpoint"], "level"].tolist()
    assert sorted(found) == pytest.approx(sorted(knees), abs=1e-9)
    for row in table.itertuples():
        tightened = 1 - row.level if rule == "max_share" else row.level
        assert row.total_cost == pytest.approx(_four_cost(tightened))
    if points == 11:  # The free plan, the grid, then at most 3 solves a breakpoint.
        assert curve.solves <= 1 + (points + 2) + 3 * len(knees)


@pytest.mark.parametrize(
    ("rule", "material"), [("max_share", None), ("cover_without", None), ("stock_cover", "Dy")]
)
def test_slope_from_the_duals_is_the_finite_difference(rule: str, material: str | None) -> None:
    """d cost / d level from the duals of the rule's rows (envelope theorem) equals the
    central difference of the solved costs, on a problem where the share rule also moves
    stock between periods (so its row's coefficient in the level matters)."""
    problem = _three_sources(
        periods=["A", "B"],
        stock={"holding_cost": {"Dy": 5}},
        demand={"Dy": {"A": 60, "B": 100}},
    )
    table = frontier(problem, "CN", rule, material=material, points=5).table
    frontier_module = importlib.import_module("optiree.frontier")
    spec = frontier_module._rule(problem, rule, "CN", material)
    tracer = frontier_module._Tracer(problem, spec, "highs", False)
    levels = table["level"].tolist()
    for low, high in itertools.pairwise(levels):
        middle, step = (low + high) / 2, abs(high - low) / 1000
        difference = (tracer.cost(middle + step) - tracer.cost(middle - step)) / (2 * step)
        assert tracer.slope(middle) == pytest.approx(difference, rel=1e-5)


def test_stock_cover_frontier_of_a_strategic_stock_ends_where_the_stock_can_go() -> None:
    """A strategic stock may fall below its target at a cost, so every target has an optimal
    plan; the frontier ends where a plan can still hold the target (1.3, as without the cost)
    and the costs up to there are those of test_stock_cover_frontier."""
    problem = _three_sources(
        periods=["A", "B"],
        stock={"holding_cost": {"Dy": 5}, "below_target_cost": {"Dy": 1_000}},
        shortage_penalty={"Dy": 10_000},
        security={"min_stock_cover": {"Dy": 0.5}},  # replaced by each level
    )
    table = frontier(problem, rule="stock_cover", material="Dy", points=3).table
    assert table["level"].iloc[-1] == pytest.approx(1.3)
    for row in table.itertuples():
        assert row.total_cost == pytest.approx(_cost(row.level, 20_000, 16_000, 0.3, 21_000))
    assert table.loc[table["breakpoint"], "level"].tolist() == [pytest.approx(0.3, abs=1e-9)]


def _cold_cost(problem: Problem, country: str, level: float) -> float:
    """The least cost with ``country``'s largest share at ``level``, solved from scratch."""
    shares = dict(problem.security.max_country_share) | {country: level}
    changed = problem.derive(security=problem.security.derive(max_country_share=shares))
    cost = optiree.solve(changed).total_cost
    assert cost is not None
    return cost


def test_the_frontier_of_a_country_whose_tightest_share_is_zero() -> None:
    """Malaysia's share on the bundled file can fall to 0: the grid's last level, computed as
    40% - 40% in floating point, was -5.6e-17 and failed validation (the issue had it giving
    up after 400 solves). The frontier runs to 0, and its breakpoints are where cold solves on
    either side of them show the slope changing; the rows between show none."""
    problem = optiree.load_problem(Path(__file__).parents[1] / "examples" / "japan_2026.yaml")
    curve = frontier(problem, "MY")
    table = curve.table
    assert table["level"].iloc[-1] == 0.0
    assert table["level"].iloc[0] == pytest.approx(0.4)
    assert table["total_cost"].is_monotonic_increasing
    step = 1e-5
    for row in table.iloc[1:-1].itertuples():
        here = row.total_cost
        looser = (_cold_cost(problem, "MY", row.level + step) - here) / step
        tighter = (here - _cold_cost(problem, "MY", row.level - step)) / step
        assert row.breakpoint == (not math.isclose(looser, tighter, rel_tol=1e-3)), row.level
