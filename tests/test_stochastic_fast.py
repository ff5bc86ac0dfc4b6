"""``solve_stochastic`` prepares each scenario's problem once (``TwoStage.prepared``) for its
recourse, its warm re-solves' checks and any cold solve, and the expected-value problem once:
the same figures, to the bit, as solving each scenario from scratch.

Each recourse plan is compared with the scenario solved alone the plain way (its problem
prepared from scratch, built, its first stage fixed, solved, read back in full), and the
scenario table's costs and shortages with that plan's (summed by pandas, as before); the
warm re-solves' figures with the cold path's are in ``tests/test_stochastic.py``.
"""

import cProfile
import pstats
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import event, given, settings

import optiree
from optiree import Problem
from optiree.disruption.stochastic import Risk, solve_stochastic, two_stage
from optiree.disruption.stochastic.extensive import Key
from optiree.disruption.stochastic.stages import TwoStage
from optiree.disruption.stochastic.warm import fix_alone
from optiree.model import build
from optiree.prepare import prepare
from optiree.results import Result, optimal_result
from optiree.schema import Scenario
from optiree.solve import run_solver
from optiree.solvers import solver_for
from tests.test_stochastic import EXAMPLES, cases

JAPAN = Path(__file__).resolve().parents[1] / "examples" / "japan_2026.yaml"


def _plain_recourse(stages: TwoStage, scenario: str, fixed: Mapping[Key, float]) -> Result:
    """The ``scenario`` of ``stages`` solved alone the plain way: its problem prepared from
    scratch, its first stage ``fixed``, solved with HiGHS and read back in full."""
    model = build(prepare(stages.problems[scenario]))
    fix_alone(model, stages, {}, fixed)
    run_solver(model, solver_for("highs"))
    return optimal_result(model, "highs")


def _assert_same_result(got: Result, plain: Result) -> None:
    assert (got.status, got.message) == (plain.status, plain.message)
    assert got.total_cost is not None
    assert plain.total_cost is not None
    assert got.total_cost.hex() == plain.total_cost.hex()
    assert got.max_violation == plain.max_violation
    assert got.tables().keys() == plain.tables().keys()
    for name, table in plain.tables().items():
        pd.testing.assert_frame_equal(got.tables()[name], table, check_exact=True)


@settings(max_examples=EXAMPLES, deadline=None)
@given(cases())
def test_recourse_plans_are_the_plain_solves_to_the_bit(
    case: tuple[Problem, list[Scenario], int, Risk | None],
) -> None:
    """Random problems and scenarios: each recourse plan, its cost and its shortages in the
    scenario table are those of the scenario solved alone from scratch, to the last bit."""
    problem, scenarios, commit, risk = case
    result = solve_stochastic(problem, scenarios, commit_periods=commit, risk=risk)
    event(result.status.value)
    if not result.is_optimal:
        return
    stages = two_stage(problem, scenarios, commit_periods=commit)
    materials = stages.problem.material_ids
    costs = result.scenario_costs.set_index("scenario")
    for name in stages.problems:
        plain = _plain_recourse(stages, name, result.decisions)
        _assert_same_result(result.recourse[name], plain)
        assert costs.loc[name, "cost"].hex() == plain.total_cost.hex()  # type: ignore[union-attr]
        short = plain.shortage.groupby("material")["tonnes"].sum()
        for m in materials:
            assert costs.loc[name, f"shortage_{m}"] == float(short.get(m, 0.0)), (name, m)


def _prepare_calls(run: Callable[[], Any]) -> int:
    """How many times ``optiree.prepare.prepare`` runs in ``run()``, wherever it is called
    from."""
    profile = cProfile.Profile()
    profile.runcall(run)
    code = prepare.__wrapped__.__code__ if hasattr(prepare, "__wrapped__") else prepare.__code__
    return sum(
        calls
        for (path, line, function), (calls, *_) in pstats.Stats(profile).stats.items()  # type: ignore[attr-defined]
        if (path, line, function) == (code.co_filename, code.co_firstlineno, code.co_name)
    )


def test_prepare_runs_as_often_whatever_the_number_of_scenarios() -> None:
    """The bundled case with 5 and 20 random scenarios (each only cuts supply): the recourse,
    the two warm re-solves' checks and the expected-value problem's means read each
    scenario's numbers made once from the faced problem's (``TwoStage.prepared``), so
    ``prepare`` runs as many times for 20 scenarios as for 5 (the faced, capped and
    expected-value problems), not three or four times more per scenario."""
    japan = optiree.load_problem(JAPAN)
    few, many = (optiree.random_scenarios(japan, n, seed=11) for n in (5, 20))
    assert _prepare_calls(lambda: solve_stochastic(japan, few)) == _prepare_calls(
        lambda: solve_stochastic(japan, many)
    )
