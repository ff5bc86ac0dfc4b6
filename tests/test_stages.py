"""Stages: a product chain of sources and facilities, flows along each path.

Hand-solved chains on every solver (plan, cost, the shadow prices of the facility rows checked
by finite difference, each optimum unique), properties over random problems (a problem is a
one-stage chain; a chain of pass-through facilities costs what the sources alone cost; stage
shares add up to one), and every validation error of the stage input, at its field.
"""

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import optiree
from optiree import Problem, Result
from optiree.io import read_document
from optiree.schema import MAX_PATHS
from optiree.solve import SolverName
from tests.checker import check
from tests.strategies import problems, supply_documents
from tests.unique import assert_unique

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "stages.yaml"
Document = dict[str, Any]


def _solve(document: Document, solver: SolverName = "highs") -> tuple[Problem, Result]:
    problem = Problem.model_validate(document)
    result = optiree.solve(problem, solver)
    assert result.status == "optimal", result.message
    assert check(problem, result) == []
    return problem, result


def _cost(document: Document, solver: SolverName = "highs") -> float:
    cost = _solve(document, solver)[1].total_cost
    assert cost is not None
    return cost


def _bought(result: Result) -> dict[str, float]:
    rows = result.purchases[result.purchases["tonnes"] > 1e-9]
    return {str(s): float(x) for s, x in zip(rows["source"], rows["tonnes"], strict=True)}


def _shadow(result: Result, row: str) -> float:
    return float(result.constraints.set_index("constraint").loc[row, "shadow_price"])


def _approx(value: object) -> Any:
    return pytest.approx(value, rel=1e-6, abs=1e-6)


def _with_capacity(document: Document, facility: int, capacity: float) -> Document:
    changed = copy.deepcopy(document)
    changed["facilities"][facility]["capacity"] = capacity
    return changed


def _example() -> Document:
    return read_document(EXAMPLE)


# -- hand-solved chains ---------------------------------------------------------------------------


def test_two_stages_mine_to_separator(solver: SolverName) -> None:
    """Demand 50 t of NdPr oxide. Mt Weld sells concentrate at 50/t (80 t); Kuantan
    separates it at 20 per tonne taken in, recovering 95 %: a tonne of oxide from Mt Weld costs
    (50 + 20) / 0.95 = 73.684..., less than China's 100. Kuantan's 100 t do not bind.

    - Plan: 50 / 0.95 = 52.63 t of concentrate from Mt Weld, none from China.
    - Cost: 52.63 x 70 = 3,684.21.
    - Shadow price of balance(NdPr,P1): 70 / 0.95 = 73.684 (one more tonne from Mt Weld).
    """
    document = _example()
    document["sources"] = [document["sources"][0], document["sources"][2]]
    document["facilities"][0]["takes_from"] = ["mtweld"]
    document["demand"] = {"NdPr": 50}
    problem, result = _solve(document, solver)
    assert _bought(result) == {"mtweld": _approx(50 / 0.95)}
    assert result.total_cost == _approx(50 / 0.95 * 70)
    assert _shadow(result, "balance(NdPr,P1)") == _approx(70 / 0.95)
    assert _shadow(result, "facility(kuantan,P1)") == _approx(0.0)
    assert_unique(problem, ["balance(NdPr,P1)"])


def test_shared_separator_binds(solver: SolverName) -> None:
    """The example (examples/stages.yaml): Mt Weld (50/t, 80 t) and Kalgoorlie (60/t, 60 t)
    share Kuantan (100 t in, 95 % out, 20 per tonne in); China sells oxide at 100. Per tonne
    of oxide: Mt Weld 70 / 0.95 = 73.7, Kalgoorlie 80 / 0.95 = 84.2, China 100.

    - Plan: Kuantan full, Mt Weld 80 t and Kalgoorlie 20 t in: 95 t of oxide; China 25 t.
    - Cost: 80 x 50 + 20 x 60 + 100 x 20 + 25 x 100 = 9,700.
    - Shadow price of facility(kuantan,P1): one more tonne in is Kalgoorlie's, 0.95 t of oxide
      at 80 instead of China's 95: 95 - 80 = 15. Of balance(NdPr,P1): China's 100.
    """
    document = _example()
    problem, result = _solve(document, solver)
    assert _bought(result) == {"mtweld": _approx(80), "kalgoorlie": _approx(20), "china": 25}
    assert result.total_cost == _approx(9_700)
    costs = result.costs.set_index(["component", "item"])["cost"]
    assert costs["processing", "kuantan"] == _approx(2_000)
    assert _shadow(result, "facility(kuantan,P1)") == _approx(15)
    assert _shadow(result, "balance(NdPr,P1)") == _approx(100)
    looser = _cost(_with_capacity(document, 0, 101), solver)
    assert looser - 9_700 == _approx(-15)  # the shadow price, by finite difference
    assert_unique(problem, ["facility(kuantan,P1)", "balance(NdPr,P1)"])
    kuantan = result.flows[result.flows["node"] == "kuantan"]
    assert kuantan["tonnes_in"].sum() == _approx(100)
    assert kuantan["tonnes"].sum() == _approx(95)


THREE_STAGES: Document = {
    "name": "three stages",
    "stages": ["ore", "oxide", "magnet"],
    "materials": [{"id": "NdPr"}],
    "reference_prices": {"NdPr": 60},
    "sources": [
        {"id": "mine", "country": "AU", "stage": "ore", "capacity": {"NdPr": 100},
         "prices": {"NdPr": 10}},
        {"id": "cnmagnets", "country": "CN", "capacity": {"NdPr": 100}},
    ],
    "facilities": [
        {"id": "separator", "stage": "oxide", "country": "MY", "capacity": 200,
         "output_per_input": 0.9, "processing_cost": 5, "takes_from": ["mine"]},
        {"id": "magnets", "stage": "magnet", "country": "JP", "capacity": 60,
         "output_per_input": 0.8, "processing_cost": 20, "takes_from": ["separator"]},
    ],
    "demand": {"NdPr": 50},
}  # fmt: skip


def test_three_stages(solver: SolverName) -> None:
    """Ore (AU, 10/t) -> separator (MY, 90 %, 5 per t in) -> magnet maker (JP, 80 %, 20 per
    t in, 60 t in); Chinese magnets at 60. A tonne of ore entering costs 10 + 5 + 0.9 x 20 =
    33 and makes 0.72 t of magnet: 45.83 a tonne, less than China's 60.

    - Plan: the magnet maker full: 60 t of oxide in, from 60 / 0.9 = 66.67 t of ore, making
      48 t of magnet; China the other 2 t.
    - Cost: 66.67 x 33 + 2 x 60 = 2,320.
    - Shadow price of facility(magnets,P1): one more tonne of oxide in needs 1 / 0.9 t of ore
      (36.67) and replaces 0.8 t of China's magnets (48): 11.33.
    """
    problem, result = _solve(THREE_STAGES, solver)
    assert _bought(result) == {"mine": _approx(60 / 0.9), "cnmagnets": _approx(2)}
    assert result.total_cost == _approx(60 / 0.9 * 33 + 120)
    shadow = 0.8 * 60 - 33 / 0.9
    assert _shadow(result, "facility(magnets,P1)") == _approx(shadow)
    assert _shadow(result, "facility(separator,P1)") == _approx(0.0)
    looser = _cost(_with_capacity(THREE_STAGES, 1, 61), solver)
    assert looser - result.total_cost == _approx(-shadow)
    assert_unique(problem, ["facility(magnets,P1)"])
    shares = result.stage_shares.set_index(["stage", "country"])
    assert shares.loc[("ore", "AU"), "tonnes"] == _approx(60 / 0.9)
    # China's magnets count at every stage up to theirs: 2 t of the oxide stage is CN
    assert shares.loc[("oxide", "MY"), "share"] == _approx(60 / 62)
    assert shares.loc[("ore", "CN"), "tonnes"] == _approx(2)
    assert shares.loc[("magnet", "JP"), "share"] == _approx(48 / 50)
    assert shares.loc[("magnet", "CN"), "share"] == _approx(2 / 50)
    # the existing rules count the delivered magnet by its source's country: AU
    assert dict(zip(result.shares["country"], result.shares["tonnes"], strict=True)) == {
        "AU": _approx(48),
        "CN": _approx(2),
    }


def test_country_rule_counts_the_tonnes_that_reach_demand() -> None:
    """At most 90 % of the magnets from AU (the mine's country, as today): 45 t of the 50 come
    through the chain, 5 t from China."""
    document = copy.deepcopy(THREE_STAGES)
    document["security"] = {"max_country_share": {"AU": 0.9}}
    _, result = _solve(document)
    assert _bought(result) == {"mine": _approx(45 / 0.72), "cnmagnets": _approx(5)}


# -- properties -----------------------------------------------------------------------------------


@settings(max_examples=max(20, settings().max_examples // 5))
@given(problem=problems())
def test_one_stage_chain_is_a_source(problem: Problem) -> None:
    """Naming one stage changes nothing: every source is at it, the plan and cost are as
    without stages."""
    plain = optiree.solve(problem)
    staged = optiree.solve(problem.derive(stages=["oxide"]))
    assert staged.status == plain.status
    if plain.status != "optimal":
        return
    assert staged.total_cost == plain.total_cost
    assert staged.purchases["tonnes"].tolist() == plain.purchases["tonnes"].tolist()
    keys = ["material", "period", "country"]
    shares = plain.shares.set_index(keys)["share"].sort_index()
    at_stage = staged.stage_shares.set_index(keys)["share"].sort_index()
    assert at_stage.index.tolist() == shares.index.tolist()
    assert at_stage.tolist() == pytest.approx(shares.tolist(), nan_ok=True)


def _through_pass(document: Document) -> Document:
    """``document`` with every source at a first stage and a facility of its own (yield 1, no
    cost, room for all) carrying it to the last."""
    chained = copy.deepcopy(document)
    chained["stages"] = ["ore", "oxide"]
    facilities = []
    for source in chained["sources"]:
        source["stage"] = "ore"
        facilities.append(
            {
                "id": f"{source['id']}_plant",
                "stage": "oxide",
                "country": source["country"],
                "capacity": 1e6,
                "takes_from": [source["id"]],
            }
        )
    chained["facilities"] = facilities
    return chained


@settings(max_examples=max(20, settings().max_examples // 5))
@given(document=supply_documents(), solver=st.sampled_from(["highs", "cbc"]))
def test_pass_through_chain_costs_what_its_sources_cost(
    document: Document, solver: SolverName
) -> None:
    """A facility that passes everything on at no cost changes no cost (feeds, separation,
    contracts, caps and units included), the checker finds nothing wrong in the chained plan,
    and the shares of each stage add up to one."""
    plain = optiree.solve(Problem.model_validate(document), solver)
    chained_problem = Problem.model_validate(_through_pass(document))
    chained = optiree.solve(chained_problem, solver)
    assert chained.status == plain.status
    if plain.status != "optimal":
        return
    assert chained.total_cost == pytest.approx(plain.total_cost, rel=1e-6, abs=1e-6)
    assert check(chained_problem, chained) == []
    shares = chained.stage_shares.dropna(subset=["share"])
    sums = shares.groupby(["stage", "material", "period"])["share"].sum()
    assert sums.to_numpy() == pytest.approx(1.0)


def test_origin_shares_from_the_flows_add_up_to_one() -> None:
    """The share of each origin in what reaches the last stage, computed from the flows
    table alone, adds up to one, and matches the shares table."""
    _, result = _solve(_example())
    flows = result.flows
    last = flows[flows["stage"] == "oxide"]
    by_origin = last.groupby(["source"])["tonnes"].sum()
    origin_share = by_origin / by_origin.sum()
    assert origin_share.sum() == _approx(1)
    assert origin_share.to_dict() == {
        "mtweld": _approx(76 / 120),
        "kalgoorlie": _approx(19 / 120),
        "china": _approx(25 / 120),
    }


def test_a_problem_without_stages_has_no_stage_tables() -> None:
    result = optiree.solve(optiree.load_problem(ROOT / "examples" / "japan_2026.yaml"))
    assert "flows" not in result.tables()
    assert "stage_shares" not in result.tables()
    assert result.flows.empty


def test_checker_finds_a_facility_over_capacity() -> None:
    """The checker reads the facility rows itself: the same plan held to a smaller Kuantan is
    reported, by its row."""
    _, result = _solve(_example())
    smaller = Problem.model_validate(_with_capacity(_example(), 0, 90))
    found = check(smaller, result, duals=False)
    assert any(v.startswith("facility(kuantan,P1)") for v in found), found


def test_verify_refuses_flows_that_break_a_yield() -> None:
    """verify reads the flows table: a facility putting out more than its yield is caught."""
    from optiree.prepare import prepare  # noqa: PLC0415
    from optiree.verify import verify  # noqa: PLC0415

    problem, result = _solve(_example())
    tables = result.tables()
    flows = tables["flows"].copy()
    flows.loc[flows["node"] == "kuantan", "tonnes"] *= 1.01
    tables["flows"] = flows
    worst = verify(prepare(problem), tables)
    assert "kuantan" in worst.row or "balance" in worst.row
    assert worst.relative > 1e-3


# -- validation -----------------------------------------------------------------------------------


def _errors(document: Document) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        Problem.model_validate(document)
    return [(tuple(e["loc"]), e["msg"]) for e in caught.value.errors()]


def _changed(change: Any) -> Document:
    document = _example()
    change(document)
    return document


@pytest.mark.parametrize(
    ("change", "loc", "words"),
    [
        (
            lambda d: d["facilities"][0].update(stage="metal"),
            ("facilities", 0, "stage"),
            "unknown stage 'metal'",
        ),
        (
            lambda d: d["sources"][0].update(stage="ore"),
            ("sources", 0, "stage"),
            "unknown stage 'ore'",
        ),
        (lambda d: d.pop("stages"), ("facilities",), "name the stages"),
        (
            lambda d: d["facilities"][0].update(takes_from=["kuantan"]),
            ("facilities", 0, "takes_from", 0),
            "takes from itself",
        ),
        (
            lambda d: d["facilities"][0].update(takes_from=["mtweld", "lynas"]),
            ("facilities", 0, "takes_from", 1),
            "unknown source or facility 'lynas'",
        ),
        (
            lambda d: d["facilities"][0].update(takes_from=["mtweld", "china"]),
            ("facilities", 0, "takes_from", 1),
            "not before it",
        ),
        (
            lambda d: d["facilities"][0].update(output_per_input=1.2),
            ("facilities", 0, "output_per_input"),
            "less than or equal to 1",
        ),
        (
            lambda d: d["facilities"][0].update(takes_from=["mtweld"]),
            ("sources", 1, "stage"),
            "no facility of the next stage takes from it",
        ),
        (
            lambda d: d.update(stages=["concentrate", "oxide", "concentrate"]),
            ("stages", 2),
            "duplicate stage",
        ),
        (
            lambda d: d["facilities"][0].update(id="china"),
            ("facilities", 0, "id"),
            "has a source's id",
        ),
        (
            lambda d: d["facilities"][0].update(stage="concentrate"),
            ("facilities", 0, "takes_from", 0),
            "not before it",
        ),
    ],
)
def test_bad_stage_input_names_the_field(change: Any, loc: tuple[Any, ...], words: str) -> None:
    found = _errors(_changed(change))
    assert any(at == loc and words in message for at, message in found), found


def test_a_route_that_skips_a_stage() -> None:
    document = copy.deepcopy(THREE_STAGES)
    document["facilities"][1]["takes_from"] = ["mine"]
    found = _errors(document)
    assert any(
        at == ("facilities", 1, "takes_from", 0) and "skipping 'oxide'" in message
        for at, message in found
    ), found


def test_a_facility_no_one_takes_from() -> None:
    document = copy.deepcopy(THREE_STAGES)
    document["facilities"].append(
        {"id": "other", "stage": "oxide", "country": "VN", "capacity": 10, "takes_from": ["mine"]}
    )
    found = _errors(document)
    assert any(at == ("facilities", 2, "id") and "no facility" in m for at, m in found), found


def test_too_many_paths_is_refused_before_listing_them() -> None:
    """10 mines and four stages of 10 facilities each taking from all 10 before: 10^5 paths."""
    stages = ["s0", "s1", "s2", "s3", "s4"]
    sources = [
        {"id": f"m{i}", "country": "AU", "stage": "s0", "capacity": {"NdPr": 1}} for i in range(10)
    ]
    facilities = [
        {
            "id": f"f{k}_{i}",
            "stage": stages[k],
            "country": "MY",
            "capacity": 1,
            "takes_from": [f"m{j}" if k == 1 else f"f{k - 1}_{j}" for j in range(10)],
        }
        for k in range(1, 5)
        for i in range(10)
    ]
    document = {
        "name": "many",
        "stages": stages,
        "materials": [{"id": "NdPr"}],
        "reference_prices": {"NdPr": 1},
        "sources": sources,
        "facilities": facilities,
        "demand": {"NdPr": 1},
    }
    found = _errors(document)
    assert found == [(("facilities",), found[0][1])]
    assert "100,000 paths" in found[0][1]
    assert f"{MAX_PATHS:,}" in found[0][1]


def test_the_input_reference_shows_the_example() -> None:
    """docs/input.md shows the chain of examples/stages.yaml as it is (its console block, run
    by tests/test_doc_snippets.py, shows what solving it prints)."""
    text = (ROOT / "docs" / "input.md").read_text()
    (block,) = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "stages:" in b]
    shown = yaml.safe_load(block)
    example = _example()
    assert shown == {key: example[key] for key in ("stages", "sources", "facilities")}
    assert "$ optiree solve examples/stages.yaml" in text


def test_stress_test_and_two_stage_model_carry_the_flows() -> None:
    """Two periods of the example, Australia cut off from P2. The plan (9,700 a period) is
    committed in P1, Kuantan full; in P2 China's 120 t cost 12,000: 21,700 in all, which the
    two-stage model finds too, deciding the same flows in P1."""
    document = _example()
    document["periods"] = ["P1", "P2"]
    document["stock"] = {"holding_cost": {"NdPr": 1}}  # buying ahead costs: one plan
    document["scenarios"] = [{"name": "cut", "disruptions": [{"country": "AU", "start": "P2"}]}]
    problem, plan = _solve(document)
    assert plan.total_cost == _approx(19_400)
    stress = optiree.stress_test(problem, plan, "cut", 1)
    assert stress.committed_cost == _approx(9_700)
    assert stress.total_cost == _approx(21_700)
    committed = stress.result.flows[stress.result.flows["period"] == "P1"]
    planned = plan.flows[plan.flows["period"] == "P1"]
    assert committed["tonnes"].tolist() == pytest.approx(planned["tonnes"].tolist())
    two_stage = optiree.solve_stochastic(problem)
    first = two_stage.first_stage
    flows = first[first["decision"] == "flow"].set_index("item")["value"]
    assert flows.to_dict() == {"mtweld>kuantan": _approx(80), "kalgoorlie>kuantan": _approx(20)}
    assert two_stage.expected_cost == _approx(21_700)
