"""Scenario trees of more than two stages (optiree.disruption.stochastic.tree).

A three-stage case solved by hand with every solver, a tree of two stages that is exactly the
two-stage problem, WS <= RP <= EEV on random small trees, and the checks of a tree.
"""

import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import optiree
from optiree import Problem
from optiree.cli import main
from optiree.disruption.stochastic import StochasticError, solve_stochastic
from optiree.disruption.stochastic.tree import ScenarioTree, tree_stages
from optiree.solve import SolverName
from tests.test_stochastic import _embargo_now_or_later

ROOT = Path(__file__).resolve().parents[1]
RELATIVE = 1e-6


def _lasting_embargo() -> Problem:
    """Dy for three periods; China may stop in P2, and if it does, it may go on in P3.

    Demand 10 t a period; China 100/t (30 t a period), Lynas 200/t (5 t a period, never
    stopped); holding 40/t a period; a tonne short costs 1,000. The tree (:func:`_tree`): P1 is
    decided now; in P2 China sells (calm, 1/2) or not (embargo, 1/2); after an embargo in P2,
    China stays away in P3 (continues, 1/2) or comes back (ends, 1/2).

    With y t carried into P2 (bought from China in P1, 140/t with holding), P1 costs
    1,000 + 140 y. Calm then buys what it lacks from China: 3,000 + 40 y (y <= 10), 40 more a
    tonne carried on into P3 beyond 10. At the embargo node a tonne carried into P3 saves,
    given the embargo, 1/2 x 1,000 + 1/2 x 100 = 550 while P3 would be short in `continues`
    (its Lynas covers 5 t), then 1/2 x 200 + 1/2 x 100 = 150; Lynas bought in P2 and carried
    costs 240, stock carried 40, a tonne short in P2 1,000. So the node covers P2 first, then
    carries up to 5 t. The embargo branch's cost (P1 to P3, mean of its two leaves) has the
    slope 140 - 1,000 on y in [0, 5] (stock instead of shortage), 140 + 40 - 550 in [5, 10]
    (freed Lynas carried), 140 - 200 in [10, 15] (stock carried instead of Lynas). The expected
    cost's slope is 1/2 x 40 + 1/2 x (-860) = -410, then 20 + 1/2 x (-370) = -165, then
    1/2 x 80 + 1/2 x (-60) = +10: y = 10, unique.

    - **Decisions.** Root: buy 20 t from China in P1, stock 10. Embargo node: buy the 5 t of
      Lynas in P2, stock 5 into P3 (P2's demand from stock).
    - **RP.** calm 2,400 + 1,000 (P3 from China) = 3,400; continues 2,400 + 1,000 + 200 (the
      Lynas and its holding) + 1,000 (Lynas in P3) = 4,600; ends 2,400 + 1,200 + 500 = 4,100.
      RP = 1/2 x 3,400 + 1/4 x 4,600 + 1/4 x 4,100 = 3,875.
    - **WS.** calm alone 3,000; continues alone buys 30 t in P1 (carried at 140 and 180/t,
      less than Lynas at 200 or 240): 3,000 + 800 + 400 = 4,200; ends alone buys 20 t in P1:
      2,400 + 1,000 = 3,400. WS = 1,500 + 1,050 + 850 = 3,400: EVPI = 475.
    - **EEV** (the root's decisions at the EV problem's, the rest of the tree at its best).
      The EV problem can buy 15 t from China in P2 (1/2 x 30) and 22.5 t in P3, more than
      demand: it carries nothing (y = 0, unique: holding costs 40). Then calm costs 3,000;
      the embargo node has no stock: Lynas 5 t (1,000) and 5 t short (5,000) in P2, nothing
      carried; continues 1,000 + 6,000 + 1,000 + 5,000 = 13,000, ends 1,000 + 6,000 + 1,000 =
      8,000. EEV = 1,500 + 3,250 + 2,000 = 6,750: VSS = 2,875.
    """
    document: dict[str, Any] = {
        "name": "an embargo that may last",
        "periods": ["P1", "P2", "P3"],
        "materials": [{"id": "Dy"}],
        "reference_prices": {"Dy": 100},
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"Dy": 30}},
            {"id": "lynas", "country": "AU", "price_multiplier": 2.0, "capacity": {"Dy": 5}},
        ],
        "demand": {"Dy": 10},
        "stock": {"holding_cost": {"Dy": 40}},
        "shortage_penalty": {"Dy": 1000},
    }
    return Problem.model_validate(document)


def _tree(embargo: float = 0.5, lasting: float = 0.5) -> dict[str, Any]:
    return {
        "nodes": [
            {"name": "now"},
            {"name": "calm", "parent": "now", "probability": 1 - embargo, "revealed": "P2"},
            {
                "name": "embargo",
                "parent": "now",
                "probability": embargo,
                "revealed": "P2",
                "disruptions": [{"country": "CN", "start": "P2", "length": 1}],
            },
            {
                "name": "continues",
                "parent": "embargo",
                "probability": lasting,
                "revealed": "P3",
                "disruptions": [{"country": "CN", "start": "P3"}],
            },
            {"name": "ends", "parent": "embargo", "probability": 1 - lasting, "revealed": "P3"},
        ]
    }


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_three_stages_by_hand(solver: SolverName) -> None:
    result = solve_stochastic(_lasting_embargo(), tree=_tree(), solver=solver)
    assert result.is_optimal
    assert result.objective == pytest.approx(3875, rel=RELATIVE)
    assert result.wait_and_see == pytest.approx(3400, rel=RELATIVE)
    assert result.expected_value_cost == pytest.approx(6750, rel=RELATIVE)
    assert result.evpi == pytest.approx(475, rel=RELATIVE)
    assert result.vss == pytest.approx(2875, rel=RELATIVE)
    costs = result.scenario_costs.set_index("scenario")
    assert costs["probability"].to_dict() == {"calm": 0.5, "continues": 0.25, "ends": 0.25}
    assert costs["cost"].to_dict() == pytest.approx({"calm": 3400, "continues": 4600, "ends": 4100})
    assert costs["cost_wait_and_see"].to_dict() == pytest.approx(
        {"calm": 3000, "continues": 4200, "ends": 3400}
    )
    assert costs["cost_expected_value"].to_dict() == pytest.approx(
        {"calm": 3000, "continues": 13000, "ends": 8000}
    )
    decided = result.node_decisions.set_index(["node", "decision", "item", "period"])["value"]
    assert decided.to_dict() == pytest.approx(
        {
            ("now", "buy", "china", "P1"): 20,
            ("now", "buy", "lynas", "P1"): 0,
            ("now", "stock", "Dy", "P1"): 10,
            ("now", "short", "Dy", "P1"): 0,
            ("embargo", "buy", "china", "P2"): 0,
            ("embargo", "buy", "lynas", "P2"): 5,
            ("embargo", "stock", "Dy", "P2"): 5,
            ("embargo", "short", "Dy", "P2"): 0,
        },
        abs=1e-6,
    )
    assert result.first_stage["value"].tolist() == pytest.approx([20, 0, 10, 0], abs=1e-6)
    # each leaf's recourse keeps its node's decisions
    assert result.recourse["continues"].total_cost == pytest.approx(4600, rel=RELATIVE)
    assert "node_decisions" in result.tables()
    assert "Decisions at each node" in result.summary()


def test_the_leaves_problems_compose_their_paths() -> None:
    stages = tree_stages(_lasting_embargo(), _tree())
    assert stages.probability == {"calm": 0.5, "continues": 0.25, "ends": 0.25}
    assert [(d.node, d.leaves, d.periods) for d in stages.nodes] == [
        ("now", ("calm", "continues", "ends"), ("P1",)),
        ("embargo", ("continues", "ends"), ("P2",)),
    ]
    caps = {c.id: c.periods for c in stages.problems["continues"].caps}
    assert caps == {"embargo.d1": ["P2"], "continues.d1": ["P3"]}
    assert [c.id for c in stages.problems["ends"].caps] == ["embargo.d1"]


@pytest.mark.parametrize("risk", [None, {"cvar_alpha": 0.95, "weight": 0.5}])
def test_a_tree_of_two_stages_is_the_two_stage_problem(risk: dict[str, float] | None) -> None:
    problem = _embargo_now_or_later()
    nodes: list[dict[str, Any]] = [{"name": "root"}]
    nodes += [
        {**s.model_dump(exclude_defaults=True), "parent": "root", "revealed": "P2"}
        for s in problem.scenarios
    ]
    tree = solve_stochastic(problem, tree={"nodes": nodes}, risk=risk)
    two = solve_stochastic(problem, risk=risk)
    assert tree.summary() == two.summary()
    for name, table in two.tables().items():
        assert tree.tables()[name].equals(table)
    assert (tree.objective, tree.wait_and_see, tree.expected_value_cost) == (
        two.objective,
        two.wait_and_see,
        two.expected_value_cost,
    )


@st.composite
def _trees(draw: st.DrawFn) -> dict[str, Any]:
    """The hand case's shape with random probabilities, cuts and lengths."""

    def cut(start: str) -> list[dict[str, Any]]:
        share = draw(st.sampled_from([None, 0.5, 1.0]))
        return [] if share is None else [{"country": "CN", "start": start, "cut": share}]

    embargo = draw(st.sampled_from([0.1, 0.5, 0.9]))
    lasting = draw(st.sampled_from([0.2, 0.5, 1.0]))
    tree = _tree(embargo, lasting)
    for node, start in zip(tree["nodes"][1:], ["P2", "P2", "P3", "P3"], strict=True):
        node["disruptions"] = cut(start)
    return tree


@settings(max_examples=12, deadline=None)
@given(tree=_trees(), risk=st.sampled_from([None, {"cvar_alpha": 0.8, "weight": 0.5}]))
def test_ws_rp_eev_are_ordered_on_random_trees(
    tree: dict[str, Any], risk: dict[str, float] | None
) -> None:
    result = solve_stochastic(_lasting_embargo(), tree=tree, risk=risk)
    assert result.wait_and_see is not None
    assert result.objective is not None
    assert result.expected_value_cost is not None
    slack = RELATIVE * abs(result.objective)
    assert result.wait_and_see <= result.objective + slack
    assert result.objective <= result.expected_value_cost + slack or math.isinf(
        result.expected_value_cost
    )
    assert result.evpi is not None
    assert result.evpi >= -slack
    assert result.vss is not None
    assert result.vss >= -slack


def test_a_tree_that_changes_nothing_is_the_problem_itself() -> None:
    tree = _tree()
    for node in tree["nodes"]:
        node.pop("disruptions", None)
    problem = _lasting_embargo()
    result = solve_stochastic(problem, tree=tree)
    alone = optiree.solve(problem)
    assert alone.total_cost == pytest.approx(3000)
    for figure in (result.objective, result.wait_and_see, result.expected_value_cost):
        assert figure == pytest.approx(alone.total_cost, rel=RELATIVE)


def _with(index: int, **changes: Any) -> dict[str, Any]:
    tree = _tree()
    tree["nodes"][index] = {**tree["nodes"][index], **changes}
    return tree


@pytest.mark.parametrize(
    ("tree", "where", "words"),
    [
        (_with(2, name="calm"), ("nodes", 2, "name"), "duplicate node 'calm'"),
        (_with(1, parent=None, revealed=None, probability=None), ("nodes",), "one root"),
        (_with(1, probability=0.6), ("nodes", 2, "probability"), "sum to 1.1, not 1"),
        (_with(1, probability=None), ("nodes", 2, "probability"), "for every child"),
        (_with(4, revealed="P2"), ("nodes", 4, "revealed"), "different periods"),
        (_with(3, parent="nowhere"), ("nodes", 3, "parent"), "no node 'nowhere'"),
        (_with(2, revealed=None), ("nodes", 2, "revealed"), "the period the node is known"),
        (_with(0, revealed="P1"), ("nodes", 0), "the root has no 'revealed'"),
    ],
)
def test_a_bad_tree_names_its_field(
    tree: dict[str, Any], where: tuple[Any, ...], words: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        ScenarioTree.model_validate(tree)
    assert any(e["loc"] == where and words in e["msg"] for e in caught.value.errors()), (
        caught.value.errors()
    )


@pytest.mark.parametrize(
    ("revealed", "words"),
    [("P9", "'P9' is not a period of the problem (P1, P2, P3)"), ("P2", "is not after 'P2'")],
)
def test_a_tree_against_the_problem_names_its_field(revealed: str, words: str) -> None:
    tree = _with(3, revealed=revealed)
    tree = {"nodes": [*tree["nodes"][:4], {**tree["nodes"][4], "revealed": revealed}]}
    with pytest.raises(ValidationError) as caught:
        solve_stochastic(_lasting_embargo(), tree=tree)
    errors = caught.value.errors()
    assert errors[0]["loc"] == ("nodes", 3, "revealed"), errors
    assert words in errors[0]["msg"], errors


def test_a_node_that_names_what_the_problem_lacks_names_its_field() -> None:
    tree = _tree()
    tree["nodes"][3]["disruptions"] = [{"country": "XX", "start": "P3"}]
    with pytest.raises(ValidationError, match="unknown country 'XX'") as caught:
        solve_stochastic(_lasting_embargo(), tree=tree)
    assert caught.value.errors()[0]["loc"] == ("nodes", 3, "disruptions", 0, "country")


def test_a_tree_takes_no_scenarios_nor_commit_periods() -> None:
    problem = _embargo_now_or_later()
    with pytest.raises(StochasticError, match="without scenarios and commit_periods"):
        solve_stochastic(_lasting_embargo(), tree=_tree(), commit_periods=2)
    with pytest.raises(StochasticError, match="without scenarios and commit_periods"):
        solve_stochastic(_lasting_embargo(), problem.scenarios, tree=_tree())


def test_the_docs_show_the_tree_as_it_prints() -> None:
    page = (ROOT / "docs" / "stochastic.md").read_text(encoding="utf-8")
    start = page.index("## Scenario trees")
    section = page[start : page.index("\n## ", start)]
    (shown,) = re.findall(r"```text\n(.*?)```", section, re.S)
    result = solve_stochastic(_lasting_embargo(), tree=_tree())
    assert shown.strip() == result.summary().strip()


def _files(tmp_path: Path, tree: dict[str, Any]) -> tuple[str, str]:
    """The hand-worked problem and ``tree`` written as files: their paths."""
    problem, tree_file = tmp_path / "problem.json", tmp_path / "tree.yaml"
    problem.write_text(_lasting_embargo().model_dump_json(), encoding="utf-8")
    tree_file.write_text(yaml.safe_dump(tree), encoding="utf-8")
    return str(problem), str(tree_file)


def test_the_command_solves_a_tree_file_as_the_library_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problem, tree = _files(tmp_path, _tree())
    assert main(["stochastic", problem, "--tree", tree]) == 0
    printed = capsys.readouterr().out
    assert printed.strip() == solve_stochastic(_lasting_embargo(), tree=_tree()).summary().strip()
    assert "Objective, RP                                    3,875" in printed


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (["--scenarios", "3"], "drop --scenarios"),
        (["--commit", "2"], "drop --commit"),
        (["--score", "5", "--price-move", "lynas=1:2"], "drop --score, --price-move"),
    ],
)
def test_the_command_refuses_flags_a_tree_replaces(
    change: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problem, tree = _files(tmp_path, _tree())
    assert main(["stochastic", problem, "--tree", tree, *change]) == 2
    assert words in capsys.readouterr().err


def test_the_command_names_a_wrong_node_in_the_tree_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = _tree()
    for sibling in tree["nodes"][3:]:
        sibling["revealed"] = "P9"
    problem, tree_file = _files(tmp_path, tree)
    assert main(["stochastic", problem, "--tree", tree_file]) == 2
    error = capsys.readouterr().err
    assert tree_file in error
    assert "nodes.3.revealed" in error
    assert "'P9' is not a period of the problem" in error
    assert main(["stochastic", problem, "--tree", str(tmp_path / "none.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err
