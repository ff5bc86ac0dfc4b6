"""The HTML report: well-formed, self-contained, the Result's numbers, escaped input, and
written atomically."""

import base64
import math
import os
import re
import struct
import sys
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

import optiree
from optiree.html import render_report, write_report
from tests import samples
from tests.samples import JAPAN, frontier_result

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
IMAGE = '<img src="data:image/png;base64,'
PNG = b"\x89PNG\r\n\x1a\n"


class TagChecker(HTMLParser):
    """Records every opened non-void tag and every mismatch between an end tag and the
    element it should close, plus every ``src`` and ``href``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.errors: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [(k, v or "") for k, v in attrs if k in {"src", "href"}]
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [(k, v or "") for k, v in attrs if k in {"src", "href"}]

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            self.errors.append(f"end tag for void element <{tag}>")
        elif not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.open[-1] if self.open else None}>")
        else:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check(page: str) -> TagChecker:
    checker = TagChecker()
    checker.feed(page)
    checker.close()
    assert checker.errors == []
    assert checker.open == [], f"never closed: {checker.open}"
    return checker


@pytest.fixture(scope="module")
def japan() -> tuple[optiree.Problem, optiree.Result]:
    problem = optiree.load_problem(JAPAN)
    return problem, optiree.solve(problem)


@pytest.fixture(scope="module")
def page(japan: tuple[optiree.Problem, optiree.Result]) -> str:
    problem, result = japan
    sensitivity = {"Lynas price": pd.DataFrame({"multiplier": [1.5, 2.0], "total": [1.0, 2.0]})}
    return render_report(problem, result, frontier=frontier_result(), sensitivity=sensitivity)


def small() -> tuple[optiree.Problem, optiree.Result]:
    problem = optiree.Problem.model_validate(samples.two_country())
    return problem, optiree.solve(problem)


def test_the_page_is_well_formed(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>\n")
    check(page)


def test_one_png_per_figure(page: str, japan: tuple[optiree.Problem, optiree.Result]) -> None:
    assert page.count(IMAGE) == 4  # sourcing mix, stock, costs, frontier
    for encoded in re.findall(re.escape(IMAGE) + r'([A-Za-z0-9+/=]+)"', page):
        data = base64.b64decode(encoded, validate=True)
        assert data.startswith(PNG)
        width, height = struct.unpack(">II", data[16:24])  # from the IHDR chunk
        assert width > 500
        assert height > 300
    problem, result = japan
    assert render_report(problem, result).count(IMAGE) == 3  # no frontier given


def test_the_page_references_nothing_outside_itself(page: str) -> None:
    # base64 (the figures) may hold "http", never a colon
    assert re.search(r"https?:", page, re.IGNORECASE) is None
    for tag in ("<link", "<script", "<iframe", "<object", "@import", "url("):
        assert tag not in page.lower()
    links = check(page).links
    assert links
    for attribute, value in links:
        assert value.startswith("data:image/png;base64," if attribute == "src" else "#")
    anchors = {value[1:] for attribute, value in links if attribute == "href"}
    assert all(f'id="{anchor}"' in page for anchor in anchors)


def test_the_page_shows_the_numbers_of_the_result(
    page: str, japan: tuple[optiree.Problem, optiree.Result]
) -> None:
    _, result = japan
    assert result.total_cost is not None
    assert f"<strong>{result.total_cost:,.0f} USD</strong>" in page
    assert "1,345,119,637 USD" in page  # as `optiree solve examples/japan_2026.yaml` prints
    for component, cost in result.costs.groupby("component", sort=False)["cost"].sum().items():
        assert re.search(rf'<th scope="row">{component}</th><td class="n">{cost:,.0f}</td>', page)
    # Lynas' cost is that of its feeds (item = feed id).
    feeds = result.costs[result.costs["component"] == "feeds"]
    assert list(feeds["item"]) == ["mt_weld_reo", "mt_weld_reo_hre"]
    rows = {
        m.group(1): m.group(0) for m in re.finditer(r'<tr><th scope="row">([^<]*)</th>.*', page)
    }
    assert len(result.binding) == 32  # three stock rules and the JARE minimum, 8 quarters each
    for rule in result.binding.itertuples():
        row = rows[str(rule.constraint)]
        assert f'<td class="n">{rule.shadow_price:,.2f}</td>' in row
        if not math.isnan(rule.cost_per_point):  # a contract has no rule parameter to tighten
            assert f'<td class="n">{rule.cost_per_point:,.0f}</td>' in row
    # The tonnes per source are those delivered (result.supply), feeds' yields included: Lynas
    # sells only through its feeds, so it has no purchases row, yet it has a row for each
    # material: 0.5 x 1,000 t = 500 t of NdPr every quarter.
    assert "lynas" not in set(result.purchases["source"])
    supply = result.supply
    section = page.split('<h2 id="supply">')[1].split('<h2 id="substitution">', 1)[0]
    blocks = {block.split(" ", 1)[0]: block for block in section.split("<h3>")[1:]}
    assert list(blocks) == ["NdPr", "Dy", "Tb"]
    for material, block in blocks.items():
        rows_of = supply[supply["material"] == material]
        delivering = rows_of.groupby("source", sort=False)["tonnes"].sum()
        shown = re.findall(r'<tr><th scope="row">([^<]*)</th>', block)
        assert set(shown) == set(delivering[delivering > 0].index)
        lynas = rows_of[rows_of["source"] == "lynas"]
        assert (lynas["bought"] == 0).all()
        cells = "".join(f'<td class="n">{t:,.1f}</td>' for t in lynas["tonnes"])
        assert f'<th scope="row">lynas</th><th scope="row">MY</th>{cells}</tr>' in block
    assert set(shown) == {"china", "lynas"}
    ndpr_row = '<th scope="row">lynas</th><th scope="row">MY</th>'
    assert ndpr_row + '<td class="n">500.0</td>' * 8 in blocks["NdPr"]  # the JARE minimum
    # "-" where a source cannot supply: MP Materials (US) in 2026Q1.
    assert '<th scope="row">NdPr</th><th scope="row">US</th><td class="n">-</td>' in page


def test_the_frontier_and_sensitivity_tables_are_shown(page: str) -> None:
    assert '<h2 id="frontier">' in page
    assert '<td class="n">2,000</td>' in page  # a marginal cost per point
    assert "<h3>Lynas price</h3>" in page


def _headers(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h) for h in re.findall(r'<th scope="col">(.*?)</th>', page)]


def test_analysis_tables_read_as_words_with_units(
    japan: tuple[optiree.Problem, optiree.Result],
) -> None:
    """Issue 17: the sensitivity tables' headers were snake_case without units, and
    infinities and flags were printed as Python writes them (inf, True, False)."""
    problem, result = japan
    tables = {**optiree.sensitivity(result).tables(), "constraints": result.constraints}
    page = render_report(problem, result, frontier=frontier_result(), sensitivity=tables)
    headers = _headers(page)
    assert not [h for h in headers if "_" in h]
    assert "allowable increase [t REO (units for ramp rows)]" in headers
    assert "marginal cost [USD/t REO]" in headers  # the demand table
    assert "total cost [EUR]" in headers  # the frontier's own currency
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", page)
    assert not {"inf", "-inf", "True", "False", "nan"} & set(cells)
    assert {"infinite", "yes", "no"} <= set(cells)
    # Every table scrolls in its own box, so a wide one cannot widen the page.
    assert page.count('<div class="wide"><table>') == page.count("<table>")


def test_every_input_string_is_escaped() -> None:
    document = samples.two_country()
    document["name"] = "<script>alert('name')</script>"
    document["description"] = 'a "quoted" & <b>bold</b> plan'
    document["currency"] = "<i>EUR</i>"
    document["materials"][0]["name"] = "<u>Dy</u>"
    problem = optiree.Problem.model_validate(document)
    result = optiree.solve(problem)
    hostile = pd.DataFrame({"<th>": ["<td>", "</table>"], "x": [1.0, 2.0]})
    text = render_report(problem, result, sensitivity={"</h3><script>": hostile})
    check(text)
    assert "<script" not in text
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in text
    assert "a &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt; plan" in text
    assert "&lt;i&gt;EUR&lt;/i&gt;" in text
    assert "<i>" not in text
    assert "&lt;u&gt;Dy&lt;/u&gt;" in text
    assert "<td>&lt;/table&gt;</td>" in text


def test_a_problem_without_a_plan_gives_a_page_that_says_so() -> None:
    document = samples.two_country()
    document["demand"] = {"Dy": 500}
    problem = optiree.Problem.model_validate(document)
    result = optiree.solve(problem)
    text = render_report(problem, result, frontier=frontier_result())
    check(text)
    assert "No plan: the problem is infeasible" in text
    assert escape(result.message) in text
    assert IMAGE not in text
    assert "Total cost" not in text


def test_write_report_replaces_a_file_whole_and_leaves_no_temporary_file(
    tmp_path: Path,
) -> None:
    problem, result = small()
    path = tmp_path / "report.html"
    path.write_text("old " * 1_000_000)
    before = path.stat().st_ino
    assert write_report(problem, result, path) == path
    assert path.read_text(encoding="utf-8") == render_report(problem, result)
    assert path.stat().st_ino != before  # renamed into place, not rewritten in place
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_failed_write_keeps_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    problem, result = small()
    path = tmp_path / "report.html"
    path.write_text("old report")

    def refuse(source: str, target: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(optiree.OutputError, match=r"cannot write the report to .*report\.html"):
        write_report(problem, result, path)
    assert path.read_text() == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_write_report_creates_the_folder(tmp_path: Path) -> None:
    problem, result = small()
    path = write_report(problem, result, tmp_path / "new" / "folder" / "report.html")
    check(path.read_text(encoding="utf-8"))


def test_the_same_result_gives_the_same_page() -> None:
    problem, result = small()
    assert render_report(problem, result) == render_report(problem, result)


def test_the_report_needs_matplotlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    problem, result = small()
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(optiree.MissingDependencyError, match=r"pip install 'optiree\[plot\]'"):
        write_report(problem, result, tmp_path / "report.html")
    assert list(tmp_path.iterdir()) == []


def test_a_problem_with_stages_shows_its_shares_by_stage() -> None:
    """The stage figure and the table of each country's share at each stage [%], in words
    with units; the Japan case without stages has neither (test_one_png_per_figure)."""
    problem = optiree.load_problem(samples.JAPAN_STAGES)
    result = optiree.solve(problem)
    page = render_report(problem, result)
    check(page)
    assert page.count(IMAGE) == 4  # sourcing mix, stock, costs, shares by stage
    caption = "Share of each country at each stage [% of the stage&#x27;s tonnes]"
    assert f"<figcaption>{caption}, over the horizon</figcaption>" in page
    assert f'<h2 id="stage-shares">{caption}, per period</h2>' in page
    table = page.split('<h2 id="stage-shares">', 1)[1].split("</table>", 1)[0]
    assert [h for h in _headers(table) if "_" in h] == []
    assert _headers(table)[:3] == ["stage", "material", "country"]
    # Dy at the oxide stage in 2026Q1: China separates 95.8%, Malaysia (Kuantan) 4.2%.
    row = re.search(r"<th[^>]*>oxide</th><th[^>]*>Dy</th><th[^>]*>CN</th>(.*?)</tr>", table)
    assert row is not None, table[:2000]
    first = re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))[0]
    shares = result.stage_shares.set_index(["stage", "material", "country", "period"])["share"]
    assert first == f"{100 * shares[('oxide', 'Dy', 'CN', '2026Q1')]:.1f}" == "95.8"
    plain = render_report(*small())
    assert "stage-shares" not in plain
