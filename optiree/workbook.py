"""A problem as an Excel workbook (.xlsx): the layout, the template and reading one back.

One sheet per part of the problem (the top-level keys of the YAML file, see
:data:`SHEETS`), each with the columns ``item``, ``field``, ``period`` and ``value``
(:data:`optiree.words.WORKBOOK_COLUMNS`): one row per value. ``item`` is the id a value
belongs to (a material of ``demand``), the number of an entry in a list sheet (the 1st,
2nd... source) or a setting (``initial`` in ``stock``); ``field`` the path inside it, with
dots between names and ``[n]`` for the n-th entry of a list (``feeds[1].yields.Nd``);
``period`` the period of a per-period value. A list of ids is written ``[Nd, Dy]``; text that
starts with ``[``, ``{`` or ``'`` is written after a ``'``. docs/excel.md shows an example.

Reading a workbook gives the same document a YAML file would: it is validated as one, and
every error names the sheet, row and column of the cell it comes from. openpyxl is needed
(``pip install 'optiree[excel]'``); it is imported on first use.
"""

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_origin

from pydantic import ValidationError

from optiree.files import openpyxl_module, workbook_bytes, write_atomic
from optiree.schema import Problem, error_detail
from optiree.words import SHEET_NOTES, WORKBOOK_ABOUT, WORKBOOK_COLUMNS, cell_place

ABOUT = "about"
"""The first sheet of a problem workbook: the layout in words (not read back)."""
SHEETS = tuple(SHEET_NOTES)
"""The sheets of a problem workbook after ``about``, in order: ``problem`` (name, currency,
periods, units...), then one per part of the problem."""
SETTINGS = ("name", "description", "currency", "units", "periods", "period_days", "stages")
"""The top-level keys on the ``problem`` sheet (their name in ``item``)."""
LISTS = frozenset(
    name
    for name, info in Problem.model_fields.items()
    if get_origin(info.annotation) is list and name not in SETTINGS
)
"""The sheets whose items are numbered entries of a list (1, 2, ...): every list of the
problem but the settings (materials, sources, investments...)."""
_QUOTED = ("[", "{", "'", "=")
_PATH = re.compile(r"(?:[^.\[\]]+|\[[1-9][0-9]*\])(?:\.[^.\[\]]+|\[[1-9][0-9]*\])*")
_PART = re.compile(r"([^.\[\]]+)|\[([0-9]+)\]")
_COLUMN = dict(zip(WORKBOOK_COLUMNS, "ABCD", strict=True))

Path_ = tuple[str | int, ...]


# --- writing: a problem (or nothing) -> the rows of each sheet ---


def problem_rows(problem: Problem) -> dict[str, list[tuple[Any, str, str, Any]]]:
    """The rows (item, field, period, value) of each sheet for ``problem``: what it holds
    other than the defaults, one value a row."""
    document = problem.model_dump(mode="json", exclude_defaults=True)
    periods = set(problem.periods)
    rows: dict[str, list[tuple[Any, str, str, Any]]] = {sheet: [] for sheet in SHEETS}
    for key, value in document.items():
        if key in SETTINGS:
            rows["problem"].extend(_item_rows(key, value, periods))
            continue
        items = enumerate(value, start=1) if key in LISTS else value.items()
        for item, entry in items:
            rows[key].extend(_item_rows(item, entry, periods))
    return rows


def _item_rows(item: Any, value: Any, periods: set[str]) -> Iterator[tuple[Any, str, str, Any]]:
    for path, leaf in _leaves(value, ()):
        last = path[-1] if path else None
        if isinstance(last, str) and last in periods:
            yield item, _field_text(path[:-1]), last, _cell_text(leaf)
        else:
            yield item, _field_text(path), "", _cell_text(leaf)


def _leaves(value: Any, path: Path_) -> Iterator[tuple[Path_, Any]]:
    """Every value of a document under ``path``: scalars, lists of ids and empty containers
    are leaves; mappings and lists of mappings are walked into."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _field_text(path: Path_) -> str:
    text = "".join(f"[{part + 1}]" if isinstance(part, int) else f".{part}" for part in path)
    return text.removeprefix(".")


def _cell_text(value: Any) -> Any:
    """A leaf as a cell holds it: a list as ``[a, b]``, ``{}`` for an empty mapping, text that
    could be read as one of those after a ``'``."""
    if isinstance(value, list):
        return "[" + ", ".join(str(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, str) and value.startswith(_QUOTED):
        return "'" + value
    if isinstance(value, float) and float(f"{value:.15g}") != value:
        return f"={value!r}"  # more digits than a cell keeps: as text, read back exactly
    return value


def template(problem: Problem | None = None) -> bytes:
    """A problem workbook (its .xlsx bytes): filled from ``problem``, or blank (the sheets
    with their headers and notes). Needs openpyxl."""
    openpyxl = openpyxl_module()
    comments = openpyxl.comments.Comment
    book = openpyxl.Workbook()
    about = book.active
    about.title = ABOUT
    for line in WORKBOOK_ABOUT:
        about.append([line])
    about.column_dimensions["A"].width = 100
    rows = problem_rows(problem) if problem is not None else {}
    for name in SHEETS:
        sheet = book.create_sheet(name)
        sheet.append(list(WORKBOOK_COLUMNS))
        for cell in sheet[1]:
            cell.font = openpyxl.styles.Font(bold=True)
        sheet["D1"].comment = comments(SHEET_NOTES[name], "optiree")
        for row in rows.get(name, []):
            sheet.append(list(row))
            if isinstance(row[3], str) and row[3].startswith("="):
                sheet.cell(sheet.max_row, 4).data_type = "s"
        for column, width in zip("ABCD", (18, 32, 12, 18), strict=True):
            sheet.column_dimensions[column].width = width
        sheet.freeze_panes = "A2"
    return workbook_bytes(book)


def write_template(path: Path, problem: Problem | None = None, *, overwrite: bool = False) -> Path:
    """Write :func:`template` to ``path``, whole or not at all (an existing file is replaced
    only with ``overwrite``).

    Raises:
        MissingDependencyError: openpyxl is not installed (before anything is written).
        OutputError: ``path`` exists and ``overwrite`` is False, or it cannot be written.
    """
    return write_atomic(Path(path), template(problem), "the workbook", overwrite=overwrite)


# --- reading: the rows of each sheet -> a problem ---


class _CellError(Exception):
    """A cell that cannot be read: where it is and what is wrong."""

    def __init__(self, sheet: str, row: int, column: str, message: str) -> None:
        place = cell_place(sheet, row, f"{_COLUMN[column]} ({column})")
        super().__init__(f"{place}: {message}")


@dataclass
class _Document:
    """The document read so far, and the cell (sheet, row) each of its values came from."""

    tree: dict[str | int, Any] = field(default_factory=dict)
    places: dict[Path_, tuple[str, int]] = field(default_factory=dict)

    def put(self, path: Path_, value: Any, sheet: str, row: int) -> None:
        node = self.tree
        for depth, part in enumerate(path[:-1]):
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise self._clash(path[: depth + 1], sheet, row)
        if path[-1] in node:
            raise self._clash(path, sheet, row)
        node[path[-1]] = value
        self.places[path] = (sheet, row)

    def _clash(self, path: Path_, sheet: str, row: int) -> _CellError:
        first = next(where for key, where in self.places.items() if key[: len(path)] == path)
        return _CellError(
            sheet, row, "field", f"this value is given already, in {cell_place(*first, 'D')}"
        )


def read_problem(path: Path) -> Problem:
    """The problem in the workbook ``path``, validated.

    Raises:
        MissingDependencyError: openpyxl is not installed.
        pydantic.ValidationError: the workbook cannot be read (at ``file``, naming the sheet,
            row and column) or the problem is not valid (each error at its field, its message
            naming the cell).
    """
    openpyxl = openpyxl_module()
    unreadable = (
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        openpyxl.utils.exceptions.InvalidFileException,
    )
    try:
        # The values a spreadsheet program saved, and the formulas behind them: a formula no
        # program has computed (a workbook written by a script) has no value to read.
        book = openpyxl.load_workbook(path, data_only=True)
        formulas = openpyxl.load_workbook(path)
    except unreadable as error:
        raise _file_error(f"{path} is not an Excel workbook (.xlsx): {error}", path) from None
    try:
        document = _read_book(book, formulas)
    except _CellError as error:
        raise _file_error(f"{path}: {error}", path) from None
    finally:
        book.close()
        formulas.close()
    try:
        return Problem.model_validate(_listed(document.tree))
    except ValidationError as error:
        raise _placed(error, document.places) from None


def _file_error(message: str, path: Path) -> ValidationError:
    return ValidationError.from_exception_data(
        "Problem", [error_detail(("file",), "workbook", message, str(path))]
    )


def _read_book(book: Any, formulas: Any) -> _Document:
    document = _Document()
    for sheet in book.worksheets:
        if sheet.title == ABOUT:
            continue
        if sheet.title not in SHEETS:
            raise _CellError(
                sheet.title,
                1,
                "item",
                f"no such part of a problem; the sheets are {', '.join(SHEETS)}",
            )
        _read_sheet(sheet, formulas[sheet.title], document)
    return document


def _read_sheet(sheet: Any, formulas: Any, document: _Document) -> None:
    name = sheet.title
    rows = sheet.iter_rows(values_only=True)
    header = tuple(_text(cell) for cell in next(rows, ()))[:4]
    if header != WORKBOOK_COLUMNS:
        raise _CellError(name, 1, "item", f"the headers must be {', '.join(WORKBOOK_COLUMNS)}")
    for number, cells in enumerate(rows, start=2):
        item, path, period, value = (tuple(cells) + (None,) * 4)[:4]
        if value is None and _uncomputed(formulas, number):
            raise _CellError(
                name,
                number,
                "value",
                "a formula without a saved value: open and save the workbook in a spreadsheet "
                "program so that the cell holds what it computes, or type the number",
            )
        if value in (None, ""):
            continue
        key = _item(name, number, item)
        parts = (*key, *_path(name, number, path), *([_text(period)] if _text(period) else []))
        document.put(parts, _value(name, number, value), name, number)


def _uncomputed(formulas: Any, row: int) -> bool:
    """Row ``row``'s value cell holds a formula (the values' cell being empty)."""
    written = formulas.cell(row=row, column=len(WORKBOOK_COLUMNS)).value
    return isinstance(written, str) and written.startswith("=")


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def _item(sheet: str, row: int, item: Any) -> Path_:
    """The path of a row's item: the top-level key on ``problem``, the entry of a list sheet
    (from 0), or the sheet and its key."""
    text = _text(item)
    if not text:
        raise _CellError(sheet, row, "item", "no item: name the id, entry or setting")
    if sheet == "problem":
        if text not in SETTINGS:
            raise _CellError(sheet, row, "item", f"no such setting; they are {', '.join(SETTINGS)}")
        return (text,)
    if sheet in LISTS:
        if not text.isdigit() or int(text) < 1:
            raise _CellError(sheet, row, "item", f"{text!r} is not an entry number (1, 2, ...)")
        return sheet, int(text) - 1
    return sheet, text


def _path(sheet: str, row: int, text: Any) -> Path_:
    text = _text(text)
    if not text:
        return ()
    if not _PATH.fullmatch(text):
        raise _CellError(
            sheet, row, "field", f"{text!r} is not a path: names between dots, [n] for an entry"
        )
    return tuple(name if name else int(number) - 1 for name, number in _PART.findall(text))


def _value(sheet: str, row: int, value: Any) -> Any:
    """A cell's value in the document: a number or text as it is, ``[a, b]`` a list,
    ``{}`` an empty mapping, text after a ``'`` as it follows."""
    if isinstance(value, bool | int | float):
        return value
    if not isinstance(value, str):
        raise _CellError(sheet, row, "value", f"{value!r} is neither a number nor text")
    if value.startswith("'"):
        return value[1:]
    if value.startswith("="):
        return _exact(sheet, row, value)
    if value.strip() == "{}":
        return {}
    if value.startswith("["):
        if not value.rstrip().endswith("]"):
            raise _CellError(
                sheet, row, "value", f"{value!r} opens a list with [ but does not close it"
            )
        inside = value.strip()[1:-1].strip()
        return [part.strip() for part in inside.split(",")] if inside else []
    return value


def _exact(sheet: str, row: int, text: str) -> float:
    """A number written as ``=<digits>`` (one that needs more digits than a cell keeps)."""
    try:
        return float(text[1:])
    except ValueError:
        raise _CellError(
            sheet,
            row,
            "value",
            f"{text!r} is a formula without a value: type the number, or "
            "open and save the workbook in Excel so that the cell holds what it computes",
        ) from None


def _listed(node: Any) -> Any:
    """The document with each mapping keyed by entry numbers turned into its list (entries in
    order of their numbers; a number left out closes the gap)."""
    if not isinstance(node, dict):
        return node
    if node and all(isinstance(key, int) for key in node):
        return [_listed(node[key]) for key in sorted(node)]
    return {key: _listed(value) for key, value in node.items()}


def _tree_path(loc: tuple[str | int, ...], places: dict[Path_, tuple[str, int]]) -> Path_:
    """``loc`` (entries counted in the list) as the path it was read at (entries by number),
    without pydantic's tags of a per-period value."""
    found: Path_ = ()
    for part in loc:
        if part in {"by_period", "value"}:
            continue
        numbers = sorted(_entries(found, places)) if isinstance(part, int) else []
        found = (*found, numbers[part] if isinstance(part, int) and part < len(numbers) else part)
    return found


def _entries(path: Path_, places: dict[Path_, tuple[str, int]]) -> set[int]:
    """The entry numbers read under ``path``."""
    size = len(path)
    return {
        int(key[size])
        for key in places
        if key[:size] == path and len(key) > size and isinstance(key[size], int)
    }


def _place(loc: tuple[str | int, ...], places: dict[Path_, tuple[str, int]]) -> str:
    """Where the cell of ``loc`` is: its value, or the first row under the nearest field."""
    path = _tree_path(loc, places)
    for size in range(len(path), 0, -1):
        under = [where for key, where in places.items() if key[:size] == path[:size]]
        if under:
            column = "D (value)" if size == len(path) else "B (field)"
            return cell_place(*min(under, key=lambda where: where[1]), column)
    top = path[0] if path else ""
    if top in SHEETS:
        return f"sheet {top!r}"
    return f"sheet 'problem', no row with item {top!r}"


def _placed(error: ValidationError, places: dict[Path_, tuple[str, int]]) -> ValidationError:
    """``error`` with each message after the cell its field was read from."""
    return ValidationError.from_exception_data(
        "Problem",
        [
            error_detail(
                tuple(detail["loc"]),
                detail["type"],
                f"{_place(tuple(detail['loc']), places)}: {detail['msg']}",
                detail.get("input"),
            )
            for detail in error.errors(include_url=False)
        ],
    )
