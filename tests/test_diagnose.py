"""Infeasibility diagnosis: small infeasible problems solved by hand, one per kind of rule.

Each test states which rows must give and by how much, derived by hand, and checks that the
fields of the ``rules`` table, set to their sufficient values (``Diagnosis.apply``), give a
problem that solves to optimality. Unless a test says otherwise the instance is built so that
the relaxation is unique: the default method lets demand give only what no cap or rule could
make up, and caps only what no security rule could; ties left after that go to the cheapest
plan.
"""

import contextlib
import io
import itertools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, note, settings
from hypothesis import strategies as st

import optiree
from optiree import OptireeError, Problem
from optiree.diagnose import RELAXATION_COLUMNS, RULE_COLUMNS, Diagnosis, Method, diagnose
from optiree.model import build
from optiree.prepare import prepare
from optiree.solve import SolverName
from tests.checker import check
from tests.conftest import SOLVERS
from tests.samples import two_country
from tests.strategies import problems, squeezed_documents, units_of, written_in

Document = dict[str, Any]
DOCS = Path(__file__).resolve().parents[1] / "docs"


def _approx(value: object) -> Any:
    """Equal to within 1e-6 relative, or 1e-5 t: CBC reports 8 significant digits, so a figure
    of 0 read as the difference of two of about 100 t can be a few 1e-6 t off."""
    return pytest.approx(value, rel=1e-6, abs=1e-5)


def _diagnose(
    document: Document, solver: SolverName, method: Method = "priority"
) -> tuple[Problem, Diagnosis]:
    """Validate ``document``, check that it has no plan, and diagnose it."""
    problem = Problem.model_validate(document)
    assert optiree.solve(problem, solver).status == "infeasible"
    diagnosis = diagnose(problem, solver, method=method)
    assert not diagnosis.feasible
    assert list(diagnosis.relaxations.columns) == RELAXATION_COLUMNS
    assert list(diagnosis.rules.columns) == RULE_COLUMNS
    assert len(diagnosis.messages) == len(diagnosis.relaxations)
    assert diagnosis.total_relaxation == _approx(diagnosis.relaxations["relax_by"].sum())
    return problem, diagnosis


def _relaxed(diagnosis: Diagnosis) -> dict[str, tuple[float, float, float]]:
    """(relax_by, parameter, parameter_needed) by constraint name."""
    table = diagnosis.relaxations.set_index("constraint")
    return {
        str(name): (float(row["relax_by"]), float(row["parameter"]), float(row["parameter_needed"]))
        for name, row in table.iterrows()
    }


def _rules(diagnosis: Diagnosis) -> dict[str, tuple[float, float, float]]:
    """(current, sufficient, relax_by) by input field."""
    table = diagnosis.rules.set_index("field")
    return {
        str(name): (float(row["current"]), float(row["sufficient"]), float(row["relax_by"]))
        for name, row in table.iterrows()
    }


def _applied_cost(problem: Problem, diagnosis: Diagnosis, solver: SolverName) -> float:
    """Solve ``problem`` with every field of ``diagnosis.rules`` at its sufficient value."""
    relaxed = diagnosis.apply(problem)
    result = optiree.solve(relaxed, solver)
    assert result.status == "optimal", result.message
    assert result.total_cost is not None
    return result.total_cost


def _same(
    actual: Mapping[str, tuple[float, ...]], expected: Mapping[str, tuple[float, ...]]
) -> None:
    """The same rows, each with the same figures to within the tolerance."""
    assert sorted(actual) == sorted(expected), actual
    for key, figures in expected.items():
        assert actual[key] == _approx(figures), (key, actual[key])


def _says(message: str, *parts: str) -> None:
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"


# -- nothing to relax ------------------------------------------------------------------------------


def test_a_feasible_problem_has_nothing_to_relax(solver: SolverName) -> None:
    """The docs' two-country problem has a plan (China 30 t, Lynas 20 t): nothing gives."""
    problem = Problem.model_validate(two_country())
    diagnosis = diagnose(problem, solver)
    assert diagnosis.feasible
    assert diagnosis.total_relaxation == 0
    assert diagnosis.relaxations.empty
    assert list(diagnosis.relaxations.columns) == RELAXATION_COLUMNS
    assert diagnosis.rules.empty
    assert diagnosis.messages == []
    assert "feasible as given" in diagnosis.summary()
    assert diagnosis.apply(problem) == problem


# -- demand ----------------------------------------------------------------------------------------


def _short_of_capacity() -> Document:
    """Nd: 100 t a period in P1 and P2; one source, 80 t a period at 10; 10 t in stock;
    holding costs 1 a tonne."""
    return {
        "name": "short of capacity",
        "periods": ["P1", "P2"],
        "materials": [{"id": "Nd"}],
        "reference_prices": {"Nd": 10},
        "sources": [{"id": "CN1", "country": "CN", "capacity": {"Nd": 80}}],
        "demand": {"Nd": 100},
        "stock": {"initial": {"Nd": 10}, "holding_cost": {"Nd": 1}},
    }


def test_demand_above_total_capacity(solver: SolverName) -> None:
    """By hand: P1 has 10 t of stock and 80 t of capacity for 100 t of demand, so 10 t cannot
    be met; P2 has 80 t for 100 t: 20 t. The 30 t could also be split 20 + 10 by carrying 10 t
    from P1 to P2, but holding them costs 1 a tonne, so the cheapest relaxed plan does not.
    Demand is relaxed per period: demand.Nd.P1 to 90 t, demand.Nd.P2 to 80 t. Then all 160 t
    of capacity are bought: 1,600.
    """
    problem, diagnosis = _diagnose(_short_of_capacity(), solver)
    _same(_relaxed(diagnosis), {"balance(Nd,P1)": (10, 100, 90), "balance(Nd,P2)": (20, 100, 80)})
    assert diagnosis.total_relaxation == _approx(30)
    _same(_rules(diagnosis), {"demand.Nd.P2": (100, 80, 20), "demand.Nd.P1": (100, 90, 10)})
    first, second = diagnosis.messages
    _says(first, "Nd, P1", "10.0 t", "100.0 t demand", "demand.Nd.P1", "90.0 t")
    _says(second, "Nd, P2", "20.0 t", "demand.Nd.P2", "80.0 t")
    # The model names the first period before solving; the diagnosis agrees.
    assert "balance(Nd,P1)" in build(prepare(problem)).impossible[0]
    relaxed = diagnosis.apply(problem)
    assert relaxed.demand["Nd"] == _approx({"P1": 90, "P2": 80})
    assert problem.demand["Nd"] == 100  # the input is not changed
    assert _applied_cost(problem, diagnosis, solver) == _approx(1600)


# -- caps ------------------------------------------------------------------------------------------


def _embargo() -> Document:
    """Dy: demand 100 t; China 200 t at 100, Lynas 30 t at 150; China embargoed."""
    return {
        "name": "embargo",
        "materials": [{"id": "Dy"}],
        "reference_prices": {"Dy": 100},
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"Dy": 200}},
            {"id": "lynas", "country": "AU", "capacity": {"Dy": 30}, "price_multiplier": 1.5},
        ],
        "demand": {"Dy": 100},
        "caps": [{"id": "embargo", "country": "CN", "max_share_of_capacity": 0}],
    }


@pytest.mark.parametrize("method", ["priority", "tonnes"])
def test_an_embargo_that_makes_demand_unmeetable(solver: SolverName, method: Method) -> None:
    """By hand: Lynas gives at most 30 t, so 70 t must come from China through the embargo or
    go unmet: 70 t either way, and a cap gives before demand does (with both methods). The cap
    needs 70 t of China's 200 t: a share of capacity of 0.35. Relaxed: China 70 t at 100 and
    Lynas 30 t at 150: 11,500.
    """
    problem, diagnosis = _diagnose(_embargo(), solver, method)
    _same(_relaxed(diagnosis), {"cap(embargo,Dy,P1)": (70, 0, 0.35)})
    _same(_rules(diagnosis), {"caps.0.max_share_of_capacity": (0, 0.35, 70)})
    (message,) = diagnosis.messages
    _says(message, "Dy, P1", "cap embargo", "70.0 t", "CN", "200.0 t", "35%")
    _says(message, "caps.0.max_share_of_capacity must be at least 0.35")
    assert _applied_cost(problem, diagnosis, solver) == _approx(11_500)


# -- max_country_share -----------------------------------------------------------------------------


def test_max_country_share_when_only_that_country_can_supply(solver: SolverName) -> None:
    """Dy: demand 50 t in P1 and P2; China 100 t at 100; Lynas 100 t at 150 but only from P2;
    at most 60% from China.

    By hand: in P1 only China sells, so all 50 t come from China, 20 t more than 60% of 50 t
    allows; the share needed is 50 / 50 = 1. Buying more in P1 would only add to China's excess,
    and P2 holds (China 30 t, Lynas 20 t). With the share at 1 the rule is gone and every tonne
    comes from China: 100 t x 100 = 10,000.
    """
    document: Document = {
        "name": "only china in P1",
        "periods": ["P1", "P2"],
        "materials": [{"id": "Dy"}],
        "reference_prices": {"Dy": 100},
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"Dy": 100}},
            {
                "id": "lynas",
                "country": "AU",
                "capacity": {"Dy": 100},
                "price_multiplier": 1.5,
                "available_from": "P2",
            },
        ],
        "demand": {"Dy": 50},
        "security": {"max_country_share": {"CN": 0.6}},
    }
    problem, diagnosis = _diagnose(document, solver)
    _same(_relaxed(diagnosis), {"max_share(CN,Dy,P1)": (20, 0.6, 1.0)})
    row = diagnosis.relaxations.iloc[0]
    assert (row["value"], row["limit"]) == (_approx(50), _approx(30))
    _same(_rules(diagnosis), {"security.max_country_share.CN": (0.6, 1.0, 20)})
    (message,) = diagnosis.messages
    _says(message, "Dy, P1", "at most 60% from CN", "other countries supply 0.0 t", "50.0 t")
    _says(message, "(100%)", "20.0 t more", "security.max_country_share.CN must be at least 1")
    assert _applied_cost(problem, diagnosis, solver) == _approx(10_000)


# -- min_cover_without -----------------------------------------------------------------------------


def test_min_cover_without_with_too_little_supply_outside_the_country(solver: SolverName) -> None:
    """Nd: demand 100 t, 5 t in stock; China 200 t at 10, Australia 20 t at 15; half the demand
    must be coverable without China.

    By hand: without China there are at most 20 t (Australia) + 5 t (stock) = 25 t of the 50 t
    asked: 25 t short, a share of 25 / 100 = 0.25. Relaxed: Australia 20 t, China the other
    75 t: 300 + 750 = 1,050.
    """
    document: Document = {
        "name": "cover",
        "materials": [{"id": "Nd"}],
        "reference_prices": {"Nd": 10},
        "sources": [
            {"id": "CN1", "country": "CN", "capacity": {"Nd": 200}},
            {"id": "AU1", "country": "AU", "capacity": {"Nd": 20}, "prices": {"Nd": 15}},
        ],
        "demand": {"Nd": 100},
        "stock": {"initial": {"Nd": 5}},
        "security": {"min_cover_without": [{"country": "CN", "share": 0.5}]},
    }
    problem, diagnosis = _diagnose(document, solver)
    _same(_relaxed(diagnosis), {"cover_without(CN,Nd,P1)": (25, 0.5, 0.25)})
    row = diagnosis.relaxations.iloc[0]
    assert (row["value"], row["limit"]) == (_approx(25), _approx(50))
    _same(_rules(diagnosis), {"security.min_cover_without.0.share": (0.5, 0.25, 25)})
    (message,) = diagnosis.messages
    _says(message, "Nd, P1", "50% of demand (50.0 t)", "without CN", "only 25.0 t", "25.0 t short")
    _says(message, "security.min_cover_without.0.share must be at most 0.25")
    assert _applied_cost(problem, diagnosis, solver) == _approx(1050)


def test_a_cover_row_with_no_variable(solver: SolverName) -> None:
    """Only China sells Nd; 10 t in stock; demand 100 t; half must be coverable without China.

    The row has nothing but the stock on its left-hand side, so the model leaves it out of the
    LP and lists it as impossible before solving. By hand: 50 t asked, 10 t there: 40 t short,
    a share of 10 / 100 = 0.1. Relaxed: 90 t from China at 10: 900.
    """
    document: Document = {
        "name": "only china",
        "materials": [{"id": "Nd"}],
        "reference_prices": {"Nd": 10},
        "sources": [{"id": "CN1", "country": "CN", "capacity": {"Nd": 500}}],
        "demand": {"Nd": 100},
        "stock": {"initial": {"Nd": 10}},
        "security": {"min_cover_without": [{"country": "CN", "share": 0.5}]},
    }
    problem, diagnosis = _diagnose(document, solver)
    (impossible,) = build(prepare(problem)).impossible
    assert impossible.row == "cover_without(CN,Nd,P1)"
    _same(_relaxed(diagnosis), {"cover_without(CN,Nd,P1)": (40, 0.5, 0.1)})
    _same(_rules(diagnosis), {"security.min_cover_without.0.share": (0.5, 0.1, 40)})
    _says(diagnosis.messages[0], "Nd, P1", "only 10.0 t", "40.0 t short", "at most 0.1")
    assert _applied_cost(problem, diagnosis, solver) == _approx(900)


# -- min_stock_cover -------------------------------------------------------------------------------


def _stock_rule(cover: float) -> Document:
    """Nd: 100 t a period in P1 and P2, one source of 150 t a period at 10; closing stock at
    least ``cover`` x demand in every period."""
    return {
        "name": "stock rule",
        "periods": ["P1", "P2"],
        "materials": [{"id": "Nd"}],
        "reference_prices": {"Nd": 10},
        "sources": [{"id": "CN1", "country": "CN", "capacity": {"Nd": 150}}],
        "demand": {"Nd": 100},
        "security": {"min_stock_cover": {"Nd": cover}},
    }


@pytest.mark.parametrize("method", ["priority", "tonnes"])
def test_min_stock_cover_above_what_can_be_bought(solver: SolverName, method: Method) -> None:
    """Cover 1.0. By hand: P1 can end with at most 150 - 100 = 50 t of the 100 t asked: 50 t
    short, a cover of 0.5. P2 holds (50 + 150 - 100 = 100 t). Leaving 50 t of P1's demand unmet
    to keep them in stock would be 50 t too; the stock rule gives first (with both methods).
    The cover is one number for both periods, so its field is the material's; at 0.5 the plan
    buys 150 t in P1 and 100 t in P2: 2,500.
    """
    problem, diagnosis = _diagnose(_stock_rule(1.0), solver, method)
    _same(_relaxed(diagnosis), {"stock_cover(Nd,P1)": (50, 1.0, 0.5)})
    _same(_rules(diagnosis), {"security.min_stock_cover.Nd": (1.0, 0.5, 50)})
    (message,) = diagnosis.messages
    _says(message, "Nd, P1", "1 x demand (100.0 t)", "50.0 t", "50.0 t short")
    _says(message, "security.min_stock_cover.Nd must be at most 0.5")
    assert _applied_cost(problem, diagnosis, solver) == _approx(2500)


def test_the_methods_differ_when_unmet_demand_carries_forward(solver: SolverName) -> None:
    """Cover 2.0 (200 t of stock asked in each period): the Japan 12-month case in miniature.

    priority: no demand need go unmet and no cap binds, so only the stock rule gives. P1 can
    end with at most 50 t (150 short), P2 with at most 50 + 50 = 100 t (100 short): 250 t, and
    the cover that holds in both periods is 50 / 100 = 0.5. Relaxed: P1 buys 150 t (100 used,
    50 kept) and P2 100 t: 2,500.

    tonnes: every tonne of P1's demand left unmet stays in stock for both periods, so 100 t
    unmet in P1 (all of it) lift P1's stock to 150 t (50 short, a cover of 1.5) and P2's to
    200 t: 150 t in all, fewer tonnes but a different question answered. Relaxed with P1's
    demand at 0 and a cover of 1.5 (no stock asked in P1, where the demand is 0): P2 must end
    with 150 t, so 150 + 100 t are bought: 2,500 again.
    """
    problem, diagnosis = _diagnose(_stock_rule(2.0), solver)
    _same(
        _relaxed(diagnosis),
        {"stock_cover(Nd,P1)": (150, 2, 0.5), "stock_cover(Nd,P2)": (100, 2, 1.0)},
    )
    _same(_rules(diagnosis), {"security.min_stock_cover.Nd": (2, 0.5, 250)})
    assert _applied_cost(problem, diagnosis, solver) == _approx(2500)

    problem, tonnes = _diagnose(_stock_rule(2.0), solver, "tonnes")
    _same(_relaxed(tonnes), {"balance(Nd,P1)": (100, 100, 0), "stock_cover(Nd,P1)": (50, 2, 1.5)})
    assert tonnes.total_relaxation == _approx(150)
    _same(
        _rules(tonnes), {"demand.Nd.P1": (100, 0, 100), "security.min_stock_cover.Nd": (2, 1.5, 50)}
    )
    assert _applied_cost(problem, tonnes, solver) == _approx(2500)


# -- two rules at once -----------------------------------------------------------------------------


def test_a_cap_and_a_cover_rule_together(solver: SolverName) -> None:
    """Nd: demand 100 t; China 200 t at 10, Australia 40 t at 15; China sells at most 50 t
    (cap ``quota``); half the demand must be coverable without China.

    By hand: without China there are at most 40 t of the 50 t asked: the cover rule gives 10 t
    (share 0.4). Australia 40 t + China 50 t = 90 t leave 10 t of demand that only China can
    sell: the cap gives 10 t (max_tonnes 60) rather than demand. Total 20 t. Relaxed: China
    60 t and Australia 40 t: 600 + 600 = 1,200.
    """
    document: Document = {
        "name": "cap and cover",
        "materials": [{"id": "Nd"}],
        "reference_prices": {"Nd": 10},
        "sources": [
            {"id": "CN1", "country": "CN", "capacity": {"Nd": 200}},
            {"id": "AU1", "country": "AU", "capacity": {"Nd": 40}, "price_multiplier": 1.5},
        ],
        "demand": {"Nd": 100},
        "caps": [{"id": "quota", "country": "CN", "max_tonnes": 50}],
        "security": {"min_cover_without": [{"country": "CN", "share": 0.5}]},
    }
    problem, diagnosis = _diagnose(document, solver)
    _same(
        _relaxed(diagnosis),
        {"cover_without(CN,Nd,P1)": (10, 0.5, 0.4), "cap(quota,Nd,P1)": (10, 50, 60)},
    )
    assert diagnosis.total_relaxation == _approx(20)
    _same(
        _rules(diagnosis),
        {"security.min_cover_without.0.share": (0.5, 0.4, 10), "caps.0.max_tonnes": (50, 60, 10)},
    )
    cover, cap = diagnosis.messages
    _says(cover, "Nd, P1", "without CN", "only 40.0 t", "10.0 t short", "at most 0.4")
    _says(cap, "Nd, P1", "cap quota (at most 50.0 t from CN)", "10.0 t", "60.0 t from CN")
    _says(cap, "caps.0.max_tonnes must be at least 60.0")
    summary = diagnosis.summary()
    _says(summary, "infeasible", "20.0 t in 2 rows", "caps.0.max_tonnes", "60.0")
    assert _applied_cost(problem, diagnosis, solver) == _approx(1200)


# -- every tonne a rule counts: price bands, feeds, summed rows, fixed volumes, substitution ----


def _china_share(china: dict[str, Any]) -> Document:
    """Nd: demand 100 t; ``china`` (CN) can deliver 90 t, Australia 10 t at 15; at most 50%
    from China."""
    return {
        "name": "china share",
        "materials": [{"id": "Nd"}],
        "reference_prices": {"Nd": 10},
        "sources": [
            {"id": "CN1", "country": "CN"} | china,
            {"id": "AU1", "country": "AU", "capacity": {"Nd": 10}, "prices": {"Nd": 15}},
        ],
        "demand": {"Nd": 100},
        "security": {"max_country_share": {"CN": 0.5}},
    }


def _check_china_share(document: Document, solver: SolverName, cost: float) -> None:
    """By hand: every tonne is needed, so China delivers 90 t of the 100 t: 40 t more than
    50% of 100 t allows, a share of 0.9."""
    problem, diagnosis = _diagnose(document, solver)
    _same(_relaxed(diagnosis), {"max_share(CN,Nd,P1)": (40, 0.5, 0.9)})
    row = diagnosis.relaxations.iloc[0]
    assert (row["value"], row["limit"]) == (_approx(90), _approx(50))
    _same(_rules(diagnosis), {"security.max_country_share.CN": (0.5, 0.9, 40)})
    (message,) = diagnosis.messages
    _says(message, "other countries supply 10.0 t", "90.0 t of the 100.0 t bought come from CN")
    _says(message, "(90%)", "security.max_country_share.CN must be at least 0.9")
    assert _applied_cost(problem, diagnosis, solver) == _approx(cost)


def test_a_feed_counts_toward_its_country_share(solver: SolverName) -> None:
    """China sells no Nd directly, only ore yielding 0.3 t of Nd per tonne, 300 t at 3 a
    tonne: 90 t of Nd. The feed's tonnes are China's (diagnose once read 0 t and asked for a
    share of 1e-9). Relaxed: 300 t of ore x 3 + 10 t x 15 = 1,050."""
    feed = {"id": "ore", "yields": {"Nd": 0.3}, "price_per_tonne_feed": 3, "capacity": 300}
    _check_china_share(_china_share({"capacity": {}, "feeds": [feed]}), solver, 1050)


def test_every_price_band_counts_toward_its_country_share(solver: SolverName) -> None:
    """China sells 90 t of Nd in two bands: 20 t at 10, then 70 t at 12. All 90 t are China's
    (diagnose once read the first band only: 20 t of 30 t, a share of 0.667). Relaxed:
    20 x 10 + 70 x 12 + 10 x 15 = 1,190."""
    tiers = [{"up_to": 20, "price": 10}, {"price": 12}]
    _check_china_share(_china_share({"capacity": {"Nd": 90}, "tiers": {"Nd": tiers}}), solver, 1190)


def test_a_cap_and_a_contract_summed_over_materials_and_periods(solver: SolverName) -> None:
    """Nd 50 t and Dy 20 t a period, in P1 and P2; China sells both (100 t a period each, at
    10), Australia 20 t of Nd a period at 15. China may sell at most 80 t of Nd and Dy over
    both periods together (cap ``quota``); Australia must deliver at least 60 t of Nd over
    both periods (contract ``offtake``).

    By hand: 140 t are needed and Australia can deliver only 40 t, so China sells 100 t: the
    cap gives 20 t (max_tonnes 100) and the contract 20 t (min_tonnes 40); demand gives
    nothing. Relaxed: 100 t x 10 + 40 t x 15 = 1,600.
    """
    document: Document = {
        "name": "summed",
        "periods": ["P1", "P2"],
        "materials": [{"id": "Nd"}, {"id": "Dy"}],
        "reference_prices": {"Nd": 10, "Dy": 10},
        "sources": [
            {"id": "CN1", "country": "CN", "capacity": {"Nd": 100, "Dy": 100}},
            {"id": "AU1", "country": "AU", "capacity": {"Nd": 20}, "prices": {"Nd": 15}},
        ],
        "demand": {"Nd": 50, "Dy": 20},
        "caps": [
            {
                "id": "quota",
                "country": "CN",
                "sum_over": ["materials", "periods"],
                "max_tonnes": 80,
            }
        ],
        "contracts": [
            {
                "id": "offtake",
                "source": "AU1",
                "materials": ["Nd"],
                "sum_over": ["periods"],
                "min_tonnes": 60,
            }
        ],
    }
    problem, diagnosis = _diagnose(document, solver)
    _same(
        _relaxed(diagnosis),
        {
            "cap(quota,Nd+Dy,P1..P2)": (20, 80, 100),
            "contract(offtake,Nd,P1..P2)": (20, 60, 40),
        },
    )
    _same(
        _rules(diagnosis),
        {"caps.0.max_tonnes": (80, 100, 20), "contracts.0.min_tonnes": (60, 40, 20)},
    )
    cap, contract = diagnosis.messages
    _says(cap, "Nd+Dy, P1..P2", "cap quota (at most 80.0 t from CN)", "buys 100.0 t from CN")
    _says(contract, "Nd, P1..P2", "contract offtake asks AU1 for 60.0 t", "only 40.0 t")
    assert _applied_cost(problem, diagnosis, solver) == _approx(1600)


def test_a_fixed_contract_gives_in_every_period_alike(solver: SolverName) -> None:
    """Nd 25 t in P1 and 50 t in P2. Australia must deliver exactly 30 t a period (contract
    ``deal``) but can deliver only 20 t in P1 (40 t in P2); China 5 t in P1, 100 t in P2 at
    10; 60% of demand must be coverable without China.

    By hand: one ``fixed_tonnes`` sets both periods, so it falls to 20 t in both (10 t in each
    row). Then Australia delivers 20 t in P2, where 30 t must be coverable without China, and
    there is no stock to carry (P1 buys all it can use): the cover rule gives 10 t (a share of
    0.4). Lowering the contract in P1 alone (and keeping 30 t in P2) would leave a plan that
    the changed input does not allow. Relaxed: Australia 40 t x 15 + China 35 t x 10 = 950.
    """
    document: Document = {
        "name": "fixed",
        "periods": ["P1", "P2"],
        "materials": [{"id": "Nd"}],
        "reference_prices": {"Nd": 10},
        "sources": [
            {"id": "CN1", "country": "CN", "capacity": {"Nd": {"P1": 5, "P2": 100}}},
            {
                "id": "AU1",
                "country": "AU",
                "capacity": {"Nd": {"P1": 20, "P2": 40}},
                "prices": {"Nd": 15},
            },
        ],
        "demand": {"Nd": {"P1": 25, "P2": 50}},
        "contracts": [{"id": "deal", "source": "AU1", "fixed_tonnes": 30}],
        "security": {"min_cover_without": [{"country": "CN", "share": 0.6}]},
    }
    problem, diagnosis = _diagnose(document, solver)
    _same(
        _relaxed(diagnosis),
        {
            "contract(deal,Nd,P1)": (10, 30, 20),
            "contract(deal,Nd,P2)": (10, 30, 20),
            "cover_without(CN,Nd,P2)": (10, 0.6, 0.4),
        },
    )
    _same(
        _rules(diagnosis),
        {
            "contracts.0.fixed_tonnes": (30, 20, 20),
            "security.min_cover_without.0.share": (0.6, 0.4, 10),
        },
    )
    assert _applied_cost(problem, diagnosis, solver) == _approx(950)


def test_unmet_demand_lowers_what_a_substitute_may_save(solver: SolverName) -> None:
    """Nd: demand 100 t; China sells 40 t at 10; a substitute saves 1 t of Nd a unit, 100
    units at 1, but at most half of the demand.

    By hand: with demand d the plan meets at most 40 + d / 2, so d = 80 at most: 20 t of
    demand cannot be met (not 10 t: with demand at 90, the substitute may save only 45 t).
    Relaxed: 40 t x 10 + 40 units x 1 = 440.
    """
    document: Document = {
        "name": "substitute share",
        "materials": [{"id": "Nd"}],
        "reference_prices": {"Nd": 10},
        "sources": [{"id": "CN1", "country": "CN", "capacity": {"Nd": 40}}],
        "substitutes": [
            {
                "id": "ferrite",
                "saves": {"Nd": 1},
                "cost": 1,
                "capacity": 100,
                "max_share_of_demand": {"Nd": 0.5},
            }
        ],
        "demand": {"Nd": 100},
    }
    problem, diagnosis = _diagnose(document, solver)
    _same(_relaxed(diagnosis), {"balance(Nd,P1)": (20, 100, 80)})
    _same(_rules(diagnosis), {"demand.Nd.P1": (100, 80, 20)})
    assert _applied_cost(problem, diagnosis, solver) == _approx(440)


def test_demand_falls_no_lower_than_what_substitution_saves() -> None:
    """Nd 24 t and Dy 1 t in P1; no Nd for sale before P2; a substitute saves 0.5 t of Nd and
    2 t of Dy a unit (at 4 a unit). HiGHS only: the relaxed plan sits on two opposite bounds
    at once (Dy saved exactly equal to its demand), and CBC reports its plan to 8 significant
    digits, too coarse to keep both to the 1e-7 t a solver allows.

    By hand: Dy is met only by substitution and may not be over-saved, so exactly 0.5 units
    are used; they save 0.25 t of Nd, the only Nd in P1: 23.75 t cannot be met. Demand falls
    to exactly 0.25 t, not a hair below (then the 0.5 units would save more Nd than is
    demanded). Relaxed: 0.5 units x 4 = 2.
    """
    document: Document = {
        "name": "joint saving",
        "periods": ["P1", "P2"],
        "materials": [{"id": "Nd"}, {"id": "Dy"}],
        "reference_prices": {"Nd": 10, "Dy": 10},
        "sources": [{"id": "CN1", "country": "CN", "capacity": {"Nd": 10}, "available_from": "P2"}],
        "substitutes": [{"id": "K1", "saves": {"Nd": 0.5, "Dy": 2}, "cost": 4, "capacity": 27}],
        "demand": {"Nd": {"P1": 24}, "Dy": {"P1": 1}},
    }
    problem, diagnosis = _diagnose(document, "highs")
    _same(_relaxed(diagnosis), {"balance(Nd,P1)": (23.75, 24, 0.25)})
    _same(_rules(diagnosis), {"demand.Nd.P1": (24, 0.25, 23.75)})
    assert _applied_cost(problem, diagnosis, "highs") == _approx(2)


# -- errors ----------------------------------------------------------------------------------------


def test_unknown_method_and_foreign_problem_are_refused() -> None:
    problem, diagnosis = _diagnose(_embargo(), "highs")
    with pytest.raises(OptireeError, match="unknown method 'fewest'"):
        diagnose(problem, method="fewest")  # type: ignore[arg-type]
    with pytest.raises(OptireeError, match="no cap 'embargo'"):
        diagnosis.apply(Problem.model_validate(two_country()))


# -- random problems -------------------------------------------------------------------------------


@settings(max_examples=max(40, settings().max_examples // 4))
@given(problems())
def test_applying_the_diagnosis_always_gives_a_plan(problem: Problem) -> None:
    """On random problems: the diagnosis is feasible exactly when the problem solves, and an
    infeasible problem with every field of ``rules`` at its sufficient value solves."""
    result = optiree.solve(problem)
    for method in ("priority", "tonnes"):
        diagnosis = diagnose(problem, method=method)
        note(diagnosis.summary())
        assert diagnosis.feasible == (result.status == "optimal")
        if not diagnosis.feasible:
            assert (diagnosis.relaxations["relax_by"] > 0).all()
            relaxed = optiree.solve(diagnosis.apply(problem))
            assert relaxed.status == "optimal", relaxed.message


def _set_field(document: Document, periods: list[str], path: str, value: float) -> None:
    """Set the number at ``path`` (``security.max_country_share.CN``, ``caps.1.max_tonnes``,
    ``demand.Nd.P2``...) in a ``model_dump``; a one-number demand becomes a per-period one."""
    *parents, last = path.split(".")
    node: Any = document
    for key in parents:
        child = node[int(key)] if isinstance(node, list) else node[key]
        if not isinstance(child, dict | list):  # a scalar given for every period
            child = dict.fromkeys(periods, child)
            node[key] = child
        node = child
    node[int(last) if isinstance(node, list) else last] = value


def _looser(rule: str, current: float, sufficient: float) -> bool:
    """``sufficient`` is ``current`` or loosens it: a share or cap up, anything else down."""
    if rule in ("max_share", "cap"):
        return sufficient >= current
    return sufficient <= current


@settings(max_examples=max(40, settings().max_examples // 2))
@given(squeezed_documents(), st.sampled_from(SOLVERS), st.sampled_from(["priority", "tonnes"]))
def test_every_reported_value_suffices_on_random_infeasible_problems(
    document: Document, solver: SolverName, method: Method
) -> None:
    """Random problems with every feature (tiers, floors, feeds, separation, hard, fixed and
    take-or-pay contracts and caps per cell or summed, substitution with ramps and shares,
    surplus, every security rule), drawn tight so that most have no plan. diagnose never
    raises; every field it names moves only in its loosening direction; the problem with
    every field at its sufficient value (set here from the ``field`` paths, and by ``apply``:
    the same problem) has a plan, which the independent checker accepts. With one field to
    change, that one change suffices."""
    problem = Problem.model_validate(document)
    diagnosis = diagnose(problem, solver, method=method)
    note(diagnosis.summary())
    assert diagnosis.feasible == (optiree.solve(problem, solver).status == "optimal")
    event("feasible" if diagnosis.feasible else f"{len(diagnosis.rules)} field(s) to change")
    if diagnosis.feasible:
        return
    table = diagnosis.relaxations
    assert (table["relax_by"] > 0).all()
    changed = problem.model_dump()
    for row in diagnosis.rules.itertuples():
        assert _looser(row.rule, row.current, row.sufficient), row.field
        _set_field(changed, problem.periods, row.field, row.sufficient)
    relaxed = Problem.model_validate(changed)
    assert relaxed == diagnosis.apply(problem)
    result = optiree.solve(relaxed, solver)
    assert result.status == "optimal", result.message
    assert check(relaxed, result, duals=False) == []


@settings(max_examples=max(20, settings().max_examples // 8))
@given(squeezed_documents(), st.data())
def test_a_diagnosis_in_other_units_gives_a_plan(document: Document, data: st.DataObject) -> None:
    """The same random problems written in kg, metal or magnet: the diagnosis is in t REO, and
    ``apply`` returns a t REO problem that has a plan."""
    problem = Problem.model_validate(written_in(document, units_of(data.draw)))
    diagnosis = diagnose(problem)
    note(diagnosis.summary())
    if not diagnosis.feasible:
        result = optiree.solve(diagnosis.apply(problem))
        assert result.status == "optimal", result.message


# -- the examples in docs/diagnose.md --------------------------------------------------------------


def _examples() -> list[tuple[str, str]]:
    """Each ```python block of docs/diagnose.md that calls diagnose, with the ```text block that
    follows it (what it prints)."""
    text = (DOCS / "diagnose.md").read_text()
    blocks = re.findall(r"```(\w+)\n(.*?)```", text, re.S)
    return [
        (code, printed)
        for (language, code), (after, printed) in itertools.pairwise(blocks)
        if language == "python" and "diagnose(" in code and after == "text"
    ]


def test_the_docs_show_what_the_examples_print(monkeypatch: pytest.MonkeyPatch) -> None:
    """The small example and the Japan examples print exactly what the page shows. The blocks
    run in order in one namespace, as in a notebook, from the repository's root."""
    examples = _examples()
    assert len(examples) >= 2, "docs/diagnose.md should show a small and a Japan example"
    monkeypatch.chdir(DOCS.parent)
    namespace: dict[str, Any] = {}
    for code, printed in examples:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "docs/diagnose.md", "exec"), namespace)
        assert out.getvalue() == printed


def test_the_docs_example_figures() -> None:
    """The worked example of docs/diagnose.md, derived by hand there: the share rule gives
    12 t in 2026Q1 (80 t bought, 60 t from China, 48 t allowed), a share of 0.75 suffices, and
    the relaxed plan costs 60 x 300,000 + 20 x 450,000 + 20 x 450,000 = 36,000,000."""
    text = (DOCS / "diagnose.md").read_text()
    _says(text, "12.0 t more than 60% allows", "security.max_country_share.CN     0.6       0.75")
    _says(text, "Relaxed: optimal, total cost 36,000,000 USD")


CBC_CAP_CASE: Document = {
    "name": "cbc cap",
    "periods": ["P1", "P2", "P3"],
    "materials": [{"id": "Nd"}],
    "reference_prices": {"Nd": 10.0},
    "sources": [{"id": "S1", "country": "CN", "capacity": {"Nd": 5.0}, "price_multiplier": 0.5}],
    "demand": {"Nd": 2.0},
    "caps": [{"id": "squeeze", "source": "S1", "max_share_of_capacity": 0.25}],
    "security": {"max_country_share": {"CN": 0.0}},
}
"""Found by the property above: CBC's relaxed plan bought 1.2500004 t under a cap of 1.25 t
(8 digits, within its tolerance), so the demand read off it, less a margin of one CBC
precision, was 1.2500002 t: more than the cap lets in, and the suggested problem had no plan."""


def test_a_relaxation_read_off_cbcs_plan_still_has_a_plan() -> None:
    problem = Problem.model_validate(CBC_CAP_CASE)
    relaxed = diagnose(problem, "cbc", method="tonnes").apply(problem)
    assert max(relaxed.demand["Nd"].values()) <= 1.25  # type: ignore[union-attr]
    for solver in SOLVERS:
        assert optiree.solve(relaxed, solver).status == "optimal", solver
