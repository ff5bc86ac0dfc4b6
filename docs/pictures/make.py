"""Make the pictures of the user guide (docs/user_guide.md) from the real objects and files.

- ``notebook_card.png``: what Jupyter shows for the Japan case's result (its ``_repr_html_``),
  in a notebook-like cell, with its first table opened as a click would.
- ``workbook_prices.png`` and ``plan_summary.png``: the Excel workflow of docs/excel.md, run
  for real: ``optiree template japan.xlsx --from examples/japan_2026.yaml``, NdPr's reference
  price changed from 96000 to 120000 (openpyxl doing what a person does in Excel), ``optiree
  solve japan.xlsx --out plan.xlsx``; then the cells of the ``reference_prices`` sheet of
  ``japan.xlsx`` and of the ``summary`` sheet of ``plan.xlsx``, as openpyxl reads them, drawn
  as a spreadsheet grid with the workbook's sheet tabs.

- ``japan_stage_shares.png`` (docs/japan.md, "Japan at every stage"): the figure of
  ``optiree.plots.stage_shares`` for ``examples/japan_2026_stages.yaml`` without disruption,
  as ``optiree solve FILE --out DIR`` writes it (``stage_shares.png``).

Each page is written as HTML and photographed by Debian's headless Chromium (``apt-get install
chromium``); Pillow (which matplotlib brings) trims the blank margin. The pictures are
committed: the site is built without a browser. Run it again when the card or the workbook
layout changes::

    python docs/pictures/make.py
"""

import html
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter
from PIL import Image, ImageChops

import optiree
from optiree.files import MONEY_FORMAT, NUMBER_FORMAT, SHARE_FORMAT

HERE = Path(__file__).resolve().parent
JAPAN = HERE.parents[1] / "examples" / "japan_2026.yaml"
JAPAN_STAGES = JAPAN.with_name("japan_2026_stages.yaml")
EDITED = ("NdPr", 96000, 120000)
"""The price a person changes in Excel: material, old and new reference price [USD/t REO]."""
STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 13px; margin: 12px;
       background: white; color: #222; }
.cell { display: flex; gap: 8px; margin-bottom: 6px; }
.prompt { color: #303f9f; font-family: "DejaVu Sans Mono", monospace; min-width: 60px; }
.out { color: #d84315; }
.input { font-family: "DejaVu Sans Mono", monospace; background: #f5f5f5; padding: 6px 10px;
         border: 1px solid #e0e0e0; flex: 1; }
table.dataframe { border-collapse: collapse; margin: 4px 0; }
table.dataframe th, table.dataframe td { padding: 3px 10px; text-align: right; }
table.dataframe thead th { border-bottom: 1px solid #555; }
table.dataframe tbody tr:nth-child(odd) { background: #f5f5f5; }
summary { cursor: pointer; color: #303f9f; margin: 4px 0; }
table.grid { border-collapse: collapse; font-family: Calibri, Carlito, Arial, sans-serif; }
table.grid td, table.grid th { border: 1px solid #d4d4d4; padding: 2px 8px; height: 18px;
                               white-space: nowrap; }
table.grid th { background: #efefef; color: #555; font-weight: normal; text-align: center; }
table.grid td.number { text-align: right; }
table.grid tr:first-child td { font-weight: bold; }
table.grid td.edited { background: #fff2a8; outline: 2px solid #217346; }
.title { background: #217346; color: white; padding: 4px 10px; font-weight: bold; }
.tabs { display: flex; flex-wrap: wrap; max-width: 760px; border-top: 1px solid #bbb;
        font-size: 12px; }
.tabs span { padding: 3px 10px; border-right: 1px solid #ccc; color: #444; }
.tabs span.active { background: white; color: #217346; font-weight: bold;
                    border-bottom: 3px solid #217346; }
"""


def page(body: str) -> str:
    """A whole HTML page around ``body``, in the pictures' style."""
    return f'<!doctype html><meta charset="utf-8"><style>{STYLE}</style><body>{body}</body>'


def notebook_html(result: optiree.Result) -> str:
    """A notebook cell that evaluates ``result`` and the card Jupyter shows for it (its first
    table opened)."""
    card = result._repr_html_().replace("<details>", "<details open>", 1)
    return page(
        '<div class="cell"><span class="prompt">In [3]:</span>'
        '<div class="input">result = optiree.solve(problem)<br>result</div></div>'
        f'<div class="cell"><span class="prompt out">Out[3]:</span><div>{card}</div></div>'
    )


def shown(value: Any, number_format: str) -> str:
    """A cell's value as Excel shows it in the number formats optiree writes (``General``
    otherwise): ``#,##0.00##`` shows two to four decimals."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "" if value is None else str(value)
    if number_format == MONEY_FORMAT:
        return f"{value:,.2f}"
    if number_format == SHARE_FORMAT:
        return f"{value:.1%}"
    if number_format == NUMBER_FORMAT:
        four = f"{value:,.4f}"
        return four[:-2] + four[-2:].rstrip("0")
    return f"{value:.10g}"


def _cell(cell: Any, edited: bool) -> str:
    classes = ["number"] if isinstance(cell.value, int | float) else []
    classes += ["edited"] if edited else []
    text = html.escape(shown(cell.value, cell.number_format))
    return f'<td class="{" ".join(classes)}">{text}</td>'


def workbook_html(path: Path, sheet: str, *, rows: int = 20, edited: str = "") -> str:
    """The cells of ``sheet`` in the workbook at ``path`` (its first ``rows`` rows) as a
    spreadsheet grid, the cell named ``edited`` (``"D4"``) highlighted, under the file's name
    and over the workbook's sheet tabs."""
    book = openpyxl.load_workbook(path)
    cells = book[sheet]
    width = cells.max_column
    head = "".join(f"<th>{get_column_letter(column)}</th>" for column in range(1, width + 1))
    lines = [f"<tr><th></th>{head}</tr>"]
    last = min(rows, cells.max_row)
    for number, row in enumerate(cells.iter_rows(max_row=last, max_col=width), start=1):
        tds = "".join(_cell(cell, cell.coordinate == edited) for cell in row)
        lines.append(f"<tr><th>{number}</th>{tds}</tr>")
    tabs = "".join(
        f'<span class="{"active" if name == sheet else ""}">{html.escape(name)}</span>'
        for name in book.sheetnames
    )
    return page(
        f'<div style="display:inline-block"><div class="title">{html.escape(path.name)}</div>'
        f'<table class="grid">{"".join(lines)}</table><div class="tabs">{tabs}</div></div>'
    )


def edit_price(path: Path) -> str:
    """Change :data:`EDITED`'s reference price in the workbook at ``path``, as a person does in
    Excel; the cell changed (``"D4"``)."""
    material, old, new = EDITED
    book = openpyxl.load_workbook(path)
    for item, _field, _period, value in book["reference_prices"].iter_rows(min_row=2):
        if item.value == material:
            assert value.value == old, value.value
            value.value = new
            book.save(path)
            return str(value.coordinate)
    raise LookupError(f"no {material} on the reference_prices sheet of {path}")


def excel_workflow(folder: Path) -> tuple[Path, Path, str]:
    """Run the workflow of docs/excel.md in ``folder`` with the ``optiree`` command: the problem
    workbook, the plan workbook and the cell edited."""
    optiree_command = [sys.executable, "-m", "optiree.cli"]
    problem, plan = folder / "japan.xlsx", folder / "plan.xlsx"
    template = [*optiree_command, "template", problem, "--from", JAPAN]
    subprocess.run(template, check=True)  # noqa: S603  # this interpreter, our arguments
    edited = edit_price(problem)
    solve = [*optiree_command, "solve", problem, "--out", plan]
    subprocess.run(solve, check=True)  # noqa: S603  # this interpreter, our arguments
    return problem, plan, edited


def screenshot(page_html: str, picture: Path, width: int = 1000) -> None:
    """Photograph ``page_html`` in headless Chromium into ``picture``, trimmed to its content."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("needs Chromium: apt-get install chromium")
    with tempfile.TemporaryDirectory() as folder:
        source, shot = Path(folder) / "page.html", Path(folder) / "shot.png"
        source.write_text(page_html)
        subprocess.run(  # noqa: S603  # Chromium from PATH, our arguments
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--window-size={width},1600", f"--screenshot={shot}", source.as_uri()],
            check=True, capture_output=True,
        )  # fmt: skip
        image = Image.open(shot).convert("RGB")
        box = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
        assert box is not None, "the page is blank"
        left, top, right, bottom = box
        image.crop((max(left - 8, 0), max(top - 8, 0), right + 8, bottom + 8)).save(picture)


def stage_shares_png() -> bytes:
    """The stage figure of the Japan case at every stage, without disruption (PNG bytes)."""
    from optiree import plots  # noqa: PLC0415

    return plots.png(plots.stage_shares(optiree.solve(optiree.load_problem(JAPAN_STAGES))))


def main() -> None:
    (HERE / "japan_stage_shares.png").write_bytes(stage_shares_png())
    problem = optiree.load_problem(JAPAN)
    screenshot(notebook_html(optiree.solve(problem)), HERE / "notebook_card.png", 900)
    with tempfile.TemporaryDirectory() as folder:
        book, plan, edited = excel_workflow(Path(folder))
        prices = workbook_html(book, "reference_prices", edited=edited)
        screenshot(prices, HERE / "workbook_prices.png")
        screenshot(workbook_html(plan, "summary", rows=24), HERE / "plan_summary.png")
    print(f"pictures written to {HERE}")


if __name__ == "__main__":
    main()
