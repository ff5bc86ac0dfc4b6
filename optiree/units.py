"""Units: a problem written in the user's units -> the same problem in tonnes of oxide.

optiree works and reports in tonnes of rare-earth oxide (t REO) and the problem's currency per
t REO. :func:`in_tonnes_of_oxide` rewrites a problem whose ``units`` say otherwise (demand in
tonnes of magnet, prices per kg of oxide or of metal, quantities in kg) into those units, so
that nothing after it converts anything.
"""

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from optiree.schema import MASS, Problem, Units, delivered, error_detail

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


def _each(mapping: dict[str, Any], factor: Callable[[str], float]) -> None:
    """Scale every entry of a material -> value mapping in place by its material's factor."""
    for m, value in mapping.items():
        mapping[m] = _scale(value, factor(m))


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

    def demand(m: str) -> float:
        return tonnes_of_oxide(problem, units.demand, m)

    def price(m: str) -> float:
        return 1 / tonnes_of_oxide(problem, units.prices, m)

    quantity = MASS[units.quantities.split()[0]]
    sources = {source.id: source for source in problem.sources}
    d = problem.model_dump()
    d["units"] = DEFAULT.model_dump()
    _each(d["demand"], demand)
    _each(d["reference_prices"], price)
    _each(d["shortage_penalty"], price)
    for key in ("holding_cost", "below_target_cost", "terminal_price"):
        _each(d["stock"][key], price)
    _each(d["stock"]["initial"], lambda _: quantity)
    for source in d["sources"]:
        _each(source["capacity"], lambda _: quantity)
        _each(source["prices"], price)
        _each(source["price_floor"], price)
        for m, tiers in source["tiers"].items():
            for tier in tiers:
                tier["up_to"] = _scale(tier["up_to"], quantity)
                tier["price"] = _scale(tier["price"], price(m))
        for feed in source["feeds"]:
            _each(feed["yields"], lambda _: quantity)
        source["separation_capacity"] = _scale(source["separation_capacity"], quantity)
    for substitute in d["substitutes"]:
        _each(substitute["saves"], lambda _: quantity)
    for cap in [*d["caps"], *(c for scenario in d["scenarios"] for c in scenario["caps"])]:
        cap["max_tonnes"] = _scale(cap["max_tonnes"], quantity)
    for contract in d["contracts"]:
        contract["min_tonnes"] = _scale(contract["min_tonnes"], quantity)
        contract["fixed_tonnes"] = _scale(contract["fixed_tonnes"], quantity)
        # per t REO of its material; a contract over several materials counts REO tonnes
        materials = contract["materials"] or delivered(sources[contract["source"]])
        one = materials[0] if len(materials) == 1 else None
        per = price(one) if one is not None else 1 / MASS[units.prices.split()[0]]
        contract["take_or_pay"] = _scale(contract["take_or_pay"], per)
    for m, surplus in d["surplus"].items():
        surplus["salvage_price"] = _scale(surplus["salvage_price"], price(m))
        surplus["disposal_cost"] = _scale(surplus["disposal_cost"], price(m))
        surplus["max_sold"] = _scale(surplus["max_sold"], quantity)
    try:
        return Problem.model_validate(d)
    except ValidationError as error:
        # Numbers valid as written can fall outside the limits once converted (a price of 1e12
        # per kg is 1e15 per tonne): say so at the field the user wrote.
        raise ValidationError.from_exception_data(
            "Problem",
            [
                error_detail(
                    tuple(detail["loc"]),
                    "unit_conversion",
                    f"converted to t REO (units: demand in {units.demand}, prices per "
                    f"{units.prices}, quantities in {units.quantities}) this value is not "
                    f"valid: {detail['msg']}",
                    detail.get("input"),
                )
                for detail in error.errors()
            ],
        ) from None
