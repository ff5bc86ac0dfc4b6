"""Answers an analyst can sanity-check, as properties over random problems that use every
feature (tiers, floors, feeds, separation, contracts, caps over groups, substitution ramps and
shares, surplus sales and disposal, stock days, strategic stocks) and as one stockpile worked
out by hand.

- A disruption never pays: a scenario made of caps, capacity cuts, price rises and demand
  rises never costs less than the problem without it, on every path that prices a scenario
  (``solve``, ``solve`` of the problem faced, ``sweep``, ``stress_test`` and each scenario of
  ``solve_stochastic``), and a scenario that changes nothing costs exactly the same.
- A disruption that lasts longer or cuts deeper, the rest unchanged, never costs less.
- In a stress test, more stock held never means more shortage under the same embargo.
"""

import math
from typing import Any

import pulp
import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

import optiree
from optiree import Problem
from optiree.disruption.scenarios import apply, disrupted
from optiree.disruption.stochastic import solve_stochastic
from optiree.disruption.stress import stress_test
from optiree.disruption.sweep import sweep
from optiree.errors import ScenarioError
from optiree.model import build
from optiree.prepare import prepare
from optiree.schema import Scenario
from optiree.solve import SolverName
from tests.samples import stockpile
from tests.strategies import subset_of, supply_documents

_PROFILE = settings.default
FEWER = settings(max_examples=max(10, (_PROFILE.max_examples if _PROFILE else 100) // 3))
NULL = Scenario(name="null")
"""A scenario that changes nothing."""


def _at_least(cost: float | None, base: float | None) -> bool:
    """``cost`` >= ``base`` up to the solvers' rounding (relative 1e-7); no plan (None) costs
    more than any plan."""
    assert base is not None
    return cost is None or cost >= base - 1e-7 * max(1.0, abs(base))


def _same(cost: float | None, base: float | None) -> bool:
    assert cost is not None
    assert base is not None
    return math.isclose(cost, base, rel_tol=1e-9, abs_tol=1e-6)


@st.composite
def _disruption(draw: st.DrawFn, document: dict[str, Any]) -> dict[str, Any]:
    """An export cut or embargo of a country or a source, some materials, some periods."""
    periods = document["periods"]
    materials = [m["id"] for m in document["materials"]]
    change: dict[str, Any] = {"start": draw(st.sampled_from(periods))}
    if draw(st.booleans()):
        change["country"] = draw(st.sampled_from([s["country"] for s in document["sources"]]))
    else:
        change["source"] = draw(st.sampled_from([s["id"] for s in document["sources"]]))
    if draw(st.booleans()):
        change["materials"] = subset_of(draw, materials)
    if draw(st.booleans()):
        change["length"] = draw(st.integers(1, len(periods)))
    change["cut"] = draw(st.sampled_from([0.25, 0.5, 0.8, 1.0]))
    return change


@st.composite
def _scenario(draw: st.DrawFn, document: dict[str, Any]) -> Scenario:
    """One to three changes that can only make things worse: disruptions, extra caps,
    capacity cuts, price rises, demand rises."""
    periods = document["periods"]
    materials = [m["id"] for m in document["materials"]]
    sources = [s["id"] for s in document["sources"]]
    scenario: dict[str, Any] = {"name": "s", "disruptions": [], "sources": [], "demand": []}
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["disruption", "capacity", "price", "demand", "cap"]))
        if kind == "disruption":
            scenario["disruptions"].append(draw(_disruption(document)))
        elif kind == "capacity":
            scenario["sources"].append(
                {
                    "source": draw(st.sampled_from(sources)),
                    "periods": subset_of(draw, periods),
                    "capacity_factor": draw(st.sampled_from([0.0, 0.5, 0.9])),
                }
            )
        elif kind == "price":  # in every period: a tier with its own price holds in all
            scenario["sources"].append(
                {
                    "source": draw(st.sampled_from(sources)),
                    "price_factor": draw(st.sampled_from([1.1, 1.5, 3.0])),
                }
            )
        elif kind == "demand":
            scenario["demand"].append(
                {
                    "material": draw(st.sampled_from(materials)),
                    "periods": subset_of(draw, periods),
                    "factor": draw(st.sampled_from([1.1, 1.5, 2.0])),
                }
            )
        else:
            scenario.setdefault("caps", []).append(
                {
                    "country": draw(st.sampled_from([s["country"] for s in document["sources"]])),
                    "max_tonnes": float(draw(st.integers(0, 50))),
                }
            )
    return Scenario.model_validate(scenario)


@st.composite
def _problem_and_scenario(draw: st.DrawFn) -> tuple[Problem, Scenario]:
    document = draw(supply_documents())
    return Problem.model_validate(document), draw(_scenario(document))


def _cost(problem: Problem, solver: SolverName = "highs") -> float | None:
    result = optiree.solve(problem, solver=solver)
    return result.total_cost if result.is_optimal else None


@FEWER
@given(_problem_and_scenario())
def test_a_disruption_never_pays_in_a_solve(case: tuple[Problem, Scenario]) -> None:
    """The problem as written (hard rules stay hard) and the problem faced (every material may
    go short, stock targets may be drawn): the scenario never costs less; nothing, the same."""
    problem, scenario = case
    note(scenario.model_dump_json())
    try:
        changed = apply(problem, scenario)
        faced = disrupted(problem, scenario)
    except ScenarioError:
        assume(False)
        return
    base = _cost(problem)
    if base is not None:
        assert _at_least(_cost(changed), base)
        assert _same(_cost(apply(problem, NULL)), base)
    faced_base = _cost(disrupted(problem))
    if faced_base is not None:  # a hard rule (cover without a country) can leave no plan
        assert _at_least(_cost(faced), faced_base)
        assert _same(_cost(disrupted(problem, NULL)), faced_base)


@FEWER
@given(_problem_and_scenario())
def test_a_disruption_never_pays_in_a_sweep(case: tuple[Problem, Scenario]) -> None:
    """No scenario of a sweep costs less than the one that changes nothing, and the sweep
    prices each as a solve of the problem faced does (reused HiGHS or not)."""
    problem, scenario = case
    try:
        faced = disrupted(problem, scenario)
    except ScenarioError:
        assume(False)
        return
    table = sweep(problem, [NULL, scenario], executor="serial", progress=False).table
    none, worse = (None if math.isnan(cost) else cost for cost in table["total_cost"])
    assume(none is not None)
    assert _at_least(worse, none)
    alone = _cost(faced)
    assert worse is alone is None or _same(worse, alone)


@FEWER
@given(_problem_and_scenario(), st.integers(0, 3))
def test_a_disruption_never_pays_in_a_stress_test(
    case: tuple[Problem, Scenario], commit: int
) -> None:
    problem, scenario = case
    plan = optiree.solve(problem)
    assume(plan.is_optimal)
    commit = min(commit, len(problem.periods))
    try:
        hit = stress_test(problem, plan, scenario, commit)
    except ScenarioError:
        assume(False)
        return
    calm = stress_test(problem, plan, NULL, commit)
    assert calm.total_cost is not None  # the plan itself is one
    assert _at_least(hit.total_cost, calm.total_cost)


@FEWER
@given(_problem_and_scenario())
def test_a_disruption_never_pays_in_a_two_stage_plan(case: tuple[Problem, Scenario]) -> None:
    """Each scenario shares the first stage with the one that changes nothing, so it costs at
    least as much at the optimum."""
    problem, scenario = case
    assume(len(problem.periods) >= 2)
    weighted = [
        NULL.model_copy(update={"probability": 0.5}),
        scenario.model_copy(update={"probability": 0.5}),
    ]
    try:
        result = solve_stochastic(problem, weighted)
    except ScenarioError:
        assume(False)
        return
    assume(result.status == "optimal")
    costs = result.scenario_costs.set_index("scenario")["cost"]
    assert _at_least(float(costs["s"]), float(costs["null"]))


@FEWER
@given(st.data())
def test_longer_or_deeper_never_costs_less(data: st.DataObject) -> None:
    document = data.draw(supply_documents())
    problem = Problem.model_validate(document)
    change = data.draw(_disruption(document))
    periods = len(problem.periods)
    length = change.get("length") or periods
    longer = change | {"length": min(length + 1, periods)}
    deeper = change | {"cut": min(1.0, change["cut"] + 0.2)}
    costs = {
        name: _cost(disrupted(problem, Scenario(name="d", disruptions=[one])))
        for name, one in (("given", change), ("longer", longer), ("deeper", deeper))
    }
    assume(costs["given"] is not None)
    assert _at_least(costs["longer"], costs["given"])
    assert _at_least(costs["deeper"], costs["given"])


@FEWER
@given(st.data())
def test_more_stock_never_means_more_shortage(data: st.DataObject) -> None:
    """Two plans that differ only in the stock held when the embargo comes (the initial stock
    of a re-plan of everything): the one with more stock has no more shortage. Shortage is
    read as the least any optimal plan has, so that ties between plans cannot decide it."""
    document = data.draw(supply_documents())
    material = data.draw(st.sampled_from([m["id"] for m in document["materials"]]))
    extra = float(data.draw(st.integers(1, 100)))
    embargo = Scenario(name="e", disruptions=[data.draw(_disruption(document))])
    shortages = []
    for added in (0.0, extra):
        initial = document["stock"]["initial"]
        held = initial | {material: initial.get(material, 0.0) + added}
        more = document | {"stock": document["stock"] | {"initial": held}}
        shortage = _least_shortage(disrupted(Problem.model_validate(more), embargo))
        assume(shortage is not None)
        shortages.append(shortage)
    assert shortages[1] <= shortages[0] + 1e-6 * max(1.0, shortages[0])


def _least_shortage(problem: Problem) -> float | None:
    """The least total shortage [t] of an optimal plan of ``problem`` (None: no plan)."""
    model = build(prepare(problem))
    model.lp.solve(pulp.HiGHS(msg=False))
    if pulp.LpStatus[model.lp.status] != "Optimal":
        return None
    best = pulp.value(model.objective)
    model.lp.addConstraint(model.objective <= best + 1e-9 * max(1.0, abs(best)), "optimal")
    model.lp.setObjective(pulp.lpSum(model.short.values()))
    model.lp.solve(pulp.HiGHS(msg=False))
    assert pulp.LpStatus[model.lp.status] == "Optimal"
    return float(pulp.value(model.lp.objective) or 0.0)


# -- a strategic stockpile worked out by hand (docs/formulation.md, "Strategic stock") -----


def test_a_strategic_stock_is_drawn_in_an_embargo_and_rebuilt_after_it(
    solver: SolverName,
) -> None:
    """One material X, demand 10 a period, target 10 t of stock (held at the start), China's
    10 t a period at 100, an emergency 4 t a period at 300 in B and C, recycling at 200 from D;
    holding 1, a tonne below target 150 a period, a tonne short 1,000; terminal price: the
    replacement price, China's 100 in D.

    No disruption: 10 t from China each period, stock held: 4 x 1,000 + 4 x 10 = 4,040.

    China stopped in B and C: the emergency 4 t both periods; with d_B and d_C drawn and
    short_B = 6 - d_B, short_C = 6 - d_C, all 10 t are drawn (a tonne drawn saves 1,000 short
    and costs at most 2 x 150 + 200 to rebuild). The gap charged is what is below target beyond
    the period's shortage: max(0, d_B - (6 - d_B)) in B and 10 - (6 - d_C) = 14 - d_B in C;
    for 4 <= d_B <= 6 that is 150 x (8 + d_B) plus holding 10 - d_B, least at d_B = 4: draw
    4 t in B (2 t short), 6 t in C (none short). In D the gap is rebuilt from recycling (10 t at
    200 + 1 holding, against 150 + 100 left open at the end).
    Cost: A 1,000 + 10; B 1,200 + 6 holding + 2,000 short + 2 x 150; C 1,200 + 10 x 150;
    D 1,000 + 2,000 + 10 = 10,226.
    """
    problem = Problem.model_validate(stockpile())
    calm = optiree.solve(disrupted(problem), solver=solver)
    assert calm.total_cost == pytest.approx(4040)
    hit = optiree.solve(disrupted(problem, "embargo"), solver=solver)
    assert hit.total_cost == pytest.approx(10226)
    inventory = hit.inventory.set_index("period")
    assert inventory["closing"].tolist() == pytest.approx([10, 6, 0, 10])
    assert inventory["shortage"].tolist() == pytest.approx([0, 2, 0, 0])
    assert inventory["below_target"].tolist() == pytest.approx([0, 4, 10, 0])
    assert inventory["gap_charged"].tolist() == pytest.approx([0, 2, 10, 0])
    assert inventory["below_target_cost"].tolist() == pytest.approx([0, 300, 1500, 0])
    costs = hit.costs.groupby("component")["cost"].sum()
    assert costs["below_target"] == pytest.approx(1800)
    assert costs["shortage"] == pytest.approx(2000)
    assert costs["holding"] == pytest.approx(26)
    supply = hit.supply.pivot_table(index="source", columns="period", values="tonnes")
    assert supply.loc["recycling", "D"] == pytest.approx(10)
    assert supply.loc["alt", ["B", "C"]].tolist() == pytest.approx([4, 4])


def test_a_strategic_stock_is_no_rule_for_diagnose_to_relax(solver: SolverName) -> None:
    """The stockpile above, with a hard contract for 5 t from China in the embargoed B: the
    embargo cap (0 t) must give 5 t, and nothing of the strategic stock's rows (its gap is a
    cost, not a rule) is named."""
    document = stockpile() | {
        "contracts": [{"id": "deal", "source": "cn", "periods": ["B"], "min_tonnes": 5}]
    }
    faced = disrupted(Problem.model_validate(document), "embargo")
    diagnosis = optiree.diagnose(faced, solver=solver)
    assert set(diagnosis.relaxations["rule"]) == {"cap"}
    assert diagnosis.total_relaxation == pytest.approx(5)
    assert optiree.solve(diagnosis.apply(faced), solver=solver).is_optimal
