"""Two-stage stochastic planning: commit now, adapt once the disruption is known.

The first ``commit_periods`` periods are decided now, the same in every scenario (purchases,
substitution, stock build-up); from the next period on each scenario has its own plan, the
recourse. The model is solved in extensive form, as one LP. The stages are the usual ones:

1. :func:`two_stage`: the scenarios -> the problem each scenario faces (validated);
2. :func:`build_extensive`: those problems -> one LP with non-anticipativity rows (never solved
   there);
3. :func:`solve_stochastic`: solves it, re-solves each scenario's recourse alone at the chosen
   first stage, and the benchmarks (wait-and-see, expected-value solution), and returns a
   :class:`StochasticResult`.

The formulation and the benchmarks are stated in docs/stochastic.md. Money is in the problem's
currency, quantities in tonnes [t] per period (substitutes in units).
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import pandas as pd
import pulp
from pydantic import Field

from optiree.disruption.scenarios import apply, for_disruption, scenario_probabilities
from optiree.errors import StochasticError
from optiree.model import LpModel, build
from optiree.prepare import ProblemData, floor_price, prepare
from optiree.results import Result, Status, optimal_result
from optiree.schema import Problem, Scenario, Share, StrictModel
from optiree.solve import SolverName, run_solver, solver_for
from optiree.units import in_tonnes_of_oxide

SEPARATOR = "|"
"""Between a scenario's name and its variable and row names in the extensive LP:
``calm|buy(china,Dy,P1)``. Not ``:``, which ends a name in an LP file; a scenario name that
starts with a digit still makes the LP file unreadable (MPS files are fine)."""
DEFAULT_CVAR_ALPHA = 0.95
"""The CVaR level reported when no ``risk`` is given: the mean of the worst 5% of outcomes."""
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
}
"""The first-stage decisions (the kinds of :meth:`LpModel.decisions`) and their units."""

Key = tuple[str, tuple[str, ...]]
"""A first-stage decision: (kind, index), e.g. ("buy", ("china", "Dy", "P1"))."""


class Risk(StrictModel):
    """Aversion to bad outcomes: minimise (1 - weight) E[cost] + weight CVaR_alpha[cost]."""

    cvar_alpha: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False, strict=True)] = (
        DEFAULT_CVAR_ALPHA
    )
    """alpha in [0, 1): CVaR_alpha is the expected cost over the worst 1 - alpha of probability
    (0.95: the worst 5%; 0: the expected cost)."""
    weight: Share
    """Weight of the CVaR in the objective: 0 is risk-neutral, 1 minimises the CVaR alone."""


@dataclass(frozen=True)
class TwoStage:
    """The scenarios as problems, ready to be built: what each scenario faces and how likely it
    is."""

    problem: Problem
    problems: dict[str, Problem]
    """Scenario name -> ``apply(for_disruption(problem, penalty=...), scenario,
    from_period=revealed)``: shortage penalties (its own, else ``penalty``, else 10 x the
    dearest price), strategic stocks' gap costs and terminal prices resolved once on
    ``problem``."""
    probability: dict[str, float]
    committed: tuple[str, ...]
    """The periods decided now (the first stage)."""
    revealed: str
    """The first period of the recourse: the scenario is known from here on."""


def two_stage(
    problem: Problem,
    scenarios: Sequence[Scenario] | None = None,
    *,
    commit_periods: int = 1,
    penalty: float | Mapping[str, float] | None = None,
) -> TwoStage:
    """Each scenario's problem and probability, with the first ``commit_periods`` periods
    committed.

    Raises:
        pydantic.ValidationError: a scenario names something the problem does not have, or the
            probabilities are given for some scenarios only or do not sum to 1 (path
            ``scenarios``).
        StochasticError: no scenarios, or ``commit_periods`` out of range.
    """
    if scenarios is not None:
        listed = [s.model_dump() for s in scenarios]
        problem = Problem.model_validate(problem.model_dump() | {"scenarios": listed})
    if not problem.scenarios:
        raise StochasticError(
            "no scenarios: pass scenarios=[...] or list them under the problem's 'scenarios'"
        )
    periods = problem.periods
    if (
        isinstance(commit_periods, bool)
        or not isinstance(commit_periods, int)
        or not 1 <= commit_periods < len(periods)
    ):
        raise StochasticError(
            f"commit_periods must be a whole number from 1 to {len(periods) - 1} (the problem "
            f"has {len(periods)} periods, and at least one must be left for the recourse), "
            f"got {commit_periods!r}"
        )
    revealed = periods[commit_periods]
    # What a tonne short or below a stock target costs is resolved once, on the problem as it
    # stands: a scenario's price spike does not change it, and the committed periods cost the
    # same in every scenario.
    faced = for_disruption(problem, penalty=penalty)
    problems = {s.name: apply(faced, s, from_period=revealed) for s in problem.scenarios}
    return TwoStage(
        problem,
        problems,
        scenario_probabilities(problem),
        tuple(periods[:commit_periods]),
        revealed,
    )


def _risk(risk: Risk | Mapping[str, Any] | None) -> Risk | None:
    if risk is None or isinstance(risk, Risk):
        return risk
    return Risk.model_validate(risk)


def _fixed_stock(stages: TwoStage, stock: Mapping[str, float] | None) -> dict[str, float]:
    if not stock:
        return {}
    known = stages.problem.material_ids
    unknown = [m for m in stock if m not in known]
    if unknown:
        raise StochasticError(
            f"first_stage_stock names unknown material(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(map(repr, known))}"
        )
    bad = [m for m, tonnes in stock.items() if not (math.isfinite(tonnes) and tonnes >= 0)]
    if bad:
        raise StochasticError(
            f"first_stage_stock must be finite tonnes >= 0; not so for {', '.join(bad)}"
        )
    return {m: float(tonnes) for m, tonnes in stock.items()}


# --- Building -------------------------------------------------------------------------------


def _first_stage(model: LpModel, committed: Iterable[str]) -> dict[Key, pulp.LpVariable]:
    """The model's variables in the committed periods, by decision."""
    periods = set(committed)
    chosen: dict[Key, pulp.LpVariable] = {}
    for kind, variables in model.decisions().items():
        for index, variable in variables.items():
            if index[-1] in periods:
                chosen[kind, tuple(index)] = variable
    return chosen


def _key_name(key: Key) -> str:
    kind, index = key
    return f"{kind}({','.join(index)})"


def _equal(name: str, terms: list[tuple[pulp.LpVariable, float]], rhs: float) -> Any:
    return pulp.LpConstraint(pulp.LpAffineExpression(terms), pulp.LpConstraintEQ, name, rhs)


def _fix_stock(model: LpModel, stock: Mapping[str, float], period: str, prefix: str) -> None:
    """Rows ``stock_fixed(m,t)``: the closing stock of ``m`` in ``period`` is the given one."""
    for m, tonnes in stock.items():
        name = f"{prefix}stock_fixed({m},{period})"
        model.lp.addConstraint(_equal(name, [(model.stock[m, period], 1.0)], tonnes))


@dataclass(frozen=True)
class Extensive:
    """The extensive-form LP: every scenario's model in one ``pulp.LpProblem``."""

    lp: pulp.LpProblem
    models: dict[str, LpModel]
    """Scenario name -> its variables and rows (names prefixed ``<scenario>|``)."""
    first_stage: dict[Key, pulp.LpVariable]
    """The first scenario's first-stage variables; the others' are equal to them."""
    expected_cost: pulp.LpAffineExpression
    """sum_s p_s cost_s."""
    cvar: pulp.LpAffineExpression | None
    """eta + 1/(1 - alpha) sum_s p_s excess_s, when the objective weighs a CVaR."""


def build_extensive(
    stages: TwoStage,
    risk: Risk | Mapping[str, Any] | None = None,
    first_stage_stock: Mapping[str, float] | None = None,
) -> Extensive:
    """One LP for all scenarios: each scenario's model under the prefix ``<scenario>|``, rows
    ``<scenario>|first_stage(kind,index)`` tying each first-stage variable to the first
    scenario's, and the objective (1 - w) sum_s p_s cost_s + w CVaR (w = 0 without ``risk``).
    """
    chosen_risk = _risk(risk)
    stock = _fixed_stock(stages, first_stage_stock)
    name = "".join(ch if ch.isalnum() else "_" for ch in f"{stages.problem.name}_stochastic")
    lp = pulp.LpProblem(name, pulp.LpMinimize)
    models: dict[str, LpModel] = {}
    for scenario, scenario_problem in stages.problems.items():
        prefix = f"{scenario}{SEPARATOR}"
        models[scenario] = build(prepare(scenario_problem), lp=lp, prefix=prefix)
        _fix_stock(models[scenario], stock, stages.committed[-1], prefix)

    first, *others = models
    shared = _first_stage(models[first], stages.committed)
    for scenario in others:
        own = _first_stage(models[scenario], stages.committed)
        if own.keys() != shared.keys():
            raise AssertionError(
                f"scenarios {first!r} and {scenario!r} have different first-stage variables"
            )
        for key, variable in own.items():
            row = f"{scenario}{SEPARATOR}first_stage({key[0]},{','.join(key[1])})"
            lp.addConstraint(_equal(row, [(variable, 1.0), (shared[key], -1.0)], 0.0))

    p = stages.probability
    expected = pulp.lpSum(p[s] * model.objective for s, model in models.items())
    cvar = None
    objective = expected
    if chosen_risk is not None and chosen_risk.weight > 0:
        # eta, the value at risk, is free: a scenario's cost is negative when sales of surplus
        # exceed purchases. (When alpha = 0 the objective is flat along eta -> -inf, below every
        # cost; a simplex solver still ends at a vertex, at a cost.)
        eta = lp.add_variable(f"cvar{SEPARATOR}eta")
        tail = []
        for scenario, model in models.items():
            excess = lp.add_variable(f"cvar{SEPARATOR}excess({scenario})", 0)
            lp.addConstraint(
                pulp.LpConstraint(
                    excess - model.objective + eta,
                    pulp.LpConstraintGE,
                    f"cvar{SEPARATOR}excess({scenario})",
                    0.0,
                )
            )
            tail.append(p[scenario] * excess)
        cvar = eta + pulp.lpSum(tail) * (1 / (1 - chosen_risk.cvar_alpha))
        objective = (1 - chosen_risk.weight) * expected + chosen_risk.weight * cvar
    lp.setObjective(objective)
    return Extensive(lp, models, shared, expected, cvar)


# --- The expected-value problem -------------------------------------------------------------


def _mean(values: Sequence[float], weights: Sequence[float]) -> float:
    """The weighted mean; exactly the common value when all are equal (so that numbers no
    scenario changes stay exactly as they are)."""
    if all(v == values[0] for v in values):
        return values[0]
    total = sum(weights)
    return sum(w * v for w, v in zip(weights, values, strict=True)) / total


def _mean_over(
    tables: Sequence[Mapping[Any, float]], weights: Sequence[float], *, absent: float | None
) -> dict[Any, float]:
    """Per key, the weighted mean over the tables: a table without the key counts ``absent``,
    or (None) is left out and the others' weights renormalised."""
    keys = list(dict.fromkeys(k for table in tables for k in table))
    means = {}
    for key in keys:
        pairs = [
            (table.get(key, absent), w)
            for table, w in zip(tables, weights, strict=True)
            if key in table or absent is not None
        ]
        values = [float(v) for v, _ in pairs if v is not None]
        chosen = [w for v, w in pairs if v is not None]
        if sum(chosen) > 0:
            means[key] = _mean(values, chosen)
    return means


CapTarget = tuple[str, str, str, str]
"""("country" or "source", its id, material, period)."""


def _purchase_limits(problem: Problem, data: ProblemData) -> dict[CapTarget, float]:
    """The most that can be bought from each capped country or source per material and period
    in one scenario: its least cap there, and no more than its capacity."""
    caps = {problem.cap_id(i): cap for i, cap in enumerate(problem.caps)}
    limits: dict[CapTarget, float] = {}
    for row in data.caps:
        cap = caps[row.cap]
        if cap.sum_over:
            continue  # a total: kept as the base problem has it
        target = ("country", cap.country) if cap.country is not None else ("source", cap.source)
        key = (target[0], str(target[1]), row.material, row.period)
        limits[key] = min(limits.get(key, math.inf), row.limit, row.capacity)
    return limits


def _capacity_of(
    problem: Problem, capacity: Mapping[tuple[str, str, str], float], target: CapTarget
) -> float:
    kind, who, m, t = target
    matching = [s.id for s in problem.sources if (s.country if kind == "country" else s.id) == who]
    return sum(capacity.get((s, m, t), 0.0) for s in matching)


def expected_value_problem(stages: TwoStage) -> Problem:
    """The deterministic problem whose uncertain numbers are their means over the scenarios.

    Each number is the probability-weighted mean, index by index, over the scenario problems
    (``stages.problems``): capacity per (source, material, period) and substitute capacity per
    (substitute, period), a missing one counting 0; demand per (material, period); the price
    per (source, material, period) and the substitute cost per (substitute, period), over the
    scenarios in which the source has capacity (the substitute can be used) there,
    renormalised; and for
    each capped country or source, material and period, the most that can be bought from it: in
    each scenario its least cap there (at most its capacity), or its capacity where no cap
    applies. Those means become ``max_tonnes`` caps named ``mean1``, ``mean2``... (left out
    where they cannot bind). The committed periods are the same in every scenario, so they stay
    as they are. Security rules, stock and shortage penalties are the same in every scenario
    and are kept. Feeds' capacity and price are averaged like a source's; price tiers, floors,
    contracts, caps over several periods or materials (``sum_over``) and the other supply
    terms are the base problem's. The problem is written in
    t REO (see :mod:`optiree.units`).
    """
    names = list(stages.problems)
    problems = [in_tonnes_of_oxide(stages.problems[s]) for s in names]
    weights = [stages.probability[s] for s in names]
    datas = [prepare(p) for p in problems]
    base = problems[0]
    periods = base.periods

    capacity = _mean_over([d.capacity for d in datas], weights, absent=0.0)
    price = _mean_over([d.price for d in datas], weights, absent=None)
    feed_capacity = _mean_over([d.feed_capacity for d in datas], weights, absent=0.0)
    feed_price = _mean_over([d.feed_price for d in datas], weights, absent=None)
    sub_capacity = _mean_over([d.sub_capacity for d in datas], weights, absent=0.0)
    sub_cost = _mean_over([d.sub_cost for d in datas], weights, absent=None)
    demand = _mean_over([d.demand for d in datas], weights, absent=0.0)
    penalty = _mean_over([d.penalty for d in datas], weights, absent=0.0)

    limits = [_purchase_limits(p, d) for p, d in zip(problems, datas, strict=True)]
    targets = list(dict.fromkeys(k for table in limits for k in table))
    caps: list[dict[str, Any]] = []
    for target in targets:
        values = [
            table.get(target, _capacity_of(p, d.capacity, target))
            for table, p, d in zip(limits, problems, datas, strict=True)
        ]
        limit = _mean(values, weights)
        if limit < _capacity_of(base, capacity, target):
            kind, who, m, t = target
            caps.append(
                {
                    "id": f"mean{len(caps) + 1}",
                    kind: who,
                    "materials": [m],
                    "periods": [t],
                    "max_tonnes": max(limit, 0.0),
                }
            )

    document = base.model_dump()
    document["name"] = f"{stages.problem.name} [expected value]"
    document["reference_prices"] = {}
    own = {source.id: source for source in base.sources}
    for source in document["sources"]:
        s = source["id"]
        if source["price_floor_multiplier"] is not None:  # a multiple of the prices dropped
            source["price_floor"] = {
                m: {t: floor_price(base, own[s], m, t) for t in periods} for m in source["capacity"]
            }
            source["price_floor_multiplier"] = None
        source["capacity"] = {
            m: {t: capacity.get((s, m, t), 0.0) for t in periods} for m in source["capacity"]
        }
        source["prices"] = {
            m: {t: price[s, m, t] for t in periods if capacity.get((s, m, t), 0.0) > 0}
            for m in source["capacity"]
        }
        source["price_multiplier"] = 1.0
        source["available_from"] = None
        for feed in source["feeds"]:
            f = feed["id"]
            feed["capacity"] = {t: feed_capacity.get((f, t), 0.0) for t in periods}
            feed["price_per_tonne_feed"] = {
                t: feed_price[f, t] for t in periods if feed_capacity.get((f, t), 0.0) > 0
            }
    for substitute in document["substitutes"]:
        k = substitute["id"]
        substitute["capacity"] = {t: sub_capacity.get((k, t), 0.0) for t in periods}
        substitute["cost"] = {t: sub_cost[k, t] for t in periods if sub_capacity.get((k, t), 0) > 0}
        substitute["available_from"] = None
    document["demand"] = {m: {t: demand[m, t] for t in periods} for m in base.material_ids}
    document["shortage_penalty"] = {m: penalty.get(m, 0.0) for m in base.material_ids}
    document["caps"] = caps + [cap for cap in document["caps"] if cap["sum_over"]]
    document["scenarios"] = []
    return Problem.model_validate(document)


# --- Solving --------------------------------------------------------------------------------


def _value(variable: pulp.LpVariable) -> float:
    value = float(variable.varValue or 0.0)
    return 0.0 if abs(value) < ZERO else value


def _evaluate(expression: pulp.LpAffineExpression) -> float:
    """The value of an expression at the solution (an empty objective is 0, where PuLP says
    None)."""
    terms = sum(float(coefficient) * _value(v) for v, coefficient in expression.items())
    return float(expression.constant) + terms


def _fix(variables: Mapping[Key, pulp.LpVariable], values: Mapping[Key, float]) -> None:
    """Fix each variable at its value (kept within its own bounds)."""
    missing = [_key_name(k) for k in variables if k not in values]
    if missing:
        raise AssertionError(f"no first-stage value for {', '.join(missing)}")
    for key, variable in variables.items():
        value = values[key]
        if variable.lowBound is not None:
            value = max(value, variable.lowBound)
        if variable.upBound is not None:
            value = min(value, variable.upBound)
        variable.lowBound = value
        variable.upBound = value


@dataclass(frozen=True)
class _Alone:
    """One problem solved on its own."""

    result: Result
    first_stage: dict[Key, float]
    """Its first-stage values (empty unless optimal)."""


def _solve_alone(
    problem: Problem,
    stages: TwoStage,
    solver: SolverName,
    stock: Mapping[str, float],
    fixed: Mapping[Key, float] | None = None,
    *,
    log: bool,
) -> _Alone:
    """Solve ``problem`` alone: with the first stage ``fixed`` (a recourse), or free (full
    foresight); the closing stock of the last committed period fixed where ``stock`` says."""
    model = build(prepare(problem))
    _fix_stock(model, stock, stages.committed[-1], "")
    variables = _first_stage(model, stages.committed)
    if fixed is not None:
        _fix(variables, fixed)
    status, message = run_solver(model, solver_for(solver, log=log))
    if status is not Status.OPTIMAL:
        failed = Result.build(
            name=problem.name,
            status=status,
            message=message,
            solver=solver,
            currency=problem.currency,
        )
        return _Alone(failed, {})
    values = {key: _value(v) for key, v in variables.items()}
    return _Alone(optimal_result(model, solver), values)


def _cost(result: Result) -> float:
    """The optimal cost, or +inf for a problem with no plan."""
    return math.inf if result.total_cost is None else result.total_cost


def conditional_value_at_risk(
    costs: Sequence[float], probabilities: Sequence[float], alpha: float
) -> float:
    """CVaR_alpha of a discrete cost distribution: min over eta of
    eta + 1/(1 - alpha) sum_s p_s max(cost_s - eta, 0), the mean cost over the worst 1 - alpha
    of probability. Scenarios of probability 0 do not count; an infinite cost gives infinity."""
    pairs = [(c, p) for c, p in zip(costs, probabilities, strict=True) if p > 0]
    if any(math.isinf(c) for c, _ in pairs):
        return math.inf
    return min(eta + sum(p * max(c - eta, 0.0) for c, p in pairs) / (1 - alpha) for eta, _ in pairs)


def risk_objective(
    costs: Sequence[float], probabilities: Sequence[float], risk: Risk | None
) -> float:
    """(1 - weight) E[cost] + weight CVaR_alpha[cost]: the expected cost without ``risk``."""
    pairs = [(c, p) for c, p in zip(costs, probabilities, strict=True) if p > 0]
    if any(math.isinf(c) for c, _ in pairs):
        return math.inf
    expected = sum(p * c for c, p in pairs)
    if risk is None or risk.weight == 0:
        return expected
    tail = conditional_value_at_risk(costs, probabilities, risk.cvar_alpha)
    return (1 - risk.weight) * expected + risk.weight * tail


SCENARIO_COLUMNS = ["scenario", "probability", "cost", "cost_wait_and_see", "cost_expected_value"]


@dataclass(frozen=True)
class StochasticResult:
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

    def summary(self) -> str:
        """The figures, the scenario costs and the first-stage plan, rounded for reading."""
        return _summary(self)


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
        solver: "highs" or "cbc".
        penalty: shortage penalty per tonne for materials without one (see
            :func:`optiree.disruption.scenarios.for_disruption`).
        first_stage_stock: material -> closing stock [t] at the end of the last committed
            period, fixed instead of chosen (a what-if; it holds in every problem solved,
            including the benchmarks).
        log: print the solver's log of every solve on stdout; by default nothing is printed.

    Raises:
        pydantic.ValidationError: bad scenarios or ``risk``.
        StochasticError: no scenarios, ``commit_periods`` out of range, bad
            ``first_stage_stock``.
        SolverError: the solver is unknown or not installed.
    """
    chosen_risk = _risk(risk)
    stages = two_stage(problem, scenarios, commit_periods=commit_periods, penalty=penalty)
    stock = _fixed_stock(stages, first_stage_stock)
    pulp_solver = solver_for(solver, log=log)
    extensive = build_extensive(stages, chosen_risk, stock)
    alpha = chosen_risk.cvar_alpha if chosen_risk is not None else DEFAULT_CVAR_ALPHA

    def failed(status: Status, message: str) -> StochasticResult:
        return _empty(stages, status, message, solver=solver, risk=chosen_risk, alpha=alpha)

    impossible = [
        f"{scenario}: {reason}"
        for scenario, model in extensive.models.items()
        for reason in model.impossible
    ]
    if impossible:
        return failed(Status.INFEASIBLE, f"infeasible before solving: {'; '.join(impossible)}")
    status, message = run_solver(next(iter(extensive.models.values())), pulp_solver)
    if status is not Status.OPTIMAL:
        return failed(status, message)
    objective = _evaluate(extensive.lp.objective)
    values = {key: _value(v) for key, v in extensive.first_stage.items()}

    names = list(stages.problems)
    p = [stages.probability[s] for s in names]
    recourse = {
        s: _solve_alone(stages.problems[s], stages, solver, stock, values, log=log) for s in names
    }
    broken = [s for s in names if not recourse[s].result.is_optimal]
    if broken:
        reasons = "; ".join(f"{s}: {recourse[s].result.message}" for s in broken)
        return failed(Status.ERROR, f"the recourse at the optimal first stage failed: {reasons}")
    costs = [recourse[s].result.total_cost or 0.0 for s in names]

    ws_costs = _wait_and_see(stages, solver, stock, log=log)
    ev, ev_costs = _expected_value_solution(stages, chosen_risk, solver, stock, log=log)
    eev: float | None
    if ev.is_optimal:
        infeasible = any(math.isinf(c) for c in ev_costs)
        eev = math.inf if infeasible else risk_objective(ev_costs, p, chosen_risk)
    else:
        eev = None
        message += f"; the expected-value problem is not solved ({ev.message})"
    plans = {s: recourse[s].result for s in names}
    return StochasticResult(
        problem_name=stages.problem.name,
        status=Status.OPTIMAL,
        message=message,
        solver=solver,
        currency=stages.problem.currency,
        committed=stages.committed,
        revealed=stages.revealed,
        risk=chosen_risk,
        cvar_alpha=alpha,
        objective=objective,
        expected_cost=sum(pi * c for pi, c in zip(p, costs, strict=True)),
        cvar=conditional_value_at_risk(costs, p, alpha),
        wait_and_see=risk_objective(ws_costs, p, chosen_risk),
        expected_value_cost=eev,
        first_stage=_first_stage_table(values),
        scenario_costs=_scenario_table(stages, plans, ws_costs, ev_costs),
        recourse=plans,
        expected_value=ev,
    )


def _wait_and_see(
    stages: TwoStage, solver: SolverName, stock: Mapping[str, float], *, log: bool
) -> list[float]:
    """Each scenario's least cost alone, with full foresight (+inf where it has no plan)."""
    return [
        _cost(_solve_alone(p, stages, solver, stock, log=log).result)
        for p in stages.problems.values()
    ]


def _expected_value_solution(
    stages: TwoStage,
    risk: Risk | None,
    solver: SolverName,
    stock: Mapping[str, float],
    *,
    log: bool,
) -> tuple[Result, list[float]]:
    """The expected-value plan, and each scenario's least cost with its first stage (+inf where
    that leaves the scenario no plan; NaN when the EV problem has none).

    The EV problem may have several optimal first stages, each with its own EEV. The one taken
    is the best for the objective: the extensive form is solved once more with the EV problem's
    model in it (prefix ``_ev|``), its first stage tied to the scenarios' and its cost held at
    its optimum (row ``_ev|optimal``), so that EEV does not depend on the solver's choice.
    """
    mean = expected_value_problem(stages)
    alone = _solve_alone(mean, stages, solver, stock, log=log)
    if not alone.result.is_optimal or alone.result.total_cost is None:
        return alone.result, [math.nan] * len(stages.problems)
    optimum = alone.result.total_cost
    extensive = build_extensive(stages, risk, stock)
    prefix = f"_ev{SEPARATOR}"
    model = build(prepare(mean), lp=extensive.lp, prefix=prefix)
    _fix_stock(model, stock, stages.committed[-1], prefix)
    for key, variable in _first_stage(model, stages.committed).items():
        row = f"{prefix}first_stage({key[0]},{','.join(key[1])})"
        terms = [(variable, 1.0), (extensive.first_stage[key], -1.0)]
        extensive.lp.addConstraint(_equal(row, terms, 0.0))
    # No slack beyond the solver's own tolerance: a little more EV cost buys stock that a
    # shortage penalty can value a thousand times higher.
    extensive.lp.addConstraint(
        pulp.LpConstraint(model.objective, pulp.LpConstraintLE, f"{prefix}optimal", optimum)
    )
    status, _ = run_solver(model, solver_for(solver, log=log))
    if status is Status.OPTIMAL:
        first = {key: _value(v) for key, v in extensive.first_stage.items()}
    else:  # no EV-optimal first stage serves every scenario: some cost is infinite
        first = alone.first_stage
    costs = [
        _cost(_solve_alone(p, stages, solver, stock, first, log=log).result)
        for p in stages.problems.values()
    ]
    return _solve_alone(mean, stages, solver, stock, first, log=log).result, costs


def _scenario_table(
    stages: TwoStage,
    plans: Mapping[str, Result],
    ws_costs: Sequence[float],
    ev_costs: Sequence[float],
) -> pd.DataFrame:
    materials = stages.problem.material_ids
    rows = []
    for (s, plan), ws, ev in zip(plans.items(), ws_costs, ev_costs, strict=True):
        short = plan.shortage.groupby("material")["tonnes"].sum()
        rows.append(
            [s, stages.probability[s], plan.total_cost, ws, ev]
            + [float(short.get(m, 0.0)) for m in materials]
        )
    return pd.DataFrame(rows, columns=SCENARIO_COLUMNS + [f"shortage_{m}" for m in materials])


def _first_stage_table(values: Mapping[Key, float]) -> pd.DataFrame:
    rows = []
    for (kind, index), value in values.items():
        if kind == "buy":
            item, material, period = index
        elif kind == "tier":
            source, material, band, period = index
            item = f"{source} (band {band})"
        elif kind in ("sub", "feed"):
            (item, period), material = index, ""
        else:  # stock, below, gap, short, sell, waste: (material, period)
            (material, period), item = index, index[0]
        rows.append((kind, item, material, period, value, DECISIONS[kind]))
    return pd.DataFrame(rows, columns=FIRST_STAGE_COLUMNS)


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


# --- Report ---------------------------------------------------------------------------------


def _figure(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return "infinite" if math.isinf(value) else f"{value:,.0f}"


def _summary(result: StochasticResult) -> str:
    head = f"{result.problem_name}: two-stage, {result.status.value} (solver: {result.solver})"
    committed = ", ".join(result.committed)
    lines = [
        head,
        f"Decided now: {committed}; the scenario is known from {result.revealed} on.",
    ]
    if not result.is_optimal:
        return "\n".join([*lines, result.message, ""])
    alpha = f"CVaR {result.cvar_alpha:.0%}"
    risk = result.risk
    if risk is None or risk.weight == 0:
        goal = "the expected cost"
    else:
        goal = f"{1 - risk.weight:g} x expected cost + {risk.weight:g} x CVaR {risk.cvar_alpha:.0%}"
    unit = result.currency
    lines.append(f"Minimises {goal}.")
    figures = [
        ("Objective, RP", result.objective),
        ("Expected cost", result.expected_cost),
        (f"{alpha} (mean of the worst {1 - result.cvar_alpha:.0%})", result.cvar),
        ("Wait-and-see, WS (full foresight)", result.wait_and_see),
        ("Expected-value solution, EEV", result.expected_value_cost),
        ("VSS = EEV - RP", result.vss),
        ("EVPI = RP - WS", result.evpi),
    ]
    width = max(len(label) for label, _ in figures)
    lines.append(f"Figures [{unit}]")
    lines += [f"  {label:<{width}} {_figure(value):>20}" for label, value in figures]

    table = result.scenario_costs.copy()
    lines.append(f"\nScenarios [{unit}; shortage in t over the horizon]")
    formats: dict[str, Any] = {
        "probability": "{:.3f}".format,
        "cost": _figure,
        "cost_wait_and_see": _figure,
        "cost_expected_value": _figure,
    }
    shortage = [c for c in table.columns if c.startswith("shortage_")]
    formats |= {c: "{:,.1f}".format for c in shortage}
    text = table.to_string(index=False, formatters=formats)
    lines += ["  " + line for line in text.splitlines()]

    first = result.first_stage
    chosen = first[(first["value"].abs() > ZERO) | (first["decision"] == "stock")]
    lines.append("\nFirst stage, the same in every scenario (stock is closing stock)")
    if chosen.empty:
        lines.append("  nothing")
    else:
        text = chosen.to_string(index=False, formatters={"value": "{:,.2f}".format})
        lines += ["  " + line for line in text.splitlines()]
    return "\n".join(lines) + "\n"
