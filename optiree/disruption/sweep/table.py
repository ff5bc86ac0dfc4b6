"""A sweep's answer: the table of figures, one row per scenario (:class:`Sweep`), and its
files (CSV or Parquet)."""

import importlib
import math
from dataclasses import dataclass, field, replace
from io import BytesIO
from pathlib import Path
from typing import Any

import pandas as pd

from optiree import arguments
from optiree.disruption.scenarios import disruption_periods
from optiree.errors import ArgumentError, MissingDependencyError
from optiree.files import write_atomic, write_table
from optiree.schema import Problem, Scenario
from optiree.words import Carded, scenario_summary, sweep_summary

NEEDS_PYARROW = "writing Parquet needs pyarrow: pip install 'optiree[parquet]'"
TABLE_SUFFIXES = (".csv", ".parquet")


@dataclass(frozen=True)
class Sweep(Carded):
    """The outcome of :func:`optiree.disruption.sweep.sweep`: one row per scenario, in input
    order."""

    table: pd.DataFrame = field(repr=False)
    """``scenario``, ``probability``, ``status``, ``total_cost`` [currency],
    ``short_<material>`` (tonnes short over the horizon [t]), ``share_<country>`` (share of all
    tonnes delivered, feeds' yields included, over every material and period), and for a
    scenario with one disruption its ``start``, ``length`` (periods), ``cut`` and
    ``materials`` (``Dy+Tb``); a scenario that changes nothing has length 0. Figures are NaN
    where the plan is not optimal."""
    currency: str
    solver: str

    @property
    def all_optimal(self) -> bool:
        """Whether every scenario has an optimal plan."""
        return bool((self.table["status"] == "optimal").all())

    def tables(self) -> dict[str, pd.DataFrame]:
        """The table by name: ``{"sweep": table}``."""
        return {"sweep": self.table}

    def summary(self, worst: int = 5) -> str:
        """Counts, the expected cost and the ``worst`` scenarios by total cost."""
        arguments.whole(worst, "worst", 0)
        return sweep_summary(self.table, self.currency, worst)

    def side_by_side(self) -> str:
        """Every row in input order, with its cost above the first row's (the baseline)."""
        return scenario_summary(self.table, self.currency)


def sweep_table(
    problem: Problem,
    scenarios: list[Scenario],
    probabilities: dict[str, float],
    rows: list[dict[str, Any]],
) -> pd.DataFrame:
    """The figures of each scenario (``rows``) with its name, probability and parameters."""
    columns = [
        "scenario",
        "probability",
        "status",
        "total_cost",
        *(f"short_{m}" for m in problem.material_ids),
        *(f"share_{c}" for c in problem.countries),
        "start",
        "length",
        "cut",
        "materials",
    ]
    records = [
        {"scenario": s.name, "probability": probabilities[s.name]} | row | _parameters(problem, s)
        for s, row in zip(scenarios, rows, strict=True)
    ]
    return pd.DataFrame.from_records(records, columns=columns)


def with_price_factors(swept: Sweep, scenarios: list[Scenario]) -> Sweep:
    """``swept`` with a last column ``price_factor``: the largest factor on a source's price in
    each of ``scenarios`` (its rows, in order), 1 where none moves. ``optiree sweep
    --price-move`` shows it; a sweep's own table leaves it out."""
    factors = [max((c.price_factor for c in s.sources), default=1.0) for s in scenarios]
    return replace(swept, table=swept.table.assign(price_factor=factors))


def _parameters(problem: Problem, scenario: Scenario) -> dict[str, Any]:
    """start, length, cut and materials of a scenario's one disruption; length 0 if the
    scenario changes nothing; empty otherwise."""
    periods = problem.periods
    changes = scenario.disruptions or scenario.caps or scenario.sources or scenario.demand
    if not changes:
        return {"start": None, "length": 0, "cut": math.nan, "materials": None}
    if len(scenario.disruptions) != 1:
        return {"start": None, "length": math.nan, "cut": math.nan, "materials": None}
    (disruption,) = scenario.disruptions
    return {
        "start": disruption.start,
        "length": len(disruption_periods(periods, disruption)),
        "cut": disruption.cut,
        "materials": "+".join(disruption.materials or problem.material_ids),
    }


def write_sweep(table: pd.DataFrame, path: str | Path, *, overwrite: bool = True) -> Path:
    """Write a sweep table as CSV or Parquet (by the file's extension), whole or not at all;
    without ``overwrite`` an existing file, even one that appears while the table is written,
    is left alone (see :func:`optiree.files.write_atomic`).

    Raises:
        ArgumentError: the extension is neither .csv nor .parquet.
        MissingDependencyError: Parquet is asked for and pyarrow is not installed.
        OutputError: the file cannot be written (:class:`optiree.errors.OutputTakenError`:
            it exists and ``overwrite`` is False).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_table(table, path, overwrite=overwrite)
    if suffix != ".parquet":
        raise ArgumentError(f"cannot write {path}: give a file ending in .csv or .parquet")
    return write_atomic(path, parquet_bytes(table), overwrite=overwrite)


def parquet_bytes(table: pd.DataFrame) -> bytes:
    """The table as a Parquet file (pyarrow), without the index.

    Raises:
        MissingDependencyError: pyarrow is not installed.
    """
    require_pyarrow()
    buffer = BytesIO()
    table.to_parquet(buffer, engine="pyarrow", index=False)
    return buffer.getvalue()


def require_pyarrow() -> None:
    """Raise :class:`MissingDependencyError` unless pyarrow can be imported."""
    try:
        importlib.import_module("pyarrow")
    except ImportError as error:
        raise MissingDependencyError(NEEDS_PYARROW) from error
