"""Every example script runs and passes its own checks; the README's first command works."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "examples").glob("*.py"))
PROBLEM_FILES = sorted((ROOT / "examples").glob("*.yaml"))
QUOTED = {"japan_2026.py": ROOT / "docs" / "japan.md"}
"""The page that pastes what a script prints: each of its text blocks whose first line the
script prints must be in the script's output as it stands."""


def test_examples_exist() -> None:
    assert SCRIPTS, "no example scripts found in examples/"
    assert PROBLEM_FILES, "no example problems found in examples/"


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_example_script_runs(script: Path, tmp_path: Path) -> None:
    # From another folder, to show the script does not depend on the working directory.
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert "optimal" in done.stdout
    if script.name in QUOTED:
        blocks = re.findall(r"```text\n(.*?)```", QUOTED[script.name].read_text(), re.S)
        printed = [b for b in blocks if b.splitlines()[0] in done.stdout.splitlines()]
        assert len(printed) >= 3, (
            f"{QUOTED[script.name].name} should paste what {script.name} prints"
        )
        for block in printed:
            assert block in done.stdout, (
                f"{QUOTED[script.name].name} pastes another output:\n{block}"
            )


@pytest.mark.parametrize("problem", PROBLEM_FILES, ids=[p.name for p in PROBLEM_FILES])
@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_example_problem_solves(problem: Path, solver: str, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "optiree", "solve", str(problem), "--solver", solver]
    done = subprocess.run(
        [*command, "--out", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "summary.json").exists()


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text)


def test_readme_opens_with_two_commands() -> None:
    first, second = _readme_commands()[:2]
    assert "optiree solve examples/japan_2026.yaml" in first
    assert "pytest" in second
    assert (ROOT / "examples" / "japan_2026.yaml").exists()
    assert second in (ROOT / ".ci" / "run").read_text(), ".ci/run must run the test command"


def test_readme_first_command_on_a_fresh_copy(tmp_path: Path) -> None:
    """Runs the README's first command as written, in a copy of the repository."""
    copy = tmp_path / "optiree"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".git", ".venv*", "*.egg-info", "build", "__pycache__", ".*_cache", ".hypothesis"
        ),
    )
    first = _readme_commands()[0]
    done = subprocess.run(
        ["bash", "-c", first], cwd=copy, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "optimal" in done.stdout
    assert "Total cost:" in done.stdout
