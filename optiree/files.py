"""Files out, whole or not at all: one file, a table as CSV, a folder of tables and a summary.

Every file is written to a temporary file, flushed to disk and renamed into place, so a reader
never sees half a file; an existing file or set of files is replaced only when asked
(``overwrite=True``), and without it a file that appears while ours is written is left alone
(the final rename is one that fails if the target exists). :func:`write_files` writes a whole
set (tables, summary, figures) before it publishes anything; see its docstring for what an
interruption leaves. Staging files of a killed run are removed by the next write to the same
folder once they are :data:`STALE_AFTER` seconds old (:func:`remove_stale`).
"""

import contextlib
import errno
import importlib
import io
import json
import math
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from optiree.errors import MissingDependencyError, OutputError, OutputTakenError
from optiree.words import (
    CSV_NO_LOWER_LIMIT,
    CSV_NO_UPPER_LIMIT,
    NEEDS_OPENPYXL,
    RESULTS_ABOUT,
    csv_number,
    infinite,
    with_unit,
)

SUMMARY = "summary.json"
"""The file of a folder of tables that is written last: present means the set is complete."""

STALE_AFTER = 3600.0
"""Seconds after which a staging file or folder of optiree's own is taken as left by a killed
run, and removed by the next write to its folder (a live write keeps its staging files for
well under a second: everything is rendered in memory first)."""

_STAGING = re.compile(r"\.(?:.+\.|optiree-)[0-9a-f]{16}\.tmp")
"""The names of optiree's staging files and folders: ``.<name>.<16 hex>.tmp`` beside the
target, ``.optiree-<16 hex>.tmp`` inside a results folder."""


def remove_stale(folder: Path) -> list[Path]:
    """Remove from ``folder`` the staging files and folders of optiree's own (by their name,
    see :data:`_STAGING`) last changed more than :data:`STALE_AFTER` seconds ago, except a
    ``.optiree-*.tmp`` folder that still holds previous results in ``old/`` (a run killed
    while it swapped files in: those are the user's only copy). Best effort: what cannot be
    removed stays. Returns what was removed."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    cutoff = time.time() - STALE_AFTER
    removed = []
    for entry in entries:
        if _STAGING.fullmatch(entry.name) and _stale(entry, cutoff):
            with contextlib.suppress(OSError):
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _stale(entry: os.DirEntry[str], cutoff: float) -> bool:
    """Whether a staging entry is older than ``cutoff`` and holds no previous results."""
    try:
        if entry.stat(follow_symlinks=False).st_mtime >= cutoff:
            return False
        old = Path(entry.path) / "old"
        return not (entry.name.startswith(".optiree-") and old.is_dir() and any(old.iterdir()))
    except OSError:
        return False


def _sync_folder(folder: Path) -> None:
    """Flush a folder's entries (renames) to disk, where the system allows it."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # e.g. Windows, where folders cannot be opened
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path`` (which must not exist), write ``data`` and flush it to disk; on any
    failure, remove what was created. Permissions are 0666 less the umask."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _new_folder(parent: Path, prefix: str) -> Path:
    """A new, empty folder in ``parent`` with a random name (0777 less the umask)."""
    folder = parent / f"{prefix}{secrets.token_hex(8)}.tmp"
    os.mkdir(folder)
    return folder


def _exists_error(path: Path) -> OutputError:
    return OutputTakenError(
        f"{path} already exists: pass overwrite=True (--force on the command line) to replace it"
    )


def _make_folder(folder: Path, target: str) -> None:
    """Make ``folder`` and its parents, as needed.

    Raises:
        OutputTakenError: a folder on the way is a file (``target`` names what was written).
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next(p for p in [folder, *folder.parents] if os.path.lexists(p))
        raise OutputTakenError(
            f"cannot write {target}: {blocker} is a file, not a folder"
        ) from None


def write_atomic(
    path: Path, content: str | bytes, what: str = "", *, overwrite: bool = True
) -> Path:
    """Write ``content`` (text as UTF-8) to ``path`` through a temporary file in the same
    folder, flushed to disk, and a rename, so a reader sees the old file or the new one, never
    half of one; if anything fails, or the run is interrupted, the old file is left as it was
    and the temporary file removed. Missing folders are made; the file gets the usual
    permissions (0666 less the umask).

    With ``overwrite=False`` an existing ``path`` is an error and is left untouched (checked
    before writing, and again, atomically where the file system has hard links, when the file
    is put in place).

    Raises:
        OutputError: "cannot write [<what> to] <path>: <reason>", or "<path> already exists".
    """
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    temporary = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    target = f"{what} to {path}" if what else str(path)
    try:
        _make_folder(path.parent, target)
        remove_stale(path.parent)
        if not overwrite and os.path.lexists(path):
            raise _exists_error(path)
        _write_new(temporary, data)
        try:
            _put(temporary, path, overwrite=overwrite)
        finally:
            temporary.unlink(missing_ok=True)
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error.strerror or error}") from error
    return path


def _put(temporary: Path, path: Path, *, overwrite: bool) -> None:
    """Rename ``temporary`` to ``path``: over any file there with ``overwrite``, else only
    where there is none (an error otherwise)."""
    if overwrite:
        os.replace(temporary, path)
    elif not _placed_new(temporary, path):
        raise _exists_error(path)


def _placed_new(temporary: Path, path: Path) -> bool:
    """Put ``temporary`` at ``path`` unless ``path`` exists; whether it was put there."""
    try:
        os.link(temporary, path)  # atomic: fails if path exists
    except FileExistsError:
        return False
    except OSError:  # no hard links on this file system: check, then rename
        if os.path.lexists(path):
            return False
        os.replace(temporary, path)
    return True


def table_csv(table: pd.DataFrame) -> str:
    """A table as CSV text: a header, no index column, ``\\n`` line ends, each float rounded
    to :data:`optiree.words.CSV_DIGITS` significant digits, an infinity written as a word and
    NaN as an empty cell (:func:`optiree.words.csv_number`)."""
    written = table.copy()
    for name, column in table.items():
        if pd.api.types.is_float_dtype(column):
            written[name] = column.map(csv_number, na_action="ignore")
    return written.to_csv(index=False, lineterminator="\n")


def read_table(path: str | Path) -> pd.DataFrame:
    """A table optiree wrote as CSV, read back with pandas: the words of its infinities
    (:func:`optiree.words.csv_number`) are numbers again, each float equal to the table's to
    :data:`optiree.words.CSV_DIGITS` significant digits."""
    table = pd.read_csv(path)
    for name, column in table.items():
        if column.isin(_INFINITIES).any():
            table[name] = pd.to_numeric(column.replace(_INFINITIES))
    return table


_INFINITIES = {CSV_NO_UPPER_LIMIT: "inf", CSV_NO_LOWER_LIMIT: "-inf"}


def write_table(table: pd.DataFrame, path: Path, *, overwrite: bool = True) -> Path:
    """Write one table as CSV, whole or not at all (see :func:`write_atomic`)."""
    return write_atomic(path, table_csv(table), overwrite=overwrite)


def result_files(tables: Iterable[str]) -> list[str]:
    """The files of a result folder holding ``tables``, in the order they are written:
    ``<table>.csv`` for each, then ``summary.json``."""
    return [f"{name}.csv" for name in tables] + [SUMMARY]


def existing_results(directory: Path, tables: Iterable[str]) -> list[Path]:
    """The result files (``<table>.csv`` and ``summary.json``) already in ``directory``."""
    directory = Path(directory)
    return [directory / name for name in result_files(tables) if os.path.lexists(directory / name)]


def write_tables(
    directory: Path,
    tables: Mapping[str, pd.DataFrame],
    document: Mapping[str, Any],
    *,
    overwrite: bool = False,
    extra: Mapping[str, bytes] | None = None,
) -> Path:
    """Write every table of ``tables`` as ``<name>.csv``, the files of ``extra`` (name ->
    content, e.g. figures) and ``document`` as ``summary.json`` into ``directory``, as one set
    (:func:`write_files`), and return it."""
    data = {f"{name}.csv": table_csv(table).encode("utf-8") for name, table in tables.items()}
    data |= dict(extra or {})
    data[SUMMARY] = (json.dumps(document, indent=2, allow_nan=False) + "\n").encode("utf-8")
    return write_files(Path(directory), data, overwrite=overwrite)


def write_files(directory: Path, data: Mapping[str, bytes], *, overwrite: bool = False) -> Path:
    """Write each file of ``data`` (name -> content) into ``directory`` as one set, and
    return it.

    Every file is first written in full to a temporary folder; only then is anything put in
    place:

    - a new ``directory`` (it, or its parents, do not exist) is the temporary folder renamed:
      it appears complete, or not at all. If another run makes the folder meanwhile, this is
      an "already exists" error, or, with ``overwrite``, the files are swapped into it;
    - an existing folder that holds any file of ``data`` is an error unless ``overwrite=True``;
      with it, ``summary.json`` (if in ``data``) is taken away first, each file is replaced by
      a rename, and the new ``summary.json`` is put in last. Without ``overwrite`` each file is
      put in by a rename that fails if the name appeared meanwhile (then the ones put in are
      taken out again). Only these files are touched: anything else in the folder (notes)
      stays as it is. Two runs swapping into one folder take turns (a lock on the folder,
      where the system has ``fcntl``).

    If writing fails or is interrupted (an error such as a full disk, Ctrl-C), the folder is
    put back as it was and the temporary files are removed. Only if the process is killed
    outright, or the machine stops, during the final renames (a few milliseconds) can a mix of
    old and new files be left; ``summary.json`` is then missing, which marks the set
    incomplete, and the previous files are in the hidden ``.optiree-*.tmp/old`` folder. So: a
    folder with a ``summary.json`` holds one complete set. Staging left by a killed run is
    removed by a later write (:func:`remove_stale`).

    Raises:
        OutputTakenError: ``directory`` holds such files and ``overwrite`` is False (nothing
            is written), or it, or a folder on its path, is a file.
        OutputError: the files cannot be written (nothing is changed).
    """
    directory = Path(directory)
    try:
        if not directory.is_dir():
            _refuse_file(directory)
            _make_folder(directory.parent, f"results to {directory}")
            remove_stale(directory.parent)
            if _new_results(directory, data):
                return directory
            if not overwrite:
                raise _exists_error(directory)
        remove_stale(directory)
        _refuse_existing(directory, data, overwrite=overwrite)
        _replace_results(directory, data, overwrite=overwrite)
    except OSError as error:
        raise OutputError(
            f"cannot write results to {directory}: {error.strerror or error}"
        ) from error
    return directory


def _refuse_file(directory: Path) -> None:
    """Raise OutputTakenError when ``directory`` is there but is not a folder (a folder there
    is another run's, made since this one looked: it is written into as any folder is)."""
    if os.path.lexists(directory) and not os.path.isdir(directory):
        raise OutputTakenError(f"cannot write results to {directory}: it is not a folder")


def _refuse_existing(directory: Path, names: Iterable[str], *, overwrite: bool) -> None:
    """Raise OutputTakenError when ``directory`` holds any of the files ``names`` and
    ``overwrite`` is False."""
    existing = [name for name in names if os.path.lexists(directory / name)]
    if existing and not overwrite:
        raise OutputTakenError(
            f"{directory} already holds results ({existing[0]}, ...): pass "
            "overwrite=True (--force on the command line) to replace them"
        )


def _new_results(directory: Path, data: Mapping[str, bytes]) -> bool:
    """Write the files into a new sibling folder, then rename it to ``directory``: whether it
    was put there (False: ``directory`` appeared meanwhile, and is left alone).

    The name is first claimed by making ``directory`` (which fails if anything is there),
    then the full folder is renamed over the empty claim (which fails if anything was put in
    it meanwhile)."""
    staging = _new_folder(directory.parent, f".{directory.name}.")
    try:
        _write_all(staging, data)
        try:
            os.mkdir(directory)
        except FileExistsError:
            return False
        try:
            os.rename(staging, directory)
        except OSError as error:
            with contextlib.suppress(OSError):
                os.rmdir(directory)  # only while empty: our claim, never another's files
            if error.errno in (errno.ENOTEMPTY, errno.EEXIST):
                return False
            raise
        except BaseException:
            with contextlib.suppress(OSError):
                os.rmdir(directory)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _sync_folder(directory.parent)
    return True


def _replace_results(directory: Path, data: Mapping[str, bytes], *, overwrite: bool) -> None:
    """Write the files into a hidden folder inside ``directory`` (the same file system, so
    renames are atomic), then swap them in, ``summary.json`` out first and in last."""
    staging = _new_folder(directory, ".optiree-")
    new, old = staging / "new", staging / "old"
    try:
        os.mkdir(new)
        os.mkdir(old)
        _write_all(new, data)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        with _locked(directory):
            _swap_in(directory, new, old, list(data), overwrite=overwrite)
    except _NotRestoredError:
        raise  # the previous files are in staging/old: keep them
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    _sync_folder(directory)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (``flock``; none where the system has no
    ``fcntl``, e.g. Windows)."""
    try:
        fcntl = importlib.import_module("fcntl")
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def _write_all(folder: Path, data: Mapping[str, bytes]) -> None:
    """Create each file of ``data`` (name -> content) in ``folder``, then flush the folder."""
    for name, content in data.items():
        _write_new(folder / name, content)
    _sync_folder(folder)


class _NotRestoredError(OutputError):
    """Writing results failed and the previous files could not all be put back."""


def _swap_in(directory: Path, new: Path, old: Path, names: list[str], *, overwrite: bool) -> None:
    """Move each previous file to ``old`` and each file of ``new`` into ``directory``,
    ``summary.json`` out first and in last; on failure put every previous file back. Without
    ``overwrite`` nothing is moved aside: a file that appeared meanwhile (another run's) is
    an error, and stays."""
    order = sorted(names, key=lambda name: name == SUMMARY)  # the others in order, then it
    moved: list[str] = []  # previous files now in old/
    placed: list[str] = []  # new files now in directory/
    try:
        if overwrite:
            _move_aside(directory, old, SUMMARY, moved)
        for name in order:
            if overwrite and name != SUMMARY:
                _move_aside(directory, old, name, moved)
            _put(new / name, directory / name, overwrite=overwrite)
            placed.append(name)
    except BaseException as failure:
        _put_back(directory, old, reversed(order), moved, placed, failure=failure)
        raise


def _move_aside(directory: Path, old: Path, name: str, moved: list[str]) -> None:
    """Move ``directory/name``, if there is one, to ``old``, noting it in ``moved``."""
    if os.path.lexists(directory / name):
        try:
            os.replace(directory / name, old / name)
        except FileNotFoundError:
            return  # gone meanwhile (taken by a program that does not lock): nothing to keep
        moved.append(name)


def _put_back(
    directory: Path,
    old: Path,
    names: Iterable[str],
    moved: list[str],
    placed: list[str],
    *,
    failure: BaseException,
) -> None:
    """Undo :func:`_swap_in` after ``failure``: each previous file back from ``old``, each new
    one removed.

    Raises:
        _NotRestoredError: a previous file cannot be put back (the rest stay in ``old``).
    """
    try:
        for name in names:
            if name in moved:
                os.replace(old / name, directory / name)
            elif name in placed:
                (directory / name).unlink()
    except OSError as error:
        raise _NotRestoredError(
            f"cannot write results to {directory} ({failure}), nor put the previous "
            f"files back ({error.strerror or error}): they are in {old}"
        ) from failure


def openpyxl_module() -> Any:
    """openpyxl, imported on first use (the ``excel`` extra).

    Raises:
        MissingDependencyError: openpyxl is not installed; the message names the pip command.
    """
    try:
        return importlib.import_module("openpyxl")
    except ImportError as error:
        raise MissingDependencyError(NEEDS_OPENPYXL) from error


def workbook_bytes(book: Any) -> bytes:
    """The bytes of an openpyxl workbook, saved in memory."""
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


MONEY_FORMAT = "#,##0.00"
"""The number format of a money column in a results workbook."""
SHARE_FORMAT = "0.0%"
"""The number format of a fraction (a share) in a results workbook."""
NUMBER_FORMAT = "#,##0.00##"
"""The number format of every other number in a results workbook (tonnes, prices): two to four
decimals (``#,##0.######`` would show a whole number as ``1,250.``, with its point)."""


def _number_format(unit: str | None, currency: str) -> str:
    if unit == "fraction":
        return SHARE_FORMAT
    return MONEY_FORMAT if unit == currency else NUMBER_FORMAT


def _cell(value: Any) -> Any:
    """A table's value as a cell holds it: numpy scalars as Python ones, NaN as an empty cell,
    an infinity as a word (Excel has none)."""
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else infinite(value)
    return value


def write_workbook(
    path: Path,
    tables: Mapping[str, pd.DataFrame],
    units: Mapping[str, Mapping[str, str]],
    summary: Iterable[tuple[str, Any, str | None]],
    *,
    currency: str,
    overwrite: bool = False,
) -> Path:
    """Write a results workbook to ``path``, whole or not at all (:func:`write_atomic`): a
    ``summary`` sheet (the rows of ``summary``: name, value, unit) and one sheet per table, its
    headers ``column [unit]`` (``units``: table -> column -> unit, each column by name),
    money, shares and other numbers each in their number format, infinities as words
    (:func:`optiree.words.infinite`).

    Raises:
        MissingDependencyError: openpyxl is not installed (checked before anything is written).
        OutputError: ``path`` exists and ``overwrite`` is False, or it cannot be written.
    """
    openpyxl = openpyxl_module()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = RESULTS_ABOUT
    sheet.append(["name", "value", "unit"])
    for name, value, unit in summary:
        sheet.append([name, _cell(value), unit])
        if isinstance(value, float):
            sheet.cell(sheet.max_row, 2).number_format = _number_format(unit, currency)
    for name, table in tables.items():
        _table_sheet(book.create_sheet(name), table, units.get(name, {}), currency)
    return write_atomic(Path(path), workbook_bytes(book), "the workbook", overwrite=overwrite)


def _table_sheet(sheet: Any, table: pd.DataFrame, units: Mapping[str, str], currency: str) -> None:
    """One table on ``sheet``: headers with units, then its rows, each column formatted."""
    found = [units.get(str(column)) for column in table.columns]
    sheet.append(
        [with_unit(str(column), unit) for column, unit in zip(table.columns, found, strict=True)]
    )
    for row in table.itertuples(index=False):
        sheet.append([_cell(value) for value in row])
    for index, (column, unit) in enumerate(zip(table.columns, found, strict=True), start=1):
        kind = table[column].dtype
        if not pd.api.types.is_numeric_dtype(kind) or pd.api.types.is_bool_dtype(kind):
            continue
        number_format = _number_format(unit, currency)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            cell.number_format = number_format
    sheet.freeze_panes = "A2"
