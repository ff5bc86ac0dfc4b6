"""Time writing a plan's results (tables and figures) against solving it, on plans with many
sources or many periods.

    python benchmarks/outputs.py [--shapes 10000x2 2x10000] [--out DIR]

Each shape ``SxT`` is a problem with ``S`` sources and ``T`` periods of one material
(:func:`document`): every source sells it at its own price with a capacity of one tonne per
period, and demand is half the sources' total, so that half the sources buy in every period.
For each shape the script prints the seconds to solve (:func:`optiree.solve`, from the
validated problem), to write the results (:meth:`optiree.Result.write` and
:func:`optiree.plots.write_figures`, what ``optiree solve FILE --out DIR`` writes) and to
write the HTML report (:func:`optiree.html.write_report`, what ``optiree report`` writes
beside its sensitivity tables).
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optiree import Problem, solve
from optiree.html import write_report
from optiree.plots import write_figures

SHAPES = ("10000x2", "2x10000")
"""The default shapes, sources x periods."""


def document(sources: int, periods: int) -> dict[str, Any]:
    """A problem of ``sources`` sources and ``periods`` periods of one material."""
    period_ids = [f"P{t:05d}" for t in range(periods)]
    return {
        "name": f"{sources} sources x {periods} periods",
        "periods": period_ids,
        "materials": [{"id": "NdPr"}],
        "reference_prices": {"NdPr": 100.0},
        "sources": [
            {
                "id": f"S{s:05d}",
                "country": ("CN", "AU", "US", "MY")[s % 4],
                "price_multiplier": round(1.0 + s / sources, 6),
                "capacity": {"NdPr": 1.0},
            }
            for s in range(sources)
        ],
        "demand": {"NdPr": max(sources / 2.0, 1.0)},
        "shortage_penalty": {"NdPr": 1000.0},
    }


def measure(sources: int, periods: int, out: Path) -> tuple[float, float, float]:
    """Seconds to solve, to write the results and to write the report of the
    ``sources x periods`` problem."""
    problem = Problem.model_validate(document(sources, periods))
    start = time.perf_counter()
    result = solve(problem)
    solved = time.perf_counter()
    result.write(out, overwrite=True)
    write_figures(result, problem, out, overwrite=True)
    written = time.perf_counter()
    write_report(problem, result, out / "report.html")
    return solved - start, written - solved, time.perf_counter() - written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), help="SOURCESxPERIODS")
    parser.add_argument("--out", type=Path, default=None, help="folder for the results")
    args = parser.parse_args(argv)
    print(f"{'sources x periods':>18} {'solve [s]':>10} {'write [s]':>10} {'report [s]':>11}")
    for shape in args.shapes:
        sources, periods = (int(n) for n in shape.split("x"))
        with tempfile.TemporaryDirectory() as scratch:
            out = args.out or Path(scratch)
            seconds = measure(sources, periods, out / shape)
        print(f"{shape:>18} {seconds[0]:10.2f} {seconds[1]:10.2f} {seconds[2]:11.2f}")


if __name__ == "__main__":
    main()
