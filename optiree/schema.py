"""Input schema: the pydantic models a procurement problem is written in.

Every model is strict and frozen (:class:`StrictModel`). Field-level rules (signs, bounds, finite
numbers) are checked by the shared ``Annotated`` types below; rules that relate fields to each
other (unknown ids, unknown periods, prices missing where a source can sell) are checked by
:meth:`Problem._cross_check`, which reports every offending field at once, each at its own path.

Units: quantities are tonnes of rare-earth oxide (t REO) per period unless ``Problem.units`` says
otherwise (demand and prices may be given per tonne or kg of oxide, metal or magnet alloy;
:mod:`optiree.prepare` converts them); prices and costs are in ``Problem.currency``; shares are
fractions in [0, 1].
"""

import inspect
import itertools
import math
import re
import types
from collections.abc import Callable, Collection, Generator, Iterable, Iterator, Mapping, Sequence
from typing import Annotated, Any, Literal, Self, TypeVar, Union, get_args, get_origin

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
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

from optiree.errors import ArgumentError
from optiree.words import card, did_you_mean, field_list, problem_lines, share_hint

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
LARGEST = 1e12
"""Largest number any input may hold: beyond it, sums of price x tonnes lose the precision a
solver needs (HiGHS reads 1e20 as infinite), so bigger numbers are refused as typos. A price
made by multiplying numbers (reference x multiplier, tiers, floors) is held to it too."""
NonNegative = Annotated[float, Field(ge=0, le=LARGEST, allow_inf_nan=False, strict=True)]
Count = Annotated[int, Field(ge=1, le=10_000, strict=True, description="A whole number >= 1.")]
Tonnes = Annotated[NonNegative, Field(description="Tonnes per period [t], finite, >= 0.")]
Price = Annotated[NonNegative, Field(description="Money per tonne or per unit, finite, >= 0.")]


def _share_as_fraction(value: Any) -> Any:
    """Refuse a share written as a percentage (60 for 0.6) with a hint that says so."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 < value < math.inf:
        raise PydanticCustomError("less_than_equal", share_hint(value), {"le": 1})
    return value


Share = Annotated[
    float,
    Field(ge=0, le=1, allow_inf_nan=False, strict=True, description="A fraction in [0, 1]."),
    BeforeValidator(_share_as_fraction),
]
Multiplier = Annotated[float, Field(gt=0, le=LARGEST, allow_inf_nan=False, strict=True)]


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
SharePerPeriod = Annotated[
    Annotated[Share, Tag("value")] | Annotated[dict[Id, Share], Tag("by_period")], BY_PERIOD
]
SumOver = Annotated[
    list[Literal["materials", "periods"]],
    Field(max_length=2, description="Dimensions a limit is a total over (default: none)."),
]
"""``[]``: one limit per material and period; ``[periods]``: a total over the listed periods
(an annual quota); ``[materials]``: a total over the listed materials; both: one total."""

Unit = Literal["t REO", "kg REO", "t metal", "kg metal", "t magnet", "kg magnet"]
"""A quantity unit: a mass (t or kg) of a material's oxide (REO), its metal, or the magnet alloy
that contains it (see :attr:`Material.reo_per_tonne`)."""
OxideUnit = Literal["t REO", "kg REO"]


def _exactly_one(model: BaseModel, *fields_and_words: str) -> None:
    """Raise ``kind`` ("<who> exactly one of 'a', 'b' or 'c'") unless exactly one of the
    fields is set: ``_exactly_one(model, "a", "b", "c", kind, who)``."""
    *fields, kind, who = fields_and_words
    if sum(getattr(model, name) is not None for name in fields) != 1:
        *most, last = (f"'{name}'" for name in fields)
        raise PydanticCustomError(kind, f"{who} exactly one of {', '.join(most)} or {last}")


class StrictModel(BaseModel):
    """Shared base: unknown keys are errors, validated objects cannot be changed, and each
    field's docstring is its description in the JSON schema."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Keep ``help()`` readable: the signature ``Model(**fields)`` instead of pydantic's
        generated one (thousands of characters), and the docstring followed by every field,
        its type, default and description (units in it)."""
        super().__pydantic_init_subclass__(**kwargs)
        fields = {
            name: (_field_kind(info), info.description) for name, info in cls.model_fields.items()
        }
        cls.__doc__ = field_list(inspect.cleandoc(cls.__doc__ or cls.__name__), fields)
        parameter = inspect.Parameter("fields", inspect.Parameter.VAR_KEYWORD)
        cls.__signature__ = inspect.Signature([parameter])

    @model_validator(mode="wrap")
    @classmethod
    def _hint_keys(cls, data: Any, handler: Callable[[Any], Self]) -> Self:
        """Validate ``data``, adding to each unknown key's error the field it likely means."""
        try:
            return handler(data)
        except ValidationError as error:
            raise _with_key_hints(error, list(cls.model_fields)) from None

    def derive(self, **changes: object) -> Self:
        """The one way to derive a changed input: a copy with ``changes`` (field name -> new
        value, a validated model or plain data) put in, then validated as a whole, as if read
        from a file, so that every check runs again (a derived problem is never trusted).

        >>> security = problem.security.derive(max_country_share={"CN": 0.5})  # doctest: +SKIP
        >>> tighter = problem.derive(security=security)  # doctest: +SKIP

        Raises:
            ArgumentError: a name in ``changes`` is not a field of this model.
            pydantic.ValidationError: the changed input breaks a rule (its ``loc`` names it).
        """
        fields = type(self).model_fields
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise ArgumentError(
                f"{type(self).__name__} has no field {', '.join(map(repr, unknown))}; its "
                f"fields are {', '.join(fields)}"
            )
        document = self.model_dump()
        document.update({name: _plain(value) for name, value in changes.items()})
        return self.model_validate(document)


def _field_kind(info: Any) -> str:
    """A field's type as a person reads it, and its default: ``list[Cap] = []``."""
    if info.is_required():
        return f"{_type_name(info.annotation)} (required)"
    default = repr(info.get_default(call_default_factory=True))
    return f"{_type_name(info.annotation)} = {default if len(default) <= 30 else '...'}"


def _type_name(kind: Any) -> str:
    """``list[Annotated[str, ...]]`` -> ``list[str]``: no metadata, no module names."""
    origin, args = get_origin(kind), get_args(kind)
    if origin is Annotated:
        return _type_name(args[0])
    if origin in (Union, types.UnionType):
        return " | ".join(_type_name(arg) for arg in args)
    if origin is Literal:
        return " | ".join(repr(arg) for arg in args)
    if origin is not None:
        return f"{getattr(origin, '__name__', origin)}[{', '.join(map(_type_name, args))}]"
    return "None" if kind is type(None) else getattr(kind, "__name__", repr(kind))


def _with_key_hints(error: ValidationError, fields: list[str]) -> ValidationError:
    """``error`` with "did you mean" (or the keys accepted) added to each error of a key
    unknown at this model's own level; every other error as it was."""
    details = error.errors(include_url=False)
    if not any(_unknown_key(detail) for detail in details):
        return error
    return ValidationError.from_exception_data(
        error.title, [_key_hinted(detail, fields) for detail in details]
    )


def _unknown_key(detail: ErrorDetails) -> bool:
    return detail["type"] == "extra_forbidden" and len(detail["loc"]) == 1


def _key_hinted(detail: ErrorDetails, fields: list[str]) -> InitErrorDetails:
    loc, message = tuple(detail["loc"]), detail["msg"]
    if _unknown_key(detail):
        message = f"{message}: {did_you_mean(str(loc[0]), fields)}"
    kind = PydanticCustomError(detail["type"], message, detail.get("ctx"))
    return InitErrorDetails(type=kind, loc=loc, input=detail["input"])


def _plain(value: object) -> object:
    """``value`` with every model in it dumped to plain data."""
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


class Material(StrictModel):
    id: Id
    name: str | None = None
    """Human-readable name, used in reports only."""
    reo_per_tonne: dict[Literal["metal", "magnet"], Multiplier] = {}
    """Tonnes of this material's oxide (REO) in one tonne of its metal (about 1.17 for Nd) or in
    one tonne of magnet alloy (about 0.35 for NdPr in NdFeB); needed where ``Problem.units``
    gives demand or prices in metal or magnet."""


class Units(StrictModel):
    """The units the inputs are written in. optiree works and reports in t REO."""

    demand: Unit = "t REO"
    """Unit of ``demand``."""
    prices: Unit = "t REO"
    """Prices and costs of materials are in currency per this unit: reference and source
    prices, tiers, floors, holding cost, shortage penalty, salvage, disposal, take-or-pay."""
    quantities: OxideUnit = "t REO"
    """Unit of every other quantity of material: capacities, caps, contracts, stock, yields,
    substitute savings, sales limits."""


class Tier(StrictModel):
    """One band of a volume-tiered price: tonnes bought in a period above the previous band's
    ``up_to`` and up to this one's are paid at this band's price."""

    up_to: Annotated[float, Field(gt=0, le=LARGEST, allow_inf_nan=False, strict=True)] | None = None
    """Top of the band [t per period], above 0; the last band leaves it out (it has no top)."""
    price: Price | None = None
    """Price per tonne in the band."""
    price_multiplier: Multiplier | None = None
    """Or: the band's price is the source's own price for the material times this."""

    @model_validator(mode="after")
    def _one_price(self) -> Self:
        _exactly_one(self, "price", "price_multiplier", "tier_price", "a tier sets")
        return self


class Discount(StrictModel):
    """One band of an all-unit discount: when a period's tonnes of the material from the
    source reach ``from_tonnes`` (and not the next band's), every tonne bought in that period
    is paid at this band's ``price``."""

    from_tonnes: Tonnes
    """Least tonnes bought in the period for this band's price [t per period]; the first band
    starts at 0."""
    price: Price
    """Price per tonne of every tonne bought in the period when the total is in this band."""


class Feed(StrictModel):
    """An ore or concentrate sold by the tonne: each tonne yields fixed tonnes of several
    materials (co-products), which all arrive together."""

    id: Id
    yields: Annotated[
        dict[Id, Annotated[float, Field(gt=0, le=LARGEST, allow_inf_nan=False, strict=True)]],
        Field(min_length=1),
    ]
    """Material -> tonnes of it per tonne of feed (in ``units.quantities`` per t of feed); at
    least 1e-6 t (``MIN_PER_UNIT``)."""
    price_per_tonne_feed: PricePerPeriod
    """Price per tonne of feed; a dict must give every period in which the feed is sold."""
    capacity: TonnesPerPeriod
    """Tonnes of feed per period; a dict gives 0 for periods not listed."""


class Source(StrictModel):
    """A supplier: a mine, a refiner, a recycler, a trading channel."""

    id: Id
    country: Id
    """Country the supply depends on (ISO code such as CN, AU); the unit of every country rule."""
    capacity: dict[Id, TonnesPerPeriod] = {}
    """Material -> tonnes per period. A dict period -> tonnes gives 0 for periods not listed.
    The source sells separately only the materials listed here (and what its feeds yield)."""
    price_multiplier: Multiplier = 1.0
    """Price = reference price x multiplier, where ``prices`` gives none for the material and
    period."""
    prices: dict[Id, PricePerPeriod] = {}
    """Material -> price per tonne, overriding reference price x multiplier."""
    available_from: Id | None = None
    """First period in which the source can supply; none means from the first period."""
    tiers: dict[Id, Annotated[list[Tier], Field(min_length=1)]] = {}
    """Material -> volume-tiered prices per period, replacing the flat price. Band prices must
    not fall (a convex cost); prices that fall with volume are ``discounts``."""
    discounts: dict[Id, Annotated[list[Discount], Field(min_length=1)]] = {}
    """Material -> all-unit discount bands, replacing the flat price: the price of every tonne
    bought in a period is that of the band the period's total falls in (``from_tonnes``
    rising from 0, prices not rising). An integer rule: the problem becomes a MILP
    (docs/investment.md)."""
    price_floor: dict[Id, PricePerPeriod] = {}
    """Material -> least price per tonne paid, whatever the tier or list price."""
    price_floor_multiplier: Multiplier | None = None
    """Or: the least price is this times the material's reference price (2: twice China's)."""
    feeds: list[Feed] = []
    """Ores or concentrates sold by the tonne, each yielding several materials."""
    separation_capacity: TonnesPerPeriod | None = None
    """Most tonnes of all materials together per period (a shared separation plant), counting
    what the feeds yield; none means no shared limit, and a dict sets none in the periods it
    does not list."""
    min_lot: dict[Id, Tonnes] = {}
    """Material -> least tonnes delivered in a period if any is bought there at all (a
    semi-continuous purchase: 0, or from the lot up to the capacity). An integer rule: the
    problem becomes a MILP (docs/investment.md)."""
    qualification_cost: Price = 0.0
    """Money paid once if the source delivers anything at all over the horizon (any material,
    any period): qualifying a supplier, redesigning for its grade. An integer rule when
    positive: the problem becomes a MILP (docs/investment.md)."""
    stage: Id | None = None
    """The stage of ``Problem.stages`` at which what it sells enters the chain (ore for a mine);
    none means the last stage: it sells what demand asks for, as a source does without stages.
    Its capacity, prices and every quantity of it are in tonnes of its own stage's product."""

    @model_validator(mode="after")
    def _sells_something(self) -> Self:
        if not self.capacity and not self.feeds:
            raise PydanticCustomError(
                "source_empty", "a source sells materials ('capacity') or 'feeds', or both"
            )
        return self


Yield = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False, strict=True)]
"""Tonnes out per tonne in: more than 0, at most 1."""


class Facility(StrictModel):
    """A plant at one stage of the chain (a separator, a metal maker, a magnet maker): it takes
    the product of the stage just before, of every origin its routes allow, and makes its own
    stage's product. Its capacity is shared by all it takes in (Kuantan separates Mt Weld and
    Kalgoorlie concentrate in one plant)."""

    id: Id
    stage: Id
    """The stage it makes (one of ``Problem.stages``, not the first)."""
    country: Id
    """Country it stands in: the country of its stage for every tonne it processes."""
    capacity: TonnesPerPeriod
    """Most tonnes it takes in per period, all materials and origins together [t of input]; a
    dict gives 0 for periods not listed."""
    output_per_input: Yield = 1.0
    """Its yield: tonnes of product per tonne taken in, at most 1."""
    processing_cost: Price = 0.0
    """Money per tonne taken in (the ``processing`` component of the costs)."""
    takes_from: Annotated[list[Id], Field(min_length=1)]
    """Its routes: the sources and facilities of the stage just before whose product it can
    take."""


class Ramp(StrictModel):
    """Units used in a period <= (1 + ``max_growth``) x units in the period before +
    ``max_increase``."""

    max_increase: NonNegative = 0.0
    """Units per period by which use may grow."""
    max_growth: NonNegative = 0.0
    """Share of the previous period's use by which use may grow (0.5: by half)."""
    initial: NonNegative = 0.0
    """Units used in the period before the first."""


class Substitute(StrictModel):
    """A substitution technology: one unit avoids ``saves[m]`` tonnes of each material m."""

    id: Id
    name: str | None = None
    saves: Annotated[dict[Id, Tonnes], Field(min_length=1)]
    """Material -> tonnes avoided per unit [t/unit]: 0, or at least 1e-6 t (``MIN_PER_UNIT``)."""
    cost: PricePerPeriod
    """Cost per unit; a dict must give every period in which the substitute is available."""
    capacity: NumberPerPeriod
    """At most this many units per period; a dict gives 0 for periods not listed."""
    available_from: Id | None = None
    ramp: Ramp | None = None
    """How fast use can grow from one period to the next (production lines convert slowly)."""
    max_share_of_demand: dict[Id, SharePerPeriod] = {}
    """Material -> largest share of its demand the substitute may avoid in a period; a dict
    sets no limit in the periods it does not list."""


class Stock(StrictModel):
    initial: dict[Id, Tonnes] = {}
    """Material -> tonnes in stock before the first period (default 0)."""
    holding_cost: dict[Id, Price] = {}
    """Material -> cost per tonne of closing stock per period (default 0)."""
    below_target_cost: dict[Id, Price] = {}
    """Material -> cost per tonne of closing stock below its target (``security.min_stock_cover``
    or ``min_stock_days``) per period. Given, the target is a strategic stock: it may be drawn
    below (in a disruption, to avoid going short) and is rebuilt as soon as rebuilding costs
    less than the gap left open; it must be lower than the material's ``shortage_penalty``. Not
    given, the target is a hard rule. See docs/formulation.md, "Strategic stock"."""
    terminal_price: dict[Id, Price] = {}
    """Material -> cost per tonne still below the target at the end of the horizon: what
    rebuilding it after the horizon costs (only with ``below_target_cost``; default: the
    material's replacement price, the lowest price it is offered at in the last period)."""


TARGETS = ("country", "source", "facility")
"""The fields by which a cap or a disruption names what it limits."""


class _Targeted(StrictModel):
    """A cap or a disruption: it names exactly one of a country, a source or a facility."""

    @property
    def target(self) -> tuple[str, str]:
        """("country", id), ("source", id) or ("facility", id): what it names."""
        kind = next(kind for kind in TARGETS if getattr(self, kind) is not None)
        return kind, str(getattr(self, kind))


class Cap(_Targeted):
    """An embargo, export cut or quota on the matching sources, or on a facility.

    For each listed material and period, the tonnes bought from all matching sources together
    are at most ``max_tonnes``, or at most ``max_share_of_capacity`` x their capacity
    (0 is an embargo, 0.2 an 80% export cut). With ``sum_over``, the limit is on a total over
    the listed periods (an annual quota) or materials, or both. On a ``facility`` the cap
    counts what the facility takes in (of every origin), against its capacity, which all
    materials share.
    """

    id: Id | None = None
    """Name used in constraint names and tables; default ``cap1``, ``cap2``... by position."""
    country: Id | None = None
    source: Id | None = None
    facility: Id | None = None
    """Or: a facility of the chain (``facilities``): what it takes in."""
    materials: IdList | None = None
    """Default: every material."""
    periods: IdList | None = None
    """Default: every period."""
    max_tonnes: Tonnes | None = None
    max_share_of_capacity: Share | None = None
    sum_over: SumOver = []

    @model_validator(mode="after")
    def _one_target_one_limit(self) -> Self:
        _exactly_one(self, "country", "source", "facility", "cap_target", "a cap names")
        _exactly_one(self, "max_tonnes", "max_share_of_capacity", "cap_limit", "a cap sets")
        return self


class Contract(StrictModel):
    """A supply contract with one source: a minimum (hard, or take-or-pay) or a fixed volume.

    Counts the tonnes of the listed materials the source delivers (feeds' yields included), per
    material and period, or totalled as ``sum_over`` says (a multi-year offtake is a total over
    the periods).
    """

    id: Id | None = None
    """Name used in constraint names and tables; default ``contract1``... by position."""
    source: Id
    materials: IdList | None = None
    """Default: every material the source can deliver."""
    periods: IdList | None = None
    """Default: every period."""
    sum_over: SumOver = []
    min_tonnes: Tonnes | None = None
    """At least this much is taken (or paid for, with ``take_or_pay``)."""
    fixed_tonnes: Tonnes | None = None
    """Exactly this much is taken."""
    take_or_pay: Price | None = None
    """Tonnes not taken below ``min_tonnes`` are paid at this price per tonne; leave out for a
    hard minimum."""

    @model_validator(mode="after")
    def _one_volume(self) -> Self:
        _exactly_one(self, "min_tonnes", "fixed_tonnes", "contract_volume", "a contract sets")
        if self.take_or_pay is not None and self.min_tonnes is None:
            raise PydanticCustomError(
                "contract_take_or_pay", "'take_or_pay' prices the shortfall below 'min_tonnes'"
            )
        return self


class Surplus(StrictModel):
    """What becomes of material bought beyond demand and stock (a feed's co-products)."""

    salvage_price: PricePerPeriod = 0.0
    """Price per tonne received for material sold on; a dict gives 0 where silent."""
    max_sold: TonnesPerPeriod | None = None
    """Most tonnes that can be sold per period; none means no limit."""
    disposal_cost: Price = 0.0
    """Cost per tonne of material wasted (not sold, stocked or used); 0 is free disposal."""


class _CountryOrGroup(StrictModel):
    """A rule that names a country or a group of countries (exactly one)."""

    @property
    def who(self) -> str:
        """The country or group it names."""
        return str(getattr(self, "country", None) or getattr(self, "group", None) or "")


class CoverRule(_CountryOrGroup):
    """At least ``share`` of each period's demand must be coverable without ``country``, or
    without every country of ``group`` at once."""

    country: Id | None = None
    group: Id | None = None
    """A name in ``country_groups``: give ``country`` or ``group``."""
    share: Share
    materials: IdList | None = None
    """Default: every material."""
    stage: Id | None = None
    """With stages: leave the country out at this stage only (tonnes whose path has no node
    of the country there); default: leave out the sources of the country."""

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        _exactly_one(self, "country", "group", "rule_target", "a cover rule names")
        return self


class _ShareRule(_CountryOrGroup):
    """What a stage rule and an origin rule share: whom they name, their materials, and a
    share per period."""

    id: Id | None = None
    """Its name in the results (default: country or group, then stage and materials, joined
    by '.': ``CN``, ``CN.oxide``, ``allies.magnet.Dy``; an origin rule's starts with
    ``origin``)."""
    country: Id | None = None
    group: Id | None = None
    """A name in ``country_groups``: give ``country`` or ``group``."""
    materials: IdList | None = None
    """Default: every material."""
    max_share: SharePerPeriod | None = None
    """Largest share from the country or group; a dict gives no rule in the periods it does
    not list."""
    min_share: SharePerPeriod | None = None
    """Least share from the country or group (give one of the two)."""
    measure: Literal["tonnes", "value"] = "tonnes"
    """Count tonnes, or value: tonnes weighted by what they cost up to the stage."""

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        _exactly_one(self, "country", "group", "rule_target", "a rule names")
        _exactly_one(self, "max_share", "min_share", "rule_share", "a rule sets")
        return self

    @property
    def given(self) -> Any:
        """Its share: one number, or a dict period -> share."""
        return self.min_share if self.max_share is None else self.max_share

    def shares(self, materials: list[str], periods: list[str]) -> Iterator[tuple[str, str, float]]:
        """(material, period, share) wherever it gives a share (``materials``: all of them)."""
        given = self.given
        for m, t in itertools.product(self.materials or materials, periods):
            share = given.get(t) if isinstance(given, Mapping) else given
            if share is not None:
                yield m, t, share

    def named(self, *parts: str | None) -> str:
        """Its id: its own, else ``parts``, whom it names and its materials joined by '.'."""
        return self.id or ".".join(
            filter(None, (*parts[:1], self.who, *parts[1:], *(self.materials or [])))
        )


class StageRule(_ShareRule):
    """A share of a stage's tonnes (or value) from a country or a group of countries: at most
    ``max_share`` or at least ``min_share``, at ``stage`` or at every stage
    (docs/input.md#rules-per-stage)."""

    stage: Id | None = None
    """One of ``stages``; none: the rule holds at every stage."""

    @property
    def default_id(self) -> str:
        return self.named(None, self.stage)

    def stages_of(self, stages: Sequence[str]) -> list[str]:
        """The stages it holds at: its own, or every one of ``stages``."""
        return [self.stage] if self.stage else list(stages)

    def counts(self, members: Collection[str], passed: Sequence[str], here: str) -> bool:
        """Whether a path counts for it: its country ``here`` at the stage is a member."""
        return here in members


class OriginRule(_ShareRule):
    """A share of what reaches the last stage (its tonnes, or value) that was extracted or
    processed in a country or a group of countries (passed through it at any stage): at most
    ``max_share`` (0: none of it did) or at least ``min_share``."""

    @property
    def default_id(self) -> str:
        return self.named("origin")

    def stages_of(self, stages: Sequence[str]) -> list[str]:
        """The stage it holds at: the last of ``stages``."""
        return list(stages[-1:])

    def counts(self, members: Collection[str], passed: Sequence[str], here: str) -> bool:
        """Whether a path counts for it: it ``passed`` through a member at any stage."""
        return not set(members).isdisjoint(passed)


class Security(StrictModel):
    max_country_share: dict[Id, Share] = {}
    """Country or group (of ``country_groups``) -> largest share of each material's purchases
    in a period from it (from the group's countries together)."""
    min_cover_without: list[CoverRule] = []
    min_stock_cover: dict[Id, NumberPerPeriod] = {}
    """Material -> closing stock as a multiple of that period's demand (2 = two periods); a
    dict gives 0 (no rule) for periods not listed, e.g. to let a stockpile build up."""
    min_stock_days: dict[Id, NumberPerPeriod] = {}
    """Material -> closing stock in days of that period's demand (needs ``period_days``)."""
    stage_shares: list[StageRule] = []
    """Shares of a country or group at a stage or at every stage (needs ``stages``)."""
    origin_shares: list[OriginRule] = []
    """Largest or least shares of the last stage that passed through a country or group
    (needs ``stages``)."""
    max_suppliers: dict[Id, Count] = {}
    """Material -> most sources that deliver any of it in each period. An integer rule: the
    problem becomes a MILP (docs/investment.md)."""
    min_suppliers: dict[Id, Count] = {}
    """Material -> least sources that deliver at least their minimum lot of it in each period
    (only sources with a ``min_lot`` for it count). An integer rule: the problem becomes a
    MILP (docs/investment.md)."""


class Disruption(_Targeted):
    """An export cut or embargo: a share of the matching sources' capacity withheld, from
    ``start`` for ``length`` periods; or an outage of a facility: a share of its capacity
    withheld from the listed materials together (all share it)."""

    country: Id | None = None
    source: Id | None = None
    facility: Id | None = None
    """Or: a facility of the chain (``facilities``)."""
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
        _exactly_one(
            self, "country", "source", "facility", "disruption_target", "a disruption names"
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
    tiers: dict[Id, Annotated[list[Tier], Field(min_length=1)]] = {}
    """Material -> price bands that replace the source's price of the material under the
    scenario: a rising supply curve (band prices must not fall, as in ``Source.tiers``). They
    hold in every period, so a change that gives tiers names no ``periods``."""

    @model_validator(mode="after")
    def _tiers_everywhere(self) -> Self:
        if self.tiers and self.periods is not None:
            raise PydanticCustomError(
                "change_tiers_periods",
                "tiers hold in every period: a source change that gives 'tiers' names no "
                "'periods' (scale prices in some periods with 'price_factor' instead)",
            )
        return self


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


class Investment(StrictModel):
    """An option to build capacity: tonnes (or units) per year decided in a period, serving
    from ``lead_time`` periods later to the end of the horizon. It expands one of: a source's
    capacity for a material (``source`` and ``material``), a source's feed (``source`` and
    ``feed``), a source's separation plant (``source`` and ``separation: true``), a
    facility of the chain (``facility``) or a substitute's production line (``substitute``)."""

    id: Id
    source: Id | None = None
    """The source whose capacity it expands (with ``material``)."""
    material: Id | None = None
    """The material of ``source`` it expands; the source lists it in ``capacity`` (0 allowed)
    and has a price for it wherever the new capacity can serve."""
    substitute: Id | None = None
    """Or: the substitute whose production line it expands (units per year)."""
    feed: Id | None = None
    """Or, with ``source``: the feed of that source whose capacity it expands [t of feed per
    year]; its yields of every co-product arrive together. The feed needs a price wherever the
    new capacity can serve."""
    separation: bool = False
    """Or, with ``source``: expand the source's ``separation_capacity`` [t of all materials
    together per year]. The source must have a separation limit: without one it separates
    without limit, and there is nothing to expand."""
    facility: Id | None = None
    """Or: the facility (of ``facilities``) whose capacity it expands [t taken in per year,
    every material and origin together, as the facility's ``capacity``]."""
    capital_cost: Price
    """Money per tonne of yearly capacity (per tonne of feed for a feed, per unit for a
    substitute), paid in the period it is decided."""
    lead_time: Annotated[int, Field(ge=0, le=1000, strict=True)] = 0
    """Periods from the decision to the first tonne: decided in t, it serves from t + lead."""
    earliest: Id | None = None
    """The first period in which it may be decided (default the first)."""
    max_size: Tonnes
    """The largest capacity built over the horizon [t per year, or units per year]."""
    operating_cost: Price = 0.0
    """Fixed money per tonne (or unit) of yearly capacity per year, from the first period it
    serves to the end of the horizon, scaled to the period's length."""
    investor: Id | None = None
    """Who pays (a state agency, a company): budgets may be set per investor."""
    unit_size: Tonnes | None = None
    """Lumpy capacity: the option builds whole units of this size (0, 1, 2... units of
    ``unit_size`` t, or units, per year, in all at most ``max_size``). An integer rule: the
    problem becomes a MILP (docs/investment.md). None: any size from 0 to ``max_size``."""

    @model_validator(mode="after")
    def _positive_unit(self) -> Self:
        if self.unit_size is not None and self.unit_size <= 0:
            raise PydanticCustomError(
                "unit_size_zero",
                "unit_size is the size of one unit built: give a positive size, or none for "
                "any size from 0 to max_size",
            )
        return self


class Budget(StrictModel):
    """The most capital the investments may take: per period and/or over the horizon, for
    every option or for one investor's."""

    investor: Id | None = None
    """The investor whose options it limits; none means every option."""
    per_period: PricePerPeriod | None = None
    """Most capital decided in each period [money]; a dict sets none in periods not listed."""
    total: Price | None = None
    """Most capital over the horizon [money]."""

    @model_validator(mode="after")
    def _limits_something(self) -> Self:
        if self.per_period is None and self.total is None:
            raise PydanticCustomError(
                "budget_empty", "a budget gives 'per_period', 'total', or both"
            )
        return self


class Problem(StrictModel):
    """A procurement problem: what is needed, where it can come from, and the rules."""

    name: str
    """The problem's name, printed with its results."""
    description: str | None = None
    """Free text about the problem."""
    currency: str = "USD"
    """Label of the money unit of every price and cost, printed with results."""
    units: Units = Units()
    """The units demand, prices and quantities are written in (t REO by default)."""
    periods: Annotated[list[Id], Field(min_length=1)] = ["P1"]
    """Ordered period labels; stock flows from each period to the next."""
    period_days: Multiplier | None = None
    """Length of a period in days (91.25 for quarters), for ``min_stock_days``."""
    materials: Annotated[list[Material], Field(min_length=1)]
    """The materials to procure (their ids are the keys of ``demand``)."""
    reference_prices: dict[Id, PricePerPeriod] = {}
    """Material -> price per tonne of the reference (China) supply."""
    sources: Annotated[list[Source], Field(min_length=1)]
    """Where material can be bought: country, prices [currency per unit of ``units.prices``]
    and capacities [``units.quantities`` per period]."""
    substitutes: list[Substitute] = []
    """Ways to avoid demand: units of a substitute, each saving tonnes of materials."""
    demand: dict[Id, TonnesPerPeriod]
    """Material -> tonnes per period; every material is listed; a dict gives 0 for periods not
    listed."""
    stock: Stock = Stock()
    """Initial stock [t], holding cost [currency/t per period] and stock rules."""
    shortage_penalty: dict[Id, Price] = {}
    """Material -> cost per tonne of unmet demand. Listed materials may go short at this price;
    the others must be met."""
    caps: list[Cap] = []
    """Upper limits on tonnes [t] from chosen sources, countries or materials."""
    contracts: list[Contract] = []
    """Supply contracts with one source: a minimum (hard or take-or-pay) or fixed volume [t]."""
    surplus: dict[Id, Surplus] = {}
    """Material -> what becomes of material beyond demand and stock; default: free disposal."""
    security: Security = Security()
    """Security rules: country shares [fraction], cover without a country, stock cover."""
    scenarios: list[Scenario] = []
    """Disruptions to plan against or test a plan with (``optiree.apply``, ``stress_test``,
    ``solve_stochastic``, ``sweep``); solving the problem itself ignores them."""
    investments: list[Investment] = []
    """Options to build capacity (docs/investment.md); they need ``period_days``."""
    budgets: list[Budget] = []
    """Most capital the investments may take, per period, over the horizon, by investor."""
    stages: list[Id] = []
    """The stages of the product chain, in order (such as ore, oxide, metal, magnet: the names
    are the user's); demand is met at the last. None: every source sells what demand asks for
    (a one-stage chain)."""
    country_groups: dict[Id, Annotated[list[Id], Field(min_length=1)]] = {}
    """Named groups of countries (allies, free-trade partners) that a stage or origin rule can
    name instead of one country; a member no source or facility stands in counts nothing."""
    facilities: list[Facility] = []
    """Plants between the stages, each with its stage, country, capacity, yield, processing
    cost and the routes it takes from (docs/input.md#stages-and-facilities)."""

    @property
    def material_ids(self) -> list[str]:
        return [m.id for m in self.materials]

    @property
    def countries(self) -> list[str]:
        """Countries of the sources, in order of first appearance."""
        return list(dict.fromkeys(s.country for s in self.sources))

    @property
    def places(self) -> list[str]:
        """Countries of the sources, then of the facilities: where a rule at a stage can
        count a country."""
        return list(dict.fromkeys(self.countries + [f.country for f in self.facilities]))

    def cap_id(self, index: int) -> str:
        """The id of ``caps[index]``: its own, or ``cap<index+1>``."""
        return self.caps[index].id or f"cap{index + 1}"

    def contract_id(self, index: int) -> str:
        """The id of ``contracts[index]``: its own, or ``contract<index+1>``."""
        return self.contracts[index].id or f"contract{index + 1}"

    def stage_rule_id(self, index: int) -> str:
        """The id of ``security.stage_shares[index]``: its own, or its default."""
        return self.security.stage_shares[index].default_id

    def origin_rule_id(self, index: int) -> str:
        """The id of ``security.origin_shares[index]``: its own, or its default."""
        return self.security.origin_shares[index].default_id

    def members(self, who: str) -> frozenset[str]:
        """The countries a rule's country or group stands for."""
        return frozenset(self.country_groups.get(who, [who]))

    def _lines(self) -> list[str]:
        """What a problem holds, in three lines (its ``repr`` and notebook card)."""
        counts = {
            "material": len(self.materials),
            "source": len(self.sources),
            "country": len(self.countries),
            "substitute": len(self.substitutes),
            "cap": len(self.caps),
            "contract": len(self.contracts),
            "scenario": len(self.scenarios),
        }
        if self.investments:  # counted only where there are any: other problems read as before
            counts["investment option"] = len(self.investments)
        if self.stages:
            counts["stage"] = len(self.stages)
            counts["facility"] = len(self.facilities)
        return problem_lines(self.name, self.currency, self.periods, counts)

    def __repr__(self) -> str:
        """Name, currency, periods and how many materials, sources... it holds."""
        return "<" + "; ".join(self._lines()) + ">"

    def _repr_html_(self) -> str:
        """A notebook's card: what the problem holds, then its demand per material and period."""
        import pandas as pd  # noqa: PLC0415  # pandas loads only where a notebook shows a card

        demand = {
            m: v if isinstance(v, dict) else dict.fromkeys(self.periods, v)
            for m, v in self.demand.items()
        }
        table = pd.DataFrame(demand).T.reindex(columns=self.periods).fillna(0.0)
        table = table.rename_axis("material").reset_index()
        return card(
            f"optiree.Problem: {self.name}",
            self._lines(),
            {f"demand [{self.units.demand} per period]": table},
        )

    @model_validator(mode="after")
    def _cross_check(self) -> Self:
        errors = list(_cross_errors(self))
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self


def error_detail(
    loc: tuple[str | int, ...], kind: str, message: str, value: Any
) -> InitErrorDetails:
    """One line of a ValidationError: ``message`` at the path ``loc``, of type ``kind``.

    The message is kept exactly, braces included: with no context given, pydantic reads no
    placeholder in it."""
    return InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=value)


def restated(error: ValidationError, kind: str, context: str) -> ValidationError:
    """``error`` with each line of type ``kind`` and its message after ``context``, at the
    same field: for numbers valid as written that a derived problem finds wrong."""
    return ValidationError.from_exception_data(
        "Problem",
        [
            error_detail(
                tuple(detail["loc"]), kind, f"{context}: {detail['msg']}", detail.get("input")
            )
            for detail in error.errors()
        ],
    )


def _known(ids: Iterable[str]) -> str:
    return ", ".join(repr(i) for i in ids) or "none"


def _duplicates(
    ids: list[str], prefix: tuple[str | int, ...], suffix: tuple[str, ...], what: str
) -> Iterator[InitErrorDetails]:
    """One error at each repeat of an id, at ``(*prefix, index, *suffix)``."""
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        if ident in seen:
            yield error_detail(
                (*prefix, i, *suffix), "duplicate_id", f"duplicate {what} {ident!r}", ident
            )
        seen.add(ident)


def _unknown(
    loc: tuple[str | int, ...], ident: str | None, known: list[str], what: str
) -> Iterator[InitErrorDetails]:
    """An error where ``ident`` is given (not None) but not ``known``."""
    if ident is not None and ident not in known:
        yield error_detail(
            loc, f"unknown_{what}", f"unknown {what} {ident!r}; known: {_known(known)}", ident
        )


_Item = TypeVar("_Item", Source, Feed, Substitute)


def _named(
    items: Sequence[_Item], ident: str, loc: tuple[str | int, ...], what: str
) -> Generator[InitErrorDetails, None, _Item | None]:
    """The first of ``items`` with the id ``ident``; None, after an unknown-id error, if none
    has it."""
    known = [item.id for item in items]
    yield from _unknown(loc, ident, known, what)
    return items[known.index(ident)] if ident in known else None


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


def _missing(p: Problem, available_from: str | None, amount: Any, given: Any) -> list[str]:
    """The periods, from ``available_from`` on, where ``amount`` is positive but ``given`` (a
    price or cost) has no value."""
    return [
        t
        for t in _available(p, available_from)
        if _positive_in(amount, t) and (given is None or not _defined_in(given, t))
    ]


def value_at(value: float | Mapping[str, float], period: str) -> float:
    """A scalar, or a per-period dict where an unlisted period is 0."""
    # A check against the concrete number types: a Mapping check costs ten times more.
    return value if isinstance(value, float | int) else value.get(period, 0.0)


def _positive_in(value: Any, period: str) -> bool:
    return value_at(value, period) > 0


def _cross_errors(p: Problem) -> Iterator[InitErrorDetails]:
    """Every cross-field check, in the order its errors are reported."""
    for check in CROSS_CHECKS:
        yield from check(p)


def _check_unique_ids(p: Problem) -> Iterator[InitErrorDetails]:
    """Periods, materials, sources, substitutes and caps are each named once."""
    yield from _duplicates(p.periods, ("periods",), (), "period")
    yield from _duplicates(p.material_ids, ("materials",), ("id",), "material")
    yield from _duplicates([s.id for s in p.sources], ("sources",), ("id",), "source")
    yield from _duplicates([k.id for k in p.substitutes], ("substitutes",), ("id",), "substitute")
    yield from _duplicates([p.cap_id(i) for i in range(len(p.caps))], ("caps",), ("id",), "cap")


def _check_reference_prices(p: Problem) -> Iterator[InitErrorDetails]:
    """Reference prices are for known materials and periods."""
    for key, price in p.reference_prices.items():
        yield from _unknown(("reference_prices", key), key, p.material_ids, "material")
        yield from _period_keys(price, ("reference_prices", key), p.periods)


def _check_sources(p: Problem) -> Iterator[InitErrorDetails]:
    """Each source's periods, materials, prices, tiers, floors and feeds."""
    for i, s in enumerate(p.sources):
        loc: tuple[str | int, ...] = ("sources", i)
        yield from _unknown((*loc, "available_from"), s.available_from, p.periods, "period")
        for m, capacity in s.capacity.items():
            yield from _unknown((*loc, "capacity", m), m, p.material_ids, "material")
            yield from _period_keys(capacity, (*loc, "capacity", m), p.periods)
        for m, price in s.prices.items():
            yield from _capacity_for(s, m, (*loc, "prices", m), "price", "a price")
            yield from _period_keys(price, (*loc, "prices", m), p.periods)
        for m in s.capacity:
            yield from _unpriced_capacity(p, i, s, m)
        for m in s.min_lot:
            yield from _capacity_for(s, m, (*loc, "min_lot", m), "min_lot", "a minimum lot")
        yield from _supply_errors(p, s, loc)


def _unpriced_capacity(p: Problem, i: int, s: Source, m: str) -> Iterator[InitErrorDetails]:
    """``sources[i]`` (``s``) has a price for ``m`` wherever it can sell it."""
    unpriced = [t for t in _available(p, s.available_from) if _sells_unpriced(p, s, m, t)]
    if unpriced and m in p.material_ids:
        yield error_detail(
            ("sources", i, "capacity", m),
            "missing_price",
            f"source {s.id!r} can supply {m!r} in {_known(unpriced)} but no price is "
            f"given there: add reference_prices.{m} or sources[{i}].prices.{m}",
            m,
        )


def _sells_unpriced(p: Problem, s: Source, m: str, t: str) -> bool:
    """``s`` can sell ``m`` in ``t``, with no tiers, own price or reference price for it there."""
    return _positive_in(s.capacity[m], t) and not own_priced(s, m) and not _priced_in(p, s, m, t)


def _priced_in(p: Problem, s: Source, m: str, t: str) -> bool:
    """``s`` has its own price or a reference price for ``m`` in ``t``."""
    prices = (s.prices.get(m), p.reference_prices.get(m))
    return any(price is not None and _defined_in(price, t) for price in prices)


def _check_feed_ids(p: Problem) -> Iterator[InitErrorDetails]:
    """A feed id is used once across all sources."""
    feed_ids = [(i, j, f.id) for i, s in enumerate(p.sources) for j, f in enumerate(s.feeds)]
    seen: set[str] = set()
    for i, j, ident in feed_ids:
        if ident in seen:
            yield error_detail(
                ("sources", i, "feeds", j, "id"), "duplicate_id", f"duplicate feed {ident!r}", ident
            )
        seen.add(ident)


def _check_substitutes(p: Problem) -> Iterator[InitErrorDetails]:
    """Each substitute's shares, periods, savings and costs."""
    for i, k in enumerate(p.substitutes):
        loc: tuple[str | int, ...] = ("substitutes", i)
        yield from _share_errors(p, k, loc)
        yield from _unknown((*loc, "available_from"), k.available_from, p.periods, "period")
        yield from _keys(k.saves, (*loc, "saves"), p.material_ids, "material")
        yield from _period_keys(k.capacity, (*loc, "capacity"), p.periods)
        yield from _period_keys(k.cost, (*loc, "cost"), p.periods)
        uncosted = _missing(p, k.available_from, k.capacity, k.cost)
        if uncosted:
            yield error_detail(
                (*loc, "cost"),
                "missing_cost",
                f"substitute {k.id!r} can be used in {_known(uncosted)} but has no cost there",
                k.id,
            )


def _share_errors(
    p: Problem, k: Substitute, loc: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    """A substitute limits its share only of materials it saves, in known periods."""
    for m, share in k.max_share_of_demand.items():
        if m not in k.saves:
            yield error_detail(
                (*loc, "max_share_of_demand", m),
                "share_without_saving",
                f"substitute {k.id!r} limits its share of {m!r} but saves none of it",
                m,
            )
        yield from _period_keys(share, (*loc, "max_share_of_demand", m), p.periods)


def _check_demand(p: Problem) -> Iterator[InitErrorDetails]:
    """Demand is given for every material, and only for known materials and periods."""
    yield from _keys(p.demand, ("demand",), p.material_ids, "material")
    for m, value in p.demand.items():
        yield from _period_keys(value, ("demand", m), p.periods)
    missing = [m for m in p.material_ids if m not in p.demand]
    if missing:
        yield error_detail(
            ("demand",),
            "missing_demand",
            f"demand is not given for {_known(missing)}: list every material (0 is allowed)",
            missing,
        )


def _check_stock(p: Problem) -> Iterator[InitErrorDetails]:
    """Stock and shortage penalties are for known materials; strategic stocks are consistent."""
    yield from _keys(p.stock.initial, ("stock", "initial"), p.material_ids, "material")
    yield from _keys(p.stock.holding_cost, ("stock", "holding_cost"), p.material_ids, "material")
    yield from _strategic_stock_errors(p)
    yield from _keys(p.shortage_penalty, ("shortage_penalty",), p.material_ids, "material")


def _check_caps(p: Problem) -> Iterator[InitErrorDetails]:
    """Each cap names a known target, materials and periods."""
    for i, cap in enumerate(p.caps):
        yield from _target_errors(p, cap, ("caps", i))
        yield from _id_list(cap.periods, ("caps", i, "periods"), p.periods, "period")


def _check_surplus(p: Problem) -> Iterator[InitErrorDetails]:
    """Surplus terms are for known materials and periods."""
    for m, surplus in p.surplus.items():
        yield from _unknown(("surplus", m), m, p.material_ids, "material")
        yield from _period_keys(surplus.salvage_price, ("surplus", m, "salvage_price"), p.periods)
        yield from _period_keys(surplus.max_sold, ("surplus", m, "max_sold"), p.periods)


def _check_security(p: Problem) -> Iterator[InitErrorDetails]:
    """The security rules name known countries, materials and periods."""
    security = p.security
    for c in security.max_country_share:
        yield from _unknown_who(p, ("security", "max_country_share", c), c)
    yield from _cover_rule_errors(p)
    yield from _keys(
        security.min_stock_cover, ("security", "min_stock_cover"), p.material_ids, "material"
    )
    for m, cover in security.min_stock_cover.items():
        yield from _period_keys(cover, ("security", "min_stock_cover", m), p.periods)
    yield from _keys(
        security.min_stock_days, ("security", "min_stock_days"), p.material_ids, "material"
    )
    for m, days in security.min_stock_days.items():
        yield from _stock_days_errors(p, m, days)
    for field in ("max_suppliers", "min_suppliers"):
        yield from _keys(getattr(security, field), ("security", field), p.material_ids, "material")
    yield from _min_suppliers_errors(p)


def _min_suppliers_errors(p: Problem) -> Iterator[InitErrorDetails]:
    """Enough sources with a minimum lot of the material to count as its suppliers."""
    for m, count in p.security.min_suppliers.items():
        lots = [s.id for s in p.sources if s.min_lot.get(m, 0.0) > 0]
        if len(lots) < count:
            yield error_detail(
                ("security", "min_suppliers", m),
                "min_suppliers_lots",
                f"min_suppliers asks for {count} suppliers of {m!r} but only {len(lots)} "
                f"source(s) have a min_lot for it ({_known(lots) if lots else 'none'}): a source "
                "counts as a supplier when it delivers at least its minimum lot; give "
                f"sources[].min_lot.{m} to the sources that count",
                count,
            )


def _cover_rule_errors(p: Problem) -> Iterator[InitErrorDetails]:
    """One cover rule per country or group, each naming a known one and materials."""
    rules = p.security.min_cover_without
    cover_countries = [rule.who for rule in rules]
    yield from _duplicates(
        cover_countries, ("security", "min_cover_without"), ("country",), "cover rule country"
    )
    for i, rule in enumerate(rules):
        loc = ("security", "min_cover_without", i)
        field = "country" if rule.country else "group"
        yield from _unknown_who(p, (*loc, field), rule.who, p.places if rule.stage else None)
        yield from _id_list(rule.materials, (*loc, "materials"), p.material_ids, "material")
        if rule.stage is not None:
            yield from _unknown((*loc, "stage"), rule.stage, p.stages, "stage")


def _unknown_who(
    p: Problem, loc: tuple[str | int, ...], who: str, places: list[str] | None = None
) -> Iterator[InitErrorDetails]:
    """An error where ``who`` is neither a country of the sources (of ``places``: a rule at a
    stage may name a facility's) nor a group, naming both."""
    countries = p.countries if places is None else places
    if who not in [*countries, *p.country_groups]:
        yield error_detail(
            loc,
            "unknown_country",
            f"unknown country or group {who!r}; countries: {_known(countries)}; "
            f"groups: {_known(p.country_groups)}",
            who,
        )


def _stock_days_errors(p: Problem, m: str, days: Any) -> Iterator[InitErrorDetails]:
    """A stock rule in days of ``m``: known periods, not twice, and a length of period."""
    loc = ("security", "min_stock_days", m)
    yield from _period_keys(days, loc, p.periods)
    if m in p.security.min_stock_cover:
        yield error_detail(
            loc,
            "stock_rule_twice",
            f"{m!r} has both min_stock_cover and min_stock_days: give one",
            m,
        )
    if p.period_days is None:
        yield error_detail(
            loc,
            "period_days_missing",
            "min_stock_days needs period_days, the length of a period in days (91.25 for quarters)",
            m,
        )


def _strategic_stock_errors(p: "Problem") -> Iterator[InitErrorDetails]:
    """A strategic stock needs a target to fall below, and a gap that costs less than going
    short (else the plan would hold the stock and leave demand unmet)."""
    stock, security = p.stock, p.security
    materials = p.material_ids
    loc = ("stock", "below_target_cost")
    yield from _keys(stock.below_target_cost, loc, materials, "material")
    yield from _keys(stock.terminal_price, ("stock", "terminal_price"), materials, "material")
    targets = {*security.min_stock_cover, *security.min_stock_days}
    for m, cost in stock.below_target_cost.items():
        if m in materials and m not in targets:
            yield error_detail(
                (*loc, m),
                "no_stock_target",
                f"{m!r} has no stock target to fall below: give security.min_stock_days or "
                f"min_stock_cover for {m!r}, or remove stock.below_target_cost.{m}",
                cost,
            )
        penalty = p.shortage_penalty.get(m)
        if penalty is not None and cost >= penalty > 0:
            yield error_detail(
                (*loc, m),
                "gap_not_below_penalty",
                f"a tonne below the stock target ({cost:g} a period) must cost less than a tonne "
                f"short ({penalty:g}), or the plan keeps stock while demand goes unmet",
                cost,
            )
    for m, price in stock.terminal_price.items():
        if m in materials and m not in stock.below_target_cost:
            yield error_detail(
                ("stock", "terminal_price", m),
                "terminal_without_gap",
                f"a terminal price prices the gap below a strategic stock left at the end: give "
                f"stock.below_target_cost.{m} too, or remove stock.terminal_price.{m}",
                price,
            )


def _capacity_for(
    s: Source, m: str, loc: tuple[str | int, ...], kind: str, what: str
) -> Iterator[InitErrorDetails]:
    """An error at ``loc`` if ``s`` prices ``m`` (``what``: "a price", "tiers"...) without
    selling it."""
    if m not in s.capacity:
        yield error_detail(
            loc,
            f"{kind}_without_capacity",
            f"source {s.id!r} has {what} for {m!r} but no capacity for it",
            m,
        )


def tier_priced(tiers: list[Tier] | None) -> bool:
    """Tiers that give every band a price of its own need no list price."""
    return bool(tiers and all(tier.price is not None for tier in tiers))


def own_priced(s: Source, m: str) -> bool:
    """Whether ``s`` prices ``m`` by bands of its own (tiers with prices, or discounts), so
    that it needs no list price."""
    return tier_priced(s.tiers.get(m)) or m in s.discounts


def _supply_errors(p: Problem, s: Source, loc: tuple[str | int, ...]) -> Iterator[InitErrorDetails]:
    """Tiers, price floors, feeds and the separation limit of source ``s``."""
    for m, tiers in s.tiers.items():
        where = (*loc, "tiers", m)
        yield from _capacity_for(s, m, where, "tiers", "tiers")
        yield from _tier_errors(tiers, where)
    for m, bands in s.discounts.items():
        yield from _discount_errors(s, m, bands, (*loc, "discounts", m))
    for m, floor in s.price_floor.items():
        yield from _capacity_for(s, m, (*loc, "price_floor", m), "floor", "a price floor")
        yield from _period_keys(floor, (*loc, "price_floor", m), p.periods)
    if s.price_floor_multiplier is not None:
        for m, capacity in s.capacity.items():
            yield from _floor_reference_errors(p, s, m, capacity, loc)
    for j, feed in enumerate(s.feeds):
        yield from _feed_errors(p, s, feed, (*loc, "feeds", j))
    yield from _period_keys(s.separation_capacity, (*loc, "separation_capacity"), p.periods)


def _floor_reference_errors(
    p: Problem, s: Source, m: str, capacity: Any, loc: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    """A floor that multiplies the reference price of ``m`` needs that price where ``s`` sells."""
    missing = _missing(p, s.available_from, capacity, p.reference_prices.get(m))
    if missing and m in p.material_ids:
        yield error_detail(
            (*loc, "price_floor_multiplier"),
            "floor_without_reference",
            f"the price floor of {s.id!r} is a multiple of the reference price of {m!r}, "
            f"which is not given in {_known(missing)}",
            m,
        )


def _feed_errors(
    p: Problem, s: Source, feed: Feed, where: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    """A feed yields known materials, at most a tonne per tonne, and is priced where sold."""
    yield from _keys(feed.yields, (*where, "yields"), p.material_ids, "material")
    per_tonne = sum(feed.yields.values()) * MASS[p.units.quantities.split()[0]]
    if per_tonne > 1 + 1e-9:
        yield error_detail(
            (*where, "yields"),
            "yields_above_one",
            f"feed {feed.id!r} yields {per_tonne:g} t of material per tonne of feed: "
            "a tonne of feed holds at most one tonne",
            feed.yields,
        )
    yield from _period_keys(feed.capacity, (*where, "capacity"), p.periods)
    yield from _period_keys(feed.price_per_tonne_feed, (*where, "price_per_tonne_feed"), p.periods)
    unpriced = _missing(p, s.available_from, feed.capacity, feed.price_per_tonne_feed)
    if unpriced:
        yield error_detail(
            (*where, "price_per_tonne_feed"),
            "missing_price",
            f"feed {feed.id!r} can be bought in {_known(unpriced)} but has no price there",
            feed.id,
        )


def _tier_errors(tiers: list[Tier], loc: tuple[str | int, ...]) -> Iterator[InitErrorDetails]:
    """Bands rise in ``up_to``, only the last is open, one kind of price, prices never fall."""
    kinds = {tier.price is None for tier in tiers}
    if len(kinds) > 1:
        yield error_detail(
            loc,
            "tier_kinds",
            "give every tier a 'price' or every tier a 'price_multiplier', not a mix",
            None,
        )
    for j, tier in enumerate(tiers):
        yield from _tier_top_errors(tier, j == len(tiers) - 1, (*loc, j))
        if j > 0:
            yield from _tier_order_errors(tiers[j - 1], tier, (*loc, j), j)


def _tier_top_errors(
    tier: Tier, last: bool, loc: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    """Every band but the ``last`` has a top; the last has none."""
    if (tier.up_to is None) != last:
        message = (
            "the last tier has no 'up_to': it prices every tonne above the band before"
            if last
            else "every tier but the last needs 'up_to', the top of its band"
        )
        yield error_detail((*loc, "up_to"), "tier_up_to", message, tier.up_to)


def _tier_order_errors(
    before: Tier, tier: Tier, loc: tuple[str | int, ...], j: int
) -> Iterator[InitErrorDetails]:
    """Band ``j`` (``tier``) tops the band ``before`` it and costs no less."""
    if tier.up_to is not None and before.up_to is not None and tier.up_to <= before.up_to:
        yield error_detail(
            (*loc, "up_to"),
            "tier_order",
            f"tier up_to values must rise: {tier.up_to:g} follows {before.up_to:g}",
            tier.up_to,
        )
    price, previous = (
        (tier.price, before.price)
        if tier.price is not None
        else (tier.price_multiplier, before.price_multiplier)
    )
    if price is not None and previous is not None and price < previous:
        yield error_detail(
            loc,
            "tier_not_convex",
            f"the price falls from {previous:g} to {price:g} at tier {j + 1}: tiers price "
            "each band's tonnes (a rising supply curve); for a price that falls with volume "
            "on every tonne bought, give 'discounts' instead of 'tiers' (an all-unit "
            "discount, an integer rule: docs/investment.md), or one flat price",
            price,
        )


def _discount_errors(
    s: Source, m: str, bands: list[Discount], loc: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    """Discounts of a material the source sells, without tiers for it; the first band from 0,
    the bands rising, their prices not rising."""
    yield from _capacity_for(s, m, loc, "discounts", "discounts")
    if m in s.tiers:
        yield error_detail(
            loc,
            "discount_with_tiers",
            f"source {s.id!r} gives both tiers and discounts for {m!r}: give one of them "
            "(tiers for prices that rise with volume, discounts for prices that fall)",
            m,
        )
    if bands[0].from_tonnes != 0:
        yield error_detail(
            (*loc, 0, "from_tonnes"),
            "discount_start",
            f"the first discount band starts at 0 (from_tonnes: 0), not {bands[0].from_tonnes:g}",
            bands[0].from_tonnes,
        )
    for j in range(1, len(bands)):
        yield from _discount_order_errors(bands[j - 1], bands[j], (*loc, j))


def _discount_order_errors(
    before: Discount, band: Discount, loc: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    """A band starts above the one ``before`` it and costs no more."""
    if band.from_tonnes <= before.from_tonnes:
        yield error_detail(
            (*loc, "from_tonnes"),
            "discount_order",
            f"discount from_tonnes values must rise: {band.from_tonnes:g} follows "
            f"{before.from_tonnes:g}",
            band.from_tonnes,
        )
    if band.price > before.price:
        yield error_detail(
            (*loc, "price"),
            "discount_price_rises",
            f"the price rises from {before.price:g} to {band.price:g}: a discount band costs no "
            "more than the one before; prices that rise with volume are 'tiers'",
            band.price,
        )


def _contract_errors(p: Problem) -> Iterator[InitErrorDetails]:
    periods, sources = p.periods, {s.id: s for s in p.sources}
    ids = [p.contract_id(i) for i in range(len(p.contracts))]
    yield from _duplicates(ids, ("contracts",), ("id",), "contract")
    for i, contract in enumerate(p.contracts):
        loc: tuple[str | int, ...] = ("contracts", i)
        yield from _unknown((*loc, "source"), contract.source, list(sources), "source")
        source = sources.get(contract.source)
        delivers = delivered(source) if source is not None else []
        yield from _id_list(contract.materials, (*loc, "materials"), delivers, "material")
        yield from _id_list(contract.periods, (*loc, "periods"), periods, "period")


def delivered(source: Source) -> list[str]:
    """The materials ``source`` can deliver: those it sells and those its feeds yield."""
    yields = [m for feed in source.feeds for m in feed.yields]
    return list(dict.fromkeys([*source.capacity, *yields]))


MASS = {"t": 1.0, "kg": 0.001}
"""Tonnes per unit of mass."""
MIN_PER_UNIT = 1e-6
"""Smallest feed yield [t per t of feed] and substitute saving [t per unit] other than 0 (1 g):
the model multiplies them by shares down to 1e-6, and HiGHS and CBC drop matrix entries at or
below 1e-12, which would leave a feed's or a substitute's tonnes out of a row unseen."""


def _coefficient_errors(p: Problem) -> Iterator[InitErrorDetails]:
    """Every yield and saving other than 0 is at least :data:`MIN_PER_UNIT` in tonnes."""
    unit = p.units.quantities
    tonnes = MASS[unit.split()[0]]
    least = f"{MIN_PER_UNIT / tonnes:g} {unit}"
    for i, source in enumerate(p.sources):
        for j, feed in enumerate(source.feeds):
            for m, value in feed.yields.items():
                if value * tonnes < MIN_PER_UNIT:
                    yield error_detail(
                        ("sources", i, "feeds", j, "yields", m),
                        "yield_too_small",
                        f"a yield of {value:g} {unit} of {m!r} per t of feed is below the "
                        f"least optiree keeps, {least} per t: leave {m!r} out of the feed, "
                        "or count the feed in larger lots (yields, capacity and price per kt)",
                        value,
                    )
    for i, substitute in enumerate(p.substitutes):
        for m, value in substitute.saves.items():
            if 0 < value * tonnes < MIN_PER_UNIT:
                yield error_detail(
                    ("substitutes", i, "saves", m),
                    "saving_too_small",
                    f"a saving of {value:g} {unit} of {m!r} per unit is below the least "
                    f"optiree keeps, {least} per unit: count the substitute in larger lots "
                    "(saves, capacity and cost per thousand units), or give 0",
                    value,
                )


def _largest_in(value: Any, periods: Iterable[str]) -> float:
    """The largest of a number, or of a per-period dict's values in ``periods`` (0 if none)."""
    if value is None:
        return 0.0
    if not isinstance(value, Mapping):
        return float(value)
    return max((value[t] for t in periods if t in value), default=0.0)


def _product(factors: tuple[tuple[str, float], ...]) -> float:
    """The product of ``factors`` (name, value), where a name starting with "/" divides."""
    product = 1.0
    for name, value in factors:
        product = product / value if name.startswith("/") else product * value
    return product


def _too_large(
    loc: tuple[str | int, ...], kind: str, factors: tuple[tuple[str, float], ...], fix: str
) -> Iterator[InitErrorDetails]:
    """An error ``<kind>_too_large`` at ``loc`` if the product of ``factors`` (name, value; a
    name starting with "/" divides) is over :data:`LARGEST`."""
    product = _product(factors)
    if product > LARGEST:
        terms = [
            f"{'/ ' + name[1:] if name.startswith('/') else 'x ' + name} ({value:g})"
            for name, value in factors
        ]
        yield error_detail(
            loc,
            f"{kind}_too_large",
            f"{' '.join(terms)[2:]} is a {kind.replace('_', ' ')} of {product:g}, over "
            f"{LARGEST:g} (optiree.schema.LARGEST), the largest number the solvers are given "
            f"(CBC fails from about 1e15, HiGHS from about 1e18): {fix}",
            product,
        )


def _list_price(p: Problem, s: Source, m: str, periods: Iterable[str]) -> tuple[float, float]:
    """The largest price of ``m`` that ``s`` lists in ``periods``, and the reference price
    behind its multiplier (0 where the source prices ``m`` itself in every one of them)."""
    own = s.prices.get(m)
    unpriced = [t for t in periods if own is None or not _defined_in(own, t)]
    reference = _largest_in(p.reference_prices.get(m), unpriced)
    return max(reference * s.price_multiplier, _largest_in(own, periods)), reference


def _largest_price(p: Problem, s: Source, m: str, periods: Iterable[str]) -> float:
    """The largest price ``s`` asks for ``m`` in ``periods``: its list price or a tier's."""
    listed, _ = _list_price(p, s, m, periods)
    tiers = s.tiers.get(m, [])
    return max(
        (
            listed,
            *(listed * t.price_multiplier for t in tiers if t.price_multiplier is not None),
            *(t.price for t in tiers if t.price is not None),
            *(band.price for band in s.discounts.get(m, [])),
        )
    )


def _list_price_errors(p: Problem, i: int, s: Source, m: str) -> Iterator[InitErrorDetails]:
    """Reference price x ``price_multiplier`` of ``m``, where ``s`` has no price of its own,
    and each tier's multiplier x the list price."""
    listed, reference = _list_price(p, s, m, p.periods)
    yield from _too_large(
        ("sources", i, "price_multiplier"),
        "price",
        ((f"reference_prices.{m}", reference), ("price_multiplier", s.price_multiplier)),
        f"lower one of them, or give sources.{i}.prices.{m}",
    )
    for j, tier in enumerate(s.tiers.get(m, [])):
        if tier.price_multiplier is not None:
            yield from _too_large(
                ("sources", i, "tiers", m, j, "price_multiplier"),
                "price",
                (
                    (f"the list price of {m!r}", listed),
                    ("this tier's price_multiplier", tier.price_multiplier),
                ),
                "lower the multiplier, or give the tier a 'price' of its own",
            )


def _floor_price_errors(p: Problem, i: int, s: Source, m: str) -> Iterator[InitErrorDetails]:
    """``price_floor_multiplier`` x the reference price of ``m``."""
    if s.price_floor_multiplier is not None:
        reference = _largest_in(p.reference_prices.get(m), p.periods)
        yield from _too_large(
            ("sources", i, "price_floor_multiplier"),
            "price",
            (
                ("price_floor_multiplier", s.price_floor_multiplier),
                (f"reference_prices.{m}", reference),
            ),
            f"lower one of them, or give sources.{i}.price_floor.{m} instead",
        )


def _check_price_products(p: Problem) -> Iterator[InitErrorDetails]:
    """Every price made by multiplying allowed numbers (reference price x a source's multiplier,
    a tier's multiplier x the list price, a floor's multiplier x the reference price) is at
    most :data:`LARGEST`, like every number written; any other price, cost or penalty is one
    number, already at most that."""
    for i, s in enumerate(p.sources):
        for m in s.capacity:
            yield from _list_price_errors(p, i, s, m)
            yield from _floor_price_errors(p, i, s, m)


def _check_stock_targets(p: Problem) -> Iterator[InitErrorDetails]:
    """Every stock target (``min_stock_cover`` x demand, ``min_stock_days`` / ``period_days``
    x demand) is at most :data:`LARGEST` (a missing ``period_days`` is reported elsewhere)."""
    security = p.security
    days = p.period_days
    for field, rules, per in (
        ("min_stock_cover", security.min_stock_cover, ()),
        (
            "min_stock_days",
            security.min_stock_days,
            () if days is None else (("/period_days", days),),
        ),
    ):
        for m, rule in rules.items():
            worst = max(
                (
                    (
                        (f"security.{field}.{m} in {t}", value_at(rule, t)),
                        *per,
                        (f"demand.{m}", value_at(p.demand.get(m, 0.0), t)),
                    )
                    for t in p.periods
                ),
                key=_product,
            )
            yield from _too_large(
                ("security", field, m),
                "stock_target",
                worst,
                "lower it, or count demand and stock in larger units (units.demand)",
            )


def _unit_errors(p: Problem) -> Iterator[InitErrorDetails]:
    """Every material has the conversion factor the units ask for."""
    units = p.units
    for field, unit in (("demand", units.demand), ("prices", units.prices)):
        basis = unit.split()[1]
        if basis == "REO":
            continue
        for i, material in enumerate(p.materials):
            if basis not in material.reo_per_tonne:
                yield error_detail(
                    ("materials", i, "reo_per_tonne"),
                    "conversion_missing",
                    f"units.{field} is {unit!r} but {material.id!r} has no reo_per_tonne.{basis}"
                    f" (tonnes of oxide per tonne of {basis})",
                    material.id,
                )


def _target_errors(
    p: Problem, target: Cap | Disruption, loc: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    """The country, source or facility and the materials of a cap or a disruption are
    known."""
    if target.country is not None:
        yield from _unknown((*loc, "country"), target.country, p.countries, "country")
    if target.source is not None:
        sources = [s.id for s in p.sources]
        yield from _unknown((*loc, "source"), target.source, sources, "source")
    if target.facility is not None:
        facilities = [f.id for f in p.facilities]
        yield from _unknown((*loc, "facility"), target.facility, facilities, "facility")
    yield from _id_list(target.materials, (*loc, "materials"), p.material_ids, "material")


def _scenario_errors(p: Problem) -> Iterator[InitErrorDetails]:
    """Scenarios are named once, weighted all or none, and change known things."""
    names = [scenario.name for scenario in p.scenarios]
    yield from _duplicates(names, ("scenarios",), ("name",), "scenario")
    yield from _probability_errors(p, names)
    for i, scenario in enumerate(p.scenarios):
        loc: tuple[str | int, ...] = ("scenarios", i)
        yield from _disruption_errors(p, scenario, loc)
        yield from _scenario_cap_errors(p, scenario, loc)
        yield from _source_change_errors(p, scenario, loc)
        yield from _demand_change_errors(p, scenario, loc)


def _probability_errors(p: Problem, names: list[str]) -> Iterator[InitErrorDetails]:
    """Probabilities are given for every scenario or none, and sum to 1."""
    given = [s.probability for s in p.scenarios if s.probability is not None]
    if 0 < len(given) < len(p.scenarios):
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


def _disruption_errors(
    p: Problem, scenario: Scenario, loc: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    for j, disruption in enumerate(scenario.disruptions):
        where = (*loc, "disruptions", j)
        yield from _target_errors(p, disruption, where)
        yield from _unknown((*where, "start"), disruption.start, p.periods, "period")


def _scenario_cap_errors(
    p: Problem, scenario: Scenario, loc: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    for j, cap in enumerate(scenario.caps):
        yield from _target_errors(p, cap, (*loc, "caps", j))
        yield from _id_list(cap.periods, (*loc, "caps", j, "periods"), p.periods, "period")


def _source_change_errors(
    p: Problem, scenario: Scenario, loc: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    sources = {s.id: s for s in p.sources}
    for j, change in enumerate(scenario.sources):
        where = (*loc, "sources", j)
        yield from _unknown((*where, "source"), change.source, list(sources), "source")
        yield from _id_list(change.materials, (*where, "materials"), p.material_ids, "material")
        yield from _id_list(change.periods, (*where, "periods"), p.periods, "period")
        if change.source in sources:
            yield from _changed_source_errors(p, sources[change.source], change, where)


def _changed_source_errors(
    p: Problem, s: Source, change: SourceChange, where: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    """The capacity and the prices a source change scales stay at most :data:`LARGEST`."""
    for field, kind, largest, fix in _scaled_by(p, s, change):
        yield from _too_large(
            (*where, field),
            kind,
            (
                (f"the largest {kind} of {s.id!r} it scales", max(largest, default=0.0)),
                (field, getattr(change, field)),
            ),
            f"lower the factor, or {fix}",
        )


def _scaled_by(
    p: Problem, s: Source, change: SourceChange
) -> tuple[tuple[str, str, list[float], str], ...]:
    """(factor, what it scales, the largest numbers it scales, how to make them smaller) of
    the capacity and of the prices a source change scales."""
    periods = change.periods or p.periods
    materials = [m for m in change.materials or list(s.capacity) if m in s.capacity]
    feeds = s.feeds if change.materials is None else []
    return (
        (
            "capacity_factor",
            "capacity",
            [_largest_in(s.capacity[m], periods) for m in materials]
            + [_largest_in(feed.capacity, periods) for feed in feeds],
            "count quantities in larger units (units.quantities)",
        ),
        (
            "price_factor",
            "price",
            [_largest_price(p, s, m, periods) for m in materials]
            + [_largest_in(feed.price_per_tonne_feed, periods) for feed in feeds],
            "count prices in a larger currency unit",
        ),
    )


def _demand_change_errors(
    p: Problem, scenario: Scenario, loc: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    for j, scaled in enumerate(scenario.demand):
        where = (*loc, "demand", j)
        yield from _unknown((*where, "material"), scaled.material, p.material_ids, "material")
        yield from _id_list(scaled.periods, (*where, "periods"), p.periods, "period")
        demand = _largest_in(p.demand.get(scaled.material), scaled.periods or p.periods)
        yield from _too_large(
            (*where, "factor"),
            "demand",
            ((f"demand.{scaled.material}", demand), ("factor", scaled.factor)),
            "lower the factor, or count demand in larger units (units.demand)",
        )


YEAR_DAYS = 365.0
"""Days in a year: an investment's yearly capacity serves ``period_days / YEAR_DAYS`` of it
in each period (a quarter of 91.25 days: a quarter of it)."""


def _check_investments(p: Problem) -> Iterator[InitErrorDetails]:
    """Each option's target, periods and prices; then the budgets' investors."""
    yield from _duplicates([o.id for o in p.investments], ("investments",), ("id",), "investment")
    if p.investments and p.period_days is None:
        yield error_detail(
            ("period_days",),
            "period_days_missing",
            "investments need period_days, the length of a period in days (91.25 for quarters): "
            "a yearly capacity serves period_days/365 of it per period",
            None,
        )
    for i, option in enumerate(p.investments):
        loc: tuple[str | int, ...] = ("investments", i)
        yield from _unknown((*loc, "earliest"), option.earliest, p.periods, "period")
        yield from _target_errors_of(p, option, loc)
    yield from _budget_errors(p)


def _target_errors_of(
    p: Problem, option: Investment, loc: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    """What ``option`` expands: exactly one target, known and priced."""
    if not _one_investment_target(option):
        yield error_detail(
            loc,
            "investment_target",
            f"investment {option.id!r} expands exactly one of: a source's capacity for a "
            "material ('source' and 'material'), a source's feed ('source' and 'feed'), its "
            "separation plant ('source' and 'separation: true'), a facility ('facility') or a "
            "substitute's line ('substitute')",
            option.id,
        )
        return
    if option.facility is not None:
        known = [f.id for f in p.facilities]
        yield from _unknown((*loc, "facility"), option.facility, known, "facility")
    elif option.substitute is not None:
        yield from _substitute_target_errors(p, option, loc)
    elif option.feed is not None or option.separation:
        yield from _plant_target_errors(p, option, loc)
    else:
        yield from _source_target_errors(p, option, loc)


def _one_investment_target(option: Investment) -> bool:
    """``option`` names one target: a source (with at most one of a material, a feed or its
    plant), a facility or a substitute."""
    named = [option.material is not None, option.feed is not None, option.separation]
    by_source = option.source is not None or any(named)
    alone = [option.substitute is not None, option.facility is not None]
    return by_source + sum(alone) == 1 and sum(named) <= 1


def _plant_target_errors(
    p: Problem, option: Investment, loc: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    """A feed or separation option names a known source."""
    if option.source is None:
        what = "'feed'" if option.feed is not None else "'separation: true'"
        yield error_detail(
            loc,
            "investment_target",
            f"investment {option.id!r} names {what} without 'source': name the source too",
            option.id,
        )
        return
    source = yield from _named(p.sources, option.source, (*loc, "source"), "source")
    if source is None:
        return
    if option.separation:
        yield from _separation_target_errors(option, source, loc)
    else:
        yield from _feed_target_errors(p, option, source, loc)


def _separation_target_errors(
    option: Investment, source: Source, loc: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    """The source has a separation limit to expand."""
    if source.separation_capacity is None:
        yield error_detail(
            (*loc, "separation"),
            "investment_separation",
            f"investment {option.id!r}: source {source.id!r} has no separation_capacity, "
            "so it separates without limit and there is nothing to expand: give it a "
            "separation_capacity (0 for a plant not built yet)",
            option.id,
        )


def _feed_target_errors(
    p: Problem, option: Investment, source: Source, loc: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    """The source sells the feed, priced wherever its new capacity can serve."""
    feed = yield from _named(source.feeds, str(option.feed), (*loc, "feed"), "feed")
    if feed is None:
        return
    unpriced = [
        t for t in serving_periods(p, option) if not _defined_in(feed.price_per_tonne_feed, t)
    ]
    if unpriced:
        yield error_detail(
            (*loc, "feed"),
            "missing_price",
            f"investment {option.id!r}: new capacity of feed {feed.id!r} can serve in "
            f"{_known(unpriced)} but the feed has no price there: give its "
            "price_per_tonne_feed in those periods",
            feed.id,
        )


def _substitute_target_errors(
    p: Problem, option: Investment, loc: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    """The substitute is known and has a cost wherever the new line can serve."""
    k = yield from _named(p.substitutes, str(option.substitute), (*loc, "substitute"), "substitute")
    if k is None:
        return
    uncosted = [t for t in serving_periods(p, option) if not _defined_in(k.cost, t)]
    if uncosted:
        yield error_detail(
            (*loc, "substitute"),
            "missing_cost",
            f"investment {option.id!r}: a new line of {k.id!r} can serve in {_known(uncosted)} "
            "but the substitute has no cost there: give its cost in those periods",
            k.id,
        )


def _source_target_errors(
    p: Problem, option: Investment, loc: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    """The source is known, lists the material, has no tiers for it, and prices it."""
    if option.source is None or option.material is None:
        yield error_detail(
            loc,
            "investment_target",
            f"investment {option.id!r} names 'source' with one of 'material', 'feed' or "
            "'separation: true'",
            option.id,
        )
        return
    source = yield from _named(p.sources, option.source, (*loc, "source"), "source")
    if source is None:
        return
    m = option.material
    if m not in source.capacity:
        yield error_detail(
            (*loc, "material"),
            "investment_material",
            f"investment {option.id!r}: source {source.id!r} does not list {m!r} in its "
            f"capacity; add capacity.{m}: 0 and its price",
            m,
        )
    elif m in source.tiers:
        yield error_detail(
            (*loc, "material"),
            "investment_tiers",
            f"investment {option.id!r}: source {source.id!r} has tiers for {m!r}; new capacity "
            "of a tiered material is not supported yet (give the source a flat price)",
            m,
        )
    elif m in source.discounts:
        yield error_detail(
            (*loc, "material"),
            "investment_discounts",
            f"investment {option.id!r}: source {source.id!r} has discounts for {m!r}; new "
            "capacity of a discounted material is not supported yet (give the source a flat "
            "price)",
            m,
        )
    else:
        yield from _unpriced_investment(p, option, source, loc)


def _unpriced_investment(
    p: Problem, option: Investment, source: Source, loc: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    """The source has a price for the material wherever the new capacity can serve."""
    m = str(option.material)
    unpriced = [t for t in serving_periods(p, option) if not _priced_in(p, source, m, t)]
    if unpriced:
        yield error_detail(
            (*loc, "material"),
            "missing_price",
            f"investment {option.id!r}: new capacity of {source.id!r} can serve {m!r} in "
            f"{_known(unpriced)} but no price is given there: add reference_prices.{m} or "
            f"prices.{m} to the source",
            m,
        )


def decision_periods(p: Problem, option: Investment) -> list[str]:
    """The periods in which ``option`` may be decided and still serve within the horizon."""
    first = p.periods.index(option.earliest) if option.earliest in p.periods else 0
    last = len(p.periods) - option.lead_time
    return p.periods[first:last] if last > 0 else []


def serving_periods(p: Problem, option: Investment) -> list[str]:
    """The periods in which ``option``'s capacity can serve (its target available there too)."""
    decided = decision_periods(p, option)
    if not decided:
        return []
    first = p.periods.index(decided[0]) + option.lead_time
    target = _target_available(p, option)
    return [t for t in p.periods[first:] if t in target]


def _target_available(p: Problem, option: Investment) -> list[str]:
    """The periods in which the thing ``option`` expands can be used. Its target is known:
    the validators ask only once they have found it, and a validated problem has it."""
    if option.facility is not None:  # a facility stands from the first period
        return p.periods
    if option.substitute is not None:
        k = next(k for k in p.substitutes if k.id == option.substitute)
        return _available(p, k.available_from)
    return _source_available(p, option)


def _source_available(p: Problem, option: Investment) -> list[str]:
    """The periods in which the source ``option`` expands sells (its plant: has a limit)."""
    s = next(s for s in p.sources if s.id == option.source)
    available = _available(p, s.available_from)
    if option.separation:  # only where the plant has a limit to expand
        return [t for t in available if _defined_in(s.separation_capacity, t)]
    return available


def _budget_errors(p: Problem) -> Iterator[InitErrorDetails]:
    """A budget names an investor some option has, and known periods."""
    investors = list(dict.fromkeys(o.investor for o in p.investments if o.investor))
    named = [b.investor or "(every option)" for b in p.budgets]
    yield from _duplicates(named, ("budgets",), ("investor",), "budget for investor")
    for i, budget in enumerate(p.budgets):
        loc: tuple[str | int, ...] = ("budgets", i)
        yield from _unknown((*loc, "investor"), budget.investor, investors, "investor")
        yield from _period_keys(budget.per_period, (*loc, "per_period"), p.periods)


# -- stages and facilities ------------------------------------------------------------------------

MAX_PATHS = 10_000
"""Most paths (source -> facility -> ... -> last stage) a problem may have: each is one
variable per material and period, so past this the LP grows beyond what solves in seconds."""


def source_stage(p: Problem, source: Source) -> str | None:
    """The stage ``source`` sells at: its own, else the last (None without stages)."""
    return source.stage or (p.stages[-1] if p.stages else None)


def _stage_of(p: Problem) -> dict[str, str | None]:
    """Source or facility id -> the stage it makes (None where it names no stage)."""
    stages: dict[str, str | None] = {s.id: source_stage(p, s) for s in p.sources}
    return stages | {f.id: f.stage for f in p.facilities}


def _takers(p: Problem) -> dict[str, list[str]]:
    """Source or facility id -> the facilities of the next stage that take from it (routes
    that skip or run backwards left out: they are errors)."""
    where = {stage: i for i, stage in enumerate(p.stages)}
    stage_of = _stage_of(p)
    takers: dict[str, list[str]] = {}
    for f in p.facilities:
        for upstream in dict.fromkeys(f.takes_from):
            before = where.get(stage_of.get(upstream) or "")
            if before is not None and where.get(f.stage) == before + 1:
                takers.setdefault(upstream, []).append(f.id)
    return takers


def stage_paths(p: Problem) -> list[tuple[str, ...]]:
    """Every path from a source to the last stage: (source, facility, ..., facility), in
    source order; a source at the last stage is a path of itself alone. Empty without stages."""
    if not p.stages:
        return []
    takers, last = _takers(p), p.stages[-1]
    stage_of = _stage_of(p)

    def onwards(node: str) -> list[tuple[str, ...]]:
        if stage_of[node] == last:
            return [(node,)]
        return [(node, *rest) for f in takers.get(node, []) for rest in onwards(f)]

    return [path for s in p.sources for path in onwards(s.id)]


def _path_count(p: Problem) -> int:
    """How many paths ``stage_paths`` would list, counted without listing them."""
    takers, last, stage_of = _takers(p), p.stages[-1], _stage_of(p)
    count: dict[str, int] = {}
    for stage in reversed(p.stages):
        for node, made in stage_of.items():
            if made == stage:
                below = takers.get(node, [])
                count[node] = 1 if stage == last else sum(count.get(f, 0) for f in below)
    return sum(count.get(s.id, 0) for s in p.sources)


def _check_stages(p: Problem) -> Iterator[InitErrorDetails]:
    """Stages are named once; sources and facilities name known stages; every route comes
    from the stage just before; nothing upstream is a dead end; the paths stay countable."""
    yield from _duplicates(p.stages, ("stages",), (), "stage")
    yield from _duplicates([f.id for f in p.facilities], ("facilities",), ("id",), "facility")
    if p.facilities and not p.stages:
        yield error_detail(
            ("facilities",),
            "no_stages",
            "facilities are at stages: name the stages in order in 'stages' "
            "(such as [ore, oxide, metal, magnet])",
            None,
        )
        return
    for i, s in enumerate(p.sources):
        yield from _unknown(("sources", i, "stage"), s.stage, p.stages, "stage")
    sources = {s.id for s in p.sources}
    for i, f in enumerate(p.facilities):
        yield from _facility_errors(p, i, f, sources)
    if not p.stages:
        return  # no facility either (refused above): nothing is routed
    errors = list(_dead_ends(p))
    yield from errors
    if not errors and (count := _path_count(p)) > MAX_PATHS:
        yield error_detail(
            ("facilities",),
            "too_many_paths",
            f"the routes make {count:,} paths from a source to the last stage, more than "
            f"{MAX_PATHS:,}: each path is a variable per material and period. Let fewer "
            "facilities take from each source or facility, or merge facilities of one country",
            count,
        )


def _facility_errors(
    p: Problem, i: int, f: Facility, sources: set[str]
) -> Iterator[InitErrorDetails]:
    """A facility's stage is known and not the first, its id is not a source's, and each of
    its routes comes from a known source or facility of the stage just before."""
    loc: tuple[str | int, ...] = ("facilities", i)
    yield from _unknown((*loc, "stage"), f.stage, p.stages, "stage")
    if f.id in sources:
        yield error_detail(
            (*loc, "id"), "duplicate_id", f"facility {f.id!r} has a source's id", f.id
        )
    yield from _duplicates(f.takes_from, (*loc, "takes_from"), (), "route")
    if f.stage not in p.stages:
        return
    for j, upstream in enumerate(f.takes_from):
        yield from _route_errors(p, f, upstream, (*loc, "takes_from", j))


def _route_errors(
    p: Problem, f: Facility, upstream: str, loc: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    """One route of ``f``: from a known source or facility of the stage just before."""
    stage_of = _stage_of(p)
    if upstream == f.id:
        yield error_detail(loc, "route_to_itself", f"facility {f.id!r} takes from itself", f.id)
        return
    if upstream not in stage_of:
        yield from _unknown(loc, upstream, list(stage_of), "source or facility")
        return
    made = stage_of[upstream]
    if made not in p.stages:
        return  # its unknown stage is reported where it is given
    before, own = p.stages.index(made), p.stages.index(f.stage)
    if before >= own:
        yield error_detail(
            loc,
            "route_backwards",
            f"facility {f.id!r} at stage {f.stage!r} takes from {upstream!r} at stage "
            f"{made!r}, which is not before it: a route runs from one stage to the next",
            upstream,
        )
    elif before < own - 1:
        yield error_detail(
            loc,
            "route_skips",
            f"facility {f.id!r} at stage {f.stage!r} takes from {upstream!r} at stage "
            f"{made!r}, skipping {p.stages[before + 1]!r}: a route runs from the stage just "
            "before; add a facility at the stage between",
            upstream,
        )


def _dead_ends(p: Problem) -> Iterator[InitErrorDetails]:
    """Every source and facility before the last stage is taken from by some facility: its
    product must be able to reach demand. With stages only."""
    takers, last = _takers(p), p.stages[-1]
    ends = [("sources", i, "stage", s.id, s.stage) for i, s in enumerate(p.sources)]
    ends += [("facilities", i, "id", f.id, f.stage) for i, f in enumerate(p.facilities)]
    for kind, i, field, node, stage in ends:
        if stage in p.stages and stage != last and node not in takers:
            yield error_detail(
                (kind, i, field),
                "dead_end",
                f"{node!r} at stage {stage!r}: no facility of the next stage takes from it, "
                f"so nothing it makes reaches the last stage {last!r}; name it in a facility's "
                "'takes_from'",
                stage,
            )


# -- rules per stage and per group of countries ----------------------------------------------------


def _check_stage_rules(p: Problem) -> Iterator[InitErrorDetails]:
    """Stage and origin rules need stages, name a known country or group, stage, materials and
    periods, and have distinct ids; groups do not take a country's name."""
    yield from _group_errors(p)
    named = [f for f in ("stage_shares", "origin_shares") if getattr(p.security, f)]
    if named and not p.stages:
        yield error_detail(
            ("security", named[0]),
            "no_stages",
            "stage and origin rules count stages: name them in 'stages' (one is enough: "
            "stages: [oxide])",
            None,
        )
    for field in ("stage_shares", "origin_shares"):
        yield from _rule_list_errors(p, field)


def _group_errors(p: Problem) -> Iterator[InitErrorDetails]:
    """A group does not take a country's name (a rule naming it would be ambiguous)."""
    for group in sorted(set(p.country_groups) & set(p.countries)):
        yield error_detail(
            ("country_groups", group),
            "group_is_country",
            f"group {group!r} has the name of a country: rename the group",
            group,
        )


def _rule_list_errors(p: Problem, field: str) -> Iterator[InitErrorDetails]:
    """The rules of ``security.<field>``: each names what is known; ids are distinct."""
    rules = getattr(p.security, field)
    ids = [rule.default_id for rule in rules]
    yield from _duplicates(ids, ("security", field), ("id",), "rule id (give each its own 'id')")
    for i, rule in enumerate(rules):
        loc: tuple[str | int, ...] = ("security", field, i)
        yield from _target_rule_errors(p, rule, loc)
        yield from _id_list(rule.materials, (*loc, "materials"), p.material_ids, "material")
        key = "max_share" if rule.max_share is not None else "min_share"
        yield from _period_keys(rule.given, (*loc, key), p.periods)


def _target_rule_errors(
    p: Problem, rule: StageRule | OriginRule, loc: tuple[str | int, ...]
) -> Iterator[InitErrorDetails]:
    """A rule's country stands somewhere in the problem, its group is named, its stage is one
    of the stages."""
    named = [
        ("country", rule.country, p.places),
        ("group", rule.group, list(p.country_groups)),
        ("stage", getattr(rule, "stage", None) if p.stages else None, p.stages),
    ]
    for what, ident, known in named:
        if ident is not None:
            yield from _unknown((*loc, what), ident, known, what)


CROSS_CHECKS: tuple[Callable[[Problem], Iterator[InitErrorDetails]], ...] = (
    _check_unique_ids,
    _check_reference_prices,
    _check_sources,
    _check_feed_ids,
    _check_substitutes,
    _check_demand,
    _check_stock,
    _check_caps,
    _contract_errors,
    _check_surplus,
    _unit_errors,
    _coefficient_errors,
    _check_price_products,
    _check_stock_targets,
    _check_security,
    _scenario_errors,
    _check_investments,
    _check_stages,
    _check_stage_rules,
)
"""The cross-field checks of a :class:`Problem`, one per rule, in the order they report."""
