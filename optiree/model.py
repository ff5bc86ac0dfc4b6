"""Prepared data -> the PuLP linear program (built here, never solved here).

Variable and constraint names follow the formulation in docs/formulation.md:
``buy(s,m,t)``, ``sub(k,t)``, ``stock(m,t)``, ``short(m,t)``; rows ``balance(m,t)``,
``net_demand(m,t)``, ``max_share(c,m,t)``, ``cover_without(c,m,t)``, ``stock_cover(m,t)`` and
``cap(id,m,t)``.
A row whose left-hand side has no variable is not added: if it holds it cannot bind, and if it
does not, the problem is infeasible and the row is listed in ``LpModel.impossible``, as is the
first period of each material whose demand to date exceeds all supply possible to date.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import pulp

from optiree.prepare import KT, MT, SMT, ProblemData


class Rule(StrEnum):
    """The kinds of constraint rows, as they appear in the ``rule`` column of results."""

    BALANCE = "balance"
    NET_DEMAND = "net_demand"
    MAX_SHARE = "max_share"
    COVER_WITHOUT = "cover_without"
    STOCK_COVER = "stock_cover"
    CAP = "cap"


@dataclass(frozen=True)
class Row:
    """One constraint row and what it stands for."""

    name: str
    rule: Rule
    subject: str
    """Country for max_share and cover_without, cap id for cap, "" otherwise."""
    material: str
    period: str
    constraint: pulp.LpConstraint
    parameter: float | None
    """The share or cover the row enforces (None for balance and max_tonnes caps)."""
    shift: float
    """Constant moved to the right-hand side (the initial stock in the first period); adding it
    back to both sides reads the row in the rule's own terms."""
    per_point: float
    """How much the right-hand side moves when ``parameter`` tightens by 0.01, at fixed
    purchases [t]; 0 where ``parameter`` is None. For max_share it is filled in from the
    solution (0.01 x total purchases), so it is 0 here."""


class Impossible(NamedTuple):
    """A row found infeasible before solving, and why in words."""

    row: str
    reason: str

    def __str__(self) -> str:
        return f"{self.row}: {self.reason}"


@dataclass(frozen=True)
class LpModel:
    """The built LP and the maps from problem indices to its variables and rows."""

    data: ProblemData
    lp: pulp.LpProblem
    buy: dict[SMT, pulp.LpVariable]
    sub: dict[KT, pulp.LpVariable]
    stock: dict[MT, pulp.LpVariable]
    short: dict[MT, pulp.LpVariable]
    rows: tuple[Row, ...]
    impossible: tuple[Impossible, ...]
    """Why the problem is infeasible before solving, one per row: a supply gap (see
    ``_Builder.supply_gaps``) or a row with no variable that cannot hold (kept in the LP, where
    it is infeasible, so that a relaxation can give it a slack)."""
    objective: pulp.LpAffineExpression
    """The plan's total cost; the LP's objective unless the model was built into another LP."""


def _name(kind: str, *index: str) -> str:
    return f"{kind}({','.join(index)})"


def _expression(terms: Iterable[tuple[pulp.LpVariable, float]]) -> pulp.LpAffineExpression:
    """Sum the coefficients of repeated variables (a pair list keeps only the last one)."""
    coefficients: dict[pulp.LpVariable, float] = {}
    for variable, coefficient in terms:
        coefficients[variable] = coefficients.get(variable, 0.0) + coefficient
    return pulp.LpAffineExpression(list(coefficients.items()))


class _Builder:
    def __init__(self, data: ProblemData, lp: pulp.LpProblem | None, prefix: str) -> None:
        self.data = data
        self.own_lp = lp is None
        self.lp = lp if lp is not None else pulp.LpProblem(_lp_name(data.problem.name))
        self.prefix = prefix
        self.rows: list[Row] = []
        self.impossible: list[Impossible] = []
        d = data
        self.buy = {
            key: self.lp.add_variable(prefix + _name("buy", *key), 0, ub)
            for key, ub in d.capacity.items()
        }
        self.sub = {
            key: self.lp.add_variable(prefix + _name("sub", *key), 0, ub)
            for key, ub in d.sub_capacity.items()
        }
        self.stock = {
            (m, t): self.lp.add_variable(prefix + _name("stock", m, t), 0)
            for m in d.materials
            for t in d.periods
        }
        self.short = {
            (m, t): self.lp.add_variable(prefix + _name("short", m, t), 0, d.demand[m, t])
            for m in d.penalty
            for t in d.periods
            if d.demand[m, t] > 0
        }
        self.buy_by_mt: dict[MT, list[tuple[str, pulp.LpVariable]]] = {}
        for (s, m, t), variable in self.buy.items():
            self.buy_by_mt.setdefault((m, t), []).append((s, variable))
        self.saved_by_mt: dict[MT, list[tuple[pulp.LpVariable, float]]] = {}
        for (k, t), variable in self.sub.items():
            for m, tonnes in d.saves[k].items():
                if tonnes > 0:
                    self.saved_by_mt.setdefault((m, t), []).append((variable, tonnes))

    def opening(self, m: str, t: str) -> tuple[list[tuple[pulp.LpVariable, float]], float]:
        """Opening stock of (m, t) as (terms, constant): last closing stock, or the initial."""
        before = self.data.previous(t)
        if before is None:
            return [], self.data.initial[m]
        return [(self.stock[m, before], 1.0)], 0.0

    def add(
        self,
        rule: Rule,
        index: tuple[str, ...],
        terms: list[tuple[pulp.LpVariable, float]],
        sense: int,
        rhs: float,
        *,
        subject: str = "",
        parameter: float | None = None,
        shift: float = 0.0,
        per_point: float = 0.0,
        meaning: str = "",
    ) -> None:
        name = _name(rule.value, *index)  # the row's name in tables; the LP's has the prefix
        expression = _expression(terms)
        if not expression:
            if (rhs >= 0) if sense == pulp.LpConstraintLE else (rhs <= 0):
                return  # 0 <= rhs or 0 >= rhs: it holds and cannot bind
            self.impossible.append(Impossible(name, meaning))
        constraint = pulp.LpConstraint(expression, sense, self.prefix + name, rhs)
        self.lp.addConstraint(constraint)
        m, t = index[-2], index[-1]
        self.rows.append(Row(name, rule, subject, m, t, constraint, parameter, shift, per_point))

    def objective(self) -> None:
        d = self.data
        terms = [(v, d.price[key]) for key, v in self.buy.items()]
        terms += [(v, d.sub_cost[key]) for key, v in self.sub.items()]
        terms += [(v, d.holding[m]) for (m, _), v in self.stock.items() if d.holding[m] > 0]
        terms += [(v, d.penalty[m]) for (m, _), v in self.short.items()]
        self.cost = _expression(terms)
        if self.own_lp:
            self.lp.setObjective(self.cost)

    def balance(self) -> None:
        d = self.data
        for m in d.materials:
            for t in d.periods:
                terms, initial = self.opening(m, t)
                terms += [(v, 1.0) for _, v in self.buy_by_mt.get((m, t), [])]
                terms += self.saved_by_mt.get((m, t), [])
                if (m, t) in self.short:
                    terms.append((self.short[m, t], 1.0))
                terms.append((self.stock[m, t], -1.0))
                self.add(
                    Rule.BALANCE,
                    (m, t),
                    terms,
                    pulp.LpConstraintGE,
                    d.demand[m, t] - initial,
                    shift=initial,
                )

    def supply_gaps(self) -> None:
        """Record, per material, the first period by which the demand to date exceeds all that
        could have come in to date: initial stock, capacity, substitution and allowed shortage
        (caps and rules aside). Such a problem is infeasible whatever the rules say."""
        d = self.data
        capacity: dict[MT, float] = {}
        for (_, m, t), tonnes in d.capacity.items():
            capacity[m, t] = capacity.get((m, t), 0.0) + tonnes
        saving: dict[MT, float] = {}
        for (k, t), units in d.sub_capacity.items():
            for m, per_unit in d.saves[k].items():
                saving[m, t] = saving.get((m, t), 0.0) + units * per_unit
        for m in d.materials:
            available, needed = d.initial[m], 0.0
            for t in d.periods:
                demand = d.demand[m, t]
                avoidable = saving.get((m, t), 0.0) + (demand if m in d.penalty else 0.0)
                available += capacity.get((m, t), 0.0) + min(demand, avoidable)
                needed += demand
                if needed > available * (1 + 1e-9) + 1e-9:
                    reason = (
                        f"{needed:g} t of {m} are needed by {t} but at most {available:g} t can "
                        "come in by then (initial stock, capacity, substitution and allowed "
                        f"shortage together); add capacity or stock, or a shortage_penalty for {m}"
                    )
                    self.impossible.append(Impossible(_name(Rule.BALANCE.value, m, t), reason))
                    break

    def net_demand(self) -> None:
        """Substitution and shortage together avoid at most the demand, so that neither can
        turn into stock."""
        d = self.data
        for (m, t), saved in self.saved_by_mt.items():
            terms = list(saved)
            if (m, t) in self.short:
                terms.append((self.short[m, t], 1.0))
            self.add(Rule.NET_DEMAND, (m, t), terms, pulp.LpConstraintLE, d.demand[m, t])

    def max_share(self) -> None:
        d = self.data
        for c, share in d.problem.security.max_country_share.items():
            if share >= 1:
                continue  # a share of all purchases cannot exceed 1: the row cannot bind
            for (m, t), bought in self.buy_by_mt.items():
                own = [(v, 1.0) for s, v in bought if d.country[s] == c]
                if own:
                    terms = own + [(v, -share) for _, v in bought]
                    self.add(
                        Rule.MAX_SHARE,
                        (c, m, t),
                        terms,
                        pulp.LpConstraintLE,
                        0.0,
                        subject=c,
                        parameter=share,
                    )

    def cover_without(self) -> None:
        d = self.data
        for rule in d.problem.security.min_cover_without:
            c = rule.country
            for m in rule.materials or d.materials:
                for t in d.periods:
                    need = rule.share * d.demand[m, t]
                    if need <= 0:
                        continue
                    terms, initial = self.opening(m, t)
                    terms += [
                        (v, 1.0) for s, v in self.buy_by_mt.get((m, t), []) if d.country[s] != c
                    ]
                    terms += self.saved_by_mt.get((m, t), [])
                    self.add(
                        Rule.COVER_WITHOUT,
                        (c, m, t),
                        terms,
                        pulp.LpConstraintGE,
                        need - initial,
                        subject=c,
                        shift=initial,
                        parameter=rule.share,
                        per_point=0.01 * d.demand[m, t],
                        meaning=f"{need:g} t must be coverable without {c} but only "
                        f"{initial:g} t of stock is there and nothing else can supply",
                    )

    def stock_cover(self) -> None:
        d = self.data
        for (m, t), cover in d.stock_cover.items():
            need = cover * d.demand[m, t]
            if need > 0:
                self.add(
                    Rule.STOCK_COVER,
                    (m, t),
                    [(self.stock[m, t], 1.0)],
                    pulp.LpConstraintGE,
                    need,
                    parameter=cover,
                    per_point=0.01 * d.demand[m, t],
                )

    def caps(self) -> None:
        for row in self.data.caps:
            m, t = row.material, row.period
            terms = [(self.buy[s, m, t], 1.0) for s in row.sources]
            self.add(
                Rule.CAP,
                (row.cap, m, t),
                terms,
                pulp.LpConstraintLE,
                row.limit,
                subject=row.cap,
                parameter=row.share,
                per_point=0.0 if row.share is None else 0.01 * row.capacity,
            )

    def model(self) -> LpModel:
        return LpModel(
            self.data,
            self.lp,
            self.buy,
            self.sub,
            self.stock,
            self.short,
            tuple(self.rows),
            tuple(self.impossible),
            self.cost,
        )


def _lp_name(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() else "_" for ch in name)
    return cleaned or "optiree"


def build(data: ProblemData, lp: pulp.LpProblem | None = None, prefix: str = "") -> LpModel:
    """Build the LP of ``data``: variables with their bounds, the objective and every row.

    With ``lp``, the variables and rows are added to that problem (which keeps its own
    objective: ``LpModel.objective`` is this model's cost, to weigh into it), their names
    starting with ``prefix``: several scenarios can then share one LP. The duals of such a
    shared LP are those of the whole (weighted by the objective's coefficients), so read a
    scenario's shadow prices from a model of its own, not with ``optimal_result`` on this one.
    """
    builder = _Builder(data, lp, prefix)
    builder.objective()
    builder.supply_gaps()
    builder.balance()
    builder.net_demand()
    builder.max_share()
    builder.cover_without()
    builder.stock_cover()
    builder.caps()
    return builder.model()
