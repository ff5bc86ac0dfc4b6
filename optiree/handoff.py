"""A built PuLP problem -> HiGHS in one call, and the solution back into the PuLP objects.

PuLP's own HiGHS interface (``pulp.HiGHS``) adds the columns and rows to HiGHS one call at a
time. Here the problem is collected into arrays in one pass (:func:`lp_arrays`: column costs
and bounds, the row-wise sparse matrix and row bounds), handed over with one ``passModel``
(:meth:`HighsArrays.highs_lp`), and the solution is written back as PuLP's interface writes it
(:func:`write_back`): ``varValue`` and ``dj`` of each variable, ``pi`` and ``slack`` of each
constraint, ``status`` and ``sol_status`` of the problem, and the ``highspy.Highs`` object on
``lp.solverModel``, with ``variable.index`` and ``constraint.index`` its column and row. The
columns and rows are in the order PuLP's interface uses (variables sorted by name, constraints
in the order they were added), so HiGHS receives the same LP and returns the same solution.
Two options differ from PuLP's: HiGHS keeps matrix entries down to 1e-12
(:data:`SMALL_MATRIX_VALUE`), and prints nothing, its banner included, unless ``msg`` asks
(:class:`QuietHighs`).

An LP can also be handed over before its PuLP objects exist: :class:`StatedLp` holds it as
numbers (columns, rows, objective) and gives both HiGHS's arrays, the same as
:func:`lp_arrays` would collect, and the PuLP objects; :func:`solve_stated` has HiGHS solve
while the objects are made.

The PuLP problem stays the model of record: it can still be written as an LP or MPS file,
solved with CBC or inspected.
"""

import concurrent.futures
import contextlib
import operator
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import highspy
import numpy as np
import pulp
from numpy.typing import NDArray

from optiree.collector import paused

_INDEX = operator.attrgetter("index")
_LOW = operator.attrgetter("lowBound")
_UP = operator.attrgetter("upBound")
_CONSTANT = operator.attrgetter("constant")
_SENSE = operator.attrgetter("sense")
_STOPPED = (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kIterationLimit)
_OUTCOMES = {
    highspy.HighsModelStatus.kOptimal: (pulp.LpStatusOptimal, pulp.LpSolutionOptimal),
    highspy.HighsModelStatus.kInfeasible: (pulp.LpStatusInfeasible, pulp.LpSolutionInfeasible),
    highspy.HighsModelStatus.kUnboundedOrInfeasible: (
        pulp.LpStatusInfeasible,
        pulp.LpSolutionInfeasible,
    ),
    highspy.HighsModelStatus.kUnbounded: (pulp.LpStatusUnbounded, pulp.LpSolutionUnbounded),
    **dict.fromkeys(
        (
            highspy.HighsModelStatus.kObjectiveBound,
            highspy.HighsModelStatus.kObjectiveTarget,
            highspy.HighsModelStatus.kInterrupt,
            *_STOPPED,
        ),
        (pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible),
    ),
}
"""HiGHS model status -> PuLP (status, solution status), as ``pulp.HiGHS`` maps them; any other
status is (not solved, no solution found)."""
_NOT_SOLVED = (pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int32]


_WATCHERS: list[Callable[[], object]] = []
"""Called after every LP solved in this process, while :func:`each_solve` holds them."""


@contextlib.contextmanager
def each_solve(callback: Callable[[], object]) -> Iterator[None]:
    """Call ``callback`` after every LP solved in this process while inside (HiGHS here, warm
    re-solves included; other solvers through :func:`solved` in :mod:`optiree.solve`): how the
    command line counts the solves of a long analysis for its progress bar."""
    _WATCHERS.append(callback)
    try:
        yield
    finally:
        _WATCHERS.remove(callback)


def solved() -> None:
    """One LP has been solved: tell the watchers (:func:`each_solve`)."""
    for watcher in _WATCHERS:
        watcher()


@dataclass(frozen=True)
class HighsArrays:
    """An LP in the arrays HiGHS takes: a minimisation, row-wise sparse matrix, ``inf`` for
    no bound."""

    cost: FloatArray
    """Objective coefficient of each column."""
    offset: float
    """Constant of the objective."""
    col_lower: FloatArray
    col_upper: FloatArray
    row_lower: FloatArray
    row_upper: FloatArray
    start: IntArray
    """Row i's entries are ``index[start[i]:start[i + 1]]`` and ``value[...]``."""
    index: IntArray
    """Column of each non-zero entry."""
    value: FloatArray
    integer: NDArray[np.bool_] | None = None
    """Which columns are integer; None for an LP."""

    def highs_lp(self) -> highspy.HighsLp:
        """The arrays as one ``highspy.HighsLp``, to hand over with ``Highs.passModel``."""
        model = highspy.HighsLp()
        model.num_col_ = len(self.cost)
        model.num_row_ = len(self.row_lower)
        model.offset_ = self.offset
        model.col_cost_ = self.cost
        model.col_lower_ = self.col_lower
        model.col_upper_ = self.col_upper
        model.row_lower_ = self.row_lower
        model.row_upper_ = self.row_upper
        matrix = model.a_matrix_
        matrix.format_ = highspy.MatrixFormat.kRowwise
        matrix.num_col_ = model.num_col_
        matrix.num_row_ = model.num_row_
        matrix.start_ = self.start
        matrix.index_ = self.index
        matrix.value_ = self.value
        if self.integer is not None and self.integer.any():
            kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
            model.integrality_ = [kinds[flag] for flag in self.integer.tolist()]
        return model


@dataclass(frozen=True)
class LpArrays:
    """A PuLP problem as HiGHS takes it: column j is ``variables[j]``, row i ``constraints[i]``;
    costs are negated for a maximisation."""

    variables: list[pulp.LpVariable]
    constraints: list[pulp.LpConstraint]
    highs: HighsArrays


@paused
def lp_arrays(lp: pulp.LpProblem, *, mip: bool = True) -> LpArrays:
    """Collect ``lp`` into arrays in one pass; sets ``index`` on every variable and constraint.

    Entries with a zero coefficient are left out, as PuLP's interface leaves them out;
    ``mip=False`` makes integer variables continuous (PuLP's ``mip=False``).
    """
    variables = lp.variables()  # PuLP's column order: every variable in use, sorted by name
    constraints = lp.constraints()
    _number(variables, constraints)
    sign = -1.0 if lp.sense == pulp.LpMaximize else 1.0
    objective = lp.objective if lp.objective is not None else pulp.LpAffineExpression()
    cost = np.zeros(len(variables))
    cost[_indices(objective)] = sign * np.fromiter(objective.values(), np.float64, len(objective))

    lengths = np.fromiter(map(len, constraints), np.int64, len(constraints))
    index = np.empty(int(lengths.sum()), np.int32)
    value = np.empty(len(index))
    end = 0
    for constraint, length in zip(constraints, lengths.tolist(), strict=True):
        expression = constraint.expr
        index[end : end + length] = _indices(expression)
        value[end : end + length] = np.fromiter(expression.values(), np.float64, length)
        end += length
    arrays = _assembled(
        cost=cost,
        offset=sign * float(objective.constant),
        lower=map(_LOW, variables),
        upper=map(_UP, variables),
        integer=np.fromiter((v.cat == pulp.LpInteger for v in variables), bool, len(variables))
        if mip
        else None,
        rows=(lengths, index, value),
        constant=np.fromiter(map(_CONSTANT, constraints), np.float64, len(constraints)),
        sense=np.fromiter(map(_SENSE, constraints), np.int8, len(constraints)),
    )
    return LpArrays(variables, constraints, arrays)


def _number(variables: list[pulp.LpVariable], constraints: list[pulp.LpConstraint]) -> None:
    """Give each variable its column and each constraint its row (``index``), as HiGHS has them."""
    for j, variable in enumerate(variables):
        variable.index = j
    for i, constraint in enumerate(constraints):
        constraint.index = i


def _assembled(
    *,
    cost: FloatArray,
    offset: float,
    lower: Any,
    upper: Any,
    integer: NDArray[np.bool_] | None,
    rows: tuple[NDArray[np.int64], IntArray, FloatArray],
    constant: FloatArray,
    sense: NDArray[np.int8],
) -> HighsArrays:
    """The arrays HiGHS takes, from the columns' costs and bounds (PuLP's: None for none) and the
    rows as PuLP holds them: each row's length, its entries' columns and coefficients one row
    after the other, its constant (minus its right-hand side) and its sense. Entries with a zero
    coefficient are left out, as PuLP's interface leaves them out."""
    lengths, index, value = rows
    kept = value != 0
    numbered = np.repeat(np.arange(len(lengths)), lengths)[kept]
    start = np.zeros(len(lengths) + 1, np.int32)
    np.cumsum(np.bincount(numbered, minlength=len(lengths)), out=start[1:])
    rhs = -constant
    return HighsArrays(
        cost=cost,
        offset=offset,
        col_lower=_bounds(lower, -np.inf),
        col_upper=_bounds(upper, np.inf),
        row_lower=np.where(sense == pulp.LpConstraintLE, -np.inf, rhs),
        row_upper=np.where(sense == pulp.LpConstraintGE, np.inf, rhs),
        start=start,
        index=index[kept],
        value=value[kept],
        integer=integer,
    )


@dataclass(frozen=True)
class StatedLp:
    """A minimisation stated before any PuLP object is made: its columns in the order they were
    made, its rows in the order they were added, each row's coefficients by column with no
    column twice.

    :meth:`objects` makes its PuLP objects; :meth:`arrays` gives HiGHS the LP that
    :func:`lp_arrays` collects from those objects, without them, so that HiGHS can solve while
    they are made (:func:`solve_stated`). tests/test_handoff.py checks the two equal.
    """

    names: list[str]
    """Each column's name, as given to PuLP."""
    lower: list[float | None]
    """Each column's lower bound, as given to PuLP (None for none)."""
    upper: list[float | None]
    integer: list[bool]
    """Whether each column is integer."""
    cost: "tuple[array[int], array[float]]"
    """The objective: its columns and their costs."""
    row_names: list[str]
    lengths: "array[int]"
    """How many columns each row has."""
    index: "array[int]"
    """The column of each entry, row after row (``lengths`` says where each row ends)."""
    value: "array[float]"
    """The coefficient of each entry."""
    rhs: "array[float]"
    sense: "array[int]"
    """PuLP's sense of each row: ``pulp.LpConstraintLE``, ``GE`` or ``EQ``."""

    @paused
    def objects(self, lp: pulp.LpProblem, *, objective: bool) -> "Made":
        """Make the variables and constraints in ``lp`` (and its objective, if ``objective``),
        as a model built with PuLP's own calls makes them."""
        kinds = (pulp.LpContinuous, pulp.LpInteger)
        variables = [
            lp.add_variable(name, low, up, kinds[flag])
            for name, low, up, flag in zip(
                self.names, self.lower, self.upper, self.integer, strict=True
            )
        ]
        column = variables.__getitem__
        index, value = self.cost
        cost = pulp.LpAffineExpression(list(zip(map(column, index), value, strict=True)))
        if objective:
            lp.setObjective(cost)
        constraints = []
        end = 0
        rows = zip(self.row_names, self.lengths, self.sense, self.rhs, strict=True)
        for name, length, sense, rhs in rows:
            start, end = end, end + length
            terms = zip(map(column, self.index[start:end]), self.value[start:end], strict=True)
            constraint = pulp.LpConstraint(pulp.LpAffineExpression(list(terms)), sense, name, rhs)
            lp.addConstraint(constraint)
            constraints.append(constraint)
        return Made(variables, constraints, cost)

    @paused
    def arrays(self, *, mip: bool = True) -> tuple[HighsArrays, NDArray[np.int64]]:
        """The LP as :func:`lp_arrays` collects it from :meth:`objects`, and each HiGHS column's
        column here: PuLP's column order is every column in use (in a row or the objective),
        sorted by the name PuLP gives it."""
        objective = np.array(self.cost[0], np.int64)
        index = np.array(self.index, np.int64)
        # in the order PuLP first meets them (the rows, then the objective): its sort is stable
        used, first = np.unique(np.concatenate([index, objective]), return_index=True)
        used = used[np.argsort(first, kind="stable")].tolist()
        names = [self.names[j].translate(pulp.LpElement.trans) for j in used]
        order = np.array(
            [used[k] for k in sorted(range(len(used)), key=names.__getitem__)], np.int64
        )
        column = np.zeros(len(self.names), np.int32)
        column[order] = np.arange(len(order), dtype=np.int32)
        cost = np.zeros(len(order))
        cost[column[objective]] = np.array(self.cost[1], np.float64)
        picked = order.tolist()
        integer = np.array(self.integer, bool)[order] if mip else None
        arrays = _assembled(
            cost=cost,
            offset=0.0,
            lower=[self.lower[j] for j in picked],
            upper=[self.upper[j] for j in picked],
            integer=integer,
            rows=(np.array(self.lengths, np.int64), column[index], np.array(self.value)),
            constant=0.0 - np.array(self.rhs, np.float64),  # PuLP's constant: minus the rhs
            sense=np.array(self.sense, np.int8),
        )
        return arrays, order


@dataclass(frozen=True)
class Made:
    """The PuLP objects of a :class:`StatedLp`, in its order."""

    variables: list[pulp.LpVariable]
    constraints: list[pulp.LpConstraint]
    cost: pulp.LpAffineExpression
    """The objective."""


SMALL_MATRIX_VALUE = 1e-12
"""HiGHS's ``small_matrix_value``: matrix entries at or below it in magnitude are dropped. Its
least allowed value, and what CBC drops too (HiGHS's default, 1e-9, drops a yield at the
input's floor, ``optiree.schema.MIN_PER_UNIT``, times a share of 0.001). See
docs/formulation.md, "Coefficients the solvers keep"."""


class QuietHighs(highspy.Highs):
    """``highspy.Highs`` that prints nothing while it is built.

    highspy's constructor sets its callback (``enableCallbacks``), the first call that logs,
    while ``output_flag`` is still at its default (on): HiGHS then prints its banner on stdout
    before any option can be set. Here output is off for that call; the options set after it
    (:func:`configured`) decide whether HiGHS logs.
    """

    _built = False

    def enableCallbacks(self) -> None:  # noqa: N802  # highspy's name, overridden
        if not self._built:
            self.setOptionValue("output_flag", False)
            self._built = True
        super().enableCallbacks()  # type: ignore[no-untyped-call]  # unannotated in highspy


def configured(solver: pulp.HiGHS) -> highspy.Highs:
    """A ``highspy.Highs`` with the options of ``solver``, as PuLP's interface sets them:
    ``msg`` (HiGHS's log on stdout; nothing is printed without it), ``timeLimit`` [s],
    ``threads``, ``gapRel``, ``gapAbs`` and any other option; and ``small_matrix_value`` at
    :data:`SMALL_MATRIX_VALUE` unless ``solver`` sets it."""
    highs = QuietHighs()  # type: ignore[no-untyped-call]  # unannotated in highspy
    options: dict[str, Any] = {
        "small_matrix_value": SMALL_MATRIX_VALUE,
        "output_flag": bool(solver.msg),
        "time_limit": None if solver.timeLimit is None else float(solver.timeLimit),
        "threads": solver.threads,
        "mip_rel_gap": solver.gapRel,
        "mip_abs_gap": solver.gapAbs,
    }
    for name, value in (options | solver.optionsDict).items():
        if value is not None:
            highs.setOptionValue(name, value)
    return highs


def write_back(lp: pulp.LpProblem, arrays: LpArrays, highs: highspy.Highs) -> tuple[int, int]:
    """Write the solution of ``highs`` into the PuLP objects of ``arrays``; PuLP's status and
    solution status of the run (also set on ``lp``)."""
    solution = highs.getSolution()
    if len(solution.col_value) == len(arrays.variables):
        _write_columns(arrays, solution)
    if len(solution.row_value) == len(arrays.constraints):
        _write_rows(arrays, solution)
    model_status = highs.getModelStatus()
    unsolved = model_status in _STOPPED and highs.getObjectiveValue() == np.inf
    status, found = _NOT_SOLVED if unsolved else _OUTCOMES.get(model_status, _NOT_SOLVED)
    lp.assignStatus(status, found)
    return status, found


def _write_columns(arrays: LpArrays, solution: highspy.HighsSolution) -> None:
    """Each variable's ``varValue`` and ``dj`` (reduced cost)."""
    for variable, value, dual in zip(
        arrays.variables, solution.col_value, solution.col_dual, strict=True
    ):
        variable.varValue = value
        variable.dj = dual


def _write_rows(arrays: LpArrays, solution: highspy.HighsSolution) -> None:
    """Each constraint's ``slack`` and ``pi`` (dual value)."""
    # PuLP keeps the right-hand side on the left (constant = -rhs); slack is rhs - lhs for
    # a <= row and lhs - rhs otherwise, as PuLP's interface reports it.
    lower, upper = arrays.highs.row_lower, arrays.highs.row_upper
    slack = np.asarray(solution.row_value) - np.where(np.isinf(upper), lower, upper)
    slack[np.isinf(lower)] *= -1.0
    for constraint, gap, dual in zip(
        arrays.constraints, slack.tolist(), solution.row_dual, strict=True
    ):
        constraint.slack = gap
        constraint.pi = dual


def passed(arrays: HighsArrays, solver: pulp.HiGHS) -> highspy.Highs:
    """A new ``highspy.Highs``, configured as ``solver`` says, holding ``arrays``.

    Raises:
        pulp.PulpSolverError: HiGHS rejects the model.
    """
    highs = configured(solver)
    if highs.passModel(arrays.highs_lp()) == highspy.HighsStatus.kError:
        raise pulp.PulpSolverError("HiGHS rejected the model (see its log with msg=True)")
    return highs


def hand_over(lp: pulp.LpProblem, solver: pulp.HiGHS) -> tuple[LpArrays, highspy.Highs]:
    """Collect ``lp`` into arrays and pass them to a new ``highspy.Highs`` (configured as
    ``solver`` says) in one call; the Highs object is also left on ``lp.solverModel``.

    Raises:
        pulp.PulpSolverError: HiGHS rejects the model.
    """
    arrays = lp_arrays(lp, mip=solver.mip)
    highs = passed(arrays.highs, solver)
    lp.solverModel = highs
    return arrays, highs


def solve(lp: pulp.LpProblem, solver: pulp.HiGHS) -> int:
    """Solve ``lp`` with HiGHS, handing it over in one call; PuLP's status code, as
    ``lp.solve(solver)`` returns it, with the same values written into ``lp``.

    The options of ``solver`` apply (``msg``, ``timeLimit`` [s], ``threads``...); the
    ``highspy.Highs`` object is left on ``lp.solverModel`` (for ``getRanging`` and the like).

    Raises:
        pulp.PulpSolverError: HiGHS rejects the model.
    """
    was_none, dummy = lp.fixObjective()  # an empty objective gets PuLP's dummy variable
    lp.startClock()
    try:
        arrays, highs = hand_over(lp, solver)
        highs.run()
        solved()
        status, _ = write_back(lp, arrays, highs)
    finally:
        lp.stopClock()
        lp.restoreObjective(was_none, dummy)
    lp.solver = solver
    return int(status)


BACKGROUND_FROM = 10_000
"""Matrix entries from which :func:`solve_stated` makes the PuLP objects in a background thread
while HiGHS runs. Measured (docs/performance.md): on 1e3 variables (about 4,200 entries) the
thread saves nothing, on the bundled file (about 400) it costs a few milliseconds, on 1e4
(about 42,000) it saves a fifth."""


def solve_stated(stated: StatedLp, lp: pulp.LpProblem, solver: pulp.HiGHS) -> tuple[int, Made]:
    """Solve ``stated`` with HiGHS while its PuLP objects are made in ``lp``, its objective
    included: HiGHS takes :meth:`StatedLp.arrays` and runs in this thread (its run releases the
    GIL) while a background thread makes the objects; both are done on return. (The other way
    round, each thread's own heap kept HiGHS's freed memory from the tables read after: the
    peak of a second solve of 1e5 variables in one process rose from 475 to 553 MiB.) Below
    :data:`BACKGROUND_FROM` entries there is no thread: HiGHS runs, then the objects are made.
    PuLP's status code and the objects, with the solution written into them as :func:`solve`
    writes it.

    Raises:
        pulp.PulpSolverError: HiGHS rejects the model (then nothing has been made).
    """
    arrays, order = stated.arrays(mip=solver.mip)
    highs = passed(arrays, solver)
    lp.solverModel = highs
    lp.startClock()
    try:
        if len(arrays.value) < BACKGROUND_FROM:
            highs.run()
            made = stated.objects(lp, objective=True)
        else:
            with concurrent.futures.ThreadPoolExecutor(1, "optiree-pulp") as making:
                making_made = making.submit(stated.objects, lp, objective=True)
                highs.run()
                made = making_made.result()
    finally:
        lp.stopClock()
    solved()
    variables = [made.variables[j] for j in order.tolist()]
    _number(variables, made.constraints)
    status, _ = write_back(lp, LpArrays(variables, made.constraints, arrays), highs)
    lp.solver = solver
    return int(status), made


# --- reading a solved LP back: what results ask of HiGHS (ranging, row activities) ---


@dataclass(frozen=True)
class Ranging:
    """HiGHS's cost and bound ranging of a solved LP, by column and by row index."""

    cost_low: FloatArray
    """Lowest cost of each column at which the basis stays optimal."""
    cost_high: FloatArray
    """Highest cost of each column at which the basis stays optimal."""
    bound_low: FloatArray
    """Lowest bound of each row at which its dual value holds."""
    bound_high: FloatArray
    """Highest bound of each row at which its dual value holds."""


def _solved_highs(lp: pulp.LpProblem) -> Any:
    """The ``highspy.Highs`` object PuLP (or :func:`solve`) left on ``lp``, or None."""
    highs = getattr(lp, "solverModel", None)
    return highs if isinstance(highs, highspy.Highs) else None


def ranging(lp: pulp.LpProblem) -> Ranging | None:
    """The ranging of ``lp``'s last solve; None when HiGHS did not solve it or has no valid
    ranging. Each ``.value_`` of highspy's ranging copies a whole vector: each is read once."""
    highs = _solved_highs(lp)
    if highs is None:
        return None
    _, found = highs.getRanging()
    if not found.valid:
        return None
    return Ranging(
        cost_low=np.asarray(found.col_cost_dn.value_, dtype=float),
        cost_high=np.asarray(found.col_cost_up.value_, dtype=float),
        bound_low=np.asarray(found.row_bound_dn.value_, dtype=float),
        bound_high=np.asarray(found.row_bound_up.value_, dtype=float),
    )


def row_activities(lp: pulp.LpProblem) -> FloatArray | None:
    """Each row's left-hand side at the solution of ``lp``'s last solve, by
    ``constraint.index``; None when HiGHS did not solve it or left no valid solution."""
    highs = _solved_highs(lp)
    if highs is None:
        return None
    solution = highs.getSolution()
    if not solution.value_valid:
        return None
    return np.asarray(solution.row_value, dtype=float)


def mip_bound(lp: pulp.LpProblem) -> tuple[float, float] | None:
    """The best bound and the relative gap of ``lp``'s last solve as a MILP; None when HiGHS
    did not solve it (other solvers' bounds are not read back through PuLP)."""
    highs = _solved_highs(lp)
    if highs is None:
        return None
    info = highs.getInfo()
    return float(info.mip_dual_bound), float(info.mip_gap)


# --- end of reading a solved LP back ---


class WarmStart:
    """One HiGHS instance for many solves of one LP that differ only in bounds, costs and
    right-hand sides (a sweep of scenarios).

    The base LP is solved once; every :meth:`solve` sets all bounds and costs (the base's
    where none are given) and starts from the base's optimal basis, so that its answer does
    not depend on what was solved before.
    """

    def __init__(self, base: HighsArrays, solver: pulp.HiGHS) -> None:
        self.base = base
        self.highs = passed(base, solver)
        self.highs.run()
        solved()
        self.basis = self.highs.getBasis()
        self.rows = np.arange(len(base.row_lower), dtype=np.int32)
        self.columns = np.arange(len(base.cost), dtype=np.int32)

    def solve(
        self,
        *,
        cost: FloatArray | None = None,
        col_lower: FloatArray | None = None,
        col_upper: FloatArray | None = None,
        row_lower: FloatArray | None = None,
        row_upper: FloatArray | None = None,
    ) -> tuple[highspy.HighsModelStatus, FloatArray]:
        """Solve the base LP with these costs and bounds (the base's where None): the model
        status and the value of every column."""
        b, highs = self.base, self.highs
        columns, rows = self.columns, self.rows
        highs.changeColsCost(len(columns), columns, b.cost if cost is None else cost)
        highs.changeColsBounds(
            len(columns),
            columns,
            b.col_lower if col_lower is None else col_lower,
            b.col_upper if col_upper is None else col_upper,
        )
        highs.changeRowsBounds(  # type: ignore[attr-defined]  # not in highspy's stubs
            len(rows),
            rows,
            b.row_lower if row_lower is None else row_lower,
            b.row_upper if row_upper is None else row_upper,
        )
        highs.clearSolver()  # nothing of the last solve is kept...
        if self.basis.valid:
            highs.setBasis(self.basis)  # ...but the base's basis
        highs.run()
        solved()
        return highs.getModelStatus(), np.asarray(highs.getSolution().col_value)


def _indices(variables: Any) -> IntArray:
    """The ``index`` of each variable (or of each key of an expression)."""
    return np.fromiter(map(_INDEX, variables), np.int32, len(variables))


def _bounds(values: Any, missing: float) -> FloatArray:
    """Bounds as floats, ``missing`` where PuLP has None (no bound)."""
    bounds = np.array(list(values), dtype=np.float64)
    return np.where(np.isnan(bounds), missing, bounds)


class RowBoundSweep:
    """One LP solved again and again with other row upper bounds (a sweep of scenarios that
    only tighten caps), on one warm-started HiGHS instance (:class:`WarmStart`).

    ``free_rows`` are the rows the sweep sets: in the base LP they have no upper bound, and a
    scenario gives each its bound, a share of :attr:`full`, their limit in ``arrays``
    (:func:`lp_arrays`).
    """

    def __init__(self, arrays: HighsArrays, solver: pulp.HiGHS, free_rows: list[int]) -> None:
        self.arrays = arrays
        self.full = arrays.row_upper.copy()
        """Each row's upper bound in ``arrays``."""
        self.row_upper = arrays.row_upper.copy()
        """Each row's upper bound in the base LP: none on ``free_rows``."""
        self.row_upper[free_rows] = np.inf
        self.warm = WarmStart(replace(arrays, row_upper=self.row_upper), solver)

    def optimum(self, row_upper: FloatArray) -> FloatArray | None:
        """The value of every column at the optimum with these row upper bounds; None where
        HiGHS finds no optimal solution."""
        status, x = self.warm.solve(row_upper=row_upper)
        return x if status == highspy.HighsModelStatus.kOptimal else None

    def cost(self, x: FloatArray) -> float:
        """The objective at ``x``, its constant included."""
        return float(self.arrays.cost @ x) + self.arrays.offset
