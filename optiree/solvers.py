"""The solvers optiree drives: a user's choice (a name, or a configured ``pulp.LpSolver``) turned
into PuLP's solver object, and what optiree can ask of each (docs/solvers.md).

Every analysis that takes ``solver=`` goes through :func:`solver_for` (the object to run) and,
where it needs more than a plan, :func:`require` (before any solve). HiGHS runs through
:mod:`optiree.handoff`; every other solver through PuLP (``lp.solve``).
"""

import functools
import threading
import warnings
from dataclasses import dataclass
from typing import Any, TypeAlias

import pulp

from optiree import arguments
from optiree.errors import SolverChoiceError, SolverError
from optiree.words import NO_DUALS, lacking_words, unknown_solver_words

_QUIET = threading.Lock()
"""Held while a solver is made with PuLP's deprecation warning silenced (:func:`solver_for`)."""

SolverName: TypeAlias = str | pulp.LpSolver
"""What ``solver=`` takes: a name (:func:`names`) or a configured ``pulp.LpSolver``."""

ALIASES: dict[str, str] = {
    "highs": "HiGHS",
    "cbc": "PULP_CBC_CMD",
    "glpk": "GLPK_CMD",
    "scip": "SCIP_CMD",
    "gurobi": "GUROBI",
    "cplex": "CPLEX_PY",
    "xpress": "XPRESS_PY",
    "copt": "COPT",
    "mosek": "MOSEK",
    "cuopt": "CUOPT",
}
"""The lower-case names optiree adds to PuLP's own (``pulp.listSolvers()``), each for the PuLP
solver it stands for (the Python interface where PuLP has one that ``pip`` installs)."""
SOLVERS = ("highs", "cbc")
"""The tested pair: every test runs on both; "highs" is the default."""

DUALS = frozenset(
    {
        "HiGHS",
        "PULP_CBC_CMD",
        "COIN_CMD",
        "COINMP_DLL",
        "CPLEX_CMD",
        "CPLEX_PY",
        "GUROBI",
        "GUROBI_CMD",
        "MOSEK",
        "XPRESS",
        "XPRESS_PY",
        "COPT",
        "COPT_DLL",
        "CUOPT",
        "PYGLPK",
        "SAS94",
        "SASCAS",
    }
)
"""PuLP solvers (by ``solver.name``) whose PuLP interface reads the duals back: shadow prices
and reduced costs. The others (GLPK_CMD, SCIP_CMD, FSCIP_CMD, SCIP_PY, HiGHS_CMD, COPT_CMD,
CHOCO_CMD, MIPCL_CMD, CyLP) leave them unset: their plans have NaN there."""

INSTALL: dict[str, str] = {
    "HiGHS": "install it with `pip install highspy`",
    "PULP_CBC_CMD": "install a PuLP release that bundles it (`pip install 'pulp<4'`)",
    "GLPK_CMD": "install GLPK's `glpsol` program (Debian/Ubuntu: `apt-get install glpk-utils`; "
    "macOS: `brew install glpk`; conda: `conda install -c conda-forge glpk`)",
    "SCIP_CMD": "install SCIP so that its `scip` program is on the PATH "
    "(conda: `conda install -c conda-forge scip`)",
    "GUROBI": "install it with `pip install gurobipy` (a licence is needed beyond small models)",
    "GUROBI_CMD": "install Gurobi so that its `gurobi_cl` program is on the PATH, with a licence",
    "CPLEX_PY": "install it with `pip install cplex` (a licence is needed beyond small models)",
    "XPRESS_PY": "install it with `pip install xpress` (a licence is needed beyond small models)",
    "COPT": "install it with `pip install coptpy` (a licence is needed beyond small models)",
    "MOSEK": "install it with `pip install mosek`, with a licence",
    "HiGHS_CMD": "install HiGHS's `highs` program on the PATH (or use 'highs', through highspy)",
}
"""How to install the solvers optiree names; any other: :data:`PULP_GUIDE`."""
PULP_GUIDE = "https://coin-or.github.io/pulp/guides/how_to_configure_solvers.html"
SHOWN = {"HiGHS": "HiGHS", "PULP_CBC_CMD": "CBC"}
"""How a message names a solver (by default its PuLP name)."""


@dataclass(frozen=True)
class Capabilities:
    """What optiree can ask of a solver besides a plan."""

    duals: bool
    """Shadow prices and reduced costs (PuLP reads them for the solvers in :data:`DUALS`)."""
    ranging: bool
    """Allowable ranges of limits and prices (HiGHS only, through :mod:`optiree.handoff`)."""
    warm: bool
    """One warm HiGHS model re-solved per scenario (sweeps, stochastic WS/EEV): only the name
    "highs"; a configured ``pulp.HiGHS`` keeps its options, so it solves every model anew."""


NEEDS = {
    "duals": NO_DUALS,
    "ranging": "allowable ranges (ranging)",
    "warm": "a warm re-solve",
}


def names() -> list[str]:
    """Every name ``solver=`` takes: optiree's aliases, then PuLP's own solver names."""
    return [*ALIASES, *dict.fromkeys(_pulp_names())]


@functools.cache
def _pulp_names() -> tuple[str, ...]:
    """PuLP's own solver names, asked once (``pulp.listSolvers()`` makes an object of each of
    PuLP's solver classes: about 0.4 ms a call, twice per solve before)."""
    return tuple(pulp.listSolvers())


def pulp_name(name: str) -> str:
    """PuLP's name of the solver called ``name``: an alias, or PuLP's name (in any case; an
    alias first where the two fold alike: "xpress" is XPRESS_PY, "XPRESS" PuLP's XPRESS).

    Raises:
        SolverChoiceError: no solver has that name (with the nearest names, if any).
    """
    if isinstance(name, str):
        own = _pulp_names()
        exact = {choice: choice for choice in own} | ALIASES
        folded = {choice.lower(): choice for choice in own} | ALIASES  # "xpress": XPRESS_PY
        found = exact.get(name) or folded.get(name.lower())
        if found is not None:
            return str(found)
    raise SolverChoiceError(unknown_solver_words(name, names()))


def solver_for(
    choice: SolverName, time_limit: float | None = None, *, log: bool = False
) -> pulp.LpSolver:
    """The PuLP solver object for ``choice``, with an optional limit [s]; silent unless
    ``log``, which prints the solver's log on stdout as it runs. A configured
    ``pulp.LpSolver`` is returned as it is (its own ``msg`` and ``timeLimit`` apply).

    Raises:
        SolverChoiceError: the name is unknown, or a limit or log is asked of an object.
        SolverError: the solver is known but not installed (the message says how to).
    """
    _check_time_limit(time_limit)
    if isinstance(choice, pulp.LpSolver):
        if time_limit is not None or log:
            raise SolverChoiceError(
                "a configured solver object keeps its own options: set timeLimit= and msg= "
                f"on {type(choice).__name__}(...) rather than time_limit or log"
            )
        solver = choice
    else:
        options: dict[str, Any] = {"msg": log}
        options |= {"timeLimit": time_limit} if time_limit is not None else {}
        options |= {"gapRel": MIP_GAP} if pulp_name(choice) == "HiGHS" else {}
        # PuLP 3.3 warns that PULP_CBC_CMD goes away in PuLP 4; optiree pins PuLP < 4. The
        # warnings filters are one list for the process: threads that made solvers at once
        # would restore each other's list and let the warning through, hence the lock.
        with _QUIET, warnings.catch_warnings():
            warnings.filterwarnings("ignore", "PULP_CBC_CMD is deprecated", DeprecationWarning)
            solver = pulp.getSolver(pulp_name(choice), **options)
    if not solver.available():
        raise SolverError(_missing(solver.name))
    return solver


MIP_GAP = 1e-6
"""The relative gap at which HiGHS, chosen by name, calls a MILP solved (its own default, 1e-4,
would let two solvers' optima differ by 0.01%; CBC's default is 0). No effect on an LP."""


def check(choice: SolverName) -> None:
    """Raise as :func:`solver_for` does for an unknown or missing solver, before any work."""
    solver_for(choice)


def _missing(name: str) -> str:
    how = INSTALL.get(name, f"install it so that PuLP finds it ({PULP_GUIDE})")
    return f"{SHOWN.get(name, name)} is not available: {how}"


def _check_time_limit(time_limit: float | None) -> None:
    if time_limit is not None:
        accepts = "a positive number of seconds"
        arguments.finite_positive(time_limit, "time_limit", accepts, SolverChoiceError)


def name_of(choice: SolverName) -> str:
    """How results name the solver: the name as given, or a solver object's PuLP name."""
    return choice.name if isinstance(choice, pulp.LpSolver) else choice


def capabilities(choice: SolverName) -> Capabilities:
    """What ``choice`` gives optiree besides a plan (see :class:`Capabilities`)."""
    if isinstance(choice, pulp.LpSolver):
        name, named = str(choice.name), False
    else:
        name, named = pulp_name(choice), True
    return Capabilities(
        duals=name in DUALS, ranging=name == "HiGHS", warm=name == "HiGHS" and named
    )


def warm(choice: SolverName) -> bool:
    """Whether analyses may re-solve one warm HiGHS model for ``choice`` (else each model is
    solved anew through :func:`solver_for`)."""
    return capabilities(choice).warm


def require(choice: SolverName, need: str, analysis: str) -> None:
    """Raise before any solve when ``analysis`` needs what ``choice`` lacks.

    Raises:
        SolverChoiceError: ``choice`` lacks ``need`` (a field of :class:`Capabilities`).
    """
    if getattr(capabilities(choice), need):
        return
    raise SolverChoiceError(lacking_words(analysis, NEEDS[need], name_of(choice), able(need)))


def able(need: str) -> list[str]:
    """optiree's own names of the solvers that have ``need`` (a field of :class:`Capabilities`)."""
    return [alias for alias in ALIASES if getattr(capabilities(alias), need)]


def precision(solver: pulp.LpSolver) -> float:
    """Relative precision of the values ``solver`` reports: HiGHS's arrive as doubles (see
    :mod:`optiree.handoff`); CBC writes its solution file with 8 significant digits, and
    1e-7 is taken for every other solver too (GLPK's ``glpsol`` writes more digits)."""
    return 1e-15 if isinstance(solver, pulp.HiGHS) else 1e-7
