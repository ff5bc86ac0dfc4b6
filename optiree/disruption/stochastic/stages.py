"""The two stages: the scenarios as problems, the periods committed now, and the risk the
objective weighs (:func:`two_stage`)."""

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

from optiree.disruption.scenarios import apply_checked, for_disruption, scenario_probabilities
from optiree.errors import StochasticError
from optiree.prepare import ProblemData, prepare, with_caps
from optiree.schema import Problem, Scenario, Share, StrictModel

DEFAULT_CVAR_ALPHA = 0.95
"""The CVaR level reported when no ``risk`` is given: the mean of the worst 5% of outcomes."""


class Risk(StrictModel):
    """Aversion to bad outcomes: minimise (1 - weight) E[cost] + weight CVaR_alpha[cost]."""

    cvar_alpha: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False, strict=True)] = (
        DEFAULT_CVAR_ALPHA
    )
    """alpha in [0, 1): CVaR_alpha is the expected cost over the worst 1 - alpha of probability
    (0.95: the worst 5%; 0: the expected cost)."""
    weight: Share
    """Weight of the CVaR in the objective: 0 is risk-neutral, 1 minimises the CVaR alone."""


@dataclass(frozen=True)
class Decided:
    """What one node of a scenario tree decides: its ``periods``, alike in every leaf under
    it."""

    node: str
    leaves: tuple[str, ...]
    """The leaves under the node (scenario names)."""
    periods: tuple[str, ...]
    """From the node's own period to the one its children are known from (excluded)."""


@dataclass(frozen=True)
class TwoStage:
    """The scenarios as problems, ready to be built: what each scenario faces and how likely it
    is."""

    problem: Problem
    problems: dict[str, Problem]
    """Scenario name -> ``apply(for_disruption(problem, penalty=...), scenario,
    from_period=revealed)``: shortage penalties (its own, else ``penalty``, else 10 x the
    dearest price), strategic stocks' gap costs and terminal prices resolved once on
    ``problem``."""
    probability: dict[str, float]
    committed: tuple[str, ...]
    """The periods decided now (the first stage)."""
    revealed: str
    """The first period of the recourse: the scenario is known from here on."""
    faced: Problem
    """``for_disruption(problem, penalty=...)`` without its scenarios: what every scenario
    changes (``problems[s]`` is ``apply(faced, s, from_period=revealed)``)."""
    nodes: tuple[Decided, ...] = ()
    """A tree of more than two stages: what each of its inner nodes decides, the root first
    (``committed``); ``problems`` are its leaves. Empty for two stages: the root alone."""
    capped: frozenset[str] = frozenset()
    """The scenarios whose problem is ``faced`` with caps added and a name of its own (no
    source or demand changes): prepared from ``faced``'s numbers and their own cap rows
    (:func:`optiree.prepare.with_caps`), not each from scratch."""

    def decided(self) -> tuple[Decided, ...]:
        """What each node decides; for two stages, the root: ``committed`` in every scenario."""
        return self.nodes or (Decided("", tuple(self.problems), self.committed),)

    def prepared(self) -> Iterator[tuple[str, ProblemData]]:
        """Each scenario and its problem's numbers (``prepare(problems[s])``), in order: those
        of ``capped`` from ``faced``'s, prepared once."""
        faced = prepare(self.faced)
        for scenario, problem in self.problems.items():
            yield (
                scenario,
                with_caps(faced, problem) if scenario in self.capped else prepare(problem),
            )

    def shared(self, scenario: str) -> tuple[str, ...]:
        """The periods ``scenario`` decides alike with some other: before it is known."""
        return tuple(t for d in self.decided() if scenario in d.leaves for t in d.periods)


def two_stage(
    problem: Problem,
    scenarios: Sequence[Scenario] | None = None,
    *,
    commit_periods: int = 1,
    penalty: float | Mapping[str, float] | None = None,
) -> TwoStage:
    """Each scenario's problem and probability, with the first ``commit_periods`` periods
    committed.

    Raises:
        pydantic.ValidationError: a scenario names something the problem does not have, or the
            probabilities are given for some scenarios only or do not sum to 1 (path
            ``scenarios``).
        StochasticError: no scenarios, or ``commit_periods`` out of range.
    """
    if scenarios is not None:
        problem = problem.derive(scenarios=list(scenarios))
    if not problem.scenarios:
        raise StochasticError(
            "no scenarios: pass scenarios=[...] or list them under the problem's 'scenarios'"
        )
    periods = problem.periods
    _check_recourse_left(commit_periods, len(periods))
    revealed = periods[commit_periods]
    # What a tonne short or below a stock target costs is resolved once, on the problem as it
    # stands: a scenario's price spike does not change it, and the committed periods cost the
    # same in every scenario.
    # Applied to the problem faced without its scenarios (a copy of every scenario per scenario
    # would make the work grow with the square of their number), and not checked alone once
    # more: they were checked with the problem, whose ids faced has, when it was validated
    # (one validation of the whole problem less per scenario).
    faced = for_disruption(problem, penalty=penalty).derive(scenarios=[])
    problems = {s.name: apply_checked(faced, s, revealed) for s in problem.scenarios}
    return TwoStage(
        problem,
        problems,
        scenario_probabilities(problem),
        tuple(periods[:commit_periods]),
        revealed,
        faced,
        capped=_only_cuts(problem.scenarios),
    )


def _only_cuts(scenarios: list[Scenario]) -> frozenset[str]:
    """The scenarios that change no source and no demand: applied, they only add caps."""
    return frozenset(s.name for s in scenarios if not (s.sources or s.demand))


def _check_recourse_left(commit_periods: int, count: int) -> None:
    if not _whole(commit_periods) or not 1 <= commit_periods < count:
        raise StochasticError(
            f"commit_periods must be a whole number from 1 to {count - 1} (the problem "
            f"has {count} periods, and at least one must be left for the recourse), "
            f"got {commit_periods!r}"
        )


def _whole(number: object) -> bool:
    """Whether ``number`` is a whole number (an int, not a bool)."""
    return isinstance(number, int) and not isinstance(number, bool)


def as_risk(risk: Risk | Mapping[str, Any] | None) -> Risk | None:
    if risk is None or isinstance(risk, Risk):
        return risk
    return Risk.model_validate(risk)


def fixed_stock(stages: TwoStage, stock: Mapping[str, float] | None) -> dict[str, float]:
    """The closing stock to fix at the end of the committed periods, per material [t].

    Raises:
        StochasticError: an unknown material, or tonnes that are not finite and >= 0.
    """
    if not stock:
        return {}
    _check_stock_materials(stages.problem.material_ids, stock)
    _check_stock_tonnes(stock)
    return {m: float(tonnes) for m, tonnes in stock.items()}


def _check_stock_materials(known: list[str], stock: Mapping[str, float]) -> None:
    unknown = [m for m in stock if m not in known]
    if unknown:
        raise StochasticError(
            f"first_stage_stock names unknown material(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(map(repr, known))}"
        )


def _check_stock_tonnes(stock: Mapping[str, float]) -> None:
    bad = [m for m, tonnes in stock.items() if not (math.isfinite(tonnes) and tonnes >= 0)]
    if bad:
        raise StochasticError(
            f"first_stage_stock must be finite tonnes >= 0; not so for {', '.join(bad)}"
        )
