"""The expected-value problem: the deterministic problem whose uncertain numbers are their
means over the scenarios (:func:`expected_value_problem`)."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from optiree.disruption.scenarios import target_fields
from optiree.disruption.stochastic.stages import TwoStage
from optiree.prepare import ProblemData, floor_price, prepare
from optiree.schema import Cap, Feed, PricePerPeriod, Problem, Source, Substitute
from optiree.units import in_tonnes_of_oxide


def _mean(values: Sequence[float], weights: Sequence[float]) -> float:
    """The weighted mean; exactly the common value when all are equal (so that numbers no
    scenario changes stay exactly as they are)."""
    if all(v == values[0] for v in values):
        return values[0]
    total = sum(weights)
    return sum(w * v for w, v in zip(weights, values, strict=True)) / total


def _mean_over(
    tables: Sequence[Mapping[Any, float]], weights: Sequence[float], *, absent: float | None
) -> dict[Any, float]:
    """Per key, the weighted mean over the tables: a table without the key counts ``absent``,
    or (None) is left out and the others' weights renormalised."""
    means = {}
    for key in _keys(tables):
        pairs = _weighted(tables, weights, key, absent)
        chosen = [w for _, w in pairs]
        if sum(chosen) > 0:
            means[key] = _mean([v for v, _ in pairs], chosen)
    return means


def _keys(tables: Sequence[Mapping[Any, Any]]) -> list[Any]:
    """Every key of the tables, in order of first appearance."""
    return list(dict.fromkeys(k for table in tables for k in table))


def _weighted(
    tables: Sequence[Mapping[Any, float]], weights: Sequence[float], key: Any, absent: float | None
) -> list[tuple[float, float]]:
    """Each table's value of ``key`` (``absent`` where it has none) with its weight; the tables
    without a value are left out."""
    pairs = [(table.get(key, absent), w) for table, w in zip(tables, weights, strict=True)]
    return [(float(v), w) for v, w in pairs if v is not None]


CapTarget = tuple[str, str, str, str]
"""("country", "source" or "facility", its id, material, period); a facility's material
is the materials its cap totals, joined by '+'."""


def _purchase_limits(problem: Problem, data: ProblemData) -> dict[CapTarget, float]:
    """The most that can be bought from each capped country or source per material and period
    in one scenario (taken in by each capped facility, of the materials its cap totals): its
    least cap there, and no more than its capacity."""
    caps = {problem.cap_id(i): cap for i, cap in enumerate(problem.caps)}
    limits: dict[CapTarget, float] = {}
    for row in data.caps:
        cap = caps[row.cap]
        if "periods" in cap.sum_over or (cap.sum_over and cap.facility is None):
            continue  # a total: kept as the base problem has it
        key = (*cap.target, row.material, row.period)
        limits[key] = min(limits.get(key, math.inf), row.limit, row.capacity)
    return limits


def _capacity_of(
    data: ProblemData, capacity: Mapping[tuple[str, str, str], float], target: CapTarget
) -> float:
    """The capacity of ``target`` in ``capacity`` (a facility's, which its materials share,
    is the same in every scenario)."""
    kind, who, m, t = target
    if kind == "facility":
        return data.facility_capacity[who, t]
    return sum(capacity.get((s.id, m, t), 0.0) for s in data.problem.sources if _on(s, kind, who))


def _on(source: Source, kind: str, who: str) -> bool:
    """Whether a cap on ``kind`` ("country" or "source") ``who`` applies to ``source``."""
    return (source.country if kind == "country" else source.id) == who


def expected_value_problem(
    stages: TwoStage, prepared: Mapping[str, ProblemData] | None = None
) -> Problem:
    """The deterministic problem whose uncertain numbers are their means over the scenarios.

    Each number is the probability-weighted mean, index by index, over the scenario problems
    (``stages.problems``): capacity per (source, material, period) and substitute capacity per
    (substitute, period), a missing one counting 0; demand per (material, period); the price
    per (source, material, period) and the substitute cost per (substitute, period), over the
    scenarios in which the source has capacity (the substitute can be used) there,
    renormalised; and for
    each capped country or source, material and period, the most that can be bought from it: in
    each scenario its least cap there (at most its capacity), or its capacity where no cap
    applies. Those means become ``max_tonnes`` caps named ``mean1``, ``mean2``... (left out
    where they cannot bind). The committed periods are the same in every scenario, so they stay
    as they are. Security rules, stock and shortage penalties are the same in every scenario
    and are kept. Feeds' capacity and price are averaged like a source's; price tiers, floors,
    contracts, caps over several periods or materials (``sum_over``) and the other supply
    terms are the base problem's; a facility's cap over its materials is averaged like a
    source's, its limit and capacity those of its materials together. The problem is written
    in t REO (see :mod:`optiree.units`). ``prepared``: the scenario problems' numbers
    (:meth:`TwoStage.prepared`), where already made; else each is prepared here.
    """
    means = _means(stages, prepared)
    base = means.base
    return base.derive(
        name=f"{stages.problem.name} [expected value]",
        reference_prices={},
        sources=[_mean_source(means, source) for source in base.sources],
        substitutes=[_mean_substitute(means, substitute) for substitute in base.substitutes],
        demand=_per_period(means.average.demand, base.material_ids, base.periods),
        shortage_penalty={m: means.average.penalty.get(m, 0.0) for m in base.material_ids},
        caps=[*_mean_caps(means), *_totals(base, stages.problem)],
        scenarios=[],
    )


@dataclass(frozen=True)
class _Averages:
    """The probability-weighted means of the uncertain numbers, by their index in
    :class:`optiree.prepare.ProblemData`."""

    capacity: dict[Any, float]
    price: dict[Any, float]
    """Over the scenarios where the source sells the material in the period."""
    feed_capacity: dict[Any, float]
    feed_price: dict[Any, float]
    sub_capacity: dict[Any, float]
    sub_cost: dict[Any, float]
    demand: dict[Any, float]
    penalty: dict[Any, float]


@dataclass(frozen=True)
class _Means:
    """The scenario problems (in t REO), their data and weights, and their averages."""

    problems: list[Problem]
    datas: list[ProblemData]
    weights: list[float]
    base: Problem
    """The first scenario's problem: what is not averaged is taken from it."""
    average: _Averages


def _means(stages: TwoStage, prepared: Mapping[str, ProblemData] | None) -> _Means:
    names = list(stages.problems)
    problems = [in_tonnes_of_oxide(stages.problems[s]) for s in names]
    datas = [prepare(p) for p in problems] if prepared is None else [prepared[s] for s in names]
    weights = [stages.probability[s] for s in names]
    return _Means(problems, datas, weights, problems[0], _averages(datas, weights))


def _averages(datas: Sequence[ProblemData], weights: Sequence[float]) -> _Averages:
    """The means over ``datas``, weighted by ``weights``."""
    (capacity, price, feed_capacity, feed_price, sub_capacity, sub_cost, demand, penalty) = zip(
        *[
            (
                d.capacity,
                d.price,
                d.feed_capacity,
                d.feed_price,
                d.sub_capacity,
                d.sub_cost,
                d.demand,
                d.penalty,
            )
            for d in datas
        ],
        strict=True,
    )
    return _Averages(
        capacity=_mean_over(capacity, weights, absent=0.0),
        price=_mean_over(price, weights, absent=None),
        feed_capacity=_mean_over(feed_capacity, weights, absent=0.0),
        feed_price=_mean_over(feed_price, weights, absent=None),
        sub_capacity=_mean_over(sub_capacity, weights, absent=0.0),
        sub_cost=_mean_over(sub_cost, weights, absent=None),
        demand=_mean_over(demand, weights, absent=0.0),
        penalty=_mean_over(penalty, weights, absent=0.0),
    )


def _per_period(
    values: Mapping[Any, float], items: list[str], periods: list[str]
) -> dict[str, dict[str, float]]:
    """Item -> period -> the value at (item, period)."""
    return {i: {t: values[i, t] for t in periods} for i in items}


def _totals(base: Problem, problem: Problem) -> list[Cap]:
    """The caps of ``problem`` itself over several periods or materials (``sum_over``), as
    ``base`` (the first scenario's problem) has them; not the scenario's own."""
    own = {problem.cap_id(i) for i in range(len(problem.caps))}
    return [cap for i, cap in enumerate(base.caps) if cap.sum_over and base.cap_id(i) in own]


def _mean_source(means: _Means, source: Source) -> Source:
    """The source with its mean capacity and prices (over the scenarios in which it has
    capacity), its floor as prices, available from the first period."""
    periods, average = means.base.periods, means.average.capacity
    capacity = {
        m: {t: average.get((source.id, m, t), 0.0) for t in periods} for m in source.capacity
    }
    price = means.average.price
    return source.derive(
        price_floor=_floor(means.base, source),
        price_floor_multiplier=None,
        capacity=capacity,
        prices={
            m: _sold_at(price, (source.id, m), capacity[m]) | _new_prices(means, source.id, m)
            for m in source.capacity
        },
        price_multiplier=1.0,
        available_from=None,
        feeds=[_mean_feed(means, feed) for feed in source.feeds],
    )


def _floor(problem: Problem, source: Source) -> dict[str, PricePerPeriod]:
    """The source's least prices; a multiple of the reference prices (dropped) as prices."""
    if source.price_floor_multiplier is None:
        return source.price_floor
    return {
        m: {t: floor_price(problem, source, m, t) for t in problem.periods} for m in source.capacity
    }


def _sold_at(
    price: Mapping[Any, float], key: tuple[str, ...], capacity: Mapping[str, float]
) -> dict[str, float]:
    """The mean price at ``key`` in each period with capacity."""
    return {t: price[(*key, t)] for t, tonnes in capacity.items() if tonnes > 0}


def _new_prices(means: _Means, source: str, material: str) -> dict[str, float]:
    """The mean price of ``material`` from ``source`` in the periods new capacity can serve
    it (an investment option's), where the source may have no capacity of its own."""
    price = means.average.price
    return {
        t: price[s, m, t] for s, m, t in means.datas[0].new_supply if (s, m) == (source, material)
    }


def _mean_feed(means: _Means, feed: Feed) -> Feed:
    """The feed with its mean capacity and price (also where only new capacity of an
    investment option can serve)."""
    average = means.average.feed_capacity
    capacity = {t: average.get((feed.id, t), 0.0) for t in means.base.periods}
    price = _sold_at(means.average.feed_price, (feed.id,), capacity)
    price |= {t: means.average.feed_price[f, t] for f, t in means.datas[0].new_feed if f == feed.id}
    return feed.derive(capacity=capacity, price_per_tonne_feed=price)


def _mean_substitute(means: _Means, substitute: Substitute) -> Substitute:
    """The substitute with its mean capacity and cost, available from the first period."""
    average = means.average.sub_capacity
    capacity = {t: average.get((substitute.id, t), 0.0) for t in means.base.periods}
    cost = _sold_at(means.average.sub_cost, (substitute.id,), capacity)
    new = means.datas[0].new_units
    cost |= {t: means.average.sub_cost[k, t] for k, t in new if k == substitute.id}
    return substitute.derive(capacity=capacity, cost=cost, available_from=None)


def _mean_caps(means: _Means) -> list[Cap]:
    """A ``max_tonnes`` cap ``mean<i>`` per capped target, material and period where the
    mean of what can be bought from it is below its mean capacity."""
    limits = [_purchase_limits(p, d) for p, d in zip(means.problems, means.datas, strict=True)]
    caps: list[Cap] = []
    for target in _keys(limits):
        limit = _mean_limit(means, limits, target)
        if limit < _capacity_of(means.datas[0], means.average.capacity, target):
            caps.append(_cap(f"mean{len(caps) + 1}", target, max(limit, 0.0)))
    return caps


def _mean_limit(means: _Means, limits: list[dict[CapTarget, float]], target: CapTarget) -> float:
    """The mean of the most that can be bought from a target: its least cap in each scenario,
    or its capacity where no cap applies."""
    values = [
        table.get(target, _capacity_of(d, d.capacity, target))
        for table, d in zip(limits, means.datas, strict=True)
    ]
    return _mean(values, means.weights)


def _cap(name: str, target: CapTarget, tonnes: float) -> Cap:
    """A cap of ``tonnes`` on a target in one material and period (on a facility, in the
    materials its cap totals together)."""
    kind, who, m, t = target
    return Cap(
        id=name,
        **target_fields((kind, who)),
        materials=m.split("+"),
        periods=[t],
        max_tonnes=tonnes,
        sum_over=["materials"] if kind == "facility" else [],
    )
