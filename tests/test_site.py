"""The documentation site builds in strict mode, with the generated references complete.

One ``mkdocs build --strict`` (mkdocs.yml, docs/, docs/hooks.py) into a temporary folder: a
broken link or anchor, a page left out of the nav, or a docstring mkdocstrings cannot read is a
warning, and strict mode makes it a failure. The build needs no network, nor does the site.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import optiree
from optiree import plots

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


def _pages(site: Path) -> dict[Path, str]:
    return {path: path.read_text() for path in sorted(site.rglob("*.html"))}


def test_the_maths_is_mathml_written_at_build(site: Path) -> None:
    """Every formula is MathML in the page (no script typesets it); none is left as TeX."""
    page = _page(site, "formulation")
    source = (ROOT / "docs" / "formulation.md").read_text()
    formulas = len(re.findall(r"\$\$.+?\$\$|\$[^$\n]+?\$", source, re.DOTALL))
    assert page.count("<math ") == formulas > 100
    assert "<mi>t</mi><mo>&#x02208;</mo><mi>T</mi>" in page  # $t \in T$
    assert page.count('display="block">') == source.count("$$") // 2
    for path, text in _pages(site).items():
        assert "\\(" not in text, path  # an inline formula MathJax would have had to typeset
        assert 'class="arithmatex"' not in text, path


def test_no_page_loads_anything_from_the_network(site: Path) -> None:
    """Scripts, stylesheets, fonts and pictures all come from the site itself: it reads the same
    offline. Each one a page names is in the built site."""
    loads = re.compile(r'<(?:script|link|img)\b[^>]*?\b(?:src|href)="([^"]+)"')
    for path, text in _pages(site).items():
        for url in loads.findall(text):
            assert not re.match(r"(https?:)?//", url), f"{path.relative_to(site)} loads {url}"
            if not url.startswith(("data:", "#")):
                base = site if url.startswith("/") else path.parent  # 404.html: from the root
                target = base / url.split("#")[0].split("?")[0].lstrip("/")
                assert target.exists(), f"{path.relative_to(site)} loads {url}, not in the site"
    assert "mathjax" not in _page(site, "formulation").lower()


def test_docstring_roles_become_links_or_code(site: Path) -> None:
    pages = "".join(path.read_text() for path in (site / "reference").rglob("index.html"))
    for role in ("func", "class", "meth", "attr", "mod"):
        assert f":{role}:" not in pages
    solve = _page(site, "reference/solve")
    assert 'href="../results/#optiree.results.optimal_result"' in solve  # a documented object
    assert "<code>optiree.prepare.prepare</code>" in solve  # a module without a page


def test_the_japan_figures_are_drawn_at_build_and_shown(site: Path) -> None:
    """The figures of ``optiree solve --out`` and ``report`` and the frontier, for the Japan
    case, made by ``optiree.plots`` when the site is built (none is committed) and shown on the
    Japan page and the report page."""
    names = [*plots.FIGURES, "frontier.png"]
    folder = site / "figures" / "japan"
    assert sorted(path.name for path in folder.iterdir()) == sorted(names)
    assert not (ROOT / "docs" / "figures").exists()
    problem = optiree.load_problem(ROOT / "examples" / "japan_2026.yaml")
    drawn = plots.figure_files(optiree.solve(problem), problem)
    for name, picture in drawn.items():
        assert (folder / name).read_bytes() == picture, name
    assert (folder / "frontier.png").read_bytes().startswith(b"\x89PNG")
    for page in ("japan", "report"):
        html = _page(site, page)
        for name in names:
            assert f'src="../figures/japan/{name}"' in html, (page, name)


def test_the_package_example_is_a_code_block(site: Path) -> None:
    """The doctest of ``optiree``'s docstring shows as code, one line per statement, not as a
    one-line quote."""
    page = _page(site, "reference")
    assert "<blockquote>" not in page
    code = re.sub(r"<[^>]+>", "", page[page.index('<div class="highlight">') :])
    assert "&gt;&gt;&gt; import optiree\n&gt;&gt;&gt; problem = optiree.load_problem(" in code


def _pictures() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_pictures", ROOT / "docs/pictures/make.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_user_guide_shows_the_excel_and_notebook_pictures(site: Path) -> None:
    page = _page(site, "user_guide")
    for name in ("workbook_prices.png", "notebook_card.png", "plan_summary.png"):
        assert f'src="../pictures/{name}"' in page, name
        assert (site / "pictures" / name).read_bytes().startswith(b"\x89PNG"), name
    assert not (site / "pictures" / "make.py").exists()


def test_the_pictures_are_drawn_from_the_real_card_and_workbooks(tmp_path: Path) -> None:
    """docs/pictures/make.py draws the Japan case's card and the workbooks of the Excel
    workflow, run with the ``optiree`` command: the cells it draws are the files' own."""
    make = _pictures()
    book, plan, edited = make.excel_workflow(tmp_path)
    assert edited == "D2"
    prices = make.workbook_html(book, "reference_prices", edited=edited)
    assert '<td class="number edited">120000</td>' in prices
    assert '<span class="active">reference_prices</span>' in prices
    dearer = optiree.solve(optiree.load_problem(book))
    summary = make.workbook_html(plan, "summary", rows=24)
    assert f'<td class="number">{dearer.total_cost:,.2f}</td>' in summary
    problem = optiree.load_problem(ROOT / "examples" / "japan_2026.yaml")
    card = make.notebook_html(optiree.solve(problem))
    assert "Total cost: 1,345,119,637 USD" in card
    assert card.count("<details open>") == 1


def test_the_pictures_show_cells_as_excel_does() -> None:
    make = _pictures()
    assert make.shown(1234.5, "#,##0.00") == "1,234.50"
    assert make.shown(0.25, "0.0%") == "25.0%"
    assert make.shown(1250.0, "#,##0.00##") == "1,250.00"
    assert make.shown(5.28, "#,##0.00##") == "5.28"
    assert make.shown(0.123456, "#,##0.00##") == "0.1235"
    assert make.shown(1441617600.2021918, "General") == "1441617600"
    assert make.shown(None, "General") == ""


def test_the_japan_case_shows_its_stage_figure(site: Path, tmp_path: Path) -> None:
    """docs/japan.md, "Japan at every stage": the committed picture is the stage figure of
    examples/japan_2026_stages.yaml as docs/pictures/make.py draws it (same size in pixels:
    the pixels themselves depend on the fonts of the machine)."""
    page = _page(site, "japan")
    assert 'src="../pictures/japan_stage_shares.png"' in page
    committed = (site / "pictures" / "japan_stage_shares.png").read_bytes()
    drawn = _pictures().stage_shares_png()
    assert committed.startswith(b"\x89PNG")
    assert committed[16:24] == drawn[16:24]  # width and height, from the IHDR chunk
