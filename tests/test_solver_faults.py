"""Solver faults: a missing solver says what to install; a crash or a status PuLP does not map
is reported in the result, not swallowed and not raised from deep inside PuLP."""

import importlib

import pulp
import pytest

import optiree
from optiree import Problem, SolverError
from optiree.handoff import Made, StatedLp
from optiree.model import Statement
from optiree.prepare import ProblemData
from optiree.solve import SolverName
from tests.samples import two_country

solve_module = importlib.import_module("optiree.solve")  # optiree.solve is also the function
PROBLEM = Problem.model_validate(two_country())


@pytest.mark.parametrize(
    ("solver", "advice"),
    [("highs", "pip install highspy"), ("cbc", "a PuLP release that bundles it")],
)
def test_a_missing_solver_says_what_to_install(
    solver: SolverName, advice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pulp.HiGHS, "available", lambda self: False)
    monkeypatch.setattr(pulp.PULP_CBC_CMD, "available", lambda self: False)
    with pytest.raises(SolverError, match=advice):
        optiree.solve(PROBLEM, solver)


def _run_ends(monkeypatch: pytest.MonkeyPatch, code: int, found: int) -> None:
    """HiGHS's run, on either route (the PuLP model made first, or made while HiGHS solves the
    stated LP), ends with PuLP's ``code`` and solution status ``found``."""

    def made_first(lp: pulp.LpProblem, solver: pulp.LpSolver) -> int:
        lp.sol_status = found
        return code

    def stated(stated: StatedLp, lp: pulp.LpProblem, solver: pulp.LpSolver) -> tuple[int, Made]:
        made = stated.objects(lp, objective=True)
        return made_first(lp, solver), made

    monkeypatch.setattr(solve_module, "solve_with_highs", made_first)
    monkeypatch.setattr(solve_module, "solve_stated", stated)


def test_a_solver_crash_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: object) -> int:
        raise pulp.PulpSolverError("HiGHS stopped: out of memory")

    monkeypatch.setattr(solve_module, "solve_with_highs", crash)
    monkeypatch.setattr(solve_module, "solve_stated", crash)
    result = optiree.solve(PROBLEM)
    assert result.status == "error"
    assert "out of memory" in result.message
    assert result.total_cost is None


def test_a_status_pulp_does_not_map_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    _run_ends(monkeypatch, pulp.LpStatusUndefined, pulp.LpSolutionNoSolutionFound)
    result = optiree.solve(PROBLEM)
    assert result.status == "error"
    assert "Undefined" in result.message


def test_not_solved_says_what_to_try(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 15: a run that ended "Not Solved" gave no cause; with every number in range the
    message says so, with the largest, and what to try."""

    _run_ends(monkeypatch, pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound)
    result = optiree.solve(PROBLEM)
    assert result.status == "error"
    assert result.message == (
        "the solver ended with PuLP status 'Not Solved' (solution status 'No Solution Found'). "
        "Every number in the model is within 1e+12 (the largest is 150, the cost of "
        "buy(lynas,Dy,P1)): try the other solver, or run with log=True (--log) and report the "
        "problem"
    )


def test_a_number_past_the_solvers_range_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """A coefficient no validated input can make (validation holds every product to LARGEST):
    HiGHS rejects the model, and the message names the number and where it is."""
    state = solve_module.state

    def doctored(data: ProblemData) -> Statement:
        statement = state(data)
        stated = statement.lp
        row = stated.row_names.index("balance(Dy,P1)")
        start = sum(stated.lengths[:row])
        columns = list(stated.index[start : start + stated.lengths[row]])
        stated.value[start + columns.index(stated.names.index("buy(china,Dy,P1)"))] = 1e16
        return statement

    monkeypatch.setattr(solve_module, "state", doctored)
    result = optiree.solve(PROBLEM)
    assert result.status == "error"
    assert result.message.startswith("the solver failed: HiGHS rejected the model")
    assert (
        "The model holds 1e+16 (the coefficient of buy(china,Dy,P1) in balance(Dy,P1)), over "
        "1e+12 (optiree.schema.LARGEST)" in result.message
    )


def test_the_largest_number_is_found_in_costs_rows_and_bounds() -> None:
    lp = pulp.LpProblem("hand", pulp.LpMinimize)
    x = lp.add_variable("x", 0, 7)
    y = lp.add_variable("y", -9)
    lp += 3 * x - 2 * y
    lp += pulp.LpConstraint(4 * x + y, pulp.LpConstraintGE, "r", 5)
    assert solve_module.largest_number(lp) == (9.0, "a bound of y")
    lp += pulp.LpConstraint(x - 8 * y, pulp.LpConstraintLE, "s", -11)
    assert solve_module.largest_number(lp) == (11.0, "the right-hand side of s")
    lp.objective[x] = -20.0
    assert solve_module.largest_number(lp) == (20.0, "the cost of x")
