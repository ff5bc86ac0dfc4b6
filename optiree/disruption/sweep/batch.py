"""The batch engine of a sweep: the task every executor runs (:func:`solve_batch`), which
prices each scenario of a batch on one reused, warm-started HiGHS instance where it can
(:class:`_Reuse`) and from scratch otherwise."""

import functools
import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from optiree.disruption.scenarios import (
    Target,
    apply,
    disruption_periods,
    target_fields,
)
from optiree.handoff import RowBoundSweep, lp_arrays
from optiree.model import LpModel, build
from optiree.prepare import prepare
from optiree.results import ZERO, Status
from optiree.rules import Rule
from optiree.schema import Cap, Disruption, Problem, Scenario
from optiree.solve import solve
from optiree.solvers import SolverName, solver_for, warm


@dataclass(frozen=True)
class Job:
    """What every batch needs besides its scenarios, in plain data (sent to each task)."""

    problem: str
    """The problem faced (:func:`optiree.disruption.scenarios.for_disruption`) without its
    scenarios, as JSON (``Problem.model_dump_json``): its shortage penalties, strategic stocks
    and terminal prices are the same in every scenario."""
    solver: SolverName
    targets: tuple[Target, ...]
    """("country" or "source", id) of every disruption of the sweep, in order of appearance."""


def job_for(faced: Problem, scenarios: Iterable[Scenario], solver: SolverName) -> Job:
    """The job of sweeping ``scenarios`` over the problem ``faced``."""
    return Job(faced.model_dump_json(exclude={"scenarios"}), solver, warm_targets(scenarios))


def warm_targets(scenarios: Iterable[Scenario]) -> tuple[Target, ...]:
    """The targets of the disruptions a re-solve applies as cap bounds (:func:`warm_cut`),
    in order of appearance: a cap row each in the base LP."""
    found = (d.target for s in scenarios for d in s.disruptions if warm_cut(d))
    return tuple(dict.fromkeys(found))


@functools.lru_cache(maxsize=2)
def _problem_from(text: str) -> Problem:
    """The problem of a job, parsed once per process."""
    return Problem.model_validate_json(text)


def solve_batch(job: Job, scenarios: list[str]) -> list[dict[str, Any]]:
    """The figures of each scenario (JSON) of one batch: the task every executor runs."""
    return [_scenario_row(job, Scenario.model_validate_json(text)) for text in scenarios]


def _scenario_row(job: Job, scenario: Scenario) -> dict[str, Any]:
    """The scenario's figures: from the reused HiGHS instance where it can, else from
    scratch."""
    row = _reuse_for(job).figures(scenario) if warm(job.solver) else None
    return row if row is not None else _figures(_problem_from(job.problem), scenario, job)


def _figures(problem: Problem, scenario: Scenario, job: Job) -> dict[str, Any]:
    """A scenario's figures from a plan of its own, built and solved from scratch."""
    result = solve(apply(problem, scenario), solver=job.solver)
    if not result.is_optimal:
        return _failed_row(problem, result.status.value)
    short = result.shortage.groupby("material")["tonnes"].sum()
    bought = result.supply.groupby("country")["tonnes"].sum()
    return _row(
        problem,
        result.total_cost,
        {m: float(short.get(m, 0.0)) for m in problem.material_ids},
        {c: float(bought.get(c, 0.0)) for c in problem.countries},
    )


def _failed_row(problem: Problem, status: str) -> dict[str, Any]:
    """The figures of a scenario without an optimal plan: its status, NaN elsewhere."""
    empty = dict.fromkeys([f"short_{m}" for m in problem.material_ids], math.nan)
    empty |= dict.fromkeys([f"share_{c}" for c in problem.countries], math.nan)
    return {"status": status, "total_cost": math.nan} | empty


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


@functools.lru_cache(maxsize=2)
def _reuse_for(job: Job) -> "_Reuse":
    """The reused solver of a job, set up once per process."""
    return _Reuse(_problem_from(job.problem), job.targets)


def _cap_ids(problem: Problem, targets: tuple[Target, ...]) -> dict[Target, str]:
    """A cap id of its own for each target, ``sweep0``, ``sweep1``... skipping the problem's."""
    taken = {problem.cap_id(i) for i in range(len(problem.caps))}
    free = (name for name in map("sweep{}".format, itertools.count()) if name not in taken)
    return dict(zip(targets, free, strict=False))


def _with_caps(problem: Problem, cap_ids: dict[Target, str]) -> Problem:
    """``problem`` with a cap per target at its full capacity (where it cannot bind)."""
    added = [_full_cap(cap_id, who) for who, cap_id in cap_ids.items()]
    return problem.derive(caps=[*problem.caps, *added])


def _full_cap(cap_id: str, who: Target) -> Cap:
    """A cap at the full capacity of a country or source, on every material and period."""
    return Cap(id=cap_id, **target_fields(who), max_share_of_capacity=1.0)


def _cap_rows(model: LpModel, cap_ids: dict[Target, str]) -> dict[str, dict[tuple[str, str], int]]:
    """Cap id -> (material, period) -> the row of that cap in the model."""
    caps: dict[str, dict[tuple[str, str], int]] = {c: {} for c in cap_ids.values()}
    for row in model.rows:
        if row.rule is Rule.CAP and row.subject in caps:
            caps[row.subject][row.material, row.period] = row.constraint.index
    return caps


def _deliveries(model: LpModel) -> list[tuple[Any, str, float]]:
    """Each variable that delivers, its source and the tonnes it delivers per unit (a feed's
    yields together)."""
    data = model.data
    delivered = [(v, s, 1.0) for (s, *_), v in [*model.buy.items(), *model.tier.items()]]
    return delivered + [
        (v, data.feed_source[f], sum(data.yields[f].values())) for (f, _), v in model.feed.items()
    ]


def _delivered(model: LpModel, countries: list[str]) -> tuple[Any, Any, Any]:
    """Column, country (index) and tonnes delivered per unit of each variable that delivers."""
    index = {c: i for i, c in enumerate(countries)}
    country = model.data.country
    delivered = _deliveries(model)
    return (
        np.array([v.index for v, _, _ in delivered], np.intp),
        np.array([index[country[s]] for _, s, _ in delivered], np.intp),
        np.array([per_unit for _, _, per_unit in delivered], float),
    )


def _shortages(model: LpModel, materials: list[str]) -> tuple[Any, Any]:
    """Column and material (index) of each shortage variable."""
    index = {m: i for i, m in enumerate(materials)}
    return (
        np.array([v.index for v in model.short.values()], np.intp),
        np.array([index[m] for m, _ in model.short], np.intp),
    )


class CapSweep:
    """One warm HiGHS model for every scenario made only of disruptions, one per target,
    material and period: the problem with a full cap per target, whose cap rows each scenario
    bounds.

    The base LP is ``problem`` plus one cap per disruption target (country or source) on all
    its materials and periods at its full capacity, where it cannot bind, with whatever
    ``adjust`` adds or fixes in its model (rows, column bounds) before it is handed over. A
    scenario made only of disruptions is then the base LP with the bounds of some rows
    changed: a disruption's cap rows get ``(1 - cut)`` x capacity in its materials and in its
    periods from ``from_period`` on, as :func:`optiree.disruption.scenarios.apply` caps them,
    and the caps of other targets and periods are free rows (no bound). Each solve starts from
    the base LP's optimal basis (:class:`optiree.handoff.RowBoundSweep`).
    """

    def __init__(
        self,
        problem: Problem,
        targets: tuple[Target, ...],
        *,
        adjust: Callable[[LpModel], None] | None = None,
        from_period: str | None = None,
    ) -> None:
        self.problem = problem
        self.cap_ids = _cap_ids(problem, targets)
        periods = problem.periods
        self.later = set(periods if from_period is None else periods[periods.index(from_period) :])
        self.model = build(prepare(_with_caps(problem, self.cap_ids)))
        if adjust is not None:
            adjust(self.model)
        arrays = lp_arrays(self.model.lp)  # gives each row and column its index
        self.variables = arrays.variables
        self.caps = _cap_rows(self.model, self.cap_ids)
        cap_rows = [i for rows in self.caps.values() for i in rows.values()]
        self.solver = RowBoundSweep(arrays.highs, solver_for("highs"), cap_rows)

    def optimum(self, scenario: Scenario) -> Any:
        """The value of every column at the scenario's optimum; None where it must be solved
        from scratch (another kind of scenario, or no optimal plan: the fresh solve says
        why)."""
        row_upper = self._row_upper(scenario) if _only_disruptions(scenario) else None
        return None if row_upper is None else self.solver.optimum(row_upper)

    def _row_upper(self, scenario: Scenario) -> Any:
        """The cap rows' bounds under the scenario's disruptions; None when two of them cap one
        row (the LP has a row more)."""
        row_upper = self.solver.row_upper.copy()
        cut: set[int] = set()
        for d in scenario.disruptions:
            caps = self.caps[self.cap_ids[d.target]]
            rows = _rows_of(caps, d, self.problem, self.later)
            if _twice(rows, cut):
                return None
            cut.update(rows)
            row_upper[rows] = (1 - d.cut) * self.solver.full[rows]
        return row_upper


class _Reuse:
    """One HiGHS instance for every scenario of a sweep that has the base LP's structure
    (:class:`CapSweep` on the problem faced,
    :func:`optiree.disruption.scenarios.for_disruption`: every material may go short, every
    stock target a strategic stock); any other kind of scenario is solved from scratch."""

    def __init__(self, problem: Problem, targets: tuple[Target, ...]) -> None:
        self.problem = problem
        self.sweep = CapSweep(problem, targets)
        model = self.sweep.model
        self.bought = _delivered(model, problem.countries)
        self.short = _shortages(model, problem.material_ids)

    def figures(self, scenario: Scenario) -> dict[str, Any] | None:
        """The scenario's figures from the reused solver; None where it must be solved from
        scratch (another kind of scenario, or no optimal plan: the fresh solve says why)."""
        x = self.sweep.optimum(scenario)
        if x is None:
            return None
        x = np.where(np.abs(x) < ZERO, 0.0, x)
        problem = self.problem
        short = np.bincount(self.short[1], x[self.short[0]], len(problem.material_ids))
        index, country, per_unit = self.bought
        bought = np.bincount(country, x[index] * per_unit, len(problem.countries))
        return _row(
            problem,
            self.sweep.solver.cost(x),
            dict(zip(problem.material_ids, short.tolist(), strict=True)),
            dict(zip(problem.countries, bought.tolist(), strict=True)),
        )


def _rows_of(
    rows: Mapping[tuple[str, str], int], disruption: Disruption, problem: Problem, later: set[str]
) -> list[int]:
    """The cap ``rows`` (by material and period) in the disruption's materials and in its
    periods that are in ``later`` (none where the target sells nothing: apply's cap has no row
    there)."""
    window = [t for t in disruption_periods(problem.periods, disruption) if t in later]
    materials = disruption.materials or problem.material_ids
    return [rows[m, t] for m in materials for t in window if (m, t) in rows]


def _twice(rows: list[int], cut: set[int]) -> bool:
    """Whether a row comes twice in ``rows``, or is in ``cut`` already."""
    return len(set(rows)) < len(rows) or not cut.isdisjoint(rows)


def _only_disruptions(scenario: Scenario) -> bool:
    """Whether the scenario changes nothing but by disruptions of countries or sources (the
    bounds of the base LP's cap rows)."""
    changes = (scenario.caps, scenario.sources, scenario.demand)
    return not any(changes) and all(map(warm_cut, scenario.disruptions))


def warm_cut(disruption: Disruption) -> bool:
    """Whether a re-solve can apply ``disruption`` as bounds of the base LP's cap rows, one
    per material and period: a country's or a source's; not a facility's, whose cap totals
    its materials (a row the base LP does not have)."""
    return disruption.facility is None
