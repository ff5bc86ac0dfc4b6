"""MkDocs hooks: pages and files that are generated at build time, never committed.

- ``schema.md``: the input reference, generated from the JSON schema of
  :class:`optiree.Problem`: every model, field, type, default, constraint and description.
- ``schema.json``: that JSON schema, to download (field docstrings are its descriptions).
- ``examples/*``: the bundled examples, so that the pages' links to ``../examples/...`` (which
  work on GitHub) work in the site too.
- ``figures/japan/*.png``: the figures optiree draws for the Japan case (``optiree.plots``),
  shown where a page says ``<!-- optiree-japan-figures -->``.

The maths (``$...$`` and ``$$...$$``, which pymdownx.arithmatex wraps in ``\\(...\\)`` and
``\\[...\\]``) is turned into MathML when the site is built (latex2mathml), so that the pages
show it without a script, a font or a network.
"""

import ast
import html
import inspect
import json
import re
from pathlib import Path
from typing import Any

from latex2mathml.converter import convert as latex_to_mathml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

import optiree
from optiree import plots
from optiree import schema as schema_module

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SCHEMA_PAGE = "schema.md"
SCHEMA_FILE = "schema.json"
JAPAN = EXAMPLES / "japan_2026.yaml"
FIGURES = "figures/japan"
FIGURES_MARK = "<!-- optiree-japan-figures -->"
MATHS = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">'
    r"(?:\\\((?P<inline>.*?)\\\)|\\\[(?P<block>.*?)\\\])</(?P=tag)>",
    re.DOTALL,
)
_CONSTRAINTS = {
    "minimum": "≥ {}",
    "exclusiveMinimum": "> {}",
    "maximum": "≤ {}",
    "exclusiveMaximum": "< {}",
    "minLength": "at least {} characters",
    "maxLength": "at most {} characters",
    "minItems": "at least {} items",
    "maxItems": "at most {} items",
    "minProperties": "at least {} entries",
    "maxProperties": "at most {} entries",
    "pattern": "pattern `{}`",
}


def _text(text: str) -> str:
    """Docstring text as one Markdown table cell: reST roles and literals as code, one line."""
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"`\1`", text)
    text = re.sub(r"``([^`]+)``", r"`\1`", text)
    return " ".join(text.split()).replace("|", "\\|")


ID_PATTERN = f"^{schema_module.ID_PATTERN.pattern}$"


def _values(schema: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The key and value schemas of a dict-valued field, or None for any other field."""
    if isinstance(schema.get("additionalProperties"), dict):
        return schema.get("propertyNames", {}), schema["additionalProperties"]
    patterns = schema.get("patternProperties", {})
    if len(patterns) == 1:
        ((pattern, values),) = patterns.items()
        return {"type": "string", "pattern": pattern}, values
    return None


def _type(schema: dict[str, Any]) -> str:
    """A short type name: ``number``, ``list of Source``, ``dict of id to number``..."""
    unions = [schema[key] for key in ("anyOf", "oneOf", "allOf") if key in schema]
    keys_values = _values(schema)
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        text = f"[{name}](#{name.lower()})"
    elif unions:
        text = " or ".join(dict.fromkeys(_type(option) for option in unions[0]))
    elif "const" in schema or "enum" in schema:
        values = [schema["const"]] if "const" in schema else schema["enum"]
        text = " or ".join(f"`{json.dumps(value)}`" for value in values)
    elif schema.get("pattern") == ID_PATTERN:
        text = "[id](#ids)"
    elif schema.get("type") == "array":
        text = f"list of {_type(schema.get('items', {}))}"
    elif keys_values is not None:
        value = _type(keys_values[1])
        text = f"dict of {_type(keys_values[0])} to {f'({value})' if ' or ' in value else value}"
    else:
        text = str(schema.get("type", "any"))
    return text


def _bounds(schema: dict[str, Any], where: str, found: dict[str, list[str]]) -> None:
    """Collect the constraints of ``schema`` and of the types inside it, by where they apply."""
    for key, template in _CONSTRAINTS.items():
        if key in schema and not (key == "pattern" and schema[key] == ID_PATTERN):
            text = (
                "not empty"
                if key in {"minItems", "minProperties"} and schema[key] == 1
                else (template.format(schema[key]))
            )
            if text not in found.setdefault(where, []):
                found[where].append(text)
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            _bounds(option, where, found)
    if isinstance(schema.get("items"), dict):
        _bounds(schema["items"], "items", found)
    if (keys_values := _values(schema)) is not None:
        _bounds(keys_values[0], "keys", found)
        _bounds(keys_values[1], "values", found)


def _constraints(schema: dict[str, Any]) -> list[str]:
    """The bounds, lengths and patterns anywhere in a field's schema, outside other models.

    The pattern of an id is left out: the type says "id". Values of values are "values" too.
    """
    found: dict[str, list[str]] = {}
    _bounds(schema, "", found)
    return [
        f"{where}: {', '.join(texts)}" if where else ", ".join(texts)
        for where, texts in found.items()
        if texts
    ]


def _descriptions(schema: dict[str, Any]) -> list[str]:
    """The description of a field, else those of the types it is made of (ids aside)."""
    if "description" in schema:
        return [] if schema.get("pattern") == ID_PATTERN else [schema["description"]]
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            found += _descriptions(option)
    if isinstance(schema.get("items"), dict):
        found += _descriptions(schema["items"])
    if (keys_values := _values(schema)) is not None:
        found += _descriptions(keys_values[1])
    return list(dict.fromkeys(found))


def _model_section(name: str, model_schema: dict[str, Any]) -> list[str]:
    lines = [f"## {name}", ""]
    if "description" in model_schema:
        lines += [_text(model_schema["description"]), ""]
    if model_schema.get("additionalProperties") is False:
        lines += ["Other keys are errors.", ""]
    required = set(model_schema.get("required", []))
    lines += [
        "| Field | Type | Default | Constraints | Description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for field, field_schema in model_schema.get("properties", {}).items():
        default = (
            "required"
            if field in required
            else f"`{json.dumps(field_schema['default'])}`"
            if "default" in field_schema
            else ""
        )
        cells = [
            f"`{field}`",
            _text(_type(field_schema)),
            default,
            "; ".join(_text(c) for c in _constraints(field_schema)),
            " ".join(_text(d) for d in _descriptions(field_schema)),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def schema_page(document: dict[str, Any]) -> str:
    """The Markdown of the input reference generated from ``document``."""
    definitions = document.get("$defs", {})
    lines = [
        "# Input schema",
        "",
        "Generated from the JSON schema of the input models (`optiree.Problem.model_json_schema()`)"
        " when the site is built: every model, field, type, default and constraint. The",
        "[input guide](input.md) explains them with examples and units. Download the schema as",
        f"[{SCHEMA_FILE}]({SCHEMA_FILE}), for an editor that checks YAML or JSON against it.",
        "",
        "Models: " + ", ".join(f"[{name}](#{name.lower()})" for name in ["Problem", *definitions]),
        "",
        "## Ids",
        "",
        f"An **id** (of a material, source, country, period...) matches `{ID_PATTERN}`:",
        "1 to 64 ASCII letters, digits, `_` or `.`, starting with a letter or digit. It appears",
        "verbatim in the names of variables and constraints. A number such as `2026` is read as",
        'the id `"2026"`.',
        "",
    ]
    lines += _model_section("Problem", document)
    for name, model_schema in definitions.items():
        lines += _model_section(name, model_schema)
    return "\n".join(lines)


def japan_figures() -> dict[str, bytes]:
    """The figures of the Japan case as PNG files, by name: those ``optiree solve --out`` and
    ``optiree report`` draw (:func:`optiree.plots.figure_files`), and the frontier of China's
    largest share (``optiree frontier --plot``)."""
    problem = optiree.load_problem(JAPAN)
    result = optiree.solve(problem)
    curve = optiree.frontier(problem, "CN", "max_share")
    frontier = plots.png(plots.frontier_curve(curve.table, curve.currency))
    return {**plots.figure_files(result, problem), "frontier.png": frontier}


def figures_markdown(names: list[str]) -> str:
    """The Markdown that shows each figure, captioned with its name in words."""
    return "\n\n".join(
        f"![{Path(name).stem.replace('_', ' ').capitalize()}]({FIGURES}/{name})" for name in names
    )


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated schema page, the schema file, the examples and the Japan case's
    figures to the site."""
    document = optiree.Problem.model_json_schema()
    files.append(File.generated(config, SCHEMA_PAGE, content=schema_page(document)))
    files.append(File.generated(config, SCHEMA_FILE, content=json.dumps(document, indent=2)))
    for path in sorted(EXAMPLES.glob("*.*")):
        if path.suffix in {".py", ".yaml", ".yml", ".json"}:
            files.append(File.generated(config, f"examples/{path.name}", abs_src_path=str(path)))
    for name, picture in japan_figures().items():
        files.append(File.generated(config, f"{FIGURES}/{name}", content=picture))
    return files


def _mathml(match: re.Match[str]) -> str:
    latex = match["inline"] if match["inline"] is not None else match["block"]
    display = "inline" if match["inline"] is not None else "block"
    return latex_to_mathml(html.unescape(latex), display=display)


def on_page_content(content: str, **_: Any) -> str:
    """Write each formula as MathML, which browsers show without a script."""
    return MATHS.sub(_mathml, content)


def export_modules() -> dict[str, str]:
    """The module each name of ``optiree/__init__.py`` is imported from, by name (those it
    loads on first use are named in its ``TYPE_CHECKING`` block)."""
    tree = ast.parse(Path(optiree.__file__).read_text())
    return {
        alias.asname or alias.name: node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }


def exports_table() -> str:
    """A table of ``optiree.__all__``: each name linked to where its module's page documents it."""
    modules = export_modules()
    lines = ["| Name | Kind | Summary |", "| --- | --- | --- |"]
    for name in optiree.__all__:
        value = getattr(optiree, name)
        if name == "__version__":
            lines.append(f"| `__version__` | `str` | The version, `{value}`. |")
            continue
        kind = "class" if isinstance(value, type) else "function" if callable(value) else "data"
        summary = (inspect.getdoc(value) or "").split("\n\n")[0] if kind != "data" else ""
        lines.append(f"| [`{name}`][{modules[name]}.{name}] | {kind} | {_text(summary)} |")
    return "\n".join(lines)


def on_page_markdown(markdown: str, page: Page, files: Files, **_: Any) -> str:
    """Fill in the exports table and the Japan case's figures; point ``../examples/...`` links
    at the site's copies.

    The pages link to ``../examples/...`` so that the links work on GitHub as well.
    """
    markdown = markdown.replace("<!-- optiree-exports -->", exports_table())
    if FIGURES_MARK in markdown:
        figures = [file.src_uri for file in files if file.src_uri.startswith(f"{FIGURES}/")]
        names = [uri.rsplit("/", 1)[-1] for uri in figures]
        markdown = markdown.replace(FIGURES_MARK, figures_markdown(names))
    return markdown.replace("](../examples/", "](examples/")
