"""Fuzzed files: whatever bytes a problem file holds, reading it is a result or a file error.

The files are random bytes, and the bundled example (``examples/japan_2026.yaml``, and the same
document as JSON) with random edits: bytes flipped, runs deleted, lines repeated and YAML
tokens (tags, anchors, flow brackets, long numbers, lists as keys...) put in. The properties:
:func:`optiree.io.load_problem` raises nothing but pydantic's ValidationError, and
``optiree validate`` returns 0 or 2 and raises nothing. The number of files follows the
hypothesis profile (tests/conftest.py) in process; two files run through the command in a new
Python, as a user runs it.
"""

import io
import json
import subprocess
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout, suppress
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from optiree.cli import main
from optiree.io import load_problem
from tests.samples import JAPAN

YAML_TEXT = JAPAN.read_bytes()
JSON_TEXT = json.dumps(yaml.safe_load(YAML_TEXT), indent=1).encode()
TOKENS = [
    b"{",
    b"}",
    b"[",
    b"]",
    b": ",
    b"- ",
    b"? ",
    b"&a ",
    b"*a",
    b"<<: *a\n",
    b"|\n",
    b">-\n",
    b"'",
    b'"',
    b"#",
    b"\t",
    b"\n",
    b"---\n",
    b"...\n",
    b"%YAML 1.1\n",
    b"!!python/object:os.system ",
    b"!!binary ",
    b"!!set ",
    b"!!omap ",
    b"!!timestamp ",
    b"!!int ",
    b"!!float ",
    b"!!str ",
    b"!!null ",
    b"2026-01-01 ",
    b"1:20:30 ",
    b"0o17 ",
    b"0x" + b"f" * 2_000,
    b"1" * 5_000,
    b"9" * 900,
    b"1e999",
    b"-.inf",
    b".nan",
    b"~",
    b"\\ud800",
    b'"\\ud800"',
    b"\\x00",
    b"\xff",
    b"\x00",
    b"\xc3",
    b"{[a, b]: 1}",
    b"{? {a: 1} : 1}",
    b"[[[[[[[[[[",
    b"true",
    b"null",
]


def _flip(text: bytes, at: int, byte: int) -> bytes:
    at %= max(len(text), 1)
    return text[:at] + bytes([byte]) + text[at + 1 :]


def _delete(text: bytes, at: int, length: int) -> bytes:
    at %= max(len(text), 1)
    return text[:at] + text[at + length :]


def _repeat_line(text: bytes, at: int, times: int) -> bytes:
    lines = text.splitlines(keepends=True) or [b""]
    at %= len(lines)
    return b"".join([*lines[:at], *[lines[at]] * times, *lines[at:]])


def _insert(text: bytes, at: int, token: bytes) -> bytes:
    at %= max(len(text), 1)
    return text[:at] + token + text[at:]


def _replace_value(text: bytes, at: int, token: bytes) -> bytes:
    """The value after the first ': ' of a line replaced by ``token`` (the document around it
    stays YAML, so the token reaches the parts after parsing)."""
    lines = text.splitlines(keepends=True) or [b""]
    at %= len(lines)
    key, colon, _ = lines[at].partition(b": ")
    lines[at] = key + (colon or b": ") + token + b"\n"
    return b"".join(lines)


EDITS = st.one_of(
    st.tuples(st.just(_flip), st.integers(0, 1 << 16), st.integers(0, 255)),
    st.tuples(st.just(_delete), st.integers(0, 1 << 16), st.integers(1, 200)),
    st.tuples(st.just(_repeat_line), st.integers(0, 1 << 16), st.integers(1, 3)),
    st.tuples(st.just(_insert), st.integers(0, 1 << 16), st.sampled_from(TOKENS)),
    st.tuples(st.just(_replace_value), st.integers(0, 1 << 16), st.sampled_from(TOKENS)),
)
FILES = st.one_of(
    st.tuples(st.sampled_from([".yaml", ".json"]), st.binary(max_size=2_000), st.just([])),
    st.tuples(st.just(".yaml"), st.just(YAML_TEXT), st.lists(EDITS, min_size=1, max_size=6)),
    st.tuples(st.just(".json"), st.just(JSON_TEXT), st.lists(EDITS, min_size=1, max_size=6)),
)


def _edited(text: bytes, edits: list[tuple[object, ...]]) -> bytes:
    for edit, *arguments in edits:
        text = edit(text, *arguments)  # type: ignore[operator]
    return text


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(FILES)
def test_any_file_loads_or_is_a_validation_error(drawn: tuple[str, bytes, list]) -> None:  # type: ignore[type-arg]
    suffix, text, edits = drawn
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"problem{suffix}"
        path.write_bytes(_edited(text, edits))
        with suppress(ValidationError):
            load_problem(path)


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(FILES)
def test_validate_command_exits_0_or_2(drawn: tuple[str, bytes, list]) -> None:  # type: ignore[type-arg]
    """The command's own path (reading, printing the errors), in this process: it returns 0 or
    2 and raises nothing (a raise is the traceback a user would see)."""
    suffix, text, edits = drawn
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"problem{suffix}"
        path.write_bytes(_edited(text, edits))
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            assert main(["validate", str(path)]) in (0, 2)


@pytest.mark.parametrize(
    ("suffix", "text", "words"),
    [
        (".yaml", _replace_value(YAML_TEXT, 30, b"{[a, b]: 50}"), "a list is used as a key"),
        (".json", b'{"name": ' + b"1" * 5_000 + b"}", "a whole number of 5,000 characters"),
    ],
)
def test_validate_exits_2_without_a_traceback(
    tmp_path: Path, suffix: str, text: bytes, words: str
) -> None:
    """Two files end to end, as a user runs the command (each starts Python: a few seconds)."""
    path = tmp_path / f"problem{suffix}"
    path.write_bytes(text)
    done = subprocess.run(
        [sys.executable, "-m", "optiree", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"file: {path}: refused: " in done.stdout + done.stderr
    assert words in done.stdout + done.stderr
