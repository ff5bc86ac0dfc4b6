"""Results tables held as their columns, made pandas DataFrames only when read.

A pandas DataFrame costs about 0.1-0.3 ms to make whatever its size, and each read of one of
its columns about 10 microseconds: the dozen small tables of a plan cost more to make than
HiGHS takes to solve it (docs/performance.md). A :class:`Table` keeps a table's columns as they
were computed; what the solve itself reads (the check of the plan, the total cost) reads them
there, and the DataFrame is made the first time a user reads the table
(:class:`optiree.Result`). The readers :func:`values` and :func:`floats` take a Table or a
DataFrame and give what pandas gives for the same column.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray


class Table:
    """A table by its columns (name -> values: a list, a tuple or a numpy array, one value a
    row), and how to make its DataFrame (:meth:`frame`)."""

    __slots__ = ("_make", "_rows", "columns")

    def __init__(
        self, columns: Mapping[str, Sequence[Any]], make: Callable[[], pd.DataFrame], rows: int
    ) -> None:
        self.columns = columns
        self._make = make
        self._rows = rows

    def __len__(self) -> int:
        return self._rows

    def __contains__(self, column: object) -> bool:
        return column in self.columns

    @property
    def empty(self) -> bool:
        return self._rows == 0

    def frame(self) -> pd.DataFrame:
        """A new DataFrame of the table."""
        return self._make()


Tabular = pd.DataFrame | Table
"""A results table: a DataFrame, or a :class:`Table` not yet made one."""


def from_columns(columns: Mapping[str, Sequence[Any]], order: Sequence[str]) -> Table:
    """The table of ``columns`` in the ``order`` of their names, made as
    ``pd.DataFrame({name: columns[name] ...})``; with no row, as ``pd.DataFrame(columns=order)``
    (a table from no records: no dtypes)."""
    rows = len(next(iter(columns.values())))

    def make() -> pd.DataFrame:
        if not rows:
            return pd.DataFrame(columns=list(order))
        return pd.DataFrame({name: columns[name] for name in order})

    return Table(columns, make, rows)


def no_rows(columns: Sequence[str]) -> Table:
    """A table of ``columns`` with no row, made as ``pd.DataFrame(columns=columns)``."""
    return from_columns(dict.fromkeys(columns, ()), columns)


def from_records(records: Sequence[Sequence[Any]], names: Sequence[str]) -> Table:
    """The table of ``records`` (one tuple a row), made as
    ``pd.DataFrame(records, columns=names)``."""
    found = list(zip(*records, strict=True)) if records else [()] * len(names)
    return Table(
        dict(zip(names, found, strict=True)),
        lambda: pd.DataFrame(records, columns=list(names)),
        len(records),
    )


def frame(table: Tabular) -> pd.DataFrame:
    """``table`` as a DataFrame (a :class:`Table` made one: a new DataFrame each call)."""
    return table if isinstance(table, pd.DataFrame) else table.frame()


def values(table: Tabular, column: str) -> list[Any]:
    """The values of ``column``, as ``frame[column].tolist()`` gives them."""
    if isinstance(table, pd.DataFrame):
        return table[column].tolist()
    found = table.columns[column]
    return found.tolist() if isinstance(found, np.ndarray) else list(found)


def floats(table: Tabular, column: str) -> NDArray[np.float64]:
    """The values of ``column`` as floats, as ``frame[column].to_numpy(dtype=float)`` gives
    them."""
    if isinstance(table, pd.DataFrame):
        return table[column].to_numpy(dtype=float)
    return np.asarray(table.columns[column], dtype=float)
