"""The price of security: least total cost as one security rule is tightened step by step.

For a rule with a level (the largest share from a country, the share of demand coverable
without it, the months of stock, the capital budget of the investment options), the frontier
runs from the level the plan reaches without the
rule to the tightest level any plan can meet, and gives the least cost along the way. Every
point is an optimal solve of the problem with that level.

Where the cost curve changes slope. At a fixed set of binding rows and of variables at their
bounds (the optimal basis), the plan moves smoothly with the level; the curve bends where that
set changes. optiree samples the range; between two neighbouring points in different bases it
extends the piece through each end (its slope from the duals of the rule's rows, by the
envelope theorem, and its curvature from a second solved point in the same basis) to where the
two meet, solves there, and reports that level as a breakpoint when the cost there lies on both
pieces and each piece is confirmed to run on to it (the duals' slope there, or at
``tolerance`` from it, is the piece's). Otherwise that level splits the bracket and both halves
are searched the same way, down to ``tolerance``. For cover and stock rules the level moves a
right-hand side, so the pieces between breakpoints are straight lines and the curve is convex:
each breakpoint takes two or three solves and is exact. For the largest-share rule the level
multiplies purchases (x_c <= share * sum x), so a piece is straight while total purchases stay
fixed, and curved where stock or substitution let them move; the curve need not be convex.

The tightest level is found by bisection on feasibility to ``1e-9`` and then reported as the
level the plan at that bound actually reaches.

A problem with integer decisions (a MILP) has no duals and a cost that jumps where an integer
decision changes: its frontier is a step curve. The MILP is solved at the same levels, and
where the integer decisions of two neighbours differ the bracket is halved down to
``tolerance``; both its ends become rows, the second a breakpoint with the cost's jump.
"""

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optiree import arguments
from optiree.columns import Tabular, floats, values
from optiree.errors import ArgumentError, OptireeError
from optiree.prepare import prepare
from optiree.results import INVESTMENTS, Result, held
from optiree.rules import CATALOGUE, FRONTIER_RULES, Rule, RuleSpec
from optiree.schema import Budget, CoverRule, OriginRule, Problem, StageRule
from optiree.solve import solve
from optiree.solvers import SolverName, check, require
from optiree.verify import delivered_without, share_reads
from optiree.words import Carded, frontier_text, integer_decisions, step_frontier_text

COLUMNS = [
    "rule",
    "subject",
    "level",
    "total_cost",
    "marginal_cost_per_point",
    "breakpoint",
    "status",
]
STEP_COLUMNS = [*COLUMNS, "jump", "best_bound", "mip_gap", "decisions"]
"""The columns of a MILP's frontier: those of an LP's, then the cost's jump where the integer
decisions change, the solver's best bound and gap, and the integer decisions in words."""
DELIVERS = 1e-6
"""Tonnes above which a source counts as delivering, in a MILP frontier's decisions."""
DEFAULT_POINTS = 11
FEASIBILITY_TOLERANCE = 1e-9
MAX_SOLVES = 1000
SLOPE_TOLERANCE = 1e-3


@dataclass(frozen=True)
class Frontier(Carded):
    """Least total cost as one security rule (or the budget) tightens: what :func:`frontier`
    returns."""

    table: pd.DataFrame = field(repr=False)
    """Loosest level first: ``rule``, ``subject``, ``level`` (share in [0, 1], or cover as a
    multiple of demand), ``total_cost``, ``marginal_cost_per_point`` (cost of tightening by
    0.01 from this row to the next, averaged over the step; NaN on the last), ``breakpoint``
    (the slope changes here), ``status``."""
    rule: Rule
    subject: str
    """The country of a share or cover rule, the material of a stock cover, the investor of a
    budget (``all``: one budget for every option)."""
    currency: str
    solves: int
    """How many times the problem was solved."""
    tolerance: float | None = None
    """For a MILP (a step curve): how close in level each change of the integer decisions is
    located, the two rows around it at most this far apart; None for an LP."""

    def tables(self) -> dict[str, pd.DataFrame]:
        """The table by name: ``{"frontier": table}``."""
        return {"frontier": self.table}

    def summary(self) -> str:
        """The frontier as text: level in % (shares) or multiples (cover), cost, cost per
        point."""
        spec = CATALOGUE[self.rule]
        title = (
            f"Frontier of {self.rule.value} {self.subject} "
            f"(level: {spec.frontier_level.format(subject=self.subject)})"
        )
        if self.tolerance is not None:
            return step_frontier_text(
                self.table,
                title=f"{title}, a MILP: a step curve",
                currency=self.currency,
                solves=self.solves,
                percent=spec.in_percent,
                in_money=spec.in_money,
                tolerance=self.tolerance,
            )
        return frontier_text(
            self.table,
            title=title,
            currency=self.currency,
            solves=self.solves,
            percent=spec.in_percent,
            in_money=spec.in_money,
        )


@dataclass(frozen=True)
class _Asked:
    """Whose rule a frontier sweeps: a country's share or cover, a material's stock cover, an
    investor's budget (None: every option's)."""

    country: str
    material: str | None
    investor: str | None = None
    group: str | None = None
    stage: str | None = None
    measure: str = "tonnes"


@dataclass(frozen=True)
class _Rule:
    """How to set one rule's level in a problem, and read the level a plan reaches; what the
    rule is (its direction, its tightest level) is its declaration in the catalogue."""

    spec: RuleSpec
    subject: str
    parts: Callable[[Problem, float | None], dict[str, Any]]
    """The fields of the problem that change with the rule at a level (None removes the
    rule), each a validated model: ``{"security": ...}`` or ``{"budgets": [...]}``."""
    reached: Callable[[Result], float]
    """The level the plan reaches (the loosest level at which it would still be feasible)."""
    column: str = "subject"
    """The column of the constraints table that names the rule's subject in its rows."""

    @property
    def name(self) -> str:
        return self.spec.rule.value

    def set_level(self, problem: Problem, level: float | None) -> Problem:
        """The problem with the rule at ``level`` (None: without it), derived
        (:meth:`optiree.schema.Problem.derive`)."""
        return problem.derive(**self.parts(problem, level))

    @property
    def per_unit(self) -> float:
        """Levels per unit of the cost column: 100 points of a share or cover, 1 of money."""
        return 1.0 if self.spec.in_money else 100.0

    @property
    def dual(self) -> str:
        """The constraints table's column the slope is read from: a money row's shadow price
        is already per unit of money."""
        return "shadow_price" if self.spec.in_money else "cost_per_point"

    @property
    def tighter(self) -> int:
        """+1 when tightening raises the level (cover, stock), -1 when it lowers it (share)."""
        return -self.spec.loosens

    @property
    def ceiling(self) -> float | None:
        """The level cannot be tightened past this (0 or 1 for shares); None: no such bound."""
        return self.spec.tightest

    def within(self, level: float) -> float:
        """``level``, or the ceiling where rounding took it past (a share of -5.6e-17)."""
        ceiling = self.ceiling
        past = ceiling is not None and level * self.tighter > ceiling * self.tighter
        return ceiling if past and ceiling is not None else level


def _max_share(problem: Problem, asked: _Asked) -> _Rule:
    country = _who(problem, asked)
    members = problem.members(country)

    def parts(problem: Problem, level: float | None) -> dict[str, Any]:
        shares = {c: s for c, s in problem.security.max_country_share.items() if c != country}
        if level is not None:
            shares[country] = level
        return {"security": problem.security.derive(max_country_share=shares)}

    def reached(result: Result) -> float:
        shares = result.shares
        own = shares[shares["country"].isin(members) & (shares["tonnes"] > 0)]
        summed = own.groupby(["material", "period"])["share"].sum()
        return float(summed.max()) if not summed.empty else 0.0

    return _Rule(CATALOGUE[Rule.MAX_SHARE], country, parts, reached)


def _cover_without(problem: Problem, asked: _Asked) -> _Rule:
    country = _who(problem, asked, staged=asked.stage is not None)
    materials = _cover_materials(problem, country, asked.material)
    field = "group" if asked.group else "country"
    stage = _known_stage(problem, asked.stage)
    data = prepare(problem)

    def parts(problem: Problem, level: float | None) -> dict[str, Any]:
        rules = [r for r in problem.security.min_cover_without if r.who != country]
        if level is not None:
            rule = CoverRule(**{field: country}, share=level, materials=materials, stage=stage)
            rules.append(rule)
        return {"security": problem.security.derive(min_cover_without=rules)}

    members = problem.members(country)

    def reached(result: Result) -> float:
        if stage is None:
            bought = result.supply[~result.supply["country"].isin(members)]
            others = bought.groupby(["material", "period"])["tonnes"].sum()
        else:
            others = pd.Series(delivered_without(data, result.flows, members, stage), dtype=float)
        return _covered_without(result, others, materials)

    return _Rule(CATALOGUE[Rule.COVER_WITHOUT], country, parts, reached)


def _known_stage(problem: Problem, stage: str | None) -> str | None:
    """``stage`` (None: none asked), refused when the problem has no such stage."""
    if stage is not None and stage not in problem.stages:
        known = ", ".join(problem.stages) or "none"
        raise ArgumentError(f"unknown stage {stage!r}; the problem's stages are: {known}")
    return stage


def _cover_materials(problem: Problem, country: str, material: str | None) -> list[str] | None:
    """The materials a cover rule without ``country`` covers: ``material``, else those of the
    problem's own rule; None: all."""
    if material is not None and material not in problem.material_ids:
        raise ArgumentError(f"unknown material {material!r}")
    existing = next((r for r in problem.security.min_cover_without if r.who == country), None)
    return [material] if material else (existing.materials if existing else None)


def _covered_without(
    result: Result, others: "pd.Series[Any]", materials: list[str] | None
) -> float:
    """The least share of demand the plan covers without a country: opening stock + the
    tonnes delivered without it (``others``, by material and period) + substitution, / demand
    (of ``materials``; None: all)."""
    inventory = result.inventory
    rows = inventory[inventory["demand"] > 0]
    if materials:
        rows = rows[rows["material"].isin(materials)]
    delivered = dict(zip(others.index, others.to_numpy(), strict=True))  # Series.get, at once
    columns = ("material", "period", "opening", "substituted", "demand")
    covered = [
        (opening + delivered.get((m, t), 0.0) + substituted) / demand
        for m, t, opening, substituted, demand in zip(
            *(rows[column].tolist() for column in columns), strict=True
        )
    ]
    return min(1.0, min(covered, default=1.0))


def _stock_cover(problem: Problem, asked: _Asked) -> _Rule:
    material = asked.material
    if material is None or material not in problem.material_ids:
        known = ", ".join(problem.material_ids)
        raise ArgumentError(f"a stock_cover frontier needs material= one of: {known}")
    chosen = material

    def parts(problem: Problem, level: float | None) -> dict[str, Any]:
        security = problem.security
        days = {m: v for m, v in security.min_stock_days.items() if m != chosen}  # replaced
        # Without the rule: a target of 0 (a strategic stock's cost below target needs one).
        covers = {**security.min_stock_cover, chosen: 0.0 if level is None else level}
        return {"security": security.derive(min_stock_days=days, min_stock_cover=covers)}

    def reached(result: Result) -> float:
        rows = result.inventory[
            (result.inventory["material"] == chosen) & (result.inventory["demand"] > 0)
        ]
        return float((rows["closing"] / rows["demand"]).min()) if not rows.empty else 0.0

    return _Rule(CATALOGUE[Rule.STOCK_COVER], chosen, parts, reached, "material")


def _budget(problem: Problem, asked: _Asked) -> _Rule:
    investor = asked.investor
    check_investor(problem, investor)

    def parts(problem: Problem, level: float | None) -> dict[str, Any]:
        # Every option's: one total replaces every budget; an investor's: its budget only.
        kept = [b for b in problem.budgets if investor is not None and b.investor != investor]
        if level is not None:
            kept.append(Budget(investor=investor, total=level))
        return {"budgets": kept}

    def reached(result: Result) -> float:
        builds = result.investments
        if investor is not None:
            builds = builds[builds["investor"] == investor]
        return float(builds["capital_cost"].sum())

    return _Rule(CATALOGUE[Rule.BUDGET], investor or "all", parts, reached)


def check_investor(problem: Problem, investor: str | None) -> None:
    """Refuse a budget frontier of a problem without options, or of an unknown investor."""
    if not problem.investments:
        raise ArgumentError("a budget frontier needs investment options; the problem has none")
    investors = sorted({o.investor for o in problem.investments if o.investor})
    if investor is not None and investor not in investors:
        known = ", ".join(investors) or "none (no option names one)"
        raise ArgumentError(f"unknown investor {investor!r}; the options' investors are: {known}")


def _stage_target(problem: Problem, asked: _Asked) -> dict[str, Any]:
    """The country or group and material of a stage or origin rule a frontier sweeps, as the
    fields of that rule; refused when unknown, or without stages."""
    if not problem.stages:
        raise ArgumentError("a stage or origin frontier needs a problem with stages")
    who = _who(problem, asked, staged=True)
    _known_stage(problem, asked.stage)
    if asked.material is not None and asked.material not in problem.material_ids:
        raise ArgumentError(f"unknown material {asked.material!r}")
    return {"group" if asked.group else "country": who} | {
        "materials": [asked.material] if asked.material else None
    }


def _share_frontier(kind: Rule) -> Callable[[Problem, _Asked], _Rule]:
    """The frontier of a largest or least share of a stage (or of every stage), or of what
    reaches the last stage through a country or group (an origin rule), in tonnes or value."""
    key = "max_share" if CATALOGUE[kind].loosens > 0 else "min_share"
    origin = kind in (Rule.ORIGIN, Rule.ORIGIN_MIN)
    model, listed = (OriginRule, "origin_shares") if origin else (StageRule, "stage_shares")

    def make(problem: Problem, asked: _Asked) -> _Rule:
        target = _stage_target(problem, asked) | {"measure": asked.measure}
        target |= {} if origin else {"stage": asked.stage}
        probe = model(**target, **{key: 0.0})
        data = prepare(problem)

        def parts(problem: Problem, level: float | None) -> dict[str, Any]:
            rules = getattr(problem.security, listed)
            kept = [r for r in rules if (r.id or r.default_id) != probe.default_id]
            if level is not None:
                kept.append(model(id=probe.default_id, **target, **{key: level}))
            return {"security": problem.security.derive(**{listed: kept})}

        def reached(result: Result) -> float:
            read = share_reads(data, result.flows, probe)
            levels = [own / total for *_, own, total in read if total > 0]
            return float(
                max(levels, default=0.0) if key == "max_share" else min(levels, default=1.0)
            )

        return _Rule(CATALOGUE[kind], probe.default_id, parts, reached)

    return make


_FRONTIERS: dict[Rule, Callable[[Problem, _Asked], _Rule]] = {
    Rule.MAX_SHARE: _max_share,
    Rule.COVER_WITHOUT: _cover_without,
    Rule.STOCK_COVER: _stock_cover,
    Rule.BUDGET: _budget,
    Rule.STAGE_MAX: _share_frontier(Rule.STAGE_MAX),
    Rule.STAGE_MIN: _share_frontier(Rule.STAGE_MIN),
    Rule.ORIGIN: _share_frontier(Rule.ORIGIN),
    Rule.ORIGIN_MIN: _share_frontier(Rule.ORIGIN_MIN),
}
"""How to sweep each rule of :data:`optiree.rules.FRONTIER_RULES`."""
_IN_VALUE = (Rule.STAGE_MAX, Rule.STAGE_MIN, Rule.ORIGIN, Rule.ORIGIN_MIN)
"""The rules whose frontier can count value instead of tonnes."""


def _check_country(problem: Problem, country: str, staged: bool = False) -> None:
    """``country`` is a source's (with ``staged``, a rule at a stage: or a facility's)."""
    known = problem.places if staged else problem.countries
    if country not in known:
        whose = "sources' and facilities'" if staged else "sources'"
        listed = ", ".join(known)
        raise ArgumentError(f"unknown country {country!r}; the {whose} countries are: {listed}")


def _who(problem: Problem, asked: _Asked, staged: bool = False) -> str:
    """The country, or the group (``--group``), of a frontier's rule (``staged``: a rule at a
    stage, which may name a facility's country)."""
    if asked.group is None:
        _check_country(problem, asked.country, staged)
        return asked.country
    _check_group(problem, asked.group)
    return asked.group


def _check_group(problem: Problem, group: str) -> None:
    if group not in problem.country_groups:
        known = list(problem.country_groups)
        raise ArgumentError(f"unknown group {group!r}; the country_groups are: {known}")


AT_BOUND = 1e-7
"""Tonnes (units, size) within which a variable counts as at its bound, in the basis signature."""


def _at(table: Tabular, keys: list[str], column: str, *kinds: str) -> set[str]:
    """``kind(key,...)`` for the rows of ``table`` whose ``column`` is at 0 (the first of
    ``kinds``, within :data:`AT_BOUND`) and, with a second kind, at its ``capacity``. The
    columns are read once, as arrays and lists, from the result's columns (no DataFrame made:
    a table of a few hundred rows takes a tenth of the time of pandas' row selection)."""
    x = floats(table, column)
    marks = [x <= AT_BOUND]
    if len(kinds) > 1:
        marks.append(x >= floats(table, "capacity") - AT_BOUND)
    rows = [(kind, np.flatnonzero(chosen)) for kind, chosen in zip(kinds, marks, strict=True)]
    if not any(len(chosen) for _, chosen in rows):
        return set()
    named = [values(table, key) for key in keys]
    return {
        f"{kind}({','.join(str(column[i]) for column in named)})"
        for kind, chosen in rows
        for i in chosen
    }


def _signature(result: Result) -> frozenset[str]:
    """What fixes the optimal basis: binding rows and variables at a bound."""
    rows = held(result, "constraints")
    binding = zip(values(rows, "constraint"), values(rows, "binding"), strict=True)
    names = {name for name, bound in binding if bound}
    names |= _at(
        held(result, "purchases"),
        ["source", "material", "tier", "period"],
        "tonnes",
        "buy@0",
        "buy@cap",
    )
    names |= _at(held(result, "feeds"), ["feed", "period"], "tonnes", "feed@0", "feed@cap")
    names |= _at(held(result, "inventory"), ["material", "period"], "closing", "stock@0")
    names |= _at(held(result, "shortage"), ["material", "period"], "tonnes", "short@0")
    names |= _at(held(result, "substitution"), ["substitute", "period"], "units", "sub@0")
    names |= _at(held(result, INVESTMENTS), ["investment", "period"], "size", "build@0")
    return frozenset(names)


@dataclass(frozen=True)
class _Piece:
    """The cost near ``level`` on one piece of the curve: a parabola with the cost, slope and
    curvature there (a line where the curvature is 0)."""

    level: float
    cost: float
    slope: float
    curvature: float

    def __call__(self, level: float) -> float:
        step = level - self.level
        return self.cost + self.slope * step + self.curvature * step * step / 2

    def slope_at(self, level: float) -> float:
        return self.slope + self.curvature * (level - self.level)

    def meets(self, other: "_Piece", low: float, high: float) -> float:
        """The level in (low, high) where the two pieces meet (the one nearest the middle),
        NaN if they do not."""
        # self(x) - other(x) = p x^2 + q x + r in x = level - self.level.
        shift = other.level - self.level
        p = (self.curvature - other.curvature) / 2
        q = self.slope - other.slope + other.curvature * shift
        r = self.cost - other.cost + other.slope * shift - other.curvature * shift * shift / 2
        if abs(p) * (high - low) <= 1e-12 * abs(q):
            roots = [-r / q] if q != 0 else []
        else:
            disc = q * q - 4 * p * r
            roots = (
                [] if disc < 0 else [(-q + sign * math.sqrt(disc)) / (2 * p) for sign in (1, -1)]
            )
        inside = [self.level + root for root in roots if low < self.level + root < high]
        middle = (low + high) / 2
        return min(inside, key=lambda level: abs(level - middle), default=math.nan)


class _Tracer:
    """Solves the problem at given levels of one rule, remembering every solve."""

    def __init__(
        self,
        problem: Problem,
        rule: _Rule,
        solver: SolverName,
        log: bool,
        time_limit: float | None = None,
    ) -> None:
        self.problem = problem
        self.rule = rule
        self.solver = solver
        self.log = log
        self.time_limit = time_limit
        """Seconds each solve may take (a MILP's); None: no limit."""
        self.solved: dict[float, Result] = {}
        self.bases: dict[float, frozenset[str]] = {}
        self.slopes: dict[float, float] = {}
        """The slope at each solved level, read once (:meth:`slope`)."""
        self.ends: set[float] = set()
        """The loosest and tightest levels, once known."""

    def at(self, level: float | None) -> Result:
        """The result at ``level`` (None: without the rule); each level is solved once."""
        if level is not None and level in self.solved:
            return self.solved[level]
        if len(self.solved) >= MAX_SOLVES:
            raise OptireeError(f"the frontier needed more than {MAX_SOLVES} solves")
        changed = self.rule.set_level(self.problem, level)
        result = solve(changed, solver=self.solver, time_limit=self.time_limit, log=self.log)
        if level is not None:
            self.solved[level] = result
        return result

    def meets(self, level: float) -> bool:
        """A plan meets the rule at ``level``: it is optimal and the level it reaches is at
        least as tight (a strategic stock may fall below its target at a cost: such a plan is
        optimal but does not meet the level)."""
        result = self.at(level)
        if not result.is_optimal:
            return False
        reached = self.rule.reached(result) * self.rule.tighter
        return reached >= level * self.rule.tighter - FEASIBILITY_TOLERANCE * max(1.0, abs(level))

    def tightest(self, loosest: float) -> float:
        """The tightest level a plan meets, found by bisection and read off the plan there."""
        rule = self.rule
        bound = rule.ceiling if rule.ceiling is not None else self.unmet(loosest)
        if self.meets(bound):
            return bound
        feasible, infeasible = loosest, bound
        while abs(infeasible - feasible) > FEASIBILITY_TOLERANCE:
            middle = (feasible + infeasible) / 2
            if self.meets(middle):
                feasible = middle
            else:
                infeasible = middle
        # The plan at the last level met may reach a little further: that level is met.
        reached = rule.reached(self.at(feasible))
        tighter = reached * rule.tighter > feasible * rule.tighter
        return reached if tighter and self.meets(reached) else feasible

    def unmet(self, loosest: float) -> float:
        """A level no plan meets, for a rule with no ceiling: doubled until one fails."""
        bound = max(1.0, 2 * loosest)
        while self.meets(bound):
            bound *= 2
            if bound > 1e6:
                raise OptireeError(f"{self.rule.name} {self.rule.subject} has no tightest level")
        return bound

    def cost(self, level: float) -> float:
        return float(self.at(level).total_cost or math.nan)

    def basis(self, level: float) -> frozenset[str]:
        """The signature of the optimal basis at ``level`` (see :func:`_signature`)."""
        if level not in self.bases:
            self.bases[level] = _signature(self.at(level))
        return self.bases[level]

    def slope(self, level: float) -> float:
        """d cost / d level at ``level``, from the duals of the rule's rows (envelope theorem):
        tightening by 0.01 costs the sum of their ``cost_per_point`` (by one unit of money, of
        their ``shadow_price``, for a budget); NaN without duals. Read once per level."""
        if level not in self.slopes:
            rule = self.rule
            rows = held(self.at(level), "constraints")
            names = zip(values(rows, "rule"), values(rows, rule.column), strict=True)
            mine = [name == rule.name and subject == rule.subject for name, subject in names]
            # as pandas' sum(skipna=False) of the rows: numpy's pairwise sum, NaN kept
            duals = floats(rows, rule.dual)[np.array(mine, dtype=bool)].sum()
            self.slopes[level] = rule.tighter * rule.per_unit * float(duals)
        return self.slopes[level]

    def piece(self, end: float, other: float) -> _Piece:
        """The piece of the curve through ``end``, as seen from ``other``: its cost and slope
        at ``end`` and its curvature, from the nearest level solved beyond ``end`` (away from
        ``other``) in the same basis (0 if there is none: a straight piece)."""
        side, basis = math.copysign(1.0, end - other), self.basis(end)
        beyond = [
            level
            for level in list(self.solved)
            if (level - end) * side > 0 and self.basis(level) == basis
        ]
        slope, curvature = self.slope(end), 0.0
        if beyond:
            nearest = min(beyond, key=lambda level: abs(level - end))
            curvature = (slope - self.slope(nearest)) / (end - nearest)
        return _Piece(end, self.cost(end), slope, curvature)

    def on(self, level: float, piece: _Piece) -> bool:
        """The cost at ``level`` lies on ``piece``, to the solver's own precision (HiGHS: about
        1e-7 relative)."""
        return math.isclose(self.cost(level), piece(level), rel_tol=1e-7, abs_tol=1e-6)

    def reaches(self, piece: _Piece, level: float) -> bool:
        """``piece`` runs on to ``level``: the cost there lies on it and so does the slope of
        the duals (except at the ends of the range, where the duals may give the slope beyond)."""
        if not self.on(level, piece):
            return False
        slope = self.slope(level)
        return level in self.ends or math.isclose(
            slope, piece.slope_at(level), rel_tol=SLOPE_TOLERANCE
        )

    def confirms(self, piece: _Piece, crossing: float, tolerance: float) -> bool:
        """``piece`` runs on to ``crossing``, or to ``tolerance`` from it towards its end, and
        the cost at ``crossing`` lies on it."""
        towards = crossing + math.copysign(tolerance, piece.level - crossing)
        return self.on(crossing, piece) and (
            self.reaches(piece, crossing) or self.reaches(piece, towards)
        )

    def breakpoints(self, a: float, b: float, tolerance: float) -> list[float]:
        """The levels strictly between ``a`` and ``b`` where the cost curve changes slope.

        Where the basis is the same at both ends, or the piece through one end runs on to the
        other, there is none. Else the pieces through the ends, extended, meet at x. x is the
        breakpoint if one piece runs on to x and the other to x +- ``tolerance`` (towards its
        end): on straight pieces that takes two solves. Else x (or the middle, where the pieces
        do not meet well inside the bracket) splits the bracket in two, each searched the same
        way, down to ``tolerance``; a bracket that narrow gives where its pieces meet."""
        if self.basis(a) == self.basis(b):
            return []
        left, right = self.piece(a, b), self.piece(b, a)
        if self.reaches(left, b) or self.reaches(right, a):
            return []
        low, high = min(a, b), max(a, b)
        crossing = float(left.meets(right, low, high))
        if high - low <= tolerance:
            return [(a + b) / 2 if math.isnan(crossing) else crossing]
        crossing = _snap(crossing, (a, b), tolerance / 1000)
        if not math.isnan(crossing) and all(
            self.confirms(piece, crossing, tolerance) for piece in (left, right)
        ):
            return [crossing]
        split = _split(crossing, low, high, tolerance / 2)
        return self.breakpoints(a, split, tolerance) + self.breakpoints(split, b, tolerance)

    def trace(self, grid: set[float], tolerance: float) -> tuple[list[float], set[float]]:
        """The ``grid`` levels and the breakpoints, loosest first, and the breakpoints: those
        between grid levels, and the grid levels where the slope changes."""
        levels = sorted(grid, key=self.looseness)
        kinks = [
            kink
            for low, high in itertools.pairwise(levels)
            for kink in self.breakpoints(low, high, tolerance)
        ]
        kinks = _apart(kinks, levels, 10 * tolerance)
        every = sorted(set(levels) | set(kinks), key=self.looseness)
        kinks += [
            level
            for before, level, after in zip(every, every[1:], every[2:], strict=False)
            if level in grid and self.bends(before, level, after)
        ]
        return every, set(kinks)

    def looseness(self, level: float) -> float:
        """Sorts levels loosest first."""
        return level * self.rule.tighter

    def bends(self, before: float, level: float, after: float) -> bool:
        """The slope changes at the solved ``level`` between the pieces from ``before`` and to
        ``after`` (each one piece): each one's slope at ``level`` is the model's of the piece
        through its other end where ``level``'s cost lies on it, else the duals' at ``level``."""
        here = self.slope(level)
        slopes = [
            piece.slope_at(level) if self.on(level, piece := self.piece(other, level)) else here
            for other in (before, after)
        ]
        return not math.isclose(*slopes, rel_tol=1e-6, abs_tol=1e-9)


def frontier(
    problem: Problem,
    country: str = "CN",
    rule: Rule | str = Rule.MAX_SHARE,
    *,
    material: str | None = None,
    investor: str | None = None,
    group: str | None = None,
    stage: str | None = None,
    measure: str = "tonnes",
    points: int | None = None,
    solver: SolverName = "highs",
    tolerance: float = 1e-6,
    time_limit: float | None = None,
    log: bool = False,
) -> Frontier:
    """Least total cost as one security rule tightens, from the plan's own level to the
    tightest feasible one, with the breakpoints of the curve.

    A problem with integer decisions (a MILP: ``unit_size``, ``min_lot``,
    ``qualification_cost``, ``max_suppliers``, ``min_suppliers``) has a cost that steps with
    the level: its frontier is a step curve, solved at the same levels, with each change of
    the integer decisions between two of them located by bisection (docs/frontier.md).

    Args:
        problem: the problem; its own setting of the rule is replaced at every point.
        country: the country of a ``max_share`` or ``cover_without`` rule.
        rule: "max_share" (largest share of purchases from ``country``), "cover_without"
            (share of demand coverable without ``country``), "stock_cover" (closing stock of
            ``material`` as a multiple of demand, in every period), "budget" (the capital
            the investments may take over the horizon [money]), or with stages
            "stage_max_share", "stage_min_share", "origin_share", "origin_min_share"
            (docs/frontier.md#stage-and-origin-rules).
        material: the material of a ``stock_cover`` frontier; for ``cover_without``, restrict
            the rule to it (default: the problem's rule's materials, or all).
        group: the group in ``country_groups`` the rule names instead of ``country`` (a
            ``max_share``, ``cover_without``, stage or origin rule).
        stage: for a ``stage_max_share`` or ``stage_min_share`` frontier, the stage the rule
            holds at (default: every stage), of ``material`` or of all; for ``cover_without``,
            the stage the country is left out at (default: by the sources' countries).
        measure: "tonnes" (default) or "value": what a stage or origin rule's share counts
            (docs/input.md#rules-per-stage-and-per-group-of-countries).
        investor: the investor of a ``budget`` frontier: its budget is replaced by a total at
            each level, the others kept; default: every budget is replaced by one total over
            every option.
        points: evenly spaced levels to solve besides the ends and breakpoints (default 11).
        solver: "highs", "cbc", or any solver that reports duals (docs/solvers.md): the
            slope of the curve comes from them.
        tolerance: breakpoints are located to this distance in level (for a budget, this
            fraction of the range from the capital the free plan spends down to 0).
        time_limit: seconds each solve of a MILP may take (a row stopped there says so in its
            ``status``); None for no limit. An LP's frontier takes none.
        log: print the solver's log of every solve on stdout; by default nothing is printed.

    Returns:
        A :class:`Frontier`: its ``table``, loosest level first (see :attr:`Frontier.table`),
        with the ``rule``, ``subject``, ``currency`` and the number of ``solves``.

    Raises:
        ArgumentError: the rule, country, material or investor is unknown, a budget
            frontier's problem has no investment options, or an LP's frontier is given a
            ``time_limit``.
        SolverChoiceError: the solver is unknown or reports no duals.
        SolverError: the solver is not installed.
        OptireeError: the problem has no plan even without the rule.
    """
    problem = arguments.model(problem, "problem", Problem)
    arguments.text(country, "country")
    material = arguments.optional(arguments.text, material, "material")
    investor = arguments.optional(arguments.text, investor, "investor")
    points = DEFAULT_POINTS if points is None else arguments.positive_int(points, "points")
    tolerance = arguments.finite_positive(tolerance, "tolerance")
    arguments.boolean(log, "log")
    require(solver, "duals", "a frontier")
    check(solver)
    integers = _Integers.of(problem, time_limit)
    group = arguments.optional(arguments.text, group, "group")
    stage = arguments.optional(arguments.text, stage, "stage")
    measure = arguments.one_of(measure, "measure", ("tonnes", "value"))
    asked = {"investor": investor, "group": group, "stage": stage, "measure": measure}
    spec = _rule(problem, rule, country, material, **asked)
    tracer = _Tracer(problem, spec, solver, log, time_limit)
    grid = _grid(tracer, points)
    if spec.spec.in_money:  # a budget's levels are money: the tolerance is of its range
        tolerance *= max(1.0, max(tracer.ends) - min(tracer.ends))
    if integers is not None:
        return _step_frontier(_Steps(tracer, integers), grid, tolerance)
    every, kinks = tracer.trace(grid, tolerance)
    table = _table(spec, every, kinks, tracer)
    solves = len(tracer.solved) + 1
    return Frontier(table, spec.spec.rule, spec.subject, problem.currency, solves)


def _grid(tracer: _Tracer, count: int) -> set[float]:
    """The levels the frontier solves first: from the loosest (the plan's without the rule) to
    the tightest, ``count`` evenly spaced between them; the loosest alone where the tightest
    is it, within the feasibility tolerance (the rule cannot be tightened at all). Tells
    ``tracer`` the ends."""
    spec = tracer.rule
    free = tracer.at(None)
    if not free.is_optimal:
        raise OptireeError(
            f"no frontier: the problem without its {spec.name} rule on {spec.subject} is "
            f"{free.status.value}: {free.message}"
        )
    loosest = spec.reached(free)
    tightest = tracer.tightest(loosest)
    if abs(tightest - loosest) <= FEASIBILITY_TOLERANCE * max(1.0, abs(loosest)):
        tightest = loosest  # levels apart by the tolerance alone are one level
    tracer.ends = {loosest, tightest}
    return {spec.within(loosest + (tightest - loosest) * i / (count + 1)) for i in range(count + 2)}


def _snap(crossing: float, ends: tuple[float, float], distance: float) -> float:
    """``crossing``, or the end within ``distance`` of it (a solved end may be the breakpoint
    itself)."""
    end = min(ends, key=lambda level: abs(level - crossing))
    return end if abs(end - crossing) <= distance else crossing


def _split(crossing: float, low: float, high: float, margin: float) -> float:
    """Where to split the bracket (low, high): at ``crossing`` when it lies more than
    ``margin`` inside, else in the middle."""
    return crossing if low + margin < crossing < high - margin else (low + high) / 2


def _apart(kinks: list[float], levels: list[float], distance: float) -> list[float]:
    """The breakpoints, each once: one within ``distance`` of a grid level is that level, one
    within ``distance`` of the one kept before it is dropped (two brackets around one
    breakpoint, or a piece narrower than ``distance``)."""
    kept: list[float] = []
    for found in sorted(kinks):
        kink = next((level for level in levels if abs(level - found) <= distance), found)
        if not kept or kink - kept[-1] > distance:
            kept.append(kink)
    return kept


def _rule(problem: Problem, rule: str, country: str, material: str | None, **more: Any) -> _Rule:
    """How to sweep ``rule`` of ``country`` (or of ``more``'s investor, group or stage)."""
    if rule not in FRONTIER_RULES:
        *most, last = FRONTIER_RULES
        choices = f"{', '.join(most)} or {last}"
        raise ArgumentError(f"unknown rule {rule!r}: choose {choices}")
    if more.get("measure") == "value" and Rule(rule) not in _IN_VALUE:
        named = ", ".join(_IN_VALUE)
        raise ArgumentError(f"a {rule} frontier counts tonnes: measure='value' is for {named}")
    return _FRONTIERS[Rule(rule)](problem, _Asked(country, material, **more))


def _table(spec: _Rule, levels: list[float], kinks: set[float], tracer: _Tracer) -> pd.DataFrame:
    results = [tracer.at(level) for level in levels]
    costs = [tracer.cost(level) for level in levels]
    slopes = [
        (costs[i + 1] - costs[i]) / (abs(levels[i + 1] - levels[i]) * spec.per_unit)
        for i in range(len(levels) - 1)
    ] + [math.nan]
    records = [
        (spec.name, spec.subject, level, cost, slope, level in kinks, result.status.value)
        for level, cost, slope, result in zip(levels, costs, slopes, results, strict=True)
    ]
    return pd.DataFrame(records, columns=COLUMNS)


@dataclass(frozen=True)
class _Integers:
    """The integer decisions of a problem, read off a plan in words: what changes along a
    MILP's step curve."""

    units: dict[str, float]
    """Option -> its unit size, for the options built in whole units."""
    lots: frozenset[tuple[str, str]]
    """(source, material) with a minimum lot."""
    counted: frozenset[str]
    """Materials whose suppliers are counted (at most or at least N)."""
    qualified: frozenset[str]
    """Sources with a one-off qualification cost."""
    discounted: frozenset[tuple[str, str]]
    """(source, material) priced by all-unit discounts."""

    @classmethod
    def of(cls, problem: Problem, time_limit: float | None) -> "_Integers | None":
        """The integer decisions of ``problem``; None for an LP (which takes no
        ``time_limit``)."""
        data = prepare(problem)
        if not data.integer_rules:
            if time_limit is not None:
                raise ArgumentError(
                    "time_limit bounds the solves of a MILP's frontier; this problem has no "
                    "integer decisions: leave it out"
                )
            return None
        return cls(
            {o.id: o.unit_size for o in problem.investments if o.unit_size},
            frozenset((s, m) for s, m, _ in data.min_lot),
            frozenset(data.max_suppliers) | frozenset(data.min_suppliers),
            frozenset(data.qualification),
            frozenset((s, m) for s, m, _ in data.discounts),
        )

    def words(self, result: Result) -> str:
        """The plan's integer decisions in words: units built, sources delivering where a lot
        or a count applies, sources qualified, discount bands bought in; empty without a
        plan."""
        if result.total_cost is None:
            return ""
        built = result.investments
        builds = [
            (str(o), str(t), round(float(size) / self.units[str(o)]))
            for o, t, size in zip(built["investment"], built["period"], built["size"], strict=True)
            if o in self.units
        ]
        supply = result.supply[result.supply["tonnes"] > DELIVERS]
        used: dict[tuple[str, str], list[str]] = {}
        for s, m, t in zip(supply["source"], supply["material"], supply["period"], strict=True):
            if (s, m) in self.lots or m in self.counted:
                used.setdefault((str(s), str(m)), []).append(str(t))
        qualified = sorted(self.qualified & set(map(str, supply["source"])))
        return integer_decisions(builds, used, qualified, self._bands(result))

    def _bands(self, result: Result) -> dict[tuple[str, str, int], list[str]]:
        """The discount band each discounted (source, material) buys in, with its periods."""
        bought = result.purchases[result.purchases["tonnes"] > DELIVERS]
        bands: dict[tuple[str, str, int], list[str]] = {}
        for s, m, j, t in zip(
            bought["source"], bought["material"], bought["tier"], bought["period"], strict=True
        ):
            if (s, m) in self.discounted:
                bands.setdefault((str(s), str(m), int(j)), []).append(str(t))
        return bands


class _Steps:
    """A MILP's frontier: the solves of a :class:`_Tracer`, and the integer decisions of each."""

    def __init__(self, tracer: _Tracer, integers: _Integers) -> None:
        self.tracer = tracer
        self.integers = integers
        self.decided: dict[float, str] = {}

    def decisions(self, level: float) -> str:
        if level not in self.decided:
            self.decided[level] = self.integers.words(self.tracer.at(level))
        return self.decided[level]

    def switches(self, a: float, b: float, tolerance: float) -> list[float]:
        """Levels around each change of the integer decisions between the solved levels ``a``
        and ``b``: the bracket is halved until it is at most ``tolerance`` wide, and its two
        ends are returned (a change and its undoing both inside a bracket are not seen)."""
        if self.decisions(a) == self.decisions(b):
            return []
        if abs(b - a) <= tolerance:
            return [a, b]
        middle = (a + b) / 2
        return self.switches(a, middle, tolerance) + self.switches(middle, b, tolerance)


def _step_frontier(steps: _Steps, grid: set[float], tolerance: float) -> Frontier:
    """The frontier of a MILP: the ``grid`` levels and each change of the integer decisions
    between neighbours, located by bisection to ``tolerance``."""
    tracer = steps.tracer
    spec, problem = tracer.rule, tracer.problem
    levels = sorted(grid, key=tracer.looseness)
    found = {
        level for a, b in itertools.pairwise(levels) for level in steps.switches(a, b, tolerance)
    }
    every = sorted(grid | found, key=tracer.looseness)
    records, before, cost_before = [], None, math.nan
    for level in every:
        result, decisions = tracer.at(level), steps.decisions(level)
        cost = math.nan if result.total_cost is None else result.total_cost
        switch = before is not None and decisions != before
        jump = cost - cost_before if switch else math.nan
        bound, gap = (math.nan if x is None else x for x in (result.best_bound, result.mip_gap))
        lp = (spec.name, spec.subject, level, cost, math.nan, switch, result.status.value)
        records.append((*lp, jump, bound, gap, decisions))  # the LP's columns, then a MILP's
        before, cost_before = decisions, cost
    table = pd.DataFrame(records, columns=STEP_COLUMNS)
    solves = len(tracer.solved) + 1
    return Frontier(table, spec.spec.rule, spec.subject, problem.currency, solves, tolerance)
