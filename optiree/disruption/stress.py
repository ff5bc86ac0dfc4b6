"""Stress tests: how a plan that is already under way comes through a scenario.

A plan is made on the problem as it stands. Then a disruption comes. By then the plan's first
``k`` periods have been carried out: what was bought, substituted and stocked is done. The rest
of the horizon is planned again, now under the scenario and with shortage allowed at its
penalty. The stress test is the solve pipeline with one step added:

1. check that the plan belongs to the problem (:func:`check_plan`);
2. the problem the rest of the horizon faces (:func:`stressed_problem`): the scenario from
   period ``k`` on, every material allowed to go short, every stock target a strategic stock
   (drawn in the disruption and rebuilt after it,
   :func:`optiree.disruption.scenarios.for_disruption`);
3. its LP (:func:`optiree.model.build`), with the variables of the committed periods fixed
   to the plan's values (:func:`fix_committed`);
4. solved (:func:`optiree.solve.run_solver`) and read (:func:`optiree.results.optimal_result`);
5. what a stress test reports (:class:`StressResult`): the cost split into the committed and
   the re-planned part, unmet demand and the stock drawn.

Units: tonnes [t] per period; money in the problem's currency.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import pandas as pd
import pulp

from optiree import arguments
from optiree.disruption.scenarios import apply, for_disruption, named
from optiree.errors import ScenarioError, StressError
from optiree.model import LpModel, build
from optiree.prepare import ProblemData, prepare
from optiree.results import BINDING_TOLERANCE, Result, Status, optimal_result
from optiree.schema import Problem, Scenario
from optiree.solve import UNUSED, run_solver
from optiree.solvers import SolverName, name_of, solver_for
from optiree.words import Carded, price, stress_summary, stress_table_summary

UNMET_COLUMNS = ["material", "period", "committed", "demand", "short", "penalty", "cost"]
"""Columns of :attr:`StressResult.unmet`."""
DRAWN_COLUMNS = ["material", "period", "committed", "opening", "closing", "drawn"]
"""Columns of :attr:`StressResult.stock_drawn`."""
PLAN_TOLERANCE = BINDING_TOLERANCE
"""A committed row holds when the plan misses it by at most this times the row's scale
(max(1, |limit|, the sum of |coefficient x value|)): CBC reports values to 8 significant
digits, so a CBC plan can miss its own rows by about 1e-8 of their terms."""


Key = TypeVar("Key", bound=tuple[str, ...])


@dataclass(frozen=True)
class StressResult(Carded):
    """What a plan comes to under a scenario, its first ``commit_periods`` periods kept.

    ``total_cost`` is the whole horizon's cost: ``committed_cost`` (the plan's own cost in the
    committed periods) plus ``recourse_cost`` (the re-planned periods, shortage penalties
    included). Both totals are None unless ``status`` is optimal; the tables are then empty.
    """

    scenario: str
    """Name of the scenario."""
    commit_periods: int
    """How many periods, from the first, keep the plan's decisions."""
    status: Status
    message: str
    currency: str
    total_cost: float | None
    """Cost of the whole horizon [money]."""
    committed_cost: float
    """The plan's cost in the committed periods [money]: purchases, feeds, substitution,
    holding, shortage and disposal there, less sales of surplus (take-or-pay payments, which
    may span periods, are left to ``recourse_cost``)."""
    recourse_cost: float | None
    """Cost of the re-planned periods [money]: ``total_cost - committed_cost``."""
    unmet: pd.DataFrame = field(repr=False)
    """One row per material and period: ``material``, ``period``, ``committed`` (True in the
    committed periods), ``demand`` [t], ``short`` (unmet demand [t]), ``penalty`` [money/t],
    ``cost`` [money]."""
    stock_drawn: pd.DataFrame = field(repr=False)
    """One row per material and period: ``material``, ``period``, ``committed``, ``opening``
    and ``closing`` stock [t], ``drawn`` = max(opening - closing, 0) [t]."""
    result: Result = field(repr=False)
    """The full result of the stressed solve (every period, committed ones included)."""

    def short_by_material(self) -> pd.Series:
        """Tonnes short in the re-planned periods, per material [t]."""
        later = self.unmet[~self.unmet["committed"]]
        return later.groupby("material", sort=False)["short"].sum()

    def drawn_by_material(self) -> pd.Series:
        """Stock drawn in the re-planned periods, per material [t]."""
        later = self.stock_drawn[~self.stock_drawn["committed"]]
        return later.groupby("material", sort=False)["drawn"].sum()

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name: ``unmet``, ``stock_drawn``."""
        return {"unmet": self.unmet, "stock_drawn": self.stock_drawn}

    def summary(self) -> str:
        """Status, the cost split, and the shortage and stock drawn period by period."""
        return stress_summary(self)


def check_plan(problem: Problem, plan: Result) -> None:
    """Check that ``plan`` is an optimal plan of ``problem``, or one of a variant of it.

    A variant may differ in its rules (caps, security rules, penalties) but not in what the
    fixed decisions depend on: the periods, materials, sources and substitutes and where each
    can supply, the demand and the initial stock.

    Raises:
        StressError: the plan is not optimal, or it does not fit ``problem``; the message lists
            every difference.
    """
    if not plan.is_optimal:
        raise StressError(
            f"the plan is {plan.status.value}, not optimal: only an optimal plan has decisions "
            f"to keep ({plan.message})"
        )
    data = prepare(problem)
    differences = _listed_differences(plan, data)
    if not differences:
        differences = [
            *_cell_differences(plan, data),
            *_demand_differences(plan, data),
            *_initial_differences(plan, data),
        ]
    if differences:
        raise StressError(
            f"the plan ({plan.problem_name!r}) is not a plan of this problem ({problem.name!r}): "
            + "; ".join(differences)
            + ". Stress-test a plan solved from the same problem, or from a copy that differs "
            "only in its rules."
        )


def _listed_differences(plan: Result, data: ProblemData) -> list[str]:
    """The periods, materials, sources and substitutes the plan and the problem list, where
    they differ."""
    listed = {
        "periods": (_unique(plan.inventory["period"]), list(data.periods)),
        "materials": (_unique(plan.inventory["material"]), list(data.materials)),
        "sources": (
            _unique(plan.purchases["source"]),
            _unique(s for s, _, _ in data.capacity),
        ),
        "substitutes": (
            _unique(plan.substitution["substitute"]),
            _unique(k for k, _ in data.sub_capacity),
        ),
    }
    return [
        f"{what}: the plan has {_ids(planned)}, the problem {_ids(own)}"
        for what, (planned, own) in listed.items()
        if planned != own
    ]


def _cell_differences(plan: Result, data: ProblemData) -> list[str]:
    """Where supply, feeds and substitutes can be used, in the plan and in the problem."""
    supplies = _keys(plan.purchases, "source", "material", "period")
    feeds = _keys(plan.feeds, "feed", "period")
    substitutes = _keys(plan.substitution, "substitute", "period")
    return [
        *_key_differences("supply", supplies, set(data.capacity)),
        *_key_differences("feed", feeds, set(data.feed_capacity)),
        *_key_differences("substitute use", substitutes, set(data.sub_capacity)),
    ]


def _demand_differences(plan: Result, data: ProblemData) -> list[str]:
    demand = _values(plan.inventory, ["material", "period"], "demand")
    wrong = [f"{m},{t}" for (m, t), d in data.demand.items() if not _close(demand[m, t], d)]
    return [f"demand differs in ({'), ('.join(wrong)})"] if wrong else []


def _initial_differences(plan: Result, data: ProblemData) -> list[str]:
    inventory = plan.inventory
    first = inventory[inventory["period"] == data.periods[0]]
    opening = dict(zip(first["material"], first["opening"], strict=True))
    wrong = [m for m, tonnes in data.initial.items() if not _close(opening[m], tonnes)]
    return [f"initial stock differs for {_ids(wrong)}"] if wrong else []


def stressed_problem(
    problem: Problem,
    scenario: Scenario,
    commit_periods: int,
    *,
    penalty: float | Mapping[str, float] | None = None,
) -> Problem:
    """The problem the periods from ``commit_periods`` on are planned under.

    ``apply(for_disruption(problem, penalty=penalty), scenario, from_period=t)`` with ``t`` the
    first re-planned period: every material may go short, every stock target is a strategic
    stock that may be drawn and is rebuilt (:func:`optiree.disruption.scenarios.for_disruption`),
    and the
    scenario changes nothing in the committed periods. With every period committed nothing is
    re-planned, and the scenario (checked all the same) changes nothing.
    """
    periods = problem.periods
    _check_commit(commit_periods, len(periods))
    faced = for_disruption(problem, penalty=penalty)
    if commit_periods < len(periods):
        return apply(faced, scenario, from_period=periods[commit_periods])
    changed = apply(faced, scenario)  # raises on a scenario the problem cannot have
    return faced.derive(name=changed.name, scenarios=[])


def fix_committed(
    model: LpModel, plan: Result, commit_periods: int, *, same_cost: bool = True
) -> None:
    """Fix every variable of the first ``commit_periods`` periods to the plan's value.

    Every variable of :meth:`LpModel.decisions` (tonnes bought in each price band, feed
    bought, units used, closing stock, a strategic stock's gap, unmet demand, tonnes sold and
    wasted) and the take-or-pay shortfall of a committed contract row gets lower bound = upper
    bound = the plan's value; a material the plan could not let go short is fixed at
    0 short. The integer decisions of the committed periods follow the plan: the discount
    band it buys in, whether it buys from a cell with a minimum lot or a count of suppliers,
    and the whole units of a lumpy option it builds. The rows of the committed periods then
    hold only fixed variables: one the plan misses by no more than its solver's rounding
    (:data:`PLAN_TOLERANCE`) gets its limit moved onto the plan, so that the solver is not
    handed a start it would call infeasible.

    With ``same_cost`` (the default) the decisions must cost in the model what they cost in
    the plan; without, they may not (a plan cut short at its last committed period charged
    that period's strategic-stock gap at the terminal price, which a longer model does not).

    Raises:
        StressError: the plan breaks a row of the model in the committed periods (a rule the
            plan was not made under; the message names the rows), or its decisions there cost
            something else in the model (another price, holding cost or penalty).
    """
    committed = set(model.data.periods[:commit_periods])
    for kind, variables in model.decisions().items():
        _fix(variables, plan_values(plan, kind), committed)
    _fix(model.shortfall, _shortfalls(model, plan), committed)
    _fix(model.band, _chosen_bands(plan), committed)
    _fix(model.use, _used(plan), committed)
    _fix(model.units, _units(model, plan), committed)
    broken = settle_committed_rows(model, committed)
    if broken:
        raise StressError(
            f"the plan breaks {len(broken)} row(s) of this problem in the committed periods: "
            f"{', '.join(broken)}. Was the plan made under other rules? Stress-test it against "
            "the problem it was solved from, or commit fewer periods."
        )
    planned, fixed = _cost_in(plan, committed), _fixed_cost(model, committed)
    if same_cost and abs(fixed - planned) > PLAN_TOLERANCE * max(1.0, abs(planned)):
        raise StressError(
            f"the plan's decisions in the committed periods cost {price(planned)} in the plan but "
            f"{price(fixed)} at this problem's prices: a price, holding cost or shortage penalty "
            "differs there. Stress-test the plan against the problem it was solved from."
        )


def stress_test(
    problem: Problem,
    plan: Result,
    scenario: Scenario | str,
    commit_periods: int,
    *,
    solver: SolverName = "highs",
    penalty: float | Mapping[str, float] | None = None,
    log: bool = False,
) -> StressResult:
    """Keep the plan's first ``commit_periods`` periods and re-plan the rest under ``scenario``.

    Args:
        problem: the problem ``plan`` was solved from (or a copy differing only in its rules).
        plan: an optimal :class:`optiree.Result` of ``problem``.
        scenario: a :class:`optiree.schema.Scenario`, or the name of one of
            ``problem.scenarios``.
        commit_periods: how many periods, from the first, are already carried out: 0 re-plans
            everything with full foresight of the scenario; ``len(problem.periods)`` changes
            nothing.
        solver: "highs", "cbc", or any other solver (docs/solvers.md).
        penalty: the shortage penalty [money/t] of materials without one of their own (one
            number, or per material); by default ``for_disruption``'s, 10 times the material's
            dearest price.
        log: print the solver's log on stdout; by default nothing is printed.

    Returns:
        A :class:`StressResult`; a stressed problem without a plan (a hard rule that the
        scenario makes impossible) gives its status and message, not an exception.

    Raises:
        StressError: the plan is not optimal or not a plan of ``problem``,
            ``commit_periods`` is out of range, or the scenario is unknown.
        pydantic.ValidationError: the scenario names something the problem does not have.
        SolverChoiceError: the solver is unknown.
        SolverError: the solver is not installed.
    """
    problem = arguments.model(problem, "problem", Problem)
    _plan(plan, "plan")
    arguments.penalty(penalty, "penalty", problem.material_ids)
    chosen = _scenario(problem, scenario)
    _check_commit(commit_periods, len(problem.periods))
    check_plan(problem, plan)
    arguments.boolean(log, "log")
    pulp_solver = solver_for(solver, log=log)
    stressed = stressed_problem(problem, chosen, commit_periods, penalty=penalty)
    model = build(prepare(stressed))
    fix_committed(model, plan, commit_periods)
    status, message = run_solver(model, pulp_solver)
    committed = set(problem.periods[:commit_periods])
    committed_cost = _cost_in(plan, committed)
    if status is not Status.OPTIMAL:
        result = Result.build(
            name=stressed.name,
            status=status,
            message=message,
            solver=name_of(solver),
            currency=stressed.currency,
        )
        return StressResult(
            chosen.name,
            commit_periods,
            status,
            message,
            stressed.currency,
            None,
            committed_cost,
            None,
            pd.DataFrame(columns=UNMET_COLUMNS),
            pd.DataFrame(columns=DRAWN_COLUMNS),
            result,
        )
    result = optimal_result(model, name_of(solver))
    total = result.total_cost if result.total_cost is not None else math.nan
    return StressResult(
        chosen.name,
        commit_periods,
        status,
        message,
        stressed.currency,
        total,
        committed_cost,
        total - committed_cost,
        _unmet(result, committed),
        _stock_drawn(result, committed),
        result,
    )


@dataclass(frozen=True)
class StressTable(Carded):
    """The outcome of :func:`stress_table`: one row per plan and scenario."""

    table: pd.DataFrame = field(repr=False)
    """``plan``, ``scenario``, ``status``, ``total_cost``, ``committed_cost``,
    ``recourse_cost``, ``shortage_cost`` [money]; then ``short_<m>`` (tonnes short) and
    ``drawn_<m>`` (stock drawn) [t] for each material, both summed over the re-planned
    periods."""
    currency: str

    def tables(self) -> dict[str, pd.DataFrame]:
        """The table by name: ``{"stress": table}``."""
        return {"stress": self.table}

    def summary(self) -> str:
        """The table, money and tonnes rounded for reading."""
        return stress_table_summary(self.table, self.currency)


def stress_table(
    problem: Problem,
    plans: Mapping[str, Result],
    scenarios: Sequence[Scenario | str],
    commit_periods: int,
    *,
    solver: SolverName = "highs",
    penalty: float | Mapping[str, float] | None = None,
    log: bool = False,
) -> StressTable:
    """Stress-test each plan under each scenario, one row per plan and scenario.

    The plans may come from copies of ``problem`` that differ in their rules, such as plans
    made with different stock covers (see :func:`check_plan`). The columns are described at
    :attr:`StressTable.table`. ``log`` prints the solver's log of every re-plan on stdout.
    """
    problem = arguments.model(problem, "problem", Problem)
    plans = arguments.mapping_of(plans, "plans", _plan)
    arguments.listed(scenarios, "scenarios", lambda s, _: _scenario(problem, s))
    _check_commit(commit_periods, len(problem.periods))
    arguments.penalty(penalty, "penalty", problem.material_ids)
    materials = problem.material_ids
    records = [
        _record(
            name,
            stress_test(
                problem, plan, scenario, commit_periods, solver=solver, penalty=penalty, log=log
            ),
            materials,
        )
        for name, plan in plans.items()
        for scenario in scenarios
    ]
    columns = ["plan", "scenario", "status", "total_cost", "committed_cost", "recourse_cost"]
    columns += ["shortage_cost"] + [f"short_{m}" for m in materials]
    columns += [f"drawn_{m}" for m in materials]
    return StressTable(pd.DataFrame(records, columns=columns), problem.currency)


def _record(plan: str, tested: StressResult, materials: list[str]) -> dict[str, float | str]:
    """One row of :func:`stress_table`."""
    optimal = tested.status is Status.OPTIMAL
    short = tested.short_by_material()
    drawn = tested.drawn_by_material()
    return (
        {
            "plan": plan,
            "scenario": tested.scenario,
            "status": tested.status.value,
            "total_cost": _or_nan(tested.total_cost),
            "committed_cost": tested.committed_cost,
            "recourse_cost": _or_nan(tested.recourse_cost),
            "shortage_cost": float(tested.unmet["cost"].sum()) if optimal else math.nan,
        }
        | {f"short_{m}": float(short.get(m, math.nan)) for m in materials}
        | {f"drawn_{m}": float(drawn.get(m, math.nan)) for m in materials}
    )


def _plan(value: object, name: str) -> Result:
    return arguments.instance(value, name, Result, "an optiree.Result (from optiree.solve)")


def _scenario(problem: Problem, scenario: Scenario | str) -> Scenario:
    if not isinstance(scenario, str):
        return arguments.model(scenario, "scenario", Scenario)
    try:
        return named(problem, scenario)
    except ScenarioError as error:
        raise StressError(str(error)) from None


def _check_commit(commit_periods: int, count: int) -> None:
    if (
        isinstance(commit_periods, bool)
        or not isinstance(commit_periods, int)
        or not 0 <= commit_periods <= count
    ):
        raise StressError(
            f"commit_periods must be a whole number from 0 (nothing committed) to {count} "
            f"(every period of the problem), got {commit_periods!r}"
        )


def _unique(ids: Iterable[object]) -> list[str]:
    """The ids in order of first appearance, as text."""
    return [str(v) for v in dict.fromkeys(ids)]


def _ids(ids: list[str]) -> str:
    return ", ".join(repr(i) for i in ids) or "none"


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= PLAN_TOLERANCE * max(1.0, abs(b))


def _keys(table: pd.DataFrame, *columns: str) -> set[tuple[str, ...]]:
    return {tuple(str(v) for v in row) for row in table[list(columns)].itertuples(index=False)}


def _key_differences(
    what: str, planned: set[tuple[str, ...]], own: set[tuple[str, ...]]
) -> list[str]:
    found = []
    for label, keys in (("the plan only", planned - own), ("the problem only", own - planned)):
        if keys:
            shown = sorted(keys)[:5]
            more = f" and {len(keys) - 5} more" if len(keys) > 5 else ""
            found.append(f"{what} in {label}: ({'), ('.join(map(','.join, shown))}){more}")
    return found


def plan_values(plan: Result, kind: str) -> dict[tuple[str, ...], float]:
    """The plan's value of each variable of a kind of :meth:`LpModel.decisions`, by its key."""
    if kind in ("buy", "tier"):
        bands = plan.purchases
        chosen = bands[bands["tier"] == 1] if kind == "buy" else bands[bands["tier"] > 1]
        keys = (
            ["source", "material", "period"]
            if kind == "buy"
            else ["source", "material", "tier", "period"]
        )
        return _values(chosen, keys, "tonnes")
    table, keys, column = {
        "feed": (plan.feeds, ["feed", "period"], "tonnes"),
        "sub": (plan.substitution, ["substitute", "period"], "units"),
        "stock": (plan.inventory, ["material", "period"], "closing"),
        "below": (plan.inventory, ["material", "period"], "below_target"),
        "gap": (plan.inventory, ["material", "period"], "gap_charged"),
        "short": (plan.shortage, ["material", "period"], "tonnes"),
        "sell": (plan.inventory, ["material", "period"], "sold"),
        "waste": (plan.inventory, ["material", "period"], "surplus"),
        "build": (plan.investments, ["investment", "period"], "size"),
        "flow": (plan.flows[plan.flows["step"] == 0], ["path", "material", "period"], "tonnes"),
    }[kind]
    return _values(table, keys, column)


def _chosen_bands(plan: Result) -> dict[tuple[str, ...], float]:
    """1 for each price band (source, material, band as text, period) the plan buys in: the
    discount band chosen, where a material is priced by all-unit discounts."""
    bands = plan.purchases
    bought = bands[bands["tonnes"] > UNUSED]
    keys = zip(bought["source"], bought["material"], bought["tier"], bought["period"], strict=True)
    return {(s, m, str(j), t): 1.0 for s, m, j, t in keys}


def _used(plan: Result) -> dict[tuple[str, ...], float]:
    """1 for each cell (source, material, period) the plan buys from: its ``use`` decision,
    where a minimum lot or a count of suppliers needs one."""
    supply = plan.supply
    bought = supply[supply["tonnes"] > UNUSED]
    return {
        (s, m, t): 1.0
        for s, m, t in zip(bought["source"], bought["material"], bought["period"], strict=True)
    }


def _units(model: LpModel, plan: Result) -> dict[tuple[str, ...], float]:
    """The whole units of each lumpy option the plan builds, by (option, period)."""
    return {
        key: float(round(size / unit))
        for key, size in plan_values(plan, "build").items()
        for unit in [model.data.option(key[0]).unit_size]
        if unit
    }


def _shortfalls(model: LpModel, plan: Result) -> dict[tuple[str, ...], float]:
    """The take-or-pay tonnes the plan pays for but does not take, by (contract, material,
    period) of its rows: the contracted tonnes less what the plan takes from the row's cells."""
    taken = _values(plan.supply, ["source", "material", "period"], "tonnes")
    return {
        (row.contract, row.material, row.period): max(
            0.0, row.tonnes - sum(taken.get(cell, 0.0) for cell in row.cells)
        )
        for row in model.data.contracts
        if (row.contract, row.material, row.period) in model.shortfall
    }


def _values(table: pd.DataFrame, keys: list[str], column: str) -> dict[tuple[str, ...], float]:
    """``column`` of a result table by the tuple of ``keys``."""
    return {
        tuple(str(v) for v in row[:-1]): float(row[-1])
        for row in table[[*keys, column]].itertuples(index=False)
    }


def _fix(
    variables: Mapping[Key, pulp.LpVariable],
    values: Mapping[tuple[str, ...], float],
    committed: set[str],
) -> None:
    """Fix the variables of the committed periods (the last index) to ``values`` (0 if absent)."""
    for key, variable in variables.items():
        if key[-1] in committed:
            value = max(values.get(key, 0.0), 0.0)
            variable.lowBound = variable.upBound = value


def settle_committed_rows(model: LpModel, committed: set[str]) -> list[str]:
    """Each row of the ``committed`` periods, whose variables are all fixed, that the fixed
    values miss by no more than :data:`PLAN_TOLERANCE` of its scale gets its limit moved onto
    them (a plan's own rounding: CBC reports 8 significant digits); the names of the rows
    missed by more, which no solver can meet."""
    broken = []
    for row in model.rows:
        if row.period not in committed:
            continue
        lhs, scale = _fixed_side(row.constraint)
        limit = -row.constraint.constant
        miss = {
            pulp.LpConstraintGE: limit - lhs,
            pulp.LpConstraintLE: lhs - limit,
            pulp.LpConstraintEQ: abs(lhs - limit),
        }[row.constraint.sense]
        if miss > PLAN_TOLERANCE * scale:
            broken.append(row.name)
        elif miss > 0:
            row.constraint.constant = -lhs  # the plan's own rounding: move the limit onto it
    return broken


def _fixed_side(constraint: pulp.LpConstraint) -> tuple[float, float]:
    """The left-hand side of a row whose variables are all fixed, and the scale its rounding is
    judged against: max(1, |limit|, the sum of |coefficient x value|)."""
    terms = [
        coefficient * (variable.lowBound or 0.0) for variable, coefficient in constraint.items()
    ]
    scale = max(1.0, abs(constraint.constant), sum(abs(term) for term in terms))
    return float(sum(terms)), scale


def _fixed_cost(model: LpModel, committed: set[str]) -> float:
    """The model's cost of its fixed variables in the committed periods [money]."""
    fixed: set[str] = set()
    for variables in model.decisions().values():
        fixed.update(v.name for key, v in variables.items() if key[-1] in committed)
    return float(
        sum(c * (v.lowBound or 0.0) for v, c in model.objective.items() if v.name in fixed)
    )


def _cost_in(plan: Result, periods: set[str]) -> float:
    """The plan's cost in ``periods`` [money]."""
    parts = [
        (plan.purchases, "cost", 1.0),
        (plan.feeds, "cost", 1.0),
        (plan.substitution, "cost", 1.0),
        (plan.inventory, "holding_cost", 1.0),
        (plan.inventory, "disposal_cost", 1.0),
        (plan.inventory, "below_target_cost", 1.0),
        (plan.inventory, "sales", -1.0),
        (plan.shortage, "cost", 1.0),
        (plan.investments, "capital_cost", 1.0),  # a build decided in a period: its capital
        (plan.investments, "operating_cost", 1.0),  # and its operating cost over the horizon
        (plan.flows, "cost", 1.0),  # processing, with stages
    ]
    return float(sum(sign * t.loc[t["period"].isin(periods), c].sum() for t, c, sign in parts))


def _unmet(result: Result, committed: set[str]) -> pd.DataFrame:
    table = result.shortage.rename(columns={"tonnes": "short"})
    table = table.assign(committed=table["period"].isin(committed))
    return table[UNMET_COLUMNS].reset_index(drop=True)


def _stock_drawn(result: Result, committed: set[str]) -> pd.DataFrame:
    table = result.inventory
    drawn = (table["opening"] - table["closing"]).clip(lower=0.0)
    table = table.assign(committed=table["period"].isin(committed), drawn=drawn)
    return table[DRAWN_COLUMNS].reset_index(drop=True)


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value
