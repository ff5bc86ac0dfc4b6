"""The Japan case at every stage (examples/japan_2026_stages.yaml): its figures are the Japan
file's, its chain is the one docs/japan.md describes, and the shares by stage that docs/japan.md
quotes in "Japan at every stage" are what the plans give."""

import re
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
import yaml

import optiree
from optiree import Result
from optiree.disruption.scenarios import disrupted
from optiree.plots import stage_percent
from tests.samples import JAPAN, JAPAN_STAGES

DOC = Path(__file__).resolve().parents[1] / "docs" / "japan.md"
OWN = {"name", "description", "stages", "facilities", "sources", "contracts", "surplus"}
"""The companion's own keys; its other keys are the Japan file's (scenarios: see below)."""
SHORT = {
    "none": {"Dy": 0.0, "Tb": 0.0},
    "controls_2026": {"Dy": 240.39, "Tb": 51.74},
    "embargo_1y": {"Dy": 189.85, "Tb": 39.41},
}
"""Tonnes short over the two years, as examples/japan_2026.yaml gives them (docs/japan.md)."""


@cache
def _plan(scenario: str = "none") -> Result:
    problem = optiree.load_problem(JAPAN_STAGES)
    result = optiree.solve(problem if scenario == "none" else disrupted(problem, scenario))
    assert result.is_optimal, result.message
    return result


def _short(result: Result) -> dict[str, float]:
    return result.shortage.groupby("material")["tonnes"].sum().round(2).to_dict()


def test_the_companion_keeps_the_japan_figures() -> None:
    japan, stages = (yaml.safe_load(path.read_text()) for path in (JAPAN, JAPAN_STAGES))
    assert set(stages) - set(japan) == {"stages", "facilities"}
    for key in set(japan) - OWN - {"scenarios"}:
        assert stages[key] == japan[key], key
    # The same scenarios by name, each cutting China (and Myanmar's ore, separated in China).
    assert [s["name"] for s in stages["scenarios"]] == [s["name"] for s in japan["scenarios"]]


def test_the_chain_of_the_japan_file() -> None:
    """Lynas' tonnes pass Australia at the concentrate stage, Malaysia at the oxide stage and
    Japan at the magnet stage: one source, three countries (docs/japan.md had to pick one)."""
    flows = _plan().flows
    lynas = flows[flows["source"].isin(["mt_weld", "kalgoorlie"])]
    assert set(lynas["path"]) == {
        "mt_weld>kuantan>jp_magnet_makers",
        "kalgoorlie>kuantan>jp_magnet_makers",
    }
    countries = lynas.groupby("stage", sort=False)["country"].unique()
    assert {k: list(v) for k, v in countries.items()} == {
        "concentrate": ["AU"],
        "oxide": ["MY"],
        "magnet": ["JP"],
    }
    # Kuantan's capacity is shared by both Australian routes.
    kuantan = flows[(flows["node"] == "kuantan")].groupby("period")["tonnes_in"].sum()
    assert kuantan.max() <= 1969 + 1e-6
    assert kuantan.max() > 0


def test_the_controls_cut_china_at_both_stages() -> None:
    """Under controls_2026 China sells no Dy or Tb, neither as oxide (from its own or
    Myanmar's ore) nor as magnets; the tonnes short are those of the Japan file."""
    supply = _plan("controls_2026").supply
    heavy = supply[supply["material"].isin(["Dy", "Tb"])]
    by_source = heavy.groupby("source")["tonnes"].sum()
    for source in ("china_mine", "myanmar_ore", "china_magnets"):
        assert by_source.get(source, 0.0) == pytest.approx(0.0, abs=1e-6)
    for scenario, tonnes in SHORT.items():
        assert _short(_plan(scenario)) | {"NdPr": 0.0} == tonnes | {"NdPr": 0.0}, scenario


def test_japans_magnet_makers_never_bind() -> None:
    """The file's assumption: the magnet makers' capacity is not what limits Japan."""
    for scenario in ("none", "controls_2026", "embargo_1y", "cut_2010", "lynas_outage"):
        rows = _plan(scenario).constraints
        row = rows[rows["constraint"].str.startswith("facility(jp_magnet_makers")]
        assert (row["shadow_price"].abs() < 1e-6).all(), scenario


def _doc_table(scenario: str) -> dict[tuple[str, str, str], float]:
    """The shares docs/japan.md quotes, by material, stage and country [%]."""
    section = DOC.read_text().split("## Japan at every stage", 1)[1]
    table = section.split(f"<!-- stage shares: {scenario} -->", 1)[1].split("\n\n", 2)[1]
    lines = [line for line in table.splitlines() if line.startswith("| ")][1:]
    header = [cell.strip() for cell in table.splitlines()[0].strip("|").split("|")]
    shares = {}
    for line in lines:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if set(cells[0]) <= {"-", " "}:
            continue
        material, stage = cells[0], cells[1]
        for country, cell in zip(header[2:], cells[2:], strict=True):
            if cell:
                shares[(material, stage, country)] = float(cell)
    return shares


@pytest.mark.parametrize("scenario", ["none", "controls_2026"])
def test_the_shares_docs_quote_are_the_plans(scenario: str) -> None:
    quoted = _doc_table(scenario)
    percent = stage_percent(_plan(scenario).stage_shares).round(1)
    computed = {
        (material, stage, country): float(value)
        for (material, stage), row in percent.iterrows()
        for country, value in row.items()
        if not pd.isna(value) and value > 0
    }
    assert quoted == computed


def test_the_totals_docs_quote_are_the_plans() -> None:
    section = DOC.read_text().split("## Japan at every stage", 1)[1]
    for scenario in ("none", "controls_2026", "lynas_outage"):
        total = f"{_plan(scenario).total_cost:,.0f}"
        assert re.search(rf"\b{total}\b", section), (scenario, total)


def test_the_other_figures_docs_quote_are_the_plans() -> None:
    """ "Where the dependence sits" and "What the chain view changes" in docs/japan.md."""
    none = _plan()
    ndpr = none.supply[none.supply["material"] == "NdPr"].groupby("source")["tonnes"].sum()
    chinese = ndpr["china_mine"] + ndpr["china_magnets"]
    assert round(100 * chinese / ndpr.sum(), 1) == 59.7  # the reported "about 60%"
    assert round(ndpr["china_magnets"] / chinese, 2) == 0.33  # a third as finished magnets
    assert _plan("lynas_outage").total_cost - none.total_cost == pytest.approx(93_582_000)
    costs = none.costs.groupby("component")["cost"].sum()
    assert round(costs["processing"] / 1e6) == 576
    assert round(costs["substitution"] / 1e6, 1) == 7.2
    above = _plan("controls_2026").total_cost - none.total_cost
    assert round(above / 1e6) == 4_171
    assert _short(_plan("cut_2010"))["Dy"] == pytest.approx(34.57)
