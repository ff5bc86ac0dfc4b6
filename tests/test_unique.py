"""The uniqueness helpers find a tie when there is one, and only then."""

from typing import Any

import pytest

from optiree import Problem
from tests.unique import assert_unique_duals, assert_unique_plan, slopes, varying


def _two_periods(holding_cost: float) -> Problem:
    """10 t of Nd in P1 and P2 at 10 a tonne in both. With no holding cost, P2's tonnes may be
    bought in either period (0 to 10 t held); with one, only in P2."""
    document: dict[str, Any] = {
        "name": "tie",
        "periods": ["P1", "P2"],
        "materials": [{"id": "Nd"}],
        "reference_prices": {"Nd": 10},
        "sources": [{"id": "CN1", "country": "CN", "capacity": {"Nd": 100}}],
        "demand": {"Nd": 10},
        "stock": {"holding_cost": {"Nd": holding_cost}},
    }
    return Problem.model_validate(document)


def test_a_tie_between_periods_is_found() -> None:
    spread = varying(_two_periods(0.0))
    assert spread == {
        "buy(CN1,Nd,P1)": pytest.approx((10, 20)),
        "buy(CN1,Nd,P2)": pytest.approx((0, 10)),
        "stock(Nd,P1)": pytest.approx((0, 10)),
    }
    with pytest.raises(AssertionError, match="several optimal plans"):
        assert_unique_plan(_two_periods(0.0))


def test_a_holding_cost_breaks_the_tie() -> None:
    assert varying(_two_periods(1.0)) == {}
    assert varying(_two_periods(0.0), kinds=("short",)) == {}


def test_slopes_on_each_side_of_a_kink() -> None:
    """10 t of Nd from 10 t of capacity at 10, short at 50 a tonne: a tonne less of demand
    saves 10, a tonne more costs 50, so the balance row's shadow price is anything in
    [10, 50]. With 11 t of capacity both sides cost 10: one shadow price."""
    document: dict[str, Any] = {
        "name": "kink",
        "materials": [{"id": "Nd"}],
        "reference_prices": {"Nd": 10},
        "sources": [{"id": "CN1", "country": "CN", "capacity": {"Nd": 10}}],
        "demand": {"Nd": 10},
        "shortage_penalty": {"Nd": 50},
    }
    assert slopes(Problem.model_validate(document), "balance(Nd,P1)") == pytest.approx((10, 50))
    with pytest.raises(AssertionError, match="several optimal duals"):
        assert_unique_duals(Problem.model_validate(document), ["balance(Nd,P1)"])
    document["sources"][0]["capacity"] = {"Nd": 11}
    assert slopes(Problem.model_validate(document), "balance(Nd,P1)") == pytest.approx((10, 10))
    assert_unique_duals(Problem.model_validate(document), ["balance(Nd,P1)"])
