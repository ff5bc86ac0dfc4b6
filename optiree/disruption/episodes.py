"""Past export-control episodes: a bundled, cited catalogue (``optiree/data/episodes.yaml``),
each usable as a scenario of a problem, and their onsets counted as a frequency per period.

The catalogue is described in docs/episodes.md. Its severities and price factors are
judgements (marked ``assumption:`` in the file with their reasoning); a frequency counted
from it is an assumption the user owns, not a forecast.
"""

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Annotated

import pandas as pd
import yaml
from pydantic import Field

from optiree import arguments, words
from optiree.disruption.scenarios import OTHERS, disruption_periods, moved_prices
from optiree.errors import ArgumentError, ScenarioError
from optiree.schema import Disruption, Id, IdList, Multiplier, Problem, Scenario, Share, StrictModel

ALL = "all"
"""The target of an episode aimed at every importer."""


class Episode(StrictModel):
    """One export-control episode: who withheld what from whom, when, how much, and the
    sources that say so."""

    name: Id
    title: str
    country: Id
    """The country that withheld supply (ISO code)."""
    target: Id
    """The importer it was aimed at (ISO code), or ``all``."""
    start: date
    """First day in force."""
    end: date | None = None
    """Last day in force; none: still in force when the catalogue was written."""
    materials: IdList
    """Elements withheld (symbols: Dy, Tb, Ga ...)."""
    severity: Share
    """Share of supply withheld from the target while in force (a judgement)."""
    severity_note: Annotated[str, Field(pattern=r"^assumption:")]
    """Why that severity: always an assumption."""
    price_factor: Multiplier | None = None
    """What the price outside ``country`` was multiplied by, when catalogued."""
    price_note: str
    """Where the price factor comes from (sources and assumptions)."""
    sources: Annotated[list[str], Field(min_length=1)]
    """Publisher, title, date and address of each source, or ``assumption:`` and why."""


class Catalogue(StrictModel):
    """The bundled catalogue: groups of elements (YAML anchors) and the episodes."""

    groups: dict[Id, list[Id]] = Field(default_factory=dict)
    episodes: Annotated[list[Episode], Field(min_length=1)]


@cache
def catalogue() -> Catalogue:
    """The bundled catalogue, read and validated once."""
    text = resources.files("optiree").joinpath("data/episodes.yaml").read_text(encoding="utf-8")
    return Catalogue.model_validate(yaml.safe_load(text))


def episodes() -> pd.DataFrame:
    """The catalogue as a table, one row per episode: ``name``, ``title``, ``country``,
    ``target``, ``start``, ``end`` (empty while in force), ``days`` (empty while in force),
    ``materials`` (as ``Sm+Gd``), ``severity`` (share withheld, an assumption),
    ``price_factor`` (empty when none is catalogued) and ``sources`` (how many)."""
    rows = [
        {
            "name": e.name,
            "title": e.title,
            "country": e.country,
            "target": e.target,
            "start": e.start,
            "end": e.end,
            "days": None if e.end is None else _days(e),
            "materials": "+".join(e.materials),
            "severity": e.severity,
            "price_factor": e.price_factor,
            "sources": len(e.sources),
        }
        for e in catalogue().episodes
    ]
    return pd.DataFrame(rows).astype({"days": "Int64"})


def _days(episode: Episode) -> int:
    """Days in force, first and last day included."""
    assert episode.end is not None
    return (episode.end - episode.start).days + 1


def find(name: str) -> Episode:
    """The episode called ``name``.

    Raises:
        ArgumentError: there is none (the message lists the names there are).
    """
    by_name = {e.name: e for e in catalogue().episodes}
    return by_name[arguments.one_of(name, "episode", list(by_name))]


ELEMENT = re.compile(r"[A-Z][a-z]?")


def covered(material: str, elements: list[str]) -> bool:
    """Whether an episode withholding ``elements`` withholds a problem's ``material``: its id
    is one of them, or is made of element symbols that all are (NdPr: Nd and Pr)."""
    if material in elements:
        return True
    symbols = ELEMENT.findall(material)
    return "".join(symbols) == material and all(s in elements for s in symbols)


def episode(
    problem: Problem, name: str, *, start: str, prices: bool = False, length: int | None = None
) -> Scenario:
    """The episode ``name`` as a scenario of ``problem``, from period ``start``: a disruption by
    the episode's country of the problem's materials it withheld (:func:`covered`), its
    severity as the cut, lasting the episode's days in the problem's periods (rounded up:
    ``ceil(days / period_days)``; to the end of the horizon for an episode still in force),
    or ``length`` periods if given. With ``prices``, every source outside that country has its
    prices times the episode's ``price_factor`` while it lasts (none catalogued: no change).

    The scenario is for the problem as the target faces it: an episode aimed at one importer
    (``target``) applies as it stands to any problem; say whose problem it is.

    Raises:
        ArgumentError: an unknown episode or period, a length below 1.
        ScenarioError: the problem has none of the episode's materials, no source in its
            country, or no ``period_days`` to turn days into periods.
    """
    problem = arguments.model(problem, "problem", Problem)
    chosen = find(name)
    arguments.one_of(start, "start", problem.periods)
    arguments.boolean(prices, "prices")
    materials = [m for m in problem.material_ids if covered(m, chosen.materials)]
    _check_fits(problem, chosen, materials)
    arguments.optional(arguments.positive_int, length, "length")
    disruption = Disruption(
        country=chosen.country,
        materials=materials,
        start=start,
        length=length or _periods(problem, chosen),
        cut=chosen.severity,
    )
    changes = []
    if prices and chosen.price_factor is not None:
        window = disruption_periods(problem.periods, disruption)
        factors = {OTHERS: chosen.price_factor}
        changes = moved_prices(problem, chosen.country, window, factors)
    return Scenario(name=chosen.name, disruptions=[disruption], sources=changes)


def _check_fits(problem: Problem, chosen: Episode, materials: list[str]) -> None:
    """Refuse an episode that withholds nothing of the problem's.

    Raises:
        ScenarioError: none of its materials or no source of its country, all said at once.
    """
    wrong = []
    if not materials:
        wrong.append(
            f"it withholds {', '.join(chosen.materials)} and the problem has "
            f"{', '.join(problem.material_ids)}: none of them"
        )
    if chosen.country not in problem.countries:
        wrong.append(
            f"no source of the problem is in {chosen.country} (its countries: "
            f"{', '.join(problem.countries)})"
        )
    if wrong:
        raise ScenarioError(
            f"episode {chosen.name!r} cannot apply to {problem.name!r}: " + "; ".join(wrong)
        )


def _periods(problem: Problem, chosen: Episode) -> int | None:
    """The episode's days in the problem's periods, rounded up; none while in force."""
    if chosen.end is None:
        return None
    if problem.period_days is None:
        raise ScenarioError(
            f"episode {chosen.name!r} lasted {_days(chosen)} days, and {problem.name!r} has no "
            "period_days to turn days into periods: set period_days (91.25 for quarters) or "
            "give length"
        )
    return math.ceil(_days(chosen) / problem.period_days)


@dataclass(frozen=True)
class Onsets:
    """How often episodes began in a window: a frequency per period that the user owns as an
    assumption (a handful of past episodes is no forecast)."""

    first: date
    last: date
    period_days: float
    """Length of a period [days]."""
    names: tuple[str, ...]
    """The episodes that began in the window, oldest first."""

    @property
    def periods(self) -> float:
        """The window's length in periods."""
        return ((self.last - self.first).days + 1) / self.period_days

    @property
    def per_period(self) -> float:
        """Onsets per period: the chance that one begins in a period, if they come at this
        rate and at most one a period (an assumption)."""
        return len(self.names) / self.periods

    def summary(self) -> str:
        return words.onsets_words(
            self.names, str(self.first), str(self.last), self.period_days, self.per_period
        )


def onset_frequency(
    first: date,
    last: date,
    *,
    period_days: float = 91.25,
    country: str | None = None,
    target: str | None = None,
    materials: Sequence[str] | None = None,
) -> Onsets:
    """The episodes of the catalogue that began from ``first`` to ``last`` (both included),
    by ``country``, aimed at ``target`` (an episode aimed at ``all`` counts for every
    target) and withholding one of ``materials`` at least (:func:`covered`; none: any),
    counted per period of ``period_days``.

    Raises:
        ArgumentError: ``first`` after ``last``, or ``period_days`` not above 0.
    """
    arguments.instance(first, "first", date, "a datetime.date")
    arguments.instance(last, "last", date, "a datetime.date")
    arguments.finite_positive(period_days, "period_days")
    if first > last:
        raise ArgumentError(f"first ({first}) is after last ({last}): give the window in order")
    materials = arguments.optional(arguments.listed, materials, "materials", arguments.text)
    names = tuple(
        e.name
        for e in sorted(catalogue().episodes, key=lambda e: e.start)
        if first <= e.start <= last
        and (materials is None or any(covered(m, e.materials) for m in materials))
        and _aimed(e, country, target)
    )
    return Onsets(first=first, last=last, period_days=float(period_days), names=names)


def _aimed(chosen: Episode, country: str | None, target: str | None) -> bool:
    """Whether ``chosen`` is by ``country`` and aimed at ``target`` (none: any)."""
    by = country is None or chosen.country == country
    return by and (target is None or chosen.target in (target, ALL))
