"""How much Dy and Tb should Japan hold when China's controls may or may not come?

A two-stage stochastic plan (docs/stochastic.md) on the Japan case (examples/japan_2026.yaml),
which models Japan before China's January 2026 controls with the controls as named scenarios.
The first quarter of 2026 is decided now (purchases, substitution, the stock held at its end);
from 2026Q2 on one of the file's scenarios, or none, has come true, and the plan adapts to it.
The script prints the two-stage summary (RP, WS, EEV, VSS, EVPI, CVaR), the stock it chooses
(in months of demand), the plan that weights the worst outcomes, the cost of each scenario when
the Dy and Tb stock is fixed at several levels, and checks what it claims on its own answer.

Run from any folder: ``python examples/japan_stockpile.py [--plot stockpile.png]`` (the figure
needs matplotlib).
"""

import argparse
import math
from pathlib import Path

import pandas as pd

import optiree
from optiree.disruption.stochastic import StochasticResult, solve_stochastic

PROBLEM_FILE = Path(__file__).with_name("japan_2026.yaml")
MONTHS_PER_PERIOD = 3
"""The periods are quarters."""
COMMIT_PERIODS = 1
"""2026Q1 is decided now; the scenario is known from 2026Q2."""
HEAVY = ("Dy", "Tb")
CALM = "calm"
"""The scenario in which nothing is disrupted."""
PROBABILITY = {
    # assumption: even odds that China or Malaysia disrupts Japan's supply in 2026-2027, and at
    # most one disruption comes (the scenarios exclude each other).
    CALM: 0.40,  # assumption: China and Lynas keep selling as before
    # assumption: the 2026 dual-use controls (Dy/Tb embargo to the end, NdPr halved for a year
    # then cut 20%) are the likeliest move: the file's own account of January 2026.
    "controls_2026": 0.25,
    # assumption: a short, deep cut like the 2010 stop of rare earth exports to Japan.
    "cut_2010": 0.15,
    # assumption: a one-year stop of every rare earth (Nomura Research Institute's case).
    "embargo_1y": 0.10,
    # assumption: Lynas Malaysia stops for two quarters (its licence ran to March 2026).
    "lynas_outage": 0.10,
}
RISK = {"cvar_alpha": 0.95, "weight": 0.5}
"""A second plan that puts half the weight on the mean cost of the worst 5% of outcomes."""
TOLERANCE = 1e-6
"""Relative tolerance of the checks on money."""


def with_uncertain_future(problem: optiree.Problem) -> optiree.Problem:
    """The Japan case with the scenarios of the two-stage plan: no disruption (``calm``) and
    each of the file's named scenarios, every disruption one quarter later than the file says
    (2026Q1 is decided before the scenario is known), with the same length and cut (one that
    would run past 2027Q4 ends there), at the probabilities of :data:`PROBABILITY`."""
    periods = problem.periods
    scenarios = [optiree.Scenario(name=CALM, probability=PROBABILITY[CALM])]
    for named in problem.scenarios:
        later = [
            d.derive(start=periods[periods.index(d.start) + COMMIT_PERIODS])
            for d in named.disruptions
        ]
        scenarios.append(named.derive(disruptions=later, probability=PROBABILITY[named.name]))
    return problem.derive(scenarios=scenarios)


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
        fixed = solve_stochastic(problem, commit_periods=COMMIT_PERIODS, first_stage_stock=stock)
        check(fixed)
        costs = fixed.scenario_costs
        for scenario, cost in zip(costs["scenario"], costs["cost"], strict=True):
            rows.append((months, scenario, cost))
        rows.append((months, "expected", fixed.expected_cost))
    table = pd.DataFrame(rows, columns=["months", "scenario", "cost"])
    return table.pivot(index="months", columns="scenario", values="cost")[
        [s.name for s in problem.scenarios] + ["expected"]
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
    ax.set_xlabel("Dy and Tb stock at the end of 2026Q1 [months of demand]")
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
    """Solve with the Dy and Tb stock fixed at 0, 1 and 2 months and at the optimum, print the
    costs, check that the optimum is the least expected cost and that no more stock can be had,
    and return (curve, optimal months)."""
    last = problem.periods[COMMIT_PERIODS - 1]
    at_end = stock[stock["period"] == last].set_index("material")["months"]
    optimum = {m: float(at_end[m]) for m in HEAVY}
    most = max(optimum.values())
    levels = [0.0, 1.0, 2.0, most]
    curve = cost_curve(problem, levels, optimum)
    limits = ", ".join(f"{m} {optimum[m]:.2f}" for m in HEAVY)
    print(
        f"\nCost with the Dy and Tb stock at the end of {last} fixed [M USD; rows: months of "
        f"demand, each at most its optimum: {limits}]"
    )
    print((curve / 1e6).to_string(float_format="{:,.1f}".format))
    expected = curve["expected"]
    saved = expected.iloc[-2] - expected.iloc[-1]
    print(
        f"The stock beyond 2 months saves {saved / 1e6:,.0f} M USD in expectation, "
        f"{saved / (levels[-1] - levels[-2]) / 1e6:,.0f} M USD a month."
    )
    # Fixing the stock can only cost more than choosing it; at the optimum it costs the same.
    assert result.expected_cost is not None
    assert (expected >= result.expected_cost * (1 - TOLERANCE)).all()
    assert math.isclose(expected.iloc[-1], result.expected_cost, rel_tol=TOLERANCE)
    assert expected.is_monotonic_decreasing, "each month of stock should lower the expected cost"
    # The optimum is all that can be bought: one tonne more of Dy is one tonne short now.
    more = {"Dy": optimum["Dy"] / MONTHS_PER_PERIOD * demand_in(problem, "Dy", last) + 1.0}
    beyond = solve_stochastic(problem, commit_periods=COMMIT_PERIODS, first_stage_stock=more)
    assert beyond.expected_cost is not None
    first = beyond.first_stage
    chosen = (
        (first["decision"] == "short") & (first["material"] == "Dy") & (first["period"] == last)
    )
    short_now = float(first.loc[chosen, "value"].sum())
    assert math.isclose(short_now, 1.0, rel_tol=TOLERANCE), short_now
    extra = beyond.expected_cost - result.expected_cost
    worth = problem.shortage_penalty["Dy"] - extra
    print(
        f"One tonne more of Dy in stock at the end of {last} is one tonne short then: it costs "
        f"{extra / 1e6:,.1f} M USD more in expectation, so that tonne would be worth "
        f"{worth / 1e6:,.1f} M USD if it could be bought."
    )
    assert worth > 0
    return curve, most


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", type=Path, help="write the cost-against-stock figure here")
    args = parser.parse_args(argv)

    problem = with_uncertain_future(optiree.load_problem(PROBLEM_FILE))
    result = solve_stochastic(problem, commit_periods=COMMIT_PERIODS)
    check(result)
    print(result.summary())
    stock = months_of_stock(result, problem)
    print("First-stage stock [t; months of that quarter's demand]")
    print(stock.to_string(index=False, float_format="{:,.2f}".format))
    report_expected_value_plan(result, problem)

    averse = solve_stochastic(problem, commit_periods=COMMIT_PERIODS, risk=RISK)
    check(averse)
    print(
        f"\nWith half the weight on CVaR 95%: objective {averse.objective:,.0f} USD, CVaR "
        f"{averse.cvar:,.0f} USD, expected cost {averse.expected_cost:,.0f} USD; the same first "
        "stage."
    )
    # Weighting the worst outcomes changes nothing here (not a theorem: checked): the plan of
    # least expected cost already holds all the Dy and Tb there is to buy (see below).
    values = ["decision", "item", "material", "period"]
    mine = result.first_stage.set_index(values)["value"]
    theirs = averse.first_stage.set_index(values)["value"].reindex(mine.index)
    assert ((mine - theirs).abs() <= TOLERANCE * (1 + mine.abs())).all(), (mine, theirs)

    curve, most = report_curve(problem, result, stock)
    if args.plot is not None:
        plot(curve, most, args.plot)
    print(
        "\nChecked: WS <= RP <= EEV, VSS >= 0, EVPI >= 0, one first stage for all scenarios; "
        "the CVaR plan has the same first stage; no more Dy can be bought."
    )


if __name__ == "__main__":
    main()
