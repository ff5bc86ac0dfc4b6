"""Hand-solved cases for rules that guard the plan against artefacts of the LP."""

import pytest

import optiree
from optiree import Problem
from tests.unique import slopes


def _one_source_two_periods(**extra: object) -> Problem:
    document: dict[str, object] = {
        "name": "artefacts",
        "periods": ["P1", "P2"],
        "materials": [{"id": "X"}],
        "reference_prices": {"X": 100},
        "sources": [{"id": "cn", "country": "CN", "capacity": {"X": 10}}],
        "demand": {"X": 1},
    }
    return Problem.model_validate(document | extra)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_substitution_cannot_become_stock(solver: str) -> None:
    """A substitute usable only in P1 at 1 per unit, saving 1 t, demand 1 t per period.

    Without the net_demand row the plan substituted 2 units in P1 and kept 1 t "in stock" for
    P2 (cost 2). By hand: 1 unit in P1 (cost 1) and 1 t bought in P2 (cost 100): 101.
    """
    problem = _one_source_two_periods(
        substitutes=[{"id": "k", "saves": {"X": 1}, "cost": 1, "capacity": {"P1": 10}}],
        stock={"holding_cost": {"X": 1}},  # buying in P1 to hold would tie without it
    )
    result = optiree.solve(problem, solver=solver)
    assert result.total_cost == pytest.approx(101)
    assert result.substitution["units"].tolist() == pytest.approx([1])
    assert result.inventory["closing"].tolist() == pytest.approx([0, 0])
    net = result.constraints.set_index("constraint").loc["net_demand(X,P1)"]
    # Degenerate: tightening the row by 1 t buys that tonne in P1 instead (+100 - 1 = +99);
    # loosening it substitutes a second unit and holds it for P2 (+1 + 1 - 100 = -98). Every
    # dual between the two is valid (HiGHS reports 99, CBC 98).
    assert 98 - 1e-9 <= net["shadow_price"] <= 99 + 1e-9
    assert net["binding"]


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_substitution_and_shortage_share_the_demand(solver: str) -> None:
    """Substitution at 1/t and shortage at 50/t: 1 t substituted, nothing short, nothing bought
    (the source is embargoed). Savings plus shortage never exceed the 1 t of demand."""
    problem = _one_source_two_periods(
        substitutes=[{"id": "k", "saves": {"X": 1}, "cost": 1, "capacity": 10}],
        shortage_penalty={"X": 50},
        caps=[{"country": "CN", "max_tonnes": 0}],
    )
    result = optiree.solve(problem, solver=solver)
    assert result.total_cost == pytest.approx(2)
    assert result.shortage["tonnes"].tolist() == pytest.approx([0, 0])


def test_rules_that_read_zero_at_no_cost_do_not_bind() -> None:
    """Nothing is bought in P2 (stock from P1 is cheaper), so max_share(CN,X,P2) reads 0 <= 0."""
    problem = Problem.model_validate(
        {
            "name": "zero",
            "periods": ["P1", "P2"],
            "materials": [{"id": "X"}],
            "reference_prices": {"X": {"P1": 100, "P2": 300}},
            "sources": [
                {"id": "cn", "country": "CN", "capacity": {"X": 10}},
                {"id": "au", "country": "AU", "capacity": {"X": 10}, "price_multiplier": 2},
            ],
            "demand": {"X": 2},
            "security": {"max_country_share": {"CN": 0.75}},
        }
    )
    result = optiree.solve(problem)
    # By hand: P1 buys 4 t, 3 from CN (75%) and 1 from AU: 300 + 200 = 500.
    assert result.total_cost == pytest.approx(500)
    rows = result.constraints.set_index("constraint")
    assert rows.loc["max_share(CN,X,P2)", ["value", "limit", "slack"]].tolist() == [0, 0, 0]
    # The P2 row's dual is not unique: loosening it saves nothing, tightening it forces AU
    # tonnes into P2 (600 each, against 125 for a P1 tonne; 1/0.75 of one per unit of the row):
    # 475 / 0.75 = 633.3. Any shadow price in [0, 633.3] is optimal, so the row binds exactly
    # when the solver's dual is positive; HiGHS's is 0.
    p2 = rows.loc["max_share(CN,X,P2)"]
    assert 0 <= p2["shadow_price"] <= 475 / 0.75 + 1e-6
    assert p2["binding"] == (p2["shadow_price"] > 0)
    assert rows.loc["max_share(CN,X,P1)", "binding"]
    binding = ["max_share(CN,X,P1)"] + (["max_share(CN,X,P2)"] if p2["binding"] else [])
    assert result.binding["constraint"].tolist() == binding
    below, above = slopes(problem, "max_share(CN,X,P2)")
    assert (below, above) == (pytest.approx(-475 / 0.75), pytest.approx(0))


def test_summary_marks_what_cannot_happen() -> None:
    """A source that comes on line in P2 has no purchase in P1: shown as "-", with no warning
    (pytest turns warnings into errors)."""
    problem = _one_source_two_periods(
        sources=[
            {"id": "cn", "country": "CN", "capacity": {"X": 10}},
            {
                "id": "au",
                "country": "AU",
                "price_multiplier": 1.5,
                "capacity": {"X": 10},
                "available_from": "P2",
            },
        ]
    )
    text = optiree.solve(problem).summary()
    assert "AU          -   0.0" in text
    assert "No cap or security rule binds." in text


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_stock_cover_only_where_listed(solver: str) -> None:
    """Demand 10, 10, 15 t at 100/t; holding 1/t; one period of cover at the end of P2 only.
    By hand: buy 10, 20, 5 and hold 10 t through P2: 3,500 + 10 = 3,510. Tightening the cover
    by 1 t buys that tonne in P2 instead of P3 and holds it (+1); loosening does the reverse
    (-1), so the dual is unique: 1 per tonne, 0.01 x 10 t x 1 = 0.1 per point. (With P3 buying
    nothing the dual would not be unique: tightening would cost 101, loosening save 1.)"""
    problem = _one_source_two_periods(
        periods=["P1", "P2", "P3"],
        sources=[{"id": "cn", "country": "CN", "capacity": {"X": 30}}],
        demand={"X": {"P1": 10, "P2": 10, "P3": 15}},
        stock={"holding_cost": {"X": 1}},
        security={"min_stock_cover": {"X": {"P2": 1.0}}},
    )
    result = optiree.solve(problem, solver=solver)
    assert result.total_cost == pytest.approx(3510)
    assert result.purchases["tonnes"].tolist() == pytest.approx([10, 20, 5])
    assert result.inventory["closing"].tolist() == pytest.approx([0, 10, 0])
    (row,) = result.constraints.query("rule == 'stock_cover'").itertuples()
    assert row.constraint == "stock_cover(X,P2)"
    assert row.shadow_price == pytest.approx(1)
    assert row.cost_per_point == pytest.approx(0.1)
