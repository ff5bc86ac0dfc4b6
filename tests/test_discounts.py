"""All-unit discounts, hand-solved on every solver (docs/investment.md).

``discounted``: Nd for one period. Source a sells up to 400 t; every tonne bought in the
period costs 60 below 100 t, 55 from 100 t, 50 from 300 t. Source b sells 50 t at 58.

- 95 t: a alone at 60 costs 5,700; b's 50 t and a's 45 t at 60, 5,600; 100 t from a, every
  one at 55, 5,500 (5 t more than needed, disposed of at no cost): **5,500**, the plan a 100
  in band 2. With a flat 60 at a, the split (5,600).
- 90 t: b's 50 t and a's 40 t at 60, 5,300, beats a's 100 t at 55 (5,500).
- 100 t, exactly at band 2's start: every tonne at 55: 5,500.
- 300 t, exactly at band 3's start: every tonne at 50: 15,000 (band 2 would be 16,500; b's
  50 t and a's 250 t at 55, 16,650).
"""

from typing import Any

import pytest
from hypothesis import given, settings
from pydantic import ValidationError

import optiree
from optiree import Problem
from optiree.prepare import prepare
from optiree.results import FIXED_DUALS
from optiree.solve import SolverName
from optiree.verify import TOLERANCE, verify
from tests.checker import check
from tests.strategies import discount_problems
from tests.test_integer import _milp, relaxation_costs_no_more, solvers_agree

Document = dict[str, Any]

BANDS = [
    {"from_tonnes": 0.0, "price": 60.0},
    {"from_tonnes": 100.0, "price": 55.0},
    {"from_tonnes": 300.0, "price": 50.0},
]


def discounted(demand: float, bands: list[Document] | None = BANDS) -> Document:
    a: Document = {"id": "a", "country": "AU", "capacity": {"Nd": 400.0}}
    if bands is None:
        a["prices"] = {"Nd": 60.0}
    else:
        a["discounts"] = {"Nd": bands}
    return {
        "name": "discounted",
        "periods": ["P1"],
        "materials": [{"id": "Nd"}],
        "reference_prices": {"Nd": 100.0},
        "sources": [
            a,
            {"id": "b", "country": "US", "capacity": {"Nd": 50.0}, "prices": {"Nd": 58.0}},
        ],
        "demand": {"Nd": demand},
    }


def _bought(result: optiree.Result) -> dict[tuple[str, int], float]:
    """Tonnes by (source, band), the bands bought in only."""
    table = result.purchases
    return {
        (str(s), int(j)): float(x)
        for s, j, x in zip(table["source"], table["tier"], table["tonnes"], strict=True)
        if x > 1e-9
    }


def _solved(document: Document, solver: SolverName) -> tuple[Problem, optiree.Result]:
    problem = Problem.model_validate(document)
    result = optiree.solve(problem, solver)
    assert result.status == "optimal", result.message
    assert check(problem, result) == []
    return problem, result


@pytest.mark.parametrize(
    ("demand", "cost", "plan"),
    [
        (95.0, 5_500.0, {("a", 2): 100.0}),  # buying 5 t more reaches band 2
        (90.0, 5_300.0, {("a", 1): 40.0, ("b", 1): 50.0}),  # the discount does not pay
        (100.0, 5_500.0, {("a", 2): 100.0}),  # exactly at band 2's start: its price
        (300.0, 15_000.0, {("a", 3): 300.0}),  # exactly at band 3's start
    ],
)
def test_hand_solved(solver: SolverName, demand: float, cost: float, plan: dict) -> None:
    _, result = _solved(discounted(demand), solver)
    assert result.total_cost == pytest.approx(cost, rel=1e-9)
    assert _bought(result) == pytest.approx(plan)
    assert result.duals_of == FIXED_DUALS
    assert result.max_violation <= TOLERANCE


def test_flat_price_splits(solver: SolverName) -> None:
    """Without the discount, 95 t split: b's 50 t and a's 45 t at 60."""
    _, result = _solved(discounted(95.0, None), solver)
    assert result.total_cost == pytest.approx(5_600.0, rel=1e-9)
    assert _bought(result) == pytest.approx({("a", 1): 45.0, ("b", 1): 50.0})
    assert result.duals_of is None


def test_mip_figures_and_duals_of_the_fixed_lp() -> None:
    """HiGHS reports the bound and gap; the shadow price of demand is that of the LP with the
    band fixed: a tonne more of the 95 costs nothing (the 5 t over are there), of the 90
    costs a's band-1 price, 60 (b is sold out at 58)."""
    _, result = _solved(discounted(95.0), "highs")
    assert result.best_bound == pytest.approx(5_500.0, rel=1e-6)
    assert result.mip_gap is not None
    assert 0.0 <= result.mip_gap <= 1e-6
    prices = result.constraints.set_index("constraint")["shadow_price"]
    assert prices["balance(Nd,P1)"] == pytest.approx(0.0)
    _, result = _solved(discounted(90.0), "highs")
    prices = result.constraints.set_index("constraint")["shadow_price"]
    assert prices["balance(Nd,P1)"] == pytest.approx(60.0)


def test_integer_rules_name_the_discount() -> None:
    problem = Problem.model_validate(discounted(95.0))
    assert prepare(problem).integer_rules == ("sources[a].discounts.Nd",)
    assert prepare(Problem.model_validate(discounted(95.0, None))).integer_rules == ()


def test_price_floor_lifts_the_bands(solver: SolverName) -> None:
    """A floor of 57 under a's bands: 100 t at 57 (5,700) no longer beat the split (5,600)."""
    document = discounted(95.0)
    document["sources"][0]["price_floor"] = {"Nd": 57.0}
    _, result = _solved(document, solver)
    assert result.total_cost == pytest.approx(5_600.0, rel=1e-9)
    assert _bought(result) == pytest.approx({("a", 1): 45.0, ("b", 1): 50.0})


def test_price_factor_scales_the_bands(solver: SolverName) -> None:
    """A scenario that doubles a's prices everywhere: b's 50 t and a's 45 t at 120, 8,300."""
    document = discounted(95.0)
    change = {"source": "a", "price_factor": 2.0}
    document["scenarios"] = [{"name": "dear", "sources": [change]}]
    problem = Problem.model_validate(document)
    table = optiree.sweep(problem, problem.scenarios, solver=solver, progress=False).table
    assert table["total_cost"].tolist() == pytest.approx([2_900.0 + 45 * 120.0])


def test_stress_test_keeps_the_committed_band(solver: SolverName) -> None:
    """95 t in P1 and P2, holding 10 a tonne: P1 a's 100 t at 55 (5 t held, 50), P2 b's 50 t
    and a's 40 t at 60 (5,300): 10,850. Committing P1 fixes its band with its tonnes; with a
    cut from P2, b's 50 t and the 5 t held leave 40 t short."""
    document = discounted(95.0) | {"periods": ["P1", "P2"]}
    document["stock"] = {"holding_cost": {"Nd": 10.0}}
    document["scenarios"] = [
        {"name": "cut", "disruptions": [{"source": "a", "start": "P2"}]},
    ]
    problem, plan = _solved(document, solver)
    assert plan.total_cost == pytest.approx(10_850.0, rel=1e-9)
    assert _bought(plan) == pytest.approx({("a", 2): 100.0, ("a", 1): 40.0, ("b", 1): 50.0})
    stressed = optiree.stress_test(problem, plan, "cut", 1, solver=solver)
    assert stressed.status == "optimal", stressed.message
    assert stressed.committed_cost == pytest.approx(5_550.0, rel=1e-9)
    unmet = stressed.unmet.set_index("period")["short"]
    assert unmet["P2"] == pytest.approx(40.0)


def test_verify_checks_the_price_paid() -> None:
    """100 t paid at band 1's 60 are not what the discount says (every tonne at 55)."""
    problem, result = _solved(discounted(100.0), "highs")
    tables = result.tables()
    bad = tables["purchases"].copy()
    band = (bad["source"] == "a") & (bad["tier"] == 1)
    bad.loc[band, "tonnes"] = 100.0
    bad.loc[band, "cost"] = 6_000.0
    bad.loc[(bad["source"] == "a") & (bad["tier"] == 2), ["tonnes", "cost"]] = 0.0
    worst = verify(prepare(problem), tables | {"purchases": bad})
    assert worst.row == "discount(a,Nd,P1)"
    assert worst.amount == pytest.approx(500.0)


def test_in_kilograms(solver: SolverName) -> None:
    """The discounts in kg and USD per kg: the same plan, in t."""
    document = discounted(95.0)
    document["units"] = {"demand": "kg REO", "prices": "kg REO", "quantities": "kg REO"}
    document["demand"] = {"Nd": 95_000.0}
    document["reference_prices"] = {"Nd": 0.1}
    for source in document["sources"]:
        source["capacity"] = {"Nd": source["capacity"]["Nd"] * 1000}
    document["sources"][1]["prices"] = {"Nd": 0.058}
    document["sources"][0]["discounts"] = {
        "Nd": [{"from_tonnes": b["from_tonnes"] * 1000, "price": b["price"] / 1000} for b in BANDS]
    }
    _, result = _solved(document, solver)
    assert result.total_cost == pytest.approx(5_500.0, rel=1e-9)
    assert _bought(result) == pytest.approx({("a", 2): 100.0})


# -- bad input --------------------------------------------------------------------------------


def _error(document: Document) -> tuple[tuple[str | int, ...], str]:
    with pytest.raises(ValidationError) as raised:
        Problem.model_validate(document)
    (error,) = raised.value.errors()
    return error["loc"], error["msg"]


def _with_bands(bands: list[Document], **source: Any) -> Document:
    document = discounted(95.0, bands)
    document["sources"][0] |= source
    return document


@pytest.mark.parametrize(
    ("bands", "loc", "words"),
    [
        (
            [{"from_tonnes": 10.0, "price": 60.0}],
            ("sources", 0, "discounts", "Nd", 0, "from_tonnes"),
            "the first discount band starts at 0",
        ),
        (
            [
                BANDS[0],
                {"from_tonnes": 300.0, "price": 55.0},
                {"from_tonnes": 100.0, "price": 50.0},
            ],
            ("sources", 0, "discounts", "Nd", 2, "from_tonnes"),
            "from_tonnes values must rise: 100 follows 300",
        ),
        (
            [BANDS[0], {"from_tonnes": 100.0, "price": 70.0}],
            ("sources", 0, "discounts", "Nd", 1, "price"),
            "the price rises from 60 to 70",
        ),
        (
            [BANDS[0], {"from_tonnes": 100.0}],
            ("sources", 0, "discounts", "Nd", 1, "price"),
            "Field required",
        ),
    ],
)
def test_bad_bands(bands: list[Document], loc: tuple[str | int, ...], words: str) -> None:
    found, message = _error(_with_bands(bands))
    assert found == loc
    assert words in message


def test_discounts_need_capacity() -> None:
    found, message = _error(
        _with_bands(BANDS, capacity={"Dy": 10.0})
        | {
            "materials": [{"id": "Nd"}, {"id": "Dy"}],
            "demand": {"Nd": 0.0, "Dy": 0.0},
            "reference_prices": {"Nd": 100.0, "Dy": 100.0},
        }
    )
    assert found == ("sources", 0, "discounts", "Nd")
    assert "has discounts for 'Nd' but no capacity for it" in message


def test_discounts_and_tiers_do_not_mix() -> None:
    tiers = {"Nd": [{"price": 60.0}]}
    found, message = _error(_with_bands(BANDS, tiers=tiers))
    assert found == ("sources", 0, "discounts", "Nd")
    assert "both tiers and discounts" in message


def test_falling_tiers_point_at_discounts() -> None:
    document = discounted(95.0, None)
    document["sources"][0]["tiers"] = {"Nd": [{"up_to": 100.0, "price": 60.0}, {"price": 55.0}]}
    found, message = _error(document)
    assert found == ("sources", 0, "tiers", "Nd", 1)
    assert "give 'discounts' instead of 'tiers'" in message


def test_no_investment_in_a_discounted_material() -> None:
    document = discounted(95.0)
    document["period_days"] = 365
    document["investments"] = [
        {"id": "more", "source": "a", "material": "Nd", "capital_cost": 1.0, "max_size": 10.0}
    ]
    found, message = _error(document)
    assert found == ("investments", 0, "material")
    assert "has discounts for 'Nd'" in message


def test_some_periods_price_factor_refused() -> None:
    document = discounted(95.0) | {"periods": ["P1", "P2"]}
    change = {"source": "a", "price_factor": 2.0, "periods": ["P2"]}
    document["scenarios"] = [{"name": "dear", "sources": [change]}]
    problem = Problem.model_validate(document)
    with pytest.raises(optiree.ScenarioError, match="prices 'Nd' by discounts"):
        optiree.sweep(problem, problem.scenarios, progress=False)


# -- properties -------------------------------------------------------------------------------

PROPERTIES = settings(max_examples=30, deadline=None)


def _flat(problem: Problem) -> tuple[Problem, Problem]:
    """``problem`` with every band of a discount at its first price, and the same with that
    price as the source's own flat price instead of the discount."""
    equal, flat = [], []
    for s in problem.sources:
        first = {m: bands[0].price for m, bands in s.discounts.items()}
        same = {m: [b.derive(price=first[m]) for b in bands] for m, bands in s.discounts.items()}
        equal.append(s.derive(discounts=same))
        flat.append(s.derive(discounts={}, prices=s.prices | first))
    return problem.derive(sources=equal), problem.derive(sources=flat)


@PROPERTIES
@given(discount_problems())
def test_equal_band_prices_cost_the_flat_lp(problem: Problem) -> None:
    equal, flat = _flat(problem)
    assert prepare(flat).integer_rules == ()
    milp, lp = _milp(equal, "highs"), _milp(flat, "highs")
    assert milp.total_cost == pytest.approx(lp.total_cost, rel=1e-6, abs=1e-5)


@PROPERTIES
@given(discount_problems())
def test_relaxing_never_raises_the_cost(problem: Problem) -> None:
    relaxation_costs_no_more(problem)


@PROPERTIES
@given(discount_problems())
def test_highs_and_cbc_agree(problem: Problem) -> None:
    """The same least cost; both plans pass the checker, which checks the price paid."""
    solvers_agree(problem)
