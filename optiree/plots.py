"""Result -> figures: the sourcing mix, the stock trajectory, the cost breakdown, the share of
each country at each stage (a problem with stages) and the cost-vs-security frontier, each a
:class:`matplotlib.figure.Figure`.

matplotlib is optional (``pip install 'optiree[plot]'``). It is imported when a figure is made,
so ``import optiree.plots`` always works; without matplotlib the first figure asked for raises
:class:`MissingDependencyError`. Figures are made without pyplot (no global state: safe in
threads and without a display) and carry an Agg canvas, so ``fig.savefig("mix.png")`` works
anywhere.

Quantities are tonnes [t] per period; money is in the result's (or the frontier's) currency.

Big plans are drawn in a bounded number of artists, so that a figure of 10,000 sources or
10,000 periods takes about as long as one of ten:

- **at most** :data:`MAX_SERIES` **series**: past that many sources that buy anything, the
  sourcing mix draws the :data:`MAX_SERIES` sources with the most tonnes (over all materials
  and periods) and one grey series, ``other (N sources)``, that holds the sum of the rest; past
  that many rows of ``result.costs``, the cost breakdown keeps the :data:`MAX_SERIES` largest
  amounts and, per component, one ``other (N items)`` bar that sums the rest of it;
- **at most** :data:`MAX_BINS` **periods**: past that many, consecutive periods are grouped
  into bins of ``ceil(periods / MAX_BINS)`` periods (the last bin may be shorter), each
  labelled ``first..last``. Purchases and demand are summed over the bin; the closing stock
  and its requirement are those of the bin's last period (stock at the end of the bin).

Below these limits every figure is drawn as before, to the byte. Totals are kept: the bars of
a period (or bin) sum to the tonnes bought in it, and the cost bars to the total cost.
"""

import io
import itertools
import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from optiree import arguments
from optiree.errors import MissingDependencyError, PlotError
from optiree.files import write_files
from optiree.frontier import COLUMNS as FRONTIER
from optiree.rules import CATALOGUE, FRONTIER_RULES, Rule
from optiree.words import (
    DEMAND_MET,
    FROM_STOCK,
    SHORT,
    STAGE_AXIS,
    STAGE_NOTHING,
    STAGE_SHARES_TITLE,
    SUBSTITUTED,
    money,
    stage_segment,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from optiree.results import Result
    from optiree.schema import Problem

NEEDS_MATPLOTLIB = "figures need matplotlib: pip install 'optiree[plot]'"
FIGURES = ("sourcing_mix.png", "stock_trajectory.png", "cost_breakdown.png")
"""The files :func:`write_figures` writes."""
STAGE_FIGURE = "stage_shares.png"
"""The file of :func:`stage_shares`, written after :data:`FIGURES` for a problem with stages
only."""
SEGMENT_LABEL = 4.0
"""Narrowest bar segment of :func:`stage_shares` labelled with its country and share [%] (and
only where the label fits inside); the legend tells the narrower ones."""
SHARE_RULES = tuple(rule.value for rule in FRONTIER_RULES if CATALOGUE[rule].in_percent)
"""Rules whose level is a share in [0, 1], shown as a percentage."""
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
"""Tableau 10: one colour per source (or cost component), repeated past ten."""
COMPONENT_COLOURS = {
    "purchases": "#4e79a7",
    "substitution": "#59a14f",
    "holding": "#edc948",
    "shortage": "#e15759",
}
OTHER_COLOUR = "#7f7f7f"
"""The colour of the series that sums the sources (or cost items) not drawn one by one."""
MAX_SERIES = 20
"""Sources (or cost items) drawn one by one; the rest are summed into one "other" series."""
MAX_BINS = 200
"""Periods drawn one by one; past this many, consecutive periods are binned."""
MAX_TICK_LABELS = 50
"""Period tick labels shown; past this many, every k-th is labelled."""
REQUIREMENT_LABEL = "stock-cover requirement (cover \N{MULTIPLICATION SIGN} demand)"
NOT_BOUGHT: dict[str, dict[str, Any]] = {
    FROM_STOCK: {"facecolor": "#d9d9d9", "edgecolor": "#525252", "hatch": "//", "linewidth": 0},
    SUBSTITUTED: {"facecolor": "#e5f5e0", "edgecolor": "#238b45", "hatch": "xx", "linewidth": 0},
    SHORT: {"facecolor": "#fde0dd", "edgecolor": "#b00020", "hatch": "\\\\", "linewidth": 0},
}
"""How the demand that was not met by a purchase of the period is drawn in the stack (see
:func:`_stack_demand`): hatched, so that it never reads as a source. The inventory columns
behind each: :func:`_not_bought`."""


def sourcing_mix(result: "Result") -> "Figure":
    """How demand was met [t per period], one panel per material, stacked: the tonnes bought
    from each source, then what came from stock, what was substituted and what was short.

    The first bars are ``result.supply.tonnes`` [t] of each source in the period (bought
    separately and from its feeds); a source has the same colour in every panel, and sources
    that buy none of a material are left out of its panel. Above them, hatched, come the
    demand met from stock (the demand that the period's purchases, substitution and shortage
    leave), the tonnes saved by substitutes (``result.inventory.substituted``) and the
    tonnes short (``result.inventory.shortage``). A black tick marks each period's demand
    [t]: the stack reaches it, and what lies above it was bought into stock (or sold).
    """
    _require_plan(result)
    periods, materials = _periods(result), _materials(result)
    bins = _bins(periods)
    shown = list(dict.fromkeys(bins.values()))
    purchases = result.supply
    series = _series(purchases.groupby("source", sort=False)["tonnes"].sum(), "sources")
    other = _other(series)
    colours = _colours([s for s in dict.fromkeys(series.values()) if s != other])
    if other:
        colours[other] = OTHER_COLOUR
    owners = purchases[["source", "country"]].drop_duplicates()
    labels = {s: f"{s} ({c})" for s, c in owners.itertuples(index=False)}
    labels[other] = other
    drawn = purchases.assign(
        source=purchases["source"].map(series), period=purchases["period"].map(bins)
    )
    demand = _by_material(result.inventory, "demand", bins)
    not_bought = _not_bought(result.inventory, bins)
    # Tall enough for the legend: a line per series and one for demand [inches].
    legend = 1.0 + 0.22 * (len(colours) + 1 + len(NOT_BOUGHT))
    figure = _new_figure(10.0, max(1.4 + 2.3 * len(materials), legend))
    panels = _panels(figure, len(materials))
    x = np.arange(len(shown))
    for ax, material in zip(panels, materials, strict=True):
        tonnes = _pivot(drawn[drawn["material"] == material], "source", shown)
        tonnes = tonnes.sort_index(key=lambda names: names == other, kind="stable")
        sources = [
            (labels[str(source)], heights.to_numpy(dtype=float), {"color": colours[str(source)]})
            for source, heights in tonnes.iterrows()
        ]
        ways = {name: not_bought[name][material].to_numpy(dtype=float) for name in NOT_BOUGHT}
        _stack_demand(ax, sources, ways)
        ax.hlines(demand[material], x - 0.42, x + 0.42, colors="black", linewidth=1.6)
        ax.plot([], [], color="black", linewidth=1.6, label="demand")
        if not any(values.any() for _, values, _ in sources):
            _note(ax, f"no {material} is bought")
        ax.set_title(_text(material), loc="left", fontsize=10, fontweight="bold")
        ax.set_ylabel("Tonnes [t]")
        _period_axis(ax, shown, binned=len(shown) < len(periods))
    panels[-1].set_xlabel(_period_label("Period", periods, shown, "summed"))
    _left_title(figure, f"{DEMAND_MET} [t per period]: {result.problem_name}")
    _figure_legend(figure, panels, "Met by", last=[*NOT_BOUGHT, "demand"])
    return figure


def stock_trajectory(result: "Result", problem: "Problem") -> "Figure":
    """Closing stock [t] per material and period, with the stock-cover requirement.

    The requirement, cover x demand [t] (``security.min_stock_cover``, or
    ``min_stock_days`` / ``period_days``), is a step line over the periods where a rule applies
    (the limits of the ``stock_cover`` rows), so a closing stock on the line is a rule that
    binds.
    """
    _require_plan(result)
    periods, materials = _periods(result), _materials(result)
    if set(materials) != set(problem.material_ids):
        raise PlotError(
            f"the result (materials {', '.join(materials)}) is not of the problem "
            f"{problem.name!r} (materials {', '.join(problem.material_ids)}): pass the problem "
            "that was solved"
        )
    bins = _bins(periods)
    shown = list(dict.fromkeys(bins.values()))
    closing = _at_bin_ends(_by_material(result.inventory, "closing", _bins(periods, 0)), bins)
    figure = _new_figure(10.0, 1.4 + 2.1 * len(materials))
    panels = _panels(figure, len(materials))
    for ax, material in zip(panels, materials, strict=True):
        required = _at_bin_ends(_cover_requirement(result, material), bins)
        _stock_panel(ax, material, closing[material], required)
        _period_axis(ax, shown, binned=len(shown) < len(periods))
    panels[-1].set_xlabel(
        _period_label("Period (stock at its end)", periods, shown, "each at its end")
    )
    figure.suptitle(_text(f"Closing stock [t]: {result.problem_name}"))
    _figure_legend(figure, panels, None, loc="outside lower center")
    return figure


def _stack_demand(
    ax: "Axes",
    sources: list[tuple[str, NDArray[np.float64], dict[str, Any]]],
    ways: dict[str, NDArray[np.float64]],
) -> None:
    """One material's stack [t per period]: what substitutes saved, the tonnes bought from each
    source (label, tonnes, style), what came from stock, what was short; a series of zeros is
    left out. Purchases come above what substitutes saved, so that what lies above the demand
    tick is always tonnes bought (into stock, or sold)."""
    series = [
        (SUBSTITUTED, ways[SUBSTITUTED], NOT_BOUGHT[SUBSTITUTED]),
        *sources,
        *((name, ways[name], NOT_BOUGHT[name]) for name in (FROM_STOCK, SHORT)),
    ]
    bottom = np.zeros(len(ways[SHORT]))
    for label, values, style in series:
        if values.sum() > 0:
            _stack(ax, values, bottom, label=label, **style)
            bottom += values


NOISE = 1e-9
"""Tonnes per tonne of demand below which demand left by the purchases is float noise, not
stock drawn."""


def _not_bought(inventory: pd.DataFrame, bins: dict[str, str]) -> dict[str, pd.DataFrame]:
    """The demand not met by the period's purchases [t], by way (:data:`NOT_BOUGHT`), each
    with one column per material, summed over the periods of each bin. From stock: the demand
    that purchases, substitution and shortage leave (``opening - closing - sold`` where the
    stock falls), from the balance ``opening + purchased + substituted + shortage = demand +
    sold + closing``."""
    met = inventory["purchased"] + inventory["substituted"] + inventory["shortage"]
    left = inventory["demand"] - met
    noise = NOISE * inventory["demand"].abs().clip(lower=1.0)  # float noise is no draw
    ways = inventory.assign(
        **{
            FROM_STOCK: left.where(left > noise, 0.0),
            SUBSTITUTED: inventory["substituted"],
            SHORT: inventory["shortage"],
        }
    )
    return {name: _by_material(ways, name, bins) for name in NOT_BOUGHT}


def _stack(
    ax: "Axes",
    values: NDArray[np.float64],
    bottom: NDArray[np.float64],
    *,
    label: str,
    **style: Any,
) -> None:
    """One series of stacked bars [t] on ``bottom``: a bar per period up to
    :data:`MAX_TICK_LABELS` periods; past that, one filled step outline (a single artist, so
    that 200 bins of 21 series draw fast), the bars side by side."""
    x = np.arange(len(values))
    if len(values) <= MAX_TICK_LABELS:
        ax.bar(x, values, 0.7, bottom=bottom, label=label, **style)
    else:
        edges = np.append(x, len(values)) - 0.5
        ax.stairs(bottom + values, edges, baseline=bottom.copy(), fill=True, label=label, **style)


def _stock_panel(
    ax: "Axes", material: str, closing: "pd.Series[float]", required: "pd.Series[float]"
) -> None:
    """One material's closing stock [t] by period, with its requirement where a rule applies."""
    x = np.arange(len(closing))
    # The stock drawn over a wide pale requirement, so that a stock on its requirement (a rule
    # that binds) shows both: the line on the band.
    ax.plot(x, closing, marker="o", color=PALETTE[0], label="closing stock", zorder=3)
    if required.notna().any():
        values = required.to_numpy(dtype=float)
        ax.step(
            np.arange(len(closing) + 1) - 0.5,
            np.append(values, values[-1]),
            where="post",
            color="#e15759",
            alpha=0.45,
            linewidth=7,
            solid_capstyle="butt",
            label=REQUIREMENT_LABEL,
            zorder=2,
        )
    if not closing.any():
        _note(ax, f"no {material} in stock at the end of any period")
    ax.set_ylim(bottom=0, top=None if ax.dataLim.ymax > 0 else 1.0)
    ax.set_title(_text(material), loc="left", fontsize=10, fontweight="bold")
    ax.set_ylabel("Closing stock [t]")


def _cover_requirement(result: "Result", material: str) -> "pd.Series[float]":
    """Cover x demand [t] of ``material`` by period, the limits of its ``stock_cover`` rows
    (from ``min_stock_cover`` or ``min_stock_days``); NaN where no rule applies."""
    rows = result.constraints
    rows = rows[(rows["rule"] == "stock_cover") & (rows["material"] == material)]
    limits = dict(zip(rows["period"], rows["limit"], strict=True))
    periods = result.inventory.loc[result.inventory["material"] == material, "period"]
    return pd.Series({t: limits.get(t, math.nan) for t in periods}, dtype=float, name="required")


def cost_breakdown(result: "Result") -> "Figure":
    """Total cost [currency] by component and item (the rows of ``result.costs``), as
    horizontal bars coloured by component, each labelled with its amount."""
    _require_plan(result)
    total = float(result.costs["cost"].sum())
    costs = _cost_rows(result.costs)
    currency = result.currency
    scale, unit = _money_scale(float(costs["cost"].abs().max()))
    figure = _new_figure(10.0, 1.6 + 0.32 * len(costs))
    ax = figure.subplots()
    y = np.arange(len(costs))
    for component, colour in _component_colours(costs["component"]).items():
        chosen = (costs["component"] == component).to_numpy()
        amounts = costs["cost"].to_numpy(dtype=float)[chosen]
        label = f"{component}: {amounts.sum() / scale:,.1f}"
        bars = ax.barh(y[chosen], amounts, 0.7, color=colour, label=_text(label))
        ax.bar_label(bars, [f"{a / scale:,.1f}" for a in amounts], padding=3, fontsize=8)
    ax.set_yticks(
        y, [_text(f"{c}: {i}") for c, i in zip(costs["component"], costs["item"], strict=True)]
    )
    ax.invert_yaxis()
    ax.margins(x=0.12)
    _money_axis(ax, "x", scale)
    ax.set_xlabel(_text(f"Cost [{unit}{currency}]"))
    figure.legend(title=_text(f"Component [{unit}{currency}]"), loc="outside right upper")
    ax.grid(axis="x", alpha=0.3)
    _left_title(
        figure,
        f"Cost by component and item: {result.problem_name}\nTotal {money(total)} {currency}",
    )
    return figure


def stage_shares(result: "Result") -> "Figure":
    """The share of each country at each stage of the chain, over the horizon [%]: one panel
    per material, one horizontal bar per stage (the first on top), stacked by country.

    A segment is the tonnes [t REO] the country's nodes put out at the stage over all periods
    (``result.stage_shares.tonnes`` summed), as a share of all the stage's tonnes of the
    material (:func:`stage_percent`); a country has one colour in every panel, and segments of
    at least :data:`SEGMENT_LABEL` % carry its name and share.

    Raises:
        optiree.PlotError: the result has no plan, or its problem has no stages.
    """
    _require_plan(result)
    if result.stage_shares.empty:
        raise PlotError(f"{result.problem_name!r} has no stages: no share by stage to draw")
    percent = stage_percent(result.stage_shares)
    materials = list(dict.fromkeys(percent.index.get_level_values("material")))
    stages = list(dict.fromkeys(percent.index.get_level_values("stage")))
    colours = _colours([str(c) for c in percent.columns])
    figure = _new_figure(10.0, 1.2 + len(materials) * (0.7 + 0.45 * len(stages)))
    panels = _panels(figure, len(materials))
    for ax, material in zip(panels, materials, strict=True):
        _stage_bars(ax, percent.loc[material].reindex(stages), colours)
        ax.set_title(_text(material), loc="left", fontsize=10, fontweight="bold")
    panels[-1].set_xlabel(STAGE_AXIS)
    _left_title(figure, f"{STAGE_SHARES_TITLE}: {result.problem_name}")
    _figure_legend(figure, panels, "Country")
    _drop_labels_that_overflow(figure)
    return figure


def _drop_labels_that_overflow(figure: "Figure") -> None:
    """Remove each segment label of :func:`stage_shares` wider than its segment, measured
    once the layout is done (a long country id, a narrow panel)."""
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    for ax in figure.axes:
        for label in list(ax.texts):
            width = getattr(label, "segment_width", None)
            if width is None:
                continue
            x, y = label.get_position()
            ends = ax.transData.transform([(x - width / 2, y), (x + width / 2, y)])
            if label.get_window_extent(renderer).width > ends[1][0] - ends[0][0] - 4:
                label.remove()


def stage_percent(stage_shares: pd.DataFrame) -> pd.DataFrame:
    """The stage figure's bars: each country's tonnes at each stage summed over the periods,
    as a percentage of the stage's tonnes of the material [%] (index material and stage, in
    the table's order; a column per country; NaN where nothing passes the stage)."""
    keys = ["material", "stage", "country"]
    tonnes = stage_shares.groupby(keys, sort=False)["tonnes"].sum().unstack("country")
    totals = tonnes.sum(axis=1)
    return tonnes.div(totals.where(totals > 0), axis=0) * 100


def _stage_bars(ax: "Axes", percent: pd.DataFrame, colours: dict[str, str]) -> None:
    """A panel of :func:`stage_shares`: a bar per stage (row of ``percent``), stacked, the
    countries with nothing at any stage left out."""
    y = np.arange(len(percent))
    widths = percent.fillna(0.0)
    widths = widths.loc[:, widths.sum() > 0]
    lefts = widths.cumsum(axis=1) - widths
    for country in widths.columns:
        ax.barh(
            y,
            widths[country].to_numpy(dtype=float),
            left=lefts[country].to_numpy(dtype=float),
            color=colours[str(country)],
            label=str(country),
        )
    _segment_labels(ax, widths, lefts)
    for row in np.flatnonzero(percent.isna().all(axis=1).to_numpy()):
        ax.text(50, y[row], STAGE_NOTHING, ha="center", va="center", color="0.4")
    ax.set_yticks(y, [_text(str(stage)) for stage in percent.index])
    ax.set_ylim(len(percent) - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.grid(axis="x", alpha=0.3)


def _segment_labels(ax: "Axes", widths: pd.DataFrame, lefts: pd.DataFrame) -> None:
    """The country and share in each segment of at least :data:`SEGMENT_LABEL` %, each
    knowing its segment's width (see :func:`_drop_labels_that_overflow`)."""
    values, starts = widths.to_numpy(dtype=float), lefts.to_numpy(dtype=float)
    countries = [str(country) for country in widths.columns]
    rows, columns = np.nonzero(values >= SEGMENT_LABEL)
    for row, column in zip(rows.tolist(), columns.tolist(), strict=True):
        width = float(values[row, column])
        label = ax.text(
            float(starts[row, column]) + width / 2,
            row,
            _text(stage_segment(countries[column], width)),
            ha="center",
            va="center",
            fontsize=8,
            color="white",
        )
        label.segment_width = width  # type: ignore[attr-defined]


def frontier_curve(frontier: pd.DataFrame, currency: str = "") -> "Figure":
    """Total cost [currency] against the level of a security rule, one panel per rule and
    subject.

    ``frontier`` has the columns of :data:`FRONTIER`, rows from the loosest level to
    the tightest (a :attr:`optiree.frontier.Frontier.table`), costs in ``currency``. Shares
    (``max_share``, ``cover_without``) are shown in %, a stock cover as a multiple of a
    period's demand; the axis runs from loose to tight. Breakpoints (where the slope changes)
    are ringed; each linear piece between them is labelled with its marginal cost per point
    (0.01 of the level): the piece's ``marginal_cost_per_point``, or its range where the cost
    is not linear between breakpoints; a piece narrower than 2% of the axis is not labelled.
    Levels without an optimal plan are marked with a cross on the axis.
    """
    missing = [c for c in FRONTIER if c not in frontier.columns]
    if missing:
        raise PlotError(
            f"the frontier table lacks the column(s) {', '.join(missing)}; found: "
            f"{', '.join(map(str, frontier.columns)) or 'none'}"
        )
    if frontier.empty:
        raise PlotError("the frontier table has no rows: nothing to draw")
    groups = list(frontier.groupby(["rule", "subject"], sort=False, dropna=False))
    figure = _new_figure(9.0, 1.0 + 4.0 * len(groups))
    panels = _panels(figure, len(groups), sharex=False)
    pieces = [
        _frontier_panel(ax, str(rule), str(subject), rows, currency)
        for ax, ((rule, subject), rows) in zip(panels, groups, strict=True)
    ]
    figure.suptitle("Cost of security: total cost as a rule is tightened")
    figure.draw_without_rendering()  # the layout, final before the labels are placed in it
    for ax, labels in zip(panels, pieces, strict=True):
        _place_labels(ax, labels)
    return figure


def _frontier_panel(
    ax: "Axes", rule: str, subject: str, rows: pd.DataFrame, cur: str
) -> list[tuple[str, float, float, float]]:
    """Draw one rule's frontier; return its pieces' labels (see :func:`_piece_labels`)."""
    percent = rule in SHARE_RULES
    x_all = rows["level"].to_numpy(dtype=float) * (100.0 if percent else 1.0)
    optimal = (rows["status"].astype(str) == "optimal").to_numpy() & np.isfinite(
        rows["total_cost"].to_numpy(dtype=float)
    )
    x = x_all[optimal]
    cost = rows["total_cost"].to_numpy(dtype=float)[optimal]
    marginal = rows["marginal_cost_per_point"].to_numpy(dtype=float)[optimal]
    kink = rows["breakpoint"].to_numpy(dtype=bool)[optimal]
    scale, unit = _money_scale(float(np.abs(cost).max()) if len(cost) else 1.0)
    steps = "jump" in rows.columns  # a MILP's: the solved levels, no line claimed between
    _frontier_costs(ax, x, cost, kink, steps=steps)
    ax.plot(
        x[kink],
        cost[kink],
        linestyle="none",
        marker="o",
        markersize=9,
        markerfacecolor="none",
        markeredgecolor="#e15759",
        markeredgewidth=1.5,
        label="breakpoint (integer decisions change)" if steps else "breakpoint (slope changes)",
    )
    per = cur if rule in FRONTIER_RULES and CATALOGUE[Rule(rule)].in_money else "point"
    labels = [] if steps else _piece_labels(x, cost, marginal, kink, currency=cur, per=per)
    if not optimal.all():
        ax.plot(
            x_all[~optimal],
            np.full((~optimal).sum(), 0.03),
            linestyle="none",
            marker="x",
            color="0.4",
            transform=ax.get_xaxis_transform(),
            label="no optimal plan",
        )
    if rule in FRONTIER_RULES and CATALOGUE[Rule(rule)].loosens > 0:
        ax.invert_xaxis()  # tighter to the right: a largest share tightens as it falls
    ax.margins(y=0.1)
    ax.set_xlabel(_text(_level_label(rule, subject)))
    ax.set_ylabel(_text(f"Total cost [{unit}{cur}]"))
    _money_axis(ax, "y", scale)
    ax.set_title(_text(f"{rule} {subject}"), loc="left", fontsize=10, fontweight="bold")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    return labels


def _frontier_costs(
    ax: "Axes",
    x: NDArray[np.float64],
    cost: NDArray[np.float64],
    kink: NDArray[np.bool_],
    *,
    steps: bool,
) -> None:
    """The least cost at each level: a line through the points (an LP's curve, straight or
    traced between them), or, for a MILP's step curve (``steps``), the solved points alone,
    each jump drawn dotted between the two levels a tolerance apart that bracket it."""
    if not steps:
        ax.plot(x, cost, marker="o", markersize=3, color=PALETTE[0], label="least total cost")
        return
    ax.plot(
        x,
        cost,
        linestyle="none",
        marker="o",
        markersize=4,
        color=PALETTE[0],
        label="least total cost (solved levels only)",
    )
    for number, i in enumerate(np.flatnonzero(kink[1:]) + 1):
        ax.plot(
            x[i - 1 : i + 1],
            cost[i - 1 : i + 1],
            linestyle=":",
            color=PALETTE[0],
            label="jump (integer decisions change)" if number == 0 else None,
        )


def _piece_labels(
    x: NDArray[np.float64],
    cost: NDArray[np.float64],
    marginal: NDArray[np.float64],
    kink: NDArray[np.bool_],
    *,
    currency: str,
    per: str = "point",
) -> list[tuple[str, float, float, float]]:
    """The label of each linear piece between breakpoints (``kink``): its marginal cost per
    point [``currency``] (per unit of money, with cents, where ``per`` is the currency: a
    budget), or its range where the cost is not linear, with the middle of the
    piece (x, cost) and its width; a piece narrower than 2% of the axis gets none. Widest
    first: the order :func:`_place_labels` places them in."""
    labels = []
    starts = sorted({0, *np.flatnonzero(kink).tolist()})
    ends = [*starts[1:], len(x) - 1]
    span = float(np.ptp(x)) if len(x) else 0.0
    for start, end in zip(starts, ends, strict=True):
        steps = marginal[start:end][np.isfinite(marginal[start:end])]
        # A piece too narrow to see keeps its rings but gets no label to crowd its neighbours.
        if not len(steps) or abs(x[end] - x[start]) < 0.02 * span:
            continue
        low, high = float(steps.min()), float(steps.max())
        cents = per != "point"
        same = math.isclose(low, high, rel_tol=1e-6, abs_tol=0.005 if cents else 0.5)
        low_text, high_text = money(low, cents=cents), money(high, cents=cents)
        per_point = low_text if same else f"{low_text} to {high_text}"
        middle = ((x[start] + x[end]) / 2, (cost[start] + cost[end]) / 2)
        labels.append((f"{per_point} {currency}/{per}", *middle, abs(x[end] - x[start])))
    return sorted(labels, key=lambda label: -label[3])


OFFSETS = [
    (distance * dx, distance * dy)
    for distance in (8, 18, 30, 44)
    for dx, dy in ((1, -1), (-1, 1), (1, 1), (-1, -1), (0, -1.4), (0, 1.4), (1.4, 0), (-1.4, 0))
]
"""Where a frontier label may go, in points from the middle of its piece: nearest first."""
CLEARANCE = 3.0
"""Pixels kept free around a label: from the axes' edges, markers, the curve and the others."""


def _place_labels(ax: "Axes", labels: list[tuple[str, float, float, float]]) -> None:
    """Put each label at the nearest of :data:`OFFSETS` where it stays inside the axes and
    covers no marker, no point of a line, the legend or a label placed before it; a label
    with no such place is left out (the rings still show its piece)."""
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    inside = ax.get_window_extent(renderer).padded(-CLEARANCE)
    points, radii = _obstacles(ax)
    legend = ax.get_legend()
    taken = [] if legend is None else [legend.get_window_extent(renderer)]
    for text, x, y, _ in labels:
        note = ax.annotate(
            _text(text),
            (x, y),
            xytext=OFFSETS[0],
            textcoords="offset points",
            fontsize=8,
            in_layout=False,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "linewidth": 0.5},
        )
        for dx, dy in OFFSETS:
            note.set(
                position=(dx, dy),
                ha="left" if dx > 0 else "right" if dx < 0 else "center",
                va="bottom" if dy > 0 else "top" if dy < 0 else "center",
            )
            box = note.get_window_extent(renderer).padded(CLEARANCE)
            if _fits(box, inside, taken, points, radii):
                taken.append(box)
                break
        else:
            note.remove()


def _obstacles(ax: "Axes") -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """What a label must not cover, in pixels: every marker of the axes' lines (its centre
    and radius) and points along each line, a pixel apart."""
    points, radii = [np.empty((0, 2))], [np.empty(0)]
    scale = ax.figure.dpi / 72.0
    for line in ax.get_lines():
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
        xy = xy[np.isfinite(xy).all(axis=1)]
        if line.get_marker() not in ("None", None, "", " "):
            points.append(xy)
            radii.append(np.full(len(xy), line.get_markersize() * scale / 2 + 1.0))
        if line.get_linestyle() not in ("None", "", " ") and len(xy) > 1:
            along = _along(xy)
            points.append(along)
            radii.append(np.full(len(along), line.get_linewidth() * scale / 2))
    return np.concatenate(points), np.concatenate(radii)


def _along(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Points along a polyline [pixels], about a pixel apart."""
    parts = [xy[:1]]
    for a, b in itertools.pairwise(xy):
        steps = max(1, int(np.hypot(*(b - a))))
        parts.append(a + np.outer(np.arange(1, steps + 1) / steps, b - a))
    return np.concatenate(parts)


def _fits(
    box: Any,
    inside: Any,
    taken: list[Any],
    points: NDArray[np.float64],
    radii: NDArray[np.float64],
) -> bool:
    """``box`` lies inside ``inside`` and overlaps no box ``taken`` and no point (a disc)."""
    if not (inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0):
        return False
    if box.y1 > inside.y1 or any(box.overlaps(other) for other in taken):
        return False
    near = (
        (points[:, 0] + radii > box.x0)
        & (points[:, 0] - radii < box.x1)
        & (points[:, 1] + radii > box.y0)
        & (points[:, 1] - radii < box.y1)
    )
    return not near.any()


def _level_label(rule: str, subject: str) -> str:
    axis = CATALOGUE[Rule(rule)].frontier_axis if rule in FRONTIER_RULES else None
    label = f"Level of {rule} {subject}" if axis is None else axis.format(subject=subject)
    return label + "  (tighter →)"


def require_matplotlib() -> None:
    """Raise :class:`MissingDependencyError` (naming the pip command) when matplotlib is not
    installed: a command checks it before its work, not after."""
    _new_figure(1, 1)


def _new_figure(width: float, height: float) -> "Figure":
    """A pyplot-free figure with an Agg canvas [inches]."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
        from matplotlib.figure import Figure  # noqa: PLC0415
    except ImportError as error:
        raise MissingDependencyError(NEEDS_MATPLOTLIB) from error
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _panels(figure: "Figure", count: int, *, sharex: bool = True) -> list["Axes"]:
    grid = figure.subplots(count, 1, sharex=sharex, squeeze=False)
    return [ax for (ax,) in grid]


def _require_plan(result: "Result") -> None:
    if not result.is_optimal:
        raise PlotError(
            f"{result.problem_name!r} has no plan to draw: it is {result.status.value} "
            f"({result.message})"
        )


def _periods(result: "Result") -> list[str]:
    return [str(t) for t in dict.fromkeys(result.inventory["period"])]


def _materials(result: "Result") -> list[str]:
    return [str(m) for m in dict.fromkeys(result.inventory["material"])]


def _pivot(rows: pd.DataFrame, index: str, periods: Sequence[str]) -> pd.DataFrame:
    """Tonnes by ``index`` (rows) and period (columns, in order); 0 where there is no row."""
    table = rows.pivot_table(
        index=index, columns="period", values="tonnes", aggfunc="sum", sort=False
    )
    return table.reindex(columns=list(periods)).fillna(0.0)


def _by_material(inventory: pd.DataFrame, column: str, bins: dict[str, str]) -> pd.DataFrame:
    """``inventory[column]`` with one column per material, indexed by bin (see :func:`_bins`),
    summed over the periods of each bin."""
    binned = inventory.assign(period=inventory["period"].map(bins))
    table = binned.pivot_table(
        index="period", columns="material", values=column, aggfunc="sum", sort=False
    )
    return table.reindex(list(dict.fromkeys(bins.values())))


def _bins(periods: Sequence[str], limit: int = MAX_BINS) -> dict[str, str]:
    """Each period -> the label of its bin: the period itself when there are no more than
    ``limit`` (or ``limit`` is 0); else runs of ``ceil(len(periods) / limit)`` consecutive
    periods, each labelled ``first..last``."""
    size = math.ceil(len(periods) / limit) if limit else 1
    if size <= 1:
        return {str(t): str(t) for t in periods}
    bins: dict[str, str] = {}
    for start in range(0, len(periods), size):
        run = [str(t) for t in periods[start : start + size]]
        bins.update(dict.fromkeys(run, f"{run[0]}..{run[-1]}" if len(run) > 1 else run[0]))
    return bins


def _at_bin_ends(values: Any, bins: dict[str, str]) -> Any:
    """``values`` (indexed by period) at the last period of each bin, indexed by bin."""
    ends = {label: period for period, label in bins.items()}
    return values.reindex(list(ends.values())).set_axis(list(ends))


def _period_label(text: str, periods: Sequence[str], shown: Sequence[str], how: str) -> str:
    """The period axis label, saying how periods were binned (``how``) when they were."""
    if len(shown) == len(periods):
        return text
    size = math.ceil(len(periods) / MAX_BINS)
    return f"{text}: {len(periods):,} periods in {len(shown)} bins of up to {size}, {how}"


def _series(totals: "pd.Series[float]", what: str, limit: int = MAX_SERIES) -> dict[str, str]:
    """Each name of ``totals`` -> the series it is drawn in: itself, or past ``limit`` names
    with a positive total, itself for the ``limit`` largest and ``other (N what)`` else."""
    buying = totals[totals > 0]
    if len(buying) <= limit:
        return {str(name): str(name) for name in totals.index}
    kept = set(buying.sort_values(ascending=False, kind="stable").index[:limit])
    other = f"other ({len(buying) - limit:,} {what})"
    return {str(name): str(name) if name in kept else other for name in totals.index}


def _other(series: dict[str, str]) -> str:
    """The name of the "other" series of :func:`_series` (one no name has, if none)."""
    others = {drawn for name, drawn in series.items() if drawn != name}
    return others.pop() if others else ""


def _cost_rows(costs: pd.DataFrame, limit: int = MAX_SERIES) -> pd.DataFrame:
    """The rows of ``costs`` drawn: all up to ``limit``; past it the ``limit`` largest amounts
    and, per component, one ``other (N items)`` row that sums the rest of it."""
    if len(costs) <= limit:
        return costs
    largest = costs["cost"].abs().sort_values(ascending=False, kind="stable").index[:limit]
    kept = pd.Series(costs.index.isin(largest), index=costs.index)
    parts = []
    for component, rows in costs.groupby("component", sort=False):
        mine = kept[rows.index]
        parts.append(rows[mine])
        rest = rows.loc[~mine, "cost"]
        if len(rest) == 1:
            parts.append(rows[~mine])
        elif len(rest):
            item = f"other ({len(rest):,} items)"
            parts.append(
                pd.DataFrame({"component": [component], "item": [item], "cost": [rest.sum()]})
            )
    return pd.concat(parts, ignore_index=True)[["component", "item", "cost"]]


def _colours(names: Sequence[str]) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def _component_colours(components: "pd.Series[Any]") -> dict[str, str]:
    names = [str(c) for c in dict.fromkeys(components)]
    extra = iter(c for c in PALETTE if c not in COMPONENT_COLOURS.values())
    return {name: COMPONENT_COLOURS.get(name) or next(extra, PALETTE[-1]) for name in names}


def _period_axis(ax: "Axes", periods: Sequence[str], *, binned: bool = False) -> None:
    """Ticks for ``periods`` (or bins), at most :data:`MAX_TICK_LABELS` labelled (half as many
    of the longer ``first..last`` labels of bins)."""
    crowded = len(periods) > 12
    step = math.ceil(len(periods) / (MAX_TICK_LABELS // 2 if binned else MAX_TICK_LABELS))
    ax.set_xticks(
        range(0, len(periods), step),
        [_text(t) for t in periods[::step]],
        rotation=45 if crowded else 0,
        ha="right" if crowded else "center",
    )
    ax.set_xlim(-0.6, len(periods) - 0.4)
    ax.grid(axis="y", alpha=0.3)
    _thousands(ax, "y")


def _figure_legend(
    figure: "Figure",
    panels: Sequence["Axes"],
    title: str | None,
    loc: Literal["outside right upper", "outside lower center"] = "outside right upper",
    *,
    last: Sequence[str] = (),
) -> None:
    """One legend for the figure: every label of every panel, once, those named in ``last``
    at the end in that order."""
    seen: dict[str, Any] = {}
    for ax in panels:
        handles, labels = ax.get_legend_handles_labels()
        for handle, label in zip(handles, labels, strict=True):
            seen.setdefault(label, handle)
    for label in last:
        if label in seen:
            seen[label] = seen.pop(label)
    if seen:
        labels = [_text(label) for label in seen]
        columns = len(labels) if loc.endswith("center") else 1
        figure.legend(list(seen.values()), labels, loc=loc, title=title, ncols=columns)


TITLE_WIDTH = 70
"""Characters of a title's line: a longer problem name wraps, and the title, set from the
left edge, stops short of a legend at the upper right."""


def _left_title(figure: "Figure", text: str) -> None:
    """The figure's title from its left edge, lines wrapped at :data:`TITLE_WIDTH`."""
    lines = [textwrap.fill(line, TITLE_WIDTH) for line in text.splitlines()]
    figure.suptitle(_text("\n".join(lines)), x=0.01, ha="left")


def _note(ax: "Axes", text: str) -> None:
    ax.text(0.5, 0.5, _text(text), transform=ax.transAxes, ha="center", va="center", color="0.4")


def _money_scale(largest: float) -> tuple[float, str]:
    """Divisor and prefix that keep money ticks short: (1e6, "million ")."""
    for divisor, prefix in ((1e9, "billion "), (1e6, "million "), (1e3, "thousand ")):
        if largest >= 10 * divisor:
            return divisor, prefix
    return 1.0, ""


def _money_axis(ax: "Axes", which: str, scale: float) -> None:
    from matplotlib.ticker import FuncFormatter  # noqa: PLC0415

    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value / scale:,.10g}"))


def _thousands(ax: "Axes", which: str) -> None:
    from matplotlib.ticker import StrMethodFormatter  # noqa: PLC0415

    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_formatter(StrMethodFormatter("{x:,.10g}"))


def _text(text: str) -> str:
    """User text shown verbatim: a ``$`` would otherwise start matplotlib mathtext."""
    return text.replace("$", r"\$")


def png(figure: "Figure") -> bytes:
    """The figure as PNG bytes at 96 dpi, without metadata: the same figure gives the same
    bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96, metadata={"Software": None})
    return buffer.getvalue()


def figure_files(result: "Result", problem: "Problem") -> dict[str, bytes]:
    """:data:`FIGURES` of an optimal result as PNG files, by name (nothing written), and
    :data:`STAGE_FIGURE` where its problem has stages."""
    figures = [sourcing_mix(result), stock_trajectory(result, problem), cost_breakdown(result)]
    files = {name: png(figure) for name, figure in zip(FIGURES, figures, strict=True)}
    if not result.stage_shares.empty:
        files[STAGE_FIGURE] = png(stage_shares(result))
    return files


def write_figures(
    result: "Result", problem: "Problem", directory: str | Path, *, overwrite: bool = True
) -> list[Path]:
    """Write :data:`FIGURES` (``sourcing_mix.png``, ``stock_trajectory.png`` and
    ``cost_breakdown.png``, and :data:`STAGE_FIGURE` for a problem with stages) of an optimal
    result into ``directory``, all or none (see
    :func:`optiree.files.write_files`); without ``overwrite`` an existing figure is an
    :class:`optiree.OutputError`."""
    directory = arguments.path(directory, "directory")
    files = figure_files(result, problem)
    write_files(directory, files, overwrite=overwrite)
    return [directory / name for name in files]
