"""Files a person wrote are read as they meant.

YAML words stay text (``country: NO`` is Norway), syntax errors quote the file exactly with its
name, line and column, an unknown key gets "did you mean", and a share written as a percentage
gets a hint.
"""

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

import optiree
from optiree import schema
from optiree.cli import main
from tests.samples import two_country


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
