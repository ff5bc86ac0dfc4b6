"""The random scenarios of a Monte Carlo sweep: :func:`random_scenarios` and its argument
checks (the distribution is described in docs/sweep.md)."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from optiree import arguments
from optiree.errors import ArgumentError
from optiree.schema import Disruption, Problem, Scenario

EMBARGO_PROBABILITY = 0.5
"""Default chance that a random disruption is an embargo (cut 1) rather than an export cut."""
CUT_RANGE = (0.1, 0.9)
"""Default range of an export cut's depth (share of capacity withheld), drawn uniformly."""


def random_scenarios(
    problem: Problem,
    n: int,
    *,
    seed: int,
    country: str = "CN",
    materials: Sequence[str] | None = None,
    min_length: int = 0,
    max_length: int | None = None,
    embargo_probability: float = EMBARGO_PROBABILITY,
    cut_range: tuple[float, float] = CUT_RANGE,
) -> list[Scenario]:
    """``n`` random supply disruptions by ``country``, named ``r0001``, ``r0002``... (equally
    likely: no probability is set).

    Each scenario is drawn from its own random stream (``numpy.random.default_rng(seed)``
    spawned into ``n`` children), so the same seed gives the same scenarios, and the first
    ``k`` of ``n`` draws are the ``k`` of a smaller sweep. Every choice is uniform:

    - ``start``: one of the problem's periods;
    - ``length``: a whole number of periods from ``min_length`` to ``max_length`` (default:
      the number of periods), cut at the end of the horizon; 0 means no disruption (the
      scenario changes nothing);
    - kind: an embargo (cut 1) with probability ``embargo_probability``, else an export cut
      whose depth (share of capacity withheld) lies in ``cut_range``, rounded to 0.01;
    - materials: one of the non-empty subsets of ``materials`` (default: every material of
      the problem), each as likely as the others.

    Raises:
        ArgumentError: ``n`` is below 1, ``country`` or a material is unknown, or a
            distribution parameter is out of range; every mistake is listed.
    """
    problem = arguments.model(problem, "problem", Problem)
    for value, name in ((n, "n"), (seed, "seed"), (min_length, "min_length")):
        arguments.integer(value, name)
    if max_length is not None:
        arguments.integer(max_length, "max_length")
    arguments.number(embargo_probability, "embargo_probability")
    arguments.text(country, "country")
    if materials is not None:
        materials = arguments.listed(materials, "materials", arguments.text, minimum=0)
    cut_range = arguments.pair(cut_range, "cut_range")
    draw = _Draw(
        problem,
        country=country,
        pool=list(problem.material_ids if materials is None else materials),
        lengths=(min_length, len(problem.periods) if max_length is None else max_length),
        embargo_probability=embargo_probability,
        cut_range=cut_range,
    )
    mistakes = _mistakes(n, seed, draw)
    if mistakes:
        raise ArgumentError("cannot draw random scenarios: " + "; ".join(mistakes))
    return [
        _scenario(draw, f"r{i:04d}", rng)
        for i, rng in enumerate(np.random.default_rng(seed).spawn(n), start=1)
    ]


@dataclass(frozen=True)
class _Draw:
    """The distribution of :func:`random_scenarios`."""

    problem: Problem
    country: str
    pool: list[str]
    """The materials a disruption may cut."""
    lengths: tuple[int, int]
    """The shortest and longest disruption [periods]."""
    embargo_probability: float
    cut_range: tuple[float, float]


def _scenario(draw: _Draw, name: str, rng: np.random.Generator) -> Scenario:
    """One scenario from its own random stream; the draws come in the same order whether it
    changes anything or not."""
    periods = draw.problem.periods
    first = int(rng.integers(len(periods)))
    length = int(rng.integers(draw.lengths[0], draw.lengths[1] + 1))
    embargo = bool(rng.random() < draw.embargo_probability)
    depth = round(float(rng.uniform(*draw.cut_range)), 2)
    chosen = _subset(rng, draw.pool)
    if length == 0:
        return Scenario(name=name, disruptions=[])
    disruption = Disruption(
        country=draw.country,
        materials=chosen,
        start=periods[first],
        length=min(length, len(periods) - first),
        cut=1.0 if embargo else depth,
    )
    return Scenario(name=name, disruptions=[disruption])


def _mistakes(n: int, seed: int, draw: _Draw) -> list[str]:
    """Everything wrong with the arguments of :func:`random_scenarios`, in words."""
    found = (
        _count_mistake(n),
        _seed_mistake(seed),
        _country_mistake(draw.problem, draw.country),
        _unknown_mistake(draw.problem, draw.pool),
        _repeated_mistake(draw.pool),
        _empty_mistake(draw.pool),
        _length_mistake(*draw.lengths),
        _probability_mistake(draw.embargo_probability),
        _cut_mistake(draw.cut_range),
    )
    return [mistake for mistake in found if mistake is not None]


def _count_mistake(n: int) -> str | None:
    if isinstance(n, int) and n >= 1:
        return None
    return f"n must be a whole number of scenarios, at least 1; got {n!r}"


def _seed_mistake(seed: int) -> str | None:
    if isinstance(seed, int) and seed >= 0:
        return None
    return f"seed must be a whole number >= 0; got {seed!r}"


def _country_mistake(problem: Problem, country: str) -> str | None:
    if country in problem.countries:
        return None
    known = ", ".join(problem.countries)
    return f"unknown country {country!r}; the sources' countries are: {known}"


def _unknown_mistake(problem: Problem, pool: list[str]) -> str | None:
    unknown = [m for m in pool if m not in problem.material_ids]
    if not unknown:
        return None
    known = ", ".join(problem.material_ids)
    return f"unknown material(s) {', '.join(unknown)}; known: {known}"


def _repeated_mistake(pool: list[str]) -> str | None:
    repeated = sorted({m for m in pool if pool.count(m) > 1})
    return f"material(s) listed twice: {', '.join(repeated)}" if repeated else None


def _empty_mistake(pool: list[str]) -> str | None:
    if pool:
        return None
    return "materials is empty: name at least one, or leave it out for all"


def _length_mistake(shortest: int, longest: int) -> str | None:
    if 0 <= shortest <= longest:
        return None
    return f"lengths must satisfy 0 <= min_length <= max_length; got {shortest}, {longest}"


def _probability_mistake(embargo_probability: float) -> str | None:
    if 0 <= embargo_probability <= 1:
        return None
    return f"embargo_probability must be in [0, 1]; got {embargo_probability}"


def _cut_mistake(cut_range: tuple[float, float]) -> str | None:
    low, high = cut_range
    if 0 <= low <= high <= 1:
        return None
    return f"cut_range must satisfy 0 <= low <= high <= 1; got {cut_range}"


def _subset(rng: np.random.Generator, pool: list[str]) -> list[str]:
    """A non-empty subset of ``pool``, uniform over all of them, in the order of ``pool``."""
    while True:
        chosen = [m for m, keep in zip(pool, rng.random(len(pool)) < 0.5, strict=True) if keep]
        if chosen:
            return chosen
