"""The ``optiree`` command.

Exit codes: 0 optimal (or valid, for ``validate``); 1 infeasible or not solved, or the output
could not be written; 2 invalid input or usage (the message names the field), including an
output that exists already without ``--force`` (checked before anything is solved, and again,
atomically, when the output is put in place) and an output path through a file; 141
(128 + SIGPIPE, as the shell reports for ``cat`` or ``grep``) when the reader of the output went
away first (``optiree solve FILE | head``): the command stops there, quietly.

Everything printed goes through :func:`_say`, which escapes control characters
(:func:`optiree.words.for_terminal`): a problem file cannot retitle or clear the terminal.

A command imports what it needs when it runs (the imports inside the functions below): the
parser and ``validate`` load the schema and no solver, table or figure library, so that
``optiree validate`` starts in a fraction of the time ``optiree solve`` needs
(docs/performance.md, "Start-up").
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias, TypeVar

from pydantic import ValidationError

from optiree.disruption.scenarios import NO_DISRUPTION, disrupted
from optiree.errors import (
    ArgumentError,
    MissingDependencyError,
    OptireeError,
    OutputError,
    OutputTakenError,
    ScenarioError,
    SolverError,
)
from optiree.io import is_workbook, load_problem
from optiree.rules import FRONTIER_RULES
from optiree.schema import Problem, Scenario
from optiree.version import __version__
from optiree.words import (
    PROGRESS_UNIT,
    applied_words,
    default_executor_words,
    episodes_solved_words,
    episodes_words,
    for_terminal,
    headline,
    lines_of,
    model_written,
    needs_flag,
    no_duals_words,
    stress_all_words,
)

if TYPE_CHECKING:
    from optiree.disruption.stochastic import StochasticResult
    from optiree.disruption.stress import StressResult, StressTable
    from optiree.disruption.sweep import Sweep
    from optiree.frontier import Frontier
    from optiree.results import Result

EXIT_OK, EXIT_NOT_SOLVED, EXIT_INVALID = 0, 1, 2
EXIT_PIPE_CLOSED = 128 + 13
"""The reader of the output went away (SIGPIPE is signal 13): what a shell reports for a Unix
tool ended so, such as ``cat`` in ``cat big.txt | head``."""
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""The sub-commands of ``optiree``, to which each command adds its parser."""
ALL_SCENARIOS = "all"
_Read = TypeVar("_Read")


def _say(text: str, *, end: str = "\n", err: bool = False) -> None:
    """Print ``text`` on stdout (on stderr when ``err``) with its control characters escaped
    (:func:`optiree.words.for_terminal`): the one way the command prints."""
    print(for_terminal(text), end=end, file=sys.stderr if err else sys.stdout)


def _tell(args: argparse.Namespace, text: str) -> None:
    """Say ``text`` unless ``--quiet``: what is not essential (files written, notes)."""
    if not args.quiet:
        _say(text)


def _summary(args: argparse.Namespace, text: str) -> None:
    """Say a summary: all of it, or its headline only with ``--quiet``."""
    _say(lines_of(text, args.quiet), end="")


@contextlib.contextmanager
def _progress(args: argparse.Namespace, what: str) -> Iterator[None]:
    """A progress bar on stderr counting the LPs solved inside (:func:`optiree.handoff.
    each_solve`), for a command that may solve many; hidden when stderr is not a terminal or
    with ``--quiet``."""
    from tqdm import tqdm

    from optiree.handoff import each_solve

    # tqdm shows no bar when ``disable`` is None and stderr is not a terminal.
    disable = True if args.quiet else None
    bar = tqdm(desc=what, unit=PROGRESS_UNIT, file=sys.stderr, disable=disable)
    with bar, each_solve(bar.update):
        yield


class _Parser(argparse.ArgumentParser):
    """argparse's parser, printing through :func:`_say`: its usage errors, which quote what
    was typed, are escaped, and its help into a closed pipe ends as any command's output
    (argparse itself would drop the error)."""

    def _print_message(self, message: str, file: object = None) -> None:
        if message:
            _say(message, end="", err=file is not sys.stdout)


def format_validation_error(error: ValidationError, path: Path, what: str = "problem") -> str:
    """One line per error: the field path, then what is wrong with it (in a ``what`` file)."""
    lines = [f"invalid {what} in {path}: {error.error_count()} error(s)"]
    for detail in error.errors(include_url=False):
        where = ".".join(str(part) for part in detail["loc"]) or "(document)"
        lines.append(f"  {where}: {detail['msg']}")
    return "\n".join(lines)


class _Stop(Exception):  # noqa: N818  # not an error: how a command ends early
    """Ends a command before its work: :func:`main` prints ``message`` (if any) on stderr and
    exits with ``code``."""

    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _load(path: Path) -> Problem:
    """The problem in ``path``; stops with exit 2 when it cannot be read or is invalid."""
    try:
        return load_problem(path)
    except ValidationError as error:
        raise _Stop(EXIT_INVALID, format_validation_error(error, path)) from None
    except OSError as error:
        raise _Stop(EXIT_INVALID, f"cannot read {path}: {error.strerror or error}") from None
    except MissingDependencyError as error:
        raise _Stop(EXIT_NOT_SOLVED, f"error: {error}") from None


def _read_input(path: Path, what: str, load: Callable[[Path], _Read]) -> _Read:
    """``load(path)`` for a file given beside the problem (a tree, a process); stops with
    exit 2 when it cannot be read or is invalid."""
    try:
        return load(path)
    except OptireeError as error:
        raise _Stop(EXIT_INVALID, f"error: {error}") from None
    except ValidationError as error:
        raise _Stop(EXIT_INVALID, format_validation_error(error, path, what)) from None
    except OSError as error:
        raise _Stop(EXIT_INVALID, f"cannot read {path}: {error.strerror or error}") from None


def _refuse_taken(args: argparse.Namespace, *files: Path | None) -> None:
    """Stop (exit 2) when an output exists and may not be replaced (no ``--force``), or its
    path goes through a file."""
    for path in files:
        _refuse_file_on_path(path)
        if path is not None and os.path.lexists(path) and not args.force:
            raise _Stop(EXIT_INVALID, f"error: {path} already exists: give --force to replace it")


def _refuse_taken_table(args: argparse.Namespace) -> None:
    """Stop (exit 2) when the ``--out`` table exists and may not be replaced; a Parquet table
    needs pyarrow, checked here, before the work rather than after it."""
    from optiree.disruption.sweep import require_pyarrow

    _refuse_taken(args, args.out)
    if args.out is not None and args.out.suffix.lower() == ".parquet":
        require_pyarrow()


def _refuse_taken_results(args: argparse.Namespace) -> None:
    """Stop (exit 2) when ``--out`` holds results or figures and may not be replaced."""
    out: Path | None = args.out
    _refuse_file_on_path(out)
    if out is None:
        return
    if is_workbook(out):
        _refuse_taken(args, out)
        _need_openpyxl()
        return
    if args.force:
        return
    if out.exists() and not out.is_dir():
        raise _Stop(EXIT_INVALID, f"error: --out {out} is a file: give a folder")
    found = _results_in(out)
    if found:
        raise _Stop(
            EXIT_INVALID,
            f"error: {out} already holds results ({_first_three(found)}): give --force to "
            "replace them",
        )


def _refuse_file_on_path(path: Path | None) -> None:
    """Stop (exit 2) when a folder on ``path`` is a file."""
    blocker = next((p for p in path.parents if os.path.isfile(p)), None) if path else None
    if blocker is not None:
        raise _Stop(EXIT_INVALID, f"error: cannot write {path}: {blocker} is a file, not a folder")


def _results_in(out: Path) -> list[str]:
    """The result tables, summary and figures already in the folder ``out``."""
    from optiree.files import result_files
    from optiree.plots import FIGURES, STAGE_FIGURE
    from optiree.results import TABLES

    names = [*result_files(TABLES), *FIGURES, STAGE_FIGURE]
    return [name for name in names if os.path.lexists(out / name)]


def _first_three(names: list[str]) -> str:
    return ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")


def _exit(done: bool) -> int:
    """The exit code of a command that ran: 0 when it did all it was asked (an optimal plan,
    every scenario planned), else 1."""
    return EXIT_OK if done else EXIT_NOT_SOLVED


def _failed(error: OptireeError) -> int:
    """Say what went wrong; exit 2 when the solver, an argument (a scenario, a number of
    points) or an output path could not be used as asked, else 1."""
    _say(f"error: {error}", err=True)
    usage = SolverError | ArgumentError | OutputTakenError
    return EXIT_INVALID if isinstance(error, usage) else EXIT_NOT_SOLVED


def _validate(args: argparse.Namespace) -> int:
    problem = _load(args.file)
    _say(
        f"{args.file}: valid problem {problem.name!r}: {len(problem.materials)} materials, "
        f"{len(problem.sources)} sources, {len(problem.periods)} periods"
    )
    return EXIT_OK


def _faced(problem: Problem, scenario: str | None) -> Problem:
    """The problem under the file's scenario ``scenario``, or as written."""
    return problem if scenario is None else disrupted(problem, scenario)


def _solve(args: argparse.Namespace) -> int:
    from optiree.solve import solve

    problem = _load(args.file)
    _refuse_taken_results(args)
    _refuse_taken(args, args.lp, args.mps)
    if args.scenario == ALL_SCENARIOS:
        return _solve_all(args, problem)
    faced = _faced(problem, args.scenario)
    _write_model(args, faced)
    result = solve(faced, solver=args.solver, time_limit=args.time_limit, log=args.verbose)
    # The files first, the words after: a reader that goes away (`| head`) loses no file.
    written = _write_solved(args, problem, result) if args.out is not None else []
    if isinstance(written, int):
        return written
    _summary(args, result.summary())
    if not args.quiet:
        _explain(args, faced, result)
    for line in written:
        _tell(args, line)
    return _exit(result.is_optimal)


def _explain(args: argparse.Namespace, faced: Problem, result: Result) -> None:
    """After the plan: what its prices say, or why there is none (an infeasible problem)."""
    from optiree.diagnose import diagnose
    from optiree.results import Status
    from optiree.sensitivity import has_duals, sensitivity

    if result.is_optimal and not has_duals(result):
        _say(no_duals_words(result.solver), end="")
    elif result.is_optimal:
        _say("\n" + sensitivity(result).summary(), end="")
    elif result.status == Status.INFEASIBLE:
        _say("\n" + diagnose(faced, solver=args.solver, log=args.verbose).summary(), end="")


def _write_solved(args: argparse.Namespace, problem: Problem, result: Result) -> int | list[str]:
    """Write the tables and, for a plan, its figures into ``--out``, as one set published at
    once: what to say of it when that went well (figures left out for want of matplotlib are
    only a note), else the exit code."""
    from optiree.files import write_tables
    from optiree.plots import figure_files
    from optiree.results import summary_document

    if is_workbook(args.out):
        return _write_workbook(args, result)
    figures: dict[str, bytes] = {}
    notes = []
    try:
        figures = figure_files(result, problem) if result.is_optimal else {}
    except MissingDependencyError as error:
        notes.append(f"note: no figures written: {error}")
    try:
        written = write_tables(
            args.out,
            result.tables(),
            summary_document(result),
            overwrite=args.force,
            extra=figures,
        )
    except OutputError as error:
        return _failed(error)
    lines = [f"Results written to {written}"]
    if figures:
        lines.append(f"Figures written: {', '.join(figures)}")
    return lines + notes


def _write_workbook(args: argparse.Namespace, result: Result) -> int | list[str]:
    """Write the results workbook ``--out``: what to say of it, else the exit code."""
    try:
        written = result.write(args.out, overwrite=args.force)
    except OutputError as error:
        return _failed(error)
    return [f"Results written to {written}"]


def _need_openpyxl() -> None:
    """Stop (exit 1) before any work when openpyxl, which workbooks need, is missing."""
    from optiree.files import openpyxl_module

    _require(openpyxl_module)


def _require(check: Callable[[], object], flag: str | None = None) -> None:
    """Stop (exit 1, as for any missing extra) before any work when ``check`` finds an
    optional package missing; the message names ``flag`` where one asks for the package."""
    try:
        check()
    except MissingDependencyError as error:
        why = f"error: {error}" if flag is None else needs_flag(flag, str(error))
        raise _Stop(EXIT_NOT_SOLVED, why) from None


def _template(args: argparse.Namespace) -> int:
    """``optiree template FILE.xlsx [--from FILE]``: a problem workbook, blank or filled."""
    from optiree.workbook import write_template

    if not is_workbook(args.file):
        raise _Stop(EXIT_INVALID, f"error: {args.file}: give a file ending in .xlsx")
    _refuse_taken(args, args.file)
    _need_openpyxl()
    problem = _load(args.source) if args.source is not None else None
    try:
        written = write_template(args.file, problem, overwrite=args.force)
    except OutputError as error:
        return _failed(error)
    filled = f"filled from {args.source}" if problem is not None else "blank"
    _say(f"Workbook written to {written} ({filled})")
    return EXIT_OK


def _template_command(commands: Commands) -> None:
    template_cmd = commands.add_parser(
        "template", help="write a problem workbook (.xlsx), blank or filled from a problem file"
    )
    template_cmd.add_argument("file", type=Path, help="the workbook to write (.xlsx)")
    template_cmd.add_argument(
        "--from", dest="source", type=Path, metavar="FILE", help="fill it from this problem file"
    )
    template_cmd.add_argument(
        "--force", action="store_true", help="replace the workbook if it exists"
    )
    template_cmd.set_defaults(run=_template)


def _solve_all(args: argparse.Namespace, problem: Problem) -> int:
    """``solve --scenario all``: every scenario of the file beside no disruption, a row each."""
    from optiree.disruption.sweep import sweep

    _refuse_all(args, problem)
    scenarios = [Scenario(name=NO_DISRUPTION)]
    scenarios += [s.derive(probability=None) for s in problem.scenarios]
    swept = sweep(problem, scenarios, executor="serial", solver=args.solver, progress=False)
    _tell(
        args,
        f"{problem.name}: each scenario of {args.file} planned with foresight (solver: "
        f"{args.solver}); '{NO_DISRUPTION}' is the file with no disruption",
    )
    _say(swept.side_by_side(), end="")  # the table is the essentials, even with --quiet
    return _exit(swept.all_optimal)


def _refuse_all(args: argparse.Namespace, problem: Problem) -> None:
    """Stop (exit 2) when ``solve --scenario all`` cannot run on this file with these
    options."""
    if not problem.scenarios:
        raise _Stop(EXIT_INVALID, f"error: --scenario all: {args.file} has no scenarios")
    if any(s.name == NO_DISRUPTION for s in problem.scenarios):
        raise _Stop(
            EXIT_INVALID,
            f"error: --scenario all: a scenario of {args.file} is called {NO_DISRUPTION!r}, "
            "the name of the row without disruption: rename it",
        )
    if args.out is not None:
        raise _Stop(
            EXIT_INVALID, "error: --scenario all writes no --out folder: solve one scenario"
        )


def _report(args: argparse.Namespace) -> int:
    from optiree.html import write_report
    from optiree.sensitivity import has_duals, sensitivity
    from optiree.solve import solve

    problem = _load(args.file)
    _refuse_taken(args, args.out)
    _require_plots("report")
    faced = _faced(problem, args.scenario)
    _report_needs(args)
    result = solve(faced, solver=args.solver, log=args.verbose)
    curve = tables = None
    if result.is_optimal and has_duals(result):
        tables = sensitivity(result).tables()
        curve = _report_frontier(args, faced)
    path = write_report(
        faced, result, args.out, frontier=curve, sensitivity=tables, overwrite=args.force
    )
    _say(str(headline(result)))
    _tell(args, f"Report written to {path}")
    return _exit(result.is_optimal)


def _report_needs(args: argparse.Namespace) -> None:
    """Refuse, before any solve, a ``--country`` frontier the solver cannot trace."""
    from optiree.solvers import require

    if args.country is not None:
        require(args.solver, "duals", "a frontier (--country)")


def _report_frontier(args: argparse.Namespace, faced: Problem) -> Frontier | None:
    """The frontier of ``--country``'s largest share, when asked for."""
    from optiree.frontier import frontier

    if args.country is None:
        return None
    return frontier(faced, args.country, solver=args.solver, log=args.verbose)


def _frontier(args: argparse.Namespace) -> int:
    from optiree.frontier import frontier

    problem = _load(args.file)
    if args.scenario is not None:
        _known_scenario(args, problem, args.scenario)
    _check_frontier_options(args, problem)
    _refuse_taken(args, args.out, args.plot)
    with _progress(args, "frontier"):
        curve = frontier(
            _faced(problem, args.scenario),
            args.country,
            args.rule,
            material=args.material,
            investor=args.investor,
            group=args.group,
            stage=args.stage,
            measure=args.measure,
            points=args.points,
            solver=args.solver,
            time_limit=args.time_limit,
            log=args.verbose,
        )
    written = _write_frontier(args, curve)  # the files first: see _solve
    if isinstance(written, int):
        return written
    _summary(args, curve.summary())
    for line in written:
        _tell(args, line)
    return EXIT_OK


def _write_frontier(args: argparse.Namespace, curve: Frontier) -> int | list[str]:
    """Write the frontier to ``--out`` (CSV) and draw it in ``--plot`` (PNG), as asked: what
    to say of it, else the exit code."""
    from optiree.files import write_atomic, write_table
    from optiree.plots import frontier_curve, png

    lines = []
    try:
        if args.out is not None:
            written = write_table(curve.table, args.out, overwrite=args.force)
            lines.append(f"Frontier written to {written}")
        if args.plot is not None:
            figure = png(frontier_curve(curve.table, curve.currency))
            write_atomic(args.plot, figure, "the figure", overwrite=args.force)
            lines.append(f"Figure written to {args.plot}")
    except (MissingDependencyError, OutputError) as error:
        return _failed(error)
    return lines


def _sweep_scenarios(args: argparse.Namespace, problem: Problem) -> tuple[list[Scenario], str]:
    """The scenarios to sweep, and where they come from, in words.

    Raises:
        ArgumentError: ``--out`` or ``--dask`` does not fit, or there is nothing to sweep.
    """
    from optiree.disruption.sweep import random_scenarios

    _check_sweep_options(args)
    if args.scenarios is None:
        if args.price_move:
            raise ArgumentError("--price-move moves the prices of random draws: give --scenarios N")
        if not problem.scenarios:
            raise ArgumentError(
                f"{args.file} has no scenarios: give --scenarios N to draw N at random"
            )
        return problem.scenarios, f"the scenarios of {args.file}"
    materials = args.materials.split(",") if args.materials is not None else None
    scenarios = random_scenarios(
        problem,
        args.scenarios,
        seed=args.seed,
        country=args.country,
        materials=materials,
        price_moves=_price_moves(args),
    )
    moved = f", prices moved ({', '.join(args.price_move)})" if args.price_move else ""
    return scenarios, f"random disruptions by {args.country}, seed {args.seed}{moved}"


def _check_sweep_options(args: argparse.Namespace) -> None:
    from optiree.disruption.sweep import SCHEDULER_ADDRESS, TABLE_SUFFIXES

    if args.out is not None and args.out.suffix.lower() not in TABLE_SUFFIXES:
        raise ArgumentError(f"--out {args.out}: give a file ending in .csv or .parquet")
    if args.dask not in (None, "local") and not SCHEDULER_ADDRESS.fullmatch(args.dask):
        raise ArgumentError(
            f"--dask {args.dask}: give 'local' or a scheduler's address such as tcp://host:8786"
        )


def _sweep(args: argparse.Namespace) -> int:
    problem = _load(args.file)
    try:
        scenarios, origin = _sweep_scenarios(args, problem)
    except OptireeError as error:
        raise _Stop(EXIT_INVALID, f"error: {error}") from None
    _refuse_taken_table(args)
    swept = _swept(args, problem, scenarios, origin)
    return _exit(swept.all_optimal)


def _swept(
    args: argparse.Namespace, problem: Problem, scenarios: list[Scenario], origin: str
) -> Sweep:
    """Sweep ``scenarios``, print the summary and write the table to ``--out``, if given."""
    from optiree.disruption.sweep import sweep, write_sweep
    from optiree.disruption.sweep.table import with_price_factors

    asked = _executor(args)
    executor = asked or _default(scenarios)
    swept = sweep(
        problem, scenarios, executor=executor, solver=args.solver, progress=not args.quiet
    )
    if args.price_move:
        swept = with_price_factors(swept, scenarios)
    # the file first: see _solve
    written = write_sweep(swept.table, args.out, overwrite=args.force) if args.out else None
    _tell(args, f"{problem.name}: sweep of {origin} (solver: {args.solver})")
    if asked is None:
        _tell(args, _default_words(executor, scenarios))
    _summary(args, swept.summary())
    if written is not None:
        _tell(args, f"Table written to {written}")
    return swept


def _executor(args: argparse.Namespace) -> str | None:
    """Where ``optiree sweep`` runs: "serial", "dask" (a local cluster), a scheduler's address,
    or None (sweep's default)."""
    if args.serial:
        return "serial"
    return "dask" if args.dask == "local" else args.dask


def _solver_name(name: str) -> str:
    """``--solver``: "highs", "cbc" or any solver PuLP knows (:mod:`optiree.solvers`); any other
    than the pair is checked here, before any work, so that an unknown or missing one is a usage
    error naming the flag. The default pair loads no solver when the parser is built."""
    if name in ("highs", "cbc"):
        return name
    from optiree.solvers import check

    try:
        check(name)
    except SolverError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return name


def _default(scenarios: list[Scenario]) -> str:
    """The executor a sweep of ``scenarios`` runs on when none is asked for."""
    from optiree.disruption.sweep.executors import default_executor, machine_cpus

    return default_executor(machine_cpus(), len(scenarios))


def _default_words(executor: str, scenarios: list[Scenario]) -> str:
    """The executor the sweep ran on without one asked for, and the rule that chose it."""
    from optiree.disruption.sweep.executors import machine_cpus, processes_from

    cpus = machine_cpus()
    return default_executor_words(executor, len(scenarios), cpus, processes_from(cpus))


def _solver_flag(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--solver",
        default="highs",
        type=_solver_name,
        metavar="NAME",
        help="the solver: highs (default), cbc, or any solver PuLP drives and finds installed "
        "(glpk, scip, gurobi, cplex, xpress, copt, mosek, or PuLP's name such as GLPK_CMD; "
        "see docs/solvers.md)",
    )


def _verbose_flag(command: argparse.ArgumentParser) -> None:
    """``--quiet`` and ``--verbose``, which every command takes (one or the other)."""
    loudness = command.add_mutually_exclusive_group()
    loudness.add_argument(
        "--quiet",
        action="store_true",
        help="print only errors and the essentials (the headline: status and cost); no "
        "progress bar",
    )
    loudness.add_argument(
        "--verbose",
        action="store_true",
        help="print the solver's log as it runs (on stdout, before the results); by default "
        "nothing from the solver is printed",
    )


def parser() -> argparse.ArgumentParser:
    root: argparse.ArgumentParser = _Parser(
        prog="optiree",
        description="Least-cost procurement of critical raw materials under supply risk.",
    )
    root.add_argument("--version", action="version", version=f"optiree {__version__}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (
        _solve_command,
        _frontier_command,
        _report_command,
        _sweep_command,
        _template_command,
    ):
        add(commands)
    for add in (_stress_command, _stochastic_command, _diagnose_command, _apply_command):
        add(commands)
    _simulate_command(commands)
    _episodes_command(commands)
    validate_cmd = commands.add_parser("validate", help="check a problem file without solving")
    validate_cmd.add_argument("file", type=Path)
    _verbose_flag(validate_cmd)
    validate_cmd.set_defaults(run=_validate)
    return root


MOVED_HELP = "with FILE: the other countries' prices move as in the episode, where catalogued"


def _episodes_command(commands: Commands) -> None:
    episodes_cmd = commands.add_parser(
        "episodes",
        help="list past export-control episodes, or plan a file under each from a period",
    )
    episodes_cmd.add_argument("file", type=Path, nargs="?", help="problem file to plan")
    episodes_cmd.add_argument("--start", metavar="PERIOD", help="with FILE: the first period")
    episodes_cmd.add_argument("--prices", action="store_true", help=MOVED_HELP)
    _solver_flag(episodes_cmd)
    _verbose_flag(episodes_cmd)
    episodes_cmd.set_defaults(run=_episodes)


def _episodes(args: argparse.Namespace) -> int:
    """``episodes``: the catalogue; with FILE, each episode that fits it beside no disruption."""
    from optiree.disruption.episodes import episodes

    if args.file is None:
        if args.start is not None or args.prices:
            raise _Stop(EXIT_INVALID, "error: --start and --prices need a problem FILE")
        every = episodes()
        table = every[["name", "start", "end", "target", "materials", "severity"]]
        table = table.assign(price=every.price_factor).astype(object).fillna("")
        _say(episodes_words(table.to_string(index=False)))
        return EXIT_OK
    problem = _load(args.file)
    if args.start is None:
        raise _Stop(EXIT_INVALID, "error: give --start PERIOD, the period each episode starts in")
    return _episodes_solved(args, problem)


def _episodes_solved(args: argparse.Namespace, problem: Problem) -> int:
    """Each episode that fits ``problem``, from ``--start``, side by side with none."""
    from optiree.disruption.episodes import catalogue, episode
    from optiree.disruption.sweep import sweep

    scenarios, left_out = [Scenario(name=NO_DISRUPTION)], []
    for known in catalogue().episodes:
        try:
            scenarios.append(episode(problem, known.name, start=args.start, prices=args.prices))
        except ScenarioError:
            left_out.append(known.name)
    swept = sweep(problem, scenarios, executor="serial", solver=args.solver, progress=False)
    _tell(args, episodes_solved_words(problem.name, args.start, args.prices, left_out))
    _say(swept.side_by_side(), end="")
    return _exit(swept.all_optimal)


def _solve_command(commands: Commands) -> None:
    solve_cmd = commands.add_parser("solve", help="solve a problem file and print the plan")
    solve_cmd.add_argument("file", type=Path, help="problem file (.yaml, .yml, .json or .xlsx)")
    _solver_flag(solve_cmd)
    solve_cmd.add_argument(
        "--out",
        type=Path,
        help="folder to write the tables (CSV) and summary.json, or a workbook (.xlsx)",
    )
    solve_cmd.add_argument("--time-limit", type=float, metavar="SECONDS")
    solve_cmd.add_argument(
        "--scenario",
        metavar="NAME",
        help=f"plan under the file's scenario NAME (every material may go short, the stock "
        f"may be drawn); '{NO_DISRUPTION}': the same terms with no disruption; "
        f"'{ALL_SCENARIOS}': one row per scenario, side by side",
    )
    solve_cmd.add_argument(
        "--lp", type=Path, metavar="FILE.lp", help="also write the model as an LP file"
    )
    solve_cmd.add_argument(
        "--mps", type=Path, metavar="FILE.mps", help="also write the model as a free MPS file"
    )
    solve_cmd.add_argument(
        "--force",
        action="store_true",
        help="replace the results already in the --out folder, and the --lp and --mps files",
    )
    _verbose_flag(solve_cmd)
    solve_cmd.set_defaults(run=_solve)


def _frontier_command(commands: Commands) -> None:
    frontier_cmd = commands.add_parser(
        "frontier", help="least cost as a security rule tightens, with its breakpoints"
    )
    frontier_cmd.add_argument("file", type=Path)
    frontier_cmd.add_argument("--country", default="CN", help="country of the rule (default CN)")
    frontier_cmd.add_argument(
        "--rule", choices=[rule.value for rule in FRONTIER_RULES], default="max_share"
    )
    frontier_cmd.add_argument("--material", help="material of a stock_cover frontier")
    _stage_rule_flags(frontier_cmd)
    frontier_cmd.add_argument(
        "--investor", help="investor whose budget a budget frontier sweeps (default: all)"
    )
    frontier_cmd.add_argument(
        "--scenario", metavar="NAME", help="the frontier under the file's scenario NAME"
    )
    frontier_cmd.add_argument("--points", type=int, help="evenly spaced levels (default 11)")
    _solver_flag(frontier_cmd)
    frontier_cmd.add_argument(
        "--time-limit",
        type=float,
        metavar="SECONDS",
        help="seconds each solve of a MILP's frontier may take (default: no limit)",
    )
    frontier_cmd.add_argument("--out", type=Path, help="CSV file to write the frontier to")
    frontier_cmd.add_argument("--plot", type=Path, help="PNG file to draw the frontier in")
    frontier_cmd.add_argument(
        "--force", action="store_true", help="replace the --out and --plot files if they exist"
    )
    _verbose_flag(frontier_cmd)
    frontier_cmd.set_defaults(run=_frontier)


def _stage_rule_flags(command: argparse.ArgumentParser) -> None:
    """--group, --stage and --measure: whose share, at which stage and in what a stage or
    origin rule sweeps."""
    command.add_argument(
        "--group",
        help="a group of country_groups the rule names instead of --country (any share or "
        "cover rule)",
    )
    command.add_argument(
        "--stage",
        help="the stage of a stage_max_share, stage_min_share or cover_without rule "
        "(default: every stage; for cover_without: counted by source)",
    )
    command.add_argument(
        "--measure",
        choices=["tonnes", "value"],
        default="tonnes",
        help="what a stage or origin rule's share counts (default: tonnes)",
    )


def _report_command(commands: Commands) -> None:
    report_cmd = commands.add_parser(
        "report", help="solve and write one self-contained HTML page with tables and figures"
    )
    report_cmd.add_argument("file", type=Path)
    report_cmd.add_argument("--out", type=Path, required=True, help="the HTML file to write")
    report_cmd.add_argument(
        "--country", help="add the frontier of this country's largest share (e.g. CN)"
    )
    report_cmd.add_argument(
        "--scenario",
        metavar="NAME",
        help=f"report the plan under the file's scenario NAME ('{NO_DISRUPTION}': the same "
        "terms without disruption)",
    )
    _solver_flag(report_cmd)
    report_cmd.add_argument(
        "--force", action="store_true", help="replace the --out file if it exists"
    )
    _verbose_flag(report_cmd)
    report_cmd.set_defaults(run=_report)


def _draw_flags(command: argparse.ArgumentParser) -> None:
    """``--scenarios N``, ``--seed`` and ``--country``: random disruptions instead of the
    file's scenarios (``sweep`` and ``stochastic``)."""
    command.add_argument(
        "--scenarios",
        type=int,
        metavar="N",
        help="draw N random disruptions (default: the file's own scenarios)",
    )
    command.add_argument("--seed", type=int, default=0, help="seed of the draws (default 0)")
    command.add_argument(
        "--country", default="CN", help="country whose supply is disrupted (default CN)"
    )
    command.add_argument(
        "--price-move",
        action="append",
        metavar="SOURCE=LOW:HIGH",
        help="with --scenarios: a disruption multiplies SOURCE's prices (or every other "
        "country's: others) by 1 + cut x (u - 1), u drawn in LOW..HIGH; repeat for more",
    )


def _price_moves(args: argparse.Namespace) -> dict[str, tuple[float, float]] | None:
    """``--price-move SOURCE=LOW:HIGH`` (repeated) as ``random_scenarios``' ``price_moves``.

    Raises:
        ArgumentError: an entry is not SOURCE=LOW:HIGH with two numbers.
    """
    if not args.price_move:
        return None
    moves = {}
    for entry in args.price_move:
        key, _, span = entry.partition("=")
        low, _, high = span.partition(":")
        try:
            moves[key] = (float(low), float(high))
        except ValueError:
            raise ArgumentError(
                f"--price-move {entry}: give SOURCE=LOW:HIGH, e.g. others=1.0:1.6"
            ) from None
    return moves


def _where_flags(command: argparse.ArgumentParser) -> None:
    """``--dask ADDRESS`` or ``--serial``: where a sweep or a simulation runs."""
    where = command.add_mutually_exclusive_group()
    where.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run on dask: 'local' for a cluster on this machine, or a scheduler's address "
        "(tcp://host:8786)",
    )
    where.add_argument("--serial", action="store_true", help="run in this process")


def _table_out_flags(command: argparse.ArgumentParser, what: str) -> None:
    """``--out`` (a CSV or Parquet file of ``what``) and ``--force``."""
    command.add_argument(
        "--out", type=Path, help=f"file to write {what} to: .csv, or .parquet (pyarrow)"
    )
    command.add_argument("--force", action="store_true", help="replace the --out file if it exists")


def _sweep_command(commands: Commands) -> None:
    sweep_cmd = commands.add_parser(
        "sweep", help="solve many disruption scenarios, one plan each, and tabulate them"
    )
    sweep_cmd.add_argument("file", type=Path)
    _draw_flags(sweep_cmd)
    sweep_cmd.add_argument(
        "--materials", help="materials the draws choose from, e.g. Dy,Tb (default all)"
    )
    _where_flags(sweep_cmd)
    _solver_flag(sweep_cmd)
    _table_out_flags(sweep_cmd, "the table")
    _verbose_flag(sweep_cmd)
    sweep_cmd.set_defaults(run=_sweep)


# --- every analysis on the command line: stress, stochastic, diagnose, apply, the LP file ---


def _write_model(args: argparse.Namespace, faced: Problem) -> None:
    """Write the model of ``faced`` to ``--lp`` and ``--mps``, as asked (before solving, so
    that a model without a plan can be read too).

    Raises:
        OutputError: a file could not be written.
    """
    from optiree.files import write_atomic

    for kind, path in (("LP", args.lp), ("MPS", args.mps)):
        if path is not None:
            write_atomic(path, _model_bytes(faced, kind), f"the {kind} file", overwrite=args.force)
            _tell(args, model_written(kind, path))


def _model_bytes(faced: Problem, kind: str) -> bytes:
    """The model of ``faced`` as PuLP writes it, an LP or a free MPS file, in bytes."""
    import tempfile

    from optiree.model import build
    from optiree.prepare import prepare

    lp = build(prepare(faced)).lp
    with tempfile.TemporaryDirectory(prefix="optiree-") as folder:
        written = Path(folder) / f"model.{kind.lower()}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PuLP's notes on long names: the file is right
            if kind == "LP":
                lp.writeLP(str(written))
            else:
                lp.writeMPS(str(written))
        return written.read_bytes()


def _check_frontier_options(args: argparse.Namespace, problem: Problem) -> None:
    """Stop, naming the flag, before any solve when the options cannot work: a
    ``stock_cover`` frontier without ``--material`` (exit 2), a ``--plot`` without matplotlib
    (exit 1)."""
    from optiree.rules import Rule

    if args.rule == Rule.STOCK_COVER.value and args.material is None:
        known = ", ".join(problem.material_ids)
        why = f"--rule stock_cover needs the material whose stock is covered, one of: {known}"
        raise _Stop(EXIT_INVALID, needs_flag("--material", why))
    _check_budget_options(args, problem)
    if args.plot is not None:
        _require_plots("--plot")


def _check_budget_options(args: argparse.Namespace, problem: Problem) -> None:
    """Stop (exit 2), naming the flag, on an ``--investor`` without ``--rule budget``, an
    unknown investor, or a budget frontier of a problem without investment options."""
    from optiree.frontier import check_investor
    from optiree.rules import Rule

    if args.rule != Rule.BUDGET.value:
        if args.investor is not None:
            why = "only a --rule budget frontier sweeps an investor's budget"
            raise _Stop(EXIT_INVALID, needs_flag("--investor", why))
        return
    try:
        check_investor(problem, args.investor)
    except ArgumentError as error:
        flag = "--investor" if problem.investments else "--rule budget"
        raise _Stop(EXIT_INVALID, needs_flag(flag, str(error))) from None


def _require_plots(flag: str) -> None:
    """Stop (exit 1) before any solve when ``flag`` needs figures and matplotlib is missing."""
    from optiree.plots import require_matplotlib

    _require(require_matplotlib, flag)


def _stress(args: argparse.Namespace) -> int:
    from optiree.solve import solve

    problem = _load(args.file)
    if args.scenario != ALL_SCENARIOS:
        _known_scenario(args, problem, args.scenario)
    with _progress(args, "stress"):
        plan = solve(problem, solver=args.solver, log=args.verbose)
        if not plan.is_optimal:
            _say(plan.summary(), end="")
            return _exit(False)
        tested = _stressed(args, problem, plan)
    if args.scenario == ALL_SCENARIOS:
        _say(stress_all_words(problem.name, args.commit, args.solver))
        _say(tested.summary(), end="")  # the table is the essentials, even with --quiet
    else:
        _summary(args, tested.summary())
    return _exit(_all_optimal(tested))


def _stressed(
    args: argparse.Namespace, problem: Problem, plan: Result
) -> StressResult | StressTable:
    """The plan stress-tested under ``--scenario``, or under each of the file's (``all``)."""
    from optiree.disruption.stress import stress_table, stress_test

    if args.scenario == ALL_SCENARIOS:
        names = [s.name for s in problem.scenarios]
        if not names:
            raise _Stop(EXIT_INVALID, needs_flag("--scenario all", f"{args.file} has none"))
        plans = {"plan": plan}
        return stress_table(
            problem, plans, names, args.commit, solver=args.solver, log=args.verbose
        )
    return stress_test(
        problem, plan, args.scenario, args.commit, solver=args.solver, log=args.verbose
    )


def _all_optimal(tested: StressResult | StressTable) -> bool:
    from optiree.disruption.stress import StressResult
    from optiree.results import Status

    if isinstance(tested, StressResult):
        return tested.status is Status.OPTIMAL
    return bool((tested.table["status"] == Status.OPTIMAL.value).all())


def _known_scenario(args: argparse.Namespace, problem: Problem, name: str) -> None:
    """Stop (exit 2, naming ``--scenario``) when the file has no scenario ``name``."""
    known = [s.name for s in problem.scenarios]
    if name not in known:
        listed = ", ".join(known) or "none"
        raise _Stop(
            EXIT_INVALID, needs_flag(f"--scenario {name}", f"not in {args.file} ({listed})")
        )


def _stochastic(args: argparse.Namespace) -> int:
    from optiree.disruption.stochastic import solve_stochastic

    problem = _load(args.file)
    if args.tree is not None:
        return _stochastic_tree(args, problem)
    scenarios = None
    _check_stochastic_flags(args)
    if args.scenarios is not None:
        scenarios = _drawn(args, problem)
    elif not problem.scenarios:
        raise ArgumentError(f"{args.file} has no scenarios: give --scenarios N")
    if args.decompose is not None:
        return _decomposed(args, problem, scenarios)
    with _progress(args, "stochastic"):
        result = solve_stochastic(
            problem,
            scenarios,
            commit_periods=args.commit,
            solver=args.solver,
            log=args.verbose,
        )
    _summary(args, result.summary())
    if args.score is None or not result.is_optimal:
        return _exit(result.is_optimal)
    return _scored(args, problem, result)


def _check_stochastic_flags(args: argparse.Namespace) -> None:
    """``--score``, ``--price-move`` and ``--decompose`` as they go together.

    Raises:
        ArgumentError: a flag does not fit (named).
    """
    if args.score is not None and args.score < 2:
        raise ArgumentError(f"--score {args.score}: give at least 2 fresh scenarios")
    if args.price_move and args.scenarios is None and args.score is None:
        raise ArgumentError("--price-move moves the prices of random draws: give --scenarios N")
    _check_decompose_flags(args)


def _check_decompose_flags(args: argparse.Namespace) -> None:
    """``--decompose`` and ``--processes`` (raises ArgumentError, named)."""
    if args.decompose is None:
        if args.processes is not None:
            raise ArgumentError("--processes runs --decompose: give --decompose ph or lshaped")
        return
    if args.processes is not None and (args.processes < 2 or args.processes % 2):
        raise ArgumentError(
            f"--processes {args.processes}: give a multiple of 2 (a hub and a spoke each)"
        )
    if args.score is not None:
        raise ArgumentError("--score prices the extensive form's first stage: drop --decompose")
    if args.solver != "highs":
        raise ArgumentError(
            f"--decompose solves with HiGHS through Pyomo: drop --solver {args.solver}"
        )


def _decomposed(
    args: argparse.Namespace, problem: Problem, scenarios: list[Scenario] | None
) -> int:
    """``stochastic --decompose METHOD``: mpi-sppy's bounds on ``--processes`` MPI processes."""
    from optiree.disruption.stochastic.decompose import solve_decomposed

    with _progress(args, f"mpi-sppy ({args.decompose})"):
        result = solve_decomposed(
            problem,
            scenarios,
            processes=2 if args.processes is None else args.processes,
            method=args.decompose,
            commit_periods=args.commit,
        )
    _summary(args, result.summary())
    return _exit(math.isfinite(result.gap))


def _stochastic_tree(args: argparse.Namespace, problem: Problem) -> int:
    """``stochastic --tree FILE``: the tree's nodes in place of drawn or named scenarios."""
    from optiree.disruption.stochastic import load_tree, solve_stochastic

    given = [flag for flag, value in _NOT_WITH_TREE.items() if getattr(args, value)]
    if args.commit != 1:
        given.append("--commit")
    if given:
        raise _Stop(
            EXIT_INVALID,
            f"error: --tree decides at each node of the tree: drop {', '.join(given)} (a tree "
            "names its own scenarios and the periods they are known from)",
        )
    tree = _read_input(args.tree, "tree", load_tree)
    try:
        with _progress(args, "stochastic"):
            result = solve_stochastic(problem, tree=tree, solver=args.solver, log=args.verbose)
    except ValidationError as error:
        raise _Stop(EXIT_INVALID, format_validation_error(error, args.tree, "tree")) from None
    _summary(args, result.summary())
    return _exit(result.is_optimal)


_NOT_WITH_TREE = {
    "--scenarios": "scenarios",
    "--score": "score",
    "--price-move": "price_move",
    "--decompose": "decompose",
}
"""The flags of drawn scenarios, which a tree replaces (flag: its attribute)."""


def _scored(args: argparse.Namespace, problem: Problem, result: StochasticResult) -> int:
    """``stochastic --score N``: the first stage priced on N fresh draws (``--score-seed``,
    default ``--seed`` + 1)."""
    from optiree.disruption.stochastic import out_of_sample
    from optiree.disruption.sweep import random_scenarios

    seed = args.seed + 1 if args.score_seed is None else args.score_seed
    fresh = random_scenarios(
        problem,
        args.score,
        seed=seed,
        country=args.country,
        price_moves=_price_moves(args),
    )
    with _progress(args, "out of sample"):
        scored = out_of_sample(problem, result, fresh, solver=args.solver, log=args.verbose)
    _say("")
    _summary(args, scored.summary())
    return EXIT_OK


def _drawn(args: argparse.Namespace, problem: Problem) -> list[Scenario]:
    """``--scenarios N`` random disruptions by ``--country``, drawn with ``--seed``."""
    from optiree.disruption.sweep import random_scenarios

    if args.scenarios < 1:
        raise ArgumentError(f"--scenarios {args.scenarios}: give at least 1")
    return random_scenarios(
        problem,
        args.scenarios,
        seed=args.seed,
        country=args.country,
        price_moves=_price_moves(args),
    )


def _diagnose(args: argparse.Namespace) -> int:
    from optiree.diagnose import diagnose

    problem = _load(args.file)
    if args.scenario not in (None, NO_DISRUPTION):
        _known_scenario(args, problem, args.scenario)
    faced = _faced(problem, args.scenario)
    with _progress(args, "diagnose"):
        found = diagnose(faced, solver=args.solver, method=args.method, log=args.verbose)
    _summary(args, found.summary())
    return EXIT_OK


def _apply(args: argparse.Namespace) -> int:
    from optiree.files import write_atomic
    from optiree.io import problem_yaml

    problem = _load(args.file)
    if args.scenario != NO_DISRUPTION:
        _known_scenario(args, problem, args.scenario)
    _refuse_taken(args, args.out)
    faced = disrupted(problem, args.scenario)
    write_atomic(args.out, problem_yaml(faced), "the problem", overwrite=args.force)
    _say(applied_words(faced.name, args.scenario, args.out))
    return EXIT_OK


def _commit_flag(command: argparse.ArgumentParser, meaning: str) -> None:
    command.add_argument(
        "--commit", type=int, default=1, metavar="N", help=f"{meaning} (default 1)"
    )


def _solved_by(command: argparse.ArgumentParser, run: Callable[[argparse.Namespace], int]) -> None:
    """The end of an analysis's parser: ``--solver``, ``--quiet``/``--verbose``, and the
    function that runs it."""
    _solver_flag(command)
    _verbose_flag(command)
    command.set_defaults(run=run)


def _stress_command(commands: Commands) -> None:
    stress_cmd = commands.add_parser(
        "stress", help="keep a plan's first periods and re-plan the rest under a scenario"
    )
    stress_cmd.add_argument("file", type=Path)
    stress_cmd.add_argument(
        "--scenario",
        metavar="NAME",
        required=True,
        help=f"the file's scenario to stress the plan with; '{ALL_SCENARIOS}': each, one row "
        "per scenario",
    )
    _commit_flag(stress_cmd, "periods already carried out")
    _solved_by(stress_cmd, _stress)


def _stochastic_command(commands: Commands) -> None:
    stochastic_cmd = commands.add_parser(
        "stochastic", help="two-stage plan: commit the first periods now, adapt after"
    )
    stochastic_cmd.add_argument("file", type=Path)
    _draw_flags(stochastic_cmd)
    _commit_flag(stochastic_cmd, "periods decided now")
    stochastic_cmd.add_argument(
        "--decompose",
        choices=["ph", "lshaped"],
        help="bound the optimum with mpi-sppy on MPI processes instead of one extensive form "
        "(progressive hedging or L-shaped; the mpi extra and mpiexec)",
    )
    stochastic_cmd.add_argument(
        "--processes",
        type=int,
        metavar="N",
        help="with --decompose: MPI processes, a multiple of 2 (default 2)",
    )
    stochastic_cmd.add_argument(
        "--tree",
        type=Path,
        metavar="TREE",
        help="a scenario tree file (YAML or JSON: nodes), decided node by node",
    )
    stochastic_cmd.add_argument(
        "--score",
        type=int,
        metavar="N",
        help="then price the first stage on N fresh random disruptions, with a 95%% interval",
    )
    stochastic_cmd.add_argument(
        "--score-seed",
        type=int,
        metavar="SEED",
        help="seed of the fresh draws (default: --seed + 1)",
    )
    _solved_by(stochastic_cmd, _stochastic)


def _diagnose_command(commands: Commands) -> None:
    diagnose_cmd = commands.add_parser(
        "diagnose", help="what has to give, and by how much, for a problem to have a plan"
    )
    diagnose_cmd.add_argument("file", type=Path)
    diagnose_cmd.add_argument(
        "--scenario", metavar="NAME", help="diagnose the problem under the file's scenario NAME"
    )
    diagnose_cmd.add_argument(
        "--method",
        choices=["priority", "tonnes"],
        default="priority",
        help="priority (default): demand gives last, then caps, then rules; tonnes: the "
        "fewest tonnes",
    )
    _solved_by(diagnose_cmd, _diagnose)


def _apply_command(commands: Commands) -> None:
    apply_cmd = commands.add_parser(
        "apply", help="write the problem under a scenario as a YAML problem file"
    )
    apply_cmd.add_argument("file", type=Path)
    apply_cmd.add_argument(
        "--scenario",
        metavar="NAME",
        required=True,
        help=f"the file's scenario to apply ('{NO_DISRUPTION}': the same terms, no disruption)",
    )
    apply_cmd.add_argument(
        "--out", type=Path, required=True, metavar="FILE.yaml", help="the YAML file to write"
    )
    apply_cmd.add_argument(
        "--force", action="store_true", help="replace the --out file if it exists"
    )
    _verbose_flag(apply_cmd)
    apply_cmd.set_defaults(run=_apply)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command ``argv`` (default: the process's arguments); its exit code.

    When the reader of the output goes away first (``optiree solve FILE | head``), the command
    stops at the first write that fails and returns 141 (:data:`EXIT_PIPE_CLOSED`) without a
    word; stdout and stderr then lead to ``os.devnull``, so that the interpreter's last flush
    at exit fails neither.
    """
    try:
        code = _command(argv)
        sys.stdout.flush()  # here, so that a reader gone shows now and not at the exit
    except BrokenPipeError:
        _silence_output()
        return EXIT_PIPE_CLOSED
    return code


def _command(argv: Sequence[str] | None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit:
        sys.stdout.flush()  # --help or --version into a closed pipe ends as any command
        raise
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return int(args.run(args))
        except _Stop as stop:
            if stop.message is not None:
                _say(stop.message, err=True)
            return stop.code
        except OptireeError as error:  # the command could not do what was asked
            return _failed(error)


def _show_warning(  # noqa: PLR0917  # the signature of warnings.showwarning
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,  # not used: always stderr
    line: str | None = None,
) -> None:
    """Show a warning as Python does, on stderr, but with its control characters escaped (a
    library's warning may quote the problem's text, such as matplotlib's about a glyph)."""
    _say(warnings.formatwarning(message, category, filename, lineno, line), end="", err=True)


def _silence_output() -> None:
    """Lead stdout and stderr to ``os.devnull``: nothing more reaches a reader gone away, and
    the text still buffered is dropped quietly at the interpreter's exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # no descriptor: a test's capture
            os.dup2(devnull, stream.fileno())
    os.close(devnull)


# --- simulate ---


def _simulate_command(commands: Commands) -> None:
    simulate_cmd = commands.add_parser(
        "simulate",
        help="re-plan period by period along sampled paths of a disruption process, per policy",
    )
    simulate_cmd.add_argument("file", type=Path)
    simulate_cmd.add_argument(
        "--process", type=Path, required=True, help="the process file (YAML or JSON)"
    )
    simulate_cmd.add_argument(
        "--paths",
        default="100",
        metavar="N",
        help="paths to draw (default 100), or 'all' for every path with its probability; "
        "ignored when the process gives its paths",
    )
    simulate_cmd.add_argument("--seed", type=int, default=0, help="seed of the draws (default 0)")
    simulate_cmd.add_argument(
        "--policy",
        action="append",
        metavar="P",
        help="'lp' (the file's own stock targets) or 'stock:N' (N days of every material); "
        "repeat for several (default lp)",
    )
    simulate_cmd.add_argument(
        "--lookahead",
        type=int,
        metavar="K",
        help="periods each plan looks ahead, this one included: its rolling horizon, over "
        "which the present state is believed to last (default: to the horizon's end)",
    )
    _where_flags(simulate_cmd)
    _solver_flag(simulate_cmd)
    _table_out_flags(simulate_cmd, "the per-path table")
    _verbose_flag(simulate_cmd)
    simulate_cmd.set_defaults(run=_simulate)


def _simulate_flags(args: argparse.Namespace) -> tuple[int | str, list[str]]:
    """``--paths`` and ``--policy`` as ``simulate`` takes them; the other flags checked.

    Raises:
        ArgumentError: a flag does not fit (named).
    """
    from optiree.disruption.simulate import ALL
    from optiree.disruption.simulate.replan import policy_of

    _check_sweep_options(args)
    paths: int | str = args.paths
    if args.paths != ALL:
        if not args.paths.isdigit() or int(args.paths) < 1:
            raise ArgumentError(f"--paths {args.paths}: give a whole number from 1, or 'all'")
        paths = int(args.paths)
    if args.lookahead is not None and args.lookahead < 1:
        raise ArgumentError(f"--lookahead {args.lookahead}: give a whole number from 1")
    policies = args.policy or ["lp"]
    for policy in policies:
        policy_of(policy, f"--policy {policy}")
    return paths, policies


def _simulate(args: argparse.Namespace) -> int:
    from optiree.disruption.simulate import load_process, simulate
    from optiree.disruption.sweep import write_sweep

    problem = _load(args.file)
    try:
        paths, policies = _simulate_flags(args)
    except OptireeError as error:
        raise _Stop(EXIT_INVALID, f"error: {error}") from None
    process = _read_input(args.process, "process", load_process)
    _refuse_taken_table(args)
    try:
        simulated = simulate(
            problem,
            process,
            policies,
            paths=paths,
            seed=args.seed,
            lookahead=args.lookahead,
            executor=_executor(args),
            solver=args.solver,
            progress=not args.quiet,
        )
    except ValidationError as error:
        raise _Stop(EXIT_INVALID, format_validation_error(error, args.process, "process")) from None
    _summary(args, simulated.summary())
    if args.out is not None:
        written = write_sweep(simulated.paths, args.out, overwrite=args.force)
        _tell(args, f"Table written to {written}")
    done = simulated.distribution["optimal"] == simulated.distribution["paths"]
    return _exit(bool(done.all()))


if __name__ == "__main__":
    sys.exit(main())
