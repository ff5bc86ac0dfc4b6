"""The one-call hand-off to HiGHS (optiree/handoff.py) against PuLP's own HiGHS interface and CBC.

On random problems (hypothesis): the hand-off writes back exactly what ``pulp.HiGHS`` writes
(HiGHS receives the same LP in the same order, so values, reduced costs, duals and slacks are
the same numbers), CBC finds the same optimal cost, and the duals are valid whatever the
degeneracy: dual feasible, and the dual objective equals the primal one. By hand: the plan and
shadow prices of the documented example, statuses (infeasible, unbounded, time limit), an
empty objective, a maximisation, silence, the column and row indices results.py relies on, and
the warm-started solver of sweeps.
"""

import math
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest import mock

import highspy
import numpy as np
import pulp
import pytest
from hypothesis import given, note
from hypothesis import strategies as st

import optiree
from optiree import Problem, handoff
from optiree.disruption.sweep import random_scenarios, sweep
from optiree.errors import ArgumentError
from optiree.model import LpModel, build, state
from optiree.prepare import prepare
from optiree.results import optimal_result
from optiree.schema import Scenario
from optiree.solve import made_and_run, run_solver, solver_for
from tests.samples import JAPAN, two_country
from tests.strategies import (
    discount_problems,
    integer_problems,
    investment_problems,
    plant_investment_problems,
    problems,
    supply_problems,
)

RELATIVE = 1e-6
"""Relative tolerance between solvers (CBC stops at its own tolerances)."""
DUAL = 1e-7
"""Absolute tolerance of a dual check, per unit of the largest cost or bound involved."""


def _stock() -> pulp.HiGHS:
    solver: pulp.HiGHS = pulp.getSolver("HiGHS", msg=False)
    return solver


def _model(problem: Problem) -> LpModel:
    return build(prepare(problem))


def _solution(lp: pulp.LpProblem) -> dict[str, Any]:
    """Everything a solve writes into the PuLP objects."""
    return {
        "status": (lp.status, lp.sol_status),
        "variables": [(v.name, v.index, v.varValue, v.dj) for v in lp.variables()],
        "constraints": [(c.name, c.index, c.pi, c.slack) for c in lp.constraints()],
    }


def _dual_violations(lp: pulp.LpProblem) -> list[str]:
    """Where the duals written back into ``lp`` are not a valid dual solution of the LP HiGHS
    solved (a minimisation): reduced costs that are not c - A'y, signs that do not match the
    bound held, or a dual objective that differs from the primal one."""
    solved = lp.solverModel.getLp()
    matrix = solved.a_matrix_
    assert matrix.format_ == highspy.MatrixFormat.kColwise
    columns, rows = sorted(lp.variables(), key=lambda v: v.index), lp.constraints()
    x = np.array([v.varValue for v in columns])
    d = np.array([v.dj for v in columns])
    y = np.array([c.pi for c in rows])
    cost = np.asarray(solved.col_cost_)
    index, value = np.asarray(matrix.index_), np.asarray(matrix.value_)
    column_of = np.repeat(np.arange(len(x)), np.diff(np.asarray(matrix.start_)))
    ay = np.bincount(column_of, value * y[index], len(x))
    scale = max(1.0, float(np.abs(cost).max(initial=0.0)))
    problems = []
    if not np.allclose(d, cost - ay, atol=DUAL * scale):
        problems.append("reduced costs are not c - A'y")
    bounds = {
        "row": (y, np.asarray(solved.row_lower_), np.asarray(solved.row_upper_)),
        "column": (d, np.asarray(solved.col_lower_), np.asarray(solved.col_upper_)),
    }
    terms = []
    for name, (dual, lower, upper) in bounds.items():
        if (dual > DUAL * scale)[np.isinf(lower)].any():
            problems.append(f"a {name} dual pushes on a lower bound that does not exist")
        if (dual < -DUAL * scale)[np.isinf(upper)].any():
            problems.append(f"a {name} dual pushes on an upper bound that does not exist")
        bound = np.where(dual > 0, lower, upper)
        terms.append(np.multiply(dual, bound, out=np.zeros_like(dual), where=dual != 0))
    dual_objective = float(sum(t.sum() for t in terms))
    primal = float(cost @ x)
    size = max(1.0, abs(primal), *(float(np.abs(t).max(initial=0.0)) for t in terms))
    if abs(dual_objective - primal) > DUAL * size:
        problems.append(f"dual objective {dual_objective} differs from primal {primal}")
    return problems


@given(problems())
def test_the_hand_off_writes_back_what_pulps_interface_writes(problem: Problem) -> None:
    stock, ours = _model(problem), _model(problem)
    stock.lp.solve(_stock())
    code = handoff.solve(ours.lp, _stock())
    assert code == stock.lp.status
    assert _solution(ours.lp) == _solution(stock.lp)


@given(problems())
def test_the_hand_off_finds_cbcs_cost_with_valid_duals(problem: Problem) -> None:
    ours = optiree.solve(problem, "highs")
    cbc = optiree.solve(problem, "cbc")
    note(f"{ours.status}: {ours.message}")
    assert ours.status == cbc.status
    if ours.total_cost is None or cbc.total_cost is None:
        return
    assert ours.total_cost == pytest.approx(cbc.total_cost, rel=RELATIVE, abs=RELATIVE)
    model = _model(problem)
    assert handoff.solve(model.lp, _stock()) == pulp.LpStatusOptimal
    assert _dual_violations(model.lp) == []


def test_the_documented_example_unique_plan_and_shadow_prices() -> None:
    """docs/formulation.md: China 30 t, Lynas 20 t, cost 6,000; max_share costs 50 per tonne,
    one more tonne of demand 120."""
    model = _model(Problem.model_validate(two_country()))
    assert handoff.solve(model.lp, _stock()) == pulp.LpStatusOptimal
    assert {key[0]: v.varValue for key, v in model.buy.items()} == pytest.approx(
        {"china": 30, "lynas": 20}
    )
    prices = {row.name: row.constraint.pi for row in model.rows}
    assert prices == pytest.approx({"max_share(CN,Dy,P1)": -50, "balance(Dy,P1)": 120})
    assert _dual_violations(model.lp) == []


def test_results_read_the_same_tables_through_either_interface() -> None:
    """results.py indexes HiGHS's ranging by variable.index and constraint.index."""
    problem = optiree.load_problem(JAPAN)
    stock, ours = _model(problem), _model(problem)
    stock.lp.solve(_stock())
    handoff.solve(ours.lp, _stock())
    highs = ours.lp.solverModel
    lp = highs.getLp()
    for variable in ours.lp.variables():
        assert lp.col_cost_[variable.index] == ours.lp.objective.get(variable, 0.0)
    for constraint in ours.lp.constraints():
        assert -constraint.constant in (
            lp.row_lower_[constraint.index],
            lp.row_upper_[constraint.index],
        )
    expected, got = optimal_result(stock, "highs"), optimal_result(ours, "highs")
    assert not got.purchases["price_low"].isna().all()
    for name, table in expected.tables().items():
        assert got.tables()[name].equals(table), name


def _lp(sense: int = pulp.LpMinimize) -> tuple[pulp.LpProblem, pulp.LpVariable, pulp.LpVariable]:
    lp = pulp.LpProblem("hand", sense)
    return lp, lp.add_variable("x", 0, 4), lp.add_variable("y", 0)


def _both(build_lp: Any, solver: Any = _stock) -> tuple[dict[str, Any], dict[str, Any]]:
    stock, ours = build_lp(), build_lp()
    stock.solve(solver())
    handoff.solve(ours, solver())
    return _solution(stock), _solution(ours)


def _infeasible() -> pulp.LpProblem:
    lp, x, y = _lp()
    lp += x + y
    lp += pulp.LpConstraint(x + y, pulp.LpConstraintLE, "low", 1)
    lp += pulp.LpConstraint(x + y, pulp.LpConstraintGE, "high", 2)
    return lp


def _unbounded() -> pulp.LpProblem:
    lp, x, y = _lp()
    lp += x - y
    lp += pulp.LpConstraint(x + 0 * y, pulp.LpConstraintGE, "some", 1)
    return lp


def _empty_objective() -> pulp.LpProblem:
    lp, x, y = _lp()
    lp += pulp.LpConstraint(x + y, pulp.LpConstraintEQ, "fixed", 3)
    return lp


def _maximisation() -> pulp.LpProblem:
    lp, x, y = _lp(pulp.LpMaximize)
    lp += 3 * x + 2 * y + 7
    lp += pulp.LpConstraint(x + y, pulp.LpConstraintLE, "total", 5)
    return lp


@pytest.mark.parametrize(
    ("build_lp", "status"),
    [
        (_infeasible, pulp.LpStatusInfeasible),
        (_unbounded, pulp.LpStatusUnbounded),
        (_empty_objective, pulp.LpStatusOptimal),
        (_maximisation, pulp.LpStatusOptimal),
    ],
)
def test_statuses_and_values_as_pulps_interface(build_lp: Any, status: int) -> None:
    stock, ours = _both(build_lp)
    assert ours == stock
    assert ours["status"][0] == status


def test_a_maximisation_reads_as_written() -> None:
    lp = _maximisation()
    assert handoff.solve(lp, _stock()) == pulp.LpStatusOptimal
    assert pulp.value(lp.objective) == pytest.approx(3 * 4 + 2 * 1 + 7)
    assert lp.objective.constant == 7  # the objective is left as it was


def test_a_run_stopped_by_the_time_limit_maps_as_pulps_interface() -> None:
    problem = optiree.load_problem(JAPAN)

    def limited() -> pulp.HiGHS:
        solver: pulp.HiGHS = pulp.getSolver("HiGHS", msg=False, timeLimit=1e-9)
        return solver

    stock, ours = _both(lambda: _model(problem).lp, limited)
    assert ours["status"] == stock["status"]
    assert ours["status"] != (pulp.LpStatusOptimal, pulp.LpSolutionOptimal)
    result = optiree.solve(problem, time_limit=1e-9)
    assert result.status == "time_limit"
    assert result.total_cost is None


def test_quiet_unless_asked(capfd: pytest.CaptureFixture[str]) -> None:
    handoff.solve(_maximisation(), _stock())
    assert capfd.readouterr() == ("", "")
    handoff.solve(_maximisation(), pulp.getSolver("HiGHS", msg=True))
    assert "HiGHS" in capfd.readouterr().out


def test_cbc_stays_on_pulps_path() -> None:
    result = optiree.solve(Problem.model_validate(two_country()), "cbc")
    assert result.total_cost == pytest.approx(6_000)
    assert result.purchases["price_low"].isna().all()  # no HiGHS ranging: CBC solved it


def test_ranging_and_row_activities_are_read_through_the_adapter() -> None:
    """What results.py asks of the adapter: answers after a HiGHS solve, None otherwise."""
    lp = _maximisation()
    assert handoff.ranging(lp) is None
    assert handoff.row_activities(lp) is None  # not solved yet
    handoff.solve(lp, _stock())
    found, rows = handoff.ranging(lp), handoff.row_activities(lp)
    assert found is not None
    assert rows is not None
    assert all(len(found.cost_low) > v.index for v in lp.variables())
    assert len(found.cost_low) == len(found.cost_high)
    assert len(found.bound_low) == len(found.bound_high) == len(rows) == 1
    assert rows[lp.constraints()[0].index] == pytest.approx(5)  # total: x + y, with x = 4, y = 1
    by_cbc = _maximisation()
    by_cbc.solve(solver_for("cbc"))
    assert handoff.ranging(by_cbc) is None
    assert handoff.row_activities(by_cbc) is None


# --- the warm-started solver of sweeps ----------------------------------------------------------


def test_a_warm_start_solves_the_changed_lp_whatever_came_before() -> None:
    model = _model(optiree.load_problem(JAPAN))
    arrays = handoff.lp_arrays(model.lp).highs
    warm = handoff.WarmStart(arrays, _stock())
    rng = np.random.default_rng(7)
    changes = [arrays.row_upper * rng.uniform(0.5, 1.5, arrays.row_upper.shape) for _ in range(5)]
    once = [warm.solve(row_upper=upper) for upper in changes]
    again = [warm.solve(row_upper=upper) for upper in reversed(changes)][::-1]
    for (status, x), (status_again, x_again), upper in zip(once, again, changes, strict=True):
        assert status == status_again
        assert np.array_equal(x, x_again)
        fresh = handoff.passed(replace(arrays, row_upper=upper), _stock())
        fresh.run()
        assert fresh.getModelStatus() == status
        if fresh.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            assert arrays.cost @ x == pytest.approx(fresh.getObjectiveValue(), rel=1e-9)


@given(problems(elastic=True), st.integers(0, 2**32 - 1))
def test_a_sweep_reusing_one_solver_agrees_with_cbc_from_scratch(
    problem: Problem, seed: int
) -> None:
    """CBC solves every scenario from scratch; HiGHS reuses one instance where it can."""
    draws = random_scenarios(problem, 4, seed=seed, country=problem.countries[0])
    outage = {"name": "outage", "sources": [{"source": problem.sources[0].id}]}
    draws.append(Scenario.model_validate(outage))
    reused = sweep(problem, draws, executor="serial", penalty=500, progress=False).table
    fresh = sweep(
        problem, draws, executor="serial", solver="cbc", penalty=500, progress=False
    ).table
    assert reused["status"].tolist() == fresh["status"].tolist()
    for ours, theirs in zip(reused["total_cost"], fresh["total_cost"], strict=True):
        assert math.isnan(ours) == math.isnan(theirs)
        if not math.isnan(ours):
            assert ours == pytest.approx(theirs, rel=RELATIVE, abs=RELATIVE)


def _by_name(
    columns: list[str], rows: list[str], lp: highspy.HighsLp
) -> dict[str, dict[Any, float]]:
    """An LP's numbers keyed by column and row names: costs, bounds and matrix entries."""
    matrix = lp.a_matrix_
    start, index, value = (np.asarray(a) for a in (matrix.start_, matrix.index_, matrix.value_))
    colwise = matrix.format_ == highspy.MatrixFormat.kColwise
    outer, inner = (columns, rows) if colwise else (rows, columns)
    entries = {}
    for k, name in enumerate(outer):
        for i, v in zip(
            index[start[k] : start[k + 1]], value[start[k] : start[k + 1]], strict=True
        ):
            entries[(inner[i], name) if colwise else (name, inner[i])] = float(v)
    named = {
        key: dict(zip(names, map(float, getattr(lp, key)), strict=True))
        for key, names in (
            ("col_cost_", columns),
            ("col_lower_", columns),
            ("col_upper_", columns),
            ("row_lower_", rows),
            ("row_upper_", rows),
        )
    }
    return named | {"matrix": entries}


def _same_numbers(ours: dict[Any, float], written: dict[Any, float]) -> list[str]:
    """Where two name -> number maps differ beyond 1e-12 relative (MPS text may round)."""
    if ours.keys() != written.keys():
        return [f"names differ: {sorted(map(str, ours.keys() ^ written.keys()))[:5]}"]
    return [
        f"{key}: {ours[key]!r} != {written[key]!r}"
        for key in ours
        if ours[key] != written[key]
        and not math.isclose(ours[key], written[key], rel_tol=1e-12, abs_tol=0.0)
    ]


def _mps_check(problem: Problem) -> None:
    """The LP handed to HiGHS is the LP PuLP writes: PuLP's MPS file read by a second HiGHS
    has the same columns and rows by name, the same costs, bounds and coefficients, and the
    same optimal objective."""
    model = _model(problem)
    arrays = handoff.lp_arrays(model.lp)
    columns = [v.name for v in arrays.variables]
    rows = [c.name for c in arrays.constraints]
    written = handoff.configured(_stock())
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.mps")
        model.lp.writeMPS(path)
        assert written.readModel(path) == highspy.HighsStatus.kOk
    read = written.getLp()
    mps = _by_name(list(read.col_names_), list(read.row_names_), read)
    # PuLP writes an empty objective with its placeholder "__dummy", fixed at 0.
    dummy = {key: numbers.pop("__dummy") for key, numbers in mps.items() if "__dummy" in numbers}
    assert dummy.get("col_lower_", 0.0) == dummy.get("col_upper_", 0.0) == 0.0
    entries = mps["matrix"]
    assert all(entries.pop(pair) == 0 for pair in list(entries) if "__dummy" in pair)
    ours = _by_name(columns, rows, arrays.highs.highs_lp())
    differences = [f"{k}: {d}" for k in ours for d in _same_numbers(ours[k], mps[k])]
    assert differences == []
    assert read.offset_ == pytest.approx(arrays.highs.offset, rel=1e-12, abs=0)
    handed = handoff.passed(arrays.highs, _stock())
    handed.run()
    written.run()
    assert handed.getModelStatus() == written.getModelStatus()
    if handed.getModelStatus() == highspy.HighsModelStatus.kOptimal:
        ours_cost = handed.getInfo().objective_function_value
        theirs = written.getInfo().objective_function_value
        assert ours_cost == pytest.approx(theirs, rel=1e-9, abs=1e-9)


@given(st.one_of(problems(), supply_problems()))
def test_the_lp_handed_over_is_the_lp_pulp_writes(problem: Problem) -> None:
    """Issue 16: PuLP stays the model of record. On random problems using every feature (tiers,
    feeds, contracts, surplus, strategic stocks, units, caps, scenarios' rows), what the
    hand-off gives HiGHS equals PuLP's own MPS file, read by a second HiGHS."""
    _mps_check(problem)


def test_the_japan_lp_handed_over_is_the_lp_pulp_writes() -> None:
    japan = optiree.load_problem(JAPAN)
    _mps_check(japan)
    for scenario in japan.scenarios:
        _mps_check(optiree.apply(japan, scenario))


def _bits(array: Any) -> tuple[str, tuple[int, ...], bytes]:
    """An array's type, shape and bytes: equal only if every number is the same, bit for bit
    (0.0 and -0.0 differ)."""
    return str(array.dtype), array.shape, array.tobytes()


def _stated_check(problem: Problem) -> None:
    """Issue 16's stretch route: HiGHS takes the arrays a statement gives before any PuLP
    object (:meth:`StatedLp.arrays`), and they are, bit for bit and column for column, what the
    hand-off collects from the PuLP model made of it (:func:`handoff.lp_arrays`); and solving
    either way writes the same numbers into the PuLP objects."""
    data = prepare(problem)
    statement = state(data)
    for mip in (True, False):
        lp = statement.new_lp()
        made = statement.lp.objects(lp, objective=True)
        stated, order = statement.lp.arrays(mip=mip)
        collected = handoff.lp_arrays(lp, mip=mip)
        assert all(
            made.variables[j] is v for j, v in zip(order.tolist(), collected.variables, strict=True)
        )
        assert [c.name for c in made.constraints] == [c.name for c in collected.constraints]
        for name in ("cost", "col_lower", "col_upper", "row_lower", "row_upper", "start", "index"):
            assert _bits(getattr(stated, name)) == _bits(getattr(collected.highs, name)), name
        assert _bits(stated.value) == _bits(collected.highs.value)
        assert stated.offset == collected.highs.offset
        integer = (stated.integer, collected.highs.integer)
        assert integer == (None, None) if not mip else _bits(integer[0]) == _bits(integer[1])
    if statement.impossible or not statement.lp.cost[0]:
        return  # made first and run as usual (made_and_run)
    one_by_one = state(data).objects()
    status = run_solver(one_by_one, solver_for("highs"))[0]
    for background in (0, math.inf):  # the objects made in a thread while HiGHS runs; after it
        with mock.patch.object(handoff, "BACKGROUND_FROM", background):
            at_once, stated_status, _ = made_and_run(state(data), solver_for("highs"))
        assert stated_status == status
        assert _solution(at_once.lp) == _solution(one_by_one.lp)


@given(
    st.one_of(
        problems(),
        supply_problems(),
        investment_problems(),
        plant_investment_problems(),
        integer_problems(),
        discount_problems(),
    )
)
def test_the_stated_lp_is_the_lp_handed_over(problem: Problem) -> None:
    _stated_check(problem)


@pytest.mark.parametrize("path", sorted(JAPAN.parent.glob("*.yaml")), ids=lambda path: path.stem)
def test_the_stated_lp_of_each_example_is_the_lp_handed_over(path: Path) -> None:
    problem = optiree.load_problem(path)
    _stated_check(problem)
    for scenario in problem.scenarios:
        _stated_check(optiree.apply(problem, scenario))


def test_a_statement_makes_one_model() -> None:
    """Its column numbers become the model's variables in place: a second model is refused
    with a clear error, and the problem stated again makes one."""
    data = prepare(optiree.load_problem(JAPAN))
    statement = state(data)
    first = statement.objects()
    with pytest.raises(ArgumentError, match="made its model already"):
        statement.objects()
    second = state(data).objects()
    assert [v.name for v in first.lp.variables()] == [v.name for v in second.lp.variables()]
