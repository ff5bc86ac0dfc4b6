"""Japan's Dy/Tb stockpile under the file's disruptions: a stress test of four plans
(docs/stress_test.md).

Starts from examples/japan_2026.yaml (Japan before China's 2026 controls, JOGMEC's 60 days of
strategic stock) with China able to sell Japan twice its Dy and Tb demand, makes plans that
hold 60 days (the file's own), 4, 6 and 12 months of Dy and Tb stock, keeps each plan's first
three quarters, and re-plans the rest under each of the file's scenarios moved to start the
quarter after (and under none). Prints what each plan comes to and checks what the page
claims; CBC must agree with HiGHS on every cost.

Run from any folder: ``python examples/japan_stress.py``.
"""

import itertools
from pathlib import Path
from typing import Any

import pandas as pd

import optiree
from optiree.disruption.scenarios import NO_DISRUPTION, for_disruption
from optiree.disruption.stress import stress_table
from optiree.schema import Scenario

PROBLEM_FILE = Path(__file__).with_name("japan_2026.yaml")
HEAVY = ("Dy", "Tb")
COVERS = {"60 days": None, "4 months": 4 / 3, "6 months": 2.0, "12 months": 4.0}
"""Plan -> closing stock of Dy and Tb, in quarters of demand (None: the file's 60 days,
60 / 91.25 = 0.6575 of a quarter, JOGMEC's target)."""
CHINA_HEAVY_CAPACITY = 2.0
"""assumption: before the controls China can sell Japan up to twice its quarterly Dy and Tb
demand (the file sets China's capacity to the demand as a stand-in for "not the limit"; a
stockpile needs more than the demand)."""
TOLERANCE = 1e-6
"""Tonnes: what counts as zero [t]."""
COST_AGREEMENT = 1e-6
"""Largest relative difference between the HiGHS and CBC costs."""


def baseline(problem: optiree.Problem) -> optiree.Problem:
    """The file, with China able to sell Japan CHINA_HEAVY_CAPACITY x its Dy and Tb demand."""
    sources = [
        source.derive(
            capacity=source.capacity | {m: CHINA_HEAVY_CAPACITY * source.capacity[m] for m in HEAVY}
        )
        if source.id == "china"
        else source
        for source in problem.sources
    ]
    return problem.derive(sources=sources)


def with_cover(problem: optiree.Problem, cover: float, first: str) -> optiree.Problem:
    """``problem`` with a Dy and Tb stock target of ``cover`` quarters of demand from ``first``
    on, instead of the file's 60 days (before ``first`` the 60 days still hold)."""
    periods, security = problem.periods, problem.security
    days, covers = dict(security.min_stock_days), dict(security.min_stock_cover)
    for m in HEAVY:
        before = dict.fromkeys(periods[: periods.index(first)], days.pop(m) / problem.period_days)
        covers[m] = before | dict.fromkeys(periods[periods.index(first) :], cover)
    return problem.derive(security=security.derive(min_stock_days=days, min_stock_cover=covers))


def short(result: optiree.Result, materials: tuple[str, ...]) -> float:
    """Tonnes of ``materials`` short over the horizon [t]."""
    shortage = result.shortage
    return float(shortage.loc[shortage["material"].isin(materials), "tonnes"].sum())


def first_reachable(problem: optiree.Problem, cover: float) -> tuple[str, optiree.Result]:
    """The first quarter from which a plan can hold ``cover`` quarters of Dy and Tb without
    leaving demand unmet or the target below, and that plan. Earlier, the plan would leave
    demand unmet or stay below the target to fill the store."""
    for first in problem.periods:
        plan = optiree.solve(with_cover(problem, cover, first), solver="highs")
        assert plan.is_optimal, plan.message
        below = plan.inventory["below_target"].sum()
        if short(plan, tuple(problem.material_ids)) <= TOLERANCE and below <= TOLERANCE:
            return first, plan
        print(f"  {cover:.2f} quarters from {first}: {below:,.1f} t below target")
    raise AssertionError(f"no quarter can hold {cover:g} quarters of Dy and Tb")


def moved(scenario: Scenario, start: str, periods: list[str]) -> Scenario:
    """``scenario`` with its disruptions moved later so that the first starts at ``start``,
    each as long as in the file (cut at the end of the horizon)."""
    offset = periods.index(start) - min(periods.index(d.start) for d in scenario.disruptions)
    disruptions = []
    for d in scenario.disruptions:
        first = periods.index(d.start) + offset
        end = len(periods) if d.length is None else min(first + d.length, len(periods))
        disruptions.append(d.model_copy(update={"start": periods[first], "length": end - first}))
    return scenario.model_copy(update={"disruptions": disruptions})


def make_plans(base: optiree.Problem) -> tuple[dict[str, optiree.Result], dict[str, str]]:
    """Each plan of COVERS, and the quarter from which it holds its stock."""
    print("China up to 2x the Dy/Tb demand: from when can each plan hold its stock?")
    plans: dict[str, optiree.Result] = {}
    starts: dict[str, str] = {}
    for name, cover in COVERS.items():
        if cover is None:
            starts[name], plans[name] = base.periods[0], optiree.solve(base, solver="highs")
        else:
            starts[name], plans[name] = first_reachable(base, cover)
        print(f"  {name}: held from {starts[name]}, plan cost {plans[name].total_cost:,.0f} USD")
    return plans, starts


def report_rows(
    table: pd.DataFrame, foresight: pd.DataFrame, plans: dict[str, optiree.Result], last: str
) -> list[dict[str, Any]]:
    """One row per plan and scenario: its cost, the foresight cost, the stock held at the end
    of ``last``, and what is short and drawn after."""
    best = dict(zip(foresight["scenario"], foresight["total_cost"], strict=True))
    rows: list[dict[str, Any]] = []
    for record in table.to_dict("records"):
        plan = str(record["plan"])
        held = plans[plan].inventory.set_index(["material", "period"])["closing"]
        rows.append(
            {
                "plan": plan,
                "scenario": record["scenario"],
                "status": record["status"],
                "cost [M USD]": record["total_cost"] / 1e6,
                "foresight [M USD]": best[str(record["scenario"])] / 1e6,
                "Dy held [t]": held["Dy", last],
                "Tb held [t]": held["Tb", last],
                "NdPr short [t]": record["short_NdPr"],
                "Dy short [t]": record["short_Dy"],
                "Tb short [t]": record["short_Tb"],
                "Dy drawn [t]": record["drawn_Dy"],
                "Tb drawn [t]": record["drawn_Tb"],
            }
        )
    return rows


def check_held(cell: dict[tuple[str, str], dict[str, Any]], base: optiree.Problem) -> None:
    """With no disruption each plan holds its cover of Dy and Tb."""
    for name, cover in COVERS.items():
        quarters = 60 / base.period_days if cover is None else cover
        for m, demand in (("Dy", 100.0), ("Tb", 20.0)):
            held = cell[name, NO_DISRUPTION][f"{m} held [t]"]
            assert held >= quarters * demand - TOLERANCE, (name, m, held)


def check_more_stock(cell: dict[tuple[str, str], dict[str, Any]], names: list[str]) -> None:
    """More stock never means more shortage, and never a plan below the full foresight."""
    for scenario in names:
        stocked = [cell[name, scenario] for name in COVERS]
        for m in ("NdPr", *HEAVY):
            tonnes = [row[f"{m} short [t]"] for row in stocked]
            assert all(a >= b - TOLERANCE for a, b in itertools.pairwise(tonnes)), tonnes
        for row in stocked:
            assert row["cost [M USD]"] >= row["foresight [M USD]"] * (1 - 1e-9), row


def check_calm(
    cell: dict[tuple[str, str], dict[str, Any]], names: list[str], plan: optiree.Result
) -> None:
    """A disruption never pays; with none, the 60-day plan is the foresight plan."""
    for name in COVERS:
        calm = cell[name, NO_DISRUPTION]
        for scenario in names:
            assert cell[name, scenario]["cost [M USD]"] >= calm["cost [M USD]"] * (1 - 1e-9)
        assert calm["Dy short [t]"] == calm["Tb short [t]"] == calm["NdPr short [t]"] == 0
    assert (
        abs(cell["60 days", NO_DISRUPTION]["cost [M USD]"] - plan.total_cost / 1e6)
        <= 1e-9 * plan.total_cost
    )


def check_heavy_cut(cell: dict[tuple[str, str], dict[str, Any]], names: list[str]) -> None:
    """With 60 days only the two Dy/Tb embargoes leave demand unmet, after drawing the whole
    stock; from 4 months on nothing is short; under the long embargoes more stock costs
    less."""
    _, *disrupted = names
    heavy_cut = [s for s in disrupted if cell["60 days", s]["Dy short [t]"] > TOLERANCE]
    assert heavy_cut == ["controls_2026", "embargo_1y"], heavy_cut
    for scenario in heavy_cut:
        row = cell["60 days", scenario]
        for m in HEAVY:
            assert abs(row[f"{m} drawn [t]"] - row[f"{m} held [t]"]) <= TOLERANCE, row
        costs = [cell[name, scenario]["cost [M USD]"] for name in COVERS]
        assert all(a > b for a, b in itertools.pairwise(costs)), costs
    for name in list(COVERS)[1:]:
        for scenario in names:
            row = cell[name, scenario]
            assert row["NdPr short [t]"] == row["Dy short [t]"] == row["Tb short [t]"] == 0


def main() -> None:
    file = optiree.load_problem(PROBLEM_FILE)
    base = baseline(file)
    periods = base.periods
    plans, starts = make_plans(base)

    # Commit every quarter in which a plan is still building its stock; the disruption comes
    # the quarter after.
    commit = max(periods.index(first) for first in starts.values()) + 1
    start, last = periods[commit], periods[commit - 1]
    scenarios = [Scenario(name=NO_DISRUPTION)]
    scenarios += [moved(s, start, periods) for s in base.scenarios]
    faced = for_disruption(base)
    print(
        f"\nCommitted: {periods[0]}-{last}; each of the file's scenarios moved to start in "
        f"{start}. Shortage penalty [USD/t]: "
        + ", ".join(f"{m} {penalty:,.0f}" for m, penalty in faced.shortage_penalty.items())
    )

    table = stress_table(base, plans, scenarios, commit, solver="highs").table
    foresight = stress_table(base, {"any": plans["60 days"]}, scenarios, 0).table
    rows = report_rows(table, foresight, plans, last)
    report = pd.DataFrame(rows)
    print(
        f"\nEach plan, its first {commit} quarters kept, re-planned under each scenario "
        f"(held: at the end of {last}; short and drawn: {start}-{periods[-1]})"
    )
    print(report.to_string(index=False, float_format=lambda v: f"{v:,.1f}", na_rep="-"))

    # What docs/stress_test.md claims, recomputed from the table.
    assert list(report["status"]) == ["optimal"] * len(report)
    assert (commit, start) == (3, "2026Q4"), (commit, start)
    cell = {(str(row["plan"]), str(row["scenario"])): row for row in rows}
    names = [s.name for s in scenarios]
    check_held(cell, base)
    check_more_stock(cell, names)
    check_calm(cell, names, plans["60 days"])
    check_heavy_cut(cell, names)

    cbc = stress_table(base, plans, scenarios, commit, solver="cbc").table
    gap = ((cbc["total_cost"] - table["total_cost"]).abs() / table["total_cost"]).max()
    assert gap <= COST_AGREEMENT, gap
    print(f"\nChecked. CBC agrees on every stressed cost (largest relative gap {gap:.1e}).")


if __name__ == "__main__":
    main()
