"""The ``optiree`` command: output, files and exit codes (0 optimal, 1 not solved, 2 invalid)."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from optiree.cli import main
from tests.samples import stockpile, two_country


def _file(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "problem.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def test_solve_prints_the_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(_file(tmp_path, two_country()))]) == 0
    out = capsys.readouterr().out
    assert "two country: optimal (solver: highs)" in out
    assert "Total cost: 6,000 USD" in out
    assert "max_share(CN,Dy,P1)" in out  # the binding 60% rule, with its shadow price
    assert "50.00" in out


def test_solve_with_cbc_writes_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results"
    code = main(
        ["solve", str(_file(tmp_path, two_country())), "--solver", "cbc", "--out", str(out)]
    )
    assert code == 0
    assert f"Results written to {out}" in capsys.readouterr().out
    assert json.loads((out / "summary.json").read_text())["total_cost"] == pytest.approx(6000)


def test_infeasible_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = two_country()
    document["caps"] = [{"country": "CN", "max_tonnes": 0}]
    document["sources"][1]["capacity"] = {"Dy": 10}
    assert main(["solve", str(_file(tmp_path, document))]) == 1
    out = capsys.readouterr().out
    assert "infeasible" in out
    # The diagnosis follows: Lynas holds 10 t of the 50 t, so the embargo must give 40 t.
    assert "cap cap1 (at most 0.0 t from CN) must give 40.0 t" in out
    assert "caps.0.max_tonnes" in out


def test_invalid_input_exits_2_and_names_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = two_country()
    document["sources"][0]["capacity"]["Tb"] = 5
    out = tmp_path / "results"
    for command in (["validate"], ["solve", "--out", str(out)]):
        assert main([*command, str(_file(tmp_path, document))]) == 2
        error = capsys.readouterr().err
        assert "sources.0.capacity.Tb: unknown material 'Tb'" in error
    assert not out.exists()


def test_unreadable_files_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert main(["validate", str(empty)]) == 2
    assert "file: " in capsys.readouterr().err
    assert main(["validate", str(tmp_path / "missing.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_validate_says_what_it_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(_file(tmp_path, two_country()))]) == 0
    assert "1 materials, 2 sources, 1 periods" in capsys.readouterr().out


def test_bad_time_limit_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(_file(tmp_path, two_country())), "--time-limit", "0"]) == 2
    assert "time_limit must be a positive" in capsys.readouterr().err


def test_console_script_and_module_run(tmp_path: Path) -> None:
    path = _file(tmp_path, two_country())
    done = subprocess.run(
        [sys.executable, "-m", "optiree", "solve", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Total cost: 6,000 USD" in done.stdout


def test_solve_out_writes_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results"
    assert main(["solve", str(_file(tmp_path, two_country())), "--out", str(out)]) == 0
    assert "Figures written: sourcing_mix.png, stock_trajectory.png, cost_breakdown.png" in (
        capsys.readouterr().out
    )
    for name in ("sourcing_mix", "stock_trajectory", "cost_breakdown"):
        assert (out / f"{name}.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_report_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "report.html"
    path = _file(tmp_path, two_country())
    assert main(["report", str(path), "--out", str(page), "--country", "CN"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "two country: optimal (solver: highs)",
        f"Report written to {page}",
    ]
    text = page.read_text()
    assert "max_share(CN,Dy,P1)" in text
    assert text.count("data:image/png;base64,") == 4  # three plan figures and the frontier


def test_report_of_an_infeasible_problem(tmp_path: Path) -> None:
    document = two_country()
    document["caps"] = [{"country": "CN", "max_tonnes": 0}]
    document["sources"][1]["capacity"] = {"Dy": 10}
    page = tmp_path / "report.html"
    assert main(["report", str(_file(tmp_path, document)), "--out", str(page)]) == 1
    assert "infeasible" in page.read_text()


def test_solve_refuses_to_overwrite_results_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path, two_country())
    out = tmp_path / "results"
    assert main(["solve", str(path), "--out", str(out)]) == 0
    (out / "notes.txt").write_text("mine\n")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    assert main(["solve", str(path), "--out", str(out), "--solver", "cbc"]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"error: {out} already holds results (costs.csv, purchases.csv, feeds.csv, ...): "
        "give --force to replace them\n"
    )
    assert "optimal" not in captured.out  # refused before solving
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert main(["solve", str(path), "--out", str(out), "--solver", "cbc", "--force"]) == 0
    assert json.loads((out / "summary.json").read_text())["solver"] == "cbc"
    assert (out / "notes.txt").read_text() == "mine\n"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_solve_refuses_a_folder_with_figures_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results"
    out.mkdir()
    (out / "sourcing_mix.png").write_bytes(b"mine")
    assert main(["solve", str(_file(tmp_path, two_country())), "--out", str(out)]) == 2
    assert "already holds results (sourcing_mix.png)" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["sourcing_mix.png"]


def test_solve_out_a_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results"
    out.write_text("a file")
    assert main(["solve", str(_file(tmp_path, two_country())), "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"error: --out {out} is a file: give a folder\n"


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (["report"], "--out"),
        (["frontier", "--points", "2"], "--out"),
        (["frontier", "--points", "2"], "--plot"),
        (["sweep", "--scenarios", "2", "--serial"], "--out"),
    ],
)
def test_file_outputs_are_not_overwritten_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str], option: str
) -> None:
    taken = tmp_path / ("taken.png" if option == "--plot" else "taken.csv")
    if command == ["report"]:
        taken = tmp_path / "taken.html"
    taken.write_text("mine\n")
    name, *rest = command
    argv = [name, str(_file(tmp_path, two_country())), *rest, option, str(taken)]
    assert main(argv) == 2
    assert capsys.readouterr().err == f"error: {taken} already exists: give --force to replace it\n"
    assert taken.read_text() == "mine\n"
    assert main([*argv, "--force"]) == 0
    assert taken.read_bytes() != b"mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["problem.yaml", taken.name]


def test_solve_a_scenario_and_all_of_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The stockpile of docs/formulation.md: 4,040 without the embargo, 10,226 with it."""
    path = _file(tmp_path, stockpile())
    assert main(["solve", str(path), "--scenario", "embargo"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("stockpile [embargo]: optimal, but demand is not met")
    assert "Total cost: 10,226 USD" in out
    assert main(["solve", str(path), "--scenario", "none"]) == 0
    assert "Total cost: 4,040 USD" in capsys.readouterr().out
    assert main(["solve", str(path), "--scenario", "all"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert [row[:4] for row in rows] == [
        ["none", "optimal", "4,040", "0"],
        ["embargo", "optimal", "10,226", "6,186"],
    ]
    assert main(["solve", str(path), "--scenario", "nope"]) == 2
    assert "no scenario 'nope' in 'stockpile'; its scenarios: embargo" in capsys.readouterr().err


def test_report_of_a_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "report.html"
    path = _file(tmp_path, stockpile())
    assert main(["report", str(path), "--scenario", "embargo", "--out", str(page)]) == 0
    assert "stockpile [embargo]: optimal, but demand is not met" in capsys.readouterr().out
    assert "10,226" in page.read_text(encoding="utf-8")
