"""Re-planning as a disruption unfolds: policies run period by period over many paths of a
disruption process, each knowing only the states so far; one table per path and policy, and
their distribution.

The parts: :mod:`~optiree.disruption.simulate.process` (the process: states, transitions,
paths), :mod:`~optiree.disruption.simulate.replan` (the re-plan of one path, the task every
executor runs). The executors are the sweep's (:func:`optiree.disruption.sweep.executors.
run_tasks`). docs/simulate.md describes the method and the tables.
"""

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optiree import arguments
from optiree.disruption.simulate.process import (
    Process,
    checked,
    every_path,
    load_process,
    sample_paths,
)
from optiree.disruption.simulate.replan import (
    LP,
    Policy,
    job_for,
    planned_problem,
    policy_of,
    simulate_batch,
    uncut,
)
from optiree.disruption.sweep.executors import machine_cpus, run_tasks
from optiree.errors import ArgumentError
from optiree.schema import Problem
from optiree.solvers import SolverName, check, name_of
from optiree.words import Carded, simulate_summary

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from distributed import Client

__all__ = ["ALL", "Policy", "Process", "Simulation", "load_process", "simulate"]

ALL = "all"
"""``paths=ALL``: every path of positive probability, with its probability (an exact
expectation, for small processes)."""
PROCESSES_FROM = 20
"""Paths from which a simulation without a named executor runs on local processes (on two CPUs
or more): a path re-plans every period for every policy, about 0.5 s per policy on the Japan
case, so the second of starting workers is soon paid back (a sweep's scenario takes 0.3 ms,
and its threshold is far higher)."""
PERCENTILES = (5, 50, 95)
"""The percentiles of each policy's cost in the distribution table."""
PATH_COLUMNS = [
    "policy",
    "path",
    "probability",
    "states",
    "status",
    "cost",
    "foresight",
    "short",
    "drawn",
    "rebuilt",
]
"""Columns of :attr:`Simulation.paths`."""


@dataclass(frozen=True)
class Simulation(Carded):
    """Policies run on the same paths of a disruption process."""

    paths: pd.DataFrame = field(repr=False)
    """One row per policy and path: ``policy``, ``path`` (its number), ``probability``,
    ``states`` (the state of each period, space-separated), ``status``, ``cost`` (the whole
    horizon, priced without stock targets [money]), ``foresight`` (the cost of the plan that knew
    the path from the start [money]), ``short`` (unmet demand [t]), ``drawn`` (stock drawn
    [t]) and ``rebuilt`` (stock put back after a draw [t]), summed over materials and
    periods."""
    distribution: pd.DataFrame = field(repr=False)
    """One row per policy: ``policy``, ``paths``, ``optimal`` (how many), ``mean``, ``std``,
    ``se`` (the standard error of the mean: √(Σ wᵢ² (xᵢ - mean)²), std / √n for n drawn paths),
    ``p5``, ``p50``, ``p95``, ``worst`` of the cost [money], ``foresight`` (mean cost with
    foresight [money]), ``short``, ``drawn``, ``rebuilt`` (means [t]); weighted by the
    paths' probabilities."""
    process: str
    currency: str
    solver: str
    lookahead: int | None
    """Periods each plan looks ahead, the present one included (its rolling horizon); None: to
    the end of the horizon."""

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name: ``distribution``, ``paths``."""
        return {"distribution": self.distribution, "paths": self.paths}

    def summary(self) -> str:
        """What ``optiree simulate`` prints: the distribution of each policy's cost."""
        return simulate_summary(self)


def simulate(
    problem: Problem,
    process: Process | Mapping[str, Any],
    policies: Iterable[Policy | str] = (LP,),
    *,
    paths: int | str = 100,
    seed: int = 0,
    lookahead: int | None = None,
    executor: "str | Executor | Client | None" = None,
    solver: SolverName = "highs",
    penalty: float | Mapping[str, float] | None = None,
    progress: bool = True,
) -> Simulation:
    """Run each policy on the same paths of ``process``, re-planning period by period.

    Args:
        problem: the validated problem; the states name its scenarios.
        process: a :class:`Process` (or its fields), checked against ``problem``.
        policies: ``"lp"`` (the problem's own stock targets), ``"stock:N"`` (N days of every
            material) or :class:`Policy` objects; names must differ.
        paths: how many paths to draw; ignored when the process gives its paths; ``"all"``
            lists every path of positive probability (an exact expectation).
        seed: seed of the draws (path ``i`` from child ``i`` of
            ``numpy.random.default_rng(seed).spawn(paths)``).
        lookahead: periods each plan looks ahead, the present one included (>= 1): its window
            over which the present state is believed to last; None: to the end of the
            horizon.
        executor: as :func:`optiree.disruption.sweep.sweep`'s; None: :func:`default_executor`.
        solver: "highs", "cbc", or any other solver (docs/solvers.md).
        penalty: the shortage penalty per tonne of materials the problem gives none.
        progress: show a progress bar on stderr (only when it is a terminal).

    Raises:
        pydantic.ValidationError: the process does not fit the problem (at its field).
        ArgumentError: an argument does not fit (named).
        SolverError, MissingDependencyError, OptireeError: as for a sweep.
    """
    problem = arguments.model(problem, "problem", Problem)
    process = checked(arguments.model(process, "process", Process), problem)
    chosen = arguments.listed(policies, "policies", policy_of)
    names = [p.name for p in chosen]
    if len(set(names)) < len(names):
        raise ArgumentError(f"policies: repeated names in {names}")
    if lookahead is not None:
        arguments.whole(lookahead, "lookahead")
        _check_window(problem, lookahead)
    arguments.whole(seed, "seed", low=0)
    arguments.penalty(penalty, "penalty", problem.material_ids)
    arguments.boolean(progress, "progress")
    check(solver)
    for policy in chosen:
        planned_problem(problem, policy)  # a stock policy needs period_days: say so now
    texts = [
        json.dumps({"path": i, "states": list(states), "probability": p})
        for i, (states, p) in enumerate(_paths(process, problem, paths, seed), start=1)
    ]
    job = job_for(
        problem, process, policies=chosen, lookahead=lookahead, solver=solver, penalty=penalty
    )
    if executor is None:
        executor = default_executor(machine_cpus(), len(texts))
    rows = run_tasks(simulate_batch, job, texts, executor, progress=progress, desc="simulate")
    table = pd.DataFrame(rows, columns=PATH_COLUMNS).sort_values(
        ["policy", "path"], key=lambda c: c.map(names.index) if c.name == "policy" else c
    )
    table = table.reset_index(drop=True)
    return Simulation(
        table,
        distribution(table, names),
        process.name,
        problem.currency,
        name_of(solver),
        lookahead,
    )


def _check_window(problem: Problem, lookahead: int) -> None:
    """A look-ahead short of the horizon's end needs rows that each hold within a period.

    Raises:
        ArgumentError: the problem has rows over several periods (named).
    """
    if lookahead >= len(problem.periods):
        return
    spanning = uncut(problem)
    if spanning:
        raise ArgumentError(
            f"lookahead {lookahead}: a plan cut short of the horizon's end would misread "
            f"{', '.join(spanning)} (over several periods): give a lookahead of "
            f"{len(problem.periods)} or more, or none"
        )


def default_executor(cpus: int, paths: int) -> str:
    """``"processes"`` from :data:`PROCESSES_FROM` paths on two CPUs or more, else
    ``"serial"``."""
    return "processes" if cpus >= 2 and paths >= PROCESSES_FROM else "serial"


def _paths(
    process: Process, problem: Problem, paths: int | str, seed: int
) -> list[tuple[tuple[str, ...], float]]:
    """The paths to run and their probabilities."""
    if process.paths is not None:
        given = process.paths
        return [(tuple(p.states), p.probability or 1 / len(given)) for p in given]
    if paths == ALL:
        return every_path(process, problem.periods)
    n = arguments.whole(paths, "paths")
    return [(states, 1 / n) for states in sample_paths(process, problem.periods, n, seed)]


def distribution(table: pd.DataFrame, policies: list[str]) -> pd.DataFrame:
    """Per policy: the paths, how many are optimal, the cost's weighted mean, standard
    deviation, the mean's standard error, percentiles and worst, the mean cost with
    foresight, and the mean tonnes short, drawn and rebuilt."""
    return pd.DataFrame([_moments(table[table["policy"] == name], name) for name in policies])


_MEANS = ("foresight", "short", "drawn", "rebuilt")
"""The columns of a path averaged as they are (the cost has its own moments)."""


def _percentile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The weighted ``q``-th percentile: the least value whose cumulative weight reaches q%
    (numpy's ``percentile(..., weights=, method="inverted_cdf")``, which numpy 1.26, the
    floor, does not have; the same value on 20,000 random cases)."""
    order = np.argsort(values, kind="stable")
    cdf = np.cumsum(weights[order])
    at = int(np.searchsorted(cdf / cdf[-1], q / 100, side="left"))
    return float(values[order][min(at, len(values) - 1)])


def _moments(rows: pd.DataFrame, name: str) -> dict[str, Any]:
    optimal = rows[rows["status"] == "optimal"]
    counted = {"policy": name, "paths": len(rows), "optimal": len(optimal)}
    if optimal.empty:
        measured = ["mean", "std", "se", *(f"p{q}" for q in PERCENTILES), "worst", *_MEANS]
        return counted | dict.fromkeys(measured, math.nan)
    weights = optimal["probability"].to_numpy(dtype=float)
    weights = weights / weights.sum()
    cost = optimal["cost"].to_numpy(dtype=float)
    mean = float(weights @ cost)
    spread = (cost - mean) ** 2
    return counted | {
        "mean": mean,
        "std": math.sqrt(max(float(weights @ spread), 0.0)),
        "se": math.sqrt(max(float(weights**2 @ spread), 0.0)),
        **{f"p{q}": _percentile(cost, weights, q) for q in PERCENTILES},
        "worst": float(cost.max()),
        **{c: float(weights @ optimal[c].to_numpy(dtype=float)) for c in _MEANS},
    }
