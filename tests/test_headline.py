"""The headline of a result: an optimal plan that leaves demand unmet says so in the first lines
of ``optiree solve``, ``str(result)``, ``optiree report`` and the HTML report, and
``summary.json`` carries the unmet tonnes; a plan that meets all demand reads as before."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given

import optiree
from optiree.cli import main
from optiree.html import render_report
from optiree.solve import SolverName
from optiree.words import headline
from tests import samples
from tests.checker import resolve
from tests.strategies import problems

FORCED_STATUS = "forced shortage: optimal, but demand is not met (solver: {solver})"
FORCED_UNMET = (
    "Unmet demand over the horizon: Dy 40.0 t (40.0% of its demand), Tb 4.0 t (20.0% of its "
    "demand); shortage penalty 48,000 USD, 82.5% of the total cost"
)


def forced_shortage() -> dict[str, Any]:
    """One mine that cannot meet the Dy and Tb demand; every material has a shortage penalty.

    By hand, over P1 and P2 (buying at 10, 100 and 200 always beats the penalties of 500, 1,000
    and 2,000, so every optimal plan buys all it can of Dy and Tb, and leaves no NdPr short):

    - NdPr: demand 50 + 50 = 100 t, capacity 200 t a period: 100 t bought, 1,000; 0 t short.
    - Dy: demand 40 + 60 = 100 t, capacity 30 t a period: 60 t bought, 6,000; 40 t short
      (40.0% of 100 t), 40 x 1,000 = 40,000.
    - Tb: demand 10 + 10 = 20 t, capacity 8 t a period: 16 t bought, 3,200; 4 t short (20.0%
      of 20 t), 4 x 2,000 = 8,000.

    Total cost 1,000 + 6,000 + 3,200 + 40,000 + 8,000 = 58,200, of which the shortage penalty
    48,000 is 82.47...%, shown as 82.5%. (How the shortage splits between P1 and P2 differs
    between optimal plans; the totals over the horizon do not.)
    """
    return {
        "name": "forced shortage",
        "periods": ["P1", "P2"],
        "materials": [{"id": "NdPr"}, {"id": "Dy"}, {"id": "Tb"}],
        "reference_prices": {"NdPr": 10, "Dy": 100, "Tb": 200},
        "sources": [{"id": "mine", "country": "AU", "capacity": {"NdPr": 200, "Dy": 30, "Tb": 8}}],
        "demand": {"NdPr": 50, "Dy": {"P1": 40, "P2": 60}, "Tb": 10},
        "shortage_penalty": {"NdPr": 500, "Dy": 1000, "Tb": 2000},
    }


def _solve(document: dict[str, Any], solver: SolverName = "highs") -> optiree.Result:
    return optiree.solve(optiree.Problem.model_validate(document), solver=solver)


def _file(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "problem.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


class _Summary(HTMLParser):
    """The text of each paragraph of the HTML report's summary section, with its classes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.section = False
        self.paragraph = False
        self.paragraphs: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2":
            self.section = ("id", "summary") in attrs
        elif tag == "p" and self.section:
            self.paragraph = True
            self.paragraphs.append((dict(attrs).get("class") or "", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.paragraph = False

    def handle_data(self, data: str) -> None:
        if self.paragraph:
            classes, text = self.paragraphs[-1]
            self.paragraphs[-1] = (classes, text + data)


def _summary_section(page: str) -> list[tuple[str, str]]:
    parser = _Summary()
    parser.feed(page)
    return parser.paragraphs


def test_the_headline_of_a_forced_shortage(solver: SolverName) -> None:
    result = _solve(forced_shortage(), solver)
    assert result.status == "optimal"
    assert result.total_cost == pytest.approx(58_200)
    unmet = result.unmet.set_index("material")
    assert list(unmet.index) == ["NdPr", "Dy", "Tb"]
    assert list(unmet["demand"]) == pytest.approx([100, 100, 20])
    assert list(unmet["tonnes"]) == pytest.approx([0, 40, 4])
    assert list(unmet["share"]) == pytest.approx([0, 0.4, 0.2])
    assert list(unmet["cost"]) == pytest.approx([0, 40_000, 8_000])
    head = headline(result)
    assert head.status == FORCED_STATUS.format(solver=solver)
    assert head.unmet == FORCED_UNMET
    assert str(result) == f"{head.status}\n{FORCED_UNMET}"
    assert result.summary().splitlines()[:2] == [head.status, FORCED_UNMET]
    assert result.summary().splitlines()[3] == "Total cost: 58,200 USD"


def test_the_command_line_says_demand_is_not_met_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path, forced_shortage())
    out = tmp_path / "results"
    assert main(["solve", str(path), "--out", str(out)]) == 0  # optimal: it is a plan
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [FORCED_STATUS.format(solver="highs"), FORCED_UNMET]
    document = json.loads((out / "summary.json").read_text())
    assert document["status"] == "optimal"
    assert document["unmet_tonnes"] == pytest.approx({"NdPr": 0, "Dy": 40, "Tb": 4})

    page = tmp_path / "report.html"
    assert main(["report", str(path), "--out", str(page)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        FORCED_STATUS.format(solver="highs"),
        FORCED_UNMET,
        f"Report written to {page}",
    ]


def test_the_html_summary_says_demand_is_not_met() -> None:
    problem = optiree.Problem.model_validate(forced_shortage())
    paragraphs = _summary_section(render_report(problem, optiree.solve(problem)))
    assert paragraphs[:3] == [
        ("status bad", FORCED_STATUS.format(solver="highs")),
        ("unmet", FORCED_UNMET),
        ("", "Total cost: 58,200 USD"),
    ]


def test_a_plan_that_meets_all_demand_has_no_such_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """two_country: 50 t of Dy, bought from China and Lynas; nothing can go short. With a
    shortage penalty above every price the plan is the same and still meets all demand."""
    penalised = samples.two_country() | {"shortage_penalty": {"Dy": 1000}}
    for document in (samples.two_country(), penalised):
        result = _solve(document)
        assert result.total_cost == pytest.approx(6_000)
        assert headline(result).unmet is None
        assert str(result) == "two country: optimal (solver: highs)"
        first, second = result.summary().splitlines()[:2]
        assert first == str(result)
        assert second.startswith("Units:")
        problem = optiree.Problem.model_validate(document)
        paragraphs = _summary_section(render_report(problem, result))
        assert paragraphs[:2] == [
            ("status", "two country: optimal (solver: highs)"),
            ("", "Total cost: 6,000 USD"),
        ]
        out = tmp_path / document["name"].replace(" ", "_") / str(len(document))
        assert json.loads((result.write(out) / "summary.json").read_text())["unmet_tonnes"] == {
            "Dy": 0.0
        }
    assert main(["solve", str(_file(tmp_path, penalised))]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "two country: optimal (solver: highs)"


def test_a_problem_without_a_plan_has_no_unmet_tonnes(tmp_path: Path) -> None:
    document = samples.two_country() | {"demand": {"Dy": 500}}
    result = _solve(document)
    assert result.status == "infeasible"
    assert str(result) == "two country: infeasible (solver: highs)"
    assert list(result.unmet.columns) == ["material", "demand", "tonnes", "share", "cost"]
    assert result.unmet.empty
    assert (
        json.loads((result.write(tmp_path / "r") / "summary.json").read_text())["unmet_tonnes"]
        == {}
    )


def test_a_tiny_shortage_is_not_rounded_away() -> None:
    """Capacity 49.99 t against a demand of 50 t: 0.01 t short (0.02% of the demand), at a
    penalty of 1,000 per tonne, 10 of a total cost of 10 + 49.99 x 100 = 5,009."""
    document = {
        "name": "tiny",
        "periods": ["P1"],
        "materials": [{"id": "Dy"}],
        "reference_prices": {"Dy": 100},
        "sources": [{"id": "mine", "country": "AU", "capacity": {"Dy": 49.99}}],
        "demand": {"Dy": 50},
        "shortage_penalty": {"Dy": 1000},
    }
    assert headline(_solve(document)).unmet == (
        "Unmet demand over the horizon: Dy 0.01 t (0.02% of its demand); shortage penalty "
        "10 USD, 0.2% of the total cost"
    )


UNMET = re.compile(r"(\w+) ([\d,.e-]+) t \(([\d,.e-]+)% of its demand\)")
PENALTY = re.compile(r"; shortage penalty ([\d,-]+) USD(?:, ([\d,.e-]+)% of the total cost)?$")


def _number(text: str) -> float:
    return float(text.replace(",", ""))


@given(problems(elastic=True))
def test_the_headline_never_hides_a_shortage_no_plan_can_avoid(problem: optiree.Problem) -> None:
    """Every material can go short, at a penalty. Over the horizon no plan can bring in more
    of a material than its initial stock, what its sources can deliver and what substitutes
    can save, so the demand beyond that goes unmet in every plan (summing the balance rows):
    the headline names that material with at least that many tonnes. It names exactly the
    materials the shortage table shows short, with their tonnes, share of demand and the
    penalty's share of the total cost, rounded as shown."""
    result = optiree.solve(problem)
    assert result.status == "optimal", result.message
    numbers = resolve(problem)
    short = result.shortage.groupby("material", sort=False)["tonnes"].sum()
    demand = {m: sum(numbers.demand[m, t] for t in numbers.periods) for m in numbers.materials}
    head = headline(result)
    shown = {} if head.unmet is None else {m: (t, s) for m, t, s in UNMET.findall(head.unmet)}
    assert set(shown) == {m for m in numbers.materials if short.get(m, 0.0) > 0}
    for m in numbers.materials:
        most = numbers.initial[m]
        most += sum(numbers.most(s, m, t) for s in numbers.country for t in numbers.periods)
        most += sum(
            numbers.saves[k].get(m, 0.0) * units for (k, _), units in numbers.sub_capacity.items()
        )
        unavoidable = demand[m] - most
        if unavoidable > 1e-6 * max(1.0, demand[m]):
            assert m in shown
        if m in shown:
            tonnes, share = (_number(x) for x in shown[m])
            assert tonnes == pytest.approx(short[m], rel=0.05, abs=0.05)
            assert tonnes >= unavoidable - 0.05 - 1e-6 * demand[m]
            assert share == pytest.approx(100 * short[m] / demand[m], rel=0.05, abs=0.05)
    if head.unmet is None:
        assert head.status == "random: optimal (solver: highs)"
        return
    assert head.status == "random: optimal, but demand is not met (solver: highs)"
    penalty = sum(numbers.penalty[m] * short.get(m, 0.0) for m in numbers.materials)
    match = PENALTY.search(head.unmet)
    assert match is not None, head.unmet
    assert _number(match.group(1)) == pytest.approx(penalty, abs=0.5 + 1e-9 * penalty)
    total = result.total_cost or 0.0
    assert (match.group(2) is not None) == (total > 0)
    if total > 0:
        assert _number(match.group(2)) == pytest.approx(100 * penalty / total, rel=0.05, abs=0.05)


def test_the_docs_show_the_headline_optiree_prints() -> None:
    """docs/user_guide.md's short-of-Dy problem: one mine, 30 t a quarter against 40 and 60 t.
    By hand: 60 t bought for 6,000 USD, 40 t of 100 t unmet (40.0%) at 1,000 USD a tonne,
    40,000 USD of a total 46,000 USD (86.96%, shown as 87.0%)."""
    docs = Path(__file__).resolve().parents[1] / "docs"
    guide = (docs / "user_guide.md").read_text()
    (block,) = [b for b in re.findall(r"```yaml\n(.*?)```", guide, re.S) if "short of Dy" in b]
    result = _solve(yaml.safe_load(block))
    assert result.total_cost == pytest.approx(46_000)
    ((material, *figures),) = result.unmet.itertuples(index=False, name=None)
    assert material == "Dy"
    assert figures == pytest.approx([100, 40, 0.4, 40_000])
    shown = str(result) + "\n"
    assert shown == (
        "short of Dy: optimal, but demand is not met (solver: highs)\n"
        "Unmet demand over the horizon: Dy 40.0 t (40.0% of its demand); shortage penalty "
        "40,000 USD, 87.0% of the total cost\n"
    )
    for page in ("user_guide.md", "results.md"):
        assert shown in re.findall(r"```text\n(.*?)```", (docs / page).read_text(), re.S), page
    assert '"unmet_tonnes": {"Dy": 40.0}' in guide
    assert "| Dy | 100.0 | 40.0 | 0.4 | 40000.0 |" in (docs / "results.md").read_text()
