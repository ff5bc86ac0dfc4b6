"""Every benchmark of docs/performance.md in one run.

    python -m benchmarks [--sizes 1e3 1e4 1e5 1e6] [--quick]

In turn: the sizes (floor, PuLP bound and optiree, measured alternately, one table with both
ratios and each peak; ``benchmarks/run.py``) and a 1,000-scenario sweep of the Japan case; the
frontiers of the Japan case against a warm HiGHS re-solve (``benchmarks/frontier.py``); the
stochastic model with 100 scenarios and its extensive form with 200 (``benchmarks/stochastic.py``);
``import optiree`` and the commands on the bundled file (``benchmarks/startup.py``).
``--quick`` measures the sizes up to 1e5 with fewer runs and leaves out the slow rows.
"""

import argparse
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import frontier, run, startup, stochastic


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark; 1 if a measurement disagreed or failed (as ``run.main``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=None, help="as in benchmarks/run.py")
    parser.add_argument("--quick", action="store_true", help="sizes to 1e5, fewer runs")
    args = parser.parse_args(argv)
    sizes = args.sizes or (["1e3", "1e4", "1e5"] if args.quick else ["1e3", "1e4", "1e5", "1e6"])
    print(f"machine: {run.cpu_name()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print("\n## Sizes")
    failed = run.main(["--sizes", *sizes, "--sweep", "100" if args.quick else "1000"])
    print("\n## Frontiers of the Japan case")
    frontier.main(["--runs", "1" if args.quick else "3"])
    print("\n## The stochastic model")
    stochastic.main(["--extensive", "200", *(["--repeat", "1"] if args.quick else [])])
    print("\n## Start-up")
    startup.main(["--runs", "3" if args.quick else "10", "--sweeps", "100", "1000"])
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
