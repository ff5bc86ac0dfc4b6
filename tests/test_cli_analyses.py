"""Every analysis on the command line (issue 17, item 3): ``stress``, ``stochastic``,
``diagnose``, ``apply``, ``solve --lp/--mps``; ``--quiet`` and ``--verbose``; the progress bar
of long commands; usage errors that exit 2 and name the flag, before any work."""

import io
import sys
import tempfile
from pathlib import Path

import pulp
import pytest
import yaml
from hypothesis import given

import optiree
from optiree.cli import main
from optiree.disruption.scenarios import disrupted
from optiree.disruption.sweep import random_scenarios
from optiree.handoff import each_solve
from optiree.io import problem_yaml
from optiree.model import build
from optiree.prepare import prepare
from optiree.words import headline
from tests.samples import two_country
from tests.strategies import supply_documents

JAPAN = Path(__file__).resolve().parent.parent / "examples" / "japan_2026.yaml"


@pytest.fixture(scope="module")
def japan() -> optiree.Problem:
    return optiree.load_problem(JAPAN)


@pytest.fixture(scope="module")
def plan(japan: optiree.Problem) -> optiree.Result:
    return optiree.solve(japan)


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal, as tqdm asks."""

    def isatty(self) -> bool:
        return True


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_stress_prints_the_library_summary(
    japan: optiree.Problem, plan: optiree.Result, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["stress", str(JAPAN), "--scenario", "embargo_1y", "--commit", "2"]
    code, out, _ = _run(argv, capsys)
    assert code == 0
    assert out == optiree.stress_test(japan, plan, "embargo_1y", 2).summary()
    assert "Total cost: 2,167,470,101 USD" in out


def test_stress_all_tabulates_every_scenario(
    japan: optiree.Problem, plan: optiree.Result, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(["stress", str(JAPAN), "--scenario", "all", "--commit", "1"], capsys)
    names = [s.name for s in japan.scenarios]
    assert code == 0
    head = "Japan rare earths 2026-2027: the plan stress-tested under each scenario, 1 period(s) "
    table = optiree.stress_table(japan, {"plan": plan}, names, 1).summary()
    assert out == f"{head}committed (solver: highs)\n{table}"
    assert all(name in out for name in names)


def test_stochastic_prints_vss_and_evpi_of_the_library(
    japan: optiree.Problem, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(["stochastic", str(JAPAN), "--commit", "1"], capsys)
    expected = optiree.solve_stochastic(japan, commit_periods=1)
    assert code == 0
    assert out == expected.summary()
    assert expected.evpi is not None
    assert f"{expected.evpi:,.0f}" in out
    assert "VSS = EEV - RP" in out


def test_stochastic_draws_random_scenarios_with_the_seed(
    japan: optiree.Problem, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["stochastic", str(JAPAN), "--scenarios", "3", "--seed", "7", "--commit", "2"]
    code, out, _ = _run(argv, capsys)
    drawn = random_scenarios(japan, 3, seed=7)
    assert code == 0
    assert out == optiree.solve_stochastic(japan, drawn, commit_periods=2).summary()


def test_diagnose_says_what_has_to_give(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = two_country()
    document["caps"] = [{"country": "CN", "max_tonnes": 0}]
    document["sources"][1]["capacity"] = {"Dy": 10}
    path = tmp_path / "problem.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    code, out, _ = _run(["diagnose", str(path)], capsys)
    assert code == 0
    assert out == optiree.diagnose(optiree.load_problem(path)).summary()
    assert "must give 40.0 t" in out


def test_diagnose_under_a_scenario(
    japan: optiree.Problem, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(["diagnose", str(JAPAN), "--scenario", "cut_2010"], capsys)
    assert code == 0
    assert out == optiree.diagnose(disrupted(japan, "cut_2010")).summary()


def test_apply_writes_a_problem_that_reads_back_equal(
    japan: optiree.Problem, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "applied.yaml"
    argv = ["apply", str(JAPAN), "--scenario", "embargo_1y", "--out", str(out)]
    code, said, _ = _run(argv, capsys)
    assert code == 0
    assert str(out) in said
    assert optiree.load_problem(out) == disrupted(japan, "embargo_1y")
    assert main(["validate", str(out)]) == 0
    # An existing file is kept without --force, replaced with it.
    out.write_text("mine", encoding="utf-8")
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert "--force" in err
    assert out.read_text(encoding="utf-8") == "mine"
    assert main([*argv, "--force"]) == 0
    assert optiree.load_problem(out) == disrupted(japan, "embargo_1y")


@pytest.mark.parametrize("kind", ["lp", "mps"])
def test_solve_writes_the_model_file(
    japan: optiree.Problem, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / f"model.{kind}"
    code, out, _ = _run(["solve", str(JAPAN), f"--{kind}", str(path)], capsys)
    assert code == 0
    assert f"{kind.upper()} file of the model written to {path}" in out
    reference = tmp_path / f"reference.{kind}"
    lp = build(prepare(japan)).lp
    if kind == "lp":
        lp.writeLP(str(reference))
    else:
        lp.writeMPS(str(reference))
    assert path.read_bytes() == reference.read_bytes()
    if kind == "mps":  # ...and the file read back has the same optimum
        _, read = pulp.LpProblem.fromMPS(str(path))
        read.solve(pulp.HiGHS(msg=False))
        cost = pulp.value(read.objective) + lp.objective.constant
        assert cost == pytest.approx(optiree.solve(japan).total_cost, rel=1e-9)
    code, _, err = _run(["solve", str(JAPAN), f"--{kind}", str(path)], capsys)
    assert code == 2
    assert f"{path} already exists" in err


def test_quiet_prints_the_headline_only(
    japan: optiree.Problem, plan: optiree.Result, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(["solve", str(JAPAN), "--quiet"], capsys)
    assert code == 0
    assert out == f"{headline(plan)}\nTotal cost: 1,345,119,637 USD\n"
    assert err == ""
    code, out, _ = _run(["stochastic", str(JAPAN), "--quiet"], capsys)
    lines = optiree.solve_stochastic(japan).summary().splitlines()
    assert out.splitlines() == [lines[0], next(s for s in lines if "Expected cost" in s)]


@pytest.mark.parametrize(
    ("command", "solves"),
    [(["stochastic"], 5), (["diagnose"], 1), (["stress", "--scenario", "cut_2010"], 2)],
)
def test_verbose_prints_the_solver_log(
    command: list[str], solves: int, capfd: pytest.CaptureFixture[str]
) -> None:
    assert main([command[0], str(JAPAN), *command[1:], "--verbose"]) == 0
    assert capfd.readouterr().out.count("Model status        : Optimal") >= solves
    assert main([command[0], str(JAPAN), *command[1:]]) == 0
    assert "Model status" not in capfd.readouterr().out


def test_quiet_and_verbose_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    code = _exit_code(["diagnose", str(JAPAN), "--quiet", "--verbose"])
    assert code == 2
    assert "--verbose" in capsys.readouterr().err


def _exit_code(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    return int(str(stopped.value.code))


def _with_terminal(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    stderr = _Terminal()
    monkeypatch.setattr(sys, "stderr", stderr)
    code = main(argv)
    return code, stderr.getvalue()


@pytest.mark.parametrize(
    "argv",
    [
        ["frontier", str(JAPAN), "--rule", "cover_without"],
        ["stochastic", str(JAPAN), "--scenarios", "8"],
    ],
)
def test_long_commands_show_progress_on_a_terminal(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _with_terminal(argv, monkeypatch)
    assert code == 0
    assert f"{argv[0]}: " in err
    assert " LP [" in err
    solved = int(err.rsplit(f"{argv[0]}: ", 1)[1].split(" LP")[0])
    assert solved > 20  # the count is the LPs solved
    code, quiet = _with_terminal([*argv, "--quiet"], monkeypatch)
    assert code == 0
    assert quiet == ""
    monkeypatch.undo()
    capsys.readouterr()
    code, _, err = _run(argv, capsys)  # stderr not a terminal: no bar
    assert err == ""


def test_the_progress_counts_every_solve(japan: optiree.Problem) -> None:
    counted: list[int] = []
    with each_solve(lambda: counted.append(1)):
        optiree.frontier(japan, "CN", "cover_without")
    assert len(counted) > 20
    with each_solve(lambda: counted.append(1)):
        optiree.solve(japan, solver="cbc")
    assert len(counted) > 21  # CBC's solve counts too


def test_stock_cover_without_material_names_the_flag(
    capsys: pytest.CaptureFixture[str],
) -> None:
    counted: list[int] = []
    with each_solve(lambda: counted.append(1)):
        code, _, err = _run(["frontier", str(JAPAN), "--rule", "stock_cover"], capsys)
    assert code == 2
    assert "--material" in err
    assert "material=" not in err
    assert counted == []


@pytest.mark.parametrize(
    ("command", "flag"),
    [(["frontier", "--plot", "f.png"], "--plot"), (["report", "--out", "r.html"], "report")],
)
def test_figures_without_matplotlib_fail_before_solving(
    command: list[str],
    flag: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    counted: list[int] = []
    with each_solve(lambda: counted.append(1)):
        code, out, err = _run([command[0], str(JAPAN), *command[1:]], capsys)
    assert code == 1  # a missing extra, as for sweep --out x.parquet without pyarrow
    assert f"error: {flag}: figures need matplotlib: pip install 'optiree[plot]'" in err
    assert counted == []
    assert out == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["stress", str(JAPAN), "--scenario", "nope"], "--scenario nope"),
        (["diagnose", str(JAPAN), "--scenario", "nope"], "--scenario nope"),
        (["apply", str(JAPAN), "--scenario", "nope", "--out", "x.yaml"], "--scenario nope"),
        (["stochastic", str(JAPAN), "--scenarios", "0"], "--scenarios 0"),
    ],
)
def test_usage_errors_exit_2_and_name_the_flag(
    argv: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(argv, capsys)
    assert code == 2
    assert flag in err
    assert out == ""


@given(document=supply_documents())
def test_problem_yaml_reads_back_equal(document: dict[str, object]) -> None:
    """What ``optiree apply`` writes (:func:`optiree.io.problem_yaml`) reads back to the same
    problem, for random problems using every supply feature."""
    problem = optiree.Problem.model_validate(document)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "problem.yaml"
        path.write_text(problem_yaml(problem), encoding="utf-8")
        assert optiree.load_problem(path) == problem
