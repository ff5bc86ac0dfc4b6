"""Words for people: the one set of number formats, and the text of every summary.

Every figure optiree prints, in the CLI, a ``summary()``, a report or an error about a plan,
goes through the formatters here, so that a tonne or a dollar reads the same everywhere.
Figures are rounded for reading; the tables keep full precision. This module imports nothing
of optiree's: what it words is handed to it as plain numbers, strings and DataFrames (or
objects matching a :class:`typing.Protocol` declared here).
"""

import math

import pandas as pd

MISSING = "-"
"""What a missing figure (None or NaN) reads as."""


def money(value: float | None, *, cents: bool = False) -> str:
    """An amount of money: whole units with thousands separators (``1,345,119,637``), or with
    cents; "-" when missing, "infinite" when infinite."""
    if value is None or math.isnan(value):
        return MISSING
    if math.isinf(value):
        return "infinite" if value > 0 else "-infinite"
    return f"{value:,.2f}" if cents else f"{value:,.0f}"


def tonnes(value: float) -> str:
    """Tonnes to 0.1 t with thousands separators (``1,371.9``)."""
    return f"{value:,.1f}"


def share(value: float) -> str:
    """A number of percent already multiplied by 100, to 0.1 (``33.3``)."""
    return f"{value:.1f}"


def percent(fraction: float) -> str:
    """A fraction as a percentage to three significant digits (``0.3337`` -> ``33.4%``)."""
    return f"{100 * fraction:.3g}%"


def figure(value: float) -> str:
    """One decimal, or two significant digits where one decimal would show a positive value as
    0.0 (a headline must not round a shortage away)."""
    return f"{value:,.1f}" if value >= 0.05 or value <= 0 else f"{value:.2g}"


def number(value: float) -> str:
    """A share, cover or tonnage for reading: 4 significant digits, or to 0.1 from 100 up."""
    return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.4g}"


def cell(value: float) -> str:
    """Any number of a table of unknown meaning: whole above 1,000, 4 significant digits
    below."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


# --- the plan: a solved problem's headline and summary (results, report, html, cli) ---


# --- analyses: sensitivity, frontier, diagnose ---


def _level(value: float) -> str:
    return f"{value:.4f}"


def _whole(value: float) -> str:
    return f"{value:,.0f}"


def _whole_or_blank(value: float) -> str:
    return "" if pd.isna(value) else f"{value:,.0f}"


def frontier_text(
    table: pd.DataFrame, *, title: str, currency: str, solves: int, percent: bool
) -> str:
    """A frontier's table as text under ``title``: its level (in % where ``percent``), total
    cost, cost per point and breakpoints."""
    cost = f"total_cost [{currency}]"
    shown = pd.DataFrame(
        {
            "level": table["level"] * (100 if percent else 1),
            cost: table["total_cost"],
            "cost_per_point": table["marginal_cost_per_point"],
            "breakpoint": table["breakpoint"].map({True: "*", False: ""}),
        }
    )
    formatters = {"level": _level, cost: _whole, "cost_per_point": _whole_or_blank}
    body = shown.to_string(index=False, formatters=formatters)
    note = (
        "cost_per_point: cost of tightening by one point (0.01) towards the next row; "
        f"* a breakpoint; {solves} solves"
    )
    return f"{title}\n{body}\n{note}\n"


def _label(*parts: object) -> str:
    return " ".join(str(part) for part in parts if part)


def _what(row: object) -> str:
    """A purchase as "source material", a feed as "source feed <id>"."""
    feed = getattr(row, "feed", "")
    return _label(
        getattr(row, "source", ""), f"feed {feed}" if feed else getattr(row, "material", "")
    )


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


def sensitivity_text(
    rules: pd.DataFrame,
    capacity: pd.DataFrame,
    entry: pd.DataFrame,
    *,
    order: list[str],
    currency: str,
    top: int,
) -> str:
    """The rules that cost most, the capacity worth most, the sources nearest to entering
    (sensitivity's tables), each grouped over the periods (in ``order``) where it applies."""
    costly = rules[rules["shadow_price"] > 0].fillna({"subject": ""})
    near = entry.assign(closeness=-entry["gap"])
    per_tonne = _grouped(costly, ["rule", "subject", "material"], "shadow_price", top, order)
    worth = _grouped(capacity, ["source", "material", "feed"], "capacity_value", top, order)
    unused = _grouped(near, ["source", "material", "feed"], "closeness", top, order)
    lines = [f"What matters most ({currency}; the largest figure over the periods shown)"]
    lines.append(" Rules that cost most, per tonne tightened:")
    lines += [
        f"  {_label(r.rule, r.subject, r.material)}: {money(r.shadow_price, cents=True)} per t "
        f"({r.periods})"
        for r in per_tonne.itertuples()
    ] or ["  none: no cap or security rule costs anything"]
    lines.append(" Capacity worth most, per extra tonne (of feed, for a feed):")
    lines += [
        f"  {_what(c)}: {money(c.capacity_value, cents=True)} ({c.periods})"
        for c in worth.itertuples()
    ] or ["  none: no source is bought to its capacity at a cost"]
    lines.append(" Sources not used, and the price below which each would be bought:")
    lines += [
        f"  {_what(e)}: below {money(e.entry_price, cents=True)} "
        f"(now {money(e.unit_price, cents=True)}; {e.periods})"
        for e in unused.itertuples()
    ] or ["  none"]
    lines.append(" Ranges over which these hold: optiree.sensitivity(result) (HiGHS only).")
    return "\n".join(lines) + "\n"


# --- disruption: scenarios, stress tests, the stochastic model, sweeps ---
