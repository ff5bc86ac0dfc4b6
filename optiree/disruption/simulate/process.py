"""A disruption process: the states the world can be in, what each does to the problem, and how
one period's state follows the last (a Markov chain), or paths given outright.

The process is read from its own file (:func:`load_process`), not from the problem file: it is
an assumption about the world, varied on its own against the same problem (several processes,
one problem), and it names the problem's scenarios, which are checked against the problem when
a simulation starts (:func:`checked`).

A state acts period by period: in a period spent in a state, the problem is changed as the
state's scenario changes it in its own first disrupted period (:func:`state_effects`), so a
state "embargo" named after a scenario of an embargo from 2026Q1 for four quarters is an embargo
in every period the path spends in it, whenever that is. A state's scenario holds disruptions,
and may move sources' prices and capacities (``sources[]``, without ``tiers``): a price move of
the other sources while the controls last. The scenarios are the problem's, or the process's
own (``scenarios``), which keep the problem file as it is.
"""

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Self

import numpy as np
from pydantic import Field, ValidationError, ValidationInfo, model_validator
from pydantic_core import InitErrorDetails

from optiree import arguments
from optiree.disruption.scenarios import disruption_periods
from optiree.errors import ArgumentError
from optiree.io import read_document
from optiree.schema import (
    Disruption,
    Id,
    Problem,
    Scenario,
    Share,
    SourceChange,
    StrictModel,
    error_detail,
)

ROW_TOLERANCE = 1e-9
"""A row of a transition matrix sums to 1 within this."""
MAX_ENUMERATED = 100_000
"""Most paths :func:`every_path` lists."""

Matrix = dict[Id, dict[Id, Share]]
"""From-state -> to-state -> probability of moving from one to the other in a period."""


class State(StrictModel):
    """A state of the world, such as normal, licences or embargo."""

    name: Id
    scenario: Id | None = None
    """The problem's scenario that says what the state does (only disruptions); none: the
    problem as it stands (normal)."""


class GivenPath(StrictModel):
    """A path given outright: one state per period of the problem."""

    states: Annotated[list[Id], Field(min_length=1)]
    probability: Share | None = None
    """Its weight; give it for every path or for none (equally likely)."""


class Process(StrictModel):
    """A disruption process: states, the first one, and either transition probabilities (one
    matrix for every period, or one per period) or paths given outright."""

    name: str = "disruption process"
    states: Annotated[list[State], Field(min_length=1)]
    initial: Id | None = None
    """The state of the first period; default the first state listed."""
    transitions: Matrix | None = None
    """From-state -> to-state -> probability, the same in every period; a missing to-state is
    0. Every row sums to 1."""
    transitions_by_period: dict[Id, Matrix] | None = None
    """Period -> matrix of the move into that period, for every period but the first."""
    paths: list[GivenPath] | None = None
    """Paths given outright, instead of transitions."""
    scenarios: list[Scenario] = Field(default_factory=list)
    """Scenarios of the process's own, which states may name besides the problem's (their
    names differ from the problem's): a disruption with a price move, without changing the
    problem file."""

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Self:
        errors = list(_own_errors(self))
        problem = (info.context or {}).get("problem")
        if not errors and isinstance(problem, Problem):
            errors = list(_problem_errors(self, problem))
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self

    @property
    def first(self) -> str:
        """The state of the first period."""
        return self.initial if self.initial is not None else self.states[0].name

    def matrix(self, period: str) -> Matrix:
        """The matrix of the move into ``period``."""
        if self.transitions is not None:
            return self.transitions
        return (self.transitions_by_period or {})[period]


def _own_errors(process: Process) -> Iterator[InitErrorDetails]:
    names = [s.name for s in process.states]
    for i, name in enumerate(names):
        if name in names[:i]:
            yield error_detail(("states", i, "name"), "duplicate_id", f"repeated {name!r}", name)
    if process.first not in names:
        yield _unknown(("initial",), process.first, names)
    given = [process.transitions, process.transitions_by_period, process.paths]
    if given.count(None) != len(given) - 1:
        yield error_detail(
            (),
            "process_kind",
            "give exactly one of transitions, transitions_by_period and paths",
            None,
        )
    if process.transitions is not None:
        yield from _matrix_errors(process.transitions, ("transitions",), names)
    for period, matrix in (process.transitions_by_period or {}).items():
        yield from _matrix_errors(matrix, ("transitions_by_period", period), names)
    yield from _path_errors(process.paths or [], names)


def _unknown(loc: tuple[str | int, ...], name: str, names: Sequence[str]) -> InitErrorDetails:
    known = ", ".join(map(repr, names)) or "none"
    return error_detail(loc, "unknown_id", f"unknown {name!r}; known: {known}", name)


def _matrix_errors(
    matrix: Matrix, loc: tuple[str | int, ...], names: list[str]
) -> Iterator[InitErrorDetails]:
    for name in names:
        if name not in matrix:
            yield error_detail((*loc, name), "missing_row", f"no row for state {name!r}", None)
    for row, probabilities in matrix.items():
        yield from (
            _unknown((*loc, row, to), to, names) for to in [row, *probabilities] if to not in names
        )
        total = math.fsum(probabilities.values())
        if abs(total - 1.0) > ROW_TOLERANCE:
            yield error_detail(
                (*loc, row), "row_sum", f"the row sums to {total!r}, not 1", probabilities
            )


def _path_errors(paths: list[GivenPath], names: list[str]) -> Iterator[InitErrorDetails]:
    for i, path in enumerate(paths):
        for j, state in enumerate(path.states):
            if state not in names:
                yield _unknown(("paths", i, "states", j), state, names)
    given = [p.probability for p in paths if p.probability is not None]
    if 0 < len(given) < len(paths):
        yield error_detail(
            ("paths",), "probabilities", "give a probability for every path or for none", None
        )
    elif given and abs(math.fsum(map(float, given)) - 1) > 1e-9:
        yield error_detail(("paths",), "probabilities", "the probabilities do not sum to 1", None)


def _problem_errors(process: Process, problem: Problem) -> Iterator[InitErrorDetails]:
    yield from _scenario_errors(process, problem)
    yield from _period_errors(process, problem.periods)


def _scenario_errors(process: Process, problem: Problem) -> Iterator[InitErrorDetails]:
    yield from _own_scenario_errors(process, problem)
    scenarios = {s.name: s for s in [*problem.scenarios, *process.scenarios]}
    for i, state in enumerate(process.states):
        if state.scenario is None:
            continue
        scenario = scenarios.get(state.scenario)
        if scenario is None:
            yield _unknown(("states", i, "scenario"), state.scenario, list(scenarios))
        elif (
            scenario.caps
            or scenario.demand
            or not scenario.disruptions
            or any(c.tiers for c in scenario.sources)
        ):
            yield error_detail(
                ("states", i, "scenario"),
                "state_scenario",
                f"scenario {state.scenario!r} must hold disruptions, and may move sources' "
                "prices and capacities without tiers, nothing else (a state acts period by "
                "period); name another, or none for normal",
                state.scenario,
            )


def _own_scenario_errors(process: Process, problem: Problem) -> Iterator[InitErrorDetails]:
    """The process's scenarios: names the problem does not use, ids the problem has (each
    mistake at ``scenarios.<i>...`` of the process)."""
    taken = {s.name for s in problem.scenarios}
    for i, scenario in enumerate(process.scenarios):
        if scenario.name in taken:
            yield error_detail(
                ("scenarios", i, "name"),
                "duplicate_id",
                f"the problem has a scenario {scenario.name!r} already: name this one otherwise",
                scenario.name,
            )
            continue
        try:
            problem.derive(scenarios=[scenario.derive(probability=None)])
        except ValidationError as error:
            for line in error.errors():
                loc = ("scenarios", i, *line["loc"][2:])
                yield error_detail(loc, line["type"], line["msg"], line.get("input"))


def _period_errors(process: Process, periods: list[str]) -> Iterator[InitErrorDetails]:
    if process.transitions_by_period is not None:
        wanted = set(periods[1:])
        for period in sorted(wanted - set(process.transitions_by_period)):
            yield error_detail(
                ("transitions_by_period", period), "missing_period", "no matrix", None
            )
        for period in sorted(set(process.transitions_by_period) - wanted):
            yield _unknown(("transitions_by_period", period), period, periods[1:])
    for i, path in enumerate(process.paths or []):
        if len(path.states) != len(periods):
            yield error_detail(
                ("paths", i, "states"),
                "path_length",
                f"{len(path.states)} states for {len(periods)} periods",
                path.states,
            )


def checked(process: Process | Mapping[str, Any], problem: Problem) -> Process:
    """``process`` validated again, now against ``problem``: its scenarios exist and hold only
    disruptions, its matrices cover every period, its paths have one state per period.

    Raises:
        pydantic.ValidationError: each mistake at its field (``states.1.scenario``, ...).
    """
    data = process.model_dump() if isinstance(process, Process) else dict(process)
    return Process.model_validate(data, context={"problem": problem})


def load_process(path: str | Path) -> Process:
    """Read a process file (YAML, or JSON when it ends in .json).

    Raises:
        pydantic.ValidationError: the file does not parse or is not a valid process.
    """
    return Process.model_validate(read_document(arguments.path(path, "path")))


Path_ = tuple[str, ...]
"""A path: the state of each period."""


def sample_paths(process: Process, periods: Sequence[str], n: int, seed: int) -> list[Path_]:
    """``n`` paths drawn from the process: path ``i`` from child ``i`` of
    ``numpy.random.default_rng(seed).spawn(n)``, so the first ``k`` of ``n`` are those of
    ``k``."""
    return [_walk(process, periods, rng) for rng in np.random.default_rng(seed).spawn(n)]


def _walk(process: Process, periods: Sequence[str], rng: np.random.Generator) -> Path_:
    path = [process.first]
    for period in periods[1:]:
        row = process.matrix(period)[path[-1]]
        names = list(row)
        path.append(names[int(rng.choice(len(names), p=list(row.values())))])
    return tuple(path)


def every_path(process: Process, periods: Sequence[str]) -> list[tuple[Path_, float]]:
    """Every path of positive probability, with its probability (for small cases: an exact
    expectation).

    Raises:
        ArgumentError: more than :data:`MAX_ENUMERATED` paths.
    """
    names = [s.name for s in process.states]
    if len(names) ** (len(periods) - 1) > MAX_ENUMERATED:
        raise ArgumentError(
            f"{len(names)} states over {len(periods)} periods are too many paths to list: "
            "sample them (paths=N)"
        )
    found = []
    for rest in itertools.product(names, repeat=len(periods) - 1):
        path = (process.first, *rest)
        p = math.prod(
            process.matrix(t).get(a, {}).get(b, 0.0)
            for t, a, b in zip(periods[1:], path[:-1], path[1:], strict=True)
        )
        if p > 0:
            found.append((path, p))
    return found


@dataclass(frozen=True)
class Effect:
    """What a period spent in a state does: its disruptions and its sources' changes (each
    for that period alone)."""

    disruptions: tuple[Disruption, ...] = ()
    sources: tuple[SourceChange, ...] = ()


def state_effects(process: Process, problem: Problem) -> dict[str, Effect]:
    """Each state's effect in one period: its scenario's disruptions under way in the
    scenario's first disrupted period, and its source changes that hold then (none for a
    state without a scenario)."""
    scenarios = {s.name: s for s in [*problem.scenarios, *process.scenarios]}
    return {
        state.name: _first_period(scenarios[state.scenario], problem.periods)
        if state.scenario is not None
        else Effect()
        for state in process.states
    }


def _first_period(scenario: Scenario, periods: list[str]) -> Effect:
    windows = [disruption_periods(periods, d) for d in scenario.disruptions]
    first = periods[min(periods.index(w[0]) for w in windows if w)]
    return Effect(
        tuple(d for d, w in zip(scenario.disruptions, windows, strict=True) if first in w),
        tuple(c for c in scenario.sources if c.periods is None or first in c.periods),
    )


def path_scenario(name: str, effects: Sequence[Effect], periods: Sequence[str]) -> Scenario:
    """The scenario of a path, given the effect of each period: each run of periods with the
    same effect becomes its disruptions, from the run's start for its length, and its source
    changes, in the run's periods."""
    disruptions: list[Disruption] = []
    sources: list[SourceChange] = []
    start = 0
    for effect, same in itertools.groupby(effects):
        end = start + len(list(same))
        disruptions += [
            d.derive(start=periods[start], length=end - start) for d in effect.disruptions
        ]
        run = list(periods[start:end])
        sources += [c.derive(periods=run) for c in effect.sources]
        start = end
    return Scenario(name=name, disruptions=disruptions, sources=sources)
