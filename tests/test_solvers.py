"""Any PuLP solver: names and configured objects, errors for unknown and missing solvers, what
each solver gives optiree (duals, ranging, warm re-solves), and GLPK agreeing with HiGHS.

HiGHS and CBC are the tested pair (every other test file); GLPK (``glpsol``, Debian's
``glpk-utils``) is the third solver these tests run. Without ``glpsol`` they skip, except under
CI (``CI`` set), where they must run and so fail.
"""

import math
import os
import shutil
import sys
from typing import Any

import pandas as pd
import pulp
import pytest
from hypothesis import given, settings

import optiree
from optiree import Problem, SolverChoiceError, SolverError
from optiree.cli import main
from optiree.diagnose import diagnose
from optiree.disruption.stochastic import solve_stochastic
from optiree.disruption.stress import stress_test
from optiree.disruption.sweep import sweep
from optiree.frontier import frontier
from optiree.io import load_problem
from optiree.sensitivity import sensitivity
from optiree.solvers import capabilities, names, precision, pulp_name, solver_for
from tests.samples import JAPAN, stockpile, two_country
from tests.strategies import problems

RELATIVE = 1e-6
"""How closely GLPK's optimum must match HiGHS's (both work to about 1e-7 relative)."""


@pytest.fixture(scope="module")
def glpk() -> str:
    """The name "glpk", once ``glpsol`` is found; skips without it, fails under CI."""
    if shutil.which("glpsol") is None:
        if os.environ.get("CI"):
            pytest.fail("glpsol is not installed: CI installs it (apt-get install glpk-utils)")
        pytest.skip("glpsol is not installed (apt-get install glpk-utils)")
    return "glpk"


@pytest.fixture(scope="module")
def japan() -> Problem:
    return load_problem(JAPAN)


def _cost(problem: Problem, solver: Any) -> float:
    result = optiree.solve(problem, solver=solver)
    assert result.is_optimal, result.message
    assert result.total_cost is not None
    return result.total_cost


# --- choosing a solver ---


@pytest.mark.parametrize(
    ("name", "pulp_solver"),
    [
        ("highs", "HiGHS"),
        ("HiGHS", "HiGHS"),
        ("cbc", "PULP_CBC_CMD"),
        ("glpk", "GLPK_CMD"),
        ("GLPK_CMD", "GLPK_CMD"),
        ("glpk_cmd", "GLPK_CMD"),
        ("gurobi", "GUROBI"),
        ("scip", "SCIP_CMD"),
        ("xpress", "XPRESS_PY"),
        ("XPRESS", "XPRESS"),
    ],
)
def test_names_and_aliases(name: str, pulp_solver: str) -> None:
    assert pulp_name(name) == pulp_solver


@pytest.mark.parametrize("name", names())
def test_every_name_is_a_solver_or_says_how_to_install_it(name: str) -> None:
    found = _chosen(name)
    if isinstance(found, SolverError):
        assert not isinstance(found, SolverChoiceError)
        assert "is not available: install" in str(found)
    else:
        assert found.available()


def _chosen(name: str) -> pulp.LpSolver | SolverError:
    try:
        return solver_for(name)
    except SolverError as error:
        return error


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("glpx", "did you mean 'glpk'"),
        ("gurobbi", "did you mean 'gurobi'"),
        ("HIGHS!", "did you mean 'highs'"),
        ("nothing", "choose one of highs, cbc, glpk"),
        (3, "unknown solver 3"),
    ],
)
def test_an_unknown_name_says_the_choices_before_any_work(
    name: Any, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.modules["optiree.solve"], "state", _no_work)
    with pytest.raises(SolverChoiceError, match=words):
        optiree.solve(Problem.model_validate(two_country()), solver=name)


def _no_work(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("work started before the solver was checked")


def test_a_solver_not_installed_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not pulp.GUROBI_CMD(msg=False).available()
    monkeypatch.setattr(sys.modules["optiree.solve"], "state", _no_work)
    problem = Problem.model_validate(two_country())
    with pytest.raises(SolverError, match="GUROBI_CMD is not available: install") as raised:
        optiree.solve(problem, solver="GUROBI_CMD")
    assert not isinstance(raised.value, SolverChoiceError)
    monkeypatch.setattr(pulp.GLPK_CMD, "available", lambda self: False)
    with pytest.raises(SolverError, match="apt-get install glpk-utils"):
        optiree.solve(problem, solver="glpk")


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("glpx", "argument --solver: unknown solver 'glpx': did you mean 'glpk'"),
        ("GUROBI_CMD", "argument --solver: GUROBI_CMD is not available: install Gurobi"),
    ],
)
def test_the_command_line_refuses_a_solver_as_a_usage_error(
    name: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["solve", str(JAPAN), "--solver", name])
    assert exited.value.code == 2
    assert words in capsys.readouterr().err


def test_a_configured_object_is_used_as_it_is(japan: Problem, glpk: str) -> None:
    highs = _cost(japan, "highs")
    for solver in (pulp.GLPK_CMD(msg=False), pulp.HiGHS(msg=False), solver_for("cbc")):
        result = optiree.solve(japan, solver=solver)
        assert result.solver == solver.name
        assert result.total_cost == pytest.approx(highs, rel=RELATIVE)
    with pytest.raises(SolverChoiceError, match="timeLimit= and msg="):
        optiree.solve(japan, solver=pulp.HiGHS(msg=False), time_limit=5)


def test_a_configured_object_keeps_its_options(capfd: pytest.CaptureFixture[str]) -> None:
    problem = Problem.model_validate(two_country())
    optiree.solve(problem, solver=pulp.HiGHS(msg=True))
    assert "HiGHS" in capfd.readouterr().out
    optiree.solve(problem, solver=pulp.HiGHS(msg=False))
    assert capfd.readouterr().out == ""


# --- what each solver gives ---


def test_capabilities() -> None:
    assert capabilities("highs") == capabilities("HiGHS")
    assert (capabilities("highs").duals, capabilities("highs").ranging) == (True, True)
    assert capabilities("highs").warm
    assert not capabilities(pulp.HiGHS(msg=False)).warm  # its own options: solved anew
    cbc = capabilities("cbc")
    assert (cbc.duals, cbc.ranging, cbc.warm) == (True, False, False)
    glpk = capabilities("glpk")
    assert (glpk.duals, glpk.ranging, glpk.warm) == (False, False, False)
    assert capabilities("gurobi").duals
    assert not capabilities("scip").duals
    assert precision(pulp.HiGHS()) == 1e-15
    assert precision(pulp.GLPK_CMD()) == precision(solver_for("cbc")) == 1e-7


def test_a_plan_without_duals_shows_none_rather_than_zeros(glpk: str) -> None:
    result = optiree.solve(Problem.model_validate(two_country()), solver=glpk)
    assert result.total_cost == pytest.approx(6000, rel=RELATIVE)
    share = result.constraints.set_index("constraint").loc["max_share(CN,Dy,P1)"]
    assert math.isnan(share["shadow_price"])
    assert share["binding"]
    assert result.purchases["reduced_cost"].isna().all()
    with pytest.raises(SolverChoiceError, match=r"sensitivity needs shadow prices .* 'glpk'"):
        sensitivity(result)


@pytest.mark.parametrize("solver", ["glpk", pulp.GLPK_CMD(msg=False)])
def test_a_frontier_needs_duals_and_says_so_before_solving(
    solver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.modules["optiree.frontier"], "solve", _no_work)
    with pytest.raises(
        SolverChoiceError, match=r"a frontier needs shadow prices .* '(GLPK_CMD|glpk)'"
    ):
        frontier(Problem.model_validate(two_country()), solver=solver)


def test_the_command_line_says_what_a_solver_lacks(
    glpk: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["frontier", str(JAPAN), "--solver", glpk]) == 2
    assert "a frontier needs shadow prices and reduced costs (duals)" in capsys.readouterr().err
    assert main(["solve", str(JAPAN), "--solver", glpk]) == 0
    out = capsys.readouterr().out
    assert "What matters most: not known, the solver 'glpk' reports no shadow prices" in out


# --- GLPK agrees with HiGHS ---


def test_known_optima_on_glpk(glpk: str, japan: Problem) -> None:
    assert _cost(Problem.model_validate(two_country()), glpk) == pytest.approx(6000, rel=1e-9)
    assert _cost(Problem.model_validate(stockpile()), glpk) == pytest.approx(4040, rel=1e-9)
    assert _cost(japan, glpk) == pytest.approx(_cost(japan, "highs"), rel=RELATIVE)


@settings(max_examples=15)
@given(problem=problems())
def test_glpk_agrees_with_highs_on_random_problems(problem: Problem) -> None:
    if shutil.which("glpsol") is None and not os.environ.get("CI"):
        pytest.skip("glpsol is not installed")
    highs = optiree.solve(problem, solver="highs")
    glpk = optiree.solve(problem, solver="glpk")
    # GLPK, through PuLP, calls some infeasible problems "Undefined" (optiree: error), so only
    # an optimum is compared (docs/solvers.md).
    assert glpk.is_optimal == highs.is_optimal, glpk.message
    if highs.is_optimal:
        assert glpk.total_cost == pytest.approx(highs.total_cost, rel=RELATIVE, abs=RELATIVE)


def test_a_sweep_on_glpk_is_the_sweep_on_highs(
    glpk: str, japan: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenarios = japan.scenarios
    warm = sweep(japan, scenarios, executor="serial", solver="highs", progress=False)
    # Any other solver solves each scenario anew: the warm HiGHS model is not even built.
    monkeypatch.setattr(sys.modules["optiree.disruption.sweep.batch"], "_reuse_for", _no_work)
    cold = sweep(japan, scenarios, executor="serial", solver=glpk, progress=False)
    assert cold.solver == glpk
    numbers = warm.table.select_dtypes("number").columns
    pd.testing.assert_frame_equal(
        cold.table[numbers], warm.table[numbers], check_exact=False, rtol=RELATIVE, atol=1e-6
    )


def test_a_stress_test_on_glpk_is_the_one_on_highs(glpk: str, japan: Problem) -> None:
    plan = optiree.solve(japan)
    highs = stress_test(japan, plan, japan.scenarios[0], 2)
    on_glpk = stress_test(japan, plan, japan.scenarios[0], 2, solver=glpk)
    assert on_glpk.result.solver == glpk
    assert on_glpk.total_cost == pytest.approx(highs.total_cost, rel=RELATIVE)


def test_the_stochastic_model_on_glpk_is_the_one_on_highs(
    glpk: str, japan: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenarios = japan.scenarios[:2]
    highs = solve_stochastic(japan, scenarios, commit_periods=2)
    solving = sys.modules["optiree.disruption.stochastic.solving"]
    monkeypatch.setattr(solving, "WarmScenarios", _no_work)  # solved anew, not warm
    on_glpk = solve_stochastic(japan, scenarios, commit_periods=2, solver=glpk)
    assert on_glpk.solver == glpk
    for figure in ("objective", "expected_cost", "wait_and_see", "expected_value_cost"):
        assert getattr(on_glpk, figure) == pytest.approx(getattr(highs, figure), rel=RELATIVE)


def test_a_diagnosis_on_glpk_is_the_one_on_highs(glpk: str) -> None:
    """two_country with 250 t of demand and 200 t of capacity (China's 100 t is 50% of it,
    within its 60%): 50 t of demand cannot be met."""
    document = two_country()
    document["demand"] = {"Dy": 250}
    problem = Problem.model_validate(document)
    highs = diagnose(problem)
    on_glpk = diagnose(problem, solver=glpk)
    assert on_glpk.solver == glpk
    assert on_glpk.total_relaxation == pytest.approx(highs.total_relaxation, rel=RELATIVE)
    assert on_glpk.total_relaxation == pytest.approx(50, rel=RELATIVE)
    assert list(on_glpk.rules["field"]) == list(highs.rules["field"]) == ["demand.Dy.P1"]
