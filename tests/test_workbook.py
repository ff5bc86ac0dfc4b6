"""Excel round trip: a problem as a workbook and back, errors naming the cell, the results
workbook, and the commands that read and write them."""

import math
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import optiree
import optiree.files
from optiree.cli import main
from optiree.workbook import SETTINGS, SHEETS, template, write_template
from tests.strategies import problems, subset_of, supply_problems

ROOT = Path(__file__).resolve().parent.parent
JAPAN = ROOT / "examples" / "japan_2026.yaml"


def _disruption(draw: st.DrawFn, problem: optiree.Problem) -> dict[str, Any]:
    periods = list(problem.periods)
    who = draw(st.sampled_from(["country", "source"]))
    target = (
        draw(st.sampled_from(sorted({s.country for s in problem.sources})))
        if who == "country"
        else draw(st.sampled_from([s.id for s in problem.sources]))
    )
    disruption: dict[str, Any] = {who: target, "start": draw(st.sampled_from(periods))}
    if draw(st.booleans()):
        disruption["length"] = 1
    if draw(st.booleans()):
        disruption["cut"] = draw(st.sampled_from([0.25, 0.5, 1.0]))
    if draw(st.booleans()):
        disruption["materials"] = subset_of(draw, [m.id for m in problem.materials])
    return disruption


def _scenario(draw: st.DrawFn, problem: optiree.Problem, i: int, weight: float | None) -> Any:
    materials = [m.id for m in problem.materials]
    scenario: dict[str, Any] = {"name": f"s{i}"}
    if weight is not None:
        scenario["probability"] = weight
    scenario["disruptions"] = [_disruption(draw, problem) for _ in range(draw(st.integers(0, 2)))]
    if draw(st.booleans()):
        scenario["sources"] = [
            {
                "source": draw(st.sampled_from([s.id for s in problem.sources])),
                "periods": subset_of(draw, list(problem.periods)),
                "price_factor": draw(st.sampled_from([0.5, 1.5, 2.0])),
            }
        ]
    if draw(st.booleans()):
        scenario["demand"] = [
            {
                "material": draw(st.sampled_from(materials)),
                "factor": draw(st.sampled_from([0.0, 1.25])),
            }
        ]
    if draw(st.booleans()):
        scenario["caps"] = [{"country": problem.sources[0].country, "max_tonnes": 10.0}]
    return scenario


@st.composite
def with_scenarios(draw: st.DrawFn, base: st.SearchStrategy[optiree.Problem]) -> optiree.Problem:
    """A problem of ``base`` with 0-3 scenarios of every kind (weighted half the time)."""
    problem = draw(base)
    count = draw(st.integers(0, 3))
    weight = 1 / count if count and draw(st.booleans()) else None
    scenarios = [_scenario(draw, problem, i, weight) for i in range(count)]
    return problem.derive(scenarios=scenarios)


def _round_trip(problem: optiree.Problem) -> optiree.Problem:
    """YAML -> workbook -> problem, through files and the public readers."""
    with tempfile.TemporaryDirectory() as folder:
        written = Path(folder) / "problem.yaml"
        written.write_text(yaml.safe_dump(problem.model_dump(mode="json")), encoding="utf-8")
        from_yaml = optiree.load_problem(written)
        assert from_yaml == problem
        book = write_template(Path(folder) / "problem.xlsx", from_yaml)
        return optiree.load_problem(book)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(with_scenarios(problems()))
def test_a_random_problem_round_trips(problem: optiree.Problem) -> None:
    assert _round_trip(problem) == problem


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(with_scenarios(supply_problems()))
def test_a_random_supply_problem_round_trips(problem: optiree.Problem) -> None:
    """Tiers, feeds, contracts, surplus, ramps, stock targets and units other than t REO."""
    assert _round_trip(problem) == problem


def test_the_japan_case_round_trips_and_solves_to_the_same_total(tmp_path: Path) -> None:
    problem = optiree.load_problem(JAPAN)
    again = optiree.load_problem(write_template(tmp_path / "japan.xlsx", problem))
    assert again == problem
    assert optiree.solve(again, solver="highs").total_cost == pytest.approx(
        optiree.solve(problem, solver="highs").total_cost, rel=1e-12
    )


def test_every_part_of_a_problem_has_its_place_in_a_workbook() -> None:
    """A field added to the problem gets a sheet (or a setting on ``problem``): writing a
    problem with investments or stages once raised AttributeError."""
    assert set(optiree.Problem.model_fields) == set(SETTINGS) | (set(SHEETS) - {"problem"})


@pytest.mark.parametrize(
    "example", sorted(p.name for p in (ROOT / "examples").glob("*.yaml")), ids=str
)
def test_every_example_round_trips(example: str, tmp_path: Path) -> None:
    problem = optiree.load_problem(ROOT / "examples" / example)
    assert optiree.load_problem(write_template(tmp_path / "book.xlsx", problem)) == problem


def _japan_book(tmp_path: Path) -> tuple[Path, Any]:
    """The Japan case written as a workbook: its path, and the workbook open for editing."""
    path = write_template(tmp_path / "japan.xlsx", optiree.load_problem(JAPAN))
    return path, openpyxl.load_workbook(path)


def _edited(tmp_path: Path, sheet: str, item: Any, field: str, value: Any) -> tuple[Path, int]:
    """The Japan workbook with the value of one row changed; the row's number."""
    path, book = _japan_book(tmp_path)
    row = next(
        cells
        for cells in book[sheet].iter_rows(min_row=2)
        if (cells[0].value, cells[1].value) == (item, field)
    )
    row[3].value = value
    book.save(path)
    return path, row[0].row


def _errors(path: Path) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        optiree.load_problem(path)
    return [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in caught.value.errors()]


def test_an_invalid_value_names_its_sheet_row_and_column(tmp_path: Path) -> None:
    path, row = _edited(tmp_path, "sources", 1, "capacity.NdPr", -5)
    (error,) = _errors(path)
    assert error.startswith(f"sources.0.capacity.NdPr.value: sheet 'sources', row {row}, column D")
    assert "greater than or equal to 0" in error


def test_text_for_a_number_names_its_cell(tmp_path: Path) -> None:
    path, row = _edited(tmp_path, "demand", "Dy", None, "lots")
    (error,) = _errors(path)
    assert f"sheet 'demand', row {row}, column D (value): Input should be a valid number" in error


def test_a_formula_no_program_computed_names_its_cell(tmp_path: Path) -> None:
    """A formula written by a script has no saved value: the row was skipped without a word
    (the demand then missing); now it is an error at its cell."""
    path, row = _edited(tmp_path, "demand", "Dy", None, "=2*100")
    (error,) = _errors(path)
    assert f"sheet 'demand', row {row}, column D (value): a formula without a saved value" in error


def test_a_bad_path_names_its_cell(tmp_path: Path) -> None:
    path, book = _japan_book(tmp_path)
    book["contracts"]["B3"].value = "source..x"
    book.save(path)
    (error,) = _errors(path)
    assert "sheet 'contracts', row 3, column B (field): 'source..x' is not a path" in error


def test_a_value_given_twice_names_both_cells(tmp_path: Path) -> None:
    path, book = _japan_book(tmp_path)
    book["demand"].append(["NdPr", None, None, 5])
    last = book["demand"].max_row
    book.save(path)
    (error,) = _errors(path)
    assert (
        f"sheet 'demand', row {last}, column B (field): this value is given already, in " in error
    )
    assert "sheet 'demand', row 2, column D" in error


def test_an_unknown_sheet_and_a_bad_entry_number_name_their_cells(tmp_path: Path) -> None:
    path, book = _japan_book(tmp_path)
    book["sources"]["A2"].value = "first"
    book.save(path)
    (error,) = _errors(path)
    assert "sheet 'sources', row 2, column A (item): 'first' is not an entry number" in error
    book["sources"]["A2"].value = 1
    book["demand"].title = "demands"
    book.save(path)
    (error,) = _errors(path)
    assert "sheet 'demands', row 1, column A (item): no such part of a problem" in error


def test_a_file_that_is_no_workbook_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "problem.xlsx"
    path.write_bytes(b"name: not a workbook\n")
    (error,) = _errors(path)
    assert error.startswith("file: ")
    assert "is not an Excel workbook" in error


def test_a_blank_template_has_every_sheet_with_headers_and_notes(tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    path.write_bytes(template())
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["about", *SHEETS]
    for name in SHEETS:
        assert [c.value for c in book[name][1]] == ["item", "field", "period", "value"]
        assert book[name]["D1"].comment is not None
        assert book[name].max_row == 1
    errors = _errors(path)
    assert "name: sheet 'problem', no row with item 'name': Field required" in errors


def _cell(value: Any) -> Any:
    """A table's value as the workbook holds it (an empty cell for NaN or empty text)."""
    value = value.item() if hasattr(value, "item") else value
    if value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and math.isinf(value):
        return "infinite" if value > 0 else "-infinite"
    return value


def _near(value: Any) -> Any:
    """A number to 15 significant digits (openpyxl writes 16), else the value itself."""
    return pytest.approx(value, rel=1e-15) if isinstance(value, float) else value


def test_the_results_workbook_holds_every_table_with_units(tmp_path: Path) -> None:
    result = optiree.solve(optiree.load_problem(JAPAN), solver="highs")
    book = openpyxl.load_workbook(result.write(tmp_path / "plan.xlsx"))
    assert book.sheetnames == ["summary", *result.tables()]
    summary = {row[0]: row[1:] for row in book["summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["status"] == ("optimal", None)
    assert summary["total_cost"] == (pytest.approx(result.total_cost, rel=1e-15), "USD")
    assert summary["unmet tonnes: Dy"] == (0.0, "t REO")
    assert book["summary"]["B7"].number_format == "#,##0.00"  # the total cost
    assert book["purchases"]["E2"].number_format == "#,##0.00##"  # tonnes: 1,250.00, 5.28
    for name, table in result.tables().items():
        rows = list(book[name].iter_rows(values_only=True))
        headers = [str(h).split(" [")[0] for h in rows[0]]
        assert headers == list(table.columns)
        read = pd.DataFrame(rows[1:], columns=headers, dtype=object)
        expected = [[_cell(v) for v in row] for row in table.itertuples(index=False)]
        assert len(read) == len(expected)
        for got, want in zip(read.itertuples(index=False), expected, strict=True):
            assert list(got) == [_near(value) for value in want]
    purchases = [c.value for c in book["purchases"][1]]
    assert "tonnes [t REO]" in purchases
    assert "unit_price [USD/t REO]" in purchases
    assert book["purchases"]["I2"].number_format == "#,##0.00"
    assert book["shares"]["E2"].number_format == "0.0%"
    assert book["purchases"]["A2"].number_format == "General"  # text stays text


def test_the_results_workbook_is_not_replaced_without_overwrite(tmp_path: Path) -> None:
    result = optiree.solve(optiree.load_problem(JAPAN), solver="highs")
    path = tmp_path / "plan.xlsx"
    path.write_bytes(b"mine")
    with pytest.raises(optiree.OutputError, match="already exists"):
        result.write(path)
    assert path.read_bytes() == b"mine"
    result.write(path, overwrite=True)
    assert openpyxl.load_workbook(path).sheetnames[0] == "summary"


def test_the_commands_take_a_workbook_in_and_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book, plan = tmp_path / "japan.xlsx", tmp_path / "plan.xlsx"
    assert main(["template", str(book), "--from", str(JAPAN)]) == 0
    assert main(["template", str(book)]) == 2
    assert "give --force" in capsys.readouterr().err
    assert main(["validate", str(book)]) == 0
    assert main(["solve", str(book), "--out", str(plan)]) == 0
    assert f"Results written to {plan}" in capsys.readouterr().out
    assert main(["solve", str(book), "--out", str(plan)]) == 2
    assert openpyxl.load_workbook(plan).sheetnames[0] == "summary"
    assert main(["template", str(tmp_path / "blank.txt")]) == 2


def test_a_missing_openpyxl_is_named_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def missing(name: str) -> Any:
        raise ImportError(name)

    monkeypatch.setattr(optiree.files.importlib, "import_module", missing)
    assert main(["solve", str(JAPAN), "--out", str(tmp_path / "plan.xlsx")]) == 1
    captured = capsys.readouterr()
    assert "pip install 'optiree[excel]'" in captured.err
    assert captured.out == ""  # nothing solved
    assert not (tmp_path / "plan.xlsx").exists()
