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
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pandas as pd
import pulp

from optiree.errors import OptireeError, SolverError
from optiree.model import LpModel, Row, build
from optiree.prepare import CapRow, prepare
from optiree.results import Status
from optiree.rules import Rule
from optiree.schema import Problem
from optiree.solve import SolverName, precision, run_solver, solver_for
from optiree.units import in_tonnes_of_oxide

Method = Literal["priority", "tonnes"]
METHODS: tuple[Method, ...] = ("priority", "tonnes")
DEMAND = frozenset({Rule.BALANCE})
CAPS = frozenset({Rule.CAP, Rule.CONTRACT})
PHYSICAL = frozenset({Rule.NET_DEMAND, Rule.SEPARATION, Rule.RAMP, Rule.SUB_SHARE, Rule.STOCK_END})
"""Rows that never give, like capacities: a limit too tight shows up as unmet demand."""
SECURITY = frozenset({Rule.MAX_SHARE, Rule.COVER_WITHOUT, Rule.STOCK_COVER})
LOOSER_WHEN_HIGHER = frozenset({Rule.MAX_SHARE, Rule.CAP})
"""Rules whose parameter loosens upwards; the others (demand, covers) loosen downwards."""

RELAX_TOLERANCE = 1e-6
"""A row gives when its slack exceeds this times max(1, |limit|) [t]."""
FIX_TOLERANCE = 1e-9
"""Each step keeps the optimum of the steps before: at most optimum x (1 + r) + this [t], r
the larger of 1e-12 and the solver's :func:`optiree.solve.precision` (CBC reports 8 digits).
Kept far below :data:`RELAX_TOLERANCE`: the cost step uses all of this room."""
MARGIN = 1e-9
"""Sufficient values are moved this far (or the solver's precision, if more), times
max(1, |current|, |value|), in the loosening direction, so that solver round-off cannot leave
the relaxed problem a hair short of feasible."""

RELAXATION_COLUMNS = [
    "constraint",
    "rule",
    "subject",
    "material",
    "period",
    "value",
    "limit",
    "relax_by",
    "parameter",
    "parameter_needed",
]
RULE_COLUMNS = ["rule", "subject", "period", "field", "current", "sufficient", "relax_by", "rows"]


@dataclass(frozen=True)
class Diagnosis:
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
    """Sum of ``relaxations.relax_by`` [t]."""
    relaxations: pd.DataFrame = field(repr=False)
    rules: pd.DataFrame = field(repr=False)
    messages: list[str] = field(repr=False)
    """One sentence per row of ``relaxations``: material, period, figures, what to change."""

    def summary(self) -> str:
        """The diagnosis in words, then the input fields to change (figures rounded)."""
        verdict = "feasible as given; nothing has to give" if self.feasible else "infeasible"
        lines = [f"{self.problem_name}: {verdict} (solver: {self.solver}, method: {self.method})"]
        if self.feasible:
            return lines[0] + "\n"
        count = len(self.relaxations)
        lines += [
            f"What has to give: {_tonnes(self.total_relaxation)} t in {count} "
            f"row{'s' if count != 1 else ''}",
            *(f"- {message}" for message in self.messages),
            "",
            "Input to change (a value enough for every row above; apply() sets them all):",
        ]
        shown = self.rules[["field", "current", "sufficient", "relax_by"]].rename(
            columns={"relax_by": "relax_by [t]"}
        )
        text = shown.to_string(
            index=False,
            formatters={"current": _number, "sufficient": _number, "relax_by [t]": _tonnes},
        )
        lines += ["  " + line for line in text.splitlines()]
        return "\n".join(lines) + "\n"

    def apply(self, problem: Problem) -> Problem:
        """A copy of ``problem`` with every field of ``rules`` set to its ``sufficient`` value.

        Demand is reduced, not made elastic: a material's demand given as one number becomes a
        per-period mapping, changed only in the periods ``rules`` lists. The result has a plan
        (the relaxed plan meets it). ``problem`` itself is not changed. A problem written in
        other units than t REO comes back in t REO (see :mod:`optiree.units`), as the
        diagnosis's figures are. Each ``sufficient`` value makes every row of its field hold at
        the relaxed plan, so with one row in ``rules`` that one change suffices.

        Raises:
            OptireeError: ``problem`` lacks a rule the diagnosis names: apply a diagnosis to
                the problem it was made from.
        """
        problem = in_tonnes_of_oxide(problem)
        document = problem.model_dump()
        for rule, subject, period, value in zip(
            self.rules["rule"],
            self.rules["subject"],
            self.rules["period"],
            self.rules["sufficient"],
            strict=True,
        ):
            target = _Target(Rule(rule), str(subject), period if isinstance(period, str) else None)
            _set(document, problem, target, float(value))
        return Problem.model_validate(document)


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
        solver: "highs" (default) or "cbc".
        method: "priority" (default): demand gives only what no cap or rule could make up,
            then caps only what no security rule could, then the security rules, each in the
            fewest tonnes. "tonnes": the smallest total relaxation in tonnes, whatever gives
            (its ties go to rules before caps before demand). Both then take the cheapest plan.
        log: print the solver's log of every solve on stdout; by default nothing is printed.

    Returns:
        A :class:`Diagnosis`; ``feasible`` is True, with empty tables, when nothing has to give.

    Raises:
        SolverError: the solver is unknown or not installed, or failed on the relaxation LP.
        OptireeError: ``method`` is neither "priority" nor "tonnes".
    """
    if method not in METHODS:
        raise OptireeError(f"unknown method {method!r}: choose one of {', '.join(METHODS)}")
    pulp_solver = solver_for(solver, log=log)
    rounding = precision(pulp_solver)
    problem = in_tonnes_of_oxide(problem)  # figures and fields in t REO, as the model's
    model = build(prepare(problem))
    cost = model.lp.objective
    relaxable = _add_slacks(model)
    total = pulp.lpSum(r.slack for r in relaxable)

    model.lp.setObjective(total)
    _run(model, pulp_solver, "smallest total relaxation")
    if not any(reading.gives for reading in _read(model, relaxable)):
        return _feasible(problem.name, solver, method)

    steps = [(DEMAND, "least unmet demand"), (CAPS, "least cap relaxation")]
    if method == "tonnes":
        _keep(model, total, "keep_total", rounding)
    else:
        steps.append((SECURITY, "least security rule relaxation"))
    for rules, what in steps:
        slacks = [r.slack for r in relaxable if r.rule in rules]
        if slacks:
            part = pulp.lpSum(slacks)
            model.lp.setObjective(part)
            _run(model, pulp_solver, what)
            _keep(model, part, "keep_" + "_".join(what.split()), rounding)
    model.lp.setObjective(cost)
    _run(model, pulp_solver, "cheapest relaxed plan")

    d = model.data
    readings = sorted(
        (reading for reading in _read(model, relaxable) if reading.gives),
        key=lambda g: (
            _position(g.row.period, d.periods),
            _position(g.row.material, d.materials),
            list(Rule).index(g.row.rule),
            g.row.name,
        ),
    )
    relaxations = pd.DataFrame(
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
                g.parameter,
                g.needed,
            )
            for g in readings
        ],
        columns=RELAXATION_COLUMNS,
    )
    return Diagnosis(
        problem.name,
        solver,
        method,
        feasible=False,
        total_relaxation=float(relaxations["relax_by"].sum()),
        relaxations=relaxations,
        rules=_rules(problem, readings, max(MARGIN, rounding)),
        messages=[_message(problem, g) for g in readings],
    )


def _position(label: str, ids: tuple[str, ...]) -> int:
    """Where a row's material or period comes in ``ids``: of the first, for a total over several
    ('NdPr+Dy', '2026Q1..2026Q4')."""
    if label in ids:
        return ids.index(label)
    return ids.index(re.split(r"\+|\.\.", label, maxsplit=1)[0])


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


def _name(kind: str, *index: str) -> str:
    return f"{kind}({','.join(index)})"


def _add_slacks(model: LpModel) -> list[_Relaxable]:
    """Give every row that may give a slack variable, and add the empty rows that cannot hold.

    The rows of a fixed contract share one slack: they all come from one ``fixed_tonnes``, so
    they can only give together and by the same tonnes. Unmet demand also lowers the bound of
    the material's ``sub_share`` rows (a share of the demand that is left), as lowering the
    demand in the input does.
    """
    d, lp = model.data, model.lp
    net_demand = {(r.material, r.period): r for r in model.rows if r.rule is Rule.NET_DEMAND}
    unmet: dict[tuple[str, str], pulp.LpVariable] = {}
    fixed: dict[str, pulp.LpVariable] = {}
    relaxable = []
    for row in model.rows:
        m, t = row.material, row.period
        parameter = row.parameter
        if row.rule in PHYSICAL or (row.rule is Rule.CONTRACT and _take_or_pay(model, row)):
            continue  # physical, or already soft (its shortfall is paid for)
        if row.rule is Rule.CONTRACT:
            parameter = -row.constraint.constant  # the contracted tonnes
        if row.rule is Rule.BALANCE:
            if m in d.penalty or d.demand[m, t] <= 0:
                continue  # it can already go short, or it asks for nothing
            slack = unmet[m, t] = lp.add_variable(f"relax_{row.name}", 0, d.demand[m, t])
            if (m, t) in net_demand:  # unmet demand is avoided demand, like a shortage
                net_demand[m, t].constraint.expr.addterm(slack, 1.0)
            parameter = d.demand[m, t]
        elif row.rule is Rule.CONTRACT and row.constraint.sense == pulp.LpConstraintEQ:
            if row.subject not in fixed:
                fixed[row.subject] = lp.add_variable(f"relax_{_name('contract', row.subject)}", 0)
            slack = fixed[row.subject]
        else:
            slack = lp.add_variable(f"relax_{row.name}", 0)
        loosen = -1.0 if row.constraint.sense == pulp.LpConstraintLE else 1.0
        row.constraint.expr.addterm(slack, loosen)
        relaxable.append(
            _Relaxable(
                row.name, row.rule, row.subject, m, t, parameter, row.shift, row.constraint, slack
            )
        )
    for row in model.rows:
        if row.rule is Rule.SUB_SHARE and (row.material, row.period) in unmet:
            # saved <= share x (demand - unmet)
            row.constraint.expr.addterm(unmet[row.material, row.period], row.parameter or 0.0)
    _check_impossible(model, relaxable)
    return relaxable


def _take_or_pay(model: LpModel, row: Row) -> bool:
    return (row.subject, row.material, row.period) in model.shortfall


def _check_impossible(model: LpModel, relaxable: list[_Relaxable]) -> None:
    """Every row the model found impossible before solving can give here."""
    covered = {r.name for r in relaxable} | {
        row.name for row in model.rows if row.rule is Rule.BALANCE
    }
    unknown = [str(entry) for entry in model.impossible if entry.row not in covered]
    if unknown:
        raise AssertionError(f"diagnose cannot relax rows the model found impossible: {unknown}")


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
    d = model.data
    bought: dict[tuple[str, str], float] = {}
    by_country: dict[tuple[str, str, str], float] = {}
    for (s, m, t), terms in model.supply.items():
        tonnes = sum(per_unit * _value(variable) for variable, per_unit in terms)
        bought[m, t] = bought.get((m, t), 0.0) + tonnes
        key = (d.country[s], m, t)
        by_country[key] = by_country.get(key, 0.0) + tonnes
    caps = {(c.cap, c.material, c.period): c for c in d.caps}
    slacks = {r.slack.name for r in relaxable}
    least: dict[tuple[str, str], float] = {}
    for row in model.rows:
        if row.rule in (Rule.NET_DEMAND, Rule.SUB_SHARE) and row.parameter != 0:
            avoided = _lhs(row.constraint, slacks) / (row.parameter or 1.0)
            mt = (row.material, row.period)
            least[mt] = max(least.get(mt, 0.0), avoided)
    readings = [_reading(r, bought, by_country, caps, d.demand) for r in relaxable]
    return [
        replace(g, least=least.get((g.row.material, g.row.period), 0.0))
        if g.row.rule is Rule.BALANCE
        else g
        for g in readings
    ]


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


def _reading(
    r: _Relaxable,
    bought: dict[tuple[str, str], float],
    by_country: dict[tuple[str, str, str], float],
    caps: dict[tuple[str, str, str], CapRow],
    demand: dict[tuple[str, str], float],
) -> _Reading:
    m, t = r.material, r.period
    total = bought.get((m, t), 0.0)
    # A cap or contract row over several materials or periods has no one demand.
    asked = demand.get((m, t), math.nan)
    parameter = math.nan if r.parameter is None else r.parameter
    capacity = math.nan
    if r.rule is Rule.MAX_SHARE:
        # Rule form: tonnes from the country <= share x all purchases of (m, t).
        value = by_country.get((str(r.subject), m, t), 0.0)
        limit = parameter * total
        needed = value / total if total > 0 else math.nan
    else:
        value = _lhs(r.constraint, {r.slack.name}) + r.shift
        limit = -r.constraint.constant + r.shift
        if r.rule is Rule.BALANCE:
            needed = value  # the demand that is met
        elif r.rule is Rule.CONTRACT:
            needed = value  # the tonnes the relaxed plan takes
        elif r.rule is Rule.CAP:
            cap = caps[str(r.subject), m, t]
            capacity = cap.capacity
            if cap.share is None:
                parameter, needed = cap.limit, value  # max_tonnes
            else:
                needed = value / cap.capacity
        else:  # cover_without and stock_cover: a multiple of the demand
            needed = value / asked
    # What the row needs of its slack: a solver may leave a row more slack than that, within
    # the room each step keeps.
    over = value - limit if r.constraint.sense == pulp.LpConstraintLE else limit - value
    relax_by = max(0.0, over)
    return _Reading(r, value, limit, relax_by, parameter, needed, asked, total, capacity)


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


@dataclass(frozen=True)
class _Target:
    """Which input number a row comes from: rule, subject (country, cap id or material) and
    period (None when one number holds for every period)."""

    rule: Rule
    subject: str
    period: str | None


@dataclass(frozen=True)
class _Field:
    target: _Target
    path: str
    """Where the number is in the input document, e.g. ``caps.1.max_tonnes``."""
    current: float
    upper: float
    """Largest valid value (1 for a share)."""
    scale: float = 1.0
    """Input units per unit of the row's parameter: days per period for a cover in days."""
    exact: bool = False
    """An equation's number (``fixed_tonnes``): set to what the relaxed plan takes, with no
    margin, since either side of it would leave that plan."""


def _field(problem: Problem, row: _Relaxable, demand: float) -> _Field:
    """The input number that ``row`` comes from."""
    m, t, subject = row.material, row.period, str(row.subject)
    security = problem.security
    if row.rule is Rule.BALANCE:
        return _Field(_Target(row.rule, m, t), f"demand.{m}.{t}", demand, math.inf)
    if row.rule is Rule.MAX_SHARE:
        path, current = f"security.max_country_share.{subject}", row.parameter
    elif row.rule is Rule.COVER_WITHOUT:
        i = _cover_index(problem, subject)
        path, current = f"security.min_cover_without.{i}.share", row.parameter
    elif row.rule is Rule.STOCK_COVER:
        in_days = m in security.min_stock_days
        given = security.min_stock_days[m] if in_days else security.min_stock_cover[m]
        per_period = isinstance(given, dict)
        target = _Target(row.rule, m, t if per_period else None)
        key = "min_stock_days" if in_days else "min_stock_cover"
        path = f"security.{key}.{m}" + (f".{t}" if per_period else "")
        scale = (problem.period_days or 1.0) if in_days else 1.0
        return _Field(target, path, float(row.parameter or 0.0) * scale, math.inf, scale)
    elif row.rule is Rule.CONTRACT:
        i = _contract_index(problem, subject)
        contract = problem.contracts[i]
        key = "min_tonnes" if contract.fixed_tonnes is None else "fixed_tonnes"
        current = contract.min_tonnes if contract.fixed_tonnes is None else contract.fixed_tonnes
        target = _Target(row.rule, subject, None)
        exact = contract.fixed_tonnes is not None
        return _Field(target, f"contracts.{i}.{key}", float(current or 0.0), math.inf, exact=exact)
    else:
        i = _cap_index(problem, subject)
        cap = problem.caps[i]
        if cap.max_share_of_capacity is None:
            path = f"caps.{i}.max_tonnes"
            return _Field(_Target(row.rule, subject, None), path, cap.max_tonnes or 0.0, math.inf)
        path, current = f"caps.{i}.max_share_of_capacity", cap.max_share_of_capacity
    return _Field(_Target(row.rule, subject, None), path, float(current or 0.0), 1.0)


def _cover_index(problem: Problem, country: str) -> int:
    for i, rule in enumerate(problem.security.min_cover_without):
        if rule.country == country:
            return i
    raise OptireeError(
        f"the problem has no min_cover_without rule for {country!r}: apply a diagnosis to the "
        "problem it was made from"
    )


def _cap_index(problem: Problem, cap_id: str) -> int:
    for i in range(len(problem.caps)):
        if problem.cap_id(i) == cap_id:
            return i
    raise OptireeError(
        f"the problem has no cap {cap_id!r}: apply a diagnosis to the problem it was made from"
    )


def _contract_index(problem: Problem, contract_id: str) -> int:
    for i in range(len(problem.contracts)):
        if problem.contract_id(i) == contract_id:
            return i
    raise OptireeError(
        f"the problem has no contract {contract_id!r}: apply a diagnosis to the problem it was "
        "made from"
    )


def _rules(problem: Problem, readings: list[_Reading], margin: float) -> pd.DataFrame:
    """One row per input field: the value that makes every one of its rows hold at the relaxed
    plan (the largest share or cap needed, the smallest cover, demand or minimum tonnes), moved
    by ``margin`` (relative) in the loosening direction (a fixed volume: what the plan takes)."""
    fields: dict[str, tuple[_Field, list[_Reading]]] = {}
    for reading in readings:
        found = _field(problem, reading.row, reading.demand)
        fields.setdefault(found.path, (found, []))[1].append(reading)
    records = []
    for path, (found, group) in fields.items():
        needed = [g.needed * found.scale for g in group]
        if found.exact:
            sufficient = max(0.0, min(needed))
        elif found.target.rule is Rule.BALANCE:
            # Lower demand also lowers what substitution and shortage may avoid: not below
            # what the plan avoids.
            value = min(needed)
            scale = max(1.0, abs(found.current), abs(value))
            sufficient = max(0.0, *(g.least for g in group), value - margin * scale)
        elif found.target.rule in LOOSER_WHEN_HIGHER:
            value = max(needed)
            scale = max(1.0, abs(found.current), abs(value))
            sufficient = min(found.upper, value + margin * scale)
        else:
            value = min(needed)
            scale = max(1.0, abs(found.current), abs(value))
            sufficient = max(0.0, value - margin * scale)
        target = found.target
        records.append(
            (
                target.rule.value,
                target.subject,
                target.period,
                path,
                found.current,
                sufficient,
                sum(g.relax_by for g in group),
                len(group),
            )
        )
    table = pd.DataFrame(records, columns=RULE_COLUMNS)
    return table.sort_values("relax_by", ascending=False, kind="stable").reset_index(drop=True)


def _set(document: dict[str, Any], problem: Problem, target: _Target, value: float) -> None:
    """Set the input number of ``target`` in ``document`` (a ``model_dump``) to ``value``."""
    security, subject, period = document["security"], target.subject, target.period
    if target.rule is Rule.BALANCE and period is not None:
        demand = document["demand"][subject]
        if not isinstance(demand, dict):
            demand = dict.fromkeys(problem.periods, demand)
        document["demand"][subject] = demand | {period: value}
    elif target.rule is Rule.MAX_SHARE:
        security["max_country_share"][subject] = value
    elif target.rule is Rule.COVER_WITHOUT:
        security["min_cover_without"][_cover_index(problem, subject)]["share"] = value
    elif target.rule is Rule.STOCK_COVER:
        key = "min_stock_days" if subject in security["min_stock_days"] else "min_stock_cover"
        if period is None:
            security[key][subject] = value
        else:
            security[key][subject][period] = value
    elif target.rule is Rule.CONTRACT:
        contract = document["contracts"][_contract_index(problem, subject)]
        key = "min_tonnes" if contract["fixed_tonnes"] is None else "fixed_tonnes"
        contract[key] = value
    elif target.rule is Rule.CAP:
        cap = document["caps"][_cap_index(problem, subject)]
        key = "max_tonnes" if cap["max_share_of_capacity"] is None else "max_share_of_capacity"
        cap[key] = value
    else:
        raise OptireeError(f"no input field for {target}: a demand row needs its period")


# -- words --------------------------------------------------------------------------------------


def _tonnes(value: float) -> str:
    return f"{value:,.1f}"


def _number(value: float) -> str:
    """A share, cover or tonnage for reading: 4 significant digits, or to 0.1 from 100 up."""
    return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.4g}"


def _percent(share: float) -> str:
    return f"{100 * share:.3g}%"


def _message(problem: Problem, g: _Reading) -> str:
    """One sentence on a row that gives: what cannot hold, the figures, what to change."""
    row = g.row
    subject, short, needed = str(row.subject), _tonnes(g.relax_by), g.needed
    path = _field(problem, row, g.demand).path
    where = f"{row.material}, {row.period}"
    if row.rule is Rule.BALANCE:
        return (
            f"{where}: {short} t of the {_tonnes(g.demand)} t demand cannot be met (the relaxed "
            f"plan supplies {_tonnes(needed)} t); add supply, lower {path} to "
            f"{_tonnes(needed)} t, or give {row.material} a shortage_penalty"
        )
    if row.rule is Rule.MAX_SHARE:
        share = _percent(g.parameter)
        return (
            f"{where}: at most {share} from {subject} cannot hold: other countries supply "
            f"{_tonnes(g.bought - g.value)} t, so {_tonnes(g.value)} t of the "
            f"{_tonnes(g.bought)} t bought come from {subject} ({_percent(needed)}), {short} t "
            f"more than {share} allows; {path} must be at least {needed:.4g}"
        )
    if row.rule is Rule.COVER_WITHOUT:
        return (
            f"{where}: {_percent(g.parameter)} of demand ({_tonnes(g.limit)} t) must be "
            f"coverable without {subject}, but other sources, substitution and opening stock "
            f"give only {_tonnes(g.value)} t: {short} t short; {path} must be at most "
            f"{needed:.4g}, or add supply from outside {subject}"
        )
    if row.rule is Rule.STOCK_COVER:
        scale = _field(problem, row, g.demand).scale
        return (
            f"{where}: a closing stock of {g.parameter:g} x demand ({_tonnes(g.limit)} t) cannot "
            f"be held: the relaxed plan has {_tonnes(g.value)} t, {short} t short; {path} must "
            f"be at most {needed * scale:.4g}"
        )
    if row.rule is Rule.CONTRACT:
        return _contract_message(problem, g, path)
    return _cap_message(problem, g, path)


def _cap_message(problem: Problem, g: _Reading, path: str) -> str:
    row = g.row
    subject, short, needed = str(row.subject), _tonnes(g.relax_by), g.needed
    where = f"{row.material}, {row.period}"
    cap = problem.caps[_cap_index(problem, subject)]
    who = cap.country if cap.country is not None else f"source {cap.source}"
    if cap.max_share_of_capacity is not None:
        return (
            f"{where}: cap {subject} ({_percent(g.parameter)} of {who}'s "
            f"{_tonnes(g.capacity)} t capacity: at most {_tonnes(g.limit)} t) must give {short} "
            f"t: the relaxed plan buys {_tonnes(g.value)} t from {who} ({_percent(needed)} of "
            f"capacity); {path} must be at least {needed:.4g}"
        )
    return (
        f"{where}: cap {subject} (at most {_tonnes(g.limit)} t from {who}) must give {short} t: "
        f"the relaxed plan buys {_tonnes(g.value)} t from {who}; {path} must be at least "
        f"{_tonnes(needed)}"
    )


def _contract_message(problem: Problem, g: _Reading, path: str) -> str:
    row = g.row
    contract = problem.contracts[_contract_index(problem, str(row.subject))]
    return (
        f"{row.material}, {row.period}: contract {row.subject} asks {contract.source} for "
        f"{_tonnes(g.limit)} t but the relaxed plan can take only {_tonnes(g.value)} t "
        f"({_tonnes(g.relax_by)} t less) within the capacity, caps and rules; {path} must be "
        f"at most {_tonnes(g.needed)}, or make it take-or-pay"
    )
