"""What a frontier reads per level, done cheaply, is what the full route gives: the problem at
a level (derived without dumping and re-validating the unchanged parts), the basis signature
and the slope (read as arrays and lists, once per level)."""

import importlib
import itertools
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import optiree
from optiree import Problem
from optiree.results import Result
from tests.strategies import investment_problems, problems, supply_problems

frontier_module = importlib.import_module("optiree.frontier")
EXAMPLES = Path(__file__).parents[1] / "examples"
LEVELS = st.one_of(
    st.none(),
    st.floats(0.0, 1.0),
    st.sampled_from([0.0, 1.0, 2.0, 64.0, 1e6, 1e30]),
    st.floats(0.0, 1e6),
)
"""Levels a frontier sets: None (the rule removed), shares, covers, and targets so large that
the cross-field checks refuse them (a stock target above the largest number)."""


def _same_problem(problem: Problem, spec: Any, level: float | None) -> None:
    """``spec.set_level`` (the cheap route) gives the problem, or the error, that deriving the
    same changed parts through the full validation gives."""
    try:
        parts = spec.parts(problem, level)
    except ValidationError:
        return  # the changed rule itself refuses the level: before either route
    refused: list[Any] = []
    try:
        validated = problem.derive(**parts)
    except ValidationError as error:
        refused = error.errors()
    if refused:
        with pytest.raises(ValidationError) as cheap_error:
            spec.set_level(problem, level)
        assert cheap_error.value.errors() == refused
        return
    cheap = spec.set_level(problem, level)
    assert cheap == validated
    assert cheap.model_dump_json() == validated.model_dump_json()
    assert cheap.model_dump() == validated.model_dump()


def _spec(problem: Problem, rule: str, **asked: Any) -> Any:
    country = asked.pop("country", problem.countries[0])
    return frontier_module._rule(problem, rule, country, asked.pop("material", None), **asked)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    problem=st.one_of(problems(), supply_problems()),
    rule=st.sampled_from(["max_share", "cover_without", "stock_cover"]),
    levels=st.lists(LEVELS, min_size=1, max_size=4),
    data=st.data(),
)
def test_a_level_derived_cheaply_is_the_validated_problem(
    problem: Problem, rule: str, levels: list[float | None], data: st.DataObject
) -> None:
    """Largest share, cover without a country and stock cover, on random problems (whose own
    rules the level replaces), at random levels: the same problem as the full validation, or
    the same error."""
    country = data.draw(st.sampled_from(problem.countries))
    material = data.draw(st.sampled_from(problem.material_ids))
    spec = _spec(problem, rule, country=country, material=material)
    for level in levels:
        _same_problem(problem, spec, level)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=investment_problems(), levels=st.lists(LEVELS, min_size=1, max_size=4))
def test_a_budget_derived_cheaply_is_the_validated_problem(
    problem: Problem, levels: list[float | None]
) -> None:
    """A budget over every option, and each investor's, on random problems with options."""
    investors = sorted({o.investor for o in problem.investments if o.investor})
    for investor in [None, *investors]:
        spec = _spec(problem, "budget", investor=investor)
        for level in levels:
            _same_problem(problem, spec, level)


STAGED = [
    ("stage_rules.yaml", "stage_max_share", {"country": "CN"}),
    ("stage_rules.yaml", "stage_min_share", {"country": "CN", "stage": "oxide"}),
    ("stage_rules.yaml", "origin_share", {"country": "CN"}),
    ("stage_rules.yaml", "cover_without", {"country": "CN", "stage": "oxide"}),
    ("us_credit.yaml", "origin_min_share", {"group": "fta", "measure": "value"}),
    ("us_credit.yaml", "stage_min_share", {"group": "fta", "stage": "oxide"}),
    ("japan_2026_stages.yaml", "stage_max_share", {"country": "CN"}),
    ("country_groups.yaml", "max_share", {"group": "feoc"}),
    ("stage_rules.yaml", "cover_without", {"group": "allies"}),
]


@pytest.mark.parametrize(("file", "rule", "asked"), STAGED)
@settings(deadline=None, max_examples=10)
@given(levels=st.lists(LEVELS, min_size=1, max_size=4))
def test_a_stage_or_origin_rule_derived_cheaply_is_the_validated_problem(
    file: str, rule: str, asked: dict[str, Any], levels: list[float | None]
) -> None:
    """The stage and origin rules, and rules naming a group, on the examples that have them."""
    problem = optiree.load_problem(EXAMPLES / file)
    spec = _spec(problem, rule, **asked)
    for level in levels:
        _same_problem(problem, spec, level)


def test_a_change_the_cross_checks_refuse_raises_the_validated_error() -> None:
    """A rule naming an unknown country passes its own model but not the problem's checks:
    the cheap route raises the full route's error; plain data goes the full route."""
    problem = optiree.load_problem(EXAMPLES / "japan_2026.yaml")
    security = problem.security.derive(max_country_share={"ZZ": 0.5})
    with pytest.raises(ValidationError) as validated:
        problem.derive(security=security)
    with pytest.raises(ValidationError) as cheap:
        problem.derive_parts(security=security)
    assert cheap.value.errors() == validated.value.errors()
    plain = problem.security.model_dump() | {"max_country_share": {"CN": 0.4}}
    assert problem.derive_parts(security=plain) == problem.derive(security=plain)
    assert problem.derive_parts(security=plain).security.max_country_share == {"CN": 0.4}


def _pandas_signature(result: Result) -> frozenset[str]:
    """The basis signature as the frontier read it before (pandas row selection)."""

    def at(table: pd.DataFrame, kind: str, keys: list[str], chosen: "pd.Series[bool]") -> set[str]:
        rows = table.loc[chosen, keys]
        return {f"{kind}({','.join(map(str, row))})" for row in rows.itertuples(index=False)}

    tol = 1e-7
    rows = result.constraints
    names = set(rows.loc[rows["binding"], "constraint"])
    p, f = result.purchases, result.feeds
    band = ["source", "material", "tier", "period"]
    names |= at(p, "buy@0", band, p["tonnes"] <= tol)
    names |= at(p, "buy@cap", band, p["tonnes"] >= p["capacity"] - tol)
    names |= at(f, "feed@0", ["feed", "period"], f["tonnes"] <= tol)
    names |= at(f, "feed@cap", ["feed", "period"], f["tonnes"] >= f["capacity"] - tol)
    i, s, u = result.inventory, result.shortage, result.substitution
    names |= at(i, "stock@0", ["material", "period"], i["closing"] <= tol)
    names |= at(s, "short@0", ["material", "period"], s["tonnes"] <= tol)
    names |= at(u, "sub@0", ["substitute", "period"], u["units"] <= tol)
    b = result.investments
    names |= at(b, "build@0", ["investment", "period"], b["size"] <= tol)
    return frozenset(names)


def _pandas_slope(tracer: Any, level: float) -> float:
    """The slope as the frontier read it before: a pandas filter of the constraints table."""
    rule = tracer.rule
    rows = tracer.at(level).constraints
    mine = rows[(rows["rule"] == rule.name) & (rows[rule.column] == rule.subject)]
    return float(rule.tighter * rule.per_unit * float(mine[rule.dual].sum(skipna=False)))


@settings(deadline=None, max_examples=15, suppress_health_check=[HealthCheck.too_slow])
@given(
    problem=st.one_of(supply_problems(), investment_problems()),
    rule=st.sampled_from(["max_share", "cover_without"]),
    data=st.data(),
)
def test_signatures_and_slopes_read_once_are_the_pandas_readings(
    problem: Problem, rule: str, data: st.DataObject
) -> None:
    """At every level a frontier solved, the signature and the slope it kept (read once per
    level, from arrays and lists) are those of the pandas readings of that level's plan, to
    the last bit; a level read again is the same object."""
    country = data.draw(st.sampled_from(problem.countries))
    spec = _spec(problem, rule, country=country)
    tracer = frontier_module._Tracer(problem, spec, "highs", False)
    try:
        grid = frontier_module._grid(tracer, 2)
    except optiree.OptireeError:
        return  # no plan even without the rule
    tracer.trace(grid, 1e-6)
    for level in itertools.islice(tracer.solved, 12):
        result = tracer.at(level)
        assert tracer.basis(level) == _pandas_signature(result)
        slope = tracer.slope(level)
        assert tracer.slopes[level] is slope
        assert repr(slope) == repr(_pandas_slope(tracer, level))
