"""Out-of-sample scoring of a two-stage first stage (optiree.out_of_sample).

A hand-priced fresh sample on the stock-now-or-later case, the interval by hand, the solved
sample scored again, the interval narrowing with a larger fresh sample on the Japan case,
the words, the CLI, and the argument checks.
"""

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import optiree
from optiree import ArgumentError, Problem, Scenario
from optiree.cli import main
from optiree.disruption.stochastic import solve_stochastic
from optiree.disruption.stochastic.scoring import Estimate, OutOfSample, estimate, out_of_sample
from optiree.solve import SolverName
from tests.test_stochastic import _embargo_now_or_later

JAPAN = Path(__file__).resolve().parents[1] / "examples" / "japan_2026.yaml"
Z95 = 1.959963984540054
"""The normal quantile of a two-sided 95% interval."""

CALM: dict[str, Any] = {"name": "calm"}
EMBARGO: dict[str, Any] = {"name": "embargo", "disruptions": [{"country": "CN", "start": "P2"}]}


def _fresh(*kinds: dict[str, Any]) -> list[Scenario]:
    """Scenarios of the given kinds, named apart, of equal probability."""
    return [
        Scenario.model_validate(kind | {"name": f"{kind['name']}{i}"})
        for i, kind in enumerate(kinds)
    ]


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_a_fresh_sample_priced_by_hand(solver: SolverName) -> None:
    """Solved on calm and embargo at 0.5 each, the first stage carries y = 6 t into P2: calm
    then costs 2,180 and the embargo 2,380 (see ``_embargo_now_or_later``). A fresh sample of
    three calm quarters and one embargo: mean 2,230; deviations -50, -50, -50, +150, so
    s^2 = 30,000 / 3 = 10,000, s / sqrt(4) = 50 and the 95% half-width 1.96 x 50 = 98.0."""
    problem = _embargo_now_or_later()
    result = solve_stochastic(problem, solver=solver)
    scored = out_of_sample(problem, result, _fresh(CALM, CALM, EMBARGO, CALM), solver=solver)
    assert scored.table["cost"].tolist() == pytest.approx([2180, 2180, 2380, 2180], rel=1e-9)
    assert scored.table["probability"].tolist() == [0.25] * 4
    assert scored.estimate.mean == pytest.approx(2230, rel=1e-9)
    assert scored.estimate.half_width == pytest.approx(Z95 * 50, rel=1e-9)
    assert scored.in_sample == pytest.approx(2280, rel=1e-9)
    assert scored.objective == pytest.approx(2230, rel=1e-9)
    assert (scored.solved_scenarios, scored.scenarios, scored.without_plan) == (2, 4, 0)
    assert "inside the interval (+/- 4.39%)" in scored.summary()


def test_the_solved_sample_scores_its_own_expected_cost() -> None:
    """Scored on the very scenarios it was solved on, the first stage costs what the
    recourse plans cost: the same table of costs, and the in-sample expected cost as mean."""
    problem = optiree.load_problem(JAPAN)
    scenarios = optiree.random_scenarios(problem, 6, seed=4)
    result = solve_stochastic(problem, scenarios)
    scored = out_of_sample(problem, result, scenarios)
    assert scored.table["cost"].tolist() == pytest.approx(
        result.scenario_costs["cost"].tolist(), rel=1e-9
    )
    assert scored.estimate.mean == pytest.approx(result.expected_cost, rel=1e-9)


def test_four_times_the_fresh_sample_narrows_the_interval() -> None:
    """The same first stage scored on 40 and on 160 fresh draws (fixed seeds): the interval
    of the larger sample is narrower (about half as wide: sigma / sqrt(n)). The costs have a
    heavy tail (a long embargo costs twice a calm year), so a small sample that missed it
    can look narrow: 10 draws of this seed give a narrower interval than 40."""
    problem = optiree.load_problem(JAPAN)
    result = solve_stochastic(problem, optiree.random_scenarios(problem, 5, seed=1))
    small, large = (
        out_of_sample(problem, result, optiree.random_scenarios(problem, n, seed=2))
        for n in (40, 160)
    )
    assert large.estimate.half_width < small.estimate.half_width
    assert large.estimate.low <= large.estimate.mean <= large.estimate.high


def test_the_interval_of_unequal_probabilities_by_hand() -> None:
    """Costs 1 and 3 at 0.25 and 0.75: mean 2.5; n_eff = 1 / (0.25^2 + 0.75^2) = 1.6; the
    weighted variance 0.25 x 1.5^2 + 0.75 x 0.5^2 = 0.75, corrected x 1.6 / 0.6 = 2; the
    half-width z sqrt(2 / 1.6). Equal probabilities give the textbook s / sqrt(n)."""
    found = estimate([1.0, 3.0], [0.25, 0.75], 0.95)
    assert found.mean == pytest.approx(2.5, rel=1e-12)
    assert found.half_width == pytest.approx(Z95 * math.sqrt(2 / 1.6), rel=1e-12)
    costs = [3.0, 5.0, 10.0]
    s = math.sqrt(sum((c - 6) ** 2 for c in costs) / 2)
    assert estimate(costs, [1 / 3] * 3, 0.9).half_width == pytest.approx(
        1.6448536269514722 * s / math.sqrt(3), rel=1e-12
    )


def test_an_infinite_cost_or_a_single_weight_gives_no_interval() -> None:
    assert estimate([1.0, math.inf], [0.5, 0.5], 0.95).mean == math.inf
    assert math.isnan(estimate([1.0, math.inf], [0.5, 0.5], 0.95).half_width)
    alone = estimate([4.0, 9.0], [1.0, 0.0], 0.95)
    assert (alone.mean, math.isnan(alone.half_width)) == (4.0, True)


def _scored(in_sample: float, costs: list[float]) -> OutOfSample:
    table = pd.DataFrame(
        {
            "scenario": [f"s{i}" for i in range(len(costs))],
            "probability": 1 / len(costs),
            "cost": costs,
        }
    )
    found = estimate(costs, table["probability"].tolist(), 0.95)
    return OutOfSample(
        "p", "highs", "USD", 0.95, 3, in_sample, found, found.mean, in_sample, False, table
    )


@pytest.mark.parametrize(
    ("in_sample", "costs", "words"),
    [
        (10.0, [100.0, 110.0, 90.0, 100.0], "below the interval, by 90 (90% of the estimate)"),
        (500.0, [100.0, 110.0, 90.0, 100.0], "above the interval"),
        (100.0, [100.0, math.inf, 90.0, 100.0], "1 of the fresh scenarios have no plan"),
    ],
)
def test_what_the_in_sample_cost_says_of_the_sample(
    in_sample: float, costs: list[float], words: str
) -> None:
    assert words in _scored(in_sample, costs).summary()


def test_the_command_scores_after_the_solve(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["stochastic", str(JAPAN), "--scenarios", "3", "--seed", "1", "--score", "6"])
    out = capsys.readouterr().out
    assert code == 0
    assert "the first stage scored out of sample (solver: highs)" in out
    assert "Expected cost out of sample, 6 fresh scenarios [USD]" in out
    problem = optiree.load_problem(JAPAN)
    result = solve_stochastic(problem, optiree.random_scenarios(problem, 3, seed=1))
    scored = out_of_sample(problem, result, optiree.random_scenarios(problem, 6, seed=2))
    assert scored.summary() in out


def test_a_score_of_one_stops_before_solving(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["stochastic", str(JAPAN), "--scenarios", "3", "--score", "1"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == "error: --score 1: give at least 2 fresh scenarios\n"
    assert captured.out == ""


def _solved() -> tuple[Problem, Any]:
    problem = _embargo_now_or_later()
    return problem, solve_stochastic(problem)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"confidence": 1.5}, "confidence: give a level between 0 and 1"),
        ({"scenarios": _fresh(CALM)}, "scenarios"),
        ({"result": "a result"}, "result: expected what solve_stochastic returns, got str"),
    ],
)
def test_arguments_that_do_not_fit(change: dict[str, Any], message: str) -> None:
    problem, result = _solved()
    arguments = {"result": result, "scenarios": _fresh(CALM, EMBARGO)} | change
    with pytest.raises(ArgumentError, match=message):
        out_of_sample(problem, **arguments)


def test_a_result_without_a_first_stage_is_refused() -> None:
    security = {"min_cover_without": [{"country": "CN", "share": 1.0}]}
    problem = _embargo_now_or_later(security=security)
    result = solve_stochastic(problem)
    with pytest.raises(ArgumentError, match="is infeasible; it has no first stage to score"):
        out_of_sample(problem, result, _fresh(CALM, EMBARGO))


def test_a_result_of_another_problem_is_refused() -> None:
    """Japan's first stage has no meaning on the stock-now-or-later problem."""
    japan = optiree.load_problem(JAPAN)
    result = solve_stochastic(japan, optiree.random_scenarios(japan, 2, seed=1))
    with pytest.raises(ArgumentError, match="result was not solved on this problem"):
        out_of_sample(_embargo_now_or_later(), result, _fresh(CALM, EMBARGO))


def test_the_estimate_is_a_plain_value() -> None:
    found = Estimate(10.0, 2.0)
    assert (found.low, found.high) == (8.0, 12.0)
