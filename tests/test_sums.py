"""optiree.sums gives pandas' own group sums, bit for bit.

Every sum is compared with the groupby of a DataFrame's columns, the call results.py made
before: on random tables whose groups are together or mixed, sorted or not, with values that
need Kahan's compensation, signed zeros, infinities and NaN; by one key and by several; below
and above the size where pandas takes over; over chosen rows. The suite runs at both ends
of pandas' range.
"""

import math
import struct

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optiree import sums
from optiree.columns import from_records

VALUES = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
    st.sampled_from([0.0, -0.0, 1.0, 1e-16, -1e-16, 1e16, 0.1, math.inf, -math.inf, math.nan]),
)
ROWS = st.lists(
    st.tuples(st.sampled_from("abc"), st.sampled_from(["2026Q1", "2026Q2"]), VALUES),
    max_size=40,
)


def _bits(value: float) -> bytes:
    """The bits of a float (so that -0.0 differs from 0.0 and NaN equals NaN)."""
    return struct.pack("<d", value)


def _pandas(rows: list[tuple[str, str, float]], keys: list[str], sort: bool) -> dict:
    table = pd.DataFrame(rows, columns=["a", "b", "x"]).astype({"x": float})
    with np.errstate(invalid="ignore"):  # pandas 3.1 adds inf and -inf with numpy
        summed = table.groupby(keys if len(keys) > 1 else keys[0], sort=sort)["x"].sum()
    return dict(zip(summed.index.tolist(), summed.to_numpy().tolist(), strict=True))


def _ours(rows: list[tuple[str, str, float]], keys: list[str], sort: bool) -> dict:
    table = pd.DataFrame(rows, columns=["a", "b", "x"]).astype({"x": float})
    return sums.column_sums(table, keys, "x", sort=sort)


def _same(ours: dict, theirs: dict) -> None:
    assert list(ours) == list(theirs)
    assert [_bits(v) for v in ours.values()] == [_bits(v) for v in theirs.values()]


@pytest.mark.parametrize("large", [10**9, 0], ids=["by group_sums", "by pandas"])
@pytest.mark.parametrize("sort", [False, True])
@pytest.mark.parametrize("keys", [["a"], ["a", "b"], ["b", "a"]])
@given(rows=ROWS, grouped=st.booleans())
def test_as_pandas_sums(rows, grouped, keys, sort, large):
    """Mixed rows, and rows sorted by their keys (each group's rows together, pandas 3.1's
    other way of adding)."""
    if not rows:
        return
    if grouped:
        rows = sorted(rows, key=lambda row: tuple(row[{"a": 0, "b": 1}[k]] for k in keys))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sums, "LARGE", large)
        _same(_ours(rows, keys, sort), _pandas(rows, keys, sort))


def test_compensation_is_pandas_own():
    """A sum where Kahan's compensation and plain addition differ in the last bit, with the
    rows of the group together and apart: each as pandas adds it."""
    rows = [("a", "q", 1.0), ("a", "q", 1e-16), ("a", "q", 1e-16)]
    mixed = [rows[0], ("b", "q", 5.0), *rows[1:]]
    for table in (rows, mixed):
        _same(_ours(table, ["a"], False), _pandas(table, ["a"], False))
    compensated = _ours(mixed, ["a"], False)["a"]
    assert compensated == 1.0000000000000002  # Kahan keeps the two 1e-16


def test_large_tables_go_to_pandas():
    rng = np.random.default_rng(1)
    rows = [(str(rng.integers(0, 50)), "q", float(v)) for v in rng.normal(size=sums.LARGE) * 1e6]
    _same(_ours(rows, ["a"], False), _pandas(rows, ["a"], False))


@pytest.mark.parametrize("large", [10**9, 0], ids=["by group_sums", "by pandas"])
@given(rows=ROWS, keys=st.sampled_from([["a"], ["a", "b"]]), sort=st.booleans())
def test_a_table_of_columns_sums_as_its_frame(rows, keys, sort, large):
    """The same table held as columns (results.py's, before a DataFrame of it is made)."""
    columns = from_records(rows, ["a", "b", "x"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sums, "LARGE", large)
        _same(sums.column_sums(columns, keys, "x", sort=sort), _pandas(rows, keys, sort))


@given(st.lists(VALUES, max_size=300))
def test_total_is_pandas_sum(numbers):
    """A column's total (``Result.total_cost``) as ``Series.sum()`` adds it: NaN skipped,
    pairwise beyond eight numbers."""
    x = np.array(numbers, dtype=float)
    with np.errstate(invalid="ignore"):
        assert _bits(sums.total(x)) == _bits(float(pd.Series(x).sum()))
