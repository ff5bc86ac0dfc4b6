"""Files in and out: problem documents (YAML or JSON) and result folders.

Problems are read with a safe YAML loader that also reads ``1e6`` as a number (YAML 1.2) and
refuses repeated keys; anything wrong with a file is reported as a pydantic ValidationError, like
every other bad input. Results are written one file at a time through a temporary file and a
rename, so a reader never sees a half-written file.
"""

import json
import os
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml
from pydantic import ValidationError

from optiree.errors import OutputError
from optiree.schema import Problem, error_detail

if TYPE_CHECKING:
    from optiree.results import Result


class _Loader(yaml.SafeLoader):
    """Safe loading, YAML 1.2 floats (``1e6``), and an error on a repeated key."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _file_error(kind: str, message: str, path: Path) -> ValidationError:
    return ValidationError.from_exception_data(
        "Problem", [error_detail(("file",), kind, message, str(path))]
    )


def parse_document(text: str, path: Path) -> Any:
    """The plain data of a YAML or JSON document (JSON when ``path`` ends in .json)."""
    if not text.strip():
        raise _file_error("empty_file", f"{path} is empty: expected a problem document", path)
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise _file_error(
            "json_syntax", f"{path}: invalid JSON at {where}: {error.msg}", path
        ) from None
    except yaml.YAMLError as error:
        raise _file_error("yaml_syntax", f"{path}: invalid YAML: {error}", path) from None


def load_problem(path: str | Path) -> Problem:
    """Read and validate a problem file (.yaml, .yml or .json).

    Raises:
        FileNotFoundError: no such file.
        pydantic.ValidationError: the file is empty, does not parse, or is not a valid problem;
            each error's ``loc`` names the field.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise _file_error("encoding", f"{path} is not UTF-8 text: {error.reason}", path) from None
    return Problem.model_validate(parse_document(text, path))


def write_atomic(path: Path, content: str | bytes, what: str = "") -> Path:
    """Write ``content`` (text as UTF-8) to ``path`` through a temporary file in the same
    folder and a rename, so a reader sees the old file or the new one, never half of one.
    Missing folders are made; the file gets the usual permissions (0666 less the umask).

    Raises:
        OutputError: "cannot write [<what> to] <path>: <reason>".
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    temporary = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    except OSError as error:
        target = f"{what} to {path}" if what else str(path)
        raise OutputError(f"cannot write {target}: {error.strerror or error}") from error
    return path


def summary_document(result: "Result") -> dict[str, Any]:
    """The JSON-ready summary of a result: status, costs by component, the tables written."""
    by_component = result.costs.groupby("component", sort=False)["cost"].sum()
    return {
        "problem": result.problem_name,
        "status": result.status.value,
        "message": result.message,
        "solver": result.solver,
        "currency": result.currency,
        "total_cost": result.total_cost,
        "cost_by_component": {str(k): float(v) for k, v in by_component.items()},
        "input_units": result.input_units.model_dump(),
        "units": {
            f"{table}.{column}": unit
            for table, column, unit in result.units().itertuples(index=False)
        },
        "tables": [f"{name}.csv" for name in result.tables()],
    }


def write_table(table: pd.DataFrame, path: Path) -> Path:
    """Write one table as CSV, whole or not at all."""
    return write_atomic(path, table.to_csv(index=False, lineterminator="\n"))


def write_result(result: "Result", directory: Path) -> Path:
    """Write every table of ``result`` as CSV and ``summary.json`` into ``directory``."""
    for name, table in result.tables().items():
        csv = table.to_csv(index=False, lineterminator="\n")
        write_atomic(directory / f"{name}.csv", csv, "results")
    text = json.dumps(summary_document(result), indent=2, allow_nan=False)
    write_atomic(directory / "summary.json", text + "\n", "results")
    return directory
