"""The read-back of a solve reads each sum once and checks the plan before the result holds
it: the tables, their sums and the check are the same to the last bit as when each was
computed where it is used, and as pandas' groupby sums them (the read-back sums small tables
without pandas: optiree.sums) (issue 16, read-back).
"""

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import optiree
from optiree import Problem, Result
from optiree.io import load_problem
from optiree.prepare import prepare
from optiree.results import arrived
from optiree.verify import verify
from tests.strategies import investment_problems, problems, supply_problems

STAGES = ["examples/japan_2026_stages.yaml", "examples/stages.yaml", "examples/stage_rules.yaml"]


def _bits(values: dict[tuple[str, ...], float]) -> dict[tuple[str, ...], str]:
    """Each float as its exact hexadecimal form, so that -0.0 and 0.0 or NaNs count apart."""
    return {key: float(value).hex() for key, value in values.items()}


def _assert_sums_as_grouped(result: Result) -> None:
    """What a max_share row reads (the inventory's purchases, the shares' tonnes) are the
    sums of the supply table that reaches the last stage, grouped by pandas as the
    constraints table grouped them itself; the shares table is that of a groupby of the
    supply's rows by country."""
    supply = arrived(result.supply, result.flows)
    totals = supply.groupby(["material", "period"])["tonnes"].sum().to_dict()
    by_country = supply.groupby(["country", "material", "period"])["tonnes"].sum().to_dict()
    inventory, shares = result.inventory, result.shares
    cells = zip(inventory["material"], inventory["period"], strict=True)
    purchased = dict(zip(cells, inventory["purchased"], strict=True))
    assert _bits(totals) == _bits({key: purchased[key] for key in totals})
    assert all(purchased[key] == 0.0 for key in set(purchased) - set(totals))
    keys = zip(shares["country"], shares["material"], shares["period"], strict=True)
    assert _bits(by_country) == _bits(dict(zip(keys, shares["tonnes"], strict=True)))
    grouped = supply.groupby(["material", "period", "country"], sort=False)["tonnes"].sum()
    table = grouped.reset_index()
    totals = table.groupby(["material", "period"], sort=False)["tonnes"].transform("sum")
    table["share"] = (table["tonnes"] / totals).where(totals > 0)
    pd.testing.assert_frame_equal(shares, table[list(shares.columns)], check_exact=True)


COST_PARTS = [
    ("purchases", "purchases", "source", "cost"),
    ("feeds", "feeds", "feed", "cost"),
    ("substitution", "substitution", "substitute", "cost"),
    ("holding", "inventory", "material", "holding_cost"),
    ("below_target", "inventory", "material", "below_target_cost"),
    ("shortage", "shortage", "material", "cost"),
    ("capital", "investments", "investment", "capital_cost"),
    ("operating", "investments", "investment", "operating_cost"),
    ("processing", "flows", "node", "cost"),
]


def _assert_costs_as_grouped(problem: Problem, result: Result) -> None:
    """Each component's cost by item is pandas' groupby sum of its table's column, in the
    order pandas gives (strategic stocks only for below_target, facilities only for
    processing); the total is the sum of the costs table."""
    expected = []
    for component, name, key, column in COST_PARTS:
        table = getattr(result, name)
        if component == "below_target":
            table = table[table["material"].isin(list(prepare(problem).below_cost))]
        elif component == "processing":
            table = table[table["step"] > 0]
        if len(table):
            summed = table.groupby(key, sort=False)[column].sum()
            expected += [(component, str(item), float(cost)) for item, cost in summed.items()]
    costs = result.costs
    kinds = {component for component, *_ in COST_PARTS}
    mine = costs[costs["component"].isin(kinds)]
    rows = zip(mine["component"], mine["item"], mine["cost"], strict=True)
    assert [(c, i, float(x).hex()) for c, i, x in rows] == [(c, i, x.hex()) for c, i, x in expected]
    assert float(result.total_cost).hex() == float(costs["cost"].sum()).hex()


def _assert_checked_as_returned(problem: Problem, result: Result) -> None:
    """The plan's largest violation is that of the tables the result returns, checked
    again."""
    again = verify(prepare(problem), result.tables())
    assert float(result.max_violation).hex() == float(again.relative).hex()


def _solved(problem: Problem) -> Result:
    result = optiree.solve(problem)
    assume(result.is_optimal)
    return result


@settings(deadline=None)
@given(st.one_of(problems(), supply_problems(), investment_problems()))
def test_sums_and_check_of_random_problems(problem: Problem) -> None:
    """Random problems of every feature: feeds, tiers, contracts, investments..."""
    result = _solved(problem)
    _assert_sums_as_grouped(result)
    _assert_costs_as_grouped(problem, result)
    _assert_checked_as_returned(problem, result)


@pytest.mark.parametrize("path", ["examples/japan_2026.yaml", *STAGES])
def test_sums_and_check_of_the_examples(path: str) -> None:
    problem = load_problem(path)
    result = optiree.solve(problem)
    assert result.is_optimal
    _assert_sums_as_grouped(result)
    _assert_costs_as_grouped(problem, result)
    _assert_checked_as_returned(problem, result)


def test_the_check_reads_the_tables_the_result_shows() -> None:
    """Without stages or investments the check reads no flows, stage shares or investments,
    as :meth:`optiree.Result.tables` shows none; with stages it reads the flows."""
    plain = optiree.solve(load_problem("examples/japan_2026.yaml"))
    staged = optiree.solve(load_problem(STAGES[0]))
    assert "flows" not in plain.tables()
    assert "investments" not in plain.tables()
    assert {"flows", "stage_shares"} <= set(staged.tables())
    for result in (plain, staged):  # every table holds the units of its columns
        for name, table in result.tables().items():
            assert isinstance(table, pd.DataFrame)
            assert set(table.attrs) == {"units"}, name
