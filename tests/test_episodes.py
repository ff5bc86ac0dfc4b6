"""The catalogue of past export-control episodes (optiree/data/episodes.yaml).

- It validates, every entry has a source, and every severity is marked an assumption.
- Each episode that fits the Japan case, turned into a scenario, solves and costs at least
  the plan without a disruption; its price move costs at least the same cut without it.
- Lengths in periods come from the days and the problem's period length, by hand.
- Onset frequencies over a window are counted by hand.
"""

import math
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

import optiree
from optiree.cli import main
from optiree.disruption.episodes import catalogue, covered, onset_frequency
from optiree.disruption.scenarios import disrupted
from optiree.errors import ArgumentError, ScenarioError

JAPAN = Path(__file__).parents[1] / "examples" / "japan_2026.yaml"


@pytest.fixture(scope="module")
def japan() -> optiree.Problem:
    return optiree.load_problem(JAPAN)


def test_the_catalogue_validates_and_cites() -> None:
    assert resources.files("optiree").joinpath("data/episodes.yaml").is_file()
    episodes = catalogue().episodes
    names = [e.name for e in episodes]
    assert len(set(names)) == len(names) == 6
    for e in episodes:
        assert e.sources, e.name
        assert all(len(source) > 20 for source in e.sources), e.name
        assert e.severity_note.startswith("assumption:")
        assert e.end is None or e.end >= e.start
        if e.price_factor is not None:
            assert "assumption:" in e.price_note


def test_episodes_is_the_catalogue_as_a_table() -> None:
    table = optiree.episodes()
    assert list(table.name) == [e.name for e in catalogue().episodes]
    assert list(table.columns) == [
        "name",
        "title",
        "country",
        "target",
        "start",
        "end",
        "days",
        "materials",
        "severity",
        "price_factor",
        "sources",
    ]
    halt = table.set_index("name").loc["halt_2010"]
    assert (halt.days, halt.target, halt.severity) == (61, "JP", 1.0)  # 21 Sep - 20 Nov 2010


def _cost(problem: optiree.Problem) -> float:
    result = optiree.solve(problem)
    assert result.is_optimal
    return result.total_cost


@pytest.mark.parametrize(
    "name",
    ["halt_2010", "quotas_2010", "heavy_licences_2025", "expansion_2025", "japan_dual_use_2026"],
)
def test_an_episode_never_costs_less_than_none(japan: optiree.Problem, name: str) -> None:
    base = _cost(disrupted(japan))
    cut = _cost(disrupted(japan, optiree.episode(japan, name, start="2026Q2")))
    moved = _cost(disrupted(japan, optiree.episode(japan, name, start="2026Q2", prices=True)))
    assert cut >= base - 1e-7 * base
    assert moved >= cut - 1e-7 * cut


def test_lengths_come_from_days_and_period_days(japan: optiree.Problem) -> None:
    halt = optiree.episode(japan, "halt_2010", start="2026Q4").disruptions[0]
    assert (halt.start, halt.length, halt.cut) == ("2026Q4", 1, 1.0)  # 61 days < 91.25
    assert halt.materials == ["NdPr", "Dy", "Tb"]  # Nd and Pr are both rare earths
    quotas = optiree.episode(japan, "quotas_2010", start="2026Q1").disruptions[0]
    assert quotas.length == math.ceil(1826 / 91.25) == 21  # cut at the horizon by apply
    heavy = optiree.episode(japan, "heavy_licences_2025", start="2026Q1").disruptions[0]
    assert heavy.length is None
    assert heavy.materials == ["Dy", "Tb"]
    assert optiree.episode(japan, "halt_2010", start="2026Q1", length=3).disruptions[0].length == 3


def test_a_price_move_applies_to_the_other_countries_while_it_lasts(
    japan: optiree.Problem,
) -> None:
    scenario = optiree.episode(japan, "quotas_2010", start="2027Q1", prices=True)
    changed = {c.source: (c.price_factor, c.periods) for c in scenario.sources}
    later = ["2027Q1", "2027Q2", "2027Q3", "2027Q4"]
    assert changed == {
        s: (10.0, later) for s in ("lynas", "mp_materials", "caremag", "jp_recycling")
    }
    assert not optiree.episode(japan, "halt_2010", start="2026Q1", prices=True).sources


def test_an_episode_that_does_not_fit_says_why(japan: optiree.Problem) -> None:
    with pytest.raises(ScenarioError, match="withholds Ga, Ge and the problem has NdPr, Dy, Tb"):
        optiree.episode(japan, "gallium_germanium_2023", start="2026Q1")
    no_days = optiree.Problem.model_validate(
        {
            "name": "no days",
            "materials": [{"id": "Dy"}],
            "sources": [
                {"id": "china", "country": "CN", "capacity": {"Dy": 9}, "prices": {"Dy": 1}}
            ],
            "demand": {"Dy": 5},
        }
    )
    with pytest.raises(ScenarioError, match="set period_days"):
        optiree.episode(no_days, "halt_2010", start="P1")
    with pytest.raises(ArgumentError, match="halt_2010"):
        optiree.episode(japan, "halt_2011", start="2026Q1")
    with pytest.raises(ArgumentError, match="start"):
        optiree.episode(japan, "halt_2010", start="2030Q1")


def test_covered() -> None:
    assert covered("NdPr", ["Nd", "Pr"])
    assert covered("Dy", ["Dy"])
    assert not covered("NdPr", ["Nd"])
    assert not covered("Nd2O3", ["Nd", "O"])


def test_onsets_per_period_by_hand() -> None:
    window = onset_frequency(date(2010, 1, 1), date(2025, 12, 31))
    assert window.names == (
        "quotas_2010",
        "halt_2010",
        "gallium_germanium_2023",
        "heavy_licences_2025",
        "expansion_2025",
    )
    days = (date(2025, 12, 31) - date(2010, 1, 1)).days + 1  # 5,844
    assert window.per_period == pytest.approx(5 / (days / 91.25))
    japan_only = onset_frequency(date(2010, 1, 1), date(2026, 12, 31), target="JP")
    assert len(japan_only.names) == 6  # aimed at all importers count for Japan too
    assert onset_frequency(date(2011, 1, 1), date(2023, 7, 31)).names == ()
    magnets = onset_frequency(date(2010, 1, 1), date(2025, 12, 31), materials=["NdPr", "Dy"])
    assert "gallium_germanium_2023" not in magnets.names
    assert len(magnets.names) == 4
    assert "assumption: yours" in window.summary()
    with pytest.raises(ArgumentError, match="give the window in order"):
        onset_frequency(date(2020, 1, 1), date(2010, 1, 1))


def test_the_command_lists_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["episodes"]) == 0
    printed = capsys.readouterr().out
    assert all(e.name in printed for e in catalogue().episodes)
    assert "Both are assumptions" in printed
    assert main(["episodes", "--start", "2026Q1"]) == 2
    assert "need a problem FILE" in capsys.readouterr().err


def test_the_command_plans_each_episode_that_fits(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["episodes", str(JAPAN), "--start", "2026Q1", "--prices"]) == 0
    printed = capsys.readouterr().out
    assert "Not in this problem (none of its materials or countries): gallium_germanium_2023" in (
        printed
    )
    rows = [line.split() for line in printed.splitlines() if line.split()[:1] != []]
    names = [row[0] for row in rows if len(row) > 1 and row[1] == "optimal"]
    assert names == [
        "none",
        "halt_2010",
        "quotas_2010",
        "heavy_licences_2025",
        "expansion_2025",
        "japan_dual_use_2026",
    ]
    assert main(["episodes", str(JAPAN)]) == 2
    assert "give --start PERIOD" in capsys.readouterr().err
