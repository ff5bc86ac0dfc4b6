"""solve() called from many threads, and from other processes, at once gives each caller its
own answer: the same as solving one problem after another (sweeps rely on this)."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
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
