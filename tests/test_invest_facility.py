"""Investment options on a facility of the chain (``investments[].facility``).

Hand-solved on every solver from examples/stages.yaml: Mt Weld (50/t, 80 t) and Kalgoorlie
(60/t, 60 t) share Kuantan (100 t in a period, 95 % out, 20 per tonne in); China sells oxide
at 100/t; demand 120 t of oxide. Per tonne taken in at Kuantan, Kalgoorlie's concentrate
(80 with the processing) makes 0.95 t of oxide that would cost 95 from China: a tonne of
Kuantan's capacity is worth 15. Without an option the plan is Kuantan full (Mt Weld 80 t,
Kalgoorlie 20 t) and China 25 t, for 9,700. Each optimum below is unique. Properties on
random chains: the checker in tests/ (its own facility rows) passes every plan, and a larger
option never costs more.
"""

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import optiree
from optiree import Problem, Result
from optiree.io import read_document
from optiree.prepare import prepare
from optiree.solve import SolverName
from optiree.verify import verify
from tests.checker import check
from tests.strategies import supply_documents
from tests.test_stages import _solve, _through_pass
from tests.unique import assert_unique

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "stages.yaml"
Document = dict[str, Any]


def _with_option(capital: float, max_size: float = 100.0, **more: Any) -> Document:
    document = read_document(EXAMPLE)
    document["period_days"] = 365
    document["investments"] = [
        {
            "id": "kuantan_more",
            "facility": "kuantan",
            "capital_cost": capital,
            "max_size": max_size,
        }
        | more
    ]
    return document


def _shadow(result: Result, row: str) -> float:
    return float(result.constraints.set_index("constraint").loc[row, "shadow_price"])


def _built(result: Result) -> dict[str, float]:
    rows = result.investments
    keys = zip(rows["investment"], rows["period"], rows["size"], strict=True)
    return {f"{o}@{t}": float(x) for o, t, x in keys}


def _approx(value: object) -> Any:
    return pytest.approx(value, rel=1e-6, abs=1e-6)


def test_a_cheap_expansion_is_built_until_demand_is_met(solver: SolverName) -> None:
    """At 5 per t/yr (one period of a year: a tonne of yearly capacity is a tonne in the
    period), each tonne of capacity saves 15 - 5: Kuantan takes in all 120 / 0.95 = 126.32 t
    the demand needs (Mt Weld 80, Kalgoorlie 46.32), 26.32 t built, none from China.

    - Cost: 80 x 70 + 46.32 x 80 + 26.32 x 5 = 85 x 120 / 0.95 - 1,300 = 9,436.84.
    - Shadow prices: facility(kuantan,P1) 5 (a tonne more of it saves a tonne built);
      balance(NdPr,P1) (80 + 5) / 0.95 = 89.47.
    """
    problem, result = _solve(_with_option(5.0), solver)
    taken = 120 / 0.95
    assert _built(result) == {"kuantan_more@P1": _approx(taken - 100)}
    assert result.total_cost == _approx(85 * taken - 1_300)
    assert _shadow(result, "facility(kuantan,P1)") == _approx(5.0)
    assert _shadow(result, "balance(NdPr,P1)") == _approx(85 / 0.95)
    costs = result.costs.set_index(["component", "item"])["cost"]
    assert costs["capital", "kuantan_more"] == _approx(5 * (taken - 100))
    assert_unique(problem, ["balance(NdPr,P1)"])


def test_the_facility_row_reads_the_new_capacity(solver: SolverName) -> None:
    """The constraints table reads the row as its rule does: taken in (126.32 t) against the
    capacity there was plus the new (100 + 26.32)."""
    _, result = _solve(_with_option(5.0), solver)
    row = result.constraints.set_index("constraint").loc["facility(kuantan,P1)"]
    assert row["value"] == _approx(120 / 0.95)
    assert row["limit"] == _approx(120 / 0.95)
    assert bool(row["binding"])


def test_a_dear_expansion_is_not_built(solver: SolverName) -> None:
    """At 20 per t/yr a tonne of capacity costs more than the 15 it saves: nothing is built,
    the plan of the example (9,700), Kuantan's shadow price 15."""
    _, result = _solve(_with_option(20.0), solver)
    assert _built(result) == {"kuantan_more@P1": _approx(0.0)}
    assert result.total_cost == _approx(9_700.0)
    assert _shadow(result, "facility(kuantan,P1)") == _approx(15.0)


def test_the_largest_size_binds(solver: SolverName) -> None:
    """At most 10 t/yr at 5: 10 t built, Kalgoorlie 30 t, 104.5 t of oxide from Kuantan and
    15.5 t from China: 5,600 + 2,400 + 50 + 1,550 = 9,600. A tonne more of the largest size
    saves 15 - 5 = 10."""
    problem, result = _solve(_with_option(5.0, max_size=10.0), solver)
    assert _built(result) == {"kuantan_more@P1": _approx(10.0)}
    assert result.total_cost == _approx(9_600.0)
    assert_unique(problem, ["balance(NdPr,P1)"])
    _, larger = _solve(_with_option(5.0, max_size=11.0), solver)
    assert larger.total_cost == _approx(9_590.0)


def test_a_lead_time_serves_from_the_next_period(solver: SolverName) -> None:
    """Two half-year periods (a tonne of yearly capacity serves 0.5 t a period), demand 120 t
    in each, capital 5 per t/yr (10 per tonne of a period's capacity, less than the 15 saved)
    and a lead time of one period: decided in P1, serving in P2 only. P1 is the example's plan
    (9,700); in P2 Kuantan takes in 126.32 t, 26.32 t new a period: 52.63 t/yr built in P1
    for 263.16; P2 costs 80 x 70 + 46.32 x 80 = 9,305.26. Total 19,268.42."""
    document = _with_option(5.0, lead_time=1)
    document["periods"], document["period_days"] = ["P1", "P2"], 182.5
    _, result = _solve(document, solver)
    new = 120 / 0.95 - 100
    assert _built(result) == {"kuantan_more@P1": _approx(2 * new)}
    assert result.total_cost == _approx(9_700 + 5_600 + 80 * (120 / 0.95 - 80) + 10 * new)
    assert _shadow(result, "facility(kuantan,P1)") == _approx(15.0)


def test_verify_refuses_a_plan_over_the_facility_it_did_not_build() -> None:
    """The plan's flows need the 26.32 t built: the same flows with no build break the
    facility row, and verify (which reads the investments table) says so."""
    problem, result = _solve(_with_option(5.0), "highs")
    tables = result.tables()
    builds = tables["investments"].copy()
    builds["size"] = 0.0
    worst = verify(prepare(problem), tables | {"investments": builds})
    assert worst.row == "facility(kuantan,P1)"
    assert worst.amount == _approx(120 / 0.95 - 100)


def test_checker_counts_the_new_capacity() -> None:
    """The checker's own facility row: the plan, read against the problem without the
    option, takes more into Kuantan than it has."""
    _, result = _solve(_with_option(5.0), "highs")
    found = check(Problem.model_validate(read_document(EXAMPLE)), result, duals=False)
    assert any(v.startswith("facility(kuantan,P1)") for v in found), found


@pytest.mark.parametrize(
    ("option", "loc", "words"),
    [
        ({"facility": "nowhere"}, ("investments", 0, "facility"), "unknown facility 'nowhere'"),
        ({"facility": "kuantan", "source": "mtweld"}, ("investments", 0), "exactly one of"),
        ({"facility": "kuantan", "substitute": "x"}, ("investments", 0), "a facility"),
    ],
)
def test_a_bad_facility_option_names_the_field(
    option: Document, loc: tuple[Any, ...], words: str
) -> None:
    document = _with_option(5.0)
    document["investments"][0] = {"id": "o", "capital_cost": 1, "max_size": 1} | option
    with pytest.raises(ValidationError) as caught:
        Problem.model_validate(document)
    found = [(e["loc"], e["msg"]) for e in caught.value.errors()]
    assert any(at == loc and words in message for at, message in found), found


# -- random chains ---------------------------------------------------------------------------


def _optioned(document: Document, capital: float, size: float) -> Document:
    """``document`` as a chain of pass-through facilities (tests/test_stages.py) each held to
    a capacity of 30 t a period, with an option on the first one."""
    chained = _through_pass(document)
    for facility in chained["facilities"]:
        facility["capacity"] = 30.0
    chained["period_days"] = 365
    first = chained["facilities"][0]["id"]
    chained["investments"] = [
        {"id": "more", "facility": first, "capital_cost": capital, "max_size": size}
    ]
    return chained


@settings(max_examples=max(20, settings().max_examples // 5))
@given(
    document=supply_documents(),
    capital=st.sampled_from([0.0, 1.0, 40.0]),
    size=st.sampled_from([5.0, 50.0]),
    solver=st.sampled_from(["highs", "cbc"]),
)
def test_random_facility_options_pass_the_checker(
    document: Document, capital: float, size: float, solver: SolverName
) -> None:
    """Every plan passes the checker's own rows, and a larger option never costs more."""
    problem = Problem.model_validate(_optioned(document, capital, size))
    result = optiree.solve(problem, solver)
    if result.status != "optimal":
        return
    assert check(problem, result) == []
    larger = optiree.solve(Problem.model_validate(_optioned(document, capital, 2 * size)), solver)
    assert larger.status == "optimal"
    assert larger.total_cost is not None
    assert result.total_cost is not None
    assert larger.total_cost <= result.total_cost + 1e-6 * max(1.0, abs(result.total_cost))
