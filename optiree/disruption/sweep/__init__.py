"""Sweeps: one least-cost plan per scenario, for many scenarios, in parallel; one table back.

Each scenario is solved on its own, as if it were known in advance (perfect foresight):
:func:`optiree.disruption.scenarios.for_disruption` lets every material go short and makes every
stock target a strategic stock (drawn in a disruption, rebuilt after it),
:func:`optiree.disruption.scenarios.apply` puts the scenario into that problem, and
:func:`optiree.solve` finds the plan. :func:`random_scenarios` draws the scenarios of a
Monte Carlo sweep; :func:`sweep` runs them serially, on local processes or on dask, with the
same table whatever runs them. The distribution, the executors and the columns are described
in docs/sweep.md.
"""

import functools
import importlib
import math
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from io import BytesIO
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np
import pandas as pd
from tqdm import tqdm

from optiree import handoff
from optiree.disruption.scenarios import apply, for_disruption, scenario_probabilities
from optiree.errors import ArgumentError, MissingDependencyError, OptireeError
from optiree.files import write_atomic, write_table
from optiree.handoff import WarmStart
from optiree.model import build
from optiree.prepare import prepare
from optiree.results import ZERO, Status
from optiree.rules import Rule
from optiree.schema import Disruption, Problem, Scenario
from optiree.solve import SolverName, solve, solver_for

if TYPE_CHECKING:
    from distributed import Client

EMBARGO_PROBABILITY = 0.5
"""Default chance that a random disruption is an embargo (cut 1) rather than an export cut."""
CUT_RANGE = (0.1, 0.9)
"""Default range of an export cut's depth (share of capacity withheld), drawn uniformly."""
BATCHES_PER_WORKER = 4
"""Work is split into about this many batches per worker, so that a slow batch does not leave
the other workers idle at the end."""
MAX_BATCH = 25
"""Most scenarios in one batch (one task): the progress bar moves at least this often."""
NEEDS_DASK = "the dask executor needs dask.distributed: pip install 'optiree[dask]'"
NEEDS_PYARROW = "writing Parquet needs pyarrow: pip install 'optiree[parquet]'"
TABLE_SUFFIXES = (".csv", ".parquet")
EXECUTORS = ("serial", "processes", "dask")
SCHEDULER_ADDRESS = re.compile(r"(?:[a-z]+://)?[\w.\-]+:\d+|[a-z]+://\S+")
"""A dask scheduler address: tcp://host:8786, tls://host:8786, host:8786."""


def random_scenarios(
    problem: Problem,
    n: int,
    *,
    seed: int,
    country: str = "CN",
    materials: Sequence[str] | None = None,
    min_length: int = 0,
    max_length: int | None = None,
    embargo_probability: float = EMBARGO_PROBABILITY,
    cut_range: tuple[float, float] = CUT_RANGE,
) -> list[Scenario]:
    """``n`` random supply disruptions by ``country``, named ``r0001``, ``r0002``... (equally
    likely: no probability is set).

    Each scenario is drawn from its own random stream (``numpy.random.default_rng(seed)``
    spawned into ``n`` children), so the same seed gives the same scenarios, and the first
    ``k`` of ``n`` draws are the ``k`` of a smaller sweep. Every choice is uniform:

    - ``start``: one of the problem's periods;
    - ``length``: a whole number of periods from ``min_length`` to ``max_length`` (default:
      the number of periods), cut at the end of the horizon; 0 means no disruption (the
      scenario changes nothing);
    - kind: an embargo (cut 1) with probability ``embargo_probability``, else an export cut
      whose depth (share of capacity withheld) lies in ``cut_range``, rounded to 0.01;
    - materials: one of the non-empty subsets of ``materials`` (default: every material of
      the problem), each as likely as the others.

    Raises:
        OptireeError: ``n`` is below 1, ``country`` or a material is unknown, or a
            distribution parameter is out of range; every mistake is listed.
    """
    pool = list(problem.material_ids if materials is None else materials)
    periods = problem.periods
    longest = len(periods) if max_length is None else max_length
    mistakes = _draw_mistakes(
        problem,
        n=n,
        seed=seed,
        country=country,
        pool=pool,
        lengths=(min_length, longest),
        embargo_probability=embargo_probability,
        cut_range=cut_range,
    )
    if mistakes:
        raise ArgumentError("cannot draw random scenarios: " + "; ".join(mistakes))
    scenarios = []
    for i, rng in enumerate(np.random.default_rng(seed).spawn(n), start=1):
        first = int(rng.integers(len(periods)))
        length = int(rng.integers(min_length, longest + 1))
        embargo = bool(rng.random() < embargo_probability)
        depth = round(float(rng.uniform(*cut_range)), 2)
        chosen = _subset(rng, pool)
        disruptions = []
        if length > 0:
            disruptions.append(
                Disruption(
                    country=country,
                    materials=chosen,
                    start=periods[first],
                    length=min(length, len(periods) - first),
                    cut=1.0 if embargo else depth,
                )
            )
        scenarios.append(Scenario(name=f"r{i:04d}", disruptions=disruptions))
    return scenarios


def _draw_mistakes(
    problem: Problem,
    *,
    n: int,
    seed: int,
    country: str,
    pool: list[str],
    lengths: tuple[int, int],
    embargo_probability: float,
    cut_range: tuple[float, float],
) -> list[str]:
    """Everything wrong with the arguments of :func:`random_scenarios`, in words."""
    mistakes = []
    if not isinstance(n, int) or n < 1:
        mistakes.append(f"n must be a whole number of scenarios, at least 1; got {n!r}")
    if not isinstance(seed, int) or seed < 0:
        mistakes.append(f"seed must be a whole number >= 0; got {seed!r}")
    if country not in problem.countries:
        known = ", ".join(problem.countries)
        mistakes.append(f"unknown country {country!r}; the sources' countries are: {known}")
    unknown = [m for m in pool if m not in problem.material_ids]
    if unknown:
        known = ", ".join(problem.material_ids)
        mistakes.append(f"unknown material(s) {', '.join(unknown)}; known: {known}")
    repeated = sorted({m for m in pool if pool.count(m) > 1})
    if repeated:
        mistakes.append(f"material(s) listed twice: {', '.join(repeated)}")
    if not pool:
        mistakes.append("materials is empty: name at least one, or leave it out for all")
    shortest, longest = lengths
    if not 0 <= shortest <= longest:
        mistakes.append(
            f"lengths must satisfy 0 <= min_length <= max_length; got {shortest}, {longest}"
        )
    if not 0 <= embargo_probability <= 1:
        mistakes.append(f"embargo_probability must be in [0, 1]; got {embargo_probability}")
    low, high = cut_range
    if not 0 <= low <= high <= 1:
        mistakes.append(f"cut_range must satisfy 0 <= low <= high <= 1; got {cut_range}")
    return mistakes


def _subset(rng: np.random.Generator, pool: list[str]) -> list[str]:
    """A non-empty subset of ``pool``, uniform over all of them, in the order of ``pool``."""
    while True:
        chosen = [m for m, keep in zip(pool, rng.random(len(pool)) < 0.5, strict=True) if keep]
        if chosen:
            return chosen


@dataclass(frozen=True)
class _Job:
    """What every batch needs besides its scenarios, in plain data (sent to each task)."""

    problem: str
    """The problem faced (:func:`optiree.disruption.scenarios.for_disruption`) without its
    scenarios, as
    JSON (``Problem.model_dump_json``): its shortage penalties, strategic stocks and terminal
    prices are the same in every scenario."""
    solver: SolverName
    targets: tuple[tuple[str, str], ...]
    """("country" or "source", id) of every disruption of the sweep, in order of appearance."""


def sweep(
    problem: Problem,
    scenarios: Iterable[Scenario],
    *,
    executor: "str | Executor | Client | None" = None,
    solver: SolverName = "highs",
    penalty: float | Mapping[str, float] | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Solve ``problem`` under each scenario on its own; one row per scenario, in input order.

    A scenario's plan is ``solve(apply(for_disruption(problem, penalty=penalty), s))``: it
    knows the scenario from the start, every material may go short, and every stock target is
    a strategic stock, drawn in the disruption and rebuilt after it. Shortage penalties (the
    problem's own ``shortage_penalty``, else ``penalty``, else 10 times the material's dearest
    price), gap costs and terminal prices are fixed once for all scenarios from ``problem``, so
    a scenario made only of disruptions never costs less than one that changes nothing.

    Args:
        problem: the validated problem; its own ``scenarios`` are ignored.
        scenarios: the scenarios to solve; names must differ, and probabilities are given for
            all (summing to 1) or for none (equally likely).
        executor: ``None`` or ``"processes"``: local processes, one per CPU
            (``os.cpu_count()``); ``"serial"``: in this process; ``"dask"``: a dask
            ``LocalCluster`` on this machine, started and closed here; a scheduler address
            (``"tcp://host:8786"``) or a ``distributed.Client``: that dask cluster; or any
            ``concurrent.futures.Executor``. Work goes out in batches of scenarios, each with
            the problem as JSON. The table is the same whatever the executor.
        solver: "highs" or "cbc".
        penalty: the shortage penalty per tonne of materials the problem gives none (one
            number, or per material).
        progress: show a progress bar on stderr (only when it is a terminal).

    Returns:
        A DataFrame: ``scenario``, ``probability``, ``status``, ``total_cost`` [currency],
        ``short_<material>`` (tonnes short over the horizon [t]), ``share_<country>`` (share
        of all tonnes delivered, feeds' yields included, over every material and period), and
        for a scenario with one disruption its ``start``, ``length`` (periods), ``cut`` and
        ``materials`` (``Dy+Tb``); a scenario that changes nothing has length 0. Figures are
        NaN where the plan is not optimal. ``attrs`` holds ``currency`` and ``solver``.

    Raises:
        pydantic.ValidationError: a scenario names something the problem does not have (at
            ``scenarios.<i>``), names repeat, or probabilities do not sum to 1.
        SolverError: the solver is unknown or not installed.
        MissingDependencyError: dask is asked for and not installed.
        OptireeError: no scenarios, an unknown executor, or the dask scheduler cannot be
            reached.
    """
    listed = list(scenarios)
    if not listed:
        raise ArgumentError("nothing to sweep: give at least one scenario")
    document = problem.model_dump() | {"scenarios": [s.model_dump() for s in listed]}
    checked = Problem.model_validate(document)
    solver_for(solver)
    faced = for_disruption(problem, penalty=penalty)
    targets = dict.fromkeys(_target(d) for s in checked.scenarios for d in s.disruptions)
    job = _Job(faced.model_dump_json(exclude={"scenarios"}), solver, tuple(targets))
    texts = [s.model_dump_json() for s in checked.scenarios]
    # tqdm shows no bar when ``disable`` is None and stderr is not a terminal.
    with tqdm(
        total=len(texts),
        desc="sweep",
        unit="scenario",
        file=sys.stderr,
        disable=not progress or None,
    ) as bar:
        rows = _run(job, texts, executor, bar)
    table = _table(problem, checked.scenarios, scenario_probabilities(checked), rows)
    table.attrs.update(currency=problem.currency, solver=solver)
    return table


def _run(job: _Job, texts: list[str], executor: Any, bar: Any) -> list[dict[str, Any]]:
    """Every scenario's row, in order, from the executor asked for."""
    named = isinstance(executor, str)
    if named and executor not in EXECUTORS and not SCHEDULER_ADDRESS.fullmatch(executor):
        raise OptireeError(
            f"unknown executor {executor!r}: choose {', '.join(map(repr, EXECUTORS))}, a dask "
            "scheduler address such as 'tcp://host:8786', a concurrent.futures.Executor or a "
            "dask Client"
        )
    if executor == "serial":
        rows = []
        for text in texts:
            rows.extend(_solve_batch(job, [text]))
            bar.update(1)
        return rows
    workers = os.cpu_count() or 1
    if executor is None or executor == "processes":
        batches = _batches(texts, workers)
        with ProcessPoolExecutor(
            max_workers=min(workers, len(batches)), mp_context=get_context("spawn")
        ) as pool:
            return _gather(pool, job, batches, bar)
    if isinstance(executor, Executor):
        return _gather(executor, job, _batches(texts, workers), bar)
    return _run_dask(job, texts, executor, bar)


def _batches(texts: list[str], workers: int) -> list[list[str]]:
    size = min(MAX_BATCH, max(1, math.ceil(len(texts) / (BATCHES_PER_WORKER * workers))))
    return [texts[i : i + size] for i in range(0, len(texts), size)]


def _gather(pool: Executor, job: _Job, batches: list[list[str]], bar: Any) -> list[dict[str, Any]]:
    futures = {pool.submit(_solve_batch, job, batch): i for i, batch in enumerate(batches)}
    done: dict[int, list[dict[str, Any]]] = {}
    try:
        for future in as_completed(futures):
            i = futures[future]
            done[i] = future.result()
            bar.update(len(batches[i]))
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return [row for i in range(len(batches)) for row in done[i]]


def _run_dask(job: _Job, texts: list[str], executor: Any, bar: Any) -> list[dict[str, Any]]:
    try:
        # Imported here, and as Any: dask is optional, and distributed is not fully typed.
        distributed: Any = importlib.import_module("distributed")
    except ImportError as error:
        raise MissingDependencyError(NEEDS_DASK) from error
    if isinstance(executor, distributed.Client):
        return _gather_dask(executor, job, texts, bar)
    if executor == "dask":
        with (
            distributed.LocalCluster(
                n_workers=os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                # Any free port: the scheduler's HTTP server takes 8787 even without a
                # dashboard, and another cluster may hold it.
                dashboard_address=":0",
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            return _gather_dask(client, job, texts, bar)
    if isinstance(executor, str):
        try:
            client = distributed.Client(executor)
        except OSError as error:
            raise OptireeError(f"cannot reach the dask scheduler at {executor}: {error}") from None
        with client:
            return _gather_dask(client, job, texts, bar)
    raise OptireeError(
        f"unknown executor of type {type(executor).__name__}: give a name, a dask scheduler "
        "address, a concurrent.futures.Executor or a dask Client"
    )


def _gather_dask(client: Any, job: _Job, texts: list[str], bar: Any) -> list[dict[str, Any]]:
    distributed: Any = importlib.import_module("distributed")
    workers = sum(client.nthreads().values()) or 1
    batches = _batches(texts, workers)
    # A key of its own (hash=False): the data of an earlier sweep of the same problem may be
    # being released under the hashed key. Futures are released when they go out of scope.
    shared = client.scatter(job, broadcast=True, hash=False)
    futures = [client.submit(_solve_batch, shared, batch, pure=False) for batch in batches]
    index = {future.key: i for i, future in enumerate(futures)}
    done: dict[int, list[dict[str, Any]]] = {}
    try:
        for future in distributed.as_completed(futures):
            i = index[future.key]
            done[i] = future.result()  # the task's error, or CancelledError, is raised here
            bar.update(len(batches[i]))
    except BaseException:
        client.cancel(futures)
        raise
    return [row for i in range(len(batches)) for row in done[i]]


@functools.lru_cache(maxsize=2)
def _problem_from(text: str) -> Problem:
    """The problem of a job, parsed once per process."""
    return Problem.model_validate_json(text)


def _solve_batch(job: _Job, scenarios: list[str]) -> list[dict[str, Any]]:
    """The figures of each scenario (JSON) of one batch: the task every executor runs."""
    problem = _problem_from(job.problem)
    reuse = _reuse_for(job) if job.solver == "highs" else None
    rows = []
    for text in scenarios:
        scenario = Scenario.model_validate_json(text)
        row = reuse.figures(scenario) if reuse is not None else None
        rows.append(row if row is not None else _figures(problem, scenario, job))
    return rows


def _figures(problem: Problem, scenario: Scenario, job: _Job) -> dict[str, Any]:
    """A scenario's figures from a plan of its own, built and solved from scratch."""
    result = solve(apply(problem, scenario), solver=job.solver)
    materials, countries = problem.material_ids, problem.countries
    if not result.is_optimal:
        empty = dict.fromkeys([f"short_{m}" for m in materials], math.nan)
        empty |= dict.fromkeys([f"share_{c}" for c in countries], math.nan)
        return {"status": result.status.value, "total_cost": math.nan} | empty
    short = result.shortage.groupby("material")["tonnes"].sum()
    bought = result.supply.groupby("country")["tonnes"].sum()
    return _row(
        problem,
        result.total_cost,
        {m: float(short.get(m, 0.0)) for m in materials},
        {c: float(bought.get(c, 0.0)) for c in countries},
    )


def _row(
    problem: Problem, cost: float | None, short: dict[str, float], bought: dict[str, float]
) -> dict[str, Any]:
    """The figures of an optimal plan: its cost, tonnes short per material [t] and tonnes
    delivered per country [t] (as shares)."""
    total = sum(bought.values())
    return (
        {"status": Status.OPTIMAL.value, "total_cost": cost}
        | {f"short_{m}": short[m] for m in problem.material_ids}
        | {f"share_{c}": bought[c] / total if total > 0 else math.nan for c in problem.countries}
    )


def _target(disruption: Disruption) -> tuple[str, str]:
    """("country", id) or ("source", id): what a disruption cuts."""
    if disruption.country is not None:
        return "country", disruption.country
    return "source", str(disruption.source)


@functools.lru_cache(maxsize=2)
def _reuse_for(job: _Job) -> "_Reuse":
    """The reused solver of a job, set up once per process."""
    return _Reuse(_problem_from(job.problem), job.targets)


class _Reuse:
    """One HiGHS instance for every scenario of a sweep that has the base LP's structure.

    The base LP is the problem faced (:func:`optiree.disruption.scenarios.for_disruption`: every
    material may go short, every stock target a strategic stock), plus one cap per disruption target
    (country or source) on all its materials and periods at its full capacity, where it cannot
    bind. A scenario made only of disruptions, one per target, material and period, is then the
    base LP with the bounds of some rows changed: a disruption's cap rows get ``(1 - cut)`` x
    capacity in its periods and materials, as :func:`optiree.disruption.scenarios.apply` caps them,
    and the caps of other targets and periods are free rows (no bound). Any other kind of scenario
    is solved from scratch. Each solve starts from the base LP's optimal basis.
    """

    def __init__(self, problem: Problem, targets: tuple[tuple[str, str], ...]) -> None:
        self.problem = problem
        taken = {problem.cap_id(i) for i in range(len(problem.caps))}
        names = [f"sweep{i}" for i in range(len(targets) + len(taken) + 1)]
        self.cap_ids = dict(zip(targets, [n for n in names if n not in taken], strict=False))
        document = problem.model_dump()
        document["caps"] += [
            {"id": cap_id, kind: target, "max_share_of_capacity": 1.0}
            for (kind, target), cap_id in self.cap_ids.items()
        ]
        self.model = build(prepare(Problem.model_validate(document)))
        self.arrays = handoff.lp_arrays(self.model.lp)
        highs = self.arrays.highs
        self.caps: dict[str, dict[tuple[str, str], int]] = {c: {} for c in self.cap_ids.values()}
        for row in self.model.rows:
            if row.rule is Rule.CAP and row.subject in self.caps:
                self.caps[row.subject][row.material, row.period] = row.constraint.index
        cap_rows = [i for rows in self.caps.values() for i in rows.values()]
        self.full = highs.row_upper.copy()
        """Each cap row's limit at full capacity [t]."""
        self.row_upper = highs.row_upper.copy()
        self.row_upper[cap_rows] = np.inf
        self.solver = WarmStart(replace(highs, row_upper=self.row_upper), solver_for("highs"))
        countries = {c: i for i, c in enumerate(problem.countries)}
        materials = {m: i for i, m in enumerate(problem.material_ids)}
        data = self.model.data
        # tonnes delivered per unit of each variable, by the country of its source
        delivered = [
            (v, s, 1.0) for (s, *_), v in [*self.model.buy.items(), *self.model.tier.items()]
        ]
        delivered += [
            (v, data.feed_source[f], sum(data.yields[f].values()))
            for (f, _), v in self.model.feed.items()
        ]
        self.bought = (
            np.array([v.index for v, _, _ in delivered], np.intp),
            np.array([countries[data.country[s]] for _, s, _ in delivered], np.intp),
            np.array([per_unit for _, _, per_unit in delivered], float),
        )
        self.short = (
            np.array([v.index for v in self.model.short.values()], np.intp),
            np.array([materials[m] for m, _ in self.model.short], np.intp),
        )

    def figures(self, scenario: Scenario) -> dict[str, Any] | None:
        """The scenario's figures from the reused solver; None where it must be solved from
        scratch (another kind of scenario, or no optimal plan: the fresh solve says why)."""
        if scenario.caps or scenario.sources or scenario.demand:
            return None
        problem = self.problem
        row_upper = self.row_upper.copy()
        periods = problem.periods
        cut: set[int] = set()
        for d in scenario.disruptions:
            rows = self.caps[self.cap_ids[_target(d)]]
            first = periods.index(d.start)
            window = periods[first : len(periods) if d.length is None else first + d.length]
            for m in d.materials or problem.material_ids:
                for t in window:
                    i = rows.get((m, t))
                    if i is None:
                        continue  # nothing the target sells: apply's cap has no row here
                    if i in cut:
                        return None  # two caps on one row: the LP has a row more
                    cut.add(i)
                    row_upper[i] = (1 - d.cut) * self.full[i]
        status, x = self.solver.solve(row_upper=row_upper)
        if status != highspy.HighsModelStatus.kOptimal:
            return None
        x = np.where(np.abs(x) < ZERO, 0.0, x)
        cost = float(self.arrays.highs.cost @ x) + self.arrays.highs.offset
        short = np.bincount(self.short[1], x[self.short[0]], len(problem.material_ids))
        index, country, per_unit = self.bought
        bought = np.bincount(country, x[index] * per_unit, len(problem.countries))
        return _row(
            problem,
            cost,
            dict(zip(problem.material_ids, short.tolist(), strict=True)),
            dict(zip(problem.countries, bought.tolist(), strict=True)),
        )


def _parameters(problem: Problem, scenario: Scenario) -> dict[str, Any]:
    """start, length, cut and materials of a scenario's one disruption; length 0 if the
    scenario changes nothing; empty otherwise."""
    periods = problem.periods
    changes = scenario.disruptions or scenario.caps or scenario.sources or scenario.demand
    if not changes:
        return {"start": None, "length": 0, "cut": math.nan, "materials": None}
    if len(scenario.disruptions) != 1:
        return {"start": None, "length": math.nan, "cut": math.nan, "materials": None}
    (disruption,) = scenario.disruptions
    left = len(periods) - periods.index(disruption.start)
    return {
        "start": disruption.start,
        "length": left if disruption.length is None else min(disruption.length, left),
        "cut": disruption.cut,
        "materials": "+".join(disruption.materials or problem.material_ids),
    }


def _table(
    problem: Problem,
    scenarios: list[Scenario],
    probabilities: dict[str, float],
    rows: list[dict[str, Any]],
) -> pd.DataFrame:
    columns = [
        "scenario",
        "probability",
        "status",
        "total_cost",
        *(f"short_{m}" for m in problem.material_ids),
        *(f"share_{c}" for c in problem.countries),
        "start",
        "length",
        "cut",
        "materials",
    ]
    records = [
        {"scenario": s.name, "probability": probabilities[s.name]} | row | _parameters(problem, s)
        for s, row in zip(scenarios, rows, strict=True)
    ]
    return pd.DataFrame.from_records(records, columns=columns)


def sweep_summary(table: pd.DataFrame, worst: int = 5) -> str:
    """The text ``optiree sweep`` prints: counts, the expected cost, the ``worst`` scenarios."""
    currency = table.attrs.get("currency", "")
    optimal = table["status"] == "optimal"
    short = table.filter(regex="^short_").sum(axis=1) > 0
    lines = [
        f"{len(table)} scenarios: {int(optimal.sum())} optimal, "
        f"{int((short & optimal).sum())} with a shortage"
    ]
    if optimal.all():
        expected = float((table["probability"] * table["total_cost"]).sum())
        lines.append(f"Expected total cost: {expected:,.0f} {currency}")
    else:
        failed = table.loc[~optimal, "scenario"].tolist()
        shown = ", ".join(failed[:10]) + (", ..." if len(failed) > 10 else "")
        lines.append(f"Expected total cost: not known, {len(failed)} not solved: {shown}")
    head = table[optimal].sort_values("total_cost", ascending=False, kind="stable").head(worst)
    if head.empty:
        return "\n".join(lines) + "\n"
    cost = f"total_cost [{currency}]"
    shown_table = head.drop(columns=["status", "probability"]).rename(columns={"total_cost": cost})
    formatters = {
        cost: lambda v: f"{v:,.0f}",
        "cut": lambda v: f"{v:.2f}",
        "length": lambda v: f"{v:.0f}",
    }
    names = [str(c) for c in shown_table.columns]
    formatters |= {c: (lambda v: f"{v:,.1f}") for c in names if c.startswith("short_")}
    formatters |= {c: (lambda v: f"{v:.3f}") for c in names if c.startswith("share_")}
    lines.append(f"Worst {len(head)} by total cost:")
    lines.append(shown_table.to_string(index=False, formatters=formatters, na_rep="-"))
    return "\n".join(lines) + "\n"


def scenario_summary(table: pd.DataFrame) -> str:
    """A sweep's rows side by side, in input order: status, total cost, the cost above the
    first row (the baseline) [money], tonnes short per material [t], shares per country [%]."""
    currency = table.attrs.get("currency", "")
    base = table["total_cost"].iloc[0]
    shown = pd.DataFrame(
        {
            "scenario": table["scenario"],
            "status": table["status"],
            f"total_cost [{currency}]": table["total_cost"],
            f"above_{table['scenario'].iloc[0]} [{currency}]": table["total_cost"] - base,
        }
    )
    for column in table.filter(regex="^short_").columns:
        shown[f"{column} [t]"] = table[column]
    for column in table.filter(regex="^share_").columns:
        shown[f"{column} [%]"] = 100 * table[column]
    formatters = {
        str(c): (lambda v: f"{v:,.0f}")
        for c in shown.columns
        if str(c).startswith(("total_cost", "above_"))
    }
    formatters |= {str(c): (lambda v: f"{v:,.1f}") for c in shown.columns if "[t]" in str(c)}
    formatters |= {str(c): (lambda v: f"{v:.1f}") for c in shown.columns if "[%]" in str(c)}
    return shown.to_string(index=False, formatters=formatters, na_rep="-") + "\n"


def write_sweep(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a sweep table as CSV or Parquet (by the file's extension), whole or not at all.

    Raises:
        OptireeError: the extension is neither .csv nor .parquet.
        MissingDependencyError: Parquet is asked for and pyarrow is not installed.
        OutputError: the file cannot be written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_table(table, path)
    if suffix != ".parquet":
        raise ArgumentError(f"cannot write {path}: give a file ending in .csv or .parquet")
    return write_atomic(path, parquet_bytes(table))


def parquet_bytes(table: pd.DataFrame) -> bytes:
    """The table as a Parquet file (pyarrow), without the index.

    Raises:
        MissingDependencyError: pyarrow is not installed.
    """
    require_pyarrow()
    buffer = BytesIO()
    table.to_parquet(buffer, engine="pyarrow", index=False)
    return buffer.getvalue()


def require_pyarrow() -> None:
    """Raise :class:`MissingDependencyError` unless pyarrow can be imported."""
    try:
        importlib.import_module("pyarrow")
    except ImportError as error:
        raise MissingDependencyError(NEEDS_PYARROW) from error
