"""solve() called from many threads, and from other processes, at once gives each caller its
own answer: the same as solving one problem after another (sweeps rely on this)."""

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

import optiree
from optiree import Problem
from optiree.solve import SolverName
from tests.samples import two_country
from tests.test_supply import feed_problem, ramp_problem, tier_problem


def _problems() -> list[Problem]:
    """Twelve different problems: four kinds, each at three demand levels."""
    documents: list[dict[str, Any]] = []
    for scale in (1.0, 1.5, 2.0):
        for make in (
            two_country,
            feed_problem,
            tier_problem,
            lambda: ramp_problem({"max_increase": 5}),
        ):
            document = make()
            document["demand"] = {m: v * scale for m, v in document["demand"].items()}
            documents.append(document)
    return [Problem.model_validate(d) for d in documents]


def _answer(problem: Problem, solver: SolverName) -> tuple[str, float | None, list[float]]:
    result = optiree.solve(problem, solver)
    return result.status.value, result.total_cost, result.supply["tonnes"].tolist()


def _table(answers: list[tuple[str, float | None, list[float]]]) -> pd.DataFrame:
    return pd.DataFrame(answers, columns=["status", "total_cost", "tonnes"])


def test_threads_get_their_own_answers(solver: SolverName) -> None:
    problems = _problems() * 3
    serial = [_answer(p, solver) for p in problems]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(lambda p: _answer(p, solver), problems))
    pd.testing.assert_frame_equal(_table(threaded), _table(serial))
    assert len({cost for _, cost, _ in serial}) == 12  # twelve different answers to mix up


def test_processes_get_their_own_answers(solver: SolverName) -> None:
    problems = _problems()
    serial = [_answer(p, solver) for p in problems]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        parallel = list(pool.map(_answer, problems, [solver] * len(problems)))
    pd.testing.assert_frame_equal(_table(parallel), _table(serial))


def _write_at(out: Path, start: float, overwrite: bool, index: int) -> str:
    """Solve the index-th of four problems, wait until ``start``, then write its results to
    ``out``: "written", or the name of the error."""
    result = optiree.solve(_problems()[index])
    while time.time() < start:
        pass
    try:
        result.write(out, overwrite=overwrite)
    except optiree.OutputError as error:
        return type(error).__name__
    return "written"


def test_concurrent_writes_to_one_folder_publish_one_whole_set(tmp_path: Path) -> None:
    """Four processes write results to one folder at once. Without overwrite one wins and
    the others are told the folder is taken (OutputTakenError, exit 2 on the command line);
    with it every writer succeeds (they take turns) and the folder holds one writer's whole
    set."""
    sets = [
        _files(optiree.solve(p).write(tmp_path / f"alone{i}"))
        for i, p in enumerate(_problems()[:4])
    ]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=4, mp_context=context) as pool:
        for name, overwrite in [("a", True), ("a", True), ("b", False), ("c", True)]:
            out = tmp_path / name
            start = time.time() + 0.5
            runs = pool.map(_write_at, [out] * 4, [start] * 4, [overwrite] * 4, range(4))
            outcomes = sorted(runs)
            if overwrite:
                assert outcomes == ["written"] * 4
            else:
                assert outcomes == ["OutputTakenError"] * 3 + ["written"]
            assert _files(out) in sets
            assert not [p for p in out.iterdir() if p.name.startswith(".")]


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}
