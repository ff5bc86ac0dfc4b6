"""optiree: least-cost procurement of critical raw materials under geopolitical supply risk.

>>> import optiree
>>> problem = optiree.load_problem("examples/japan_2026.yaml")  # doctest: +SKIP
>>> result = optiree.solve(problem)  # doctest: +SKIP
>>> result.purchases  # doctest: +SKIP
"""

from optiree.diagnose import Diagnosis, diagnose
from optiree.disruption.scenarios import apply
from optiree.disruption.stochastic import Risk, StochasticResult, solve_stochastic
from optiree.disruption.stress import StressResult, StressTable, stress_table, stress_test
from optiree.disruption.sweep import Sweep, random_scenarios, sweep
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
from optiree.frontier import Frontier, frontier
from optiree.io import load_problem
from optiree.results import TABLES, Result, Status
from optiree.schema import Problem, Scenario
from optiree.sensitivity import Sensitivity, sensitivity
from optiree.solve import solve
from optiree.version import __version__

__all__ = [
    "TABLES",
    "ArgumentError",
    "Diagnosis",
    "Frontier",
    "MissingDependencyError",
    "OptireeError",
    "OutputError",
    "OutputTakenError",
    "PlotError",
    "Problem",
    "Result",
    "Risk",
    "Scenario",
    "ScenarioError",
    "Sensitivity",
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
    "frontier",
    "load_problem",
    "random_scenarios",
    "sensitivity",
    "solve",
    "solve_stochastic",
    "stress_table",
    "stress_test",
    "sweep",
]
