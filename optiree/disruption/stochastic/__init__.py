"""Two-stage stochastic planning: commit now, adapt once the disruption is known.

The first ``commit_periods`` periods are decided now, the same in every scenario (purchases,
substitution, stock build-up); from the next period on each scenario has its own plan, the
recourse. The model is solved in extensive form, as one LP. The stages are the usual ones:

1. :func:`two_stage`: the scenarios -> the problem each scenario faces (validated);
2. :func:`build_extensive`: those problems -> one LP with non-anticipativity rows (never solved
   there);
3. :func:`solve_stochastic`: solves it, re-solves each scenario's recourse alone at the chosen
   first stage, and the benchmarks (wait-and-see, expected-value solution), and returns a
   :class:`StochasticResult`.

The formulation and the benchmarks are stated in docs/stochastic.md. Money is in the problem's
currency, quantities in tonnes [t] per period (substitutes in units).

The parts: :mod:`~optiree.disruption.stochastic.stages` (the scenarios as problems, the
risk), :mod:`~optiree.disruption.stochastic.extensive` (the one LP),
:mod:`~optiree.disruption.stochastic.expected_value` (the expected-value problem) and
:mod:`~optiree.disruption.stochastic.solving` (the solves and the result) and
:mod:`~optiree.disruption.stochastic.scoring` (the first stage priced on a fresh sample).
:mod:`~optiree.disruption.stochastic.tree` holds scenario trees of more than two stages
(``solve_stochastic(problem, tree=...)``), decided node by node; a two-stage tree is the
two-stage problem.
"""

from optiree.disruption.stochastic.expected_value import expected_value_problem
from optiree.disruption.stochastic.extensive import SEPARATOR, Extensive, build_extensive
from optiree.disruption.stochastic.scoring import OutOfSample, out_of_sample
from optiree.disruption.stochastic.solving import (
    DECISIONS,
    FIRST_STAGE_COLUMNS,
    NODE_COLUMNS,
    SCENARIO_COLUMNS,
    ZERO,
    StochasticResult,
    conditional_value_at_risk,
    risk_objective,
    solve_stochastic,
)
from optiree.disruption.stochastic.stages import DEFAULT_CVAR_ALPHA, Risk, TwoStage, two_stage
from optiree.disruption.stochastic.tree import ScenarioTree, TreeNode, load_tree, tree_stages
from optiree.errors import StochasticError

__all__ = [
    "DECISIONS",
    "DEFAULT_CVAR_ALPHA",
    "FIRST_STAGE_COLUMNS",
    "NODE_COLUMNS",
    "SCENARIO_COLUMNS",
    "SEPARATOR",
    "ZERO",
    "Extensive",
    "OutOfSample",
    "Risk",
    "ScenarioTree",
    "StochasticError",
    "StochasticResult",
    "TreeNode",
    "TwoStage",
    "build_extensive",
    "conditional_value_at_risk",
    "expected_value_problem",
    "load_tree",
    "out_of_sample",
    "risk_objective",
    "solve_stochastic",
    "tree_stages",
    "two_stage",
]
