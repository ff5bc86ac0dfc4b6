"""Result -> a readable text summary (what ``optiree solve`` prints).

Figures are rounded for reading; the CSV files written by ``Result.write`` keep full precision.
"""

from collections.abc import Callable, Mapping
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


def summary(result: "Result") -> str:
    """Status, total cost by component, purchases per material, substitution, stock, shortage,
    country shares and the binding rules with their shadow prices."""
    head = f"{result.problem_name}: {result.status.value} (solver: {result.solver})"
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
