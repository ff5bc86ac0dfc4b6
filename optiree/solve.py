"""The solve pipeline: prepare -> state -> make the PuLP model and run the solver -> read the
result.

Each step is a function of its own (:func:`optiree.prepare.prepare`, :func:`optiree.model.state`,
:func:`made_and_run`, :func:`optiree.results.optimal_result`); :func:`solve` chains them. With
HiGHS, the solver runs on the stated LP while the PuLP model of it is made; :func:`run_solver`
solves a model already made (:func:`optiree.model.build`).
"""

import math
from dataclasses import replace
from typing import Any

import pulp

from optiree import arguments
from optiree.handoff import mip_bound, solve_stated, solved
from optiree.handoff import solve as solve_with_highs
from optiree.model import LpModel, Statement, state
from optiree.prepare import prepare
from optiree.results import FIXED_DUALS, Result, Status, optimal_result
from optiree.schema import LARGEST, Problem
from optiree.solvers import SolverName, name_of, solver_for

INFEASIBLE_HINT = (
    "no plan meets every demand, cap and security rule at once. Loosen a cap or a security "
    "rule, add capacity or stock, or give the material a shortage_penalty so it may go short."
)

FOUND = (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
"""PuLP's solution statuses that leave a feasible point (LpSolutionIntegerFeasible is what it
calls a feasible point found before a limit, in an LP too)."""
_OUTCOMES = {
    pulp.LpStatusOptimal: (Status.OPTIMAL, "optimal plan found"),
    pulp.LpStatusInfeasible: (Status.INFEASIBLE, f"infeasible: {INFEASIBLE_HINT}"),
    pulp.LpStatusUnbounded: (
        Status.UNBOUNDED,
        "unbounded: some cost can fall without limit; check for a cost that should not be 0",
    ),
}


def run_solver(model: LpModel, solver: pulp.LpSolver) -> tuple[Status, str]:
    """Solve ``model.lp`` in place and say how it ended, in words."""
    if model.impossible:
        reasons = "; ".join(str(reason) for reason in model.impossible)
        return Status.INFEASIBLE, f"infeasible before solving: {reasons}"
    try:
        code = _run(model.lp, solver)
    except pulp.PulpSolverError as error:
        return Status.ERROR, _with_cause(f"the solver failed: {error}", model.lp)
    return _ended(model.lp, code, solver)


def _ended(lp: pulp.LpProblem, code: int, solver: pulp.LpSolver) -> tuple[Status, str]:
    """How the run that left PuLP's ``code`` in ``lp`` ended, in words."""
    status, message = _outcome(code, lp.sol_status, solver.timeLimit)
    if status is Status.ERROR:
        return status, _with_cause(message, lp)
    return status, message


def made_and_run(statement: Statement, solver: pulp.LpSolver) -> tuple[LpModel, Status, str]:
    """Make the PuLP model of ``statement`` and solve it in place (:func:`run_solver`).

    With HiGHS, HiGHS takes the statement's arrays and solves while the PuLP objects are made
    (:func:`optiree.handoff.solve_stated`): the same LP, in the same order, as the hand-off of
    the finished model gives it (tests/test_handoff.py), so the same solution. A problem found
    infeasible before solving, or with nothing to minimise, is made first and run as usual, as
    is one HiGHS rejects (whose error is then reported with its cause).
    """
    if isinstance(solver, pulp.HiGHS) and statement.lp.cost[0] and not statement.impossible:
        lp = statement.new_lp()
        try:
            code, made = solve_stated(statement.lp, lp, solver)
        except pulp.PulpSolverError:
            pass
        else:
            model = statement.model(lp, made)
            return model, *_ended(lp, code, solver)
    model = statement.objects()
    return model, *run_solver(model, solver)


def _run(lp: pulp.LpProblem, solver: pulp.LpSolver) -> int:
    """Solve ``lp`` in place (HiGHS through :mod:`optiree.handoff`); PuLP's status code."""
    if isinstance(solver, pulp.HiGHS):
        return solve_with_highs(lp, solver)
    code = int(lp.solve(solver))
    solved()
    return code


def _outcome(code: int, found: int, time_limit: float | None) -> tuple[Status, str]:
    """How a run that ended with PuLP's ``code`` and solution status ``found`` ended."""
    if code in _OUTCOMES and _final(code, found):
        return _OUTCOMES[code]
    if time_limit is not None and code in (pulp.LpStatusOptimal, pulp.LpStatusNotSolved):
        # PuLP reports a run stopped by the limit as "Optimal" with a solution that is only
        # "found", or as "Not Solved": neither is an optimal plan.
        return Status.TIME_LIMIT, f"stopped at the time limit of {time_limit} s"
    return Status.ERROR, (
        f"the solver ended with PuLP status {pulp.LpStatus.get(code, code)!r} "
        f"(solution status {pulp.LpSolution.get(found, found)!r})"
    )


def _with_cause(message: str, lp: pulp.LpProblem) -> str:
    """``message`` and the likely cause of a failed run: a number in the model beyond what the
    solvers take, or, where there is none, what to try."""
    value, where = largest_number(lp)
    if value > LARGEST:
        return (
            f"{message}. The model holds {value:g} ({where}), over {LARGEST:g} "
            "(optiree.schema.LARGEST): solvers lose precision there and fail (HiGHS rejects "
            "a coefficient from 1e15). Rescale the numbers behind it"
        )
    return (
        f"{message}. Every number in the model is within {LARGEST:g} (the largest is {value:g}, "
        f"{where}): try the other solver, or run with log=True (--log) and report the problem"
    )


def largest_number(lp: pulp.LpProblem) -> tuple[float, str]:
    """The largest magnitude among ``lp``'s costs, coefficients, right-hand sides and bounds,
    and where it is, in words."""
    found = [(0.0, "none")]
    found += [(abs(c), f"the cost of {v.name}") for v, c in lp.objective.items()]
    for row in lp.constraints():
        terms = row.expr.items()
        found += [(abs(c), f"the coefficient of {v.name} in {row.name}") for v, c in terms]
        found.append((abs(row.constant), f"the right-hand side of {row.name}"))
    for v in lp.variables():
        bounds = (b for b in (v.lowBound, v.upBound) if b is not None)
        found += [(abs(b), f"a bound of {v.name}") for b in bounds]
    return max(found, key=lambda item: item[0])


def _final(code: int, found: int) -> bool:
    """Whether PuLP's ``code`` says how the run ended: any but an "Optimal" whose solution is
    only found, not optimal (a point from a run stopped early)."""
    return bool(code != pulp.LpStatusOptimal or found == pulp.LpSolutionOptimal)


def _has_plan(model: LpModel) -> bool:
    """Whether the solver left a value in every variable (a run stopped early may not)."""
    return model.lp.sol_status in FOUND and all(
        v.varValue is not None for v in model.lp.variables()
    )


UNUSED = 1e-9
"""Tonnes at or below which a source counts as not delivering (its ``use`` or ``qualified``
decision is fixed at 0)."""


def fix_integers(model: LpModel, solver: pulp.LpSolver) -> tuple[Status, str]:
    """Fix every integer decision of a solved MILP at its value and solve the LP that is left
    (in place): its plan costs the same, and its duals are the MILP's shadow prices, labelled
    :data:`optiree.results.FIXED_DUALS`.

    A ``use`` or ``qualified`` decision at 1 for a source that delivers nothing there (a free
    choice, or one worth nothing) is fixed at 0, so that every fixed decision says what the
    plan does: 1 where the source delivers, 0 where it does not."""
    idle = _idle(model)
    for variable in model.integers:
        value = 0.0 if variable.name in idle else float(round(variable.varValue or 0.0))
        variable.lowBound = variable.upBound = value
        variable.cat = pulp.LpContinuous
    return run_solver(model, solver)


def _idle(model: LpModel) -> set[str]:
    """The names of the ``use`` and ``qualified`` decisions of sources that deliver nothing
    there (at most :data:`UNUSED` t). A discount ``band`` needs no such care: chosen, its
    tonnes reach its start, above 0."""
    delivered = {
        cell: sum((v.varValue or 0.0) * a for v, a in terms) for cell, terms in model.supply.items()
    }
    by_source: dict[str, float] = {}
    for (s, _, _), tonnes in delivered.items():
        by_source[s] = by_source.get(s, 0.0) + tonnes
    idle = {y.name for cell, y in model.use.items() if delivered.get(cell, 0.0) <= UNUSED}
    return idle | {q.name for s, q in model.qualified.items() if by_source.get(s, 0.0) <= UNUSED}


def _mip_figures(model: LpModel) -> dict[str, float | str | None]:
    """A MILP's best bound and gap (NaN where the solver reports none) and where its duals
    come from."""
    found = mip_bound(model.lp)
    bound, gap = found if found is not None else (math.nan, math.nan)
    return {"best_bound": bound, "mip_gap": gap, "duals_of": FIXED_DUALS}


def _solved(
    statement: Statement, pulp_solver: pulp.LpSolver
) -> tuple[LpModel, Status, str, dict[str, Any]]:
    """Make the model and run the solver; for a MILP solved to optimality, fix its integer
    decisions and solve the LP left for the duals. The model, the status, the message and a
    MILP's figures."""
    model, status, message = made_and_run(statement, pulp_solver)
    figures = _mip_figures(model) if model.integers and _has_plan(model) else {}
    if status is Status.OPTIMAL and figures:
        status, message = fix_integers(model, pulp_solver)
        message += f"; shadow prices are the duals of {FIXED_DUALS}"
    return model, status, message, figures


def _with(result: Result, figures: dict[str, Any]) -> Result:
    """``result`` with a MILP's ``figures`` (an LP has none: the result is not built again)."""
    return replace(result, **figures) if figures else result


def solve(
    problem: Problem,
    solver: SolverName = "highs",
    time_limit: float | None = None,
    *,
    log: bool = False,
) -> Result:
    """Find the least-cost plan of ``problem``.

    Args:
        problem: a validated :class:`optiree.Problem`.
        solver: "highs" (default, through highspy), "cbc" (bundled with PuLP), any solver PuLP
            knows by name ("glpk", "GLPK_CMD", "gurobi"...), or a configured
            ``pulp.LpSolver`` (docs/solvers.md).
        time_limit: seconds the solver may take; None for no limit.
        log: print the solver's log on stdout as it runs; by default nothing is printed.

    Returns:
        A :class:`optiree.Result`; infeasible and unbounded problems give a status and a
        message, not an exception.

    Raises:
        SolverChoiceError: the solver is unknown, or ``time_limit`` is not positive.
        SolverError: the solver is not installed (the message says how to install it).
    """
    problem = arguments.model(problem, "problem", Problem)
    arguments.boolean(log, "log")
    pulp_solver = solver_for(solver, time_limit, log=log)
    name = name_of(solver)
    model, status, message, figures = _solved(state(prepare(problem)), pulp_solver)
    if status is Status.OPTIMAL:
        return _with(optimal_result(model, name, status, message), figures)
    if status is Status.TIME_LIMIT and _has_plan(model):
        message += ": the best plan found is returned (checked against every rule), not "
        message += "proved optimal; it has no shadow prices"
        return _with(optimal_result(model, name, status, message), figures)
    return Result.build(
        name=problem.name,
        status=status,
        message=message,
        solver=name,
        currency=problem.currency,
        units=problem.units,
    )
