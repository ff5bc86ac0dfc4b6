"""The ``optiree`` command.

Exit codes: 0 optimal (or valid, for ``validate``); 1 infeasible or not solved; 2 invalid input
or usage (the message names the field).
"""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from optiree import __version__
from optiree.errors import OutputError, SolverError
from optiree.io import load_problem
from optiree.schema import Problem
from optiree.sensitivity import sensitivity_summary
from optiree.solve import SOLVERS, solve

EXIT_OK, EXIT_NOT_SOLVED, EXIT_INVALID = 0, 1, 2


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
    try:
        result = solve(problem, solver=args.solver, time_limit=args.time_limit)
    except SolverError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    print(result.summary(), end="")
    if result.is_optimal:
        print("\n" + sensitivity_summary(result), end="")
    if args.out is not None:
        try:
            print(f"Results written to {result.write(args.out)}")
        except OutputError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_NOT_SOLVED
    return EXIT_OK if result.is_optimal else EXIT_NOT_SOLVED


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
    solve_cmd.set_defaults(run=_solve)

    validate_cmd = commands.add_parser("validate", help="check a problem file without solving")
    validate_cmd.add_argument("file", type=Path)
    validate_cmd.set_defaults(run=_validate)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
