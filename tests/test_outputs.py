"""Safe outputs: results are never half-written, never overwritten unasked, and the same input
and solver give the same bytes."""

import errno
import importlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

import optiree
import optiree.cli
import optiree.files
import optiree.io
from optiree.disruption.sweep import write_sweep
from optiree.errors import OutputTakenError
from optiree.files import STALE_AFTER, SUMMARY, write_atomic, write_tables
from optiree.plots import FIGURES, figure_files
from optiree.results import summary_document
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


# --- issue 15: all or nothing, never replacing what the user did not allow ---


def _problem_file(tmp_path: Path) -> Path:
    path = tmp_path / "problem.yaml"
    path.write_text(yaml.safe_dump(two_country()), encoding="utf-8")
    return path


def _appears_while_solving(monkeypatch: pytest.MonkeyPatch, name: str, path: Path) -> None:
    """Make the function ``name`` the CLI runs (``optiree.<name>``, which the CLI imports from
    its module when the command runs) write the user's file at ``path`` while it runs."""
    module = importlib.import_module(_HOMES[name])
    real: Callable[..., Any] = getattr(module, name)

    def racing(*args: Any, **kwargs: Any) -> Any:
        answer = real(*args, **kwargs)
        path.write_text("theirs\n")
        return answer

    monkeypatch.setattr(module, name, racing)


_HOMES = {
    "sweep": "optiree.disruption.sweep",
    "frontier": "optiree.frontier",
    "solve": "optiree.solve",
}


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_sweep_out_never_replaces_a_file_that_appears_while_it_runs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    suffix: str,
) -> None:
    out = tmp_path / f"x{suffix}"
    _appears_while_solving(monkeypatch, "sweep", out)
    argv = ["sweep", str(_problem_file(tmp_path)), "--scenarios", "2", "--serial"]
    assert optiree.cli.main([*argv, "--out", str(out)]) == 2
    assert f"{out} already exists" in capsys.readouterr().err
    assert out.read_text() == "theirs\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["problem.yaml", out.name]
    assert optiree.cli.main([*argv, "--out", str(out), "--force"]) == 0
    assert out.read_bytes() != b"theirs\n"


def test_write_sweep_refuses_an_existing_file_without_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("mine\n")
    table = optiree.sweep(
        optiree.Problem.model_validate(two_country()),
        [optiree.Scenario(name="calm")],
        executor="serial",
        progress=False,
    ).table
    with pytest.raises(OutputTakenError, match="already exists"):
        write_sweep(table, path, overwrite=False)
    assert path.read_text() == "mine\n"


@pytest.mark.parametrize(
    ("command", "out"),
    [(["frontier", "--points", "2"], "f.csv"), (["report"], "r.html")],
)
def test_frontier_and_report_that_lose_a_race_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    out: str,
) -> None:
    path = tmp_path / out
    _appears_while_solving(monkeypatch, "frontier" if command[0] == "frontier" else "solve", path)
    name, *rest = command
    assert optiree.cli.main([name, str(_problem_file(tmp_path)), *rest, "--out", str(path)]) == 2
    assert f"{path} already exists" in capsys.readouterr().err
    assert path.read_text() == "theirs\n"


@pytest.fixture(scope="module")
def solved_set() -> tuple[Any, dict[str, bytes]]:
    """An optimal result and its figures, rendered once."""
    problem = optiree.Problem.model_validate(two_country())
    result = optiree.solve(problem)
    return result, figure_files(result, problem)


def _write_set(result: Any, figures: dict[str, bytes], out: Path, overwrite: bool) -> Path:
    return write_tables(
        out, result.tables(), summary_document(result), overwrite=overwrite, extra=figures
    )


SET_FILES = len(RESULT_FILES) + len(FIGURES)


def _full_disk_at(monkeypatch: pytest.MonkeyPatch, k: int) -> None:
    """The k-th file written (1-based) fails with ENOSPC."""
    real = optiree.files._write_new
    calls = [0]

    def failing(path: Path, data: bytes) -> None:
        calls[0] += 1
        if calls[0] == k:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, data)

    monkeypatch.setattr(optiree.files, "_write_new", failing)


@pytest.mark.parametrize("k", range(1, SET_FILES + 1))
def test_a_full_disk_at_any_file_publishes_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    solved_set: tuple[Any, dict[str, bytes]],
    k: int,
) -> None:
    result, figures = solved_set
    previous = _result(_infeasible()).write(tmp_path / "previous")
    _write_set(result, figures, tmp_path / "previous", overwrite=True)  # figures there too
    before = _contents(previous)
    _full_disk_at(monkeypatch, k)
    with pytest.raises(optiree.OutputError, match="No space left on device"):
        _write_set(result, figures, tmp_path / "new", overwrite=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["previous"]
    _full_disk_at(monkeypatch, k)
    with pytest.raises(optiree.OutputError, match="No space left on device"):
        _write_set(result, figures, previous, overwrite=True)
    assert _contents(previous) == before


def test_solve_out_on_a_full_disk_at_the_last_figure_leaves_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "res"
    _full_disk_at(monkeypatch, SET_FILES - 1)  # the last figure (summary.json is written last)
    assert optiree.cli.main(["solve", str(_problem_file(tmp_path)), "--out", str(out)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["problem.yaml"]
    monkeypatch.undo()
    assert optiree.cli.main(["solve", str(_problem_file(tmp_path)), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([*RESULT_FILES, *FIGURES])


def _stage(folder: Path, name: str, *, age: float, directory: bool = False) -> Path:
    path = folder / name
    if directory:
        (path / "old").mkdir(parents=True)
    else:
        path.write_text("staged\n")
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def test_stale_staging_of_a_killed_run_is_removed_by_the_next_write(tmp_path: Path) -> None:
    hour = STALE_AFTER
    stale = [
        _stage(tmp_path, f".x.csv.{'0a' * 8}.tmp", age=2 * hour),
        _stage(tmp_path, f".x.parquet.{'1b' * 8}.tmp", age=2 * hour),
        _stage(tmp_path, f".res.{'2c' * 8}.tmp", age=2 * hour, directory=True),
    ]
    kept = [
        _stage(tmp_path, f".y.csv.{'3d' * 8}.tmp", age=60),  # maybe a live run's
        _stage(tmp_path, ".notes.tmp", age=2 * hour),  # not optiree's name
        _stage(tmp_path, f".x.csv.{'4e' * 7}.tmp", age=2 * hour),  # 14 hex digits, not 16
    ]
    write_atomic(tmp_path / "z.csv", "z\n")
    assert not [path for path in stale if os.path.lexists(path)]
    assert all(path.exists() for path in kept)
    out = _result().write(tmp_path / "out")
    inside = _stage(out, f".optiree-{'5f' * 8}.tmp", age=2 * hour, directory=True)
    holding = _stage(out, f".optiree-{'6a' * 8}.tmp", age=2 * hour, directory=True)
    (holding / "old" / "costs.csv").write_text("the user's previous costs\n")
    os.utime(holding, (time.time() - 2 * hour,) * 2)
    _result().write(out, overwrite=True)
    assert not inside.exists()
    assert (holding / "old" / "costs.csv").exists()  # the only copy of a killed swap's files


def test_a_results_folder_that_appears_meanwhile_is_refused_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The loser of two runs writing one new folder: exit 2, the winner's files untouched;
    with --force, the loser's set replaces the winner's, whole."""
    out = tmp_path / "res"
    real = optiree.files._write_all

    def racing(folder: Path, data: Mapping[str, bytes]) -> None:
        real(folder, data)
        if folder.name.startswith(".res.") and not out.exists():
            monkeypatch.setattr(optiree.files, "_write_all", real)
            _result(_infeasible()).write(out)  # the other run wins
            monkeypatch.setattr(optiree.files, "_write_all", racing)

    monkeypatch.setattr(optiree.files, "_write_all", racing)
    argv = ["solve", str(_problem_file(tmp_path)), "--out", str(out)]
    assert optiree.cli.main(argv) == 2
    assert f"{out} already exists" in capsys.readouterr().err
    theirs = _contents(out)
    assert json.loads(theirs[SUMMARY])["status"] == "infeasible"
    shutil.rmtree(out)
    assert optiree.cli.main([*argv, "--force"]) == 0
    assert json.loads((out / SUMMARY).read_text())["status"] == "optimal"
    assert sorted(_contents(out)) == sorted([*RESULT_FILES, *FIGURES])


def test_results_that_appear_in_an_existing_folder_meanwhile_are_not_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder exists and is empty when a run checks it; while the run writes its staging
    copy, another run fills the folder. Without overwrite the first run is refused and the
    other's files stay as they are (it used to move them aside and publish its own)."""
    out = tmp_path / "res"
    out.mkdir()
    real = optiree.files._write_all

    def racing(folder: Path, data: Mapping[str, bytes]) -> None:
        real(folder, data)
        if folder.name == "new" and not (out / SUMMARY).exists():
            monkeypatch.setattr(optiree.files, "_write_all", real)
            _result(_infeasible()).write(out)  # the other run publishes first
            monkeypatch.setattr(optiree.files, "_write_all", racing)

    monkeypatch.setattr(optiree.files, "_write_all", racing)
    with pytest.raises(OutputTakenError):
        _result().write(out)
    assert json.loads((out / SUMMARY).read_text())["status"] == "infeasible"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    "command", [["solve"], ["frontier", "--points", "2"], ["sweep", "--serial"]]
)
def test_a_file_on_the_output_path_is_named_as_not_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("a file\n")
    name, *rest = command
    out = blocker / "sub" / ("res" if name == "solve" else "x.csv")
    argv = [name, str(_problem_file(tmp_path)), *rest, "--out", str(out)]
    if name == "sweep":
        argv += ["--scenarios", "2"]
    assert optiree.cli.main(argv) == 2
    error = capsys.readouterr().err
    assert f"{blocker} is a file, not a folder" in error
    assert "File exists" not in error
    assert blocker.read_text() == "a file\n"


def test_the_library_names_a_file_on_the_path_as_not_a_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("a file\n")
    for write in (
        lambda: write_atomic(blocker / "sub" / "x.csv", "x\n", overwrite=False),
        lambda: _result().write(blocker / "sub" / "out"),
    ):
        with pytest.raises(OutputTakenError, match=f"{blocker} is a file, not a folder"):
            write()
    assert blocker.read_text() == "a file\n"


@pytest.mark.parametrize("overwrite", [True, False])
def test_a_results_folder_made_just_after_the_look_is_a_folder_not_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, overwrite: bool
) -> None:
    """Another run makes the folder between this run's look (none there) and its write: with
    overwrite this run's set replaces the other's, whole; without, the other's stays and the
    error says the folder already exists (it used to call the new folder "not a folder")."""
    out = tmp_path / "res"
    real = Path.is_dir

    def racing(path: Path) -> bool:
        there = real(path)
        if path == out and not there:
            monkeypatch.setattr(Path, "is_dir", real)
            _result(_infeasible()).write(out)  # the other run, just after the look
        return there

    monkeypatch.setattr(Path, "is_dir", racing)
    if overwrite:
        _result().write(out, overwrite=True)
        assert json.loads((out / SUMMARY).read_text())["status"] == "optimal"
    else:
        with pytest.raises(OutputTakenError, match=f"{out} already exists"):
            _result().write(out)
        assert json.loads((out / SUMMARY).read_text())["status"] == "infeasible"
    assert sorted(_contents(out)) == sorted(RESULT_FILES)
