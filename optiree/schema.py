"""Input schema: the pydantic models a procurement problem is written in.

Every model is strict and frozen (:class:`StrictModel`). Field-level rules (signs, bounds, finite
numbers) are checked by the shared ``Annotated`` types below; rules that relate fields to each
other (unknown ids, unknown periods, prices missing where a source can sell) are checked by
:meth:`Problem._cross_check`, which reports every offending field at once, each at its own path.

Units: quantities are tonnes (t) per period; prices and costs are in ``Problem.currency`` per
tonne (or per unit of a substitute); shares are fractions in [0, 1].
"""

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.]{0,63}")


def _int_as_text(value: Any) -> Any:
    """YAML reads a year label such as 2026 as a number; as an id it is the text '2026'."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _check_id(value: str) -> str:
    if not ID_PATTERN.fullmatch(value):
        raise PydanticCustomError(
            "id_format",
            "an id is 1 to 64 ASCII letters, digits, '_' or '.', starting with a letter or digit "
            "(such as 'NdPr' or '2026Q1')",
        )
    return value


Id = Annotated[
    str,
    BeforeValidator(_int_as_text),
    AfterValidator(_check_id),
    Field(
        json_schema_extra={"pattern": f"^{ID_PATTERN.pattern}$"},
        description="Identifier: it appears verbatim in variable and constraint names.",
    ),
]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]
Tonnes = Annotated[NonNegative, Field(description="Tonnes per period [t], finite, >= 0.")]
Price = Annotated[NonNegative, Field(description="Money per tonne or per unit, finite, >= 0.")]
Share = Annotated[
    float, Field(ge=0, le=1, allow_inf_nan=False, strict=True, description="A fraction in [0, 1].")
]
Multiplier = Annotated[float, Field(gt=0, allow_inf_nan=False, strict=True)]


def _per_period_tag(value: Any) -> str:
    return "by_period" if isinstance(value, Mapping) else "value"


BY_PERIOD = Discriminator(_per_period_tag)
"""A value is one number for every period ("value") or a dict period -> number ("by_period")."""
TonnesPerPeriod = Annotated[
    Annotated[Tonnes, Tag("value")] | Annotated[dict[Id, Tonnes], Tag("by_period")], BY_PERIOD
]
PricePerPeriod = Annotated[
    Annotated[Price, Tag("value")] | Annotated[dict[Id, Price], Tag("by_period")], BY_PERIOD
]
NumberPerPeriod = Annotated[
    Annotated[NonNegative, Tag("value")] | Annotated[dict[Id, NonNegative], Tag("by_period")],
    BY_PERIOD,
]


IdList = Annotated[list[Id], Field(min_length=1)]
"""A non-empty list of ids (leave the field out to mean "all"); an id may appear once."""


class StrictModel(BaseModel):
    """Shared base: unknown keys are errors and validated objects cannot be changed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Material(StrictModel):
    id: Id
    name: str | None = None
    """Human-readable name, used in reports only."""


class Source(StrictModel):
    """A supplier: a mine, a refiner, a recycler, a trading channel."""

    id: Id
    country: Id
    """Country the supply depends on (ISO code such as CN, AU); the unit of every country rule."""
    capacity: Annotated[dict[Id, TonnesPerPeriod], Field(min_length=1)]
    """Material -> tonnes per period. A dict period -> tonnes gives 0 for periods not listed.
    The source supplies only the materials listed here."""
    price_multiplier: Multiplier = 1.0
    """Price = reference price x multiplier, where ``prices`` gives none for the material and
    period."""
    prices: dict[Id, PricePerPeriod] = {}
    """Material -> price per tonne, overriding reference price x multiplier."""
    available_from: Id | None = None
    """First period in which the source can supply; none means from the first period."""


class Substitute(StrictModel):
    """A substitution technology: one unit avoids ``saves[m]`` tonnes of each material m."""

    id: Id
    name: str | None = None
    saves: Annotated[dict[Id, Tonnes], Field(min_length=1)]
    """Material -> tonnes avoided per unit [t/unit]."""
    cost: PricePerPeriod
    """Cost per unit; a dict must give every period in which the substitute is available."""
    capacity: NumberPerPeriod
    """At most this many units per period; a dict gives 0 for periods not listed."""
    available_from: Id | None = None


class Stock(StrictModel):
    initial: dict[Id, Tonnes] = {}
    """Material -> tonnes in stock before the first period (default 0)."""
    holding_cost: dict[Id, Price] = {}
    """Material -> cost per tonne of closing stock per period (default 0)."""


class Cap(StrictModel):
    """An embargo, export cut or quota on the matching sources.

    For each listed material and period, the tonnes bought from all matching sources together
    are at most ``max_tonnes``, or at most ``max_share_of_capacity`` x their capacity
    (0 is an embargo, 0.2 an 80% export cut).
    """

    id: Id | None = None
    """Name used in constraint names and tables; default ``cap1``, ``cap2``... by position."""
    country: Id | None = None
    source: Id | None = None
    materials: IdList | None = None
    """Default: every material."""
    periods: IdList | None = None
    """Default: every period."""
    max_tonnes: Tonnes | None = None
    max_share_of_capacity: Share | None = None

    @model_validator(mode="after")
    def _one_target_one_limit(self) -> Self:
        if (self.country is None) == (self.source is None):
            raise PydanticCustomError(
                "cap_target", "a cap names exactly one of 'country' or 'source'"
            )
        if (self.max_tonnes is None) == (self.max_share_of_capacity is None):
            raise PydanticCustomError(
                "cap_limit", "a cap sets exactly one of 'max_tonnes' or 'max_share_of_capacity'"
            )
        return self


class CoverRule(StrictModel):
    """At least ``share`` of each period's demand must be coverable without ``country``."""

    country: Id
    share: Share
    materials: IdList | None = None
    """Default: every material."""


class Security(StrictModel):
    max_country_share: dict[Id, Share] = {}
    """Country -> largest share of each material's purchases in a period."""
    min_cover_without: list[CoverRule] = []
    min_stock_cover: dict[Id, NumberPerPeriod] = {}
    """Material -> closing stock as a multiple of that period's demand (2 = two periods); a
    dict gives 0 (no rule) for periods not listed, e.g. to let a stockpile build up."""


class Disruption(StrictModel):
    """An export cut or embargo: a share of the matching sources' capacity withheld, from
    ``start`` for ``length`` periods."""

    country: Id | None = None
    source: Id | None = None
    materials: IdList | None = None
    """Default: every material."""
    start: Id
    """First period of the disruption."""
    length: Annotated[int, Field(ge=1, strict=True)] | None = None
    """Number of periods; none means to the end of the horizon (a longer one is cut there)."""
    cut: Share = 1.0
    """Share of capacity withheld: 1 is an embargo, 0.8 an 80% export cut."""

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.country is None) == (self.source is None):
            raise PydanticCustomError(
                "disruption_target", "a disruption names exactly one of 'country' or 'source'"
            )
        return self


class SourceChange(StrictModel):
    """A change to one source: an outage (capacity_factor 0), a ramp, a price spike."""

    source: Id
    materials: IdList | None = None
    """Default: every material the source supplies."""
    periods: IdList | None = None
    """Default: every period."""
    capacity_factor: NonNegative = 1.0
    """Capacity is multiplied by this (0: an outage)."""
    price_factor: Multiplier = 1.0
    """The price is multiplied by this."""


class DemandChange(StrictModel):
    material: Id
    periods: IdList | None = None
    """Default: every period."""
    factor: NonNegative
    """Demand is multiplied by this."""


class Scenario(StrictModel):
    """A named, optionally weighted set of changes to a problem (see ``optiree.apply``)."""

    name: Id
    probability: Share | None = None
    """Weight of the scenario; give it for every scenario of a problem or for none (equal)."""
    disruptions: list[Disruption] = []
    caps: list[Cap] = []
    """Extra caps, as in the problem."""
    sources: list[SourceChange] = []
    demand: list[DemandChange] = []


class Problem(StrictModel):
    """A procurement problem: what is needed, where it can come from, and the rules."""

    name: str
    description: str | None = None
    currency: str = "USD"
    """Label of the money unit of every price and cost, printed with results."""
    periods: Annotated[list[Id], Field(min_length=1)] = ["P1"]
    """Ordered period labels; stock flows from each period to the next."""
    materials: Annotated[list[Material], Field(min_length=1)]
    reference_prices: dict[Id, PricePerPeriod] = {}
    """Material -> price per tonne of the reference (China) supply."""
    sources: Annotated[list[Source], Field(min_length=1)]
    substitutes: list[Substitute] = []
    demand: dict[Id, TonnesPerPeriod]
    """Material -> tonnes per period; every material is listed; a dict gives 0 for periods not
    listed."""
    stock: Stock = Stock()
    shortage_penalty: dict[Id, Price] = {}
    """Material -> cost per tonne of unmet demand. Listed materials may go short at this price;
    the others must be met."""
    caps: list[Cap] = []
    security: Security = Security()
    scenarios: list[Scenario] = []
    """Disruptions to plan against or test a plan with (``optiree.apply``, ``stress_test``,
    ``solve_stochastic``, ``sweep``); solving the problem itself ignores them."""

    @property
    def material_ids(self) -> list[str]:
        return [m.id for m in self.materials]

    @property
    def countries(self) -> list[str]:
        """Countries of the sources, in order of first appearance."""
        return list(dict.fromkeys(s.country for s in self.sources))

    def cap_id(self, index: int) -> str:
        """The id of ``caps[index]``: its own, or ``cap<index+1>``."""
        return self.caps[index].id or f"cap{index + 1}"

    @model_validator(mode="after")
    def _cross_check(self) -> Self:
        errors = list(_cross_errors(self))
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self


def error_detail(
    loc: tuple[str | int, ...], kind: str, message: str, value: Any
) -> InitErrorDetails:
    """One line of a ValidationError: ``message`` at the path ``loc``, of type ``kind``."""
    # The message is fixed text: braces would be read as a template placeholder.
    text = message.replace("{", "(").replace("}", ")")
    return InitErrorDetails(type=PydanticCustomError(kind, text), loc=loc, input=value)


def _known(ids: Iterable[str]) -> str:
    return ", ".join(repr(i) for i in ids) or "none"


def _duplicates(
    ids: list[str], prefix: tuple[str | int, ...], suffix: tuple[str, ...], what: str
) -> Iterator[InitErrorDetails]:
    """One error at each repeat of an id, at ``(*prefix, index, *suffix)``."""
    counts = Counter(ids)
    for i, ident in enumerate(ids):
        if counts[ident] > 1 and ids.index(ident) < i:
            yield error_detail(
                (*prefix, i, *suffix), "duplicate_id", f"duplicate {what} {ident!r}", ident
            )


def _unknown(
    loc: tuple[str | int, ...], ident: str, known: list[str], what: str
) -> Iterator[InitErrorDetails]:
    if ident not in known:
        yield error_detail(
            loc, f"unknown_{what}", f"unknown {what} {ident!r}; known: {_known(known)}", ident
        )


def _keys(
    mapping: Mapping[str, Any], loc: tuple[str | int, ...], known: list[str], what: str
) -> Iterator[InitErrorDetails]:
    for key in mapping:
        yield from _unknown((*loc, key), key, known, what)


def _id_list(
    ids: list[str] | None, loc: tuple[str | int, ...], known: list[str], what: str
) -> Iterator[InitErrorDetails]:
    """Every id of an optional list is known and listed once."""
    for j, ident in enumerate(ids or []):
        yield from _unknown((*loc, j), ident, known, what)
    yield from _duplicates(ids or [], loc, (), what)


def _period_keys(
    value: Any, loc: tuple[str | int, ...], periods: list[str]
) -> Iterator[InitErrorDetails]:
    if isinstance(value, Mapping):
        yield from _keys(value, (*loc, "by_period"), periods, "period")


def _available(problem: Problem, available_from: str | None) -> list[str]:
    periods = problem.periods
    if available_from is None or available_from not in periods:
        return periods
    return periods[periods.index(available_from) :]


def _defined_in(value: Any, period: str) -> bool:
    return not isinstance(value, Mapping) or period in value


def _positive_in(value: Any, period: str) -> bool:
    return bool((value.get(period, 0.0) if isinstance(value, Mapping) else value) > 0)


def _cross_errors(p: Problem) -> Iterator[InitErrorDetails]:
    periods, materials = p.periods, p.material_ids
    countries, source_ids = p.countries, [s.id for s in p.sources]
    yield from _duplicates(periods, ("periods",), (), "period")
    yield from _duplicates(materials, ("materials",), ("id",), "material")
    yield from _duplicates(source_ids, ("sources",), ("id",), "source")
    yield from _duplicates([k.id for k in p.substitutes], ("substitutes",), ("id",), "substitute")
    yield from _duplicates([p.cap_id(i) for i in range(len(p.caps))], ("caps",), ("id",), "cap")

    for key, price in p.reference_prices.items():
        yield from _unknown(("reference_prices", key), key, materials, "material")
        yield from _period_keys(price, ("reference_prices", key), periods)

    for i, s in enumerate(p.sources):
        loc: tuple[str | int, ...] = ("sources", i)
        if s.available_from is not None:
            yield from _unknown((*loc, "available_from"), s.available_from, periods, "period")
        for m, capacity in s.capacity.items():
            yield from _unknown((*loc, "capacity", m), m, materials, "material")
            yield from _period_keys(capacity, (*loc, "capacity", m), periods)
        for m, price in s.prices.items():
            if m not in s.capacity:
                yield error_detail(
                    (*loc, "prices", m),
                    "price_without_capacity",
                    f"source {s.id!r} has a price for {m!r} but no capacity for it",
                    m,
                )
            yield from _period_keys(price, (*loc, "prices", m), periods)
        for m, capacity in s.capacity.items():
            own = s.prices.get(m)
            reference = p.reference_prices.get(m)
            unpriced = [
                t
                for t in _available(p, s.available_from)
                if _positive_in(capacity, t)
                and not (own is not None and _defined_in(own, t))
                and not (reference is not None and _defined_in(reference, t))
            ]
            if unpriced and m in materials:
                yield error_detail(
                    (*loc, "capacity", m),
                    "missing_price",
                    f"source {s.id!r} can supply {m!r} in {_known(unpriced)} but no price is "
                    f"given there: add reference_prices.{m} or sources[{i}].prices.{m}",
                    m,
                )

    for i, k in enumerate(p.substitutes):
        loc = ("substitutes", i)
        if k.available_from is not None:
            yield from _unknown((*loc, "available_from"), k.available_from, periods, "period")
        yield from _keys(k.saves, (*loc, "saves"), materials, "material")
        yield from _period_keys(k.capacity, (*loc, "capacity"), periods)
        yield from _period_keys(k.cost, (*loc, "cost"), periods)
        uncosted = [
            t
            for t in _available(p, k.available_from)
            if _positive_in(k.capacity, t) and not _defined_in(k.cost, t)
        ]
        if uncosted:
            yield error_detail(
                (*loc, "cost"),
                "missing_cost",
                f"substitute {k.id!r} can be used in {_known(uncosted)} but has no cost there",
                k.id,
            )

    yield from _keys(p.demand, ("demand",), materials, "material")
    for m, value in p.demand.items():
        yield from _period_keys(value, ("demand", m), periods)
    missing = [m for m in materials if m not in p.demand]
    if missing:
        yield error_detail(
            ("demand",),
            "missing_demand",
            f"demand is not given for {_known(missing)}: list every material (0 is allowed)",
            missing,
        )

    yield from _keys(p.stock.initial, ("stock", "initial"), materials, "material")
    yield from _keys(p.stock.holding_cost, ("stock", "holding_cost"), materials, "material")
    yield from _keys(p.shortage_penalty, ("shortage_penalty",), materials, "material")

    for i, cap in enumerate(p.caps):
        yield from _target_errors(p, cap, ("caps", i))
        yield from _id_list(cap.periods, ("caps", i, "periods"), periods, "period")

    security = p.security
    yield from _keys(
        security.max_country_share, ("security", "max_country_share"), countries, "country"
    )
    cover_countries = [rule.country for rule in security.min_cover_without]
    yield from _duplicates(
        cover_countries, ("security", "min_cover_without"), ("country",), "cover rule country"
    )
    for i, rule in enumerate(security.min_cover_without):
        loc = ("security", "min_cover_without", i)
        yield from _unknown((*loc, "country"), rule.country, countries, "country")
        yield from _id_list(rule.materials, (*loc, "materials"), materials, "material")
    yield from _keys(
        security.min_stock_cover, ("security", "min_stock_cover"), materials, "material"
    )
    for m, cover in security.min_stock_cover.items():
        yield from _period_keys(cover, ("security", "min_stock_cover", m), periods)

    yield from _scenario_errors(p)


def _target_errors(
    p: Problem, target: Cap | Disruption, loc: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    """The country or source and the materials of a cap or a disruption are known."""
    if target.country is not None:
        yield from _unknown((*loc, "country"), target.country, p.countries, "country")
    if target.source is not None:
        sources = [s.id for s in p.sources]
        yield from _unknown((*loc, "source"), target.source, sources, "source")
    yield from _id_list(target.materials, (*loc, "materials"), p.material_ids, "material")


def _scenario_errors(p: Problem) -> Iterator[InitErrorDetails]:
    periods, materials, sources = p.periods, p.material_ids, [s.id for s in p.sources]
    names = [scenario.name for scenario in p.scenarios]
    yield from _duplicates(names, ("scenarios",), ("name",), "scenario")
    given = [s.probability for s in p.scenarios if s.probability is not None]
    if given and len(given) < len(p.scenarios):
        yield error_detail(
            ("scenarios",),
            "probability_missing",
            "give a probability for every scenario or for none (then they are equally likely)",
            names,
        )
    elif given and abs(sum(given) - 1) > 1e-9:
        yield error_detail(
            ("scenarios",),
            "probability_sum",
            f"scenario probabilities sum to {sum(given):g}, not 1",
            given,
        )
    for i, scenario in enumerate(p.scenarios):
        loc: tuple[str | int, ...] = ("scenarios", i)
        for j, disruption in enumerate(scenario.disruptions):
            where = (*loc, "disruptions", j)
            yield from _target_errors(p, disruption, where)
            yield from _unknown((*where, "start"), disruption.start, periods, "period")
        for j, cap in enumerate(scenario.caps):
            yield from _target_errors(p, cap, (*loc, "caps", j))
            yield from _id_list(cap.periods, (*loc, "caps", j, "periods"), periods, "period")
        for j, change in enumerate(scenario.sources):
            where = (*loc, "sources", j)
            yield from _unknown((*where, "source"), change.source, sources, "source")
            yield from _id_list(change.materials, (*where, "materials"), materials, "material")
            yield from _id_list(change.periods, (*where, "periods"), periods, "period")
        for j, scaled in enumerate(scenario.demand):
            where = (*loc, "demand", j)
            yield from _unknown((*where, "material"), scaled.material, materials, "material")
            yield from _id_list(scaled.periods, (*where, "periods"), periods, "period")
