"""What issue 16's stretch route could save: HiGHS solving while the PuLP model is built.

    python benchmarks/overlap.py [--sizes 1e5 1e6]

For each size of ``benchmarks/run.py``: optiree's ``build`` (``prepare`` and
``model.build``) alone, HiGHS's run of the same LP alone (the floor's arrays,
:func:`benchmarks.floor.solve`), and the two at once, HiGHS in a background thread (its run
releases the GIL) while this thread builds; wall seconds, one run each, in this process. The
route is not built: today the arrays HiGHS takes are collected from the finished PuLP model
(docs/performance.md, "Where each target ends"). ``together`` is what build and solve would
take if the model stated its arrays before making its PuLP objects.
"""

import argparse
import gc
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import floor, generator
from benchmarks.run import size_label
from optiree.model import build
from optiree.prepare import prepare


def _seconds(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def measure(size: int) -> dict[str, float]:
    """Seconds of the build alone, HiGHS alone, and both at once (with each one's own)."""
    instance = generator.generate(size, 0)
    problem = generator.problem(instance)
    lp = floor.build(instance)
    alone = _seconds(lambda: build(prepare(problem)))
    gc.collect()
    highs = _seconds(lambda: floor.solve(lp))
    background: dict[str, float] = {}

    def solve() -> None:
        background["highs"] = _seconds(lambda: floor.solve(lp))

    thread = threading.Thread(target=solve)
    start = time.perf_counter()
    thread.start()
    built = _seconds(lambda: build(prepare(problem)))
    thread.join()
    together = time.perf_counter() - start
    return {
        "build": alone,
        "highs": highs,
        "together": together,
        "build_together": built,
        "highs_together": background["highs"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1e5", "1e6"])
    found = parser.parse_args(argv)
    print(f"{'size':>5} {'build':>8} {'HiGHS':>8} {'sum':>8} {'together':>9} {'saved':>8}")
    for text in found.sizes:
        size = int(float(text))
        f = measure(size)
        alone = f["build"] + f["highs"]
        print(
            f"{size_label(size):>5} {f['build']:8.2f} {f['highs']:8.2f} {alone:8.2f} "
            f"{f['together']:9.2f} {alone - f['together']:8.2f}"
            f"  (together: build {f['build_together']:.2f}, HiGHS {f['highs_together']:.2f})"
        )


if __name__ == "__main__":
    main()
