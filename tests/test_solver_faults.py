"""Solver faults: a missing solver says what to install; a crash or a status PuLP does not map
is reported in the result, not swallowed and not raised from deep inside PuLP."""

import importlib

import pulp
import pytest

import optiree
from optiree import Problem, SolverError
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


def test_a_solver_crash_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(lp: pulp.LpProblem, solver: pulp.LpSolver) -> int:
        raise pulp.PulpSolverError("HiGHS stopped: out of memory")

    monkeypatch.setattr(solve_module, "solve_with_highs", crash)
    result = optiree.solve(PROBLEM)
    assert result.status == "error"
    assert "out of memory" in result.message
    assert result.total_cost is None


def test_a_status_pulp_does_not_map_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    def odd(lp: pulp.LpProblem, solver: pulp.LpSolver) -> int:
        lp.sol_status = pulp.LpSolutionNoSolutionFound
        return pulp.LpStatusUndefined

    monkeypatch.setattr(solve_module, "solve_with_highs", odd)
    result = optiree.solve(PROBLEM)
    assert result.status == "error"
    assert "Undefined" in result.message


def test_not_solved_says_what_to_try(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 15: a run that ended "Not Solved" gave no cause; with every number in range the
    message says so, with the largest, and what to try."""

    def unsolved(lp: pulp.LpProblem, solver: pulp.LpSolver) -> int:
        return pulp.LpStatusNotSolved

    monkeypatch.setattr(solve_module, "solve_with_highs", unsolved)
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
    build = solve_module.build

    def doctored(problem: object) -> object:
        model = build(problem)
        row = model.lp.get_constraint_by_name("balance(Dy,P1)").expr
        row[next(v for v in row if v.name == "buy(china,Dy,P1)")] = 1e16
        return model

    monkeypatch.setattr(solve_module, "build", doctored)
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
