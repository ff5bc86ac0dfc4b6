"""The problems shown in docs/ are valid, solve, and give the figures the text states."""

import math
import re
from pathlib import Path

import pytest
import yaml

import optiree
from optiree.cli import main
from optiree.disruption.scenarios import disrupted
from optiree.sensitivity import sensitivity

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _problems() -> list[tuple[str, str]]:
    found = []
    for page in sorted(DOCS.glob("*.md")):
        for i, block in enumerate(re.findall(r"```yaml\n(.*?)```", page.read_text(), re.S)):
            if re.search(r"^materials:", block, re.MULTILINE):  # a whole problem, not a part
                found.append((f"{page.name}#{i}", block))
    return found


PROBLEMS = _problems()


def test_the_docs_show_problems() -> None:
    assert len(PROBLEMS) >= 2, "expected the problems of input.md and user_guide.md"


@pytest.mark.parametrize(("where", "block"), PROBLEMS, ids=[w for w, _ in PROBLEMS])
def test_doc_problem_solves(where: str, block: str) -> None:
    result = optiree.solve(optiree.Problem.model_validate(yaml.safe_load(block)))
    assert result.status == "optimal", (where, result.message)


def test_user_guide_figures() -> None:
    block = dict(PROBLEMS)["user_guide.md#0"]
    result = optiree.solve(optiree.Problem.model_validate(yaml.safe_load(block)))
    # 30 t x 300,000 + 20 t x 450,000; one tonne moved costs 150,000; one point is 0.5 t.
    assert result.total_cost == pytest.approx(18_000_000)
    (rule,) = result.binding.itertuples()
    assert rule.constraint == "max_share(CN,Dy,P1)"
    assert rule.shadow_price == pytest.approx(150_000)
    assert rule.cost_per_point == pytest.approx(75_000)
    text = (DOCS / "user_guide.md").read_text()
    assert "18 000 000" in text
    assert "150 000 USD per tonne" in text
    assert "75 000 USD" in text


def test_units_example_figures() -> None:
    (block,) = [b for w, b in PROBLEMS if "t magnet" in b]
    result = optiree.solve(optiree.Problem.model_validate(yaml.safe_load(block)))
    # 10,000 t of magnet x 0.35 = 3,500 t REO at 80 USD/kg = 80,000 USD/t.
    assert result.total_cost == pytest.approx(280_000_000)
    assert "280,000,000 USD" in (DOCS / "input.md").read_text()
    assert "input: demand in t magnet, prices per kg REO" in result.summary()


@pytest.mark.parametrize(
    ("name", "cost"), [("co-products", 197_300), ("offtake", 11_000), ("ramp", 4_500)]
)
def test_supply_page_figures(name: str, cost: float) -> None:
    (block,) = [b for w, b in PROBLEMS if w.startswith("supply.md") and f"name: {name}\n" in b]
    result = optiree.solve(optiree.Problem.model_validate(yaml.safe_load(block)))
    assert result.total_cost == pytest.approx(cost)
    assert f"**{cost:,}**" in (DOCS / "supply.md").read_text()


def _opening(text: str) -> list[str]:
    """The first lines of a summary: the headline, the units, "Total cost:" and the component
    lines under it."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Total cost:"))
    end = start + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    return lines[:end]


@pytest.mark.parametrize("scenario", [None, "controls_2026"])
def test_japan_case_study_shows_the_current_costs(scenario: str | None) -> None:
    """docs/japan.md pastes the opening of `optiree solve` on the file as it stands, and of
    `optiree solve --scenario controls_2026` (headline with the unmet demand, cost block)."""
    problem = optiree.load_problem(DOCS.parent / "examples" / "japan_2026.yaml")
    faced = problem if scenario is None else disrupted(problem, scenario)
    expected = _opening(optiree.solve(faced).summary())
    blocks = re.findall(r"```text\n(.*?)```", (DOCS / "japan.md").read_text(), re.S)
    pasted = [_opening(block) for block in blocks if block.startswith(expected[0])]
    assert pasted, f"docs/japan.md should show the summary that starts {expected[0]!r}"
    assert pasted[0] == expected


def test_sensitivity_page_shows_the_current_summary() -> None:
    problem = optiree.load_problem(DOCS.parent / "examples" / "japan_2026.yaml")
    expected = sensitivity(optiree.solve(problem)).summary()
    blocks = re.findall(r"```text\n(.*?)```", (DOCS / "sensitivity.md").read_text(), re.S)
    assert expected in blocks


def _frontier_rows(text: str) -> list[tuple[float, float, float, bool]]:
    """(level, total cost, cost per point, breakpoint) of each row of a printed frontier."""
    rows = []
    for line in text.splitlines()[2:-1]:
        level, cost, *rest = line.split()
        per_point = float(rest[0].replace(",", "")) if rest and rest[0] != "*" else math.nan
        rows.append((float(level), float(cost.replace(",", "")), per_point, "*" in rest))
    return rows


def test_frontier_page_shows_the_current_curve(capsys: pytest.CaptureFixture[str]) -> None:
    """The page's table is the command's, to the solvers' rounding: the same levels and
    breakpoints, costs to 1e-8 and costs per point to 1e-6 (the last printed digit of a cost
    per point, and the number of solves, can move with the HiGHS version)."""
    assert main(["frontier", str(DOCS.parent / "examples" / "japan_2026.yaml")]) == 0
    printed = capsys.readouterr().out
    blocks = re.findall(r"```text\n(.*?)```", (DOCS / "frontier.md").read_text(), re.S)
    (shown,) = [b for b in blocks if b.splitlines()[0] == printed.splitlines()[0]]
    got, want = _frontier_rows(printed), _frontier_rows(shown)
    assert [(level, kink) for level, _, _, kink in got] == [(r[0], r[3]) for r in want]
    assert [r[1] for r in got] == pytest.approx([r[1] for r in want], rel=1e-8)
    assert [r[2] for r in got] == pytest.approx([r[2] for r in want], rel=1e-6, nan_ok=True)


def test_input_reference_scenarios_fit_the_japan_case() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", (DOCS / "input.md").read_text(), re.S)
    (block,) = [b for b in blocks if b.startswith("scenarios:")]
    japan = optiree.load_problem(DOCS.parent / "examples" / "japan_2026.yaml")
    problem = optiree.Problem.model_validate(japan.model_dump() | yaml.safe_load(block))
    assert [s.name for s in problem.scenarios] == ["dy_tb_embargo_3m", "lynas_outage", "calm"]
    for scenario in problem.scenarios:
        assert optiree.apply(problem, scenario).scenarios == []
