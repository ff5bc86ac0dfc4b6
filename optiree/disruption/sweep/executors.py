"""The executors of a sweep: in this process, on local processes, any
``concurrent.futures.Executor``, or dask. Each sends batches of scenarios (JSON) to
:func:`optiree.disruption.sweep.batch.solve_batch` and gives the rows back in input order.
Without an executor named, :func:`default_executor` chooses serial or local processes by the
CPUs and the number of scenarios."""

import functools
import importlib
import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, as_completed
from typing import Any

from optiree.disruption.sweep.batch import Job, solve_batch
from optiree.errors import ArgumentError, MissingDependencyError, OptireeError
from optiree.schema import Scenario

BATCHES_PER_WORKER = 4
"""Work is split into about this many batches per worker, so that a slow batch does not leave
the other workers idle at the end."""
MAX_BATCH = 25
"""Most scenarios in one batch (one task): the progress bar moves at least this often."""
NEEDS_DASK = "the dask executor needs dask.distributed: pip install 'optiree[dask]'"
EXECUTORS = ("serial", "processes", "dask")
PROCESSES_FROM = 20_000
"""Scenarios from which local processes pay off on two CPUs. Measured on the bundled file on a
2-CPU machine shared with other work (docs/sweep.md, "Timings"): local processes took 1.08 s
for 100 scenarios (serial 0.05 s), 1.00 s for 1,000 (0.42 s), 3.99 s for 5,000 (2.17 s) and
8.87 s for 20,000 (8.73 s). Starting the workers (a fresh interpreter each, importing optiree
and parsing the problem) and sending them the work cost more than the second CPU saves below
that. A larger problem takes longer per scenario and pays off from fewer: below this, serial
is the faster."""
SCHEDULER_ADDRESS = re.compile(r"(?:[a-z]+://)?[\w.\-]+:\d+|[a-z]+://\S+")
"""A dask scheduler address: tcp://host:8786, tls://host:8786, host:8786."""

Rows = list[dict[str, Any]]
Task = Callable[[Any, list[str]], Rows]
"""The task every executor runs on a batch: (job, items as JSON) -> rows, a module-level
function (sent to worker processes by name): :func:`solve_batch` for a sweep."""
Run = Callable[[Task, Any, list[str], Any, Any], Rows]
"""An executor's way of running: (task, job, items as JSON, the executor, the progress bar)."""


def run(job: Job, scenarios: Sequence[Scenario], executor: Any, *, progress: bool) -> Rows:
    """Every scenario's row, in order, from the executor asked for, with a progress bar on
    stderr when ``progress`` (and stderr is a terminal).

    Raises:
        ArgumentError: an unknown executor.
        MissingDependencyError: dask is asked for and not installed.
        OptireeError: the dask scheduler cannot be reached.
    """
    texts = [s.model_dump_json() for s in scenarios]
    return run_tasks(solve_batch, job, texts, executor, progress=progress)


def run_tasks(
    task: Task,
    job: Any,
    texts: list[str],
    executor: Any,
    *,
    progress: bool,
    desc: str = "sweep",
    unit: str = "scenario",
) -> Rows:
    """The rows of ``task`` run on every item (JSON text) in batches, in order, on the
    executor asked for (as :func:`run`); the progress bar counts items.

    Raises:
        ArgumentError: an unknown executor.
        MissingDependencyError: dask is asked for and not installed.
        OptireeError: the dask scheduler cannot be reached.
    """
    _check(executor)
    if executor is None:
        executor = default_executor(machine_cpus(), len(texts))
    from tqdm import tqdm  # noqa: PLC0415  # loaded by a sweep, not by ``import optiree``

    # tqdm shows no bar when ``disable`` is None and stderr is not a terminal.
    with tqdm(
        total=len(texts),
        desc=desc,
        unit=unit,
        file=sys.stderr,
        disable=not progress or None,
    ) as bar:
        return _runner(executor)(task, job, texts, executor, bar)


def _check(executor: Any) -> None:
    named = isinstance(executor, str)
    if named and executor not in EXECUTORS and not SCHEDULER_ADDRESS.fullmatch(executor):
        raise ArgumentError(
            f"unknown executor {executor!r}: choose {', '.join(map(repr, EXECUTORS))}, a dask "
            "scheduler address such as 'tcp://host:8786', a concurrent.futures.Executor or a "
            "dask Client"
        )


def processes_from(cpus: int) -> int | None:
    """The fewest scenarios a sweep without a named executor runs on local processes, on a
    machine of ``cpus`` CPUs; None on one CPU (always serial).

    The workers' cost (starting them, sending them the work) is taken as that of solving
    ``PROCESSES_FROM / 2`` scenarios in this process, and ``cpus`` workers save
    ``1 - 1/cpus`` of the serial time: they pay off from
    ``PROCESSES_FROM / 2 * cpus / (cpus - 1)`` scenarios, ``PROCESSES_FROM`` on two CPUs and
    never fewer than half of it on any number."""
    if cpus < 2:
        return None
    return math.ceil(PROCESSES_FROM * cpus / (2 * (cpus - 1)))


def default_executor(cpus: int, scenarios: int) -> str:
    """The executor of a sweep of ``scenarios`` when none is named, on a machine of ``cpus``
    CPUs: ``"processes"`` from :func:`processes_from` scenarios on, else ``"serial"``."""
    least = processes_from(cpus)
    return "processes" if least is not None and scenarios >= least else "serial"


def machine_cpus() -> int:
    """The CPUs of this machine (``os.cpu_count()``): the workers of local processes."""
    return os.cpu_count() or 1


def _runner(executor: Any) -> Run:
    """How ``executor`` runs: by its name, as a ``concurrent.futures.Executor``, or dask."""
    if isinstance(executor, Executor):
        return _pool
    if isinstance(executor, str | None):
        return _NAMED.get(executor, _dask)
    return _dask


def _serial(task: Task, job: Any, texts: list[str], _executor: Any, bar: Any) -> Rows:
    """In this process, one item at a time."""
    rows = []
    for text in texts:
        rows.extend(task(job, [text]))
        bar.update(1)
    return rows


def _processes(task: Task, job: Any, texts: list[str], _executor: Any, bar: Any) -> Rows:
    """On local processes, one per CPU (spawned: nothing of this process is inherited)."""
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415  # only when used
    from multiprocessing import get_context  # noqa: PLC0415

    batches = _batches(texts, machine_cpus())
    with ProcessPoolExecutor(
        max_workers=min(machine_cpus(), len(batches)), mp_context=get_context("spawn")
    ) as pool:
        return _gather(task, pool, job, batches, bar)


def _pool(task: Task, job: Any, texts: list[str], executor: Executor, bar: Any) -> Rows:
    """On the ``concurrent.futures.Executor`` given."""
    return _gather(task, executor, job, _batches(texts, machine_cpus()), bar)


_NAMED: dict[str | None, Run] = {"processes": _processes, "serial": _serial}


def _batches(texts: list[str], workers: int) -> list[list[str]]:
    size = min(MAX_BATCH, max(1, math.ceil(len(texts) / (BATCHES_PER_WORKER * workers))))
    return [texts[i : i + size] for i in range(0, len(texts), size)]


def _gather(task: Task, pool: Executor, job: Any, batches: list[list[str]], bar: Any) -> Rows:
    futures = {pool.submit(task, job, batch): i for i, batch in enumerate(batches)}
    cancel = functools.partial(_cancel_all, futures)
    return _collect(as_completed(futures), futures.__getitem__, cancel, batches, bar)


def _cancel_all(futures: Iterable[Any]) -> None:
    for future in futures:
        future.cancel()


def _collect(
    completed: Iterable[Any],
    position: Callable[[Any], int],
    cancel: Callable[[], object],
    batches: list[list[str]],
    bar: Any,
) -> Rows:
    """The rows of every batch, in order, as their futures complete; every future is
    cancelled on the first error (raised here)."""
    done: dict[int, Rows] = {}
    try:
        for future in completed:
            i = position(future)
            done[i] = future.result()  # the task's error, or CancelledError, is raised here
            bar.update(len(batches[i]))
    except BaseException:
        cancel()
        raise
    return [row for i in range(len(batches)) for row in done[i]]


def _dask(task: Task, job: Any, texts: list[str], executor: Any, bar: Any) -> Rows:
    """On dask: a ``distributed.Client``, a scheduler address, or ``"dask"`` (a cluster of
    this machine's own)."""
    distributed = _distributed()
    if isinstance(executor, distributed.Client):
        return _gather_dask(task, executor, job, texts, bar)
    if executor == "dask":
        return _local_dask(task, distributed, job, texts, bar)
    if isinstance(executor, str):
        return _remote_dask(task, distributed, executor, job, texts, bar=bar)
    raise ArgumentError(
        f"unknown executor of type {type(executor).__name__}: give a name, a dask scheduler "
        "address, a concurrent.futures.Executor or a dask Client"
    )


def _distributed() -> Any:
    """dask's ``distributed`` module, as Any: dask is optional, and not fully typed."""
    try:
        return importlib.import_module("distributed")
    except ImportError as error:
        raise MissingDependencyError(NEEDS_DASK) from error


def _remote_dask(
    task: Task, distributed: Any, address: str, job: Any, texts: list[str], *, bar: Any
) -> Rows:
    """On the dask cluster whose scheduler is at ``address``."""
    try:
        client = distributed.Client(address)
    except OSError as error:
        raise OptireeError(f"cannot reach the dask scheduler at {address}: {error}") from None
    with client:
        return _gather_dask(task, client, job, texts, bar)


def _local_dask(task: Task, distributed: Any, job: Any, texts: list[str], bar: Any) -> Rows:
    """On a dask ``LocalCluster`` of this machine, started and closed here."""
    with (
        distributed.LocalCluster(
            n_workers=machine_cpus(),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            # Any free port: the scheduler's HTTP server takes 8787 even without a
            # dashboard, and another cluster may hold it.
            dashboard_address=":0",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        return _gather_dask(task, client, job, texts, bar)


def _gather_dask(task: Task, client: Any, job: Any, texts: list[str], bar: Any) -> Rows:
    distributed = _distributed()
    batches = _batches(texts, sum(client.nthreads().values()) or 1)
    # A key of its own (hash=False): the data of an earlier sweep of the same problem may be
    # being released under the hashed key. Futures are released when they go out of scope.
    shared = client.scatter(job, broadcast=True, hash=False)
    futures = [client.submit(task, shared, batch, pure=False) for batch in batches]
    position = functools.partial(_by_key, {future.key: i for i, future in enumerate(futures)})
    cancel = functools.partial(client.cancel, futures)
    return _collect(distributed.as_completed(futures), position, cancel, batches, bar)


def _by_key(index: dict[Any, int], future: Any) -> int:
    return index[future.key]
