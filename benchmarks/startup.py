"""Time optiree's start-up (fresh processes) and a sweep's executors on the bundled file.

    python benchmarks/startup.py [--runs N] [--sweeps 100 1000 5000] [--sweep-runs N]

Start-up: each row is the median wall time of ``--runs`` fresh interpreters (default 10), run
one after the other: ``import optiree``; ``import optiree`` then the first use of
``optiree.solve`` (what a script that solves pays before its first solve); the libraries
optiree cannot start without (``import pandas``, ``import pulp``, pydantic); and the commands
``optiree validate`` and ``optiree solve`` on examples/japan_2026.yaml
(``python -m optiree ...``). An empty interpreter (``python -c pass``) is the floor.

Sweeps: ``sweep(problem, random_scenarios(problem, n, seed=0), executor=...)`` on the bundled
file for each ``n`` of ``--sweeps``, serial, on local processes, and with the default (what
:func:`optiree.disruption.sweep.executors.default_executor` chooses on this machine); the median
of ``--sweep-runs`` runs (default 3), measured alternately in this process.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

JAPAN = ROOT / "examples" / "japan_2026.yaml"
STARTS: dict[str, list[str]] = {
    "python -c pass (empty interpreter)": ["-c", "pass"],
    "import pandas": ["-c", "import pandas"],
    "import pulp": ["-c", "import pulp"],
    "import pydantic, yaml": ["-c", "import pydantic, yaml"],
    "import pandas, pulp, pydantic": ["-c", "import pandas, pulp, pydantic"],
    "import optiree": ["-c", "import optiree"],
    "import optiree; optiree.solve": ["-c", "import optiree; optiree.solve"],
    "optiree validate japan_2026.yaml": ["-m", "optiree", "validate", str(JAPAN)],
    "optiree solve japan_2026.yaml": ["-m", "optiree", "solve", str(JAPAN)],
}
"""What each fresh interpreter runs: its arguments after ``python``."""
SWEEPS = (100, 1_000, 5_000)


def wall(arguments: list[str], runs: int) -> float:
    """The median wall time of ``runs`` fresh interpreters running ``arguments`` [s]."""
    environment = os.environ | {"PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(  # noqa: S603  # this interpreter, arguments of STARTS
            [sys.executable, *arguments],
            check=True,
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def startup_rows(runs: int = 10) -> list[dict[str, Any]]:
    """One row per start-up: ``what`` and its ``seconds`` (median of ``runs``)."""
    return [{"what": what, "seconds": wall(arguments, runs)} for what, arguments in STARTS.items()]


def sweep_rows(sizes: tuple[int, ...] = SWEEPS, runs: int = 3) -> list[dict[str, Any]]:
    """One row per number of scenarios: the median seconds serial, on local processes and with
    the default executor, which one the default chose, and its ratio to serial."""
    from optiree import load_problem, random_scenarios, sweep  # noqa: PLC0415
    from optiree.disruption.sweep.executors import default_executor, machine_cpus  # noqa: PLC0415

    problem = load_problem(JAPAN)
    rows = []
    for size in sizes:
        scenarios = random_scenarios(problem, size, seed=0)
        times: dict[str, list[float]] = {"serial": [], "processes": [], "default": []}
        for _ in range(runs):
            for name, found in times.items():
                start = time.perf_counter()
                executor = None if name == "default" else name
                sweep(problem, scenarios, executor=executor, progress=False)
                found.append(time.perf_counter() - start)
        medians = {name: statistics.median(found) for name, found in times.items()}
        rows.append(
            {
                "scenarios": size,
                "cpus": machine_cpus(),
                **medians,
                "chosen": default_executor(machine_cpus(), size),
                "default / serial": medians["default"] / medians["serial"],
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    """Print the start-up table, then the sweep table."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--runs", type=int, default=10)
    options.add_argument("--sweeps", type=int, nargs="*", default=list(SWEEPS))
    options.add_argument("--sweep-runs", type=int, default=3)
    args = options.parse_args(argv)
    print(f"start-up: median of {args.runs} fresh processes, wall seconds")
    for row in startup_rows(args.runs):
        print(f"  {row['what']:<40} {row['seconds']:6.3f}")
    if not args.sweeps:
        return
    print(f"\nsweep of the bundled file: median of {args.sweep_runs} runs, wall seconds")
    print(f"  {'scenarios':>9} {'cpus':>4} {'serial':>7} {'processes':>9} {'default':>7}  chosen")
    for row in sweep_rows(tuple(args.sweeps), args.sweep_runs):
        print(
            f"  {row['scenarios']:>9,} {row['cpus']:>4} {row['serial']:7.2f} "
            f"{row['processes']:9.2f} {row['default']:7.2f}  {row['chosen']}"
        )


if __name__ == "__main__":
    main()
