"""Fuzzed input: whatever a document holds, optiree answers with a named error or a result.

Documents are drawn by mutating valid problems (every input feature is in one of them): keys
deleted, values replaced by the wrong type, extreme or non-finite numbers, unicode and unknown
ids, deep nesting, long lists, unknown keys; and as YAML or JSON text, also with characters
spliced in. The properties: validating raises nothing but pydantic's ValidationError, every
error of which names its field; a problem that validates solves to a Result or raises one of
optiree's own errors (or a ValidationError naming the field whose number, converted to t REO,
is out of range); reading text raises nothing but ValidationError.

The number of examples follows the hypothesis profile (tests/conftest.py): 2,000 per property
in ``ci``, 50,000 in ``thorough``.
"""

import copy
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import optiree
from optiree import OptireeError, Problem, Status
from optiree.io import parse_document
from tests.samples import JAPAN, full, two_country
from tests.test_supply import contract_problem, feed_problem, ramp_problem, tier_problem

EXAMPLES = {"ci": 2_000, "dev": 100, "thorough": 50_000}[os.environ.get("HYPOTHESIS_PROFILE", "ci")]
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

Document = dict[str, Any]


def _japan() -> Document:
    loaded: Document = yaml.safe_load(JAPAN.read_text())
    return loaded


def _units() -> Document:
    document = two_country()
    document["units"] = {"demand": "t magnet", "prices": "kg metal", "quantities": "kg REO"}
    document["materials"][0]["reo_per_tonne"] = {"metal": 1.15, "magnet": 0.05}
    document["scenarios"] = [
        {"name": "cut", "disruptions": [{"country": "CN", "start": "P1", "cut": 0.5}]}
    ]
    return document


BASES: list[Callable[[], Document]] = [
    two_country,
    full,
    feed_problem,
    tier_problem,
    lambda: contract_problem(min_tonnes=80, sum_over=["periods"], take_or_pay=100),
    lambda: ramp_problem({"max_increase": 5, "max_growth": 0.5}, share=0.5),
    _units,
    _japan,
]
DOCUMENTS = [base() for base in BASES]

NUMBERS = st.one_of(
    st.sampled_from([0, -1, -0.0, 1e-300, 1e300, 1e308, math.inf, -math.inf, math.nan, 2**70]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
)
TEXT = st.one_of(
    st.sampled_from(["", " ", "CN", "P1", "NdPr", "2026Q1", "é", "中国", "a" * 65, "x.y", "🙂"]),
    st.text(max_size=20),
)
JUNK = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBERS, TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a document, dict keys and list positions, to a depth of 30."""
    found = [path]
    if len(path) >= 30:
        return found
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*path, i))
    return found


def _get(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def _depth(value: Any) -> int:
    """How deep lists and dicts nest in ``value`` (iteratively: it may be deep)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack += [(v, level + 1) for v in item.values()]
        elif isinstance(item, list):
            stack += [(v, level + 1) for v in item]
    return deepest


def _nested(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def documents(draw: st.DrawFn) -> Document:
    """A valid problem with one to three mutations."""
    document = copy.deepcopy(draw(st.sampled_from(DOCUMENTS)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(document)
        path = draw(st.sampled_from(paths))
        parent_path, key = path[:-1], path[-1] if path else None
        target = _get(document, path)
        parent = _get(document, parent_path) if path else None
        kind = draw(
            st.sampled_from(
                ["delete", "replace", "number", "text", "unknown_key", "nest", "long", "duplicate"]
            )
        )
        if kind == "delete" and parent is not None:
            del parent[key]
        elif kind in ("replace", "number", "text") and parent is not None:
            strategy = {"replace": JUNK, "number": NUMBERS, "text": TEXT}[kind]
            parent[key] = draw(strategy)
        elif kind == "unknown_key" and isinstance(target, dict):
            target[draw(TEXT)] = draw(JUNK)
        elif kind == "nest" and parent is not None:
            parent[key] = _nested(target, draw(st.sampled_from([2, 50, 300])))
        elif kind == "long" and isinstance(target, list) and target:
            target.extend([copy.deepcopy(target[0])] * draw(st.sampled_from([1, 100, 5_000])))
        elif kind == "duplicate" and isinstance(target, list) and target:
            target.append(copy.deepcopy(target[-1]))
    return document


def _names_fields(error: ValidationError) -> None:
    for detail in error.errors():
        assert detail["loc"], f"an error without a field: {detail}"
        assert detail["msg"], f"an error without a message: {detail}"


@FUZZ
@given(documents())
def test_any_document_validates_or_names_its_fields(document: Document) -> None:
    try:
        problem = Problem.model_validate(document)
    except ValidationError as error:
        _names_fields(error)
        return
    try:
        result = optiree.solve(problem)
    except ValidationError as error:  # valid as written, not once converted to t REO
        _names_fields(error)
        return
    except OptireeError as error:
        message = str(error)
        assert message, "an optiree error without a message"
        return
    assert result.status in set(Status)
    assert result.message
    if result.is_optimal:
        assert result.total_cost is not None
        assert math.isfinite(result.total_cost)


@FUZZ
@given(
    documents(),
    st.sampled_from(["yaml", "json"]),
    st.lists(st.tuples(st.integers(0), TEXT), max_size=3),
)
def test_any_text_reads_or_names_its_fields(
    document: Document, form: str, splices: list[tuple[int, str]]
) -> None:
    """The document as YAML or JSON text, with text spliced in at random places (documents
    nested deeper than the serialisers can write are left to tests/test_io.py's own files)."""
    assume(_depth(document) < 150)
    if form == "json":
        text = json.dumps(document, allow_nan=True)
    else:
        text = yaml.safe_dump(document, allow_unicode=True)
    for at, piece in splices:
        where = at % (len(text) + 1)
        text = text[:where] + piece + text[where:]
    try:
        Problem.model_validate(parse_document(text, Path(f"fuzz.{form}")))
    except ValidationError as error:
        _names_fields(error)
