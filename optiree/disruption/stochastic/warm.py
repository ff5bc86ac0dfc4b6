"""The scenarios solved alone on one warm HiGHS model per kind of solve
(:class:`WarmScenarios`): with the first stage free (wait-and-see) or fixed at one set of
values (the expected-value solution's recourse), each scenario changing only the bounds of
the cap rows its disruptions set."""

import math
from collections.abc import Mapping

import pulp

from optiree.disruption.stochastic.extensive import Key, first_stage_variables, fix_stock, key_name
from optiree.disruption.stochastic.stages import TwoStage
from optiree.disruption.stress import settle_committed_rows
from optiree.disruption.sweep.batch import CapSweep, warm_targets
from optiree.errors import OptireeError
from optiree.model import LpModel
from optiree.prepare import ProblemData
from optiree.results import keeps_rules
from optiree.schema import Scenario


def fix(variables: Mapping[Key, pulp.LpVariable], values: Mapping[Key, float]) -> None:
    """Fix each variable at its value (kept within its own bounds)."""
    missing = [key_name(k) for k in variables if k not in values]
    if missing:
        raise OptireeError(f"no first-stage value for {', '.join(missing)}")
    for key, variable in variables.items():
        value = _within_bounds(values[key], variable)
        variable.lowBound = value
        variable.upBound = value


def _within_bounds(value: float, variable: pulp.LpVariable) -> float:
    """``value`` moved into the variable's bounds."""
    if variable.lowBound is not None:
        value = max(value, variable.lowBound)
    if variable.upBound is not None:
        value = min(value, variable.upBound)
    return value


def fix_alone(
    model: LpModel,
    stages: TwoStage,
    stock: Mapping[str, float],
    fixed: Mapping[Key, float] | None,
    periods: tuple[str, ...] | None = None,
) -> None:
    """What every scenario solved alone has besides its own model: the closing ``stock`` of
    the last committed period, and the decisions of ``periods`` (default the committed ones)
    ``fixed`` (with the rows of those periods settled onto them), if given."""
    fix_stock(model, stock, stages.committed[-1], "")
    if fixed is not None:
        periods = periods or stages.committed
        fix(first_stage_variables(model, periods), fixed)
        # Values from CBC carry 8 significant digits: rows of the committed periods, all
        # fixed, may miss them by that rounding (an "infeasible" first stage, an infinite
        # EEV); a miss beyond it is left for the solver to call infeasible.
        settle_committed_rows(model, set(periods))


class WarmScenarios:
    """Each scenario alone, with the first stage free or ``fixed``, re-solved on one HiGHS
    model (:class:`optiree.disruption.sweep.batch.CapSweep` on ``stages.faced``, from the
    period the scenario is revealed); its plan checked by :func:`optiree.verify.verify`
    against the scenario's own problem."""

    def __init__(
        self,
        stages: TwoStage,
        stock: Mapping[str, float],
        fixed: Mapping[Key, float] | None,
    ) -> None:
        scenarios = stages.problem.scenarios
        targets = warm_targets(scenarios)
        self.sweep = CapSweep(
            stages.faced,
            targets,
            adjust=lambda model: fix_alone(model, stages, stock, fixed),
            from_period=stages.revealed,
        )

    def cost(self, scenario: Scenario, data: ProblemData) -> float | None:
        """The least cost of the problem ``data`` was prepared from (``scenario`` applied:
        ``TwoStage.prepared``): the re-solve's objective, once its plan is checked against
        ``data``; None where it must be solved from scratch (another kind of scenario, no
        optimal plan, or a plan that fails the check: the fresh solve says why)."""
        x = self.sweep.optimum(scenario)
        if x is None:
            return None
        for variable, value in zip(self.sweep.variables, x.tolist(), strict=True):
            variable.varValue = value
        if not keeps_rules(self.sweep.model, data):
            return None
        cost = self.sweep.solver.cost(x)
        return cost if math.isfinite(cost) else None
