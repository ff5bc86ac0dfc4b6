"""Small problems solved by hand, one per kind of constraint, run with every solver.

Each test states its derivation: the plan, the optimal cost, and the shadow price of each rule
that binds (the marginal cost of tightening it by one tonne) with its cost per point (the
marginal cost of tightening its share or cover by 0.01). Each then checks one shadow price by
finite difference, re-solving with the rule tightened a little, and passes the result through
the independent checker. The instances avoid degenerate optima wherever a dual is asserted, so
the duals are unique; the one exception (an embargo) says so. Each asserted plan is the only
optimal plan and each asserted dual the only optimal dual: ``tests.unique.assert_unique``
checks both on the LP, so any solver, in any release, must return them.
"""

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

import optiree
from optiree import Problem, Result
from optiree.solve import SolverName
from tests.checker import COLUMNS, check
from tests.samples import two_country
from tests.unique import assert_unique

Document = dict[str, Any]


def _solve(document: Document, solver: SolverName) -> tuple[Problem, Result]:
    """Validate and solve ``document``; the result must be optimal and pass the checker."""
    problem = Problem.model_validate(document)
    result = optiree.solve(problem, solver)
    assert result.status == "optimal", result.message
    assert check(problem, result) == []
    return problem, result


def _cost(document: Document, solver: SolverName) -> float:
    result = _solve(document, solver)[1]
    assert result.total_cost is not None
    return result.total_cost


def _plan(result: Result) -> dict[tuple[str, str, str], float]:
    """Tonnes bought per (source, material, period), leaving out what is not bought."""
    rows = result.purchases[result.purchases["tonnes"] > 1e-9]
    keys = zip(rows["source"], rows["material"], rows["period"], strict=True)
    return {
        (str(s), str(m), str(t)): float(x)
        for (s, m, t), x in zip(keys, rows["tonnes"], strict=True)
    }


def _row(result: Result, name: str) -> dict[str, Any]:
    table = result.constraints.set_index("constraint")
    assert name in table.index, f"no row {name}; rows: {list(table.index)}"
    return dict(table.loc[name])


def _changed(document: Document, change: Callable[[Document], None]) -> Document:
    """A deep copy of ``document`` with ``change`` applied."""
    copy = Problem.model_validate(document).model_dump(exclude_unset=True)
    change(copy)
    return copy


def _approx(value: object) -> Any:
    return pytest.approx(value, rel=1e-6, abs=1e-6)


# -- plain demand, capacity and price order ---------------------------------------------------


def test_cheapest_capacity_is_used_first(solver: SolverName) -> None:
    """Demand 100 t of Nd; reference price 10.

    - A (CN): 60 t at the reference price, 10;
    - B (AU): 50 t at 1.5 x 10 = 15 (multiplier);
    - C (US): 100 t at its own price 20 (overrides reference x multiplier).

    By hand: fill the cheapest first: A 60 t (600), then B 40 t (600); C is not needed.
    Cost 1,200. One more tonne of demand comes from B: shadow price of balance = 15.
    """
    document: Document = {
        "name": "price order",
        "materials": [{"id": "Nd"}],
        "reference_prices": {"Nd": 10},
        "sources": [
            {"id": "A", "country": "CN", "capacity": {"Nd": 60}},
            {"id": "B", "country": "AU", "capacity": {"Nd": 50}, "price_multiplier": 1.5},
            {"id": "C", "country": "US", "capacity": {"Nd": 100}, "prices": {"Nd": 20}},
        ],
        "demand": {"Nd": 100},
    }
    problem, result = _solve(document, solver)
    assert_unique(problem, ["balance(Nd,P1)"])
    assert result.total_cost == _approx(1200)
    assert _plan(result) == _approx({("A", "Nd", "P1"): 60, ("B", "Nd", "P1"): 40})
    prices = result.purchases.set_index("source")["unit_price"]
    assert prices.to_dict() == _approx({"A": 10, "B": 15, "C": 20})
    assert _row(result, "balance(Nd,P1)")["shadow_price"] == _approx(15)

    more = _changed(document, lambda d: d.update(demand={"Nd": 100.5}))
    assert _cost(more, solver) - 1200 == _approx(0.5 * 15)


# -- max_country_share --------------------------------------------------------------------------


def test_docs_worked_example(solver: SolverName) -> None:
    """The worked example of docs/formulation.md: 50 t of Dy, China at 100, Lynas at 150,
    at most 60% from China.

    By hand: China 30 t, Lynas 20 t: 3,000 + 3,000 = 6,000. Shadow price of the share rule
    150 - 100 = 50, cost per point 50 x 0.5 t = 25; balance 0.6 x 100 + 0.4 x 150 = 120.
    """
    problem, result = _solve(two_country(), solver)
    assert_unique(problem, ["max_share(CN,Dy,P1)", "balance(Dy,P1)"])
    assert result.total_cost == _approx(6000)
    assert _plan(result) == _approx({("china", "Dy", "P1"): 30, ("lynas", "Dy", "P1"): 20})
    share = _row(result, "max_share(CN,Dy,P1)")
    assert share["shadow_price"] == _approx(50)
    assert share["cost_per_point"] == _approx(25)
    assert share["binding"]
    assert _row(result, "balance(Dy,P1)")["shadow_price"] == _approx(120)


def _max_share() -> Document:
    """Nd: CN at 10 and AU at 14, 200 t each; demand 100 t; at most 60% from CN."""
    return {
        "name": "max share",
        "materials": [{"id": "Nd"}],
        "reference_prices": {"Nd": 10},
        "sources": [
            {"id": "CN1", "country": "CN", "capacity": {"Nd": 200}},
            {"id": "AU1", "country": "AU", "capacity": {"Nd": 200}, "price_multiplier": 1.4},
        ],
        "demand": {"Nd": 100},
        "security": {"max_country_share": {"CN": 0.6}},
    }


def test_max_country_share(solver: SolverName) -> None:
    """Demand 100 t of Nd; CN sells at 10, AU at 1.4 x 10 = 14, 200 t each; CN <= 60%.

    By hand: CN 60 t, AU 40 t: 600 + 560 = 1,160.
    Duals: both sources are strictly between their bounds, so their reduced costs are 0. The
    share row reads x_CN - 0.6 (x_CN + x_AU) <= 0, i.e. 0.4 x_CN - 0.6 x_AU <= 0; with y the
    balance dual and l the share row's shadow price:
        CN: 10 = y - 0.4 l,   AU: 14 = y + 0.6 l   =>   l = 4, y = 11.6.
    Cost per point: 4 x 0.01 x 100 t bought = 4 (one point moves 1 t from CN to AU at +4).
    """
    document = _max_share()
    problem, result = _solve(document, solver)
    assert_unique(problem, ["max_share(CN,Nd,P1)", "balance(Nd,P1)"])
    assert result.total_cost == _approx(1160)
    assert _plan(result) == _approx({("CN1", "Nd", "P1"): 60, ("AU1", "Nd", "P1"): 40})
    share = _row(result, "max_share(CN,Nd,P1)")
    assert share["shadow_price"] == _approx(4)
    assert share["cost_per_point"] == _approx(4)
    assert (share["value"], share["limit"], share["binding"]) == (_approx(60), _approx(60), True)
    assert _row(result, "balance(Nd,P1)")["shadow_price"] == _approx(11.6)
    shares = result.shares.set_index("country")["share"]
    assert shares.to_dict() == _approx({"CN": 0.6, "AU": 0.4})

    # Finite difference: 0.1 point tighter costs 0.1 x cost_per_point.
    tighter = _changed(document, lambda d: d["security"].update(max_country_share={"CN": 0.599}))
    assert _cost(tighter, solver) - 1160 == _approx(0.1 * 4)
    more = _changed(document, lambda d: d.update(demand={"Nd": 101}))
    assert _cost(more, solver) - 1160 == _approx(11.6)


# -- min_cover_without --------------------------------------------------------------------------


def test_min_cover_without(solver: SolverName) -> None:
    """Demand 100 t of Nd, 10 t in stock; CN sells at 10, AU at 14; 30% of demand must be
    coverable without CN (from other sources, substitutes and opening stock).

    By hand: cover row x_AU + 10 >= 0.3 x 100 = 30, so AU 20 t; the rest of the demand,
    100 - 10 - 20 = 70 t, from CN. Cost 700 + 280 = 980.
    Duals: CN is strictly inside its bounds, so the balance dual is its price, 10; AU too:
        14 = 10 + l   =>   cover shadow price l = 4;
    cost per point 4 x 0.01 x 100 t of demand = 4. The row's value counts the stock: 20 + 10.
    """
    document: Document = {
        "name": "cover without",
        "materials": [{"id": "Nd"}],
        "reference_prices": {"Nd": 10},
        "sources": [
            {"id": "CN1", "country": "CN", "capacity": {"Nd": 200}},
            {"id": "AU1", "country": "AU", "capacity": {"Nd": 200}, "prices": {"Nd": 14}},
        ],
        "demand": {"Nd": 100},
        "stock": {"initial": {"Nd": 10}},
        "security": {"min_cover_without": [{"country": "CN", "share": 0.3}]},
    }
    problem, result = _solve(document, solver)
    assert_unique(problem, ["cover_without(CN,Nd,P1)", "balance(Nd,P1)"])
    assert result.total_cost == _approx(980)
    assert _plan(result) == _approx({("CN1", "Nd", "P1"): 70, ("AU1", "Nd", "P1"): 20})
    cover = _row(result, "cover_without(CN,Nd,P1)")
    assert (cover["value"], cover["limit"], cover["binding"]) == (_approx(30), _approx(30), True)
    assert cover["shadow_price"] == _approx(4)
    assert cover["cost_per_point"] == _approx(4)
    assert _row(result, "balance(Nd,P1)")["shadow_price"] == _approx(10)

    def tighten(d: Document) -> None:
        d["security"]["min_cover_without"][0]["share"] = 0.301

    assert _cost(_changed(document, tighten), solver) - 980 == _approx(0.1 * 4)


# -- min_stock_cover with holding cost over several periods ------------------------------------


def test_min_stock_cover_buys_early_when_cheap(solver: SolverName) -> None:
    """Three periods, demand 100 t of Nd each; one source with prices 10, 14, 11.5; holding
    costs 1 per tonne of closing stock per period; closing stock >= 0.5 x demand = 50 t.

    By hand, the cheapest way to have each tonne where it is needed:
    - P2's demand: bought in P1 and held one period, 10 + 1 = 11 < 14 (P2's price);
    - the 50 t that must close P2: bought in P1, 10 + 2 = 12 (from P2 it would be 14 + 1);
      they are then used in P3, so P3 buys only 50 t for its demand;
    - the 50 t that must close P3: bought in P3, 11.5 + 1 = 12.5 (from P1: 10 + 3 = 13).
    Plan: P1 250 t, P2 0, P3 100 t; closing stock 150, 50, 50.
    Cost: 250 x 10 + 100 x 11.5 + holding (150 + 50 + 50) x 1 = 2,500 + 1,150 + 250 = 3,900.
    Duals (all of x1, x3, I1, I2, I3 are strictly positive, so their reduced costs are 0):
        x1: y1 = 10;  I1: 1 = y2 - y1 => y2 = 11;  x3: y3 = 11.5;
        I2: 1 = y3 - y2 + l2 => l2 = 0.5;  I3: 1 = -y3 + l3 => l3 = 12.5;
    stock_cover(P1) has 100 t of slack, so l1 = 0. Cost per point: l x 0.01 x 100 t.
    """
    document: Document = {
        "name": "stock cover",
        "periods": ["P1", "P2", "P3"],
        "materials": [{"id": "Nd"}],
        "reference_prices": {"Nd": {"P1": 10, "P2": 14, "P3": 11.5}},
        "sources": [{"id": "CN1", "country": "CN", "capacity": {"Nd": 1000}}],
        "demand": {"Nd": 100},
        "stock": {"holding_cost": {"Nd": 1}},
        "security": {"min_stock_cover": {"Nd": 0.5}},
    }
    problem, result = _solve(document, solver)
    periods = ("P1", "P2", "P3")
    assert_unique(
        problem, [f"{rule}(Nd,{t})" for rule in ("stock_cover", "balance") for t in periods]
    )
    assert result.total_cost == _approx(3900)
    assert _plan(result) == _approx({("CN1", "Nd", "P1"): 250, ("CN1", "Nd", "P3"): 100})
    assert result.inventory["closing"].tolist() == _approx([150, 50, 50])
    costs = result.costs.groupby("component")["cost"].sum()
    assert costs.to_dict() == _approx({"purchases": 3650, "holding": 250})
    expected = {"P1": (0, 0), "P2": (0.5, 0.5), "P3": (12.5, 12.5)}
    for t, (shadow, per_point) in expected.items():
        row = _row(result, f"stock_cover(Nd,{t})")
        assert (row["shadow_price"], row["cost_per_point"]) == (_approx(shadow), _approx(per_point))
        assert row["binding"] == (t != "P1")
    balance = [_row(result, f"balance(Nd,{t})")["shadow_price"] for t in ("P1", "P2", "P3")]
    assert balance == _approx([10, 11, 11.5])

    # A cover of 0.501 tightens all three rows by 0.1 point: 0.1 x (0 + 0.5 + 12.5).
    tighter = _changed(document, lambda d: d["security"].update(min_stock_cover={"Nd": 0.501}))
    assert _cost(tighter, solver) - 3900 == _approx(0.1 * 13)


# -- caps: in tonnes and as a share of capacity (an embargo) -----------------------------------


def test_caps_in_tonnes_and_as_share_of_capacity(solver: SolverName) -> None:
    """Demand 100 t of Nd and 10 t of Dy; reference prices Nd 10, Dy 100.

    - CN1 (CN): Nd 80 t, Dy 20 t at the reference prices;
    - CN2 (CN): Nd 50 t at 1.2 x 10 = 12;
    - AU1 (AU): Nd 100 t at 15, Dy 20 t at 150 (multiplier 1.5).
    Caps: ``quota`` CN1 sells at most 60 t of Nd; ``cut`` CN2 sells at most 40% of its
    capacity (20 t); ``embargo`` China sells no Dy (share of capacity 0).

    By hand: Nd: CN1 60 t (quota), CN2 20 t (cut), AU1 the last 20 t: 600 + 240 + 300;
    Dy: all 10 t from AU1: 1,500. Cost 2,640.
    Duals: AU1 is strictly inside its bounds, so balance(Nd) = 15 and balance(Dy) = 150.
    quota: 10 = 15 - l => l = 5; cut: 12 = 15 - l => l = 3, cost per point 3 x 0.01 x 50 t
    of CN2 capacity = 1.5. The embargo is degenerate (CN1's Dy is 0 both by the cap and by its
    own bound): any shadow price >= 150 - 100 = 50 is a valid dual, so it is checked from the
    other side: allowing 0.1% of the 20 t of Chinese Dy capacity (0.02 t) saves 0.02 x 50 = 1.
    """
    document: Document = {
        "name": "caps",
        "materials": [{"id": "Nd"}, {"id": "Dy"}],
        "reference_prices": {"Nd": 10, "Dy": 100},
        "sources": [
            {"id": "CN1", "country": "CN", "capacity": {"Nd": 80, "Dy": 20}},
            {"id": "CN2", "country": "CN", "capacity": {"Nd": 50}, "price_multiplier": 1.2},
            {
                "id": "AU1",
                "country": "AU",
                "capacity": {"Nd": 100, "Dy": 20},
                "price_multiplier": 1.5,
            },
        ],
        "demand": {"Nd": 100, "Dy": 10},
        "caps": [
            {"id": "quota", "source": "CN1", "materials": ["Nd"], "max_tonnes": 60},
            {"id": "cut", "source": "CN2", "max_share_of_capacity": 0.4},
            {"id": "embargo", "country": "CN", "materials": ["Dy"], "max_share_of_capacity": 0},
        ],
    }
    problem, result = _solve(document, solver)
    # The embargo's dual is not unique (see above): only its lower bound is asserted.
    assert_unique(
        problem, ["cap(quota,Nd,P1)", "cap(cut,Nd,P1)", "balance(Nd,P1)", "balance(Dy,P1)"]
    )
    assert result.total_cost == _approx(2640)
    assert _plan(result) == _approx(
        {
            ("CN1", "Nd", "P1"): 60,
            ("CN2", "Nd", "P1"): 20,
            ("AU1", "Nd", "P1"): 20,
            ("AU1", "Dy", "P1"): 10,
        }
    )
    quota = _row(result, "cap(quota,Nd,P1)")
    assert (quota["value"], quota["limit"], quota["binding"]) == (_approx(60), _approx(60), True)
    assert quota["shadow_price"] == _approx(5)
    cut = _row(result, "cap(cut,Nd,P1)")
    assert (cut["value"], cut["limit"], cut["binding"]) == (_approx(20), _approx(20), True)
    assert (cut["shadow_price"], cut["cost_per_point"]) == (_approx(3), _approx(1.5))
    embargo = _row(result, "cap(embargo,Dy,P1)")
    assert (embargo["value"], embargo["limit"], embargo["binding"]) == (0, 0, True)
    assert embargo["shadow_price"] >= 50 - 1e-6
    assert embargo["cost_per_point"] == _approx(embargo["shadow_price"] * 0.2)
    assert _row(result, "balance(Nd,P1)")["shadow_price"] == _approx(15)
    assert _row(result, "balance(Dy,P1)")["shadow_price"] == _approx(150)

    def quota_59(d: Document) -> None:
        d["caps"][0]["max_tonnes"] = 59

    def cut_399(d: Document) -> None:
        d["caps"][1]["max_share_of_capacity"] = 0.399

    def embargo_lifted_a_little(d: Document) -> None:
        d["caps"][2]["max_share_of_capacity"] = 0.001

    assert _cost(_changed(document, quota_59), solver) - 2640 == _approx(5)
    assert _cost(_changed(document, cut_399), solver) - 2640 == _approx(0.1 * 1.5)
    assert _cost(_changed(document, embargo_lifted_a_little), solver) - 2640 == _approx(-1)


# -- substitution -------------------------------------------------------------------------------


def test_substitution_when_cheaper_than_the_tonnes_it_saves(solver: SolverName) -> None:
    """Demand 100 t of Nd and 10 t of Dy in P1 and P2, bought from CN at 10 and 100.
    A substitute saves 1 t of Nd and 0.1 t of Dy per unit, worth 10 + 0.1 x 100 = 20; it costs
    18 in P1 and 25 in P2, up to 50 units a period. Holding stock costs 1 a tonne a period.

    By hand: P1 uses all 50 units (18 < 20): 900, and buys 50 t Nd and 5 t Dy: 500 + 500.
    P2 uses none (25 > 20) and buys 100 t Nd and 10 t Dy: 1,000 + 1,000. Cost 3,900.
    The holding cost makes this plan the only optimum: P2's tonnes bought in P1 would cost
    10 + 1 and 100 + 1 (with no holding cost any split of P2's purchases between P1 and P2
    costs the same, and solvers differ in the one they return), so no stock is held.
    Purchases stay strictly inside their bounds, so the balance duals are the prices: 10 for
    Nd and 100 for Dy in both periods; the net_demand rows (savings <= demand) have slack.
    """
    document: Document = {
        "name": "substitution",
        "periods": ["P1", "P2"],
        "materials": [{"id": "Nd"}, {"id": "Dy"}],
        "reference_prices": {"Nd": 10, "Dy": 100},
        "sources": [{"id": "CN1", "country": "CN", "capacity": {"Nd": 200, "Dy": 200}}],
        "substitutes": [
            {
                "id": "ferrite",
                "saves": {"Nd": 1, "Dy": 0.1},
                "cost": {"P1": 18, "P2": 25},
                "capacity": 50,
            }
        ],
        "demand": {"Nd": 100, "Dy": 10},
        "stock": {"holding_cost": {"Nd": 1, "Dy": 1}},
    }
    problem, result = _solve(document, solver)
    assert_unique(problem, [f"balance({m},{t})" for m in ("Nd", "Dy") for t in ("P1", "P2")])
    assert result.total_cost == _approx(3900)
    assert _plan(result) == _approx(
        {
            ("CN1", "Nd", "P1"): 50,
            ("CN1", "Dy", "P1"): 5,
            ("CN1", "Nd", "P2"): 100,
            ("CN1", "Dy", "P2"): 10,
        }
    )
    used = result.substitution.set_index("period")
    assert used["units"].to_dict() == _approx({"P1": 50, "P2": 0})
    assert used["saved_Dy"].to_dict() == _approx({"P1": 5, "P2": 0})
    assert used["unit_cost"].to_dict() == _approx({"P1": 18, "P2": 25})
    assert result.inventory["closing"].tolist() == _approx([0, 0, 0, 0])
    for t in ("P1", "P2"):
        assert _row(result, f"balance(Nd,{t})")["shadow_price"] == _approx(10)
        assert _row(result, f"balance(Dy,{t})")["shadow_price"] == _approx(100)

    # Finite difference: 1 t more Dy in P1 is bought at 100.
    more = _changed(document, lambda d: d.update(demand={"Nd": 100, "Dy": {"P1": 11, "P2": 10}}))
    assert _cost(more, solver) - 3900 == _approx(100)
    # And a substitute worth its price in P2 too (cost 19 < 20) replaces 50 t there as well.
    cheaper = _changed(document, lambda d: d["substitutes"][0].update(cost={"P1": 18, "P2": 19}))
    assert _cost(cheaper, solver) == _approx(3900 - 50 * (20 - 19))


# -- shortage penalty (elastic mode) -------------------------------------------------------------


def test_shortage_penalty_below_and_above_the_price(solver: SolverName) -> None:
    """Nd: demand 100 t; CN sells 60 t at 10, AU 100 t at 30; going short costs 20 a tonne.
    Dy: demand 10 t; CN sells 8 t at 100; going short costs 150 a tonne.

    By hand: Nd: CN's 60 t (10 < 20), then shortage (20 < 30) for 40 t: 600 + 800.
    Dy: all 8 t from CN (100 < 150), 2 t short: 800 + 300. Cost 2,500.
    Duals: the shortages are strictly inside [0, demand], so the balance duals are the
    penalties, 20 and 150.
    """
    document: Document = {
        "name": "elastic",
        "materials": [{"id": "Nd"}, {"id": "Dy"}],
        "reference_prices": {"Nd": 10, "Dy": 100},
        "sources": [
            {"id": "CN1", "country": "CN", "capacity": {"Nd": 60, "Dy": 8}},
            {"id": "AU1", "country": "AU", "capacity": {"Nd": 100}, "prices": {"Nd": 30}},
        ],
        "demand": {"Nd": 100, "Dy": 10},
        "shortage_penalty": {"Nd": 20, "Dy": 150},
    }
    problem, result = _solve(document, solver)
    assert_unique(problem, ["balance(Nd,P1)", "balance(Dy,P1)"])
    assert result.total_cost == _approx(2500)
    assert _plan(result) == _approx({("CN1", "Nd", "P1"): 60, ("CN1", "Dy", "P1"): 8})
    short = result.shortage.set_index("material")
    assert short["tonnes"].to_dict() == _approx({"Nd": 40, "Dy": 2})
    assert short["cost"].to_dict() == _approx({"Nd": 800, "Dy": 300})
    assert _row(result, "balance(Nd,P1)")["shadow_price"] == _approx(20)
    assert _row(result, "balance(Dy,P1)")["shadow_price"] == _approx(150)

    more = _changed(document, lambda d: d.update(demand={"Nd": 101, "Dy": 10}))
    assert _cost(more, solver) - 2500 == _approx(20)


# -- available_from ------------------------------------------------------------------------------


def test_available_from(solver: SolverName) -> None:
    """Demand 100 t of Nd in P1 and P2. CN sells up to 120 t at its own price 20; AU sells up
    to 150 t at the reference price 10, but only from P2. Holding costs 0.5 a tonne.

    By hand: P1 can only buy from CN: 100 t x 20. In P2, AU is cheaper: 100 t x 10. Buying
    P2's tonnes in P1 would cost 20 + 0.5. Cost 3,000. Both purchases are strictly inside
    their bounds, so balance(P1) = 20 and balance(P2) = 10. AU has no purchase row in P1.
    """
    document: Document = {
        "name": "late source",
        "periods": ["P1", "P2"],
        "materials": [{"id": "Nd"}],
        "reference_prices": {"Nd": 10},
        "sources": [
            {"id": "CN1", "country": "CN", "capacity": {"Nd": 120}, "prices": {"Nd": 20}},
            {"id": "AU1", "country": "AU", "capacity": {"Nd": 150}, "available_from": "P2"},
        ],
        "demand": {"Nd": 100},
        "stock": {"holding_cost": {"Nd": 0.5}},
    }
    problem, result = _solve(document, solver)
    assert_unique(problem, ["balance(Nd,P1)", "balance(Nd,P2)"])
    assert result.total_cost == _approx(3000)
    assert _plan(result) == _approx({("CN1", "Nd", "P1"): 100, ("AU1", "Nd", "P2"): 100})
    offered = set(zip(result.purchases["source"], result.purchases["period"], strict=True))
    assert offered == {("CN1", "P1"), ("CN1", "P2"), ("AU1", "P2")}
    assert _row(result, "balance(Nd,P1)")["shadow_price"] == _approx(20)
    assert _row(result, "balance(Nd,P2)")["shadow_price"] == _approx(10)

    more = _changed(document, lambda d: d.update(demand={"Nd": {"P1": 101, "P2": 100}}))
    assert _cost(more, solver) - 3000 == _approx(20)


# -- infeasible ----------------------------------------------------------------------------------


def test_infeasible_demand_beyond_capacity(solver: SolverName) -> None:
    """Demand 100 t, 50 t of capacity, no stock and no shortage penalty: no plan exists. The
    result says so in words, with no cost and empty tables; nothing is raised."""
    problem = Problem.model_validate(
        {
            "name": "too little",
            "materials": [{"id": "Nd"}],
            "reference_prices": {"Nd": 10},
            "sources": [{"id": "CN1", "country": "CN", "capacity": {"Nd": 50}}],
            "demand": {"Nd": 100},
        }
    )
    result = optiree.solve(problem, solver)
    assert result.status == "infeasible"
    assert result.total_cost is None
    assert result.message.startswith("infeasible")
    assert "shortage_penalty" in result.message  # it says how to fix it
    assert all(table.empty for table in result.tables().values())
    assert all(list(table.columns) == COLUMNS[name] for name, table in result.tables().items())


def test_infeasible_before_solving_names_the_row(solver: SolverName) -> None:
    """Half the demand must be coverable without China, but only China sells and there is no
    stock: the cover row has nothing on its left-hand side, so the message names it."""
    problem = Problem.model_validate(
        {
            "name": "only china",
            "materials": [{"id": "Nd"}],
            "reference_prices": {"Nd": 10},
            "sources": [{"id": "CN1", "country": "CN", "capacity": {"Nd": 500}}],
            "demand": {"Nd": 100},
            "security": {"min_cover_without": [{"country": "CN", "share": 0.5}]},
        }
    )
    result = optiree.solve(problem, solver)
    assert result.status == "infeasible"
    assert result.total_cost is None
    assert "cover_without(CN,Nd,P1)" in result.message


def test_infeasible_when_nothing_can_supply_names_the_row(solver: SolverName) -> None:
    """Demand for Nd but no source sells Nd and there is no stock. docs/formulation.md ("Rows
    that are not generated") promises that such a problem is reported infeasible before the
    solver runs, naming the row."""
    problem = Problem.model_validate(
        {
            "name": "no supplier",
            "materials": [{"id": "Nd"}, {"id": "Dy"}],
            "reference_prices": {"Nd": 10, "Dy": 100},
            "sources": [{"id": "CN1", "country": "CN", "capacity": {"Dy": 50}}],
            "demand": {"Nd": 100, "Dy": 10},
        }
    )
    result = optiree.solve(problem, solver)
    assert result.status == "infeasible"
    assert result.total_cost is None
    assert "balance(Nd,P1)" in result.message, result.message


# -- solver limits ---------------------------------------------------------------------------


def test_a_time_limit_never_passes_off_an_unfinished_plan_as_optimal(solver: SolverName) -> None:
    """With a time limit too short to finish, the result must not claim to be optimal with a
    plan that breaks the problem (it should report ``time_limit``). 40 periods x 10
    materials x 30 sources take about 0.3 s to build and solve; the limit is 1 ms."""
    periods = [f"P{i}" for i in range(40)]
    materials = [f"M{j}" for j in range(10)]
    problem = Problem.model_validate(
        {
            "name": "large",
            "periods": periods,
            "materials": [{"id": m} for m in materials],
            "reference_prices": {m: 10 + j for j, m in enumerate(materials)},
            "sources": [
                {
                    "id": f"S{i}",
                    "country": f"C{i % 5}",
                    "capacity": dict.fromkeys(materials, 80),
                    "price_multiplier": 1 + i / 10,
                }
                for i in range(30)
            ],
            "demand": dict.fromkeys(materials, 100),
            "security": {"max_country_share": {"C0": 0.3}},
        }
    )
    result = optiree.solve(problem, solver, time_limit=0.001)
    if result.status == "optimal":
        assert check(problem, result, duals=False) == []
    else:
        assert result.status == "time_limit"
        assert result.total_cost is None


# -- the checker itself ---------------------------------------------------------------------------


def _corrupt(result: Result, table: str, row: int, column: str, value: Any) -> Result:
    frame = getattr(result, table).copy()
    frame.loc[frame.index[row], column] = value
    return dataclasses.replace(result, **{table: frame})


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "found"),
    [
        ("purchases", 0, "tonnes", 61.0, "inventory[Nd,P1]: purchased"),
        ("purchases", 1, "tonnes", 30.0, "demand 100.0 t not met"),
        ("purchases", 1, "unit_price", 13.0, "unit_price 13.0, expected 14.0"),
        ("purchases", 1, "country", "CN", "country 'CN'"),
        ("inventory", 0, "closing", 5.0, "surplus"),
        ("shares", 0, "share", 0.5, "shares[Nd,P1,CN]: share 0.5"),
        ("costs", 0, "cost", 599.0, "costs[purchases,CN1]"),
        ("constraints", 1, "shadow_price", 5.0, "cost_per_point"),
        ("constraints", 1, "binding", False, "binding False"),
        ("constraints", 0, "shadow_price", 10.0, "duals: dual objective"),
    ],
)
def test_the_checker_catches_a_corrupted_result(
    table: str, row: int, column: str, value: Any, found: str
) -> None:
    """The max_country_share instance (CN 60 t at 10, AU 40 t at 14), one number changed."""
    problem, result = _solve(_max_share(), "highs")
    violations = check(problem, _corrupt(result, table, row, column, value))
    assert any(found in v for v in violations), violations


def _two_countries() -> Document:
    """Nd from CN at 10 or AU at 15, Dy from CN at 100 or AU at 150; demand 100 t and 10 t.
    Everything from CN: 100 x 10 + 10 x 100 = 2,000."""
    return {
        "name": "two countries",
        "materials": [{"id": "Nd"}, {"id": "Dy"}],
        "reference_prices": {"Nd": 10, "Dy": 100},
        "sources": [
            {"id": "CN1", "country": "CN", "capacity": {"Nd": 200, "Dy": 50}},
            {
                "id": "AU1",
                "country": "AU",
                "capacity": {"Nd": 200, "Dy": 50},
                "price_multiplier": 1.5,
            },
        ],
        "demand": {"Nd": 100, "Dy": 10},
    }


def test_the_checker_catches_a_wrong_total_cost() -> None:
    document = _two_countries()
    problem, result = _solve(document, "highs")
    violations = check(problem, dataclasses.replace(result, total_cost=2001.0))
    assert any("costs add up to 2000.0, not total_cost 2001.0" in v for v in violations)
    assert any("objective recomputed" in v for v in violations)
