"""Sums by group, equal to the last bit to pandas' ``groupby(keys, sort=...)[column].sum()``,
without pandas' fixed cost on the small tables of a plan.

A pandas groupby costs about 0.2 ms a call whatever the table's size: the results of the
bundled file group a dozen tables of tens of rows (docs/performance.md). The figures optiree
prints are those sums (``summary.json`` writes the total cost to the last bit), so a faster
sum must add the same numbers in the same way. pandas adds each group's numbers in the order
of its rows in one of two ways, and :func:`group_sums` does as the installed pandas does:

- with Kahan's compensation (pandas 3.0 always; 3.1 where a group's rows are not all
  together, or the column holds a NaN), starting from 0 and skipping NaN;
- with numpy's ``add.reduceat`` over the rows of each group (pandas 3.1 where each group's
  rows are together and in the order of the groups, and no value is NaN).

Which one the installed pandas takes is read from pandas itself, once (:func:`_reduceat`);
``tests/test_sums.py`` compares every result with pandas' own on random tables, at both ends
of the version range. :func:`column_sums` sends tables of :data:`LARGE` rows or more to pandas
itself: there its fixed cost is small and a Python loop is not.
"""

import functools
import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from optiree.columns import Tabular, floats, values

LARGE = 1_000
"""Tables with at least this many rows are summed by pandas itself (:func:`column_sums`)."""


@functools.cache
def _reduceat() -> bool:
    """Whether the installed pandas adds the groups of a sorted table with numpy's
    ``add.reduceat``: 1e-16 + 1e-16 + 1 is 1 that way (the first number, then the sum of the
    others), 1 + 2.2e-16 with Kahan's compensation."""
    probe = pd.Series([1e-16, 1e-16, 1.0]).groupby([0, 0, 0]).sum()
    return bool(probe.iloc[0] == 1.0)


def column_sums(
    table: Tabular,
    keys: list[str],
    column: str,
    sort: bool = False,
    rows: NDArray[np.bool_] | None = None,
) -> dict[Any, float]:
    """``table.groupby(keys, sort=sort)[column].sum()`` over the ``rows`` marked (all: None)
    as a dictionary: the key (a tuple for several ``keys``) to its sum, in pandas' order. A
    table of :data:`LARGE` rows or more is grouped by pandas itself, a smaller one by
    :func:`group_sums` (``table``: a DataFrame or a :class:`optiree.columns.Table`)."""
    if len(table) >= LARGE:
        # A Series of the column grouped by the key columns as arrays of objects: the same
        # groups and sums as the DataFrame's groupby, without making the DataFrame (at 1e5
        # rows, turning its text columns into pandas' strings costs more than the sums).
        chosen = slice(None) if rows is None else rows
        by = [np.asarray(values(table, key), dtype=object)[chosen] for key in keys]
        numbers = pd.Series(floats(table, column)[chosen])
        with np.errstate(invalid="ignore"):  # inf - inf is NaN, quietly (as in Python)
            summed = numbers.groupby(by if len(by) > 1 else by[0], sort=sort).sum()
        return dict(zip(summed.index.tolist(), summed.to_numpy().tolist(), strict=True))
    chosen = np.ones(len(table), dtype=bool) if rows is None else rows
    read = [list(itertools.compress(values(table, key), chosen)) for key in keys]
    by_row = list(zip(*read, strict=True)) if len(keys) > 1 else read[0]
    return group_sums(by_row, floats(table, column)[chosen], sort)


def total(numbers: NDArray[np.float64]) -> float:
    """The sum of ``numbers`` as ``pandas.Series(numbers).sum()`` gives it: NaN skipped
    (counted as 0), the rest added by numpy's pairwise sum."""
    return float(np.where(np.isnan(numbers), 0.0, numbers).sum())


def group_sums(
    keys: Sequence[Any], values: Sequence[float] | np.ndarray, sort: bool = False
) -> dict[Any, float]:
    """``values`` summed by ``keys`` (a key per row: a value, or a tuple for several columns),
    the groups in the order pandas gives them (by first row, or sorted with ``sort``), each
    sum as ``pandas.Series(values).groupby(keys, sort=sort).sum()`` gives it, whatever the
    number of rows (a Python loop: for tables of up to a few thousand rows)."""
    x = np.asarray(values, dtype=float)
    ids, groups = _ids(keys, sort)
    with np.errstate(invalid="ignore"):  # inf - inf is NaN, quietly (as in Python)
        if _reduceat() and _together(ids) and not np.isnan(x).any():
            starts = np.flatnonzero(np.diff(ids, prepend=-1))
            return dict(zip(groups, np.add.reduceat(x, starts).tolist(), strict=True))
    return dict(zip(groups, _kahan(ids, x.tolist(), len(groups)), strict=True))


def _ids(keys: Sequence[Any], sort: bool) -> tuple[np.ndarray, list[Any]]:
    """Each row's group number and the groups in their order."""
    groups = list(dict.fromkeys(keys))
    if sort:
        groups.sort()
    number = dict(zip(groups, range(len(groups)), strict=True))
    return np.fromiter(map(number.__getitem__, keys), dtype=np.intp, count=len(keys)), groups


def _together(ids: np.ndarray) -> bool:
    """Each group's rows are together and the groups come in order (pandas' monotonic ids)."""
    return bool((np.diff(ids) >= 0).all())


def _kahan(ids: np.ndarray, values: list[float], count: int) -> list[float]:
    """pandas' Kahan sums by group: from 0, NaN skipped, the compensation reset where an
    infinity makes it NaN."""
    sums, carried = [0.0] * count, [0.0] * count
    for group, value in zip(ids.tolist(), values, strict=True):
        if math.isnan(value):
            continue
        total = sums[group]
        y = value - carried[group]
        t = total + y
        c = t - total - y
        carried[group] = 0.0 if math.isnan(c) else c
        sums[group] = t
    return sums
