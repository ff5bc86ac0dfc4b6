"""hypothesis strategies for random valid problems, shared by the property tests.

Small problems (1-3 materials, 1-4 periods, 1-5 sources across 1-3 countries) with every kind
of input: scalar and per-period numbers, own prices that fall back to the reference price, late
sources and substitutes, stock and holding costs, caps in tonnes and as shares of capacity,
every security rule and shortage penalties. Numbers are whole tonnes and round prices, so every
optimum is exact to far better than the tests' tolerances.

:func:`supply_documents` and :func:`supply_problems` add the supply-realism inputs: price
tiers and floors, feeds with co-products, separation limits, contracts (hard, fixed,
take-or-pay), caps and contracts over groups (``sum_over``), substitution ramps and shares of
demand, surplus sales and disposal, ``min_stock_days``, strategic stocks
(``below_target_cost``, ``terminal_price``), and (:func:`written_in`) units other
than t REO.
"""

import copy
from typing import Any

from hypothesis import strategies as st

from optiree import Problem

MATERIALS = ("Nd", "Dy", "Tb")
COUNTRIES = ("CN", "AU", "US")
SHARES = (0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 1.0)
"""Relative tolerance of every cost comparison."""


def whole_floats(low: int, high: int) -> st.SearchStrategy[float]:
    return st.integers(low, high).map(float)


def subset_of(draw: st.DrawFn, items: list[str], min_size: int = 1) -> list[str]:
    chosen = draw(st.lists(st.sampled_from(items), min_size=min_size, unique=True))
    return [i for i in items if i in chosen]


def some_of(draw: st.DrawFn, items: list[str]) -> list[str]:
    """None of ``items`` half the time, else a non-empty subset."""
    return subset_of(draw, items) if draw(st.booleans()) else []


def per_period(
    draw: st.DrawFn, values: st.SearchStrategy[float], periods: list[str], *, full: bool
) -> float | dict[str, float]:
    """A scalar, or a dict over all periods (``full``) or over some of them."""
    if draw(st.booleans()):
        return draw(values)
    listed = periods if full else subset_of(draw, periods, min_size=0)
    return {t: draw(values) for t in listed}


def _limited(
    draw: st.DrawFn,
    cap: dict[str, Any],
    present: list[str],
    sources: list[dict[str, Any]],
    materials: list[str],
    periods: list[str],
    *,
    most: int,
) -> dict[str, Any]:
    """``cap`` with what it limits drawn: a country's or a source's deliveries, of some
    materials and periods, to a tonnage up to ``most`` or a share of capacity."""
    if draw(st.booleans()):
        cap["country"] = draw(st.sampled_from(present))
    else:
        cap["source"] = draw(st.sampled_from([s["id"] for s in sources]))
    if draw(st.booleans()):
        cap["materials"] = subset_of(draw, materials)
    if draw(st.booleans()):
        cap["periods"] = subset_of(draw, periods)
    if draw(st.booleans()):
        cap["max_tonnes"] = draw(whole_floats(0, most))
    else:
        cap["max_share_of_capacity"] = draw(st.sampled_from(SHARES))
    return cap


def _random_source(
    draw: st.DrawFn, i: int, materials: list[str], periods: list[str], countries: list[str]
) -> dict[str, Any]:
    """A source selling some materials, sometimes at its own prices or from a later period."""
    supplied = subset_of(draw, materials)
    source: dict[str, Any] = {
        "id": f"S{i + 1}",
        "country": draw(st.sampled_from(countries)),
        "capacity": {
            m: per_period(draw, whole_floats(0, 200), periods, full=False) for m in supplied
        },
        "price_multiplier": draw(st.sampled_from([0.5, 0.8, 1.0, 1.25, 2.0])),
    }
    priced = subset_of(draw, supplied, min_size=0)
    if priced:
        # A dict that misses a period falls back to reference price x multiplier there.
        source["prices"] = {
            m: per_period(draw, whole_floats(0, 120), periods, full=False) for m in priced
        }
    if draw(st.booleans()):
        source["available_from"] = draw(st.sampled_from(periods))
    return source


def _random_substitute(
    draw: st.DrawFn, i: int, materials: list[str], periods: list[str]
) -> dict[str, Any]:
    """A substitute saving some materials, sometimes from a later period."""
    substitute: dict[str, Any] = {
        "id": f"K{i + 1}",
        "saves": {
            m: draw(st.sampled_from([0.0, 0.5, 1.0, 2.0])) for m in subset_of(draw, materials)
        },
        "cost": per_period(draw, whole_floats(0, 150), periods, full=True),
        "capacity": per_period(draw, whole_floats(0, 60), periods, full=False),
    }
    if draw(st.booleans()):
        substitute["available_from"] = draw(st.sampled_from(periods))
    return substitute


def _random_security(
    draw: st.DrawFn, materials: list[str], periods: list[str], present: list[str], *, elastic: bool
) -> dict[str, Any]:
    """Country shares; unless ``elastic``, cover rules and stock covers too."""
    # Each kind of rule in about half the problems, so that most problems stay feasible.
    security: dict[str, Any] = {
        "max_country_share": {c: draw(st.sampled_from(SHARES[3:])) for c in some_of(draw, present)}
    }
    if not elastic:
        security["min_cover_without"] = [
            {"country": c, "share": draw(st.sampled_from([0.1, 0.2, 0.3]))}
            | ({"materials": subset_of(draw, materials)} if draw(st.booleans()) else {})
            for c in some_of(draw, present)
        ]
        covers = st.sampled_from([0.1, 0.5, 1.0])
        security["min_stock_cover"] = {
            m: per_period(draw, covers, periods, full=False) for m in some_of(draw, materials)
        }
    return security


def _demand(draw: st.DrawFn, materials: list[str], periods: list[str]) -> dict[str, Any]:
    return {m: per_period(draw, whole_floats(0, 100), periods, full=False) for m in materials}


def _reference_prices(
    draw: st.DrawFn, materials: list[str], periods: list[str], *, least: int
) -> dict[str, Any]:
    """A reference price from ``least`` to 100 for every material in every period."""
    return {m: per_period(draw, whole_floats(least, 100), periods, full=True) for m in materials}


def _stock(draw: st.DrawFn, materials: list[str], *, most: int) -> dict[str, Any]:
    """Initial stock (up to ``most``) and holding costs of some materials."""
    return {
        "initial": {m: draw(whole_floats(0, most)) for m in subset_of(draw, materials, 0)},
        "holding_cost": {m: draw(whole_floats(0, 5)) for m in subset_of(draw, materials, 0)},
    }


def _named_cap(draw: st.DrawFn, i: int) -> dict[str, Any]:
    """Cap i, with its own id half the time."""
    return {"id": f"quota{i + 1}"} if draw(st.booleans()) else {}


def _quota(draw: st.DrawFn, i: int) -> dict[str, Any]:
    """Cap i, named, over a drawn group."""
    return {"id": f"quota{i + 1}", "sum_over": _groups(draw)}


@st.composite
def problems(draw: st.DrawFn, *, elastic: bool = False) -> Problem:
    """A random valid problem. ``elastic``: every material has a shortage penalty and the only
    rules are caps and max_country_share."""
    periods = [f"P{i + 1}" for i in range(draw(st.integers(1, 4)))]
    materials = list(MATERIALS[: draw(st.integers(1, 3))])
    countries = list(COUNTRIES[: draw(st.integers(1, 3))])

    reference_prices = _reference_prices(draw, materials, periods, least=1)
    sources = [
        _random_source(draw, i, materials, periods, countries)
        for i in range(draw(st.integers(1, 5)))
    ]
    present = list(dict.fromkeys(s["country"] for s in sources))

    substitutes = [
        _random_substitute(draw, i, materials, periods) for i in range(draw(st.integers(0, 2)))
    ]

    demand = _demand(draw, materials, periods)
    stock = _stock(draw, materials, most=100)
    penalised = materials if elastic else subset_of(draw, materials, min_size=0)
    shortage_penalty = {m: draw(whole_floats(0, 300)) for m in penalised}

    caps = [
        _limited(draw, _named_cap(draw, i), present, sources, materials, periods, most=150)
        for i in range(draw(st.integers(0, 2)))
    ]

    security = _random_security(draw, materials, periods, present, elastic=elastic)

    return Problem.model_validate(
        {
            "name": "random",
            "periods": periods,
            "materials": [{"id": m} for m in materials],
            "reference_prices": reference_prices,
            "sources": sources,
            "substitutes": substitutes,
            "demand": demand,
            "stock": stock,
            "shortage_penalty": shortage_penalty,
            "caps": caps,
            "security": security,
        }
    )


# -- supply realism: tiers, floors, feeds, separation, ramps, contracts, surplus, units -----------

UNITS = ("t REO", "kg REO", "t metal", "kg metal", "t magnet", "kg magnet")
REO_PER_TONNE = {"metal": 1.25, "magnet": 0.375}
"""t REO in a tonne of each material's metal or magnet: binary fractions, so that converting
a document there and back loses nothing."""
MASS = {"t": 1.0, "kg": 0.001}


def _groups(draw: st.DrawFn) -> list[str]:
    """A ``sum_over``: none, periods, materials or both."""
    return draw(st.sampled_from([[], ["periods"], ["materials"], ["materials", "periods"]]))


def _tiers(draw: st.DrawFn) -> list[dict[str, Any]]:
    """One to three bands with rising tops (the first at least 1 t) and prices that never
    fall: all absolute prices or all multiples of the list price."""
    count = draw(st.integers(1, 3))
    tops = sorted(
        draw(st.lists(st.integers(1, 120), min_size=count - 1, max_size=count - 1, unique=True))
    )
    if draw(st.booleans()):
        prices = sorted(draw(st.lists(st.integers(10, 150), min_size=count, max_size=count)))
        tiers: list[dict[str, Any]] = [{"price": float(p)} for p in prices]
    else:
        factors = sorted(
            draw(st.lists(st.sampled_from([1.0, 1.25, 1.5, 2.0]), min_size=count, max_size=count))
        )
        tiers = [{"price_multiplier": f} for f in factors]
    for tier, top in zip(tiers, tops, strict=False):
        tier["up_to"] = float(top)
    return tiers


def _supply_source(
    draw: st.DrawFn, i: int, materials: list[str], periods: list[str], countries: list[str]
) -> dict[str, Any]:
    """A source with any of tiers, a floor, feeds and a separation limit."""
    source: dict[str, Any] = {"id": f"S{i + 1}", "country": draw(st.sampled_from(countries))}
    feeds = [_supply_feed(draw, i, j, materials, periods) for j in range(draw(st.integers(0, 2)))]
    supplied = subset_of(draw, materials, min_size=0 if feeds else 1)
    source["capacity"] = {
        m: per_period(draw, whole_floats(0, 200), periods, full=False) for m in supplied
    }
    source["price_multiplier"] = draw(st.sampled_from([0.5, 0.8, 1.0, 1.25, 2.0]))
    if supplied:
        _supply_prices(draw, source, supplied, periods)
    if feeds:
        source["feeds"] = feeds
    if draw(st.booleans()):
        source["separation_capacity"] = per_period(draw, whole_floats(0, 250), periods, full=False)
    if draw(st.integers(0, 3)) == 0:
        source["available_from"] = draw(st.sampled_from(periods))
    return source


def _supply_feed(
    draw: st.DrawFn, i: int, j: int, materials: list[str], periods: list[str]
) -> dict[str, Any]:
    """Feed j of source i, yielding some materials."""
    yields = {m: draw(st.sampled_from([0.05, 0.1, 0.2, 0.3])) for m in subset_of(draw, materials)}
    return {
        "id": f"F{i + 1}{j + 1}",
        "yields": yields,
        "price_per_tonne_feed": per_period(draw, whole_floats(1, 30), periods, full=True),
        "capacity": per_period(draw, whole_floats(0, 200), periods, full=False),
    }


def _supply_prices(
    draw: st.DrawFn, source: dict[str, Any], supplied: list[str], periods: list[str]
) -> None:
    """Own prices, tiers and a floor (a price or a multiple of the reference) on some of the
    ``supplied`` materials."""
    priced = subset_of(draw, supplied, min_size=0)
    if priced:
        source["prices"] = {
            m: per_period(draw, whole_floats(10, 120), periods, full=False) for m in priced
        }
    tiered = subset_of(draw, supplied, min_size=0)
    if tiered:
        source["tiers"] = {m: _tiers(draw) for m in tiered}
    floor = draw(st.sampled_from(["none", "none", "price", "multiplier"]))
    if floor == "price":
        source["price_floor"] = {
            m: per_period(draw, whole_floats(10, 150), periods, full=True)
            for m in subset_of(draw, supplied)
        }
    elif floor == "multiplier":
        source["price_floor_multiplier"] = draw(st.sampled_from([1.0, 1.5, 2.0]))


def _delivers(source: dict[str, Any]) -> list[str]:
    yields = [m for feed in source.get("feeds", []) for m in feed["yields"]]
    return list(dict.fromkeys([*source["capacity"], *yields]))


def _supply_substitute(
    draw: st.DrawFn, i: int, materials: list[str], periods: list[str]
) -> dict[str, Any]:
    """A substitute, sometimes with a ramp, largest shares of demand and a first period."""
    saves = {m: draw(st.sampled_from([0.5, 1.0, 2.0])) for m in subset_of(draw, materials)}
    substitute: dict[str, Any] = {
        "id": f"K{i + 1}",
        "saves": saves,
        "cost": per_period(draw, whole_floats(0, 150), periods, full=True),
        "capacity": per_period(draw, whole_floats(0, 60), periods, full=False),
    }
    if draw(st.booleans()):
        substitute["ramp"] = {
            "max_increase": draw(whole_floats(0, 20)),
            "max_growth": draw(st.sampled_from([0.0, 0.25, 0.5, 1.0])),
            "initial": draw(whole_floats(0, 10)),
        }
    shares = st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0])
    limited = subset_of(draw, list(saves), min_size=0)
    if limited:
        substitute["max_share_of_demand"] = {
            m: per_period(draw, shares, periods, full=False) for m in limited
        }
    if draw(st.integers(0, 3)) == 0:
        substitute["available_from"] = draw(st.sampled_from(periods))
    return substitute


def _supply_contract(
    draw: st.DrawFn, i: int, sources: list[dict[str, Any]], periods: list[str]
) -> dict[str, Any]:
    """A hard, fixed or take-or-pay contract with one of ``sources``, over groups."""
    source = draw(st.sampled_from(sources))
    contract: dict[str, Any] = {"source": source["id"], "sum_over": _groups(draw)}
    if draw(st.booleans()):
        contract["id"] = f"deal{i + 1}"
    if draw(st.booleans()):
        contract["materials"] = subset_of(draw, _delivers(source))
    if draw(st.booleans()):
        contract["periods"] = subset_of(draw, periods)
    kind = draw(st.sampled_from(["take_or_pay", "take_or_pay", "min", "fixed"]))
    if kind == "take_or_pay":
        contract["min_tonnes"] = draw(whole_floats(0, 200))
        contract["take_or_pay"] = draw(whole_floats(0, 60))
    elif kind == "min":
        contract["min_tonnes"] = draw(whole_floats(0, 10))
    else:
        contract["fixed_tonnes"] = draw(whole_floats(0, 10))
    return contract


def _surplus_entry(draw: st.DrawFn, periods: list[str]) -> dict[str, Any]:
    """Salvage prices (at most 5), sometimes a sales limit and a disposal cost."""
    entry: dict[str, Any] = {
        "salvage_price": per_period(draw, whole_floats(0, 5), periods, full=False)
    }
    if draw(st.booleans()):
        entry["max_sold"] = per_period(draw, whole_floats(0, 50), periods, full=False)
    if draw(st.booleans()):
        entry["disposal_cost"] = draw(whole_floats(1, 10))
    return entry


def _supply_security(
    draw: st.DrawFn,
    document: dict[str, Any],
    materials: list[str],
    periods: list[str],
    present: list[str],
) -> dict[str, Any]:
    """Country shares, stock targets (setting ``document``'s period_days and strategic stock
    costs where there are any) and sometimes cover rules."""
    security: dict[str, Any] = {
        "max_country_share": {c: draw(st.sampled_from(SHARES[4:])) for c in some_of(draw, present)}
    }
    covered = some_of(draw, materials)
    if covered:
        _stock_targets(draw, document, security, covered, periods)
    if draw(st.integers(0, 3)) == 0:
        security["min_cover_without"] = [
            {"country": c, "share": draw(st.sampled_from([0.1, 0.2]))}
            for c in some_of(draw, present)
        ]
    return security


def _stock_targets(
    draw: st.DrawFn,
    document: dict[str, Any],
    security: dict[str, Any],
    covered: list[str],
    periods: list[str],
) -> None:
    """Stock targets in days or cover on the ``covered`` materials, some strategic."""
    document["period_days"] = draw(st.sampled_from([30.0, 91.25]))
    by_days = subset_of(draw, covered, min_size=0)
    security["min_stock_days"] = {
        m: per_period(draw, st.sampled_from([5.0, 15.0, 30.0]), periods, full=False)
        for m in by_days
    }
    security["min_stock_cover"] = {
        m: draw(st.sampled_from([0.1, 0.25])) for m in covered if m not in by_days
    }
    strategic = subset_of(draw, covered) if draw(st.integers(0, 3)) else []
    # Below every shortage penalty (at least 100), as validation requires.
    document["stock"]["below_target_cost"] = {
        m: draw(st.sampled_from([1.0, 5.0, 20.0, 50.0])) for m in strategic
    }
    priced = subset_of(draw, strategic, min_size=0) if strategic else []
    document["stock"]["terminal_price"] = {m: draw(whole_floats(0, 200)) for m in priced}


@st.composite
def supply_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A random valid problem document, in t REO, that uses the supply-realism inputs: tiers,
    price floors, feeds with co-products, shared separation limits, caps and contracts over
    groups (``sum_over``), hard, fixed and take-or-pay contracts, substitutes with ramps and
    largest shares of demand, surplus sales and disposal, min_stock_days, and strategic stocks (a
    ``below_target_cost`` on some materials with a stock target, sometimes a
    ``terminal_price``).

    Most materials have a shortage penalty and the hard rules are small, so that most draws
    have a plan; salvage prices (at most 5) are below every purchase price (at least 5).
    """
    periods = [f"P{i + 1}" for i in range(draw(st.integers(1, 3)))]
    materials = list(MATERIALS[: draw(st.integers(1, 3))])
    countries = list(COUNTRIES[: draw(st.integers(1, 3))])
    sources = [
        _supply_source(draw, i, materials, periods, countries)
        for i in range(draw(st.integers(1, 4)))
    ]
    present = list(dict.fromkeys(s["country"] for s in sources))

    substitutes = [
        _supply_substitute(draw, i, materials, periods) for i in range(draw(st.integers(0, 2)))
    ]

    demand = _demand(draw, materials, periods)
    penalised = materials if draw(st.integers(0, 4)) else subset_of(draw, materials, min_size=0)
    document: dict[str, Any] = {
        "name": "supply",
        "periods": periods,
        "materials": [{"id": m, "reo_per_tonne": dict(REO_PER_TONNE)} for m in materials],
        "reference_prices": _reference_prices(draw, materials, periods, least=10),
        "sources": sources,
        "substitutes": substitutes,
        "demand": demand,
        "stock": _stock(draw, materials, most=50),
        "shortage_penalty": {m: draw(whole_floats(100, 400)) for m in penalised},
    }

    document["caps"] = [
        _limited(draw, _quota(draw, i), present, sources, materials, periods, most=300)
        for i in range(draw(st.integers(0, 2)))
    ]
    document["contracts"] = [
        _supply_contract(draw, i, sources, periods) for i in range(draw(st.integers(0, 2)))
    ]
    document["surplus"] = {
        m: _surplus_entry(draw, periods) for m in subset_of(draw, materials, min_size=0)
    }
    document["security"] = _supply_security(draw, document, materials, periods, present)
    Problem.model_validate(document)  # a valid document, or the strategy is wrong
    return document


def _in_units(value: Any, factor: float) -> Any:
    """A number or a per-period dict of numbers times ``factor``."""
    if isinstance(value, dict):
        return {key: v * factor for key, v in value.items()}
    return value * factor


def written_in(document: dict[str, Any], units: dict[str, str]) -> dict[str, Any]:
    """The t REO ``document`` (of :func:`supply_documents`) written in ``units``: the same
    problem, its demand per unit of ``units["demand"]``, prices per ``units["prices"]`` and
    other quantities of material in ``units["quantities"]``. With prices per unit of metal or
    magnet, take-or-pay contracts list their materials, so that the docs' rule (a contract over
    one material is priced per unit of it, one over several per mass) is not left to read
    "every material the source delivers"."""
    d = copy.deepcopy(document)
    writer = _Writer(d, units)
    d["units"] = dict(units)
    d["demand"] = writer.each(d["demand"], writer.demand)
    d["reference_prices"] = writer.each(d.get("reference_prices", {}), writer.price)
    d["shortage_penalty"] = writer.each(d.get("shortage_penalty", {}), writer.price)
    writer.stock(d.setdefault("stock", {}))
    for source in d["sources"]:
        writer.source(source)
    for substitute in d.get("substitutes", []):
        substitute["saves"] = writer.each(substitute["saves"], writer.quantity)
    for cap in d.get("caps", []):
        if "max_tonnes" in cap:
            cap["max_tonnes"] *= writer.per_quantity
    for contract in d.get("contracts", []):
        writer.contract(contract)
    for m, entry in d.get("surplus", {}).items():
        writer.surplus(m, entry)
    return d


class _Writer:
    """The factors from t REO to ``units`` for the materials of a document, applied part by
    part (each part edited in place)."""

    def __init__(self, d: dict[str, Any], units: dict[str, str]) -> None:
        self.reo: dict[str, dict[str, float]] = {
            m["id"]: {"REO": 1.0, **m.get("reo_per_tonne", {})} for m in d["materials"]
        }
        self.sources = {s["id"]: s for s in d["sources"]}
        self.demand_unit = units.get("demand", "t REO")
        self.price_unit = units.get("prices", "t REO")
        self.per_quantity = 1 / MASS[units.get("quantities", "t REO").split()[0]]

    def per_unit(self, unit: str, m: str) -> float:
        """t REO in one ``unit`` of m."""
        mass, basis = unit.split()
        return MASS[mass] * self.reo[m][basis]

    def demand(self, m: str) -> float:
        return 1 / self.per_unit(self.demand_unit, m)

    def price(self, m: str) -> float:
        return self.per_unit(self.price_unit, m)

    def quantity(self, _: str) -> float:
        return self.per_quantity

    @staticmethod
    def each(mapping: dict[str, Any], factor: Any) -> dict[str, Any]:
        return {m: _in_units(v, factor(m)) for m, v in mapping.items()}

    def stock(self, stock: dict[str, Any]) -> None:
        stock["initial"] = self.each(stock.get("initial", {}), self.quantity)
        for key in ("holding_cost", "below_target_cost", "terminal_price"):
            stock[key] = self.each(stock.get(key, {}), self.price)

    def source(self, source: dict[str, Any]) -> None:
        source["capacity"] = self.each(source.get("capacity", {}), self.quantity)
        for key in ("prices", "price_floor"):
            if key in source:
                source[key] = self.each(source[key], self.price)
        for m, tiers in source.get("tiers", {}).items():
            for tier in tiers:
                self.tier(m, tier)
        for feed in source.get("feeds", []):
            feed["yields"] = self.each(feed["yields"], self.quantity)
        if "separation_capacity" in source:
            source["separation_capacity"] = _in_units(
                source["separation_capacity"], self.per_quantity
            )

    def tier(self, m: str, tier: dict[str, Any]) -> None:
        if "up_to" in tier:
            tier["up_to"] *= self.per_quantity
        if "price" in tier:
            tier["price"] *= self.price(m)

    def contract(self, contract: dict[str, Any]) -> None:
        for key in ("min_tonnes", "fixed_tonnes"):
            if key in contract:
                contract[key] *= self.per_quantity
        if "take_or_pay" in contract:
            source = self.sources[contract["source"]]
            if not self.price_unit.endswith("REO"):
                contract.setdefault("materials", _delivers(source))
            listed = contract.get("materials") or _delivers(source)
            mass = MASS[self.price_unit.split()[0]]
            contract["take_or_pay"] *= self.price(listed[0]) if len(listed) == 1 else mass

    def surplus(self, m: str, entry: dict[str, Any]) -> None:
        for key in ("salvage_price", "disposal_cost"):
            if key in entry:
                entry[key] = _in_units(entry[key], self.price(m))
        if "max_sold" in entry:
            entry["max_sold"] = _in_units(entry["max_sold"], self.per_quantity)


def units_of(draw: st.DrawFn) -> dict[str, str]:
    """Units to write a document in: t REO (the default) half the time."""
    if draw(st.booleans()):
        return {}
    return {
        "demand": draw(st.sampled_from(UNITS)),
        "prices": draw(st.sampled_from(UNITS)),
        "quantities": draw(st.sampled_from(UNITS[:2])),
    }


@st.composite
def supply_problems(draw: st.DrawFn) -> Problem:
    """A problem of :func:`supply_documents`, written in random units."""
    document = draw(supply_documents())
    return Problem.model_validate(written_in(document, units_of(draw)))


def _squeeze_security(
    draw: st.DrawFn, document: dict[str, Any], materials: list[str], present: list[str]
) -> None:
    """Low country shares, high cover rules, sometimes high stock covers; strategic stocks
    kept only where a stock target is left."""
    security = document["security"]
    tight = st.sampled_from([0.0, 0.25, 0.5, 0.75])
    security["max_country_share"] = {c: draw(tight) for c in some_of(draw, present)}
    security["min_cover_without"] = [
        {"country": c, "share": draw(st.sampled_from([0.25, 0.5, 0.9]))}
        | ({"materials": subset_of(draw, materials)} if draw(st.booleans()) else {})
        for c in some_of(draw, present)
    ]
    if draw(st.booleans()):
        covers = st.sampled_from([0.5, 1.0, 2.0])
        security["min_stock_cover"] = {
            m: per_period(draw, covers, document["periods"], full=False)
            for m in subset_of(draw, materials)
            if m not in security.get("min_stock_days", {})
        }
    ruled = {*security.get("min_stock_cover", {}), *security.get("min_stock_days", {})}
    stock = document["stock"]  # a strategic stock needs the target it may fall below
    for key in ("below_target_cost", "terminal_price"):
        stock[key] = {m: v for m, v in stock.get(key, {}).items() if m in ruled}


def _squeeze_contract(draw: st.DrawFn, sources: list[dict[str, Any]]) -> dict[str, Any]:
    """A large hard or fixed contract with one of ``sources``."""
    source = draw(st.sampled_from(sources))
    contract: dict[str, Any] = {"id": "squeeze", "source": source["id"]}
    contract["sum_over"] = _groups(draw)
    if draw(st.booleans()):
        contract["materials"] = subset_of(draw, _delivers(source))
    key = draw(st.sampled_from(["min_tonnes", "fixed_tonnes"]))
    contract[key] = draw(whole_floats(20, 400))
    return contract


@st.composite
def squeezed_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A document of :func:`supply_documents` with its rules drawn tight, so that most draws
    have no plan: few or no shortage penalties, low country shares, high covers and stock
    rules, large hard and fixed contracts and tight caps, per material and period or summed
    (``sum_over``). Every feature of :func:`supply_documents` stays in play (tiers, feeds,
    take-or-pay contracts, substitution, separation, surplus)."""
    document = draw(supply_documents())
    materials = [m["id"] for m in document["materials"]]
    periods = document["periods"]
    sources = document["sources"]
    present = list(dict.fromkeys(s["country"] for s in sources))
    document["shortage_penalty"] = {
        m: price
        for m, price in document["shortage_penalty"].items()
        if m in subset_of(draw, materials, min_size=0)
    }
    _squeeze_security(draw, document, materials, present)
    if draw(st.booleans()):
        document["contracts"].append(_squeeze_contract(draw, sources))
    if draw(st.booleans()):
        cap = {"id": "squeeze", "sum_over": _groups(draw)}
        document["caps"].append(_limited(draw, cap, present, sources, materials, periods, most=30))
    Problem.model_validate(document)  # a valid document, or the strategy is wrong
    return document


# -- investment options and budgets ---------------------------------------------------------------


def _option(draw: st.DrawFn, i: int, problem: Problem) -> dict[str, Any] | None:
    """An option on a source's material or on a substitute's line, if the problem has one."""
    targets: list[dict[str, Any]] = [
        {"source": s.id, "material": m} for s in problem.sources for m in s.capacity
    ]
    targets += [{"substitute": k.id} for k in problem.substitutes]
    if not targets:
        return None
    target: dict[str, Any] = draw(st.sampled_from(targets))
    return target | {
        "id": f"O{i + 1}",
        "capital_cost": draw(whole_floats(0, 30)),
        "lead_time": draw(st.sampled_from([0, 0, 1, 2, len(problem.periods)])),
        "earliest": draw(st.sampled_from(problem.periods[:2])),
        "max_size": draw(whole_floats(0, 300)),
        "operating_cost": draw(whole_floats(0, 10)),
        "investor": draw(st.sampled_from(["state", "industry"])),
    }


def _budget(draw: st.DrawFn, investor: str | None, periods: list[str]) -> dict[str, Any]:
    """A budget per period, over the horizon, or both."""
    budget: dict[str, Any] = {} if investor is None else {"investor": investor}
    kind = draw(st.sampled_from(["per_period", "total", "both"]))
    if kind != "total":
        budget["per_period"] = per_period(draw, whole_floats(0, 2000), periods, full=False)
    if kind != "per_period":
        budget["total"] = draw(whole_floats(0, 4000))
    return budget


@st.composite
def investment_problems(draw: st.DrawFn) -> Problem:
    """A random elastic problem (every material may go short: always feasible) with 1-3
    investment options on its sources' materials and substitutes' lines, quarterly or yearly
    periods, and sometimes budgets (for everyone, per investor). Half of the options on a
    source's material start from no capacity (a new mine). An option whose new capacity would
    serve where its source has no price is left out."""
    problem = draw(problems(elastic=True))
    options = [_option(draw, i, problem) for i in range(draw(st.integers(1, 3)))]
    investors = sorted({o["investor"] for o in options if o is not None})
    named = subset_of(draw, [None, *investors], min_size=0)  # type: ignore[list-item]
    document = problem.model_dump() | {
        "period_days": draw(st.sampled_from([91.25, 365.0])),
        "investments": [o for o in options if o is not None],
        "budgets": [_budget(draw, who, problem.periods) for who in named],
    }
    for option in document["investments"]:  # half of the time a new mine, not an expansion
        if "source" in option and draw(st.booleans()):
            source = next(s for s in document["sources"] if s["id"] == option["source"])
            source["capacity"][option["material"]] = 0.0
    try:
        return Problem.model_validate(document)
    except ValueError:
        document["investments"] = [o for o in document["investments"] if "substitute" in o]
        document["budgets"] = []
        return Problem.model_validate(document)


def _plant_option(draw: st.DrawFn, i: int, document: dict[str, Any]) -> dict[str, Any] | None:
    """An option on a source's feed or on its separation plant, if the document has one."""
    sources = document["sources"]
    targets: list[dict[str, Any]] = [
        {"source": s["id"], "feed": f["id"]} for s in sources for f in s.get("feeds", [])
    ]
    targets += [
        {"source": s["id"], "separation": True}
        for s in sources
        if s.get("separation_capacity") is not None
    ]
    if not targets:
        return None
    periods = document["periods"]
    return draw(st.sampled_from(targets)) | {
        "id": f"P{i + 1}",
        "capital_cost": draw(whole_floats(0, 5)),
        "lead_time": draw(st.sampled_from([0, 0, 1, len(periods)])),
        "earliest": draw(st.sampled_from(periods[:2])),
        "max_size": draw(whole_floats(1, 400)),
        "operating_cost": draw(whole_floats(0, 2)),
        "investor": draw(st.sampled_from(["state", "industry"])),
    }


@st.composite
def plant_investment_problems(draw: st.DrawFn) -> Problem:
    """A problem of :func:`supply_documents` (feeds with co-products, separation limits) made
    elastic (every material may go short; no contracts, security rules or strategic stocks:
    always feasible), with 1-2 options on its feeds and separation plants, quarterly or
    yearly periods, and sometimes a budget. Half of the time a feed an option expands starts
    from no capacity (a new pit)."""
    document = draw(supply_documents())
    materials = [m["id"] for m in document["materials"]]
    document["shortage_penalty"] = {m: draw(whole_floats(500, 3000)) for m in materials}
    document["contracts"], document["security"] = [], {}
    kept = ("initial", "holding_cost")  # no stock targets: no strategic stocks
    document["stock"] = {k: v for k, v in document["stock"].items() if k in kept}
    sources = document["sources"]
    if not any(s.get("feeds") or s.get("separation_capacity") is not None for s in sources):
        sources[0]["separation_capacity"] = draw(whole_floats(0, 50))  # a plant to expand
    options = [_plant_option(draw, i, document) for i in range(draw(st.integers(1, 2)))]
    document["investments"] = [o for o in options if o is not None]
    for option in document["investments"]:
        if "feed" in option and draw(st.booleans()):
            source = next(s for s in document["sources"] if s["id"] == option["source"])
            next(f for f in source["feeds"] if f["id"] == option["feed"])["capacity"] = 0.0
    investors = sorted({o["investor"] for o in document["investments"]})
    named = subset_of(draw, [None, *investors], min_size=0)  # type: ignore[list-item]
    document["budgets"] = [_budget(draw, who, document["periods"]) for who in named]
    document["period_days"] = draw(st.sampled_from([91.25, 365.0]))
    return Problem.model_validate(document)


# -- integer decisions ------------------------------------------------------------------------


@st.composite
def integer_problems(draw: st.DrawFn) -> Problem:
    """A problem of :func:`investment_problems` with integer rules drawn on it: options built
    in whole units, minimum lots, qualification costs, at most (sometimes at least) N
    suppliers. Small enough that HiGHS and CBC close it to a gap of 1e-6 in well under 10 s;
    ``min_suppliers`` may leave it infeasible (it is a hard rule)."""
    document = draw(investment_problems()).model_dump(exclude_defaults=True)
    for option in document.get("investments", []):
        if draw(st.booleans()):
            option["unit_size"] = draw(whole_floats(1, 100))
    for source in document["sources"]:
        for m in source.get("capacity", {}):
            if draw(st.booleans()):
                source.setdefault("min_lot", {})[m] = draw(whole_floats(1, 60))
        if draw(st.booleans()):
            source["qualification_cost"] = draw(whole_floats(0, 3000))
    materials = [m["id"] for m in document["materials"]]
    security = document.setdefault("security", {})
    for m in subset_of(draw, materials, min_size=0):
        security.setdefault("max_suppliers", {})[m] = draw(st.integers(1, 3))
    lots = {m: sum(m in s.get("min_lot", {}) for s in document["sources"]) for m in materials}
    for m in [m for m in materials if lots[m] and draw(st.integers(0, 3)) == 0]:
        security.setdefault("min_suppliers", {})[m] = draw(st.integers(1, lots[m]))
    return Problem.model_validate(document)


@st.composite
def discount_problems(draw: st.DrawFn) -> Problem:
    """A problem of :func:`problems` with all-unit discounts on some of its sources' materials:
    one to three bands from 0, their starts rising within the capacities drawn, their prices
    falling (not rising) from at most 150."""
    document = draw(problems()).model_dump(exclude_defaults=True)
    for source in document["sources"]:
        for m in source["capacity"]:
            if not draw(st.booleans()):
                continue
            starts = draw(st.lists(whole_floats(1, 150), max_size=2, unique=True))
            prices = draw(st.lists(whole_floats(1, 150), min_size=len(starts) + 1, max_size=3))
            bands = zip([0.0, *sorted(starts)], sorted(prices, reverse=True), strict=False)
            source.setdefault("discounts", {})[m] = [
                {"from_tonnes": start, "price": price} for start, price in bands
            ]
    return Problem.model_validate(document)
