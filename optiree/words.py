"""Words for people: the one set of number formats, and the text of every summary.

Every figure optiree prints, in the CLI, a ``summary()``, a report or an error about a plan,
goes through the formatters here, so that a tonne or a dollar reads the same everywhere.
Figures are rounded for reading; the tables keep full precision. This module imports nothing
of optiree's: what it words is handed to it as plain numbers, strings and DataFrames (or
objects matching a :class:`typing.Protocol` declared here).
"""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

MISSING = "-"
"""What a missing figure (None or NaN) reads as."""


def money(value: float | None, *, cents: bool = False) -> str:
    """An amount of money: whole units with thousands separators (``1,345,119,637``), or with
    cents; "-" when missing, "infinite" when infinite."""
    if value is None or math.isnan(value):
        return MISSING
    if math.isinf(value):
        return "infinite" if value > 0 else "-infinite"
    return f"{value:,.2f}" if cents else f"{value:,.0f}"


def tonnes(value: float) -> str:
    """Tonnes to 0.1 t with thousands separators (``1,371.9``)."""
    return f"{value:,.1f}"


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


# --- the plan: a solved problem's headline and summary (results, report, html, cli) ---


class InputUnits(Protocol):
    """The units a problem was written in (:class:`optiree.schema.Units`)."""

    @property
    def demand(self) -> str: ...
    @property
    def prices(self) -> str: ...
    @property
    def quantities(self) -> str: ...


class Plan(Protocol):
    """What the words of a plan read from a solved problem (:class:`optiree.Result`)."""

    @property
    def problem_name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def solver(self) -> str: ...
    @property
    def currency(self) -> str: ...
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
    def unmet(self) -> pd.DataFrame: ...
    @property
    def binding(self) -> pd.DataFrame: ...


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
    if not result.is_optimal:
        return f"{head}\n{result.message}\n"
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
    lines += _plan_binding(result)
    return "\n".join(lines) + "\n"


def _plan_pivot(table: pd.DataFrame, index: str | list[str], values: str) -> pd.DataFrame:
    """``values`` of ``table`` with a row per ``index`` and a column per period."""
    return table.pivot_table(index=index, columns="period", values=values, sort=False)


def _plan_indented(frame: pd.DataFrame, fmt: Mapping[str, Callable[[Any], str]]) -> str:
    text = frame.to_string(formatters=fmt, na_rep=MISSING)
    return "\n".join("  " + line for line in text.splitlines())


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


def _plan_price(value: float) -> str:
    return money(value, cents=True)


def _plan_binding(result: Plan) -> list[str]:
    binding = result.binding
    if binding.empty:
        return ["", "No cap or security rule binds."]
    columns = ["constraint", "value", "limit", "shadow_price", "cost_per_point"]
    shown = binding[columns].set_index("constraint")
    formatters = {
        "value": tonnes,
        "limit": tonnes,
        "shadow_price": _plan_price,
        "cost_per_point": _plan_money_or_blank,
    }
    return [
        "",
        f"Binding rules (shadow_price: {result.currency} per tonne of tightening; "
        f"cost_per_point: {result.currency} per 0.01 of the rule's share or cover)",
        _plan_indented(shown, formatters),
    ]


def _plan_money_or_blank(value: float) -> str:
    """Money, or nothing for a missing figure (a row with no share or cover to count)."""
    return "" if pd.isna(value) else money(value)


# --- analyses: sensitivity, frontier, diagnose ---


# --- disruption: scenarios, stress tests, the stochastic model, sweeps ---
