"""prepare: the per-index numbers in t REO that the model, the results and the check read.

Issue 16 (session 10): prepare prices the cells of a source's material that has no tiers,
discounts or price floor in one pass over its periods (the prices looked up once); the other
cells go through ``_bands`` one by one as before. These tests hold the one-pass prices to the
cell-by-cell ones, bit for bit, on random problems of every kind of price.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

import optiree
from optiree import Problem
from optiree.errors import ArgumentError
from optiree.prepare import _bands, _periods_from, prepare
from optiree.schema import value_at
from optiree.units import in_tonnes_of_oxide
from tests.samples import JAPAN
from tests.strategies import discount_problems, problems, supply_problems


def _cell_by_cell(problem: Problem) -> dict[tuple[str, str, str], str]:
    """Every cell's bands as ``_bands`` gives them for that cell alone (repr: bit for bit)."""
    converted = in_tonnes_of_oxide(problem)
    return {
        (s.id, m, t): repr(_bands(converted, s, m, t, tonnes))
        for s in converted.sources
        for m, capacity in s.capacity.items()
        for t in _periods_from(converted.periods, s.available_from)
        if (tonnes := value_at(capacity, t)) > 0
    }


def _prepared(problem: Problem) -> dict[tuple[str, str, str], str]:
    return {cell: repr(bands) for cell, bands in prepare(problem).segments.items()}


@given(st.one_of(problems(), supply_problems(), discount_problems()))
def test_every_cell_has_the_bands_of_the_cell_alone(problem: Problem) -> None:
    assert _prepared(problem) == _cell_by_cell(problem)


def test_the_japan_cells_have_the_bands_of_the_cell_alone() -> None:
    japan = optiree.load_problem(JAPAN)
    assert _prepared(japan) == _cell_by_cell(japan)


def test_a_cell_without_a_price_is_refused_on_the_one_pass_path() -> None:
    """A problem built without validation whose sources sell with no price of their own and
    no reference price: the one-pass pricing raises what ``_bands`` raises."""
    japan = optiree.load_problem(JAPAN)
    flat = {"prices": {}, "tiers": {}, "discounts": {}, "price_floor": {}}
    unpriced = [s.model_copy(update=flat | {"price_floor_multiplier": None}) for s in japan.sources]
    problem = japan.model_copy(update={"reference_prices": {}, "sources": unpriced})
    with pytest.raises(ArgumentError, match="without a price"):
        prepare(problem)
