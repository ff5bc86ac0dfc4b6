"""The dependency ranges that pyproject.toml declares are the ones CI tests.

CI runs the suite twice: with the newest releases the ranges allow (the README's test command)
and with the lowest, pinned by ``.ci/lowest-constraints.txt``. That file must name every floor of
pyproject.toml exactly, or one end of a range would go untested.
"""

import re
import tomllib
from pathlib import Path

from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / ".ci" / "lowest-constraints.txt"
TRANSITIVE = {"distributed", "pyparsing"}
"""Pinned in the constraints file for a floor to install, though pyproject.toml names none."""


def _name(requirement: str) -> str:
    """The normalised project name of a requirement such as ``dask[distributed]>=2024.1``."""
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group()).lower()


def floors() -> dict[str, Version]:
    """Each requirement's lower bound (``>=``) in pyproject.toml, dependencies and extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements.extend(extra)
    found: dict[str, Version] = {}
    for requirement in requirements:
        floor = re.search(r">=\s*([^,;\s]+)", requirement)
        if floor:
            name = _name(requirement)
            version = Version(floor.group(1))
            assert found.setdefault(name, version) == version, (
                f"{name} has two floors in pyproject.toml"
            )
    return found


def pinned() -> dict[str, Version]:
    """The ``name==version`` lines of the constraints file (8 and 8.0.0 are one version)."""
    lines = CONSTRAINTS.read_text(encoding="utf-8").splitlines()
    pins = [line.split("#")[0].strip() for line in lines]
    return {_name(pin): Version(pin.split("==")[1]) for pin in pins if pin}


def test_the_lowest_versions_are_pyprojects_floors() -> None:
    pins = pinned()
    assert {name: pins[name] for name in pins.keys() - TRANSITIVE} == floors()
    assert pins.keys() >= TRANSITIVE


def test_ci_runs_the_suite_at_the_floors() -> None:
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    install = '.venv-lowest/bin/pip install -c .ci/lowest-constraints.txt ".[test]"'
    assert install in run
    assert run.index(install) < run.index(".venv-lowest/bin/python -m pytest")
    assert ".venv-lowest/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
