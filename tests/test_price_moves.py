"""Prices that move with a cut: ``random_scenarios(..., price_moves=...)``.

- Two sources worked by hand: an embargo and a half cut of China raise Lynas' price by the
  whole range and by half of it, and the plans cost what the arithmetic says.
- The draws are reproducible, and price moves leave the cuts drawn without them unchanged.
- A price move never lowers the cost of a scenario against the same cut without it (random
  problems from tests/strategies.py).
- A scenario gives a source a rising supply curve (its tiers), priced by hand; the curve holds
  in every period, and falling bands are refused as in a source.
- ``optiree sweep`` and ``optiree stochastic`` take ``--price-move SOURCE=LOW:HIGH``.
"""

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import optiree
from optiree import Problem
from optiree.cli import main
from optiree.disruption.scenarios import OTHERS
from optiree.disruption.sweep import random_scenarios, sweep
from optiree.disruption.sweep.table import with_price_factors
from optiree.errors import ArgumentError, ScenarioError
from optiree.schema import Scenario
from tests.strategies import problems

JAPAN = Path(__file__).parents[1] / "examples" / "japan_2026.yaml"
_PROFILE = settings.default
FEWER = settings(max_examples=max(10, (_PROFILE.max_examples if _PROFILE else 100) // 8))


def _two_sources(demand: float) -> Problem:
    """China (100, up to 100 t) and Lynas (150, up to 100 t), one period, Dy only."""
    return Problem.model_validate(
        {
            "name": "two sources",
            "materials": [{"id": "Dy"}],
            "sources": [
                {"id": "china", "country": "CN", "capacity": {"Dy": 100}, "prices": {"Dy": 100}},
                {"id": "lynas", "country": "AU", "capacity": {"Dy": 100}, "prices": {"Dy": 150}},
            ],
            "demand": {"Dy": demand},
            "shortage_penalty": {"Dy": 10000},
        }
    )


def _costs(problem: Problem, scenarios: list[Scenario]) -> list[float | None]:
    """Each scenario's total cost, None where the plan is not optimal."""
    table = sweep(problem, scenarios, executor="serial", progress=False).table
    optimal = table.status == "optimal"
    return [float(c) if ok else None for c, ok in zip(table.total_cost, optimal, strict=True)]


def test_an_embargo_moves_the_others_price_by_the_whole_range(solver: str) -> None:
    problem = _two_sources(50)
    (drawn,) = random_scenarios(
        problem, 1, seed=3, min_length=1, embargo_probability=1, price_moves={OTHERS: (2, 2)}
    )
    assert [(c.source, c.price_factor, c.periods) for c in drawn.sources] == [
        ("lynas", 2.0, ["P1"])
    ]
    # China withholds everything: 50 t from Lynas at 150 x 2.
    scenario = optiree.apply(problem, drawn)
    assert optiree.solve(scenario, solver=solver).total_cost == pytest.approx(50 * 300)
    assert _costs(problem, [drawn]) == pytest.approx([15_000])


def test_a_half_cut_moves_the_price_by_half_the_range() -> None:
    problem = _two_sources(80)
    (drawn,) = random_scenarios(
        problem,
        1,
        seed=3,
        min_length=1,
        embargo_probability=0,
        cut_range=(0.5, 0.5),
        price_moves={"lynas": (1.6, 1.6)},
    )
    assert drawn.disruptions[0].cut == 0.5
    assert drawn.sources[0].price_factor == pytest.approx(1.3)  # 1 + 0.5 x (1.6 - 1)
    # China may sell half its 100 t: 50 t at 100, and 30 t from Lynas at 150 x 1.3.
    assert _costs(problem, [drawn]) == pytest.approx([50 * 100 + 30 * 195])


def test_the_draws_are_reproducible_and_leave_the_cuts_alone() -> None:
    japan = optiree.load_problem(JAPAN)
    moves = {OTHERS: (1.0, 1.6), "caremag": (1.5, 3.0)}
    plain = random_scenarios(japan, 200, seed=1)
    moved = random_scenarios(japan, 200, seed=1, price_moves=moves)
    assert moved == random_scenarios(japan, 200, seed=1, price_moves=moves)
    assert [s.disruptions for s in moved] == [s.disruptions for s in plain]
    assert all(not s.sources for s in plain)
    disrupted = [s for s in moved if s.disruptions]
    assert all(s.sources for s in disrupted if s.disruptions[0].cut >= 0.2)
    for scenario in disrupted:
        factors = {c.source: c.price_factor for c in scenario.sources}
        assert "china" not in factors
        cut = scenario.disruptions[0].cut
        assert 1 <= factors.get("lynas", 1) <= 1 + cut * 0.6 + 0.005
        assert 1 <= factors.get("caremag", 1) <= 1 + cut * 2.0 + 0.005


def test_mistakes_in_price_moves_are_all_named() -> None:
    japan = optiree.load_problem(JAPAN)
    with pytest.raises(ArgumentError) as raised:
        random_scenarios(japan, 5, seed=1, price_moves={"nowhere": (1, 2), OTHERS: (0.8, 1.2)})
    assert "'nowhere', neither a source nor 'others'" in str(raised.value)
    assert "price_moves['others'] must satisfy 1 <= low <= high" in str(raised.value)


@st.composite
def _problem_and_country(draw: st.DrawFn) -> tuple[Problem, str]:
    problem = draw(problems())
    return problem, draw(st.sampled_from(problem.countries))


@FEWER
@given(_problem_and_country(), st.integers(0, 2**16))
def test_a_price_move_never_lowers_the_cost(case: tuple[Problem, str], seed: int) -> None:
    problem, country = case
    plain = random_scenarios(problem, 3, seed=seed, country=country, min_length=1)
    moved = random_scenarios(
        problem, 3, seed=seed, country=country, min_length=1, price_moves={OTHERS: (1.0, 3.0)}
    )
    for without, with_moves in zip(_costs(problem, plain), _costs(problem, moved), strict=True):
        # The moves change prices only: a plan exists with them exactly when one does without.
        assert (without is None) == (with_moves is None)
        if without is not None and with_moves is not None:
            assert with_moves >= without - 1e-7 * max(1.0, abs(without))


def test_the_command_draws_price_moves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "two.yaml"
    file.write_text(yaml.safe_dump(_two_sources(50).model_dump(exclude_defaults=True)))
    args = ["sweep", str(file), "--scenarios", "5", "--seed", "2", "--serial"]
    assert main([*args, "--price-move", "others=2:2"]) == 0
    printed = capsys.readouterr().out
    assert "prices moved (others=2:2)" in printed
    assert "price_factor" in printed
    assert main(args) == 0
    assert "price_factor" not in capsys.readouterr().out
    assert main([*args, "--price-move", "others=two"]) == 2
    assert "give SOURCE=LOW:HIGH" in capsys.readouterr().err
    assert main(["sweep", str(file), "--serial", "--price-move", "others=2:2"]) == 2
    assert "give --scenarios N" in capsys.readouterr().err


def test_the_largest_price_factor_of_each_draw() -> None:
    problem = _two_sources(50)
    moved = random_scenarios(problem, 4, seed=5, min_length=1, price_moves={"lynas": (2, 2)})
    swept = sweep(problem, moved, executor="serial", progress=False)
    assert "price_factor" not in swept.table  # a sweep's own table reads as before
    factors = with_price_factors(swept, moved).table.price_factor
    assert list(factors) == pytest.approx([1 + s.disruptions[0].cut for s in moved], abs=0.005)


def _curve(**change: object) -> Scenario:
    """China embargoed in P1; Lynas sells its first 50 t at its price, the rest at twice it."""
    bands = [{"up_to": 50, "price_multiplier": 1}, {"price_multiplier": 2}]
    return Scenario.model_validate(
        {
            "name": "curve",
            "disruptions": [{"country": "CN", "start": "P1"}],
            "sources": [{"source": "lynas", "tiers": {"Dy": bands}, **change}],
        }
    )


def test_a_scenario_gives_a_source_a_rising_supply_curve(solver: str) -> None:
    problem = _two_sources(80)
    # 50 t at 150 and 30 t at 300; without the curve 80 t at 150.
    curved = optiree.solve(optiree.apply(problem, _curve()), solver=solver)
    assert curved.total_cost == pytest.approx(50 * 150 + 30 * 300)
    flat = optiree.solve(optiree.apply(problem, _curve().derive(sources=[])), solver=solver)
    assert flat.total_cost == pytest.approx(80 * 150)


def test_a_supply_curve_holds_in_every_period() -> None:
    with pytest.raises(ValidationError, match="names no 'periods'"):
        _curve(periods=["P1"])
    two = _two_sources(80).derive(periods=["P1", "P2"])
    with pytest.raises(ScenarioError, match="cannot start at P2"):
        optiree.apply(two, _curve(), from_period="P2")
    falling = [{"up_to": 50, "price": 300}, {"price": 200}]
    with pytest.raises(ValidationError, match="the price falls from 300 to 200"):
        optiree.apply(_two_sources(80), _curve(tiers={"Dy": falling}))


def test_the_stochastic_command_draws_price_moves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "two.yaml"
    document = _two_sources(50).model_dump(exclude_defaults=True)
    document["periods"] = ["P1", "P2"]
    document["sources"][0]["capacity"] = {"Dy": 50}  # nothing to stock ahead of a cut
    file.write_text(yaml.safe_dump(document))
    args = ["stochastic", str(file), "--scenarios", "4", "--seed", "2", "--quiet"]
    assert main(args) == 0
    plain = capsys.readouterr().out
    assert main([*args, "--price-move", "lynas=3:3"]) == 0
    assert capsys.readouterr().out != plain  # dearer Lynas in the draws that cut China
    assert main(["stochastic", str(file), "--price-move", "lynas=3:3"]) == 2
    assert "--price-move moves the prices of random draws" in capsys.readouterr().err
