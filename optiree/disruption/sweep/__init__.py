"""Sweeps: one least-cost plan per scenario, for many scenarios, in parallel; one table back.

Each scenario is solved on its own, as if it were known in advance (perfect foresight):
:func:`optiree.disruption.scenarios.for_disruption` lets every material go short and makes every
stock target a strategic stock (drawn in a disruption, rebuilt after it),
:func:`optiree.disruption.scenarios.apply` puts the scenario into that problem, and
:func:`optiree.solve` finds the plan. :func:`random_scenarios` draws the scenarios of a
Monte Carlo sweep; :func:`sweep` runs them serially, on local processes or on dask, with the
same table whatever runs them. The distribution, the executors and the columns are described
in docs/sweep.md.

The parts: :mod:`~optiree.disruption.sweep.draws` (the random scenarios),
:mod:`~optiree.disruption.sweep.batch` (the task every executor runs, reusing one warm-started
HiGHS instance), :mod:`~optiree.disruption.sweep.executors` (serial, processes, dask) and
:mod:`~optiree.disruption.sweep.table` (the :class:`Sweep` result and its files).
"""

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from optiree import arguments
from optiree.disruption.scenarios import for_disruption, scenario_probabilities
from optiree.disruption.sweep.batch import job_for
from optiree.disruption.sweep.draws import CUT_RANGE, EMBARGO_PROBABILITY, random_scenarios
from optiree.disruption.sweep.executors import EXECUTORS, SCHEDULER_ADDRESS, run
from optiree.disruption.sweep.table import (
    TABLE_SUFFIXES,
    Sweep,
    parquet_bytes,
    require_pyarrow,
    sweep_table,
    write_sweep,
)
from optiree.errors import ArgumentError
from optiree.schema import Problem, Scenario
from optiree.solvers import SolverName, name_of, solver_for

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from distributed import Client

__all__ = [
    "CUT_RANGE",
    "EMBARGO_PROBABILITY",
    "EXECUTORS",
    "SCHEDULER_ADDRESS",
    "TABLE_SUFFIXES",
    "Sweep",
    "parquet_bytes",
    "random_scenarios",
    "require_pyarrow",
    "sweep",
    "write_sweep",
]


def sweep(
    problem: Problem,
    scenarios: Iterable[Scenario],
    *,
    executor: "str | Executor | Client | None" = None,
    solver: SolverName = "highs",
    penalty: float | Mapping[str, float] | None = None,
    progress: bool = True,
) -> Sweep:
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
        executor: ``None``: ``"serial"``, or ``"processes"`` from
            :func:`~optiree.disruption.sweep.executors.processes_from` scenarios on (20,000
            on two CPUs; always serial on one); ``"processes"``: local processes, one per CPU
            (``os.cpu_count()``); ``"serial"``: in this process; ``"dask"``: a dask
            ``LocalCluster`` on this machine, started and closed here; a scheduler address
            (``"tcp://host:8786"``) or a ``distributed.Client``: that dask cluster; or any
            ``concurrent.futures.Executor``. Work goes out in batches of scenarios, each with
            the problem as JSON. The table is the same whatever the executor.
        solver: "highs", "cbc", or any other solver (docs/solvers.md); only "highs" re-solves
            one warm model, any other solves each scenario anew.
        penalty: the shortage penalty per tonne of materials the problem gives none (one
            number, or per material).
        progress: show a progress bar on stderr (only when it is a terminal).

    Returns:
        A :class:`Sweep`: its ``table`` has ``scenario``, ``probability``, ``status``,
        ``total_cost`` [currency], ``short_<material>`` (tonnes short over the horizon [t]),
        ``share_<country>`` (share of all tonnes delivered, feeds' yields included, over every
        material and period), and for a scenario with one disruption its ``start``, ``length``
        (periods), ``cut`` and ``materials`` (``Dy+Tb``); a scenario that changes nothing has
        length 0. Figures are NaN where the plan is not optimal. It also holds the
        ``currency`` and the ``solver``.

    Raises:
        pydantic.ValidationError: a scenario names something the problem does not have (at
            ``scenarios.<i>``), names repeat, or probabilities do not sum to 1.
        SolverChoiceError: the solver is unknown.
        SolverError: the solver is not installed.
        MissingDependencyError: dask is asked for and not installed.
        ArgumentError: no scenarios, or an unknown executor.
        OptireeError: the dask scheduler cannot be reached.
    """
    problem = arguments.model(problem, "problem", Problem)
    listed = arguments.listed(scenarios, "scenarios", _scenario, minimum=0)
    arguments.penalty(penalty, "penalty", problem.material_ids)
    arguments.boolean(progress, "progress")
    if not listed:
        raise ArgumentError("nothing to sweep: give at least one scenario")
    checked = problem.derive(scenarios=listed)
    solver_for(solver)
    job = job_for(for_disruption(problem, penalty=penalty), checked.scenarios, solver)
    rows = run(job, checked.scenarios, executor, progress=progress)
    table = sweep_table(problem, checked.scenarios, scenario_probabilities(checked), rows)
    return Sweep(table, problem.currency, name_of(solver))


def _scenario(value: object, name: str) -> Scenario:
    return arguments.model(value, name, Scenario)
