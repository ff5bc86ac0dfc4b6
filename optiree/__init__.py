"""optiree: least-cost procurement of critical raw materials under geopolitical supply risk.

>>> import optiree
>>> problem = optiree.load_problem("examples/japan_2026.yaml")  # doctest: +SKIP
>>> result = optiree.solve(problem)  # doctest: +SKIP
>>> result.purchases  # doctest: +SKIP
"""

__version__ = "0.1.0"

from optiree.diagnose import Diagnosis, diagnose
from optiree.errors import (
    MissingDependencyError,
    OptireeError,
    OutputError,
    PlotError,
    SolverError,
)
from optiree.frontier import frontier
from optiree.io import load_problem
from optiree.results import TABLES, Result, Status
from optiree.scenarios import apply
from optiree.schema import Problem, Scenario
from optiree.sensitivity import sensitivity
from optiree.solve import solve

__all__ = [
    "TABLES",
    "Diagnosis",
    "MissingDependencyError",
    "OptireeError",
    "OutputError",
    "PlotError",
    "Problem",
    "Result",
    "Scenario",
    "SolverError",
    "Status",
    "__version__",
    "apply",
    "diagnose",
    "frontier",
    "load_problem",
    "sensitivity",
    "solve",
]
