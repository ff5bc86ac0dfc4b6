"""The ``optiree`` command.

Exit codes: 0 optimal (or valid, for ``validate``); 1 infeasible or not solved, or the output
could not be written; 2 invalid input or usage (the message names the field), including an
output that exists already without ``--force`` (checked before anything is solved).
"""

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from optiree import plots
from optiree.diagnose import diagnose
from optiree.disruption.scenarios import NO_DISRUPTION, disrupted
from optiree.disruption.sweep import (
    SCHEDULER_ADDRESS,
    TABLE_SUFFIXES,
    random_scenarios,
    require_pyarrow,
    sweep,
    write_sweep,
)
from optiree.errors import (
    MissingDependencyError,
    OptireeError,
    OutputError,
    ScenarioError,
    SolverError,
)
from optiree.frontier import frontier
from optiree.html import write_report
from optiree.io import existing_results, load_problem, write_atomic, write_result, write_table
from optiree.report import headline
from optiree.results import TABLES, Status
from optiree.rules import FRONTIER_RULES
from optiree.schema import Problem, Scenario
from optiree.sensitivity import sensitivity
from optiree.solve import SOLVERS, solve
from optiree.version import __version__

EXIT_OK, EXIT_NOT_SOLVED, EXIT_INVALID = 0, 1, 2
ALL_SCENARIOS = "all"


def format_validation_error(error: ValidationError, path: Path) -> str:
    """One line per error: the field path, then what is wrong with it."""
    lines = [f"invalid problem in {path}: {error.error_count()} error(s)"]
    for detail in error.errors(include_url=False):
        where = ".".join(str(part) for part in detail["loc"]) or "(document)"
        lines.append(f"  {where}: {detail['msg']}")
    return "\n".join(lines)


def _load(path: Path) -> Problem | None:
    try:
        return load_problem(path)
    except ValidationError as error:
        print(format_validation_error(error, path), file=sys.stderr)
    except OSError as error:
        print(f"cannot read {path}: {error.strerror or error}", file=sys.stderr)
    return None


def _taken(args: argparse.Namespace, *files: Path | None) -> bool:
    """Whether an output exists and may not be replaced (no ``--force``); if so, say so."""
    if args.force:
        return False
    for path in files:
        if path is not None and os.path.lexists(path):
            print(f"error: {path} already exists: give --force to replace it", file=sys.stderr)
            return True
    return False


def _results_taken(args: argparse.Namespace) -> bool:
    """Whether ``--out`` holds results or figures and may not be replaced; if so, say so."""
    out: Path | None = args.out
    if args.force or out is None:
        return False
    if out.exists() and not out.is_dir():
        print(f"error: --out {out} is a file: give a folder", file=sys.stderr)
        return True
    found = [path.name for path in existing_results(out, TABLES)]
    found += [name for name in plots.FIGURES if out.is_dir() and os.path.lexists(out / name)]
    if found:
        print(
            f"error: {out} already holds results ({', '.join(found[:3])}"
            f"{', ...' if len(found) > 3 else ''}): give --force to replace them",
            file=sys.stderr,
        )
        return True
    return False


def _failed(error: OptireeError) -> int:
    """Say what went wrong; exit 2 when the solver or a scenario could not be used as asked,
    else 1."""
    print(f"error: {error}", file=sys.stderr)
    return EXIT_INVALID if isinstance(error, SolverError | ScenarioError) else EXIT_NOT_SOLVED


def _validate(args: argparse.Namespace) -> int:
    problem = _load(args.file)
    if problem is None:
        return EXIT_INVALID
    print(
        f"{args.file}: valid problem {problem.name!r}: {len(problem.materials)} materials, "
        f"{len(problem.sources)} sources, {len(problem.periods)} periods"
    )
    return EXIT_OK


def _solve(args: argparse.Namespace) -> int:
    problem = _load(args.file)
    if problem is None:
        return EXIT_INVALID
    if _results_taken(args):
        return EXIT_INVALID
    if args.scenario == ALL_SCENARIOS:
        return _solve_all(args, problem)
    try:
        faced = problem if args.scenario is None else disrupted(problem, args.scenario)
        result = solve(faced, solver=args.solver, time_limit=args.time_limit, log=args.verbose)
    except OptireeError as error:
        return _failed(error)
    print(result.summary(), end="")
    if result.is_optimal:
        print("\n" + sensitivity(result).summary(), end="")
    elif result.status == Status.INFEASIBLE:
        print("\n" + diagnose(faced, solver=args.solver, log=args.verbose).summary(), end="")
    if args.out is not None:
        try:
            written = write_result(result, args.out, overwrite=args.force)
            print(f"Results written to {written}")
            if result.is_optimal:
                figures = plots.write_figures(result, problem, args.out, overwrite=args.force)
                print(f"Figures written: {', '.join(path.name for path in figures)}")
        except MissingDependencyError as error:
            print(f"note: no figures written: {error}")
        except OutputError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_NOT_SOLVED
    return EXIT_OK if result.is_optimal else EXIT_NOT_SOLVED


def _solve_all(args: argparse.Namespace, problem: Problem) -> int:
    """``solve --scenario all``: every scenario of the file beside no disruption, a row each."""
    if not problem.scenarios:
        print(f"error: --scenario all: {args.file} has no scenarios", file=sys.stderr)
        return EXIT_INVALID
    if any(s.name == NO_DISRUPTION for s in problem.scenarios):
        print(
            f"error: --scenario all: a scenario of {args.file} is called {NO_DISRUPTION!r}, the "
            "name of the row without disruption: rename it",
            file=sys.stderr,
        )
        return EXIT_INVALID
    if args.out is not None:
        print("error: --scenario all writes no --out folder: solve one scenario", file=sys.stderr)
        return EXIT_INVALID
    scenarios = [Scenario(name=NO_DISRUPTION)]
    scenarios += [s.model_copy(update={"probability": None}) for s in problem.scenarios]
    try:
        swept = sweep(problem, scenarios, executor="serial", solver=args.solver, progress=False)
    except OptireeError as error:
        return _failed(error)
    print(
        f"{problem.name}: each scenario of {args.file} planned with foresight (solver: "
        f"{args.solver}); '{NO_DISRUPTION}' is the file with no disruption"
    )
    print(swept.side_by_side(), end="")
    return EXIT_OK if swept.all_optimal else EXIT_NOT_SOLVED


def _report(args: argparse.Namespace) -> int:
    problem = _load(args.file)
    if problem is None:
        return EXIT_INVALID
    if _taken(args, args.out):
        return EXIT_INVALID
    try:
        faced = problem if args.scenario is None else disrupted(problem, args.scenario)
        result = solve(faced, solver=args.solver, log=args.verbose)
        curve = tables = None
        if result.is_optimal:
            tables = sensitivity(result).tables()
            if args.country is not None:
                curve = frontier(faced, args.country, solver=args.solver, log=args.verbose)
        path = write_report(
            faced, result, args.out, frontier=curve, sensitivity=tables, overwrite=args.force
        )
    except OptireeError as error:
        return _failed(error)
    print(f"{headline(result)}\nReport written to {path}")
    return EXIT_OK if result.is_optimal else EXIT_NOT_SOLVED


def _frontier(args: argparse.Namespace) -> int:
    problem = _load(args.file)
    if problem is None:
        return EXIT_INVALID
    if _taken(args, args.out, args.plot):
        return EXIT_INVALID
    try:
        curve = frontier(
            problem,
            args.country,
            args.rule,
            material=args.material,
            points=args.points,
            solver=args.solver,
            log=args.verbose,
        )
    except OptireeError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_NOT_SOLVED
    print(curve.summary(), end="")
    try:
        if args.out is not None:
            written = write_table(curve.table, args.out, overwrite=args.force)
            print(f"Frontier written to {written}")
        if args.plot is not None:
            figure = plots.png(plots.frontier_curve(curve.table, curve.currency))
            write_atomic(args.plot, figure, "the figure", overwrite=args.force)
            print(f"Figure written to {args.plot}")
    except MissingDependencyError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_NOT_SOLVED
    except OutputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_NOT_SOLVED
    return EXIT_OK


def _sweep_scenarios(args: argparse.Namespace, problem: Problem) -> tuple[list[Scenario], str]:
    """The scenarios to sweep, and where they come from, in words."""
    if args.out is not None and args.out.suffix.lower() not in TABLE_SUFFIXES:
        raise OptireeError(f"--out {args.out}: give a file ending in .csv or .parquet")
    if args.dask not in (None, "local") and not SCHEDULER_ADDRESS.fullmatch(args.dask):
        raise OptireeError(
            f"--dask {args.dask}: give 'local' or a scheduler's address such as tcp://host:8786"
        )
    if args.scenarios is None:
        if not problem.scenarios:
            raise OptireeError(
                f"{args.file} has no scenarios: give --scenarios N to draw N at random"
            )
        return problem.scenarios, f"the scenarios of {args.file}"
    materials = args.materials.split(",") if args.materials is not None else None
    scenarios = random_scenarios(
        problem, args.scenarios, seed=args.seed, country=args.country, materials=materials
    )
    return scenarios, f"random disruptions by {args.country}, seed {args.seed}"


def _sweep(args: argparse.Namespace) -> int:
    problem = _load(args.file)
    if problem is None:
        return EXIT_INVALID
    try:
        scenarios, origin = _sweep_scenarios(args, problem)
    except OptireeError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    if _taken(args, args.out):
        return EXIT_INVALID
    executor = "serial" if args.serial else args.dask
    try:
        if args.out is not None and args.out.suffix.lower() == ".parquet":
            require_pyarrow()  # before the sweep, not after it
        swept = sweep(
            problem,
            scenarios,
            executor="dask" if executor == "local" else executor,
            solver=args.solver,
        )
        print(f"{problem.name}: sweep of {origin} (solver: {args.solver})")
        print(swept.summary(), end="")
        if args.out is not None:
            print(f"Table written to {write_sweep(swept.table, args.out)}")
    except OptireeError as error:
        return _failed(error)
    return EXIT_OK if swept.all_optimal else EXIT_NOT_SOLVED


def _verbose_flag(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--verbose",
        action="store_true",
        help="print the solver's log as it runs (on stdout, before the results); by default "
        "nothing from the solver is printed",
    )


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="optiree",
        description="Least-cost procurement of critical raw materials under supply risk.",
    )
    root.add_argument("--version", action="version", version=f"optiree {__version__}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    solve_cmd = commands.add_parser("solve", help="solve a problem file and print the plan")
    solve_cmd.add_argument("file", type=Path, help="problem file (.yaml, .yml or .json)")
    solve_cmd.add_argument("--solver", choices=list(SOLVERS), default="highs")
    solve_cmd.add_argument(
        "--out", type=Path, help="folder to write the tables (CSV) and summary.json"
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
        "--force", action="store_true", help="replace the results already in the --out folder"
    )
    _verbose_flag(solve_cmd)
    solve_cmd.set_defaults(run=_solve)

    frontier_cmd = commands.add_parser(
        "frontier", help="least cost as a security rule tightens, with its breakpoints"
    )
    frontier_cmd.add_argument("file", type=Path)
    frontier_cmd.add_argument("--country", default="CN", help="country of the rule (default CN)")
    frontier_cmd.add_argument(
        "--rule", choices=[rule.value for rule in FRONTIER_RULES], default="max_share"
    )
    frontier_cmd.add_argument("--material", help="material of a stock_cover frontier")
    frontier_cmd.add_argument("--points", type=int, help="evenly spaced levels (default 11)")
    frontier_cmd.add_argument("--solver", choices=list(SOLVERS), default="highs")
    frontier_cmd.add_argument("--out", type=Path, help="CSV file to write the frontier to")
    frontier_cmd.add_argument("--plot", type=Path, help="PNG file to draw the frontier in")
    frontier_cmd.add_argument(
        "--force", action="store_true", help="replace the --out and --plot files if they exist"
    )
    _verbose_flag(frontier_cmd)
    frontier_cmd.set_defaults(run=_frontier)

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
    report_cmd.add_argument("--solver", choices=list(SOLVERS), default="highs")
    report_cmd.add_argument(
        "--force", action="store_true", help="replace the --out file if it exists"
    )
    _verbose_flag(report_cmd)
    report_cmd.set_defaults(run=_report)

    sweep_cmd = commands.add_parser(
        "sweep", help="solve many disruption scenarios, one plan each, and tabulate them"
    )
    sweep_cmd.add_argument("file", type=Path)
    sweep_cmd.add_argument(
        "--scenarios",
        type=int,
        metavar="N",
        help="draw N random disruptions (default: the file's own scenarios)",
    )
    sweep_cmd.add_argument("--seed", type=int, default=0, help="seed of the draws (default 0)")
    sweep_cmd.add_argument(
        "--country", default="CN", help="country whose supply is disrupted (default CN)"
    )
    sweep_cmd.add_argument(
        "--materials", help="materials the draws choose from, e.g. Dy,Tb (default all)"
    )
    where = sweep_cmd.add_mutually_exclusive_group()
    where.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run on dask: 'local' for a cluster on this machine, or a scheduler's address "
        "(tcp://host:8786)",
    )
    where.add_argument("--serial", action="store_true", help="run in this process")
    sweep_cmd.add_argument("--solver", choices=list(SOLVERS), default="highs")
    sweep_cmd.add_argument(
        "--out", type=Path, help="file to write the table to: .csv, or .parquet (pyarrow)"
    )
    sweep_cmd.add_argument(
        "--force", action="store_true", help="replace the --out file if it exists"
    )
    sweep_cmd.set_defaults(run=_sweep)

    validate_cmd = commands.add_parser("validate", help="check a problem file without solving")
    validate_cmd.add_argument("file", type=Path)
    validate_cmd.set_defaults(run=_validate)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
