"""Time the frontiers of the bundled file against warm HiGHS re-solves of their levels.

    python benchmarks/frontier.py [--runs 3]

For each frontier (what ``optiree frontier`` runs on examples/japan_2026.yaml by default,
with ``--rule cover_without`` and with ``--rule stock_cover --material Dy``, and Malaysia's
share): the solves it takes, its seconds (median of ``--runs``), the ms per solve, and
``warm ms``: the LP of each of its table's levels (built beforehand, not timed) passed to one
``highspy.Highs`` and run from the previous level's basis, per level, the least a frontier
point could cost on one warm HiGHS model. ``ratio`` is ms per solve / warm ms.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optiree import handoff, load_problem
from optiree.frontier import _rule, frontier
from optiree.model import build
from optiree.prepare import prepare
from optiree.schema import Problem
from optiree.solve import solver_for

BUNDLED = Path(__file__).resolve().parents[1] / "examples" / "japan_2026.yaml"
FRONTIERS: dict[str, dict[str, Any]] = {
    "max_share CN": {"country": "CN"},
    "cover_without CN": {"country": "CN", "rule": "cover_without"},
    "stock_cover Dy": {"rule": "stock_cover", "material": "Dy"},
    "max_share MY": {"country": "MY"},
}


def _warm_ms(problem: Problem, arguments: dict[str, Any], levels: list[float]) -> float:
    """ms per level: its LP passed to one Highs and run from the last level's basis."""
    spec = _rule(
        problem,
        arguments.get("rule", "max_share"),
        arguments.get("country", "CN"),
        arguments.get("material"),
    )
    lps = [
        handoff.lp_arrays(build(prepare(spec.set_level(problem, level))).lp).highs.highs_lp()
        for level in levels
    ]
    highs = handoff.configured(solver_for("highs"))
    highs.passModel(lps[0])
    highs.run()
    started = time.perf_counter()
    for lp in lps[1:]:
        basis = highs.getBasis()
        highs.passModel(lp)
        highs.setBasis(basis)
        highs.run()
    return (time.perf_counter() - started) * 1000 / max(1, len(lps) - 1)


def rows(runs: int = 3) -> list[dict[str, Any]]:
    """One row per frontier: ``frontier``, ``solves``, ``seconds``, ``ms_per_solve``,
    ``warm_ms`` and ``ratio`` (ms per solve / warm ms)."""
    problem = load_problem(BUNDLED)
    table = []
    for name, arguments in FRONTIERS.items():
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            curve = frontier(problem, **arguments)
            times.append(time.perf_counter() - started)
        seconds = statistics.median(times)
        per_solve = seconds * 1000 / curve.solves
        levels = curve.table["level"].tolist()
        warm = statistics.median(_warm_ms(problem, arguments, levels) for _ in range(runs))
        table.append(
            {
                "frontier": name,
                "solves": curve.solves,
                "seconds": seconds,
                "ms_per_solve": per_solve,
                "warm_ms": warm,
                "ratio": per_solve / warm,
            }
        )
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    found = parser.parse_args(argv)
    print(
        f"{'frontier':18} {'solves':>6} {'seconds':>8} {'ms/solve':>9} {'warm ms':>8} {'ratio':>6}"
    )
    for row in rows(found.runs):
        print(
            f"{row['frontier']:18} {row['solves']:6d} {row['seconds']:8.2f} "
            f"{row['ms_per_solve']:9.2f} {row['warm_ms']:8.3f} {row['ratio']:6.1f}"
        )


if __name__ == "__main__":
    main()
