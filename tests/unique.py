"""Whether a hand-solved optimum is the only one, so that a test asserting it holds for any solver.

A test that asserts a plan (tonnes, stock, substitution) must make that plan the unique optimum,
and a test that asserts a shadow price must make that dual unique: otherwise another solver, or
another release of the same one, may return another optimum of equal cost and the test fails
(as HiGHS 1.16 did on a substitution instance with no holding cost). These helpers check it on
the LP itself, independently of the solver's choice of vertex:

- :func:`assert_unique_plan` bounds the cost at its optimum and minimises, then maximises, every
  variable in turn: a variable whose least and greatest values differ takes more than one value
  over the optimal plans;
- :func:`assert_unique_duals` moves a row's right-hand side a little up and a little down: the
  least-cost's slope on each side is the largest and the least shadow price the row can have
  over the optimal duals, so the dual is unique exactly when the two slopes agree.
"""

from collections.abc import Sequence

import pulp

from optiree import Problem
from optiree.model import LpModel, build
from optiree.prepare import prepare
from optiree.results import Status
from optiree.solve import run_solver, solver_for

SLACKS = (1e-9, 1e-11)
"""Relative slacks on the optimal cost while a variable is pushed to its ends. A tie moves a
variable as far at either slack; what the slack alone allows shrinks with it (100 times)."""
SPREAD = 1e-4
"""Relative spread below which a row's two slopes count as one."""
NOISE = 1e-6
"""Tonnes below which a variable's spread is the solver's tolerance, not a tie."""


def _solved(model: LpModel) -> float:
    """Solve ``model.lp`` with HiGHS and return its objective; it must be optimal."""
    status, message = run_solver(model, solver_for("highs"))
    assert status is Status.OPTIMAL, message
    return float(pulp.value(model.lp.objective))


def _ends(model: LpModel, variable: pulp.LpVariable) -> tuple[float, float]:
    """The least and greatest value of ``variable`` over the LP's feasible set."""
    ends = []
    for sense in (pulp.LpMinimize, pulp.LpMaximize):
        model.lp.sense = sense
        model.lp.setObjective(variable + 0.0)
        ends.append(_solved(model))
    return ends[0], ends[1]


def _spreads(
    problem: Problem, slack: float, kinds: tuple[str, ...]
) -> dict[str, tuple[float, float]]:
    """Each variable's least and greatest value over the plans within ``slack`` of the optimum."""
    model = build(prepare(problem))
    best = _solved(model)
    model.lp.addConstraint(model.objective <= best + slack * (1 + abs(best)), "optimal_cost")
    chosen = [v for v in model.lp.variables() if not kinds or v.name.startswith(kinds)]
    return {v.name: _ends(model, v) for v in chosen}


def varying(problem: Problem, kinds: tuple[str, ...] = ()) -> dict[str, tuple[float, float]]:
    """Every LP variable of ``problem`` that takes more than one value over its optimal plans,
    with its least and greatest value (empty when the optimal plan is unique); with ``kinds``
    (such as ``("sub",)`` or ``("buy", "stock")``), only the variables of those kinds."""
    loose, tight = (_spreads(problem, slack, kinds) for slack in SLACKS)
    return {
        name: (low, high)
        for name, (low, high) in tight.items()
        if high - low > NOISE * (1 + abs(low))
        and high - low > (loose[name][1] - loose[name][0]) / 2
    }


def assert_unique_plan(problem: Problem, kinds: tuple[str, ...] = ()) -> None:
    """Fail, naming the variables, when ``problem`` has more than one optimal plan (or, with
    ``kinds``, when the variables of those kinds differ between its optimal plans)."""
    spread = varying(problem, kinds)
    assert not spread, f"several optimal plans: variable -> (least, greatest) {spread}"


def slopes(problem: Problem, row: str, step: float = 1e-3) -> tuple[float, float]:
    """The change in least cost per unit of ``row``'s right-hand side, lowered and raised by
    ``step`` (the row's name as in ``Result.constraints``)."""
    costs = []
    for move in (-step, 0.0, step):
        model = build(prepare(problem))
        found = [r.constraint for r in model.rows if r.name == row]
        assert found, f"no row {row}; rows: {[r.name for r in model.rows]}"
        found[0].constant -= move  # PuLP keeps expression + constant <sense> 0: rhs = -constant
        costs.append(_solved(model))
    return (costs[1] - costs[0]) / step, (costs[2] - costs[1]) / step


def assert_unique_duals(problem: Problem, rows: Sequence[str]) -> None:
    """Fail, naming the rows, when one of ``rows`` can have more than one shadow price."""
    kinks = {}
    for row in rows:
        below, above = slopes(problem, row)
        if abs(above - below) > SPREAD * (1 + abs(below)):
            kinks[row] = (below, above)
    assert not kinks, f"several optimal duals: row -> (slope below, slope above) {kinks}"


def assert_unique(problem: Problem, rows: Sequence[str]) -> None:
    """Fail when ``problem`` has more than one optimal plan, or one of ``rows`` more than one
    shadow price: what a test asserting the plan and those shadow prices needs."""
    assert_unique_plan(problem)
    assert_unique_duals(problem, rows)
