"""Caps and disruptions on a facility of the chain (``caps[].facility``,
``disruptions[].facility``): what it takes in, of every origin, against its capacity.

Hand-solved on every solver. A chain of two materials: Mt Weld (AU) sells concentrate of NdPr
(80 t at 50) and Dy (10 t at 500), Kalgoorlie (AU) NdPr (60 t at 60); both are separated at
Kuantan (MY: 100 t in a period, all materials together, 95 % out, 20 per tonne in); China
sells oxide at 100 (NdPr) and 1,000 (Dy). Demand 120 t of NdPr oxide and 10 t of Dy oxide.
Per tonne taken in at Kuantan: Mt Weld's Dy saves 950 - 520 = 430 of Chinese oxide, Mt Weld's
NdPr 95 - 70 = 25, Kalgoorlie's 95 - 80 = 15. Without a cut Kuantan takes Mt Weld's 10 t of
Dy (9.5 t of oxide; China 0.5 t), then 80 t of Mt Weld's and 10 t of Kalgoorlie's NdPr (85.5 t
of oxide; China 34.5 t): 5,200 + 500 + 5,600 + 800 + 3,450 = **15,550**. Each optimum below is
unique.
"""

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import optiree
from optiree import Problem, Result
from optiree.disruption.scenarios import apply
from optiree.disruption.stochastic import expected_value_problem, two_stage
from optiree.prepare import prepare
from optiree.schema import Cap
from optiree.solve import SolverName
from optiree.verify import verify
from tests.checker import check
from tests.strategies import supply_documents
from tests.test_stages import _through_pass
from tests.unique import assert_unique

Document = dict[str, Any]

CHAIN: Document = {
    "name": "two materials through Kuantan",
    "periods": ["P1"],
    "stages": ["concentrate", "oxide"],
    "materials": [{"id": "NdPr"}, {"id": "Dy"}],
    "reference_prices": {"NdPr": 100, "Dy": 1000},
    "sources": [
        {
            "id": "mtweld",
            "country": "AU",
            "stage": "concentrate",
            "capacity": {"NdPr": 80, "Dy": 10},
            "price_multiplier": 0.5,
        },
        {
            "id": "kalgoorlie",
            "country": "AU",
            "stage": "concentrate",
            "capacity": {"NdPr": 60},
            "price_multiplier": 0.6,
        },
        {"id": "china", "country": "CN", "capacity": {"NdPr": 200, "Dy": 50}},
    ],
    "facilities": [
        {
            "id": "kuantan",
            "stage": "oxide",
            "country": "MY",
            "capacity": 100,
            "output_per_input": 0.95,
            "processing_cost": 20,
            "takes_from": ["mtweld", "kalgoorlie"],
        }
    ],
    "demand": {"NdPr": 120, "Dy": 10},
}
BASE_COST = 15_550.0


def _problem(**more: Any) -> Problem:
    return Problem.model_validate(copy.deepcopy(CHAIN) | more)


def _solve(problem: Problem, solver: SolverName) -> Result:
    result = optiree.solve(problem, solver)
    assert result.status == "optimal", result.message
    assert check(problem, result) == []
    return result


def _taken(result: Result) -> dict[str, float]:
    """Tonnes taken in at Kuantan by material."""
    flows = result.flows[result.flows["node"] == "kuantan"]
    return {str(m): float(x) for m, x in flows.groupby("material")["tonnes_in"].sum().items()}


def _approx(value: object) -> Any:
    return pytest.approx(value, rel=1e-6, abs=1e-6)


def _disrupted(solver: SolverName, **disruption: Any) -> Result:
    scenario = {"name": "cut", "disruptions": [{"start": "P1", **disruption}]}
    problem = _problem(scenarios=[scenario])
    return _solve(apply(problem, problem.scenarios[0]), solver)


def test_the_chain_without_a_cut(solver: SolverName) -> None:
    result = _solve(_problem(), solver)
    assert result.total_cost == _approx(BASE_COST)
    assert _taken(result) == {"NdPr": _approx(90.0), "Dy": _approx(10.0)}


@pytest.mark.parametrize(
    ("sum_over", "cost", "ndpr", "shadows"),
    [
        (["materials"], 16_700.0, 40.0, {"cap(c,NdPr+Dy,P1)": 25.0}),
        ([], 16_450.0, 50.0, {"cap(c,NdPr,P1)": 25.0, "cap(c,Dy,P1)": 0.0}),
    ],
)
def test_a_cap_on_what_a_facility_takes_in(
    solver: SolverName, sum_over: list[str], cost: float, ndpr: float, shadows: dict[str, float]
) -> None:
    """At most 50 t into Kuantan. Every material together (``sum_over: [materials]``): Mt
    Weld's 10 t of Dy and 40 t of its NdPr (38 t of oxide); China 82 t of NdPr and 0.5 t of
    Dy: 5,200 + 500 + 2,800 + 8,200 = 16,700. Per material (no ``sum_over``, as on sources):
    Mt Weld's 50 t of NdPr (47.5 t of oxide) and its 10 t of Dy; China 72.5 t of NdPr and 0.5 t
    of Dy: 5,200 + 500 + 3,500 + 7,250 = 16,450. A binding cap's shadow price is what a tonne
    more in saves: Mt Weld's NdPr, 25; Kuantan's own row does not bind."""
    cap = {"id": "c", "facility": "kuantan", "max_tonnes": 50, "sum_over": sum_over}
    problem = _problem(caps=[cap])
    result = _solve(problem, solver)
    assert result.total_cost == _approx(cost)
    assert _taken(result) == {"NdPr": _approx(ndpr), "Dy": _approx(10.0)}
    rows = result.constraints.set_index("constraint")["shadow_price"]
    assert {row: rows[row] for row in shadows} == _approx(shadows)
    assert rows["facility(kuantan,P1)"] == _approx(0.0)
    assert_unique(problem, ["balance(NdPr,P1)", "balance(Dy,P1)"])


def test_a_facility_cut_shares_the_capacity_out(solver: SolverName) -> None:
    """A disruption of Kuantan at a cut of 0.5 leaves 50 t of its capacity for all materials
    together: the plan of the 50 t cap above, 16,700."""
    result = _disrupted(solver, facility="kuantan", cut=0.5)
    assert result.total_cost == _approx(16_700.0)
    assert _taken(result) == {"NdPr": _approx(40.0), "Dy": _approx(10.0)}


def test_a_facility_embargo_on_one_material(solver: SolverName) -> None:
    """Kuantan may take in no Dy: all 10 t of Dy oxide from China (10,000); its capacity goes
    to NdPr (Mt Weld 80, Kalgoorlie 20; China 25: 9,700). 19,700."""
    result = _disrupted(solver, facility="kuantan", materials=["Dy"], cut=1.0)
    assert result.total_cost == _approx(19_700.0)
    assert _taken(result) == {"NdPr": _approx(100.0), "Dy": _approx(0.0)}


def test_a_partial_cut_of_one_material_is_a_share_of_the_capacity(solver: SolverName) -> None:
    """A cut of 0.5 of Kuantan for Dy leaves Dy 50 t of the capacity: more than its 10 t, so
    the plan without a cut (15,550): a facility's cut withholds capacity, not throughput."""
    result = _disrupted(solver, facility="kuantan", materials=["Dy"], cut=0.5)
    assert result.total_cost == _approx(BASE_COST)


def test_a_share_of_the_capacity_over_two_periods() -> None:
    """A cap of 30 % of Kuantan's capacity over two periods and every material together (60
    t of its 200 t): the Dy (20 t) and 40 t of Mt Weld's NdPr; the rest from China."""
    problem = _problem(
        periods=["P1", "P2"],
        caps=[
            {
                "id": "q",
                "facility": "kuantan",
                "max_share_of_capacity": 0.3,
                "sum_over": ["periods", "materials"],
            }
        ],
    )
    result = _solve(problem, "highs")
    per_period_china_dy = 0.5
    china_ndpr = 2 * 120 - 0.95 * 40
    cost = 20 * 520 + 2 * per_period_china_dy * 1000 + 40 * 70 + china_ndpr * 100
    assert result.total_cost == _approx(cost)
    assert sum(_taken(result).values()) == _approx(60.0)


def test_the_input_reference_example_of_a_facility_cap() -> None:
    """docs/input.md: Kuantan held to half its capacity, every material together, on
    examples/stages.yaml (one material): one row a period, 50 t of Kuantan's 100."""
    cap = {"id": "kuantan_half", "facility": "kuantan", "max_share_of_capacity": 0.5}
    problem = optiree.load_problem(Path(__file__).resolve().parents[1] / "examples/stages.yaml")
    capped = problem.derive(caps=[Cap.model_validate(cap | {"sum_over": ["materials"]})])
    rows = _solve(capped, "highs").constraints.set_index("constraint")
    assert rows.loc["cap(kuantan_half,NdPr,P1)", "limit"] == _approx(50.0)


def test_verify_refuses_a_plan_over_a_facility_cap() -> None:
    """The plan without the cap, checked against the problem with it: verify reads the flows
    table and names the cap's row."""
    result = _solve(_problem(), "highs")
    cap = {"id": "half", "facility": "kuantan", "max_tonnes": 50, "sum_over": ["materials"]}
    capped = _problem(caps=[cap])
    worst = verify(prepare(capped), result.tables())
    assert worst.row == "cap(half,NdPr+Dy,P1)"
    assert worst.amount == _approx(50.0)
    assert any(v.startswith("cap(half") for v in check(capped, result, duals=False))


def test_sweep_and_stress_test_see_a_facility_cut() -> None:
    """A sweep of a facility's cut and a country's (re-solved warm) gives what each scenario
    solved from scratch gives; a stress test of the facility's cut costs what the scenario
    does when nothing is committed before it."""
    scenarios = [
        {"name": "kuantan", "disruptions": [{"facility": "kuantan", "start": "P2", "cut": 0.5}]},
        {"name": "china", "disruptions": [{"country": "CN", "start": "P2", "cut": 0.9}]},
    ]
    document = copy.deepcopy(CHAIN) | {"periods": ["P1", "P2"], "scenarios": scenarios}
    document["shortage_penalty"] = {"NdPr": 400, "Dy": 4000}
    problem = Problem.model_validate(document)
    swept = optiree.sweep(problem, problem.scenarios, executor="serial", progress=False)
    table = swept.table.set_index("scenario")
    faced = optiree.disruption.scenarios.for_disruption(problem)
    for scenario in faced.scenarios:
        alone = optiree.solve(apply(faced, scenario))
        assert table.loc[scenario.name, "total_cost"] == _approx(alone.total_cost)
    assert table.loc["kuantan", "total_cost"] == _approx(BASE_COST + 16_700.0)
    plan = optiree.solve(problem)
    stressed = optiree.stress_test(problem, plan, "kuantan", 1)
    assert stressed.total_cost == _approx(BASE_COST + 16_700.0)


def test_the_expected_value_problem_averages_a_facility_cut() -> None:
    """Kuantan shut in P2 in one of two equally likely scenarios: the expected-value problem
    lets it take in (0 + 100) / 2 = 50 t in P2, every material together."""
    scenarios = [
        {"name": "shut", "disruptions": [{"facility": "kuantan", "start": "P2"}]},
        {"name": "calm"},
    ]
    document = copy.deepcopy(CHAIN) | {"periods": ["P1", "P2"], "scenarios": scenarios}
    document["shortage_penalty"] = {"NdPr": 400, "Dy": 4000}
    mean = expected_value_problem(two_stage(Problem.model_validate(document)))
    (cap,) = mean.caps
    assert (cap.facility, cap.materials, cap.periods) == ("kuantan", ["NdPr", "Dy"], ["P2"])
    assert cap.sum_over == ["materials"]
    assert cap.max_tonnes == _approx(50.0)


@pytest.mark.parametrize(
    ("change", "loc", "words"),
    [
        (
            {"caps": [{"facility": "nowhere", "max_tonnes": 1}]},
            ("caps", 0, "facility"),
            "unknown facility 'nowhere'",
        ),
        (
            {"caps": [{"facility": "kuantan", "country": "CN", "max_tonnes": 1}]},
            ("caps", 0),
            "exactly one of 'country', 'source' or 'facility'",
        ),
        (
            {"scenarios": [{"name": "x", "disruptions": [{"facility": "no", "start": "P1"}]}]},
            ("scenarios", 0, "disruptions", 0, "facility"),
            "unknown facility 'no'",
        ),
    ],
)
def test_a_bad_facility_target_names_the_field(
    change: Document, loc: tuple[Any, ...], words: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        _problem(**change)
    found = [(e["loc"], e["msg"]) for e in caught.value.errors()]
    assert any(at == loc and words in message for at, message in found), found


def test_diagnose_relaxes_a_facility_cap_to_a_plan() -> None:
    """Without China and with Kuantan held to 10 t of each material, NdPr (50 t of oxide:
    52.63 t in) cannot be met: diagnose raises the cap to 52.63 t (the Dy's 9.47 t fit under
    it too), and the problem it suggests has a plan."""
    document = copy.deepcopy(CHAIN)
    document["sources"] = document["sources"][:2]
    document["demand"] = {"NdPr": 50, "Dy": 9}
    document["caps"] = [{"id": "tight", "facility": "kuantan", "max_tonnes": 10}]
    problem = Problem.model_validate(document)
    assert optiree.solve(problem).status == "infeasible"
    diagnosis = optiree.diagnose(problem)
    relaxed = optiree.solve(diagnosis.apply(problem))
    assert relaxed.status == "optimal", relaxed.message
    rules = diagnosis.rules.set_index("field")
    assert rules.loc["caps.0.max_tonnes", "sufficient"] == _approx(50 / 0.95)
    assert "the relaxed plan takes in 52.6 t into facility kuantan" in diagnosis.summary()


# -- random chains ---------------------------------------------------------------------------


@settings(max_examples=max(20, settings().max_examples // 5))
@given(
    document=supply_documents(),
    share=st.sampled_from([0.0, 0.3, 1.0]),
    solver=st.sampled_from(["highs", "cbc"]),
)
def test_random_facility_caps_pass_the_checker(
    document: Document, share: float, solver: SolverName
) -> None:
    """A cap on the first pass-through facility (tests/test_stages.py) of a random problem:
    the plan passes the checker's own rows, and the cap never lowers the cost."""
    chained = _through_pass(document)
    free = optiree.solve(Problem.model_validate(chained), solver)
    first = chained["facilities"][0]["id"]
    chained["caps"] = [*chained.get("caps", []), {"facility": first, "max_tonnes": 30 * share}]
    problem = Problem.model_validate(chained)
    result = optiree.solve(problem, solver)
    if free.status != "optimal" or result.status != "optimal":
        return
    assert check(problem, result) == []
    assert result.total_cost is not None
    assert free.total_cost is not None
    assert result.total_cost >= free.total_cost - 1e-6 * max(1.0, abs(free.total_cost))
