"""Japan's magnet rare earths 2026-2027, before and under China's export controls (docs/japan.md).

Solves examples/japan_2026.yaml with HiGHS and prints what an analyst asks of it:

1. the situation before the controls: China's share of each material, the stock in days of
   demand, the cost by component;
2. each of the file's scenarios next to no disruption: what it costs above none and why, the
   tonnes short, the strategic stock drawn and rebuilt, and the tonnes each lever brings (the
   one-year embargo quarter by quarter);
3. what the stockpile is worth: 0, 60, 90, 120 and 180 days of stock held when 2026 starts (and
   kept as the target), what each costs with no disruption and saves under ``controls_2026``
   and ``embargo_1y``.

It then checks its own answers on the returned tables, recomputed from the file's figures
without the model's code: every cost component, each material's balance over the horizon, the
scenarios' cuts, the take-or-pay, and the claims of common sense (no scenario costs less than
none; more days of stock never mean more shortage under the same disruption); and CBC agrees on
the total cost. Run from any folder: ``python examples/japan_2026.py``.
"""

import math
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

import optiree
from optiree.disruption.scenarios import NO_DISRUPTION, disrupted

PROBLEM_FILE = Path(__file__).with_name("japan_2026.yaml")
STOCK_DAYS = (0, 60, 90, 120, 180)
"""Stockpiles priced [days of demand]; the file holds JOGMEC's 60."""
PRICED_UNDER = ("controls_2026", "embargo_1y")
"""The scenarios under which the stockpiles are priced."""
TOLERANCE = 1e-6
"""Slack allowed when tonnes are compared on the solver's figures [t]."""
COST_AGREEMENT = 1e-7
"""Largest relative difference between two total costs that should be equal."""


def at(value: float | Mapping[str, float], period: str) -> float:
    """A per-period input in ``period``: the number itself, or the dict entry (0 if absent)."""
    return value.get(period, 0.0) if isinstance(value, Mapping) else value


def solved(problem: optiree.Problem, solver: str = "highs") -> optiree.Result:
    """``problem`` solved to optimality (or an AssertionError saying why not)."""
    result = optiree.solve(problem, solver=solver)
    assert result.status == optiree.Status.OPTIMAL, result.message
    return result


def cost(result: optiree.Result) -> float:
    """The total cost of an optimal result [USD]."""
    assert result.total_cost is not None
    return result.total_cost


def close(a: float, b: float) -> bool:
    """Two costs equal to COST_AGREEMENT (and a dollar)."""
    return math.isclose(a, b, rel_tol=COST_AGREEMENT, abs_tol=1.0)


def components(result: optiree.Result) -> pd.Series:
    """The cost by component [USD], in the order of the costs table."""
    return result.costs.groupby("component", sort=False)["cost"].sum()


def china_share(result: optiree.Result) -> pd.DataFrame:
    """China's share of each material's supply, per quarter [%], from the supply table."""
    supply = result.supply
    total = supply.pivot_table(index="material", columns="period", values="tonnes", aggfunc="sum")
    china = supply[supply["country"] == "CN"]
    own = china.pivot_table(index="material", columns="period", values="tonnes", aggfunc="sum")
    order = result.inventory["material"].unique()
    return (100 * own / total).reindex(index=order, columns=total.columns.sort_values())


def stock_days(problem: optiree.Problem, result: optiree.Result) -> pd.DataFrame:
    """Closing stock in days of that quarter's demand [days]."""
    assert problem.period_days is not None
    inventory = result.inventory.assign(
        days=problem.period_days * result.inventory["closing"] / result.inventory["demand"]
    )
    table = inventory.pivot(index="material", columns="period", values="days")
    return table.reindex(index=inventory["material"].unique())


def levers(problem: optiree.Problem, result: optiree.Result) -> pd.DataFrame:
    """Tonnes over the eight quarters, per material: from each source, substituted, drawn from
    stock (opening minus closing), short and sold [t]."""
    inventory = result.inventory.groupby("material", sort=False)
    table = result.supply.pivot_table(
        index="material", columns="source", values="tonnes", aggfunc="sum", sort=False
    ).reindex(columns=[s.id for s in problem.sources])
    table["substituted"] = inventory["substituted"].sum()
    table["from stock"] = inventory["opening"].first() - inventory["closing"].last()
    table["short"] = inventory["shortage"].sum()
    table["sold"] = inventory["sold"].sum()
    return table.fillna(0.0)


def stock_story(result: optiree.Result) -> pd.DataFrame:
    """Per material: the deepest the stock falls below its target [t], the quarters below it,
    the first of them, the quarter it is back at target, and the gap paid for [USD]."""
    rows = {}
    periods = list(result.inventory["period"].unique())
    for material, rows_of in result.inventory.groupby("material", sort=False):
        below = rows_of.set_index("period")["below_target"]
        under = list(below[below > TOLERANCE].index)
        if not under:
            back = "-"
        elif under[-1] == periods[-1]:
            back = "not by the end"
        else:
            back = periods[periods.index(under[-1]) + 1]
        rows[material] = {
            "deepest below [t]": below.max(),
            "quarters below": len(under),
            "first below": under[0] if under else "-",
            "back at target": back,
            "gap paid [USD]": rows_of["below_target_cost"].sum(),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def quarter_by_quarter(result: optiree.Result) -> pd.DataFrame:
    """Closing stock, tonnes below target and tonnes short, per material and quarter [t]."""
    inventory = result.inventory.rename(
        columns={"below_target": "below target", "shortage": "short"}
    )
    long = inventory.melt(
        id_vars=["material", "period"], value_vars=["closing", "below target", "short"]
    )
    table = long.pivot_table(index=["material", "variable"], columns="period", values="value")
    order = pd.MultiIndex.from_product(
        [inventory["material"].unique(), ["closing", "below target", "short"]]
    )
    return table.reindex(order)


def with_stock(problem: optiree.Problem, days: float) -> optiree.Problem:
    """``problem`` with a stockpile of ``days`` instead of its 60: held when 2026 starts (the
    file's initial stock scaled) and kept as the target of every material; no target at 0."""
    stock, security = problem.stock, problem.security
    initial = {m: t * days / 60 for m, t in stock.initial.items()}
    targets = dict.fromkeys(security.min_stock_days, days) if days else {}
    below = stock.below_target_cost if days else {}
    return problem.derive(
        stock=stock.derive(initial=initial, below_target_cost=below),
        security=security.derive(min_stock_days=targets),
    )


# -- What the script prints -------------------------------------------------------------------


def show_before(problem: optiree.Problem, result: optiree.Result) -> None:
    print(result.summary())
    total = cost(result)
    print(f"Cost by component [{result.currency}]")
    for component, value in components(result).items():
        print(f"  {component:<13} {value:>16,.0f}  ({value / total:6.1%})")
    print("\nChina's share of supply [%]")
    print(china_share(result).round(1).to_string())
    print("\nClosing stock [days of demand]")
    print(stock_days(problem, result).round(1).to_string())


def show_scenarios(problem: optiree.Problem, results: dict[str, optiree.Result]) -> None:
    none = cost(results[NO_DISRUPTION])
    base = components(results[NO_DISRUPTION])
    rows = {}
    for name, result in results.items():
        by = components(result)
        extra = by - base.reindex(by.index, fill_value=0.0)
        causes = ["shortage", "below_target", "take_or_pay"]
        rows[name] = {
            "total cost": cost(result),
            "above none": cost(result) - none,
            "shortage": extra["shortage"],
            "gap below target": extra["below_target"],
            "take-or-pay": extra["take_or_pay"],
            "procurement": extra.drop(causes).sum(),
        }
        for material, tonnes in result.unmet.set_index("material")["tonnes"].items():
            rows[name][f"short {material} [t]"] = tonnes
    table = pd.DataFrame.from_dict(rows, orient="index")
    print(f"\nEach scenario against none: cost [{problem.currency}], what it adds, tonnes short")
    money = {c: "{:,.0f}".format for c in table.columns if "[t]" not in c}
    print(table.to_string(formatters=money, float_format="{:,.1f}".format))

    print("\nThe strategic stock in each scenario (drawn below its 60-day target, rebuilt after)")
    story = pd.concat({name: stock_story(r) for name, r in results.items()})
    print(
        story.to_string(
            formatters={"gap paid [USD]": "{:,.0f}".format}, float_format="{:,.1f}".format
        )
    )

    print("\nWhat each lever brings over the eight quarters [t]")
    brought = pd.concat({name: levers(problem, r) for name, r in results.items()})
    print(brought.to_string(float_format="{:,.1f}".format))

    print("\nembargo_1y quarter by quarter [t]")
    print(quarter_by_quarter(results["embargo_1y"]).to_string(float_format="{:,.1f}".format))


def stockpile_value(problem: optiree.Problem) -> pd.DataFrame:
    """Each of STOCK_DAYS solved with no disruption and under each of PRICED_UNDER: the total
    cost [USD] and the tonnes short of each material [t], one row per number of days."""
    rows = {}
    for days in STOCK_DAYS:
        changed = with_stock(problem, days)
        row: dict[tuple[str, str], float] = {}
        for name in (NO_DISRUPTION, *PRICED_UNDER):
            result = solved(disrupted(changed, name))
            row[(name, "cost")] = cost(result)
            for material, tonnes in result.unmet.set_index("material")["tonnes"].items():
                row[(name, f"short {material}")] = tonnes
        rows[days] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def show_stockpile(problem: optiree.Problem, value: pd.DataFrame) -> pd.DataFrame:
    """Print what each stockpile costs and saves; return that table."""
    none = value[(NO_DISRUPTION, "cost")]
    table = pd.DataFrame(
        {
            ("held [t]", "NdPr/Dy/Tb"): [
                "/".join(f"{t * d / 60:,.0f}" for t in problem.stock.initial.values())
                for d in value.index
            ],
            ("no disruption", "costs"): none - none.loc[0],
        },
        index=value.index,
    )
    for name in PRICED_UNDER:
        under = value[(name, "cost")]
        table[(name, "saves")] = under.loc[0] - under
        table[(name, "short Dy [t]")] = value[(name, "short Dy")]
        table[(name, "short Tb [t]")] = value[(name, "short Tb")]
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    table.index.name = "days"
    print(f"\nThe stockpile: held when 2026 starts and kept as the target [{problem.currency}]")
    money = {c: "{:,.0f}".format for c in table.columns if c[1] in ("costs", "saves")}
    print(table.to_string(formatters=money, float_format="{:,.1f}".format))
    return table


# -- Checks, on the returned tables, from the file's figures ----------------------------------


def price(problem: optiree.Problem, source_id: str, material: str, period: str) -> float:
    """What ``source_id`` asks for a tonne of ``material`` in ``period`` [USD/t]."""
    source = next(s for s in problem.sources if s.id == source_id)
    assert not source.tiers, "the file's prices are flat"
    assert not source.price_floor, "the file's prices are flat"
    if material in source.prices:
        return at(source.prices[material], period)
    return source.price_multiplier * at(problem.reference_prices[material], period)


def check_costs(faced: optiree.Problem, result: optiree.Result) -> None:
    """Every cost component, recomputed from the quantities and the faced problem's figures,
    and their sum the total cost."""
    inventory, stock = result.inventory, faced.stock
    last = inventory["period"] == faced.periods[-1]
    bought = result.supply[result.supply["bought"] > 0]
    expected = {
        "purchases": sum(
            r.bought * price(faced, r.source, r.material, r.period) for r in bought.itertuples()
        ),
        "feeds": sum(
            r.tonnes * at(f.price_per_tonne_feed, r.period)
            for s in faced.sources
            for f in s.feeds
            for r in result.feeds[result.feeds["feed"] == f.id].itertuples()
        ),
        "substitution": sum(
            r.units * at(next(k.cost for k in faced.substitutes if k.id == r.substitute), r.period)
            for r in result.substitution.itertuples()
        ),
        "holding": (inventory["closing"] * inventory["material"].map(stock.holding_cost)).sum(),
        "below_target": (
            inventory["gap_charged"] * inventory["material"].map(stock.below_target_cost)
        ).sum()
        + (inventory[last]["below_target"] * inventory["material"].map(stock.terminal_price))
        .fillna(0.0)
        .sum(),
        "shortage": (inventory["shortage"] * inventory["material"].map(faced.shortage_penalty))
        .fillna(0.0)
        .sum(),
        "sales": -sum(
            r.sold * at(faced.surplus[r.material].salvage_price, r.period)
            for r in inventory[inventory["sold"] > 0].itertuples()
        ),
        "take_or_pay": take_or_pay(faced, result),
    }
    by = components(result)
    for component, value in expected.items():
        assert close(by.get(component, 0.0), value), (component, by.get(component), value)
    assert close(sum(expected.values()), cost(result)), (sum(expected.values()), cost(result))


def take_or_pay(problem: optiree.Problem, result: optiree.Result) -> float:
    """What the contracts' tonnes not taken cost, quarter by quarter [USD]."""
    supply = result.supply
    paid = 0.0
    for contract in problem.contracts:
        assert not contract.sum_over, "the file's contract is one row a quarter"
        assert contract.min_tonnes is not None
        assert contract.take_or_pay is not None
        for period in contract.periods or problem.periods:
            taken = supply[
                (supply["source"] == contract.source)
                & supply["material"].isin(contract.materials or problem.material_ids)
                & (supply["period"] == period)
            ]["tonnes"].sum()
            paid += max(0.0, contract.min_tonnes - taken) * contract.take_or_pay
    return paid


def check_balance(problem: optiree.Problem, result: optiree.Result) -> None:
    """Each material over the horizon: the stock at the start, the tonnes delivered (supply
    table), substituted and short, less the tonnes sold, wasted and left in stock, meet demand."""
    delivered = result.supply.groupby("material")["tonnes"].sum()
    for material, rows in result.inventory.groupby("material"):
        came = (
            problem.stock.initial.get(str(material), 0.0)
            + delivered[material]
            + rows["substituted"].sum()
            + rows["shortage"].sum()
        )
        went = rows["sold"].sum() + rows["surplus"].sum() + rows["closing"].iloc[-1]
        demand = sum(at(problem.demand[str(material)], t) for t in problem.periods)
        assert abs(came - went - demand) <= 10 * TOLERANCE * len(problem.periods), material


def most(problem: optiree.Problem, source_id: str, material: str, period: str) -> float:
    """The most ``source_id`` can deliver of ``material`` in ``period``, feeds included [t]."""
    source = next(s for s in problem.sources if s.id == source_id)
    first = source.available_from or problem.periods[0]
    if problem.periods.index(period) < problem.periods.index(first):
        return 0.0
    own = at(source.capacity.get(material, 0.0), period)
    fed = sum(f.yields.get(material, 0.0) * at(f.capacity, period) for f in source.feeds)
    return own + fed


def check_cuts(problem: optiree.Problem, name: str, result: optiree.Result) -> int:
    """Each disruption of scenario ``name`` holds: the sources it hits deliver at most
    (1 - cut) of what they could, in each material and quarter of its window."""
    (scenario,) = [s for s in problem.scenarios if s.name == name]
    supply = result.supply.set_index(["source", "material", "period"])["tonnes"]
    checked = 0
    for cut in scenario.disruptions:
        first = problem.periods.index(cut.start)
        window = problem.periods[first : None if cut.length is None else first + cut.length]
        hit = [s.id for s in problem.sources if cut.source == s.id or cut.country == s.country]
        for material in cut.materials or problem.material_ids:
            for period in window:
                tonnes = sum(supply.get((s, material, period), 0.0) for s in hit)
                limit = (1 - cut.cut) * sum(most(problem, s, material, period) for s in hit)
                assert tonnes <= limit + TOLERANCE, (name, material, period, tonnes, limit)
                checked += 1
    return checked


def check(
    problem: optiree.Problem,
    before: optiree.Result,
    results: dict[str, optiree.Result],
    value: pd.DataFrame,
) -> int:
    """The script's claims, asserted; returns the number of cut rows checked."""
    # Before the controls: China sells 60% of the NdPr (Lynas the JARE 500 t a quarter) and
    # nearly all the Dy and Tb; the 60-day stock is held; nothing is short. The file as it
    # stands is the scenario "none".
    shares = china_share(before)
    assert ((shares.loc["NdPr"] - 60).abs() <= 0.01).all(), shares.loc["NdPr"]
    assert (shares.loc[["Dy", "Tb"]] >= 90).all(axis=None), shares
    assert (stock_days(problem, before) >= 60 - TOLERANCE).all(axis=None)
    assert before.shortage["tonnes"].sum() <= TOLERANCE
    assert close(cost(before), cost(results[NO_DISRUPTION]))

    checked = 0
    none = cost(results[NO_DISRUPTION])
    for name, result in results.items():
        faced = disrupted(problem, name)
        check_costs(faced, result)
        check_balance(faced, result)
        if name != NO_DISRUPTION:
            checked += check_cuts(problem, name, result)
            assert cost(result) >= none * (1 - COST_AGREEMENT), (name, cost(result), none)
    # No disruption: no gap, nothing short. A one-year embargo and the 2010 cut draw the Dy
    # and Tb stock and rebuild it before the end; the controls never end, so neither does the
    # Dy and Tb gap. A Lynas outage is met by China, at the take-or-pay of the JARE tonnes not
    # taken (500 t a quarter for two quarters at 110,000).
    assert (results[NO_DISRUPTION].inventory["below_target"] <= TOLERANCE).all()
    for name in ("embargo_1y", "cut_2010"):
        story = stock_story(results[name])
        assert (story.loc[["Dy", "Tb"], "deepest below [t]"] > 1).all(), (name, story)
        assert (story["back at target"] != "not by the end").all(), (name, story)
    story = stock_story(results["controls_2026"])
    assert (story.loc[["Dy", "Tb"], "back at target"] == "not by the end").all(), story
    outage = results["lynas_outage"]
    assert outage.shortage["tonnes"].sum() <= TOLERANCE
    assert close(components(outage)["take_or_pay"], 2 * 500 * 110_000)

    # The stockpile: 60 days is the file; with no disruption a stockpile costs its holding
    # over the eight quarters and nothing else (and the top-up of the file's initial stock,
    # rounded to 821.9 t of NdPr, to the target's 821.92 t, at China's price); under either
    # disruption more days never cost more, never leave more short, and every stockpile saves
    # more than it costs.
    for name in (NO_DISRUPTION, *PRICED_UNDER):
        assert close(value.loc[60, (name, "cost")], cost(results[name])), name
    assert problem.period_days is not None
    for days in STOCK_DAYS:
        held = 0.0
        for m, initial in problem.stock.initial.items():
            target = days / problem.period_days * at(problem.demand[m], problem.periods[0])
            top_up = target - initial * days / 60
            held += target * problem.stock.holding_cost[m] * len(problem.periods)
            held += top_up * price(problem, "china", m, problem.periods[0])
        calm = value.loc[days, (NO_DISRUPTION, "cost")] - value.loc[0, (NO_DISRUPTION, "cost")]
        assert close(calm, held), (days, calm, held)
    for name in PRICED_UNDER:
        costs = value[(name, "cost")]
        assert (costs >= value[(NO_DISRUPTION, "cost")]).all(), name
        assert costs.is_monotonic_decreasing, (name, costs)
        for material in problem.material_ids:
            short = value[(name, f"short {material}")]
            assert (short.diff().dropna() <= TOLERANCE).all(), (name, material, short)
        saves = costs.loc[0] - costs
        calm = value[(NO_DISRUPTION, "cost")] - value.loc[0, (NO_DISRUPTION, "cost")]
        assert (saves.drop(0) > calm.drop(0)).all(), (name, saves, calm)
    return checked


def main() -> None:
    problem = optiree.load_problem(PROBLEM_FILE)
    before = solved(problem)
    show_before(problem, before)
    names = [NO_DISRUPTION, *(s.name for s in problem.scenarios)]
    results = {name: solved(disrupted(problem, name)) for name in names}
    show_scenarios(problem, results)
    value = stockpile_value(problem)
    show_stockpile(problem, value)

    cuts = check(problem, before, results, value)
    print(
        f"\nChecked on the returned tables: every cost component and each material's balance in "
        f"{len(results)} plans, {cuts} scenario cut rows, no scenario below none, "
        f"{len(STOCK_DAYS)} stockpiles ordered."
    )
    for name, highs in (("the file", before), ("controls_2026", results["controls_2026"])):
        cbc = solved(problem if highs is before else disrupted(problem, name), solver="cbc")
        gap = abs(cost(cbc) - cost(highs)) / cost(highs)
        assert gap <= COST_AGREEMENT, (name, cost(highs), cost(cbc))
        print(f"CBC agrees on {name}: {cost(cbc):,.0f} USD (relative gap {gap:.1e}).")


if __name__ == "__main__":
    main()
