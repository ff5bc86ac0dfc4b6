"""Two-stage stochastic planning (optiree.disruption.stochastic).

Hand-solved instances with every solver, the textbook facts (WS <= RP <= EEV, so EVPI >= 0 and
VSS >= 0; one certain scenario is the deterministic problem; the first stage is the same in
every scenario) on random problems with random embargoes, and the input checks.
"""

import importlib.util
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import assume, event, given, note, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import optiree
from optiree import Problem
from optiree.disruption.scenarios import apply, for_disruption
from optiree.disruption.stochastic import (
    SEPARATOR,
    Risk,
    StochasticError,
    StochasticResult,
    build_extensive,
    conditional_value_at_risk,
    expected_value_problem,
    solve_stochastic,
    two_stage,
)
from optiree.disruption.stochastic.solving import _Solving
from optiree.disruption.stochastic.warm import WarmScenarios
from optiree.prepare import ProblemData
from optiree.schema import Scenario
from optiree.solve import SolverName
from tests.checker import check
from tests.strategies import problems

ROOT = Path(__file__).resolve().parents[1]
RELATIVE = 1e-6
"""Relative tolerance of every cost comparison."""
EXAMPLES = max(10, settings().max_examples // 6)
"""Each stochastic solve is some 3 S + 2 LPs: a sixth of the profile's examples."""


def _embargo_now_or_later(**extra: Any) -> Problem:
    """Stock Dy now, or face a 50% chance of China's embargo in P2.

    Demand 10 t in P1 and P2; China 100/t (20 t a period), Lynas 150/t (4 t a period); holding
    30/t per period; a tonne short costs 1,000. With y t carried into P2 (bought in P1 from
    China, 130/t with holding), the first stage costs 1,000 + 130 y and
      calm:    + 100 (10 - y)                    -> 2,000 + 30 y
      embargo: + 150 x 4 + 1,000 (6 - y), y <= 6 -> 7,600 - 870 y
               + 150 (10 - y),          6 <= y   -> 2,500 - 20 y
    Expected cost: 4,800 - 440 y up to y = 6, then 2,250 + 5 y: y = 6, RP = 2,280 (calm 2,180,
    embargo 2,380). WS: calm alone y = 0 (2,000), embargo alone y = 10 (2,300): 2,150, so
    EVPI = 130. Expected value: China's P2 limit is 0.5 x 20 + 0.5 x 0 = 10 t, all of demand,
    so y = 0; in the embargo that costs 7,600: EEV = 4,800, VSS = 2,520.
    """
    document: dict[str, Any] = {
        "name": "stock now or later",
        "periods": ["P1", "P2"],
        "materials": [{"id": "Dy"}],
        "reference_prices": {"Dy": 100},
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"Dy": 20}},
            {"id": "lynas", "country": "AU", "price_multiplier": 1.5, "capacity": {"Dy": 4}},
        ],
        "demand": {"Dy": 10},
        "stock": {"holding_cost": {"Dy": 30}},
        "shortage_penalty": {"Dy": 1000},
        "scenarios": [
            {"name": "calm", "probability": 0.5},
            {
                "name": "embargo",
                "probability": 0.5,
                "disruptions": [{"country": "CN", "start": "P2"}],
            },
        ],
    }
    return Problem.model_validate(document | extra)


def _three_quarters(calm: float = 0.95) -> Problem:
    """Q1-Q3, two quarters committed; a 5% chance that China stops in Q3.

    Demand 10 t a quarter; China 100/t (30 t); a ferrite substitute saves 1 t per unit at 160
    (4 units a quarter); holding 5/t per quarter; shortage 400/t. The embargo scenario's
    disruption starts in Q2, but Q2 is committed: it bites from Q3 only. Stock y carried into Q3
    is bought in Q2 (105/t); the first stage costs 2,000 + 105 y and
      calm:    + 100 (10 - y)                      -> 3,000 + 5 y
      embargo: + 160 x 4 + 400 (6 - y),   y <= 6   -> 5,040 - 295 y
               + 160 (10 - y),            6 <= y   -> 3,600 - 55 y
    Expected slope 0.95 x 5 - 0.05 x 295 = -10, then 0.95 x 5 - 0.05 x 55 = +2: y = 6,
    RP = 0.95 x 3,030 + 0.05 x 3,270 = 3,042. WS = 0.95 x 3,000 + 0.05 x 3,050 = 3,002.5
    (EVPI 39.5). Expected value: China's Q3 limit 28.5 t, so y = 0: EEV = 0.95 x 3,000 +
    0.05 x 5,040 = 3,102 (VSS 60).
    """
    document: dict[str, Any] = {
        "name": "three quarters",
        "periods": ["Q1", "Q2", "Q3"],
        "materials": [{"id": "Dy"}],
        "reference_prices": {"Dy": 100},
        "sources": [{"id": "china", "country": "CN", "capacity": {"Dy": 30}}],
        "substitutes": [{"id": "ferrite", "saves": {"Dy": 1.0}, "cost": 160, "capacity": 4}],
        "demand": {"Dy": 10},
        "stock": {"holding_cost": {"Dy": 5}},
        "shortage_penalty": {"Dy": 400},
        "scenarios": [
            {"name": "calm", "probability": calm},
            {
                "name": "embargo",
                "probability": 1 - calm,
                "disruptions": [{"country": "CN", "start": "Q2", "length": 2}],
            },
        ],
    }
    return Problem.model_validate(document)


def _first(result: StochasticResult, decision: str, item: str, period: str) -> float:
    table = result.first_stage
    rows = table[
        (table["decision"] == decision) & (table["item"] == item) & (table["period"] == period)
    ]
    assert len(rows) == 1, (decision, item, period, table)
    return float(rows["value"].iloc[0])


def _costs(result: StochasticResult, column: str = "cost") -> dict[str, float]:
    table = result.scenario_costs
    return dict(zip(table["scenario"], table[column].astype(float), strict=True))


def _committed_rows(result: StochasticResult) -> dict[str, pd.DataFrame]:
    """Each recourse plan's decisions in the committed periods, as one comparable table."""
    tables = {}
    for name, plan in result.recourse.items():
        parts = [
            plan.purchases.assign(decision="buy", item=plan.purchases["source"])[
                ["decision", "item", "material", "period", "tonnes"]
            ].rename(columns={"tonnes": "value"}),
            plan.substitution.assign(decision="sub", item=plan.substitution["substitute"])
            .assign(material="")[["decision", "item", "material", "period", "units"]]
            .rename(columns={"units": "value"}),
            plan.inventory.assign(decision="stock", item=plan.inventory["material"])[
                ["decision", "item", "material", "period", "closing"]
            ].rename(columns={"closing": "value"}),
        ]
        table = pd.concat(parts, ignore_index=True)
        table = table[table["period"].isin(result.committed)]
        tables[name] = table.sort_values(["decision", "item", "material", "period"]).reset_index(
            drop=True
        )
    return tables


def _assert_first_stage_shared(result: StochasticResult) -> None:
    """Every recourse plan makes the same committed decisions, and they are ``first_stage``."""
    tables = _committed_rows(result)
    # shortage, and a strategic stock's gap (read off the stock), follow from these
    first = result.first_stage[~result.first_stage["decision"].isin(["short", "gap", "below"])]
    expected = first.sort_values(["decision", "item", "material", "period"]).reset_index(drop=True)[
        ["decision", "item", "material", "period", "value"]
    ]
    for name, table in tables.items():
        assert list(table["period"]) == list(expected["period"]), name
        assert list(table["item"]) == list(expected["item"]), name
        for got, want in zip(table["value"], expected["value"], strict=True):
            assert got == pytest.approx(want, rel=RELATIVE, abs=1e-6), name


def _at_most(a: float, b: float) -> bool:
    """``a <= b`` up to the relative tolerance (infinities compare as themselves)."""
    if math.isinf(a) or math.isinf(b):
        return a <= b
    return a <= b + RELATIVE * max(1.0, abs(a), abs(b))


# --- Hand-solved ------------------------------------------------------------------------------


def test_stock_now_or_face_an_embargo(solver: SolverName) -> None:
    result = solve_stochastic(_embargo_now_or_later(), solver=solver)
    assert result.status == "optimal", result.message
    assert result.committed == ("P1",)
    assert result.revealed == "P2"
    assert _first(result, "buy", "china", "P1") == pytest.approx(16)
    assert _first(result, "buy", "lynas", "P1") == pytest.approx(0)
    assert _first(result, "stock", "Dy", "P1") == pytest.approx(6)
    assert _costs(result) == pytest.approx({"calm": 2180, "embargo": 2380})
    assert _costs(result, "cost_wait_and_see") == pytest.approx({"calm": 2000, "embargo": 2300})
    assert _costs(result, "cost_expected_value") == pytest.approx({"calm": 2000, "embargo": 7600})
    assert result.objective == pytest.approx(2280)
    assert result.expected_cost == pytest.approx(2280)
    assert result.cvar_alpha == 0.95
    assert result.cvar == pytest.approx(2380)  # the worst 5% lie in the embargo
    assert result.wait_and_see == pytest.approx(2150)
    assert result.expected_value_cost == pytest.approx(4800)
    assert result.vss == pytest.approx(2520)
    assert result.evpi == pytest.approx(130)
    _assert_first_stage_shared(result)


def test_cvar_buys_the_whole_stock(solver: SolverName) -> None:
    """With half the weight on CVaR 95% (here the worse of the two costs), the slope past
    y = 6 is 0.5 x 5 + 0.5 x (-20) < 0: y = 10, both scenarios cost 2,300. WS: 0.5 x 2,150 +
    0.5 x 2,300 = 2,225; EEV: 0.5 x 4,800 + 0.5 x 7,600 = 6,200."""
    risk = {"cvar_alpha": 0.95, "weight": 0.5}
    result = solve_stochastic(_embargo_now_or_later(), risk=risk, solver=solver)
    assert result.status == "optimal", result.message
    assert result.risk == Risk(cvar_alpha=0.95, weight=0.5)
    assert _first(result, "buy", "china", "P1") == pytest.approx(20)
    assert _first(result, "stock", "Dy", "P1") == pytest.approx(10)
    assert _costs(result) == pytest.approx({"calm": 2300, "embargo": 2300})
    assert result.objective == pytest.approx(2300)
    assert result.expected_cost == pytest.approx(2300)
    assert result.cvar == pytest.approx(2300)
    assert result.wait_and_see == pytest.approx(2225)
    assert result.expected_value_cost == pytest.approx(6200)
    assert result.vss == pytest.approx(3900)
    assert result.evpi == pytest.approx(75)
    _assert_first_stage_shared(result)


def test_eev_takes_the_best_of_tied_expected_value_plans(solver: SolverName) -> None:
    """With no holding cost, the EV problem is indifferent to carrying 0 to 10 t into P2 (China
    at 100/t either way). EEV takes the best of those first stages: carry 10 t, both scenarios
    cost 2,000, EEV = RP = 2,000 and VSS = 0 (carrying nothing would give 4,800)."""
    result = solve_stochastic(_embargo_now_or_later(stock={}), solver=solver)
    assert result.objective == pytest.approx(2000)
    assert result.expected_value_cost == pytest.approx(2000)
    assert result.vss == pytest.approx(0, abs=1e-6)
    assert result.expected_value is not None
    assert result.expected_value.total_cost == pytest.approx(2000)
    closing = result.expected_value.inventory.set_index("period")["closing"]
    assert closing["P1"] == pytest.approx(10)


def test_the_expected_value_problem_halves_chinas_supply() -> None:
    stages = two_stage(_embargo_now_or_later())
    mean = expected_value_problem(stages)
    (cap,) = mean.caps
    assert (cap.id, cap.country, cap.materials, cap.periods) == ("mean1", "CN", ["Dy"], ["P2"])
    assert cap.max_tonnes == pytest.approx(10)
    assert mean.shortage_penalty == {"Dy": 1000}
    result = solve_stochastic(_embargo_now_or_later())
    assert result.expected_value is not None
    assert result.expected_value.total_cost == pytest.approx(2000)


def test_the_expected_value_of_caps_on_one_country_is_the_mean_of_their_least() -> None:
    """China capped at 20 t in every quarter (the problem's own quota); in Q3 one scenario adds
    an embargo (least cap 0 t), the other a 50% cut (least cap 15 t), each half likely. The
    expected-value problem can buy 20 t from China in Q1 and Q2 and (0 + 15) / 2 = 7.5 t in Q3,
    one cap per quarter, and scales the late demand and price changes by their probability."""
    document = _three_quarters().model_dump() | {
        "caps": [{"id": "quota", "country": "CN", "max_tonnes": 20}],
        "scenarios": [
            {
                "name": "stop",
                "probability": 0.5,
                "disruptions": [{"country": "CN", "start": "Q3"}],
                "demand": [{"material": "Dy", "factor": 2.0}],
            },
            {
                "name": "cut",
                "probability": 0.5,
                "disruptions": [{"country": "CN", "start": "Q1", "cut": 0.5}],
                "sources": [{"source": "china", "price_factor": 1.2}],
            },
        ],
    }
    mean = expected_value_problem(two_stage(Problem.model_validate(document), commit_periods=2))
    limits = {(c.country, *(c.periods or [])): c.max_tonnes for c in mean.caps}
    assert limits == {("CN", "Q1"): 20, ("CN", "Q2"): 20, ("CN", "Q3"): 7.5}
    assert mean.demand == {"Dy": {"Q1": 10, "Q2": 10, "Q3": 15}}
    assert mean.sources[0].prices == {"Dy": {"Q1": 100, "Q2": 100, "Q3": 110}}


def test_a_price_spike_does_not_change_the_default_penalty() -> None:
    """Without a penalty of its own, Dy short costs 10 x its dearest price on the problem as it
    stands (Lynas, 150): 1,500 in every scenario, also in one where China's price triples."""
    problem = _embargo_now_or_later(shortage_penalty={})
    spike = Scenario.model_validate(
        {"name": "spike", "sources": [{"source": "china", "price_factor": 3.0}]}
    )
    stages = two_stage(problem, [Scenario(name="calm"), spike])
    assert [p.shortage_penalty for p in stages.problems.values()] == [{"Dy": 1500}] * 2


def test_two_committed_quarters_and_a_tail_that_splits_a_scenario(solver: SolverName) -> None:
    result = solve_stochastic(_three_quarters(), commit_periods=2, solver=solver)
    assert result.status == "optimal", result.message
    assert result.committed == ("Q1", "Q2")
    assert _first(result, "buy", "china", "Q1") == pytest.approx(10)
    assert _first(result, "buy", "china", "Q2") == pytest.approx(16)
    assert _first(result, "stock", "Dy", "Q2") == pytest.approx(6)
    assert _first(result, "sub", "ferrite", "Q2") == pytest.approx(0)
    assert _costs(result) == pytest.approx({"calm": 3030, "embargo": 3270})
    assert result.objective == pytest.approx(3042)
    assert result.wait_and_see == pytest.approx(3002.5)
    assert result.expected_value_cost == pytest.approx(3102)
    assert result.vss == pytest.approx(60)
    assert result.evpi == pytest.approx(39.5)
    assert result.cvar == pytest.approx(3270)  # CVaR 95%: exactly the 5% embargo
    embargo = result.recourse["embargo"].purchases.set_index("period")["tonnes"]
    assert embargo["Q3"] == pytest.approx(0)  # China embargoed in Q3 only
    _assert_first_stage_shared(result)


@pytest.mark.parametrize(("weight", "stock", "objective"), [(0.05, 6, 3047.4), (0.1, 10, 3050)])
def test_cvar_tail_mixes_the_embargo_with_calm(
    solver: SolverName, weight: float, stock: float, objective: float
) -> None:
    """CVaR 90% over a 5% embargo: the worst 10% are the embargo and 5% of calm, so
    CVaR = (c_calm + c_embargo) / 2, slope (5 - 55) / 2 = -25 past y = 6. The objective's slope
    there is 2 (1 - w) - 25 w: positive up to w = 2/27, so w = 0.05 keeps y = 6
    (0.95 x 3,042 + 0.05 x (3,030 + 3,270) / 2 = 3,047.4) and w = 0.1 takes y = 10 (both
    scenarios 3,050)."""
    risk = Risk(cvar_alpha=0.9, weight=weight)
    result = solve_stochastic(_three_quarters(), commit_periods=2, risk=risk, solver=solver)
    assert result.status == "optimal", result.message
    assert _first(result, "stock", "Dy", "Q2") == pytest.approx(stock)
    assert result.objective == pytest.approx(objective)
    assert result.cvar_alpha == 0.9
    costs = _costs(result)
    assert result.cvar == pytest.approx((costs["calm"] + costs["embargo"]) / 2)


def _sales_beat_purchases() -> Problem:
    """Every scenario earns money: Dy bought at 10/t sells on at 30/t, at most 10 t a period.

    No demand; China sells up to 15 t in P1 and 20 t in P2; holding 4/t per period. P1 is
    decided now; with probability 0.1 China stops selling in P2. With y t carried into P2 (P1:
    buy 10 + y, sell 10), the first stage costs 10 (10 + y) - 300 + 4 y = -200 + 14 y, y <= 5:
      calm:    + 10 (10 - y) - 300 (buy the rest, sell 10) -> -400 + 4 y
      embargo: - 30 y (sell what was carried)              -> -200 - 16 y
    Expected cost -380 + 2 y: risk-neutral, y = 0 (calm -400, embargo -200, E = -380,
    CVaR 95% = -200). CVaR 90% is the embargo's cost (exactly the worst 10%), slope -16, so
    half the weight on it gives the slope 0.5 x 2 + 0.5 x (-16) = -7: y = 5, calm -380,
    embargo -280, E = 0.9 x (-380) + 0.1 x (-280) = -370, CVaR = -280, objective
    0.5 x (-370) + 0.5 x (-280) = -325. (A value at risk held at >= 0 would price the tail at 0
    and return y = 0 with an objective of -190.)
    """
    document: dict[str, Any] = {
        "name": "sales beat purchases",
        "periods": ["P1", "P2"],
        "materials": [{"id": "Dy"}],
        "reference_prices": {"Dy": 10},
        "sources": [{"id": "china", "country": "CN", "capacity": {"Dy": {"P1": 15, "P2": 20}}}],
        "demand": {"Dy": 0},
        "stock": {"holding_cost": {"Dy": 4}},
        "surplus": {"Dy": {"salvage_price": 30, "max_sold": 10}},
        "scenarios": [
            {"name": "calm", "probability": 0.9},
            {
                "name": "embargo",
                "probability": 0.1,
                "disruptions": [{"country": "CN", "start": "P2"}],
            },
        ],
    }
    return Problem.model_validate(document)


def test_cvar_of_costs_that_are_all_negative(solver: SolverName) -> None:
    risk = Risk(cvar_alpha=0.9, weight=0.5)
    result = solve_stochastic(_sales_beat_purchases(), risk=risk, solver=solver)
    assert result.status == "optimal", result.message
    assert _first(result, "buy", "china", "P1") == pytest.approx(15)
    assert _first(result, "sell", "Dy", "P1") == pytest.approx(10)
    assert _first(result, "stock", "Dy", "P1") == pytest.approx(5)
    assert _costs(result) == pytest.approx({"calm": -380, "embargo": -280})
    assert result.expected_cost == pytest.approx(-370)
    assert result.cvar_alpha == 0.9
    assert result.cvar == pytest.approx(-280)
    assert result.objective == pytest.approx(-325)

    neutral = solve_stochastic(_sales_beat_purchases(), solver=solver)
    assert _first(neutral, "stock", "Dy", "P1") == pytest.approx(0, abs=1e-9)
    assert _costs(neutral) == pytest.approx({"calm": -400, "embargo": -200})
    assert neutral.objective == pytest.approx(-380)
    assert neutral.cvar == pytest.approx(-200)  # CVaR 95%: the embargo


def test_cvar_at_level_zero_is_the_expected_cost(solver: SolverName) -> None:
    """alpha = 0: CVaR is the mean, so any weight gives the risk-neutral plan (y = 0, -380);
    the free value at risk does not make the LP unbounded."""
    risk = Risk(cvar_alpha=0.0, weight=1.0)
    result = solve_stochastic(_sales_beat_purchases(), risk=risk, solver=solver)
    assert result.status == "optimal", result.message
    assert result.objective == pytest.approx(-380)
    assert result.cvar == pytest.approx(-380)


def test_a_fixed_first_stage_stock() -> None:
    """Stock fixed at 10 t: RP is the expected cost at y = 10, 2,250 + 50 = 2,300; at 0 it is
    4,800, the EEV's plan."""
    problem = _embargo_now_or_later()
    full = solve_stochastic(problem, first_stage_stock={"Dy": 10})
    assert full.objective == pytest.approx(2300)
    assert _first(full, "stock", "Dy", "P1") == pytest.approx(10)
    none = solve_stochastic(problem, first_stage_stock={"Dy": 0})
    assert none.objective == pytest.approx(4800)
    for result in (full, none):
        assert result.wait_and_see is not None
        assert result.objective is not None
        assert result.expected_value_cost is not None
        assert result.wait_and_see <= result.objective + 1e-6
        assert result.objective <= result.expected_value_cost + 1e-6


def test_recourse_plans_pass_the_checker() -> None:
    """Each recourse plan meets its scenario's problem. Its duals are those of the recourse,
    with the first stage fixed, not of the scenario's own LP: the dual check is left out."""
    problem = _three_quarters()
    stages = two_stage(problem, commit_periods=2)
    result = solve_stochastic(problem, commit_periods=2)
    for name, plan in result.recourse.items():
        problems = check(stages.problems[name], plan)
        assert [p for p in problems if not p.startswith("duals:")] == [], name


def test_conditional_value_at_risk_by_hand() -> None:
    costs, p = [100.0, 200.0, 400.0], [0.5, 0.3, 0.2]
    assert conditional_value_at_risk(costs, p, 0.0) == pytest.approx(190)  # the mean
    assert conditional_value_at_risk(costs, p, 0.8) == pytest.approx(400)
    assert conditional_value_at_risk(costs, p, 0.9) == pytest.approx(400)
    # worst 40%: 0.2 at 400 and 0.2 at 200
    assert conditional_value_at_risk(costs, p, 0.6) == pytest.approx(300)
    assert conditional_value_at_risk([1.0, math.inf], [1.0, 0.0], 0.5) == 1.0
    # negative costs: worst 50% is 0.1 at -280 and 0.4 at -400
    assert conditional_value_at_risk([-400.0, -280.0], [0.9, 0.1], 0.5) == pytest.approx(-376)
    assert conditional_value_at_risk([-400.0, -280.0], [0.9, 0.1], 0.9) == pytest.approx(-280)


def test_summary_shows_the_figures() -> None:
    text = solve_stochastic(_embargo_now_or_later()).summary()
    assert "optimal" in text
    assert "2,280" in text  # RP
    assert "2,520" in text  # VSS
    assert "EVPI = RP - WS" in text
    assert "Decided now: P1" in text


def test_the_extensive_lp_names_each_scenario() -> None:
    stages = two_stage(_embargo_now_or_later())
    extensive = build_extensive(stages, {"weight": 0.5})
    names = {v.name for v in extensive.lp.variables()}
    assert f"embargo{SEPARATOR}buy(china,Dy,P1)" in names
    assert f"cvar{SEPARATOR}eta" in names
    rows = {row.name for row in extensive.lp.constraints()}
    assert f"embargo{SEPARATOR}first_stage(buy,china,Dy,P1)" in rows
    assert f"embargo{SEPARATOR}first_stage(stock,Dy,P1)" in rows
    assert f"calm{SEPARATOR}balance(Dy,P2)" in rows


def test_an_infeasible_first_stage() -> None:
    """All of demand coverable without China: Lynas's 4 t cannot cover P1's 10 t."""
    security = {"min_cover_without": [{"country": "CN", "share": 1.0}]}
    problem = _embargo_now_or_later(security=security)
    result = solve_stochastic(problem)
    assert result.status == "infeasible"
    assert result.objective is None
    assert result.vss is None
    assert result.evpi is None
    assert result.first_stage.empty
    assert result.scenario_costs.empty
    assert "infeasible" in result.summary()


def test_scenarios_given_replace_the_problems_and_default_to_equal() -> None:
    problem = _embargo_now_or_later()
    scenarios = [
        Scenario(name="calm"),
        Scenario.model_validate(
            {"name": "long", "disruptions": [{"country": "CN", "start": "P2"}]}
        ),
    ]
    result = solve_stochastic(problem, scenarios)
    assert list(result.scenario_costs["scenario"]) == ["calm", "long"]
    assert list(result.scenario_costs["probability"]) == [0.5, 0.5]
    assert result.objective == pytest.approx(2280)


# --- The docs -------------------------------------------------------------------------------


def _text_blocks() -> list[str]:
    page = (ROOT / "docs" / "stochastic.md").read_text(encoding="utf-8")
    return [block.strip() for block in re.findall(r"```text\n(.*?)```", page, re.S)]


def test_docs_show_the_worked_example_as_it_solves() -> None:
    page = (ROOT / "docs" / "stochastic.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```yaml\n(.*?)```", page, re.S) if "scenarios:" in b]
    problem = Problem.model_validate(yaml.safe_load(block))
    assert problem == _embargo_now_or_later()
    assert solve_stochastic(problem).summary().strip() in _text_blocks()


def test_docs_show_the_japan_run_as_it_prints(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location(
        "japan_stockpile", ROOT / "examples" / "japan_stockpile.py"
    )
    assert spec is not None
    assert spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    example.main([])
    printed = capsys.readouterr().out
    page = (ROOT / "docs" / "stochastic.md").read_text(encoding="utf-8")
    section = page[page.index("## The Japan stockpile") :]
    blocks = [block.strip() for block in re.findall(r"```text\n(.*?)```", section, re.S)]
    assert len(blocks) == 2, "the page shows the summary and the rest of the output"
    for block in blocks:
        assert block in printed


# --- Input checks -----------------------------------------------------------------------------


def test_probabilities_must_sum_to_one() -> None:
    scenarios = [Scenario(name="a", probability=0.5), Scenario(name="b", probability=0.4)]
    with pytest.raises(ValidationError, match=r"sum to 0\.9, not 1") as caught:
        solve_stochastic(_embargo_now_or_later(), scenarios)
    assert caught.value.errors()[0]["loc"] == ("scenarios",)


def test_probabilities_for_all_or_none() -> None:
    scenarios = [Scenario(name="a", probability=1.0), Scenario(name="b")]
    with pytest.raises(ValidationError, match="every scenario or for none"):
        solve_stochastic(_embargo_now_or_later(), scenarios)


@pytest.mark.parametrize(
    ("risk", "field"),
    [
        ({"cvar_alpha": 1.0, "weight": 0.5}, "cvar_alpha"),
        ({"cvar_alpha": -0.1, "weight": 0.5}, "cvar_alpha"),
        ({"weight": 1.5}, "weight"),
        ({"cvar_alpha": 0.9}, "weight"),
        ({"weight": 0.5, "alpha": 0.9}, "alpha"),
        ({"weight": "0.5"}, "weight"),
    ],
)
def test_bad_risk(risk: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        solve_stochastic(_embargo_now_or_later(), risk=risk)
    assert [e["loc"] for e in caught.value.errors()] == [(field,)]


@pytest.mark.parametrize("commit", [0, 2, -1, True, 1.0])
def test_commit_periods_must_leave_a_recourse(commit: Any) -> None:
    with pytest.raises(StochasticError, match="commit_periods must be a whole number from 1 to 1"):
        solve_stochastic(_embargo_now_or_later(), commit_periods=commit)


def test_no_scenarios() -> None:
    with pytest.raises(StochasticError, match="no scenarios"):
        solve_stochastic(_embargo_now_or_later(scenarios=[]))


def test_fixed_stock_of_an_unknown_material() -> None:
    with pytest.raises(StochasticError, match=r"unknown material.*'Nd'"):
        solve_stochastic(_embargo_now_or_later(), first_stage_stock={"Nd": 1.0})
    with pytest.raises(StochasticError, match="finite tonnes"):
        solve_stochastic(_embargo_now_or_later(), first_stage_stock={"Dy": -1.0})


# --- Random problems --------------------------------------------------------------------------


@st.composite
def scenario_lists(draw: st.DrawFn, problem: Problem, *, count: int | None = None) -> list[Any]:
    """1-3 scenarios of random embargoes and cuts, some with a price or demand change; given
    probabilities or none."""
    periods, materials = problem.periods, problem.material_ids
    scenarios = []
    for i in range(count or draw(st.integers(1, 3))):
        disruptions = []
        for _ in range(draw(st.integers(0, 2))):
            disruption: dict[str, Any] = {
                "start": draw(st.sampled_from(periods)),
                "cut": draw(st.sampled_from([0.5, 0.8, 1.0])),
            }
            if draw(st.booleans()):
                disruption["country"] = draw(st.sampled_from(problem.countries))
            else:
                disruption["source"] = draw(st.sampled_from([s.id for s in problem.sources]))
            if draw(st.booleans()):
                disruption["length"] = draw(st.integers(1, 2))
            if draw(st.booleans()):
                disruption["materials"] = [draw(st.sampled_from(materials))]
            disruptions.append(disruption)
        scenario: dict[str, Any] = {"name": f"s{i + 1}", "disruptions": disruptions}
        if draw(st.integers(0, 3)) == 0:
            source = draw(st.sampled_from([s.id for s in problem.sources]))
            factor = draw(st.sampled_from([0.5, 2.0]))
            scenario["sources"] = [{"source": source, "price_factor": factor}]
        if draw(st.integers(0, 3)) == 0:
            material = draw(st.sampled_from(materials))
            scenario["demand"] = [{"material": material, "factor": 1.5}]
        scenarios.append(scenario)
    if draw(st.booleans()):
        weights = [draw(st.integers(0, 4)) for _ in scenarios]
        weights[0] = weights[0] or 1
        for scenario, weight in zip(scenarios, weights, strict=True):
            scenario["probability"] = weight / sum(weights)
    return [Scenario.model_validate(s) for s in scenarios]


@st.composite
def cases(draw: st.DrawFn) -> tuple[Problem, list[Scenario], int, Risk | None]:
    problem = draw(problems())
    assume(len(problem.periods) >= 2)
    commit = draw(st.integers(1, len(problem.periods) - 1))
    risk = None
    if draw(st.booleans()):
        risk = Risk(
            cvar_alpha=draw(st.sampled_from([0.0, 0.5, 0.9])),
            weight=draw(st.sampled_from([0.3, 1.0])),
        )
    return problem, draw(scenario_lists(problem)), commit, risk


@settings(max_examples=EXAMPLES)
@given(cases())
def test_textbook_facts(case: tuple[Problem, list[Scenario], int, Risk | None]) -> None:
    """WS <= RP <= EEV; the objective is its risk measure of the scenario costs; each scenario
    costs at least its own optimum; the first stage is the same in every scenario."""
    problem, scenarios, commit, risk = case
    result = solve_stochastic(problem, scenarios, commit_periods=commit, risk=risk)
    event(result.status.value)
    assert result.status in ("optimal", "infeasible"), result.message
    if not result.is_optimal:
        return
    rp, ws, eev = result.objective, result.wait_and_see, result.expected_value_cost
    assert rp is not None
    assert ws is not None
    assert eev is not None
    note(f"WS {ws}, RP {rp}, EEV {eev}")
    event("EEV infinite" if math.isinf(eev) else "EEV finite")
    assert _at_most(ws, rp)
    assert _at_most(rp, eev)
    assert result.evpi is not None
    assert result.evpi >= -RELATIVE * max(1.0, abs(rp))
    assert result.vss is not None
    assert result.vss >= -RELATIVE * max(1.0, abs(rp))

    costs = result.scenario_costs
    for cost, alone in zip(costs["cost"], costs["cost_wait_and_see"], strict=True):
        assert _at_most(alone, cost)
    assert result.expected_cost == pytest.approx(
        float((costs["probability"] * costs["cost"]).sum()), rel=RELATIVE, abs=RELATIVE
    )
    weight = 0.0 if risk is None else risk.weight
    assert result.expected_cost is not None
    assert result.cvar is not None
    measured = (1 - weight) * result.expected_cost + weight * result.cvar
    assert rp == pytest.approx(measured, rel=RELATIVE, abs=RELATIVE)
    _assert_first_stage_shared(result)


@settings(max_examples=EXAMPLES)
@given(st.data())
def test_one_certain_scenario_is_the_deterministic_problem(data: st.DataObject) -> None:
    """RP = WS = EEV = CVaR = the optimum of apply(for_disruption(...)), the penalty being the
    problem's own (resolved before the scenario's price changes)."""
    problem = data.draw(problems())
    assume(len(problem.periods) >= 2)
    commit = data.draw(st.integers(1, len(problem.periods) - 1))
    (scenario,) = data.draw(scenario_lists(problem, count=1))
    certain = scenario.model_copy(update={"probability": data.draw(st.sampled_from([None, 1.0]))})
    revealed = problem.periods[commit]
    # Penalties and strategic stocks are those of the problem as it stands (see two_stage).
    applied = apply(for_disruption(problem), certain, from_period=revealed)
    deterministic = optiree.solve(applied)
    result = solve_stochastic(problem, [certain], commit_periods=commit)
    assert result.status == deterministic.status, (result.message, deterministic.message)
    if result.is_optimal:
        expected = deterministic.total_cost
        for figure in (result.objective, result.wait_and_see, result.expected_value_cost):
            assert figure == pytest.approx(expected, rel=RELATIVE, abs=RELATIVE)
        assert result.cvar == pytest.approx(expected, rel=RELATIVE, abs=RELATIVE)


@settings(max_examples=max(5, EXAMPLES // 2))
@given(cases())
def test_highs_and_cbc_agree(case: tuple[Problem, list[Scenario], int, Risk | None]) -> None:
    problem, scenarios, commit, risk = case
    highs = solve_stochastic(problem, scenarios, commit_periods=commit, risk=risk)
    cbc = solve_stochastic(problem, scenarios, commit_periods=commit, risk=risk, solver="cbc")
    assert highs.status == cbc.status, (highs.message, cbc.message)
    if highs.is_optimal:
        pairs = [
            (highs.objective, cbc.objective),
            (highs.wait_and_see, cbc.wait_and_see),
            (highs.expected_value_cost, cbc.expected_value_cost),
        ]
        for a, b in pairs:
            assert a is not None
            assert b is not None
            assert _at_most(a, b)
            assert _at_most(b, a)
        _assert_first_stage_shared(cbc)


CVAR0_CASE = {
    "name": "cvar0",
    "periods": ["P1", "P2", "P3"],
    "materials": [{"id": "Nd"}],
    "reference_prices": {"Nd": 1.0},
    "sources": [
        {"id": "S1", "country": "CN", "capacity": {"Nd": 0.0}, "price_multiplier": 0.5},
        {"id": "S2", "country": "CN", "capacity": {"Nd": {"P1": 1.0}}, "price_multiplier": 0.5},
    ],
    "demand": {"Nd": {"P2": 1.0}},
    "shortage_penalty": {"Nd": 0.0},
    "caps": [{"source": "S1", "max_share_of_capacity": 0.0}],
    "security": {"min_cover_without": [{"country": "CN", "share": 0.1}]},
    "scenarios": [
        {
            "name": name,
            "sources": [{"source": "S1", "price_factor": 0.5}],
            "demand": [{"material": "Nd", "factor": 1.5}],
        }
        for name in ("s1", "s2")
    ],
}
"""A case hypothesis found (test_highs_and_cbc_agree): with CVaR at level 0 in the objective,
CBC reported 0.7 x the mean as the optimum. It stopped far out along the flat eta of CVaR_0,
where eta + excess lost the costs to rounding; CVaR_0, the mean, is now built as the mean."""


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_cvar_at_level_0_is_the_expected_cost(solver: SolverName) -> None:
    problem = Problem.model_validate(CVAR0_CASE)
    result = solve_stochastic(
        problem.derive(scenarios=[]),
        problem.scenarios,
        risk={"cvar_alpha": 0.0, "weight": 0.3},
        solver=solver,
    )
    costs = result.scenario_costs
    mean = float((costs["probability"] * costs["cost"]).sum())
    assert mean > 0
    assert result.objective == pytest.approx(mean, rel=1e-9)
    assert result.cvar == pytest.approx(mean, rel=1e-9)


EEV_CASE: dict[str, Any] = {
    "name": "cbc rounding",
    "periods": ["P1", "P2", "P3"],
    "materials": [{"id": "Nd"}, {"id": "Dy"}, {"id": "Tb"}],
    "reference_prices": {"Nd": 78.0, "Dy": 81.0, "Tb": 6.0},
    "sources": [
        {
            "id": "S1",
            "country": "CN",
            "capacity": {"Dy": {"P1": 2.0}, "Tb": 0.0},
            "price_multiplier": 0.5,
            "available_from": "P2",
        },
        {
            "id": "S2",
            "country": "CN",
            "capacity": {"Nd": {}, "Dy": 170.0, "Tb": {"P3": 81.0}},
            "price_multiplier": 0.8,
            "prices": {"Nd": {"P1": 94.0, "P2": 120.0, "P3": 74.0}, "Dy": {"P2": 40.0}, "Tb": 12.0},
        },
        {
            "id": "S3",
            "country": "CN",
            "capacity": {"Dy": 5.0},
            "price_multiplier": 1.25,
            "prices": {"Dy": {"P3": 28.0}},
        },
    ],
    "demand": {"Nd": 40.0, "Dy": {"P3": 94.0}, "Tb": 68.0},
    "stock": {"initial": {"Dy": 17.0}},
    "shortage_penalty": {"Nd": 4.0, "Tb": 253.0},
    "scenarios": [
        {
            "name": "s1",
            "disruptions": [
                {"source": "S2", "materials": ["Nd"], "start": "P3", "length": 1, "cut": 1.0}
            ],
        },
        {"name": "s2", "demand": [{"material": "Dy", "factor": 1.5}]},
        {
            "name": "s3",
            "disruptions": [{"country": "CN", "materials": ["Dy"], "start": "P3", "cut": 0.8}],
        },
    ],
}
"""A case hypothesis drew at the floors (test_highs_and_cbc_agree): CBC's first stage, read
to 8 significant digits (87.666666 t bought, 104.66667 t held), missed its own balance row by
that rounding once fixed, so the expected-value plan and every scenario's EEV recourse were
"infeasible"."""


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_a_first_stage_rounded_by_the_solver_still_has_its_recourse(solver: SolverName) -> None:
    problem = Problem.model_validate(EEV_CASE)
    result = solve_stochastic(problem.derive(scenarios=[]), problem.scenarios, commit_periods=2)
    other = solve_stochastic(
        problem.derive(scenarios=[]), problem.scenarios, commit_periods=2, solver=solver
    )
    assert other.expected_value is not None
    assert other.expected_value.is_optimal
    assert other.expected_value_cost is not None
    assert result.expected_value_cost is not None
    assert math.isfinite(other.expected_value_cost)
    assert other.expected_value_cost == pytest.approx(result.expected_value_cost, rel=RELATIVE)
    assert list(other.scenario_costs["cost_expected_value"]) == pytest.approx(
        list(result.scenario_costs["cost_expected_value"]), rel=RELATIVE
    )


# --- Warm re-solves: the same answers as solving each scenario from scratch --------------------

WARM = 1e-9
"""Relative difference allowed between a warm re-solve's figures and a cold solve's (the
solvers' own rounding; every figure printed stays the same)."""


def _solved_cold(problem: Problem, scenarios: list[Scenario], **options: Any) -> StochasticResult:
    """``solve_stochastic`` with every scenario solved alone from scratch (the warm model
    declines each one), as with CBC."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WarmScenarios, "cost", lambda self, scenario, data: None)
        return solve_stochastic(problem, scenarios, **options)


def _assert_same_as_cold(warm: StochasticResult, cold: StochasticResult) -> None:
    assert warm.status == cold.status, (warm.message, cold.message)
    assert warm.message == cold.message
    figures = ["objective", "expected_cost", "cvar", "wait_and_see", "expected_value_cost"]
    for name in [*figures, "vss", "evpi"]:
        a, b = getattr(warm, name), getattr(cold, name)
        assert (a is None) == (b is None), name
        if a is not None and not (math.isinf(a) and a == b):
            assert a == pytest.approx(b, rel=WARM, abs=WARM), name
    pd.testing.assert_frame_equal(warm.first_stage, cold.first_stage)
    pd.testing.assert_frame_equal(warm.scenario_costs, cold.scenario_costs, rtol=WARM, atol=WARM)
    assert warm.summary() == cold.summary()


def test_warm_re_solves_of_the_japan_case_match_the_cold_ones() -> None:
    """100 random scenarios of the bundled case: each wait-and-see and EEV solve is a warm
    re-solve (only the recourse plans and the expected-value problem are built alone), and
    every figure, table and the summary are the cold path's."""
    problem = optiree.load_problem(ROOT / "examples" / "japan_2026.yaml")
    scenarios = optiree.random_scenarios(problem, 100, seed=16)
    alone = _Solving.alone
    calls = []

    def counted(self: _Solving, *args: Any, **kwargs: Any) -> Any:
        calls.append(args[0].problem.name)
        return alone(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_Solving, "alone", counted)
        warm = solve_stochastic(problem, scenarios)
    assert len(calls) == len(scenarios) + 2  # the recourse plans, the EV problem twice
    _assert_same_as_cold(warm, _solved_cold(problem, scenarios))


@settings(max_examples=EXAMPLES, deadline=None)
@given(cases())
def test_warm_re_solves_match_the_cold_ones(
    case: tuple[Problem, list[Scenario], int, Risk | None],
) -> None:
    """Random problems and scenarios (disruptions re-solved warm; price and demand changes, or
    two disruptions on one cap row, solved from scratch): the cold path's answers."""
    problem, scenarios, commit, risk = case
    cost, warmed = WarmScenarios.cost, []

    def counted(self: WarmScenarios, scenario: Scenario, data: ProblemData) -> float | None:
        found = cost(self, scenario, data)
        warmed.append(found is not None)
        return found

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WarmScenarios, "cost", counted)
        warm = solve_stochastic(problem, scenarios, commit_periods=commit, risk=risk)
    event(warm.status.value)
    event(f"re-solved warm: {'some' if any(warmed) else 'none'}")
    _assert_same_as_cold(warm, _solved_cold(problem, scenarios, commit_periods=commit, risk=risk))


@pytest.mark.parametrize(
    ("case", "options"),
    [
        (CVAR0_CASE, {"risk": {"cvar_alpha": 0.0, "weight": 0.3}}),
        (EEV_CASE, {"commit_periods": 2}),
    ],
    ids=["cvar0", "eev"],
)
def test_warm_re_solves_of_the_regression_cases_match_the_cold_ones(
    case: dict[str, Any], options: dict[str, Any]
) -> None:
    problem = Problem.model_validate(case)
    base, scenarios = problem.derive(scenarios=[]), problem.scenarios
    warm = solve_stochastic(base, scenarios, **options)
    _assert_same_as_cold(warm, _solved_cold(base, scenarios, **options))
