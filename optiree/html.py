"""Problem + Result -> one self-contained HTML report.

The page holds a summary, the plan's tables (with stages, the share of each country at each
stage), every figure of :mod:`optiree.plots` (embedded as
base64 PNG) and, when given, the cost-vs-security frontier and sensitivity tables. It uses no
external file, stylesheet, script or font, so it opens offline and can be mailed as one file.
Every piece of text from the input is HTML-escaped. Figures need matplotlib
(``pip install 'optiree[plot]'``).

Figures are rounded for reading as in :meth:`optiree.Result.summary`: tonnes to 0.1 t, money
to whole units, shadow prices to 0.01; the CSV files of ``Result.write`` keep full precision.
"""

import base64
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optiree.files import write_atomic
from optiree.plots import (
    REQUIREMENT_LABEL,
    cost_breakdown,
    frontier_curve,
    png,
    sourcing_mix,
    stage_shares,
    stock_trajectory,
)
from optiree.results import COLUMN_UNITS, TONNE
from optiree.version import __version__
from optiree.words import (
    STAGE_SHARES_NOTE,
    STAGE_TABLE_NOTE,
    built,
    cell,
    heading,
    headline,
    infinite,
    money,
    price,
    share,
    stage_share_caption,
    step_level,
    tonnes,
    with_unit,
    yes_no,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from optiree.frontier import Frontier
    from optiree.results import Result
    from optiree.schema import Problem

Format = Callable[[Any], str]

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto;
       max-width: 70em; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.9em; }
.wide { overflow-x: auto; max-width: 100%; margin: 0.5em 0 1.2em; }
th, td { border: 1px solid #ddd; padding: 0.2em 0.6em; }
thead th { vertical-align: bottom; }
td.n { white-space: nowrap; }
thead th { background: #f2f2f2; }
tbody th { text-align: left; font-weight: normal; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.9em; }
.status { font-weight: bold; }
.bad { color: #b00020; }
.note { color: #555; }
.unmet { border-left: 4px solid #b00020; background: #fdecee; padding: 0.5em 1em; }
pre { white-space: pre-wrap; }
"""


def render_report(
    problem: "Problem",
    result: "Result",
    *,
    frontier: "Frontier | None" = None,
    sensitivity: Mapping[str, pd.DataFrame] | None = None,
) -> str:
    """The report as HTML text (see :func:`write_report`).

    Raises:
        optiree.MissingDependencyError: matplotlib is not installed.
        optiree.PlotError: ``frontier`` lacks a column or has no rows.
    """
    title = f"{problem.name}: procurement plan"
    body = [f"<h1>{_e(problem.name)}</h1>"]
    if problem.description:
        body.append(f'<p class="note">{_e(problem.description)}</p>')
    if not result.is_optimal:
        body += _not_solved(result)
    else:
        body += _summary(result)
        body += _figures(problem, result, frontier)
        body += _tables(problem, result)
        if frontier is not None:
            body += _frontier_table(frontier)
        if sensitivity:
            body += _sensitivity(sensitivity)
    body.append(f'<p class="note">Made by optiree {_e(__version__)}.</p>')
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>",
            f"<style>{CSS}</style>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )


def write_report(
    problem: "Problem",
    result: "Result",
    path: str | Path,
    *,
    frontier: "Frontier | None" = None,
    sensitivity: Mapping[str, pd.DataFrame] | None = None,
    overwrite: bool = True,
) -> Path:
    """Write the HTML report of ``result`` to ``path`` and return the path.

    The page has the summary (status, total cost, cost by component), the supply per
    material, substitution, closing stock, shortage, country shares and the binding rules with
    their shadow prices, every figure of :mod:`optiree.plots`, the ``frontier`` (a
    :class:`optiree.frontier.Frontier`) and the ``sensitivity`` tables (name ->
    DataFrame) when given. A result that is not optimal gives a page that says so, with its
    message. The file is written to a temporary file in the same folder and renamed into
    place, so a reader never sees half a page; missing folders are created. Without
    ``overwrite`` an existing file is left alone and an error raised.

    Raises:
        optiree.OutputError: the file cannot be written, or exists and ``overwrite`` is False.
        optiree.MissingDependencyError: matplotlib is not installed.
    """
    path = Path(path)
    text = render_report(problem, result, frontier=frontier, sensitivity=sensitivity)
    return write_atomic(path, text, "the report", overwrite=overwrite)


def _not_solved(result: "Result") -> list[str]:
    return [
        f'<p class="status bad">No plan: the problem is {_e(result.status.value)} '
        f"(solver: {_e(result.solver)}).</p>",
        f"<pre>{_e(result.message)}</pre>",
    ]


def _summary(result: "Result") -> list[str]:
    currency = result.currency
    total = result.total_cost or 0.0
    by_component = result.costs.groupby("component", sort=False)["cost"].sum()
    shares = by_component / total * 100 if total else by_component * math.nan
    costs = pd.DataFrame(
        {f"cost [{_unit('costs', 'cost', currency)}]": by_component, "share of total [%]": shares},
    ).rename_axis("component")
    binding = result.binding
    head = headline(result)
    unmet = [] if head.unmet is None else [f'<p class="unmet">{_e(head.unmet)}</p>']
    return [
        '<h2 id="summary">Summary</h2>',
        f'<p class="status{"" if head.unmet is None else " bad"}">{_e(head.status)}</p>',
        *unmet,
        f"<p>Total cost: <strong>{_e(money(total))} {_e(currency)}</strong></p>",
        _table(costs, {costs.columns[0]: money, costs.columns[1]: share}),
        f"<p>{len(binding)} cap or security rule row(s) bind; see "
        '<a href="#binding">binding rules</a>.</p>',
    ]


def _figures(problem: "Problem", result: "Result", frontier: "Frontier | None") -> list[str]:
    figures: list[tuple[str, Figure]] = [
        (
            "How demand was met [t]: bought from each source, saved by substitutes, drawn "
            "from stock, left short; black ticks: demand [t]",
            sourcing_mix(result),
        ),
        (
            f"Closing stock [t] with the {REQUIREMENT_LABEL} [t]",
            stock_trajectory(result, problem),
        ),
        (f"Cost by component and item [{result.currency}]", cost_breakdown(result)),
    ]
    if not result.stage_shares.empty:
        figures.append((stage_share_caption(horizon=True), stage_shares(result)))
    if frontier is not None:
        figures.append(
            (
                "Cost of security: least total cost as a rule is tightened",
                frontier_curve(frontier.table, frontier.currency),
            )
        )
    parts = ['<h2 id="figures">Figures</h2>']
    for caption, figure in figures:
        parts += [
            "<figure>",
            f'<img src="data:image/png;base64,{_png(figure)}" alt="{_e(caption)}">',
            f"<figcaption>{_e(caption)}</figcaption>",
            "</figure>",
        ]
    return parts


def _png(figure: "Figure") -> str:
    """The figure as base64 PNG text."""
    return base64.b64encode(png(figure)).decode("ascii")


def _tables(problem: "Problem", result: "Result") -> list[str]:
    names = {m.id: m.name for m in problem.materials}
    parts = [
        '<h2 id="supply">Supply [t] by material, source and period (feeds included)</h2>',
        '<p class="note">Sources that buy none of a material are left out; '
        '"-" marks a period in which the source cannot supply.</p>',
    ]
    for material, rows in result.supply.groupby("material", sort=False):
        plan = rows.pivot_table(
            index=["source", "country"], columns="period", values="tonnes", sort=False
        )
        plan = plan[plan.sum(axis=1) > 0]
        name = names.get(str(material))
        heading = f"{material} ({name})" if name else str(material)
        parts.append(f"<h3>{_e(heading)}</h3>")
        parts.append(_table(plan, tonnes, empty="<p>Nothing is bought.</p>"))

    parts.append('<h2 id="substitution">Substitution [units] by substitute and period</h2>')
    units = result.substitution.pivot_table(
        index="substitute", columns="period", values="units", sort=False
    )
    parts.append(_table(units, tonnes, empty="<p>No substitute is used.</p>"))

    parts.append('<h2 id="stock">Closing stock [t] by material and period</h2>')
    closing = result.inventory.pivot_table(
        index="material", columns="period", values="closing", sort=False
    )
    parts.append(_table(closing, tonnes))

    parts.append('<h2 id="shortage">Shortage [t]: demand left unmet</h2>')
    short = result.shortage.pivot_table(
        index="material", columns="period", values="tonnes", sort=False
    )
    short = short[short.sum(axis=1) > 0]
    parts.append(_table(short, tonnes, empty="<p>All demand is met.</p>"))

    parts += [
        '<h2 id="shares">Share of supply by country [%]</h2>',
        '<p class="note">"-": the country cannot supply the material in the period, or nothing '
        "of it is bought.</p>",
    ]
    shares = result.shares.pivot_table(
        index=["material", "country"], columns="period", values="share", sort=False
    )
    parts.append(_table(shares * 100, share, empty="<p>Nothing delivered.</p>"))
    parts += _stage_shares(result)
    parts += _investments(result)
    parts += _binding(result)
    return parts


def _stage_shares(result: "Result") -> list[str]:
    """Each country's share at each stage by material and period [%], for a problem with
    stages only."""
    if result.stage_shares.empty:
        return []
    shares = result.stage_shares.pivot_table(
        index=["stage", "material", "country"], columns="period", values="share", sort=False
    )
    return [
        f'<h2 id="stage-shares">{_e(stage_share_caption(horizon=False))}</h2>',
        f'<p class="note">{_e(STAGE_SHARES_NOTE)} {_e(STAGE_TABLE_NOTE)}</p>',
        _table(shares * 100, share),
    ]


def _investments(result: "Result") -> list[str]:
    """What the plan builds, for a problem with investment options (nothing otherwise)."""
    if result.investments.empty:
        return []
    chosen = built(result.investments)
    columns = ["investment", "target", "period", "available_from", "size"]
    table = chosen[[*columns, "capital_cost", "operating_cost"]].set_index(columns[:2])
    formats = {"size": tonnes, "capital_cost": money, "operating_cost": money}
    return [
        f'<h2 id="investments">Investments (size in t/yr, units/yr for a substitute line; '
        f"costs in {_e(result.currency)})</h2>",
        _table(table, formats, empty="<p>Nothing is built.</p>"),
    ]


def _binding(result: "Result") -> list[str]:
    currency = result.currency
    parts = [
        '<h2 id="binding">Binding rules</h2>',
        f'<p class="note">Caps and security rules that bind, dearest first. Shadow price: '
        f"{_e(currency)} per tonne of tightening; cost per point: {_e(currency)} per 0.01 of "
        "the rule's share or cover.</p>",
    ]
    binding = result.binding
    if binding.empty:
        return [*parts, "<p>No cap or security rule binds.</p>"]
    columns = {
        "constraint": "constraint",
        "rule": "rule",
        "subject": "subject",
        "material": "material",
        "period": "period",
        "value": f"value [{TONNE}]",
        "limit": f"limit [{TONNE}]",
        "shadow_price": f"shadow price [{_unit('costs', 'cost', currency)}/{TONNE}]",
        "cost_per_point": f"cost per point [{_unit('costs', 'cost', currency)}]",
    }
    shown = binding[list(columns)].rename(columns=columns).set_index("constraint")
    formats: dict[str, Format] = {
        columns["value"]: tonnes,
        columns["limit"]: tonnes,
        columns["shadow_price"]: price,
        columns["cost_per_point"]: money,
    }
    return [*parts, _table(shown, formats)]


def _frontier_table(frontier: "Frontier") -> list[str]:
    currency = frontier.currency
    formats: dict[str, Format] = {
        "level": cell,
        "total_cost": money,
        "marginal_cost_per_point": money,
    }
    units = {"total_cost": currency, "marginal_cost_per_point": f"{currency} per 0.01"}
    note = (
        f"marginal cost per point [{_e(currency)}]: from this level to the next, per 0.01 of "
        "the level."
    )
    table = frontier.table
    if frontier.tolerance is not None:  # a MILP's step curve: no slope, levels told apart
        table = table.drop(columns="marginal_cost_per_point")
        formats |= {"level": step_level(frontier.tolerance), "jump": money, "best_bound": money}
        units |= {"jump": currency, "best_bound": currency}
        note = (
            "a MILP: a step curve, each row solved, no cost claimed between rows; a "
            "breakpoint is where the integer decisions change, and its jump the cost's step."
        )
    return [
        '<h2 id="frontier">Cost of security</h2>',
        f'<p class="note">Least total cost [{_e(currency)}] at each level of the rule, from '
        f"the loosest to the tightest; {note}</p>",
        _table(*_readable(table, formats, units), index=False),
    ]


def _sensitivity(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    parts = ['<h2 id="sensitivity">Sensitivity</h2>']
    for name, frame in tables.items():
        index = not isinstance(frame.index, pd.RangeIndex)
        shown, formats = _readable(frame, {}, frame.attrs.get("units", {}))
        parts += [f"<h3>{_e(name)}</h3>", _table(shown, formats, index=index)]
    return parts


def _readable(
    frame: pd.DataFrame, formats: Mapping[str, Format], units: Mapping[str, str]
) -> tuple[pd.DataFrame, dict[str, Format]]:
    """``frame`` with headers for reading, words and the unit (``units``: column -> unit),
    ``allowable_increase`` -> ``allowable increase [t REO]``, and ``formats`` by those headers."""
    headers = {str(c): with_unit(heading(str(c)), units.get(str(c))) for c in frame.columns}
    renamed = frame.rename(columns=headers)
    return renamed, {headers[column]: fmt for column, fmt in formats.items() if column in headers}


def _table(
    frame: pd.DataFrame,
    fmt: Format | Mapping[str, Format],
    *,
    index: bool = True,
    empty: str | None = None,
) -> str:
    """An HTML table: the index levels as row headers (when ``index``), numbers right-aligned,
    every cell escaped; ``fmt`` formats numbers (one function, or one per column, :func:`cell`
    for the others). ``empty``, when given, stands in for a table without rows."""
    if frame.empty and empty is not None:
        return empty
    header = _header(frame, index)
    formats = [fmt if callable(fmt) else fmt.get(str(column), cell) for column in frame.columns]
    rows = [
        f"<tr>{_row_headers(key) if index else ''}{_cells(values, formats)}</tr>"
        for key, values in zip(frame.index, _rows(frame), strict=True)
    ]
    return (
        f'<div class="wide"><table>\n<thead><tr>{header}</tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody>\n</table></div>"
    )


def _header(frame: pd.DataFrame, index: bool) -> str:
    """The column headers: the index levels' names (when ``index``), then the columns."""
    names = [str(n) if n is not None else "" for n in frame.index.names] if index else []
    return "".join(f'<th scope="col">{_e(str(c))}</th>' for c in [*names, *frame.columns])


def _rows(frame: pd.DataFrame) -> Sequence[Sequence[Any]]:
    """The values of each row as Python scalars. A numbers-only frame is read in one array: a
    wide one (a column per period of 10,000) would otherwise be read one column at a time."""
    if all(pd.api.types.is_numeric_dtype(dtype) for dtype in frame.dtypes):
        rows: list[list[Any]] = frame.to_numpy(dtype=object).tolist()
        return rows
    return list(frame.itertuples(index=False))


def _row_headers(key: Any) -> str:
    """The row's index value(s) as row headers."""
    keys = key if isinstance(key, tuple) else (key,)
    return "".join(f'<th scope="row">{_e(_plain(k))}</th>' for k in keys)


def _cells(values: Sequence[Any], formats: Sequence[Format]) -> str:
    """The row's cells: numbers formatted and right-aligned, anything else as text."""
    return "".join(_cell(value, fmt) for value, fmt in zip(values, formats, strict=True))


def _cell(value: Any, fmt: Format) -> str:
    if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
        return f'<td class="n">{_e(_number(value, fmt))}</td>'
    return f"<td>{_e(_plain(value))}</td>"


def _number(value: Any, fmt: Format) -> str:
    """``fmt(value)``, but "-" for a missing number (NaN) and a word for an infinity."""
    if math.isnan(value):
        return "-"
    return infinite(value) if math.isinf(value) else fmt(value)


def _plain(value: Any) -> str:
    """A non-numeric cell: "" for a missing value, yes or no for a flag, the text otherwise."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return yes_no(bool(value))
    return str(value)


def _e(text: str) -> str:
    return escape(text, quote=True)


def _unit(table: str, column: str, currency: str) -> str:
    """The unit of a column of the results (:data:`optiree.results.COLUMN_UNITS`)."""
    return COLUMN_UNITS[table][column].format(currency=currency)
