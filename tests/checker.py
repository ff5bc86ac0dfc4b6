"""An independent checker of optiree results.

:func:`check` takes a :class:`optiree.Problem` and the :class:`optiree.Result` of solving it and
lists every way the result's tables break the problem: a demand not met, a capacity exceeded, a
cap or security rule broken, a price or cost that is not the one the problem gives, costs that do
not add up to ``total_cost``, shadow prices that are not an optimal dual. It reads only the tables
and the problem's own fields: the scalar-or-per-period inputs, ``available_from`` and the prices
are resolved here, again, without ``optiree.prepare`` or ``optiree.model``, so a mistake there
is not repeated here.

Comparisons allow an error of ``TOLERANCE`` times the size of the numbers compared (at least 1),
so a plan in millions of tonnes is held to the same relative accuracy as one in tonnes.

The formulation checked, in the terms of the problem (every variable >= 0):

- x[s,m,t] tonnes bought, at most the capacity, none before ``available_from``;
- u[k,t] substitute units, at most the capacity; I[m,t] closing stock; z[m,t] shortage, only
  for materials with a shortage penalty, at most the demand;
- balance:        I[m,t-1] + sum_s x + sum_k saves[k,m] u + z - I[m,t] >= demand[m,t];
- net_demand:     sum_k saves[k,m] u + z <= demand[m,t] (substitution and shortage avoid
                  demand; neither can turn into stock);
- max_share:      sum_{s of c} x <= share * sum_s x;
- cover_without:  sum_{s not of c} x + sum_k saves[k,m] u + I[m,t-1] >= share * demand[m,t];
- stock_cover:    I[m,t] >= cover[m,t] * demand[m,t] (a per-period cover is 0 where not listed);
- cap:            sum over matching sources of x <= max_tonnes, or <= share * their capacity;

with I[m,t-1] the initial stock in the first period, and the objective
sum price x + sum cost u + sum holding I + sum penalty z.
"""

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pandas as pd

from optiree import Problem, Result

TOLERANCE = 1e-6
"""Largest error allowed, relative to the size of the numbers compared (at least 1)."""

COLUMNS = {
    "costs": ["component", "item", "cost"],
    "purchases": [
        "source",
        "country",
        "material",
        "period",
        "tonnes",
        "capacity",
        "unit_price",
        "cost",
        "reduced_cost",
        "price_low",
        "price_high",
    ],
    "substitution": ["substitute", "period", "units", "unit_cost", "cost"],
    "inventory": [
        "material",
        "period",
        "opening",
        "purchased",
        "substituted",
        "shortage",
        "demand",
        "closing",
        "surplus",
        "holding_cost",
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


def value_in(value: float | Mapping[str, float], period: str) -> float:
    """A scalar input, or a per-period dict in which a period not listed is 0."""
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


@dataclass(frozen=True)
class CapScope:
    """One cap on one material and period: the matching sources and the most they may sell."""

    cap: str
    material: str
    period: str
    sources: tuple[str, ...]
    limit: float
    share: float | None
    capacity: float


@dataclass
class Numbers:
    """A problem's inputs resolved to one number per index (zero capacities left out)."""

    periods: list[str]
    materials: list[str]
    country: dict[str, str]
    capacity: dict[SMT, float] = field(default_factory=dict)
    price: dict[SMT, float] = field(default_factory=dict)
    sub_capacity: dict[KT, float] = field(default_factory=dict)
    sub_cost: dict[KT, float] = field(default_factory=dict)
    saves: dict[str, dict[str, float]] = field(default_factory=dict)
    demand: dict[MT, float] = field(default_factory=dict)
    initial: dict[str, float] = field(default_factory=dict)
    holding: dict[str, float] = field(default_factory=dict)
    penalty: dict[str, float] = field(default_factory=dict)
    caps: dict[tuple[str, str, str], CapScope] = field(default_factory=dict)

    def previous(self, period: str) -> str | None:
        i = self.periods.index(period)
        return self.periods[i - 1] if i > 0 else None


def resolve(problem: Problem) -> Numbers:
    """The numbers of ``problem``, resolved from its fields as the schema documents them."""
    periods = list(problem.periods)
    materials = [m.id for m in problem.materials]
    n = Numbers(periods, materials, {s.id: s.country for s in problem.sources})
    for s in problem.sources:
        for m, capacity in s.capacity.items():
            for t in periods_from(periods, s.available_from):
                tonnes = value_in(capacity, t)
                if tonnes <= 0:
                    continue
                n.capacity[s.id, m, t] = tonnes
                own = given_in(s.prices.get(m), t)
                if own is not None:
                    n.price[s.id, m, t] = own
                else:
                    reference = given_in(problem.reference_prices.get(m), t)
                    if reference is not None:
                        n.price[s.id, m, t] = reference * s.price_multiplier
    for k in problem.substitutes:
        n.saves[k.id] = dict(k.saves)
        for t in periods_from(periods, k.available_from):
            units = value_in(k.capacity, t)
            if units > 0:
                n.sub_capacity[k.id, t] = units
                cost = given_in(k.cost, t)
                n.sub_cost[k.id, t] = math.nan if cost is None else cost
    for m in materials:
        for t in periods:
            n.demand[m, t] = value_in(problem.demand.get(m, 0.0), t)
        n.initial[m] = problem.stock.initial.get(m, 0.0)
        n.holding[m] = problem.stock.holding_cost.get(m, 0.0)
    n.penalty = dict(problem.shortage_penalty)
    for i, cap in enumerate(problem.caps):
        cap_id = cap.id if cap.id is not None else f"cap{i + 1}"
        matching = [
            s.id
            for s in problem.sources
            if (cap.source is not None and s.id == cap.source)
            or (cap.country is not None and s.country == cap.country)
        ]
        for m in materials if cap.materials is None else cap.materials:
            for t in periods if cap.periods is None else cap.periods:
                sources = tuple(s for s in matching if (s, m, t) in n.capacity)
                total = sum(n.capacity[s, m, t] for s in sources)
                share = cap.max_share_of_capacity
                limit = share * total if share is not None else float(cap.max_tonnes or 0.0)
                n.caps[cap_id, m, t] = CapScope(cap_id, m, t, sources, limit, share, total)
    return n


def _close(a: float, b: float, scale: float = 0.0) -> bool:
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b), scale)


def _at_most(a: float, b: float, scale: float = 0.0) -> bool:
    """``a <= b`` up to the tolerance."""
    return a - b <= TOLERANCE * max(1.0, abs(a), abs(b), scale)


AT_LEAST = ("balance", "cover_without", "stock_cover")
"""Rules that read ``value >= limit``; the others (net_demand, max_share, cap) read <=."""


class RuleRow(NamedTuple):
    """One rule instance: its name, as in the constraints table, and how the plan meets it."""

    name: str
    rule: str
    subject: str | None
    material: str
    period: str
    value: float
    limit: float

    def holds(self) -> bool:
        if self.rule in AT_LEAST:
            return _at_most(self.limit, self.value)
        return _at_most(self.value, self.limit)


@dataclass
class _Plan:
    """The plan read from the tables, by index."""

    bought: dict[SMT, float]
    units: dict[KT, float]
    closing: dict[MT, float]
    short: dict[MT, float]

    def purchased(self, m: str, t: str, countries: Mapping[str, str], keep: Any = None) -> float:
        return sum(
            tonnes
            for (s, mm, tt), tonnes in self.bought.items()
            if mm == m and tt == t and (keep is None or keep(countries[s]))
        )


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

    def purchases(self) -> dict[SMT, float]:
        n = self.n
        bought: dict[SMT, float] = {}
        for key, row in self._keyed("purchases", ["source", "material", "period"]).items():
            s, m, t = key
            where = f"purchases[{s},{m},{t}]"
            tonnes = float(row["tonnes"])
            if s not in n.country or m not in n.materials or t not in n.periods:
                self.fail(f"{where}: unknown source, material or period")
                continue
            bought[s, m, t] = tonnes
            if row["country"] != n.country[s]:
                self.fail(f"{where}: country {row['country']!r}, expected {n.country[s]!r}")
            if tonnes < -TOLERANCE:
                self.fail(f"{where}: negative tonnes {tonnes}")
            capacity = n.capacity.get((s, m, t), 0.0)
            if not _at_most(tonnes, capacity):
                what = "capacity" if capacity > 0 else "availability (no capacity there)"
                self.fail(f"{where}: {tonnes} t exceeds {what} {capacity} t")
            price = n.price.get((s, m, t))
            unit_price = float(row["unit_price"])
            if price is not None and not _close(unit_price, price):
                self.fail(f"{where}: unit_price {unit_price}, expected {price}")
            if price is not None and not _close(float(row["cost"]), tonnes * price):
                self.fail(f"{where}: cost {row['cost']}, expected {tonnes * price}")
        return bought

    def substitution(self) -> dict[KT, float]:
        n = self.n
        units: dict[KT, float] = {}
        table = self.result.substitution
        saved = sorted({m for k in n.saves.values() for m in k})
        for m in saved:
            if f"saved_{m}" not in table.columns:
                self.fail(f"substitution: missing column saved_{m}")
        for key, row in self._keyed("substitution", ["substitute", "period"]).items():
            k, t = key
            where = f"substitution[{k},{t}]"
            used = float(row["units"])
            if k not in n.saves or t not in n.periods:
                self.fail(f"{where}: unknown substitute or period")
                continue
            units[k, t] = used
            if used < -TOLERANCE:
                self.fail(f"{where}: negative units {used}")
            capacity = n.sub_capacity.get((k, t), 0.0)
            if not _at_most(used, capacity):
                self.fail(f"{where}: {used} units exceed capacity {capacity}")
            cost = n.sub_cost.get((k, t))
            if cost is not None and not math.isnan(cost):
                if not _close(float(row["unit_cost"]), cost):
                    self.fail(f"{where}: unit_cost {row['unit_cost']}, expected {cost}")
                if not _close(float(row["cost"]), used * cost):
                    self.fail(f"{where}: cost {row['cost']}, expected {used * cost}")
            for m in saved:
                column = f"saved_{m}"
                expected = used * n.saves[k].get(m, 0.0)
                if column in table.columns and not _close(float(row[column]), expected):
                    self.fail(f"{where}: {column} {row[column]}, expected {expected}")
        return units

    def saved(self, units: dict[KT, float], m: str, t: str) -> float:
        saves = self.n.saves
        return sum(u * saves.get(k, {}).get(m, 0.0) for (k, tt), u in units.items() if tt == t)

    def shortage(self) -> dict[MT, float]:
        n = self.n
        short: dict[MT, float] = {}
        for key, row in self._keyed("shortage", ["material", "period"]).items():
            m, t = key
            where = f"shortage[{m},{t}]"
            tonnes = float(row["tonnes"])
            if m not in n.materials or t not in n.periods:
                self.fail(f"{where}: unknown material or period")
                continue
            short[m, t] = tonnes
            if m not in n.penalty:
                if abs(tonnes) > TOLERANCE:
                    self.fail(f"{where}: {tonnes} t short but {m} has no shortage_penalty")
                continue
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
        return short

    def inventory(self, plan: _Plan) -> None:
        """Balance, stock continuity and the inventory columns, per material and period."""
        n = self.n
        rows = self._keyed("inventory", ["material", "period"])
        for m in n.materials:
            expected_opening = n.initial[m]
            for t in n.periods:
                where = f"inventory[{m},{t}]"
                row = rows.get((m, t))
                if row is None:
                    self.fail(f"{where}: missing")
                    continue
                opening, closing = float(row["opening"]), float(row["closing"])
                if not _close(opening, expected_opening):
                    what = "initial stock" if n.previous(t) is None else "previous closing"
                    self.fail(f"{where}: opening {opening} != {what} {expected_opening}")
                purchased = plan.purchased(m, t, n.country)
                saved = self.saved(plan.units, m, t)
                short = plan.short.get((m, t), 0.0)
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
                supply = opening + purchased + saved + short - closing
                scale = opening + purchased + saved + short + closing + demand
                if not _at_most(demand, supply, scale):
                    self.fail(f"{where}: demand {demand} t not met, only {supply} t supplied")
                if not _close(float(row["surplus"]), supply - demand, scale):
                    self.fail(f"{where}: surplus {row['surplus']}, expected {supply - demand}")
                holding = closing * n.holding[m]
                if not _close(float(row["holding_cost"]), holding):
                    self.fail(f"{where}: holding_cost {row['holding_cost']}, expected {holding}")
                expected_opening = closing
        for key in rows:
            if key[0] not in n.materials or key[1] not in n.periods:
                self.fail(f"inventory[{','.join(key)}]: unknown material or period")

    def shares(self, plan: _Plan) -> None:
        n = self.n
        rows = self._keyed("shares", ["material", "period", "country"])
        for (m, t, c), row in rows.items():
            where = f"shares[{m},{t},{c}]"
            if m not in n.materials or t not in n.periods:
                self.fail(f"{where}: unknown material or period")
                continue
            own = plan.purchased(m, t, n.country, lambda country, c=c: country == c)
            total = plan.purchased(m, t, n.country)
            if not _close(float(row["tonnes"]), own):
                self.fail(f"{where}: tonnes {row['tonnes']}, expected {own}")
            share = float(row["share"])
            if total > TOLERANCE and not _close(share, own / total):
                self.fail(f"{where}: share {share}, expected {own / total}")
            if total <= TOLERANCE and not math.isnan(share) and own > TOLERANCE:
                self.fail(f"{where}: share {share} of nothing bought")
        for s, m, t in plan.bought:
            if plan.bought[s, m, t] > TOLERANCE and (m, t, n.country.get(s, "")) not in rows:
                self.fail(f"shares[{m},{t},{n.country.get(s)}]: missing")

    # -- the rules --------------------------------------------------------------------------

    def rule_rows(self, plan: _Plan) -> Iterator["RuleRow"]:
        """Every rule instance, with the value and limit the plan gives it."""
        n = self.n
        for m in n.materials:
            for t in n.periods:
                opening = self.opening(plan, m, t)
                value = (
                    opening
                    + plan.purchased(m, t, n.country)
                    + self.saved(plan.units, m, t)
                    + plan.short.get((m, t), 0.0)
                    - plan.closing.get((m, t), 0.0)
                )
                yield RuleRow(f"balance({m},{t})", "balance", None, m, t, value, n.demand[m, t])
                avoided = self.saved(plan.units, m, t) + plan.short.get((m, t), 0.0)
                yield RuleRow(
                    f"net_demand({m},{t})", "net_demand", None, m, t, avoided, n.demand[m, t]
                )
        security = self.problem.security
        for c, share in security.max_country_share.items():
            for m in n.materials:
                for t in n.periods:
                    own = plan.purchased(m, t, n.country, lambda country, c=c: country == c)
                    total = plan.purchased(m, t, n.country)
                    yield RuleRow(
                        f"max_share({c},{m},{t})", "max_share", c, m, t, own, share * total
                    )
        for rule in security.min_cover_without:
            c = rule.country
            for m in n.materials if rule.materials is None else rule.materials:
                for t in n.periods:
                    value = (
                        plan.purchased(m, t, n.country, lambda country, c=c: country != c)
                        + self.saved(plan.units, m, t)
                        + self.opening(plan, m, t)
                    )
                    limit = rule.share * n.demand[m, t]
                    yield RuleRow(
                        f"cover_without({c},{m},{t})", "cover_without", c, m, t, value, limit
                    )
        for m, cover in security.min_stock_cover.items():
            for t in n.periods:
                closing = plan.closing.get((m, t), 0.0)
                limit = value_in(cover, t) * n.demand[m, t]
                yield RuleRow(f"stock_cover({m},{t})", "stock_cover", None, m, t, closing, limit)
        for (cap, m, t), scope in n.caps.items():
            value = sum(plan.bought.get((s, m, t), 0.0) for s in scope.sources)
            yield RuleRow(f"cap({cap},{m},{t})", "cap", cap, m, t, value, scope.limit)

    def opening(self, plan: _Plan, m: str, t: str) -> float:
        before = self.n.previous(t)
        return self.n.initial[m] if before is None else plan.closing.get((m, before), 0.0)

    def rules(self, plan: _Plan) -> None:
        """Every net demand row, cap and security rule holds."""
        for row in self.rule_rows(plan):
            if row.rule == "balance":
                continue  # checked with the inventory
            if not row.holds():
                self.fail(f"{row.name}: broken, value {row.value} against limit {row.limit}")

    # -- money ------------------------------------------------------------------------------

    def costs(self, plan: _Plan) -> None:
        n = self.n
        total = self.result.total_cost
        parts: dict[str, dict[str, float]] = {
            "purchases": {},
            "substitution": {},
            "holding": {},
            "shortage": {},
        }
        for (s, m, t), tonnes in plan.bought.items():
            price = n.price.get((s, m, t), 0.0)
            parts["purchases"][s] = parts["purchases"].get(s, 0.0) + tonnes * price
        for (k, t), used in plan.units.items():
            cost = n.sub_cost.get((k, t), 0.0)
            cost = 0.0 if math.isnan(cost) else cost
            parts["substitution"][k] = parts["substitution"].get(k, 0.0) + used * cost
        for (m, _), closing in plan.closing.items():
            parts["holding"][m] = parts["holding"].get(m, 0.0) + closing * n.holding.get(m, 0.0)
        for (m, _), short in plan.short.items():
            parts["shortage"][m] = parts["shortage"].get(m, 0.0) + short * n.penalty.get(m, 0.0)
        objective = sum(sum(items.values()) for items in parts.values())
        scale = sum(abs(v) for items in parts.values() for v in items.values())

        table = self.result.costs
        listed = table.groupby(["component", "item"])["cost"].sum()
        for component, items in parts.items():
            for item, expected in items.items():
                got = float(listed.get((component, item), 0.0))
                if not _close(got, expected, scale):
                    self.fail(f"costs[{component},{item}]: {got}, expected {expected}")
        for component, item in listed.index:
            if item not in parts.get(component, {}) and abs(float(listed[component, item])) > 0:
                self.fail(f"costs[{component},{item}]: unexpected cost {listed[component, item]}")
        if total is None or not math.isfinite(total):
            self.fail(f"total_cost is {total} in an optimal result")
            return
        listed_total = float(table["cost"].sum())
        if not _close(listed_total, total, scale):
            self.fail(f"costs add up to {listed_total}, not total_cost {total}")
        if not _close(objective, total, scale):
            self.fail(f"total_cost {total} != objective recomputed from the tables {objective}")

    # -- the constraints table and its duals ------------------------------------------------

    def constraints(self, plan: _Plan, duals: bool) -> None:
        n = self.n
        expected = {row.name: row for row in self.rule_rows(plan)}
        table = self.result.constraints
        listed: dict[str, float] = {}
        for _, row in table.iterrows():
            name = str(row["constraint"])
            if name in listed:
                self.fail(f"constraints: row {name} appears twice")
            if name not in expected:
                self.fail(f"constraints: row {name} is not a rule of the problem")
                continue
            rule, subject, m, t, value, limit = expected[name][1:]
            listed[name] = float(row["shadow_price"])
            for column, label in [("rule", rule), ("material", m), ("period", t)]:
                if str(row[column]) != label:
                    self.fail(f"constraints[{name}]: {column} {row[column]!r}, expected {label!r}")
            if subject is not None and str(row["subject"]) != subject:
                self.fail(f"constraints[{name}]: subject {row['subject']!r}, expected {subject!r}")
            greater = rule in AT_LEAST
            if row["sense"] != (">=" if greater else "<="):
                self.fail(f"constraints[{name}]: sense {row['sense']!r}")
            scale = max(abs(value), abs(limit))
            for column, want in [("value", value), ("limit", limit)]:
                if not _close(float(row[column]), want, scale):
                    self.fail(f"constraints[{name}]: {column} {row[column]}, expected {want}")
            slack = value - limit if greater else limit - value
            if not _close(float(row["slack"]), slack, scale):
                self.fail(f"constraints[{name}]: slack {row['slack']}, expected {slack}")
            shadow = float(row["shadow_price"])
            if not shadow >= -TOLERANCE * max(1.0, abs(shadow)):
                self.fail(f"constraints[{name}]: negative shadow_price {shadow}")
            if slack > 1e-4 * max(1.0, scale) and shadow > 1e-4:
                self.fail(f"constraints[{name}]: slack {slack} but shadow_price {shadow}")
            # As documented: tight, and either a positive shadow price or a non-zero limit.
            tight = float(row["slack"]) <= 1e-6 * max(1.0, abs(float(row["limit"])))
            binding = tight and (shadow > 0 or abs(float(row["limit"])) > 1e-9)
            if bool(row["binding"]) != binding:
                self.fail(
                    f"constraints[{name}]: binding {row['binding']} with slack {row['slack']}, "
                    f"limit {row['limit']} and shadow_price {shadow}"
                )
            per_point = self.per_point(plan, rule, subject, m, t)
            cost_per_point = float(row["cost_per_point"])
            if per_point is None:
                if not math.isnan(cost_per_point):
                    self.fail(f"constraints[{name}]: cost_per_point {cost_per_point}, no parameter")
            elif not _close(cost_per_point, shadow * per_point, abs(shadow * per_point)):
                self.fail(
                    f"constraints[{name}]: cost_per_point {cost_per_point}, "
                    f"expected {shadow * per_point}"
                )
        for m in n.materials:
            for t in n.periods:
                if f"balance({m},{t})" not in listed:
                    self.fail(f"constraints: row balance({m},{t}) is missing")
        if duals:
            self.duality(plan, listed)

    def per_point(
        self, plan: _Plan, rule: str, subject: str | None, m: str, t: str
    ) -> float | None:
        """Tonnes the rule's limit moves by when its share or cover tightens by 0.01."""
        n = self.n
        if rule == "max_share":
            return 0.01 * plan.purchased(m, t, n.country)
        if rule in ("cover_without", "stock_cover"):
            return 0.01 * n.demand[m, t]
        if rule == "cap":
            scope = n.caps[str(subject), m, t]
            return None if scope.share is None else 0.01 * scope.capacity
        return None

    def duality(self, plan: _Plan, shadow: dict[str, float]) -> None:
        """The shadow prices are an optimal dual: reduced costs of unbounded variables are
        >= 0 and the dual objective equals the total cost.

        Every row is read as ``sum_j a_j v_j >= b`` with multiplier y = shadow_price >= 0; the
        dual objective is sum y b + sum over bounded variables of ub * min(0, reduced cost).
        """
        n = self.n
        security = self.problem.security
        # The LP's variables, ("x", s, m, t), ("u", k, t), ("I", m, t), ("z", m, t): their
        # objective coefficient and upper bound (None: unbounded above).
        cost: dict[tuple[str, ...], float] = {}
        upper: dict[tuple[str, ...], float | None] = {}
        for smt, capacity in n.capacity.items():
            cost["x", *smt] = n.price.get(smt, 0.0)
            upper["x", *smt] = capacity
        for kt, units in n.sub_capacity.items():
            unit = n.sub_cost[kt]
            cost["u", *kt] = 0.0 if math.isnan(unit) else unit
            upper["u", *kt] = units
        for m in n.materials:
            for t in n.periods:
                cost["I", m, t] = n.holding[m]
                upper["I", m, t] = None
                if m in n.penalty and n.demand[m, t] > 0:
                    cost["z", m, t] = n.penalty[m]
                    upper["z", m, t] = n.demand[m, t]
        reduced = dict(cost)
        # The size of the terms summed into each reduced cost: CBC reports duals to about
        # seven digits, so the error allowed grows with the terms, not with their sum.
        size = {key: abs(c) for key, c in cost.items()}
        dual_objective = 0.0
        magnitude = 0.0

        def row(y: float, terms: list[tuple[tuple[str, ...], float]], rhs: float) -> None:
            nonlocal dual_objective, magnitude
            dual_objective += y * rhs
            magnitude += abs(y * rhs)
            for key, a in terms:
                if key in reduced:
                    reduced[key] -= y * a
                    size[key] += abs(y * a)

        def supply(m: str, t: str, keep: Any) -> list[tuple[tuple[str, ...], float]]:
            terms: list[tuple[tuple[str, ...], float]] = [
                (("x", s, m, t), 1.0)
                for (s, mm, tt) in n.capacity
                if mm == m and tt == t and keep(n.country[s])
            ]
            terms += [
                (("u", k, t), n.saves[k].get(m, 0.0)) for (k, tt) in n.sub_capacity if tt == t
            ]
            return terms

        def opening(m: str, t: str) -> tuple[list[tuple[tuple[str, ...], float]], float]:
            before = n.previous(t)
            return ([], n.initial[m]) if before is None else ([(("I", m, before), 1.0)], 0.0)

        for name, y in shadow.items():
            rule, _, index = name.partition("(")
            parts = index.rstrip(")").split(",")
            m, t = parts[-2], parts[-1]
            if rule == "balance":
                terms, initial = opening(m, t)
                terms += supply(m, t, lambda _c: True)
                terms += [(("z", m, t), 1.0), (("I", m, t), -1.0)]
                row(y, terms, n.demand[m, t] - initial)
            elif rule == "net_demand":
                terms = [(key, -a) for key, a in supply(m, t, lambda _c: False)]
                row(y, [*terms, (("z", m, t), -1.0)], -n.demand[m, t])
            elif rule == "max_share":
                c = parts[0]
                share = security.max_country_share[c]
                terms = [
                    (key, share - (1.0 if n.country[key[1]] == c else 0.0))
                    for key, a in supply(m, t, lambda _c: True)
                    if key[0] == "x"
                ]
                row(y, terms, 0.0)
            elif rule == "cover_without":
                c = parts[0]
                share = next(r.share for r in security.min_cover_without if r.country == c)
                terms, initial = opening(m, t)
                terms += supply(m, t, lambda country, c=c: country != c)
                row(y, terms, share * n.demand[m, t] - initial)
            elif rule == "stock_cover":
                cover = value_in(security.min_stock_cover[m], t)
                row(y, [(("I", m, t), 1.0)], cover * n.demand[m, t])
            elif rule == "cap":
                scope = n.caps[parts[0], m, t]
                row(y, [(("x", s, m, t), -1.0) for s in scope.sources], -scope.limit)
        for key, d in reduced.items():
            bound = upper[key]
            if bound is None:
                if d < -TOLERANCE * max(1.0, size[key]):
                    self.fail(f"duals: reduced cost {d} < 0 for unbounded {key}")
            elif d < TOLERANCE * max(1.0, size[key]):
                dual_objective += bound * min(0.0, d)
                magnitude += bound * size[key]
        total = self.result.total_cost or 0.0
        if not _close(dual_objective, total, magnitude):
            self.fail(f"duals: dual objective {dual_objective} != total_cost {total}")

    # -- all --------------------------------------------------------------------------------

    def run(self, duals: bool) -> list[str]:
        if self.result.status != "optimal":
            self.fail(f"status is {self.result.status!r}, not optimal: nothing to check")
            return self.violations
        if not self.columns():
            return self.violations
        bought = self.purchases()
        units = self.substitution()
        short = self.shortage()
        closing = {
            (str(row["material"]), str(row["period"])): float(row["closing"])
            for _, row in self.result.inventory.iterrows()
        }
        plan = _Plan(bought, units, closing, short)
        self.inventory(plan)
        self.shares(plan)
        self.rules(plan)
        self.costs(plan)
        self.constraints(plan, duals)
        return self.violations


def check(problem: Problem, result: Result, *, duals: bool = True) -> list[str]:
    """Every violation of ``problem`` by the optimal ``result``, one sentence each.

    An empty list means the plan is feasible, priced as the problem says, its costs add up to
    ``total_cost``, the constraints table reads the rules right, and (with ``duals``) its
    shadow prices prove the plan optimal.
    """
    return _Checker(problem, result).run(duals)
