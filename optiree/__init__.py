"""optiree: least-cost procurement of critical raw materials under geopolitical supply risk.

>>> import optiree
>>> problem = optiree.load_problem("examples/japan_2026.yaml")  # doctest: +SKIP
>>> result = optiree.solve(problem)  # doctest: +SKIP
>>> result.purchases  # doctest: +SKIP
"""

__version__ = "0.1.0"

from optiree.diagnose import Diagnosis, diagnose
from optiree.errors import (
    ArgumentError,
    MissingDependencyError,
    OptireeError,
    OutputError,
    PlotError,
    ScenarioError,
    SolverError,
    StochasticError,
    StressError,
)
from optiree.frontier import frontier
from optiree.io import load_problem
from optiree.results import TABLES, Result, Status
from optiree.scenarios import apply
from optiree.schema import Problem, Scenario
from optiree.sensitivity import sensitivity
from optiree.solve import solve
from optiree.stochastic import Risk, StochasticResult, solve_stochastic
from optiree.stress import StressResult, stress_table, stress_test
from optiree.sweep import random_scenarios, sweep

__all__ = [
    "TABLES",
    "ArgumentError",
    "Diagnosis",
    "MissingDependencyError",
    "OptireeError",
    "OutputError",
    "PlotError",
    "Problem",
    "Result",
    "Risk",
    "Scenario",
    "ScenarioError",
    "SolverError",
    "Status",
    "StochasticError",
    "StochasticResult",
    "StressError",
    "StressResult",
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
