"""Words for people: the one set of number formats, and the text of every summary.

Every figure optiree prints, in the CLI, a ``summary()``, a report or an error about a plan,
goes through the formatters here, so that a tonne or a dollar reads the same everywhere.
Figures are rounded for reading; the tables keep full precision. This module imports nothing
of optiree's: what it words is handed to it as plain numbers, strings and DataFrames (or
objects matching a :class:`typing.Protocol` declared here).
"""

import math

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


# --- disruption: scenarios, stress tests, the stochastic model, sweeps ---
