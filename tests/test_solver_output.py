"""Nothing from a solver reaches stdout unless asked (``log=True``, ``--verbose``).

HiGHS writes from C, and prints its banner once per process (1.16: from highspy's constructor),
so the silent paths run in a fresh interpreter each, with stdout captured at the file
descriptor; the logs asked for are read with ``capfd``.
"""

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

import optiree
from optiree.cli import main
from optiree.diagnose import diagnose
from optiree.disruption.stochastic import solve_stochastic
from optiree.frontier import frontier
from optiree.solve import SolverName
from tests.samples import two_country

SOLVER_WORDS = ("Running HiGHS", "Copyright", "Coefficient ranges", "Model status", "CBC", "Clp0")
"""Words of HiGHS's banner and log and of CBC's log, none of them in optiree's own output."""


def _with_scenario() -> dict[str, Any]:
    document = two_country()
    document["periods"] = ["P1", "P2"]
    document["scenarios"] = [
        {"name": "calm"},
        {"name": "embargo", "disruptions": [{"country": "CN", "start": "P2"}]},
    ]
    return document


def _file(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "problem.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter, as a user runs optiree: stdout and stderr captured at the fd."""
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=False, timeout=300
    )


def _no_solver_words(text: str) -> None:
    found = [word for word in SOLVER_WORDS if word in text]
    assert not found, f"solver output on stdout ({found}):\n{text}"


def test_the_python_functions_print_nothing(tmp_path: Path) -> None:
    """solve, frontier, diagnose and solve_stochastic in one fresh process: stdout stays empty
    (the HiGHS banner's one chance is the first solve). CBC runs as a program of its own
    whose output PuLP sends to the null device; solve and diagnose check that path."""
    path = _file(tmp_path, _with_scenario())
    script = textwrap.dedent(
        f"""
        import optiree
        from optiree.diagnose import diagnose
        from optiree.frontier import frontier
        from optiree.disruption.stochastic import solve_stochastic

        problem = optiree.load_problem({str(path)!r})
        strict = optiree.Problem.model_validate(
            problem.model_dump() | {{"security": {{"max_country_share": {{"CN": 0.0, "AU": 0.0}}}}}}
        )
        assert optiree.solve(problem).is_optimal
        frontier(problem, "CN")
        assert solve_stochastic(problem).is_optimal
        for solver in ("highs", "cbc"):
            assert optiree.solve(problem, solver=solver).is_optimal
            assert not diagnose(strict, solver=solver).feasible
        """
    )
    done = _run("-c", script)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("command", "first_line"),
    [
        (["solve"], "two country: optimal (solver: highs)"),
        (["solve", "--solver", "cbc"], "two country: optimal (solver: cbc)"),
        (["frontier"], "Frontier of max_share CN (level: % bought from CN)"),
        (["sweep", "--scenarios", "3", "--seed", "1"], "two country: sweep of random"),
        (["sweep", "--scenarios", "3", "--seed", "1", "--solver", "cbc"], "two country: sweep"),
    ],
)
def test_the_commands_print_only_their_results(
    tmp_path: Path, command: list[str], first_line: str
) -> None:
    """Run as a user runs them (a sweep on worker processes, each its own first HiGHS)."""
    path = _file(tmp_path, _with_scenario())
    done = _run("-m", "optiree", command[0], str(path), *command[1:])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(first_line), done.stdout
    _no_solver_words(done.stdout)
    _no_solver_words(done.stderr)


def test_the_report_command_prints_its_headline_and_path(tmp_path: Path) -> None:
    path = _file(tmp_path, _with_scenario())
    done = _run("-m", "optiree", "report", str(path), "--out", str(tmp_path / "r.html"))
    assert done.returncode == 0, done.stderr
    page = tmp_path / "r.html"
    assert done.stdout == f"two country: optimal (solver: highs)\nReport written to {page}\n"


@pytest.mark.parametrize(
    ("solver", "words"),
    [("highs", ["Running HiGHS", "Coefficient ranges"]), ("cbc", ["Welcome to the CBC"])],
)
def test_verbose_prints_the_log_before_the_plan(
    tmp_path: Path, solver: SolverName, words: list[str]
) -> None:
    path = _file(tmp_path, two_country())
    done = _run("-m", "optiree", "solve", str(path), "--solver", solver, "--verbose")
    assert done.returncode == 0, done.stderr
    plan = done.stdout.index(f"two country: optimal (solver: {solver})")
    for word in words:
        assert 0 <= done.stdout.find(word) < plan, done.stdout


def _log_lines(capfd: pytest.CaptureFixture[str], solver: SolverName) -> int:
    """Lines of the solver's per-solve log printed since the last read (HiGHS: its model
    status; CBC: its header), at the file descriptor."""
    out = capfd.readouterr().out
    return out.count("Model status" if solver == "highs" else "Welcome to the CBC")


def test_log_shows_each_solve_only_when_asked(
    capfd: pytest.CaptureFixture[str], solver: SolverName
) -> None:
    problem = optiree.Problem.model_validate(two_country())
    strict = optiree.Problem.model_validate(
        two_country() | {"security": {"max_country_share": {"CN": 0.0, "AU": 0.0}}}
    )
    capfd.readouterr()
    for log in (False, True):
        assert optiree.solve(problem, solver=solver, log=log).is_optimal
        assert _log_lines(capfd, solver) == log
        assert not diagnose(strict, solver=solver, log=log).feasible
        assert (_log_lines(capfd, solver) > 0) == log


def test_the_analyses_log_every_solve_when_asked(capfd: pytest.CaptureFixture[str]) -> None:
    problem = optiree.Problem.model_validate(_with_scenario())
    capfd.readouterr()
    curve = frontier(problem, "CN", log=True)
    assert _log_lines(capfd, "highs") == curve.solves
    assert solve_stochastic(problem, log=True).is_optimal
    assert _log_lines(capfd, "highs") > 1


def test_verbose_in_process(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], solver: SolverName
) -> None:
    path = str(_file(tmp_path, two_country()))
    capfd.readouterr()
    assert main(["solve", path, "--solver", solver]) == 0
    assert _log_lines(capfd, solver) == 0
    assert main(["solve", path, "--solver", solver, "--verbose"]) == 0
    assert _log_lines(capfd, solver) == 1
    assert main(["frontier", path, "--solver", solver, "--verbose"]) == 0
    assert _log_lines(capfd, solver) >= 2
