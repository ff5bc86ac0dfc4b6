"""Properties every optiree solve must have, on random valid problems (hypothesis).

The strategies build small problems (1-3 materials, 1-4 periods, 1-5 sources across 1-3
countries) with every kind of input: scalar and per-period numbers, own prices that fall back to
the reference price, late sources and substitutes, stock and holding costs, caps in tonnes and as
shares of capacity, every security rule and shortage penalties. Numbers are whole tonnes and
round prices, so every optimum is exact to far better than the tolerance.

Properties: an optimal plan passes the independent checker (``tests/checker.py``); a problem
whose every material may go short and whose only rules are caps and country shares is always
solvable; a tighter rule never lowers the cost and dropping the security rules never raises it;
scaling every price and cost scales the optimum; HiGHS and CBC agree.

The supply strategies (``supply_problems``) add tiers, price floors, feeds with co-products,
separation limits, caps and contracts over groups, take-or-pay, ramps, shares of demand, sales
and disposal of surplus, stock in days, strategic stocks and units other than t REO. Over them:
every optimal plan passes the checker with either solver, and the solvers agree on the cost;
raising a contract minimum or tightening a cap, separation limit, ramp or share of demand never
lowers the cost; the same problem in kg and in t has the same cost and plan; and the checker
catches any number of a plan's tables changed by a tonne or more.
"""

import copy
import dataclasses
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import event, given, note, settings
from hypothesis import strategies as st

import optiree
from optiree import Problem, Result
from optiree.schema import Security
from optiree.solve import SolverName
from tests.checker import check
from tests.conftest import SOLVERS
from tests.strategies import (
    SHARES,
    problems,
    subset_of,
    supply_documents,
    supply_problems,
    units_of,
    whole_floats,
    written_in,
)

RELATIVE = 1e-6


def _solve(problem: Problem, solver: SolverName = "highs") -> Result:
    result = optiree.solve(problem, solver)
    event(f"{solver}: {result.status.value}")
    assert result.status in ("optimal", "infeasible"), result.message
    if result.status == "infeasible":
        assert result.total_cost is None
        assert "infeasible" in result.message
    return result


def _cost(result: Result) -> float:
    """The optimal cost, or +infinity for an infeasible problem."""
    return math.inf if result.total_cost is None else result.total_cost


def _at_least(a: float, b: float) -> bool:
    """``a >= b`` up to the relative tolerance (infinities compare as themselves)."""
    if math.isinf(a) or math.isinf(b):
        return a >= b
    return a >= b - RELATIVE * max(1.0, abs(b))


def _as_dict(problem: Problem) -> dict[str, Any]:
    return problem.model_dump(exclude_unset=True)


@given(problems())
def test_every_optimal_plan_passes_the_checker(problem: Problem) -> None:
    result = _solve(problem)
    if result.is_optimal:
        assert check(problem, result) == []


@given(problems(elastic=True))
def test_elastic_problems_are_always_optimal(problem: Problem) -> None:
    """Buying nothing and going short of everything meets every cap and country share, so a
    problem whose every material has a shortage penalty cannot be infeasible."""
    result = _solve(problem)
    assert result.is_optimal, result.message
    assert check(problem, result) == []


def _add_a_cap(draw: st.DrawFn, problem: Problem, data: dict[str, Any]) -> None:
    """A cap more, on a country or a source."""
    cap: dict[str, Any] = {"id": "extra"}
    if draw(st.booleans()):
        cap["country"] = draw(st.sampled_from(problem.countries))
    else:
        cap["source"] = draw(st.sampled_from([s.id for s in problem.sources]))
    if draw(st.booleans()):
        cap["materials"] = subset_of(draw, problem.material_ids)
    if draw(st.booleans()):
        cap["max_tonnes"] = draw(whole_floats(0, 150))
    else:
        cap["max_share_of_capacity"] = draw(st.sampled_from(SHARES))
    data["caps"] = [*data.get("caps", []), cap]


def _lower_a_country_share(draw: st.DrawFn, problem: Problem, data: dict[str, Any]) -> None:
    """A country's largest share lowered (or set)."""
    c = draw(st.sampled_from(problem.countries))
    shares = data["security"].setdefault("max_country_share", {})
    old = shares.get(c, 1.0)
    shares[c] = draw(st.sampled_from([s for s in SHARES if s <= old]))


def _raise_a_cover(draw: st.DrawFn, problem: Problem, data: dict[str, Any]) -> None:
    """The share of demand coverable without a country raised (or a rule added)."""
    c = draw(st.sampled_from(problem.countries))
    rules = data["security"].setdefault("min_cover_without", [])
    rule = next((r for r in rules if r["country"] == c), None)
    if rule is None:
        rule = {"country": c, "share": 0.0}
        rules.append(rule)
    rule["share"] = draw(st.sampled_from([s for s in SHARES if s >= rule["share"]]))


def _raise_a_stock_cover(draw: st.DrawFn, problem: Problem, data: dict[str, Any]) -> None:
    """A material's stock cover raised (or set)."""
    m = draw(st.sampled_from(problem.material_ids))
    covers = data["security"].setdefault("min_stock_cover", {})
    more = draw(st.sampled_from([0.1, 0.5]))
    old = covers.get(m, 0.0)
    if isinstance(old, dict):  # raise the periods listed and require some of the others
        covers[m] = {t: old.get(t, 0.0) + more for t in subset_of(draw, problem.periods)}
        covers[m] |= {t: c + more for t, c in old.items()}
    else:
        covers[m] = old + more


def _tighten_a_cap(draw: st.DrawFn, problem: Problem, data: dict[str, Any]) -> None:
    """A cap's tonnes or share lowered."""
    i = draw(st.integers(0, len(problem.caps) - 1))
    cap = data["caps"][i]
    if "max_tonnes" in cap:
        cap["max_tonnes"] = draw(whole_floats(0, int(cap["max_tonnes"])))
    else:
        old = cap["max_share_of_capacity"]
        cap["max_share_of_capacity"] = draw(st.sampled_from([s for s in SHARES if s <= old]))


RULE_TIGHTENINGS: dict[str, Callable[[st.DrawFn, Problem, dict[str, Any]], None]] = {
    "new cap": _add_a_cap,
    "max_country_share": _lower_a_country_share,
    "min_cover_without": _raise_a_cover,
    "min_stock_cover": _raise_a_stock_cover,
    "cap": _tighten_a_cap,
}
"""Kind -> how to tighten a problem's document (edited in place) by one rule; the last needs
a cap."""


@st.composite
def tightenings(draw: st.DrawFn) -> tuple[Problem, Problem, str]:
    """A problem and the same problem with one rule tighter (or one cap more)."""
    problem = draw(problems())
    data = _as_dict(problem)
    data.setdefault("security", {})
    kinds = list(RULE_TIGHTENINGS)
    if not problem.caps:
        kinds = kinds[:4]
    kind = draw(st.sampled_from(kinds))
    RULE_TIGHTENINGS[kind](draw, problem, data)
    event(f"tighten {kind}")
    return problem, Problem.model_validate(data), kind


@given(tightenings())
def test_a_tighter_rule_never_lowers_the_cost(case: tuple[Problem, Problem, str]) -> None:
    problem, tighter, kind = case
    before, after = _solve(problem), _solve(tighter)
    note(f"{kind}: {before.total_cost} -> {after.total_cost}")
    assert _at_least(_cost(after), _cost(before))


@given(problems())
def test_dropping_the_security_rules_never_raises_the_cost(problem: Problem) -> None:
    loose = problem.model_copy(update={"security": Security()})
    before, after = _solve(problem), _solve(loose)
    note(f"{before.total_cost} -> {after.total_cost}")
    assert _at_least(_cost(before), _cost(after))


def _scaled(problem: Problem, factor: float) -> Problem:
    """Every price and cost of ``problem`` times ``factor``; multipliers stay as they are."""

    def scale(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: scale(v) for key, v in value.items()}
        return value * factor

    data = _as_dict(problem)
    data["reference_prices"] = scale(data.get("reference_prices", {}))
    for source in data["sources"]:
        if "prices" in source:
            source["prices"] = scale(source["prices"])
    for substitute in data.get("substitutes", []):
        substitute["cost"] = scale(substitute["cost"])
    stock = data.setdefault("stock", {})
    stock["holding_cost"] = scale(stock.get("holding_cost", {}))
    data["shortage_penalty"] = scale(data.get("shortage_penalty", {}))
    return Problem.model_validate(data)


@given(problems(), st.sampled_from([0.001, 0.37, 3.0, 1000.0]))
def test_scaling_every_price_scales_the_cost(problem: Problem, factor: float) -> None:
    before, after = _solve(problem), _solve(_scaled(problem, factor))
    assert before.status == after.status
    if before.is_optimal:
        expected = _cost(before) * factor
        assert after.total_cost == pytest.approx(expected, rel=RELATIVE, abs=RELATIVE * factor)


@given(problems())
def test_highs_and_cbc_agree(problem: Problem) -> None:
    highs, cbc = _solve(problem, "highs"), _solve(problem, "cbc")
    assert highs.status == cbc.status, (highs.message, cbc.message)
    if highs.is_optimal:
        assert cbc.total_cost == pytest.approx(highs.total_cost, rel=RELATIVE, abs=RELATIVE)
        assert check(problem, cbc) == []


# -- supply realism: tiers, floors, feeds, contracts, separation, ramps, surplus, units -----------

_PROFILE = settings.default
FEWER = settings(max_examples=max(10, (_PROFILE.max_examples if _PROFILE else 100) // 5))
"""The supply problems are larger and solve twice per example: a fifth of the profile's
examples (30 on ``ci``, 400 on ``thorough``)."""


def _cost_scale(result: Result) -> float:
    """The size of the cost terms: sales (negative) and purchases may nearly cancel."""
    return max(1.0, float(result.costs["cost"].abs().sum()))


@FEWER
@given(supply_problems())
def test_every_optimal_supply_plan_passes_the_checker(problem: Problem) -> None:
    for solver in SOLVERS:
        result = _solve(problem, solver)
        if result.is_optimal:
            assert check(problem, result) == [], solver


@FEWER
@given(supply_problems())
def test_highs_and_cbc_agree_on_supply_problems(problem: Problem) -> None:
    highs, cbc = _solve(problem, "highs"), _solve(problem, "cbc")
    assert highs.status == cbc.status, (highs.message, cbc.message)
    if highs.is_optimal:
        # CBC's solution file has about eight significant digits: the error allowed grows with
        # the cost terms, not with their (possibly cancelling) sum.
        scale = _cost_scale(highs)
        assert abs(_cost(cbc) - _cost(highs)) <= RELATIVE * scale, (
            highs.total_cost,
            cbc.total_cost,
        )


def _scale_by(value: Any, factor: float) -> Any:
    """A number or a per-period dict of numbers times ``factor``, rounded down to whole."""
    if isinstance(value, dict):
        return {t: math.floor(v * factor) for t, v in value.items()}
    return float(math.floor(value * factor))


def _raise_a_minimum(draw: st.DrawFn, tighter: dict[str, Any], factor: float) -> None:
    """A contract minimum raised, or a minimum contract added."""
    minimums = [c for c in tighter["contracts"] if "min_tonnes" in c]
    if draw(st.booleans()) and minimums:
        contract = draw(st.sampled_from(minimums))
        contract["min_tonnes"] += draw(whole_floats(1, 50))
        return
    source = draw(st.sampled_from(tighter["sources"]))
    contract = {"id": "extra", "source": source["id"], "sum_over": ["periods"]}
    contract["min_tonnes"] = draw(whole_floats(1, 50))
    if draw(st.booleans()):
        contract["take_or_pay"] = draw(whole_floats(0, 60))
    tighter["contracts"].append(contract)


def _lower_a_cap(draw: st.DrawFn, tighter: dict[str, Any], factor: float) -> None:
    """A cap's tonnes or share lowered, or a cap added."""
    if draw(st.booleans()) and tighter["caps"]:
        cap = draw(st.sampled_from(tighter["caps"]))
        if "max_tonnes" in cap:
            cap["max_tonnes"] = _scale_by(cap["max_tonnes"], factor)
        else:
            old = cap["max_share_of_capacity"]
            cap["max_share_of_capacity"] = draw(st.sampled_from([s for s in SHARES if s <= old]))
        return
    tighter["caps"].append(
        {
            "id": "extra",
            "country": draw(st.sampled_from([s["country"] for s in tighter["sources"]])),
            "sum_over": draw(st.sampled_from([[], ["periods"], ["materials", "periods"]])),
            "max_tonnes": draw(whole_floats(0, 200)),
        }
    )


def _lower_a_separation(draw: st.DrawFn, tighter: dict[str, Any], factor: float) -> None:
    """A separation limit lowered, or one added."""
    source = draw(st.sampled_from(tighter["sources"]))
    if "separation_capacity" in source:
        source["separation_capacity"] = _scale_by(source["separation_capacity"], factor)
    else:
        source["separation_capacity"] = draw(whole_floats(0, 200))


def _slow_a_ramp(draw: st.DrawFn, tighter: dict[str, Any], factor: float) -> None:
    """A ramp's term lowered, or a ramp added."""
    substitute = draw(st.sampled_from(tighter["substitutes"]))
    if "ramp" in substitute:
        ramp = substitute["ramp"]
        key = draw(st.sampled_from(sorted(ramp)))
        ramp[key] = ramp[key] * factor
    else:
        substitute["ramp"] = {"max_increase": draw(whole_floats(0, 20))}


def _lower_a_share(draw: st.DrawFn, tighter: dict[str, Any], factor: float) -> None:
    """A substitute's largest share of demand lowered, or one added."""
    substitute = draw(st.sampled_from(tighter["substitutes"]))
    shares = substitute.setdefault("max_share_of_demand", {})
    m = draw(st.sampled_from(sorted(substitute["saves"])))
    if m in shares:
        old = shares[m]
        shares[m] = (
            {t: v * factor for t, v in old.items()} if isinstance(old, dict) else (old * factor)
        )
    else:
        shares[m] = draw(st.sampled_from([0.0, 0.25, 0.5]))


TIGHTENINGS: dict[str, Callable[[st.DrawFn, dict[str, Any], float], None]] = {
    "contract minimum": _raise_a_minimum,
    "cap": _lower_a_cap,
    "separation": _lower_a_separation,
    "ramp": _slow_a_ramp,
    "sub_share": _lower_a_share,
}
"""Kind -> how to tighten a document (edited in place) of that kind of supply rule; the last
two need a substitute."""


@st.composite
def supply_tightenings(draw: st.DrawFn) -> tuple[Problem, Problem, str]:
    """A supply problem and the same problem, in the same units, with a contract minimum
    raised, a cap or separation limit lowered, or a ramp or share of demand tightened (or one
    such rule added)."""
    document = draw(supply_documents())
    units = units_of(draw)
    tighter = copy.deepcopy(document)
    factor = draw(st.sampled_from([0.0, 0.5, 0.9]))
    kinds = list(TIGHTENINGS)
    if not document["substitutes"]:
        kinds = kinds[:3]
    kind = draw(st.sampled_from(kinds))
    TIGHTENINGS[kind](draw, tighter, factor)
    event(f"tighten {kind}")
    return (
        Problem.model_validate(written_in(document, units)),
        Problem.model_validate(written_in(tighter, units)),
        kind,
    )


@FEWER
@given(supply_tightenings())
def test_a_tighter_supply_rule_never_lowers_the_cost(case: tuple[Problem, Problem, str]) -> None:
    problem, tighter, kind = case
    before, after = _solve(problem), _solve(tighter)
    note(f"{kind}: {before.total_cost} -> {after.total_cost}")
    assert _at_least(_cost(after), _cost(before))


@FEWER
@given(supply_documents(), st.sampled_from(["REO", "metal", "magnet"]))
def test_a_problem_in_kg_has_the_plan_in_tonnes(document: dict[str, Any], basis: str) -> None:
    """Demand, prices and quantities in kg give the cost they give in tonnes, and a plan (in
    t REO) that is optimal in tonnes."""
    in_t = Problem.model_validate(
        written_in(document, {"demand": f"t {basis}", "prices": f"t {basis}"})
    )
    in_kg = Problem.model_validate(
        written_in(
            document, {"demand": f"kg {basis}", "prices": f"kg {basis}", "quantities": "kg REO"}
        )
    )
    tonnes, kg = _solve(in_t), _solve(in_kg)
    assert tonnes.status == kg.status
    if tonnes.is_optimal:
        scale = _cost_scale(tonnes)
        assert abs(_cost(kg) - _cost(tonnes)) <= RELATIVE * scale
        # The plan in kg, read in t REO, is an optimal plan of the problem in tonnes: it meets
        # that problem's every rule at the same cost. (It need not be the same plan: a random
        # problem may have several optimal plans, and a solver may pick another on data that
        # differ in the last bits.)
        assert check(in_t, kg, duals=False) == []


CHECKED = {
    "purchases": ["tonnes", "capacity", "unit_price", "cost"],
    "feeds": ["tonnes", "capacity", "unit_price", "cost"],
    "supply": ["bought", "from_feeds", "tonnes"],
    "inventory": [
        "opening",
        "purchased",
        "sold",
        "closing",
        "surplus",
        "holding_cost",
        "below_target",
        "gap_charged",
        "below_target_cost",
    ],
    "costs": ["cost"],
    "constraints": ["limit", "slack"],
}
"""Columns of plain numbers the checker re-derives (reduced costs and ranging it does not)."""


@FEWER
@given(supply_problems(), st.data())
def test_the_checker_catches_a_changed_number(problem: Problem, data: st.DataObject) -> None:
    """One number of an optimal supply plan's tables, moved by a tonne or a unit of money (or
    more), is always caught."""
    result = _solve(problem)
    if not result.is_optimal:
        return
    tables = [t for t in CHECKED if len(getattr(result, t))]
    table = data.draw(st.sampled_from(tables))
    column = data.draw(st.sampled_from(CHECKED[table]))
    frame = getattr(result, table).copy()
    row = data.draw(st.integers(0, len(frame) - 1))
    old = float(frame[column].iloc[row])
    frame.loc[frame.index[row], column] = old + max(1.0, abs(old))
    event(f"corrupt {table}.{column}")
    assert check(problem, dataclasses.replace(result, **{table: frame})) != []
