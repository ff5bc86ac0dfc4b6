"""The two-stage model decomposed on mpi-sppy, for more scenarios than one extensive form holds
(:func:`write_scenario_files`, :func:`solve_decomposed`).

Each scenario's model (the problem it faces, as :func:`two_stage` builds it) is written by PuLP
as one MPS file beside a JSON file with its probability and the names of its first-stage
columns: the input of mpi-sppy's ``mps_module``. :func:`solve_decomposed` runs mpi-sppy's
``generic_cylinders`` on that folder under ``mpiexec`` (progressive hedging or the L-shaped
method, each with a spoke that prices first stages) and reads back its two bounds and the first
stage of its best plan. mpi-sppy, Pyomo, python-mip and mpi4py are the extra ``mpi``; they are
imported by the MPI processes only, never here. The method and the bounds are stated in
docs/stochastic.md, "Beyond one extensive form". Money is in the problem's currency.
"""

import importlib.util
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from optiree.disruption.stochastic.extensive import Key, first_stage_variables, key_name
from optiree.disruption.stochastic.solving import FIRST_STAGE_COLUMNS, _first_stage_table
from optiree.disruption.stochastic.stages import TwoStage, two_stage
from optiree.errors import MissingDependencyError, OptireeError, StochasticError
from optiree.model import LpModel, build
from optiree.prepare import prepare
from optiree.schema import Problem, Scenario
from optiree.words import Carded, decomposed_summary

NEEDS_MPI = (
    "decomposition needs mpi-sppy, Pyomo, python-mip and mpi4py (pip install 'optiree[mpi]') "
    "and an MPI with its mpiexec (Debian: apt-get install openmpi-bin libopenmpi-dev)"
)
MODULES = ("mpisppy", "pyomo", "mip", "mpi4py")
"""What the MPI processes import: checked before any file is written."""
Method = Literal["ph", "lshaped"]
CYLINDERS: dict[str, tuple[str, ...]] = {
    "ph": ("--xhatshuffle",),
    "lshaped": ("--lshaped-hub", "--xhatlshaped"),
}
"""The options of ``generic_cylinders`` per method: the hub, then one spoke that prices the
first stages the hub proposes (the inner bound). Two cylinders: the processes are a multiple of
2."""
STEM = "scen"
"""The files' stem: mpi-sppy wants scenario names with a common base and a serial number."""
SOLVER = "highs"
"""Pyomo's interface to highspy (``pyomo.contrib.solver``): no solver binary is needed, and it
solves progressive hedging's quadratic terms and reports the duals the L-shaped cuts need (its
``appsi_highs`` does neither here)."""


@dataclass(frozen=True)
class ScenarioFiles:
    """A folder of ``scen<i>.mps`` and ``scen<i>_nonants.json``, one pair per scenario."""

    folder: Path
    stems: dict[str, str]
    """Scenario name -> its files' stem (``scen0``, ``scen1``, ...; the scenarios' order)."""
    columns: dict[Key, str]
    """First-stage decision -> its MPS column, the same in every file."""
    constant: float
    """sum_s p_s k_s, with k_s the constant of scenario s's cost, which MPS has no place for
    [currency]: add it to mpi-sppy's bounds."""
    stages: TwoStage


@dataclass(frozen=True)
class Decomposed(Carded):
    """The two bounds on the two-stage optimum (RP) that mpi-sppy found, and its first stage."""

    problem_name: str
    currency: str
    method: str
    processes: int
    scenarios: int
    committed: tuple[str, ...]
    revealed: str
    outer_bound: float
    """A lower bound on RP [currency]: no first stage does better (-inf if none was found)."""
    inner_bound: float
    """The expected cost of the best first stage found, with each scenario's best recourse
    [currency]: an upper bound on RP (+inf if none was found)."""
    first_stage: pd.DataFrame
    """The best first stage found: columns as ``StochasticResult.first_stage`` (empty when no
    inner bound was found)."""
    log: str
    """What mpi-sppy printed."""

    @property
    def gap(self) -> float:
        """inner_bound - outer_bound >= 0 [currency]: how far from RP either may be."""
        return self.inner_bound - self.outer_bound

    @property
    def relative_gap(self) -> float:
        """gap / |inner_bound| (inf without both bounds)."""
        if not math.isfinite(self.gap) or self.inner_bound == 0:
            return math.inf
        return self.gap / abs(self.inner_bound)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name: ``first_stage``."""
        return {"first_stage": self.first_stage}

    def summary(self) -> str:
        """The bounds, the gap and the first stage, rounded for reading."""
        return decomposed_summary(self)


def write_scenario_files(
    problem: Problem,
    scenarios: Sequence[Scenario] | None,
    folder: str | Path,
    commit_periods: int = 1,
    penalty: float | Mapping[str, float] | None = None,
) -> ScenarioFiles:
    """Write each scenario's model as ``scen<i>.mps`` (PuLP) beside ``scen<i>_nonants.json``
    (its probability and its first-stage columns), in ``folder`` (created if missing), for
    mpi-sppy's ``mps_module``.

    The scenarios, ``commit_periods`` and ``penalty`` are those of ``solve_stochastic``; the
    objective is the expected cost (no risk measure). The first-stage columns are named after
    their decision (``buy(china,Dy,P1)`` -> ``buy_china_Dy_P1_``) and listed in the same order
    in every JSON file; the other columns keep PuLP's names.

    Raises:
        StochasticError: as :func:`two_stage`, or two first-stage decisions whose names differ
            only in punctuation.
    """
    stages = two_stage(problem, scenarios, commit_periods=commit_periods, penalty=penalty)
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    width = len(str(len(stages.problems) - 1))  # scen07 sorts before scen10, as mpi-sppy lists them
    stems = {s: f"{STEM}{i:0{width}d}" for i, s in enumerate(stages.problems)}
    columns: dict[Key, str] = {}
    constant = 0.0
    for scenario, stem in stems.items():
        model = build(prepare(stages.problems[scenario]))
        own = _name_first_stage(model, stages.committed)
        if columns and own != columns:  # two_stage never makes one, as extensive.tie checks
            raise OptireeError(f"the first-stage variables of {scenario!r} differ from the first's")
        columns = own
        model.lp.writeMPS(str(target / f"{stem}.mps"))
        _write_nonants(target / f"{stem}_nonants.json", stem, stages, scenario, columns)
        constant += stages.probability[scenario] * model.objective.constant
    return ScenarioFiles(target, stems, columns, constant, stages)


def _name_first_stage(model: LpModel, committed: Sequence[str]) -> dict[Key, str]:
    """Rename the first-stage variables to names Pyomo can look up, in the decisions' order."""
    chosen = first_stage_variables(model, committed)
    columns = {key: re.sub(r"\W", "_", key_name(key)) for key in sorted(chosen)}
    uses = Counter(columns.values())
    clashes = sorted(key_name(k) for k, c in columns.items() if uses[c] > 1)
    if clashes:
        raise StochasticError(
            f"first-stage decisions {', '.join(clashes)} differ only in the punctuation of "
            "their ids, and would share an MPS column: rename one of the ids"
        )
    for key, column in columns.items():
        chosen[key].name = column
    return columns


def _write_nonants(
    path: Path, stem: str, stages: TwoStage, scenario: str, columns: Mapping[Key, str]
) -> None:
    """The scenario tree of one scenario as mps_module reads it: two stages, one root."""
    root = {"serialNumber": 0, "condProb": 1.0, "nonAnts": list(columns.values())}
    document = {
        "scenarioData": {"name": stem, "scenProb": stages.probability[scenario]},
        "treeData": {"globalNodeCount": 1, "nodes": {"ROOT": root}},
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def solve_decomposed(
    problem: Problem,
    scenarios: Sequence[Scenario] | None = None,
    *,
    processes: int = 2,
    method: Method = "lshaped",
    commit_periods: int = 1,
    penalty: float | Mapping[str, float] | None = None,
    iterations: int = 50,
    rel_gap: float = 1e-4,
    rho: float = 1.0,
    mpiexec: Sequence[str] = ("mpiexec",),
    folder: str | Path | None = None,
    timeout: float | None = None,
) -> Decomposed:
    """Bounds on the two-stage optimum from mpi-sppy's ``generic_cylinders``, run on
    ``processes`` MPI processes: ``method`` "ph" (progressive hedging, ``rho`` its penalty per
    unit of a first-stage decision) or "lshaped" (Benders cuts), each with a spoke that prices
    the first stages found. It stops after ``iterations`` of the hub, or once the gap between
    the bounds is at most ``rel_gap`` of the inner bound.

    ``mpiexec`` is the launcher and its options (as root, OpenMPI wants
    ``OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1`` in the environment). The files
    go to ``folder``, or a temporary folder removed afterwards.

    Raises:
        MissingDependencyError: the extra ``mpi`` or ``mpiexec`` is missing (before any work).
        StochasticError: as :func:`write_scenario_files`, an unknown method, or processes that
            are not a positive multiple of 2.
        OptireeError: mpi-sppy failed or timed out (the message ends with its output).
    """
    _check_run(method, processes)
    launcher = _launcher(mpiexec)
    with tempfile.TemporaryDirectory(prefix="optiree-mpi-") as scratch:
        where = Path(folder).resolve() if folder is not None else Path(scratch)
        files = write_scenario_files(problem, scenarios, where, commit_periods, penalty)
        base = Path(scratch) / "first_stage"
        command = [
            *launcher,
            *mpiexec[1:],
            "-np",
            str(processes),
            sys.executable,
            "-m",
            "mpi4py",
            "-m",
            "mpisppy.generic_cylinders",
            "--mps-files-directory",
            str(files.folder),
            "--solver-name",
            SOLVER,
            "--max-iterations",
            str(iterations),
            "--rel-gap",
            repr(rel_gap),
            "--default-rho",
            repr(rho),
            "--solution-base-name",
            str(base),
            *CYLINDERS[method],
        ]
        log = _run(command, timeout, cwd=scratch)  # where mpi-sppy writes its own logs
        values = _first_stage_values(base.with_suffix(".csv"), files.columns)
    return _decomposed(problem, files, log, values, method=method, processes=processes)


def _check_run(method: str, processes: int) -> None:
    if method not in CYLINDERS:
        raise StochasticError(f"method must be one of {', '.join(CYLINDERS)}, got {method!r}")
    if isinstance(processes, bool) or not isinstance(processes, int) or processes < 2:
        raise StochasticError(f"processes must be a whole number >= 2, got {processes!r}")
    if processes % 2:
        raise StochasticError(
            f"processes must be a multiple of 2 (a hub and a spoke), got {processes}"
        )


def _launcher(mpiexec: Sequence[str]) -> list[str]:
    """The launcher's full path, once the MPI processes' modules are known to be there."""
    missing = [m for m in MODULES if importlib.util.find_spec(m) is None]
    found = shutil.which(mpiexec[0]) if mpiexec else None
    if missing or found is None:
        what = ", ".join([*missing, *([] if found else [repr(mpiexec[0] if mpiexec else "")])])
        raise MissingDependencyError(f"{NEEDS_MPI}; not found: {what}")
    return [found]


def _run(command: list[str], timeout: float | None, cwd: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 (the command is ours; no shell)
            command, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd
        )
    except subprocess.TimeoutExpired as error:
        raise OptireeError(f"mpi-sppy did not finish in {timeout} s") from error
    log = done.stdout + done.stderr
    if done.returncode != 0:
        raise OptireeError(f"mpi-sppy failed (exit status {done.returncode}):\n{log[-4000:]}")
    return log


TERMINATION = "Statistics at termination"
ROW = re.compile(r"\]\s+\d+\s+(?:[A-Za-z*]+\s+)?(\S+)\s+(\S+)\s")
"""A row of mpi-sppy's table: ``[ time] iteration [marker] best-bound best-incumbent ...``."""


def bounds(log: str) -> tuple[float, float]:
    """The outer (best bound) and inner (best incumbent) bounds of the last table row after
    mpi-sppy's "Statistics at termination", before the constant is added.

    Raises:
        OptireeError: no such row (the log's end is in the message).
    """
    _, found, tail = log.rpartition(TERMINATION)
    rows = [ROW.search(line) for line in tail.splitlines()] if found else []
    last = [row for row in rows if row is not None]
    if not last:
        raise OptireeError(f"no bounds in mpi-sppy's output:\n{log[-2000:]}")
    return float(last[0].group(1)), float(last[0].group(2))


def _first_stage_values(path: Path, columns: Mapping[Key, str]) -> dict[Key, float]:
    """The first stage mpi-sppy wrote (``name,value`` lines), by decision; empty if none."""
    if not path.exists():
        return {}
    written = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, _, value = line.rpartition(",")
        written[name.strip()] = float(value)
    return {key: written[column] for key, column in columns.items() if column in written}


def _decomposed(
    problem: Problem,
    files: ScenarioFiles,
    log: str,
    values: Mapping[Key, float],
    *,
    method: str,
    processes: int,
) -> Decomposed:
    outer, inner = bounds(log)
    first = _first_stage_table(values) if values else pd.DataFrame(columns=FIRST_STAGE_COLUMNS)
    return Decomposed(
        problem_name=problem.name,
        currency=problem.currency,
        method=method,
        processes=processes,
        scenarios=len(files.stems),
        committed=files.stages.committed,
        revealed=files.stages.revealed,
        outer_bound=outer + files.constant,
        inner_bound=inner + files.constant,
        first_stage=first,
        log=log,
    )
