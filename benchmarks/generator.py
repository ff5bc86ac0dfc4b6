"""Seeded benchmark instances: corporate-scale plans, weekly, per plant, supplier and grade.

An instance of ``size`` has ``materials x sources x periods = size`` purchase variables
``buy(s,m,t)`` (:data:`SHAPES`): every source sells every material in every period. On top come
one ``stock(m,t)`` and one ``short(m,t)`` per material and period and one ``sub(k,t)`` per
substitute and period, so that the LP has ``size + 2 m t + k t`` columns
(:func:`columns`: 15% more than ``size`` at 1e3, 1% more at 1e6).

Its rows follow the formulation (docs/formulation.md) with every rule in force, per material
and period: ``balance``, ``net_demand`` (materials a substitute saves), ``max_share`` for China
and Malaysia, ``cover_without`` China, ``stock_cover``, and two caps (China's capacity cut to
half, a tonnage quota on Malaysia). Prices are a reference price per material and period times
a multiplier per source, so that no two sources cost the same and the optimum is unique.

The same numbers are kept as numpy arrays in :class:`Instance`, from which
:func:`benchmarks.floor.build` builds the same LP without PuLP.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from optiree import Problem

SHAPES: dict[int, tuple[int, int, int]] = {
    1_000: (2, 20, 25),
    10_000: (4, 50, 50),
    100_000: (10, 100, 100),
    1_000_000: (20, 200, 250),
}
"""Size (purchase variables) -> (materials, sources, periods)."""
COUNTRIES = ("CN", "MY", "US", "AU", "FR", "JP", "VN", "BR", "IN", "CA")
COUNTRY_WEIGHTS = (0.3, 0.1, 0.1, 0.1, 0.1, 0.06, 0.06, 0.06, 0.06, 0.06)
"""Chance that a source is in each country: China holds 30% of the sources."""
MAX_SHARE = {"CN": 0.6, "MY": 0.5}
"""Largest share of each material's purchases in a period from these countries."""
COVER_WITHOUT_CN = 0.3
"""Share of each period's demand that must be coverable without China."""
STOCK_COVER = 0.5
"""Closing stock as a multiple of the period's demand."""
CN_CAP_SHARE = 0.5
"""China's export cut: at most this share of its capacity."""
MY_QUOTA_SHARE = 0.2
"""Malaysia's quota, as a share of each material's mean demand per period [t]."""
SUBSTITUTES = 2
"""Substitutes, each saving two materials."""


@dataclass(frozen=True)
class Instance:
    """The numbers of one instance, indexed by position; units as in docs/input.md."""

    size: int
    seed: int
    materials: list[str]
    sources: list[str]
    periods: list[str]
    country: list[str]
    """Country of each source."""
    reference: NDArray[np.float64]
    """Reference price per material and period [money/t], shape (M, T)."""
    multiplier: NDArray[np.float64]
    """Price multiplier of each source, shape (S,)."""
    capacity: NDArray[np.float64]
    """Capacity [t per period], shape (S, M, T); all positive."""
    demand: NDArray[np.float64]
    """Demand [t], shape (M, T); all positive."""
    initial: NDArray[np.float64]
    """Initial stock [t], shape (M,)."""
    holding: NDArray[np.float64]
    """Holding cost [money/t per period], shape (M,)."""
    penalty: NDArray[np.float64]
    """Shortage penalty [money/t], shape (M,)."""
    saves: NDArray[np.float64]
    """Tonnes of each material one unit of each substitute avoids, shape (K, M)."""
    sub_cost: NDArray[np.float64]
    """Cost per unit of each substitute [money/unit], shape (K,)."""
    sub_capacity: NDArray[np.float64]
    """Units of each substitute per period, shape (K,)."""
    quota: NDArray[np.float64]
    """Malaysia's quota per material [t per period], shape (M,)."""


def columns(size: int) -> int:
    """The number of LP columns of an instance of ``size``: buy, stock, short and sub."""
    materials, _, periods = SHAPES[size]
    return size + 2 * materials * periods + SUBSTITUTES * periods


def generate(size: int, seed: int = 0) -> Instance:
    """The instance of ``size`` purchase variables (a key of :data:`SHAPES`) drawn from
    ``numpy.random.default_rng(seed)``: the same size and seed give the same instance."""
    if size not in SHAPES:
        raise ValueError(f"unknown size {size}: choose one of {', '.join(map(str, SHAPES))}")
    n_m, n_s, n_t = SHAPES[size]
    rng = np.random.default_rng(seed)
    country = [str(c) for c in rng.choice(COUNTRIES, size=n_s, p=COUNTRY_WEIGHTS)]
    country[:2] = ["CN", "MY"]  # every rule has a country to act on
    base = rng.uniform(20.0, 1000.0, size=n_m)
    trend = 1.0 + np.cumsum(rng.normal(0.0, 0.01, size=(n_m, n_t)), axis=1)
    reference = np.round(base[:, None] * np.clip(trend, 0.5, None), 2)
    multiplier = np.round(rng.uniform(0.8, 1.6, size=n_s), 4)
    multiplier[np.array(country) == "CN"] *= 0.8  # China is the cheap supplier
    demand = np.round(rng.uniform(50.0, 150.0, size=(n_m, n_t)), 1)
    # Together the sources can sell three times the mean demand.
    capacity = np.round(
        rng.uniform(0.5, 1.5, size=(n_s, n_m, n_t))
        * 3.0
        * demand.mean(axis=1)[None, :, None]
        / n_s,
        3,
    )
    saves = np.zeros((SUBSTITUTES, n_m))
    for k in range(SUBSTITUTES):
        saves[k, rng.choice(n_m, size=min(2, n_m), replace=False)] = rng.choice([0.5, 1.0])
    return Instance(
        size=size,
        seed=seed,
        materials=[f"M{i:02d}" for i in range(n_m)],
        sources=[f"S{i:03d}" for i in range(n_s)],
        periods=[f"W{i:03d}" for i in range(n_t)],
        country=country,
        reference=reference,
        multiplier=multiplier,
        capacity=capacity,
        demand=demand,
        initial=np.round(rng.uniform(0.0, 2.0, size=n_m) * demand[:, 0], 1),
        holding=np.round(rng.uniform(0.001, 0.01, size=n_m) * base, 3),
        penalty=np.round(5.0 * base * 1.6 * np.clip(trend, 0.5, None).max(axis=1), 2),
        saves=saves,
        sub_cost=np.round(rng.uniform(0.5, 1.5, size=SUBSTITUTES) * base.mean(), 2),
        sub_capacity=np.round(rng.uniform(0.05, 0.15, size=SUBSTITUTES) * demand.mean(), 1),
        quota=np.round(MY_QUOTA_SHARE * demand.mean(axis=1), 1),
    )


def document(instance: Instance) -> dict[str, Any]:
    """The instance as an optiree problem document (plain dicts, lists and floats)."""
    inst = instance
    periods = inst.periods
    return {
        "name": f"benchmark {inst.size} seed {inst.seed}",
        "periods": periods,
        "materials": [{"id": m} for m in inst.materials],
        "reference_prices": {
            m: dict(zip(periods, inst.reference[i].tolist(), strict=True))
            for i, m in enumerate(inst.materials)
        },
        "sources": [
            {
                "id": s,
                "country": inst.country[j],
                "price_multiplier": float(inst.multiplier[j]),
                "capacity": {
                    m: dict(zip(periods, inst.capacity[j, i].tolist(), strict=True))
                    for i, m in enumerate(inst.materials)
                },
            }
            for j, s in enumerate(inst.sources)
        ],
        "substitutes": [
            {
                "id": f"K{k}",
                "saves": {
                    m: float(inst.saves[k, i])
                    for i, m in enumerate(inst.materials)
                    if inst.saves[k, i] > 0
                },
                "cost": float(inst.sub_cost[k]),
                "capacity": float(inst.sub_capacity[k]),
            }
            for k in range(len(inst.sub_cost))
        ],
        "demand": {
            m: dict(zip(periods, inst.demand[i].tolist(), strict=True))
            for i, m in enumerate(inst.materials)
        },
        "stock": {
            "initial": dict(zip(inst.materials, inst.initial.tolist(), strict=True)),
            "holding_cost": dict(zip(inst.materials, inst.holding.tolist(), strict=True)),
        },
        "shortage_penalty": dict(zip(inst.materials, inst.penalty.tolist(), strict=True)),
        "caps": [
            {"id": "cn_cut", "country": "CN", "max_share_of_capacity": CN_CAP_SHARE},
            *(
                {"id": f"my_quota_{m}", "country": "MY", "materials": [m], "max_tonnes": q}
                for m, q in zip(inst.materials, inst.quota.tolist(), strict=True)
            ),
        ],
        "security": {
            "max_country_share": dict(MAX_SHARE),
            "min_cover_without": [{"country": "CN", "share": COVER_WITHOUT_CN}],
            "min_stock_cover": dict.fromkeys(inst.materials, STOCK_COVER),
        },
    }


def problem(instance: Instance) -> Problem:
    """The instance as a validated :class:`optiree.Problem`."""
    return Problem.model_validate(document(instance))
