"""The price of security: least total cost as one security rule is tightened step by step.

For a rule with a level (the largest share from a country, the share of demand coverable
without it, the months of stock), the frontier runs from the level the plan reaches without the
rule to the tightest level any plan can meet, and gives the least cost along the way. Every
point is an optimal solve of the problem with that level.

Where the cost curve changes slope. At a fixed set of binding rows and of variables at their
bounds (the optimal basis), the plan moves smoothly with the level; the curve bends where that
set changes. optiree samples the range, and wherever two neighbouring points differ in that
set it bisects between them until they are ``tolerance`` apart, and reports the point as a
breakpoint. For cover and stock rules the level moves a right-hand side, so the pieces between
breakpoints are straight lines. For the largest-share rule the level multiplies purchases
(x_c <= share * sum x), so a piece is straight while total purchases stay fixed, and curved
where stock or substitution let them move.

The tightest level is found by bisection on feasibility to ``1e-9`` and then reported as the
level the plan at that bound actually reaches.
"""

import copy
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from optiree.errors import OptireeError
from optiree.results import Result
from optiree.schema import Problem
from optiree.solve import SolverName, solve

RuleName = Literal["max_share", "cover_without", "stock_cover"]
COLUMNS = [
    "rule",
    "subject",
    "level",
    "total_cost",
    "marginal_cost_per_point",
    "breakpoint",
    "status",
]
DEFAULT_POINTS = 11
FEASIBILITY_TOLERANCE = 1e-9
MAX_SOLVES = 400


@dataclass(frozen=True)
class _Rule:
    """How to set one rule's level in a problem, and read the level a plan reaches."""

    name: RuleName
    subject: str
    tighter: int
    """+1 when tightening raises the level (cover, stock), -1 when it lowers it (share)."""
    set_level: Callable[[dict[str, Any], float | None], None]
    """Write the level into a problem document; None removes the rule."""
    reached: Callable[[Result], float]
    """The level the plan reaches (the loosest level at which it would still be feasible)."""
    ceiling: float | None
    """The level cannot be tightened past this (1 for shares); None: no such bound."""


def _max_share(problem: Problem, country: str) -> _Rule:
    def set_level(document: dict[str, Any], level: float | None) -> None:
        shares = document["security"]["max_country_share"]
        shares.pop(country, None)
        if level is not None:
            shares[country] = level

    def reached(result: Result) -> float:
        shares = result.shares
        own = shares[(shares["country"] == country) & (shares["tonnes"] > 0)]
        return float(own["share"].max()) if not own.empty else 0.0

    return _Rule("max_share", country, -1, set_level, reached, 0.0)


def _cover_without(problem: Problem, country: str, material: str | None) -> _Rule:
    existing = next((r for r in problem.security.min_cover_without if r.country == country), None)
    materials = [material] if material else (existing.materials if existing else None)

    def set_level(document: dict[str, Any], level: float | None) -> None:
        rules = [r for r in document["security"]["min_cover_without"] if r["country"] != country]
        if level is not None:
            rules.append({"country": country, "share": level, "materials": materials})
        document["security"]["min_cover_without"] = rules

    def reached(result: Result) -> float:
        # Cover without the country: opening stock + other supply + substitution, / demand.
        inventory = result.inventory
        bought = result.supply[result.supply["country"] != country]
        others = bought.groupby(["material", "period"])["tonnes"].sum()
        rows = inventory[inventory["demand"] > 0]
        if materials:
            rows = rows[rows["material"].isin(materials)]
        covered = [
            (row.opening + others.get((row.material, row.period), 0.0) + row.substituted)
            / row.demand
            for row in rows.itertuples()
        ]
        return min(1.0, min(covered, default=1.0))

    return _Rule("cover_without", country, +1, set_level, reached, 1.0)


def _stock_cover(problem: Problem, material: str) -> _Rule:
    def set_level(document: dict[str, Any], level: float | None) -> None:
        covers = document["security"]["min_stock_cover"]
        covers.pop(material, None)
        document["security"]["min_stock_days"].pop(material, None)  # the level replaces it
        if level is not None:
            covers[material] = level

    def reached(result: Result) -> float:
        rows = result.inventory[
            (result.inventory["material"] == material) & (result.inventory["demand"] > 0)
        ]
        return float((rows["closing"] / rows["demand"]).min()) if not rows.empty else 0.0

    return _Rule("stock_cover", material, +1, set_level, reached, None)


def _at(table: pd.DataFrame, kind: str, keys: list[str], chosen: "pd.Series[bool]") -> set[str]:
    """``kind(key,...)`` for the rows ``chosen`` of ``table``."""
    rows = table.loc[chosen, keys].astype(str)
    return {f"{kind}({','.join(row)})" for row in zip(*(rows[k] for k in keys), strict=True)}


def _signature(result: Result) -> frozenset[str]:
    """What fixes the optimal basis: binding rows and variables at a bound."""
    tol = 1e-7
    rows = result.constraints
    names = set(rows.loc[rows["binding"], "constraint"])
    p, f = result.purchases, result.feeds
    band = ["source", "material", "tier", "period"]
    names |= _at(p, "buy@0", band, p["tonnes"] <= tol)
    names |= _at(p, "buy@cap", band, p["tonnes"] >= p["capacity"] - tol)
    names |= _at(f, "feed@0", ["feed", "period"], f["tonnes"] <= tol)
    names |= _at(f, "feed@cap", ["feed", "period"], f["tonnes"] >= f["capacity"] - tol)
    i, s, u = result.inventory, result.shortage, result.substitution
    names |= _at(i, "stock@0", ["material", "period"], i["closing"] <= tol)
    names |= _at(s, "short@0", ["material", "period"], s["tonnes"] <= tol)
    names |= _at(u, "sub@0", ["substitute", "period"], u["units"] <= tol)
    return frozenset(names)


class _Tracer:
    """Solves the problem at given levels of one rule, remembering every solve."""

    def __init__(self, problem: Problem, rule: _Rule, solver: SolverName, log: bool) -> None:
        self.document = problem.model_dump()
        self.rule = rule
        self.solver = solver
        self.log = log
        self.solved: dict[float, Result] = {}

    def at(self, level: float | None) -> Result:
        """The result at ``level`` (None: without the rule); each level is solved once."""
        if level is not None and level in self.solved:
            return self.solved[level]
        if len(self.solved) >= MAX_SOLVES:
            raise OptireeError(f"the frontier needed more than {MAX_SOLVES} solves")
        document = copy.deepcopy(self.document)
        self.rule.set_level(document, level)
        result = solve(Problem.model_validate(document), solver=self.solver, log=self.log)
        if level is not None:
            self.solved[level] = result
        return result

    def tightest(self, loosest: float) -> float:
        """The tightest feasible level, found by bisection and read off the plan there."""
        rule = self.rule
        if rule.ceiling is not None:
            bound = rule.ceiling
        else:
            bound = max(1.0, 2 * loosest)
            while self.at(bound).is_optimal:
                bound *= 2
                if bound > 1e6:
                    raise OptireeError(f"{rule.name} {rule.subject} has no tightest level")
        if self.at(bound).is_optimal:
            return bound
        feasible, infeasible = loosest, bound
        while abs(infeasible - feasible) > FEASIBILITY_TOLERANCE:
            middle = (feasible + infeasible) / 2
            if self.at(middle).is_optimal:
                feasible = middle
            else:
                infeasible = middle
        # The plan at the last feasible level may reach a little further: that level is met.
        reached = rule.reached(self.at(feasible))
        tighter = reached * rule.tighter > feasible * rule.tighter
        return reached if tighter and self.at(reached).is_optimal else feasible

    def cost(self, level: float) -> float:
        return float(self.at(level).total_cost or math.nan)

    def line(self, level: float, low: float, high: float) -> tuple[float, float] | None:
        """(slope, intercept) of cost in level through ``level`` and the solved level in
        [low, high] with the same basis farthest from it; None if there is none."""
        basis = _signature(self.at(level))
        alike = [
            other
            for other, result in self.solved.items()
            if min(low, high) <= other <= max(low, high)
            and other != level
            and result.is_optimal
            and _signature(result) == basis
        ]
        if not alike:
            return None
        other = max(alike, key=lambda candidate: abs(candidate - level))
        slope = (self.cost(other) - self.cost(level)) / (other - level)
        return slope, self.cost(level) - slope * level

    def kink(self, a: float, b: float, low: float, high: float) -> float | None:
        """Where the cost curve bends between the bases at ``a`` and ``b`` (a bracket inside
        the grid step from ``low`` to ``high``): the crossing of the two cost lines, when the
        cost there lies on them (it does where both pieces are straight); else the middle of
        the bracket if the slopes on either side differ; None if they do not (a change of
        basis that leaves the slope as it was)."""
        left, right = self.line(a, low, a), self.line(b, b, high)
        if left is None or right is None:
            return None
        if math.isclose(left[0], right[0], rel_tol=1e-6, abs_tol=1e-9):
            return None
        crossing = (right[1] - left[1]) / (left[0] - right[0])
        tol = 2 * abs(b - a)
        if min(a, b) - tol <= crossing <= max(a, b) + tol:
            expected = left[0] * crossing + left[1]
            # Agreement to the solver's own precision (HiGHS: about 1e-7 relative).
            if math.isclose(self.cost(crossing), expected, rel_tol=1e-7, abs_tol=1e-6):
                return crossing
        return (a + b) / 2

    def refine(self, low: float, high: float, tolerance: float) -> list[tuple[float, float]]:
        """Brackets (a, b), at most ``tolerance`` wide, between ``low`` and ``high`` across
        which the basis changes. Every level in between is feasible: feasibility is monotone
        in the level and both ends are feasible."""
        if _signature(self.at(low)) == _signature(self.at(high)):
            return []
        if abs(high - low) <= tolerance:
            return [(low, high)]
        middle = (low + high) / 2
        return self.refine(low, middle, tolerance) + self.refine(middle, high, tolerance)


def frontier(
    problem: Problem,
    country: str = "CN",
    rule: RuleName = "max_share",
    *,
    material: str | None = None,
    points: int | None = None,
    solver: SolverName = "highs",
    tolerance: float = 1e-6,
    log: bool = False,
) -> pd.DataFrame:
    """Least total cost as one security rule tightens, from the plan's own level to the
    tightest feasible one, with the breakpoints of the curve.

    Args:
        problem: the problem; its own setting of the rule is replaced at every point.
        country: the country of a ``max_share`` or ``cover_without`` rule.
        rule: "max_share" (largest share of purchases from ``country``), "cover_without"
            (share of demand coverable without ``country``) or "stock_cover" (closing stock of
            ``material`` as a multiple of demand, in every period).
        material: the material of a ``stock_cover`` frontier; for ``cover_without``, restrict
            the rule to it (default: the problem's rule's materials, or all).
        points: evenly spaced levels to solve besides the ends and breakpoints (default 11).
        solver: "highs" or "cbc".
        tolerance: breakpoints are located to this distance in level.
        log: print the solver's log of every solve on stdout; by default nothing is printed.

    Returns:
        A DataFrame, loosest level first: ``rule``, ``subject``, ``level`` (share in [0, 1], or
        cover as a multiple of demand), ``total_cost``, ``marginal_cost_per_point`` (cost of
        tightening by 0.01 from this row to the next, averaged over the step; NaN on the
        last), ``breakpoint`` (the slope changes here), ``status``. ``attrs`` holds
        ``currency``, ``rule``, ``subject`` and ``solves``.

    Raises:
        OptireeError: the problem has no plan even without the rule, or the names are unknown.
    """
    spec = _rule(problem, rule, country, material)
    tracer = _Tracer(problem, spec, solver, log)
    free = tracer.at(None)
    if not free.is_optimal:
        raise OptireeError(
            f"no frontier: the problem without its {rule} rule on {spec.subject} is "
            f"{free.status.value}: {free.message}"
        )
    loosest = spec.reached(free)
    tightest = tracer.tightest(loosest)
    count = DEFAULT_POINTS if points is None else points
    grid = {loosest + (tightest - loosest) * i / (count + 1) for i in range(count + 2)}
    levels = sorted(grid, key=lambda level: level * spec.tighter)
    kinks = [
        kink
        for low, high in itertools.pairwise(levels)
        for a, b in _merged(tracer.refine(low, high, tolerance), tolerance)
        if (kink := tracer.kink(a, b, low, high)) is not None
    ]
    kinks = _apart(sorted(kinks), 10 * tolerance)
    every = sorted(set(levels) | set(kinks), key=lambda level: level * spec.tighter)
    table = _table(spec, every, set(kinks), tracer)
    table.attrs.update(
        currency=problem.currency, rule=rule, subject=spec.subject, solves=len(tracer.solved) + 1
    )
    return table


def _merged(brackets: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Brackets that touch (a degenerate level between two bases) as one."""
    merged: list[tuple[float, float]] = []
    for a, b in brackets:
        if merged and abs(a - merged[-1][1]) <= tolerance:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def _apart(levels: list[float], distance: float) -> list[float]:
    """The sorted ``levels`` without any that lies within ``distance`` of the one kept before
    it: two brackets around one breakpoint give it once."""
    kept: list[float] = []
    for level in levels:
        if not kept or level - kept[-1] > distance:
            kept.append(level)
    return kept


def _rule(problem: Problem, rule: str, country: str, material: str | None) -> _Rule:
    if rule == "stock_cover":
        if material not in problem.material_ids:
            known = ", ".join(problem.material_ids)
            raise OptireeError(f"a stock_cover frontier needs material= one of: {known}")
        return _stock_cover(problem, material)
    if country not in problem.countries:
        known = ", ".join(problem.countries)
        raise OptireeError(f"unknown country {country!r}; the sources' countries are: {known}")
    if rule == "max_share":
        return _max_share(problem, country)
    if rule == "cover_without":
        if material is not None and material not in problem.material_ids:
            raise OptireeError(f"unknown material {material!r}")
        return _cover_without(problem, country, material)
    raise OptireeError(f"unknown rule {rule!r}: choose max_share, cover_without or stock_cover")


def _table(spec: _Rule, levels: list[float], kinks: set[float], tracer: _Tracer) -> pd.DataFrame:
    results = [tracer.at(level) for level in levels]
    costs = [tracer.cost(level) for level in levels]
    slopes = [
        (costs[i + 1] - costs[i]) / (abs(levels[i + 1] - levels[i]) * 100)
        for i in range(len(levels) - 1)
    ] + [math.nan]
    records = [
        (spec.name, spec.subject, level, cost, slope, level in kinks, result.status.value)
        for level, cost, slope, result in zip(levels, costs, slopes, results, strict=True)
    ]
    return pd.DataFrame(records, columns=COLUMNS)
