"""Start-up: ``import optiree`` and ``optiree validate`` load no table, solver or figure library;
every public name of the package still reaches its object; the default executor of a sweep
follows its rule (a pure function of the CPUs and the number of scenarios). The times are
measured by benchmarks/startup.py, never here."""

import importlib
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import optiree
import optiree.disruption.sweep.executors as executors
from optiree.cli import main
from optiree.disruption.sweep import random_scenarios, sweep
from optiree.disruption.sweep.executors import PROCESSES_FROM, default_executor, processes_from
from tests.samples import JAPAN

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "numpy", "pulp", "highspy", "matplotlib", "pyarrow", "dask", "tqdm")
"""What neither ``import optiree`` nor ``optiree validate`` may load."""


def _loaded_after(code: str) -> list[str]:
    """The heavy libraries a fresh interpreter has loaded after running ``code``."""
    check = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.splitlines()[-1].split()  # the last line: what ``code`` printed is above


def test_import_optiree_loads_no_heavy_library() -> None:
    assert _loaded_after("import optiree") == []


def test_validate_loads_no_heavy_library() -> None:
    code = f"from optiree.cli import main\nassert main(['validate', {str(JAPAN)!r}]) == 0"
    assert _loaded_after(code) == []


def test_solve_loads_what_it_needs() -> None:
    assert {"pandas", "pulp"} <= set(_loaded_after("import optiree\noptiree.solve"))


@pytest.mark.parametrize("name", optiree.__all__)
def test_every_public_name_is_its_module_s(name: str) -> None:
    value = getattr(optiree, name)
    module = importlib.import_module(value.__module__) if hasattr(value, "__module__") else None
    assert module is None or getattr(module, name) is value


def test_functions_named_as_their_modules_stay_functions() -> None:
    """Loading ``optiree.solve`` (the module) first must not make ``optiree.solve`` a module."""
    code = (
        "import optiree.solve, optiree.frontier, optiree.sensitivity, optiree.diagnose\n"
        "import optiree\n"
        "names = ('solve', 'frontier', 'sensitivity', 'diagnose')\n"
        "assert all(callable(getattr(optiree, n)) for n in names), names\n"
        "from optiree import solve\n"
        "assert solve is sys.modules['optiree.solve'].solve"
    )
    subprocess.run([sys.executable, "-c", f"import sys\n{code}"], cwd=ROOT, check=True)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'solv'"):
        _ = optiree.solv  # type: ignore[attr-defined]


# --- the default executor of a sweep ----------------------------------------------------------


@pytest.mark.parametrize(
    ("cpus", "scenarios", "expected"),
    [
        (1, 10**9, "serial"),
        (2, 0, "serial"),
        (2, 100, "serial"),
        (2, 5_000, "serial"),
        (2, PROCESSES_FROM - 1, "serial"),
        (2, PROCESSES_FROM, "processes"),
        (4, math.ceil(PROCESSES_FROM * 2 / 3), "processes"),  # 4 / (2 * 3) of it
        (4, math.ceil(PROCESSES_FROM * 2 / 3) - 1, "serial"),
    ],
)
def test_default_executor(cpus: int, scenarios: int, expected: str) -> None:
    assert default_executor(cpus, scenarios) == expected


@given(cpus=st.integers(1, 512), scenarios=st.integers(0, 10**7), more=st.integers(0, 10**6))
def test_default_executor_rule(cpus: int, scenarios: int, more: int) -> None:
    """Serial on one CPU and below half of PROCESSES_FROM anywhere; once processes, more
    scenarios or more CPUs keep processes; the choice flips exactly at processes_from."""
    chosen = default_executor(cpus, scenarios)
    least = processes_from(cpus)
    assert chosen == ("serial" if least is None or scenarios < least else "processes")
    if cpus == 1 or 2 * scenarios < PROCESSES_FROM:
        assert chosen == "serial"
    if chosen == "processes":
        assert default_executor(cpus, scenarios + more) == "processes"
        assert default_executor(cpus + 1, scenarios) == "processes"


def test_a_small_sweep_without_executor_runs_serially(monkeypatch: pytest.MonkeyPatch) -> None:
    japan = optiree.load_problem(JAPAN)
    draws = random_scenarios(japan, 24, seed=2026)
    expected = sweep(japan, draws, executor="serial", progress=False).table

    def refused(*_args: object) -> None:
        raise AssertionError("local processes started for 24 scenarios")

    monkeypatch.setattr(executors, "_NAMED", {**executors._NAMED, "processes": refused})
    assert sweep(japan, draws, progress=False).table.equals(expected)


def test_the_command_says_which_executor_it_chose(capsys: pytest.CaptureFixture[str]) -> None:
    cpus = executors.machine_cpus()
    rule = f"local processes from {processes_from(cpus):,}" if cpus > 1 else "always serial"
    assert main(["sweep", str(JAPAN), "--scenarios", "30", "--seed", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith(f"Executor: serial (30 scenarios on {cpus} CPU")
    assert rule in lines[1]
    assert main(["sweep", str(JAPAN), "--scenarios", "30", "--seed", "1", "--serial"]) == 0
    assert "Executor" not in capsys.readouterr().out
