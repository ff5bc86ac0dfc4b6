"""The re-plan of one path, period by period: the task every executor runs
(:func:`simulate_batch`).

A policy is optiree's LP, under the problem's own stock targets (``lp``) or a target of ``N``
days for every material (``stock:N``), re-solved at each period with what is known then, over
a rolling horizon (a window):

1. the states of the periods so far (the present one included) are known;
2. the plan looks ``lookahead`` periods ahead, the present one included (by default to the end
   of the horizon): its window ends there (:func:`window_end`), and the problem is cut to the
   periods up to the window's end (:func:`first_periods`);
3. the present state is believed to last to the window's end;
4. the window's end is planned as the horizon's end is: every stock rule holds in the window,
   and a strategic stock's tonnes still below target at its last period cost the terminal
   price (what rebuilding them costs), so the end of a window does not make running the stock
   down look free;
5. the periods before the present one are fixed to what was decided in them
   (:func:`optiree.disruption.stress.fix_committed`, as a stress test keeps a plan's committed
   periods); the present period's decisions are those of this plan.

Every material may go short and every stock target is a strategic stock, drawn and rebuilt
(:func:`optiree.disruption.scenarios.for_disruption`), as in stress tests and sweeps. The last
period's plan is a plan of the path as it came. It is then priced without any stock target:
what it bought, held and left short, at the problem's prices and shortage penalties
(:func:`_scored`), so that policies with different targets are compared on one scale and no
target is charged for itself. The plan that knew the path from the start (``foresight``) is
the least-cost plan of that problem: no policy costs less.

Repeated prefixes are solved once per process: the plan of a period depends only on the states
so far (:func:`_step`, cached).
"""

import dataclasses
import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from optiree.disruption.scenarios import apply, for_disruption
from optiree.disruption.simulate.process import (
    Effect,
    Path_,
    Process,
    path_scenario,
    state_effects,
)
from optiree.disruption.stress import fix_committed, plan_values
from optiree.errors import ArgumentError
from optiree.model import build
from optiree.prepare import CapRow, ContractRow, ProblemData, prepare
from optiree.results import Result, Status, optimal_result
from optiree.schema import Problem
from optiree.solve import run_solver
from optiree.solvers import SolverName, name_of, solver_for

LP = "lp"
"""The policy of the problem's own stock targets."""
STOCK = "stock:"
"""The prefix of a policy of ``N`` days of stock of every material: ``stock:60``."""
STRATEGIC = ("below", "gap")
"""The variables of a stock target, which the problem a plan is priced on has none of."""
CACHED_STEPS = 256
"""Plans of path prefixes kept per process (a plan of the Japan case is about 50 kB pickled):
the early periods, which most paths share, stay among the most recent."""


@dataclass(frozen=True)
class Policy:
    """How each period is planned: the LP with the problem's stock targets (``stock_days``
    None), or with a target of ``stock_days`` days of demand for every material."""

    name: str
    stock_days: float | None = None


def policy_of(value: object, name: str) -> Policy:
    """``"lp"``, ``"stock:N"`` (N >= 0 days) or a :class:`Policy`."""
    if isinstance(value, Policy):
        return value
    if value == LP:
        return Policy(LP)
    if isinstance(value, str) and value.startswith(STOCK):
        try:
            days = float(value.removeprefix(STOCK))
        except ValueError:
            days = math.nan
        if 0 <= days < math.inf:  # NaN where the days are not a number
            return Policy(value, days)
    raise ArgumentError(
        f"{name}: {value!r} is not a policy: give 'lp' (the problem's own stock targets) or "
        "'stock:N' (N >= 0 days of demand of every material, e.g. 'stock:60')"
    )


def planned_problem(problem: Problem, policy: Policy) -> Problem:
    """The problem a policy plans under: ``problem``, or its stock targets replaced by
    ``stock_days`` days of every material.

    Raises:
        ArgumentError: a stock policy for a problem without ``period_days``.
    """
    if policy.stock_days is None:
        return problem
    if not policy.stock_days:  # no target: nothing to fall below
        return problem.derive(
            security=problem.security.derive(min_stock_days={}, min_stock_cover={}),
            stock=problem.stock.derive(below_target_cost={}, terminal_price={}),
        )
    if problem.period_days is None:
        raise ArgumentError(
            f"policy {policy.name!r} needs the problem's period_days (days in a period) to "
            "count days of stock: set it in the problem file"
        )
    days = dict.fromkeys(problem.material_ids, policy.stock_days)
    return problem.derive(security=problem.security.derive(min_stock_days=days, min_stock_cover={}))


NO_TARGET = Policy("stock:0", 0.0)
"""No stock target: the terms every plan is priced on."""


@dataclass(frozen=True)
class Job:
    """What every batch needs besides its paths, in plain data (sent to each task)."""

    problem: str
    """The problem, its scenarios included, as JSON."""
    process: str
    """The process, as JSON."""
    policies: tuple[Policy, ...]
    lookahead: int | None
    """Periods each plan looks ahead, the present one included; None: to the horizon's end."""
    solver: SolverName
    penalty: float | tuple[tuple[str, float], ...] | None
    """As ``for_disruption``'s ``penalty``; a mapping as its sorted items."""


def job_for(
    problem: Problem,
    process: Process,
    *,
    policies: Sequence[Policy],
    lookahead: int | None,
    solver: SolverName,
    penalty: float | Mapping[str, float] | None,
) -> Job:
    """The job of simulating ``policies`` on ``process``'s paths."""
    given = tuple(sorted(penalty.items())) if isinstance(penalty, Mapping) else penalty
    return Job(
        problem.model_dump_json(),
        process.model_dump_json(),
        tuple(policies),
        lookahead,
        solver,
        given,
    )


@dataclass(frozen=True)
class _Setting:
    """A job's problems, parsed and prepared once per process."""

    periods: list[str]
    effects: dict[str, Effect]
    scoring: Problem
    """The problem faced without stock targets: what every plan is priced on."""
    planning: tuple[Problem, ...]
    """The problem faced by each policy."""


@functools.lru_cache(maxsize=2)
def _setting(job: Job) -> _Setting:
    problem = Problem.model_validate_json(job.problem)
    process = Process.model_validate_json(job.process)
    penalty = dict(job.penalty) if isinstance(job.penalty, tuple) else job.penalty
    return _Setting(
        problem.periods,
        state_effects(process, problem),
        for_disruption(planned_problem(problem, NO_TARGET), penalty=penalty),
        tuple(for_disruption(planned_problem(problem, p), penalty=penalty) for p in job.policies),
    )


def _under(faced: Problem, setting: _Setting, effects: Sequence[Effect]) -> Problem:
    """``faced`` with the disruptions of each period."""
    return apply(faced, path_scenario("path", effects, setting.periods))


def window_end(present: int, count: int, lookahead: int | None) -> int:
    """How many periods the plan made in period ``present`` (from 0) covers, of ``count``:
    to ``lookahead`` periods ahead, the present one included, or to the horizon's end."""
    return count if lookahead is None else min(count, present + lookahead)


def believed(prefix: Path_, end: int) -> list[str]:
    """The states believed at the last period of ``prefix`` over the first ``end`` periods:
    those known, then the present one to the end."""
    return [*prefix, *[prefix[-1]] * (end - len(prefix))]


def first_periods(data: ProblemData, count: int) -> ProblemData:
    """``data`` cut to its first ``count`` periods: every number of a later period dropped,
    so that the last period kept is planned as the horizon's end (its strategic stock's gap at
    the terminal price). For problems whose rows are each within a period (:func:`uncut`
    says which are not)."""
    if count == len(data.periods):
        return data
    kept = set(data.periods[:count])
    cut: dict[str, Any] = {
        f.name: {k: v for k, v in value.items() if k[-1] in kept}
        for f in dataclasses.fields(data)
        if _period_keyed(value := getattr(data, f.name))
    }
    return dataclasses.replace(
        data,
        periods=data.periods[:count],
        caps=tuple(r for r in data.caps if _within(r.cells, kept)),
        contracts=tuple(r for r in data.contracts if _within(r.cells, kept)),
        **cut,
    )


def _period_keyed(value: object) -> bool:
    """A mapping keyed by tuples whose last item is a period (``(source, material, period)``)."""
    return isinstance(value, dict) and bool(value) and isinstance(next(iter(value)), tuple)


def _within(cells: Sequence[tuple[str, ...]], kept: set[str]) -> bool:
    """A row's cells, all in one period, are in ``kept``."""
    return bool(cells) and cells[0][-1] in kept


def uncut(problem: Problem) -> list[str]:
    """What a plan cut short of the horizon's end would misread: investments and budgets
    (built over the horizon), qualification costs (paid once for the horizon), caps and
    contracts totalled over several periods; their input fields."""
    data = prepare(problem)
    found = [f"investments[{o.id}]" for o in data.options]
    found += [f"budgets[{i}]" for i in range(len(problem.budgets))]
    found += [f"sources[{s}].qualification_cost" for s in data.qualification]
    rows: list[tuple[str, CapRow | ContractRow]] = [
        *(("cap", r) for r in data.caps),
        *(("contract", r) for r in data.contracts),
    ]
    found += sorted({f"{kind} {r.period}" for kind, r in rows if len({c[-1] for c in r.cells}) > 1})
    return found


@functools.lru_cache(maxsize=CACHED_STEPS)
def _step(job: Job, policy: int, prefix: Path_) -> Result | Status:
    """The plan made at the last period of ``prefix`` over its window, earlier periods kept as
    decided."""
    setting = _setting(job)
    previous = _step(job, policy, prefix[:-1]) if len(prefix) > 1 else None
    if isinstance(previous, Status):
        return previous
    present, count = len(prefix) - 1, len(setting.periods)
    states = believed(prefix, window_end(present, count, job.lookahead))
    effects = [setting.effects[s] for s in states]
    data = prepare(_under(setting.planning[policy], setting, effects))
    model = build(first_periods(data, len(states)))
    if previous is not None:
        # a plan whose window ended in the last committed period charged its strategic stock's
        # gap there at the terminal price; in this longer window that period is not the last
        cut_there = window_end(present - 1, count, job.lookahead) == present
        fix_committed(model, previous, present, same_cost=not cut_there)
    return _solved(model, job.solver)


def _solved(model: Any, solver: SolverName) -> Result | Status:
    """The plan of ``model``, or how its solve ended when it has none."""
    status, _ = run_solver(model, solver_for(solver))
    return optimal_result(model, name_of(solver)) if status is Status.OPTIMAL else status


def _scored(job: Job, setting: _Setting, path: Path_, plan: Result) -> Result | Status:
    """``plan`` priced along ``path`` without stock targets: every decision kept (what it
    bought, used, held, left short), no charge for stock below a target."""
    effects = [setting.effects[s] for s in path]
    model = build(prepare(_under(setting.scoring, setting, effects)))
    for kind, variables in model.decisions().items():
        if kind in STRATEGIC:
            continue
        values = plan_values(plan, kind)
        for key, variable in variables.items():
            variable.lowBound = variable.upBound = max(values.get(key, 0.0), 0.0)
    return _solved(model, job.solver)


def simulate_batch(job: Job, paths: list[str]) -> list[dict[str, Any]]:
    """One row per path (JSON: ``path``, ``states``, ``probability``) and policy: the task
    every executor runs."""
    setting = _setting(job)
    rows = []
    for text in paths:
        given = json.loads(text)
        path: Path_ = tuple(given["states"])
        effects = [setting.effects[s] for s in path]
        foresight = _solved(build(prepare(_under(setting.scoring, setting, effects))), job.solver)
        head = {"path": given["path"], "probability": given["probability"]}
        head |= {"states": " ".join(path), "foresight": _cost(foresight)}
        for i, policy in enumerate(job.policies):
            plan = _step(job, i, path)
            if isinstance(plan, Result) and policy.stock_days != 0:
                plan = _scored(job, setting, path, plan)
            rows.append({"policy": policy.name, **head, **_figures(plan)})
    return rows


def _cost(result: Result | Status) -> float:
    if isinstance(result, Status) or result.total_cost is None:
        return math.nan
    return result.total_cost


def _figures(plan: Result | Status) -> dict[str, Any]:
    """Status, cost [money], tonnes short, stock drawn and stock rebuilt after a draw [t]."""
    if isinstance(plan, Status):
        return {"status": plan.value} | dict.fromkeys(
            ["cost", "short", "drawn", "rebuilt"], math.nan
        )
    drawn, rebuilt = drawn_and_rebuilt(plan.inventory)
    return {
        "status": plan.status.value,
        "cost": _cost(plan),
        "short": float(plan.shortage["tonnes"].sum()),
        "drawn": drawn,
        "rebuilt": rebuilt,
    }


def drawn_and_rebuilt(inventory: pd.DataFrame) -> tuple[float, float]:
    """Tonnes drawn from stock (opening above closing) and tonnes put back into it in the
    periods after a material's first draw (closing above opening), summed [t]."""
    change = inventory["closing"] - inventory["opening"]
    drawn = (-change).clip(lower=0.0)
    after_a_draw = (drawn.groupby(inventory["material"]).cumsum() - drawn) > 0
    return float(drawn.sum()), float(change.clip(lower=0.0)[after_a_draw].sum())
