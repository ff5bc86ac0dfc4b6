"""The two-stage model decomposed on mpi-sppy (optiree.disruption.stochastic.decompose).

The files are checked without MPI: one MPS file per scenario whose first-stage columns are
those its JSON file names, in the same order everywhere. The runs need the extra ``mpi`` and an
``mpiexec`` (skipped without them): on two local MPI processes, the bounds bracket the
extensive form's optimum RP, and the first stage is the extensive form's where the method
converges. Under CI (``CI`` set) they fail instead: .ci/run installs MPI and the extra.
"""

import importlib.util
import json
import os
import re
import shutil
from pathlib import Path

import pytest

import optiree
from optiree import MissingDependencyError, Problem
from optiree.cli import main
from optiree.disruption.stochastic import StochasticError, solve_stochastic
from optiree.disruption.stochastic.decompose import (
    Decomposed,
    bounds,
    solve_decomposed,
    write_scenario_files,
)
from tests.test_stochastic import _embargo_now_or_later

ROOT = Path(__file__).resolve().parents[1]
RP = 2_280.0
"""The optimum of ``_embargo_now_or_later`` (worked out in its docstring): 6 t carried into P2."""
TOLERANCE = 1e-6
"""Relative: mpi-sppy's bounds are printed to 4 decimals."""
MPI = all(importlib.util.find_spec(m) for m in ("mpisppy", "pyomo", "mip", "mpi4py")) and bool(
    shutil.which("mpiexec")
)
needs_mpi = pytest.mark.skipif(
    not MPI and not os.environ.get("CI"),
    reason="needs the extra mpi (pip install 'optiree[mpi]') and mpiexec",
)


@pytest.fixture
def mpi_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenMPI refuses root (CI's containers) and more processes than cores unless told."""
    monkeypatch.setenv("OMPI_ALLOW_RUN_AS_ROOT", "1")
    monkeypatch.setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    monkeypatch.setenv("OMPI_MCA_rmaps_base_oversubscribe", "1")


def _columns(mps: Path) -> list[str]:
    """The column names of an MPS file, in the order written."""
    section, names = "", []
    for line in mps.read_text(encoding="utf-8").splitlines():
        if not line.startswith(" "):
            section = line.split()[0]
        elif section == "COLUMNS" and line.split()[0] not in names:
            names.append(line.split()[0])
    return names


def test_each_scenario_is_an_mps_file_beside_its_probability_and_first_stage(
    tmp_path: Path,
) -> None:
    files = write_scenario_files(_embargo_now_or_later(), None, tmp_path)
    assert files.stems == {"calm": "scen0", "embargo": "scen1"}
    first = ["buy_china_Dy_P1_", "buy_lynas_Dy_P1_", "short_Dy_P1_", "stock_Dy_P1_"]
    assert list(files.columns.values()) == first
    for stem in files.stems.values():
        tree = json.loads((tmp_path / f"{stem}_nonants.json").read_text(encoding="utf-8"))
        assert tree["scenarioData"] == {"name": stem, "scenProb": 0.5}
        root = tree["treeData"]["nodes"]["ROOT"]
        assert root["condProb"] == 1.0
        assert root["nonAnts"] == first
        columns = _columns(tmp_path / f"{stem}.mps")
        assert set(first) <= set(columns)
        assert not any("P1" in c for c in set(columns) - set(first))  # P1 is all first stage
    assert files.constant == 0


def test_the_files_sort_in_the_scenarios_order(tmp_path: Path) -> None:
    problem = _embargo_now_or_later()
    scenarios = optiree.random_scenarios(problem, 11, seed=3)
    files = write_scenario_files(problem, scenarios, tmp_path)
    assert list(files.stems.values()) == sorted(files.stems.values())
    assert list(files.stems.values())[:2] == ["scen00", "scen01"]
    assert sorted(p.name for p in tmp_path.glob("*.mps")) == [f"scen{i:02d}.mps" for i in range(11)]


def test_a_missing_mpiexec_is_named_before_any_work(tmp_path: Path) -> None:
    folder = tmp_path / "files"
    with pytest.raises(MissingDependencyError, match=r"pip install 'optiree\[mpi\]'"):
        solve_decomposed(_embargo_now_or_later(), mpiexec=("no-such-mpiexec",), folder=folder)
    assert not folder.exists()


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"method": "dual"}, "method must be one of ph, lshaped"),
        ({"processes": 3}, "multiple of 2"),
        ({"processes": 1}, "whole number >= 2"),
        ({"processes": True}, "whole number >= 2"),
    ],
)
def test_wrong_arguments_are_refused(arguments: dict[str, object], says: str) -> None:
    with pytest.raises(StochasticError, match=says):
        solve_decomposed(_embargo_now_or_later(), **arguments)  # type: ignore[arg-type]


def test_the_bounds_are_read_from_the_last_row_after_termination() -> None:
    log = (
        "[    3.39]     0  *         1000.0000             inf           inf%             inf\n"
        "[    3.79] Statistics at termination\n"
        "[    3.80] Iter.           Best Bound  Best Incumbent      Rel. Gap        Abs. Gap\n"
        "[    3.80]    30    X       2150.0000       2280.0000         5.702%        130.0000\n"
    )
    assert bounds(log) == (2150.0, 2280.0)
    with pytest.raises(optiree.OptireeError, match="no bounds"):
        bounds(log.split("[    3.79]", maxsplit=1)[0])


def _stock(result: Decomposed) -> float:
    table = result.first_stage
    return float(table.loc[table["decision"] == "stock", "value"].sum())


@needs_mpi
@pytest.mark.usefixtures("mpi_environment")
@pytest.mark.parametrize("method", ["ph", "lshaped"])
def test_two_processes_bracket_the_hand_solved_optimum(
    method: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = solve_decomposed(_embargo_now_or_later(), method=method, iterations=100, timeout=300)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []  # mpi-sppy's logs went with the temporary files
    assert result.outer_bound <= RP * (1 + TOLERANCE)
    assert result.inner_bound * (1 + TOLERANCE) >= RP
    if method == "lshaped":  # the cuts reach RP; PH's outer bound is wait-and-see, 2,150
        assert result.outer_bound == pytest.approx(RP, rel=TOLERANCE)
    else:  # PH converges to the extensive form's first stage: 6 t carried into P2
        assert result.inner_bound == pytest.approx(RP, rel=TOLERANCE)
        assert _stock(result) == pytest.approx(6.0, abs=1e-4)
        assert "Inner bound: the best plan found                2,280" in result.summary()
        card = result._repr_html_()
        assert "optiree.Decomposed" in card
        assert "Inner bound: the best plan found" in card
        assert "first_stage (" in card


@needs_mpi
@pytest.mark.usefixtures("mpi_environment")
def test_the_bounds_bracket_the_extensive_form_on_sampled_scenarios_of_japan() -> None:
    problem: Problem = optiree.load_problem(ROOT / "examples" / "japan_2026.yaml")
    scenarios = optiree.random_scenarios(problem, 4, seed=1)
    rp = solve_stochastic(problem, scenarios).objective
    result = solve_decomposed(problem, scenarios, iterations=50, timeout=600)
    assert result.outer_bound <= rp * (1 + TOLERANCE)
    assert rp <= result.inner_bound * (1 + TOLERANCE)
    # L-shaped stops once its cuts are exhausted (its bound is then RP) or the gap is 1e-4
    assert result.outer_bound >= rp * (1 - 1e-4)


@needs_mpi
@pytest.mark.usefixtures("mpi_environment")
def test_the_docs_show_the_worked_example_as_it_prints() -> None:
    page = (ROOT / "docs" / "stochastic.md").read_text(encoding="utf-8")
    section = page[page.index("## Beyond one extensive form") : page.index("## The Japan")]
    (block,) = re.findall(r"```text\n(.*?)```", section, re.S)
    result = solve_decomposed(_embargo_now_or_later(), method="ph", iterations=100, timeout=300)
    assert result.summary().strip() == block.strip()


def test_ids_that_would_share_a_column_are_named(tmp_path: Path) -> None:
    problem = _embargo_now_or_later()
    twins = [
        source.model_copy(update={"id": name})
        for source in problem.sources[:1]
        for name in ("x_y", "x.y")
    ]
    clashing = problem.derive(sources=[*twins, *problem.sources[1:]])
    with pytest.raises(StochasticError, match=r"buy\(x\.y,Dy,P1\), buy\(x_y,Dy,P1\) differ only"):
        write_scenario_files(clashing, None, tmp_path)


@needs_mpi
@pytest.mark.usefixtures("mpi_environment")
def test_the_command_decomposes_the_files_scenarios(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    problem = tmp_path / "problem.json"
    problem.write_text(_embargo_now_or_later().model_dump_json(), encoding="utf-8")
    assert main(["stochastic", str(problem), "--decompose", "lshaped", "--quiet"]) == 0
    printed = capsys.readouterr().out
    outer = re.search(r"Outer bound: no plan costs less +([\d,]+)", printed)
    assert outer is not None, printed
    assert float(outer.group(1).replace(",", "")) == pytest.approx(RP, rel=TOLERANCE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["problem.json"]


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--decompose", "ph", "--processes", "3"], "--processes 3: give a multiple of 2"),
        (["--processes", "2"], "--processes runs --decompose"),
        (["--decompose", "ph", "--score", "5"], "drop --decompose"),
        (["--decompose", "ph", "--solver", "cbc"], "drop --solver cbc"),
        (["--decompose", "ph", "--tree", "tree.yaml"], "drop --decompose"),
    ],
)
def test_the_command_refuses_flags_that_do_not_go_with_decompose(
    flags: list[str], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problem = tmp_path / "problem.json"
    problem.write_text(_embargo_now_or_later().model_dump_json(), encoding="utf-8")
    assert main(["stochastic", str(problem), *flags]) == 2
    assert says in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["problem.json"]
