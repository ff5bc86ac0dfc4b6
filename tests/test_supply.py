"""Supply realism solved by hand: co-product feeds, shared separation, price tiers and floors,
contracts, totals over periods and materials, substitution ramps and shares, and units.

Each test states its derivation (plan, optimal cost, the shadow price of the row that matters),
runs with every solver, passes the result through the independent checker, and checks one
shadow price by finite difference where the optimum is not degenerate.
"""

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from pydantic import ValidationError

import optiree
from optiree import Problem, Result
from optiree.disruption.scenarios import for_disruption
from optiree.solve import SolverName
from tests.checker import check
from tests.unique import assert_unique_duals, assert_unique_plan

Document = dict[str, Any]


def _solve(document: Document, solver: SolverName) -> Result:
    problem = Problem.model_validate(document)
    result = optiree.solve(problem, solver)
    assert result.status == "optimal", result.message
    assert check(problem, result) == []
    return result


def unique(document: Document, rows: Sequence[str] = (), kinds: tuple[str, ...] = ()) -> None:
    """The shadow prices of ``rows`` are unique, and so are the variables of ``kinds`` (the
    whole plan is not always: with no holding cost, tonnes may move between periods)."""
    problem = Problem.model_validate(document)
    assert_unique_duals(problem, rows)
    if kinds:
        assert_unique_plan(problem, kinds)


def _approx(value: object) -> Any:
    return pytest.approx(value, rel=1e-6, abs=1e-6)


def _row(result: Result, name: str) -> dict[str, Any]:
    table = result.constraints.set_index("constraint")
    assert name in table.index, f"no row {name}; rows: {list(table.index)}"
    return dict(table.loc[name])


def _marginal(
    document: Document, change: Callable[[Document], None], solver: SolverName, step: float
) -> float:
    """(cost after ``change`` - cost before) / ``step``: a finite-difference shadow price."""
    before = _solve(document, solver).total_cost
    changed = Problem.model_validate(document).model_dump(exclude_unset=True)
    change(changed)
    after = _solve(changed, solver).total_cost
    assert before is not None
    assert after is not None
    return (after - before) / step


# -- co-products --------------------------------------------------------------------------------


def feed_problem(disposal_cost: float = 2.0) -> Document:
    """China sells NdPr at 100/t and no Dy; Lynas sells only Mount Weld feed at 20 per tonne
    of feed (20,000 t a period), yielding 0.05 t NdPr and 0.001 t Dy per tonne.

    Demand: 10 t Dy, 50 t NdPr. 10 t Dy needs 10,000 t of feed (200,000), which brings 500 t of
    NdPr: 50 t meet demand, 300 t are sold at 10 (3,000 back), the last 150 t are wasted at
    ``disposal_cost`` (holding costs 5, so it is not stocked). China sells nothing.
    Cost 200,000 - 3,000 + 150 x disposal_cost.
    """
    return {
        "name": "feed",
        "materials": [{"id": "NdPr"}, {"id": "Dy"}],
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"NdPr": 1000}, "prices": {"NdPr": 100}},
            {
                "id": "lynas",
                "country": "AU",
                "feeds": [
                    {
                        "id": "mtweld",
                        "yields": {"NdPr": 0.05, "Dy": 0.001},
                        "price_per_tonne_feed": 20,
                        "capacity": 20000,
                    }
                ],
            },
        ],
        "demand": {"NdPr": 50, "Dy": 10},
        "stock": {"holding_cost": {"NdPr": 5}},
        "surplus": {"NdPr": {"salvage_price": 10, "max_sold": 300, "disposal_cost": disposal_cost}},
    }


def test_feed_brings_co_products_to_sale_and_waste(solver: SolverName) -> None:
    """Balance(Dy): one more tonne needs 1,000 t more feed (20,000) whose 50 t of NdPr are
    wasted (100): 20,100. Balance(NdPr) is an equation (disposal costs 2): one more tonne of
    demand is a tonne less to waste, so its shadow price is -2."""
    document = feed_problem()
    result = _solve(document, solver)
    unique(document, ["balance(Dy,P1)", "balance(NdPr,P1)"])
    assert result.total_cost == _approx(200_000 - 3_000 + 300)
    feeds = result.feeds.set_index(["feed", "period"])
    assert feeds.loc[("mtweld", "P1"), "tonnes"] == _approx(10_000)
    supply = result.supply.set_index(["source", "material", "period"])
    assert supply.loc[("lynas", "NdPr", "P1"), "from_feeds"] == _approx(500)
    assert supply.loc[("lynas", "Dy", "P1"), "tonnes"] == _approx(10)
    assert supply.loc[("china", "NdPr", "P1"), "tonnes"] == _approx(0)
    inventory = result.inventory.set_index(["material", "period"])
    assert inventory.loc[("NdPr", "P1"), "sold"] == _approx(300)
    assert inventory.loc[("NdPr", "P1"), "surplus"] == _approx(150)
    costs = result.costs.set_index(["component", "item"])["cost"]
    assert costs["sales", "NdPr"] == _approx(-3_000)
    assert costs["disposal", "NdPr"] == _approx(300)
    assert costs["feeds", "mtweld"] == _approx(200_000)
    assert _row(result, "balance(Dy,P1)")["shadow_price"] == _approx(20_100)
    nd = _row(result, "balance(NdPr,P1)")
    assert nd["sense"] == "="
    assert nd["shadow_price"] == _approx(-2)

    def more_dy(d: Document) -> None:
        d["demand"]["Dy"] = 10.01

    assert _marginal(document, more_dy, solver, 0.01) == _approx(20_100)


def test_free_disposal_keeps_the_balance_an_inequality(solver: SolverName) -> None:
    """Without a disposal cost the 150 t are disposed of free: cost 197,000."""
    result = _solve(feed_problem(disposal_cost=0.0), solver)
    assert result.total_cost == _approx(197_000)
    assert _row(result, "balance(NdPr,P1)")["sense"] == ">="
    inventory = result.inventory.set_index(["material", "period"])
    assert inventory.loc[("NdPr", "P1"), "surplus"] == _approx(150)


def test_shared_separation_capacity(solver: SolverName) -> None:
    """China sells NdPr at 100; Lynas NdPr at 150 and Dy at 1,500 (the only Dy), each up to
    100 t but 40 t in all (separation); a recycler NdPr at 300. At most 50% from China.

    Demand 50 t NdPr, 20 t Dy. Lynas' Dy takes 20 t of the 40, leaving 20 t of NdPr. China
    may sell as much as the others together: China 25, Lynas 20, recycler 5. Cost 2,500 +
    3,000 + 1,500 + 30,000 = 37,000. One more tonne of separation replaces a recycled tonne by
    a Lynas one: 300 - 150 = 150.
    """
    document: Document = {
        "name": "separation",
        "materials": [{"id": "NdPr"}, {"id": "Dy"}],
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"NdPr": 100}, "prices": {"NdPr": 100}},
            {
                "id": "lynas",
                "country": "AU",
                "capacity": {"NdPr": 100, "Dy": 100},
                "prices": {"NdPr": 150, "Dy": 1500},
                "separation_capacity": 40,
            },
            {"id": "recycler", "country": "JP", "capacity": {"NdPr": 100}, "prices": {"NdPr": 300}},
        ],
        "demand": {"NdPr": 50, "Dy": 20},
        "security": {"max_country_share": {"CN": 0.5}},
    }
    result = _solve(document, solver)
    unique(document, ["separation(lynas,P1)"])
    assert result.total_cost == _approx(37_000)
    row = _row(result, "separation(lynas,P1)")
    assert row["rule"] == "separation"
    assert row["material"] == ""
    assert row["shadow_price"] == _approx(150)

    def wider(d: Document) -> None:
        d["sources"][1]["separation_capacity"] = 41

    assert _marginal(document, wider, solver, 1) == _approx(-150)


# -- tiers and floors ---------------------------------------------------------------------------


def tier_problem() -> Document:
    """China's NdPr in bands: 30 t at 100, to 60 t at 120, above at 150 (capacity 100);
    Lynas at 1.6 x the reference 100 = 160. Demand 70 t."""
    return {
        "name": "tiers",
        "materials": [{"id": "NdPr"}],
        "reference_prices": {"NdPr": 100},
        "sources": [
            {
                "id": "china",
                "country": "CN",
                "capacity": {"NdPr": 100},
                "tiers": {
                    "NdPr": [
                        {"up_to": 30, "price": 100},
                        {"up_to": 60, "price": 120},
                        {"price": 150},
                    ]
                },
            },
            {"id": "lynas", "country": "AU", "price_multiplier": 1.6, "capacity": {"NdPr": 100}},
        ],
        "demand": {"NdPr": 70},
    }


def test_tiers_fill_the_cheaper_band_first(solver: SolverName) -> None:
    """30 t at 100, 30 t at 120, 10 t at 150 (cheaper than Lynas' 160): 8,100. One more tonne
    comes from the third band: balance shadow price 150."""
    result = _solve(tier_problem(), solver)
    unique(tier_problem(), ["balance(NdPr,P1)"])
    assert result.total_cost == _approx(8_100)
    bands = result.purchases.set_index(["source", "tier"])
    assert bands.loc[("china", 1), "tonnes"] == _approx(30)
    assert bands.loc[("china", 2), "tonnes"] == _approx(30)
    assert bands.loc[("china", 3), "tonnes"] == _approx(10)
    assert bands.loc[("china", 3), "capacity"] == _approx(40)  # cut at the capacity of 100
    assert _row(result, "balance(NdPr,P1)")["shadow_price"] == _approx(150)


def test_price_floor_and_share_rule(solver: SolverName) -> None:
    """Lynas is guaranteed twice the reference price (200 > 160), and at most 80% may come from
    China: China 56 t (30 at 100, 26 at 120), Lynas 14 t at 200. Cost 3,000 + 3,120 + 2,800 =
    8,920. Tightening the share row by a tonne moves it from China's second band to Lynas:
    200 - 120 = 80. One more tonne of demand: 0.8 x 120 + 0.2 x 200 = 136."""
    document = tier_problem()
    document["sources"][1]["price_floor_multiplier"] = 2.0
    document["security"] = {"max_country_share": {"CN": 0.8}}
    result = _solve(document, solver)
    unique(document, ["max_share(CN,NdPr,P1)", "balance(NdPr,P1)"])
    assert result.total_cost == _approx(8_920)
    lynas = result.purchases[result.purchases["source"] == "lynas"]
    assert lynas["unit_price"].tolist() == [_approx(200)]
    assert _row(result, "max_share(CN,NdPr,P1)")["shadow_price"] == _approx(80)
    assert _row(result, "balance(NdPr,P1)")["shadow_price"] == _approx(136)

    def more(d: Document) -> None:
        d["demand"]["NdPr"] = 71

    assert _marginal(document, more, solver, 1) == _approx(136)


def test_falling_tier_prices_are_refused() -> None:
    """Tiers whose price falls are refused at the tier, pointing at all-unit discounts."""
    document = tier_problem()
    document["sources"][0]["tiers"]["NdPr"][1]["price"] = 90
    with pytest.raises(ValidationError) as caught:
        Problem.model_validate(document)
    errors = caught.value.errors()
    assert [e["loc"] for e in errors] == [("sources", 0, "tiers", "NdPr", 1)]
    assert "the price falls from 100 to 90 at tier 2" in errors[0]["msg"]
    assert "give 'discounts' instead of 'tiers'" in errors[0]["msg"]


# -- contracts ----------------------------------------------------------------------------------


def contract_problem(**contract: Any) -> Document:
    """Two periods, 30 t of NdPr each; China at 100, Lynas at 150; one Lynas contract."""
    return {
        "name": "contract",
        "periods": ["P1", "P2"],
        "materials": [{"id": "NdPr"}],
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"NdPr": 100}, "prices": {"NdPr": 100}},
            {"id": "lynas", "country": "AU", "capacity": {"NdPr": 100}, "prices": {"NdPr": 150}},
        ],
        "demand": {"NdPr": 30},
        "contracts": [{"id": "offtake", "source": "lynas"} | contract],
    }


def test_take_or_pay_over_the_horizon(solver: SolverName) -> None:
    """80 t over both periods, untaken tonnes paid at 100. A Lynas tonne costs 150 but saves
    100 of shortfall (net 50, cheaper than China's 100): Lynas meets all 60 t, 20 t are paid
    for untaken (2,000). Cost 9,000 + 2,000 = 11,000. The contract row's shadow price is the
    take-or-pay price, 100; one more tonne of demand costs 50."""
    document = contract_problem(min_tonnes=80, sum_over=["periods"], take_or_pay=100)
    result = _solve(document, solver)
    unique(document, ["contract(offtake,NdPr,P1..P2)", "balance(NdPr,P2)"])
    assert result.total_cost == _approx(11_000)
    row = _row(result, "contract(offtake,NdPr,P1..P2)")
    assert row["period"] == "P1..P2"
    assert row["shadow_price"] == _approx(100)
    costs = result.costs.set_index(["component", "item"])["cost"]
    assert costs["take_or_pay", "offtake"] == _approx(2_000)
    assert _row(result, "balance(NdPr,P2)")["shadow_price"] == _approx(50)

    def more(d: Document) -> None:
        d["contracts"][0]["min_tonnes"] = 81

    assert _marginal(document, more, solver, 1) == _approx(100)


def test_hard_minimum_buys_beyond_demand(solver: SolverName) -> None:
    """A hard 80 t minimum: Lynas sells 80 t, 20 t more than demand: 12,000."""
    result = _solve(contract_problem(min_tonnes=80, sum_over=["periods"]), solver)
    assert result.total_cost == _approx(12_000)
    assert result.purchases.groupby("source")["tonnes"].sum()["lynas"] == _approx(80)


def test_fixed_volume_per_period(solver: SolverName) -> None:
    """Exactly 25 t a period from Lynas, China the other 5: 2 x (3,750 + 500) = 8,500. One
    more contracted tonne replaces a China tonne: 150 - 100 = 50."""
    document = contract_problem(fixed_tonnes=25)
    result = _solve(document, solver)
    unique(document, ["contract(offtake,NdPr,P1)"])
    assert result.total_cost == _approx(8_500)
    row = _row(result, "contract(offtake,NdPr,P1)")
    assert row["sense"] == "="
    assert row["shadow_price"] == _approx(50)


def test_a_contract_beyond_capacity_is_diagnosed() -> None:
    """A hard 150 t a period from Lynas' 100 t: the contract must give 50 t a period."""
    problem = Problem.model_validate(contract_problem(min_tonnes=150))
    assert optiree.solve(problem).status == "infeasible"
    diagnosis = optiree.diagnose(problem)
    rules = diagnosis.rules.set_index("field")
    assert rules.loc["contracts.0.min_tonnes", "sufficient"] == _approx(100)
    assert optiree.solve(diagnosis.apply(problem)).status == "optimal"


# -- caps over several periods or materials -----------------------------------------------------


def test_annual_quota(solver: SolverName) -> None:
    """China may sell 50 t over both periods (demand 30 t each): China 50, Lynas 10.
    Cost 5,000 + 1,500 = 6,500; the quota's shadow price is 150 - 100 = 50."""
    document = contract_problem(min_tonnes=0)
    document["contracts"] = []
    document["caps"] = [{"id": "quota", "country": "CN", "sum_over": ["periods"], "max_tonnes": 50}]
    result = _solve(document, solver)
    unique(document, ["cap(quota,NdPr,P1..P2)"])
    assert result.total_cost == _approx(6_500)
    assert _row(result, "cap(quota,NdPr,P1..P2)")["shadow_price"] == _approx(50)


def test_quota_over_materials(solver: SolverName) -> None:
    """China may sell 40 t of NdPr and Dy together; demand 30 t NdPr, 20 t Dy. China's tonnes
    save 500 on Dy against 50 on NdPr: China 20 Dy + 20 NdPr, Lynas 10 NdPr. Cost 20,000 +
    2,000 + 1,500 = 23,500; the marginal quota tonne is NdPr: shadow price 50."""
    document: Document = {
        "name": "quota over materials",
        "materials": [{"id": "NdPr"}, {"id": "Dy"}],
        "sources": [
            {
                "id": "china",
                "country": "CN",
                "capacity": {"NdPr": 100, "Dy": 100},
                "prices": {"NdPr": 100, "Dy": 1000},
            },
            {
                "id": "lynas",
                "country": "AU",
                "capacity": {"NdPr": 100, "Dy": 100},
                "prices": {"NdPr": 150, "Dy": 1500},
            },
        ],
        "demand": {"NdPr": 30, "Dy": 20},
        "caps": [{"id": "q", "country": "CN", "sum_over": ["materials"], "max_tonnes": 40}],
    }
    result = _solve(document, solver)
    unique(document, ["cap(q,NdPr+Dy,P1)"])
    assert result.total_cost == _approx(23_500)
    assert _row(result, "cap(q,NdPr+Dy,P1)")["shadow_price"] == _approx(50)


def test_quota_over_materials_counts_each_yield_of_a_feed(solver: SolverName) -> None:
    """A feed yields 0.05 t NdPr and 0.001 t Dy a tonne (20 a tonne); Dy short costs 30,000/t,
    China sells NdPr at 100. Demand 50 t NdPr, 1 t Dy. Australia may deliver 25.5 t of both
    together: a tonne of feed counts 0.051 t, so at most 500 t of feed (10,000), giving 25 t
    NdPr and 0.5 t Dy; China sells the other 25 t NdPr (2,500) and 0.5 t Dy is short (15,000).
    Cost 27,500. A tonne of feed is worth 30 + 5 - 20 = 15 net, and a tonne more of quota
    allows 1/0.051 t more of it: shadow price 15/0.051."""
    document = feed_problem(disposal_cost=0.0)
    document["demand"] = {"NdPr": 50, "Dy": 1}
    document["shortage_penalty"] = {"Dy": 30_000}
    document["caps"] = [{"id": "q", "country": "AU", "sum_over": ["materials"], "max_tonnes": 25.5}]
    result = _solve(document, solver)
    unique(document, ["cap(q,NdPr+Dy,P1)"], kinds=("feed",))
    assert result.total_cost == _approx(27_500)
    assert result.feeds["tonnes"].sum() == _approx(500)
    assert _row(result, "cap(q,NdPr+Dy,P1)")["shadow_price"] == _approx(15 / 0.051)


# -- substitution ramps and shares --------------------------------------------------------------


def ramp_problem(
    ramp: Document | None = None, share: float | dict[str, float] | None = None
) -> Document:
    """Three periods of 20 t Dy at 100 from China; ferrite motors save 1 t a unit at 50."""
    substitute: Document = {"id": "ferrite", "saves": {"Dy": 1}, "cost": 50, "capacity": 100}
    if ramp is not None:
        substitute["ramp"] = ramp
    if share is not None:
        substitute["max_share_of_demand"] = {"Dy": share}
    return {
        "name": "ramp",
        "periods": ["P1", "P2", "P3"],
        "materials": [{"id": "Dy"}],
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"Dy": 100}, "prices": {"Dy": 100}}
        ],
        "substitutes": [substitute],
        "demand": {"Dy": 20},
    }


def test_ramp_by_units(solver: SolverName) -> None:
    """Use grows by at most 5 units a period from 0: 5, 10, 15 units (1,500); 15 + 10 + 5 =
    30 t bought (3,000). Cost 4,500. A unit more in P3 saves 50; in P2 it also lifts P3's
    limit: 100; in P1: 150."""
    document = ramp_problem({"max_increase": 5})
    result = _solve(document, solver)
    unique(document, [f"ramp(ferrite,{t})" for t in ("P1", "P2", "P3")], kinds=("sub",))
    assert result.total_cost == _approx(4_500)
    assert result.substitution["units"].tolist() == [_approx(5), _approx(10), _approx(15)]
    for period, shadow in [("P1", 150), ("P2", 100), ("P3", 50)]:
        row = _row(result, f"ramp(ferrite,{period})")
        assert row["shadow_price"] == _approx(shadow)
        assert row["subject"] == "ferrite"

    def faster(d: Document) -> None:
        d["substitutes"][0]["ramp"]["max_increase"] = 6

    # one more unit of increase in every period: 3 + 2 + 1 = 6 units more, 50 each
    assert _marginal(document, faster, solver, 1) == _approx(-300)


def test_ramp_by_growth(solver: SolverName) -> None:
    """From 2 units before the start, growth 50% plus 4: 7, 14.5, then 25.75 capped at the
    demand of 20. Units 41.5 (2,075); bought 13 + 5.5 = 18.5 t (1,850). Cost 3,925."""
    document = ramp_problem({"max_increase": 4, "max_growth": 0.5, "initial": 2})
    result = _solve(document, solver)
    unique(document, kinds=("sub",))
    assert result.total_cost == _approx(3_925)
    assert result.substitution["units"].tolist() == [_approx(7), _approx(14.5), _approx(20)]


def test_share_of_demand(solver: SolverName) -> None:
    """At most 25% of demand: 5 units a period (750), 45 t bought (4,500): 5,250. A tonne more
    of the limit saves 50; a point is 0.2 t: 10."""
    document = ramp_problem(share=0.25)
    result = _solve(document, solver)
    unique(document, ["sub_share(ferrite,Dy,P2)"])
    assert result.total_cost == _approx(5_250)
    row = _row(result, "sub_share(ferrite,Dy,P2)")
    assert row["shadow_price"] == _approx(50)
    assert row["cost_per_point"] == _approx(10)


# -- units and stock days -----------------------------------------------------------------------


def test_units_magnet_demand_and_prices_per_kg(solver: SolverName) -> None:
    """100 t of magnet at 0.35 t NdPr oxide a tonne is 35 t REO; 80 USD/kg REO is 80,000 per t;
    capacity 50,000 kg REO is 50 t. Cost 35 x 80,000 = 2,800,000."""
    document: Document = {
        "name": "units",
        "units": {"demand": "t magnet", "prices": "kg REO", "quantities": "kg REO"},
        "materials": [{"id": "NdPr", "reo_per_tonne": {"magnet": 0.35}}],
        "reference_prices": {"NdPr": 80},
        "sources": [{"id": "china", "country": "CN", "capacity": {"NdPr": 50_000}}],
        "demand": {"NdPr": 100},
    }
    result = _solve(document, solver)
    assert result.total_cost == _approx(2_800_000)
    assert result.purchases["tonnes"].tolist() == [_approx(35)]
    assert result.purchases["unit_price"].tolist() == [_approx(80_000)]


def test_units_need_their_conversion_factor() -> None:
    document: Document = {
        "name": "units",
        "units": {"prices": "kg metal"},
        "materials": [{"id": "Dy"}],
        "reference_prices": {"Dy": 400},
        "sources": [{"id": "china", "country": "CN", "capacity": {"Dy": 5}}],
        "demand": {"Dy": 1},
    }
    with pytest.raises(ValidationError) as caught:
        Problem.model_validate(document)
    [error] = caught.value.errors()
    assert error["loc"] == ("materials", 0, "reo_per_tonne")
    assert "kg metal" in error["msg"]


def test_stock_in_days(solver: SolverName) -> None:
    """60 days of a 91.25-day quarter's 100 t demand is 6,000 / 91.25 = 65.7534 t of stock:
    165.7534 t at 10."""
    document: Document = {
        "name": "days",
        "period_days": 91.25,
        "materials": [{"id": "Dy"}],
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"Dy": 500}, "prices": {"Dy": 10}}
        ],
        "demand": {"Dy": 100},
        "security": {"min_stock_days": {"Dy": 60}},
    }
    result = _solve(document, solver)
    assert result.total_cost == _approx((100 + 6_000 / 91.25) * 10)
    row = _row(result, "stock_cover(Dy,P1)")
    assert row["limit"] == _approx(6_000 / 91.25)


def strategic_problem(capacity: dict[str, float], price: float, cover: float) -> Document:
    """NdPr, 100 t demand a period, a stock target of ``cover`` x a period's demand that may be
    drawn below at 20 per tonne and period; going short costs 1,000 per tonne."""
    source = {"id": "china", "country": "CN", "capacity": {"NdPr": capacity}, "prices": {}}
    source["prices"] = {"NdPr": price}
    return {
        "name": "strategic",
        "periods": list(capacity),
        "materials": [{"id": "NdPr"}],
        "sources": [source],
        "demand": {"NdPr": 100},
        "stock": {"initial": {"NdPr": 50}, "below_target_cost": {"NdPr": 20}},
        "shortage_penalty": {"NdPr": 1000},
        "security": {"min_stock_cover": {"NdPr": cover}},
    }


def test_strategic_stock_is_drawn_while_short_and_rebuilt(solver: SolverName) -> None:
    """Target 30 t, holding 1 a tonne. China sells 100 t in P1, nothing in P2 and 1,000 t in P3,
    at 100. P1 buys all 100 t and keeps the 50 t stock (each tonne saves 1,000 short in P2;
    going short in P1 instead would hold more stock). P2 has no supply:
    the whole stock is used and 50 t go short; the 30 t below target are fewer than the tonnes
    short, so none is charged, and the target costs nothing there (shadow price 0; a hard
    target would cost 1,000 a tonne). P3 buys 130 t and rebuilds the stock (100 + 1 a tonne,
    against 20 + a terminal price of 100 for a tonne left below).
    Cost 100 x 100 + 50 x 1,000 + 130 x 100 + (50 + 30) x 1 = 73,080."""
    document = strategic_problem({"P1": 100, "P2": 0, "P3": 1000}, 100, 0.3)
    document["stock"]["holding_cost"] = {"NdPr": 1}
    result = _solve(document, solver)
    assert result.total_cost == _approx(73_080)
    inventory = result.inventory.set_index("period")
    assert inventory["closing"].tolist() == _approx([50, 0, 30])
    assert inventory["shortage"].tolist() == _approx([0, 50, 0])
    # 30 t below target in P2, none charged: as many tonnes go short.
    assert inventory["below_target"].tolist() == _approx([0, 30, 0])
    assert inventory["gap_charged"].tolist() == _approx([0, 0, 0])
    assert inventory["below_target_cost"].tolist() == _approx([0, 0, 0])
    assert _row(result, "stock_cover(NdPr,P2)")["shadow_price"] == _approx(0)


def test_a_gap_left_at_the_end_costs_its_replacement(solver: SolverName) -> None:
    """Target 50 t. China sells 200 t in P1 at 120 and nothing in P2; no stock to start. P1
    buys all 200 t (a tonne carried saves 1,000 short in P2); P2 uses the 100 t carried and
    ends 50 t below target, none short: 50 t charged at 20, and at the end at the terminal
    price. Without a ``terminal_price`` that is the replacement price: nothing is offered in
    P2, so the lowest price in any period, 120: 24,000 + 50 x 20 + 50 x 120 = 31,000. A tonne
    more of target in P2 costs 20 + 120: 20 charged (stock_cover's shadow price) and 120 to
    rebuild after the horizon (stock_end's). A terminal price of 0 leaves 25,000, and
    stock_end's shadow price 0."""
    document = strategic_problem({"P1": 200, "P2": 0}, 120, 0.5)
    document["stock"]["initial"] = {}
    result = _solve(document, solver)
    assert result.total_cost == _approx(31_000)
    last = result.inventory.set_index("period").loc["P2"]
    assert [last["closing"], last["below_target"], last["gap_charged"]] == _approx([0, 50, 50])
    assert last["below_target_cost"] == _approx(50 * 20 + 50 * 120)
    costs = result.costs.set_index(["component", "item"])["cost"]
    assert costs["below_target", "NdPr"] == _approx(7_000)
    assert _row(result, "stock_cover(NdPr,P2)")["shadow_price"] == _approx(20)
    assert _row(result, "stock_end(NdPr,P2)")["shadow_price"] == _approx(120)
    document["stock"]["terminal_price"] = {"NdPr": 0}
    result = _solve(document, solver)
    assert result.total_cost == _approx(25_000)
    assert _row(result, "stock_cover(NdPr,P2)")["shadow_price"] == _approx(20)
    assert _row(result, "stock_end(NdPr,P2)")["shadow_price"] == _approx(0)


@pytest.mark.parametrize(
    ("change", "loc", "words"),
    [
        (lambda d: d["sources"][0].pop("capacity"), ("sources", 0), "feeds"),
        (
            lambda d: d["sources"][0].update(
                feeds=[
                    {
                        "id": "ore",
                        "yields": {"Dy": 0.7, "Tb": 0.5},
                        "price_per_tonne_feed": 1,
                        "capacity": 1,
                    }
                ]
            ),
            ("sources", 0, "feeds", 0, "yields"),
            "at most one tonne",
        ),
        (
            lambda d: d.update(contracts=[{"source": "china", "min_tonnes": 1, "fixed_tonnes": 1}]),
            ("contracts", 0),
            "exactly one",
        ),
        (
            lambda d: d["security"].update(min_stock_days={"Dy": 30}),
            ("security", "min_stock_days", "Dy"),
            "period_days",
        ),
        (
            lambda d: d["sources"][0].update(price_floor_multiplier=2),
            ("sources", 0, "price_floor_multiplier"),
            "reference price",
        ),
        (
            lambda d: d.update(
                contracts=[{"source": "china", "materials": ["Tb"], "min_tonnes": 1}]
            ),
            ("contracts", 0, "materials", 0),
            "unknown material",
        ),
    ],
)
def test_supply_inputs_are_checked(
    change: Callable[[Document], None], loc: tuple[Any, ...], words: str
) -> None:
    document: Document = {
        "name": "checks",
        "materials": [{"id": "Dy"}, {"id": "Tb"}],
        "sources": [{"id": "china", "country": "CN", "capacity": {"Dy": 5}, "prices": {"Dy": 1}}],
        "demand": {"Dy": 1, "Tb": 0},
        "security": {},
    }
    change(document)
    with pytest.raises(ValidationError) as caught:
        Problem.model_validate(document)
    found = {e["loc"][: len(loc)]: e["msg"] for e in caught.value.errors()}
    assert loc in found, caught.value
    assert words in found[loc]


def test_disposal_cost_without_salvage(solver: SolverName) -> None:
    """With nothing sold, the 450 t of NdPr beyond demand are wasted at 2: 200,000 + 900."""
    document = feed_problem()
    document["surplus"] = {"NdPr": {"disposal_cost": 2}}
    result = _solve(document, solver)
    assert result.total_cost == _approx(200_900)
    assert result.inventory.set_index("material").loc["NdPr", "surplus"] == _approx(450)


def test_limits_given_by_period_are_silent_elsewhere(solver: SolverName) -> None:
    """A share limit for P1 only leaves P2 and P3 free: 5 units in P1, 20 in P2 and P3;
    cost 45 x 50 + 15 x 100 = 3,750. A separation limit for P1 only works the same way."""
    document = ramp_problem(share={"P1": 0.25})
    result = _solve(document, solver)
    unique(document, kinds=("sub",))
    assert result.total_cost == _approx(3_750)
    assert result.substitution["units"].tolist() == [_approx(5), _approx(20), _approx(20)]


def test_scenarios_change_feeds_and_tiers(solver: SolverName) -> None:
    """Halving Lynas' whole supply halves its feed (10,000 t still fit in 10,000); a price
    change of some periods cannot scale a tier's own price and says how to rewrite it."""
    document = feed_problem()
    document["scenarios"] = [
        {"name": "half", "sources": [{"source": "lynas", "capacity_factor": 0.5}]},
        {"name": "dear", "sources": [{"source": "lynas", "price_factor": 2}]},
    ]
    problem = Problem.model_validate(document)
    half = optiree.apply(problem, problem.scenarios[0])
    assert half.sources[1].feeds[0].capacity == {"P1": 10_000}
    dear = optiree.solve(optiree.apply(problem, problem.scenarios[1]), solver)
    assert dear.total_cost == _approx(400_000 - 3_000 + 300)

    tiered = Problem.model_validate(
        tier_problem()
        | {
            "periods": ["P1", "P2"],
            "scenarios": [
                {
                    "name": "spike",
                    "sources": [{"source": "china", "price_factor": 2, "periods": ["P2"]}],
                }
            ],
        }
    )
    with pytest.raises(optiree.ScenarioError, match="price_multiplier"):
        optiree.apply(tiered, tiered.scenarios[0])


def test_stress_test_keeps_bands_and_feeds(solver: SolverName) -> None:
    """A plan that buys feed and several bands is kept in its committed period: the stressed
    plan's first period is the plan's, band by band and tonne of feed by tonne."""
    document = tier_problem()
    document["periods"] = ["P1", "P2"]
    document["materials"].append({"id": "Dy"})
    document["demand"]["Dy"] = 1
    document["sources"].append(
        {
            "id": "ore",
            "country": "AU",
            "feeds": [
                {
                    "id": "conc",
                    "yields": {"Dy": 0.01, "NdPr": 0.1},
                    "price_per_tonne_feed": 5,
                    "capacity": 1000,
                }
            ],
        }
    )
    document["scenarios"] = [{"name": "cut", "disruptions": [{"country": "CN", "start": "P2"}]}]
    problem = Problem.model_validate(document)
    plan = optiree.solve(problem, solver)
    assert plan.status == "optimal"
    stressed = optiree.stress_test(problem, plan, "cut", 1, solver=solver)
    assert stressed.status == "optimal", stressed.message
    first = ["period == 'P1'"]
    for table in ("purchases", "feeds"):
        kept = getattr(stressed.result, table).query(first[0])["tonnes"].tolist()
        planned = getattr(plan, table).query(first[0])["tonnes"].tolist()
        assert kept == pytest.approx(planned, abs=1e-6)


def test_stochastic_plan_commits_feed(solver: SolverName) -> None:
    """Dy comes only in a feed (0.5 t NdPr and 0.01 t Dy a tonne, 1,000 a tonne, 100 t a
    period); the feed may stop in P2 (scenario b). Each period needs 10 t NdPr and 0.5 t Dy,
    50 t of feed for the Dy. Committing to 100 t in P1 covers both periods whatever happens
    (holding is free): 100,000 in either scenario, against a million per tonne short."""
    problem = Problem.model_validate(
        {
            "name": "feed",
            "periods": ["P1", "P2"],
            "materials": [{"id": "NdPr"}, {"id": "Dy"}],
            "sources": [
                {
                    "id": "lynas",
                    "country": "MY",
                    "feeds": [
                        {
                            "id": "ore",
                            "yields": {"NdPr": 0.5, "Dy": 0.01},
                            "price_per_tonne_feed": 1000,
                            "capacity": 100,
                        }
                    ],
                }
            ],
            "demand": {"NdPr": 10, "Dy": 0.5},
            "shortage_penalty": {"NdPr": 1e6, "Dy": 1e6},
            "scenarios": [
                {"name": "a"},
                {
                    "name": "b",
                    "sources": [{"source": "lynas", "capacity_factor": 0, "periods": ["P2"]}],
                },
            ],
        }
    )
    result = optiree.solve_stochastic(problem, commit_periods=1, solver=solver)
    assert result.status == "optimal", result.message
    assert result.expected_cost == _approx(100_000)
    first = result.first_stage.set_index(["decision", "item"])
    assert first.loc[("feed", "ore"), "value"] == _approx(100)
    assert first.loc[("feed", "ore"), "unit"] == "t feed"


def days_problem(days: float) -> Document:
    """Two quarters of 100 t Dy at 10 a tonne, at most 150 t a quarter; ``days`` of stock."""
    return {
        "name": "days",
        "periods": ["Q1", "Q2"],
        "period_days": 90,
        "materials": [{"id": "Dy"}],
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"Dy": 150}, "prices": {"Dy": 10}}
        ],
        "demand": {"Dy": 100},
        "security": {"min_stock_days": {"Dy": days}},
        "scenarios": [{"name": "cut", "disruptions": [{"country": "CN", "start": "Q2"}]}],
    }


def test_stock_days_are_diagnosed_frontiered_and_made_strategic() -> None:
    """90 days of a 90-day quarter is one quarter of demand: 100 t kept at the end of each
    quarter, but only 50 t can be put by in Q1 (150 bought, 100 used). Diagnose lowers the rule
    to 45 days (50 t); the frontier replaces the days by its cover levels; in a disruption the
    rule is a strategic stock (a tonne below it costs 10 x 10 / (2 x 2) = 25 a quarter)."""
    problem = Problem.model_validate(days_problem(90))
    assert optiree.solve(problem).status == "infeasible"
    rules = optiree.diagnose(problem).rules.set_index("field")
    assert rules.loc["security.min_stock_days.Dy", "sufficient"] == _approx(45)
    assert rules.loc["security.min_stock_days.Dy", "current"] == _approx(90)

    feasible = Problem.model_validate(days_problem(45))
    curve = optiree.frontier(feasible, rule="stock_cover", material="Dy")
    # the tightest cover: 50 t at the end of Q1 (one half of a quarter's demand)
    assert curve.table["level"].max() == pytest.approx(0.5, rel=1e-5)

    faced = for_disruption(feasible)
    assert faced.security.min_stock_days["Dy"] == 45
    assert faced.stock.below_target_cost == {"Dy": 25.0}


def test_sensitivity_values_a_feed_at_capacity() -> None:
    """The feed capped at 9,990 t (9.99 t of Dy), and China selling Dy at 25,000 (the other
    0.01 t): one more tonne of feed replaces 0.001 t of China's Dy (25) for 20, and its 0.05 t
    of NdPr is wasted at 2 (0.1): it is worth 25 - 20 - 0.1 = 4.9. The summary names it as a
    feed. (Capped at exactly the 10,000 t of the 10 t of Dy, China would sell none, and a tonne
    of feed more would be worth 0 while a tonne less costs 4.9: its value would not be unique.)
    """
    document = feed_problem()
    document["sources"][1]["feeds"][0]["capacity"] = 9_990
    document["sources"][0]["capacity"]["Dy"] = 100
    document["sources"][0]["prices"]["Dy"] = 25_000
    result = _solve(document, "highs")
    capacity = optiree.sensitivity(result).capacity.set_index("feed")
    assert capacity.loc["mtweld", "capacity_value"] == _approx(4.9)
    assert capacity.loc["mtweld", "material"] == ""
    assert "lynas feed mtweld: 4.90" in optiree.sensitivity(result).summary()
    costs = []
    for capacity in (9_989, 9_990, 9_991):  # a tonne less costs what a tonne more saves
        document["sources"][1]["feeds"][0]["capacity"] = capacity
        costs.append(_solve(document, "highs").total_cost)
    assert [costs[0] - costs[1], costs[1] - costs[2]] == _approx([4.9, 4.9])
