"""The floor: the LP of an instance built as a sparse matrix with numpy and solved by highspy.

No PuLP and no optiree: the rows of docs/formulation.md written as index arithmetic on the
instance's arrays. What optiree takes beyond this time is the cost of the modelling layer.
Columns are ``buy`` (source, material, period), then ``sub`` (substitute, period), ``stock``
and ``short`` (material, period); rows are built block by block, each block a fixed number of
candidate entries per row, of which those with a zero coefficient are dropped.
"""

import math
from dataclasses import dataclass

import highspy
import numpy as np
import pulp
from numpy.typing import NDArray

from benchmarks.generator import CN_CAP_SHARE, COVER_WITHOUT_CN, MAX_SHARE, STOCK_COVER, Instance
from optiree.collector import paused
from optiree.handoff import HighsArrays

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class FloorSolution:
    """What the floor reads back: the status, the objective [money] and the column values."""

    status: str
    objective: float
    col_value: FloatArray
    row_dual: FloatArray


class _Rows:
    """Row blocks in order: each block has rows x slots candidate entries."""

    def __init__(self) -> None:
        self.counts: list[IntArray] = []
        self.columns: list[IntArray] = []
        self.values: list[FloatArray] = []
        self.lower: list[FloatArray] = []
        self.upper: list[FloatArray] = []

    def add(
        self, columns: IntArray, values: FloatArray, lower: FloatArray, upper: FloatArray
    ) -> None:
        """Rows of ``columns`` and ``values`` (shape rows x slots; 0 drops the entry)."""
        kept = values != 0
        self.counts.append(kept.sum(axis=1))
        self.columns.append(columns[kept])
        self.values.append(values[kept])
        self.lower.append(np.broadcast_to(lower, kept.shape[:1]).astype(np.float64))
        self.upper.append(np.broadcast_to(upper, kept.shape[:1]).astype(np.float64))


def build(inst: Instance) -> HighsArrays:
    """The instance's LP (the same as optiree's, up to the order of columns and rows)."""
    n_s, n_m, n_t = inst.capacity.shape
    n_k = len(inst.sub_cost)
    mt = n_m * n_t
    # Column numbers.
    buy = np.arange(n_s * mt).reshape(n_s, n_m, n_t)
    sub = n_s * mt + np.arange(n_k * n_t).reshape(n_k, n_t)
    stock = sub.size + buy.size + np.arange(mt).reshape(n_m, n_t)
    short = stock.size + stock[0, 0] + np.arange(mt).reshape(n_m, n_t)
    price = inst.reference[None, :, :] * inst.multiplier[:, None, None]
    cost = np.concatenate(
        [
            price.ravel(),
            np.repeat(inst.sub_cost, n_t),
            np.repeat(inst.holding, n_t),
            np.repeat(inst.penalty, n_t),
        ]
    )
    col_upper = np.concatenate(
        [
            inst.capacity.ravel(),
            np.repeat(inst.sub_capacity, n_t),
            np.full(mt, np.inf),
            inst.demand.ravel(),
        ]
    )

    first = np.zeros((n_m, n_t), dtype=bool)
    first[:, 0] = True
    opening = np.where(first, stock, np.roll(stock, 1, axis=1)).reshape(mt, 1)
    opening_value = np.where(first, 0.0, 1.0).reshape(mt, 1)
    initial = np.where(first, inst.initial[:, None], 0.0).ravel()
    demand = inst.demand.ravel()
    buys = buy.transpose(1, 2, 0).reshape(mt, n_s)  # row (m, t), one slot per source
    subs = np.broadcast_to(sub[:, None, :], (n_k, n_m, n_t)).transpose(1, 2, 0).reshape(mt, n_k)
    saves = np.broadcast_to(inst.saves.T[:, None, :], (n_m, n_t, n_k)).reshape(mt, n_k)
    ones = np.ones((mt, n_s))
    own = {c: np.array([c == country for country in inst.country]) for c in MAX_SHARE}
    rows = _Rows()
    rows.add(  # balance(m,t)
        np.hstack([opening, buys, subs, short.reshape(mt, 1), stock.reshape(mt, 1)]),
        np.hstack([opening_value, ones, saves, np.ones((mt, 1)), -np.ones((mt, 1))]),
        demand - initial,
        np.inf,
    )
    saved = saves.sum(axis=1) > 0
    rows.add(  # net_demand(m,t), where a substitute saves m
        np.hstack([subs, short.reshape(mt, 1)])[saved],
        np.hstack([saves, np.ones((mt, 1))])[saved],
        -np.inf,
        demand[saved],
    )
    for c, share in MAX_SHARE.items():  # max_share(c,m,t): own - share x all <= 0
        rows.add(buys, np.where(own[c], 1.0 - share, -share) * ones, -np.inf, 0.0)
    rows.add(  # cover_without(CN,m,t)
        np.hstack([opening, buys, subs]),
        np.hstack([opening_value, np.where(own["CN"], 0.0, 1.0) * ones, saves]),
        COVER_WITHOUT_CN * demand - initial,
        np.inf,
    )
    rows.add(stock.reshape(mt, 1), np.ones((mt, 1)), STOCK_COVER * demand, np.inf)
    cn_capacity = inst.capacity[own["CN"]].sum(axis=0).ravel()
    rows.add(buys, own["CN"] * ones, -np.inf, CN_CAP_SHARE * cn_capacity)  # cap(cn_cut,m,t)
    rows.add(buys, own["MY"] * ones, -np.inf, np.repeat(inst.quota, n_t))  # cap(my_quota_m)
    start = np.zeros(sum(len(c) for c in rows.counts) + 1, np.int32)
    np.cumsum(np.concatenate(rows.counts), out=start[1:])
    return HighsArrays(
        cost=cost,
        offset=0.0,
        col_lower=np.zeros(len(cost)),
        col_upper=col_upper,
        row_lower=np.concatenate(rows.lower),
        row_upper=np.concatenate(rows.upper),
        start=start,
        index=np.concatenate(rows.columns).astype(np.int32),
        value=np.concatenate(rows.values),
    )


def solve(lp: HighsArrays) -> FloorSolution:
    """Hand ``lp`` to highspy in one call, solve it quietly and read the solution as arrays."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(lp.highs_lp())
    highs.run()
    solution = highs.getSolution()
    return FloorSolution(
        status=highs.modelStatusToString(highs.getModelStatus()),
        objective=highs.getObjectiveValue(),
        col_value=np.asarray(solution.col_value),
        row_dual=np.asarray(solution.row_dual),
    )


@paused
def pulp_objects(lp: HighsArrays) -> pulp.LpProblem:
    """The PuLP objects of ``lp`` and nothing else: a variable per column with its bounds, a
    row per row from its (variable, coefficient) pairs, the objective; the collector paused as
    optiree pauses it. No model logic and nothing solved: the least a PuLP model of record of
    this LP costs to make."""
    problem = pulp.LpProblem("floor")
    upper = [None if math.isinf(u) else u for u in lp.col_upper.tolist()]
    lower = [None if math.isinf(v) else v for v in lp.col_lower.tolist()]
    x = [
        problem.add_variable(f"x{j}", lo, up)
        for j, (lo, up) in enumerate(zip(lower, upper, strict=True))
    ]
    problem.setObjective(pulp.LpAffineExpression(list(zip(x, lp.cost.tolist(), strict=True))))
    start, index, value = lp.start.tolist(), lp.index.tolist(), lp.value.tolist()
    rows = zip(lp.row_lower.tolist(), lp.row_upper.tolist(), strict=True)
    for i, (low, high) in enumerate(rows):
        cut = slice(start[i], start[i + 1])
        terms = pulp.LpAffineExpression(
            [(x[j], a) for j, a in zip(index[cut], value[cut], strict=True)]
        )
        if low == high:
            sense, rhs = pulp.LpConstraintEQ, low
        elif math.isinf(high):
            sense, rhs = pulp.LpConstraintGE, low
        else:
            sense, rhs = pulp.LpConstraintLE, high
        problem.addConstraint(pulp.LpConstraint(terms, sense, f"r{i}", rhs))
    return problem
