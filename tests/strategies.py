"""hypothesis strategies for random valid problems, shared by the property tests.

Small problems (1-3 materials, 1-4 periods, 1-5 sources across 1-3 countries) with every kind
of input: scalar and per-period numbers, own prices that fall back to the reference price, late
sources and substitutes, stock and holding costs, caps in tonnes and as shares of capacity,
every security rule and shortage penalties. Numbers are whole tonnes and round prices, so every
optimum is exact to far better than the tests' tolerances.
"""

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


@st.composite
def problems(draw: st.DrawFn, *, elastic: bool = False) -> Problem:
    """A random valid problem. ``elastic``: every material has a shortage penalty and the only
    rules are caps and max_country_share."""
    periods = [f"P{i + 1}" for i in range(draw(st.integers(1, 4)))]
    materials = list(MATERIALS[: draw(st.integers(1, 3))])
    countries = list(COUNTRIES[: draw(st.integers(1, 3))])

    reference_prices = {
        m: per_period(draw, whole_floats(1, 100), periods, full=True) for m in materials
    }
    sources = []
    for i in range(draw(st.integers(1, 5))):
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
        sources.append(source)
    present = list(dict.fromkeys(s["country"] for s in sources))

    substitutes = []
    for i in range(draw(st.integers(0, 2))):
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
        substitutes.append(substitute)

    demand = {m: per_period(draw, whole_floats(0, 100), periods, full=False) for m in materials}
    stock = {
        "initial": {m: draw(whole_floats(0, 100)) for m in subset_of(draw, materials, min_size=0)},
        "holding_cost": {
            m: draw(whole_floats(0, 5)) for m in subset_of(draw, materials, min_size=0)
        },
    }
    penalised = materials if elastic else subset_of(draw, materials, min_size=0)
    shortage_penalty = {m: draw(whole_floats(0, 300)) for m in penalised}

    caps = []
    for i in range(draw(st.integers(0, 2))):
        cap: dict[str, Any] = {}
        if draw(st.booleans()):
            cap["id"] = f"quota{i + 1}"
        if draw(st.booleans()):
            cap["country"] = draw(st.sampled_from(present))
        else:
            cap["source"] = draw(st.sampled_from([s["id"] for s in sources]))
        if draw(st.booleans()):
            cap["materials"] = subset_of(draw, materials)
        if draw(st.booleans()):
            cap["periods"] = subset_of(draw, periods)
        if draw(st.booleans()):
            cap["max_tonnes"] = draw(whole_floats(0, 150))
        else:
            cap["max_share_of_capacity"] = draw(st.sampled_from(SHARES))
        caps.append(cap)

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
