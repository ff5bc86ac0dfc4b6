"""Files out, whole or not at all: one file, a table as CSV, a folder of tables and a summary.

Every file is written to a temporary file, flushed to disk and renamed into place, so a reader
never sees half a file; an existing file or set of tables is replaced only when asked
(``overwrite=True``). :func:`write_tables` writes the whole set before it replaces anything;
see its docstring for what an interruption leaves.
"""

import json
import os
import secrets
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from optiree.errors import OutputError

SUMMARY = "summary.json"
"""The file of a folder of tables that is written last: present means the set is complete."""


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
    return OutputError(
        f"{path} already exists: pass overwrite=True (--force on the command line) to replace it"
    )


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
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not overwrite and os.path.lexists(path):
            raise _exists_error(path)
        _write_new(temporary, data)
        try:
            _put(temporary, path, overwrite=overwrite)
        finally:
            temporary.unlink(missing_ok=True)
    except OSError as error:
        target = f"{what} to {path}" if what else str(path)
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
    """A table as CSV text: a header, full precision, no index column, ``\\n`` line ends."""
    return table.to_csv(index=False, lineterminator="\n")


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
) -> Path:
    """Write every table of ``tables`` as ``<name>.csv``, then ``document`` as
    ``summary.json``, into ``directory`` and return it.

    Every file is first rendered in memory and written in full to a temporary folder; only
    then is anything put in place:

    - a new ``directory`` (it, or its parents, do not exist) is the temporary folder renamed:
      it appears complete, or not at all;
    - an existing folder that holds such files (any ``<name>.csv`` or ``summary.json``) is an
      error unless ``overwrite=True``; with it, ``summary.json`` is taken away first, each table
      is replaced by a rename, and the new ``summary.json`` is put in last. Only these files
      are touched: anything else in the folder (notes, figures) stays as it is.

    If writing fails or is interrupted (an error, Ctrl-C), the folder is put back as it was
    and the temporary files are removed. Only if the process is killed outright, or the machine
    stops, during the final renames (a few milliseconds) can a mix of old and new tables be
    left; ``summary.json`` is then missing, which marks the set incomplete, and the previous
    files are in the hidden ``.optiree-*.tmp/old`` folder. So: a folder with a
    ``summary.json`` holds one complete set.

    Raises:
        OutputError: ``directory`` holds results and ``overwrite`` is False (nothing is
            written), or the files cannot be written (nothing is changed).
    """
    directory = Path(directory)
    data = {f"{name}.csv": table_csv(table).encode("utf-8") for name, table in tables.items()}
    data[SUMMARY] = (json.dumps(document, indent=2, allow_nan=False) + "\n").encode("utf-8")
    try:
        if directory.is_dir():
            _refuse_existing(directory, tables, overwrite=overwrite)
            _replace_results(directory, data)
        elif os.path.lexists(directory):
            raise OutputError(f"cannot write results to {directory}: it is not a folder")
        else:
            _new_results(directory, data)
    except OSError as error:
        raise OutputError(
            f"cannot write results to {directory}: {error.strerror or error}"
        ) from error
    return directory


def _refuse_existing(directory: Path, tables: Iterable[str], *, overwrite: bool) -> None:
    """Raise OutputError when ``directory`` holds such tables and ``overwrite`` is False."""
    existing = existing_results(directory, tables)
    if existing and not overwrite:
        raise OutputError(
            f"{directory} already holds results ({existing[0].name}, ...): pass "
            "overwrite=True (--force on the command line) to replace them"
        )


def _new_results(directory: Path, data: dict[str, bytes]) -> None:
    """Write the files into a new sibling folder, then rename it to ``directory``."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = _new_folder(directory.parent, f".{directory.name}.")
    try:
        _write_all(staging, data)
        os.rename(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _sync_folder(directory.parent)


def _replace_results(directory: Path, data: dict[str, bytes]) -> None:
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
        _swap_in(directory, new, old, list(data))
    except _NotRestoredError:
        raise  # the previous files are in staging/old: keep them
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    _sync_folder(directory)


def _write_all(folder: Path, data: Mapping[str, bytes]) -> None:
    """Create each file of ``data`` (name -> content) in ``folder``, then flush the folder."""
    for name, content in data.items():
        _write_new(folder / name, content)
    _sync_folder(folder)


class _NotRestoredError(OutputError):
    """Writing results failed and the previous files could not all be put back."""


def _swap_in(directory: Path, new: Path, old: Path, names: list[str]) -> None:
    """Move each previous file to ``old`` and each file of ``new`` into ``directory``,
    ``summary.json`` out first and in last; on failure put every previous file back."""
    order = [name for name in names if name != SUMMARY] + [SUMMARY]
    moved: list[str] = []  # previous files now in old/
    placed: list[str] = []  # new files now in directory/
    try:
        _move_aside(directory, old, SUMMARY, moved)
        for name in order:
            if name != SUMMARY:
                _move_aside(directory, old, name, moved)
            os.replace(new / name, directory / name)
            placed.append(name)
    except BaseException as failure:
        _put_back(directory, old, reversed(order), moved, placed, failure=failure)
        raise


def _move_aside(directory: Path, old: Path, name: str, moved: list[str]) -> None:
    """Move ``directory/name``, if there is one, to ``old``, noting it in ``moved``."""
    if os.path.lexists(directory / name):
        os.replace(directory / name, old / name)
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
