"""Validated problem -> the indexed numbers the LP is built from.

Converts the problem to tonnes of oxide (:mod:`optiree.units`), resolves every "scalar or
per-period" input to one number per index, applies ``available_from``, ``price_multiplier``,
tiers and price floors, and expands each cap and contract into its rows. Nothing here knows
about PuLP.
"""

import functools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from optiree.collector import paused
from optiree.errors import ArgumentError
from optiree.schema import (
    YEAR_DAYS,
    Budget,
    Cap,
    Contract,
    Discount,
    Investment,
    Problem,
    Source,
    Tier,
    Units,
    decision_periods,
    delivered,
    own_priced,
    serving_periods,
    source_stage,
    stage_paths,
    value_at,
)
from optiree.units import in_tonnes_of_oxide

SMT = tuple[str, str, str]
"""(source, material, period)."""
KT = tuple[str, str]
"""(substitute, period)."""
MT = tuple[str, str]
"""(material, period)."""
FT = tuple[str, str]
"""(feed, period)."""
ST = tuple[str, str]
"""(source, period)."""
KMT = tuple[str, str, str]
"""(substitute, material, period)."""


@dataclass(frozen=True)
class Segment:
    """One price band of a direct purchase: up to ``width`` tonnes at ``price`` per tonne."""

    width: float
    price: float


@dataclass(frozen=True)
class CapRow:
    """One row of a cap: one material and period, or a total over several (``sum_over``)."""

    cap: str
    material: str
    """The material, or the materials of a total joined by '+'."""
    period: str
    """The period, or the periods of a total: 'first..last' when they run on, else joined by
    '+'."""
    sources: tuple[str, ...]
    """Matching sources that can supply some of the cells."""
    cells: tuple[SMT, ...]
    """The (source, material, period) whose tonnes the row adds up."""
    limit: float
    """Largest total tonnes from ``cells`` [t]."""
    share: float | None
    """``max_share_of_capacity`` when the cap is a share; None for ``max_tonnes``."""
    capacity: float
    """Total capacity of ``cells`` [t] (a feed's counts as its yield times its capacity); of
    a facility, its capacity in the row's periods (all materials share it)."""
    facility: str | None = None
    """The facility a cap on one counts what it takes in at (``sources`` and ``cells`` are
    then empty)."""
    taken: tuple[MT, ...] = ()
    """The (material, period) of what ``facility`` takes in that the row adds up."""


@dataclass(frozen=True)
class ContractRow:
    """One row of a contract: its tonnes over ``cells`` are at least (or exactly) ``tonnes``."""

    contract: str
    material: str
    period: str
    source: str
    cells: tuple[SMT, ...]
    tonnes: float
    fixed: bool
    """Exactly ``tonnes`` (a fixed volume) rather than at least."""
    take_or_pay: float | None
    """Price per tonne of shortfall below ``tonnes``; None for a hard minimum."""
    capacity: float
    """Most the cells can deliver [t]."""


@dataclass(frozen=True)
class Option:
    """An investment option, prepared: ``build(id,t)`` tonnes (or units) of yearly capacity
    decided in each of ``decided``, serving ``per_period`` of it in each period from ``lead``
    periods later on (in ``serving``, where what it expands can be used)."""

    id: str
    source: str | None
    material: str | None
    substitute: str | None
    capital: float
    """Money per t (or unit) of yearly capacity, paid when decided."""
    operating: float
    """Money per t (or unit) of yearly capacity per period while it stands (scaled from the
    yearly cost by ``per_period``)."""
    lead: int
    max_size: float
    investor: str | None
    decided: tuple[str, ...]
    """The periods in which it may be decided and still serve within the horizon."""
    serving: tuple[str, ...]
    per_period: float
    """Share of the yearly capacity that serves in one period: ``period_days / 365``."""
    unit_size: float | None = None
    """Yearly capacity of one unit of a lumpy option (built in whole units); None: any size."""
    feed: str | None = None
    """The feed of ``source`` it expands [t of feed per year], if it expands a feed."""
    separation: bool = False
    """Whether it expands ``source``'s separation plant [t of all materials per year]."""
    facility: str | None = None
    """The facility it expands [t taken in per year], if it expands one."""

    @property
    def target(self) -> str:
        """What it expands, in words: ``lynas:NdPr``, ``lynas:feed ore``, ``lynas:separation``,
        ``kuantan:facility`` or the substitute's id."""
        if self.facility is not None:
            return f"{self.facility}:facility"
        if self.feed is not None:
            return f"{self.source}:feed {self.feed}"
        if self.separation:
            return f"{self.source}:separation"
        return self.substitute or f"{self.source}:{self.material}"

    def cell(self, t: str) -> tuple[str, tuple[str, ...]]:
        """What it expands in period ``t``: its kind (``supply``, ``units``, ``feed``,
        ``separation``, ``facility``) and the cell of that kind."""
        if self.facility is not None:
            return "facility", (self.facility, t)
        if self.substitute is not None:
            return "units", (self.substitute, t)
        if self.feed is not None:
            return "feed", (self.feed, t)
        if self.separation:
            return "separation", (str(self.source), t)
        return "supply", (str(self.source), str(self.material), t)


@dataclass(frozen=True)
class BudgetRow:
    """One budget row: the capital of ``investor``'s options (every option's when None)
    decided in ``periods`` is at most ``limit``."""

    subject: str
    """The investor, or 'all'."""
    investor: str | None
    label: str
    """The period, or 'first..last' for a budget over the horizon."""
    periods: tuple[str, ...]
    limit: float
    index: int
    """Which of ``problem.budgets`` it comes from."""
    total: bool


Build = tuple[str, str]
"""(option, period decided)."""

BUILT = ("supply", "units", "feed", "separation", "facility")
"""What an investment option can expand (:meth:`Option.cell`)."""

PATH_JOIN = ">"
"""What joins the nodes of a path in its label: ``mtweld>kuantan>hitachi``."""


@dataclass(frozen=True)
class Path:
    """One way from a source to the last stage: the source, then a facility per stage.

    A tonne entering the path (bought from the source) leaves node ``i`` as ``factors[i]``
    tonnes of that node's stage (the yields multiplied along the way; ``factors[0]`` is 1)."""

    nodes: tuple[str, ...]
    stages: tuple[str, ...]
    countries: tuple[str, ...]
    factors: tuple[float, ...]

    @property
    def source(self) -> str:
        return self.nodes[0]

    @property
    def label(self) -> str:
        """The path's name in tables and in its variables: its nodes joined by '>'."""
        return PATH_JOIN.join(self.nodes)

    @property
    def delivered(self) -> float:
        """Tonnes reaching the last stage per tonne entering."""
        return self.factors[-1]

    def taken_in(self, i: int) -> float:
        """Tonnes node ``i`` (a facility, i >= 1) takes in per tonne entering the path."""
        return self.factors[i - 1]

    def processed(self, i: int, processing: dict[str, float]) -> float:
        """Processing cost per tonne entering, up to and with node ``i``."""
        return sum(processing[self.nodes[k]] * self.factors[k - 1] for k in range(1, i + 1))


@dataclass(frozen=True)
class ProblemData:
    """A problem's numbers, one per index, in t REO and currency per t REO."""

    problem: Problem
    """The problem in tonnes of oxide (itself when its units are the default)."""
    input_units: Units
    """The units the problem was written in."""
    periods: tuple[str, ...]
    materials: tuple[str, ...]
    country: dict[str, str]
    """Source -> country."""
    capacity: dict[SMT, float]
    """Capacity [t] of every direct purchase (source, material, period); absent means none."""
    price: dict[SMT, float]
    """Price per tonne of the first band, same keys as ``capacity``."""
    segments: dict[SMT, tuple[Segment, ...]]
    """The price bands of each direct purchase, cheapest first; their widths add up to the
    capacity (one band without tiers)."""
    feed_capacity: dict[FT, float]
    """Tonnes of feed per period of every (feed, period) that can be bought."""
    feed_price: dict[FT, float]
    feed_source: dict[str, str]
    """Feed -> the source that sells it."""
    yields: dict[str, dict[str, float]]
    """Feed -> material -> t per t of feed."""
    separation: dict[ST, float]
    """Shared limit [t] on all that source delivers in a period, where one is set (a dict
    sets none in the periods it does not list)."""
    sub_capacity: dict[KT, float]
    """Units per period of every (substitute, period) that can be used."""
    sub_cost: dict[KT, float]
    saves: dict[str, dict[str, float]]
    """Substitute -> material -> tonnes avoided per unit."""
    ramp: dict[str, tuple[float, float, float]]
    """Substitute -> (max_increase, max_growth, initial units) where a ramp is set."""
    sub_share: dict[KMT, float]
    """Largest share of demand a substitute may avoid, where a limit is set (a dict sets none
    in the periods it does not list)."""
    demand: dict[MT, float]
    initial: dict[str, float]
    holding: dict[str, float]
    penalty: dict[str, float]
    """Shortage penalty per tonne, only for materials that may go short."""
    salvage: dict[MT, float]
    """Price received per tonne sold on, for materials with a ``surplus`` entry."""
    max_sold: dict[MT, float]
    """Most tonnes sold per period (inf: no limit), same keys as ``salvage``."""
    disposal: dict[str, float]
    """Cost per tonne wasted, for materials where it is positive."""
    caps: tuple[CapRow, ...]
    contracts: tuple[ContractRow, ...]
    stock_cover: dict[MT, float]
    """Closing stock as a multiple of demand, where a cover rule applies and is positive."""
    below_cost: dict[str, float]
    """Cost per tonne below the stock target per period, for materials whose target is a
    strategic stock (it may be drawn below); the others' targets are hard."""
    terminal: dict[str, float]
    """Cost per tonne still below the target at the end, same keys as ``below_cost``."""
    options: tuple[Option, ...] = ()
    """Investment options (none: the problem is built exactly as without investments)."""
    budgets: tuple[BudgetRow, ...] = ()
    new_supply: dict[SMT, tuple[Build, ...]] = field(default_factory=dict)
    """Source cells new capacity can serve -> the builds that serve them."""
    new_units: dict[KT, tuple[Build, ...]] = field(default_factory=dict)
    """Substitute cells a new line can serve -> the builds that serve them."""
    new_feed: dict[FT, tuple[Build, ...]] = field(default_factory=dict)
    """Feed cells new feed capacity can serve -> the builds that serve them."""
    new_separation: dict[ST, tuple[Build, ...]] = field(default_factory=dict)
    """Separation rows (source, period) a plant's expansion can serve -> its builds."""
    new_facility: dict[ST, tuple[Build, ...]] = field(default_factory=dict)
    """(facility, period) -> the builds whose capacity serves there."""
    min_lot: dict[SMT, float] = field(default_factory=dict)
    """Least tonnes of a (source, material, period) delivered if any is (integer rule)."""
    qualification: dict[str, float] = field(default_factory=dict)
    """Source -> money paid once if it delivers anything over the horizon (integer rule)."""
    max_suppliers: dict[str, int] = field(default_factory=dict)
    """Material -> most sources delivering it in a period (integer rule)."""
    min_suppliers: dict[str, int] = field(default_factory=dict)
    """Material -> least sources delivering at least their lot of it in a period (integer
    rule)."""
    discounts: dict[SMT, tuple[float, ...]] = field(default_factory=dict)
    """(source, material, period) priced by all-unit discounts -> where each of its bands
    starts [t] (an integer rule where the capacity reaches a second band); its ``segments``
    are the bands, each ``width`` the band's top (the next band's start, or the capacity),
    and one band at most is bought."""
    stages: tuple[str, ...] = ()
    """The stages of the chain, in order (none: one stage, every source delivers)."""
    paths: tuple[Path, ...] = ()
    """Every path from a source to the last stage (a source at the last stage is a path of
    one node)."""
    facility_capacity: dict[ST, float] = field(default_factory=dict)
    """(facility, period) -> most tonnes it takes in."""
    processing: dict[str, float] = field(default_factory=dict)
    """Facility -> money per tonne taken in."""

    worth: dict[SMT, float] = field(default_factory=dict)
    """(source, material, period) -> price per tonne a stage rule in value weighs it by: the
    list price (first band), or the reference price where the source sells a feed."""

    def node_at(self, first: str, stage: str) -> int:
        """The node at ``stage`` of a path whose source sells at stage ``first``: its facility
        there, or its source (0) for a stage up to the source's own (a source counts at every
        stage up to the one it sells at: Chinese oxide was mined in China)."""
        return max(0, self.stages.index(stage) - self.stages.index(first))

    def weight(self, path: Path, i: int, cell: MT, value: bool) -> float:
        """Tonnes (or value) at node ``i`` of ``path`` per tonne entering it in ``cell``:
        value is the price plus the processing up to the node."""
        if not value:
            return path.factors[i]
        return self.worth.get((path.source, *cell), 0.0) + path.processed(i, self.processing)

    @property
    def routed(self) -> tuple[Path, ...]:
        """The paths through at least one facility: each a flow per material and period."""
        return tuple(path for path in self.paths if len(path.nodes) > 1)

    @functools.cached_property
    def passing(self) -> dict[str, list[tuple[Path, int]]]:
        """Facility -> every path through it, with its node there (in the order of
        ``paths``)."""
        through: dict[str, list[tuple[Path, int]]] = {}
        for path in self.routed:
            for i, node in enumerate(path.nodes[1:], 1):
                through.setdefault(node, []).append((path, i))
        return through

    @property
    def integer_rules(self) -> tuple[str, ...]:
        """The input fields of the integer rules the problem uses (none: it is an LP)."""
        found = [f"investments[{o.id}].unit_size" for o in self.options if o.unit_size]
        found += sorted({f"sources[{s}].min_lot" for s, _, _ in self.min_lot})
        found += [f"sources[{s}].qualification_cost" for s in self.qualification]
        found += [f"security.max_suppliers.{m}" for m in self.max_suppliers]
        found += [f"security.min_suppliers.{m}" for m in self.min_suppliers]
        found += sorted(
            {
                f"sources[{s}].discounts.{m}"
                for (s, m, _), starts in self.discounts.items()
                if len(starts) > 1
            }
        )
        return tuple(found)

    def most_supplied(self, cell: SMT) -> float:
        """Most tonnes a (source, material, period) can deliver, new capacity included."""
        builds = self.new_supply.get(cell, ())
        most = self.supply_capacity(cell) + (self.most_new(builds) if builds else 0.0)
        return most + sum(per_tonne * self.most_new(b) for per_tonne, b in self.new_feeds(cell))

    def new_feeds(self, cell: SMT) -> list[tuple[float, tuple[Build, ...]]]:
        """The yield of each feed of the cell's source whose new capacity can serve it, with
        the builds that serve it."""
        s, m, t = cell
        return [
            (self.yields[f].get(m, 0.0), builds)
            for (f, tt), builds in self.new_feed.items()
            if tt == t and self.feed_source[f] == s and m in self.yields[f]
        ]

    def option(self, ident: str) -> Option:
        return next(o for o in self.options if o.id == ident)

    def most_new(self, builds: tuple[Build, ...]) -> float:
        """The most new capacity ``builds`` can add in one period (each option at its largest
        size)."""
        options = {self.option(ident) for ident, _ in builds}
        return sum(o.per_period * o.max_size for o in options)

    def operating_periods(self, option: Option, decided: str) -> int:
        """How many periods a build of ``option`` decided in ``decided`` stands (and pays its
        operating cost): from its first period on to the end."""
        return len(self.periods) - self.periods.index(decided) - option.lead

    def first_serving(self, option: Option, decided: str) -> str:
        """The first period a build decided in ``decided`` serves in."""
        return self.periods[self.periods.index(decided) + option.lead]

    def offers(self) -> Iterator[tuple[str, str, float]]:
        """(material, period, price per tonne) of every way to buy a material: each price
        band, and each feed at its price over its yield of the material (what a tonne costs
        bought from the feed for that material alone)."""
        yield from self._band_offers()
        yield from self._feed_offers()

    def _band_offers(self) -> Iterator[tuple[str, str, float]]:
        for (_, m, t), bands in self.segments.items():
            for band in bands:
                yield m, t, band.price

    def _feed_offers(self) -> Iterator[tuple[str, str, float]]:
        for (f, t), price in self.feed_price.items():
            for m, per_tonne in self.yields[f].items():
                if per_tonne > 0:
                    yield m, t, price / per_tonne

    def below_target_cost(self, material: str, period: str, below: float, charged: float) -> float:
        """What a strategic stock's gap costs in ``period`` [money]: the ``charged`` tonnes
        (those below target beyond the period's shortage) at ``below_cost``, and in the last
        period the ``below`` tonnes at the terminal price (rebuilding them after the horizon)."""
        if material not in self.below_cost:
            return 0.0
        end = below * self.terminal[material] if period == self.periods[-1] else 0.0
        return charged * self.below_cost[material] + end

    def previous(self, period: str) -> str | None:
        """The period before ``period``, or None for the first."""
        i = self.periods.index(period)
        return self.periods[i - 1] if i > 0 else None

    def supply_capacity(self, cell: SMT) -> float:
        """Most tonnes of a (source, material, period): direct capacity plus feeds' yields."""
        if not self.feed_source:
            return self.capacity.get(cell, 0.0)
        s, m, t = cell
        from_feeds = sum(
            self.yields[f].get(m, 0.0) * self.feed_capacity.get((f, t), 0.0)
            for f, seller in self.feed_source.items()
            if seller == s
        )
        return self.capacity.get(cell, 0.0) + from_feeds


def defined_at(value: float | Mapping[str, float] | None, period: str) -> float | None:
    """A scalar, or a per-period dict's entry; None where nothing is given (prices, costs)."""
    if value is None or isinstance(value, float | int):
        return value
    return value.get(period)


def _periods_from(periods: list[str], first: str | None) -> list[str]:
    return periods[periods.index(first) :] if first is not None else periods


def _offered(
    periods: list[str],
    first: str | None,
    offer: tuple[str, float | Mapping[str, float], float | Mapping[str, float]],
    amounts: dict[tuple[str, str], float],
    prices: dict[tuple[str, str], float],
) -> None:
    """Record ``offer`` = (id, amount, price) in every period from ``first`` where the amount
    is positive (feeds in tonnes, substitutes in units)."""
    ident, amount, price = offer
    for t in _periods_from(periods, first):
        if value_at(amount, t) > 0:
            amounts[ident, t] = value_at(amount, t)
            prices[ident, t] = value_at(price, t)


def _list_price(problem: Problem, s: Source, m: str, t: str) -> float | None:
    """The source's own price of ``m`` in ``t``, or the reference price x its multiplier."""
    return _price_at(s.prices.get(m), problem.reference_prices.get(m), s.price_multiplier, t)


def _price_at(
    own: float | Mapping[str, float] | None,
    reference: float | Mapping[str, float] | None,
    multiplier: float,
    t: str,
) -> float | None:
    """The ``own`` price in ``t``, or the ``reference`` price x ``multiplier``."""
    price = defined_at(own, t)
    if price is not None:
        return price
    listed = defined_at(reference, t)
    return None if listed is None else listed * multiplier


def floor_price(problem: Problem, s: Source, m: str, t: str) -> float:
    """The least price per tonne the source is paid for ``m`` in ``t`` (0 without a floor)."""
    floor = defined_at(s.price_floor.get(m), t) or 0.0
    if s.price_floor_multiplier is None:
        return floor
    reference = defined_at(problem.reference_prices.get(m), t) or 0.0
    return max(floor, s.price_floor_multiplier * reference)


def _segments(tiers: list[Tier], capacity: float, base: float | None) -> Iterator[Segment]:
    """The bands of ``tiers`` cut at ``capacity``, priced in full (multipliers times ``base``)."""
    bottom = 0.0
    for tier in tiers:
        top = min(capacity, math.inf if tier.up_to is None else tier.up_to)
        if top > bottom:
            yield Segment(top - bottom, _band_price(tier, base))
        bottom = max(bottom, top)


def _band_price(tier: Tier, base: float | None) -> float:
    """The price of a band: its own, or its multiplier times ``base``."""
    if tier.price is not None:
        return tier.price
    return (base or 0.0) * (tier.price_multiplier or 1.0)


def _unvalidated(what: str) -> ArgumentError:
    """The error for a problem that breaks a rule validation enforces (built without it)."""
    return ArgumentError(
        f"{what}: pass a validated Problem (optiree.read or Problem.model_validate), not one "
        "built with model_construct"
    )


def _base_price(problem: Problem, s: Source, m: str, t: str) -> float | None:
    """The list price of ``m`` from ``s`` in ``t``; None where its tiers price every band."""
    base = _list_price(problem, s, m, t)
    if base is None and not own_priced(s, m):
        raise _unvalidated(f"source {s.id!r} sells {m!r} in {t!r} without a price")
    return base


def _bands(problem: Problem, s: Source, m: str, t: str, tonnes: float) -> tuple[Segment, ...]:
    """The price bands of ``tonnes`` of ``m`` from ``s`` in ``t``, each at least the floor."""
    base = _base_price(problem, s, m, t)
    tiers = s.tiers.get(m)
    floor = floor_price(problem, s, m, t)
    if m in s.discounts:
        return tuple(
            Segment(top, max(band.price, floor)) for band, top in _discount_tops(s, m, tonnes)
        )
    if tiers:
        return tuple(
            Segment(band.width, max(band.price, floor)) for band in _segments(tiers, tonnes, base)
        )
    return (Segment(tonnes, max(base or 0.0, floor)),)


def _discount_tops(s: Source, m: str, tonnes: float) -> Iterator[tuple[Discount, float]]:
    """Each discount band of ``m`` from ``s`` that ``tonnes`` of capacity reach, with its top:
    the next band's start, cut at the capacity."""
    bands = s.discounts[m]
    for band, after in zip(bands, [*bands[1:], None], strict=True):
        if band.from_tonnes <= tonnes:
            top = tonnes if after is None else min(after.from_tonnes, tonnes)
            yield band, top


def _discount_starts(problem: Problem) -> dict[SMT, tuple[float, ...]]:
    """Where each discount band of a direct purchase starts [t], for the cells with capacity."""
    return {
        (s.id, m, t): tuple(band.from_tonnes for band, _ in _discount_tops(s, m, tonnes))
        for s in problem.sources
        for m in s.discounts
        for t in _periods_from(problem.periods, s.available_from)
        if (tonnes := value_at(s.capacity[m], t)) > 0
    }


def _direct_segments(problem: Problem) -> dict[SMT, tuple[Segment, ...]]:
    """The price bands of every direct purchase with capacity."""
    segments: dict[SMT, tuple[Segment, ...]] = {}
    for s in problem.sources:
        for m, cap in s.capacity.items():
            segments |= _material_segments(problem, s, m, cap)
    return segments


def _material_segments(
    problem: Problem, s: Source, m: str, cap: float | Mapping[str, float]
) -> dict[SMT, tuple[Segment, ...]]:
    """The price bands of ``m`` from ``s`` in each period it has capacity ``cap``."""
    periods = _periods_from(problem.periods, s.available_from)
    tonnes = {t: most for t in periods if (most := value_at(cap, t)) > 0}
    floored = m in s.price_floor or s.price_floor_multiplier is not None
    if m in s.discounts or s.tiers.get(m) or floored:
        return {(s.id, m, t): _bands(problem, s, m, t, most) for t, most in tonnes.items()}
    return _flat_bands(problem, s, m, tonnes)


def _flat_bands(
    problem: Problem, s: Source, m: str, tonnes: dict[str, float]
) -> dict[SMT, tuple[Segment, ...]]:
    """What :func:`_bands` gives ``m`` from ``s`` (no tiers, discounts or floor: one band at
    the list price) in each period of ``tonnes``, the prices looked up once."""
    own, reference = s.prices.get(m), problem.reference_prices.get(m)
    bands: dict[SMT, tuple[Segment, ...]] = {}
    for t, most in tonnes.items():
        base = _price_at(own, reference, s.price_multiplier, t)
        if base is None:
            base = _base_price(problem, s, m, t)  # raises: no price
        bands[s.id, m, t] = (Segment(most, max(base or 0.0, 0.0)),)
    return bands


def _feed_offers(problem: Problem) -> tuple[dict[FT, float], dict[FT, float]]:
    """Tonnes and price of every feed in the periods it can be bought."""
    capacity: dict[FT, float] = {}
    price: dict[FT, float] = {}
    for s in problem.sources:
        for feed in s.feeds:
            offer = (feed.id, feed.capacity, feed.price_per_tonne_feed)
            _offered(problem.periods, s.available_from, offer, capacity, price)
    return capacity, price


def _substitute_offers(problem: Problem) -> tuple[dict[KT, float], dict[KT, float]]:
    """Units and cost of every substitute in the periods it can be used."""
    capacity: dict[KT, float] = {}
    cost: dict[KT, float] = {}
    for k in problem.substitutes:
        _offered(problem.periods, k.available_from, (k.id, k.capacity, k.cost), capacity, cost)
    return capacity, cost


def _separation(problem: Problem) -> dict[ST, float]:
    return {
        (s.id, t): most
        for s in problem.sources
        for t in problem.periods
        if (most := defined_at(s.separation_capacity, t)) is not None
    }


def _ramps(problem: Problem) -> dict[str, tuple[float, float, float]]:
    return {
        k.id: (k.ramp.max_increase, k.ramp.max_growth, k.ramp.initial)
        for k in problem.substitutes
        if k.ramp is not None
    }


def _sub_shares(problem: Problem) -> dict[KMT, float]:
    return {
        (k.id, m, t): limit
        for k in problem.substitutes
        for m, share in k.max_share_of_demand.items()
        for t in problem.periods
        if (limit := defined_at(share, t)) is not None
    }


def _salvage(problem: Problem) -> dict[MT, float]:
    return {
        (m, t): value_at(rule.salvage_price, t)
        for m, rule in problem.surplus.items()
        for t in problem.periods
    }


def _max_sold(problem: Problem) -> dict[MT, float]:
    return {
        (m, t): math.inf if rule.max_sold is None else value_at(rule.max_sold, t)
        for m, rule in problem.surplus.items()
        for t in problem.periods
    }


def _disposal(problem: Problem) -> dict[str, float]:
    return {m: rule.disposal_cost for m, rule in problem.surplus.items() if rule.disposal_cost > 0}


def _capacities(
    segments: dict[SMT, tuple[Segment, ...]], discounts: Mapping[SMT, object]
) -> dict[SMT, float]:
    """Each cell's capacity: its bands' widths added up, or a discounted cell's last top (and
    a single band's width, which is its sum)."""
    return {
        key: bands[-1].width
        if len(bands) == 1 or key in discounts
        else sum(band.width for band in bands)
        for key, bands in segments.items()
    }


def _first_prices(segments: dict[SMT, tuple[Segment, ...]]) -> dict[SMT, float]:
    return {key: bands[0].price for key, bands in segments.items()}


def _feed_sources(problem: Problem) -> dict[str, str]:
    return {feed.id: s.id for s in problem.sources for feed in s.feeds}


def _yields(problem: Problem) -> dict[str, dict[str, float]]:
    return {feed.id: dict(feed.yields) for s in problem.sources for feed in s.feeds}


def _demand(problem: Problem) -> dict[MT, float]:
    return {
        (m, t): value_at(problem.demand[m], t)
        for m in problem.material_ids
        for t in problem.periods
    }


def _per_material(problem: Problem, given: Mapping[str, float]) -> dict[str, float]:
    """``given`` for every material, 0 where it is silent."""
    return {m: given.get(m, 0.0) for m in problem.material_ids}


@paused
def prepare(problem: Problem) -> ProblemData:
    """Resolve a validated problem into per-index numbers in t REO."""
    input_units = problem.units
    problem = in_tonnes_of_oxide(problem)
    segments = _direct_segments(problem)
    discounts = _discount_starts(problem)
    feed_capacity, feed_price = _feed_offers(problem)
    sub_capacity, sub_cost = _substitute_offers(problem)
    data = ProblemData(
        problem=problem,
        input_units=input_units,
        periods=tuple(problem.periods),
        materials=tuple(problem.material_ids),
        country={s.id: s.country for s in problem.sources},
        capacity=_capacities(segments, discounts),
        price=_first_prices(segments),
        segments=segments,
        discounts=discounts,
        feed_capacity=feed_capacity,
        feed_price=feed_price,
        feed_source=_feed_sources(problem),
        yields=_yields(problem),
        separation=_separation(problem),
        sub_capacity=sub_capacity,
        sub_cost=sub_cost,
        saves={k.id: dict(k.saves) for k in problem.substitutes},
        ramp=_ramps(problem),
        sub_share=_sub_shares(problem),
        demand=_demand(problem),
        initial=_per_material(problem, problem.stock.initial),
        holding=_per_material(problem, problem.stock.holding_cost),
        penalty=dict(problem.shortage_penalty),
        salvage=_salvage(problem),
        max_sold=_max_sold(problem),
        disposal=_disposal(problem),
        caps=(),
        contracts=(),
        stock_cover=_stock_cover(problem),
        below_cost=dict(problem.stock.below_target_cost),
        terminal={},
    )
    if problem.investments:
        data = _with_investments(data)
    data = _with_integer_rules(data)
    if problem.stages:
        data = _with_stages(data)
    data = replace(data, terminal=_terminal(data))
    return replace(data, caps=_cap_rows(data), contracts=_contract_rows(data))


def with_caps(data: ProblemData, problem: Problem) -> ProblemData:
    """``prepare(problem)`` for a ``problem`` that differs from the one ``data`` was prepared
    from only in its name and caps (a scenario that only cuts supply, applied to the problem
    it faces): ``data`` with ``problem`` and its cap rows, the rest not resolved again."""
    data = replace(data, problem=in_tonnes_of_oxide(problem))
    return replace(data, caps=_cap_rows(data))


def _with_integer_rules(data: ProblemData) -> ProblemData:
    """``data`` with the minimum lots of the cells a source can deliver in, and the
    qualification costs that are positive."""
    sources = {s.id: s for s in data.problem.sources}
    lots = {
        (s.id, m, t): lot
        for s in sources.values()
        for m, lot in s.min_lot.items()
        if lot > 0
        for t in data.periods
    }
    qualification = {s.id: s.qualification_cost for s in sources.values() if s.qualification_cost}
    security = data.problem.security
    return replace(
        data,
        min_lot=lots,
        qualification=qualification,
        max_suppliers=dict(security.max_suppliers),
        min_suppliers=dict(security.min_suppliers),
    )


def _with_stages(data: ProblemData) -> ProblemData:
    """``data`` with the chain: its stages, every path and the facilities' numbers."""
    problem = data.problem
    capacity = {
        (f.id, t): value_at(f.capacity, t) for f in problem.facilities for t in data.periods
    }
    return replace(
        data,
        stages=tuple(problem.stages),
        paths=tuple(_paths(problem, data.country)),
        facility_capacity=capacity,
        processing={f.id: f.processing_cost for f in problem.facilities},
        worth=_worth(data),
    )


def _worth(data: ProblemData) -> dict[SMT, float]:
    """The price a stage rule in value weighs each (source, material, period) by."""
    cells = {(s, m, t) for s, m, t in data.price} | {
        (data.feed_source[f], m, t) for f, t in data.feed_capacity for m in data.yields[f]
    }
    reference = data.problem.reference_prices
    return {
        (s, m, t): data.price.get((s, m, t), defined_at(reference.get(m), t) or 0.0)
        for s, m, t in cells
    }


def _paths(problem: Problem, sources: dict[str, str]) -> Iterator[Path]:
    """Every path of ``problem`` with its stages, countries and yields multiplied along it
    (``sources``: source -> country)."""
    facilities = {f.id: f for f in problem.facilities}
    stage_of = {s.id: source_stage(problem, s) or "" for s in problem.sources}
    stage_of |= {f.id: f.stage for f in problem.facilities}
    country = sources | {f.id: f.country for f in problem.facilities}
    for nodes in stage_paths(problem):
        factors = [1.0]
        for node in nodes[1:]:
            factors.append(factors[-1] * facilities[node].output_per_input)
        stages = tuple(stage_of[node] for node in nodes)
        yield Path(nodes, stages, tuple(country[n] for n in nodes), tuple(factors))


def _with_investments(data: ProblemData) -> ProblemData:
    """``data`` with its options, budgets, and the cells new capacity can serve (a source cell
    with no capacity of its own gets a band of width 0 at its list price; a substitute's, 0
    units at its cost; a feed's, 0 t of feed at its price)."""
    problem = data.problem
    options = tuple(_option(problem, o) for o in problem.investments)
    served = _served(data.periods, options)
    segments = dict(data.segments)
    sources = {x.id: x for x in problem.sources}
    for s, m, t in served.supply:
        if (s, m, t) not in segments:
            segments[s, m, t] = _bands(problem, sources[s], m, t, 0.0)
    sub_capacity, sub_cost = dict(data.sub_capacity), dict(data.sub_cost)
    substitutes = {x.id: x for x in problem.substitutes}
    for k, t in served.units:
        sub_capacity.setdefault((k, t), 0.0)
        sub_cost.setdefault((k, t), value_at(substitutes[k].cost, t))
    feed_capacity, feed_price = dict(data.feed_capacity), dict(data.feed_price)
    feeds = {f.id: f for source in problem.sources for f in source.feeds}
    for f, t in served.feed:
        feed_capacity.setdefault((f, t), 0.0)
        feed_price.setdefault((f, t), value_at(feeds[f].price_per_tonne_feed, t))
    return replace(
        data,
        segments=segments,
        capacity=_capacities(segments, data.discounts),
        price=_first_prices(segments),
        sub_capacity=sub_capacity,
        sub_cost=sub_cost,
        feed_capacity=feed_capacity,
        feed_price=feed_price,
        options=options,
        budgets=tuple(_budget_rows(problem)),
        new_supply=served.supply,
        new_units=served.units,
        new_feed=served.feed,
        new_separation=served.separation,
        new_facility=served.facility,
    )


@dataclass(frozen=True)
class _Served:
    """The cells new capacity serves, with its builds, by what it expands."""

    supply: dict[SMT, tuple[Build, ...]]
    units: dict[KT, tuple[Build, ...]]
    feed: dict[FT, tuple[Build, ...]]
    separation: dict[ST, tuple[Build, ...]]
    facility: dict[ST, tuple[Build, ...]]


def _served(periods: tuple[str, ...], options: tuple[Option, ...]) -> _Served:
    """The source, substitute, feed, separation and facility cells new capacity serves."""
    served: dict[str, dict[Any, list[Build]]] = {kind: {} for kind in BUILT}
    for o in options:
        for t in o.serving:
            kind, cell = o.cell(t)
            served[kind].setdefault(cell, []).extend(_serving_builds(periods, o, t))
    frozen = {
        kind: {cell: tuple(builds) for cell, builds in cells.items()}
        for kind, cells in served.items()
    }
    return _Served(**frozen)


def _option(problem: Problem, o: Investment) -> Option:
    per_period = (problem.period_days or YEAR_DAYS) / YEAR_DAYS
    return Option(
        o.id,
        o.source,
        o.material,
        o.substitute,
        o.capital_cost,
        o.operating_cost * per_period,
        o.lead_time,
        o.max_size,
        o.investor,
        tuple(decision_periods(problem, o)),
        tuple(serving_periods(problem, o)),
        per_period,
        o.unit_size,
        o.feed,
        o.separation,
        o.facility,
    )


def _serving_builds(periods: tuple[str, ...], o: Option, t: str) -> list[Build]:
    """The builds of ``o`` that serve in ``t``: decided at least ``lead`` periods before."""
    last = periods.index(t) - o.lead
    return [(o.id, tau) for tau in o.decided if periods.index(tau) <= last]


def _budget_rows(problem: Problem) -> Iterator[BudgetRow]:
    """The rows of every budget: one per period it limits, one for its total."""
    for i, budget in enumerate(problem.budgets):
        subject = budget.investor or "all"
        periods = tuple(problem.periods)
        if budget.per_period is not None:
            for t in _budget_periods(budget, periods):
                limit = value_at(budget.per_period, t)
                yield BudgetRow(subject, budget.investor, t, (t,), limit, i, total=False)
        if budget.total is not None:
            label = f"{periods[0]}..{periods[-1]}"
            yield BudgetRow(subject, budget.investor, label, periods, budget.total, i, total=True)


def _budget_periods(budget: Budget, periods: tuple[str, ...]) -> list[str]:
    """The periods a per-period budget limits: all for one number, those listed for a dict."""
    given = budget.per_period
    return [t for t in periods if not isinstance(given, Mapping) or t in given]


def _terminal(data: ProblemData) -> dict[str, float]:
    """Each strategic stock's cost per tonne left below target at the end: its own
    ``terminal_price``, else the replacement price (the lowest price the material is offered at
    in the last period, failing that in any period; 0 if it is never offered)."""
    if not data.below_cost:
        return {}
    cheapest, at_end = _cheapest(data)
    given = data.problem.stock.terminal_price
    return {m: given.get(m, at_end.get(m, cheapest.get(m, 0.0))) for m in data.below_cost}


def _cheapest(data: ProblemData) -> tuple[dict[str, float], dict[str, float]]:
    """Material -> the lowest price it is offered at in any period, and in the last."""
    last = data.periods[-1]
    cheapest: dict[str, float] = {}
    at_end: dict[str, float] = {}
    for m, t, price in data.offers():
        cheapest[m] = min(cheapest.get(m, math.inf), price)
        if t == last:
            at_end[m] = min(at_end.get(m, math.inf), price)
    return cheapest, at_end


def _covers(problem: Problem) -> dict[str, float | Mapping[str, float]]:
    """Material -> closing stock as a multiple of demand: cover rules and day rules."""
    security = problem.security
    covers: dict[str, float | Mapping[str, float]] = dict(security.min_stock_cover)
    return covers | {m: _in_periods(problem, given) for m, given in security.min_stock_days.items()}


def _in_periods(problem: Problem, days: float | Mapping[str, float]) -> dict[str, float]:
    """A stock rule in ``days`` of demand as periods of demand, in each period."""
    length = problem.period_days or 1.0
    return {t: value_at(days, t) / length for t in problem.periods}


def _stock_cover(problem: Problem) -> dict[MT, float]:
    covers = _covers(problem)
    return {
        (m, t): value_at(cover, t)
        for m, cover in covers.items()
        for t in problem.periods
        if value_at(cover, t) > 0
    }


def _label(ids: list[str], order: tuple[str, ...]) -> str:
    """One name for several periods: 'a..c' for a run of consecutive ones, else 'a+b'."""
    if len(ids) == 1:
        return ids[0]
    where = [order.index(i) for i in ids]
    if where == list(range(where[0], where[0] + len(ids))):
        return f"{ids[0]}..{ids[-1]}"
    return "+".join(ids)


def _groups(
    data: ProblemData, materials: list[str], limit: Cap | Contract
) -> Iterator[tuple[str, str, list[tuple[str, str]]]]:
    """(material label, period label, (material, period) cells) of each row of ``limit`` (a
    cap or a contract) over ``materials`` and its periods (default: every period)."""
    periods = limit.periods or data.problem.periods
    for ms in _split(materials, "materials" in limit.sum_over):
        for ts in _split(periods, "periods" in limit.sum_over):
            yield "+".join(ms), _label(ts, data.periods), _cells(ms, ts)


def _cells(materials: list[str], periods: list[str]) -> list[tuple[str, str]]:
    """Every (material, period) of ``materials`` and ``periods``."""
    return [(m, t) for m in materials for t in periods]


def _split(ids: list[str], total: bool) -> list[list[str]]:
    """``ids`` as one group for a ``total``, else one group each."""
    return [ids] if total else [[i] for i in ids]


def _counted(
    data: ProblemData, cells: list[tuple[str, str]], sources: list[str]
) -> tuple[SMT, ...]:
    """The (source, material, period) of ``cells`` and ``sources`` that can deliver."""
    return tuple((s, m, t) for m, t in cells for s in sources if _delivers(data, (s, m, t)))


def _delivers(data: ProblemData, cell: SMT) -> bool:
    return data.supply_capacity(cell) > 0 or cell in data.new_supply or bool(data.new_feeds(cell))


def _cap_rows(data: ProblemData) -> tuple[CapRow, ...]:
    """The rows of every cap, in order."""
    problem = data.problem
    return tuple(row for i in range(len(problem.caps)) for row in _cap(data, i))


def _cap(data: ProblemData, i: int) -> Iterator[CapRow]:
    """The rows of ``caps[i]`` that restrict something (one that counts nothing would read
    0 <= limit)."""
    problem = data.problem
    cap = problem.caps[i]
    if cap.facility is not None:
        yield from _facility_cap(data, i, cap.facility)
        return
    matching = _matching(problem, cap)
    materials = cap.materials or problem.material_ids
    for m_label, t_label, cells in _groups(data, materials, cap):
        counted = _counted(data, cells, matching)
        if counted:
            yield _cap_row(data, i, (m_label, t_label), counted)


def _facility_cap(data: ProblemData, i: int, facility: str) -> Iterator[CapRow]:
    """The rows of ``caps[i]`` on ``facility``: what it takes in, of the (material, period)
    cells some path through it can carry."""
    cap = data.problem.caps[i]
    for m_label, t_label, cells in _groups(data, cap.materials or data.problem.material_ids, cap):
        taken = tuple(cell for cell in cells if _carried(data, facility, cell))
        if taken:
            yield _facility_cap_row(data, i, (m_label, t_label), cells, taken)


def _carried(data: ProblemData, facility: str, cell: MT) -> bool:
    """Some path through ``facility`` can carry (material, period) ``cell``."""
    return any(_delivers(data, (path.source, *cell)) for path, _ in data.passing.get(facility, []))


def _facility_cap_row(
    data: ProblemData,
    i: int,
    labels: tuple[str, str],
    cells: list[MT],
    taken: tuple[MT, ...],
) -> CapRow:
    """The row of ``caps[i]`` on its facility over ``cells``, of which it takes in ``taken``:
    against the facility's capacity in their periods (all materials share it)."""
    problem = data.problem
    facility = str(problem.caps[i].facility)
    periods = dict.fromkeys(t for _, t in cells)
    total = sum(data.facility_capacity[facility, t] for t in periods)
    limit = _cap_limit(problem, i, total)
    share = problem.caps[i].max_share_of_capacity
    return CapRow(problem.cap_id(i), *labels, (), (), limit, share, total, facility, taken)


def _matching(problem: Problem, cap: Cap) -> list[str]:
    """The sources a cap names, itself or by their country."""
    return [s.id for s in problem.sources if s.id == cap.source or s.country == cap.country]


def _cap_row(
    data: ProblemData, i: int, labels: tuple[str, str], counted: tuple[SMT, ...]
) -> CapRow:
    """The row of ``caps[i]`` over the ``counted`` cells, named by (material, period) ``labels``."""
    problem = data.problem
    cap = problem.caps[i]
    total = sum(data.supply_capacity(cell) for cell in counted)
    share = cap.max_share_of_capacity
    limit = _cap_limit(problem, i, total)
    sources = tuple(dict.fromkeys(s for s, _, _ in counted))
    return CapRow(problem.cap_id(i), *labels, sources, counted, limit, share, total)


def _cap_limit(problem: Problem, i: int, total: float) -> float:
    """The most tonnes a row of ``caps[i]`` allows over cells of ``total`` capacity."""
    cap = problem.caps[i]
    share = cap.max_share_of_capacity
    limit = share * total if share is not None else cap.max_tonnes
    if limit is None:
        raise _unvalidated(f"cap {problem.cap_id(i)!r} has no limit")
    return limit


def _contract_rows(data: ProblemData) -> tuple[ContractRow, ...]:
    """The rows of every contract, in order."""
    problem = data.problem
    return tuple(row for i in range(len(problem.contracts)) for row in _contract(data, i))


def _contract_materials(problem: Problem, contract: Contract) -> list[str]:
    """The materials a contract counts: those listed, else all its source delivers."""
    source = next(s for s in problem.sources if s.id == contract.source)
    return contract.materials or delivered(source)


def _contract_tonnes(contract: Contract) -> float:
    """The contract's volume: fixed or least tonnes."""
    tonnes = contract.fixed_tonnes if contract.fixed_tonnes is not None else contract.min_tonnes
    return tonnes or 0.0


def _contract(data: ProblemData, i: int) -> Iterator[ContractRow]:
    """The rows of ``contracts[i]``."""
    problem = data.problem
    contract = problem.contracts[i]
    s = contract.source
    materials = _contract_materials(problem, contract)
    for m_label, t_label, cells in _groups(data, materials, contract):
        counted = _counted(data, cells, [s])
        yield ContractRow(
            problem.contract_id(i),
            m_label,
            t_label,
            s,
            counted,
            _contract_tonnes(contract),
            contract.fixed_tonnes is not None,
            contract.take_or_pay,
            sum(data.supply_capacity(cell) for cell in counted),
        )
