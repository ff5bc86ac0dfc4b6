"""Stress tests of plans (optiree.disruption.stress), solved by hand and run with every solver.

The small case: Dy over periods A, B, C; China (CN) sells at 100/t, up to 200 t a period; Lynas
(AU) at 1.5 x 100 = 150/t, up to 20 t; demand 40 t a period; holding 1 per tonne and period.
Two plans are made before anything happens:

- the **stock plan** keeps 1.5 periods of cover (60 t) at every close: A buys 100 t from China
  (40 used, 60 kept), B and C buy 40 t each. Cost 180 t x 100 + 3 x 60 x 1 = 18,180.
- the **bare plan** has no stock rule: 40 t from China each period, 12,000.

Then China stops selling in B (a one-period embargo). Dy has no shortage penalty of its own, so
the stress test prices a tonne short at ``for_disruption``'s default: 10 x its dearest price,
10 x 150 = 1,500.
"""

import re
import runpy
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import optiree
from optiree import Problem, Result
from optiree.disruption.scenarios import apply, for_disruption
from optiree.disruption.stress import (
    DRAWN_COLUMNS,
    UNMET_COLUMNS,
    StressError,
    stress_table,
    stress_test,
    stressed_problem,
)
from optiree.errors import OptireeError, SolverError
from optiree.schema import Scenario
from optiree.solve import SolverName
from tests.checker import check
from tests.samples import JAPAN
from tests.strategies import problems

RELATIVE = 1e-6
ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "stress_test.md"


def _problem(**extra: Any) -> Problem:
    document: dict[str, Any] = {
        "name": "three periods",
        "periods": ["A", "B", "C"],
        "materials": [{"id": "Dy"}],
        "reference_prices": {"Dy": 100},
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"Dy": 200}},
            {"id": "lynas", "country": "AU", "price_multiplier": 1.5, "capacity": {"Dy": 20}},
        ],
        "demand": {"Dy": 40},
        "stock": {"holding_cost": {"Dy": 1}},
    }
    return Problem.model_validate(document | extra)


STOCK_RULE = {"min_stock_cover": {"Dy": 1.5}}


def _plan(problem: Problem, solver: SolverName) -> Result:
    plan = optiree.solve(problem, solver)
    assert plan.status == "optimal", plan.message
    return plan


def _scenario(**fields: Any) -> Scenario:
    return Scenario.model_validate({"name": "embargo"} | fields)


EMBARGO_B = _scenario(disruptions=[{"country": "CN", "start": "B", "length": 1}])
NOTHING = Scenario(name="nothing")


def _by_period(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The rows of a one-material table by period."""
    return {
        str(row["period"]): {str(k): v for k, v in row.items()} for row in table.to_dict("records")
    }


def _tonnes(table: pd.DataFrame, period: str, column: str) -> float:
    return float(table.loc[table["period"] == period, column].sum())


def test_the_plans_by_hand(solver: SolverName) -> None:
    stock = _plan(_problem(security=STOCK_RULE), solver)
    assert stock.total_cost == pytest.approx(18_180)
    assert list(stock.inventory["closing"]) == pytest.approx([60, 60, 60])
    bare = _plan(_problem(), solver)
    assert bare.total_cost == pytest.approx(12_000)
    assert list(bare.inventory["closing"]) == pytest.approx([0, 0, 0])


def test_a_plan_with_stock_comes_through_the_embargo(solver: SolverName) -> None:
    """A is committed: 100 t from China, 60 t in stock, 10,060. In B China sells nothing; the
    stock is already paid for, so B draws its 40 t from stock (not 20 t from Lynas at 150)
    and keeps 20 t (holding 20) for C, which buys the other 20 t from China (2,000): recourse
    2,020, total 12,080, nothing short. B draws exactly its demand."""
    stock = _plan(_problem(security=STOCK_RULE), solver)
    stressed = stress_test(_problem(), stock, EMBARGO_B, 1, solver=solver)
    assert stressed.status == "optimal", stressed.message
    assert stressed.total_cost == pytest.approx(12_080)
    assert stressed.committed_cost == pytest.approx(10_060)
    assert stressed.recourse_cost == pytest.approx(2_020)
    assert stressed.unmet["short"].sum() == pytest.approx(0)
    drawn = _by_period(stressed.stock_drawn)
    assert [drawn["B"][c] for c in ("opening", "closing", "drawn")] == pytest.approx([60, 20, 40])
    assert drawn["C"]["drawn"] == pytest.approx(20)
    assert _tonnes(stressed.result.purchases, "B", "tonnes") == pytest.approx(0)
    assert stressed.drawn_by_material()["Dy"] == pytest.approx(60)


def test_a_plan_without_stock_goes_short(solver: SolverName) -> None:
    """A is committed: 40 t from China, 4,000, no stock. In B only Lynas sells, 20 t at 150
    (3,000): 40 - 20 = 20 t are short at 1,500 (30,000). C buys 40 t from China (4,000).
    Recourse 37,000, total 41,000."""
    bare = _plan(_problem(), solver)
    stressed = stress_test(_problem(), bare, EMBARGO_B, 1, solver=solver)
    assert stressed.total_cost == pytest.approx(41_000)
    assert stressed.committed_cost == pytest.approx(4_000)
    assert stressed.recourse_cost == pytest.approx(37_000)
    unmet = _by_period(stressed.unmet)
    assert [unmet["B"][c] for c in ("demand", "short", "penalty", "cost")] == pytest.approx(
        [40, 20, 1_500, 30_000]
    )
    assert [unmet["A"]["short"], unmet["C"]["short"]] == pytest.approx([0, 0])
    assert list(stressed.unmet["committed"]) == [True, False, False]
    assert stressed.short_by_material()["Dy"] == pytest.approx(20)
    assert stressed.stock_drawn["drawn"].sum() == pytest.approx(0)
    assert list(stressed.unmet.columns) == UNMET_COLUMNS
    assert list(stressed.stock_drawn.columns) == DRAWN_COLUMNS


def test_a_penalty_of_ones_own(solver: SolverName) -> None:
    """At 500 per tonne short, Lynas (150) is still worth buying: B buys 20 t and is 20 t short
    (10,000): 4,000 + 3,000 + 10,000 + 4,000 = 21,000. A penalty the problem gives stays."""
    bare = _plan(_problem(), solver)
    stressed = stress_test(_problem(), bare, EMBARGO_B, 1, solver=solver, penalty={"Dy": 500})
    assert stressed.total_cost == pytest.approx(21_000)
    own = _problem(shortage_penalty={"Dy": 200})
    stressed = stress_test(own, _plan(own, solver), EMBARGO_B, 1, solver=solver, penalty=500)
    assert stressed.total_cost == pytest.approx(4_000 + 3_000 + 20 * 200 + 4_000)


def test_nothing_committed_is_the_best_response_with_foresight(solver: SolverName) -> None:
    """k = 0 is the problem under the embargo, solved directly: A buys 80 t from China (40 for
    B, held at 1 per tonne), B buys nothing, C buys 40 t: 8,000 + 40 + 4,000 = 12,040,
    whatever the plan. Keeping A as planned costs more: 12,080 and 41,000."""
    direct = apply(for_disruption(_problem()), EMBARGO_B)
    solved = optiree.solve(direct, solver)
    assert solved.total_cost == pytest.approx(12_040)
    for document in ({"security": STOCK_RULE}, {}):
        plan = _plan(_problem(**document), solver)
        stressed = stress_test(_problem(), plan, EMBARGO_B, 0, solver=solver)
        assert stressed.total_cost == pytest.approx(12_040)
        assert stressed.committed_cost == 0
        assert stressed.recourse_cost == pytest.approx(12_040)
        later = stress_test(_problem(), plan, EMBARGO_B, 1, solver=solver)
        assert later.total_cost is not None
        assert later.total_cost >= 12_040


def test_everything_committed_changes_nothing(solver: SolverName) -> None:
    """With k = 3 every decision was taken: the scenario, even one that starts in A, changes
    no period, and the cost is the plan's own (18,180 and 12,000)."""
    whole = _scenario(disruptions=[{"country": "CN", "start": "A"}])
    for document, cost in (({"security": STOCK_RULE}, 18_180), ({}, 12_000)):
        problem = _problem(**document)
        plan = _plan(problem, solver)
        stressed = stress_test(problem, plan, whole, 3, solver=solver)
        assert stressed.total_cost == pytest.approx(cost)
        assert stressed.committed_cost == pytest.approx(cost)
        assert stressed.recourse_cost == pytest.approx(0, abs=1e-6)
        assert list(stressed.result.purchases["tonnes"]) == pytest.approx(
            list(plan.purchases["tonnes"])
        )
        assert stressed.unmet["short"].sum() == pytest.approx(0)
    assert stressed_problem(_problem(), whole, 3).caps == []


def test_an_embargo_under_way_continues_but_does_not_reach_back(solver: SolverName) -> None:
    """An embargo from A for two periods, with A committed, bites in B only: the bare plan
    costs 41,000, as with the embargo of B alone."""
    bare = _plan(_problem(), solver)
    from_a = _scenario(disruptions=[{"country": "CN", "start": "A", "length": 2}])
    stressed = stress_test(_problem(), bare, from_a, 1, solver=solver)
    assert stressed.total_cost == pytest.approx(41_000)
    (cap,) = stressed_problem(_problem(), from_a, 1).caps
    assert cap.periods == ["B"]


def test_committed_decisions_are_kept_on_the_japan_case(solver: SolverName) -> None:
    """Japan, three quarters committed, Lynas out from 2026Q4: every purchase, substitution,
    closing stock and shortage of 2026Q1-2026Q3 is the plan's, the committed cost is what the
    stressed plan pays in those quarters, and the re-plan does change later quarters."""
    problem = optiree.load_problem(JAPAN)
    plan = _plan(problem, solver)
    outage = Scenario.model_validate(
        {"name": "lynas_out", "sources": [{"source": "lynas", "capacity_factor": 0}]}
    )
    stressed = stress_test(problem, plan, outage, 3, solver=solver)
    assert stressed.status == "optimal", stressed.message
    committed = problem.periods[:3]
    tables = [
        ("purchases", ["source", "material", "tier", "period"], "tonnes"),
        ("feeds", ["feed", "period"], "tonnes"),
        ("substitution", ["substitute", "period"], "units"),
        ("inventory", ["material", "period"], "closing"),
        ("shortage", ["material", "period"], "tonnes"),
    ]
    for name, keys, column in tables:
        planned = getattr(plan, name)
        kept = getattr(stressed.result, name)
        planned = planned[planned["period"].isin(committed)].set_index(keys)[column]
        kept = kept[kept["period"].isin(committed)].set_index(keys)[column]
        assert kept.loc[planned.index].tolist() == pytest.approx(planned.tolist(), abs=1e-6)
    lynas = stressed.result.supply.query("source == 'lynas' and period == '2026Q4'")
    assert lynas["tonnes"].sum() == 0
    planned_lynas = plan.supply.query("source == 'lynas' and period == '2026Q4'")
    assert planned_lynas["tonnes"].sum() > 0
    paid = _cost_in(stressed.result, committed)
    assert stressed.committed_cost == pytest.approx(_cost_in(plan, committed), rel=RELATIVE)
    assert paid == pytest.approx(stressed.committed_cost, rel=RELATIVE)
    assert stressed.total_cost == pytest.approx(
        stressed.committed_cost + (stressed.recourse_cost or 0), rel=RELATIVE
    )
    assert check(stressed_problem(problem, outage, 3), stressed.result, duals=False) == []


def _cost_in(result: Result, periods: list[str]) -> float:
    """What the plan pays in ``periods``: purchases, feeds, substitution, holding, disposal and
    shortage, less sales."""
    parts = [
        (result.purchases, "cost", 1),
        (result.feeds, "cost", 1),
        (result.substitution, "cost", 1),
        (result.inventory, "holding_cost", 1),
        (result.inventory, "disposal_cost", 1),
        (result.inventory, "sales", -1),
        (result.shortage, "cost", 1),
    ]
    return float(sum(sign * t.loc[t["period"].isin(periods), c].sum() for t, c, sign in parts))


@pytest.mark.parametrize("planner", ["highs", "cbc"])
def test_a_plan_rounded_by_its_solver_can_be_kept(planner: SolverName, solver: SolverName) -> None:
    """CBC reports values to 8 significant digits: it buys 740.74073 + 493.82716 = 1,234.56789
    t of a demand of 1,234.5678901 t, so its plan misses its own balance row by 1.2e-7 t, more
    than HiGHS's feasibility tolerance. Such a plan is kept as it is, and costs what it cost."""
    document: dict[str, Any] = {
        "name": "rounded",
        "materials": [{"id": "Dy"}],
        "periods": ["A", "B"],
        "reference_prices": {"Dy": 100},
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"Dy": 10_000}},
            {"id": "lynas", "country": "AU", "price_multiplier": 1.5, "capacity": {"Dy": 10_000}},
        ],
        "demand": {"Dy": 1234.56789012345},
        "security": {"max_country_share": {"CN": 0.6}},
    }
    problem = Problem.model_validate(document)
    plan = _plan(problem, planner)
    for k in (1, 2):
        stressed = stress_test(problem, plan, NOTHING, k, solver=solver)
        assert stressed.status == "optimal", stressed.message
        assert stressed.total_cost == pytest.approx(plan.total_cost, rel=RELATIVE)


def test_stress_table_compares_plans(solver: SolverName) -> None:
    """One row per plan and scenario. With nothing happening, the stock plan's re-plan still
    draws its stock (the stock rule no longer holds from B), so it costs what it costs under
    the embargo, 12,080; the bare plan costs its own 12,000."""
    plans = {
        "stock": _plan(_problem(security=STOCK_RULE), solver),
        "bare": _plan(_problem(), solver),
    }
    stressed = stress_table(_problem(), plans, [EMBARGO_B, NOTHING], 1, solver=solver)
    table = stressed.table
    assert list(table.columns) == [
        "plan",
        "scenario",
        "status",
        "total_cost",
        "committed_cost",
        "recourse_cost",
        "shortage_cost",
        "short_Dy",
        "drawn_Dy",
    ]
    rows = {(row["plan"], row["scenario"]): row for row in table.to_dict("records")}
    expected = {
        ("stock", "embargo"): (12_080, 0, 0, 60),
        ("stock", "nothing"): (12_080, 0, 0, 60),
        ("bare", "embargo"): (41_000, 30_000, 20, 0),
        ("bare", "nothing"): (12_000, 0, 0, 0),
    }
    for key, figures in expected.items():
        row = rows[key]
        assert row["status"] == "optimal"
        assert [row["total_cost"], row["shortage_cost"], row["short_Dy"], row["drawn_Dy"]] == (
            pytest.approx(list(figures))
        )
    assert stressed.currency == "USD"
    assert "total_cost [USD]" in stressed.summary()


def test_scenarios_by_name_and_the_summary() -> None:
    problem = _problem(scenarios=[EMBARGO_B.model_dump()])
    bare = _plan(problem, "highs")
    stressed = stress_test(problem, bare, "embargo", 1)
    assert stressed.total_cost == pytest.approx(41_000)
    text = stressed.summary()
    assert "scenario 'embargo', 1 period(s) committed: optimal" in text
    assert "Total cost: 41,000 USD" in text
    assert "committed" in text
    assert "4,000" in text
    assert "37,000" in text
    assert "30,000" in text
    assert "Dy" in text


def test_a_stressed_problem_without_a_plan_reports_its_status() -> None:
    """A cover rule stays hard: 90% of B's demand, 36 t, must be coverable without Lynas, but
    with China embargoed nothing else can supply and the bare plan kept no stock."""
    problem = _problem(security={"min_cover_without": [{"country": "AU", "share": 0.9}]})
    plan = _plan(problem, "highs")
    stressed = stress_test(problem, plan, EMBARGO_B, 1)
    assert stressed.status == "infeasible"
    assert stressed.total_cost is None
    assert stressed.recourse_cost is None
    assert stressed.committed_cost == pytest.approx(4_000)
    assert stressed.unmet.empty
    assert list(stressed.unmet.columns) == UNMET_COLUMNS
    assert "infeasible" in stressed.summary()


@pytest.mark.parametrize("k", [-1, 4, True, 1.5, "1"])
def test_commit_periods_out_of_range(k: Any) -> None:
    bare = _plan(_problem(), "highs")
    with pytest.raises(StressError, match=r"commit_periods must be a whole number from 0 .* to 3"):
        stress_test(_problem(), bare, EMBARGO_B, k)


def test_a_plan_that_is_not_optimal() -> None:
    short = _problem(demand={"Dy": 500})
    plan = optiree.solve(short)
    assert plan.status == "infeasible"
    with pytest.raises(StressError, match="the plan is infeasible, not optimal"):
        stress_test(short, plan, EMBARGO_B, 1)


@pytest.mark.parametrize(
    ("other", "words"),
    [
        ({"periods": ["A", "B"]}, "periods: the plan has 'A', 'B', the problem 'A', 'B', 'C'"),
        (
            {"materials": [{"id": "Dy"}, {"id": "Tb"}], "demand": {"Dy": 40, "Tb": 0}},
            "materials: the plan has 'Dy', 'Tb', the problem 'Dy'",
        ),
        (
            {
                "sources": [
                    {"id": "china", "country": "CN", "capacity": {"Dy": 200}},
                    {"id": "mp", "country": "US", "capacity": {"Dy": 20}},
                ]
            },
            "sources: the plan has 'china', 'mp', the problem 'china', 'lynas'",
        ),
        (
            {
                "sources": [
                    {"id": "china", "country": "CN", "capacity": {"Dy": 200}},
                    {"id": "lynas", "country": "AU", "capacity": {"Dy": {"A": 20}}},
                ]
            },
            r"supply in the problem only: \(lynas,Dy,B\), \(lynas,Dy,C\)",
        ),
        ({"demand": {"Dy": {"A": 40, "B": 41, "C": 40}}}, r"demand differs in \(Dy,B\)"),
        ({"stock": {"initial": {"Dy": 5}}}, "initial stock differs for 'Dy'"),
    ],
)
def test_a_plan_of_another_problem(other: dict[str, Any], words: str) -> None:
    plan = _plan(_problem(**other), "highs")
    with pytest.raises(StressError, match="is not a plan of this problem") as caught:
        stress_test(_problem(), plan, EMBARGO_B, 1)
    assert re.search(words, str(caught.value)), str(caught.value)


def test_a_plan_made_under_other_rules_or_prices() -> None:
    """The bare plan keeps no stock, so it breaks a stock rule of 1.5 in A; a plan bought at
    90/t costs 3,600 in A, not 4,000."""
    bare = _plan(_problem(), "highs")
    with pytest.raises(StressError, match=r"breaks 1 row\(s\) .*: stock_cover\(Dy,A\)"):
        stress_test(_problem(security=STOCK_RULE), bare, EMBARGO_B, 1)
    cheaper = _plan(_problem(reference_prices={"Dy": 90}), "highs")
    with pytest.raises(StressError, match=r"cost 3,600\.00 in the plan but 4,000\.00"):
        stress_test(_problem(), cheaper, EMBARGO_B, 1)
    # A variant with other rules is fine where the plan keeps them: the stock plan meets a
    # problem without the rule.
    stock = _plan(_problem(security=STOCK_RULE), "highs")
    assert stress_test(_problem(), stock, EMBARGO_B, 1).status == "optimal"


def test_bad_scenarios_and_solvers() -> None:
    bare = _plan(_problem(), "highs")
    with pytest.raises(
        StressError, match="no scenario 'nope' in 'three periods'; its scenarios: none"
    ):
        stress_test(_problem(), bare, "nope", 1)
    russia = _scenario(disruptions=[{"country": "RU", "start": "B"}])
    with pytest.raises(ValidationError, match="unknown country 'RU'"):
        stress_test(_problem(), bare, russia, 1)
    with pytest.raises(ValidationError, match="unknown country 'RU'"):
        stress_test(_problem(), bare, russia, 3)
    with pytest.raises(SolverError, match="unknown solver"):
        stress_test(_problem(), bare, EMBARGO_B, 1, solver="glpx")
    assert issubclass(StressError, OptireeError)


@settings(max_examples=max(10, settings().max_examples // 5))  # six solves an example
@given(problems(), st.data())
def test_stress_properties(problem: Problem, data: st.DataObject) -> None:
    """On random problems: the stressed plan keeps the committed decisions and passes the
    checker; with every period committed it costs what the plan cost; with nothing happening
    it costs no more than the plan (the plan is one of its options); and an embargo from the
    first re-planned period costs at least what it costs with full foresight (k = 0), whose
    problem is the same without the fixed decisions."""
    plan = optiree.solve(problem)
    assume(plan.is_optimal)
    periods = problem.periods
    k = data.draw(st.integers(0, len(periods)), label="commit_periods")
    country = data.draw(st.sampled_from(problem.countries), label="country")
    start = periods[min(k, len(periods) - 1)]
    embargo = Scenario.model_validate(
        {"name": "embargo", "disruptions": [{"country": country, "start": start}]}
    )
    plan_cost = plan.total_cost or 0.0
    tolerance = RELATIVE * max(1.0, abs(plan_cost))

    everything = stress_test(problem, plan, embargo, len(periods))
    assert everything.total_cost == pytest.approx(plan_cost, rel=RELATIVE, abs=1e-6)

    calm = stress_test(problem, plan, NOTHING, k)
    assert calm.status == "optimal", calm.message
    assert (calm.total_cost or 0.0) <= plan_cost + tolerance

    stressed = stress_test(problem, plan, embargo, k)
    if stressed.status != "optimal":
        assert stressed.status == "infeasible", stressed.message
        return
    assert check(stressed_problem(problem, embargo, k), stressed.result, duals=False) == []
    kept = stressed.result.purchases[stressed.result.purchases["period"].isin(periods[:k])]
    planned = plan.purchases[plan.purchases["period"].isin(periods[:k])]
    assert list(kept["tonnes"]) == pytest.approx(list(planned["tonnes"]), abs=1e-6)
    if k == len(periods):
        return  # the embargo starts in a committed period: foresight would see more of it
    foresight = stress_test(problem, plan, embargo, 0)
    assert foresight.total_cost is not None
    assert (stressed.total_cost or 0.0) >= foresight.total_cost - tolerance


def _text_blocks() -> list[str]:
    return re.findall(r"```text\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)


def test_the_page_shows_the_small_example() -> None:
    (block,) = re.findall(r"```yaml\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    problem = Problem.model_validate(yaml.safe_load(block))
    plan = _plan(problem, "highs")
    assert plan.total_cost == pytest.approx(18_180)
    assert stress_test(problem, plan, "embargo_B", commit_periods=0).total_cost == pytest.approx(
        18_220
    )
    stressed = stress_test(problem, plan, "embargo_B", commit_periods=1)
    assert stressed.summary() in _text_blocks()


def test_the_page_shows_the_current_japan_table(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(ROOT / "examples" / "japan_stress.py"), run_name="__main__")
    printed = capsys.readouterr().out
    start = printed.index("Committed:")
    table = printed[start : printed.index("\nChecked.")].rstrip() + "\n"
    assert table in _text_blocks(), "paste the new table into docs/stress_test.md"


def test_a_take_or_pay_shortfall_in_the_committed_periods_is_kept(solver: SolverName) -> None:
    """Lynas owes 10 t a period under take-or-pay at 60 but has nothing in A: the plan pays
    600 for A's 10 t and takes B's 10 t (150 against 60 + China's 100). China stopped in B:
    A is kept (5,000 + 600), B buys Lynas' 50 t: 7,500; 13,100 in all."""
    document = {
        "name": "owed",
        "periods": ["A", "B"],
        "materials": [{"id": "Dy"}],
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"Dy": 100}, "prices": {"Dy": 100}},
            {"id": "lynas", "country": "AU", "capacity": {"Dy": {"B": 50}}, "prices": {"Dy": 150}},
        ],
        "demand": {"Dy": 50},
        "stock": {"holding_cost": {"Dy": 1}},  # no buying ahead: the plan is unique
        "contracts": [{"source": "lynas", "min_tonnes": 10, "take_or_pay": 60}],
    }
    problem = Problem.model_validate(document)
    plan = optiree.solve(problem, solver=solver)
    assert plan.total_cost == pytest.approx(11_100)
    embargo = _scenario(disruptions=[{"country": "CN", "start": "B"}])
    stressed = stress_test(problem, plan, embargo, 1, solver=solver)
    assert stressed.total_cost == pytest.approx(13_100)
