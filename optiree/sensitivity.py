"""Result -> what the plan is sensitive to: shadow prices with their ranges, reduced costs.

Everything here is read off the :class:`~optiree.results.Result` tables; nothing is solved
again. Ranges come from HiGHS's ranging and are NaN after a CBC solve; a solver that reports no
duals (GLPK, SCIP...: docs/solvers.md) gives no sensitivity at all.
"""

from dataclasses import dataclass, field

import pandas as pd

from optiree import arguments
from optiree.errors import ArgumentError, SolverChoiceError
from optiree.results import COLUMN_UNITS, PRICE, TONNE, TONNES, Result
from optiree.rules import LIMITS, Rule
from optiree.solvers import able
from optiree.words import (
    NO_DUALS,
    Carded,
    fixed_duals_line,
    lacking_words,
    sensitivity_text,
)

SENSITIVITY_TABLES = ("rules", "demand", "entry", "capacity", "prices")
TOP = 5
"""How many rows the text summary shows of each table."""
PER_TONNE = f"{{currency}}/{TONNE}"
UNITS: dict[str, dict[str, str]] = {
    "rules": COLUMN_UNITS["constraints"],
    "demand": dict(
        demand=TONNES, marginal_cost=PRICE, allowable_decrease=TONNES, allowable_increase=TONNES
    ),
    "entry": dict(
        unit_price=PER_TONNE, reduced_cost=PER_TONNE, entry_price=PER_TONNE, gap="fraction"
    ),
    "capacity": dict(capacity=TONNE, unit_price=PER_TONNE, capacity_value=PER_TONNE),
    "prices": dict(tonnes=TONNE, unit_price=PER_TONNE, price_low=PER_TONNE, price_high=PER_TONNE),
}
"""The unit of each column of each table that has one (``{currency}`` is the result's), kept
as ``df.attrs["units"]`` on the tables; in ``entry``, ``capacity`` and ``prices`` a tonne is
of oxide (t REO) in a purchase's row and of feed in a feed's row."""


@dataclass(frozen=True)
class Sensitivity(Carded):
    """What each rule, demand, source and capacity is worth at the margin: what
    :func:`sensitivity` returns, one table per field (see docs/sensitivity.md)."""

    rules: pd.DataFrame = field(repr=False)
    demand: pd.DataFrame = field(repr=False)
    entry: pd.DataFrame = field(repr=False)
    capacity: pd.DataFrame = field(repr=False)
    prices: pd.DataFrame = field(repr=False)
    currency: str
    periods: tuple[str, ...]
    """The problem's periods, in order (the summary lists a rule's periods in it)."""
    duals_of: str | None = None
    """For a MILP, what its prices are the duals of: the LP with the integer decisions fixed
    at their optimum (``Result.duals_of``); None for an LP."""
    in_value: frozenset[str] = frozenset()
    """The stage and origin rules counted in value (``Result.in_value``): their shadow price
    is money per money of value."""

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name, in the order of :data:`SENSITIVITY_TABLES`."""
        return {name: getattr(self, name) for name in SENSITIVITY_TABLES}

    def summary(self, top: int = TOP) -> str:
        """The rules that cost most, the capacity worth most, the sources nearest to entering,
        each grouped over the periods where it applies (showing its largest figure)."""
        arguments.positive_int(top, "top")
        text = sensitivity_text(
            self.rules,
            self.capacity,
            self.entry,
            order=list(self.periods),
            currency=self.currency,
            top=top,
            in_value=self.in_value,
        )
        return "\n".join([text, *fixed_duals_line(self.duals_of)]) if self.duals_of else text


def sensitivity(result: Result) -> Sensitivity:
    """What each rule, demand, source and capacity is worth at the margin.

    Returns a :class:`Sensitivity` with these tables (see docs/sensitivity.md):

    - ``rules``: every cap and security rule: ``shadow_price`` [money/t] and ``cost_per_point``
      [money per 0.01], with ``allowable_decrease``/``allowable_increase`` [t], the range of the
      rule's limit over which they hold; highest shadow price first.
    - ``demand``: ``marginal_cost`` of one more tonne of demand per material and period, with
      its range.
    - ``entry``: sources (price bands, feeds) not used, and the ``entry_price`` [money/t, per
      tonne of feed for a feed] below which each would be bought (price minus reduced cost);
      closest to entering first.
    - ``capacity``: sources (bands, feeds) bought to their capacity, and the
      ``capacity_value`` [money/t] of one more tonne of it; most valuable first.
    - ``prices``: for sources in use, the range ``price_low``-``price_high`` of their price over
      which the plan stays the same (HiGHS only).

    A feed's row has its id in ``feed``, an empty ``material`` and ``tier`` 0; a purchase's has
    an empty ``feed``.

    For a MILP every figure is of the LP with the integer decisions fixed at their optimum (as
    the result's are), and ``duals_of`` says so: a price holds while those decisions stay.

    Raises:
        ArgumentError: the result is not optimal, so there are no prices to read.
        SolverChoiceError: its solver reports no duals (docs/solvers.md).
    """
    arguments.instance(result, "result", Result, "an optiree.Result (from optiree.solve)")
    if not result.is_optimal:
        raise ArgumentError(f"no sensitivity for a result that is {result.status.value}")
    if not has_duals(result):
        raise SolverChoiceError(
            lacking_words("sensitivity", NO_DUALS, result.solver, able("duals"))
        )
    rows = result.constraints
    limits = ["allowable_decrease", "allowable_increase"]
    columns = ["constraint", "rule", "subject", "material", "period", "value", "limit"]
    rules = rows[rows["rule"].isin(LIMITS)][
        [*columns, "shadow_price", "cost_per_point", "binding", *limits]
    ].sort_values("shadow_price", ascending=False, kind="stable")
    demand = rows[rows["rule"] == Rule.BALANCE][["material", "period", "limit", "shadow_price"]]
    demand = demand.assign(**{limit: rows.loc[demand.index, limit] for limit in limits})
    demand = demand.rename(columns={"limit": "demand", "shadow_price": "marginal_cost"})

    bought = _offers(result)
    keys = ["source", "country", "material", "feed", "period", "tier"]
    unused = bought[(bought["tonnes"] == 0) & (bought["reduced_cost"] > 0)]
    entry = unused[[*keys, "unit_price", "reduced_cost"]].assign(
        entry_price=unused["unit_price"] - unused["reduced_cost"],
        gap=unused["reduced_cost"] / unused["unit_price"],
    )
    full = bought[(bought["tonnes"] >= bought["capacity"]) & (bought["reduced_cost"] < 0)]
    capacity = full[[*keys, "capacity", "unit_price"]].assign(capacity_value=-full["reduced_cost"])
    used = bought[bought["tonnes"] > 0]
    prices = used[[*keys, "tonnes", "unit_price", "price_low", "price_high"]]
    tables = {
        "rules": rules,
        "demand": demand,
        "entry": entry.sort_values("gap", kind="stable"),
        "capacity": capacity.sort_values("capacity_value", ascending=False, kind="stable"),
        "prices": prices,
    }
    return Sensitivity(
        **{name: _with_units(name, table, result.currency) for name, table in tables.items()},
        currency=result.currency,
        periods=tuple(dict.fromkeys(result.inventory["period"])),
        duals_of=result.duals_of,
        in_value=result.in_value,
    )


def has_duals(result: Result) -> bool:
    """Whether ``result``'s solver reported its duals (else its shadow prices and reduced costs
    are NaN: :func:`optiree.results.optimal_result`); a plan with no row counts as having them."""
    prices = result.constraints["shadow_price"]
    return prices.empty or bool(prices.notna().any())


def _with_units(name: str, table: pd.DataFrame, currency: str) -> pd.DataFrame:
    """``table`` numbered from 0, with the units of its columns (:data:`UNITS`) as
    ``attrs["units"]`` (in place of those it inherited from ``result.constraints``)."""
    table = table.reset_index(drop=True)
    units = {c: u.format(currency=currency) for c, u in UNITS[name].items() if c in table}
    table.attrs = {**table.attrs, "units": units}
    return table


def _offers(result: Result) -> pd.DataFrame:
    """Purchases and feeds in one table: a feed's row has its ``feed`` id, no material and
    tier 0 (its figures are per tonne of feed); a purchase's has ``feed`` empty."""
    purchases = result.purchases.assign(feed="")
    feeds = result.feeds.assign(material="", tier=0)
    return pd.concat([purchases, feeds[purchases.columns]], ignore_index=True)
