"""The random scenarios of a Monte Carlo sweep: :func:`random_scenarios` and its argument
checks (the distribution is described in docs/sweep.md)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from optiree import arguments
from optiree.disruption.scenarios import OTHERS, disruption_periods, moved_prices
from optiree.errors import ArgumentError
from optiree.schema import Disruption, Problem, Scenario, SourceChange

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
    price_moves: Mapping[str, tuple[float, float]] | None = None,
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
      the problem), each as likely as the others;
    - price moves, only when ``price_moves`` is given (source id, or ``"others"`` for every
      source outside ``country`` not named, -> (low, high) with 1 <= low <= high): with a
      disruption of cut ``c``, each entry draws ``u`` uniform in its range and multiplies
      every price of its sources (materials, feeds) by ``1 + c * (u - 1)``, rounded to 0.01,
      in the periods the disruption lasts (an embargo moves prices by the whole range, a 50%
      cut by half of it). These draws come from a stream of their own (a child of the
      scenario's), so the cuts drawn are those drawn without price moves.

    Raises:
        ArgumentError: ``n`` is below 1, ``country`` or a material is unknown, or a
            distribution parameter is out of range; every mistake is listed.
    """
    problem = arguments.model(problem, "problem", Problem)
    for value, name in ((n, "n"), (seed, "seed"), (min_length, "min_length")):
        arguments.integer(value, name)
    arguments.optional(arguments.integer, max_length, "max_length")
    arguments.number(embargo_probability, "embargo_probability")
    arguments.text(country, "country")
    materials = arguments.optional(
        arguments.listed, materials, "materials", arguments.text, minimum=0
    )
    cut_range = arguments.pair(cut_range, "cut_range")
    moves = (
        {}
        if price_moves is None
        else arguments.mapping_of(price_moves, "price_moves", arguments.pair)
    )
    draw = _Draw(
        problem,
        country=country,
        pool=list(problem.material_ids if materials is None else materials),
        lengths=(min_length, len(problem.periods) if max_length is None else max_length),
        embargo_probability=embargo_probability,
        cut_range=cut_range,
        price_moves=moves,
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
    price_moves: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Source id or ``"others"`` -> range of the price factor of an embargo."""


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
    changes = _price_moves(draw, disruption, rng) if draw.price_moves else []
    return Scenario(name=name, disruptions=[disruption], sources=changes)


def _price_moves(
    draw: _Draw, disruption: Disruption, rng: np.random.Generator
) -> list[SourceChange]:
    """The price moves that come with ``disruption``, drawn from a child of ``rng`` (so that
    ``rng`` draws what it draws without them): ``1 + cut * (u - 1)`` per entry, ``u`` uniform
    in its range, rounded to 0.01."""
    (moves,) = rng.spawn(1)
    factors = {
        key: round(1 + disruption.cut * (float(moves.uniform(low, high)) - 1), 2)
        for key, (low, high) in draw.price_moves.items()
    }
    window = disruption_periods(draw.problem.periods, disruption)
    return moved_prices(draw.problem, draw.country, window, factors)


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
        *_move_mistakes(draw.problem, draw.price_moves),
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


def _move_mistakes(problem: Problem, moves: dict[str, tuple[float, float]]) -> list[str]:
    """Unknown sources and ranges that are not 1 <= low <= high in ``price_moves``."""
    known = [OTHERS, *(s.id for s in problem.sources)]
    found = [
        f"price_moves names {key!r}, neither a source nor {OTHERS!r}; known: {', '.join(known)}"
        for key in moves
        if key not in known
    ]
    found += [
        f"price_moves[{key!r}] must satisfy 1 <= low <= high (a cut never lowers a price); "
        f"got {pair}"
        for key, pair in moves.items()
        if not 1 <= pair[0] <= pair[1] < float("inf")
    ]
    return found


def _subset(rng: np.random.Generator, pool: list[str]) -> list[str]:
    """A non-empty subset of ``pool``, uniform over all of them, in the order of ``pool``."""
    while True:
        chosen = [m for m, keep in zip(pool, rng.random(len(pool)) < 0.5, strict=True) if keep]
        if chosen:
            return chosen
