"""The figures: one panel per material, bars and lines that read back as the result's numbers,
labels with units, readable tick labels, no pyplot, and a clear message without matplotlib."""

import io
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

import optiree
from benchmarks import outputs
from optiree import plots, words
from optiree.disruption.scenarios import disrupted
from tests import samples
from tests.samples import JAPAN, frontier_table

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def japan() -> tuple[optiree.Problem, optiree.Result]:
    problem = optiree.load_problem(JAPAN)
    result = optiree.solve(problem)
    assert result.is_optimal, result.message
    return problem, result


def _title(ax: Any) -> str:
    return str(ax.get_title(loc="left"))


def _periods(result: optiree.Result) -> list[str]:
    return list(dict.fromkeys(result.inventory["period"]))


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def test_sourcing_mix_bars_are_the_tonnes_bought(
    japan: tuple[optiree.Problem, optiree.Result],
) -> None:
    _, result = japan
    figure = plots.sourcing_mix(result)
    assert isinstance(figure, Figure)
    assert [_title(ax) for ax in figure.axes] == ["NdPr", "Dy", "Tb"]
    periods = _periods(result)
    purchases = result.supply
    for ax in figure.axes:
        material = _title(ax)
        rows = purchases[purchases["material"] == material]
        tonnes = rows.pivot_table(
            index="source", columns="period", values="tonnes", aggfunc="sum"
        ).reindex(columns=periods, fill_value=math.nan)
        buying = {s for s, row in tonnes.iterrows() if row.sum() > 0}
        drawn = {}
        for container in ax.containers:
            source = container.get_label().split(" (")[0]
            drawn[source] = [bar.get_height() for bar in container.patches]
        assert set(drawn) == buying
        for source, heights in drawn.items():
            assert heights == pytest.approx(tonnes.loc[source].fillna(0.0).to_list())
        stacked = np.sum(list(drawn.values()), axis=0)
        bought = result.inventory[result.inventory["material"] == material]["purchased"]
        assert stacked == pytest.approx(bought.to_list())
        (ticks,) = [c for c in ax.collections if isinstance(c, LineCollection)]
        demand = result.inventory[result.inventory["material"] == material]["demand"]
        assert [segment[0][1] for segment in ticks.get_segments()] == demand.to_list()
        assert "[t]" in ax.get_ylabel()
    assert "[t" in figure.get_suptitle()


def test_the_purchases_figure_shows_how_demand_was_met(
    japan: tuple[optiree.Problem, optiree.Result],
) -> None:
    """Under a one-year embargo, Dy and Tb are met in part from stock, by substitutes and not
    at all: each way is a series of its own, and every stack reaches its demand tick (issue 17:
    a gap under the tick read as a shortfall where stock or substitutes met the demand)."""
    problem = disrupted(japan[0], "embargo_1y")
    result = optiree.solve(problem)
    figure = plots.sourcing_mix(result)
    seen = set()
    for ax in figure.axes:
        rows = result.inventory[result.inventory["material"] == _title(ax)]
        drawn = {c.get_label(): [bar.get_height() for bar in c.patches] for c in ax.containers}
        seen |= set(drawn)
        left = rows["demand"] - rows["purchased"] - rows["substituted"] - rows["shortage"]
        expected = {
            plots.FROM_STOCK: left.where(left > 1e-6, 0.0),
            plots.SUBSTITUTED: rows["substituted"],
            plots.SHORT: rows["shortage"],
        }
        for way, tonnes in expected.items():
            assert drawn.get(way, [0.0] * len(rows)) == pytest.approx(tonnes.to_list(), abs=1e-6)
        bought = [h for label, h in drawn.items() if label not in plots.NOT_BOUGHT]
        assert np.sum(bought, axis=0) == pytest.approx(rows["purchased"].to_list())
        tops = np.sum(list(drawn.values()), axis=0)
        assert (tops >= rows["demand"].to_numpy() - 1e-6).all()
    assert set(plots.NOT_BOUGHT) <= seen
    assert "demand was met" in figure.get_suptitle()


def test_a_source_keeps_its_colour_in_every_panel(
    japan: tuple[optiree.Problem, optiree.Result],
) -> None:
    _, result = japan
    colours: dict[str, set[tuple[float, ...]]] = {}
    panels: dict[str, int] = {}
    for ax in plots.sourcing_mix(result).axes:
        for container in ax.containers:
            label = container.get_label()
            panels[label] = panels.get(label, 0) + 1
            colours.setdefault(label, set()).update(
                tuple(bar.get_facecolor()) for bar in container.patches
            )
    # The sources that deliver something (result.supply, Lynas' feed yields included).
    supply = result.supply
    delivering = supply[supply["tonnes"] > 0]
    expected = {
        f"{s} ({c})" for s, c in zip(delivering["source"], delivering["country"], strict=True)
    }
    assert set(colours) == expected == {"china (CN)", "lynas (MY)"}
    # China and Lynas are in all three panels.
    assert panels == {"china (CN)": 3, "lynas (MY)": 3}
    assert all(len(found) == 1 for found in colours.values())
    assert len({next(iter(found)) for found in colours.values()}) == len(colours)


def test_stock_trajectory_draws_closing_stock_and_the_cover_requirement(
    japan: tuple[optiree.Problem, optiree.Result],
) -> None:
    problem, result = japan
    figure = plots.stock_trajectory(result, problem)
    assert [_title(ax) for ax in figure.axes] == ["NdPr", "Dy", "Tb"]
    periods = _periods(result)
    for ax in figure.axes:
        material = _title(ax)
        rows = result.inventory[result.inventory["material"] == material]
        lines = {line.get_label(): line for line in ax.get_lines()}
        assert list(lines["closing stock"].get_ydata()) == pytest.approx(rows["closing"].to_list())
        assert "[t]" in ax.get_ylabel()
        # The rule is min_stock_days: 60 days of a 91.25-day quarter's demand (821.9 t of
        # NdPr), in every quarter; the step line has one more point than periods, so the last
        # one shows.
        days = problem.security.min_stock_days[material]
        assert (days, problem.period_days) == (60, 91.25)
        expected = [days / problem.period_days * problem.demand[material]] * len(periods)
        assert material != "NdPr" or expected[0] == pytest.approx(821.9178, abs=1e-4)
        step = lines[plots.REQUIREMENT_LABEL]
        assert list(step.get_ydata()) == pytest.approx(expected + expected[-1:])
        assert list(step.get_xdata()) == [i - 0.5 for i in range(len(periods) + 1)]
        # The rule binds: the closing stock is on the line in every quarter.
        assert rows["closing"].to_list() == pytest.approx(expected)


def test_the_closing_stock_shows_on_its_requirement(
    japan: tuple[optiree.Problem, optiree.Result],
) -> None:
    """In the Japan case every closing stock sits on its requirement: the series drawn on top
    (the higher zorder; the later one at equal zorder) is the narrower, so both show (issue 17:
    the dashed requirement, wider and drawn last, hid the stock)."""
    problem, result = japan
    for ax in plots.stock_trajectory(result, problem).axes:
        lines = ax.get_lines()
        order = {line.get_label(): (line.get_zorder(), i) for i, line in enumerate(lines)}
        stock, required = sorted(lines, key=lambda line: order[line.get_label()], reverse=True)
        assert stock.get_label() == "closing stock", _title(ax)
        assert stock.get_linewidth() < required.get_linewidth() / 2
        assert required.get_linestyle() == "-"  # no gaps: a band under the line


def test_a_single_stock_cover_applies_in_every_period() -> None:
    document = samples.two_country()
    document["periods"] = ["A", "B", "C"]
    document["materials"].append({"id": "Tb"})
    document["reference_prices"]["Tb"] = 1000
    document["sources"][0]["capacity"]["Tb"] = 10
    document["demand"] = {"Dy": {"A": 50, "B": 40, "C": 0}, "Tb": 1}
    document["security"] = {"min_stock_cover": {"Dy": 0.5}}
    problem = optiree.Problem.model_validate(document)
    result = optiree.solve(problem)
    figure = plots.stock_trajectory(result, problem)
    dy = next(ax for ax in figure.axes if _title(ax) == "Dy")
    (step,) = [line for line in dy.get_lines() if line.get_label() == plots.REQUIREMENT_LABEL]
    # 0.5 x demand; no rule where the demand, and so the requirement, is 0.
    assert list(step.get_ydata()[:3]) == pytest.approx([25, 20, math.nan], nan_ok=True)
    tb = next(ax for ax in figure.axes if _title(ax) == "Tb")
    assert [line.get_label() for line in tb.get_lines()] == ["closing stock"]


def test_stock_trajectory_refuses_another_problem(
    japan: tuple[optiree.Problem, optiree.Result],
) -> None:
    _, result = japan
    other = optiree.Problem.model_validate(samples.two_country())
    with pytest.raises(optiree.PlotError, match="pass the problem that was solved"):
        plots.stock_trajectory(result, other)


def test_cost_breakdown_bars_are_the_costs(japan: tuple[optiree.Problem, optiree.Result]) -> None:
    _, result = japan
    figure = plots.cost_breakdown(result)
    (ax,) = figure.axes
    widths = {}
    for container in ax.containers:
        for bar in container.patches:
            widths[round(bar.get_y() + bar.get_height() / 2)] = bar.get_width()
    assert [widths[i] for i in range(len(result.costs))] == pytest.approx(
        result.costs["cost"].to_list()
    )
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    assert labels == [
        f"{c}: {i}" for c, i in zip(result.costs["component"], result.costs["item"], strict=True)
    ]
    assert "USD" in ax.get_xlabel()
    assert "[" in ax.get_xlabel()
    assert f"{result.total_cost:,.0f} USD" in figure.get_suptitle()


def test_frontier_curve_draws_cost_against_level() -> None:
    frontier = frontier_table()
    figure = plots.frontier_curve(frontier, "EUR")
    (ax,) = figure.axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    curve = lines["least total cost"]
    assert list(curve.get_xdata()) == pytest.approx([100, 90, 80, 70, 60, 50, 40])
    assert list(curve.get_ydata()) == pytest.approx(frontier["total_cost"][:7].to_list())
    kinks = lines["breakpoint (slope changes)"]
    assert list(kinks.get_xdata()) == pytest.approx([60, 50])
    assert list(lines["no optimal plan"].get_xdata()) == pytest.approx([30])
    notes = [text.get_text() for text in ax.texts]
    assert notes == ["0 EUR/point", "2,000 EUR/point", "6,000 EUR/point"]
    assert "[%]" in ax.get_xlabel()
    assert "CN" in ax.get_xlabel()
    assert "EUR" in ax.get_ylabel()
    assert ax.xaxis_inverted()  # a smaller share is tighter: tightening reads left to right


def test_frontier_of_a_stock_cover_is_in_periods_of_demand() -> None:
    frontier = frontier_table("stock_cover", "NdPr")
    frontier["level"] = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    (ax,) = plots.frontier_curve(frontier, "EUR").axes
    curve = next(line for line in ax.get_lines() if line.get_label() == "least total cost")
    assert list(curve.get_xdata()) == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
    assert "periods of demand" in ax.get_xlabel()
    assert not ax.xaxis_inverted()


def test_frontier_labels_a_curved_piece_with_its_range_and_not_a_sliver() -> None:
    # A sliver from 0 to 0.005 at 50 per point, then a ring and a curved piece: 100 per point
    # to 1.0, 120 per point to 2.0.
    frontier = pd.DataFrame(
        {
            "rule": "stock_cover",
            "subject": "NdPr",
            "level": [0.0, 0.005, 1.0, 2.0],
            "total_cost": [0.0, 25.0, 9975.0, 21975.0],
            "marginal_cost_per_point": [50.0, 100.0, 120.0, math.nan],
            "breakpoint": [False, True, False, False],
            "status": "optimal",
        }
    )
    (ax,) = plots.frontier_curve(frontier, "EUR").axes
    assert [text.get_text() for text in ax.texts] == ["100 to 120 EUR/point"]


def test_frontier_of_several_rules_has_a_panel_each() -> None:
    frontier = pd.concat([frontier_table(), frontier_table("cover_without", "CN")])
    figure = plots.frontier_curve(frontier, "EUR")
    assert [_title(ax) for ax in figure.axes] == ["max_share CN", "cover_without CN"]


def test_frontier_without_its_columns_is_refused() -> None:
    frontier = frontier_table().drop(columns=["breakpoint", "status"])
    with pytest.raises(
        optiree.PlotError, match=r"lacks the column\(s\) breakpoint, status; found: rule"
    ):
        plots.frontier_curve(frontier, "EUR")
    with pytest.raises(optiree.PlotError, match="no rows"):
        plots.frontier_curve(frontier_table().iloc[:0])


def test_a_result_without_a_plan_has_no_figures() -> None:
    document = samples.two_country()
    document["demand"] = {"Dy": 500}
    problem = optiree.Problem.model_validate(document)
    result = optiree.solve(problem)
    assert result.status == "infeasible"
    for draw in (plots.sourcing_mix, plots.cost_breakdown):
        with pytest.raises(optiree.PlotError, match="no plan to draw: it is infeasible"):
            draw(result)
    with pytest.raises(optiree.PlotError, match="infeasible"):
        plots.stock_trajectory(result, problem)


def test_dollar_signs_in_names_are_shown_not_parsed_as_maths() -> None:
    document = samples.two_country()
    document["name"] = r"Plan $\frac$ in US$"
    document["currency"] = "US$"
    problem = optiree.Problem.model_validate(document)
    result = optiree.solve(problem)
    for figure in (
        plots.sourcing_mix(result),
        plots.stock_trajectory(result, problem),
        plots.cost_breakdown(result),
    ):
        assert _png(figure).startswith(b"\x89PNG")  # an unescaped $\frac$ fails to render
    assert r"Plan \$\frac\$ in US\$" in plots.cost_breakdown(result).get_suptitle()


def _overlaps(boxes: list[Any]) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if boxes[i].overlaps(boxes[j])
    ]


def test_japan_figures_have_tick_labels_that_do_not_overlap(
    japan: tuple[optiree.Problem, optiree.Result],
) -> None:
    problem, result = japan
    for figure in (
        plots.sourcing_mix(result),
        plots.stock_trajectory(result, problem),
        plots.cost_breakdown(result),
        plots.frontier_curve(frontier_table(), "EUR"),
    ):
        renderer = figure.canvas.get_renderer()
        figure.draw(renderer)
        for ax in figure.axes:
            for labels in (ax.get_xticklabels(), ax.get_yticklabels()):
                boxes = [t.get_window_extent(renderer) for t in labels if t.get_text()]
                assert not _overlaps(boxes), (figure.get_suptitle(), _title(ax))


def test_figures_need_no_pyplot_and_no_display(tmp_path: Path) -> None:
    script = (
        "import sys, optiree\n"
        "from optiree import plots\n"
        f"p = optiree.load_problem({str(JAPAN)!r}); r = optiree.solve(p)\n"
        "plots.sourcing_mix(r).savefig(sys.argv[1])\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
    )
    target = tmp_path / "mix.png"
    env = {"PATH": "", "MPLBACKEND": "", "DISPLAY": "", "MPLCONFIGDIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", script, str(target)], check=True, env=env, cwd=ROOT)
    assert target.read_bytes().startswith(b"\x89PNG")


def test_without_matplotlib_the_message_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, japan: tuple[optiree.Problem, optiree.Result]
) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    _, result = japan
    with pytest.raises(
        ImportError, match=r"figures need matplotlib: pip install 'optiree\[plot\]'"
    ):
        plots.sourcing_mix(result)
    with pytest.raises(optiree.OptireeError):
        plots.frontier_curve(frontier_table(), "EUR")


def test_docs_report_quotes_the_japan_figures(
    japan: tuple[optiree.Problem, optiree.Result],
) -> None:
    problem, result = japan
    text = re.sub(r"\s+", " ", (ROOT / "docs" / "report.md").read_text())
    periods = _periods(result)
    total = result.total_cost
    assert total is not None

    def million(cost: float) -> str:
        return f"{cost / 1e6:,.1f}".replace("-", "\N{MINUS SIGN}")

    # Sourcing mix: China and the Lynas feed only; Lynas's NdPr is the JARE minimum, the same
    # every quarter, and the rest of the demand comes from China.
    supply = result.supply[result.supply["tonnes"] > 1e-9]
    assert set(supply["source"]) == {"china", "lynas"}
    assert (supply.loc[supply["source"] == "lynas", "bought"] == 0).all()  # all from the feed
    delivered = supply.pivot_table("tonnes", ["material", "period"], "source").round(1)
    (contract,) = problem.contracts
    assert set(delivered.loc["NdPr", "lynas"]) == {contract.min_tonnes}
    (china_ndpr,) = set(delivered.loc["NdPr", "china"])
    quoted = [f"NdPr: China {china_ndpr:,.1f} t and Lynas (Malaysia) {contract.min_tonnes:,.1f} t"]
    for material in ("Dy", "Tb"):
        first, later = delivered.loc[material].iloc[0], delivered.loc[material].iloc[-1]
        assert (delivered.loc[material].iloc[:2] == first).all().all()
        assert (delivered.loc[material].iloc[2:] == later).all().all()
        quoted.append(
            f"{first['china']:,.1f} t" + (" from China and " if material == "Dy" else " and ")
        )
        quoted.append(f"{later['china']:,.1f} t and {later['lynas']:,.1f} t")
    assert (result.substitution["units"] == 0).all()
    # Stock trajectory: every material on its 60-day requirement in every quarter; none below.
    rules = result.constraints[result.constraints["rule"] == "stock_cover"]
    inventory = result.inventory.set_index(["material", "period"])
    for material, limit in rules.groupby("material")["limit"]:
        (days,) = set(limit.round(6))
        assert days == pytest.approx(60 / 91.25 * problem.demand[material])
        closing = inventory.loc[material, "closing"].to_list()
        assert closing == pytest.approx([days] * len(periods))
        quoted.append(f"{days:,.1f} t")
    assert (result.inventory["below_target"] == 0).all()
    # Cost breakdown: China the largest purchase, then the two Lynas feeds; nothing short, sold
    # or paid for untaken.
    costs = result.costs.set_index(["component", "item"])["cost"]
    bought = costs[["purchases", "feeds"]].sort_values(ascending=False)
    assert list(bought.index[:3]) == [
        ("purchases", "china"),
        ("feeds", "mt_weld_reo_hre"),
        ("feeds", "mt_weld_reo"),
    ]
    by_component = result.costs.groupby("component", sort=False)["cost"].sum()
    for component in ("below_target", "shortage", "sales", "take_or_pay"):
        assert by_component[component] == 0
    legend = ", ".join(f"{c} {million(cost)}" for c, cost in by_component.iloc[:-1].items())
    last, cost = by_component.index[-1], by_component.iloc[-1]
    quoted += [
        f"Of the {total:,.0f} USD, purchases from China ({million(costs['purchases', 'china'])} "
        "million USD) are the longest bar",
        f"the Lynas feed ({million(costs['feeds', 'mt_weld_reo_hre'])} million USD from 2026Q3 "
        f"and {million(costs['feeds', 'mt_weld_reo'])} million in 2026H1)",
        f"The legend gives each component's total: {legend} and {last} {million(cost)} million",
    ]
    missing = [q for q in quoted if q not in text]
    assert not missing, f"docs/report.md no longer shows: {missing}"


def _wide(sources: int, periods: int) -> optiree.Problem:
    """The benchmark's plan of ``sources`` sources and ``periods`` periods, but source ``s``
    sells ``s + 1`` t a period and demand is all of it (1 t less in odd periods), so that every
    source sells a different amount."""
    plan = outputs.document(sources, periods)
    for s, source in enumerate(plan["sources"]):
        source["capacity"] = {"NdPr": float(s + 1)}
    whole = sources * (sources + 1) / 2
    plan["demand"] = {"NdPr": {t: whole - i % 2 for i, t in enumerate(plan["periods"])}}
    plan["shortage_penalty"] = {"NdPr": 10_000.0}
    return optiree.Problem.model_validate(plan)


def test_many_sources_draw_the_twenty_largest_and_one_other_series() -> None:
    result = optiree.solve(_wide(30, 3))
    assert result.is_optimal, result.message
    (ax,) = plots.sourcing_mix(result).axes
    # The sources' series only: whether a plan also draws stock here differs between optimal
    # plans (HiGHS 1.13 draws some, 1.16 none), so the other ways demand was met are left out.
    met = {words.FROM_STOCK, words.SUBSTITUTED, words.SHORT}
    drawn = {
        c.get_label(): [bar.get_height() for bar in c.patches]
        for c in ax.containers
        if c.get_label() not in met
    }
    supply = result.supply
    totals: dict[str, float] = {}
    for source, tonnes in zip(supply["source"], supply["tonnes"], strict=True):
        totals[source] = totals.get(source, 0.0) + tonnes
    largest = sorted(totals, key=lambda s: -totals[s])[:20]
    rest = [s for s in totals if s not in largest]
    assert len(drawn) == 21
    assert {label.split(" (")[0] for label in drawn} == {*largest, "other"}
    assert drawn["other (10 sources)"] == pytest.approx(
        [
            sum(
                t
                for s, p, t in supply[["source", "period", "tonnes"]].itertuples(index=False)
                if s in rest and p == period
            )
            for period in _periods(result)
        ]
    )
    stacked = np.sum(list(drawn.values()), axis=0)
    assert stacked == pytest.approx(result.inventory["purchased"].to_list())
    assert sum(stacked) == pytest.approx(sum(totals.values()))
    # The cost breakdown too: at most 20 items and an "other" per component, the same total.
    (cost_ax,) = plots.cost_breakdown(result).axes
    widths = [bar.get_width() for c in cost_ax.containers for bar in c.patches]
    assert len(widths) <= 20 + result.costs["component"].nunique()
    assert sum(widths) == pytest.approx(result.costs["cost"].sum())


def test_many_periods_are_binned_to_at_most_two_hundred() -> None:
    problem = _wide(2, 300)
    result = optiree.solve(problem)
    assert result.is_optimal, result.message
    (ax,) = plots.sourcing_mix(result).axes
    labels = [p.get_label() for p in ax.patches]
    assert set(labels) >= {plots.FROM_STOCK}  # the odd periods' spare tonne meets the next
    sources = [not (label.startswith("_") or label in plots.NOT_BOUGHT) for label in labels]
    bars = [p for p, source in zip(ax.patches, sources, strict=True) if source]
    assert len(bars) == 2
    heights = []
    for patch in bars:
        tops, edges, bottoms = patch.get_data()
        heights.append(np.asarray(tops) - np.asarray(bottoms))
        assert len(edges) - 1 == len(tops) == 150  # 300 periods in bins of 2
    stacked = np.sum(heights, axis=0)
    bought = result.inventory["purchased"].to_numpy()
    assert stacked == pytest.approx(bought[0::2] + bought[1::2])
    assert stacked.sum() == pytest.approx(result.supply["tonnes"].sum())
    (ticks,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    demand = result.inventory["demand"].to_numpy()
    assert [s[0][1] for s in ticks.get_segments()] == pytest.approx(demand[0::2] + demand[1::2])
    labels = [label.get_text() for label in ax.get_xticklabels()]
    assert labels[0] == "P00000..P00001"
    assert len(labels) <= 25
    assert "300 periods in 150 bins" in ax.get_xlabel()
    # The stock: the closing stock at the end of each bin.
    (stock_ax,) = plots.stock_trajectory(result, problem).axes
    closing = {line.get_label(): line for line in stock_ax.get_lines()}["closing stock"]
    assert list(closing.get_ydata()) == pytest.approx(result.inventory["closing"].to_list()[1::2])


@pytest.fixture(scope="module")
def japan_stages() -> optiree.Result:
    result = optiree.solve(optiree.load_problem(samples.JAPAN_STAGES))
    assert result.is_optimal, result.message
    return result


def _stage_bars(ax: Any) -> dict[tuple[str, str], float]:
    """The panel's bar segments [%], by stage (tick label) and country (bar label)."""
    stages = [label.get_text() for label in ax.get_yticklabels()]
    return {
        (stage, str(bars.get_label())): patch.get_width()
        for bars in ax.containers
        for stage, patch in zip(stages, bars.patches, strict=True)
    }


def test_stage_bars_are_the_stage_shares(japan_stages: optiree.Result) -> None:
    """Each segment is the country's tonnes at the stage over the horizon, as a share of the
    stage's tonnes: read back from the stage_shares table, stages in the file's order."""
    table = japan_stages.stage_shares
    figure = plots.stage_shares(japan_stages)
    assert [_title(ax) for ax in figure.axes] == ["Dy", "NdPr", "Tb"]
    for ax in figure.axes:
        rows = table[table["material"] == _title(ax)]
        stages = [label.get_text() for label in ax.get_yticklabels()]
        assert stages == ["concentrate", "oxide", "magnet"]
        at_stage = rows.groupby("stage")["tonnes"].sum()
        tonnes = rows.groupby(["stage", "country"])["tonnes"].sum()
        expected = {key: 100 * t / at_stage[key[0]] for key, t in tonnes.items() if t > 0}
        drawn = {key: width for key, width in _stage_bars(ax).items() if width > 0}
        assert drawn == pytest.approx(expected)
        for stage in stages:  # each bar is whole
            assert sum(w for (s, _), w in drawn.items() if s == stage) == pytest.approx(100)
    dy = _stage_bars(figure.axes[0])
    assert dy[("oxide", "CN")] == pytest.approx(92.7, abs=0.05)  # China separates 93%
    assert dy[("concentrate", "CN")] == pytest.approx(42.7, abs=0.05)  # but mines 43%
    labels = {text.get_text() for text in figure.axes[0].texts}
    assert {"CN 93%", "MM 50%", "JP 94%"} <= labels


def test_a_country_keeps_its_colour_at_every_stage(japan_stages: optiree.Result) -> None:
    figure = plots.stage_shares(japan_stages)
    colours: dict[str, set[tuple[float, ...]]] = {}
    for ax in figure.axes:
        for bars in ax.containers:
            colours.setdefault(str(bars.get_label()), set()).update(
                tuple(patch.get_facecolor()) for patch in bars.patches
            )
    assert all(len(found) == 1 for found in colours.values()), colours
    assert len({next(iter(found)) for found in colours.values()}) == len(colours)


def test_only_a_problem_with_stages_has_a_stage_figure(
    japan: tuple[optiree.Problem, optiree.Result], japan_stages: optiree.Result
) -> None:
    problem, result = japan
    assert list(plots.figure_files(result, problem)) == list(plots.FIGURES)
    with pytest.raises(optiree.PlotError, match="no stages"):
        plots.stage_shares(result)
    staged = optiree.load_problem(samples.JAPAN_STAGES)
    files = plots.figure_files(japan_stages, staged)
    assert list(files) == [*plots.FIGURES, plots.STAGE_FIGURE]
    assert files[plots.STAGE_FIGURE] == plots.png(plots.stage_shares(japan_stages))


def test_solve_out_writes_the_stage_figure(tmp_path: Path) -> None:
    """``optiree solve FILE --out DIR`` draws the stage figure beside the others, for a
    problem with stages only."""
    from optiree.cli import main  # noqa: PLC0415

    for example, out in (
        (samples.JAPAN_STAGES, "staged"),
        (ROOT / "examples/lumpy_mine.yaml", "plain"),
    ):
        assert main(["solve", str(example), "--out", str(tmp_path / out), "--quiet"]) == 0
    assert (tmp_path / "staged" / plots.STAGE_FIGURE).read_bytes().startswith(b"\x89PNG")
    assert not (tmp_path / "plain" / plots.STAGE_FIGURE).exists()
    assert (tmp_path / "plain" / plots.FIGURES[0]).exists()
