"""Out-of-sample scoring: is the scenario sample big enough?

:func:`out_of_sample` takes the first stage :func:`solve_stochastic` chose on a sample of
scenarios and prices it on a fresh sample, each scenario solved alone with that first stage
fixed (as the expected-value solution's cost, EEV, is priced). The mean of those costs, with a
confidence interval, estimates the first stage's true expected cost; the in-sample figure
beside it shows how optimistic the solve was. See docs/stochastic.md, "Is the sample big
enough?".
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import pandas as pd

from optiree import arguments
from optiree.disruption.stochastic.solving import (
    StochasticResult,
    recourse_costs,
    risk_objective,
)
from optiree.disruption.stochastic.stages import fixed_stock, two_stage
from optiree.errors import ArgumentError, OptireeError
from optiree.schema import Problem, Scenario
from optiree.solvers import SolverName, name_of
from optiree.words import Carded, out_of_sample_summary

SCORE_COLUMNS = ["scenario", "probability", "cost"]
DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    """A mean of costs and its confidence interval, ``mean`` +/- ``half_width``."""

    mean: float
    half_width: float
    """NaN where the sample cannot say (one scenario of weight, or an infinite cost)."""

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width


def estimate(costs: Sequence[float], probabilities: Sequence[float], confidence: float) -> Estimate:
    """The probability-weighted mean of ``costs`` and its ``confidence`` interval, by the
    normal approximation: half-width z sigma / sqrt(n), with sigma^2 the weighted variance
    corrected for the n_eff = 1 / sum p^2 scenarios of weight (n for equal probabilities, so
    sigma^2 = sum (c - mean)^2 / (n - 1)). Scenarios of probability 0 do not count."""
    pairs = [(c, p) for c, p in zip(costs, probabilities, strict=True) if p > 0]
    weight = sum(p for _, p in pairs)
    if not pairs:
        return Estimate(math.nan, math.nan)
    if any(math.isinf(c) for c, _ in pairs):
        return Estimate(math.inf, math.nan)
    mean = sum(p * c for c, p in pairs) / weight
    n = weight**2 / sum(p * p for _, p in pairs)
    if n <= 1 + 1e-12:
        return Estimate(mean, math.nan)
    variance = sum(p * (c - mean) ** 2 for c, p in pairs) / weight * n / (n - 1)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    return Estimate(mean, z * math.sqrt(variance / n))


@dataclass(frozen=True)
class OutOfSample(Carded):
    """The first stage of a :class:`StochasticResult` priced on a fresh sample of scenarios:
    what :func:`out_of_sample` returns. Money in ``currency``."""

    problem_name: str
    solver: str
    currency: str
    confidence: float
    solved_scenarios: int
    """How many scenarios the first stage was chosen on."""
    in_sample: float
    """The expected cost over those scenarios at the optimum (``result.expected_cost``)."""
    estimate: Estimate
    """The expected cost over the fresh scenarios, with its interval."""
    objective: float
    """The objective (expected cost, or with a risk its mix with CVaR) on the fresh sample."""
    in_sample_objective: float
    """RP, the objective on the solved sample."""
    weighs_risk: bool
    """Whether the objective weighs a CVaR (then it differs from the expected cost)."""
    table: pd.DataFrame = field(repr=False)
    """One row per fresh scenario: ``scenario``, ``probability``, ``cost`` (+inf where the first
    stage leaves it no plan)."""

    @property
    def scenarios(self) -> int:
        """How many fresh scenarios were priced."""
        return len(self.table)

    @property
    def without_plan(self) -> int:
        """Fresh scenarios the first stage leaves with no plan."""
        return int(self.table["cost"].map(math.isinf).sum())

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name: ``scores``."""
        return {"scores": self.table}

    def summary(self) -> str:
        """In sample against out of sample, the interval, and what that says of the sample."""
        return out_of_sample_summary(self)


def out_of_sample(
    problem: Problem,
    result: StochasticResult,
    scenarios: Sequence[Scenario],
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    solver: SolverName | None = None,
    log: bool = False,
) -> OutOfSample:
    """Price the first stage of ``result`` on fresh ``scenarios`` of ``problem``.

    Each scenario is solved alone with the committed periods fixed at ``result``'s first stage
    (and its ``penalty`` and ``first_stage_stock``), as ``problem`` solved with those scenarios
    would have them. Draw the fresh sample as the solved one was drawn, with another seed and
    more scenarios (:func:`optiree.random_scenarios`).

    Args:
        problem: the problem ``result`` was solved on (its scenarios are replaced).
        result: an optimal :class:`StochasticResult`.
        scenarios: at least two fresh scenarios; probabilities as given or equal.
        confidence: the level of the interval, in (0, 1).
        solver: a solver's name or a configured ``pulp.LpSolver`` (docs/solvers.md); default
            the one ``result`` was solved with.
        log: print the solver's log of every solve on stdout.

    Raises:
        ArgumentError: ``result`` has no first stage, was not solved on ``problem``, or an
            argument does not fit.
        pydantic.ValidationError: a scenario names something ``problem`` does not have.
    """
    problem = arguments.model(problem, "problem", Problem)
    result = _optimal(result)
    scenarios = arguments.listed(scenarios, "scenarios", _scenario, minimum=2)
    _check_confidence(confidence)
    arguments.boolean(log, "log")
    chosen = solver if solver is not None else result.solver
    stages = two_stage(
        problem, scenarios, commit_periods=len(result.committed), penalty=result.penalty
    )
    if stages.committed != result.committed:
        raise ArgumentError(_not_its_problem(result, f"it commits {', '.join(stages.committed)}"))
    stock = fixed_stock(stages, result.first_stage_stock)
    try:
        costs = recourse_costs(stages, result.decisions, solver=chosen, stock=stock, log=log)
    except OptireeError as error:
        raise ArgumentError(_not_its_problem(result, str(error))) from error
    probabilities = [stages.probability[s] for s in stages.problems]
    return OutOfSample(
        problem_name=problem.name,
        solver=name_of(chosen),
        currency=problem.currency,
        confidence=confidence,
        solved_scenarios=len(result.scenario_costs),
        in_sample=_number(result.expected_cost),
        estimate=estimate(costs, probabilities, confidence),
        objective=risk_objective(costs, probabilities, result.risk),
        in_sample_objective=_number(result.objective),
        weighs_risk=result.risk is not None and result.risk.weight > 0,
        table=pd.DataFrame(
            list(zip(stages.problems, probabilities, costs, strict=True)), columns=SCORE_COLUMNS
        ),
    )


def _optimal(result: object) -> StochasticResult:
    if not isinstance(result, StochasticResult):
        raise ArgumentError(
            f"result: expected what solve_stochastic returns, got {type(result).__name__}"
        )
    if not result.is_optimal:
        raise ArgumentError(
            f"result: the two-stage problem is {result.status.value}; it has no first stage "
            "to score"
        )
    return result


def _check_confidence(confidence: object) -> None:
    number = arguments.number(confidence, "confidence")
    if not 0 < number < 1:
        raise ArgumentError(f"confidence: give a level between 0 and 1 (0.95), not {number!r}")


def _not_its_problem(result: StochasticResult, why: str) -> str:
    committed = ", ".join(result.committed)
    return f"result was not solved on this problem (its first stage commits {committed}): {why}"


def _number(value: float | None) -> float:
    return math.nan if value is None else value


def _scenario(value: object, name: str) -> Scenario:
    return arguments.model(value, name, Scenario)
