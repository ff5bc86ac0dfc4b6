"""Safe outputs: results are never half-written, never overwritten unasked, and the same input
and solver give the same bytes."""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import optiree
import optiree.io
from optiree.files import SUMMARY, write_atomic
from optiree.solve import SolverName
from tests.samples import JAPAN, full, two_country

RESULT_FILES = [f"{name}.csv" for name in optiree.TABLES] + [SUMMARY]
SWAP_RENAMES = 2 * len(optiree.TABLES) + 2  # summary out, each table out and in, summary in


def _result(document: dict[str, Any] | None = None, solver: SolverName = "highs") -> Any:
    return optiree.solve(optiree.Problem.model_validate(document or two_country()), solver=solver)


def _infeasible() -> dict[str, Any]:
    document = two_country()
    document["caps"] = [{"country": "CN", "max_tonnes": 0}]
    document["sources"][1]["capacity"] = {"Dy": 10}
    return document


def _contents(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones included), by relative path."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _fail_on_call(
    monkeypatch: pytest.MonkeyPatch, name: str, call: int, error: BaseException
) -> list[int]:
    """Make ``os.<name>`` raise ``error`` on its ``call``-th use (1-based), and only then."""
    real: Callable[..., Any] = getattr(os, name)
    calls = [0]

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == call:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(os, name, failing)
    return calls


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    """A folder holding the results of an infeasible problem, and a user's own files."""
    out = _result(_infeasible()).write(tmp_path / "out")
    (out / "notes.txt").write_text("my notes\n")
    (out / "sourcing_mix.png").write_bytes(b"\x89PNG a figure")
    (out / "drafts").mkdir()
    (out / "drafts" / "costs.csv").write_text("mine\n")
    return out


def test_existing_results_are_not_overwritten(previous: Path) -> None:
    before = _contents(previous)
    with pytest.raises(optiree.OutputError) as caught:
        _result().write(previous)
    assert str(caught.value) == (
        f"{previous} already holds results (costs.csv, ...): pass overwrite=True "
        "(--force on the command line) to replace them"
    )
    assert _contents(previous) == before


@pytest.mark.parametrize("only", [["summary.json"], ["shares.csv"]])
def test_any_result_file_counts_as_results(tmp_path: Path, only: list[str]) -> None:
    for name in only:
        (tmp_path / name).write_text("old\n")
    with pytest.raises(optiree.OutputError, match="already holds results"):
        _result().write(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == only


def test_overwrite_replaces_results_and_keeps_other_files(previous: Path) -> None:
    mine = {k: v for k, v in _contents(previous).items() if k not in RESULT_FILES}
    result = _result()
    assert result.write(previous, overwrite=True) == previous
    after = _contents(previous)
    assert {k: v for k, v in after.items() if k not in RESULT_FILES} == mine
    fresh = _contents(result.write(previous.parent / "fresh"))
    assert {k: v for k, v in after.items() if k in RESULT_FILES} == fresh
    assert sorted(fresh) == sorted(RESULT_FILES)
    assert not [p for p in previous.parent.iterdir() if p.name.startswith(".")]


def test_a_folder_without_results_is_written_into(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("my notes\n")
    _result().write(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*RESULT_FILES, "notes.txt"])


@pytest.mark.parametrize("call", range(1, SWAP_RENAMES + 1))
@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_interrupted_overwrite_leaves_the_previous_results(
    previous: Path, monkeypatch: pytest.MonkeyPatch, call: int, error: BaseException
) -> None:
    """An error or Ctrl-C at any rename of the swap puts the previous files back."""
    before = _contents(previous)
    result = _result()
    calls = _fail_on_call(monkeypatch, "replace", call, error)
    expected = optiree.OutputError if isinstance(error, OSError) else KeyboardInterrupt
    with pytest.raises(expected):
        result.write(previous, overwrite=True)
    assert calls[0] >= call
    assert _contents(previous) == before  # no temporary folder left either


@pytest.mark.parametrize("call", [1, 5, len(RESULT_FILES)])
def test_failure_while_writing_leaves_the_previous_results(
    previous: Path, monkeypatch: pytest.MonkeyPatch, call: int
) -> None:
    """A full disk while the new files are written: nothing has been replaced yet."""
    before = _contents(previous)
    result = _result()
    _fail_on_call(monkeypatch, "fsync", call, OSError(28, "No space left on device"))
    with pytest.raises(optiree.OutputError, match="No space left on device"):
        result.write(previous, overwrite=True)
    assert _contents(previous) == before


@pytest.mark.parametrize("call", [1, 3, len(RESULT_FILES)])
def test_interrupted_write_into_a_folder_without_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: int
) -> None:
    """Without overwrite each file is put in by a hard link, which fails if the name exists."""
    (tmp_path / "notes.txt").write_text("my notes\n")
    result = _result()
    _fail_on_call(monkeypatch, "link", call, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        result.write(tmp_path)
    assert _contents(tmp_path) == {"notes.txt": b"my notes\n"}


@pytest.mark.parametrize(("name", "call"), [("fsync", 4), ("rename", 1)])
def test_interrupted_new_folder_is_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, call: int
) -> None:
    result = _result()
    _fail_on_call(monkeypatch, name, call, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        result.write(tmp_path / "new" / "out")
    assert list((tmp_path / "new").iterdir()) == []


def test_when_the_previous_files_cannot_be_put_back_the_error_says_where_they_are(
    previous: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _contents(previous)
    result = _result()
    real = os.replace
    calls = [0]

    def broken_from_the_fifth(*args: Any) -> None:
        calls[0] += 1
        if calls[0] >= 5:
            raise OSError(5, "Input/output error")
        real(*args)

    monkeypatch.setattr(os, "replace", broken_from_the_fifth)
    with pytest.raises(optiree.OutputError, match="nor put the previous files back") as caught:
        result.write(previous, overwrite=True)
    monkeypatch.undo()
    (kept,) = previous.glob(".optiree-*.tmp")
    assert str(kept / "old") in str(caught.value)
    for name in ("summary.json", "costs.csv", "purchases.csv"):
        assert (kept / "old" / name).read_bytes() == before[name]
    assert not (previous / SUMMARY).exists()  # which marks the set incomplete


def test_write_atomic_refuses_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text("old\n")
    with pytest.raises(optiree.OutputError, match="already exists: pass overwrite=True"):
        write_atomic(path, "new\n", overwrite=False)
    assert path.read_text() == "old\n"
    assert write_atomic(path, "new\n") == path  # overwriting is the default
    assert path.read_text() == "new\n"
    assert write_atomic(tmp_path / "other.csv", "x\n", overwrite=False).read_text() == "x\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.csv", "table.csv"]


@pytest.mark.parametrize("overwrite", [True, False])
def test_write_atomic_under_a_file_is_an_output_error(tmp_path: Path, overwrite: bool) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("a file\n")
    with pytest.raises(optiree.OutputError, match=f"cannot write the table to {blocker}/t.csv"):
        write_atomic(blocker / "t.csv", "x\n", "the table", overwrite=overwrite)
    assert blocker.read_text() == "a file\n"


@pytest.mark.parametrize("links", [True, False])
def test_write_atomic_never_replaces_a_file_that_appears_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, links: bool
) -> None:
    """Another program writes the file while ours is being written: theirs stays."""
    path = tmp_path / "table.csv"
    real_fsync = os.fsync

    def racing(handle: int) -> None:
        real_fsync(handle)
        path.write_text("theirs\n")

    monkeypatch.setattr(os, "fsync", racing)
    if not links:  # a file system without hard links (e.g. some network shares)
        monkeypatch.setattr(os, "link", lambda *a, **k: (_ for _ in ()).throw(PermissionError()))
    with pytest.raises(optiree.OutputError, match="already exists"):
        write_atomic(path, "ours\n", overwrite=False)
    assert path.read_text() == "theirs\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def _written_twice(document: dict[str, Any], solver: SolverName, tmp_path: Path) -> list[Path]:
    problem = optiree.Problem.model_validate(document)
    return [optiree.solve(problem, solver=solver).write(tmp_path / name) for name in "ab"]


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(lambda: optiree.io.parse_document(JAPAN.read_text(), JAPAN), id="japan"),
        pytest.param(two_country, id="two_country"),
        pytest.param(full, id="full"),
        pytest.param(_infeasible, id="infeasible"),
    ],
)
def test_same_input_and_solver_give_the_same_bytes(
    document: Callable[[], dict[str, Any]], solver: SolverName, tmp_path: Path
) -> None:
    first, second = _written_twice(document(), solver, tmp_path)
    assert sorted(p.name for p in first.iterdir()) == sorted(RESULT_FILES)
    assert _contents(first) == _contents(second)


def test_same_bytes_in_separate_processes(solver: SolverName, tmp_path: Path) -> None:
    """Different hash seeds (set and dict orders of strings), same files, figures included."""
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed{seed}"
        command = ["solve", str(JAPAN), "--solver", solver, "--out", str(out)]
        done = subprocess.run(
            [sys.executable, "-m", "optiree", *command],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outs.append(_contents(out))
    assert outs[0] == outs[1]
    assert "sourcing_mix.png" in outs[0]


def test_summary_has_no_timestamp(tmp_path: Path) -> None:
    summary = yaml.safe_load((_result().write(tmp_path / "o") / SUMMARY).read_text())
    assert set(summary) == {
        "problem",
        "status",
        "message",
        "solver",
        "currency",
        "total_cost",
        "cost_by_component",
        "unmet_tonnes",
        "input_units",
        "units",
        "tables",
    }
