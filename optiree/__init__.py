"""optiree: least-cost procurement of critical raw materials under geopolitical supply risk.

``import optiree`` loads only the exceptions and the version: each other name is imported from
its module on first use (:func:`__getattr__`), so that a command or a script pays for pandas,
PuLP and the solver only when it needs them (docs/performance.md, "Start-up").

Examples:
    >>> import optiree
    >>> problem = optiree.load_problem("examples/japan_2026.yaml")  # doctest: +SKIP
    >>> result = optiree.solve(problem)  # doctest: +SKIP
    >>> result.purchases  # doctest: +SKIP
"""

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from optiree.errors import (
    ArgumentError,
    MissingDependencyError,
    OptireeError,
    OutputError,
    OutputTakenError,
    PlotError,
    ScenarioError,
    SolverChoiceError,
    SolverError,
    StochasticError,
    StressError,
)
from optiree.version import __version__

if TYPE_CHECKING:
    from optiree.diagnose import Diagnosis, diagnose
    from optiree.disruption.episodes import episode, episodes
    from optiree.disruption.scenarios import apply
    from optiree.disruption.simulate import Process, Simulation, load_process, simulate
    from optiree.disruption.stochastic import (
        OutOfSample,
        Risk,
        StochasticResult,
        out_of_sample,
        solve_stochastic,
    )
    from optiree.disruption.stress import StressResult, StressTable, stress_table, stress_test
    from optiree.disruption.sweep import Sweep, random_scenarios, sweep
    from optiree.frontier import Frontier, frontier
    from optiree.io import load_problem
    from optiree.results import TABLES, Result, Status
    from optiree.schema import Problem, Scenario
    from optiree.sensitivity import Sensitivity, sensitivity
    from optiree.solve import solve

_HOMES = {
    "optiree.diagnose": ("Diagnosis", "diagnose"),
    "optiree.disruption.episodes": ("episode", "episodes"),
    "optiree.disruption.scenarios": ("apply",),
    "optiree.disruption.stochastic": (
        "OutOfSample",
        "Risk",
        "StochasticResult",
        "out_of_sample",
        "solve_stochastic",
    ),
    "optiree.disruption.simulate": ("Process", "Simulation", "load_process", "simulate"),
    "optiree.disruption.stress": ("StressResult", "StressTable", "stress_table", "stress_test"),
    "optiree.disruption.sweep": ("Sweep", "random_scenarios", "sweep"),
    "optiree.frontier": ("Frontier", "frontier"),
    "optiree.io": ("load_problem",),
    "optiree.results": ("TABLES", "Result", "Status"),
    "optiree.schema": ("Problem", "Scenario"),
    "optiree.sensitivity": ("Sensitivity", "sensitivity"),
    "optiree.solve": ("solve",),
}
"""The module of each name imported on first use (the same as under ``TYPE_CHECKING``)."""
_HOME = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "TABLES",
    "ArgumentError",
    "Diagnosis",
    "Frontier",
    "MissingDependencyError",
    "OptireeError",
    "OutOfSample",
    "OutputError",
    "OutputTakenError",
    "PlotError",
    "Problem",
    "Process",
    "Result",
    "Risk",
    "Scenario",
    "ScenarioError",
    "Sensitivity",
    "Simulation",
    "SolverChoiceError",
    "SolverError",
    "Status",
    "StochasticError",
    "StochasticResult",
    "StressError",
    "StressResult",
    "StressTable",
    "Sweep",
    "__version__",
    "apply",
    "diagnose",
    "episode",
    "episodes",
    "frontier",
    "load_problem",
    "load_process",
    "out_of_sample",
    "random_scenarios",
    "sensitivity",
    "simulate",
    "solve",
    "solve_stochastic",
    "stress_table",
    "stress_test",
    "sweep",
]


def __getattr__(name: str) -> Any:
    """A public name not imported yet: import its module, keep the name here, return it."""
    if name not in _HOME:
        raise AttributeError(f"module 'optiree' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(ModuleType):
    """The package, whose functions keep their names when their modules load.

    Loading a submodule binds it to its name in the package; four submodules are named as
    the function they hold (``optiree.solve``, ``frontier``, ``sensitivity``, ``diagnose``).
    Their names here stay the functions, as when the package imported every name at once;
    the modules are in ``sys.modules``."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _HOME and isinstance(value, ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
