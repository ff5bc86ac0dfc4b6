"""Reading problem files and writing result folders."""

import json
import os
import stat
import time
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

import optiree
import optiree.io
from optiree.files import read_table
from tests.samples import two_country


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _file_error(path: Path) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        optiree.load_problem(path)
    (error,) = caught.value.errors()
    return ".".join(map(str, error["loc"])), error["msg"]


def test_yaml_and_json_give_the_same_problem(tmp_path: Path) -> None:
    document = two_country()
    from_yaml = optiree.load_problem(_write(tmp_path / "p.yaml", yaml.safe_dump(document)))
    from_json = optiree.load_problem(_write(tmp_path / "p.json", json.dumps(document)))
    assert from_yaml == from_json == optiree.Problem.model_validate(document)


def test_yaml_exponents_are_numbers(tmp_path: Path) -> None:
    text = yaml.safe_dump(two_country()).replace("Dy: 50", "Dy: 5e1")
    assert "5e1" in text
    problem = optiree.load_problem(_write(tmp_path / "p.yaml", text))
    assert problem.demand["Dy"] == 50.0


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("empty.yaml", "", "is empty"),
        ("blank.yaml", "  \n# only a comment?\n\n", "invalid YAML"),
        ("broken.yaml", "name: [unclosed\n", "invalid YAML"),
        ("broken.json", '{"name": }', "invalid JSON at line 1, column 10"),
        ("twice.yaml", "name: a\nname: b\n", "key 'name' appears twice"),
    ],
)
def test_unreadable_files_are_validation_errors(
    tmp_path: Path, name: str, text: str, words: str
) -> None:
    if name == "blank.yaml":
        # A comment-only file parses to nothing: it is the document, not the syntax, that fails.
        with pytest.raises(ValidationError, match="valid dictionary"):
            optiree.load_problem(_write(tmp_path / name, text))
        return
    loc, message = _file_error(_write(tmp_path / name, text))
    assert loc == "file"
    assert words in message


def test_unsafe_yaml_is_refused(tmp_path: Path) -> None:
    text = "name: !!python/object/apply:os.system ['echo unsafe']\n"
    _, message = _file_error(_write(tmp_path / "evil.yaml", text))
    assert "invalid YAML" in message


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    assert "not UTF-8" in _file_error(path)[1]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        optiree.load_problem(tmp_path / "nowhere.yaml")


def test_write_round_trips_every_table(tmp_path: Path) -> None:
    result = optiree.solve(optiree.Problem.model_validate(two_country()))
    out = result.write(tmp_path / "out" / "nested")
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted([f"{name}.csv" for name in optiree.TABLES] + ["summary.json"])
    # 12 significant digits, infinities as words (see tests/test_as_meant.py)
    purchases = read_table(out / "purchases.csv")
    pd.testing.assert_frame_equal(purchases, result.purchases, rtol=1e-11)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert summary["total_cost"] == pytest.approx(6000.0)
    assert summary["cost_by_component"]["purchases"] == pytest.approx(6000.0)
    assert not list(out.glob(".*.tmp"))


def test_writing_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    problem = optiree.Problem.model_validate(two_country())
    first = optiree.solve(problem).write(tmp_path / "a")
    second = optiree.solve(problem).write(tmp_path / "b")
    for path in first.iterdir():
        assert path.read_bytes() == (second / path.name).read_bytes(), path.name


def test_write_into_a_file_is_an_output_error(tmp_path: Path) -> None:
    blocker = _write(tmp_path / "taken", "a file, not a folder")
    result = optiree.solve(optiree.Problem.model_validate(two_country()))
    with pytest.raises(optiree.OutputError, match="cannot write results") as caught:
        result.write(blocker)
    assert f"{blocker}: it is not a folder" in str(caught.value)  # the target, not a temporary
    assert ".tmp" not in str(caught.value)
    assert blocker.read_text() == "a file, not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_write_under_a_file_is_an_output_error(tmp_path: Path) -> None:
    blocker = _write(tmp_path / "taken", "a file, not a folder")
    result = optiree.solve(optiree.Problem.model_validate(two_country()))
    with pytest.raises(optiree.OutputError, match=f"cannot write results to {blocker / 'out'}"):
        result.write(blocker / "out")
    assert blocker.read_text() == "a file, not a folder"


def test_written_files_follow_the_umask(tmp_path: Path) -> None:
    """Files are 0666 less the umask, like any other file (a temporary file would be 0600)."""
    old = os.umask(0o022)
    try:
        out = optiree.solve(optiree.Problem.model_validate(two_country())).write(tmp_path)
    finally:
        os.umask(old)
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path.name


BILLION_LAUGHS = "\n".join(
    [
        'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        *(
            f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]"
            for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "",
    ]
)


def _refusal(path: Path) -> tuple[str, str, str]:
    """The one error of loading ``path``: its loc, type and message."""
    with pytest.raises(ValidationError) as caught:
        optiree.load_problem(path)
    (error,) = caught.value.errors()
    return ".".join(map(str, error["loc"])), error["type"], error["msg"]


def test_alias_bomb_is_refused_before_it_is_built(tmp_path: Path) -> None:
    """Nine levels of nine aliases: 9**9 (387 million) strings once expanded."""
    path = _write(tmp_path / "bomb.yaml", BILLION_LAUGHS)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        loc, kind, message = _refusal(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 2
    assert peak < 2_000_000
    assert (loc, kind) == ("file", "too_many_values")
    assert "more than 500,000 values once aliases are expanded" in message
    assert "line 6" in message  # refused as soon as the count passes the limit


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    loc, kind, message = _refusal(_write(tmp_path / "loop.yaml", "name: &a [1, *a]\n"))
    assert (loc, kind) == ("file", "recursive_alias")
    assert "alias *a is used inside the node &a it names" in message


def test_aliases_and_merge_keys_within_the_limit_are_read(tmp_path: Path) -> None:
    text = yaml.safe_dump(two_country(), sort_keys=False)
    text = text.replace("capacity:\n    Dy: 100\n", "capacity: &cap\n    Dy: 100\n", 1)
    text = text.replace("capacity:\n    Dy: 100\n", "capacity: *cap\n", 1)
    text = "defaults: &defaults {Dy: 50}\n" + text
    text = text.replace("demand:\n  Dy: 50\n", "demand:\n  <<: *defaults\n  Dy: 50\n")
    assert text.count("*cap") == 1
    assert "<<: *defaults" in text
    document = optiree.io.parse_document(text, Path("aliases.yaml"))
    assert document.pop("defaults") == {"Dy": 50}
    assert document == two_country()


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
@pytest.mark.parametrize("depth", [101, 1_000_000])
def test_deep_nesting_is_refused(tmp_path: Path, suffix: str, depth: int) -> None:
    path = _write(tmp_path / f"deep{suffix}", "[" * depth + "]" * depth)
    loc, kind, message = _refusal(path)
    assert (loc, kind) == ("file", "too_deep")
    assert "nested more than 100 levels deep" in message


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_nesting_up_to_the_limit_parses(suffix: str) -> None:
    text = "[" * 100 + "]" * 100
    document = optiree.io.parse_document(text, Path(f"ok{suffix}"))
    for _ in range(99):
        (document,) = document
    assert document == []


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_too_many_values_are_refused(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(optiree.io, "MAX_VALUES", 1_000)
    path = _write(tmp_path / f"wide{suffix}", json.dumps({"name": list(range(1_000))}))
    loc, kind, _ = _refusal(path)
    assert (loc, kind) == ("file", "too_many_values")


def test_oversized_file_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as stream:
        stream.truncate(optiree.io.MAX_FILE_BYTES + 1)  # sparse: no disk used

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", no_reading)
    monkeypatch.setattr(Path, "read_text", no_reading)
    monkeypatch.setattr(Path, "read_bytes", no_reading)
    loc, kind, message = _refusal(path)
    assert (loc, kind) == ("file", "file_too_large")
    assert f"{path} is 20,000,001 bytes, over the limit of 20,000,000 bytes" in message


def test_file_that_grows_past_the_limit_is_not_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "p.yaml", yaml.safe_dump(two_country()))
    monkeypatch.setattr(optiree.io, "MAX_FILE_BYTES", 10)
    real_stat = Path.stat
    monkeypatch.setattr(Path, "stat", lambda self, **kw: real_stat(tmp_path / "none", **kw))
    _write(tmp_path / "none", "")  # stat says 0 bytes, as it does for a pipe
    loc, kind, message = _refusal(path)
    assert (loc, kind) == ("file", "file_too_large")
    assert f"{path} is over the limit of 10 bytes for a problem file" in message


def test_oversized_text_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(optiree.io, "MAX_FILE_BYTES", 10)
    assert optiree.io.parse_document("name: abc", Path("p.yaml")) == {"name": "abc"}
    for text in ("name: abcdef", "n: \N{LATIN SMALL LETTER E WITH ACUTE}" * 3):  # 12, 15 bytes
        with pytest.raises(ValidationError, match="over the limit of 10 bytes") as caught:
            optiree.io.parse_document(text, Path("p.yaml"))
        assert caught.value.errors()[0]["loc"] == ("file",)


def test_json_key_given_twice_is_refused(tmp_path: Path) -> None:
    loc, kind, message = _refusal(_write(tmp_path / "p.json", '{"name": "a", "name": "b"}'))
    assert (loc, kind) == ("file", "json_syntax")
    assert "key 'name' appears twice in one object" in message


def test_a_lone_surrogate_is_named_as_not_text() -> None:
    """Half a UTF-16 pair, written as a JSON escape or handed in from Python in a key or a
    value, is no character: the error is at ``file`` and shows it."""
    for text, path in [
        ('{"name": "a\\udc00b"}', "p.json"),
        ('{"a\\udc00": 1}', "p.json"),
        ('name: "a\\udc00b"', "p.yaml"),
        ('{"name": "a\udc00b"}', "p.json"),
    ]:
        with pytest.raises(ValidationError) as caught:
            optiree.io.parse_document(text, Path(path))
        (detail,) = caught.value.errors()
        assert detail["loc"] == ("file",)
        assert detail["type"] == "not_text"
        assert "holds '\\udc00', half of a UTF-16 pair" in detail["msg"]


LONG = "1" * 5_000  # more digits than Python reads as a whole number (4,300)


@pytest.mark.parametrize(
    ("name", "text", "kind", "words"),
    [
        ("p.json", f'{{"name": "a",\n "demand": {LONG}}}', "number_too_long", "line 2, column 12"),
        ("p.yaml", f"name: a\ndemand: {LONG}\n", "number_too_long", "line 2, column 9"),
        ("p.yaml", f"name: a\ndemand: 0x{LONG}\n", "number_too_long", "5,002 characters"),
        ("p.yaml", "name: a\ndemand: {[a, b]: 50}\n", "key_not_text", "a list is used as a key"),
        ("p.yaml", "name: a\ndemand: {? {a: 1} : 50}\n", "key_not_text", "a mapping is used"),
    ],
)
def test_numbers_too_long_and_keys_that_are_lists_are_file_errors(
    tmp_path: Path, name: str, text: str, kind: str, words: str
) -> None:
    """Python's limit on the digits of a whole number and a list as a mapping key (unhashable)
    were a ValueError at 'file' that pointed to sys.set_int_max_str_digits, and a TypeError
    traceback; both are refused at 'file', naming the line."""
    loc, found, message = _refusal(_write(tmp_path / name, text))
    assert (loc, found) == ("file", kind)
    assert words in message


def test_long_numbers_within_the_limit_are_field_errors(tmp_path: Path) -> None:
    """A whole number of up to MAX_NUMBER_CHARS digits is read, and refused by its field."""
    document = two_country()
    document["demand"] = {"Dy": "DIGITS"}
    text = json.dumps(document).replace('"DIGITS"', "9" * optiree.io.MAX_NUMBER_CHARS)
    loc, kind, _ = _refusal(_write(tmp_path / "p.json", text))
    assert (loc, kind) == ("demand.Dy.value", "float_type")
