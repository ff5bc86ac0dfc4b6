"""What a frontier reads per level, done cheaply, is what the full route gives: the basis
signature and the slope (read as arrays and lists, once per level)."""

import importlib
import itertools
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optiree
from optiree import Problem
from optiree.results import Result
from tests.strategies import investment_problems, supply_problems

frontier_module = importlib.import_module("optiree.frontier")
EXAMPLES = Path(__file__).parents[1] / "examples"


def _spec(problem: Problem, rule: str, **asked: Any) -> Any:
    country = asked.pop("country", problem.countries[0])
    return frontier_module._rule(problem, rule, country, asked.pop("material", None), **asked)


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
