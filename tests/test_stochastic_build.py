"""The extensive form built faster is the same LP (optiree.disruption.stochastic.extensive).

The scenarios are applied without checking each alone again (``apply_checked``), those that
only cut supply are prepared from the faced problem's numbers and their own cap rows
(``TwoStage.prepared``), the expected cost is summed in one pass and the tie rows' names are
made once: each checked against the plain way on random problems, and the Japan case's
extensive LP written to MPS against one built the plain way.
"""

from pathlib import Path

import pulp
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from optiree import Problem, load_problem
from optiree.disruption.scenarios import apply, for_disruption
from optiree.disruption.stochastic import SEPARATOR, build_extensive, two_stage
from optiree.disruption.stochastic.extensive import first_stage_variables, fix_stock, tie
from optiree.disruption.stochastic.stages import TwoStage, fixed_stock
from optiree.disruption.sweep import random_scenarios
from optiree.errors import ScenarioError
from optiree.model import build
from optiree.prepare import prepare
from optiree.schema import Scenario
from tests.strategies import plant_investment_problems, problems, supply_problems
from tests.test_stochastic import EXAMPLES, scenario_lists

JAPAN = Path(__file__).resolve().parents[1] / "examples" / "japan_2026.yaml"


@st.composite
def staged(draw: st.DrawFn) -> tuple[Problem, list[Scenario], int]:
    """A random problem (some in other units, some with a chain and plants) and 1-3 scenarios
    of cuts, some with a price or demand change."""
    problem = draw(st.one_of(problems(), supply_problems(), plant_investment_problems()))
    assume(len(problem.periods) >= 2)
    commit = draw(st.integers(1, len(problem.periods) - 1))
    return problem, draw(scenario_lists(problem)), commit


@settings(max_examples=EXAMPLES, deadline=None)
@given(staged())
def test_scenarios_are_applied_and_prepared_as_one_by_one(
    case: tuple[Problem, list[Scenario], int],
) -> None:
    problem, scenarios, commit = case
    try:
        stages = two_stage(problem, scenarios, commit_periods=commit)
    except ScenarioError:  # a price change in some periods meets tiers with their own price
        faced = for_disruption(problem).derive(scenarios=[])
        with pytest.raises(ScenarioError):
            [apply(faced, s, from_period=problem.periods[commit]) for s in scenarios]
        return
    assert stages.capped == {s.name for s in scenarios if not (s.sources or s.demand)}
    prepared = dict(stages.prepared())
    assert list(prepared) == list(stages.problems)
    for scenario, data in zip(stages.problem.scenarios, prepared.values(), strict=True):
        alone = apply(stages.faced, scenario, from_period=stages.revealed)
        assert stages.problems[scenario.name] == alone, scenario.name
        assert data == prepare(alone), scenario.name


@settings(max_examples=EXAMPLES, deadline=None)
@given(staged(), st.booleans())
def test_the_expected_cost_is_pulps_sum_term_by_term(
    case: tuple[Problem, list[Scenario], int], risky: bool
) -> None:
    problem, scenarios, commit = case
    stages = two_stage(problem, scenarios, commit_periods=commit)
    extensive = build_extensive(stages, {"weight": 0.5} if risky else None)
    p = stages.probability
    plain = pulp.lpSum(p[s] * model.objective for s, model in extensive.models.items())
    got = extensive.expected_cost
    assert repr(got.constant) == repr(plain.constant)
    assert [(v.name, repr(x)) for v, x in got.items()] == [
        (v.name, repr(x)) for v, x in plain.items()
    ]
    assert all(a is b for a, b in zip(got, plain, strict=True))


def _plain_extensive(stages: TwoStage, stock: dict[str, float]) -> pulp.LpProblem:
    """The extensive LP built the plain way: each scenario prepared from scratch, its rows
    tied one by one, the expected cost summed by PuLP."""
    lp = pulp.LpProblem("Japan_rare_earths_2026_2027_stochastic", pulp.LpMinimize)
    models = {}
    for scenario, problem in stages.problems.items():
        prefix = f"{scenario}{SEPARATOR}"
        models[scenario] = build(prepare(problem), lp=lp, prefix=prefix)
        fix_stock(models[scenario], stock, stages.committed[-1], prefix)
    first, *others = stages.problems
    shared = first_stage_variables(models[first], stages.committed)
    for scenario in others:
        own = first_stage_variables(models[scenario], stages.committed)
        tie(lp, own, shared, f"{scenario}{SEPARATOR}")
    p = stages.probability
    lp.setObjective(pulp.lpSum(p[s] * model.objective for s, model in models.items()))
    return lp


def test_the_japan_extensive_lp_is_the_one_built_the_plain_way(tmp_path: Path) -> None:
    japan = load_problem(JAPAN)
    stages = two_stage(japan, random_scenarios(japan, 20, seed=2026), commit_periods=2)
    stock = {"Dy": 5.0}
    assert len(stages.capped) == 20  # random cuts only: every scenario takes the short way
    built = build_extensive(stages, first_stage_stock=stock).lp
    built.writeMPS(tmp_path / "built.mps")
    _plain_extensive(stages, fixed_stock(stages, stock)).writeMPS(tmp_path / "plain.mps")
    assert (tmp_path / "built.mps").read_bytes() == (tmp_path / "plain.mps").read_bytes()
