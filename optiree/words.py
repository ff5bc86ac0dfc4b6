"""Words for people: the one set of number formats, and the text of every summary.

Every figure optiree prints, in the CLI, a ``summary()``, a report or an error about a plan,
goes through the formatters here, so that a tonne or a dollar reads the same everywhere.
Figures are rounded for reading; the tables keep full precision (their CSV files 12
significant digits, :func:`csv_number`). This module imports nothing of optiree's: what it
words is handed to it as plain numbers, strings and DataFrames (or objects matching a
:class:`typing.Protocol` declared here).
"""

from __future__ import annotations

import difflib
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas as pd

MISSING = "-"
"""What a missing figure (None or NaN) reads as."""
INFINITE = "infinite"
"""What an infinity reads as (``-infinite`` below zero): printed, in a workbook's cell and in a
CSV file's (Excel has no infinity)."""


def infinite(value: float) -> str:
    """``value``, an infinity, in words: ``infinite`` or ``-infinite``."""
    return INFINITE if value > 0 else f"-{INFINITE}"


def money(value: float | None, *, cents: bool = False) -> str:
    """An amount of money: whole units with thousands separators (``1,345,119,637``), or with
    cents; "-" when missing, "infinite" when infinite; an amount that rounds to zero is "0",
    never "-0" (an EVPI of -2e-13 is no loss)."""
    if value is None or math.isnan(value):
        return MISSING
    if math.isinf(value):
        return infinite(value)
    return f"{value:z,.2f}" if cents else f"{value:z,.0f}"


def price(value: float) -> str:
    """A price or shadow price, to the cent (``226,250.00``)."""
    return money(value, cents=True)


def money_or_blank(value: float) -> str:
    """Money, or nothing for a missing figure (a row with no share or cover to count)."""
    import pandas as pd  # noqa: PLC0415  # pandas loads only where tables are worded

    return "" if pd.isna(value) else money(value)


def tonnes(value: float) -> str:
    """Tonnes to 0.1 t with thousands separators (``1,371.9``); "0.0", never "-0.0"."""
    return f"{value:z,.1f}"


def share(value: float) -> str:
    """A number of percent already multiplied by 100, to 0.1 (``33.3``)."""
    return f"{value:.1f}"


def percent(fraction: float) -> str:
    """A fraction as a percentage to three significant digits (``0.3337`` -> ``33.4%``)."""
    return f"{100 * fraction:.3g}%"


def figure(value: float) -> str:
    """One decimal, or two significant digits where one decimal would show a positive value as
    0.0 (a headline must not round a shortage away)."""
    return f"{value:,.1f}" if value >= 0.05 or value <= 0 else f"{value:.2g}"


def number(value: float) -> str:
    """A share, cover or tonnage for reading: 4 significant digits, or to 0.1 from 100 up."""
    return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.4g}"


def cell(value: float) -> str:
    """Any number of a table of unknown meaning: whole above 1,000, 4 significant digits
    below."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _indented(text: str) -> list[str]:
    """The lines of ``text``, each indented by two spaces."""
    return ["  " + line for line in text.splitlines()]


# --- the plan: a solved problem's headline and summary (results, report, html, cli) ---


class InputUnits(Protocol):
    """The units a problem was written in (:class:`optiree.schema.Units`)."""

    @property
    def demand(self) -> str: ...
    @property
    def prices(self) -> str: ...
    @property
    def quantities(self) -> str: ...


class _Named(Protocol):
    """The problem an outcome answers and the money its costs are counted in."""

    @property
    def problem_name(self) -> str: ...
    @property
    def currency(self) -> str: ...


class _Solved(Protocol):
    @property
    def solver(self) -> str: ...


class _Headed(_Named, _Solved, Protocol):
    """An outcome whose headline names its problem, money and solver."""


class Plan(_Headed, Protocol):
    """What the words of a plan read from a solved problem (:class:`optiree.Result`)."""

    @property
    def status(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def total_cost(self) -> float | None: ...
    @property
    def input_units(self) -> InputUnits: ...
    @property
    def is_optimal(self) -> bool: ...
    @property
    def costs(self) -> pd.DataFrame: ...
    @property
    def supply(self) -> pd.DataFrame: ...
    @property
    def substitution(self) -> pd.DataFrame: ...
    @property
    def inventory(self) -> pd.DataFrame: ...
    @property
    def shortage(self) -> pd.DataFrame: ...
    @property
    def shares(self) -> pd.DataFrame: ...
    @property
    def investments(self) -> pd.DataFrame: ...
    @property
    def unmet(self) -> pd.DataFrame: ...
    @property
    def binding(self) -> pd.DataFrame: ...
    @property
    def in_value(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class Headline:
    """The first words of every summary of a result: ``optiree solve``, ``str(result)``,
    ``optiree report`` and the HTML report's summary."""

    status: str
    """The problem, its status and solver, and ", but demand is not met" when so."""
    unmet: str | None
    """Which materials go short, by how many tonnes over the horizon and what share of their
    demand, and what share of the total cost is shortage penalty; None when all demand is met
    (or there is no plan)."""

    def __str__(self) -> str:
        return self.status if self.unmet is None else f"{self.status}\n{self.unmet}"


def headline(result: Plan) -> Headline:
    """The headline of ``result``. An optimal plan that leaves demand unmet stays "optimal",
    and the words around it say so, e.g. ``Japan: optimal, but demand is not met (solver:
    highs)`` and ``Unmet demand over the horizon: Dy 240.1 t (30.0% of its demand), Tb 52.3 t
    (32.7% of its demand); shortage penalty 3,637,352,000 USD, 70.0% of the total cost``."""
    name, solver, status = result.problem_name, f"(solver: {result.solver})", str(result.status)
    unmet = result.unmet
    short = unmet[unmet["tonnes"] > 0] if result.is_optimal else unmet.iloc[:0]
    if short.empty:
        return Headline(f"{name}: {status} {solver}", None)
    materials = ", ".join(
        f"{material} {figure(tonnes)} t ({figure(share * 100)}% of its demand)"
        for material, tonnes, share in zip(
            short["material"], short["tonnes"].tolist(), short["share"].tolist(), strict=True
        )
    )
    penalty = float(short["cost"].sum())
    total = result.total_cost or 0.0
    cost = f"shortage penalty {money(penalty)} {result.currency}"
    if total > 0:
        cost += f", {figure(penalty / total * 100)}% of the total cost"
    return Headline(
        f"{name}: {status}, but demand is not met {solver}",
        f"Unmet demand over the horizon: {materials}; {cost}",
    )


def plan_summary(result: Plan) -> str:
    """The headline (:func:`headline`), then the total cost by component, purchases per
    material, substitution, stock, shortage, country shares and the binding rules with their
    shadow prices (what :meth:`optiree.Result.summary` and ``optiree solve`` print)."""
    head = str(headline(result))
    mip = mip_lines(result)
    if not result.is_optimal:
        return "\n".join([head, result.message, *mip, ""])
    currency = result.currency
    given = result.input_units
    lines = [
        head,
        f"Units: tonnes of rare-earth oxide [t] (t REO), money in {currency}, prices in "
        f"{currency}/t REO (input: demand in {given.demand}, prices per {given.prices}, "
        f"quantities in {given.quantities})",
        f"Total cost: {money(result.total_cost or 0.0)} {currency}",
    ]
    by_component = result.costs.groupby("component", sort=False)["cost"].sum()
    lines += [f"  {name:<13} {money(cost):>20}" for name, cost in by_component.items()]
    lines += mip
    lines += _plan_supply(result)
    lines += _plan_section(
        "Substitution [units]", _plan_pivot(result.substitution, "substitute", "units"), tonnes
    )
    lines += _plan_section(
        "Closing stock [t]", _plan_pivot(result.inventory, "material", "closing"), tonnes
    )
    short = _plan_pivot(result.shortage, "material", "tonnes")
    lines += _plan_section("Shortage [t]", short[short.sum(axis=1) > 0], tonnes)
    shares = _plan_pivot(result.shares, ["material", "country"], "share")
    lines += _plan_section("Share of purchases by country [%]", shares * 100, share)
    lines += stage_share_lines(getattr(result, "stage_shares", None))
    lines += investment_lines(result.investments, currency)
    lines += _plan_binding(result)
    return "\n".join(lines) + "\n"


def _plan_pivot(table: pd.DataFrame, index: str | list[str], values: str) -> pd.DataFrame:
    """``values`` of ``table`` with a row per ``index`` and a column per period."""
    return table.pivot_table(index=index, columns="period", values=values, sort=False)


def _plan_indented(frame: pd.DataFrame, fmt: Mapping[str, Callable[[Any], str]]) -> str:
    return "\n".join(_indented(frame.to_string(formatters=fmt, na_rep=MISSING)))


def _plan_section(title: str, frame: pd.DataFrame, fmt: Callable[[Any], str]) -> list[str]:
    """A titled table; "-" marks what cannot happen (no variable, or no purchase to share)."""
    if frame.empty:
        return []
    formatters = dict.fromkeys(frame.columns, fmt)
    return ["", title, _plan_indented(frame, formatters)]


def _plan_supply(result: Plan) -> list[str]:
    lines = [
        "",
        "Supply [t] by material, source and period (sources that deliver nothing left out)",
    ]
    for material, rows in result.supply.groupby("material", sort=False):
        plan = _plan_pivot(rows, ["source", "country"], "tonnes")
        plan = plan[plan.sum(axis=1) > 0]
        if not plan.empty:
            lines += [f" {material}", _plan_indented(plan, dict.fromkeys(plan.columns, tonnes))]
    if len(lines) == 2:
        lines.append("  nothing is bought")
    return lines


def _plan_binding(result: Plan) -> list[str]:
    binding = result.binding
    if binding.empty:
        return ["", "No cap or security rule binds."]
    columns = ["constraint", "value", "limit", "shadow_price", "cost_per_point"]
    shown = binding[columns].set_index("constraint")
    formatters = {
        "value": tonnes,
        "limit": tonnes,
        "shadow_price": price,
        "cost_per_point": money_or_blank,
    }
    valued = not result.in_value.isdisjoint(binding["subject"])
    of_value = f", {result.currency} of value for a rule in value" if valued else ""
    return [
        "",
        f"Binding rules (shadow_price: {result.currency} per tonne of tightening{of_value}; "
        f"cost_per_point: {result.currency} per 0.01 of the rule's share or cover)",
        _plan_indented(shown, formatters),
    ]


# --- analyses: sensitivity, frontier, diagnose ---


def _level(value: float) -> str:
    return f"{value:.4f}"


def _whole(value: float) -> str:
    return f"{value:,.0f}"


def frontier_text(
    table: pd.DataFrame,
    *,
    title: str,
    currency: str,
    solves: int,
    percent: bool,
    in_money: bool = False,
) -> str:
    """A frontier's table as text under ``title``: its level (in % where ``percent``, money
    where ``in_money``), total cost, cost per point (per unit of money) and breakpoints."""
    import pandas as pd  # noqa: PLC0415  # pandas loads only where tables are worded

    cost = f"total_cost [{currency}]"
    per = BUDGET_PER if in_money else "cost_per_point"
    shown = pd.DataFrame(
        {
            "level": table["level"] * (100 if percent else 1),
            cost: table["total_cost"],
            per: table["marginal_cost_per_point"],
            "breakpoint": table["breakpoint"].map({True: "*", False: ""}),
        }
    )
    level, slope = (budget_level, budget_slope) if in_money else (_level, money_or_blank)
    formatters = {"level": level, cost: _whole, per: slope}
    body = shown.to_string(index=False, formatters=formatters)
    note = (
        budget_frontier_note(currency, solves)
        if in_money
        else "cost_per_point: cost of tightening by one point (0.01) towards the next row; "
        f"* a breakpoint; {solves} solves"
    )
    return f"{title}\n{body}\n{_one_level(table)}{note}\n"


ONE_LEVEL = (
    "one level: the plan without the rule is already at the tightest level any plan can "
    "reach, so the rule cannot be tightened"
)
"""What a frontier of one row says."""


def _one_level(table: pd.DataFrame) -> str:
    """:data:`ONE_LEVEL` and a line break for a frontier of one row; nothing otherwise."""
    return f"{ONE_LEVEL}\n" if len(table) == 1 else ""


def _label(*parts: object) -> str:
    return " ".join(str(part) for part in parts if part)


def _price(row: object, column: str) -> str:
    """The money in ``column`` of a table's row, with cents."""
    return price(float(getattr(row, column)))


def _what(row: object) -> str:
    """A purchase as "source material", a feed as "source feed <id>"."""
    feed = getattr(row, "feed", "")
    return _label(
        getattr(row, "source", ""), f"feed {feed}" if feed else getattr(row, "material", "")
    )


def _place(order: list[str], period: str) -> int:
    """Where ``period`` comes in ``order``; a label over several periods ('a..c': a total,
    such as a budget over the horizon) comes after them all."""
    return order.index(period) if period in order else len(order)


def _grouped(
    table: pd.DataFrame, keys: list[str], value: str, top: int, order: list[str]
) -> pd.DataFrame:
    """One row per group of rows alike but for the period: the row where ``value`` is
    largest, with ``periods`` listing every period of the group in problem order."""
    best = table.sort_values(value, ascending=False, kind="stable").drop_duplicates(keys)
    spans = table.groupby(keys, sort=False, dropna=False)["period"].agg(
        lambda periods: " ".join(sorted(periods, key=lambda t: _place(order, t)))
    )
    return best.merge(spans.rename("periods").reset_index(), on=keys, how="left").head(top)


def sensitivity_text(
    rules: pd.DataFrame,
    capacity: pd.DataFrame,
    entry: pd.DataFrame,
    *,
    order: list[str],
    currency: str,
    top: int,
    in_value: frozenset[str] = frozenset(),
) -> str:
    """The rules that cost most, the capacity worth most, the sources nearest to entering
    (sensitivity's tables), each grouped over the periods (in ``order``) where it applies;
    ``in_value``: the ids of the rules counted in value (tightened per money of value)."""
    costly = rules[rules["shadow_price"] > 0].fillna({"subject": ""})
    near = entry.assign(closeness=-entry["gap"])
    per_tonne = _grouped(costly, ["rule", "subject", "material"], "shadow_price", top, order)
    worth = _grouped(capacity, ["source", "material", "feed"], "capacity_value", top, order)
    unused = _grouped(near, ["source", "material", "feed"], "closeness", top, order)
    lines = [f"What matters most ({currency}; the largest figure over the periods shown)"]
    lines.append(" Rules that cost most, per tonne tightened:")
    lines += [
        f"  {_label(r.rule, r.subject, r.material)}: {_price(r, 'shadow_price')} "
        f"{tightened_per(str(r.rule), currency, r.subject in in_value)} ({r.periods})"
        for r in per_tonne.itertuples()
    ] or ["  none: no cap or security rule costs anything"]
    lines.append(" Capacity worth most, per extra tonne (of feed, for a feed):")
    lines += [
        f"  {_what(c)}: {_price(c, 'capacity_value')} ({c.periods})" for c in worth.itertuples()
    ] or ["  none: no source is bought to its capacity at a cost"]
    lines.append(" Sources not used, and the price below which each would be bought:")
    lines += [
        f"  {_what(e)}: below {_price(e, 'entry_price')} "
        f"(now {_price(e, 'unit_price')}; {e.periods})"
        for e in unused.itertuples()
    ] or ["  none"]
    lines.append(" Ranges over which these hold: optiree.sensitivity(result) (HiGHS only).")
    return "\n".join(lines) + "\n"


def diagnosis_text(headline: str, *, rules: pd.DataFrame | None, messages: list[str]) -> str:
    """A diagnosis in words under its ``headline``: what has to give (one message per row; in
    all, by unit), then the input fields to change (``rules``; None when the problem is
    feasible)."""
    if rules is None:
        return headline + "\n"
    count = len(messages)
    by_unit = rules.groupby("unit", sort=False)["relax_by"].sum()
    total = " and ".join(f"{tonnes(amount)} {unit}" for unit, amount in by_unit.items())
    lines = [
        headline,
        f"What has to give: {total} in {count} row{'s' if count != 1 else ''}",
        *(f"- {message}" for message in messages),
        "",
        "Input to change (a value enough for every row above; apply() sets them all):",
    ]
    shown = rules[["field", "current", "sufficient", "relax_by", "unit"]]
    text = shown.to_string(
        index=False, formatters={"current": number, "sufficient": number, "relax_by": tonnes}
    )
    lines += ["  " + line for line in text.splitlines()]
    return "\n".join(lines) + "\n"


class Relaxed(Protocol):
    """The figures of a row that gives at a diagnosis's relaxed plan [t]."""

    @property
    def value(self) -> float: ...
    @property
    def limit(self) -> float: ...
    @property
    def relax_by(self) -> float: ...
    @property
    def parameter(self) -> float: ...
    @property
    def needed(self) -> float: ...
    @property
    def demand(self) -> float: ...
    @property
    def bought(self) -> float: ...
    @property
    def capacity(self) -> float: ...


class _Gives(Protocol):
    def __call__(self, g: Relaxed, *, subject: str, where: str, path: str, short: str) -> str: ...


def _unmet(g: Relaxed, *, subject: str, where: str, path: str, short: str) -> str:
    material = subject  # the material, for demand
    return (
        f"{where}: {short} t of the {tonnes(g.demand)} t demand cannot be met (the relaxed "
        f"plan supplies {tonnes(g.needed)} t); add supply, lower {path} to "
        f"{tonnes(g.needed)} t, or give {material} a shortage_penalty"
    )


def _share_gives(g: Relaxed, *, subject: str, where: str, path: str, short: str) -> str:
    share = percent(g.parameter)
    return (
        f"{where}: at most {share} from {subject} cannot hold: other countries supply "
        f"{tonnes(g.bought - g.value)} t, so {tonnes(g.value)} t of the "
        f"{tonnes(g.bought)} t bought come from {subject} ({percent(g.needed)}), {short} t "
        f"more than {share} allows; {path} must be at least {g.needed:.4g}"
    )


def _cover_gives(g: Relaxed, *, subject: str, where: str, path: str, short: str) -> str:
    return (
        f"{where}: {percent(g.parameter)} of demand ({tonnes(g.limit)} t) must be "
        f"coverable without {subject}, but other sources, substitution and opening stock "
        f"give only {tonnes(g.value)} t: {short} t short; {path} must be at most "
        f"{g.needed:.4g}, or add supply from outside {subject}"
    )


def _below_target(g: Relaxed, needed: float, *, where: str, path: str, short: str) -> str:
    return (
        f"{where}: a closing stock of {g.parameter:g} x demand ({tonnes(g.limit)} t) cannot "
        f"be held: the relaxed plan has {tonnes(g.value)} t, {short} t short; {path} must "
        f"be at most {needed:.4g}"
    )


def _capped(who: str) -> tuple[str, str]:
    """How a cap's tonnes go with ``who``: bought from a country or source, taken in by a
    facility ("facility <id>")."""
    return ("takes in", "into") if who.startswith("facility ") else ("buys", "from")


def _cap_gives(g: Relaxed, who: str, *, subject: str, where: str, path: str, short: str) -> str:
    verb, way = _capped(who)
    return (
        f"{where}: cap {subject} (at most {tonnes(g.limit)} t {way} {who}) must give {short} "
        f"t: the relaxed plan {verb} {tonnes(g.value)} t {way} {who}; {path} must be at least "
        f"{tonnes(g.needed)}"
    )


def _share_cap_gives(
    g: Relaxed, who: str, *, subject: str, where: str, path: str, short: str
) -> str:
    verb, way = _capped(who)
    return (
        f"{where}: cap {subject} ({percent(g.parameter)} of {who}'s "
        f"{tonnes(g.capacity)} t capacity: at most {tonnes(g.limit)} t) must give {short} "
        f"t: the relaxed plan {verb} {tonnes(g.value)} t {way} {who} ({percent(g.needed)} of "
        f"capacity); {path} must be at least {g.needed:.4g}"
    )


def _contract_gives(
    g: Relaxed, source: str, *, subject: str, where: str, path: str, short: str
) -> str:
    return (
        f"{where}: contract {subject} asks {source} for "
        f"{tonnes(g.limit)} t but the relaxed plan can take only {tonnes(g.value)} t "
        f"({short} t less) within the capacity, caps and rules; {path} must be "
        f"at most {tonnes(g.needed)}, or make it take-or-pay"
    )


def _rule_gives(g: Relaxed, *, subject: str, where: str, path: str, short: str) -> str:
    return (
        f"{where}: the rule on {subject or 'it'} must give {short} t (the relaxed plan has "
        f"{tonnes(g.value)} t against {tonnes(g.limit)} t); {path} must be at most "
        f"{g.needed:.4g}"
    )


_GIVES: dict[str, _Gives] = {
    "balance": _unmet,
    "max_share": _share_gives,
    "cover_without": _cover_gives,
}
"""The sentence of each rule that gives without more facts; another rule (a new security rule,
a cover of the demand) reads as :func:`_rule_gives`."""


def diagnosis_message(
    rule: str,
    subject: str,
    *,
    where: str,
    figures: Relaxed,
    path: str,
    scale: float,
    party: str,
    by_share: bool,
    unit: str = "t",
) -> str:
    """One sentence on a row that gives at the relaxed plan: what cannot hold, the figures,
    what to change (``path``, in its units: ``scale`` per unit of the row's parameter).
    ``party``: who a cap limits, the source of a contract, whom a stage or origin rule counts;
    ``by_share``: a cap on a share of capacity; ``unit``: a stage or origin rule's (t, or the
    currency for one in value)."""
    words = {"subject": subject, "where": where, "path": path, "short": tonnes(figures.relax_by)}
    if rule == "stock_cover":
        needed = figures.needed * scale
        return _below_target(figures, needed, where=where, path=path, short=words["short"])
    if rule == "cap":
        cap: Callable[..., str] = _share_cap_gives if by_share else _cap_gives
        return cap(figures, party, **words)
    if rule == "contract":
        return _contract_gives(figures, party, **words)
    if rule in SHARE_RULE_GIVES:
        return SHARE_RULE_GIVES[rule](figures, party, unit, **words)
    return _GIVES.get(rule, _rule_gives)(figures, **words)


# --- disruption: scenarios, stress tests, the stochastic model, sweeps ---


def sweep_summary(table: pd.DataFrame, currency: str, worst: int = 5) -> str:
    """The text ``optiree sweep`` prints: counts, the expected cost, the ``worst`` scenarios
    (a sweep's table, see :func:`optiree.disruption.sweep.sweep`)."""
    optimal = table["status"] == "optimal"
    short = table.filter(regex="^short_").sum(axis=1) > 0
    lines = [
        f"{len(table)} scenarios: {int(optimal.sum())} optimal, "
        f"{int((short & optimal).sum())} with a shortage",
        _expected_cost(table, optimal, currency),
    ]
    head = table[optimal].sort_values("total_cost", ascending=False, kind="stable").head(worst)
    if head.empty:
        return "\n".join(lines) + "\n"
    cost = f"total_cost [{currency}]"
    shown = head.drop(columns=["status", "probability"]).rename(columns={"total_cost": cost})
    names = [str(c) for c in shown.columns]
    formatters: dict[str, Any] = {cost: money, "cut": "{:.2f}".format, "length": "{:.0f}".format}
    formatters |= {c: tonnes for c in names if c.startswith("short_")}
    formatters |= {c: "{:.3f}".format for c in names if c.startswith("share_")}
    lines.append(f"Worst {len(head)} by total cost:")
    lines.append(shown.to_string(index=False, formatters=formatters, na_rep=MISSING))
    return "\n".join(lines) + "\n"


def _expected_cost(table: pd.DataFrame, optimal: pd.Series, currency: str) -> str:
    """The expected cost over a sweep's scenarios, or which ones were not solved."""
    if optimal.all():
        expected = float((table["probability"] * table["total_cost"]).sum())
        return f"Expected total cost: {money(expected)} {currency}"
    failed = table.loc[~optimal, "scenario"].tolist()
    shown = ", ".join(failed[:10]) + (", ..." if len(failed) > 10 else "")
    return f"Expected total cost: not known, {len(failed)} not solved: {shown}"


def scenario_summary(table: pd.DataFrame, currency: str) -> str:
    """A sweep's rows side by side, in input order: status, total cost, the cost above the
    first row (the baseline) [money], tonnes short per material [t], shares per country [%]."""
    import pandas as pd  # noqa: PLC0415  # pandas loads only where tables are worded

    base = table["total_cost"].iloc[0]
    cost, above = f"total_cost [{currency}]", f"above_{table['scenario'].iloc[0]} [{currency}]"
    shown = pd.DataFrame(
        {
            "scenario": table["scenario"],
            "status": table["status"],
            cost: table["total_cost"],
            above: table["total_cost"] - base,
        }
    )
    formatters: dict[str, Any] = {cost: money, above: money}
    for column in table.filter(regex="^short_").columns:
        shown[f"{column} [t]"] = table[column]
        formatters[f"{column} [t]"] = tonnes
    for column in table.filter(regex="^share_").columns:
        shown[f"{column} [%]"] = 100 * table[column]
        formatters[f"{column} [%]"] = share
    return shown.to_string(index=False, formatters=formatters, na_rep=MISSING) + "\n"


class _Valued(Protocol):
    """A status: its ``value`` is its word (``optimal``)."""

    @property
    def value(self) -> str: ...


class StressOutcome(Protocol):
    """What :func:`stress_summary` reads (``optiree.disruption.stress.StressResult``)."""

    @property
    def scenario(self) -> str: ...
    @property
    def commit_periods(self) -> int: ...
    @property
    def status(self) -> _Valued: ...
    @property
    def message(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def total_cost(self) -> float | None: ...
    @property
    def committed_cost(self) -> float: ...
    @property
    def recourse_cost(self) -> float | None: ...
    @property
    def unmet(self) -> pd.DataFrame: ...
    @property
    def stock_drawn(self) -> pd.DataFrame: ...
    @property
    def result(self) -> _Solved: ...


def stress_summary(stress: StressOutcome) -> str:
    """Status, the cost split, and the shortage and stock drawn period by period."""
    head = (
        f"Stress test: scenario {stress.scenario!r}, {stress.commit_periods} period(s) "
        f"committed: {stress.status.value} (solver: {stress.result.solver})"
    )
    if stress.status.value != "optimal":
        return f"{head}\n{stress.message}\n"
    periods = list(dict.fromkeys(stress.stock_drawn["period"]))
    span = _span(periods[: stress.commit_periods])
    again = _span(periods[stress.commit_periods :])
    shortage = float(stress.unmet.loc[~stress.unmet["committed"], "cost"].sum())
    lines = [
        head,
        f"Total cost: {money(stress.total_cost)} {stress.currency}",
        f"  {'committed':<10} {money(stress.committed_cost):>20}  (the plan, {span})",
        f"  {'recourse':<10} {money(stress.recourse_cost):>20}  (re-planned, {again})",
        f"  {'shortage':<10} {money(shortage):>20}  (of the recourse: penalties)",
        "Unmet demand in the re-planned periods [t]",
        *_by_period(stress.unmet, "short"),
        "Stock drawn in the re-planned periods [t]",
        *_by_period(stress.stock_drawn, "drawn"),
    ]
    return "\n".join(lines) + "\n"


def _by_period(table: pd.DataFrame, column: str) -> list[str]:
    """``column`` as a material x period table of the re-planned periods, rows with any."""
    later = table[~table["committed"]]
    grid = later.pivot_table(
        index="material", columns="period", values=column, sort=False, aggfunc="sum"
    )
    grid = grid[grid.sum(axis=1) > 0]
    if grid.empty:
        return ["  none"]
    grid = grid.assign(total=grid.sum(axis=1))
    return _indented(grid.to_string(float_format=tonnes))


def _span(periods: list[str]) -> str:
    """The first and last of ``periods`` (``2026Q1-2026Q4``)."""
    if not periods:
        return "no period"
    return periods[0] if len(periods) == 1 else f"{periods[0]}-{periods[-1]}"


class _Risk(Protocol):
    @property
    def weight(self) -> float: ...
    @property
    def cvar_alpha(self) -> float: ...


class TwoStageOutcome(_Headed, Protocol):
    """What :func:`stochastic_summary` reads
    (``optiree.disruption.stochastic.StochasticResult``)."""

    @property
    def status(self) -> _Valued: ...
    @property
    def message(self) -> str: ...
    @property
    def committed(self) -> tuple[str, ...]: ...
    @property
    def revealed(self) -> str: ...
    @property
    def risk(self) -> _Risk | None: ...
    @property
    def cvar_alpha(self) -> float: ...
    @property
    def objective(self) -> float | None: ...
    @property
    def expected_cost(self) -> float | None: ...
    @property
    def cvar(self) -> float | None: ...
    @property
    def wait_and_see(self) -> float | None: ...
    @property
    def expected_value_cost(self) -> float | None: ...
    @property
    def vss(self) -> float | None: ...
    @property
    def evpi(self) -> float | None: ...
    @property
    def scenario_costs(self) -> pd.DataFrame: ...


def stochastic_summary(result: TwoStageOutcome, first_stage: pd.DataFrame) -> str:
    """The figures, the scenario costs and the first-stage decisions ``first_stage`` (the rows
    to show), rounded for reading."""
    head = f"{result.problem_name}: two-stage, {result.status.value} (solver: {result.solver})"
    committed = ", ".join(result.committed)
    lines = [
        head,
        f"Decided now: {committed}; the scenario is known from {result.revealed} on.",
    ]
    if result.status.value != "optimal":
        return "\n".join([*lines, result.message, ""])
    lines.append(f"Minimises {_goal(result.risk)}.")
    lines += _two_stage_figures(result)
    lines += _scenario_costs(result.scenario_costs, result.currency)
    lines.append("\nFirst stage, the same in every scenario (stock is closing stock)")
    if first_stage.empty:
        lines.append("  nothing")
    else:
        lines += _indented(first_stage.to_string(index=False, formatters={"value": price}))
    return "\n".join(lines) + "\n"


def _goal(risk: _Risk | None) -> str:
    """What the two-stage objective minimises."""
    if risk is None or risk.weight == 0:
        return "the expected cost"
    return f"{1 - risk.weight:g} x expected cost + {risk.weight:g} x CVaR {risk.cvar_alpha:.0%}"


def _two_stage_figures(result: TwoStageOutcome) -> list[str]:
    """The objective, the expected cost, the CVaR and the benchmarks, one a line."""
    alpha = f"CVaR {result.cvar_alpha:.0%}"
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
    lines = [f"Figures [{result.currency}]"]
    return lines + [f"  {label:<{width}} {money(value):>20}" for label, value in figures]


def _scenario_costs(table: pd.DataFrame, currency: str) -> list[str]:
    """Each scenario's probability, costs and tonnes short."""
    formats: dict[str, Any] = {
        "probability": "{:.3f}".format,
        "cost": money,
        "cost_wait_and_see": money,
        "cost_expected_value": money,
    }
    formats |= {c: tonnes for c in table.columns if c.startswith("shortage_")}
    text = table.to_string(index=False, formatters=formats)
    return [f"\nScenarios [{currency}; shortage in t over the horizon]", *_indented(text)]


def stress_table_summary(table: pd.DataFrame, currency: str) -> str:
    """A stress table (``optiree.disruption.stress.stress_table``) for reading: money whole
    [currency], tonnes to 0.1 [t]."""
    money_columns = ["total_cost", "committed_cost", "recourse_cost", "shortage_cost"]
    shown = table.rename(columns={c: f"{c} [{currency}]" for c in money_columns})
    formatters: dict[str, Any] = {f"{c} [{currency}]": money for c in money_columns}
    formatters |= {c: tonnes for c in table.columns if c.startswith(("short_", "drawn_"))}
    return shown.to_string(index=False, formatters=formatters, na_rep=MISSING) + "\n"


# --- the terminal: text made safe to print (cli) ---

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""The control characters a terminal may take as a command: C0 (ESC starts a sequence, BEL
ends one, CR returns over a line) but newline and tab, DEL, and C1 (CSI, U+009B, is a
sequence on its own)."""


def for_terminal(text: str) -> str:
    """``text`` safe to print on a terminal: each control character but newline and tab is
    written as a visible escape (ESC as ``\\x1b``, BEL as ``\\x07``, CSI as ``\\x9b``), so a
    name such as ``"\\x1b]0;pwned\\x07"`` reads as those characters and cannot retitle, clear or
    recolour the terminal. Everything else, non-ASCII letters included, is left as it is.

    The CLI passes everything it prints through this; the tables, files and ``summary()``
    texts keep the user's text as written.
    """
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


# --- argument checks (optiree.arguments) ---


def shown(value: object, width: int = 60) -> str:
    """``value`` as a short repr for a message: its type and at most ``width`` characters."""
    text = repr(value)
    text = text if len(text) <= width else text[: width - 3] + "..."
    return f"{type(value).__name__} {text}"


def refusal(name: str, accepts: str, value: object) -> str:
    """The message of an argument that does not fit: which one, what it accepts, what came."""
    return f"{name} must be {accepts}, got {shown(value)}"


# --- start-up: the sweep's default executor ---


def default_executor_words(executor: str, scenarios: int, cpus: int, least: int | None) -> str:
    """How a sweep without a named executor chose ``executor`` for ``scenarios`` on ``cpus``
    CPUs: local processes from ``least`` scenarios on (None: never, on one CPU)."""
    rule = "always serial on one CPU" if least is None else f"local processes from {least:,}"
    machine = f"{cpus} CPU" if cpus == 1 else f"{cpus} CPUs"
    return f"Executor: {executor} ({scenarios:,} scenarios on {machine}; {rule})"


# --- notebooks: the HTML cards and short reprs of results and problems (results, analyses,
# schema) ---

CARD_ROWS = 10
"""Rows of each table a notebook card shows; the table itself keeps them all."""
CARD_LINES = 12
"""Lines of an analysis's summary a notebook card shows before its tables."""


def card(
    title: str,
    lines: list[str],
    tables: Mapping[str, pd.DataFrame],
    *,
    rows: int = CARD_ROWS,
) -> str:
    """An HTML card for a notebook: ``title``, the ``lines`` (a summary), then the first
    ``rows`` rows of each table. Every text, a title, a line, a cell or a column name, is
    escaped, so that a name holding markup shows as written."""
    from html import escape  # noqa: PLC0415  # loads only where a notebook shows a card

    parts = ['<div class="optiree-card">', f"<p><strong>{escape(title)}</strong></p>"]
    if lines:
        parts.append(f"<pre>{escape(chr(10).join(lines))}</pre>")
    for name, table in tables.items():
        shown = (
            f"first {rows} of {len(table):,} rows" if len(table) > rows else f"{len(table)} rows"
        )
        parts.append(f"<details><summary>{escape(name)} ({shown})</summary>")
        parts.append(_card_table(table.head(rows)))
        parts.append("</details>")
    parts.append("</div>")
    return "\n".join(parts)


def _card_table(table: pd.DataFrame) -> str:
    """``table`` as HTML, numbers as :func:`cell` words them, every text escaped."""
    return table.to_html(index=False, escape=True, border=0, float_format=cell, na_rep=MISSING)


def plan_lines(result: Plan) -> list[str]:
    """The lines of a plan's card: the headline, the total cost, the binding rules."""
    lines = str(headline(result)).splitlines()
    if result.total_cost is None:
        return [*lines, result.message]
    lines.append(f"Total cost: {money(result.total_cost)} {result.currency}")
    binding = result.binding
    if binding.empty:
        return [*lines, "Binding rules: none"]
    first = binding.iloc[0]
    dearest = f"{first['constraint']} ({price(first['shadow_price'])} {result.currency}/t)"
    return [*lines, f"Binding rules: {len(binding)}; dearest: {dearest}"]


def plan_tables(result: Plan) -> dict[str, pd.DataFrame]:
    """The tables of a plan's card: cost by component, what is short, the binding rules and
    the purchases made."""
    if not result.is_optimal:
        return {}
    costs = result.costs.groupby("component", sort=False)["cost"].sum().reset_index()
    binding = result.binding[["constraint", "shadow_price", "cost_per_point"]]
    supply = result.supply
    bought = supply[supply["tonnes"] > 0][["source", "material", "period", "tonnes"]]
    unmet = result.unmet
    short: pd.DataFrame = unmet[unmet["tonnes"] > 0]
    tables: dict[str, pd.DataFrame] = {"unmet demand": short} if len(short) else {}
    tables |= {"cost by component": costs, "binding rules": binding, "supply": bought}
    return tables | investment_tables(result.investments)


def plan_repr(result: Plan, rows: Mapping[str, int]) -> str:
    """A plan's ``repr``: its name, status, solver and total cost, then its tables' sizes."""
    cost = "no plan" if result.total_cost is None else f"total cost {money(result.total_cost)}"
    sizes = ", ".join(f"{name} {count}" for name, count in rows.items())
    return (
        f"<Result {result.problem_name!r}: {result.status}, {cost} {result.currency} "
        f"(solver: {result.solver})\n tables (rows): {sizes}>"
    )


class Carded(ABC):
    """An analysis's answer (:class:`optiree.Frontier`, ``Sensitivity``, ...): a summary and
    tables, which a notebook shows as a card."""

    @abstractmethod
    def summary(self) -> str: ...
    @abstractmethod
    def tables(self) -> dict[str, pd.DataFrame]: ...

    def _repr_html_(self) -> str:
        """A notebook's card: the first lines of :meth:`summary` (and how many are left out),
        then the tables, small."""
        text = self.summary().splitlines()
        if len(text) > CARD_LINES:
            text = [*text[:CARD_LINES], f"... {len(text) - CARD_LINES} more lines in summary()"]
        return card(f"optiree.{type(self).__name__}", text, self.tables())


def counted(count: int, noun: str) -> str:
    """``3 sources``, ``1 source``, ``2 countries``."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


def problem_lines(
    name: str, currency: str, periods: list[str], counts: Mapping[str, int]
) -> list[str]:
    """The lines of a problem's card and ``repr``: its name and currency, its periods, then how
    many of each thing it holds (``counts``: noun -> count)."""
    span = periods[0] if len(periods) == 1 else f"{periods[0]}..{periods[-1]}"
    held = ", ".join(counted(count, noun) for noun, count in counts.items())
    return [
        f"Problem {name!r} (currency {currency})",
        f"{counted(len(periods), 'period')}: {span}",
        held,
    ]


def field_list(title: str, fields: Mapping[str, tuple[str, str | None]]) -> str:
    """A model's docstring for ``help()``: ``title``, then one line per field (name: type),
    its description indented below (units in it)."""
    lines = [title, "", "Fields (units in each description):", ""]
    for name, (kind, description) in fields.items():
        lines.append(f"    {name}: {kind}")
        if description:
            lines += [f"        {line.strip()}" for line in description.splitlines()]
    return "\n".join(lines)


# --- Excel workbooks: the problem layout and the results workbook ---

NEEDS_OPENPYXL = "Excel workbooks need openpyxl: pip install 'optiree[excel]'"
"""The message of a workbook read or written without openpyxl."""

WORKBOOK_COLUMNS = ("item", "field", "period", "value")
"""The columns of every sheet of a problem workbook, in order (A to D)."""

WORKBOOK_ABOUT = (
    "An optiree problem: one sheet per part of the problem (the keys of the YAML file).",
    "Every sheet has the columns item, field, period and value; a row is one value.",
    "item: the id a value belongs to (a material, a source's number 1, 2, ... in a list "
    "sheet, or a setting such as 'initial' in stock and security).",
    "field: the path inside the item, dots between names and [n] for the n-th entry of a "
    "list (a source's feeds[1].yields.Nd); empty when the item is the value.",
    "period: the period of a value given per period; empty for one value for every period.",
    "value: a number, an id or text; a list of ids as [Nd, Dy]; an empty list as []; a "
    "number of more than 15 significant digits as the text =0.0063750000000000005; text "
    "that starts with [, {, ' or = after a '.",
    "Quantities are in units.quantities (t REO unless the problem sheet says otherwise), "
    "demand in units.demand, prices and costs per tonne in the currency per units.prices, "
    "shares as fractions (0.6, not 60).",
    "Rows may be added, removed or reordered; a row with an empty value is left out.",
)
"""The text of a problem workbook's first sheet, ``about``: the layout, line by line."""

SHEET_NOTES = {
    "problem": "name, description, currency, periods, period_days, units (the unit of "
    "demand, prices and quantities) and stages (the product chain, in order)",
    "materials": "one numbered item per material: its id, name and reo_per_tonne",
    "reference_prices": "item: a material; value: price per tonne (currency) by period",
    "sources": "one numbered item per source: id, country, capacity.<material> [t per "
    "period], prices.<material> [currency per t], price_multiplier, tiers, feeds",
    "substitutes": "one numbered item per substitute: saves.<material> [t per unit], cost "
    "[currency per unit], capacity [units per period], ramp, max_share_of_demand",
    "demand": "item: a material; value: demand [units.demand per period] by period",
    "stock": "item: initial [t], holding_cost [currency per t per period], targets...; "
    "field: the material",
    "shortage_penalty": "item: a material; value: currency per t left unmet",
    "caps": "one numbered item per cap: country or source, materials, periods, max_tonnes "
    "[t] or max_share_of_capacity [fraction], sum_over",
    "contracts": "one numbered item per contract: source, materials, periods, min_tonnes or "
    "fixed_tonnes [t], take_or_pay [currency per t]",
    "surplus": "item: a material; salvage_price, disposal_cost [currency per t], max_sold [t]",
    "security": "item: max_country_share [fraction by country], min_cover_without, "
    "min_stock_cover [periods of demand], min_stock_days [days]",
    "scenarios": "one numbered item per scenario: name, probability, disruptions, caps, "
    "sources and demand changes",
    "investments": "one numbered item per option: id, source and material (or feed, "
    "separation, facility, substitute), capital_cost [currency per t/yr], lead_time [periods], "
    "earliest, max_size [t/yr], operating_cost, investor, unit_size",
    "budgets": "one numbered item per budget: investor, per_period and total [currency]",
    "facilities": "one numbered item per facility: id, stage, country, capacity [t taken in "
    "per period], output_per_input, processing_cost [currency per t], takes_from",
    "country_groups": "item: a group's name; value: its countries, written [AU, JP, US]",
}
"""What each sheet of a problem workbook holds, with units: the comment on its value header."""


def cell_place(sheet: str, row: int, column: str) -> str:
    """Where a cell of a workbook is, for a message: sheet, row and column."""
    return f"sheet {sheet!r}, row {row}, column {column}"


RESULTS_ABOUT = "summary"
"""The first sheet of a results workbook: status, costs, unmet demand, the tables' sheets."""


# --- the command line: every analysis, its quiet form and its progress ---


_COST_LINE = re.compile(
    r"\s*(Total cost|Expected cost|Expected total cost|Outer bound|Inner bound)\b"
)
"""The lines of a summary that give its total or expected cost (or, decomposed, its bounds)."""


def essentials(summary: str) -> str:
    """What ``--quiet`` prints of a summary: its first line (what was solved, the status) and
    the lines of its total or expected cost."""
    first, *rest = summary.splitlines()
    return "\n".join([first, *(line for line in rest if _COST_LINE.match(line))]) + "\n"


def lines_of(summary: str, quiet: bool) -> str:
    """A command's summary as printed: all of it, or with ``quiet`` its headline only."""
    return essentials(summary) if quiet else summary


def applied_words(name: str, scenario: str, path: object) -> str:
    """What ``optiree apply`` says once it has written the problem under ``scenario``."""
    return f"{name}: the problem under scenario {scenario!r} written to {path}"


def model_written(kind: str, path: object) -> str:
    """What ``solve --lp/--mps`` says once it has written the model file."""
    return f"{kind} file of the model written to {path}"


def stress_all_words(name: str, commit: int, solver: str) -> str:
    """The line above ``optiree stress --scenario all``'s table."""
    return (
        f"{name}: the plan stress-tested under each scenario, {commit} period(s) committed "
        f"(solver: {solver})"
    )


def needs_flag(flag: str, why: str) -> str:
    """A usage error: the flag that is missing or does not fit, and why."""
    return f"error: {flag}: {why}"


PROGRESS_UNIT = " LP"
"""What the progress bar of a long command counts: the linear programs solved."""


# --- files a person wrote, read as meant; tables written for people ---

CSV_DIGITS = 12
"""Significant digits of a float in a CSV file: enough for any quantity or price a problem
holds (at most 1e12, ``optiree.schema.LARGEST``), few enough to drop a solver's float noise
(``5.280000000000001`` is written ``5.28``)."""

CSV_NO_UPPER_LIMIT = infinite(math.inf)
"""How a CSV file writes +inf (``price_high``, ``allowable_increase``: a range with no end):
the word a workbook and the terminal write (:func:`infinite`)."""

CSV_NO_LOWER_LIMIT = infinite(-math.inf)
"""How a CSV file writes -inf (``price_low``: any lower price keeps the plan)."""


def csv_number(value: float) -> str:
    """``value`` as a CSV cell: rounded to :data:`CSV_DIGITS` significant digits and written
    as the shortest text that reads back as that number (``1250.0``, ``5.28``, ``1e-07``);
    an infinity as :data:`CSV_NO_UPPER_LIMIT` or :data:`CSV_NO_LOWER_LIMIT`. (NaN is left to
    the caller: an empty cell.)"""
    if math.isinf(value):
        return infinite(value)
    return repr(float(f"{value:.{CSV_DIGITS}g}"))


def did_you_mean(key: str, accepted: Iterable[str]) -> str:
    """The hint after an unknown key: the accepted key closest to ``key`` (difflib), or the
    list of accepted keys when none is close."""
    accepted = list(accepted)
    close = difflib.get_close_matches(key, accepted, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return "the keys accepted here are " + ", ".join(map(repr, accepted))


def share_hint(value: float) -> str:
    """Why a share above 1 is refused, with the fraction it likely means (60 -> 0.6)."""
    example = f"{value:g}% is {value / 100:g}" if value <= 100 else "60% is 0.6"
    return f"Input should be less than or equal to 1 (shares are fractions: {example})"


# --- out-of-sample scoring (optiree.disruption.stochastic.scoring) ---


class _Estimate(Protocol):
    @property
    def mean(self) -> float: ...
    @property
    def half_width(self) -> float: ...
    @property
    def low(self) -> float: ...
    @property
    def high(self) -> float: ...


class Scored(_Headed, Protocol):
    """What :func:`out_of_sample_summary` reads
    (``optiree.disruption.stochastic.scoring.OutOfSample``)."""

    @property
    def confidence(self) -> float: ...
    @property
    def solved_scenarios(self) -> int: ...
    @property
    def in_sample(self) -> float: ...
    @property
    def estimate(self) -> _Estimate: ...
    @property
    def objective(self) -> float: ...
    @property
    def in_sample_objective(self) -> float: ...
    @property
    def weighs_risk(self) -> bool: ...
    @property
    def scenarios(self) -> int: ...
    @property
    def without_plan(self) -> int: ...


def out_of_sample_summary(score: Scored) -> str:
    """The first stage's expected cost in sample and out of sample, with the interval, and
    what the two say of the solved sample."""
    unit = f"[{score.currency}]"
    found = score.estimate
    figures = [
        (f"Expected cost in sample, {score.solved_scenarios} scenarios solved", score.in_sample),
        (f"Expected cost out of sample, {score.scenarios} fresh scenarios", found.mean),
    ]
    lines = [(f"{label} {unit}", money(value)) for label, value in figures]
    lines.append((f"{score.confidence:.0%} interval {unit}", _interval(found)))
    if score.weighs_risk:
        lines += [
            (f"Objective in sample, RP {unit}", money(score.in_sample_objective)),
            (f"Objective out of sample {unit}", money(score.objective)),
        ]
    width = max(len(label) for label, _ in lines)
    return "\n".join(
        [
            f"{score.problem_name}: the first stage scored out of sample (solver: {score.solver})",
            *(f"  {label:<{width}} {value:>30}" for label, value in lines),
            _sample_verdict(score),
            "",
        ]
    )


def _interval(found: _Estimate) -> str:
    if math.isnan(found.half_width):
        return "-"
    return f"{money(found.low)} to {money(found.high)}"


def _sample_verdict(score: Scored) -> str:
    """What the in-sample figure, set against the interval, says of the solved sample."""
    found, solved = score.estimate, score.solved_scenarios
    if score.without_plan:
        return (
            f"{score.without_plan} of the fresh scenarios have no plan with this first stage: "
            f"its expected cost is infinite. The {solved} scenarios solved missed a disruption "
            "it cannot meet: solve with more scenarios, or give a shortage penalty."
        )
    if math.isnan(found.half_width):
        return "One fresh scenario of weight gives no interval: score on more scenarios."
    if score.in_sample < found.low:
        gap = found.mean - score.in_sample
        return (
            f"The in-sample cost is below the interval, by {money(gap)} "
            f"({percent(gap / abs(found.mean)) if found.mean else '-'} of the estimate): the "
            f"first stage fits its {solved} scenarios better than new ones. Solve with more "
            "scenarios."
        )
    if score.in_sample > found.high:
        return (
            "The in-sample cost is above the interval: the solved scenarios were harsher than "
            "the fresh ones (the first stage may be over-prepared). Solve with more scenarios."
        )
    spread = percent(found.half_width / abs(found.mean)) if found.mean else "-"
    return (
        f"The in-sample cost lies inside the interval (+/- {spread}): no sign at this "
        f"precision that {solved} scenarios are too few. More fresh scenarios narrow the "
        "interval."
    )


# --- any PuLP solver ---


def unknown_solver_words(name: object, choices: list[str]) -> str:
    """Why ``name`` is no solver: the nearest names (difflib, any case; the first of
    ``choices`` that folds alike), then every choice."""
    lowered: dict[str, str] = {}
    for choice in choices:
        lowered.setdefault(choice.lower(), choice)
    close = difflib.get_close_matches(str(name).lower(), list(lowered), n=3)
    hint = " or ".join(repr(lowered[c]) for c in close)
    return (
        f"unknown solver {name!r}: {f'did you mean {hint}? ' if hint else ''}choose one of "
        f"{', '.join(choices)}, or, in Python, a configured pulp.LpSolver (docs/solvers.md)"
    )


def lacking_words(analysis: str, need: str, solver: str, able: list[str]) -> str:
    """Why ``analysis`` cannot run on ``solver``: it needs ``need``, which the solvers
    ``able`` report."""
    return (
        f"{analysis} needs {need}, which the solver {solver!r} does not report through PuLP: "
        f"use one that does ({', '.join(able)}; docs/solvers.md)"
    )


NO_DUALS = "shadow prices and reduced costs (duals)"


def no_duals_words(solver: str) -> str:
    """The line that stands for what the plan's prices say, after a solver without duals."""
    return (
        f"\nWhat matters most: not known, the solver {solver!r} reports no {NO_DUALS} through "
        "PuLP (solve with highs or cbc for them; docs/solvers.md)\n"
    )


# --- simulate ---


class SimulationOutcome(Protocol):
    """What :func:`simulate_summary` reads (``optiree.disruption.simulate.Simulation``)."""

    @property
    def distribution(self) -> pd.DataFrame: ...
    @property
    def paths(self) -> pd.DataFrame: ...
    @property
    def process(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def solver(self) -> str: ...
    @property
    def lookahead(self) -> int | None: ...


SIMULATE_MONEY = ("mean", "std", "se", "p5", "p50", "p95", "worst", "foresight")
"""The columns of a simulation's distribution read as money."""


def simulate_summary(simulation: SimulationOutcome) -> str:
    """The text ``optiree simulate`` prints: the process, the paths, and each policy's cost in
    distribution (money rounded, tonnes to 0.1 t), cheapest mean first."""
    table = simulation.distribution
    paths = int(table["paths"].iloc[0]) if len(table) else 0
    believed = (
        "The present state is believed to last to the end of the horizon"
        if simulation.lookahead is None
        else f"Each plan looks {counted(simulation.lookahead, 'period')} ahead, the present "
        "state believed to last through them"
    )
    lines = [
        f"Simulation of {simulation.process!r}: {counted(paths, 'path')}, "
        f"{counted(len(table), 'policy')}, re-planned each period (solver: {simulation.solver})",
        f"{believed}; priced without stock targets.",
    ]
    failed = table[table["optimal"] < table["paths"]]
    missing = failed["paths"] - failed["optimal"]
    for policy, count in zip(failed["policy"], missing, strict=True):
        lines.append(f"Policy {policy}: {int(count)} path(s) not optimal")
    shown = table.drop(columns=["paths", "optimal"]).sort_values("mean", kind="stable")
    in_money = {c: f"{c} [{simulation.currency}]" for c in SIMULATE_MONEY}
    in_tonnes = {c: f"{c} [t]" for c in ("short", "drawn", "rebuilt")}
    shown = shown.rename(columns=in_money | in_tonnes)
    formatters: dict[str, Any] = dict.fromkeys(in_money.values(), money)
    formatters |= dict.fromkeys(in_tonnes.values(), tonnes)
    lines.append("Cost per path, weighted by the paths' probabilities:")
    lines.append(shown.to_string(index=False, formatters=formatters, na_rep=MISSING))
    return "\n".join(lines) + "\n"


# --- investment ---


def built(investments: pd.DataFrame) -> pd.DataFrame:
    """The builds a plan makes (size above 0), from its ``investments`` table."""
    return investments[investments["size"] > 0] if not investments.empty else investments


def investment_lines(investments: pd.DataFrame, currency: str) -> list[str]:
    """The section of a plan's summary on what it builds (none for a problem without
    investment options): each build's size, when it is decided and first serves, and its
    capital and operating cost over the horizon."""
    if investments.empty:
        return []
    chosen = built(investments)
    plants = plant_sizes(investments)
    title = f"Investments (size in t/yr, units/yr for a substitute{plants}; costs in {currency})"
    of_feed = " (of feed, for a feed)" if ", t of feed/yr" in plants else ""
    note = (
        f"  (a budget row's shadow_price is what one more {currency} of budget saves, in "
        f"{currency} per {currency}; a capacity row's, what one more t of capacity there "
        f"saves{of_feed})"
    )
    if chosen.empty:
        return ["", title, "  none built", note]
    columns = ["investment", "target", "period", "available_from", "size"]
    table = chosen[[*columns, "capital_cost", "operating_cost"]]
    formats = {"size": tonnes, "capital_cost": money, "operating_cost": money}
    text = table.to_string(index=False, formatters=formats)
    return ["", title, *_indented(text), note]


TIGHTENED_PER = {"budget": "per {currency} of budget", "build_limit": "per t/yr of size"}
"""What a rule's shadow price is per, where it is not a tonne."""


def tightened_per(rule: str, currency: str, in_value: bool = False) -> str:
    """ "per t", or what else a row of ``rule`` is tightened by (a budget: money; a stage or
    origin rule ``in_value``: money of value)."""
    if in_value:
        return f"per {currency} of value"
    return TIGHTENED_PER.get(rule, "per t").format(currency=currency)


def investment_tables(investments: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The table of a plan's card on what it builds (none without investment options)."""
    if investments.empty:
        return {}
    return {"investments built": built(investments)}


def _budget_gives(g: Relaxed, *, subject: str, where: str, path: str, short: str) -> str:
    """A budget that must give: the capital the relaxed plan decides against it."""
    period = where.split(", ", 1)[-1]  # a budget row names no material
    return (
        f"{period}: the budget of {subject} (at most {money(g.limit)}) must give "
        f"{money(g.relax_by)}: the relaxed plan decides {money(g.value)} of capital; {path} "
        f"must be at least {money(g.needed)}"
    )


_GIVES["budget"] = _budget_gives  # the sentences of the other rules are above


# --- the report in a browser: table headers, yes/no, how demand was met ---

YES = "yes"
NO = "no"


def yes_no(value: bool) -> str:
    """A flag of a table (``binding``, ``breakpoint``) in words: ``yes`` or ``no``."""
    return YES if value else NO


def heading(column: str) -> str:
    """A column's name for reading: words, not an identifier (``allowable_increase`` ->
    ``allowable increase``)."""
    return column.replace("_", " ")


def with_unit(label: str, unit: str | None) -> str:
    """A header with its unit in brackets (``tonnes [t REO]``), or the label alone."""
    return f"{label} [{unit}]" if unit else label


FROM_STOCK = "from stock"
"""Demand met by drawing the stock down (the purchases figure's series)."""
SUBSTITUTED = "substituted"
"""Demand saved by switching to a substitute."""
SHORT = "short (unmet)"
"""Demand left unmet."""
DEMAND_MET = "How demand was met"
"""The purchases figure's title, before ``[t per period]: <problem>``."""


# --- scenario trees ---


def tree_summary(result: TwoStageOutcome, decisions: pd.DataFrame) -> str:
    """A tree's figures, its leaves' costs and each node's decisions ``decisions`` (the rows to
    show: ``node`` then the first-stage columns), rounded for reading."""
    head = f"{result.problem_name}: scenario tree, {result.status.value} (solver: {result.solver})"
    lines = [head, f"Decided at the root: {', '.join(result.committed)}; then at each node."]
    if result.status.value != "optimal":
        return "\n".join([*lines, result.message, ""])
    lines.append(f"Minimises {_goal(result.risk)}.")
    lines += _two_stage_figures(result)
    leaves = _scenario_costs(result.scenario_costs, result.currency)
    lines += [leaves[0].replace("Scenarios", "Leaves (scenarios)"), *leaves[1:]]
    lines.append(
        "\nDecisions at each node, the same in every leaf under it (stock is closing stock)"
    )
    lines += _indented(decisions.to_string(index=False, formatters={"value": price}))
    return "\n".join(lines) + "\n"


# --- prices that move and past episodes ---


def onsets_words(
    names: tuple[str, ...], first: str, last: str, period_days: float, per_period: float
) -> str:
    """How often past episodes began in a window, and whose assumption that rate is."""
    began = ", ".join(names) or "none"
    return (
        f"Episodes begun {first} to {last}: {len(names)} ({began})\n"
        f"Onsets per period of {number(period_days)} days: {per_period:.4g}\n"
        "assumption: yours. A handful of past episodes is no forecast; a rate read from them "
        "is a starting point for a transition probability, not an estimate of one."
    )


def episodes_words(table: str) -> str:
    """The catalogue of past episodes for ``optiree episodes``, with whose judgement the
    severities and price factors are."""
    return (
        "Past export-control episodes (optiree/data/episodes.yaml; sources in the file):\n"
        f"{table}\n"
        "severity: share of supply withheld; price: factor on the other countries' prices. "
        "Both are assumptions (the file says why); docs/episodes.md"
    )


def episodes_solved_words(problem: str, start: str, prices: bool, left_out: list[str]) -> str:
    """The title of ``optiree episodes FILE``: the episodes planned and those left out."""
    moved = ", prices moved where catalogued" if prices else ""
    title = f"{problem}: each past episode from {start}, planned with foresight{moved}"
    if left_out:
        title += (
            f"\nNot in this problem (none of its materials or countries): {', '.join(left_out)}"
        )
    return title


# --- decomposition ---


class DecomposedOutcome(_Named, Protocol):
    """What :func:`decomposed_summary` reads
    (``optiree.disruption.stochastic.decompose.Decomposed``)."""

    @property
    def method(self) -> str: ...
    @property
    def processes(self) -> int: ...
    @property
    def scenarios(self) -> int: ...
    @property
    def committed(self) -> tuple[str, ...]: ...
    @property
    def revealed(self) -> str: ...
    @property
    def outer_bound(self) -> float: ...
    @property
    def inner_bound(self) -> float: ...
    @property
    def gap(self) -> float: ...
    @property
    def relative_gap(self) -> float: ...
    @property
    def first_stage(self) -> pd.DataFrame: ...


METHODS = {"ph": "progressive hedging", "lshaped": "the L-shaped method"}
"""The decomposition methods in words."""


def decomposed_summary(result: DecomposedOutcome) -> str:
    """The bounds on the two-stage optimum, the gap and the best first stage found."""
    method = METHODS.get(result.method, result.method)
    lines = [
        f"{result.problem_name}: two-stage, decomposed by {method} (mpi-sppy, "
        f"{result.processes} processes, {result.scenarios} scenarios)",
        f"Decided now: {', '.join(result.committed)}; the scenario is known from "
        f"{result.revealed} on.",
    ]
    gap = percent(result.relative_gap) if math.isfinite(result.relative_gap) else MISSING
    figures = [
        ("Outer bound: no plan costs less", money(result.outer_bound)),
        ("Inner bound: the best plan found", money(result.inner_bound)),
        ("Gap", money(result.gap)),
        ("Gap, relative to the inner bound", gap),
    ]
    width = max(len(label) for label, _ in figures)
    lines.append(f"Expected cost [{result.currency}]")
    lines += [f"  {label:<{width}} {value:>20}" for label, value in figures]
    lines.append("\nFirst stage of the best plan found (stock is closing stock)")
    first = result.first_stage
    shown = first[(first["value"].abs() > 1e-9) | (first["decision"] == "stock")]
    if shown.empty:
        lines.append("  none found" if first.empty else "  nothing")
    else:
        lines += _indented(shown.to_string(index=False, formatters={"value": price}))
    return "\n".join(lines) + "\n"


# --- the budget frontier ---

BUDGET_PER = "cost_per_unit"
"""The header of a budget frontier's cost column: cost per unit of money less budget."""


def budget_level(value: float) -> str:
    """A budget frontier's level: money, whole units."""
    return money(value)


def budget_slope(value: float) -> str:
    """A budget frontier's cost per unit of money less budget, with cents (nothing on the last
    row)."""
    return "" if math.isnan(value) else money(value, cents=True)


def budget_frontier_note(currency: str, solves: int) -> str:
    """The line under a budget frontier's table."""
    return (
        f"cost_per_unit: {currency} of total cost per {currency} less budget, towards the next "
        f"row (what one more {currency} of budget saves on that stretch); * a breakpoint; "
        f"{solves} solves"
    )


# --- integer decisions ---


def mip_lines(result: object) -> list[str]:
    """A MILP's best bound and gap, and where its shadow prices come from: one line, none for
    an LP (whose ``duals_of`` is None)."""
    duals_of = getattr(result, "duals_of", None)
    if duals_of is None:
        return []
    currency = getattr(result, "currency", "")
    bound, gap = getattr(result, "best_bound", None), getattr(result, "mip_gap", None)
    if bound is None or gap is None or not (math.isfinite(bound) and math.isfinite(gap)):
        proof = "best bound and gap not reported by the solver"
    else:
        proof = f"best bound {money(bound)} {currency}, gap {percent(gap)}"
    return [f"Integer decisions (a MILP): {proof}; shadow prices are the duals of {duals_of}"]


def fixed_duals_line(duals_of: str | None) -> list[str]:
    """Where a sensitivity's prices come from, for a MILP: one line; none for an LP."""
    return [] if duals_of is None else [f"(a MILP: these are the duals of {duals_of})"]


# --- the frontier of a MILP ---


def integer_decisions(
    builds: list[tuple[str, str, int]],
    used: Mapping[tuple[str, str], list[str]],
    qualified: list[str],
    bands: Mapping[tuple[str, str, int], list[str]],
) -> str:
    """A plan's integer decisions in a few words: the units built (option: n units in
    period), the sources delivering where a lot or a supplier count applies (source:material
    in periods), the sources qualified, the discount bands bought in (source:material band j
    in periods); "none" when it builds, uses, qualifies and buys at a discount nothing."""
    parts = [
        f"{option}: {units} unit{'s' if units != 1 else ''} in {period}"
        for option, period, units in builds
        if units
    ]
    parts += [f"{s}:{m} in {' '.join(periods)}" for (s, m), periods in used.items()]
    parts += [f"qualified {source}" for source in qualified]
    parts += [f"{s}:{m} band {j} in {' '.join(periods)}" for (s, m, j), periods in bands.items()]
    return "; ".join(parts) or "none"


def step_level(tolerance: float) -> Callable[[float], str]:
    """The format of a MILP frontier's level: the digits that tell apart the two ends of a
    bracket ``tolerance`` wide."""
    digits = max(0, math.ceil(-math.log10(tolerance)))
    return lambda level: f"{level:,.{digits}f}"


def step_frontier_text(
    table: pd.DataFrame,
    *,
    title: str,
    currency: str,
    solves: int,
    percent: bool,
    in_money: bool,
    tolerance: float,
) -> str:
    """A MILP's frontier as text under ``title``: level (in % where ``percent``, with the
    digits that tell apart two levels ``tolerance`` apart), total cost, the jump where the
    integer decisions change, the status of each solve and the decisions."""
    import pandas as pd  # noqa: PLC0415  # pandas loads only where tables are worded

    cost = f"total_cost [{currency}]"
    scale = 100 if percent else 1
    shown = pd.DataFrame(
        {
            "level": table["level"] * scale,
            cost: table["total_cost"],
            "jump": table["jump"].map(money_or_blank),
            "breakpoint": table["breakpoint"].map({True: "*", False: ""}),
            "status": table["status"],
            "decisions": table["decisions"],
        }
    )
    width = int(shown["decisions"].str.len().max()) if len(shown) else 0
    formatters = {
        "level": step_level(tolerance * scale),
        cost: _whole,
        "decisions": lambda words: f"{words:<{width}}",
    }
    body = shown.to_string(index=False, formatters=formatters, justify="left")
    unit = f" {currency}" if in_money else (" points" if percent else "")
    note = (
        "a step curve: each row is the MILP solved at its level (its best_bound and mip_gap "
        "in the table); no cost is claimed between rows; * the integer decisions change "
        f"between the row before and this one, located by bisection to {tolerance * scale:.2g}"
        f"{unit}; jump: the cost's change there; {solves} solves"
    )
    lines = "\n".join(line.rstrip() for line in body.splitlines())
    return f"{title}\n{lines}\n{_one_level(table)}{note}\n"


# --- plant options: feeds and separation plants ---

PLANT_SIZES = {
    ":feed ": "t of feed/yr for a feed",
    ":separation": "t REO/yr separated for a separation plant",
    ":facility": "t/yr taken in for a facility",
}
"""How a target of the investments table reads (``lynas:feed ore``, ``lynas:separation``,
``kuantan:facility``) ->
the unit of its size, named in the table's title where such an option is."""


def plant_sizes(investments: pd.DataFrame) -> str:
    """The units of the feed, separation and facility options' sizes, to add to the investments
    table's title (nothing without such options)."""
    targets = investments["target"].astype(str)
    found = [w for mark, w in PLANT_SIZES.items() if targets.str.contains(mark, regex=False).any()]
    return "".join(f", {words}" for words in found)


# --- stages: the product chain ---


def stage_share_lines(stage_shares: pd.DataFrame | None) -> list[str]:
    """Each country's share at each stage of the chain, by material and period: a section of
    the plan's summary, none for a problem without stages."""
    if stage_shares is None or stage_shares.empty:
        return []
    shares = _plan_pivot(stage_shares, ["stage", "material", "country"], "share")
    return _plan_section("Share by country at each stage [%]", shares * 100, share)


# --- stages: the chain in figures and the report ---

STAGE_SHARES_TITLE = "Share of each country at each stage [% of the stage's tonnes]"
"""The title of the stage figure and of the report's stage table."""
STAGE_AXIS = "Share of the stage's tonnes over the horizon [%]"
"""The stage figure's axis."""
STAGE_NOTHING = "nothing passes"
"""A stage of the figure through which none of the material passes."""
STAGE_SHARES_NOTE = (
    "Each stage's tonnes [t REO] put out by the facilities (or sources) of each country, "
    "as a share of all the stage's tonnes of the material; a source counts in its country at "
    "the stage it sells at and at every stage before it (oxide bought from China is read as "
    "mined and separated there)."
)
"""What the stage figure and the report's stage table count."""
STAGE_TABLE_NOTE = (
    '"-": nothing of the material passes the stage in the period. Shares of each stage, '
    "material and period add up to 100%."
)


def stage_share_caption(horizon: bool) -> str:
    """The caption of the stage figure: over the horizon (the figure) or per period."""
    over = "over the horizon" if horizon else "per period"
    return f"{STAGE_SHARES_TITLE}, {over}"


def stage_segment(country: str, percent: float) -> str:
    """The label in a bar segment of the stage figure: the country and its share."""
    return f"{country} {percent:.0f}%"


# --- rules per stage and per group of countries ---


def share_rule_party(who: str, members: Sequence[str], stage: str | None) -> str:
    """Whom a stage rule (at ``stage``) or an origin rule (``stage`` None) counts, in words:
    ``CN at the oxide stage``, ``what passed through fta (US, AU) at any stage``."""
    named = who if list(members) == [who] else f"{who} ({', '.join(members)})"
    return f"{named} at the {stage} stage" if stage else f"what passed through {named} at any stage"


def _stage_rule_gives(direction: str) -> Callable[..., str]:
    """The sentence of a stage or origin rule that gives: its share must move ``direction``;
    ``party`` whom it counts and ``unit`` what (t, or the currency for a rule in value)."""

    def gives(
        g: Relaxed, party: str, unit: str, *, subject: str, where: str, path: str, short: str
    ) -> str:
        return (
            f"{where}: rule {subject} ({party}) must give {short} {unit} (the relaxed plan is "
            f"{short} {unit} past its share of {percent(g.parameter)}); {path} must be "
            f"{direction} {g.needed:.4g}"
        )

    return gives


SHARE_RULE_GIVES = {
    "stage_max_share": _stage_rule_gives("at least"),
    "stage_min_share": _stage_rule_gives("at most"),
    "origin_share": _stage_rule_gives("at least"),
    "origin_min_share": _stage_rule_gives("at most"),
}
"""The sentences of the stage and origin rules (they name whom they count, and its unit)."""
