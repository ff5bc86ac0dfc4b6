"""Infeasible problem -> which rules have to give, and by how much.

:func:`diagnose` builds the problem's LP the normal way (:func:`optiree.prepare.prepare`, then
:func:`optiree.model.build`) and gives every row that may give a non-negative slack variable
[t], on the side that loosens the row:

- ``balance(m,t)``, for materials without a shortage penalty: unmet demand. It is bounded by
  the demand and, where substitutes can save m in t, it joins the ``net_demand`` row, so it
  behaves exactly like a shortage: it never turns into stock or cover. (A material with a
  shortage penalty can already go short, so its balance row never needs to give.)
- ``max_share(c,m,t)``: tonnes from the country above share x purchases;
- ``cover_without(c,m,t)`` and ``stock_cover(m,t)``: tonnes of cover or stock missing;
- ``cap(id,m,t)``: tonnes above the cap;
- ``contract(id,m,t)`` of a hard contract: tonnes it cannot take (the rows of a fixed contract
  share one slack: one ``fixed_tonnes`` sets them all). A take-or-pay row is already soft.

Every figure is read from the LP: a row's value is its own expression at the relaxed plan, and
what a source delivers is ``LpModel.supply`` (every price band and feed yield), so a tonne is
counted exactly where the rule counts it, summed rows (``sum_over``) included.

``net_demand`` rows and variable bounds (capacities) do not give: they are physical, and a
capacity that is too small shows up as unmet demand. A ``cover_without`` row with no variable
(only the country can supply and there is no opening stock) is in the model's LP as an empty
row (listed in ``LpModel.impossible``) and gives like any other: ``slack >= shortfall``.

The relaxation LP is solved in steps, each keeping the optimum of the steps before (to within
:data:`FIX_TOLERANCE`). A first solve minimises the total slack [t]; if nothing gives, the
problem is feasible. Then, with ``method="priority"`` (the default): minimise unmet demand,
then the tonnes above caps, then the tonnes the security rules give (``max_share``,
``cover_without``, ``stock_cover``): demand gives only what no cap or rule could make up, and a
cap (a fact about a supplier) only what no security rule (a policy of the buyer) could. With
``method="tonnes"``: keep the smallest total, then break its ties the same way (unmet demand,
then caps). Both end by minimising the problem's own cost: the cheapest plan among the
smallest relaxations.

The plan of the last solve is the *relaxed plan*; every figure of the :class:`Diagnosis` is read
from it. See docs/diagnose.md.
"""

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

import pandas as pd
import pulp

from optiree import arguments
from optiree.errors import ArgumentError, OptireeError, SolverError
from optiree.model import LpModel, Row, Setting, ShareOf, build, setting, share_values
from optiree.prepare import prepare
from optiree.results import Status
from optiree.rules import CATALOGUE, Family, Rule
from optiree.schema import OriginRule, Problem, StageRule
from optiree.solve import run_solver
from optiree.solvers import SolverName, name_of, precision, solver_for
from optiree.units import in_tonnes_of_oxide
from optiree.words import Carded, diagnosis_message, diagnosis_text, share_rule_party

Method = Literal["priority", "tonnes"]
METHODS: tuple[Method, ...] = ("priority", "tonnes")


def _family(family: Family) -> frozenset[Rule]:
    return frozenset(rule for rule, spec in CATALOGUE.items() if spec.family is family)


DEMAND = _family(Family.DEMAND)
CAPS = _family(Family.COMMERCIAL)
PHYSICAL = _family(Family.PHYSICAL)
"""Rows that never give, like capacities: a limit too tight shows up as unmet demand."""
SECURITY = _family(Family.SECURITY)
LOOSER_WHEN_HIGHER = frozenset(rule for rule, spec in CATALOGUE.items() if spec.loosens > 0)
"""Rules whose parameter loosens upwards; the others (demand, covers) loosen downwards."""

RELAX_TOLERANCE = 1e-6
"""A row gives when its slack exceeds this times max(1, |limit|) [t]."""
FIX_TOLERANCE = 1e-9
"""Each step keeps the optimum of the steps before: at most optimum x (1 + r) + this [t], r
the larger of 1e-12 and the solver's :func:`optiree.solve.precision` (CBC reports 8 digits).
Kept far below :data:`RELAX_TOLERANCE`: the cost step uses all of this room."""
MARGIN = 1e-9
"""Sufficient values are moved this far (or :data:`PRECISIONS` times the solver's precision,
if more), times max(1, |current|, |value|), in the loosening direction, so that solver
round-off cannot leave the relaxed problem a hair short of feasible."""
PRECISIONS = 5
"""How many of the solver's precisions a sufficient value is moved at least: a relaxed plan
CBC reports (8 significant digits, within its feasibility tolerance of about 1e-7) may break a
cap by a few 1e-7 relative, and a demand read off it would then be that much too high."""

RELAXATION_COLUMNS = [
    "constraint",
    "rule",
    "subject",
    "material",
    "period",
    "value",
    "limit",
    "relax_by",
    "unit",
    "parameter",
    "parameter_needed",
]
RULE_COLUMNS = [
    "rule",
    "subject",
    "period",
    "field",
    "current",
    "sufficient",
    "relax_by",
    "unit",
    "rows",
]


@dataclass(frozen=True)
class Diagnosis(Carded):
    """What has to give for a problem to have a plan, and by how much.

    ``relaxations`` has one row per LP row that gives at the relaxed plan, ``rules`` one row per
    input field to change; docs/diagnose.md describes every column. Both are empty (with their
    columns) when the problem is feasible as given.
    """

    problem_name: str
    solver: str
    method: str
    """How the relaxation was chosen: "priority" or "tonnes" (see :func:`diagnose`)."""
    feasible: bool
    """The problem has a plan as given: nothing has to give."""
    total_relaxation: float
    """Sum of ``relaxations.relax_by``, each in its row's ``unit`` (t, or money for a budget
    or a stage or origin rule in value): tonnes where every row is in t."""
    relaxations: pd.DataFrame = field(repr=False)
    rules: pd.DataFrame = field(repr=False)
    messages: list[str] = field(repr=False)
    """One sentence per row of ``relaxations``: material, period, figures, what to change."""

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name: ``rules`` (the input fields to change), ``relaxations``."""
        return {"rules": self.rules, "relaxations": self.relaxations}

    def summary(self) -> str:
        """The diagnosis in words, then the input fields to change (figures rounded)."""
        return diagnosis_text(
            f"{self.problem_name}: "
            + ("feasible as given; nothing has to give" if self.feasible else "infeasible")
            + f" (solver: {self.solver}, method: {self.method})",
            rules=None if self.feasible else self.rules,
            messages=self.messages,
        )

    def apply(self, problem: Problem) -> Problem:
        """A copy of ``problem`` with every field of ``rules`` set to its ``sufficient`` value.

        Demand is reduced, not made elastic: a material's demand given as one number becomes a
        per-period mapping, changed only in the periods ``rules`` lists. The result has a plan
        (the relaxed plan meets it). ``problem`` itself is not changed. A problem written in
        other units than t REO comes back in t REO (see :mod:`optiree.units`), as the
        diagnosis's figures are. Each ``sufficient`` value makes every row of its field hold at
        the relaxed plan, so with one row in ``rules`` that one change suffices.

        Raises:
            ArgumentError: ``problem`` lacks a rule the diagnosis names: apply a diagnosis to
                the problem it was made from.
        """
        problem = in_tonnes_of_oxide(arguments.model(problem, "problem", Problem))
        for rule, subject, period, value in zip(
            self.rules["rule"],
            self.rules["subject"],
            self.rules["period"],
            self.rules["sufficient"],
            strict=True,
        ):
            at = period if isinstance(period, str) else None
            found = setting(problem, Rule(rule), str(subject), at)
            problem = found.put(problem, float(value))
        return problem


def diagnose(
    problem: Problem,
    solver: SolverName = "highs",
    *,
    method: Method = "priority",
    log: bool = False,
) -> Diagnosis:
    """Find what has to give, and by how much, for ``problem`` to have a plan.

    Args:
        problem: a validated :class:`optiree.Problem`.
        solver: "highs" (default), "cbc", or any other solver (docs/solvers.md).
        method: "priority" (default): demand gives only what no cap or rule could make up,
            then caps only what no security rule could, then the security rules, each in the
            fewest tonnes. "tonnes": the smallest total relaxation in tonnes, whatever gives
            (its ties go to rules before caps before demand). Both then take the cheapest plan.
        log: print the solver's log of every solve on stdout; by default nothing is printed.

    Returns:
        A :class:`Diagnosis`; ``feasible`` is True, with empty tables, when nothing has to give.

    Raises:
        SolverChoiceError: the solver is unknown.
        SolverError: the solver is not installed, or failed on the relaxation LP.
        ArgumentError: ``method`` is neither "priority" nor "tonnes".
    """
    problem = arguments.model(problem, "problem", Problem)
    arguments.boolean(log, "log")
    if method not in METHODS:
        raise ArgumentError(f"unknown method {method!r}: choose one of {', '.join(METHODS)}")
    pulp_solver = solver_for(solver, log=log)
    rounding = precision(pulp_solver)
    problem = in_tonnes_of_oxide(problem)  # figures and fields in t REO, as the model's
    model = build(prepare(problem))
    cost = model.lp.objective
    relaxable = _add_slacks(model)
    total = pulp.lpSum(r.slack for r in relaxable)

    model.lp.setObjective(total)
    _run(model, pulp_solver, "smallest total relaxation")
    if not _giving(model, relaxable):
        return _feasible(problem.name, name_of(solver), method)
    _relax_in_steps(model, relaxable, method, total, (pulp_solver, rounding))
    model.lp.setObjective(cost)
    _run(model, pulp_solver, "cheapest relaxed plan")

    readings = _sorted(model, _giving(model, relaxable))
    relaxations = _relaxations(problem, readings)
    return Diagnosis(
        problem.name,
        name_of(solver),
        method,
        feasible=False,
        total_relaxation=float(relaxations["relax_by"].sum()),
        relaxations=relaxations,
        rules=_rules(problem, readings, max(MARGIN, PRECISIONS * rounding)),
        messages=[_message(problem, g) for g in readings],
    )


def _relax_in_steps(
    model: LpModel,
    relaxable: list["_Relaxable"],
    method: Method,
    total: pulp.LpAffineExpression,
    solving: tuple[pulp.LpSolver, float],
) -> None:
    """The steps after the smallest total: least unmet demand, least cap relaxation (and, by
    priority, least security rule relaxation), each keeping the optimum of the steps before."""
    rounding = solving[1]
    steps = [(DEMAND, "least unmet demand"), (CAPS, "least cap relaxation")]
    if method == "tonnes":
        _keep(model, total, "keep_total", rounding)
    else:
        steps.append((SECURITY, "least security rule relaxation"))
    for rules, what in steps:
        _step(model, [r.slack for r in relaxable if r.rule in rules], what, solving)


def _step(
    model: LpModel,
    slacks: list[pulp.LpVariable],
    what: str,
    solving: tuple[pulp.LpSolver, float],
) -> None:
    """Minimise the sum of ``slacks`` (if any), then keep its optimum."""
    if slacks:
        pulp_solver, rounding = solving
        part = pulp.lpSum(slacks)
        model.lp.setObjective(part)
        _run(model, pulp_solver, what)
        _keep(model, part, "keep_" + "_".join(what.split()), rounding)


def _sorted(model: LpModel, readings: Iterable["_Reading"]) -> list["_Reading"]:
    """The rows that give, by period, material, rule (in the catalogue's order) and name."""
    d = model.data
    order = list(Rule)
    return sorted(
        readings,
        key=lambda g: (
            _position(g.row.period, d.periods),
            _position(g.row.material, d.materials),
            order.index(g.row.rule),
            g.row.name,
        ),
    )


def _relaxations(problem: Problem, readings: list["_Reading"]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            (
                g.row.name,
                g.row.rule.value,
                g.row.subject,
                g.row.material,
                g.row.period,
                g.value,
                g.limit,
                g.relax_by,
                _unit(problem, g.row),
                g.parameter,
                g.needed,
            )
            for g in readings
        ],
        columns=RELAXATION_COLUMNS,
    )


def _position(label: str, ids: tuple[str, ...]) -> int:
    """Where a row's material or period comes in ``ids``: of the first, for a total over several
    ('NdPr+Dy', '2026Q1..2026Q4'); after them all for a row of none (a budget's material)."""
    if label in ids:
        return ids.index(label)
    first = re.split(r"\+|\.\.", label, maxsplit=1)[0]
    return ids.index(first) if first in ids else len(ids)


# -- the relaxation LP --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Relaxable:
    """An LP row that may give, with its slack variable [t]."""

    name: str
    rule: Rule
    subject: str | None
    material: str
    period: str
    parameter: float | None
    """The row's share, cover or cap (None for max_tonnes caps); the demand for balance."""
    shift: float
    """Constant moved to the right-hand side (opening stock in the first period)."""
    constraint: pulp.LpConstraint
    slack: pulp.LpVariable
    share_of: ShareOf | None = None
    """A stage or origin rule's (what the country or group has, all of it)."""


def _name(kind: str, *index: str) -> str:
    return f"{kind}({','.join(index)})"


class _Slacks:
    """Gives every row that may give a slack variable (see :func:`_add_slacks`)."""

    def __init__(self, model: LpModel) -> None:
        self.model = model
        self.net_demand = {
            (r.material, r.period): r for r in model.rows if r.rule is Rule.NET_DEMAND
        }
        self.unmet: dict[tuple[str, str], pulp.LpVariable] = {}
        """Unmet demand of (material, period)."""
        self.fixed: dict[str, pulp.LpVariable] = {}
        """The one slack of each fixed contract's rows."""

    def gives(self, row: Row) -> bool:
        """The row may give: not physical, not already soft (a take-or-pay contract's shortfall
        is paid for), and not demand that may already go short or asks for nothing."""
        d = self.model.data
        if row.rule in PHYSICAL or (row.rule is Rule.CONTRACT and _take_or_pay(self.model, row)):
            return False
        if row.rule is Rule.BALANCE:
            m, t = row.material, row.period
            return m not in d.penalty and d.demand[m, t] > 0
        return True

    def slack(self, row: Row) -> tuple[pulp.LpVariable, float | None]:
        """The row's slack and its parameter in the rule's terms."""
        lp = self.model.lp
        if row.rule is Rule.BALANCE:
            return self.unmet_demand(row), self.model.data.demand[row.material, row.period]
        if row.rule is Rule.CONTRACT:
            tonnes = -row.constraint.constant  # the contracted tonnes
            if row.constraint.sense == pulp.LpConstraintEQ:
                if row.subject not in self.fixed:
                    name = f"relax_{_name('contract', row.subject)}"
                    self.fixed[row.subject] = lp.add_variable(name, 0)
                return self.fixed[row.subject], tonnes
            return lp.add_variable(f"relax_{row.name}", 0), tonnes
        return lp.add_variable(f"relax_{row.name}", 0), row.parameter

    def unmet_demand(self, row: Row) -> pulp.LpVariable:
        """Unmet demand is avoided demand, like a shortage: it joins the ``net_demand`` row."""
        mt = (row.material, row.period)
        slack = self.unmet[mt] = self.model.lp.add_variable(
            f"relax_{row.name}", 0, self.model.data.demand[mt]
        )
        if mt in self.net_demand:
            self.net_demand[mt].constraint.expr.addterm(slack, 1.0)
        return slack

    def add(self, row: Row) -> "_Relaxable":
        slack, parameter = self.slack(row)
        loosen = -1.0 if row.constraint.sense == pulp.LpConstraintLE else 1.0
        row.constraint.expr.addterm(slack, loosen)
        m, t = row.material, row.period
        return _Relaxable(
            row.name,
            row.rule,
            row.subject,
            m,
            t,
            parameter,
            row.shift,
            row.constraint,
            slack,
            row.share_of,
        )

    def lower_sub_shares(self) -> None:
        """saved <= share x (demand - unmet), as lowering the demand in the input does."""
        for row in self.model.rows:
            if row.rule is Rule.SUB_SHARE and (row.material, row.period) in self.unmet:
                unmet = self.unmet[row.material, row.period]
                row.constraint.expr.addterm(unmet, row.parameter or 0.0)


def _add_slacks(model: LpModel) -> list[_Relaxable]:
    """Give every row that may give a slack variable, and add the empty rows that cannot hold.

    The rows of a fixed contract share one slack: they all come from one ``fixed_tonnes``, so
    they can only give together and by the same tonnes. Unmet demand also lowers the bound of
    the material's ``sub_share`` rows (a share of the demand that is left), as lowering the
    demand in the input does.
    """
    slacks = _Slacks(model)
    relaxable = [slacks.add(row) for row in model.rows if slacks.gives(row)]
    slacks.lower_sub_shares()
    _check_impossible(model, relaxable)
    return relaxable


def _take_or_pay(model: LpModel, row: Row) -> bool:
    return (row.subject, row.material, row.period) in model.shortfall


def _check_impossible(model: LpModel, relaxable: list[_Relaxable]) -> None:
    """Every row the model found impossible before solving can give here."""
    covered = _covered(model, relaxable)
    unknown = [str(entry) for entry in model.impossible if entry.row not in covered]
    if unknown:
        raise OptireeError(f"diagnose cannot relax rows the model found impossible: {unknown}")


def _covered(model: LpModel, relaxable: list[_Relaxable]) -> set[str]:
    """The rows that can give, and every demand row (which either gives or may go short)."""
    balance = {row.name for row in model.rows if row.rule is Rule.BALANCE}
    return {r.name for r in relaxable} | balance


def _run(model: LpModel, solver: pulp.LpSolver, what: str) -> None:
    # The relaxation LP always has a plan, so the rows found impossible before solving (which
    # make run_solver stop early) are no reason not to solve it.
    status, message = run_solver(replace(model, impossible=()), solver)
    if status is not Status.OPTIMAL:
        raise SolverError(f"diagnose: the {what} LP did not solve to optimality: {message}")


def _keep(model: LpModel, expression: pulp.LpAffineExpression, name: str, rounding: float) -> None:
    """Keep the optimum just found: ``expression`` at most its value, within a tolerance
    (``rounding``: the relative precision of the values the solver reported)."""
    best = max(0.0, float(pulp.value(expression) or 0.0))
    limit = best * (1 + max(1e-12, rounding)) + FIX_TOLERANCE
    model.lp.addConstraint(pulp.LpConstraint(expression, pulp.LpConstraintLE, name, limit))


# -- reading the relaxed plan -------------------------------------------------------------------


@dataclass(frozen=True)
class _Reading:
    """A relaxable row at the current solution, in the rule's own terms."""

    row: _Relaxable
    value: float
    """Left-hand side without the slack [t] (tonnes from the country for max_share)."""
    limit: float
    """Right-hand side [t] (share x purchases for max_share)."""
    relax_by: float
    """How far the plan misses ``limit`` [t]: the slack that this row needs."""
    parameter: float
    """Share, cover, cap (share or tonnes) or demand; NaN where none."""
    needed: float
    """The parameter that would just hold at this solution."""
    demand: float
    bought: float
    """Tonnes of the material bought in the period, from every source."""
    capacity: float
    """Capacity of the sources a cap matches [t]; NaN for other rules."""
    least: float = 0.0
    """For demand: the least it may fall to and keep this plan, the tonnes substitution and
    shortage avoid (``net_demand``) and each substitute's saving over its largest share of
    demand (``sub_share``) [t]; 0 for other rules."""

    @property
    def gives(self) -> bool:
        return self.relax_by > RELAX_TOLERANCE * max(1.0, abs(self.limit))


def _value(variable: pulp.LpVariable) -> float:
    return float(variable.varValue or 0.0)


def _read(model: LpModel, relaxable: list[_Relaxable]) -> list[_Reading]:
    """Every relaxable row at the current solution. Tonnes are counted as the model counts
    them: what a source delivers is ``LpModel.supply`` (every price band and every feed's
    yield), and a row's own figures are its constraint's expression."""
    reader = _Reader(model, _least(model, {r.slack.name for r in relaxable}))
    return [reader.read(r) for r in relaxable]


def _giving(model: LpModel, relaxable: list[_Relaxable]) -> list[_Reading]:
    """The rows that give at the current solution."""
    return [reading for reading in _read(model, relaxable) if reading.gives]


def _least(model: LpModel, slacks: set[str]) -> dict[tuple[str, str], float]:
    """The least demand of each (material, period) that keeps the plan: what substitution and
    shortage avoid (``net_demand``), each substitute's saving over its share (``sub_share``)."""
    least: dict[tuple[str, str], float] = {}
    for row in model.rows:
        if row.rule in (Rule.NET_DEMAND, Rule.SUB_SHARE) and row.parameter != 0:
            avoided = _lhs(row.constraint, slacks) / (row.parameter or 1.0)
            mt = (row.material, row.period)
            least[mt] = max(least.get(mt, 0.0), avoided)
    return least


def _lhs(constraint: pulp.LpConstraint, without: set[str]) -> float:
    """The left-hand side of ``constraint`` at the current solution, leaving out the variables
    named in ``without``."""
    return float(
        sum(
            coefficient * _value(variable)
            for variable, coefficient in constraint.items()
            if variable.name not in without
        )
    )


class _Reader:
    """Reads relaxable rows at the current solution, in their rules' own terms."""

    def __init__(self, model: LpModel, least: dict[tuple[str, str], float]) -> None:
        d = model.data
        self.least = least
        """The least each demand may fall to and keep the plan (see :func:`_least`)."""
        self.demand = d.demand
        self.bought: dict[tuple[str, str], float] = {}
        """Tonnes of each (material, period) bought, from every source."""
        self.by_country: dict[tuple[str, str, str], float] = {}
        for (s, m, t), terms in model.supply.items():
            tonnes = sum(per_unit * _value(variable) for variable, per_unit in terms)
            self.bought[m, t] = self.bought.get((m, t), 0.0) + tonnes
            key = (d.country[s], m, t)
            self.by_country[key] = self.by_country.get(key, 0.0) + tonnes
        self.caps = {(c.cap, c.material, c.period): c for c in d.caps}

    def read(self, r: _Relaxable) -> _Reading:
        m, t = r.material, r.period
        total = self.bought.get((m, t), 0.0)
        # A cap or contract row over several materials or periods has no one demand.
        asked = self.demand.get((m, t), math.nan)
        parameter = math.nan if r.parameter is None else r.parameter
        capacity = math.nan
        if r.share_of is not None:
            value, limit, needed = _share_reading(r.share_of, parameter)
        elif r.rule is Rule.MAX_SHARE:
            # Rule form: tonnes from the country <= share x all purchases of (m, t).
            value = self.by_country.get((str(r.subject), m, t), 0.0)
            limit = parameter * total
            needed = value / total if total > 0 else math.nan
        else:
            value = _lhs(r.constraint, {r.slack.name}) + r.shift
            limit = -r.constraint.constant + r.shift
            if r.rule is Rule.CAP:
                parameter, needed, capacity = self.cap(r, value, parameter)
            else:
                needed = _NEEDED.get(r.rule, _share_of_demand)(value, asked)
        # What the row needs of its slack: a solver may leave a row more slack than that,
        # within the room each step keeps.
        over = value - limit if r.constraint.sense == pulp.LpConstraintLE else limit - value
        relax_by = max(0.0, over)
        least = self.least.get((m, t), 0.0) if r.rule is Rule.BALANCE else 0.0
        return _Reading(r, value, limit, relax_by, parameter, needed, asked, total, capacity, least)

    def cap(self, r: _Relaxable, value: float, parameter: float) -> tuple[float, float, float]:
        """A cap's parameter (its tonnes, for max_tonnes), the parameter needed and the
        capacity it is a share of."""
        cap = self.caps[str(r.subject), r.material, r.period]
        if cap.share is None:
            return cap.limit, value, cap.capacity  # max_tonnes
        return parameter, value / cap.capacity, cap.capacity


def _share_reading(share_of: ShareOf, share: float) -> tuple[float, float, float]:
    """A stage or origin rule's value (what the country or group has), limit (the share of
    all) and the share that would just hold."""
    own, total = share_values(share_of)
    return own, share * total, own / total if total > 0 else math.nan


def _as_is(value: float, asked: float) -> float:
    """The row's own value: the demand that is met, the tonnes a contract takes."""
    return value


def _share_of_demand(value: float, asked: float) -> float:
    """A cover as a multiple of the demand (cover_without, stock_cover)."""
    return value / asked


_NEEDED = {Rule.BALANCE: _as_is, Rule.CONTRACT: _as_is, Rule.BUDGET: _as_is}
"""The parameter that would just hold, from a row's value and demand, where it is not a
multiple of the demand."""


def _feasible(name: str, solver: str, method: str) -> Diagnosis:
    return Diagnosis(
        name,
        solver,
        method,
        feasible=True,
        total_relaxation=0.0,
        relaxations=pd.DataFrame(columns=RELAXATION_COLUMNS),
        rules=pd.DataFrame(columns=RULE_COLUMNS),
        messages=[],
    )


# -- the input fields to change -----------------------------------------------------------------


def _field(problem: Problem, row: _Relaxable) -> Setting:
    """The input number that ``row`` comes from (demand and stock cover: of its material)."""
    return setting(problem, row.rule, row.subject or row.material, row.period, row.parameter)


def _sufficient(found: Setting, group: list[_Reading], margin: float) -> float:
    """The value that makes every row of ``group`` hold at the relaxed plan (the largest share
    or cap needed, the smallest cover, demand or minimum tonnes), moved by ``margin``
    (relative) in the loosening direction (a fixed volume: what the plan takes)."""
    needed = [g.needed * found.scale for g in group]
    if found.exact:
        return max(0.0, min(needed))
    if found.rule in LOOSER_WHEN_HIGHER:
        value = max(needed)
        return min(found.upper, value + margin * max(1.0, abs(found.current), abs(value)))
    value = min(needed)
    return max(_floor(found, group), value - margin * max(1.0, abs(found.current), abs(value)))


def _floor(found: Setting, group: list[_Reading]) -> float:
    """The least a value that loosens downwards may fall to: 0, and for demand what the plan
    avoids (lower demand also lowers what substitution and shortage may avoid)."""
    return max(0.0, *(g.least for g in group)) if found.rule is Rule.BALANCE else 0.0


def _rules(problem: Problem, readings: list[_Reading], margin: float) -> pd.DataFrame:
    """One row per input field: the value that makes every one of its rows hold at the relaxed
    plan, moved by ``margin`` (see :func:`_sufficient`)."""
    fields: dict[str, tuple[Setting, list[_Reading]]] = {}
    for reading in readings:
        found = _field(problem, reading.row)
        fields.setdefault(found.path, (found, []))[1].append(reading)
    records = [
        (
            found.rule.value,
            found.subject,
            found.period,
            path,
            found.current,
            _sufficient(found, group, margin),
            sum(g.relax_by for g in group),
            _unit(problem, group[0].row),
            len(group),
        )
        for path, (found, group) in fields.items()
    ]
    table = pd.DataFrame(records, columns=RULE_COLUMNS)
    return table.sort_values("relax_by", ascending=False, kind="stable").reset_index(drop=True)


# -- words --------------------------------------------------------------------------------------


def _message(problem: Problem, g: _Reading) -> str:
    """One sentence on a row that gives: what cannot hold, the figures, what to change."""
    row = g.row
    found = _field(problem, row)
    party, by_share = _party(problem, row)
    return diagnosis_message(
        row.rule.value,
        row.subject or row.material,
        where=f"{row.material}, {row.period}",
        figures=g,
        path=found.path,
        scale=found.scale,
        party=party,
        by_share=by_share,
        unit=_unit(problem, row),
    )


def _unit(problem: Problem, row: _Relaxable) -> str:
    """What a row's relaxation is counted in: money for a budget or a stage or origin rule in
    value, else tonnes."""
    shared = _share_rule(problem, row)
    money = row.rule is Rule.BUDGET or (shared is not None and shared.measure == "value")
    return problem.currency if money else "t"


def _party(problem: Problem, row: _Relaxable) -> tuple[str, bool]:
    """Who a cap limits (a country, "source <id>" or "facility <id>") and whether it is a
    share of capacity, or who a contract is with; "" otherwise."""
    if row.rule is Rule.CAP:
        return _cap_party(problem, str(row.subject))
    if row.rule is Rule.CONTRACT:
        return _contract_source(problem, str(row.subject)), False
    rule = _share_rule(problem, row)
    if rule is None:
        return "", False
    stage = row.name.partition("(")[2].split(",")[1] if isinstance(rule, StageRule) else None
    members = problem.country_groups.get(rule.who, [rule.who])
    return share_rule_party(rule.who, members, stage), False


def _share_rule(problem: Problem, row: _Relaxable) -> StageRule | OriginRule | None:
    """The stage or origin rule of ``row`` (its subject is the rule's id); None for a row
    of another rule."""
    security = problem.security
    stage: list[StageRule | OriginRule] = list(security.stage_shares)
    origin: list[StageRule | OriginRule] = list(security.origin_shares)
    rules = {Rule.STAGE_MAX: stage, Rule.STAGE_MIN: stage, Rule.ORIGIN: origin}
    rules[Rule.ORIGIN_MIN] = origin
    return next((r for r in rules.get(row.rule, []) if r.default_id == row.subject), None)


def _contract_source(problem: Problem, contract_id: str) -> str:
    contracts = enumerate(problem.contracts)
    return next(c.source for i, c in contracts if problem.contract_id(i) == contract_id)


def _cap_party(problem: Problem, cap_id: str) -> tuple[str, bool]:
    cap = next(c for i, c in enumerate(problem.caps) if problem.cap_id(i) == cap_id)
    kind, ident = cap.target
    who = ident if kind == "country" else f"{kind} {ident}"
    return who, cap.max_share_of_capacity is not None
