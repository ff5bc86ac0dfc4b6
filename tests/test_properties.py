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
"""

import math
from typing import Any

import pytest
from hypothesis import event, given, note
from hypothesis import strategies as st

import optiree
from optiree import Problem, Result
from optiree.schema import Security
from optiree.solve import SolverName
from tests.checker import check
from tests.strategies import SHARES, problems, subset_of, whole_floats

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


@st.composite
def tightenings(draw: st.DrawFn) -> tuple[Problem, Problem, str]:
    """A problem and the same problem with one rule tighter (or one cap more)."""
    problem = draw(problems())
    data = _as_dict(problem)
    security = data.setdefault("security", {})
    countries = problem.countries
    materials = problem.material_ids
    kinds = ["new cap", "max_country_share", "min_cover_without", "min_stock_cover"]
    if problem.caps:
        kinds.append("cap")
    kind = draw(st.sampled_from(kinds))
    if kind == "new cap":
        cap: dict[str, Any] = {"id": "extra"}
        if draw(st.booleans()):
            cap["country"] = draw(st.sampled_from(countries))
        else:
            cap["source"] = draw(st.sampled_from([s.id for s in problem.sources]))
        if draw(st.booleans()):
            cap["materials"] = subset_of(draw, materials)
        if draw(st.booleans()):
            cap["max_tonnes"] = draw(whole_floats(0, 150))
        else:
            cap["max_share_of_capacity"] = draw(st.sampled_from(SHARES))
        data["caps"] = [*data.get("caps", []), cap]
    elif kind == "max_country_share":
        c = draw(st.sampled_from(countries))
        shares = security.setdefault("max_country_share", {})
        old = shares.get(c, 1.0)
        shares[c] = draw(st.sampled_from([s for s in SHARES if s <= old]))
    elif kind == "min_cover_without":
        c = draw(st.sampled_from(countries))
        rules = security.setdefault("min_cover_without", [])
        rule = next((r for r in rules if r["country"] == c), None)
        if rule is None:
            rule = {"country": c, "share": 0.0}
            rules.append(rule)
        rule["share"] = draw(st.sampled_from([s for s in SHARES if s >= rule["share"]]))
    elif kind == "min_stock_cover":
        m = draw(st.sampled_from(materials))
        covers = security.setdefault("min_stock_cover", {})
        more = draw(st.sampled_from([0.1, 0.5]))
        old = covers.get(m, 0.0)
        if isinstance(old, dict):  # raise the periods listed and require some of the others
            covers[m] = {t: old.get(t, 0.0) + more for t in subset_of(draw, problem.periods)}
            covers[m] |= {t: c + more for t, c in old.items()}
        else:
            covers[m] = old + more
    else:
        i = draw(st.integers(0, len(problem.caps) - 1))
        cap = data["caps"][i]
        if "max_tonnes" in cap:
            cap["max_tonnes"] = draw(whole_floats(0, int(cap["max_tonnes"])))
        else:
            old = cap["max_share_of_capacity"]
            cap["max_share_of_capacity"] = draw(st.sampled_from([s for s in SHARES if s <= old]))
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
