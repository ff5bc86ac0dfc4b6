"""Shadow prices with their ranges, entry prices and capacity values, derived by hand."""

import math
from typing import Any

import pytest

import optiree
from optiree import Problem
from optiree.sensitivity import SENSITIVITY_TABLES, sensitivity
from tests.samples import JAPAN, two_country


def _solve(document: dict[str, Any], solver: str = "highs") -> optiree.Result:
    result = optiree.solve(Problem.model_validate(document), solver=solver)  # type: ignore[arg-type]
    assert result.is_optimal, result.message
    return result


def test_ranges_of_the_sixty_percent_rule() -> None:
    """Demand 50 t; China 100/t and Lynas 150/t, 100 t each; at most 60% from China.

    The share row 0.4 x_CN - 0.6 x_AU <= 0 with x_CN + x_AU = 50 holds x_CN = 30 + d when its
    limit moves by d: the plan keeps its shape from d = -30 (China at 0) to d = +20 (China
    takes all 50 t), so the rule's limit can fall by 30 t and rise by 20 t. Demand can fall to
    0 and rise until China's 60% reaches its 100 t: 0.6 X = 100, X = 166.67 (+116.67 t).
    China's price can rise to 150 (Lynas' price); Lynas' can fall to 100 (China's).
    """
    tables = sensitivity(_solve(two_country())).tables()
    assert set(tables) == set(SENSITIVITY_TABLES)
    (rule,) = tables["rules"].itertuples()
    assert rule.constraint == "max_share(CN,Dy,P1)"
    assert (rule.shadow_price, rule.cost_per_point) == (pytest.approx(50), pytest.approx(25))
    assert rule.allowable_decrease == pytest.approx(30)
    assert rule.allowable_increase == pytest.approx(20)
    (demand,) = tables["demand"].itertuples()
    assert demand.marginal_cost == pytest.approx(120)
    assert demand.allowable_decrease == pytest.approx(50)
    assert demand.allowable_increase == pytest.approx(100 / 0.6 - 50)
    prices = tables["prices"].set_index("source")
    assert prices.loc["china", "price_high"] == pytest.approx(150)
    assert prices.loc["lynas", "price_low"] == pytest.approx(100)
    assert math.isinf(prices.loc["lynas", "price_high"])


def test_ranges_hold_when_tested_by_solving_again() -> None:
    """Moving the demand to the edge of its range keeps the marginal cost; past it, not."""
    base = two_country()
    edge = _solve(base | {"demand": {"Dy": 50 + 116.6}})
    past = _solve(base | {"demand": {"Dy": 50 + 117.6}})
    assert edge.total_cost == pytest.approx(6000 + 116.6 * 120)
    assert past.total_cost > 6000 + 117.6 * 120 + 1e-6


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_entry_price_of_an_unused_source(solver: str) -> None:
    """MP at 200/t is not bought. Its reduced cost is 200 - 120 (balance) - 0.6 x 50 (it
    dilutes China's share, which the share row values at 50/t) = 50, so it would be bought
    below 150, where it matches Lynas."""
    document = two_country()
    document["sources"].append(
        {"id": "mp", "country": "US", "price_multiplier": 2.0, "capacity": {"Dy": 100}}
    )
    (entry,) = sensitivity(_solve(document, solver)).entry.itertuples()
    assert entry.source == "mp"
    assert entry.reduced_cost == pytest.approx(50, rel=1e-6)
    assert entry.entry_price == pytest.approx(150, rel=1e-6)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_capacity_value(solver: str) -> None:
    """No share rule; China (100/t) holds only 30 t, Lynas (150/t) the other 20 t. One more
    tonne of China's capacity replaces a Lynas tonne: worth 50."""
    document = two_country()
    document["sources"][0]["capacity"] = {"Dy": 30}
    document["security"] = {}
    (full,) = sensitivity(_solve(document, solver)).capacity.itertuples()
    assert (full.source, full.capacity) == ("china", 30)
    assert full.capacity_value == pytest.approx(50, rel=1e-6)


def test_cbc_gives_no_ranges() -> None:
    tables = sensitivity(_solve(two_country(), "cbc")).tables()
    assert tables["rules"]["allowable_decrease"].isna().all()
    assert tables["prices"]["price_low"].isna().all()
    assert tables["rules"]["shadow_price"].tolist() == [pytest.approx(50)]


def test_no_sensitivity_without_a_plan() -> None:
    document = two_country()
    document["caps"] = [{"country": "CN", "max_tonnes": 0}]
    document["sources"][1]["capacity"] = {"Dy": 10}
    result = optiree.solve(Problem.model_validate(document))
    with pytest.raises(optiree.OptireeError, match="infeasible"):
        sensitivity(result)


def test_summary_groups_periods() -> None:
    """On the Japan case the JARE offtake costs the same in 2026Q3-2027Q4 and less in 2026H1:
    one line. The 32 binding rows (the three 60-day stocks and the JARE minimum in each quarter)
    are four rules, one line each, showing the largest figure over their periods."""
    result = optiree.solve(optiree.load_problem(JAPAN))
    text = sensitivity(result).summary()
    binding = result.binding
    assert len(binding) == 32
    groups = binding.groupby(["rule", "subject", "material"], sort=False)["shadow_price"]
    assert groups.ngroups == 4
    rules = text.split(" Rules that cost most")[1].split(" Capacity worth most")[0]
    lines = rules.strip().splitlines()
    assert len(lines) == 1 + groups.ngroups  # the heading and one line per rule
    # The contract costs 15,589.20 per t in 2026H1 and 17,246.80 after (the feed's Dy and Tb
    # yield doubles); the NdPr stock 960 per t in each quarter and 96,960 at the end: one line
    # each, the largest shown.
    ndpr = binding[binding["material"] == "NdPr"]
    for rule, label in (
        ("contract", "contract jare_ndpr NdPr"),
        ("stock_cover", "stock_cover NdPr"),
    ):
        prices = ndpr.loc[ndpr["rule"] == rule, "shadow_price"]
        assert prices.nunique() == 2
        (line,) = [line for line in lines if label in line]
        assert f"{label}: {prices.max():,.2f} per t (" in line
        assert "2026Q1 2026Q2 2026Q3 2026Q4 2027Q1 2027Q2 2027Q3 2027Q4" in line
