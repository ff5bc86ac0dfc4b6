"""Solved LP -> a :class:`Result`: the plan and its prices as pandas tables.

Every column is documented in docs/results.md; quantities are tonnes [t], money is in the
problem's currency. Tables of a problem that was not solved to optimality are empty but keep
their columns.
"""

import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pulp
from numpy.typing import NDArray

from optiree import arguments
from optiree.collector import paused
from optiree.columns import (
    Table,
    Tabular,
    floats,
    frame,
    from_columns,
    from_records,
    no_rows,
    values,
)
from optiree.files import write_tables, write_workbook
from optiree.handoff import ranging, row_activities
from optiree.model import LpModel, Row, ShareOf, share_values
from optiree.prepare import Path as ChainPath
from optiree.prepare import ProblemData
from optiree.rules import LIMITS, Rule
from optiree.schema import OriginRule, StageRule, Units
from optiree.sums import column_sums, group_sums, total
from optiree.verify import TOLERANCE, Violation, verify
from optiree.words import card, headline, plan_lines, plan_repr, plan_summary, plan_tables

FloatArray = NDArray[np.float64]

ZERO = 1e-9
"""Solver values smaller than this in magnitude are reported as 0."""
BINDING_TOLERANCE = 1e-6
"""A row is tight when its slack is at most this times max(1, |limit|)."""


class Status(StrEnum):
    """How a solve ended. A str enum: ``Status.OPTIMAL == "optimal"``."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    TIME_LIMIT = "time_limit"
    ERROR = "error"


PRICED = ["tonnes", "capacity", "unit_price", "cost", "reduced_cost", "price_low", "price_high"]
"""The columns of a table of bought variables (purchases, feeds)."""
COLUMNS = {
    "costs": ["component", "item", "cost"],
    "purchases": ["source", "country", "material", "period", "tier", *PRICED],
    "feeds": ["source", "country", "feed", "period", *PRICED],
    "supply": ["source", "country", "material", "period", "bought", "from_feeds", "tonnes"],
    "substitution": ["substitute", "period", "units", "unit_cost", "cost"],
    "inventory": [
        "material",
        "period",
        "opening",
        "purchased",
        "substituted",
        "shortage",
        "demand",
        "sold",
        "closing",
        "surplus",
        "holding_cost",
        "sales",
        "disposal_cost",
        "below_target",
        "gap_charged",
        "below_target_cost",
    ],
    "shortage": ["material", "period", "demand", "tonnes", "penalty", "cost"],
    "shares": ["material", "period", "country", "tonnes", "share"],
    "constraints": [
        "constraint",
        "rule",
        "subject",
        "material",
        "period",
        "sense",
        "value",
        "limit",
        "slack",
        "shadow_price",
        "cost_per_point",
        "binding",
        "allowable_decrease",
        "allowable_increase",
    ],
}
TABLES = tuple(COLUMNS)
INVESTMENTS = "investments"
"""The table of a problem with investment options, kept out of :data:`TABLES` so that the
results of a problem without any read, print and write exactly as before."""
INVESTMENT_COLUMNS = [
    "investment",
    "target",
    "investor",
    "period",
    "size",
    "available_from",
    "unit_capital",
    "capital_cost",
    "operating_cost",
]
FLOWS = "flows"
STAGE_SHARES = "stage_shares"
STAGE_TABLES = {
    FLOWS: [
        "path",
        "source",
        "step",
        "stage",
        "node",
        "country",
        "material",
        "period",
        "tonnes_in",
        "tonnes",
        "cost",
    ],
    STAGE_SHARES: ["stage", "material", "period", "country", "tonnes", "share"],
}
"""The tables of a problem with stages (docs/results.md), kept out of :data:`TABLES` like
``investments``: a problem without stages reads, prints and writes exactly as before."""
EVERY_TABLE = (*TABLES, INVESTMENTS, *STAGE_TABLES)
"""Every table a result holds, shown or not (:meth:`Result.tables`)."""
UNMET_COLUMNS = ["material", "demand", "tonnes", "share", "cost"]
"""Columns of :attr:`Result.unmet`."""
TONNE = "t"
"""The symbol of a tonne (of rare-earth oxide) in short labels: headings and report columns."""
TONNES = f"{TONNE} REO"
MONEY = "{currency}"
PRICE = f"{MONEY}/{TONNES}"
COLUMN_UNITS = {
    "costs": {"cost": MONEY},
    "purchases": {
        "tonnes": TONNES,
        "capacity": TONNES,
        "unit_price": PRICE,
        "cost": MONEY,
        "reduced_cost": PRICE,
        "price_low": PRICE,
        "price_high": PRICE,
    },
    "feeds": {
        "tonnes": "t feed",
        "capacity": "t feed",
        "unit_price": "{currency}/t feed",
        "cost": MONEY,
        "reduced_cost": "{currency}/t feed",
        "price_low": "{currency}/t feed",
        "price_high": "{currency}/t feed",
    },
    "supply": {"bought": TONNES, "from_feeds": TONNES, "tonnes": TONNES},
    "substitution": {
        "units": "units",
        "unit_cost": "{currency}/unit",
        "cost": MONEY,
        "saved_*": TONNES,
    },
    "inventory": {
        **dict.fromkeys(
            ["opening", "purchased", "substituted", "shortage", "demand", "sold", "closing"],
            TONNES,
        ),
        "surplus": TONNES,
        "holding_cost": MONEY,
        "sales": MONEY,
        "disposal_cost": MONEY,
        "below_target": TONNES,
        "gap_charged": TONNES,
        "below_target_cost": MONEY,
    },
    "shortage": {"demand": TONNES, "tonnes": TONNES, "penalty": PRICE, "cost": MONEY},
    "shares": {"tonnes": TONNES, "share": "fraction"},
    "constraints": {
        **dict.fromkeys(
            ["value", "limit", "slack", "allowable_decrease", "allowable_increase"],
            "t REO (units for ramp rows)",
        ),
        "shadow_price": "{currency}/t REO ({currency}/unit for ramp rows)",
        "cost_per_point": "{currency} per 0.01",
    },
}
"""The unit of every column that has one, by table (``{currency}`` is the problem's)."""
INVESTMENT_UNITS = {
    "size": "t REO/yr (units/yr for a substitute)",
    "unit_capital": "{currency} per t REO/yr (per unit/yr for a substitute)",
    "capital_cost": MONEY,
    "operating_cost": MONEY,
}
"""The unit of each column of the ``investments`` table."""
STAGE_UNITS = {
    FLOWS: {"tonnes_in": TONNES, "tonnes": TONNES, "cost": MONEY},
    STAGE_SHARES: {"tonnes": TONNES, "share": "fraction"},
}
"""The unit of each column of the tables of a problem with stages."""
UNMET_UNITS = {"demand": TONNES, "tonnes": TONNES, "share": "fraction", "cost": MONEY}
"""The unit of each column of :attr:`Result.unmet`."""


FIXED_DUALS = "the LP with the integer decisions fixed at their optimum"
"""What a MILP's shadow prices are the duals of (``Result.duals_of``)."""


def column_units(table: str, columns: Iterable[str], currency: str) -> dict[str, str]:
    """The unit of each of ``columns`` of ``table`` that has one, ``{currency}`` filled in
    (``saved_<material>`` reads the unit of ``saved_*``)."""
    special = {"unmet": UNMET_UNITS, INVESTMENTS: INVESTMENT_UNITS, **STAGE_UNITS}
    units = special.get(table) or COLUMN_UNITS[table]
    found = {}
    for column in columns:
        unit = units.get(column) or (units.get("saved_*") if column.startswith("saved_") else None)
        if unit is not None:
            found[column] = unit.format(currency=currency)
    return found


SENSES = {pulp.LpConstraintGE: ">=", pulp.LpConstraintLE: "<=", pulp.LpConstraintEQ: "="}


class _TableField:
    """A table of :class:`Result`: given as a DataFrame, or as a :class:`optiree.columns.Table`
    that is made a DataFrame, with its units (``attrs["units"]``), the first time it is read.
    ``columns``: the table's columns where the field has a default (an empty table of them
    for each result); None for a field that must be given."""

    def __init__(self, columns: list[str] | None = None) -> None:
        self.default = columns

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.slot = name, _slot(name)

    def __get__(self, result: "Result | None", owner: type | None = None) -> pd.DataFrame:
        if result is None:  # the dataclass asks the field's default
            if self.default is None:
                raise AttributeError(self.name)  # none: the field must be given
            return no_rows(self.default)  # type: ignore[return-value]  # made a frame when read
        held = result.__dict__[self.slot]
        if isinstance(held, pd.DataFrame):
            return held
        made = held.frame()
        made.attrs["units"] = column_units(self.name, made.columns, result.currency)
        with _FRAMING:  # two threads may make it at once: one frame is kept, for both
            if result.__dict__[self.slot] is held:
                result.__dict__[self.slot] = made
            found: pd.DataFrame = result.__dict__[self.slot]
        return found

    def __set__(self, result: "Result", table: Tabular) -> None:
        result.__dict__[self.slot] = table


_FRAMING = threading.Lock()


def _slot(table: str) -> str:
    """Where a result keeps table ``table`` (a DataFrame, or columns not yet made one)."""
    return f"_{table}"


@dataclass(frozen=True)
class Result:
    """The outcome of :func:`optiree.solve`. Tables are empty unless ``status`` is optimal.

    ``total_cost`` equals ``costs.cost.sum()`` and is None unless optimal. See docs/results.md
    for every column. Each table is made (a pandas DataFrame) the first time it is read.
    """

    problem_name: str
    status: Status
    message: str
    solver: str
    currency: str
    total_cost: float | None
    costs: _TableField = _TableField()
    purchases: _TableField = _TableField()
    feeds: _TableField = _TableField()
    supply: _TableField = _TableField()
    substitution: _TableField = _TableField()
    inventory: _TableField = _TableField()
    shortage: _TableField = _TableField()
    shares: _TableField = _TableField()
    constraints: _TableField = _TableField()
    input_units: Units = field(default_factory=Units)
    """The units the problem was written in; every table is in t REO and ``currency``."""
    in_value: frozenset[str] = frozenset()
    """The stage and origin rules counted in value (their ids, the ``subject`` of their rows
    in ``constraints``): their rows' ``value`` and ``limit`` are money, their
    ``shadow_price`` money per money of value."""
    max_violation: float = math.nan
    """The largest relative violation of any rule by the plan, as checked before it was
    returned (:func:`optiree.verify.verify`; about 1e-9 or less for a solver's plan); NaN
    without a plan."""
    investments: _TableField = _TableField(INVESTMENT_COLUMNS)
    """What the plan builds: one row per investment option and period it may be decided in
    (size 0 where nothing is built); empty for a problem without investment options, and then
    left out of :meth:`tables`."""
    best_bound: float | None = None
    """A MILP's best bound on the least cost [currency], as the solver proved it (NaN when the
    solver does not report it: any but HiGHS); None for an LP."""
    mip_gap: float | None = None
    """A MILP's relative gap between the plan's cost and the best bound (0 when proved
    optimal within the solver's tolerance; NaN when the solver does not report it: any but
    HiGHS); None for an LP."""
    duals_of: str | None = None
    """Where the shadow prices, reduced costs and ranges come from when not from the problem
    itself: for a MILP, :data:`FIXED_DUALS` (the LP with the integer decisions fixed at their
    optimum, re-solved); None for an LP."""
    flows: _TableField = _TableField(STAGE_TABLES[FLOWS])
    """Tonnes along every path from a source to the last stage, one row per node (the source,
    then each facility); empty for a problem without stages, and then left out of
    :meth:`tables`."""
    stage_shares: _TableField = _TableField(STAGE_TABLES[STAGE_SHARES])
    """Each country's tonnes and share at each stage, material and period; empty for a problem
    without stages, and then left out of :meth:`tables`."""

    def __post_init__(self) -> None:
        """Attach to each table given as a DataFrame the unit of each of its columns:
        ``df.attrs["units"]`` (a table given as columns gets them when it is made)."""
        for name in EVERY_TABLE:
            table = held(self, name)
            if isinstance(table, pd.DataFrame):
                table.attrs["units"] = column_units(name, table.columns, self.currency)

    def __getstate__(self) -> dict[str, Any]:
        """What pickle and copy keep: every field, each table made a DataFrame."""
        for name in EVERY_TABLE:
            getattr(self, name)
        return dict(self.__dict__)

    def __repr__(self) -> str:
        """Name, status, total cost and solver, then the size of each table."""
        return plan_repr(self, {name: len(table) for name, table in self.tables().items()})

    def _repr_html_(self) -> str:
        """A notebook's card: status, total cost, what is short, the binding rules, then the
        main tables, small."""
        return card(f"optiree.Result: {self.problem_name}", plan_lines(self), plan_tables(self))

    @property
    def is_optimal(self) -> bool:
        return self.status is Status.OPTIMAL

    @property
    def binding(self) -> pd.DataFrame:
        """The security rules and caps that bind, dearest first."""
        rows = self.constraints
        rules = rows[rows["rule"].isin(LIMITS) & rows["binding"]]
        return rules.sort_values("shadow_price", ascending=False, kind="stable")

    @property
    def unmet(self) -> pd.DataFrame:
        """Demand left unmet over the horizon, one row per material (0 t where it is all met):
        ``demand`` [t] (summed over the periods), ``tonnes`` short [t], ``share`` of the demand
        left unmet (a fraction; NaN for a material with no demand) and ``cost``, the shortage
        penalty paid [currency]. Empty, with these columns, without a plan."""
        if self.inventory.empty:
            return pd.DataFrame(columns=UNMET_COLUMNS)
        totals = self.inventory.groupby("material", sort=False)[["demand", "shortage"]].sum()
        cost = self.shortage.groupby("material", sort=False)["cost"].sum()
        table = totals.rename(columns={"shortage": "tonnes"}).reset_index()
        table["share"] = (table["tonnes"] / table["demand"]).where(table["demand"] > 0)
        table["cost"] = table["material"].map(cost).fillna(0.0).astype(float)
        table = table[UNMET_COLUMNS]
        table.attrs["units"] = column_units("unmet", UNMET_COLUMNS, self.currency)
        return table

    @classmethod
    def build(
        cls,
        *,
        name: str,
        status: Status,
        message: str,
        solver: str,
        currency: str,
        units: Units | None = None,
        tables: Mapping[str, Tabular] | None = None,
        in_value: frozenset[str] = frozenset(),
        max_violation: float = math.nan,
    ) -> "Result":
        """The one way a result is made: with ``tables`` (one of each of :data:`TABLES`, each
        a DataFrame or a :class:`optiree.columns.Table`), whose total cost is the sum of
        ``costs.cost``; without, a result with no plan (every table empty with its columns,
        no total cost). ``units``: the units the problem was written in (t REO throughout by
        default); ``max_violation``: the plan's, as checked."""
        if tables is None:
            tables = {table: no_rows(columns) for table, columns in COLUMNS.items()}
            cost = None
        else:
            cost = total(floats(tables["costs"], "cost"))
        return cls(
            problem_name=name,
            status=status,
            message=message,
            solver=solver,
            currency=currency,
            total_cost=cost,
            costs=tables["costs"],
            purchases=tables["purchases"],
            feeds=tables["feeds"],
            supply=tables["supply"],
            substitution=tables["substitution"],
            inventory=tables["inventory"],
            shortage=tables["shortage"],
            shares=tables["shares"],
            constraints=tables["constraints"],
            input_units=units if units is not None else Units(),
            in_value=in_value,
            max_violation=max_violation,
            investments=_given(tables, INVESTMENTS),
            flows=_given(tables, FLOWS),
            stage_shares=_given(tables, STAGE_SHARES),
        )

    def __str__(self) -> str:
        """The first lines of :meth:`summary`: status, solver and any demand left unmet."""
        return str(headline(self))

    def units(self) -> pd.DataFrame:
        """The unit of every column that has one: table, column, unit. Each table holds its
        own as ``df.attrs["units"]`` (column -> unit)."""
        every = dict(COLUMN_UNITS)
        if not self.investments.empty:
            every[INVESTMENTS] = INVESTMENT_UNITS
        if not self.flows.empty:
            every |= STAGE_UNITS
        return pd.DataFrame(
            [
                (table, column, unit.format(currency=self.currency))
                for table, columns in every.items()
                for column, unit in columns.items()
            ],
            columns=["table", "column", "unit"],
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name, in the order of :data:`TABLES`, then ``investments`` where the
        problem has investment options, and ``flows`` and ``stage_shares`` where it has
        stages."""
        kept = {name: held(self, name) for name in EVERY_TABLE}
        return {name: getattr(self, name) for name in shown(kept)}

    def summary(self) -> str:
        """A readable report: status, cost, the plan, shares and binding rules."""
        return plan_summary(self)

    def write(self, directory: str | Path, overwrite: bool = False) -> Path:
        """Save every table as ``<name>.csv`` and a ``summary.json`` in ``directory``; or, when
        ``directory`` ends in ``.xlsx``, one Excel workbook: a ``summary`` sheet and one sheet
        per table, headers with units (``tonnes [t REO]``), numbers formatted (needs openpyxl,
        ``pip install 'optiree[excel]'``).

        A folder that holds results already, or a workbook that exists, is replaced only with
        ``overwrite``; the files are swapped in so that an interruption leaves the old set or
        the new one (see :func:`optiree.files.write_tables` and
        :func:`optiree.files.write_workbook`).

        Raises:
            optiree.OutputError: results are there and ``overwrite`` is False, or a file cannot
                be written.
            optiree.MissingDependencyError: a workbook, without openpyxl.
        """
        directory = arguments.path(directory, "directory")
        arguments.boolean(overwrite, "overwrite")
        if directory.suffix.lower() == ".xlsx":  # optiree.io.WORKBOOK_SUFFIX
            return write_workbook(
                directory,
                self.tables(),
                {name: table.attrs["units"] for name, table in self.tables().items()},
                summary_rows(self),
                currency=self.currency,
                overwrite=overwrite,
            )
        return write_tables(directory, self.tables(), summary_document(self), overwrite=overwrite)


def held(result: Result, table: str) -> Tabular:
    """Table ``table`` of ``result`` as it holds it: a DataFrame once one was made, else its
    columns (:mod:`optiree.columns`; reading them makes none), for an analysis that reads a
    few columns of many results."""
    found: Tabular = result.__dict__[_slot(table)]
    return found


def _given(tables: Mapping[str, Tabular], name: str) -> Tabular:
    """Table ``name`` of ``tables``, or the field's empty one where there is none."""
    return tables[name] if name in tables else getattr(Result, name)


def shown(tables: Mapping[str, Tabular]) -> dict[str, Tabular]:
    """The tables a result shows (:meth:`Result.tables`) of ``tables`` (every table by name):
    those of :data:`TABLES`, then ``investments`` where it has a row, and ``flows`` and
    ``stage_shares`` where ``flows`` has one."""
    found = {name: tables[name] for name in TABLES}
    if not tables[INVESTMENTS].empty:
        found[INVESTMENTS] = tables[INVESTMENTS]
    if not tables[FLOWS].empty:
        found |= {name: tables[name] for name in STAGE_TABLES}
    return found


def summary_document(result: Result) -> dict[str, Any]:
    """The JSON-ready summary of a result: status, costs by component, the tonnes of demand
    left unmet per material over the horizon, the tables written."""
    by_component = result.costs.groupby("component", sort=False)["cost"].sum()
    unmet = result.unmet
    return {
        "problem": result.problem_name,
        "status": result.status.value,
        "message": result.message,
        "solver": result.solver,
        "currency": result.currency,
        "total_cost": result.total_cost,
        "cost_by_component": {str(k): float(v) for k, v in by_component.items()},
        "unmet_tonnes": {
            str(m): float(t) for m, t in zip(unmet["material"], unmet["tonnes"], strict=True)
        },
        "input_units": result.input_units.model_dump(),
        "units": {
            f"{table}.{column}": unit
            for table, column, unit in result.units().itertuples(index=False)
        },
        "tables": [f"{name}.csv" for name in result.tables()],
    } | _mip_figures(result)


def _mip_figures(result: Result) -> dict[str, Any]:
    """A MILP's best bound, gap (None where the solver reports none) and where its duals come
    from; nothing for an LP."""
    if result.duals_of is None:
        return {}
    known = {"best_bound": result.best_bound, "mip_gap": result.mip_gap}
    figures = {k: v if v is not None and math.isfinite(v) else None for k, v in known.items()}
    return figures | {"duals_of": result.duals_of}


def summary_rows(result: Result) -> list[tuple[str, Any, str | None]]:
    """The ``summary`` sheet of a results workbook, row by row (name, value, unit): the
    problem, status, solver, currency, total cost, the cost of each component, the tonnes left
    unmet per material, and the sheet of each table."""
    document = summary_document(result)
    money, tonnes = result.currency, result.unmet.attrs["units"]["tonnes"]
    keys = ("problem", "status", "message", "solver", "currency")
    rows: list[tuple[str, Any, str | None]] = [(key, document[key], None) for key in keys]
    rows.append(("total_cost", document["total_cost"], money))
    units = {"best_bound": money, "mip_gap": "fraction", "duals_of": None}
    rows += [(key, document[key], unit) for key, unit in units.items() if key in document]
    rows += [(f"cost: {k}", v, money) for k, v in document["cost_by_component"].items()]
    rows += [(f"unmet tonnes: {k}", v, tonnes) for k, v in document["unmet_tonnes"].items()]
    rows += [(f"sheet: {name}", name, None) for name in result.tables()]
    return rows


class _Ranging:
    """The cost and bound ranging of the solved LP (from HiGHS, through
    :func:`optiree.handoff.ranging`); NaN everywhere without one (another solver, or a plan
    that is not a proved optimum)."""

    def __init__(self, lp: pulp.LpProblem | None) -> None:
        self.found = ranging(lp) if lp is not None else None

    def price_ranges(self, variables: Sequence[pulp.LpVariable]) -> tuple[FloatArray, FloatArray]:
        """Lowest and highest price per tonne at which the plan stays optimal, per variable."""
        if self.found is None:
            return np.full(len(variables), math.nan), np.full(len(variables), math.nan)
        i = np.fromiter((variable.index for variable in variables), np.int64, len(variables))
        return self.found.cost_low[i], self.found.cost_high[i]

    def limit_range(self, constraint: pulp.LpConstraint) -> tuple[float, float]:
        """How far the row's limit can fall and rise [t] with the same shadow price."""
        if self.found is None:
            return math.nan, math.nan
        i, rhs = constraint.index, -constraint.constant
        down, up = float(self.found.bound_low[i]), float(self.found.bound_high[i])
        return _clean(max(rhs - down, 0.0)), _clean(max(up - rhs, 0.0))


def _frame(table: str, columns: dict[str, Any]) -> Table:
    """Results table ``table`` from its columns (with no row, as from no records: no dtypes)."""
    return from_columns(columns, COLUMNS[table])


def _columns(records: list[tuple[Any, ...]], width: int) -> list[tuple[Any, ...]]:
    """``records`` (tuples of ``width`` fields) as ``width`` columns."""
    return list(zip(*records, strict=True)) if records else [()] * width


def _located(
    data: ProblemData,
    sources: Sequence[str],
    what: str,
    items: Sequence[str],
    periods: Sequence[str],
) -> dict[str, list[str]]:
    """The key columns of a table by source: source, its country, ``what`` and period."""
    return {
        "source": list(sources),
        "country": [data.country[s] for s in sources],
        what: list(items),
        "period": list(periods),
    }


def _cleaned(values: FloatArray) -> FloatArray:
    return np.where(np.abs(values) < ZERO, 0.0, values)


def _values(variables: Sequence[pulp.LpVariable]) -> FloatArray:
    """The solution values of ``variables`` (0 where none was read, or below ``ZERO``)."""
    return _cleaned(np.array([v.varValue or 0.0 for v in variables], dtype=float))


def _priced(
    variables: Sequence[pulp.LpVariable],
    capacity: Sequence[float],
    price: Sequence[float],
    ranges: _Ranging,
) -> dict[str, FloatArray]:
    """The :data:`PRICED` columns of bought variables."""
    tonnes = _values(variables)
    unit_price = np.array(price, dtype=float)
    low, high = ranges.price_ranges(variables)
    return {
        "tonnes": tonnes,
        "capacity": np.array(capacity, dtype=float),
        "unit_price": unit_price,
        "cost": tonnes * unit_price,
        "reduced_cost": _cleaned(np.array([v.dj or 0.0 for v in variables], dtype=float)),
        "price_low": low,
        "price_high": high,
    }


def _value(variable: pulp.LpVariable | None) -> float:
    """The solution value of ``variable`` (0 where it is missing, none was read, or below
    ``ZERO``)."""
    if variable is None:
        return 0.0
    return _clean(float(variable.varValue or 0.0))


def _clean(value: float) -> float:
    return 0.0 if abs(value) < ZERO else value


@paused
def _plan_tables(model: LpModel, ranges: "_Ranging") -> dict[str, Tabular]:
    """The tables of the plan in ``model``'s variables, as :func:`optiree.verify.verify` reads
    them: purchases, feeds, supply, substitution, inventory and shortage."""
    supply, substitution = _supply(model), _substitution(model)
    flows = _flows(model, supply)
    return {
        INVESTMENTS: _investments(model),
        "purchases": _purchases(model, ranges),
        "feeds": _feeds(model, ranges),
        "supply": supply,
        "substitution": substitution,
        "inventory": _inventory(model, arrived(supply, flows), substitution),
        "shortage": _shortage(model),
        FLOWS: flows,
    }


def optimal_result(
    model: LpModel,
    solver: str,
    status: Status = Status.OPTIMAL,
    message: str = "optimal plan found",
) -> Result:
    """Read the solution and the duals of a solved model, and check the plan.

    The plan is checked against every rule (:func:`optiree.verify.verify`) before it is
    returned: one that breaks a rule by more than :data:`optiree.verify.TOLERANCE` (relative)
    is not returned; the result has status "error" and says which row and by how much. With
    another ``status`` than optimal (a run stopped by its time limit), the plan is the best
    found and its duals, reduced costs and ranges are not read (NaN); so too after a solver
    that reports no duals (GLPK, SCIP...: docs/solvers.md), and for a MILP whose integer
    decisions are not fixed (:func:`optiree.solve.fix_integers` makes the LP whose duals a
    MILP reports).
    """
    d = model.data
    proved = status is Status.OPTIMAL
    ranges = _Ranging(model.lp if proved else None)
    tables = _plan_tables(model, ranges)
    shares = _shares(arrived(tables["supply"], tables[FLOWS]))
    constraints = _constraints(model, shares, tables["inventory"], ranges)
    tables |= {"shares": shares, "constraints": constraints}
    if not proved or not _has_duals(model.lp) or _integer(model):
        tables |= _unproved(tables)
    tables[STAGE_SHARES] = _stage_shares(model.data, tables[FLOWS])
    tables["costs"] = _costs(model, tables)
    # checked before the result holds the tables: a column read from a table with units
    # (``attrs``) copies them
    worst = verify(d, shown(tables))
    result = Result.build(
        name=d.problem.name,
        status=status,
        message=message,
        solver=solver,
        currency=d.problem.currency,
        units=d.input_units,
        tables=tables,
        in_value=_in_value(d),
        max_violation=worst.relative,
    )
    return _checked(result, worst)


def _in_value(data: ProblemData) -> frozenset[str]:
    """The ids of the problem's stage and origin rules counted in value."""
    security = data.problem.security
    rules: tuple[StageRule | OriginRule, ...] = (*security.stage_shares, *security.origin_shares)
    return frozenset(rule.default_id for rule in rules if rule.measure == "value")


def _purchases(model: LpModel, ranges: _Ranging) -> Table:
    """One row per price band of each source, material and period."""
    d = model.data
    priced_bands = [
        (s, m, t, j, band.width, band.price, variable)
        for (s, m, t), bands in d.segments.items()
        for j, band in enumerate(bands, start=1)
        for variable in [model.buy[s, m, t] if j == 1 else model.tier[s, m, str(j), t]]
    ]
    sources, materials, periods, tiers, widths, prices, variables = _columns(priced_bands, 7)
    if d.new_supply:
        built = _built(model)
        widths = tuple(
            width + (built.get((s, m, t), 0.0) if j == 1 else 0.0)
            for s, m, t, j, width in zip(sources, materials, periods, tiers, widths, strict=True)
        )
    return _frame(
        "purchases",
        {
            **_located(d, sources, "material", materials, periods),
            "tier": np.array(tiers, dtype=np.int64),
            **_priced(variables, widths, prices, ranges),
        },
    )


def _built(model: LpModel) -> dict[tuple[str, ...], float]:
    """The new capacity serving each source cell [t] in the plan."""
    return {cell: _new_in(model, builds) for cell, builds in model.data.new_supply.items()}


def _new_in(model: LpModel, builds: tuple[tuple[str, str], ...]) -> float:
    """The capacity ``builds`` add in a period of the plan [t, t of feed, units]."""
    d = model.data
    return sum(d.option(o).per_period * _value(model.build[o, t]) for o, t in builds)


def _investments(model: LpModel) -> Table:
    """One row per option and period it may be decided in: the size built and its costs."""
    d = model.data
    records = []
    for (ident, t), variable in model.build.items():
        o, size = d.option(ident), _value(variable)
        operating = size * o.operating * d.operating_periods(o, t)
        first = d.first_serving(o, t)
        records.append(
            (
                o.id,
                o.target,
                o.investor or "",
                t,
                size,
                first,
                o.capital,
                size * o.capital,
                operating,
            )
        )
    return from_records(records, INVESTMENT_COLUMNS)


def _feeds(model: LpModel, ranges: _Ranging) -> Table:
    """One row per feed offered in a period."""
    d = model.data
    offered = [
        (d.feed_source[f], f, t, d.feed_capacity[f, t], d.feed_price[f, t], variable)
        for (f, t), variable in model.feed.items()
    ]
    sources, feed_ids, periods, widths, prices, variables = _columns(offered, 6)
    if d.new_feed:
        widths = tuple(
            width + _new_in(model, d.new_feed.get((f, t), ()))
            for f, t, width in zip(feed_ids, periods, widths, strict=True)
        )
    return _frame(
        "feeds",
        {
            **_located(d, sources, "feed", feed_ids, periods),
            **_priced(variables, widths, prices, ranges),
        },
    )


def _shortage(model: LpModel) -> Table:
    """One row per material with a shortage penalty and period (0 t where none may go)."""
    d = model.data
    return from_records(
        [
            (m, t, d.demand[m, t], tonnes, d.penalty[m], tonnes * d.penalty[m])
            for m in d.penalty
            for t in d.periods
            for tonnes in [_value(model.short.get((m, t)))]
        ],
        COLUMNS["shortage"],
    )


def _costs(model: LpModel, tables: Mapping[str, Tabular]) -> Table:
    """The cost of each component by item (from the other ``tables``), then sales, disposal
    and take-or-pay."""
    inventory, flows = tables["inventory"], tables[FLOWS]
    below = set(model.data.below_cost)
    strategic = np.array([m in below for m in values(inventory, "material")], dtype=bool)
    parts = [
        ("purchases", tables["purchases"], "source", "cost", None),
        ("feeds", tables["feeds"], "feed", "cost", None),
        ("substitution", tables["substitution"], "substitute", "cost", None),
        ("holding", inventory, "material", "holding_cost", None),
        ("below_target", inventory, "material", "below_target_cost", strategic),
        ("shortage", tables["shortage"], "material", "cost", None),
        ("capital", tables[INVESTMENTS], "investment", "capital_cost", None),
        ("operating", tables[INVESTMENTS], "investment", "operating_cost", None),
        ("processing", flows, "node", "cost", floats(flows, "step") > 0),
    ]
    return from_records(
        [
            (component, str(item), float(cost))
            for component, table, key, column, rows in parts
            for item, cost in column_sums(table, [key], column, rows=rows).items()
        ]
        + _other_costs(model),
        COLUMNS["costs"],
    )


def _integer(model: LpModel) -> bool:
    """Whether ``model`` was solved as a MILP whose integer decisions are not fixed: a MILP's
    duals are those of the LP with them fixed (:func:`optiree.solve.fix_integers`), or none."""
    return any(v.cat == pulp.LpInteger for v in model.integers)


def _has_duals(lp: pulp.LpProblem) -> bool:
    """Whether the solver gave the duals (PuLP leaves ``pi`` and ``dj`` None where it reads
    none: GLPK, SCIP...)."""
    if any(row.pi is not None for row in lp.constraints()):
        return True  # the columns are not listed: lp.variables() walks every coefficient
    return any(v.dj is not None for v in lp.variables())


def _unproved(tables: Mapping[str, Tabular]) -> dict[str, pd.DataFrame]:
    """The constraints, purchases and feeds of ``tables`` marked as those of a plan that has
    no valid duals (a point, not a proved optimum, or the plan of a solver that reports
    none): NaN there, and a row binds where it is tight."""
    names = ("constraints", "purchases", "feeds")
    constraints, purchases, feeds = (frame(tables[name]) for name in names)
    unknown = ["shadow_price", "cost_per_point"]
    constraints[unknown] = math.nan
    tight = constraints["slack"] <= BINDING_TOLERANCE * constraints["limit"].abs().clip(lower=1)
    constraints["binding"] = tight & (constraints["limit"].abs() > ZERO)
    for table in (purchases, feeds):
        table["reduced_cost"] = math.nan
    return {"constraints": constraints, "purchases": purchases, "feeds": feeds}


def _checked(result: Result, worst: Violation) -> Result:
    """``result``, or an error result if its plan breaks a rule (``worst``, as
    :func:`optiree.verify.verify` found) or costs no finite sum."""
    cost = result.total_cost
    if worst.relative <= TOLERANCE and cost is not None and math.isfinite(cost):
        return result
    broken = f"{worst}" if worst.relative > TOLERANCE else f"a total cost of {cost}"
    status, message = _refusal(result, broken)
    return Result.build(
        name=result.problem_name,
        status=status,
        message=message,
        solver=result.solver,
        currency=result.currency,
        units=result.input_units,
    )


def _refusal(result: Result, broken: str) -> tuple[Status, str]:
    """Why a plan that breaks a rule (``broken`` says which, by how much) is not returned: a
    run stopped at its time limit found no feasible plan; any other is a solver's error."""
    if result.status is Status.TIME_LIMIT:
        return Status.TIME_LIMIT, (
            f"{result.message.split(':')[0]} before a feasible plan was found (the solver's "
            f"last point breaks {broken}): no plan; give it more time"
        )
    return Status.ERROR, (
        f"the solver's plan ({result.status.value}) breaks {broken}, beyond the tolerance "
        f"of {TOLERANCE:g}: it is not returned. Rescale the problem's numbers, try the "
        "other solver, or report the problem"
    )


def _other_costs(model: LpModel) -> list[tuple[str, str, float]]:
    """Sales of surplus (a negative cost), disposal and take-or-pay shortfall, where any."""
    d = model.data
    prices = {(r.contract, r.material, r.period): r.take_or_pay or 0.0 for r in d.contracts}
    components = (
        ("sales", ((m, -(_value(v) * d.salvage[m, t])) for (m, t), v in model.sell.items())),
        ("disposal", ((m, _value(v) * d.disposal[m]) for (m, _), v in model.waste.items())),
        ("take_or_pay", ((k[0], _value(v) * prices[k]) for k, v in model.shortfall.items())),
        (
            "qualification",
            ((s, _value(v) * d.qualification[s]) for s, v in model.qualified.items()),
        ),
    )
    return [
        (component, item, _clean(cost))
        for component, costs in components
        for item, cost in _by_item(costs).items()
    ]


def _by_item(costs: Iterable[tuple[str, float]]) -> dict[str, float]:
    """The costs summed by item, in the order the items come."""
    total: dict[str, float] = {}
    for item, cost in costs:
        total[item] = total.get(item, 0.0) + cost
    return total


def _supply(model: LpModel) -> Table:
    """Tonnes delivered per source, material and period: bought directly and from feeds."""
    d = model.data
    cells = list(model.supply)
    terms = list(model.supply.values())
    x = _values([v for supplied in terms for v, _ in supplied])
    yields = np.array([a for supplied in terms for _, a in supplied], dtype=float)
    bought = np.array(  # a cell's first terms are its price bands, then feeds' yields
        [
            i < len(d.segments.get(cell, ()))
            for cell, supplied in zip(cells, terms, strict=True)
            for i in range(len(supplied))
        ],
        dtype=bool,
    )
    cell = np.repeat(np.arange(len(cells)), np.array([len(t) for t in terms], dtype=np.int64))
    total = np.asarray(np.bincount(cell, weights=yields * x, minlength=len(cells)), dtype=float)
    direct = np.asarray(
        np.bincount(cell[bought], weights=x[bought], minlength=len(cells)), dtype=float
    )
    sources, materials, periods = _columns(cells, 3)
    return _frame(
        "supply",
        {
            **_located(d, sources, "material", materials, periods),
            "bought": direct,
            "from_feeds": _cleaned(total - direct),
            "tonnes": _cleaned(total),
        },
    )


def _flows(model: LpModel, supply: Tabular) -> Table:
    """One row per node of every path, material and period: the tonnes it takes in and
    puts out, and (for a facility) its processing cost. A source at the last stage is a path
    of one node, its tonnes those it delivers."""
    d = model.data
    if not d.stages:
        return no_rows(STAGE_TABLES[FLOWS])
    delivered = _by_cell(supply)
    records = []
    for path in d.paths:
        for m in d.materials:
            for t in d.periods:
                cell = (path.source, m, t)
                if cell not in delivered:
                    continue
                key = (path.label, m, t)
                entering = _value(model.flow[key]) if key in model.flow else delivered[cell]
                records += _path_rows(d, path, (m, t), entering)
    return from_records(records, STAGE_TABLES[FLOWS])


def _by_cell(supply: Tabular) -> dict[tuple[str, str, str], float]:
    """The ``tonnes`` of a supply table by (source, material, period)."""
    keys = zip(*(values(supply, key) for key in ("source", "material", "period")), strict=True)
    return dict(zip(keys, floats(supply, "tonnes").tolist(), strict=True))


def _path_rows(
    d: ProblemData, path: ChainPath, cell: tuple[str, str], entering: float
) -> list[tuple[Any, ...]]:
    """The rows of one path for (material, period) ``cell``: ``entering`` tonnes through it."""
    return [
        (
            path.label,
            path.source,
            i,
            path.stages[i],
            node,
            path.countries[i],
            *cell,
            _clean(entering * path.factors[max(0, i - 1)]),
            _clean(entering * path.factors[i]),
            entering * path.factors[i - 1] * d.processing[node] if i else 0.0,
        )
        for i, node in enumerate(path.nodes)
    ]


def arrived(supply: Tabular, flows: Tabular) -> Tabular:
    """``supply`` with ``tonnes`` what each source's material reaches the last stage with:
    itself without stages, the last node's tonnes of the source's paths with them."""
    if flows.empty:
        return supply
    supply, flows = frame(supply), frame(flows)
    last = flows[flows["step"] == flows.groupby(["path"])["step"].transform("max")]
    reached = last.groupby(["source", "material", "period"])["tonnes"].sum().to_dict()
    keys = zip(supply["source"], supply["material"], supply["period"], strict=True)
    return supply.assign(tonnes=[float(reached.get(key, 0.0)) for key in keys])


def _stage_shares(d: ProblemData, flows: Tabular) -> Tabular:
    """Each country's tonnes at each stage, material and period, and its share of them
    (NaN where nothing passes the stage)."""
    if flows.empty:
        return no_rows(STAGE_TABLES[STAGE_SHARES])
    flows = frame(flows)
    keys = ["stage", "material", "period", "country"]
    table = pd.concat([flows[[*keys, "tonnes"]], _upstream(d, flows)], ignore_index=True)
    table = table.astype({"tonnes": float}).groupby(keys, sort=False)["tonnes"].sum().reset_index()
    table["order"] = table["stage"].map(d.stages.index)
    table = table.sort_values(["order", "material", "period"], kind="stable")
    totals = table.groupby(keys[:3], sort=False)["tonnes"].transform("sum")
    table["share"] = (table["tonnes"] / totals).where(totals > 0)
    return table[STAGE_TABLES[STAGE_SHARES]].reset_index(drop=True)


def _upstream(d: ProblemData, flows: pd.DataFrame) -> pd.DataFrame:
    """A source's tonnes at every stage before its own, in its country: a source counts at
    every stage up to the one it sells at (oxide bought from China was mined there)."""
    first = flows[flows["step"] == 0]
    rows = [
        (stage, row.material, row.period, row.country, row.tonnes)
        for row in first.itertuples()
        for stage in d.stages[: d.stages.index(row.stage)]
    ]
    return pd.DataFrame(rows, columns=["stage", "material", "period", "country", "tonnes"])


def _substitution(model: LpModel) -> Table:
    d = model.data
    saved = sorted({m for k in d.saves for m in d.saves[k]}, key=d.materials.index)
    records = []
    for (k, t), variable in model.sub.items():
        units = _value(variable)
        cost = d.sub_cost[k, t]
        records.append(
            [k, t, units, cost, units * cost] + [units * d.saves[k].get(m, 0.0) for m in saved]
        )
    return from_records(records, COLUMNS["substitution"] + [f"saved_{m}" for m in saved])


def _inventory(model: LpModel, supply: Tabular, substitution: Tabular) -> Table:
    d = model.data
    bought = column_sums(supply, ["material", "period"], "tonnes", sort=True)
    records = []
    for m in d.materials:
        column = f"saved_{m}"
        substituted = (
            column_sums(substitution, ["period"], column, sort=True)
            if column in substitution
            else {}
        )
        opening = d.initial[m]
        for t in d.periods:
            closing = _value(model.stock[m, t])
            short = _value(model.short.get((m, t)))
            below = charged = 0.0
            if (m, t) in model.gap:  # a strategic stock: what the plan is below its target
                below = _clean(max(0.0, d.stock_cover[m, t] * d.demand[m, t] - closing))
                charged = _clean(max(0.0, below - short))
            sold = _value(model.sell.get((m, t)))
            purchased = float(bought.get((m, t), 0.0))
            saved = float(substituted.get(t, 0.0))
            surplus = _clean(opening + purchased + saved + short - d.demand[m, t] - sold - closing)
            records.append(
                (
                    *(m, t, opening, purchased, saved, short, d.demand[m, t], sold),
                    *(closing, surplus, closing * d.holding[m]),
                    *(sold * d.salvage.get((m, t), 0.0), surplus * d.disposal.get(m, 0.0)),
                    *(below, charged, d.below_target_cost(m, t, below, charged)),
                )
            )
            opening = closing
    return from_records(records, COLUMNS["inventory"])


def _shares(supply: Tabular) -> Table:
    """Each country's tonnes of each material and period, and its share of them (NaN where
    nothing is delivered), summed as pandas' groupby sums them."""
    if supply.empty:
        return no_rows(COLUMNS["shares"])
    tonnes = column_sums(supply, ["material", "period", "country"], "tonnes")
    keys = list(tonnes)
    totals = group_sums([key[:2] for key in keys], list(tonnes.values()))
    x = np.array(list(tonnes.values()), dtype=float)
    total = np.array([totals[key[:2]] for key in keys], dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, x / total, math.nan)
    material, period, country = _columns(keys, 3)
    return _frame(
        "shares",
        {
            "material": list(material),
            "period": list(period),
            "country": list(country),
            "tonnes": x,
            "share": share,
        },
    )


def _constraints(model: LpModel, shares: Tabular, inventory: Tabular, ranges: _Ranging) -> Table:
    """One row per row of the LP; a max_share row reads the country's tonnes off ``shares``
    and all purchases of its material and period off ``inventory``."""
    purchased = zip(values(inventory, "material"), values(inventory, "period"), strict=True)
    totals = dict(zip(purchased, values(inventory, "purchased"), strict=True))
    keys = zip(*(values(shares, key) for key in ("country", "material", "period")), strict=True)
    by_country = dict(zip(keys, values(shares, "tonnes"), strict=True))
    activities = row_activities(model.lp)
    records = [
        (
            *_row_record(row, totals, by_country, activities),
            *ranges.limit_range(row.constraint),
        )
        for row in model.rows
    ]
    return from_records(records, COLUMNS["constraints"])


def _row_record(
    row: Row,
    totals: dict[Any, float],
    by_country: dict[Any, float],
    activities: FloatArray | None,
) -> tuple[object, ...]:
    c = row.constraint
    lhs = _lhs(c, activities)
    rhs = -c.constant
    greater = c.sense != pulp.LpConstraintLE  # an equation reads like a >= row
    pi = c.pi or 0.0
    shadow = _clean(pi if greater else -pi)
    value, limit, per_point = _as_read(row, lhs, rhs, totals, by_country)
    slack = 0.0 if c.sense == pulp.LpConstraintEQ else _clean(lhs - rhs if greater else rhs - lhs)
    cost_per_point = shadow * per_point if row.parameter is not None else math.nan
    tight = slack <= BINDING_TOLERANCE * max(1.0, abs(limit))
    # A row that reads 0 <= 0 at no cost (a share rule in a period with no purchases) is tight
    # but restricts nothing.
    binding = tight and (shadow > 0 or abs(limit) > ZERO)
    return (
        row.name,
        row.rule.value,
        row.subject,
        row.material,
        row.period,
        SENSES[c.sense],
        _clean(value),
        _clean(limit),
        slack,
        shadow,
        cost_per_point,
        binding,
    )


def _lhs(constraint: pulp.LpConstraint, activities: FloatArray | None) -> float:
    """The row's left-hand side at the solution: from the solver where it gave them, else
    summed term by term."""
    if activities is not None:
        return float(activities[constraint.index])
    return float(sum(coefficient * _value(v) for v, coefficient in constraint.items()))


def _as_read(
    row: Row,
    lhs: float,
    rhs: float,
    totals: dict[Any, float],
    by_country: dict[Any, float],
) -> tuple[float, float, float]:
    """The row's value and limit as its rule reads, and the tonnes of one point (0.01) of it."""
    if row.rule in (Rule.CAPACITY, Rule.SEPARATION, Rule.FACILITY):
        # Rule form: tonnes (units) used <= the capacity there was + the new capacity serving.
        new = -sum(a * _value(v) for v, a in row.constraint.items() if a < 0)
        return lhs + new, rhs + new, row.per_point
    if row.share_of is not None:
        return _share_of(row.share_of, row.parameter or 0.0)
    if row.rule is not Rule.MAX_SHARE:
        return lhs + row.shift, rhs + row.shift, row.per_point
    # Rule form: tonnes from the country <= share x all purchases of (m, t).
    total = float(totals.get((row.material, row.period), 0.0))
    value = float(by_country.get((row.subject, row.material, row.period), 0.0))
    return value, (row.parameter or 0.0) * total, 0.01 * total


def _share_of(share_of: ShareOf, share: float) -> tuple[float, float, float]:
    """A stage or origin rule's row as its rule reads: what the country or group has, against
    ``share`` of all, and the tonnes (or value) of one point."""
    own, total = share_values(share_of)
    return own, share * total, 0.01 * total


# --- stochastic: the check of warm re-solves ---


def keeps_rules(model: LpModel, data: ProblemData) -> bool:
    """Whether the plan in ``model``'s variables keeps every rule of ``data`` (the problem it
    must solve, which may bound more than ``model`` does) within
    :data:`optiree.verify.TOLERANCE`, as :func:`optiree.verify.verify` finds.

    Only the tables ``verify`` reads are built (no duals, ranges, costs or constraints
    table): the check of a re-solve whose plan itself is not returned.
    """
    return verify(data, _plan_tables(model, _Ranging(None))).relative <= TOLERANCE
