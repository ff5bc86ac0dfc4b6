"""Validated problem -> the indexed numbers the LP is built from.

Resolves every "scalar or per-period" input to one number per index, applies ``available_from``
and ``price_multiplier``, and expands each cap into one row per material and period. Nothing here
knows about PuLP.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from optiree.schema import Problem

SMT = tuple[str, str, str]
"""(source, material, period)."""
KT = tuple[str, str]
"""(substitute, period)."""
MT = tuple[str, str]
"""(material, period)."""


@dataclass(frozen=True)
class CapRow:
    """One cap restricted to one material and period."""

    cap: str
    material: str
    period: str
    sources: tuple[str, ...]
    """Matching sources that can supply ``material`` in ``period``."""
    limit: float
    """Largest total tonnes from ``sources`` [t]."""
    share: float | None
    """``max_share_of_capacity`` when the cap is a share; None for ``max_tonnes``."""
    capacity: float
    """Total capacity of ``sources`` for this material and period [t]."""


@dataclass(frozen=True)
class ProblemData:
    """A problem's numbers, one per index."""

    problem: Problem
    periods: tuple[str, ...]
    materials: tuple[str, ...]
    country: dict[str, str]
    """Source -> country."""
    capacity: dict[SMT, float]
    """Capacity [t] of every (source, material, period) that can supply; absent means none."""
    price: dict[SMT, float]
    """Price per tonne, same keys as ``capacity``."""
    sub_capacity: dict[KT, float]
    """Units per period of every (substitute, period) that can be used."""
    sub_cost: dict[KT, float]
    saves: dict[str, dict[str, float]]
    """Substitute -> material -> tonnes avoided per unit."""
    demand: dict[MT, float]
    initial: dict[str, float]
    holding: dict[str, float]
    penalty: dict[str, float]
    """Shortage penalty per tonne, only for materials that may go short."""
    caps: tuple[CapRow, ...]
    stock_cover: dict[MT, float]
    """Closing stock as a multiple of demand, where a cover rule applies and is positive."""

    def previous(self, period: str) -> str | None:
        """The period before ``period``, or None for the first."""
        i = self.periods.index(period)
        return self.periods[i - 1] if i > 0 else None


def value_at(value: float | Mapping[str, float], period: str) -> float:
    """A scalar, or a per-period dict where an unlisted period is 0."""
    return value.get(period, 0.0) if isinstance(value, Mapping) else value


def defined_at(value: float | Mapping[str, float] | None, period: str) -> float | None:
    """A scalar, or a per-period dict's entry; None where nothing is given (prices, costs)."""
    if value is None or (isinstance(value, Mapping) and period not in value):
        return None
    return value_at(value, period)


def _periods_from(periods: list[str], first: str | None) -> list[str]:
    return periods[periods.index(first) :] if first is not None else periods


def prepare(problem: Problem) -> ProblemData:
    """Resolve a validated problem into per-index numbers."""
    periods = problem.periods
    capacity: dict[SMT, float] = {}
    price: dict[SMT, float] = {}
    for s in problem.sources:
        for m, cap in s.capacity.items():
            for t in _periods_from(periods, s.available_from):
                tonnes = value_at(cap, t)
                if tonnes <= 0:
                    continue
                own = defined_at(s.prices.get(m), t)
                reference = defined_at(problem.reference_prices.get(m), t)
                if own is None:
                    if reference is None:
                        raise AssertionError(
                            f"validation let {s.id!r} sell {m!r} in {t!r} unpriced"
                        )
                    own = reference * s.price_multiplier
                capacity[s.id, m, t] = tonnes
                price[s.id, m, t] = own

    sub_capacity: dict[KT, float] = {}
    sub_cost: dict[KT, float] = {}
    for k in problem.substitutes:
        for t in _periods_from(periods, k.available_from):
            units = value_at(k.capacity, t)
            if units > 0:
                sub_capacity[k.id, t] = units
                sub_cost[k.id, t] = value_at(k.cost, t)

    return ProblemData(
        problem=problem,
        periods=tuple(periods),
        materials=tuple(problem.material_ids),
        country={s.id: s.country for s in problem.sources},
        capacity=capacity,
        price=price,
        sub_capacity=sub_capacity,
        sub_cost=sub_cost,
        saves={k.id: dict(k.saves) for k in problem.substitutes},
        demand={
            (m, t): value_at(problem.demand[m], t) for m in problem.material_ids for t in periods
        },
        initial={m: problem.stock.initial.get(m, 0.0) for m in problem.material_ids},
        holding={m: problem.stock.holding_cost.get(m, 0.0) for m in problem.material_ids},
        penalty=dict(problem.shortage_penalty),
        caps=tuple(_cap_rows(problem, capacity)),
        stock_cover={
            (m, t): value_at(cover, t)
            for m, cover in problem.security.min_stock_cover.items()
            for t in periods
            if value_at(cover, t) > 0
        },
    )


def _cap_rows(problem: Problem, capacity: dict[SMT, float]) -> list[CapRow]:
    rows = []
    for i, cap in enumerate(problem.caps):
        matching = [s.id for s in problem.sources if s.id == cap.source or s.country == cap.country]
        for m in cap.materials or problem.material_ids:
            for t in cap.periods or problem.periods:
                sources = tuple(s for s in matching if (s, m, t) in capacity)
                if not sources:
                    continue  # nothing to restrict: the row would read 0 <= limit
                total = sum(capacity[s, m, t] for s in sources)
                share = cap.max_share_of_capacity
                limit = share * total if share is not None else cap.max_tonnes
                if limit is None:
                    raise AssertionError(f"validation let cap {problem.cap_id(i)!r} have no limit")
                rows.append(CapRow(problem.cap_id(i), m, t, sources, limit, share, total))
    return rows
