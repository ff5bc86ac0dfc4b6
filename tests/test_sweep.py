"""Sweeps: the random scenarios, the table checked by hand, every executor giving the same table,
the command and its files."""

import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import distributed
import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

import optiree
from optiree import MissingDependencyError, OptireeError, Problem
from optiree.cli import main
from optiree.disruption.scenarios import apply, disrupted
from optiree.disruption.sweep import random_scenarios, sweep, write_sweep
from optiree.schema import Scenario
from tests.samples import JAPAN


def _hand(**extra: Any) -> dict[str, Any]:
    """Dy over A, B, C: China 100/t (60 t a period), Lynas 150/t (20 t); demand 50 t a period;
    holding 1 per tonne and period; closing stock at least 0.2 x demand = 10 t (a strategic
    stock in a sweep: drawn below at the penalty / 6 a tonne and period, and a gap left at the
    end costs China's 100 more)."""
    return {
        "name": "hand",
        "periods": ["A", "B", "C"],
        "materials": [{"id": "Dy"}],
        "reference_prices": {"Dy": 100},
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"Dy": 60}},
            {"id": "lynas", "country": "AU", "price_multiplier": 1.5, "capacity": {"Dy": 20}},
        ],
        "demand": {"Dy": 50},
        "stock": {"holding_cost": {"Dy": 1}},
        "security": {"min_stock_cover": {"Dy": 0.2}},
    } | extra


HAND_SCENARIOS: list[dict[str, Any]] = [
    {"name": "none", "probability": 0.4},
    {
        "name": "embargo_B",
        "probability": 0.3,
        "disruptions": [{"country": "CN", "start": "B", "length": 1}],
    },
    {"name": "embargo_BC", "probability": 0.2, "disruptions": [{"country": "CN", "start": "B"}]},
    {
        "name": "cut_C",
        "probability": 0.1,
        "disruptions": [{"country": "CN", "start": "C", "cut": 0.5}],
    },
]


@pytest.fixture(scope="module")
def japan() -> Problem:
    """The Japan case as the file has it: before China's 2026 controls."""
    return optiree.load_problem(JAPAN)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """One real dask cluster on loopback for the module: two worker processes."""
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    with cluster, distributed.Client(cluster) as dask_client:
        yield dask_client


# --- random scenarios -------------------------------------------------------------------------


def test_the_same_seed_draws_the_same_scenarios(japan: Problem) -> None:
    first = random_scenarios(japan, 50, seed=7)
    assert first == random_scenarios(japan, 50, seed=7)
    assert first != random_scenarios(japan, 50, seed=8)
    assert random_scenarios(japan, 10, seed=7) == first[:10]  # each draw has its own stream
    assert [s.name for s in first[:2]] == ["r0001", "r0002"]
    assert random_scenarios(japan, 10_000, seed=1)[-1].name == "r10000"  # r0001 ... r9999, r10000


def test_every_drawn_scenario_is_valid(japan: Problem) -> None:
    drawn = random_scenarios(japan, 300, seed=3, materials=["Dy", "Tb"], max_length=3)
    Problem.model_validate(japan.model_dump() | {"scenarios": [s.model_dump() for s in drawn]})
    for scenario in drawn:
        assert scenario.probability is None
        assert len(scenario.disruptions) <= 1
        for d in scenario.disruptions:
            assert d.country == "CN"
            assert d.materials in (["Dy"], ["Tb"], ["Dy", "Tb"])
            assert d.length is not None
            assert 1 <= d.length <= 3
            assert japan.periods.index(d.start) + d.length <= len(japan.periods)
            assert d.cut == 1.0 or 0.1 <= d.cut <= 0.9
    for scenario in drawn[:20]:
        assert apply(japan, scenario).scenarios == []


def test_the_draws_are_uniform() -> None:
    """4 periods, lengths 0..4, three materials (7 non-empty subsets), half embargoes."""
    problem = Problem.model_validate(
        _hand(periods=["A", "B", "C", "D"], materials=[{"id": m} for m in ("Dy", "Tb", "Nd")])
        | {"demand": {"Dy": 1, "Tb": 1, "Nd": 1}}
    )
    n = 3500
    drawn = random_scenarios(problem, n, seed=11, min_length=1)
    disruptions = [s.disruptions[0] for s in drawn]
    starts = Counter(d.start for d in disruptions)
    subsets = Counter(tuple(d.materials or []) for d in disruptions)
    embargoes = sum(d.cut == 1.0 for d in disruptions)
    assert set(starts) == {"A", "B", "C", "D"}
    assert all(abs(count - n / 4) < 0.1 * n / 4 for count in starts.values())
    assert len(subsets) == 7
    assert all(abs(count - n / 7) < 0.15 * n / 7 for count in subsets.values())
    assert abs(embargoes - n / 2) < 0.05 * n
    # Drawn lengths 1..4 are cut at the end: a start in D lasts one period.
    assert {d.length for d in disruptions if d.start == "D"} == {1}
    no_disruption = random_scenarios(problem, n, seed=11)
    assert abs(sum(not s.disruptions for s in no_disruption) - n / 5) < 0.15 * n / 5


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"n": 0}, "n must be a whole number of scenarios, at least 1; got 0"),
        ({"country": "XX"}, "unknown country 'XX'; the sources' countries are: CN, AU"),
        ({"materials": ["Dy", "Nd"]}, "unknown material(s) Nd; known: Dy"),
        ({"materials": []}, "materials is empty"),
        ({"min_length": 2, "max_length": 1}, "0 <= min_length <= max_length; got 2, 1"),
        ({"cut_range": (0.5, 1.5)}, "cut_range must satisfy 0 <= low <= high <= 1"),
        ({"embargo_probability": 2.0}, "embargo_probability must be in [0, 1]"),
        ({"seed": -1}, "seed must be a whole number >= 0"),
    ],
)
def test_bad_draws_say_what_is_wrong(arguments: dict[str, Any], words: str) -> None:
    problem = Problem.model_validate(_hand())
    call: dict[str, Any] = {"n": 3, "seed": 0} | arguments
    with pytest.raises(OptireeError, match="cannot draw random scenarios") as caught:
        random_scenarios(problem, **call)
    assert words in str(caught.value)


def test_every_mistake_at_once() -> None:
    with pytest.raises(OptireeError) as caught:
        random_scenarios(Problem.model_validate(_hand()), 0, seed=0, country="XX")
    assert "at least 1" in str(caught.value)
    assert "unknown country 'XX'" in str(caught.value)


# --- the sweep, by hand -----------------------------------------------------------------------


def test_sweep_by_hand() -> None:
    """Shortage costs 1,000/t, a tonne below the 10 t target 1,000 / 6 a period (the default:
    the penalty over twice the periods), one left below it at the end China's 100 more.

    - none: China 60 + 50 + 50 t, 10 t held each period: 16,000 + 30 = 16,030.
    - embargo_B: A buys China's 60 t and Lynas' 20 t (30 t held), B Lynas' 20 t and draws the
      stock to 0 (10 t below target, charged: 1,666.67, against 10,000 to keep it by going
      short), C China's 60 t (rebuilt, 10 held): 6,000 + 3,000 + 30 + 3,000 + 1,666.67 +
      6,000 + 10 = 19,706.67. Bought: China 120 t, Lynas 40 t of 160.
    - embargo_BC: A as above, then Lynas' 20 t in B and in C: 30 + 40 of 100 t, 30 t short.
      With s t held at the end of B, s t are short in B, and 10 - s t below target beyond
      them are charged: s = 5 costs 5 in holding, and nothing is charged. The 10 t below at
      the end cost 100 each: 6,000 + 9,000 + 30 + 5 + 30,000 + 1,000 = 46,035. China 60 t,
      Lynas 60 t.
    - cut_C (China at 30 t in C): China's spare 10 t held from A and B (20 t in stock by B),
      C buys China's 30 t and 10 t from Lynas and keeps its 10 t: 12,000 + 3,000 + 1,500 +
      holding 10 + 20 + 10 = 16,540: more than no disruption (the rule is not lifted).
    """
    problem = Problem.model_validate(_hand())
    scenarios = [Scenario.model_validate(s) for s in HAND_SCENARIOS]
    swept = sweep(problem, scenarios, executor="serial", penalty=1000)
    table = swept.table
    assert list(table.columns) == [
        "scenario",
        "probability",
        "status",
        "total_cost",
        "short_Dy",
        "share_CN",
        "share_AU",
        "start",
        "length",
        "cut",
        "materials",
    ]
    assert table["scenario"].tolist() == ["none", "embargo_B", "embargo_BC", "cut_C"]
    assert table["probability"].tolist() == [0.4, 0.3, 0.2, 0.1]
    assert (table["status"] == "optimal").all()
    costs = [16_030, 18_000 + 40 + 10_000 / 6, 46_035, 16_540]
    assert table["total_cost"].tolist() == pytest.approx(costs)
    assert table["short_Dy"].tolist() == pytest.approx([0, 0, 30, 0])
    assert table["share_CN"].tolist() == pytest.approx([1, 120 / 160, 0.5, 150 / 160])
    assert table["share_AU"].tolist() == pytest.approx([0, 40 / 160, 0.5, 10 / 160])
    assert table["start"].isna().tolist() == [True, False, False, False]
    assert table["start"].tolist()[1:] == ["B", "B", "C"]
    assert table["length"].tolist() == [0, 1, 2, 1]  # a disruption to the end: 2 periods
    assert table["cut"].tolist()[1:] == [1.0, 1.0, 0.5]
    assert table["materials"].tolist()[1:] == ["Dy", "Dy", "Dy"]
    expected = (table["probability"] * table["total_cost"]).sum()
    assert expected == pytest.approx(
        sum(p * c for p, c in zip([0.4, 0.3, 0.2, 0.1], costs, strict=True))
    )
    assert (swept.currency, swept.solver) == ("USD", "highs")


def test_the_default_penalty_is_fixed_from_the_problem() -> None:
    """No penalty given: 10 x the dearest price (Lynas, 150) = 1,500 per tonne short. An outage
    of Lynas in the scenario leaves China dearest at 100 but the penalty stays at 1,500, and
    the terminal price China's 100. embargo_BC as in test_sweep_by_hand, its 30 t short at
    1,500; all_out: 150 t short, the stock 10 t below target throughout (free: as many tonnes
    are short) and at the end (100 each)."""
    problem = Problem.model_validate(_hand())
    scenarios = [
        Scenario.model_validate(HAND_SCENARIOS[2] | {"probability": None}),
        Scenario.model_validate(
            {
                "name": "all_out",
                "disruptions": [{"country": "CN", "start": "A"}],
                "sources": [{"source": "lynas", "capacity_factor": 0}],
            }
        ),
    ]
    table = sweep(problem, scenarios, executor="serial").table
    assert table["total_cost"].tolist() == pytest.approx(
        [6_000 + 9_000 + 35 + 30 * 1_500 + 1_000, 150 * 1_500 + 1_000]
    )
    assert table["length"].tolist() == [2, 3]  # the one disruption, beside other changes


def test_a_scenario_without_a_plan_is_a_row_of_nan() -> None:
    """30% of demand must be coverable without China: Lynas' 20 t of 50 t covers it until a
    Lynas outage (shortage does not count as cover)."""
    rule = {"min_cover_without": [{"country": "CN", "share": 0.3}]}
    problem = Problem.model_validate(_hand(security=rule))
    outage = Scenario.model_validate(
        {"name": "out", "sources": [{"source": "lynas", "capacity_factor": 0}]}
    )
    table = sweep(problem, [Scenario(name="ok"), outage], executor="serial", penalty=1000).table
    assert table["status"].tolist() == ["optimal", "infeasible"]
    assert table.iloc[1][["total_cost", "short_Dy", "share_CN", "share_AU"]].isna().all()
    # Nothing changed in "ok" (length 0); "out" has no disruption to describe (length empty).
    assert table["length"].iloc[0] == 0
    assert table.iloc[1][["start", "length", "cut", "materials"]].isna().all()


def test_the_scenarios_are_checked_before_solving() -> None:
    problem = Problem.model_validate(_hand())
    with pytest.raises(ValidationError, match=r"scenarios\.1\.name"):
        sweep(problem, [Scenario(name="a"), Scenario(name="a")], executor="serial")
    unknown = Scenario.model_validate(
        {"name": "a", "disruptions": [{"country": "RU", "start": "A"}]}
    )
    with pytest.raises(ValidationError, match="unknown country 'RU'"):
        sweep(problem, [unknown], executor="serial")
    with pytest.raises(OptireeError, match="nothing to sweep"):
        sweep(problem, [], executor="serial")
    with pytest.raises(OptireeError, match="unknown executor 'serail'"):
        sweep(problem, [Scenario(name="a")], executor="serail")
    with pytest.raises(OptireeError, match="unknown solver"):
        sweep(problem, [Scenario(name="a")], solver="gurobbi")


def test_no_progress_bar_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    problem = Problem.model_validate(_hand())
    sweep(problem, [Scenario(name="a")], executor="serial")
    assert capsys.readouterr() == ("", "")


# --- executors give the same table ------------------------------------------------------------


@pytest.fixture(scope="module")
def japan_draws(japan: Problem) -> list[Scenario]:
    return random_scenarios(japan, 24, seed=2026)


@pytest.fixture(scope="module")
def japan_serial(japan: Problem, japan_draws: list[Scenario]) -> pd.DataFrame:
    return sweep(japan, japan_draws, executor="serial").table


def test_processes_give_the_serial_table(
    japan: Problem, japan_draws: list[Scenario], japan_serial: pd.DataFrame
) -> None:
    processes = sweep(japan, japan_draws, executor="processes").table
    pd.testing.assert_frame_equal(processes, japan_serial, check_exact=True)


def test_dask_gives_the_serial_table(
    japan: Problem, japan_draws: list[Scenario], japan_serial: pd.DataFrame, client: Any
) -> None:
    for _ in range(2):  # twice on one client: nothing of the first sweep is left in the way
        by_client = sweep(japan, japan_draws, executor=client).table
        pd.testing.assert_frame_equal(by_client, japan_serial, check_exact=True)
    by_address = sweep(japan, japan_draws, executor=client.scheduler.address).table
    pd.testing.assert_frame_equal(by_address, japan_serial, check_exact=True)


def test_dask_on_a_cluster_of_its_own() -> None:
    problem = Problem.model_validate(_hand())
    scenarios = [Scenario.model_validate(s) for s in HAND_SCENARIOS]
    serial = sweep(problem, scenarios, executor="serial", penalty=1000).table
    own = sweep(problem, scenarios, executor="dask", penalty=1000).table
    pd.testing.assert_frame_equal(own, serial, check_exact=True)


def test_dask_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    problem = Problem.model_validate(_hand())
    with pytest.raises(MissingDependencyError, match=r"pip install 'optiree\[dask\]'"):
        sweep(problem, [Scenario(name="a")], executor="dask")


# --- the command ------------------------------------------------------------------------------


def _file(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "problem.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def test_command_writes_csv_and_parquet_that_read_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path, _hand(shortage_penalty={"Dy": 1000}))
    problem = optiree.load_problem(path)
    expected = sweep(problem, random_scenarios(problem, 20, seed=5), executor="serial").table
    for name, read in [("table.csv", pd.read_csv), ("table.parquet", pd.read_parquet)]:
        out = tmp_path / name
        command = ["sweep", str(path), "--scenarios", "20", "--seed", "5", "--serial"]
        assert main([*command, "--out", str(out)]) == 0
        printed = capsys.readouterr().out
        assert "hand: sweep of random disruptions by CN, seed 5 (solver: highs)" in printed
        assert f"Table written to {out}" in printed
        # Parquet reads back bit for bit; the CSV holds each float to 12 significant digits
        # (optiree.words.CSV_DIGITS), so it reads back to within 5e-12 of it.
        exact = read is pd.read_parquet
        pd.testing.assert_frame_equal(read(out), expected, check_exact=exact, rtol=1e-11)


def test_command_sweeps_the_file_scenarios(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path, _hand(scenarios=HAND_SCENARIOS, shortage_penalty={"Dy": 1000}))
    assert main(["sweep", str(path), "--serial"]) == 0
    printed = capsys.readouterr().out
    assert "4 scenarios: 4 optimal, 1 with a shortage" in printed
    assert "Expected total cost: 23,185 USD" in printed
    lines = printed.splitlines()
    worst = lines[lines.index("Worst 4 by total cost:") + 2 :]
    assert [line.split()[0] for line in worst] == ["embargo_BC", "embargo_B", "cut_C", "none"]


def test_command_runs_on_a_dask_scheduler(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], client: Any
) -> None:
    path = _file(tmp_path, _hand(scenarios=HAND_SCENARIOS, shortage_penalty={"Dy": 1000}))
    assert main(["sweep", str(path), "--dask", client.scheduler.address]) == 0
    assert "Expected total cost: 23,185 USD" in capsys.readouterr().out


def test_command_without_a_plan_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outage = {"name": "out", "sources": [{"source": "lynas", "capacity_factor": 0}]}
    rule = {"min_cover_without": [{"country": "CN", "share": 0.3}]}
    path = _file(tmp_path, _hand(security=rule, scenarios=[{"name": "ok"}, outage]))
    out = tmp_path / "table.csv"
    assert main(["sweep", str(path), "--serial", "--out", str(out)]) == 1
    assert "Expected total cost: not known, 1 not solved: out" in capsys.readouterr().out
    assert pd.read_csv(out)["status"].tolist() == ["optimal", "infeasible"]


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["--scenarios", "0"], "n must be a whole number of scenarios, at least 1; got 0"),
        (["--scenarios", "3", "--country", "XX"], "unknown country 'XX'"),
        (["--scenarios", "3", "--materials", "Dy,Nd"], "unknown material(s) Nd"),
        ([], "has no scenarios: give --scenarios N"),
        (["--scenarios", "3", "--out", "table.xlsx"], "give a file ending in .csv or .parquet"),
        (["--scenarios", "3", "--dask", "serial"], "give 'local' or a scheduler's address"),
    ],
)
def test_command_bad_arguments_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], words: str
) -> None:
    assert main(["sweep", str(_file(tmp_path, _hand())), *arguments]) == 2
    assert words in capsys.readouterr().err


def test_command_invalid_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = _hand(scenarios=[{"name": "x", "disruptions": [{"country": "RU", "start": "A"}]}])
    assert main(["sweep", str(_file(tmp_path, document))]) == 2
    assert "scenarios.0.disruptions.0.country: unknown country 'RU'" in capsys.readouterr().err


def test_parquet_without_pyarrow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'optiree\[parquet\]'"):
        write_sweep(pd.DataFrame({"scenario": ["a"]}), tmp_path / "t.parquet")
    out = tmp_path / "table.parquet"
    command = ["sweep", str(_file(tmp_path, _hand())), "--scenarios", "2", "--out", str(out)]
    assert main(command) == 1
    captured = capsys.readouterr()
    assert "pip install 'optiree[parquet]'" in captured.err
    assert captured.out == ""  # checked before the sweep, not after it
    assert not out.exists()


def test_the_docs_show_the_current_japan_sweep(japan: Problem) -> None:
    """docs/sweep.md's claims and its table by length, recomputed from a sweep of the file (the
    command's output itself is checked by tests/test_doc_snippets.py)."""
    table = sweep(japan, random_scenarios(japan, 300, seed=1), executor="serial").table
    page = (Path(__file__).resolve().parents[1] / "docs" / "sweep.md").read_text()
    none = optiree.solve(disrupted(japan)).total_cost
    assert none is not None
    calm = table[table["length"] == 0]
    assert calm["total_cost"].tolist() == pytest.approx([none] * len(calm), rel=1e-9)
    assert table["total_cost"].min() >= none * (1 - 1e-9)
    assert f"The {len(calm)} draws of length 0 cost {none:,.0f} USD" in page
    embargo_1y = optiree.solve(disrupted(japan, "embargo_1y")).total_cost
    assert table["total_cost"].max() == pytest.approx(embargo_1y, rel=1e-9)
    assert (table["short_NdPr"] == 0).all()
    short = table[["short_NdPr", "short_Dy", "short_Tb"]].sum(axis=1) > 1e-6
    assert f"**{short.sum()} draws leave demand unmet**" in page
    assert table.loc[short, "cut"].min() == 0.54
    assert table.loc[short, "length"].min() == 2
    for length, group in table.groupby("length"):
        row = (
            f"| {length} | {len(group)} | {short[group.index].sum()} | "
            f"{group['total_cost'].mean() / 1e6:,.0f} | {group['short_Dy'].mean():.1f} | "
            f"{group['short_Tb'].mean():.1f} |"
        )
        assert row in page, row
    assert table.groupby("length")["total_cost"].mean().is_monotonic_increasing
