"""Result -> a readable text summary (what ``optiree solve`` prints).

Figures are rounded for reading; the CSV files written by ``Result.write`` keep full precision.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from optiree.results import Result


def _money(value: float) -> str:
    return f"{value:,.0f}"


def _tonnes(value: float) -> str:
    return f"{value:,.1f}"


def _table(frame: pd.DataFrame, fmt: Mapping[str, Callable[[Any], str]]) -> str:
    text = frame.to_string(formatters=fmt, na_rep="-")
    return "\n".join("  " + line for line in text.splitlines())


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


def headline(result: "Result") -> Headline:
    """The headline of ``result``. An optimal plan that leaves demand unmet stays "optimal",
    and the words around it say so, e.g. ``Japan: optimal, but demand is not met (solver:
    highs)`` and ``Unmet demand over the horizon: Dy 240.1 t (30.0% of its demand), Tb 52.3 t
    (32.7% of its demand); shortage penalty 3,637,352,000 USD, 70.0% of the total cost``."""
    name, solver = result.problem_name, f"(solver: {result.solver})"
    unmet = result.unmet
    short = unmet[unmet["tonnes"] > 0] if result.is_optimal else unmet.iloc[:0]
    if short.empty:
        return Headline(f"{name}: {result.status.value} {solver}", None)
    materials = ", ".join(
        f"{material} {_figure(tonnes)} t ({_figure(share * 100)}% of its demand)"
        for material, tonnes, share in zip(
            short["material"], short["tonnes"].tolist(), short["share"].tolist(), strict=True
        )
    )
    penalty = float(short["cost"].sum())
    total = result.total_cost or 0.0
    cost = f"shortage penalty {_money(penalty)} {result.currency}"
    if total > 0:
        cost += f", {_figure(penalty / total * 100)}% of the total cost"
    return Headline(
        f"{name}: {result.status.value}, but demand is not met {solver}",
        f"Unmet demand over the horizon: {materials}; {cost}",
    )


def _figure(value: float) -> str:
    """One decimal, or two significant digits where one decimal would show a positive value
    as 0.0 (a headline must not round a shortage away)."""
    return f"{value:,.1f}" if value >= 0.05 or value <= 0 else f"{value:.2g}"


def summary(result: "Result") -> str:
    """The headline (:func:`headline`), then the total cost by component, purchases per
    material, substitution, stock, shortage, country shares and the binding rules with their
    shadow prices."""
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
        f"Total cost: {_money(result.total_cost or 0.0)} {currency}",
    ]
    by_component = result.costs.groupby("component", sort=False)["cost"].sum()
    lines += [f"  {name:<13} {_money(cost):>20}" for name, cost in by_component.items()]
    lines += _purchases(result)
    lines += _section(
        "Substitution [units]",
        result.substitution.pivot_table(
            index="substitute", columns="period", values="units", sort=False
        ),
        _tonnes,
    )
    lines += _section(
        "Closing stock [t]",
        result.inventory.pivot_table(
            index="material", columns="period", values="closing", sort=False
        ),
        _tonnes,
    )
    short = result.shortage.pivot_table(
        index="material", columns="period", values="tonnes", sort=False
    )
    lines += _section("Shortage [t]", short[short.sum(axis=1) > 0], _tonnes)
    shares = result.shares.pivot_table(
        index=["material", "country"], columns="period", values="share", sort=False
    )
    lines += _section("Share of purchases by country [%]", shares * 100, _share)
    lines += _binding(result)
    return "\n".join(lines) + "\n"


def _share(value: float) -> str:
    return f"{value:.1f}"


def _section(title: str, frame: pd.DataFrame, fmt: Callable[[Any], str]) -> list[str]:
    """A titled table; "-" marks what cannot happen (no variable, or no purchase to share)."""
    if frame.empty:
        return []
    formatters = dict.fromkeys(frame.columns, fmt)
    return ["", title, _table(frame, formatters)]


def _purchases(result: "Result") -> list[str]:
    lines = [
        "",
        "Supply [t] by material, source and period (sources that deliver nothing left out)",
    ]
    for material, rows in result.supply.groupby("material", sort=False):
        plan = rows.pivot_table(
            index=["source", "country"], columns="period", values="tonnes", sort=False
        )
        plan = plan[plan.sum(axis=1) > 0]
        if not plan.empty:
            lines += [f" {material}", _table(plan, dict.fromkeys(plan.columns, _tonnes))]
    if len(lines) == 2:
        lines.append("  nothing is bought")
    return lines


def _binding(result: "Result") -> list[str]:
    binding = result.binding
    if binding.empty:
        return ["", "No cap or security rule binds."]
    columns = ["constraint", "value", "limit", "shadow_price", "cost_per_point"]
    shown = binding[columns].set_index("constraint")
    formatters = {
        "value": _tonnes,
        "limit": _tonnes,
        "shadow_price": lambda v: f"{v:,.2f}",
        "cost_per_point": lambda v: "" if pd.isna(v) else _money(v),
    }
    return [
        "",
        f"Binding rules (shadow_price: {result.currency} per tonne of tightening; "
        f"cost_per_point: {result.currency} per 0.01 of the rule's share or cover)",
        _table(shown, formatters),
    ]
