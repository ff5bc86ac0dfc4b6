"""Scenarios: named changes to a problem (an embargo, an outage, a price spike, more demand).

:func:`apply` turns a problem and a scenario into a new, validated problem; everything else
that plans against disruptions (stress tests, the stochastic model, sweeps) goes through it.
"""

from collections.abc import Mapping

from pydantic import ValidationError

from optiree import arguments
from optiree.errors import ScenarioError
from optiree.prepare import defined_at, prepare
from optiree.schema import (
    Cap,
    DemandChange,
    Discount,
    Disruption,
    Feed,
    PricePerPeriod,
    Problem,
    Scenario,
    Source,
    SourceChange,
    Tier,
    TonnesPerPeriod,
    restated,
    value_at,
)
from optiree.units import in_tonnes_of_oxide


def scenario_probabilities(problem: Problem) -> dict[str, float]:
    """Each scenario's probability: as given, or equal when none is given."""
    given = {s.name: s.probability for s in problem.scenarios}
    if None in given.values():
        return dict.fromkeys(given, 1 / len(given))
    return {name: float(p or 0.0) for name, p in given.items()}


Target = tuple[str, str]
"""("country", id), ("source", id) or ("facility", id): what a cap or disruption names
(``Cap.target``, ``Disruption.target``)."""


def target_fields(target: Target) -> dict[str, str]:
    """The field of a cap on ``target``: ``{"country": "CN"}``, ``{"source": ...}``..."""
    kind, who = target
    return {kind: who}


def apply(problem: Problem, scenario: Scenario, *, from_period: str | None = None) -> Problem:
    """The problem as it stands under ``scenario``: validated, with no scenarios of its own.

    Disruptions become caps named ``<scenario>.d<i>`` (a cut of 0.8 is a cap at 20% of the
    matching sources' capacity); the scenario's caps are added as ``<scenario>.<id>``; source
    and demand changes scale the numbers they name, period by period; a source change's
    ``tiers`` replace the source's bands of those materials (a supply curve, in every period).
    With ``from_period``, nothing changes before that period (what is already decided stays
    as planned).

    Raises:
        pydantic.ValidationError: the scenario names something the problem does not have (the
            path starts at ``scenarios.0``), or its changes together make a number the problem
            does not allow (type ``scenario_result``, at the changed problem's field).
        ScenarioError: a price change in some periods only meets tiers with a price of their
            own, or a supply curve (tiers) is asked to start at ``from_period``.
    """
    problem = arguments.model(problem, "problem", Problem)
    scenario = arguments.model(scenario, "scenario", Scenario)
    arguments.optional(arguments.one_of, from_period, "from_period", problem.periods)
    # Checked alone against the problem: its ids, not its weight among others.
    alone = scenario.derive(probability=None)
    return apply_checked(problem, problem.derive(scenarios=[alone]).scenarios[0], from_period)


def apply_checked(problem: Problem, checked: Scenario, from_period: str | None) -> Problem:
    """:func:`apply` for a scenario already checked against ``problem``'s ids: one of the
    scenarios of a validated problem with the same sources, materials, countries and periods
    (the stochastic model's, all checked at once when that problem was validated), so not
    checked alone again. ``from_period``: one of the problem's periods, or None.

    Raises:
        pydantic.ValidationError, ScenarioError: as :func:`apply`.
    """
    periods = problem.periods
    if from_period not in (None, periods[0]):
        _check_curves(checked, str(from_period))
    later = set(periods[periods.index(from_period) :] if from_period is not None else periods)
    try:
        return problem.derive(
            name=f"{problem.name} [{checked.name}]",
            scenarios=[],
            caps=[
                *problem.caps,
                *_disruption_caps(checked, periods, later),
                *_scenario_caps(checked, periods, later),
            ],
            sources=_changed_sources(problem, checked.sources, later),
            demand=_changed_demand(problem, checked.demand, later),
        )
    except ValidationError as error:
        # Each change is checked alone with the problem; together (two factors on one number, a
        # demand factor under a stock target) they can still pass a limit.
        raise restated(error, "scenario_result", f"under scenario {checked.name!r}") from None


def _check_curves(scenario: Scenario, from_period: str) -> None:
    """A supply curve (a source change's tiers) holds in every period, so it cannot start at
    ``from_period``, a later period than the first.

    Raises:
        ScenarioError: the scenario gives a source tiers.
    """
    curved = [change.source for change in scenario.sources if change.tiers]
    if curved:
        raise ScenarioError(
            f"scenario {scenario.name!r} gives {', '.join(curved)} a supply curve (tiers), which "
            f"holds in every period and cannot start at {from_period}: give the curve in the "
            "problem's sources, or scale prices from that period with price_factor"
        )


def _within(periods: list[str], later: set[str]) -> list[str]:
    """The periods from ``later``, in order."""
    return [t for t in periods if t in later]


def _disruption_caps(scenario: Scenario, periods: list[str], later: set[str]) -> list[Cap]:
    """A cap ``<scenario>.d<i>`` per disruption with periods in ``later``: at ``1 - cut`` of
    the capacity of what it names."""
    caps = []
    for i, disruption in enumerate(scenario.disruptions, start=1):
        window = _within(disruption_periods(periods, disruption), later)
        if window:
            caps.append(_disruption_cap(f"{scenario.name}.d{i}", disruption, window))
    return caps


def _disruption_cap(name: str, disruption: Disruption, window: list[str]) -> Cap:
    """The cap of a disruption in ``window``: per material and period at ``1 - cut`` of the
    capacity of the sources it names; of a facility, over its materials together (they share
    its capacity)."""
    return Cap(
        id=name,
        **target_fields(disruption.target),
        materials=disruption.materials,
        periods=window,
        max_share_of_capacity=1 - disruption.cut,
        sum_over=["materials"] if disruption.facility is not None else [],
    )


def disruption_periods(periods: list[str], disruption: Disruption) -> list[str]:
    """The periods a disruption lasts, cut at the end of ``periods``."""
    first = periods.index(disruption.start)
    last = len(periods) if disruption.length is None else first + disruption.length
    return periods[first:last]


def _scenario_caps(scenario: Scenario, periods: list[str], later: set[str]) -> list[Cap]:
    """The scenario's own caps, as ``<scenario>.<id>``, in their periods in ``later``."""
    caps = []
    for i, cap in enumerate(scenario.caps, start=1):
        window = _within(cap.periods or periods, later)
        if window:
            caps.append(cap.derive(id=f"{scenario.name}.{cap.id or f'cap{i}'}", periods=window))
    return caps


def _changed_sources(
    problem: Problem, changes: list[SourceChange], later: set[str]
) -> list[Source]:
    """The problem's sources with ``changes`` applied in order."""
    sources = {source.id: source for source in problem.sources}
    for change in changes:
        sources[change.source] = _changed_source(problem, sources[change.source], change, later)
    return list(sources.values())


def _changed_demand(
    problem: Problem, changes: list[DemandChange], later: set[str]
) -> dict[str, TonnesPerPeriod]:
    """The problem's demand with ``changes`` applied in order."""
    periods = problem.periods
    demand = dict(problem.demand)
    for scaled in changes:
        affected = _affected(scaled.periods, periods, later)
        demand[scaled.material] = _scaled(demand[scaled.material], periods, affected, scaled.factor)
    return demand


def _changed_source(
    problem: Problem, source: Source, change: SourceChange, later: set[str]
) -> Source:
    """``source`` with ``change`` applied in its periods within ``later``."""
    periods = problem.periods
    if change.tiers:  # a supply curve: the source's bands of these materials, everywhere
        discounts = {m: d for m, d in source.discounts.items() if m not in change.tiers}
        source = source.derive(tiers=source.tiers | change.tiers, discounts=discounts)
    affected = _affected(change.periods, periods, later)
    materials = [m for m in change.materials or list(source.capacity) if m in source.capacity]
    capacity = _scaled_capacity(source, materials, periods, affected, change.capacity_factor)
    prices, tiers = _scaled_prices(problem, source, materials, affected, change.price_factor)
    return source.derive(
        capacity=capacity,
        prices=prices,
        tiers=tiers,
        discounts=_scaled_discounts(source, materials, affected, change.price_factor, periods),
        feeds=_scaled_feeds(source, change, periods, affected),
    )


def _scaled_discounts(
    source: Source, materials: list[str], affected: set[str], factor: float, periods: list[str]
) -> dict[str, list[Discount]]:
    """The source's discount bands with the prices of ``materials`` times ``factor``: a band's
    price holds in every period, so it can only change everywhere.

    Raises:
        ScenarioError: the change scales a discounted material in some periods only.
    """
    scaled = [m for m in materials if m in source.discounts] if factor != 1 else []
    if scaled and affected != set(periods):
        raise ScenarioError(
            f"source {source.id!r} prices {scaled[0]!r} by discounts, whose prices hold in "
            "every period: a price change in some periods only cannot scale them. Scale it "
            "in every period (no 'periods' on the change)"
        )
    return source.discounts | {
        m: [band.derive(price=band.price * factor) for band in source.discounts[m]] for m in scaled
    }


def _affected(periods: list[str] | None, every: list[str], later: set[str]) -> set[str]:
    """The periods a change names (default: ``every`` one) that are in ``later``."""
    return later & set(periods or every)


def _scaled_capacity(
    source: Source, materials: list[str], periods: list[str], affected: set[str], factor: float
) -> dict[str, TonnesPerPeriod]:
    """The source's capacity with that of ``materials`` times ``factor`` in ``affected``."""
    if factor == 1:
        return dict(source.capacity)
    return source.capacity | {
        m: _scaled(source.capacity[m], periods, affected, factor) for m in materials
    }


def _scaled_prices(
    problem: Problem, source: Source, materials: list[str], affected: set[str], factor: float
) -> tuple[dict[str, PricePerPeriod], dict[str, list[Tier]]]:
    """The source's ``prices`` and ``tiers`` with those of ``materials`` times ``factor`` in
    ``affected``."""
    prices, tiers = dict(source.prices), dict(source.tiers)
    if factor != 1:
        everywhere = affected == set(problem.periods)
        for m in materials:
            own = _prices(problem, source, m)
            prices[m] = _scaled(own, list(own), affected, factor)
            if m in tiers:
                tiers[m] = _scaled_tiers(source, m, everywhere, factor)
    return prices, tiers


def _scaled_feeds(
    source: Source, change: SourceChange, periods: list[str], affected: set[str]
) -> list[Feed]:
    """The source's feeds, scaled when the change is to the whole source."""
    if change.materials is not None:
        return source.feeds
    return [_scaled_feed(feed, periods, affected, change) for feed in source.feeds]


def _scaled_feed(feed: Feed, periods: list[str], affected: set[str], change: SourceChange) -> Feed:
    """The feed's capacity and price scaled as the change scales its source's."""
    capacity, price = feed.capacity, feed.price_per_tonne_feed
    if change.capacity_factor != 1:
        capacity = _scaled(capacity, _given(capacity, periods), affected, change.capacity_factor)
    if change.price_factor != 1:
        price = _scaled(price, _given(price, periods), affected, change.price_factor)
    return feed.derive(capacity=capacity, price_per_tonne_feed=price)


def _given(value: float | Mapping[str, float], periods: list[str]) -> list[str]:
    """The periods a per-period value lists (every period for a single number)."""
    return list(value) if isinstance(value, Mapping) else periods


def _scaled(
    value: float | Mapping[str, float], periods: list[str], affected: set[str], factor: float
) -> dict[str, float]:
    """A per-period value as a dict over ``periods``, times ``factor`` in ``affected``."""
    return {t: value_at(value, t) * (factor if t in affected else 1.0) for t in periods}


def _scaled_tiers(source: Source, material: str, everywhere: bool, factor: float) -> list[Tier]:
    """The tiers of ``material`` with their own prices scaled (those given as multipliers
    follow the list price)."""
    tiers = source.tiers[material]
    if not everywhere:
        _check_tiers(source.id, material, tiers)
    return [
        tier if tier.price is None else tier.derive(price=tier.price * factor) for tier in tiers
    ]


def _check_tiers(source: str, material: str, tiers: list[Tier]) -> None:
    """A tier's own price holds in every period, so it can only change everywhere.

    Raises:
        ScenarioError: a tier has a price of its own.
    """
    if any(tier.price is not None for tier in tiers):
        raise ScenarioError(
            f"source {source!r} prices {material!r} by tiers with a price of their own, "
            "which holds in every period: a price change in some periods only cannot scale it. "
            "Give the tiers a price_multiplier of the list price instead"
        )


def _prices(problem: Problem, source: Source, material: str) -> dict[str, float]:
    """The source's price of ``material`` in every period where it has one."""
    own = source.prices.get(material)
    reference = problem.reference_prices.get(material)
    prices = {}
    for t in problem.periods:
        if (price := defined_at(own, t)) is not None:
            prices[t] = price
        elif (price := defined_at(reference, t)) is not None:
            prices[t] = price * source.price_multiplier
    return prices


DEFAULT_PENALTY_FACTOR = 10.0
"""Without a penalty of its own, a tonne short costs this many times the material's dearest
price (an assumption: state your own with ``penalty``)."""


def shortage_penalties(
    problem: Problem, penalty: float | Mapping[str, float] | None = None
) -> dict[str, float]:
    """Every material's cost per tonne short [money/t REO]: its own ``shortage_penalty``;
    failing that ``penalty`` (one number, or per material); failing that
    :data:`DEFAULT_PENALTY_FACTOR` times its dearest price among the sources (every price band,
    and a feed's price over its yield of the material: what a tonne costs bought from the feed
    for it alone)."""
    tonnes = in_tonnes_of_oxide(problem)
    dearest: dict[str, float] = {}
    for m, _, price in prepare(tonnes).offers():
        dearest[m] = max(dearest.get(m, 0.0), price)
    own = tonnes.shortage_penalty
    return {m: own.get(m, _fallback(penalty, m, dearest)) for m in problem.material_ids}


def _fallback(
    penalty: float | Mapping[str, float] | None, material: str, dearest: Mapping[str, float]
) -> float:
    """``penalty`` for the material, else :data:`DEFAULT_PENALTY_FACTOR` times its dearest
    price."""
    given = penalty.get(material) if isinstance(penalty, Mapping) else penalty
    return given if given is not None else DEFAULT_PENALTY_FACTOR * dearest.get(material, 0.0)


def for_disruption(
    problem: Problem, *, penalty: float | Mapping[str, float] | None = None
) -> Problem:
    """The problem as it is faced when a disruption may come, in t REO: every material may go
    short, at :func:`shortage_penalties`; and every stock target is a strategic stock, drawn in
    a disruption and rebuilt after it (``stock.below_target_cost``, by default the material's
    shortage penalty / (2 x the number of periods), so that a tonne drawn and never rebuilt
    within the horizon costs at most half a tonne short; ``stock.terminal_price``, by default
    the replacement price). Other rules stay.

    Everything a scenario could move (penalties, gap costs, terminal prices) is resolved here
    and written into the problem, so :func:`apply` a scenario to the result: the same terms then
    price every scenario and the problem without one, and a disruption never lowers the cost.
    """
    tonnes = in_tonnes_of_oxide(problem)
    penalties = shortage_penalties(tonnes, penalty)
    targets = dict.fromkeys(m for m, _ in prepare(tonnes).stock_cover)
    share = 1 / (2 * len(problem.periods))
    gap = {m: share * penalties[m] for m in targets}
    gap |= tonnes.stock.below_target_cost  # the problem's own win
    penalised = tonnes.derive(
        shortage_penalty=penalties, stock=tonnes.stock.derive(below_target_cost=gap)
    )
    terminal = prepare(penalised).terminal
    return penalised.derive(stock=penalised.stock.derive(terminal_price=terminal))


NO_DISRUPTION = "none"
"""The name that stands for no disruption: the baseline every scenario is compared with."""


def disrupted(
    problem: Problem,
    scenario: Scenario | str | None = None,
    *,
    penalty: float | Mapping[str, float] | None = None,
) -> Problem:
    """The problem faced under ``scenario``: ``apply(for_disruption(problem, penalty=penalty),
    scenario)``. ``scenario`` is a :class:`~optiree.schema.Scenario`, the name of one of
    ``problem.scenarios``, or None (or :data:`NO_DISRUPTION`) for the problem faced with no
    disruption, which no disruption can cost less than.

    Raises:
        ScenarioError: no scenario of the problem has that name (the message lists them).
    """
    faced = for_disruption(problem, penalty=penalty)
    if scenario in (None, NO_DISRUPTION):
        return faced.derive(scenarios=[])
    return apply(faced, named(problem, scenario) if isinstance(scenario, str) else scenario)


def named(problem: Problem, name: str) -> Scenario:
    """The scenario of ``problem`` called ``name``.

    Raises:
        ScenarioError: there is none (the message lists the names there are).
    """
    by_name = {scenario.name: scenario for scenario in problem.scenarios}
    if name in by_name:
        return by_name[name]
    known = ", ".join(by_name) or "none"
    raise ScenarioError(f"no scenario {name!r} in {problem.name!r}; its scenarios: {known}")


OTHERS = "others"
"""In a price move, every source outside the disrupting country not named on its own."""


def moved_prices(
    problem: Problem, country: str, periods: list[str], factors: Mapping[str, float]
) -> list[SourceChange]:
    """The source changes of a price move that comes with a disruption by ``country``: each
    source named in ``factors`` has every price (materials, tiers of their own, feeds) times
    its factor in ``periods``; :data:`OTHERS` gives its factor to every source outside
    ``country`` not named on its own. A factor of 1 changes nothing and is left out."""
    changes = []
    for source in problem.sources:
        factor = factors.get(source.id)
        if factor is None and source.country != country:
            factor = factors.get(OTHERS)
        if factor not in (None, 1):
            changes.append(SourceChange(source=source.id, periods=periods, price_factor=factor))
    return changes
