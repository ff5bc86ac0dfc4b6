"""The package's shape, checked: the direction of its imports and how complex its code reads.

The import graph is read from the source with :mod:`ast`, every ``import`` counted wherever it
stands (module level, inside a function or under ``TYPE_CHECKING``). The layers, lowest first:

- **base**: exceptions, the collector pause, the version, the rule catalogue, the words and
  number formats for people, the atomic file writes;
- **input**: the schema, units, reading a problem file and the problem workbook;
- **core**: prepare -> model -> solver choice (solvers) and adapter (handoff) -> solve -> results,
  and verify;
- **analyses** (sensitivity, frontier, diagnose) and the **disruption** family (a folder);
- **output**: the HTML report and figures;
- **cli**.

A module imports only from its own layer or lower ones; analyses do not import each other
(nor the disruption family, nor it them); nothing imports the CLI or the package's own
``__init__``; there is no circle.
"""

import ast
from pathlib import Path

import pytest
from radon.complexity import cc_visit

from optiree.rules import Rule

PACKAGE = Path(__file__).resolve().parent.parent / "optiree"

LAYERS: dict[str, tuple[str, ...]] = {
    "base": (
        "errors",
        "collector",
        "version",
        "rules",
        "words",
        "files",
        "arguments",
        "sums",
        "columns",
    ),
    "input": ("schema", "units", "io", "workbook"),
    "core": ("prepare", "model", "solvers", "handoff", "solve", "verify", "results"),
    "analyses": ("sensitivity", "frontier", "diagnose"),
    "disruption": ("disruption",),
    "output": ("html", "plots"),
    "cli": ("cli", "__main__"),
}
RANK = {"base": 0, "input": 1, "core": 2, "analyses": 3, "disruption": 3, "output": 4, "cli": 5}
ENTRY = {"optiree", "optiree.__main__"}
"""Modules nothing may import: the package's ``__init__`` (it imports everything) and
``python -m optiree``."""


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(module: str) -> set[str]:
    """The optiree modules ``module`` imports, resolved to module names."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # ``from optiree import arguments`` imports the module, not the package.
            submodules = {f"{base}.{alias.name}" for alias in node.names} & MODULES.keys()
            found.update(submodules or {base})
    return {name for name in found if name in MODULES} - {module}


GRAPH = {module: _imports(module) for module in MODULES}


def _layer(module: str) -> str:
    top = module.split(".")[1] if "." in module else ""
    for layer, members in LAYERS.items():
        if top in members:
            return layer
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS in {__file__}")


@pytest.mark.parametrize("module", sorted(set(MODULES) - ENTRY))
def test_every_module_has_a_layer(module: str) -> None:
    assert _layer(module) in RANK


@pytest.mark.parametrize("module", sorted(set(MODULES) - ENTRY))
def test_imports_point_down(module: str) -> None:
    layer = _layer(module)
    wrong = sorted(
        imported
        for imported in GRAPH[module] - ENTRY
        if RANK[_layer(imported)] > RANK[layer]
        or (
            layer in {"analyses", "disruption"}
            and _layer(imported) in {"analyses", "disruption"}
            and _layer(imported) != layer
        )
        or (layer == "analyses" and _layer(imported) == "analyses")
    )
    assert not wrong, f"{module} ({layer}) imports {wrong}"


def test_nothing_imports_the_entry_points() -> None:
    wrong = sorted(
        (module, imported)
        for module, imports in GRAPH.items()
        for imported in imports
        if imported in ENTRY or imported == "optiree.cli"
        if module not in ENTRY
    )
    assert not wrong


def test_no_circles() -> None:
    """Depth-first search for a back edge; the circle found is named in full."""
    state: dict[str, int] = {}
    trail: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        trail.append(module)
        for imported in sorted(GRAPH[module] - ENTRY):
            if state.get(imported) == 1:
                return [*trail[trail.index(imported) :], imported]
            if imported not in state and (circle := visit(imported)):
                return circle
        state[module] = 2
        trail.pop()
        return None

    for module in sorted(set(MODULES) - ENTRY):
        if module not in state and (circle := visit(module)):
            pytest.fail(" -> ".join(circle))


def test_mean_complexity_at_most_3() -> None:
    """radon's cyclomatic complexity, averaged over every function, method and class."""
    blocks = [
        block for path in MODULES.values() for block in cc_visit(path.read_text(encoding="utf-8"))
    ]
    mean = sum(block.complexity for block in blocks) / len(blocks)
    assert mean <= 3.0, f"mean complexity {mean:.2f} over {len(blocks)} blocks"


def test_no_function_above_complexity_12() -> None:
    """radon's count (boolean operators and comprehension conditions included) agrees with
    ruff's C901 limit of 12 on every function and method of the package."""
    over = [
        f"{path.name}:{block.lineno} {block.name} ({block.complexity})"
        for path in MODULES.values()
        for block in cc_visit(path.read_text(encoding="utf-8"))
        if block.complexity > 12
    ]
    assert not over, over


def _docstrings(tree: ast.AST) -> set[int]:
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def _naming(rule: Rule) -> set[str]:
    """The modules whose code (docstrings aside) names ``rule``: ``Rule.X`` or its value."""
    found = set()
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            member = (
                isinstance(node, ast.Attribute)
                and node.attr == rule.name
                and isinstance(node.value, ast.Name)
                and node.value.id == "Rule"
            )
            value = (
                isinstance(node, ast.Constant)
                and node.value == rule.value
                and id(node) not in docstrings
            )
            if member or value:
                found.add(module.rpartition(".")[2])
    return found


def test_a_security_rule_lives_in_few_modules() -> None:
    """``cover_without`` stands for a security rule added today: its row (model), its check
    (verify), its declaration (rules), its frontier and its own diagnosis sentence (words);
    its input field is ``security.min_cover_without`` in schema.py. Everything else reads the
    catalogue."""
    assert _naming(Rule.COVER_WITHOUT) == {"rules", "model", "verify", "frontier", "words"}
