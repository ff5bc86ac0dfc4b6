"""An independent checker of optiree results.

:func:`check` takes a :class:`optiree.Problem` and the :class:`optiree.Result` of solving it and
lists every way the result's tables break the problem: a demand not met, a capacity exceeded, a
cap, contract or security rule broken, a price or cost that is not the one the problem gives,
costs that do not add up to ``total_cost``, shadow prices that are not an optimal dual. It reads
only the tables and the problem's own fields: units, the scalar-or-per-period inputs,
``available_from``, tiers, floors and the prices are resolved here, again, without
``optiree.prepare``, ``optiree.model`` or ``optiree.units``, so a mistake there is not repeated
here.

Comparisons allow an error of ``TOLERANCE`` times the size of the numbers compared (at least 1),
so a plan in millions of tonnes is held to the same relative accuracy as one in tonnes.

The formulation checked (docs/formulation.md), in t REO after converting the problem's units
(demand x t REO per unit, prices / t REO per unit, other material quantities x 1 or 0.001),
every variable >= 0:

- x[s,m,t,j] tonnes bought in band j, at most the band's width: tier j runs from the previous
  tier's ``up_to`` to its own, cut at the capacity (one band of the capacity without tiers);
  none before ``available_from``; price max(tier price or multiplier x list price, floor),
  the floor ``price_floor`` or else ``price_floor_multiplier`` x the reference price;
- a material priced by ``discounts`` (all-unit): band j runs from its ``from_tonnes`` to the
  next band's (the capacity for the last), its price max(price, floor); for j >= 2
  x[s,m,t,j] <= top x d[s,m,t,j] and >= from x d, d binary; x[s,m,t,1] + top_1 x sum_{j>=2} d
  <= top_1 (rows discount_top, discount_from, discount); the total is paid at the price of
  the band it falls in;
- w[f,t] tonnes of feed, at most its capacity, at its price per tonne of feed;
  X[s,m,t] = sum_j x + sum_{f of s} yield[f,m] w[f,t] is what s delivers; every rule counts X;
- u[k,t] substitute units, at most the capacity; I[m,t] closing stock; z[m,t] shortage (only
  with a shortage penalty, at most the demand); v[m,t] sold on (a ``surplus`` entry with a
  positive salvage price, at most ``max_sold``); e[m,t] wasted (a positive ``disposal_cost``);
  o[G] take-or-pay shortfall of a contract row, at most its minimum b; g[m,t] the tonnes a
  strategic stock (a material with a ``below_target_cost`` beta[m]) is below its target beyond
  the period's shortage, where cover x demand > 0; b[m,T] its tonnes below target in the last
  period T, where z[m,T] also exists;
- balance:        I[m,t-1] + sum_s X + sum_k saves u + z - I[m,t] - v - e >= demand (= with a
                  disposal cost);
- net_demand:     sum_k saves[k,m] u + z <= demand[m,t];
- max_share:      sum_{s of c} X <= share * sum_s X;
- cover_without:  sum_{s not of c} X + sum_k saves u + I[m,t-1] >= share * demand[m,t];
- stock_cover:    I[m,t] + g[m,t] + z[m,t] >= cover[m,t] * demand[m,t] (cover = days /
                  period_days for ``min_stock_days``; a per-period cover is 0 where not listed;
                  g and z only for a strategic stock, z where it exists);
- stock_end:      I[m,T] + b[m,T] >= cover[m,T] * demand[m,T] (where b exists);
- cap:            sum over a group of cells (``sum_over``) and matching sources of X <= max_tonnes,
                  or <= share * sum of their most deliverable (capacity + yields x feed capacity);
                  on a facility, sum over the group's cells of what it takes in (F[path,i] p of
                  every path through it), within max_tonnes or share * its capacity in the
                  group's periods;
- contract:       sum over a group of the source's X + o >= min_tonnes (o only with
                  take-or-pay), or = fixed_tonnes;
- separation:     sum_m X[s,m,t] <= separation_capacity (a dict sets no limit where silent);
- ramp:           u[k,t] - (1 + growth) u[k,t-1] <= increase (u[k,t-1] is the initial use in the
                  first period, 0 where the substitute could not be used);
- sub_share:      saves[k,m] u[k,t] <= share[k,m,t] * demand[m,t] (a dict of shares sets no
                  limit where silent);
- capacity:       x[s,m,t,1] - sum lambda y[o,tau] <= capacity (or u[k,t] - ... <= substitute
                  capacity, or w[f,t] - ... <= feed capacity, in t of feed), over the builds
                  of options on (s,m), k or f decided in tau with tau + lead <= t, where the
                  source or substitute is available; lambda is period_days / 365; such an x,
                  u or w has no upper bound of its own (a feed cell it serves with no capacity
                  of its own is offered at 0 t, at the feed's price);
- separation:     with options on the plant of s: sum_m X[s,m,t] - sum lambda y[o,tau] <=
                  separation_capacity, in the periods the plant has a limit;
- build_limit:    sum_tau y[o,tau] <= max_size (an option with more than one period to decide
                  in: from ``earliest`` while tau + lead is within the horizon);
- budget:         sum capital[o] y[o,tau] over the budget's options and periods <= budget;
- with stages, p[path,m,t] tonnes entering each path from a source before the last stage
  through one facility per stage (source -> facility of the next stage -> ... -> the last);
  F[path] the product of the yields along it, F[path,i] that of the facilities before node i:
  chain:          sum_{paths of s} p - X[s,m,t] = 0, for a source before the last stage;
  facility:       sum_{paths through f, m} F[path,i] p - sum lambda y[o,tau] <= capacity[f,t]
                  (the options on f decided at least a lead before t);
  and wherever a rule above counts X of such a source towards demand (balance, max_share,
  cover_without) it counts sum_paths F[path] p instead (caps, contracts, separation count X);

with I[m,t-1] the initial stock in the first period. The constraints table's value and limit
are each row's two sides with the variables on the left, the opening stock moved to the value
side (balance, cover_without) and max_share read as tonnes from the country against share x
all tonnes. The objective is
sum band price x + sum feed price w + sum cost u + sum holding I + sum penalty z - sum salvage v
+ sum disposal e + sum take_or_pay o + sum beta g (beta b where there is no g)
+ sum terminal b[m,last period] + sum (capital + lambda x operating x the periods from
tau + lead to the last) y[o,tau]
+ sum processing[f] F[path,i] p (f at node i); terminal[m] is ``terminal_price``, else the
lowest price of a first tonne of m in the last period (the first band of each source, a feed's
price over its yield of m), failing that in any period, else 0.
"""

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pandas as pd

from optiree import Problem, Result

TOLERANCE = 1e-6
INTEGERS = ("n", "q", "Q", "d")
"""The kinds of integer variables (units built, a cell used, a source qualified, a discount
band chosen): fixed at
their values in the LP whose duals a MILP reports."""
"""Largest error allowed, relative to the size of the numbers compared (at least 1)."""

COLUMNS = {
    "costs": ["component", "item", "cost"],
    "purchases": [
        "source",
        "country",
        "material",
        "period",
        "tier",
        "tonnes",
        "capacity",
        "unit_price",
        "cost",
        "reduced_cost",
        "price_low",
        "price_high",
    ],
    "feeds": [
        "source",
        "country",
        "feed",
        "period",
        "tonnes",
        "capacity",
        "unit_price",
        "cost",
        "reduced_cost",
        "price_low",
        "price_high",
    ],
    "supply": ["source", "country", "material", "period", "bought", "from_feeds", "tonnes"],
    "substitution": ["substitute", "period", "units", "unit_cost", "cost"],
    "inventory": [
        "material",
        "period",
        "opening",
        "purchased",
        "substituted",
        "shortage",
        "demand",
        "sold",
        "closing",
        "surplus",
        "holding_cost",
        "sales",
        "disposal_cost",
        "below_target",
        "gap_charged",
        "below_target_cost",
    ],
    "shortage": ["material", "period", "demand", "tonnes", "penalty", "cost"],
    "shares": ["material", "period", "country", "tonnes", "share"],
    "constraints": [
        "constraint",
        "rule",
        "subject",
        "material",
        "period",
        "sense",
        "value",
        "limit",
        "slack",
        "shadow_price",
        "cost_per_point",
        "binding",
        "allowable_decrease",
        "allowable_increase",
    ],
}
"""The columns each table must have (written out here, not read from optiree)."""

SMT = tuple[str, str, str]
KT = tuple[str, str]
MT = tuple[str, str]
Var = tuple[str, ...]
"""A variable of the LP: ("x", s, m, t, j), ("w", f, t), ("u", k, t), ("I", m, t), ("z", m, t),
("v", m, t), ("e", m, t), ("b", m, t), ("g", m, t) or ("o", row name)."""
Terms = list[tuple[Var, float]]

MASS = {"t": 1.0, "kg": 0.001}
"""Tonnes per unit of mass (written out here, not read from optiree)."""


def value_in(value: float | Mapping[str, float] | None, period: str) -> float:
    """A scalar input, or a per-period dict in which a period not listed is 0."""
    if value is None:
        return 0.0
    if isinstance(value, Mapping):
        return float(value.get(period, 0.0))
    return float(value)


def given_in(value: float | Mapping[str, float] | None, period: str) -> float | None:
    """A scalar input, or a per-period dict's entry; None where nothing is given."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return float(value[period]) if period in value else None
    return float(value)


def periods_from(periods: list[str], first: str | None) -> list[str]:
    return list(periods) if first is None else list(periods[periods.index(first) :])


# -- units ----------------------------------------------------------------------------------------


def _times(value: Any, factor: float) -> Any:
    """A number or a per-period dict of numbers times ``factor``; None stays None."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return {key: v * factor for key, v in value.items()}
    return value * factor


def in_t_reo(problem: Problem) -> Problem:
    """``problem`` rewritten in t REO and money per t REO, as the Units table of the docs says.

    Demand is multiplied by the t REO in one unit of ``units.demand`` of its material, every
    price or cost of a material divided by the t REO in one unit of ``units.prices``, every other
    quantity of material multiplied by the tonnes in one ``units.quantities``. Feed tonnes and
    prices and substitute units and costs stay as they are. A take-or-pay price of a contract
    over several materials is converted by mass only.
    """
    units = problem.units
    if (units.demand, units.prices, units.quantities) == ("t REO", "t REO", "t REO"):
        return problem
    return _InTReo(problem).converted()


class _InTReo:
    """The factors of a problem's units to t REO, applied to its dumped document part by part."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.units = problem.units
        self.reo_per: dict[str, dict[str, float]] = {
            m.id: {"REO": 1.0} | {str(k): v for k, v in m.reo_per_tonne.items()}
            for m in problem.materials
        }
        self.quantity = MASS[self.units.quantities.split()[0]]

    def reo(self, unit: str, m: str) -> float:
        mass, basis = unit.split()
        return MASS[mass] * self.reo_per[m][basis]

    def demand(self, m: str) -> float:
        return self.reo(self.units.demand, m)

    def price(self, m: str) -> float:
        return 1.0 / self.reo(self.units.prices, m)

    def prices(self, by_material: dict[str, Any]) -> dict[str, Any]:
        return {m: _times(v, self.price(m)) for m, v in by_material.items()}

    def quantities(self, by_material: dict[str, Any]) -> dict[str, Any]:
        return {m: _times(v, self.quantity) for m, v in by_material.items()}

    def converted(self) -> Problem:
        d = self.problem.model_dump()
        d["units"] = {}
        d["demand"] = {m: _times(v, self.demand(m)) for m, v in d["demand"].items()}
        d["reference_prices"] = self.prices(d["reference_prices"])
        d["shortage_penalty"] = self.prices(d["shortage_penalty"])
        self.stock(d["stock"])
        for source in d["sources"]:
            self.source(source)
        for substitute in d["substitutes"]:
            substitute["saves"] = {m: a * self.quantity for m, a in substitute["saves"].items()}
        for cap in d["caps"]:
            cap["max_tonnes"] = _times(cap["max_tonnes"], self.quantity)
        for contract in d["contracts"]:
            self.contract(contract)
        for m, surplus in d["surplus"].items():
            self.surplus(m, surplus)
        for option in d["investments"]:  # a source's or facility's new capacity is a quantity
            if option["substitute"] is None and option["feed"] is None:  # a feed's: t of feed
                option["max_size"] *= self.quantity
                option["capital_cost"] /= self.quantity
                option["operating_cost"] /= self.quantity
                option["unit_size"] = _times(option["unit_size"], self.quantity)
        for facility in d["facilities"]:  # a quantity of material; its cost by mass alone
            facility["capacity"] = _times(facility["capacity"], self.quantity)
            facility["processing_cost"] /= MASS[self.units.prices.split()[0]]
        # Scenarios are not solved with the problem: leave them out rather than convert them.
        d["scenarios"] = []
        return Problem.model_validate(d)

    def stock(self, stock: dict[str, Any]) -> None:
        for key in ("holding_cost", "below_target_cost", "terminal_price"):
            stock[key] = self.prices(stock[key])
        stock["initial"] = self.quantities(stock["initial"])

    def source(self, source: dict[str, Any]) -> None:
        source["capacity"] = self.quantities(source["capacity"])
        source["prices"] = self.prices(source["prices"])
        source["price_floor"] = self.prices(source["price_floor"])
        for m, tiers in source["tiers"].items():
            for tier in tiers:
                tier["up_to"] = _times(tier["up_to"], self.quantity)
                tier["price"] = _times(tier["price"], self.price(m))
        for feed in source["feeds"]:
            feed["yields"] = {m: y * self.quantity for m, y in feed["yields"].items()}
        source["separation_capacity"] = _times(source["separation_capacity"], self.quantity)
        source["min_lot"] = self.quantities(source["min_lot"])
        for m, bands in source["discounts"].items():
            for band in bands:
                band["from_tonnes"] = band["from_tonnes"] * self.quantity
                band["price"] = band["price"] * self.price(m)

    def contract(self, contract: dict[str, Any]) -> None:
        sources = {s.id: s for s in self.problem.sources}
        contract["min_tonnes"] = _times(contract["min_tonnes"], self.quantity)
        contract["fixed_tonnes"] = _times(contract["fixed_tonnes"], self.quantity)
        covered = contract["materials"] or delivered(sources[contract["source"]])
        mass_only = 1.0 / MASS[self.units.prices.split()[0]]
        per = self.price(covered[0]) if len(covered) == 1 else mass_only
        contract["take_or_pay"] = _times(contract["take_or_pay"], per)

    def surplus(self, m: str, surplus: dict[str, Any]) -> None:
        surplus["salvage_price"] = _times(surplus["salvage_price"], self.price(m))
        surplus["disposal_cost"] = _times(surplus["disposal_cost"], self.price(m))
        surplus["max_sold"] = _times(surplus["max_sold"], self.quantity)


def delivered(source: Any) -> list[str]:
    """The materials a source can deliver: those it sells and those its feeds yield."""
    yields = [m for feed in source.feeds for m in feed.yields]
    return list(dict.fromkeys([*source.capacity, *yields]))


# -- the problem's numbers ------------------------------------------------------------------------


class Band(NamedTuple):
    width: float
    price: float


class Option(NamedTuple):
    """An investment option as the docs state it: y[o,tau] t (units) of yearly capacity
    decided in tau, from ``earliest`` to the last period that still serves (tau + lead within
    the horizon), costing capital + operating x per_period x the periods it stands."""

    id: str
    cell: tuple[str, ...]
    """(source, material), (substitute,), ("+feed", feed) or ("+separation", source)."""
    capital: float
    operating: float
    """Per t (unit) of yearly capacity per year."""
    lead: int
    max_size: float
    investor: str | None
    decided: list[str]
    per_period: float
    """period_days / 365."""


@dataclass(frozen=True)
class Group:
    """One cap or contract row: the cells it totals, the sources it counts and its bound."""

    name: str
    rule: str
    subject: str
    materials: tuple[str, ...]
    periods: tuple[str, ...]
    sources: tuple[str, ...]
    sense: str
    bound: float
    share: float | None = None
    capacity: float = 0.0
    take_or_pay: float | None = None
    facility: str | None = None
    """A cap on a facility counts what it takes in (``sources`` is empty)."""

    @property
    def cells(self) -> list[MT]:
        return [(m, t) for m in self.materials for t in self.periods]


def period_label(periods: list[str], chosen: tuple[str, ...]) -> str:
    """``P1`` for one period, ``P1..P4`` for a run of consecutive ones, else ``P1+P3``."""
    if len(chosen) == 1:
        return chosen[0]
    index = [periods.index(t) for t in chosen]
    if index == list(range(index[0], index[0] + len(index))):
        return f"{chosen[0]}..{chosen[-1]}"
    return "+".join(chosen)


def groups(
    materials: list[str], periods: list[str], sum_over: Sequence[str]
) -> Iterator[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The (materials, periods) totalled by each row of a cap or contract."""
    by_material = [(m,) for m in materials] if "materials" not in sum_over else [tuple(materials)]
    by_period = [(t,) for t in periods] if "periods" not in sum_over else [tuple(periods)]
    for ms in by_material:
        for ts in by_period:
            yield ms, ts


@dataclass
class Numbers:
    """A problem's inputs (in t REO) resolved to one number per index."""

    periods: list[str]
    materials: list[str]
    country: dict[str, str]
    capacity: dict[SMT, float] = field(default_factory=dict)
    """x-bar[s,m,t] on A: positive capacity, from ``available_from``."""
    bands: dict[SMT, list[Band]] = field(default_factory=dict)
    """The bands of each cell of A, band j at index j - 1 (zero widths kept)."""
    feed_source: dict[str, str] = field(default_factory=dict)
    yields: dict[str, dict[str, float]] = field(default_factory=dict)
    feed_capacity: dict[KT, float] = field(default_factory=dict)
    """w-bar[f,t] on B."""
    feed_price: dict[KT, float] = field(default_factory=dict)
    separation: dict[KT, float] = field(default_factory=dict)
    """Shared limit of each source with one, in every period it sets one."""
    sub_capacity: dict[KT, float] = field(default_factory=dict)
    sub_cost: dict[KT, float] = field(default_factory=dict)
    saves: dict[str, dict[str, float]] = field(default_factory=dict)
    demand: dict[MT, float] = field(default_factory=dict)
    initial: dict[str, float] = field(default_factory=dict)
    holding: dict[str, float] = field(default_factory=dict)
    penalty: dict[str, float] = field(default_factory=dict)
    salvage: dict[MT, float] = field(default_factory=dict)
    """r[m,t] where v[m,t] exists: a surplus entry, a positive salvage price and a positive
    (or no) sales limit."""
    max_sold: dict[MT, float] = field(default_factory=dict)
    """v-bar[m,t] where v exists (inf without a limit)."""
    disposal: dict[str, float] = field(default_factory=dict)
    """delta[m] > 0: the materials W whose balance is an equation."""
    cover: dict[MT, float] = field(default_factory=dict)
    """kappa[m,t] of min_stock_cover or min_stock_days / period_days."""
    below_cost: dict[str, float] = field(default_factory=dict)
    """beta[m]: the strategic stocks' cost per tonne below target per period."""
    terminal: dict[str, float] = field(default_factory=dict)
    """Cost per tonne of a strategic stock still below target at the end."""
    caps: dict[str, Group] = field(default_factory=dict)
    contracts: dict[str, Group] = field(default_factory=dict)
    options: dict[str, Option] = field(default_factory=dict)
    new: dict[tuple[str, ...], list[tuple[str, str]]] = field(default_factory=dict)
    """(s, m, t) or (k, t) -> the builds (option, period decided) whose capacity serves it."""
    new_feed: dict[KT, list[tuple[str, str]]] = field(default_factory=dict)
    """(f, t) -> the builds whose feed capacity [t of feed] serves it."""
    new_separation: dict[KT, list[tuple[str, str]]] = field(default_factory=dict)
    """(s, t) -> the builds of the plant of s serving its separation row in t."""
    new_facility: dict[KT, list[tuple[str, str]]] = field(default_factory=dict)
    """(f, t) -> the builds of facility f serving its facility row in t (every period)."""
    budgets: list[tuple[str, str | None, list[str], float]] = field(default_factory=list)
    """(row name, investor or None, periods, most capital) of every budget row."""
    unit_size: dict[str, float] = field(default_factory=dict)
    """Option -> size of one unit: its builds are n[o,tau] whole units (integer)."""
    min_lot: dict[SMT, float] = field(default_factory=dict)
    """Least X[s,m,t] if q[s,m,t] = 1 (binary), for the cells that can deliver."""
    qualification: dict[str, float] = field(default_factory=dict)
    """Source -> its one-off cost, paid if Q[s] = 1 (binary); X[s,.,.] = 0 otherwise."""
    max_suppliers: dict[str, int] = field(default_factory=dict)
    min_suppliers: dict[str, int] = field(default_factory=dict)
    discounts: dict[SMT, list[tuple[float, float]]] = field(default_factory=dict)
    """(s, m, t) priced by all-unit discounts -> (start, price) of each band the capacity
    reaches: x[s,m,t,j] is bought at band j's price, between its start and its top (the next
    start, or the capacity) if d[s,m,t,j] = 1, else 0; at most one d is 1."""
    used: list[SMT] = field(default_factory=list)
    """The cells with q[s,m,t]: those with a lot, and every cell of a material whose
    suppliers are counted."""
    stages: list[str] = field(default_factory=list)
    paths: dict[str, "Chain"] = field(default_factory=dict)
    """Label (nodes joined by '>') -> every path from a source to the last stage."""
    facility_capacity: dict[KT, float] = field(default_factory=dict)
    processing: dict[str, float] = field(default_factory=dict)

    def routed(self, s: str) -> list["Chain"]:
        """The paths of source s through facilities (none for a source at the last stage)."""
        return [c for c in self.paths.values() if c.nodes[0] == s and len(c.nodes) > 1]

    def arriving_terms(self, s: str, m: str, t: str) -> Terms:
        """What (s, m, t) brings to demand: X itself, or its paths' flows times their yields."""
        routed = self.routed(s)
        if not routed or not self.supply_terms(s, m, t):
            return self.supply_terms(s, m, t)
        return [(("p", c.label, m, t), c.factors[-1]) for c in routed]

    def most_with_new(self, s: str, m: str, t: str) -> float:
        """The most (s, m, t) can deliver: X-bar and every option serving it (or a feed of s
        yielding m) at its largest."""
        options = {o for o, _ in self.new.get((s, m, t), [])}
        most = self.most(s, m, t) + sum(
            self.options[o].max_size * self.options[o].per_period for o in options
        )
        for (f, tt), builds in self.new_feed.items():
            if tt == t and self.feed_source[f] == s:
                largest = {self.options[o].max_size * self.options[o].per_period for o, _ in builds}
                most += self.yields[f].get(m, 0.0) * sum(largest)
        return most

    def previous(self, period: str) -> str | None:
        i = self.periods.index(period)
        return self.periods[i - 1] if i > 0 else None

    def supply_terms(self, s: str, m: str, t: str) -> Terms:
        """X[s,m,t] as a sum of variables: its bands and its feeds' yields."""
        terms: Terms = [(("x", s, m, t, str(j)), 1.0) for j in range(1, self.n_bands(s, m, t) + 1)]
        for f, source in self.feed_source.items():
            if source == s and (f, t) in self.feed_capacity and m in self.yields[f]:
                terms.append((("w", f, t), self.yields[f][m]))
        return terms

    def gap(self, m: str, t: str) -> bool:
        """Whether g[m,t] exists: a strategic stock with a positive target in t."""
        return m in self.below_cost and self.cover.get((m, t), 0.0) * self.demand[m, t] > 0

    def end(self, m: str, t: str) -> bool:
        """Whether b[m,t] exists: g[m,t] in the last period, where z[m,t] also exists (without
        it, every tonne below target is charged: b would be g)."""
        return t == self.periods[-1] and self.gap(m, t) and m in self.penalty

    def below_target_cost(self, m: str, t: str, below: float, charged: float) -> float:
        """beta x the charged tonnes, plus in the last period terminal x the tonnes below."""
        if m not in self.below_cost:
            return 0.0
        end = self.terminal[m] * below if t == self.periods[-1] else 0.0
        return self.below_cost[m] * charged + end

    def n_bands(self, s: str, m: str, t: str) -> int:
        return len(self.bands.get((s, m, t), []))

    def most(self, s: str, m: str, t: str) -> float:
        """X-bar[s,m,t]: capacity plus yields x feed capacity."""
        feeds = sum(
            self.yields[f].get(m, 0.0) * self.feed_capacity.get((f, t), 0.0)
            for f, source in self.feed_source.items()
            if source == s
        )
        return self.capacity.get((s, m, t), 0.0) + feeds


@dataclass(frozen=True)
class Chain:
    """One path: its nodes (a source, then a facility per stage), each node's stage and
    country, and the tonnes out of each node per tonne entering (the yields multiplied)."""

    nodes: tuple[str, ...]
    stages: tuple[str, ...]
    countries: tuple[str, ...]
    factors: tuple[float, ...]

    @property
    def label(self) -> str:
        return ">".join(self.nodes)

    def node_at(self, stages: list[str], stage: str) -> int:
        """Its node at ``stage``: the facility there, or the source for every stage up to
        its own."""
        return max(0, stages.index(stage) - stages.index(self.stages[0]))


def _resolve_stages(problem: Problem, n: Numbers) -> None:
    """The paths, walked from each source along the facilities that take from it."""
    if not problem.stages:
        return
    n.stages = list(problem.stages)
    last = n.stages[-1]
    facilities = {f.id: f for f in problem.facilities}
    for f in problem.facilities:
        n.processing[f.id] = f.processing_cost
        for t in n.periods:
            n.facility_capacity[f.id, t] = value_in(f.capacity, t)

    def walk(chain: Chain) -> Iterator[Chain]:
        if chain.stages[-1] == last:
            yield chain
            return
        after = n.stages[n.stages.index(chain.stages[-1]) + 1]
        for f in problem.facilities:
            if f.stage == after and chain.nodes[-1] in f.takes_from:
                yield from walk(
                    Chain(
                        (*chain.nodes, f.id),
                        (*chain.stages, f.stage),
                        (*chain.countries, f.country),
                        (*chain.factors, chain.factors[-1] * facilities[f.id].output_per_input),
                    )
                )

    for s in problem.sources:
        for chain in walk(Chain((s.id,), (s.stage or last,), (s.country,), (1.0,))):
            n.paths[chain.label] = chain


def _bands(tiers: list[Any], capacity: float, list_price: float | None, floor: float) -> list[Band]:
    bands = []
    low = 0.0
    for tier in tiers:
        high = math.inf if tier.up_to is None else float(tier.up_to)
        width = max(0.0, min(high, capacity) - min(low, capacity))
        price = tier.price if tier.price is not None else tier.price_multiplier * (list_price or 0)
        bands.append(Band(width, max(float(price), floor)))
        low = high
    return bands


def resolve(problem: Problem) -> Numbers:
    """The numbers of ``problem`` (in t REO), resolved from its fields as the docs say."""
    problem = in_t_reo(problem)
    periods = list(problem.periods)
    materials = [m.id for m in problem.materials]
    n = Numbers(periods, materials, {s.id: s.country for s in problem.sources})
    for s in problem.sources:
        _resolve_direct(problem, s, n)
        _resolve_feeds(s, n)
        _resolve_separation(s, n)
    _resolve_substitutes(problem, n)
    for m in materials:
        _resolve_material(problem, m, n)
    n.penalty = dict(problem.shortage_penalty)
    for m, surplus in problem.surplus.items():
        _resolve_surplus(m, surplus, n)
    n.below_cost = dict(problem.stock.below_target_cost)
    n.terminal = {
        m: problem.stock.terminal_price.get(m, replacement_price(n, m)) for m in n.below_cost
    }
    _resolve_caps(problem, n)
    _resolve_contracts(problem, n)
    _resolve_investments(problem, n)
    _resolve_integer_rules(problem, n)
    _resolve_stages(problem, n)
    return n


def _resolve_integer_rules(problem: Problem, n: Numbers) -> None:
    """Lumpy options, minimum lots of the cells a source can deliver, qualification costs."""
    n.unit_size = {o.id: o.unit_size for o in problem.investments if o.unit_size is not None}
    for s in problem.sources:
        if s.qualification_cost > 0:
            n.qualification[s.id] = s.qualification_cost
        for m, lot in s.min_lot.items():
            for t in n.periods:
                if lot > 0 and n.supply_terms(s.id, m, t):
                    n.min_lot[s.id, m, t] = lot
    n.max_suppliers = dict(problem.security.max_suppliers)
    n.min_suppliers = dict(problem.security.min_suppliers)
    counted = {*n.max_suppliers, *n.min_suppliers}
    n.used = [
        (s.id, m, t)
        for s in problem.sources
        for m in n.materials
        for t in n.periods
        if n.supply_terms(s.id, m, t) and ((s.id, m, t) in n.min_lot or m in counted)
    ]


def _resolve_investments(problem: Problem, n: Numbers) -> None:
    """The options, the cells their capacity serves (a source cell with no capacity gets a
    band of width 0 at its price; a substitute's, 0 units at its cost) and the budget rows."""
    for o in problem.investments:
        cell = (o.substitute,) if o.substitute else (str(o.source), str(o.material))
        if o.feed is not None or o.separation:
            cell = ("+feed", o.feed) if o.feed is not None else ("+separation", str(o.source))
        if o.facility is not None:
            cell = ("+facility", o.facility)
        first = n.periods.index(o.earliest) if o.earliest else 0
        decided = n.periods[first : max(0, len(n.periods) - o.lead_time)]
        per_period = float(problem.period_days or 365.0) / 365.0
        n.options[o.id] = Option(
            o.id,
            cell,
            o.capital_cost,
            o.operating_cost,
            o.lead_time,
            o.max_size,
            o.investor,
            decided,
            per_period,
        )
        for tau in decided:
            for t in n.periods[n.periods.index(tau) + o.lead_time :]:
                _serve(problem, n, (*cell, t), (o.id, tau))
    for b in problem.budgets:
        subject = b.investor or "all"
        if b.per_period is not None:
            for t in n.periods:
                limit = given_in(b.per_period, t)
                if limit is not None:
                    n.budgets.append((f"budget({subject},{t})", b.investor, [t], limit))
        if b.total is not None:
            name = f"budget({subject},{n.periods[0]}..{n.periods[-1]})"
            n.budgets.append((name, b.investor, list(n.periods), float(b.total)))


def _serve(problem: Problem, n: Numbers, cell: tuple[str, ...], build: tuple[str, str]) -> None:
    """Record that ``build`` serves ``cell``, where what it expands can be used then."""
    if cell[0] in ("+feed", "+separation", "+facility"):  # not an id: ids have no '+'
        _serve_plant(problem, n, cell, build)
        return
    if len(cell) == 3:
        s = next(x for x in problem.sources if x.id == cell[0])
        if cell[2] not in periods_from(n.periods, s.available_from):
            return
        if cell not in n.bands:
            n.bands[cell] = _cell_bands(problem, s, cell[1], cell[2], 0.0)
    else:
        k = next(x for x in problem.substitutes if x.id == cell[0])
        if cell[1] not in periods_from(n.periods, k.available_from):
            return
        n.sub_capacity.setdefault(cell, 0.0)  # type: ignore[arg-type]
        n.sub_cost.setdefault(cell, value_in(k.cost, cell[1]))  # type: ignore[arg-type]
    n.new.setdefault(cell, []).append(build)


def _serve_plant(
    problem: Problem, n: Numbers, cell: tuple[str, ...], build: tuple[str, str]
) -> None:
    """A feed's new capacity serves from its source's ``available_from`` on (a period it had
    no capacity in gets 0 t at its price); a plant's too, where the plant has a limit; a
    facility's in every period."""
    kind, ident, t = cell
    if kind == "+facility":  # a facility stands in every period
        n.new_facility.setdefault((ident, t), []).append(build)
        return
    if kind == "+separation":
        s = next(x for x in problem.sources if x.id == ident)
        if (ident, t) in n.separation and t in periods_from(n.periods, s.available_from):
            n.new_separation.setdefault((ident, t), []).append(build)
        return
    s = next(x for x in problem.sources if any(f.id == ident for f in x.feeds))
    if t not in periods_from(n.periods, s.available_from):
        return
    feed = next(f for f in s.feeds if f.id == ident)
    if (ident, t) not in n.feed_capacity:
        n.feed_capacity[ident, t] = 0.0
        n.feed_price[ident, t] = value_in(feed.price_per_tonne_feed, t)
    n.new_feed.setdefault((ident, t), []).append(build)


def _resolve_direct(problem: Problem, s: Any, n: Numbers) -> None:
    """Capacity and bands of each material source ``s`` sells, in each period it can."""
    for m, capacity in s.capacity.items():
        for t in periods_from(n.periods, s.available_from):
            tonnes = value_in(capacity, t)
            if tonnes > 0:
                n.capacity[s.id, m, t] = tonnes
                n.bands[s.id, m, t] = _cell_bands(problem, s, m, t, tonnes)
                if m in s.discounts:
                    starts = [b.from_tonnes for b in s.discounts[m] if b.from_tonnes <= tonnes]
                    prices = [band.price for band in n.bands[s.id, m, t]]
                    n.discounts[s.id, m, t] = list(zip(starts, prices, strict=True))


def _cell_bands(problem: Problem, s: Any, m: str, t: str, tonnes: float) -> list[Band]:
    """The bands of ``tonnes`` of ``m`` from ``s`` in ``t``: tiers or one flat price, with the
    floor under each; nan where nothing prices them."""
    reference = given_in(problem.reference_prices.get(m), t)
    own = given_in(s.prices.get(m), t)
    if own is None and reference is not None:
        own = reference * s.price_multiplier
    floor = given_in(s.price_floor.get(m), t)
    if floor is None and s.price_floor_multiplier is not None and reference is not None:
        floor = s.price_floor_multiplier * reference
    tiers = s.tiers.get(m)
    if tiers:
        return _bands(tiers, tonnes, own, floor or 0.0)
    if m in s.discounts:  # all-unit: each band reached, up to the next start (or capacity)
        starts = [b.from_tonnes for b in s.discounts[m]] + [math.inf]
        return [
            Band(min(starts[j + 1], tonnes), max(b.price, floor or 0.0))
            for j, b in enumerate(s.discounts[m])
            if b.from_tonnes <= tonnes
        ]
    price = math.nan if own is None else max(own, floor or 0.0)
    return [Band(tonnes, price)]


def _resolve_feeds(s: Any, n: Numbers) -> None:
    """Seller, yields, tonnes and price of each feed of ``s``."""
    for feed in s.feeds:
        n.feed_source[feed.id] = s.id
        n.yields[feed.id] = dict(feed.yields)
        offer = (feed.id, feed.capacity, feed.price_per_tonne_feed)
        _resolve_offer(n, s.available_from, offer, (n.feed_capacity, n.feed_price))


def _resolve_offer(
    n: Numbers,
    first: str | None,
    offer: tuple[str, Any, Any],
    into: tuple[dict[KT, float], dict[KT, float]],
) -> None:
    """Record ``offer`` = (id, amount, price) ``into`` (amounts, prices) in every period from
    ``first`` where the amount is positive; nan where no price is given."""
    ident, amount, price = offer
    amounts, prices = into
    for t in periods_from(n.periods, first):
        most = value_in(amount, t)
        if most > 0:
            amounts[ident, t] = most
            given = given_in(price, t)
            prices[ident, t] = math.nan if given is None else given


def _resolve_separation(s: Any, n: Numbers) -> None:
    if s.separation_capacity is not None:
        for t in n.periods:
            most = given_in(s.separation_capacity, t)  # a dict sets no limit where silent
            if most is not None:
                n.separation[s.id, t] = most


def _resolve_substitutes(problem: Problem, n: Numbers) -> None:
    for k in problem.substitutes:
        n.saves[k.id] = dict(k.saves)
        offer = (k.id, k.capacity, k.cost)
        _resolve_offer(n, k.available_from, offer, (n.sub_capacity, n.sub_cost))


def _resolve_material(problem: Problem, m: str, n: Numbers) -> None:
    """Demand, stock cover, initial stock and holding cost of ``m``."""
    security = problem.security
    for t in n.periods:
        n.demand[m, t] = value_in(problem.demand.get(m, 0.0), t)
        if m in security.min_stock_cover:
            n.cover[m, t] = value_in(security.min_stock_cover[m], t)
        elif m in security.min_stock_days:
            n.cover[m, t] = value_in(security.min_stock_days[m], t) / (
                problem.period_days or math.nan
            )
    n.initial[m] = problem.stock.initial.get(m, 0.0)
    n.holding[m] = problem.stock.holding_cost.get(m, 0.0)


def _resolve_surplus(m: str, surplus: Any, n: Numbers) -> None:
    for t in n.periods:
        most = math.inf if surplus.max_sold is None else value_in(surplus.max_sold, t)
        salvage = value_in(surplus.salvage_price, t)
        if most > 0 and salvage > 0:
            n.max_sold[m, t] = most
            n.salvage[m, t] = salvage
    if surplus.disposal_cost > 0:
        n.disposal[m] = surplus.disposal_cost


def replacement_price(n: Numbers, m: str) -> float:
    """The lowest price a first tonne of ``m`` is offered at in the last period (a source's
    first band, a feed's price per tonne of feed over its yield of m), failing that in any
    period; 0 where m is never offered."""
    offers: list[tuple[str, float]] = [
        (t, bands[0].price) for (_, material, t), bands in n.bands.items() if material == m
    ]
    offers += [
        (t, price / n.yields[f][m])
        for (f, t), price in n.feed_price.items()
        if n.yields[f].get(m, 0.0) > 0
    ]
    offers = [(t, price) for t, price in offers if not math.isnan(price)]
    last = [price for t, price in offers if t == n.periods[-1]]
    return min(last or [price for _, price in offers] or [0.0])


def _resolve_caps(problem: Problem, n: Numbers) -> None:
    for i, cap in enumerate(problem.caps):
        cap_id = cap.id if cap.id is not None else f"cap{i + 1}"
        matching = _matching(problem, cap)
        materials = n.materials if cap.materials is None else cap.materials
        periods = n.periods if cap.periods is None else cap.periods
        for ms, ts in groups(materials, periods, cap.sum_over):
            name = f"cap({cap_id},{'+'.join(ms)},{period_label(n.periods, ts)})"
            most = sum(n.most(s, m, t) for s in matching for m in ms for t in ts)
            if cap.facility is not None:  # its capacity, which its materials share
                f = next(f for f in problem.facilities if f.id == cap.facility)
                most = sum(value_in(f.capacity, t) for t in ts)
            share = cap.max_share_of_capacity
            bound = share * most if share is not None else float(cap.max_tonnes or 0.0)
            n.caps[name] = Group(
                name,
                "cap",
                cap_id,
                ms,
                ts,
                matching,
                "<=",
                bound,
                share,
                most,
                facility=cap.facility,
            )


def _matching(problem: Problem, cap: Any) -> tuple[str, ...]:
    """The sources a cap names, by id or by country."""
    return tuple(
        s.id
        for s in problem.sources
        if (cap.source is not None and s.id == cap.source)
        or (cap.country is not None and s.country == cap.country)
    )


def _resolve_contracts(problem: Problem, n: Numbers) -> None:
    sources = {s.id: s for s in problem.sources}
    for i, contract in enumerate(problem.contracts):
        contract_id = contract.id if contract.id is not None else f"contract{i + 1}"
        source = sources[contract.source]
        materials = delivered(source) if contract.materials is None else contract.materials
        periods = n.periods if contract.periods is None else contract.periods
        fixed = contract.fixed_tonnes is not None
        bound = (contract.fixed_tonnes if fixed else contract.min_tonnes) or 0.0
        for ms, ts in groups(materials, periods, contract.sum_over):
            name = f"contract({contract_id},{'+'.join(ms)},{period_label(n.periods, ts)})"
            n.contracts[name] = Group(
                name,
                "contract",
                contract_id,
                ms,
                ts,
                (source.id,),
                "=" if fixed else ">=",
                bound,
                take_or_pay=contract.take_or_pay,
            )


# -- comparisons ----------------------------------------------------------------------------------


def _close(a: float, b: float, scale: float = 0.0) -> bool:
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b), scale)


def _at_most(a: float, b: float, scale: float = 0.0) -> bool:
    """``a <= b`` up to the tolerance."""
    return a - b <= TOLERANCE * max(1.0, abs(a), abs(b), scale)


def _same_list(a: str, b: str) -> bool:
    """Two '+'-joined lists of ids with the same members (the order is not documented)."""
    return sorted(a.split("+")) == sorted(b.split("+"))


@dataclass
class RuleRow:
    """One row of the LP, as ``sum(a v for v, a in terms) <sense> rhs``, and how the
    constraints table reads it: value and limit are the LP's sides plus ``shift`` (the opening
    stock, moved to the value side), except for max_share (tonnes from the country and share x
    all tonnes)."""

    name: str
    rule: str
    subject: str | None
    material: str
    period: str
    sense: str
    terms: Terms
    rhs: float
    required: bool = True
    """Whether the docs say the row is generated (else it may be left out)."""
    shift: float = 0.0
    per_point: float | None = None
    """Tonnes the limit moves by when the rule's share or cover tightens by 0.01 (computed
    for max_share from the plan)."""
    share: float | None = None
    """max_share's sigma."""
    read: tuple[Terms, Terms] | None = None
    """A stage or origin rule's (what the country or group has, all of it)."""


class _Plan:
    """The plan read from the tables: every variable's value (0 where not listed)."""

    def __init__(self, n: Numbers) -> None:
        self.n = n
        self.values: dict[Var, float] = {}

    def __getitem__(self, key: Var) -> float:
        return self.values.get(key, 0.0)

    def of(self, terms: Terms) -> float:
        return sum(a * self[key] for key, a in terms)

    def size(self, terms: Terms) -> float:
        return sum(abs(a * self[key]) for key, a in terms)

    def delivered(self, s: str, m: str, t: str) -> float:
        """What (s, m, t) brings to demand (through its paths, with stages)."""
        return self.of(self.n.arriving_terms(s, m, t))

    def new(self, cell: tuple[str, ...]) -> float:
        """The new capacity the plan's builds put in ``cell`` [t or units per period]."""
        return self.added(self.n.new.get(cell, []))

    def added(self, builds: list[tuple[str, str]]) -> float:
        """The capacity ``builds`` put in a period [t, t of feed, units]."""
        return sum(self.n.options[o].per_period * self["y", o, tau] for o, tau in builds)

    def purchased(self, m: str, t: str, keep: Any = None) -> float:
        """Tonnes of m delivered in t by the sources whose country ``keep`` accepts."""
        return sum(
            self.delivered(s, m, t)
            for s, country in self.n.country.items()
            if keep is None or keep(country)
        )


def _has_variable(row: RuleRow) -> bool:
    return any(a != 0 for _, a in row.terms)


class _Dual:
    """The dual objective and the reduced costs of the LP's variables, summed row by row."""

    def __init__(self, cost: dict[Var, float]) -> None:
        self.reduced = dict(cost)
        # The size of the terms summed into each reduced cost: CBC reports duals to about
        # seven digits, so the error allowed grows with the terms, not with their sum.
        self.size = {key: abs(c) for key, c in cost.items()}
        self.objective = 0.0
        self.magnitude = 0.0

    def add_row(self, row: RuleRow, y: float) -> list[Var]:
        """Add ``row`` with multiplier ``y``; the terms it has outside the variables."""
        sign = -1.0 if row.sense == "<=" else 1.0
        self.objective += y * sign * row.rhs
        self.magnitude += abs(y * row.rhs)
        strangers = []
        for key, a in row.terms:
            if key in self.reduced:
                self.reduced[key] -= y * sign * a
                self.size[key] += abs(y * a)
            elif abs(a) > 0:
                strangers.append(key)
        return strangers

    def add_fixed(self, key: Var, value: float) -> None:
        """An integer decision fixed at ``value`` (the LP whose duals a MILP reports) adds
        value * reduced cost, whatever its sign."""
        self.objective += value * self.reduced[key]
        self.magnitude += abs(value) * self.size[key]

    def add_bound(self, key: Var, bound: float) -> None:
        """A variable bounded above by ``bound`` adds bound * min(0, reduced cost)."""
        d = self.reduced[key]
        if d < TOLERANCE * max(1.0, self.size[key]):
            self.objective += bound * min(0.0, d)
            self.magnitude += bound * self.size[key]


class _Parts:
    """Costs added up per component and item, components in the order the costs table has."""

    def __init__(self) -> None:
        self.parts: dict[str, dict[str, float]] = {
            name: {}
            for name in (
                "purchases",
                "feeds",
                "substitution",
                "holding",
                "below_target",
                "shortage",
                "sales",
                "disposal",
                "take_or_pay",
                "capital",
                "operating",
                "qualification",
                "processing",
            )
        }

    def add(self, component: str, item: str, cost: float) -> None:
        items = self.parts[component]
        items[item] = items.get(item, 0.0) + cost


class _Checker:
    def __init__(self, problem: Problem, result: Result) -> None:
        self.problem = problem
        self.result = result
        self.n = resolve(problem)
        self.violations: list[str] = []

    def fail(self, message: str) -> None:
        self.violations.append(message)

    # -- shape ------------------------------------------------------------------------------

    def columns(self) -> bool:
        ok = True
        for table, columns in COLUMNS.items():
            frame = getattr(self.result, table, None)
            if not isinstance(frame, pd.DataFrame):
                self.fail(f"{table}: not a DataFrame")
                ok = False
                continue
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                self.fail(f"{table}: missing columns {missing}")
                ok = False
        return ok

    def _keyed(self, table: str, keys: list[str]) -> dict[tuple[str, ...], pd.Series]:
        rows: dict[tuple[str, ...], pd.Series] = {}
        for _, row in getattr(self.result, table).iterrows():
            key = tuple(str(row[k]) for k in keys)
            if key in rows:
                self.fail(f"{table}: row {key} appears twice")
            rows[key] = row
        return rows

    # -- the plan ---------------------------------------------------------------------------

    def purchases(self, plan: _Plan) -> None:
        """One row per band of every cell of A (bands of width 0 may be left out)."""
        n = self.n
        rows = self._keyed("purchases", ["source", "material", "period", "tier"])
        for key, row in rows.items():
            self.purchase(plan, key, row)
        for (s, m, t), bands in n.bands.items():
            for number, band in enumerate(bands, start=1):
                if band.width > 0 and (s, m, t, str(number)) not in rows:
                    self.fail(
                        f"purchases[{s},{m},{t},{number}]: missing (a band of {band.width} t)"
                    )

    def purchase(self, plan: _Plan, key: tuple[str, ...], row: pd.Series) -> None:
        """One row of purchases: a known cell and band, within its width, at its price."""
        n = self.n
        s, m, t, j = key
        where = f"purchases[{s},{m},{t},{j}]"
        tonnes = float(row["tonnes"])
        if s not in n.country or m not in n.materials or t not in n.periods:
            self.fail(f"{where}: unknown source, material or period")
            return
        if row["country"] != n.country[s]:
            self.fail(f"{where}: country {row['country']!r}, expected {n.country[s]!r}")
        if tonnes < -TOLERANCE:
            self.fail(f"{where}: negative tonnes {tonnes}")
        bands = n.bands.get((s, m, t), [])
        band = bands[int(j) - 1] if j.isdigit() and 1 <= int(j) <= len(bands) else None
        if band is None:
            if abs(tonnes) > TOLERANCE:
                self.fail(f"{where}: {tonnes} t bought where there is no such band")
            return
        plan.values["x", s, m, t, j] = tonnes
        if j == "1" and (s, m, t) in n.new:  # the first band holds the new capacity too
            band = band._replace(width=band.width + plan.new((s, m, t)))
        self.band_use(where, (s, m, t), band, row)

    def band_use(self, where: str, cell: SMT, band: Band, row: pd.Series) -> None:
        """The tonnes of a purchase row within its band's width, at the band's price."""
        tonnes = float(row["tonnes"])
        if not _at_most(tonnes, band.width):
            what = "capacity" if cell in self.n.capacity else "availability"
            self.fail(f"{where}: {tonnes} t exceeds the band's {what} {band.width} t")
        if not _close(float(row["capacity"]), band.width):
            self.fail(f"{where}: capacity {row['capacity']}, expected {band.width}")
        self.priced(where, row, ("unit_price", band.price), tonnes)

    def feeds(self, plan: _Plan) -> None:
        n = self.n
        rows = self._keyed("feeds", ["feed", "period"])
        for key, row in rows.items():
            self.feed_row(plan, key, row)
        for f, t in n.feed_capacity:
            if (f, t) not in rows:
                self.fail(f"feeds[{f},{t}]: missing")

    def feed_row(self, plan: _Plan, key: tuple[str, ...], row: pd.Series) -> None:
        """One row of feeds: a known feed of its source, within its capacity, at its price."""
        n = self.n
        f, t = key
        where = f"feeds[{f},{t}]"
        tonnes = float(row["tonnes"])
        if f not in n.feed_source or t not in n.periods:
            self.fail(f"{where}: unknown feed or period")
            return
        s = n.feed_source[f]
        if row["source"] != s or row["country"] != n.country[s]:
            self.fail(f"{where}: source {row['source']!r} of {row['country']!r}, expected {s}")
        capacity = n.feed_capacity.get((f, t), 0.0) + plan.added(n.new_feed.get((f, t), []))
        if tonnes < -TOLERANCE or not _at_most(tonnes, capacity):
            self.fail(f"{where}: {tonnes} t of feed outside [0, capacity {capacity}]")
        if (f, t) not in n.feed_capacity:
            return
        plan.values["w", f, t] = tonnes
        if not _close(float(row["capacity"]), capacity):
            self.fail(f"{where}: capacity {row['capacity']}, expected {capacity}")
        self.priced(where, row, ("unit_price", n.feed_price[f, t]), tonnes)

    def priced(self, where: str, row: pd.Series, price: tuple[str, float], amount: float) -> None:
        """A row's price per unit (``price``: its column and expected value) and its cost for
        ``amount`` units, where the price is known (not nan)."""
        column, expected = price
        if math.isnan(expected):
            return
        if not _close(float(row[column]), expected):
            self.fail(f"{where}: {column} {row[column]}, expected {expected}")
        if not _close(float(row["cost"]), amount * expected):
            self.fail(f"{where}: cost {row['cost']}, expected {amount * expected}")

    def supply(self, plan: _Plan) -> None:
        """What each source delivers: its bands, its feeds' yields, and their sum."""
        n = self.n
        rows = self._keyed("supply", ["source", "material", "period"])
        for key, row in rows.items():
            self.supply_row(plan, key, row)
        for s in n.country:
            for m in n.materials:
                for t in n.periods:
                    if n.supply_terms(s, m, t) and (s, m, t) not in rows:
                        self.fail(f"supply[{s},{m},{t}]: missing")

    def supply_row(self, plan: _Plan, key: tuple[str, ...], row: pd.Series) -> None:
        """One row of supply: bought, from feeds and their sum, for a known cell."""
        n = self.n
        s, m, t = key
        where = f"supply[{s},{m},{t}]"
        if s not in n.country or m not in n.materials or t not in n.periods:
            self.fail(f"{where}: unknown source, material or period")
            return
        if row["country"] != n.country[s]:
            self.fail(f"{where}: country {row['country']!r}, expected {n.country[s]!r}")
        terms = n.supply_terms(s, m, t)
        bought = plan.of([(key, a) for key, a in terms if key[0] == "x"])
        from_feeds = plan.of([(key, a) for key, a in terms if key[0] == "w"])
        scale = plan.size(terms)
        for column, expected in [
            ("bought", bought),
            ("from_feeds", from_feeds),
            ("tonnes", bought + from_feeds),
        ]:
            if not _close(float(row[column]), expected, scale):
                self.fail(f"{where}: {column} {row[column]}, expected {expected}")

    def substitution(self, plan: _Plan) -> None:
        n = self.n
        table = self.result.substitution
        saved = sorted({m for k in n.saves.values() for m in k})
        for m in saved:
            if f"saved_{m}" not in table.columns:
                self.fail(f"substitution: missing column saved_{m}")
        for key, row in self._keyed("substitution", ["substitute", "period"]).items():
            self.substitution_row(plan, key, row, [m for m in saved if f"saved_{m}" in table])

    def substitution_row(
        self, plan: _Plan, key: tuple[str, ...], row: pd.Series, saved: list[str]
    ) -> None:
        """One row of substitution: known, within capacity, at its cost, saving what it
        saves of the ``saved`` materials (those with a column)."""
        n = self.n
        k, t = key
        where = f"substitution[{k},{t}]"
        used = float(row["units"])
        if k not in n.saves or t not in n.periods:
            self.fail(f"{where}: unknown substitute or period")
            return
        plan.values["u", k, t] = used
        if used < -TOLERANCE:
            self.fail(f"{where}: negative units {used}")
        capacity = n.sub_capacity.get((k, t), 0.0) + plan.new((k, t))
        if not _at_most(used, capacity):
            self.fail(f"{where}: {used} units exceed capacity {capacity}")
        self.priced(where, row, ("unit_cost", n.sub_cost.get((k, t), math.nan)), used)
        for m in saved:
            column = f"saved_{m}"
            expected = used * n.saves[k].get(m, 0.0)
            if not _close(float(row[column]), expected):
                self.fail(f"{where}: {column} {row[column]}, expected {expected}")

    def saved(self, plan: _Plan, m: str, t: str) -> float:
        return plan.of(self.saving_terms(m, t))

    def saving_terms(self, m: str, t: str) -> Terms:
        return [
            (("u", k, tt), self.n.saves[k].get(m, 0.0))
            for (k, tt) in self.n.sub_capacity
            if tt == t and self.n.saves[k].get(m, 0.0) != 0
        ]

    def shortage(self, plan: _Plan) -> None:
        n = self.n
        for key, row in self._keyed("shortage", ["material", "period"]).items():
            m, t = key
            where = f"shortage[{m},{t}]"
            tonnes = float(row["tonnes"])
            if m not in n.materials or t not in n.periods:
                self.fail(f"{where}: unknown material or period")
                continue
            if m not in n.penalty:
                if abs(tonnes) > TOLERANCE:
                    self.fail(f"{where}: {tonnes} t short but {m} has no shortage_penalty")
                continue
            plan.values["z", m, t] = tonnes
            demand = n.demand[m, t]
            if tonnes < -TOLERANCE or not _at_most(tonnes, demand):
                self.fail(f"{where}: {tonnes} t short outside [0, demand {demand}]")
            if not _close(float(row["demand"]), demand):
                self.fail(f"{where}: demand {row['demand']}, expected {demand}")
            penalty = n.penalty[m]
            if not _close(float(row["penalty"]), penalty):
                self.fail(f"{where}: penalty {row['penalty']}, expected {penalty}")
            if not _close(float(row["cost"]), tonnes * penalty):
                self.fail(f"{where}: cost {row['cost']}, expected {tonnes * penalty}")

    def stock_and_sales(self, plan: _Plan) -> dict[MT, pd.Series]:
        """Closing stock I, sales v and a strategic stock's tonnes below target b and charged g
        from the inventory table (checked in :meth:`inventory`)."""
        n = self.n
        rows = self._keyed("inventory", ["material", "period"])
        for (m, t), row in rows.items():
            plan.values["I", m, t] = float(row["closing"])
            if (m, t) in n.max_sold:
                plan.values["v", m, t] = float(row["sold"])
            if m in n.materials and t in n.periods and n.gap(m, t):
                plan.values["g", m, t] = float(row["gap_charged"])
                if n.end(m, t):
                    plan.values["b", m, t] = float(row["below_target"])
        return {(m, t): row for (m, t), row in rows.items()}

    def shortfalls(self, plan: _Plan) -> None:
        """Take-or-pay shortfall o of each contract row: its value less what was delivered."""
        n = self.n
        for _, row in self.result.constraints.iterrows():
            group = self.group(str(row["constraint"]))
            if group is None or group.rule != "contract" or group.take_or_pay is None:
                continue
            delivered = plan.of(self.group_terms(group))
            plan.values["o", group.name] = float(row["value"]) - delivered
        for name, group in n.contracts.items():
            if group.take_or_pay is None:
                continue
            short = plan["o", name]
            scale = group.bound + plan.size(self.group_terms(group))
            if short < -TOLERANCE * max(1.0, scale) or not _at_most(short, group.bound, scale):
                self.fail(f"{name}: take-or-pay shortfall {short} t outside [0, {group.bound}]")

    def inventory(self, plan: _Plan, rows: dict[MT, pd.Series]) -> None:
        """Balance, stock continuity, sales and waste, per material and period."""
        n = self.n
        for m in n.materials:
            expected_opening = n.initial[m]
            for t in n.periods:
                row = rows.get((m, t))
                if row is None:
                    self.fail(f"inventory[{m},{t}]: missing")
                    continue
                self.stock_row(plan, (m, t), row, expected_opening)
                expected_opening = float(row["closing"])
        for key in rows:
            if key[0] not in n.materials or key[1] not in n.periods:
                self.fail(f"inventory[{','.join(key)}]: unknown material or period")

    def stock_row(self, plan: _Plan, cell: MT, row: pd.Series, expected_opening: float) -> None:
        """One row of inventory: it opens with the stock before, and it balances."""
        n = self.n
        m, t = cell
        where = f"inventory[{m},{t}]"
        opening, closing, sold = (float(row[c]) for c in ("opening", "closing", "sold"))
        if not _close(opening, expected_opening):
            what = "initial stock" if n.previous(t) is None else "previous closing"
            self.fail(f"{where}: opening {opening} != {what} {expected_opening}")
        purchased = plan.purchased(m, t)
        saved = self.saved(plan, m, t)
        short = plan["z", m, t]
        demand = n.demand[m, t]
        for column, expected in [
            ("purchased", purchased),
            ("substituted", saved),
            ("shortage", short),
            ("demand", demand),
        ]:
            if not _close(float(row[column]), expected):
                self.fail(f"{where}: {column} {row[column]}, expected {expected}")
        if closing < -TOLERANCE:
            self.fail(f"{where}: negative closing stock {closing}")
        most = n.max_sold.get((m, t), 0.0)
        if sold < -TOLERANCE or not _at_most(sold, most):
            self.fail(f"{where}: {sold} t sold outside [0, {most}]")
        self.balance(plan, cell, row, opening + purchased + saved + short)
        self.below_target(plan, m, t, row)

    def balance(self, plan: _Plan, cell: MT, row: pd.Series, inflow: float) -> None:
        """Demand met from the ``inflow`` (opening, purchased, saved, short) less what is kept
        and sold; the surplus and the money of stock, sales and waste."""
        n = self.n
        m, t = cell
        where = f"inventory[{m},{t}]"
        closing, sold, demand = float(row["closing"]), float(row["sold"]), n.demand[m, t]
        supply = inflow - closing - sold
        scale = inflow + closing + sold + demand
        if not _at_most(demand, supply, scale):
            self.fail(f"{where}: demand {demand} t not met, only {supply} t supplied")
        if not _close(float(row["surplus"]), supply - demand, scale):
            self.fail(f"{where}: surplus {row['surplus']}, expected {supply - demand}")
        if m in n.disposal:
            plan.values["e", m, t] = supply - demand
        money = {
            "holding_cost": closing * n.holding[m],
            "sales": sold * n.salvage.get((m, t), 0.0),
            "disposal_cost": (supply - demand) * n.disposal.get(m, 0.0),
        }
        for column, expected in money.items():
            if not _close(float(row[column]), expected, scale):
                self.fail(f"{where}: {column} {row[column]}, expected {expected}")

    def below_target(self, plan: _Plan, m: str, t: str, row: pd.Series) -> None:
        """A strategic stock's tonnes below target, max(0, target - closing) (0 for a hard
        target), those charged g >= 0 and their cost: beta g, and at the end terminal x the
        tonnes below (b, or g where there is no b)."""
        n = self.n
        where = f"inventory[{m},{t}]"
        below, charged = float(row["below_target"]), float(row["gap_charged"])
        target = n.cover.get((m, t), 0.0) * n.demand[m, t]
        expected = max(0.0, target - float(row["closing"])) if n.gap(m, t) else 0.0
        if not _close(below, expected, target):
            self.fail(f"{where}: below_target {below}, expected {expected}")
        if not n.gap(m, t) and abs(charged) > TOLERANCE:
            self.fail(f"{where}: {charged} t charged below a target that cannot be drawn below")
        if charged < -TOLERANCE:
            self.fail(f"{where}: negative gap_charged {charged}")
        cost = self._below_target_cost(plan, m, t)
        if not _close(float(row["below_target_cost"]), cost, abs(below) + abs(charged)):
            self.fail(f"{where}: below_target_cost {row['below_target_cost']}, expected {cost}")

    def _below_target_cost(self, plan: _Plan, m: str, t: str) -> float:
        n = self.n
        if not n.gap(m, t):
            return 0.0
        charged = plan["g", m, t]
        return n.below_target_cost(m, t, plan["b", m, t] if n.end(m, t) else charged, charged)

    def shares(self, plan: _Plan) -> None:
        n = self.n
        rows = self._keyed("shares", ["material", "period", "country"])
        for key, row in rows.items():
            self.share_of(plan, key, row)
        for s, c in n.country.items():
            for m in n.materials:
                for t in n.periods:
                    if plan.delivered(s, m, t) > TOLERANCE and (m, t, c) not in rows:
                        self.fail(f"shares[{m},{t},{c}]: missing")

    def share_of(self, plan: _Plan, key: tuple[str, ...], row: pd.Series) -> None:
        """One row of shares: a country's tonnes of a material and period, and their share."""
        m, t, c = key
        where = f"shares[{m},{t},{c}]"
        if m not in self.n.materials or t not in self.n.periods:
            self.fail(f"{where}: unknown material or period")
            return
        own = plan.purchased(m, t, lambda country: country == c)
        total = plan.purchased(m, t)
        if not _close(float(row["tonnes"]), own):
            self.fail(f"{where}: tonnes {row['tonnes']}, expected {own}")
        share = float(row["share"])
        if total > TOLERANCE and not _close(share, own / total):
            self.fail(f"{where}: share {share}, expected {own / total}")
        if total <= TOLERANCE and not math.isnan(share) and own > TOLERANCE:
            self.fail(f"{where}: share {share} of nothing bought")

    # -- the rules --------------------------------------------------------------------------

    def group(self, name: str) -> Group | None:
        """The cap or contract a constraints row names (materials in any order)."""
        for groups in (self.n.caps, self.n.contracts):
            for group in groups.values():
                if self.same_name(group.name, name):
                    return group
        return None

    def same_name(self, expected: str, name: str) -> bool:
        rule, _, index = expected.partition("(")
        if rule not in ("cap", "contract"):
            return expected == name
        got_rule, _, got_index = name.partition("(")
        want, got = index.split(","), got_index.split(",")
        return (
            rule == got_rule
            and len(want) == len(got) == 3
            and want[0] == got[0]
            and _same_list(want[1], got[1])
            and want[2] == got[2]
        )

    def group_terms(self, group: Group) -> Terms:
        if group.facility is not None:  # what the facility takes in, of every path through it
            f, cells = group.facility, set(group.cells)
            return [
                (key, c.factors[c.nodes.index(f) - 1])
                for key, (c, m, t) in self.flow_terms().items()
                if (m, t) in cells and f in c.nodes[1:]
            ]
        return [
            term
            for m, t in group.cells
            for s in group.sources
            for term in self.n.supply_terms(s, m, t)
        ]

    def rule_rows(self) -> Iterator[RuleRow]:
        """Every row of the LP the docs describe, with its terms and right-hand side."""
        n = self.n
        saved_by = {(m, t): self.saving_terms(m, t) for m in n.materials for t in n.periods}
        yield from self.balance_rows(saved_by)
        yield from self.share_rows()
        yield from self.cover_rows(saved_by)
        yield from self.stock_rows()
        yield from self.cap_rows()
        yield from self.contract_rows()
        yield from self.separation_rows()
        yield from self.chain_rows()
        yield from self.stage_rule_rows()
        yield from self.origin_rule_rows()
        for k in self.problem.substitutes:
            yield from self.substitute_rows(k)
        yield from self.investment_rows()
        yield from self.integer_rows()

    def investment_rows(self) -> Iterator[RuleRow]:
        """capacity: the first band (or the units) less the new capacity serving, at most
        the capacity there was; build_limit: an option's builds at most its size (with more
        than one period to decide in); budget: the capital decided at most the budget."""
        n = self.n
        for cell, builds in n.new.items():
            news: Terms = [(("y", o, tau), -n.options[o].per_period) for o, tau in builds]
            if len(cell) == 3:
                used: Var = ("x", *cell, "1")
                most, subject, material = n.bands[cell][0].width, cell[0], cell[1]
            else:
                used, most, subject, material = ("u", *cell), n.sub_capacity[cell], cell[0], ""  # type: ignore[index]
            name = f"capacity({','.join(cell)})"
            yield RuleRow(
                name, "capacity", subject, material, cell[-1], "<=", [(used, 1.0), *news], most
            )
        for (f, t), builds in n.new_feed.items():  # tonnes of feed
            news = [(("y", o, tau), -n.options[o].per_period) for o, tau in builds]
            s, most = n.feed_source[f], n.feed_capacity[f, t]
            name = f"capacity({s},{f},{t})"
            yield RuleRow(name, "capacity", s, "", t, "<=", [(("w", f, t), 1.0), *news], most)
        for o in n.options.values():
            if len(o.decided) > 1:
                label = f"{o.decided[0]}..{o.decided[-1]}"
                terms: Terms = [(("y", o.id, tau), 1.0) for tau in o.decided]
                name = f"build_limit({o.id},{label})"
                yield RuleRow(name, "build_limit", o.id, "", label, "<=", terms, o.max_size)
        for name, investor, periods, limit in n.budgets:
            terms = [
                (("y", o.id, tau), o.capital)
                for o in n.options.values()
                if investor in (None, o.investor)
                for tau in o.decided
                if tau in periods
            ]
            label = name[name.index(",") + 1 : -1]
            yield RuleRow(
                name,
                "budget",
                investor or "all",
                "",
                label,
                "<=",
                terms,
                limit,
                required=bool(terms),
            )

    def investments(self, plan: _Plan) -> None:
        """The investments table: one row per option and period it may be decided in, its size
        within [0, max_size], first serving ``lead`` periods later, at its capital and operating
        cost."""
        n = self.n
        table = getattr(self.result, "investments", pd.DataFrame())
        if not n.options:
            if not table.empty:
                self.fail("investments: rows for a problem without investment options")
            return
        rows = self._keyed("investments", ["investment", "period"])
        for o in n.options.values():
            for tau in o.decided:
                row = rows.get((o.id, tau))
                if row is None:
                    self.fail(f"investments[{o.id},{tau}]: missing")
                    continue
                self.investment_row(plan, o, tau, row)
        for key in rows:
            if key[0] not in n.options or key[1] not in n.options[key[0]].decided:
                self.fail(f"investments[{','.join(key)}]: not an option and period to decide in")

    def investment_row(self, plan: _Plan, o: Option, tau: str, row: pd.Series) -> None:
        n = self.n
        where = f"investments[{o.id},{tau}]"
        size = float(row["size"])
        plan.values["y", o.id, tau] = size
        if size < -TOLERANCE or not _at_most(size, o.max_size):
            self.fail(f"{where}: size {size} outside [0, {o.max_size}]")
        first = n.periods[n.periods.index(tau) + o.lead]
        if str(row["available_from"]) != first:
            self.fail(f"{where}: available_from {row['available_from']!r}, expected {first!r}")
        stands = len(n.periods) - n.periods.index(tau) - o.lead
        for column, expected in [
            ("capital_cost", size * o.capital),
            ("operating_cost", size * o.operating * o.per_period * stands),
        ]:
            if not _close(float(row[column]), expected):
                self.fail(f"{where}: {column} {row[column]}, expected {expected}")

    def build_variables(self, cost: dict[Var, float], upper: dict[Var, float | None]) -> None:
        """y[o,tau] for every option and period it may be decided in; the cells new capacity
        serves lose their upper bound (their capacity row holds them)."""
        n = self.n
        for o in n.options.values():
            for tau in o.decided:
                stands = len(n.periods) - n.periods.index(tau) - o.lead
                cost["y", o.id, tau] = o.capital + o.operating * o.per_period * stands
                upper["y", o.id, tau] = o.max_size
        for cell in n.new:
            upper[("x", *cell, "1") if len(cell) == 3 else ("u", *cell)] = None
        for f, t in n.new_feed:
            upper["w", f, t] = None

    def build_costs(self, plan: _Plan, parts: "_Parts") -> None:
        n = self.n
        for o in n.options.values():
            for tau in o.decided:
                stands = len(n.periods) - n.periods.index(tau) - o.lead
                size = plan["y", o.id, tau]
                parts.add("capital", o.id, size * o.capital)
                parts.add("operating", o.id, size * o.operating * o.per_period * stands)

    def members(self, who: str) -> set[str]:
        """The countries a rule's country or group names."""
        return set(self.problem.country_groups.get(who, [who]))

    def supply_of(self, m: str, t: str, keep: Any = None) -> Terms:
        """The terms of m delivered in t by the sources whose country ``keep`` accepts."""
        n = self.n
        return [
            term
            for s, country in n.country.items()
            if keep is None or keep(country)
            for term in n.arriving_terms(s, m, t)
        ]

    def without(self, rule: Any, m: str, t: str) -> Terms:
        """The terms of m delivered in t without the rule's country: its sources', or with a
        stage, those of the paths whose node at that stage stands elsewhere."""
        members = self.members(rule.country or rule.group)
        if rule.stage is None:
            return self.supply_of(m, t, lambda country: country not in members)
        stages = self.n.stages
        return self.stage_read(
            stages[-1],
            m,
            t,
            lambda c, j: c.countries[c.node_at(stages, rule.stage)] not in members,
            False,
        )[0]

    def opening(self, m: str, t: str) -> tuple[Terms, float]:
        """The opening stock of m in t: a term, or the initial stock as a number."""
        n = self.n
        before = n.previous(t)
        return ([], n.initial[m]) if before is None else ([(("I", m, before), 1.0)], 0.0)

    def balance_rows(self, saved_by: dict[MT, Terms]) -> Iterator[RuleRow]:
        n = self.n
        for m in n.materials:
            for t in n.periods:
                yield self.balance_row(m, t, saved_by[m, t])
                avoided = saved_by[m, t] + ([(("z", m, t), 1.0)] if m in n.penalty else [])
                yield RuleRow(
                    f"net_demand({m},{t})",
                    "net_demand",
                    None,
                    m,
                    t,
                    "<=",
                    avoided,
                    n.demand[m, t],
                    required=bool(saved_by[m, t]),
                )

    def balance_row(self, m: str, t: str, saved: Terms) -> RuleRow:
        n = self.n
        terms, initial = self.opening(m, t)
        terms += self.supply_of(m, t) + saved + [(("I", m, t), -1.0)]
        if m in n.penalty:
            terms.append((("z", m, t), 1.0))
        if (m, t) in n.max_sold:
            terms.append((("v", m, t), -1.0))
        if m in n.disposal:
            terms.append((("e", m, t), -1.0))
        sense = "=" if m in n.disposal else ">="
        demand = n.demand[m, t]
        return RuleRow(
            f"balance({m},{t})",
            "balance",
            None,
            m,
            t,
            sense,
            terms,
            demand - initial,
            shift=initial,
        )

    def share_rows(self) -> Iterator[RuleRow]:
        n = self.n
        for c, share in self.problem.security.max_country_share.items():
            for m in n.materials:
                for t in n.periods:
                    yield self.share_row(c, share, m, t)

    def share_row(self, c: str, share: float, m: str, t: str) -> RuleRow:
        n = self.n
        members = self.members(c)
        terms = [
            (key, a * ((1.0 if country in members else 0.0) - share))
            for s, country in n.country.items()
            for key, a in n.arriving_terms(s, m, t)
        ]
        own = self.supply_of(m, t, lambda country: country in members)
        return RuleRow(
            f"max_share({c},{m},{t})",
            "max_share",
            c,
            m,
            t,
            "<=",
            terms,
            0.0,
            required=share < 1 and bool(own),
            share=share,
        )

    def cover_rows(self, saved_by: dict[MT, Terms]) -> Iterator[RuleRow]:
        n = self.n
        for rule in self.problem.security.min_cover_without:
            c = rule.country or rule.group
            for m in n.materials if rule.materials is None else rule.materials:
                for t in n.periods:
                    terms, initial = self.opening(m, t)
                    terms += self.without(rule, m, t) + saved_by[m, t]
                    limit = rule.share * n.demand[m, t]
                    yield RuleRow(
                        f"cover_without({c},{m},{t})",
                        "cover_without",
                        c,
                        m,
                        t,
                        ">=",
                        terms,
                        limit - initial,
                        required=limit > 0,
                        shift=initial,
                        per_point=0.01 * n.demand[m, t],
                    )

    def stock_rows(self) -> Iterator[RuleRow]:
        n = self.n
        for (m, t), cover in n.cover.items():
            limit = cover * n.demand[m, t]
            strategic: Terms = [(("g", m, t), 1.0)] if n.gap(m, t) else []
            if n.gap(m, t) and m in n.penalty:
                strategic.append((("z", m, t), 1.0))
            yield RuleRow(
                f"stock_cover({m},{t})",
                "stock_cover",
                None,
                m,
                t,
                ">=",
                [(("I", m, t), 1.0), *strategic],
                limit,
                required=limit > 0,
                per_point=0.01 * n.demand[m, t],
            )
            if n.end(m, t):
                end: Terms = [(("I", m, t), 1.0), (("b", m, t), 1.0)]
                yield RuleRow(f"stock_end({m},{t})", "stock_end", None, m, t, ">=", end, limit)

    def cap_rows(self) -> Iterator[RuleRow]:
        n = self.n
        for name, group in n.caps.items():
            terms = self.group_terms(group)
            yield RuleRow(
                name,
                "cap",
                group.subject,
                "+".join(group.materials),
                period_label(n.periods, group.periods),
                "<=",
                terms,
                group.bound,
                required=bool(terms),
                per_point=None if group.share is None else 0.01 * group.capacity,
            )

    def contract_rows(self) -> Iterator[RuleRow]:
        n = self.n
        for name, group in n.contracts.items():
            terms = self.group_terms(group)
            if group.take_or_pay is not None:
                terms.append((("o", name), 1.0))
            yield RuleRow(
                name,
                "contract",
                group.subject,
                "+".join(group.materials),
                period_label(n.periods, group.periods),
                group.sense,
                terms,
                group.bound,
                # A minimum of 0 cannot bind.
                required=bool(terms) and (group.sense == "=" or group.bound > 0),
            )

    def separation_rows(self) -> Iterator[RuleRow]:
        n = self.n
        for (s, t), most in n.separation.items():
            terms = [term for m in n.materials for term in n.supply_terms(s, m, t)]
            terms += [
                (("y", o, tau), -n.options[o].per_period)
                for o, tau in n.new_separation.get((s, t), [])
            ]
            if terms:
                yield RuleRow(f"separation({s},{t})", "separation", s, "", t, "<=", terms, most)

    def flow_terms(self) -> dict[Var, "tuple[Chain, str, str]"]:
        """Every flow variable p[path,m,t]: a path through facilities, for each (m, t) its
        source can deliver."""
        n = self.n
        return {
            ("p", c.label, m, t): (c, m, t)
            for c in n.paths.values()
            if len(c.nodes) > 1
            for m in n.materials
            for t in n.periods
            if n.supply_terms(c.nodes[0], m, t)
        }

    def chain_rows(self) -> Iterator[RuleRow]:
        """chain: a source's paths take all it delivers; facility: what a facility takes in,
        at most its capacity."""
        n = self.n
        flows = self.flow_terms()
        sources = {(c.nodes[0], m, t) for c, m, t in flows.values()}
        for s, m, t in sorted(sources):
            terms = [
                (key, 1.0)
                for key, (c, mm, tt) in flows.items()
                if (c.nodes[0], mm, tt) == (s, m, t)
            ]
            terms += [(key, -a) for key, a in n.supply_terms(s, m, t)]
            yield RuleRow(f"chain({s},{m},{t})", "chain", s, m, t, "=", terms, 0.0)
        for (f, t), most in n.facility_capacity.items():
            terms = [
                (key, c.factors[c.nodes.index(f) - 1])
                for key, (c, _, tt) in flows.items()
                if tt == t and f in c.nodes[1:]
            ]
            builds = n.new_facility.get((f, t), [])
            terms += [(("y", o, tau), -n.options[o].per_period) for o, tau in builds]
            yield RuleRow(f"facility({f},{t})", "facility", f, "", t, "<=", terms, most)

    def entering(self, m: str, t: str) -> list[tuple["Chain", Terms]]:
        """Every path with what enters it in (m, t): p, or X for a one-node path."""
        n = self.n
        return [
            (c, [(("p", c.label, m, t), 1.0)] if len(c.nodes) > 1 else supply)
            for c in n.paths.values()
            for supply in [n.supply_terms(c.nodes[0], m, t)]
            if supply
        ]

    def worth(self, c: "Chain", j: int, m: str, t: str) -> float:
        """Value per tonne entering path c, at its node j: the first band's price (the
        reference price for a feed's material), plus the processing up to node j."""
        n = self.n
        bands = n.bands.get((c.nodes[0], m, t))
        price = bands[0].price if bands else value_in(self.problem.reference_prices.get(m), t)
        spent = sum(n.processing[c.nodes[k]] * c.factors[k - 1] for k in range(1, j + 1))
        return price + spent

    def stage_read(
        self, stage: str, m: str, t: str, counts: Any, value: bool
    ) -> tuple[Terms, Terms]:
        """(the terms a stage or origin rule counts, all terms) at ``stage`` in (m, t)."""
        stages = self.n.stages
        own: Terms = []
        total: Terms = []
        for c, entered in self.entering(m, t):
            j = c.node_at(stages, stage)
            weight = self.worth(c, j, m, t) if value else c.factors[j]
            terms = [(key, a * weight) for key, a in entered]
            total += terms
            own += terms if counts(c, j) else []
        return own, total

    def stage_rule_rows(self) -> Iterator[RuleRow]:
        """stage_max_share / stage_min_share: own - share x all of a stage, <= or >= 0."""
        n = self.n
        for rule in self.problem.security.stage_shares:
            kind = "stage_max_share" if rule.max_share is not None else "stage_min_share"
            members, ident = self.members(rule.who), rule.id or rule.default_id
            for stage in [rule.stage] if rule.stage else n.stages:
                for m, t, share in self.share_cells(rule):
                    read = self.stage_read(
                        stage,
                        m,
                        t,
                        lambda c, j, members=members: c.countries[j] in members,
                        rule.measure == "value",
                    )
                    index = f"({rule.who},{stage},{m},{t})"
                    yield self.share_rule_row(kind, index, ident, (m, t), share, read)

    def origin_rule_rows(self) -> Iterator[RuleRow]:
        """origin_share / origin_min_share: the last stage's tonnes (or value) through the
        country or group, at most or at least share x all."""
        n = self.n
        for rule in self.problem.security.origin_shares:
            kind = "origin_share" if rule.max_share is not None else "origin_min_share"
            members, ident = self.members(rule.who), rule.id or rule.default_id
            for m, t, share in self.share_cells(rule):
                read = self.stage_read(
                    n.stages[-1],
                    m,
                    t,
                    lambda c, j, members=members: bool(members & set(c.countries)),
                    rule.measure == "value",
                )
                index = f"({rule.who},{m},{t})"
                yield self.share_rule_row(kind, index, ident, (m, t), share, read)

    def share_cells(self, rule: Any) -> Iterator[tuple[str, str, float]]:
        """(material, period, share) of every row of a stage or origin rule: its materials
        (all by default) in each period it gives a share for."""
        given = rule.max_share if rule.max_share is not None else rule.min_share
        for m in rule.materials or self.n.materials:
            for t in self.n.periods:
                share = given_in(given, t)
                if share is not None:
                    yield m, t, share

    @staticmethod
    def share_rule_row(
        rule: str, index: str, ident: str, cell: MT, share: float, read: tuple[Terms, Terms]
    ) -> RuleRow:
        own, total = read
        most = rule not in ("stage_min_share", "origin_min_share")
        terms = own + [(key, -share * a) for key, a in total]
        required = bool(own) and share < 1 if most else share > 0
        sense = "<=" if most else ">="
        return RuleRow(
            rule + index,
            rule,
            ident,
            *cell,
            sense,
            terms,
            0.0,
            required=required,
            share=share,
            read=read,
        )

    def flows(self, plan: _Plan) -> None:
        """The flows table: one row per node of every path, material and period where its
        source can deliver, each node taking in what the one before put out and putting out
        its yield of it, at its stage and country, a facility at its processing cost; and the
        stage shares: each country's tonnes at a stage, and shares adding up to 1."""
        n = self.n
        table = getattr(self.result, "flows", pd.DataFrame())
        if not n.stages:
            if not table.empty:
                self.fail("flows: rows for a problem without stages")
            return
        rows = self._keyed("flows", ["path", "step", "material", "period"])
        expected: dict[tuple[str, str, str, str], float] = {}
        for c in n.paths.values():
            for m in n.materials:
                for t in n.periods:
                    if n.supply_terms(c.nodes[0], m, t):
                        self.flow_path(plan, c, (m, t), rows, expected)
        self.stage_shares(expected)

    def flow_path(
        self,
        plan: _Plan,
        c: "Chain",
        cell: MT,
        rows: dict[tuple[str, ...], pd.Series],
        expected: dict[tuple[str, str, str, str], float],
    ) -> None:
        """The rows of one path in (m, t): what enters it (p, or X for a one-node path), then
        each node; adds each node's tonnes to ``expected`` (stage, m, t, country)."""
        n = self.n
        m, t = cell
        first = rows.get((c.label, "0", m, t))
        if first is None:
            self.fail(f"flows[{c.label},{m},{t}]: missing")
            return
        entering = float(first["tonnes"])
        if len(c.nodes) > 1:
            plan.values["p", c.label, m, t] = entering
        else:
            delivered = plan.of(n.supply_terms(c.nodes[0], m, t))
            if not _close(entering, delivered):
                self.fail(f"flows[{c.label},{m},{t}]: {entering} t, X is {delivered}")
        for i in range(len(c.nodes)):
            row = rows.get((c.label, str(i), m, t))
            if row is None:
                self.fail(f"flows[{c.label},{i},{m},{t}]: missing")
                continue
            self.flow_row(c, i, entering, row)
            key = (c.stages[i], m, t, c.countries[i])
            expected[key] = expected.get(key, 0.0) + entering * c.factors[i]
        for stage in n.stages[: n.stages.index(c.stages[0])]:  # a source is every stage before
            key = (stage, m, t, c.countries[0])
            expected[key] = expected.get(key, 0.0) + entering

    def flow_row(self, c: "Chain", i: int, entering: float, row: pd.Series) -> None:
        """One node of a path: its labels, tonnes in and out, and processing cost."""
        where = f"flows[{c.label},{i},{row['material']},{row['period']}]"
        node = c.nodes[i]
        for column, want in [
            ("node", node),
            ("stage", c.stages[i]),
            ("country", c.countries[i]),
            ("source", c.nodes[0]),
        ]:
            if str(row[column]) != want:
                self.fail(f"{where}: {column} {row[column]!r}, expected {want!r}")
        taken = entering * c.factors[max(0, i - 1)]
        cost = taken * self.n.processing[node] if i else 0.0
        for column, want in [
            ("tonnes_in", taken),
            ("tonnes", entering * c.factors[i]),
            ("cost", cost),
        ]:
            if not _close(float(row[column]), want, abs(entering)):
                self.fail(f"{where}: {column} {row[column]}, expected {want}")

    def stage_shares(self, expected: dict[tuple[str, str, str, str], float]) -> None:
        """Each country's tonnes at each stage as the flows give them; shares add up to 1."""
        table = self.result.stage_shares
        rows = self._keyed("stage_shares", ["stage", "material", "period", "country"])
        totals: dict[tuple[str, str, str], float] = {}
        for (stage, m, t, _), tonnes in expected.items():
            totals[stage, m, t] = totals.get((stage, m, t), 0.0) + tonnes
        for key, tonnes in expected.items():
            row = rows.get(key)
            if row is None:
                self.fail(f"stage_shares[{','.join(key)}]: missing")
                continue
            if not _close(float(row["tonnes"]), tonnes):
                self.fail(
                    f"stage_shares[{','.join(key)}]: tonnes {row['tonnes']}, expected {tonnes}"
                )
            total = totals[key[:3]]
            if total > TOLERANCE and not _close(float(row["share"]), tonnes / total):
                self.fail(f"stage_shares[{','.join(key)}]: share {row['share']}")
        sums = table[table["share"].notna()].groupby(["stage", "material", "period"])["share"].sum()
        for key, total in sums.items():
            if not _close(float(total), 1.0):
                self.fail(f"stage_shares{list(key)}: shares add up to {total}, not 1")

    def substitute_rows(self, k: Any) -> Iterator[RuleRow]:
        """The ramp and sub_share rows of substitute ``k``."""
        n = self.n
        for t in n.periods:
            if (k.id, t) not in n.sub_capacity:
                continue
            if k.ramp is not None:
                growth = 1.0 + k.ramp.max_growth
                before = n.previous(t)
                terms: Terms = [(("u", k.id, t), 1.0)]
                rhs = k.ramp.max_increase
                if before is None:
                    rhs += growth * k.ramp.initial
                elif (k.id, before) in n.sub_capacity:
                    terms.append((("u", k.id, before), -growth))
                yield RuleRow(f"ramp({k.id},{t})", "ramp", k.id, "", t, "<=", terms, rhs)
            for m, share in k.max_share_of_demand.items():
                rho = given_in(share, t)  # a dict sets no limit where silent
                if rho is None or rho >= 1:
                    continue
                a = n.saves[k.id].get(m, 0.0)
                yield RuleRow(
                    f"sub_share({k.id},{m},{t})",
                    "sub_share",
                    k.id,
                    m,
                    t,
                    "<=",
                    [(("u", k.id, t), a)],
                    rho * n.demand[m, t],
                    required=a > 0,
                    per_point=0.01 * n.demand[m, t],
                )

    def own_terms(self, row: RuleRow, plan: _Plan) -> tuple[float, float]:
        """The row's value and limit in the rule's own terms, as the constraints table has
        them."""
        if row.rule == "max_share":
            members = self.members(row.subject)
            own = plan.purchased(row.material, row.period, lambda c: c in members)
            return own, (row.share or 0.0) * plan.purchased(row.material, row.period)
        if row.read is not None:
            return plan.of(row.read[0]), (row.share or 0.0) * plan.of(row.read[1])
        if row.rule in ("capacity", "separation", "facility"):  # used against what was + the new
            new = -plan.of([(key, a) for key, a in row.terms if a < 0])
            return plan.of(row.terms) + new, row.rhs + new
        return plan.of(row.terms) + row.shift, row.rhs + row.shift

    def rules(self, plan: _Plan, rows: list[RuleRow]) -> None:
        """Every row of the LP but the balance (checked with the inventory) holds."""
        for row in rows:
            if row.rule == "balance":
                continue
            value, limit = self.own_terms(row, plan)
            scale = plan.size(row.terms) + abs(row.rhs) + abs(row.shift)
            holds = {
                ">=": _at_most(limit, value, scale),
                "<=": _at_most(value, limit, scale),
                "=": _close(value, limit, scale),
            }[row.sense]
            if not holds:
                self.fail(f"{row.name}: broken, value {value} {row.sense} limit {limit} is false")

    # -- money ------------------------------------------------------------------------------

    def costs(self, plan: _Plan) -> None:
        total = self.result.total_cost
        parts = self.cost_parts(plan)
        objective = sum(sum(items.values()) for items in parts.values())
        scale = sum(abs(v) for items in parts.values() for v in items.values())
        self.cost_table(parts, scale)
        if total is None or not math.isfinite(total):
            self.fail(f"total_cost is {total} in an optimal result")
            return
        listed_total = float(self.result.costs["cost"].sum())
        if not _close(listed_total, total, scale):
            self.fail(f"costs add up to {listed_total}, not total_cost {total}")
        if not _close(objective, total, scale):
            self.fail(f"total_cost {total} != objective recomputed from the tables {objective}")

    def cost_parts(self, plan: _Plan) -> dict[str, dict[str, float]]:
        """Component -> item -> cost of ``plan``, recomputed from the numbers."""
        n = self.n
        parts = _Parts()
        for (s, m, t), bands in n.bands.items():
            for j, band in enumerate(bands, start=1):
                price = 0.0 if math.isnan(band.price) else band.price
                parts.add("purchases", s, plan["x", s, m, t, str(j)] * price)
        for (f, t), price in n.feed_price.items():
            parts.add("feeds", f, plan["w", f, t] * (0.0 if math.isnan(price) else price))
        for (k, t), cost in n.sub_cost.items():
            parts.add("substitution", k, plan["u", k, t] * (0.0 if math.isnan(cost) else cost))
        for m in n.materials:
            for t in n.periods:
                self.material_costs(plan, parts, m, t)
        for name, group in n.contracts.items():
            if group.take_or_pay is not None:
                parts.add("take_or_pay", group.subject, plan["o", name] * group.take_or_pay)
        self.build_costs(plan, parts)
        for s, cost in n.qualification.items():
            parts.add("qualification", s, plan["Q", s] * cost)
        for key, (c, _, _) in self.flow_terms().items():
            for i, node in enumerate(c.nodes[1:], 1):
                parts.add("processing", node, plan[key] * c.factors[i - 1] * n.processing[node])
        return parts.parts

    def material_costs(self, plan: _Plan, parts: _Parts, m: str, t: str) -> None:
        """The costs of material m in period t: holding, shortage, sales, waste, gap."""
        n = self.n
        parts.add("holding", m, plan["I", m, t] * n.holding[m])
        if m in n.penalty:
            parts.add("shortage", m, plan["z", m, t] * n.penalty[m])
        if (m, t) in n.max_sold:
            parts.add("sales", m, -plan["v", m, t] * n.salvage[m, t])
        if m in n.disposal:
            parts.add("disposal", m, plan["e", m, t] * n.disposal[m])
        if m in n.below_cost:
            parts.add("below_target", m, self._below_target_cost(plan, m, t))

    def cost_table(self, parts: dict[str, dict[str, float]], scale: float) -> None:
        """The costs table lists every recomputed cost, and nothing else."""
        listed = self.result.costs.groupby(["component", "item"])["cost"].sum()
        for component, items in parts.items():
            for item, expected in items.items():
                got = float(listed.get((component, item), 0.0))
                if not _close(got, expected, scale):
                    self.fail(f"costs[{component},{item}]: {got}, expected {expected}")
        for component, item in listed.index:
            if item not in parts.get(component, {}) and abs(float(listed[component, item])) > 0:
                self.fail(f"costs[{component},{item}]: unexpected cost {listed[component, item]}")

    # -- integer rules ----------------------------------------------------------------------

    def integers(self, plan: _Plan) -> None:
        """The integer decisions the plan implies, set in ``plan``: whole units n = size / unit
        (which must be whole), q = 1 where a cell with a lot delivers (at least its lot), Q = 1
        where a source with a qualification cost delivers anything."""
        n = self.n
        for o, unit in n.unit_size.items():
            for tau in n.options[o].decided:
                units = plan["y", o, tau] / unit
                plan.values["n", o, tau] = float(round(units))
                if not _close(units, round(units)):
                    self.fail(f"investments[{o},{tau}]: {units} units of {unit}, not whole")
        rows = self.result.constraints.set_index("constraint")["value"]
        for s, m, t in n.used:
            x = plan.delivered(s, m, t)
            q = self.used(x, float(rows.get(f"use({s},{m},{t})", math.nan)), (s, m, t))
            plan.values["q", s, m, t] = q
            lot = n.min_lot.get((s, m, t), 0.0)
            if not _at_most(lot * q, x) or not _at_most(x, n.most_with_new(s, m, t) * q):
                self.fail(f"supply[{s},{m},{t}]: {x} t with use {q}, lot {lot}")
        for cell, bands in n.discounts.items():
            self.discount(plan, cell, bands)
        costs = self.result.costs
        paid = costs[costs["component"] == "qualification"].set_index("item")["cost"]
        for s, cost in n.qualification.items():
            delivered = sum(plan.delivered(s, m, t) for m in n.materials for t in n.periods)
            plan.values["Q", s] = float(paid.get(s, 0.0)) / cost
            if delivered > TOLERANCE and not _close(plan["Q", s], 1.0):
                self.fail(f"costs[qualification,{s}]: {paid.get(s, 0.0)}, expected {cost}")

    def discount(self, plan: _Plan, cell: SMT, bands: list[tuple[float, float]]) -> None:
        """d = 1 for a later band bought in (the first has no d), one band at most, and the
        price paid: every tonne of the period at the price of the band the total falls in."""
        s, m, t = cell
        tonnes = [plan.values.get(("x", s, m, t, str(j)), 0.0) for j in range(1, len(bands) + 1)]
        for j, x in enumerate(tonnes[1:], start=2):
            plan.values["d", s, m, t, str(j)] = float(x > TOLERANCE)
        if sum(x > TOLERANCE for x in tonnes) > 1:
            self.fail(f"purchases[{s},{m},{t}]: bought in more than one discount band {tonnes}")
        total = sum(tonnes)
        price = [p for start, p in bands if start <= total + TOLERANCE * max(1.0, total)][-1]
        paid = sum(x * p for x, (_, p) in zip(tonnes, bands, strict=True))
        if not _close(paid, total * price, total * price):
            self.fail(
                f"purchases[{s},{m},{t}]: {total} t paid {paid}, expected {total} x {price} "
                "(every tonne at the price of the discount band the total falls in)"
            )

    def used(self, x: float, value: float, cell: SMT) -> float:
        """q of ``cell``, read off its use row's value (X - most q): the one integer decision
        the tables do not list (a source may be free to deliver and deliver nothing)."""
        most = self.n.most_with_new(*cell)
        q = (x - value) / most if most > 0 and not math.isnan(value) else float(x > TOLERANCE)
        if not _close(q, round(q)) or round(q) not in (0, 1):
            self.fail(f"constraints[use({','.join(cell)})]: use {q}, not 0 or 1")
        return float(round(q))

    def integer_rows(self) -> Iterator[RuleRow]:
        """unit_size: y - unit x n = 0; use: X - most x q <= 0; min_lot: X - lot x q >= 0;
        qualification: X summed over the horizon - its most x Q <= 0."""
        n = self.n
        for o, unit in n.unit_size.items():
            for tau in n.options[o].decided:
                terms: Terms = [(("y", o, tau), 1.0), (("n", o, tau), -unit)]
                yield RuleRow(f"unit_size({o},{tau})", "unit_size", o, "", tau, "=", terms, 0.0)
        for s, m, t in n.used:
            x = n.supply_terms(s, m, t)
            most = n.most_with_new(s, m, t)
            q: Var = ("q", s, m, t)
            yield RuleRow(f"use({s},{m},{t})", "use", s, m, t, "<=", [*x, (q, -most)], 0.0)
            if (s, m, t) in n.min_lot:
                lot = n.min_lot[s, m, t]
                terms = [*x, (q, -lot)]
                yield RuleRow(f"min_lot({s},{m},{t})", "min_lot", s, m, t, ">=", terms, 0.0)
        yield from self.supplier_rows()
        yield from self.discount_rows()
        label = f"{n.periods[0]}..{n.periods[-1]}"
        for s in n.qualification:
            cells = [(m, t) for m in n.materials for t in n.periods if n.supply_terms(s, m, t)]
            x = [term for m, t in cells for term in n.supply_terms(s, m, t)]
            most = sum(n.most_with_new(s, m, t) for m, t in cells)
            name = f"qualification({s},{label})"
            yield RuleRow(name, "qualification", s, "", label, "<=", [*x, (("Q", s), -most)], 0.0)

    def discount_rows(self) -> Iterator[RuleRow]:
        """For each band j >= 2: discount_top: x_j - top_j d_j <= 0, discount_from:
        x_j - start_j d_j >= 0; discount: x_1 + top_1 sum_{j>=2} d_j <= top_1 (the first
        band, from 0, has no d: it holds tonnes only if no other band is chosen)."""
        for (s, m, t), bands in self.n.discounts.items():
            tops = [band.width for band in self.n.bands[s, m, t]]
            first: Terms = [(("x", s, m, t, "1"), 1.0)]
            for j, ((start, _), top) in enumerate(zip(bands, tops, strict=True), start=1):
                if j == 1:
                    continue
                x: Var = ("x", s, m, t, str(j))
                d: Var = ("d", s, m, t, str(j))
                name = f"({s},{m},{j},{t})"
                top_terms: Terms = [(x, 1.0), (d, -top)]
                yield RuleRow("discount_top" + name, "discount_top", s, m, t, "<=", top_terms, 0.0)
                terms: Terms = [(x, 1.0), (d, -start)]
                yield RuleRow("discount_from" + name, "discount_from", s, m, t, ">=", terms, 0.0)
                first.append((d, tops[0]))
            yield RuleRow(f"discount({s},{m},{t})", "discount", s, m, t, "<=", first, tops[0])

    def supplier_rows(self) -> Iterator[RuleRow]:
        """max_suppliers: the q of a material's cells in a period at most N; min_suppliers:
        the q of its cells with a lot at least N."""
        n = self.n
        for m, most in n.max_suppliers.items():
            for t in n.periods:
                terms: Terms = [(("q", *c), 1.0) for c in n.used if c[1:] == (m, t)]
                yield RuleRow(
                    f"max_suppliers({m},{t})", "max_suppliers", "", m, t, "<=", terms, most
                )
        for m, least in n.min_suppliers.items():
            for t in n.periods:
                terms = [(("q", *c), 1.0) for c in n.min_lot if c[1:] == (m, t)]
                name = f"min_suppliers({m},{t})"
                yield RuleRow(name, "min_suppliers", "", m, t, ">=", terms, least)

    def integer_variables(self, cost: dict[Var, float], upper: dict[Var, float | None]) -> None:
        """n, q and Q: fixed at the plan's values in the LP whose duals a MILP reports."""
        n = self.n
        for o in n.unit_size:
            for tau in n.options[o].decided:
                cost["n", o, tau], upper["n", o, tau] = 0.0, None
        for cell in n.used:
            cost[("q", *cell)], upper[("q", *cell)] = 0.0, 1.0
        for s, price in n.qualification.items():
            cost["Q", s], upper["Q", s] = price, 1.0
        for (s, m, t), bands in n.discounts.items():
            for j in range(2, len(bands) + 1):
                cost["d", s, m, t, str(j)], upper["d", s, m, t, str(j)] = 0.0, 1.0

    # -- the constraints table and its duals ------------------------------------------------

    def constraints(self, plan: _Plan, rows: list[RuleRow], duals: bool) -> None:
        listed: dict[str, tuple[RuleRow, float]] = {}
        by_name = {row.name: row for row in rows}
        for _, record in self.result.constraints.iterrows():
            name = str(record["constraint"])
            row = by_name.get(name) or self.named(rows, name)
            if row is None:
                self.fail(f"constraints: row {name} is not a rule of the problem")
                continue
            if row.name in listed:
                self.fail(f"constraints: row {name} appears twice")
            listed[row.name] = (row, float(record["shadow_price"]))
            self.constraint_row(plan, row, record)
        for row in rows:
            # A row without a variable (a constant such as the opening stock against a share
            # of demand) is no row of an LP.
            if row.required and _has_variable(row) and row.name not in listed:
                self.fail(f"constraints: row {row.name} is missing")
        if duals:
            self.duality(plan, list(listed.values()))

    def named(self, rows: list[RuleRow], name: str) -> RuleRow | None:
        """The row of ``rows`` a constraints row names (materials in any order), if any."""
        return next((r for r in rows if self.same_name(r.name, name)), None)

    def constraint_row(self, plan: _Plan, row: RuleRow, record: pd.Series) -> None:
        self.constraint_labels(row, record)
        value, limit = self.own_terms(row, plan)
        scale = max(abs(value), abs(limit), plan.size(row.terms))
        for column, want in [("value", value), ("limit", limit)]:
            if not _close(float(record[column]), want, scale):
                self.fail(f"constraints[{row.name}]: {column} {record[column]}, expected {want}")
        slack = {">=": value - limit, "<=": limit - value, "=": 0.0}[row.sense]
        if not _close(float(record["slack"]), slack, scale):
            self.fail(f"constraints[{row.name}]: slack {record['slack']}, expected {slack}")
        self.constraint_shadow(row, record, slack, scale)
        self.constraint_per_point(plan, row, record)

    def constraint_labels(self, row: RuleRow, record: pd.Series) -> None:
        """The rule, period, material, subject and sense of a constraints row."""
        name = row.name
        for column, label in [("rule", row.rule), ("period", row.period)]:
            if str(record[column]) != label:
                self.fail(f"constraints[{name}]: {column} {record[column]!r}, expected {label!r}")
        material = "" if record["material"] is None else str(record["material"])
        if not _same_list(material, row.material):
            self.fail(f"constraints[{name}]: material {material!r}, expected {row.material!r}")
        if row.subject is not None and str(record["subject"]) != row.subject:
            self.fail(
                f"constraints[{name}]: subject {record['subject']!r}, expected {row.subject!r}"
            )
        if record["sense"] != row.sense:
            self.fail(f"constraints[{name}]: sense {record['sense']!r}, expected {row.sense!r}")

    def constraint_shadow(
        self, row: RuleRow, record: pd.Series, slack: float, scale: float
    ) -> None:
        """The sign of a row's shadow price, complementary slackness, and its binding flag."""
        name = row.name
        shadow = float(record["shadow_price"])
        if row.sense != "=":
            if not shadow >= -TOLERANCE * max(1.0, abs(shadow)):
                self.fail(f"constraints[{name}]: negative shadow_price {shadow}")
            if slack > 1e-4 * max(1.0, scale) and shadow > 1e-4:
                self.fail(f"constraints[{name}]: slack {slack} but shadow_price {shadow}")
        # As documented: tight, and either a positive shadow price or a non-zero limit.
        tight = float(record["slack"]) <= 1e-6 * max(1.0, abs(float(record["limit"])))
        binding = tight and (shadow > 0 or abs(float(record["limit"])) > 1e-9)
        if bool(record["binding"]) != binding:
            self.fail(
                f"constraints[{name}]: binding {record['binding']} with slack {record['slack']}, "
                f"limit {record['limit']} and shadow_price {shadow}"
            )

    def constraint_per_point(self, plan: _Plan, row: RuleRow, record: pd.Series) -> None:
        """A row's cost_per_point: its shadow price times one point of its parameter."""
        name = row.name
        shadow = float(record["shadow_price"])
        per_point = row.per_point
        if row.rule == "max_share":
            per_point = 0.01 * plan.purchased(row.material, row.period)
        if row.read is not None:
            per_point = 0.01 * plan.of(row.read[1])
        cost_per_point = float(record["cost_per_point"])
        if per_point is None:
            if not math.isnan(cost_per_point):
                self.fail(f"constraints[{name}]: cost_per_point {cost_per_point}, no parameter")
        elif not _close(cost_per_point, shadow * per_point, abs(shadow * per_point)):
            self.fail(
                f"constraints[{name}]: cost_per_point {cost_per_point}, "
                f"expected {shadow * per_point}"
            )

    def variables(self) -> tuple[dict[Var, float], dict[Var, float | None]]:
        """Every variable of the LP: its objective coefficient and upper bound (None: none)."""
        n = self.n
        cost: dict[Var, float] = {}
        upper: dict[Var, float | None] = {}
        for (s, m, t), bands in n.bands.items():
            for j, band in enumerate(bands, start=1):
                cost["x", s, m, t, str(j)] = 0.0 if math.isnan(band.price) else band.price
                upper["x", s, m, t, str(j)] = band.width
        for ft, tonnes in n.feed_capacity.items():
            price = n.feed_price[ft]
            cost["w", *ft] = 0.0 if math.isnan(price) else price
            upper["w", *ft] = tonnes
        for kt, units in n.sub_capacity.items():
            unit = n.sub_cost[kt]
            cost["u", *kt] = 0.0 if math.isnan(unit) else unit
            upper["u", *kt] = units
        for m in n.materials:
            for t in n.periods:
                self.material_variables(m, t, cost, upper)
        for name, group in n.contracts.items():
            if group.take_or_pay is not None:
                cost["o", name] = group.take_or_pay
                upper["o", name] = group.bound
        self.build_variables(cost, upper)
        self.integer_variables(cost, upper)
        for key, (c, _, _) in self.flow_terms().items():
            nodes = enumerate(c.nodes[1:], 1)
            cost[key] = sum(c.factors[i - 1] * n.processing[node] for i, node in nodes)
            upper[key] = None
        return cost, upper

    def material_variables(
        self, m: str, t: str, cost: dict[Var, float], upper: dict[Var, float | None]
    ) -> None:
        """The variables of material m in period t: stock, shortage, sales, waste, gaps."""
        n = self.n
        cost["I", m, t] = n.holding[m]
        upper["I", m, t] = None
        if m in n.penalty:
            cost["z", m, t] = n.penalty[m]
            upper["z", m, t] = n.demand[m, t]
        if (m, t) in n.max_sold:
            cost["v", m, t] = -n.salvage[m, t]
            most = n.max_sold[m, t]
            upper["v", m, t] = None if math.isinf(most) else most
        if m in n.disposal:
            cost["e", m, t] = n.disposal[m]
            upper["e", m, t] = None
        if n.gap(m, t):
            ends = n.end(m, t)
            cost["g", m, t] = n.below_target_cost(m, t, 0.0 if ends else 1.0, 1.0)
            upper["g", m, t] = None
        if n.end(m, t):
            cost["b", m, t] = n.below_target_cost(m, t, 1.0, 0.0)
            upper["b", m, t] = None

    def duality(self, plan: _Plan, listed: list[tuple[RuleRow, float]]) -> None:
        """The shadow prices are an optimal dual: reduced costs of variables unbounded above are
        >= 0 and the dual objective equals the total cost.

        Every row is read as ``sum_j a_j v_j >= b`` (a <= row negated) with multiplier
        y = shadow_price, >= 0 for inequalities and free for equations; the dual objective is
        sum y b + sum over bounded variables of ub * min(0, reduced cost). Bounded variables are
        the bands, feeds, substitutes, shortages, sales with a limit and take-or-pay shortfalls.
        """
        cost, upper = self.variables()
        dual = _Dual(cost)
        for row, y in listed:
            for key in dual.add_row(row, y):
                self.fail(f"duals: {row.name} has a term in {key}, not a variable of the LP")
        for key, d in dual.reduced.items():
            bound = upper[key]
            if key[0] in INTEGERS:
                dual.add_fixed(key, plan[key])
            elif bound is None:
                if d < -TOLERANCE * max(1.0, dual.size[key]):
                    self.fail(f"duals: reduced cost {d} < 0 for unbounded {key}")
            else:
                dual.add_bound(key, bound)
        total = self.result.total_cost or 0.0
        if not _close(dual.objective, total, dual.magnitude):
            self.fail(f"duals: dual objective {dual.objective} != total_cost {total}")

    # -- all --------------------------------------------------------------------------------

    def run(self, duals: bool) -> list[str]:
        if self.result.status != "optimal":
            self.fail(f"status is {self.result.status!r}, not optimal: nothing to check")
            return self.violations
        if not self.columns():
            return self.violations
        plan = _Plan(self.n)
        self.investments(plan)
        self.purchases(plan)
        self.feeds(plan)
        self.flows(plan)  # the flows' values before the rules that count them
        self.substitution(plan)
        self.shortage(plan)
        inventory = self.stock_and_sales(plan)
        self.inventory(plan, inventory)
        self.shortfalls(plan)
        self.supply(plan)
        self.integers(plan)
        self.shares(plan)
        rows = list(self.rule_rows())
        self.rules(plan, rows)
        self.costs(plan)
        self.constraints(plan, rows, duals)
        return self.violations


def check(problem: Problem, result: Result, *, duals: bool = True) -> list[str]:
    """Every violation of ``problem`` by the optimal ``result``, one sentence each.

    An empty list means the plan is feasible, priced as the problem says, its costs add up to
    ``total_cost``, the constraints table reads the rules right, and (with ``duals``) its
    shadow prices prove the plan optimal.
    """
    return _Checker(problem, result).run(duals)
