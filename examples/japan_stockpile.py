"""How much Dy and Tb should Japan stockpile against a Chinese embargo that may or may not come?

A two-stage stochastic plan (docs/stochastic.md) on the Japan case (examples/japan_2026.yaml)
as it stood before the heavy rare earth embargo: China still sells Dy and Tb. The first half of
2026 is decided now (purchases, substitution, stock build-up); from 2026Q3 on one of the
scenarios below has come true, and the plan adapts to it. The script prints the stock built up
(in months of demand), the expected cost, the CVaR, VSS and EVPI, the cost of each scenario when
the stock is fixed at several levels, and checks the textbook facts on its own answer.

Run from any folder: ``python examples/japan_stockpile.py [--plot stockpile.png]`` (the figure
needs matplotlib).
"""

import argparse
import math
from pathlib import Path
from typing import Any

import pandas as pd

import optiree
from optiree.stochastic import StochasticResult, solve_stochastic

PROBLEM_FILE = Path(__file__).with_name("japan_2026.yaml")
MONTHS_PER_PERIOD = 3
"""The periods are quarters."""
COMMIT_PERIODS = 2
"""2026Q1 and 2026Q2 are decided now; the scenario is known from 2026Q3."""
HEAVY = ("Dy", "Tb")
PENALTY = {"NdPr": 3_620_000}
# assumption: a tonne of NdPr short costs 37.7 x its China price of 96,000 USD/t = 3.62 M USD,
# the same ratio of lost output to supply withheld that japan_2026.yaml derives for Dy and Tb
# from Nomura Research Institute's estimate (see shortage_penalty there). The yaml gives NdPr
# no penalty because it must be met; once a disruption may come every material may go short.
RISK = {"cvar_alpha": 0.95, "weight": 0.5}
"""A second plan that puts half the weight on the mean cost of the worst 5% of outcomes."""
TOLERANCE = 1e-6
"""Relative tolerance of the checks on money."""


def _embargo(quarters: int) -> dict[str, Any]:
    return {"country": "CN", "materials": list(HEAVY), "start": "2026Q3", "length": quarters}


SCENARIOS = [
    # assumption: 40% that China keeps selling Dy and Tb to Japan through 2027 (the baseline
    # below): export licences had been granted, slowly, before January 2026.
    {"name": "no_embargo", "probability": 0.40},
    # assumption: 25% for a Dy/Tb embargo of one quarter from 2026Q3, about as long as the 2010
    # stop of rare earth exports to Japan (two months: Global Trade Alert, state act 2092, as
    # cited in japan_2026.yaml).
    {"name": "dytb_3_months", "probability": 0.25, "disruptions": [_embargo(1)]},
    # assumption: 15% for six months.
    {"name": "dytb_6_months", "probability": 0.15, "disruptions": [_embargo(2)]},
    # assumption: 10% for twelve months.
    {"name": "dytb_12_months", "probability": 0.10, "disruptions": [_embargo(4)]},
    # assumption: 10% for twelve months that also halve China's NdPr to Japan: from the
    # baseline's 50% of the usual volume to 25% in 2026 (a cut of 0.75 of capacity) and from
    # 80% to 40% in 2027Q1-Q2 (a cut of 0.6).
    {
        "name": "dytb_12_months_ndpr_half",
        "probability": 0.10,
        "disruptions": [
            _embargo(4),
            {"country": "CN", "materials": ["NdPr"], "start": "2026Q3", "length": 2, "cut": 0.75},
            {"country": "CN", "materials": ["NdPr"], "start": "2027Q1", "length": 2, "cut": 0.6},
        ],
    },
]


def baseline(problem: optiree.Problem) -> optiree.Problem:
    """The Japan case before the embargo: China sells Dy and Tb.

    Two changes to japan_2026.yaml: the ``cn_hre_embargo`` cap is removed (the embargo is now a
    scenario), and so is ``max_country_share`` (at most 60% from China). With that rule, only
    16.7 t of Dy a quarter come from outside China in 2026H1 (Lynas 15.1 t, recycling 1.6 t),
    so China could sell at most 25 t and Dy would be short even without an embargo: the rule,
    not the risk, would decide the stock. The NdPr export cuts of the yaml stay.
    """
    document = problem.model_dump()
    document["caps"] = [cap for cap in document["caps"] if cap["id"] != "cn_hre_embargo"]
    document["security"]["max_country_share"] = {}
    document["scenarios"] = SCENARIOS
    return optiree.Problem.model_validate(document)


def demand_in(problem: optiree.Problem, material: str, period: str) -> float:
    """Demand of ``material`` in ``period`` [t]."""
    demand = problem.demand[material]
    return demand.get(period, 0.0) if isinstance(demand, dict) else demand


def months_of_stock(result: StochasticResult, problem: optiree.Problem) -> pd.DataFrame:
    """Closing stock in the committed periods [t, and months of that period's demand]."""
    stock = result.first_stage[result.first_stage["decision"] == "stock"]
    rows = [
        (m, t, tonnes, MONTHS_PER_PERIOD * tonnes / demand_in(problem, m, t))
        for m, t, tonnes in zip(stock["material"], stock["period"], stock["value"], strict=True)
    ]
    return pd.DataFrame(rows, columns=["material", "period", "tonnes", "months"])


def cost_curve(
    problem: optiree.Problem, levels: list[float], optimum: dict[str, float]
) -> pd.DataFrame:
    """Each scenario's cost and the expected cost [USD] with the Dy and Tb stock at the end of
    the committed periods fixed at ``levels`` months of demand, each at most its optimal
    ``optimum`` months (more cannot be bought); NdPr and everything else stay free."""
    last = problem.periods[COMMIT_PERIODS - 1]
    rows = []
    for months in levels:
        stock = {
            m: min(months, optimum[m]) / MONTHS_PER_PERIOD * demand_in(problem, m, last)
            for m in HEAVY
        }
        fixed = solve_stochastic(
            problem, commit_periods=COMMIT_PERIODS, penalty=PENALTY, first_stage_stock=stock
        )
        check(fixed)
        costs = fixed.scenario_costs
        for scenario, cost in zip(costs["scenario"], costs["cost"], strict=True):
            rows.append((months, scenario, cost))
        rows.append((months, "expected", fixed.expected_cost))
    table = pd.DataFrame(rows, columns=["months", "scenario", "cost"])
    return table.pivot(index="months", columns="scenario", values="cost")[
        [s["name"] for s in SCENARIOS] + ["expected"]
    ]


def plot(curve: pd.DataFrame, optimum: float, path: Path) -> None:
    """Cost [M USD] against Dy/Tb stock [months], one line per scenario, the expected cost in
    black; the optimal stock as a dotted line."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
        from matplotlib.figure import Figure  # noqa: PLC0415
    except ImportError:
        print(f"\nmatplotlib is not installed: no figure written to {path}")
        return
    figure = Figure(figsize=(8.0, 5.0), layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    for scenario in curve.columns:
        mean = scenario == "expected"
        ax.plot(
            curve.index,
            curve[scenario] / 1e6,
            marker="o",
            label=scenario,
            color="black" if mean else None,
            linewidth=2.5 if mean else 1.5,
        )
    ax.axvline(optimum, color="grey", linestyle=":", label=f"optimum ({optimum:.2f} months)")
    ax.set_xlabel("Dy and Tb stock at the end of 2026Q2 [months of demand]")
    ax.set_ylabel("Cost 2026-2027 [M USD]")
    ax.set_title("Japan: cost of each scenario against the Dy/Tb stockpile")
    ax.grid(alpha=0.3)
    figure.legend(loc="outside right upper", title="Scenario")
    figure.savefig(path, dpi=120)
    print(f"\nFigure written to {path}")


def check(result: StochasticResult) -> None:
    """The textbook facts: WS <= RP <= EEV, and the first stage is the same in every scenario."""
    assert result.status == optiree.Status.OPTIMAL, result.message
    rp, ws, eev = result.objective, result.wait_and_see, result.expected_value_cost
    assert rp is not None
    assert ws is not None
    assert eev is not None
    slack = TOLERANCE * abs(rp)
    assert ws <= rp + slack, (ws, rp)
    assert rp <= eev + slack, (rp, eev)
    assert result.vss is not None
    assert result.vss >= -slack
    assert result.evpi is not None
    assert result.evpi >= -slack
    first = {}
    for name, plan in result.recourse.items():
        now = [
            table[table["period"].isin(result.committed)][column].round(6).tolist()
            for table, column in (
                (plan.purchases, "tonnes"),
                (plan.feeds, "tonnes"),
                (plan.substitution, "units"),
                (plan.inventory, "sold"),
                (plan.inventory, "closing"),
            )
        ]
        first[name] = tuple(tuple(values) for values in now)
    assert len(set(first.values())) == 1, first


def report_expected_value_plan(result: StochasticResult, problem: optiree.Problem) -> None:
    """The stock the expected-value plan holds at the end of the committed periods [months]."""
    assert result.expected_value is not None
    inventory = result.expected_value.inventory
    last = inventory[inventory["period"] == problem.periods[COMMIT_PERIODS - 1]]
    months = MONTHS_PER_PERIOD * last["closing"] / last["demand"]
    pairs = zip(last["material"], months, strict=True)
    print("\nThe expected-value plan (every uncertain number at its mean) holds [months]:")
    print("  " + ", ".join(f"{m} {x:.2f}" for m, x in pairs))


def report_curve(
    problem: optiree.Problem, result: StochasticResult, stock: pd.DataFrame
) -> tuple[pd.DataFrame, float]:
    """Solve with the Dy and Tb stock fixed at 0-3 months and at the optimum, print the costs,
    check that the optimum is the least expected cost, and return (curve, optimal months)."""
    last = problem.periods[COMMIT_PERIODS - 1]
    at_end = stock[stock["period"] == last].set_index("material")["months"]
    optimum = {m: float(at_end[m]) for m in HEAVY}
    most = max(optimum.values())
    levels = [0.0, 1.0, 2.0, 3.0, most]
    curve = cost_curve(problem, levels, optimum)
    limits = ", ".join(f"{m} {optimum[m]:.2f}" for m in HEAVY)
    print(
        f"\nCost with the Dy and Tb stock at the end of {last} fixed [M USD; rows: months of "
        f"demand, each at most its optimum: {limits}]"
    )
    print((curve / 1e6).to_string(float_format="{:,.1f}".format))
    expected = curve["expected"]
    month = (expected.iloc[-2] - expected.iloc[-1]) / (levels[-1] - levels[-2])
    print(f"The last month of stock saves {month / 1e6:,.0f} M USD in expectation.")
    # Fixing the stock can only cost more than choosing it; at the optimum it costs the same.
    assert result.expected_cost is not None
    assert (expected >= result.expected_cost * (1 - TOLERANCE)).all()
    assert math.isclose(expected.iloc[-1], result.expected_cost, rel_tol=TOLERANCE)
    assert expected.is_monotonic_decreasing, "each month of stock should lower the expected cost"
    return curve, most


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", type=Path, help="write the cost-against-stock figure here")
    args = parser.parse_args(argv)

    problem = baseline(optiree.load_problem(PROBLEM_FILE))
    result = solve_stochastic(problem, commit_periods=COMMIT_PERIODS, penalty=PENALTY)
    check(result)
    print(result.summary())
    stock = months_of_stock(result, problem)
    print("First-stage stock [t; months of that quarter's demand]")
    print(stock.to_string(index=False, float_format="{:,.2f}".format))
    report_expected_value_plan(result, problem)

    averse = solve_stochastic(problem, commit_periods=COMMIT_PERIODS, penalty=PENALTY, risk=RISK)
    check(averse)
    last = problem.periods[COMMIT_PERIODS - 1]
    neutral_end = stock[stock["period"] == last].set_index("material")["months"]
    averse_stock = months_of_stock(averse, problem)
    averse_end = averse_stock[averse_stock["period"] == last].set_index("material")["months"]
    held = ", ".join(f"{m} {averse_end[m]:.2f}" for m in HEAVY)
    print(
        f"\nWith half the weight on CVaR 95%: objective {averse.objective:,.0f} USD, CVaR "
        f"{averse.cvar:,.0f} USD; it holds {held} months at the end of {last}."
    )
    # Here weighting the worst outcomes buys more stock, not less (not a theorem: checked).
    for m in HEAVY:
        assert averse_end[m] >= neutral_end[m] - TOLERANCE, (m, averse_end[m], neutral_end[m])

    curve, most = report_curve(problem, result, stock)
    if args.plot is not None:
        plot(curve, most, args.plot)
    print(
        "\nChecked: WS <= RP <= EEV, VSS >= 0, EVPI >= 0, one first stage for all scenarios; "
        "the CVaR plan holds at least as much Dy and Tb."
    )


if __name__ == "__main__":
    main()
