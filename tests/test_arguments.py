"""Every public entry point checks its arguments first (optiree.arguments).

The calls below reached a raw Python exception (RecursionError, TypeError, a ValueError from
``zip``) or were silently accepted before the checks; each now ends in an
:class:`optiree.ArgumentError` that names the argument. The property at the end calls every
public function with one wrong argument at a time.
"""

import contextlib
import inspect
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import optiree
from optiree import (
    ArgumentError,
    OptireeError,
    Problem,
    Result,
    Scenario,
    apply,
    diagnose,
    frontier,
    load_problem,
    random_scenarios,
    sensitivity,
    solve,
    solve_stochastic,
    stress_table,
    stress_test,
    sweep,
)
from optiree.cli import main
from optiree.plots import FIGURES, write_figures
from tests.samples import JAPAN


def _document() -> dict[str, Any]:
    """The issue's two-source problem: Dy at 300,000; China 100 t, Lynas at 1.5x 30 t."""
    return {
        "name": "two sources",
        "periods": ["2026", "2027"],
        "materials": [{"id": "Dy"}],
        "reference_prices": {"Dy": 300_000},
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"Dy": 100}},
            {"id": "lynas", "country": "AU", "price_multiplier": 1.5, "capacity": {"Dy": 30}},
        ],
        "demand": {"Dy": 50},
    }


PROBLEM = Problem.model_validate(_document())
EMBARGO = Scenario.model_validate(
    {"name": "embargo", "disruptions": [{"country": "CN", "start": "2027", "length": 1}]}
)
CALM = Scenario(name="calm")


@pytest.fixture(scope="module")
def result() -> Result:
    return solve(PROBLEM)


def _refused(call: Callable[[], object], argument: str) -> None:
    with pytest.raises(ArgumentError) as caught:
        call()
    assert argument in str(caught.value)


# --- the calls, one by one ------------------------------------------------------------


@pytest.mark.parametrize("tolerance", [0, -1, math.nan, math.inf, "0.1", True])
def test_frontier_tolerance(tolerance: Any) -> None:
    """0, -1 and nan ended in RecursionError."""
    _refused(lambda: frontier(PROBLEM, "CN", tolerance=tolerance), "tolerance")


@pytest.mark.parametrize("points", [-5, 0, 2.5, "3", True])
def test_frontier_points(points: Any) -> None:
    """-5 was a ValueError from zip, 2.5 a TypeError, 0 silently gave the ends only."""
    _refused(lambda: frontier(PROBLEM, "CN", points=points), "points")


def test_cli_frontier_points(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(_document()), encoding="utf-8")
    """A ValueError traceback from zip before; now the frontier command's error line."""
    assert main(["frontier", str(path), "--points", "-5"]) == 2
    assert "error: points must be a whole number" in capsys.readouterr().err


@pytest.mark.parametrize("time_limit", ["10", True, math.nan, -1, [10]])
def test_solve_time_limit(time_limit: Any) -> None:
    """ "10" was a TypeError; True was taken as 1 s."""
    _refused(lambda: solve(PROBLEM, time_limit=time_limit), "time_limit")


@pytest.mark.parametrize("cut_range", [(0.1,), (0.1, 0.2, 0.3), 0.5, None, ("a", "b")])
def test_random_scenarios_cut_range(cut_range: Any) -> None:
    _refused(lambda: random_scenarios(PROBLEM, 2, seed=1, cut_range=cut_range), "cut_range")


def test_apply_from_period_unknown() -> None:
    _refused(lambda: apply(PROBLEM, EMBARGO, from_period="XX"), "from_period")


@pytest.mark.parametrize("scenario", ["embargo", None, 3, ["embargo"]])
def test_apply_scenario_of_the_wrong_type(scenario: Any) -> None:
    _refused(lambda: apply(PROBLEM, scenario), "scenario")


def test_a_dict_scenario_is_validated_into_one() -> None:
    as_dict = EMBARGO.model_dump(exclude_none=True)
    assert apply(PROBLEM, as_dict) == apply(PROBLEM, EMBARGO)
    with pytest.raises(ValidationError):
        apply(PROBLEM, {"name": "x", "disruptions": "everything"})


@pytest.mark.parametrize("scenarios", [None, "embargo", ["embargo"], [None], 3])
def test_sweep_scenarios(scenarios: Any) -> None:
    _refused(lambda: sweep(PROBLEM, scenarios, executor="serial", progress=False), "scenarios")


@pytest.mark.parametrize("penalty", [{"XX": 5}, {"Dy": -1}, -1, "5", math.nan, {}])
def test_sweep_penalty(penalty: Any) -> None:
    """An unknown material in the penalty was silently ignored."""
    _refused(
        lambda: sweep(PROBLEM, [EMBARGO], executor="serial", progress=False, penalty=penalty),
        "penalty",
    )


def test_stress_table_plans(result: Result) -> None:
    """A list was an AttributeError; an empty mapping gave an empty table."""
    _refused(lambda: stress_table(PROBLEM, [result], [EMBARGO], 1), "plans")  # type: ignore[arg-type]
    _refused(lambda: stress_table(PROBLEM, {}, [EMBARGO], 1), "plans")
    _refused(lambda: stress_table(PROBLEM, {"p": "plan"}, [EMBARGO], 1), "plans[p]")  # type: ignore[dict-item]
    _refused(lambda: stress_table(PROBLEM, {"p": result}, None, 1), "scenarios")  # type: ignore[arg-type]


@pytest.mark.parametrize("wrong", [JAPAN, str(JAPAN), None, 3, [PROBLEM]])
@pytest.mark.parametrize(
    "call",
    [
        solve,
        diagnose,
        lambda p: frontier(p, "CN"),
        lambda p: stress_test(p, solve(PROBLEM), EMBARGO, 1),
        lambda p: sweep(p, [EMBARGO], executor="serial", progress=False),
        lambda p: apply(p, EMBARGO),
        lambda p: random_scenarios(p, 2, seed=1),
        lambda p: solve_stochastic(p, [EMBARGO]),
    ],
)
def test_a_problem_must_be_a_problem(call: Callable[[Any], object], wrong: Any) -> None:
    """A path, None or anything else where a Problem is expected is refused by name."""
    _refused(lambda: call(wrong), "problem")


def test_a_dict_problem_is_validated_into_one(result: Result) -> None:
    assert solve(_document()).total_cost == result.total_cost
    with pytest.raises(ValidationError):
        solve({"name": "no sources"})


@pytest.mark.parametrize("wrong", [JAPAN, None, {}, PROBLEM])
def test_sensitivity_and_stress_want_a_result(wrong: Any) -> None:
    _refused(lambda: sensitivity(wrong), "result")
    _refused(lambda: stress_test(PROBLEM, wrong, EMBARGO, 1), "plan")


@pytest.mark.parametrize("wrong", [None, 3, b"p.yaml", ["p.yaml"]])
def test_load_problem_path(wrong: Any) -> None:
    _refused(lambda: load_problem(wrong), "path")


@pytest.mark.parametrize("wrong", [None, 3, ["out"]])
def test_result_write_directory(result: Result, wrong: Any) -> None:
    _refused(lambda: result.write(wrong), "directory")


def test_write_figures_takes_a_str(result: Result, tmp_path: Path) -> None:
    """A str directory was an AttributeError (``str / str``)."""
    pytest.importorskip("matplotlib")
    written = write_figures(result, PROBLEM, str(tmp_path))
    assert [path.name for path in written] == list(FIGURES)
    _refused(lambda: write_figures(result, PROBLEM, None), "directory")  # type: ignore[arg-type]


def test_methods_of_the_results(result: Result) -> None:
    """Public methods check theirs too: ``top`` and ``worst`` were a TypeError as a str."""
    _refused(lambda: sensitivity(result).summary(top="3"), "top")  # type: ignore[arg-type]
    swept = sweep(PROBLEM, [EMBARGO], executor="serial", progress=False)
    _refused(lambda: swept.summary(worst=-1.5), "worst")  # type: ignore[arg-type]
    _refused(lambda: diagnose(PROBLEM).apply(str(JAPAN)), "problem")  # type: ignore[arg-type]


# --- every public function, every parameter -----------------------------------------------------

WRONG: list[Any] = [
    None,
    "",
    "XX",
    -1,
    0,
    2.5,
    math.nan,
    math.inf,
    True,
    [],
    {},
    (0.1,),
    b"x",
    object(),
    Path("no/such/file.yaml"),
]
"""Wrong types and out-of-range values, drawn for any parameter."""


def _valid() -> dict[str, tuple[tuple[Any, ...], dict[str, Any]]]:
    plan = solve(PROBLEM)
    return {
        "solve": ((PROBLEM,), {}),
        "diagnose": ((PROBLEM,), {}),
        "frontier": ((PROBLEM, "CN"), {"points": 1}),
        "sensitivity": ((plan,), {}),
        "load_problem": ((JAPAN,), {}),
        "apply": ((PROBLEM, EMBARGO), {}),
        "sweep": ((PROBLEM, [EMBARGO]), {"executor": "serial", "progress": False}),
        "random_scenarios": ((PROBLEM, 2), {"seed": 1}),
        "stress_test": ((PROBLEM, plan, EMBARGO, 1), {}),
        "stress_table": ((PROBLEM, {"p": plan}, [EMBARGO], 1), {}),
        "solve_stochastic": ((PROBLEM, [EMBARGO]), {}),
        "simulate": (
            (PROBLEM, {"states": [{"name": "calm"}], "transitions": {"calm": {"calm": 1.0}}}),
            {"paths": 1, "executor": "serial", "progress": False},
        ),
        "load_process": ((JAPAN.parent / "processes" / "controls.yaml",), {}),
        "out_of_sample": ((PROBLEM, solve_stochastic(PROBLEM, [EMBARGO]), [EMBARGO, CALM]), {}),
        "episode": ((PROBLEM, "japan_dual_use_2026"), {"start": "2026"}),
        "episodes": ((), {}),
    }


VALID = _valid()


def test_every_public_function_is_covered() -> None:
    functions = {
        name
        for name in optiree.__all__
        if inspect.isfunction(getattr(optiree, name)) and not name.startswith("_")
    }
    assert functions == set(VALID)


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_one_wrong_argument_is_refused_by_name(data: st.DataObject) -> None:
    """Only ArgumentError, pydantic's ValidationError or a documented OptireeError escapes
    (load_problem documents the OSError of a file it cannot read)."""
    name = data.draw(st.sampled_from(sorted(VALID)))
    function = getattr(optiree, name)
    args, kwargs = VALID[name]
    parameters = list(inspect.signature(function).parameters.values())
    assume(parameters)  # optiree.episodes() takes none
    chosen = data.draw(st.sampled_from(parameters))
    wrong = data.draw(st.sampled_from(WRONG))
    assume(not (chosen.name == "executor" and wrong is None))  # valid: a pool of processes
    index = parameters.index(chosen)
    if chosen.kind is inspect.Parameter.KEYWORD_ONLY or index >= len(args):
        call_args, call_kwargs = args, {**kwargs, chosen.name: wrong}
    else:
        call_args, call_kwargs = (*args[:index], wrong, *args[index + 1 :]), kwargs
    allowed: tuple[type[BaseException], ...] = (OptireeError, ValidationError)
    allowed += (OSError,) if name == "load_problem" else ()
    with contextlib.suppress(allowed):
        function(*call_args, **call_kwargs)
