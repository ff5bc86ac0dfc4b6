"""Every code snippet in README.md and docs/*.md runs.

- ```python blocks run page by page, in order, in one namespace per page (a later block may use
  what an earlier one defined), with ``__name__ == "__main__"`` so that guarded ``main()``
  calls run too. Some pages show a call on names their prose introduces (``problem``,
  ``plan``...): ``CONTEXT`` defines those for the page before its first block.
- ```sh and ```console blocks: each ``optiree ...`` command runs through
  ``optiree.cli.main`` and must exit 0; a console block's printed lines must match what the
  command prints. A synopsis (``optiree solve FILE [--solver highs|cbc]``) is checked against
  the command's ``--help`` (every option it names exists) and then run in its shortest form,
  with FILE and DIR filled in. ``python examples/X.py`` runs the example. Lines that install
  packages or make a virtual environment (``pip install``, ``python3 -m venv``) and the test
  command itself (``python -m pytest``) are skipped: they are what set up this test.
- ```yaml problems are solved by tests/test_docs.py, not here.

Each page runs in its own temporary folder holding a copy of examples/ and a small
``problem.yaml`` (the page's own first problem, else ``DEFAULT_PROBLEM``), so files the
snippets write (``out/``, ``report.html``, ``/tmp/...``) land there.
"""

import contextlib
import re
import runpy
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib as mpl
import pytest
import yaml

from optiree.cli import main

mpl.use("Agg")
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
SHELL = ("sh", "console", "bash", "shell")
SKIPPED = re.compile(r"(^|/)pip install|-m venv|-m pytest")
"""Shell commands that are not run: installs, virtual environments, the test command."""

DEFAULT_PROBLEM = """\
name: snippets
periods: [P1, P2]
materials: [{id: Dy}]
reference_prices: {Dy: 100}
sources:
  - {id: china, country: CN, capacity: {Dy: 20}}
  - {id: lynas, country: AU, price_multiplier: 1.5, capacity: {Dy: 8}}
demand: {Dy: 10}
shortage_penalty: {Dy: 1000}
security: {max_country_share: {CN: 0.6}}
scenarios:
  - {name: calm}
  - {name: embargo, disruptions: [{country: CN, start: P2}]}
"""
"""problem.yaml for pages without a problem of their own: two periods, China and Australia,
a 60% rule and two scenarios, so that every command (sweep, frontier, report) has work."""

CONTEXT = {
    "diagnose.md": """
import optiree
problem = optiree.Problem.model_validate(
    {
        "name": "no plan",
        "materials": [{"id": "Dy"}],
        "reference_prices": {"Dy": 100},
        "sources": [
            {"id": "china", "country": "CN", "capacity": {"Dy": 100}},
            {"id": "lynas", "country": "AU", "capacity": {"Dy": 10}},
        ],
        "demand": {"Dy": 50},
        "security": {"max_country_share": {"CN": 0.6}},
    }
)
""",
    "stress_test.md": """
import optiree
page = optiree.load_problem("problem.yaml")  # the page's problem, with its stock rule
problem = optiree.Problem.model_validate(page.model_dump() | {"security": {}})
plan = stocked = optiree.solve(page)  # plans from copies with other rules, as the page says
lean = optiree.solve(problem)
scenarios = problem.scenarios
scenario = scenarios[0]
""",
    "sweep.md": """
import optiree
from optiree.disruption.scenarios import apply, for_disruption
problem = optiree.load_problem("problem.yaml")
s = problem.scenarios[1]
""",
}
"""Per page: the names its prose introduces and its snippets use, as code run first."""


def blocks(page: Path, languages: tuple[str, ...]) -> list[tuple[int, str, str]]:
    """The (line number, language, code) of each block of ``page`` in one of ``languages``."""
    text = page.read_text()
    return [
        (text.count("\n", 0, match.start()) + 1, match.group(1), match.group(2))
        for match in FENCE.finditer(text)
        if match.group(1) in languages
    ]


def _pages(languages: tuple[str, ...]) -> list[Path]:
    return [page for page in PAGES if blocks(page, languages)]


def _first_problem(page: Path) -> str | None:
    for _, _, block in blocks(page, ("yaml",)):
        if re.search(r"^materials:", block, re.MULTILINE):
            return block
    return None


@pytest.fixture
def workdir(page: Path, tmp_path: Path) -> Iterator[Path]:
    """A temporary folder with examples/ and problem.yaml, the working directory meanwhile."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / "problem.yaml").write_text(_first_problem(page) or DEFAULT_PROBLEM)
    with contextlib.chdir(tmp_path):
        yield tmp_path
    plt.close("all")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The address of a dask cluster on loopback, for the snippets that name a scheduler."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0"
    ) as cluster:
        yield cluster.scheduler_address


# --- Python -----------------------------------------------------------------------------------


PYTHON_PAGES = _pages(("python",))


def test_the_docs_have_python_snippets() -> None:
    names = {page.name for page in PYTHON_PAGES}
    assert {"README.md", "user_guide.md", "japan.md", "sweep.md"} <= names


@pytest.mark.parametrize("page", PYTHON_PAGES, ids=[page.name for page in PYTHON_PAGES])
@pytest.mark.usefixtures("workdir")
def test_python_snippets_run(
    page: Path, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    if page.name in CONTEXT:
        exec(CONTEXT[page.name], namespace)
    for line, _, block in blocks(page, ("python",)):
        code = block
        if "tcp://scheduler:8786" in block:  # a running cluster: one on loopback here
            code = block.replace("tcp://scheduler:8786", request.getfixturevalue("scheduler"))
        try:
            exec(compile(code, f"{page.name}:{line}", "exec"), namespace)
        except Exception as error:
            pytest.fail(f"{page.name}, the python block at line {line}: {error!r}")
    capsys.readouterr()


# --- Shell ------------------------------------------------------------------------------------


def commands(block: str, console: bool) -> list[tuple[str, list[str]]]:
    """Each command of a block with the lines it is shown to print (console blocks)."""
    lines = block.replace("\\\n", " ").splitlines()
    found: list[tuple[str, list[str]]] = []
    for line in lines:
        if console and not line.startswith("$ "):
            if found:
                found[-1][1].append(line)
            continue
        text = line.removeprefix("$ ") if console else line
        for part in text.split("&&"):
            if part.strip() and not part.lstrip().startswith("#"):
                found.append((part.strip(), []))
    return found


def _options(command: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", command))


def _shortest_form(command: str) -> list[str]:
    """A synopsis without its optional [...] parts, FILE and DIR filled in."""
    while re.search(r"\[[^\[\]]*\]", command):
        command = re.sub(r"\s*\[[^\[\]]*\]", "", command)
    words = shlex.split(command, comments=True)
    return [{"FILE": "problem.yaml", "DIR": "out"}.get(word, word) for word in words]


def _run_optiree(args: list[str], where: str, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    code = main(args)
    printed = capsys.readouterr()
    assert code == 0, f"{where}: optiree {shlex.join(args)} exited {code}: {printed.err}"
    return printed.out


def _check_synopsis(args: list[str], command: str, where: str, capsys: Any) -> None:
    """Every option a synopsis names is one the subcommand takes."""
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main([args[0], "--help"])
    known = _options(capsys.readouterr().out)
    unknown = _options(command) - known
    assert not unknown, f"{where}: optiree {args[0]} has no option {sorted(unknown)}"


def run_shell(command: str, shown: list[str], where: str, tmp: Path, capsys: Any) -> None:
    """Run one command of a shell block (see the module docstring for what is run)."""
    command = re.sub(r"(?<![\w.])/tmp/", f"{tmp}/", command)  # the page's /tmp: this test's
    words = shlex.split(command, comments=True)
    program = Path(words[0]).name
    if program == "optiree":
        args = _shortest_form(command)[1:]
        if "[" in command or re.search(r"\b(FILE|DIR)\b", command):
            _check_synopsis(args, command, where, capsys)
        printed = _run_optiree(args, where, capsys)
        if shown:
            assert printed.splitlines() == shown, f"{where}: {command} prints otherwise"
    elif program.startswith("python") and words[1:2] and words[1].endswith(".py"):
        runpy.run_path(words[1], run_name="__main__")
        capsys.readouterr()
    else:
        pytest.fail(f"{where}: no rule to run {command!r}: extend tests/test_doc_snippets.py")


SHELL_PAGES = _pages(SHELL)


def test_the_docs_have_shell_snippets() -> None:
    assert {"README.md", "user_guide.md", "japan.md"} <= {page.name for page in SHELL_PAGES}


@pytest.mark.parametrize("page", SHELL_PAGES, ids=[page.name for page in SHELL_PAGES])
def test_shell_snippets_run(page: Path, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for line, language, block in blocks(page, SHELL):
        for command, shown in commands(block, console=language == "console"):
            if not SKIPPED.search(command):
                run_shell(command, shown, f"{page.name}:{line}", workdir, capsys)


def test_synopses_are_read_as_meant() -> None:
    synopsis = "optiree frontier FILE [--country CN] [--rule a|b [--material M]] [--out CSV]"
    assert _shortest_form(synopsis) == ["optiree", "frontier", "problem.yaml"]
    assert _options(synopsis) == {"--country", "--rule", "--material", "--out"}
    assert commands("$ optiree validate x\nx: valid\n$ optiree solve x", console=True) == [
        ("optiree validate x", ["x: valid"]),
        ("optiree solve x", []),
    ]
    assert commands("a && b  # note\n# only a comment", console=False) == [
        ("a", []),
        ("b  # note", []),
    ]
    assert yaml.safe_load(DEFAULT_PROBLEM)["name"] == "snippets"
