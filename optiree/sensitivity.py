"""Result -> what the plan is sensitive to: shadow prices with their ranges, reduced costs.

Everything here is read off the :class:`~optiree.results.Result` tables; nothing is solved
again. Ranges come from HiGHS's ranging and are NaN after a CBC solve.
"""

import math

import pandas as pd

from optiree.errors import OptireeError
from optiree.results import RULES, Result
from optiree.rules import Rule

SENSITIVITY_TABLES = ("rules", "demand", "entry", "capacity", "prices")
TOP = 5
"""How many rows the text summary shows of each table."""


def sensitivity(result: Result) -> dict[str, pd.DataFrame]:
    """What each rule, demand, source and capacity is worth at the margin.

    Returns a dict of DataFrames (see docs/sensitivity.md):

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

    Raises:
        OptireeError: the result is not optimal, so there are no prices to read.
    """
    if not result.is_optimal:
        raise OptireeError(f"no sensitivity for a result that is {result.status.value}")
    rows = result.constraints
    limits = ["allowable_decrease", "allowable_increase"]
    columns = ["constraint", "rule", "subject", "material", "period", "value", "limit"]
    rules = rows[rows["rule"].isin(RULES)][
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
    return {
        "rules": rules.reset_index(drop=True),
        "demand": demand.reset_index(drop=True),
        "entry": entry.sort_values("gap", kind="stable").reset_index(drop=True),
        "capacity": capacity.sort_values(
            "capacity_value", ascending=False, kind="stable"
        ).reset_index(drop=True),
        "prices": prices.reset_index(drop=True),
    }


def _offers(result: Result) -> pd.DataFrame:
    """Purchases and feeds in one table: a feed's row has its ``feed`` id, no material and
    tier 0 (its figures are per tonne of feed); a purchase's has ``feed`` empty."""
    purchases = result.purchases.assign(feed="")
    feeds = result.feeds.assign(material="", tier=0)
    return pd.concat([purchases, feeds[purchases.columns]], ignore_index=True)


def _what(row: object) -> str:
    """A purchase as "source material", a feed as "source feed <id>"."""
    feed = getattr(row, "feed", "")
    return _label(
        getattr(row, "source", ""), f"feed {feed}" if feed else getattr(row, "material", "")
    )


def _money(value: object) -> str:
    number = float(value)  # type: ignore[arg-type]
    return "-" if math.isnan(number) else f"{number:,.2f}"


def _label(*parts: object) -> str:
    return " ".join(str(part) for part in parts if part)


def _grouped(
    table: pd.DataFrame, keys: list[str], value: str, top: int, order: list[str]
) -> pd.DataFrame:
    """One row per group of rows alike but for the period: the row where ``value`` is
    largest, with ``periods`` listing every period of the group in problem order."""
    best = table.sort_values(value, ascending=False, kind="stable").drop_duplicates(keys)
    spans = table.groupby(keys, sort=False, dropna=False)["period"].agg(
        lambda periods: " ".join(sorted(periods, key=order.index))
    )
    return best.merge(spans.rename("periods").reset_index(), on=keys, how="left").head(top)


def sensitivity_summary(result: Result, top: int = TOP) -> str:
    """The rules that cost most, the capacity worth most, the sources nearest to entering,
    each grouped over the periods where it applies (showing its largest figure)."""
    tables = sensitivity(result)
    order = list(dict.fromkeys(result.inventory["period"]))
    rules = tables["rules"][tables["rules"]["shadow_price"] > 0].fillna({"subject": ""})
    entry = tables["entry"].assign(closeness=-tables["entry"]["gap"])
    lines = [f"What matters most ({result.currency}; the largest figure over the periods shown)"]
    lines.append(" Rules that cost most, per tonne tightened:")
    lines += [
        f"  {_label(r.rule, r.subject, r.material)}: {_money(r.shadow_price)} per t ({r.periods})"
        for r in _grouped(
            rules, ["rule", "subject", "material"], "shadow_price", top, order
        ).itertuples()
    ] or ["  none: no cap or security rule costs anything"]
    lines.append(" Capacity worth most, per extra tonne (of feed, for a feed):")
    lines += [
        f"  {_what(c)}: {_money(c.capacity_value)} ({c.periods})"
        for c in _grouped(
            tables["capacity"], ["source", "material", "feed"], "capacity_value", top, order
        ).itertuples()
    ] or ["  none: no source is bought to its capacity at a cost"]
    lines.append(" Sources not used, and the price below which each would be bought:")
    lines += [
        f"  {_what(e)}: below {_money(e.entry_price)} (now {_money(e.unit_price)}; {e.periods})"
        for e in _grouped(
            entry, ["source", "material", "feed"], "closeness", top, order
        ).itertuples()
    ] or ["  none"]
    lines.append(" Ranges over which these hold: optiree.sensitivity(result) (HiGHS only).")
    return "\n".join(lines) + "\n"
