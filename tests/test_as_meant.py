"""Files a person wrote are read as they meant, and tables are written for people to read.

YAML words stay text (``country: NO`` is Norway), syntax errors quote the file exactly with its
name, line and column, an unknown key gets "did you mean", a share written as a percentage gets
a hint, and every CSV optiree writes has no float noise and no ``inf``.
"""

import csv
import io
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import optiree
from optiree import schema
from optiree.cli import main
from optiree.disruption.sweep import write_sweep
from optiree.files import read_table, table_csv
from optiree.words import CSV_DIGITS, CSV_NO_LOWER_LIMIT, CSV_NO_UPPER_LIMIT, csv_number
from tests.samples import JAPAN, two_country


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _errors(document: Any) -> dict[str, str]:
    """Path -> message of every error of ``document`` as a problem."""
    with pytest.raises(ValidationError) as caught:
        optiree.Problem.model_validate(document)
    return {".".join(map(str, e["loc"])): e["msg"] for e in caught.value.errors()}


def _file_errors(path: Path) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        optiree.load_problem(path)
    return {".".join(map(str, e["loc"])): e["msg"] for e in caught.value.errors()}


# --- YAML words stay text ---

WORDS = ["NO", "No", "no", "YES", "yes", "ON", "On", "off", "OFF", "y", "n", "true", "False"]


@pytest.mark.parametrize("word", WORDS)
def test_a_yaml_word_where_an_id_or_a_name_is_expected_is_that_text(
    tmp_path: Path, word: str
) -> None:
    text = yaml.safe_dump(two_country()).replace("country: CN", f"country: {word}")
    text = text.replace("max_country_share:\n    CN:", f"max_country_share:\n    {word}:")
    text = text.replace("name: two country", f"name: {word}")
    assert f"country: {word}" in text
    assert f"    {word}: 0.6" in text
    assert f"name: {word}" in text
    problem = optiree.load_problem(_write(tmp_path / "p.yaml", text))
    assert problem.sources[0].country == word
    assert problem.security.max_country_share == {word: 0.6}
    assert problem.name == word
    assert word in problem.countries


@pytest.mark.parametrize("word", ["yes", "true", "off"])
def test_a_yaml_word_where_a_number_is_expected_is_refused_as_text(
    tmp_path: Path, word: str
) -> None:
    text = yaml.safe_dump(two_country()).replace("Dy: 50", f"Dy: {word}")
    with pytest.raises(ValidationError) as caught:
        optiree.load_problem(_write(tmp_path / "p.yaml", text))
    (error,) = caught.value.errors()
    assert error["loc"] == ("demand", "Dy", "value")
    assert error["msg"] == "Input should be a valid number"
    assert error["input"] == word


def test_an_explicit_yaml_boolean_is_still_a_boolean(tmp_path: Path) -> None:
    text = yaml.safe_dump(two_country()).replace("country: CN", "country: !!bool yes")
    assert _file_errors(_write(tmp_path / "p.yaml", text)) == {
        "sources.0.country": "Input should be a valid string"
    }


# --- syntax errors: the file's name, line, column and text, exactly ---

BROKEN = """name: test
materials: [{id: NdPr}]
sources:
  - {id: a, country: NO, capacity: {NdPr: 10}, prices: {NdPr: 5}
demand: {NdPr: 5}
"""


def test_a_yaml_syntax_error_quotes_the_file_exactly(tmp_path: Path) -> None:
    path = _write(tmp_path / "broken.yaml", BROKEN)
    message = _file_errors(path)["file"]
    assert message.startswith(f"{path}: invalid YAML: while parsing a flow mapping\n")
    assert f'in "{path}", line 4, column 5:' in message
    assert f'in "{path}", line 5, column 1:' in message
    assert "  - {id: a, country: NO, capacity: {NdPr: 10}, prices: {NdPr: 5}\n" in message
    assert "expected ',' or '}', but got '<scalar>'" in message
    assert "<unicode string>" not in message


def test_the_command_prints_the_syntax_error_with_its_braces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "broken.yaml", BROKEN)
    assert main(["validate", str(path)]) == 2
    printed = capsys.readouterr().err
    assert "demand: {NdPr: 5}" in printed
    assert "(NdPr" not in printed


def test_a_message_quoting_braces_keeps_them(tmp_path: Path) -> None:
    path = _write(tmp_path / "twice.yaml", "name: a\n'{x}': 1\n'{x}': 2\n")
    assert "key '{x}' appears twice in one mapping" in _file_errors(path)["file"]


# --- did you mean ---


def test_an_unknown_key_gets_the_field_it_likely_means() -> None:
    document = two_country()
    document["sources"][0]["capacities"] = document["sources"][0].pop("capacity")
    document["sources"][1]["price"] = {"Dy": 5}
    document["securty"] = document.pop("security")
    errors = _errors(document)
    assert errors["sources.0.capacities"] == (
        "Extra inputs are not permitted: did you mean 'capacity'?"
    )
    assert errors["sources.1.price"] == "Extra inputs are not permitted: did you mean 'prices'?"
    assert errors["securty"] == "Extra inputs are not permitted: did you mean 'security'?"


def test_an_unknown_key_like_no_field_lists_the_keys_accepted_there() -> None:
    document = two_country()
    document["stock"] = {"zzz": 1}
    fields = ", ".join(map(repr, schema.Stock.model_fields))
    assert _errors(document) == {
        "stock.zzz": f"Extra inputs are not permitted: the keys accepted here are {fields}"
    }


def test_other_errors_stay_as_they_were_beside_a_hinted_key() -> None:
    document = two_country()
    document["sources"][0]["capacites"] = 1
    document["sources"][0]["price_multiplier"] = -1
    before = _errors({**two_country(), "sources": [document["sources"][0] | {"capacites": None}]})
    errors = _errors(document)
    assert errors["sources.0.capacites"].endswith("did you mean 'capacity'?")
    assert errors["sources.0.price_multiplier"] == before["sources.0.price_multiplier"]
    assert errors["sources.0.price_multiplier"] == "Input should be greater than 0"


def _models() -> list[type[schema.StrictModel]]:
    found, stack = [], [schema.StrictModel]
    while stack:
        model = stack.pop()
        found += model.__subclasses__()
        stack += model.__subclasses__()
    return found


@pytest.mark.parametrize("model", _models(), ids=lambda model: model.__name__)
def test_every_field_of_every_model_is_suggested_for_its_typo(model: type[BaseModel]) -> None:
    for field in model.model_fields:
        typo = field[:-1] + "_" if len(field) > 3 else field + "x"
        with pytest.raises(ValidationError) as caught:
            model.model_validate({typo: None})
        (error,) = [e for e in caught.value.errors() if e["loc"] == (typo,)]
        assert error["type"] == "extra_forbidden"
        assert error["msg"].endswith(f"did you mean {field!r}?"), (typo, error["msg"])


# --- shares are fractions ---


@pytest.mark.parametrize(("written", "hint"), [(60, "60% is 0.6"), (1.5, "1.5% is 0.015")])
def test_a_share_above_1_says_shares_are_fractions(written: float, hint: str) -> None:
    document = two_country()
    document["security"]["max_country_share"]["CN"] = written
    assert _errors(document) == {
        "security.max_country_share.CN": (
            f"Input should be less than or equal to 1 (shares are fractions: {hint})"
        )
    }


def test_every_share_field_gives_the_hint() -> None:
    document = two_country()
    embargo = {"country": "CN", "start": "P1", "cut": 80}
    document["scenarios"] = [{"name": "cut", "probability": 30, "disruptions": [embargo]}]
    errors = _errors(document)
    assert errors["scenarios.0.disruptions.0.cut"].endswith("(shares are fractions: 80% is 0.8)")
    assert errors["scenarios.0.probability"].endswith("(shares are fractions: 30% is 0.3)")


@pytest.mark.parametrize("written", [-1, math.inf, math.nan, True])
def test_other_bad_shares_keep_their_own_message(written: object) -> None:
    document = two_country()
    document["security"]["max_country_share"]["CN"] = written
    (message,) = _errors(document).values()
    assert "fractions" not in message


# --- CSV for people: 12 significant digits, infinities as words ---


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _significant_digits(cell: str) -> int:
    mantissa = cell.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    return len(mantissa.rstrip("0") if "." in cell or "e" in cell else mantissa)


def _assert_for_people(text: str) -> None:
    for cell in _cells(text):
        assert cell.lower() not in {"inf", "-inf", "infinity", "-infinity"}, cell
        try:
            float(cell)
        except ValueError:
            continue
        assert _significant_digits(cell) <= CSV_DIGITS, cell


def test_float_noise_and_infinities_are_not_written() -> None:
    table = pd.DataFrame(
        {
            "tonnes": [5.280000000000001, 1250.0, 1e-7, math.nan],
            "price_low": [-math.inf, 0.1 + 0.2, 499.98219178082195, 2.0],
            "price_high": [math.inf, 96000.0, 1e15 + 0.5, -0.0],
            "tier": [1, 2, 3, 4],
            "source": ["a", "b", "c", "d"],
        }
    )
    assert table_csv(table) == (
        "tonnes,price_low,price_high,tier,source\n"
        f"5.28,{CSV_NO_LOWER_LIMIT},{CSV_NO_UPPER_LIMIT},1,a\n"
        "1250.0,0.3,96000.0,2,b\n"
        "1e-07,499.982191781,1000000000000000.0,3,c\n"
        ",2.0,-0.0,4,d\n"
    )


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_csv_number_has_12_digits_and_reads_back_to_them(value: float) -> None:
    cell = csv_number(value)
    _assert_for_people(cell)
    assert float(cell) == float(f"{value:.12g}")
    assert math.isclose(float(cell), value, rel_tol=5e-12, abs_tol=0)


def test_result_files_are_written_for_people_and_read_back(tmp_path: Path) -> None:
    result = optiree.solve(optiree.Problem.model_validate(two_country()))
    assert (result.purchases["price_high"] == math.inf).any()  # what would have been "inf"
    out = result.write(tmp_path / "out")
    for name, table in result.tables().items():
        _assert_for_people((out / f"{name}.csv").read_text())
        floats = [key for key, column in table.items() if pd.api.types.is_float_dtype(column)]
        read = read_table(out / f"{name}.csv")[floats]
        pd.testing.assert_frame_equal(read, table[floats], rtol=1e-11, check_dtype=table.size > 0)
    assert CSV_NO_UPPER_LIMIT in (out / "purchases.csv").read_text()


def test_solve_out_writes_the_japan_tables_for_people(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["solve", str(JAPAN), "--scenario", "controls_2026", "--out", str(out)]) == 0
    purchases = (out / "purchases.csv").read_text()
    assert CSV_NO_LOWER_LIMIT in purchases
    assert CSV_NO_UPPER_LIMIT in purchases
    for path in out.glob("*.csv"):
        _assert_for_people(path.read_text())


def test_frontier_and_sweep_tables_are_written_for_people(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.yaml", yaml.safe_dump(two_country()))
    frontier = tmp_path / "frontier.csv"
    assert main(["frontier", str(path), "--points", "7", "--out", str(frontier)]) == 0
    _assert_for_people(frontier.read_text())
    sweep = write_sweep(pd.DataFrame({"cost": [5.280000000000001, math.inf]}), tmp_path / "s.csv")
    assert sweep.read_text() == f"cost\n5.28\n{CSV_NO_UPPER_LIMIT}\n"
