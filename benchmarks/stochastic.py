"""Time the two-stage stochastic model of the Japan case (examples/japan_2026.yaml).

    python benchmarks/stochastic.py [--scenarios 100] [--extensive 200 1000] [--repeat 3]
        [--extensive-repeat 3] [--seed 2026] [--timeout S]

Two kinds of rows, each measurement in a child process of its own (``spawn``):

- **solve_stochastic** with ``--scenarios`` random scenarios (VSS and EVPI included), as it
  runs (``warm``: the wait-and-see and EEV solves re-solved on one warm HiGHS model per kind)
  and with every scenario solved from scratch (``cold``: what it ran before issue 16, and what
  it runs with CBC); ``per re-solve`` is a bare warm HiGHS re-solve of one scenario (no check,
  no tables), ``warm HiGHS`` that time for the 3 x n per-scenario solves, the ratio
  ``warm / warm HiGHS`` what optiree takes beyond it. Both runs must give the same summary.
  ``--scenarios 0`` leaves this row out.
- **extensive form** with each of ``--extensive`` random scenarios: ``scenarios`` (the
  scenarios as validated problems, :func:`optiree.disruption.stochastic.two_stage`),
  ``build`` (:func:`optiree.disruption.stochastic.build_extensive`), ``hand-off`` (collected
  into arrays and passed to HiGHS), ``solve`` (HiGHS runs) and ``read-back`` (the solution
  into the PuLP objects, the objective and the first stage, as ``solve_stochastic`` reads
  them); and ``pulp``, the bare PuLP objects of the same LP
  (:func:`benchmarks.floor.pulp_objects`, from its arrays), the least a PuLP model of record
  of it costs, then the extensive form built again in that child: ``build / objects`` is the
  median of those pairs, timed seconds apart (on a machine with other work the load moves
  between children more than within one). Peak memory is each child's peak resident set
  size from the start of the timed stages [MiB]; ``per scenario`` is the growth of the
  optiree peak from the smallest to the largest count, and ``fits`` the scenarios whose
  extensive form one machine of :data:`MACHINE_GIB` holds at that rate.

Times are wall-clock seconds, the median of ``--repeat`` runs (of ``--extensive-repeat`` for the
extensive form, optiree and the PuLP objects measured alternately; its peaks are medians too).
"""

import argparse
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import floor
from benchmarks.run import JAPAN, _peak_mib, _reset_peak
from optiree import handoff, load_problem
from optiree.disruption.stochastic import build_extensive, solve_stochastic, two_stage
from optiree.disruption.stochastic.solving import _evaluate, _value
from optiree.disruption.stochastic.warm import WarmScenarios
from optiree.disruption.sweep import random_scenarios
from optiree.solve import solver_for

MACHINE_GIB = 24
"""The memory of the machine the extensive form must fit [GiB]."""


def _warm_and_cold(n: int, seed: int, repeat: int) -> dict[str, Any]:
    """``solve_stochastic`` with n scenarios, warm and cold, alternately [s]."""
    problem = load_problem(JAPAN)
    scenarios = random_scenarios(problem, n, seed=seed)
    decline = WarmScenarios.cost
    times: dict[str, list[float]] = {"warm": [], "cold": []}
    summaries = {}
    for _ in range(repeat):
        for kind in ("warm", "cold"):
            WarmScenarios.cost = decline if kind == "warm" else (lambda *_: None)  # type: ignore[method-assign]
            start = time.perf_counter()
            summaries[kind] = solve_stochastic(problem, scenarios).summary()
            times[kind].append(time.perf_counter() - start)
    WarmScenarios.cost = decline  # type: ignore[method-assign]
    per_solve = _bare_re_solve(problem, scenarios)
    warm = statistics.median(times["warm"])
    return {
        "scenarios": n,
        "warm": warm,
        "cold": statistics.median(times["cold"]),
        "per_re_solve_ms": per_solve * 1e3,
        "warm_highs": 3 * n * per_solve,
        "ratio": warm / (3 * n * per_solve),
        "same_summary": summaries["warm"] == summaries["cold"],
    }


def _bare_re_solve(problem: Any, scenarios: list[Any]) -> float:
    """A bare warm HiGHS re-solve of one scenario, the median over the scenarios [s]."""
    stages = two_stage(problem, scenarios)
    warm = WarmScenarios(stages, {}, None)
    times = []
    for scenario in stages.problem.scenarios:
        start = time.perf_counter()
        warm.sweep.optimum(scenario)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _extensive(n: int, seed: int, report: Callable[[str, Any], None]) -> None:
    """The stages of the extensive form with n scenarios, reported as they end."""
    problem = load_problem(JAPAN)
    scenarios = random_scenarios(problem, n, seed=seed)
    _reset_peak()
    clock = time.perf_counter()

    def done(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        report("stage", (stage, now - clock))
        clock = now

    stages = two_stage(problem, scenarios)
    done("scenarios")
    extensive = build_extensive(stages)
    done("build")
    solver = solver_for("highs")
    arrays, highs = handoff.hand_over(extensive.lp, solver)
    done("hand-off")
    highs.run()
    done("solve")
    handoff.write_back(extensive.lp, arrays, highs)
    objective = _evaluate(extensive.lp.objective)
    first_stage = {key: _value(v) for key, v in extensive.first_stage.items()}
    done("read-back")
    lp = arrays.highs
    report(
        "result",
        {
            "objective": objective,
            "first_stage": len(first_stage),
            "columns": len(lp.cost),
            "rows": len(lp.row_lower),
            "nonzeros": len(lp.value),
            "peak_mib": _peak_mib(),
        },
    )


def _pulp(n: int, seed: int, report: Callable[[str, Any], None]) -> None:
    """The bare PuLP objects of the extensive form's LP with n scenarios, then the extensive
    form built again in the same child: ``objects`` and ``build`` timed seconds apart, each on
    memory the first build freed (``build / objects`` is their ratio)."""
    problem = load_problem(JAPAN)
    stages = two_stage(problem, random_scenarios(problem, n, seed=seed))
    extensive = build_extensive(stages)
    lp = handoff.lp_arrays(extensive.lp).highs
    del extensive
    _reset_peak()
    start = time.perf_counter()
    objects = floor.pulp_objects(lp)
    report("stage", ("objects", time.perf_counter() - start))
    peak = _peak_mib()
    del objects
    start = time.perf_counter()
    build_extensive(stages)
    report("stage", ("build", time.perf_counter() - start))
    report("result", {"peak_mib": peak})


def _child(kind: str, n: int, seed: int, queue: Any) -> None:
    measure = {"extensive": _extensive, "pulp": _pulp}[kind]
    try:
        measure(n, seed, lambda tag, value: queue.put((tag, value)))
    except Exception as error:
        queue.put(("error", f"{type(error).__name__}: {error}"))


def _measure(kind: str, n: int, seed: int, timeout: float) -> dict[str, Any]:
    """One measurement in a child process: each stage's time [s] and the figures."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_child, args=(kind, n, seed, queue))
    child.start()
    figures: dict[str, Any] = {"seconds": {}}
    deadline = time.monotonic() + timeout
    while True:
        try:
            tag, value = queue.get(timeout=max(deadline - time.monotonic(), 0.001))
        except Exception:
            figures["peak_mib"] = _peak_mib(str(child.pid))
            child.terminate()
            figures["error"] = f"not finished within {timeout:g} s"
            break
        if tag == "stage":
            figures["seconds"][value[0]] = value[1]
            continue
        figures.update(value) if tag == "result" else figures.update(error=value)
        break
    child.join()
    return figures


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The runs of one measurement as one: the median of each stage and figure; the first
    error, if any run failed."""
    failed = [run for run in runs if "error" in run]
    if failed:
        return failed[0]
    merged = runs[0] | {
        key: statistics.median(run[key] for run in runs)
        for key, value in runs[0].items()
        if isinstance(value, float)
    }
    merged["seconds"] = {
        stage: statistics.median(run["seconds"][stage] for run in runs)
        for stage in runs[0]["seconds"]
    }
    return merged


def _extensive_row(n: int, seed: int, repeat: int, timeout: float) -> dict[str, Any]:
    """The extensive form with n scenarios and its PuLP objects, measured alternately."""
    runs: dict[str, list[dict[str, Any]]] = {"extensive": [], "pulp": []}
    for _ in range(repeat):
        for kind, found in runs.items():
            found.append(_measure(kind, n, seed, timeout))
    ours, bare = _median(runs["extensive"]), _median(runs["pulp"])
    row = {"row": "extensive", "scenarios": n, "optiree": ours, "pulp": bare}
    if "error" not in ours and "error" not in bare:
        row["build_ratio"] = statistics.median(
            run["seconds"]["build"] / run["seconds"]["objects"] for run in runs["pulp"]
        )
        row["memory_ratio"] = ours["peak_mib"] / bare["peak_mib"]
    return row


def rows(
    scenarios: int = 100,
    extensive: tuple[int, ...] = (200, 1000),
    *,
    seed: int = 2026,
    repeat: int = 3,
    extensive_repeat: int = 3,
    timeout: float = 1800.0,
) -> list[dict[str, Any]]:
    """The benchmark's rows, as dicts: one for ``solve_stochastic`` with ``scenarios`` (none
    for 0), one per count of ``extensive`` (and, after them, the memory per scenario and what
    fits)."""
    found = (
        [{"row": "solve_stochastic"} | _warm_and_cold(scenarios, seed, repeat)] if scenarios else []
    )
    found += [_extensive_row(n, seed, extensive_repeat, timeout) for n in extensive]
    sized = [r for r in found if r["row"] == "extensive" and "error" not in r["optiree"]]
    if len(sized) >= 2:
        low, high = sized[0], sized[-1]
        per = (high["optiree"]["peak_mib"] - low["optiree"]["peak_mib"]) / (
            high["scenarios"] - low["scenarios"]
        )
        base = low["optiree"]["peak_mib"] - per * low["scenarios"]
        fits = int((MACHINE_GIB * 1024 - base) / per)
        found.append({"row": "memory", "mib_per_scenario": per, "fits": fits})
    return found


def _print(found: list[dict[str, Any]]) -> None:
    for row in found:
        if row["row"] == "solve_stochastic":
            print(
                f"solve_stochastic, {row['scenarios']} scenarios [s]: warm {row['warm']:.2f}, "
                f"cold {row['cold']:.2f} ({row['cold'] / row['warm']:.1f}x); per re-solve "
                f"{row['per_re_solve_ms']:.2f} ms, warm HiGHS {row['warm_highs']:.3f} s, "
                f"warm / warm HiGHS {row['ratio']:.0f}x; same summary: {row['same_summary']}"
            )
        elif row["row"] == "extensive":
            ours, bare = row["optiree"], row["pulp"]
            stages = "  ".join(f"{k} {v:.2f}" for k, v in ours["seconds"].items())
            print(
                f"extensive, {row['scenarios']:>5} scenarios [s]: {stages}  peak "
                f"{ours.get('peak_mib', float('nan')):,.0f} MiB  {ours.get('error', '')}"
            )
            if "columns" in ours:
                print(
                    f"  LP: {ours['columns']:,} columns, {ours['rows']:,} rows, "
                    f"{ours['nonzeros']:,} non-zeros"
                )
            print(
                f"  pulp objects {bare['seconds'].get('objects', float('nan')):.2f} s, peak "
                f"{bare.get('peak_mib', float('nan')):,.0f} MiB; build in the same child "
                f"{bare['seconds'].get('build', float('nan')):.2f} s  {bare.get('error', '')}"
            )
            if "build_ratio" in row:
                print(
                    f"  build / pulp objects {row['build_ratio']:.2f}x, peak memory "
                    f"{row['memory_ratio']:.2f}x"
                )
        else:
            print(
                f"memory: {row['mib_per_scenario']:.2f} MiB per scenario; {MACHINE_GIB} GiB "
                f"holds about {row['fits']:,} scenarios"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=100)
    parser.add_argument("--extensive", type=int, nargs="*", default=[200, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--extensive-repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args(argv)
    _print(
        rows(
            args.scenarios,
            tuple(args.extensive),
            seed=args.seed,
            repeat=args.repeat,
            extensive_repeat=args.extensive_repeat,
            timeout=args.timeout,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
