"""Origin rules both ways and in value: at least a share of what reaches the last stage
extracted or processed in a group of countries (the US clean-vehicle credit's test), in
tonnes or in value, hand-solved on every solver with the shadow price checked by finite
difference; tightening never lowers the cost; a group of one is its country; the frontiers
of rules counted in value."""

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import optiree
from optiree import Problem, Result
from optiree.cli import main
from optiree.solve import SolverName
from tests.checker import check
from tests.test_stage_rules import GROUP, SEPARATION, _solve
from tests.unique import assert_unique

Document = dict[str, Any]
SOLVERS = ["highs", "cbc"]
ROW = "origin_min_share(fta,NdPr,P1)"


def _chain(au_price: float = 35, us_cost: float = 30, us_size: float = 200) -> Document:
    """Chinese ore (10/t) and Australian ore (``au_price``) separated in China (10/t) or in
    the US (``us_cost``, at most ``us_size`` t); 100 t of oxide; the US and Australia are
    free-trade partners."""
    return {
        "name": "credit",
        "periods": ["P1"],
        "stages": ["ore", "oxide"],
        "materials": [{"id": "NdPr"}],
        "country_groups": {"fta": ["US", "AU"], "solo": ["US"]},
        "sources": [
            {
                "id": f"mine_{c.lower()}",
                "country": c,
                "stage": "ore",
                "capacity": {"NdPr": 200},
                "prices": {"NdPr": p},
            }
            for c, p in (("CN", 10), ("AU", au_price))
        ],
        "facilities": [
            {
                "id": f"sep_{c.lower()}",
                "stage": "oxide",
                "country": c,
                "capacity": x,
                "processing_cost": k,
                "takes_from": ["mine_cn", "mine_au"],
            }
            for c, k, x in (("CN", 10, 200), ("US", us_cost, us_size))
        ],
        "demand": {"NdPr": 100},
    }


CHAIN = _chain()


def _with(document: Document, *rules: Document) -> Document:
    changed = copy.deepcopy(document)
    changed["security"] = {"origin_shares": list(rules)}
    return changed


def _paths(result: Result) -> dict[str, float]:
    """Tonnes entering each path (mine > separator) with any."""
    first = result.flows[(result.flows["step"] == 0) & (result.flows["tonnes"] > 1e-9)]
    return {path: pytest.approx(x) for path, x in zip(first["path"], first["tonnes"], strict=True)}


def _row(result: Result, name: str = ROW) -> Any:
    return result.constraints.set_index("constraint").loc[name]


@pytest.mark.parametrize("solver", SOLVERS)
def test_at_least_a_share_through_the_group_in_tonnes(solver: SolverName) -> None:
    """Paths per tonne: CN ore > CN plant 20, CN ore > US plant 40 (processed in the group),
    AU ore > CN plant 45 (extracted in it), AU ore > US plant 65. Free: all 100 t CN > CN,
    2,000. At least 60 % through the free-trade partners: the cheapest path through them,
    CN ore separated in the US, takes 60 t: 40 x 20 + 60 x 40 = 3,200; each point more moves
    a tonne from 20 to 40: 20."""
    assert _solve(CHAIN, solver).total_cost == pytest.approx(2000)
    rule = {"group": "fta", "min_share": 0.6}
    result = _solve(_with(CHAIN, rule), solver)
    assert result.total_cost == pytest.approx(3200)
    assert _paths(result) == {"mine_cn>sep_cn": 40, "mine_cn>sep_us": 60}
    row = _row(result)
    assert (row["value"], row["limit"]) == (pytest.approx(60), pytest.approx(60))
    tighter = _solve(_with(CHAIN, {**rule, "min_share": 0.61}), solver).total_cost
    assert tighter - result.total_cost == pytest.approx(20)
    assert abs(row["shadow_price"]) == pytest.approx(20)
    assert abs(row["cost_per_point"]) == pytest.approx(20)
    assert_unique(Problem.model_validate(_with(CHAIN, rule)), [ROW])


@pytest.mark.parametrize("solver", SOLVERS)
def test_in_value_the_plan_differs_from_in_tonnes(solver: SolverName) -> None:
    """Value of a tonne at the oxide stage: its ore's price plus its processing (20, 40, 45,
    65 on the four paths). At least 60 % of the value through the group with a tonnes on
    CN > US: 40 a >= 0.6 (20 (100 - a) + 40 a) -> 28 a >= 1,200 -> a = 300 / 7 = 42.86 t
    (the cheapest per unit of the row: 20 / 28 against 25 / 30 for AU > CN and 45 / 38 for
    AU > US), cost 2,000 + 20 a = 2,857.14; in tonnes it was 60 t and 3,200."""
    rule = {"group": "fta", "min_share": 0.6, "measure": "value"}
    result = _solve(_with(CHAIN, rule), solver)
    a = 300 / 7
    assert result.total_cost == pytest.approx(2000 + 20 * a)
    assert _paths(result) == {"mine_cn>sep_cn": 100 - a, "mine_cn>sep_us": a}
    row = _row(result)
    assert row["value"] == pytest.approx(40 * a)
    assert row["limit"] == pytest.approx(0.6 * (2000 + 20 * a))
    # d cost / d share = 20 x 2,000 x 40 / (40 - 20 s)^2 = 2,040.8 per unit: 20.4 a point
    tighter = _solve(_with(CHAIN, {**rule, "min_share": 0.61}), solver).total_cost
    assert abs(row["cost_per_point"]) == pytest.approx(tighter - result.total_cost, rel=0.02)
    assert abs(row["cost_per_point"]) == pytest.approx(20 * 2000 * 40 / 28**2 / 100, rel=1e-6)
    assert_unique(Problem.model_validate(_with(CHAIN, rule)), [ROW])


@pytest.mark.parametrize("solver", SOLVERS)
def test_extracted_in_the_group_counts_too(solver: SolverName) -> None:
    """With separation in the US dear (50/t: 60 a tonne on CN > US), the tonnes through the
    group are Australian ore separated in China (45): 40 x 20 + 60 x 45 = 3,500."""
    result = _solve(_with(_chain(us_cost=50), {"group": "fta", "min_share": 0.6}), solver)
    assert result.total_cost == pytest.approx(3500)
    assert _paths(result) == {"mine_cn>sep_cn": 40, "mine_au>sep_cn": 60}


def test_a_group_of_one_is_its_country() -> None:
    for rule in ({"min_share": 0.3}, {"max_share": 0.0}, {"min_share": 0.5, "measure": "value"}):
        by_group = _solve(_with(CHAIN, {"group": "solo", **rule}))
        by_country = _solve(_with(CHAIN, {"country": "US", **rule}))
        assert by_group.total_cost == pytest.approx(by_country.total_cost)
        assert _paths(by_group) == _paths(by_country)


@settings(max_examples=40, deadline=None)  # two solves each: about 3 s
@given(
    shares=st.tuples(st.floats(0, 1), st.floats(0, 1)).map(sorted),
    au_price=st.floats(10, 60),
    us_cost=st.floats(10, 60),
    measure=st.sampled_from(["tonnes", "value"]),
)
def test_tightening_a_least_share_never_lowers_the_cost(
    shares: list[float], au_price: float, us_cost: float, measure: str
) -> None:
    document = _chain(au_price, us_cost)
    looser, tighter = (
        optiree.solve(
            Problem.model_validate(
                _with(document, {"group": "fta", "min_share": s, "measure": measure})
            )
        ).total_cost
        for s in shares
    )
    assert tighter >= looser - 1e-6 * max(1.0, looser)


def test_rules_set_exactly_one_share() -> None:
    for rule in ({"group": "fta"}, {"group": "fta", "min_share": 0.5, "max_share": 0.6}):
        with pytest.raises(ValidationError) as error:
            Problem.model_validate(_with(CHAIN, rule))
        assert [e["type"] for e in error.value.errors()] == ["rule_share"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_frontier_of_an_origin_rule_in_value(solver: SolverName) -> None:
    """The US plant takes 50 t at most: CN > US carries the share up to a = 50 t, where
    50 (2 - s) = 100 s -> s = 2/3 (a breakpoint); beyond, Australian ore separated in China.
    In tonnes the bend is at 50 %. Every row is the cost of a cold solve at its level."""
    document = _chain(us_size=50)
    problem = Problem.model_validate(document)
    for measure, bend in (("value", 2 / 3), ("tonnes", 0.5)):
        curve = optiree.frontier(
            problem, rule="origin_min_share", group="fta", measure=measure, points=2, solver=solver
        )
        table = curve.table
        assert list(table.loc[table["breakpoint"], "level"]) == [pytest.approx(bend, abs=1e-6)]
        for level, cost in zip(table["level"], table["total_cost"], strict=True):
            rule = {"group": "fta", "min_share": level, "measure": measure}
            assert _solve(_with(document, rule), solver).total_cost == pytest.approx(cost)
    assert table["total_cost"].iloc[-1] == pytest.approx(50 * 40 + 50 * 45)


@pytest.mark.parametrize("solver", SOLVERS)
def test_frontier_of_a_stage_rule_in_value(solver: SolverName) -> None:
    """Allied oxide (150/t) against Chinese (100/t), the allied share in value: 150 a >= s
    (150 a + 100 (100 - a)) -> a = 10,000 s / (150 - 50 s); at 50 % a = 40, 12,000 (as
    hand-solved in tests/test_stage_rules.py). Every row is the cost of a cold solve."""
    document = copy.deepcopy(GROUP)
    problem = Problem.model_validate(document)
    curve = optiree.frontier(
        problem, rule="stage_min_share", group="allies", measure="value", points=3, solver=solver
    )
    table = curve.table.set_index("level")
    assert table.loc[0.5, "total_cost"] == pytest.approx(12000)
    for level, cost in table["total_cost"].items():
        a = 10000 * level / (150 - 50 * level)
        assert cost == pytest.approx(150 * a + 100 * (100 - a))
        document["security"] = {
            "stage_shares": [{"group": "allies", "min_share": level, "measure": "value"}]
        }
        assert _solve(document, solver).total_cost == pytest.approx(cost)


def test_only_share_rules_count_value() -> None:
    problem = Problem.model_validate(CHAIN)
    with pytest.raises(optiree.ArgumentError, match="counts tonnes"):
        optiree.frontier(problem, "CN", "max_share", measure="value")
    with pytest.raises(optiree.ArgumentError, match="measure"):
        optiree.frontier(problem, "CN", "origin_share", measure="money")


@pytest.mark.parametrize("solver", SOLVERS)
def test_frontier_of_cover_without_a_country_at_a_stage(solver: SolverName) -> None:
    """Cover without China at the oxide stage (tests/test_stage_rules.py's separation case):
    the free plan separates everything in Baotou (0 %); 20 a point up to 50 % (Australian ore
    moves from Baotou, 40/t, to Kuantan, 60/t), 40 a point beyond (Chinese ore, 20/t, gives
    way to Mt Weld > Kuantan): 3,000, 4,000, 6,000. At the ore stage only the mine's country
    counts: the curve without a stage. Every row is the cost of a cold solve."""
    problem = Problem.model_validate(SEPARATION)
    curve = optiree.frontier(problem, "CN", "cover_without", stage="oxide", points=3, solver=solver)
    table = curve.table.set_index("level")
    assert list(table.index[table["breakpoint"]]) == [pytest.approx(0.5)]
    assert list(table.loc[[0.0, 0.5, 1.0], "total_cost"]) == pytest.approx([3000, 4000, 6000])
    for level, cost in table["total_cost"].items():
        cover = [{"country": "CN", "share": level, "stage": "oxide"}]
        document = copy.deepcopy(SEPARATION) | {"security": {"min_cover_without": cover}}
        assert _solve(document, solver).total_cost == pytest.approx(cost)
    ore = optiree.frontier(problem, "CN", "cover_without", stage="ore", points=3, solver=solver)
    plain = optiree.frontier(problem, "CN", "cover_without", points=3, solver=solver)
    assert ore.table["total_cost"].tolist() == pytest.approx(plain.table["total_cost"].tolist())
    assert ore.table["level"].iloc[0] == pytest.approx(0.5)
    with pytest.raises(optiree.ArgumentError, match="unknown stage"):
        optiree.frontier(problem, "CN", "cover_without", stage="metal")


@pytest.mark.parametrize("solver", SOLVERS)
def test_the_us_credit_example_is_the_hand_solved_plan(solver: SolverName) -> None:
    """examples/us_credit.yaml is the value case above (docs/input.md works it out)."""
    problem = optiree.load_problem(Path(__file__).parents[1] / "examples" / "us_credit.yaml")
    result = optiree.solve(problem, solver)
    assert check(problem, result) == []
    a = 300 / 7
    assert result.total_cost == pytest.approx(2000 + 20 * a)
    assert _paths(result) == {"bayanobo>baotou": 100 - a, "bayanobo>mountainpass": a}
    tonnes = problem.derive(
        security=problem.security.derive(
            origin_shares=[problem.security.origin_shares[0].derive(measure="tonnes")]
        )
    )
    assert optiree.solve(tonnes, solver).total_cost == pytest.approx(3200)


def test_diagnose_names_the_group_and_relaxes_a_least_share_in_value() -> None:
    """The US plant takes 30 t, Mt Weld sells 10 t: the most value through the group is 30 t
    CN > US (40) and 10 t AU > CN (45) against 60 t CN > CN (20): 1,650 of 2,850 = 57.89 %;
    at least 60 % is 0.6 x 2,850 - 1,650 = 60 USD short."""
    document = _with(CHAIN, {"group": "fta", "min_share": 0.6, "measure": "value"})
    document["facilities"][1]["capacity"] = 30
    document["sources"][1]["capacity"] = {"NdPr": 10}
    problem = Problem.model_validate(document)
    assert optiree.solve(problem).status == "infeasible"
    diagnosis = optiree.diagnose(problem)
    rules = diagnosis.rules.set_index("field")
    assert list(rules.index) == ["security.origin_shares.0.min_share"]
    assert rules.iloc[0]["sufficient"] == pytest.approx(1650 / 2850, abs=1e-4)
    assert rules.iloc[0]["relax_by"] == pytest.approx(60)
    assert rules.iloc[0]["unit"] == diagnosis.relaxations.iloc[0]["unit"] == "USD"
    summary = diagnosis.summary()
    assert (
        "NdPr, P1: rule origin.fta (what passed through fta (US, AU) at any stage) must give "
        "60.0 USD" in summary
    )
    assert "What has to give: 60.0 USD in 1 row" in summary
    assert optiree.solve(diagnosis.apply(problem)).status == "optimal"


def test_diagnose_names_the_stage_of_a_rule_at_every_stage() -> None:
    """At most half of every stage from China with Kuantan at 30 t: the oxide stage gives
    (the ore stage can be half Chinese); the sentence names the country and that stage."""
    document = copy.deepcopy(SEPARATION)
    document["facilities"][1]["capacity"] = 30
    document["security"] = {"stage_shares": [{"country": "CN", "max_share": 0.5}]}
    diagnosis = optiree.diagnose(Problem.model_validate(document))
    assert "NdPr, P1: rule CN (CN at the oxide stage) must give 20.0 t" in diagnosis.summary()


def test_the_frontier_command_takes_measure_and_a_cover_stage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--measure value`` reaches the value frontier (its middle row 2,667 = 2,000 + 20 x
    100/3); ``--rule cover_without --stage oxide`` the cover at a stage (its breakpoint at
    50 %, as above); ``--measure value`` with a rule in tonnes is refused."""
    example = str(Path(__file__).parents[1] / "examples" / "us_credit.yaml")
    argv = ["frontier", example, "--rule", "origin_min_share", "--group", "fta", "--points", "1"]
    assert main([*argv, "--measure", "value"]) == 0
    assert "2,667" in capsys.readouterr().out
    assert main(argv) == 0
    assert "3,000" in capsys.readouterr().out  # in tonnes: 50 t CN > US
    stages = Path(__file__).parents[1] / "examples" / "stage_rules.yaml"
    cover = ["frontier", str(stages), "--rule", "cover_without", "--country", "CN"]
    assert main([*cover, "--stage", "oxide", "--material", "NdPr", "--points", "1"]) == 0
    assert "50.0000            5,320" in capsys.readouterr().out
    assert main(["frontier", example, "--rule", "max_share", "--measure", "value"]) == 2
    assert "counts tonnes" in capsys.readouterr().err


def test_a_rule_in_value_is_priced_per_money_of_value() -> None:
    """examples/us_credit.yaml's least share through the group counts value: the result knows
    the rule is in value, and its shadow price (0.71 = 20 USD a point / 28.57 USD of value a
    point) reads per USD of value, not per tonne."""
    result = optiree.solve(
        optiree.load_problem(Path(__file__).parents[1] / "examples/us_credit.yaml")
    )
    assert result.in_value == frozenset({"origin.fta"})
    row = result.constraints.set_index("constraint").loc["origin_min_share(fta,NdPr,P1)"]
    assert row["shadow_price"] == pytest.approx(
        row["cost_per_point"] / (0.01 * 2857.142857), rel=1e-6
    )
    summary = result.summary()
    assert "USD per tonne of tightening, USD of value for a rule in value;" in summary
    prices = optiree.sensitivity(result)
    assert prices.in_value == result.in_value
    assert "origin_min_share origin.fta NdPr: 0.71 per USD of value (P1)" in prices.summary()
