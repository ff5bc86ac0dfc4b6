"""Results tables held as columns: the DataFrame made on first read is the one pandas makes
from the same records, every column reads as pandas reads it, and a result's tables behave as
DataFrame fields do (the same object each read, kept through pickle, copy and replace, one
frame for threads that read at once)."""

import copy
import dataclasses
import math
import pickle
import struct
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import optiree
from optiree.columns import floats, from_columns, from_records, no_rows, values
from optiree.results import EVERY_TABLE
from tests.samples import JAPAN, two_country

NUMBERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.sampled_from([0.0, -0.0, math.inf, -math.inf, math.nan, 1e-300]),
)
KINDS = {
    "text": st.sampled_from(["CN", "AU", "MY", "2026Q1", ""]),
    "float": NUMBERS,
    "int": st.integers(-(2**40), 2**40),
    "bool": st.booleans(),
}


@st.composite
def records(draw: st.DrawFn) -> tuple[list[tuple[Any, ...]], list[str], list[str]]:
    """Rows of a results table: each column of one kind (as results.py makes them)."""
    kinds = draw(st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=5))
    names = [f"{kind}{i}" for i, kind in enumerate(kinds)]
    rows = draw(st.lists(st.tuples(*(KINDS[kind] for kind in kinds)), max_size=12))
    return rows, names, kinds


def _bits(numbers: np.ndarray) -> list[bytes]:
    return [struct.pack("<d", x) for x in numbers.tolist()]


def _same_values(ours: list[Any], theirs: list[Any]) -> None:
    """Equal value by value, NaN equal to NaN, and of the same type."""
    assert [type(x) for x in ours] == [type(x) for x in theirs]
    assert [x if x == x else "nan" for x in ours] == [x if x == x else "nan" for x in theirs]


@given(records())
def test_records_read_and_frame_as_pandas(found: tuple[list[tuple[Any, ...]], list[str], Any]):
    rows, names, kinds = found
    table = from_records(rows, names)
    theirs = pd.DataFrame(rows, columns=names)
    pd.testing.assert_frame_equal(table.frame(), theirs, check_exact=True)
    assert len(table) == len(theirs)
    assert table.empty == theirs.empty
    for name, kind in zip(names, kinds, strict=True):
        _same_values(values(table, name), values(theirs, name))
        if kind != "text":
            assert _bits(floats(table, name)) == _bits(floats(theirs, name))


@given(records())
def test_columns_read_and_frame_as_pandas(found: tuple[list[tuple[Any, ...]], list[str], Any]):
    """Columns given as lists, and numbers as numpy arrays (the purchases and supply tables)."""
    rows, names, kinds = found
    read = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    given = {
        name: np.array(column, dtype=float) if kind == "float" else list(column)
        for name, kind, column in zip(names, kinds, read, strict=True)
    }
    table = from_columns(given, names)
    theirs = pd.DataFrame(given) if rows else pd.DataFrame(columns=names)
    pd.testing.assert_frame_equal(table.frame(), theirs, check_exact=True)
    for name in names:
        _same_values(values(table, name), values(theirs, name))


def test_a_table_without_rows_is_pandas_table_of_its_columns():
    pd.testing.assert_frame_equal(no_rows(["a", "b"]).frame(), pd.DataFrame(columns=["a", "b"]))
    pd.testing.assert_frame_equal(
        from_records([], ["a", "b"]).frame(), pd.DataFrame([], columns=["a", "b"])
    )


@pytest.fixture(scope="module")
def japan() -> optiree.Problem:
    return optiree.load_problem(JAPAN)


def _frames(result: optiree.Result) -> dict[str, pd.DataFrame]:
    return {name: getattr(result, name) for name in EVERY_TABLE}


def _equal(ours: dict[str, pd.DataFrame], theirs: dict[str, pd.DataFrame]) -> None:
    assert ours.keys() == theirs.keys()
    for name, table in ours.items():
        pd.testing.assert_frame_equal(table, theirs[name], check_exact=True)
        assert table.attrs == theirs[name].attrs
        assert table.attrs["units"]


def test_a_table_is_one_dataframe_that_keeps_a_users_change(japan: optiree.Problem) -> None:
    result = optiree.solve(japan)
    first = result.purchases
    assert result.purchases is first
    first["note"] = "mine"
    assert result.purchases["note"].eq("mine").all()


def test_pickle_copy_and_replace_keep_every_table(japan: optiree.Problem) -> None:
    """Each from a result none of whose tables was read yet."""
    expected = _frames(optiree.solve(japan))
    for keep in (
        lambda r: pickle.loads(pickle.dumps(r)),
        copy.copy,
        copy.deepcopy,
        lambda r: dataclasses.replace(r, message="again"),
    ):
        kept = keep(optiree.solve(japan))
        _equal(_frames(kept), expected)
        assert kept.total_cost == float(expected["costs"]["cost"].sum())


def test_threads_reading_one_result_get_one_frame(japan: optiree.Problem) -> None:
    for result in [optiree.solve(japan) for _ in range(5)]:
        with ThreadPoolExecutor(max_workers=8) as pool:
            read = list(pool.map(lambda _, fresh=result: id(fresh.constraints), range(16)))
        assert set(read) == {id(result.constraints)}


def test_a_result_without_a_plan_has_empty_tables_with_their_columns() -> None:
    document = two_country()
    document["caps"] = [{"country": "CN", "max_tonnes": 0}]
    document["sources"][1]["capacity"] = {"Dy": 10}
    result = optiree.solve(optiree.Problem.model_validate(document))
    assert result.status == "infeasible"
    for name, table in result.tables().items():
        assert table.empty, name
        assert list(table.columns), name
        assert "units" in table.attrs
