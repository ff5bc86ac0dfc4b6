"""Time optiree against the floor (numpy + highspy), and a sweep against solving from scratch.

    python benchmarks/run.py [--sizes 1000 10000 100000 1000000] [--seed 0] [--repeat N]
        [--timeout S] [--stock] [--sweep N] [--out FILE]

For each size, each measurement runs in a child process of its own (started with ``spawn``):

- **optiree**: the instance as a validated :class:`optiree.Problem` (not timed), then
  ``state`` (prepare, and the LP stated as numbers: :func:`optiree.model.state`), ``made and
  solved`` (HiGHS solves the stated LP in a background thread while the PuLP model is made of
  it, and the solution is written into the PuLP objects: :func:`optiree.solve.made_and_run`)
  and ``read-back`` (:func:`optiree.results.optimal_result`: the plan as DataFrames);
- **floor**: the instance's arrays (not timed), then ``build`` (the sparse matrix, numpy) and
  ``solve`` (one ``passModel``, the run and the solution read as arrays);
- **pulp**: the floor's arrays (not timed), then ``objects``: the PuLP objects of the same LP
  made straight from them (a variable per column, a row per row, no model logic:
  :func:`benchmarks.floor.pulp_objects`), what keeping a PuLP model costs at least; then,
  not timed, the floor's HiGHS run while the objects live, so that the child's peak is the
  PuLP bound's: a PuLP model of record is held while HiGHS solves;
- with ``--stock``, **PuLP stock**: the same PuLP model solved by ``pulp.HiGHS`` (PuLP's own
  interface: hand-off, solve and write-back together).

The kinds alternate: each of ``--repeat`` rounds measures optiree, the floor and the PuLP
objects once, each in a child of its own, and each child up to 1e5 makes one untimed run
first (:data:`WARM_UP_UP_TO`). Times are wall-clock seconds, the median over the rounds; the
**PuLP bound** is the PuLP objects plus the floor's HiGHS run. Peak memory
is the child's peak resident set size (``VmHWM``, reset with ``/proc/self/clear_refs`` once
the input is ready) during the measured runs, input included [MiB]. Both objectives must
agree to 1e-9 relative. ``--sweep N`` times N random scenarios of the Japan case
(examples/japan_2026.yaml) solved one by one from scratch with PuLP's stock HiGHS interface,
from scratch with :func:`optiree.solve`, and by :func:`optiree.disruption.sweep.sweep` (serial,
reusing one solver). The figures are printed and written as JSON to ``--out``.
"""

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pulp

from benchmarks import floor, generator
from optiree import load_problem
from optiree.disruption.scenarios import apply, for_disruption
from optiree.disruption.sweep import random_scenarios, sweep
from optiree.model import build, state
from optiree.prepare import prepare
from optiree.results import Status, optimal_result
from optiree.solve import made_and_run, solve, solver_for

AGREEMENT = 1e-9
"""Largest relative difference between optiree's and the floor's optimal cost."""
DEFAULT_OUT = Path(tempfile.gettempdir()) / "optiree-benchmark.json"
JAPAN = Path(__file__).resolve().parents[1] / "examples" / "japan_2026.yaml"
REPEATS = {1_000: 7, 10_000: 5, 100_000: 3, 1_000_000: 1}
"""Runs per measurement by default (the median is kept)."""
WARM_UP_UP_TO = 100_000
"""Sizes up to which each child makes one untimed run first: a process's first run pays
one-off costs (modules optiree imports on first use, pandas' and PuLP's first calls) that
are a large share of a small problem's time and none of a large one's."""

Report = Callable[[str, Any], None]


def _reset_peak() -> None:
    """Start the peak resident set size afresh (Linux: VmHWM)."""
    Path("/proc/self/clear_refs").write_text("5")


def _peak_mib(process: str = "self") -> float:
    """The peak resident set size of a process since its last reset [MiB]."""
    for line in Path(f"/proc/{process}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status: the benchmark needs Linux")


def _timed(stages: dict[str, list[float]], name: str, report: Report) -> Callable[[], None]:
    """A function to call when stage ``name`` ends: records and reports its time."""
    start = time.perf_counter()

    def done() -> None:
        stages.setdefault(name, []).append(time.perf_counter() - start)
        report("stage", (name, stages[name][-1]))

    return done


def _optiree(size: int, seed: int, repeat: int, report: Report) -> None:
    problem = generator.problem(generator.generate(size, seed))
    _reset_peak()
    stages: dict[str, list[float]] = {}
    solver = solver_for("highs")
    for _ in range(repeat):
        done = _timed(stages, "state", report)
        statement = state(prepare(problem))
        done()
        done = _timed(stages, "made and solved", report)
        model, status, message = made_and_run(statement, solver)
        done()
        del statement
        done = _timed(stages, "read-back", report)
        result = optimal_result(model, "highs")
        done()
        if status is not Status.OPTIMAL:
            raise RuntimeError(f"optiree did not solve size {size}: {message}")
    highs = model.lp.solverModel
    report(
        "result",
        {
            "objective": result.total_cost,
            "columns": highs.getNumCol(),
            "rows": highs.getNumRow(),
            "nonzeros": highs.getNumNz(),
            "peak_mib": _peak_mib(),
        },
    )


def _floor(size: int, seed: int, repeat: int, report: Report) -> None:
    instance = generator.generate(size, seed)
    _reset_peak()
    stages: dict[str, list[float]] = {}
    for _ in range(repeat):
        done = _timed(stages, "build", report)
        lp = floor.build(instance)
        done()
        done = _timed(stages, "solve", report)
        solution = floor.solve(lp)
        done()
        if solution.status != "Optimal":
            raise RuntimeError(f"the floor did not solve size {size}: {solution.status}")
    report(
        "result",
        {
            "objective": solution.objective,
            "columns": len(lp.cost),
            "rows": len(lp.row_lower),
            "nonzeros": len(lp.value),
            "peak_mib": _peak_mib(),
        },
    )


def _pulp(size: int, seed: int, repeat: int, report: Report) -> None:
    lp = floor.build(generator.generate(size, seed))
    _reset_peak()
    stages: dict[str, list[float]] = {}
    for _ in range(repeat):
        done = _timed(stages, "objects", report)
        objects = floor.pulp_objects(lp)
        done()
        floor.solve(lp)  # not timed: the bound's time takes the floor's run; its memory is here
        del objects
    report("result", {"peak_mib": _peak_mib()})


def _stock(size: int, seed: int, repeat: int, report: Report) -> None:
    problem = generator.problem(generator.generate(size, seed))
    _reset_peak()
    stages: dict[str, list[float]] = {}
    for _ in range(repeat):
        model = build(prepare(problem))
        done = _timed(stages, "hand-off+solve+write-back", report)
        model.lp.solve(pulp.HiGHS(msg=False))
        done()
    report("result", {"objective": pulp.value(model.lp.objective), "peak_mib": _peak_mib()})


def _child(kind: str, size: int, seed: int, repeat: int, queue: Any) -> None:
    """Run one measurement, sending ("stage", (name, seconds)) as each stage ends, then
    ("result", figures) or ("error", message)."""
    measure = {"optiree": _optiree, "floor": _floor, "pulp": _pulp, "stock": _stock}[kind]
    try:
        if size <= WARM_UP_UP_TO:
            measure(size, seed, 1, lambda tag, value: None)
        measure(size, seed, repeat, lambda tag, value: queue.put((tag, value)))
    except Exception as error:
        queue.put(("error", f"{type(error).__name__}: {error}"))


def _measure(kind: str, size: int, seed: int, repeat: int, timeout: float) -> dict[str, Any]:
    """One measurement in a child process: the median time of each stage [s], the figures of
    the result, and "error" if it failed or did not finish within ``timeout`` seconds."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_child, args=(kind, size, seed, repeat, queue))
    child.start()
    times: dict[str, list[float]] = {}
    figures: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        try:
            tag, value = queue.get(timeout=max(left, 0.001))
        except Exception:
            figures["peak_mib"] = _peak_mib(str(child.pid))  # so far
            child.terminate()
            figures["error"] = f"not finished within {timeout:g} s"
            break
        if tag == "stage":
            name, seconds = value
            times.setdefault(name, []).append(seconds)
        elif tag == "result":
            figures.update(value)
            break
        else:
            figures["error"] = value
            break
    child.join()
    return {"seconds": {k: statistics.median(v) for k, v in times.items()}} | figures


def _rounds(kind: str, size: int, args: argparse.Namespace, repeat: int) -> list[dict[str, Any]]:
    """``repeat`` measurements of ``kind``, one run each in a child of its own."""
    return [_measure(kind, size, args.seed, 1, args.timeout) for _ in range(repeat)]


def _merged(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One measurement from several runs: the median of each stage, the largest peak, the
    first error, the figures of the last run."""
    failed = [run for run in runs if "error" in run]
    merged = dict(failed[0] if failed else runs[-1])
    stages: dict[str, list[float]] = {}
    for run in runs:
        for name, seconds in run["seconds"].items():
            stages.setdefault(name, []).append(seconds)
    merged["seconds"] = {name: statistics.median(times) for name, times in stages.items()}
    merged["peak_mib"] = max(run.get("peak_mib", float("nan")) for run in runs)
    merged["total"] = sum(merged["seconds"].values())
    return merged


def _size_figures(size: int, args: argparse.Namespace) -> dict[str, Any]:
    """Each kind measured ``repeat`` times, the kinds alternating (optiree, floor, pulp, ...,
    then again), so that a change of the machine's load falls on all of them alike."""
    repeat = args.repeat or REPEATS.get(size, 1)
    kinds = ["optiree", "floor", "pulp", *(["stock"] if args.stock else [])]
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    for _ in range(repeat):
        for kind in kinds:
            runs[kind] += _rounds(kind, size, args, 1)
    figures: dict[str, Any] = {"size": size, "columns": generator.columns(size)}
    figures |= {kind: _merged(measured) for kind, measured in runs.items()}
    ours, base, objects = figures["optiree"], figures["floor"], figures["pulp"]
    if "error" not in ours and "error" not in base:
        difference = abs(ours["objective"] - base["objective"]) / max(1.0, abs(base["objective"]))
        figures["objective_difference"] = difference
        figures["agree"] = difference <= AGREEMENT
        figures["time_ratio"] = ours["total"] / base["total"]
        figures["memory_ratio"] = ours["peak_mib"] / base["peak_mib"]
    if "error" not in base and "error" not in objects:
        figures["pulp_ratio"] = objects["total"] / base["total"]
        bound = objects["total"] + base["seconds"]["solve"]
        figures["pulp_bound"] = bound
        if "error" not in ours:
            figures["bound_ratio"] = ours["total"] / bound
            figures["bound_memory_ratio"] = ours["peak_mib"] / objects["peak_mib"]
    return figures


def _sweep_figures(n: int) -> dict[str, Any]:
    """Time a sweep of ``n`` random Japan scenarios three ways, in this process [s]."""
    problem = load_problem(JAPAN)
    draws = random_scenarios(problem, n, seed=2026)
    base = for_disruption(problem)
    faced = [apply(base, s) for s in draws]
    start = time.perf_counter()
    stock = []
    for one in faced:
        model = build(prepare(one))
        model.lp.solve(pulp.HiGHS(msg=False))
        stock.append(optimal_result(model, "highs").total_cost)
    stock_seconds = time.perf_counter() - start
    start = time.perf_counter()
    fresh = [solve(one).total_cost for one in faced]
    fresh_seconds = time.perf_counter() - start
    start = time.perf_counter()
    table = sweep(problem, draws, executor="serial", progress=False).table
    sweep_seconds = time.perf_counter() - start
    costs = table["total_cost"].tolist()
    difference = max(abs(a - b) / abs(a) for a, b in zip(stock, costs, strict=True))
    return {
        "scenarios": n,
        "stock_from_scratch": stock_seconds,
        "optiree_from_scratch": fresh_seconds,
        "sweep_reusing": sweep_seconds,
        "speed_up": stock_seconds / sweep_seconds,
        "cost_difference": difference,
        "same_costs": difference <= AGREEMENT and fresh == stock,
    }


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def _line(label: str, measured: dict[str, Any]) -> str:
    stages = "  ".join(f"{name} {seconds:8.3f}" for name, seconds in measured["seconds"].items())
    peak = measured.get("peak_mib", float("nan"))
    return f"  {label:<8} {stages}  total {measured['total']:8.3f}  peak {peak:,.0f}"


def _print_size(f: dict[str, Any]) -> None:
    print(f"size {f['size']:>9,}  columns {f['columns']:,}  (times [s], peak memory [MiB])")
    for kind in ("optiree", "floor", "pulp", "stock"):
        if kind in f:
            print(_line(kind, f[kind]))
            if "error" in f[kind]:
                print(f"  {kind}: {f[kind]['error']}")
    if "time_ratio" in f:
        print(
            f"  optiree/floor: time {f['time_ratio']:.2f}x, peak memory {f['memory_ratio']:.2f}x;"
            f" objectives differ by {f['objective_difference']:.1e} (agree: {f['agree']})"
        )
    if "pulp_ratio" in f:
        print(f"  pulp/floor: time {f['pulp_ratio']:.2f}x (making the PuLP objects alone)")


def _cell(figures: dict[str, Any], key: str, form: str) -> str:
    value = figures.get(key)
    return "-" if value is None else format(value, form)


def size_label(size: int) -> str:
    """1000 as "1e3"."""
    mantissa, power = f"{size:.0e}".split("e")
    return f"{mantissa}e{int(power)}"


def size_table(sizes: list[dict[str, Any]]) -> str:
    """The one table of every size: seconds of the floor, the PuLP bound (the PuLP objects
    plus the floor's HiGHS run) and optiree, both ratios, and the peak memory of each [MiB]
    (the PuLP bound's: its objects held while HiGHS runs)."""
    lines = [
        "| size | floor [s] | PuLP bound [s] | optiree [s] | optiree / PuLP bound "
        "| optiree / floor | peak floor | peak PuLP bound | peak optiree "
        "| optiree / PuLP bound (memory) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in sizes:
        floor_, objects, ours = (f[kind] for kind in ("floor", "pulp", "optiree"))
        cells = [
            size_label(f["size"]),
            _cell(floor_, "total", ".3f"),
            _cell(f, "pulp_bound", ".3f"),
            _cell(ours, "total", ".3f"),
            _cell(f, "bound_ratio", ".2f") + "x",
            _cell(f, "time_ratio", ".2f") + "x",
            _cell(floor_, "peak_mib", ",.0f"),
            _cell(objects, "peak_mib", ",.0f"),
            _cell(ours, "peak_mib", ",.0f"),
            _cell(f, "bound_memory_ratio", ".2f") + "x",
        ]
        lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines)


def _size(text: str) -> int:
    """A size given as 1000 or 1e3."""
    try:
        return int(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of variables: {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 1 if an objective disagrees or a measurement failed, else 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=_size,
        nargs="+",
        default=list(generator.SHAPES),
        help=f"variables, as 1000 or 1e3 (known: {', '.join(map(str, generator.SHAPES))})",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, help="runs per measurement (default by size)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per measurement")
    parser.add_argument("--stock", action="store_true", help="also time PuLP's own interface")
    parser.add_argument("--sweep", type=int, default=0, help="scenarios of the sweep benchmark")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {
        "machine": {
            "cpu": cpu_name(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
        },
        "sizes": [],
    }
    for size in args.sizes:
        figures["sizes"].append(_size_figures(size, args))
        _print_size(figures["sizes"][-1])
    print(size_table(figures["sizes"]))
    if args.sweep:
        figures["sweep"] = _sweep_figures(args.sweep)
        w = figures["sweep"]
        print(
            f"sweep of {w['scenarios']} Japan scenarios: PuLP stock from scratch "
            f"{w['stock_from_scratch']:.2f} s, optiree.solve from scratch "
            f"{w['optiree_from_scratch']:.2f} s, sweep reusing one solver "
            f"{w['sweep_reusing']:.2f} s: {w['speed_up']:.1f}x; same costs: {w['same_costs']}"
        )
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"figures written to {args.out}")
    failed = [f for f in figures["sizes"] if not f.get("agree", False)]
    return 1 if failed or not figures.get("sweep", {}).get("same_costs", True) else 0


if __name__ == "__main__":
    sys.exit(main())
