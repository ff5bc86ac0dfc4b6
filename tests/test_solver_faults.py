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
