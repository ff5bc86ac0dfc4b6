"""The executors of a sweep: in this process, on local processes, any
``concurrent.futures.Executor``, or dask. Each sends batches of scenarios (JSON) to
:func:`optiree.disruption.sweep.batch.solve_batch` and gives the rows back in input order."""

import importlib
import math
import os
import re
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from typing import Any

from optiree.disruption.sweep.batch import Job, solve_batch
from optiree.errors import ArgumentError, MissingDependencyError, OptireeError

BATCHES_PER_WORKER = 4
"""Work is split into about this many batches per worker, so that a slow batch does not leave
the other workers idle at the end."""
MAX_BATCH = 25
"""Most scenarios in one batch (one task): the progress bar moves at least this often."""
NEEDS_DASK = "the dask executor needs dask.distributed: pip install 'optiree[dask]'"
EXECUTORS = ("serial", "processes", "dask")
SCHEDULER_ADDRESS = re.compile(r"(?:[a-z]+://)?[\w.\-]+:\d+|[a-z]+://\S+")
"""A dask scheduler address: tcp://host:8786, tls://host:8786, host:8786."""

Rows = list[dict[str, Any]]


def run(job: Job, texts: list[str], executor: Any, bar: Any) -> Rows:
    """Every scenario's row, in order, from the executor asked for.

    Raises:
        ArgumentError: an unknown executor.
        MissingDependencyError: dask is asked for and not installed.
        OptireeError: the dask scheduler cannot be reached.
    """
    named = isinstance(executor, str)
    if named and executor not in EXECUTORS and not SCHEDULER_ADDRESS.fullmatch(executor):
        raise ArgumentError(
            f"unknown executor {executor!r}: choose {', '.join(map(repr, EXECUTORS))}, a dask "
            "scheduler address such as 'tcp://host:8786', a concurrent.futures.Executor or a "
            "dask Client"
        )
    if executor == "serial":
        return _serial(job, texts, bar)
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


def _serial(job: Job, texts: list[str], bar: Any) -> Rows:
    rows = []
    for text in texts:
        rows.extend(solve_batch(job, [text]))
        bar.update(1)
    return rows


def _batches(texts: list[str], workers: int) -> list[list[str]]:
    size = min(MAX_BATCH, max(1, math.ceil(len(texts) / (BATCHES_PER_WORKER * workers))))
    return [texts[i : i + size] for i in range(0, len(texts), size)]


def _gather(pool: Executor, job: Job, batches: list[list[str]], bar: Any) -> Rows:
    futures = {pool.submit(solve_batch, job, batch): i for i, batch in enumerate(batches)}
    done: dict[int, Rows] = {}
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


def _run_dask(job: Job, texts: list[str], executor: Any, bar: Any) -> Rows:
    try:
        # Imported here, and as Any: dask is optional, and distributed is not fully typed.
        distributed: Any = importlib.import_module("distributed")
    except ImportError as error:
        raise MissingDependencyError(NEEDS_DASK) from error
    if isinstance(executor, distributed.Client):
        return _gather_dask(executor, job, texts, bar)
    if executor == "dask":
        return _local_dask(distributed, job, texts, bar)
    if isinstance(executor, str):
        try:
            client = distributed.Client(executor)
        except OSError as error:
            raise OptireeError(f"cannot reach the dask scheduler at {executor}: {error}") from None
        with client:
            return _gather_dask(client, job, texts, bar)
    raise ArgumentError(
        f"unknown executor of type {type(executor).__name__}: give a name, a dask scheduler "
        "address, a concurrent.futures.Executor or a dask Client"
    )


def _local_dask(distributed: Any, job: Job, texts: list[str], bar: Any) -> Rows:
    """On a dask ``LocalCluster`` of this machine, started and closed here."""
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


def _gather_dask(client: Any, job: Job, texts: list[str], bar: Any) -> Rows:
    distributed: Any = importlib.import_module("distributed")
    workers = sum(client.nthreads().values()) or 1
    batches = _batches(texts, workers)
    # A key of its own (hash=False): the data of an earlier sweep of the same problem may be
    # being released under the hashed key. Futures are released when they go out of scope.
    shared = client.scatter(job, broadcast=True, hash=False)
    futures = [client.submit(solve_batch, shared, batch, pure=False) for batch in batches]
    index = {future.key: i for i, future in enumerate(futures)}
    done: dict[int, Rows] = {}
    try:
        for future in distributed.as_completed(futures):
            i = index[future.key]
            done[i] = future.result()  # the task's error, or CancelledError, is raised here
            bar.update(len(batches[i]))
    except BaseException:
        client.cancel(futures)
        raise
    return [row for i in range(len(batches)) for row in done[i]]
