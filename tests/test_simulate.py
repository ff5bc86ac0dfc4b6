"""Re-planning as a disruption unfolds (optiree.disruption.simulate): a case worked by hand,
properties on random small problems, the process's checks and the command.

The hand case: Dy over periods A and B; China (CN) sells at 100/t and Lynas (AU) at 150/t, up
to 100 t a period each; demand 40 t a period; holding 1 per tonne and period; a tonne short
costs 1,000. The process starts normal; from normal it stays normal with probability 3/4 and
turns to an embargo on China with 1/4; an embargo lasts. Two paths: normal-normal (3/4) and
normal-embargo (1/4).

- Policy ``lp`` (no stock target, the present state believed to last): in A, believing normal
  for good, it buys 40 t from China (4,000); in B it buys 40 t from China (4,000) on
  normal-normal, 40 t from Lynas (6,000) under the embargo. Costs 8,000 and 10,000; expected
  3/4 x 8,000 + 1/4 x 10,000 = 8,500.
- Policy ``stock:91.25`` (a period's demand, 40 t, as a strategic stock): A buys 80 t from
  China and keeps 40 t (8,040); B keeps its 40 t and buys 40 t, from China (4,040) or, under
  the embargo, from Lynas (6,040), since a tonne below target costs 1,000 / (2 x 2) = 250 a
  period: 12,080 and 14,080. Priced without stock targets, the same (nothing is below one).
- Foresight: normal-normal 8,000; normal-embargo buys 80 t from China in A and holds 40 t:
  8,040.
"""

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import optiree
from optiree.cli import main
from optiree.disruption.simulate import ALL, Process, simulate
from optiree.disruption.simulate.process import checked, every_path, sample_paths
from optiree.errors import ArgumentError
from optiree.solve import SolverName

from .strategies import whole_floats

FEW = max(5, settings.default.max_examples // 15)
"""Examples per property: each runs a simulation (a solve per period, policy and path)."""

HAND = {
    "name": "two periods",
    "periods": ["A", "B"],
    "period_days": 91.25,
    "materials": [{"id": "Dy"}],
    "reference_prices": {"Dy": 100},
    "sources": [
        {"id": "china", "country": "CN", "capacity": {"Dy": 100}},
        {"id": "lynas", "country": "AU", "price_multiplier": 1.5, "capacity": {"Dy": 100}},
    ],
    "demand": {"Dy": 40},
    "stock": {"holding_cost": {"Dy": 1}},
    "shortage_penalty": {"Dy": 1000},
    "scenarios": [{"name": "embargo", "disruptions": [{"country": "CN", "start": "A"}]}],
}
EMBARGO_MAY_COME = {
    "name": "embargo may come",
    "states": [{"name": "normal"}, {"name": "embargo", "scenario": "embargo"}],
    "transitions": {"normal": {"normal": 0.75, "embargo": 0.25}, "embargo": {"embargo": 1}},
}
NEVER = {"states": [{"name": "normal"}], "transitions": {"normal": {"normal": 1}}}


@pytest.fixture
def hand() -> optiree.Problem:
    return optiree.Problem.model_validate(HAND)


def test_hand_worked_expectation(hand: optiree.Problem, solver: SolverName) -> None:
    simulated = simulate(
        hand,
        EMBARGO_MAY_COME,
        ["lp", "stock:91.25"],
        paths=ALL,
        executor="serial",
        solver=solver,
        progress=False,
    )
    table = simulated.paths
    assert table["states"].tolist() == ["normal normal", "normal embargo"] * 2
    assert table["probability"].tolist() == pytest.approx([0.75, 0.25] * 2)
    assert table["cost"].tolist() == pytest.approx([8_000, 10_000, 12_080, 14_080], rel=1e-9)
    assert table["foresight"].tolist() == pytest.approx([8_000, 8_040] * 2, rel=1e-9)
    assert table["short"].sum() == pytest.approx(0.0, abs=1e-9)
    distribution = simulated.distribution.set_index("policy")
    assert distribution.loc["lp", "mean"] == pytest.approx(8_500, rel=1e-9)
    assert distribution.loc["stock:91.25", "mean"] == pytest.approx(12_580, rel=1e-9)
    assert distribution.loc["lp", "foresight"] == pytest.approx(8_010, rel=1e-9)
    assert distribution.loc["lp", "worst"] == pytest.approx(10_000, rel=1e-9)
    summary = simulated.summary()
    assert "8,500" in summary
    assert "12,580" in summary
    assert "optiree.Simulation" in simulated._repr_html_()
    assert set(simulated.tables()) == {"distribution", "paths"}


def test_lookahead_of_one_period(hand: optiree.Problem) -> None:
    """With ``lookahead=1`` each plan covers its own period only: on these paths nothing
    later would have changed what it buys, so it costs what the full window costs."""
    simulated = simulate(hand, EMBARGO_MAY_COME, paths=ALL, lookahead=1, progress=False)
    assert simulated.paths["cost"].tolist() == pytest.approx([8_000, 10_000], rel=1e-9)
    assert "Each plan looks 1 period ahead" in simulated.summary()


def test_the_standard_error_of_the_mean(hand: optiree.Problem) -> None:
    """lp costs 8,000 (3/4) and 10,000 (1/4), mean 8,500: the standard error is
    √(0.75² x 500² + 0.25² x 1,500²) = √281,250 = 530.33."""
    simulated = simulate(hand, EMBARGO_MAY_COME, paths=ALL, progress=False)
    row = simulated.distribution.iloc[0]
    assert row["se"] == pytest.approx(math.sqrt(281_250), rel=1e-9)
    assert "se [USD]" in simulated.summary()


SPIKE = {
    **HAND,
    "demand": {"Dy": {"A": 40, "B": 160}},
    "sources": [{"id": "china", "country": "CN", "capacity": {"Dy": 100}}],
}
"""The look-ahead case: demand 40 t in A, 160 t in B, China alone at 100/t up to 100 t a
period. Seeing B from A (the full window) buys 100 t in both and holds 60 t: 10,000 + 10,000
+ 60 = 20,060. A window of one period buys 40 t in A (4,000), then 100 t in B (10,000) and
leaves 60 t short (60,000): 74,000, 53,940 more."""


def test_a_window_of_one_period_costs_the_demand_it_did_not_see() -> None:
    problem = optiree.Problem.model_validate(SPIKE)
    full = simulate(problem, NEVER, paths=1, executor="serial", progress=False)
    one = simulate(problem, NEVER, paths=1, lookahead=1, executor="serial", progress=False)
    assert full.paths["cost"].tolist() == pytest.approx([20_060], rel=1e-9)
    assert one.paths["cost"].tolist() == pytest.approx([74_000], rel=1e-9)
    assert one.paths["short"].tolist() == pytest.approx([60], rel=1e-9)
    assert one.paths["foresight"].tolist() == pytest.approx([20_060], rel=1e-9)


def test_the_window_end_keeps_the_stock_target(hand: optiree.Problem) -> None:
    """A target of 91.25 days (40 t), 5 a tonne and period below it, the terminal price the
    replacement price, 100. A window of one period ending in A builds the stock as the
    full window does (40 x (5 + 100) = 4,200 left below against 4,040 to buy and hold it):
    12,080 on a calm path either way. Without the terminal rule it would leave the gap open
    in A and score 12,040: a shorter look-ahead looking cheaper for ignoring the future."""
    cheap_gap = hand.derive(
        security={"min_stock_days": {"Dy": 91.25}},
        stock=hand.stock.derive(below_target_cost={"Dy": 5}),
    )
    costs = [
        simulate(cheap_gap, NEVER, paths=1, lookahead=k, progress=False).paths["cost"][0]
        for k in (None, 1)
    ]
    assert costs == pytest.approx([12_080, 12_080], rel=1e-9)


@st.composite
def cases(draw: st.DrawFn) -> tuple[optiree.Problem, dict[str, Any]]:
    """A small problem (Dy, two or three periods, China and Lynas, a shortage penalty, maybe
    a strategic stock) with an embargo or cut by China, and a two-state process."""
    count = draw(st.integers(2, 3))
    periods = [f"P{i}" for i in range(1, count + 1)]
    cover = draw(st.sampled_from([None, 0.5, 1.0]))
    problem = {
        "name": "random",
        "periods": periods,
        "period_days": 91.25,
        "materials": [{"id": "Dy"}],
        "reference_prices": {"Dy": draw(whole_floats(50, 150))},
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"Dy": draw(whole_floats(0, 100))}},
            {
                "id": "lynas",
                "country": "AU",
                "price_multiplier": draw(st.sampled_from([1.2, 1.5, 2.0])),
                "capacity": {"Dy": draw(whole_floats(0, 60))},
            },
        ],
        "demand": {"Dy": {t: draw(whole_floats(0, 60)) for t in periods}},
        "stock": {"holding_cost": {"Dy": draw(whole_floats(0, 5))}},
        "shortage_penalty": {"Dy": draw(whole_floats(200, 2000))},
        "security": {"min_stock_cover": {"Dy": cover}} if cover else {},
        "scenarios": [
            {
                "name": "embargo",
                "disruptions": [
                    {"country": "CN", "start": "P1", "cut": draw(st.sampled_from([0.5, 1.0]))}
                ],
            }
        ],
    }
    stay = draw(st.sampled_from([0.5, 0.8, 1.0]))
    back = draw(st.sampled_from([0.0, 0.3]))
    process = {
        "states": [{"name": "normal"}, {"name": "embargo", "scenario": "embargo"}],
        "initial": draw(st.sampled_from(["normal", "embargo"])),
        "transitions": {
            "normal": {"normal": stay, "embargo": 1 - stay},
            "embargo": {"normal": back, "embargo": 1 - back},
        },
    }
    return optiree.Problem.model_validate(problem), process


@settings(max_examples=FEW)
@given(cases())
def test_a_process_that_never_leaves_normal_is_one_solve(
    case: tuple[optiree.Problem, dict[str, Any]],
) -> None:
    problem, _ = case
    bare = problem.derive(security={})  # no stock target: nothing priced differently
    simulated = simulate(bare, NEVER, paths=2, seed=1, executor="serial", progress=False)
    once = optiree.solve(bare)
    assert once.total_cost is not None
    for cost in simulated.paths["cost"]:
        assert cost == pytest.approx(once.total_cost, rel=1e-9, abs=1e-9)


@settings(max_examples=FEW)
@given(cases(), st.integers(0, 2**32 - 1))
def test_foresight_costs_no_more_than_any_policy(
    case: tuple[optiree.Problem, dict[str, Any]], seed: int
) -> None:
    problem, process = case
    simulated = simulate(
        problem,
        process,
        ["lp", "stock:0", "stock:45"],
        paths=3,
        seed=seed,
        executor="serial",
        progress=False,
    )
    table = simulated.paths
    assert (table["status"] == "optimal").all()
    assert (table["foresight"] <= table["cost"] + 1e-6 * table["cost"].abs().clip(lower=1)).all()


@settings(max_examples=FEW)
@given(cases(), st.integers(0, 2**32 - 1))
def test_a_lookahead_to_the_horizons_end_is_the_default(
    case: tuple[optiree.Problem, dict[str, Any]], seed: int
) -> None:
    """Today's results (the plan of every period to the horizon's end) are those of a
    look-ahead as long as the horizon, to the last digit."""
    problem, process = case
    full, horizon = (
        simulate(
            problem,
            process,
            ["stock:45"],
            paths=2,
            seed=seed,
            lookahead=k,
            executor="serial",
            progress=False,
        )
        for k in (None, len(problem.periods))
    )
    pd.testing.assert_frame_equal(full.paths, horizon.paths, check_exact=True)


@settings(max_examples=FEW)
@given(cases(), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_foresight_costs_no_more_than_any_lookahead(
    case: tuple[optiree.Problem, dict[str, Any]], lookahead: int, seed: int
) -> None:
    problem, process = case
    simulated = simulate(
        problem,
        process,
        ["lp", "stock:45"],
        paths=2,
        seed=seed,
        lookahead=lookahead,
        executor="serial",
        progress=False,
    )
    table = simulated.paths
    assert (table["status"] == "optimal").all()
    assert (table["foresight"] <= table["cost"] + 1e-6 * table["cost"].abs().clip(lower=1)).all()


def test_a_lookahead_short_of_rows_over_several_periods_is_refused(
    hand: optiree.Problem,
) -> None:
    quota = {"country": "CN", "max_tonnes": 70, "sum_over": ["periods"]}
    problem = hand.derive(caps=[quota])
    with pytest.raises(ArgumentError, match=r"cap A\.\.B"):
        simulate(problem, EMBARGO_MAY_COME, lookahead=1, progress=False)
    simulate(problem, EMBARGO_MAY_COME, paths=1, lookahead=2, progress=False)


@settings(max_examples=FEW)
@given(cases(), st.data())
def test_foresight_never_falls_when_a_disruption_is_added(
    case: tuple[optiree.Problem, dict[str, Any]], data: st.DataObject
) -> None:
    problem, process = case
    count = len(problem.periods)
    path = data.draw(
        st.lists(st.sampled_from(["normal", "embargo"]), min_size=count, max_size=count)
    )
    more = [*path]
    more[data.draw(st.integers(0, count - 1))] = "embargo"
    given_paths = process | {"transitions": None, "paths": [{"states": path}, {"states": more}]}
    foresight = simulate(problem, given_paths, executor="serial", progress=False).paths["foresight"]
    assert foresight[1] >= foresight[0] - 1e-9 * max(1.0, abs(foresight[0]))


def test_the_same_seed_gives_the_same_paths(hand: optiree.Problem) -> None:
    process = checked(Process.model_validate(EMBARGO_MAY_COME), hand)
    assert sample_paths(process, hand.periods, 50, 7) == sample_paths(process, hand.periods, 50, 7)
    assert sample_paths(process, hand.periods, 50, 7)[:10] == sample_paths(
        process, hand.periods, 10, 7
    )
    first = simulate(hand, EMBARGO_MAY_COME, paths=12, seed=3, progress=False)
    again = simulate(hand, EMBARGO_MAY_COME, paths=12, seed=3, progress=False)
    pd.testing.assert_frame_equal(first.paths, again.paths, check_exact=True)
    counts = first.paths["states"].value_counts()
    assert set(counts.index) <= {"normal normal", "normal embargo"}


def test_local_processes_give_the_serial_table(hand: optiree.Problem) -> None:
    serial = simulate(hand, EMBARGO_MAY_COME, paths=4, seed=2, executor="serial", progress=False)
    spread = simulate(hand, EMBARGO_MAY_COME, paths=4, seed=2, executor="processes", progress=False)
    pd.testing.assert_frame_equal(serial.paths, spread.paths, check_exact=True)


def test_every_path_sums_to_one(hand: optiree.Problem) -> None:
    process = Process.model_validate(EMBARGO_MAY_COME)
    listed = every_path(process, ["A", "B", "C"])
    assert math.fsum(p for _, p in listed) == pytest.approx(1.0)
    assert ("normal", "embargo", "normal") not in dict(listed)


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        (
            {"transitions": {"normal": {"normal": 0.7}, "embargo": {"embargo": 1}}},
            ("transitions", "normal"),
        ),
        ({"transitions": {"embargo": {"embargo": 1}}}, ("transitions", "normal")),
        ({"initial": "war"}, ("initial",)),
        (
            {"states": [{"name": "normal"}, {"name": "embargo", "scenario": "war"}]},
            ("states", 1, "scenario"),
        ),
        ({"paths": [{"states": ["normal"]}]}, ("paths", 0, "states")),
    ],
)
def test_a_process_that_does_not_fit_names_the_field(
    hand: optiree.Problem, change: dict[str, Any], loc: tuple[Any, ...]
) -> None:
    if "paths" in change:
        change = change | {"transitions": None}
    with pytest.raises(ValidationError) as raised:
        simulate(hand, EMBARGO_MAY_COME | change, progress=False)
    assert loc in [tuple(e["loc"]) for e in raised.value.errors()]


@pytest.mark.parametrize(
    "spike",
    [
        {"name": "spike", "sources": [{"source": "lynas", "price_factor": 2}]},
        {
            "name": "spike",
            "disruptions": [{"country": "CN", "start": "A"}],
            "demand": [{"material": "Dy", "factor": 2}],
        },
    ],
)
def test_a_state_scenario_with_other_changes_is_refused(
    hand: optiree.Problem, spike: dict[str, Any]
) -> None:
    problem = hand.derive(scenarios=[*HAND["scenarios"], spike])
    process = EMBARGO_MAY_COME | {
        "states": [{"name": "normal"}, {"name": "embargo", "scenario": "spike"}]
    }
    with pytest.raises(ValidationError, match="must hold disruptions"):
        simulate(problem, process, progress=False)


PRICED = EMBARGO_MAY_COME | {
    "states": [{"name": "normal"}, {"name": "embargo", "scenario": "priced"}],
    "scenarios": [
        {
            "name": "priced",
            "disruptions": [{"country": "CN", "start": "B"}],
            "sources": [{"source": "lynas", "price_factor": 2, "periods": ["B"]}],
        }
    ],
}
"""The embargo of the hand case with Lynas's price doubled while it lasts, a scenario of the
process's own: its first disrupted period is B, where the price move holds too."""


def test_a_state_moves_prices_while_it_lasts(hand: optiree.Problem) -> None:
    """Under the priced embargo, B buys 40 t from Lynas at 300/t: 4,000 + 12,000 = 16,000;
    foresight buys 80 t from China in A and holds 40 t: 8,040 (as without the price move).
    The price moves only in the periods spent in the state: on normal-normal 8,000."""
    simulated = simulate(hand, PRICED, paths=ALL, progress=False)
    assert simulated.paths["cost"].tolist() == pytest.approx([8_000, 16_000], rel=1e-9)
    assert simulated.paths["foresight"].tolist() == pytest.approx([8_000, 8_040], rel=1e-9)
    three = hand.derive(periods=["A", "B", "C"])
    path = {"paths": [{"states": ["embargo", "normal", "embargo"]}], "transitions": None}
    again = simulate(three, PRICED | path, progress=False)
    # A and C under the embargo at 300/t from Lynas, B from China at 100/t
    assert again.paths["cost"].tolist() == pytest.approx([28_000], rel=1e-9)


@pytest.mark.parametrize(
    ("scenario", "loc"),
    [
        ({"name": "embargo", "disruptions": [{"country": "CN", "start": "A"}]}, "name"),
        (
            {
                "name": "priced",
                "disruptions": [{"country": "CN", "start": "A"}],
                "sources": [{"source": "mine", "price_factor": 2}],
            },
            "sources",
        ),
    ],
)
def test_a_process_scenario_that_does_not_fit_names_the_field(
    hand: optiree.Problem, scenario: dict[str, Any], loc: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        simulate(hand, PRICED | {"scenarios": [scenario]}, progress=False)
    assert any(e["loc"][:3] == ("scenarios", 0, loc) for e in raised.value.errors())


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"policies": ["hold"]}, "not a policy"),
        ({"policies": ["lp", "lp"]}, "repeated"),
        ({"lookahead": 0}, "lookahead"),
        ({"paths": 0}, "paths"),
    ],
)
def test_arguments_that_do_not_fit(
    hand: optiree.Problem, arguments: dict[str, Any], match: str
) -> None:
    with pytest.raises(ArgumentError, match=match):
        simulate(hand, EMBARGO_MAY_COME, progress=False, **arguments)


def test_the_command(
    hand: optiree.Problem, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problem = tmp_path / "hand.yaml"
    problem.write_text(optiree.io.problem_yaml(hand))
    process = tmp_path / "process.yaml"
    process.write_text(
        "states: [{name: normal}, {name: embargo, scenario: embargo}]\n"
        "transitions: {normal: {normal: 0.75, embargo: 0.25}, embargo: {embargo: 1}}\n"
    )
    out = tmp_path / "paths.csv"
    command = ["simulate", str(problem), "--process", str(process), "--paths", "all"]
    assert main([*command, "--serial", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "8,500" in printed
    assert len(pd.read_csv(out)) == 2
    for flag, value in (("--paths", "0"), ("--policy", "hold"), ("--lookahead", "0")):
        assert main([*command, flag, value]) == 2
        assert flag in capsys.readouterr().err
    process.write_text("states: [{name: normal}]\ntransitions: {normal: {normal: 0.5}}\n")
    assert main(command) == 2
    assert "transitions.normal" in capsys.readouterr().err
