"""Japan's rare earth procurement 2026-2027 under China's export controls (docs/japan.md).

Solves examples/japan_2026.yaml with HiGHS, prints the plan and the figures a procurement
analyst asks for (the cost split, China's share, the stock in months, the binding rules grouped
by price, and what the stock cover rule costs), then checks its own answer: the status, every
cap, security rule and capacity recomputed from the returned tables, and the CBC solve agreeing
on the total cost.

Run from any folder: ``python examples/japan_2026.py``.
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

import optiree

PROBLEM_FILE = Path(__file__).with_name("japan_2026.yaml")
MONTHS_PER_PERIOD = 3
"""The periods are quarters."""
TOLERANCE = 1e-6
"""Tonnes: slack allowed when a rule is checked on the solver's figures [t]."""
COST_AGREEMENT = 1e-6
"""Largest relative difference between the HiGHS and CBC total costs."""


def at(value: float | Mapping[str, float], period: str) -> float:
    """A per-period input in ``period``: the number itself, or the dict entry (0 if absent)."""
    return value.get(period, 0.0) if isinstance(value, Mapping) else value


def capacity(problem: optiree.Problem, source_id: str, material: str, period: str) -> float:
    """Tonnes ``source_id`` can sell of ``material`` in ``period`` [t]."""
    source = next(s for s in problem.sources if s.id == source_id)
    first = source.available_from or problem.periods[0]
    if problem.periods.index(period) < problem.periods.index(first):
        return 0.0
    return at(source.capacity.get(material, 0.0), period)


def china_share(result: optiree.Result) -> pd.DataFrame:
    """Share of each material's purchases bought from China, per period [%]."""
    bought = result.purchases.pivot_table(
        index="material", columns="period", values="tonnes", aggfunc="sum", sort=False
    )
    china = result.purchases[result.purchases["country"] == "CN"].pivot_table(
        index="material", columns="period", values="tonnes", aggfunc="sum", sort=False
    )
    return (100 * china / bought).reindex(index=bought.index, columns=bought.columns)


def stock_months(result: optiree.Result) -> pd.DataFrame:
    """Closing stock in months of that period's demand [months]."""
    inventory = result.inventory.assign(
        months=MONTHS_PER_PERIOD * result.inventory["closing"] / result.inventory["demand"]
    )
    table = inventory.pivot(index="material", columns="period", values="months")
    return table.reindex(index=inventory["material"].unique())


def report(problem: optiree.Problem, result: optiree.Result) -> None:
    print(result.summary())
    print(f"Cost by component [{result.currency}]")
    by_component = result.costs.groupby("component", sort=False)["cost"].sum()
    for component, cost in by_component.items():
        print(f"  {component:<13} {cost:>16,.0f}  ({cost / (result.total_cost or 1):6.1%})")
    procurement = by_component.drop("shortage", errors="ignore").sum()
    print(f"  {'procurement':<13} {procurement:>16,.0f}  (purchases + substitution + holding)")
    at_china_prices = sum(
        at(problem.demand[m], t) * at(problem.reference_prices[m], t)
        for m in problem.material_ids
        for t in problem.periods
    )
    print(f"  {'no controls':<13} {at_china_prices:>16,.0f}  (all demand at China's prices)")
    print("\nChina's share of purchases [%]")
    print(china_share(result).round(1).to_string())
    print("\nClosing stock [months of demand]")
    print(stock_months(result).round(2).to_string())
    print(
        f"\nBinding caps and security rules, periods with the same price grouped "
        f"[{result.currency} per t; cost_per_point per 0.01 of share or cover]"
    )
    money = {"shadow_price": "{:,.0f}".format, "cost_per_point": "{:,.0f}".format}
    print(binding_by_price(result).to_string(index=False, formatters=money))


def binding_by_price(result: optiree.Result) -> pd.DataFrame:
    """The binding rules, one row per rule, subject, material and shadow price."""
    keys = ["rule", "subject", "material", "shadow_price", "cost_per_point"]
    grouped = result.binding.fillna({"subject": "-"}).groupby(keys, sort=False)["period"]
    table = grouped.agg(" ".join).reset_index()
    return table[["rule", "subject", "material", "period", "shadow_price", "cost_per_point"]]


def without_stock_cover(problem: optiree.Problem) -> optiree.Problem:
    """The same problem with no ``security.min_stock_cover`` rule."""
    document = problem.model_dump()
    document["security"]["min_stock_cover"] = {}
    return optiree.Problem.model_validate(document)


def stock_rule_cost(problem: optiree.Problem, result: optiree.Result) -> tuple[float, float]:
    """What the stock cover rules cost, and the bound their shadow prices put on it [money].

    The first figure re-solves the problem (with HiGHS) without the rules. The second is the
    sum over the rules of shadow price x required stock; the optimal cost is convex in the
    required stock, so it is at least the first figure.
    """
    assert result.total_cost is not None
    free = optiree.solve(without_stock_cover(problem), solver="highs")
    assert free.status == optiree.Status.OPTIMAL, free.message
    assert free.total_cost is not None
    rules = result.constraints[result.constraints["rule"] == "stock_cover"]
    bound = float((rules["shadow_price"] * rules["limit"]).sum())
    return result.total_cost - free.total_cost, bound


def report_stock_rule(result: optiree.Result, cost: float, bound: float) -> None:
    """Print what the stock cover rules cost: in all, and for one more month of cover."""
    rules = result.constraints[result.constraints["rule"] == "stock_cover"]
    per_point = rules.groupby("material", sort=False)["cost_per_point"].sum()
    currency = result.currency
    print(f"\nStock cover rules [{currency}]")
    print(f"  {'against no rule':<22} {cost:>16,.0f}  (re-solved without min_stock_cover)")
    print(f"  {'shadow x stock':<22} {bound:>16,.0f}  (shadow prices x required stock)")
    for material, points in per_point.items():
        month = points * 100 / MONTHS_PER_PERIOD
        label = f"{material} one month more"
        print(
            f"  {label:<22} {month:>16,.0f}  "
            f"(every ruled quarter, at the shadow prices; {points:,.0f} per 0.01)"
        )


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a result table as plain dicts."""
    return [{str(k): v for k, v in row.items()} for row in table.to_dict("records")]


def tonnes_by(purchases: pd.DataFrame, *keys: str) -> dict[tuple[str, ...], float]:
    """Tonnes bought, summed over the rows that share ``keys`` [t]."""
    totals: dict[tuple[str, ...], float] = {}
    for row in records(purchases):
        key = tuple(str(row[k]) for k in keys)
        totals[key] = totals.get(key, 0.0) + float(row["tonnes"])
    return totals


def check_max_shares(problem: optiree.Problem, result: optiree.Result) -> int:
    """Each country's tonnes are at most its share of each material's purchases per period."""
    totals = tonnes_by(result.purchases, "material", "period")
    by_country = tonnes_by(result.purchases, "country", "material", "period")
    checked = 0
    for country, share in problem.security.max_country_share.items():
        for (material, period), total in totals.items():
            own = by_country.get((country, material, period), 0.0)
            assert own <= share * total + TOLERANCE, (country, material, period, own, total)
            checked += 1
    return checked


def check_caps(problem: optiree.Problem, result: optiree.Result) -> int:
    """Each cap holds in each of its materials and periods."""
    bought = tonnes_by(result.purchases, "source", "material", "period")
    checked = 0
    for cap in problem.caps:
        matching = [s.id for s in problem.sources if s.id == cap.source or s.country == cap.country]
        for material in cap.materials or problem.material_ids:
            for period in cap.periods or problem.periods:
                if cap.max_share_of_capacity is None:
                    limit = cap.max_tonnes or 0.0
                else:
                    total = sum(capacity(problem, s, material, period) for s in matching)
                    limit = cap.max_share_of_capacity * total
                tonnes = sum(bought.get((s, material, period), 0.0) for s in matching)
                assert tonnes <= limit + TOLERANCE, (cap.id, material, period, tonnes, limit)
                checked += 1
    return checked


def check_stock_cover(problem: optiree.Problem, result: optiree.Result) -> int:
    """Closing stock is at least the period's cover times its demand, in every period the
    cover applies to (a per-period cover applies only in the periods it lists)."""
    checked = 0
    for row in records(result.inventory):
        cover = problem.security.min_stock_cover.get(str(row["material"]))
        need = 0.0 if cover is None else at(cover, str(row["period"])) * float(row["demand"])
        if need > 0:
            assert float(row["closing"]) >= need - TOLERANCE, (row, need)
            checked += 1
    rows = int((result.constraints["rule"] == "stock_cover").sum())
    assert checked == rows, f"{checked} periods have a stock cover but the LP has {rows} rows"
    return checked


def check_capacities(problem: optiree.Problem, result: optiree.Result) -> int:
    """No source sells more than its capacity."""
    bought = tonnes_by(result.purchases, "source", "material", "period")
    for (source, material, period), tonnes in bought.items():
        limit = capacity(problem, source, material, period)
        assert tonnes <= limit + TOLERANCE, (source, material, period, tonnes, limit)
    return len(bought)


def main() -> None:
    problem = optiree.load_problem(PROBLEM_FILE)
    result = optiree.solve(problem, solver="highs")
    assert result.status == optiree.Status.OPTIMAL, result.message
    assert result.total_cost is not None
    report(problem, result)
    stock_cost, stock_bound = stock_rule_cost(problem, result)
    report_stock_rule(result, stock_cost, stock_bound)

    checked = {
        "max-share": check_max_shares(problem, result),
        "cap": check_caps(problem, result),
        "stock-cover": check_stock_cover(problem, result),
        "capacity": check_capacities(problem, result),
    }
    cbc = optiree.solve(problem, solver="cbc")
    assert cbc.status == optiree.Status.OPTIMAL, cbc.message
    assert cbc.total_cost is not None
    gap = abs(cbc.total_cost - result.total_cost) / abs(result.total_cost)
    assert gap <= COST_AGREEMENT, (result.total_cost, cbc.total_cost)
    # The stock rules cost something, and no more than their shadow prices say.
    assert 0 < stock_cost <= stock_bound * (1 + COST_AGREEMENT), (stock_cost, stock_bound)

    rows = ", ".join(f"{count} {rule}" for rule, count in checked.items())
    print(f"\nChecked on the returned tables: {rows} rows hold.")
    print(f"CBC agrees on the total cost: {cbc.total_cost:,.0f} USD (relative gap {gap:.1e}).")


if __name__ == "__main__":
    main()
