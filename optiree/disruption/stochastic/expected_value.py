"""The expected-value problem: the deterministic problem whose uncertain numbers are their
means over the scenarios (:func:`expected_value_problem`)."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from optiree.disruption.stochastic.stages import TwoStage
from optiree.prepare import ProblemData, floor_price, prepare
from optiree.schema import Cap, Feed, Problem, Source, Substitute
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
    keys = list(dict.fromkeys(k for table in tables for k in table))
    means = {}
    for key in keys:
        pairs = _weighted(tables, weights, key, absent)
        chosen = [w for _, w in pairs]
        if sum(chosen) > 0:
            means[key] = _mean([v for v, _ in pairs], chosen)
    return means


def _weighted(
    tables: Sequence[Mapping[Any, float]], weights: Sequence[float], key: Any, absent: float | None
) -> list[tuple[float, float]]:
    """Each table's value of ``key`` (``absent`` where it has none) with its weight; the tables
    without a value are left out."""
    pairs = [(table.get(key, absent), w) for table, w in zip(tables, weights, strict=True)]
    return [(float(v), w) for v, w in pairs if v is not None]


CapTarget = tuple[str, str, str, str]
"""("country" or "source", its id, material, period)."""


def _purchase_limits(problem: Problem, data: ProblemData) -> dict[CapTarget, float]:
    """The most that can be bought from each capped country or source per material and period
    in one scenario: its least cap there, and no more than its capacity."""
    caps = {problem.cap_id(i): cap for i, cap in enumerate(problem.caps)}
    limits: dict[CapTarget, float] = {}
    for row in data.caps:
        cap = caps[row.cap]
        if cap.sum_over:
            continue  # a total: kept as the base problem has it
        target = ("country", cap.country) if cap.country is not None else ("source", cap.source)
        key = (target[0], str(target[1]), row.material, row.period)
        limits[key] = min(limits.get(key, math.inf), row.limit, row.capacity)
    return limits


def _capacity_of(
    problem: Problem, capacity: Mapping[tuple[str, str, str], float], target: CapTarget
) -> float:
    kind, who, m, t = target
    matching = [s.id for s in problem.sources if (s.country if kind == "country" else s.id) == who]
    return sum(capacity.get((s, m, t), 0.0) for s in matching)


def expected_value_problem(stages: TwoStage) -> Problem:
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
    terms are the base problem's. The problem is written in
    t REO (see :mod:`optiree.units`).
    """
    means = _Means(stages)
    base = means.base
    return base.derive(
        name=f"{stages.problem.name} [expected value]",
        reference_prices={},
        sources=[means.source(source) for source in base.sources],
        substitutes=[means.substitute(substitute) for substitute in base.substitutes],
        demand={m: {t: means.mean.demand[m, t] for t in base.periods} for m in base.material_ids},
        shortage_penalty={m: means.mean.penalty.get(m, 0.0) for m in base.material_ids},
        caps=[*means.caps(), *(cap for cap in base.caps if cap.sum_over)],
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

    @classmethod
    def of(cls, datas: Sequence[ProblemData], weights: Sequence[float]) -> "_Averages":
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
        return cls(
            capacity=_mean_over(capacity, weights, absent=0.0),
            price=_mean_over(price, weights, absent=None),
            feed_capacity=_mean_over(feed_capacity, weights, absent=0.0),
            feed_price=_mean_over(feed_price, weights, absent=None),
            sub_capacity=_mean_over(sub_capacity, weights, absent=0.0),
            sub_cost=_mean_over(sub_cost, weights, absent=None),
            demand=_mean_over(demand, weights, absent=0.0),
            penalty=_mean_over(penalty, weights, absent=0.0),
        )


class _Means:
    """The probability-weighted means over the scenario problems (in t REO), index by index,
    and the base problem's parts with them put in."""

    def __init__(self, stages: TwoStage) -> None:
        names = list(stages.problems)
        self.problems = [in_tonnes_of_oxide(stages.problems[s]) for s in names]
        self.weights = [stages.probability[s] for s in names]
        self.datas = [prepare(p) for p in self.problems]
        self.base = self.problems[0]
        self.periods = self.base.periods
        self.mean = _Averages.of(self.datas, self.weights)

    def source(self, source: Source) -> Source:
        """The source with its mean capacity and prices (over the scenarios in which it has
        capacity), its floor as prices, available from the first period."""
        s, periods = source.id, self.periods
        floor = source.price_floor
        if source.price_floor_multiplier is not None:  # a multiple of the prices dropped
            floor = {
                m: {t: floor_price(self.base, source, m, t) for t in periods}
                for m in source.capacity
            }
        capacity = {
            m: {t: self.mean.capacity.get((s, m, t), 0.0) for t in periods} for m in source.capacity
        }
        prices = {
            m: {t: self.mean.price[s, m, t] for t in periods if capacity[m][t] > 0}
            for m in source.capacity
        }
        return source.derive(
            price_floor=floor,
            price_floor_multiplier=None,
            capacity=capacity,
            prices=prices,
            price_multiplier=1.0,
            available_from=None,
            feeds=[self.feed(feed) for feed in source.feeds],
        )

    def feed(self, feed: Feed) -> Feed:
        """The feed with its mean capacity and price."""
        f, periods = feed.id, self.periods
        capacity = {t: self.mean.feed_capacity.get((f, t), 0.0) for t in periods}
        price = {t: self.mean.feed_price[f, t] for t in periods if capacity[t] > 0}
        return feed.derive(capacity=capacity, price_per_tonne_feed=price)

    def substitute(self, substitute: Substitute) -> Substitute:
        """The substitute with its mean capacity and cost, available from the first period."""
        k, periods = substitute.id, self.periods
        capacity = {t: self.mean.sub_capacity.get((k, t), 0.0) for t in periods}
        cost = {t: self.mean.sub_cost[k, t] for t in periods if capacity[t] > 0}
        return substitute.derive(capacity=capacity, cost=cost, available_from=None)

    def caps(self) -> list[Cap]:
        """A ``max_tonnes`` cap ``mean<i>`` per capped target, material and period where the
        mean of what can be bought from it is below its mean capacity."""
        limits = [_purchase_limits(p, d) for p, d in zip(self.problems, self.datas, strict=True)]
        caps: list[Cap] = []
        for target in dict.fromkeys(k for table in limits for k in table):
            values = [
                table.get(target, _capacity_of(p, d.capacity, target))
                for table, p, d in zip(limits, self.problems, self.datas, strict=True)
            ]
            limit = _mean(values, self.weights)
            if limit < _capacity_of(self.base, self.mean.capacity, target):
                caps.append(_cap(f"mean{len(caps) + 1}", target, max(limit, 0.0)))
        return caps


def _cap(name: str, target: CapTarget, tonnes: float) -> Cap:
    """A cap of ``tonnes`` on a target in one material and period."""
    kind, who, m, t = target
    return Cap(
        id=name,
        country=who if kind == "country" else None,
        source=who if kind == "source" else None,
        materials=[m],
        periods=[t],
        max_tonnes=tonnes,
    )
