"""The extensive form: every scenario's model in one LP, tied by non-anticipativity rows
(:func:`build_extensive`)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulp

from optiree.collector import paused
from optiree.disruption.stochastic.stages import Decided, Risk, TwoStage, as_risk, fixed_stock
from optiree.errors import OptireeError
from optiree.model import LpModel, build

SEPARATOR = "|"
"""Between a scenario's name and its variable and row names in the extensive LP:
``calm|buy(china,Dy,P1)``. Not ``:``, which ends a name in an LP file; a scenario name that
starts with a digit still makes the LP file unreadable (MPS files are fine)."""
Key = tuple[str, tuple[str, ...]]
"""A first-stage decision: (kind, index), e.g. ("buy", ("china", "Dy", "P1"))."""


def first_stage_variables(model: LpModel, committed: Iterable[str]) -> dict[Key, pulp.LpVariable]:
    """The model's variables in the committed periods, by decision."""
    periods = set(committed)
    chosen: dict[Key, pulp.LpVariable] = {}
    for kind, variables in model.decisions().items():
        for index, variable in variables.items():
            if index[-1] in periods:
                chosen[kind, tuple(index)] = variable
    return chosen


def key_name(key: Key) -> str:
    kind, index = key
    return f"{kind}({','.join(index)})"


def equal(name: str, terms: list[tuple[pulp.LpVariable, float]], rhs: float) -> Any:
    return pulp.LpConstraint(pulp.LpAffineExpression(terms), pulp.LpConstraintEQ, name, rhs)


def fix_stock(model: LpModel, stock: Mapping[str, float], period: str, prefix: str) -> None:
    """Rows ``stock_fixed(m,t)``: the closing stock of ``m`` in ``period`` is the given one."""
    for m, tonnes in stock.items():
        name = f"{prefix}stock_fixed({m},{period})"
        model.lp.addConstraint(equal(name, [(model.stock[m, period], 1.0)], tonnes))


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
    nodes: dict[str, dict[Key, pulp.LpVariable]] = field(default_factory=dict)
    """Node -> its decisions (the first leaf's under it; the others' are equal to them): the
    root's are ``first_stage``. Two stages: the root alone, named ""."""


@paused
def build_extensive(
    stages: TwoStage,
    risk: Risk | Mapping[str, Any] | None = None,
    first_stage_stock: Mapping[str, float] | None = None,
) -> Extensive:
    """One LP for all scenarios: each scenario's model under the prefix ``<scenario>|``, rows
    ``<scenario>|first_stage(kind,index)`` tying each first-stage variable to the first
    scenario's, and the objective (1 - w) sum_s p_s cost_s + w CVaR (w = 0 without ``risk``).

    The cyclic garbage collector is paused throughout (:mod:`optiree.collector`): between one
    scenario's model and the next it would pass over every object of those built so far.
    """
    chosen_risk = as_risk(risk)
    stock = fixed_stock(stages, first_stage_stock)
    name = "".join(ch if ch.isalnum() else "_" for ch in f"{stages.problem.name}_stochastic")
    lp = pulp.LpProblem(name, pulp.LpMinimize)
    models: dict[str, LpModel] = {}
    for scenario, data in stages.prepared():
        prefix = f"{scenario}{SEPARATOR}"
        models[scenario] = build(data, lp=lp, prefix=prefix)
        fix_stock(models[scenario], stock, stages.committed[-1], prefix)

    root, *below = stages.decided()
    nodes = {root.node: _non_anticipative(lp, models, root, "first_stage")}
    nodes |= {d.node: _non_anticipative(lp, models, d, f"decided_at_{d.node}") for d in below}
    shared = next(iter(nodes.values()))

    p = stages.probability
    expected = _expected(models, p)
    cvar = None
    objective = expected
    if chosen_risk is not None and chosen_risk.weight > 0:
        cvar = _cvar(lp, models, p, chosen_risk.cvar_alpha) if chosen_risk.cvar_alpha else expected
        objective = (1 - chosen_risk.weight) * expected + chosen_risk.weight * cvar
    lp.setObjective(objective)
    return Extensive(lp, models, shared, expected, cvar, nodes)


def _expected(models: Mapping[str, LpModel], p: Mapping[str, float]) -> pulp.LpAffineExpression:
    """sum_s p_s cost_s in one pass: the terms and constant of
    ``pulp.lpSum(p[s] * model.objective ...)``, in its order, without an expression per
    scenario (no variable is in two scenarios, so none adds to another; PuLP drops the
    terms of a scenario of probability 0)."""
    terms: dict[pulp.LpVariable, float] = {}
    constant = 0.0
    for scenario, model in models.items():
        weight = p[scenario]
        if weight != 0:
            constant += model.objective.constant * weight
            terms.update((variable, weight * x) for variable, x in model.objective.items())
    return pulp.LpAffineExpression(terms, constant)


def _non_anticipative(
    lp: pulp.LpProblem, models: Mapping[str, LpModel], decided: Decided, rule: str
) -> dict[Key, pulp.LpVariable]:
    """Tie the node's periods in every leaf under it to the first leaf's (the node's shared
    copy, returned): rows ``first_stage`` at the root, ``decided_at_<node>`` below it."""
    first, *others = decided.leaves
    shared = first_stage_variables(models[first], decided.periods)
    names = _row_names(shared, rule)
    for scenario in others:
        own = first_stage_variables(models[scenario], decided.periods)
        _tie(lp, own, shared, f"{scenario}{SEPARATOR}", names)
    return shared


def tie(
    lp: pulp.LpProblem,
    own: Mapping[Key, pulp.LpVariable],
    shared: Mapping[Key, pulp.LpVariable],
    prefix: str,
    rule: str = "first_stage",
) -> None:
    """Rows ``<prefix><rule>(kind,index)``: each of ``own`` first-stage variables equals
    the ``shared`` one.

    Raises:
        OptireeError: the two models have different first-stage variables (a scenario that
            changes the committed periods, which :func:`two_stage` never makes).
    """
    _tie(lp, own, shared, prefix, _row_names(shared, rule))


def _tie(
    lp: pulp.LpProblem,
    own: Mapping[Key, pulp.LpVariable],
    shared: Mapping[Key, pulp.LpVariable],
    prefix: str,
    names: Mapping[Key, str],
) -> None:
    """:func:`tie`, with the rows' names (:func:`_row_names`) made once for every scenario."""
    if own.keys() != shared.keys():
        raise OptireeError(f"the first-stage variables of {prefix!r} differ from the first's")
    for key, variable in own.items():
        lp.addConstraint(equal(prefix + names[key], [(variable, 1.0), (shared[key], -1.0)], 0.0))


def _row_names(shared: Mapping[Key, pulp.LpVariable], rule: str) -> dict[Key, str]:
    """The name of each decision's tie row without its scenario's prefix:
    ``<rule>(kind,index)``."""
    return {key: f"{rule}({key[0]},{','.join(key[1])})" for key in shared}


def _cvar(
    lp: pulp.LpProblem, models: Mapping[str, LpModel], p: Mapping[str, float], alpha: float
) -> pulp.LpAffineExpression:
    """eta + 1/(1 - alpha) sum_s p_s excess_s, with rows excess_s >= cost_s - eta."""
    # eta, the value at risk, is free: a scenario's cost is negative when sales of surplus
    # exceed purchases. Only for alpha > 0: at alpha = 0 the objective is flat along
    # eta -> -inf, where CBC stopped at an eta so far out that eta + excess lost the costs to
    # rounding (an "optimal" objective without its CVaR part); CVaR_0 is the mean, built as such.
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
    return eta + pulp.lpSum(tail) * (1 / (1 - alpha))
