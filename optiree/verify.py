"""Result tables -> the largest way they break the problem's rules.

:func:`verify` checks a plan before :func:`optiree.solve` returns it, from the returned tables
and the prepared numbers only: it does not read the LP, so a row built wrong, a variable read
back wrong or a solver that stopped short is caught, not repeated. Every rule of
docs/formulation.md is re-derived here: bounds, balance, net demand, country shares, cover,
stock cover, caps, contracts, separation, ramps and substitute shares, and with stages
every facility's capacity and every path's flows and yields.

A violation is measured in the row's own unit (tonnes, or units for ramps) and judged
relative to the size of the numbers in the row: ``violation / max(1, |terms|)``.
"""

import itertools
import math
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import compress, repeat
from typing import Any, cast

import numpy as np
import pandas as pd

from optiree.columns import Table, Tabular, floats, frame, values
from optiree.prepare import BUILT, MT, SMT, ProblemData
from optiree.rules import LIMITS, Rule
from optiree.schema import CoverRule, OriginRule, StageRule

TOLERANCE = 1e-6
"""Largest relative violation a returned plan may have (solvers work to about 1e-7)."""


@dataclass(frozen=True)
class Violation:
    """How far a plan breaks one row: ``amount`` in the row's unit, ``relative`` to its size."""

    row: str
    amount: float
    relative: float

    def __str__(self) -> str:
        return f"{self.row} by {self.amount:.3g} (relative {self.relative:.2g})"


def _violation(row: str, excess: float, terms: Iterable[float]) -> Violation:
    size = max(1.0, sum(abs(term) for term in terms))
    amount = math.inf if math.isnan(excess) or math.isnan(size) else max(0.0, excess)
    return Violation(row, amount, amount / size)


def _rows(table: pd.DataFrame, *columns: str) -> Iterator[tuple[Any, ...]]:
    """The values of ``columns`` of ``table``, row by row."""
    return zip(*(table[column].tolist() for column in columns), strict=True)


class _Once(dict[Any, Any]):
    """A dictionary that makes each missing entry once, with ``make``."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> Any:
        self[key] = value = self.make(key)
        return value


class _Table:
    """A result table (a DataFrame, or a :class:`optiree.columns.Table` of columns), each
    column read once: ``text[column]`` its values as a list, ``numbers[column]`` as a float
    array, ``keys[columns]`` the rows' tuples of ``columns``. (Each read of a pandas column
    costs about 10 microseconds, and copies the table's ``attrs``.)"""

    def __init__(self, table: Tabular) -> None:
        self.table = table
        self.text = _Once(lambda column: values(table, column))
        self.numbers = _Once(lambda column: floats(table, column))
        self.keys = _Once(lambda columns: list(zip(*(self.text[c] for c in columns), strict=True)))

    def __len__(self) -> int:
        return len(self.table)

    @property
    def frame(self) -> pd.DataFrame:
        return frame(self.table)

    def rows(self, *columns: str) -> Iterator[tuple[Any, ...]]:
        """The values of ``columns``, row by row."""
        return zip(*(self.text[column] for column in columns), strict=True)

    def by_key(self, keys: tuple[str, ...], column: str) -> dict[Any, float]:
        """``column`` by the tuple of ``keys``."""
        return dict(zip(self.keys[keys], self.numbers[column].tolist(), strict=True))


INVESTMENT_KEYS = ["investment", "period", "size", "available_from"]
"""The columns of the ``investments`` table the checks read."""

NO_BUILDS = pd.DataFrame(columns=INVESTMENT_KEYS)
"""The ``investments`` table of a plan without one."""

NO_FLOWS = pd.DataFrame()
"""The ``flows`` table of a plan without stages."""

Sellers = tuple[list[str], list[float]]
"""The sources delivering a material in a period, and the tonnes each delivers."""

NO_SELLERS: Sellers = ([], [])


GROUPED = 2000
"""The rows of a supply table from which pandas groups it faster than a Python loop (a
groupby costs about 0.5 ms)."""


def _looped(supply: dict[SMT, float]) -> dict[MT, Sellers]:
    """(material, period) -> the sources delivering it and their tonnes, in a Python loop."""
    by_mt: dict[MT, Sellers] = {}
    for (s, m, t), x in supply.items():
        sources, tonnes = by_mt.setdefault((m, t), ([], []))
        sources.append(s)
        tonnes.append(x)
    return by_mt


def _grouped(supply: "_Table") -> dict[MT, Sellers]:
    """(material, period) -> the sources delivering it and their tonnes, grouped by pandas
    (a Python step per group, not per row; the columns as arrays, no DataFrame made)."""
    sources = np.asarray(supply.text["source"], dtype=object)
    tonnes = supply.numbers["tonnes"]
    keys = [np.asarray(supply.text[key], dtype=object) for key in ("material", "period")]
    groups = pd.Series(tonnes).groupby(keys, sort=False).indices
    return {cast(MT, mt): (sources[i].tolist(), tonnes[i].tolist()) for mt, i in groups.items()}


def _deduplicated(supply: dict[SMT, float]) -> pd.DataFrame:
    """The supply table of ``supply`` (a table with a cell twice counts its last row)."""
    rows = [(*cell, x) for cell, x in supply.items()]
    return pd.DataFrame(rows, columns=["source", "material", "period", "tonnes"])


def _new_capacity(data: ProblemData, builds: _Table) -> dict[str, dict[Any, float]]:
    """The new capacity each build of the plan adds from the period it says it serves in to
    the end, by what it expands (``supply``: its source's cells of its material, ``units``:
    its substitute's, ``feed``: its feed's [t of feed], ``separation``: its source's plant,
    ``facility``: the facility [t taken in])."""
    new: dict[str, dict[Any, float]] = {kind: {} for kind in BUILT}
    for ident, size, first in builds.rows("investment", "size", "available_from"):
        o = data.option(ident)
        for t in data.periods[data.periods.index(first) :]:
            kind, cell = o.cell(t)
            new[kind][cell] = new[kind].get(cell, 0.0) + o.per_period * float(size)
    return new


def _flows(data: ProblemData, flows: Tabular) -> pd.DataFrame:
    """The flows table as a DataFrame (an empty one of a plan without stages is not made)."""
    if isinstance(flows, Table) and flows.empty and not data.stages:
        return NO_FLOWS
    return frame(flows)


def _taken(flows: pd.DataFrame) -> dict[tuple[str, str, str], float]:
    """(facility, material, period) -> the tonnes it takes in, summed over the paths of the
    ``flows`` table (none without stages)."""
    taken: dict[tuple[str, str, str], float] = {}
    if not flows.empty:
        inside = flows[flows["step"] > 0]
        for f, m, t, x in _rows(inside, "node", "material", "period", "tonnes_in"):
            taken[f, m, t] = taken.get((f, m, t), 0.0) + float(x)
    return taken


class _Plan:
    """The plan's numbers by index, read from the result tables (each column once)."""

    def __init__(self, data: ProblemData, tables: Mapping[str, Tabular]) -> None:
        self.data = data
        self.tables = {name: _Table(table) for name, table in tables.items()}
        self.builds = _Table(tables.get("investments", NO_BUILDS))
        supply, smt = self.tables["supply"], ("source", "material", "period")
        self.supply: dict[SMT, float] = supply.by_key(smt, "tonnes")
        self.by_mt = self._sellers(supply)
        self.flows = _flows(data, tables.get("flows", NO_FLOWS))
        self.taken = _taken(self.flows)
        """(facility, material, period) -> tonnes it takes in, from the flows."""
        if data.stages and not self.flows.empty:
            self.by_mt = self._reached()
        self.delivered: dict[MT, float] = {mt: sum(x) for mt, (_, x) in self.by_mt.items()}
        """Tonnes delivered of each (material, period), from every source."""
        self.units = self.tables["substitution"].by_key(("substitute", "period"), "units")
        self.saved_by_mt = self._savings()
        inventory, mt = self.tables["inventory"], ("material", "period")
        self.closing_of = inventory.by_key(mt, "closing")
        self.sold = inventory.by_key(mt, "sold")
        self.surplus = inventory.by_key(mt, "surplus")
        self.below = inventory.by_key(mt, "below_target")
        self.charged = inventory.by_key(mt, "gap_charged")
        self.short = self.tables["shortage"].by_key(mt, "tonnes")
        self.feeds = self.tables["feeds"].by_key(("feed", "period"), "tonnes")
        self.new = _new_capacity(data, self.builds)
        """New capacity serving each cell, by what it expands (see :func:`_new_capacity`)."""

    def _sellers(self, supply: _Table) -> dict[MT, Sellers]:
        """(material, period) -> the sources delivering it and their tonnes, in the order of
        the table."""
        if len(supply) < GROUPED:
            return _looped(self.supply)
        whole = len(self.supply) == len(supply)
        return _grouped(supply if whole else _Table(_deduplicated(self.supply)))

    def by_st(self) -> dict[tuple[str, str], float]:
        """(source, period) -> the tonnes it delivers."""
        by_st: dict[tuple[str, str], float] = {}
        for (s, _, t), x in self.supply.items():
            by_st[s, t] = by_st.get((s, t), 0.0) + x
        return by_st

    def sources(self, countries: Collection[str], inside: bool = True) -> frozenset[str]:
        """The sources in ``countries`` (``inside``), or outside them."""
        return frozenset(s for s, c in self.data.country.items() if (c in countries) == inside)

    def _reached(self) -> dict[MT, Sellers]:
        """(material, period) -> (source, tonnes it reaches the last stage with), from the
        flows: what the balance and the country rules count with stages."""
        last = self.flows[self.flows["stage"] == self.data.stages[-1]]
        grouped = last.groupby(["source", "material", "period"]).sum().reset_index()
        reached = _Table(grouped).by_key(("source", "material", "period"), "tonnes")
        return {
            (m, t): (sources, [reached.get((s, m, t), 0.0) for s in sources])
            for (m, t), (sources, _) in self.by_mt.items()
        }

    def _savings(self) -> dict[MT, float]:
        """Tonnes of each (material, period) the substitutes save."""
        saved: dict[MT, float] = {}
        for (k, t), u in self.units.items():
            for m, per_unit in self.data.saves[k].items():
                saved[m, t] = saved.get((m, t), 0.0) + u * per_unit
        return saved

    def saved(self, m: str, t: str) -> float:
        return self.saved_by_mt.get((m, t), 0.0)

    def from_sources(self, chosen: Collection[str], m: str, t: str) -> float:
        """Tonnes of (m, t) delivered by the ``chosen`` sources."""
        sources, tonnes = self.by_mt.get((m, t), NO_SELLERS)
        return sum(compress(tonnes, map(chosen.__contains__, sources)))

    def delivered_by(self, cells: Iterable[SMT]) -> float:
        """Tonnes the (source, material, period) ``cells`` deliver together."""
        return sum(map(self.supply.get, cells, repeat(0.0)))

    def opening(self, m: str, t: str) -> float:
        before = self.data.previous(t)
        return self.data.initial[m] if before is None else self.closing(m, before)

    def closing(self, m: str, t: str) -> float:
        return self.closing_of[m, t]


def _within(
    table: _Table, keys: tuple[str, ...], x: np.ndarray, most: Iterable[float], kind: str
) -> Violation:
    """The worst of ``0 <= x <= most``, ``x`` a column of ``table``, row by row (vectorised:
    one per variable), named ``kind(key,...)``."""
    if not len(x):
        return Violation("none", 0.0, 0.0)
    top = np.fromiter(most, dtype=float, count=len(x))
    excess = np.maximum(x - top, -x)
    excess = np.where(np.isnan(excess), np.inf, np.maximum(excess, 0.0))
    size = np.abs(x) + np.where(np.isinf(top), 0.0, np.abs(top))
    relative = excess / np.maximum(1.0, size)
    i = int(np.argmax(relative))
    index = ",".join(str(table.text[key][i]) for key in keys)
    return Violation(f"{kind}({index})", float(excess[i]), float(relative[i]))


def _bounds(plan: "_Plan") -> Iterator[Violation]:
    """Every decision within its bounds: bands (and each band's width as prepared, with the
    new capacity the plan builds), feeds, substitutes, shortage, stock, sales and builds."""
    data, tables = plan.data, plan.tables
    yield from _bands(data, tables["purchases"], plan.new["supply"])
    yield from _use_bounds(data, tables["feeds"], tables["substitution"], plan.new)
    yield from _build_bounds(data, plan.builds)
    short, mt = tables["shortage"], ("material", "period")
    most = (data.demand[m, t] if m in data.penalty else 0.0 for m, t in short.keys[mt])
    yield _within(short, mt, short.numbers["tonnes"], most, "short")
    yield from _stock_bounds(data, tables["inventory"])


def _bands(data: ProblemData, bands: _Table, new: dict[Any, float]) -> Iterator[Violation]:
    """Each price band within its width, and its width the one prepared (the first band's
    with the new capacity serving it)."""
    band = ("source", "material", "period", "tier")
    cells, tiers = bands.keys[band[:3]], bands.text["tier"]
    widths = np.fromiter(
        (
            segments[j - 1].width if 0 < j <= len(segments) else 0.0
            for segments, j in zip(map(data.segments.get, cells, repeat(())), tiers, strict=True)
        ),
        dtype=float,
        count=len(tiers),
    )
    first = (
        i for i, (cell, j) in enumerate(zip(cells, tiers, strict=True)) if j == 1 and cell in new
    )
    for i in first:  # a first band with new capacity serving it
        widths[i] += new[cells[i]] if data.segments.get(cells[i]) else 0.0
    yield _within(bands, band, bands.numbers["tonnes"], widths, "buy")
    gap = np.abs(bands.numbers["capacity"] - widths)
    yield _within(bands, band, gap, np.zeros(len(tiers)), "band width")


def _use_bounds(
    data: ProblemData, feeds: _Table, subs: _Table, new: dict[str, dict[Any, float]]
) -> Iterator[Violation]:
    """Feeds and substitutes within their capacities (with the new capacity serving)."""
    ft, kt = ("feed", "period"), ("substitute", "period")
    most = (data.feed_capacity.get(k, 0.0) + new["feed"].get(k, 0.0) for k in feeds.keys[ft])
    yield _within(feeds, ft, feeds.numbers["tonnes"], most, "feed")
    most = (data.sub_capacity.get(k, 0.0) + new["units"].get(k, 0.0) for k in subs.keys[kt])
    yield _within(subs, kt, subs.numbers["units"], most, "sub")


def _build_bounds(data: ProblemData, builds: _Table) -> Iterator[Violation]:
    """Each build at most its option's size, decided in a period it may be (from its
    earliest on, early enough to serve), serving from ``lead_time`` periods later."""
    periods = data.periods
    for ident, t, size, first in builds.rows(*INVESTMENT_KEYS):
        o = data.option(ident)
        name = f"build({ident},{t})"
        yield _violation(name, max(-size, size - o.max_size), [size, o.max_size])
        allowed = t in o.decided and periods.index(first) == periods.index(t) + o.lead
        yield _violation(f"{name} lead time", 0.0 if allowed else math.inf, [])


def _stock_bounds(data: ProblemData, inventory: _Table) -> Iterator[Violation]:
    """Stock, tonnes below a strategic stock's target, and sales within their bounds."""
    mt, x = ("material", "period"), inventory.numbers
    yield _within(inventory, mt, x["closing"], repeat(math.inf), "stock")
    most = [math.inf if m in data.below_cost else 0.0 for m, _ in inventory.keys[mt]]
    yield _within(inventory, mt, x["below_target"], most, "below")
    yield _within(inventory, mt, x["gap_charged"], most, "gap")
    most = [
        data.max_sold.get(key, 0.0) if data.salvage.get(key, 0.0) > 0 else 0.0
        for key in inventory.keys[mt]
    ]
    yield _within(inventory, mt, x["sold"], most, "sell")


def _balance(plan: _Plan) -> Iterator[Violation]:
    d = plan.data
    for m in d.materials:
        for t in d.periods:
            delivered = plan.delivered.get((m, t), 0.0)
            saved = plan.saved(m, t)
            short = plan.short.get((m, t), 0.0)
            opening = plan.opening(m, t)
            closing, sold = plan.closing(m, t), plan.sold[m, t]
            terms = [opening, delivered, saved, short, closing, sold, d.demand[m, t]]
            left = opening + delivered + saved + short - closing - sold - d.demand[m, t]
            # >= 0: what is left is disposed of (at a cost, for a material that has one)
            yield _violation(f"balance({m},{t})", -left, terms)
            yield _violation(f"balance({m},{t}) surplus", abs(left - plan.surplus[m, t]), terms)
            avoided = saved + short
            yield _violation(f"net_demand({m},{t})", avoided - d.demand[m, t], [avoided])


def _max_share(plan: _Plan) -> Iterator[Violation]:
    d = plan.data
    for c, share in d.problem.security.max_country_share.items():
        inside = plan.sources(d.problem.members(c))
        for m, t in plan.by_mt:
            own = plan.from_sources(inside, m, t)
            total = plan.delivered[m, t]
            yield _violation(f"max_share({c},{m},{t})", own - share * total, [own, total])


def _cover_without(plan: _Plan) -> Iterator[Violation]:
    d = plan.data
    for rule in d.problem.security.min_cover_without:
        c, without = rule.who, _without(plan, rule)
        for m in rule.materials or d.materials:
            for t in d.periods:
                have = without(m, t) + plan.saved(m, t) + plan.opening(m, t)
                need = rule.share * d.demand[m, t]
                yield _violation(f"cover_without({c},{m},{t})", need - have, [have, need])


def _without(plan: _Plan, rule: CoverRule) -> Callable[[str, str], float]:
    """Tonnes of (m, t) delivered without the rule's country (at its stage, with one: read
    off the flows table once, each path's country at the stage)."""
    members = plan.data.problem.members(rule.who)
    if rule.stage is None:
        outside = plan.sources(members, inside=False)
        return lambda m, t: plan.from_sources(outside, m, t)
    found = delivered_without(plan.data, plan.flows, members, rule.stage)
    return lambda m, t: found.get((m, t), 0.0)


def delivered_without(
    data: ProblemData, flows: pd.DataFrame, countries: Collection[str], stage: str
) -> dict[MT, float]:
    """Tonnes of each (material, period) delivered down the paths whose node at ``stage``
    stands outside ``countries`` (a source after the stage: its own country), read off the
    flows table."""
    found: dict[MT, float] = {}
    for cell, paths in _paths_of(flows).items():
        for rows in paths:
            if _share_read(data, rows, stage, cell, False)[0] not in countries:
                found[cell] = found.get(cell, 0.0) + float(rows[-1][3])
    return found


def _stock_cover(plan: _Plan) -> Iterator[Violation]:
    d = plan.data
    for (m, t), cover in d.stock_cover.items():
        need = cover * d.demand[m, t]
        closing = plan.closing(m, t)
        charged = plan.charged[m, t]  # 0 for a hard target: bounds
        short = plan.short.get((m, t), 0.0) if m in d.below_cost else 0.0
        have = closing + charged + short  # a strategic stock's gap matched by shortage is free
        yield _violation(f"stock_cover({m},{t})", need - have, [closing, charged, short, need])
        if m in d.below_cost:  # the tonnes below a strategic stock's target, read off the plan
            gap = abs(max(0.0, need - closing) - plan.below[m, t])
            yield _violation(f"below_target({m},{t})", gap, [need, closing])


def _caps(plan: _Plan) -> Iterator[Violation]:
    """What the matching sources deliver, or a facility takes in, within the cap."""
    for cap in plan.data.caps:
        total = plan.delivered_by(cap.cells)
        total += sum(plan.taken.get((str(cap.facility), m, t), 0.0) for m, t in cap.taken)
        name = f"cap({cap.cap},{cap.material},{cap.period})"
        yield _violation(name, total - cap.limit, [total, cap.limit])


def _contracts(plan: _Plan) -> Iterator[Violation]:
    """A fixed volume is met exactly, a minimum at least; a take-or-pay shortfall is paid for
    (its bounds are checked with the other decisions')."""
    for contract in plan.data.contracts:
        total = plan.delivered_by(contract.cells)
        name = f"contract({contract.contract},{contract.material},{contract.period})"
        if contract.fixed:
            yield _violation(name, abs(total - contract.tonnes), [total, contract.tonnes])
        elif contract.take_or_pay is None:
            yield _violation(name, contract.tonnes - total, [total, contract.tonnes])


def _separation(plan: _Plan) -> Iterator[Violation]:
    """All a source delivers at most its plant's size plus the expansions the plan builds."""
    by_st = plan.by_st() if plan.data.separation else {}
    for (s, t), base in plan.data.separation.items():
        total, most = by_st.get((s, t), 0.0), base + plan.new["separation"].get((s, t), 0.0)
        yield _violation(f"separation({s},{t})", total - most, [total, most])


def _ramp(plan: _Plan) -> Iterator[Violation]:
    d = plan.data
    for k, (increase, growth, initial) in d.ramp.items():
        before = initial
        for t in d.periods:
            u = plan.units.get((k, t), 0.0)
            most = (1 + growth) * before + increase
            yield _violation(f"ramp({k},{t})", u - most, [u, most])
            before = u


def _sub_share(plan: _Plan) -> Iterator[Violation]:
    d = plan.data
    for (k, m, t), share in d.sub_share.items():
        avoided = plan.units.get((k, t), 0.0) * d.saves[k].get(m, 0.0)
        most = share * d.demand[m, t]
        yield _violation(f"sub_share({k},{m},{t})", avoided - most, [avoided, most])


def _capacity(plan: _Plan) -> Iterator[Violation]:
    """Tonnes bought from a source (units of a substitute) at most the capacity there was
    plus the new capacity the plan's builds put there."""
    d, smt = plan.data, ("source", "material", "period")
    bought = plan.tables["supply"].by_key(smt, "bought") if plan.new["supply"] else {}
    for cell, new in plan.new["supply"].items():
        used, most = bought.get(cell, 0.0), d.capacity.get(cell, 0.0) + new
        yield _violation(f"capacity({','.join(cell)})", used - most, [used, most])
    for cell, new in plan.new["units"].items():
        used, most = plan.units.get(cell, 0.0), d.sub_capacity.get(cell, 0.0) + new
        yield _violation(f"capacity({','.join(cell)})", used - most, [used, most])
    for (f, t), new in plan.new["feed"].items():  # tonnes of feed
        used, most = plan.feeds.get((f, t), 0.0), d.feed_capacity.get((f, t), 0.0) + new
        yield _violation(f"capacity({d.feed_source[f]},{f},{t})", used - most, [used, most])


def _build_limit(plan: _Plan) -> Iterator[Violation]:
    """An option builds at most its largest size over the horizon."""
    if not len(plan.builds):  # an empty groupby costs about 0.5 ms
        return
    built = plan.builds.frame.groupby("investment")["size"].sum()
    for ident, size in built.items():
        most = plan.data.option(str(ident)).max_size
        yield _violation(f"build_limit({ident})", float(size) - most, [float(size), most])


def _budget(plan: _Plan) -> Iterator[Violation]:
    """The capital of the builds a budget covers, decided in its periods, at most it."""
    d = plan.data
    for row in d.budgets:
        capital = sum(
            float(size) * d.option(ident).capital
            for ident, t, size in plan.builds.rows("investment", "period", "size")
            if t in row.periods and row.investor in (None, d.option(ident).investor)
        )
        name = f"budget({row.subject},{row.label})"
        yield _violation(name, capital - row.limit, [capital, row.limit])


def _facility(plan: _Plan) -> Iterator[Violation]:
    """A facility takes in at most its capacity, of every path through it together."""
    materials = plan.data.materials
    for (f, t), base in plan.data.facility_capacity.items():
        total = sum(plan.taken.get((f, m, t), 0.0) for m in materials)
        most = base + plan.new["facility"].get((f, t), 0.0)
        yield _violation(f"facility({f},{t})", total - most, [total, most])


def _chain(plan: _Plan) -> Iterator[Violation]:
    """Along every path each node takes in what the one before put out, and puts out its
    yield of it; a source's paths together take what it delivers at its stage."""
    flows = plan.flows
    if flows.empty:
        return
    yields = {f.id: f.output_per_input for f in plan.data.problem.facilities}
    previous = 0.0
    for path, step, node, m, t, into, out in _rows(
        flows, "path", "step", "node", "material", "period", "tonnes_in", "tonnes"
    ):
        name = f"flow({path},{m},{t})"
        yield _violation(name, -min(into, out), [into, out])
        ratio = 1.0
        if step:
            yield _violation(f"{name} into {node}", abs(into - previous), [into, previous])
            ratio = yields[node]
        yield _violation(f"{name} out of {node}", abs(out - ratio * into), [out, into])
        previous = out
    keys = ("source", "material", "period")
    entering = flows[flows["step"] == 0].groupby(list(keys))["tonnes"].sum().reset_index()
    for (s, m, t), sent in _Table(entering).by_key(keys, "tonnes").items():
        delivered = plan.supply.get((s, m, t), 0.0)
        yield _violation(f"chain({s},{m},{t})", abs(sent - delivered), [sent, delivered])


def _paths_of(flows: pd.DataFrame) -> dict[tuple[str, str], list[list[tuple[Any, ...]]]]:
    """(material, period) -> every path's rows of the flows table, in step order: (source,
    stage, country, tonnes, processing cost)."""
    found: dict[tuple[str, str, str], list[tuple[Any, ...]]] = {}
    if flows.empty:
        return {}
    columns = ("path", "material", "period", "source", "stage", "country", "tonnes", "cost")
    for path, m, t, *row in _rows(flows.sort_values(["path", "step"]), *columns):
        found.setdefault((path, m, t), []).append(tuple(row))
    by_cell: dict[tuple[str, str], list[list[tuple[Any, ...]]]] = {}
    for (_, m, t), rows in found.items():
        by_cell.setdefault((m, t), []).append(rows)
    return by_cell


def _share_read(
    data: ProblemData, rows: list[tuple[Any, ...]], stage: str, cell: tuple[str, str], value: bool
) -> tuple[str, float]:
    """The country of a path at ``stage`` (its source's for a stage before the source's own)
    and its tonnes there, or its value: what they cost up to that node."""
    j = data.node_at(rows[0][1], stage)
    if not value:
        return rows[j][2], float(rows[j][3])
    price = data.worth.get((rows[0][0], *cell), 0.0)
    return rows[j][2], float(rows[0][3]) * price + sum(float(r[4]) for r in rows[1 : j + 1])


def share_reads(
    data: ProblemData, flows: pd.DataFrame, rule: StageRule | OriginRule
) -> Iterator[tuple[str, str, str, float, float, float]]:
    """(stage, material, period, share, own, total) of each row of a stage or origin rule,
    read off the flows table: at each of its stages (the last for an origin rule) the tonnes
    or value of the paths that stand in the country or group there (for an origin rule: that
    passed through it at any stage), and of all paths."""
    cells = _paths_of(flows)
    members, value = data.problem.members(rule.who), rule.measure == "value"
    shares = list(rule.shares(list(data.materials), list(data.periods)))
    for stage, (m, t, share) in itertools.product(rule.stages_of(data.stages), shares):
        own = total = 0.0
        for rows in cells.get((m, t), []):
            country, x = _share_read(data, rows, stage, (m, t), value)
            total += x
            own += x if rule.counts(members, [r[2] for r in rows], country) else 0.0
        yield stage, m, t, share, own, total


def _share_rules(plan: _Plan, kind: Rule) -> Iterator[Violation]:
    """Each stage or origin rule of ``kind`` (a largest or least share) read off the flows
    table."""
    security, most = plan.data.problem.security, kind in (Rule.STAGE_MAX, Rule.ORIGIN)
    origin = kind in (Rule.ORIGIN, Rule.ORIGIN_MIN)
    for rule in security.origin_shares if origin else security.stage_shares:
        if (rule.max_share is not None) != most:
            continue
        for stage, m, t, share, own, total in share_reads(plan.data, plan.flows, rule):
            where = "" if origin else f"{stage},"
            name = f"{kind.value}({rule.who},{where}{m},{t}) [{rule.default_id}]"
            yield _violation(name, (1 if most else -1) * (own - share * total), [own, total])


CHECKS: dict[Rule, Callable[[_Plan], Iterator[Violation]]] = {
    Rule.STAGE_MAX: lambda plan: _share_rules(plan, Rule.STAGE_MAX),
    Rule.STAGE_MIN: lambda plan: _share_rules(plan, Rule.STAGE_MIN),
    Rule.ORIGIN: lambda plan: _share_rules(plan, Rule.ORIGIN),
    Rule.ORIGIN_MIN: lambda plan: _share_rules(plan, Rule.ORIGIN_MIN),
    Rule.MAX_SHARE: _max_share,
    Rule.COVER_WITHOUT: _cover_without,
    Rule.STOCK_COVER: _stock_cover,
    Rule.CAP: _caps,
    Rule.CONTRACT: _contracts,
    Rule.SEPARATION: _separation,
    Rule.RAMP: _ramp,
    Rule.SUB_SHARE: _sub_share,
    Rule.CAPACITY: _capacity,
    Rule.BUILD_LIMIT: _build_limit,
    Rule.BUDGET: _budget,
    Rule.FACILITY: _facility,
}
"""The check of each rule of :data:`optiree.rules.LIMITS` (balance, net demand and the end
stock are checked by :func:`_balance`)."""


def _integer_rules(plan: _Plan) -> Iterator[Violation]:
    """Lumpy builds are whole units, a cell with a minimum lot delivers 0 or at least the lot,
    and a source that delivers anything has its qualification cost paid."""
    d = plan.data
    for ident, t, size in plan.builds.rows("investment", "period", "size"):
        unit = d.option(ident).unit_size
        if unit:
            off = abs(float(size) - unit * round(float(size) / unit))
            yield _violation(f"unit_size({ident},{t})", off, [float(size), unit])
    for (s, m, t), lot in d.min_lot.items():
        x = plan.supply.get((s, m, t), 0.0)
        yield _violation(f"min_lot({s},{m},{t})", min(x, lot - x), [x, lot])
    yield from _qualification(plan)


def _qualification(plan: _Plan) -> Iterator[Violation]:
    """A source that delivers anything has its qualification cost paid (in ``costs``; a plan
    read before its costs, by ``keeps_rules``, has none to check)."""
    d, costs = plan.data, plan.tables.get("costs")
    if costs is None or not d.qualification:
        return
    rows = costs.rows("component", "item", "cost")
    paid = {item: float(cost) for component, item, cost in rows if component == "qualification"}
    for s, cost in d.qualification.items():
        delivered = sum(x for (seller, _, _), x in plan.supply.items() if seller == s)
        unpaid = 1.0 - paid.get(s, 0.0) / cost
        yield _violation(f"qualification({s})", delivered * unpaid, [delivered])


def _discounts(data: ProblemData, purchases: _Table) -> Iterator[Violation]:
    """A purchase priced by all-unit discounts is bought in one band at most, and pays for
    every tonne of the period the price of the band its total falls in (the last band whose
    start the total reaches; the table's ``cost``)."""
    if not data.discounts:
        return
    bought: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
    for s, m, t, x, paid in purchases.rows("source", "material", "period", "tonnes", "cost"):
        if (s, m, t) in data.discounts:
            bought.setdefault((s, m, t), []).append((float(x), float(paid)))
    for (s, m, t), starts in data.discounts.items():
        rows = bought.get((s, m, t), [])
        total = sum(x for x, _ in rows)
        reached = [j for j, start in enumerate(starts) if start <= total * (1 + TOLERANCE)]
        price = data.segments[s, m, t][reached[-1]].price
        paid = sum(cost for _, cost in rows)
        name = f"discount({s},{m},{t})"
        yield _violation(name, abs(paid - total * price), [paid, total * price])
        used = sum(x > TOLERANCE * max(1.0, total) for x, _ in rows)
        yield _violation(f"{name} bands bought", (used - 1) * total, [total])


def _suppliers(plan: _Plan) -> Iterator[Violation]:
    """At most N sources deliver a material in a period (a source delivers if its tonnes are
    above the tolerance, relative to the period's purchases of it); at least N deliver their
    lot. Counted in sources."""
    d = plan.data
    for m, t in itertools.product(d.max_suppliers, d.periods):
        floor = TOLERANCE * max(1.0, plan.delivered.get((m, t), 0.0))
        count = sum(x > floor for x in plan.by_mt.get((m, t), NO_SELLERS)[1])
        most = d.max_suppliers[m]
        yield _violation(f"max_suppliers({m},{t})", count - most, [most])
    for m, t in itertools.product(d.min_suppliers, d.periods):
        count = sum(
            x >= d.min_lot[s, m, t] * (1 - TOLERANCE)
            for s, x in zip(*plan.by_mt.get((m, t), NO_SELLERS), strict=True)
            if (s, m, t) in d.min_lot
        )
        least = d.min_suppliers[m]
        yield _violation(f"min_suppliers({m},{t})", least - count, [least])


def _rules(plan: _Plan) -> Iterator[Violation]:
    for rule in LIMITS:
        yield from CHECKS[rule](plan)


def verify(data: ProblemData, tables: Mapping[str, Tabular]) -> Violation:
    """The largest relative violation of any rule by the plan in ``tables`` (DataFrames, or
    :class:`optiree.columns.Table` s; a zero violation named "none" when there is no row to
    check)."""
    plan = _Plan(data, tables)
    checks = [*_bounds(plan), *_balance(plan), *_rules(plan)]
    checks += [*_integer_rules(plan), *_suppliers(plan), *_chain(plan)]
    checks += _discounts(data, plan.tables["purchases"])
    worst = max(checks, key=lambda v: v.relative, default=Violation("none", 0.0, 0.0))
    if math.isnan(worst.relative):
        return Violation(worst.row, math.inf, math.inf)
    return worst
