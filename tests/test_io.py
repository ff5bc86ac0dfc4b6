"""Reading problem files and writing result folders."""

import json
import os
import stat
from pathlib import Path

import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

import optiree
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
    purchases = pd.read_csv(out / "purchases.csv")
    pd.testing.assert_frame_equal(purchases, result.purchases)
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
    assert str(blocker / "costs.csv") in str(caught.value)  # the target, not a temporary file
    assert ".tmp" not in str(caught.value)
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
