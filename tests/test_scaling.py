"""Numbers that are hard for a solver: prices from 1e-3 to 1e7 per tonne, quantities from 1e-4
to 1e6 t.

A problem and the same problem with every price times ``a`` and every quantity times ``b`` have
the same plan, scaled: the cost is a x b times, the tonnes b times. A problem whose materials
are priced and sized in wildly different magnitudes is checked by the independent checker,
duals included (a dual objective equal to the cost proves the plan optimal).
"""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import optiree
from optiree import Problem
from optiree.solve import SolverName
from tests.checker import check
from tests.strategies import problems
from tests.unique import assert_unique_plan

PRICE_FACTORS = (1e-3, 1e7)
QUANTITY_FACTORS = (1e-4, 1e6)


def _times(value: Any, factor: float) -> Any:
    if isinstance(value, dict):
        return {key: item * factor for key, item in value.items()}
    return value * factor


def scaled(problem: Problem, prices: float, quantities: float) -> Problem:
    """``problem`` with every price x ``prices`` and every quantity x ``quantities``; a
    substitute's units scale with the tonnes (capacity x ``quantities``, the same tonnes saved
    per unit) and its cost per unit with the prices."""
    d = problem.model_dump()
    d["reference_prices"] = {m: _times(v, prices) for m, v in d["reference_prices"].items()}
    for source in d["sources"]:
        source["capacity"] = {m: _times(v, quantities) for m, v in source["capacity"].items()}
        source["prices"] = {m: _times(v, prices) for m, v in source["prices"].items()}
    for substitute in d["substitutes"]:  # units scale with tonnes: as many more, as dear each
        substitute["capacity"] = _times(substitute["capacity"], quantities)
        substitute["cost"] = _times(substitute["cost"], prices)
    d["demand"] = {m: _times(v, quantities) for m, v in d["demand"].items()}
    d["stock"]["initial"] = {m: v * quantities for m, v in d["stock"]["initial"].items()}
    d["stock"]["holding_cost"] = {m: v * prices for m, v in d["stock"]["holding_cost"].items()}
    d["shortage_penalty"] = {m: v * prices for m, v in d["shortage_penalty"].items()}
    for cap in d["caps"]:
        if cap["max_tonnes"] is not None:
            cap["max_tonnes"] *= quantities
    return Problem.model_validate(d)


@given(problems(), st.sampled_from(PRICE_FACTORS), st.sampled_from(QUANTITY_FACTORS))
def test_a_badly_scaled_problem_solves_like_the_original(
    problem: Problem, prices: float, quantities: float
) -> None:
    plain = optiree.solve(problem)
    bad = optiree.solve(scaled(problem, prices, quantities))
    assert bad.status == plain.status
    if not plain.is_optimal:
        return
    assert plain.total_cost is not None
    assert bad.total_cost == pytest.approx(plain.total_cost * prices * quantities, rel=1e-6)
    assert check(scaled(problem, prices, quantities), bad) == []


def mixed() -> dict[str, Any]:
    """NdPr by the kilotonne at 1e-3 a tonne (a by-product), Tb by the tenth of a kilogram
    at 1e7 a tonne, Dy in between; three countries and a share rule on each."""
    return {
        "name": "mixed magnitudes",
        "periods": ["P1", "P2"],
        "materials": [{"id": "NdPr"}, {"id": "Dy"}, {"id": "Tb"}],
        "reference_prices": {"NdPr": 1e-3, "Dy": 300.0, "Tb": 1e7},
        "sources": [
            {"id": "cn", "country": "CN", "capacity": {"NdPr": 1e6, "Dy": 50.0, "Tb": 2e-4}},
            {
                "id": "au",
                "country": "AU",
                "price_multiplier": 1.5,
                "capacity": {"NdPr": 8e5, "Dy": 40.0, "Tb": 1.5e-4},
            },
            {
                "id": "jp",
                "country": "JP",
                "price_multiplier": 3.0,
                "capacity": {"NdPr": 3e5, "Dy": 20.0, "Tb": 1e-4},
            },
        ],
        "demand": {"NdPr": 9e5, "Dy": 60.0, "Tb": 3e-4},
        # Holding costs on every material make each period buy its own demand: the plan is the
        # only optimum (with Dy free to hold, P2's Dy could be bought in P1 at the same cost).
        "stock": {"initial": {"Tb": 1e-4}, "holding_cost": {"Tb": 1e5, "NdPr": 1e-4, "Dy": 1.0}},
        "security": {"max_country_share": {"CN": 0.6}},
    }


def test_mixed_magnitudes_solve_right(solver: SolverName) -> None:
    """By hand per material (60% China, the rest cheapest next): NdPr 540,000 t from China at
    1e-3 and 360,000 t from Australia at 1.5e-3; Dy 36 t at 300 and 24 t at 450; Tb: 1e-4 t
    of stock, then 2e-4 t a period in P1 with 1.2e-4 t from China and 0.8e-4 t from Australia,
    and 3e-4 t in P2 with 1.8e-4 and 1.2e-4."""
    problem = Problem.model_validate(mixed())
    result = optiree.solve(problem, solver)
    assert result.status == "optimal"
    assert check(problem, result) == []
    per_period = {
        "NdPr": 540_000 * 1e-3 + 360_000 * 1.5e-3,
        "Dy": 36 * 300 + 24 * 450,
    }
    tb = (1.2e-4 + 1.8e-4) * 1e7 + (0.8e-4 + 1.2e-4) * 1.5e7
    expected = 2 * sum(per_period.values()) + tb
    assert result.total_cost == pytest.approx(expected, rel=1e-7)
    bought = result.supply.groupby("material")["tonnes"].sum()
    assert bought["Tb"] == pytest.approx(5e-4, rel=1e-7)
    assert bought["NdPr"] == pytest.approx(1.8e6, rel=1e-9)


def test_scaled_copies_agree_on_the_plan() -> None:
    """The mixed problem and its copy with prices x 1e-3 and tonnes x 1e3 buy the same plan
    (the only optimal plan, so any solver must find it)."""
    problem = Problem.model_validate(mixed())
    assert_unique_plan(problem)
    plain = optiree.solve(problem)
    other = optiree.solve(scaled(problem, 1e-3, 1e3))
    assert plain.total_cost is not None
    assert other.total_cost == pytest.approx(plain.total_cost, rel=1e-7)
    assert (other.supply["tonnes"] / 1e3).tolist() == pytest.approx(
        plain.supply["tonnes"].tolist(), rel=1e-7, abs=1e-12
    )
