"""Reading a problem document (YAML or JSON); writing files is :mod:`optiree.files`.

Problems are read with a safe YAML loader (plain data only: no tag can run code or
build an object) that also reads ``1e6`` as a number (YAML 1.2), reads no plain word as a
boolean (``country: NO`` is Norway) and refuses repeated keys; its errors name the file. Files
larger than :data:`MAX_FILE_BYTES`, documents nested deeper than :data:`MAX_DEPTH` and documents
with more than :data:`MAX_VALUES` values once every alias is expanded (an "alias bomb") are
refused before they are built. Anything wrong with a file is reported as a pydantic
ValidationError at the path ``file``, like every other bad input.
"""

import json
import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import ValidationError

from optiree import arguments
from optiree.schema import Problem, error_detail

MAX_FILE_BYTES = 20_000_000
"""The largest problem document read, in bytes (20 MB); larger files are refused unread."""

MAX_DEPTH = 100
"""The deepest nesting of lists and mappings in a problem document (a real one needs about 6)."""

MAX_VALUES = 500_000
"""The most values (scalars, lists and mappings, keys included) in a problem document, with
every YAML alias counted in full at each use; the Japan example has about 300."""

MAX_NUMBER_CHARS = 1_000
"""The longest whole number read, in characters (the largest number a problem may hold, 1e12,
has 13 digits): a longer one is a typo, refused at ``file`` with its line (Python itself refuses
to read whole numbers of more than 4,300 digits)."""

WORKBOOK_SUFFIX = ".xlsx"
"""The suffix of an Excel workbook: a problem file or an output with it is read or written as
one (:mod:`optiree.workbook`)."""


def is_workbook(path: str | Path) -> bool:
    """Whether ``path`` names an Excel workbook (by its suffix, ``.xlsx``)."""
    return Path(path).suffix.lower() == WORKBOOK_SUFFIX


class _Refused(yaml.YAMLError):
    """A document refused for its shape (too deep, too many values, a recursive alias)."""

    def __init__(self, kind: str, message: str, mark: Any = None) -> None:
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        super().__init__(where + message)
        self.kind = kind


def _too_deep(mark: Any = None) -> _Refused:
    return _Refused(
        "too_deep", f"lists and mappings are nested more than {MAX_DEPTH} levels deep", mark
    )


def _too_many(mark: Any = None) -> _Refused:
    return _Refused(
        "too_many_values",
        f"more than {MAX_VALUES:,} values once aliases are expanded "
        "(an alias used many times, or nested aliases, multiply the document)",
        mark,
    )


def _too_long(characters: int, mark: Any = None) -> _Refused:
    return _Refused(
        "number_too_long",
        f"a whole number of {characters:,} characters, over the limit of {MAX_NUMBER_CHARS:,} "
        "(optiree.io.MAX_NUMBER_CHARS), where no number a problem holds exceeds 1e12 "
        "(optiree.schema.LARGEST, 13 digits): look for digits pasted twice or a lost separator",
        mark,
    )


def _unhashable_key(key: Any, mark: Any) -> _Refused:
    kind = "mapping" if isinstance(key, dict) else "list"
    return _Refused(
        "key_not_text",
        f"a {kind} is used as a key: keys are ids or names (write it in quotes to mean the "
        "text, or as a value under a key to mean a list)",
        mark,
    )


class _Mark(yaml.Mark):
    """A place in a document, quoting up to 79 characters of its line on either side (PyYAML
    quotes 36, so that most lines of a problem file were cut short)."""

    def get_snippet(self, indent: int = 4, max_length: int = 160) -> str | None:
        return super().get_snippet(indent, max_length)


class _Loader(yaml.SafeLoader):
    """Safe loading, YAML 1.2 floats (``1e6``), an error on a repeated key, and limits.

    The limits are checked while the document is composed (events to nodes), before any Python
    object is built: each node counts one value and each alias counts every value of the node it
    names, so a "billion laughs" document is refused after a few hundred nodes, in
    milliseconds. An alias to a node that contains it (a recursive document) is refused.
    """

    def __init__(self, stream: str, name: str) -> None:
        super().__init__(stream)
        self.name = name  # marks (and so error messages) name the file, not "<unicode string>"
        self._depth = 0
        self._values = 0
        self._sizes: dict[str, int] = {}  # anchor -> values of its node, aliases expanded

    def get_mark(self) -> yaml.Mark:
        return _Mark(self.name, self.index, self.line, self.column, self.buffer, self.pointer)

    def _count(self, values: int, mark: Any) -> None:
        self._values += values
        if self._values > MAX_VALUES:
            raise _too_many(mark)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            self._count_alias(event)
            return cast(yaml.Node, super().compose_node(parent, index))
        if self._depth >= MAX_DEPTH:
            raise _too_deep(event.start_mark)
        self._count(1, event.start_mark)
        before = self._values
        self._depth += 1
        node = cast(yaml.Node, super().compose_node(parent, index))
        self._depth -= 1
        if event.anchor is not None:
            self._sizes[event.anchor] = self._values - before + 1
        return node

    def _count_alias(self, event: Any) -> None:
        """Count every value of the node an alias names, refusing one used inside it."""
        anchor = event.anchor
        if anchor not in self.anchors:  # an undefined alias is PyYAML's own error
            return
        if anchor not in self._sizes:
            raise _Refused(
                "recursive_alias",
                f"alias *{anchor} is used inside the node &{anchor} it names: "
                "a document cannot contain itself",
                event.start_mark,
            )
        self._count(self._sizes[anchor], event.start_mark)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # "<<: *defaults": merged keys may be given again, to override them
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):  # "{[a, b]: 50}": a list as a key
                raise _unhashable_key(key, key_node.start_mark)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        """A whole number, refusing one longer than :data:`MAX_NUMBER_CHARS` unread."""
        if len(node.value) > MAX_NUMBER_CHARS:
            raise _too_long(len(node.value), node.start_mark)
        number: int = super().construct_yaml_int(node)
        return number


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)
# No plain word is a boolean: no field of a problem takes yes or no, and YAML 1.1's booleans
# (NO, yes, On, off, true...) are ids and names where a person writes them (NO is Norway). A
# word written where a number belongs is refused as text, as "12" in quotes is.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
}


def _load_yaml(text: str, path: Path) -> Any:
    """The plain data of a YAML document, with ``path`` named in every mark."""
    loader = _Loader(text, str(path))
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


class _RepeatedKeyError(ValueError):
    pass


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key given twice (as YAML does)."""
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _RepeatedKeyError(f"key {key!r} appears twice in one object")
        document[key] = value
    return document


class _Where:
    """The line and column (from 0, as in a YAML mark) of ``needle``'s first place in ``text``."""

    def __init__(self, text: str, needle: str) -> None:
        before = text[: max(text.find(needle), 0)]
        self.line = before.count("\n")
        self.column = len(before) - (before.rfind("\n") + 1)


def _json_int(digits: str, text: str) -> int:
    """A JSON whole number, refusing one longer than :data:`MAX_NUMBER_CHARS` unread."""
    if len(digits) > MAX_NUMBER_CHARS:
        raise _too_long(len(digits), _Where(text, digits))
    return int(digits)


def _check_json_shape(document: Any) -> None:
    """Refuse a parsed JSON document deeper than MAX_DEPTH or with more than MAX_VALUES values
    (iteratively: no recursion however deep)."""
    values = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        values += 1
        if values > MAX_VALUES:
            raise _too_many()
        if isinstance(value, dict | list) and depth > MAX_DEPTH:
            raise _too_deep()
        keys, items = _keys_and_values(value)
        values += len(keys)
        stack.extend((item, depth + 1) for item in items)


def _keys_and_values(value: Any) -> tuple[list[Any], list[Any]]:
    """The keys and the values a mapping holds, or no keys and the items of a list (nothing
    for a scalar)."""
    if isinstance(value, dict):
        return list(value), list(value.values())
    return [], value if isinstance(value, list) else []


def _refuse_surrogates(document: Any, path: Path) -> None:
    """Refuse a key or string holding half a UTF-16 pair (from a JSON or YAML escape such as
    "\\udc00", or text handed in from Python): no UTF-8 file can hold it, and it is no
    character (iteratively: no recursion however deep)."""
    stack = [document]
    while stack:
        value = stack.pop()
        keys, items = _keys_and_values(value)
        stack.extend(keys)
        stack.extend(items)
        if isinstance(value, str) and not value.isascii():
            _refuse_surrogate(value, path)


def _refuse_surrogate(text: str, path: Path) -> None:
    """Refuse ``text`` if it holds half a UTF-16 pair."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise _file_error(
            "not_text",
            f"{path}: the text {text!r} holds {text[error.start]!r}, half of a UTF-16 "
            "pair and not a character: write the character itself",
            path,
        ) from None


def _file_error(kind: str, message: str, path: Path) -> ValidationError:
    return ValidationError.from_exception_data(
        "Problem", [error_detail(("file",), kind, message, str(path))]
    )


def _too_large(path: Path, size: int | None = None) -> ValidationError:
    actual = f"{size:,} bytes, over" if size is not None else "over"
    return _file_error(
        "file_too_large",
        f"{path} is {actual} the limit of {MAX_FILE_BYTES:,} bytes for a problem file "
        "(optiree.io.MAX_FILE_BYTES)",
        path,
    )


def _utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def parse_document(text: str, path: Path) -> Any:
    """The plain data of a YAML or JSON document (JSON when ``path`` ends in .json).

    Raises:
        pydantic.ValidationError: at ``loc`` ``("file",)`` when the text is empty, holds a lone
            surrogate (no UTF-8 file can), is larger than
            :data:`MAX_FILE_BYTES` (as UTF-8), does not parse, repeats a key in one mapping, is
            nested deeper than :data:`MAX_DEPTH`, or holds more than :data:`MAX_VALUES` values
            with its aliases expanded.
    """
    if len(text) > MAX_FILE_BYTES or _utf8_size(text) > MAX_FILE_BYTES:
        raise _too_large(path, _utf8_size(text))
    if not text.strip():
        raise _file_error("empty_file", f"{path} is empty: expected a problem document", path)
    document = _parsed(text, path)
    _refuse_surrogates(document, path)
    return document


def _parsed(text: str, path: Path) -> Any:
    is_json = path.suffix.lower() == ".json"
    try:
        if is_json:
            document = json.loads(
                text,
                object_pairs_hook=_json_object,
                parse_int=lambda digits: _json_int(digits, text),
            )
            _check_json_shape(document)
            return document
        return _load_yaml(text, path)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise _file_error(
            "json_syntax", f"{path}: invalid JSON at {where}: {error.msg}", path
        ) from None
    except _RepeatedKeyError as error:
        raise _file_error("json_syntax", f"{path}: invalid JSON: {error}", path) from None
    except _Refused as error:
        raise _file_error(error.kind, f"{path}: refused: {error}", path) from None
    except (yaml.YAMLError, ValueError, OverflowError) as error:  # PyYAML 6.0 raises
        # ValueError or OverflowError on an escape out of range
        raise _file_error("yaml_syntax", f"{path}: invalid YAML: {error}", path) from None
    except RecursionError:  # a safety net: the limits above come first
        raise _file_error("too_deep", f"{path}: refused: {_too_deep()}", path) from None


def _read_at_most(path: Path, size: int) -> bytes:
    """The bytes of ``path``, expected to be ``size`` long, but no more than one byte past
    MAX_FILE_BYTES should it have grown (or be a pipe, whose size reads as 0)."""
    with path.open("rb") as stream:
        chunks = [stream.read(size + 1)]
        total = len(chunks[0])
        while total > size and total <= MAX_FILE_BYTES:
            chunk = stream.read(min(1 << 20, MAX_FILE_BYTES + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    return b"".join(chunks)


def _checked_size(path: Path) -> Path:
    """``path``, refused unread when it is larger than :data:`MAX_FILE_BYTES`."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise _too_large(path, size)
    return path


def load_problem(path: str | Path) -> Problem:
    """Read and validate a problem file (.yaml, .yml or .json), or an Excel workbook (.xlsx,
    see :mod:`optiree.workbook`; needs openpyxl).

    The file's size is checked before it is read: files over :data:`MAX_FILE_BYTES` are refused
    unread (and no more than that is ever read, whatever the file claims).

    Raises:
        FileNotFoundError: no such file (and other OSErrors when it cannot be read).
        MissingDependencyError: a workbook, without openpyxl installed.
        pydantic.ValidationError: the file is too large, empty, not UTF-8, does not parse, or is
            not a valid problem; each error's ``loc`` names the field (``file`` for the file).
    """
    path = arguments.path(path, "path")
    if is_workbook(path):
        from optiree.workbook import read_problem  # noqa: PLC0415  # openpyxl: on first use

        return read_problem(_checked_size(path))
    return Problem.model_validate(read_document(path))


def read_document(path: Path) -> Any:
    """The plain data of a YAML or JSON file, its size checked before it is read (as for
    :func:`load_problem`).

    Raises:
        FileNotFoundError: no such file (and other OSErrors when it cannot be read).
        pydantic.ValidationError: at ``file``: too large, not UTF-8, or does not parse.
    """
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise _too_large(path, size)
    data = _read_at_most(path, size)
    if len(data) > MAX_FILE_BYTES:
        raise _too_large(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _file_error("encoding", f"{path} is not UTF-8 text: {error.reason}", path) from None
    return parse_document(text, path)


def problem_yaml(problem: Problem) -> str:
    """``problem`` as a YAML document that :func:`load_problem` reads back to an equal problem:
    the fields that differ from their defaults, in the schema's order (strings that YAML would
    read as another type, such as ``NO``, are quoted)."""
    document = problem.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
