"""Solving the two-stage problem: the extensive form, each scenario's recourse at the chosen
first stage, and the benchmarks (wait-and-see, the expected-value solution), into a
:class:`StochasticResult` (:func:`solve_stochastic`)."""

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
import pulp

from optiree import arguments
from optiree.disruption.stochastic.expected_value import expected_value_problem
from optiree.disruption.stochastic.extensive import (
    SEPARATOR,
    Extensive,
    Key,
    build_extensive,
    first_stage_variables,
    fix_stock,
    tie,
)
from optiree.disruption.stochastic.stages import (
    DEFAULT_CVAR_ALPHA,
    Risk,
    TwoStage,
    as_risk,
    fixed_stock,
    two_stage,
)
from optiree.disruption.stochastic.tree import ScenarioTree, tree_stages
from optiree.disruption.stochastic.warm import WarmScenarios, fix_alone
from optiree.errors import StochasticError
from optiree.model import build
from optiree.prepare import ProblemData, prepare
from optiree.results import Result, Status, optimal_result
from optiree.schema import Problem, Scenario
from optiree.solve import run_solver
from optiree.solvers import SolverName, name_of, solver_for, warm
from optiree.sums import column_sums
from optiree.words import Carded, stochastic_summary, tree_summary

ZERO = 1e-9
"""Solver values smaller than this in magnitude are read as 0."""
FIRST_STAGE_COLUMNS = ["decision", "item", "material", "period", "value", "unit"]
DECISIONS = {
    "buy": "t",
    "tier": "t",
    "feed": "t feed",
    "sub": "units",
    "stock": "t",
    "below": "t",
    "gap": "t",
    "short": "t",
    "sell": "t",
    "waste": "t",
    "build": "t/yr (units/yr for a substitute line)",
    "flow": "t",
}
"""The first-stage decisions (the kinds of :meth:`LpModel.decisions`) and their units."""


def _value(variable: pulp.LpVariable) -> float:
    value = float(variable.varValue or 0.0)
    return 0.0 if abs(value) < ZERO else value


def _evaluate(expression: pulp.LpAffineExpression) -> float:
    """The value of an expression at the solution (an empty objective is 0, where PuLP says
    None)."""
    terms = sum(float(coefficient) * _value(v) for v, coefficient in expression.items())
    return float(expression.constant) + terms


@dataclass(frozen=True)
class _Alone:
    """One problem solved on its own."""

    result: Result
    first_stage: dict[Key, float]
    """Its first-stage values (empty unless optimal)."""


def _cost(result: Result) -> float:
    """The optimal cost, or +inf for a problem with no plan."""
    return math.inf if result.total_cost is None else result.total_cost


def conditional_value_at_risk(
    costs: Sequence[float], probabilities: Sequence[float], alpha: float
) -> float:
    """CVaR_alpha of a discrete cost distribution: min over eta of
    eta + 1/(1 - alpha) sum_s p_s max(cost_s - eta, 0), the mean cost over the worst 1 - alpha
    of probability. Scenarios of probability 0 do not count; an infinite cost gives infinity."""
    pairs = _likely(costs, probabilities)
    if _any_infinite(pairs):
        return math.inf
    return min(eta + sum(p * max(c - eta, 0.0) for c, p in pairs) / (1 - alpha) for eta, _ in pairs)


def risk_objective(
    costs: Sequence[float], probabilities: Sequence[float], risk: Risk | None
) -> float:
    """(1 - weight) E[cost] + weight CVaR_alpha[cost]: the expected cost without ``risk``."""
    pairs = _likely(costs, probabilities)
    if _any_infinite(pairs):
        return math.inf
    expected = sum(p * c for c, p in pairs)
    if risk is None or risk.weight == 0:
        return expected
    tail = conditional_value_at_risk(costs, probabilities, risk.cvar_alpha)
    return (1 - risk.weight) * expected + risk.weight * tail


def _likely(costs: Sequence[float], probabilities: Sequence[float]) -> list[tuple[float, float]]:
    """(cost, probability) of the scenarios of positive probability."""
    return [(c, p) for c, p in zip(costs, probabilities, strict=True) if p > 0]


def _any_infinite(pairs: list[tuple[float, float]]) -> bool:
    return any(math.isinf(c) for c, _ in pairs)


SCENARIO_COLUMNS = ["scenario", "probability", "cost", "cost_wait_and_see", "cost_expected_value"]
NODE_COLUMNS = ["node", *FIRST_STAGE_COLUMNS]


def _no_nodes() -> pd.DataFrame:
    return pd.DataFrame(columns=NODE_COLUMNS)


@dataclass(frozen=True)
class StochasticResult(Carded):
    """The outcome of :func:`solve_stochastic`. Money in ``currency``, tonnes per period.

    The benchmarks are values of the objective F, the expected cost (or, with ``risk``,
    (1 - weight) E + weight CVaR_alpha) of the scenario costs: ``objective`` is RP, the
    recourse problem; ``wait_and_see`` is WS, F of each scenario's cost solved alone with full
    foresight; ``expected_value_cost`` is EEV, F of the scenario costs when the first stage is
    an optimal one of the expected-value problem, the best of them for F (+inf when every such
    first stage leaves some scenario with no plan). All are None unless ``status`` is optimal.
    See docs/stochastic.md.
    """

    problem_name: str
    status: Status
    message: str
    solver: str
    currency: str
    committed: tuple[str, ...]
    """The periods decided now, the same in every scenario."""
    revealed: str
    """The first period of the recourse."""
    risk: Risk | None
    cvar_alpha: float
    """The level of ``cvar``: ``risk.cvar_alpha``, or 0.95."""
    objective: float | None
    """RP: the optimal objective of the extensive form [money]."""
    expected_cost: float | None
    """sum_s p_s cost_s at the optimum [money]."""
    cvar: float | None
    """CVaR_alpha of the scenario costs at the optimum [money]."""
    wait_and_see: float | None
    """WS [money]."""
    expected_value_cost: float | None
    """EEV [money]; +inf when no expected-value first stage serves every scenario."""
    first_stage: pd.DataFrame = field(repr=False)
    """The committed decisions: ``decision`` (buy, tier, feed, sub, stock, below, gap,
    short, sell, waste), ``item`` (the source, "source (band j)" for a tier, the feed, substitute or
    material), ``material`` (empty for feed and sub), ``period``, ``value`` and ``unit`` (t,
    t feed, or units for sub); stock is closing stock."""
    scenario_costs: pd.DataFrame = field(repr=False)
    """One row per scenario: ``scenario``, ``probability``, ``cost`` (at the optimum),
    ``cost_wait_and_see`` (alone, full foresight), ``cost_expected_value`` (with the
    expected-value first stage; inf when infeasible), ``shortage_<material>`` [t, all periods
    together] at the optimum."""
    recourse: dict[str, Result] = field(repr=False)
    """Scenario -> its plan at the optimum: the scenario solved alone with the first stage
    fixed, so its shadow prices are the scenario's own given that first stage."""
    expected_value: Result | None = field(repr=False)
    """The expected-value problem's plan with the first stage EEV is taken at (see
    :func:`expected_value_problem`)."""
    decisions: Mapping[Key, float] = field(default_factory=dict, repr=False)
    """The first stage by decision, ``(kind, index) -> value`` (``first_stage`` as a table):
    what :func:`~optiree.disruption.stochastic.scoring.out_of_sample` fixes."""
    penalty: float | Mapping[str, float] | None = field(default=None, repr=False)
    """The ``penalty`` it was solved with."""
    first_stage_stock: Mapping[str, float] | None = field(default=None, repr=False)
    """The ``first_stage_stock`` it was solved with."""
    node_decisions: pd.DataFrame = field(default_factory=_no_nodes, repr=False)
    """A tree of more than two stages: each inner node's decisions, alike in every leaf under
    it, ``node`` then the columns of ``first_stage`` (the root's rows are ``first_stage``);
    ``scenario_costs`` has a row per leaf. Empty for two stages."""

    @property
    def is_optimal(self) -> bool:
        return self.status is Status.OPTIMAL

    @property
    def vss(self) -> float | None:
        """Value of the stochastic solution, EEV - RP >= 0 [money]."""
        if self.expected_value_cost is None or self.objective is None:
            return None
        return self.expected_value_cost - self.objective

    @property
    def evpi(self) -> float | None:
        """Expected value of perfect information, RP - WS >= 0 [money]."""
        if self.objective is None or self.wait_and_see is None:
            return None
        return self.objective - self.wait_and_see

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name: ``scenario_costs``, ``first_stage`` and, for a tree of more
        than two stages, ``node_decisions``."""
        tables = {"scenario_costs": self.scenario_costs, "first_stage": self.first_stage}
        if not self.node_decisions.empty:
            tables["node_decisions"] = self.node_decisions
        return tables

    def summary(self) -> str:
        """The figures, the scenario costs and the first-stage plan, rounded for reading."""
        if not self.node_decisions.empty:
            return tree_summary(self, _shown(self.node_decisions))
        return stochastic_summary(self, _shown(self.first_stage))


def _shown(decisions: pd.DataFrame) -> pd.DataFrame:
    """The decisions worth reading: those not 0, and the stock."""
    return decisions[(decisions["value"].abs() > ZERO) | (decisions["decision"] == "stock")]


def solve_stochastic(
    problem: Problem,
    scenarios: Sequence[Scenario] | None = None,
    *,
    commit_periods: int = 1,
    risk: Risk | Mapping[str, Any] | None = None,
    solver: SolverName = "highs",
    penalty: float | Mapping[str, float] | None = None,
    first_stage_stock: Mapping[str, float] | None = None,
    log: bool = False,
    tree: ScenarioTree | Mapping[str, Any] | None = None,
) -> StochasticResult:
    """The least expected-cost (or risk-weighted) plan that commits the first periods now.

    Args:
        problem: a validated problem.
        scenarios: the scenarios; default ``problem.scenarios``. Probabilities as given (for
            every scenario, summing to 1) or equal.
        commit_periods: how many periods are decided before the scenario is known (>= 1, and
            at least one period is left).
        risk: ``{"cvar_alpha": 0.95, "weight": 0.5}`` (or a :class:`Risk`) to minimise
            (1 - weight) E[cost] + weight CVaR_alpha[cost]; None: the expected cost.
        solver: "highs", "cbc", or any other solver (docs/solvers.md).
        penalty: shortage penalty per tonne for materials without one (see
            :func:`optiree.disruption.scenarios.for_disruption`).
        first_stage_stock: material -> closing stock [t] at the end of the last committed
            period, fixed instead of chosen (a what-if; it holds in every problem solved,
            including the benchmarks).
        log: print the solver's log of every solve on stdout; by default nothing is printed.
        tree: a :class:`~optiree.disruption.stochastic.tree.ScenarioTree` (or its dict),
            instead of ``scenarios`` and ``commit_periods``: decisions at each node, alike in
            every leaf under it (docs/stochastic.md, "Scenario trees").

    Raises:
        pydantic.ValidationError: bad scenarios, tree or ``risk``.
        StochasticError: no scenarios, ``commit_periods`` out of range, bad
            ``first_stage_stock``, a tree with ``scenarios`` or ``commit_periods``.
        SolverChoiceError: the solver is unknown.
        SolverError: the solver is not installed.
    """
    problem = arguments.model(problem, "problem", Problem)
    scenarios = arguments.optional(arguments.listed, scenarios, "scenarios", _scenario, minimum=0)
    arguments.penalty(penalty, "penalty", problem.material_ids)
    arguments.optional(
        arguments.mapping_of, first_stage_stock, "first_stage_stock", arguments.number
    )
    arguments.boolean(log, "log")
    chosen_risk = as_risk(risk)
    if tree is None:
        stages = two_stage(problem, scenarios, commit_periods=commit_periods, penalty=penalty)
    else:
        _check_tree_alone(scenarios, commit_periods)
        stages = tree_stages(problem, tree, penalty=penalty)
    stock = fixed_stock(stages, first_stage_stock)
    pulp_solver = solver_for(solver, log=log)
    extensive = build_extensive(stages, chosen_risk, stock)
    result = _Solving(stages, chosen_risk, solver, stock, log=log).result(extensive, pulp_solver)
    given = None if first_stage_stock is None else dict(first_stage_stock)
    return replace(result, penalty=penalty, first_stage_stock=given)


def _check_tree_alone(scenarios: object, commit_periods: int) -> None:
    if scenarios is not None or commit_periods != 1:
        raise StochasticError(
            "a tree sets the scenarios (its leaves) and the periods decided at each node: "
            "give tree=... without scenarios and commit_periods"
        )


def recourse_costs(
    stages: TwoStage,
    decisions: Mapping[Key, float],
    *,
    solver: SolverName,
    stock: Mapping[str, float],
    log: bool = False,
) -> list[float]:
    """Each scenario of ``stages`` solved alone with its first stage fixed at ``decisions``:
    its least cost, +inf where that leaves it no plan (as EEV is computed)."""
    return _Solving(stages, None, solver, stock, log=log).costs(decisions)


class _Solving:
    """The solves of one two-stage problem: the extensive form, each scenario alone (with a
    first stage fixed or free) and the benchmarks; every solve fixes the closing stock of the
    last committed period where ``stock`` says."""

    def __init__(
        self,
        stages: TwoStage,
        risk: Risk | None,
        solver: SolverName,
        stock: Mapping[str, float],
        *,
        log: bool,
    ) -> None:
        self.stages = stages
        self.risk = risk
        self.solver = solver
        self.name = name_of(solver)
        """How results name the solver."""
        self.stock = stock
        self.log = log
        self.alpha = risk.cvar_alpha if risk is not None else DEFAULT_CVAR_ALPHA
        self.probability = [stages.probability[s] for s in stages.problems]

    @functools.cached_property
    def prepared(self) -> dict[str, ProblemData]:
        """Scenario -> its problem's numbers (:meth:`TwoStage.prepared`), made once for every
        solve of it: the recourse, the warm re-solves' checks and the cold ones."""
        return dict(self.stages.prepared())

    def result(self, extensive: Extensive, pulp_solver: Any) -> StochasticResult:
        """Solve the extensive form, then each scenario's recourse at its first stage."""
        impossible = _impossible(extensive)
        if impossible:
            return self.failed(Status.INFEASIBLE, f"infeasible before solving: {impossible}")
        status, message = run_solver(next(iter(extensive.models.values())), pulp_solver)
        if status is not Status.OPTIMAL:
            return self.failed(status, message)
        objective = _evaluate(extensive.lp.objective)
        values = {key: _value(v) for key, v in extensive.first_stage.items()}
        plans = self.recourse(extensive, values)
        broken = _failures(plans)
        if broken:
            return self.failed(
                Status.ERROR, f"the recourse at the optimal first stage failed: {broken}"
            )
        nodes = _node_table(extensive) if self.stages.nodes else _no_nodes()
        return self.optimal(extensive, objective, values, (plans, nodes), message)

    def recourse(self, extensive: Extensive, values: Mapping[Key, float]) -> dict[str, Result]:
        """Each scenario's plan alone, with what it decides alike with others fixed."""
        return {
            s: self.alone(data, *self.decided(extensive, s, values)).result
            for s, data in self.prepared.items()
        }

    def decided(
        self, extensive: Extensive, scenario: str, values: Mapping[Key, float]
    ) -> tuple[Mapping[Key, float], tuple[str, ...] | None]:
        """What a scenario's recourse fixes: two stages, the first stage ``values``; a tree,
        the leaf's own decisions of every period before it is known."""
        if not self.stages.nodes:
            return values, None
        periods = self.stages.shared(scenario)
        own = first_stage_variables(extensive.models[scenario], periods)
        return {key: _value(v) for key, v in own.items()}, periods

    def optimal(
        self,
        extensive: Extensive,
        objective: float,
        values: Mapping[Key, float],
        plans_and_nodes: tuple[dict[str, Result], pd.DataFrame],
        message: str,
    ) -> StochasticResult:
        """The result at an optimal first stage ``values`` of ``extensive`` (solved, its
        solution read), with the recourse ``plans`` and a tree's node decisions, and the
        benchmarks."""
        stages, p = self.stages, self.probability
        plans, nodes = plans_and_nodes
        costs = [plan.total_cost or 0.0 for plan in plans.values()]
        ws_costs = self.wait_and_see()
        ev, ev_costs = self.expected_value_solution(extensive)
        eev = self.expected_value_cost(ev, ev_costs)
        if eev is None:
            message += f"; the expected-value problem is not solved ({ev.message})"
        return StochasticResult(
            problem_name=stages.problem.name,
            status=Status.OPTIMAL,
            message=message,
            solver=self.name,
            currency=stages.problem.currency,
            committed=stages.committed,
            revealed=stages.revealed,
            risk=self.risk,
            cvar_alpha=self.alpha,
            objective=objective,
            expected_cost=sum(pi * c for pi, c in zip(p, costs, strict=True)),
            cvar=conditional_value_at_risk(costs, p, self.alpha),
            wait_and_see=risk_objective(ws_costs, p, self.risk),
            expected_value_cost=eev,
            first_stage=_first_stage_table(values),
            decisions=dict(values),
            scenario_costs=_scenario_table(stages, plans, ws_costs, ev_costs),
            recourse=plans,
            expected_value=ev,
            node_decisions=nodes,
        )

    def expected_value_cost(self, ev: Result, ev_costs: Sequence[float]) -> float | None:
        """EEV: +inf when the EV first stage leaves a scenario without a plan; None when the
        expected-value problem has no plan."""
        if not ev.is_optimal:
            return None
        if any(math.isinf(c) for c in ev_costs):
            return math.inf
        return risk_objective(ev_costs, self.probability, self.risk)

    def failed(self, status: Status, message: str) -> StochasticResult:
        """The result without a plan."""
        return _empty(
            self.stages, status, message, solver=self.name, risk=self.risk, alpha=self.alpha
        )

    def alone(
        self,
        data: ProblemData,
        fixed: Mapping[Key, float] | None = None,
        periods: tuple[str, ...] | None = None,
    ) -> _Alone:
        """Solve the problem of ``data`` (its prepared numbers) alone: with the decisions of
        ``periods`` (default: the first stage) ``fixed`` (a recourse), or free (full
        foresight)."""
        problem = data.problem
        model = build(data)
        fix_alone(model, self.stages, self.stock, fixed, periods)
        variables = first_stage_variables(model, self.stages.committed)
        status, message = run_solver(model, solver_for(self.solver, log=self.log))
        if status is not Status.OPTIMAL:
            failed = Result.build(
                name=problem.name,
                status=status,
                message=message,
                solver=self.name,
                currency=problem.currency,
            )
            return _Alone(failed, {})
        values = {key: _value(v) for key, v in variables.items()}
        return _Alone(optimal_result(model, self.name), values)

    def costs(self, fixed: Mapping[Key, float] | None = None) -> list[float]:
        """Each scenario's least cost alone, with the first stage ``fixed`` or free (+inf where
        it has no plan): with HiGHS re-solved on one warm model (:class:`WarmScenarios`) where
        the scenario allows, else solved from scratch."""
        reused = self.warm(fixed)
        scenarios = {s.name: s for s in self.stages.problem.scenarios}
        costs = []
        for name, data in self.prepared.items():
            cost = reused.cost(scenarios[name], data) if reused is not None else None
            costs.append(cost if cost is not None else _cost(self.alone(data, fixed).result))
        return costs

    def warm(self, fixed: Mapping[Key, float] | None) -> WarmScenarios | None:
        """The warm HiGHS model of the scenarios alone; None with another solver, or for a
        tree, whose leaves change from more than one period."""
        if self.stages.nodes or not warm(self.solver):
            return None
        return WarmScenarios(self.stages, self.stock, fixed)

    def wait_and_see(self) -> list[float]:
        """Each scenario's least cost alone, with full foresight (+inf where it has no plan)."""
        return self.costs()

    def expected_value_solution(self, extensive: Extensive) -> tuple[Result, list[float]]:
        """The expected-value plan, and each scenario's least cost with its first stage (+inf
        where that leaves the scenario no plan; NaN when the EV problem has none).

        The EV problem may have several optimal first stages, each with its own EEV. The one
        taken is the best for the objective: the extensive form (already solved and read) is
        solved once more with the EV problem's model added to it (prefix ``_ev|``), its first
        stage tied to the scenarios' and its cost held at its optimum (row ``_ev|optimal``), so
        that EEV does not depend on the solver's choice.
        """
        mean = prepare(expected_value_problem(self.stages, self.prepared))
        alone = self.alone(mean)
        if not alone.result.is_optimal or alone.result.total_cost is None:
            return alone.result, [math.nan] * len(self.stages.problems)
        first = self.best_first_stage(extensive, mean, alone.result.total_cost)
        costs = _tree_eev(extensive, first) if self.stages.nodes else None
        if first is None:  # no EV-optimal first stage serves every scenario: some cost is inf
            first = alone.first_stage
        if costs is None:
            costs = self.costs(first)
        return self.alone(mean, first).result, costs

    def best_first_stage(
        self, extensive: Extensive, mean: ProblemData, optimum: float
    ) -> dict[Key, float] | None:
        """The EV-optimal first stage best for the objective; None when none serves every
        scenario. ``extensive`` is extended in place (not built a second time)."""
        stages = self.stages
        prefix = f"_ev{SEPARATOR}"
        model = build(mean, lp=extensive.lp, prefix=prefix)
        fix_stock(model, self.stock, stages.committed[-1], prefix)
        tie(
            extensive.lp,
            first_stage_variables(model, stages.committed),
            extensive.first_stage,
            prefix,
        )
        # No slack beyond the solver's own tolerance: a little more EV cost buys stock that a
        # shortage penalty can value a thousand times higher.
        extensive.lp.addConstraint(
            pulp.LpConstraint(model.objective, pulp.LpConstraintLE, f"{prefix}optimal", optimum)
        )
        status, _ = run_solver(model, solver_for(self.solver, log=self.log))
        if status is not Status.OPTIMAL:
            return None
        return {key: _value(v) for key, v in extensive.first_stage.items()}


def _tree_eev(extensive: Extensive, first: Mapping[Key, float] | None) -> list[float]:
    """A tree's leaves' costs with the root's decisions at the EV problem's and the rest of the
    tree decided at its best: the extensive form as solved by :meth:`_Solving.best_first_stage`
    (all +inf when no EV-optimal first stage leaves every leaf a plan)."""
    if first is None:
        return [math.inf] * len(extensive.models)
    return [_evaluate(model.objective) for model in extensive.models.values()]


def _node_table(extensive: Extensive) -> pd.DataFrame:
    """Each node's decisions at the solution read: ``node`` then the first-stage columns."""
    tables = [
        _first_stage_table({key: _value(v) for key, v in variables.items()}).assign(node=node)
        for node, variables in extensive.nodes.items()
    ]
    return pd.concat(tables, ignore_index=True)[NODE_COLUMNS]


def _impossible(extensive: Extensive) -> str:
    """Why some scenario's model is infeasible before solving, if it is ("" if not)."""
    reasons = [
        f"{scenario}: {reason}"
        for scenario, model in extensive.models.items()
        for reason in model.impossible
    ]
    return "; ".join(reasons)


def _failures(plans: Mapping[str, Result]) -> str:
    """The scenarios without an optimal plan and why ("" if none)."""
    return "; ".join(f"{s}: {plan.message}" for s, plan in plans.items() if not plan.is_optimal)


def _scenario_table(
    stages: TwoStage,
    plans: Mapping[str, Result],
    ws_costs: Sequence[float],
    ev_costs: Sequence[float],
) -> pd.DataFrame:
    materials = stages.problem.material_ids
    rows = []
    for (s, plan), ws, ev in zip(plans.items(), ws_costs, ev_costs, strict=True):
        short = column_sums(plan.shortage, ["material"], "tonnes", sort=True)
        rows.append(
            [s, stages.probability[s], plan.total_cost, ws, ev]
            + [float(short.get(m, 0.0)) for m in materials]
        )
    return pd.DataFrame(rows, columns=SCENARIO_COLUMNS + [f"shortage_{m}" for m in materials])


def _first_stage_table(values: Mapping[Key, float]) -> pd.DataFrame:
    rows = [
        (kind, *_ITEMS.get(kind, _material_item)(index), value, DECISIONS[kind])
        for (kind, index), value in values.items()
    ]
    return pd.DataFrame(rows, columns=FIRST_STAGE_COLUMNS)


Item = tuple[str, str, str]
"""The item, material and period of a first-stage decision."""


def _bought(index: tuple[str, ...]) -> Item:
    """buy: (source, material, period); flow: (path, material, period)."""
    item, material, period = index
    return item, material, period


def _tier(index: tuple[str, ...]) -> Item:
    """tier: (source, material, band, period)."""
    source, material, band, period = index
    return f"{source} (band {band})", material, period


def _used(index: tuple[str, ...]) -> Item:
    """sub, feed and build: (substitute, feed or option, period decided); no material."""
    item, period = index
    return item, "", period


def _material_item(index: tuple[str, ...]) -> Item:
    """stock, below, gap, short, sell, waste: (material, period)."""
    material, period = index
    return material, material, period


_ITEMS = {
    "buy": _bought,
    "tier": _tier,
    "sub": _used,
    "feed": _used,
    "build": _used,
    "flow": _bought,
}
"""How each kind of decision names its item, material and period (others: by material)."""


def _empty(
    stages: TwoStage,
    status: Status,
    message: str,
    *,
    solver: str,
    risk: Risk | None,
    alpha: float,
) -> StochasticResult:
    materials = stages.problem.material_ids
    return StochasticResult(
        problem_name=stages.problem.name,
        status=status,
        message=message,
        solver=solver,
        currency=stages.problem.currency,
        committed=stages.committed,
        revealed=stages.revealed,
        risk=risk,
        cvar_alpha=alpha,
        objective=None,
        expected_cost=None,
        cvar=None,
        wait_and_see=None,
        expected_value_cost=None,
        first_stage=pd.DataFrame(columns=FIRST_STAGE_COLUMNS),
        scenario_costs=pd.DataFrame(
            columns=SCENARIO_COLUMNS + [f"shortage_{m}" for m in materials]
        ),
        recourse={},
        expected_value=None,
    )


def _scenario(value: object, name: str) -> Scenario:
    return arguments.model(value, name, Scenario)
