"""The HTML report of the Japan case as a person sees it: opened in headless Chromium (Debian's
``chromium`` and ``chromium-driver``, driven by Selenium) in a window 1280 px wide.

The page fits the window, every figure has loaded, the costs on the page are the Result's to
the digits printed (read from the page's text, not from optiree's formatting), headers are
words with units, and no Python word (``inf``, ``True``, ``nan``) shows. One browser for the
module. Without Chromium the module is skipped, except under CI (``CI`` set), where it fails:
CI installs the browser (.ci/run), so a missing one is a broken CI, not a reason to skip.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import optiree
from optiree.frontier import Frontier
from optiree.html import write_report
from optiree.rules import Rule
from optiree.sensitivity import sensitivity
from tests.samples import JAPAN, JAPAN_STAGES, frontier_table

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WIDTH = 1280
MISSING = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
if MISSING and not os.environ.get("CI"):
    pytest.skip(
        f"no browser ({', '.join(MISSING)} missing): apt-get install chromium chromium-driver",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402  # only where a browser is there to drive
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

NUMBER = re.compile(r"-?[\d,]+(?:\.\d+)?")
PYTHON_WORDS = re.compile(r"\b(?:-?inf|True|False|nan|NaN|None)\b")


@pytest.fixture(scope="module")
def result() -> optiree.Result:
    """The Japan case's plan."""
    plan = optiree.solve(optiree.load_problem(JAPAN))
    assert plan.is_optimal, plan.message
    return plan


@pytest.fixture(scope="module")
def browser(result: optiree.Result, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Chromium, 1280 px wide, showing the Japan case's report with its sensitivity tables and
    a frontier (as ``optiree report`` writes it), and the result's 14-column constraints table
    (any table may be passed), whose ranges hold infinities."""
    assert not MISSING, f"CI must run the browser test, but {', '.join(MISSING)} is missing"
    problem = optiree.load_problem(JAPAN)
    frontier = Frontier(frontier_table(), Rule.MAX_SHARE, "CN", result.currency, solves=8)
    page = write_report(
        problem,
        result,
        tmp_path_factory.mktemp("report") / "report.html",
        frontier=frontier,
        sensitivity={**sensitivity(result).tables(), "constraints": result.constraints},
    )
    yield from _showing(page)


def _showing(page: Path) -> Iterator[Any]:
    """Chromium, 1280 px wide, showing ``page``; quit after."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)  # Selenium Manager must not look for a browser
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in CI
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--window-size={WIDTH},900",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.get(page.as_uri())
        yield driver
    finally:
        driver.quit()


def test_the_window_is_1280_px_wide(browser: Any) -> None:
    assert browser.execute_script("return window.innerWidth") == WIDTH


def test_the_page_fits_the_window(browser: Any) -> None:
    """Issue 17: the 12-column sensitivity table ran off the page ("binding" cut to "bindin")."""
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= WIDTH
    rights = browser.execute_script(
        "return Array.from(document.querySelectorAll('table'),"
        " t => t.parentElement.getBoundingClientRect().right)"
    )
    assert len(rights) > 10
    assert max(rights) <= WIDTH


def test_every_figure_has_loaded(browser: Any) -> None:
    images = browser.find_elements(By.TAG_NAME, "img")
    assert len(images) == 4  # demand met, stock, costs, frontier
    for image in images:
        assert browser.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth > 0", image
        ), image.get_attribute("alt")
        assert image.size["width"] > 0


def _printed(text: str) -> tuple[float, int]:
    """A number as printed (``1,345,119,637``, ``64.1``) and its decimals."""
    match = NUMBER.fullmatch(text.strip())
    assert match, text
    decimals = len(text.split(".")[1]) if "." in text else 0
    return float(text.replace(",", "")), decimals


def _same(printed: str, value: float) -> None:
    number, decimals = _printed(printed)
    assert number == round(value, decimals), (printed, value)


def _rows(browser: Any, table: Any) -> list[list[str]]:
    """The texts of the table's body, row by row (read in one call)."""
    rows: list[list[str]] = browser.execute_script(
        "return Array.from(arguments[0].tBodies[0].rows, "
        "r => Array.from(r.cells, c => c.innerText))",
        table,
    )
    return rows


def _texts(browser: Any, selector: str) -> list[str]:
    """The text of every element ``selector`` finds (read in one call)."""
    texts: list[str] = browser.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]), e => e.innerText)", selector
    )
    return texts


def test_the_total_and_each_cost_shown_are_the_results(
    browser: Any, result: optiree.Result
) -> None:
    assert result.total_cost is not None
    body = browser.find_element(By.TAG_NAME, "body").text
    total = re.search(r"Total cost: ([\d,.]+) (\S+)", body)
    assert total, body[:500]
    _same(total.group(1), result.total_cost)
    assert total.group(2) == result.currency
    table = browser.find_element(By.XPATH, "//h2[@id='summary']/following::table[1]")
    headers = [th.text for th in table.find_elements(By.XPATH, ".//thead//th")]
    assert headers == ["component", f"cost [{result.currency}]", "share of total [%]"]
    by_component = result.costs.groupby("component", sort=False)["cost"].sum()
    shown = {component: (cost, share) for component, cost, share in _rows(browser, table)}
    assert list(shown) == list(by_component.index)
    for component, cost in by_component.items():
        _same(shown[str(component)][0], cost)
        _same(shown[str(component)][1], cost / result.total_cost * 100)
    assert sum(_printed(cost)[0] for cost, _ in shown.values()) == pytest.approx(
        result.total_cost, abs=len(shown)
    )


def test_headers_are_words_with_units(browser: Any, result: optiree.Result) -> None:
    """Issue 17: headers were snake_case (``allowable_increase``), without units."""
    currency = result.currency
    headers = [h.replace("\n", " ") for h in _texts(browser, "thead th")]
    assert not [h for h in headers if "_" in h]
    for expected in (
        f"shadow price [{currency}/t REO ({currency}/unit for ramp rows)]",
        "allowable increase [t REO (units for ramp rows)]",
        f"marginal cost [{currency}/t REO]",
        f"entry price [{currency}/t]",
        f"total cost [{currency}]",
        f"marginal cost per point [{currency} per 0.01]",
    ):
        assert expected in headers


def test_every_numeric_column_of_an_analysis_has_a_unit(browser: Any) -> None:
    """In the sensitivity and frontier tables a column of numbers says its unit (``level``
    and ``tier`` are counts, explained in the note above the table)."""
    tables = browser.find_elements(
        By.XPATH, "//h2[@id='sensitivity' or @id='frontier']/following::table"
    )
    assert len(tables) >= 6
    for table in tables:
        headers, numeric = browser.execute_script(
            "const t = arguments[0], row = t.tBodies[0].rows[0];"
            "return [Array.from(t.tHead.rows[0].cells, c => c.innerText),"
            " row ? Array.from(row.cells, c => c.classList.contains('n')) : []]",
            table,
        )
        for header, number in zip(headers, numeric, strict=False):
            if number and header not in ("level", "tier"):
                assert re.search(r"\[.+\]", header), header


def test_no_python_word_shows(browser: Any) -> None:
    """Issue 17: ``inf``, ``True`` and ``False`` appeared raw; an infinity is a word."""
    cells = _texts(browser, "td")
    assert not [c for c in cells if PYTHON_WORDS.search(c)]
    assert "infinite" in cells  # ranges with no end (HiGHS's ranging of the constraints)
    assert {"yes", "no"} <= set(cells)  # binding, breakpoint


def test_the_frontier_table_reads_as_the_frontier(browser: Any) -> None:
    table = browser.find_element(By.XPATH, "//h2[@id='frontier']/following::table[1]")
    rows = _rows(browser, table)
    expected = frontier_table()
    assert len(rows) == len(expected)
    for row, (_, want) in zip(rows, expected.iterrows(), strict=True):
        cost = row[3]
        if pd.isna(want["total_cost"]):
            assert cost == "-"
        else:
            _same(cost, want["total_cost"])
        assert row[5] == ("yes" if want["breakpoint"] else "no")


@pytest.fixture(scope="module")
def stages_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Chromium, 1280 px wide, showing the report of the Japan case at every stage."""
    assert not MISSING, f"CI must run the browser test, but {', '.join(MISSING)} is missing"
    problem = optiree.load_problem(JAPAN_STAGES)
    folder = tmp_path_factory.mktemp("stages")
    yield from _showing(write_report(problem, optiree.solve(problem), folder / "report.html"))


def test_the_stage_report_fits_the_window(stages_browser: Any) -> None:
    """The stage figure and the table of shares by stage (eight periods wide) fit 1280 px."""
    width = stages_browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= WIDTH
    table = stages_browser.find_element(By.XPATH, "//h2[@id='stage-shares']/following::table[1]")
    assert table.rect["x"] + table.rect["width"] <= WIDTH
    images = stages_browser.find_elements(By.TAG_NAME, "img")
    assert len(images) == 4  # demand met, stock, costs, shares by stage
    for image in images:
        assert stages_browser.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth > 0", image
        )
        assert 0 < image.size["width"] <= WIDTH
