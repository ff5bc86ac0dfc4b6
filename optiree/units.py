"""Units: a problem written in the user's units -> the same problem in tonnes of oxide.

optiree works and reports in tonnes of rare-earth oxide (t REO) and the problem's currency per
t REO. :func:`in_tonnes_of_oxide` rewrites a problem whose ``units`` say otherwise (demand in
tonnes of magnet, prices per kg of oxide or of metal, quantities in kg) into those units, so
that nothing after it converts anything.
"""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from optiree.schema import (
    MASS,
    Cap,
    Contract,
    Discount,
    Facility,
    Investment,
    Problem,
    Scenario,
    Source,
    Stock,
    StrictModel,
    Surplus,
    Tier,
    Units,
    delivered,
    restated,
)

M = TypeVar("M", bound=StrictModel)

DEFAULT = Units()
REO_UNIT = "t REO"
"""The unit of every quantity optiree reports."""


def tonnes_of_oxide(problem: Problem, unit: str, material: str) -> float:
    """t REO in one ``unit`` (such as "kg metal") of ``material``."""
    mass, basis = unit.split()
    factor = MASS[mass]
    if basis != "REO":
        found = next(m for m in problem.materials if m.id == material)
        factor *= found.reo_per_tonne[basis]  # type: ignore[index]
    return factor


def _scale(value: Any, factor: float) -> Any:
    """A number, or a per-period dict of numbers, times ``factor``."""
    if isinstance(value, Mapping):
        return {t: v * factor for t, v in value.items()}
    return None if value is None else value * factor


def _each(mapping: Mapping[str, Any], factor: Callable[[str], float]) -> dict[str, Any]:
    """Every entry of a material -> value mapping scaled by its material's factor."""
    return {m: _scale(value, factor(m)) for m, value in mapping.items()}


def _unchecked(model: M, **changes: object) -> M:
    """``model`` with ``changes``, not validated on its own: the converted problem is validated
    as a whole (:meth:`StrictModel.derive`), so that an error names the field the user wrote."""
    return model.model_copy(update=changes)


class _Conversion:
    """The factors from a problem's units to t REO, and each model of it converted."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.units = problem.units
        self.sources = {source.id: source for source in problem.sources}
        self.tonnes = MASS[self.units.quantities.split()[0]]
        """t per unit of every other quantity of material."""

    def demand(self, m: str) -> float:
        return tonnes_of_oxide(self.problem, self.units.demand, m)

    def price(self, m: str) -> float:
        return 1 / tonnes_of_oxide(self.problem, self.units.prices, m)

    def quantity(self, _: str) -> float:
        return self.tonnes

    def converted(self) -> Problem:
        """The problem in t REO, validated as a whole."""
        p = self.problem
        return p.derive(
            units=DEFAULT,
            demand=_each(p.demand, self.demand),
            reference_prices=_each(p.reference_prices, self.price),
            shortage_penalty=_each(p.shortage_penalty, self.price),
            stock=self.stock(p.stock),
            sources=[self.source(source) for source in p.sources],
            substitutes=[_unchecked(k, saves=_each(k.saves, self.quantity)) for k in p.substitutes],
            caps=[self.cap(cap) for cap in p.caps],
            contracts=[self.contract(contract) for contract in p.contracts],
            surplus={m: self.surplus(m, surplus) for m, surplus in p.surplus.items()},
            scenarios=[self.scenario(scenario) for scenario in p.scenarios],
            investments=[self.investment(option) for option in p.investments],
            facilities=[self.facility(f) for f in p.facilities],
        )

    def facility(self, facility: Facility) -> Facility:
        """A facility's capacity is a quantity of material, its cost per unit of it (by mass
        alone: it processes every material)."""
        return _unchecked(
            facility,
            capacity=_scale(facility.capacity, self.tonnes),
            processing_cost=facility.processing_cost / MASS[self.units.prices.split()[0]],
        )

    def investment(self, option: Investment) -> Investment:
        """A source's new capacity, a separation plant's and a facility's is a quantity of
        material (its costs per unit of it); a substitute's line is counted in its own units,
        a feed's in tonnes of feed."""
        if option.substitute is not None or option.feed is not None:
            return option
        per = 1 / self.tonnes
        return _unchecked(
            option,
            max_size=option.max_size * self.tonnes,
            unit_size=None if option.unit_size is None else option.unit_size * self.tonnes,
            capital_cost=option.capital_cost * per,
            operating_cost=option.operating_cost * per,
        )

    def stock(self, stock: Stock) -> Stock:
        return _unchecked(
            stock,
            holding_cost=_each(stock.holding_cost, self.price),
            below_target_cost=_each(stock.below_target_cost, self.price),
            terminal_price=_each(stock.terminal_price, self.price),
            initial=_each(stock.initial, self.quantity),
        )

    def source(self, source: Source) -> Source:
        return _unchecked(
            source,
            capacity=_each(source.capacity, self.quantity),
            prices=_each(source.prices, self.price),
            price_floor=_each(source.price_floor, self.price),
            tiers={m: [self.tier(m, tier) for tier in tiers] for m, tiers in source.tiers.items()},
            discounts={
                m: [self.discount(m, band) for band in bands]
                for m, bands in source.discounts.items()
            },
            feeds=[_unchecked(f, yields=_each(f.yields, self.quantity)) for f in source.feeds],
            separation_capacity=_scale(source.separation_capacity, self.tonnes),
            min_lot=_each(source.min_lot, self.quantity),
        )

    def tier(self, m: str, tier: Tier) -> Tier:
        return _unchecked(
            tier, up_to=_scale(tier.up_to, self.tonnes), price=_scale(tier.price, self.price(m))
        )

    def discount(self, m: str, band: Discount) -> Discount:
        return _unchecked(
            band, from_tonnes=band.from_tonnes * self.tonnes, price=band.price * self.price(m)
        )

    def cap(self, cap: Cap) -> Cap:
        return _unchecked(cap, max_tonnes=_scale(cap.max_tonnes, self.tonnes))

    def scenario(self, scenario: Scenario) -> Scenario:
        return _unchecked(scenario, caps=[self.cap(cap) for cap in scenario.caps])

    def contract(self, contract: Contract) -> Contract:
        # per t REO of its material; a contract over several materials counts REO tonnes
        materials = contract.materials or delivered(self.sources[contract.source])
        one = materials[0] if len(materials) == 1 else None
        per = self.price(one) if one is not None else 1 / MASS[self.units.prices.split()[0]]
        return _unchecked(
            contract,
            min_tonnes=_scale(contract.min_tonnes, self.tonnes),
            fixed_tonnes=_scale(contract.fixed_tonnes, self.tonnes),
            take_or_pay=_scale(contract.take_or_pay, per),
        )

    def surplus(self, m: str, surplus: Surplus) -> Surplus:
        return _unchecked(
            surplus,
            salvage_price=_scale(surplus.salvage_price, self.price(m)),
            disposal_cost=_scale(surplus.disposal_cost, self.price(m)),
            max_sold=_scale(surplus.max_sold, self.tonnes),
        )


def in_tonnes_of_oxide(problem: Problem) -> Problem:
    """``problem`` with every quantity in t REO and every price per t REO (itself if so already).

    Demand is converted with ``units.demand``; prices, costs and penalties of materials with
    ``units.prices`` (divided: a price per kg is 1,000 times one per tonne); every other
    quantity of material with ``units.quantities``. Feed tonnes, feed prices (per tonne of feed)
    and substitute units and costs are not quantities of a material and do not change.
    """
    units = problem.units
    if units == DEFAULT:
        return problem
    try:
        return _Conversion(problem).converted()
    except ValidationError as error:
        # Numbers valid as written can fall outside the limits once converted (a price of 1e12
        # per kg is 1e15 per tonne): say so at the field the user wrote.
        raise restated(
            error,
            "unit_conversion",
            f"converted to t REO (units: demand in {units.demand}, prices per {units.prices}, "
            f"quantities in {units.quantities}) this value is not valid",
        ) from None
