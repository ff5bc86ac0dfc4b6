"""Prepared data -> the PuLP linear program (built here, never solved here).

In two steps: :func:`state` states the LP as numbers (a :class:`Statement`: each variable a
column number with its bounds, each row its coefficients by column, and what each stands for),
then :meth:`Statement.objects` makes the PuLP model of it, an :class:`LpModel`; :func:`build`
does both. Between them HiGHS can already take the numbers (:mod:`optiree.solve`).

Variable and constraint names follow the formulation in docs/formulation.md:
``buy(s,m,t)`` (and ``tier(s,m,j,t)`` for price band j >= 2), ``feed(f,t)``, ``sub(k,t)``,
``stock(m,t)``, ``gap(m,t)`` and ``below(m,t)`` (a strategic stock's tonnes below its target
not matched by tonnes short, and all its tonnes below target at the end), ``short(m,t)``,
``sell(m,t)``, ``waste(m,t)``, ``shortfall(id,m,t)``; rows
``balance(m,t)``, ``net_demand(m,t)``, ``max_share(c,m,t)``, ``cover_without(c,m,t)``,
``stock_cover(m,t)``, ``stock_end(m,t)``, ``cap(id,m,t)``, ``contract(id,m,t)``,
``separation(s,t)``, ``chain(s,m,t)``, ``facility(f,t)``, ``ramp(k,t)`` and
``sub_share(k,m,t)``; with stages, ``flow(s,f1,...,m,t)`` along each path through
facilities. A cap or contract row that totals several materials or periods names them as
``NdPr+Dy`` and ``2026Q1..2026Q4``.
A row whose left-hand side has no variable is not added: if it holds it cannot bind, and if it
does not, the problem is infeasible and the row is listed in ``LpModel.impossible``, as is the
first period of each material whose demand to date exceeds all supply possible to date.
"""

import functools
import itertools
import math
from array import array
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pulp

from optiree.collector import paused
from optiree.errors import ArgumentError
from optiree.handoff import Made, StatedLp
from optiree.prepare import FT, KT, MT, PATH_JOIN, SMT, Path, ProblemData, Segment
from optiree.rules import Rule
from optiree.schema import CoverRule, Problem

ShareOf = tuple[pulp.LpAffineExpression, pulp.LpAffineExpression]
"""A share row's two sums: what the country or group has, and all of it."""


def share_values(share_of: ShareOf) -> tuple[float, float]:
    """The two sums of a share row at the solution in the model's variables."""
    own, total = (float(expression.value() or 0.0) for expression in share_of)
    return own, total


@dataclass(frozen=True)
class Row:
    """One constraint row and what it stands for."""

    name: str
    rule: Rule
    subject: str
    """Country for max_share and cover_without, cap or contract id, source for separation,
    substitute for ramp and sub_share, "" otherwise."""
    material: str
    """The material ("" for separation and ramp; 'a+b' for a total over materials)."""
    period: str
    """The period ('a..c' or 'a+c' for a total over periods)."""
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
    share_of: ShareOf | None = None
    """For a stage or origin rule: (what the country or group has, all of it), the two sums
    the row holds ``parameter`` between; its value, limit and point are read from them."""


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
    """Tonnes bought directly in the first (or only) price band."""
    tier: dict[tuple[str, str, str, str], pulp.LpVariable]
    """(source, material, band, period) -> tonnes bought in band 2, 3... (band as text)."""
    feed: dict[FT, pulp.LpVariable]
    sub: dict[KT, pulp.LpVariable]
    stock: dict[MT, pulp.LpVariable]
    gap: dict[MT, pulp.LpVariable]
    """Tonnes of closing stock below a strategic stock's target beyond that period's shortage,
    which cost ``below_target_cost`` (materials with one, periods with a target)."""
    below: dict[MT, pulp.LpVariable]
    """Tonnes below target at the end, which cost the terminal price: the last period of a
    strategic stock that may go short (without shortage every tonne below is in ``gap``)."""
    short: dict[MT, pulp.LpVariable]
    sell: dict[MT, pulp.LpVariable]
    waste: dict[MT, pulp.LpVariable]
    shortfall: dict[tuple[str, str, str], pulp.LpVariable]
    """(contract, material, period) of a take-or-pay row -> tonnes paid for but not taken."""
    supply: dict[SMT, list[tuple[pulp.LpVariable, float]]]
    """Tonnes of each (source, material, period) delivered: bands and feeds' yields."""
    rows: tuple[Row, ...]
    impossible: tuple[Impossible, ...]
    """Why the problem is infeasible before solving, one per row: a supply gap (see
    ``_Builder.supply_gaps``) or a row with no variable that cannot hold (kept in the LP, where
    it is infeasible, so that a relaxation can give it a slack)."""
    objective: pulp.LpAffineExpression
    """The plan's total cost; the LP's objective unless the model was built into another LP."""
    build: dict[tuple[str, str], pulp.LpVariable] = field(default_factory=dict)
    """(option, period decided) -> yearly capacity decided [t/yr, or units/yr]."""
    units: dict[tuple[str, str], pulp.LpVariable] = field(default_factory=dict)
    """(lumpy option, period decided) -> whole units built (integer)."""
    use: dict[SMT, pulp.LpVariable] = field(default_factory=dict)
    """(source, material, period) with a minimum lot -> 1 if bought there at all (binary)."""
    qualified: dict[str, pulp.LpVariable] = field(default_factory=dict)
    """Source with a qualification cost -> 1 if it delivers anything at all (binary)."""
    band: dict[tuple[str, str, str, str], pulp.LpVariable] = field(default_factory=dict)
    """(source, material, band, period) of an all-unit discount -> 1 if the period's tonnes
    are bought at that band's price (binary; band as text, from 2: the first band is bought
    when no other is)."""
    flow: dict[tuple[str, str, str], pulp.LpVariable] = field(default_factory=dict)
    """(path label, material, period) -> tonnes entering a path through facilities."""

    @property
    def integers(self) -> list[pulp.LpVariable]:
        """The integer and binary variables (none: the model is an LP)."""
        return [
            *self.units.values(),
            *self.use.values(),
            *self.qualified.values(),
            *self.band.values(),
        ]

    def decisions(self) -> dict[str, Mapping[Any, pulp.LpVariable]]:
        """Every variable indexed by period (the period last in its key), by kind."""
        return {
            "buy": self.buy,
            "tier": self.tier,
            "feed": self.feed,
            "sub": self.sub,
            "stock": self.stock,
            "gap": self.gap,
            "below": self.below,
            "short": self.short,
            "sell": self.sell,
            "waste": self.waste,
            "build": self.build,
            "flow": self.flow,
        }


VARIABLE_MAPS = (
    *("buy", "tier", "feed", "sub", "stock", "gap", "below", "short", "sell", "waste"),
    *("shortfall", "build", "units", "use", "qualified", "band", "flow"),
)
"""The fields of :class:`LpModel` that map an index to a variable; the builder keeps each map
under the same name, as column numbers (:class:`Statement`)."""
Entries = list[tuple[int, float]]
"""A sum as the builder states it: (column number, coefficient) pairs."""
LE, GE = pulp.LpConstraintLE, pulp.LpConstraintGE
_LOOSEST = {
    Rule.STAGE_MAX: (LE, 1.0),
    Rule.STAGE_MIN: (GE, 0.0),
    Rule.ORIGIN: (LE, 1.0),
    Rule.ORIGIN_MIN: (GE, 0.0),
}
"""The sense of each stage or origin rule's row, and the share at which it cannot bind."""


def _name(kind: str, *index: str) -> str:
    return f"{kind}({','.join(index)})"


def _coefficients(entries: "Entries") -> dict[int, float]:
    """Each column's coefficient in the sum of ``entries``, in the order first met, the
    coefficients of a repeated column added up (the pairs alone would keep its last)."""
    coefficients = dict(entries)
    if len(coefficients) == len(entries):
        return coefficients  # no column repeats: the common case, without a Python loop
    coefficients = {}
    for column, coefficient in entries:
        coefficients[column] = coefficients.get(column, 0.0) + coefficient
    return coefficients


class _Builder:
    def __init__(self, data: ProblemData, prefix: str) -> None:
        self.data = data
        self.prefix = prefix
        self.names: list[str] = []
        self.lower: list[float | None] = []
        self.upper: list[float | None] = []
        self.integer: list[bool] = []
        self.row_names: list[str] = []
        self.lengths, self.index = array("q"), array("q")
        self.value, self.rhs = array("d"), array("d")
        self.sense = array("b")
        self.rows: list[RowStatement] = []
        self.impossible: list[Impossible] = []
        self.buy: dict[SMT, int] = {}
        self.tier: dict[tuple[str, str, str, str], int] = {}
        self.supply: dict[SMT, Entries] = {}
        self.purchase_costs: Entries = []
        """The cost of each ``buy`` and ``tier``: the objective's first terms."""
        self.purchases()
        self.build = self.builds()
        self.feed = self.feeds()
        self.sub = {
            key: self.variable("sub", key, None if key in data.new_units else ub)
            for key, ub in data.sub_capacity.items()
        }
        self.stock = self.free("stock", data.materials)
        self.short = self.shortages()
        self.gap = self.gaps()
        self.below = self.belows()
        self.sell = self.sales()
        self.waste = self.free("waste", data.disposal)
        self.shortfall = self.shortfalls()
        self.flow = self.flows()
        self.supply_by_mt: dict[MT, list[tuple[str, Entries]]] = {}
        for cell, terms in self.arriving().items():
            self.supply_by_mt.setdefault(cell[1:], []).append((cell[0], terms))
        self.saved_by_mt = self.savings()
        self.units, self.use, self.qualified = self.integer_decisions()
        self.band = {
            (s, m, str(j), t): self.column(_name("band", s, m, str(j), t), 0, 1, integer=True)
            for (s, m, t), starts in data.discounts.items()
            for j in range(2, len(starts) + 1)
        }

    def integer_decisions(
        self,
    ) -> tuple[
        dict[tuple[str, str], int],
        dict[SMT, int],
        dict[str, int],
    ]:
        """Whole units of each lumpy option's builds, whether each cell with a minimum lot is
        bought, whether each source with a qualification cost is used: none for an LP."""
        d = self.data
        units = {
            key: self.column(
                _name("units", *key), 0, math.floor(o.max_size / o.unit_size), integer=True
            )
            for key in self.build
            for o in [d.option(key[0])]
            if o.unit_size
        }
        counted = {*d.max_suppliers, *d.min_suppliers}
        use = {
            cell: self.column(_name("use", *cell), 0, 1, integer=True)
            for cell in self.supply
            if cell in d.min_lot or cell[1] in counted
        }
        qualified = {
            s: self.column(_name("qualified", s), 0, 1, integer=True) for s in d.qualification
        }
        return units, use, qualified

    def column(self, name: str, lower: float, upper: float | None, *, integer: bool = False) -> int:
        """A new column (a variable to be), named ``name`` after the prefix; its number."""
        self.names.append(self.prefix + name)
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.names) - 1

    def variable(self, kind: str, index: tuple[str, ...], ub: float | None) -> int:
        return self.column(_name(kind, *index), 0, ub)

    def free(self, kind: str, materials: Iterable[str]) -> dict[MT, int]:
        """A variable with no upper bound for each of ``materials`` in every period."""
        cells = itertools.product(materials, self.data.periods)
        return {(m, t): self.variable(kind, (m, t), None) for m, t in cells}

    def purchases(self) -> None:
        """``buy`` in each cell's first price band, ``tier`` in the others, and their costs,
        in one pass over the cells."""
        new = self.data.new_supply
        for cell, bands in self.data.segments.items():
            first = bands[0]
            self.buy[cell] = buy = self.variable("buy", cell, None if cell in new else first.width)
            self.supply[cell] = [(buy, 1.0)]
            self.purchase_costs.append((buy, first.price))
            if len(bands) > 1:
                self.tiers(cell, bands)

    def tiers(self, cell: SMT, bands: tuple[Segment, ...]) -> None:
        """``tier`` in each price band of ``cell`` after the first, and their costs."""
        s, m, t = cell
        for j, band in enumerate(bands[1:], start=2):
            key = (s, m, str(j), t)
            self.tier[key] = tier = self.variable("tier", key, band.width)
            self.supply[cell].append((tier, 1.0))
            self.purchase_costs.append((tier, band.price))

    def builds(self) -> dict[tuple[str, str], int]:
        """Yearly capacity of each option decided in each period it may be."""
        return {
            (o.id, t): self.variable("build", (o.id, t), o.max_size)
            for o in self.data.options
            for t in o.decided
        }

    def feeds(self) -> dict[FT, int]:
        """Tonnes of each feed, whose yields its source delivers."""
        d = self.data
        feed = {
            key: self.variable("feed", key, None if key in d.new_feed else ub)
            for key, ub in d.feed_capacity.items()
        }
        for (f, t), w in feed.items():
            for m, per_tonne in d.yields[f].items():
                self.supply.setdefault((d.feed_source[f], m, t), []).append((w, per_tonne))
        return feed

    def flows(self) -> dict[tuple[str, str, str], int]:
        """Tonnes entering each path through a facility, per material and period in which its
        source can deliver the material: (path label, material, period) -> variable."""
        return {
            (path.label, m, t): self.variable("flow", (*path.nodes, m, t), None)
            for path in self.data.routed
            for _, m, t in self.by_source.get(path.source, [])
        }

    @functools.cached_property
    def by_source(self) -> dict[str, list[SMT]]:
        """Source -> the (source, material, period) it delivers in, in the order of ``supply``
        (read once its cells are all there: after the feeds)."""
        cells: dict[str, list[SMT]] = {}
        for cell in self.supply:
            cells.setdefault(cell[0], []).append(cell)
        return cells

    def arriving(self) -> dict[SMT, Entries]:
        """Tonnes of each (source, material, period) reaching the last stage: what it delivers
        for a source at the last stage, its paths' flows times their yields for one before."""
        staged = self.staged
        arriving = {cell: terms for cell, terms in self.supply.items() if cell[0] not in staged}
        for path in self.data.routed:
            for s, m, t in self.by_source.get(path.source, []):
                flow = self.flow[path.label, m, t]
                arriving.setdefault((s, m, t), []).append((flow, path.delivered))
        return arriving

    @property
    def staged(self) -> set[str]:
        """The sources before the last stage (their tonnes reach demand through facilities)."""
        return {path.source for path in self.data.routed}

    def shortages(self) -> dict[MT, int]:
        d = self.data
        cells = itertools.product(d.penalty, d.periods)
        return {mt: self.variable("short", mt, d.demand[mt]) for mt in cells if d.demand[mt] > 0}

    def gaps(self) -> dict[MT, int]:
        d = self.data
        return {
            (m, t): self.variable("gap", (m, t), None)
            for (m, t), cover in d.stock_cover.items()
            if m in d.below_cost and cover * d.demand[m, t] > 0
        }

    def belows(self) -> dict[MT, int]:
        last = self.data.periods[-1]
        return {
            (m, t): self.variable("below", (m, t), None)
            for m, t in self.gap
            if t == last and (m, t) in self.short
        }

    def sales(self) -> dict[MT, int]:
        """Selling at no price is free disposal: no variable needed."""
        d = self.data
        return {
            key: self.variable("sell", key, None if math.isinf(most) else most)
            for key, most in d.max_sold.items()
            if most > 0 and d.salvage[key] > 0
        }

    def shortfalls(self) -> dict[tuple[str, str, str], int]:
        return {
            (row.contract, row.material, row.period): self.variable(
                "shortfall", (row.contract, row.material, row.period), row.tonnes
            )
            for row in self.data.contracts
            if row.take_or_pay is not None and row.tonnes > 0
        }

    def savings(self) -> dict[MT, Entries]:
        """Tonnes of each (material, period) substitutes save."""
        saved_by_mt: dict[MT, Entries] = {}
        for (k, t), u in self.sub.items():
            for m, tonnes in self.data.saves[k].items():
                if tonnes > 0:
                    saved_by_mt.setdefault((m, t), []).append((u, tonnes))
        return saved_by_mt

    def bought(
        self, m: str, t: str, countries: Collection[str] | None = None, *, without: bool = False
    ) -> Entries:
        """Tonnes of ``m`` delivered in ``t``: from every source, from ``countries`` only, or
        (``without``) from every source outside them."""
        d = self.data
        return [
            term
            for s, terms in self.supply_by_mt.get((m, t), [])
            if countries is None or (d.country[s] in countries) != without
            for term in terms
        ]

    def opening(self, m: str, t: str) -> tuple[Entries, float]:
        """Opening stock of (m, t) as (terms, constant): last closing stock, or the initial."""
        before = self.data.previous(t)
        if before is None:
            return [], self.data.initial[m]
        return [(self.stock[m, before], 1.0)], 0.0

    def add(
        self,
        rule: Rule,
        index: tuple[str, ...],
        terms: Entries,
        sense: int,
        rhs: float,
        *,
        subject: str = "",
        material: str | None = None,
        parameter: float | None = None,
        shift: float = 0.0,
        per_point: float = 0.0,
        meaning: str = "",
        share_of: tuple[Entries, Entries] | None = None,
    ) -> None:
        """Add a row; ``material`` defaults to the second last index, the period is the last."""
        name = _name(rule.value, *index)  # the row's name in tables; the LP's has the prefix
        coefficients = _coefficients(terms)
        if not coefficients:
            holds = {
                pulp.LpConstraintLE: rhs >= 0,
                pulp.LpConstraintGE: rhs <= 0,
                pulp.LpConstraintEQ: rhs == 0,
            }
            if holds[sense]:
                return  # 0 <= rhs, 0 >= rhs or 0 == 0: it holds and cannot bind
            self.impossible.append(Impossible(name, meaning))
        self.row_names.append(self.prefix + name)
        self.lengths.append(len(coefficients))
        self.index.extend(coefficients)
        self.value.extend(coefficients.values())
        self.rhs.append(rhs)
        self.sense.append(sense)
        m = index[-2] if material is None else material
        self.rows.append(
            RowStatement(name, rule, subject, m, index[-1], parameter, shift, per_point, share_of)
        )

    def objective(self) -> None:
        d = self.data
        terms, self.purchase_costs = self.purchase_costs, []  # the builder lets go of them (memory)
        terms += [(w, d.feed_price[key]) for key, w in self.feed.items()]
        terms += [(v, d.sub_cost[key]) for key, v in self.sub.items()]
        terms += self.stock_costs() + self.outlet_costs() + self.build_costs()
        terms += [(v, d.qualification[s]) for s, v in self.qualified.items()]
        terms += self.processing_costs()
        self.cost = _coefficients(terms)

    def outlet_costs(self) -> Entries:
        """Shortage, sales (at minus their price), waste and take-or-pay shortfall."""
        d = self.data
        terms = [(v, d.penalty[m]) for (m, _), v in self.short.items()]
        terms += [(v, -d.salvage[key]) for key, v in self.sell.items()]
        terms += [(v, d.disposal[m]) for (m, _), v in self.waste.items()]
        prices = {(r.contract, r.material, r.period): r.take_or_pay for r in d.contracts}
        terms += [(v, prices[key] or 0.0) for key, v in self.shortfall.items()]
        return terms

    def processing_costs(self) -> Entries:
        """Each facility's cost per tonne it takes in, along every path through it."""
        d = self.data
        paths = {path.label: path for path in d.routed}
        return [
            (v, sum(d.processing[node] * path.taken_in(i) for i, node in enumerate(nodes, 1)))
            for (label, _, _), v in self.flow.items()
            for path in [paths[label]]
            for nodes in [path.nodes[1:]]
        ]

    def build_costs(self) -> Entries:
        """Capital when decided, and the operating cost of every period the build stands."""
        d = self.data
        return [
            (v, o.capital + o.operating * d.operating_periods(o, t))
            for (ident, t), v in self.build.items()
            for o in [d.option(ident)]
        ]

    def stock_costs(self) -> Entries:
        """Holding, and a strategic stock's tonnes below target (charged gap, and below at
        the end)."""
        d = self.data
        terms = [(v, d.holding[m]) for (m, _), v in self.stock.items() if d.holding[m] > 0]
        for (m, t), v in self.gap.items():  # linear in (below, charged): read its two slopes
            # without an end row (no shortage), every tonne below is charged: below = gap
            below = 1.0 if (m, t) not in self.below else 0.0
            terms.append((v, d.below_target_cost(m, t, below, 1.0)))
        terms += [(v, d.below_target_cost(m, t, 1.0, 0.0)) for (m, t), v in self.below.items()]
        return terms

    def balance(self) -> None:
        """Supply covers demand; what is left is stock, sold, or wasted (free unless a disposal
        cost makes the row an equation with an explicit ``waste``)."""
        d = self.data
        for m in d.materials:
            sense = pulp.LpConstraintEQ if m in d.disposal else pulp.LpConstraintGE
            for t in d.periods:
                terms, initial = self.opening(m, t)
                terms += self.bought(m, t) + self.saved(m, t) + self.outgoing(m, t)
                self.add(
                    Rule.BALANCE, (m, t), terms, sense, d.demand[m, t] - initial, shift=initial
                )

    def outgoing(self, m: str, t: str) -> Entries:
        """Variables in the balance row besides purchases and substitution, with their sign:
        shortage, closing stock, sales and waste."""
        outlets = [(self.short, 1.0), (self.stock, -1.0), (self.sell, -1.0), (self.waste, -1.0)]
        return [(v[m, t], sign) for v, sign in outlets if (m, t) in v]

    def saved(self, m: str, t: str) -> Entries:
        """Tonnes of m substitutes save in t."""
        return self.saved_by_mt.get((m, t), [])

    def delivered(self, cells: Iterable[SMT]) -> Entries:
        """Tonnes delivered in ``cells`` (source, material, period)."""
        return [term for cell in cells for term in self.supply.get(cell, [])]

    def supply_gaps(self) -> None:
        """Record, per material, the first period by which the demand to date exceeds all that
        could have come in to date: initial stock, capacity, substitution and allowed shortage
        (caps and rules aside). Such a problem is infeasible whatever the rules say."""
        d = self.data
        capacity, saving = self.most_in()
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

    def most_in(self) -> tuple[dict[MT, float], dict[MT, float]]:
        """The most tonnes each (material, period) can come in: by capacity, by substitution."""
        d = self.data
        capacity: dict[MT, float] = {}
        most = d.supply_capacity
        for cell in self.supply:
            mt = cell[1:]
            capacity[mt] = capacity.get(mt, 0.0) + most(cell)
        for (_, m, t), builds in d.new_supply.items():
            capacity[m, t] = capacity.get((m, t), 0.0) + d.most_new(builds)
        for (f, t), builds in d.new_feed.items():
            for m, per_tonne in d.yields[f].items():
                capacity[m, t] = capacity.get((m, t), 0.0) + per_tonne * d.most_new(builds)
        saving: dict[MT, float] = {}
        for (k, t), existing in d.sub_capacity.items():
            units = existing + d.most_new(d.new_units.get((k, t), ()))
            for m, per_unit in d.saves[k].items():
                saving[m, t] = saving.get((m, t), 0.0) + units * per_unit
        return capacity, saving

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
        for c, share in self.data.problem.security.max_country_share.items():
            if share >= 1:
                continue  # a share of all purchases cannot exceed 1: the row cannot bind
            for (m, t), sellers in self.supply_by_mt.items():
                own, others = self.share_terms(c, share, sellers)
                if own:
                    self.add(
                        Rule.MAX_SHARE,
                        (c, m, t),
                        own + others,
                        pulp.LpConstraintLE,
                        0.0,
                        subject=c,
                        parameter=share,
                        share_of=self.group_read(c, m, t),
                    )

    def group_read(self, c: str, m: str, t: str) -> tuple[Entries, Entries] | None:
        """A group's max_share row is read from (its countries' tonnes, all tonnes), as a
        stage rule's; None for a country's (read off the shares table)."""
        if c not in self.data.problem.country_groups:
            return None
        return self.bought(m, t, self.data.problem.members(c)), self.bought(m, t)

    def share_terms(
        self, c: str, share: float, sellers: list[tuple[str, Entries]]
    ) -> tuple[Entries, Entries]:
        """Tonnes from c less share x all tonnes: a - share x a for c's terms (first), -share x
        a for the others'."""
        country, members = self.data.country, self.data.problem.members(c)
        own = [(v, a - share * a) for s, ts in sellers if country[s] in members for v, a in ts]
        others = [(v, -share * a) for s, ts in sellers if country[s] not in members for v, a in ts]
        return own, others

    def cover_without(self) -> None:
        d = self.data
        for rule in d.problem.security.min_cover_without:
            c = rule.who
            for m in rule.materials or d.materials:
                for t in d.periods:
                    need = rule.share * d.demand[m, t]
                    if need <= 0:
                        continue
                    terms, initial = self.opening(m, t)
                    terms += self.without(rule, m, t) + self.saved(m, t)
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

    def without(self, rule: CoverRule, m: str, t: str) -> Entries:
        """Tonnes of (m, t) delivered without the rule's country: from its other sources, or
        with a stage, down the paths that have no node of the country at that stage."""
        members = self.data.problem.members(rule.who)
        if rule.stage is None:
            return self.bought(m, t, members, without=True)
        elsewhere = _elsewhere(self.data, rule.stage, members)
        return self.at_stage(self.data.stages[-1], (m, t), elsewhere, False)[0]

    def stock_cover(self) -> None:
        """Closing stock at least the target. A strategic stock may fall below it: the tonnes
        below beyond the period's shortage, ``gap(m,t)``, cost ``below_target_cost`` (while a
        material goes short, no tonne could have rebuilt its stock that demand did not need
        more, so a gap as large as the shortage costs nothing more)."""
        d = self.data
        for (m, t), cover in d.stock_cover.items():
            need = cover * d.demand[m, t]
            if need > 0:
                self.add(
                    Rule.STOCK_COVER,
                    (m, t),
                    self.held(m, t),
                    pulp.LpConstraintGE,
                    need,
                    parameter=cover,
                    per_point=0.01 * d.demand[m, t],
                )

    def held(self, m: str, t: str) -> Entries:
        """Closing stock, and for a strategic stock its charged gap and shortage."""
        terms: Entries = [(self.stock[m, t], 1.0)]
        if (m, t) in self.gap:
            terms += [(v[m, t], 1.0) for v in (self.gap, self.short) if (m, t) in v]
        return terms

    def stock_end(self) -> None:
        """At the end, every tonne a strategic stock is below target, ``below(m,t)``, costs
        what rebuilding it after the horizon costs (the terminal price), shortage or not."""
        d = self.data
        for (m, t), below in self.below.items():
            need = d.stock_cover[m, t] * d.demand[m, t]
            terms = [(self.stock[m, t], 1.0), (below, 1.0)]
            self.add(Rule.STOCK_END, (m, t), terms, pulp.LpConstraintGE, need)

    def caps(self) -> None:
        for row in self.data.caps:
            self.add(
                Rule.CAP,
                (row.cap, row.material, row.period),
                self.delivered(row.cells) + self.taken_in(row.facility, row.taken),
                pulp.LpConstraintLE,
                row.limit,
                subject=row.cap,
                parameter=row.share,
                per_point=0.0 if row.share is None else 0.01 * row.capacity,
            )

    def contracts(self) -> None:
        for row in self.data.contracts:
            index = (row.contract, row.material, row.period)
            terms = self.delivered(row.cells)
            if index in self.shortfall:
                terms.append((self.shortfall[index], 1.0))
            self.add(
                Rule.CONTRACT,
                index,
                terms,
                pulp.LpConstraintEQ if row.fixed else pulp.LpConstraintGE,
                row.tonnes,
                subject=row.contract,
                meaning=f"the contract asks for {row.tonnes:g} t but {row.source} cannot deliver "
                f"any of {row.material} in {row.period}",
            )

    def separation(self) -> None:
        """All a source delivers at most its plant's size, with the expansions serving."""
        d = self.data
        for (s, t), most in d.separation.items():
            terms = self.delivered((s, m, t) for m in d.materials)
            terms += self.serving(d.new_separation.get((s, t), ()))
            self.add(
                Rule.SEPARATION, (s, t), terms, pulp.LpConstraintLE, most, subject=s, material=""
            )

    def chain(self) -> None:
        """What a source before the last stage delivers is sent down its paths, all of it."""
        by_cell: dict[SMT, Entries] = {}
        for (label, m, t), v in self.flow.items():
            by_cell.setdefault((label.split(PATH_JOIN)[0], m, t), []).append((v, 1.0))
        for (s, m, t), flows in by_cell.items():
            terms = flows + [(v, -a) for v, a in self.supply[s, m, t]]
            self.add(Rule.CHAIN, (s, m, t), terms, pulp.LpConstraintEQ, 0.0, subject=s)

    def facilities(self) -> None:
        """A facility takes in at most its capacity, of every path through it together."""
        d = self.data
        for (f, t), most in d.facility_capacity.items():
            terms = self.taken_in(f, [(m, t) for m in d.materials])
            terms += self.serving(d.new_facility.get((f, t), ()))
            self.add(
                Rule.FACILITY, (f, t), terms, pulp.LpConstraintLE, most, subject=f, material=""
            )

    def taken_in(self, facility: str | None, cells: Iterable[MT]) -> Entries:
        """What ``facility`` takes in of ``cells`` (material, period): every path through it
        (none without a facility)."""
        cells = list(cells)
        return [
            (self.flow[key], path.taken_in(i))
            for path, i in self.data.passing.get(facility or "", [])
            for m, t in cells
            if (key := (path.label, m, t)) in self.flow
        ]

    def stage_shares(self) -> None:
        """A country's or group's share of a stage, at most or at least (in tonnes or value)."""
        d = self.data
        for rule in d.problem.security.stage_shares:
            kind = Rule.STAGE_MAX if rule.max_share is not None else Rule.STAGE_MIN
            counts = _there(d.problem.members(rule.who))
            for stage in rule.stages_of(d.stages):
                for m, t, share in rule.shares(list(d.materials), list(d.periods)):
                    read = self.at_stage(stage, (m, t), counts, rule.measure == "value")
                    self.share_row(kind, (rule.who, stage, m, t), read, share, rule.default_id)

    def origin_shares(self) -> None:
        """At most or at least a share of the last stage (in tonnes or value) passed through a
        country or group at any stage."""
        d = self.data
        for rule in d.problem.security.origin_shares:
            kind = Rule.ORIGIN if rule.max_share is not None else Rule.ORIGIN_MIN
            counts = _through(d.problem.members(rule.who))
            for m, t, share in rule.shares(list(d.materials), list(d.periods)):
                read = self.at_stage(d.stages[-1], (m, t), counts, rule.measure == "value")
                self.share_row(kind, (rule.who, m, t), read, share, rule.default_id)

    def at_stage(
        self, stage: str, cell: MT, counts: Callable[[Path, int], bool], value: bool
    ) -> tuple[Entries, Entries]:
        """(terms the rule counts, all terms) of ``stage`` in ``cell``: every path's tonnes
        (or value) at its node there."""
        own: Entries = []
        total: Entries = []
        for path, entered in self.entering.get(cell, []):
            j = self.data.node_at(path.stages[0], stage)
            weight = self.data.weight(path, j, cell, value)
            scaled = [(v, a * weight) for v, a in entered]
            total += scaled
            own += scaled if counts(path, j) else []
        return own, total

    def share_row(
        self,
        rule: Rule,
        index: tuple[str, ...],
        read: tuple[Entries, Entries],
        share: float,
        ident: str,
    ) -> None:
        """own - share x total, at most 0 (a largest share) or at least 0 (a least share)."""
        own, total = read
        sense, loose = _LOOSEST[rule]
        if share == loose or not (own or sense == GE):
            return  # a largest share of 1 or a least of 0, or nothing counted: it holds
        terms = own + [(v, -share * a) for v, a in total]
        self.add(rule, index, terms, sense, 0.0, subject=ident, parameter=share, share_of=read)

    @functools.cached_property
    def entering(self) -> dict[MT, list[tuple[Path, Entries]]]:
        """(material, period) -> every path with the tonnes entering it: its flow, or what
        its source delivers for a source at the last stage."""
        found: dict[MT, list[tuple[Path, Entries]]] = {}
        for path in self.data.paths:
            for s, m, t in self.by_source.get(path.source, []):
                key = (path.label, m, t)
                entered = [(self.flow[key], 1.0)] if key in self.flow else self.supply[s, m, t]
                found.setdefault((m, t), []).append((path, entered))
        return found

    def ramp(self) -> None:
        """Use grows by at most max_increase + max_growth x the use of the period before."""
        d = self.data
        for k, (increase, growth, initial) in d.ramp.items():
            before: int | None = None
            for i, t in enumerate(d.periods):
                u = self.sub.get((k, t))
                if u is not None:
                    terms: Entries = [(u, 1.0)]
                    if before is not None:
                        terms.append((before, -(1 + growth)))
                    most = increase + ((1 + growth) * initial if i == 0 else 0.0)
                    self.add(
                        Rule.RAMP, (k, t), terms, pulp.LpConstraintLE, most, subject=k, material=""
                    )
                before = u

    def sub_share(self) -> None:
        """A substitute avoids at most its share of a material's demand."""
        d = self.data
        for (k, m, t), share in d.sub_share.items():
            u, per_unit = self.sub.get((k, t)), d.saves[k].get(m, 0.0)
            if u is None or per_unit <= 0 or share >= 1:
                continue  # nothing to limit, or net_demand already does it
            self.add(
                Rule.SUB_SHARE,
                (k, m, t),
                [(u, per_unit)],
                pulp.LpConstraintLE,
                share * d.demand[m, t],
                subject=k,
                parameter=share,
                per_point=0.01 * d.demand[m, t],
            )

    def serving(self, builds: Iterable[tuple[str, str]]) -> Entries:
        """Minus the capacity per period ``builds`` add (to move to a row's left-hand side)."""
        d = self.data
        return [(self.build[key], -d.option(key[0]).per_period) for key in builds]

    def most(self, rule: Rule, index: tuple[str, str], terms: Entries, limit: float) -> None:
        """A ``<=`` row of no material on (subject, period) ``index``."""
        self.add(rule, index, terms, pulp.LpConstraintLE, limit, subject=index[0], material="")

    def capacity(self) -> None:
        """Tonnes (units) used at most the capacity there was plus the new capacity serving."""
        d = self.data
        for (s, m, t), builds in d.new_supply.items():
            terms: Entries = [(self.buy[s, m, t], 1.0), *self.serving(builds)]
            width = d.segments[s, m, t][0].width
            self.add(Rule.CAPACITY, (s, m, t), terms, pulp.LpConstraintLE, width, subject=s)
        for (k, t), builds in d.new_units.items():
            terms = [(self.sub[k, t], 1.0), *self.serving(builds)]
            most = d.sub_capacity[k, t]
            self.most(Rule.CAPACITY, (k, t), terms, most)
        for (f, t), builds in d.new_feed.items():  # tonnes of feed
            terms = [(self.feed[f, t], 1.0), *self.serving(builds)]
            s = d.feed_source[f]
            self.add(
                Rule.CAPACITY,
                (s, f, t),
                terms,
                pulp.LpConstraintLE,
                d.feed_capacity[f, t],
                subject=s,
                material="",
            )

    def build_limit(self) -> None:
        """An option builds at most its largest size over the horizon (one decision period:
        the variable's bound does it)."""
        for o in self.data.options:
            if len(o.decided) > 1:
                terms = [(self.build[o.id, t], 1.0) for t in o.decided]
                label = o.decided[0] + ".." + o.decided[-1]
                self.most(Rule.BUILD_LIMIT, (o.id, label), terms, o.max_size)

    def budget(self) -> None:
        """The capital of the options a budget covers, decided in its periods, at most it."""
        d = self.data
        for row in d.budgets:
            terms = [
                (v, d.option(ident).capital)
                for (ident, t), v in self.build.items()
                if t in row.periods and row.investor in (None, d.option(ident).investor)
            ]
            self.most(Rule.BUDGET, (row.subject, row.label), terms, row.limit)

    def unit_size(self) -> None:
        """A lumpy option's build is its whole units times their size."""
        for (ident, t), n in self.units.items():
            size = self.data.option(ident).unit_size or 0.0
            terms = [(self.build[ident, t], 1.0), (n, -size)]
            self.add(
                Rule.UNIT_SIZE,
                (ident, t),
                terms,
                pulp.LpConstraintEQ,
                0.0,
                subject=ident,
                material="",
            )

    def lots(self) -> None:
        """A cell with a minimum lot delivers nothing, or from the lot to the most it can."""
        d = self.data
        for (s, m, t), y in self.use.items():
            delivered = self.supply[s, m, t]
            most = d.most_supplied((s, m, t))
            most_terms = [*delivered, (y, -most)]
            self.add(Rule.USE, (s, m, t), most_terms, pulp.LpConstraintLE, 0.0, subject=s)
            if (s, m, t) in d.min_lot:
                lot_terms = [*delivered, (y, -d.min_lot[s, m, t])]
                self.add(Rule.MIN_LOT, (s, m, t), lot_terms, pulp.LpConstraintGE, 0.0, subject=s)

    def suppliers(self) -> None:
        """At most N sources deliver a material in a period; at least N deliver their lot."""
        d = self.data
        for rule, counts, sense in (
            (Rule.MAX_SUPPLIERS, d.max_suppliers, pulp.LpConstraintLE),
            (Rule.MIN_SUPPLIERS, d.min_suppliers, pulp.LpConstraintGE),
        ):
            for m, count in counts.items():
                for t in d.periods:
                    terms = [
                        (y, 1.0)
                        for (s, material, period), y in self.use.items()
                        if (material, period) == (m, t)
                        and (rule is Rule.MAX_SUPPLIERS or (s, m, t) in d.min_lot)
                    ]
                    meaning = f"fewer than {count} sources can deliver their lot of {m} in {t}"
                    self.add(rule, (m, t), terms, sense, float(count), meaning=meaning)

    def qualification(self) -> None:
        """A source with a qualification cost delivers nothing over the horizon unless
        qualified (big-M: the most it can deliver over the horizon)."""
        d = self.data
        for s, q in self.qualified.items():
            cells = self.by_source.get(s, [])
            terms = [term for cell in cells for term in self.supply[cell]]
            most = sum(d.most_supplied(cell) for cell in cells)
            index = (s, f"{d.periods[0]}..{d.periods[-1]}")
            self.add(
                Rule.QUALIFICATION,
                index,
                [*terms, (q, -most)],
                pulp.LpConstraintLE,
                0.0,
                subject=s,
                material="",
            )

    def band_tonnes(self, s: str, m: str, j: int, t: str) -> int:
        """The tonnes bought in band ``j`` (from 1) of (s, m, t)."""
        return self.buy[s, m, t] if j == 1 else self.tier[s, m, str(j), t]

    def discounts(self) -> None:
        """An all-unit discount: the first band (from 0) holds tonnes only if no other band is
        chosen, and the tonnes bought at a later band's price lie between its start and its
        top if it is chosen, and are 0 if not. So one band at most holds tonnes, and a band is
        chosen exactly when it does (the first has no decision of its own)."""
        d = self.data
        for (s, m, t), starts in d.discounts.items():
            bands = list(zip(starts, d.segments[s, m, t], strict=True))
            first = bands[0][1].width
            others = []
            for j, (start, band) in enumerate(bands[1:], 2):
                z, q = self.band[s, m, str(j), t], self.band_tonnes(s, m, j, t)
                index = (s, m, str(j), t)
                top = [(q, 1.0), (z, -band.width)]
                self.add(
                    Rule.DISCOUNT_TOP, index, top, pulp.LpConstraintLE, 0.0, subject=s, material=m
                )
                low = [(q, 1.0), (z, -start)]
                self.add(
                    Rule.DISCOUNT_FROM, index, low, pulp.LpConstraintGE, 0.0, subject=s, material=m
                )
                others.append((z, first))
            terms = [(self.band_tonnes(s, m, 1, t), 1.0), *others]
            self.add(Rule.DISCOUNT, (s, m, t), terms, pulp.LpConstraintLE, first, subject=s)

    def statement(self) -> "Statement":
        stated = StatedLp(
            self.names,
            self.lower,
            self.upper,
            self.integer,
            (array("q", self.cost), array("d", self.cost.values())),
            self.row_names,
            self.lengths,
            self.index,
            self.value,
            self.rhs,
            self.sense,
        )
        columns: dict[str, dict[Any, int]] = {name: getattr(self, name) for name in VARIABLE_MAPS}
        return Statement(
            self.data, stated, columns, self.supply, tuple(self.rows), tuple(self.impossible)
        )


class RowStatement(NamedTuple):
    """A row as :func:`state` states it: a :class:`Row` before its constraint is made, the two
    sums of a share row by column number."""

    name: str
    rule: Rule
    subject: str
    material: str
    period: str
    parameter: float | None
    shift: float
    per_point: float
    share_of: tuple[Entries, Entries] | None


@dataclass(frozen=True)
class Statement:
    """The LP of a problem stated as numbers (:func:`state`): the LP itself, and what its
    columns and rows stand for. :meth:`objects` makes the PuLP model of it, an :class:`LpModel`."""

    data: ProblemData
    lp: StatedLp
    columns: dict[str, dict[Any, int]]
    """Each of :class:`LpModel`'s maps of variables (``buy``, ``stock``...) by field name, to
    column numbers."""
    supply: dict[SMT, Entries]
    rows: tuple[RowStatement, ...]
    """What each of the LP's rows stands for, in its order."""
    impossible: tuple[Impossible, ...]

    def new_lp(self) -> pulp.LpProblem:
        """An empty PuLP problem named after the problem."""
        return pulp.LpProblem(_lp_name(self.data.problem.name))

    def objects(self, lp: pulp.LpProblem | None = None) -> LpModel:
        """The PuLP model, in a problem of its own or, with ``lp``, added to that problem
        (whose objective stays: see :func:`build`); once (:meth:`model`)."""
        target = self.new_lp() if lp is None else lp
        return self.model(target, self.lp.objects(target, objective=lp is None))

    @paused
    def model(self, lp: pulp.LpProblem, made: Made) -> LpModel:
        """The :class:`LpModel` of ``made``, this statement's PuLP objects in ``lp``.

        The statement's maps of columns and its supply become the model's, their column numbers
        turned into variables in place, so that a large model is not held twice: a statement
        makes one model (:func:`state` the problem again for another).

        Raises:
            ArgumentError: this statement has made its model already.
        """
        if not self.columns:
            raise ArgumentError("this statement has made its model already: state it again")
        variables = made.variables

        def sum_of(entries: Entries) -> pulp.LpAffineExpression:
            pairs = _coefficients(entries).items()
            return pulp.LpAffineExpression([(variables[j], a) for j, a in pairs])

        rows = tuple(
            Row(
                *row[:5],
                constraint,
                *row[5:8],
                None if read is None else (sum_of(read[0]), sum_of(read[1])),
            )
            for row, constraint in zip(self.rows, made.constraints, strict=True)
            for read in [row.share_of]
        )
        maps = {}
        while self.columns:
            name, found = self.columns.popitem()
            maps[name] = {key: variables[j] for key, j in found.items()}
            del found  # its numbers go as its variables come
        supply: dict[SMT, Any] = self.supply
        for terms in supply.values():
            terms[:] = [(variables[j], a) for j, a in terms]
        return LpModel(
            self.data,
            lp,
            supply=supply,
            rows=rows,
            impossible=self.impossible,
            objective=made.cost,
            **maps,
        )


def _there(members: frozenset[str]) -> Callable[[Path, int], bool]:
    """Whether a path's node counts for a stage rule: it stands in one of ``members``."""
    return lambda path, j: path.countries[j] in members


def _through(members: frozenset[str]) -> Callable[[Path, int], bool]:
    """Whether a path counts for an origin rule: it passed through one of ``members``."""
    return lambda path, j: not members.isdisjoint(path.countries)


def _elsewhere(
    data: ProblemData, stage: str, countries: Collection[str]
) -> Callable[[Path, int], bool]:
    """Whether a path counts for a cover without ``countries`` at ``stage``: its node there
    stands elsewhere."""
    return lambda path, j: path.countries[data.node_at(path.stages[0], stage)] not in countries


def _lp_name(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() else "_" for ch in name)
    return cleaned or "optiree"


@paused
def state(data: ProblemData, prefix: str = "") -> "Statement":
    """State the LP of ``data`` as numbers, before any PuLP object: its columns with their
    bounds, the objective and every row (:meth:`Statement.objects` makes the PuLP model)."""
    builder = _Builder(data, prefix)
    builder.objective()
    builder.supply_gaps()
    builder.balance()
    builder.net_demand()
    builder.max_share()
    builder.cover_without()
    builder.stock_cover()
    builder.stock_end()
    builder.caps()
    builder.contracts()
    builder.separation()
    builder.chain()
    builder.facilities()
    builder.stage_shares()
    builder.origin_shares()
    builder.ramp()
    builder.sub_share()
    if data.options:
        builder.capacity()
        builder.build_limit()
        builder.budget()
    builder.unit_size()
    builder.lots()
    builder.qualification()
    builder.suppliers()
    builder.discounts()
    return builder.statement()


def build(data: ProblemData, lp: pulp.LpProblem | None = None, prefix: str = "") -> LpModel:
    """Build the LP of ``data``: variables with their bounds, the objective and every row.

    With ``lp``, the variables and rows are added to that problem (which keeps its own
    objective: ``LpModel.objective`` is this model's cost, to weigh into it), their names
    starting with ``prefix``: several scenarios can then share one LP. The duals of such a
    shared LP are those of the whole (weighted by the objective's coefficients), so read a
    scenario's shadow prices from a model of its own, not with ``optimal_result`` on this one.
    """
    return state(data, prefix).objects(lp)


# -- the input number behind each rule's rows -----------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """The input number a rule's row comes from, and how to set it: what a diagnosis changes.

    Read by :func:`setting`; each rule that can give has its functions in :data:`SETTINGS`."""

    rule: Rule
    subject: str
    """The country, cap or contract id, or the material (demand and stock cover)."""
    period: str | None
    """The period the number is for; None when one number holds for every period."""
    path: str
    """Where the number is in the input, e.g. ``caps.1.max_tonnes``."""
    current: float
    setter: "Callable[[Problem, str, str | None, float], Problem]"
    """Sets the number of (subject, period) in a problem (derived, so validated again)."""
    upper: float = math.inf
    """Largest valid value (1 for a share)."""
    scale: float = 1.0
    """Input units per unit of the row's parameter: days per period for a cover in days."""
    exact: bool = False
    """An equation's number (``fixed_tonnes``): set to what a plan takes, with no margin, since
    either side of it would leave that plan."""

    def put(self, problem: Problem, value: float) -> Problem:
        """``problem`` with this number set to ``value``."""
        return self.setter(problem, self.subject, self.period, value)


def _demand_setting(
    problem: Problem, material: str, period: str | None, parameter: float | None
) -> Setting:
    if period is None:
        raise ArgumentError(f"no input field for the demand of {material}: it needs its period")
    path, current = f"demand.{material}.{period}", float(parameter or 0.0)
    return Setting(Rule.BALANCE, material, period, path, current, _set_demand)


def _set_demand(problem: Problem, material: str, period: str | None, value: float) -> Problem:
    """Demand of ``material`` in ``period``: one number for all periods becomes a mapping."""
    given = problem.demand[material]
    per_period = given if isinstance(given, dict) else dict.fromkeys(problem.periods, given)
    changed = {**problem.demand, material: per_period | {str(period): value}}
    return problem.derive(demand=changed)


def _max_share_setting(
    problem: Problem, country: str, period: str | None, parameter: float | None
) -> Setting:
    path = f"security.max_country_share.{country}"
    current = float(parameter or 0.0)
    return Setting(Rule.MAX_SHARE, country, None, path, current, _set_max_share, upper=1.0)


def _set_max_share(problem: Problem, country: str, period: str | None, value: float) -> Problem:
    shares = {**problem.security.max_country_share, country: value}
    return problem.derive(security=problem.security.derive(max_country_share=shares))


def _cover_without_setting(
    problem: Problem, country: str, period: str | None, parameter: float | None
) -> Setting:
    path = f"security.min_cover_without.{_cover_index(problem, country)}.share"
    current = float(parameter or 0.0)
    return Setting(Rule.COVER_WITHOUT, country, None, path, current, _set_cover, upper=1.0)


def _set_cover(problem: Problem, country: str, period: str | None, value: float) -> Problem:
    i = _cover_index(problem, country)
    rules = list(problem.security.min_cover_without)
    rules[i] = rules[i].derive(share=value)
    return problem.derive(security=problem.security.derive(min_cover_without=rules))


def _cover_index(problem: Problem, country: str) -> int:
    countries = [rule.who for rule in problem.security.min_cover_without]
    return _index(countries, country, f"min_cover_without rule for {country!r}")


def _stock_cover_setting(
    problem: Problem, material: str, period: str | None, parameter: float | None
) -> Setting:
    key = _stock_key(problem, material)
    at = period if isinstance(getattr(problem.security, key)[material], dict) else None
    scale = (problem.period_days or 1.0) if key == "min_stock_days" else 1.0
    path = f"security.{key}.{material}" + (f".{at}" if at is not None else "")
    current = float(parameter or 0.0) * scale
    return Setting(Rule.STOCK_COVER, material, at, path, current, _set_stock, scale=scale)


def _stock_key(problem: Problem, material: str) -> str:
    """Where the stock target of ``material`` is given: in days, or in periods of demand."""
    return "min_stock_days" if material in problem.security.min_stock_days else "min_stock_cover"


def _set_stock(problem: Problem, material: str, period: str | None, value: float) -> Problem:
    key = _stock_key(problem, material)
    targets = getattr(problem.security, key)
    target = value if period is None else {**targets[material], period: value}
    changed = problem.security.derive(**{key: {**targets, material: target}})
    return problem.derive(security=changed)


def _cap_setting(
    problem: Problem, cap_id: str, period: str | None, parameter: float | None
) -> Setting:
    i = _cap_index(problem, cap_id)
    key = _cap_key(problem, i)
    current = float(getattr(problem.caps[i], key) or 0.0)
    upper = 1.0 if key == "max_share_of_capacity" else math.inf
    return Setting(Rule.CAP, cap_id, None, f"caps.{i}.{key}", current, _set_cap, upper=upper)


def _cap_index(problem: Problem, cap_id: str) -> int:
    return _index([problem.cap_id(i) for i in range(len(problem.caps))], cap_id, f"cap {cap_id!r}")


def _cap_key(problem: Problem, i: int) -> str:
    """What the cap sets: a share of capacity, or tonnes."""
    by_share = problem.caps[i].max_share_of_capacity is not None
    return "max_share_of_capacity" if by_share else "max_tonnes"


def _set_cap(problem: Problem, cap_id: str, period: str | None, value: float) -> Problem:
    i = _cap_index(problem, cap_id)
    caps = list(problem.caps)
    caps[i] = caps[i].derive(**{_cap_key(problem, i): value})
    return problem.derive(caps=caps)


def _contract_setting(
    problem: Problem, contract_id: str, period: str | None, parameter: float | None
) -> Setting:
    i = _contract_index(problem, contract_id)
    exact = problem.contracts[i].fixed_tonnes is not None
    key = _contract_key(problem, i)
    path, current = f"contracts.{i}.{key}", float(getattr(problem.contracts[i], key) or 0.0)
    return Setting(Rule.CONTRACT, contract_id, None, path, current, _set_contract, exact=exact)


def _contract_index(problem: Problem, contract_id: str) -> int:
    ids = [problem.contract_id(i) for i in range(len(problem.contracts))]
    return _index(ids, contract_id, f"contract {contract_id!r}")


def _contract_key(problem: Problem, i: int) -> str:
    """What the contract sets: a fixed volume, or a minimum."""
    return "min_tonnes" if problem.contracts[i].fixed_tonnes is None else "fixed_tonnes"


def _set_contract(problem: Problem, contract_id: str, period: str | None, value: float) -> Problem:
    i = _contract_index(problem, contract_id)
    contracts = list(problem.contracts)
    contracts[i] = contracts[i].derive(**{_contract_key(problem, i): value})
    return problem.derive(contracts=contracts)


def _budget_setting(
    problem: Problem, subject: str, period: str | None, parameter: float | None
) -> Setting:
    i = _budget_index(problem, subject)
    key, at = _budget_key(problem, i, period)
    path = f"budgets.{i}.{key}" + (f".{at}" if at is not None else "")
    given = getattr(problem.budgets[i], key)
    current = float(given if at is None and not isinstance(given, dict) else given[at])
    return Setting(Rule.BUDGET, subject, at, path, current, _set_budget)


def _budget_index(problem: Problem, subject: str) -> int:
    subjects = [b.investor or "all" for b in problem.budgets]
    return _index(subjects, subject, f"budget for {subject!r}")


def _budget_key(problem: Problem, i: int, period: str | None) -> tuple[str, str | None]:
    """Which number of ``budgets[i]`` a row in ``period`` reads: its total (a row over the
    horizon), its per-period number, or that of ``period`` in a per-period dict."""
    budget = problem.budgets[i]
    if period is None or period not in problem.periods:
        return "total", None
    return "per_period", period if isinstance(budget.per_period, dict) else None


def _set_budget(problem: Problem, subject: str, period: str | None, value: float) -> Problem:
    i = _budget_index(problem, subject)
    key, at = _budget_key(problem, i, period)
    given = getattr(problem.budgets[i], key)
    budgets = list(problem.budgets)
    budgets[i] = budgets[i].derive(**{key: value if at is None else {**given, at: value}})
    return problem.derive(budgets=budgets)


_SHARE_KEYS = {
    Rule.STAGE_MAX: ("stage_shares", "max_share", "stage_rule_id"),
    Rule.STAGE_MIN: ("stage_shares", "min_share", "stage_rule_id"),
    Rule.ORIGIN: ("origin_shares", "max_share", "origin_rule_id"),
    Rule.ORIGIN_MIN: ("origin_shares", "min_share", "origin_rule_id"),
}
"""Where each stage and origin rule's share is: its list, its field, its id's method."""


def _rule_share_setting(rule: Rule) -> Callable[[Problem, str, str | None, float | None], Setting]:
    """The setting of a stage or origin rule's share, named by the rule's id."""

    def find(problem: Problem, ident: str, period: str | None, parameter: float | None) -> Setting:
        listed, key, _ = _SHARE_KEYS[rule]
        i = _rule_index(problem, rule, ident)
        at = period if isinstance(getattr(_share_rules(problem, rule)[i], key), dict) else None
        path = f"security.{listed}.{i}.{key}" + (f".{at}" if at is not None else "")
        return Setting(rule, ident, at, path, float(parameter or 0.0), setter, upper=1.0)

    def setter(problem: Problem, ident: str, period: str | None, value: float) -> Problem:
        listed, key, _ = _SHARE_KEYS[rule]
        i = _rule_index(problem, rule, ident)
        rules = list(_share_rules(problem, rule))
        given = getattr(rules[i], key)
        rules[i] = rules[i].derive(**{key: value if period is None else {**given, period: value}})
        return problem.derive(security=problem.security.derive(**{listed: rules}))

    return find


def _share_rules(problem: Problem, rule: Rule) -> list[Any]:
    return list(getattr(problem.security, _SHARE_KEYS[rule][0]))


def _rule_index(problem: Problem, rule: Rule, ident: str) -> int:
    name_of = getattr(problem, _SHARE_KEYS[rule][2])
    ids = [name_of(i) for i in range(len(_share_rules(problem, rule)))]
    return _index(ids, ident, f"{rule.value} rule {ident!r}")


SETTINGS: dict[Rule, Callable[[Problem, str, str | None, float | None], Setting]] = {
    Rule.BALANCE: _demand_setting,
    Rule.MAX_SHARE: _max_share_setting,
    Rule.COVER_WITHOUT: _cover_without_setting,
    Rule.STOCK_COVER: _stock_cover_setting,
    Rule.CAP: _cap_setting,
    Rule.CONTRACT: _contract_setting,
    Rule.BUDGET: _budget_setting,
    **{rule: _rule_share_setting(rule) for rule in _SHARE_KEYS},
}
"""How to find, and set, the input number behind a row of each rule that can give (the
physical rules never do)."""


def setting(
    problem: Problem, rule: Rule, subject: str, period: str | None, parameter: float | None = None
) -> Setting:
    """The input number of ``problem`` behind the rows of ``rule`` on ``subject`` (the
    material for demand and stock cover) in ``period``; ``parameter`` is the row's own (its
    share, cover or demand), read as the current value where the row has it.

    Raises:
        ArgumentError: ``problem`` has no such rule (a diagnosis applied to another problem).
    """
    return SETTINGS[rule](problem, subject, period, parameter)


def _index(ids: list[str], wanted: str, what: str) -> int:
    """Where ``wanted`` is in ``ids``, the ids of the problem's ``what``."""
    if wanted not in ids:
        raise ArgumentError(
            f"the problem has no {what}: apply a diagnosis to the problem it was made from"
        )
    return ids.index(wanted)
