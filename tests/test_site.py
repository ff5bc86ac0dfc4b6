"""The documentation site builds in strict mode, with the generated references complete.

One ``mkdocs build --strict`` (mkdocs.yml, docs/, docs/hooks.py) into a temporary folder: a
broken link or anchor, a page left out of the nav, or a docstring mkdocstrings cannot read is a
warning, and strict mode makes it a failure. The build needs no network.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import optiree

ROOT = Path(__file__).resolve().parents[1]


def _hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site (the build's output is in the assertion message if it fails)."""
    out = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        # Material's notice about MkDocs 2.0 is not a warning of this build.
        env=os.environ | {"NO_MKDOCS_2_WARNING": "1"},
        timeout=600,
        check=False,
    )
    log = build.stdout + build.stderr
    assert build.returncode == 0, log
    assert "WARNING" not in log, log
    return out


def _page(site: Path, name: str) -> str:
    return (site / name / "index.html").read_text() if name else (site / "index.html").read_text()


def test_every_page_is_built(site: Path) -> None:
    for page in sorted((ROOT / "docs").glob("*.md")):
        name = "" if page.stem == "index" else page.stem
        assert _page(site, name), page.name
    for module in ("schema", "results", "errors"):
        assert f'id="optiree.{module}"' in _page(site, f"reference/{module}")
    for module in ("scenarios", "stress", "stochastic", "sweep"):
        assert f'id="optiree.disruption.{module}"' in _page(site, f"reference/{module}")


def test_the_api_reference_documents_every_export(site: Path) -> None:
    pages = "".join(path.read_text() for path in (site / "reference").rglob("index.html"))
    modules = _hooks().export_modules()
    for name in optiree.__all__:
        if name != "__version__":
            assert f'id="{modules[name]}.{name}"' in pages, name
    overview = _page(site, "reference")
    assert all(f"<code>{name}</code>" in overview for name in optiree.__all__)


def test_the_schema_page_lists_every_model_and_field(site: Path) -> None:
    schema = optiree.Problem.model_json_schema()
    page = _page(site, "schema")
    models = {"Problem": schema, **schema["$defs"]}
    for model, model_schema in models.items():
        start = page.index(f'id="{model.lower()}"')
        end = page.find('<h2 id="', start + 1)
        section = page[start : end if end > 0 else None]
        for field in model_schema["properties"]:
            assert f"<code>{field}</code>" in section, f"{model}.{field}"
    assert optiree.schema.ID_PATTERN.pattern in page
    assert "≤ 1" in page  # a share's bound
    assert "Ordered period labels" in page  # a field docstring as its description


def test_the_schema_file_is_the_problem_schema(site: Path) -> None:
    document = json.loads((site / "schema.json").read_text())
    schema = optiree.Problem.model_json_schema()
    assert document["properties"].keys() == schema["properties"].keys()
    assert document["$defs"].keys() == schema["$defs"].keys()
    described = document["$defs"]["Source"]["properties"]["price_multiplier"]
    assert described["description"].startswith("Price = reference price")  # its docstring


def test_links_to_the_examples_work_in_the_site(site: Path) -> None:
    assert (site / "examples" / "japan_2026.yaml").read_text() == (
        ROOT / "examples" / "japan_2026.yaml"
    ).read_text()
    assert 'href="../examples/japan_2026.yaml"' in _page(site, "japan")


def test_the_maths_is_left_to_mathjax(site: Path) -> None:
    page = _page(site, "formulation")
    assert 'class="arithmatex"' in page
    assert "javascripts/mathjax.js" in page


def test_docstring_roles_become_links_or_code(site: Path) -> None:
    pages = "".join(path.read_text() for path in (site / "reference").rglob("index.html"))
    for role in ("func", "class", "meth", "attr", "mod"):
        assert f":{role}:" not in pages
    solve = _page(site, "reference/solve")
    assert 'href="../results/#optiree.results.optimal_result"' in solve  # a documented object
    assert "<code>optiree.prepare.prepare</code>" in solve  # a module without a page
