"""The text of every figure reads: measured from matplotlib's own text extents (the renderer's
``get_window_extent``), no text leaves the figure, no label drawn in a panel leaves that panel
or covers a marker, and no two texts overlap. For the Japan case (with and without a
disruption), for frontiers as dense as the Japan case's, and for random problems."""

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

import optiree
from optiree import plots
from optiree.disruption.scenarios import disrupted
from tests import strategies
from tests.samples import JAPAN, JAPAN_STAGES, frontier_table

TOLERANCE = 0.5
"""Pixels of overlap forgiven: anti-aliasing, not a label over another."""
FEWER = settings(max_examples=max(10, settings().max_examples // 15))
"""Each random problem is solved and drawn three times: a tenth of the profile's examples."""


def _shown(axis: Any, texts: list[Text]) -> list[Text]:
    """Tick labels drawn: visible, not empty, at a tick inside the axis's view."""
    low, high = sorted(axis.get_view_interval())
    index = 0 if axis.axis_name == "x" else 1
    return [
        t
        for t in texts
        if t.get_visible() and t.get_text() and low <= t.get_position()[index] <= high
    ]


def _legend_texts(legend: Any) -> list[Text]:
    return [] if legend is None else [*legend.get_texts(), legend.get_title()]


def _texts(figure: Figure) -> dict[str, list[Text]]:
    """Every text drawn: ``"figure"`` (suptitle, legends), each panel's own labels (by its
    index: annotations, bar labels, notes) and its frame (titles, axis and tick labels)."""
    found: dict[str, list[Text]] = {"figure": [*figure.texts]}  # the suptitle among them
    for legend in figure.legends:
        found["figure"] += _legend_texts(legend)
    for i, ax in enumerate(figure.axes):
        found[f"labels {i}"] = list(ax.texts)
        found[f"frame {i}"] = [
            *(ax.title, ax._left_title, ax._right_title),
            ax.xaxis.label,
            ax.yaxis.label,
            *_shown(ax.xaxis, ax.get_xticklabels()),
            *_shown(ax.yaxis, ax.get_yticklabels()),
            *_legend_texts(ax.get_legend()),
        ]
    return {
        key: [t for t in texts if t.get_visible() and t.get_text().strip()]
        for key, texts in found.items()
    }


def _inside(box: Bbox, frame: Bbox) -> bool:
    return (
        box.x0 >= frame.x0 - TOLERANCE
        and box.x1 <= frame.x1 + TOLERANCE
        and box.y0 >= frame.y0 - TOLERANCE
        and box.y1 <= frame.y1 + TOLERANCE
    )


def _overlap(a: Bbox, b: Bbox) -> bool:
    return min(a.x1, b.x1) - max(a.x0, b.x0) > TOLERANCE and (
        min(a.y1, b.y1) - max(a.y0, b.y0) > TOLERANCE
    )


def _markers(ax: Any) -> np.ndarray:
    """The centres of the markers of the panel's lines [pixels]."""
    centres = [np.empty((0, 2))]
    for line in ax.get_lines():
        if line.get_marker() in ("None", None, "", " "):
            continue
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
        centres.append(xy[np.isfinite(xy).all(axis=1)])
    return np.concatenate(centres)


def faults(figure: Figure) -> list[str]:
    """What reads badly in ``figure``: each text that leaves the figure, a label that leaves
    its panel or covers a marker, and each pair of texts that overlap."""
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    page = figure.bbox
    texts = _texts(figure)
    boxes = [(t, t.get_window_extent(renderer)) for group in texts.values() for t in group]
    found = [f"{t.get_text()!r} leaves the figure" for t, box in boxes if not _inside(box, page)]
    for i, ax in enumerate(figure.axes):
        panel = ax.get_window_extent(renderer)
        centres = _markers(ax)
        for label in texts[f"labels {i}"]:
            box = label.get_window_extent(renderer)
            if not _inside(box, panel):
                found.append(f"{label.get_text()!r} leaves its panel")
            if any(box.contains(x, y) for x, y in centres):
                found.append(f"{label.get_text()!r} covers a marker")
    for k, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[k + 1 :]:
            if _overlap(box_a, box_b):
                found.append(f"{a.get_text()!r} overlaps {b.get_text()!r}")
    return found


@pytest.fixture(scope="module")
def japan() -> optiree.Problem:
    return optiree.load_problem(JAPAN)


@pytest.mark.parametrize("scenario", [None, "embargo_1y"])
def test_the_japan_figures_read(japan: optiree.Problem, scenario: str | None) -> None:
    problem = japan if scenario is None else disrupted(japan, scenario)
    result = optiree.solve(problem)
    for figure in (
        plots.sourcing_mix(result),
        plots.stock_trajectory(result, problem),
        plots.cost_breakdown(result),
    ):
        assert faults(figure) == [], figure.get_suptitle()


def japan_like_frontier(slopes: list[float], kinks: list[bool], start: float) -> pd.DataFrame:
    """A max_share frontier of the Japan case's shape: a level a point from ``start`` down to
    0, costs rising by ``slopes`` (USD per point), rings where ``kinks``."""
    levels = np.round(np.arange(start, -1e-9, -0.01), 2)[: len(slopes) + 1]
    costs = 1.345e9 + np.concatenate([[0.0], np.cumsum(slopes[: len(levels) - 1])])
    marginal = [*slopes[: len(levels) - 1], math.nan]
    return pd.DataFrame(
        {
            "rule": "max_share",
            "subject": "CN",
            "level": levels,
            "total_cost": costs,
            "marginal_cost_per_point": marginal,
            "breakpoint": [False, *kinks[: len(levels) - 2], False][: len(levels)],
            "status": "optimal",
        }
    )


def test_a_frontier_as_dense_as_the_japan_case_reads() -> None:
    """The Japan case's frontier of China's share: 97 levels, a breakpoint at most of them,
    slopes from 0.7 to 73 million USD a point (what issue 17 saw run off the axes)."""
    slopes = list(np.geomspace(7e5, 7.3e7, 96))
    table = japan_like_frontier(slopes, [i % 3 != 0 for i in range(96)], 0.96)
    figure = plots.frontier_curve(table, "USD")
    assert faults(figure) == []
    assert len(figure.axes[0].texts) >= 5  # the widest pieces keep their labels


@given(
    slopes=st.lists(st.floats(0, 1e8), min_size=3, max_size=100),
    kinks=st.lists(st.booleans(), min_size=100, max_size=100),
    start=st.sampled_from([1.0, 0.96, 0.6]),
)
def test_frontier_labels_stay_inside_and_apart(
    slopes: list[float], kinks: list[bool], start: float
) -> None:
    table = japan_like_frontier(slopes, kinks, start)
    assert faults(plots.frontier_curve(table, "USD")) == []


def test_the_frontier_of_the_samples_reads() -> None:
    assert faults(plots.frontier_curve(frontier_table(), "EUR")) == []


@FEWER
@given(problem=strategies.problems())
def test_the_figures_of_random_problems_read(problem: optiree.Problem) -> None:
    result = optiree.solve(problem)
    if not result.is_optimal:
        return
    for figure in (
        plots.sourcing_mix(result),
        plots.stock_trajectory(result, problem),
        plots.cost_breakdown(result),
    ):
        assert faults(figure) == [], figure.get_suptitle()


@pytest.mark.parametrize("scenario", [None, "controls_2026"])
def test_the_stage_figure_of_the_japan_case_reads(scenario: str | None) -> None:
    problem = optiree.load_problem(JAPAN_STAGES)
    result = optiree.solve(problem if scenario is None else disrupted(problem, scenario))
    figure = plots.stage_shares(result)
    assert faults(figure) == []
    assert len(figure.axes[0].texts) >= 4  # the wide segments keep their labels


@FEWER
@given(problem=strategies.problems(), long_ids=st.booleans())
def test_the_stage_figures_of_random_problems_read(
    problem: optiree.Problem, long_ids: bool
) -> None:
    """A one-stage chain of a random problem, its countries' ids made long or not: a segment
    label too wide for its segment is left to the legend, never clipped or overlapping."""
    if long_ids:  # the rules that name a country go with the old ids
        sources = [s.derive(country=f"{s.country}_a_long_country_name") for s in problem.sources]
        no_rules = {"caps": [], "scenarios": [], "security": type(problem.security)()}
        problem = problem.derive(sources=sources, **no_rules)
    result = optiree.solve(problem.derive(stages=["oxide"]))
    if not result.is_optimal or result.stage_shares["tonnes"].sum() == 0:
        return
    assert faults(plots.stage_shares(result)) == []
