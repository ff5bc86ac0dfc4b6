"""Notebooks: every result shows as a small, well-formed HTML card with its text escaped; the
reprs of a result and a problem are short; help() lists a model's fields; tables carry their
units in ``df.attrs["units"]``."""

import pydoc
import re
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings

import optiree
from optiree.results import TABLES
from tests.samples import JAPAN, full, two_country
from tests.strategies import problems
from tests.test_html import TagChecker, check

HOSTILE = '<script>alert("x")</script> & <b>bold</b>'
CARD_TAGS = {"div", "p", "strong", "pre", "details", "summary"}
CARD_TAGS |= {"table", "thead", "tbody", "tr", "th", "td"}


def _read(card: str) -> TagChecker:
    """The card parsed: well formed (every tag closed in order), one <div>, only the tags of a
    card (no script, no markup from a name)."""
    parser = check(card)
    assert card.startswith('<div class="optiree-card">')
    assert card.endswith("</div>")
    assert set(re.findall(r"<(\w+)", card)) <= CARD_TAGS
    return parser


def _japan() -> optiree.Problem:
    return optiree.load_problem(JAPAN)


@pytest.fixture(scope="module")
def japan() -> tuple[optiree.Problem, optiree.Result]:
    problem = _japan()
    return problem, optiree.solve(problem)


def test_a_result_card_shows_its_total_cost_to_the_digits_printed(
    japan: tuple[optiree.Problem, optiree.Result],
) -> None:
    _, result = japan
    text = "".join(_read(result._repr_html_()).text)
    shown = re.search(r"Total cost: ([\d,]+) USD", text)
    assert shown is not None
    assert result.total_cost is not None
    assert int(shown.group(1).replace(",", "")) == round(result.total_cost)
    dearest = result.binding.iloc[0]["constraint"]
    assert f"Binding rules: {len(result.binding)}; dearest: {dearest}" in text
    for table in ("cost by component", "binding rules", "supply"):
        assert table in text


def test_a_card_escapes_a_hostile_name_and_shows_it_as_written() -> None:
    document = full()
    document["name"] = HOSTILE
    document["description"] = HOSTILE
    problem = optiree.Problem.model_validate(document)
    result = optiree.solve(problem)
    for card in (problem._repr_html_(), result._repr_html_()):
        parser = _read(card)
        assert "<b>" not in card
        assert "<script>" not in card
        assert HOSTILE in "".join(parser.text)


def test_a_card_of_an_unmet_demand_shows_what_is_short() -> None:
    document = two_country()
    document["sources"][1]["capacity"] = {"Dy": 5}
    document["shortage_penalty"] = {"Dy": 1000}
    result = optiree.solve(optiree.Problem.model_validate(document))
    text = "".join(_read(result._repr_html_()).text)
    assert "optimal, but demand is not met" in text
    assert "unmet demand (1 rows)" in text


def test_a_card_without_a_plan_says_why() -> None:
    document = two_country()
    document["demand"] = {"Dy": 500}
    result = optiree.solve(optiree.Problem.model_validate(document))
    assert result.status == "infeasible"
    text = "".join(_read(result._repr_html_()).text)
    assert result.message in text
    assert "Total cost" not in text


def _analyses(problem: optiree.Problem, result: optiree.Result) -> dict[str, Any]:
    small = optiree.Problem.model_validate(two_country())
    infeasible = small.derive(demand={"Dy": 500})
    scenarios = optiree.random_scenarios(problem, 3, seed=1)
    two_stage = optiree.solve_stochastic(problem)
    return {
        "Sensitivity": optiree.sensitivity(result),
        "Frontier": optiree.frontier(small, "CN"),
        "Diagnosis": optiree.diagnose(infeasible),
        "StressResult": optiree.stress_test(problem, result, "embargo_1y", 2),
        "StressTable": optiree.stress_table(problem, {"plan": result}, ["embargo_1y"], 2),
        "StochasticResult": two_stage,
        "OutOfSample": optiree.out_of_sample(problem, two_stage, scenarios),
        "Sweep": optiree.sweep(problem, scenarios, executor="serial", progress=False),
        "Simulation": optiree.simulate(
            problem,
            {"states": [{"name": "calm"}], "transitions": {"calm": {"calm": 1.0}}},
            paths=1,
            executor="serial",
            progress=False,
        ),
    }


def test_every_analysis_shows_a_card_with_its_summary_and_tables(
    japan: tuple[optiree.Problem, optiree.Result],
) -> None:
    for kind, analysis in _analyses(*japan).items():
        assert type(analysis).__name__ == kind
        text = "".join(_read(analysis._repr_html_()).text)
        assert text.strip().splitlines()[0] == f"optiree.{kind}"
        assert analysis.summary().splitlines()[0] in text
        tables = analysis.tables()
        assert tables
        assert all(isinstance(table, pd.DataFrame) for table in tables.values())
        for name, table in tables.items():
            shown = f"first 10 of {len(table):,} rows" if len(table) > 10 else f"{len(table)} rows"
            assert f"{name} ({shown})" in text


def test_the_reprs_of_a_result_and_a_problem_are_short(
    japan: tuple[optiree.Problem, optiree.Result],
) -> None:
    problem, result = japan
    shown = repr(result)
    assert len(shown) < 300
    assert len(shown.splitlines()) == 2
    assert "optimal" in shown
    assert "total cost 1,345,119,637 USD" in shown
    assert "purchases 63" in shown
    shown = repr(problem)
    assert len(shown) < 200
    assert "8 periods: 2026Q1..2027Q4" in shown
    assert "5 sources, 5 countries" in shown


@settings(deadline=None, max_examples=max(20, settings().max_examples // 5))
@given(problems())
def test_a_random_problems_repr_is_short_and_its_tables_carry_their_units(
    problem: optiree.Problem,
) -> None:
    assert len(repr(problem)) <= 180 + len(repr(problem.name))
    result = optiree.solve(problem)
    assert len(repr(result)) <= 260 + len(repr(problem.name))
    _read(problem._repr_html_())
    _read(result._repr_html_())
    _assert_units(result)


def _assert_units(result: optiree.Result) -> None:
    """Each table's ``attrs["units"]`` is what ``units()`` lists for its columns."""
    units = result.units()
    for name in TABLES:
        table = getattr(result, name)
        listed = units[units["table"] == name]
        expected = {}
        for column in table.columns:
            pattern = "saved_*" if column.startswith("saved_") else column
            found = listed.loc[listed["column"] == pattern, "unit"]
            if len(found):
                expected[column] = found.iloc[0]
        assert table.attrs["units"] == expected, name


def test_the_tables_of_the_japan_case_carry_their_units(
    japan: tuple[optiree.Problem, optiree.Result],
) -> None:
    _, result = japan
    _assert_units(result)
    assert result.purchases.attrs["units"]["unit_price"] == "USD/t REO"
    assert result.binding.attrs["units"] == result.constraints.attrs["units"]
    assert result.unmet.attrs["units"] == {
        "demand": "t REO",
        "tonnes": "t REO",
        "share": "fraction",
        "cost": "USD",
    }


def test_help_of_a_problem_opens_with_its_fields() -> None:
    text = pydoc.render_doc(optiree.Problem, renderer=pydoc.plaintext)
    assert "Problem(**fields)" in text
    opening = text[: text.index("Method resolution order")]
    assert len(opening) < 4000
    for name, info in optiree.Problem.model_fields.items():
        assert f"    {name}: " in opening
        assert info.description
        assert info.description.splitlines()[0] in opening
    assert "demand: dict[str, float | dict[str, float]] (required)" in opening
    assert "Material -> tonnes per period" in opening
