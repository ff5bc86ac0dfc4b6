"""Shared test settings: hypothesis profiles and the solvers every known optimum runs with.

Choose a hypothesis profile with the environment variable ``HYPOTHESIS_PROFILE``:

- ``ci`` (default): enough examples per property to catch most mistakes in about a minute,
  the same examples on every run;
- ``dev``: a quick pass while editing;
- ``thorough``: many examples, new ones each run, for a run before a release or after
  changing the model.

A solver runs inside every property, so no profile has a deadline.
"""

import os

import pytest
from hypothesis import settings

from optiree.solve import SolverName

SOLVERS: tuple[SolverName, ...] = ("highs", "cbc")
"""Every solver optiree supports; each known optimum is checked with all of them."""

# CI draws the same examples on every run (derandomize), so that its verdict is reproducible;
# "thorough" draws new ones each time, to hunt for what the fixed sequence does not reach.
settings.register_profile(
    "ci", deadline=None, max_examples=150, print_blob=True, derandomize=True, database=None
)
settings.register_profile("dev", deadline=None, max_examples=25)
settings.register_profile("thorough", deadline=None, max_examples=2000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(params=SOLVERS)
def solver(request: pytest.FixtureRequest) -> SolverName:
    """The name of each solver in turn: a test using it runs once per solver."""
    name: SolverName = request.param
    return name
