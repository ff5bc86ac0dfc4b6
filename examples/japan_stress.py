"""Japan's Dy/Tb stockpile under a Chinese embargo: a stress test of four plans
(docs/stress_test.md).

Starts from examples/japan_2026.yaml before the heavy rare earth embargo (China sells Dy and Tb
again), makes plans that hold no stock, 60 days (JOGMEC's target), 6 months and 12 months of Dy
and Tb stock, keeps each plan's first three quarters, and re-plans the rest with no embargo and
under a Chinese Dy/Tb embargo of 3 and of 12 months from 2026Q4. Prints what each plan comes to
and checks what the page claims; CBC must agree with HiGHS on every cost.

Run from any folder: ``python examples/japan_stress.py``.
"""

import itertools
import math
from pathlib import Path
from typing import Any

import pandas as pd

import optiree
from optiree.schema import Scenario
from optiree.stress import StressResult, stress_table, stress_test, stressed_problem

PROBLEM_FILE = Path(__file__).with_name("japan_2026.yaml")
HEAVY = ("Dy", "Tb")
COVERS = {"no stock": 0.0, "60 days": 60 / 91.25, "6 months": 2.0, "12 months": 4.0}
"""Plan -> closing stock of Dy and Tb, in quarters of demand (60 days is JOGMEC's target and
the file's initial stock: 60 / 91.25 = 0.6575 quarter)."""
SCENARIOS = {"no embargo": 0, "3 months": 1, "12 months": 4}
"""Scenario -> quarters in which China sells Japan no Dy or Tb."""
CHINA_HEAVY_CAPACITY = 2.0
"""assumption: before the embargo China can sell Japan up to twice its quarterly Dy and Tb
demand (the file sets China's capacity to the demand as a stand-in for "not the limit"; a
stockpile needs more than the demand)."""
TOLERANCE = 1e-6
"""Tonnes: what counts as zero [t]."""
COST_AGREEMENT = 1e-6
"""Largest relative difference between the HiGHS and CBC costs."""


def without_heavy_embargo(problem: optiree.Problem) -> optiree.Problem:
    """The problem as the file has it, less the ``cn_hre_embargo`` cap."""
    document = problem.model_dump()
    document["caps"] = [cap for cap in document["caps"] if cap["id"] != "cn_hre_embargo"]
    return optiree.Problem.model_validate(document)


def baseline(problem: optiree.Problem) -> optiree.Problem:
    """Japan before the embargo: China sells Dy and Tb, up to CHINA_HEAVY_CAPACITY x demand,
    and no rule caps China's share (Japan bought all its heavy rare earths there)."""
    document = without_heavy_embargo(problem).model_dump()
    document["security"]["max_country_share"] = {}
    china = next(source for source in document["sources"] if source["id"] == "china")
    for m in HEAVY:
        china["capacity"][m] = CHINA_HEAVY_CAPACITY * china["capacity"][m]
    return optiree.Problem.model_validate(document)


def with_cover(problem: optiree.Problem, cover: float, first: str) -> optiree.Problem:
    """``problem`` with Dy and Tb closing stock of ``cover`` quarters from ``first`` on."""
    document = problem.model_dump()
    periods = problem.periods
    ruled = periods[periods.index(first) :]
    for m in HEAVY:
        document["security"]["min_stock_cover"][m] = dict.fromkeys(ruled, cover)
    return optiree.Problem.model_validate(document)


def heavy_short(result: optiree.Result) -> float:
    """Tonnes of Dy and Tb short over the horizon [t]."""
    shortage = result.shortage
    return float(shortage.loc[shortage["material"].isin(HEAVY), "tonnes"].sum())


def first_reachable(problem: optiree.Problem, cover: float) -> tuple[str, optiree.Result]:
    """The first quarter from which a plan can hold ``cover`` quarters of Dy and Tb without
    leaving demand unmet, and that plan. Earlier, the rule is infeasible, or (Dy and Tb may go
    short) met only by going short to fill the store."""
    for first in problem.periods:
        plan = optiree.solve(with_cover(problem, cover, first), solver="highs")
        if plan.is_optimal and heavy_short(plan) <= TOLERANCE:
            return first, plan
        print(f"  {cover:g} quarters from {first}: {describe(plan)}")
    raise AssertionError(f"no quarter can hold {cover:g} quarters of Dy and Tb")


def describe(plan: optiree.Result) -> str:
    """Infeasible, or how much Dy and Tb the plan leaves short."""
    if not plan.is_optimal:
        return plan.status.value
    return f"{heavy_short(plan):,.1f} t of Dy and Tb short"


def embargo(label: str, quarters: int, start: str) -> Scenario:
    """China sells Japan no Dy or Tb for ``quarters`` quarters from ``start`` (0: it sells)."""
    disruptions = [{"country": "CN", "materials": list(HEAVY), "start": start, "length": quarters}]
    return Scenario.model_validate(
        {"name": label.replace(" ", "_"), "disruptions": disruptions if quarters else []}
    )


def drawn_in(stressed: StressResult, periods: list[str]) -> dict[str, float]:
    """Dy and Tb stock drawn in ``periods`` [t]."""
    table = stressed.stock_drawn
    during = table[table["period"].isin(periods) & table["material"].isin(HEAVY)]
    return {str(m): float(t) for m, t in during.groupby("material")["drawn"].sum().items()}


def main() -> None:
    problem = optiree.load_problem(PROBLEM_FILE)
    periods = problem.periods

    # The file less the embargo, as it stands: Japan's 60% ceiling on China leaves even the
    # plan without a stock rule short, and no Dy/Tb stock can be built.
    as_given = without_heavy_embargo(problem)
    no_rule = optiree.solve(as_given, solver="highs")
    assert no_rule.is_optimal, no_rule.message
    six_months = optiree.solve(with_cover(as_given, 2.0, "2026Q2"), solver="highs")
    print("The file less the Dy/Tb embargo, with its 60% ceiling on China:")
    print(f"  no stock rule: {describe(no_rule)}")
    print(f"  6 months of Dy/Tb from 2026Q2: {describe(six_months)}")

    base = baseline(problem)
    print("\nBaseline (no ceiling, China up to 2x the Dy/Tb demand): from when can each plan")
    print("hold its stock without leaving demand unmet?")
    plans: dict[str, optiree.Result] = {}
    starts: dict[str, str] = {}
    for name, cover in COVERS.items():
        if cover == 0:
            starts[name], plans[name] = periods[0], optiree.solve(base, solver="highs")
        else:
            starts[name], plans[name] = first_reachable(base, cover)
        print(f"  {name}: held from {starts[name]}, plan cost {plans[name].total_cost:,.0f} USD")

    # Commit every quarter in which a plan is still building its stock; the embargo comes next.
    commit = max(periods.index(first) for first in starts.values()) + 1
    start, last = periods[commit], periods[commit - 1]
    scenarios = {label: embargo(label, q, start) for label, q in SCENARIOS.items()}
    penalties = stressed_problem(base, scenarios["3 months"], commit).shortage_penalty
    print(
        f"\nCommitted: {periods[0]}-{last}; embargo from {start}. Shortage penalty [USD/t]: "
        + ", ".join(f"{m} {penalty:,.0f}" for m, penalty in penalties.items())
    )

    table = stress_table(base, plans, list(scenarios.values()), commit, solver="highs")
    foresight = stress_table(base, {"any": plans["no stock"]}, list(scenarios.values()), 0)
    best = dict(zip(foresight["scenario"], foresight["total_cost"], strict=True))
    labels = {scenario.name: label for label, scenario in scenarios.items()}
    rows: list[dict[str, Any]] = []
    for record in table.to_dict("records"):
        plan, label = str(record["plan"]), labels[str(record["scenario"])]
        window = periods[commit : commit + SCENARIOS[label]]
        drawn = drawn_in(stress_test(base, plans[plan], scenarios[label], commit), window)
        held = plans[plan].inventory.set_index(["material", "period"])["closing"]
        rows.append(
            {
                "plan": plan,
                "embargo": label,
                "status": record["status"],
                "cost [M USD]": record["total_cost"] / 1e6,
                "foresight [M USD]": best[scenarios[label].name] / 1e6,
                "Dy held [t]": held["Dy", last],
                "Tb held [t]": held["Tb", last],
                "Dy short [t]": record["short_Dy"],
                "Tb short [t]": record["short_Tb"],
                "Dy drawn [t]": drawn.get("Dy", math.nan),
                "Tb drawn [t]": drawn.get("Tb", math.nan),
            }
        )
    report = pd.DataFrame(rows)
    print(
        f"\nEach plan, its first {commit} quarters kept, re-planned under each scenario "
        f"(held: at the end of {last}; short: {start}-{periods[-1]}; drawn: during the embargo)"
    )
    print(report.to_string(index=False, float_format=lambda v: f"{v:,.1f}", na_rep="-"))

    # What docs/stress_test.md claims.
    assert list(report["status"]) == ["optimal"] * len(report)
    assert heavy_short(no_rule) > 0, "the ceiling on China leaves the file's baseline short"
    assert not six_months.is_optimal, "with the ceiling no 6-month stock can be built by 2026Q2"
    assert starts == {
        "no stock": "2026Q1",
        "60 days": "2026Q1",
        "6 months": "2026Q2",
        "12 months": "2026Q3",
    }
    assert (commit, start) == (3, "2026Q4")
    assert penalties == {"NdPr": 10 * 3.0 * 96_000, "Dy": 7_800_000, "Tb": 34_000_000}
    cell = {(str(row["plan"]), str(row["embargo"])): row for row in rows}
    for name, cover in COVERS.items():
        for m, demand in (("Dy", 100.0), ("Tb", 20.0)):
            held = cell[name, "3 months"][f"{m} held [t]"]
            assert held >= cover * demand - TOLERANCE, (name, m, held)
    # Without stock, the 3-month embargo leaves short what the Lynas feed (3,600 t a quarter
    # yielding 29.88 t Dy and 6.12 t Tb), recycling (1.6, 0.36) and heavy-rare-earth-free
    # magnets (12, 2) cannot bring: 56.52 t and 11.52 t.
    bare = cell["no stock", "3 months"]
    assert abs(bare["Dy short [t]"] - (100 - 3600 * 0.0083 - 1.6 - 12)) <= TOLERANCE
    assert abs(bare["Tb short [t]"] - (20 - 3600 * 0.0017 - 0.36 - 2)) <= TOLERANCE
    for label in SCENARIOS:
        stocked = [cell[name, label] for name in COVERS]
        for m in HEAVY:
            short = [row[f"{m} short [t]"] for row in stocked]
            assert all(a >= b - TOLERANCE for a, b in itertools.pairwise(short)), (label, short)
        for row in stocked:
            assert row["cost [M USD]"] >= row["foresight [M USD]"] * (1 - 1e-9), row
    for no_shortage in [
        ("no stock", "no embargo"),
        ("60 days", "3 months"),
        ("12 months", "3 months"),
        ("6 months", "12 months"),
    ]:
        assert cell[no_shortage]["Dy short [t]"] == cell[no_shortage]["Tb short [t]"] == 0
    assert cell["no stock", "12 months"]["Dy short [t]"] > bare["Dy short [t]"]

    cbc = stress_table(base, plans, list(scenarios.values()), commit, solver="cbc")
    gap = ((cbc["total_cost"] - table["total_cost"]).abs() / table["total_cost"]).max()
    assert gap <= COST_AGREEMENT, gap
    print(f"\nChecked. CBC agrees on every stressed cost (largest relative gap {gap:.1e}).")


if __name__ == "__main__":
    main()
